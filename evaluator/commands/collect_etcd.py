"""``k8seval collect etcd``: read etcd's size, members, quota and key counts into a snapshot."""

from __future__ import annotations

import click

from ..collectors.etcd import collect_etcd, normalise_endpoint
from .support import echo_gaps, write_snapshot_to


def _human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@click.command(name="etcd")
@click.option(
    "--endpoints",
    required=True,
    help="etcd client URLs with their scheme, comma separated (https://10.0.0.1:2379,...). Every one gets a "
    "status call; an endpoint without https:// or http:// is refused.",
)
@click.option("--cacert", type=click.Path(dir_okay=False), help="CA bundle that signed etcd's serving certificate.")
@click.option("--cert", type=click.Path(dir_okay=False), help="Client certificate (PEM) for --client-cert-auth.")
@click.option("--key", type=click.Path(dir_okay=False), help="Private key (PEM) of --cert.")
@click.option("--name", help="Cluster name for the snapshot (default: the first endpoint's host).")
@click.option(
    "--prefix",
    "prefixes",
    multiple=True,
    help="Count only these key prefixes (repeatable) instead of discovering every /registry/ prefix.",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True, help="Seconds per request.")
@click.option(
    "-o",
    "--output",
    type=str,
    help="Snapshot file or s3:// / gs:// prefix (default: <platform>-<name>-<time>.json in the current folder).",
)
def etcd(
    endpoints: str,
    cacert: str | None,
    cert: str | None,
    key: str | None,
    name: str | None,
    prefixes: tuple[str, ...],
    timeout: float,
    output: str | None,
) -> None:
    """Measure etcd directly: database size, quota, members and keys per /registry/ prefix.

    Reads through etcd's v3 JSON gateway with POST requests only (status, member list, count-only ranges);
    values are never read. Endpoints that do not answer are recorded as gaps; exit 3 when none answers.

    \b
    Example:
      k8seval collect etcd --endpoints https://10.0.0.11:2379,https://10.0.0.12:2379 \\
        --cacert /etc/kubernetes/pki/etcd/ca.crt \\
        --cert /etc/kubernetes/pki/apiserver-etcd-client.crt \\
        --key /etc/kubernetes/pki/apiserver-etcd-client.key --name prod-1 -o prod-1-etcd.json
    """
    urls = [part for part in endpoints.split(",") if part.strip()]
    for url in urls:  # refuse "10.0.0.11:2379" before anything is read: no silent plain-http request
        normalise_endpoint(url)
    snap = collect_etcd(
        urls, cacert=cacert, cert=cert, key=key, timeout=timeout, name=name, prefixes=list(prefixes) or None
    )
    path = write_snapshot_to(snap, output)
    e = snap.etcd
    click.echo(
        f"{path}: etcd {e.version or '?'}, db {_human_bytes(e.db_size_bytes)} "
        f"(in use {_human_bytes(e.db_size_in_use_bytes)}, quota {_human_bytes(e.quota_backend_bytes)}), "
        f"{len(e.members)} member(s), {e.total_keys if e.total_keys is not None else '?'} keys"
    )
    echo_gaps(snap.gaps)
