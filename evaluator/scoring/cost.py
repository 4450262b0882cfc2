"""The cost model: what each target would cost per month and year, by line, from sourced price tables.

Lines per cluster and target (``h`` = hours_per_month):

* control plane: self-hosted control-plane and etcd machines (EC2 in the AWS region), the EKS fee
  ($0.10/h standard, $0.60/h extended by the EKS calendar), the GKE management fee less the free-tier credit;
* workers: the nodes the snapshot measured, by instance type. Self-hosted on AWS and EKS run the same EC2
  types; GKE gets an equivalent GCE machine type (``equivalents`` in the cost file, else the cheapest machine in
  the table with at least the vCPU and memory); Autopilot is billed on the pod requests ``collect prometheus``
  reads from kube-state-metrics (a gap without them or without Autopilot prices). Savings Plans /
  committed-use discounts are explicit percentages;
* load balancers: one per measured LoadBalancer Service (hourly + capacity units as an assumption);
* traffic: NAT gateways, NAT-processed, inter-zone and internet egress volumes, inputs marked as assumptions;
* support: the provider's published tiered percentage with its minimum (the minimum once per evaluation);
* people: engineer-FTE per cluster x loaded annual cost / 12, inputs with their basis.

Prices come from the price tables (:mod:`evaluator.scoring.pricing`) for the regions in the cost file. A price
the table does not hold is a *gap* line (``monthly_usd`` None, ``gap`` naming the missing price), never a zero;
an estimate with a gap is marked incomplete and the cheapest option is chosen among complete ones only.

Break-even per managed target: self-hosting is cheaper while its control-plane work stays below
``(managed monthly total - self-hosted non-people total) / (P / 12)`` engineer-FTE. The sensitivity moves each
input by +/-25 % and reports which one moves the answer most.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml

from ..errors import CatalogError
from ..fileio import load_yaml
from ..findings import TARGETS, CostEstimate, CostLine
from ..inventory import Snapshot, parse_time
from ..typed import _hints, from_data, to_data
from .metrics import METRICS, parse_minor
from .pricing import PROVIDERS, MachinePrice, Price, PriceTable, load_price_table, shipped_tables

__all__ = [
    "Price",
    "CostAssumptions",
    "load_cost_assumptions",
    "cost_assumptions_from_data",
    "estimate_costs",
    "estimate_fleet",
    "break_even",
    "cost_analysis",
    "eks_support",
]

COSTS_SCHEMA = "k8seval/cost-assumptions/v1"
REQUIRED_FEES = ("eks_standard", "eks_extended", "gke_management", "gke_free_tier_credit")
CATEGORIES = ("control plane", "workers", "load balancers", "traffic", "support", "people")
PROVIDER_OF = {"self-hosted": "aws", "eks": "aws", "gke": "gcp", "gke-autopilot": "gcp"}
REFRESH_HINT = "k8seval prices refresh --provider {p} --region {r} -o FILE, then list FILE under price_tables"


@dataclass(frozen=True)
class SelfHostedAssumptions:
    """The machines a self-hosted control plane runs on (priced from the AWS table, or ``instances``)."""

    control_plane_nodes: int = 3
    control_plane_instance: str = "m5.xlarge"
    etcd_nodes: int = 3
    etcd_instance: str = "m5.xlarge"
    use_measured_control_plane_count: bool = True
    note: str = ""


@dataclass(frozen=True)
class GkeAssumptions:
    """How GKE clusters would be set up, which decides the free-tier credit."""

    standard_location: str = "regional"  # "regional" or "zonal"; the credit applies to zonal and Autopilot
    free_tier_clusters: int = 1  # clusters per evaluation that get the credit (one per billing account)
    note: str = ""


@dataclass(frozen=True)
class PeopleAssumptions:
    """Engineer time spent on one cluster, per target, with the basis of each figure."""

    loaded_annual_cost: Price
    fte_per_cluster: dict[str, float]
    basis: dict[str, str] = field(default_factory=dict)  # target -> why that FTE figure
    note: str = ""


@dataclass(frozen=True)
class SupportWindow:
    """End dates of standard and extended support for one minor version."""

    end_of_standard: str
    end_of_extended: str


@dataclass(frozen=True)
class VersionCalendar:
    """The EKS release calendar used to decide standard or extended pricing."""

    source: str
    versions: dict[str, SupportWindow]
    verified: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Regions:
    """The price region per provider (a table must exist for each, shipped or under ``price_tables``)."""

    aws: str = "eu-west-2"
    gcp: str = "europe-west2"
    note: str = ""


@dataclass(frozen=True)
class InstanceSpec:
    """vCPU and memory of a machine type no price table holds (an on-premises VM size, say)."""

    vcpu: float
    memory_gib: float
    note: str = ""


@dataclass(frozen=True)
class LoadBalancerAssumptions:
    """How a LoadBalancer Service is priced."""

    aws_type: str = "nlb"  # "nlb", "alb" or "clb"
    capacity_units_per_lb: float = 1.0  # LCU / NLCU per load balancer and hour (assumption)
    gcp_data_gb_per_lb: float = 0.0  # GB processed per load balancer and month on GCP (assumption)
    note: str = ""


@dataclass(frozen=True)
class TrafficAssumptions:
    """Monthly network volumes per cluster: inputs, not measurements."""

    nat_gateways: int = 3
    nat_processed_gb: float = 1000.0
    inter_zone_gb: float = 1000.0
    internet_egress_gb: float = 1000.0
    note: str = ""


@dataclass(frozen=True)
class Discounts:
    """Commitment discounts on worker and control-plane machines, as percentages (0 = list price)."""

    aws_compute_pct: float = 0.0  # Savings Plans / Reserved Instances
    gcp_compute_pct: float = 0.0  # committed-use discounts
    note: str = ""


@dataclass(frozen=True)
class SupportChoice:
    """The support plan per provider (a key of ``support_plans`` without the provider prefix, or "none")."""

    aws: str = "business"
    gcp: str = "none"
    note: str = ""


@dataclass(frozen=True)
class SupportPlan:
    """A published support price: the greater of a monthly minimum and a tiered percentage of monthly charges."""

    minimum_usd: float
    tiers: list[list[float]]  # [[from USD, percent], ...] ascending
    source: str
    verified: str | None = None
    evidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class CostAssumptions:
    """Every figure the cost model uses, with sources; shown beside the estimates."""

    fees: dict[str, Price]
    self_hosted: SelfHostedAssumptions
    people: PeopleAssumptions
    eks_versions: VersionCalendar
    instances: dict[str, Price] = field(default_factory=dict)  # machine prices that override the tables
    schema: str = COSTS_SCHEMA
    currency: str = "USD"
    hours_per_month: float = 730.0
    regions: Regions = field(default_factory=Regions)
    region: str | None = None  # older files: the AWS price region (regions.aws wins when both are given)
    price_tables: list[str] = field(default_factory=list)  # more tables, paths relative to the cost file
    instance_specs: dict[str, InstanceSpec] = field(default_factory=dict)
    equivalents: dict[str, dict[str, str]] = field(default_factory=dict)  # provider -> {measured type: machine}
    load_balancers: LoadBalancerAssumptions = field(default_factory=LoadBalancerAssumptions)
    traffic: TrafficAssumptions = field(default_factory=TrafficAssumptions)
    discounts: Discounts = field(default_factory=Discounts)
    support: SupportChoice = field(default_factory=SupportChoice)
    support_plans: dict[str, SupportPlan] = field(default_factory=dict)
    sensitivity_pct: float = 25.0
    gke: GkeAssumptions = field(default_factory=GkeAssumptions)
    notes: list[str] = field(default_factory=list)
    source_file: str = "<defaults>"
    tables: dict[str, PriceTable] = field(default_factory=dict)  # resolved: provider -> table for its region

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the resolved price tables are listed by :func:`price_rows`, not here)."""
        data = to_data(self)
        data.pop("tables", None)
        if data.get("region") is None:
            data.pop("region", None)
        data["price_regions"] = {p: f"{t.region} ({t.source_file}, read {t.read})" for p, t in self.tables.items()}
        return data

    def fee(self, name: str) -> Price:
        """One of the managed-service fees by name (``eks_standard``, ``gke_management``, ...)."""
        return self.fees[name]

    def table(self, provider: str) -> PriceTable:
        return self.tables[provider]

    @property
    def monthly_fte_cost(self) -> float:
        """Cost of one engineer-FTE per month."""
        return self.people.loaded_annual_cost.value / 12


