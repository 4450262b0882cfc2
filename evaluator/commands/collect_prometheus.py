"""``k8seval collect prometheus``: months of history from a Prometheus server, one snapshot per step per cluster."""

from __future__ import annotations

import calendar
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click

from ..collectors.prometheus import (
    MAX_SERIES,
    NOT_IN_PROMETHEUS,
    PrometheusAuth,
    PrometheusClient,
    collect_prometheus,
    parse_duration,
    plan_steps,
)
from ..errors import InputError
from ..inventory import PLATFORMS, ClusterInfo, load_snapshot, parse_time, save_snapshot, snapshot_filename


def _end_time(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(calendar.timegm(parse_time(text).utctimetuple()))
    except ValueError:
        raise InputError(f"--end: expected an RFC 3339 time such as 2026-12-01T00:00:00Z, got {text!r}") from None


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise InputError(f"--header: expected 'Name: value', got {value!r}")
        headers[name.strip()] = content.strip()
    return headers


def _identities(paths: tuple[Path, ...]) -> dict[str, ClusterInfo]:
    """Cluster identities to reuse, keyed by the snapshot's cluster.id when it has one, else its name."""
    found: dict[str, ClusterInfo] = {}
    for path in paths:
        cluster = load_snapshot(path).cluster
        found[getattr(cluster, "id", None) or cluster.name] = cluster
    return found


@click.command(name="prometheus")
@click.option("--url", required=True, help="Base URL of the Prometheus (or Thanos, Mimir) API, e.g. http://prom:9090.")
@click.option("--range", "range_", default="180d", show_default=True, help="How far back: 180d, 12w, 24h.")
@click.option("--step", default="1d", show_default=True, help="One snapshot per cluster every STEP.")
@click.option("--end", help="Last step (RFC 3339). Default: now, rounded down to the step.")
@click.option(
    "--cluster-label",
    help="Label that names the cluster when one server holds several (e.g. cluster); one snapshot set per value.",
)
@click.option("--cluster", "clusters", multiple=True, help="Only this value of --cluster-label (repeatable).")
@click.option("--name", help="Cluster name without --cluster-label (default: the URL's host).")
@click.option("--platform", type=click.Choice(list(PLATFORMS)), help="Platform when the version does not tell.")
@click.option(
    "--same-as",
    "same_as",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A snapshot of one of these clusters from another collector (repeatable): the history takes its "
    "identity, matched by cluster.id or name against the label value, so both form one history.",
)
@click.option("--bearer-token-file", type=click.Path(dir_okay=False), help="File holding a bearer token.")
@click.option("--basic-auth", metavar="USER:PASSWORD", help="HTTP basic auth (or USER: and $K8SEVAL_PROM_PASSWORD).")
@click.option("--cacert", type=click.Path(dir_okay=False), help="CA bundle for the server's certificate.")
@click.option("--cert", type=click.Path(dir_okay=False), help="Client certificate (PEM).")
@click.option("--key", type=click.Path(dir_okay=False), help="Private key (PEM) of --cert.")
@click.option(
    "--header", "headers", multiple=True, metavar="'NAME: VALUE'", help="Extra header, e.g. 'X-Scope-OrgID: team'."
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True, help="Seconds a request.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="Queries in flight.")
@click.option(
    "--max-series",
    type=click.IntRange(min=1),
    default=MAX_SERIES,
    show_default=True,
    help="A query that would return more series is split by cluster.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder for the snapshots (one file per cluster per step).",
)
def prometheus(
    url: str,
    range_: str,
    step: str,
    end: str | None,
    cluster_label: str | None,
    clusters: tuple[str, ...],
    name: str | None,
    platform: str | None,
    same_as: tuple[Path, ...],
    bearer_token_file: str | None,
    basic_auth: str | None,
    cacert: str | None,
    cert: str | None,
    key: str | None,
    headers: tuple[str, ...],
    timeout: float,
    concurrency: int,
    max_series: int,
    out_dir: str,
) -> None:
    """Read months of history from Prometheus: one snapshot per STEP per cluster over RANGE.

    Object counts from the apiserver's series, etcd size from etcd's or the apiserver's, nodes, pods per
    node, namespaces, NetworkPolicies and Services from kube-state-metrics. A fact the server has no sample
    of at a step is a gap in that step's snapshot, never a zero. Queries are range queries, split by cluster
    when one would return more than --max-series series; 429/503 answers are honoured. Nothing is written
    unless the whole collection succeeds.

    \b
    Example:
      k8seval collect prometheus --url http://prometheus:9090 --range 180d --step 1d \\
        --cluster-label cluster -o snapshots/
      k8seval report snapshots/*.json -o report.html
    """
    if clusters and not cluster_label:
        raise click.UsageError("--cluster needs --cluster-label")
    range_seconds = parse_duration(range_, "--range")
    step_seconds = parse_duration(step, "--step")
    steps = plan_steps(range_seconds, step_seconds, _end_time(end))  # refused here, before any query
    auth = PrometheusAuth(
        bearer_token_file=bearer_token_file,
        basic_auth=_basic_auth(basic_auth),
        cert=cert,
        key=key,
        cacert=cacert,
        headers=_headers(headers),
    )
    identities = _identities(same_as)
    client = PrometheusClient(url, auth, timeout=timeout, concurrency=concurrency)
    try:
        history = collect_prometheus(
            client,
            steps,
            cluster_label=cluster_label,
            name=name,
            platform=platform,
            clusters=clusters,
            identities=identities,
            max_series=max_series,
        )
    finally:
        client.close()
    folder = Path(out_dir)
    for snap in history.snapshots:
        save_snapshot(snap, folder / snapshot_filename(snap))
    first = datetime.fromtimestamp(steps[0], UTC).strftime("%Y-%m-%d %H:%M")
    last = datetime.fromtimestamp(steps[-1], UTC).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"{folder}: {len(history.snapshots)} snapshots ({len(history.clusters)} cluster(s) x {len(steps)} steps, "
        f"{first} to {last} UTC) from {history.queries} queries, {history.requests} requests "
        f"in {history.duration_seconds:.1f}s"
    )
    gaps = Counter(gap.item for snap in history.snapshots for gap in snap.gaps if gap.item not in NOT_IN_PROMETHEUS)
    for item, count in sorted(gaps.items()):
        click.echo(f"gap: {item}: missing in {count} of {len(history.snapshots)} snapshots", err=True)


def _basic_auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise InputError("--basic-auth: expected USER:PASSWORD (or USER: with $K8SEVAL_PROM_PASSWORD)")
    return user, password or os.environ.get("K8SEVAL_PROM_PASSWORD", "")
