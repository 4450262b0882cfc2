"""Helpers for the EKS collector tests: seed a moto account with clusters, and stub what moto does not serve."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

ROLE = "arn:aws:iam::123456789012:role/eks"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server on an ephemeral loopback port, one per test module."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials in eu-west-1; no endpoint, profile or retry settings and no AWS files from the machine."""
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@dataclass
class StubbedSession:
    """A boto3 session whose clients are real except for the services given as pre-built stubbed clients.

    moto serves EKS, EC2 and STS but not Service Quotas for ``eks`` (technical.md section D, gotcha 13), nor
    EKS add-ons or cluster versions; only those clients are replaced by botocore ``Stubber``-backed ones.
    Keys are a service name (any region) or ``service@region``.
    """

    stubbed: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None
    region_name: str | None = "eu-west-1"
    _inner: Any = None

    def client(self, service_name: str, region_name: str | None = None, config: Config | None = None) -> Any:
        """The stubbed client for ``service_name`` if there is one, else a real boto3 client."""
        for key in (f"{service_name}@{region_name}", service_name):
            if key in self.stubbed:
                return self.stubbed[key]
        if self._inner is None:
            self._inner = boto3.Session(region_name=self.region_name)
        return self._inner.client(service_name, region_name=region_name, config=config)


def quotas_client(region: str, *, applied: list[dict[str, Any]] | None = None, times: int = 1) -> tuple[Any, Stubber]:
    """A Service Quotas client stubbed to answer ListServiceQuotas for ``eks`` ``times`` times.

    moto implements Service Quotas only for ``vpc``; eks quotas come from this stub instead.
    """
    client = boto3.client("service-quotas", region_name=region)
    stub = Stubber(client)
    for _ in range(times):
        stub.add_response("list_service_quotas", {"Quotas": applied or []}, {"ServiceCode": "eks"})
        if not applied or len(applied) < 4:
            stub.add_response("list_aws_default_service_quotas", {"Quotas": []}, {"ServiceCode": "eks"})
    stub.activate()
    return client, stub


def applied_quota(name: str, value: float, code: str) -> dict[str, Any]:
    """One ListServiceQuotas entry."""
    return {"ServiceCode": "eks", "QuotaName": name, "QuotaCode": code, "Value": value, "Adjustable": True}


def seed_cluster(
    region: str,
    name: str,
    *,
    version: str = "1.30",
    node_groups: dict[str, list[str]] | None = None,
    fargate: list[str] | None = None,
    subnet_cidrs: tuple[str, ...] = ("10.0.1.0/24", "10.0.2.0/24"),
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """Create a VPC, subnets, a cluster and its node groups / Fargate profiles; return ids for assertions."""
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint_url)
    eks = boto3.client("eks", region_name=region, endpoint_url=endpoint_url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{region}{'abc'[i % 3]}")["Subnet"]["SubnetId"]
        for i, cidr in enumerate(subnet_cidrs)
    ]
    eks.create_cluster(name=name, version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets})
    for ng_name, types in (node_groups or {}).items():
        eks.create_nodegroup(
            clusterName=name,
            nodegroupName=ng_name,
            nodeRole=ROLE,
            subnets=subnets[:1],
            instanceTypes=types,
            version=version,
            scalingConfig={"minSize": 1, "maxSize": 10, "desiredSize": 3},
            labels={"pool": ng_name},
            taints=[{"key": "dedicated", "value": ng_name, "effect": "NO_SCHEDULE"}],
        )
    for profile in fargate or []:
        eks.create_fargate_profile(
            fargateProfileName=profile,
            clusterName=name,
            podExecutionRoleArn=ROLE,
            subnets=subnets[1:],
            selectors=[{"namespace": profile}],
        )
    return {"vpc": vpc, "subnets": subnets}


def support_dates(standard: str, extended: str) -> dict[str, datetime]:
    """DescribeClusterVersions date fields from ISO dates."""
    return {
        "endOfStandardSupportDate": datetime.fromisoformat(standard),
        "endOfExtendedSupportDate": datetime.fromisoformat(extended),
    }