def _plain(data: Any) -> Any:
    """YAML dates (unquoted 2026-11-26) become ISO strings so typed validation sees strings."""
    if isinstance(data, date):
        return data.isoformat()
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _strict(cls: type, data: Any, where: str, path: str) -> None:
    """Unknown keys in a cost file are errors naming the key (a typo must not silently fall back to a default)."""
    if not isinstance(data, dict):
        return
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)} - {"tables", "source_file"}
    for key, value in data.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in names:
            raise CatalogError(f"{where}: {sub}: unknown key (expected one of {', '.join(sorted(names))})")
        tp = hints[key]
        union = get_origin(tp) in (typing.Union, types.UnionType)
        for candidate in get_args(tp) if union else (tp,):
            if dataclasses.is_dataclass(candidate):
                _strict(candidate, value, where, sub)  # type: ignore[arg-type]
            elif get_origin(candidate) is dict and isinstance(value, dict):
                inner = get_args(candidate)[1]
                if dataclasses.is_dataclass(inner):
                    for k, v in value.items():
                        _strict(inner, v, where, f"{sub}.{k}")  # type: ignore[arg-type]


def _check_price(where: str, path: str, price: Price | SupportPlan | MachinePrice) -> None:
    value = getattr(price, "value", None)
    if value is None:
        value = getattr(price, "minimum_usd", 0.0)
    if value < 0:
        raise CatalogError(f"{where}: {path}.value: must not be negative, got {value}")
    for attr in ("source", "evidence"):
        url = getattr(price, attr, "")
        if url and not url.startswith("https://"):
            raise CatalogError(f"{where}: {path}.{attr}: must be an https URL, got {url!r}")


def cost_assumptions_from_data(
    data: Any, *, where: str = "<costs>", base: str | os.PathLike[str] | None = None
) -> CostAssumptions:
    """Validate plain data into :class:`CostAssumptions`; errors name ``where`` and the key.

    ``base`` is the folder ``price_tables`` paths are relative to (the cost file's folder).
    """
    data = _plain(data)
    if isinstance(data, dict):
        schema = data.get("schema", COSTS_SCHEMA)
        if schema != COSTS_SCHEMA:
            raise CatalogError(f"{where}: schema: expected {COSTS_SCHEMA!r}, got {schema!r}")
        _strict(CostAssumptions, data, where, "")
        data = {**data, "source_file": where}
    a = from_data(CostAssumptions, data, where=where, signed=True)  # negatives: checked below, field by field
    if a.region and not (isinstance(data, dict) and isinstance(data.get("regions"), dict) and "aws" in data["regions"]):
        a = dataclasses.replace(a, regions=dataclasses.replace(a.regions, aws=a.region))
    for name in REQUIRED_FEES:
        if name not in a.fees:
            raise CatalogError(f"{where}: fees.{name}: required fee is missing")
    prices: list[tuple[str, Any]] = [(f"fees.{k}", p) for k, p in a.fees.items()]
    prices += [(f"instances.{k}", p) for k, p in a.instances.items()]
    prices += [(f"support_plans.{k}", p) for k, p in a.support_plans.items()]
    prices.append(("people.loaded_annual_cost", a.people.loaded_annual_cost))
    for path, price in prices:
        _check_price(where, path, price)
    if a.hours_per_month <= 0:
        raise CatalogError(f"{where}: hours_per_month: must be positive, got {a.hours_per_month}")
    sh = a.self_hosted
    for path, count in (("control_plane_nodes", sh.control_plane_nodes), ("etcd_nodes", sh.etcd_nodes)):
        if count < 0:
            raise CatalogError(f"{where}: self_hosted.{path}: must not be negative, got {count}")
    for target, fte in a.people.fte_per_cluster.items():
        if target not in TARGETS:
            raise CatalogError(
                f"{where}: people.fte_per_cluster.{target}: unknown target (expected one of {', '.join(TARGETS)})"
            )
        if fte < 0:
            raise CatalogError(f"{where}: people.fte_per_cluster.{target}: must not be negative, got {fte}")
    for target in a.people.basis:
        if target not in TARGETS:
            raise CatalogError(f"{where}: people.basis.{target}: unknown target")
    if a.gke.standard_location not in ("regional", "zonal"):
        raise CatalogError(
            f"{where}: gke.standard_location: expected regional or zonal, got {a.gke.standard_location!r}"
        )
    if a.load_balancers.aws_type not in ("nlb", "alb", "clb"):
        raise CatalogError(
            f"{where}: load_balancers.aws_type: expected nlb, alb or clb, got {a.load_balancers.aws_type!r}"
        )
    for path, value in (
        ("load_balancers.capacity_units_per_lb", a.load_balancers.capacity_units_per_lb),
        ("load_balancers.gcp_data_gb_per_lb", a.load_balancers.gcp_data_gb_per_lb),
        ("traffic.nat_gateways", a.traffic.nat_gateways),
        ("traffic.nat_processed_gb", a.traffic.nat_processed_gb),
        ("traffic.inter_zone_gb", a.traffic.inter_zone_gb),
        ("traffic.internet_egress_gb", a.traffic.internet_egress_gb),
        ("sensitivity_pct", a.sensitivity_pct),
    ):
        if value < 0:
            raise CatalogError(f"{where}: {path}: must not be negative, got {value}")
    for path, pct in (
        ("discounts.aws_compute_pct", a.discounts.aws_compute_pct),
        ("discounts.gcp_compute_pct", a.discounts.gcp_compute_pct),
    ):
        if not 0 <= pct < 100:
            raise CatalogError(f"{where}: {path}: a percentage from 0 to below 100, got {pct}")
    for name, spec in a.instance_specs.items():
        if spec.vcpu <= 0 or spec.memory_gib <= 0:
            raise CatalogError(f"{where}: instance_specs.{name}: vcpu and memory_gib must be positive")
    for provider in a.equivalents:
        if provider not in PROVIDERS:
            raise CatalogError(f"{where}: equivalents.{provider}: unknown provider (expected aws or gcp)")
    for name, plan in a.support_plans.items():
        provider = name.split("-", 1)[0]
        if provider not in PROVIDERS or "-" not in name:
            raise CatalogError(f"{where}: support_plans.{name}: name it <provider>-<plan>, e.g. aws-business")
        if not plan.tiers or any(len(t) != 2 or t[0] < 0 or not 0 <= t[1] <= 100 for t in plan.tiers):
            raise CatalogError(f"{where}: support_plans.{name}.tiers: a list of [from USD, percent] pairs")
    for provider, plan in (("aws", a.support.aws), ("gcp", a.support.gcp)):
        if plan != "none" and not plan:
            raise CatalogError(f"{where}: support.{provider}: a plan name or none")
    for minor, window in a.eks_versions.versions.items():
        for attr in ("end_of_standard", "end_of_extended"):
            try:
                date.fromisoformat(getattr(window, attr))
            except ValueError:
                raise CatalogError(
                    f"{where}: eks_versions.versions.{minor}.{attr}: not a YYYY-MM-DD date: {getattr(window, attr)!r}"
                ) from None
        if parse_minor(minor) is None:
            raise CatalogError(f'{where}: eks_versions.versions.{minor}: not a minor version like "1.29"')
    tables = dict(shipped_tables())
    folder = Path(base) if base is not None else None
    for entry in a.price_tables:
        path = Path(entry)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        table = load_price_table(path)
        tables[(table.provider, table.region)] = table
    resolved: dict[str, PriceTable] = {}
    for provider in PROVIDERS:
        region = getattr(a.regions, provider)
        table = tables.get((provider, region))
        if table is None:
            known = ", ".join(sorted(r for p, r in tables if p == provider))
            raise CatalogError(
                f"{where}: regions.{provider}: no price table for {provider} {region!r} (tables: {known}); make one "
                f"with `{REFRESH_HINT.format(p=provider, r=region)}`"
            )
        resolved[provider] = table
    sh_instances = (("control_plane_instance", sh.control_plane_instance), ("etcd_instance", sh.etcd_instance))
    for path, instance in sh_instances:
        if not instance:
            raise CatalogError(f"{where}: self_hosted.{path}: an instance type is required")
    return dataclasses.replace(a, tables=resolved)


