"""Report size and render time for a fleet: synthetic snapshots through evaluate(), then every format.

Run: ``python benchmarks/bench_report.py [--clusters 200] [--history 2] [--out DIR] [--browser] [--formats html,xlsx]``.
Prints figures (render times as wall clock and CPU time of this process); asserts nothing. ``--browser`` also
opens the HTML in headless Chromium (Debian's /usr/bin/chromium, through Playwright) and times it until the
page's scripts have run, then one sort of the largest sortable table, then opening the last cluster's matrix
from its link in the fleet table.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from evaluator.catalog.loader import load_catalog
from evaluator.inventory import (
    ClusterInfo,
    EtcdInventory,
    NetworkPolicyInventory,
    NodeInventory,
    ServiceInventory,
    Snapshot,
    Stats,
)
from evaluator.reporting import build_report_context, render_report
from evaluator.scoring.engine import evaluate
from evaluator.units import GIB


def fleet(n: int, history: int, seed: int = 7) -> list[Snapshot]:
    """``n`` clusters of mixed sizes (a few bank-sized), each with ``history`` snapshots 90 days apart."""
    rng = random.Random(seed)
    snaps = []
    for i in range(n):
        nodes = rng.choice([12, 40, 150, 400, 900, 1500, 3000])
        pods = nodes * rng.randint(15, 60)
        platform = rng.choice(["self-hosted", "self-hosted", "eks", "gke"])
        etcd = rng.uniform(0.2, 7.8) * GIB
        for h in range(history):
            scale = 1 - 0.1 * (history - 1 - h)
            month = 11 - 3 * (history - 1 - h)
            snaps.append(
                Snapshot(
                    cluster=ClusterInfo(
                        name=f"cluster-{i:03d}",
                        platform=platform,
                        version=rng.choice(["1.28.9", "1.29.4", "1.30.2", "1.31.1"]),
                    ),
                    collected_at=f"2026-{month:02d}-01T10:00:00Z",
                    objects={
                        "pods": int(pods * scale),
                        "services": nodes * 2,
                        "networkpolicies.networking.k8s.io": nodes * 5,
                    },
                    namespaces=max(4, nodes // 3),
                    crds=rng.randint(20, 180),
                    nodes=NodeInventory(
                        count=int(nodes * scale),
                        control_plane_count=3 if platform == "self-hosted" else 0,
                        pods_per_node=Stats(max=rng.randint(30, 250), mean=pods / nodes),
                        allocatable_pods=Stats(max=110, min=110),
                    ),
                    network_policies=NetworkPolicyInventory(count=int(nodes * 5 * scale), max_per_namespace=60),
                    services=ServiceInventory(count=nodes * 2, max_endpoints_per_service=rng.randint(10, 3000)),
                    etcd=EtcdInventory(
                        db_size_bytes=int(etcd * scale), source="apiserver-metrics:apiserver_storage_size_bytes"
                    ),
                )
            )
    return snaps


def main() -> None:
    """Build the fleet, evaluate it, render every format and print sizes and times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--history", type=int, default=2, help="snapshots per cluster (2+ gives forecasts)")
    parser.add_argument("--out", type=Path, default=None, help="keep the reports here (default: a temp folder)")
    parser.add_argument("--browser", action="store_true", help="time opening the HTML in headless Chromium")
    parser.add_argument("--formats", default="html,md,json,csv,xlsx,junit", help="comma-separated formats to render")
    args = parser.parse_args()

    snaps = fleet(args.clusters, args.history)
    catalog = load_catalog()
    t0 = time.perf_counter()
    evaluation = evaluate(snaps, catalog, now="2026-11-02T00:00:00Z")
    t1 = time.perf_counter()
    context = build_report_context(evaluation, snaps, catalog, title=f"Benchmark fleet of {args.clusters}")
    t2 = time.perf_counter()
    print(
        f"fleet: {args.clusters} clusters x {args.history} snapshots, {len(catalog.constraints)} constraints, "
        f"{len(evaluation.targets)} targets -> {len(evaluation.findings):,} findings, "
        f"{len(evaluation.forecasts)} forecasts"
    )
    print(f"evaluate():              {t1 - t0:7.2f} s")
    print(f"build_report_context():  {t2 - t1:7.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        for fmt, name in (
            ("html", "report.html"),
            ("md", "report.md"),
            ("json", "findings.json"),
            ("csv", "findings.csv"),
            ("xlsx", "findings.xlsx"),
            ("junit", "junit.xml"),
        ):
            if fmt not in args.formats.split(","):
                continue
            start, cpu = time.perf_counter(), time.process_time()
            path = render_report(context, fmt, out / name)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"render {fmt:<6} {path.stat().st_size / 1e6:8.2f} MB  {took:7.2f} s wall {cpu:7.2f} s CPU")
        if args.browser and "html" in args.formats.split(","):
            browser_timings(out / "report.html")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS:                {peak:7.0f} MiB")


def browser_timings(html: Path, chromium: str = "/usr/bin/chromium") -> None:
    """Open ``html`` in headless Chromium; print load time, DOM size and the time one column sort takes."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=args)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load", timeout=300_000)
        loaded = time.perf_counter() - start
        nodes = page.evaluate("document.getElementsByTagName('*').length")
        start = time.perf_counter()
        # The sort handler sits on the button the script puts in each header cell, not on the cell itself.
        rows = page.evaluate(
            """() => { const tables = [...document.querySelectorAll('table.sortable')];
                       if (!tables.length) return 0;
                       const t = tables.reduce((a, b) => b.tBodies[0].rows.length > a.tBodies[0].rows.length ? b : a);
                       t.querySelector('thead th button.sort').click(); return t.tBodies[0].rows.length; }"""
        )
        sort = time.perf_counter() - start
        start = time.perf_counter()
        link = page.locator("#fleet-table tbody th a").last
        anchor = link.get_attribute("href")
        link.click()
        page.wait_for_selector(f"{anchor} table.matrix tbody tr", timeout=60_000)
        opened = page.locator(f"{anchor} table.matrix tbody tr").count()
        open_s = time.perf_counter() - start
        browser.close()
    print(f"chromium: load {loaded:6.2f} s, {nodes:,} DOM elements; {rows:,}-row table sorted in {sort:5.2f} s")
    print(f"chromium: a cluster's matrix ({opened} rows) opened from the fleet table in {open_s:5.2f} s")
    if errors:
        print(f"chromium: {len(errors)} script error(s), first: {errors[0]}")


if __name__ == "__main__":
    main()
