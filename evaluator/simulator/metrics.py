"""The apiserver's /metrics text, with metric names as the spec's Kubernetes version would expose them.

Object counts: ``etcd_object_counts`` (removed in 1.25), ``apiserver_storage_objects`` (1.21+, deprecated in
1.34), ``apiserver_resource_objects{group,resource}`` (1.34+). DB size: ``etcd_db_total_size_in_bytes``
(1.19-1.25), ``apiserver_storage_db_total_size_in_bytes`` (1.26-1.27), ``apiserver_storage_size_bytes``
(1.28+). Sources: k8s.io/apiserver pkg/storage/etcd3/metrics/metrics.go; kubernetes PRs #99785, #110337,
#113310, #118812, #132965.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        "etcd_object_counts": "etcd_object_counts" if minor <= 24 else None,
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
    if names["etcd_object_counts"]:
        _gauge(
            lines,
            "etcd_object_counts",
            "[ALPHA] (Deprecated since 1.22.0) Number of stored objects at the time of last check split by kind.",
        )
        for key, value in counts.items():
            lines.append(f'etcd_object_counts{{resource="{key}"}} {value}')
    if names["apiserver_storage_objects"]:
        stability = "(Deprecated since 1.34.0) " if cluster.minor >= 34 else ""
        _gauge(
            lines,
            "apiserver_storage_objects",
            f"[STABLE] {stability}Number of stored objects at the time of last check split by kind. In case of "
            "a fetching error, the value will be -1.",
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
    if size == "apiserver_storage_size_bytes":
        _gauge(lines, size, "[STABLE] Size of the storage database file physically allocated in bytes.")
        lines.append(f'{size}{{storage_cluster_id="etcd-0"}} {spec.etcd_db_size_bytes}')
    elif size:
        _gauge(lines, size, "[ALPHA] Total size of the etcd database file physically allocated in bytes.")
        for endpoint in _etcd_endpoints(cluster):
            lines.append(f'{size}{{endpoint="{endpoint}"}} {spec.etcd_db_size_bytes}')
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
    _gauge(lines, "go_goroutines", "Number of goroutines that currently exist.")
    lines.append("go_goroutines 1874")
    _gauge(lines, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
    lines.append("process_start_time_seconds 1.71e+09")
    return "\n".join(lines) + "\n"


def _etcd_endpoints(cluster: Cluster) -> list[str]:
    if cluster.spec.platform == "self-hosted":
        return ["https://127.0.0.1:2379"]
    return ["https://10.0.0.10:2379", "https://10.0.0.11:2379", "https://10.0.0.12:2379"]
