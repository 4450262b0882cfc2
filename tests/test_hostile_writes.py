"""What the user owns is never replaced: ``-o`` through a symlink writes its target (atomically, beside it), to a
character device or FIFO writes directly, other special files are refused, ``-o -`` is standard output.

Run as root (as CI runs): the device nodes are made with mknod in the test's folder, never the machine's /dev.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.fileio import write_text
from evaluator.inventory import save_snapshot
from tests.factories import make_snapshot

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root (CI runs these as root)")


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return save_snapshot(make_snapshot(), tmp_path / "s.json")


def _commands(snap: Path, out: str) -> list[list[str]]:
    return [
        ["score", str(snap), "--format", "json", "-o", out],
        ["score", str(snap), "--format", "csv", "-o", out],
        ["report", str(snap), "--format", "md", "-o", out],
        ["report", str(snap), "--format", "json", "-o", out],
        ["report", str(snap), "--format", "html", "-o", out],
        ["report", str(snap), "--format", "xlsx", "-o", out],
        ["report", str(snap), "--format", "junit", "-o", out],
    ]


def _device(path: Path, minor: int) -> tuple[int, int]:
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    st = path.stat()
    return st.st_ino, st.st_rdev


@root_only
@pytest.mark.parametrize("index", range(7), ids=["score-json", "score-csv", "md", "json", "html", "xlsx", "junit"])
def test_dev_null_stays_a_device(tmp_path: Path, snap: Path, index: int) -> None:
    null = tmp_path / "null"
    before = _device(null, 3)
    result = CliRunner().invoke(cli, _commands(snap, str(null))[index], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    st = null.lstat()
    assert stat.S_ISCHR(st.st_mode) and (st.st_ino, st.st_rdev) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@root_only
def test_dev_full_is_a_clean_error(tmp_path: Path, snap: Path) -> None:
    full = tmp_path / "full"
    before = _device(full, 7)
    result = CliRunner().invoke(cli, ["score", str(snap), "--format", "json", "-o", str(full)], catch_exceptions=False)
    assert result.exit_code == 2 and "No space left on device" in result.output, result.output
    assert stat.S_ISCHR(full.lstat().st_mode) and (full.stat().st_ino, full.stat().st_rdev) == before


def test_fifo_is_written_directly(tmp_path: Path, snap: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = CliRunner().invoke(cli, ["score", str(snap), "--format", "json", "-o", str(fifo)], catch_exceptions=False)
    reader.join(30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(got[0])["findings"]


def test_symlink_is_kept_and_its_target_written(tmp_path: Path, snap: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "report.md").write_text("old\n")
    os.chmod(real / "report.md", 0o640)
    link = tmp_path / "report.md"
    link.symlink_to(real / "report.md")
    result = CliRunner().invoke(cli, ["report", str(snap), "-o", str(link)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real / "report.md")
    assert (real / "report.md").read_text().startswith("# ")
    assert stat.S_IMODE((real / "report.md").stat().st_mode) == 0o640
    assert sorted(p.name for p in real.iterdir()) == ["report.md"]


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "made.txt")
    write_text(link, "hello\n")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "hello\n"


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(InputError, match="not a regular file"):
            write_text(path, "x")
        assert stat.S_ISSOCK(path.lstat().st_mode)


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--format", "json"],
        ["score", "--format", "csv"],
        ["report", "--format", "md"],
        ["report", "--format", "json"],
    ],
)
def test_dash_is_standard_output(tmp_path: Path, snap: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [args[0], str(snap), *args[1:], "-o", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists() and not Path("-").exists()
    if args[-1] == "json":
        json.loads(result.stdout)
    else:
        assert result.stdout.strip()
