"""Benchmark: time to score 1,000 snapshots against every target with the default catalog.

Run from the repository root::

    python benchmarks/bench_score.py [--clusters 1000] [--history 10x100] [--repeat 3]

Prints figures; asserts nothing. Scenarios: a fleet of distinct clusters (one snapshot each: findings,
fits, costs) and a smaller fleet with long histories (Theil–Sen forecasts over many snapshots).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluator.catalog.loader import load_catalog  # noqa: E402
from evaluator.findings import TARGETS  # noqa: E402
from evaluator.inventory import (  # noqa: E402
    ClusterInfo,
    EtcdInventory,
    NetworkPolicyInventory,
    NodeInventory,
    ServiceInventory,
    Snapshot,
    Stats,
)
from evaluator.scoring.engine import evaluate, evaluation_document  # noqa: E402

GIB = 1024**3
START = datetime(2026, 1, 1, tzinfo=UTC)


def make(name: str, rng: random.Random, at: datetime, growth: float = 1.0) -> Snapshot:
    """A plausible snapshot with varied sizes (from a small cluster to a bank-sized one)."""
    nodes = int(rng.uniform(3, 3000) * growth)
    pods = int(nodes * rng.uniform(10, 60))
    return Snapshot(
        cluster=ClusterInfo(name=name, platform="self-hosted", version=rng.choice(["1.29.4", "1.31.2", "1.33.1"])),
        collected_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        objects={"pods": pods, "nodes": nodes, "services": nodes // 2, "networkpolicies.networking.k8s.io": nodes * 3},
        namespaces=max(1, nodes // 10),
        crds=rng.randint(20, 700),
        nodes=NodeInventory(
            count=nodes,
            control_plane_count=3,
            pods_per_node=Stats(max=rng.randint(20, 300), mean=30, p95=60),
            allocatable_pods=Stats(max=110, min=110),
        ),
        network_policies=NetworkPolicyInventory(count=nodes * 3, max_per_namespace=50),
        services=ServiceInventory(count=nodes // 2, max_endpoints_per_service=rng.randint(5, 2000)),
        etcd=EtcdInventory(db_size_bytes=int(rng.uniform(0.2, 9) * GIB * growth), source="etcd"),
    )


def timed(fn, repeat: int) -> tuple[list[float], list[float], object]:
    """Run ``fn`` ``repeat`` times; return wall times, CPU times (steadier on a busy machine), last result."""
    wall, cpu = [], []
    result = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu, result


def main() -> None:
    """Parse options, run both scenarios, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--history", default="10x100", help="CLUSTERSxSNAPSHOTS for the forecast scenario")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(42)
    catalog = load_catalog()
    now = "2026-11-26T00:00:00Z"
    print(f"catalog {catalog.version}: {len(catalog.constraints)} constraints x {len(TARGETS)} targets")

    fleet = [make(f"cluster-{i:04d}", rng, START) for i in range(args.clusters)]
    times, cpu, ev = timed(lambda: evaluate(fleet, catalog, now=now), args.repeat)
    n = len(ev.findings)
    best = min(times)
    print(
        f"fleet: {args.clusters:,} snapshots -> {n:,} findings, {len(ev.fits):,} fits, {len(ev.costs):,} cost estimates"
    )
    print(
        f"  evaluate: best {best:.3f} s, median {statistics.median(times):.3f} s over {args.repeat} runs"
        f" ({best / args.clusters * 1000:.2f} ms per snapshot, {n / best:,.0f} findings/s)"
    )
    print(f"  CPU time: best {min(cpu):.3f} s ({min(cpu) / args.clusters * 1000:.2f} ms per snapshot)")
    t0, c0 = time.perf_counter(), time.process_time()
    text = json.dumps(evaluation_document(ev))
    wall, used = time.perf_counter() - t0, time.process_time() - c0
    print(f"  JSON document (compact): {len(text) / 1e6:.1f} MB in {wall:.3f} s (CPU {used:.3f} s)")
    tracemalloc.start()
    evaluate(fleet, catalog, now=now)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak memory allocated while evaluating: {peak / 1e6:.1f} MB")

    clusters, per = (int(x) for x in args.history.split("x"))
    history = [
        make(f"hist-{c:02d}", random.Random(c), START + timedelta(days=3 * i), growth=1 + i / per)
        for c in range(clusters)
        for i in range(per)
    ]
    times, cpu, ev = timed(lambda: evaluate(history, catalog, now=now), args.repeat)
    print(
        f"history: {clusters} clusters x {per} snapshots = {len(history):,} snapshots -> {len(ev.forecasts)} forecasts"
    )
    print(
        f"  evaluate: best {min(times):.3f} s, median {statistics.median(times):.3f} s over {args.repeat} runs;"
        f" CPU best {min(cpu):.3f} s"
    )


if __name__ == "__main__":
    main()
