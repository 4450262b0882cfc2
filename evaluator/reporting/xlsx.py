"""The XLSX report: one sheet per section with bold, filled, frozen headers, autofilters and sensible widths."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .context import ReportContext
from .environment import target_label

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(vertical="center")
BOLD = Font(bold=True)
STATUS_FILLS = {
    "ok": PatternFill("solid", fgColor="DCEFE3"),
    "watch": PatternFill("solid", fgColor="FDF0D5"),
    "at-risk": PatternFill("solid", fgColor="FBE0CF"),
    "blocker": PatternFill("solid", fgColor="F8D4D4"),
    "unknown": PatternFill("solid", fgColor="E5E7EB"),
}
MAX_WIDTH = 70


def xlsx_text(value: Any) -> Any:
    """A cell value that openpyxl keeps as text: a string starting with "=" would be stored as a formula."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def _sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    status_col: int | None = None,
    footer: Sequence[Sequence[Any]] = (),
) -> None:
    # Write-only mode streams rows (a fleet has tens of thousands); widths and panes are set before rows.
    ws = wb.create_sheet(title)
    widths = [len(h) + 2 for h in headers]
    for row in rows:
        for i, v in enumerate(row):
            if v is not None:
                widths[i] = max(widths[i], min(MAX_WIDTH, len(str(v)) + 2))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        values: list[Any] = [xlsx_text(v) for v in row]
        if status_col is not None:
            fill = STATUS_FILLS.get(str(row[status_col]))
            if fill is not None:
                cell = WriteOnlyCell(ws, value=values[status_col])
                cell.fill = fill
                values[status_col] = cell
        ws.append(values)
    if footer:
        ws.append([])
        for label, value in footer:
            cell = WriteOnlyCell(ws, value=label)
            cell.font = BOLD
            ws.append([cell, xlsx_text(value)])


def write_workbook(context: ReportContext, path: str | os.PathLike[str]) -> None:
    """Write the report as a workbook: Summary, Findings, Forecasts, Costs, Gaps, Sources (+ Answers)."""
    evaluation = context.evaluation
    assert evaluation is not None  # render_report checks this before calling
    wb = Workbook(write_only=True)

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
    _sheet(
        wb,
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

    _sheet(
        wb,
        "Findings",
        [
            "Cluster",
            "Target",
            "Constraint",
            "Title",
            "Category",
            "Status",
            "Observed",
            "Limit",
            "Unit",
            "Utilisation",
            "Headroom",
            "Limit kind",
            "Message",
            "Remediation",
            "Source",
            "Verified",
        ],
        [
            [
                f.cluster,
                f.target,
                f.constraint,
                f.title,
                f.category,
                f.status,
                f.observed,
                f.limit,
                f.unit,
                None if f.utilisation is None else round(f.utilisation, 4),
                f.headroom,
                f.limit_kind,
                f.message,
                f.remediation,
                f.source,
                f.verified,
            ]
            for f in evaluation.findings
        ],
        status_col=5,
    )
    forecast_rows = []
    for fc in evaluation.forecasts:
        if not fc.crossings:
            forecast_rows.append(
                [
                    fc.cluster,
                    fc.constraint,
                    fc.unit,
                    fc.current,
                    fc.slope_per_day * 30.44,
                    None,
                    None,
                    None,
                    None,
                    None,
                    fc.message,
                ]
            )
        for cr in fc.crossings:
            forecast_rows.append(
                [
                    fc.cluster,
                    fc.constraint,
                    fc.unit,
                    fc.current,
                    round(fc.slope_per_day * 30.44, 4),
                    cr.target,
                    cr.level,
                    cr.threshold,
                    "already" if cr.already else cr.date,
                    None if cr.months is None else round(cr.months, 1),
                    fc.message,
                ]
            )
    for note in evaluation.forecast_notes:
        forecast_rows.append([None, None, None, None, None, None, None, None, None, None, note])
    _sheet(
        wb,
        "Forecasts",
        [
            "Cluster",
            "Constraint",
            "Unit",
            "Current",
            "Growth per month",
            "Target",
            "Level",
            "Threshold",
            "Crosses on",
            "Months",
            "Note",
        ],
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
    _sheet(
        wb,
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
    _sheet(
        wb,
        "Cost sensitivity",
        ["Input", "Key", "Gap to the cheapest moves by USD/month", "Cheapest changes"]
        + [f"{t} -{pct:g} %" for t in evaluation.targets]
        + [f"{t} +{pct:g} %" for t in evaluation.targets],
        sens_rows,
    )
    _sheet(
        wb,
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
    _sheet(wb, "Gaps", ["Cluster", "Kind", "Source / targets", "Item", "Reason"], gap_rows)
    _sheet(
        wb,
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
        _sheet(wb, "Answers", ["Vendor", "Domain", "Score (0-4)", "Answered", "Questions", "Gates"], answer_rows)
    wb.save(path)
