"""Every wait is bounded: a server that trickles bytes, a whole run past --deadline, an apiserver that dies
mid-collection (exit 3, the partial snapshot marked incomplete), and the QPS cap without a burst."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.kube_client import TokenBucket
from evaluator.inventory import load_snapshot
from evaluator.simulator import Faults, Simulator, profile


def _collect(kubeconfig: Path, out: Path, *extra: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(
        cli, ["collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(out), "--qps", "200", *extra]
    )
    return result.exit_code, result.output, time.monotonic() - started


def test_a_trickling_first_request_is_exit_3_after_the_request_timeout(tmp_path: Path) -> None:
    # /version is about 300 bytes: at 0.2 s a byte the answer would take a minute; every socket read succeeds.
    with Simulator(profile("small"), faults=Faults(trickle={"/version": 0.2})) as sim:
        code, output, seconds = _collect(sim.write_kubeconfig(tmp_path / "kc"), tmp_path / "s.json", "--timeout", "2")
    assert code == 3, output
    assert "GET /version" in output and "2 s" in output, output
    assert seconds < 10, seconds
    assert not (tmp_path / "s.json").exists()


def test_a_trickling_list_mid_run_is_exit_3_with_a_partial_snapshot(tmp_path: Path) -> None:
    faults = Faults(trickle={"/api/v1/services": 0.2}, not_found=["/metrics"])
    with Simulator(profile("small"), faults=faults) as sim:
        code, output, seconds = _collect(sim.write_kubeconfig(tmp_path / "kc"), tmp_path / "s.json", "--timeout", "2")
    assert code == 3, output
    assert "/api/v1/services" in output and seconds < 30, (output, seconds)
    snap = load_snapshot(tmp_path / "s.json")
    assert snap.collection.incomplete and "/api/v1/services" in snap.collection.incomplete
    assert snap.nodes.count == 5  # what was read before stays


def test_the_whole_run_stops_at_the_deadline(tmp_path: Path) -> None:
    faults = Faults(delay_seconds=0.5, not_found=["/metrics"])
    with Simulator(profile("small"), faults=faults) as sim:
        code, output, seconds = _collect(sim.write_kubeconfig(tmp_path / "kc"), tmp_path / "s.json", "--deadline", "3")
    assert code == 3, output
    assert "--deadline" in output and seconds < 10, (output, seconds)
    snap = load_snapshot(tmp_path / "s.json")
    assert snap.collection.incomplete and "deadline" in snap.collection.incomplete


def test_an_apiserver_that_dies_mid_run_is_exit_3(tmp_path: Path) -> None:
    faults = Faults(delay_seconds=0.02, not_found=["/metrics"])
    sim = Simulator(profile("small"), faults=faults).start()
    kubeconfig = sim.write_kubeconfig(tmp_path / "kc")

    def kill() -> None:
        while sim.request_count < 12:
            time.sleep(0.01)
        sim.stop()

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    try:
        code, output, _ = _collect(kubeconfig, tmp_path / "s.json", "--concurrency", "1")
    finally:
        killer.join(10)
        sim.stop()
    assert code == 3, output
    assert "connection refused" in output or "timed out" in output, output
    snap = load_snapshot(tmp_path / "s.json")
    assert snap.collection.incomplete and "127.0.0.1" in snap.collection.incomplete


def test_the_qps_cap_has_no_burst() -> None:
    bucket = TokenBucket(20)
    stamps = []
    for _ in range(45):
        bucket.take()
        stamps.append(time.monotonic())
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert busiest <= 21, busiest  # 20 a second; a window that starts on a request sees at most one more
