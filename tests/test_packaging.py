"""The wheel carries everything the installed tool reads at run time (templates, question banks, catalog data)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("k8seval-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def _shipped(folder: str, pattern: str) -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob(pattern))


@pytest.mark.parametrize(
    ("source_folder", "pattern", "in_wheel"),
    [
        ("templates", "*", "evaluator/_data/templates/"),
        ("questionnaires", "*.yaml", "evaluator/_data/questionnaires/"),
        ("monitoring", "*", "evaluator/_data/monitoring/"),
        ("evaluator/catalog/data", "*.yaml", "evaluator/catalog/data/"),
        ("evaluator/simulator/profiles", "*.yaml", "evaluator/simulator/profiles/"),
    ],
)
def test_data_folders_reach_the_wheel(wheel_names: set[str], source_folder: str, pattern: str, in_wheel: str) -> None:
    files = _shipped(source_folder, pattern)
    assert files, f"nothing in {source_folder}"
    for path in files:
        assert in_wheel + Path(path).name in wheel_names, path


def test_wheel_has_the_entry_point_and_typing_marker(wheel_names: set[str]) -> None:
    assert "evaluator/py.typed" in wheel_names
    assert "evaluator/scoring/cost_assumptions.yaml" in wheel_names
    for table in ("aws-eu-west-2", "aws-eu-west-1", "aws-us-east-1", "gcp-europe-west2", "gcp-europe-west1"):
        assert f"evaluator/scoring/prices/{table}.yaml" in wheel_names
    assert any(name.endswith(".dist-info/entry_points.txt") for name in wheel_names)
    assert not any(name.startswith(("tests/", "benchmarks/", "reports/")) for name in wheel_names)
