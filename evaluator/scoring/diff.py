"""Compare two audits: facts that moved per cluster, and findings whose status changed per target.

Both sides are plain data (snapshots, or the findings of a findings JSON), so a diff works on two snapshots,
two folders or prefixes of snapshots, or two ``findings.json`` files from earlier runs. A finding is keyed by
cluster x target x constraint; its change is one of:

    new        not there before, or ok before, and not ok now
    worse      more severe than before (ok < watch/unknown < at-risk < blocker)
    changed    as severe as before but another status (unknown <-> watch)
    better     less severe than before, still not ok
    resolved   not ok before, and ok (or gone) now
    unchanged  the same status
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..findings import UNKNOWN, reaches, status_rank
from ..inventory import Snapshot, parse_time
from ..typed import to_data

DIFF_SCHEMA = "k8seval/diff/v1"
CHANGES = ("new", "worse", "changed", "better", "resolved", "unchanged")
# Parts of a snapshot that describe the run, not the cluster.
_SKIP_FACTS = ("schema", "collected_at", "collection", "gaps", "cluster.endpoint", "cluster.git_version")


@dataclass(frozen=True)
class FindingState:
    """The part of a finding a diff needs (read from an Evaluation or from a findings JSON)."""

    cluster: str
    target: str
    constraint: str
    status: str
    title: str = ""
    observed: Any = None
    limit: Any = None
    unit: str = ""
    message: str = ""


@dataclass(frozen=True)
class StatusChange:
    """One cluster x target x constraint in both audits (``None`` where it was absent)."""

    cluster: str
    target: str
    constraint: str
    title: str
    old_status: str | None
    new_status: str | None
    change: str  # one of CHANGES
    old_observed: Any = None
    new_observed: Any = None
    unit: str = ""
    message: str = ""


@dataclass(frozen=True)
class FactChange:
    """One measured fact of one cluster that differs between the audits."""

    cluster: str
    fact: str  # dotted path in the snapshot ("nodes.count") or, from findings, the constraint id
    old: Any
    new: Any
    delta: float | None = None
    percent: float | None = None


@dataclass(frozen=True)
class AuditDiff:
    """Everything that differs between an older and a newer audit."""

    old: str
    new: str
    clusters_added: list[str] = field(default_factory=list)
    clusters_removed: list[str] = field(default_factory=list)
    facts: list[FactChange] = field(default_factory=list)
    findings: list[StatusChange] = field(default_factory=list)
    facts_from: str = "snapshots"  # "snapshots" or "findings" (observed values, when a side is a findings file)

    def by_change(self, *changes: str) -> list[StatusChange]:
        """The status changes of the given kinds, in diff order."""
        return [c for c in self.findings if c.change in changes]

    @property
    def counts(self) -> dict[str, int]:
        """Number of findings per change kind."""
        counts = dict.fromkeys(CHANGES, 0)
        for c in self.findings:
            counts[c.change] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with a schema tag and counts."""
        data = to_data(self)
        return {"schema": DIFF_SCHEMA, **data, "counts": self.counts}


# ------------------------------------------------------------------------------------------------ findings


def states_from_findings(findings: Iterable[Any]) -> list[FindingState]:
    """FindingStates from Finding objects."""
    return [
        FindingState(f.cluster, f.target, f.constraint, f.status, f.title, f.observed, f.limit, f.unit, f.message)
        for f in findings
    ]


def states_from_document(document: Any, where: str) -> list[FindingState]:
    """FindingStates from a findings JSON (``score --format json``, ``report --format json`` or audit's
    ``findings.json``); a file without a findings list raises :class:`InputError` naming it."""
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise InputError(f"{where}: not a findings file (expected a JSON object with a 'findings' list)")
    out = []
    for i, item in enumerate(document["findings"]):
        if not isinstance(item, dict):
            raise InputError(f"{where}: findings[{i}]: expected an object")
        missing = [k for k in ("cluster", "target", "constraint", "status") if not isinstance(item.get(k), str)]
        if missing:
            raise InputError(f"{where}: findings[{i}].{missing[0]}: required")
        if item["status"] not in ("ok", "watch", "at-risk", "blocker", UNKNOWN):
            raise InputError(f"{where}: findings[{i}].status: unknown status {item['status']!r}")
        out.append(
            FindingState(
                item["cluster"],
                item["target"],
                item["constraint"],
                item["status"],
                str(item.get("title") or item["constraint"]),
                item.get("observed"),
                item.get("limit"),
                str(item.get("unit") or ""),
                str(item.get("message") or ""),
            )
        )
    return out


