"""A gentle Kubernetes API reader for the kube collector: raw GETs through the official client, with
a shared QPS cap, our own 429/5xx retries, paged lists that survive an expired ``continue``, and a request count.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from ..errors import AuthError, CollectorError, EndpointError, InputError
from ..fileio import load_yaml

# Content negotiation (technical.md A: "Server-side Table", "PartialObjectMetadataList", "Discovery").
JSON = "application/json"
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
POML = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
AGGREGATED_DISCOVERY = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
METRICS_TEXT = "text/plain;version=0.0.4,*/*;q=0.1"


MAX_429_ATTEMPTS = 8  # APF answers 429 with Retry-After: 1 (kubernetes#117734); give it a few seconds
MAX_429_WAIT = 60.0  # total seconds one request may spend waiting on Retry-After
MAX_5XX_ATTEMPTS = 4  # 500/502/503/504: the first try plus three retries with backoff
MAX_TRANSPORT_ATTEMPTS = 3  # connection reset / read timeout on an idempotent GET
MAX_EXPIRED_RESTARTS = 3  # a paged list restarted from the top after a 410 Expired continue token


class KubeHTTPError(CollectorError):
    """A non-2xx answer that is not an authentication failure (403, 404, 405, 410, 5xx after retries...)."""

    def __init__(self, status: int, reason: str, path: str, message: str = "") -> None:
        self.status = status
        self.reason = reason
        self.path = path
        self.detail = message
        text = f"{status} {reason}".strip()
        super().__init__(f"{text}: GET {path}" + (f": {message}" if message else ""))

    def short(self) -> str:
        """``"403 Forbidden: <server message>"`` for gaps."""
        head = f"{self.status} {self.reason}".strip()
        return f"{head}: {self.detail}" if self.detail else head


class ExpiredContinue(KubeHTTPError):
    """410 Gone with reason Expired: a ``continue`` token outlived the server's compaction window."""


@dataclass(frozen=True)
class Connection:
    """Where the collector connects and under which names (from the kubeconfig or in-cluster)."""

    configuration: k8s_client.Configuration
    host: str
    context: str | None
    cluster: str | None
    source: str  # the kubeconfig path(s) or "in-cluster"


class _Accumulator(Protocol):
    def add(self, page: dict[str, Any]) -> None: ...


A = TypeVar("A", bound=_Accumulator)


def load_connection(kubeconfig: str | None, context: str | None) -> Connection:
    """Build a client configuration from ``kubeconfig`` (default loading rules when None) or in-cluster config.

    A file the user named that is missing or malformed, or an unknown context, raises :class:`InputError`
    naming the file; no kubeconfig at all (and not in a cluster) raises :class:`AuthError` with a hint.
    """
    cfg = k8s_client.Configuration()
    if kubeconfig is None:
        env = os.environ.get("KUBECONFIG")
        candidates = [p for p in env.split(os.pathsep) if p] if env else [str(Path("~/.kube/config"))]
        existing = [os.path.expanduser(p) for p in candidates if os.path.exists(os.path.expanduser(p))]
        if not existing:
            if os.environ.get("KUBERNETES_SERVICE_HOST") and context is None:
                try:
                    _load_incluster(cfg)
                except ConfigException as exc:
                    raise AuthError(f"in-cluster configuration unusable: {exc}", hint="Pass --kubeconfig") from None
                return Connection(cfg, cfg.host, None, None, "in-cluster")
            where = "KUBECONFIG=" + env if env else "~/.kube/config"
            raise AuthError(
                f"No kubeconfig found ({where} does not exist) and not running inside a cluster",
                hint="Pass --kubeconfig PATH or set KUBECONFIG",
            )
        source = os.pathsep.join(existing)
    else:
        path = Path(kubeconfig).expanduser()
        if not path.exists():
            raise InputError(f"{kubeconfig}: kubeconfig file not found")
        if path.is_dir():
            raise InputError(f"{kubeconfig}: is a folder, expected a kubeconfig file")
        source = str(path)
    contexts: dict[str, dict[str, Any]] = {}
    current = None
    for one in source.split(os.pathsep):
        data = _check_kubeconfig_file(one)
        for entry in data.get("contexts") or []:
            contexts.setdefault(str(entry["name"]), entry.get("context") or {})
        current = current or data.get("current-context")  # the first file that sets it wins, as in kubectl
    names = ", ".join(contexts) or "none"
    chosen = context or current
    if context is not None and context not in contexts:
        raise InputError(f"{source}: context {context!r} not found (contexts: {names})")
    if not chosen:
        raise InputError(f"{source}: no current-context set; pass --context (contexts: {names})")
    if chosen not in contexts:
        raise InputError(f"{source}: current-context {chosen!r} is not among the contexts ({names})")
    try:
        k8s_config.load_kube_config(config_file=source, context=chosen, client_configuration=cfg, persist_config=False)
    except (ConfigException, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"{source}: context {chosen!r}: {_one_line(exc)}") from None
    cluster = contexts[chosen].get("cluster") if isinstance(contexts[chosen], dict) else None
    return Connection(cfg, cfg.host, chosen, cluster, source)


SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def _load_incluster(cfg: k8s_client.Configuration) -> None:
    """The in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT plus the token and CA of the service-account
    folder (``K8SEVAL_SERVICE_ACCOUNT_DIR``, default the standard mount); the token is re-read as it rotates."""
    from kubernetes.config.incluster_config import InClusterConfigLoader

    folder = os.environ.get("K8SEVAL_SERVICE_ACCOUNT_DIR") or SERVICE_ACCOUNT_DIR
    loader = InClusterConfigLoader(
        token_filename=os.path.join(folder, "token"), cert_filename=os.path.join(folder, "ca.crt")
    )
    loader.load_and_set(client_configuration=cfg)


def _check_kubeconfig_file(path: str) -> dict[str, Any]:
    data = load_yaml(path, what="kubeconfig")
    if not isinstance(data, dict):
        raise InputError(f"{path}: kubeconfig must be a YAML mapping with clusters, users and contexts")
    for key in ("clusters", "contexts", "users"):
        value = data.get(key)
        if value is not None and not isinstance(value, list):
            raise InputError(f"{path}: {key}: expected a list")
        for i, item in enumerate(value or []):
            if not isinstance(item, dict) or "name" not in item:
                raise InputError(f"{path}: {key}[{i}]: expected a mapping with a name")
    return data


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class TokenBucket:
    """A thread-safe token bucket: ``qps`` tokens a second, up to ``burst`` saved. ``take()`` blocks."""

    def __init__(self, qps: float, burst: int | None = None) -> None:
        self.qps = qps
        self.burst = float(burst if burst is not None else max(1, int(qps)))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait until a token is free, then spend it (no-op when qps <= 0: unlimited)."""
        if self.qps <= 0:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.qps)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.qps
            time.sleep(wait)


class KubeReader:
    """Read-only GETs against one apiserver, shared safely by worker threads."""

    def __init__(
        self, connection: Connection, *, qps: float = 20.0, concurrency: int = 4, timeout: float = 30.0
    ) -> None:
        cfg = connection.configuration
        # urllib3's default Retry silently retries 429s for ~3 s (technical.md gotcha 3): switch it off
        # and retry here instead, where the attempts are bounded, counted and visible.
        cfg.retries = False
        cfg.connection_pool_maxsize = max(4, concurrency + 2)
        self.connection = connection
        self.api = k8s_client.ApiClient(cfg)
        self.bucket = TokenBucket(qps, burst=max(1, min(int(qps), 2 * concurrency)) if qps > 0 else None)
        self.timeout = timeout
        self._lock = threading.Lock()
        self.requests = 0  # HTTP requests sent, retries included
        self.retries = 0  # of which retries (429, 5xx, transport errors)
        self.expired_restarts = 0  # paged lists restarted after 410 Expired

    def close(self) -> None:
        """Release the connection pool."""
        self.api.close()

    # -- one request ----------------------------------------------------------------------------------

    def _send(self, path: str, query: Mapping[str, Any], accept: str) -> tuple[int, str, Mapping[str, str], bytes]:
        params = [(k, v) for k, v in query.items() if v is not None]
        with self._lock:
            self.requests += 1
        # kubernetes>=37 (required in pyproject): call_api takes (method, url, ...) and returns a RESTResponse
        # that does not raise on non-2xx, so the status is read here (technical.md gotcha 1).
        method, url, headers, body, post = self.api.param_serialize(
            "GET", path, query_params=params, header_params={"Accept": accept}, auth_settings=["BearerToken"]
        )
        resp = self.api.call_api(
            method, url, header_params=headers, body=body, post_params=post, _request_timeout=self.timeout
        )
        data = resp.read() or b""
        return resp.status, resp.reason or "", resp.headers or {}, data

    def get_bytes(self, path: str, query: Mapping[str, Any] | None = None, accept: str = JSON) -> bytes:
        """GET ``path`` and return the body; retries 429 (Retry-After), 5xx and transport errors, bounded.

        Raises :class:`AuthError` on 401, :class:`ExpiredContinue` on 410 Expired, :class:`KubeHTTPError` on
        other non-2xx answers and :class:`EndpointError` when the server cannot be reached.
        """
        query = query or {}
        waited = 0.0
        throttled = failed = broken = 0
        while True:
            self.bucket.take()
            try:
                status, reason, headers, body = self._send(path, query, accept)
            except ApiException as exc:  # status 0: the client turned an SSL error into this
                raise EndpointError(
                    f"TLS failure talking to {self.connection.host}: {_one_line(exc.reason or exc)}",
                    hint="Check the cluster CA in the kubeconfig (certificate-authority-data) or pass --context",
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                broken += 1
                if broken >= MAX_TRANSPORT_ATTEMPTS or isinstance(exc, urllib3.exceptions.NewConnectionError):
                    raise _endpoint_error(self.connection.host, exc) from None
                self._count_retry()
                time.sleep(0.2 * broken)
                continue
            if 200 <= status <= 299:
                return body
            message, status_reason = _status_message(body)
            if status == 401:
                raise AuthError(
                    f"401 Unauthorized from {self.connection.host}" + (f": {message}" if message else ""),
                    hint="The credentials were rejected (expired token?); refresh them or pass --context",
                )
            if status == 429:
                throttled += 1
                delay = _retry_after(headers, body) or 0.0
                if throttled < MAX_429_ATTEMPTS and waited + delay <= MAX_429_WAIT:
                    waited += delay
                    self._count_retry()
                    time.sleep(delay)
                    continue
            elif status in (500, 502, 503, 504):
                failed += 1
                if failed < MAX_5XX_ATTEMPTS:
                    hinted = _retry_after(headers, body, default=None) if status == 503 else None
                    backoff = min(4.0, 0.25 * 2 ** (failed - 1)) * random.uniform(1, 1.5)
                    self._count_retry()
                    time.sleep(hinted if hinted is not None else backoff)
                    continue
            elif status == 410 and (status_reason == "Expired" or "continue" in query):
                raise ExpiredContinue(status, reason or "Gone", path, message)
            raise KubeHTTPError(status, reason or _REASONS.get(status, ""), _with_query(path, query), message)

    def _count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def get_json(self, path: str, query: Mapping[str, Any] | None = None, accept: str = JSON) -> dict[str, Any]:
        """GET ``path`` and decode a JSON object (a non-JSON 2xx body raises :class:`KubeHTTPError`)."""
        body = self.get_bytes(path, query, accept)
        try:
            data = json.loads(body)
        except ValueError:
            raise KubeHTTPError(200, "OK", path, "the answer is not JSON") from None
        if not isinstance(data, dict):
            raise KubeHTTPError(200, "OK", path, "the answer is not a JSON object")
        return data

    # -- lists ----------------------------------------------------------------------------------------

    def walk(
        self,
        path: str,
        make: Callable[[], A],
        *,
        accept: str = JSON,
        page_size: int = 500,
        query: Mapping[str, Any] | None = None,
    ) -> A:
        """List ``path`` page by page into a fresh accumulator from ``make()``; only counts stay in memory.

        Continue pages carry no resourceVersion (the server rejects it; technical.md gotcha 4). On 410 Expired
        the list restarts from the top with a new accumulator, like client-go's pager, at most a few times.
        """
        for _attempt in range(MAX_EXPIRED_RESTARTS + 1):
            acc = make()
            token: str | None = None
            try:
                while True:
                    q = {**(query or {}), "limit": page_size}
                    if token:
                        q["continue"] = token
                    page = self.get_json(path, q, accept)
                    acc.add(page)
                    token = (page.get("metadata") or {}).get("continue") or None
                    if not token:
                        return acc
            except ExpiredContinue:
                with self._lock:
                    self.expired_restarts += 1
                continue
        raise KubeHTTPError(410, "Gone", path, f"continue token expired {MAX_EXPIRED_RESTARTS + 1} times")

    def count(self, path: str, *, page_size: int = 500) -> tuple[int, str]:
        """Count a collection cheaply: ``limit=1`` metadata-only + remainingItemCount, else a metadata-only walk.

        Returns ``(count, method)`` with method "remaining" or "paged". Metadata-only lists never carry
        Secret data, so this is safe for every resource.
        """
        page = self.get_json(path, {"limit": 1}, POML)
        items = len(page.get("items") or [])
        meta = page.get("metadata") or {}
        if not meta.get("continue"):
            return items, "remaining"
        remaining = meta.get("remainingItemCount")
        if isinstance(remaining, int) and remaining >= 0:
            return items + remaining, "remaining"
        # remainingItemCount is absent on servers < 1.15 and is only an estimate (technical.md gotcha 6).
        return self.walk(path, ItemCounter, accept=POML, page_size=page_size).items, "paged"


class ItemCounter:
    """Counts list items page by page."""

    def __init__(self) -> None:
        self.items = 0

    def add(self, page: dict[str, Any]) -> None:
        """Add one page."""
        self.items += len(page.get("items") or page.get("rows") or [])


_REASONS = {403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone", 429: "Too Many Requests"}


def _with_query(path: str, query: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in query.items() if k != "continue" and v is not None}
    return path + ("?" + "&".join(f"{k}={v}" for k, v in shown.items()) if shown else "")


def _status_message(body: bytes) -> tuple[str, str]:
    """The ``message`` and ``reason`` of a metav1.Status body, or a short text body."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body[:200].decode("utf-8", "replace").strip()
        return " ".join(text.split()), ""
    if isinstance(data, dict):
        return " ".join(str(data.get("message") or "").split()), str(data.get("reason") or "")
    return "", ""


