"""Cost-model benchmark: estimates, break-even and the +/-25 % sensitivity for a fleet of clusters.

Builds N synthetic snapshots (nodes by instance type, LoadBalancer Services) and times ``estimate_fleet_with_parts``
for every target, ``break_even``, then ``cost_analysis`` (the +/-25 % sensitivity as arithmetic over the parts).

    python benchmarks/bench_cost.py                     # 300 clusters, priced in us-east-1 / us-central1
    python benchmarks/bench_cost.py --clusters 50 --clusters 1000
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.findings import TARGETS  # noqa: E402
from evaluator.inventory import ClusterInfo, NodeInventory, ServiceInventory, Snapshot  # noqa: E402
from evaluator.scoring.cost import (  # noqa: E402
    break_even,
    cost_analysis,
    cost_assumptions_from_data,
    estimate_fleet_with_parts,
)

SHIPPED = Path(__file__).resolve().parents[1] / "evaluator" / "scoring" / "cost_assumptions.yaml"


def fleet(n: int) -> list[tuple[str, Snapshot]]:
    base = Snapshot(cluster=ClusterInfo(name="c", platform="self-hosted", version="1.33.2"))
    out = []
    for i in range(n):
        nodes = NodeInventory(
            count=60 + i % 40,
            control_plane_count=3,
            by_instance_type={"m5.4xlarge": 40 + i % 30, "r5.4xlarge": 10 + i % 7, "vm-32c-128g": 10},
        )
        services = ServiceInventory(count=200, by_type={"ClusterIP": 190, "LoadBalancer": 2 + i % 5})
        out.append(
            (
                f"cluster-{i:04d}",
                replace(base, cluster=replace(base.cluster, name=f"cluster-{i:04d}"), nodes=nodes, services=services),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, action="append", help="fleet sizes (repeatable; default 300)")
    args = parser.parse_args()
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["regions"] = {"aws": "us-east-1", "gcp": "us-central1"}
    a = cost_assumptions_from_data(data, where=str(SHIPPED))
    for n in args.clusters or [300]:
        clusters = fleet(n)
        t0 = time.perf_counter()
        estimates, parts = estimate_fleet_with_parts(clusters, TARGETS, a, at="2026-12-01T00:00:00Z")
        t1 = time.perf_counter()
        break_even(clusters, a, estimates=estimates)
        t2 = time.perf_counter()
        result = cost_analysis(clusters, a, list(TARGETS), estimates=estimates, components=parts)
        t3 = time.perf_counter()
        print(
            f"{n:5d} clusters: {len(estimates):6d} estimates in {t1 - t0:6.2f} s, break-even {t2 - t1:5.2f} s, "
            f"analysis with {len(result['sensitivity'])} sensitivity inputs x 2 runs {t3 - t2:6.2f} s"
        )


if __name__ == "__main__":
    main()
