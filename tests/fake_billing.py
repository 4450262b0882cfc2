"""A loopback fake of the Cloud Billing Catalog API v1 (stdlib ``http.server``) for the real billing client.

It serves ``GET /v1/services`` and ``GET /v1/services/{id}/skus`` as the REST API does: proto3 JSON with camelCase
names, paged with ``pageToken`` / ``nextPageToken`` (``page_size`` items per page). SKUs are built with :func:`sku`
from the real SKU recorded in ``tests/fixtures/real/gcp-billing-skus.json``, so every field keeps its encoding
(``units`` as a string, ``nanos`` as a number).
"""

from __future__ import annotations

import copy
import json
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fake_gke import StateServer, serve_handler

RECORDED = Path(__file__).parent / "fixtures" / "real" / "gcp-billing-skus.json"
COMPUTE = {"name": "services/6F81-5844-456A", "serviceId": "6F81-5844-456A", "displayName": "Compute Engine"}
NETWORKING = {"name": "services/E505-1604-58F8", "serviceId": "E505-1604-58F8", "displayName": "Networking"}
OTHERS = [
    {"name": "services/0017-8C5E-5B91", "serviceId": "0017-8C5E-5B91", "displayName": "Cloud Storage"},
    NETWORKING,
    {"name": "services/CCD8-9BF1-090E", "serviceId": "CCD8-9BF1-090E", "displayName": "Kubernetes Engine"},
]


def recorded_sku() -> dict[str, Any]:
    """The real SKU as the API returned it (network egress; refresh must skip it)."""
    return json.loads(RECORDED.read_text(encoding="utf-8"))["skus"][0]


def sku(
    sku_id: str,
    description: str,
    price: float,
    usage_unit: str,
    regions: list[str],
    *,
    family: str = "Compute",
    group: str = "N2Standard",
    usage_type: str = "OnDemand",
    service: dict[str, str] = COMPUTE,
    tiers: list[tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """A SKU in the recorded SKU's shape with another description, price, unit and regions (``tiers``: several
    ``(start usage, price)`` rates, as the egress SKUs have, instead of the one ``price``)."""
    body = copy.deepcopy(recorded_sku())
    body["name"] = f"{service['name']}/skus/{sku_id}"
    body["skuId"] = sku_id
    body["description"] = description
    body["category"].update(
        serviceDisplayName=service["displayName"], resourceFamily=family, resourceGroup=group, usageType=usage_type
    )
    body["serviceRegions"] = regions
    info = body["pricingInfo"][0]
    expr = info["pricingExpression"]
    expr["usageUnit"] = usage_unit
    units = {"h": "hour", "GiBy.h": "gibibyte hour", "GiBy": "gibibyte"}
    expr["usageUnitDescription"] = units.get(usage_unit, usage_unit)
    expr["tieredRates"] = [
        {
            "startUsageAmount": start,
            "unitPrice": {"currencyCode": "USD", "units": str(int(value)), "nanos": round((value % 1) * 1e9)},
        }
        for start, value in (tiers or [(0, price)])
    ]
    return body


@dataclass
class FakeBillingState:
    """What the fake serves, and what it was asked."""

    skus: list[dict[str, Any]] = field(default_factory=list)  # Compute Engine's
    other_skus: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # service name -> its SKUs
    services: list[dict[str, Any]] = field(default_factory=lambda: [*OTHERS, COMPUTE])
    page_size: int = 2
    forbidden: bool = False
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: StateServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _page(self, key: str, items: list[dict[str, Any]], token: str) -> None:
        start = int(token or 0)
        size = self.server.state.page_size
        body: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        self._send(200, body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        state = self.server.state
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        token = parse_qs(parts.query).get("pageToken", [""])[0]
        with state.lock:
            state.requests.append(f"GET {self.path}")
        if state.forbidden:
            self._send(403, {"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}})
            return
        if path == "/v1/services":
            self._page("services", state.services, token)
            return
        if path == f"/v1/{COMPUTE['name']}/skus":
            self._page("skus", state.skus, token)
            return
        if path.startswith("/v1/services/") and path.endswith("/skus"):
            self._page("skus", state.other_skus.get(path[len("/v1/") : -len("/skus")], []), token)
            return
        self._send(404, {"error": {"code": 404, "message": f"no route for {path}", "status": "NOT_FOUND"}})


def serve(state: FakeBillingState) -> AbstractContextManager[str]:
    """Run the fake on 127.0.0.1 on an ephemeral port; yield its ``http://`` URL."""
    return serve_handler(_Handler, state, "fake-billing")
