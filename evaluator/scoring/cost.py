"""The control-plane cost model: managed fees, self-hosted control-plane machines and people, per target.

Figures come from editable assumptions (``cost_assumptions.yaml`` beside this module, or ``--costs FILE``)
whose prices cite their public pages and the date they were checked. Worker nodes are out of scope.

Per cluster and month (``h`` = hours_per_month, ``P`` = loaded annual cost of one engineer):

* self-hosted: control-plane nodes x instance $/h x h + etcd nodes x instance $/h x h + FTE x P / 12
* eks: ($0.10/h standard or $0.60/h when the version is past EKS standard support) x h + FTE x P / 12
* gke: $0.10/h x h, less the free-tier credit for a zonal cluster (first cluster only) + FTE x P / 12
* gke-autopilot: $0.10/h x h less the free-tier credit (first cluster only) + FTE x P / 12

Break-even per managed target: self-hosting is cheaper while its control-plane work stays below
``(managed monthly total - self-hosted machines) / (P / 12)`` engineer-FTE per cluster.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogError
from ..fileio import load_yaml
from ..findings import TARGETS, CostEstimate, CostLine
from ..inventory import Snapshot, parse_time
from ..typed import from_data, to_data
from .metrics import METRICS, parse_minor

COSTS_SCHEMA = "k8seval/cost-assumptions/v1"
REQUIRED_FEES = ("eks_standard", "eks_extended", "gke_management", "gke_free_tier_credit")
WORKER_NOTE = "Worker nodes are out of scope: the same workloads need about the same worker capacity on every target."


@dataclass(frozen=True)
class Price:
    """A price or cost figure with its evidence."""

    value: float
    unit: str  # "USD/hour", "USD/month", "USD/year"
    source: str  # URL of the price page; empty for an assumption
    verified: str | None = None  # YYYY-MM-DD the figure was checked; None when not confirmed
    note: str = ""


@dataclass(frozen=True)
class SelfHostedAssumptions:
    """The machines a self-hosted control plane runs on."""

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
    """Engineer time spent on one cluster's control plane, per target."""

    loaded_annual_cost: Price
    fte_per_cluster: dict[str, float]
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
class CostAssumptions:
    """Every figure the cost model uses, with sources; shown beside the estimates."""

    fees: dict[str, Price]
    instances: dict[str, Price]
    self_hosted: SelfHostedAssumptions
    people: PeopleAssumptions
    eks_versions: VersionCalendar
    schema: str = COSTS_SCHEMA
    currency: str = "USD"
    hours_per_month: float = 730.0
    region: str = "us-east-1"
    gke: GkeAssumptions = field(default_factory=GkeAssumptions)
    notes: list[str] = field(default_factory=list)
    source_file: str = "<defaults>"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return to_data(self)

    def fee(self, name: str) -> Price:
        """One of the managed-service fees by name (``eks_standard``, ``gke_management``, ...)."""
        return self.fees[name]

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


def cost_assumptions_from_data(data: Any, *, where: str = "<costs>") -> CostAssumptions:
    """Validate plain data into :class:`CostAssumptions`; errors name ``where`` and the field."""
    data = _plain(data)
    if isinstance(data, dict):
        schema = data.get("schema", COSTS_SCHEMA)
        if schema != COSTS_SCHEMA:
            raise CatalogError(f"{where}: schema: expected {COSTS_SCHEMA!r}, got {schema!r}")
        data = {**data, "source_file": where}
    a = from_data(CostAssumptions, data, where=where)
    for name in REQUIRED_FEES:
        if name not in a.fees:
            raise CatalogError(f"{where}: fees.{name}: required fee is missing")
    prices = [(f"fees.{k}", p) for k, p in a.fees.items()] + [(f"instances.{k}", p) for k, p in a.instances.items()]
    prices.append(("people.loaded_annual_cost", a.people.loaded_annual_cost))
    for path, price in prices:
        if price.value < 0:
            raise CatalogError(f"{where}: {path}.value: must not be negative, got {price.value}")
        if price.source and not price.source.startswith("https://"):
            raise CatalogError(f"{where}: {path}.source: must be an https URL, got {price.source!r}")
    if a.hours_per_month <= 0:
        raise CatalogError(f"{where}: hours_per_month: must be positive, got {a.hours_per_month}")
    sh = a.self_hosted
    for path, instance in (("control_plane_instance", sh.control_plane_instance), ("etcd_instance", sh.etcd_instance)):
        if instance not in a.instances:
            raise CatalogError(f"{where}: self_hosted.{path}: no price for {instance!r} under instances")
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
    if a.gke.standard_location not in ("regional", "zonal"):
        raise CatalogError(
            f"{where}: gke.standard_location: expected regional or zonal, got {a.gke.standard_location!r}"
        )
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
    return a


