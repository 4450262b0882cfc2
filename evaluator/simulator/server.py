"""The simulator's HTTP server: enough of the kube-apiserver read API for kubectl and the kubernetes client.

Plain HTTP on 127.0.0.1. Lists page with ``limit``/``continue`` (tokens are base64 JSON holding an offset),
carry ``remainingItemCount`` on non-final pages, and are written in chunks so memory stays bounded even for
an unpaged list of 150,000 pods. Content negotiation covers JSON, Table and PartialObjectMetadataList;
protobuf requests fall back to JSON. Faults (429, 500, 410, 403, 404, delays) are injected on request.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import discovery, tables
from .cluster import Collection
from .metrics import render_metrics
from .selectors import SelectorError, field_matcher, label_matcher
from .served import Cluster

STREAM_BATCH = 250  # objects per written chunk of a long list
EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)
USER = "system:serviceaccount:k8seval:collector"


@dataclass
class Faults:
    """Failures to inject. Path patterns are shell-style (``fnmatch``) on the URL path without the query.

    Set at start (``Simulator(spec, faults=Faults(...))``) or replace on a live server (``sim.faults = ...``);
    replacing resets the fault counters.
    """

    delay_seconds: float = 0.0  # every request waits this long before it is answered
    throttle_every: int = 0  # every Nth request (over all paths) is answered 429 (APF rejection)
    throttle_first: dict[str, int] = field(default_factory=dict)  # pattern -> the first N matching requests get 429
    retry_after_seconds: int = 1  # the Retry-After header on 429s (the apiserver sends 1)
    error_first: dict[str, int] = field(default_factory=dict)  # pattern -> the first N matching requests get 500
    expire_continue_at: int = 0  # the k-th continue request of a list gets 410 Expired (1 = the first continue)
    expire_continue_times: int = 1  # how many 410s to give in all (0 = no limit)
    expire_continue_after_seconds: float = 0.0  # continue tokens older than this get 410 (0 = never)
    forbidden: list[str] = field(default_factory=list)  # resource keys ("pods", "secrets") or path patterns: 403
    not_found: list[str] = field(default_factory=list)  # path patterns answered 404 (e.g. "/metrics")


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (for tests: which paths, which parameters, which status)."""

    method: str
    path: str
    query: dict[str, str]
    accept: str
    status: int


class _FaultState:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.requests = 0
        self.matched: Counter[tuple[str, str]] = Counter()
        self.expired = 0


