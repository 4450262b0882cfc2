"""Hostile YAML: alias bombs (billion laughs), self-referring aliases and deep nesting in every YAML file the CLI
reads are refused with exit 2 naming the file, before they can exhaust memory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import save_snapshot
from tests.factories import make_snapshot

# About 400 bytes under a field each file has, expanding to 10**9 leaves when walked (or printed in an error).
_LAUGHS = ["&a [x, x, x, x, x, x, x, x, x, x]"] + [
    f"&{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)
]
KEYS = {"audit-config": "targets", "policy": "targets", "costs": "region", "spec": "name", "catalog": "constraints"}


def _bomb(kind: str) -> str:
    return f"{KEYS[kind]}: [{', '.join(_LAUGHS)}]\n"


def _self(kind: str) -> str:
    return f"{KEYS[kind]}: &a [1, *a]\n"


def _args(kind: str, path: Path, tmp_path: Path) -> list[str]:
    snap = save_snapshot(make_snapshot(), tmp_path / "s.json")
    return {
        "audit-config": ["audit", "--config", str(path), "--out", str(tmp_path / "out")],
        "policy": ["score", str(snap), "--policy", str(path)],
        "costs": ["score", str(snap), "--costs", str(path)],
        "spec": ["simulate", "--spec", str(path)],
        "catalog": ["catalog", "validate", str(path)],
    }[kind]


KINDS = ["audit-config", "policy", "costs", "spec", "catalog"]


@pytest.mark.parametrize("make", [_bomb, _self], ids=["bomb", "self-alias"])
@pytest.mark.parametrize("kind", KINDS)
def test_alias_bombs_are_refused(tmp_path: Path, kind: str, make: Any) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text(make(kind))
    assert path.stat().st_size < 800
    started = time.monotonic()
    result = CliRunner().invoke(cli, _args(kind, path, tmp_path), catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and "alias" in result.output, result.output
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("kind", KINDS)
def test_deep_nesting_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = CliRunner().invoke(cli, _args(kind, path, tmp_path), catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and "nested too deeply" in result.output, result.output


def test_small_aliases_still_load(tmp_path: Path) -> None:
    from evaluator.fileio import parse_yaml

    assert parse_yaml("a: &x {k: 1}\nb: *x\n", "f.yaml") == {"a": {"k": 1}, "b": {"k": 1}}
