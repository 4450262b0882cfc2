"""The XLSX report: one sheet per section with bold, filled, frozen headers, autofilters and sensible widths.

The workbook is written as SpreadsheetML straight into the zip, a row at a time: a fleet's Findings sheet has
tens of thousands of rows, and openpyxl's write-only mode spends about 13 microseconds on every cell (8 s for
200 clusters) where building each row's XML as one string takes about 1. Only what the report uses is
written: shared strings, numbers, two cell styles (the header and bold labels), column widths, a frozen
header row, an autofilter and the status colours as conditional formats. openpyxl reads it back in the tests.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Sequence
from typing import Any, BinaryIO
from xml.sax.saxutils import escape, quoteattr

from .context import ReportContext
from .diff import CHANGE_LABELS, since_of
from .environment import target_label

HEADER_FONT_RGB = "FFFFFFFF"
HEADER_FILL_RGB = "FF1F4E79"
# Differential (conditional-format) fills, one per status, in the order of their dxf ids in styles.xml.
STATUS_FILLS = {
    "ok": "FFDCEFE3",
    "watch": "FFFDF0D5",
    "at-risk": "FFFBE0CF",
    "blocker": "FFF8D4D4",
    "unknown": "FFE5E7EB",
}
MAX_WIDTH = 70
# The "Since last audit" sheet (report --baseline): header and key in the report's since data, as in the HTML.
SINCE_COLUMNS = (
    ("Change", "change"),
    ("Cluster", "cluster"),
    ("Target", "target"),
    ("Constraint", "constraint"),
    ("Title", "title"),
    ("Old status", "old_status"),
    ("New status", "new_status"),
    ("Old observed", "old_observed"),
    ("New observed", "new_observed"),
)
MAX_CELL_TEXT = 32767  # Excel's limit on the characters in one cell
WIDTH_SAMPLE = 500  # column widths are measured on the first rows: a fleet's Findings sheet has tens of thousands
ROWS_PER_WRITE = 2000

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_HEADER_STYLE = 1  # cellXfs index: bold white on dark blue, vertically centred
_BOLD_STYLE = 2  # cellXfs index: bold


def _illegal_characters() -> Any:
    """openpyxl's pattern of the characters OOXML cannot hold, imported on first use: openpyxl (with numpy)
    is ~20 MiB and a fifth of a second that every ``k8seval`` command would pay at start-up otherwise."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE


def xlsx_text(value: Any) -> Any:
    """A cell value that openpyxl keeps as text: a string starting with "=" would be stored as a formula, and
    characters OOXML cannot hold (control characters) are left out."""
    if isinstance(value, str):
        value = _illegal_characters().sub("", value)
        if value.startswith("="):
            return "'" + value
    return value


