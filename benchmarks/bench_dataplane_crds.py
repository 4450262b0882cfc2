"""What the Cilium and Calico policy objects add to the dataplane analysis: CPU seconds of
``evaluator.dataplane.analyse`` alone, then of translating the simulator's CNI policy objects and analysing
them with the NetworkPolicies in one pass (``evaluator.dataplane.crds.analyse_with_cni``, what the collector
runs), then of the reference: a pass per vendor added to the analysis's section, which must be equal.
``large`` serves 2,000 CiliumNetworkPolicies and 50 clusterwide ones over 150,000 pods; ``bank`` 1,200 Calico
NetworkPolicies and 40 GlobalNetworkPolicies.

    python benchmarks/bench_dataplane_crds.py                 # large
    python benchmarks/bench_dataplane_crds.py --profile bank
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_dataplane import build_model  # noqa: E402
from evaluator.dataplane import analyse  # noqa: E402
from evaluator.dataplane.crds import (  # noqa: E402
    CALICO_KEYS,
    CILIUM_KEYS,
    add_cni_policies,
    analyse_with_cni,
    translate,
)
from evaluator.simulator import profile  # noqa: E402
from evaluator.simulator.served import Cluster  # noqa: E402


def main() -> None:
    """Build the model and the objects, time both steps, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="large")
    args = parser.parse_args()
    model = build_model(args.profile)
    cluster = Cluster(profile(args.profile))
    objects = {
        key: [cluster.builders.custom_resource(key, ns, j) for ns, n in enumerate(cluster.cr_counts[key])
              for j in range(n)]
        for key in CILIUM_KEYS + CALICO_KEYS
        if key in cluster.cr_counts
    }  # fmt: skip
    print(f"model: {len(model.pods):,} pods, {len(model.policies):,} NetworkPolicies; "
          + ", ".join(f"{k}: {len(v):,}" for k, v in objects.items()))  # fmt: skip
    cpu0 = time.process_time()
    base = analyse(model)
    cpu_base = time.process_time() - cpu0
    cpu0 = time.process_time()
    translated = translate(objects, model)
    cpu_translate = time.process_time() - cpu0
    cpu0 = time.process_time()
    section = analyse_with_cni(model, translated)  # what the collector runs: one pass over both kinds
    cpu_one = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu0 = time.process_time()
    reference = add_cni_policies(base, model, translated)  # the analysis's section plus a pass per vendor
    cpu_added = time.process_time() - cpu0
    print(f"analysis alone: {cpu_base:.2f} CPU s; translate: {cpu_translate:.2f} CPU s; analysis with the CNI "
          f"policies in one pass: {cpu_one:.2f} CPU s (+{cpu_one - cpu_base:.2f}); peak RSS {rss:.0f} MiB (process, "
          f"before the reference)")  # fmt: skip
    print(f"reference, the CNI passes added to the analysis's section: +{cpu_added:.2f} CPU s; "
          f"sections equal: {section == reference}")  # fmt: skip
    for vendor, summary in section["cni_policies"].items():
        print(f"{vendor}: {summary}")
    print(f"Cilium entries max {base['cilium']['policy_map_entries']['max']} -> "
          f"{section['cilium']['policy_map_entries']['max']}; Calico rules per node max "
          f"{base['calico']['rules_per_node']['max']} -> {section['calico']['rules_per_node']['max']}")  # fmt: skip


if __name__ == "__main__":
    main()
