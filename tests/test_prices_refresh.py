"""`k8seval prices refresh`: the real boto3 pricing client (botocore Stubber, responses in the documented format) and
the real google-cloud-billing client (a loopback fake of the Catalog API); a refreshed table prices like the shipped
one when the prices are equal."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.prices_aws import EC2_FILTERS, refresh_aws_prices
from evaluator.collectors.prices_gcp import refresh_gcp_prices
from evaluator.errors import AccessDenied, InputError
from evaluator.scoring.cost import cost_assumptions_from_data, estimate_costs
from evaluator.scoring.pricing import shipped_tables, table_document, table_from_data
from tests import fake_billing
from tests.test_cost import _bank_snapshot, _data, _simple

RECORDED_AWS = Path(__file__).parent / "fixtures" / "real" / "aws-pricing-get-products.json"
TODAY = date(2026, 12, 1)


def _recorded() -> dict[str, Any]:
    return json.loads(RECORDED_AWS.read_text(encoding="utf-8"))


def _product(family: str, attributes: dict[str, str], usd: float, unit: str) -> str:
    """A PriceList entry (a JSON string) in the documented record's shape with other attributes and price."""
    record = json.loads(_recorded()["PriceList"][0])
    record = copy.deepcopy(record)
    record["product"]["productFamily"] = family
    record["product"]["attributes"] = {**attributes, "servicecode": record["serviceCode"], "locationType": "AWS Region"}
    (term,) = record["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    dim["unit"] = unit
    dim["pricePerUnit"] = {"USD": f"{usd:.10f}"}
    dim["description"] = f"${usd:g} per {unit}"
    return json.dumps(record)


def _ec2(instance: str, vcpu: float, memory: float, usd: float, region: str = "us-east-1") -> str:
    return _product(
        "Compute Instance",
        {
            "instanceType": instance,
            "vcpu": f"{vcpu:g}",
            "memory": f"{memory:g} GiB",
            "regionCode": region,
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "usagetype": f"BoxUsage:{instance}",
        },
        usd,
        "Hrs",
    )


def _filters(region: str, extra: dict[str, str]) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {"regionCode": region, **extra}.items()]


def _stubbed_pricing(pages: list[tuple[dict[str, Any], dict[str, Any]]]) -> Any:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    for params, response in pages:
        stubber.add_response("get_products", response, params)
    stubber.activate()
    client._stubber = stubber  # keep it alive and checkable
    return client


def _tiered(product: str, tiers: list[tuple[str, str, float]]) -> str:
    """The same PriceList entry with one On-Demand price dimension per (begin, end, USD) tier, as AWS tiers egress."""
    record = json.loads(product)
    (term,) = record["terms"]["OnDemand"].values()
    (code, dim) = next(iter(term["priceDimensions"].items()))
    term["priceDimensions"] = {
        f"{code}.{i}": {**dim, "beginRange": begin, "endRange": end, "pricePerUnit": {"USD": f"{usd:.10f}"}}
        for i, (begin, end, usd) in enumerate(tiers)
    }
    return json.dumps(record)


def _transfer_pages(region: str, table: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """AWSDataTransfer answers in the Price List's shape: inter-zone at one rate, internet egress tiered with a free
    first tier (the refresh takes the first paid one), each next to a product of another usage type."""
    prefix = "" if region == "us-east-1" else "EUW2-"
    pages = []
    for transfer, extra, usage, key in (
        ("IntraRegion", {}, "DataTransfer-Regional-Bytes", "inter_zone_gb"),
        ("AWS Outbound", {"toLocation": "External"}, "DataTransfer-Out-Bytes", "internet_egress_gb"),
    ):
        attrs = {"fromRegionCode": region, "transferType": transfer, **extra}
        price = table.items[key].value
        wanted = _product("Data Transfer", {**attrs, "usagetype": prefix + usage}, price, "GB")
        if key == "internet_egress_gb":
            wanted = _tiered(wanted, [("0", "100", 0.0), ("100", "10240", price), ("10240", "51200", price / 2)])
        other = _product("Data Transfer", {**attrs, "usagetype": prefix + "DataTransfer-Out-OBytes"}, 9.0, "GB")
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in attrs.items()]
        pages.append(
            (
                {"ServiceCode": "AWSDataTransfer", "Filters": filters},
                {"FormatVersion": "aws_v1", "PriceList": [other, wanted]},
            )
        )
    return pages


