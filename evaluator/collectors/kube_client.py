"""A gentle Kubernetes API reader for the kube collector: raw GETs through the official client, with
a shared QPS cap, our own 429/5xx retries, paged lists that survive an expired ``continue``, and a request count.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from ..errors import AuthError, CollectorError, EndpointError, InputError
from ..fileio import load_yaml
from ..text import redact_url
from .retry import retry_after_header

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


_CANCEL_ALL = threading.Event()  # set by the command line on Ctrl-C / SIGTERM: every reader stops at once


def cancel_all() -> None:
    """Make every :class:`KubeReader` stop: requests in flight are abandoned, new ones raise :class:`Cancelled`."""
    _CANCEL_ALL.set()


class Cancelled(CollectorError):
    """The collection was interrupted (Ctrl-C, SIGTERM)."""


class RequestTimeout(EndpointError):
    """A request (or the whole collection) ran past its time budget, whatever the socket reads did."""


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


def check_kubeconfig(kubeconfig: str | None, context: str | None) -> None:
    """The checks :func:`load_connection` makes before it loads credentials (the file, the context, the user's
    credential files), raising the same errors; no exec plugin runs and nothing is contacted."""
    _connection(kubeconfig, context, exec_timeout=0, check_only=True)


def load_connection(kubeconfig: str | None, context: str | None, *, exec_timeout: float = 60.0) -> Connection:
    """Build a client configuration from ``kubeconfig`` (default loading rules when None) or in-cluster config.

    A file the user named that is missing or malformed, an unknown context, or a credential file the context's
    user names that does not exist, raises :class:`InputError` naming the file; no kubeconfig at all (and not
    in a cluster) raises :class:`AuthError` with a hint. An exec credential plugin that runs past
    ``exec_timeout`` seconds or fails, and credentials that load to nothing (the client would go on
    anonymously), raise :class:`AuthError` naming the plugin or the user.
    """
    connection = _connection(kubeconfig, context, exec_timeout=exec_timeout, check_only=False)
    assert connection is not None
    return connection


def _connection(
    kubeconfig: str | None, context: str | None, *, exec_timeout: float, check_only: bool
) -> Connection | None:
    cfg = k8s_client.Configuration()
    if kubeconfig is None:
        env = os.environ.get("KUBECONFIG")
        candidates = [p for p in env.split(os.pathsep) if p] if env else [str(Path("~/.kube/config"))]
        existing = [os.path.expanduser(p) for p in candidates if os.path.exists(os.path.expanduser(p))]
        if not existing:
            if os.environ.get("KUBERNETES_SERVICE_HOST") and context is None:
                if check_only:
                    return None
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
    users: dict[str, tuple[str, dict[str, Any]]] = {}  # name -> (file, user entry)
    current = None
    for one in source.split(os.pathsep):
        data = _check_kubeconfig_file(one)
        for entry in data.get("contexts") or []:
            contexts.setdefault(str(entry["name"]), entry.get("context") or {})
        for entry in data.get("users") or []:
            users.setdefault(str(entry["name"]), (one, entry.get("user") or {}))
        current = current or data.get("current-context")  # the first file that sets it wins, as in kubectl
    names = ", ".join(contexts) or "none"
    chosen = context or current
    if context is not None and context not in contexts:
        raise InputError(f"{source}: context {context!r} not found (contexts: {names})")
    if not chosen:
        raise InputError(f"{source}: no current-context set; pass --context (contexts: {names})")
    if chosen not in contexts:
        raise InputError(f"{source}: current-context {chosen!r} is not among the contexts ({names})")
    user_name = contexts[chosen].get("user") if isinstance(contexts[chosen], dict) else None
    user_file, user = users.get(str(user_name), (source, {})) if user_name else (source, {})
    user = user if isinstance(user, dict) else {}
    _check_credential_files(user_file, str(user_name), user)
    if check_only:
        return None
    plugin = _exec_command(user)
    errors = _load_kube_config(source, chosen, cfg, plugin, exec_timeout)
    if plugin and not _has_credentials(cfg):
        raise AuthError(
            f"exec credential plugin {plugin!r} (user {user_name!r} in {user_file}) failed: "
            + ("; ".join(errors) or "it returned no token or client certificate"),
            hint="Run the plugin by hand to see why (expired login?), or pass another --context; "
            "k8seval does not fall back to anonymous access",
        )
    if _credential_keys(user) and not _has_credentials(cfg):
        raise AuthError(
            f"user {user_name!r} in {user_file} names credentials ({', '.join(_credential_keys(user))}) but none "
            "could be loaded",
            hint="Fix the user entry; k8seval does not fall back to anonymous access",
        )
    cluster = contexts[chosen].get("cluster") if isinstance(contexts[chosen], dict) else None
    return Connection(cfg, cfg.host, chosen, cluster, source)


_CREDENTIAL_FILES = ("client-certificate", "client-key", "tokenFile")
_CREDENTIALS = (
    "token",
    "tokenFile",
    "client-certificate",
    "client-certificate-data",
    "exec",
    "auth-provider",
    "username",
)


def _credential_keys(user: dict[str, Any]) -> list[str]:
    return [k for k in _CREDENTIALS if user.get(k)]


def _check_credential_files(path: str, user_name: str, user: dict[str, Any]) -> None:
    """A credential file the user entry names must exist (the client ignores a missing one and goes on without)."""
    base = Path(path).expanduser().parent
    for key in _CREDENTIAL_FILES:
        value = user.get(key)
        if isinstance(value, str) and value and not (base / Path(value).expanduser()).is_file():
            raise InputError(f"{path}: user {user_name!r}: {key} file {value} not found")


def _exec_command(user: dict[str, Any]) -> str | None:
    spec = user.get("exec")
    if not isinstance(spec, dict):
        return None
    return " ".join(str(p) for p in [spec.get("command") or "?", *(spec.get("args") or [])])


def _has_credentials(cfg: k8s_client.Configuration) -> bool:
    keys = cfg.api_key or {}
    return bool(keys.get("BearerToken") or keys.get("authorization") or cfg.cert_file or cfg.username)


class _Collect(logging.Handler):
    """Collects the error lines the kubernetes client logs (it logs exec plugin failures instead of raising)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(" ".join(record.getMessage().split()))


