"""The dataplane constraints scored from network_policies.dataplane on each target (the shipped catalog)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.inventory import NetworkingInventory, NetworkPolicyInventory
from evaluator.scoring.engine import evaluate
from tests.factories import make_snapshot

CATALOG = load_catalog()


def _dataplane(entries: int, uncovered: int, cilium: int, ipset: int = 500) -> dict[str, Any]:
    top = {"namespace": "pay", "workload": "Deployment/api", "pod": "api-1", "node": "n1", "value": entries,
           "pods": 3, "direction": "ingress", "peer": "100.64.0.0/10", "policies": ["pay/p1", "pay/p2"],
           "policy_count": 2}  # fmt: skip
    return {
        "policies_per_pod": {"max": 12, "p99": 3, "p95": 2, "mean": 1.2},
        "eks": {"entries_per_peer": {"max": entries, "p99": 3, "p95": 2, "mean": 1.1}, "pods_over_entry_limit": 3,
                "peer_keys": {"max": 700, "p99": 300, "p95": 200, "mean": 50}, "uncovered_pods": uncovered,
                "uncovered_by_reason": {"no_owner_references": uncovered} if uncovered else {}, "top": [top]},
        "cilium": {"policy_map_entries": {"max": cilium, "p99": 10, "p95": 5, "mean": 2}, "identities": 900,
                   "top": [dict(top, value=cilium)]},
        "calico": {"max_ipset_members": ipset, "max_ipset_peer": "pay/p1 (ingress)"},
    }  # fmt: skip


def _finding(snap, constraint: str, target: str):
    evaluation = evaluate([snap], CATALOG, [target])
    return next(f for f in evaluation.findings if f.constraint == constraint and f.target == target)


@pytest.mark.parametrize(
    ("constraint", "target", "entries", "uncovered", "cilium", "cni", "status"),
    [
        ("eks_netpol_entries_per_peer", "eks", 31, 0, 100, "calico", "blocker"),  # 31 > 24, hard
        ("eks_netpol_entries_per_peer", "eks", 12, 0, 100, "calico", "ok"),  # 12 / 24 = 0.5 < watch 0.7
        ("eks_netpol_entries_per_peer", "eks", 22, 0, 100, "calico", "at-risk"),  # 22 / 24 = 0.92 >= 0.9
        ("eks_netpol_entries_per_peer", "self-hosted", 31, 0, 100, "calico", "ok"),  # not applicable
        ("eks_netpol_uncovered_pods", "eks", 3, 2, 100, "calico", "at-risk"),  # limit 0, exceeded: at-risk
        ("eks_netpol_uncovered_pods", "eks", 3, 0, 100, "calico", "ok"),
        ("cilium_policy_map_entries", "self-hosted", 3, 0, 9000, "cilium", "watch"),  # 0.55 >= watch 0.5
        ("cilium_policy_map_entries", "self-hosted", 3, 0, 17000, "cilium", "blocker"),  # over 16,384
        ("cilium_policy_map_entries", "self-hosted", 3, 0, 17000, "calico", "unknown"),  # Calico: no Cilium maps
        ("cilium_policy_map_entries", "gke", 3, 0, 9000, "calico", "unknown"),  # Google publishes no size
        ("eks_netpol_peer_keys", "eks", 3, 0, 100, "calico", "ok"),  # 700 of 65,536
    ],
)
def test_dataplane_constraints(constraint, target, entries, uncovered, cilium, cni, status) -> None:
    snap = make_snapshot(
        network_policies=NetworkPolicyInventory(count=800, dataplane=_dataplane(entries, uncovered, cilium)),
        networking=NetworkingInventory(cni=cni),
    )
    assert _finding(snap, constraint, target).status == status


def test_finding_names_the_busiest_pod_peer_and_policies() -> None:
    snap = make_snapshot(network_policies=NetworkPolicyInventory(count=800, dataplane=_dataplane(31, 0, 10)))
    f = _finding(snap, "eks_netpol_entries_per_peer", "eks")
    assert f.observed == 31 and f.limit == 24
    text = " ".join(str(v) for v in f.to_dict().values())
    assert "pay/Deployment/api" in text and "100.64.0.0/10" in text and "pay/p1, pay/p2" in text


def test_unmeasured_dataplane_is_unknown_with_the_gap() -> None:
    snap = make_snapshot().with_gap("kube", "network_policies.dataplane", "the pods Table has no IP column")
    f = _finding(snap, "eks_netpol_entries_per_peer", "eks")
    assert f.status == "unknown" and "no IP column" in f.message
    empty = replace(make_snapshot(), network_policies=NetworkPolicyInventory(count=0))
    assert _finding(empty, "eks_netpol_entries_per_peer", "eks").status == "ok"


def test_report_shows_the_dataplane_section(tmp_path) -> None:
    from evaluator.audit import build_context
    from evaluator.reporting.render import render_report

    snap = make_snapshot(network_policies=NetworkPolicyInventory(count=800, dataplane=_dataplane(31, 2, 9000)))
    snap.network_policies.dataplane["eks"]["histogram"] = [[0, 10], [24, 50], [32, 3]]
    snap.network_policies.dataplane["cilium"]["histogram"] = [[8192, 60], [16384, 3]]
    path = render_report(build_context([snap], targets=["eks", "gke"]), "html", tmp_path / "r.html")
    html = path.read_text(encoding="utf-8")
    assert 'id="dataplane"' in html and html.count('<svg class="histogram"') == 2
    assert "limit 24" in html and "pay/p1, pay/p2" in html and "no owner references 2" in html
    assert "policy objects: " not in html  # no CNI policy objects listed: no line about them
    snap.network_policies.dataplane["cni_policies"] = {
        "cilium": {"objects": 12, "analysed": 10, "policies_added": 10, "not_analysed": 2,
                   "not_analysed_examples": ["pay/l7-only"], "not_modelled": {"toFQDNs": 1, "rules.http": 3}},
    }  # fmt: skip
    path = render_report(build_context([snap], targets=["eks", "gke"]), "html", tmp_path / "c.html")
    html = path.read_text(encoding="utf-8")
    assert "Cilium policy objects: 12 listed, 10 analysed (10 policies in the figures above); 2 not analysed" in html
    assert "pay/l7-only" in html and "not modelled: rules.http 3, toFQDNs 1." in html
    # Without a dataplane section the report has no such part (older snapshots, other collectors).
    plain = render_report(build_context([make_snapshot()], targets=["eks"]), "html", tmp_path / "p.html")
    assert 'id="dataplane"' not in plain.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("nodes", "cni", "target", "status", "replicas"),
    [
        (1500, "calico", "self-hosted", "watch", 8),  # 1,500 > 50: Typha; ceil(1500 / 200) = 8 replicas
        (50, "calico", "self-hosted", "ok", None),  # "more than 50 nodes": 50 is within
        (120, "canal", "self-hosted", "watch", 3),  # ceil(120 / 200) = 1, raised to the minimum of 3
        (9000, "calico", "self-hosted", "watch", 20),  # ceil(9000 / 200) = 45, capped at 20
        (1500, "cilium", "self-hosted", "unknown", None),  # no Calico: Typha does not apply
        (1500, None, "self-hosted", "unknown", None),  # CNI not detected
        (1500, "calico", "eks", "ok", None),  # not applicable on EKS (the VPC CNI agent is scored)
    ],
)
def test_calico_typha_guidance(nodes, cni, target, status, replicas) -> None:
    from evaluator.inventory import NodeInventory

    snap = make_snapshot(nodes=NodeInventory(count=nodes), networking=NetworkingInventory(cni=cni))
    f = _finding(snap, "calico_typha_nodes", target)
    assert f.status == status
    if replicas is not None:
        assert f.observed == nodes and f.limit == 50
        assert f"Typha recommended with {replicas} replicas" in " ".join(str(v) for v in f.to_dict().values())