def _aws_pages(region: str = "us-east-1") -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """EC2 in two pages (the first opens with the documented EBS record, which is not an instance), ELB, NAT and
    data transfer."""
    table = shipped_tables()[("aws", region)]
    ec2 = [_ec2(name, m.vcpu, m.memory_gib, m.value, region) for name, m in sorted(table.compute.items())]
    recorded = _recorded()
    elb_family = {
        "elb_nlb": "Load Balancer-Network",
        "elb_alb": "Load Balancer-Application",
        "elb_clb": "Load Balancer",
    }
    elb, nat = [], []
    for key, price in table.items.items():
        if key in ("nat_gateway_hour", "nat_gateway_gb"):
            usage, unit = ("NatGateway-Hours", "Hrs") if key.endswith("_hour") else ("NatGateway-Bytes", "GB")
            nat.append(_product("NAT Gateway", {"usagetype": usage, "regionCode": region}, price.value, unit))
            continue
        if not key.startswith("elb_"):
            continue  # data transfer: its own service below
        if key.endswith("_lcu_hour"):
            stem, usage, unit = key.removesuffix("_lcu_hour"), "LCUUsage", "LCU-Hrs"
        elif key.endswith("_gb"):
            stem, usage, unit = key.removesuffix("_gb"), "DataProcessing-Bytes", "GB"
        else:
            stem, usage, unit = key.removesuffix("_hour"), "LoadBalancerUsage", "Hrs"
        elb.append(_product(elb_family[stem], {"usagetype": usage, "regionCode": region}, price.value, unit))
    ec2_params = {"ServiceCode": "AmazonEC2", "Filters": _filters(region, EC2_FILTERS)}
    return [
        (ec2_params, {"FormatVersion": "aws_v1", "PriceList": recorded["PriceList"] + ec2[:5], "NextToken": "page-2"}),
        ({**ec2_params, "NextToken": "page-2"}, {"FormatVersion": "aws_v1", "PriceList": ec2[5:]}),
        ({"ServiceCode": "AWSELB", "Filters": _filters(region, {})}, {"FormatVersion": "aws_v1", "PriceList": elb}),
        (
            {"ServiceCode": "AmazonEC2", "Filters": _filters(region, {"productFamily": "NAT Gateway"})},
            {"FormatVersion": "aws_v1", "PriceList": nat},
        ),
        *_transfer_pages(region, table),
    ]


def test_aws_refresh_reads_every_page_and_matches_the_shipped_prices() -> None:
    client = _stubbed_pricing(_aws_pages())
    doc = refresh_aws_prices("us-east-1", client_factory=lambda: client, today=TODAY)
    client._stubber.assert_no_pending_responses()  # both EC2 pages, ELB, NAT and data transfer were asked for
    table = table_from_data(doc, where="refreshed")
    shipped = shipped_tables()[("aws", "us-east-1")]
    assert set(table.compute) == set(shipped.compute)  # the EBS record in the first page was skipped
    for name, m in shipped.compute.items():
        got = table.compute[name]
        assert (got.value, got.vcpu, got.memory_gib) == (m.value, m.vcpu, m.memory_gib)
        assert got.verified == "2026-12-01" and got.evidence == "https://api.pricing.us-east-1.amazonaws.com/"
    assert {k: p.value for k, p in table.items.items()} == {k: p.value for k, p in shipped.items.items()}
    # internet egress is the first paid tier, not the free one before it nor the cheaper one after it
    assert "GB 100-10240 a month" in table.items["internet_egress_gb"].note
    assert table.items["inter_zone_gb"].source == "https://aws.amazon.com/ec2/pricing/on-demand/"


def _diff(a: Any, b: Any) -> list[str]:
    """Rows whose value differs between two tables, as ``key: a -> b`` (sources and dates aside)."""
    left = {r["key"]: r["value"] for r in a.rows()}
    right = {r["key"]: r["value"] for r in b.rows()}
    return [
        f"{k}: {left.get(k)} -> {right.get(k)}"
        for k in sorted(left.keys() | right.keys())
        if left.get(k) != right.get(k)
    ]