def _retry_after(headers: Mapping[str, str], body: bytes, default: float | None = 1.0) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or Status details.retryAfterSeconds."""
    value = None
    for key in ("Retry-After", "retry-after"):
        if key in headers:
            value = headers[key]
            break
    if value is not None:
        try:
            return max(0.0, min(30.0, float(value)))
        except ValueError:
            try:
                return max(0.0, min(30.0, parsedate_to_datetime(value).timestamp() - time.time()))
            except (TypeError, ValueError):
                pass
    try:
        details = (json.loads(body) or {}).get("details") or {}
        seconds = details.get("retryAfterSeconds")
        if isinstance(seconds, int | float):
            return max(0.0, min(30.0, float(seconds)))
    except (ValueError, AttributeError):
        pass
    return default


def _endpoint_error(host: str, exc: BaseException) -> EndpointError:
    cause: BaseException = exc
    while isinstance(cause, urllib3.exceptions.MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    text = _one_line(cause)
    if "Connection refused" in text or "ConnectionRefused" in text:
        what = "connection refused"
    elif isinstance(cause, urllib3.exceptions.NameResolutionError):
        what = "the host name does not resolve"
    elif isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
        what = "connection timed out"
    elif isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        what = "the server did not answer in time"
    elif isinstance(cause, urllib3.exceptions.SSLError):
        what = f"TLS failure: {text}"
    else:
        what = text
    return EndpointError(
        f"Could not reach {host}: {what}",
        hint="Check the server address in the kubeconfig and the network path, or pass --kubeconfig/--context",
    )