@functools.lru_cache(maxsize=1)
def _default_assumptions() -> CostAssumptions:
    text = resources.files("evaluator.scoring").joinpath("cost_assumptions.yaml").read_text(encoding="utf-8")
    return cost_assumptions_from_data(yaml.safe_load(text), where="evaluator/scoring/cost_assumptions.yaml")


def load_cost_assumptions(path: str | os.PathLike[str] | None = None) -> CostAssumptions:
    """Read cost assumptions from ``path``, or the shipped defaults when None; errors name file and key."""
    if path is None:
        return _default_assumptions()
    return cost_assumptions_from_data(load_yaml(path), where=str(Path(path)), base=Path(path).parent)


# ---------------------------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class SupportStatus:
    """Where a version stands in the EKS calendar on a date."""

    phase: str  # "standard" | "extended" | "past-extended" | "unknown"
    minor: str | None
    detail: str


def eks_support(version: str | None, on: date, calendar: VersionCalendar) -> SupportStatus:
    """The EKS support phase of ``version`` on ``on``.

    A version missing from the calendar is judged against the next newer one in it (an older minor is
    never supported longer); one older than every listed version is past extended support; one newer
    than all is in standard support.
    """
    key = parse_minor(version)
    if key is None:
        return SupportStatus("unknown", None, "version not measured")
    minor = f"{key[0]}.{key[1]}"
    exact = calendar.versions.get(minor)
    if exact is not None:
        std, ext = date.fromisoformat(exact.end_of_standard), date.fromisoformat(exact.end_of_extended)
        if on < std:
            return SupportStatus("standard", minor, f"EKS standard support for {minor} ends {std}")
        if on < ext:
            return SupportStatus("extended", minor, f"{minor} left EKS standard support on {std}; extended ends {ext}")
        return SupportStatus("past-extended", minor, f"{minor} left EKS extended support on {ext}")
    newer = sorted((k, m) for m in calendar.versions if (k := parse_minor(m)) is not None and k > key)
    if not newer:
        return SupportStatus("standard", minor, f"{minor} is newer than the EKS calendar in the assumptions")
    m = newer[0][1]
    w = calendar.versions[m]
    std, ext = date.fromisoformat(w.end_of_standard), date.fromisoformat(w.end_of_extended)
    if on >= ext:
        return SupportStatus(
            "past-extended", minor, f"{minor} is older than {m}, whose EKS extended support ended {ext}"
        )
    if on >= std:
        return SupportStatus("extended", minor, f"{minor} is older than {m}, which left EKS standard support on {std}")
    return SupportStatus("unknown", minor, f"{minor} is not in the EKS calendar in the assumptions")


def _catalog_support(snapshot: Snapshot) -> SupportStatus | None:
    """Fallback when the assumptions' calendar cannot tell: the catalog's EKS version metric.

    ``version.eks_standard_months_left`` counts from the snapshot's time; below zero means the version
    had left standard support when the snapshot was taken.
    """
    fn = METRICS.get("version.eks_standard_months_left")
    if fn is None:
        return None
    value = fn(snapshot)
    if value.value is None:
        return None
    phase = "extended" if value.value <= 0 else "standard"
    return SupportStatus(phase, None, f"catalog version table: {value.detail or f'{value.value:g} months left'}")


# ---------------------------------------------------------------------------------------------- estimates


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _rate(value: float) -> str:
    return f"${value:g}"


