"""The scoring engine: snapshots x targets x catalog constraints into findings, fit summaries, forecasts and costs.

Snapshots of the same cluster (same ``cluster.name``, ``platform``, ``account`` and ``region``) form its
history: the latest one is scored, all of them feed the forecast.

Status rules for one constraint on one target are in :mod:`.judge`.

Fit per cluster and target (:class:`~evaluator.findings.TargetFit`):

* verdict: "does not fit today" when any finding is a blocker; "fits with work" when any is at-risk or
  more than :data:`UNKNOWN_TOLERANCE` are unknown; else "fits".
* clearance = 1 - (1.0 x blockers + 0.5 x at-risk + 0.2 x watch + 0.1 x unknown) / findings: the share of
  the catalog the cluster clears, weighted by severity.
* score = the clearance placed in the verdict's band, so score, grade and verdict never disagree and
  clusters with the same verdict still rank: "fits" 80-100, "fits with work" 50-79.9, "does not fit
  today" 0-49.9 (score = low + (high - low) x clearance).
* grade: A >= 90, B >= 80, C >= 65, D >= 50, else F (so "fits" is A or B, "fits with work" C or D,
  "does not fit today" F).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..catalog.model import Catalog
from ..errors import InputError
from ..findings import STATUSES, TARGETS, UNKNOWN, Evaluation, Finding, TargetFit, status_rank
from ..inventory import Snapshot, parse_time, utc_now
from .cost import CostAssumptions, break_even, cost_analysis, estimate_fleet_with_parts, load_cost_assumptions
from .forecast import forecast_history
from .judge import (
    format_value,
    judge,
    measure,
    target_label,
)
from .policy import Policy

EVALUATION_SCHEMA = "k8seval/evaluation/v1"

# Fit score: the weight of each status (a blocker counts as a whole finding lost), the score band of each verdict,
# and the grade floors.
WEIGHTS = {"blocker": 1.0, "at-risk": 0.5, "watch": 0.2, UNKNOWN: 0.1}
VERDICT_BANDS = {"fits": (80.0, 100.0), "fits with work": (50.0, 79.9), "does not fit today": (0.0, 49.9)}
GRADES = ((90, "A"), (80, "B"), (65, "C"), (50, "D"))
UNKNOWN_TOLERANCE = 2  # more unknown findings than this turn "fits" into "fits with work"

# ---------------------------------------------------------------------------------------------- fit


def fit_score(counts: dict[str, int]) -> float:
    """The 0-100 fit score from status counts (formula in the module docstring), rounded to one decimal."""
    total = sum(counts.values())
    lost = sum(weight * counts.get(status, 0) for status, weight in WEIGHTS.items())
    clearance = max(0.0, 1 - lost / total) if total else 1.0
    low, high = VERDICT_BANDS[verdict_for(counts)]
    return round(low + (high - low) * clearance, 1)


def grade_for(score: float) -> str:
    """Letter grade for a fit score: A >= 90, B >= 80, C >= 65, D >= 50, else F."""
    for floor, grade in GRADES:
        if score >= floor:
            return grade
    return "F"


def verdict_for(counts: dict[str, int]) -> str:
    """ "does not fit today" | "fits with work" | "fits" from status counts."""
    if counts.get("blocker", 0):
        return "does not fit today"
    if counts.get("at-risk", 0) or counts.get(UNKNOWN, 0) > UNKNOWN_TOLERANCE:
        return "fits with work"
    return "fits"


def _short(finding: Finding) -> str:
    obs = format_value(finding.observed, finding.unit) if isinstance(finding.observed, float | int) else "?"
    if isinstance(finding.limit, float | int) and not isinstance(finding.limit, bool):
        return f"{finding.title} ({obs} vs {format_value(finding.limit, finding.unit)})"
    return f"{finding.title} ({obs})"


def _join(items: list[str], limit: int = 3) -> str:
    shown = items[:limit]
    more = len(items) - len(shown)
    if more:
        return ", ".join(shown) + f" and {more} more"
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + f" and {shown[-1]}"


def fit_reason(findings: Sequence[Finding], target: str) -> str:
    """One sentence naming the worst findings of one cluster on one target."""
    label = target_label(target)
    by_status: dict[str, list[Finding]] = {s: [] for s in (*STATUSES, UNKNOWN)}
    for f in findings:
        by_status[f.status].append(f)
    for status, opening in (("blocker", "Blocked on"), ("at-risk", "At risk on"), ("watch", "Close to")):
        worst = sorted(by_status[status], key=lambda f: -(f.utilisation or 0.0))
        if worst:
            sentence = f"{opening} {label}: {_join([_short(f) for f in worst])}"
            missing = len(by_status[UNKNOWN])
            if missing:
                sentence += f"; {missing} not measured"
            return sentence + "."
    unknown = by_status[UNKNOWN]
    if unknown:
        names = _join([f.title for f in unknown])
        return f"No limit reached on {label}; not measured: {names}."
    if not findings:
        return f"No constraints checked on {label}."
    return f"All {len(findings)} checks are within {label}'s limits."


def summarise_fit(cluster: str, target: str, findings: Sequence[Finding]) -> TargetFit:
    """Counts, score, grade, verdict and reason for one cluster on one target."""
    counts = {s: 0 for s in (*STATUSES, UNKNOWN)}
    for f in findings:
        counts[f.status] += 1
    score = fit_score(counts)
    return TargetFit(
        cluster=cluster,
        target=target,
        counts=counts,
        score=score,
        grade=grade_for(score),
        verdict=verdict_for(counts),
        reason=fit_reason(findings, target),
    )


# ---------------------------------------------------------------------------------------------- clusters


def cluster_key(snap: Snapshot) -> tuple[str, str, str, str]:
    """Identity of a cluster across snapshots: name, platform, account, region."""
    c = snap.cluster
    return (c.name, c.platform, c.account or "", c.region or "")


@dataclass(frozen=True)
class ClusterHistory:
    """One cluster's snapshots, oldest first, and the label findings use for it."""

    label: str
    snapshots: list[Snapshot]

    @property
    def latest(self) -> Snapshot:
        """The snapshot that is scored."""
        return self.snapshots[-1]


