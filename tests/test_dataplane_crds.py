"""Cilium and Calico policy objects in the dataplane figures (evaluator/dataplane/crds.py): real examples from
cilium/cilium and projectcalico/calico (tests/fixtures/real/cni_policies, SOURCES.md), each expected number
worked out in a comment, plus hand-built cases for what is refused or not modelled."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluator.dataplane import ClusterModel, NodeRecord, PodRecord, analyse, parse_policy, pod_loads
from evaluator.dataplane.crds import (
    Refused,
    Translation,
    add_cni_policies,
    cilium_loads,
    parse_calico_selector,
    translate,
)
from evaluator.dataplane.model import Requirement

REAL = Path(__file__).parent / "fixtures" / "real" / "cni_policies"
KINDS = {
    "CiliumNetworkPolicy": "ciliumnetworkpolicies.cilium.io",
    "CiliumClusterwideNetworkPolicy": "ciliumclusterwidenetworkpolicies.cilium.io",
    "NetworkPolicy": "networkpolicies.crd.projectcalico.org",
    "GlobalNetworkPolicy": "globalnetworkpolicies.crd.projectcalico.org",
}


def load_objects(folder: str) -> dict[str, list[dict[str, Any]]]:
    """The fixture documents by resource key; namespaced kinds without a namespace land in "default", as
    ``kubectl apply`` puts them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((REAL / folder).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            key = KINDS[doc["kind"]]
            if doc["kind"] in ("CiliumNetworkPolicy", "NetworkPolicy"):
                doc["metadata"].setdefault("namespace", "default")
            out.setdefault(key, []).append(doc)
    return out


_ip = iter(range(1, 250))


def pod(ns: str, pod_name: str, node: str = "n1", **labels: str) -> PodRecord:
    return PodRecord(ns, pod_name, dict(labels), node=node, ip=f"10.0.0.{next(_ip)}", owner=f"ReplicaSet/{pod_name}")


def cilium_model(netpols: list[dict[str, Any]] | None = None) -> ClusterModel:
    pods = [
        pod("default", "web-1", id="web-server"),
        pod("default", "client-1", id="goodclient"),
        pod("default", "client-2", id="goodclient", tier="x"),  # another label set: another identity
        pod("default", "svc", app="myService"),
        pod("default", "crawler", role="crawler"),
        pod("default", "public", role="public"),
        pod("default", "test-app", app="test-app"),
        pod("default", "restricted", role="restricted"),
        pod("default", "leia", name="leia"),
        pod("default", "luke", name="luke"),
        pod("default", "rebel", name="rebel-base"),
        pod("default", "app2", id="app2"),
        pod("kube-system", "dns-1", "n2", **{"k8s-app": "kube-dns"}),
        pod("kube-system", "dns-2", "n2", **{"k8s-app": "kube-dns"}),  # same labels: one identity
        pod("ns1", "leia", "n2", name="leia"),
        pod("ns2", "luke", "n2", name="luke"),
        pod("production", "strict", "n2", **{"cilium.example.com/policy": "strict"}),
    ]
    namespaces = {ns: {"kubernetes.io/metadata.name": ns} for ns in ("default", "kube-system", "ns1", "ns2")}
    namespaces["production"] = {"kubernetes.io/metadata.name": "production", "faction": "alliance"}
    return ClusterModel(
        pods=pods,
        namespaces=namespaces,
        nodes={"n1": NodeRecord("n1", "192.168.0.10"), "n2": NodeRecord("n2", "192.168.0.11")},
        policies=[parse_policy(p, f"doc {i}") for i, p in enumerate(netpols or [])],
    )


def cilium_of(section: dict[str, Any]) -> int:
    return section["cilium"]["policy_map_entries"]["max"]


def loads_by_pod(model: ClusterModel, translated: Translation) -> dict[str, int]:
    loads, _ = cilium_loads(model, translated)
    return {f"{load.pod.namespace}/{load.pod.name}": load.entries for load in loads}


def test_real_cilium_examples_per_pod() -> None:
    model = cilium_model()
    translated = translate(load_objects("cilium"), model)
    t = translated["cilium"]
    # 12 CiliumNetworkPolicies (isolate-namespaces.yaml holds two) and 1 clusterwide policy.
    assert t.objects == 13 and t.not_analysed_count == 0
    # 12 namespaced policies, and the clusterwide one kept whole (it selects across namespaces).
    assert len(t.policies) == 12 and len(t.clusterwide) == 1
    # The http rule keeps its L4 entry; the FQDN and Service peers are counted, not guessed.
    assert dict(t.not_modelled) == {"L7 rules (http)": 1, "toFQDNs": 1, "toServices": 1}
    got = loads_by_pod(model, t)
    # Every default pod gets two from the endpointSelector {} policies: allow-to-kubedns (egress: the one
    # kube-dns identity on UDP/53) and and-statement-policy (ingress: the one production strict identity, any port).
    assert got["default/client-1"] == got["default/client-2"] == got["default/luke"] == 2
    # web-server: + the l7 rule's 2 goodclient identities on TCP/8181 (the http rule itself is not a map entry): 4.
    assert got["default/web-1"] == 4
    # myService: + egress 20.1.1.1/32 (1 CIDR identity) and 10.0.0.0/8 except 10.96.0.0/12 (the 4 prefixes left:
    # /9, /10, /11 and 10.112.0.0/12), all ports: 2 + 5 = 7.
    assert got["default/svc"] == 7
    # crawler: + 192.0.2.0/24 on TCP/80: 3. public: + reserved:world, any port: 3.
    assert got["default/crawler"] == 3 and got["default/public"] == 3
    # test-app: + kube-dns on any port (a second port for the same identity) and the toFQDNs rule's nothing: 3.
    assert got["default/test-app"] == 3
    # restricted: the empty egress section adds default deny and no entry: 2. app2: toServices adds none: 2.
    assert got["default/restricted"] == 2 and got["default/app2"] == 2
    # leia in default: + the clusterwide policy's two luke identities (default and ns2 differ by namespace): 4.
    assert got["default/leia"] == 4
    # rebel-base: ingress from faction=alliance namespaces is the same strict identity as and-statement's (one
    # entry), egress to it a second entry beside kube-dns: 1 + 2 = 3.
    assert got["default/rebel"] == 3
    # ns1/leia: isolate-ns1 (itself, any port) + the clusterwide two lukes: 3. ns2/luke: isolate (itself): 1.
    assert got["ns1/leia"] == 3 and got["ns2/luke"] == 1
    assert got["kube-system/dns-1"] == 0 and got["production/strict"] == 0


def test_cilium_objects_add_to_kubernetes_policies_without_double_counting() -> None:
    # A Kubernetes NetworkPolicy allowing the same goodclient peers on TCP/8181 as the l7 rule: the entries are
    # the same (identity, port, protocol) pairs, so web-1 stays at 4; EKS sees only the Kubernetes policy.
    netpol = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "podSelector": {"matchLabels": {"id": "web-server"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"id": "goodclient"}}}],
                         "ports": [{"protocol": "TCP", "port": 8181}]}],
        },
    }  # fmt: skip
    model = cilium_model([netpol])
    base = analyse(model)
    # Without the Cilium objects: web-1 has the 2 goodclient identities on TCP/8181.
    assert cilium_of(base) == 2
    section = add_cni_policies(base, model, translate(load_objects("cilium"), model))
    assert cilium_of(section) == 7  # myService, as above
    top = {r["pod"]: r["value"] for r in section["cilium"]["top"]}
    assert top["web-1"] == 4  # 2 (both) + kube-dns + strict
    assert section["eks"] == base["eks"]  # the VPC CNI agent enforces Kubernetes NetworkPolicy only
    assert section["cni_policies"]["cilium"]["objects"] == 13
    # Node n1 holds the 12 default pods: 2+2+2+2 (clients, luke, app2) + web-1 4 + svc 7 + crawler 3 + public 3
    # + test-app 3 + restricted 2 + leia 4 + rebel 3 = 37.
    busiest = {row["node"]: row["cilium_entries"] for row in section["nodes"]["busiest"]}
    assert busiest["n1"] == 37
    # n2: ns1/leia 3 + ns2/luke 1 + dns and strict 0 = 4; the distribution over the two nodes.
    assert busiest["n2"] == 4 and section["nodes"]["cilium_entries"]["max"] == 37


