"""Growth forecasts: a robust linear trend per growing metric and when it crosses each target's lines.

The trend is a Theil–Sen fit (slope = median of the pairwise slopes; intercept = median of
``value - slope x time``), which one odd snapshot cannot drag. Lines come from the effective catalog:
for ``check: max`` with a numeric limit, the watch line (limit x watch), the at-risk line
(limit x at_risk) and the limit itself. Crossing dates are projected on the fitted line from the time
of the latest snapshot; a line the latest measured value already reached is marked ``already``.
Pure functions; no numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from statistics import median

from ..catalog.model import NUMERIC_KINDS, Catalog, Constraint
from ..findings import Crossing, Forecast
from ..inventory import Snapshot, parse_time
from .judge import exceeded_status, format_value, measure, target_owner
from .metrics import MetricValue

DAY = 86400.0
DAYS_PER_MONTH = 365.25 / 12
HORIZON_MONTHS = 120  # crossings further out than ten years are reported as "not within 10 years"


def theil_sen(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Robust line fit of (x, y) points: (slope, intercept). Needs two points with different x."""
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for (x2, y2) in points[i + 1 :] if x2 != x1]
    if not slopes:
        raise ValueError("a trend needs at least two points at different times")
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in points)
    return slope, intercept


def _month(date: datetime) -> str:
    return date.strftime("%Y-%m")


def _rate(slope_per_day: float, unit: str) -> str:
    per_month = slope_per_day * DAYS_PER_MONTH
    sign = "+" if per_month > 0 else "-"
    return f"{sign}{format_value(abs(per_month), unit)}/month"


def crossings_for(
    constraint: Constraint,
    targets: Sequence[str],
    *,
    slope_per_day: float,
    intercept: float,
    last_time: float,
    last_value: float,
    origin: datetime,
) -> list[Crossing]:
    """Crossings of one trend with each target's watch, at-risk and limit lines (``check: max`` only).

    Times are days since ``origin``. A line the last measured value already reached is ``already``;
    with a flat or shrinking trend other lines get no crossing at all.
    """
    out: list[Crossing] = []
    if constraint.check != "max":
        return out
    for target in targets:
        limit = constraint.limits.get(target)
        if limit is None or limit.kind not in NUMERIC_KINDS or limit.value is None or limit.value <= 0:
            continue
        lines = (
            ("watch", limit.value * constraint.watch),
            ("at-risk", limit.value * constraint.at_risk),
            (exceeded_status(limit), float(limit.value)),
        )
        for level, threshold in lines:
            # The limit line itself is crossed when the value goes over it; the fraction lines when reached.
            reached = last_value > threshold if threshold == limit.value else last_value >= threshold
            if reached:
                date = origin + timedelta(days=last_time)
                out.append(Crossing(target, level, threshold, date.date().isoformat(), 0.0, already=True))
                continue
            if slope_per_day <= 0:
                continue
            when = (threshold - intercept) / slope_per_day
            when = max(when, last_time)  # the fitted line may sit above the last value; never in the past
            months = (when - last_time) / DAYS_PER_MONTH
            if months > HORIZON_MONTHS:
                out.append(Crossing(target, level, threshold, None, None))
                continue
            date = origin + timedelta(days=when)
            out.append(Crossing(target, level, threshold, date.date().isoformat(), round(months, 1)))
    return out


def _limit_phrase(constraint: Constraint, crossing: Crossing) -> str:
    what = f"{target_owner(crossing.target)} {format_value(crossing.threshold, constraint.unit)}"
    if crossing.already:
        return f"is already past {what}"
    if crossing.date is None:
        return f"does not reach {what} within {HORIZON_MONTHS // 12} years"
    months = crossing.months or 0.0
    return f"reaches {what} {_when(months)} ({crossing.date[:7]})"


def _when(months: float) -> str:
    """How soon, in words: ``now``, ``in about a month``, ``in about 7 months`` (never "0 months")."""
    if months < 0.5:
        return "now"
    whole = max(1, round(months))
    return "in about a month" if whole == 1 else f"in about {whole} months"


