"""Question lists as files: write XLSX / Markdown / CSV for vendors, read their filled answers back.

The workbook has an "About" sheet (instructions, allowed values, scoring) and one sheet per vendor, a row
per question. Vendors fill "vendor answer", "commitment level", "evidence link" and "comments"; the buyer's
reviewer may fill "reviewer score". Columns are found by their header, so reordering them is harmless.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fileio import atomic_path
from ..findings import GeneratedQuestion
from ..reporting.render import csv_cell
from ..reporting.xlsx import xlsx_text
from .bank import YES_NO_PARTIAL, QuestionBank, load_bank
from .facts import VENDOR_NAMES

# Commitment level -> evidence strength. A contractual or SLA commitment counts in full; documentation can
# change without notice; a roadmap item may never ship; an unstated commitment is treated as self-attestation.
EVIDENCE_STRENGTH = {"contract": 1.0, "SLA": 1.0, "documentation": 0.75, "roadmap": 0.25, "none": 0.5}
COMMITMENT_LEVELS = tuple(EVIDENCE_STRENGTH)
BLANK_COMMITMENT_STRENGTH = 0.5


@dataclass(frozen=True)
class Answer:
    """One row of a filled question list, validated against the bank."""

    id: str
    cell: str  # where the answer is, e.g. "H7" (a CSV row is "row 7")
    answer: str | float | None  # "yes"/"no"/"partial", a number, free text, or None when blank
    commitment: str | None = None  # one of COMMITMENT_LEVELS, None when blank
    evidence_link: str = ""
    comments: str = ""
    reviewer_score: float | None = None  # 0-4, set by the buyer's reviewer


@dataclass(frozen=True)
class AnswerSheet:
    """A vendor's filled question list as read from one sheet (XLSX) or one vendor's rows (CSV)."""

    vendor: str
    source_file: str
    sheet: str
    answers: list[Answer] = field(default_factory=list)


ABOUT_SHEET = "About"
FORMATS = (".xlsx", ".md", ".csv")

# Column header -> (width, filled by). The first eight come from the bank; the rest are answers.
COLUMNS: list[tuple[str, int, str]] = [
    ("id", 26, "bank"),
    ("priority", 9, "bank"),
    ("domain", 24, "bank"),
    ("question", 70, "bank"),
    ("why it matters", 45, "bank"),
    ("evidence requested", 35, "bank"),
    ("answer type", 16, "bank"),
    ("gate", 16, "bank"),
    ("vendor answer", 22, "vendor"),
    ("commitment level", 18, "vendor"),
    ("evidence link", 30, "vendor"),
    ("comments", 45, "vendor"),
    ("reviewer score", 14, "reviewer"),
]
HEADERS = [c[0] for c in COLUMNS]
REQUIRED_HEADERS = ("id", "vendor answer", "commitment level")
ANSWER_HINTS = {
    "yes_no_partial": "yes / no / partial",
    "number": "a number",
    "text": "free text",
}


def _answer_type_label(q: GeneratedQuestion, bank: QuestionBank | None) -> str:
    if q.answer_type == "number" and bank is not None:
        unit = _unit(q.id, bank)
        return f"number ({unit})" if unit else "number"
    return q.answer_type


def _unit(qid: str, bank: QuestionBank) -> str:
    try:
        return bank.get(qid).answer_unit
    except KeyError:
        return ""


def _gate_label(q: GeneratedQuestion, bank: QuestionBank | None) -> str:
    if not q.gate:
        return ""
    if bank is not None:
        try:
            question = bank.get(q.id)
        except KeyError:
            return "knock-out"
        if question.answer_type == "yes_no_partial":
            return "knock-out: passes on " + " or ".join(question.pass_answers)
        if question.acceptance is not None:
            sign = ">=" if question.acceptance.op == "gte" else "<="
            return f"knock-out: passes at {sign} {question.acceptance.full:g}"
    return "knock-out"


def _row(q: GeneratedQuestion, bank: QuestionBank | None) -> list[Any]:
    domain = bank.domain_name(q.domain) if bank is not None else q.domain
    return [
        q.id,
        q.priority,
        f"{q.domain}: {domain}" if domain != q.domain else q.domain,
        q.text,
        q.why,
        "\n".join(f"- {e}" for e in q.evidence),
        _answer_type_label(q, bank),
        _gate_label(q, bank),
        None,
        None,
        None,
        None,
        None,
    ]


# ---------------------------------------------------------------------------------------------- writing


def write_questions(
    lists: dict[str, list[GeneratedQuestion]],
    path: str | os.PathLike[str],
    *,
    clusters: list[str],
    generated_at: str,
    bank: QuestionBank | None = None,
) -> Path:
    """Write the question lists (vendor -> questions) to ``path``; the format follows the extension.

    ``.xlsx``: an About sheet and a sheet per vendor with drop-downs; ``.md``: a section per vendor;
    ``.csv``: one table with a vendor column. The write is atomic. ``bank`` (default: the shipped one)
    supplies domain names, answer units and gate pass marks.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{target}: unsupported question-list format {suffix or '(none)'}; use .xlsx, .md or .csv")
    if bank is None:
        bank = load_bank()
    if suffix == ".xlsx":
        with atomic_path(target) as tmp:
            _workbook(lists, clusters, generated_at, bank).save(tmp)
    elif suffix == ".md":
        with atomic_path(target) as tmp:
            tmp.write_text(_markdown(lists, clusters, generated_at, bank), encoding="utf-8")
    else:
        with atomic_path(target) as tmp:
            tmp.write_text(_csv(lists, bank), encoding="utf-8", newline="")
    return target


