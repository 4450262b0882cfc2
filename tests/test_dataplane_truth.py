"""The indexed NetworkPolicy analysis equals the brute-force reference (every pod against every policy,
simulator/truth.py) pod by pod on seeded simulator specs, with container ports resolved from full Pod objects."""

from __future__ import annotations

import pytest

from evaluator.collectors.kube_parse import pod_record_from_object
from evaluator.dataplane import ClusterModel, NodeRecord, parse_policy, pod_loads
from evaluator.simulator import parse_spec
from evaluator.simulator.served import Cluster
from evaluator.simulator.truth import dataplane_truth


def _objects(cluster: Cluster):
    b = cluster.builders
    pods = [b.pod(ns, j) for ns, count in enumerate(cluster.collections["pods"].counts) for j in range(count)]
    live = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    namespaces = {}
    for j in range(len(cluster.namespaces)):
        meta = b.namespace(j)["metadata"]
        namespaces[meta["name"]] = meta["labels"]
    nodes = {}
    for j in range(len(cluster.nodes)):
        node = b.node(j)
        ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
        nodes[node["metadata"]["name"]] = ip
    policies = [b.netpol(ns, j) for ns, count in enumerate(cluster.netpol_counts) for j in range(count)]
    for pol, (ns, _j) in zip(policies, [(ns, j) for ns, c in enumerate(cluster.netpol_counts) for j in range(c)],
                             strict=True):  # fmt: skip
        pol["metadata"].setdefault("namespace", cluster.namespaces[ns])
    return live, namespaces, nodes, policies


def model_of(live, ns_labels, node_ips, pol_objs) -> ClusterModel:
    """The analysis's model of what :func:`_objects` returns, as the collector builds it from the same objects."""
    return ClusterModel(
        pods=[r for r in (pod_record_from_object(p) for p in live) if r is not None],
        namespaces=ns_labels,
        nodes={name: NodeRecord(name, ip) for name, ip in node_ips.items()},
        policies=[parse_policy(p) for p in pol_objs],
    )


SPECS = [
    # (seed, pods, namespaces, policies, a fine-grained namespace puts pods over the agent's 24): small enough
    # for the brute force, dense enough in policies to overlap.
    (1, 400, 12, 60, True),
    (7, 900, 20, 160, False),
    (2024, 1500, 30, 260, True),
    (99, 600, 6, 120, False),
    (31337, 1200, 40, 200, False),
]


@pytest.mark.parametrize(("seed", "pods", "namespaces", "policies", "over"), SPECS)
def test_fast_analysis_equals_brute_force(seed: int, pods: int, namespaces: int, policies: int, over: bool) -> None:
    spec = parse_spec(
        f"name: dp{seed}\nversion: '1.30.2'\nseed: {seed}\nnodes: 24\npods: {pods}\nnamespaces: {namespaces}\n"
        f"network_policies: {policies}\nservices: 10\ncni: cilium\nmax_pods_per_node: 110\n"
    )
    cluster = Cluster(spec)
    live, ns_labels, node_ips, pol_objs = _objects(cluster)
    model = model_of(live, ns_labels, node_ips, pol_objs)
    loads, _ = pod_loads(model)
    fast = {
        (p.namespace, p.name): {
            "eks_max": load.eks_max,
            "eks_keys": load.eks_keys,
            "eks_total": load.eks_total,
            "cilium": load.cilium,
            "policies": load.policies,
        }
        for p, load in loads
        if load.policies
    }
    truth = {k: v for k, v in dataplane_truth(live, ns_labels, node_ips, pol_objs).items() if v["policies"]}
    assert fast.keys() == truth.keys()
    diffs = [(k, fast[k], truth[k]) for k in truth if fast[k] != truth[k]]
    assert not diffs, [(k, f, t) for k, f, t in diffs[:3]]
    assert len(truth) > pods / 10  # the spec really exercises the policies
    assert (max(v["eks_max"] for v in truth.values()) > 24) is over
