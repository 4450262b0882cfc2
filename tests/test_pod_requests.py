"""Pod requests from kube-state-metrics through a real Prometheus, and GKE Autopilot priced on them."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import NodeInventory, PodRequests, ServiceInventory, load_snapshot
from evaluator.scoring.cost import cost_assumptions_from_data, estimate_costs
from tests.factories import make_snapshot
from tests.prometheus_support import FIXTURES_REAL, backfill, needs_prometheus, parse_exposition, start_prometheus

DAY = 86400
END = 1_780_000_000 - 1_780_000_000 % DAY
SHIPPED = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "cost_assumptions.yaml"
TABLES = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "prices"


def _series(with_requests: bool) -> str:
    """Three daily steps of one cluster: kube-state-metrics' own pod1 request lines (Running), the same lines
    for a Succeeded pod2 (not billed, so not summed), a node, and the pods' info and phases."""
    recorded = parse_exposition((FIXTURES_REAL / "kube-state-metrics-pod-requests.prom").read_text())
    samples = []
    for pod, phase in (("pod1", "Running"), ("pod2", "Succeeded")):
        if with_requests:
            samples += [(n, tuple((k, pod if k == "pod" else v) for k, v in labels), x) for n, labels, x in recorded]
        samples.append(("kube_pod_info", (("namespace", "ns1"), ("node", "n1"), ("pod", pod), ("uid", pod)), 1.0))
        for p in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
            labels = (("namespace", "ns1"), ("phase", p), ("pod", pod), ("uid", pod))
            samples.append(("kube_pod_status_phase", labels, 1.0 if p == phase else 0.0))
    samples.append(("kube_node_info", (("kubelet_version", "v1.33.2"), ("node", "n1")), 1.0))
    families: dict[str, list[str]] = {}
    for day in range(3):
        ts = END - (2 - day) * DAY
        for name, labels, value in samples:
            text = ",".join(f'{k}="{v}"' for k, v in (("cluster", "bank"), *labels))
            families.setdefault(name, []).append(f"{name}{{{text}}} {value:g} {ts}\n")
    out = []
    for name in sorted(families):
        out.append(f"# TYPE {name} gauge\n")
        out += families[name]
    return "".join(out) + "# EOF\n"


def _collect(tmp_path: Path, with_requests: bool) -> list:
    (tmp_path / "om").mkdir()
    (tmp_path / "om" / "series.om").write_text(_series(with_requests))
    backfill(tmp_path / "om", tmp_path / "tsdb")
    proc, url = start_prometheus(tmp_path / "tsdb")
    try:
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END))
        args = ["collect", "prometheus", "--url", url, "--range", "3d", "--step", "1d", "--end", end]
        result = CliRunner().invoke(cli, [*args, "--platform", "gke", "-o", str(tmp_path / "out")])
    finally:
        proc.stop()
    assert result.exit_code == 0, result.output
    return [load_snapshot(p) for p in sorted((tmp_path / "out").glob("*.json"))]


@needs_prometheus
def test_collect_prometheus_sums_the_requests_of_running_pods(tmp_path: Path) -> None:
    snaps = _collect(tmp_path, with_requests=True)
    assert len(snaps) == 3
    for snap in snaps:
        # pod1's two containers: 0.2 + 0.3 cores, 1e8 + 2e8 bytes; pod2 has Succeeded; GPU and storage are not summed
        assert snap.pod_requests == PodRequests(
            cpu_cores=0.5, memory_gib=round(3e8 / 2**30, 3), source="kube_pod_container_resource_requests"
        )
        assert snap.collection.sources["pod_requests"] == "kube_pod_container_resource_requests"
        assert snap.gap_for("pod_requests") is None


@needs_prometheus
def test_without_the_requests_metric_pod_requests_is_null_with_a_gap(tmp_path: Path) -> None:
    snap = _collect(tmp_path, with_requests=False)[-1]
    assert snap.pod_requests is None
    gap = snap.gap_for("pod_requests")
    assert gap is not None and "kube_pod_container_resource_requests" in gap.reason


