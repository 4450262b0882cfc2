"""Metrics that project the cluster onto a target (Autopilot's node count), and metrics of later catalog entries.

Registered into :data:`evaluator.scoring.metrics.METRICS` on import (``metrics`` imports this module last).
"""

from __future__ import annotations

import math
from typing import Any

from ..inventory import Snapshot
from .metrics import MetricValue, _apiserver_flags, _flags, _object_count, _unknown_flags, known, metric, unknown

# GKE Autopilot: "Autopilot clusters have a maximum of 32 Pods per node", and a node with 17-32 pods gets a /26
# (64 addresses) of the pod range (https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr).
AUTOPILOT_PODS_PER_NODE = 32
AUTOPILOT_ADDRESSES_PER_NODE = 64


def projected_autopilot_nodes(pods: float) -> int:
    """The fewest nodes Autopilot needs for ``pods`` at 32 pods per node."""
    return math.ceil(pods / AUTOPILOT_PODS_PER_NODE) if pods > 0 else 0


@metric("autopilot.projected_nodes", "nodes GKE Autopilot would run for today's pods at 32 pods per node (at least)")
def _autopilot_nodes(snap: Snapshot) -> MetricValue:
    pods = _object_count(snap, "pods")
    if pods is None:
        return unknown(snap, "objects.pods", "pods", missing="pods not counted, so Autopilot's node count is unknown")
    nodes = projected_autopilot_nodes(pods)
    return MetricValue(float(nodes), detail=f"at least {pods:,} pods / 32 per node; {snap.nodes.count or 0:,} today")


@metric(
    "autopilot.projected_node_range_utilisation",
    "addresses Autopilot's projected nodes take (a /26 each) as a fraction of a pod range the size of today's",
)
def _autopilot_range(snap: Snapshot) -> MetricValue:
    pods = _object_count(snap, "pods")
    capacity = snap.networking.pod_ip_capacity
    if pods is None:
        return unknown(snap, "objects.pods", "pods", missing="pods not counted")
    if not capacity:
        return unknown(snap, "networking", "pod_cidrs", missing="pod range size not measured")
    needed = projected_autopilot_nodes(pods) * AUTOPILOT_ADDRESSES_PER_NODE
    return MetricValue(
        needed / capacity,
        detail=f"{needed:,} addresses for {projected_autopilot_nodes(pods):,} nodes of a {capacity:,}-address range",
    )


@metric("nodes.max_per_zone", "nodes in the zone with the most nodes (count)")
def _nodes_per_zone(snap: Snapshot) -> MetricValue:
    if not snap.nodes.by_zone:
        if snap.nodes.count == 0:
            return MetricValue(0.0, detail="no nodes")
        return unknown(snap, "nodes.by_zone", "nodes", missing="nodes per zone not measured (no zone labels)")
    zone, count = max(snap.nodes.by_zone.items(), key=lambda kv: (kv[1], kv[0]))
    return MetricValue(float(count), detail=f"busiest zone: {zone}")


@metric("services.count_iptables", "Services while kube-proxy runs in iptables mode (count; 0 in another mode)")
def _services_iptables(snap: Snapshot) -> MetricValue:
    mode = snap.networking.kube_proxy_mode
    if mode is None:
        return unknown(snap, "networking.kube_proxy_mode", "kube-proxy", missing="kube-proxy mode not measured")
    if mode.lower() != "iptables":
        return MetricValue(0.0, detail=f"kube-proxy mode: {mode}")
    return known(snap, snap.services.count, "services")


@metric("objects.max_custom_resources_per_kind", "custom resources of the largest custom kind (count)")
def _custom_per_kind(snap: Snapshot) -> MetricValue:
    from .metrics import _BUILTIN_GROUPS

    if not snap.objects:
        return unknown(snap, "objects", missing="object counts not measured")
    custom = {
        name: count
        for name, count in snap.objects.items()
        if (group := name.partition(".")[2]) and group not in _BUILTIN_GROUPS
    }
    if not custom:
        return MetricValue(0.0, detail="no custom resources counted")
    name, count = max(custom.items(), key=lambda kv: (kv[1], kv[0]))
    return MetricValue(float(count), detail=f"largest: {name}")


@metric("apiserver.nodeport_range_start", "lowest port of kube-apiserver --service-node-port-range (default 30000)")
def _nodeport_start(snap: Snapshot) -> MetricValue:
    flags = _apiserver_flags(snap)
    if flags is None:
        return _unknown_flags(snap)
    text = flags.get("service-node-port-range")
    if text is None:
        return MetricValue(30000.0, detail="default 30000-32767")
    low = text.replace("+", "-").split("-")[0].strip()
    if not low.isdigit():
        return MetricValue(None, f"--service-node-port-range {text!r} does not parse")
    return MetricValue(float(low), detail=f"range {text}")


