"""Metric extractors: one function per catalog ``metric`` name, reading a value out of a snapshot.

A metric returns a :class:`MetricValue`: the number, or ``None`` with the reason it is unknown (taken
from the snapshot's gaps where one applies). Never 0 for "not measured".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..inventory import Snapshot


@dataclass(frozen=True)
class MetricValue:
    """A measured value, or None with the reason it is not known."""

    value: float | None
    reason: str = ""
    detail: str = ""  # optional context shown with the finding, e.g. "largest: namespace payments"


MetricFn = Callable[[Snapshot], MetricValue]
METRICS: dict[str, MetricFn] = {}
DESCRIPTIONS: dict[str, str] = {}


def metric(name: str, description: str) -> Callable[[MetricFn], MetricFn]:
    """Register a metric extractor under ``name``."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} registered twice")
        METRICS[name] = fn
        DESCRIPTIONS[name] = description
        return fn

    return register


def known(snap: Snapshot, value: float | int | None, *gap_items: str, missing: str = "not measured") -> MetricValue:
    """Wrap a possibly-None value; when None, explain it with the first matching gap."""
    if value is not None:
        return MetricValue(float(value))
    gap = snap.gap_for(*gap_items) if gap_items else None
    return MetricValue(None, f"{gap.source}: {gap.reason}" if gap else missing)


@metric("etcd.db_size_bytes", "etcd database size on disk (bytes), direct or from apiserver metrics")
def _etcd_db_size(snap: Snapshot) -> MetricValue:
    return known(snap, snap.etcd.db_size_bytes, "etcd.db_size_bytes", "etcd")


@metric("nodes.count", "number of Node objects")
def _nodes_count(snap: Snapshot) -> MetricValue:
    return known(snap, snap.nodes.count, "nodes")
