"""The scoring engine: snapshots x targets x catalog constraints into findings, fit summaries, forecasts and costs.

Snapshots of the same cluster form its history (see "Clusters" below): the latest one is scored, all of them
feed the forecast.

Status rules for one constraint on one target are in :mod:`.judge`.

Fit per cluster and target (:class:`~evaluator.findings.TargetFit`). Only *applicable* findings count: a
``not-applicable`` limit is left out (it is not a pass), and so are ``version-wide`` constraints (the
control-plane version's support), which concern every target alike and become one
:class:`~evaluator.findings.MigrationAction` per cluster instead.

* verdict: "does not fit today" when any finding is a blocker; "fits with work" when any is at-risk, any
  ``core`` constraint is unknown, or more than :data:`UNKNOWN_TOLERANCE` are unknown; else "fits".
* coverage = known / applicable: the share of the limits that could be checked.
* clearance = 1 - (1.0 x blockers + 0.5 x at-risk + 0.2 x watch + 0.5 x unknown) / applicable. An unknown
  costs as much as an at-risk finding (open risk, not a near-pass), so a vendor that publishes less cannot
  score better than one whose published limit the cluster is at risk on.
* score = the clearance placed in the verdict's band, so score, grade and verdict never disagree and
  clusters with the same verdict still rank: "fits" 80-100, "fits with work" 50-79.9, "does not fit
  today" 0-49.9 (score = low + (high - low) x clearance).
* grade: A >= 90, B >= 80, C >= 65, D >= 50, else F (so "fits" is A or B, "fits with work" C or D,
  "does not fit today" F).

Clusters: snapshots with the same ``cluster.id`` (kube-system namespace UID, EKS ARN, GKE self link) are one
cluster's history. Snapshots without an id fall back to name, platform, account and region, with a warning
when that could join two clusters. An etcd-only snapshot of a cluster that also has a Kubernetes API
snapshot is the etcd view of that cluster, not a second cluster: it is not scored on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ..catalog.model import Catalog
from ..catalog.plans import catalog_for_plans
from ..errors import InputError
from ..findings import STATUSES, TARGETS, UNKNOWN, Evaluation, Finding, MigrationAction, TargetFit, status_rank
from ..inventory import Snapshot, parse_time, utc_now
from ..merge import short_name
from .cost import CostAssumptions, break_even, cost_analysis, estimate_fleet_with_parts, load_cost_assumptions
from .forecast import forecast_history
from .judge import format_percent, format_value, judge, measure, target_label, vendor_name
from .policy import Policy

EVALUATION_SCHEMA = "k8seval/evaluation/v1"

# Fit score: the weight of each status (a blocker counts as a whole finding lost), the score band of each verdict,
# and the grade floors.
WEIGHTS = {"blocker": 1.0, "at-risk": 0.5, "watch": 0.2, UNKNOWN: 0.5}
VERSION_WIDE = "version-wide"  # tag of constraints that concern every target alike
CORE = "core"  # tag of constraints whose unknown keeps a verdict from "fits"
PLAN_INPUT = "plan-input"  # tag of constraints on a quantity decided when the target is built (Fargate profiles)
VERDICT_BANDS = {"fits": (80.0, 100.0), "fits with work": (50.0, 79.9), "does not fit today": (0.0, 49.9)}
GRADES = ((90, "A"), (80, "B"), (65, "C"), (50, "D"))
UNKNOWN_TOLERANCE = 2  # more unknown findings than this turn "fits" into "fits with work"


# ---------------------------------------------------------------------------------------------- fit


def fit_score(counts: dict[str, int]) -> float:
    """The 0-100 fit score from status counts of applicable findings (module docstring), to one decimal."""
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


def verdict_for(counts: dict[str, int], open_core: int = 0) -> str:
    """ "does not fit today" | "fits with work" | "fits" from status counts (and unknown core constraints)."""
    if counts.get("blocker", 0):
        return "does not fit today"
    if counts.get("at-risk", 0) or counts.get(UNKNOWN, 0) > UNKNOWN_TOLERANCE or open_core:
        return "fits with work"
    return "fits"


def _short(finding: Finding) -> str:
    if finding.unit == "flag":
        return finding.title
    obs = format_value(finding.observed, finding.unit) if isinstance(finding.observed, float | int) else "?"
    if isinstance(finding.limit, float | int) and not isinstance(finding.limit, bool):
        if finding.limit == 0 and finding.limit_kind != "not-published":
            return f"{finding.title} ({obs}; none allowed)"
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


def _open_words(unknown: Sequence[Finding]) -> str:
    """ "3 not published, 2 not measured" for unknown findings (a vendor that publishes nothing is not a gap)."""
    unpublished = sum(1 for f in unknown if f.limit_kind == "not-published")
    parts = []
    if unpublished:
        parts.append(f"{unpublished} not published")
    if len(unknown) - unpublished:
        parts.append(f"{len(unknown) - unpublished} not measured")
    return ", ".join(parts)


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
            if by_status[UNKNOWN]:
                sentence += f"; {_open_words(by_status[UNKNOWN])}"
            return sentence + "."
    unknown = by_status[UNKNOWN]
    if unknown:
        unpublished = [f.title for f in unknown if f.limit_kind == "not-published"]
        unmeasured = [f.title for f in unknown if f.limit_kind != "not-published"]
        parts = []
        if unmeasured:
            parts.append(f"not measured: {_join(unmeasured)}")
        if unpublished:
            parts.append(f"not published: {_join(unpublished)}")
        return f"No limit reached on {label}; {'; '.join(parts)}."
    if not findings:
        return f"No constraints checked on {label}."
    return f"All {len(findings)} checks are within {label}'s limits."


def summarise_fit(
    cluster: str,
    target: str,
    findings: Sequence[Finding],
    *,
    core: frozenset[str] = frozenset(),
    version_wide: frozenset[str] = frozenset(),
    plan: dict[str, str] | None = None,
    plan_inputs: frozenset[str] = frozenset(),
) -> TargetFit:
    """Counts, coverage, score, grade, verdict and reason for one cluster on one target.

    Not-applicable findings and ``version_wide`` constraint ids are left out, and so are unknown findings on
    ``plan_inputs`` (quantities decided when the target is built); an unknown finding on a constraint in
    ``core`` keeps the verdict from "fits".
    """
    counted = [
        f
        for f in findings
        if f.limit_kind != "not-applicable"
        and f.constraint not in version_wide
        and not (f.constraint in plan_inputs and f.status == UNKNOWN)  # to decide, not an open risk
    ]
    counts = {s: 0 for s in (*STATUSES, UNKNOWN)}
    for f in counted:
        counts[f.status] += 1
    open_core = [f.title for f in counted if f.status == UNKNOWN and f.constraint in core]
    verdict = verdict_for(counts, len(open_core))
    total = len(counted)
    lost = sum(weight * counts.get(status, 0) for status, weight in WEIGHTS.items())
    clearance = max(0.0, 1 - lost / total) if total else 1.0
    low, high = VERDICT_BANDS[verdict]
    score = round(low + (high - low) * clearance, 1)
    reason = fit_reason(counted, target)
    if open_core and not counts["blocker"] and not counts["at-risk"]:
        reason = (
            f"Not known on {target_label(target)}: {_join(open_core)} (core limits); " + reason[0].lower() + reason[1:]
        )
    return TargetFit(
        cluster=cluster,
        target=target,
        counts=counts,
        score=score,
        grade=grade_for(score),
        verdict=verdict,
        reason=reason,
        coverage=round((total - counts[UNKNOWN]) / total, 3) if total else None,
        applicable=total,
        not_applicable=sum(1 for f in findings if f.limit_kind == "not-applicable"),
        open_core=open_core,
        plan=dict(plan or {}),
    )


def migration_actions(cluster: str, findings: Sequence[Finding], version_wide: frozenset[str]) -> list[MigrationAction]:
    """One action per version-wide constraint that is watch or worse on some target, worded once."""
    out = []
    for cid in sorted(version_wide):
        mine = [f for f in findings if f.constraint == cid and f.limit_kind != "not-applicable"]
        hit = [f for f in mine if f.status in ("watch", "at-risk", "blocker")]
        if not hit:
            continue
        worst = max(hit, key=lambda f: (status_rank(f.status), f.target == "self-hosted"))
        bad = [target_label(f.target) for f in hit if f.status in ("at-risk", "blocker")]
        unknown = [target_label(f.target) for f in mine if f.status == UNKNOWN]
        message = worst.message
        if bad:
            message += f" (at risk or worse on {_join(bad)})"
        if unknown:
            message += f"; {_join(unknown)}: not known ({worst_reason(mine)})"
        out.append(
            MigrationAction(
                cluster=cluster,
                constraint=cid,
                title=worst.title,
                status=worst.status,
                message=message + ".",
                targets=[f.target for f in hit if f.status in ("at-risk", "blocker")],
                remediation=next((f.remediation for f in hit if f.remediation), ""),
                sources=list(dict.fromkeys(f.source for f in mine if f.source)),
            )
        )
    return out


def worst_reason(findings: Sequence[Finding]) -> str:
    """The reason of the first unknown finding, without its title (for one-line summaries)."""
    for f in findings:
        if f.status == UNKNOWN:
            return f.message.split(": ", 1)[-1]
    return ""


_VERDICT_ORDER = {"fits": 0, "fits with work": 1, "does not fit today": 2}


def recommendation(
    fits: Sequence[TargetFit],
    actions: Sequence[MigrationAction],
    focus: Sequence[str],
    findings: Sequence[Finding],
    plan_inputs: frozenset[str] = frozenset(),
    version_wide: frozenset[str] = frozenset(),
) -> str:
    """The decision in a few sentences: which target fits best now and why, what the others need first, which
    version work every target needs, and what is unknown and must be asked."""
    shown = [t for t in focus if any(f.target == t for f in fits)]
    if not shown:
        return ""
    clusters = list(dict.fromkeys(f.cluster for f in fits))

    def rank(target: str) -> tuple[int, int, float, float]:
        mine = [f for f in fits if f.target == target]
        worst = max(_VERDICT_ORDER[f.verdict] for f in mine)
        bad = sum(_VERDICT_ORDER[f.verdict] for f in mine)
        score = sum(f.score for f in mine) / len(mine)
        coverage = sum(f.coverage or 0.0 for f in mine) / len(mine)
        return (worst, bad, -score, -coverage)

    ordered = sorted(shown, key=lambda t: (rank(t), shown.index(t)))
    best = ordered[0]
    best_fits = [f for f in fits if f.target == best]
    sentences = []
    name = "Staying self-hosted" if best == "self-hosted" else target_label(best)
    if len(clusters) == 1:
        fit = best_fits[0]
        cover = f", {format_percent(fit.coverage)} of its limits checked" if fit.coverage is not None else ""
        why = fit.reason.rstrip(".")
        sentences.append(f"{name} fits best now: {fit.verdict} ({fit.score:g}/100{cover}). {why}.")
    else:
        tally = {v: sum(1 for f in best_fits if f.verdict == v) for v in _VERDICT_ORDER}
        words = ", ".join(f"{n} {v}" for v, n in tally.items() if n)
        sentences.append(f"{name} fits best now across {len(clusters)} clusters: {words}.")
    version_ids = {a.constraint for a in actions}
    for target in ordered[1:]:
        mine = [f for f in findings if f.target == target and f.status in ("blocker", "at-risk")]
        mine = [f for f in mine if f.constraint not in version_ids]
        if not mine:
            continue
        mine.sort(key=lambda f: (-status_rank(f.status), -(f.utilisation or 0.0)))
        titles = list(dict.fromkeys(f.title for f in mine))
        fixes = [t for f in fits if f.target == target for t in [f.verdict]]
        sentences.append(f"{target_label(target)} ({fixes[0] if fixes else ''}) needs first: {_join(titles)}.")
    urgent = list(dict.fromkeys(a.title for a in actions if a.status in ("at-risk", "blocker")))
    if urgent:
        sentences.append(f"Whatever the choice, upgrade first: {_join(urgent)} (one action for every target).")
    core_titles = {x for f in fits for x in f.open_core}
    open_findings = [
        f
        for f in findings
        if f.status == UNKNOWN and f.target in shown and f.constraint not in version_ids | plan_inputs | version_wide
    ]
    # What a vendor does not publish is asked of the vendor; what was not measured is measured, not asked.
    unmeasured = list(dict.fromkeys(f.title for f in open_findings if f.limit_kind != "not-published"))
    if unmeasured:
        sentences.append(f"Not known yet (measure it, or a date is missing from the catalog): {_join(unmeasured, 4)}.")
    for vendor in dict.fromkeys(vendor_name(t) for t in shown if t != "self-hosted"):
        titles = list(
            dict.fromkeys(
                f.title for f in open_findings if vendor_name(f.target) == vendor and f.limit_kind == "not-published"
            )
        )
        if not titles:
            continue
        core = [t for t in titles if t in core_titles]
        rest = len(titles) - len(core)
        if core:
            more = f", and {rest} more limit{'s' if rest != 1 else ''}" if rest else ""
            sentences.append(f"Not published, ask {vendor}: {_join(core, 6)} (core){more}.")
        else:
            sentences.append(f"Not published, ask {vendor}: {_join(titles)}.")
    return " ".join(sentences)


# ---------------------------------------------------------------------------------------------- clusters


def cluster_key(snap: Snapshot) -> tuple[str, str, str, str]:
    """Identity of a cluster across snapshots without an id: name, platform, account, region."""
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


def _etcd_only(snap: Snapshot) -> bool:
    return snap.collection.collectors == ["etcd"] or (
        not snap.collection.collectors and snap.etcd.source == "etcd" and not snap.objects and snap.nodes.count is None
    )


def _split_etcd_views(snapshots: list[Snapshot], warnings: list[str]) -> list[Snapshot]:
    """Drop etcd-only snapshots of clusters that also have a Kubernetes API snapshot, with a warning."""
    kube_names = {short_name(s.cluster.name) for s in snapshots if not _etcd_only(s)}
    out = []
    for snap in snapshots:
        name = short_name(snap.cluster.name)
        if _etcd_only(snap) and name in kube_names:
            merged = any(
                short_name(s.cluster.name) == name and s.etcd.source == "etcd" and not _etcd_only(s) for s in snapshots
            )
            how = "already merged into it" if merged else "merge it with 'k8seval collect merge' to use its figures"
            warnings.append(
                f"{snap.cluster.name}: an etcd-only snapshot ({snap.collected_at}) is the etcd view of the cluster "
                f"measured through the Kubernetes API, not a second cluster; not scored on its own ({how})"
            )
            continue
        out.append(snap)
    return out


def group_history(snapshots: Iterable[Snapshot], warnings: list[str] | None = None) -> list[ClusterHistory]:
    """Group snapshots by cluster, order each history by ``collected_at``; clusters keep first-seen order.

    Snapshots with the same ``cluster.id`` are one cluster; two ids under one name are two clusters, labelled
    apart. Without an id, snapshots group by name, platform, account and region, and ``warnings`` (when given)
    says so wherever that grouping could join two clusters.
    """
    notes = warnings if warnings is not None else []
    snaps = _split_etcd_views(list(snapshots), notes)
    # A cloud-only snapshot (id = EKS ARN) and a merged one (id = kube-system UID, cloud_id = the ARN) are one cluster.
    alias = {s.cluster.cloud_id: s.cluster.id for s in snaps if s.cluster.cloud_id and s.cluster.id}
    snaps = [
        replace(s, cluster=replace(s.cluster, id=alias[s.cluster.id]))
        if s.cluster.id in alias and alias[s.cluster.id] != s.cluster.id
        else s
        for s in snaps
    ]
    ids_by_key: dict[tuple[str, str, str, str], list[str]] = {}
    for snap in snaps:
        if snap.cluster.id:
            ids = ids_by_key.setdefault(cluster_key(snap), [])
            if snap.cluster.id not in ids:
                ids.append(snap.cluster.id)
    groups: dict[tuple[str, ...], list[tuple[datetime, int, Snapshot]]] = {}
    for index, snap in enumerate(snaps):
        key = cluster_key(snap)
        if snap.cluster.id:
            group: tuple[str, ...] = (*key, snap.cluster.id)
        elif len(ids_by_key.get(key, [])) == 1:
            group = (*key, ids_by_key[key][0])  # an older snapshot without an id joins the one cluster of that name
            notes.append(
                f"{snap.cluster.name}: snapshot of {snap.collected_at} has no cluster id; joined by name to the "
                f"history of cluster id {ids_by_key[key][0]}"
            )
        else:
            group = (*key, "")
        groups.setdefault(group, []).append((parse_time(snap.collected_at), index, snap))
    names: dict[str, int] = {}
    keys: dict[tuple[str, str, str, str], int] = {}
    for group in groups:
        names[group[0]] = names.get(group[0], 0) + 1
        keys[group[:4]] = keys.get(group[:4], 0) + 1  # type: ignore[index]
    histories = []
    for group, items in groups.items():
        items.sort(key=lambda t: (t[0], t[1]))
        name, platform, account, region, cid = group
        label = name
        if names[name] > 1:
            parts = [p for p in (platform, account, region) if p]
            if keys[(name, platform, account, region)] > 1:
                parts.append(f"id {cid[:8]}" if cid else "no id")
            label = f"{name} ({'/'.join(parts)})"
        if not cid and len(items) > 1:
            notes.append(
                f"{name}: {len(items)} snapshots carry no cluster id, so they are taken as one cluster's history by "
                "name; if they come from different clusters (every kubeadm cluster is called 'kubernetes'), "
                "collect them again with this version, which records the cluster id"
            )
        if cid and names[name] > 1 and keys[(name, platform, account, region)] > 1:
            notes.append(
                f"{name}: {keys[(name, platform, account, region)]} clusters share this name; kept apart by cluster id"
            )
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
    plans = pol.target_plans()
    # The plan picks each target's limit first; the policy's overrides then apply to the picked limits.
    effective = pol.apply(catalog_for_plans(catalog, plans))
    notes = pol.notes_by_constraint()
    warnings: list[str] = []
    histories = [h for h in group_history(snapshots, warnings) if not pol.excludes_cluster(h.latest.cluster.name)]
    core = frozenset(c.id for c in effective.constraints if CORE in c.tags)
    version_wide = frozenset(c.id for c in effective.constraints if VERSION_WIDE in c.tags)
    plan_inputs = frozenset(c.id for c in effective.constraints if PLAN_INPUT in c.tags)
    actions: list[MigrationAction] = []

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
            fits.append(
                summarise_fit(
                    history.label,
                    target,
                    mine,
                    core=core,
                    version_wide=version_wide,
                    plan=plans.get(target),
                    plan_inputs=plan_inputs,
                )
            )
        actions.extend(
            migration_actions(history.label, [f for f in findings if f.cluster == history.label], version_wide)
        )
        cluster_forecasts, cluster_notes = forecast_history(history.label, history.snapshots, effective, chosen)
        forecasts.extend(cluster_forecasts)
        forecast_notes.extend(cluster_notes)

    focus = [t for t in pol.focus if t in chosen] or chosen
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
        actions=actions,
        recommendation=recommendation(fits, actions, focus, findings, plan_inputs, version_wide),
        plans={t: plans[t] for t in chosen},
        focus=focus,
        warnings=list(dict.fromkeys(warnings)),
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
