"""The in-cluster configuration, exercised: the simulator serves HTTPS (a CA made here with `cryptography`) and
demands a bearer token; `k8seval collect kube` runs as it would in a pod (KUBERNETES_SERVICE_HOST/PORT, a
service-account folder with token and CA), and real kubectl works with the same token and CA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluator.simulator import Simulator, TLSFiles, profile
from tests.etcd_support import make_pki
from tests.in_cluster_support import TOKEN, service_account_dir
from tests.simulator_support import KUBECTL, SimulateProcess, kubectl, needs_kubectl

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - TlsFiles from etcd_support
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def sim(pki) -> Iterator[Simulator]:  # noqa: ANN001
    tls = TLSFiles(cert_file=pki.server_cert, key_file=pki.server_key, ca_file=pki.ca)
    with Simulator(profile("small"), token=TOKEN, tls=tls) as server:
        yield server


def in_cluster_env(sim: Simulator | int, sa: Path, home: Path) -> dict[str, str]:
    """A pod's environment: the service host and port (of ``sim``, or a port), no kubeconfig anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "K8SEVAL_"))}
    env.update(
        KUBERNETES_SERVICE_HOST="127.0.0.1",
        KUBERNETES_SERVICE_PORT=str(sim if isinstance(sim, int) else sim.port),
        K8SEVAL_SERVICE_ACCOUNT_DIR=str(sa),
        HOME=str(home),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def collect(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "from evaluator.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "collect", "kube", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_simulator_serves_https_and_requires_the_token(sim: Simulator) -> None:
    assert sim.url.startswith("https://127.0.0.1:")
    kc = sim.kubeconfig()
    assert kc["clusters"][0]["cluster"]["certificate-authority-data"]
    assert kc["users"][0]["user"] == {"token": TOKEN}


def test_collect_kube_in_cluster(sim: Simulator, pki, tmp_path: Path) -> None:  # noqa: ANN001
    sa = service_account_dir(tmp_path / "sa", pki.ca)
    out = tmp_path / "snap.json"
    sim.reset_counters()
    result = collect(in_cluster_env(sim, sa, tmp_path), "--name", "in-cluster-small", "-o", str(out))
    assert result.returncode == 0, result.stderr
    snap = json.loads(out.read_text())
    assert snap["cluster"]["name"] == "in-cluster-small"
    assert snap["cluster"]["endpoint"] == f"https://127.0.0.1:{sim.port}"
    assert snap["objects"]["pods"] == sim.expected_counts()["pods"]
    assert snap["nodes"]["count"] == sim.expected_counts()["nodes"]
    assert sim.request_count > 5
    assert not [r for r in sim.request_log if r.status == 401]


def test_rejected_token_and_unknown_ca_exit_3(sim: Simulator, pki, tmp_path: Path) -> None:  # noqa: ANN001
    bad_token = service_account_dir(tmp_path / "bad-token", pki.ca, token="expired")
    result = collect(in_cluster_env(sim, bad_token, tmp_path), "-o", str(tmp_path / "a.json"))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "a.json").exists()
    other = make_pki(tmp_path / "other-pki")
    bad_ca = service_account_dir(tmp_path / "bad-ca", other.ca)
    result = collect(in_cluster_env(sim, bad_ca, tmp_path), "-o", str(tmp_path / "b.json"))
    assert result.returncode == 3, result.stderr
    assert "certificate" in result.stderr.lower() and "Traceback" not in result.stderr


def test_missing_service_account_token_is_exit_3(sim: Simulator, tmp_path: Path) -> None:
    result = collect(in_cluster_env(sim, tmp_path / "empty", tmp_path), "-o", str(tmp_path / "c.json"))
    assert result.returncode == 3, result.stderr
    assert "in-cluster configuration unusable" in result.stderr


@needs_kubectl
def test_kubectl_with_token_and_ca(sim: Simulator, pki, tmp_path: Path) -> None:  # noqa: ANN001
    assert KUBECTL is not None
    (tmp_path / "none").write_text("apiVersion: v1\nkind: Config\n")  # no clusters, users or contexts
    base = [KUBECTL, f"--server={sim.url}", f"--certificate-authority={pki.ca}", "--request-timeout=60s",
            f"--cache-dir={tmp_path / 'cache'}", f"--kubeconfig={tmp_path / 'none'}"]  # fmt: skip
    ok = subprocess.run([*base, f"--token={TOKEN}", "get", "nodes", "-o", "name"], capture_output=True, text=True,
                        timeout=120)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.split()) == sim.expected_counts()["nodes"]
    denied = subprocess.run([*base, "--token=wrong", "get", "nodes"], capture_output=True, text=True, timeout=120)
    assert denied.returncode != 0 and "Unauthorized" in denied.stderr
    untrusted = subprocess.run(
        [*base[:2], f"--certificate-authority={make_pki(tmp_path / 'x').ca}", *base[3:], f"--token={TOKEN}", "get",
         "nodes"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert untrusted.returncode != 0 and "certificate" in untrusted.stderr
    # The kubeconfig the simulator writes carries the CA data and the token.
    kc = sim.write_kubeconfig(tmp_path / "kc")
    pods = kubectl(kc, "get", "pods", "-A", "--chunk-size=20", "-o", "name")
    assert len(pods.stdout.split()) == sim.expected_counts()["pods"]


@needs_kubectl
def test_simulate_command_with_tls_and_token(tmp_path: Path) -> None:
    # `k8seval simulate --tls DIR --token T`: a CA made for the run, a kubeconfig that trusts it and sends the
    # token, and DIR laid out as a service-account folder; real kubectl and the in-cluster collector use them.
    assert KUBECTL is not None
    sa = tmp_path / "sa"
    proc = SimulateProcess(tmp_path, "--profile", "small", "--tls", str(sa), "--token", TOKEN)
    try:
        assert proc.url.startswith("https://127.0.0.1:")
        assert {p.name for p in sa.iterdir()} == {"ca.crt", "server.crt", "server.key", "token", "namespace"}
        assert (sa / "server.key").stat().st_mode & 0o077 == 0 and (sa / "token").read_text() == TOKEN
        expected = Simulator(profile("small")).expected_counts()
        nodes = kubectl(proc.kubeconfig, "get", "nodes", "-o", "name")
        assert len(nodes.stdout.split()) == expected["nodes"]
        base = [KUBECTL, f"--server={proc.url}", f"--certificate-authority={sa / 'ca.crt'}", "--request-timeout=60s",
                f"--cache-dir={tmp_path / 'cache'}", f"--kubeconfig={tmp_path / 'none'}"]  # fmt: skip
        (tmp_path / "none").write_text("apiVersion: v1\nkind: Config\n")
        ok = subprocess.run([*base, f"--token={TOKEN}", "get", "namespaces", "-o", "name"], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
        assert ok.returncode == 0 and len(ok.stdout.split()) == expected["namespaces"], ok.stderr
        denied = subprocess.run([*base, "--token=wrong", "get", "nodes"], capture_output=True, text=True, timeout=120)
        assert denied.returncode != 0 and "Unauthorized" in denied.stderr
        untrusted = subprocess.run([KUBECTL, f"--server={proc.url}", *base[2:], f"--token={TOKEN}", "get", "nodes",
                                    f"--certificate-authority={make_pki(tmp_path / 'x').ca}"],
                                   capture_output=True, text=True, timeout=120)  # fmt: skip
        assert untrusted.returncode != 0 and "certificate" in untrusted.stderr
        out = tmp_path / "snap.json"
        port = int(proc.url.rsplit(":", 1)[1])
        result = collect(in_cluster_env(port, sa, tmp_path), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert json.loads(out.read_text())["objects"]["pods"] == expected["pods"]
    finally:
        code, stdout = proc.stop()
    assert code == 0 and "Stopped after" in stdout


def test_simulate_tls_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli

    (tmp_path / "f").write_text("x")
    result = CliRunner().invoke(cli, ["simulate", "--tls", str(tmp_path / "f")], catch_exceptions=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
