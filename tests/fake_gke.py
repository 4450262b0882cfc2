"""A loopback fake of the GKE v1 REST API (stdlib ``http.server``) for the real google-cloud-container client.

It answers as the real API does for the REST transport: proto3 JSON with camelCase names, enums as integers
(the client asks for ``$alt=json;enum-encoding=int``), int64 values as strings, zero values left out.
Clusters are described with :func:`cluster` and :func:`node_pool`, which build that JSON.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

# Enum values as the v1 protos number them (google/container/v1/cluster_service.proto).
RAPID, REGULAR, STABLE, EXTENDED = 1, 2, 3, 4
LEGACY_DATAPATH, ADVANCED_DATAPATH = 1, 2
CALICO = 1
NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE = 1, 2, 3
SYSTEM_COMPONENTS, WORKLOADS, APISERVER = 1, 2, 3
RUNNING = 2  # Cluster.Status and NodePool.Status
IPV4 = 1


def node_pool(
    name: str,
    *,
    version: str,
    locations: list[str],
    machine_type: str = "e2-standard-4",
    image_type: str = "COS_CONTAINERD",
    initial_node_count: int = 1,
    autoscaling: tuple[int, int] | None = None,
    total_autoscaling: tuple[int, int] | None = None,
    spot: bool = False,
    preemptible: bool = False,
    max_pods: int | None = None,
    pod_cidr_size: int | None = None,
    pod_range: str | None = None,
    pod_cidr: str | None = None,
    labels: dict[str, str] | None = None,
    taints: list[tuple[str, str, int]] | None = None,
) -> dict[str, Any]:
    """A NodePool in proto3 JSON."""
    config: dict[str, Any] = {"machineType": machine_type, "imageType": image_type, "diskSizeGb": 100}
    if spot:
        config["spot"] = True
    if preemptible:
        config["preemptible"] = True
    if labels:
        config["labels"] = labels
    if taints:
        config["taints"] = [{"key": k, "value": v, "effect": e} for k, v, e in taints]
    pool: dict[str, Any] = {
        "name": name,
        "config": config,
        "initialNodeCount": initial_node_count,
        "locations": locations,
        "version": version,
        "status": RUNNING,
        "instanceGroupUrls": [
            f"https://www.googleapis.com/compute/v1/projects/p/zones/{z}/igm/{name}" for z in locations
        ],
    }
    if autoscaling or total_autoscaling:
        scaling: dict[str, Any] = {"enabled": True, "locationPolicy": 1}
        if autoscaling:
            scaling.update(minNodeCount=autoscaling[0], maxNodeCount=autoscaling[1])
        if total_autoscaling:
            scaling.update(totalMinNodeCount=total_autoscaling[0], totalMaxNodeCount=total_autoscaling[1])
        pool["autoscaling"] = {k: v for k, v in scaling.items() if v}  # zero values are left out
    if max_pods is not None:
        pool["maxPodsConstraint"] = {"maxPodsPerNode": str(max_pods)}  # int64: a JSON string
    if pod_cidr_size is not None:
        pool["podIpv4CidrSize"] = pod_cidr_size
    if pod_range or pod_cidr:
        pool["networkConfig"] = {k: v for k, v in {"podRange": pod_range, "podIpv4CidrBlock": pod_cidr}.items() if v}
    return pool


def cluster(
    name: str,
    location: str,
    *,
    project: str,
    version: str,
    node_pools: list[dict[str, Any]],
    cluster_cidr: str,
    services_cidr: str,
    autopilot: bool = False,
    datapath: int | None = None,
    network_policy: tuple[int, bool] | None = None,
    channel: int | None = None,
    default_max_pods: int | None = None,
    private: dict[str, Any] | None = None,
    authorized_networks: list[str] | None = None,
    logging_components: list[int] | None = None,
    maintenance: dict[str, Any] | None = None,
    current_node_count: int = 0,
    locations: list[str] | None = None,
) -> dict[str, Any]:
    """A Cluster in proto3 JSON, the way ``clusters.list`` returns it (node pools included)."""
    body: dict[str, Any] = {
        "name": name,
        "location": location,
        "zone": location,
        "locations": locations or [location],
        "selfLink": f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/clusters/{name}",
        "endpoint": "34.89.10.20",
        "currentMasterVersion": version,
        "currentNodeVersion": version,
        "initialClusterVersion": version,
        "status": RUNNING,
        "network": "default",
        "subnetwork": "default",
        "nodePools": node_pools,
        "clusterIpv4Cidr": cluster_cidr,
        "servicesIpv4Cidr": services_cidr,
        "ipAllocationPolicy": {
            "useIpAliases": True,
            "clusterIpv4Cidr": cluster_cidr,
            "clusterIpv4CidrBlock": cluster_cidr,
            "servicesIpv4Cidr": services_cidr,
            "servicesIpv4CidrBlock": services_cidr,
            "clusterSecondaryRangeName": f"gke-{name}-pods",
            "servicesSecondaryRangeName": f"gke-{name}-services",
            "stackType": IPV4,
        },
        "loggingService": "logging.googleapis.com/kubernetes",
        "createTime": "2024-03-01T10:00:00+00:00",
    }
    if current_node_count:
        body["currentNodeCount"] = current_node_count  # int32: a JSON number
    if autopilot:
        body["autopilot"] = {"enabled": True}
    if datapath:
        body["networkConfig"] = {"network": "projects/p/global/networks/default", "datapathProvider": datapath}
    if network_policy:
        provider, enabled = network_policy
        body["networkPolicy"] = {"provider": provider, **({"enabled": True} if enabled else {})}
    if channel:
        body["releaseChannel"] = {"channel": channel}
    if default_max_pods is not None:
        body["defaultMaxPodsConstraint"] = {"maxPodsPerNode": str(default_max_pods)}
    if private:
        body["privateClusterConfig"] = private
    if authorized_networks:
        body["masterAuthorizedNetworksConfig"] = {
            "enabled": True,
            "cidrBlocks": [{"cidrBlock": c, "displayName": f"net-{i}"} for i, c in enumerate(authorized_networks)],
        }
    if logging_components:
        body["loggingConfig"] = {"componentConfig": {"enableComponents": logging_components}}
    if maintenance:
        body["maintenancePolicy"] = {"window": maintenance, "resourceVersion": "e3b0c442"}
    return body


def server_config(*, valid_master_versions: list[str], channels: dict[int, list[str]] | None = None) -> dict[str, Any]:
    """A ServerConfig in proto3 JSON."""
    body: dict[str, Any] = {
        "defaultClusterVersion": valid_master_versions[0],
        "validMasterVersions": valid_master_versions,
        "validNodeVersions": valid_master_versions,
        "defaultImageType": "COS_CONTAINERD",
        "validImageTypes": ["COS_CONTAINERD", "UBUNTU_CONTAINERD"],
    }
    if channels:
        body["channels"] = [
            {"channel": ch, "defaultVersion": versions[0], "validVersions": versions}
            for ch, versions in channels.items()
        ]
    return body


@dataclass
class FakeGkeState:
    """What the fake serves: clusters per project, server configs per (project, location), failures."""

    clusters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    server_configs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    missing_zones: dict[str, list[str]] = field(default_factory=dict)
    fail_once: dict[str, int] = field(default_factory=dict)  # path -> HTTP status to answer once (e.g. 429)
    latency: float = 0.0  # seconds added to every answer (benchmarks: a network round trip)
    requests: list[str] = field(default_factory=list)  # "GET /v1/...?$alt=json;enum-encoding=int"
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOCATIONS = re.compile(r"^/v1/projects/([^/]+)/(locations|zones)/([^/]+)(/.*)?$")


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class _Handler(BaseHTTPRequestHandler):
    server: StateServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        state = self.server.state
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        with state.lock:
            state.requests.append(f"GET {self.path}")
            state.headers.append(dict(self.headers.items()))
            injected = state.fail_once.pop(path, None)
        if state.latency:
            time.sleep(state.latency)
        if injected == 429:
            self._send(429, _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), {"Retry-After": "1"})
            return
        if injected:
            self._send(injected, _error(injected, "UNAVAILABLE", "injected failure"))
            return
        match = _LOCATIONS.match(path)
        if not match:
            self._send(404, _error(404, "NOT_FOUND", f"no route for {path}"))
            return
        project, _kind, location, rest = match.groups()
        rest = rest or ""
        if project in state.forbidden:
            message = (
                f"Permission 'container.clusters.list' denied on resource '//container.googleapis.com/projects/"
                f"{project}/locations/{location}' (or it may not exist)."
            )
            self._send(403, _error(403, "PERMISSION_DENIED", message))
            return
        if project not in state.clusters:
            self._send(404, _error(404, "NOT_FOUND", f"Project {project!r} not found"))
            return
        found = [c for c in state.clusters[project] if location == "-" or c["location"] == location]
        if rest == "/clusters":
            body: dict[str, Any] = {"clusters": found}
            missing = state.missing_zones.get(project) if location == "-" else None
            if missing:
                body["missingZones"] = missing
            self._send(200, body)
            return
        if rest.lower() == "/serverconfig":
            config = state.server_configs.get((project, location))
            if config is None:
                self._send(404, _error(404, "NOT_FOUND", f"no server config for {location}"))
            else:
                self._send(200, config)
            return
        cluster_match = re.match(r"^/clusters/([^/]+)(/nodePools)?$", rest)
        if cluster_match:
            name, pools = cluster_match.groups()
            hit = next((c for c in found if c["name"] == name), None)
            if hit is None:
                self._send(404, _error(404, "NOT_FOUND", f"Not found: cluster {name!r}"))
            elif pools:
                self._send(200, {"nodePools": hit.get("nodePools", [])})
            else:
                self._send(200, hit)
            return
        self._send(404, _error(404, "NOT_FOUND", f"no route for {path}"))


class StateServer(ThreadingHTTPServer):
    """A loopback HTTP server whose handler reads the fake's state from ``self.server.state``."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler], state: Any, name: str) -> Iterator[str]:
    """Run ``handler`` over ``state`` on 127.0.0.1 on an ephemeral port; yield its ``http://`` URL."""
    server = StateServer(handler, state)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(state: FakeGkeState) -> AbstractContextManager[str]:
    """Run the fake on 127.0.0.1 on an ephemeral port; yield its ``http://`` URL."""
    return serve_handler(_Handler, state, "fake-gke")
