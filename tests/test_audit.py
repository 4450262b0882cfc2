"""``k8seval audit``: configuration validation, partial failures, and the --sample run end to end."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from evaluator.audit import AuditConfig, KubeSource, collect_sources, load_config, run_audit
from evaluator.cli import cli
from evaluator.errors import CollectorError, InputError

EXPECTED = {
    "report.html",
    "report.md",
    "findings.json",
    "findings.csv",
    "findings.xlsx",
    "junit.xml",
    "questions.xlsx",
    "metrics.prom",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "k8seval.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_parses_and_resolves_paths(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
title: Payments
out: out/payments
targets: [eks, gke]
fail_on: blocker
sources:
  kube:
    - {context: prod, kubeconfig: kc.yaml, name: prod-eu-1, platform: self-hosted}
  etcd:
    - {cluster: prod-eu-1, endpoints: [https://10.0.0.1:2379], cacert: ca.crt, cert: c.crt, key: c.key}
  eks:
    - {profile: bank, regions: [eu-west-2], clusters: [payments]}
  gke:
    - {projects: [p1], locations: [europe-west2], endpoint: "http://127.0.0.1:9"}
""",
    )
    config = load_config(path)
    assert config.kube[0].kubeconfig == str(tmp_path / "kc.yaml")
    assert config.etcd[0].cacert == str(tmp_path / "ca.crt")
    assert config.out == str(tmp_path / "out/payments")
    assert config.targets == ["eks", "gke"] and config.fail_on == "blocker"
    assert config.eks[0].regions == ["eu-west-2"] and config.gke[0].projects == ["p1"]
    assert config.source_count == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: {}", "sources: list at least one source"),
        ("sources: {kube: [{contxt: a}]}", "sources.kube[0].contxt: unknown field"),
        ("targets: [aks2]\nsources: {kube: [{}]}", "targets[0]: unknown target 'aks2'"),
        ("sources: {etcd: [{endpoints: [https://x:2379]}]}", "sources.etcd[0].cluster: required"),
        (
            "sources: {etcd: [{cluster: a, endpoints: [x:2379]}]}",
            "sources.etcd[0].endpoints[0]: expected an http(s) URL",
        ),
        ("sources: {etcd: [{cluster: a, endpoints: [http://x], cert: c}]}", "cert and key must be given together"),
        ("sources: {gke: [{locations: [a]}]}", "sources.gke[0].projects: required"),
        ("fail_on: bad\nsources: {kube: [{}]}", "fail_on: expected one of"),
        ("sources: {kube: {context: a}}", "sources.kube: expected a list"),
        ("sources: [1", "not valid YAML"),
        ("surces: {}", "surces: unknown field"),
    ],
)
def test_config_errors_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_cli_config_error_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources: {}")
    result = CliRunner().invoke(cli, ["audit", "--config", str(path)])
    assert result.exit_code == 2 and "k8seval.yaml" in result.output
    result = CliRunner().invoke(cli, ["audit"])
    assert result.exit_code == 2 and "--config FILE or --sample" in result.output


def test_nothing_collected_is_exit_3(tmp_path: Path) -> None:
    # A kubeconfig pointing at a closed loopback port: the source fails, nothing is collected.
    kc = tmp_path / "kc.yaml"
    kc.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: dead, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: dead, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    config = AuditConfig(kube=[KubeSource(kubeconfig=str(kc), name="dead")])
    events: list[tuple[str, str, str]] = []
    with pytest.raises(CollectorError, match="nothing was collected"):
        collect_sources(config, progress=lambda *e: events.append(e))
    assert [e[0] for e in events] == ["start", "failed"]
    path = _write(tmp_path, f"sources: {{kube: [{{kubeconfig: {kc}, name: dead}}]}}")
    result = CliRunner().invoke(cli, ["audit", "--config", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3, result.output


def test_audit_with_one_failing_source(tmp_path: Path) -> None:
    """A simulator cluster plus a dead one: the audit completes, names the failure, and writes everything."""
    from evaluator.simulator import Simulator, profile

    dead = tmp_path / "dead.yaml"
    dead.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: dead, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: dead, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    with Simulator(profile("small"), port=0) as sim:
        kc = tmp_path / "sim.yaml"
        sim.write_kubeconfig(kc)
        config = AuditConfig(
            kube=[KubeSource(kubeconfig=str(kc), name="small-sim"), KubeSource(kubeconfig=str(dead), name="gone")],
            targets=["self-hosted", "eks"],
        )
        result = run_audit(config, out=tmp_path / "out", fail_on="blocker")
    names = {p.name for p in result.files}
    assert EXPECTED - {"questions.xlsx"} <= names
    assert result.warnings and "kube gone" in result.warnings[0]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "small-sim" in html and "kube gone: not collected" in html
    assert result.evaluation.targets == ["self-hosted", "eks"]


@pytest.mark.slow
def test_audit_sample_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = CliRunner().invoke(cli, ["audit", "--sample", "--out", str(out), "--fail-on", "blocker"])
    assert result.exit_code == 1, result.output  # the bank profile has blockers; everything is still written
    files = {p.name for p in out.iterdir()}
    assert EXPECTED <= files
    snaps = sorted((out / "snapshots").glob("*.json"))
    assert len(snaps) == 3  # simulated history: 80%, 90% and today
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "bank" in html and "simulated" in html and '<svg class="spark"' in html
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert data["clusters"] == ["bank"] and data["forecasts"]
    assert data["report"]["gate"]["tripped"] is True
    # The NetworkPolicy dataplane: the bank profile has pods over the EKS agent's 24 entries per peer.
    assert 'id="dataplane"' in html and '<svg class="histogram"' in html
    eks = [f for f in data["findings"] if f["constraint"] == "eks_netpol_entries_per_peer" and f["target"] == "eks"]
    assert eks and all(f["status"] == "blocker" and f["observed"] > 24 for f in eks)
    root = ET.parse(out / "junit.xml").getroot()
    assert int(root.get("failures", "0")) > 0
    wb = load_workbook(out / "questions.xlsx")
    assert any("eks" in name.lower() for name in wb.sheetnames) and any("gke" in n.lower() for n in wb.sheetnames)
    assert "Findings" in load_workbook(out / "findings.xlsx").sheetnames
