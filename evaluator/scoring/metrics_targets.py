"""Metrics that project the cluster onto a target (Autopilot's node count), and metrics of later catalog entries.

Registered into :data:`evaluator.scoring.metrics.METRICS` on import (``metrics`` imports this module last).
"""

from __future__ import annotations

import math

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
