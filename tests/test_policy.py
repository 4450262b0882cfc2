"""Policy files: thresholds, limit overrides with reasons, exclusions, targets, and validation errors."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from evaluator.errors import CatalogError
from evaluator.inventory import ClusterInfo, EtcdInventory
from evaluator.scoring.engine import evaluate
from evaluator.scoring.policy import Policy, load_policy, policy_from_data
from tests.factories import make_snapshot
from tests.scoring_support import GIB, small_catalog

NOW = "2026-11-26T12:00:00Z"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _cells(ev):
    return {(f.cluster, f.target, f.constraint): f for f in ev.findings}


def test_limit_override_with_reason_and_catalog_untouched(tmp_path: Path) -> None:
    catalog = small_catalog()
    before = copy.deepcopy(catalog)
    path = _write(
        tmp_path,
        """
constraints:
  etcd_db_size:
    limits:
      self-hosted:
        value: 8589934592
        reason: etcd runs with --quota-backend-bytes=8GiB (CHG-1234)
""",
    )
    policy = load_policy(path, catalog)
    snap = make_snapshot(etcd=EtcdInventory(db_size_bytes=int(5.1 * GIB)))
    plain = _cells(evaluate([snap], catalog, ["self-hosted"], now=NOW))
    with_policy = _cells(evaluate([snap], catalog, ["self-hosted"], policy=policy, now=NOW))
    key = ("prod-1", "self-hosted", "etcd_db_size")
    assert plain[key].status == "blocker"
    assert with_policy[key].status == "ok"
    assert with_policy[key].limit == 8 * GIB and with_policy[key].limit_kind == "hard"
    assert "policy: etcd runs with --quota-backend-bytes=8GiB (CHG-1234)" in with_policy[key].message
    assert catalog == before  # the policy worked on a copy


def test_thresholds_override(tmp_path: Path) -> None:
    path = _write(tmp_path, "constraints:\n  etcd_db_size: {watch: 0.5, at_risk: 0.6}\n")
    snap = make_snapshot(etcd=EtcdInventory(db_size_bytes=int(5.1 * GIB)))  # 64% of EKS's 8 GiB
    key = ("prod-1", "eks", "etcd_db_size")
    assert _cells(evaluate([snap], small_catalog(), ["eks"], now=NOW))[key].status == "ok"
    finding = _cells(evaluate([snap], small_catalog(), ["eks"], policy=load_policy(path), now=NOW))[key]
    assert finding.status == "at-risk"
    assert "policy: watch at 50%, at-risk at 60%" in finding.message


def test_exclusions_and_targets(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
targets: [gke, eks]
exclude:
  constraints: [nodes_per_cluster]
  clusters: ["dev-*", sandbox]
""",
    )
    policy = load_policy(path, small_catalog())
    snaps = [make_snapshot("prod-1"), make_snapshot("dev-7"), make_snapshot("sandbox"), make_snapshot("sandbox-2")]
    ev = evaluate(snaps, small_catalog(), policy=policy, now=NOW)
    assert ev.clusters == ["prod-1", "sandbox-2"]
    assert ev.targets == ["eks", "gke"]
    assert {f.constraint for f in ev.findings} == {"etcd_db_size"}
    # --target on the command line wins over the policy's targets
    assert evaluate(snaps, small_catalog(), ["self-hosted"], policy=policy, now=NOW).targets == ["self-hosted"]


def test_exclusion_globs() -> None:
    policy = Policy(exclude_clusters=["dev-*", "lab-?"])
    assert policy.excludes_cluster("dev-eu") and policy.excludes_cluster("lab-1")
    assert not policy.excludes_cluster("lab-12") and not policy.excludes_cluster("prod-dev")


