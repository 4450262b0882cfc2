"""A fleet in object storage: 1,000 snapshots (200 clusters x 5 days) in a moto S3 server on loopback, then
``k8seval report s3://...`` over the whole prefix, timed, with the report process's peak RSS.

Run: ``python benchmarks/bench_fleet_storage.py [--clusters 200] [--days 5] [--format html]``. Prints figures;
asserts nothing. The moto server runs in this process (a thread) and shares the two cores with the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from bench_report import fleet  # benchmarks/ is on sys.path when run as a script
from moto.server import ThreadedMotoServer

from evaluator.inventory import Snapshot, save_snapshot
from evaluator.storage import forget_stores, read_snapshots, snapshot_key, write_snapshot

ROOT = Path(__file__).resolve().parents[1]


def daily(snaps: list[Snapshot], days: int) -> list[Snapshot]:
    """Each cluster's snapshot repeated over ``days`` days, growing 1% a day (the CronJob's daily objects)."""
    start = datetime(2026, 11, 26, 2, 17, tzinfo=UTC)
    out = []
    for snap in snaps:
        for d in range(days):
            scale = 1 - 0.01 * (days - 1 - d)
            nodes = dataclasses.replace(snap.nodes, count=int((snap.nodes.count or 0) * scale))
            stamp = (start + timedelta(days=d)).isoformat().replace("+00:00", "Z")
            out.append(dataclasses.replace(snap, collected_at=stamp, nodes=nodes))
    return out


def run_report(args: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """Run ``k8seval ARGS`` in a child process: wall seconds, its peak RSS in MiB, its CPU seconds (on a shared
    machine they vary less than the wall time), exit code."""
    # The child reports its own peak RSS at exit (RUSAGE_CHILDREN would give the largest child so far).
    code = (
        "import atexit, resource, sys\n"
        "def _report():\n"
        "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    sys.stderr.write(f'\\nmaxrss_kib={r.ru_maxrss}\\ncpu_s={r.ru_utime + r.ru_stime:.2f}\\n')\n"
        "atexit.register(_report)\n"
        "from evaluator.cli import main\nmain()\n"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)
    peak = next((int(line.split("=", 1)[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss_kib=")), 0)
    cpu = next((line.split("=", 1)[1] for line in proc.stderr.splitlines() if line.startswith("cpu_s=")), "?")
    return wall, peak / 1024, cpu, proc.returncode


def main() -> None:
    """Fill the bucket, then time the fleet report over the prefix (all snapshots, and --latest 1)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--format", default="html", choices=["html", "md", "json", "xlsx"])
    opts = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="eu-west-1", AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=f"{tmp}/none", AWS_SHARED_CREDENTIALS_FILE=f"{tmp}/none",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )  # fmt: skip
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        forget_stores()
        boto3.client("s3", endpoint_url=url, region_name="eu-west-1").create_bucket(
            Bucket="bench-fleet", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        snaps = daily(fleet(opts.clusters, 1), opts.days)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda s: write_snapshot(s, "s3://bench-fleet/snapshots/"), snaps))
        upload = time.perf_counter() - start
        print(f"uploaded {len(snaps):,} snapshots ({opts.clusters} clusters x {opts.days} days) in {upload:.1f} s")

        start = time.perf_counter()
        loaded = read_snapshots(["s3://bench-fleet/snapshots/"])
        print(f"read_snapshots: {len(loaded):,} snapshots listed and read in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        latest = read_snapshots(["s3://bench-fleet/snapshots/"], latest=1)
        print(f"read_snapshots --latest 1: {len(latest):,} snapshots read in {time.perf_counter() - start:.1f} s")
        wall, rss, cpu, rc = run_report(["score", "s3://bench-fleet/snapshots/", "--format", "json", "-o",
                                         f"{tmp}/findings.json"], env)  # fmt: skip
        print(f"score s3://bench-fleet/snapshots/ --format json: {wall:.1f} s wall ({cpu} s CPU), "
              f"peak RSS {rss:.0f} MiB, exit {rc}")  # fmt: skip

        # The same fleet from a local folder, for comparison: what the bucket adds.
        folder = Path(tmp) / "local"
        for snap in snaps:
            save_snapshot(snap, folder / snapshot_key(snap))
        out = Path(tmp) / f"report-local.{opts.format}"
        wall, rss, cpu, rc = run_report(["report", str(folder), "-o", str(out)], env)
        print(f"report LOCAL_FOLDER (the same {len(snaps):,} files): {wall:.1f} s wall ({cpu} s CPU), "
              f"peak RSS {rss:.0f} MiB, exit {rc}")  # fmt: skip

        for label, extra in (("all snapshots", []), ("--latest 1", ["--latest", "1"])):
            out = Path(tmp) / f"report-{len(extra)}.{opts.format}"
            wall, rss, cpu, rc = run_report(["report", "s3://bench-fleet/snapshots/", *extra, "-o", str(out)], env)
            size = out.stat().st_size / 2**20 if out.exists() else 0.0
            print(
                f"report s3://bench-fleet/snapshots/ {' '.join(extra)} ({label}): {wall:.1f} s wall ({cpu} s CPU), "
                f"peak RSS {rss:.0f} MiB, {opts.format} {size:.1f} MiB, exit {rc}"
            )
    server.stop()
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