class _Builder:
    """Collects the lines of one estimate; ``scale`` multiplies named inputs (the sensitivity runs)."""

    def __init__(self, a: CostAssumptions, target: str, scale: Mapping[str, float]) -> None:
        self.a = a
        self.target = target
        self.provider = PROVIDER_OF.get(target, "aws")
        self.table = a.tables.get(self.provider)
        self.scale = scale
        self.lines: list[CostLine] = []
        self.notes: list[str] = []
        self.mapping: list[dict[str, Any]] = []
        # For the sensitivity: each priced amount at scale 1 with the inputs that multiply it (and a cap for the
        # free-tier credit), and the support plan, so a run at other scales is arithmetic instead of a re-estimate.
        self.parts: list[tuple[float, tuple[str, ...], str, float | None]] = []
        self.support_plan: tuple[SupportPlan, bool] | None = None

    def k(self, name: str) -> float:
        return self.scale.get(name, 1.0)

    def _scaled(self, names: tuple[str, ...]) -> float:
        out = 1.0
        for name in names:
            out *= self.k(name)
        return out or 1.0

    def line(
        self,
        category: str,
        item: str,
        monthly: float,
        basis: str,
        price: Price | None = None,
        *,
        tags: tuple[str, ...] = (),
        parts: list[tuple[float, tuple[str, ...]]] | None = None,
        cap: float | None = None,
    ) -> None:
        """Add a priced line; ``tags`` name the inputs that multiply it (``parts`` when it has several terms)."""
        if category != "support":
            for amount, names in parts if parts is not None else [(monthly, tags)]:
                self.parts.append((amount / self._scaled(names), names, category, cap))
        self.lines.append(
            CostLine(
                item=item,
                monthly_usd=round(monthly, 2),
                basis=basis,
                source=(price.source or None) if price else None,
                category=category,
                verified=price.verified if price else None,
            )
        )

    def gap(self, category: str, item: str, missing: str, basis: str = "") -> None:
        self.lines.append(CostLine(item=item, monthly_usd=None, basis=basis, category=category, gap=missing))

    @property
    def where(self) -> str:
        return f"{self.provider} {self.table.region}" if self.table else self.provider

    def missing(self, what: str, why: str = "") -> str:
        region = self.table.region if self.table else "?"
        extra = f" ({why})" if why else ""
        return f"no price for {what} in the {self.where} table{extra}; {REFRESH_HINT.format(p=self.provider, r=region)}"

    def item_price(self, name: str) -> Price | None:
        return self.table.item(name) if self.table else None

    def machine(self, name: str) -> tuple[Price | None, MachinePrice | None]:
        """Price of machine ``name`` for this provider: the cost file's ``instances`` (AWS side), then the table."""
        if self.provider == "aws" and name in self.a.instances:
            return self.a.instances[name], None
        m = self.table.compute.get(name) if self.table else None
        return (m.price() if m else None), m


def _spec(a: CostAssumptions, name: str) -> tuple[float, float] | None:
    """vCPU and memory of ``name`` from the cost file's ``instance_specs`` or any price table that lists it."""
    if name in a.instance_specs:
        s = a.instance_specs[name]
        return s.vcpu, s.memory_gib
    for table in [*a.tables.values(), *shipped_tables().values()]:
        m = table.compute.get(name)
        if m is not None:
            return m.vcpu, m.memory_gib
    return None


def _equivalent(b: _Builder, name: str) -> tuple[str | None, str]:
    """The machine that prices measured type ``name`` for ``b``'s provider, and why it was chosen."""
    a = b.a
    if b.machine(name)[0] is not None:
        return name, "as measured"
    chosen = a.equivalents.get(b.provider, {}).get(name)
    if chosen:
        return chosen, "equivalent set in the cost file (equivalents)"
    spec = _spec(a, name)
    if spec is None or b.table is None:
        return None, "vCPU and memory unknown (add the type under instance_specs)"
    vcpu, mem = spec
    fits = [(m.value, key) for key, m in b.table.compute.items() if m.vcpu >= vcpu and m.memory_gib >= mem]
    if not fits:
        return None, f"no machine in the {b.where} table with at least {vcpu:g} vCPU and {mem:g} GiB"
    _, key = min(fits)
    return key, f"cheapest in the {b.where} table with at least {vcpu:g} vCPU and {mem:g} GiB"


def _workers(b: _Builder, snapshot: Snapshot) -> None:
    a, h = b.a, b.a.hours_per_month
    if b.target == "gke-autopilot":
        _autopilot(b, snapshot)
        return
    types = dict(snapshot.nodes.by_instance_type)
    if not types:
        what = "nodes by instance type were not measured" if snapshot.nodes.count else "nodes were not measured"
        b.gap("workers", "worker nodes", f"{what}: nothing to price")
        return
    cp = snapshot.nodes.control_plane_count or 0
    if cp and snapshot.cluster.platform == "self-hosted":
        top = max(types, key=lambda t: types[t])
        taken = min(cp, types[top])
        types[top] -= taken
        b.notes.append(
            f"{taken} control-plane nodes are left out of the {top} worker count (the snapshot counts nodes by type, "
            "not by role); the control plane is priced on its own line"
        )
    discount = a.discounts.aws_compute_pct if b.provider == "aws" else a.discounts.gcp_compute_pct
    total = 0.0
    for name, count in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])):
        if count <= 0:
            continue
        chosen, why = _equivalent(b, name)
        b.mapping.append({"target": b.target, "measured": name, "nodes": count, "priced_as": chosen, "basis": why})
        if chosen is None:
            b.gap("workers", f"workers: {count:,} x {name}", b.missing(name, why))
            continue
        price, _ = b.machine(chosen)
        if price is None:
            b.gap("workers", f"workers: {count:,} x {name} as {chosen}", b.missing(chosen))
            continue
        rate = price.value * b.k(f"prices.{b.provider}.compute")
        monthly = count * rate * h
        total += monthly
        label = name if chosen == name else f"{name} as {chosen}"
        b.line(
            "workers",
            f"workers: {count:,} x {label}",
            monthly,
            f"{count:,} x {_rate(rate)}/h x {h:g} h ({why})",
            price,
            tags=(f"prices.{b.provider}.compute",),
        )
    if discount and total:
        pct = discount * b.k("discounts")
        kind = "Savings Plans / Reserved Instances" if b.provider == "aws" else "committed-use discount"
        b.line(
            "workers",
            f"{kind} ({pct:g} %)",
            -total * pct / 100,
            f"{pct:g} % of the worker machines (cost file: discounts)",
            tags=(f"prices.{b.provider}.compute", "discounts"),
        )


def _autopilot(b: _Builder, snapshot: Snapshot) -> None:
    """Autopilot bills the CPU and memory running pods request (general-purpose class), per vCPU- and GiB-hour."""
    a, h = b.a, b.a.hours_per_month
    req = snapshot.pod_requests
    if req is None or req.cpu_cores is None or req.memory_gib is None:
        gap = snapshot.gap_for("pod_requests")
        b.gap(
            "workers",
            "Autopilot pod requests",
            "Autopilot bills the vCPU and memory that pods request; this snapshot carries no pod requests"
            + (f" ({gap.reason})" if gap else "")
            + " (collect prometheus reads them from kube-state-metrics; merge its snapshot with collect kube's)"
            + (
                f"; nor is an Autopilot vCPU or GiB price in the {b.where} table"
                if b.item_price("autopilot_vcpu_hour") is None or b.item_price("autopilot_memory_gib_hour") is None
                else ""
            ),
        )
        return
    total = 0.0
    for item, key, quantity, unit in (
        ("Autopilot pod CPU requests", "autopilot_vcpu_hour", req.cpu_cores, "vCPU"),
        ("Autopilot pod memory requests", "autopilot_memory_gib_hour", req.memory_gib, "GiB"),
    ):
        price = b.item_price(key)
        label = f"{item}: {quantity:,.3g} {unit}"
        if price is None:
            b.gap("workers", label, b.missing(key), f"{quantity:g} {unit} requested ({req.source or 'measured'})")
            continue
        rate = price.value * b.k("prices.gcp.compute")
        monthly = quantity * rate * h
        total += monthly
        b.line(
            "workers",
            label,
            monthly,
            f"{quantity:g} {unit} requested by running pods ({req.source or 'measured'}) x {_rate(rate)}/{unit}-h "
            f"x {h:g} h (general-purpose compute class)",
            price,
            tags=("prices.gcp.compute",),
        )
    if a.discounts.gcp_compute_pct and total:
        pct = a.discounts.gcp_compute_pct * b.k("discounts")
        b.line(
            "workers",
            f"committed-use discount ({pct:g} %)",
            -total * pct / 100,
            f"{pct:g} % of the Autopilot pod resources (cost file: discounts)",
            tags=("prices.gcp.compute", "discounts"),
        )


