"""The fact dictionary that question triggers and placeholders read: measured figures over a set of snapshots.

Facts are flat dotted keys (``etcd.db_size_bytes``) computed over the latest snapshot of every cluster given:
per-cluster limits use the largest cluster (max), fleet figures use the sum. Every documented key is always
present; ``None`` means "not measured" (no cluster reported it), never 0. ``findings.<constraint>.<field>``
keys come from an :class:`~evaluator.findings.Evaluation` and hold the worst status across the clusters for
the vendor's targets. :data:`FACTS` documents every key; :func:`describe_facts` prints the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..findings import STATUSES, UNKNOWN, VENDOR_TARGETS, Evaluation, Finding, status_rank
from ..inventory import Snapshot, parse_time
from ..scoring.metrics import UPSTREAM_DEFAULT_ADMISSION, unsupported_flags
from ..units import GIB, format_count

VENDOR_NAMES = {"eks": "Amazon EKS", "gke": "Google GKE", "self-hosted": "Self-hosted (current platform)"}
VENDORS = tuple(VENDOR_TARGETS)

# Fact kinds decide how a value is displayed: bytes as GiB with one decimal, counts with separators.
KINDS = ("bytes", "count", "number", "fraction", "text", "list", "bool", "status")

FINDING_FIELDS = {
    "status": "status",
    "observed": "number",
    "limit": "number",
    "utilisation": "fraction",
}
_FINDING_KEY = re.compile(r"^findings\.([a-z][a-z0-9_]*)\.(status|observed|limit|utilisation)$")


@dataclass(frozen=True)
class FactSpec:
    """One documented fact: how to display it and what it means."""

    kind: str
    description: str
    sample: Any  # a plausible value, used to validate placeholders and in tests


FACTS: dict[str, FactSpec] = {
    "clusters.count": FactSpec("count", "clusters in the question list", 3),
    "clusters.names": FactSpec("list", "cluster names", ["prod-1", "prod-2", "dr-1"]),
    "clusters.platforms": FactSpec("list", "platforms the clusters run on today", ["self-hosted"]),
    "clusters.providers": FactSpec("list", "infrastructure providers the clusters run on (aws, gcp)", ["aws"]),
    "versions.oldest": FactSpec("text", "oldest control-plane minor version (e.g. 1.29)", "1.29"),
    "versions.newest": FactSpec("text", "newest control-plane minor version", "1.31"),
    "versions.oldest_minor": FactSpec("number", "minor number of the oldest version (29 for 1.29)", 29),
    "versions.minors": FactSpec("list", "distinct control-plane minor versions", ["1.29", "1.31"]),
    "nodes.count": FactSpec("count", "nodes in the largest cluster", 1500),
    "nodes.total": FactSpec("count", "nodes across all clusters", 2100),
    "nodes.pods_per_node.max": FactSpec("count", "running pods on the busiest node", 98),
    "nodes.allocatable_pods.max": FactSpec("count", "highest allocatable pods (max-pods) on any node", 110),
    "nodes.zones": FactSpec("count", "zones used by the most spread cluster", 3),
    "nodes.gpu": FactSpec("count", "GPU nodes across all clusters", 0),
    "nodes.windows": FactSpec("count", "Windows nodes across all clusters", 0),
    "pods.count": FactSpec("count", "pods in the largest cluster", 45000),
    "pods.total": FactSpec("count", "pods across all clusters", 52000),
    "namespaces.count": FactSpec("count", "namespaces in the largest cluster", 900),
    "crds.count": FactSpec("count", "CustomResourceDefinitions in the largest cluster", 180),
    "services.count": FactSpec("count", "Services in the largest cluster", 6000),
    "services.load_balancers": FactSpec("count", "Services of type LoadBalancer across all clusters", 40),
    "services.max_endpoints_per_service": FactSpec("count", "endpoints behind the largest Service", 400),
    "services.endpoints_total": FactSpec("count", "service endpoints in the largest cluster", 60000),
    "network_policies.count": FactSpec("count", "NetworkPolicies in the largest cluster", 8000),
    "network_policies.total": FactSpec("count", "NetworkPolicies across all clusters", 9500),
    "network_policies.max_per_namespace": FactSpec("count", "NetworkPolicies in the busiest namespace", 60),
    "network_policies.rules": FactSpec("count", "ingress plus egress rules in the largest cluster", 24000),
    "network_policies.ip_blocks": FactSpec("count", "ipBlock peers in the largest cluster", 1200),
    "network_policies.max_ports_per_rule": FactSpec("count", "unique ports in the busiest single rule", 30),
    "network_policies.cni_policies": FactSpec("count", "CNI-specific policy objects in the largest cluster", 350),
    "dataplane.eks_entries_per_peer": FactSpec(
        "count", "most EKS agent port entries one pod needs for one peer, all policies merged", 31
    ),
    "dataplane.eks_pods_over_limit": FactSpec("count", "pods needing more than 24 EKS port entries for a peer", 22),
    "dataplane.cilium_policy_map_entries": FactSpec(
        "count", "estimated Cilium policy-map entries of the busiest pod", 3500
    ),
    "dataplane.identities": FactSpec("count", "security identities (distinct identity label sets)", 19000),
    "dataplane.identities_measured": FactSpec("count", "CiliumIdentity objects counted in the cluster", 18500),
    "dataplane.policies_per_pod": FactSpec("count", "most NetworkPolicies selecting one pod", 30),
    "network_policies.cni_policy_kinds": FactSpec(
        "list", "CNI-specific policy resources in use", ["globalnetworkpolicies.crd.projectcalico.org"]
    ),
    "webhooks.count": FactSpec("count", "admission webhooks in the largest cluster", 14),
    "webhooks.fail_closed": FactSpec("count", "webhooks with failurePolicy Fail in the largest cluster", 6),
    "webhooks.max_timeout_seconds": FactSpec("number", "longest webhook timeout, seconds", 30),
    "etcd.db_size_bytes": FactSpec("bytes", "etcd database file size of the largest cluster", 5_476_083_302),
    "etcd.db_size_in_use_bytes": FactSpec("bytes", "etcd space in use of the largest cluster", 4_100_000_000),
    "etcd.quota_backend_bytes": FactSpec("bytes", "largest etcd backend quota configured", 8 * GIB),
    "etcd.total_keys": FactSpec("count", "etcd keys in the largest cluster", 1_200_000),
    "etcd.members": FactSpec("count", "etcd members in the largest etcd cluster", 5),
    "etcd.growth_bytes_per_month": FactSpec(
        "bytes", "fastest etcd growth per 30 days across clusters with history", 180_000_000
    ),
    "networking.cni": FactSpec("list", "CNIs in use (calico, cilium, aws-vpc-cni, ...)", ["calico"]),
    "networking.kube_proxy_mode": FactSpec("list", "kube-proxy modes in use", ["ipvs"]),
    "networking.ip_family": FactSpec("list", "IP families in use (ipv4, ipv6, dual)", ["ipv4"]),
    "networking.pod_cidrs": FactSpec("list", "pod CIDRs", ["10.32.0.0/12"]),
    "networking.service_cidrs": FactSpec("list", "service CIDRs", ["10.96.0.0/16"]),
    "networking.pod_ip_capacity": FactSpec("count", "pod IPs the pod ranges allow, smallest cluster", 1_048_576),
    "networking.pod_ips_in_use": FactSpec("count", "pod IPs in use in the largest cluster", 45000),
    "networking.pod_ip_utilisation": FactSpec("fraction", "highest share of pod IP space in use", 0.42),
    "control_plane.custom_flags": FactSpec(
        "list",
        "kube-apiserver flags beyond the kubeadm defaults, across clusters",
        ["--max-requests-inflight", "--audit-policy-file", "--etcd-servers-overrides"],
    ),
    "control_plane.custom_flag_count": FactSpec("count", "non-default kube-apiserver flags, busiest cluster", 3),
    "control_plane.etcd_custom_flags": FactSpec(
        "list", "etcd flags beyond the kubeadm defaults", ["--quota-backend-bytes", "--auto-compaction-retention"]
    ),
    "control_plane.admission_plugins": FactSpec(
        "list", "admission plugins enabled beyond the upstream defaults", ["EventRateLimit", "AlwaysPullImages"]
    ),
    "control_plane.admission_plugin_count": FactSpec("count", "admission plugins beyond the defaults", 2),
    "control_plane.feature_gates": FactSpec("list", "feature gates set explicitly", ["InPlacePodVerticalScaling"]),
    "control_plane.feature_gate_count": FactSpec("count", "feature gates set explicitly", 1),
    "control_plane.audit_policy": FactSpec("bool", "a custom audit policy file is configured", True),
    "control_plane.encryption_at_rest": FactSpec("bool", "an encryption-provider config is set", True),
    "control_plane.oidc": FactSpec("bool", "OIDC authentication is configured on the apiserver", True),
    "control_plane.apiserver_count": FactSpec("count", "kube-apiserver instances, largest cluster", 3),
    "cloud.providers": FactSpec("list", "cloud providers of clusters measured through a cloud API", ["aws"]),
    "cloud.modes": FactSpec("list", "cloud modes (standard, autopilot, auto-mode)", ["standard"]),
    "cloud.support_types": FactSpec("list", "cloud support types (STANDARD, EXTENDED)", ["EXTENDED"]),
    "cloud.release_channels": FactSpec("list", "GKE release channels", ["REGULAR"]),
    "cloud.endpoint_public": FactSpec("bool", "any cluster API endpoint is public", True),
    "cloud.logging": FactSpec("list", "control-plane log types enabled", ["api", "audit"]),
    "cloud.node_groups": FactSpec("count", "node groups / node pools, largest cluster", 12),
    "gaps.count": FactSpec("count", "facts that could not be measured, all clusters", 2),
    "gaps.missing": FactSpec("list", "what could not be measured", ["etcd.db_size_bytes"]),
    "regulation.area": FactSpec("text", "where data must stay, from the chosen jurisdictions", "the UK or EEA"),
    "regulation.oversight": FactSpec(
        "text",
        "the oversight schemes of the chosen jurisdictions",
        "as a critical third party in the UK or as a critical ICT third-party provider in the EU",
    ),
    "fit.blockers": FactSpec("count", "findings at blocker for the vendor's targets", 2),
    "fit.at_risk": FactSpec("count", "findings at at-risk for the vendor's targets", 3),
    "fit.unknown": FactSpec("count", "findings that could not be scored for the vendor's targets", 1),
}

# etcd flags a kubeadm control plane sets by itself (kubeadm's static Pod manifest); anything else (quota,
# compaction, snapshot tuning) was chosen by the platform team. kube-apiserver flags and admission plugins use
# the scoring metrics' definitions (installer plumbing and upstream defaults are not customisations).
KUBEADM_ETCD_FLAGS = frozenset(
    {
        "advertise-client-urls",
        "cert-file",
        "client-cert-auth",
        "data-dir",
        "experimental-initial-corrupt-check",
        "experimental-watch-progress-notify-interval",
        "initial-advertise-peer-urls",
        "initial-cluster",
        "initial-cluster-state",
        "key-file",
        "listen-client-urls",
        "listen-metrics-urls",
        "listen-peer-urls",
        "name",
        "peer-cert-file",
        "peer-client-cert-auth",
        "peer-key-file",
        "peer-trusted-ca-file",
        "snapshot-count",
        "trusted-ca-file",
    }
)


def is_fact_key(key: str) -> bool:
    """True for a documented fact key or a ``findings.<constraint>.<status|observed|limit|utilisation>`` key."""
    return key in FACTS or _FINDING_KEY.match(key) is not None


def fact_kind(key: str) -> str:
    """The display kind of a fact key (``bytes``, ``count``, ``status``...)."""
    if key in FACTS:
        return FACTS[key].kind
    match = _FINDING_KEY.match(key)
    if match:
        return FINDING_FIELDS[match.group(2)]
    raise KeyError(key)


def finding_constraint(key: str) -> str | None:
    """The constraint id a ``findings.*`` key refers to, else None."""
    match = _FINDING_KEY.match(key)
    return match.group(1) if match else None


def describe_facts() -> list[tuple[str, str, str]]:
    """(key, kind, description) for every documented fact, plus the findings pattern; for docs and --help."""
    rows = [(key, spec.kind, spec.description) for key, spec in FACTS.items()]
    rows.append(
        (
            "findings.<constraint_id>.status",
            "status",
            "worst status (ok < watch < at-risk < blocker) across clusters for the vendor's targets; "
            "'unknown' when no finding could be scored; also .observed, .limit, .utilisation",
        )
    )
    return rows


# ---------------------------------------------------------------------------------------------- display


def _trim(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def fmt_gib(value: Any) -> str:
    """Bytes as GiB with one decimal (``5.1 GiB``); whole GiB without the decimal (``4 GiB``)."""
    if value is None:
        return "not measured"
    text = f"{float(value) / GIB:,.1f}"
    if float(value) % GIB == 0:
        text = _trim(text)
    return f"{text} GiB"


def fmt_count(value: Any) -> str:
    """A count with thousands separators (``8,000``)."""
    if value is None:
        return "not measured"
    return format_count(float(value))


def fmt_number(value: Any) -> str:
    """A number without needless decimals (``30``, ``2.5``, ``12,000``)."""
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        return f"{int(number):,}" if number.is_integer() else _trim(f"{number:,.2f}".rstrip("0"))
    return str(value)


def fmt_pct(value: Any) -> str:
    """A fraction as a whole percentage (``0.42`` -> ``42%``)."""
    if value is None:
        return "not measured"
    return f"{float(value) * 100:.0f}%"


def fmt_list(value: Any) -> str:
    """A list as comma-separated text; an empty list is ``none``."""
    if value is None:
        return "not measured"
    if isinstance(value, str):
        return value
    items = [str(v) for v in value]
    return ", ".join(items) if items else "none"


def fmt_text(value: Any) -> str:
    """Any value as text, with ``not measured`` for None and yes/no for booleans."""
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# A finding's status as a vendor reads it: the question lists go to vendors, who do not know our scale of
# ok / watch / at-risk / blocker / unknown.
STANDING = {
    "ok": "well within your published terms",
    "watch": "approaching the edge of your published terms",
    "at-risk": "at or near the edge of your published terms",
    "blocker": "outside your published terms",
    "unknown": "not determinable from your public documentation",
}


def fmt_standing(value: Any) -> str:
    """A status fact (``findings.<id>.status``) in words a vendor reads; ``not measured`` for None."""
    if value is None:
        return "not measured"
    return STANDING.get(str(value), str(value))


def format_fact(key: str, value: Any) -> str:
    """Display a fact (or a threshold compared with it) the way its kind asks."""
    try:
        kind = fact_kind(key)
    except KeyError:
        kind = "text"
    if isinstance(value, list) and kind != "list":
        return "[" + ", ".join(format_fact(key, v) for v in value) + "]"
    if kind == "bytes" and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_gib(value)
    if kind == "count":
        return fmt_count(value) if isinstance(value, int | float) and not isinstance(value, bool) else fmt_text(value)
    if kind == "number":
        return fmt_number(value)
    if kind == "fraction" and isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_pct(value)
    if kind == "list":
        return fmt_list(value)
    return fmt_text(value)


# ---------------------------------------------------------------------------------------------- building


def _max(values: Iterable[float | int | None]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _min(values: Iterable[float | int | None]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _sum(values: Iterable[float | int | None]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _union(lists: Iterable[Iterable[str] | None]) -> list[str] | None:
    seen: dict[str, None] = {}
    measured = False
    for items in lists:
        if items is None:
            continue
        measured = True
        for item in items:
            seen.setdefault(item, None)
    return sorted(seen) if measured else None


def _minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    match = re.match(r"v?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _flag_name(flag: str) -> str:
    return flag.lstrip("-").split("=", 1)[0]


def _custom_apiserver(flags: dict[str, str]) -> list[str] | None:
    if not flags:
        return None  # not read (managed control plane, or no static Pods visible)
    return [f"--{name}" for name in unsupported_flags(flags, ())]


def _custom_etcd(flags: dict[str, str]) -> list[str] | None:
    if not flags:
        return None
    return sorted(f"--{name}" for name in {_flag_name(k) for k in flags} if name not in KUBEADM_ETCD_FLAGS)


def _admission(snap: Snapshot) -> list[str] | None:
    plugins = list(snap.control_plane.admission_plugins)
    for key, value in snap.control_plane.apiserver_flags.items():
        if _flag_name(key) == "enable-admission-plugins":
            plugins.extend(p.strip() for p in value.split(",") if p.strip())
    if not plugins and not snap.control_plane.apiserver_flags:
        return None
    return sorted({p for p in plugins if p not in UPSTREAM_DEFAULT_ADMISSION})


def _feature_gates(snap: Snapshot) -> list[str] | None:
    """Feature gates set on the control plane; an empty list when flags were read and none were set."""
    gates = set(snap.control_plane.feature_gates)
    for key, value in snap.control_plane.apiserver_flags.items():
        if _flag_name(key) == "feature-gates":
            gates.update(p.split("=", 1)[0].strip() for p in value.split(",") if p.strip())
    if not gates and not snap.control_plane.apiserver_flags:
        return None
    return sorted(gates)


def _has_flag(snap: Snapshot, name: str) -> bool | None:
    if not snap.control_plane.apiserver_flags:
        return None
    return any(_flag_name(k) == name for k in snap.control_plane.apiserver_flags)


def _any_true(values: Iterable[bool | None]) -> bool | None:
    present = [v for v in values if v is not None]
    return any(present) if present else None


def latest_per_cluster(snapshots: Sequence[Snapshot]) -> tuple[list[Snapshot], dict[str, list[Snapshot]]]:
    """The newest snapshot of each cluster (in first-seen order) and each cluster's history, oldest first."""
    history: dict[str, list[Snapshot]] = {}
    for snap in snapshots:
        history.setdefault(snap.cluster.name, []).append(snap)
    for name, snaps in history.items():
        history[name] = sorted(snaps, key=lambda s: parse_time(s.collected_at))
    return [snaps[-1] for snaps in history.values()], history


