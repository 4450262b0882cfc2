"""Reports: golden Markdown and JSON, HTML structure, CSV, XLSX, JUnit, template overrides, atomic writes, CLI."""

from __future__ import annotations

import csv
import json
import os
import re
import warnings
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from evaluator.cli import cli
from evaluator.errors import InputError, RenderError
from evaluator.findings import Evaluation, reaches
from evaluator.inventory import save_snapshot
from evaluator.reporting import build_report_context, render_report
from evaluator.reporting.environment import gib, md, num, pct, quantity, usd
from evaluator.reporting.xlsx import _Workbook
from tests.factories import make_snapshot
from tests.report_support import (
    make_answers,
    make_catalog,
    make_context,
    make_evaluation,
    make_questions,
    make_snapshots,
)

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("K8SEVAL_REGEN_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with K8SEVAL_REGEN_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file (K8SEVAL_REGEN_GOLDEN=1)"


def _full_context() -> object:
    return make_context(
        questions=make_questions(), answers=make_answers(), notices=["Fixture data for tests."], fail_on="at-risk"
    )


# ------------------------------------------------------------------------------------------------ filters


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (num, 45000, "45,000"),
        (num, None, "—"),
        (num, 2.5, "2.5"),
        (gib, 5 * 1024**3, "5.00 GiB"),
        (pct, 0.934, "93%"),
        (usd, 1234.5, "$1,234"),
        (usd, 73.5, "$73.50"),
        (usd, -73, "-$73"),  # a credit: the sign before the dollar sign
        (usd, -12.5, "-$12.50"),
        (md, "a|b <c>", "a\\|b &lt;c&gt;"),
    ],
)
def test_filters(fn: object, value: object, expected: str) -> None:
    assert fn(value) == expected  # type: ignore[operator]


def test_quantity_units() -> None:
    assert quantity(8 * 1024**3, "bytes") == "8.00 GiB"
    assert quantity(64, "pods") == "64 pods"
    assert quantity(1500, "count") == "1,500"
    assert quantity(None, "count") == "—"
    assert quantity(True, "") == "yes"


# ------------------------------------------------------------------------------------------------ golden files


def test_markdown_golden(tmp_path: Path) -> None:
    path = render_report(_full_context(), "md", tmp_path / "report.md")
    _golden("report.md", path.read_text(encoding="utf-8"))


def test_json_golden_and_round_trip(tmp_path: Path) -> None:
    path = render_report(_full_context(), "json", tmp_path / "report.json")
    text = path.read_text(encoding="utf-8")
    _golden("report.json", text)
    data = json.loads(text)
    assert list(data)[:3] == ["schema", "generated_at", "catalog_version"]
    assert data["schema"] == "k8seval/report/v1"
    assert data["report"]["gate"] == {"level": "at-risk", "tripped": True, "count": 4}
    # The evaluation part reads back as an Evaluation, unchanged.
    assert Evaluation.from_dict(data) == make_evaluation()


# ------------------------------------------------------------------------------------------------ HTML


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id"):
            self.ids.add(str(d["id"]))


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    return parser


