"""The EKS collector on a DescribeCluster answer recorded from a real cluster (aws-cli's describe-cluster example
output, see tests/fixtures/real/SOURCES.md). moto serves STS and EC2; the EKS client answers the recording
through botocore's Stubber, as moto has no such data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from evaluator.collectors.eks import collect_eks
from tests.eks_support import StubbedSession, quotas_client
from tests.test_contract_snapshot_gaps import unexplained_nulls

REAL = Path(__file__).parent / "fixtures" / "real" / "eks"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-2",
    }.items():
        monkeypatch.setenv(key, value)


def recorded_cluster() -> dict[str, Any]:
    cluster = json.loads((REAL / "describe_cluster.json").read_text())["cluster"]
    # the CLI prints the timestamp as text; the SDK hands it over as a datetime
    cluster["createdAt"] = datetime.fromisoformat(cluster["createdAt"])
    return cluster


@mock_aws
def test_recorded_describe_cluster() -> None:
    eks = boto3.client("eks", region_name="us-east-2")
    stub = Stubber(eks)
    stub.add_response("list_clusters", {"clusters": ["my-eks-cluster"]})
    stub.add_response("describe_cluster", {"cluster": recorded_cluster()}, {"name": "my-eks-cluster"})
    stub.add_response("list_addons", {"addons": []}, {"clusterName": "my-eks-cluster"})
    stub.add_response("list_nodegroups", {"nodegroups": []})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []})
    stub.add_response("describe_cluster_versions", {"clusterVersions": []})
    stub.activate()
    sq, _ = quotas_client("us-east-2")
    snapshots, _ = collect_eks(lambda _p: StubbedSession({"eks": eks, "service-quotas": sq}), ["us-east-2"])
    (snap,) = snapshots
    assert snap.cluster.name == "my-eks-cluster" and snap.cluster.version == "1.26"
    assert snap.cluster.platform == "eks"
    cloud = snap.cloud
    assert cloud is not None and cloud.platform_version == "eks.14"
    assert cloud.endpoint_public is True and cloud.endpoint_private is True
    assert cloud.public_access_cidrs == ["22.19.18.2/32"]
    assert cloud.logging == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert snap.networking.service_cidrs == ["10.100.0.0/16"] and snap.networking.ip_family == "ipv4"
    # the recording has no upgradePolicy: which support window applies is not known, and the snapshot says so
    assert snap.gap_for("cloud.support_end") is not None
    # the six subnets are not in this account's EC2 (moto): the snapshot says so rather than inventing them
    assert cloud.subnets == [] or all(s.available_ips is None for s in cloud.subnets)
    # no null without a gap: the Kubernetes-side facts name collect kube (release_channel is GKE's; EKS has none)
    assert [p for p in unexplained_nulls(snap) if p != "cloud.release_channel"] == []
    assert "--with-kube" in snap.gap_for("nodes.pods_per_node").reason


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((REAL / f"{name}.json").read_text())


def _timestamps(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The CLI prints timestamps in the caller's zone; the SDK hands the same instants over as datetimes."""
    return {**item, **{k: datetime.fromisoformat(item[k]) for k in keys if k in item}}


