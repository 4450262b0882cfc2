"""``collect kube`` error paths that need no server: bad kubeconfigs exit 2, an unreachable server exits 3."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def _kubeconfig(path: Path, server: str, context: str = "sim") -> Path:
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {{server: "{server}"}}
users:
- name: u1
  user: {{token: abc}}
contexts:
- name: {context}
  context: {{cluster: c1, user: u1}}
current-context: {context}
""",
        encoding="utf-8",
    )
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["collect", "kube", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_unreachable_server_exits_3_with_one_line(tmp_path: Path) -> None:
    cfg = _kubeconfig(tmp_path / "kc.yaml", f"http://127.0.0.1:{_closed_port()}")
    code, out = _run("--kubeconfig", str(cfg), "-o", str(tmp_path / "s.json"))
    assert code == 3
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "connection refused" in lines[0] and "Traceback" not in out
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("clusters: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("clusters: 5\n", "clusters: expected a list"),
        ("apiVersion: v1\nclusters: []\ncontexts: []\nusers: []\n", "no current-context"),
    ],
)
def test_malformed_kubeconfig_exits_2_naming_the_file(tmp_path: Path, content: str, expected: str) -> None:
    cfg = tmp_path / "broken.yaml"
    cfg.write_text(content, encoding="utf-8")
    code, out = _run("--kubeconfig", str(cfg))
    assert code == 2, out
    assert str(cfg) in out and expected in out and "Traceback" not in out


def test_missing_kubeconfig_file_and_unknown_context_exit_2(tmp_path: Path) -> None:
    code, out = _run("--kubeconfig", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in out and "not found" in out
    cfg = _kubeconfig(tmp_path / "kc.yaml", "http://127.0.0.1:1")
    code, out = _run("--kubeconfig", str(cfg), "--context", "prod")
    assert code == 2 and "'prod' not found" in out and "sim" in out


def test_no_kubeconfig_at_all_exits_3_with_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, out = _run()
    assert code == 3 and "No kubeconfig found" in out and "--kubeconfig" in out
