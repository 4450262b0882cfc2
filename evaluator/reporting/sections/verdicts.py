"""Verdict cards and the attention list: the fit of each target across the fleet, and what to act on first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...findings import (
    UNKNOWN,
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
    for name in clusters:
        fit = fits.get((name, target))
        if fit:
            per.append((name, fit.verdict, fit.reason, fit.score, fit.grade))
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
    }


def attention(
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
