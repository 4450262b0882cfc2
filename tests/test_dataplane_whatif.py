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
from evaluator.dataplane.whatif import (
    cni_from_data,
    load_planned,
    model_data,
    model_from_data,
    policy_data,
    whatif_snapshots,
)
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
    # Examples and top rows name a measured pod of each group, never a made-up one: the groups' first pods
    # (web-1 for the three web pods, client-1 alone) keep their names, the others are numbered.
    assert sorted(p.name for p in rebuilt.pods) == ["client-1", "group0-1", "group0-2", "web-1"]
    assert after["eks"]["top"] and {row["pod"] for row in after["eks"]["top"]} <= {"web-1", "client-1"}


def test_a_standalone_example_names_a_pod_without_an_owner() -> None:
    # web-1 and web-2 have a ReplicaSet, web-3 none: the rebuilt group's first pod stands for the standalone one,
    # so it carries web-3's name, and the EKS "no owner references" example names it.
    pods = [
        pod("web-1", "10.0.2.1", **WEB),
        pod("web-2", "10.0.2.2", **WEB),
        pod("web-3", "10.0.2.3", owner=None, **WEB),
    ]
    model = ClusterModel(pods=pods, policies=_model().policies, named_ports_known=False)
    rebuilt = model_from_data(json.loads(json.dumps(model_data(model))))
    assert [(p.name, p.owner) for p in rebuilt.pods][0] == ("web-3", None)
    assert analyse(rebuilt)["eks"]["uncovered_examples"] == {"no_owner_references": "shop/web-3"}


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
         "kind: ConfigMap\napiVersion: v1\n",
         "document 2: expected a NetworkPolicy (Kubernetes or Calico), CiliumNetworkPolicy, "
         "CiliumClusterwideNetworkPolicy or GlobalNetworkPolicy, got kind 'ConfigMap'"),
        ("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\n"
         "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: nope}}]}]}\n",
         "document 1: spec.ingress[0].from[0].ipBlock.cidr: not a CIDR"),
        ("kind: NetworkPolicy\n  bad: [\n", "not valid YAML"),
        # The CNI kinds: checked by the same translation the analysis runs, so a shape error is exit 2 here.
        ("kind: CiliumNetworkPolicy\napiVersion: cilium.io/v2\nmetadata: {name: x}\nspec: {ingress: []}\n",
         "document 1: CiliumNetworkPolicy default/x: spec.endpointSelector is required"),
        ("kind: CiliumNetworkPolicy\napiVersion: cilium.io/v1\nmetadata: {name: x}\n",
         "document 1: expected apiVersion cilium.io/v2 for CiliumNetworkPolicy, got 'cilium.io/v1'"),
        ("kind: CiliumClusterwideNetworkPolicy\napiVersion: cilium.io/v2\nmetadata: {name: x}\n"
         "spec: {endpointSelector: {}, egress: [{toPorts: [{ports: [{port: '80', endPort: many}]}]}]}\n",
         "document 1: CiliumClusterwideNetworkPolicy x: spec.egress[0].toPorts[0].ports[0].endPort: "
         "expected an integer"),
        ("kind: List\napiVersion: v1\nitems:\n- kind: GlobalNetworkPolicy\n  apiVersion: projectcalico.org/v3\n"
         "  metadata: {name: ok}\n  spec: {selector: all()}\n- kind: GlobalNetworkPolicy\n"
         "  apiVersion: crd.projectcalico.org/v1\n  metadata: {name: g}\n  spec: {selector: all(), ingress: allow}\n",
         "document 1 item 2: GlobalNetworkPolicy g: spec.ingress and spec.egress must be lists"),
        ("kind: NetworkPolicy\napiVersion: projectcalico.org/v3\nmetadata: {name: c, namespace: shop}\n",
         "document 1: NetworkPolicy (Calico) shop/c: metadata.name (and namespace) and spec are required"),
        ("kind: NetworkPolicy\napiVersion: projectcalico.org/v2\nmetadata: {name: c}\nspec: {}\n",
         "document 1: expected apiVersion networking.k8s.io/v1 (or crd.projectcalico.org/v1, projectcalico.org/v3 "
         "for a Calico NetworkPolicy), got 'projectcalico.org/v2'"),
        ("kind: CiliumNetworkPolicy\napiVersion: cilium.io/v2\nmetadata: {namespace: shop}\nspec: {}\n",
         "document 1: metadata.name is required"),
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


WEB_EXTRA = {
    "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
    "metadata": {"name": "web-extra", "namespace": "shop"},
    "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
             "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "client"}}],
                          "toPorts": [{"ports": [{"port": "7000", "protocol": "TCP"},
                                                 {"port": "53", "protocol": "ANY"}]}]}]},
}  # fmt: skip
WEB_IN = {
    "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "web-in"},
    "spec": {"selector": "app == 'web'", "types": ["Ingress"],
             "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"selector": "all()"},
                          "destination": {"ports": [8443]}}]},
}  # fmt: skip


def _whatif(tmp_path: Path, docs: list[dict], snap=None):
    from evaluator.inventory import Snapshot

    plan = tmp_path / "cni-plan.yaml"
    plan.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    base = snap or Snapshot.from_dict(json.loads(_snapshot(tmp_path).read_text()))
    return whatif_snapshots([base], plan)[-1]


