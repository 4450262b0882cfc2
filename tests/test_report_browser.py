"""The HTML report in headless Chromium: no console errors, no network, sorting, filtering, escaping, screenshot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evaluator.reporting import render_report
from tests.report_support import make_answers, make_context, make_questions

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class _Watched:
    """A page with every console error, page error, dialog and request recorded."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)


def _visible_rows(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(
        selector, "rows => rows.filter(r => !r.hidden).map(r => r.querySelector('th').textContent.trim())"
    )


def test_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    ctx = make_context(questions=make_questions(), answers=make_answers(), notices=["Fixture data for tests."])
    path = render_report(ctx, "html", tmp_path / "report.html")
    w = _Watched(browser)
    page = w.page
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    # Only the file itself was requested; nothing logged an error.
    assert w.requests == [path.as_uri()]
    assert w.errors == []

    # Sorting the fleet table by cluster name, both ways.
    fleet = "#fleet-table tbody tr"
    assert _visible_rows(page, fleet) == ["prod-eu-1", "dev-1"]
    page.click("#fleet-table thead th:nth-child(1) button")
    assert _visible_rows(page, fleet) == ["dev-1", "prod-eu-1"]
    assert page.get_attribute("#fleet-table thead th:nth-child(1)", "aria-sort") == "ascending"
    page.click("#fleet-table thead th:nth-child(1) button")
    assert _visible_rows(page, fleet) == ["prod-eu-1", "dev-1"]

    # Sorting a matrix by the Amazon EKS column puts the blocker last when ascending.
    matrix = "#c-prod-eu-1 table.matrix"
    page.click(f"{matrix} thead th:nth-child(5) button")
    titles = [t.split("\n")[0] for t in _visible_rows(page, f"{matrix} tbody tr")]
    assert titles[-1].startswith("Pods per node")
    page.click(f"{matrix} thead th:nth-child(5) button")
    titles = [t.split("\n")[0] for t in _visible_rows(page, f"{matrix} tbody tr")]
    assert titles[0].startswith("Pods per node")

    # Filtering the matrix: text, then a status chip.
    bar = '.filters[data-filter-for="matrix"]'
    assert page.is_visible(bar)
    page.fill(f"{bar} input[type=search]", "etcd")
    shown = _visible_rows(page, "table.matrix tbody tr")
    assert len(shown) == 2 and all("etcd" in s for s in shown)
    assert "2 of 8 rows shown" in page.text_content(f"{bar} [data-filter-count]")
    page.fill(f"{bar} input[type=search]", "")
    page.check(f'{bar} input[value="blocker"]')
    shown = _visible_rows(page, "table.matrix tbody tr")
    assert len(shown) == 1 and shown[0].startswith("Pods per node")
    page.uncheck(f'{bar} input[value="blocker"]')
    page.fill(f"{bar} input[type=search]", "dev-1")  # a cluster name matches all its rows
    assert len(_visible_rows(page, "table.matrix tbody tr")) == 4
    page.fill(f"{bar} input[type=search]", "")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    page.locator("#forecasts").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-forecasts.png"))
    assert w.errors == [] and w.dialogs == []
    page.close()


def test_hostile_cluster_name_is_text(browser: Any, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    ctx = make_context(big=evil, notices=["<img src=x onerror=alert(2)>"])
    path = render_report(ctx, "html", tmp_path / "report.html")
    w = _Watched(browser)
    w.page.goto(path.as_uri())
    w.page.wait_for_load_state("load")
    assert w.dialogs == []
    assert w.requests == [path.as_uri()]  # the <img src=x> never became an element
    assert evil in w.page.text_content("#fleet-table")
    assert w.page.locator("#fleet-table script").count() == 0
    assert w.errors == []
    w.page.close()


def test_report_prints_to_pdf(browser: Any, tmp_path: Path) -> None:
    path = render_report(make_context(), "html", tmp_path / "report.html")
    w = _Watched(browser)
    w.page.goto(path.as_uri())
    w.page.emulate_media(media="print")
    assert not w.page.is_visible(".toc")  # no sticky navigation in print
    assert not w.page.is_visible(".filters")
    pdf = w.page.pdf(format="A4", landscape=True)
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    w.page.close()


def test_report_fits_a_narrow_window(browser: Any, tmp_path: Path) -> None:
    # Scored with the shipped cost assumptions, whose long keys and file path once widened the page at 800 px.
    from evaluator.audit import build_context
    from tests.factories import make_snapshot

    ctx = build_context([make_snapshot()])
    path = render_report(ctx, "html", tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 800, "height": 1000})
    page.goto(path.as_uri())
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main table')]
            .filter(t => t.getBoundingClientRect().right > innerWidth && !t.closest('.scroll'))
            .map(t => (t.querySelector('caption, th') || t).textContent.trim().slice(0, 40))"""
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    page.close()
