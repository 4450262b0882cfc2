"""k8seval's measurements as metrics: per cluster, target and constraint the observed value, the limit, the
headroom and the status, plus fit scores, forecast crossings and collection health.

The text is valid OpenMetrics (ends in ``# EOF``; gauges only, no timestamps) and, read as the Prometheus text
format, what the node-exporter textfile collector and the Pushgateway accept (``promtool check metrics``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..findings import ALL_STATUSES, Evaluation, Finding
from ..inventory import parse_time
from .context import ReportContext

# Status levels as numbers, for alert thresholds (unknown is -1: never silently ok)
STATUS_LEVEL = {"ok": 0, "watch": 1, "at-risk": 2, "blocker": 3, "unknown": -1}

FAMILIES: tuple[tuple[str, str], ...] = (
    ("k8seval_constraint_observed", "The measured value of a constraint's metric, in the constraint's unit."),
    ("k8seval_constraint_limit", "The target's documented limit for the constraint, in the constraint's unit."),
    ("k8seval_constraint_utilisation_ratio", "Observed divided by limit."),
    ("k8seval_constraint_headroom_ratio", "Share of the limit still free: (limit - observed) / limit."),
    ("k8seval_constraint_status", "1 for the constraint's current status on the target, 0 for the others."),
    ("k8seval_constraint_status_level", "Status as a number: ok 0, watch 1, at-risk 2, blocker 3, unknown -1."),
    ("k8seval_fit_score", "Fit score of the cluster on the target, 0 to 100."),
    (
        "k8seval_forecast_crossing_timestamp_seconds",
        "When the trend crosses the target's watch, at-risk or limit line (UNIX seconds; past: already crossed).",
    ),
    ("k8seval_collection_duration_seconds", "Seconds the collection of the cluster's latest snapshot took."),
    ("k8seval_collection_requests", "Requests the collection of the cluster's latest snapshot sent."),
    ("k8seval_collection_gaps", "Facts the latest snapshot could not measure."),
    ("k8seval_snapshot_timestamp_seconds", "When the cluster's latest snapshot was collected (UNIX seconds)."),
    ("k8seval_report_timestamp_seconds", "When these metrics were generated (UNIX seconds)."),
)


def openmetrics_text(context: ReportContext) -> str:
    """The whole exposition for ``context`` (every cluster)."""
    return render_families(metric_families(context))


def openmetrics_by_cluster(context: ReportContext) -> dict[str, str]:
    """One exposition per cluster (for a Pushgateway grouping key per cluster)."""
    families = metric_families(context)
    clusters = sorted(
        {labels["cluster"] for samples in families.values() for labels, _ in samples if "cluster" in labels}
    )
    return {
        cluster: render_families(
            {name: [(lb, v) for lb, v in samples if lb.get("cluster") == cluster] for name, samples in families.items()}
        )
        for cluster in clusters
    }


Samples = list[tuple[dict[str, str], float]]


def metric_families(context: ReportContext) -> dict[str, Samples]:
    """Metric name -> samples (labels, value), in :data:`FAMILIES` order."""
    evaluation = context.evaluation
    if evaluation is None:
        from ..errors import RenderError

        raise RenderError("the report context has no evaluation to write")
    out: dict[str, Samples] = {name: [] for name, _ in FAMILIES}
    for f in evaluation.findings:
        _finding(out, f)
    for fit in evaluation.fits:
        out["k8seval_fit_score"].append(({"cluster": fit.cluster, "target": fit.target, "grade": fit.grade}, fit.score))
    _forecasts(out, evaluation)
    for row in context.clusters:
        labels = {"cluster": row["name"], "platform": row["platform"]}
        health = row.get("collection") or {}
        if health.get("duration_seconds") is not None:
            out["k8seval_collection_duration_seconds"].append((labels, float(health["duration_seconds"])))
        if health.get("requests") is not None:
            out["k8seval_collection_requests"].append((labels, float(health["requests"])))
        out["k8seval_collection_gaps"].append((labels, float(row.get("gap_count") or 0)))
        if row.get("collected_at"):
            out["k8seval_snapshot_timestamp_seconds"].append((labels, parse_time(row["collected_at"]).timestamp()))
    out["k8seval_report_timestamp_seconds"].append(({}, parse_time(evaluation.generated_at).timestamp()))
    return out


def _finding(out: dict[str, Samples], f: Finding) -> None:
    base = {"cluster": f.cluster, "target": f.target, "constraint": f.constraint}
    observed = _number(f.observed)
    limit = _number(f.limit)
    if observed is not None:
        out["k8seval_constraint_observed"].append((base | {"unit": f.unit}, observed))
    if limit is not None:
        out["k8seval_constraint_limit"].append((base | {"unit": f.unit, "kind": f.limit_kind}, limit))
    if f.utilisation is not None:
        out["k8seval_constraint_utilisation_ratio"].append((base, f.utilisation))
    if observed is not None and limit:
        out["k8seval_constraint_headroom_ratio"].append((base, (limit - observed) / limit))
    for status in ALL_STATUSES:
        out["k8seval_constraint_status"].append((base | {"status": status}, 1.0 if f.status == status else 0.0))
    out["k8seval_constraint_status_level"].append((base | {"category": f.category}, float(STATUS_LEVEL[f.status])))


def _forecasts(out: dict[str, Samples], evaluation: Evaluation) -> None:
    """The date each trend crosses a line; ``line`` is ``watch``, ``at-risk`` or ``limit`` (the limit itself)."""
    limits = {(f.cluster, f.target, f.constraint): _number(f.limit) for f in evaluation.findings}
    for fc in evaluation.forecasts:
        for c in fc.crossings:
            if not c.date:  # not within the forecast horizon
                continue
            limit = limits.get((fc.cluster, c.target, fc.constraint))
            line = "limit" if limit is not None and c.threshold == limit else c.level
            labels = {"cluster": fc.cluster, "target": c.target, "constraint": fc.constraint, "line": line}
            when = datetime.strptime(c.date[:10], "%Y-%m-%d").replace(tzinfo=UTC)
            out["k8seval_forecast_crossing_timestamp_seconds"].append((labels, when.timestamp()))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def render_families(families: dict[str, Samples]) -> str:
    """HELP/TYPE lines and samples for every family with samples, then ``# EOF``."""
    helps = dict(FAMILIES)
    lines: list[str] = []
    for name, samples in families.items():
        if not samples:
            continue
        lines.append(f"# HELP {name} {helps[name]}")
        lines.append(f"# TYPE {name} gauge")
        seen: set[str] = set()
        for labels, value in samples:
            text = _labels(labels)
            if text in seen:  # a sample twice would be invalid; the first wins
                continue
            seen.add(text)
            lines.append(f"{name}{text} {_value(value)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _value(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