@metric(
    "controller_manager.hpa_sync_seconds",
    "kube-controller-manager --horizontal-pod-autoscaler-sync-period (seconds; default 15)",
)
def _hpa_sync(snap: Snapshot) -> MetricValue:
    from .metrics import _duration_minutes

    flags = _flags(snap.control_plane.controller_manager_flags)
    if not flags:
        return unknown(
            snap,
            "controlplane",
            "control_plane",
            missing="kube-controller-manager flags not read (managed control plane, or no access to its static Pod)",
        )
    text = flags.get("horizontal-pod-autoscaler-sync-period")
    if text is None:
        return MetricValue(15.0, detail="default 15s")
    minutes = _duration_minutes(text)
    if minutes is None:
        return MetricValue(None, f"--horizontal-pod-autoscaler-sync-period {text!r} does not parse")
    return MetricValue(round(minutes * 60, 3), detail=f"set to {text}")


# ---------------------------------------------------------------- deprecated and removed APIs


def removal_table() -> dict[tuple[str, str, str], dict[str, str]]:
    """(group, version, resource) -> {removed_in, replacement} from catalog/removed_apis.yaml."""
    from ..catalog.loader import load_data_yaml

    table = {}
    for row in load_data_yaml("removed_apis.yaml")["removals"]:
        for resource in row["resources"]:
            table[(row["group"], row["version"], resource)] = {
                "removed_in": str(row["removed_in"]),
                "replacement": str(row["replacement"]),
            }
    return table


# The calendar a target's version path follows: the end date after which the target no longer runs a minor.
_PATH_FIELDS = {"self-hosted": "upstream_end", "eks": "eks_extended_end", "gke": "gke_standard_end"}
_PATH_WORDS = {
    "self-hosted": "upstream patch support for {prev} ends",
    "eks": "EKS forces that upgrade (end of extended support for {prev}) by",
    "gke": "GKE upgrades {prev} clusters automatically from",
}


def landing_minor(snap: Snapshot, target: str) -> tuple[tuple[int, int] | None, str]:
    """The oldest minor ``target`` still runs at the snapshot's time, or None with the reason it is unknown."""
    from .metrics import parse_minor, parse_time, version_table

    field = _PATH_FIELDS[target]
    at = parse_time(snap.collected_at).date()
    rows = version_table()
    running = [m for m, row in rows.items() if getattr(row, field) is not None and getattr(row, field) > at]
    current = parse_minor(snap.cluster.version or snap.cluster.git_version)
    label = {"self-hosted": "upstream", "eks": "EKS", "gke": "GKE"}[target]
    if not running:
        return None, f"{label} per-minor end-of-support dates are not in the catalog's version table"
    oldest = min(running)
    # An older minor whose date is unknown may still run, unless a newer minor has already left support
    # (minors leave support in order).
    ended = [m for m, row in rows.items() if getattr(row, field) is not None and getattr(row, field) <= at]
    unknown_older = [
        m for m, row in rows.items() if m < oldest and getattr(row, field) is None and not any(n > m for n in ended)
    ]
    if unknown_older and (current is None or current <= max(unknown_older)):
        missing = ", ".join(f"{a}.{b}" for a, b in unknown_older)
        return None, f"{label} end-of-support dates for {missing} are not in the catalog's version table"
    if current is not None and current > oldest:
        return current, ""
    return oldest, ""


def _removed_metric(snap: Snapshot, target: str) -> MetricValue:
    from .metrics import parse_minor, version_table

    if snap.deprecated_apis is None:
        return unknown(snap, "deprecated_apis", "metrics", missing="deprecated API requests not measured")
    land, why = landing_minor(snap, target)
    if land is None:
        return MetricValue(None, why)
    table = removal_table()
    rows = version_table()
    gone, later = [], []
    for use in snap.deprecated_apis:
        known_row = table.get((use.group, use.version, use.resource), {})
        removed = parse_minor(use.removed_release or known_row.get("removed_in"))
        if removed is None:
            continue  # deprecated with no removal planned (componentstatuses v1)
        gv = f"{use.group}/{use.version}" if use.group else use.version
        name = f"{gv} {use.resource}" + (f"/{use.subresource}" if use.subresource else "")
        count = f" requested {use.requests:,} times" if use.requests is not None else " requested"
        prev = rows.get((removed[0], removed[1] - 1))
        end = getattr(prev, _PATH_FIELDS[target]) if prev is not None else None
        words = _PATH_WORDS[target].format(prev=f"{removed[0]}.{removed[1] - 1}")
        when = f"; {words} {end.isoformat()}" if end else ""
        text = f"{name}{count}: removed in {removed[0]}.{removed[1]}{when}"
        if known_row.get("replacement"):
            text += f" (use {known_row['replacement']})"
        (gone if removed <= land else later).append(text)
    detail = "; ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
    if later:
        detail += ("; " if detail else "") + "removed later: " + "; ".join(later[:2])
    if not gone and not later:
        detail = "no deprecated API requested since the apiserver started"
    return MetricValue(float(len(gone)), detail=f"{detail} (oldest minor the target runs: {land[0]}.{land[1]})")