def _about_rows(lists: dict[str, list[GeneratedQuestion]], clusters: list[str], generated_at: str) -> list[list[str]]:
    rows = [
        ["k8seval procurement question list"],
        [],
        ["Generated", generated_at],
        ["Clusters measured", ", ".join(clusters)],
        *[[f"Questions for {VENDOR_NAMES.get(v, v)}", f"{len(qs)} (sheet '{v}')"] for v, qs in lists.items()],
        [],
        ["How to answer"],
        [
            "",
            "Each vendor sheet has one row per question, most important first. Fill the columns vendor answer, "
            "commitment level, evidence link and comments. Do not change the id column: answers are matched "
            "to questions by id. Figures in the questions were measured on our clusters.",
        ],
        ["", "Rows marked as a knock-out in the gate column are pass/fail: failing one excludes the offer."],
        [],
        ["Allowed values"],
        ["vendor answer", "yes_no_partial: yes, no or partial"],
        ["", "number: a number in the unit shown in the answer type column"],
        ["", "text: free text"],
        ["commitment level", "contract: the commitment is in the contract"],
        ["", "SLA: the commitment is in a published service-level agreement"],
        ["", "documentation: described in public documentation, may change"],
        ["", "roadmap: planned, not available today"],
        ["", "none: no commitment"],
        ["reviewer score", "0 to 4, filled by our reviewer; replaces the computed score of that answer"],
        [],
        ["How answers are scored"],
        ["", "yes 4, partial 2, no 0; numbers against the question's pass mark (4 / 2 / 0); text 2."],
        [
            "",
            "Each score is multiplied by the strength of the commitment: "
            + ", ".join(f"{k} {v:g}" for k, v in EVIDENCE_STRENGTH.items())
            + f", blank {BLANK_COMMITMENT_STRENGTH:g}; then weighted per domain. Unanswered questions are "
            "listed, not scored as zero.",
        ],
    ]
    return rows


def _workbook(lists: dict[str, list[GeneratedQuestion]], clusters: list[str], generated_at: str, bank: QuestionBank):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", start_color="1F3864", end_color="1F3864")
    id_fill = PatternFill("solid", start_color="E7E6E6", end_color="E7E6E6")
    id_font = Font(color="595959", name="Consolas")
    answer_fill = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    about = wb.active
    about.title = ABOUT_SHEET
    for row in _about_rows(lists, clusters, generated_at):
        about.append([xlsx_text(v) for v in row])
    about["A1"].font = Font(bold=True, size=14)
    for cell in about["A"]:
        if cell.value and cell.row > 1 and not about.cell(row=cell.row, column=2).value:
            cell.font = Font(bold=True)
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 110
    for row in about.iter_rows():
        for cell in row:
            cell.alignment = wrap

    answer_col = HEADERS.index("vendor answer") + 1
    commit_col = HEADERS.index("commitment level") + 1
    score_col = HEADERS.index("reviewer score") + 1
    for vendor, questions in lists.items():
        ws = wb.create_sheet(title=vendor[:31])
        ws.append(HEADERS)
        for col, (_name, width, _) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=1, column=col)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(col)].width = width
        yes_no = DataValidation(
            type="list",
            formula1='"' + ",".join(YES_NO_PARTIAL) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Answer",
            error="Answer yes, no or partial.",
        )
        number = DataValidation(
            type="decimal",
            operator="between",
            formula1="-1000000000000",
            formula2="1000000000000",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Answer",
            error="Answer with a number in the unit shown in the answer type column.",
        )
        commitment = DataValidation(
            type="list",
            formula1='"' + ",".join(COMMITMENT_LEVELS) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Commitment level",
            error="Choose contract, SLA, documentation, roadmap or none.",
        )
        reviewer = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="4",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Reviewer score",
            error="A score from 0 to 4.",
        )
        for dv in (yes_no, number, commitment, reviewer):
            ws.add_data_validation(dv)
        for r, question in enumerate(questions, start=2):
            ws.append([xlsx_text(v) for v in _row(question, bank)])
            for col in range(1, len(HEADERS) + 1):
                ws.cell(row=r, column=col).alignment = wrap
            id_cell = ws.cell(row=r, column=1)
            id_cell.fill = id_fill
            id_cell.font = id_font
            id_cell.protection = Protection(locked=True)
            for col in (answer_col, commit_col, HEADERS.index("evidence link") + 1, HEADERS.index("comments") + 1):
                ws.cell(row=r, column=col).fill = answer_fill
                ws.cell(row=r, column=col).protection = Protection(locked=False)
            answer_ref = f"{get_column_letter(answer_col)}{r}"
            if question.answer_type == "yes_no_partial":
                yes_no.add(answer_ref)
            elif question.answer_type == "number":
                number.add(answer_ref)
            commitment.add(f"{get_column_letter(commit_col)}{r}")
            reviewer.add(f"{get_column_letter(score_col)}{r}")
        ws.freeze_panes = "B2"
        last = max(len(questions) + 1, 2)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last}"
        ws.row_dimensions[1].height = 30
    if len(wb.sheetnames) > 1:
        wb.active = 1
    return wb


