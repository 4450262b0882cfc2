"""The report context: one dataclass of lists and dicts, built once from an evaluation, read by every format.

Templates never compute: ordering, grouping, totals and the SVG charts are prepared here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..catalog.model import Catalog, Constraint
from ..findings import (
    STATUSES,
    TARGETS,
    UNKNOWN,
    Evaluation,
    Finding,
    GeneratedQuestion,
    TargetFit,
    VendorAnswers,
    reaches,
    status_rank,
)
from ..inventory import Snapshot, parse_time
from ..questionnaire_facts import VENDOR_TARGETS
from .charts import cost_bars, sparkline
from .environment import anchor, date, num, quantity, target_label, usd

REPORT_SCHEMA = "k8seval/report/v1"

VENDOR_LABELS = {"eks": "AWS (Amazon EKS)", "gke": "Google Cloud (GKE)"}

# Chart labels have little room: "EKS, GKE" rather than "Amazon EKS, GKE Standard".
SHORT_LABELS = {"self-hosted": "self-hosted", "eks": "EKS", "gke": "GKE", "gke-autopilot": "Autopilot"}

_VERDICT_ORDER = {"fits": 0, "fits with work": 1, "does not fit today": 2}

# What each target takes away or gives, beyond the numeric limits. Facts from the sources cited per row
# (checked November 2026; the reference sheet shared with the catalog, sections 3.3, 3.7, 3.8, 4.4-4.7, 6.2).
TRADEOFFS: list[dict[str, Any]] = [
    {
        "aspect": "etcd access",
        "values": {
            "self-hosted": "Full: read keys, defragment, snapshot and restore, "
            "set --quota-backend-bytes (default 2 GiB).",
            "eks": "None; AWS runs etcd. Database limit 8 GiB on the Standard control plane, 16 GB on Provisioned.",
            "gke": "None; Google runs etcd. The size limit is not published as a number; GKE raises an "
            "ETCD_DB_USAGE_APPROACHING_LIMIT insight.",
            "gke-autopilot": "None, as GKE Standard.",
        },
        "source": "https://docs.aws.amazon.com/eks/latest/best-practices/scale-control-plane.html",
    },
    {
        "aspect": "Control-plane flags",
        "values": {
            "self-hosted": "Any apiserver, controller-manager, scheduler and etcd flag, "
            "feature gates and admission plugins.",
            "eks": "Upstream defaults. From 1.31 only a few settings: scheduler scoring strategy, eventTtl, "
            "serviceNodePortRange, HPA sync period (Provisioned only). Alpha features are not supported.",
            "gke": "Not customer-configurable; features are turned on through cluster options.",
            "gke-autopilot": "Not customer-configurable; Google also manages nodes and their settings.",
        },
        "source": "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-configuration.html",
    },
    {
        "aspect": "Upgrades and support window",
        "values": {
            "self-hosted": "About 14 months of upstream patches per minor version; no extended support. "
            "Upgrading every few months is the operator's job.",
            "eks": "14 months standard support, then 12 months extended "
            "(on by default, $0.60 per cluster-hour in total). "
            "After extended support the control plane is upgraded automatically.",
            "gke": "About 14 months standard plus about 10 months on the Extended channel. "
            "Automatic control-plane upgrades; forced upgrades at end of support.",
            "gke-autopilot": "Must be enrolled in a release channel; automatic upgrades of control plane and nodes.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/docs/concepts/release-channels",
    },
    {
        "aspect": "Control-plane fee",
        "values": {
            "self-hosted": "No fee; you pay for control-plane machines, etcd disks and the people who run them.",
            "eks": "$0.10 per cluster-hour in standard support; $0.60 in extended support.",
            "gke": "$0.10 per cluster-hour; a $74.40 monthly credit per billing account.",
            "gke-autopilot": "$0.10 per cluster-hour; workloads billed per Pod resource request.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/pricing",
    },
    {
        "aspect": "Control-plane availability",
        "values": {
            "self-hosted": "What you build and operate; no third-party SLA.",
            "eks": "Vendor SLA; 99.99% in 1-minute intervals with the Provisioned Control Plane.",
            "gke": "99.95% for regional clusters; 99.5% for zonal clusters.",
            "gke-autopilot": "99.95% control plane; 99.9% for Pods spread over several zones.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/sla",
    },
    {
        "aspect": "Pods per node",
        "values": {
            "self-hosted": "Your choice (kubelet default 110).",
            "eks": "Set by the VPC CNI from the instance type's network interfaces, unless prefix delegation is used.",
            "gke": "Up to 256 (default 110), fixed when the node pool is created.",
            "gke-autopilot": "Preset by Google (32 in the versions documented); not configurable.",
        },
        "source": "https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr",
    },
]


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
    sources = _sources(catalog, evaluation.findings, targets)
    refs = {s["url"]: s["ref"] for s in sources}
    clusters = [
        _cluster_row(name, anchors[name], latest.get(name), by_cluster.get(name, []), targets, fits, constraints, refs)
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
        summary=[_target_summary(t, cluster_names, fits, by_cluster) for t in targets],
        totals=totals,
        attention=_attention(evaluation.findings, constraints, anchors, targets),
        forecasts=_forecasts(evaluation, constraints, anchors),
        forecast_notes=list(evaluation.forecast_notes),
        costs=_costs(evaluation, targets),
        tradeoffs=[
            {"aspect": row["aspect"], "values": [row["values"].get(t, "—") for t in targets], "source": row["source"]}
            for row in TRADEOFFS
        ],
        gaps=_gaps(latest, cluster_names, anchors),
        unknowns=_unknowns(evaluation.findings, constraints, anchors),
        questions=_questions(questions) if questions else None,
        answers=_answers(answers, clusters, targets) if answers else None,
        sources=sources,
        thresholds=_thresholds(catalog),
        notices=list(notices or ()),
        fail_on=fail_on,
        gate=gate,
        evaluation=evaluation,
        raw_questions={k: list(v) for k, v in (questions or {}).items()},
        raw_answers=list(answers or ()),
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


def _worst(statuses: Sequence[str]) -> str:
    if not statuses:
        return UNKNOWN
    known = [s for s in statuses if s != UNKNOWN]
    if not known:
        return UNKNOWN
    worst = max(known, key=status_rank)
    # An unknown beside only ok findings is worth a look: say watch-level attention via "unknown".
    if worst == "ok" and len(known) != len(statuses):
        return UNKNOWN
    return worst


def _sort_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return f"{float(value):.6g}"
    return "" if value is None else str(value)


def _cluster_row(
    name: str,
    anchor_id: str,
    snap: Snapshot | None,
    findings: Sequence[Finding],
    targets: Sequence[str],
    fits: Mapping[tuple[str, str], TargetFit],
    constraints: Mapping[str, Mapping[str, Any]],
    refs: Mapping[str, int],
) -> dict[str, Any]:
    cells: dict[tuple[str, str], Finding] = {(f.constraint, f.target): f for f in findings}
    ids = sorted({f.constraint for f in findings}, key=lambda cid: constraints[cid]["order"])
    rows = []
    for cid in ids:
        info = constraints[cid]
        row_findings = [cells[(cid, t)] for t in targets if (cid, t) in cells]
        observed_values = {_sort_value(f.observed) for f in row_findings}
        first = row_findings[0]
        shared = len(observed_values) == 1
        row_cells = []
        for t in targets:
            f = cells.get((cid, t))
            if f is None:
                row_cells.append({"target": t, "status": UNKNOWN, "present": False})
                continue
            row_cells.append(
                {
                    "target": t,
                    "present": True,
                    "status": f.status,
                    "rank": status_rank(f.status) if f.status != UNKNOWN else -1,
                    "limit": quantity(f.limit, f.unit) if f.limit is not None else _kind_text(f.limit_kind),
                    "limit_kind": f.limit_kind,
                    "observed": quantity(f.observed, f.unit),
                    "utilisation": f.utilisation,
                    "used_pct": None if f.utilisation is None else round(min(max(f.utilisation, 0.0), 1.0) * 100, 1),
                    "over": bool(f.utilisation is not None and f.utilisation > 1),
                    "headroom": None if f.headroom is None else quantity(f.headroom, f.unit),
                    "source": f.source,
                    "source_ref": refs.get(f.source),
                    "verified": f.verified,
                    "message": f.message,
                }
            )
        statuses = [f.status for f in row_findings]
        rows.append(
            {
                "id": cid,
                "anchor": f"{anchor_id}-{anchor(cid)}",
                "title": info["title"],
                "category": info["category"],
                "unit": first.unit,
                "observed": quantity(first.observed, first.unit) if shared else "varies by target",
                "observed_sort": _sort_value(first.observed) if shared else "",
                "observed_shared": shared,
                "watch": info["watch"],
                "at_risk": info["at_risk"],
                "worst": _worst(statuses),
                "statuses": " ".join(sorted(set(statuses))),
                "cells": row_cells,
                "remediation": first.remediation,
            }
        )
    per_target = []
    for t in targets:
        fit = fits.get((name, t))
        target_statuses = [f.status for f in findings if f.target == t]
        counts = fit.counts if fit else _count(target_statuses)
        per_target.append(
            {
                "target": t,
                "verdict": fit.verdict if fit else _verdict_from(target_statuses),
                "reason": fit.reason if fit else "",
                "score": fit.score if fit else None,
                "grade": fit.grade if fit else None,
                "blockers": counts.get("blocker", 0),
                "at_risk": counts.get("at-risk", 0),
                "worst": _worst(target_statuses),
                "counts": counts,
            }
        )
    info_rows: list[dict[str, str]] = []
    if snap is not None:
        c = snap.cluster
        info_rows = [
            {"label": "Platform", "value": c.platform},
            {"label": "Kubernetes", "value": c.version or "—"},
            {"label": "Nodes", "value": num(snap.nodes.count)},
            {"label": "Pods", "value": num(snap.objects.get("pods"))},
            {"label": "Namespaces", "value": num(snap.namespaces)},
            {"label": "NetworkPolicies", "value": num(snap.network_policies.count)},
            {"label": "etcd database", "value": quantity(snap.etcd.db_size_bytes, "bytes")},
            {"label": "Collected", "value": date(snap.collected_at, "datetime")},
        ]
        where = ", ".join(x for x in (c.provider, c.account, c.region) if x)
        if where:
            info_rows.insert(1, {"label": "Location", "value": where})
    worst_overall = _worst([f.status for f in findings])
    return {
        "name": name,
        "anchor": anchor_id,
        "platform": snap.cluster.platform if snap else "unknown",
        "version": snap.cluster.version if snap and snap.cluster.version else "—",
        "nodes": snap.nodes.count if snap else None,
        "pods": snap.objects.get("pods") if snap else None,
        "collected_at": snap.collected_at if snap else None,
        "gap_count": len(snap.gaps) if snap else 0,
        "collection": {"duration_seconds": snap.collection.duration_seconds, "requests": snap.collection.requests}
        if snap
        else {},
        "info": info_rows,
        "targets": per_target,
        "worst": worst_overall,
        "statuses": " ".join(sorted({f.status for f in findings})),
        "rows": rows,
    }


def _kind_text(kind: str) -> str:
    return {"not-published": "not published", "not-applicable": "n/a"}.get(kind, "—")


def _count(statuses: Sequence[str]) -> dict[str, int]:
    counts = {s: 0 for s in (*STATUSES, UNKNOWN)}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return counts


def _verdict_from(statuses: Sequence[str]) -> str:
    if "blocker" in statuses:
        return "does not fit today"
    if "at-risk" in statuses or "watch" in statuses or UNKNOWN in statuses:
        return "fits with work"
    return "fits"


def _target_summary(
    target: str,
    clusters: Sequence[str],
    fits: Mapping[tuple[str, str], TargetFit],
    by_cluster: Mapping[str, Sequence[Finding]],
) -> dict[str, Any]:
    per: list[tuple[str, str, str, float | None, str | None]] = []
    for name in clusters:
        fit = fits.get((name, target))
        if fit:
            per.append((name, fit.verdict, fit.reason, fit.score, fit.grade))
        else:
            statuses = [f.status for f in by_cluster.get(name, []) if f.target == target]
            per.append((name, _verdict_from(statuses), "", None, None))
    if not per:
        return {"target": target, "label": target_label(target), "verdict": "fits", "reason": "", "score": None}
    worst = max(per, key=lambda p: (_VERDICT_ORDER.get(p[1], 1), -(p[3] or 0)))
    counts = {v: sum(1 for p in per if p[1] == v) for v in _VERDICT_ORDER}
    scores = [p[3] for p in per if p[3] is not None]
    if len(per) == 1:
        reason = worst[2]
    else:
        parts = [f"{counts['fits']} of {len(per)} clusters fit"]
        if counts["fits with work"]:
            parts.append(f"{counts['fits with work']} fit{'s' if counts['fits with work'] == 1 else ''} with work")
        if counts["does not fit today"]:
            n = counts["does not fit today"]
            parts.append(f"{n} do{'es' if n == 1 else ''} not fit today")
        reason = ", ".join(parts) + "."
        if worst[1] != "fits" and worst[2]:
            reason += f" Hardest: {worst[0]}: {worst[2]}"
    return {
        "target": target,
        "label": target_label(target),
        "verdict": worst[1],
        "reason": reason,
        "score": (sum(scores) / len(scores)) if scores else None,
        "lowest_score": min(scores) if scores else None,
        "grade": worst[4] if len(per) == 1 else None,
        "grades": sorted({p[4] for p in per if p[4]}),
        "verdict_counts": counts,
        "clusters": len(per),
    }


def _attention(
    findings: Sequence[Finding],
    constraints: Mapping[str, Mapping[str, Any]],
    anchors: Mapping[str, str],
    targets: Sequence[str],
) -> list[dict[str, Any]]:
    """Blockers and at-risk findings grouped by cluster x constraint, worst first."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status in ("blocker", "at-risk"):
            groups[(f.cluster, f.constraint)].append(f)
    cluster_order = {name: i for i, name in enumerate(anchors)}
    items = []
    for (cluster, cid), group in groups.items():
        group.sort(key=lambda f: targets.index(f.target) if f.target in targets else 99)
        worst = max(group, key=lambda f: status_rank(f.status))
        sources: list[dict[str, str]] = []
        for f in group:
            if f.source and f.source not in [s["url"] for s in sources]:
                sources.append({"url": f.source, "verified": f.verified})
        items.append(
            {
                "cluster": cluster,
                "cluster_anchor": anchors.get(cluster, "c-" + anchor(cluster)),
                "anchor": f"{anchors.get(cluster, 'c-' + anchor(cluster))}-{anchor(cid)}",
                "constraint": cid,
                "title": constraints[cid]["title"],
                "status": worst.status,
                "observed": quantity(worst.observed, worst.unit),
                "targets": [
                    {
                        "target": f.target,
                        "label": target_label(f.target),
                        "status": f.status,
                        "limit": quantity(f.limit, f.unit),
                    }
                    for f in group
                ],
                "message": worst.message,
                "remediation": worst.remediation,
                "sources": sources,
                "_key": (-status_rank(worst.status), cluster_order.get(cluster, 0), constraints[cid]["order"]),
            }
        )
    items.sort(key=lambda item: item["_key"])
    for item in items:
        del item["_key"]
    return items