def _control_plane(b: _Builder, snapshot: Snapshot, on: date, free_tier: bool) -> None:
    a, h, target = b.a, b.a.hours_per_month, b.target
    if target == "self-hosted":
        sh = a.self_hosted
        cp_count = sh.control_plane_nodes
        measured = snapshot.nodes.control_plane_count
        if sh.use_measured_control_plane_count and snapshot.cluster.platform == "self-hosted" and measured:
            cp_count = measured
            b.notes.append(f"{measured} control-plane nodes as measured in the snapshot")
        discount = a.discounts.aws_compute_pct * b.k("discounts") / 100
        for item, count, instance in (
            ("control-plane nodes", cp_count, sh.control_plane_instance),
            ("etcd nodes", sh.etcd_nodes, sh.etcd_instance),
        ):
            if not count:
                continue
            price, _ = b.machine(instance)
            if price is None:
                b.gap("control plane", item, b.missing(instance), f"{count} x {instance}")
                continue
            gross = count * price.value * b.k("prices.aws.compute") * h
            rate = price.value * b.k("prices.aws.compute") * (1 - discount)
            basis = f"{count} x {instance} at {_rate(rate)}/h x {h:g} h ({b.where})"
            if discount:
                basis += f", less the {discount * 100:g} % discount"
            terms = [(gross, ("prices.aws.compute",)), (-gross * discount, ("prices.aws.compute", "discounts"))]
            b.line("control plane", item, count * rate * h, basis, price, parts=terms)
            if price.verified is None:
                note = (
                    f"The {instance} price ({_rate(price.value)}/h) was not confirmed at {price.source or 'its source'}"
                )
                if note not in b.notes:
                    b.notes.append(note)
        return
    if target == "eks":
        support = eks_support(snapshot.cluster.version or snapshot.cluster.git_version, on, a.eks_versions)
        if support.phase == "unknown":
            support = _catalog_support(snapshot) or support
        std, ext = a.fee("eks_standard"), a.fee("eks_extended")
        k = b.k("fees")
        if support.phase in ("extended", "past-extended"):
            b.line(
                "control plane",
                "EKS control plane (extended support)",
                ext.value * k * h,
                f"{_rate(ext.value * k)}/h x {h:g} h",
                ext,
                tags=("fees",),
            )
            b.notes.append(
                f"{support.detail}: priced at the extended rate; upgrading to a version in standard support "
                f"brings the fee back to ${std.value:.2f}/h"
            )
            if support.phase == "past-extended":
                b.notes.append("EKS would upgrade this control plane itself; it cannot stay on this version")
        else:
            b.line(
                "control plane",
                "EKS control plane (standard support)",
                std.value * k * h,
                f"{_rate(std.value * k)}/h x {h:g} h",
                std,
                tags=("fees",),
            )
            b.notes.append(
                f"Support phase not known ({support.detail}); priced at the standard rate"
                if support.phase == "unknown"
                else support.detail
            )
        return
    if target in ("gke", "gke-autopilot"):
        fee, credit = a.fee("gke_management"), a.fee("gke_free_tier_credit")
        monthly_fee = fee.value * b.k("fees") * h
        mode = "Autopilot" if target == "gke-autopilot" else f"Standard, {a.gke.standard_location}"
        b.line(
            "control plane",
            f"GKE cluster management fee ({mode})",
            monthly_fee,
            f"{_rate(fee.value * b.k('fees'))}/h x {h:g} h",
            fee,
            tags=("fees",),
        )
        eligible = target == "gke-autopilot" or a.gke.standard_location == "zonal"
        if eligible and free_tier:
            used = min(credit.value, monthly_fee)
            b.line(
                "control plane",
                "GKE free-tier credit",
                -used,
                f"{_money(credit.value)}/month per billing account, {_money(used)} used by this cluster",
                credit,
                parts=[(-monthly_fee, ("fees",))],
                cap=credit.value,
            )
        elif eligible:
            b.notes.append("The GKE free-tier credit (one per billing account) goes to another cluster")
        else:
            b.notes.append("The GKE free-tier credit does not apply to regional Standard clusters")
        b.notes.append("Extended-channel clusters pay an extra fee in their extended period (amount not included)")
        return
    b.notes.append(f"No cost model for target {target!r}")


def _load_balancers(b: _Builder, snapshot: Snapshot) -> None:
    a, h = b.a, b.a.hours_per_month
    by_type = snapshot.services.by_type
    if not by_type:
        b.gap("load balancers", "load balancers", "Services by type were not measured: LoadBalancer Services unknown")
        return
    n = by_type.get("LoadBalancer", 0)
    if not n:
        b.notes.append("No LoadBalancer Services measured: no load balancer line")
        return
    lb = a.load_balancers
    units = lb.capacity_units_per_lb * b.k("load_balancers.capacity_units")
    k = b.k("prices.load_balancers")
    if b.provider == "aws":
        kind = {"nlb": "Network", "alb": "Application", "clb": "Classic"}[lb.aws_type]
        hour = b.item_price(f"elb_{lb.aws_type}_hour")
        if hour is None:
            b.gap("load balancers", f"{n:,} {kind} Load Balancers", b.missing(f"elb_{lb.aws_type}_hour"))
        else:
            b.line(
                "load balancers",
                f"{n:,} {kind} Load Balancers",
                n * hour.value * k * h,
                f"{n:,} LoadBalancer Services x {_rate(hour.value * k)}/h x {h:g} h",
                hour,
                tags=("prices.load_balancers",),
            )
        if lb.aws_type in ("nlb", "alb") and units:
            lcu = b.item_price(f"elb_{lb.aws_type}_lcu_hour")
            item = f"{kind} Load Balancer capacity units"
            if lcu is None:
                b.gap("load balancers", item, b.missing(f"elb_{lb.aws_type}_lcu_hour"))
            else:
                b.line(
                    "load balancers",
                    item,
                    n * units * lcu.value * k * h,
                    f"{n:,} x {units:g} units/h (assumption) x {_rate(lcu.value * k)} x {h:g} h",
                    lcu,
                    tags=("prices.load_balancers", "load_balancers.capacity_units"),
                )
        return
    rule = b.item_price("lb_forwarding_rule_hour")
    item = f"{n:,} load balancer forwarding rules"
    if rule is None:
        b.gap("load balancers", item, b.missing("lb_forwarding_rule_hour"))
    else:
        b.line(
            "load balancers",
            item,
            n * rule.value * k * h,
            f"{n:,} x {_rate(rule.value * k)}/h x {h:g} h",
            rule,
            tags=("prices.load_balancers",),
        )
    if lb.gcp_data_gb_per_lb:
        data = b.item_price("lb_data_gb")
        if data is None:
            b.gap("load balancers", "load balancer data processed", b.missing("lb_data_gb"))
        else:
            gb = n * lb.gcp_data_gb_per_lb
            b.line(
                "load balancers",
                "load balancer data processed",
                gb * data.value * k,
                f"{gb:,.0f} GB (assumption) x {_rate(data.value * k)}/GB",
                data,
                tags=("prices.load_balancers",),
            )


