"""Hostile answer sheets: a vendor cannot fake a pass by deleting rows or by a stale <dimension> element."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from evaluator.audit import score_answer_files
from evaluator.procurement import generate_questions, import_answers, score_answers
from evaluator.procurement.bank import QuestionBank
from tests import test_questionnaire_answers as qa
from tests.questionnaire_support import bank_snapshot
from tests.test_questionnaire_answers import _fill, _rows

bank = qa.bank  # the small bank and its workbook, as fixtures
workbook = qa.workbook

ALL_GOOD = {
    "t_gate": ("yes", "contract"),
    "t_yes": ("yes", "contract"),
    "t_num": (16, "contract"),
    "t_text": ("None.", "contract"),
    "t_unanswered": ("yes", "contract"),
    "t_policies": ("Tested.", "contract"),
}


def _delete_rows(path: Path, sheet: str, ids: list[str]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for row in sorted((_rows(ws)[qid] for qid in ids), reverse=True):
        ws.delete_rows(row)
    wb.save(path)


def _sent(bank: QuestionBank) -> dict[str, list[str]]:
    snaps = [bank_snapshot()]
    return {v: [q.id for q in generate_questions(snaps, None, v, bank)] for v in ("eks", "gke")}


def test_deleting_the_gate_row_fails_the_gate(workbook: Path, bank: QuestionBank) -> None:
    _fill(workbook, "eks", {k: v for k, v in ALL_GOOD.items() if k != "t_gate"})
    _delete_rows(workbook, "eks", ["t_gate"])
    sheet = import_answers(workbook, bank)[0]
    assert "t_gate" not in {a.id for a in sheet.answers}
    result = score_answers(sheet, bank, sent=_sent(bank)["eks"])
    assert not result.passed_gates
    assert result.gates_failed == ["t_gate"]
    assert result.missing == ["t_gate"]
    assert "t_gate" in result.unanswered
    assert result.total == 6


def test_without_the_sent_list_every_bank_gate_for_the_vendor_is_expected(workbook: Path, bank: QuestionBank) -> None:
    _fill(workbook, "eks", ALL_GOOD)
    _delete_rows(workbook, "eks", ["t_gate"])
    result = score_answers(import_answers(workbook, bank)[0], bank)
    assert not result.passed_gates and result.gates_failed == ["t_gate"] and result.missing == ["t_gate"]


def test_deleted_rows_are_listed_as_missing(workbook: Path, bank: QuestionBank) -> None:
    _fill(workbook, "eks", ALL_GOOD)
    _delete_rows(workbook, "eks", ["t_gate", "t_unanswered"])
    (eks, _gke) = score_answer_files([workbook], bank, sent=_sent(bank))
    assert not eks.passed_gates
    assert eks.missing == ["t_gate", "t_unanswered"]


def test_all_rows_kept_pass(workbook: Path, bank: QuestionBank) -> None:
    _fill(workbook, "eks", ALL_GOOD)
    result = score_answers(import_answers(workbook, bank)[0], bank, sent=_sent(bank)["eks"])
    assert result.passed_gates and result.missing == [] and result.unanswered == []


def _stale_dimension(path: Path, sheet_xml: str, ref: str) -> None:
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == sheet_xml:
                data, n = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert n == 1
            zout.writestr(info, data)


def test_a_stale_dimension_does_not_hide_rows(workbook: Path, bank: QuestionBank) -> None:
    answers = dict(ALL_GOOD)
    answers["t_unanswered"] = ("no", "contract")
    _fill(workbook, "eks", answers)
    honest = score_answers(import_answers(workbook, bank)[0], bank)
    _stale_dimension(workbook, "xl/worksheets/sheet2.xml", "A1:M2")
    sheet = import_answers(workbook, bank)[0]
    assert len(sheet.answers) == 6
    assert score_answers(sheet, bank).overall == honest.overall


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0e309])
def test_non_finite_number_answers_are_refused(workbook: Path, bank: QuestionBank, value: float) -> None:
    from evaluator.errors import InputError
    from evaluator.procurement.sheets import _parse_number

    assert _parse_number(value) is None
    _fill(workbook, "eks", {"t_num": ("1e999", "contract")})
    with pytest.raises(InputError, match="t_num: answer must be a number"):
        import_answers(workbook, bank)


def test_report_cli_fails_a_sheet_whose_gate_rows_were_deleted(tmp_path: Path) -> None:
    """The shipped bank, end to end: questions -> a vendor deletes every knock-out row -> report."""
    import json

    from click.testing import CliRunner

    from evaluator.cli import cli
    from evaluator.inventory import save_snapshot

    snap = save_snapshot(bank_snapshot(platform="eks"), tmp_path / "snap.json")
    sheet = tmp_path / "q.xlsx"
    runner = CliRunner()
    assert runner.invoke(cli, ["questions", str(snap), "--vendor", "eks", "-o", str(sheet)]).exit_code == 0
    wb = openpyxl.load_workbook(sheet)
    ws = wb["eks"]
    header = [c.value for c in ws[1]]
    gate_rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("gate") + 1).value]
    gate_ids = [ws.cell(r, 1).value for r in gate_rows]
    assert gate_ids
    for r in range(2, ws.max_row + 1):
        kind = ws.cell(r, header.index("answer type") + 1).value
        ws.cell(r, header.index("vendor answer") + 1, "yes" if kind == "yes_no_partial" else "1")
    for r in reversed(gate_rows):
        ws.delete_rows(r)
    wb.save(sheet)
    out = tmp_path / "report.json"
    result = runner.invoke(cli, ["report", str(snap), "--answers", str(sheet), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (answers,) = json.loads(out.read_text())["report"]["answers"]
    assert answers["passed_gates"] is False
    assert sorted(answers["gates_failed"]) == sorted(gate_ids) == sorted(answers["missing"])
    md = tmp_path / "report.md"
    args = ["report", str(snap), "--answers", str(sheet), "--format", "md", "-o", str(md)]
    assert runner.invoke(cli, args).exit_code == 0
    assert f"the sheet lost {len(gate_ids)} question(s) that were sent" in md.read_text()