def _crossing_text(crossing: Any) -> str:
    if crossing.already:
        return "already past"
    if crossing.date is None:
        return "not on the current trend"
    months = f"in {crossing.months:.1f} months" if crossing.months is not None else ""
    return f"{months} ({crossing.date})".strip()


def _passed_text(passed: Any, shown: Any, unit: str) -> str:
    if passed is None or shown.already:
        return ""
    return f"; already past its {passed.level} line ({quantity(passed.threshold, unit)})"


MAX_FORECAST_CHARTS = 60  # a fleet gets charts for the most urgent trends; the rest are a table row each


def _urgency(fc: Any) -> tuple[int, float]:
    """Sort key: already past a line first, then the soonest at-risk or blocker crossing, then the rest."""
    months = [
        0.0 if c.already else c.months
        for c in fc.crossings
        if c.level in ("at-risk", "blocker") and (c.already or c.months is not None)
    ]
    return (0, min(months)) if months else (1, -fc.slope_per_day)


def _forecasts(
    evaluation: Evaluation, constraints: Mapping[str, Mapping[str, Any]], anchors: Mapping[str, str]
) -> list[dict[str, Any]]:
    order = {id(fc): n for n, fc in enumerate(sorted(evaluation.forecasts, key=_urgency))}
    out = []
    for fc in evaluation.forecasts:
        # Per target, the line worth drawing is the highest level (the limit itself); on a tie, the further
        # line. A lower line already passed is mentioned beside it.
        best: dict[str, Any] = {}
        passed: dict[str, Any] = {}
        for c in fc.crossings:
            cur = best.get(c.target)
            if cur is None or (status_rank(c.level), c.threshold) >= (status_rank(cur.level), cur.threshold):
                best[c.target] = c
            if c.already:
                passed[c.target] = c
        grouped: dict[float, list[str]] = defaultdict(list)
        for target, c in best.items():
            grouped[float(c.threshold)].append(SHORT_LABELS.get(target, target))
        thresholds = [(", ".join(labels), value) for value, labels in grouped.items()]
        info = constraints.get(fc.constraint, {"title": fc.constraint})
        out.append(
            {
                "cluster": fc.cluster,
                "cluster_anchor": anchors.get(fc.cluster, "c-" + anchor(fc.cluster)),
                "constraint": fc.constraint,
                "title": info["title"],
                "unit": fc.unit,
                "current": quantity(fc.current, fc.unit),
                "per_month": quantity(fc.slope_per_day * 30.44, fc.unit),
                "growing": fc.slope_per_day > 0,
                "points": len(fc.points),
                "first": fc.points[0][0] if fc.points else None,
                "last": fc.points[-1][0] if fc.points else None,
                "message": fc.message,
                "_id": id(fc),
                "chart": order[id(fc)] < MAX_FORECAST_CHARTS,
                "svg": sparkline(fc.points, slope_per_day=fc.slope_per_day, thresholds=thresholds, unit=fc.unit)
                if order[id(fc)] < MAX_FORECAST_CHARTS
                else Markup(""),
                "crossings": [
                    {
                        "target": c.target,
                        "label": target_label(c.target),
                        "level": c.level,
                        "threshold": quantity(c.threshold, fc.unit),
                        "when": _crossing_text(c) + _passed_text(passed.get(c.target), c, fc.unit),
                        "date": c.date,
                        "months": c.months,
                        "already": c.already,
                    }
                    for c in sorted(
                        best.values(),
                        key=lambda c: (not c.already, c.months if c.months is not None else 1e9),
                    )
                ],
            }
        )
    out.sort(key=lambda row: order[row.pop("_id")])
    return out


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float):
        return num(value, 2) if not value.is_integer() else num(value)
    if isinstance(value, bool) or isinstance(value, int):
        return num(value)
    return "—" if value is None else str(value)