def test_html_sections_matrix_and_links(tmp_path: Path) -> None:
    html = render_report(_full_context(), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    doc = _parse(html)
    for section in (
        "summary",
        "fleet",
        "attention",
        "matrix",
        "forecasts",
        "costs",
        "tradeoffs",
        "gaps",
        "questions",
        "method",
    ):
        assert section in doc.ids, section
    # Matrix: one row per constraint per cluster, with statuses in words.
    catalog = make_catalog()
    for cluster in ("c-prod-eu-1", "c-dev-1"):
        assert cluster in doc.ids
        for cid in catalog.ids:
            assert f"{cluster}-{cid.replace('_', '_')}" in doc.ids
    rows = [a for t, a in doc.tags if t == "tr" and a.get("data-cluster") == "prod-eu-1"]
    assert len(rows) == len(catalog.constraints)
    for word in ("Blocker", "At risk", "Watch", "Unknown", "OK"):
        assert f">{word}</span>" in html
    # Verdicts per target in the summary.
    assert "does not fit today" in html and "fits with work" in html
    # Sources are links (anchors), with checked dates.
    hrefs = {a.get("href") for t, a in doc.tags if t == "a"}
    for c in catalog.constraints:
        for limit in c.limits.values():
            assert limit.source in hrefs
    assert "checked 2026-11-20" in html
    # The forecast chart and cost bars are inline SVG.
    assert html.count('<svg class="spark"') == 1
    assert '<svg class="costs"' in html
    assert "one snapshot, no forecast" in html
    # Fleet rows link to the cluster sections.
    assert 'href="#c-prod-eu-1"' in html and 'href="#c-dev-1"' in html
    # Vendor answers beside the measured fit.
    assert "Answers score" in html and "CPS-01" in html


def test_html_is_self_contained(tmp_path: Path) -> None:
    html = render_report(_full_context(), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    doc = _parse(html)
    for tag, attrs in doc.tags:
        if tag == "script":
            assert "src" not in attrs
        if tag == "link":
            raise AssertionError(f"<link> element in a self-contained report: {attrs}")
        for name in ("src", "srcset", "data", "poster", "background"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value), f"external {name} on <{tag}>: {value}"
        if tag != "a" and attrs.get("href"):
            assert not re.match(r"\s*(https?:)?//", str(attrs["href"])), f"external href on <{tag}>"
    assert "@import" not in html and "url(" not in html


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    ctx = make_context(big=evil, notices=['"quoted" & <b>bold</b>'])
    html = render_report(ctx, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
    md_text = render_report(ctx, "md", tmp_path / "r.md").read_text(encoding="utf-8")
    assert evil not in md_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md_text


def test_html_without_forecasts_says_why(tmp_path: Path) -> None:
    from dataclasses import replace

    evaluation = replace(make_evaluation(), forecasts=[], forecast_notes=[])
    ctx = build_report_context(evaluation, make_snapshots(), make_catalog())
    html = render_report(ctx, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert "a trend needs at least two snapshots" in html
    assert "CI gate" not in html


# ------------------------------------------------------------------------------------------------ CSV, XLSX, JUnit


def test_csv_one_row_per_finding(tmp_path: Path) -> None:
    evaluation = make_evaluation()
    path = render_report(_full_context(), "csv", tmp_path / "f.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(evaluation.findings)
    assert rows[0]["cluster"] == "prod-eu-1" and rows[0]["status"] == "at-risk"
    assert {r["status"] for r in rows} == {"ok", "watch", "at-risk", "blocker", "unknown"}


def test_csv_writes_the_cost_table_beside_the_findings(tmp_path: Path) -> None:
    evaluation = make_evaluation()
    render_report(_full_context(), "csv", tmp_path / "f.csv")
    rows = list(csv.DictReader((tmp_path / "f-costs.csv").open(encoding="utf-8")))
    assert len(rows) == sum(len(e.lines) + 1 for e in evaluation.costs)
    assert {r["category"] for r in rows} >= {"control plane", "people"}
    assert all(r["prices"] for r in rows)
    gaps = [r for r in rows if r["gap"]]
    assert all(r["monthly_usd"] == "" for r in gaps)  # a missing price is empty, never 0
    totals = [r for r in rows if r["line"].startswith("total")]
    assert len(totals) == len(evaluation.costs)


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    ctx = make_context(big="=HYPERLINK(1)")
    rows = list(csv.reader(render_report(ctx, "csv", tmp_path / "f.csv").open(encoding="utf-8")))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_xlsx_sheets(tmp_path: Path) -> None:
    path = render_report(_full_context(), "xlsx", tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Summary",
        "Findings",
        "Constraints",
        "Forecasts",
        "Costs",
        "Cost sensitivity",
        "Prices",
        "Gaps",
        "Sources",
        "Answers",
    ]
    costs = [[c.value for c in row] for row in wb["Costs"].iter_rows()]
    assert costs[0][:8] == [
        "Cluster",
        "Target",
        "Prices",
        "Category",
        "Line",
        "Monthly USD",
        "Yearly USD",
        "Basis or gap",
    ]
    prices = [[c.value for c in row] for row in wb["Prices"].iter_rows()]
    assert len(prices) > 1 and all(str(r[6]).startswith("https://") for r in prices[1:])
    findings = wb["Findings"]
    assert findings.freeze_panes == "A2"
    assert findings["A1"].font.bold and findings["A1"].fill.fgColor.rgb.endswith("1F4E79")
    evaluation = make_evaluation()
    assert findings.auto_filter.ref == f"A1:J{len(evaluation.findings) + 1}"
    assert findings.max_row == len(evaluation.findings) + 1
    assert findings.column_dimensions["D"].width > 10
    # Status colours are conditional formats on the status column (one rule per status, not a style per cell).
    rules = {r.formula[0]: r.dxf.fill.bgColor.rgb for cf in findings.conditional_formatting for r in cf.rules}
    assert rules['"blocker"'].endswith("F8D4D4") and rules['"ok"'].endswith("DCEFE3") and len(rules) == 5
    ranges = {str(cf.sqref) for cf in findings.conditional_formatting}
    assert ranges == {f"E2:E{len(evaluation.findings) + 1}"}
    header = [c.value for c in findings[1]]
    first = dict(zip(header, [c.value for c in findings[2]], strict=True))
    f0 = evaluation.findings[0]
    assert (first["Cluster"], first["Constraint"], first["Status"], first["Message"]) == (
        f0.cluster,
        f0.constraint,
        f0.status,
        f0.message,
    )
    # What is the same for every cluster is on the Constraints sheet, once per constraint and target.
    limits = wb["Constraints"]
    keys = {(r[0], r[3]) for r in limits.iter_rows(min_row=2, values_only=True)}
    assert keys == {(f.constraint, f.target) for f in evaluation.findings}
    row = next(r for r in limits.iter_rows(min_row=2, values_only=True) if (r[0], r[3]) == (f0.constraint, f0.target))
    assert row[5] == f0.source and row[6] == f0.verified
    # Forecasts: a row per growing metric, a column per target.
    forecasts = wb["Forecasts"]
    assert [c.value for c in forecasts[1]][5:9] == ["Self-hosted", "Amazon EKS", "GKE Standard", "GKE Autopilot"]
    assert "limit 2026-12-31" in forecasts["G2"].value and "at-risk already past" in forecasts["G2"].value
    assert wb["Summary"]["A2"].value == "prod-eu-1"
    # Without answers there is no Answers sheet.
    wb2 = load_workbook(render_report(make_context(), "xlsx", tmp_path / "r2.xlsx"))
    assert "Answers" not in wb2.sheetnames


def test_xlsx_writer_keeps_values_styles_and_layout(tmp_path: Path) -> None:
    # The workbook is written as SpreadsheetML by evaluator.reporting.xlsx; openpyxl, a real reader, reads it back.
    path = tmp_path / "w.xlsx"
    wb = _Workbook(path)
    rows = [
        ["=SUM(A1)", True, 0.25, 12, None, "  indented "],
        ["bad\x00\x1bchars", False, float("nan"), -3, "x" * 40_000, "same"],
        ["same", "", None, None, None, "same"],  # an empty string is an empty cell
    ]
    wb.sheet("It's odd", ["Text", "Flag", "Share", "Count", "Long", "Status"], rows, status_col=5,
             footer=[("Report", "=title"), ("Empty", None)])  # fmt: skip
    wb.sheet("Empty", ["Only", "Headers"], [])
    wb.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = load_workbook(path)
    assert book.sheetnames == ["It's odd", "Empty"]
    ws = book["It's odd"]
    values = [[c.value for c in row] for row in ws.iter_rows(max_row=4)]
    assert values[0] == ["Text", "Flag", "Share", "Count", "Long", "Status"]
    assert values[1] == ["'=SUM(A1)", True, 0.25, 12, None, "  indented "]
    assert values[2][:4] == ["badchars", False, "nan", -3] and values[2][4] == "x" * 32767
    assert values[3] == ["same", None, None, None, None, "same"]
    assert ws["A1"].font.bold and ws["A1"].font.color.rgb == "FFFFFFFF" and ws["A1"].fill.fgColor.rgb == "FF1F4E79"
    assert not ws["A2"].font.bold
    assert ws["A6"].value == "Report" and ws["A6"].font.bold and ws["B6"].value == "'=title"
    assert ws["A7"].value == "Empty" and ws["B7"].value is None
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F4"
    assert ws.column_dimensions["A"].width == len("bad\x00\x1bchars") + 2
    assert ws.column_dimensions["E"].width == 70  # capped
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == ["F2:F4"]
    # openpyxl reads the filter from the sheet and skips Excel's hidden name for it; the name is in the workbook.
    workbook_xml = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    assert '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">\'It\'\'s odd\'!$A$1:$F$4<' in (
        workbook_xml
    )
    empty = book["Empty"]
    assert [c.value for c in empty[1]] == ["Only", "Headers"] and empty.max_row == 1 and not empty.auto_filter.ref


def test_xlsx_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluator.reporting.xlsx as xlsx

    def boom(self: object, title: str, *args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(xlsx._Workbook, "sheet", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        render_report(make_context(), "xlsx", tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("level", ["at-risk", "blocker", "watch", "unknown"])
def test_junit_failures(tmp_path: Path, level: str) -> None:
    evaluation = make_evaluation()
    path = render_report(make_context(), "junit", tmp_path / "junit.xml", fail_on=level)
    root = ET.parse(path).getroot()
    expected = sum(1 for f in evaluation.findings if reaches(f.status, level))
    assert root.tag == "testsuites"
    assert int(root.get("failures", "-1")) == expected
    assert len(root.findall(".//failure")) == expected
    suites = root.findall("testsuite")
    assert len(suites) == len(evaluation.clusters) * len(evaluation.targets)
    assert len(root.findall(".//testcase")) == len(evaluation.findings)
    props = {p.get("name"): p.get("value") for p in suites[0].findall("properties/property")}
    assert props["catalog_version"] == "2026.11-test"
    failure = root.find(".//failure")
    if failure is not None:
        assert "source: https://" in (failure.text or "")


def test_junit_default_level_is_at_risk(tmp_path: Path) -> None:
    root = ET.parse(render_report(make_context(), "junit", tmp_path / "j.xml")).getroot()
    assert root.get("failures") == "4"  # 2 blockers + 2 at-risk in the fixture
    assert root.get("skipped") == "4"  # unknown findings are skipped, not passed


# ------------------------------------------------------------------------------------------------ templates, atomicity


def test_template_override(tmp_path: Path) -> None:
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "_summary.html").write_text(
        '<section id="summary"><h2>Our bank summary</h2>'
        "{% for s in summary %}<p>{{ s.label }}</p>{% endfor %}</section>"
    )
    html = render_report(make_context(), "html", tmp_path / "r.html", templates=[custom]).read_text(encoding="utf-8")
    assert "Our bank summary" in html
    assert 'id="matrix"' in html  # the rest still comes from the defaults


def test_render_error_leaves_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("previous good report")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "_fleet.html").write_text("{{ no_such_variable.field }}")
    with pytest.raises(RenderError, match="no_such_variable"):
        render_report(make_context(), "html", out, templates=[bad])
    assert out.read_text() == "previous good report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "report.html"]
    (bad / "_fleet.html").write_text("{% if %}")
    with pytest.raises(RenderError, match="syntax"):
        render_report(make_context(), "html", out, templates=[bad])
    assert out.read_text() == "previous good report"


def test_format_from_extension(tmp_path: Path) -> None:
    from evaluator.reporting import format_for

    assert format_for("a/report.xml") == "junit"
    assert format_for("a/report.MD") == "md"
    assert format_for("x.bin", "csv") == "csv"
    with pytest.raises(InputError, match="cannot tell the format"):
        format_for("x.bin")


# ------------------------------------------------------------------------------------------------ CLI


def _write_snapshots(tmp_path: Path) -> list[str]:
    paths = []
    for i, snap in enumerate(make_snapshots()):
        paths.append(str(save_snapshot(snap, tmp_path / f"snap-{i}.json")))
    return paths


def test_cli_report_formats(tmp_path: Path) -> None:
    snaps = _write_snapshots(tmp_path)
    runner = CliRunner()
    for name, check in (
        ("r.html", "<!DOCTYPE html>"),
        ("r.md", "# Platform fit: 2 clusters"),
        ("r.json", '"schema": "k8seval/report/v1"'),
        ("r.csv", "cluster,target,constraint"),
        ("r.xml", "<testsuites"),
    ):
        result = runner.invoke(cli, ["report", *snaps, "-o", str(tmp_path / name)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert check in (tmp_path / name).read_text(encoding="utf-8")
    result = runner.invoke(cli, ["report", *snaps, "-o", str(tmp_path / "r.xlsx"), "--title", "Bank <estate>"])
    assert result.exit_code == 0
    assert load_workbook(tmp_path / "r.xlsx")["Summary"].cell(row=20, column=1) is not None


def test_cli_report_default_name_and_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snaps = _write_snapshots(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = CliRunner().invoke(cli, ["report", *snaps, "--target", "eks", "--title", "T"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = (work / "report.html").read_text(encoding="utf-8")
    assert "<h1>T</h1>" in html and "Amazon EKS" in html and "GKE Autopilot" not in html


def test_cli_report_fail_on_writes_then_exits_1(tmp_path: Path) -> None:
    snaps = _write_snapshots(tmp_path)
    out = tmp_path / "j.xml"
    result = CliRunner().invoke(cli, ["report", *snaps, "-o", str(out), "--fail-on", "watch"])
    assert result.exit_code == 1
    assert "--fail-on watch" in result.output
    assert out.exists()


def test_cli_report_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "k8seval/inventory/v1", "cluster": {"name": ""}}')
    result = CliRunner().invoke(cli, ["report", str(bad), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "bad.json" in result.output
    good = save_snapshot(make_snapshot(), tmp_path / "good.json")
    result = CliRunner().invoke(cli, ["report", str(good), "-o", str(tmp_path / "r.bin")])
    assert result.exit_code == 2 and "cannot tell the format" in result.output
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "report.html").write_text("{% for x in %}")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(good), "-o", str(out), "--templates", str(tpl)])
    assert result.exit_code == 2 and "template syntax error" in result.output
    assert not out.exists()


def test_cli_report_with_the_real_engine_and_catalog(tmp_path: Path) -> None:
    """The shipped catalog and scoring engine, end to end: every constraint appears in the matrix."""
    from evaluator.catalog.loader import load_catalog

    snap = save_snapshot(make_snapshot("prod-1"), tmp_path / "s.json")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(snap), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    doc = _parse(html)
    rows = [a for t, a in doc.tags if t == "tr" and a.get("data-cluster") == "prod-1"]
    assert len(rows) == len(load_catalog().constraints)


def test_html_cost_section_has_a_stacked_bar_per_option_gaps_and_prices(tmp_path: Path) -> None:
    html = render_report(_full_context(), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="costs"') : html.index("</section>", html.index('<section id="costs"'))]
    svg = section[section.index('<svg class="costs"') : section.index("</svg>")]
    # one bar per option, stacked by category: each priced category of an option is its own rect with a title
    assert svg.count("<title>workers:") == 3  # self-hosted, EKS and GKE have worker machines; Autopilot has a gap
    assert svg.count("<title>people:") == 4
    assert "+ gaps" in svg and "control plane" in svg  # incomplete options are marked; the legend names categories
    assert 'class="gap"' in section and "no price for nat_gateway_hour" in section
    assert "EKS is the cheapest complete option" in section
    assert "Prices used, with sources" in section and "compute.m5.4xlarge" in section
    assert "Sensitivity (each input ±25 %)" in section and "GCE machine prices" in section
