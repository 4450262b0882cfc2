"""Simulator benchmark: start-up time and serving throughput of a profile, page by page.

Starts the simulator with a profile (default ``large``: 150,000 pods), then lists every pod in pages of
``--limit`` as JSON, as a Table with ``includeObject=None`` and as PartialObjectMetadataList, over one
keep-alive connection, and prints objects per second, bytes and the peak RSS of this process (server and client).

    python benchmarks/bench_simulator.py
    python benchmarks/bench_simulator.py --profile bank --limit 500 --resource pods --resource networkpolicies
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.simulator import Simulator, profile  # noqa: E402

FORMS = {
    "json": "application/json",
    "table": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    "metadata": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json",
}
PATHS = {
    "pods": "/api/v1/pods",
    "networkpolicies": "/apis/networking.k8s.io/v1/networkpolicies",
    "nodes": "/api/v1/nodes",
    "secrets": "/api/v1/secrets",
}


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def list_all(pool: urllib3.HTTPConnectionPool, path: str, limit: int, accept: str) -> tuple[int, int, int]:
    """Page through ``path``; returns (objects, pages, bytes)."""
    objects = pages = size = 0
    token = ""
    while True:
        fields = {"limit": str(limit)}
        if token:
            fields["continue"] = token
        response = pool.request("GET", path, fields=fields, headers={"Accept": accept})
        size += len(response.data)
        body = json.loads(response.data)
        objects += len(body.get("rows", body.get("items", [])))
        pages += 1
        token = body["metadata"].get("continue", "")
        if not token:
            return objects, pages, size


def main() -> None:
    """Run the benchmark and print one line per resource and form."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="large", choices=["small", "bank", "large"])
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--resource", action="append", choices=sorted(PATHS), help="default: pods")
    parser.add_argument("--form", action="append", choices=sorted(FORMS), help="default: all three")
    args = parser.parse_args()

    rss_before = peak_rss_mib()
    started = time.perf_counter()
    spec = profile(args.profile)
    with Simulator(spec) as sim:
        startup = time.perf_counter() - started
        print(f"profile {args.profile}: {spec.nodes:,} nodes, {spec.pods:,} pods; started in {startup:.2f} s, "
              f"peak RSS {peak_rss_mib():.0f} MiB (+{peak_rss_mib() - rss_before:.0f})")  # fmt: skip
        pool = urllib3.HTTPConnectionPool("127.0.0.1", sim.port, maxsize=1)
        for name in args.resource or ["pods"]:
            for form in args.form or list(FORMS):
                began = time.perf_counter()
                objects, pages, size = list_all(pool, PATHS[name], args.limit, FORMS[form])
                took = time.perf_counter() - began
                print(
                    f"  {name:<16} {form:<9} {objects:>8,} objects in {pages:>4} pages: {took:6.2f} s, "
                    f"{objects / took:>8,.0f} objects/s, {size / took / 2**20:6.1f} MiB/s, "
                    f"{size / 2**20:7.1f} MiB; peak RSS {peak_rss_mib():.0f} MiB"
                )
        print(f"requests served: {sim.request_count:,}")


if __name__ == "__main__":
    main()
