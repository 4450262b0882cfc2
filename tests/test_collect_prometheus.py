"""collect prometheus against the real Prometheus over a TSDB backfilled (promtool) with 180 days of series
scraped from the simulator at several scales and versions: every fact at every step, gaps, splits, errors."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.prometheus import (
    MAX_STEPS,
    NOT_IN_PROMETHEUS,
    PrometheusClient,
    _stats,
    collect_prometheus,
    plan_steps,
)
from evaluator.errors import EndpointError, InputError
from evaluator.inventory import load_snapshot
from tests.prometheus_support import (
    DAY,
    ClusterPlan,
    Segment,
    backfill,
    build_history,
    expected_facts,
    needs_prometheus,
    start_prometheus,
)

pytestmark = [needs_prometheus, pytest.mark.slow]

DAYS = 180
END = (int(time.time()) // DAY - 3) * DAY  # three days ago at midnight UTC: all in the past, as backfills must be

# Deprecated versions alpha's clients request (as recorded scrapes show them; removals per the Kubernetes
# deprecation guide): flowcontrol v1beta2 until 1.29, v1beta3 until 1.32, componentstatuses with no removal planned.
FLOWSCHEMAS_V1BETA2 = {
    "group": "flowcontrol.apiserver.k8s.io",
    "version": "v1beta2",
    "resource": "flowschemas",
    "removed_release": "1.29",
    "requests": 300,
}
COMPONENTSTATUSES = {"group": "", "version": "v1", "resource": "componentstatuses", "requests": 7}
PRIORITY_LEVELS_V1BETA3 = {
    "group": "flowcontrol.apiserver.k8s.io",
    "version": "v1beta3",
    "resource": "prioritylevelconfigurations",
    "removed_release": "1.32",
}

ALPHA = ClusterPlan(
    "alpha",
    "small",
    [
        Segment(
            0,
            44,
            {
                "version": "1.27.6",
                "nodes": 5,
                "pods": 60,
                "network_policies": 20,
                "etcd_db_size_bytes": 60 * 2**20,
                "deprecated_api_requests": [FLOWSCHEMAS_V1BETA2, COMPONENTSTATUSES],
            },
        ),
        Segment(
            45,
            89,
            {
                "version": "1.29.4",
                "nodes": 8,
                "pods": 100,
                "network_policies": 30,
                "etcd_db_size_bytes": 90 * 2**20,
                "deprecated_api_requests": [PRIORITY_LEVELS_V1BETA3 | {"requests": 40}],
            },
        ),
        Segment(
            90,
            134,
            {
                "version": "1.29.4",
                "nodes": 12,
                "pods": 150,
                "network_policies": 45,
                "etcd_db_size_bytes": 130 * 2**20,
                "deprecated_api_requests": [PRIORITY_LEVELS_V1BETA3 | {"requests": 95}],
            },
        ),
        Segment(
            135,
            179,
            {"version": "1.34.1", "nodes": 16, "pods": 200, "network_policies": 60, "etcd_db_size_bytes": 170 * 2**20},
        ),
    ],
)
BETA = ClusterPlan(
    "beta",
    "small",
    [
        Segment(
            0,
            59,
            {
                "name": "beta",
                "version": "1.31.2",
                "nodes": 5,
                "pods": 40,
                "network_policies": 0,
                "calico_policies": 0,
                "calico_global_policies": 0,
            },
            ksm=False,
        ),
        Segment(
            60,
            179,
            {
                "name": "beta",
                "version": "1.31.2",
                "nodes": 6,
                "pods": 70,
                "network_policies": 0,
                "calico_policies": 0,
                "calico_global_policies": 0,
            },
        ),
    ],
    offset_seconds=150,
    outage=(100, 101, 102),
)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """(history, Prometheus URL) for 180 days of two clusters."""
    folder = tmp_path_factory.mktemp("prom")
    history = build_history([ALPHA, BETA], DAYS, END, folder / "history")
    backfill(history.path, folder / "tsdb")
    proc, url = start_prometheus(folder / "tsdb")
    yield history, url
    proc.stop()


def _collect(url: str, out: Path, *extra: str) -> tuple[int, str, str]:
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(END))
    result = CliRunner().invoke(
        cli,
        [
            "collect",
            "prometheus",
            "--url",
            url,
            "--range",
            f"{DAYS}d",
            "--step",
            "1d",
            "--end",
            end,
            "--platform",
            "self-hosted",
            "-o",
            str(out),
            *extra,
        ],
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


def _by_step(folder: Path) -> dict[tuple[str, str], object]:
    snaps = [load_snapshot(p) for p in sorted(folder.glob("*.json"))]
    return {(s.cluster.name, s.collected_at): s for s in snaps}


def _stamp(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _check_step(snap, facts: dict, day: int) -> None:
    """Every fact of one snapshot against the series written for that step; an absent fact must be a gap."""
    where = f"{snap.cluster.name} day {day}"
    gaps = {g.item for g in snap.gaps}
    assert snap.objects == facts["objects"], where
    assert snap.cluster.git_version == facts["cluster.git_version"], where
    if facts["cluster.git_version"] is None:
        assert "cluster.version" in gaps, where
    assert snap.etcd.db_size_bytes == facts["etcd.db_size_bytes"], where
    if facts["etcd.db_size_bytes"] is None:
        assert "etcd.db_size_bytes" in gaps, where
    else:
        assert snap.etcd.source.startswith("apiserver-metrics:"), where
    assert "etcd.db_size_in_use_bytes" in gaps and snap.etcd.db_size_in_use_bytes is None  # etcd is not scraped
    scalar = {
        "nodes.count": snap.nodes.count,
        "namespaces": snap.namespaces,
        "network_policies.count": snap.network_policies.count,
        "network_policies.max_per_namespace": snap.network_policies.max_per_namespace,
        "network_policies.namespaces_with_policies": snap.network_policies.namespaces_with_policies,
        "network_policies.ingress_rules": snap.network_policies.ingress_rules,
        "network_policies.egress_rules": snap.network_policies.egress_rules,
        "services.count": snap.services.count,
        "services.max_per_namespace": snap.services.max_per_namespace,
        "services.max_endpoints_per_service": snap.services.max_endpoints_per_service,
        "services.endpoints_total": snap.services.endpoints_total,
    }
    for item, got in scalar.items():
        want = facts.get(item)
        assert got == want, f"{where}: {item}: got {got}, wrote {want}"
        if want is None:
            assert item in gaps, f"{where}: {item} is null without a gap"
    assert snap.services.by_type == facts.get("services.by_type", {}), where
    for item, stats in (
        ("nodes.pods_per_node", snap.nodes.pods_per_node),
        ("nodes.allocatable_pods", snap.nodes.allocatable_pods),
    ):
        want = facts.get(item)
        for part in ("max", "mean", "p95", "min"):
            got = getattr(stats, part)
            if want is None:
                assert got is None and f"{item}.{part}" in gaps, f"{where}: {item}.{part}"
            else:
                assert got == pytest.approx(want[part], abs=1e-3), f"{where}: {item}.{part}: {got} vs {want[part]}"
    for item in NOT_IN_PROMETHEUS:
        assert item in gaps
    if facts["deprecated_apis"] is None:
        assert snap.deprecated_apis is None and "deprecated_apis" in gaps, where
    else:
        assert [asdict(u) for u in snap.deprecated_apis] == facts["deprecated_apis"], where
        assert "deprecated_apis" not in gaps, where
    assert snap.collection.collectors == ["prometheus"]


def test_every_fact_at_every_step_matches_the_series_written(backfilled, tmp_path):
    history, url = backfilled
    code, out, err = _collect(url, tmp_path, "--cluster-label", "cluster")
    assert code == 0, err
    assert "360 snapshots (2 cluster(s) x 180 steps" in out
    snaps = _by_step(tmp_path)
    assert len(snaps) == 2 * DAYS
    for cluster in ("alpha", "beta"):
        for day in range(DAYS):
            snap = snaps[(cluster, _stamp(history.step_time(day)))]
            _check_step(snap, expected_facts(history, cluster, day), day)
    # the version differences: 1.27 names its size metric one way, 1.29 another; 1.34 adds apiserver_resource_objects
    alpha = [snaps[("alpha", _stamp(history.step_time(d)))] for d in (0, 60, 170)]
    assert [s.etcd.source for s in alpha] == [
        "apiserver-metrics:apiserver_storage_db_total_size_in_bytes",
        "apiserver-metrics:apiserver_storage_size_bytes",
        "apiserver-metrics:apiserver_storage_size_bytes",
    ]
    assert alpha[0].collection.sources["objects.pods"] == "apiserver_storage_objects"
    assert alpha[2].collection.sources["objects.pods"] == "apiserver_resource_objects"
    assert [s.cluster.version for s in alpha] == ["1.27.6", "1.29.4", "1.34.1"]
    # beta without kube-state-metrics for 60 days: node facts are gaps, never zeros; counts from the apiserver
    early = snaps[("beta", _stamp(history.step_time(10)))]
    assert early.nodes.count is None and early.nodes.pods_per_node.max is None
    assert any(g.item == "nodes.count" and "no sample of kube_node_info" in g.reason for g in early.gaps)
    assert early.network_policies.count == 0 and early.collection.sources["network_policies.count"] == (
        "apiserver_storage_objects"
    )
    # the outage: no sample of anything, every fact a gap
    down = snaps[("beta", _stamp(history.step_time(101)))]
    assert down.objects == {} and down.nodes.count is None and down.etcd.db_size_bytes is None
    assert {"objects", "nodes.count", "etcd.db_size_bytes", "cluster.version"} <= {g.item for g in down.gaps}
    assert "gap: nodes.count: missing in 63 of 360 snapshots" in err
    # deprecated APIs: as each segment's apiserver reported them, requests summed over verbs; none after the upgrade
    uses = [snaps[("alpha", _stamp(history.step_time(d)))].deprecated_apis for d in (10, 60, 100, 170)]
    assert [[(u.version, u.resource, u.removed_release, u.requests) for u in day] for day in uses] == [
        [("v1", "componentstatuses", None, 7), ("v1beta2", "flowschemas", "1.29", 300)],
        [("v1beta3", "prioritylevelconfigurations", "1.32", 40)],
        [("v1beta3", "prioritylevelconfigurations", "1.32", 95)],
        [],
    ]
    assert snaps[("alpha", _stamp(history.step_time(10)))].collection.sources["deprecated_apis"] == (
        "apiserver_requested_deprecated_apis"
    )
    # beta never showed the gauge: "none requested" cannot be told from "not kept", so a gap on every step
    assert all(snaps[("beta", _stamp(history.step_time(d)))].deprecated_apis is None for d in range(DAYS))
    assert any(g.item == "deprecated_apis" and "look alike" in g.reason for g in early.gaps)


def test_without_a_cluster_label_the_server_is_one_cluster(backfilled, tmp_path):
    history, url = backfilled
    code, out, err = _collect(url, tmp_path, "--name", "whole", "--range", "3d")
    assert code == 0, err
    snaps = sorted((load_snapshot(p) for p in tmp_path.glob("*.json")), key=lambda s: s.collected_at)
    assert [s.cluster.name for s in snaps] == ["whole"] * 3
    # max by () over both clusters' series: alpha is the larger at the end
    assert snaps[-1].objects["pods"] == expected_facts(history, "alpha", DAYS - 1)["objects"]["pods"]


def test_a_query_that_would_return_too_many_series_is_split_by_cluster(backfilled):
    history, url = backfilled
    steps = plan_steps(5 * DAY, DAY, END)
    whole = PrometheusClient(url)
    a = collect_prometheus(whole, steps, cluster_label="cluster", platform="self-hosted")
    split = PrometheusClient(url)
    # 10: the object counts go out per cluster, and alpha (16 nodes) gets its per-node figures summarised by PromQL
    b = collect_prometheus(split, steps, cluster_label="cluster", platform="self-hosted", max_series=10)
    assert b.queries > a.queries  # the per-resource object counts went out once per cluster
    assert [s.to_dict() | {"collection": None} for s in a.snapshots] == [
        s.to_dict() | {"collection": None} for s in b.snapshots
    ]


def test_a_mean_rounds_alike_from_promql_and_from_the_per_node_values() -> None:
    # 195 pods over 16 nodes: sum/count gives 12.1875, PromQL's incremental avg can give 12.187499999999998; both
    # must be 12.188, or the split and the whole query of the test above disagree on the same data.
    for mean in (195 / 16, 12.187499999999998):
        stats = _stats(lambda item, series, why, m=mean: m, "nodes.pods_per_node", "ppn", "kube_pod_info", "")
        assert stats.mean == 12.188


def test_same_as_gives_the_history_the_identity_of_a_kube_snapshot(backfilled, tmp_path):
    from tests.factories import make_snapshot

    kube = make_snapshot("prod-alpha", platform="eks")
    kube_path = tmp_path / "kube.json"
    kube_path.write_text(json.dumps(kube.to_dict()))
    data = kube.to_dict()
    data["cluster"]["name"] = "alpha"  # matched by name (by cluster.id where the snapshot has one)
    kube_path.write_text(json.dumps(data))
    out = tmp_path / "out"
    code, _, err = _collect(
        backfilled[1],
        out,
        "--cluster-label",
        "cluster",
        "--cluster",
        "alpha",
        "--range",
        "2d",
        "--same-as",
        str(kube_path),
    )
    assert code == 0, err
    snaps = [load_snapshot(p) for p in out.glob("*.json")]
    assert {(s.cluster.name, s.cluster.platform) for s in snaps} == {("alpha", "eks")}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--range", "2000d"], 2, "at most 1000 snapshots per cluster"),
        (["--range", "ten"], 2, "--range: expected a duration"),
        (["--cluster-label", "region"], 2, "no series on"),
        (["--cluster-label", "cluster", "--cluster", "gamma"], 2, "--cluster: gamma"),
        (["--header", "broken"], 2, "--header: expected 'Name: value'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(backfilled, tmp_path, args, code, message):
    got, out, err = _collect(backfilled[1], tmp_path, *args)
    assert got == code
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.json"))


def test_a_query_error_names_the_promql_and_the_server_message(backfilled):
    client = PrometheusClient(backfilled[1])
    with pytest.raises(Exception) as info:
        client.query_range("max by (cluster) (apiserver_storage_objects", END - DAY, END, DAY)
    text = str(info.value)
    assert "max by (cluster) (apiserver_storage_objects" in text and "bad_data" in text and "\n" not in text
    assert getattr(info.value, "exit_code", None) == 3


def test_unreachable_refused_and_not_prometheus_exit_3(tmp_path):
    from tests.prometheus_support import free_port

    code, _, err = _collect(f"http://127.0.0.1:{free_port()}", tmp_path)
    assert code == 3 and "Could not reach Prometheus" in err and "connection refused" in err and "--url" in err


def test_plan_steps_bounds_before_any_query():
    with pytest.raises(InputError, match=str(MAX_STEPS)):
        plan_steps(1001 * DAY, DAY)
    assert len(plan_steps(180 * DAY, DAY, END)) == 180
    assert plan_steps(3 * DAY, DAY, END) == [END - 2 * DAY, END - DAY, END]
    with pytest.raises(EndpointError):
        PrometheusClient("http://127.0.0.1:9").labels(0, 1)


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A real Prometheus behind TLS with client certificates and basic auth: (URL, TLS files)."""
    from tests.etcd_support import make_pki
    from tests.prometheus_support import web_config

    folder = tmp_path_factory.mktemp("secure")
    tls = make_pki(folder)
    web = web_config(folder, user="k8seval", password="s3cret", tls=tls)
    proc, url = start_prometheus(folder / "tsdb", extra=(f"--web.config.file={web}",), ready=False)
    yield url.replace("http://", "https://"), tls
    proc.stop()


