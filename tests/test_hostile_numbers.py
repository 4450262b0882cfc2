"""Hostile numbers: NaN, Infinity, negative counts, huge integers and deep nesting in every file k8seval reads
are refused (exit 2 naming the file and the field), and every JSON k8seval writes is strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.fileio import write_json
from evaluator.inventory import save_snapshot
from tests.factories import make_snapshot


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def snap_text(tmp_path: Path) -> str:
    return save_snapshot(make_snapshot(), tmp_path / "good.json").read_text()


SNAPSHOT_CASES = [
    # (text replacement on the saved snapshot, the field the error must name)
    ('"max": 45', '"max": NaN', "nodes.pods_per_node.max"),
    ('"max": 45', '"max": Infinity', "nodes.pods_per_node.max"),
    ('"max": 45', '"max": -Infinity', "nodes.pods_per_node.max"),
    ('"max": 45', '"max": -3.0', "nodes.pods_per_node.max"),
    ('"count": 150', '"count": -10', "nodes.count"),
    ('"count": 150', '"count": 1e999', "nodes.count"),
    ('"count": 150', '"count": ' + "9" * 5000, "nodes.count"),
]


@pytest.mark.parametrize(("old", "new", "field"), SNAPSHOT_CASES, ids=[c[1][:24] for c in SNAPSHOT_CASES])
@pytest.mark.parametrize("command", ["score", "report"])
def test_snapshot_numbers_refused(tmp_path: Path, snap_text: str, old: str, new: str, field: str, command: str) -> None:
    assert old in snap_text, old
    bad = tmp_path / "bad.json"
    bad.write_text(snap_text.replace(old, new, 1))
    args = [command, str(bad)] + (["-o", str(tmp_path / "r.html")] if command == "report" else [])
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output and field in result.output, result.output
    assert "Traceback" not in result.output


def test_deep_json_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)
    result = _run("score", str(bad))
    assert result.exit_code == 2 and str(bad) in result.output, result.output


def test_deep_yaml_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = _run("catalog", "validate", str(bad))
    assert result.exit_code == 2 and str(bad) in result.output, result.output


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_policy_limit_must_be_finite(tmp_path: Path, snap_text: str, value: str) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(snap_text)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"constraints:\n  nodes_per_cluster:\n    limits:\n      eks:\n        value: {value}\n        reason: test\n"
    )
    result = _run("score", str(snap), "--policy", str(policy))
    assert result.exit_code == 2, result.output
    assert str(policy) in result.output and "nodes_per_cluster" in result.output, result.output


def _costs(tmp_path: Path, path: list[str], value: Any) -> Path:
    from importlib import resources

    text = resources.files("evaluator.scoring").joinpath("cost_assumptions.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    out = tmp_path / "costs.yaml"
    out.write_text(yaml.safe_dump(data))
    return out


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.10])
def test_cost_assumptions_must_be_finite_and_not_negative(tmp_path: Path, snap_text: str, value: float) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(snap_text)
    costs = _costs(tmp_path, ["fees", "eks_standard", "value"], value)
    result = _run("score", str(snap), "--costs", str(costs), "--format", "json")
    assert result.exit_code == 2, result.output
    assert str(costs) in result.output and "fees.eks_standard.value" in result.output, result.output


def _catalog_file(tmp_path: Path, value: str) -> Path:
    from evaluator.catalog.loader import data_dir

    text = (data_dir() / "etcd.yaml").read_text(encoding="utf-8")
    assert "value: 8589934592" in text
    out = tmp_path / "etcd.yaml"
    out.write_text(text.replace("value: 8589934592", f"value: {value}", 1))
    return out


@pytest.mark.parametrize("value", [".nan", ".inf", "-5"])
def test_catalog_validate_refuses_non_finite_or_negative_limits(tmp_path: Path, value: str) -> None:
    bad = _catalog_file(tmp_path, value)
    result = _run("catalog", "validate", str(bad))
    assert result.exit_code == 2, result.output
    assert "etcd_db_size" in result.output and "limits.self-hosted.value" in result.output, result.output


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_write_json_is_strict(tmp_path: Path, value: float) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(InputError, match="not a finite number"):
        write_json(target, {"a": [1, {"b": value}]})
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_findings_json_is_strict(tmp_path: Path, snap_text: str) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(snap_text)
    out = tmp_path / "findings.json"
    assert _run("score", str(snap), "--format", "json", "-o", str(out)).exit_code == 0
    _strict(out.read_text())
