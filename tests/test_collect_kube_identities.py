"""CiliumIdentity objects: ``collect kube`` counts them where served, as it counts every resource (the apiserver's
storage metric, else ``limit=1`` and ``remainingItemCount``; never a full list), and puts the count beside the
dataplane's estimate; the identities constraint, the report and the Dataplane V2 question quote the measured
count, and say when only the estimate was there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluator.catalog.loader import load_catalog
from evaluator.collectors.kube import collect_kube
from evaluator.inventory import NetworkingInventory, NetworkPolicyInventory, Snapshot
from evaluator.procurement.bank import load_bank, render_text
from evaluator.procurement.facts import nest, snapshot_facts
from evaluator.scoring.engine import evaluate
from evaluator.scoring.metrics import METRICS
from evaluator.simulator import Faults, Simulator, parse_spec
from tests.factories import make_snapshot

REAL = Path(__file__).parent / "fixtures" / "real" / "cilium"
KEY = "ciliumidentities.cilium.io"
ITEM = f"network_policies.dataplane.{KEY}"
SPEC = (
    "name: cil\nversion: '1.30.2'\nseed: {seed}\nnodes: 6\npods: 240\nnamespaces: 8\nnetwork_policies: 30\n"
    "services: 10\ncni: cilium\nmax_pods_per_node: 110\n{extra}"
)


def _served(sim: Simulator) -> list[dict[str, Any]]:
    """The CiliumIdentity objects the simulator serves, from its own builders (not over HTTP)."""
    cluster = sim.cluster
    return [cluster.builders.custom_resource(KEY, 0, j) for j in range(cluster.cr_counts[KEY][0])]


def test_the_real_crd_is_a_cluster_scoped_kind_whose_objects_carry_security_labels() -> None:
    # cilium/cilium's CRD: cluster-scoped (so one count covers the cluster), and every object holds its security
    # labels, which a count never downloads.
    crd = next(d for d in yaml.safe_load_all((REAL / "ciliumidentities_crd.yaml").read_text()) if d)
    assert crd["metadata"]["name"] == KEY and crd["spec"]["scope"] == "Cluster"
    assert "security-labels" in crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["required"]


@pytest.mark.parametrize(("forbid_metrics", "method"), [(False, "metrics"), (True, "remaining")])
def test_collect_counts_the_served_identities_beside_the_estimate(tmp_path: Path, forbid_metrics, method) -> None:
    faults = Faults(forbidden=["/metrics"]) if forbid_metrics else None
    with Simulator(parse_spec(SPEC.format(seed=3, extra="")), faults=faults) as sim:
        served = _served(sim)
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), page_size=40)
        asked = [r.query for r in sim.request_log if "ciliumidentities" in r.path]
    assert len(served) > 40
    cil = snap.network_policies.dataplane["cilium"]
    assert cil["identities_measured"] == {"source": KEY, "count": len(served), "method": method}
    assert snap.objects[KEY] == len(served) and snap.collection.count_methods[KEY] == method
    # counted, never listed: no request at all with the metrics, one limit=1 request without them
    assert len(asked) == (1 if forbid_metrics else 0) and all(q.get("limit") == "1" for q in asked)
    assert not [g for g in snap.gaps if KEY in g.item]
    value = METRICS["cilium.identities"](snap)
    assert value.value == len(served)
    assert f"measured: {len(served):,} CiliumIdentity objects ({method})" in value.detail
    assert f"estimated from pod label sets: {cil['identities']:,}" in value.detail


def test_collect_explicit_identity_count(tmp_path: Path) -> None:
    with Simulator(parse_spec(SPEC.format(seed=4, extra="cilium_identities: 75\n"))) as sim:
        served = _served(sim)
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
    assert len(served) == 75 and snap.network_policies.dataplane["cilium"]["identities_measured"]["count"] == 75


def test_refused_identities_are_a_gap_and_the_estimate_is_scored(tmp_path: Path) -> None:
    # No /metrics and the list refused: the count fails, its gap says so, and the estimate is scored with that
    # reason in its detail.
    faults = Faults(forbidden=["ciliumidentities", "/metrics"])
    with Simulator(parse_spec(SPEC.format(seed=5, extra="")), faults=faults) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
    gaps = {g.item: g.reason for g in snap.gaps if KEY in g.item}
    assert gaps[f"objects.{KEY}"].startswith("403 Forbidden")
    cil = snap.network_policies.dataplane["cilium"]
    assert "identities_measured" not in cil and isinstance(cil["identities"], int) and KEY not in snap.objects
    value = METRICS["cilium.identities"](snap)
    assert value.value == cil["identities"]
    assert value.detail.startswith(f"estimated from pod label sets: {cil['identities']:,} (kube: 403 Forbidden")


def test_unserved_identities_on_cilium_are_a_gap(tmp_path: Path) -> None:
    # crds: 2 installs only the two Cilium policy CRDs: no ciliumidentities, though the CNI is Cilium.
    with Simulator(parse_spec(SPEC.format(seed=6, extra="crds: 2\n"))) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
    assert snap.networking.cni == "cilium"
    gaps = {g.item: g.reason for g in snap.gaps if KEY in g.item}
    assert "not served" in gaps[ITEM] and KEY not in snap.objects


def test_spec_rejects_identities_without_cilium() -> None:
    with pytest.raises(Exception, match="cilium_identities: CiliumIdentity objects need cni: cilium"):
        parse_spec(SPEC.format(seed=1, extra="cilium_identities: 5\n").replace("cni: cilium", "cni: calico"))


def _with_identities(measured: int | None, estimate: int = 900, cni: str = "cilium") -> Snapshot:
    cilium: dict[str, Any] = {"policy_map_entries": {"max": 40}, "identities": estimate}
    if measured is not None:
        cilium["identities_measured"] = {"source": KEY, "count": measured, "method": "metrics"}
    dp = {"policies_per_pod": {"max": 2}, "eks": {}, "cilium": cilium, "calico": {}}
    return make_snapshot(network_policies=NetworkPolicyInventory(count=10, dataplane=dp),
                         networking=NetworkingInventory(cni=cni))  # fmt: skip


@pytest.mark.parametrize(
    ("measured", "estimate", "status", "observed"),
    [
        (60000, 900, "at-risk", 60000),  # measured wins: 60,000 / 65,280 = 0.92 >= at-risk 0.9
        (1000, 60000, "ok", 1000),  # the estimate would be at-risk; the measured 1,000 / 65,280 is ok
        (None, 50000, "watch", 50000),  # estimate only: 50,000 / 65,280 = 0.77 >= watch 0.7
    ],
)
def test_identities_constraint_scores_the_measured_count(measured, estimate, status, observed) -> None:
    f = next(
        f for f in evaluate([_with_identities(measured, estimate)], load_catalog(), ["self-hosted"]).findings
        if f.constraint == "cilium_identities"
    )  # fmt: skip
    assert (f.status, f.observed) == (status, observed)
    text = " ".join(str(v) for v in f.to_dict().values())
    assert ("measured: " if measured is not None else "estimated from pod label sets: ") in text


def test_report_and_question_quote_the_measured_count(tmp_path: Path) -> None:
    from evaluator.audit import build_context
    from evaluator.reporting.render import render_report

    snap = _with_identities(7123, 6800)
    html = render_report(build_context([snap], targets=["gke"]), "html", tmp_path / "r.html").read_text("utf-8")
    assert "6,800 security identities (estimated from pod labels), 7,123 measured (CiliumIdentity objects)" in html
    bank = load_bank()
    question = next(q for q in bank.questions if q.id == "net_dpv2_policy_map")
    text = render_text(question, nest(snapshot_facts([snap])), "gke")
    assert "6,800 distinct identity label sets (our Cilium today holds 7,123 CiliumIdentity objects)" in text
    estimate_only = render_text(question, nest(snapshot_facts([_with_identities(None, 6800)])), "gke")
    assert "6,800 distinct identity label sets," in estimate_only and "CiliumIdentity" not in estimate_only


@pytest.mark.parametrize(
    ("measured", "word"), [(7123, "7,123 identities measured"), (None, "6,800 identities estimated")]
)
def test_an_unpublished_limit_says_whether_the_figure_is_measured_or_estimated(measured, word) -> None:
    # GKE publishes no identity limit: the finding quotes the figure, and says how it was obtained.
    f = next(
        f for f in evaluate([_with_identities(measured, 6800)], load_catalog(), ["gke"]).findings
        if f.constraint == "cilium_identities"
    )  # fmt: skip
    assert f.status == "unknown" and word in f.message
