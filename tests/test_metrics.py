"""Metric extractors on factory snapshots: values, unknown-when-missing (never 0), version determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.inventory import (
    CloudInventory,
    ControlPlaneInventory,
    EtcdInventory,
    NetworkingInventory,
    NetworkPolicyInventory,
    NodeGroup,
    NodeInventory,
    ServiceInventory,
    Stats,
    Subnet,
    WebhookInventory,
)
from evaluator.scoring.metrics import METRICS, cidr_capacity, parse_minor, unsupported_flags
from tests.factories import make_snapshot

EMPTY = replace(
    make_snapshot(),
    objects={},
    namespaces=None,
    crds=None,
    nodes=NodeInventory(),
    network_policies=NetworkPolicyInventory(),
    etcd=EtcdInventory(),
)
EMPTY = replace(EMPTY, cluster=replace(EMPTY.cluster, version=None, git_version=None))


def value(name: str, snap=None):
    return METRICS[name](snap or make_snapshot()).value


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_is_unknown_not_zero_on_an_empty_snapshot(name: str) -> None:
    result = METRICS[name](EMPTY)
    assert result.value is None, (name, result)
    assert result.reason


def test_every_catalog_metric_is_registered() -> None:
    catalog = load_catalog()
    used = {c.metric_for(t) for c in catalog.constraints for t in c.limits}
    assert used <= set(METRICS)


def test_unknown_reason_comes_from_the_gap() -> None:
    snap = EMPTY.with_gap("kube", "nodes", "403 Forbidden: list nodes")
    assert METRICS["nodes.count"](snap).reason == "kube: 403 Forbidden: list nodes"


def test_basic_counts_from_the_factory() -> None:
    snap = make_snapshot()
    assert value("nodes.count", snap) == 150
    assert value("pods.count", snap) == 4500
    assert value("crds.count", snap) == 60
    assert value("namespaces.count", snap) == 120
    assert value("network_policies.count", snap) == 800
    assert value("etcd.db_size_bytes", snap) == 1_500_000_000
    assert value("nodes.pods_per_node_max", snap) == 45
    assert value("nodes.max_pods_setting", snap) == 110


def test_objects_per_type_names_the_largest_non_event_type() -> None:
    snap = replace(make_snapshot(), objects={"pods": 10, "events": 900_000, "secrets": 40, "configmaps": 50})
    result = METRICS["objects.max_per_type"](snap)
    assert result.value == 50 and "configmaps" in result.detail
    assert value("objects.events", snap) == 900_000
    assert value("objects.secrets", snap) == 40


def test_objects_fall_back_to_etcd_keys() -> None:
    snap = replace(EMPTY, etcd=EtcdInventory(keys={"/registry/pods/": 7, "/registry/events/": 99}))
    assert value("objects.max_per_type", snap) == 7
    assert value("objects.events", snap) == 99


def test_custom_resources_sum_non_builtin_groups() -> None:
    snap = replace(
        make_snapshot(),
        objects={"pods": 5, "deployments.apps": 3, "certificates.cert-manager.io": 40, "ciliumidentities.cilium.io": 9},
    )
    result = METRICS["objects.custom_resources"](snap)
    assert result.value == 49 and "certificates.cert-manager.io" in result.detail


def test_etcd_quota_utilisation_uses_default_quota_when_flags_set_none() -> None:
    snap = replace(
        make_snapshot(),
        etcd=EtcdInventory(db_size_bytes=1024**3),
        control_plane=ControlPlaneInventory(etcd_flags={"--data-dir": "/var/lib/etcd"}),
    )
    assert value("etcd.quota_utilisation", snap) == pytest.approx(0.5)
    snap = replace(snap, etcd=EtcdInventory(db_size_bytes=1024**3, quota_backend_bytes=8 * 1024**3))
    assert value("etcd.quota_utilisation", snap) == pytest.approx(0.125)
    assert (
        value(
            "etcd.quota_utilisation",
            replace(snap, control_plane=ControlPlaneInventory(), etcd=EtcdInventory(db_size_bytes=1)),
        )
        is None
    )


def test_pods_per_node_300_is_measured_as_300() -> None:
    snap = replace(make_snapshot(), nodes=NodeInventory(count=3, pods_per_node=Stats(max=300)))
    assert value("nodes.pods_per_node_max", snap) == 300


def test_node_groups_from_cloud_and_from_pool_labels() -> None:
    cloud = CloudInventory(
        provider="aws",
        node_groups=[
            NodeGroup(name="a", max_size=500, desired_size=20),
            NodeGroup(name="b", max_size=10),
            NodeGroup(name="f", kind="fargate"),
        ],
    )
    snap = replace(make_snapshot(), cloud=cloud)
    result = METRICS["nodes.largest_node_group"](snap)
    assert result.value == 500 and "a" in result.detail
    assert value("nodes.node_groups", snap) == 2
    labelled = replace(make_snapshot(), nodes=NodeInventory(count=30, by_pool={"x": 20, "y": 10}))
    assert value("nodes.largest_node_group", labelled) == 20
    assert value("nodes.node_groups", labelled) == 2


def test_largest_node_group_per_zone() -> None:
    """GKE limits a node pool per zone: a 1,100-node regional pool over 3 zones is about 367 per zone."""
    gke = CloudInventory(
        provider="gcp",
        node_groups=[
            NodeGroup(name="general", kind="node-pool", max_size=1100, locations=["z-a", "z-b", "z-c"]),
            NodeGroup(name="zonal", kind="node-pool", max_size=400, locations=["z-a"]),
        ],
    )
    result = METRICS["nodes.largest_node_group_per_zone"](replace(make_snapshot(), cloud=gke))
    assert result.value == 400 and "zonal" in result.detail
    labelled = replace(make_snapshot(), nodes=NodeInventory(count=30, by_pool_zone={"x/a": 12, "x/b": 8, "y/a": 10}))
    assert value("nodes.largest_node_group_per_zone", labelled) == 12
    assert value("nodes.largest_node_group_per_zone", make_snapshot()) is None


def test_services_and_webhooks() -> None:
    snap = replace(
        make_snapshot(),
        services=ServiceInventory(
            count=12, by_type={"ClusterIP": 10, "LoadBalancer": 2}, max_endpoints_per_service=700
        ),
        webhooks=WebhookInventory(count=3, max_timeout_seconds=28),
    )
    assert value("services.load_balancers", snap) == 2
    assert value("services.max_endpoints", snap) == 700
    assert value("webhooks.max_timeout_seconds", snap) == 28
    none = replace(make_snapshot(), webhooks=WebhookInventory(count=0))
    assert value("webhooks.max_timeout_seconds", none) == 0


def test_ip_space_ratios() -> None:
    snap = replace(
        make_snapshot(),
        services=ServiceInventory(count=1024, by_type={"ExternalName": 24}),
        networking=NetworkingInventory(
            pod_ip_capacity=65536, pod_ips_in_use=16384, node_capacity_by_pod_range=300, service_cidrs=["10.96.0.0/20"]
        ),
    )
    assert value("networking.pod_ip_utilisation", snap) == 0.25
    assert value("networking.node_range_utilisation", snap) == 0.5
    assert value("networking.service_ip_utilisation", snap) == pytest.approx(1000 / 4096)
    assert cidr_capacity(["10.0.0.0/16", "fd00::/108", "bogus"]) == 65536


def test_subnet_free_ips_takes_the_emptiest() -> None:
    cloud = CloudInventory(provider="aws", subnets=[Subnet("s-1", available_ips=400), Subnet("s-2", available_ips=9)])
    result = METRICS["cloud.min_subnet_free_ips"](replace(make_snapshot(), cloud=cloud))
    assert result.value == 9 and "s-2" in result.detail
    assert value("cloud.min_subnet_free_ips") is None


KUBEADM_FLAGS = {
    "--advertise-address": "10.0.0.1",
    "--authorization-mode": "Node,RBAC",
    "--etcd-servers": "https://127.0.0.1:2379",
    "--tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
    "--enable-admission-plugins": "NodeRestriction",
}


def test_stock_kubeadm_flags_count_nothing() -> None:
    snap = replace(make_snapshot(), control_plane=ControlPlaneInventory(apiserver_flags=KUBEADM_FLAGS))
    for name in ("apiserver.unsupported_flags.eks", "apiserver.unsupported_flags.gke", "apiserver.custom_flags"):
        assert value(name, snap) == 0, name
    assert value("apiserver.inflight_seats", snap) == 600
    assert value("apiserver.event_ttl_minutes", snap) == 60
    assert value("admission.nondefault_plugins", snap) == 0
    assert value("apiserver.feature_gates", snap) == 0


def test_custom_flags_are_counted_per_target_and_named() -> None:
    flags = {
        **KUBEADM_FLAGS,
        "--event-ttl": "2h0m0s",
        "--service-node-port-range": "20000-22767",
        "--audit-policy-file": "/etc/kubernetes/audit.yaml",
        "--max-requests-inflight": "3000",
        "--max-mutating-requests-inflight": "1000",
        "--feature-gates": "InPlacePodVerticalScaling=true,Foo=false",
        "--enable-admission-plugins": "NodeRestriction,AlwaysPullImages,PodNodeSelector",
    }
    snap = replace(make_snapshot(), control_plane=ControlPlaneInventory(apiserver_flags=flags))
    eks = METRICS["apiserver.unsupported_flags.eks"](snap)
    gke = METRICS["apiserver.unsupported_flags.gke"](snap)
    # EKS honours event-ttl and the NodePort range; GKE honours neither.
    assert eks.value == 3 and "--audit-policy-file" in eks.detail and "--event-ttl" not in eks.detail
    assert gke.value == 5 and "--event-ttl" in gke.detail
    assert value("apiserver.inflight_seats", snap) == 4000
    assert value("apiserver.event_ttl_minutes", snap) == 120
    assert value("apiserver.feature_gates", snap) == 2
    result = METRICS["admission.unsupported_plugins.eks"](snap)
    assert result.value == 2 and "AlwaysPullImages" in result.detail
    assert unsupported_flags({"--authorization-mode": "Node,RBAC,Webhook"}, []) == ["authorization-mode"]


def test_feature_flags_metrics() -> None:
    snap = replace(
        make_snapshot(version="1.24.3"),
        objects={"podsecuritypolicies.policy": 4},
        nodes=NodeInventory(count=5, by_os={"linux": 3, "windows": 2}),
        networking=NetworkingInventory(cni="calico", kube_proxy_mode="ipvs"),
    )
    assert value("features.psp_in_use", snap) == 4
    assert value("nodes.windows", snap) == 2
    assert value("networking.kube_proxy_ipvs", snap) == 1
    assert value("networking.custom_cni", snap) == 1
    assert value("features.psp_in_use", make_snapshot(version="1.29.4")) == 0
    dpv2 = replace(make_snapshot(), networking=NetworkingInventory(cni="gke-dataplane-v2", kube_proxy_mode="none"))
    assert value("networking.custom_cni", dpv2) == 0
    assert value("networking.kube_proxy_ipvs", dpv2) == 0
    assert (
        METRICS["cilium.identities"](replace(make_snapshot(), networking=NetworkingInventory(cni="calico"))).value
        is None
    )


# ---------------------------------------------------------------- versions


def at(version: str, when: str, **kw):
    return replace(make_snapshot(version=version, **kw), collected_at=when)


def test_parse_minor() -> None:
    assert parse_minor("v1.29.4-eks-1234") == (1, 29)
    assert parse_minor("1.31") == (1, 31)
    assert parse_minor("latest") is None


def test_version_months_are_relative_to_the_snapshot_not_today() -> None:
    # EKS 1.31 standard support ended 2025-11-26 (EKS calendar).
    before = METRICS["version.eks_standard_months_left"](at("1.31.2", "2025-05-26T00:00:00Z"))
    after = METRICS["version.eks_standard_months_left"](at("1.31.2", "2026-05-26T00:00:00Z"))
    assert before.value == pytest.approx(6.0, abs=0.1)
    assert after.value == pytest.approx(-6.0, abs=0.1)
    assert "2025-11-26" in before.detail
    again = METRICS["version.eks_standard_months_left"](at("1.31.2", "2025-05-26T00:00:00Z"))
    assert again == before


def test_eks_extended_and_upstream_calendars() -> None:
    snap = at("1.33.1", "2026-01-28T00:00:00Z")
    assert value("version.eks_extended_months_left", snap) == pytest.approx(18.0, abs=0.1)
    assert value("version.upstream_support_months_left", snap) == pytest.approx(5.0, abs=0.1)


def test_unknown_dates_are_bounded_by_newer_minors_or_unknown() -> None:
    # 1.32's upstream end is not in the table, but 1.33's (2026-06-28) bounds it: past, so negative.
    result = METRICS["version.upstream_support_months_left"](at("1.32.4", "2026-11-01T00:00:00Z"))
    assert result.value is not None and result.value < 0 and "no later than" in result.detail
    # Before that bound passes nothing can be said.
    early = METRICS["version.upstream_support_months_left"](at("1.32.4", "2026-01-01T00:00:00Z"))
    assert early.value is None and early.reason
    newer = METRICS["version.eks_standard_months_left"](at("1.99.0", "2026-11-01T00:00:00Z"))
    assert newer.value is None and "newer than" in newer.reason


def test_minors_behind_latest_counts_from_the_snapshot_date() -> None:
    assert value("version.minors_behind_latest", at("1.33.1", "2026-05-01T00:00:00Z")) == 3
    assert value("version.minors_behind_latest", at("1.33.1", "2025-06-01T00:00:00Z")) == 0


def test_kubelet_skew() -> None:
    snap = replace(
        make_snapshot(version="1.30.2"), nodes=NodeInventory(count=3, by_kubelet_version={"v1.27.9": 1, "v1.30.2": 2})
    )
    result = METRICS["version.kubelet_skew"](snap)
    assert result.value == 3 and "v1.27.9" in result.detail
