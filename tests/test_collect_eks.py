"""The EKS collector against moto (``mock_aws``): discovery over regions, node groups, max pods, subnets, quotas."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber
from moto import mock_aws

from evaluator.collectors.eks import EksResult, client_config, collect_eks, translate_error
from evaluator.collectors.eks_maxpods import InstanceNetwork, compute_max_pods, instance_network
from evaluator.errors import AccessDenied, AuthError, CollectorError, EndpointError, InputError
from evaluator.inventory import Snapshot
from tests.eks_support import (
    StubbedSession,
    applied_quota,
    isolated_aws_env,
    quotas_client,
    seed_cluster,
    support_dates,
)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Dummy credentials, no endpoint override, and no AWS config files from the machine."""
    isolated_aws_env(monkeypatch, tmp_path)


def _by_name(snap: Snapshot) -> dict[str, Any]:
    assert snap.cloud is not None
    return {g.name: g for g in snap.cloud.node_groups}


# --- max pods arithmetic on moto's DescribeInstanceTypes data --------------------------------------------------


@pytest.fixture(scope="module")
def instance_types() -> dict[str, InstanceNetwork]:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        names = ["m5.large", "t3.medium", "m5.24xlarge", "p5.48xlarge", "m4.large"]
        items = ec2.describe_instance_types(InstanceTypes=names)["InstanceTypes"]
    return {item["InstanceType"]: instance_network(item) for item in items}


@pytest.mark.parametrize(
    ("instance_type", "options", "expected", "basis"),
    [
        ("m5.large", {}, 29, "eni: 3 x (10-1) + 2 = 29"),
        ("t3.medium", {}, 17, "eni: 3 x (6-1) + 2 = 17"),
        ("m5.24xlarge", {}, 250, "eni: 15 x (50-1) + 2 = 737; managed node group cap 250 (96 vCPU > 30)"),
        ("m5.24xlarge", {"managed_cap": False}, 737, "eni: 15 x (50-1) + 2 = 737"),
        # p5.48xlarge: 64 ENIs in total but 2 on the default network card (technical.md gotcha 17).
        ("p5.48xlarge", {}, 100, "eni: 2 x (50-1) + 2 = 100"),
        (
            "m5.large",
            {"prefix_delegation": True},
            110,
            "prefix delegation: 3 x ((10-1) x 16) + 2 = 434; managed node group cap 110 (2 vCPU <= 30)",
        ),
        ("m5.large", {"prefix_delegation": True, "managed_cap": False}, 434, None),
        ("m5.large", {"custom_networking": True}, 20, "eni: (3-1) x (10-1) + 2 = 20 with custom networking"),
        # m4 is Xen, not Nitro: prefix delegation does not apply.
        ("m4.large", {"prefix_delegation": True}, 20, "eni: 2 x (10-1) + 2 = 20 (prefix delegation needs a Nitro"),
    ],
)
def test_max_pods(
    instance_types: dict[str, InstanceNetwork], instance_type: str, options: dict[str, bool], expected: int, basis: str
) -> None:
    value, text = compute_max_pods(instance_types[instance_type], **options)
    assert value == expected
    if basis:
        assert text.startswith(basis)


