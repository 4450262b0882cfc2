"""The Prometheus collector: months of history from the monitoring a team already runs, one snapshot per step.

It reads the Prometheus HTTP API (``/api/v1/labels``, ``/api/v1/label/<name>/values``, ``/api/v1/series``,
``/api/v1/query_range``; Thanos and Mimir serve the same API) with ``requests``, and turns the apiserver,
etcd and kube-state-metrics series into ``k8seval/inventory/v1`` snapshots, one per cluster per step. A fact
without a sample at a step is a gap at that step, never a zero.

Metric names by source:
- object counts: ``apiserver_resource_objects{group,resource}`` (1.34+), ``apiserver_storage_objects{resource}``
  (1.21+), ``etcd_object_counts{resource}`` (up to 1.24); -1 means the apiserver could not count.
- etcd size: ``etcd_mvcc_db_total_size_in_bytes`` / ``..._in_use_in_bytes`` and
  ``etcd_server_quota_backend_bytes`` where etcd itself is scraped, else the apiserver's
  ``apiserver_storage_size_bytes`` (1.28+), ``apiserver_storage_db_total_size_in_bytes`` (1.26-1.27),
  ``etcd_db_total_size_in_bytes`` (1.19-1.25).
- deprecated API versions requested: ``apiserver_requested_deprecated_apis{group,version,resource,subresource,
  removed_release}`` (1 once requested since that apiserver started), with ``apiserver_request_total`` summed
  over the same group/version/resource/subresource for the request counts.
- kube-state-metrics: ``kube_node_info``, ``kube_node_status_allocatable{resource="pods"}``, ``kube_pod_info``
  with ``kube_pod_status_phase``, ``kube_namespace_created``, ``kube_networkpolicy_*``, ``kube_service_*``,
  ``kube_endpoint_address`` (or ``kube_endpoint_address_available`` before kube-state-metrics 2.x), and
  ``kube_pod_container_resource_requests`` (2.x) summed over running pods for ``pod_requests``.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..errors import AccessDenied, AuthError, CollectorError, EndpointError, InputError
from ..inventory import (
    PLATFORMS,
    ClusterInfo,
    CollectionInfo,
    DeprecatedApiUse,
    EtcdInventory,
    Gap,
    NetworkPolicyInventory,
    NodeInventory,
    PodRequests,
    ServiceInventory,
    Snapshot,
    Stats,
)
from .retry import retry_after_header

SOURCE = "prometheus"
# etcd database size, in order of preference: etcd's own (3.4+, then 3.3), then the apiserver's by version
ETCD_SIZE_METRICS = (
    "etcd_mvcc_db_total_size_in_bytes",
    "etcd_debugging_mvcc_db_total_size_in_bytes",
    "apiserver_storage_size_bytes",
    "apiserver_storage_db_total_size_in_bytes",
    "etcd_db_total_size_in_bytes",
)
MAX_STEPS = 1000  # snapshots per cluster one run may write; more is refused before any query
MAX_SERIES = 2000  # series one query may return; a query that would return more is split by cluster
MAX_THROTTLED = 6  # 429/503 answers honoured per request
MAX_THROTTLE_WAIT = 60.0  # seconds one request may spend waiting on Retry-After
MAX_TRANSPORT_ATTEMPTS = 3

_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}

# Facts Prometheus's usual series do not carry: a gap on every snapshot, so scoring says why they are unknown.
NOT_IN_PROMETHEUS = (
    "webhooks",
    "control_plane",
    "networking",
    "containers",
    "nodes.by_pool",
    "nodes.by_instance_type",
    "nodes.by_zone",
    "network_policies.peers",
    "network_policies.ports",
    "network_policies.ip_blocks",
)
_NOT_IN_REASON = (
    "not in the apiserver, etcd or kube-state-metrics series read from Prometheus; merge a collect kube snapshot for it"
)


class QueryError(CollectorError):
    """The server refused a query (bad PromQL, a limit): the message carries the PromQL and the server's words."""