def classify(old: str | None, new: str | None) -> str:
    """The change from status ``old`` to ``new`` (None: absent), one of :data:`CHANGES`."""
    was = old is not None and old != "ok"
    now = new is not None and new != "ok"
    if not was and not now:
        return "unchanged"
    if not was:
        return "new"
    if not now:
        return "resolved"
    assert old is not None and new is not None
    if old == new:
        return "unchanged"
    if status_rank(new) > status_rank(old):
        return "worse"
    if status_rank(new) < status_rank(old):
        return "better"
    return "changed"


def diff_findings(old: Sequence[FindingState], new: Sequence[FindingState]) -> list[StatusChange]:
    """Every cluster x target x constraint of either side with its change; new-side order, then removed ones."""
    before = {(f.cluster, f.target, f.constraint): f for f in old}
    after = {(f.cluster, f.target, f.constraint): f for f in new}
    out = []
    for key, f in after.items():
        b = before.get(key)
        out.append(
            StatusChange(
                f.cluster, f.target, f.constraint, f.title or (b.title if b else f.constraint),
                b.status if b else None, f.status, classify(b.status if b else None, f.status),
                b.observed if b else None, f.observed, f.unit, f.message,
            )
        )  # fmt: skip
    for key, b in before.items():
        if key not in after:
            out.append(
                StatusChange(
                    b.cluster, b.target, b.constraint, b.title, b.status, None, classify(b.status, None),
                    b.observed, None, b.unit, b.message,
                )
            )  # fmt: skip
    return out


def new_or_worse(changes: Iterable[StatusChange], level: str) -> list[StatusChange]:
    """Changes that are new, worse or changed and whose new status reaches ``level`` (the CI gate on new findings)."""
    return [
        c for c in changes
        if c.change in ("new", "worse", "changed") and c.new_status is not None and reaches(c.new_status, level)
    ]  # fmt: skip


# ------------------------------------------------------------------------------------------------ facts


def flatten_facts(snap: Snapshot) -> dict[str, Any]:
    """A snapshot's measured facts as ``{"nodes.count": 150, "objects.pods": 4500, "cluster.version": ...}``:
    numbers and strings at any depth, lists as their length, the run's own metadata left out."""
    out: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if any(path == s or path.startswith(s + ".") for s in _SKIP_FACTS):
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                out[f"{path}.count"] = len(value)
        elif isinstance(value, bool) or value is None:
            if value is not None:
                out[path] = value
        elif isinstance(value, int | float | str):
            out[path] = value

    walk(snap.to_dict(), "")
    return out


def _latest(snapshots: Sequence[Snapshot]) -> dict[str, Snapshot]:
    out: dict[str, Snapshot] = {}
    for snap in snapshots:
        have = out.get(snap.cluster.name)
        if have is None or parse_time(snap.collected_at) >= parse_time(have.collected_at):
            out[snap.cluster.name] = snap
    return out


def _change(cluster: str, fact: str, old: Any, new: Any) -> FactChange:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    if not numeric:
        return FactChange(cluster, fact, old, new)
    delta = float(new) - float(old)
    percent = round(100.0 * delta / abs(float(old)), 1) if old else None
    return FactChange(cluster, fact, old, new, delta, percent)


def diff_facts(old: Sequence[Snapshot], new: Sequence[Snapshot]) -> tuple[list[FactChange], list[str], list[str]]:
    """Facts that moved between the newest snapshot of each cluster on either side; plus clusters added and
    removed (by name)."""
    before, after = _latest(old), _latest(new)
    changes: list[FactChange] = []
    for name, snap in after.items():
        if name not in before:
            continue
        a, b = flatten_facts(before[name]), flatten_facts(snap)
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                changes.append(_change(name, key, a.get(key), b.get(key)))
    added = [n for n in after if n not in before]
    removed = [n for n in before if n not in after]
    return changes, added, removed


def diff_observed(old: Sequence[FindingState], new: Sequence[FindingState]) -> list[FactChange]:
    """Facts that moved, from findings alone: the observed value per cluster x constraint (one per constraint)."""

    def observed(states: Sequence[FindingState]) -> Mapping[tuple[str, str], Any]:
        out: dict[tuple[str, str], Any] = {}
        for s in states:
            out.setdefault((s.cluster, s.constraint), s.observed)
        return out

    a, b = observed(old), observed(new)
    return [
        _change(cluster, constraint, a.get((cluster, constraint)), value)
        for (cluster, constraint), value in b.items()
        if (cluster, constraint) in a and a[(cluster, constraint)] != value
    ]


def clusters_of(states: Sequence[FindingState]) -> list[str]:
    """Cluster names in first-seen order."""
    return list(dict.fromkeys(s.cluster for s in states))