def _etcd_growth(history: dict[str, list[Snapshot]]) -> float | None:
    """Fastest etcd growth per 30 days: first to last measurement of each cluster spanning at least a day."""
    rates: list[float] = []
    for snaps in history.values():
        points = [(parse_time(s.collected_at), s.etcd.db_size_bytes) for s in snaps if s.etcd.db_size_bytes is not None]
        if len(points) < 2:
            continue
        (t0, v0), (t1, v1) = points[0], points[-1]
        days = (t1 - t0).total_seconds() / 86400
        if days >= 1 and v0 is not None and v1 is not None:
            rates.append((v1 - v0) / days * 30)
    return max(rates) if rates else None


def snapshot_facts(snapshots: Sequence[Snapshot]) -> dict[str, Any]:
    """Every documented non-findings fact over ``snapshots`` (latest per cluster); None where not measured."""
    snaps, history = latest_per_cluster(snapshots)
    minors = sorted({m for m in (_minor(s.cluster.version) for s in snaps) if m is not None})
    clouds = [s.cloud for s in snaps if s.cloud is not None]
    facts: dict[str, Any] = {
        "clusters.count": len(snaps),
        "clusters.names": [s.cluster.name for s in snaps],
        "clusters.platforms": sorted({s.cluster.platform for s in snaps}),
        "clusters.providers": _union([s.cluster.provider] if s.cluster.provider else None for s in snaps),
        "versions.oldest": f"{minors[0][0]}.{minors[0][1]}" if minors else None,
        "versions.newest": f"{minors[-1][0]}.{minors[-1][1]}" if minors else None,
        "versions.oldest_minor": minors[0][1] if minors else None,
        "versions.minors": [f"{a}.{b}" for a, b in minors] if minors else None,
        "nodes.count": _max(s.nodes.count for s in snaps),
        "nodes.total": _sum(s.nodes.count for s in snaps),
        "nodes.pods_per_node.max": _max(s.nodes.pods_per_node.max for s in snaps),
        "nodes.allocatable_pods.max": _max(s.nodes.allocatable_pods.max for s in snaps),
        "nodes.zones": _max(len(s.nodes.by_zone) if s.nodes.by_zone else None for s in snaps),
        "nodes.gpu": _sum(s.nodes.gpu_count for s in snaps),
        "nodes.windows": _sum(
            sum(n for os_name, n in s.nodes.by_os.items() if os_name.lower() == "windows") if s.nodes.by_os else None
            for s in snaps
        ),
        "pods.count": _max(s.objects.get("pods") for s in snaps),
        "pods.total": _sum(s.objects.get("pods") for s in snaps),
        "namespaces.count": _max(
            s.namespaces if s.namespaces is not None else s.objects.get("namespaces") for s in snaps
        ),
        "crds.count": _max(
            s.crds if s.crds is not None else s.objects.get("customresourcedefinitions.apiextensions.k8s.io")
            for s in snaps
        ),
        "services.count": _max(
            s.services.count if s.services.count is not None else s.objects.get("services") for s in snaps
        ),
        "services.load_balancers": _sum(
            s.services.by_type.get("LoadBalancer") if s.services.by_type else None for s in snaps
        ),
        "services.max_endpoints_per_service": _max(s.services.max_endpoints_per_service for s in snaps),
        "services.endpoints_total": _max(s.services.endpoints_total for s in snaps),
        "network_policies.count": _max(
            s.network_policies.count
            if s.network_policies.count is not None
            else s.objects.get("networkpolicies.networking.k8s.io")
            for s in snaps
        ),
        "network_policies.total": _sum(
            s.network_policies.count
            if s.network_policies.count is not None
            else s.objects.get("networkpolicies.networking.k8s.io")
            for s in snaps
        ),
        "network_policies.max_per_namespace": _max(s.network_policies.max_per_namespace for s in snaps),
        "network_policies.rules": _max(
            _sum([s.network_policies.ingress_rules, s.network_policies.egress_rules]) for s in snaps
        ),
        "network_policies.ip_blocks": _max(s.network_policies.ip_blocks for s in snaps),
        "network_policies.max_ports_per_rule": _max(s.network_policies.max_ports_per_rule for s in snaps),
        "dataplane.eks_entries_per_peer": _max(_dp(s, "eks", "entries_per_peer", "max") for s in snaps),
        "dataplane.eks_pods_over_limit": _max(_dp(s, "eks", "pods_over_entry_limit") for s in snaps),
        "dataplane.cilium_policy_map_entries": _max(_dp(s, "cilium", "policy_map_entries", "max") for s in snaps),
        "dataplane.identities": _max(_dp(s, "cilium", "identities") for s in snaps),
        "dataplane.identities_measured": _max(_measured_identities(s) for s in snaps),
        "dataplane.policies_per_pod": _max(_dp(s, "policies_per_pod", "max") for s in snaps),
        "network_policies.cni_policies": _max(
            sum(s.network_policies.cni_policies.values()) if s.network_policies.cni_policies else None for s in snaps
        ),
        "network_policies.cni_policy_kinds": _union(
            [k for k, n in s.network_policies.cni_policies.items() if n > 0]
            if s.network_policies.cni_policies
            else None
            for s in snaps
        ),
        "webhooks.count": _max(s.webhooks.count for s in snaps),
        "webhooks.fail_closed": _max(s.webhooks.fail_closed for s in snaps),
        "webhooks.max_timeout_seconds": _max(s.webhooks.max_timeout_seconds for s in snaps),
        "etcd.db_size_bytes": _max(s.etcd.db_size_bytes for s in snaps),
        "etcd.db_size_in_use_bytes": _max(s.etcd.db_size_in_use_bytes for s in snaps),
        "etcd.quota_backend_bytes": _max(s.etcd.quota_backend_bytes for s in snaps),
        "etcd.total_keys": _max(s.etcd.total_keys for s in snaps),
        "etcd.members": _max(len(s.etcd.members) if s.etcd.members else None for s in snaps),
        "etcd.growth_bytes_per_month": _etcd_growth(history),
        "networking.cni": _union([s.networking.cni] if s.networking.cni else None for s in snaps),
        "networking.kube_proxy_mode": _union(
            [s.networking.kube_proxy_mode] if s.networking.kube_proxy_mode else None for s in snaps
        ),
        "networking.ip_family": _union([s.networking.ip_family] if s.networking.ip_family else None for s in snaps),
        "networking.pod_cidrs": _union(s.networking.pod_cidrs or None for s in snaps),
        "networking.service_cidrs": _union(s.networking.service_cidrs or None for s in snaps),
        "networking.pod_ip_capacity": _min(s.networking.pod_ip_capacity for s in snaps),
        "networking.pod_ips_in_use": _max(s.networking.pod_ips_in_use for s in snaps),
        "networking.pod_ip_utilisation": _max(
            s.networking.pod_ips_in_use / s.networking.pod_ip_capacity
            if s.networking.pod_ips_in_use is not None and s.networking.pod_ip_capacity
            else None
            for s in snaps
        ),
        "control_plane.custom_flags": _union(_custom_apiserver(s.control_plane.apiserver_flags) for s in snaps),
        "control_plane.custom_flag_count": _max(
            len(c) if (c := _custom_apiserver(s.control_plane.apiserver_flags)) is not None else None for s in snaps
        ),
        "control_plane.etcd_custom_flags": _union(_custom_etcd(s.control_plane.etcd_flags) for s in snaps),
        "control_plane.admission_plugins": _union(_admission(s) for s in snaps),
        "control_plane.admission_plugin_count": _max(
            len(a) if (a := _admission(s)) is not None else None for s in snaps
        ),
        "control_plane.feature_gates": _union(_feature_gates(s) for s in snaps),
        "control_plane.feature_gate_count": _max(
            len(g) if (g := _feature_gates(s)) is not None else None for s in snaps
        ),
        "control_plane.audit_policy": _any_true(_has_flag(s, "audit-policy-file") for s in snaps),
        "control_plane.encryption_at_rest": _any_true(_has_flag(s, "encryption-provider-config") for s in snaps),
        "control_plane.oidc": _any_true(_has_flag(s, "oidc-issuer-url") for s in snaps),
        "control_plane.apiserver_count": _max(s.control_plane.apiserver_count for s in snaps),
        "cloud.providers": sorted({c.provider for c in clouds}) if clouds else None,
        "cloud.modes": _union([c.mode] if c.mode else [] for c in clouds) if clouds else None,
        "cloud.support_types": _union([c.support_type] if c.support_type else [] for c in clouds) if clouds else None,
        "cloud.release_channels": _union([c.release_channel] if c.release_channel else [] for c in clouds)
        if clouds
        else None,
        "cloud.endpoint_public": _any_true(c.endpoint_public for c in clouds),
        "cloud.logging": _union(c.logging for c in clouds) if clouds else None,
        "cloud.node_groups": _max(len(c.node_groups) for c in clouds) if clouds else None,
        "gaps.count": sum(len(s.gaps) for s in snaps),
        "gaps.missing": sorted({g.item for s in snaps for g in s.gaps}),
    }
    return facts


