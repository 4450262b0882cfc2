"""Credentials that hang, fail or are missing: an exec plugin is bounded (exit 3 naming it), a missing client
certificate or token file is exit 2 naming it, and credentials that fail to load never fall back to anonymous."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluator.simulator import Simulator, profile

CLI = "import sys; from evaluator.cli import main; sys.argv[0] = 'k8seval'; main()"


def _k8seval(*args: str, timeout: float = 60) -> tuple[int, str, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


def _kubeconfig(path: Path, server: str, user: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: '{server}'}}}}]\n"
        f"users: [{{name: u, user: {user}}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    return path


def _plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.sh"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return script


def _exec_user(script: Path) -> str:
    return f"{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{script}', interactiveMode: Never}}}}"


@pytest.fixture(scope="module")
def anonymous_sim() -> Simulator:
    with Simulator(profile("small"), token=None) as sim:  # a server that allows anonymous reads
        yield sim


def test_a_hanging_exec_plugin_is_bounded(tmp_path: Path, anonymous_sim: Simulator) -> None:
    script = _plugin(tmp_path, "sleep 20")
    cfg = _kubeconfig(tmp_path / "kc", anonymous_sim.url, _exec_user(script))
    args = ["collect", "kube", "--kubeconfig", str(cfg), "--timeout", "2", "-o", str(tmp_path / "s")]
    code, out, seconds = _k8seval(*args)
    assert code == 3, out
    assert str(script) in out and "Traceback" not in out, out
    assert seconds < 15
    assert not (tmp_path / "s").exists()


def test_a_failing_exec_plugin_is_exit_3_naming_it(tmp_path: Path, anonymous_sim: Simulator) -> None:
    script = _plugin(tmp_path, "echo 'token expired, run login' >&2; exit 1")
    cfg = _kubeconfig(tmp_path / "kc", anonymous_sim.url, _exec_user(script))
    code, out, _ = _k8seval("collect", "kube", "--kubeconfig", str(cfg), "-o", str(tmp_path / "s"))
    assert code == 3, out
    assert str(script) in out and "Traceback" not in out, out
    assert not (tmp_path / "s").exists()  # not collected anonymously


def test_a_plugin_without_a_token_does_not_fall_back_to_anonymous(tmp_path: Path, anonymous_sim: Simulator) -> None:
    status = '{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {}}'
    script = _plugin(tmp_path, f"echo '{status}'")
    cfg = _kubeconfig(tmp_path / "kc", anonymous_sim.url, _exec_user(script))
    code, out, _ = _k8seval("collect", "kube", "--kubeconfig", str(cfg), "-o", str(tmp_path / "s"))
    assert code == 3 and "anonymous" in out, out
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("{client-certificate: missing.crt, client-key: missing.key}", "missing.crt"),
        ("{tokenFile: /nonexistent/token}", "/nonexistent/token"),
    ],
    ids=["client-certificate", "tokenFile"],
)
def test_a_missing_credential_file_is_exit_2_naming_it(
    tmp_path: Path, anonymous_sim: Simulator, user: str, name: str
) -> None:
    cfg = _kubeconfig(tmp_path / "kc", anonymous_sim.url, user)
    code, out, _ = _k8seval("collect", "kube", "--kubeconfig", str(cfg), "-o", str(tmp_path / "s"))
    assert code == 2, out
    assert name in out and str(cfg) in out and "Traceback" not in out, out


@pytest.mark.parametrize("problem", ["missing-kubeconfig", "unknown-context"])
def test_audit_checks_kubeconfigs_before_collecting(tmp_path: Path, anonymous_sim: Simulator, problem: str) -> None:
    good = anonymous_sim.write_kubeconfig(tmp_path / "good.kc")
    if problem == "missing-kubeconfig":
        bad = "{kubeconfig: " + str(tmp_path / "nope.kc") + ", name: b}"
    else:
        bad = "{kubeconfig: " + str(good) + ", context: nosuch, name: b}"
    config = tmp_path / "k8seval.yaml"
    config.write_text(f"sources:\n  kube:\n    - {{kubeconfig: {good}, name: a}}\n    - {bad}\n")
    before = anonymous_sim.request_count
    code, out, _ = _k8seval("audit", "--config", str(config), "--out", str(tmp_path / "out"))
    assert code == 2, out
    assert str(config) in out and ("nope.kc" in out or "nosuch" in out), out
    assert anonymous_sim.request_count == before  # nothing was collected
    assert not (tmp_path / "out").exists()