@metric("apis.removed_on_path.self-hosted", "deprecated APIs in use that the oldest supported upstream minor lacks")
def _removed_self(snap: Snapshot) -> MetricValue:
    return _removed_metric(snap, "self-hosted")


@metric("apis.removed_on_path.eks", "deprecated APIs in use that the oldest minor EKS still runs lacks")
def _removed_eks(snap: Snapshot) -> MetricValue:
    return _removed_metric(snap, "eks")


@metric("apis.removed_on_path.gke", "deprecated APIs in use that the oldest minor GKE still runs lacks")
def _removed_gke(snap: Snapshot) -> MetricValue:
    return _removed_metric(snap, "gke")


@metric("networking.nftables_before_136", "1 when kube-proxy runs in nftables mode on a control plane older than 1.36")
def _nftables_early(snap: Snapshot) -> MetricValue:
    from .metrics import parse_minor

    mode = snap.networking.kube_proxy_mode
    if mode is None:
        return unknown(snap, "networking.kube_proxy_mode", "kube-proxy", missing="kube-proxy mode not measured")
    if mode.lower() != "nftables":
        return MetricValue(0.0, detail=f"kube-proxy mode: {mode}")
    minor = parse_minor(snap.cluster.version or snap.cluster.git_version)
    if minor is None:
        return unknown(snap, "cluster.version", missing="control-plane version not measured")
    return MetricValue(1.0 if minor < (1, 36) else 0.0, detail=f"nftables on {minor[0]}.{minor[1]}")


# GKE supports Cilium cluster-wide network policies (CCNP, L3/L4) on Dataplane V2
# (https://cloud.google.com/kubernetes-engine/docs/how-to/configure-cilium-network-policy); other CNI policy
# kinds (namespaced CiliumNetworkPolicy, Calico (Global)NetworkPolicy) have no GKE equivalent.
GKE_SUPPORTED_CNI_POLICIES = frozenset({"ciliumclusterwidenetworkpolicies.cilium.io"})


@metric(
    "network_policies.cni_policies_without_gke_equivalent",
    "CNI-specific policy objects of kinds GKE Dataplane V2 does not accept (count; CCNP excluded)",
)
def _cni_policies_gke(snap: Snapshot) -> MetricValue:
    from .metrics import METRICS as _ALL

    base = _ALL["network_policies.cni_policies"](snap)
    if base.value is None:
        return base
    policies = dict(snap.network_policies.cni_policies) or {
        k: v for k, v in snap.objects.items() if k.endswith((".cilium.io", ".crd.projectcalico.org")) and "polic" in k
    }
    kept = {k: v for k, v in policies.items() if k in GKE_SUPPORTED_CNI_POLICIES}
    other = {k: v for k, v in policies.items() if k not in GKE_SUPPORTED_CNI_POLICIES}
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(other.items())) or "none without a GKE equivalent"
    if kept:
        detail += "; carried over as CCNP: " + ", ".join(f"{k}: {v}" for k, v in sorted(kept.items()))
    return MetricValue(float(sum(other.values())), detail=detail)


# ---------------------------------------------------------------- EKS plan inputs (measured on EKS sources)

PLAN_INPUT_REASON = "a plan input: decided when the EKS cluster is built (this source is not an EKS cluster)"


def _eks_source(snap: Snapshot) -> MetricValue | None:
    """None when ``snap`` carries EKS API facts; else the unknown value to return."""
    if snap.cloud is not None and snap.cloud.provider == "aws":
        return None
    return MetricValue(None, PLAN_INPUT_REASON)


def _fargate(snap: Snapshot) -> list[Any] | MetricValue:
    missing = _eks_source(snap)
    if missing is not None:
        return missing
    assert snap.cloud is not None
    gap = snap.gap_for("cloud.node_groups.fargate")
    if gap is not None:
        return MetricValue(None, f"{gap.source}: {gap.reason}")
    return [g for g in snap.cloud.node_groups if g.kind == "fargate"]


@metric("eks.fargate_profiles", "Fargate profiles on the EKS cluster (count; EKS sources only)")
def _fargate_profiles(snap: Snapshot) -> MetricValue:
    found = _fargate(snap)
    if isinstance(found, MetricValue):
        return found
    return MetricValue(float(len(found)), detail=", ".join(g.name for g in found) or "no Fargate profiles")


