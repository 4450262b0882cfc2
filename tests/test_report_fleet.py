"""Fleet-size HTML reports: the matrices as one embedded dataset drawn on demand, checked as HTML and in Chromium.

The Chromium tests compare the script-drawn matrix with the HTML one of the same report context, element by
element, so the two renderings cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.reporting import build_report_context, render_report
from evaluator.reporting.context import INLINE_MATRIX_MAX, ReportContext
from evaluator.reporting.dataset import matrix_dataset, script_json
from evaluator.scoring.engine import evaluate
from tests.factories import make_snapshot
from tests.report_support import make_context
from tests.test_report_browser import CHROMIUM, browser  # noqa: F401  (the module-scoped Chromium fixture)


def _fleet(n: int = INLINE_MATRIX_MAX + 2, *, evil: str | None = None) -> ReportContext:
    snaps = [make_snapshot(f"c{i:02d}", objects={"pods": 3000 + 9000 * i, "services": 300 + 40 * i}) for i in range(n)]
    if evil:
        snaps[3] = replace(snaps[3], cluster=replace(snaps[3].cluster, name=evil))
    catalog = load_catalog()
    return build_report_context(evaluate(snaps, catalog), snaps, catalog)


def _lazy(context: ReportContext) -> ReportContext:
    """The same context drawn the fleet way (dataset + script) whatever its size."""
    return replace(
        context, matrix_data=script_json(matrix_dataset(context.clusters, context.targets, context.target_labels))
    )


def _dataset(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="matrix-data">(.*?)</script>', html, re.S)
    assert match, "no embedded dataset"
    return json.loads(match.group(1))


def test_small_reports_keep_the_html_matrix(tmp_path: Path) -> None:
    html = render_report(make_context(), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="matrix-data"' not in html and html.count('<section class="cluster"') == 2
    assert "<noscript>" not in html


def test_fleet_report_embeds_one_dataset_instead_of_html_matrices(tmp_path: Path) -> None:
    context = _fleet()
    html = render_report(context, "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<section class="cluster"' not in html
    assert "<noscript>" in html and "drawn by this report's own script" in html
    data = _dataset(html)
    strings = data["strings"]
    assert [strings[c["name"]] for c in data["clusters"]] == [c["name"] for c in context.clusters]
    assert data["targets"] == [context.target_labels[t] for t in context.targets]
    # Every finding is in the dataset with its status, limit and (when not ok) its message.
    evaluation = context.evaluation
    assert evaluation is not None
    by_key = {(f.cluster, f.constraint, f.target): f for f in evaluation.findings}
    seen = 0
    for cluster in data["clusters"]:
        name = strings[cluster["name"]]
        for row in cluster["rows"]:
            cid = data["constraints"][row[0]][0]
            for target, cell in zip(context.targets, row[6], strict=True):
                finding = by_key.get((name, cid, target))
                if cell == 0:
                    assert finding is None
                    continue
                seen += 1
                assert finding is not None and data["statuses"][cell[0]] == finding.status
                assert (strings[cell[6]] if cell[6] >= 0 else None) == (
                    None if finding.status == "ok" else finding.message
                )
    assert seen == len(evaluation.findings)
    # The fleet table, the summary and the act-first list stay HTML for readers without JavaScript.
    for section in ('id="summary"', 'id="fleet-table"', 'id="attention"', 'id="forecasts"', 'id="gaps"'):
        assert section in html


def test_hostile_cluster_name_cannot_close_the_data_script(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script>"
    html = render_report(_fleet(evil=evil), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert evil not in html
    data = _dataset(html)
    assert evil in data["strings"]


def test_long_lists_are_capped_and_counted(tmp_path: Path) -> None:
    context = _fleet(30)
    shown = dict(context.shown, attention=5, unknowns=7)
    html = render_report(replace(context, shown=shown), "html", tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count('<li class="item s-') == 5 and len(context.attention) > 5
    assert f"{len(context.attention) - 5:,} more are in the constraint matrix" in html
    assert f"7 of {len(context.unknowns):,} shown" in html


# ------------------------------------------------------------------------------------------------ Chromium


_EXTRACT = """anchor => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const section = document.getElementById(anchor);
  if (!section) return null;
  const rows = [...section.querySelectorAll('table.matrix tbody tr')].map(tr => ({
    id: tr.id, statuses: tr.dataset.statuses, cluster: tr.dataset.cluster,
    w: tr.style.getPropertyValue('--w'), r: tr.style.getPropertyValue('--r'),
    cells: [...tr.children].map(c => [c.tagName, c.className, norm(c.textContent), c.getAttribute('title'),
      c.getAttribute('data-sort'), [...c.querySelectorAll('a')].map(a => a.getAttribute('href')).join(' '),
      [...c.querySelectorAll('span')].map(s => s.className + ':' + (s.style.width || '')).join(' ')])
  }));
  return {
    heading: norm(section.querySelector('h3').textContent),
    facts: norm((section.querySelector('dl.facts') || {}).textContent),
    verdicts: [...section.querySelectorAll('ul.verdicts li')].map(li => norm(li.textContent)),
    head: [...section.querySelectorAll('table.matrix thead th')].map(th => norm(th.textContent)),
    caption: norm((section.querySelector('caption') || {}).textContent),
    classes: (section.querySelector('table') || {}).className || '',
    rows
  };
}"""


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:  # noqa: F811
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_drawn_matrix_equals_the_html_matrix(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    context = make_context()
    inline = render_report(context, "html", tmp_path / "inline.html")
    lazy = render_report(_lazy(context), "html", tmp_path / "lazy.html")
    page_a, errors_a, _ = _open(browser, inline)
    page_b, errors_b, requests = _open(browser, lazy)
    assert requests == [lazy.as_uri()]
    for c in context.clusters:
        page_b.click(f'#fleet-table a[href="#{c["anchor"]}"]')
        page_b.wait_for_selector(f"#{c['anchor']} h3")
        want = page_a.evaluate(_EXTRACT, c["anchor"])
        got = page_b.evaluate(_EXTRACT, c["anchor"])
        assert want is not None and want["rows"], c["name"]
        assert got == want, c["name"]
    # Drawn tables sort like the HTML ones: the Amazon EKS column puts the blocker last when ascending.
    matrix = "#c-prod-eu-1 table.matrix"
    page_b.click(f"{matrix} thead th:nth-child(5) button")
    titles = page_b.eval_on_selector_all(
        f"{matrix} tbody tr", "rows => rows.map(r => r.querySelector('th').textContent)"
    )
    assert titles[-1].startswith("Pods per node")
    # And the filter reaches them.
    bar = '.filters[data-filter-for="matrix"]'
    page_b.check(f'{bar} input[value="blocker"]')
    shown = page_b.eval_on_selector_all("table.matrix tbody tr", "rows => rows.filter(r => !r.hidden).length")
    assert shown == 1
    assert errors_a == [] and errors_b == []
    page_a.close()
    page_b.close()


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_fleet_report_links_open_clusters_and_rows(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    evil = "<img src=x onerror=alert(1)>"
    context = _fleet(evil=evil)
    path = render_report(context, "html", tmp_path / "fleet.html")
    page, errors, requests = _open(browser, path)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # The first cluster is open on arrival; the others only when asked for.
    assert page.locator("section.cluster").count() == 1
    first = context.clusters[0]["anchor"]
    assert page.locator(f"#{first} table.matrix").count() == 1
    # An "act first" item links to a row of a cluster that is not open yet: following it opens that cluster.
    item = next(a for a in context.attention if a["cluster_anchor"] != first)
    page.click(f'#attention a[href="#{item["anchor"]}"]')
    page.wait_for_selector(f"#{item['anchor']}")
    assert page.locator(f"#{item['cluster_anchor']} table.matrix tbody tr").count() > 10
    # The picker opens a cluster too, and a hostile name stays text.
    evil_anchor = next(c["anchor"] for c in context.clusters if c["name"] == evil)
    page.select_option("[data-matrix-select]", evil_anchor)
    page.wait_for_selector(f"#{evil_anchor} h3")
    assert evil in page.text_content(f"#{evil_anchor} h3")
    assert page.locator(f"#{evil_anchor} img").count() == 0
    assert page.locator("section.cluster").count() == 3
    assert errors == [] and dialogs == [] and requests == [path.as_uri()]
    page.close()


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_fleet_report_without_javascript_shows_summary_and_a_note(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    path = render_report(_fleet(), "html", tmp_path / "fleet.html")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.is_visible("#summary .cards")
    assert page.locator("#fleet-table tbody tr").count() == INLINE_MATRIX_MAX + 2
    note = page.locator("#matrix noscript + *, #matrix p.notice")
    assert note.count() >= 1 and "drawn by this report's own script" in page.text_content("#matrix")
    assert page.is_visible("#matrix p.notice")
    assert not page.is_visible("[data-matrix-picker]")
    context.close()


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium")
def test_matrix_fits_1024_px(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """At 1,024 px the four targets' columns of an opened matrix are all within the window."""
    path = render_report(_fleet(), "html", tmp_path / "fleet.html")
    page, errors, _ = _open(browser, path)
    right = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('table.matrix thead th')]"
        ".map(th => th.getBoundingClientRect().right))"
    )
    assert right <= 1024
    matrix = page.evaluate(
        "(() => { const m = document.getElementById('matrix'); return [m.scrollWidth, m.clientWidth]; })()"
    )
    assert matrix[0] <= matrix[1]  # nothing in the matrix section is wider than the window
    assert errors == []
    page.close()
