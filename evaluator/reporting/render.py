"""Write a report context in one format: HTML and Markdown through Jinja; JSON, CSV, XLSX and JUnit in code.

Every format is rendered completely in memory (or into a temp file) and then moved into place, so a
failure never leaves half a report or replaces a good one.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

from ..errors import InputError, RenderError
from ..fileio import atomic_path, dumps_json, write_text
from ..findings import CSV_COLUMNS, UNKNOWN, Evaluation, reaches
from .context import ReportContext
from .diff import since_of
from .environment import make_environment, target_label

FORMATS = ("html", "md", "json", "csv", "xlsx", "junit", "openmetrics")
EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xml": "junit",
    ".prom": "openmetrics",
}
DEFAULT_FAIL_ON = "at-risk"


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write: ``fmt`` if given, else from the file extension (``.xml`` is JUnit)."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise InputError(f"{path}: cannot tell the format from the extension; pass --format ({', '.join(FORMATS)})")
    return EXTENSIONS[suffix]


def render_template(
    context: ReportContext, name: str, *, templates: Sequence[str | os.PathLike[str]] | None = None
) -> str:
    """Render one template with the context's fields as variables; any template problem is a RenderError."""
    env = make_environment(templates)
    variables = {k: getattr(context, k) for k in context.__dataclass_fields__ if not k.startswith("raw_")}
    variables["single"] = context.single
    try:
        return env.get_template(name).render(**variables)
    except TemplateNotFound as exc:
        raise RenderError(f"template {exc.name!r} not found in --templates folders or the defaults") from None
    except TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except TemplateError as exc:
        raise RenderError(f"{name}: template error: {exc}") from None


def render_report(
    context: ReportContext,
    fmt: str,
    path: str | os.PathLike[str],
    *,
    templates: Sequence[str | os.PathLike[str]] | None = None,
    fail_on: str | None = None,
) -> Path:
    """Write ``context`` as ``fmt`` (html, md, json, csv, xlsx, junit) to ``path`` atomically and return it.

    ``fail_on`` sets the level at which JUnit test cases fail (default ``at-risk``).
    """
    fmt = format_for(path, fmt)
    if fmt == "html":
        return write_text(path, render_template(context, "report.html", templates=templates))
    if fmt == "md":
        return write_text(path, render_template(context, "report.md", templates=templates))
    if fmt == "json":
        return write_text(path, dumps_json(report_json(context), str(path), indent=2, ensure_ascii=False) + "\n")
    if fmt == "csv":
        evaluation = _evaluation(context)
        if evaluation.costs:
            write_text(costs_csv_path(path), costs_csv(evaluation))
        return write_text(path, findings_csv(evaluation, context.since))
    if fmt == "junit":
        return write_text(path, junit_xml(context, fail_on=fail_on or context.fail_on or DEFAULT_FAIL_ON))
    if fmt == "openmetrics":
        from .openmetrics import openmetrics_text

        return write_text(path, openmetrics_text(context))
    from .xlsx import write_workbook

    with atomic_path(path) as tmp:
        write_workbook(context, tmp)
    return Path(path)


def _evaluation(context: ReportContext) -> Evaluation:
    if context.evaluation is None:
        raise RenderError("the report context has no evaluation to write")
    return context.evaluation


def report_json(context: ReportContext) -> dict[str, Any]:
    """The Evaluation's own JSON (readable back with ``Evaluation.from_dict``) plus a ``report`` summary."""
    evaluation = _evaluation(context)
    data: dict[str, Any] = {"schema": context.schema}
    data.update(evaluation.to_dict())
    data["report"] = {
        "title": context.title,
        "data_as_of": context.data_as_of,
        "notices": context.notices,
        "totals": context.totals,
        "summary": [
            {
                "target": row["target"],
                "verdict": row["verdict"],
                "reason": row["reason"],
                "score": None if row["score"] is None else round(row["score"], 1),
                "verdict_counts": row.get("verdict_counts", {}),
            }
            for row in context.summary
        ],
        "clusters": [
            {
                "name": c["name"],
                "platform": c["platform"],
                "version": c["version"],
                "collected_at": c["collected_at"],
                "gaps": c["gap_count"],
                "targets": {
                    t["target"]: {"verdict": t["verdict"], "score": t["score"], "grade": t["grade"]}
                    for t in c["targets"]
                },
            }
            for c in context.clusters
        ],
        "gate": context.gate,
        "questions": {q["vendor"]: q["count"] for q in context.questions} if context.questions else None,
        "answers": [a.__dict__ | {"domains": [d.__dict__ for d in a.domains]} for a in context.raw_answers] or None,
    }
    if context.since:  # report --baseline only, so reports without one keep their exact shape
        lookups = ("by_item", "by_finding")  # the per-row lookups; the findings carry their own identity
        data["report"]["since_last_audit"] = {k: v for k, v in context.since.items() if k not in lookups}
    return data


