"""Hand-built cases for the NetworkPolicy dataplane analysis, each from the documented behaviour of the EKS
network policy agent (aws-network-policy-agent pkg/fwruleprocessor/fw_rule_processor.go @ c8619c05), its
controller (amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go @ ecc7e6a7) and Cilium's docs.
The expected number is worked out in a comment on each case."""

from __future__ import annotations

from typing import Any

import pytest

from evaluator.dataplane import ClusterModel, NodeRecord, PodRecord, analyse, parse_policy, pod_loads
from evaluator.dataplane.analysis import cidr_identities, identity_labels, port_blocks
from evaluator.errors import InputError

NODE_IP = "192.168.0.10"


def pod(name: str, ip: str, ns: str = "shop", owner: str | None = "ReplicaSet/rs", node: str = "n1", **labels: str):
    """A pod; ``ports`` go in named_ports via :func:`with_ports`."""
    return PodRecord(ns, name, dict(labels), node=node, ip=ip, owner=owner)


def with_ports(p: PodRecord, **ports: int) -> PodRecord:
    p.named_ports = {(name, "TCP"): number for name, number in ports.items()}
    return p


def netpol(name: str, selector: dict[str, str], ingress: list[Any] | None = None, egress: list[Any] | None = None,
           ns: str = "shop") -> dict[str, Any]:  # fmt: skip
    types = (["Ingress"] if ingress is not None else []) + (["Egress"] if egress is not None else [])
    spec: dict[str, Any] = {"podSelector": {"matchLabels": selector}, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


def tcp(*ports: int | str) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def from_pods(labels: dict[str, str], ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": labels}}]}
    if ports is not None:
        rule["ports"] = ports
    return rule


def from_cidr(cidr: str, ports: list[dict[str, Any]] | None = None, excepts: list[str] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = excepts
    rule: dict[str, Any] = {"from": [{"ipBlock": block}]}
    if ports is not None:
        rule["ports"] = ports
    return rule


def model(pods: list[PodRecord], policies: list[dict[str, Any]], named_known: bool = True) -> ClusterModel:
    nodes = {"n1": NodeRecord("n1", NODE_IP), "n2": NodeRecord("n2", "192.168.0.11")}
    return ClusterModel(
        pods=pods,
        nodes=nodes,
        policies=[parse_policy(p, f"doc {i}") for i, p in enumerate(policies)],
        named_ports_known=named_known,
    )


def load_of(m: ClusterModel, name: str):
    loads, _ = pod_loads(m)
    return next(load for p, load in loads if p.name == name)


WEB = {"app": "web"}
CLIENT = {"app": "client"}


def test_policies_selecting_one_pod_are_merged_per_peer():
    # Three policies select web; from the client pod they allow {80, 443}, {8080} and {80}. The agent appends the
    # L4 lists of rules with the same key and mergeDuplicateL4Info drops the repeated TCP/80: 3 entries.
    # Keys: the client's /32 and the node's own allow-all key = 2.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [
            netpol("a", WEB, [from_pods(CLIENT, tcp(80, 443))]),
            netpol("b", WEB, [from_pods(CLIENT, tcp(8080))]),
            netpol("c", WEB, [from_pods(CLIENT, tcp(80))]),
        ],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_key, load.eks_keys, load.policies) == (3, "10.0.1.5", 2, 3)
    assert load.eks_total == 3 + 1  # client key + node key


def test_many_one_port_policies_pass_24_while_every_rule_has_one_port():
    # 25 per-port policies select web from the same client: every rule has 1 port (the old per-rule count
    # said 1), but the merged set for peer 10.0.1.5 has 25 entries, one over the agent's 24.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [netpol(f"p{i}", WEB, [from_pods(CLIENT, tcp(9000 + i))]) for i in range(25)],
    )
    out = analyse(m)
    assert out["eks"]["entries_per_peer"]["max"] == 25
    assert out["eks"]["pods_over_entry_limit"] == 1
    top = out["eks"]["top"][0]
    assert (top["workload"], top["peer"], top["value"], top["policy_count"]) == ("ReplicaSet/rs", "10.0.1.5", 25, 25)