def _traffic(b: _Builder) -> None:
    t, h = b.a.traffic, b.a.hours_per_month
    kv, kp = b.k("traffic.volumes"), b.k("prices.traffic")
    if not (t.nat_gateways or t.nat_processed_gb or t.inter_zone_gb or t.internet_egress_gb):
        b.notes.append("Traffic (NAT, inter-zone, internet egress) is not included: the cost file gives no volumes")
        return
    rows = (
        (
            "NAT gateways",
            "nat_gateway_hour",
            t.nat_gateways * h,
            "gateway-hours",
            f"{t.nat_gateways} gateways x {h:g} h",
        ),
        ("NAT data processed", "nat_gateway_gb", t.nat_processed_gb * kv, "GB", None),
        ("inter-zone traffic", "inter_zone_gb", t.inter_zone_gb * kv, "GB", None),
        ("internet egress", "internet_egress_gb", t.internet_egress_gb * kv, "GB", None),
    )
    for item, key, quantity, unit, text in rows:
        if not quantity:
            continue
        price = b.item_price(key)
        basis = f"{text or f'{quantity:,.0f} {unit}'} (assumption, cost file: traffic)"
        if price is None:
            b.gap("traffic", item, b.missing(key), basis)
            continue
        b.line(
            "traffic",
            item,
            quantity * price.value * kp,
            f"{basis} x {_rate(price.value * kp)}/{unit.rstrip('s').split('-')[-1]}",
            price,
            tags=("prices.traffic",) if key == "nat_gateway_hour" else ("prices.traffic", "traffic.volumes"),
        )


def tiered(plan: SupportPlan, charges: float) -> float:
    """A support plan's percentage of ``charges`` over its tiers (without the minimum)."""
    tiers = sorted(plan.tiers)
    out = 0.0
    for i, (start, pct) in enumerate(tiers):
        end = tiers[i + 1][0] if i + 1 < len(tiers) else float("inf")
        if charges > start:
            out += (min(charges, end) - start) * pct / 100
    return out


def _support(b: _Builder, first: bool) -> None:
    choice = getattr(b.a.support, b.provider)
    if choice == "none":
        b.notes.append(f"No {b.provider.upper()} support plan in the cost file (support.{b.provider}: none)")
        return
    key = f"{b.provider}-{choice}"
    plan = b.a.support_plans.get(key)
    item = f"{b.provider.upper()} support ({choice})"
    if plan is None:
        b.gap("support", item, f"no published price for the {key} support plan under support_plans in the cost file")
        return
    b.support_plan = (plan, first)
    charges = sum(line.monthly_usd or 0.0 for line in b.lines if line.category not in ("people", "support"))
    pct = tiered(plan, charges) * b.k("support")
    monthly = max(pct, plan.minimum_usd) if first else pct
    basis = f"tiered % of {_money(charges)}/month of charges"
    if any(line.gap for line in b.lines if line.category not in ("people", "support")):
        basis += " (priced lines only, so a lower bound)"
    basis += (
        f", at least {_money(plan.minimum_usd)}/month (first cluster)"
        if first
        else " (minimum counted on the first cluster)"
    )
    b.line(
        "support",
        item,
        monthly,
        basis,
        Price(plan.minimum_usd, "USD/month", plan.source, plan.verified, plan.note, plan.evidence),
    )


def _people(b: _Builder) -> None:
    a = b.a
    fte = a.people.fte_per_cluster.get(b.target, 0.0) * b.k(f"people.fte.{b.target}")
    annual = a.people.loaded_annual_cost.value * b.k("people.loaded_annual_cost")
    why = a.people.basis.get(b.target, "assumption")
    b.line(
        "people",
        "platform engineering (people)",
        fte * annual / 12,
        f"{fte:g} FTE x {_money(annual)}/year / 12 ({why})",
        a.people.loaded_annual_cost,
        tags=("people.loaded_annual_cost", f"people.fte.{b.target}"),
    )


def estimate_costs(
    snapshot: Snapshot,
    targets: Sequence[str],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    free_tier: bool = True,
    cluster: str | None = None,
    first: bool | None = None,
    scale: Mapping[str, float] | None = None,
) -> list[CostEstimate]:
    """Monthly cost of one cluster on each target, by line.

    ``at`` (RFC 3339, default the snapshot's time) is the date support windows are judged at; ``free_tier``
    says whether this cluster gets the GKE free-tier credit; ``first`` whether it carries the support-plan
    minimum (default: same as ``free_tier``); ``cluster`` overrides the label; ``scale`` multiplies inputs by
    name (the sensitivity runs).
    """
    a = assumptions
    name = cluster or snapshot.cluster.name
    on = parse_time(at or snapshot.collected_at).date()
    carries_minimum = free_tier if first is None else first
    return [_estimate(_build(snapshot, t, a, on, free_tier, carries_minimum, scale or {}), name) for t in targets]


def _estimate(b: _Builder, cluster: str) -> CostEstimate:
    gaps = [f"{line.item}: {line.gap}" for line in b.lines if line.gap]
    total = round(sum(line.monthly_usd or 0.0 for line in b.lines), 2)
    if gaps:
        b.notes.append(f"{len(gaps)} line(s) have no price: the total is a lower bound")
    return CostEstimate(
        cluster=cluster,
        target=b.target,
        monthly_usd=total,
        lines=b.lines,
        notes=b.notes,
        region=b.where,
        yearly_usd=round(total * 12, 2),
        complete=not gaps,
        gaps=gaps,
        mapping=b.mapping,
    )


def _build(
    snapshot: Snapshot,
    target: str,
    a: CostAssumptions,
    on: date,
    free_tier: bool,
    first: bool,
    scale: Mapping[str, float],
) -> _Builder:
    b = _Builder(a, target, scale)
    _control_plane(b, snapshot, on, free_tier)
    _workers(b, snapshot)
    _load_balancers(b, snapshot)
    _traffic(b)
    _support(b, first)
    _people(b)
    return b


def estimate_fleet(
    clusters: Sequence[tuple[str, Snapshot]],
    targets: Sequence[str],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    scale: Mapping[str, float] | None = None,
) -> list[CostEstimate]:
    """Estimates for every (label, latest snapshot); the GKE free-tier credit goes to the first clusters only."""
    return estimate_fleet_with_parts(clusters, targets, assumptions, at=at, scale=scale)[0]