@functools.lru_cache(maxsize=1)
def _default_assumptions() -> CostAssumptions:
    text = resources.files("evaluator.scoring").joinpath("cost_assumptions.yaml").read_text(encoding="utf-8")
    return cost_assumptions_from_data(yaml.safe_load(text), where="evaluator/scoring/cost_assumptions.yaml")


def load_cost_assumptions(path: str | os.PathLike[str] | None = None) -> CostAssumptions:
    """Read cost assumptions from ``path``, or the shipped defaults when None; errors name file and field."""
    if path is None:
        return _default_assumptions()
    return cost_assumptions_from_data(load_yaml(path), where=str(Path(path)))


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


def _line(item: str, monthly: float, basis: str, source: str | None) -> CostLine:
    return CostLine(item=item, monthly_usd=round(monthly, 2), basis=basis, source=source or None)


def _people_line(target: str, a: CostAssumptions) -> CostLine:
    fte = a.people.fte_per_cluster.get(target, 0.0)
    annual = a.people.loaded_annual_cost.value
    return _line(
        "control-plane engineering (people)",
        fte * annual / 12,
        f"{fte:g} FTE x {_money(annual)}/year / 12 (assumption)",
        a.people.loaded_annual_cost.source,
    )


def self_hosted_machines(snapshot: Snapshot, a: CostAssumptions) -> tuple[list[CostLine], list[str]]:
    """The self-hosted control-plane and etcd machine lines, and notes on where the counts came from."""
    sh = a.self_hosted
    h = a.hours_per_month
    notes: list[str] = []
    cp_count = sh.control_plane_nodes
    measured = snapshot.nodes.control_plane_count
    if sh.use_measured_control_plane_count and snapshot.cluster.platform == "self-hosted" and measured:
        cp_count = measured
        notes.append(f"{measured} control-plane nodes as measured in the snapshot")
    cp_price = a.instances[sh.control_plane_instance]
    etcd_price = a.instances[sh.etcd_instance]
    lines = [
        _line(
            "control-plane nodes",
            cp_count * cp_price.value * h,
            f"{cp_count} x {sh.control_plane_instance} at ${cp_price.value:g}/h x {h:g} h ({a.region})",
            cp_price.source,
        )
    ]
    if sh.etcd_nodes:
        lines.append(
            _line(
                "etcd nodes",
                sh.etcd_nodes * etcd_price.value * h,
                f"{sh.etcd_nodes} x {sh.etcd_instance} at ${etcd_price.value:g}/h x {h:g} h ({a.region})",
                etcd_price.source,
            )
        )
    for price, instance in ((cp_price, sh.control_plane_instance), (etcd_price, sh.etcd_instance)):
        if price.verified is None:
            where = price.source or "its source"
            note = f"The {instance} price (${price.value:g}/h, {a.region}) was not confirmed at {where}"
            if note not in notes:
                notes.append(note)
    return lines, notes


