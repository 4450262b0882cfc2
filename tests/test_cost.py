"""The cost model: fees from the assumptions, extended support by calendar, free tier, break-even."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from evaluator.errors import CatalogError, InputError
from evaluator.inventory import ClusterInfo, NodeInventory
from evaluator.scoring.cost import (
    break_even,
    cost_assumptions_from_data,
    eks_support,
    estimate_costs,
    estimate_fleet,
    load_cost_assumptions,
)
from evaluator.scoring.engine import evaluate
from tests.factories import make_snapshot
from tests.scoring_support import small_catalog

SHIPPED = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "cost_assumptions.yaml"


def _data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _lines(estimate) -> dict[str, float]:
    return {line.item: line.monthly_usd for line in estimate.lines}


def test_shipped_defaults_cite_sources() -> None:
    a = load_cost_assumptions(None)
    assert a.hours_per_month == 730 and a.currency == "USD"
    assert a.fee("eks_standard").value == 0.10 and a.fee("eks_extended").value == 0.60
    assert a.fee("gke_management").value == 0.10 and a.fee("gke_free_tier_credit").value == 74.40
    assert a.fee("eks_standard").source == "https://aws.amazon.com/eks/pricing/"
    assert a.fee("gke_management").source == "https://cloud.google.com/kubernetes-engine/pricing"
    for price in [*a.fees.values(), *a.instances.values()]:
        assert price.source.startswith("https://")
        # a price is either dated or says plainly that it was not confirmed
        assert price.verified or "NOT confirmed" in price.note
    assert "ASSUMPTION" in a.people.loaded_annual_cost.note
    assert set(a.people.fte_per_cluster) == {"self-hosted", "eks", "gke", "gke-autopilot"}
    assert a.people.fte_per_cluster["self-hosted"] > a.people.fte_per_cluster["eks"]


def test_default_figures_for_a_cluster_in_standard_support() -> None:
    a = load_cost_assumptions(None)
    snap = make_snapshot(version="1.33.2")  # standard support until 2026-07-29
    est = {
        e.target: e
        for e in estimate_costs(snap, ["self-hosted", "eks", "gke", "gke-autopilot"], a, at="2026-05-01T00:00:00Z")
    }
    people = a.people.loaded_annual_cost.value / 12
    assert _lines(est["eks"]) == {
        "EKS control plane (standard support)": 73.00,
        "control-plane engineering (people)": round(a.people.fte_per_cluster["eks"] * people, 2),
    }
    assert _lines(est["self-hosted"])["control-plane nodes"] == pytest.approx(3 * 0.192 * 730)  # 420.48
    assert _lines(est["self-hosted"])["etcd nodes"] == pytest.approx(420.48)
    assert est["self-hosted"].monthly_usd == pytest.approx(840.96 + a.people.fte_per_cluster["self-hosted"] * people)
    gke = _lines(est["gke"])
    assert gke["GKE cluster management fee (Standard, regional)"] == 73.00
    assert "GKE free-tier credit" not in gke  # regional clusters get no credit
    auto = _lines(est["gke-autopilot"])
    assert auto["GKE cluster management fee (Autopilot)"] == 73.00 and auto["GKE free-tier credit"] == -73.00
    for e in est.values():
        assert any("Worker nodes are out of scope" in n for n in e.notes)
        assert e.monthly_usd == pytest.approx(sum(line.monthly_usd for line in e.lines))


def test_extended_support_by_calendar() -> None:
    a = load_cost_assumptions(None)
    snap = make_snapshot(version="1.33.2")
    before = estimate_costs(snap, ["eks"], a, at="2026-07-28T00:00:00Z")[0]
    after = estimate_costs(snap, ["eks"], a, at="2026-07-29T00:00:00Z")[0]
    assert _lines(before)["EKS control plane (standard support)"] == 73.00
    assert _lines(after)["EKS control plane (extended support)"] == 438.00
    assert any("left EKS standard support on 2026-07-29" in n for n in after.notes)


@pytest.mark.parametrize(
    ("version", "on", "phase"),
    [
        ("1.31.4", "2025-11-25", "standard"),
        ("1.31.4", "2025-11-26", "extended"),
        ("1.31.4", "2026-11-26", "past-extended"),
        ("v1.29.10-eks-1234", "2025-06-01", "extended"),
        ("1.25.3", "2024-01-01", "unknown"),  # not in the table; 1.27 still in standard then
        ("1.25.3", "2024-08-01", "extended"),  # older than 1.27, which left standard support 2024-07-24
        ("1.25.3", "2025-08-01", "past-extended"),
        ("1.20.0", "2026-01-01", "past-extended"),
        ("1.40.0", "2026-01-01", "standard"),  # newer than the calendar
        (None, "2026-01-01", "unknown"),
    ],
)
def test_eks_support_phase(version: str | None, on: str, phase: str) -> None:
    calendar = load_cost_assumptions(None).eks_versions
    assert eks_support(version, date.fromisoformat(on), calendar).phase == phase


def test_measured_control_plane_count_and_stacked_etcd() -> None:
    data = _data()
    data["self_hosted"]["etcd_nodes"] = 0
    a = cost_assumptions_from_data(data, where="costs.yaml")
    snap = make_snapshot(nodes=NodeInventory(count=100, control_plane_count=5))
    est = estimate_costs(snap, ["self-hosted"], a)[0]
    assert _lines(est)["control-plane nodes"] == pytest.approx(5 * 0.192 * 730)
    assert "etcd nodes" not in _lines(est)
    assert "5 control-plane nodes as measured in the snapshot" in est.notes
    # an EKS snapshot's control-plane count is not the self-hosted machine count
    eks_snap = make_snapshot(
        cluster=ClusterInfo(name="e", platform="eks", version="1.33"), nodes=NodeInventory(control_plane_count=0)
    )
    assert _lines(estimate_costs(eks_snap, ["self-hosted"], a)[0])["control-plane nodes"] == pytest.approx(420.48)


def test_free_tier_goes_to_first_cluster_only() -> None:
    data = _data()
    data["gke"]["standard_location"] = "zonal"
    a = cost_assumptions_from_data(data, where="costs.yaml")
    fleet = [("a", make_snapshot("a")), ("b", make_snapshot("b"))]
    est = {(e.cluster, e.target): e for e in estimate_fleet(fleet, ["gke"], a)}
    assert _lines(est[("a", "gke")])["GKE free-tier credit"] == -73.00
    assert "GKE free-tier credit" not in _lines(est[("b", "gke")])
    assert any("goes to another cluster" in n for n in est[("b", "gke")].notes)


def test_break_even_arithmetic() -> None:
    data = _data()
    data["people"]["loaded_annual_cost"]["value"] = 120000  # 10,000 a month per FTE
    data["people"]["fte_per_cluster"] = {"self-hosted": 0.5, "eks": 0.2, "gke": 0.2, "gke-autopilot": 0.1}
    data["instances"]["m5.xlarge"]["value"] = 0.1
    data["self_hosted"]["etcd_nodes"] = 0
    a = cost_assumptions_from_data(data, where="costs.yaml")
    snap = make_snapshot(version="1.33.1", nodes=NodeInventory(control_plane_count=3))
    result = break_even([("prod-1", snap)], a, at="2026-05-01T00:00:00Z")
    # EKS: 73 + 0.2 x 10,000 = 2,073; self-hosted machines 3 x 0.1 x 730 = 219 -> (2,073 - 219) / 10,000
    assert result["eks"]["fte_per_cluster"]["prod-1"] == pytest.approx(0.1854)
    assert result["eks"]["fleet_fte"] == pytest.approx(0.1854)
    assert result["eks"]["assumed_self_hosted_fte"] == 0.5
    assert result["eks"]["cheaper"] == "eks"
    assert "below 0.19 engineer-FTE" in result["eks"]["message"]
    # Autopilot: fee fully covered by the credit: (0 + 1,000 - 219) / 10,000
    assert result["gke-autopilot"]["fte_per_cluster"]["prod-1"] == pytest.approx(0.0781)
    # with cheap enough people, self-hosting wins
    data["people"]["fte_per_cluster"]["self-hosted"] = 0.1
    cheaper = break_even([("prod-1", snap)], cost_assumptions_from_data(data, where="c"), at="2026-05-01T00:00:00Z")
    assert cheaper["eks"]["cheaper"] == "self-hosted"


def test_break_even_never_when_machines_cost_more() -> None:
    data = _data()
    data["instances"]["m5.xlarge"]["value"] = 50.0
    result = break_even([("p", make_snapshot("p"))], cost_assumptions_from_data(data, where="c"))
    assert result["eks"]["fleet_fte"] < 0 and "never costs less than EKS" in result["eks"]["message"]


def test_evaluation_carries_costs_and_assumptions() -> None:
    ev = evaluate([make_snapshot()], small_catalog(), now="2026-11-26T00:00:00Z")
    assert {(c.cluster, c.target) for c in ev.costs} == {("prod-1", t) for t in ev.targets}
    assert ev.cost_assumptions["fees"]["eks_standard"]["value"] == 0.10
    assert ev.cost_assumptions["source_file"].endswith("cost_assumptions.yaml")
    assert set(ev.break_even) == {"eks", "gke", "gke-autopilot"}
    # 1.29 is past EKS extended support on 2026-11-26
    eks = next(c for c in ev.costs if c.target == "eks")
    assert _lines(eks)["EKS control plane (extended support)"] == 438.00


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["fees"].pop("eks_extended"), "fees.eks_extended: required fee is missing"),
        (lambda d: d["fees"]["eks_standard"].update(value=-1), "fees.eks_standard.value: must not be negative"),
        (lambda d: d["fees"]["eks_standard"].update(value="cheap"), "fees.eks_standard.value: expected a number"),
        (
            lambda d: d["fees"]["eks_standard"].update(source="http://x"),
            "fees.eks_standard.source: must be an https URL",
        ),
        (
            lambda d: d["self_hosted"].update(etcd_instance="z9.huge"),
            "self_hosted.etcd_instance: no price for 'z9.huge'",
        ),
        (lambda d: d["people"]["fte_per_cluster"].update(aks=1), "people.fte_per_cluster.aks: unknown target"),
        (lambda d: d["gke"].update(standard_location="moon"), "gke.standard_location: expected regional or zonal"),
        (
            lambda d: d["eks_versions"]["versions"]["1.33"].update(end_of_standard="soon"),
            "versions.1.33.end_of_standard",
        ),
        (lambda d: d.update(schema="k8seval/cost-assumptions/v0"), "schema: expected"),
        (lambda d: d.pop("people"), "people: required field is missing"),
    ],
)
def test_validation_names_file_and_field(tmp_path: Path, change, message: str) -> None:
    data = _data()
    change(data)
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as err:  # CatalogError is an InputError
        load_cost_assumptions(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_cost_assumptions(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("fees: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_cost_assumptions(bad)
    assert issubclass(CatalogError, InputError)


def test_unknown_calendar_falls_back_to_the_catalog_version_metric() -> None:
    data = _data()
    data["eks_versions"]["versions"] = {"1.40": {"end_of_standard": "2030-01-01", "end_of_extended": "2031-01-01"}}
    a = cost_assumptions_from_data(data, where="c")
    # 1.29 is not in this calendar and older than 1.40 (still in standard): the catalog's table decides
    snap = make_snapshot(version="1.29.4")
    est = estimate_costs(snap, ["eks"], a, at="2026-11-26T00:00:00Z")[0]
    assert _lines(est)["EKS control plane (extended support)"] == 438.00
    assert any("catalog version table" in n for n in est.notes)
