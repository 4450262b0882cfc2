"""The kube collector's pure parsing: metrics text, flags, CIDRs, CNI detection and the page tallies."""

from __future__ import annotations

import pytest

from evaluator.collectors.kube_parse import (
    DaemonSetInfo,
    NodeTally,
    PodTally,
    PolicyTally,
    SliceTally,
    WebhookTally,
    counts_from_metrics,
    db_size_from_metrics,
    detect_cni,
    image_tag,
    ip_family,
    kube_proxy_mode,
    parse_feature_gates,
    parse_flags,
    parse_metrics,
    resources_from_aggregated,
    resources_from_legacy,
    stats,
    summarise_cidrs,
)

METRICS = """\
# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind.
# TYPE apiserver_storage_objects gauge
apiserver_storage_objects{resource="pods"} 120
apiserver_storage_objects{resource="deployments.apps"} 7
apiserver_storage_objects{resource="leases.coordination.k8s.io"} -1
apiserver_resource_objects{group="",resource="pods"} 121
apiserver_resource_objects{group="apps",resource="deployments"} 8
etcd_object_counts{resource="configmaps"} 30
apiserver_storage_size_bytes{storage_cluster_id="etcd-1"} 9.0e+09
apiserver_storage_size_bytes{storage_cluster_id="etcd-0"} 5.36870912e+09
apiserver_request_total{code="200",verb="GET"} 5
"""


def test_metrics_counts_prefer_newest_name_and_drop_minus_one() -> None:
    samples = parse_metrics(METRICS)
    counts, source = counts_from_metrics(samples)
    assert counts == {"pods": 121, "deployments.apps": 8, "configmaps": 30}
    assert source["pods"] == "apiserver_resource_objects" and source["configmaps"] == "etcd_object_counts"
    assert "leases.coordination.k8s.io" not in counts  # -1: the apiserver could not count them


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (METRICS, (5368709120, "apiserver_storage_size_bytes")),  # etcd-0 is the main etcd, not the events one
        ('apiserver_storage_size_bytes{cluster="etcd-0"} 100\n', (100, "apiserver_storage_size_bytes")),
        (
            'apiserver_storage_db_total_size_in_bytes{endpoint="https://a:2379"} 10\n'
            'apiserver_storage_db_total_size_in_bytes{endpoint="https://b:2379"} 30\n',
            (30, "apiserver_storage_db_total_size_in_bytes"),
        ),
        ('etcd_db_total_size_in_bytes{endpoint="x"} 42\n', (42, "etcd_db_total_size_in_bytes")),
        ("apiserver_request_total 1\n", (None, None)),
    ],
)
def test_db_size_under_every_metric_name(text: str, expected: tuple[int | None, str | None]) -> None:
    assert db_size_from_metrics(parse_metrics(text)) == expected


def test_discovery_documents() -> None:
    aggregated = {
        "kind": "APIGroupDiscoveryList",
        "items": [
            {
                "metadata": {"name": "apps"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {"resource": "deployments", "scope": "Namespaced", "verbs": ["get", "list"]},
                            {"resource": "deployments/scale", "scope": "Namespaced", "verbs": ["get"]},
                        ],
                    },
                    {"version": "v1beta1", "resources": [{"resource": "old", "verbs": ["list"]}]},
                ],
            },
            {"metadata": {"name": "metrics.k8s.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale"}]},
        ],
    }
    res, stale = resources_from_aggregated(aggregated)
    # every version is walked: a resource only at a later version is kept at that version
    assert [r.key for r in res] == ["deployments.apps", "old.apps"] and res[0].path == "/apis/apps/v1/deployments"
    assert res[1].path == "/apis/apps/v1beta1/old"
    assert stale == ["metrics.k8s.io"]
    legacy = {
        "resources": [
            {"name": "pods", "namespaced": True, "verbs": ["list"]},
            {"name": "pods/log", "verbs": ["get"]},
            {"name": "bindings", "verbs": ["create"]},
        ]
    }
    assert [(r.key, r.path) for r in resources_from_legacy("", "v1", legacy)] == [("pods", "/api/v1/pods")]


def test_flags_and_gates() -> None:
    flags = parse_flags(
        ["kube-apiserver", "--feature-gates=A=true,B=false", "--allow-privileged", "--v", "2", "--x=1=2"]
    )
    assert flags == {"feature-gates": "A=true,B=false", "allow-privileged": "true", "v": "2", "x": "1=2"}
    assert parse_feature_gates(flags["feature-gates"]) == {"A": True, "B": False}


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("quay.io/cilium/cilium:v1.15.1@sha256:abc", "1.15.1"),
        ("602401143452.dkr.ecr.eu-west-2.amazonaws.com/amazon-k8s-cni:v1.18.1-eksbuild.1", "1.18.1-eksbuild.1"),
        ("localhost:5000/calico/node", None),
        ("docker.io/calico/node:latest", "latest"),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


def test_cni_detection_precedence() -> None:
    aws = DaemonSetInfo("kube-system", "aws-node", ("x/amazon-k8s-cni-init:v1.18.1", "x/amazon-k8s-cni:v1.18.1"))
    calico = DaemonSetInfo("calico-system", "calico-node", ("docker.io/calico/node:v3.27.0",))
    cilium = DaemonSetInfo("kube-system", "cilium", ("quay.io/cilium/cilium:v1.15.1",))
    other = DaemonSetInfo("apps", "cilium", ("quay.io/cilium/cilium:v9",))  # not a system namespace
    assert detect_cni([aws, calico]) == ("aws-vpc-cni", "1.18.1")  # Calico policy-only beside the VPC CNI
    assert detect_cni([aws, cilium]) == ("cilium", "1.15.1")  # chained Cilium
    assert detect_cni([calico]) == ("calico", "3.27.0")
    assert detect_cni([other]) == (None, None)


