"""``k8seval score`` end to end with the shipped catalog: table, JSON, CSV, --fail-on and bad input."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.catalog.loader import load_catalog
from evaluator.cli import cli
from evaluator.inventory import EtcdInventory, NetworkPolicyInventory, NodeInventory, Stats, save_snapshot
from evaluator.scoring.engine import evaluate
from tests.factories import make_snapshot

GIB = 1024**3
NOW = "2026-11-26T12:00:00Z"


def _bank(name: str = "payments", etcd_gib: float = 5.1, **kw: object):
    return make_snapshot(
        name,
        etcd=EtcdInventory(db_size_bytes=int(etcd_gib * GIB), source="etcd"),
        network_policies=NetworkPolicyInventory(count=8000, max_per_namespace=400),
        **kw,
    )


def _crowded(name: str = "batch"):
    """One node runs 300 pods."""
    return make_snapshot(
        name,
        nodes=NodeInventory(count=40, control_plane_count=3, pods_per_node=Stats(max=300, mean=80, p95=150)),
    )


def _save(tmp_path: Path, *snaps) -> list[str]:
    paths = []
    for i, snap in enumerate(snaps):
        path = tmp_path / f"snap-{i}.json"
        save_snapshot(snap, path)
        paths.append(str(path))
    return paths


def _cells(ev):
    return {(f.cluster, f.constraint, f.target): f for f in ev.findings}


def test_bank_cluster_etcd_and_network_policies_per_target() -> None:
    ev = evaluate([_bank()], load_catalog(), now=NOW)
    cells = _cells(ev)
    etcd = {t: cells[("payments", "etcd_db_size", t)] for t in ev.targets}
    assert etcd["self-hosted"].status == "ok" and etcd["eks"].status == "ok"
    assert etcd["eks"].message.startswith("etcd database size is 5.1 GiB of EKS's 8 GiB hard limit (64%)")
    assert etcd["gke"].status == "unknown" and "Google publishes no" in etcd["gke"].message
    assert etcd["gke-autopilot"].status == "unknown"
    policies = {t: cells[("payments", "network_policy_count", t)] for t in ev.targets}
    for target, finding in policies.items():
        # no target publishes a NetworkPolicy count limit: never silently ok
        assert finding.status == "unknown", target
        assert finding.observed == 8000 and "8,000" in finding.message and "publishes no" in finding.message


def test_etcd_near_the_eks_limit() -> None:
    cells = _cells(evaluate([_bank(etcd_gib=7.5)], load_catalog(), now=NOW))
    assert cells[("payments", "etcd_db_size", "eks")].status == "at-risk"  # 94% of 8 GiB
    # GKE publishes no number; 7.5 GiB is past the at-risk line of the 8 GiB published elsewhere
    assert cells[("payments", "etcd_db_size", "gke")].status == "watch"
    assert cells[("payments", "etcd_db_size", "self-hosted")].status == "at-risk"


def test_300_pods_on_one_node_blocks_eks_and_gke() -> None:
    ev = evaluate([_crowded()], load_catalog(), now=NOW)
    cells = _cells(ev)
    for target in ("eks", "gke", "gke-autopilot"):
        assert cells[("batch", "pods_per_node", target)].status == "blocker", target
    assert cells[("batch", "pods_per_node", "self-hosted")].status == "at-risk"  # over the recommended 110
    fits = {f.target: f for f in ev.fits}
    assert fits["eks"].verdict == "does not fit today" and fits["eks"].score <= 49
    assert fits["eks"].reason.startswith("Blocked on EKS: ")
    assert cells[("batch", "pods_per_node", "eks")].title + " (300 pods vs 250 pods)" in fits["eks"].reason


def test_json_output_shape(tmp_path: Path) -> None:
    paths = _save(tmp_path, _bank(), _crowded())
    result = CliRunner().invoke(cli, ["score", *paths, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schema"] == "k8seval/evaluation/v1"
    for key in ("findings", "fits", "forecasts", "forecast_notes", "costs", "cost_assumptions", "break_even"):
        assert key in doc
    assert doc["clusters"] == ["payments", "batch"]
    assert doc["targets"] == ["self-hosted", "eks", "gke", "gke-autopilot"]
    catalog = load_catalog()
    assert len(doc["findings"]) == 2 * 4 * len(catalog.constraints)
    for finding in doc["findings"]:
        for key in ("cluster", "target", "constraint", "observed", "limit", "unit", "status", "source", "message"):
            assert key in finding
        assert finding["status"] in ("ok", "watch", "at-risk", "blocker", "unknown")
        assert finding["source"].startswith("https://")
    assert len(doc["fits"]) == 8 and {"score", "grade", "verdict", "reason"} <= set(doc["fits"][0])
    assert doc["forecast_notes"] == [
        "payments: one snapshot, no forecast (collect again later to see growth)",
        "batch: one snapshot, no forecast (collect again later to see growth)",
    ]
    assert doc["cost_assumptions"]["fees"]["eks_standard"]["source"] == "https://aws.amazon.com/eks/pricing/"
    assert set(doc["break_even"]) == {"eks", "gke", "gke-autopilot"}


def test_csv_one_row_per_finding_and_target_filter(tmp_path: Path) -> None:
    paths = _save(tmp_path, _bank())
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(
        cli, ["score", *paths, "--format", "csv", "--target", "eks", "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert f"wrote {out}" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == len(load_catalog().constraints)
    assert {r["target"] for r in rows} == {"eks"}
    etcd = next(r for r in rows if r["constraint"] == "etcd_db_size")
    assert etcd["status"] == "ok" and float(etcd["limit"]) == 8 * GIB and etcd["unit"] == "bytes"


def test_table_output(tmp_path: Path) -> None:
    old = replace(_bank(etcd_gib=4.1), collected_at="2026-08-01T10:00:00Z")
    paths = _save(tmp_path, old, _bank())
    result = CliRunner().invoke(cli, ["score", *paths], catch_exceptions=False)
    assert result.exit_code == 0
    text = result.output
    assert "payments: findings per target" in text and "Fit per target" in text
    assert "5.1 GiB / 8 GiB" in text
    assert "etcd database size grows" in text  # the two snapshots form a history
    assert "Break-even (EKS)" in text and "Cost per month (USD; prices aws eu-west-2, gcp europe-west2" in text


def test_fail_on_trips_after_writing(tmp_path: Path) -> None:
    paths = _save(tmp_path, _crowded())
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli, ["score", *paths, "--format", "json", "-o", str(out), "--fail-on", "blocker"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "--fail-on blocker" in result.output and "batch on" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["schema"] == "k8seval/evaluation/v1"
    # the gate is not tripped when nothing reaches the level (45 pods per node only blocks Autopilot's 32)
    calm = _save(tmp_path / "calm", make_snapshot("calm", version="1.33.1"))
    args = ["score", *calm, "--format", "json", "--fail-on", "blocker", "--target", "eks", "--target", "gke"]
    ok = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert ok.exit_code == 0, ok.output


def test_policy_and_costs_options(tmp_path: Path) -> None:
    paths = _save(tmp_path, _crowded())
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "targets: [eks]\nconstraints:\n  pods_per_node:\n    limits:\n"
        "      eks: {value: 400, reason: prefix delegation with custom maxPods}\n",
        encoding="utf-8",
    )
    costs = tmp_path / "costs.yaml"
    shipped = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "cost_assumptions.yaml"
    costs.write_text(shipped.read_text(encoding="utf-8").replace("value: 150000", "value: 240000"), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["score", *paths, "--format", "json", "--policy", str(policy), "--costs", str(costs)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["targets"] == ["eks"]
    ppn = next(f for f in doc["findings"] if f["constraint"] == "pods_per_node")
    assert ppn["status"] == "watch" and "policy: prefix delegation" in ppn["message"]
    assert doc["cost_assumptions"]["people"]["loaded_annual_cost"]["value"] == 240000
    assert doc["cost_assumptions"]["source_file"] == str(costs)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "k8seval/inventory/v1", "cluster": {"name": "x"}, "nodes": {"count": "many"}}', "nodes.count"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_snapshot_exit_2(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(bad)], catch_exceptions=False)
    assert result.exit_code == 2
    assert str(bad) in result.output and message in result.output
    assert "Traceback" not in result.output


def test_bad_policy_exit_2(tmp_path: Path) -> None:
    paths = _save(tmp_path, _bank())
    policy = tmp_path / "p.yaml"
    policy.write_text("constraints:\n  no_such: {watch: 0.5}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", *paths, "--policy", str(policy)], catch_exceptions=False)
    assert result.exit_code == 2 and "p.yaml: constraints.no_such" in result.output


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("  aws: eu-west-2\n", "  aws: ap-south-1\n"),
            "regions.aws: no price table for aws 'ap-south-1'",
        ),
        (lambda t: t.replace("traffic:\n", "traffic:\n  egress_tb: 4\n"), "traffic.egress_tb: unknown key"),
        (lambda t: t.replace("    minimum_usd: 100\n", "    minimum_usd: -100\n"), "support_plans.aws-business.value"),
    ],
)
def test_bad_cost_file_exit_2_names_file_and_key(tmp_path: Path, edit, message: str) -> None:
    paths = _save(tmp_path, _bank())
    shipped = Path(__file__).resolve().parent.parent / "evaluator" / "scoring" / "cost_assumptions.yaml"
    costs = tmp_path / "costs.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert edit(text) != text
    costs.write_text(edit(text), encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", *paths, "--costs", str(costs)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert f"{costs}: {message}" in result.output and "Traceback" not in result.output


def test_missing_snapshot_file_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["score", str(tmp_path / "none.json")], catch_exceptions=False)
    assert result.exit_code == 2 and "none.json: file not found" in result.output


def test_a_fleet_gets_one_table_instead_of_one_per_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluator.commands import score

    snaps = [make_snapshot("small-one"), make_snapshot("big-one", nodes=NodeInventory(count=6000))]
    evaluation = evaluate(snaps, load_catalog())
    detailed = score.render_table(evaluation)
    assert "small-one: findings per target" in detailed and "Fit per target" in detailed

    monkeypatch.setattr(score, "FLEET_VIEW_ABOVE", 1)
    fleet = score.render_table(evaluation)
    assert "Fleet: 2 clusters, fit per target" in fleet
    assert "findings per target" not in fleet and "--format json or csv" in fleet
    # worst first: 6,000 nodes is past self-hosted's 5,000 guidance and EKS's 1,000
    assert fleet.index("big-one") < fleet.index("small-one")
