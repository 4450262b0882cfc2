"""Hostile text from servers and files (control characters, escape sequences, Markdown/HTML/Rich markup, CSV
formula prefixes) survives every output: each format stays parseable and nothing hostile becomes live."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import Gap, Snapshot, load_snapshot, save_snapshot
from tests.factories import make_snapshot

CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b[31m\x1b]8;;https://evil.example\x07\x7f\x9b"
REASON = f"403 Forbidden:{CONTROL} =cmd|' /C calc'!A0\r\n| broken | table |"
NAME = "prod[link=https://evil.example]x[/link]"
MD_NAME = "[click](javascript:alert(1)) ![img](https://evil.example/p.png) <script>alert(1)</script>"


def _hostile_snapshot(tmp_path: Path, name: str = NAME) -> Path:
    """A snapshot file whose gap reason and cluster name carry hostile text (JSON-escaped, as a file holds it)."""
    path = save_snapshot(make_snapshot(name="placeholder"), tmp_path / "s.json")
    data = json.loads(path.read_text())
    data["cluster"]["name"] = name
    data["gaps"] = [
        {"source": "kube", "item": "objects.pods", "reason": REASON},
        {"source": "kube", "item": f"metrics{CONTROL}", "reason": "\t+SUM(1,2)"},
        {"source": "kube", "item": "nodes", "reason": "-2+3"},
        {"source": "kube", "item": "x", "reason": "@SUM(1)"},
    ]
    path.write_text(json.dumps(data))
    return path


def _live_link(text: str) -> bool:
    """A Markdown link or image whose brackets are not escaped."""
    return re.search(r"(?<!\\)\]\((javascript:|https://evil)", text) is not None


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_control_characters_are_stripped_where_text_enters_a_snapshot(tmp_path: Path) -> None:
    snap = load_snapshot(_hostile_snapshot(tmp_path))
    for gap in snap.gaps:
        for text in (gap.source, gap.item, gap.reason):
            assert not any(ord(c) < 32 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F for c in text), repr(text)
    direct = Gap("kube", "pods", f"refused{CONTROL}")
    assert direct.reason.startswith("refused") and "\x1b" not in direct.reason and "\x00" not in direct.reason
    assert Snapshot.from_dict(snap.to_dict()) == snap


def test_xlsx_report_and_questions_survive(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path)
    out = tmp_path / "findings.xlsx"
    code, output = _run("report", str(snap), "--format", "xlsx", "-o", str(out))
    assert code == 0, output
    wb = openpyxl.load_workbook(out)
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("403 Forbidden:" in v for v in values)
    assert not any(v.startswith(("=", "+", "-", "@")) and ws_formula(v) for v in values)
    q = tmp_path / "questions.xlsx"
    code, output = _run("questions", str(snap), "--vendor", "eks", "-o", str(q))
    assert code == 0, output
    openpyxl.load_workbook(q)


def ws_formula(value: str) -> bool:
    return value.startswith("=")


def test_junit_is_parseable(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path, f"prod{CONTROL}")
    out = tmp_path / "junit.xml"
    code, output = _run("report", str(snap), "--format", "junit", "-o", str(out))
    assert code in (0, 1), output
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"


def test_markdown_report_escapes_links_images_html_and_table_breaks(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path, MD_NAME)
    out = tmp_path / "report.md"
    code, output = _run("report", str(snap), "--format", "md", "-o", str(out))
    assert code == 0, output
    text = out.read_text()
    assert not _live_link(text)
    assert "<script>" not in text and "\r" not in text
    assert "| broken | table |" not in text
    for line in text.splitlines():
        if line.startswith("|") and "403 Forbidden" in line:
            raise AssertionError(f"gap reason inside a table row: {line!r}")


def test_questions_markdown_escapes_cluster_names(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path, MD_NAME)
    out = tmp_path / "q.md"
    code, output = _run("questions", str(snap), "--vendor", "eks", "-o", str(out))
    assert code == 0, output
    text = out.read_text()
    assert not _live_link(text) and "<script>" not in text


@pytest.mark.parametrize("command", ["score", "report"])
def test_csv_cells_never_start_a_formula_and_rows_stay_whole(tmp_path: Path, command: str) -> None:
    snap = _hostile_snapshot(tmp_path, '=HYPERLINK("https://evil.example")')
    out = tmp_path / "f.csv"
    code, output = _run(command, str(snap), "--format", "csv", "-o", str(out))
    assert code == 0, output
    raw = out.read_bytes().decode()
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert len({len(r) for r in rows}) == 1, [len(r) for r in rows]
    for row in rows[1:]:
        for cell in row:
            assert _number(cell) or not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # A bare CR only ever appears inside a quoted cell.
    for line in raw.split("\n"):
        assert "\r" not in line or line.count('"') % 2 == 1 or '"' in line


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_questions_csv_rows_stay_whole(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path, "\t=1+1\rsplit")
    out = tmp_path / "q.csv"
    code, output = _run("questions", str(snap), "--vendor", "eks", "-o", str(out))
    assert code == 0, output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode(), newline="")))
    assert len({len(r) for r in rows}) == 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_terminal_table_renders_no_markup_and_no_escapes(tmp_path: Path) -> None:
    snap = _hostile_snapshot(tmp_path)
    code, output = _run("score", str(snap))
    assert code == 0, output
    assert "\x1b" not in output and "\x07" not in output
    assert "[link=" in output  # shown as text, not consumed as Rich markup


def test_a_lone_surrogate_in_a_name_is_bad_input(tmp_path: Path) -> None:
    path = _hostile_snapshot(tmp_path)
    path.write_text(path.read_text().replace(json.dumps(NAME), '"prod\\ud800"'))
    code, output = _run("report", str(path), "--format", "md", "-o", str(tmp_path / "r.md"))
    assert code == 2 and str(path) in output and "cluster.name" in output and "surrogate" in output, output
