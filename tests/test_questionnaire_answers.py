"""Question lists as spreadsheets: write, fill with openpyxl as a vendor would, import, score; bad sheets refused."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from evaluator.errors import InputError
from evaluator.procurement import (
    AnswerSheet,
    generate_questions,
    import_answers,
    score_answers,
    write_questions,
)
from evaluator.procurement.bank import QuestionBank, load_bank
from evaluator.procurement.sheets import HEADERS
from tests.questionnaire_support import bank_snapshot

# A small bank with fixed weights so scores can be computed by hand.
TEST_BANK = {
    "questions": [
        {
            "id": "t_gate",
            "domain": "GOV",
            "title": "Complete contract",
            "text": "Will the contract be complete?",
            "why": "Required.",
            "trigger": "always",
            "answer_type": "yes_no_partial",
            "weight": 5,
            "gate": True,
            "pass_answers": ["yes"],
        },
        {
            "id": "t_yes",
            "domain": "CPS",
            "title": "Cluster size",
            "text": "Do you support {{ facts.nodes.count | count }} nodes?",
            "why": "Scale.",
            "trigger": "always",
            "answer_type": "yes_no_partial",
            "weight": 4,
        },
        {
            "id": "t_num",
            "domain": "CPS",
            "title": "etcd limit",
            "text": "Our etcd is {{ facts.etcd.db_size_bytes | gib }}. Your limit in GiB?",
            "why": "Capacity.",
            "trigger": {"any": [{"fact": "etcd.db_size_bytes", "op": "gte", "value": 4294967296}]},
            "answer_type": "number",
            "answer_unit": "GiB",
            "acceptance": {"op": "gte", "full": 16, "partial": 8},
            "weight": 3,
        },
        {
            "id": "t_text",
            "domain": "SLA",
            "title": "Exclusions",
            "text": "List the SLA exclusions.",
            "why": "Coverage.",
            "trigger": "always",
            "answer_type": "text",
            "weight": 2,
        },
        {
            "id": "t_unanswered",
            "domain": "SLA",
            "title": "Zones",
            "text": "Three zones?",
            "why": "Resilience.",
            "trigger": "always",
            "answer_type": "yes_no_partial",
            "weight": 1,
        },
        {
            "id": "t_policies",
            "domain": "CPS",
            "title": "Policies",
            "text": "You would host {{ facts.network_policies.count | count }} NetworkPolicies.",
            "why": "Segmentation.",
            "trigger": {"any": [{"fact": "network_policies.count", "op": "gte", "value": 1000}]},
            "answer_type": "text",
            "weight": 1,
        },
    ]
}


@pytest.fixture
def bank(tmp_path: Path) -> QuestionBank:
    path = tmp_path / "bank" / "test.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(TEST_BANK, sort_keys=False), encoding="utf-8")
    return load_bank(path)


@pytest.fixture
def workbook(tmp_path: Path, bank: QuestionBank) -> Path:
    snaps = [bank_snapshot()]
    lists = {v: generate_questions(snaps, None, v, bank) for v in ("eks", "gke")}
    return write_questions(
        lists, tmp_path / "eks.xlsx", clusters=["prod-1"], generated_at="2026-11-01T10:00:00Z", bank=bank
    )


def _rows(ws: Any) -> dict[str, int]:
    """question id -> row number."""
    return {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}


def _col(name: str) -> int:
    return HEADERS.index(name) + 1


def _fill(path: Path, sheet: str, answers: dict[str, tuple[Any, Any]], **extra: dict[str, Any]) -> None:
    """Fill (answer, commitment) per question id, plus other columns by header name."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    rows = _rows(ws)
    for qid, (answer, commitment) in answers.items():
        ws.cell(row=rows[qid], column=_col("vendor answer"), value=answer)
        ws.cell(row=rows[qid], column=_col("commitment level"), value=commitment)
    for column, values in extra.items():
        for qid, value in values.items():
            ws.cell(row=rows[qid], column=_col(column.replace("_", " ")), value=value)
    wb.save(path)