def calico_model() -> ClusterModel:
    pods = [
        pod("migration-test", "web-1", "n1", app="web", **{"migration-test": "true"}),
        pod("migration-test", "web-2", "n2", app="web", **{"migration-test": "true"}),
        pod("migration-test", "probe", "n1", **{"migration-test": "true"}),
        pod("yaobank", "customer", "n1", app="customer"),
        pod("yaobank", "summary", "n2", app="summary"),
        pod("yaobank", "database", "n2", app="database"),
    ]
    return ClusterModel(
        pods=pods, nodes={"n1": NodeRecord("n1", "192.168.0.10"), "n2": NodeRecord("n2", "192.168.0.11")}
    )


def test_real_calico_examples_rules_per_node() -> None:
    model = calico_model()
    translated = translate(load_objects("calico"), model)
    t = translated["calico"]
    # 5 GlobalNetworkPolicies and 1 NetworkPolicy; each global one selects pods in one namespace only.
    assert t.objects == 6 and t.not_analysed_count == 0 and len(t.policies) == 6
    # customer's http match and summary's and database's serviceAccounts sources are named, not modelled.
    assert dict(t.not_modelled) == {"http": 1, "source.serviceAccounts": 2}
    section = add_cni_policies(analyse(model), model, translated)
    calico = section["calico"]
    # Rules per policy as the analysis counts them (rules + one default per direction): test-deny-all 0+0+2 = 2,
    # test-allow-dns 1+1 = 2, test-allow-web 1+1 = 2, customer/summary/database 2+2 = 4 each (no types: both
    # directions, as Calico defaults when both rule lists are present).
    # n1: web-1 and probe (deny-all, allow-dns, allow-web) and customer: 4 policies, 2+2+2+4 = 10 rules.
    # n2: web-2 (the same three), summary and database: 5 policies, 2+2+2+4+4 = 14 rules.
    assert calico["policies_per_node"] == {"max": 5, "p99": 5, "p95": 5, "mean": 4.5}
    assert calico["rules_per_node"] == {"max": 14, "p99": 14, "p95": 14, "mean": 12.0}
    assert calico["max_ipset_members"] == 0  # no selector peers in these rules
    assert section["eks"] == analyse(model)["eks"]


