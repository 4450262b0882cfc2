"""collect prometheus from a real Prometheus scraping the simulator's /metrics live (a short run, 1 s interval)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import requests

from evaluator.collectors.prometheus import PrometheusClient, collect_prometheus, plan_steps
from evaluator.inventory import DeprecatedApiUse
from evaluator.simulator import Simulator, profile
from evaluator.simulator.spec import DeprecatedRequest
from tests.prometheus_support import needs_prometheus, start_prometheus

pytestmark = [needs_prometheus, pytest.mark.slow]

SCRAPE_SECONDS = 20
# a client still listing flowcontrol v1beta3 (removed in 1.32), as the recorded scrapes show such a request
FLOWSCHEMAS = DeprecatedRequest("flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas", 25, removed_release="1.32")


def test_live_scrape_of_the_simulator(tmp_path):
    with Simulator(replace(profile("small"), deprecated_api_requests=[FLOWSCHEMAS])) as sim:
        host = sim.url.removeprefix("http://")
        config = (
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: apiserver\n"
            f"    static_configs: [{{targets: ['{host}'], labels: {{cluster: live}}}}]\n"
        )
        proc, url = start_prometheus(tmp_path / "tsdb", config=config)
        try:
            started = time.time()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # until the first scrape landed
                up = requests.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=5).json()["data"]["result"]
                if up and up[0]["value"][1] == "1":
                    break
                time.sleep(0.5)
            time.sleep(SCRAPE_SECONDS)
            steps = plan_steps(SCRAPE_SECONDS - 5, 5, float(int(time.time()) // 5 * 5))
            assert steps[0] > started
            history = collect_prometheus(PrometheusClient(url), steps, cluster_label="cluster")
        finally:
            proc.stop()
        assert history.clusters == ["live"] and len(history.snapshots) == len(steps) == 3
        for snap in history.snapshots:
            assert snap.objects == sim.expected_counts()
            assert snap.etcd.db_size_bytes == sim.spec.etcd_db_size_bytes
            assert snap.etcd.source == "apiserver-metrics:apiserver_storage_size_bytes"
            gaps = {g.item: g.reason for g in snap.gaps}
            # no kube-state-metrics and no build info on this target: gaps, never zeros
            assert snap.nodes.count is None and "has no kube_node_info series" in gaps["nodes.count"]
            assert snap.cluster.version is None and "cluster.version" in gaps
            assert snap.network_policies.count == sim.expected_counts()["networkpolicies.networking.k8s.io"]
            assert snap.deprecated_apis == [
                DeprecatedApiUse(
                    "flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas", removed_release="1.32", requests=25
                )
            ]
        # labels, metric names, cluster values and a series call each to size the per-resource and the deprecated
        # queries, then the queries (object counts, size, deprecated APIs and their requests)
    assert history.queries == 4 and history.requests == history.queries + 5
