"""``collect kube`` benchmark: wall time, peak RSS and requests of the collector versus kubectl, on the simulator.

Starts the simulator in this process with a profile (default ``bank`` and ``large``), then runs, each in its own
child process so their peak RSS is their own (``os.wait4``):

- ``k8seval collect kube --kubeconfig ...`` (the collector, default QPS and concurrency);
- ``kubectl get pods,nodes,networkpolicies,services -A -o json`` into /dev/null (kubectl pages by 500 too).

Targets: collector wall time <= 1/4 of kubectl's, collector peak RSS < 300 MiB, a bounded request count.

    python benchmarks/bench_collect_kube.py
    python benchmarks/bench_collect_kube.py --profile bank --no-kubectl
    python benchmarks/bench_collect_kube.py --profile large --qps 50 --concurrency 8
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.simulator import Simulator, profile  # noqa: E402

KUBECTL_RESOURCES = "pods,nodes,networkpolicies,services"


@dataclass(frozen=True)
class Run:
    """One child process: wall time, peak RSS, requests the simulator saw, exit status."""

    wall: float
    rss_mib: float
    requests: int
    status: int


def run_child(argv: list[str], sim: Simulator, stdout: int | None = None) -> Run:
    """Run ``argv`` to completion; its own peak RSS comes from ``os.wait4`` (Linux reports KiB)."""
    sim.reset_counters()
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=stdout if stdout is not None else subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()  # small: a summary and the gaps
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(err.decode("utf-8", "replace"))
    return Run(wall, usage.ru_maxrss / 1024, sim.request_count, proc.returncode)


def bench(name: str, *, qps: float, concurrency: int, kubectl: bool) -> dict[str, object]:
    """Benchmark one profile; returns the figures (also printed)."""
    spec = profile(name)
    t0 = time.monotonic()
    with Simulator(spec) as sim, tempfile.TemporaryDirectory(prefix="bench-kube-") as tmp:
        setup = time.monotonic() - t0
        kubeconfig = sim.write_kubeconfig(Path(tmp) / "kubeconfig")
        out = Path(tmp) / "snapshot.json"
        print(f"\n== {name}: {spec.nodes:,} nodes, {spec.pods:,} pods, {spec.namespaces:,} namespaces, "
              f"{spec.network_policies:,} NetworkPolicies (simulator ready in {setup:.1f}s)")  # fmt: skip
        collector = run_child(
            [sys.executable, "-c", "from evaluator.cli import main; main()", "collect", "kube",
             "--kubeconfig", str(kubeconfig), "-o", str(out), "--qps", str(qps), "--concurrency", str(concurrency)],
            sim,
        )  # fmt: skip
        snap = json.loads(out.read_text()) if out.exists() else {}
        pods_ok = snap.get("objects", {}).get("pods") == spec.pods
        print(f"collect kube : {collector.wall:7.1f}s  peak RSS {collector.rss_mib:6.1f} MiB  "
              f"{collector.requests:5d} requests  exit {collector.status}  pods counted exactly: {pods_ok}  "
              f"gaps: {len(snap.get('gaps', []))}")  # fmt: skip
        result: dict[str, object] = {
            "profile": name,
            "collect_seconds": round(collector.wall, 2),
            "collect_rss_mib": round(collector.rss_mib, 1),
            "collect_requests": collector.requests,
        }
        if kubectl:
            exe = shutil.which("kubectl")
            if exe is None:
                print("kubectl      : not installed (apt-get install kubectl), skipped")
                return result
            with open(os.devnull, "wb") as devnull:
                ref = run_child(
                    [exe, "--kubeconfig", str(kubeconfig), "get", KUBECTL_RESOURCES, "-A", "-o", "json"],
                    sim,
                    stdout=devnull.fileno(),
                )
            ratio = collector.wall / ref.wall if ref.wall else float("inf")
            print(f"kubectl get  : {ref.wall:7.1f}s  peak RSS {ref.rss_mib:6.1f} MiB  {ref.requests:5d} requests  "
                  f"exit {ref.status}")  # fmt: skip
            verdict = "meets" if ratio <= 0.25 else "MISSES"
            print(f"collect/kubectl wall time: {ratio:.3f} ({verdict} the <= 0.25 target); "
                  f"RSS target < 300 MiB: {'met' if collector.rss_mib < 300 else 'MISSED'}")  # fmt: skip
            result.update(kubectl_seconds=round(ref.wall, 2), kubectl_rss_mib=round(ref.rss_mib, 1), ratio=ratio)
        return result


def main() -> None:
    """Parse arguments and run the benchmark for each profile."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", action="append", choices=["small", "bank", "large"], help="repeatable")
    parser.add_argument("--qps", type=float, default=20.0, help="collector QPS cap (default 20, the CLI default)")
    parser.add_argument("--concurrency", type=int, default=4, help="collector concurrency (default 4)")
    parser.add_argument("--no-kubectl", action="store_true", help="skip the kubectl reference run")
    args = parser.parse_args()
    results = [
        bench(name, qps=args.qps, concurrency=args.concurrency, kubectl=not args.no_kubectl)
        for name in args.profile or ["bank", "large"]
    ]
    print("\n" + json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