def test_calico_selector_peers_give_ipset_sizes() -> None:
    model = calico_model()
    gnp = {
        "metadata": {"name": "web-from-bank"},
        "spec": {
            "selector": "app == 'web' && has(migration-test)",
            "ingress": [{"action": "Allow", "protocol": "TCP",
                         "source": {"selector": "app in {'customer', 'summary'}", "namespaceSelector": "all()"},
                         "destination": {"ports": [8080, "9000:9010"]}}],
        },
    }  # fmt: skip
    np_ = {
        "metadata": {"name": "same-ns", "namespace": "migration-test"},
        "spec": {"selector": "all()", "ingress": [{"action": "Allow", "source": {"selector": "!has(app)"}}]},
    }
    translated = translate({"globalnetworkpolicies.crd.projectcalico.org": [gnp],
                            "networkpolicies.crd.projectcalico.org": [np_]}, model)  # fmt: skip
    section = add_cni_policies(analyse(model), model, translated)
    # The global policy's source: customer and summary in any namespace = 2 IPs; the namespaced one's: pods of
    # migration-test without an app label = probe, 1 IP. The largest set: 2.
    assert section["calico"]["max_ipset_members"] == 2
    assert section["calico"]["max_ipset_peer"] == "migration-test/gnp:web-from-bank (ingress)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app == 'web'", [Requirement("app", "In", frozenset({"web"}))]),
        ("a != \"x\" && has(b)", [Requirement("a", "NotIn", frozenset({"x"})), Requirement("b", "Exists")]),
        ("!has(k8s-app) && tier in {'a','b'}",
         [Requirement("k8s-app", "DoesNotExist"), Requirement("tier", "In", frozenset({"a", "b"}))]),
        ("t not in {'a'}", [Requirement("t", "NotIn", frozenset({"a"}))]),
        ("all()", []),
        ("", []),
    ],
)  # fmt: skip
def test_calico_selector_subset(text: str, expected: list[Requirement]) -> None:
    assert parse_calico_selector(text) == expected


@pytest.mark.parametrize(
    "text",
    ["a == 'x' || b == 'y'", "(a == 'x')", "name starts with 'db'", "name contains 'x'", "global()", "a == x",
     "has(a) &&", "!(a == 'x')"],
)  # fmt: skip
def test_calico_selectors_outside_the_subset_are_refused(text: str) -> None:
    with pytest.raises(Refused):
        parse_calico_selector(text)


