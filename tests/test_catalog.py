"""The shipped constraint catalog, its loader and validator, and ``k8seval catalog``."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaluator.catalog.loader import (
    CATEGORIES,
    load_catalog,
    validate_catalog,
    validate_file,
)
from evaluator.catalog.model import CHECKS, LIMIT_KINDS
from evaluator.cli import cli
from evaluator.errors import CatalogError
from evaluator.findings import STATUSES, TARGETS
from evaluator.scoring.metrics import METRICS

CATALOG = load_catalog()
IDS = CATALOG.ids
CORE_IDS = [
    "etcd_db_size",
    "network_policy_count",
    "nodes_per_cluster",
    "pods_per_node",
    "pods_per_cluster",
    "services_per_cluster",
    "endpoints_per_service",
    "crds_per_cluster",
    "version_support",
    "apiserver_custom_flags",
    "pod_ip_space",
    "webhook_timeout",
]


def test_catalog_has_a_version_and_enough_constraints() -> None:
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", CATALOG.version)
    assert len(IDS) >= 40
    assert len(IDS) == len(set(IDS))
    assert {c.category for c in CATALOG.constraints} == set(CATEGORIES)


@pytest.mark.parametrize("constraint_id", CORE_IDS)
def test_core_ids_exist(constraint_id: str) -> None:
    assert constraint_id in IDS


@pytest.mark.parametrize("constraint_id", IDS)
def test_every_constraint_is_complete(constraint_id: str) -> None:
    c = CATALOG.get(constraint_id)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id)
    assert c.metric in METRICS, c.metric
    assert c.check in CHECKS
    assert 0 < c.watch < c.at_risk <= 1
    assert c.description and c.remediation and c.title
    assert c.questions == []
    assert set(c.limits) == set(TARGETS)
    for target, limit in c.limits.items():
        assert limit.source.startswith("https://"), (target, limit.source)
        assert date.fromisoformat(limit.verified) <= date.today()
        assert limit.kind in LIMIT_KINDS
        if limit.kind in ("hard", "quota", "recommended"):
            assert limit.value is not None, target
        else:
            assert limit.value is None, target
        assert limit.exceeded is None or limit.exceeded in STATUSES
        assert c.metric_for(target) in METRICS
        # Limits not re-checked at their source say so.
        if limit.verified != "2026-11-26":
            assert "limits.md" in limit.note, (target, limit.note)


def test_validate_catalog_accepts_the_shipped_catalog() -> None:
    validate_catalog(CATALOG)


def test_pods_per_node_makes_300_pods_a_blocker_on_managed_targets() -> None:
    c = CATALOG.get("pods_per_node")
    for target, value in (("gke", 256), ("eks", 250)):
        limit = c.limits[target]
        assert limit.kind == "hard" and limit.value == value
        assert (limit.exceeded or "blocker") == "blocker"
        assert 300 > limit.value


def test_version_support_reads_each_vendor_calendar() -> None:
    c = CATALOG.get("version_support")
    assert c.metric_for("self-hosted") == "version.upstream_support_months_left"
    assert c.metric_for("eks") == "version.eks_standard_months_left"
    assert c.metric_for("gke") == "version.gke_standard_months_left"


def test_default_load_is_cached() -> None:
    assert load_catalog() is load_catalog()


# ---------------------------------------------------------------- validator errors

GOOD = {
    "id": "my_limit",
    "title": "My limit",
    "category": "nodes",
    "metric": "nodes.count",
    "unit": "nodes",
    "check": "max",
    "description": "d",
    "remediation": "r",
    "limits": {
        t: {"kind": "hard", "value": 10, "source": "https://example.com/limits", "verified": "2026-01-02"}
        for t in TARGETS
    },
}


def _write(tmp_path: Path, item: dict) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"constraints": [item]}, sort_keys=False))
    return path


def _with(**changes: object) -> dict:
    item = yaml.safe_load(yaml.safe_dump(GOOD))
    for dotted, value in changes.items():
        node = item
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[part.replace("_", "-") if part in ("self_hosted", "gke_autopilot") else part]
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value
    return item


def test_good_user_file_validates(tmp_path: Path) -> None:
    assert [c.id for c in validate_file(_write(tmp_path, GOOD))] == ["my_limit"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"limits__gke__source": "http://example.com"}, "limits.gke.source must be an https URL"),
        ({"limits__eks__kind": "soft"}, "limits.eks.kind must be one of"),
        ({"limits__eks__value": None}, "limits.eks.value is required for kind hard"),
        ({"limits__gke__kind": "not-published"}, "limits.gke.value must be null for kind not-published"),
        ({"limits__gke__verified": "2999-01-01"}, "limits.gke.verified is in the future"),
        ({"limits__gke__verified": "yesterday"}, "limits.gke.verified must be a YYYY-MM-DD date"),
        ({"limits__gke__exceeded": "doom"}, "limits.gke.exceeded must be one of"),
        ({"metric": "nodes.nope"}, "metric 'nodes.nope' is not a registered metric"),
        ({"category": "misc"}, "category must be one of"),
        ({"check": "between"}, "check must be one of"),
        ({"watch": 0.95}, "watch and at_risk must satisfy"),
        ({"id": "My-Limit"}, "id must be snake_case"),
        ({"title": None}, "title is required"),
        ({"colour": "red"}, "colour is not a known field"),
        ({"setting": "yes"}, "setting must be true or false"),
        ({"growing": 1}, "growing must be true or false"),
    ],
)
def test_validator_errors_name_file_id_and_field(tmp_path: Path, changes: dict, field: str) -> None:
    path = _write(tmp_path, _with(**changes))
    with pytest.raises(CatalogError) as err:
        validate_file(path, metrics=METRICS)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert field in message
    label = changes.get("id", "my_limit")
    assert f": {label}: " in message


def test_missing_target_is_an_error(tmp_path: Path) -> None:
    item = _with()
    del item["limits"]["gke-autopilot"]
    with pytest.raises(CatalogError, match=r"my_limit: limits.gke-autopilot is missing"):
        validate_file(_write(tmp_path, item))


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump({"constraints": [GOOD]}))
    b.write_text(yaml.safe_dump({"constraints": [GOOD]}))
    with pytest.raises(CatalogError, match=r"b.yaml: my_limit: id is not unique \(also in .*a.yaml\)"):
        load_catalog([a, b])


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("constraints:\n  - id: x\n    title: [unclosed\n")
    with pytest.raises(CatalogError, match=r"broken.yaml: line \d+: invalid YAML"):
        validate_file(path)


def test_load_catalog_from_user_files_keeps_their_version(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"version": "bank-1", "constraints": [GOOD]}))
    catalog = load_catalog([path])
    assert catalog.version == "bank-1" and catalog.ids == ["my_limit"]


def test_shipped_error_names_use_catalog_prefix(tmp_path: Path) -> None:
    # An index file like the shipped one, pointing at a broken category file.
    (tmp_path / "etcd.yaml").write_text(yaml.safe_dump({"constraints": [_with(limits__gke__source="ftp://x")]}))
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({"version": "t", "files": ["etcd.yaml"]}))
    with pytest.raises(CatalogError, match=r"etcd.yaml: my_limit: limits.gke.source must be an https URL"):
        load_catalog([tmp_path / "catalog.yaml"])


# ---------------------------------------------------------------- CLI


def run(*args: str):
    return CliRunner().invoke(cli, ["catalog", *args], catch_exceptions=False)


def test_cli_list_table_and_json() -> None:
    result = run("list")
    assert result.exit_code == 0
    assert "pods_per_node" in result.output and "gke-autopilot" in result.output
    result = run("list", "--category", "etcd", "--target", "eks", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["version"] == CATALOG.version
    assert {c["category"] for c in data["constraints"]} == {"etcd"}
    assert all(set(c["limits"]) == {"eks"} for c in data["constraints"])


def test_cli_show_lists_sources_and_dates() -> None:
    result = run("show", "etcd_db_size")
    assert result.exit_code == 0
    for target in TARGETS:
        assert f"  {target}: " in result.output
    assert "https://etcd.io/docs/latest/dev-guide/limit/ (verified 2026-11-26)" in result.output


def test_cli_show_unknown_id_suggests() -> None:
    result = CliRunner().invoke(cli, ["catalog", "show", "pods_per_nod"])
    assert result.exit_code == 2
    assert "Did you mean: pods_per_node" in result.output


def test_cli_validate(tmp_path: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0 and f"{len(IDS)} constraints OK" in result.output
    good = _write(tmp_path, GOOD)
    assert run("validate", str(good)).exit_code == 0
    bad = _write(tmp_path, _with(limits__gke__source="http://x"))
    result = CliRunner().invoke(cli, ["catalog", "validate", str(bad)])
    assert result.exit_code == 2
    assert "my_limit: limits.gke.source must be an https URL" in result.output
    missing = CliRunner().invoke(cli, ["catalog", "validate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_cli_validate_a_file_that_is_not_text(tmp_path: Path) -> None:
    binary = tmp_path / "limits.yaml"
    binary.write_bytes(b"\xff\xfe\x00constraints")
    result = CliRunner().invoke(cli, ["catalog", "validate", str(binary)])
    assert result.exit_code == 2 and "limits.yaml: cannot read: 'utf-8' codec can't decode" in result.output
    with pytest.raises(CatalogError, match=r"limits\.yaml: cannot read"):
        load_catalog([binary])


def test_cli_show_a_setting_has_no_bands() -> None:
    # The engine gives a setting no watch/at-risk bands (only passing the limit counts); show says so.
    result = run("show", "node_max_pods_setting")
    assert result.exit_code == 0
    assert "only passing it counts" in result.output and "watch at" not in result.output
    data = json.loads(run("show", "node_max_pods_setting", "--format", "json").output)
    assert data["setting"] is True
    assert "watch at 70% of the limit" in run("show", "etcd_db_size").output