def test_cilium_and_calico_planned_objects_change_their_own_figures_only(tmp_path: Path) -> None:
    after = _whatif(tmp_path, [WEB_EXTRA, WEB_IN])
    what = after.network_policies.dataplane["what_if"]
    before, now = what["before"], what["after"]
    # Cilium: a web pod's map held client identity x TCP 9000..9019 = 20 entries; web-extra adds client x
    # (7000/TCP, 53/TCP, 53/UDP: ANY is TCP and UDP) = 3 more, 23.
    assert (before["cilium_policy_map_entries_max"], now["cilium_policy_map_entries_max"]) == (20, 23)
    # Calico: the largest selector IP set was the client pod (1 IP, every p<i> names it); the global policy's
    # source all() is every pod with an IP: 3 web + 1 client = 4.
    assert (before["calico_max_ipset_members"], now["calico_max_ipset_members"]) == (1, 4)
    # EKS: the agent enforces Kubernetes NetworkPolicy only: 20 entries for the client peer before and after.
    assert before["eks_entries_per_peer_max"] == now["eks_entries_per_peer_max"] == 20
    assert before["eks_peer_keys_max"] == now["eks_peer_keys_max"]
    assert what["planned_by_kind"] == {"ciliumnetworkpolicies.cilium.io": 1,
                                       "globalnetworkpolicies.crd.projectcalico.org": 1}  # fmt: skip
    assert (what["policies_added"], what["policies_replaced"]) == (2, 0)
    # The NetworkPolicy count stays 20; the CNI kinds are counted as CNI policy objects.
    assert after.network_policies.count == 20
    assert after.network_policies.cni_policies == {"ciliumnetworkpolicies.cilium.io": 1,
                                                   "globalnetworkpolicies.crd.projectcalico.org": 1}  # fmt: skip
    assert after.network_policies.dataplane["cni_policies"]["cilium"]["analysed"] == 1


def test_planned_cilium_object_replaces_the_collected_one_of_the_same_name(tmp_path: Path) -> None:
    # The model keeps the collected Cilium objects: "before" has web-extra with 7000/TCP and 53/ANY (23 entries);
    # the plan's web-extra of the same name has only 7000/TCP, so after: 20 + client x 7000/TCP = 21.
    model = _model()
    collected = {"ciliumnetworkpolicies.cilium.io": [WEB_EXTRA]}
    data = json.loads(json.dumps(model_data(model, collected)))
    assert cni_from_data(data) == collected
    inventory = NetworkPolicyInventory(
        count=20, dataplane=analyse(model), policy_model=data, cni_policies={"ciliumnetworkpolicies.cilium.io": 1}
    )
    snap = make_snapshot("shop", network_policies=inventory)
    narrower = json.loads(json.dumps(WEB_EXTRA))
    narrower["spec"]["ingress"][0]["toPorts"][0]["ports"] = [{"port": "7000", "protocol": "TCP"}]
    after = _whatif(tmp_path, [narrower], snap)
    what = after.network_policies.dataplane["what_if"]
    assert (what["before"]["cilium_policy_map_entries_max"], what["after"]["cilium_policy_map_entries_max"]) == (23, 21)
    assert (what["policies_added"], what["policies_replaced"]) == (0, 1)
    assert after.network_policies.cni_policies == {"ciliumnetworkpolicies.cilium.io": 1}


def test_planned_cni_object_outside_the_model_is_counted_not_analysed(tmp_path: Path) -> None:
    # A host policy (nodeSelector) is valid Cilium but not modelled: accepted, and the what-if says so.
    host = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "host"},
            "spec": {"nodeSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}}  # fmt: skip
    after = _whatif(tmp_path, [host])
    row = after.network_policies.dataplane["cni_policies"]["cilium"]
    assert (row["objects"], row["analysed"], row["not_analysed"]) == (1, 0, 1)
    assert "host policy (nodeSelector)" in row["not_analysed_examples"][0]


def test_score_and_report_with_a_cilium_plan(tmp_path: Path) -> None:
    from evaluator.audit import build_context
    from evaluator.reporting.render import render_report

    path = _snapshot(tmp_path)
    plan = tmp_path / "cilium-plan.yaml"
    plan.write_text(yaml.safe_dump_all([WEB_EXTRA]), encoding="utf-8")
    table = CliRunner().invoke(cli, ["score", str(path), "--with-policies", str(plan), "--target", "eks"])
    assert table.exit_code == 0, table.output
    # 20 -> 23 on Cilium (see the arithmetic above); EKS stays at 20 for the client peer.
    assert "1 policies added, 0 replaced (CiliumNetworkPolicy 1)" in table.output
    assert "Cilium policy-map entries per pod (default 16,384): 20 -> 23" in table.output
    assert "EKS port entries per pod and peer (limit 24): 20 -> 20" in table.output
    after = _whatif(tmp_path, [WEB_EXTRA])
    html = render_report(build_context([after], targets=["eks"]), "html", tmp_path / "r.html").read_text("utf-8")
    assert "(1 policies added, 0 replaced: CiliumNetworkPolicy 1)" in html
