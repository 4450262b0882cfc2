"""Ground truth about a synthetic cluster, computed from the model (not from served JSON), for comparing
what a collector measured with what the simulator served.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .metrics import metric_names
from .served import Cluster


def stats(values: list[int]) -> dict[str, float | int]:
    """min/max/mean/p50/p95/sum/count; percentiles by nearest rank (sorted[ceil(q*n)-1])."""
    if not values:
        return {"count": 0, "sum": 0, "min": 0, "max": 0, "mean": 0.0, "p50": 0, "p95": 0}
    ordered = sorted(values)
    n = len(ordered)

    def rank(q: float) -> int:
        return ordered[max(0, math.ceil(q * n) - 1)]

    return {
        "count": n,
        "sum": sum(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "mean": round(sum(ordered) / n, 3),
        "p50": rank(0.50),
        "p95": rank(0.95),
    }


def compute_truth(cluster: Cluster) -> dict[str, Any]:
    """Everything a test may compare a snapshot with: counts, nodes, pods, network policies, services, webhooks,
    etcd size and the metric names and apiserver flags the simulator serves (the keys are those returned below)."""
    spec = cluster.spec
    b = cluster.builders
    nodes = cluster.nodes
    pods_per_node = [cluster.pods_on_node(i) for i in range(len(nodes))]
    phases: Counter[str] = Counter()
    for ns, count in enumerate(cluster.collections["pods"].counts):
        for j in range(count):
            phases[b.pod_phase(ns, j)] += 1

    np_totals: Counter[str] = Counter()
    np_per_ns = cluster.netpol_counts
    for ns, count in enumerate(np_per_ns):
        for j in range(count):
            shape = b.netpol_shape(ns, j)
            for direction in ("ingress", "egress"):
                for peers, ports in shape[direction]:
                    np_totals[f"{direction}_rules"] += 1
                    np_totals["peers"] += len(peers)
                    np_totals["ports"] += ports
                    for peer in peers:
                        np_totals[f"peers_{peer}"] += 1
            if not shape["ingress"] and not shape["egress"]:
                np_totals["default_deny"] += 1

    services = cluster.collections["services"]
    by_type: Counter[str] = Counter()
    endpoints: list[int] = []
    for ns, count in enumerate(services.counts):
        for j in range(count):
            by_type[b.service_type(ns, j)] += 1
            endpoints.append(b.endpoint_count(ns, j))

    webhooks: dict[str, Any] = {}
    for kind_word in ("validating", "mutating"):
        configs = [b.webhook_config(kind_word, j) for j in range(len(cluster.webhooks[kind_word]))]
        hooks = [h for c in configs for h in c["webhooks"]]
        webhooks[kind_word] = {
            "configurations": len(configs),
            "webhooks": len(hooks),
            "fail_closed": sum(1 for h in hooks if h["failurePolicy"] == "Fail"),
            "max_timeout_seconds": max((h["timeoutSeconds"] for h in hooks), default=0),
        }

    allocatable = [n.max_pods for n in nodes]
    names = metric_names(cluster.minor)
    return {
        "name": spec.name,
        "version": spec.version,
        "git_version": cluster.git_version,
        "platform": spec.platform,
        "cni": spec.cni,
        "kube_proxy_mode": spec.kube_proxy_mode,
        "counts": cluster.counts(),
        "nodes": {
            "count": len(nodes),
            "control_plane": sum(1 for n in nodes if n.control_plane),
            "workers": sum(1 for n in nodes if not n.control_plane),
            "by_pool": dict(sorted(Counter(n.pool.name for n in nodes if n.pool).items())),
            "by_zone": dict(sorted(Counter(n.zone for n in nodes).items())),
            "by_instance_type": dict(sorted(Counter(n.instance_type for n in nodes).items())),
            "by_kubelet_version": dict(sorted(Counter(n.kubelet_version for n in nodes).items())),
            "by_os": dict(sorted(Counter((n.pool.os if n.pool else "linux") for n in nodes).items())),
            "by_arch": dict(sorted(Counter((n.pool.arch if n.pool else "amd64") for n in nodes).items())),
            "pool_label": cluster.pool_label,
            "allocatable_pods": stats(allocatable),
            "pods_per_node": stats(pods_per_node),
            "busiest_node": nodes[max(range(len(nodes)), key=lambda i: (pods_per_node[i], -i))].name,
        },
        "pods": {
            "count": sum(phases.values()),
            "by_phase": dict(sorted(phases.items())),
            "system": len(cluster.system_pods),
            "per_namespace": stats(cluster.collections["pods"].counts),
        },
        "network_policies": {
            "count": sum(np_per_ns),
            "namespaces_with_policies": sum(1 for c in np_per_ns if c),
            "max_per_namespace": max(np_per_ns, default=0),
            "ingress_rules": np_totals["ingress_rules"],
            "egress_rules": np_totals["egress_rules"],
            "rules": np_totals["ingress_rules"] + np_totals["egress_rules"],
            "peers": np_totals["peers"],
            "ports": np_totals["ports"],
            "pod_selector_peers": np_totals["peers_podSelector"],
            "namespace_selector_peers": np_totals["peers_namespaceSelector"],
            "ip_block_peers": np_totals["peers_ipBlock"],
            "default_deny": np_totals["default_deny"],
        },
        "cni_policies": {
            "calico_networkpolicies": spec.calico_policies,
            "calico_globalnetworkpolicies": spec.calico_global_policies,
            "cilium_networkpolicies": spec.cilium_policies,
            "cilium_clusterwide_networkpolicies": spec.cilium_clusterwide_policies,
        },
        "services": {
            "count": sum(by_type.values()),
            "by_type": dict(sorted(by_type.items())),
            "endpoints": stats(endpoints),
        },
        "namespaces": len(cluster.namespaces),
        "crds": len(cluster.crd_names),
        "webhooks": webhooks,
        "etcd": {
            "db_size_bytes": spec.etcd_db_size_bytes,
            "db_size_in_use_bytes": spec.etcd_db_size_in_use_bytes,
            "size_metric": names["db_size"],
            "events_db_size_bytes": spec.events_etcd_db_size_bytes,
            "quota_backend_bytes": _quota(spec.etcd_flags) if spec.platform == "self-hosted" else None,
        },
        "metrics": names,
        "apiserver_flags": {
            c.split("=", 1)[0].lstrip("-"): (c.split("=", 1) + [""])[1] for c in _apiserver_command(cluster)[1:]
        },
    }


def _quota(flags: dict[str, str]) -> int:
    """The quota etcd enforces: the flag, else etcd's 2 GiB default (https://etcd.io/docs/latest/dev-guide/limit/)."""
    value = flags.get("quota-backend-bytes")
    return int(value) if value and value.isdigit() and int(value) > 0 else 2 * 1024**3


def _apiserver_command(cluster: Cluster) -> list[str]:
    control = [i for i, n in enumerate(cluster.nodes) if n.control_plane]
    if not control:
        return ["kube-apiserver"]
    return cluster.builders.static_pod_command("kube-apiserver", control[0])
