"""The apiserver's /metrics text, with metric names as the spec's Kubernetes version would expose them.

Object counts: ``etcd_object_counts`` (deprecated in 1.22, hidden from 1.23), ``apiserver_storage_objects``
(1.21+, deprecated in 1.34), ``apiserver_resource_objects{group,resource}`` (1.34+). DB size:
``etcd_db_total_size_in_bytes`` (1.19-1.25), ``apiserver_storage_db_total_size_in_bytes`` (1.26-1.27),
``apiserver_storage_size_bytes`` (1.28+). Sources: k8s.io/apiserver pkg/storage/etcd3/metrics/metrics.go;
kubernetes PRs #99785, #110337, #113310, #118812, #132965; recorded scrapes in tests/fixtures/real/metrics/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .objects import EVENTS_ETCD_URL

if TYPE_CHECKING:
    from .served import Cluster


def metric_names(minor: int) -> dict[str, str | None]:
    """Which count and size metrics a 1.<minor> apiserver exposes (None = not exposed)."""
    if minor <= 18:
        size = None
    elif minor <= 25:
        size = "etcd_db_total_size_in_bytes"
    elif minor <= 27:
        size = "apiserver_storage_db_total_size_in_bytes"
    else:
        size = "apiserver_storage_size_bytes"
    return {
        # deprecated in 1.22 and gone from a real 1.23.0 scrape (DataDog integrations-core metrics_1.23.0.txt)
        "etcd_object_counts": "etcd_object_counts" if minor <= 22 else None,
        "apiserver_storage_objects": "apiserver_storage_objects" if minor >= 21 else None,
        "apiserver_resource_objects": "apiserver_resource_objects" if minor >= 34 else None,
        "db_size": size,
    }


def _gauge(lines: list[str], name: str, help_text: str, kind: str = "gauge") -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")


def render_metrics(cluster: Cluster, requests: int) -> str:
    """The /metrics body for ``cluster``; ``requests`` feeds the request counter."""
    spec = cluster.spec
    names = metric_names(cluster.minor)
    counts = cluster.counts()
    lines: list[str] = []
    _gauge(
        lines,
        "apiserver_current_inflight_requests",
        "[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind "
        "in last second.",
    )
    lines.append('apiserver_current_inflight_requests{request_kind="mutating"} 0')
    lines.append('apiserver_current_inflight_requests{request_kind="readOnly"} 1')
    _gauge(
        lines,
        "apiserver_request_total",
        "[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, "
        "resource, scope, component, and HTTP response code.",
        "counter",
    )
    lines.append(
        'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",'
        f'subresource="",verb="LIST",version="v1"}} {requests}'
    )
    _deprecated(lines, cluster)
    if names["etcd_object_counts"]:
        _gauge(
            lines,
            "etcd_object_counts",
            "[ALPHA] (Deprecated since 1.22.0) Number of stored objects at the time of last check split by kind.",
        )
        for key, value in counts.items():
            lines.append(f'etcd_object_counts{{resource="{key}"}} {value}')
    if names["apiserver_storage_objects"]:
        # The HELP text a 1.36 apiserver sends (elastic/beats metricbeat apiserver _meta/test/metrics.1.36).
        stability = (
            "(Deprecated since 1.34.0) [DEPRECATED, consider using apiserver_resource_objects instead] "
            if cluster.minor >= 34
            else ""
        )
        # The -1 sentence: absent from a real 1.23 scrape, present in 1.30 and 1.36 ones.
        minus_one = " In case of a fetching error, the value will be -1." if cluster.minor >= 30 else ""
        _gauge(
            lines,
            "apiserver_storage_objects",
            f"[STABLE] {stability}Number of stored objects at the time of last check split by kind.{minus_one}",
        )
        for key, value in counts.items():
            lines.append(f'apiserver_storage_objects{{resource="{key}"}} {value}')
    if names["apiserver_resource_objects"]:
        _gauge(
            lines,
            "apiserver_resource_objects",
            "[ALPHA] Number of stored objects at the time of last check split by kind. In case of a fetching "
            "error, the value will be -1.",
        )
        for key, value in counts.items():
            resource, _, group = key.partition(".")
            lines.append(f'apiserver_resource_objects{{group="{group}",resource="{resource}"}} {value}')
    size = names["db_size"]
    events = spec.events_etcd_db_size_bytes
    if size == "apiserver_storage_size_bytes":
        _gauge(lines, size, "[STABLE] Size of the storage database file physically allocated in bytes.")
        lines.append(f'{size}{{storage_cluster_id="etcd-0"}} {spec.etcd_db_size_bytes}')
        if events is not None:  # an --etcd-servers-overrides store is etcd-1 (kubernetes#118812)
            lines.append(f'{size}{{storage_cluster_id="etcd-1"}} {events}')
    elif size:
        _gauge(lines, size, "[ALPHA] Total size of the etcd database file physically allocated in bytes.")
        for endpoint in _etcd_endpoints(cluster):
            lines.append(f'{size}{{endpoint="{endpoint}"}} {spec.etcd_db_size_bytes}')
        if events is not None:
            lines.append(f'{size}{{endpoint="{_events_endpoint(cluster)}"}} {events}')
    _gauge(
        lines,
        "apiserver_flowcontrol_rejected_requests_total",
        "[BETA] Number of requests rejected by API Priority and Fairness subsystem",
        "counter",
    )
    lines.append(
        'apiserver_flowcontrol_rejected_requests_total{flow_schema="global-default",'
        'priority_level="global-default",reason="queue-full"} 0'
    )
    _request_histograms(lines, cluster, requests)
    _gauge(lines, "go_goroutines", "Number of goroutines that currently exist.")
    lines.append("go_goroutines 1874")
    _gauge(lines, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
    lines.append("process_start_time_seconds 1.71e+09")
    return "\n".join(lines) + "\n"


def _deprecated(lines: list[str], cluster: Cluster) -> None:
    """The spec's deprecated API requests: their ``apiserver_request_total`` series (LIST and WATCH), then
    ``apiserver_requested_deprecated_apis`` at 1 for each. A real apiserver sets the gauge when it serves a
    deprecated version (k8s.io/apiserver pkg/endpoints/metrics/metrics.go) and exposes no series until one is
    requested; the lines read as the recorded scrapes in tests/fixtures/real/apiserver_metrics_deprecated_*.txt.
    """
    uses = cluster.spec.deprecated_api_requests
    if not uses:
        return
    for use in uses:
        watches = use.requests // 3
        for verb, count in (("LIST", use.requests - watches), ("WATCH", watches)):
            if count:
                lines.append(
                    f'apiserver_request_total{{code="200",component="apiserver",dry_run="",group="{use.group}",'
                    f'resource="{use.resource}",scope="cluster",subresource="{use.subresource}",verb="{verb}",'
                    f'version="{use.version}"}} {count}'
                )
    # [STABLE] as the recordings from 1.28 clusters show; older apiservers sent [ALPHA], and the minor of the
    # promotion is not pinned by a recording here.
    stability = "[STABLE]" if cluster.minor >= 28 else "[ALPHA]"
    _gauge(
        lines,
        "apiserver_requested_deprecated_apis",
        f"{stability} Gauge of deprecated APIs that have been requested, broken out by API group, version, "
        "resource, subresource, and removed_release.",
    )
    for use in sorted(uses, key=lambda u: (u.group, u.version, u.resource, u.subresource)):
        lines.append(
            f'apiserver_requested_deprecated_apis{{group="{use.group}",removed_release="{use.removed_release}",'
            f'resource="{use.resource}",subresource="{use.subresource}",version="{use.version}"}} 1'
        )


def _events_endpoint(cluster: Cluster) -> str:
    return EVENTS_ETCD_URL if cluster.spec.platform == "self-hosted" else "https://10.0.0.20:2379"


def _etcd_endpoints(cluster: Cluster) -> list[str]:
    if cluster.spec.platform == "self-hosted":
        return ["https://127.0.0.1:2379"]
    return ["https://10.0.0.10:2379", "https://10.0.0.11:2379", "https://10.0.0.12:2379"]


# Bucket edges of apiserver_request_sli_duration_seconds and apiserver_response_sizes as a 1.36 apiserver sends them
# (elastic/beats metricbeat apiserver _meta/test/metrics.1.36).
SLI_BUCKETS = ("0.05", "0.1", "0.2", "0.4", "0.6", "0.8", "1", "1.25", "1.5", "2", "3", "4", "5", "6", "8", "10",
               "15", "20", "30", "45", "60", "+Inf")  # fmt: skip
SIZE_BUCKETS = ("1000", "10000", "100000", "1e+06", "1e+07", "1e+08", "1e+09", "+Inf")


def _request_histograms(lines: list[str], cluster: Cluster, requests: int) -> None:
    """The per-resource request histograms that make most of a real scrape's size (megabytes on a busy cluster)."""
    _gauge(
        lines,
        "apiserver_request_sli_duration_seconds",
        "[STABLE] Response latency distribution (not counting webhook duration and priority & fairness queue wait "
        "times) in seconds for each verb, group, version, resource, subresource, scope and component.",
        "histogram",
    )
    sized: list[tuple[str, int]] = []
    for key, collection in sorted(cluster.collections.items()):
        r = collection.resource
        for verb, scope in (("LIST", "cluster"), ("WATCH", "cluster"), ("GET", "resource")):
            labels = (
                f'component="apiserver",group="{r.group}",resource="{r.plural}",scope="{scope}",subresource="",'
                f'verb="{verb}",version="{r.version}"'
            )
            calls = 1 + (collection.count + len(key)) % 97
            for le in SLI_BUCKETS:
                lines.append(f'apiserver_request_sli_duration_seconds_bucket{{{labels},le="{le}"}} {calls}')
            lines.append(f"apiserver_request_sli_duration_seconds_sum{{{labels}}} {calls * 0.0021:.6f}")
            lines.append(f"apiserver_request_sli_duration_seconds_count{{{labels}}} {calls}")
            sized.append((labels, calls))
    _gauge(
        lines,
        "apiserver_response_sizes",
        "[STABLE] Response size distribution in bytes for each group, version, verb, resource, subresource, scope "
        "and component.",
        "histogram",
    )
    for labels, calls in sized:
        for le in SIZE_BUCKETS:
            lines.append(f'apiserver_response_sizes_bucket{{{labels},le="{le}"}} {calls}')
        lines.append(f"apiserver_response_sizes_sum{{{labels}}} {calls * 4096}")
        lines.append(f"apiserver_response_sizes_count{{{labels}}} {calls}")
