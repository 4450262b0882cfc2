"""Benchmark: collect 180 daily steps for 50 clusters from one real Prometheus in one command.

The TSDB is backfilled with promtool from series scraped from the simulator at four scales per cluster (five
growth profiles across the fleet, Kubernetes 1.27 -> 1.29 -> 1.34 so the apiserver's metric names change), then
`k8seval collect prometheus --cluster-label cluster` runs as its own process. Prints wall time, queries,
requests and the collector's peak RSS, then the forecasts `score` makes from one cluster's 180 snapshots.

Run on demand (needs Debian's prometheus package):

    PYTHONPATH=. python benchmarks/bench_prometheus.py [--clusters 50] [--days 180] [--keep DIR]

kube-state-metrics' kube_pod_status_phase (five series a pod) is left out here to keep the backfill small; the
collector then counts every pod with a node. The tests cover the phase join.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.prometheus_support import (  # noqa: E402
    DAY,
    ClusterPlan,
    Segment,
    backfill,
    build_history,
    start_prometheus,
)

GIB = 2**30
# (nodes, pods, network policies, etcd GiB) at the four scales of each growth profile
PROFILES = (
    ((5, 60, 10, 0.5), (7, 90, 15, 0.7), (9, 120, 20, 0.9), (11, 150, 25, 1.1)),
    ((6, 80, 40, 2.0), (8, 110, 60, 3.0), (10, 140, 80, 4.0), (12, 170, 100, 5.0)),
    ((8, 120, 5, 4.5), (10, 150, 8, 5.5), (12, 180, 10, 6.5), (14, 200, 12, 7.4)),  # etcd towards 8 GiB
    ((5, 50, 0, 0.2), (5, 55, 0, 0.2), (6, 60, 0, 0.25), (6, 65, 0, 0.25)),
    ((10, 150, 30, 1.0), (12, 170, 45, 1.5), (14, 190, 60, 2.0), (16, 210, 75, 2.5)),
)
VERSIONS = ("1.27.6", "1.29.4", "1.29.4", "1.34.1")
FLOWCONTROL = {"group": "flowcontrol.apiserver.k8s.io", "resource": "flowschemas"}
DEPRECATED = (
    FLOWCONTROL | {"version": "v1beta2", "removed_release": "1.29", "requests": 120},
    FLOWCONTROL | {"version": "v1beta3", "removed_release": "1.32", "requests": 45},
)
COLLECT = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('peak_rss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "file=sys.stderr))\n"
    "from evaluator.cli import main\n"
    "sys.argv[0] = 'k8seval'\n"
    "main()\n"
)


def plans(clusters: int, days: int) -> list[ClusterPlan]:
    """One plan per cluster: four equal segments, the scales of one growth profile."""
    out = []
    quarter = days // 4
    for i in range(clusters):
        scales = PROFILES[i % len(PROFILES)]
        segments = []
        for k, (nodes, pods, policies, etcd_gib) in enumerate(scales):
            first = k * quarter
            last = days - 1 if k == 3 else (k + 1) * quarter - 1
            overrides = {
                "version": VERSIONS[k],
                "nodes": nodes,
                "pods": pods,
                "network_policies": policies,
                "etcd_db_size_bytes": int(etcd_gib * GIB),
            }
            if k < len(DEPRECATED):  # clients on flowcontrol betas until the upgrades that remove them
                overrides["deprecated_api_requests"] = [DEPRECATED[k]]
            segments.append(Segment(first, last, overrides, phases=False))
        out.append(ClusterPlan(f"cluster-{i:02d}", "small", segments, offset_seconds=30 + (i % 5) * 30))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="Keep the TSDB and snapshots here (default: a temp folder).")
    parser.add_argument("--reuse", action="store_true", help="Reuse the TSDB already backfilled in --keep.")
    args = parser.parse_args()
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        sys.exit("bench_prometheus: needs prometheus and promtool (apt-get install prometheus)")

    work = args.keep or Path(tempfile.mkdtemp(prefix="k8seval-bench-prom-"))
    work.mkdir(parents=True, exist_ok=True)
    marker = work / "end"
    if args.reuse and marker.exists() and (work / "tsdb").is_dir():
        end = int(marker.read_text())
        print(f"reusing the TSDB in {work / 'tsdb'}")
    else:
        end = (int(time.time()) // DAY - 2) * DAY
        shutil.rmtree(work / "tsdb", ignore_errors=True)
        t0 = time.monotonic()
        history = build_history(plans(args.clusters, args.days), args.days, end, work / "openmetrics")
        lines = sum(1 for p in history.path.glob("*.om") for _ in open(p))
        t1 = time.monotonic()
        backfill(history.path, work / "tsdb")
        t2 = time.monotonic()
        marker.write_text(str(end))
        print(
            f"series written: {lines:,} samples in {args.days} daily files ({t1 - t0:.1f}s); "
            f"promtool backfill {t2 - t1:.1f}s",
            flush=True,
        )

    proc, url = start_prometheus(work / "tsdb")
    try:
        out = work / "snapshots"
        shutil.rmtree(out, ignore_errors=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
        cmd = [
            sys.executable,
            "-c",
            COLLECT,
            "collect",
            "prometheus",
            "--url",
            url,
            "--range",
            f"{args.days}d",
            "--step",
            "1d",
            "--end",
            stamp,
            "--cluster-label",
            "cluster",
            "--platform",
            "self-hosted",
            "--concurrency",
            str(args.concurrency),
            "-o",
            str(out),
        ]
        started = time.monotonic()
        result = subprocess.run(
            cmd, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
        )
        wall = time.monotonic() - started
    finally:
        proc.stop()
    if result.returncode != 0:
        sys.exit(f"collect failed ({result.returncode}): {result.stderr}")
    rss = int(re.search(r"peak_rss_kib (\d+)", result.stderr).group(1))
    summary = result.stdout.strip()
    queries = int(re.search(r"from (\d+) queries", summary).group(1))
    requests = int(re.search(r"(\d+) requests", summary).group(1))
    files = len(list(out.glob("*.json")))
    print(summary)
    print(
        f"collect prometheus: {args.clusters} clusters x {args.days} steps = {files} snapshots; "
        f"wall {wall:.1f}s (process, start-up included); {queries} queries, {requests} HTTP requests; "
        f"peak RSS {rss / 1024:.0f} MiB"
    )

    hot = sorted(out.glob("*cluster-02-*.json"))
    score = subprocess.run(
        [sys.executable, "-c", COLLECT, "score", *map(str, hot), "--target", "eks", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    data = json.loads(score.stdout)
    print(f"forecasts for cluster-02 from its {len(hot)} snapshots:")
    for fc in data["forecasts"]:
        if fc["crossings"]:
            print(f"  {fc['message']}")
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