def test_instance_network_uses_default_card() -> None:
    net = instance_network(
        {
            "InstanceType": "x.big",
            "VCpuInfo": {"DefaultVCpus": 64},
            "Hypervisor": "nitro",
            "NetworkInfo": {
                "MaximumNetworkInterfaces": 16,
                "Ipv4AddressesPerInterface": 30,
                "DefaultNetworkCardIndex": 1,
                "NetworkCards": [
                    {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 8},
                    {"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 4},
                ],
            },
        }
    )
    assert (net.enis, net.ipv4_per_eni, net.vcpus, net.nitro) == (4, 30, 64, True)


# --- fleet collection against moto -------------------------------------------------------------------------------


def _fleet() -> dict[str, Any]:
    eu = seed_cluster(
        "eu-west-1",
        "payments",
        node_groups={"general": ["m5.large"], "big": ["m5.24xlarge"], "gpu": ["p5.48xlarge"]},
        fargate=["batch"],
    )
    us = seed_cluster("us-east-1", "payments-dr", version="1.29", node_groups={"small": ["t3.medium"]})
    # Three instances in the first subnet: AvailableIpAddressCount goes from 251 to 248.
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ec2.run_instances(
        ImageId="ami-12345678", MinCount=3, MaxCount=3, InstanceType="t3.micro", SubnetId=eu["subnets"][0]
    )
    return {"eu": eu, "us": us}


def _session_factory(applied: list[dict[str, Any]] | None = None, per_region: int = 1) -> tuple[Any, list[Stubber]]:
    """Service Quotas stubbed per region: one queue shared by regions collected concurrently would interleave
    their calls out of the Stubber's order."""
    clients, stubs = {}, []
    for region in ("eu-west-1", "us-east-1"):
        clients[f"service-quotas@{region}"], stub = quotas_client(region, applied=applied, times=per_region)
        stubs.append(stub)
    return (lambda _profile: StubbedSession(clients)), stubs


@mock_aws
def test_collects_clusters_in_two_regions() -> None:
    ids = _fleet()
    factory, stubs = _session_factory([applied_quota("Clusters", 150.0, "L-1194D53C")])
    result = collect_eks(factory, ["eu-west-1", "us-east-1"])
    assert isinstance(result, EksResult)
    snapshots, gaps = result
    assert gaps == []
    assert [(s.cluster.name, s.cluster.region) for s in snapshots] == [
        ("payments", "eu-west-1"),
        ("payments-dr", "us-east-1"),
    ]
    eu, us = snapshots
    assert eu.cluster.platform == "eks" and eu.cluster.version == "1.30" and eu.cluster.account == "123456789012"
    assert eu.cluster.endpoint and eu.cluster.endpoint.startswith("https://")
    assert eu.cloud is not None and eu.cloud.provider == "aws" and eu.cloud.platform_version
    groups = _by_name(eu)
    assert {n: g.max_pods_per_node for n, g in groups.items()} == {"general": 29, "big": 250, "gpu": 100, "batch": 1}
    assert groups["general"].max_pods_basis.startswith("eni: 3 x (10-1) + 2 = 29")
    assert groups["big"].max_pods_basis.startswith("eni: 15 x (50-1) + 2 = 737; managed node group cap 250")
    assert groups["batch"].kind == "fargate" and groups["batch"].extra["selectors"] == [{"namespace": "batch"}]
    general = groups["general"]
    assert (general.min_size, general.max_size, general.desired_size) == (1, 10, 3)
    assert general.instance_types == ["m5.large"] and general.capacity_type == "ON_DEMAND"
    assert general.image_type == "AL2_x86_64" and general.version == "1.30"
    assert general.labels == {"pool": "general"} and general.taints == ["dedicated=general:NoSchedule"]
    assert _by_name(us)["small"].max_pods_per_node == 17

    subnets = {s.id: s for s in eu.cloud.subnets}
    first, second = ids["eu"]["subnets"]
    assert subnets[first].available_ips == 248 and subnets[second].available_ips == 251
    assert subnets[first].cidr == "10.0.1.0/24" and subnets[first].zone == "eu-west-1a"
    assert eu.networking.service_cidrs and eu.networking.ip_family == "ipv4"

    quotas = {q.name: q for q in eu.cloud.quotas}
    assert quotas["clusters_per_region"].value == 150 and quotas["clusters_per_region"].source == "service-quotas"
    assert quotas["nodes_per_managed_node_group"].value == 450
    assert quotas["nodes_per_managed_node_group"].source == "documented-default"
    assert quotas["managed_node_groups_per_cluster"].value == 30
    assert quotas["fargate_profiles_per_cluster"].value == 10
    assert any("documented defaults" in note for note in eu.cloud.extra["notes"])
    assert eu.cloud.extra["clusters_in_region"] == 1

    # moto answers 404 "Not yet implemented" for add-ons and cluster versions: gaps, not failures.
    assert "404" in eu.gap_for("cloud.addons").reason
    assert eu.gap_for("cloud.support_end") is not None
    assert eu.nodes.count is None and "--with-kube" in eu.gap_for("nodes.count").reason
    assert eu.collection.collectors == ["eks"] and eu.collection.requests and eu.collection.requests > 5
    for stub in stubs:
        stub.assert_no_pending_responses()
    # The snapshot survives its own schema validation.
    assert Snapshot.from_dict(eu.to_dict()) == eu


@mock_aws
def test_cluster_filter_and_sequential_run_agree() -> None:
    _fleet()
    factory, _ = _session_factory(per_region=2)
    concurrent = collect_eks(factory, ["eu-west-1", "us-east-1"], concurrency=8).snapshots
    sequential = collect_eks(factory, ["eu-west-1", "us-east-1"], concurrency=1).snapshots
    strip = [(s.cluster, s.cloud) for s in concurrent]
    assert strip == [(s.cluster, s.cloud) for s in sequential]
    factory, _ = _session_factory(per_region=1)
    only, gaps = collect_eks(factory, ["eu-west-1", "us-east-1"], ["payments-dr", "missing"])
    assert [s.cluster.name for s in only] == ["payments-dr"]
    assert [(g.item, "not found" in g.reason) for g in gaps] == [("missing", True)]


@mock_aws
def test_region_all_lists_enabled_regions() -> None:
    seed_cluster("eu-west-1", "payments")
    seed_cluster("us-east-1", "payments-dr")
    factory, _ = _session_factory(per_region=1)
    snapshots, _ = collect_eks(factory, ["all"])
    assert {s.cluster.region for s in snapshots} == {"eu-west-1", "us-east-1"}


@mock_aws
def test_named_cluster_missing_everywhere_is_a_collector_error() -> None:
    seed_cluster("eu-west-1", "payments")
    factory, _ = _session_factory(per_region=0)
    with pytest.raises(CollectorError, match="nope not found in eu-west-1"):
        collect_eks(factory, ["eu-west-1"], ["nope"])


# --- APIs moto does not serve: add-ons, cluster versions, denied calls (botocore Stubber) ----------------------


def _described_cluster(subnet: str) -> dict[str, Any]:
    return {
        "name": "payments",
        "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/payments",
        "version": "1.31",
        "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "platformVersion": "eks.12",
        "status": "ACTIVE",
        "resourcesVpcConfig": {
            "subnetIds": [subnet],
            "vpcId": "vpc-1",
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["203.0.113.0/24"],
        },
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
        "logging": {
            "clusterLogging": [
                {"types": ["api", "audit"], "enabled": True},
                {"types": ["scheduler"], "enabled": False},
            ]
        },
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
        "upgradePolicy": {"supportType": "EXTENDED"},
    }


def _nodegroup(
    name: str, instance_types: list[str], subnet: str, ami: str = "AL2023_x86_64_STANDARD"
) -> dict[str, Any]:
    return {
        "nodegroupName": name,
        "clusterName": "payments",
        "version": "1.31",
        "status": "ACTIVE",
        "capacityType": "SPOT",
        "scalingConfig": {"minSize": 2, "maxSize": 20, "desiredSize": 5},
        "instanceTypes": instance_types,
        "subnets": [subnet],
        "amiType": ami,
    }


@mock_aws
def test_addons_prefix_delegation_and_support_dates_from_stubbed_eks() -> None:
    # moto 5.2 answers 404 "Not yet implemented" for ListAddons, DescribeAddon and DescribeClusterVersions, so
    # the EKS client is stubbed; EC2 (instance types, subnets) and STS stay on moto.
    subnet = seed_cluster("eu-west-1", "unused")["subnets"][0]
    eks = boto3.client("eks", region_name="eu-west-1")
    stub = Stubber(eks)
    stub.add_response("list_clusters", {"clusters": ["payments"]})
    stub.add_response("describe_cluster", {"cluster": _described_cluster(subnet)}, {"name": "payments"})
    stub.add_response("list_addons", {"addons": ["coredns", "vpc-cni"]}, {"clusterName": "payments"})
    stub.add_response("describe_addon", {"addon": {"addonName": "coredns", "addonVersion": "v1.11.3-eksbuild.1"}})
    config = '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}, "enableNetworkPolicy": "true"}'
    stub.add_response(
        "describe_addon",
        {"addon": {"addonName": "vpc-cni", "addonVersion": "v1.19.0-eksbuild.1", "configurationValues": config}},
    )
    stub.add_response("list_nodegroups", {"nodegroups": ["general", "mixed", "custom"]})
    stub.add_response("describe_nodegroup", {"nodegroup": _nodegroup("general", ["m5.large"], subnet)})
    stub.add_response("describe_nodegroup", {"nodegroup": _nodegroup("mixed", ["m5.large", "t3.medium"], subnet)})
    stub.add_response("describe_nodegroup", {"nodegroup": _nodegroup("custom", ["m5.24xlarge"], subnet, "CUSTOM")})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []})
    stub.add_response(
        "describe_cluster_versions",
        {"clusterVersions": [{"clusterVersion": "1.31", **support_dates("2025-11-26", "2026-11-26")}]},
        {"clusterVersions": ["1.31"], "includeAll": True},
    )
    stub.activate()
    sq, sq_stub = quotas_client("eu-west-1")
    snapshots, gaps = collect_eks(lambda _p: StubbedSession({"eks": eks, "service-quotas": sq}), ["eu-west-1"])
    stub.assert_no_pending_responses()
    (snap,) = snapshots
    cloud = snap.cloud
    assert cloud is not None
    assert cloud.addons == {"coredns": "v1.11.3-eksbuild.1", "vpc-cni": "v1.19.0-eksbuild.1"}
    assert cloud.extra["vpc_cni"]["prefix_delegation"] is True and cloud.extra["vpc_cni"]["network_policy"] is True
    assert snap.networking.cni == "aws-vpc-cni" and snap.networking.cni_version == "1.19.0-eksbuild.1"
    groups = _by_name(snap)
    assert groups["general"].max_pods_per_node == 110
    assert groups["general"].max_pods_basis == (
        "prefix delegation: 3 x ((10-1) x 16) + 2 = 434; managed node group cap 110 (2 vCPU <= 30)"
    )
    # Mixed types: the smallest value applies to the whole group (t3.medium 3 x (5 x 16) + 2 = 242 -> 110).
    assert groups["mixed"].extra["max_pods_by_instance_type"] == {"m5.large": 110, "t3.medium": 110}
    # A custom AMI escapes the managed-node-group cap.
    assert groups["custom"].max_pods_per_node == 15 * (49 * 16) + 2
    assert "custom AMI" in groups["custom"].max_pods_basis
    assert cloud.support_type == "EXTENDED" and cloud.support_end == "2026-11-26"
    assert cloud.extra["end_of_standard_support"] == "2025-11-26"
    assert cloud.extra["authentication_mode"] == "API_AND_CONFIG_MAP"
    assert cloud.endpoint_public is True and cloud.endpoint_private is True
    assert cloud.public_access_cidrs == ["203.0.113.0/24"] and cloud.logging == ["api", "audit"]
    assert snap.networking.service_cidrs == ["10.100.0.0/16"]
    assert snap.gap_for("cloud.addons") is None and snap.gap_for("cloud.support_end") is None
    assert gaps == []