def test_a_refreshed_table_scores_the_same_as_the_shipped_one(tmp_path: Path) -> None:
    client = _stubbed_pricing(_aws_pages())
    doc = refresh_aws_prices("us-east-1", client_factory=lambda: client, today=TODAY)
    refreshed_path = tmp_path / "aws-us-east-1.yaml"
    refreshed_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    shipped = shipped_tables()[("aws", "us-east-1")]
    refreshed = table_from_data(yaml.safe_load(refreshed_path.read_text(encoding="utf-8")), where=str(refreshed_path))
    assert _diff(shipped, refreshed) == []
    base = _simple(_data())
    base["regions"] = {"aws": "us-east-1", "gcp": "us-central1"}
    with_shipped = cost_assumptions_from_data(copy.deepcopy(base), where="c")
    with_refreshed = cost_assumptions_from_data({**base, "price_tables": [str(refreshed_path)]}, where="c")
    assert with_refreshed.tables["aws"].source_file == str(refreshed_path)
    snap = _bank_snapshot()
    for a, b in zip(
        estimate_costs(snap, ["self-hosted", "eks"], with_shipped),
        estimate_costs(snap, ["self-hosted", "eks"], with_refreshed),
        strict=True,
    ):
        assert a.monthly_usd == b.monthly_usd and a.complete == b.complete
        assert [(x.item, x.monthly_usd) for x in a.lines] == [(y.item, y.monthly_usd) for y in b.lines]
    # a changed price shows in the diff and in the estimate
    doc["compute"]["m5.4xlarge"]["value"] = 0.8
    changed = table_from_data(doc, where="changed")
    assert _diff(shipped, changed) == ["compute.m5.4xlarge: 0.768 -> 0.8"]


def test_aws_refresh_bad_region_and_unreachable_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="not an AWS region name"):
        refresh_aws_prices("London", client_factory=lambda: None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # nothing listens there
    result = CliRunner().invoke(
        cli, ["prices", "refresh", "--provider", "aws", "--region", "eu-west-2", "-o", str(tmp_path / "t.yaml")]
    )
    assert result.exit_code == 3, result.output
    assert "Could not reach AWS" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "t.yaml").exists()


# ------------------------------------------------------------------------------------------------ GCP


def _gcp_state() -> fake_billing.FakeBillingState:
    sku = fake_billing.sku
    return fake_billing.FakeBillingState(
        skus=[
            fake_billing.recorded_sku(),  # real network egress SKU: not a machine price
            sku("A1", "N2 Instance Core running in Americas", 0.031611, "h", ["us-central1"]),
            sku("A2", "N2 Instance Core running in London", 0.040724, "h", ["europe-west2"]),
            sku("A3", "N2 Instance Core running in Americas", 0.019915, "h", ["us-central1"], usage_type="Commit1Yr"),
            sku("A4", "N2 Instance Ram running in Americas", 0.004237, "GiBy.h", ["us-central1"], group="RAM"),
            sku("A5", "N2 Custom Instance Core running in Americas", 0.033174, "h", ["us-central1"]),
            # Premium Tier internet egress: tiered per GiB; only the one to the Americas is taken
            sku(
                "E1",
                "Network Internet Data Transfer Out from Americas to China",
                0.23,
                "GiBy",
                ["us-central1"],
                family="Network",
                group="PremiumInternetEgress",
            ),
            sku(
                "E2",
                "Network Internet Data Transfer Out from Americas to Americas",
                0.12,
                "GiBy",
                ["us-central1"],
                family="Network",
                group="PremiumInternetEgress",
                tiers=[(0, 0.12), (1024, 0.11), (10240, 0.08)],
            ),
            # Cloud Load Balancing: the regional rule beyond the first five, and data processed; London's is not taken
            sku(
                "L1",
                "Network Load Balancing: Forwarding Rule Additional Service Charge",
                0.01,
                "h",
                ["us-central1"],
                family="Network",
                group="LoadBalancing",
            ),
            sku(
                "L2",
                "Network Load Balancing: Forwarding Rule Additional Service Charge in London",
                0.0125,
                "h",
                ["europe-west2"],
                family="Network",
                group="LoadBalancing",
            ),
            sku(
                "L3",
                "Network Load Balancing: Data Processing Charge in Americas",
                0.008,
                "GiBy",
                ["us-central1"],
                family="Network",
                group="LoadBalancing",
            ),
        ],
        other_skus={
            fake_billing.NETWORKING["name"]: [
                sku(
                    "N1",
                    "Networking Cloud Nat Gateway Uptime",
                    0.0014,
                    "h",
                    ["global"],
                    family="Network",
                    group="Nat",
                    service=fake_billing.NETWORKING,
                ),
                sku(
                    "N2",
                    "Networking Cloud Nat Data Processing",
                    0.045,
                    "GiBy",
                    ["global"],
                    family="Network",
                    group="Nat",
                    service=fake_billing.NETWORKING,
                ),
            ]
        },
        page_size=2,
    )