def test_more_specific_cidr_inherits_broader_ports():
    # a: 10.0.0.0/16 ports {80, 81}; b: 10.0.1.0/24 port {90}; c: the client pod 10.0.1.5 port {7000}.
    # Sorted broadest first, /24 inherits /16: {90, 80, 81} = 3; the /32 inherits both: {7000, 80, 81, 90} = 4.
    # Keys: /16, /24, /32 and the node = 4.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [
            netpol("a", WEB, [from_cidr("10.0.0.0/16", tcp(80, 81))]),
            netpol("b", WEB, [from_cidr("10.0.1.0/24", tcp(90))]),
            netpol("c", WEB, [from_pods(CLIENT, tcp(7000))]),
        ],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_key, load.eks_keys) == (4, "10.0.1.5", 4)
    assert load.eks_total == 2 + 3 + 4 + 1
    assert sorted(m.policies[i].name for i in load.eks_policies) == ["a", "b", "c"]


def test_except_blocks_inheritance_and_adds_a_deny_key():
    # a: 10.0.0.0/16 except 10.0.1.0/24, port 80; c: pods app=client port 9000, one client inside the except
    # (10.0.1.5) and one outside (10.0.2.5). The except is not a key yet, so it becomes a deny key (1 entry).
    # 10.0.1.5 does not inherit /16 (excepted): {9000} = 1; 10.0.2.5 inherits: {9000, 80} = 2.
    # Keys: /16, deny /24, two /32s, node = 5.
    m = model(
        [pod("web-1", "10.0.3.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT), pod("client-2", "10.0.2.5", **CLIENT)],
        [
            netpol("a", WEB, [from_cidr("10.0.0.0/16", tcp(80), ["10.0.1.0/24"])]),
            netpol("c", WEB, [from_pods(CLIENT, tcp(9000))]),
        ],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_key, load.eks_keys) == (2, "10.0.2.5", 5)
    assert load.eks_total == 1 + 1 + 1 + 2 + 1


def test_except_that_is_already_a_key_is_not_a_deny_and_does_not_inherit():
    # a: 10.0.0.0/16 except 10.0.1.0/24 port 80; b: 10.0.1.0/24 ports {90, 91}. The /24 is a key of its own, so
    # no deny key is added, and it is inside a's except, so it does not inherit 80: 2 entries. Keys: 2 + node = 3.
    m = model(
        [pod("web-1", "10.0.3.1", **WEB)],
        [
            netpol("a", WEB, [from_cidr("10.0.0.0/16", tcp(80), ["10.0.1.0/24"])]),
            netpol("b", WEB, [from_cidr("10.0.1.0/24", tcp(90, 91))]),
        ],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_key, load.eks_keys) == (2, "10.0.1.0/24", 3)


def test_empty_ports_is_one_catch_all_entry_that_does_not_merge_with_ports():
    # a allows everything from client (no ports: addCatchAllL4Entry, 1 entry); b allows TCP/80 and a
    # protocol-only UDP entry. The catch-all (ANY, 0, 0), (TCP, 80, 0) and (UDP, 0, 0) are distinct: 3.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [
            netpol("a", WEB, [from_pods(CLIENT)]),
            netpol("b", WEB, [from_pods(CLIENT, [{"protocol": "TCP", "port": 80}, {"protocol": "UDP"}])]),
        ],
    )
    assert load_of(m, "web-1").eks_max == 3


def test_rule_without_from_is_all_addresses():
    # No from: the controller emits 0.0.0.0/0 and ::/0 with the ports; the agent skips ::/0 on an IPv4 node.
    # a: all sources, ports {80, 443}; b: client port 8443. The client /32 inherits 0.0.0.0/0: {8443, 80, 443} = 3.
    # Keys: 0.0.0.0/0, client, node = 3.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [netpol("a", WEB, [{"ports": tcp(80, 443)}]), netpol("b", WEB, [from_pods(CLIENT, tcp(8443))])],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_keys) == (3, 3)


def test_ingress_named_ports_resolve_on_the_policy_pods():
    # The policy selects tier=front: web pods name "http" 8080, api pods name "http" 9090. The controller resolves
    # the ingress port on every destination pod and dedups: {8080, 9090}, so the client key has 2 entries on
    # both destinations.
    m = model(
        [
            with_ports(pod("web-1", "10.0.2.1", app="web", tier="front"), http=8080),
            with_ports(pod("api-1", "10.0.2.2", app="api", tier="front"), http=9090),
            pod("client-1", "10.0.1.5", **CLIENT),
        ],
        [netpol("a", {"tier": "front"}, [from_pods(CLIENT, tcp("http"))])],
    )
    assert load_of(m, "web-1").eks_max == 2
    assert load_of(m, "api-1").eks_max == 2


