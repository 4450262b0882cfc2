"""Small helpers shared by the click commands: the SNAPSHOT argument, the options several commands take, and
the cloud collectors' --with-kube merge and gap lines."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import click

from ..errors import CollectorError
from ..findings import ALL_STATUSES, TARGETS
from ..inventory import Gap, Snapshot

F = TypeVar("F", bound=Callable[..., Any])


class FiniteFloat(click.FloatRange):
    """``click.FloatRange`` that also refuses ``nan`` and ``inf`` (which compare false with any bound)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Convert, then refuse non-finite numbers as a usage error naming the option."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not a finite number.", param, ctx)
        return number


def group_cls() -> type[click.Group]:
    """The group class for sub-groups (plain click; errors are handled by the root group)."""
    return click.Group


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(list(ALL_STATUSES)),
    default=None,
    help="Exit 1 when any finding reaches this status (ok < watch < at-risk < blocker; unknown: any unknown).",
)

snapshots_argument = click.argument("snapshots", nargs=-1, required=True, metavar="SNAPSHOT...", type=str)
"""``SNAPSHOT...``: snapshot files, folders, or ``s3://`` / ``gs://`` prefixes (score, report, questions, diff)."""

latest_option = click.option(
    "--latest",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Keep only the newest N snapshots of each cluster (folders and s3:// / gs:// prefixes hold many).",
)


def load_inputs(inputs: Iterable[str], latest: int | None = None) -> list[Snapshot]:
    """Every snapshot under the SNAPSHOT arguments (files, folders, bucket prefixes), newest ``latest`` per cluster."""
    from ..storage import read_snapshots

    return read_snapshots(list(inputs), latest=latest)


def write_snapshot_to(snap: Snapshot, output: str | None, folder: bool = False) -> str:
    """Save ``snap``: under an ``s3://`` / ``gs://`` prefix (a new object, never replacing one), to the file
    ``output``, into the folder ``output`` when ``folder``, or as ``<platform>-<name>-<time>.json`` here."""
    from ..inventory import save_snapshot, snapshot_filename
    from ..storage import is_remote, write_snapshot

    if output and is_remote(output):
        return write_snapshot(snap, output)
    if output is None:
        path = Path(snapshot_filename(snap))
    else:
        path = Path(output) / snapshot_filename(snap) if folder else Path(output)
    return str(save_snapshot(snap, path))


@contextmanager
def staged_output(output: str | Path) -> Iterator[Path]:
    """A local path to write ``output`` to: the path itself, or for ``s3://`` / ``gs://`` a temporary file that
    is uploaded (atomically) when the block ends without error."""
    from ..storage import is_remote, write_file

    if not is_remote(str(output)):
        yield Path(output)
        return
    with tempfile.TemporaryDirectory(prefix="k8seval-out-") as tmp:
        local = Path(tmp) / (PurePosixPath(str(output)).name or "output")
        yield local
        write_file(local, str(output))


policy_option = click.option(
    "--policy", type=click.Path(dir_okay=False, path_type=Path), help="Policy YAML: thresholds, overrides."
)
costs_option = click.option("--costs", type=click.Path(dir_okay=False, path_type=Path), help="Cost assumptions YAML.")


OUTPUT_FORMAT_NAMES = ("table", "html", "htm", "md", "markdown", "json", "csv", "xlsx", "xml", "junit", "text", "yaml")


def refuse_format_as_path(
    path: Path | None, formats: Iterable[str], option: str = "-o/--output", *, example: str | None = None
) -> None:
    """A format name given as the output path (``-o json``) is a usage error with a hint to use --format.

    ``example`` (for commands without --format, where the extension decides): the file name to suggest.
    """
    if path is None or path.suffix or len(path.parts) != 1:
        return
    name = path.name.lower()
    if name in OUTPUT_FORMAT_NAMES:
        choices = list(formats)
        if example:
            hint = f"the extension sets the format ({', '.join('.' + c for c in choices)}), e.g. -o {example}"
        elif name in choices:
            hint = f"use --format {name}, and -o FILE.{'xml' if name == 'junit' else name} to name the file"
        else:
            hint = f"formats are chosen with --format ({', '.join(choices)}) or the file extension"
        raise click.UsageError(f"{option} {path}: that is a format name, not a file; {hint}")


def push_option(help_text: str) -> Callable[[F], F]:
    """``--push URL`` (stored as ``push``): a Pushgateway to PUT the OpenMetrics to, one group per cluster."""
    return click.option("--push", metavar="URL", default=None, help=help_text)


def push_openmetrics(url: str, context: Any) -> list[str]:
    """PUT the OpenMetrics of every cluster of ``context`` (a ReportContext) to the Pushgateway at ``url``, one
    group per cluster (job ``k8seval``, grouping key ``cluster``); says how many on stderr, returns the group URLs.

    Raises EndpointError (exit 3, with a hint) when the gateway cannot be reached or refuses a push.
    """
    from ..collectors.pushgateway import push_metrics
    from ..reporting.openmetrics import openmetrics_by_cluster

    groups = push_metrics(url, openmetrics_by_cluster(context))
    click.echo(f"pushed {len(groups)} group(s) to {url}", err=True)
    return groups


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
    type=str,
    default=".",
    show_default=True,
    help="Folder for the snapshots (one file per cluster), or an s3:// / gs:// prefix.",
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


with_policies_option = click.option(
    "--with-policies",
    "with_policies",
    type=click.Path(exists=False, path_type=Path),
    help="Planned policies (a YAML file or a folder: Kubernetes NetworkPolicies, CiliumNetworkPolicy, "
    "CiliumClusterwideNetworkPolicy, Calico NetworkPolicy/GlobalNetworkPolicy): also score each cluster after "
    "adding them (needs snapshots collected with --policy-model).",
)


def apply_with_policies(snapshots: list[Snapshot], path: Path | None) -> list[Snapshot]:
    """``snapshots`` plus their what-if copies after the planned policies in ``path`` (unchanged when None)."""
    if path is None:
        return snapshots
    from ..dataplane.whatif import whatif_snapshots

    return whatif_snapshots(snapshots, path)
