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
    cluster.services_ipv4_cidr = "/20"
    snap = cluster_snapshot(cluster, project="wlhe-cr")
    assert snap.networking.service_cidrs == []
    assert any(g.item == "networking.service_cidrs" and "/20" in g.reason for g in snap.gaps)
