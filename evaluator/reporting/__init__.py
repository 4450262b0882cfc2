"""Reports: one context built from an evaluation, rendered as HTML, Markdown, JSON, CSV, XLSX or JUnit."""

from __future__ import annotations

from .context import ReportContext, build_report_context
from .environment import make_environment
from .render import FORMATS, format_for, render_report

__all__ = ["FORMATS", "ReportContext", "build_report_context", "format_for", "make_environment", "render_report"]
