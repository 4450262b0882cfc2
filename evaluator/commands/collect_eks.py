"""``k8seval collect eks``: describe the EKS clusters of one or more AWS profiles and regions into snapshots."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..inventory import Snapshot, save_snapshot, snapshot_filename
from ..storage import is_remote, write_snapshot
from .support import check_with_kube, echo_gaps, merge_with_kube, snapshot_folder_option, with_kube_options


def _summary(snap: Snapshot) -> str:
    cloud = snap.cloud
    groups = cloud.node_groups if cloud else []
    managed = [g for g in groups if g.kind != "fargate"]
    fargate = len(groups) - len(managed)
    pods = sorted({g.max_pods_per_node for g in managed if g.max_pods_per_node is not None})
    free = [s.available_ips for s in (cloud.subnets if cloud else []) if s.available_ips is not None]
    parts = [
        f"{snap.cluster.name} ({snap.cluster.region}, {snap.cluster.account or 'account ?'})",
        f"EKS {snap.cluster.version or '?'}",
        f"{len(managed)} node group(s)" + (f" + {fargate} Fargate profile(s)" if fargate else ""),
    ]
    if pods:
        parts.append("max pods/node " + "/".join(str(p) for p in pods))
    if free:
        parts.append(f"{len(free)} subnet(s), fewest free IPs {min(free)}")
    if snap.nodes.count is not None:
        parts.append(f"{snap.nodes.count} nodes")
    parts.append(f"{len(snap.gaps)} gap(s)")
    return ", ".join(parts)


def _paths(snaps: list[Snapshot], out_dir: Path) -> list[Path]:
    """One file per snapshot; a cluster name found more than once (other region or account) gets both added."""
    counts = Counter(s.cluster.name for s in snaps)
    paths = []
    for snap in snaps:
        name = snapshot_filename(snap)
        if counts[snap.cluster.name] > 1:
            stem, ext = name.rsplit(".", 1)
            prefix, stamp = stem.rsplit("-", 1)
            name = f"{prefix}-{snap.cluster.region}-{snap.cluster.account or 'unknown'}-{stamp}.{ext}"
        paths.append(out_dir / name)
    return paths


@click.command(name="eks")
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    help="AWS profile (repeatable, one account each). Default: the standard credential chain.",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Region to search (repeatable); `all` means every region enabled for the account. Default: the profile's.",
)
@click.option("--cluster", "clusters", multiple=True, help="Only this cluster (repeatable). Default: every cluster.")
@with_kube_options
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="Regions and clusters described in parallel.",
)
@snapshot_folder_option
def eks(
    profiles: tuple[str, ...],
    regions: tuple[str, ...],
    clusters: tuple[str, ...],
    kube_context: str | None,
    kubeconfig: str | None,
    concurrency: int,
    out_dir: str,
) -> None:
    """Describe EKS clusters (node groups, max pods per node, subnets, add-ons, quotas) into snapshots.

    Uses boto3's usual credentials and honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EKS. Only List/Describe
    calls are made. What could not be read (an API denied or not served) is recorded as a gap in the
    snapshot; exit 3 when nothing could be read at all. Node and object counts need the Kubernetes API:
    pass --with-kube CONTEXT, or merge a `collect kube` snapshot later with `collect merge`.

    \b
    Example:
      k8seval collect eks --profile prod --region eu-west-1 --region eu-west-2 -o snapshots/
      k8seval collect eks --region eu-west-1 --cluster payments \\
        --with-kube arn:aws:eks:eu-west-1:123456789012:cluster/payments -o snapshots/
    """
    from ..collectors.eks import collect_eks, default_session_factory  # boto3 loads only for this command

    check_with_kube(kube_context, clusters)
    result = collect_eks(
        default_session_factory,
        list(regions),
        list(clusters) or None,
        profiles=list(profiles) or [None],
        concurrency=concurrency,
    )
    echo_gaps(result.gaps)
    if not result.snapshots:
        click.echo(f"no EKS clusters in {', '.join(regions) or 'the default region'}", err=True)
        return
    snaps = list(result.snapshots)
    # A Kubernetes API failure keeps the cloud snapshot, then is reported with exit 3.
    kube_error = merge_with_kube(snaps, kube_context, kubeconfig) if kube_context else None
    folder = Path(out_dir)
    for snap, path in zip(snaps, _paths(snaps, folder), strict=True):
        where = write_snapshot(snap, out_dir) if is_remote(out_dir) else save_snapshot(snap, path)
        click.echo(f"wrote {where}: {_summary(snap)}")
    if kube_error is not None:
        raise kube_error
