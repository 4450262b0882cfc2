"""The GKE collector's cluster parsing on a recorded Cluster (costinm/krun's real Autopilot cluster list, see
tests/fixtures/real/SOURCES.md), and the address-range rules on variations of it."""

from __future__ import annotations

from pathlib import Path

from google.cloud import container_v1

from evaluator.collectors.gke import cluster_snapshot
from tests.test_contract_snapshot_gaps import unexplained_nulls

REAL = Path(__file__).parent / "fixtures" / "real" / "gke"


def recorded_cluster() -> container_v1.Cluster:
    text = (REAL / "autopilot_cluster_list.json").read_text()
    return container_v1.ListClustersResponse.from_json(text, ignore_unknown_fields=True).clusters[0]


def test_recorded_autopilot_cluster() -> None:
    snap = cluster_snapshot(recorded_cluster(), project="wlhe-cr")
    assert snap.cluster.platform == "gke-autopilot" and snap.cluster.version == "1.20.10"
    net = snap.networking
    assert net.pod_cidrs == ["10.48.128.0/17"] and net.service_cidrs == ["10.48.16.0/22"]
    # one /17 range (32768 addresses) with /26 blocks per node: 512 nodes, counted once although the cluster
    # (clusterSecondaryRangeName) and the pool (networkConfig.podRange) both name it
    assert (net.pod_ip_capacity, net.node_capacity_by_pod_range) == (32768, 512)
    (only,) = snap.cloud.extra["pod_ranges"]
    assert only["name"] == "gke-istio-pods-290b29a3" and only["pools"] == ["default-pool"]
    # no null without a gap: what the GKE API cannot see names collect kube (the cloud section's EKS-only
    # fields, platform version and support type/end, do not apply to GKE)
    eks_only = {"cloud.platform_version", "cloud.support_type", "cloud.support_end"}
    assert [p for p in unexplained_nulls(snap) if p not in eks_only] == []
    assert "collect kube" in snap.gap_for("network_policies").reason


def test_a_range_named_twice_with_two_spellings_counts_once() -> None:
    """The pool names the cluster's range and spells its CIDR with host bits set; keyed by CIDR text it was
    two ranges and doubled both capacities."""
    cluster = recorded_cluster()
    cluster.node_pools[0].network_config.pod_ipv4_cidr_block = "10.48.128.1/17"
    snap = cluster_snapshot(cluster, project="wlhe-cr")
    assert (snap.networking.pod_ip_capacity, snap.networking.node_capacity_by_pod_range) == (32768, 512)


def test_a_bare_netmask_is_not_a_service_cidr() -> None:
    """``servicesIpv4Cidr: "/20"`` is the create request's "pick a /20 for me"; it is not a range."""
    cluster = recorded_cluster()
    cluster.ip_allocation_policy.services_ipv4_cidr_block = ""
    cluster.ip_allocation_policy.services_ipv4_cidr = ""  # the deprecated spelling of the same range
    cluster.services_ipv4_cidr = "/20"
    snap = cluster_snapshot(cluster, project="wlhe-cr")
    assert snap.networking.service_cidrs == []
    assert any(g.item == "networking.service_cidrs" and "/20" in g.reason for g in snap.gaps)


def recorded_standard_cluster() -> container_v1.Cluster:
    """A GKE Standard zonal cluster with Dataplane V2, recorded by Config Connector's tests against the real API
    (the v1beta1 GET response; Config Connector replaced project ids and addresses with ${...} placeholders)."""
    text = (REAL / "standard_dataplane_v2_cluster.json").read_text()
    return container_v1.Cluster.from_json(text, ignore_unknown_fields=True)


def test_recorded_standard_dataplane_v2_cluster() -> None:
    snap = cluster_snapshot(recorded_standard_cluster(), project="p")
    assert snap.cluster.platform == "gke" and snap.cluster.version == "1.30.5"
    assert snap.cloud.mode == "standard" and snap.cloud.release_channel == "REGULAR"
    net = snap.networking
    assert net.cni == "gke-dataplane-v2" and snap.cloud.extra["dataplane_v2"] is True
    # ipAllocationPolicy echoes the create request's "/20"; the cluster's servicesIpv4Cidr is the range GKE chose
    assert net.service_cidrs == ["34.118.224.0/20"]
    assert snap.gap_for("networking.service_cidrs") is None
    # the cluster's default range (no pool uses it) and default-pool's own podRange: two ranges of a /14 each
    assert net.pod_cidrs == ["10.112.0.0/14", "10.92.0.0/14"]
    ranges = {r["cidr"]: r for r in snap.cloud.extra["pod_ranges"]}
    assert ranges["10.92.0.0/14"]["name"] == "default-pool-pods-12345678"
    assert ranges["10.92.0.0/14"]["pools"] == ["default-pool"] and ranges["10.112.0.0/14"]["pools"] == []
    (pool,) = snap.cloud.node_groups
    assert (pool.name, pool.instance_types, pool.max_pods_per_node) == ("default-pool", ["e2-medium"], 110)
    eks_only = {"cloud.platform_version", "cloud.support_type", "cloud.support_end"}
    assert [p for p in unexplained_nulls(snap) if p not in eks_only] == []
