"""Reports: one context built from an evaluation, rendered as HTML, Markdown, JSON, CSV, XLSX or JUnit.

``environment`` is the one Jinja environment (loaders, filters); ``context`` assembles the report context
from the section builders in ``sections/`` (fleet, verdicts, forecasts, costs, gaps, procurement,
evidence, trade-offs); ``render``, ``xlsx`` and ``charts`` write the formats. Works on files only.
"""

from __future__ import annotations

from .context import ReportContext, build_report_context
from .environment import make_environment
from .render import FORMATS, format_for, render_report

__all__ = ["FORMATS", "ReportContext", "build_report_context", "format_for", "make_environment", "render_report"]