def _selectors(group: Any) -> list[dict[str, Any]]:
    return list((group.extra or {}).get("selectors") or [])


@metric("eks.fargate_max_selectors", "selectors of the Fargate profile with the most (count; EKS sources only)")
def _fargate_selectors(snap: Snapshot) -> MetricValue:
    found = _fargate(snap)
    if isinstance(found, MetricValue):
        return found
    if not found:
        return MetricValue(0.0, detail="no Fargate profiles")
    top = max(found, key=lambda g: len(_selectors(g)))
    return MetricValue(float(len(_selectors(top))), detail=f"largest: {top.name}")


@metric("eks.fargate_max_selector_labels", "label pairs of the Fargate selector with the most (count; EKS only)")
def _fargate_labels(snap: Snapshot) -> MetricValue:
    found = _fargate(snap)
    if isinstance(found, MetricValue):
        return found
    sizes = [(len(s.get("labels") or {}), g.name) for g in found for s in _selectors(g)]
    if not sizes:
        return MetricValue(0.0, detail="no Fargate selectors")
    count, name = max(sizes)
    return MetricValue(float(count), detail=f"in profile {name}")


@metric("eks.public_access_cidrs", "CIDR ranges allowed to reach the public EKS endpoint (count; EKS sources only)")
def _public_cidrs(snap: Snapshot) -> MetricValue:
    missing = _eks_source(snap)
    if missing is not None:
        return missing
    assert snap.cloud is not None
    cidrs = snap.cloud.public_access_cidrs
    if snap.cloud.endpoint_public is None and not cidrs:
        return unknown(snap, "cloud.endpoint", missing="endpoint access not measured")
    return MetricValue(float(len(cidrs)), detail=", ".join(cidrs[:3]) + (" ..." if len(cidrs) > 3 else ""))


# ---------------------------------------------------------------- more etcd, Services and nodes


@metric("etcd.quota_bytes", "the etcd --quota-backend-bytes the cluster runs with (bytes; etcd's default 2 GiB)")
def _etcd_quota_bytes(snap: Snapshot) -> MetricValue:
    from .metrics import _etcd_quota

    quota, basis = _etcd_quota(snap)
    if quota is None:
        return unknown(snap, "etcd.quota_backend_bytes", "controlplane.etcd", missing="etcd quota not measured")
    return MetricValue(quota, detail=basis)


@metric("etcd.nospace_alarm", "1 when an etcd member reports an active NOSPACE alarm, else 0")
def _etcd_nospace(snap: Snapshot) -> MetricValue:
    members = snap.etcd.members
    if not members or all(m.version is None and not m.errors for m in members):
        return unknown(snap, "etcd", missing="etcd member status not read (direct etcd access needed)")
    alarmed = [m.name for m in members if any("NOSPACE" in e.upper() for e in m.errors)]
    return MetricValue(1.0 if alarmed else 0.0, detail=f"alarm on {', '.join(alarmed)}" if alarmed else "no alarm")


@metric("services.clusterip_count", "Services that take a ClusterIP (count; ExternalName excluded)")
def _clusterip_services(snap: Snapshot) -> MetricValue:
    count = snap.services.count
    if count is None:
        return unknown(snap, "services", missing="Services not counted")
    external = snap.services.by_type.get("ExternalName", 0)
    return MetricValue(float(count - external), detail="headless Services cannot be told apart and are included")


@metric("services.count_cilium", "Services while the CNI is Cilium (count; 0 with another CNI)")
def _services_cilium(snap: Snapshot) -> MetricValue:
    cni = snap.networking.cni
    if cni is None:
        return unknown(snap, "networking.cni", "cni", missing="CNI not identified")
    if "cilium" not in cni.lower():
        return MetricValue(0.0, detail=f"CNI: {cni}")
    return known(snap, snap.services.count, "services")


@metric(
    "networking.nftables_with_old_vpc_cni", "1 when kube-proxy runs nftables with an Amazon VPC CNI older than v1.23.0"
)
def _nftables_vpc_cni(snap: Snapshot) -> MetricValue:
    from .metrics import parse_minor

    mode, cni = snap.networking.kube_proxy_mode, snap.networking.cni
    if mode is None or cni is None:
        return unknown(snap, "networking", missing="kube-proxy mode or CNI not measured")
    if mode.lower() != "nftables" or cni != "aws-vpc-cni":
        return MetricValue(0.0, detail=f"kube-proxy {mode}, CNI {cni}")
    version = parse_minor(snap.networking.cni_version)
    if version is None:
        return unknown(snap, "networking.cni_version", missing="VPC CNI version not measured")
    return MetricValue(1.0 if version < (1, 23) else 0.0, detail=f"VPC CNI {snap.networking.cni_version}")
