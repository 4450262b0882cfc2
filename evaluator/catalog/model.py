"""Dataclasses of the constraint catalog (the YAML files beside this module are the data).

Every constraint is a numeric check of one snapshot metric against a limit per target:

* ``check: max``: the observed value must stay at or below the limit (etcd size, nodes, pods per node).
* ``check: min``: the observed value must stay at or above the limit (free subnet IPs, months of support).

A feature a target does not offer is ``check: max`` with limit ``0`` on a metric that counts its use
(Windows nodes on Autopilot, apiserver flags a managed service will not set). A target with no such
restriction has ``kind: not-applicable``; a target whose vendor publishes no number has
``kind: not-published`` and scores ``unknown`` or ``watch``, never ``ok``.

A limit may name its own ``metric`` when the quantity differs per target: months of support left
are counted on each vendor's calendar (``version.eks_standard_months_left``), and the apiserver flags a
target cannot honour differ between EKS and GKE. The scoring engine reads
``constraint.metric_for(target)``.

A target is a way of running the cluster (its *plan*: EKS compute, GKE dataplane, release channel; see
:mod:`evaluator.catalog.plans`). A limit that depends on the plan is written as a list: entries with
``applies_when: {key: value or [values]}`` apply when the plan matches, and the one entry without it is the
default. :meth:`Constraint.limit_for` picks the limit for a plan.

A ``check: max`` limit may carry a ``quota_step``: a lower line where a quota lift is needed before the
limit itself (GKE: a cluster-size quota at 5,000 nodes before the 15,000-node limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NUMERIC_KINDS = ("hard", "quota", "recommended")  # kinds that carry a number
LIMIT_KINDS = (*NUMERIC_KINDS, "not-published", "not-applicable")
CHECKS = ("max", "min")


@dataclass(frozen=True)
class Limit:
    """One target's limit for a constraint, with its evidence."""

    kind: str  # one of LIMIT_KINDS
    source: str  # https URL of the evidence
    verified: str  # YYYY-MM-DD the source was last checked
    value: float | None = None  # None for not-published / not-applicable
    exceeded: str | None = None  # status when the limit is passed; default by kind (hard: blocker, else at-risk)
    note: str = ""
    metric: str | None = None  # per-target metric override; None means the constraint's metric
    quota_step: float | None = None  # check max: a quota line below the limit where a lift is needed first
    applies_when: dict[str, tuple[str, ...]] = field(default_factory=dict)  # plan key -> values; {} = default

    def to_dict(self) -> dict[str, object]:
        """Plain data in catalog-file order (kind, value, source, verified, exceeded, note, metric, ...)."""
        data: dict[str, object] = {
            "kind": self.kind,
            "value": self.value,
            "source": self.source,
            "verified": self.verified,
            "exceeded": self.exceeded,
            "note": self.note,
            "metric": self.metric,
        }
        if self.quota_step is not None:
            data["quota_step"] = self.quota_step
        if self.applies_when:
            data["applies_when"] = {k: list(v) for k, v in self.applies_when.items()}
        return data

    def applies(self, plan: dict[str, str]) -> bool:
        """True when every ``applies_when`` key matches the plan (a default limit applies to every plan)."""
        return all(plan.get(key) in values for key, values in self.applies_when.items())


@dataclass(frozen=True)
class Constraint:
    """One documented limit, checked for every target."""

    id: str  # snake_case, unique across the catalog
    title: str
    category: str
    metric: str  # key in evaluator.scoring.metrics.METRICS
    unit: str  # "bytes", "count", "pods", "ips", "months", "minor versions", ...
    check: str  # "max" or "min"
    limits: dict[str, Limit]  # target -> limit; every target in findings.TARGETS
    description: str = ""
    remediation: str = ""
    watch: float = 0.7  # fraction of the limit at which the status becomes "watch"
    at_risk: float = 0.9  # fraction at which it becomes "at-risk"
    questions: list[str] = field(default_factory=list)  # related question ids
    growing: bool = False  # forecast this metric over snapshot history
    # A configured value (kubelet maxPods, --event-ttl), not a load: sitting at the limit is fine, so there
    # are no watch/at-risk bands and only passing the limit counts.
    setting: bool = False
    tags: list[str] = field(default_factory=list)
    # Limits that apply only under some plans, per target, in catalog order (each has applies_when).
    plan_limits: dict[str, list[Limit]] = field(default_factory=dict)

    def limit_for(self, target: str, plan: dict[str, str] | None = None) -> Limit | None:
        """The limit for ``target`` under ``plan``: the first plan-specific limit that matches, else the default."""
        for limit in self.plan_limits.get(target, []):
            if limit.applies(plan or {}):
                return limit
        return self.limits.get(target)

    def metric_for(self, target: str) -> str:
        """The metric to read on ``target``: that limit's override, else the constraint's own metric."""
        limit = self.limits.get(target)
        return limit.metric if limit is not None and limit.metric else self.metric


@dataclass(frozen=True)
class Catalog:
    """All constraints, in file order, with the catalog version."""

    version: str
    constraints: list[Constraint]

    def get(self, constraint_id: str) -> Constraint:
        """The constraint with this id; KeyError if absent."""
        for constraint in self.constraints:
            if constraint.id == constraint_id:
                return constraint
        raise KeyError(constraint_id)

    @property
    def ids(self) -> list[str]:
        """Constraint ids in catalog order."""
        return [c.id for c in self.constraints]