def test_kube_proxy_mode() -> None:
    assert (
        kube_proxy_mode("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n")
        == "ipvs"
    )
    assert kube_proxy_mode('kind: KubeProxyConfiguration\nmode: ""\n') == "iptables"
    assert kube_proxy_mode("not: relevant\n") is None


def test_cidrs_and_family() -> None:
    nodes = [f"10.244.{i}.0/24" for i in range(4)]
    assert summarise_cidrs(nodes) == ["10.244.0.0/22"]
    scattered = [f"10.{i}.0.0/24" for i in range(0, 40, 4)]
    assert summarise_cidrs(scattered) == ["10.0.0.0/10"]
    assert ip_family(["10.0.0.0/8"]) == "ipv4" and ip_family(["10.0.0.0/8", "fd00::/48"]) == "dual"


def test_stats() -> None:
    s = stats(list(range(1, 101)))
    assert (s.max, s.min, s.p95, s.mean) == (100, 1, 95, 50.5)
    assert stats([]).max is None


def test_pod_table_counts_only_bound_non_terminal_pods() -> None:
    table = {
        "kind": "Table",
        "columnDefinitions": [{"name": n} for n in ("Name", "Ready", "Status", "Restarts", "Age", "IP", "Node")],
        "rows": [
            {"cells": ["a", "1/1", "Running", 0, "1d", "10.0.0.1", "n1"]},
            {
                "cells": ["b", "0/1", "Completed", 0, "1d", "10.0.0.2", "n1"],
                "conditions": [{"type": "Completed", "status": "True", "reason": "Succeeded"}],
            },
            {"cells": ["c", "0/1", "Pending", 0, "1d", "<none>", "<none>"]},
            {"cells": ["d", "1/3", "CrashLoopBackOff", 3, "1d", "10.0.0.3", "n2"]},
        ],
    }
    tally = PodTally()
    tally.add(table)
    tally.add(
        {
            "kind": "PodList",
            "items": [{"spec": {"nodeName": "n2", "containers": [{}, {}]}, "status": {"phase": "Running"}}],
        }
    )
    assert tally.total == 5 and tally.terminal == 1 and tally.unscheduled == 1
    assert dict(tally.per_node) == {"n1": 1, "n2": 2}
    # containers of non-terminal pods: 1 (a) + 1 (c, pending) + 3 (d) + 2 (the PodList pod); b has finished
    assert tally.containers == 7


def test_pod_table_without_a_ready_column_gives_no_container_count() -> None:
    table = {
        "kind": "Table",
        "columnDefinitions": [{"name": "Name"}, {"name": "Node"}],
        "rows": [{"cells": ["a", "n1"]}],
    }
    tally = PodTally()
    tally.add(table)
    assert tally.containers is None and dict(tally.per_node) == {"n1": 1}


def test_policy_slice_webhook_and_node_tallies() -> None:
    pol = PolicyTally()
    pol.add(
        {
            "items": [
                {
                    "metadata": {"namespace": "a"},
                    "spec": {
                        "ingress": [
                            {"from": [{"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/8"}}],
                             "ports": [{"port": 80}, {"port": 443}, {"protocol": "TCP", "port": 80}]},
                        ],
                        "egress": [{"to": [{"namespaceSelector": {}}]}, {}],
                    },
                },
                {"metadata": {"namespace": "b"}, "spec": {}},
            ]
        }
    )  # fmt: skip
    assert (pol.count, pol.ingress_rules, pol.egress_rules, pol.peers, pol.ports, pol.ip_blocks) == (2, 1, 2, 3, 3, 1)
    assert pol.max_ports_per_rule == 2  # port 80 twice is one unique port
    sl = SliceTally()
    label = {"kubernetes.io/service-name": "web"}
    sl.add({"items": [{"metadata": {"namespace": "a", "labels": label}, "endpoints": [{}] * 3}] * 2})
    assert sl.per_service[("a", "web")] == 6 and sl.endpoints == 6
    wh = WebhookTally()
    wh.add({"items": [{"webhooks": [{"timeoutSeconds": 25, "failurePolicy": "Ignore"}, {}]}]})
    assert (wh.webhooks, wh.max_timeout, wh.fail_closed) == (2, 25, 1)
    nodes = NodeTally()
    nodes.add(
        {
            "items": [
                {
                    "metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": "",
                                                          "eks.amazonaws.com/nodegroup": "ng1"}},
                    "spec": {"providerID": "aws:///eu-west-2a/i-1", "podCIDR": "10.0.0.0/24"},
                    "status": {"allocatable": {"pods": "58"}, "capacity": {"nvidia.com/gpu": "1"},
                               "nodeInfo": {"kubeletVersion": "v1.29.4", "operatingSystem": "linux"}},
                }
            ]
        }
    )  # fmt: skip
    assert nodes.by_pool == {"ng1": 1} and nodes.control_plane == 1 and nodes.gpu == 1
    assert nodes.allocatable == [58] and nodes.by_kubelet == {"1.29.4": 1} and nodes.providers == {"aws": 1}
