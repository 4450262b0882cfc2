"""merge_snapshots: two snapshots of one cluster become one, by documented precedence rules; and ``collect merge``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.inventory import (
    CloudInventory,
    ClusterInfo,
    CollectionInfo,
    DeprecatedApiUse,
    EtcdInventory,
    EtcdMember,
    Gap,
    NetworkingInventory,
    NodeGroup,
    NodeInventory,
    Snapshot,
    Stats,
    load_snapshot,
    save_snapshot,
)
from evaluator.merge import merge_snapshots, short_name, value_at
from tests.factories import make_snapshot


def _cloud(name: str = "payments", **overrides: object) -> Snapshot:
    """A cloud-only snapshot shaped like what collect eks writes."""
    snap = Snapshot(
        cluster=ClusterInfo(
            name=name,
            platform="eks",
            version="1.30",
            endpoint="https://ABC.eks.amazonaws.com",
            provider="aws",
            region="eu-west-1",
            account="123456789012",
        ),
        collected_at="2026-11-01T10:00:00Z",
        networking=NetworkingInventory(cni="aws-vpc-cni", service_cidrs=["10.100.0.0/16"], ip_family="ipv4"),
        cloud=CloudInventory(
            provider="aws",
            node_groups=[NodeGroup(name="general", instance_types=["m5.large"], max_pods_per_node=29)],
            extra={"clusters_in_region": 3},
        ),
        gaps=[
            Gap("eks", "nodes.count", "count Node objects through the Kubernetes API"),
            Gap("eks", "objects", "object counts come from the Kubernetes API"),
            Gap("eks", "cloud.addons", "eks:ListAddons: 404: Not yet implemented"),
        ],
        collection=CollectionInfo(collectors=["eks"], tool_version="0.1.0", duration_seconds=1.5, requests=12),
    )
    return replace(snap, **overrides)


def _kube(name: str = "payments", **overrides: object) -> Snapshot:
    """A Kubernetes API snapshot of the same cluster, collected later."""
    snap = make_snapshot(
        name,
        platform="eks",
        version="1.30.4",
        collected_at="2026-11-01T10:05:00Z",
        etcd=EtcdInventory(db_size_bytes=900_000_000, source="apiserver-metrics:apiserver_storage_size_bytes"),
        networking=NetworkingInventory(
            cni="aws-vpc-cni", cni_version="v1.18.3", kube_proxy_mode="iptables", service_cidrs=["10.100.0.0/16"]
        ),
        gaps=[Gap("kube", "etcd.keys", "etcd is not reachable through the apiserver")],
        collection=CollectionInfo(collectors=["kube"], tool_version="0.1.0", duration_seconds=4.0, requests=80),
    )
    snap = replace(snap, cluster=replace(snap.cluster, endpoint="https://kube.example:443"))
    return replace(snap, **overrides)


def _etcd(name: str = "payments") -> Snapshot:
    """A direct etcd snapshot (collect etcd) of the same cluster."""
    return Snapshot(
        cluster=ClusterInfo(name=name, platform="unknown"),
        collected_at="2026-11-01T09:00:00Z",
        etcd=EtcdInventory(
            db_size_bytes=1_000_000_000,
            db_size_in_use_bytes=800_000_000,
            version="3.5.12",
            members=[EtcdMember(name="m1", id="1", is_leader=True)],
            keys={"/registry/pods/": 4500},
            total_keys=20_000,
            source="etcd",
        ),
        collection=CollectionInfo(collectors=["etcd"]),
    )


def test_cloud_and_kube_merge_both_orders_agree() -> None:
    first = merge_snapshots(_cloud(), _kube())
    second = merge_snapshots(_kube(), _cloud())
    assert first == second
    merged = first
    # kube API: the running version and the node and object counts
    assert merged.cluster.version == "1.30.4" and merged.cluster.git_version == "v1.30.4"
    assert merged.nodes.count == 150 and merged.objects["pods"] == 4500
    # cloud: endpoint, region, account and the whole cloud section
    assert merged.cluster.endpoint == "https://ABC.eks.amazonaws.com"
    assert (merged.cluster.region, merged.cluster.account, merged.cluster.provider) == (
        "eu-west-1",
        "123456789012",
        "aws",
    )
    assert merged.cloud == _cloud().cloud
    # networking: the kube side's measured fields, the cloud's configured ranges
    assert merged.networking.kube_proxy_mode == "iptables" and merged.networking.cni_version == "v1.18.3"
    assert merged.networking.ip_family == "ipv4"
    # the later collection time, joined collectors, summed effort
    assert merged.collected_at == "2026-11-01T10:05:00Z"
    assert merged.collection.collectors == ["eks", "kube"]
    assert merged.collection.requests == 92 and merged.collection.duration_seconds == 5.5


def test_gke_pod_ranges_come_from_the_cloud_side() -> None:
    """Node podCIDRs seen through the API are only the blocks allocated so far; GKE's API knows the whole range."""
    cloud = replace(
        _cloud(),
        networking=NetworkingInventory(
            pod_cidrs=["10.4.0.0/14"], pod_ip_capacity=262_144, node_capacity_by_pod_range=1024
        ),
    )
    kube = _kube(
        networking=NetworkingInventory(
            cni="cilium",
            pod_cidrs=["10.4.0.0/24", "10.4.1.0/24"],
            pod_ip_capacity=512,
            node_capacity_by_pod_range=16_384,
        )
    )
    merged = merge_snapshots(cloud, kube)
    assert merged.networking.pod_cidrs == ["10.4.0.0/14"]
    assert (merged.networking.pod_ip_capacity, merged.networking.node_capacity_by_pod_range) == (262_144, 1024)
    assert merged.networking.cni == "cilium"
    # where the cloud API has no pod range (EKS: pods take VPC subnet addresses), the kube side's stays
    assert merge_snapshots(_cloud(), kube).networking.pod_cidrs == ["10.4.0.0/24", "10.4.1.0/24"]


