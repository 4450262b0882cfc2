"""The etcd collector: database size, members, quota and key counts per ``/registry/`` prefix.

It talks to etcd's v3 JSON gateway with ``requests`` (POST only, base64 keys, int64 values as strings,
zero values left out), so it needs no protobuf or gRPC and works with client-certificate TLS.
"""

from __future__ import annotations

import base64
import os
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..errors import AccessDenied, AuthError, CollectorError, EndpointError, InputError
from ..inventory import ClusterInfo, CollectionInfo, EtcdInventory, EtcdMember, Gap, Snapshot, explain_unmeasured

SOURCE = "etcd"
REGISTRY = "/registry/"

# Prefixes always reported, with 0 when absent, because the catalog and readers look for them by name.
# The special ones come from SpecialDefaultResourcePrefixes in
# kubernetes/kubernetes:pkg/kubeapiserver/default_storage_factory_builder.go (nodes live under "minions",
# services under "services/specs", endpoints under "services/endpoints", ...).
KNOWN_PREFIXES: tuple[str, ...] = (
    "/registry/pods/",
    "/registry/minions/",
    "/registry/namespaces/",
    "/registry/services/specs/",
    "/registry/services/endpoints/",
    "/registry/endpointslices/",
    "/registry/networkpolicies/",
    "/registry/configmaps/",
    "/registry/secrets/",
    "/registry/events/",
    "/registry/leases/",
    "/registry/deployments/",
    "/registry/replicasets/",
    "/registry/controllers/",
    "/registry/ingress/",
    "/registry/apiextensions.k8s.io/customresourcedefinitions/",
)

# First path segments under /registry/ that hold a second, fixed segment rather than namespaces.
_TWO_LEVEL = {"services"}

# A cluster with thousands of CRDs has at most a few thousand resource prefixes; stop well beyond that.
MAX_PREFIXES = 5000

# The gateway path moved: /v3alpha (3.2), /v3beta (3.3, also served by 3.4), /v3 (3.4+; 3.5 keeps only /v3).
# https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/
API_PREFIXES = ("/v3", "/v3beta", "/v3alpha")

_QUOTA_METRIC = re.compile(r"^etcd_server_quota_backend_bytes(?:\{[^}]*\})?\s+(\S+)", re.MULTILINE)

_CA_HINT = "Pass --cacert with the etcd CA (kubeadm: /etc/kubernetes/pki/etcd/ca.crt)"
_CLIENT_CERT_HINT = (
    "etcd wants a client certificate: pass --cacert/--cert/--key "
    "(kubeadm: /etc/kubernetes/pki/apiserver-etcd-client.crt and .key)"
)


class _GatewayError(Exception):
    """A non-2xx answer from the gateway (etcd puts a gRPC code and message in the JSON body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Endpoint:
    """One endpoint as given by the user, and what its Status call said."""

    url: str
    status: dict[str, Any] | None = None
    error: CollectorError | None = None


@dataclass
class _Counter:
    """HTTP requests made and gaps found, for the snapshot's collection and gaps blocks."""

    requests: int = 0
    gaps: list[Gap] = field(default_factory=list)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def prefix_range_end(prefix: bytes) -> bytes:
    """The etcd ``range_end`` that selects every key starting with ``prefix`` (last byte + 1, with carry)."""
    end = bytearray(prefix)
    while end:
        if end[-1] < 0xFF:
            end[-1] += 1
            return bytes(end)
        end.pop()
    return b"\x00"  # an all-0xFF prefix: "every key from here on", as etcdctl --prefix does


def resource_prefix(key: bytes) -> bytes | None:
    """The Kubernetes resource prefix a ``/registry/`` key belongs to, or None for a key directly under it.

    ``/registry/pods/ns/p`` -> ``/registry/pods/``; ``/registry/services/specs/ns/s`` ->
    ``/registry/services/specs/``; ``/registry/cilium.io/ciliumnetworkpolicies/ns/x`` ->
    ``/registry/cilium.io/ciliumnetworkpolicies/`` (CRD groups always contain a dot).
    """
    root = REGISTRY.encode()
    if not key.startswith(root):
        return None
    parts = key[len(root) :].split(b"/")
    if len(parts) < 2:
        return None  # e.g. "/registry/health": a single key, not a resource folder
    depth = 2 if (b"." in parts[0] or parts[0].decode(errors="replace") in _TWO_LEVEL) and len(parts) >= 3 else 1
    return root + b"/".join(parts[:depth]) + b"/"


