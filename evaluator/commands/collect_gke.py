"""``k8seval collect gke``: one snapshot per GKE cluster across projects and locations."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import CollectorError
from ..inventory import Snapshot, save_snapshot, snapshot_filename
from ..storage import is_remote, write_snapshot
from .support import check_with_kube, echo_gaps, merge_with_kube, snapshot_folder_option, with_kube_options


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _row(path: Path | str, snap: Snapshot) -> list[str]:
    cloud = snap.cloud
    pools = str(len(cloud.node_groups)) if cloud else "-"
    capacity = snap.networking.node_capacity_by_pod_range
    return [
        str(path),
        snap.cluster.account or "-",
        snap.cluster.region or "-",
        snap.cluster.name,
        snap.cluster.platform,
        snap.cluster.version or "-",
        pools,
        snap.networking.cni or "-",
        str(capacity) if capacity is not None else "-",
    ]


@click.command(name="gke")
@click.option("--project", "projects", multiple=True, required=True, help="GCP project id (repeatable).")
@click.option(
    "--location",
    "locations",
    multiple=True,
    help="Region or zone (repeatable); default '-' lists every location in one call.",
)
@click.option("--cluster", "clusters", multiple=True, help="Only these cluster names (repeatable).")
@click.option(
    "--endpoint",
    envvar="K8SEVAL_GKE_ENDPOINT",
    help="Another GKE API endpoint (Private Service Connect, an emulator); plain http:// uses no credentials.",
)
@with_kube_options
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Parallel API calls across projects and locations.",
)
@snapshot_folder_option
def gke(
    projects: tuple[str, ...],
    locations: tuple[str, ...],
    clusters: tuple[str, ...],
    endpoint: str | None,
    kube_context: str | None,
    kubeconfig: str | None,
    concurrency: int,
    out_dir: str,
) -> None:
    """Measure GKE clusters through the GKE API: versions, node pools, Dataplane V2, pod address space.

    Uses Application Default Credentials (roles/container.viewer is enough). Projects or locations that
    cannot be read are reported on stderr and the rest is still written; exit 3 when nothing could be read.
    Node and object counts need the Kubernetes API: pass --with-kube CONTEXT with one --cluster, or merge a
    `collect kube` snapshot later.

    \b
    Example:
      k8seval collect gke --project bank-prod --project bank-dev -o snapshots/
      k8seval collect gke --project bank-prod --location europe-west2 --cluster payments \\
        --with-kube gke_bank-prod_europe-west2_payments -o snapshots/
    """
    from ..collectors.gke import collect_gke, make_gke_client  # the Google client loads only for this command

    check_with_kube(kube_context, clusters)
    with make_gke_client(endpoint) as client:  # closes the transport's HTTP session
        snapshots, gaps = collect_gke(
            client, list(projects), list(locations) or None, list(clusters) or None, concurrency=concurrency
        )
    kube_error: CollectorError | None = None
    if kube_context and snapshots:
        if len(snapshots) > 1:
            raise click.UsageError(
                f"--with-kube: {len(snapshots)} clusters are named {clusters[0]!r}; narrow with --project/--location"
            )
        # A Kubernetes API failure keeps the cloud snapshot, then is reported with exit 3.
        kube_error = merge_with_kube(snapshots, kube_context, kubeconfig)
    folder = Path(out_dir)
    rows = [["FILE", "PROJECT", "LOCATION", "CLUSTER", "PLATFORM", "VERSION", "POOLS", "CNI", "NODES(POD RANGE)"]]
    written: set[Path] = set()
    for snap in snapshots:
        path = folder / snapshot_filename(snap)
        if path in written:
            # Same cluster name in another project or location, collected in the same second.
            suffix = "".join(
                c if c.isalnum() or c in "-_." else "_" for c in f"{snap.cluster.account}-{snap.cluster.region}"
            )
            path = path.with_name(f"{path.stem}-{suffix}{path.suffix}")
        written.add(path)
        where = write_snapshot(snap, out_dir) if is_remote(out_dir) else save_snapshot(snap, path)
        rows.append(_row(where, snap))
    if snapshots:
        click.echo(_table(rows))
    else:
        click.echo("No GKE clusters found in the projects and locations listed.")
    echo_gaps(gaps)
    if kube_error is not None:
        raise kube_error
