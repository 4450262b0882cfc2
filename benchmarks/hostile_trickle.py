"""How long `k8seval collect kube` takes to give up on a server that trickles its answer a byte at a time.

Serves the simulator with a ``trickle`` fault on one path (every socket read succeeds, so a per-read timeout
never fires) and times the collect command in a subprocess. ``--collector PATH`` runs another checkout's
k8seval against the same server (to compare before/after a change).

    python benchmarks/hostile_trickle.py --path /version --pause 0.2 --timeout 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evaluator.simulator import Faults, Simulator, profile  # noqa: E402

CLI = "import sys; from evaluator.cli import main; sys.argv[0] = 'k8seval'; main()"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/version", help="path pattern that trickles")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between bytes")
    parser.add_argument("--timeout", default="2", help="--timeout given to collect kube")
    parser.add_argument("--collector", default=str(ROOT), help="checkout whose k8seval collects")
    args = parser.parse_args()
    faults = Faults(trickle={args.path: args.pause}, not_found=["/metrics"])
    with tempfile.TemporaryDirectory() as tmp, Simulator(profile("small"), faults=faults) as sim:
        kubeconfig = sim.write_kubeconfig(Path(tmp) / "kc")
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", CLI, "collect", "kube", "--kubeconfig", str(kubeconfig), "--timeout",
             args.timeout, "-o", str(Path(tmp) / "s.json")],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": args.collector}, check=False, cwd=tmp,
        )  # fmt: skip
        seconds = time.monotonic() - started
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    print(f"collector {args.collector}: exit {proc.returncode} after {seconds:.1f} s (trickle {args.path} "
          f"at {args.pause:g} s/byte, --timeout {args.timeout})")  # fmt: skip
    print(f"  {last[:200]}")


if __name__ == "__main__":
    main()
