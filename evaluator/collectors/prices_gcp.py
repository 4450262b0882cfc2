"""Read Google Cloud prices for one region from the Cloud Billing Catalog API (``google-cloud-billing``).

``list_services`` finds Compute Engine, ``list_skus`` (paginated) gives its SKUs; the on-demand per-vCPU-hour and
per-GiB-hour SKUs of a machine series in the region price each predefined machine type of that series
(vCPUs x core price + GiB x RAM price, which is how Compute Engine prices predefined types). Two unit prices come
along: Premium Tier internet egress from the region to the Americas (``internet_egress_gb``, the first paid tier),
the regional forwarding rule (``lb_forwarding_rule_hour``, the rate of each rule beyond a region's first five) and
load-balancer data processed (``lb_data_gb``) from the Compute Engine SKUs, and Cloud NAT data processing
(``nat_gateway_gb``) from the Networking service's SKUs. Autopilot prices are not read (their SKUs bill per mCPU,
a unit this reader does not convert yet). The result is a price-table document (``k8seval/prices/v1``, see
:mod:`evaluator.scoring.pricing`).

``endpoint`` (or env ``K8SEVAL_BILLING_ENDPOINT``) points the client at another endpoint; a plain ``http://``
endpoint gets anonymous credentials (tests use a loopback fake of the API).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from ..errors import CollectorError, InputError
from .gke import _classify, rest_client

ENDPOINT_ENV = "K8SEVAL_BILLING_ENDPOINT"
API_URL = "https://cloudbilling.googleapis.com/v1/services"
GCE_PAGE = "https://cloud.google.com/compute/vm-instance-pricing"
EGRESS_PAGE = "https://cloud.google.com/vpc/network-pricing"
NAT_PAGE = "https://cloud.google.com/nat/pricing"
COMPUTE_ENGINE = "Compute Engine"
NETWORKING = "Networking"
# SKU descriptions as the Catalog API names them (Cyclenerd/google-cloud-pricing-cost-calculator build/mapping.csv
# maps gce.network.internet.egress to "Network Internet Data Transfer Out%Americas" in group PremiumInternetEgress,
# and gce.network.nat.gateway.data to "Networking Cloud Nat Data Processing%" in the Networking service).
EGRESS_PREFIX = "Network Internet Data Transfer Out"
EGRESS_GROUP = "PremiumInternetEgress"
NAT_DATA_PREFIX = "Networking Cloud Nat Data Processing"
LB_PAGE = "https://cloud.google.com/load-balancing/pricing"
# Compute Engine "Network" SKUs of Cloud Load Balancing (the descriptions infracost's google resources match, see
# infracost/infracost internal/resources/google/compute_forwarding_rule.go): prefix -> (item, usage unit).
LB_SKUS = {
    "Network Load Balancing: Forwarding Rule Additional": ("lb_forwarding_rule_hour", "h"),
    "Network Load Balancing: Data Processing Charge": ("lb_data_gb", "GiBy"),
}
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
REGION_RE = re.compile(r"^[a-z]+-[a-z]+\d+$")

# Predefined machine types priced from their series' per-vCPU and per-GiB SKUs: series -> shapes.
# N2 (https://cloud.google.com/compute/docs/general-purpose-machines#n2_machine_types): standard 4 GiB per vCPU,
# highmem 8 GiB per vCPU, highcpu 1 GiB per vCPU.
SIZES = (2, 4, 8, 16, 32, 48, 64, 80, 96)
MACHINES: dict[str, dict[str, tuple[int, int]]] = {
    "N2": {
        **{f"n2-standard-{n}": (n, 4 * n) for n in SIZES},
        **{f"n2-highmem-{n}": (n, 8 * n) for n in SIZES},
        **{f"n2-highcpu-{n}": (n, n) for n in SIZES},
    },
}
_SKU_RE = re.compile(r"^(?P<series>[A-Z0-9]+) Instance (?P<kind>Core|Ram) running in ")


def make_catalog_client(endpoint: str | None = None) -> Any:
    """A ``billing_v1.CloudCatalogClient`` on the REST transport (see the module docstring for ``endpoint``)."""
    from google.cloud import billing_v1

    return rest_client(billing_v1.CloudCatalogClient, endpoint or os.environ.get(ENDPOINT_ENV), SCOPES)


def _unit_price(sku: Any) -> tuple[float, str] | None:
    """The on-demand USD price of the first tier above zero usage, and the usage unit ("h", "GiBy.h")."""
    for info in sku.pricing_info:
        expr = info.pricing_expression
        for rate in expr.tiered_rates:
            money = rate.unit_price
            value = float(money.units or 0) + float(money.nanos or 0) / 1e9
            if value > 0:
                return value, str(expr.usage_unit)
    return None


def refresh_gcp_prices(
    region: str,
    *,
    endpoint: str | None = None,
    client_factory: Callable[[], Any] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """A price-table document for ``region`` read from the Cloud Billing Catalog API."""
    if not REGION_RE.match(region):
        raise InputError(f"--region: {region!r} is not a Google Cloud region name like europe-west2")
    day = (today or date.today()).isoformat()
    client = client_factory() if client_factory else make_catalog_client(endpoint)
    what = "cloudbilling services.list"
    rates: dict[tuple[str, str], tuple[float, str, str]] = {}
    items: dict[str, Any] = {}
    try:
        services = list(client.list_services())
        service = next((s for s in services if s.display_name == COMPUTE_ENGINE), None)
        if service is None:
            raise CollectorError(f"{what}: no {COMPUTE_ENGINE!r} service in the Cloud Billing catalog")
        what = f"cloudbilling {service.name}/skus.list"
        for sku in client.list_skus(request={"parent": service.name, "currency_code": "USD"}):
            if region not in list(sku.service_regions) or sku.category.usage_type != "OnDemand":
                continue
            if _is_egress(sku) and "internet_egress_gb" not in items:
                items["internet_egress_gb"] = _per_gib(sku, EGRESS_PAGE, day, "Premium Tier internet egress")
                continue
            lb = _load_balancing(sku, day)
            if lb is not None:
                items.setdefault(*lb)
                continue
            match = _SKU_RE.match(sku.description or "")
            if not match or sku.category.resource_family != "Compute":
                continue
            price = _unit_price(sku)
            key = (match.group("series"), match.group("kind"))
            if price is not None and key not in rates:
                rates[key] = (price[0], price[1], sku.sku_id)
        networking = next((s for s in services if s.display_name == NETWORKING), None)
        if networking is not None:
            what = f"cloudbilling {networking.name}/skus.list"
            for sku in client.list_skus(request={"parent": networking.name, "currency_code": "USD"}):
                regions = list(sku.service_regions)
                if not (sku.description or "").startswith(NAT_DATA_PREFIX) or sku.category.usage_type != "OnDemand":
                    continue
                if (region in regions or "global" in regions) and "nat_gateway_gb" not in items:
                    items["nat_gateway_gb"] = _per_gib(sku, NAT_PAGE, day, "Cloud NAT data processing")
    except CollectorError:
        raise
    except Exception as exc:  # google.api_core / google.auth / requests errors become one-line collector errors
        raise _classify(exc, what) from None
    items = {k: v for k, v in items.items() if v is not None}
    compute: dict[str, Any] = {}
    for series, shapes in MACHINES.items():
        core, ram = rates.get((series, "Core")), rates.get((series, "Ram"))
        if core is None or ram is None or core[1] != "h" or ram[1] != "GiBy.h":
            continue
        for name, (vcpu, memory) in shapes.items():
            compute[name] = {
                "value": round(vcpu * core[0] + memory * ram[0], 6),
                "unit": "USD/hour",
                "vcpu": vcpu,
                "memory_gib": memory,
                "source": GCE_PAGE,
                "evidence": API_URL,
                "verified": day,
                "note": f"{vcpu} x ${core[0]:g}/vCPU-h (SKU {core[2]}) + {memory} GiB x ${ram[0]:g}/GiB-h "
                f"(SKU {ram[2]})",
            }
    if not compute:
        raise CollectorError(
            f"The Cloud Billing catalog has no on-demand N2 core and RAM prices for region {region!r}",
            hint="Check the region name, e.g. europe-west2",
        )
    return {
        "schema": "k8seval/prices/v1",
        "provider": "gcp",
        "region": region,
        "currency": "USD",
        "read": day,
        "note": f"Read from the Cloud Billing Catalog API (services.skus.list) on {day}.",
        "compute": dict(sorted(compute.items())),
        "items": dict(sorted(items.items())),
    }


def _is_egress(sku: Any) -> bool:
    """Premium Tier internet egress to the Americas (the first destination family the catalog prices)."""
    description = sku.description or ""
    return (
        description.startswith(EGRESS_PREFIX)
        and description.endswith("Americas")
        and sku.category.resource_group == EGRESS_GROUP
    )


def _load_balancing(sku: Any, day: str) -> tuple[str, dict[str, Any]] | None:
    """A Cloud Load Balancing SKU of :data:`LB_SKUS` as (item, price-table entry); None for any other SKU."""
    description = sku.description or ""
    match = next(((key, unit) for prefix, (key, unit) in LB_SKUS.items() if description.startswith(prefix)), None)
    price = _unit_price(sku) if match else None
    if match is None or price is None or price[1] != match[1]:
        return None
    unit = "USD/hour" if match[1] == "h" else "USD/GB"
    per = "per rule and hour" if match[1] == "h" else "per GiB as Google bills it"
    return match[0], {
        "value": round(price[0], 6),
        "unit": unit,
        "source": LB_PAGE,
        "evidence": API_URL,
        "verified": day,
        "note": f"Cloud Load Balancing, {per}, first paid tier (SKU {sku.sku_id}: {description})",
    }


def _per_gib(sku: Any, page: str, day: str, what: str) -> dict[str, Any] | None:
    """A USD/GB price-table entry from a per-GiB SKU's first paid tier; None for another unit or no price."""
    price = _unit_price(sku)
    if price is None or price[1] != "GiBy":
        return None
    return {
        "value": round(price[0], 6),
        "unit": "USD/GB",
        "source": page,
        "evidence": API_URL,
        "verified": day,
        "note": f"{what}, per GiB as Google bills it, first paid tier (SKU {sku.sku_id}: {sku.description})",
    }