def test_workbook_layout(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["About", "eks", "gke"]
    ws = wb["eks"]
    assert [c.value for c in ws[1]] == HEADERS
    assert all(c.font.bold for c in ws[1]) and ws["A1"].fill.fgColor.rgb.endswith("1F3864")
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["D"].width >= 60 and ws["D2"].alignment.wrap_text
    assert ws["A2"].fill.fgColor.rgb.endswith("E7E6E6")  # the id column looks locked
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert ids[0] == "t_gate"  # gates first
    assert set(ids) == {"t_gate", "t_yes", "t_num", "t_text", "t_unanswered", "t_policies"}
    texts = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).value for r in range(2, ws.max_row + 1)}
    assert texts["t_policies"] == "You would host 8,000 NetworkPolicies."
    assert texts["t_num"].startswith("Our etcd is 5.1 GiB.")
    validations = {(dv.type, dv.formula1): str(dv.sqref) for dv in ws.data_validations.dataValidation}
    yes_no = validations[("list", '"yes,no,partial"')]
    rows = _rows(ws)
    answer_col = openpyxl.utils.get_column_letter(_col("vendor answer"))
    assert f"{answer_col}{rows['t_yes']}" in yes_no and f"{answer_col}{rows['t_text']}" not in yes_no
    assert ("list", '"contract,SLA,documentation,roadmap,none"') in validations
    about = [c.value for row in wb["About"].iter_rows() for c in row if c.value]
    assert any("contract" in str(v) for v in about) and "2026-11-01T10:00:00Z" in about


def test_round_trip_scores_by_hand(workbook: Path, bank: QuestionBank) -> None:
    _fill(
        workbook,
        "eks",
        {
            "t_gate": ("yes", "contract"),  # 4 x 1.0, weight 5
            "t_yes": ("Partial", "documentation"),  # 2 x 0.75, weight 4 (case ignored)
            "t_num": (10, "SLA"),  # meets partial (8), not full (16): 2 x 1.0, weight 3
            "t_text": ("Scheduled maintenance only.", None),  # reviewer 3 x blank 0.5, weight 2
            "t_policies": ("Tested to 20,000.", "roadmap"),  # text 2 x 0.25, weight 1
        },
        reviewer_score={"t_text": 3},
        evidence_link={"t_gate": "https://example.org/msa.pdf"},
    )
    sheets = import_answers(workbook, bank)
    assert [s.vendor for s in sheets] == ["eks", "gke"]
    eks = sheets[0]
    assert {a.id: a.evidence_link for a in eks.answers}["t_gate"] == "https://example.org/msa.pdf"
    result = score_answers(eks, bank)
    assert result.passed_gates and result.gates_failed == []
    domains = {d.domain: d for d in result.domains}
    # CPS: (4 x 1.5 + 3 x 2 + 1 x 0.5) / (4 + 3 + 1) = 12.5 / 8
    assert domains["CPS"].score == pytest.approx(1.56)
    assert (domains["CPS"].answered, domains["CPS"].total) == (3, 3)
    assert domains["GOV"].score == 4.0
    # SLA: only t_text answered: 3 x 0.5
    assert domains["SLA"].score == 1.5 and (domains["SLA"].answered, domains["SLA"].total) == (1, 2)
    # Overall: (5 x 4 + 4 x 1.5 + 3 x 2 + 2 x 1.5 + 1 x 0.5) / 15 = 35.5 / 15
    assert result.overall == pytest.approx(2.37)
    assert result.unanswered == ["t_unanswered"]
    assert (result.answered, result.total) == (5, 6)
    # The untouched gke sheet: nothing answered, no score, the gate not passed.
    gke = score_answers(sheets[1], bank)
    assert gke.overall is None and not gke.passed_gates and gke.gates_failed == ["t_gate"]
    assert len(gke.unanswered) == 6


