"""Findings: the result of scoring snapshots against the catalog, shared by reports and question lists.

A :class:`Finding` is one cluster x target x constraint. An :class:`Evaluation` holds every finding of a
run plus the fit summary per cluster and target, forecasts and cost estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .typed import from_data, to_data

STATUSES = ("ok", "watch", "at-risk", "blocker")
UNKNOWN = "unknown"
ALL_STATUSES = (*STATUSES, UNKNOWN)
TARGETS = ("self-hosted", "eks", "gke", "gke-autopilot")
# Vendor (question-list audience) -> evaluation targets whose findings count for it. GKE Autopilot findings
# count for "gke" because a GKE offer may be either mode; "self-hosted" is the current platform as a baseline.
VENDOR_TARGETS: dict[str, tuple[str, ...]] = {
    "eks": ("eks",),
    "gke": ("gke", "gke-autopilot"),
    "self-hosted": ("self-hosted",),
}

# Columns of the one-row-per-finding CSV written by `score --format csv` and `report --format csv`, in order.
CSV_COLUMNS = (
    "cluster",
    "target",
    "constraint",
    "title",
    "category",
    "status",
    "observed",
    "limit",
    "unit",
    "utilisation",
    "headroom",
    "limit_kind",
    "source",
    "verified",
    "message",
    "remediation",
    "snapshot_at",
)


def status_rank(status: str) -> int:
    """Order of severity: ok 0, watch 1, at-risk 2, blocker 3; unknown ranks with watch (never silently ok)."""
    if status == UNKNOWN:
        return 1
    return STATUSES.index(status)


def reaches(status: str, level: str) -> bool:
    """True when ``status`` is at or above ``level`` (``unknown`` counts only when level is ``unknown``)."""
    if level == UNKNOWN:
        return status == UNKNOWN or status_rank(status) >= STATUSES.index("at-risk")
    if status == UNKNOWN:
        return False
    return STATUSES.index(status) >= STATUSES.index(level)


@dataclass(frozen=True)
class Finding:
    """One constraint checked for one cluster on one target platform."""

    cluster: str
    target: str
    constraint: str  # catalog id
    title: str
    category: str
    observed: float | str | bool | None
    limit: float | str | bool | None
    unit: str
    status: str  # ok | watch | at-risk | blocker | unknown
    limit_kind: str  # hard | quota | recommended | not-published | not-applicable
    source: str  # URL of the limit's evidence
    verified: str  # date the source was checked, YYYY-MM-DD
    message: str
    remediation: str = ""
    utilisation: float | None = None  # observed / limit, for numeric limits
    headroom: float | None = None  # limit - observed, in unit
    questions: list[str] = field(default_factory=list)  # related question ids
    snapshot_at: str | None = None  # collected_at of the snapshot scored

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return to_data(self)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "<finding>") -> Finding:
        """Validate and build a finding."""
        return from_data(cls, data, where=where)


@dataclass(frozen=True)
class TargetFit:
    """How one cluster fits one target: counts per status, a 0-100 score and a letter grade."""

    cluster: str
    target: str
    counts: dict[str, int]  # status -> number of findings
    score: float
    grade: str  # A..F
    verdict: str  # "fits" | "fits with work" | "does not fit today"
    reason: str  # one sentence


@dataclass(frozen=True)
class Crossing:
    """When a forecast line crosses a target's threshold."""

    target: str
    level: str  # watch | at-risk | blocker
    threshold: float
    date: str | None  # YYYY-MM-DD, None when it never crosses on the current trend
    months: float | None  # from the last snapshot
    already: bool = False


@dataclass(frozen=True)
class Forecast:
    """A growing metric's robust linear trend and when it crosses each target's lines."""

    cluster: str
    constraint: str
    metric: str
    unit: str
    points: list[list[Any]]  # [[RFC 3339 time, value], ...] as measured
    slope_per_day: float
    current: float
    crossings: list[Crossing] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class CostLine:
    """One line of a cost estimate; a line whose price is missing has ``monthly_usd`` None and says why in ``gap``."""

    item: str
    monthly_usd: float | None
    basis: str  # how it was computed, e.g. "$0.10/h x 730 h"
    source: str | None = None
    category: str = ""  # "control plane", "workers", "load balancers", "traffic", "support", "people"
    gap: str = ""  # which price or input is missing (never priced as zero)
    verified: str | None = None  # date the price was read at its source


@dataclass(frozen=True)
class CostEstimate:
    """Monthly cost of running one cluster on one target, by line."""

    cluster: str
    target: str
    monthly_usd: float  # sum of the priced lines; see ``complete``
    lines: list[CostLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    region: str = ""  # the price region used, e.g. "aws eu-west-2"
    yearly_usd: float = 0.0
    complete: bool = True  # False when a line is a gap (a missing price): the total is a lower bound
    gaps: list[str] = field(default_factory=list)
    mapping: list[dict[str, Any]] = field(default_factory=list)  # measured instance type -> priced machine, basis


@dataclass(frozen=True)
class Evaluation:
    """Everything one scoring run produced."""

    generated_at: str
    catalog_version: str
    targets: list[str]
    clusters: list[str]
    findings: list[Finding] = field(default_factory=list)
    fits: list[TargetFit] = field(default_factory=list)
    forecasts: list[Forecast] = field(default_factory=list)
    forecast_notes: list[str] = field(default_factory=list)  # e.g. "cluster a: one snapshot, no forecast"
    costs: list[CostEstimate] = field(default_factory=list)
    cost_assumptions: dict[str, Any] = field(default_factory=dict)
    break_even: dict[str, Any] = field(default_factory=dict)
    cost_analysis: dict[str, Any] = field(default_factory=dict)  # cheapest, sensitivity, prices with sources

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return to_data(self)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "<evaluation>") -> Evaluation:
        """Validate and build an evaluation."""
        return from_data(cls, data, where=where)


@dataclass(frozen=True)
class GeneratedQuestion:
    """A question picked for a vendor because its trigger fired, with measured figures filled in."""

    id: str
    domain: str
    title: str
    text: str  # placeholders filled
    why: str
    evidence: list[str]
    answer_type: str
    weight: int
    gate: bool
    priority: int  # 1 = ask first
    regulatory: list[str] = field(default_factory=list)  # e.g. "DORA Art. 30"
    constraints: list[str] = field(default_factory=list)  # related catalog ids
    trigger: str = ""  # why it was asked, in words


@dataclass(frozen=True)
class DomainScore:
    """A vendor's answers scored for one domain, 0 to 4 (None when nothing was answered)."""

    domain: str
    score: float | None
    answered: int
    total: int
    gates_failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VendorAnswers:
    """One vendor's filled question list, scored."""

    vendor: str
    source_file: str
    overall: float | None  # weighted 0..4
    passed_gates: bool
    gates_failed: list[str]
    domains: list[DomainScore]
    answered: int
    total: int
    unanswered: list[str] = field(default_factory=list)