def _is_price(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value and "unit" in value


def _assumptions(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Cost assumptions as readable rows: prices with unit, source and checked date; settings; notes.

    Long reference tables (a version calendar) are summarised to one row with their source.
    """
    rows: list[dict[str, str]] = []

    def row(key: str, value: str, *, note: str = "", source: str = "", verified: str = "") -> None:
        rows.append({"key": key, "value": value, "note": note, "source": source, "verified": verified})

    def price_row(key: str, price: Mapping[str, Any]) -> None:
        row(
            key,
            f"{_plain(price['value'])} {price['unit']}",
            note=str(price.get("note") or ""),
            source=str(price.get("source") or ""),
            verified=str(price.get("verified") or "not confirmed"),
        )

    for section, body in data.items():
        if section in ("schema", "source_file", "notes"):
            continue
        if _is_price(body):
            price_row(section, body)
            continue
        if not isinstance(body, Mapping):
            row(section, _plain(body))
            continue
        if "versions" in body and isinstance(body["versions"], Mapping):
            row(section, f"calendar of {len(body['versions'])} versions", source=str(body.get("source") or ""))
            continue
        for key, value in body.items():
            name = f"{section}.{key}"
            if key == "note":
                row(section, "", note=str(value))
            elif _is_price(value):
                price_row(name, value)
            elif isinstance(value, Mapping):
                row(name, ", ".join(f"{k} {_plain(v)}" for k, v in value.items()))
            else:
                row(name, _plain(value))
    notes = data.get("notes")
    for note in notes if isinstance(notes, list) else ([notes] if notes else []):
        row("note", "", note=str(note))
    if data.get("source_file"):
        row("file", str(data["source_file"]))
    return rows


def _break_even(data: Mapping[str, Any], targets: Sequence[str]) -> list[dict[str, str]]:
    """One row per managed target compared: the engineer-time threshold sentence and which option is cheaper."""
    rows = []
    for target, body in data.items():
        if target in TARGETS and target not in targets:
            continue
        if isinstance(body, Mapping):
            fte = body.get("fleet_fte")
            rows.append(
                {
                    "key": target_label(str(target)),
                    "value": str(body.get("message") or _plain(body)),
                    "cheaper": target_label(str(body.get("cheaper") or "")),
                    "fte": "—" if fte is None else num(fte, 2),
                }
            )
        else:
            rows.append({"key": target_label(str(target)), "value": _plain(body), "cheaper": "", "fte": "—"})
    return rows


def _costs(evaluation: Evaluation, targets: Sequence[str]) -> dict[str, Any]:
    if not evaluation.costs:
        return {
            "present": False,
            "totals": [],
            "rows": [],
            "lines": [],
            "svg": Markup(""),
            "assumptions": _assumptions(evaluation.cost_assumptions),
            "break_even": _break_even(evaluation.break_even, targets),
        }
    by_target: dict[str, float] = defaultdict(float)
    table: dict[str, dict[str, float]] = defaultdict(dict)
    lines: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    notes: list[str] = []
    for est in evaluation.costs:
        by_target[est.target] += est.monthly_usd
        table[est.cluster][est.target] = est.monthly_usd
        for line in est.lines:
            agg = lines[est.target].setdefault(
                line.item, {"item": line.item, "monthly": 0.0, "basis": line.basis, "source": line.source, "n": 0}
            )
            agg["monthly"] += line.monthly_usd
            agg["n"] += 1
            if agg["basis"] != line.basis:
                agg["basis"] = "varies by cluster"
        for note in est.notes:
            if note not in notes:
                notes.append(note)
    ordered = [t for t in targets if t in by_target] + [t for t in by_target if t not in targets]
    totals: list[dict[str, Any]] = [
        {"target": t, "label": target_label(t), "monthly": by_target[t], "yearly": by_target[t] * 12} for t in ordered
    ]
    cheapest = min(totals, key=lambda row: row["monthly"]) if totals else None
    return {
        "present": True,
        "totals": totals,
        "cheapest": cheapest,
        "rows": [
            {
                "cluster": cluster,
                "values": [usd(table[cluster].get(t)) if t in table[cluster] else "—" for t in ordered],
            }
            for cluster in table
        ],
        "columns": [target_label(t) for t in ordered],
        "lines": [
            {"target": t, "label": target_label(t), "lines": list(lines[t].values()), "total": by_target[t]}
            for t in ordered
        ],
        "notes": notes,
        "svg": cost_bars([(target_label(t), by_target[t]) for t in ordered]),
        "assumptions": _assumptions(evaluation.cost_assumptions),
        "break_even": _break_even(evaluation.break_even, targets),
    }


def _gaps(latest: Mapping[str, Snapshot], clusters: Sequence[str], anchors: Mapping[str, str]) -> list[dict[str, Any]]:
    out = []
    for name in clusters:
        snap = latest.get(name)
        if snap is None:
            continue
        for gap in snap.gaps:
            out.append(
                {
                    "cluster": name,
                    "cluster_anchor": anchors[name],
                    "source": gap.source,
                    "item": gap.item,
                    "reason": gap.reason,
                }
            )
    return out


def _unknowns(
    findings: Sequence[Finding], constraints: Mapping[str, Mapping[str, Any]], anchors: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Constraints that could not be scored, per cluster, with the reason (one row for all targets affected)."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status == UNKNOWN:
            groups[(f.cluster, f.constraint)].append(f)
    cluster_order = {name: i for i, name in enumerate(anchors)}
    out = []
    for (cluster, cid), group in groups.items():
        out.append(
            {
                "cluster": cluster,
                "cluster_anchor": anchors.get(cluster, "c-" + anchor(cluster)),
                "constraint": cid,
                "title": constraints[cid]["title"],
                "targets": ", ".join(target_label(f.target) for f in group),
                "reason": group[0].message,
            }
        )
    out.sort(key=lambda row: (cluster_order.get(row["cluster"], 0), constraints[row["constraint"]]["order"]))
    return out


def _questions(questions: Mapping[str, Sequence[GeneratedQuestion]]) -> list[dict[str, Any]]:
    out = []
    for vendor, items in questions.items():
        ordered = sorted(items, key=lambda q: (q.priority, -q.weight, q.id))
        domains: dict[str, int] = defaultdict(int)
        for q in items:
            domains[q.domain] += 1
        out.append(
            {
                "vendor": vendor,
                "label": VENDOR_LABELS.get(vendor, vendor),
                "count": len(items),
                "gates": sum(1 for q in items if q.gate),
                "domains": [{"domain": d, "count": n} for d, n in sorted(domains.items())],
                "top": [
                    {
                        "id": q.id,
                        "domain": q.domain,
                        "title": q.title,
                        "text": q.text,
                        "why": q.why,
                        "gate": q.gate,
                        "priority": q.priority,
                        "regulatory": ", ".join(q.regulatory),
                    }
                    for q in ordered[:8]
                ],
            }
        )
    return out


def _answers(
    answers: Sequence[VendorAnswers], clusters: Sequence[Mapping[str, Any]], targets: Sequence[str]
) -> list[dict[str, Any]]:
    out = []
    for sheet in answers:
        measured = []
        # The measured targets a vendor's answers speak for (a sheet named after a target speaks for it).
        for t in VENDOR_TARGETS.get(sheet.vendor, (sheet.vendor,)):
            if t not in targets:
                continue
            verdicts = [row for c in clusters for row in c["targets"] if row["target"] == t]
            fits = sum(1 for v in verdicts if v["verdict"] == "fits")
            measured.append({"target": t, "label": target_label(t), "fits": fits, "clusters": len(verdicts)})
        out.append(
            {
                "vendor": sheet.vendor,
                "label": VENDOR_LABELS.get(sheet.vendor, sheet.vendor),
                "source_file": sheet.source_file,
                "overall": sheet.overall,
                "passed_gates": sheet.passed_gates,
                "gates_failed": list(sheet.gates_failed),
                "answered": sheet.answered,
                "total": sheet.total,
                "unanswered": list(sheet.unanswered),
                "domains": [
                    {
                        "domain": d.domain,
                        "score": d.score,
                        "answered": d.answered,
                        "total": d.total,
                        "gates_failed": list(d.gates_failed),
                        "pct": None if d.score is None else round(d.score / 4 * 100),
                    }
                    for d in sheet.domains
                ],
                "measured": measured,
            }
        )
    return out


def _sources(catalog: Catalog, findings: Sequence[Finding], targets: Sequence[str]) -> list[dict[str, Any]]:
    used = {f.constraint for f in findings} or set(catalog.ids)
    by_url: dict[str, dict[str, Any]] = {}
    for c in catalog.constraints:
        if c.id not in used:
            continue
        for target, limit in c.limits.items():
            if not limit.source or target not in targets:
                continue
            entry = by_url.setdefault(limit.source, {"url": limit.source, "verified": limit.verified, "cites": {}})
            entry["verified"] = max(entry["verified"], limit.verified)
            entry["cites"].setdefault(c.title, []).append(target_label(target))
    # Sources named by findings but missing from the catalog (a policy override) are still listed.
    for f in findings:
        if f.source and f.source not in by_url:
            by_url[f.source] = {"url": f.source, "verified": f.verified, "cites": {f.title: [target_label(f.target)]}}
    out = []
    for entry in by_url.values():
        cites = "; ".join(f"{title} ({', '.join(dict.fromkeys(tl))})" for title, tl in entry["cites"].items())
        out.append({"url": entry["url"], "verified": entry["verified"], "cites": cites})
    out.sort(key=lambda e: e["url"])
    for i, entry in enumerate(out, start=1):
        entry["ref"] = i
    return out


def _thresholds(catalog: Catalog) -> dict[str, Any]:
    watch = sorted({c.watch for c in catalog.constraints})
    at_risk = sorted({c.at_risk for c in catalog.constraints})
    common: Constraint | None = catalog.constraints[0] if catalog.constraints else None
    return {
        "watch": watch,
        "at_risk": at_risk,
        "default_watch": common.watch if common else 0.7,
        "default_at_risk": common.at_risk if common else 0.9,
        "constraints": len(catalog.constraints),
    }