def forecast_message(constraint: Constraint, slope_per_day: float, crossings: Sequence[Crossing]) -> str:
    """One sentence: the growth rate and when the trend reaches each target's limit."""
    subject = constraint.title
    # The limit line of each target: the last crossing at the limit value itself (watch/at-risk lines are below).
    last: dict[str, Crossing] = {}
    for c in crossings:
        if c.threshold == constraint.limits[c.target].value:
            last[c.target] = c
    limit_lines = list(last.values())
    if slope_per_day <= 0:
        trend = "is flat" if slope_per_day == 0 else f"is shrinking ({_rate(slope_per_day, constraint.unit)})"
        already = [c for c in limit_lines if c.already]
        tail = "; " + "; ".join(_limit_phrase(constraint, c) for c in already) if already else ""
        return f"{subject} {trend}: no crossing on the current trend{tail}"
    growth = f"{subject} grows {_rate(slope_per_day, constraint.unit)}"
    if not limit_lines:
        return f"{growth}; no target publishes a numeric limit to project against"
    return f"{growth}; it " + ", ".join(_limit_phrase(constraint, c) for c in limit_lines)


def _unforecast_note(
    cluster: str, title: str, metric: str, distinct: int, readings: list[tuple[Snapshot, MetricValue]]
) -> str:
    """Why a growing constraint has no forecast: too few points in time, or never measured (with the latest
    snapshot's reason, such as a CNI that does not use the figure)."""
    if distinct == 1:
        return f"{cluster}: {title} measured at one point in time only ({metric}), no forecast"
    latest = max(readings, key=lambda r: parse_time(r[0].collected_at))[1]
    why = f": {latest.reason}" if latest.reason else ""
    return f"{cluster}: {title} not measured in any snapshot ({metric}){why}, no forecast"


def forecast_history(
    cluster: str, snapshots: Sequence[Snapshot], catalog: Catalog, targets: Sequence[str]
) -> tuple[list[Forecast], list[str]]:
    """Forecasts for every growing constraint of one cluster's history (oldest first), and notes.

    With fewer than two distinct snapshot times there is no forecast, only a note saying so.
    """
    notes: list[str] = []
    times = sorted({parse_time(s.collected_at) for s in snapshots})
    if len(times) < 2:
        if len(snapshots) <= 1:
            notes.append(f"{cluster}: one snapshot, no forecast (collect again later to see growth)")
        else:
            notes.append(f"{cluster}: {len(snapshots)} snapshots all taken at the same time, no forecast")
        return [], notes
    origin = times[0]
    forecasts: list[Forecast] = []
    readings: dict[str, list[tuple[Snapshot, MetricValue]]] = {}
    for constraint in catalog.constraints:
        if not constraint.growing:
            continue
        # A limit may read its own metric on some targets; each distinct metric gets its own trend.
        by_metric: dict[str, list[str]] = {constraint.metric: []}
        for target in targets:
            by_metric.setdefault(constraint.metric_for(target), []).append(target)
        for metric, metric_targets in by_metric.items():
            if metric != constraint.metric and not metric_targets:
                continue
            if metric not in readings:
                readings[metric] = [(s, measure(s, metric)) for s in snapshots]
            points = [(s, m.value) for s, m in readings[metric] if m.value is not None]
            xy = [((parse_time(s.collected_at) - origin).total_seconds() / DAY, float(v)) for s, v in points]
            distinct = len({x for x, _ in xy})
            if distinct < 2:
                notes.append(_unforecast_note(cluster, constraint.title, metric, distinct, readings[metric]))
                continue
            slope, intercept = theil_sen(xy)
            last_x, last_y = xy[-1]
            crossings = crossings_for(
                constraint,
                metric_targets,
                slope_per_day=slope,
                intercept=intercept,
                last_time=last_x,
                last_value=last_y,
                origin=origin,
            )
            forecasts.append(
                Forecast(
                    cluster=cluster,
                    constraint=constraint.id,
                    metric=metric,
                    unit=constraint.unit,
                    points=[[s.collected_at, v] for s, v in points],
                    slope_per_day=slope,
                    current=last_y,
                    crossings=crossings,
                    message=f"{cluster}: " + forecast_message(constraint, slope, crossings),
                )
            )
    return forecasts, notes
