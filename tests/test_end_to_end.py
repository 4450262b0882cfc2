"""End to end: a simulated cluster collected over HTTP with the real kubernetes client, then scored.

These tests join the stages the way a user does (simulate -> collect kube -> score) and check the
statuses the catalog gives the bank profile per target, and a 300-pod node against the managed caps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.collectors.kube import NOT_FROM_KUBE, collect_kube
from evaluator.findings import Evaluation, Finding
from evaluator.inventory import Snapshot
from evaluator.scoring.engine import evaluate
from evaluator.simulator import Simulator, profile
from tests.kube_support import live_pods_per_node

GIB = 1024**3


def _collect(spec, tmp: Path) -> tuple[Snapshot, list[int]]:
    """Collect a simulated cluster; also return the simulator's own live pods per node."""
    with Simulator(spec) as sim:
        kubeconfig = sim.write_kubeconfig(tmp / "kubeconfig")
        # Loopback simulator: lift the production QPS cap so the test stays quick.
        snap = collect_kube(str(kubeconfig), name=spec.name, qps=1000, concurrency=4)
        return snap, live_pods_per_node(sim)


def _finding(evaluation: Evaluation, constraint: str, target: str) -> Finding:
    (found,) = [f for f in evaluation.findings if f.constraint == constraint and f.target == target]
    return found


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Snapshot, Evaluation]]:
    snap, _ = _collect(profile("bank"), tmp_path_factory.mktemp("bank"))
    yield snap, evaluate([snap], load_catalog())


def test_bank_measured_facts(bank: tuple[Snapshot, Evaluation]) -> None:
    snap, _ = bank
    assert snap.nodes.count == 1500 and snap.network_policies.count == 8000
    assert snap.etcd.db_size_bytes == 5 * GIB
    assert snap.etcd.quota_backend_bytes == 8 * GIB
    # only the facts a kube snapshot never has (collect etcd / the cloud collectors measure them)
    gaps = [g for g in snap.gaps if g.item.startswith(("etcd", "network_policies", "nodes"))]
    assert [g.item for g in gaps if g.item not in NOT_FROM_KUBE] == []


@pytest.mark.parametrize(
    ("target", "status", "limit_kind"),
    [
        ("self-hosted", "ok", "recommended"),  # 5 GiB of etcd's suggested 8 GiB maximum (62%, under the 70% watch line)
        ("eks", "ok", "hard"),  # 5 GiB of EKS's 8 GiB
        ("gke", "unknown", "not-published"),  # Google publishes no etcd size limit
        ("gke-autopilot", "unknown", "not-published"),
    ],
)
def test_bank_etcd_size_per_target(
    bank: tuple[Snapshot, Evaluation], target: str, status: str, limit_kind: str
) -> None:
    finding = _finding(bank[1], "etcd_db_size", target)
    assert (finding.status, finding.limit_kind) == (status, limit_kind)
    assert finding.observed == 5 * GIB and finding.source.startswith("https://")


@pytest.mark.parametrize("target", ["self-hosted", "eks", "gke", "gke-autopilot"])
def test_bank_network_policies_per_target(bank: tuple[Snapshot, Evaluation], target: str) -> None:
    """No target publishes a NetworkPolicy count limit: measured, never silently ok."""
    finding = _finding(bank[1], "network_policy_count", target)
    assert finding.observed == 8000
    assert finding.limit_kind == "not-published" and finding.status in ("unknown", "watch")
    assert "8,000" in finding.message


def test_bank_etcd_near_the_eks_limit_turns_at_risk(bank: tuple[Snapshot, Evaluation]) -> None:
    """The same cluster with a 7.5 GiB etcd: at risk on EKS (94% of 8 GiB), worth watching on GKE."""
    snap = bank[0]
    bigger = replace(snap, etcd=replace(snap.etcd, db_size_bytes=int(7.5 * GIB)))
    evaluation = evaluate([bigger], load_catalog(), ["eks", "gke"])
    assert _finding(evaluation, "etcd_db_size", "eks").status == "at-risk"
    assert _finding(evaluation, "etcd_db_size", "gke").status == "watch"


def test_300_pods_on_one_node_is_a_blocker_on_gke_and_eks(tmp_path: Path) -> None:
    spec = replace(profile("small"), name="hot", pods=400, hot_node_pods=300)
    snap, live = _collect(spec, tmp_path)
    # the hot node is bound 300 pods; a few of them finished (Succeeded/Failed) and no longer count
    assert snap.nodes.pods_per_node.max == max(live) > 256
    evaluation = evaluate([snap], load_catalog())
    gke = _finding(evaluation, "pods_per_node", "gke")
    eks = _finding(evaluation, "pods_per_node", "eks")
    assert (gke.status, gke.limit) == ("blocker", 256)
    assert (eks.status, eks.limit) == ("blocker", 250)
    assert _finding(evaluation, "pods_per_node", "self-hosted").status != "blocker"  # 110 is a recommendation
