"""The cost model: sourced price tables, worker compute and equivalents, load balancers, traffic, support, people,
gaps for missing prices, break-even and sensitivity."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from evaluator.errors import CatalogError, InputError
from evaluator.inventory import ClusterInfo, NodeInventory, ServiceInventory
from evaluator.scoring.cost import (
    SupportPlan,
    break_even,
    cost_analysis,
    cost_assumptions_from_data,
    eks_support,
    estimate_costs,
    estimate_fleet,
    load_cost_assumptions,
    tiered,
)
from evaluator.scoring.engine import evaluate
from evaluator.scoring.pricing import ITEMS, load_price_table, shipped_tables, table_document, table_from_data
from tests.factories import make_snapshot
from tests.scoring_support import small_catalog

SHIPPED = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "cost_assumptions.yaml"
TABLES = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "prices"
ALL = ["self-hosted", "eks", "gke", "gke-autopilot"]


def _data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _us(data: dict | None = None) -> dict:
    """The shipped assumptions priced in us-east-1 / us-central1, where the shipped tables hold machine prices."""
    data = data or _data()
    data["regions"] = {"aws": "us-east-1", "gcp": "us-central1"}
    return data


def _simple(data: dict) -> dict:
    """No traffic, no support: the lines under test stand alone."""
    data["traffic"] = {"nat_gateways": 0, "nat_processed_gb": 0, "inter_zone_gb": 0, "internet_egress_gb": 0}
    data["support"] = {"aws": "none", "gcp": "none"}
    return data


def _lines(estimate) -> dict[str, float | None]:
    return {line.item: line.monthly_usd for line in estimate.lines}


def _bank_snapshot(**kw):
    return make_snapshot(
        version="1.33.2",
        nodes=NodeInventory(count=103, control_plane_count=3, by_instance_type={"m5.4xlarge": 83, "r5.4xlarge": 20}),
        services=ServiceInventory(count=300, by_type={"ClusterIP": 290, "LoadBalancer": 10}),
        **kw,
    )


# ------------------------------------------------------------------------------------------------ shipped data


def test_shipped_defaults_cite_sources() -> None:
    a = load_cost_assumptions(None)
    assert a.hours_per_month == 730 and a.currency == "USD"
    assert (a.regions.aws, a.regions.gcp) == ("eu-west-2", "europe-west2")  # London for a UK bank
    assert a.fee("eks_standard").value == 0.10 and a.fee("eks_extended").value == 0.60
    assert a.fee("gke_management").value == 0.10 and a.fee("gke_free_tier_credit").value == 74.40
    for price in a.fees.values():
        assert price.source.startswith("https://") and price.verified
    for plan in a.support_plans.values():
        assert plan.source.startswith("https://") and plan.verified
    assert "ASSUMPTION" in a.people.loaded_annual_cost.note
    assert set(a.people.fte_per_cluster) == set(ALL) == set(a.people.basis)
    assert "ASSUMPTION" in a.traffic.note


def test_shipped_tables_cover_the_regions_and_every_price_is_sourced_and_dated() -> None:
    tables = shipped_tables()
    assert set(tables) == {
        ("aws", "us-east-1"),
        ("aws", "eu-west-2"),
        ("aws", "eu-west-1"),
        ("gcp", "us-central1"),
        ("gcp", "europe-west2"),
        ("gcp", "europe-west1"),
    }
    for table in tables.values():
        for row in table.rows():
            assert row["source"].startswith("https://") and row["verified"] == "2026-12-01", row
            assert row["evidence"].startswith("https://"), row
    us = tables[("aws", "us-east-1")]
    assert us.compute["m5.4xlarge"].value == 0.768 and us.compute["m5.4xlarge"].vcpu == 16
    assert tables[("gcp", "europe-west2")].compute["n2-standard-16"].value == 1.000992
    # London EC2 prices were not verified for this release: the table ships empty rather than guessed
    assert not tables[("aws", "eu-west-2")].compute


def test_table_document_round_trips() -> None:
    for table in shipped_tables().values():
        again = table_from_data(table_document(table), where=table.source_file)
        assert again.compute == table.compute and again.items == table.items


# ------------------------------------------------------------------------------------------------ estimates


def test_worker_compute_by_instance_type_and_gke_equivalents() -> None:
    a = cost_assumptions_from_data(_simple(_us()), where="costs.yaml")
    est = {e.target: e for e in estimate_costs(_bank_snapshot(), ALL, a, at="2026-05-01T00:00:00Z")}
    eks = _lines(est["eks"])
    # 3 control-plane nodes of a self-hosted snapshot come out of the most numerous type
    assert eks["workers: 80 x m5.4xlarge"] == pytest.approx(80 * 0.768 * 730)
    assert eks["workers: 20 x r5.4xlarge"] == pytest.approx(20 * 1.008 * 730)
    assert _lines(est["self-hosted"])["workers: 80 x m5.4xlarge"] == eks["workers: 80 x m5.4xlarge"]
    gke = _lines(est["gke"])
    assert gke["workers: 80 x m5.4xlarge as n2-standard-16"] == pytest.approx(80 * 0.776944 * 730, abs=0.01)
    assert gke["workers: 20 x r5.4xlarge as n2-highmem-16"] == pytest.approx(20 * 1.048112 * 730, abs=0.01)
    mapping = {(m["target"], m["measured"]): m for m in est["gke"].mapping}
    assert mapping[("gke", "m5.4xlarge")]["basis"] == "equivalent set in the cost file (equivalents)"
    assert est["eks"].region == "aws us-east-1" and est["gke"].region == "gcp us-central1"
    # 10 LoadBalancer Services -> 10 NLBs plus one NLCU each per hour
    assert eks["10 Network Load Balancers"] == pytest.approx(10 * 0.0225 * 730)
    assert eks["Network Load Balancer capacity units"] == pytest.approx(10 * 0.006 * 730)
    # self-hosted control plane machines from the AWS table
    assert _lines(est["self-hosted"])["control-plane nodes"] == pytest.approx(3 * 0.192 * 730)
    # one regional forwarding rule per LoadBalancer Service, at the us-central1 rate (infracost's recorded copy)
    assert gke["10 load balancer forwarding rules"] == pytest.approx(10 * 0.01 * 730)
    assert est["gke"].complete and est["eks"].complete
    # London has no GCP load balancer price: a gap naming it, not a zero
    london = cost_assumptions_from_data(_simple(_data()), where="costs.yaml")
    gke_london = next(e for e in estimate_costs(_bank_snapshot(), ["gke"], london))
    lb = next(line for line in gke_london.lines if line.category == "load balancers")
    assert lb.monthly_usd is None and "lb_forwarding_rule_hour" in lb.gap and "prices refresh" in lb.gap
    assert not gke_london.complete


def test_equivalent_by_vcpu_and_memory_for_unknown_types_and_a_gap_without_a_size() -> None:
    data = _simple(_us())
    a = cost_assumptions_from_data(data, where="costs.yaml")
    snap = make_snapshot(
        nodes=NodeInventory(count=12, by_instance_type={"vm-16c-64g": 10, "mystery-box": 2}),
        services=ServiceInventory(count=1, by_type={"ClusterIP": 1}),
    )
    est = {e.target: e for e in estimate_costs(snap, ["eks", "gke"], a)}
    eks = _lines(est["eks"])
    assert eks["workers: 10 x vm-16c-64g as m5.4xlarge"] == pytest.approx(10 * 0.768 * 730)
    assert _lines(est["gke"])["workers: 10 x vm-16c-64g as n2-standard-16"] == pytest.approx(10 * 0.776944 * 730, 0.01)
    gap = next(line for line in est["eks"].lines if "mystery-box" in line.item)
    assert gap.monthly_usd is None and "mystery-box" in gap.gap and "instance_specs" in gap.gap
    assert any("mystery-box" in g for g in est["eks"].gaps) and not est["eks"].complete
    # the mapping is data: an explicit equivalent wins over the size rule
    data["equivalents"]["aws"] = {"vm-16c-64g": "m5.8xlarge"}
    a2 = cost_assumptions_from_data(data, where="costs.yaml")
    assert "workers: 10 x vm-16c-64g as m5.8xlarge" in _lines(estimate_costs(snap, ["eks"], a2)[0])


def test_london_has_no_verified_ec2_price_so_workers_are_gaps_naming_the_price() -> None:
    a = load_cost_assumptions(None)
    est = {e.target: e for e in estimate_costs(_bank_snapshot(), ALL, a)}
    workers = [line for line in est["eks"].lines if line.category == "workers"]
    assert workers and all(line.monthly_usd is None for line in workers)
    assert "no price for m5.4xlarge in the aws eu-west-2 table" in workers[0].gap
    assert "k8seval prices refresh --provider aws --region eu-west-2" in workers[0].gap
    gke = _lines(est["gke"])
    assert gke["workers: 80 x m5.4xlarge as n2-standard-16"] == pytest.approx(80 * 1.000992 * 730, abs=0.01)


def test_autopilot_is_a_gap_without_pod_requests() -> None:
    a = cost_assumptions_from_data(_simple(_us()), where="c")
    est = estimate_costs(_bank_snapshot(), ["gke-autopilot"], a)[0]
    line = next(line for line in est.lines if line.category == "workers")
    assert line.monthly_usd is None and "pod requests" in line.gap


def test_traffic_lines_are_assumptions_and_gaps_where_the_table_has_no_price(tmp_path: Path) -> None:
    data = _us()
    data["support"] = {"aws": "none", "gcp": "none"}
    data["traffic"] = {"nat_gateways": 3, "nat_processed_gb": 500, "inter_zone_gb": 0, "internet_egress_gb": 2000}
    table = yaml.safe_load((TABLES / "aws-us-east-1.yaml").read_text(encoding="utf-8"))
    table["items"]["nat_gateway_hour"] = {
        "value": 0.05,
        "unit": "USD/hour",
        "source": "https://aws.amazon.com/vpc/pricing/",
        "verified": "2026-12-01",
    }
    del table["items"]["internet_egress_gb"]  # the price this table leaves out becomes a gap
    (tmp_path / "aws.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
    data["price_tables"] = ["aws.yaml"]
    costs = tmp_path / "costs.yaml"
    costs.write_text(yaml.safe_dump(data), encoding="utf-8")
    a = load_cost_assumptions(costs)  # price_tables are relative to the cost file
    est = estimate_costs(_bank_snapshot(), ["eks"], a)[0]
    lines = {line.item: line for line in est.lines}
    assert lines["NAT gateways"].monthly_usd == pytest.approx(3 * 730 * 0.05)  # the table given, not the shipped one
    assert "assumption" in lines["NAT gateways"].basis
    assert lines["internet egress"].monthly_usd is None and "internet_egress_gb" in lines["internet egress"].gap
    assert "inter-zone traffic" not in lines  # a zero volume is no line
    # the shipped defaults give no volumes: no traffic line, and a note that says so
    default = estimate_costs(_bank_snapshot(), ["eks"], load_cost_assumptions(None))[0]
    assert not [line for line in default.lines if line.category == "traffic"]
    assert any("Traffic (NAT, inter-zone, internet egress) is not included" in n for n in default.notes)


def test_gcp_traffic_priced_from_the_shipped_london_table_and_gaps_where_no_price_was_verified() -> None:
    data = _data()  # London on both clouds
    data["support"] = {"aws": "none", "gcp": "none"}
    data["traffic"] = {"nat_gateways": 3, "nat_processed_gb": 500, "inter_zone_gb": 100, "internet_egress_gb": 2000}
    a = cost_assumptions_from_data(data, where="costs.yaml")
    table = a.tables["gcp"]
    assert table.region == "europe-west2"
    assert table.item("nat_gateway_gb").value == 0.045 and table.item("internet_egress_gb").value == 0.12
    assert "fd66b26ff84fee5cdd94f341ea89206e76c06b99" in table.item("nat_gateway_gb").evidence
    assert "recorded" in table.item("internet_egress_gb").note.lower()
    est = estimate_costs(_bank_snapshot(), ["gke"], a)[0]
    lines = {line.item: line for line in est.lines}
    assert lines["NAT data processed"].monthly_usd == pytest.approx(500 * 0.045)
    assert lines["internet egress"].monthly_usd == pytest.approx(2000 * 0.12)
    assert lines["internet egress"].source == "https://cloud.google.com/vpc/network-pricing"
    # Cloud NAT uptime is billed per VM-hour and inter-zone egress was not verified: gaps naming the price, no zero
    assert lines["NAT gateways"].monthly_usd is None and "nat_gateway_hour" in lines["NAT gateways"].gap
    assert lines["inter-zone traffic"].monthly_usd is None and "inter_zone_gb" in lines["inter-zone traffic"].gap
    assert not est.complete


INFRACOST_GOLDEN = "e9ce62908cda6f0a7dd55ea058e4e03cf0f680ba"  # infracost golden files: ELB, NAT
INFRACOST_TRANSFER = "0ee89cff8a0944afd06fbfe90d7a98b8a947dce4"  # infracost golden file: data transfer


def _traffic(region_aws: str) -> dict:
    data = _data()
    data["regions"] = {"aws": region_aws, "gcp": "europe-west2"}
    data["support"] = {"aws": "none", "gcp": "none"}
    data["traffic"] = {"nat_gateways": 3, "nat_processed_gb": 500, "inter_zone_gb": 100, "internet_egress_gb": 2000}
    return data


def test_london_traffic_is_priced_from_the_shipped_table_and_the_rest_stays_a_gap() -> None:
    a = cost_assumptions_from_data(_traffic("eu-west-2"), where="costs.yaml")
    table = a.tables["aws"]
    assert table.region == "eu-west-2" and not table.compute
    assert INFRACOST_TRANSFER in table.item("inter_zone_gb").evidence
    est = estimate_costs(_bank_snapshot(), ["eks"], a)[0]
    lines = {line.item: line for line in est.lines}
    assert lines["inter-zone traffic"].monthly_usd == pytest.approx(100 * 0.01) and not lines["inter-zone traffic"].gap
    assert lines["internet egress"].monthly_usd == pytest.approx(2000 * 0.09) and not lines["internet egress"].gap
    assert lines["internet egress"].source == "https://aws.amazon.com/ec2/pricing/on-demand/"
    # what London still lacks is a gap naming the price, never a zero
    for item, key in (("NAT gateways", "nat_gateway_hour"), ("NAT data processed", "nat_gateway_gb")):
        assert lines[item].monthly_usd is None and key in lines[item].gap
    assert lines["10 Network Load Balancers"].monthly_usd is None
    assert "elb_nlb_hour" in lines["10 Network Load Balancers"].gap
    assert not est.complete


def test_ireland_load_balancers_and_traffic_are_priced_from_the_shipped_table() -> None:
    data = _traffic("eu-west-1")
    a = cost_assumptions_from_data(data, where="costs.yaml")
    table = a.tables["aws"]
    assert INFRACOST_GOLDEN in table.item("elb_nlb_hour").evidence
    est = estimate_costs(_bank_snapshot(), ["eks"], a)[0]
    lines = _lines(est)
    assert lines["10 Network Load Balancers"] == pytest.approx(10 * 0.0252 * 730)
    assert lines["Network Load Balancer capacity units"] == pytest.approx(10 * 1 * 0.006 * 730)
    assert lines["inter-zone traffic"] == pytest.approx(100 * 0.01)
    assert lines["internet egress"] == pytest.approx(2000 * 0.09)
    assert lines["NAT gateways"] is None  # no NAT price for eu-west-1 was found at a citable source
    data["load_balancers"] = {"aws_type": "clb", "capacity_units_per_lb": 1, "gcp_data_gb_per_lb": 0}
    clb = _lines(estimate_costs(_bank_snapshot(), ["eks"], cost_assumptions_from_data(data, where="c"))[0])
    assert clb["10 Classic Load Balancers"] == pytest.approx(10 * 0.028 * 730)
    data["load_balancers"]["aws_type"] = "alb"
    alb = _lines(estimate_costs(_bank_snapshot(), ["eks"], cost_assumptions_from_data(data, where="c"))[0])
    assert alb["10 Application Load Balancers"] is None  # not shipped for Ireland


def test_us_east_nat_gateway_and_traffic_are_priced_from_the_shipped_table() -> None:
    data = _traffic("us-east-1")
    a = cost_assumptions_from_data(data, where="costs.yaml")
    assert INFRACOST_GOLDEN in a.tables["aws"].item("nat_gateway_hour").evidence
    assert INFRACOST_GOLDEN in a.tables["aws"].item("elb_nlb_hour").evidence  # no longer a third-party guide
    est = estimate_costs(_bank_snapshot(), ["eks", "self-hosted"], a)
    for e in est:
        lines = _lines(e)
        assert lines["NAT gateways"] == pytest.approx(3 * 730 * 0.045)
        assert lines["NAT data processed"] == pytest.approx(500 * 0.045)
        assert lines["inter-zone traffic"] == pytest.approx(100 * 0.01)
        assert lines["internet egress"] == pytest.approx(2000 * 0.09)
        assert not [line for line in e.lines if line.category == "traffic" and line.gap]


def test_every_shipped_price_names_a_pinned_public_copy_and_how_it_was_read() -> None:
    """A GitHub copy is a blob URL pinned to a full commit, and the note dates the copy (generated, transcribed)."""
    pinned = re.compile(r"^https://github\.com/[^/]+/[^/]+/blob/[0-9a-f]{40}/")
    for table in shipped_tables().values():
        prices = [*(m.price() for m in table.compute.values()), *table.items.values()]
        for p in prices:
            if p.evidence.startswith("https://github.com/"):
                assert pinned.match(p.evidence), p.evidence
            assert re.search(r"\b20\d\d-\d\d-\d\d\b", p.note), p  # when the copy was generated or transcribed


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_prices_read_from_a_recorded_cost_reproduce_the_figure_their_note_quotes() -> None:
    """A price derived from a recorded monthly figure must give that figure back, rounded to cents as recorded."""
    quoted = [
        (re.compile(r"as \$([\d,]+\.\d\d) for 730 hours"), lambda m: Decimal(730)),
        (re.compile(r"states \$([\d,]+\.\d\d) per LCU-month"), lambda m: Decimal(730)),
        (re.compile(r"prices ([\d,]+) (?:GB|GiB)(?: of ingress)? at \$([\d,]+\.\d\d)"), None),
        (re.compile(r"as ([\d,]+) GB for \$([\d,]+\.\d\d)"), None),
        (re.compile(r"prices (\d+) vCPU for 730 hours at \$([\d,]+\.\d\d)"), lambda m: Decimal(m.group(1)) * 730),
    ]
    checked = 0
    for table in shipped_tables().values():
        for key, price in table.items.items():
            note = " ".join(price.note.split())
            for pattern, hours in quoted:
                for m in pattern.finditer(note):
                    if hours is None:
                        quantity, figure = Decimal(m.group(1).replace(",", "")), m.group(2)
                    else:
                        quantity, figure = hours(m), m.group(m.lastindex)
                    assert _cents(Decimal(str(price.value)) * quantity) == Decimal(figure.replace(",", "")), (key, note)
                    checked += 1
    assert checked >= 16  # every derived price in the London, Ireland, us-east-1 and us-central1 tables


def test_support_tiers_match_the_published_example() -> None:
    a = load_cost_assumptions(None)
    business = a.support_plans["aws-business"]
    # AWS's pricing page: $85,000 of monthly usage -> $6,150 of Business support
    assert tiered(business, 85_000) == pytest.approx(6150)
    # and $1,200,000 -> $70,500 of Enterprise support
    assert tiered(a.support_plans["aws-enterprise"], 1_200_000) == pytest.approx(70_500)
    assert tiered(SupportPlan(0, [[0, 10]], "https://x"), 0) == 0
    data = _us()
    data["traffic"] = _simple({})["traffic"]
    aa = cost_assumptions_from_data(data, where="c")
    fleet = [("a", _bank_snapshot()), ("b", _bank_snapshot())]
    est = {(e.cluster, e.target): e for e in estimate_fleet(fleet, ["eks"], aa)}
    first, second = (_lines(est[(c, "eks")]) for c in ("a", "b"))
    charges = sum(
        line.monthly_usd or 0 for line in est[("a", "eks")].lines if line.category not in ("support", "people")
    )
    assert first["AWS support (business)"] == pytest.approx(max(100, tiered(business, charges)), abs=0.01)
    assert second["AWS support (business)"] == pytest.approx(tiered(business, charges), abs=0.01)


def test_discount_is_an_explicit_line() -> None:
    data = _simple(_us())
    data["discounts"] = {"aws_compute_pct": 30, "gcp_compute_pct": 20}
    a = cost_assumptions_from_data(data, where="c")
    est = {e.target: e for e in estimate_costs(_bank_snapshot(), ["eks", "gke"], a)}
    workers = 80 * 0.768 * 730 + 20 * 1.008 * 730
    assert _lines(est["eks"])["Savings Plans / Reserved Instances (30 %)"] == pytest.approx(-workers * 0.3, abs=0.02)
    assert "committed-use discount (20 %)" in _lines(est["gke"])


def test_extended_support_and_free_tier_stay() -> None:
    data = _simple(_us())
    data["gke"]["standard_location"] = "zonal"
    a = cost_assumptions_from_data(data, where="costs.yaml")
    fleet = [("a", make_snapshot("a")), ("b", make_snapshot("b"))]
    est = {(e.cluster, e.target): e for e in estimate_fleet(fleet, ["gke", "eks"], a, at="2026-11-26T00:00:00Z")}
    assert _lines(est[("a", "gke")])["GKE free-tier credit"] == -73.00
    assert "GKE free-tier credit" not in _lines(est[("b", "gke")])
    assert _lines(est[("a", "eks")])["EKS control plane (extended support)"] == 438.00


@pytest.mark.parametrize(
    ("version", "on", "phase"),
    [
        ("1.33.1", "2026-05-01", "standard"),
        ("1.29.4", "2026-01-01", "extended"),
        ("1.20", "2026-01-01", "past-extended"),
    ],
)
def test_eks_support_phase(version: str, on: str, phase: str) -> None:
    a = load_cost_assumptions(None)
    assert eks_support(version, date.fromisoformat(on), a.eks_versions).phase == phase


def test_break_even_arithmetic() -> None:
    data = _simple(_us())
    data["people"]["loaded_annual_cost"]["value"] = 120000  # 10,000 a month per FTE
    data["people"]["fte_per_cluster"] = {"self-hosted": 0.5, "eks": 0.2, "gke": 0.2, "gke-autopilot": 0.1}
    data["self_hosted"]["etcd_nodes"] = 0
    data["instances"] = {"m5.xlarge": {"value": 0.1, "unit": "USD/hour", "source": "https://example.com/hw"}}
    a = cost_assumptions_from_data(data, where="costs.yaml")
    snap = make_snapshot(
        version="1.33.1", nodes=NodeInventory(control_plane_count=3, by_instance_type={"m5.xlarge": 10})
    )
    snap = make_snapshot(
        version="1.33.1",
        nodes=NodeInventory(count=13, control_plane_count=3, by_instance_type={"m5.xlarge": 13}),
        services=ServiceInventory(count=1, by_type={"ClusterIP": 1}),
    )
    result = break_even([("prod-1", snap)], a, at="2026-05-01T00:00:00Z")
    workers = 10 * 0.1 * 730  # the cost file's own m5.xlarge price overrides the table for AWS
    # EKS: 73 + workers + 0.2 x 10,000; self-hosted: 3 x 0.1 x 730 + workers -> (2,073 - 219) / 10,000
    assert result["eks"]["fte_per_cluster"]["prod-1"] == pytest.approx((73 + workers + 2000 - 219 - workers) / 10000)
    assert result["eks"]["cheaper"] == "eks" and result["eks"]["complete"]
    assert "below 0.19 engineer-FTE" in result["eks"]["message"]
    data["people"]["fte_per_cluster"]["self-hosted"] = 0.1
    cheaper = break_even([("prod-1", snap)], cost_assumptions_from_data(data, where="c"), at="2026-05-01T00:00:00Z")
    assert cheaper["eks"]["cheaper"] == "self-hosted"


def test_sensitivity_ranks_the_input_that_moves_the_answer() -> None:
    data = _simple(_us())
    data["people"]["fte_per_cluster"] = {"self-hosted": 0.16, "eks": 0.15, "gke": 0.15, "gke-autopilot": 0.1}
    data["self_hosted"]["etcd_nodes"] = 0
    a = cost_assumptions_from_data(data, where="c")
    snap = make_snapshot(
        version="1.33.1",
        nodes=NodeInventory(count=13, control_plane_count=3, by_instance_type={"m5.4xlarge": 13}),
        services=ServiceInventory(count=1, by_type={"ClusterIP": 1}),
    )
    result = cost_analysis([("p", snap)], a, ["self-hosted", "eks"], at="2026-05-01T00:00:00Z")
    totals = result["totals"]
    assert result["cheapest"] == "eks"
    assert totals["eks"]["yearly"] == pytest.approx(totals["eks"]["monthly"] * 12, abs=0.05)
    by_input = {r["input"]: r for r in result["sensitivity"]}
    people = by_input["people.fte.self-hosted"]
    # self-hosted: 420 (control plane) + 5,606 (workers) + 0.16 x 12,500 = 8,026; EKS: 73 + 5,606 + 1,875 = 7,554.
    # -25 % self-hosted FTE takes 500 off self-hosting, which makes it the cheaper option
    assert people["cheapest_low"] == "self-hosted" and people["flips"] == ["-25 %: self-hosting"]
    assert people["low"]["self-hosted"] == pytest.approx(
        totals["self-hosted"]["monthly"] - 0.16 * 0.25 * 12500, abs=0.05
    )
    assert result["sensitivity"][0]["flips"]  # inputs that change the answer rank first
    assert "moves most" in result["moves_most"]
    assert any(r["key"] == "compute.m5.4xlarge" and r["region"] == "us-east-1" for r in result["prices"])


def test_the_cheapest_option_says_when_support_is_priced_on_one_provider_only() -> None:
    # us-east-1 / us-central1 price every line of EKS and GKE Standard; the shipped support choice is AWS Business
    # and no Google plan, so GKE's total lacks a line EKS carries: the decision says the two are not like for like.
    snap = _bank_snapshot()
    shipped = cost_analysis([("p", snap)], cost_assumptions_from_data(_us()), ["eks", "gke"])
    assert shipped["cheapest"] is not None
    assert "not like for like: support is priced for AWS (business) but not for Google Cloud" in shipped["decision"]
    same = _us()
    same["support"] = {"aws": "none", "gcp": "none"}
    both_none = cost_analysis([("p", snap)], cost_assumptions_from_data(same), ["eks", "gke"])
    assert "like for like" not in both_none["decision"]
    one_provider = cost_analysis([("p", snap)], cost_assumptions_from_data(_us()), ["self-hosted", "eks"])
    assert "like for like" not in one_provider["decision"]  # AWS on both sides: the same support scope


def test_no_cheapest_option_and_no_break_even_when_every_option_has_a_gap() -> None:
    a = load_cost_assumptions(None)  # London: no verified EC2 price, and GCP load balancers unpriced
    result = cost_analysis([("p", _bank_snapshot())], a, ALL)
    assert result["cheapest"] is None and result["decision"].startswith("No option can be called cheapest yet")
    assert result["regions"] == {"aws": "eu-west-2", "gcp": "europe-west2"}
    assert all(not r["flips"] for r in result["sensitivity"])
    be = break_even([("p", _bank_snapshot())], a)
    assert be["gke"]["fleet_fte"] is None and be["gke"]["cheaper"] == "unknown"
    assert be["gke"]["message"].startswith("Not computed")


def test_evaluation_carries_costs_analysis_and_assumptions() -> None:
    ev = evaluate([make_snapshot()], small_catalog(), now="2026-11-26T00:00:00Z")
    assert {(c.cluster, c.target) for c in ev.costs} == {("prod-1", t) for t in ev.targets}
    assert ev.cost_assumptions["fees"]["eks_standard"]["value"] == 0.10
    assert ev.cost_assumptions["source_file"].endswith("cost_assumptions.yaml")
    assert "tables" not in ev.cost_assumptions and "eu-west-2" in ev.cost_assumptions["price_regions"]["aws"]
    assert set(ev.break_even) == {"eks", "gke", "gke-autopilot"}
    assert set(ev.cost_analysis["totals"]) == set(ev.targets)
    eks = next(c for c in ev.costs if c.target == "eks")
    assert _lines(eks)["EKS control plane (extended support)"] == 438.00


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["fees"].pop("eks_extended"), "fees.eks_extended: required fee is missing"),
        (lambda d: d["fees"]["eks_standard"].update(value=-1), "fees.eks_standard.value: must not be negative"),
        (lambda d: d["fees"]["eks_standard"].update(value="cheap"), "fees.eks_standard.value: expected a number"),
        (lambda d: d["fees"]["eks_standard"].update(source="http://x"), "fees.eks_standard.source: must be an https"),
        (lambda d: d.update(egress_gb=5), "egress_gb: unknown key"),
        (lambda d: d["traffic"].update(egres_gb=5), "traffic.egres_gb: unknown key"),
        (lambda d: d["fees"]["eks_standard"].update(price=1), "fees.eks_standard.price: unknown key"),
        (lambda d: d["traffic"].update(internet_egress_gb=-1), "traffic.internet_egress_gb: must not be negative"),
        (lambda d: d["regions"].update(aws="ap-south-1"), "regions.aws: no price table for aws 'ap-south-1'"),
        (lambda d: d["support_plans"]["aws-business"].update(minimum_usd=-5), "support_plans.aws-business.value"),
        (lambda d: d["discounts"].update(aws_compute_pct=120), "discounts.aws_compute_pct: a percentage"),
        (lambda d: d["people"]["fte_per_cluster"].update(aks=1), "people.fte_per_cluster.aks: unknown target"),
        (lambda d: d["gke"].update(standard_location="moon"), "gke.standard_location: expected regional or zonal"),
        (lambda d: d["load_balancers"].update(aws_type="glb"), "load_balancers.aws_type: expected nlb, alb or clb"),
        (
            lambda d: d["eks_versions"]["versions"]["1.33"].update(end_of_standard="soon"),
            "versions.1.33.end_of_standard",
        ),
        (lambda d: d.update(schema="k8seval/cost-assumptions/v0"), "schema: expected"),
        (lambda d: d.pop("people"), "people: required field is missing"),
        (lambda d: d.update(price_tables=["nowhere.yaml"]), "nowhere.yaml: file not found"),
    ],
)
def test_cost_file_validation_names_file_and_key(tmp_path: Path, change, message: str) -> None:
    data = _data()
    change(data)
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as err:  # CatalogError is an InputError: exit 2
        load_cost_assumptions(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["compute"]["m5.xlarge"].update(value=-0.1), "compute.m5.xlarge.value: must be zero or more"),
        (lambda t: t["compute"]["m5.xlarge"].update(cost=1), "compute.m5.xlarge.cost: unknown key"),
        (lambda t: t["compute"]["m5.xlarge"].pop("vcpu"), "compute.m5.xlarge.vcpu: expected a number"),
        (lambda t: t["compute"]["m5.xlarge"].update(source=""), "compute.m5.xlarge.source: every price"),
        (
            lambda t: t["items"].update(nat_hour={"value": 1, "unit": "USD/hour", "source": "https://x"}),
            "items.nat_hour",
        ),
        (lambda t: t["items"]["elb_nlb_hour"].update(unit="USD/month"), "items.elb_nlb_hour.unit: expected USD/hour"),
        (lambda t: t.update(provider="azure"), "provider: expected one of aws, gcp"),
        (lambda t: t.update(read="yesterday"), "read: not a YYYY-MM-DD date"),
        (lambda t: t.update(colour="blue"), "colour: unknown key"),
    ],
)
def test_price_table_validation_names_file_and_key(tmp_path: Path, change, message: str) -> None:
    table = yaml.safe_load((TABLES / "aws-us-east-1.yaml").read_text(encoding="utf-8"))
    table = copy.deepcopy(table)
    change(table)
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(table), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_price_table(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_item_vocabulary_is_per_provider() -> None:
    assert "autopilot_vcpu_hour" in ITEMS["gcp"] and "autopilot_vcpu_hour" not in ITEMS["aws"]
    with pytest.raises(CatalogError, match="items.elb_nlb_hour: unknown price for gcp"):
        table_from_data(
            {
                "provider": "gcp",
                "region": "x",
                "read": "2026-12-01",
                "items": {"elb_nlb_hour": {"value": 1, "unit": "USD/hour", "source": "https://x"}},
            },
            where="t.yaml",
        )


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
    snap = make_snapshot(version="1.29.4")
    est = estimate_costs(snap, ["eks"], a, at="2026-11-26T00:00:00Z")[0]
    assert _lines(est)["EKS control plane (extended support)"] == 438.00
    assert any("catalog version table" in n for n in est.notes)


def test_an_older_cost_file_with_region_prices_in_that_aws_region() -> None:
    data = _data()
    data.pop("regions")
    data["region"] = "us-east-1"
    a = cost_assumptions_from_data(data, where="old.yaml")
    assert a.tables["aws"].region == "us-east-1" and a.tables["gcp"].region == "europe-west2"


def test_an_eks_snapshot_gets_no_self_hosted_control_plane_count() -> None:
    a = cost_assumptions_from_data(_simple(_us()), where="c")
    eks_snap = make_snapshot(
        cluster=ClusterInfo(name="e", platform="eks", version="1.33"), nodes=NodeInventory(control_plane_count=0)
    )
    assert _lines(estimate_costs(eks_snap, ["self-hosted"], a)[0])["control-plane nodes"] == pytest.approx(420.48)


def test_sensitivity_arithmetic_matches_a_full_re_estimate(tmp_path: Path) -> None:
    from evaluator.scoring.cost import SENSITIVITY_INPUTS, _components, _scaled_totals, _totals

    data = _us()
    data["discounts"] = {"aws_compute_pct": 20, "gcp_compute_pct": 15}
    data["gke"]["standard_location"] = "zonal"  # the free-tier credit, capped at its value when fees scale up
    data["traffic"] = {"nat_gateways": 3, "nat_processed_gb": 800, "inter_zone_gb": 0, "internet_egress_gb": 0}
    table = yaml.safe_load((TABLES / "aws-us-east-1.yaml").read_text(encoding="utf-8"))
    for key, value in (("nat_gateway_hour", 0.045), ("nat_gateway_gb", 0.045)):
        unit = "USD/hour" if key.endswith("hour") else "USD/GB"
        table["items"][key] = {"value": value, "unit": unit, "source": "https://aws.amazon.com/vpc/pricing/"}
    (tmp_path / "aws.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
    data["price_tables"] = [str(tmp_path / "aws.yaml")]
    a = cost_assumptions_from_data(data, where="c")
    fleet = [("a", _bank_snapshot()), ("b", make_snapshot("b", version="1.33.2"))]
    at = "2026-05-01T00:00:00Z"
    components = _components(fleet, ALL, a, at)
    for key, _label in SENSITIVITY_INPUTS:
        for factor in (0.75, 1.0, 1.25):
            full = _totals(estimate_fleet(fleet, ALL, a, at=at, scale={key: factor}), ALL)
            fast = _scaled_totals(components, ALL, {key: factor})
            for target in ALL:
                assert fast[target]["monthly"] == pytest.approx(full[target]["monthly"], abs=0.2), (key, factor, target)
                assert fast[target]["complete"] == full[target]["complete"]


def test_classic_load_balancers_priced_from_the_us_east_table() -> None:
    data = _simple(_us())
    data["load_balancers"] = {"aws_type": "clb", "capacity_units_per_lb": 1, "gcp_data_gb_per_lb": 0}
    a = cost_assumptions_from_data(data, where="costs.yaml")
    assert a.tables["aws"].item("elb_clb_hour").value == 0.025
    assert "303e536b0f20597afa326ac999f41f282e831e59" in a.tables["aws"].item("elb_clb_hour").evidence
    eks = _lines(estimate_costs(_bank_snapshot(), ["eks"], a)[0])
    assert eks["10 Classic Load Balancers"] == pytest.approx(10 * 0.025 * 730)
    assert not [k for k in eks if "capacity units" in k]  # Classic has no LCU charge
