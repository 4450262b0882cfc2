"""Growth forecasts: when each trend crosses a target's limit, ranked by urgency, with charts for the most urgent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ...findings import (
    Evaluation,
    status_rank,
)
from ..charts import sparkline
from ..environment import anchor, quantity, target_label

# Chart labels have little room: "EKS, GKE" rather than "Amazon EKS, GKE Standard".
SHORT_LABELS = {"self-hosted": "self-hosted", "eks": "EKS", "gke": "GKE", "gke-autopilot": "Autopilot"}


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


def forecast_rows(
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
