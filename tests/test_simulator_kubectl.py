"""The simulator against real kubectl: ``k8seval simulate`` in a subprocess, then kubectl get/api-resources/raw."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.simulator import Faults, Simulator, profile
from tests.simulator_support import SimulateProcess, kubectl, needs_kubectl

pytestmark = needs_kubectl


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """``k8seval simulate --profile small`` running for the whole module."""
    proc = SimulateProcess(tmp_path_factory.mktemp("sim"), "--profile", "small")
    yield proc
    code, out = proc.stop()
    assert code == 0 and "Stopped after" in out


def test_get_pods_in_chunks_lists_every_pod(served: SimulateProcess) -> None:
    spec = profile("small")
    result = kubectl(served.kubeconfig, "get", "pods", "-A", "--chunk-size=7", "--no-headers")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == spec.pods
    keys = [tuple(line.split()[:2]) for line in lines]
    assert len(set(keys)) == spec.pods  # no pod twice across page boundaries
    # the printer's vocabulary: "Error" for a Running pod between restarts, "ExitCode:1" for a Failed one
    statuses = {"Running", "ContainerCreating", "Completed", "OOMKilled", "Error", "ExitCode:1"}
    assert all(line.split()[3] in statuses for line in lines)


def test_get_nodes_shows_roles_and_version(served: SimulateProcess) -> None:
    lines = kubectl(served.kubeconfig, "get", "nodes").stdout.strip().splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert len(lines) == 1 + profile("small").nodes
    assert sum("control-plane" in line for line in lines) == 1
    assert all(line.split()[1] == "Ready" and line.split()[4] == "v1.29.4" for line in lines[1:])
    wide = kubectl(served.kubeconfig, "get", "nodes", "-o", "wide").stdout
    assert "Ubuntu 22.04.4 LTS" in wide and "containerd://" in wide


def test_get_networkpolicies_all_namespaces(served: SimulateProcess) -> None:
    lines = kubectl(served.kubeconfig, "get", "networkpolicies", "-A", "--no-headers").stdout.strip().splitlines()
    assert len(lines) == profile("small").network_policies
    calico = kubectl(served.kubeconfig, "get", "networkpolicies.crd.projectcalico.org", "-A", "--no-headers")
    assert len(calico.stdout.strip().splitlines()) == profile("small").calico_policies


def test_api_resources_lists_builtin_and_cni_resources(served: SimulateProcess) -> None:
    out = kubectl(served.kubeconfig, "api-resources").stdout
    rows = {line.split()[0]: line for line in out.strip().splitlines()[1:]}
    for name in (
        "pods",
        "nodes",
        "networkpolicies",
        "deployments",
        "endpointslices",
        "customresourcedefinitions",
        "globalnetworkpolicies",
        "validatingwebhookconfigurations",
    ):
        assert name in rows, name
    assert "netpol" in rows["networkpolicies"]


def test_raw_metrics_and_version(served: SimulateProcess) -> None:
    metrics = kubectl(served.kubeconfig, "get", "--raw", "/metrics").stdout
    assert 'apiserver_storage_objects{resource="pods"} 60' in metrics
    assert 'apiserver_storage_objects{resource="networkpolicies.networking.k8s.io"} 20' in metrics
    assert 'apiserver_storage_size_bytes{storage_cluster_id="etcd-0"} 52428800' in metrics
    version = json.loads(kubectl(served.kubeconfig, "version", "-o", "json").stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.29.4"


def test_get_pods_json_has_every_item(served: SimulateProcess) -> None:
    data = json.loads(kubectl(served.kubeconfig, "get", "pods", "-A", "-o", "json").stdout)
    assert len(data["items"]) == 60
    static = [p for p in data["items"] if p["metadata"]["name"].startswith("kube-apiserver-")]
    assert len(static) == 1 and static[0]["spec"]["containers"][0]["command"][0] == "kube-apiserver"


def test_get_single_objects_and_kube_proxy_config(served: SimulateProcess) -> None:
    cm = json.loads(
        kubectl(served.kubeconfig, "-n", "kube-system", "get", "configmap", "kube-proxy", "-o", "json").stdout
    )
    assert 'mode: "iptables"' in cm["data"]["config.conf"]
    missing = kubectl(served.kubeconfig, "get", "pod", "-n", "default", "no-such-pod", check=False)
    assert missing.returncode == 1 and 'pods "no-such-pod" not found' in missing.stderr


def test_kubectl_secrets_table_does_not_expose_data(tmp_path: Path) -> None:
    with Simulator(profile("small")) as sim:
        kc = sim.write_kubeconfig(tmp_path / "kc")
        out = kubectl(kc, "get", "secrets", "-A", "--no-headers").stdout
        assert len(out.strip().splitlines()) == sim.expected_counts()["secrets"]
        assert sim.secret_data_served is False
        kubectl(kc, "get", "secrets", "-A", "-o", "json")
        assert sim.secret_data_served is True


def test_kubectl_survives_throttling_and_expired_continue(tmp_path: Path) -> None:
    faults = Faults(throttle_first={"/api/v1/pods": 1}, expire_continue_at=2)
    with Simulator(profile("small"), faults=faults) as sim:
        kc = sim.write_kubeconfig(tmp_path / "kc")
        result = kubectl(kc, "get", "pods", "-A", "--chunk-size=10", "--no-headers", check=False)
        statuses = [r.status for r in sim.request_log if r.path == "/api/v1/pods"]
        assert 429 in statuses and 410 in statuses
        # kubectl surfaces the 410 (it does not restart the list itself); the error names the expiry.
        assert result.returncode != 0 and "too old" in result.stderr


def test_cli_port_in_use_and_bad_spec(tmp_path: Path) -> None:
    runner = CliRunner()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli, ["simulate", "--port", str(port)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "address already in use" in result.stderr
    bad = tmp_path / "spec.yaml"
    bad.write_text("name: x\nnodes: ten\npods: 10\nnamespaces: 4\n")
    result = runner.invoke(cli, ["simulate", "--spec", str(bad)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"k8seval: error: {bad}: nodes: expected an integer, got 'ten'"
