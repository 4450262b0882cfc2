"""``k8seval diff``: what changed between two audits (snapshots, folders or prefixes of snapshots, findings files)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from .support import policy_option, staged_output, targets_option

_CHANGE_STYLES = {
    "new": "bold red", "worse": "dark_orange", "changed": "yellow", "better": "green", "resolved": "green"
}  # fmt: skip
TABLE_FACTS = 40  # facts shown in the terminal; all of them are in --format md / json


def load_side(value: str, targets: list[str] | None, policy: Path | None) -> tuple[str, list[Any], list[Any]]:
    """One side of the diff: ("findings", states, []) for a findings JSON, else ("snapshots", states, snapshots)
    with the snapshots scored now (the newest of each cluster, its history feeding the forecasts)."""
    from ..inventory import SCHEMA
    from ..scoring.diff import states_from_document, states_from_findings
    from ..storage import is_remote, read_document, read_snapshots

    single = value.endswith(".json") and (is_remote(value) or Path(value).is_file())
    if single:
        document = read_document(value)
        if isinstance(document, dict) and document.get("schema") != SCHEMA and "findings" in document:
            return "findings", states_from_document(document, value), []
    snapshots = read_snapshots([value])
    from ..catalog.loader import load_catalog
    from ..scoring.engine import evaluate
    from ..scoring.metrics import METRICS
    from ..scoring.policy import load_policy

    catalog = load_catalog(metrics=METRICS)
    pol = load_policy(policy, catalog) if policy else None
    evaluation = evaluate(snapshots, catalog, targets, policy=pol)
    return "snapshots", states_from_findings(evaluation.findings), snapshots


def build_diff(old: str, new: str, targets: list[str] | None = None, policy: Path | None = None) -> Any:
    """The :class:`AuditDiff` of two inputs (see :func:`load_side`)."""
    from ..scoring.diff import AuditDiff, clusters_of, diff_facts, diff_findings, diff_observed

    old_kind, old_states, old_snaps = load_side(old, targets, policy)
    new_kind, new_states, new_snaps = load_side(new, targets, policy)
    if targets:  # a findings file may hold more targets than asked for
        old_states = [s for s in old_states if s.target in targets]
        new_states = [s for s in new_states if s.target in targets]
    changes = diff_findings(old_states, new_states)
    if old_kind == new_kind == "snapshots":
        facts, added, removed = diff_facts(old_snaps, new_snaps)
        facts_from = "snapshots"
    else:
        facts = diff_observed(old_states, new_states)
        before, after = clusters_of(old_states), clusters_of(new_states)
        added = [c for c in after if c not in before]
        removed = [c for c in before if c not in after]
        facts_from = "findings"
    return AuditDiff(old, new, added, removed, facts, changes, facts_from)


def render_diff_table(diff: Any, *, color: bool = False, width: int = 140) -> str:
    """The terminal view: counts, the findings that changed status, and the facts that moved most."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..reporting.diff import CHANGE_LABELS, change_text, status_text, value_text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="auto" if color else None, force_terminal=color)
    counts = diff.counts
    console.print(
        f"{diff.old} -> {diff.new}: {counts['new']} new, {counts['worse']} worse, {counts['changed']} changed, "
        f"{counts['better']} better, {counts['resolved']} resolved, {counts['unchanged']} unchanged",
        highlight=False,
    )
    if diff.clusters_added or diff.clusters_removed:
        console.print(
            f"Clusters added: {', '.join(diff.clusters_added) or 'none'}; "
            f"removed: {', '.join(diff.clusters_removed) or 'none'}",
            highlight=False,
        )
    moved = [c for c in diff.findings if c.change != "unchanged"]
    if moved:
        table = Table(title="Findings whose status changed", title_justify="left")
        for name in ("Change", "Cluster", "Target", "Constraint", "Status", "Observed"):
            table.add_column(name, overflow="fold")
        for c in moved:
            table.add_row(
                Text(CHANGE_LABELS[c.change], style=_CHANGE_STYLES.get(c.change, "")),
                c.cluster, c.target, c.title, status_text(c),
                f"{value_text(c.old_observed)} -> {value_text(c.new_observed)}",
            )  # fmt: skip
        console.print(table)
    else:
        console.print("No finding changed status.")
    if diff.facts:
        ranked = sorted(diff.facts, key=lambda f: -abs(f.percent or 0.0))
        title = "Facts that moved" + (" (observed values)" if diff.facts_from == "findings" else "")
        table = Table(title=title, title_justify="left")
        for name in ("Cluster", "Fact", "Old", "New", "Change"):
            table.add_column(name, overflow="fold", justify="right" if name in ("Old", "New", "Change") else "left")
        for f in ranked[:TABLE_FACTS]:
            table.add_row(f.cluster, f.fact, value_text(f.old), value_text(f.new), change_text(f))
        console.print(table)
        if len(ranked) > TABLE_FACTS:
            console.print(f"  ... {len(ranked) - TABLE_FACTS} more facts in --format md or json", highlight=False)
    else:
        console.print("No measured fact moved.")
    return buffer.getvalue()


@click.command(name="diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table", show_default=True, help="Output."
)
@click.option("-o", "--output", type=str, default=None, help="Write to FILE (or an s3:// / gs:// object), not stdout.")
@targets_option("Compare only these targets (repeatable). Default: every target on either side.")
@policy_option
def command(
    old: str, new: str, fmt: str, output: str | None, targets: tuple[str, ...], policy: Path | None
) -> None:
    """Compare two audits: facts that moved, findings whose status changed per target, new and resolved findings.

    OLD and NEW are each a snapshot file, a folder or s3:// / gs:// prefix of snapshots (the newest of each
    cluster is compared), or a findings JSON (score --format json, report --format json, an audit's
    findings.json). Snapshots are scored now, with the current catalog; a findings file is taken as it was.

    \b
    Example:
      k8seval diff reports/2026-11-01/snapshots/ reports/2026-12-01/snapshots/
      k8seval diff reports/2026-11-01/findings.json reports/2026-12-01/findings.json --format md -o diff.md
      k8seval diff s3://bank-k8seval/snapshots/ new.json --format json
    """
    diff = build_diff(old, new, list(targets) or None, policy)
    if fmt == "json":
        text = json.dumps(diff.to_dict(), indent=2, default=str) + "\n"
    elif fmt == "md":
        from ..reporting.diff import diff_markdown

        text = diff_markdown(diff)
    else:
        text = render_diff_table(diff, color=output is None and sys.stdout.isatty())
    if output is None:
        click.echo(text, nl=False)
        return
    with staged_output(output) as local:
        from ..fileio import write_text

        write_text(local, text)
    click.echo(f"wrote {output}", err=True)
