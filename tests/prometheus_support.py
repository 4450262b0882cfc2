"""Real Prometheus, promtool and Pushgateway for the tests, and months of series scraped from the simulator.

A history is built by running the simulator at several scales (and Kubernetes versions, so the apiserver's
metric names change), scraping its ``/metrics`` and listing its objects the way kube-state-metrics does
(label sets as in kube-state-metrics' own store tests, internal/store/*_test.go), then writing one sample per
step in OpenMetrics for ``promtool tsdb create-blocks-from openmetrics``. What was written is kept per
cluster and step, so a test can check every fact the collector read against it.
"""

from __future__ import annotations

import math
import re
import shutil
import socket
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from evaluator.simulator import Simulator, parse_spec

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
PUSHGATEWAY = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None, reason="prometheus/promtool not installed (scripts/test.sh installs them)"
)
needs_pushgateway = pytest.mark.skipif(
    PUSHGATEWAY is None, reason="prometheus-pushgateway not installed (scripts/test.sh installs it)"
)

DAY = 86400
FIXTURES_REAL = Path(__file__).parent / "fixtures" / "real"
_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200 (``tcp://host:port``: until the port accepts), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if url.startswith("tcp://"):
                host, port = url[len("tcp://") :].rsplit(":", 1)
                with socket.create_connection((host, int(port)), timeout=1):
                    return
            if requests.get(url, timeout=1).status_code == 200:
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready in {timeout:.0f}s")


class PortTaken(Exception):
    """The server exited right after start: another process had bound its port."""


def _started(make: Callable[[int], tuple[Process, str]]) -> tuple[Process, str]:
    """``make(port)`` on a free port, again on another when the port was taken meanwhile."""
    for _ in range(4):
        try:
            return make(free_port())
        except PortTaken:
            continue
    return make(free_port())


class Process:
    """A server process started by a test, stopped (and its log kept) on exit."""

    def __init__(self, args: list[str], log: Path, ready_url: str) -> None:
        self.log = log
        self._fh = open(log, "w")  # noqa: SIM115 - kept open for the process's life
        self.proc = subprocess.Popen(args, stdout=self._fh, stderr=subprocess.STDOUT)
        try:
            wait_ready(ready_url)
        except AssertionError:
            self.stop()
            raise AssertionError(f"{args[0]} did not start: {log.read_text()[-2000:]}") from None
        # Tests run in parallel processes: another test's server may have taken the port between free_port() and
        # this bind, and answered the readiness probe itself. A server that lost the port exits at once.
        time.sleep(0.5)
        if self.proc.poll() is not None:
            self.stop()
            raise PortTaken(log.read_text()[-500:])

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._fh.close()


def start_prometheus(
    tsdb: Path, *, config: str = "", extra: tuple[str, ...] = (), ready: bool = True
) -> tuple[Process, str]:
    """Start the real prometheus on a free 127.0.0.1 port over ``tsdb``; returns (process, base URL).

    ``ready=False`` waits for the port only (a server behind TLS and auth cannot be polled over plain http).
    """
    assert PROMETHEUS is not None
    cfg = tsdb.parent / f"{tsdb.name}-prometheus.yml"
    cfg.write_text(config or "global:\n  scrape_interval: 15s\n")

    def make(port: int) -> tuple[Process, str]:
        url = f"http://127.0.0.1:{port}"
        args = [
            PROMETHEUS,
            f"--config.file={cfg}",
            f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=20y",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-admin-api",
            *extra,
        ]
        log = tsdb.parent / f"{tsdb.name}-prometheus.log"
        return Process(args, log, f"{url}/-/ready" if ready else f"tcp://127.0.0.1:{port}"), url

    return _started(make)


def web_config(folder: Path, *, user: str, password: str, tls) -> Path:
    """A Prometheus ``--web.config.file``: basic auth (bcrypt) and TLS requiring a client certificate."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # bcrypt through libxcrypt; Python 3.11's crypt module is enough for a test password

        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    path = folder / "web.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {
                    "cert_file": str(tls.server_cert),
                    "key_file": str(tls.server_key),
                    "client_ca_file": str(tls.ca),
                    "client_auth_type": "RequireAndVerifyClientCert",
                },
                "basic_auth_users": {user: hashed},
            }
        )
    )
    return path


def start_pushgateway(folder: Path) -> tuple[Process, str]:
    """Start the real Pushgateway on a free 127.0.0.1 port; returns (process, base URL)."""
    assert PUSHGATEWAY is not None

    def make(port: int) -> tuple[Process, str]:
        url = f"http://127.0.0.1:{port}"
        # An empty --persistence.file keeps the groups in memory: Debian's build defaults it to
        # /var/lib/prometheus/pushgateway.data, which every test's gateway would then share and reload.
        args = [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="]
        return Process(args, folder / "pushgateway.log", f"{url}/-/ready"), url

    return _started(make)


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool (``stdin`` as its input) and return the finished process (the caller checks the code)."""
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=300)