def _md_escape(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def _markdown(
    lists: dict[str, list[GeneratedQuestion]], clusters: list[str], generated_at: str, bank: QuestionBank
) -> str:
    lines = [
        "# Procurement question list",
        "",
        f"Generated {generated_at} from measurements of: {', '.join(clusters)}.",
        "",
        "Answer each question with the answer type shown and say how firm the commitment is "
        "(contract, SLA, documentation, roadmap or none). Knock-out questions are pass/fail.",
        "",
    ]
    for vendor, questions in lists.items():
        lines += [f"## {VENDOR_NAMES.get(vendor, vendor)} ({len(questions)} questions)", ""]
        for q in questions:
            gate = f" **{_gate_label(q, bank)}**" if q.gate else ""
            lines += [
                f"### {q.priority}. {q.title} (`{q.id}`){gate}",
                "",
                f"*Domain:* {bank.domain_name(q.domain)} · *Answer:* {_answer_type_label(q, bank)}"
                f" · *Weight:* {q.weight}",
                "",
                q.text,
                "",
                f"*Why it matters:* {q.why}",
                "",
            ]
            if q.evidence:
                lines += ["*Evidence requested:*", "", *[f"- {_md_escape(e)}" for e in q.evidence], ""]
            if q.regulatory:
                lines += [f"*References:* {', '.join(q.regulatory)}", ""]
            lines += [f"*Asked because:* {q.trigger}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _csv(lists: dict[str, list[GeneratedQuestion]], bank: QuestionBank) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["vendor", *HEADERS, "trigger", "regulatory"])
    for vendor, questions in lists.items():
        for q in questions:
            row = [vendor, *_row(q, bank), q.trigger, "; ".join(q.regulatory)]
            writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- reading


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_NUMBER = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?$|^[-+]?\.\d+$")


def _parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().rstrip("%").strip()
    if not _NUMBER.match(text):
        return None
    return float(text.replace(",", ""))


def _parse_row(
    values: dict[str, Any],
    cells: dict[str, str],
    bank: QuestionBank,
    where: str,
    seen: dict[str, str],
) -> Answer:
    qid = _text(values.get("id"))
    try:
        question = bank.get(qid)
    except KeyError:
        raise InputError(f"{where} {cells['id']}: unknown question id {qid!r}") from None
    if qid in seen:
        raise InputError(f"{where} {cells['id']}: question id {qid!r} appears twice (first at {seen[qid]})")
    seen[qid] = cells["id"]
    raw = values.get("vendor answer")
    answer: str | float | None
    if raw is None or _text(raw) == "":
        answer = None
    elif question.answer_type == "yes_no_partial":
        answer = _text(raw).lower()
        if answer not in YES_NO_PARTIAL:
            raise InputError(
                f"{where} {cells['vendor answer']}: {qid}: answer must be yes, no or partial, got {_text(raw)!r}"
            )
    elif question.answer_type == "number":
        answer = _parse_number(raw)
        if answer is None:
            raise InputError(f"{where} {cells['vendor answer']}: {qid}: answer must be a number, got {_text(raw)!r}")
    else:
        answer = _text(raw)
    commitment_text = _text(values.get("commitment level"))
    commitment = None
    if commitment_text:
        matches = [c for c in COMMITMENT_LEVELS if c.lower() == commitment_text.lower()]
        if not matches:
            raise InputError(
                f"{where} {cells['commitment level']}: {qid}: commitment level must be one of "
                f"{', '.join(COMMITMENT_LEVELS)}, got {commitment_text!r}"
            )
        commitment = matches[0]
    score_raw = values.get("reviewer score")
    reviewer_score = None
    if score_raw is not None and _text(score_raw) != "":
        reviewer_score = _parse_number(score_raw)
        if reviewer_score is None or not 0 <= reviewer_score <= 4:
            raise InputError(
                f"{where} {cells.get('reviewer score', '?')}: {qid}: reviewer score must be a number from 0 to 4, "
                f"got {_text(score_raw)!r}"
            )
    return Answer(
        id=qid,
        cell=cells["vendor answer"],
        answer=answer,
        commitment=commitment,
        evidence_link=_text(values.get("evidence link")),
        comments=_text(values.get("comments")),
        reviewer_score=reviewer_score,
    )


def _header_map(row: Iterable[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(row):
        name = " ".join(_text(value).lower().split())
        if name and name not in found:
            found[name] = index
    return found


def import_answers(path: str | os.PathLike[str], bank: QuestionBank | None = None) -> list[AnswerSheet]:
    """Read a filled question list (.xlsx: one AnswerSheet per vendor sheet; .csv: per vendor column value).

    Problems raise :class:`InputError` naming the file, and the sheet and cell where it applies:
    ``eks.xlsx: sheet 'eks' cell A7: unknown question id 'cps_nope'``.
    """
    source = Path(path)
    if bank is None:
        bank = load_bank()
    if not source.exists():
        raise InputError(f"{source}: file not found")
    if source.is_dir():
        raise InputError(f"{source}: is a folder, expected a filled .xlsx or .csv question list")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        return _import_csv(source, bank)
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"{source}: unsupported answers format {suffix or '(none)'}; expected .xlsx or .csv")
    return _import_xlsx(source, bank)


def _import_xlsx(source: Path, bank: QuestionBank) -> list[AnswerSheet]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a damaged or foreign file
        raise InputError(
            f"{source}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
            "save the question list as an Excel workbook (.xlsx)"
        ) from None
    sheets: list[AnswerSheet] = []
    try:
        for ws in wb.worksheets:
            if ws.title == ABOUT_SHEET:
                continue
            where = f"{source.name}: sheet {ws.title!r}"
            rows = ws.iter_rows(values_only=True)
            header_row = next(rows, None)
            header = _header_map(header_row or [])
            missing = [h for h in REQUIRED_HEADERS if h not in header]
            if missing:
                raise InputError(
                    f"{where}: not a question-list sheet: missing column(s) {', '.join(missing)} in row 1 "
                    f"(expected headers: {', '.join(HEADERS)})"
                )
            answers = []
            seen: dict[str, str] = {}
            for r, row in enumerate(rows, start=2):
                values = {name: (row[i] if i < len(row) else None) for name, i in header.items()}
                if all(_text(v) == "" for v in values.values()):
                    continue
                cells = {name: f"cell {get_column_letter(i + 1)}{r}" for name, i in header.items()}
                answers.append(_parse_row(values, cells, bank, where, seen))
            sheets.append(AnswerSheet(vendor=ws.title, source_file=str(source), sheet=ws.title, answers=answers))
    finally:
        wb.close()
    if not sheets:
        raise InputError(f"{source}: no vendor sheets found (only {ABOUT_SHEET!r})")
    return sheets


def _import_csv(source: Path, bank: QuestionBank) -> list[AnswerSheet]:
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"{source}: not valid CSV: {exc}") from None
    if not rows:
        raise InputError(f"{source}: empty file")
    header = _header_map(rows[0])
    missing = [h for h in ("vendor", *REQUIRED_HEADERS) if h not in header]
    if missing:
        raise InputError(f"{source.name}: not a question list: missing column(s) {', '.join(missing)} in row 1")
    by_vendor: dict[str, list[Answer]] = {}
    seen: dict[str, dict[str, str]] = {}
    for r, row in enumerate(rows[1:], start=2):
        values = {name: (row[i] if i < len(row) and row[i] != "" else None) for name, i in header.items()}
        if all(v is None for v in values.values()):
            continue
        vendor = _text(values.get("vendor"))
        if not vendor:
            raise InputError(f"{source.name}: row {r}: vendor column is empty")
        where = f"{source.name}: vendor {vendor!r}"
        cells = {name: f"row {r} column '{name}'" for name in header}
        answer = _parse_row(values, cells, bank, where, seen.setdefault(vendor, {}))
        by_vendor.setdefault(vendor, []).append(answer)
    return [
        AnswerSheet(vendor=vendor, source_file=str(source), sheet=vendor, answers=answers)
        for vendor, answers in by_vendor.items()
    ]