def _check_file(path: str | None, flag: str) -> None:
    if path is None:
        return
    if not os.path.exists(path):
        raise InputError(f"{path}: {flag} file not found")
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise InputError(f"{path}: {flag} file is not a readable file")


def _check_tls_files(cacert: str | None, cert: str | None, key: str | None) -> None:
    """Fail early, naming the file, when a certificate or key the user gave is missing or not PEM."""
    _check_file(cacert, "--cacert")
    _check_file(cert, "--cert")
    _check_file(key, "--key")
    if key and not cert:
        raise InputError("--key needs --cert: pass the client certificate that goes with the key")
    if cacert:
        try:
            ssl.create_default_context(cafile=cacert)
        except (ssl.SSLError, ValueError) as exc:
            raise InputError(f"{cacert}: --cacert is not a PEM CA certificate ({exc})") from None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_cert_chain(cert, key)
        except ssl.SSLError as exc:
            named = f"{cert} / {key}" if key else cert
            raise InputError(
                f"{named}: --cert/--key are not a PEM certificate and its private key ({exc.reason or exc})"
            ) from None


def normalise_endpoint(endpoint: str) -> str:
    """Check one ``http(s)://host:port`` client URL; an endpoint without a scheme or with another one is refused
    (:class:`InputError`) rather than guessed."""
    endpoint = endpoint.strip().rstrip("/")
    if not endpoint:
        raise InputError("--endpoints: empty endpoint in the list")
    if "://" not in endpoint:
        # Never guess: a scheme-less endpoint sent as plain http would downgrade a TLS etcd silently.
        raise InputError(
            f"--endpoints: {endpoint!r} has no scheme; write https://{endpoint} (or http://{endpoint} for an etcd "
            "without TLS)"
        )
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--endpoints: {endpoint!r} is not an http(s)://host:port URL")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InputError(f"--endpoints: {endpoint!r} has an invalid port") from None
    return endpoint


