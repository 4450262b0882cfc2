"""Read AWS prices for one region from the AWS Price List API (boto3 ``pricing``, ``GetProducts``, paginated).

Returns a price-table document (``k8seval/prices/v1``, see :mod:`evaluator.scoring.pricing`): EC2 On-Demand Linux
prices per instance type with vCPU and memory, Elastic Load Balancing hourly and capacity-unit prices, NAT
gateway prices, and the inter-zone and internet-egress data-transfer prices (``AWSDataTransfer``; for the tiered
internet egress, the first paid tier). Every row carries the public pricing page as ``source``, the Price List
API endpoint and the offer's publication date as ``evidence``/``note``, and today's date as ``verified``.

The Price List API is served from us-east-1 (also eu-central-1 and ap-south-1) whatever region is priced;
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_PRICING`` point the client elsewhere as for every boto3 client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from ..errors import CollectorError, InputError
from .eks import client_config, default_session_factory, describe_error, translate_error

API_REGION = "us-east-1"
API_URL = "https://api.pricing.us-east-1.amazonaws.com/"
EC2_PAGE = "https://aws.amazon.com/ec2/pricing/on-demand/"
ELB_PAGE = "https://aws.amazon.com/elasticloadbalancing/pricing/"
VPC_PAGE = "https://aws.amazon.com/vpc/pricing/"
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

# EC2 filters that pick the plain On-Demand Linux, shared-tenancy price of each instance type.
EC2_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}
# (product family, usage-type suffix) -> table item
ELB_ITEMS = {
    ("Load Balancer-Network", "LoadBalancerUsage"): "elb_nlb_hour",
    ("Load Balancer-Network", "LCUUsage"): "elb_nlb_lcu_hour",
    ("Load Balancer-Application", "LoadBalancerUsage"): "elb_alb_hour",
    ("Load Balancer-Application", "LCUUsage"): "elb_alb_lcu_hour",
    ("Load Balancer", "LoadBalancerUsage"): "elb_clb_hour",
    ("Load Balancer", "DataProcessing-Bytes"): "elb_clb_gb",
}
NAT_ITEMS = {"NatGateway-Hours": "nat_gateway_hour", "NatGateway-Bytes": "nat_gateway_gb"}
# AWSDataTransfer query (transfer type, extra filters, usage-type suffix) -> table item. Inter-zone traffic is the
# IntraRegion transfer (billed per GB in each direction); internet egress is AWS Outbound to External.
TRANSFER_ITEMS = (
    ("IntraRegion", {}, "DataTransfer-Regional-Bytes", "inter_zone_gb"),
    ("AWS Outbound", {"toLocation": "External"}, "DataTransfer-Out-Bytes", "internet_egress_gb"),
)
UNITS = {"Hrs": "USD/hour", "LCU-Hrs": "USD/hour", "GB": "USD/GB"}


def _filters(region: str, extra: dict[str, str]) -> list[dict[str, str]]:
    wanted = {"regionCode": region, **extra}
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def _products(client: Any, service: str, filters: list[dict[str, str]]) -> Iterable[dict[str, Any]]:
    """Every product of ``service`` matching ``filters``, page by page (each PriceList entry is a JSON string)."""
    for page in client.get_paginator("get_products").paginate(ServiceCode=service, Filters=filters):
        for raw in page.get("PriceList", []):
            yield json.loads(raw) if isinstance(raw, str) else raw


def _on_demand(product: dict[str, Any]) -> tuple[float, str] | None:
    """The first On-Demand USD price of a product and its unit, or None (a product without an On-Demand term)."""
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            if usd is None:
                continue
            try:
                return float(usd), str(dim.get("unit") or "")
            except ValueError:
                continue
    return None


def _first_paid_tier(product: dict[str, Any]) -> tuple[float, str, str] | None:
    """The lowest-starting On-Demand USD tier with a price above zero: (price, unit, "begin-end"), or None.

    Internet egress is tiered (and may open with a free tier); the first paid tier is what a modest volume
    pays and an upper bound beyond it, which is how the table's note describes it.
    """
    best: tuple[float, float, str, str] | None = None
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            try:
                usd = float((dim.get("pricePerUnit") or {}).get("USD", ""))
                begin = float(dim.get("beginRange") or 0)
            except ValueError:
                continue
            if usd > 0 and (best is None or begin < best[0]):
                best = (
                    begin,
                    usd,
                    str(dim.get("unit") or ""),
                    f"{dim.get('beginRange', '0')}-{dim.get('endRange', '')}",
                )
    return None if best is None else (best[1], best[2], best[3])


def _transfer_items(client: Any, region: str, day: str) -> dict[str, Any]:
    """Inter-zone and internet-egress prices of ``region`` from AWSDataTransfer (one filtered query each)."""
    items: dict[str, Any] = {}
    for transfer, extra, suffix, key in TRANSFER_ITEMS:
        filters = [
            {"Type": "TERM_MATCH", "Field": k, "Value": v}
            for k, v in {"fromRegionCode": region, "transferType": transfer, **extra}.items()
        ]
        for product in _products(client, "AWSDataTransfer", filters):
            usage = product.get("product", {}).get("attributes", {}).get("usagetype", "")
            tier = _first_paid_tier(product)
            if key in items or not usage.endswith(suffix) or tier is None or tier[1] not in UNITS:
                continue
            note = f"Data Transfer, {transfer}, {usage}, GB {tier[2]} a month"
            items[key] = _row(tier[0], UNITS[tier[1]], EC2_PAGE, day, note)
    return items


def _memory_gib(text: str | None) -> float | None:
    match = re.match(r"^\s*([\d.,]+)\s*GiB\s*$", text or "")
    return float(match.group(1).replace(",", "")) if match else None


def _row(value: float, unit: str, source: str, today: str, note: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "source": source, "evidence": API_URL, "verified": today, "note": note}


def refresh_aws_prices(
    region: str,
    *,
    profile: str | None = None,
    instance_types: list[str] | None = None,
    client_factory: Callable[[], Any] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A price-table document for ``region`` read from the AWS Price List API.

    ``instance_types`` limits the EC2 query to those types (one filtered query each); ``client_factory``
    builds the ``pricing`` client (tests pass one wrapped in a botocore Stubber).
    """
    if not REGION_RE.match(region):
        raise InputError(f"--region: {region!r} is not an AWS region name like eu-west-2")
    day = (today or date.today()).isoformat()
    if client_factory is None:
        session = default_session_factory(profile)
        client = session.client("pricing", region_name=API_REGION, config=client_config())
    else:
        client = client_factory()
    compute: dict[str, Any] = {}
    items: dict[str, Any] = {}
    try:
        queries = (
            [dict(EC2_FILTERS)] if not instance_types else [{**EC2_FILTERS, "instanceType": t} for t in instance_types]
        )
        for extra in queries:
            for product in _products(client, "AmazonEC2", _filters(region, extra)):
                attrs = product.get("product", {}).get("attributes", {})
                name = attrs.get("instanceType")
                price = _on_demand(product)
                memory = _memory_gib(attrs.get("memory"))
                try:
                    vcpu = float(attrs.get("vcpu") or 0)
                except ValueError:
                    vcpu = 0.0
                if not name or price is None or price[0] <= 0 or not vcpu or not memory:
                    continue  # a reserved-only or unpriced SKU, or one without a size
                published = product.get("publicationDate") or ""
                row = _row(
                    price[0],
                    "USD/hour",
                    EC2_PAGE,
                    day,
                    f"On-Demand Linux, shared tenancy; Price List {published}".strip(),
                )
                row["vcpu"], row["memory_gib"] = vcpu, memory
                if name not in compute or row["value"] < compute[name]["value"]:
                    compute[name] = row
        for product in _products(client, "AWSELB", _filters(region, {})):
            body = product.get("product", {})
            family, usage = body.get("productFamily", ""), body.get("attributes", {}).get("usagetype", "")
            key = next(
                (item for (fam, suffix), item in ELB_ITEMS.items() if fam == family and usage.endswith(suffix)), None
            )
            price = _on_demand(product)
            if key and price and price[1] in UNITS and key not in items:
                items[key] = _row(price[0], UNITS[price[1]], ELB_PAGE, day, f"{family}, {usage}")
        for product in _products(client, "AmazonEC2", _filters(region, {"productFamily": "NAT Gateway"})):
            usage = product.get("product", {}).get("attributes", {}).get("usagetype", "")
            key = next((item for suffix, item in NAT_ITEMS.items() if usage.endswith(suffix)), None)
            price = _on_demand(product)
            if key and price and price[1] in UNITS and key not in items:
                items[key] = _row(price[0], UNITS[price[1]], VPC_PAGE, day, f"NAT Gateway, {usage}")
        items.update(_transfer_items(client, region, day))
    except ClientError as exc:
        translated = translate_error(exc, f"pricing:GetProducts for {region}")
        raise translated or CollectorError(f"pricing:GetProducts for {region}: {describe_error(exc)}") from None
    except CollectorError:
        raise
    except Exception as exc:
        translated = translate_error(exc, f"pricing:GetProducts for {region}")
        if translated is None:
            raise
        raise translated from None
    if not compute and not items:
        raise CollectorError(
            f"The AWS Price List API returned no prices for region {region!r}",
            hint="Check the region name; the API lists regions by code, e.g. eu-west-2",
        )
    return {
        "schema": "k8seval/prices/v1",
        "provider": "aws",
        "region": region,
        "currency": "USD",
        "read": day,
        "note": f"Read from the AWS Price List API (GetProducts) on {day}.",
        "compute": dict(sorted(compute.items())),
        "items": dict(sorted(items.items())),
    }