def test_override_not_published_becomes_numeric() -> None:
    policy = policy_from_data(
        {
            "constraints": {
                "etcd_db_size": {"limits": {"gke": {"value": 6 * GIB, "reason": "vendor answer MKQ-ETCD-01"}}}
            }
        }
    )
    snap = make_snapshot(cluster=ClusterInfo(name="x"), etcd=EtcdInventory(db_size_bytes=int(5.8 * GIB)))
    finding = _cells(evaluate([snap], small_catalog(), ["gke"], policy=policy, now=NOW))[("x", "gke", "etcd_db_size")]
    assert finding.limit_kind == "recommended" and finding.status == "at-risk"
    assert "policy: vendor answer MKQ-ETCD-01" in finding.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets: [aks]\n", "targets[0]: unknown target 'aks'"),
        ("colour: red\n", "(top level): unknown field 'colour'"),
        ("schema: k8seval/policy/v9\n", "schema: expected 'k8seval/policy/v1'"),
        ("exclude: [a]\n", "exclude: expected a mapping"),
        ("exclude: {clusters: [1]}\n", "exclude.clusters: expected a list of names"),
        (
            "constraints:\n  etcd_db_size: {watch: 0.9, at_risk: 0.8}\n",
            "constraints.etcd_db_size: watch (0.9) must not be above",
        ),
        ("constraints:\n  etcd_db_size: {watch: 1.5}\n", "constraints.etcd_db_size.watch: expected a number above 0"),
        (
            "constraints:\n  etcd_db_size: {limits: {eks: {value: 5}}}\n",
            "constraints.etcd_db_size.limits.eks.reason: required",
        ),
        (
            "constraints:\n  etcd_db_size: {limits: {eks: {value: -1, reason: x}}}\n",
            "limits.eks.value: expected a number >= 0",
        ),
        ("constraints:\n  etcd_db_size: {limits: {aks: {value: 1, reason: x}}}\n", "limits.aks: unknown target"),
        (
            "constraints:\n  etcd_db_size: {limits: {eks: {value: 1, reason: x, kind: soft}}}\n",
            "limits.eks.kind: expected one of",
        ),
        (
            "constraints:\n  no_such_id: {watch: 0.5}\n",
            "constraints.no_such_id: no constraint 'no_such_id' in the catalog",
        ),
        ("exclude: {constraints: [nope]}\n", "exclude.constraints[0]: no constraint 'nope'"),
        ("targets: [eks\n", "not valid YAML"),
    ],
)
def test_validation_errors_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogError) as err:
        load_policy(path, small_catalog())
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_missing_file() -> None:
    with pytest.raises(CatalogError, match="no-such.yaml: file not found"):
        load_policy("no-such.yaml")


def test_empty_file_is_empty_policy(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, ""))
    catalog = small_catalog()
    assert policy.apply(catalog) is catalog


@pytest.mark.parametrize(
    ("plans", "message"),
    [
        ({"eks": {"compute": "fargate-only"}}, "plans.eks.compute: expected one of managed-node-groups, karpenter"),
        ({"gke": {"cni": "calico"}}, "plans.gke.cni: gke has no plan setting 'cni'"),
        ({"aks": {"x": "y"}}, "plans.aks: unknown target 'aks'"),
    ],
)
def test_plan_errors_name_the_field(plans: dict, message: str) -> None:
    from evaluator.scoring.policy import policy_from_data

    with pytest.raises(CatalogError, match=re.escape(message)):
        policy_from_data({"plans": plans}, where="policy.yaml")


def test_plans_default_and_override() -> None:
    from evaluator.scoring.policy import policy_from_data

    pol = policy_from_data({"plans": {"eks": {"compute": "auto-mode"}}, "focus": ["eks"]}, where="p.yaml")
    plans = pol.target_plans()
    assert plans["eks"] == {
        "compute": "auto-mode",
        "load_balancers": "aws-load-balancer-controller",
        "control_plane": "standard",
    }
    assert plans["gke"]["dataplane"] == "v2" and plans["gke"]["channel"] == "regular"
    assert pol.focus == ["eks"]