@pytest.mark.parametrize(
    ("answer", "commitment"),
    [("no", "contract"), ("partial", "contract"), ("yes", "roadmap"), (None, None)],
    ids=["no", "partial", "roadmap-yes", "unanswered"],
)
def test_gate_failure_fails_the_vendor(workbook: Path, bank: QuestionBank, answer: Any, commitment: Any) -> None:
    _fill(workbook, "eks", {"t_gate": (answer, commitment), "t_yes": ("yes", "contract")})
    result = score_answers(import_answers(workbook, bank)[0], bank)
    assert not result.passed_gates
    assert result.gates_failed == ["t_gate"]
    assert {d.domain: d.gates_failed for d in result.domains}["GOV"] == ["t_gate"]
    assert {d.domain: d.score for d in result.domains}["CPS"] == 4.0


def test_number_answers_against_acceptance(workbook: Path, bank: QuestionBank) -> None:
    for value, expected in ((16, 4.0), ("8", 2.0), ("7.5", 0.0), ("1,024", 4.0)):
        _fill(workbook, "eks", {"t_num": (value, "contract")})
        result = score_answers(import_answers(workbook, bank)[0], bank)
        assert {d.domain: d.score for d in result.domains}["CPS"] == expected, value


def test_malformed_xlsx_is_refused(tmp_path: Path, bank: QuestionBank) -> None:
    fake = tmp_path / "answers.xlsx"
    fake.write_text("id,vendor answer\nt_gate,yes\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"answers\.xlsx: not a readable \.xlsx workbook"):
        import_answers(fake, bank)
    with pytest.raises(InputError, match="file not found"):
        import_answers(tmp_path / "none.xlsx", bank)
    with pytest.raises(InputError, match="unsupported answers format"):
        import_answers(tmp_path / "bank" / "test.yaml", bank)


def test_wrong_sheet_is_named(workbook: Path, bank: QuestionBank) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb.create_sheet("Notes")
    ws.append(["question", "thoughts"])
    ws.append(["t_gate", "looks fine"])
    wb.save(workbook)
    with pytest.raises(
        InputError, match=r"eks\.xlsx: sheet 'Notes': not a question-list sheet: missing column\(s\) id"
    ):
        import_answers(workbook, bank)


def test_unknown_question_id_names_the_cell(workbook: Path, bank: QuestionBank) -> None:
    wb = openpyxl.load_workbook(workbook)
    wb["eks"]["A7"] = "cps_nope"
    wb.save(workbook)
    with pytest.raises(InputError) as info:
        import_answers(workbook, bank)
    assert str(info.value) == "eks.xlsx: sheet 'eks' cell A7: unknown question id 'cps_nope'"


@pytest.mark.parametrize(
    ("qid", "answer", "commitment", "column", "message"),
    [
        ("t_yes", "maybe", "contract", "vendor answer", "answer must be yes, no or partial, got 'maybe'"),
        ("t_num", "lots", "contract", "vendor answer", "answer must be a number, got 'lots'"),
        ("t_yes", "yes", "pinky promise", "commitment level", "commitment level must be one of contract"),
    ],
    ids=["yes-no", "number", "commitment"],
)
def test_bad_value_names_the_cell(
    workbook: Path, bank: QuestionBank, qid: str, answer: Any, commitment: Any, column: str, message: str
) -> None:
    _fill(workbook, "eks", {qid: (answer, commitment)})
    row = _rows(openpyxl.load_workbook(workbook)["eks"])[qid]
    cell = f"{openpyxl.utils.get_column_letter(_col(column))}{row}"
    with pytest.raises(InputError) as info:
        import_answers(workbook, bank)
    assert str(info.value).startswith(f"eks.xlsx: sheet 'eks' cell {cell}: {qid}: {message}")


def test_bad_reviewer_score_and_duplicate_id(workbook: Path, bank: QuestionBank) -> None:
    _fill(workbook, "eks", {"t_text": ("ok", None)}, reviewer_score={"t_text": 7})
    with pytest.raises(InputError, match="reviewer score must be a number from 0 to 4"):
        import_answers(workbook, bank)
    wb = openpyxl.load_workbook(workbook)
    ws = wb["eks"]
    ws.cell(row=ws.max_row + 1, column=1, value="t_gate")
    for r in range(2, ws.max_row):
        ws.cell(row=r, column=_col("reviewer score")).value = None
    wb.save(workbook)
    with pytest.raises(InputError, match="appears twice"):
        import_answers(workbook, bank)


def test_score_answers_rejects_ids_missing_from_the_bank(bank: QuestionBank) -> None:
    from evaluator.procurement import Answer

    sheet = AnswerSheet(
        vendor="eks", source_file="x.xlsx", sheet="eks", answers=[Answer(id="zz", cell="I2", answer="yes")]
    )
    with pytest.raises(InputError, match="unknown question id 'zz'"):
        score_answers(sheet, bank)


def test_csv_and_markdown(tmp_path: Path, bank: QuestionBank) -> None:
    snaps = [bank_snapshot()]
    lists = {v: generate_questions(snaps, None, v, bank) for v in ("eks", "self-hosted")}
    md = write_questions(lists, tmp_path / "q.md", clusters=["prod-1"], generated_at="2026-11-01T10:00:00Z", bank=bank)
    text = md.read_text(encoding="utf-8")
    assert "## Amazon EKS (6 questions)" in text and "## Self-hosted (current platform)" in text
    assert "You would host 8,000 NetworkPolicies." in text
    assert "*Asked because:* network_policies.count 8,000 >= 1,000" in text
    path = write_questions(lists, tmp_path / "q.csv", clusters=["prod-1"], generated_at="x", bank=bank)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["vendor"] for r in rows} == {"eks", "self-hosted"}
    assert rows[0]["id"] == "t_gate"
    # Fill the CSV as a vendor would and read it back: one sheet per vendor value.
    rows[0]["vendor answer"] = "yes"
    rows[0]["commitment level"] = "contract"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    sheets = import_answers(path, bank)
    assert [s.vendor for s in sheets] == ["eks", "self-hosted"]
    assert score_answers(sheets[0], bank).domains[0].gates_failed == []
    with pytest.raises(InputError, match="unsupported question-list format"):
        write_questions(lists, tmp_path / "q.txt", clusters=[], generated_at="x", bank=bank)