def _secure_args(tls, password: str = "s3cret") -> list[str]:
    return [
        "--cacert",
        str(tls.ca),
        "--cert",
        str(tls.client_cert),
        "--key",
        str(tls.client_key),
        "--basic-auth",
        f"k8seval:{password}",
        "--range",
        "2d",
        "--name",
        "secure",
    ]


def test_client_certificates_ca_bundle_and_basic_auth(secured, tmp_path):
    url, tls = secured
    code, out, err = _collect(url, tmp_path, *_secure_args(tls), "--header", "X-Scope-OrgID: team-a")
    assert code == 0, err
    snaps = [load_snapshot(p) for p in tmp_path.glob("*.json")]
    assert len(snaps) == 2  # an empty server: every fact a gap, never a zero
    assert all(s.nodes.count is None and s.objects == {} for s in snaps)
    assert all(
        any(g.item == "nodes.count" and "has no kube_node_info series" in g.reason for g in s.gaps) for s in snaps
    )


def test_a_refused_password_exits_3_with_a_hint(secured, tmp_path):
    url, tls = secured
    code, _, err = _collect(url, tmp_path, *_secure_args(tls, password="wrong"))
    assert code == 3 and "refused the credentials (401" in err and "--basic-auth" in err
    assert not list(tmp_path.glob("*.json"))


