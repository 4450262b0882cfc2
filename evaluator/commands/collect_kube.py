"""``k8seval collect kube``: measure a cluster through the Kubernetes API into a snapshot file."""

from __future__ import annotations

import sys

import click

from ..collectors.kube import DEFAULT_DEADLINE, CollectionIncomplete, collect_kube
from ..inventory import PLATFORMS, Snapshot
from ..units import format_count
from .support import FiniteFloat, echo_gaps, write_snapshot_to


def _n(value: float | int | None) -> str:
    return "?" if value is None else format_count(value)


def _gib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**30:.2f} GiB"


def summary_lines(snap: Snapshot) -> list[str]:
    """A few plain lines describing what a kube snapshot holds (used by the command's output)."""
    c, n, p, s = snap.cluster, snap.nodes, snap.network_policies, snap.services
    ppn = n.pods_per_node
    lines = [
        f"cluster {c.name}: {c.platform} {c.version or '?'}, {_n(n.count)} nodes "
        f"({_n(n.control_plane_count)} control plane), {_n(snap.objects.get('pods'))} pods, "
        f"{_n(snap.namespaces)} namespaces",
        f"pods per node (non-terminal, bound): max {_n(ppn.max)}, mean {_n(ppn.mean)}, p95 {_n(ppn.p95)}; "
        f"allocatable pods max {_n(n.allocatable_pods.max)}",
        f"network policies: {_n(p.count)} (max {_n(p.max_per_namespace)} in one namespace); "
        f"services: {_n(s.count)}; CRDs: {_n(snap.crds)}; webhooks: {_n(snap.webhooks.count)}",
        f"etcd: {_gib(snap.etcd.db_size_bytes)} ({snap.etcd.source or 'not measured'}); "
        f"CNI: {snap.networking.cni or '?'} {snap.networking.cni_version or ''}".rstrip(),
        f"{len(snap.objects)} resources counted, {snap.collection.requests} requests "
        f"in {snap.collection.duration_seconds or 0:.1f}s, {len(snap.gaps)} gap(s)",
    ]
    return lines


@click.command(name="kube")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster configuration).",
)
@click.option("--context", help="kubeconfig context to use (default: the current context).")
@click.option(
    "-o",
    "--output",
    type=str,
    help="Snapshot file, or an s3:// / gs:// prefix (one object per cluster and time, never overwritten). "
    "Default: <platform>-<name>-<time>.json in the current folder.",
)
@click.option("--name", help="Cluster name for the snapshot (default: the kubeconfig's cluster name).")
@click.option(
    "--platform",
    type=click.Choice(list(PLATFORMS)),
    help="Override the detected platform (detected from /version and the nodes).",
)
@click.option("--qps", type=FiniteFloat(min=0.5), default=20.0, show_default=True, help="Requests a second, at most.")
@click.option(
    "--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="Requests in flight, at most."
)
@click.option(
    "--timeout",
    type=FiniteFloat(min=1),
    default=30.0,
    show_default=True,
    help="Seconds one request may take in all (a server sending a byte at a time included).",
)
@click.option(
    "--deadline",
    type=FiniteFloat(min=1),
    default=DEFAULT_DEADLINE,
    show_default=True,
    help="Seconds the whole collection may take; past it the partial snapshot is written, marked incomplete (exit 3).",
)
@click.option(
    "--policy-model",
    is_flag=True,
    help="Keep the compact NetworkPolicy model (label groups, policy specs, Cilium/Calico policy objects) that "
    "--with-policies what-ifs need.",
)
def kube(
    kubeconfig: str | None,
    context: str | None,
    output: str | None,
    name: str | None,
    platform: str | None,
    qps: float,
    concurrency: int,
    timeout: float,
    deadline: float,
    policy_model: bool,
) -> None:
    """Measure a cluster through the Kubernetes API: counts, nodes, pods per node, policies, services, etcd size.

    Lists in pages of 500 under a QPS cap, honours 429 Retry-After, reads object counts from the apiserver's
    /metrics where allowed and never reads Secret data. What it cannot read (a 403, an absent metric) is
    listed as a gap in the snapshot and on stderr; the snapshot is still written.

    \b
    Example:
      k8seval collect kube --context prod-eu --name prod-eu -o snapshots/prod-eu.json
      k8seval collect kube --kubeconfig ~/.kube/bank.yaml --qps 10 --concurrency 2
      k8seval collect kube --context prod-eu --policy-model -o prod-eu.json   # for score --with-policies
      k8seval collect kube --name prod-eu -o s3://bank-k8seval/snapshots/   # in-cluster, from a CronJob
    """
    progress = (lambda msg: click.echo(f"... {msg}", err=True)) if sys.stderr.isatty() else None
    incomplete: CollectionIncomplete | None = None
    try:
        snap = collect_kube(
            kubeconfig,
            context,
            name=name,
            platform=platform,
            qps=qps,
            concurrency=concurrency,
            timeout=timeout,
            deadline=deadline,
            policy_model=policy_model,
            progress=progress,
        )
    except CollectionIncomplete as exc:  # the endpoint failed mid-run: keep what was read, then exit 3
        incomplete, snap = exc, exc.snapshot
    path = write_snapshot_to(snap, output)
    click.echo(f"wrote {path}" + (" (incomplete)" if incomplete else ""))
    for line in summary_lines(snap):
        click.echo(f"  {line}")
    echo_gaps(snap.gaps)
    if incomplete is not None:
        raise incomplete