def estimate_costs(
    snapshot: Snapshot,
    targets: Sequence[str],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    free_tier: bool = True,
    cluster: str | None = None,
) -> list[CostEstimate]:
    """Monthly control-plane cost of one cluster on each target.

    ``at`` (RFC 3339, default the snapshot's time) is the date support windows are judged at;
    ``free_tier`` says whether this cluster gets the GKE free-tier credit; ``cluster`` overrides the label.
    """
    a = assumptions
    h = a.hours_per_month
    name = cluster or snapshot.cluster.name
    on = parse_time(at or snapshot.collected_at).date()
    out: list[CostEstimate] = []
    for target in targets:
        lines: list[CostLine] = []
        notes: list[str] = []
        if target == "self-hosted":
            machines, machine_notes = self_hosted_machines(snapshot, a)
            lines.extend(machines)
            notes.extend(machine_notes)
        elif target == "eks":
            support = eks_support(snapshot.cluster.version or snapshot.cluster.git_version, on, a.eks_versions)
            if support.phase == "unknown":
                support = _catalog_support(snapshot) or support
            std, ext = a.fee("eks_standard"), a.fee("eks_extended")
            if support.phase in ("extended", "past-extended"):
                lines.append(
                    _line(
                        "EKS control plane (extended support)",
                        ext.value * h,
                        f"${ext.value:.2f}/h x {h:g} h",
                        ext.source,
                    )
                )
                notes.append(
                    f"{support.detail}: priced at the extended rate; upgrading to a version in standard support "
                    f"brings the fee back to ${std.value:.2f}/h"
                )
                if support.phase == "past-extended":
                    notes.append("EKS would upgrade this control plane itself; it cannot stay on this version")
            else:
                lines.append(
                    _line(
                        "EKS control plane (standard support)",
                        std.value * h,
                        f"${std.value:.2f}/h x {h:g} h",
                        std.source,
                    )
                )
                if support.phase == "unknown":
                    notes.append(f"Support phase not known ({support.detail}); priced at the standard rate")
                else:
                    notes.append(support.detail)
        elif target in ("gke", "gke-autopilot"):
            fee, credit = a.fee("gke_management"), a.fee("gke_free_tier_credit")
            monthly_fee = fee.value * h
            mode = "Autopilot" if target == "gke-autopilot" else f"Standard, {a.gke.standard_location}"
            lines.append(
                _line(f"GKE cluster management fee ({mode})", monthly_fee, f"${fee.value:.2f}/h x {h:g} h", fee.source)
            )
            eligible = target == "gke-autopilot" or a.gke.standard_location == "zonal"
            if eligible and free_tier:
                used = min(credit.value, monthly_fee)
                lines.append(
                    _line(
                        "GKE free-tier credit",
                        -used,
                        f"{_money(credit.value)}/month per billing account, {_money(used)} used by this cluster",
                        credit.source,
                    )
                )
            elif eligible:
                notes.append("The GKE free-tier credit (one per billing account) goes to another cluster")
            else:
                notes.append("The GKE free-tier credit does not apply to regional Standard clusters")
            notes.append("Extended-channel clusters pay an extra fee in their extended period (amount not included)")
        else:
            notes.append(f"No cost model for target {target!r}")
        lines.append(_people_line(target, a))
        notes.append(WORKER_NOTE)
        total = round(sum(line.monthly_usd for line in lines), 2)
        out.append(CostEstimate(cluster=name, target=target, monthly_usd=total, lines=lines, notes=notes))
    return out


def estimate_fleet(
    clusters: Sequence[tuple[str, Snapshot]],
    targets: Sequence[str],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
) -> list[CostEstimate]:
    """Estimates for every (label, latest snapshot); the GKE free-tier credit goes to the first clusters only."""
    out: list[CostEstimate] = []
    for index, (label, snap) in enumerate(clusters):
        free = index < assumptions.gke.free_tier_clusters
        out.extend(estimate_costs(snap, targets, assumptions, at=at, free_tier=free, cluster=label))
    return out


def break_even(
    clusters: Sequence[tuple[str, Snapshot]],
    assumptions: CostAssumptions,
    *,
    at: str | None = None,
    estimates: Sequence[CostEstimate] | None = None,
) -> dict[str, Any]:
    """Per managed target: the engineer-FTE of control-plane work below which self-hosting is cheaper.

    ``estimates``: :func:`estimate_fleet`'s for every target in ``TARGETS``, when the caller already made them
    (else they are made here).

    Returns ``{target: {"fte_per_cluster": {cluster: x}, "fleet_fte": sum, "assumed_self_hosted_fte": ...,
    "cheaper": target or "self-hosted", "message": sentence}}``; empty when there are no clusters.
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
        for label, _snap in clusters:
            managed = by_key[(label, target)].monthly_usd
            machines = sum(
                line.monthly_usd for line in by_key[(label, "self-hosted")].lines if "people" not in line.item
            )
            per_cluster[label] = round((managed - machines) / per_fte, 4) if per_fte > 0 else 0.0
        fleet = round(sum(per_cluster.values()), 4)
        assumed_total = round(assumed * len(clusters), 3)
        cheaper = "self-hosted" if assumed_total < fleet else target
        n = len(clusters)
        scope = "this cluster" if n == 1 else f"these {n} clusters"
        if fleet <= 0:
            message = (
                f"Self-hosting {scope} never costs less than {_label(target)}: the control-plane machines alone "
                f"cost more than {_label(target)}'s fee and people"
            )
        else:
            message = (
                f"Self-hosting {scope} costs less than {_label(target)} only while the control-plane work stays "
                f"below {fleet:.2f} engineer-FTE in total (assumed: {assumed_total:g} FTE at "
                f"{_money(a.people.loaded_annual_cost.value)}/year), so {_label(cheaper)} is cheaper "
                "on these assumptions"
            )
        result[target] = {
            "fte_per_cluster": per_cluster,
            "fleet_fte": fleet,
            "assumed_self_hosted_fte": assumed_total,
            "cheaper": cheaper,
            "message": message,
        }
    return result


def _label(target: str) -> str:
    return {"self-hosted": "self-hosting", "eks": "EKS", "gke": "GKE", "gke-autopilot": "GKE Autopilot"}[target]