def test_without_the_client_certificate_or_ca_exits_3(secured, tmp_path):
    url, tls = secured
    code, _, err = _collect(url, tmp_path, "--basic-auth", "k8seval:s3cret", "--range", "2d")
    assert code == 3 and "TLS failure" in err and "--cacert" in err


def test_a_url_that_is_not_a_prometheus_api_exits_3_naming_it(backfilled, tmp_path):
    url = backfilled[1] + "/graph"
    code, _, err = _collect(url, tmp_path, "--range", "2d")
    assert code == 3 and f"{url} is not a Prometheus API" in err and "404" in err


def test_a_missing_bearer_token_file_exits_2(backfilled, tmp_path):
    code, _, err = _collect(backfilled[1], tmp_path, "--bearer-token-file", str(tmp_path / "nope"))
    assert code == 2 and "nope: cannot read the bearer token file" in err


def test_429_and_503_are_honoured_with_retry_after(backfilled):
    from tests.prometheus_support import ThrottlingProxy

    history, url = backfilled
    steps = plan_steps(3 * DAY, DAY, END)
    proxy = ThrottlingProxy(url, throttle=2, status=429, retry_after="1")
    try:
        client = PrometheusClient(proxy.url, concurrency=1)
        began = time.monotonic()
        got = collect_prometheus(client, steps, cluster_label="cluster", platform="self-hosted")
        assert time.monotonic() - began >= 2.0  # waited Retry-After twice
    finally:
        proxy.close()
    plain = PrometheusClient(url)
    direct = collect_prometheus(plain, steps, cluster_label="cluster", platform="self-hosted")
    assert proxy.throttled == 2 and client.retries == 2 and client.requests == plain.requests + 2
    assert [s.objects for s in got.snapshots] == [s.objects for s in direct.snapshots]