def test_egress_named_ports_resolve_per_peer_and_unresolved_peers_are_skipped():
    # web may reach app=db on "pg". db-1 names pg 5432 (1 entry); db-2 has no "pg" port, so the controller skips
    # that pod ("Couldn't get matched port list from the pod"). Keys: db-1 and the node = 2.
    m = model(
        [
            pod("web-1", "10.0.2.1", **WEB),
            with_ports(pod("db-1", "10.0.5.1", app="db", v="1"), pg=5432),
            with_ports(pod("db-2", "10.0.5.2", app="db", v="2"), mysql=3306),
        ],
        [netpol("a", WEB, egress=[{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": tcp("pg")}])],
    )
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_key, load.eks_keys) == (1, "10.0.5.1", 2)


def test_named_ports_unknown_count_one_entry_per_name():
    # From metadata only (no container ports), "http" and "metrics" count one entry each: 2.
    m = model(
        [pod("web-1", "10.0.2.1", **WEB), pod("client-1", "10.0.1.5", **CLIENT)],
        [netpol("a", WEB, [from_pods(CLIENT, tcp("http", "metrics"))])],
        named_known=False,
    )
    for p in m.pods:
        p.named_ports = None
    assert load_of(m, "web-1").eks_max == 2
    assert "not collected" in analyse(m)["named_ports"]


def test_peer_on_the_node_ip_is_skipped():
    # A hostNetwork peer has its node's IP. On web-1's own node the agent skips that rule (IsNodeIP) and keeps its
    # allow-all node key, so the key count is 1; web-2 on another node sees the peer as a /32: 2 keys.
    m = model(
        [
            pod("web-1", "10.0.2.1", node="n1", **WEB),
            pod("web-2", "10.0.3.1", node="n2", **WEB),
            PodRecord(
                "kube-system",
                "agent-x",
                {"app": "agent"},
                node="n1",
                ip=NODE_IP,
                owner="DaemonSet/agent",
                host_network=True,
            ),  # fmt: skip
        ],
        [
            netpol(
                "a",
                WEB,
                [
                    {
                        "from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "agent"}}}],
                        "ports": tcp(10250, 10255),
                    }
                ],
            )
        ],  # fmt: skip
    )
    assert load_of(m, "web-1").eks_keys == 1
    assert load_of(m, "web-1").eks_max == 1
    assert load_of(m, "web-2").eks_keys == 2
    assert load_of(m, "web-2").eks_max == 2


def test_uncovered_pods_standalone_and_hostnetwork():
    # Two pods selected by a policy that the agent cannot enforce: one without ownerReferences, one hostNetwork.
    m = model(
        [
            pod("web-1", "10.0.2.1", **WEB),
            pod("debug", "10.0.2.9", owner=None, **WEB),
            PodRecord("shop", "hn", dict(WEB), node="n2", ip="192.168.0.11", owner="DaemonSet/x", host_network=True),
        ],
        [netpol("deny", WEB, [])],
    )
    out = analyse(m)
    assert out["eks"]["uncovered_by_reason"] == {"host_network": 1, "no_owner_references": 1}
    assert out["eks"]["uncovered_examples"]["no_owner_references"] == "shop/debug"
    assert out["pods_analysed"] == 2  # the hostNetwork pod is not an endpoint


def test_default_deny_has_only_the_node_key():
    # A default deny selects web with no rules: the trie holds the node's key only.
    m = model([pod("web-1", "10.0.2.1", **WEB)], [netpol("deny", {}, [], [])])
    load = load_of(m, "web-1")
    assert (load.eks_max, load.eks_keys, load.cilium, load.policies) == (1, 1, 0, 1)


def test_selection_with_expressions_and_namespace_selector():
    # matchExpressions (In, NotIn) and a namespaceSelector on namespace labels: client-1 (team=a) is a peer,
    # client-2 in team b is not, so the merged key count is 1 peer + node = 2.
    pods = [
        pod("web-1", "10.0.2.1", app="web", tier="front"),
        pod("web-2", "10.0.2.2", app="web", tier="back"),
        pod("client-1", "10.0.1.5", ns="ns-a", **CLIENT),
        pod("client-2", "10.0.1.6", ns="ns-b", **CLIENT),
    ]
    pol = {
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]},
                                                 {"key": "app", "operator": "NotIn", "values": ["db"]}]},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}},
                                   "podSelector": {"matchLabels": CLIENT}}], "ports": tcp(80)}],
        },
    }  # fmt: skip
    m = model(pods, [pol])
    m.namespaces = {"ns-a": {"team": "a"}, "ns-b": {"team": "b"}, "shop": {}}
    loads = dict((p.name, load) for p, load in pod_loads(m)[0])
    assert loads["web-1"].eks_keys == 2 and loads["web-1"].policies == 1
    assert loads["web-2"].policies == 0


