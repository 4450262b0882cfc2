"""Small helpers shared by the click commands: the SNAPSHOT argument, the options several commands take, and
the cloud collectors' --with-kube merge and gap lines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import CollectorError
from ..findings import ALL_STATUSES, TARGETS
from ..inventory import Gap, Snapshot

F = TypeVar("F", bound=Callable[..., Any])


def group_cls() -> type[click.Group]:
    """The group class for sub-groups (plain click; errors are handled by the root group)."""
    return click.Group


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(list(ALL_STATUSES)),
    default=None,
    help="Exit 1 when any finding reaches this status (ok < watch < at-risk < blocker; unknown: any unknown).",
)

snapshots_argument = click.argument(
    "snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
"""``SNAPSHOT...``: one or more snapshot files (score, report, questions)."""

policy_option = click.option(
    "--policy", type=click.Path(dir_okay=False, path_type=Path), help="Policy YAML: thresholds, overrides."
)
costs_option = click.option("--costs", type=click.Path(dir_okay=False, path_type=Path), help="Cost assumptions YAML.")


def targets_option(help_text: str, *flags: str) -> Callable[[Any], Any]:
    """A repeatable target choice stored as ``targets``; ``flags`` default to ``--target``."""
    return click.option(
        *(flags or ("--target",)), "targets", multiple=True, type=click.Choice(list(TARGETS)), help=help_text
    )


# ------------------------------------------------------------------------------------- cloud collectors

snapshot_folder_option = click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder for the snapshots (one file per cluster).",
)
"""``-o/--output DIR`` stored as ``out_dir``: where a cloud collector writes one snapshot per cluster."""


def with_kube_options(f: F) -> F:
    """``--with-kube CONTEXT`` (stored as ``kube_context``) and ``--kubeconfig`` for the cloud collectors."""
    f = click.option(
        "--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig for --with-kube (default rules)."
    )(f)
    return click.option(
        "--with-kube",
        "kube_context",
        metavar="CONTEXT",
        help="Also measure the cluster through the Kubernetes API of this kubeconfig context and merge "
        "(one --cluster).",
    )(f)


def check_with_kube(kube_context: str | None, clusters: tuple[str, ...]) -> None:
    """--with-kube measures one cluster: a usage error unless exactly one --cluster is named."""
    if kube_context and len(clusters) != 1:
        raise click.UsageError("--with-kube needs exactly one --cluster")


def merge_with_kube(snapshots: list[Snapshot], kube_context: str, kubeconfig: str | None) -> CollectorError | None:
    """Measure ``snapshots[0]``'s cluster through the Kubernetes API and merge it in, replacing ``snapshots[0]``.

    A collector failure is returned rather than raised, so the command still writes the cloud snapshot and
    then raises it (exit 3).
    """
    from ..collectors.kube import collect_kube
    from ..merge import merge_snapshots

    cloud = snapshots[0]
    try:
        kube_snap = collect_kube(
            kubeconfig, context=kube_context, name=cloud.cluster.name, platform=cloud.cluster.platform
        )
        snapshots[0] = merge_snapshots(cloud, kube_snap)
    except CollectorError as exc:
        return exc
    return None


def echo_gaps(gaps: Iterable[Gap]) -> None:
    """One ``gap: ITEM: REASON`` line per gap on stderr."""
    for gap in gaps:
        click.echo(f"gap: {gap.item}: {gap.reason}", err=True)
