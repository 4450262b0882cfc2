"""The report context: one dataclass of lists and dicts, built once from an evaluation, read by every format.

Templates never compute: ordering, grouping, totals and the SVG charts are prepared here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog.model import Catalog
from ..findings import (
    STATUSES,
    UNKNOWN,
    Evaluation,
    Finding,
    GeneratedQuestion,
    VendorAnswers,
    reaches,
)
from ..inventory import Snapshot, parse_time
from .environment import anchor, target_label
from .sections import costs, evidence, fleet, forecasts, gaps, procurement, tradeoffs, verdicts
from .sections.dataplane import dataplane_sections

REPORT_SCHEMA = "k8seval/report/v1"


@dataclass
class ReportContext:
    """Everything a report template reads. Lists and dicts of display-ready values, plus the raw evaluation."""

    title: str
    generated_at: str
    catalog_version: str
    data_as_of: str | None
    oldest_data: str | None
    targets: list[str]
    target_labels: dict[str, str]
    clusters: list[dict[str, Any]]  # fleet rows, each with its matrix
    summary: list[dict[str, Any]]  # one per target: verdict, reason, score
    totals: dict[str, int]  # status -> number of findings
    attention: list[dict[str, Any]]  # blockers and at-risk, grouped by cluster x constraint
    forecasts: list[dict[str, Any]]
    forecast_notes: list[str]
    costs: dict[str, Any]
    tradeoffs: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    unknowns: list[dict[str, Any]]
    questions: list[dict[str, Any]] | None
    answers: list[dict[str, Any]] | None
    sources: list[dict[str, Any]]
    thresholds: dict[str, Any]
    notices: list[str] = field(default_factory=list)
    fail_on: str | None = None
    gate: dict[str, Any] | None = None
    schema: str = REPORT_SCHEMA
    evaluation: Evaluation | None = None  # for the JSON, CSV, XLSX and JUnit writers
    raw_questions: dict[str, list[GeneratedQuestion]] = field(default_factory=dict)
    raw_answers: list[VendorAnswers] = field(default_factory=list)
    since: dict[str, Any] | None = None  # "since last audit" (report --baseline): see reporting/diff.py
    dataplane: list[dict[str, Any]] = field(default_factory=list)  # NetworkPolicy load (sections/dataplane.py)

    @property
    def single(self) -> bool:
        """True when the report is about one cluster (the summary then speaks of it by name)."""
        return len(self.clusters) == 1


def build_report_context(
    evaluation: Evaluation,
    snapshots: Sequence[Snapshot],
    catalog: Catalog,
    *,
    questions: Mapping[str, Sequence[GeneratedQuestion]] | None = None,
    answers: Sequence[VendorAnswers] | None = None,
    title: str | None = None,
    notices: Sequence[str] | None = None,
    fail_on: str | None = None,
) -> ReportContext:
    """Prepare one report: fleet rows, per-cluster matrices, summaries, charts and source lists.

    ``snapshots`` may hold several snapshots of one cluster (history); the latest describes the cluster.
    ``notices`` are shown at the top of every format (e.g. "simulated cluster"). ``fail_on`` adds the
    CI gate's result.
    """
    constraints = _constraint_index(catalog, evaluation.findings)
    targets = list(evaluation.targets)
    latest = _latest_snapshots(snapshots)
    by_cluster: dict[str, list[Finding]] = defaultdict(list)
    for finding in evaluation.findings:
        by_cluster[finding.cluster].append(finding)
    fits = {(fit.cluster, fit.target): fit for fit in evaluation.fits}
    cluster_names = list(evaluation.clusters) or sorted(by_cluster)

    anchors = _unique_anchors(cluster_names)
    sources = evidence.source_rows(catalog, evaluation.findings, targets)
    refs = {s["url"]: s["ref"] for s in sources}
    clusters = [
        fleet.cluster_row(
            name, anchors[name], latest.get(name), by_cluster.get(name, []), targets, fits, constraints, refs
        )
        for name in cluster_names
    ]
    totals = {status: 0 for status in (*STATUSES, UNKNOWN)}
    for finding in evaluation.findings:
        totals[finding.status] = totals.get(finding.status, 0) + 1

    times = [snap.collected_at for snap in latest.values()]
    gate = None
    if fail_on:
        tripped = [f for f in evaluation.findings if reaches(f.status, fail_on)]
        gate = {"level": fail_on, "tripped": bool(tripped), "count": len(tripped)}

    return ReportContext(
        title=title or _default_title(cluster_names),
        generated_at=evaluation.generated_at,
        catalog_version=evaluation.catalog_version or catalog.version,
        data_as_of=max(times, key=parse_time) if times else None,
        oldest_data=min(times, key=parse_time) if times else None,
        targets=targets,
        target_labels={t: target_label(t) for t in targets},
        clusters=clusters,
        summary=[verdicts.target_summary(t, cluster_names, fits, by_cluster) for t in targets],
        totals=totals,
        attention=verdicts.attention(evaluation.findings, constraints, anchors, targets),
        forecasts=forecasts.forecast_rows(evaluation, constraints, anchors),
        forecast_notes=list(evaluation.forecast_notes),
        costs=costs.cost_section(evaluation, targets),
        tradeoffs=[
            {"aspect": row["aspect"], "values": [row["values"].get(t, "—") for t in targets], "source": row["source"]}
            for row in tradeoffs.TRADEOFFS
        ],
        gaps=gaps.gap_rows(latest, cluster_names, anchors),
        unknowns=gaps.unknown_rows(evaluation.findings, constraints, anchors),
        questions=procurement.question_rows(questions) if questions else None,
        answers=procurement.answer_rows(answers, clusters, targets) if answers else None,
        sources=sources,
        thresholds=evidence.threshold_table(catalog),
        notices=list(notices or ()),
        fail_on=fail_on,
        gate=gate,
        evaluation=evaluation,
        raw_questions={k: list(v) for k, v in (questions or {}).items()},
        raw_answers=list(answers or ()),
        dataplane=dataplane_sections(latest, evaluation.findings, cluster_names, anchors, targets),
    )


# ------------------------------------------------------------------------------------------------ helpers


def _default_title(clusters: Sequence[str]) -> str:
    if len(clusters) == 1:
        return f"Platform fit: {clusters[0]}"
    return f"Platform fit: {len(clusters)} clusters"


def _constraint_index(catalog: Catalog, findings: Sequence[Finding]) -> dict[str, dict[str, Any]]:
    """Constraint id -> {order, title, category, watch, at_risk, constraint}; ids only in findings come last."""
    index: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(catalog.constraints):
        index[c.id] = {
            "order": i,
            "title": c.title,
            "category": c.category,
            "watch": c.watch,
            "at_risk": c.at_risk,
            "constraint": c,
        }
    for f in findings:
        if f.constraint not in index:
            index[f.constraint] = {
                "order": len(index),
                "title": f.title,
                "category": f.category,
                "watch": 0.7,
                "at_risk": 0.9,
                "constraint": None,
            }
    return index


def _latest_snapshots(snapshots: Sequence[Snapshot]) -> dict[str, Snapshot]:
    latest: dict[str, Snapshot] = {}
    for snap in snapshots:
        name = snap.cluster.name
        if name not in latest or parse_time(snap.collected_at) > parse_time(latest[name].collected_at):
            latest[name] = snap
    return latest


def _unique_anchors(names: Sequence[str]) -> dict[str, str]:
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    for name in names:
        base = "c-" + anchor(name)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out[name] = base if n == 0 else f"{base}-{n + 1}"
    return out