def test_gaps_filled_by_the_other_side_are_dropped() -> None:
    merged = merge_snapshots(_cloud(), _kube())
    items = [g.item for g in merged.gaps]
    assert "nodes.count" not in items and "objects" not in items
    # nobody measured these: the gaps stay
    assert "cloud.addons" in items and "etcd.keys" in items


def test_gap_stays_when_the_other_side_also_has_it() -> None:
    kube = _kube(gaps=[Gap("kube", "nodes.count", "403 Forbidden: list nodes")], nodes=NodeInventory())
    merged = merge_snapshots(_cloud(), kube)
    assert {(g.source, g.item) for g in merged.gaps if g.item == "nodes.count"} == {
        ("eks", "nodes.count"),
        ("kube", "nodes.count"),
    }
    assert merged.nodes.count is None


def test_direct_etcd_beats_apiserver_metrics() -> None:
    merged = merge_snapshots(_kube(), _etcd())
    assert merged.etcd.source == "etcd"
    assert merged.etcd.db_size_bytes == 1_000_000_000 and merged.etcd.keys == {"/registry/pods/": 4500}
    assert merged.gap_for("etcd.keys") is None
    # the etcd snapshot is older, but the kube side still owns the cluster identity
    assert merged.cluster.platform == "eks" and merged.cluster.version == "1.30.4"
    assert merged.collected_at == "2026-11-01T10:05:00Z"
    assert merged.collection.collectors == ["etcd", "kube"]


def test_three_way_merge() -> None:
    merged = merge_snapshots(merge_snapshots(_cloud(), _kube()), _etcd())
    assert merged.collection.collectors == ["etcd", "eks", "kube"]
    assert merged.etcd.source == "etcd" and merged.nodes.count == 150 and merged.cloud is not None
    assert [g.item for g in merged.gaps] == ["cloud.addons"]


def test_measured_values_fill_absent_ones_field_by_field() -> None:
    a = _kube(nodes=NodeInventory(count=10, pods_per_node=Stats(max=40)))
    b = _kube(nodes=NodeInventory(count=12, pods_per_node=Stats(max=35, mean=20)), collected_at="2026-11-02T00:00:00Z")
    merged = merge_snapshots(a, b)
    # both are kube snapshots: the later wins where both measured, the earlier fills what the later lacks
    assert merged.nodes.count == 12 and merged.nodes.pods_per_node == Stats(max=35, mean=20)
    c = _kube(nodes=NodeInventory(count=None, control_plane_count=3), collected_at="2026-11-02T00:00:00Z")
    assert merge_snapshots(a, c).nodes.count == 10 and merge_snapshots(a, c).nodes.control_plane_count == 3