def estimate_fleet_with_parts(
    clusters: Sequence[tuple[str, Snapshot]],
    targets: Sequence[str],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    scale: Mapping[str, float] | None = None,
) -> tuple[list[CostEstimate], list[_Components]]:
    """:func:`estimate_fleet` plus each estimate's parts, which :func:`cost_analysis` can reuse (``components=``)."""
    a = assumptions
    out: list[CostEstimate] = []
    parts: list[_Components] = []
    for index, (label, snap) in enumerate(clusters):
        free = index < a.gke.free_tier_clusters
        on = parse_time(at or snap.collected_at).date()
        for target in targets:
            b = _build(snap, target, a, on, free, index == 0, scale or {})
            out.append(_estimate(b, label))
            parts.append(_Components(target, b.parts, b.support_plan, out[-1].complete))
    return out, parts


def _not_people(est: CostEstimate) -> float:
    return sum(line.monthly_usd or 0.0 for line in est.lines if line.category != "people")


def break_even(
    clusters: Sequence[tuple[str, Snapshot]],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    estimates: Sequence[CostEstimate] | None = None,
) -> dict[str, Any]:
    """Per managed target: the engineer-FTE of platform work below which self-hosting is cheaper.

    ``estimates``: :func:`estimate_fleet`'s for every target in ``TARGETS``, when the caller already made them.

    Returns ``{target: {"fte_per_cluster": {cluster: x}, "fleet_fte": sum, "assumed_self_hosted_fte": ...,
    "cheaper": target or "self-hosted", "complete": bool, "message": sentence}}``; empty when there are no
    clusters.
    """
    a = assumptions
    if not clusters:
        return {}
    per_fte = a.monthly_fte_cost
    assumed = a.people.fte_per_cluster.get("self-hosted", 0.0)
    result: dict[str, Any] = {}
    if estimates is None:
        estimates = estimate_fleet(clusters, TARGETS, a, at=at)
    by_key = {(e.cluster, e.target): e for e in estimates}
    for target in ("eks", "gke", "gke-autopilot"):
        per_cluster: dict[str, float] = {}
        complete = True
        for label, _snap in clusters:
            managed, own = by_key[(label, target)], by_key[(label, "self-hosted")]
            complete = complete and managed.complete and own.complete
            per_cluster[label] = round((managed.monthly_usd - _not_people(own)) / per_fte, 4) if per_fte > 0 else 0.0
        fleet = round(sum(per_cluster.values()), 4)
        assumed_total = round(assumed * len(clusters), 3)
        cheaper = "self-hosted" if assumed_total < fleet else target
        n = len(clusters)
        scope = "this cluster" if n == 1 else f"these {n} clusters"
        if fleet <= 0:
            message = (
                f"Self-hosting {scope} never costs less than {_label(target)}: the machines, traffic and support "
                f"alone cost more than {_label(target)} with its people"
            )
        else:
            message = (
                f"Self-hosting {scope} costs less than {_label(target)} only while the platform work stays "
                f"below {fleet:.2f} engineer-FTE in total (assumed: {assumed_total:g} FTE at "
                f"{_money(a.people.loaded_annual_cost.value)}/year), so {_label(cheaper)} is cheaper "
                "on these assumptions"
            )
        if not complete:
            fleet = None
            cheaper = "unknown"
            message = (
                f"Not computed: self-hosting or {_label(target)} has lines without a price (see the gaps in the "
                "cost table), so the engineer-time threshold would compare unlike totals"
            )
        result[target] = {
            "fte_per_cluster": per_cluster,
            "fleet_fte": fleet,
            "assumed_self_hosted_fte": assumed_total,
            "cheaper": cheaper,
            "complete": complete,
            "message": message,
        }
    return result


def _label(target: str) -> str:
    return {"self-hosted": "self-hosting", "eks": "EKS", "gke": "GKE", "gke-autopilot": "GKE Autopilot"}[target]


# ---------------------------------------------------------------------------------------------- analysis

SENSITIVITY_INPUTS = (
    ("people.loaded_annual_cost", "loaded annual cost of an engineer"),
    ("people.fte.self-hosted", "self-hosted FTE per cluster"),
    ("people.fte.eks", "EKS FTE per cluster"),
    ("people.fte.gke", "GKE FTE per cluster"),
    ("people.fte.gke-autopilot", "GKE Autopilot FTE per cluster"),
    ("prices.aws.compute", "EC2 machine prices"),
    ("prices.gcp.compute", "GCE machine prices"),
    ("prices.load_balancers", "load balancer prices"),
    ("load_balancers.capacity_units", "load balancer capacity units (assumption)"),
    ("traffic.volumes", "traffic volumes (assumption)"),
    ("prices.traffic", "traffic prices"),
    ("fees", "managed control-plane fees"),
    ("support", "support plan percentages"),
    ("discounts", "commitment discounts"),
)


