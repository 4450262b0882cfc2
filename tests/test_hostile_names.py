"""Hostile names and credentials: snapshot file names are injective, and credentials in a kubeconfig server URL
or in control-plane flags never reach a snapshot, a report or an error message."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.kube import collect_kube
from evaluator.inventory import save_snapshot, snapshot_filename
from evaluator.simulator import Simulator, profile
from tests.factories import make_snapshot

NAMES = ["prod/eu", "prod:eu", "prod_eu", "prod eu", "prod%2Feu", "prod\\eu", "prod?eu", "prød", "pr\u00f8d/"]


def test_snapshot_file_names_are_injective() -> None:
    files = [snapshot_filename(make_snapshot(n)) for n in NAMES]
    assert len(set(files)) == len(NAMES), files
    for f in files:
        assert "/" not in f and "\\" not in f and ":" not in f and " " not in f


def test_audit_output_keeps_two_clusters_that_share_a_name(tmp_path: Path) -> None:
    from evaluator.audit import build_context, write_outputs

    snaps = [make_snapshot("prod"), make_snapshot("prod", version="1.30.1")]
    context = build_context(snaps)
    files = write_outputs(context, snaps, tmp_path)
    written = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert len(written) == 2, written
    assert len({str(p) for p in files}) == len(files)


SECRET_FLAGS = {
    "oidc-client-secret": "s3cr3t-oidc",
    "etcd-servers": "https://etcduser:etcd-pa55@127.0.0.1:2379",
    "service-account-max-token-expiration": "48h",
    "token-auth-file": "/etc/kubernetes/tokens.csv",
}


@pytest.fixture(scope="module")
def secret_sim() -> Simulator:
    spec = dataclasses.replace(profile("small"), apiserver_flags=SECRET_FLAGS)
    with Simulator(spec) as sim:
        yield sim


def _userinfo_kubeconfig(sim: Simulator, path: Path) -> Path:
    path = sim.write_kubeconfig(path)
    url = sim.url
    path.write_text(path.read_text().replace(url, url.replace("://", "://admin:hunter2@")))
    return path


def test_credentials_are_redacted_from_snapshots_and_reports(secret_sim: Simulator, tmp_path: Path) -> None:
    kubeconfig = _userinfo_kubeconfig(secret_sim, tmp_path / "kc")
    snap = collect_kube(str(kubeconfig), qps=200)
    flags = snap.control_plane.apiserver_flags
    assert flags["oidc-client-secret"] == "<redacted>"
    assert flags["etcd-servers"] == "https://<redacted>@127.0.0.1:2379"
    assert flags["service-account-max-token-expiration"] == "48h"  # not a credential
    assert flags["token-auth-file"] == "/etc/kubernetes/tokens.csv"  # a path; the file is never read
    assert snap.cluster.endpoint is not None and "hunter2" not in snap.cluster.endpoint
    path = save_snapshot(snap, tmp_path / "s.json")
    text = path.read_text()
    for secret in ("hunter2", "s3cr3t-oidc", "etcd-pa55", "etcduser"):
        assert secret not in text
    for fmt in ("md", "json", "html"):
        out = tmp_path / f"r.{fmt}"
        result = CliRunner().invoke(cli, ["report", str(path), "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        body = out.read_text()
        assert "hunter2" not in body and "s3cr3t-oidc" not in body and "etcd-pa55" not in body


def test_credentials_are_redacted_from_error_messages(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://admin:hunter2@127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: abc}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
    )
    args = ["collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(tmp_path / "s.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert "hunter2" not in result.output and "127.0.0.1" in result.output