def backfill(folder: Path, tsdb: Path) -> None:
    """``promtool tsdb create-blocks-from openmetrics`` of every ``*.om`` file in ``folder`` into ``tsdb``."""
    tsdb.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.om")):
        result = promtool("tsdb", "create-blocks-from", "openmetrics", "--quiet", str(path), str(tsdb))
        assert result.returncode == 0, f"{path.name}: {result.stderr or result.stdout}"


# ------------------------------------------------------------------------------------------ scraping


Sample = tuple[str, tuple[tuple[str, str], ...], float]  # metric name, sorted labels, value


def parse_exposition(text: str) -> list[Sample]:
    """The samples of a Prometheus text exposition (comments skipped)."""
    out: list[Sample] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        assert match, f"not an exposition line: {line!r}"
        labels = tuple(sorted(_LABEL.findall(match.group(3) or "")))
        out.append((match.group(1), labels, float(match.group(4))))
    return out


def _list(base: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if token:
            params["continue"] = token
        page = requests.get(base + path, params=params, timeout=30).json()
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items


PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")


def kube_state_metrics(base: str, *, phases: bool = True) -> list[Sample]:
    """What kube-state-metrics would export for the cluster at ``base``, from listing its objects."""
    out: list[Sample] = []

    def add(name: str, value: float, **labels: str) -> None:
        out.append((name, tuple(sorted(labels.items())), value))

    for node in _list(base, "/api/v1/nodes"):
        name = node["metadata"]["name"]
        info = node["status"].get("nodeInfo") or {}
        add("kube_node_info", 1, node=name, kubelet_version=info.get("kubeletVersion", ""))
        allocatable = node["status"].get("allocatable") or {}
        add(
            "kube_node_status_allocatable",
            float(allocatable.get("pods", 0)),
            node=name,
            resource="pods",
            unit="integer",
        )
    for pod in _list(base, "/api/v1/pods"):
        meta = pod["metadata"]
        ns, name, uid = meta["namespace"], meta["name"], meta.get("uid", "")
        add("kube_pod_info", 1, namespace=ns, pod=name, uid=uid, node=pod["spec"].get("nodeName", ""))
        phase = (pod.get("status") or {}).get("phase", "Unknown")
        for p in PHASES if phases else ():
            add("kube_pod_status_phase", 1 if p == phase else 0, namespace=ns, pod=name, uid=uid, phase=p)
    for ns in _list(base, "/api/v1/namespaces"):
        add("kube_namespace_created", 1.7e9, namespace=ns["metadata"]["name"])
    for np in _list(base, "/apis/networking.k8s.io/v1/networkpolicies"):
        meta, spec = np["metadata"], np.get("spec") or {}
        labels = {"namespace": meta["namespace"], "networkpolicy": meta["name"]}
        add("kube_networkpolicy_created", 1.7e9, **labels)
        add("kube_networkpolicy_spec_ingress_rules", len(spec.get("ingress") or []), **labels)
        add("kube_networkpolicy_spec_egress_rules", len(spec.get("egress") or []), **labels)
    for svc in _list(base, "/api/v1/services"):
        meta = svc["metadata"]
        labels = {"namespace": meta["namespace"], "service": meta["name"], "uid": meta.get("uid", "")}
        add("kube_service_info", 1, cluster_ip=svc["spec"].get("clusterIP", ""), **labels)
        add("kube_service_spec_type", 1, type=svc["spec"].get("type", "ClusterIP"), **labels)
    for ep in _list(base, "/api/v1/endpoints"):
        meta = ep["metadata"]
        for subset in ep.get("subsets") or []:  # a series per address and port, as kube-state-metrics 2.14+
            for ready, key in (("true", "addresses"), ("false", "notReadyAddresses")):
                for address in subset.get(key) or []:
                    for port in subset.get("ports") or [{}]:
                        add(
                            "kube_endpoint_address",
                            1,
                            namespace=meta["namespace"],
                            endpoint=meta["name"],
                            ip=address["ip"],
                            port_name=port.get("name", ""),
                            port_number=str(port.get("port", "")),
                            port_protocol=port.get("protocol", "TCP"),
                            ready=ready,
                        )
    return out


def build_info(git_version: str) -> Sample:
    """The apiserver's kubernetes_build_info sample (the simulator does not serve it)."""
    major, minor = git_version.lstrip("v").split(".")[:2]
    labels = {"git_version": git_version, "major": major, "minor": minor}
    return ("kubernetes_build_info", tuple(sorted(labels.items())), 1.0)


# ------------------------------------------------------------------------------------------ a history


@dataclass(frozen=True)
class Segment:
    """Days ``first``..``last`` (inclusive) of a cluster's history served by one simulator spec."""

    first: int
    last: int
    overrides: dict[str, Any]
    ksm: bool = True  # kube-state-metrics scraped in this segment
    apiserver: bool = True  # the apiserver scraped in this segment
    phases: bool = True  # kube-state-metrics' kube_pod_status_phase (five series a pod) exported


@dataclass(frozen=True)
class ClusterPlan:
    """One cluster's simulated history."""

    name: str
    base: str  # simulator profile
    segments: list[Segment]
    # samples are written this long before each step: inside Prometheus's 5-minute lookback, and in the 2-hour
    # block before the step (a sample exactly at a step would open one more block)
    offset_seconds: int = 30
    outage: tuple[int, ...] = ()  # days with no samples at all


@dataclass
class History:
    """The OpenMetrics files written (one per day, in ``path``) and, per (cluster, day), the series written."""

    path: Path
    start: int  # UNIX time of day 0
    days: int
    written: dict[tuple[str, int], list[Sample]] = field(default_factory=dict)
    versions: dict[tuple[str, int], str] = field(default_factory=dict)

    def step_time(self, day: int) -> int:
        return self.start + day * DAY

    def samples(self, cluster: str, day: int, name: str) -> list[dict[str, Any]]:
        """The samples of metric ``name`` written for ``cluster`` at ``day`` as label dicts with ``value``."""
        return [
            dict(labels) | {"value": value} for n, labels, value in self.written.get((cluster, day), []) if n == name
        ]


def scrape(
    spec_base: str, overrides: dict[str, Any], *, ksm: bool, apiserver: bool, phases: bool = True
) -> tuple[list[Sample], str]:
    """Run one simulator with ``overrides`` and scrape it: (samples, git version)."""
    data = yaml.safe_load((files("evaluator.simulator") / "profiles" / f"{spec_base}.yaml").read_text()) | overrides
    spec = parse_spec(yaml.safe_dump(data), where=f"{spec_base} + {overrides}")
    with Simulator(spec) as sim:
        samples: list[Sample] = []
        if apiserver:
            samples += parse_exposition(requests.get(sim.url + "/metrics", timeout=30).text)
            samples.append(build_info(sim.cluster.git_version))
        if ksm:
            samples += kube_state_metrics(sim.url, phases=phases)
        return samples, sim.cluster.git_version


def build_history(
    plans: list[ClusterPlan], days: int, end: int, path: Path, *, cluster_label: str = "cluster"
) -> History:
    """Scrape every segment of every plan and write ``days`` daily steps ending at ``end`` as OpenMetrics files
    in the folder ``path``, one file per day (promtool re-reads its whole input for every 2-hour block it cuts,
    so one file per day keeps the backfill linear). Segments with the same spec are scraped once."""
    start = end - (days - 1) * DAY
    history = History(path=path, start=start, days=days)
    scraped: dict[str, tuple[list[Sample], str, list[tuple[str, str]]]] = {}
    by_day: dict[int, list[tuple[ClusterPlan, list[Sample]]]] = defaultdict(list)
    for plan in plans:
        for seg in plan.segments:
            key = repr((plan.base, sorted(seg.overrides.items()), seg.ksm, seg.apiserver, seg.phases))
            if key not in scraped:
                samples, git_version = scrape(
                    plan.base, seg.overrides, ksm=seg.ksm, apiserver=seg.apiserver, phases=seg.phases
                )
                texts = [",".join(f'{k}="{v}"' for k, v in labels) for _, labels, _ in samples]
                scraped[key] = (samples, git_version, texts)
            samples, git_version, _ = scraped[key]
            for day in range(seg.first, seg.last + 1):
                if day in plan.outage:
                    continue
                history.written[(plan.name, day)] = samples
                history.versions[(plan.name, day)] = git_version
                by_day[day].append((plan, key))
    path.mkdir(parents=True, exist_ok=True)
    for day, entries in sorted(by_day.items()):
        families: dict[str, list[str]] = defaultdict(list)
        for plan, key in entries:
            samples, _, texts = scraped[key]
            ts = history.step_time(day) - plan.offset_seconds
            own = f'{cluster_label}="{plan.name}"'
            for (name, _, value), text in zip(samples, texts, strict=True):
                labels = f"{own},{text}" if text else own
                families[name].append(f"{name}{{{labels}}} {_num(value)} {ts}\n")
        with open(path / f"day-{day:04d}.om", "w") as fh:
            for name in sorted(families):
                kind = "counter" if name.endswith("_total") else "gauge"
                family = name[: -len("_total")] if kind == "counter" else name
                fh.write(f"# TYPE {family} {kind}\n")
                fh.writelines(sorted(families[name]))
            fh.write("# EOF\n")
    return history


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


# ------------------------------------------------------------------------------------------ expected facts


def quantile(q: float, values: list[float]) -> float:
    """PromQL's quantile(): linear interpolation between closest ranks (rank = q * (n - 1))."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    weight = rank - low
    return ordered[low] * (1 - weight) + ordered[high] * weight


def expected_facts(history: History, cluster: str, day: int) -> dict[str, Any]:
    """The facts the series written for ``cluster`` at ``day`` carry (None: nothing written for it)."""
    s = lambda name: history.samples(cluster, day, name)  # noqa: E731
    facts: dict[str, Any] = {}
    objects: dict[str, int] = {}
    for row in s("apiserver_storage_objects"):
        objects[row["resource"]] = int(row["value"])
    for row in s("apiserver_resource_objects"):
        key = f"{row['resource']}.{row['group']}" if row["group"] else row["resource"]
        objects[key] = int(row["value"])
    nodes = s("kube_node_info")
    pods = s("kube_pod_info")
    if nodes:
        running = {
            (r["namespace"], r["pod"])
            for r in s("kube_pod_status_phase")
            if r["value"] == 1 and r["phase"] in ("Pending", "Running", "Unknown")
        }
        per_node = Counter(r["node"] for r in pods if r["node"] and (r["namespace"], r["pod"]) in running)
        counts = [float(per_node.get(r["node"], 0)) for r in nodes]
        alloc = [r["value"] for r in s("kube_node_status_allocatable")]
        facts["nodes.count"] = len(nodes)
        facts["nodes.pods_per_node"] = {
            "max": max(counts),
            "mean": round(sum(counts) / len(counts), 3),
            "p95": round(quantile(0.95, counts), 3),
            "min": min(counts),
        }
        facts["nodes.allocatable_pods"] = {
            "max": max(alloc),
            "mean": round(sum(alloc) / len(alloc), 3),
            "p95": round(quantile(0.95, alloc), 3),
            "min": min(alloc),
        }
        nps = s("kube_networkpolicy_created")
        facts["network_policies.count"] = len(nps)
        facts["network_policies.max_per_namespace"] = max(Counter(r["namespace"] for r in nps).values(), default=0)
        facts["network_policies.namespaces_with_policies"] = len({r["namespace"] for r in nps})
        facts["network_policies.ingress_rules"] = int(
            sum(r["value"] for r in s("kube_networkpolicy_spec_ingress_rules"))
        )
        facts["network_policies.egress_rules"] = int(sum(r["value"] for r in s("kube_networkpolicy_spec_egress_rules")))
        svcs = s("kube_service_info")
        facts["services.count"] = len(svcs)
        facts["services.by_type"] = dict(sorted(Counter(r["type"] for r in s("kube_service_spec_type")).items()))
        facts["services.max_per_namespace"] = max(Counter(r["namespace"] for r in svcs).values())
        addresses = {(r["namespace"], r["endpoint"], r["ip"]) for r in s("kube_endpoint_address")}
        eps = Counter((ns, ep) for ns, ep, _ in addresses)
        facts["services.max_endpoints_per_service"] = max(eps.values())
        facts["services.endpoints_total"] = sum(eps.values())
        facts["namespaces"] = len(s("kube_namespace_created"))
        for key, rows in (
            ("pods", pods),
            ("nodes", nodes),
            ("services", svcs),
            ("networkpolicies.networking.k8s.io", nps),
            ("namespaces", s("kube_namespace_created")),
        ):
            objects.setdefault(key, len(rows))
    elif objects:
        facts["network_policies.count"] = objects.get("networkpolicies.networking.k8s.io")
        if facts["network_policies.count"] == 0:  # no policies: none per namespace and no rules either
            for item in ("max_per_namespace", "namespaces_with_policies", "ingress_rules", "egress_rules"):
                facts[f"network_policies.{item}"] = 0
        facts["services.count"] = objects.get("services")
        facts["namespaces"] = objects.get("namespaces")
    facts["objects"] = dict(sorted(objects.items()))
    size = None
    for name in (
        "apiserver_storage_size_bytes",
        "apiserver_storage_db_total_size_in_bytes",
        "etcd_db_total_size_in_bytes",
    ):
        rows = s(name)
        if rows:
            size = int(max(r["value"] for r in rows))
            break
    facts["etcd.db_size_bytes"] = size
    version = history.versions.get((cluster, day)) if s("kubernetes_build_info") else None
    facts["cluster.git_version"] = version
    facts["deprecated_apis"] = expected_deprecated(history, cluster, day)
    return facts


def expected_deprecated(history: History, cluster: str, day: int) -> list[dict[str, Any]] | None:
    """The deprecated API uses written for ``cluster`` at ``day``, with the requests summed over verbs and codes.

    None when the cluster has no apiserver_requested_deprecated_apis series on any day (a real apiserver shows
    none until one is requested, so "none" cannot be read from Prometheus) or its apiserver is not scraped that day.
    """
    if not any(history.samples(cluster, d, "apiserver_requested_deprecated_apis") for d in range(history.days)):
        return None
    if not history.samples(cluster, day, "apiserver_request_total"):
        return None
    keys = ("group", "version", "resource", "subresource")
    totals: Counter[tuple[str, ...]] = Counter()
    for row in history.samples(cluster, day, "apiserver_request_total"):
        totals[tuple(row.get(k, "") for k in keys)] += int(row["value"])
    uses = []
    for row in history.samples(cluster, day, "apiserver_requested_deprecated_apis"):
        if row["value"] > 0:
            key = tuple(row[k] for k in keys)
            uses.append(
                dict(zip(keys, key, strict=True))
                | {"removed_release": row["removed_release"] or None, "requests": totals.get(key)}
            )
    return sorted(uses, key=lambda u: tuple(u[k] for k in keys))


class ThrottlingProxy:
    """A loopback HTTP proxy in front of a real Prometheus that answers the first ``throttle`` query_range
    requests with ``status`` (429 or 503) and a Retry-After header, then forwards everything."""

    def __init__(self, upstream: str, *, throttle: int, status: int = 429, retry_after: str = "1") -> None:
        import http.server
        import threading

        proxy = self
        self.upstream = upstream
        self.left = throttle
        self.throttled = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                with proxy.lock:
                    throttle_now = self.path.startswith("/api/v1/query_range") and proxy.left > 0
                    if throttle_now:
                        proxy.left -= 1
                        proxy.throttled += 1
                if throttle_now:
                    self.send_response(status)
                    self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {"Content-Type": self.headers.get("Content-Type", "")}
                resp = requests.request(method, upstream + self.path, data=body, headers=headers, timeout=30)
                self.send_response(resp.status_code)
                self.send_header("Content-Type", resp.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
