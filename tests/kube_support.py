"""Helpers for the kube collector tests: ground truth the simulator's own truth table does not carry."""

from __future__ import annotations

from evaluator.simulator import Simulator

TERMINAL_PHASES = ("Succeeded", "Failed")


def live_pods_per_node(sim: Simulator) -> list[int]:
    """Non-terminal (Running/Pending) pods bound to each node, zeros included, read from the simulator's model.

    The simulator's ``truth`` counts pods of every phase per node; the collector counts pods that still
    occupy a node, so the tests need this narrower figure.
    """
    cluster = sim.cluster
    builders = cluster.builders
    per_node = [0] * len(cluster.nodes)
    pods = cluster.collections["pods"]
    for ns, count in enumerate(pods.counts):
        for j in range(count):
            if builders.pod_phase(ns, j) in TERMINAL_PHASES:
                continue
            if ns == cluster.kube_system:
                node = cluster.system_pods[j].node
            else:
                node = cluster.app_pod_node(builders.app_index(ns, j))
            per_node[node] += 1
    return per_node


def nearest_rank_p95(values: list[int]) -> int:
    """The 95th percentile by nearest rank, as the collector computes it."""
    ordered = sorted(values)
    rank = max(1, -(-95 * len(ordered) // 100))
    return ordered[rank - 1]


def served_endpoints_total(sim: Simulator) -> int:
    """Endpoints in every EndpointSlice the simulator serves, built with the simulator's own builder.

    The simulator's ``truth`` sums its per-Service endpoint counts, which for a single control-plane node
    says 2 for default/kubernetes while the served slice lists the 1 apiserver address; this counts what is served.
    """
    cluster = sim.cluster
    slices = cluster.collections["endpointslices.discovery.k8s.io"]
    return sum(len(slices.item(i).get("endpoints") or []) for i in range(slices.count))