def _collector_error(url: str, exc: Exception, timeout: float) -> CollectorError:
    """Turn a requests exception into a one-line CollectorError with a hint."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        lowered = text.lower()
        if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
            return EndpointError(f"TLS handshake with {url} failed: certificate verify failed", hint=_CA_HINT)
        if "wrong version number" in lowered or "record layer failure" in lowered:
            return EndpointError(
                f"TLS handshake with {url} failed: the endpoint does not speak TLS", hint="Use an http:// URL"
            )
        alert = re.search(r"(?:tlsv1\d?|sslv3) alert ([a-z ]+)", lowered)
        reason = f"the server sent '{alert.group(1).strip()}'" if alert else "the server closed the connection"
        return EndpointError(f"TLS handshake with {url} failed: {reason}", hint=_CLIENT_CERT_HINT)
    if isinstance(exc, requests.exceptions.Timeout):
        return EndpointError(
            f"{url} did not answer within {timeout:g}s", hint="Check --endpoints and the network path to etcd"
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        lowered = text.lower()
        closed = "connection reset" in lowered or "remote end closed" in lowered or "broken pipe" in lowered
        if closed and url.startswith("http://"):
            # etcd serving TLS drops a plain-HTTP request without an answer.
            return EndpointError(
                f"{url} closed the connection",
                hint="If etcd serves TLS, use an https:// URL with --cacert/--cert/--key",
            )
        if closed:
            # TLS 1.3 servers reject a missing client certificate after the client thinks the handshake is done.
            return EndpointError(f"{url} closed the connection during the TLS handshake", hint=_CLIENT_CERT_HINT)
        if "refused" in lowered:
            reason = "connection refused"
        elif "name or service not known" in lowered or "nodename nor servname" in lowered:
            reason = "host name not found"
        else:
            reason = _short(text)
        return EndpointError(f"Could not reach {url}: {reason}", hint="Check --endpoints (etcd's client URLs)")
    return EndpointError(f"Could not read {url}: {_short(text)}")


def _short(text: str) -> str:
    """The last, most specific part of a nested urllib3/requests error message."""
    text = " ".join(text.split())
    for marker in ("(Caused by ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()' ")[:200]


class _Gateway:
    """A tiny client for one etcd endpoint's JSON gateway."""

    def __init__(self, session: requests.Session, url: str, timeout: float, counter: _Counter) -> None:
        self.session = session
        self.url = url
        self.api = "/v3"
        self.timeout = timeout
        self.counter = counter

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``<api>/<path>`` and return the JSON answer; errors raise."""
        self.counter.requests += 1
        try:
            resp = self.session.post(f"{self.url}{self.api}/{path}", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _collector_error(self.url, exc, self.timeout) from None
        return self._json(resp)

    def _json(self, resp: requests.Response) -> dict[str, Any]:
        if resp.status_code == 400 and "HTTP request to an HTTPS server" in resp.text:
            raise EndpointError(f"{self.url} speaks TLS", hint="Use an https:// URL and pass --cacert/--cert/--key")
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code != 200 or not isinstance(data, dict):
            message = data.get("message") or data.get("error") if isinstance(data, dict) else None
            raise _GatewayError(resp.status_code, str(message or resp.text.strip() or resp.reason)[:200])
        return data

    def detect_api(self) -> dict[str, Any]:
        """Call Maintenance Status on /v3, falling back to the older gateway paths on 404; return it."""
        for api in API_PREFIXES:
            self.api = api
            try:
                return self.post("maintenance/status", {})
            except _GatewayError as exc:
                if exc.status != 404:
                    raise
        raise EndpointError(f"{self.url} has no etcd v3 JSON gateway (404 on /v3, /v3beta and /v3alpha)")

    def range(self, key: bytes, end: bytes, **options: Any) -> dict[str, Any]:
        """A Range request over ``[key, end)``; ``options`` are RangeRequest fields (count_only, limit, ...)."""
        return self.post("kv/range", {"key": _b64(key), "range_end": _b64(end), **options})

    def metrics_text(self) -> str:
        """etcd's Prometheus text from ``/metrics`` on the client URL."""
        self.counter.requests += 1
        try:
            resp = self.session.get(f"{self.url}/metrics", timeout=self.timeout)
        except requests.RequestException as exc:
            raise _collector_error(self.url, exc, self.timeout) from None
        if resp.status_code != 200:
            raise _GatewayError(resp.status_code, f"HTTP {resp.status_code} {resp.reason}")
        return resp.text


def _int(value: Any) -> int:
    """A proto3 JSON int64 (a string) or an omitted zero as an int."""
    return int(value) if value not in (None, "") else 0


def _member_id(value: Any) -> str:
    """etcd member ids as etcdctl prints them (hex), from the gateway's decimal uint64 string."""
    try:
        return format(int(value), "x")
    except (TypeError, ValueError):
        return str(value)