def group_history(snapshots: Iterable[Snapshot]) -> list[ClusterHistory]:
    """Group snapshots by cluster, order each history by ``collected_at``; clusters keep first-seen order.

    When two different clusters share a name, their labels add platform/account/region to tell them apart.
    """
    groups: dict[tuple[str, str, str, str], list[tuple[datetime, int, Snapshot]]] = {}
    for index, snap in enumerate(snapshots):
        groups.setdefault(cluster_key(snap), []).append((parse_time(snap.collected_at), index, snap))
    names: dict[str, int] = {}
    for key in groups:
        names[key[0]] = names.get(key[0], 0) + 1
    histories = []
    for key, items in groups.items():
        items.sort(key=lambda t: (t[0], t[1]))
        name, platform, account, region = key
        label = name
        if names[name] > 1:
            label = f"{name} ({'/'.join(p for p in (platform, account, region) if p)})"
        histories.append(ClusterHistory(label, [s for _, _, s in items]))
    return histories


# ---------------------------------------------------------------------------------------------- evaluate


def _check_targets(targets: Sequence[str]) -> list[str]:
    out = []
    for t in targets:
        if t not in TARGETS:
            raise InputError(f"unknown target {t!r}: expected one of {', '.join(TARGETS)}")
        if t not in out:
            out.append(t)
    return out