@mock_aws
def test_denied_calls_become_gaps_and_quota_defaults_are_used() -> None:
    # moto does not enforce IAM for EKS, so the denials are stubbed.
    subnet = seed_cluster("eu-west-1", "unused")["subnets"][0]
    eks = boto3.client("eks", region_name="eu-west-1")
    stub = Stubber(eks)
    stub.add_response("list_clusters", {"clusters": ["payments"]})
    stub.add_response("describe_cluster", {"cluster": _described_cluster(subnet)})
    stub.add_client_error("list_addons", "AccessDeniedException", "not authorized: eks:ListAddons", 403)
    stub.add_client_error("list_nodegroups", "AccessDeniedException", "not authorized: eks:ListNodegroups", 403)
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []})
    stub.add_client_error("describe_cluster_versions", "AccessDeniedException", "denied", 403)
    stub.activate()
    # Service Quotas denied for applied values; the AWS defaults list answers for two quotas only.
    sq = boto3.client("service-quotas", region_name="eu-west-1")
    sq_stub = Stubber(sq)
    sq_stub.add_client_error("list_service_quotas", "AccessDeniedException", "denied", 403)
    sq_stub.add_response(
        "list_aws_default_service_quotas",
        {
            "Quotas": [
                applied_quota("Clusters", 100.0, "L-1194D53C"),
                applied_quota("Nodes per managed node group", 450.0, "L-X"),
            ]
        },
    )
    sq_stub.activate()
    snapshots, _ = collect_eks(lambda _p: StubbedSession({"eks": eks, "service-quotas": sq}), ["eu-west-1"])
    (snap,) = snapshots
    assert snap.cloud is not None and snap.cloud.node_groups == []
    assert "AccessDeniedException" in snap.gap_for("cloud.node_groups").reason
    assert "AccessDeniedException" in snap.gap_for("cloud.addons").reason
    assert snap.gap_for("cloud.support_end") is not None
    # Add-on settings unknown: no prefix-delegation claim, but the cluster subnet is still there.
    assert [s.id for s in snap.cloud.subnets] == [subnet]
    sources = {q.name: q.source for q in snap.cloud.quotas}
    assert sources == {
        "clusters_per_region": "service-quotas-default",
        "nodes_per_managed_node_group": "service-quotas-default",
        "managed_node_groups_per_cluster": "documented-default",
        "fargate_profiles_per_cluster": "documented-default",
    }
    (note,) = snap.cloud.extra["notes"]
    assert "managed_node_groups_per_cluster, fargate_profiles_per_cluster" in note and "AccessDenied" in note