def _new_session(cacert: str | None, cert: str | None, key: str | None) -> requests.Session:
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify (psf/requests#3829), which breaks
    # a private etcd CA; trust_env=False also keeps proxies out of a connection to the control plane.
    session.trust_env = False
    session.verify = cacert if cacert else True
    if cert:
        session.cert = (cert, key) if key else cert
    session.headers["User-Agent"] = f"k8seval/{__version__}"
    return session


def count_prefixes(
    gw: _Gateway,
    root: str = REGISTRY,
    *,
    known: tuple[str, ...] = KNOWN_PREFIXES,
    max_prefixes: int = MAX_PREFIXES,
) -> tuple[dict[str, int], int, list[Gap]]:
    """Count the keys of every resource prefix under ``root``, discovering the prefixes, at one revision.

    The ``known`` prefixes (the big built-in resources) are counted with ``count_only`` ranges, as
    kube-apiserver itself does for its object-count metric. The key space between them is then walked with
    a skip scan: ask for the first key at or after a cursor (``keys_only``, ``limit=1``, the range ending
    at the next known prefix), record that key's resource prefix, and jump the cursor past it. Each answer
    also carries the number of keys from the cursor to the end of the range, so the difference between two
    successive answers is the size of the prefix just passed. Requests grow with the number of prefixes,
    not keys, and no request ever spans a known prefix: etcd walks its index over the whole range even when
    ``limit`` is 1, so a scan across ``/registry/pods/`` would walk every pod key each time.
    Every request is pinned to the first answer's revision so the counts add up.
    Returns (keys per prefix, keys under ``root``, gaps).
    """
    root_b = root.encode()
    fences = sorted(k.encode() for k in known if k.startswith(root) and k != root)
    for _attempt in range(3):
        try:
            return _count_at_one_revision(gw, root_b, fences, max_prefixes)
        except _GatewayError as exc:
            if "compacted" not in exc.message:
                raise
            # the pinned revision was compacted under us (kube-apiserver compacts every 5 minutes): start again
    raise CollectorError(f"{gw.url}: key counts kept failing because etcd compacted the revision being read")


def _count_at_one_revision(
    gw: _Gateway, root: bytes, fences: list[bytes], max_prefixes: int
) -> tuple[dict[str, int], int, list[Gap]]:
    revision: str | None = None

    def ranged(key: bytes, end: bytes, **options: Any) -> dict[str, Any]:
        nonlocal revision
        if revision:
            options["revision"] = revision
        data = gw.range(key, end, **options)
        revision = revision or data.get("header", {}).get("revision")
        return data

    counts: dict[str, int] = {}
    for fence in fences:
        counts[fence.decode()] = _int(ranged(fence, prefix_range_end(fence), count_only=True).get("count"))
    # The stretches of key space between the known prefixes.
    stretches: list[tuple[bytes, bytes]] = []
    cursor = root
    for fence in fences:
        stretches.append((cursor, fence))
        cursor = prefix_range_end(fence)
    stretches.append((cursor, prefix_range_end(root)))

    for start, stop in stretches:
        if start >= stop:
            continue
        cursor, remaining, pending = start, None, ""
        while cursor < stop:
            data = ranged(cursor, stop, keys_only=True, limit=1)
            count = _int(data.get("count"))  # keys from the cursor to the end of this stretch
            if remaining is not None:
                _add_count(counts, pending, remaining - count)
            kvs = data.get("kvs") or []
            if not kvs:
                break
            if len(counts) >= max_prefixes:
                gap = Gap(
                    SOURCE,
                    "etcd.keys",
                    f"stopped after {max_prefixes} prefixes; keys under later prefixes are in total_keys only",
                )
                return counts, sum(counts.values()), [gap]
            first = base64.b64decode(kvs[0]["key"])
            prefix = resource_prefix(first)
            if prefix is None:
                pending, cursor = first.decode(errors="replace"), first + b"\x00"  # a single key: step past it
            else:
                pending, cursor = prefix.decode(errors="replace"), min(prefix_range_end(prefix), stop)
            remaining = count
        else:
            if remaining is not None:
                _add_count(counts, pending, remaining)  # the cursor reached the end of the stretch
    return counts, sum(counts.values()), []


def _add_count(counts: dict[str, int], prefix: str, n: int) -> None:
    counts[prefix] = counts.get(prefix, 0) + max(n, 0)


def _count_listed(gw: _Gateway, prefixes: list[str], counter: _Counter) -> dict[str, int]:
    counts: dict[str, int] = {}
    for prefix in prefixes:
        raw = prefix.encode()
        try:
            data = gw.range(raw, prefix_range_end(raw), count_only=True)
        except _GatewayError as exc:
            counter.gaps.append(Gap(SOURCE, f"etcd.keys.{prefix}", f"range failed: HTTP {exc.status} {exc.message}"))
            continue
        counts[prefix] = _int(data.get("count"))  # a zero count is left out of the JSON
    return counts


def _read_quota(gw: _Gateway, counter: _Counter) -> int | None:
    try:
        text = gw.metrics_text()
    except (_GatewayError, CollectorError) as exc:
        counter.gaps.append(
            Gap(SOURCE, "etcd.quota_backend_bytes", f"{gw.url}/metrics not readable: {exc}".rstrip("."))
        )
        return None
    match = _QUOTA_METRIC.search(text)
    if not match:
        counter.gaps.append(
            Gap(SOURCE, "etcd.quota_backend_bytes", f"{gw.url}/metrics has no etcd_server_quota_backend_bytes")
        )
        return None
    return int(float(match.group(1)))  # Prometheus prints it as a float: 2.147483648e+09


def _members(gw: _Gateway, statuses: dict[str, dict[str, Any]], counter: _Counter) -> list[EtcdMember]:
    try:
        data = gw.post("cluster/member/list", {})
    except _GatewayError as exc:
        counter.gaps.append(Gap(SOURCE, "etcd.members", f"member list failed: HTTP {exc.status} {exc.message}"))
        data = {"members": []}
    leaders = {str(st.get("leader")) for st in statuses.values() if st.get("leader")}
    members = []
    for item in data.get("members") or []:
        raw_id = str(item.get("ID", ""))
        st = statuses.get(raw_id, {})
        members.append(
            EtcdMember(
                name=item.get("name") or _member_id(raw_id),  # an unstarted member has no name yet
                id=_member_id(raw_id),
                client_urls=list(item.get("clientURLs") or []),
                is_leader=raw_id in leaders,
                is_learner=bool(item.get("isLearner")),
                version=st.get("version"),
                db_size_bytes=_int(st["dbSize"]) if st.get("dbSize") else None,  # proto3 JSON omits zero
                db_size_in_use_bytes=_int(st["dbSizeInUse"]) if st.get("dbSizeInUse") else None,
                raft_term=_int(st.get("raftTerm")) if st else None,
                raft_index=_int(st.get("raftIndex")) if st else None,
                raft_applied_index=_int(st.get("raftAppliedIndex")) if st else None,
                errors=[str(e) for e in st.get("errors") or []],
            )
        )
    return members


def collect_etcd(
    endpoints: list[str],
    *,
    cacert: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    timeout: float = 5.0,
    name: str | None = None,
    prefixes: list[str] | None = None,
) -> Snapshot:
    """Measure etcd through its v3 JSON gateway and return a self-hosted snapshot with the etcd section filled.

    Every endpoint gets a Maintenance Status call; the first healthy one serves the member list, the quota
    (from its ``/metrics``) and the key counts. ``prefixes`` lists the key prefixes to count; by default the
    resource prefixes under ``/registry/`` are discovered and counted, plus :data:`KNOWN_PREFIXES` (0 when
    absent). Unreachable endpoints, an unreadable ``/metrics`` and failed ranges become gaps; when no
    endpoint answers, :class:`EndpointError` (or another :class:`CollectorError`) is raised.
    Missing or invalid certificate files raise :class:`InputError` naming the file.
    """
    if not endpoints:
        raise InputError("--endpoints: give at least one etcd client URL, e.g. https://10.0.0.1:2379")
    _check_tls_files(cacert, cert, key)
    urls = list(dict.fromkeys(normalise_endpoint(e) for e in endpoints))
    started = time.monotonic()
    counter = _Counter()
    session = _new_session(cacert, cert, key)
    try:
        return _collect(session, urls, timeout, name, prefixes, counter, started)
    finally:
        session.close()


def _collect(
    session: requests.Session,
    urls: list[str],
    timeout: float,
    name: str | None,
    prefixes: list[str] | None,
    counter: _Counter,
    started: float,
) -> Snapshot:
    endpoints = [_Endpoint(url) for url in urls]
    gateways: dict[str, _Gateway] = {}
    for ep in endpoints:
        gw = _Gateway(session, ep.url, timeout, counter)
        try:
            ep.status = gw.detect_api()
        except CollectorError as exc:
            ep.error = exc
            continue
        except _GatewayError as exc:
            ep.error = _gateway_collector_error(ep.url, exc)
            continue
        gateways[ep.url] = gw

    healthy = [ep for ep in endpoints if ep.status is not None]
    if not healthy:
        first = endpoints[0].error
        assert first is not None
        if len(endpoints) == 1:
            raise first
        detail = "; ".join(ep.error.message for ep in endpoints if ep.error)  # each names its URL
        raise type(first)(f"No etcd endpoint answered ({detail})", hint=first.hint)
    for ep in endpoints:
        if ep.error is not None:
            counter.gaps.append(Gap(SOURCE, f"etcd.endpoint.{ep.url}", f"not reachable: {ep.error}".rstrip(".")))

    main = healthy[0]
    gw = gateways[main.url]
    assert main.status is not None
    statuses = {str(ep.status.get("header", {}).get("member_id")): ep.status for ep in healthy if ep.status}

    members = _members(gw, statuses, counter)
    # etcd 3.6+ returns the quota it enforces in Status (dbSizeQuota, etcdserverpb StatusResponse field 12);
    # older versions only show it as the etcd_server_quota_backend_bytes metric.
    status_quota = main.status.get("dbSizeQuota")
    if status_quota:
        quota: int | None = _int(status_quota)
        quota_basis: str | None = "Status.dbSizeQuota"
    else:
        quota = _read_quota(gw, counter)
        quota_basis = "etcd_server_quota_backend_bytes metric" if quota is not None else None

    try:
        if prefixes:
            keys = _count_listed(gw, list(dict.fromkeys(prefixes)), counter)
        else:
            keys, _registry_total, gaps = count_prefixes(gw)
            counter.gaps.extend(gaps)
        keys = dict(sorted(keys.items()))
        total_data = gw.range(b"\x00", b"\x00", count_only=True)  # key=range_end="\0": the whole keyspace
        total_keys: int | None = _int(total_data.get("count"))
    except _GatewayError as exc:
        counter.gaps.append(Gap(SOURCE, "etcd.keys", f"range failed on {gw.url}: HTTP {exc.status} {exc.message}"))
        keys, total_keys = {}, None

    # The member closest to its quota decides when etcd goes read-only, so report the largest database.
    biggest = max(healthy, key=lambda ep: _int((ep.status or {}).get("dbSize")))
    big = biggest.status or {}
    leader_id = str(main.status.get("leader") or "")
    leader = next((m.name for m in members if m.id == _member_id(leader_id)), _member_id(leader_id) or None)
    if not members:
        counter.gaps.append(Gap(SOURCE, "etcd.members", "member list returned no members"))

    etcd = EtcdInventory(
        db_size_bytes=_int(big.get("dbSize")),
        db_size_in_use_bytes=_int(big["dbSizeInUse"]) if big.get("dbSizeInUse") else None,
        quota_backend_bytes=quota,
        quota_basis=quota_basis,
        version=main.status.get("version"),
        members=members,
        leader=leader,
        keys=keys,
        total_keys=total_keys,
        source=SOURCE,
    )
    if etcd.db_size_in_use_bytes is None:
        counter.gaps.append(Gap(SOURCE, "etcd.db_size_in_use_bytes", "Status has no dbSizeInUse (etcd before 3.4)"))
    host = urlsplit(urls[0]).hostname or urls[0]
    return explain_unmeasured(
        Snapshot(
            # etcd cannot tell which platform runs it, and its URL is not the cluster's API endpoint (the members'
            # client URLs are in etcd.members): both stay unset so a merge takes them from the Kubernetes or cloud view.
            cluster=ClusterInfo(name=name or host, platform="unknown"),
            etcd=etcd,
            gaps=counter.gaps,
            collection=CollectionInfo(
                collectors=["etcd"],
                tool_version=__version__,
                duration_seconds=round(time.monotonic() - started, 3),
                requests=counter.requests,
                count_methods={"etcd.keys": "count-only" if prefixes else "count-only+skip-scan"},
            ),
        ),
        SOURCE,
        "collect etcd reads etcd only: collect kube measures it (collect merge joins the two)",
    )


def _gateway_collector_error(url: str, exc: _GatewayError) -> CollectorError:
    """An HTTP error on the first call: authentication, permission or something else."""
    lowered = exc.message.lower()
    if exc.status == 401 or "user name is empty" in lowered or "invalid auth token" in lowered:
        return AuthError(
            f"{url} requires etcd user authentication ({exc.message})",
            hint="k8seval reads etcd with client certificates only: pass --cacert/--cert/--key",
        )
    if exc.status == 403 or "permission denied" in lowered:
        return AccessDenied(
            f"{url} refused maintenance status: {exc.message}", hint="Use a client certificate with read access"
        )
    return EndpointError(f"{url} answered HTTP {exc.status}: {exc.message}")
