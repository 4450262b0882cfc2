"""Measurements out: OpenMetrics checked by the real promtool, pushed to the real Pushgateway and read back through
its API and through a real Prometheus scraping it; the shipped rules checked and unit-tested with promtool."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.pushgateway import group_path
from evaluator.inventory import save_snapshot
from evaluator.reporting.openmetrics import FAMILIES, openmetrics_by_cluster, openmetrics_text
from evaluator.resources import data_dir
from tests.factories import make_snapshot
from tests.prometheus_support import (
    needs_prometheus,
    needs_pushgateway,
    parse_exposition,
    promtool,
    start_prometheus,
    start_pushgateway,
)
from tests.report_support import make_context

FIXTURES = Path(__file__).parent / "fixtures"


def _snapshots(folder: Path) -> list[Path]:
    """Two clusters, the second with a quote in its name (label escaping) and a short history."""
    paths = [save_snapshot(make_snapshot("prod-1"), folder / "prod-1.json")]
    for i, pods in enumerate((3000, 3500, 4500)):
        snap = make_snapshot('lab "b"', collected_at=f"2026-{9 + i:02d}-01T00:00:00Z")
        snap = replace(snap, objects={**snap.objects, "pods": pods})
        paths.append(save_snapshot(snap, folder / f"lab-{i}.json"))
    return paths


def test_every_finding_has_observed_limit_headroom_and_one_status():
    context = make_context()
    text = openmetrics_text(context)
    assert text.endswith("# EOF\n")
    samples = parse_exposition(text)
    by_name: dict[str, list] = {}
    for name, labels, value in samples:
        by_name.setdefault(name, []).append((dict(labels), value))
    findings = context.evaluation.findings
    status = by_name["k8seval_constraint_status"]
    for f in findings:
        key = {"cluster": f.cluster, "target": f.target, "constraint": f.constraint}
        ones = [lb["status"] for lb, v in status if v == 1 and {k: lb[k] for k in key} == key]
        assert ones == [f.status], f
        if (
            isinstance(f.observed, int | float)
            and not isinstance(f.observed, bool)
            and isinstance(f.limit, int | float)
        ):
            (obs,) = [v for lb, v in by_name["k8seval_constraint_observed"] if {k: lb[k] for k in key} == key]
            (lim,) = [v for lb, v in by_name["k8seval_constraint_limit"] if {k: lb[k] for k in key} == key]
            (head,) = [v for lb, v in by_name["k8seval_constraint_headroom_ratio"] if lb == key]
            assert (obs, lim) == (pytest.approx(f.observed), pytest.approx(f.limit))
            assert head == pytest.approx((f.limit - f.observed) / f.limit)
    unknown = [
        v
        for lb, v in by_name["k8seval_constraint_status_level"]
        if (lb["cluster"], lb["target"], lb["constraint"])
        in {(f.cluster, f.target, f.constraint) for f in findings if f.status == "unknown"}
    ]
    assert unknown and set(unknown) == {-1.0}
    assert {name for name, _ in FAMILIES} >= set(by_name)


@needs_prometheus
def test_promtool_check_metrics_passes_on_report_output(tmp_path):
    paths = _snapshots(tmp_path)
    out = tmp_path / "metrics.prom"
    result = CliRunner().invoke(cli, ["report", *map(str, paths), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert 'cluster="lab \\"b\\""' in text and "k8seval_forecast_crossing_timestamp_seconds" in text
    check = promtool("check", "metrics", stdin=text)
    assert check.returncode == 0 and check.stdout == "" and check.stderr == "", check.stdout + check.stderr


@needs_prometheus
def test_shipped_rules_pass_promtool_check_and_unit_tests(tmp_path):
    rules = data_dir("monitoring") / "k8seval-rules.yml"
    check = promtool("check", "rules", str(rules))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 6 rules found" in check.stdout
    unit = tmp_path / "rules-test.yml"
    unit.write_text((FIXTURES / "k8seval-rules-test.yml").read_text().replace("RULES", str(rules)))
    result = promtool("test", "rules", str(unit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_dashboard_charts_only_metrics_k8seval_writes():
    dashboard = json.loads((data_dir("monitoring") / "k8seval-dashboard.json").read_text())
    names = {name for name, _ in FAMILIES}
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) == len(dashboard["panels"]) >= 6
    for expr in exprs:
        used = set(re.findall(r"\bk8seval_[a-z_]+", expr))
        assert used and used <= names, expr
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource", "cluster", "target"}


def test_monitoring_command_prints_the_shipped_files(tmp_path):
    result = CliRunner().invoke(cli, ["monitoring", "rules"], catch_exceptions=False)
    assert result.exit_code == 0 and "K8sevalCoreHeadroomLow" in result.stdout
    out = tmp_path / "d.json"
    result = CliRunner().invoke(cli, ["monitoring", "dashboard", "-o", str(out)], catch_exceptions=False)
    assert json.loads(out.read_text())["uid"] == "k8seval-headroom"


def test_group_path_encodes_unsafe_values():
    assert group_path("k8seval", {"cluster": "prod-1"}) == "/metrics/job/k8seval/cluster/prod-1"
    assert group_path("k8seval", {"cluster": "a/b"}) == "/metrics/job/k8seval/cluster@base64/YS9i"


def test_push_to_an_unreachable_gateway_exits_3(tmp_path):
    from tests.prometheus_support import free_port

    paths = _snapshots(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(cli, ["report", *map(str, paths), "-o", str(tmp_path / "m.prom"), "--push", url])
    assert result.exit_code == 3 and "Could not reach the Pushgateway" in result.stderr


def test_a_malformed_push_url_is_refused_before_the_report_is_written(tmp_path):
    paths = _snapshots(tmp_path)
    out = tmp_path / "m.prom"
    result = CliRunner().invoke(cli, ["report", *map(str, paths), "-o", str(out), "--push", "gateway:9091"])
    assert result.exit_code == 2 and "--push: expected the Pushgateway's http(s) URL" in result.stderr
    assert not out.exists()


@needs_pushgateway
@needs_prometheus
@pytest.mark.slow
def test_push_reads_back_through_the_gateway_api_and_a_prometheus_scraping_it(tmp_path):
    paths = _snapshots(tmp_path)
    gateway, url = start_pushgateway(tmp_path)
    try:
        result = CliRunner().invoke(
            cli,
            ["report", *map(str, paths), "--format", "openmetrics", "-o", str(tmp_path / "m.prom"), "--push", url],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        assert "pushed 2 group(s)" in result.stderr
        groups = requests.get(f"{url}/api/v1/metrics", timeout=10).json()["data"]
        keys = sorted((g["labels"]["job"], g["labels"]["cluster"]) for g in groups)
        assert keys == [("k8seval", 'lab "b"'), ("k8seval", "prod-1")]
        pushed = {g["labels"]["cluster"]: g for g in groups}["prod-1"]
        level = pushed["k8seval_constraint_status_level"]["metrics"]
        expected = parse_exposition(openmetrics_by_cluster_text(paths, "prod-1"))
        want = sorted(v for n, _, v in expected if n == "k8seval_constraint_status_level")
        assert sorted(float(m["value"]) for m in level) == want
        # a second push of one cluster replaces its group (PUT), the other stays
        (tmp_path / "only").mkdir()
        result = CliRunner().invoke(
            cli,
            ["report", str(paths[0]), "-o", str(tmp_path / "only" / "m.prom"), "--push", url],
            catch_exceptions=False,
        )
        assert result.exit_code == 0
        assert len(requests.get(f"{url}/api/v1/metrics", timeout=10).json()["data"]) == 2

        host = url.removeprefix("http://")
        rules = data_dir("monitoring") / "k8seval-rules.yml"
        config = (
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{rules}']\n"
            "scrape_configs:\n"
            f"  - job_name: pushgateway\n    honor_labels: true\n    static_configs: [{{targets: ['{host}']}}]\n"
        )
        prom, prom_url = start_prometheus(tmp_path / "tsdb", config=config)
        try:
            series = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len({s["metric"]["cluster"] for s in series}) < 2:
                time.sleep(0.5)
                series = requests.get(
                    f"{prom_url}/api/v1/query", params={"query": "k8seval_fit_score"}, timeout=10
                ).json()["data"]["result"]
            assert {s["metric"]["cluster"] for s in series} == {"prod-1", 'lab "b"'}
            assert all(s["metric"]["job"] == "k8seval" for s in series)
            loaded = requests.get(f"{prom_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
            assert [r["name"] for g in loaded for r in g["rules"]][:2] == [
                "k8seval:core_headroom_ratio",
                "K8sevalCoreHeadroomLow",
            ]
            assert all(r["health"] in ("ok", "unknown") for g in loaded for r in g["rules"])
        finally:
            prom.stop()
    finally:
        gateway.stop()


def openmetrics_by_cluster_text(paths: list[Path], cluster: str) -> str:
    """What k8seval computes for one cluster of these snapshots (the expected push)."""
    from evaluator.audit import build_context

    return openmetrics_by_cluster(build_context(paths))[cluster]
