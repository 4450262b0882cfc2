"""Verdict cards and the attention list: the fit of each target across the fleet, and what to act on first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...catalog.plans import plan_words
from ...findings import (
    UNKNOWN,
    Evaluation,
    Finding,
    TargetFit,
    status_rank,
)
from ..environment import anchor, quantity, target_label

VERDICT_ORDER = {"fits": 0, "fits with work": 1, "does not fit today": 2}


def verdict_from(statuses: Sequence[str]) -> str:
    if "blocker" in statuses:
        return "does not fit today"
    if "at-risk" in statuses or "watch" in statuses or UNKNOWN in statuses:
        return "fits with work"
    return "fits"


def target_summary(
    target: str,
    clusters: Sequence[str],
    fits: Mapping[tuple[str, str], TargetFit],
    by_cluster: Mapping[str, Sequence[Finding]],
) -> dict[str, Any]:
    per: list[tuple[str, str, str, float | None, str | None]] = []
    coverage: list[float] = []
    open_core: list[str] = []
    for name in clusters:
        fit = fits.get((name, target))
        if fit:
            per.append((name, fit.verdict, fit.reason, fit.score, fit.grade))
            if fit.coverage is not None:
                coverage.append(fit.coverage)
            open_core.extend(t for t in fit.open_core if t not in open_core)
        else:
            statuses = [f.status for f in by_cluster.get(name, []) if f.target == target]
            per.append((name, verdict_from(statuses), "", None, None))
    if not per:
        return {"target": target, "label": target_label(target), "verdict": "fits", "reason": "", "score": None}
    worst = max(per, key=lambda p: (VERDICT_ORDER.get(p[1], 1), -(p[3] or 0)))
    counts = {v: sum(1 for p in per if p[1] == v) for v in VERDICT_ORDER}
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
        # Share of applicable limits checked (lowest across clusters): what the score rests on.
        "coverage": min(coverage) if coverage else None,
        "open_core": open_core,
    }


def actions(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Version-wide migration actions, once per cluster, for the summary."""
    return [
        {
            "cluster": a.cluster,
            "title": a.title,
            "status": a.status,
            "message": a.message,
            "targets": [target_label(t) for t in a.targets],
            "remediation": a.remediation,
            "sources": a.sources,
        }
        for a in evaluation.actions
    ]


def plans(evaluation: Evaluation, targets: Sequence[str]) -> list[dict[str, str]]:
    """The plan each target was scored on, in words."""
    return [
        {"target": t, "label": target_label(t), "words": plan_words(t, evaluation.plans[t])}
        for t in targets
        if evaluation.plans.get(t)
    ]


def attention(
    findings: Sequence[Finding],
    constraints: Mapping[str, Mapping[str, Any]],
    anchors: Mapping[str, str],
    targets: Sequence[str],
    *,
    focus: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Blockers and at-risk findings grouped by cluster x constraint, worst first.

    Items are ordered by their worst status on the ``focus`` targets first (the policy's targets shown
    first), so a target nobody asked about does not lead the list.
    """
    shown_first = set(focus or targets)
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
                "_key": (
                    -max((status_rank(f.status) for f in group if f.target in shown_first), default=-1),
                    -status_rank(worst.status),
                    cluster_order.get(cluster, 0),
                    constraints[cid]["order"],
                ),
            }
        )
    items.sort(key=lambda item: item["_key"])
    for item in items:
        del item["_key"]
    return items
