"""Price tables as data: one YAML file per provider and region, every price with its source and the date read.

A table (``k8seval/prices/v1``) holds machine prices by type with their vCPU and memory, and named unit
prices from a fixed vocabulary (load balancers, NAT, traffic, Autopilot). Shipped tables live in
``evaluator/scoring/prices/``; ``k8seval prices refresh`` writes new ones from the providers' price APIs, and
a cost file can point at them (``price_tables:``). A price that was not verified is left out of a table:
the cost model then shows a gap naming the missing price, never a zero.

Validation is strict: an unknown key, a negative price, a non-https source or a bad date is an
:class:`~evaluator.errors.CatalogError` naming the file and the key (exit 2).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogError
from ..fileio import load_yaml
from ..typed import to_data

PRICES_SCHEMA = "k8seval/prices/v1"
PROVIDERS = ("aws", "gcp")

# The named unit prices a table may hold, per provider, with the unit each must be in.
ITEMS: dict[str, dict[str, str]] = {
    "aws": {
        "elb_nlb_hour": "USD/hour",  # Network Load Balancer, per load balancer and hour
        "elb_nlb_lcu_hour": "USD/hour",  # per NLCU-hour
        "elb_alb_hour": "USD/hour",
        "elb_alb_lcu_hour": "USD/hour",  # per LCU-hour
        "elb_clb_hour": "USD/hour",
        "elb_clb_gb": "USD/GB",
        "nat_gateway_hour": "USD/hour",
        "nat_gateway_gb": "USD/GB",
        "inter_zone_gb": "USD/GB",
        "internet_egress_gb": "USD/GB",
    },
    "gcp": {
        "lb_forwarding_rule_hour": "USD/hour",
        "lb_data_gb": "USD/GB",
        "nat_gateway_hour": "USD/hour",
        "nat_gateway_gb": "USD/GB",
        "inter_zone_gb": "USD/GB",
        "internet_egress_gb": "USD/GB",
        "autopilot_vcpu_hour": "USD/hour",  # general-purpose compute class, per vCPU of pod requests
        "autopilot_memory_gib_hour": "USD/hour",  # per GiB of pod requests
        "autopilot_balanced_vcpu_hour": "USD/hour",
        "autopilot_balanced_memory_gib_hour": "USD/hour",
        "autopilot_scale_out_vcpu_hour": "USD/hour",
        "autopilot_scale_out_memory_gib_hour": "USD/hour",
    },
}

_TABLE_KEYS = {"schema", "provider", "region", "currency", "read", "note", "compute", "items"}
_PRICE_KEYS = {"value", "unit", "source", "evidence", "verified", "note"}
_COMPUTE_KEYS = _PRICE_KEYS | {"vcpu", "memory_gib"}


@dataclass(frozen=True)
class Price:
    """A price or cost figure with its evidence.

    ``source`` is the provider's page or API for the figure; ``evidence`` the public copy it was read in when
    that is not the source itself (a generated file from the provider's price API, a mirror of the page);
    ``verified`` the date it was read there (None: not confirmed).
    """

    value: float
    unit: str  # "USD/hour", "USD/month", "USD/year", "USD/GB"
    source: str  # URL of the price page or API; empty for an assumption
    verified: str | None = None
    note: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class MachinePrice:
    """On-demand Linux price of one machine type, with its size."""

    value: float
    unit: str
    vcpu: float
    memory_gib: float
    source: str
    verified: str | None = None
    note: str = ""
    evidence: str = ""

    def price(self) -> Price:
        return Price(self.value, self.unit, self.source, self.verified, self.note, self.evidence)


@dataclass(frozen=True)
class PriceTable:
    """The prices of one provider in one region."""

    provider: str
    region: str
    read: str  # YYYY-MM-DD the table was read or refreshed
    compute: dict[str, MachinePrice] = field(default_factory=dict)
    items: dict[str, Price] = field(default_factory=dict)
    currency: str = "USD"
    note: str = ""
    schema: str = PRICES_SCHEMA
    source_file: str = "<table>"

    def to_dict(self) -> dict[str, Any]:
        return to_data(self)

    def item(self, name: str) -> Price | None:
        return self.items.get(name)

    def rows(self) -> list[dict[str, Any]]:
        """Every price as a flat row (provider, region, key, value, unit, source, evidence, verified)."""
        out: list[dict[str, Any]] = []
        for key, m in sorted(self.compute.items()):
            out.append(self._row(f"compute.{key}", m.price(), detail=f"{m.vcpu:g} vCPU, {m.memory_gib:g} GiB"))
        for key, p in sorted(self.items.items()):
            out.append(self._row(key, p))
        return out

    def _row(self, key: str, p: Price, *, detail: str = "") -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "key": key,
            "value": p.value,
            "unit": p.unit,
            "detail": detail,
            "source": p.source,
            "evidence": p.evidence,
            "verified": p.verified,
            "table": self.source_file,
        }


def _fail(where: str, path: str, problem: str) -> CatalogError:
    return CatalogError(f"{where}: {path}: {problem}")


def _check_date(value: Any, where: str, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise _fail(where, path, f"expected a YYYY-MM-DD date, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _fail(where, path, f"not a YYYY-MM-DD date: {value!r}") from None
    return value


def _check_keys(data: Any, allowed: set[str], where: str, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(where, path or "(top)", f"expected a mapping, got {type(data).__name__}")
    for key in data:
        if str(key) not in allowed:
            raise _fail(
                where,
                f"{path}.{key}" if path else str(key),
                f"unknown key (expected one of {', '.join(sorted(allowed))})",
            )
    return data


def _number(data: dict[str, Any], key: str, where: str, path: str, *, positive: bool = False) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"{path}.{key}", f"expected a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise _fail(where, f"{path}.{key}", f"must be {'positive' if positive else 'zero or more'}, got {value}")
    return float(value)


def price_from_data(
    data: Any, where: str, path: str, *, unit: str | None = None, keys: set[str] = _PRICE_KEYS
) -> dict[str, Any]:
    """Check one price mapping and return its plain fields (value, unit, source, evidence, verified, note)."""
    data = _check_keys(data, keys, where, path)
    value = _number(data, "value", where, path)
    got_unit = data.get("unit")
    if not isinstance(got_unit, str) or not got_unit:
        raise _fail(where, f"{path}.unit", "missing (for example USD/hour)")
    if unit is not None and got_unit != unit:
        raise _fail(where, f"{path}.unit", f"expected {unit}, got {got_unit!r}")
    out: dict[str, Any] = {"value": value, "unit": got_unit}
    for name in ("source", "evidence"):
        url = data.get(name, "")
        if url is None:
            url = ""
        if not isinstance(url, str) or (url and not url.startswith("https://")):
            raise _fail(where, f"{path}.{name}", f"must be an https URL, got {url!r}")
        out[name] = url
    if not out["source"]:
        raise _fail(where, f"{path}.source", "every price in a price table needs its https source")
    out["verified"] = _check_date(data.get("verified"), where, f"{path}.verified")
    note = data.get("note", "")
    out["note"] = "" if note is None else str(note)
    return out


def table_from_data(data: Any, *, where: str = "<prices>") -> PriceTable:
    """Validate plain data into a :class:`PriceTable`; errors name ``where`` and the key."""
    data = _check_keys(data, _TABLE_KEYS, where, "")
    if data.get("schema", PRICES_SCHEMA) != PRICES_SCHEMA:
        raise _fail(where, "schema", f"expected {PRICES_SCHEMA!r}, got {data.get('schema')!r}")
    provider = data.get("provider")
    if provider not in PROVIDERS:
        raise _fail(where, "provider", f"expected one of {', '.join(PROVIDERS)}, got {provider!r}")
    region = data.get("region")
    if not isinstance(region, str) or not region:
        raise _fail(where, "region", f"expected a region name, got {region!r}")
    read = _check_date(data.get("read"), where, "read")
    if read is None:
        raise _fail(where, "read", "the date the table was read is required")
    currency = data.get("currency", "USD")
    if currency != "USD":
        raise _fail(where, "currency", f"only USD tables are supported, got {currency!r}")
    compute: dict[str, MachinePrice] = {}
    for name, body in (data.get("compute") or {}).items():
        path = f"compute.{name}"
        plain = price_from_data(body, where, path, unit="USD/hour", keys=_COMPUTE_KEYS)
        compute[str(name)] = MachinePrice(
            vcpu=_number(body, "vcpu", where, path, positive=True),
            memory_gib=_number(body, "memory_gib", where, path, positive=True),
            **plain,
        )
    items: dict[str, Price] = {}
    vocabulary = ITEMS[provider]
    raw_items = data.get("items") or {}
    if not isinstance(raw_items, dict):
        raise _fail(where, "items", "expected a mapping of price names")
    for name, body in raw_items.items():
        if name not in vocabulary:
            raise _fail(
                where, f"items.{name}", f"unknown price for {provider} (expected one of {', '.join(vocabulary)})"
            )
        items[str(name)] = Price(**price_from_data(body, where, f"items.{name}", unit=vocabulary[name]))
    note = data.get("note", "")
    return PriceTable(
        provider=provider,
        region=region,
        read=read,
        compute=compute,
        items=items,
        note="" if note is None else str(note),
        source_file=where,
    )


def load_price_table(path: str | os.PathLike[str]) -> PriceTable:
    """Read and validate one price table file."""
    return table_from_data(load_yaml(path), where=str(Path(path)))


@functools.lru_cache(maxsize=1)
def shipped_tables() -> dict[tuple[str, str], PriceTable]:
    """The tables shipped in the wheel, by (provider, region)."""
    out: dict[tuple[str, str], PriceTable] = {}
    folder = resources.files("evaluator.scoring").joinpath("prices")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        where = f"evaluator/scoring/prices/{entry.name}"
        table = table_from_data(yaml.safe_load(entry.read_text(encoding="utf-8")), where=where)
        out[(table.provider, table.region)] = table
    return out


def table_document(table: PriceTable) -> dict[str, Any]:
    """The YAML-ready form of a table (what ``prices refresh`` writes and :func:`table_from_data` reads)."""

    def plain(p: Price | MachinePrice, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"value": p.value, "unit": p.unit}
        body.update(extra or {})
        body["source"] = p.source
        if p.evidence:
            body["evidence"] = p.evidence
        body["verified"] = p.verified
        if p.note:
            body["note"] = p.note
        return body

    doc: dict[str, Any] = {
        "schema": PRICES_SCHEMA,
        "provider": table.provider,
        "region": table.region,
        "currency": table.currency,
        "read": table.read,
    }
    if table.note:
        doc["note"] = table.note
    doc["compute"] = {
        k: plain(m, {"vcpu": m.vcpu, "memory_gib": m.memory_gib}) for k, m in sorted(table.compute.items())
    }
    doc["items"] = {k: plain(p) for k, p in sorted(table.items.items())}
    return doc