def parse_duration(text: str, flag: str) -> float:
    """Seconds in a Prometheus duration (``180d``, ``1d``, ``6h``, ``30m``); InputError naming ``flag`` otherwise."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise InputError(f"{flag}: expected a duration such as 180d, 12h or 30m, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def plan_steps(range_seconds: float, step_seconds: float, end: float | None = None) -> list[float]:
    """The step times (UNIX seconds) of ``range_seconds`` ending at ``end`` (default now, floored to the step).

    ``180d`` at ``1d`` gives 180 steps; more than :data:`MAX_STEPS` is refused (InputError) before any query.
    """
    if step_seconds > range_seconds:
        raise InputError(f"--step: {step_seconds:g}s is longer than --range {range_seconds:g}s")
    count = int(range_seconds // step_seconds)
    if count > MAX_STEPS:
        raise InputError(
            f"--range/--step: {count} steps per cluster; at most {MAX_STEPS} snapshots per cluster are written "
            "in one run. Use a longer --step or a shorter --range"
        )
    if end is None:
        end = math.floor(time.time() / step_seconds) * step_seconds
    return [end - (count - 1 - i) * step_seconds for i in range(count)]


@dataclass(frozen=True)
class PrometheusAuth:
    """How to authenticate and connect: at most one of a bearer token file or basic auth, plus TLS and headers."""

    bearer_token_file: str | None = None
    basic_auth: tuple[str, str] | None = None  # (user, password)
    cert: str | None = None  # client certificate (PEM)
    key: str | None = None  # its private key
    cacert: str | None = None  # CA bundle for the server's certificate
    headers: dict[str, str] = field(default_factory=dict)  # e.g. X-Scope-OrgID for Mimir tenants


class PrometheusClient:
    """GETs and POSTs against one Prometheus-compatible API, shared safely by worker threads.

    Honours 429 and 503 with Retry-After (bounded), retries transport errors a few times, counts requests.
    """

    def __init__(
        self,
        url: str,
        auth: PrometheusAuth | None = None,
        *,
        timeout: float = 120.0,  # Prometheus's own default query timeout is 2 minutes
        concurrency: int = 4,
        session: requests.Session | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        if urlsplit(self.url).scheme not in ("http", "https") or not urlsplit(self.url).netloc:
            raise InputError(f"--url: expected an http(s) URL such as http://prometheus:9090, got {url!r}")
        auth = auth or PrometheusAuth()
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=self.concurrency + 2, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": f"k8seval/{__version__}"})
        self.session.headers.update(auth.headers)
        if auth.bearer_token_file and auth.basic_auth:
            raise InputError("--bearer-token-file and --basic-auth: pass one of them, not both")
        if auth.bearer_token_file:
            self.session.headers["Authorization"] = f"Bearer {_read_token(auth.bearer_token_file)}"
        elif auth.basic_auth:
            self.session.auth = auth.basic_auth
        # Passed on every request: requests lets $REQUESTS_CA_BUNDLE override a session's own verify setting.
        self.cert: str | tuple[str, str] | None = (auth.cert, auth.key) if auth.cert and auth.key else auth.cert
        self.verify: str | bool = auth.cacert or True
        self._lock = threading.Lock()
        self.requests = 0  # HTTP requests sent, retries included
        self.queries = 0  # query_range calls
        self.retries = 0

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def call(self, path: str, params: Sequence[tuple[str, str]], *, promql: str | None = None) -> Any:
        """Send one API call (POST form for queries and series, GET otherwise) and return ``data``.

        Raises :class:`EndpointError` (unreachable, not a Prometheus API), :class:`AuthError` (401),
        :class:`AccessDenied` (403) or :class:`QueryError` (the server's error for ``promql``).
        """
        method = "POST" if path in ("/api/v1/query_range", "/api/v1/series") else "GET"
        waited = 0.0
        throttled = broken = 0
        while True:
            with self._lock:
                self.requests += 1
            try:
                resp = self.session.request(
                    method,
                    self.url + path,
                    **({"data": list(params)} if method == "POST" else {"params": list(params)}),
                    timeout=self.timeout,
                    verify=self.verify,
                    cert=self.cert,
                )
            except requests.exceptions.SSLError as exc:
                raise EndpointError(
                    f"TLS failure talking to {self.url}: {_ssl_reason(exc)}",
                    hint="Pass --cacert with the CA that signed the server's certificate (or --cert/--key)",
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                broken += 1
                text = str(exc).lower()
                if isinstance(exc, requests.exceptions.Timeout):
                    what = f"no answer within {self.timeout:g}s"  # the same query would time out again
                elif "refused" in text:
                    what = "connection refused"
                elif "resolve" in text or "name or service" in text:
                    what = "host name not found"
                else:
                    what = "connection failed"  # a reset or a dropped connection: retried a few times
                if broken >= MAX_TRANSPORT_ATTEMPTS or what != "connection failed":
                    raise EndpointError(
                        f"Could not reach Prometheus at {self.url}: {what}",
                        hint="Check --url (the server's base URL, e.g. http://prometheus:9090) and --timeout",
                    ) from None
                self._retried()
                time.sleep(0.2 * broken)
                continue
            if resp.status_code in (429, 503):
                throttled += 1
                delay = _retry_after(resp.headers.get("Retry-After"))
                if throttled <= MAX_THROTTLED and waited + delay <= MAX_THROTTLE_WAIT:
                    waited += delay
                    self._retried()
                    time.sleep(delay)
                    continue
                raise EndpointError(
                    f"{self.url} kept answering {resp.status_code} to {path} "
                    f"({throttled} times, {waited:.0f} s waited)",
                    hint="The server is overloaded or rate-limiting; retry later or lower --concurrency",
                )
            return self._decode(resp, path, promql)

    def _retried(self) -> None:
        with self._lock:
            self.retries += 1

    def _decode(self, resp: requests.Response, path: str, promql: str | None) -> Any:
        if resp.status_code == 401:
            raise AuthError(
                f"{self.url} refused the credentials (401 Unauthorized on {path})",
                hint="Check --bearer-token-file or --basic-auth",
            )
        if resp.status_code == 403:
            raise AccessDenied(
                f"{self.url} denied access (403 Forbidden on {path})",
                hint="The credentials are valid but may not read this tenant; check the token's scope or --header",
            )
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
            kind = (resp.headers.get("Content-Type") or "no content type").split(";")[0]
            raise EndpointError(
                f"{self.url} is not a Prometheus API: {path} answered {resp.status_code} with {kind}",
                hint="Pass the server's base URL (the one that serves /api/v1/query), without /graph or /api/v1",
            )
        if body["status"] == "error" or resp.status_code >= 400:
            message = _one_line(f"{body.get('errorType') or resp.status_code}: {body.get('error') or 'error'}")
            if promql is not None:
                raise QueryError(f"Prometheus refused the query {promql}: {message}")
            raise EndpointError(f"{self.url}{path}: {message}")
        return body.get("data")

    # -- the API calls k8seval uses -------------------------------------------------------------------

    def labels(self, start: float, end: float) -> list[str]:
        """``/api/v1/labels``: label names in the range (the first call: it also proves this is the API)."""
        data = self.call("/api/v1/labels", [("start", _ts(start)), ("end", _ts(end))])
        return [str(x) for x in data or []]

    def label_values(self, name: str, start: float, end: float, match: Sequence[str] = ()) -> list[str]:
        """``/api/v1/label/<name>/values`` in the range, optionally for series matching ``match``."""
        params = [("start", _ts(start)), ("end", _ts(end))] + [("match[]", m) for m in match]
        data = self.call(f"/api/v1/label/{name}/values", params)
        return sorted(str(x) for x in data or [])

    def series(self, match: str, start: float, end: float) -> list[dict[str, str]]:
        """``/api/v1/series``: the label sets of the series matching ``match`` in the range."""
        data = self.call("/api/v1/series", [("match[]", match), ("start", _ts(start)), ("end", _ts(end))])
        return [dict(x) for x in data or []]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """``/api/v1/query_range``: the matrix ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``."""
        with self._lock:
            self.queries += 1
        data = self.call(
            "/api/v1/query_range",
            [("query", promql), ("start", _ts(start)), ("end", _ts(end)), ("step", f"{step:g}")],
            promql=promql,
        )
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise QueryError(f"Prometheus answered the query {promql} with no matrix")
        return list(data.get("result") or [])


def _read_token(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            token = fh.read().strip()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the bearer token file: {exc.strerror or exc}") from None
    if not token:
        raise InputError(f"{path}: the bearer token file is empty")
    return token


def _retry_after(value: str | None) -> float:
    seconds = retry_after_header(value)
    return 1.0 if seconds is None else seconds


def _ssl_reason(exc: BaseException) -> str:
    """The OpenSSL reason inside requests' nested error text, e.g. ``certificate verify failed: ...``."""
    text = str(exc)
    match = re.search(r"\[SSL: [A-Z0-9_]+\] ([^()]+?)(?: \(_ssl|\)|$)", text) or re.search(
        r"\[SSL\] ([^()]+?)(?: \(_ssl|\)|$)", text
    )
    return _one_line(match.group(1)) if match else _one_line(text)[:200]


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _ts(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------------------- the queries


@dataclass(frozen=True)
class _Query:
    """One PromQL expression per cluster chunk; ``by`` are the output labels beyond the cluster label."""

    key: str
    needs: tuple[str, ...]  # metric names that must exist in the range for the query to be sent
    build: Callable[[Callable[..., str], Callable[..., str]], str]  # (sel, by) -> PromQL
    by: tuple[str, ...] = ()
    per_cluster_series: str | None = None  # metric whose series count (per cluster) sizes the output


def _agg(
    fn: str, metric: str, extra: str = "", *labels: str
) -> Callable[[Callable[..., str], Callable[..., str]], str]:
    return lambda sel, by: f"{fn} by ({by(*labels)}) ({metric}{sel(extra)})"


PODS = 'resource="pods"'


def _ADDRESSES(sel: Callable[..., str], by: Callable[..., str]) -> str:  # noqa: N802 - reads as a constant
    """One series per endpoint address: kube_endpoint_address has a series per address and port, ready or not
    (kube-state-metrics internal/store/endpoint_test.go)."""
    return f"group by ({by('namespace', 'endpoint', 'ip')}) (kube_endpoint_address{sel()})"


ON_NODE = 'node!=""'
API_LABELS = ("group", "version", "resource", "subresource")
DEPRECATED = "apiserver_requested_deprecated_apis"
NON_TERMINAL = 'phase=~"Pending|Running|Unknown"'
_QUERIES: tuple[_Query, ...] = (
    # object counts, newest name first
    _Query(
        "objects:resource_objects",
        ("apiserver_resource_objects",),
        lambda sel, by: f"max by ({by('group', 'resource')}) (apiserver_resource_objects{sel()})",
        ("group", "resource"),
        "apiserver_resource_objects",
    ),
    _Query(
        "objects:storage_objects",
        ("apiserver_storage_objects",),
        lambda sel, by: f"max by ({by('resource')}) (apiserver_storage_objects{sel()})",
        ("resource",),
        "apiserver_storage_objects",
    ),
    _Query(
        "objects:etcd_object_counts",
        ("etcd_object_counts",),
        lambda sel, by: f"max by ({by('resource')}) (etcd_object_counts{sel()})",
        ("resource",),
        "etcd_object_counts",
    ),
    # etcd size: etcd's own series, then the apiserver's by version
    _Query(
        "etcd:etcd_mvcc_db_total_size_in_bytes",
        ("etcd_mvcc_db_total_size_in_bytes",),
        _agg("max", "etcd_mvcc_db_total_size_in_bytes"),
    ),
    _Query(
        "etcd:etcd_debugging_mvcc_db_total_size_in_bytes",
        ("etcd_debugging_mvcc_db_total_size_in_bytes",),
        _agg("max", "etcd_debugging_mvcc_db_total_size_in_bytes"),
    ),
    _Query(
        "etcd:etcd_mvcc_db_total_size_in_use_in_bytes",
        ("etcd_mvcc_db_total_size_in_use_in_bytes",),
        _agg("max", "etcd_mvcc_db_total_size_in_use_in_bytes"),
    ),
    _Query(
        "etcd:etcd_server_quota_backend_bytes",
        ("etcd_server_quota_backend_bytes",),
        _agg("max", "etcd_server_quota_backend_bytes"),
    ),
    _Query(
        "etcd:apiserver_storage_size_bytes",
        ("apiserver_storage_size_bytes",),
        _agg("max", "apiserver_storage_size_bytes"),
    ),
    _Query(
        "etcd:apiserver_storage_db_total_size_in_bytes",
        ("apiserver_storage_db_total_size_in_bytes",),
        _agg("max", "apiserver_storage_db_total_size_in_bytes"),
    ),
    _Query(
        "etcd:etcd_db_total_size_in_bytes", ("etcd_db_total_size_in_bytes",), _agg("max", "etcd_db_total_size_in_bytes")
    ),
    # the apiserver's version: kubernetes_build_info of the targets that also expose apiserver_request_total
    _Query(
        "version",
        ("kubernetes_build_info", "apiserver_request_total"),
        lambda sel, by: (
            f"count by ({by('git_version')}) (kubernetes_build_info{sel()} and on ({by('job', 'instance')}) "
            f"group by ({by('job', 'instance')}) (apiserver_request_total{sel()}))"
        ),
        ("git_version",),
    ),
    # deprecated API versions requested, and their requests (one series per apiserver; summed over them)
    _Query(
        "deprecated",
        (DEPRECATED,),
        lambda sel, by: f"max by ({by(*API_LABELS, 'removed_release')}) ({DEPRECATED}{sel()})",
        (*API_LABELS, "removed_release"),
        DEPRECATED,
    ),
    _Query(
        "deprecated.requests",
        (DEPRECATED, "apiserver_request_total"),
        lambda sel, by: (
            f"sum by ({by(*API_LABELS)}) (apiserver_request_total{sel()} "
            f"and on ({by(*API_LABELS)}) ({DEPRECATED}{sel()} > 0))"
        ),
        API_LABELS,
        DEPRECATED,
    ),
    # kube-state-metrics
    _Query("nodes.count", ("kube_node_info",), _agg("count", "kube_node_info")),
    _Query("pods.count", ("kube_pod_info",), _agg("count", "kube_pod_info")),
    _Query("namespaces", ("kube_namespace_created",), _agg("count", "kube_namespace_created")),
    _Query("netpol.count", ("kube_networkpolicy_created",), _agg("count", "kube_networkpolicy_created")),
    _Query(
        "netpol.max_per_namespace",
        ("kube_networkpolicy_created",),
        lambda sel, by: f"max by ({by()}) (count by ({by('namespace')}) (kube_networkpolicy_created{sel()}))",
    ),
    _Query(
        "netpol.namespaces_with_policies",
        ("kube_networkpolicy_created",),
        lambda sel, by: f"count by ({by()}) (count by ({by('namespace')}) (kube_networkpolicy_created{sel()}))",
    ),
    _Query(
        "netpol.ingress_rules",
        ("kube_networkpolicy_spec_ingress_rules",),
        _agg("sum", "kube_networkpolicy_spec_ingress_rules"),
    ),
    _Query(
        "netpol.egress_rules",
        ("kube_networkpolicy_spec_egress_rules",),
        _agg("sum", "kube_networkpolicy_spec_egress_rules"),
    ),
    _Query("services.count", ("kube_service_info",), _agg("count", "kube_service_info")),
    _Query(
        "services.max_per_namespace",
        ("kube_service_info",),
        lambda sel, by: f"max by ({by()}) (count by ({by('namespace')}) (kube_service_info{sel()}))",
    ),
    _Query(
        "services.by_type",
        ("kube_service_spec_type",),
        lambda sel, by: f"count by ({by('type')}) (kube_service_spec_type{sel()})",
        ("type",),
    ),
    _Query(
        "endpoints.max",
        ("kube_endpoint_address",),
        lambda sel, by: f"max by ({by()}) (count by ({by('namespace', 'endpoint')}) ({_ADDRESSES(sel, by)}))",
    ),
    _Query(
        "endpoints.total",
        ("kube_endpoint_address",),
        lambda sel, by: f"count by ({by()}) ({_ADDRESSES(sel, by)})",
    ),
    _Query("endpoints_v1.max", ("kube_endpoint_address_available",), _agg("max", "kube_endpoint_address_available")),
    _Query("endpoints_v1.total", ("kube_endpoint_address_available",), _agg("sum", "kube_endpoint_address_available")),
)


def _pods_on_each_node(with_phase: bool) -> Callable[[Callable[..., str], Callable[..., str]], str]:
    """PromQL for one series per node (from ``kube_node_info``, so a node without pods is 0): its non-terminal
    pods (every pod with a node when ``kube_pod_status_phase`` is not scraped)."""

    def per_node(sel: Callable[..., str], by: Callable[..., str]) -> str:
        pods = f"kube_pod_info{sel(ON_NODE)}"
        if with_phase:
            pods = f"({pods} and on ({by('namespace', 'pod')}) (kube_pod_status_phase{sel(NON_TERMINAL)} == 1))"
        return (
            f"(count by ({by('node')}) ({pods}) or on ({by('node')}) "
            f"(0 * group by ({by('node')}) (kube_node_info{sel()})))"
        )

    return per_node


def _pods_needs(with_phase: bool) -> tuple[str, ...]:
    return ("kube_pod_info", "kube_node_info") + (("kube_pod_status_phase",) if with_phase else ())


def _summary_queries(with_phase: bool) -> list[_Query]:
    """max/mean/min/p95 over nodes summarised by PromQL, for clusters with more nodes than a query may return."""
    per_node = _pods_on_each_node(with_phase)
    needs = _pods_needs(with_phase)
    alloc = "kube_node_status_allocatable"
    return [
        _Query("ppn:max", needs, lambda s, b: f"max by ({b()}) ({per_node(s, b)})"),
        _Query("ppn:mean", needs, lambda s, b: f"avg by ({b()}) ({per_node(s, b)})"),
        _Query("ppn:min", needs, lambda s, b: f"min by ({b()}) ({per_node(s, b)})"),
        _Query("ppn:p95", needs, lambda s, b: f"quantile by ({b()}) (0.95, {per_node(s, b)})"),
        _Query("alloc:max", (alloc,), _agg("max", alloc, PODS)),
        _Query("alloc:mean", (alloc,), _agg("avg", alloc, PODS)),
        _Query("alloc:min", (alloc,), _agg("min", alloc, PODS)),
        _Query("alloc:p95", (alloc,), lambda s, b: f"quantile by ({b()}) (0.95, {alloc}{s(PODS)})"),
    ]


def _per_node_queries(with_phase: bool) -> list[_Query]:
    """One series per node: non-terminal pods on it (0 when none) and its allocatable pods."""
    alloc = "kube_node_status_allocatable"
    return [
        _Query("nodes:pods", _pods_needs(with_phase), _pods_on_each_node(with_phase), ("node",)),
        _Query("nodes:allocatable", (alloc,), _agg("max", alloc, PODS, "node"), ("node",)),
    ]


REQUESTS = "kube_pod_container_resource_requests"
RUNNING = 'phase="Running"'


def _request_queries(with_phase: bool) -> list[_Query]:
    """CPU cores and memory bytes requested by the containers of running pods, one sum per cluster (every pod
    with a node when ``kube_pod_status_phase`` is not scraped): what GKE Autopilot bills."""

    def summed(resource: str) -> Callable[[Callable[..., str], Callable[..., str]], str]:
        def build(sel: Callable[..., str], by: Callable[..., str]) -> str:
            matcher = f'resource="{resource}"'
            if not with_phase:
                return f"sum by ({by()}) ({REQUESTS}{sel(matcher, ON_NODE)})"
            running = f"kube_pod_status_phase{sel(RUNNING)} == 1"
            return f"sum by ({by()}) ({REQUESTS}{sel(matcher)} and on ({by('namespace', 'pod')}) ({running}))"

        return build

    needs = (REQUESTS, "kube_pod_status_phase") if with_phase else (REQUESTS,)
    return [_Query("requests.cpu", needs, summed("cpu")), _Query("requests.memory", needs, summed("memory"))]


def quantile(q: float, values: Sequence[float]) -> float:
    """PromQL's ``quantile``: linear interpolation between the closest ranks (rank = q x (n - 1))."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _summarise_nodes(results: dict[str, Matrix], steps: int) -> None:
    """max/mean/p95/min per cluster and step from the per-node matrices, as the PromQL summaries would be."""
    for source, prefix in (("nodes:pods", "ppn"), ("nodes:allocatable", "alloc")):
        for cluster, rows in results.pop(source, {}).items():
            for i in range(steps):
                values = [row[i] for row in rows.values() if i in row]
                if not values:
                    continue
                stats = {
                    "max": max(values),
                    "mean": sum(values) / len(values),
                    "p95": quantile(0.95, values),
                    "min": min(values),
                }
                for part, value in stats.items():
                    results.setdefault(f"{prefix}:{part}", {}).setdefault(cluster, {}).setdefault((), {})[i] = value


# ------------------------------------------------------------------------------------- the collection


Matrix = dict[str, dict[tuple[str, ...], dict[int, float]]]  # cluster -> output labels -> step index -> value


@dataclass(frozen=True)
class PrometheusHistory:
    """What one run collected: the snapshots (cluster by cluster, step by step) and how it went."""

    snapshots: list[Snapshot]
    clusters: list[str]
    steps: list[float]
    requests: int
    queries: int
    duration_seconds: float
    missing_metrics: list[str]


def collect_prometheus(
    client: PrometheusClient,
    steps: Sequence[float],
    *,
    cluster_label: str | None = None,
    name: str | None = None,
    platform: str | None = None,
    clusters: Sequence[str] = (),
    identities: Mapping[str, ClusterInfo] | None = None,
    max_series: int = MAX_SERIES,
) -> PrometheusHistory:
    """Collect one snapshot per step (UNIX seconds, evenly spaced) per cluster from ``client``'s server.

    With ``cluster_label`` every value of that label is a cluster (``clusters`` narrows them); without it the
    whole server is one cluster named ``name`` (default: the URL's host). ``identities`` maps a cluster (by
    label value) to the :class:`ClusterInfo` of a snapshot of the same cluster from another collector, so both
    form one history. Raises :class:`CollectorError` subclasses when the server cannot be read.
    """
    began = time.monotonic()
    if len(steps) > MAX_STEPS:
        raise InputError(f"{len(steps)} steps: at most {MAX_STEPS} snapshots per cluster in one run")
    if platform is not None and platform not in PLATFORMS:
        raise InputError(f"--platform: expected one of {', '.join(PLATFORMS)}, got {platform!r}")
    start, end = steps[0], steps[-1]
    step = steps[1] - steps[0] if len(steps) > 1 else 60.0
    labels = client.labels(start - step, end)  # first call: proves the URL is a Prometheus API
    names = set(client.label_values("__name__", start - step, end))
    if cluster_label:
        if cluster_label not in labels:
            raise InputError(
                f"--cluster-label: no series on {client.url} carry the label {cluster_label!r} in the range; "
                f"labels there: {', '.join(sorted(labels)[:12])}"
            )
        found = client.label_values(cluster_label, start - step, end)
        wanted = list(clusters) or found
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise InputError(
                f"--cluster: {', '.join(unknown)}: no series with {cluster_label}= that value in the range"
            )
        cluster_names = wanted
    else:
        cluster_names = [name or urlsplit(client.url).hostname or "prometheus"]
    with_phase = "kube_pod_status_phase" in names
    ppn = _summary_queries(with_phase)
    per_node = _per_node_queries(with_phase)
    pod_requests = _request_queries(with_phase)
    every = (*_QUERIES, *ppn, *per_node, *pod_requests)
    missing = sorted({m for q in every for m in q.needs if m not in names})
    queries = [q for q in (*_QUERIES, *pod_requests) if all(m in names for m in q.needs)]
    if any(q.key.startswith("objects:") for q in queries):
        queries = [q for q in queries if q.key != "pods.count"]  # the apiserver counts pods; no need to read them all
    by = _by(cluster_label)

    def run(task: tuple[_Query, list[str]]) -> tuple[str, Matrix]:
        q, chunk = task
        promql = q.build(_selector(cluster_label, chunk), by)
        result = client.query_range(promql, start, end, step)
        return q.key, _to_matrix(result, cluster_label, cluster_names[0], q.by, start, step)

    results: dict[str, Matrix] = {}

    def send(tasks: list[tuple[_Query, list[str]]]) -> None:
        with ThreadPoolExecutor(max_workers=client.concurrency) as pool:
            for key, matrix in pool.map(run, tasks):
                into = results.setdefault(key, {})
                for cluster, rows in matrix.items():
                    into.setdefault(cluster, {}).update(rows)

    # First the node counts: they size the per-node queries that follow.
    node_query = [q for q in queries if q.key == "nodes.count"]
    send([(q, chunk) for q in node_query for chunk in _chunks(cluster_names, {}, max_series, cluster_label)])
    sizes = _series_per_cluster(client, queries, cluster_label, cluster_names, start - step, end)
    nodes_max = {
        c: int(max((v for row in results.get("nodes.count", {}).get(c, {}).values() for v in row.values()), default=0))
        for c in cluster_names
    }
    tasks: list[tuple[_Query, list[str]]] = []
    for q in queries:
        if q.key == "nodes.count":
            continue
        per_cluster = {c: sizes.get((q.per_cluster_series, c), 1) if q.per_cluster_series else 1 for c in cluster_names}
        for chunk in _chunks(cluster_names, per_cluster, max_series, cluster_label):
            tasks.append((q, chunk))
    # Pods per node and allocatable pods: one series per node, summarised here (the pod series are read once,
    # not once per statistic), except for clusters with more nodes than a query may return: PromQL summarises.
    small = [c for c in cluster_names if 0 < nodes_max[c] <= max_series]
    large = [c for c in cluster_names if nodes_max[c] > max_series]
    for q in per_node:
        if small and all(m in names for m in q.needs):
            tasks += [(q, chunk) for chunk in _chunks(small, nodes_max, max_series, cluster_label)]
    for q in ppn:
        if large and all(m in names for m in q.needs):
            tasks += [(q, [c]) for c in large]
    send(tasks)
    _summarise_nodes(results, len(steps))

    duration = round(time.monotonic() - began, 3)
    collection = CollectionInfo(
        collectors=[SOURCE], tool_version=__version__, duration_seconds=duration, requests=client.requests
    )
    snapshots = []
    for cluster in cluster_names:
        identity = (identities or {}).get(cluster)
        for i, t in enumerate(steps):
            snapshots.append(_snapshot(results, cluster, i, t, names, identity, platform, collection, client.url))
    return PrometheusHistory(
        snapshots=snapshots,
        clusters=list(cluster_names),
        steps=list(steps),
        requests=client.requests,
        queries=client.queries,
        duration_seconds=duration,
        missing_metrics=missing,
    )


def _selector(cluster_label: str | None, chunk: Sequence[str]) -> Callable[..., str]:
    """``sel(*matchers)``: a ``{...}`` selector with the chunk's cluster matcher and any extra matchers."""
    own: list[str] = []
    if cluster_label:
        if len(chunk) == 1:
            own.append(f"{cluster_label}={_quote(chunk[0])}")
        else:
            own.append(f"{cluster_label}=~{_quote('|'.join(re.escape(c) for c in chunk))}")

    def sel(*extra: str) -> str:
        parts = own + [e for e in extra if e]
        return "{" + ",".join(parts) + "}" if parts else ""

    return sel


def _by(cluster_label: str | None) -> Callable[..., str]:
    def by(*extra: str) -> str:
        return ", ".join(([cluster_label] if cluster_label else []) + list(extra))

    return by


def _quote(value: str) -> str:
    return json.dumps(value)  # a PromQL string literal takes Go's escapes, which JSON's are a subset of


def _series_per_cluster(
    client: PrometheusClient,
    queries: Iterable[_Query],
    cluster_label: str | None,
    clusters: Sequence[str],
    start: float,
    end: float,
) -> dict[tuple[str | None, str], int]:
    """(metric, cluster) -> distinct output label sets, from ``/api/v1/series``, for the fanned-out queries."""
    sizes: dict[tuple[str | None, str], int] = {}
    for q in queries:
        metric = q.per_cluster_series
        if metric is None or (metric, clusters[0]) in sizes:
            continue
        seen: dict[str, set[tuple[str, ...]]] = {}
        for s in client.series(metric, start, end):
            cluster = s.get(cluster_label, "") if cluster_label else clusters[0]
            seen.setdefault(cluster, set()).add(tuple(s.get(label, "") for label in q.by))
        for cluster in clusters:
            sizes[(metric, cluster)] = max(1, len(seen.get(cluster, ())))
    return sizes


def _chunks(
    clusters: Sequence[str], per_cluster: Mapping[str, int], max_series: int, cluster_label: str | None
) -> list[list[str]]:
    """Clusters grouped so each query returns at most ``max_series`` series (at least one cluster a query)."""
    if not cluster_label:
        return [list(clusters)]
    chunks: list[list[str]] = [[]]
    total = 0
    for cluster in clusters:
        size = per_cluster.get(cluster, 1)
        if chunks[-1] and total + size > max_series:
            chunks.append([])
            total = 0
        chunks[-1].append(cluster)
        total += size
    return chunks


def _to_matrix(
    result: Sequence[Mapping[str, Any]],
    cluster_label: str | None,
    only: str,
    by: Sequence[str],
    start: float,
    step: float,
) -> Matrix:
    matrix: Matrix = {}
    for series in result:
        metric = series.get("metric") or {}
        cluster = metric.get(cluster_label, "") if cluster_label else only
        key = tuple(str(metric.get(label, "")) for label in by)
        row = matrix.setdefault(cluster, {}).setdefault(key, {})
        for t, value in series.get("values") or []:
            number = float(value)
            if math.isfinite(number):
                row[round((float(t) - start) / step)] = number
    return matrix


# ----------------------------------------------------------------------------------- one snapshot


def _platform_of(git_version: str | None, default: str | None) -> str:
    if git_version and "-eks-" in git_version:
        return "eks"
    if git_version and "-gke." in git_version:
        return "gke"
    return default or "unknown"


def _snapshot(
    results: Mapping[str, Matrix],
    cluster: str,
    i: int,
    t: float,
    names: set[str],
    identity: ClusterInfo | None,
    platform: str | None,
    collection: CollectionInfo,
    url: str,
) -> Snapshot:
    """The snapshot of ``cluster`` at step ``i`` (time ``t``): every fact from its first series with a sample."""
    when = datetime.fromtimestamp(t, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    gaps: list[Gap] = []
    sources: dict[str, str] = {}

    def value(key: str, labels: tuple[str, ...] = ()) -> float | None:
        return results.get(key, {}).get(cluster, {}).get(labels, {}).get(i)

    def first(item: str, keys: Sequence[tuple[str, str]], why: str) -> float | None:
        """The first query of ``keys`` ((query key, metric) pairs) with a sample at this step; else a gap."""
        for key, metric in keys:
            v = value(key)
            if v is not None:
                sources[item] = metric
                return v
        metrics = list(dict.fromkeys(metric for _, metric in keys))
        present = [m for m in metrics if m in names]
        if present:
            gaps.append(Gap(SOURCE, item, f"no sample of {' or '.join(present)} at {when}"))
        else:
            gaps.append(Gap(SOURCE, item, f"Prometheus has no {' or '.join(metrics)} series in the range ({why})"))
        return None

    ksm = "is kube-state-metrics scraped?"
    ksm_up = value("nodes.count") is not None

    # object counts: the newest metric name with a sample wins, resource by resource
    objects: dict[str, int] = {}
    invalid: set[str] = set()
    for key in ("objects:etcd_object_counts", "objects:storage_objects", "objects:resource_objects"):
        metric = key.split(":", 1)[1]
        metric = {"storage_objects": "apiserver_storage_objects", "resource_objects": "apiserver_resource_objects"}.get(
            metric, metric
        )
        for labels, row in results.get(key, {}).get(cluster, {}).items():
            if i not in row:
                continue
            if key == "objects:resource_objects":
                group, resource = labels
                name = f"{resource}.{group}" if group else resource
            else:
                name = labels[0]
            if row[i] < 0:  # the apiserver could not count it
                invalid.add(name)
                objects.pop(name, None)
                continue
            invalid.discard(name)
            objects[name] = int(row[i])
            sources[f"objects.{name}"] = metric
    # the kube-apiserver is scraped at this step when one of its object count series has a sample
    apiserver_up = bool(objects) or bool(invalid)
    for name in sorted(invalid):
        gaps.append(Gap(SOURCE, name, f"the apiserver reported -1 (could not count) at {when}"))
    ksm_counts = {
        "pods": ("pods.count", "kube_pod_info"),
        "nodes": ("nodes.count", "kube_node_info"),
        "namespaces": ("namespaces", "kube_namespace_created"),
        "services": ("services.count", "kube_service_info"),
        "networkpolicies.networking.k8s.io": ("netpol.count", "kube_networkpolicy_created"),
    }
    for name, (key, metric) in ksm_counts.items():
        v = value(key)
        if name not in objects and name not in invalid and v is not None:
            objects[name] = int(v)
            sources[f"objects.{name}"] = metric
    if not objects:
        first(
            "objects",
            [("", "apiserver_resource_objects"), ("", "apiserver_storage_objects"), ("", "etcd_object_counts")],
            "is the apiserver scraped?",
        )

    # etcd: etcd's own series first, then the apiserver's names by version
    sizes = [(f"etcd:{m}", m) for m in ETCD_SIZE_METRICS]
    db_size = first("etcd.db_size_bytes", sizes, "neither etcd nor the apiserver is scraped?")
    size_metric = sources.get("etcd.db_size_bytes")
    etcd_source = None
    if size_metric:
        etcd_source = "etcd" if "mvcc" in size_metric else f"apiserver-metrics:{size_metric}"
    in_use_metric = "etcd_mvcc_db_total_size_in_use_in_bytes"
    in_use = first("etcd.db_size_in_use_bytes", [(f"etcd:{in_use_metric}", in_use_metric)], "etcd is not scraped")
    quota_metric = "etcd_server_quota_backend_bytes"
    quota = first("etcd.quota_backend_bytes", [(f"etcd:{quota_metric}", quota_metric)], "etcd is not scraped")

    # the apiserver's version (during an upgrade the version most apiservers run; then the lower)
    versions = {
        labels[0]: v for labels, row in results.get("version", {}).get(cluster, {}).items() if (v := row.get(i))
    }
    git_version = None
    if versions:
        git_version = sorted(versions, key=lambda g: (-versions[g], g))[0]
        sources["cluster.version"] = "kubernetes_build_info"
    else:
        first("cluster.version", [("version", "kubernetes_build_info")], "the apiserver's build info is not scraped")

    node_count = first("nodes.count", [("nodes.count", "kube_node_info")], ksm)
    alloc = _stats(first, "nodes.allocatable_pods", "alloc", "kube_node_status_allocatable", ksm)
    ppn = _stats(first, "nodes.pods_per_node", "ppn", "kube_pod_info", ksm)

    def counted(item: str, key: str, metric: str, object_name: str) -> float | None:
        """A count from kube-state-metrics, else the apiserver's object count, else a gap."""
        v = value(key)
        if v is not None:
            sources[item] = metric
            return v
        if object_name in objects:
            sources[item] = sources[f"objects.{object_name}"]
            return objects[object_name]
        if ksm_up and metric in names:
            # count() over no series has no sample: with kube-state-metrics up and exporting this metric, 0
            sources[item] = metric
            return 0
        return first(item, [(key, metric)], ksm)

    namespaces = counted("namespaces", "namespaces", "kube_namespace_created", "namespaces")
    np_count = counted(
        "network_policies.count", "netpol.count", "kube_networkpolicy_created", "networkpolicies.networking.k8s.io"
    )
    no_policies = np_count == 0  # then the per-namespace and rule figures are 0 too, not gaps

    def policy_fact(item: str, key: str, metric: str) -> int | None:
        if no_policies:
            sources[f"network_policies.{item}"] = sources["network_policies.count"]
            return 0
        return _int(first(f"network_policies.{item}", [(key, metric)], ksm))

    netpol = NetworkPolicyInventory(
        count=_int(np_count),
        max_per_namespace=policy_fact("max_per_namespace", "netpol.max_per_namespace", "kube_networkpolicy_created"),
        namespaces_with_policies=policy_fact(
            "namespaces_with_policies", "netpol.namespaces_with_policies", "kube_networkpolicy_created"
        ),
        ingress_rules=policy_fact("ingress_rules", "netpol.ingress_rules", "kube_networkpolicy_spec_ingress_rules"),
        egress_rules=policy_fact("egress_rules", "netpol.egress_rules", "kube_networkpolicy_spec_egress_rules"),
    )

    svc_count = counted("services.count", "services.count", "kube_service_info", "services")
    by_type = {
        labels[0]: int(v)
        for labels, row in results.get("services.by_type", {}).get(cluster, {}).items()
        if (v := row.get(i)) is not None
    }
    if by_type:
        sources["services.by_type"] = "kube_service_spec_type"
    else:
        first("services.by_type", [("services.by_type", "kube_service_spec_type")], ksm)
    endpoint_max = [("endpoints.max", "kube_endpoint_address"), ("endpoints_v1.max", "kube_endpoint_address_available")]
    endpoint_sum = [
        ("endpoints.total", "kube_endpoint_address"),
        ("endpoints_v1.total", "kube_endpoint_address_available"),
    ]
    services = ServiceInventory(
        count=_int(svc_count),
        by_type=dict(sorted(by_type.items())),
        max_per_namespace=_int(
            first("services.max_per_namespace", [("services.max_per_namespace", "kube_service_info")], ksm)
        ),
        max_endpoints_per_service=_int(first("services.max_endpoints_per_service", endpoint_max, ksm)),
        endpoints_total=_int(first("services.endpoints_total", endpoint_sum, ksm)),
    )

    pod_requests = _pod_requests(value("requests.cpu"), value("requests.memory"), names, when, gaps, sources)
    deprecated = _deprecated_apis(results, cluster, i, when, names, apiserver_up, gaps, sources)

    crds = objects.get("customresourcedefinitions.apiextensions.k8s.io")
    if crds is None:
        gaps.append(Gap(SOURCE, "crds", f"no customresourcedefinitions count in the apiserver's series at {when}"))
    else:
        sources["crds"] = sources["objects.customresourcedefinitions.apiextensions.k8s.io"]
    for item in NOT_IN_PROMETHEUS:
        gaps.append(Gap(SOURCE, item, _NOT_IN_REASON))

    version = _semver(git_version)
    if identity is not None:
        info = replace(identity, version=version or identity.version, git_version=git_version or identity.git_version)
    else:
        info = ClusterInfo(
            name=cluster,
            platform=_platform_of(git_version, platform),
            version=version,
            git_version=git_version,
            endpoint=url,
        )
    return Snapshot(
        cluster=info,
        collected_at=when,
        objects=dict(sorted(objects.items())),
        namespaces=_int(namespaces),
        crds=crds,
        pod_requests=pod_requests,
        nodes=NodeInventory(count=_int(node_count), pods_per_node=ppn, allocatable_pods=alloc),
        network_policies=netpol,
        services=services,
        etcd=EtcdInventory(
            db_size_bytes=_int(db_size),
            db_size_in_use_bytes=_int(in_use),
            quota_backend_bytes=_int(quota),
            source=etcd_source,
        ),
        deprecated_apis=deprecated,
        gaps=gaps,
        collection=replace(
            collection, count_methods={k: "prometheus" for k in objects}, sources=dict(sorted(sources.items()))
        ),
    )


def _pod_requests(
    cpu: float | None, memory: float | None, names: set[str], when: str, gaps: list[Gap], sources: dict[str, str]
) -> PodRequests | None:
    """The summed pod requests of one step, or None with a gap saying why."""
    if cpu is not None and memory is not None:
        sources["pod_requests"] = REQUESTS
        return PodRequests(cpu_cores=round(cpu, 3), memory_gib=round(memory / 2**30, 3), source=REQUESTS)
    if REQUESTS in names:
        why = f"no cpu and memory sample of {REQUESTS} for running pods at {when}"
    else:
        why = f"Prometheus has no {REQUESTS} series in the range (kube-state-metrics 2.x exports it)"
    gaps.append(Gap(SOURCE, "pod_requests", why))
    return None


def _deprecated_apis(
    results: Mapping[str, Matrix],
    cluster: str,
    i: int,
    when: str,
    names: set[str],
    apiserver_up: bool,
    gaps: list[Gap],
    sources: dict[str, str],
) -> list[DeprecatedApiUse] | None:
    """The deprecated API versions requested at step ``i``, with request counts; None (and a gap) when unknown.

    A real apiserver exposes no ``apiserver_requested_deprecated_apis`` series until a deprecated version is
    requested, so a cluster without any in the whole range cannot be told from one whose metric is dropped at
    scrape: that is a gap, never "none". With the series seen for the cluster in the range, a step where the
    apiserver is scraped and no gauge is at 1 is "none requested since the apiserver started".
    """
    rows = results.get("deprecated", {}).get(cluster, {})
    if not rows:
        where = "on the server" if DEPRECATED not in names else "for this cluster"
        gaps.append(
            Gap(
                SOURCE,
                "deprecated_apis",
                f"no {DEPRECATED} series {where} in the range: an apiserver exposes it only once a deprecated API "
                "is requested, so none requested and the metric not kept look alike; collect kube reads it from "
                "the apiserver itself",
            )
        )
        return None
    if not apiserver_up:
        gaps.append(Gap(SOURCE, "deprecated_apis", f"no sample of the apiserver's object counts at {when}"))
        return None
    counts = results.get("deprecated.requests", {}).get(cluster, {})
    uses = []
    for labels, row in sorted(rows.items()):
        if (row.get(i) or 0) <= 0:
            continue
        group, version, resource, subresource, removed = labels
        requested = counts.get((group, version, resource, subresource), {}).get(i)
        uses.append(
            DeprecatedApiUse(
                group=group,
                version=version,
                resource=resource,
                subresource=subresource,
                removed_release=removed or None,
                requests=_int(requested),
            )
        )
    sources["deprecated_apis"] = DEPRECATED
    if any(u.requests is not None for u in uses):
        sources["deprecated_apis.requests"] = "apiserver_request_total"
    return uses


def _stats(first: Callable[..., float | None], item: str, prefix: str, metric: str, why: str) -> Stats:
    values = {}
    for part in ("max", "mean", "p95", "min"):
        values[part] = first(f"{item}.{part}", [(f"{prefix}:{part}", metric)], why)
    return Stats(**{k: (None if v is None else _round3(v)) for k, v in values.items()})


def _round3(v: float) -> float:
    """Three decimals, after dropping float noise: PromQL's avg (an incremental mean) gives 12.187499999999998 where
    sum/count over the same per-node values gives 12.1875, and the two must round alike (12.188)."""
    return round(round(v, 9), 3)


def _int(v: float | None) -> int | None:
    return None if v is None else int(round(v))


def _semver(git_version: str | None) -> str | None:
    if not git_version:
        return None
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", git_version)
    return ".".join(match.groups()) if match else None