@mock_aws
def test_region_not_enabled_is_a_gap() -> None:
    seed_cluster("eu-west-1", "payments", node_groups={"general": ["m5.large"]})
    # moto serves every region; a region that is not enabled answers UnrecognizedClientException (stubbed).
    closed = boto3.client("eks", region_name="ap-east-1")
    stub = Stubber(closed)
    stub.add_client_error("list_clusters", "UnrecognizedClientException", "The security token is invalid", 403)
    stub.activate()
    sq, _ = quotas_client("eu-west-1")
    factory = lambda _p: StubbedSession({"eks@ap-east-1": closed, "service-quotas": sq})  # noqa: E731
    snapshots, gaps = collect_eks(factory, ["eu-west-1", "ap-east-1"])
    assert [s.cluster.name for s in snapshots] == ["payments"]
    assert [g.item for g in gaps] == ["123456789012/ap-east-1"] and "region not enabled" in gaps[0].reason


@mock_aws
def test_access_denied_everywhere_raises() -> None:
    eks = boto3.client("eks", region_name="eu-west-1")
    stub = Stubber(eks)
    stub.add_client_error("list_clusters", "AccessDeniedException", "not authorized: eks:ListClusters", 403)
    stub.activate()
    with pytest.raises(AccessDenied, match="eks:ListClusters") as info:
        collect_eks(lambda _p: StubbedSession({"eks": eks}), ["eu-west-1"])
    assert "Grant read-only access" in str(info.value) and info.value.exit_code == 3


