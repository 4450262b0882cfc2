"""Forecast charts: a y axis with values, limit lines off the scale marked (not dropped), labels never cut,
and no two answer cards with the same title."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from evaluator.reporting.charts import _tick_text, sparkline
from evaluator.units import GIB
from tests.test_report_browser import CHROMIUM, browser  # noqa: F401  (the module-scoped Chromium fixture)

POINTS = [["2026-05-01T00:00:00Z", 6.0 * GIB], ["2026-08-01T00:00:00Z", 6.8 * GIB], ["2026-11-01T00:00:00Z", 7.5 * GIB]]


def _texts(svg: str, cls: str) -> list[str]:
    return re.findall(rf'<text class="{cls}"[^>]*>([^<]*)</text>', svg)


def test_y_axis_has_round_values_in_the_unit() -> None:
    svg = str(sparkline(POINTS, slope_per_day=0.01 * GIB, thresholds=[("EKS", 8 * GIB)], unit="bytes"))
    ticks = _texts(svg, "ytick")
    assert ticks[0] == "0 GiB" and len(ticks) >= 3 and all(t.endswith(" GiB") for t in ticks)
    values = [float(t.split()[0]) for t in ticks]
    assert values == sorted(values) and values[-1] >= 8  # the axis reaches the limit line drawn
    counts = str(sparkline([["2026-05-01T00:00:00Z", 900], ["2026-11-01T00:00:00Z", 1200]], slope_per_day=1,
                           thresholds=[("EKS", 5000)], unit="nodes"))  # fmt: skip
    count_ticks = [float(t.replace(",", "")) for t in _texts(counts, "ytick")]
    assert "nodes</text>" in counts and count_ticks[0] == 0 and count_ticks[-1] >= 5000


def test_limit_far_above_the_data_is_marked_not_dropped() -> None:
    svg = str(
        sparkline(POINTS, slope_per_day=0.01 * GIB, thresholds=[("EKS", 8 * GIB), ("GKE", 400 * GIB)], unit="bytes")
    )
    (mark,) = _texts(svg, "offscale")
    assert "off the scale" in mark and "GKE 400.00 GiB" in mark
    assert _texts(svg, "limit") == ["EKS 8.00 GiB"]  # the line to scale is drawn and labelled with its value
    assert "off the scale: GKE 400.00 GiB" in svg.split("</title>")[0]  # and named for screen readers


@pytest.mark.parametrize(("value", "unit", "text"), [(0, "pods", "0"), (1500, "pods", "1,500"),
                         (15000, "pods", "15k"), (2.5e6, "pods", "2.5M"), (2 * GIB, "bytes", "2 GiB"),
                         (0.4, "fraction", "40%")])  # fmt: skip
def test_tick_text(value: float, unit: str, text: str) -> None:
    assert _tick_text(value, unit) == text


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_no_chart_label_is_cut(browser: Any) -> None:  # noqa: F811
    long_labels = [
        ("self-hosted, EKS, GKE, Autopilot", 8 * GIB),
        ("EKS Provisioned tier", 7.9 * GIB),
        ("GKE Standard with Dataplane V2", 900 * GIB),
    ]
    charts = [
        sparkline(POINTS, slope_per_day=0.01 * GIB, thresholds=long_labels, unit="bytes"),
        sparkline(
            [["2026-05-01T00:00:00Z", 120_000], ["2026-11-01T00:00:00Z", 150_000]],
            slope_per_day=200,
            thresholds=[("GKE Standard and Autopilot", 200_000)],
            unit="endpoints",
        ),  # fmt: skip
    ]
    page = browser.new_page(viewport={"width": 1024, "height": 600})
    page.set_content("<!DOCTYPE html><body>" + "".join(str(c) for c in charts) + "</body>")
    cut = page.evaluate(
        """() => [...document.querySelectorAll('svg.spark')].flatMap(svg => {
             const box = svg.getBoundingClientRect();
             return [...svg.querySelectorAll('text')].filter(t => { const b = t.getBoundingClientRect();
               return b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5
                 || b.bottom > box.bottom + 0.5; }).map(t => t.textContent); })"""
    )
    assert cut == []
    # Labels of close lines do not sit on top of each other.
    overlaps = page.evaluate(
        """() => { const boxes = [...document.querySelectorAll('svg.spark text.limit')]
               .map(t => t.getBoundingClientRect());
             let n = 0; boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
               if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) n++; }));
             return n; }"""
    )
    assert overlaps == 0
    page.close()


def test_answer_cards_never_share_a_title() -> None:
    from dataclasses import replace

    from evaluator.reporting import build_report_context
    from tests.report_support import make_answers, make_catalog, make_evaluation, make_snapshots

    first = make_answers()[0]
    answers = [
        first,
        replace(first, source_file="answers/eks-v2.xlsx"),
        replace(first, source_file="other/eks-v2.xlsx"),
    ]
    context = build_report_context(make_evaluation(), make_snapshots(), make_catalog(), answers=answers)
    assert context.answers is not None
    titles = [a["label"] for a in context.answers]
    assert len(set(titles)) == len(titles) == 3
    assert any("eks-v2.xlsx" in t for t in titles)
