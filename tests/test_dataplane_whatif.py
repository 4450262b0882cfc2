"""Rollout what-ifs: planned NetworkPolicy files, the compact policy model in the snapshot, and
--with-policies on score / report / questions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.dataplane import ClusterModel, NodeRecord, analyse, parse_policy
from evaluator.dataplane.whatif import load_planned, model_data, model_from_data, policy_data, whatif_snapshots
from evaluator.errors import InputError
from evaluator.inventory import NetworkPolicyInventory, save_snapshot
from tests.factories import make_snapshot
from tests.test_dataplane import CLIENT, WEB, from_pods, netpol, pod, tcp


def _model() -> ClusterModel:
    pods = [pod(f"web-{i}", f"10.0.2.{i}", **WEB) for i in range(1, 4)] + [pod("client-1", "10.0.1.5", **CLIENT)]
    return ClusterModel(
        pods=pods,
        nodes={"n1": NodeRecord("n1", "192.168.0.10")},
        policies=[parse_policy(netpol(f"p{i}", WEB, [from_pods(CLIENT, tcp(9000 + i))])) for i in range(20)],
        named_ports_known=False,
    )


def _planned(folder: Path, count: int, start: int = 100) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    docs = [dict(netpol(f"new{i}", WEB, [from_pods(CLIENT, tcp(start + i))]), apiVersion="networking.k8s.io/v1",
                 kind="NetworkPolicy") for i in range(count)]  # fmt: skip
    (folder / "allow.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    (folder / "notes.txt").write_text("not a policy file: skipped", encoding="utf-8")
    return folder


def _snapshot(tmp_path: Path) -> Path:
    model = _model()
    snap = make_snapshot(
        "shop",
        network_policies=NetworkPolicyInventory(count=20, dataplane=analyse(model), policy_model=model_data(model)),
    )
    path = tmp_path / "shop.json"
    save_snapshot(snap, path)
    return path


def test_policy_data_round_trips_through_the_parser() -> None:
    obj = {
        "metadata": {"name": "x", "namespace": "a"},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["b", "a"]}]},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                         "ports": [{"protocol": "TCP", "port": 30000, "endPort": 30099}]}],
            "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k": "v"}}}],
                        "ports": [{"protocol": "UDP", "port": "dns"}]}, {}],
        },
    }  # fmt: skip
    policy = parse_policy(obj)
    assert parse_policy(policy_data(policy)) == policy


def test_model_round_trip_keeps_the_figures() -> None:
    model = _model()
    data = json.loads(json.dumps(model_data(model)))
    rebuilt = model_from_data(data)
    before, after = analyse(model), analyse(rebuilt)
    assert after["eks"]["entries_per_peer"] == before["eks"]["entries_per_peer"]
    assert after["cilium"]["identities"] == before["cilium"]["identities"]
    assert len(rebuilt.pods) == len(model.pods)


def test_whatif_adds_the_planned_policies(tmp_path: Path) -> None:
    # 20 measured one-port policies from the client, 6 planned ones with other ports: 20 -> 26 entries on EKS.
    snap = json.loads(_snapshot(tmp_path).read_text())
    from evaluator.inventory import Snapshot

    snaps = whatif_snapshots([Snapshot.from_dict(snap)], _planned(tmp_path / "planned", 6))
    after = snaps[-1]
    assert after.cluster.name == "shop + planned"
    what = after.network_policies.dataplane["what_if"]
    assert (what["before"]["eks_entries_per_peer_max"], what["after"]["eks_entries_per_peer_max"]) == (20, 26)
    assert what["policies_added"] == 6 and after.network_policies.count == 26
    assert after.network_policies.policy_model is None


def test_score_with_policies_shows_before_and_after(tmp_path: Path) -> None:
    path = _snapshot(tmp_path)
    planned = _planned(tmp_path / "planned", 6)
    result = CliRunner().invoke(
        cli, ["score", str(path), "--with-policies", str(planned), "--target", "eks", "--format", "json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)["findings"]
    cells = {(f["cluster"], f["constraint"]): f for f in findings if f["target"] == "eks"}
    assert cells[("shop", "eks_netpol_entries_per_peer")]["status"] == "watch"  # 20 / 24 = 0.83: watch 0.7, at-risk 0.9
    assert cells[("shop + planned", "eks_netpol_entries_per_peer")]["status"] == "blocker"  # 26 > 24
    table = CliRunner().invoke(cli, ["score", str(path), "--with-policies", str(planned), "--target", "eks"])
    assert "EKS port entries per pod and peer (limit 24): 20 -> 26" in table.output
    assert "needs 26 entries for peer 10.0.1.5" in table.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\nspec: {podSelector: {}}\n---\n"
         "kind: ConfigMap\napiVersion: v1\n", "document 2: expected kind NetworkPolicy, got 'ConfigMap'"),
        ("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\n"
         "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: nope}}]}]}\n",
         "document 1: spec.ingress[0].from[0].ipBlock.cidr: not a CIDR"),
        ("kind: NetworkPolicy\n  bad: [\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_planned_file_is_exit_2_naming_file_and_document(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"plan\.yaml"):
        load_planned(bad)
    result = CliRunner().invoke(cli, ["score", str(_snapshot(tmp_path)), "--with-policies", str(bad)])
    assert result.exit_code == 2
    assert "plan.yaml" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_snapshot_without_a_model_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    save_snapshot(replace(make_snapshot()), path)
    result = CliRunner().invoke(cli, ["score", str(path), "--with-policies", str(_planned(tmp_path / "p", 1))])
    assert result.exit_code == 2 and "--policy-model" in result.output