def _worst(findings: Sequence[Finding]) -> str:
    """Worst scored status of ``findings``; ``unknown`` only when none could be scored."""
    known = [f.status for f in findings if f.status in STATUSES]
    if not known:
        return UNKNOWN
    return max(known, key=STATUSES.index)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def finding_facts(evaluation: Evaluation | None, vendor: str, constraint_ids: Iterable[str]) -> dict[str, Any]:
    """``findings.<id>.*`` facts for the vendor's targets and the ``fit.*`` counts.

    Every id in ``constraint_ids`` (the ids a bank refers to) gets keys even when there is no evaluation, so
    placeholders always resolve; their values are then None (not measured).
    """
    targets = VENDOR_TARGETS[vendor]
    by_constraint: dict[str, list[Finding]] = {}
    relevant: list[Finding] = []
    if evaluation is not None:
        for finding in evaluation.findings:
            if finding.target in targets:
                by_constraint.setdefault(finding.constraint, []).append(finding)
                relevant.append(finding)
    facts: dict[str, Any] = {}
    for cid in dict.fromkeys([*constraint_ids, *by_constraint]):
        group = by_constraint.get(cid, [])
        if not group:
            facts.update({f"findings.{cid}.{name}": None for name in FINDING_FIELDS})
            continue
        worst = max(group, key=lambda f: status_rank(f.status) if f.status in STATUSES else -1)
        facts[f"findings.{cid}.status"] = _worst(group)
        facts[f"findings.{cid}.observed"] = _max(_numeric(f.observed) for f in group)
        facts[f"findings.{cid}.limit"] = _numeric(worst.limit)
        facts[f"findings.{cid}.utilisation"] = _max(f.utilisation for f in group)
    if evaluation is None:
        facts.update({"fit.blockers": None, "fit.at_risk": None, "fit.unknown": None})
    else:
        facts["fit.blockers"] = sum(1 for f in relevant if f.status == "blocker")
        facts["fit.at_risk"] = sum(1 for f in relevant if f.status == "at-risk")
        facts["fit.unknown"] = sum(1 for f in relevant if f.status == UNKNOWN)
    return facts