def test_objects_are_a_union_with_kube_winning() -> None:
    etcd = replace(_etcd(), objects={"pods": 1, "leases.coordination.k8s.io": 7})
    merged = merge_snapshots(etcd, _kube())
    assert merged.objects["pods"] == 4500 and merged.objects["leases.coordination.k8s.io"] == 7


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("payments", "arn:aws:eks:eu-west-1:123456789012:cluster/payments"),
        ("payments", "gke_bank-prod_europe-west2_payments"),
    ],
)
def test_context_style_names_match(first: str, second: str) -> None:
    merged = merge_snapshots(_cloud(first), _kube(second))
    assert merged.cluster.name == "payments"


def test_different_clusters_are_refused() -> None:
    with pytest.raises(InputError, match="different clusters: 'payments' and 'billing'"):
        merge_snapshots(_cloud("payments"), _kube("billing"))
    with pytest.raises(InputError, match="platforms differ"):
        merge_snapshots(_cloud(), _kube(cluster=ClusterInfo(name="payments", platform="gke")))
    merged = merge_snapshots(_cloud("payments"), _kube("billing"), allow_mismatch=True)
    assert merged.cluster.name == "payments"


def test_value_at_resolves_gap_items() -> None:
    snap = _cloud()
    assert value_at(snap, "cloud.node_groups.general.max_pods_per_node") == 29
    assert value_at(_kube(), "networkpolicies.networking.k8s.io") == 800
    assert value_at(_kube(), "nodes.count") == 150
    assert short_name("arn:aws:eks:eu-west-1:1:cluster/x") == "x" and short_name("plain") == "plain"


def test_collect_merge_command(tmp_path: Path) -> None:
    save_snapshot(_cloud(), tmp_path / "eks.json")
    save_snapshot(_kube(), tmp_path / "kube.json")
    out = tmp_path / "merged.json"
    args = ["collect", "merge", str(tmp_path / "eks.json"), str(tmp_path / "kube.json"), "-o", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "collectors eks, kube" in result.output
    assert load_snapshot(out) == merge_snapshots(_cloud(), _kube())


def test_collect_merge_bad_input_exit_2(tmp_path: Path) -> None:
    save_snapshot(_cloud("payments"), tmp_path / "a.json")
    save_snapshot(_kube("billing"), tmp_path / "b.json")
    (tmp_path / "bad.json").write_text("{not json")
    runner = CliRunner()
    result = runner.invoke(cli, ["collect", "merge", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "different clusters" in result.output and "--allow-mismatch" in result.output
    result = runner.invoke(cli, ["collect", "merge", str(tmp_path / "a.json"), str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "bad.json" in result.output and "Traceback" not in result.output
    args = ["collect", "merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--allow-mismatch"]
    args += ["-o", str(tmp_path / "m.json")]
    assert runner.invoke(cli, args).exit_code == 0


def _uses(*resources: str) -> list[DeprecatedApiUse]:
    return [DeprecatedApiUse("batch", "v1beta1", r, removed_release="1.25", requests=3) for r in resources]


def test_deprecated_apis_are_a_union_and_none_requested_is_a_measurement() -> None:
    # The apiserver's gauge restarted and says "none since start"; Prometheus kept a cronjobs request from last week.
    kube = _kube(deprecated_apis=[])
    prom = replace(
        _kube(deprecated_apis=_uses("cronjobs")),
        collected_at="2026-11-01T09:00:00Z",
        collection=CollectionInfo(collectors=["prometheus"]),
    )
    assert merge_snapshots(kube, prom).deprecated_apis == _uses("cronjobs")
    assert merge_snapshots(prom, kube).deprecated_apis == _uses("cronjobs")
    both = merge_snapshots(_kube(deprecated_apis=_uses("jobs")), prom).deprecated_apis
    assert [u.resource for u in both or []] == ["cronjobs", "jobs"]


def test_an_empty_deprecated_list_fills_the_cloud_sides_gap() -> None:
    cloud = replace(_cloud(), gaps=[*_cloud().gaps, Gap("eks", "deprecated_apis", "read by collect kube")])
    merged = merge_snapshots(cloud, _kube(deprecated_apis=[]))
    assert merged.deprecated_apis == []
    assert merged.gap_for("deprecated_apis") is None
    unmeasured = merge_snapshots(cloud, _kube(deprecated_apis=None))
    assert unmeasured.deprecated_apis is None
    assert unmeasured.gap_for("deprecated_apis") is not None
