"""The scoring engine: status rules per limit kind and check, messages, fit score, grade and verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evaluator.catalog.model import Catalog
from evaluator.errors import InputError
from evaluator.inventory import ClusterInfo, EtcdInventory, Gap, NodeInventory
from evaluator.scoring.engine import (
    evaluate,
    fit_score,
    grade_for,
    group_history,
    summarise_fit,
    verdict_for,
)
from evaluator.scoring.judge import format_value, judge
from evaluator.scoring.metrics import MetricValue
from tests.factories import make_snapshot
from tests.scoring_support import GIB, constraint, limit, small_catalog

NOW = "2026-11-26T12:00:00Z"


def _judge(kind: str, value: float | None, observed: float | None, check: str = "max", **kw: object):
    c = constraint(check=check, limits={"eks": limit(kind, value, **kw)})
    return judge(c, "eks", MetricValue(observed, "" if observed is not None else "kube: 403 Forbidden"))


@pytest.mark.parametrize(
    ("kind", "observed", "status"),
    [
        ("hard", 0, "ok"),
        ("hard", 69, "ok"),
        ("hard", 70, "watch"),
        ("hard", 89, "watch"),
        ("hard", 90, "at-risk"),
        ("hard", 100, "at-risk"),  # at the limit, not over it
        ("hard", 101, "blocker"),
        ("quota", 50, "ok"),
        ("quota", 95, "at-risk"),
        ("quota", 101, "at-risk"),  # a quota can be raised on request
        ("quota", 1000, "at-risk"),
        ("recommended", 75, "watch"),
        ("recommended", 101, "at-risk"),
        ("recommended", 250, "at-risk"),
    ],
)
def test_check_max_by_kind(kind: str, observed: float, status: str) -> None:
    j = _judge(kind, 100, observed)
    assert j.status == status
    assert j.utilisation == pytest.approx(observed / 100)
    assert j.headroom == pytest.approx(100 - observed)


@pytest.mark.parametrize(
    ("kind", "exceeded", "observed", "status"),
    [
        ("recommended", "blocker", 101, "blocker"),
        ("recommended", "blocker", 99, "at-risk"),  # the override only applies past the limit
        ("hard", "at-risk", 150, "at-risk"),
        ("quota", "watch", 120, "watch"),
    ],
)
def test_exceeded_override(kind: str, exceeded: str, observed: float, status: str) -> None:
    assert _judge(kind, 100, observed, exceeded=exceeded).status == status


@pytest.mark.parametrize(
    ("check", "kind", "value", "observed", "status"),
    [
        ("max", "recommended", 110, 110, "ok"),  # kubelet maxPods at the default: a setting at its limit is fine
        ("max", "hard", 250, 249, "ok"),
        ("max", "hard", 250, 251, "blocker"),  # passing the limit still counts
        ("max", "recommended", 110, 250, "at-risk"),
        ("min", "hard", 10, 10, "ok"),
        ("min", "hard", 10, 9, "blocker"),
    ],
)
def test_settings_have_no_bands(check: str, kind: str, value: float, observed: float, status: str) -> None:
    c = constraint(check=check, setting=True, limits={"eks": limit(kind, value)})
    assert judge(c, "eks", MetricValue(observed)).status == status


@pytest.mark.parametrize(
    ("kind", "observed", "status"),
    [("hard", 0, "ok"), ("hard", 1, "blocker"), ("hard", 12, "blocker"), ("quota", 3, "at-risk")],
)
def test_limit_zero(kind: str, observed: float, status: str) -> None:
    j = _judge(kind, 0, observed)
    assert j.status == status
    assert j.utilisation is None
    assert "allows none" in j.message


@pytest.mark.parametrize(
    ("kind", "value", "observed", "status"),
    [
        ("hard", 10, 5, "blocker"),
        ("hard", 10, 0, "blocker"),
        ("hard", 10, -2, "blocker"),  # e.g. months of support left after the end date
        ("hard", 10, 10, "at-risk"),  # limit / observed = 1
        ("hard", 10, 11, "at-risk"),  # 0.91
        ("hard", 10, 13, "watch"),  # 0.77
        ("hard", 10, 20, "ok"),  # 0.5
        ("recommended", 10, 9, "at-risk"),
        ("quota", 10, 9, "at-risk"),
        ("hard", 0, 0, "ok"),
        ("hard", 0, 5, "ok"),
    ],
)
def test_check_min_mirror(kind: str, value: float, observed: float, status: str) -> None:
    j = _judge(kind, value, observed, check="min")
    assert j.status == status
    assert j.headroom == pytest.approx(observed - value)
    if value > 0 and observed > 0:
        assert j.utilisation == pytest.approx(value / observed)


def test_unknown_metric_carries_reason() -> None:
    j = _judge("hard", 100, None)
    assert j.status == "unknown"
    assert "kube: 403 Forbidden" in j.message
    assert j.utilisation is None


def test_not_applicable_is_ok_even_when_unmeasured() -> None:
    j = _judge("not-applicable", None, None)
    assert j.status == "ok"
    assert "no such limit on EKS" in j.message


def test_not_published_unknown_or_watch() -> None:
    c = constraint(
        unit="bytes",
        title="etcd database size",
        limits={"self-hosted": limit("hard", 2 * GIB), "eks": limit("hard", 8 * GIB), "gke": limit("not-published")},
    )
    small = judge(c, "gke", MetricValue(1.0 * GIB))  # 50% of the self-hosted limit: nothing to say
    assert small.status == "unknown"
    assert "Google publishes no GKE limit" in small.message
    large = judge(c, "gke", MetricValue(5.1 * GIB))  # past the self-hosted 2 GiB
    assert large.status == "watch"
    assert "the self-hosted 2 GiB hard limit" in large.message
    unmeasured = judge(c, "gke", MetricValue(None, "etcd: not reachable"))
    assert unmeasured.status == "unknown" and "etcd: not reachable" in unmeasured.message


def test_not_published_ignores_limits_on_another_metric() -> None:
    c = constraint(
        limits={
            "self-hosted": limit("hard", 10, metric="etcd.db_size_bytes"),
            "gke": limit("not-published"),
        }
    )
    assert judge(c, "gke", MetricValue(500.0)).status == "unknown"


def test_message_figures() -> None:
    c = small_catalog().get("etcd_db_size")
    j = judge(c, "eks", MetricValue(5.1 * GIB))
    assert j.message == "etcd database size is 5.1 GiB of EKS's 8 GiB hard limit (64%)"
    over = judge(c, "self-hosted", MetricValue(5.1 * GIB))
    assert over.status == "blocker"
    assert "255%" in over.message and "3.1 GiB over" in over.message
    n = judge(small_catalog().get("nodes_per_cluster"), "gke-autopilot", MetricValue(1200))
    assert n.message.startswith("Nodes per cluster is 1,200 of GKE Autopilot's 1,000 default quota (120%")
    assert "can be raised on request" in n.message


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (8 * GIB, "bytes", "8 GiB"),
        (5.1 * GIB, "bytes", "5.1 GiB"),
        (300 * 1024**2, "bytes", "300 MiB"),
        (512, "bytes", "512 bytes"),
        (8000, "count", "8,000"),
        (45000, "pods", "45,000 pods"),
        (1048576, "ips", "1,048,576 IPs"),
        (2.5, "months", "2.5 months"),
        (0.834, "fraction", "83%"),
        (None, "count", "unknown"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("counts", "score", "grade", "verdict"),
    [
        ({}, 100, "A", "fits"),
        ({"ok": 40}, 100, "A", "fits"),
        ({"ok": 39, "watch": 1}, 99.9, "A", "fits"),  # clearance 1 - 0.2/40, in the fits band 80-100
        ({"ok": 38, "unknown": 2}, 99.9, "A", "fits"),
        ({"ok": 37, "unknown": 3}, 79.7, "C", "fits with work"),  # more than 2 unknown: the 50-79.9 band
        ({"ok": 30, "watch": 10}, 99, "A", "fits"),
        ({"ok": 39, "at-risk": 1}, 79.5, "C", "fits with work"),
        ({"ok": 20, "at-risk": 20}, 72.4, "C", "fits with work"),  # clearance 0.75
        ({"ok": 10, "at-risk": 30}, 68.7, "C", "fits with work"),
        ({"ok": 0, "at-risk": 40}, 65, "C", "fits with work"),  # clearance 0.5
        ({"ok": 39, "blocker": 1}, 48.7, "F", "does not fit today"),  # the 0-49.9 band
        ({"ok": 10, "blocker": 20, "at-risk": 10}, 18.7, "F", "does not fit today"),  # clearance 0.375
        ({"blocker": 4}, 0, "F", "does not fit today"),
    ],
)
def test_score_grade_verdict(counts: dict[str, int], score: float, grade: str, verdict: str) -> None:
    assert fit_score(counts) == score
    assert grade_for(score) == grade
    assert verdict_for(counts) == verdict


def test_grade_edges() -> None:
    assert [grade_for(s) for s in (90, 89.9, 80, 79.9, 65, 64.9, 50, 49.9)] == ["A", "B", "B", "C", "C", "D", "D", "F"]


def _etcd(size: float, at: str = "2026-11-01T10:00:00Z", **kw: object):
    return replace(make_snapshot(etcd=EtcdInventory(db_size_bytes=int(size)), **kw), collected_at=at)


def test_evaluate_findings_and_fits() -> None:
    snap = _etcd(5.1 * GIB)
    ev = evaluate([snap], small_catalog(), now=NOW)
    assert ev.targets == ["self-hosted", "eks", "gke", "gke-autopilot"]
    assert ev.clusters == ["prod-1"] and ev.catalog_version == "test-1" and ev.generated_at == NOW
    assert len(ev.findings) == 2 * 4
    cell = {(f.target, f.constraint): f for f in ev.findings}
    assert cell[("self-hosted", "etcd_db_size")].status == "blocker"
    assert cell[("eks", "etcd_db_size")].status == "ok"
    assert cell[("gke", "etcd_db_size")].status == "watch"
    eks = cell[("eks", "etcd_db_size")]
    assert eks.observed == pytest.approx(int(5.1 * GIB)) and eks.limit == 8 * GIB and eks.unit == "bytes"
    assert eks.source.startswith("https://") and eks.verified == "2026-11-01" and eks.limit_kind == "hard"
    assert eks.questions == ["MKQ-ETCD-01"] and eks.snapshot_at == snap.collected_at
    assert eks.remediation == ""  # only shown when there is something to do
    assert cell[("self-hosted", "etcd_db_size")].remediation.startswith("Compact")
    fits = {f.target: f for f in ev.fits}
    # one ok and one blocker: clearance 0.5, placed in the 0-49.9 band of "does not fit today"
    assert fits["self-hosted"].verdict == "does not fit today" and fits["self-hosted"].score == 24.9
    assert "etcd database size (5.1 GiB vs 2 GiB)" in fits["self-hosted"].reason
    assert fits["eks"].verdict == "fits" and fits["eks"].grade == "A"
    assert fits["eks"].counts == {"ok": 2, "watch": 0, "at-risk": 0, "blocker": 0, "unknown": 0}


def test_evaluate_unknown_from_gap_and_missing_extractor() -> None:
    snap = replace(make_snapshot(etcd=EtcdInventory()), gaps=[Gap("etcd", "etcd.db_size_bytes", "no etcd endpoint")])
    cat = small_catalog()
    cat = Catalog(
        cat.version,
        [*cat.constraints, constraint("mystery", metric="no.such.metric", limits={"eks": limit("hard", 1)})],
    )
    ev = evaluate([snap], cat, ["eks"], now=NOW)
    cell = {f.constraint: f for f in ev.findings}
    assert cell["etcd_db_size"].status == "unknown"
    assert "etcd: no etcd endpoint" in cell["etcd_db_size"].message
    assert cell["mystery"].status == "unknown" and "no extractor" in cell["mystery"].message
    fit = ev.fits[0]
    assert fit.counts["unknown"] == 2 and fit.verdict == "fits"
    assert "not measured" in fit.reason


def test_evaluate_scores_latest_of_history_whatever_the_order() -> None:
    old = _etcd(1.0 * GIB, "2026-09-01T00:00:00Z")
    new = _etcd(1.9 * GIB, "2026-11-01T00:00:00Z")
    ev = evaluate([new, old], small_catalog(), ["self-hosted"], now=NOW)
    assert ev.clusters == ["prod-1"]
    etcd = next(f for f in ev.findings if f.constraint == "etcd_db_size")
    assert etcd.snapshot_at == "2026-11-01T00:00:00Z" and etcd.status == "at-risk"
    assert len(ev.forecasts) == 2  # both growing constraints have a trend


def test_same_name_other_account_is_another_cluster() -> None:
    a = make_snapshot(cluster=ClusterInfo(name="prod", platform="eks", account="111", region="eu-west-2"))
    b = make_snapshot(cluster=ClusterInfo(name="prod", platform="eks", account="222", region="eu-west-2"))
    histories = group_history([a, b])
    assert [h.label for h in histories] == ["prod (eks/111/eu-west-2)", "prod (eks/222/eu-west-2)"]
    ev = evaluate([a, b], small_catalog(), ["eks"], now=NOW)
    assert len(ev.clusters) == 2 and len(ev.fits) == 2


def test_targets_in_default_order_and_validated() -> None:
    ev = evaluate([make_snapshot()], small_catalog(), ["gke", "eks"], now=NOW)
    assert ev.targets == ["eks", "gke"]
    assert {f.target for f in ev.findings} == {"eks", "gke"}
    assert {c.target for c in ev.costs} == {"eks", "gke"}
    with pytest.raises(InputError, match="unknown target 'aks'"):
        evaluate([make_snapshot()], small_catalog(), ["aks"], now=NOW)


def test_per_target_metric_override() -> None:
    c = constraint(
        "mixed",
        metric="nodes.count",
        limits={"eks": limit("hard", 100), "gke": limit("hard", 2 * GIB, metric="etcd.db_size_bytes")},
    )
    snap = make_snapshot(nodes=NodeInventory(count=150), etcd=EtcdInventory(db_size_bytes=GIB))
    ev = evaluate([snap], Catalog("t", [c]), ["eks", "gke"], now=NOW)
    cell = {f.target: f for f in ev.findings}
    assert cell["eks"].observed == 150 and cell["eks"].status == "blocker"
    assert cell["gke"].observed == GIB and cell["gke"].status == "ok"


def test_summarise_fit_reason_lists_worst_first() -> None:
    ev = evaluate([_etcd(5.1 * GIB, nodes=NodeInventory(count=6000))], small_catalog(), ["self-hosted"], now=NOW)
    fit = summarise_fit("prod-1", "self-hosted", ev.findings)
    assert fit.reason.startswith("Blocked on self-hosted: etcd database size")
    assert fit.counts["at-risk"] == 1  # 6,000 nodes over the recommended 5,000
