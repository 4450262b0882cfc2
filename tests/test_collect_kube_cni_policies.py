"""``collect kube`` lists Cilium and Calico policy objects where the simulator serves them and adds them to the
Cilium and Calico dataplane figures (never to EKS's); a refused list is a gap, the rest of the section stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluator.collectors.kube import collect_kube
from evaluator.dataplane import analyse
from evaluator.dataplane.crds import CILIUM_KEYS, add_cni_policies, translate
from evaluator.dataplane.whatif import model_from_data
from evaluator.simulator import Faults, Simulator, parse_spec

SPEC = (
    "name: cil\nversion: '1.30.2'\nseed: {seed}\nnodes: 6\npods: 240\nnamespaces: 8\nnetwork_policies: 30\n"
    "services: 10\ncni: cilium\nmax_pods_per_node: 110\ncilium_policies: {cnp}\ncilium_clusterwide_policies: {ccnp}\n"
)


def served_objects(sim: Simulator) -> dict[str, list[dict[str, Any]]]:
    """The Cilium policy objects the simulator serves, built by its own builders (not over HTTP)."""
    cluster = sim.cluster
    out: dict[str, list[dict[str, Any]]] = {}
    for key in CILIUM_KEYS:
        counts = cluster.cr_counts[key]
        out[key] = [cluster.builders.custom_resource(key, ns, j) for ns, n in enumerate(counts) for j in range(n)]
    return out


def test_cilium_policies_add_to_the_cilium_figures_only(tmp_path: Path) -> None:
    with Simulator(parse_spec(SPEC.format(seed=3, cnp=25, ccnp=3))) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), policy_model=True)
        objects = served_objects(sim)
    with Simulator(parse_spec(SPEC.format(seed=3, cnp=0, ccnp=0))) as sim:
        plain = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc0")))
    dp, base = snap.network_policies.dataplane, plain.network_policies.dataplane
    assert dp is not None and base is not None
    assert not [g for g in snap.gaps if g.item.startswith("network_policies")]
    cni = dp["cni_policies"]["cilium"]
    assert cni["objects"] == 28 and cni["not_analysed"] == 0
    # The simulator's shapes carry DNS rules, http rules and FQDN egress: counted and named, never dropped.
    assert set(cni["not_modelled"]) == {"DNS rules", "L7 rules (http)", "toFQDNs"}
    # Same pods and Kubernetes NetworkPolicies in both clusters: EKS and Calico figures are unchanged.
    assert dp["eks"] == base["eks"] and dp["calico"] == base["calico"]
    assert dp["cilium"]["policy_map_entries"]["max"] > base["cilium"]["policy_map_entries"]["max"]
    assert dp["nodes"]["cilium_entries"]["max"] > base["nodes"]["cilium_entries"]["max"]
    # Listing over HTTP gives what translating the served objects directly gives, on the kept policy model.
    model = model_from_data(snap.network_policies.policy_model)
    direct = add_cni_policies(analyse(model), model, translate(objects, model))
    for part in ("policy_map_entries", "pods_over_policy_map", "histogram"):
        assert dp["cilium"][part] == direct["cilium"][part]
    assert dp["cni_policies"] == direct["cni_policies"]
    assert snap.objects["ciliumnetworkpolicies.cilium.io"] == 25
    assert snap.collection.count_methods["ciliumnetworkpolicies.cilium.io"] == "paged"


def test_forbidden_cilium_policies_are_a_gap(tmp_path: Path) -> None:
    faults = Faults(forbidden=["ciliumnetworkpolicies"])
    with Simulator(parse_spec(SPEC.format(seed=5, cnp=10, ccnp=2)), faults=faults) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")))
    gaps = {g.item: g.reason for g in snap.gaps if g.item.startswith("network_policies")}
    assert list(gaps) == ["network_policies.dataplane.ciliumnetworkpolicies.cilium.io"]
    assert gaps["network_policies.dataplane.ciliumnetworkpolicies.cilium.io"].startswith("403 Forbidden")
    dp = snap.network_policies.dataplane
    assert dp is not None
    # The clusterwide kind was still listed and analysed.
    assert dp["cni_policies"]["cilium"]["objects"] == 2


def test_policy_model_keeps_the_cilium_objects_for_what_ifs(tmp_path: Path) -> None:
    import yaml

    from evaluator.dataplane.whatif import cni_from_data, whatif_snapshots

    with Simulator(parse_spec(SPEC.format(seed=7, cnp=12, ccnp=2))) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), policy_model=True)
        served = served_objects(sim)
    kept = cni_from_data(snap.network_policies.policy_model)
    assert {k: len(v) for k, v in kept.items()} == {k: len(v) for k, v in served.items()} == {
        "ciliumnetworkpolicies.cilium.io": 12, "ciliumclusterwidenetworkpolicies.cilium.io": 2}  # fmt: skip
    assert [o["spec"] for o in kept["ciliumnetworkpolicies.cilium.io"]] == [
        o["spec"] for o in served["ciliumnetworkpolicies.cilium.io"]
    ]
    # An empty plan: before (on the model, with the kept objects) is what was measured, on every dataplane.
    plan = tmp_path / "empty.yaml"
    plan.write_text(yaml.safe_dump({"kind": "List", "apiVersion": "v1", "items": []}), encoding="utf-8")
    what = whatif_snapshots([snap], plan)[-1].network_policies.dataplane["what_if"]
    for key in ("cilium_policy_map_entries_max", "eks_entries_per_peer_max", "calico_max_ipset_members"):
        assert what["before"][key] == what["measured"][key] == what["after"][key], key
