"""``k8seval score``: check snapshots against the limits catalog per target, as a table, JSON or CSV."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import GateTripped
from ..fileio import dumps_json
from ..findings import ALL_STATUSES, Evaluation, Finding, reaches
from ..scoring.judge import format_value, target_label
from .support import (
    apply_with_policies,
    costs_option,
    fail_on_option,
    latest_option,
    load_inputs,
    policy_option,
    refuse_format_as_path,
    snapshots_argument,
    targets_option,
    with_policies_option,
)

_STYLES = {"ok": "green", "watch": "yellow", "at-risk": "dark_orange", "blocker": "bold red", "unknown": "magenta"}
_VERDICT_STYLES = {"fits": "green", "fits with work": "dark_orange", "does not fit today": "bold red"}
# Above this many clusters the terminal shows one fleet table instead of a constraint table per cluster
# (the per-constraint detail is in --format json/csv and in `k8seval report`).
FLEET_VIEW_ABOVE = 10


@click.command(name="score")
@snapshots_argument
@targets_option("Score only these targets (repeatable). Default: the policy's targets, else all.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output."
)
@fail_on_option
@policy_option
@costs_option
@latest_option
@click.option(
    "--baseline",
    type=str,
    default=None,
    help="The last audit: a findings JSON or snapshots (file, folder, s3:// / gs:// prefix); see --fail-on-new. "
    "With --format csv, adds a last column since_last_audit.",
)
@click.option(
    "--fail-on-new",
    type=click.Choice(list(ALL_STATUSES)),
    default=None,
    help="Exit 1 only when a finding that is new or worse than --baseline reaches this status.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@with_policies_option
def command(
    snapshots: tuple[str, ...],
    targets: tuple[str, ...],
    fmt: str,
    fail_on: str | None,
    policy: Path | None,
    costs: Path | None,
    latest: int | None,
    baseline: str | None,
    fail_on_new: str | None,
    output: Path | None,
    with_policies: Path | None,
) -> None:
    """Check snapshots against the documented limits of each target, with forecasts and costs.

    Several snapshots of the same cluster are its history: the latest is scored and all of them feed
    the growth forecast. --fail-on LEVEL exits 1 (after writing the output) when any finding reaches
    LEVEL.

    \b
    Example:
      k8seval score snapshots/*.json
      k8seval score prod.json --target eks --target gke --format json -o findings.json
      k8seval score prod.json --policy policy.yaml --fail-on blocker
      k8seval score s3://bank-k8seval/snapshots/ --latest 1
      k8seval score today/*.json --baseline last/findings.json --fail-on-new at-risk
      k8seval score prod.json --with-policies planned/   # today and after the planned NetworkPolicies
    """
    from ..catalog.loader import load_catalog  # the catalog is only read when scoring
    from ..fileio import write_text
    from ..scoring.cost import load_cost_assumptions
    from ..scoring.engine import evaluate, evaluation_document
    from ..scoring.metrics import METRICS
    from ..scoring.policy import load_policy

    refuse_format_as_path(output, ("table", "json", "csv"))
    if fail_on_new and not baseline:
        raise click.UsageError("--fail-on-new needs --baseline (the last audit's findings.json or snapshots)")
    loaded = apply_with_policies(load_inputs(snapshots, latest), with_policies)
    catalog = load_catalog(metrics=METRICS)
    pol = load_policy(policy, catalog) if policy else None
    assumptions = load_cost_assumptions(costs)
    evaluation = evaluate(loaded, catalog, list(targets) or None, policy=pol, costs=assumptions)
    for warning in evaluation.warnings:  # e.g. two clusters share a name: said, never merged silently
        click.echo(f"warning: {warning}", err=True)

    changes = None
    if baseline and (fail_on_new or fmt == "csv"):  # what --fail-on-new gates on, the CSV's since_last_audit
        from ..scoring.diff import diff_findings, states_from_findings
        from .diff import load_side

        _, old_states, _ = load_side(baseline, list(targets) or None, policy)
        changes = diff_findings(old_states, states_from_findings(evaluation.findings))

    if fmt == "json":
        text = dumps_json(evaluation_document(evaluation), "findings", indent=2) + "\n"
    elif fmt == "csv":
        from ..reporting.diff import since_last_audit
        from ..reporting.render import findings_csv

        text = findings_csv(
            evaluation, since_last_audit(changes, baseline) if changes is not None and baseline else None
        )
    else:
        color = output is None and sys.stdout.isatty()
        text = render_table(evaluation, color=color) + whatif_lines(loaded)
    if output is not None:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)

    if fail_on_new and changes is not None:
        from ..scoring.diff import new_or_worse

        fresh = new_or_worse(changes, fail_on_new)
        if fresh:
            first = fresh[0]
            raise GateTripped(
                f"--fail-on-new {fail_on_new}: {len(fresh)} finding(s) new or worse since {baseline} reach "
                f"{fail_on_new}, e.g. {first.cluster} on {first.target}: {first.title} "
                f"({first.old_status or 'absent'} -> {first.new_status})"
            )

    if fail_on:
        hits = [f for f in evaluation.findings if reaches(f.status, fail_on)]
        if hits:
            first = hits[0]
            raise GateTripped(
                f"--fail-on {fail_on}: {len(hits)} finding(s) reach {fail_on}, "
                f"e.g. {first.cluster} on {first.target}: {first.message}"
            )


def _cell(finding: Finding) -> str:
    status = finding.status.upper()
    value = finding.observed
    measured = isinstance(value, int | float) and not isinstance(value, bool)
    observed = format_value(float(value), finding.unit) if isinstance(value, int | float) else "not measured"
    if finding.limit_kind == "not-applicable":
        return f"{status}\n{observed} / no limit" if measured else f"{status}\nno limit"
    if finding.limit_kind == "not-published":
        return f"{status}\n{observed} / not published"
    limit = format_value(finding.limit, finding.unit) if isinstance(finding.limit, int | float) else "?"
    return f"{status}\n{observed} / {limit}"


def _print_fleet(console: Any, evaluation: Evaluation) -> None:
    """One row per cluster: verdict, score and grade per target, worst first."""
    from rich.table import Table
    from rich.text import Text

    fits = {(f.cluster, f.target): f for f in evaluation.fits}
    worst = {c: min((fits[(c, t)].score for t in evaluation.targets if (c, t) in fits), default=100.0)
             for c in evaluation.clusters}  # fmt: skip
    table = Table(title=f"Fleet: {len(evaluation.clusters)} clusters, fit per target", title_justify="left")
    table.add_column("Cluster", overflow="fold")
    for target in evaluation.targets:
        table.add_column(target_label(target))
    for cluster in sorted(evaluation.clusters, key=lambda c: (worst[c], c)):
        cells: list[Text | str] = [cluster]
        for target in evaluation.targets:
            fit = fits.get((cluster, target))
            text = f"{fit.verdict} {fit.score:.0f} {fit.grade}" if fit else ""
            cells.append(Text(text, style=_VERDICT_STYLES.get(fit.verdict, "") if fit else ""))
        table.add_row(*cells)
    console.print(table)
    console.print(
        "  Per-constraint findings for each cluster: --format json or csv, or k8seval report.", highlight=False
    )


def render_table(evaluation: Evaluation, *, color: bool = False, width: int = 140) -> str:
    """The terminal view: one table per cluster (a fleet table above FLEET_VIEW_ABOVE clusters), then fit per
    target, forecasts and costs."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    # markup=False: cluster names and server messages are text, never Rich markup (a [link=...] would be live).
    console = Console(
        file=buffer, width=width, color_system="auto" if color else None, force_terminal=color, markup=False
    )
    targets = evaluation.targets
    fleet = len(evaluation.clusters) > FLEET_VIEW_ABOVE
    if fleet:
        _print_fleet(console, evaluation)
    else:
        by_cell: dict[tuple[str, str, str], Finding] = {}
        rows: dict[str, dict[tuple[str, str], None]] = {}  # cluster -> (constraint, title) in first-seen order
        for f in evaluation.findings:
            by_cell[(f.cluster, f.constraint, f.target)] = f
            rows.setdefault(f.cluster, {})[(f.constraint, f.title)] = None
        for cluster in evaluation.clusters:
            table = Table(title=f"{cluster}: findings per target", show_lines=True, title_justify="left")
            table.add_column("Constraint")
            for target in targets:
                table.add_column(target_label(target))
            for constraint, title in rows.get(cluster, {}):
                cells: list[Text | str] = [title]
                for target in targets:
                    finding = by_cell.get((cluster, constraint, target))
                    if finding is None:
                        cells.append("")
                        continue
                    cells.append(Text(_cell(finding), style=_STYLES.get(finding.status, "")))
                table.add_row(*cells)
            console.print(table)

        fits = Table(title="Fit per target", title_justify="left")
        for name in ("Cluster", "Target", "Score", "Grade", "Verdict", "Reason"):
            fits.add_column(name, overflow="fold")
        for fit in evaluation.fits:
            fits.add_row(fit.cluster, target_label(fit.target), f"{fit.score:.0f}", fit.grade, fit.verdict, fit.reason)
        console.print(fits)

    if fleet:
        crossing = sum(1 for f in evaluation.forecasts if any(c.date for c in f.crossings))
        console.print(
            f"Forecasts: {len(evaluation.forecasts)} growing metrics, {crossing} crossing a line "
            "(see --format json or k8seval report)",
            highlight=False,
        )
    elif evaluation.forecasts or evaluation.forecast_notes:
        console.print("Forecasts", style="bold")
        for forecast in evaluation.forecasts:
            console.print(f"  {forecast.message}", highlight=False)
        for note in evaluation.forecast_notes:
            console.print(f"  {note}", highlight=False)

    if evaluation.costs:
        regions = (evaluation.cost_analysis or {}).get("regions", {})
        where = ", ".join(f"{p} {r}" for p, r in regions.items())
        costs = Table(title=f"Cost per month (USD; prices {where}; + gaps: some lines unpriced)", title_justify="left")
        costs.add_column("Cluster")
        for target in targets:
            costs.add_column(target_label(target), justify="right")
        totals = {(c.cluster, c.target): c for c in evaluation.costs}

        def cell(est: Any) -> str:
            if est is None:
                return "-"
            return f"{est.monthly_usd:,.2f}" + ("" if est.complete else " + gaps")

        for cluster in evaluation.clusters:
            costs.add_row(cluster, *[cell(totals.get((cluster, t))) for t in targets])
        console.print(costs)
        decision = (evaluation.cost_analysis or {}).get("decision")
        if decision:
            console.print(f"  {decision}.", highlight=False)
        for target, entry in evaluation.break_even.items():
            if target in targets and isinstance(entry, dict) and entry.get("message"):
                console.print(f"  Break-even ({target_label(target)}): {entry['message']}.", highlight=False)
        console.print(
            "  Assumptions: "
            + str(evaluation.cost_assumptions.get("source_file", "defaults"))
            + " (prices with sources and dates in --format json)",
            highlight=False,
        )
    return buffer.getvalue()


def whatif_lines(snapshots: list[Any]) -> str:
    """Before/after lines of each --with-policies what-if (empty without one)."""
    lines = []
    for snap in snapshots:
        what = (snap.network_policies.dataplane or {}).get("what_if")
        if not what:
            continue
        before, after = what.get("before") or {}, what.get("after") or {}
        kinds = ", ".join(f"{k} {n}" for k, n in (what.get("planned_kinds") or {}).items())
        lines.append(f"What-if {snap.cluster.name}: {what['policies_added']} policies added, "
                     f"{what['policies_replaced']} replaced" + (f" ({kinds})" if kinds else ""))  # fmt: skip
        for label, key in (
            ("EKS port entries per pod and peer (limit 24)", "eks_entries_per_peer_max"),
            ("EKS pods over 24 entries", "eks_pods_over_entry_limit"),
            ("EKS peer keys per pod (limit 65,536)", "eks_peer_keys_max"),
            ("Cilium policy-map entries per pod (default 16,384)", "cilium_policy_map_entries_max"),
            ("Calico largest selector IP set", "calico_max_ipset_members"),
            ("policies selecting one pod", "policies_per_pod_max"),
        ):
            lines.append(f"  {label}: {before.get(key)} -> {after.get(key)}")
        for vendor, row in sorted(((snap.network_policies.dataplane or {}).get("cni_policies") or {}).items()):
            if row.get("not_analysed"):
                examples = "; ".join(row.get("not_analysed_examples") or [])
                lines.append(f"  {vendor} policy objects not analysed: {row['not_analysed']} ({examples})")
        for top in after.get("eks_top") or []:
            lines.append(
                f"  busiest on EKS after: {top['namespace']}/{top['workload']} needs {top['value']} entries for peer "
                f"{top.get('peer')} ({top.get('direction')}); policies: {', '.join(top.get('policies') or [])}"
            )
    return "\n".join(lines) + ("\n" if lines else "")
