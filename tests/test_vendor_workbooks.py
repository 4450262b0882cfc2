"""Workbooks a vendor can be sent: one per vendor, no reviewer columns, print setup, vendor words only;
the buyer's copy with review sheets read back; a roadmap never below no commitment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.errors import CatalogError
from evaluator.inventory import save_snapshot
from evaluator.procurement import EVIDENCE_STRENGTH, Answer, AnswerSheet, import_answers, load_bank, score_answers
from evaluator.procurement.sheets import REVIEW_COLUMNS, VENDOR_HEADERS
from tests.questionnaire_support import bank_snapshot

# Our own vocabulary: the status scale and internal names a vendor must never read.
INTERNAL = re.compile(r"\b(at-risk|blocker|reviewer|findings\.|k8seval/)|\bis (ok|watch|unknown)\b", re.I)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    snap = save_snapshot(bank_snapshot(), tmp_path / "snap.json")
    out = tmp_path / "to-vendors"
    result = CliRunner().invoke(cli, ["questions", str(snap), "-o", f"{out}/"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _cells(ws: Any) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_one_workbook_per_vendor_and_the_buyers_copy(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == ["questions-eks.xlsx", "questions-gke.xlsx", "review.xlsx"]
    for vendor in ("eks", "gke"):
        wb = openpyxl.load_workbook(folder / f"questions-{vendor}.xlsx")
        assert wb.sheetnames == ["About", vendor]  # no other vendor, no review sheet
        assert [c.value for c in wb[vendor][1]] == VENDOR_HEADERS
    buyer = openpyxl.load_workbook(folder / "review.xlsx")
    assert buyer.sheetnames == ["About", "eks", "eks review", "gke", "gke review"]
    review = buyer["eks review"]
    assert [c.value for c in review[1]] == [name for name, _ in REVIEW_COLUMNS]
    vendor_ids = [r[0] for r in buyer["eks"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in review.iter_rows(min_row=2, values_only=True)] == vendor_ids
    assert any(str(dv.formula1) == "0" and dv.formula2 == "4" for dv in review.data_validations.dataValidation)


def test_vendor_file_has_no_internal_words(folder: Path) -> None:
    for vendor in ("eks", "gke"):
        wb = openpyxl.load_workbook(folder / f"questions-{vendor}.xlsx")
        for ws in wb.worksheets:
            hits = [text for text in _cells(ws) if INTERNAL.search(text)]
            assert hits == [], (vendor, ws.title, hits[:3])


def test_vendor_sheets_print_as_sent(folder: Path) -> None:
    ws = openpyxl.load_workbook(folder / "questions-eks.xlsx")["eks"]
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0) and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"  # the header row on every printed page
    question = VENDOR_HEADERS.index("question") + 1
    assert all(ws.cell(row=r, column=question).alignment.wrap_text for r in range(1, ws.max_row + 1))


def test_review_sheet_scores_are_read_with_the_vendor_sheet(folder: Path) -> None:
    bank = load_bank()
    path = folder / "review.xlsx"
    wb = openpyxl.load_workbook(path)
    ws, review = wb["eks"], wb["eks review"]
    answer_col = VENDOR_HEADERS.index("vendor answer") + 1
    first_text = next(
        r for r in range(2, ws.max_row + 1) if bank.get(ws.cell(row=r, column=1).value).answer_type == "text"
    )
    qid = ws.cell(row=first_text, column=1).value
    ws.cell(row=first_text, column=answer_col, value="Tested to 20,000 policies.")
    review_row = next(r for r in range(2, review.max_row + 1) if review.cell(row=r, column=1).value == qid)
    review.cell(row=review_row, column=4, value=3)
    review.cell(row=review_row, column=5, value="Evidence seen in the workshop.")
    wb.save(path)
    sheets = {s.vendor: s for s in import_answers(path, bank)}
    assert set(sheets) == {"eks", "gke"}  # the review sheets are not read as vendors
    answer = next(a for a in sheets["eks"].answers if a.id == qid)
    assert answer.reviewer_score == 3 and answer.answer == "Tested to 20,000 policies."
    # A bad score names the review sheet and the cell.
    wb = openpyxl.load_workbook(path)
    wb["eks review"].cell(row=review_row, column=4, value=9)
    wb.save(path)
    with pytest.raises(Exception, match=rf"sheet 'eks review' cell D{review_row}: {qid}: reviewer score"):
        import_answers(path, bank)


def test_returned_vendor_file_reads_without_a_review(folder: Path) -> None:
    path = folder / "questions-gke.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["gke"]
    ws.cell(row=2, column=VENDOR_HEADERS.index("commitment level") + 1, value="contract")
    wb.save(path)
    (sheet,) = import_answers(path, load_bank())
    assert sheet.vendor == "gke" and all(a.reviewer_score is None for a in sheet.answers)


@pytest.mark.parametrize("answer", ["yes", "partial", "no", 12.0, "Some text"])
def test_roadmap_never_scores_below_no_commitment(answer: Any) -> None:
    assert EVIDENCE_STRENGTH["roadmap"] >= EVIDENCE_STRENGTH["none"]
    bank = load_bank()
    kind = {"yes": "yes_no_partial", "partial": "yes_no_partial", "no": "yes_no_partial"}.get(
        str(answer), "number" if isinstance(answer, float) else "text"
    )
    question = next(q for q in bank.questions if q.answer_type == kind and not q.gate)

    def overall(commitment: str) -> float | None:
        sheet = AnswerSheet("eks", "x.xlsx", "eks", [Answer(question.id, "I2", answer, commitment)])
        return score_answers(sheet, bank).overall

    assert overall("roadmap") is not None and overall("roadmap") >= overall("none")  # type: ignore[operator]


def test_bank_text_printing_a_status_word_is_refused(tmp_path: Path) -> None:
    shipped = load_bank()
    q = next(q for q in shipped.questions if "version_support.status" in q.text)
    data = {
        "domains": {q.domain: shipped.domain_name(q.domain)},
        "questions": [
            {
                "id": "t_status",
                "domain": q.domain,
                "title": "Status",
                "text": "Our support status is {{ facts.findings.version_support.status | text }}.",
                "why": "A test.",
                "trigger": "always",
                "applies_to": ["any"],
                "answer_type": "text",
                "weight": 1,
                "constraints": ["version_support"],
            }
        ],
    }
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CatalogError, match="t_status: text: a vendor would read one of our status words"):
        load_bank(path, constraint_ids=["version_support"])


# ------------------------------------------------------------------------------------------- jurisdictions


def _csv_rows(tmp_path: Path, *args: str) -> dict[str, dict[str, str]]:
    import csv

    snap = save_snapshot(bank_snapshot(), tmp_path / "snap.json")
    out = tmp_path / "q.csv"
    result = CliRunner().invoke(cli, ["questions", str(snap), "--vendor", "eks", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}


def test_default_jurisdictions_are_uk_and_eu(tmp_path: Path) -> None:
    rows = _csv_rows(tmp_path)
    assert rows["loc_data_location"]["question"].endswith("within the UK or EEA?")
    assert (
        "critical third party in the UK or as a critical ICT third-party provider in the EU"
        in (rows["gov_oversight_status"]["question"])
    )
    refs = " ".join(r["regulatory"] for r in rows.values())
    assert "DORA" in refs and "PRA SS2/21" in refs


@pytest.mark.parametrize(("chosen", "area", "kept", "left_out"), [("uk", "the UK", "PRA", "DORA"),
                         ("eu", "the EEA", "DORA", "PRA")])  # fmt: skip
def test_one_jurisdiction_words_the_questions_and_keeps_its_references(
    tmp_path: Path, chosen: str, area: str, kept: str, left_out: str
) -> None:
    rows = _csv_rows(tmp_path, "--jurisdiction", chosen)
    assert rows["loc_data_location"]["question"].endswith(f"within {area}?")
    assert rows["loc_support_access"]["question"].endswith(f"restricted to {area}?")
    refs = [ref for r in rows.values() for ref in r["regulatory"].split("; ") if ref]
    assert any(ref.startswith(kept) for ref in refs) and not any(ref.startswith(left_out) for ref in refs)


def test_audit_config_chooses_jurisdictions(tmp_path: Path) -> None:
    from evaluator.audit import load_config

    path = tmp_path / "k8seval.yaml"
    path.write_text("jurisdictions: [eu]\nsources: {kube: [{}]}\n", encoding="utf-8")
    assert load_config(path).jurisdictions == ["eu"]
    path.write_text("jurisdictions: [us]\nsources: {kube: [{}]}\n", encoding="utf-8")
    with pytest.raises(
        Exception, match=r"k8seval.yaml: jurisdictions\[0\]: unknown jurisdiction 'us' \(supported: uk, eu\)"
    ):
        load_config(path)