class _Workbook:
    """A workbook written sheet by sheet into a zip file; ``close`` adds the shared strings, styles and parts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # Fastest deflate: a fleet's workbook is still smaller than openpyxl's at its default level, in half the time.
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._strings: dict[str, int] = {}
        self._sheets: list[tuple[str, str | None]] = []  # (title, autofilter ref)

    def _string(self, value: str) -> int:
        index = self._strings.get(value)
        if index is None:
            index = self._strings[value] = len(self._strings)
        return index

    def _cell(self, ref: str, value: Any, style: int = 0) -> str:
        s = f' s="{style}"' if style else ""
        if isinstance(value, str):
            if not value:
                return f'<c r="{ref}"{s}/>' if s else ""
            if value[:1] == "=":  # a string starting with "=" would be read as a formula
                value = "'" + value
            return f'<c r="{ref}"{s} t="s"><v>{self._string(value)}</v></c>'
        if isinstance(value, bool):
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float) and math.isfinite(value):
            return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
        return f'<c r="{ref}"{s} t="s"><v>{self._string(str(value))}</v></c>'

    def sheet(
        self,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        status_col: int | None = None,
        footer: Sequence[Sequence[Any]] = (),
    ) -> None:
        """Write one sheet: a styled, frozen, filtered header row, ``rows``, then bold-labelled ``footer`` pairs."""
        number = len(self._sheets) + 1
        ncols = max([len(headers), *(len(r) for r in rows), 2 if footer else 0])
        from openpyxl.utils import get_column_letter  # on first use: see _illegal_characters

        letters = [get_column_letter(i + 1) for i in range(ncols)]
        widths = [len(h) + 2 for h in headers] + [0] * (ncols - len(headers))
        for row in rows[:WIDTH_SAMPLE]:
            for i, v in enumerate(row):
                if v is not None:
                    widths[i] = max(widths[i], min(MAX_WIDTH, len(str(v)) + 2))
        last_row = len(rows) + 1 + (len(footer) + 1 if footer else 0)
        filter_ref = f"A1:{letters[len(headers) - 1]}{len(rows) + 1}" if rows else None
        self._sheets.append((title, filter_ref))
        with self._zip.open(f"xl/worksheets/sheet{number}.xml", "w") as out:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1) if w
            )
            _write(
                out,
                f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                f'<dimension ref="A1:{letters[-1]}{last_row}"/>'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                '<row r="1">'
                + "".join(self._cell(f"{letters[i]}1", h, _HEADER_STYLE) for i, h in enumerate(headers))
                + "</row>",
            )
            strings = self._strings
            cell = self._cell
            chunk: list[str] = []
            for r, row in enumerate(rows, start=2):
                cells = []
                add = cells.append
                for letter, v in zip(letters, row, strict=False):
                    if v is None:
                        continue
                    if type(v) is str:  # the common case inlined; everything else goes through _cell
                        if not v:  # an empty string is an empty cell, as openpyxl writes it
                            continue
                        if v[:1] == "=":  # a string starting with "=" would be read as a formula
                            v = "'" + v
                        index = strings.get(v)
                        if index is None:
                            index = strings[v] = len(strings)
                        add(f'<c r="{letter}{r}" t="s"><v>{index}</v></c>')
                    else:
                        add(cell(f"{letter}{r}", v))
                chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
                if len(chunk) >= ROWS_PER_WRITE:
                    _write(out, "".join(chunk))
                    chunk = []
            if footer:
                r = len(rows) + 3  # one empty row between the table and its footer
                for label, value in footer:
                    cells = [self._cell(f"A{r}", label, _BOLD_STYLE)]
                    if value is not None:
                        cells.append(self._cell(f"B{r}", xlsx_text(value)))
                    chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
                    r += 1
            tail = "".join(chunk) + "</sheetData>"
            if filter_ref:
                tail += f'<autoFilter ref="{filter_ref}"/>'
            if status_col is not None and rows:
                # Status colours as conditional formatting on the column: one rule per status instead of a styled
                # cell per row, and the colour follows an edited or sorted cell.
                letter = letters[status_col]
                tail += f'<conditionalFormatting sqref="{letter}2:{letter}{len(rows) + 1}">'
                for priority, status in enumerate(STATUS_FILLS, start=1):
                    tail += (
                        f'<cfRule type="cellIs" dxfId="{priority - 1}" priority="{priority}" operator="equal">'
                        f'<formula>"{status}"</formula></cfRule>'
                    )
                tail += "</conditionalFormatting>"
            _write(out, tail + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
                   "</worksheet>")  # fmt: skip

    def discard(self) -> None:
        """Close the zip without finishing it (the caller removes the file)."""
        self._zip.close()

    def close(self) -> None:
        """Write the shared strings, styles, workbook and package parts, and close the zip."""
        z = self._zip
        with z.open("xl/sharedStrings.xml", "w") as out:
            _write(out, f'{_XML_DECL}<sst xmlns="{_MAIN_NS}" uniqueCount="{len(self._strings)}">')
            chunk = []
            for text in self._strings:
                chunk.append(_shared_string(text))
                if len(chunk) >= ROWS_PER_WRITE:
                    _write(out, "".join(chunk))
                    chunk = []
            _write(out, "".join(chunk) + "</sst>")
        z.writestr("xl/styles.xml", _styles_xml())
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
            for n, (title, _) in enumerate(self._sheets, 1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"{escape(_quoted_sheet(title))}!{_absolute(ref)}</definedName>"
            for n, (title, ref) in enumerate(self._sheets)
            if ref
        )
        z.writestr(
            "xl/workbook.xml",
            f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView activeTab="0"/>'
            f"</bookViews><sheets>{sheets}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>',
        )  # fmt: skip
        n = len(self._sheets)
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        rels += f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        rels += f'<Relationship Id="rId{n + 2}" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr(
            "xl/_rels/workbook.xml.rels", f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">{rels}</Relationships>'
        )
        z.writestr(
            "_rels/.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>{overrides}'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>',
        )
        z.close()


def _write(out: BinaryIO, text: str) -> None:
    out.write(text.encode("utf-8"))


def _shared_string(text: str) -> str:
    # Control characters OOXML cannot hold are left out; Excel keeps at most 32,767 characters in a cell.
    text = _illegal_characters().sub("", text)[:MAX_CELL_TEXT]
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<si><t{space}>{escape(text)}</t></si>"


def _quoted_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    start, end = ref.split(":")
    return ":".join("$" + "".join(c for c in part if c.isalpha()) + "$" + "".join(c for c in part if c.isdigit())
                    for part in (start, end))  # fmt: skip


def _styles_xml() -> str:
    dxfs = "".join(
        f'<dxf><fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor rgb="{rgb}"/></patternFill>'
        "</fill></dxf>"
        for rgb in STATUS_FILLS.values()
    )
    return (
        f'{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">'
        '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        f'<font><b/><sz val="11"/><color rgb="{HEADER_FONT_RGB}"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        f'</fill><fill><patternFill patternType="solid"><fgColor rgb="{HEADER_FILL_RGB}"/><bgColor indexed="64"/>'
        "</patternFill></fill></fills>"
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
        '<alignment vertical="center"/></xf>'
        '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        f'<dxfs count="{len(STATUS_FILLS)}">{dxfs}</dxfs></styleSheet>'
    )


def write_workbook(context: ReportContext, path: str | os.PathLike[str]) -> None:
    """Write the report as a workbook: Summary, Findings, Constraints, Forecasts, Costs, Gaps, Sources (+ Answers)."""
    wb = _Workbook(path)
    try:
        _write_sheets(context, wb)
    except BaseException:
        wb.discard()
        raise
    wb.close()


def _write_sheets(context: ReportContext, wb: _Workbook) -> None:
    evaluation = context.evaluation
    assert evaluation is not None  # render_report checks this before calling

    summary_rows: list[list[Any]] = []
    for c in context.clusters:
        for t in c["targets"]:
            summary_rows.append(
                [
                    c["name"],
                    target_label(t["target"]),
                    t["verdict"],
                    None if t["score"] is None else round(t["score"], 1),
                    t["grade"],
                    t["counts"].get("blocker", 0),
                    t["counts"].get("at-risk", 0),
                    t["counts"].get("watch", 0),
                    t["counts"].get("unknown", 0),
                    t["reason"],
                ]
            )
    # The report's identity goes below the table, which keeps the table sortable.
    wb.sheet(
        "Summary",
        ["Cluster", "Target", "Verdict", "Score", "Grade", "Blockers", "At risk", "Watch", "Unknown", "Reason"],
        summary_rows,
        footer=[
            ("Report", context.title),
            ("Generated", context.generated_at),
            ("Data as of", context.data_as_of),
            ("Catalog version", context.catalog_version),
            *(("Notice", n) for n in context.notices),
        ],
    )

    # One row per finding with what varies per finding; what is the same for every cluster (category, limit
    # kind, source, checked date, remediation) is on the Constraints sheet, once per constraint and target.
    # A fleet has tens of thousands of findings, and every cell costs time to write.
    since = context.since
    finding_rows = [
        [
            f.cluster,
            f.target,
            f.constraint,
            f.title,
            f.status,
            f.observed,
            f.limit,
            f.unit,
            None if f.utilisation is None else round(f.utilisation, 4),
            f.message,
        ]
        for f in evaluation.findings
    ]
    if since:  # report --baseline: each finding's change, the value the HTML and Markdown reports show
        for row, f in zip(finding_rows, evaluation.findings, strict=True):
            row.append(since_of(since, f))
    wb.sheet(
        "Findings",
        ["Cluster", "Target", "Constraint", "Title", "Status", "Observed", "Limit", "Unit", "Utilisation", "Message"]
        + (["Since last audit"] if since else []),
        finding_rows,
        status_col=4,
    )
    if since:
        wb.sheet(
            "Since last audit",
            [header for header, _ in SINCE_COLUMNS],
            [[i[key] for _, key in SINCE_COLUMNS] for i in since["items"]],
            footer=[
                ("Baseline", since["baseline"]),
                *((CHANGE_LABELS[k], since["counts"].get(k, 0)) for k in CHANGE_LABELS),
            ],
        )
    per_limit: dict[tuple[str, str], list[Any]] = {}
    for f in evaluation.findings:
        if (f.constraint, f.target) not in per_limit:
            per_limit[(f.constraint, f.target)] = [
                f.constraint,
                f.title,
                f.category,
                f.target,
                f.limit_kind,
                f.source,
                f.verified,
                f.remediation,
            ]
    wb.sheet(
        "Constraints",
        ["Constraint", "Title", "Category", "Target", "Limit kind", "Source", "Verified", "Remediation"],
        list(per_limit.values()),
    )
    # One row per growing metric, a column per target saying when the trend reaches each of its lines.
    targets = list(evaluation.targets)
    forecast_rows: list[list[Any]] = []
    for fc in evaluation.forecasts:
        lines: dict[str, list[str]] = {t: [] for t in targets}
        for cr in sorted(fc.crossings, key=lambda c: ("watch", "at-risk", "blocker").index(c.level)):
            when = "already past" if cr.already else (cr.date or "not on the current trend")
            lines.setdefault(cr.target, []).append(f"{'limit' if cr.level == 'blocker' else cr.level} {when}")
        forecast_rows.append(
            [
                fc.cluster,
                fc.constraint,
                fc.unit,
                fc.current,
                round(fc.slope_per_day * 30.44, 4),
                *("; ".join(lines[t]) or None for t in targets),
                fc.message,
            ]
        )
    for note in evaluation.forecast_notes:
        forecast_rows.append([None, None, None, None, None, *(None for _ in targets), note])
    wb.sheet(
        "Forecasts",
        ["Cluster", "Constraint", "Unit", "Current", "Growth per month", *(target_label(t) for t in targets), "Note"],
        forecast_rows,
    )
    cost_rows: list[list[Any]] = []
    for est in evaluation.costs:
        for line in est.lines:
            amount = None if line.monthly_usd is None else round(line.monthly_usd, 2)
            cost_rows.append(
                [
                    est.cluster,
                    est.target,
                    est.region,
                    line.category,
                    line.item,
                    amount,
                    None if amount is None else round(amount * 12, 2),
                    line.gap or line.basis,
                    line.source,
                    line.verified,
                ]
            )
        total = round(est.monthly_usd, 2)
        label = "Total" if est.complete else "Total (lower bound: gaps)"
        cost_rows.append(
            [
                est.cluster,
                est.target,
                est.region,
                None,
                label,
                total,
                round(total * 12, 2),
                "; ".join(est.notes),
                None,
                None,
            ]
        )
    analysis = evaluation.cost_analysis or {}
    if analysis.get("decision"):
        cost_rows.append(
            [
                "(decision)",
                analysis.get("cheapest"),
                None,
                None,
                analysis["decision"],
                None,
                None,
                analysis.get("moves_most"),
                None,
                None,
            ]
        )
    for row in context.costs["assumptions"]:
        cost_rows.append(
            [
                "(assumption)",
                None,
                None,
                None,
                row["key"],
                None,
                None,
                row["value"],
                row["source"] or None,
                row["verified"] or None,
            ]
        )
    for row in context.costs["break_even"]:
        cost_rows.append(["(break-even)", None, None, None, row["key"], None, None, row["value"], None, None])
    wb.sheet(
        "Costs",
        [
            "Cluster",
            "Target",
            "Prices",
            "Category",
            "Line",
            "Monthly USD",
            "Yearly USD",
            "Basis or gap",
            "Source",
            "Price read",
        ],
        cost_rows,
    )
    sens_rows = [
        [r["label"], r["input"], r["swing_monthly"], "; ".join(r["flips"]) or "no"]
        + [r["low"].get(t) for t in evaluation.targets]
        + [r["high"].get(t) for t in evaluation.targets]
        for r in analysis.get("sensitivity", [])
    ]
    pct = analysis.get("sensitivity_pct", 25)
    wb.sheet(
        "Cost sensitivity",
        ["Input", "Key", "Gap to the cheapest moves by USD/month", "Cheapest changes"]
        + [f"{t} -{pct:g} %" for t in evaluation.targets]
        + [f"{t} +{pct:g} %" for t in evaluation.targets],
        sens_rows,
    )
    wb.sheet(
        "Prices",
        ["Provider", "Region", "Price", "Value", "Unit", "Detail", "Source", "Read in", "Verified", "Table"],
        [
            [
                r["provider"],
                r["region"],
                r["key"],
                r["value"],
                r["unit"],
                r["detail"],
                r["source"],
                r["evidence"] or None,
                r["verified"],
                r["table"],
            ]
            for r in analysis.get("prices", [])
        ],
    )
    gap_rows: list[list[Any]] = [[g["cluster"], "gap", g["source"], g["item"], g["reason"]] for g in context.gaps]
    gap_rows += [[u["cluster"], "not scored", u["targets"], u["title"], u["reason"]] for u in context.unknowns]
    gap_rows += [[None, "forecast", None, None, note] for note in context.forecast_notes]
    wb.sheet("Gaps", ["Cluster", "Kind", "Source / targets", "Item", "Reason"], gap_rows)
    wb.sheet(
        "Sources",
        ["URL", "Verified", "Cited for"],
        [[s["url"], s["verified"], s["cites"]] for s in context.sources],
    )
    if context.answers:
        answer_rows: list[list[Any]] = []
        for a in context.answers:
            answer_rows.append(
                [
                    a["vendor"],
                    "overall",
                    a["overall"],
                    a["answered"],
                    a["total"],
                    "passed" if a["passed_gates"] else "failed: " + ", ".join(a["gates_failed"]),
                ]
            )
            for d in a["domains"]:
                answer_rows.append(
                    [a["vendor"], d["domain"], d["score"], d["answered"], d["total"], ", ".join(d["gates_failed"])]
                )
        wb.sheet("Answers", ["Vendor", "Domain", "Score (0-4)", "Answered", "Questions", "Gates"], answer_rows)
