"""``collect kube`` against the loopback simulator with the real kubernetes client: counts, stats, faults, CLI."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.kube import NOT_FROM_KUBE, _Facts, _Run, collect_kube
from evaluator.collectors.kube_client import POML, TokenBucket
from evaluator.collectors.kube_parse import PodTally
from evaluator.inventory import Snapshot, load_snapshot, utc_now
from evaluator.simulator import Faults, Simulator, parse_spec, profile

from .kube_support import live_pods_per_node, nearest_rank_p95, served_endpoints_total


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    with Simulator(profile("small")) as sim:
        yield sim, sim.write_kubeconfig(tmp_path_factory.mktemp("small") / "kubeconfig")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Snapshot]]:
    with Simulator(profile("bank")) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path_factory.mktemp("bank") / "kubeconfig")
        snap = collect_kube(str(kubeconfig))
        yield sim, snap


def _check_matches_truth(sim: Simulator, snap: Snapshot) -> None:
    truth = sim.truth
    assert snap.objects == sim.expected_counts()
    assert snap.namespaces == truth["namespaces"] and snap.crds == truth["crds"]
    assert snap.cluster.version == truth["version"] and snap.cluster.git_version == truth["git_version"]
    assert snap.cluster.platform == truth["platform"]

    n = snap.nodes
    assert n.count == truth["nodes"]["count"] and n.control_plane_count == truth["nodes"]["control_plane"]
    assert n.by_pool == truth["nodes"]["by_pool"]
    assert n.by_zone == truth["nodes"]["by_zone"]
    assert sum(n.by_pool_zone.values()) == sum(v for k, v in truth["nodes"]["by_pool"].items() if k != "(none)")
    for pool_zone in n.by_pool_zone:
        pool, _, zone = pool_zone.partition("/")
        assert pool in truth["nodes"]["by_pool"] and zone in truth["nodes"]["by_zone"]
    # every simulated pod has one container: containers == live (non-terminal) pods
    phases = truth["pods"]["by_phase"]
    assert snap.containers == truth["pods"]["count"] - phases.get("Failed", 0) - phases.get("Succeeded", 0)
    assert n.by_instance_type == truth["nodes"]["by_instance_type"]
    assert n.by_kubelet_version == truth["nodes"]["by_kubelet_version"]
    assert n.by_os == truth["nodes"]["by_os"] and n.by_arch == truth["nodes"]["by_arch"]
    alloc = truth["nodes"]["allocatable_pods"]
    assert (n.allocatable_pods.max, n.allocatable_pods.min) == (alloc["max"], alloc["min"])
    live = live_pods_per_node(sim)
    assert n.pods_per_node.max == max(live) and n.pods_per_node.min == min(live)
    assert n.pods_per_node.p95 == nearest_rank_p95(live)
    assert n.pods_per_node.mean == pytest.approx(sum(live) / len(live), abs=0.01)

    p, tp = snap.network_policies, truth["network_policies"]
    assert p.count == tp["count"] and p.max_per_namespace == tp["max_per_namespace"]
    assert p.namespaces_with_policies == tp["namespaces_with_policies"]
    assert (p.ingress_rules, p.egress_rules, p.peers, p.ports) == (
        tp["ingress_rules"],
        tp["egress_rules"],
        tp["peers"],
        tp["ports"],
    )
    assert p.ip_blocks == tp["ip_block_peers"]
    cni = truth["cni_policies"]
    if truth["cni"] == "calico":
        assert p.cni_policies == {
            "networkpolicies.crd.projectcalico.org": cni["calico_networkpolicies"],
            "globalnetworkpolicies.crd.projectcalico.org": cni["calico_globalnetworkpolicies"],
        }

    s, ts = snap.services, truth["services"]
    assert s.count == ts["count"] and s.by_type == ts["by_type"]
    assert s.max_endpoints_per_service == ts["endpoints"]["max"] and s.endpoints_total == served_endpoints_total(sim)

    w, tw = snap.webhooks, truth["webhooks"]
    assert w.mutating == tw["mutating"]["webhooks"] and w.validating == tw["validating"]["webhooks"]
    assert w.fail_closed == tw["mutating"]["fail_closed"] + tw["validating"]["fail_closed"]
    assert w.max_timeout_seconds == max(tw["mutating"]["max_timeout_seconds"], tw["validating"]["max_timeout_seconds"])

    assert snap.etcd.db_size_bytes == truth["etcd"]["db_size_bytes"]
    assert snap.etcd.source == f"apiserver-metrics:{truth['etcd']['size_metric']}"
    assert snap.etcd.quota_backend_bytes == truth["etcd"]["quota_backend_bytes"]
    assert snap.networking.cni == truth["cni"] and snap.networking.kube_proxy_mode == truth["kube_proxy_mode"]
    assert snap.control_plane.apiserver_flags == dict(sorted(truth["apiserver_flags"].items()))
    assert snap.control_plane.apiserver_count == truth["nodes"]["control_plane"]
    assert snap.collection.collectors == ["kube"] and snap.collection.requests == sim.request_count
    assert not sim.secret_data_served


def test_small_profile_matches_the_simulators_truth(small: tuple[Simulator, Path]) -> None:
    sim, kubeconfig = small
    sim.reset_counters()
    snap = collect_kube(str(kubeconfig), concurrency=3)
    _check_matches_truth(sim, snap)
    assert [g.item for g in snap.gaps] == sorted(NOT_FROM_KUBE)
    assert snap.control_plane.admission_plugins == ["NodeRestriction", "PodSecurity"]
    assert snap.networking.service_cidrs == ["10.96.0.0/12"] and snap.networking.ip_family == "ipv4"
    assert snap.collection.count_methods["configmaps"] == "metrics"
    assert snap.collection.count_methods["pods"] == "paged"
    assert sim.max_in_flight <= 3
    # Pods were read as a Table without objects, never as full Pod JSON.
    pod_lists = [r for r in sim.request_log if r.path == "/api/v1/pods"]
    # includeObject=Metadata: labels and ownerReferences for the NetworkPolicy analysis, still no pod specs.
    assert pod_lists and all("as=Table" in r.accept and r.query.get("includeObject") == "Metadata" for r in pod_lists)


@pytest.mark.slow
def test_bank_profile_matches_the_simulators_truth(bank: tuple[Simulator, Snapshot]) -> None:
    sim, snap = bank
    _check_matches_truth(sim, snap)
    assert [g.item for g in snap.gaps] == sorted(NOT_FROM_KUBE)
    assert snap.control_plane.feature_gates == {"APIPriorityAndFairness": True, "KMSv2": True}
    assert "EventRateLimit" in snap.control_plane.admission_plugins
    # Counts come from /metrics; only the sections' own lists are paged: ~90 Table pages of pods and a few more
    # (8 core lists plus the two Calico policy kinds the dataplane analysis reads).
    methods = Counter(snap.collection.count_methods.values())
    assert methods["remaining"] == 0 and methods["paged"] == 10
    assert snap.collection.requests is not None and snap.collection.requests < 160


def test_cli_end_to_end(small: tuple[Simulator, Path], tmp_path: Path) -> None:
    sim, kubeconfig = small
    out = tmp_path / "snap.json"
    result = CliRunner().invoke(
        cli, ["collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(out), "--name", "lab"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout and "pods per node" in result.stdout
    snap = load_snapshot(out)
    assert snap.cluster.name == "lab" and snap.objects == sim.expected_counts()
    assert snap.nodes.count == 5


def test_default_file_name_in_the_current_folder(
    small: tuple[Simulator, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sim, kubeconfig = small
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["collect", "kube", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 0, result.output
    written = list(tmp_path.glob("self-hosted-sim-*.json"))
    assert len(written) == 1 and load_snapshot(written[0]).cluster.name == "sim"


def test_throttling_errors_and_expired_continue_still_give_exact_counts(tmp_path: Path) -> None:
    faults = Faults(
        throttle_first={"/api/v1/pods": 2},
        retry_after_seconds=1,
        error_first={"/api/v1/nodes": 2, "/apis/networking.k8s.io/v1/networkpolicies": 1},
        expire_continue_at=2,
        expire_continue_times=3,
    )
    with Simulator(profile("small"), faults=faults) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        started = time.monotonic()
        snap = collect_kube(str(kubeconfig), page_size=7)  # small pages so lists take several continues
        elapsed = time.monotonic() - started
        statuses = Counter(r.status for r in sim.request_log)
        assert statuses[429] == 2 and statuses[500] == 3 and statuses[410] == 3
        assert elapsed >= 2.0  # two Retry-After: 1 waits were honoured, not skipped
        _check_matches_truth(sim, snap)
        assert [g.item for g in snap.gaps] == sorted(NOT_FROM_KUBE)


def test_forbidden_network_policies_give_a_partial_snapshot(tmp_path: Path) -> None:
    with Simulator(profile("small"), faults=Faults(forbidden=["networkpolicies"])) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        out = tmp_path / "snap.json"
        result = CliRunner().invoke(cli, ["collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "gap: network_policies: 403 Forbidden" in result.stderr
        snap = load_snapshot(out)
        assert snap.network_policies.count is None and snap.network_policies.ingress_rules is None
        gap = snap.gap_for("network_policies")
        assert gap is not None and gap.source == "kube" and "403" in gap.reason
        # Everything else was still measured; the metric still counts the policies as stored objects.
        assert snap.nodes.count == 5 and snap.services.count == sim.truth["services"]["count"]
        assert snap.objects["networkpolicies.networking.k8s.io"] == sim.truth["network_policies"]["count"]


def test_without_metrics_counts_fall_back_to_remaining_item_count(tmp_path: Path) -> None:
    with Simulator(profile("small"), faults=Faults(not_found=["/metrics"])) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        snap = collect_kube(str(kubeconfig), page_size=4, qps=200)
        assert snap.objects == sim.expected_counts()
        methods = snap.collection.count_methods
        assert methods["configmaps"] == "remaining" and methods["secrets"] == "remaining"
        assert methods["pods"] == "paged"
        assert snap.etcd.db_size_bytes is None and snap.gap_for("etcd.db_size_bytes") is not None
        metrics_gap = snap.gap_for("metrics")
        assert metrics_gap is not None and metrics_gap.reason.startswith("404")
        secret_reads = [r for r in sim.request_log if r.path == "/api/v1/secrets"]
        assert secret_reads and all(r.accept.startswith(POML) and r.query.get("limit") == "1" for r in secret_reads)
        assert not sim.secret_data_served


def test_forbidden_secrets_without_metrics_is_a_gap_not_a_failure(tmp_path: Path) -> None:
    faults = Faults(not_found=["/metrics"], forbidden=["secrets", "pods"])
    with Simulator(profile("small"), faults=faults) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), qps=200)
        assert "secrets" not in snap.objects and "pods" not in snap.objects
        assert {g.item for g in snap.gaps} >= {"objects.secrets", "objects.pods", "nodes.pods_per_node"}
        assert snap.nodes.pods_per_node.max is None and snap.nodes.count == 5
        assert not sim.secret_data_served


def test_rejected_token_exits_3(tmp_path: Path) -> None:
    with Simulator(profile("small"), token="right") as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        kubeconfig.write_text(kubeconfig.read_text().replace("token: right", "token: wrong"))
        result = CliRunner().invoke(cli, ["collect", "kube", "--kubeconfig", str(kubeconfig)])
        assert result.exit_code == 3
        assert "401 Unauthorized" in result.output and "Traceback" not in result.output


MANAGED = """
name: {platform}-lab
version: "1.30.2"
platform: {platform}
nodes: 4
pods: 40
namespaces: 6
services: 4
network_policies: 3
cni: {cni}
kube_proxy_mode: {proxy}
"""


@pytest.mark.parametrize(
    ("platform", "cni", "proxy", "provider", "pool_label"),
    [
        ("eks", "aws-vpc-cni", "iptables", "aws", "eks.amazonaws.com/nodegroup"),
        ("gke", "gke-dataplane-v2", "none", "gcp", "cloud.google.com/gke-nodepool"),
    ],
)
def test_managed_platforms_are_detected(
    tmp_path: Path, platform: str, cni: str, proxy: str, provider: str, pool_label: str
) -> None:
    spec = parse_spec(MANAGED.format(platform=platform, cni=cni, proxy=proxy))
    with Simulator(spec) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
        assert snap.cluster.platform == platform and snap.cluster.provider == provider
        assert snap.networking.cni == cni and snap.networking.kube_proxy_mode == proxy
        assert snap.nodes.by_pool == sim.truth["nodes"]["by_pool"] and sim.truth["nodes"]["pool_label"] == pool_label
        assert snap.nodes.control_plane_count == 0 and snap.control_plane.apiserver_flags == {}
        # No static control-plane pods to look for on a managed control plane.
        assert not any(r.query.get("labelSelector") for r in sim.request_log)
        assert snap.objects == sim.expected_counts()


def test_token_bucket_caps_the_rate() -> None:
    bucket = TokenBucket(qps=20, burst=1)
    started = time.monotonic()
    for _ in range(11):
        bucket.take()
    assert time.monotonic() - started >= 0.45  # 10 tokens after the first at 20/s


def test_tls_failure_exits_3_with_one_line(small: tuple[Simulator, Path], tmp_path: Path) -> None:
    sim, _ = small
    kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
    # The simulator speaks plain HTTP: a TLS handshake against it fails as a bad certificate setup would.
    kubeconfig.write_text(kubeconfig.read_text().replace("http://", "https://"))
    result = CliRunner().invoke(cli, ["collect", "kube", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 3, result.output
    assert "TLS failure" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("version", "count_metric"),
    [
        ("1.22.17", "apiserver_storage_objects"),
        ("1.20.15", "etcd_object_counts"),
        ("1.35.0", "apiserver_resource_objects"),
    ],
)
def test_metric_names_of_each_version(tmp_path: Path, version: str, count_metric: str) -> None:
    spec = parse_spec(MANAGED.format(platform="self-hosted", cni="calico", proxy="ipvs").replace("1.30.2", version))
    with Simulator(spec) as sim:
        assert sim.truth["metrics"][count_metric] == count_metric
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
        assert snap.objects == sim.expected_counts() and snap.collection.count_methods["configmaps"] == "metrics"
        assert snap.etcd.db_size_bytes == sim.truth["etcd"]["db_size_bytes"]
        assert snap.etcd.source == f"apiserver-metrics:{sim.truth['etcd']['size_metric']}"
        assert snap.cluster.version == version


def test_legacy_discovery_when_aggregated_is_not_served(
    small: tuple[Simulator, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Servers before 1.26 ignore the aggregated-discovery Accept and answer with the legacy documents; asking
    # the simulator for plain JSON gives the same answer, so the request header is swapped here.
    from evaluator.collectors import kube

    monkeypatch.setattr(kube, "AGGREGATED_DISCOVERY", "application/json")
    sim, kubeconfig = small
    sim.reset_counters()
    snap = collect_kube(str(kubeconfig))
    assert snap.objects == sim.expected_counts() and [g.item for g in snap.gaps] == sorted(NOT_FROM_KUBE)
    groups = {p for p in sim.requests_by_path if p.startswith("/apis/") and p.count("/") == 3}
    assert "/apis/apps/v1" in groups and "/api/v1" in sim.requests_by_path


def test_a_pods_table_without_a_node_column_is_a_gap_in_the_snapshot() -> None:
    # The section builders run after the collection; their gaps must still reach the snapshot.
    pods = PodTally()
    pods.add(
        {
            "kind": "Table",
            "columnDefinitions": [{"name": "Name"}, {"name": "Status"}],
            "rows": [{"cells": ["a", "Running"]}],
        }
    )
    run = _Run(SimpleNamespace(requests=0), page_size=500, concurrency=1, progress=lambda _m: None)  # type: ignore[arg-type]
    snap = run.snapshot(
        _Facts(git_version="v1.31.2", pods=pods),
        cluster_name="c",
        platform=None,
        endpoint="https://127.0.0.1:6443",
        collected_at=utc_now(),
        duration=0.0,
    )
    gap = snap.gap_for("nodes.pods_per_node")
    assert gap is not None and "no Node column" in gap.reason
    assert snap.nodes.pods_per_node.max is None
