"""``k8seval collect merge``: combine two snapshots of one cluster (cloud API + Kubernetes API, or etcd + kube)."""

from __future__ import annotations

import click

from ..inventory import load_snapshot
from ..merge import merge_snapshots
from .support import write_snapshot_to


@click.command(name="merge")
@click.argument("first", type=click.Path(dir_okay=False))
@click.argument("second", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=str,
    help="Merged snapshot file or s3:// / gs:// prefix (default: <platform>-<name>-<time>.json here).",
)
@click.option(
    "--allow-mismatch",
    is_flag=True,
    help="Merge even when the cluster names or platforms differ (the same cluster known under two names).",
)
def merge(first: str, second: str, output: str | None, allow_mismatch: bool) -> None:
    """Merge two snapshots of the same cluster into one.

    Measured values fill absent ones; where both measured a fact, the more direct source wins: etcd read
    directly over apiserver metrics, the Kubernetes API for nodes and objects, the cloud API for the cloud
    section. Gaps the other snapshot filled are dropped.

    \b
    Example:
      k8seval collect merge eks-payments-20261101T100000Z.json kube-payments.json -o payments.json
    """
    merged = merge_snapshots(load_snapshot(first), load_snapshot(second), allow_mismatch=allow_mismatch)
    path = write_snapshot_to(merged, output)
    click.echo(
        f"wrote {path}: {merged.cluster.name} ({merged.cluster.platform}), collectors "
        f"{', '.join(merged.collection.collectors) or '-'}, {len(merged.gaps)} gap(s)"
    )