def _totals(estimates: Sequence[CostEstimate], targets: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {t: {"monthly": 0.0, "complete": True} for t in targets}
    for e in estimates:
        if e.target in out:
            out[e.target]["monthly"] += e.monthly_usd
            out[e.target]["complete"] = out[e.target]["complete"] and e.complete
    return out


def cheapest(totals: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The cheapest target among those whose estimate has no gap; None when none is complete."""
    complete = [(v["monthly"], t) for t, v in totals.items() if v["complete"]]
    return min(complete)[1] if complete else None


@dataclass(frozen=True)
class _Components:
    """One estimate as arithmetic: its priced parts with the inputs that scale them, its support plan, gaps."""

    target: str
    parts: list[tuple[float, tuple[str, ...], str, float | None]]
    support: tuple[SupportPlan, bool] | None
    complete: bool


def _components(
    clusters: Sequence[tuple[str, Snapshot]], targets: Sequence[str], a: CostAssumptions, at: str | None
) -> list[_Components]:
    out: list[_Components] = []
    for index, (_, snap) in enumerate(clusters):
        on = parse_time(at or snap.collected_at).date()
        free = index < a.gke.free_tier_clusters
        for target in targets:
            b = _build(snap, target, a, on, free, index == 0, {})
            complete = not any(line.gap for line in b.lines)
            out.append(_Components(target, b.parts, b.support_plan, complete))
    return out


def _scaled_totals(
    components: Sequence[_Components], targets: Sequence[str], scale: Mapping[str, float]
) -> dict[str, dict[str, Any]]:
    """Fleet totals per target with inputs scaled, computed from the parts (the same figures a re-estimate gives)."""
    out: dict[str, dict[str, Any]] = {t: {"monthly": 0.0, "complete": True} for t in targets}
    for c in components:
        charges = people = 0.0
        for amount, names, category, cap in c.parts:
            value = amount
            for name in names:
                value *= scale.get(name, 1.0)
            if cap is not None:
                value = max(-cap, value)
            if category == "people":
                people += value
            else:
                charges += value
        support = 0.0
        if c.support is not None:
            plan, first = c.support
            support = tiered(plan, charges) * scale.get("support", 1.0)
            if first:
                support = max(support, plan.minimum_usd)
        row = out.get(c.target)
        if row is None:
            continue
        row["monthly"] += charges + people + support
        row["complete"] = row["complete"] and c.complete
    return out


def cost_analysis(
    clusters: Sequence[tuple[str, Snapshot]],
    assumptions: CostAssumptions,
    targets: Sequence[str],
    *,
    at: str | None = None,
    estimates: Sequence[CostEstimate] | None = None,
    components: Sequence[_Components] | None = None,
) -> dict[str, Any]:
    """Totals per target (month, year), the cheapest complete option, the sensitivity and every price used.

    ``estimates`` / ``components``: what :func:`estimate_fleet_with_parts` made for these clusters, when the caller
    has them (else they are made here).

    The sensitivity re-estimates the fleet with each input in :data:`SENSITIVITY_INPUTS` at -p % and +p %
    (p = ``sensitivity_pct``) and ranks the inputs first by whether they change the cheapest option (``flips``),
    then by how far they move the monthly gap between the cheapest option and the others (``swing_monthly``; the
    largest change to any option's total when no option is complete). ``total_move_monthly`` is the largest
    change to any option's monthly total.
    """
    a = assumptions
    if not clusters:
        return {}
    if estimates is None or components is None:
        estimates, components = estimate_fleet_with_parts(clusters, targets, a, at=at)
    base = _totals(estimates, targets)
    best = cheapest(base)
    incomplete = [t for t, v in base.items() if not v["complete"]]

    def margin(totals: Mapping[str, Mapping[str, Any]], winner: str | None) -> float | None:
        if winner is None:
            return None
        others = [v["monthly"] for t, v in totals.items() if t != winner and v["complete"]]
        return (min(others) - totals[winner]["monthly"]) if others else None

    base_margin = margin(base, best)
    pct = a.sensitivity_pct
    rows: list[dict[str, Any]] = []
    providers = {PROVIDER_OF.get(t) for t in targets}
    for key, label in SENSITIVITY_INPUTS:
        if key.startswith("people.fte.") and key.removeprefix("people.fte.") not in targets:
            continue
        if key.startswith("prices.") and key.split(".")[1] in PROVIDERS and key.split(".")[1] not in providers:
            continue
        row: dict[str, Any] = {"input": key, "label": label}
        swing = total_move = 0.0
        flips: list[str] = []
        for side, factor in (("low", 1 - pct / 100), ("high", 1 + pct / 100)):
            run = _scaled_totals(components, targets, {key: factor})
            winner = cheapest(run)
            row[side] = {t: round(v["monthly"], 2) for t, v in run.items()}
            row[f"cheapest_{side}"] = winner
            if best is not None and winner != best and winner is not None:
                flips.append(f"{'-' if side == 'low' else '+'}{pct:g} %: {_label(winner)}")
            moved = max(abs(run[t]["monthly"] - base[t]["monthly"]) for t in run) if run else 0.0
            total_move = max(total_move, moved)
            if best is not None:  # how far the gap between the cheapest option and each other complete one moves
                gaps = [
                    abs((run[t]["monthly"] - run[best]["monthly"]) - (base[t]["monthly"] - base[best]["monthly"]))
                    for t in run
                    if t != best and base[t]["complete"]
                ]
                swing = max([swing, *gaps])
        row["swing_monthly"] = round(swing if best is not None else total_move, 2)
        row["total_move_monthly"] = round(total_move, 2)
        row["flips"] = flips
        rows.append(row)
    rows.sort(key=lambda r: (-len(r["flips"]), -r["swing_monthly"], r["input"]))
    top = rows[0] if rows and rows[0]["swing_monthly"] > 0 else None
    if best is None:
        decision = (
            "No option can be called cheapest yet: every option has lines without a verified price ("
            + ", ".join(_label(t) for t in incomplete)
            + "); refresh the price tables for the regions used (k8seval prices refresh) and compare again"
        )
    else:
        decision = f"{_label(best)} is the cheapest complete option on these assumptions"
        if base_margin is not None:
            decision += f", {_money(base_margin)}/month below the next"
        if incomplete:
            decision += "; not compared: " + ", ".join(_label(t) for t in incomplete) + " (missing prices)"
        decision += _support_caveat(a, [t for t, v in base.items() if v["complete"]])
    moves = ""
    if top is not None:
        shift = _money(top["swing_monthly"])
        what = "the gap to the cheapest option" if best is not None else "a total"
        moves = f"The answer moves most with the {top['label']} (±{pct:g} % moves {what} by {shift}/month"
        moves += f"; the cheapest option changes at {', '.join(top['flips'])})" if top["flips"] else ")"
    return {
        "regions": {p: t.region for p, t in a.tables.items()},
        "totals": {
            t: {"monthly": round(v["monthly"], 2), "yearly": round(v["monthly"] * 12, 2), "complete": v["complete"]}
            for t, v in base.items()
        },
        "cheapest": best,
        "decision": decision,
        "sensitivity_pct": pct,
        "sensitivity": rows,
        "moves_most": moves,
        "prices": price_rows(a),
        "mapping": [m for e in estimates for m in e.mapping],
    }


def _support_caveat(a: CostAssumptions, compared: Sequence[str]) -> str:
    """A warning when the options compared carry a support plan on one provider and none on the other: the totals
    are then not like for like (the side without a plan looks cheaper by the whole support line)."""
    providers = sorted({PROVIDER_OF[t] for t in compared if t in PROVIDER_OF})
    if len(providers) < 2:
        return ""
    plans = {p: getattr(a.support, p) for p in providers}
    with_plan = [p for p in providers if plans[p] != "none"]
    without = [p for p in providers if plans[p] == "none"]
    if not with_plan or not without:
        return ""
    names = {"aws": "AWS", "gcp": "Google Cloud"}
    return (
        f"; not like for like: support is priced for {', '.join(f'{names[p]} ({plans[p]})' for p in with_plan)} "
        f"but not for {', '.join(names[p] for p in without)} (support.{without[0]}: none); add that provider's plan "
        f"under support_plans, or set support.{with_plan[0]}: none, to compare the same scope"
    )


def price_rows(a: CostAssumptions) -> list[dict[str, Any]]:
    """Every price the estimates can use, with source, evidence and date: fees, support, tables, overrides."""
    rows: list[dict[str, Any]] = []

    def add(provider: str, region: str, key: str, p: Price, table: str) -> None:
        rows.append(
            {
                "provider": provider,
                "region": region,
                "key": key,
                "value": p.value,
                "unit": p.unit,
                "detail": p.note,
                "source": p.source,
                "evidence": p.evidence,
                "verified": p.verified,
                "table": table,
            }
        )

    for key, p in a.fees.items():
        add("aws" if key.startswith("eks") else "gcp", "all", f"fees.{key}", p, a.source_file)
    for key, plan in a.support_plans.items():
        tiers = ", ".join(f"{pct:g} % from {_money(start)}" for start, pct in plan.tiers)
        add(
            key.split("-", 1)[0],
            "all",
            f"support_plans.{key}",
            Price(plan.minimum_usd, "USD/month minimum", plan.source, plan.verified, tiers, plan.evidence),
            a.source_file,
        )
    for key, p in a.instances.items():
        add("aws", a.regions.aws, f"instances.{key}", p, a.source_file)
    for table in a.tables.values():
        rows.extend(table.rows())
    return rows
