"""``k8seval collect eks`` end to end against a moto server reached through AWS_ENDPOINT_URL, and its error exits."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import load_snapshot
from tests.eks_support import isolated_aws_env, seed_cluster


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> str:
    """Dummy credentials and AWS_ENDPOINT_URL pointing at a freshly reset moto server."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    isolated_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    # moto answers HTTP 500 to ListServiceQuotas (not implemented); two attempts instead of ten keep the
    # retry back-off short. The collector reads AWS_MAX_ATTEMPTS because its explicit Config would hide it.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    return moto_url


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["collect", "eks", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_writes_one_snapshot_per_cluster(aws: str, tmp_path: Path) -> None:
    seed_cluster(
        "eu-west-1",
        "payments",
        node_groups={"general": ["m5.large"], "big": ["m5.24xlarge"]},
        fargate=["batch"],
        endpoint_url=aws,
    )
    seed_cluster("us-east-1", "payments-dr", node_groups={"small": ["t3.medium"]}, endpoint_url=aws)
    out = tmp_path / "out"
    code, output = _invoke("--region", "eu-west-1", "--region", "us-east-1", "-o", str(out))
    assert code == 0, output
    assert output.count("wrote ") == 2 and "Traceback" not in output
    snaps = {s.cluster.name: s for s in map(load_snapshot, sorted(out.glob("eks-*.json")))}
    assert set(snaps) == {"payments", "payments-dr"}
    eu = snaps["payments"]
    assert eu.cloud is not None and eu.cluster.region == "eu-west-1"
    pods = {g.name: g.max_pods_per_node for g in eu.cloud.node_groups}
    assert pods == {"general": 29, "big": 250, "batch": 1}
    assert [s.available_ips for s in eu.cloud.subnets] == [251, 251]
    assert {q.source for q in eu.cloud.quotas} == {"documented-default"}  # moto serves no eks quotas
    us = snaps["payments-dr"]
    assert us.cloud is not None and [g.max_pods_per_node for g in us.cloud.node_groups] == [17]
    assert "max pods/node 29/250" in output


def test_same_name_in_two_regions_gets_two_files(aws: str, tmp_path: Path) -> None:
    for region in ("eu-west-1", "us-east-1"):
        seed_cluster(region, "shared", endpoint_url=aws)
    code, output = _invoke("--region", "eu-west-1", "--region", "us-east-1", "-o", str(tmp_path))
    assert code == 0, output
    names = sorted(p.name for p in tmp_path.glob("eks-shared-*.json"))
    assert len(names) == 2 and "eu-west-1" in names[0] and "us-east-1" in names[1]


def test_no_clusters_is_not_an_error(aws: str, tmp_path: Path) -> None:
    code, output = _invoke("--region", "eu-west-1", "-o", str(tmp_path))
    assert code == 0 and "no EKS clusters in eu-west-1" in output
    assert list(tmp_path.glob("*.json")) == []


def test_no_credentials_exit_3_with_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata probe off this machine
    code, output = _invoke("--region", "eu-west-1", "-o", str(tmp_path / "out"))
    assert code == 3
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "No AWS credentials found" in lines[0] and "aws sso login" in lines[0]
    assert not (tmp_path / "out").exists()


def test_unreachable_endpoint_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, output = _invoke("--region", "eu-west-1")
    assert code == 3
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Could not reach AWS" in lines[0] and "AWS_ENDPOINT_URL" in lines[0]


def test_unknown_profile_is_bad_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[default]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    code, output = _invoke("--profile", "nope", "--region", "eu-west-1")
    assert code == 2 and "--profile nope: no such profile" in output


def test_no_region_is_bad_input(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    code, output = _invoke()
    assert code == 2 and "No AWS region given" in output


def test_with_kube_needs_one_cluster(aws: str) -> None:
    code, output = _invoke("--region", "eu-west-1", "--with-kube", "ctx")
    assert code == 2 and "exactly one --cluster" in output


def test_with_kube_merges_the_kubernetes_view(aws: str, tmp_path: Path) -> None:
    from evaluator.simulator import Simulator, profile

    seed_cluster("eu-west-1", "payments", node_groups={"general": ["m5.large"]}, endpoint_url=aws)
    context = "arn:aws:eks:eu-west-1:123456789012:cluster/payments"  # aws eks update-kubeconfig's naming
    spec = profile("small")
    with Simulator(spec) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc", context=context)
        code, output = _invoke(
            "--region", "eu-west-1", "--cluster", "payments", "--with-kube", context,
            "--kubeconfig", str(kubeconfig), "-o", str(tmp_path / "out"),
        )  # fmt: skip
    assert code == 0, output
    [path] = list((tmp_path / "out").glob("*.json"))
    snap = load_snapshot(path)
    assert snap.cluster.name == "payments" and snap.cluster.platform == "eks"
    assert sorted(snap.collection.collectors) == ["eks", "kube"]
    assert snap.nodes.count == spec.nodes and snap.gap_for("nodes.count") is None
    assert snap.objects and snap.gap_for("objects") is None
    assert snap.cloud is not None and [g.max_pods_per_node for g in snap.cloud.node_groups] == [29]
    assert snap.cluster.region == "eu-west-1" and snap.cluster.account == "123456789012"