def test_csv_cells_never_read_as_formulas(tmp_path: Path) -> None:
    # The evidence column is "- item" lines; unquoted, a spreadsheet opening the CSV evaluates it as a formula.
    lists = {"eks": generate_questions([bank_snapshot()], None, "eks")}
    path = write_questions(lists, tmp_path / "q.csv", clusters=["prod-1"], generated_at="x")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    evidence = [r["evidence requested"] for r in rows if r["evidence requested"]]
    assert evidence and all(e.startswith("'- ") for e in evidence)
    assert not any(v[:1] in ("=", "+", "-", "@") for r in rows for v in r.values() if v)


def test_failed_write_keeps_the_previous_file(tmp_path: Path, bank: QuestionBank) -> None:
    target = tmp_path / "out" / "q.md"
    target.parent.mkdir()
    target.write_text("previous", encoding="utf-8")
    broken = {"eks": [object()]}  # not a GeneratedQuestion: rendering fails half way
    with pytest.raises(AttributeError):
        write_questions(broken, target, clusters=[], generated_at="x", bank=bank)  # type: ignore[dict-item]
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in target.parent.iterdir()] == ["q.md"]


def test_cluster_names_starting_with_equals_stay_text_in_the_workbook(tmp_path: Path) -> None:
    """A cluster called '=HYPERLINK(...)' must not become a live formula in the vendor's spreadsheet."""
    from openpyxl import load_workbook

    from evaluator.procurement import write_questions

    path = write_questions(
        {"eks": []}, tmp_path / "q.xlsx", clusters=['=HYPERLINK("http://x")'], generated_at="2026-11-26"
    )
    about = load_workbook(path)["About"]
    values = [c.value for row in about.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in values)
    assert any("HYPERLINK" in v for v in values)