def evaluate(
    snapshots: list[Snapshot],
    catalog: Catalog,
    targets: list[str] | None = None,
    *,
    policy: Policy | None = None,
    costs: CostAssumptions | None = None,
    now: str | None = None,
) -> Evaluation:
    """Score the latest snapshot of every cluster against every target, forecast growth, estimate costs.

    ``policy`` is a :class:`~evaluator.scoring.policy.Policy` (thresholds, limit overrides, exclusions,
    targets); ``costs`` a :class:`~evaluator.scoring.cost.CostAssumptions` (the shipped defaults when
    None); ``now`` the RFC 3339 time of the run (defaults to the clock; also the date support windows and
    prices are judged at). Targets: ``targets``, else the policy's, else every target in
    :data:`~evaluator.findings.TARGETS` order. A finding carries the constraint's remediation when its
    status is watch, at-risk or blocker.
    """
    generated_at = now or utc_now()
    pol = policy or Policy()
    wanted = _check_targets(targets or pol.targets or list(TARGETS))
    chosen = [t for t in TARGETS if t in wanted]
    effective = pol.apply(catalog)
    notes = pol.notes_by_constraint()
    histories = [h for h in group_history(snapshots) if not pol.excludes_cluster(h.latest.cluster.name)]

    findings: list[Finding] = []
    fits: list[TargetFit] = []
    forecasts = []
    forecast_notes: list[str] = []
    # The plan is the same for every cluster: per target, each constraint with its metric, limit and note.
    plan = {
        target: [
            (c, c.metric_for(target), c.limits.get(target), notes.get((c.id, target), ""))
            for c in effective.constraints
        ]
        for target in chosen
    }
    metric_names = list(dict.fromkeys(m for rows in plan.values() for _, m, _, _ in rows))
    for history in histories:
        snap = history.latest
        # One read per metric, shared by every target (several constraints may use one metric).
        measured = {m: measure(snap, m) for m in metric_names}
        for target, rows in plan.items():
            mine: list[Finding] = []
            for constraint, metric_name, limit, note in rows:
                metric = measured[metric_name]
                j = judge(constraint, target, metric, note=note)
                mine.append(
                    Finding(
                        cluster=history.label,
                        target=target,
                        constraint=constraint.id,
                        title=constraint.title,
                        category=constraint.category,
                        observed=metric.value,
                        limit=limit.value if limit is not None else None,
                        unit=constraint.unit,
                        status=j.status,
                        limit_kind=limit.kind if limit is not None else "not-applicable",
                        source=limit.source if limit is not None else "",
                        verified=limit.verified if limit is not None else "",
                        message=j.message,
                        remediation=constraint.remediation if j.status in ("at-risk", "blocker", "watch") else "",
                        utilisation=_finite(j.utilisation),
                        headroom=j.headroom,
                        questions=list(constraint.questions),
                        snapshot_at=snap.collected_at,
                    )
                )
            findings.extend(mine)
            fits.append(summarise_fit(history.label, target, mine))
        cluster_forecasts, cluster_notes = forecast_history(history.label, history.snapshots, effective, chosen)
        forecasts.extend(cluster_forecasts)
        forecast_notes.extend(cluster_notes)

    assumptions = costs if costs is not None else load_cost_assumptions(None)
    latest = [(h.label, h.latest) for h in histories]
    # Break-even compares every target, so estimate them all once and keep the chosen ones for the evaluation.
    estimates, parts = estimate_fleet_with_parts(latest, TARGETS, assumptions, at=generated_at)
    return Evaluation(
        generated_at=generated_at,
        catalog_version=catalog.version,
        targets=chosen,
        clusters=[h.label for h in histories],
        findings=findings,
        fits=fits,
        forecasts=forecasts,
        forecast_notes=forecast_notes,
        costs=[e for e in estimates if e.target in chosen],
        cost_assumptions=assumptions.to_dict(),
        break_even=break_even(latest, assumptions, at=generated_at, estimates=estimates),
        cost_analysis=cost_analysis(
            latest,
            assumptions,
            chosen,
            at=generated_at,
            estimates=[e for e in estimates if e.target in chosen],
            components=parts,
        ),
    )


def _finite(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def evaluation_document(evaluation: Evaluation) -> dict[str, object]:
    """The JSON form of an evaluation: ``{"schema": "k8seval/evaluation/v1", ...every Evaluation field}``."""
    return {"schema": EVALUATION_SCHEMA, **evaluation.to_dict()}


def worst_status(findings: Iterable[Finding]) -> str | None:
    """The most severe status among findings (unknown ranks with watch), or None when there are none."""
    worst: str | None = None
    for f in findings:
        if worst is None or status_rank(f.status) > status_rank(worst):
            worst = f.status
    return worst