def findings_csv(evaluation: Evaluation, since: dict[str, Any] | None = None) -> str:
    """One row per finding, columns in ``CSV_COLUMNS`` order; numbers unformatted, empty for not measured.

    With ``since`` (``report --baseline``) a last column ``since_last_audit`` holds each finding's change
    (``new``, ``worse``, ``changed``, ``better``, ``resolved``, ``unchanged``); without one the columns are
    exactly ``CSV_COLUMNS``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(["since_last_audit"] if since else [])])
    for f in evaluation.findings:
        row = ["" if v is None else csv_cell(v) for v in (getattr(f, col) for col in CSV_COLUMNS)]
        if since:
            row.append(since_of(since, f))
        writer.writerow(row)
    return buf.getvalue()


COST_CSV_COLUMNS = (
    "cluster",
    "target",
    "prices",
    "category",
    "line",
    "monthly_usd",
    "yearly_usd",
    "basis",
    "gap",
    "source",
    "price_read",
)


def costs_csv_path(path: str | os.PathLike[str]) -> Path:
    """Where the cost table goes beside a findings CSV: ``findings.csv`` -> ``findings-costs.csv``."""
    target = Path(path)
    return target.with_name(f"{target.stem}-costs{target.suffix or '.csv'}")


def costs_csv(evaluation: Evaluation) -> str:
    """The cost table by line: one row per line of every estimate, then one total row per estimate.

    A line without a price has empty amounts and says which price is missing in ``gap``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COST_CSV_COLUMNS)
    for est in evaluation.costs:
        for line in est.lines:
            monthly = line.monthly_usd
            yearly = None if monthly is None else round(monthly * 12, 2)
            values = (
                est.cluster,
                est.target,
                est.region,
                line.category,
                line.item,
                monthly,
                yearly,
                line.basis,
                line.gap,
                line.source,
                line.verified,
            )
            writer.writerow(["" if v is None else csv_cell(v) for v in values])
        label = "total" if est.complete else "total (lower bound: some lines have no price)"
        values = (est.cluster, est.target, est.region, "", label, est.monthly_usd, est.yearly_usd, "", "", "", "")
        writer.writerow(["" if v is None else csv_cell(v) for v in values])
    return buf.getvalue()


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that spreadsheets show as written: booleans as true/false, formula-like text quoted."""
    if isinstance(value, str):
        # A bare CR is not quoted by the csv module when the line terminator is LF, and splits the row in
        # readers: make it a newline, which the module quotes.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    # A leading = + - @ tab or CR makes spreadsheets evaluate a cell: quote such text (CSV injection, OWASP).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def junit_xml(context: ReportContext, *, fail_on: str = DEFAULT_FAIL_ON) -> str:
    """A JUnit document: a testsuite per cluster x target, a testcase per constraint.

    Findings at or above ``fail_on`` are failures with the message and the limit's source; ``unknown``
    findings are skipped (not measured) unless ``fail_on`` is ``unknown``.
    """
    evaluation = _evaluation(context)
    suites_el = ET.Element("testsuites", name="k8seval")
    grouped: dict[tuple[str, str], list[Any]] = {}
    for f in evaluation.findings:
        grouped.setdefault((f.cluster, f.target), []).append(f)
    total = failures = skipped = 0
    for cluster in evaluation.clusters or sorted({c for c, _ in grouped}):
        for target in evaluation.targets:
            cases = grouped.get((cluster, target), [])
            if not cases:
                continue
            suite = ET.SubElement(
                suites_el, "testsuite", name=f"{cluster} on {target_label(target)}", timestamp=evaluation.generated_at
            )
            props = ET.SubElement(suite, "properties")
            for key, value in (
                ("catalog_version", evaluation.catalog_version),
                ("cluster", cluster),
                ("target", target),
                ("fail_on", fail_on),
            ):
                ET.SubElement(props, "property", name=key, value=str(value))
            n_fail = n_skip = 0
            for f in cases:
                case = ET.SubElement(suite, "testcase", classname=f"{cluster}.{target}", name=f.constraint)
                text = (
                    f"{f.title}: {f.message}\nstatus: {f.status}\nobserved: {f.observed} {f.unit}\n"
                    f"limit: {f.limit} ({f.limit_kind})\nsource: {f.source} (verified {f.verified})"
                )
                if f.remediation:
                    text += f"\nremediation: {f.remediation}"
                if reaches(f.status, fail_on):
                    n_fail += 1
                    el = ET.SubElement(case, "failure", message=f"{f.status}: {f.message}", type=f.status)
                    el.text = text
                elif f.status == UNKNOWN:
                    n_skip += 1
                    why = "not published" if f.limit_kind == "not-published" else "not measured"
                    ET.SubElement(case, "skipped", message=f"{why}: {f.message}")
                else:
                    ET.SubElement(case, "system-out").text = text
            suite.set("tests", str(len(cases)))
            suite.set("failures", str(n_fail))
            suite.set("errors", "0")
            suite.set("skipped", str(n_skip))
            total += len(cases)
            failures += n_fail
            skipped += n_skip
    suites_el.set("tests", str(total))
    suites_el.set("failures", str(failures))
    suites_el.set("errors", "0")
    suites_el.set("skipped", str(skipped))
    ET.indent(suites_el)
    # ElementTree writes control characters as they are, which XML 1.0 forbids (parsers reject the file).
    body = _XML_ILLEGAL.sub("", ET.tostring(suites_el, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# Characters XML 1.0 does not allow (https://www.w3.org/TR/xml/#charsets), lone surrogates included.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
