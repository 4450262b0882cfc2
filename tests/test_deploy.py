"""deploy/: the kustomization renders offline with `kubectl kustomize`, and every object validates against the
Kubernetes schemas (kubernetes-validate, strict); the CronJob runs the in-cluster collector to a bucket."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/test.sh installs it)")
kubernetes_validate = pytest.importorskip("kubernetes_validate")
# The oldest minor the catalog still scores as supported on EKS and GKE; the schemas must hold there too.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def render(path: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize PATH` parsed into documents."""
    assert KUBECTL is not None
    result = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in docs}


@pytest.mark.parametrize("variant", ["", "overlays/eks", "overlays/gke"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_validates(variant: str, version: str) -> None:
    docs = render(DEPLOY / variant)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CronJob", "NetworkPolicy"]
    )
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_validation_catches_a_broken_object() -> None:
    job = by_kind(render(DEPLOY))["CronJob"]
    job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, VERSIONS[-1], strict=True)


def test_cronjob_runs_the_in_cluster_collector_to_a_bucket() -> None:
    docs = by_kind(render(DEPLOY))
    job = docs["CronJob"]
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][:2] == ["collect", "kube"]
    args = container["args"]
    assert args[args.index("-o") + 1] == "$(K8SEVAL_OUTPUT)"
    config = docs["ConfigMap"]
    assert container["envFrom"][0]["configMapRef"]["name"] == config["metadata"]["name"]
    assert config["data"]["K8SEVAL_OUTPUT"].startswith("s3://")
    assert pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"]
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    # Restrictive: non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault seccomp.
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) <= set(container["resources"]["limits"])
    assert docs["Namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The image runs as the same non-root user the pod asks for.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert f"USER {pod['securityContext']['runAsUser']}" in dockerfile
    assert 'ENTRYPOINT ["k8seval"]' in dockerfile


def test_network_policy_selects_the_job_and_allows_only_dns_and_https() -> None:
    docs = by_kind(render(DEPLOY))
    policy = docs["NetworkPolicy"]["spec"]
    labels = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["ingress"] == []
    ports = sorted((p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"])
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 6443), ("UDP", 53)]


def test_cluster_role_is_the_readme_role() -> None:
    role = by_kind(render(DEPLOY))["ClusterRole"]
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n.*?)```", readme, re.S)
    assert block, "README lost its ClusterRole example"
    assert role["rules"] == yaml.safe_load(block.group(1))["rules"]
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list"}
    binding = by_kind(render(DEPLOY))["ClusterRoleBinding"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "k8seval-collector", "namespace": "k8seval"}]


def test_eks_overlay_annotates_for_irsa_and_allows_the_pod_identity_agent() -> None:
    docs = by_kind(render(DEPLOY / "overlays/eks"))
    annotations = docs["ServiceAccount"]["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    egress = docs["NetworkPolicy"]["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]} in egress
    assert docs["ConfigMap"]["data"]["AWS_REGION"]


def test_gke_overlay_annotates_for_workload_identity_and_writes_to_gcs() -> None:
    docs = by_kind(render(DEPLOY / "overlays/gke"))
    annotations = docs["ServiceAccount"]["metadata"]["annotations"]
    assert annotations["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")
    assert docs["ConfigMap"]["data"]["K8SEVAL_OUTPUT"].startswith("gs://")
    cidrs = {peer["ipBlock"]["cidr"] for rule in docs["NetworkPolicy"]["spec"]["egress"] for peer in rule["to"]
             if "ipBlock" in peer}  # fmt: skip
    assert {"169.254.169.252/32", "169.254.169.254/32"} <= cidrs
    ports = {(peer["ipBlock"]["cidr"], p["port"]) for rule in docs["NetworkPolicy"]["spec"]["egress"]
             for peer in rule["to"] if "ipBlock" in peer for p in rule["ports"]}  # fmt: skip
    assert {("169.254.169.252/32", 988), ("169.254.169.254/32", 80)} <= ports
