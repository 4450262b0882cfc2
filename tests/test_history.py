"""k8seval history: the tidy table (one row per cluster, time and fact) in CSV and JSON, read back with pandas."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pandas as pd
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import CollectionInfo, DeprecatedApiUse, EtcdInventory, Gap, PodRequests, save_snapshot
from evaluator.reporting.history import COLUMNS, history_frame
from tests.factories import make_snapshot


def _history(tmp_path):
    """Three Prometheus-style daily snapshots of prod-1 (one with an etcd gap) and a kube snapshot of it."""
    paths = []
    for day, size in ((1, 1_000_000), (2, None), (3, 1_200_000)):
        snap = make_snapshot(
            "prod-1",
            collected_at=f"2026-11-0{day}T00:00:00Z",
            etcd=EtcdInventory(db_size_bytes=size, source="apiserver-metrics:apiserver_storage_size_bytes"),
            collection=CollectionInfo(
                collectors=["prometheus"], sources={"etcd.db_size_bytes": "apiserver_storage_size_bytes"}
            ),
            gaps=[] if size else [Gap("prometheus", "etcd.db_size_bytes", "no sample at 2026-11-02T00:00:00Z")],
        )
        paths.append(save_snapshot(snap, tmp_path / f"p{day}.json"))
    kube = make_snapshot("prod-1", collected_at="2026-11-04T10:00:00Z", collection=CollectionInfo(collectors=["kube"]))
    paths.append(save_snapshot(kube, tmp_path / "kube.json"))
    paths.append(save_snapshot(make_snapshot("dev-2"), tmp_path / "dev.json"))
    return paths


def test_csv_has_one_row_per_cluster_time_and_fact(tmp_path):
    paths = _history(tmp_path)
    result = CliRunner().invoke(cli, ["history", *map(str, paths)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert tuple(frame.columns) == COLUMNS
    assert not frame.duplicated(["cluster", "time", "fact"]).any()
    assert sorted(frame["cluster"].unique()) == ["dev-2", "prod-1"]
    prod = frame[(frame["cluster"] == "prod-1") & (frame["fact"] == "etcd.db_size_bytes")]
    assert list(prod["time"]) == [
        "2026-11-01T00:00:00Z",
        "2026-11-02T00:00:00Z",
        "2026-11-03T00:00:00Z",
        "2026-11-04T10:00:00Z",
    ]
    values = list(prod["value"])
    assert values[0] == 1_000_000 and pd.isna(values[1]) and values[2] == 1_200_000 and values[3] == 1_500_000_000
    assert prod.iloc[1]["gap"] == "no sample at 2026-11-02T00:00:00Z"
    assert list(prod["source"]) == ["apiserver_storage_size_bytes"] * 3 + ["kube"]
    pods = frame[(frame["fact"] == "objects.pods") & (frame["cluster"] == "prod-1")]
    assert list(pods["value"]) == [4500] * 4


def test_json_and_fact_filter(tmp_path):
    paths = _history(tmp_path)
    out = tmp_path / "h.json"
    result = CliRunner().invoke(
        cli,
        ["history", *map(str, paths), "--format", "json", "--fact", "nodes.count", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and "5 rows, 2 cluster(s)" in result.stderr
    rows = json.loads(out.read_text())
    assert {r["fact"] for r in rows} == {"nodes.count"} and {r["value"] for r in rows} == {150}
    assert [(r["cluster"], r["time"]) for r in rows][:2] == [
        ("dev-2", "2026-11-01T10:00:00Z"),
        ("prod-1", "2026-11-01T00:00:00Z"),
    ]


def test_a_measured_value_wins_over_a_gap_at_the_same_time():
    a = make_snapshot("x", etcd=EtcdInventory(), gaps=[Gap("prometheus", "etcd.db_size_bytes", "no sample")])
    b = replace(make_snapshot("x"), etcd=EtcdInventory(db_size_bytes=42))
    frame = history_frame([a, b])
    row = frame[frame["fact"] == "etcd.db_size_bytes"]
    assert len(row) == 1 and row.iloc[0]["value"] == 42


def test_a_bad_snapshot_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = CliRunner().invoke(cli, ["history", str(bad)])
    assert result.exit_code == 2 and "bad.json: not valid JSON" in result.stderr
    assert result.stderr.count("\n") == 1


def test_deprecated_api_requests_and_pod_requests_are_facts():
    uses = [
        DeprecatedApiUse("batch", "v1beta1", "cronjobs", removed_release="1.25", requests=7),
        DeprecatedApiUse("", "v1", "componentstatuses"),  # no counter series: a count, no requests fact
    ]
    measured = replace(
        make_snapshot("x", collected_at="2026-11-02T00:00:00Z"),
        deprecated_apis=uses,
        pod_requests=PodRequests(cpu_cores=12.5, memory_gib=40.0, source="kube_pod_container_resource_requests"),
        collection=CollectionInfo(
            collectors=["prometheus"],
            sources={"deprecated_apis": "apiserver_requested_deprecated_apis", "deprecated_apis.requests": "rt"},
        ),
    )
    unmeasured = replace(
        make_snapshot("x", collected_at="2026-11-01T00:00:00Z"),
        gaps=[Gap("kube", "deprecated_apis", "apiserver /metrics not readable")],
    )
    frame = history_frame([measured, unmeasured]).set_index(["time", "fact"])
    day2 = frame.xs(pd.Timestamp("2026-11-02", tz="UTC"))
    assert day2.loc["deprecated_apis.count", "value"] == 2
    assert day2.loc["deprecated_apis.count", "source"] == "apiserver_requested_deprecated_apis"
    assert day2.loc["deprecated_apis.batch/v1beta1/cronjobs.requests", "value"] == 7
    assert day2.loc["deprecated_apis.batch/v1beta1/cronjobs.requests", "source"] == "rt"
    assert not any(f.startswith("deprecated_apis.core/") for f in day2.index)
    assert day2.loc["pod_requests.cpu_cores", "value"] == 12.5
    day1 = frame.xs(pd.Timestamp("2026-11-01", tz="UTC"))
    assert pd.isna(day1.loc["deprecated_apis", "value"])
    assert day1.loc["deprecated_apis", "gap"] == "apiserver /metrics not readable"
