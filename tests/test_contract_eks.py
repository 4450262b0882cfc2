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