def build_facts(
    snapshots: Sequence[Snapshot],
    evaluation: Evaluation | None,
    vendor: str,
    constraint_ids: Iterable[str] = (),
    jurisdictions: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The full flat fact dictionary for one vendor: snapshot facts, findings facts, and the ``regulation.*``
    facts of the chosen ``jurisdictions`` (default UK and EU)."""
    from .jurisdictions import check_jurisdictions, regulation_facts

    if vendor not in VENDOR_TARGETS:
        raise InputError(f"unknown vendor {vendor!r}: expected one of {', '.join(VENDORS)}")
    facts = snapshot_facts(snapshots)
    facts.update(finding_facts(evaluation, vendor, constraint_ids))
    facts.update(regulation_facts(check_jurisdictions(jurisdictions)))
    return facts


def sample_facts(constraint_ids: Iterable[str] = ()) -> dict[str, Any]:
    """Every documented fact with its sample value, plus findings keys for ``constraint_ids``."""
    facts = {key: spec.sample for key, spec in FACTS.items()}
    for cid in constraint_ids:
        facts.update(
            {
                f"findings.{cid}.status": "at-risk",
                f"findings.{cid}.observed": 5.0,
                f"findings.{cid}.limit": 8.0,
                f"findings.{cid}.utilisation": 0.63,
            }
        )
    return facts


def nest(facts: dict[str, Any]) -> dict[str, Any]:
    """Turn flat dotted keys into nested dicts for templates: ``facts.etcd.db_size_bytes``."""
    tree: dict[str, Any] = {}
    for key, value in facts.items():
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"fact {key!r} nests under a value")
            node = child
        node[parts[-1]] = value
    return tree


def _dp(snap: Snapshot, *path: str) -> Any:
    """A figure from a snapshot's network_policies.dataplane section, None when absent."""
    data: Any = snap.network_policies.dataplane
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _measured_identities(snap: Snapshot) -> Any:
    """CiliumIdentity objects: listed beside the dataplane estimate, else the snapshot's object count."""
    listed = _dp(snap, "cilium", "identities_measured", "count")
    return listed if listed is not None else snap.objects.get("ciliumidentities.cilium.io")
