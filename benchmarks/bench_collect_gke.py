"""Benchmark: collecting a GKE fleet (many projects, clusters with node pools) with the real client and a fake API.

Run from the repository root::

    python benchmarks/bench_collect_gke.py [--projects 200] [--clusters 3] [--latency 0.05] [--concurrency 1 8 32]

Each API answer is delayed by ``--latency`` seconds to stand in for the network round trip. Prints wall time,
requests and peak Python memory per concurrency level; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluator.collectors.gke import collect_gke, make_gke_client  # noqa: E402
from tests import fake_gke as fk  # noqa: E402

VERSION = "1.30.5-gke.1014001"


def fleet(projects: int, clusters: int, latency: float) -> fk.FakeGkeState:
    """``projects`` projects with ``clusters`` regional Dataplane V2 clusters of three node pools each."""
    state = fk.FakeGkeState(latency=latency)
    zones = ["europe-west2-a", "europe-west2-b", "europe-west2-c"]
    for p in range(projects):
        project = f"proj-{p:04d}"
        state.clusters[project] = [
            fk.cluster(
                f"cluster-{c}",
                "europe-west2",
                project=project,
                version=VERSION,
                datapath=fk.ADVANCED_DATAPATH,
                channel=fk.REGULAR,
                default_max_pods=110,
                cluster_cidr=f"10.{c * 8}.0.0/14",
                services_cidr="10.200.0.0/20",
                current_node_count=30,
                node_pools=[
                    fk.node_pool(f"pool-{i}", version=VERSION, locations=zones, autoscaling=(1, 10), max_pods=110)
                    for i in range(3)
                ],
            )
            for c in range(clusters)
        ]
        state.server_configs[(project, "europe-west2")] = fk.server_config(
            valid_master_versions=[VERSION], channels={fk.REGULAR: [VERSION, "1.31.1-gke.1146000"]}
        )
    return state


def main() -> None:
    """Parse arguments, run each concurrency level once, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=3, help="clusters per project")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every API answer")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    state = fleet(args.projects, args.clusters, args.latency)
    projects = sorted(state.clusters)
    print(f"{args.projects} projects x {args.clusters} clusters, {args.latency * 1000:.0f} ms per answer")
    print(f"{'concurrency':>11}  {'seconds':>8}  {'requests':>8}  {'snapshots':>9}")
    with fk.serve(state) as url:
        client = make_gke_client(url)
        for level in args.concurrency:
            state.requests.clear()
            started = time.perf_counter()
            snaps, gaps = collect_gke(client, projects, concurrency=level)
            elapsed = time.perf_counter() - started
            assert not gaps, gaps
            print(f"{level:>11}  {elapsed:>8.2f}  {len(state.requests):>8}  {len(snaps):>9}")
        # Memory in a separate run: tracemalloc slows allocation-heavy proto parsing several times over.
        del snaps
        tracemalloc.start()
        snaps, _ = collect_gke(client, projects, concurrency=max(args.concurrency))
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"peak Python memory at concurrency {max(args.concurrency)}: {peak:.1f} MiB for {len(snaps)} snapshots")


if __name__ == "__main__":
    main()