@mock_aws
def test_recorded_node_group_addon_fargate_profile_and_cluster_version() -> None:
    """aws-cli's describe-nodegroup, describe-addon and describe-fargate-profile outputs, and the EKS user guide's
    describe-cluster-versions output, answered for the recorded cluster. The recordings come from different
    example clusters; the test sets the cluster to 1.31 (the version the versions output describes) with an
    ``upgradePolicy`` (the describe-cluster example predates the field)."""
    cluster = {**recorded_cluster(), "version": "1.31", "upgradePolicy": {"supportType": "STANDARD"}}
    nodegroup = _timestamps(_recorded("describe_nodegroup")["nodegroup"], "createdAt", "modifiedAt")
    addon = _timestamps(_recorded("describe_addon")["addon"], "createdAt", "modifiedAt")
    profile = _timestamps(_recorded("describe_fargate_profile")["fargateProfile"], "createdAt")
    version = _timestamps(
        _recorded("describe_cluster_versions")["clusterVersions"][0],
        "releaseDate",
        "endOfStandardSupportDate",
        "endOfExtendedSupportDate",
    )
    eks = boto3.client("eks", region_name="us-east-2")
    stub = Stubber(eks)
    stub.add_response("list_clusters", {"clusters": ["my-eks-cluster"]})
    stub.add_response("describe_cluster", {"cluster": cluster}, {"name": "my-eks-cluster"})
    stub.add_response("list_addons", {"addons": ["vpc-cni"]}, {"clusterName": "my-eks-cluster"})
    stub.add_response("describe_addon", {"addon": addon}, {"clusterName": "my-eks-cluster", "addonName": "vpc-cni"})
    stub.add_response("list_nodegroups", {"nodegroups": ["my-eks-nodegroup"]})
    stub.add_response("describe_nodegroup", {"nodegroup": nodegroup})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": ["my-fargate-profile"]})
    stub.add_response("describe_fargate_profile", {"fargateProfile": profile})
    stub.add_response(
        "describe_cluster_versions", {"clusterVersions": [version]}, {"clusterVersions": ["1.31"], "includeAll": True}
    )
    stub.activate()
    sq, _ = quotas_client("us-east-2")
    snapshots, _ = collect_eks(lambda _p: StubbedSession({"eks": eks, "service-quotas": sq}), ["us-east-2"])
    stub.assert_no_pending_responses()
    (snap,) = snapshots
    cloud = snap.cloud
    assert cloud is not None
    # DescribeAddon: the version as EKS spells it; snapshot networking keeps one format (no leading v)
    assert cloud.addons == {"vpc-cni": "v1.16.4-eksbuild.2"}
    assert snap.networking.cni == "aws-vpc-cni" and snap.networking.cni_version == "1.16.4-eksbuild.2"
    # configurationValues is YAML here (resources and a log level): read, and none of the density settings set
    assert cloud.extra["vpc_cni"] == {
        "prefix_delegation": False,
        "custom_networking": False,
        "network_policy": False,
        "configured": True,
    }
    groups = {g.name: g for g in cloud.node_groups}
    managed = groups["my-eks-nodegroup"]
    assert (managed.kind, managed.instance_types, managed.image_type) == ("managed", ["t3.medium"], "AL2_x86_64")
    assert (managed.min_size, managed.max_size, managed.desired_size) == (1, 3, 1)
    assert managed.capacity_type == "ON_DEMAND" and managed.version == "1.26"
    assert managed.labels == {} and managed.taints == []  # the recording has no taints key at all
    assert managed.extra["release_version"] == "1.26.12-20240329"
    # t3.medium from moto's EC2 instance types: 3 ENIs x 6 IPv4 addresses, (3 x (6-1)) + 2 = 17
    assert managed.max_pods_per_node == 17
    fargate = groups["my-fargate-profile"]
    assert fargate.kind == "fargate" and fargate.max_pods_per_node == 1
    assert fargate.extra["selectors"] == [
        {"namespace": "prod*", "labels": {"labelname*?": "*value1"}},
        {"namespace": "*dev*", "labels": {"labelname*?": "*value*"}},
    ]
    # DescribeClusterVersions without versionStatus (the user guide's output): the deprecated status is read.
    # The dates are UTC calendar dates: the guide's own release calendar gives November 26, 2025 / 2026, while
    # the CLI printed 2025-11-25T16:00:00-08:00; a date taken in the caller's zone is a day early.
    assert cloud.support_type == "STANDARD" and cloud.support_end == "2025-11-26"
    assert cloud.extra["end_of_standard_support"] == "2025-11-26"
    assert cloud.extra["end_of_extended_support"] == "2026-11-26"
    assert cloud.extra["version_status"] == "STANDARD_SUPPORT"


@mock_aws
def test_recorded_cluster_version_with_version_status() -> None:
    """The documented ``versionStatus`` (botocore's EKS model, ClusterVersionInformation; ``status`` is marked
    deprecated there) wins over ``status`` when both are sent. The user guide's recording with the field added."""
    cluster = {**recorded_cluster(), "version": "1.31", "upgradePolicy": {"supportType": "EXTENDED"}}
    version = _timestamps(
        _recorded("describe_cluster_versions")["clusterVersions"][0],
        "releaseDate",
        "endOfStandardSupportDate",
        "endOfExtendedSupportDate",
    )
    version["versionStatus"] = "EXTENDED_SUPPORT"
    eks = boto3.client("eks", region_name="us-east-2")
    stub = Stubber(eks)
    stub.add_response("list_clusters", {"clusters": ["my-eks-cluster"]})
    stub.add_response("describe_cluster", {"cluster": cluster}, {"name": "my-eks-cluster"})
    stub.add_response("list_addons", {"addons": []}, {"clusterName": "my-eks-cluster"})
    stub.add_response("list_nodegroups", {"nodegroups": []})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []})
    stub.add_response("describe_cluster_versions", {"clusterVersions": [version]})
    stub.activate()
    sq, _ = quotas_client("us-east-2")
    (snap,), _ = collect_eks(lambda _p: StubbedSession({"eks": eks, "service-quotas": sq}), ["us-east-2"])
    assert snap.cloud.support_end == "2026-11-26" and snap.cloud.extra["version_status"] == "EXTENDED_SUPPORT"