def test_a_server_that_keeps_answering_503_exits_3(backfilled, tmp_path):
    from tests.prometheus_support import ThrottlingProxy

    proxy = ThrottlingProxy(backfilled[1], throttle=1000, status=503, retry_after="0")
    try:
        code, _, err = _collect(proxy.url, tmp_path, "--range", "2d", "--cluster-label", "cluster")
    finally:
        proxy.close()
    assert code == 3 and "kept answering 503" in err and "--concurrency" in err
    assert not list(tmp_path.glob("*.json"))


def test_real_kube_state_metrics_exposition(tmp_path):
    """kube-state-metrics' own expected output (a series per endpoint address and port, ready or not; a policy
    with 2 ingress and 3 egress rules) backfilled and read back: addresses are counted once each."""
    from tests.prometheus_support import FIXTURES_REAL

    t = END - 60
    lines = (FIXTURES_REAL / "kube-state-metrics-store-tests.prom").read_text().splitlines()
    families: dict[str, list[str]] = {}
    for line in lines:
        name, rest = line.split("{", 1)
        families.setdefault(name, []).append(f'{name}{{cluster="real",{rest} {t}')
    text = "".join(f"# TYPE {n} gauge\n" + "\n".join(rows) + "\n" for n, rows in families.items()) + "# EOF\n"
    (tmp_path / "om").mkdir()
    (tmp_path / "om" / "real.om").write_text(text)
    backfill(tmp_path / "om", tmp_path / "tsdb")
    proc, url = start_prometheus(tmp_path / "tsdb")
    try:
        got = collect_prometheus(PrometheusClient(url), [float(END)], cluster_label="cluster")
    finally:
        proc.stop()
    (snap,) = got.snapshots
    assert snap.services.max_endpoints_per_service == 6  # test-endpoint: 6 addresses over 12 address x port series
    assert snap.services.endpoints_total == 9  # and single-port-endpoint's 3
    np = snap.network_policies
    assert (np.count, np.max_per_namespace, np.namespaces_with_policies) == (1, 1, 1)
    assert (np.ingress_rules, np.egress_rules) == (2, 3)
