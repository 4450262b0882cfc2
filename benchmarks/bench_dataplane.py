"""NetworkPolicy dataplane analysis benchmark: CPU seconds and peak RSS of ``evaluator.dataplane.analyse`` on a
simulator profile, the model built the way ``collect kube`` builds it (pod metadata, Table IPs and nodes; no
container ports). Target on ``large`` (150,000 pods, 20,000 policies): under 10 CPU seconds.

The model is built from the simulator's object builders in this process (no HTTP), so only the analysis is timed.

    python benchmarks/bench_dataplane.py                 # large
    python benchmarks/bench_dataplane.py --profile bank
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.collectors.kube_parse import pod_record  # noqa: E402
from evaluator.dataplane import ClusterModel, NodeRecord, analyse, parse_policy  # noqa: E402
from evaluator.simulator import profile  # noqa: E402
from evaluator.simulator.served import Cluster  # noqa: E402


def build_model(name: str) -> ClusterModel:
    """The collector's model for profile ``name``: non-terminal pods with metadata, IP and node."""
    cluster = Cluster(profile(name))
    b = cluster.builders
    nodes = {}
    for j in range(len(cluster.nodes)):
        node = b.node(j)
        ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
        nodes[node["metadata"]["name"]] = NodeRecord(node["metadata"]["name"], ip)
    cache: dict = {}
    pods = []
    for ns, count in enumerate(cluster.collections["pods"].counts):
        for j in range(count):
            pod = b.pod(ns, j)
            status = pod.get("status") or {}
            if status.get("phase") in ("Succeeded", "Failed") or not pod["spec"].get("nodeName"):
                continue
            rec = pod_record(pod["metadata"], node=pod["spec"]["nodeName"], ip=status.get("podIP") or "",
                             labels_cache=cache)  # fmt: skip
            rec.host_network = bool(rec.ip and rec.ip == nodes[rec.node].ip)
            pods.append(rec)
    namespaces = {}
    for j in range(len(cluster.namespaces)):
        meta = b.namespace(j)["metadata"]
        namespaces[meta["name"]] = meta["labels"]
    policies = []
    for ns, count in enumerate(cluster.netpol_counts):
        for j in range(count):
            obj = b.netpol(ns, j)
            obj["metadata"]["namespace"] = cluster.namespaces[ns]
            policies.append(parse_policy(obj))
    return ClusterModel(pods=pods, namespaces=namespaces, nodes=nodes, policies=policies, named_ports_known=False)


def main() -> None:
    """Build the model, time the analysis, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="large")
    args = parser.parse_args()
    started = time.monotonic()
    model = build_model(args.profile)
    print(f"model: {len(model.pods):,} pods, {len(model.policies):,} policies, {len(model.nodes):,} nodes "
          f"built in {time.monotonic() - started:.1f} s")  # fmt: skip
    cpu0, wall0 = time.process_time(), time.monotonic()
    out = analyse(model)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"analysis: {cpu:.2f} CPU s, {wall:.2f} s wall, peak RSS {rss:.0f} MiB (process, model included)")
    eks, cil = out["eks"], out["cilium"]
    print(f"label groups {out['label_groups']:,}; EKS entries per peer max {eks['entries_per_peer']['max']}, "
          f"pods over 24: {eks['pods_over_entry_limit']}; peer keys max {eks['peer_keys']['max']}; "
          f"Cilium entries max {cil['policy_map_entries']['max']}; identities {cil['identities']:,}")  # fmt: skip
    print(f"target: under 10 CPU s on large -> {'met' if cpu < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