@mock_aws
def test_expired_token_raises_auth_error() -> None:
    sts = boto3.client("sts", region_name="eu-west-1")
    stub = Stubber(sts)
    stub.add_client_error(
        "get_caller_identity", "ExpiredToken", "The security token included in the request is expired"
    )
    stub.activate()
    with pytest.raises(AuthError, match="rejected the credentials"):
        collect_eks(lambda _p: StubbedSession({"sts": sts}), ["eu-west-1"])


def test_support_dates_helper_is_datetime() -> None:
    assert isinstance(support_dates("2025-01-01", "2026-01-01")["endOfStandardSupportDate"], datetime)


# --- error mapping and client settings -------------------------------------------------------------------------


def _client_error(code: str, status: int = 400) -> Exception:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_client_error("ExpiredToken"), AuthError),
        (_client_error("ExpiredTokenException"), AuthError),
        (_client_error("AccessDeniedException", 403), AccessDenied),
        (_client_error("UnauthorizedOperation", 403), AccessDenied),
        (_client_error("SomethingElse", 403), AccessDenied),
        (_client_error("ThrottlingException"), type(None)),
        (_client_error("ResourceNotFoundException", 404), type(None)),
    ],
)
def test_translate_client_errors(exc: Exception, expected: type) -> None:
    assert isinstance(translate_error(exc, "eks:ListClusters in eu-west-1"), expected)


def test_translate_transport_errors() -> None:
    assert isinstance(translate_error(NoCredentialsError(), "x"), AuthError)
    assert isinstance(translate_error(EndpointConnectionError(endpoint_url="https://eks"), "x"), EndpointError)


def test_client_config_reads_retry_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = client_config(8)
    assert config.retries == {"mode": "adaptive", "max_attempts": 10} and config.max_pool_connections == 16
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    assert client_config().retries == {"mode": "adaptive", "max_attempts": 3}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    with pytest.raises(InputError, match="AWS_MAX_ATTEMPTS"):
        client_config()


@mock_aws
def test_unreachable_service_quotas_is_a_one_line_endpoint_error() -> None:
    seed_cluster("eu-west-1", "payments", node_groups={"general": ["m5.large"]})
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sq = boto3.client(
        "service-quotas",
        region_name="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(EndpointError, match="servicequotas:ListServiceQuotas in eu-west-1") as info:
        collect_eks(lambda _p: StubbedSession({"service-quotas": sq}), ["eu-west-1"])
    assert info.value.exit_code == 3