def test_cilium_entries_and_identities():
    # Ingress from app=client (two Deployments: client-a and client-b labels differ in "track", so 2 identities;
    # pod-template-hash is ignored) on ports {80, 443}: 2 x 2 = 4. Plus an ipBlock 10.0.0.0/16 except
    # 10.0.1.0/24 on port 80: the /16 minus a /24 leaves 8 prefixes (/17 ... /24), 8 CIDR identities x 1 = 8.
    # Total 12 entries for web.
    m = model(
        [
            pod("web-1", "10.0.2.1", **WEB),
            pod("ca-1", "10.0.1.5", app="client", track="a", **{"pod-template-hash": "h1"}),
            pod("ca-2", "10.0.1.6", app="client", track="a", **{"pod-template-hash": "h2"}),
            pod("cb-1", "10.0.1.7", app="client", track="b"),
        ],
        [netpol("a", WEB, [from_pods(CLIENT, tcp(80, 443)), from_cidr("10.0.0.0/16", tcp(80), ["10.0.1.0/24"])])],
    )
    assert load_of(m, "web-1").cilium == 12
    # Identities: web, client track=a (two hashes, one identity), client track=b = 3.
    assert analyse(m)["cilium"]["identities"] == 3


def test_identity_label_filter():
    labels = {"app": "x", "pod-template-hash": "abc", "controller-revision-hash": "1",
              "app.kubernetes.io/name": "x", "statefulset.kubernetes.io/pod-name": "x-0",
              "topology.beta.kubernetes.io/zone": "a"}  # fmt: skip
    assert identity_labels(labels) == (("app", "x"), ("app.kubernetes.io/name", "x"),
                                       ("statefulset.kubernetes.io/pod-name", "x-0"))  # fmt: skip


@pytest.mark.parametrize(
    ("start", "end", "blocks"),
    [
        (80, 80, 1),
        # 8000-8063 (64), 8064-8191 (128), 8192-8703 (512), 8704-8959 (256), 8960-8991 (32), 8992-8999 (8)
        (8000, 8999, 6),
        (0, 65535, 1),
        (1024, 2047, 1),
    ],
)
def test_port_blocks(start: int, end: int, blocks: int):
    assert port_blocks(start, end) == blocks


def test_cidr_identities_except():
    assert len(cidr_identities("10.0.0.0/16", ("10.0.1.0/24",))) == 8
    assert cidr_identities("10.0.0.0/16", ()) == {"cidr:10.0.0.0/16"}


def test_distributions_and_histogram():
    # Three web pods, 25 ports from one client: every web pod has 25; the client (unselected) has 0.
    m = model(
        [pod(f"web-{i}", f"10.0.2.{i}", **WEB) for i in range(1, 4)] + [pod("client-1", "10.0.1.5", **CLIENT)],
        [netpol(f"p{i}", WEB, [from_pods(CLIENT, tcp(9000 + i))]) for i in range(25)],
    )
    out = analyse(m)
    assert out["eks"]["entries_per_peer"] == {"max": 25, "p99": 25, "p95": 25, "mean": 18.75}
    assert out["eks"]["histogram"] == [[0, 1], [32, 3]]
    assert out["eks"]["top"][0]["pods"] == 3
    assert out["nodes"]["busiest"][0]["node"] == "n1"
    assert out["eks"]["policy_endpoints_estimate"] == 25


def test_parse_policy_errors_name_the_place():
    with pytest.raises(InputError, match=r"doc 3: spec.ingress\[0\].from\[0\].ipBlock.cidr: not a CIDR"):
        parse_policy(netpol("x", WEB, [from_cidr("10.0.0.0/33")]), "doc 3")
    with pytest.raises(InputError, match="operator"):
        parse_policy({"metadata": {"name": "x"}, "spec": {"podSelector": {"matchExpressions": [
            {"key": "a", "operator": "Near"}]}}}, "d")  # fmt: skip