def _load_kube_config(
    source: str, chosen: str, cfg: k8s_client.Configuration, plugin: str | None, exec_timeout: float
) -> list[str]:
    """``load_kube_config`` with an exec plugin bounded by ``exec_timeout``; returns the errors the client logged."""
    box: dict[str, Any] = {}
    collected = _Collect()

    def run() -> None:
        try:
            k8s_config.load_kube_config(
                config_file=source, context=chosen, client_configuration=cfg, persist_config=False
            )
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    root = logging.getLogger()
    root.addHandler(collected)  # also keeps the client's logging.error from printing "ERROR:root:..." lines
    try:
        worker = threading.Thread(target=run, name="k8seval-kubeconfig", daemon=True)
        worker.start()
        worker.join(exec_timeout if plugin else None)
        if worker.is_alive():
            raise AuthError(
                f"exec credential plugin {plugin!r} did not answer within {exec_timeout:g} s",
                hint="Run the plugin by hand (it may be waiting for a login), or raise --timeout",
            )
    finally:
        root.removeHandler(collected)
    exc = box.get("error")
    if isinstance(exc, ConfigException | KeyError | TypeError | AttributeError | ValueError):
        raise InputError(f"{source}: context {chosen!r}: {_one_line(exc)}") from None
    if exc is not None:
        raise exc
    return [line.removeprefix("exec: ") for line in collected.lines]


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
    """A thread-safe token bucket: ``qps`` tokens a second, up to ``burst`` saved (default 1). ``take()`` blocks."""

    def __init__(self, qps: float, burst: int | None = None) -> None:
        self.qps = qps
        self.burst = float(burst if burst is not None else 1)  # no burst by default: "at most qps a second"
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
        self,
        connection: Connection,
        *,
        qps: float = 20.0,
        concurrency: int = 4,
        timeout: float = 30.0,
        deadline: float | None = None,
    ) -> None:
        cfg = connection.configuration
        # urllib3's default Retry silently retries 429s for ~3 s (technical.md gotcha 3): switch it off
        # and retry here instead, where the attempts are bounded, counted and visible.
        cfg.retries = False
        cfg.connection_pool_maxsize = max(4, concurrency + 2)
        self.connection = connection
        self.api = k8s_client.ApiClient(cfg)
        # No burst: --qps is "at most N a second" over any second, not on average.
        self.bucket = TokenBucket(qps, burst=1)
        self.timeout = timeout  # seconds one request may take in all (a trickling answer included)
        self.deadline = deadline  # seconds the whole collection may take (None: no bound)
        self._deadline_at = time.monotonic() + deadline if deadline else None
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self.requests = 0  # HTTP requests sent, retries included
        self.retries = 0  # of which retries (429, 5xx, transport errors)
        self.expired_restarts = 0  # paged lists restarted after 410 Expired

    def close(self) -> None:
        """Release the connection pool."""
        self.api.close()

    def cancel(self) -> None:
        """Stop this reader: requests in flight are abandoned, waits end, new requests raise :class:`Cancelled`."""
        self._cancel.set()

    def _cancelled(self) -> bool:
        return self._cancel.is_set() or _CANCEL_ALL.is_set()

    def _pause(self, seconds: float) -> None:
        """Sleep between retries, waking up (and raising :class:`Cancelled`) when the reader is cancelled."""
        end = time.monotonic() + seconds
        while not self._cancelled():
            left = end - time.monotonic()
            if left <= 0:
                return
            self._cancel.wait(min(left, 0.1))
        raise Cancelled("collection interrupted")

    # -- one request ----------------------------------------------------------------------------------

    def _send(self, path: str, query: Mapping[str, Any], accept: str) -> tuple[int, str, Mapping[str, str], bytes]:
        """One request, bounded in all: urllib3's timeout is per socket read, which a server sending a byte at a
        time never trips. The request runs in a daemon thread; past its budget the caller gets
        :class:`RequestTimeout` naming it (the thread is left to the socket timeout and dies with the process)."""
        budget = self.timeout
        limit = "--timeout"
        if self._deadline_at is not None:
            left = self._deadline_at - time.monotonic()
            if left <= 0:
                raise RequestTimeout(
                    f"collection deadline reached (--deadline {self.deadline:g} s) "
                    f"before GET {_with_query(path, query)}",
                    hint="Raise --deadline, or lower --qps/--concurrency pressure on a slow apiserver",
                )
            if left < budget:
                budget, limit = left, "--deadline"
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = self._send_now(path, query, accept)
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        if self._cancelled():
            raise Cancelled("collection interrupted")
        worker = threading.Thread(target=run, name="k8seval-request", daemon=True)
        worker.start()
        end = time.monotonic() + budget
        while worker.is_alive() and time.monotonic() < end:  # in slices: an interrupt ends the wait at once
            worker.join(min(0.1, max(0.0, end - time.monotonic())))
            if self._cancelled():
                raise Cancelled("collection interrupted")
        if worker.is_alive():
            what = f"{self.deadline:g} s collection deadline" if limit == "--deadline" else f"{self.timeout:g} s"
            raise RequestTimeout(
                f"GET {_with_query(path, query)} did not complete within {what} ({limit}) from "
                f"{redact_url(self.connection.host)}: the server answers too slowly",
                hint=f"Raise {limit} for a slow apiserver, or check the network path",
            )
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def _send_now(self, path: str, query: Mapping[str, Any], accept: str) -> tuple[int, str, Mapping[str, str], bytes]:
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
                    f"TLS failure talking to {redact_url(self.connection.host)}: {_one_line(exc.reason or exc)}",
                    hint="Check the cluster CA in the kubeconfig (certificate-authority-data) or pass --context",
                ) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                broken += 1
                if broken >= MAX_TRANSPORT_ATTEMPTS or isinstance(exc, urllib3.exceptions.NewConnectionError):
                    raise _endpoint_error(redact_url(self.connection.host), exc) from None
                self._count_retry()
                self._pause(0.2 * broken)
                continue
            if 200 <= status <= 299:
                return body
            message, status_reason = _status_message(body)
            if status == 401:
                raise AuthError(
                    f"401 Unauthorized from {redact_url(self.connection.host)}" + (f": {message}" if message else ""),
                    hint="The credentials were rejected (expired token?); refresh them or pass --context",
                )
            if status == 429:
                throttled += 1
                delay = _retry_after(headers, body) or 0.0
                if throttled < MAX_429_ATTEMPTS and waited + delay <= MAX_429_WAIT:
                    waited += delay
                    self._count_retry()
                    self._pause(delay)
                    continue
            elif status in (500, 502, 503, 504):
                failed += 1
                if failed < MAX_5XX_ATTEMPTS:
                    hinted = _retry_after(headers, body, default=None) if status == 503 else None
                    backoff = min(4.0, 0.25 * 2 ** (failed - 1)) * random.uniform(1, 1.5)
                    self._count_retry()
                    self._pause(hinted if hinted is not None else backoff)
                    continue
            elif status == 410 and (status_reason == "Expired" or "continue" in query):
                raise ExpiredContinue(status, reason or "Gone", path, message)
            raise KubeHTTPError(status, reason or _REASONS.get(status, ""), _with_query(path, query), message)

    def _count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def get_json(self, path: str, query: Mapping[str, Any] | None = None, accept: str = JSON) -> dict[str, Any]:
        """GET ``path`` and decode a JSON object (a non-JSON 2xx body raises :class:`KubeHTTPError`).

        A Secret list asked for metadata-only (``POML``) that comes back as anything else is dropped: Secret
        values are discarded while the JSON is decoded and never kept, and :class:`KubeHTTPError` says why.
        """
        body = self.get_bytes(path, query, accept)
        secrets = accept == POML and path.rstrip("/").endswith("/secrets")
        dropped: list[str] = []
        try:
            data = json.loads(body, object_pairs_hook=_drop_secret_values(dropped) if secrets else None)
        except (ValueError, RecursionError):
            raise KubeHTTPError(200, "OK", path, "the answer is not JSON") from None
        finally:
            del body
        if not isinstance(data, dict):
            raise KubeHTTPError(200, "OK", path, "the answer is not a JSON object")
        if secrets and (dropped or data.get("kind") != "PartialObjectMetadataList"):
            raise KubeHTTPError(
                200,
                "OK",
                path,
                f"the server answered a metadata-only list with full Secret objects (kind {data.get('kind')!r}); "
                "dropped unread, not counted",
            )
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
        The next page is requested as soon as the current one's continue token is read and is fetched while the
        current one is added: still one request in flight per list, but adding a page (~5 ms for 500 pod rows)
        no longer holds up the next one, and a long list's pages follow each other at the QPS cap.
        """
        for _attempt in range(MAX_EXPIRED_RESTARTS + 1):
            acc = make()
            try:
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="k8seval-page") as pool:
                    pending = pool.submit(self.get_json, path, _page_query(query, page_size, None), accept)
                    while True:
                        page = pending.result()
                        token = (page.get("metadata") or {}).get("continue") or None
                        if token:
                            pending = pool.submit(self.get_json, path, _page_query(query, page_size, token), accept)
                        acc.add(page)
                        del page  # the next page is being read: hold one parsed page at a time here
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


_SECRET_VALUE_KEYS = frozenset({"data", "stringData"})


def _drop_secret_values(dropped: list[str]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A ``json.loads`` object hook that leaves out Secret ``data``/``stringData`` as each object is built."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = {}
        for key, value in pairs:
            if key in _SECRET_VALUE_KEYS:
                dropped.append(key)
                continue
            out[key] = value
        return out

    return hook


class ItemCounter:
    """Counts list items page by page."""

    def __init__(self) -> None:
        self.items = 0

    def add(self, page: dict[str, Any]) -> None:
        """Add one page."""
        self.items += len(page.get("items") or page.get("rows") or [])


_REASONS = {403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone", 429: "Too Many Requests"}


def _page_query(query: Mapping[str, Any] | None, page_size: int, token: str | None) -> dict[str, Any]:
    """One page's query: the list's own, the limit, and the continue token after the first page."""
    q = {**(query or {}), "limit": page_size}
    if token:
        q["continue"] = token
    return q


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
    seconds_from_header = retry_after_header(value)
    if seconds_from_header is not None:
        return seconds_from_header
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
