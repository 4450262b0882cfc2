"""Growth forecasts: Theil–Sen trend, crossing dates per target line, flat trends and one-snapshot notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from evaluator.inventory import EtcdInventory, Gap, NodeInventory
from evaluator.scoring.engine import evaluate
from evaluator.scoring.forecast import forecast_history, theil_sen
from tests.factories import make_snapshot
from tests.scoring_support import GIB, small_catalog

NOW = "2026-11-26T12:00:00Z"
START = datetime(2026, 8, 1, 10, 0, 0)


def _history(values_gib: list[float], step_days: int = 30, nodes: list[int] | None = None):
    snaps = []
    for i, v in enumerate(values_gib):
        at = (START + timedelta(days=step_days * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        snap = make_snapshot(etcd=EtcdInventory(db_size_bytes=int(v * GIB)))
        if nodes is not None:
            snap = replace(snap, nodes=NodeInventory(count=nodes[i]))
        snaps.append(replace(snap, collected_at=at))
    return snaps


def test_theil_sen_exact_line() -> None:
    slope, intercept = theil_sen([(0, 1), (1, 3), (2, 5), (3, 7)])
    assert slope == 2 and intercept == 1


def test_theil_sen_ignores_an_outlier() -> None:
    points = [(x, 10 + 0.5 * x) for x in range(9)]
    points[7] = (7, 500)  # one odd snapshot
    slope, intercept = theil_sen(points)
    assert slope == pytest.approx(0.5) and intercept == pytest.approx(10)
    # ordinary least squares would be dragged: check the outlier really matters to a mean-based fit
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    ols = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    assert abs(ols - 0.5) > 0.1


def test_theil_sen_needs_two_times() -> None:
    with pytest.raises(ValueError):
        theil_sen([(1, 1), (1, 2)])


def test_crossing_dates_per_target() -> None:
    # 4.0, 4.25, 4.5, 4.75 GiB at 30-day steps: 0.25 GiB per 30 days
    snaps = _history([4.0, 4.25, 4.5, 4.75])
    forecasts, notes = forecast_history("prod-1", snaps, small_catalog(), ["self-hosted", "eks", "gke"])
    assert notes == []
    etcd = next(f for f in forecasts if f.constraint == "etcd_db_size")
    assert etcd.slope_per_day * 30 == pytest.approx(0.25 * GIB, rel=1e-6)
    assert etcd.current == pytest.approx(int(4.75 * GIB))
    assert len(etcd.points) == 4 and etcd.points[0][0] == "2026-08-01T10:00:00Z"
    crossings = {(c.target, c.level): c for c in etcd.crossings}
    # self-hosted 2 GiB: every line already passed
    for level in ("watch", "at-risk", "blocker"):
        assert crossings[("self-hosted", level)].already
        assert crossings[("self-hosted", level)].months == 0
    # EKS 8 GiB: (8 - 4.75) / (0.25 / 30) = 390 days after the last snapshot
    last = START + timedelta(days=90)
    limit = crossings[("eks", "blocker")]
    assert not limit.already and limit.threshold == 8 * GIB
    assert limit.date == (last + timedelta(days=390)).date().isoformat()
    assert limit.months == pytest.approx(390 / (365.25 / 12), abs=0.05)
    watch = crossings[("eks", "watch")]  # 5.6 GiB: (5.6 - 4.75) / (0.25/30) = 102 days
    assert watch.date == (last + timedelta(days=102)).date().isoformat()
    at_risk = crossings[("eks", "at-risk")]  # 7.2 GiB: 294 days
    assert at_risk.date == (last + timedelta(days=294)).date().isoformat()
    assert not any(c.target == "gke" for c in etcd.crossings)  # GKE publishes no number
    assert "reaches EKS's 8 GiB in about 13 months (2027-11)" in etcd.message
    assert "is already past the self-hosted 2 GiB" in etcd.message


def test_outlier_does_not_move_the_date() -> None:
    clean = _history([4.0, 4.25, 4.5, 4.75, 5.0])
    spiky = _history([4.0, 4.25, 9.5, 4.75, 5.0])  # one bad reading mid-history
    date = {}
    for name, snaps in (("clean", clean), ("spiky", spiky)):
        forecasts, _ = forecast_history("prod-1", snaps, small_catalog(), ["eks"])
        etcd = next(f for f in forecasts if f.constraint == "etcd_db_size")
        date[name] = next(c.date for c in etcd.crossings if c.level == "blocker")
    assert date["clean"] == date["spiky"]


def test_flat_and_shrinking_trends_have_no_crossing() -> None:
    flat, _ = forecast_history("prod-1", _history([3.0, 3.0, 3.0]), small_catalog(), ["eks"])
    etcd = next(f for f in flat if f.constraint == "etcd_db_size")
    assert etcd.slope_per_day == 0 and etcd.crossings == []
    assert "etcd database size is flat: no crossing on the current trend" in etcd.message
    shrinking, _ = forecast_history("prod-1", _history([3.0, 2.5, 2.0]), small_catalog(), ["eks", "self-hosted"])
    etcd = next(f for f in shrinking if f.constraint == "etcd_db_size")
    assert "is shrinking" in etcd.message and "no crossing on the current trend" in etcd.message
    # what is already past stays reported, nothing new is projected
    assert all(c.already for c in etcd.crossings)
    assert {c.target for c in etcd.crossings} == {"self-hosted"}


def test_far_crossings_have_no_date() -> None:
    forecasts, _ = forecast_history("prod-1", _history([1.0, 1.0001, 1.0002]), small_catalog(), ["eks"])
    etcd = next(f for f in forecasts if f.constraint == "etcd_db_size")
    limit = next(c for c in etcd.crossings if c.level == "blocker")
    assert limit.date is None and limit.months is None and not limit.already
    assert "does not reach EKS's 8 GiB within 10 years" in etcd.message


def test_one_snapshot_note() -> None:
    ev = evaluate([make_snapshot("payments")], small_catalog(), now=NOW)
    assert ev.forecasts == []
    assert ev.forecast_notes == ["payments: one snapshot, no forecast (collect again later to see growth)"]


def test_same_time_snapshots_note() -> None:
    snaps = [make_snapshot(), make_snapshot()]
    forecasts, notes = forecast_history("prod-1", snaps, small_catalog(), ["eks"])
    assert forecasts == [] and notes == ["prod-1: 2 snapshots all taken at the same time, no forecast"]


def test_metric_unknown_in_history_is_noted() -> None:
    snaps = _history([1.0, 2.0, 3.0])
    snaps = [replace(s, etcd=EtcdInventory()) for s in snaps[:2]] + snaps[2:]
    forecasts, notes = forecast_history("prod-1", snaps, small_catalog(), ["eks"])
    assert [f.constraint for f in forecasts] == ["nodes_per_cluster"]
    assert notes == ["prod-1: etcd database size measured at one point in time only (etcd.db_size_bytes), no forecast"]


def test_metric_never_measured_says_why() -> None:
    gap = Gap("kube", "etcd.db_size_bytes", "apiserver /metrics forbidden")
    snaps = [replace(s, etcd=EtcdInventory(), gaps=[gap]) for s in _history([1.0, 2.0, 3.0])]
    _, notes = forecast_history("prod-1", snaps, small_catalog(), ["eks"])
    assert len(notes) == 1
    assert notes[0].startswith("prod-1: etcd database size not measured in any snapshot (etcd.db_size_bytes): ")
    assert "apiserver /metrics forbidden" in notes[0] and notes[0].endswith(", no forecast")


def test_node_growth_through_evaluate() -> None:
    snaps = _history([1.0, 1.0, 1.0], nodes=[600, 700, 800])  # +100 nodes / 30 days
    ev = evaluate(snaps, small_catalog(), ["eks"], now=NOW)
    nodes = next(f for f in ev.forecasts if f.constraint == "nodes_per_cluster")
    limit = next(c for c in nodes.crossings if c.threshold == 1000)
    assert limit.level == "at-risk"  # a recommended maximum: past it is at-risk, not a blocker
    assert limit.date == (START + timedelta(days=60 + 60)).date().isoformat()
    assert nodes.message.startswith("prod-1: Nodes per cluster grows +")


def test_a_timestamp_without_offset_is_utc() -> None:
    # A hand-written "2026-08-01T10:00:00" beside "...Z" snapshots: compared as UTC, not an internal error.
    snaps = _history([1.0, 2.0, 3.0])
    snaps[0] = replace(snaps[0], collected_at=snaps[0].collected_at.removesuffix("Z"))
    forecasts, notes = forecast_history("prod-1", snaps, small_catalog(), ["eks"])
    etcd = next(f for f in forecasts if f.constraint == "etcd_db_size")
    assert etcd.slope_per_day == pytest.approx(1 / 30 * GIB) and notes == []


@pytest.mark.parametrize(
    ("months", "words"),
    [
        (0.2, "now"),
        (0.5, "in about a month"),
        (1.4, "in about a month"),
        (1.5, "in about 2 months"),
        (7.2, "in about 7 months"),
    ],
)
def test_crossing_wording_never_says_zero_months(months: float, words: str) -> None:
    from evaluator.scoring.forecast import _when

    assert _when(months) == words
