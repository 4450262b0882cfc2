"""Interrupts: Ctrl-C at start-up or during collection ends promptly without a traceback, SIGTERM leaves no .tmp
file, and an audit's file set is marked complete only by a manifest written last."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluator.simulator import Faults, Simulator, profile

CLI = "import sys; from evaluator.cli import main; sys.argv[0] = 'k8seval'; main()"
ROOT = Path(__file__).resolve().parents[1]


def _spawn(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )


def _tmp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_ctrl_c_at_start_up_prints_no_traceback(tmp_path: Path) -> None:
    # -X importtime writes a line as each module finishes loading; the signal goes once click has loaded (the CLI
    # module is running its imports then), so it lands inside k8seval's start-up, never in the interpreter's own.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-c", CLI, "score", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.split("|")[-1].strip() == "click":
            break
    proc.send_signal(signal.SIGINT)
    out, rest = proc.communicate(timeout=60)
    err = "".join(line for line in [*seen, rest] if not line.startswith("import time:"))
    assert "Usage:" not in out, "the start-up finished before the signal: nothing was interrupted"
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err, err


def _collecting(sim: Simulator, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
    proc = _spawn("collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(tmp_path / "s.json"), *extra,
                  cwd=tmp_path)  # fmt: skip
    deadline = time.monotonic() + 60
    while sim.request_count < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def test_ctrl_c_during_collection_cancels_promptly(tmp_path: Path) -> None:
    with Simulator(profile("small"), faults=Faults(delay_seconds=4.0)) as sim:
        proc = _collecting(sim, tmp_path)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert "Traceback" not in err and took < 3.0, (took, err)
    assert not (tmp_path / "s.json").exists() and _tmp_files(tmp_path) == []


def test_sigterm_during_collection_leaves_no_tmp(tmp_path: Path) -> None:
    with Simulator(profile("small"), faults=Faults(delay_seconds=4.0)) as sim:
        proc = _collecting(sim, tmp_path)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    assert proc.returncode == 143, err
    assert "Traceback" not in err and took < 3.0, (took, err)
    assert _tmp_files(tmp_path) == []


def test_audit_writes_a_manifest_last(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _spawn("audit", "--sample", "--out", str(out), cwd=tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 1), err
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])


def test_an_interrupted_audit_leaves_no_manifest_and_no_tmp(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"files": []}')  # from an earlier run
    proc = _spawn("audit", "--sample", "--out", str(out), cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not (out / "snapshots").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert _tmp_files(out) == []
    if proc.returncode == 143:
        assert not (out / "manifest.json").exists()  # the set is not marked complete
    else:
        assert proc.returncode in (0, 1) and json.loads((out / "manifest.json").read_text())["files"]


WRITER = """
import os, signal, sys
from pathlib import Path
from evaluator.cli import _on_signal
from evaluator.fileio import write_text
signal.signal(signal.SIGTERM, _on_signal)
real_open = os.open
def sigterm_once_created(path, *args, **kwargs):  # SIGTERM the moment the temp file exists, before its clean-up
    fd = real_open(path, *args, **kwargs)
    if str(path).endswith(".tmp"):
        os.kill(os.getpid(), signal.SIGTERM)
    return fd
os.open = sigterm_once_created
write_text(sys.argv[2] if sys.argv[2] == "-" else Path(sys.argv[1]) / sys.argv[2], "{}")
"""


@pytest.mark.parametrize("name", ["snap.json", "-"])  # a file; standard output, through the temp folder
def test_sigterm_the_moment_a_temp_file_exists_leaves_no_tmp(tmp_path: Path, name: str) -> None:
    """The window the audit's SIGTERM test once hit: the signal between the temp file's creation and its clean-up."""
    folder = tmp_path / "out"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(folder)}  # "-" writes through the temp folder
    proc = subprocess.run([sys.executable, "-c", WRITER, str(folder), name], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)  # fmt: skip
    assert proc.returncode == 143 and "Traceback" not in proc.stderr, proc.stderr
    assert list(folder.iterdir()) == []


def test_temp_files_whose_block_never_ran_are_removed_on_the_way_out(tmp_path: Path) -> None:
    """A signal between a context manager's entry and its block skips every clean-up in the block; the command
    line's exit path removes what is still listed."""
    from evaluator.fileio import remove_temp_files, temp_file

    entered = temp_file(".snap.json.", tmp_path)
    path = entered.__enter__()  # the block that would delete it never starts
    assert path.exists()
    remove_temp_files()
    assert not path.exists()
    with temp_file(".done.", tmp_path) as kept:  # a block that ended is no longer listed
        pass
    remove_temp_files()
    assert kept.exists()