def test_refused_objects_are_counted_not_guessed() -> None:
    model = calico_model()
    bad_calico = {
        "metadata": {"name": "either", "namespace": "yaobank"},
        "spec": {"selector": "app == 'customer' || app == 'summary'", "ingress": [{"action": "Allow"}]},
    }
    good_calico = {
        "metadata": {"name": "ok", "namespace": "yaobank"},
        "spec": {"selector": "app == 'customer'", "ingress": [{"action": "Allow"}]},
    }
    bad_cilium = {
        "metadata": {"name": "odd", "namespace": "yaobank"},
        "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["mars"]}]},
    }
    host = {"metadata": {"name": "host-fw"},
            "spec": {"nodeSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}}  # fmt: skip
    translated = translate(
        {
            "networkpolicies.crd.projectcalico.org": [bad_calico, good_calico],
            "ciliumnetworkpolicies.cilium.io": [bad_cilium],
            "ciliumclusterwidenetworkpolicies.cilium.io": [host],
        },
        model,
    )
    calico, cilium = translated["calico"], translated["cilium"]
    assert (calico.objects, calico.not_analysed_count, len(calico.policies)) == (2, 1, 1)
    assert (
        "NetworkPolicy (Calico) yaobank/either: selector" in calico.not_analysed[0] and "'||'" in calico.not_analysed[0]
    )
    assert (cilium.objects, cilium.not_analysed_count, len(cilium.policies)) == (2, 2, 0)
    assert "unknown entity 'mars'" in cilium.not_analysed[0]
    assert "host policy (nodeSelector)" in cilium.not_analysed[1]
    summary = add_cni_policies(analyse(model), model, translated)["cni_policies"]
    assert summary["calico"]["not_analysed"] == 1 and summary["calico"]["analysed"] == 1
    assert summary["cilium"] == {"objects": 2, "analysed": 0, "policies_added": 0, "not_analysed": 2,
                                 "not_analysed_examples": cilium.not_analysed, "not_modelled": {}}  # fmt: skip


def test_cilium_entities_ports_and_deny_rules() -> None:
    model = cilium_model()
    obj = {
        "metadata": {"name": "mixed", "namespace": "default"},
        "spec": {
            "endpointSelector": {"matchLabels": {"k8s:id": "web-server"}},
            "ingress": [
                # host and remote-node are 2 reserved identities; ANY on port 8080 is TCP and UDP: 2 x 2 = 4.
                {
                    "fromEntities": ["host", "remote-node"],
                    "toPorts": [{"ports": [{"port": "8080", "protocol": "ANY"}]}],
                },
                # a rule with ports only allows every peer: one wildcard identity on TCP/9000..9003 (one aligned
                # block of 4 ports): 1.
                {"toPorts": [{"ports": [{"port": "9000", "endPort": 9003, "protocol": "TCP"}]}]},
                {},  # default deny only: nothing
            ],
            # deny entries take slots too: kube-dns identity, every port: 1.
            "egressDeny": [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}]}],
        },
    }  # fmt: skip
    t = translate({"ciliumnetworkpolicies.cilium.io": [obj]}, model)["cilium"]
    assert t.not_analysed_count == 0
    assert loads_by_pod(model, t)["default/web-1"] == 4 + 1 + 1
    # "cluster" is every local pod identity plus host, remote-node, init and unmanaged. The model's identities:
    # 12 default label sets, where client-1/-2 differ, ns1 leia, ns2 luke, kube-dns (1), strict = 16 + 4 = 20.
    everything = copy.deepcopy(obj)
    everything["spec"] = {
        "endpointSelector": {"matchLabels": {"id": "web-server"}},
        "ingress": [{"fromEntities": ["cluster"]}],
    }
    t = translate({"ciliumnetworkpolicies.cilium.io": [everything]}, model)["cilium"]
    assert loads_by_pod(model, t)["default/web-1"] == 20
    # "all" is one wildcard entry.
    everything["spec"]["ingress"] = [{"fromEntities": ["all"]}]
    t = translate({"ciliumnetworkpolicies.cilium.io": [everything]}, model)["cilium"]
    assert loads_by_pod(model, t)["default/web-1"] == 1


def test_calico_section_equals_the_full_analysis() -> None:
    # The Calico figures computed alone are those analyse() computes, on the real examples and the hand-built
    # selector peers (with a Kubernetes NetworkPolicy beside them).
    from dataclasses import replace

    from evaluator.dataplane.crds import calico_section

    model = calico_model()
    netpol = {
        "metadata": {"name": "k", "namespace": "yaobank"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "customer"}}}]}]},
    }
    model.policies = [parse_policy(netpol)]
    objects = load_objects("calico")
    objects["networkpolicies.crd.projectcalico.org"].append(
        {
            "metadata": {"name": "x", "namespace": "migration-test"},
            "spec": {"selector": "has(app)", "ingress": [{"action": "Allow", "source": {"selector": "!has(app)"}}]},
        }
    )
    added = translate(objects, model)["calico"].policies
    full = replace(model, policies=model.policies + added)
    assert calico_section(full) == analyse(full)["calico"]
    assert calico_section(full)["rules_per_node"]["max"] > 0 and calico_section(full)["max_ipset_members"] == 1


