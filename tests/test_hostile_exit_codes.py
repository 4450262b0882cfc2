"""Exit codes that mean what the README says: input at fault is exit 2 naming the file or flag, never 70."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evaluator.simulator.spec import load_spec

CLI = "import sys; from evaluator.cli import main; sys.argv[0] = 'k8seval'; main()"
ROOT = Path(__file__).resolve().parents[1]
SMALL = yaml.safe_load((ROOT / "evaluator" / "simulator" / "profiles" / "small.yaml").read_text())


def _k8seval(*args: str, timeout: float = 60) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


SPEC_CASES = {
    "bad-created": ({"created": "yesterday"}, "created"),
    "pods-only-fit-with-control-plane": ({"pods": 500}, "pods"),
    "hot-node-above-pods": ({"hot_node_pods": 100000}, "hot_node_pods"),
}


@pytest.mark.parametrize("case", list(SPEC_CASES))
def test_bad_simulator_specs_are_exit_2(tmp_path: Path, case: str) -> None:
    changes, field = SPEC_CASES[case]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SMALL, **changes}))
    from evaluator.errors import InputError

    with pytest.raises(InputError) as info:
        load_spec(spec)
    assert str(spec) in str(info.value) and field in str(info.value)
    # and the cluster the spec describes builds: the checks match what placement does
    ok = tmp_path / "ok.yaml"
    ok.write_text(yaml.safe_dump({**SMALL, "pods": 440}))
    load_spec(ok)


@pytest.mark.parametrize(
    "args",
    [["--qps", "nan"], ["--qps", "inf"], ["--timeout", "nan"], ["--deadline", "inf"]],
    ids=["qps-nan", "qps-inf", "timeout-nan", "deadline-inf"],
)
def test_non_finite_flags_are_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, out = _k8seval("collect", "kube", "--kubeconfig", str(tmp_path / "none"), *args)
    assert code == 2, out
    assert args[0] in out and "Traceback" not in out, out


def test_etcd_timeout_nan_is_exit_2() -> None:
    code, out = _k8seval("collect", "etcd", "--endpoints", "http://127.0.0.1:1", "--timeout", "nan")
    assert code == 2 and "--timeout" in out, out