def test_gcp_refresh_through_the_real_client_pages_and_prices_machine_types() -> None:
    state = _gcp_state()
    with fake_billing.serve(state) as url:
        doc = refresh_gcp_prices("us-central1", endpoint=url, today=TODAY)
    assert any("pageToken=" in r for r in state.requests if "/skus" in r)  # more than one page of SKUs
    assert any(r.startswith("GET /v1/services?") or r == "GET /v1/services" for r in state.requests)
    table = table_from_data(doc, where="refreshed")
    shipped = shipped_tables()[("gcp", "us-central1")]
    for name, m in shipped.compute.items():  # vCPU x core + GiB x RAM gives the shipped machine prices
        assert table.compute[name].value == pytest.approx(m.value, abs=1e-6), name
        assert (table.compute[name].vcpu, table.compute[name].memory_gib) == (m.vcpu, m.memory_gib)
    assert "SKU A1" in table.compute["n2-standard-16"].note and "SKU A4" in table.compute["n2-standard-16"].note
    # the traffic and load-balancer prices the shipped table holds come from the same API; the Autopilot price,
    # read in a recorded copy, is one the refresh does not read
    read = {k: p.value for k, p in shipped.items.items() if k != "autopilot_vcpu_hour"}
    assert {k: p.value for k, p in table.items.items()} == read and "autopilot_vcpu_hour" in shipped.items
    assert "SKU E2" in table.items["internet_egress_gb"].note and "SKU N2" in table.items["nat_gateway_gb"].note
    assert "SKU L1" in table.items["lb_forwarding_rule_hour"].note and "SKU L3" in table.items["lb_data_gb"].note
    assert any(r.startswith(f"GET /v1/{fake_billing.NETWORKING['name']}/skus") for r in state.requests)


def test_gcp_refresh_cli_writes_a_table_the_cost_model_uses(tmp_path: Path) -> None:
    out = tmp_path / "gcp-us-central1.yaml"
    with fake_billing.serve(_gcp_state()) as url:
        result = CliRunner().invoke(
            cli,
            ["prices", "refresh", "--provider", "gcp", "--region", "us-central1", "-o", str(out), "--endpoint", url],
        )
    assert result.exit_code == 0, result.output
    assert "27 machine prices, 4 other prices" in result.output
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    table = table_from_data(written, where=str(out))
    assert table_document(table)["compute"]["n2-standard-16"]["value"] == pytest.approx(0.776944)
    base = _simple(_data())
    base["regions"] = {"aws": "us-east-1", "gcp": "us-central1"}
    shipped = cost_assumptions_from_data(copy.deepcopy(base), where="c")
    refreshed = cost_assumptions_from_data({**base, "price_tables": [str(out)]}, where="c")
    a = estimate_costs(_bank_snapshot(), ["gke"], shipped)[0]
    b = estimate_costs(_bank_snapshot(), ["gke"], refreshed)[0]
    assert a.monthly_usd == pytest.approx(b.monthly_usd, abs=0.05)
    # with traffic volumes the NAT-data and egress lines price the same from both tables
    base["traffic"] = {"nat_gateways": 0, "nat_processed_gb": 500, "inter_zone_gb": 0, "internet_egress_gb": 2000}
    shipped = cost_assumptions_from_data(copy.deepcopy(base), where="c")
    refreshed = cost_assumptions_from_data({**base, "price_tables": [str(out)]}, where="c")
    a, b = (
        {line.item: line.monthly_usd for line in estimate_costs(_bank_snapshot(), ["gke"], x)[0].lines}
        for x in (shipped, refreshed)
    )
    assert a["NAT data processed"] == b["NAT data processed"] == pytest.approx(500 * 0.045)
    assert a["internet egress"] == b["internet egress"] == pytest.approx(2000 * 0.12)


def test_gcp_refresh_denied_and_bad_region(tmp_path: Path) -> None:
    state = _gcp_state()
    state.forbidden = True
    with fake_billing.serve(state) as url:
        with pytest.raises(AccessDenied):
            refresh_gcp_prices("us-central1", endpoint=url)
        result = CliRunner().invoke(
            cli,
            [
                "prices",
                "refresh",
                "--provider",
                "gcp",
                "--region",
                "us-central1",
                "-o",
                str(tmp_path / "x.yaml"),
                "--endpoint",
                url,
            ],
        )
    assert result.exit_code == 3 and "403" in result.output and not (tmp_path / "x.yaml").exists()
    result = CliRunner().invoke(
        cli, ["prices", "refresh", "--provider", "gcp", "--region", "London", "-o", str(tmp_path / "y.yaml")]
    )
    assert result.exit_code == 2 and "not a Google Cloud region name" in result.output