@pytest.mark.parametrize(("seed", "pods", "namespaces", "policies"), [(1, 400, 12, 60), (2024, 900, 20, 160)])
def test_cilium_counting_equals_pod_loads_on_kubernetes_policies(seed: int, pods: int, namespaces: int, policies: int):
    # With no Cilium objects, the Cilium-only counting gives pod_loads' Cilium entries pod by pod (seeded
    # simulator specs with the realistic NetworkPolicy shapes, container ports resolved).
    from evaluator.simulator import parse_spec
    from evaluator.simulator.served import Cluster
    from tests.test_dataplane_truth import _objects, model_of

    spec = parse_spec(
        f"name: dp{seed}\nversion: '1.30.2'\nseed: {seed}\nnodes: 24\npods: {pods}\nnamespaces: {namespaces}\n"
        f"network_policies: {policies}\nservices: 10\ncni: cilium\nmax_pods_per_node: 110\n"
    )
    model = model_of(*_objects(Cluster(spec)))
    expected = {(p.namespace, p.name): load.cilium for p, load in pod_loads(model)[0]}
    got = {(load.pod.namespace, load.pod.name): load.entries for load in cilium_loads(model, Translation())[0]}
    assert got == expected and max(got.values()) > 0


def _simulated(cni: str, seed: int, cnp: int, ccnp: int, gnp: int) -> tuple[ClusterModel, dict[str, Translation]]:
    """A seeded simulator cluster's model and its served CNI policy objects, translated."""
    from evaluator.simulator import parse_spec
    from evaluator.simulator.served import Cluster
    from tests.test_dataplane_truth import _objects, model_of

    counts = (f"cilium_policies: {cnp}\ncilium_clusterwide_policies: {ccnp}\n" if cni == "cilium"
              else f"calico_policies: {cnp}\ncalico_global_policies: {gnp}\n")  # fmt: skip
    spec = parse_spec(
        f"name: f{seed}\nversion: '1.30.2'\nseed: {seed}\nnodes: 12\npods: 900\nnamespaces: 14\n"
        f"network_policies: 120\nservices: 10\ncni: {cni}\nmax_pods_per_node: 110\n{counts}"
    )
    cluster = Cluster(spec)
    model = model_of(*_objects(cluster))
    objects = {key: [cluster.builders.custom_resource(key, ns, j) for ns, n in enumerate(counts) for j in range(n)]
               for key, counts in cluster.cr_counts.items() if key in KINDS.values()}  # fmt: skip
    return model, translate(objects, model)


@pytest.mark.parametrize(("cni", "seed", "cnp", "ccnp", "gnp"),
                         [("cilium", 3, 40, 4, 0), ("cilium", 11, 90, 0, 0), ("calico", 5, 40, 0, 6),
                          ("calico", 8, 0, 0, 3)])  # fmt: skip
def test_one_pass_equals_the_analysis_plus_the_cni_passes(cni: str, seed: int, cnp: int, ccnp: int, gnp: int) -> None:
    # The CNI policies counted in the main pass give the very section the separate passes give, key order too.
    from evaluator.dataplane.crds import analyse_with_cni

    model, translated = _simulated(cni, seed, cnp, ccnp, gnp)
    assert translated[cni].policies or translated[cni].clusterwide
    two_pass = add_cni_policies(analyse(model), model, translated)
    one_pass = analyse_with_cni(model, translated)
    assert list(one_pass) == list(two_pass) and one_pass == two_pass
    # And the CNI objects did change the figures they belong to.
    base = analyse(model)
    changed = "cilium" if cni == "cilium" else "calico"
    assert one_pass[changed] != base[changed] and one_pass["eks"] == base["eks"]


def test_shared_policy_parts_change_nothing() -> None:
    # The collector shares equal selectors and rules between policies (per-namespace copies of one shape); the
    # analysis must not tell the difference, and the copies really share.
    from dataclasses import replace

    from evaluator.dataplane.model import share_parts

    model, translated = _simulated("cilium", 3, 40, 4, 0)
    seen: dict[Any, Any] = {}
    shared = replace(model, policies=[share_parts(p, seen) for p in model.policies])
    assert shared.policies == model.policies
    distinct = {id(p.pod_selector) for p in shared.policies}
    assert len(distinct) < len(shared.policies) and len(distinct) == len({p.pod_selector for p in model.policies})
    assert analyse(shared) == analyse(model)
    from evaluator.dataplane.crds import analyse_with_cni

    assert analyse_with_cni(shared, translated) == analyse_with_cni(model, translated)
