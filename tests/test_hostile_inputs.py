"""A FIFO (or another special file) given where a file is read whole is refused at once (exit 2 naming it),
instead of blocking until something writes to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluator.inventory import save_snapshot
from tests.factories import make_snapshot

CLI = "import sys; from evaluator.cli import main; sys.argv[0] = 'k8seval'; main()"
ROOT = Path(__file__).resolve().parents[1]


def _k8seval(*args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=40, env=env, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


CASES = {
    "snapshot": lambda f, s: ["score", f],
    "answers-xlsx": lambda f, s: ["report", s, "--answers", f + ".xlsx", "-o", f + ".html"],
    "answers-csv": lambda f, s: ["report", s, "--answers", f + ".csv", "-o", f + ".html"],
    "audit-config": lambda f, s: ["audit", "--config", f],
    "policy": lambda f, s: ["score", s, "--policy", f],
    "costs": lambda f, s: ["score", s, "--costs", f],
    "spec": lambda f, s: ["simulate", "--spec", f],
    "catalog": lambda f, s: ["catalog", "validate", f],
    "kubeconfig": lambda f, s: ["collect", "kube", "--kubeconfig", f],
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_fifo_input_is_refused(tmp_path: Path, case: str) -> None:
    snap = str(save_snapshot(make_snapshot(), tmp_path / "s.json"))
    fifo = tmp_path / "in"
    args = CASES[case](str(fifo), snap)
    made = next(a for a in args if a.startswith(str(fifo)) and not a.endswith(".html"))
    os.mkfifo(made)
    code, out = _k8seval(*args)
    assert code == 2, out
    assert made in out and "not a regular file" in out, out
