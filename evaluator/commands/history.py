"""``k8seval history``: a tidy table (one row per cluster, time and fact) from snapshot files, in CSV or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from .support import snapshots_argument


@click.command(name="history")
@snapshots_argument
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@click.option(
    "--fact", "facts", multiple=True, help="Only facts starting with this (repeatable), e.g. etcd. or nodes.count."
)
def command(snapshots: tuple[Path, ...], fmt: str, output: Path | None, facts: tuple[str, ...]) -> None:
    """Write the history of SNAPSHOT files as a tidy table: cluster, platform, time, fact, value, source, gap.

    Snapshots of one cluster (same cluster.id, else the same name) from any collector form one history, so a
    Prometheus history and a fresh collect kube snapshot line up. A fact that was not measured has an empty
    value and the gap's reason. Built with pandas: read it back with pandas.read_csv or read_json.

    \b
    Example:
      k8seval history snapshots/*.json -o history.csv
      k8seval history snapshots/*.json --format json --fact etcd. --fact nodes.count
    """
    from ..reporting.history import history_text, load_history, write_history

    frame = load_history(list(snapshots))
    if facts and not frame.empty:
        frame = frame[frame["fact"].str.startswith(tuple(facts))].reset_index(drop=True)
    if output is None:
        click.echo(history_text(frame, fmt), nl=False)
    else:
        write_history(frame, fmt, output)
        click.echo(
            f"wrote {output}: {len(frame)} rows, {frame['cluster'].nunique() if len(frame) else 0} cluster(s)", err=True
        )