class ApiError(Exception):
    """An API error answered as a Status object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details
        self.headers = headers or {}
        self.metadata = metadata or {}

    def status(self) -> dict[str, Any]:
        """The Status body."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": self.metadata,
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(token: str) -> dict[str, Any]:
    padded = token + "=" * (-len(token) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


@dataclass(frozen=True)
class _Accept:
    form: str  # "json" | "table" | "poml" | "aggregated"
    version: str = "v1"  # meta.k8s.io version of a Table, or apidiscovery version


def negotiate(accept: str) -> _Accept:
    """Pick the response form from an Accept header (first supported media type wins)."""
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        params = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        as_, group, version = params.get("as"), params.get("g"), params.get("v", "v1")
        if media not in ("application/json", "*/*", "application/*", "application/vnd.kubernetes.protobuf"):
            continue
        if as_ == "Table" and group == "meta.k8s.io" and version in ("v1", "v1beta1"):
            return _Accept("table", version)
        if as_ in ("PartialObjectMetadataList", "PartialObjectMetadata") and group == "meta.k8s.io":
            return _Accept("poml", version)
        if as_ == "APIGroupDiscoveryList" and group == "apidiscovery.k8s.io" and version in ("v2", "v2beta1"):
            return _Accept("aggregated", version)
        if as_ is None:
            return _Accept("json")  # protobuf is answered as JSON, which clients accept as well
    return _Accept("json")


class Server:
    """The request-serving state shared by handler threads: the model, faults, accounting."""

    def __init__(self, cluster: Cluster, faults: Faults, token: str | None) -> None:
        self.cluster = cluster
        self.token = token
        self._lock = threading.Lock()
        self._faults = _FaultState(faults)
        self.request_count = 0
        self.requests_by_path: Counter[str] = Counter()
        self.log: deque[RequestRecord] = deque(maxlen=20_000)
        self.in_flight = 0
        self.max_in_flight = 0
        self.secret_data_served = False
        self._lists = 0
        self.url = ""

    # ------------------------------------------------------------------ state

    @property
    def faults(self) -> Faults:
        """The active faults."""
        return self._faults.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self._lock:
            self._faults = _FaultState(value)

    def begin(self, path: str) -> None:
        """Count a request as it arrives."""
        with self._lock:
            self.request_count += 1
            self.requests_by_path[path] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def record(self, record: RequestRecord) -> None:
        """Log a request as its status line is sent (before the body, so a client never sees it missing)."""
        with self._lock:
            self.log.append(record)

    def end(self) -> None:
        """Count a request as finished."""
        with self._lock:
            self.in_flight -= 1

    def reset_counters(self) -> None:
        """Forget counted requests (not the faults)."""
        with self._lock:
            self.request_count = 0
            self.requests_by_path.clear()
            self.log.clear()
            self.max_in_flight = self.in_flight

    # ------------------------------------------------------------------ faults

    def check_faults(self, path: str) -> None:
        """Raise the ApiError a configured fault calls for, if any (404, 403 by path, 429, 500)."""
        with self._lock:
            state = self._faults
            faults = state.faults
            state.requests += 1
            for pattern in faults.not_found:
                if fnmatch.fnmatchcase(path, pattern):
                    raise ApiError(404, "NotFound", "the server could not find the requested resource", details={})
            for pattern in faults.forbidden:
                if pattern.startswith("/") and fnmatch.fnmatchcase(path, pattern):
                    raise ApiError(403, "Forbidden", f'forbidden: User "{USER}" cannot get path "{path}"', details={})
            throttle = faults.throttle_every > 0 and state.requests % faults.throttle_every == 0
            for pattern, first in faults.throttle_first.items():
                if fnmatch.fnmatchcase(path, pattern):
                    state.matched["429", pattern] += 1
                    throttle = throttle or state.matched["429", pattern] <= first
            if throttle:
                retry = faults.retry_after_seconds
                raise ApiError(
                    429,
                    "TooManyRequests",
                    "Too many requests, please try again later.",
                    details={"retryAfterSeconds": retry},
                    headers={"Retry-After": str(retry)},
                )
            for pattern, first in faults.error_first.items():
                if fnmatch.fnmatchcase(path, pattern):
                    state.matched["500", pattern] += 1
                    if state.matched["500", pattern] <= first:
                        raise ApiError(
                            500,
                            "InternalError",
                            "Internal error occurred: etcdserver: request timed out",
                            details={"causes": [{"message": "etcdserver: request timed out"}]},
                        )

    def check_forbidden(self, collection: Collection, verb: str, namespace: str | None) -> None:
        """403 when the resource is listed in ``faults.forbidden``."""
        r = collection.resource
        if r.key not in self.faults.forbidden and r.plural not in self.faults.forbidden:
            return
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        raise ApiError(
            403,
            "Forbidden",
            f'{r.key} is forbidden: User "{USER}" cannot {verb} resource "{r.plural}" in API group "{r.group}" {scope}',
            details={"group": r.group, "kind": r.plural} if r.group else {"kind": r.plural},
        )

    def check_expiry(self, page: int, issued: float, fresh: str) -> None:
        """410 Expired for the k-th continue of a list (``page``), or tokens ``issued`` longer ago than allowed."""
        with self._lock:
            faults = self._faults.faults
            expire = faults.expire_continue_at > 0 and page == faults.expire_continue_at
            age = time.time() - issued
            if faults.expire_continue_after_seconds > 0 and age > faults.expire_continue_after_seconds:
                expire = True
            if expire and faults.expire_continue_times and self._faults.expired >= faults.expire_continue_times:
                expire = False
            if expire:
                self._faults.expired += 1
                raise ApiError(410, "Expired", EXPIRED_MESSAGE, metadata={"continue": fresh})

    def new_list_id(self) -> int:
        """A number identifying one paged list (its pages share it through the continue token)."""
        with self._lock:
            self._lists += 1
            return self._lists


def _query(raw: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


class Handler(BaseHTTPRequestHandler):
    """One request: authenticate, inject faults, route, and write the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "k8seval-simulator"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and delayed ACKs
    # add about 40 ms to every response.
    disable_nagle_algorithm = True
    sim: Server  # set on the subclass made per server
    _record: tuple[str, str, dict[str, str], str]  # method, path, query, Accept of the current request

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Keep quiet: tests and the CLI read the server's own counters instead of an access log."""

    # ------------------------------------------------------------------ plumbing

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Serve a read."""
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        """HEAD is answered like GET (kubectl never sends it; curl users may)."""
        self._serve("GET")

    def _other(self) -> None:
        self._serve(self.command)

    do_POST = do_PUT = do_PATCH = do_DELETE = _other  # noqa: N815

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = _query(parts.query)
        accept = self.headers.get("Accept", "application/json")
        sim = self.sim
        sim.begin(path)
        self._record = (method, path, query, accept)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if sim.faults.delay_seconds > 0:
                time.sleep(sim.faults.delay_seconds)
            self._authenticate()
            sim.check_faults(path)
            if method != "GET":
                raise ApiError(
                    405, "MethodNotAllowed", f"the simulator is read-only: {method} is not supported", details={}
                )
            self._route(path, query, accept)
        except ApiError as exc:
            self._send_json(exc.code, exc.status(), headers=exc.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            sim.end()

    def _authenticate(self) -> None:
        token = self.sim.token
        if token is None:
            return
        # The scheme is case-insensitive, as in the apiserver's bearer-token authenticator (the kubernetes
        # client's in-cluster loader sends "bearer <token>").
        scheme, _, value = self.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or value.strip() != token:
            raise ApiError(401, "Unauthorized", "Unauthorized", details={})

    def _headers(
        self, code: int, content_type: str, extra: dict[str, str] | None = None, cache: str = "no-cache, private"
    ) -> None:
        self.sim.record(RequestRecord(*self._record, code))
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", cache)
        self.send_header("Audit-Id", self.sim.cluster.uid(999, self.sim.request_count))
        self.send_header("X-Kubernetes-Pf-Flowschema-Uid", "6b1fd4f2-4b34-4c2a-9d0a-0c1b7c7a3f01")
        self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", "0d0b9b1c-5f8e-4a61-b4f7-2f0b1b6f4c22")
        for key, value in (extra or {}).items():
            self.send_header(key, value)

    def _send_bytes(
        self,
        code: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        cache: str = "no-cache, private",
    ) -> None:
        self._headers(code, content_type, headers, cache)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(
        self, code: int, body: Any, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> None:
        self._send_bytes(code, json.dumps(body, separators=(",", ":")).encode(), content_type, headers)

    def _stream(self, pieces: Iterable[str]) -> None:
        """Write a 200 JSON body in HTTP/1.1 chunks as ``pieces`` are produced."""
        self._headers(200, "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return  # a HEAD answer has no body, not even the chunked terminator: the next response would misparse
        buffer: list[str] = []
        size = 0
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= 256 * 1024:
                self._chunk("".join(buffer).encode())
                buffer, size = [], 0
        if buffer:
            self._chunk("".join(buffer).encode())
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    # ------------------------------------------------------------------ routing

    def _route(self, path: str, query: dict[str, str], accept: str) -> None:
        cluster = self.sim.cluster
        form = negotiate(accept)
        segments = [s for s in path.split("/") if s]
        if path == "/version":
            version = cluster.spec.version.lstrip("v")
            major, minor, _ = version.split(".")
            plus = "+" if cluster.spec.platform != "self-hosted" else ""
            self._send_json(
                200,
                {
                    "major": major,
                    "minor": minor + plus,
                    "gitVersion": cluster.git_version,
                    "gitCommit": cluster.uid(5).replace("-", "")[:40],
                    "gitTreeState": "clean",
                    "buildDate": "2024-04-16T21:48:29Z",
                    "goVersion": "go1.21.9",
                    "compiler": "gc",
                    "platform": "linux/amd64",
                },
            )
            return
        if path in ("/healthz", "/livez", "/readyz"):
            self._send_bytes(200, b"ok", "text/plain; charset=utf-8")
            return
        if path == "/metrics":
            body = render_metrics(cluster, self.sim.request_count).encode()
            self._send_bytes(200, body, "text/plain; version=0.0.4; charset=utf-8")
            return
        if path in ("/api", "/apis") and form.form == "aggregated":
            doc = discovery.aggregated(cluster, core=path == "/api", version=form.version)
            ctype = discovery.AGGREGATED_V2 if form.version == "v2" else discovery.AGGREGATED_V2BETA1
            body = json.dumps(doc, separators=(",", ":")).encode()
            # The aggregated discovery handler (k8s.io/apiserver endpoints/discovery/aggregated etag.go) lets
            # clients cache: a quoted ETag of the document, Vary: Accept, Cache-Control: public, 304 on a match.
            etag = '"' + hashlib.sha512(body).hexdigest().upper() + '"'
            headers = {"ETag": etag, "Vary": "Accept"}
            if self.headers.get("If-None-Match") == etag:
                self._headers(304, ctype, headers, cache="public")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send_bytes(200, body, ctype, headers, cache="public")
            return
        if path == "/api":
            self._send_json(200, discovery.api_versions(self.sim.url.split("//", 1)[-1]))
            return
        if path == "/apis":
            self._send_json(200, discovery.api_group_list(cluster))
            return
        if segments[:1] == ["api"] and len(segments) >= 2:
            group, version, rest = "", segments[1], segments[2:]
        elif segments[:1] == ["apis"] and len(segments) >= 2:
            if len(segments) == 2:
                group_doc = discovery.api_group(cluster, segments[1])
                if group_doc is None:
                    raise _not_found_path()
                self._send_json(200, group_doc)
                return
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            raise _not_found_path()
        if not rest:
            resources_doc = discovery.resource_list(cluster, group, version)
            if resources_doc is None:
                raise _not_found_path()
            self._send_json(200, resources_doc)
            return
        self._resource(group, version, rest, query, form)

    def _collection(self, group: str, version: str, plural: str) -> Collection:
        key = f"{plural}.{group}" if group else plural
        collection = self.sim.cluster.collections.get(key)
        if collection is None or collection.resource.version != version:
            raise _not_found_path()
        return collection

    def _resource(self, group: str, version: str, rest: list[str], query: dict[str, str], form: _Accept) -> None:
        cluster = self.sim.cluster
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        collection = self._collection(group, version, rest[0])
        if namespace is not None and not collection.resource.namespaced:
            raise _not_found_path()
        if query.get("watch") in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "the simulator does not serve watches", details={})
        ns_index = cluster.ns_index.get(namespace) if namespace is not None else None
        if len(rest) == 1:
            self.sim.check_forbidden(collection, "list", namespace)
            self._list(collection, namespace, ns_index, query, form)
            return
        if len(rest) in (2, 3) and (len(rest) == 2 or rest[2] == "status"):
            self.sim.check_forbidden(collection, "get", namespace)
            self._get(collection, namespace, ns_index, rest[1], query, form)
            return
        raise _not_found_path()

    # ------------------------------------------------------------------ get

    def _get(
        self,
        collection: Collection,
        namespace: str | None,
        ns_index: int | None,
        name: str,
        query: dict[str, str],
        form: _Accept,
    ) -> None:
        r = collection.resource
        index = None
        if namespace is None or ns_index is not None:
            index = collection.find(ns_index, name)
        if index is None:
            raise ApiError(
                404,
                "NotFound",
                f'{r.key} "{name}" not found',
                details={"name": name, **({"group": r.group} if r.group else {}), "kind": r.plural},
            )
        obj = collection.item(index)
        if form.form == "table":
            now = tables.now_utc()
            include = query.get("includeObject", "Metadata")
            table = {
                "kind": "Table",
                "apiVersion": f"meta.k8s.io/{form.version}",
                "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
                "columnDefinitions": tables.column_definitions(r.key),
                "rows": [tables.row(r.key, obj, r.api_version, r.kind, include, now)],
            }
            self._note_secret(r.key, include == "Object")
            self._send_json(200, table)
        elif form.form == "poml":
            self._send_json(
                200, {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
            )
        else:
            self._note_secret(r.key, True)
            self._send_json(200, {"kind": r.kind, "apiVersion": r.api_version, **obj})

    def _note_secret(self, key: str, full: bool) -> None:
        if key == "secrets" and full:
            self.sim.secret_data_served = True

    # ------------------------------------------------------------------ list

    def _list(
        self, collection: Collection, namespace: str | None, ns_index: int | None, query: dict[str, str], form: _Accept
    ) -> None:
        sim, cluster = self.sim, self.sim.cluster
        r = collection.resource
        token_text = query.get("continue", "")
        rv = query.get("resourceVersion", "")
        rv_match = query.get("resourceVersionMatch", "")
        # Validation as in k8s.io/apimachinery internalversion/validation and the etcd3 store.
        if rv_match and not rv:
            raise _invalid(
                "resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"
            )
        if rv_match and token_text:
            raise _invalid("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided")
        if rv_match and rv_match not in ("Exact", "NotOlderThan"):
            raise _invalid("resourceVersionMatch", f'Unsupported value: "{rv_match}"')
        if rv_match == "Exact" and rv == "0":
            raise _invalid("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        if token_text and rv and rv != "0":
            raise ApiError(400, "BadRequest", "specifying resource version is not allowed when using continue")
        limit_text = query.get("limit", "")
        try:
            limit = int(limit_text) if limit_text else 0
        except ValueError:
            raise ApiError(400, "BadRequest", f'limit: Invalid value: "{limit_text}": must be an integer') from None
        if rv and not rv.isdigit():
            raise ApiError(400, "BadRequest", f'resourceVersion: Invalid value: "{rv}": must be a number')
        if rv and rv != "0" and int(rv) > cluster.resource_version:
            raise ApiError(
                504,
                "Timeout",
                f"Too large resource version: {rv}, current: {cluster.resource_version}",
                details={
                    "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    "retryAfterSeconds": 1,
                },
            )
        if rv == "0" and not token_text and cluster.minor < 34:
            # The watch cache ignores limit for resourceVersion=0 before KEP-4988 (kubernetes#125335).
            limit = 0
        try:
            labels = label_matcher(query.get("labelSelector", ""))
            fields = field_matcher(r.key, query.get("fieldSelector", ""))
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None
        filtered = labels is not None or fields is not None

        start, end = collection.span(ns_index)
        if namespace is not None and ns_index is None:
            start = end = 0  # listing in a namespace that does not exist: an empty list, as the apiserver answers
        list_rv = cluster.resource_version
        page_no, list_id = 0, 0
        if token_text:
            try:
                token = _unb64(token_text)
                offset = int(token["start"])
                list_rv = int(token["rv"])
                page_no = int(token.get("page", 0))
                list_id = int(token.get("list", 0))
                issued = float(token.get("t", time.time()))
                valid = token.get("res") == r.key and token.get("ns", "") == (namespace or "")
            except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
                valid = False
            if not valid or not start <= offset <= end:
                raise ApiError(
                    400,
                    "BadRequest",
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                )
            fresh = self._token(r.key, namespace, offset, cluster.resource_version, sim.new_list_id(), 0)
            sim.check_expiry(page_no, issued, fresh)
            start = offset
        else:
            list_id = sim.new_list_id()

        if limit > 0 and not filtered:
            stop = min(end, start + limit)
            remaining = end - stop
            meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
            if remaining:
                meta["continue"] = self._token(r.key, namespace, stop, list_rv, list_id, page_no + 1)
                meta["remainingItemCount"] = remaining
            items: Iterator[dict[str, Any]] = (collection.item(i) for i in range(start, stop))
            self._write_list(collection, form, query, meta, items, None)
            return
        if not filtered:
            meta = {"resourceVersion": str(list_rv)}
            items = (collection.item(i) for i in range(start, end))
            self._write_list(collection, form, query, meta, items, None)
            return
        # With selectors: scan until `limit` matches; the continue offset is the next unscanned object, and
        # remainingItemCount is never set (the count is unknown).
        tail: dict[str, Any] = {"resourceVersion": str(list_rv)}

        def matches() -> Iterator[dict[str, Any]]:
            found = 0
            index = start
            while index < end:
                obj = collection.item(index)
                index += 1
                if (labels is None or labels(obj["metadata"].get("labels") or {})) and (fields is None or fields(obj)):
                    yield obj
                    found += 1
                    if limit and found >= limit:
                        break
            if index < end:
                tail["continue"] = self._token(r.key, namespace, index, list_rv, list_id, page_no + 1)

        self._write_list(collection, form, query, None, matches(), tail)

    @staticmethod
    def _token(key: str, namespace: str | None, offset: int, rv: int, list_id: int, page: int) -> str:
        return _b64(
            {
                "v": "meta.k8s.io/v1",
                "rv": rv,
                "start": offset,
                "res": key,
                "ns": namespace or "",
                "list": list_id,
                "page": page,
                "t": round(time.time(), 3),
            }
        )

    def _write_list(
        self,
        collection: Collection,
        form: _Accept,
        query: dict[str, str],
        meta: dict[str, Any] | None,
        items: Iterator[dict[str, Any]],
        tail: dict[str, Any] | None,
    ) -> None:
        """Stream a list; ``meta`` goes first when known, else ``tail`` (filled while streaming) goes last."""
        r = collection.resource
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        if form.form == "table":
            include = query.get("includeObject", "Metadata")
            if include not in ("None", "Metadata", "Object"):
                raise ApiError(400, "BadRequest", f'includeObject: Unsupported value: "{include}"')
            self._note_secret(r.key, include == "Object")
            now = tables.now_utc()
            head = {"kind": "Table", "apiVersion": f"meta.k8s.io/{form.version}"}
            columns = dumps(tables.column_definitions(r.key))
            first = dumps(head)[:-1] + (f',"metadata":{dumps(meta)}' if meta is not None else "")
            first += f',"columnDefinitions":{columns},"rows":['

            def render(obj: dict[str, Any]) -> str:
                return dumps(tables.row(r.key, obj, r.api_version, r.kind, include, now))
        elif form.form == "poml":
            head = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1"}
            first = dumps(head)[:-1] + (f',"metadata":{dumps(meta)}' if meta is not None else "") + ',"items":['

            def render(obj: dict[str, Any]) -> str:
                return dumps(
                    {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
                )
        else:
            self._note_secret(r.key, True)
            head = {"kind": f"{r.kind}List", "apiVersion": r.api_version}
            first = dumps(head)[:-1] + (f',"metadata":{dumps(meta)}' if meta is not None else "") + ',"items":['

            def render(obj: dict[str, Any]) -> str:
                return dumps(obj)

        def pieces() -> Iterator[str]:
            yield first
            sep = ""
            for obj in items:
                yield sep + render(obj)
                sep = ","
            yield "]"
            if tail is not None:
                yield f',"metadata":{dumps(tail)}'
            yield "}"

        self._stream(pieces())


def _not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", details={})


def _invalid(field_name: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'ListOptions.meta.k8s.io "" is invalid: {field_name}: Forbidden: {message}',
        details={
            "group": "meta.k8s.io",
            "kind": "ListOptions",
            "causes": [{"reason": "FieldValueForbidden", "message": f"Forbidden: {message}", "field": field_name}],
        },
    )


def make_http_server(server: Server, port: int) -> ThreadingHTTPServer:
    """Bind 127.0.0.1:``port`` (0 = ephemeral) with a handler class bound to ``server``."""
    handler = type("BoundHandler", (Handler,), {"sim": server})
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    return httpd