def _assumptions(tmp_path: Path, autopilot: dict[str, float] | None) -> object:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["regions"] = {"aws": "us-east-1", "gcp": "us-central1"}
    data["support"] = {"aws": "none", "gcp": "none"}
    data["discounts"] = {"aws_compute_pct": 0, "gcp_compute_pct": 20}
    if autopilot is not None:  # a table the user refreshed or wrote, with Autopilot prices (test values)
        table = yaml.safe_load((TABLES / "gcp-us-central1.yaml").read_text(encoding="utf-8"))
        for key, value in autopilot.items():
            table["items"][key] = {
                "value": value,
                "unit": "USD/hour",
                "source": "https://cloud.google.com/kubernetes-engine/pricing",
                "verified": "2026-12-01",
            }
        (tmp_path / "gcp.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
        data["price_tables"] = [str(tmp_path / "gcp.yaml")]
    return cost_assumptions_from_data(copy.deepcopy(data), where="costs.yaml")


def _snapshot(requests: PodRequests | None):
    return make_snapshot(
        version="1.33.2",
        nodes=NodeInventory(count=10, by_instance_type={"m5.4xlarge": 10}),
        services=ServiceInventory(count=3, by_type={"ClusterIP": 3}),
        pod_requests=requests,
    )


def test_autopilot_is_priced_on_the_measured_pod_requests(tmp_path: Path) -> None:
    a = _assumptions(tmp_path, {"autopilot_vcpu_hour": 0.04, "autopilot_memory_gib_hour": 0.005})
    requests = PodRequests(cpu_cores=120.5, memory_gib=480.25, source="kube_pod_container_resource_requests")
    est = estimate_costs(_snapshot(requests), ["gke-autopilot"], a)[0]
    workers = {line.item: line for line in est.lines if line.category == "workers"}
    cpu = workers["Autopilot pod CPU requests: 120 vCPU"]
    mem = workers["Autopilot pod memory requests: 480 GiB"]
    assert cpu.monthly_usd == pytest.approx(120.5 * 0.04 * 730, abs=0.01)
    assert mem.monthly_usd == pytest.approx(480.25 * 0.005 * 730, abs=0.01)
    assert "kube_pod_container_resource_requests" in cpu.basis and cpu.source.startswith("https://")
    discount = workers["committed-use discount (20 %)"]
    assert discount.monthly_usd == pytest.approx(-0.2 * (cpu.monthly_usd + mem.monthly_usd), abs=0.01)
    assert not [line for line in est.lines if line.category == "workers" and line.gap]


def test_autopilot_gaps_name_the_missing_price_or_the_missing_requests(tmp_path: Path) -> None:
    shipped = _assumptions(tmp_path, None)  # the shipped us-central1 table: the vCPU price, no GiB price
    requests = PodRequests(cpu_cores=8, memory_gib=32, source="kube_pod_container_resource_requests")
    est = estimate_costs(_snapshot(requests), ["gke-autopilot"], shipped)[0]
    gaps = {line.item: line.gap for line in est.lines if line.gap}
    cpu = next(x for x in est.lines if x.item == "Autopilot pod CPU requests: 8 vCPU")
    assert cpu.monthly_usd == pytest.approx(8 * 0.0445 * 730) and not cpu.gap
    assert "autopilot_memory_gib_hour" in gaps["Autopilot pod memory requests: 32 GiB"]
    assert not est.complete
    priced = _assumptions(tmp_path, {"autopilot_vcpu_hour": 0.04, "autopilot_memory_gib_hour": 0.005})
    without = _snapshot(None).with_gap("prometheus", "pod_requests", "Prometheus has no such series")
    line = next(x for x in estimate_costs(without, ["gke-autopilot"], priced)[0].lines if x.category == "workers")
    assert line.monthly_usd is None and "pod requests" in line.gap and "Prometheus has no such series" in line.gap
    assert "Autopilot vCPU or GiB price" not in line.gap  # the prices are there: only the requests are missing
    both = next(x for x in estimate_costs(without, ["gke-autopilot"], shipped)[0].lines if x.category == "workers")
    assert "pod requests" in both.gap
    assert "nor is an Autopilot vCPU or GiB price in the gcp us-central1 table" in both.gap
