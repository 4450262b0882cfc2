"""The GKE collector: clusters, node pools, versions and pod address space from the GKE API, one snapshot per cluster.

It uses google-cloud-container's ``ClusterManagerClient`` (passed in; build one with :func:`make_gke_client`).
Proto-plus objects are converted here and never leave this module.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry

from .. import __version__
from ..errors import AccessDenied, AuthError, CollectorError, EndpointError, InputError
from ..inventory import (
    CloudInventory,
    ClusterInfo,
    CollectionInfo,
    Gap,
    NetworkingInventory,
    NodeGroup,
    NodeInventory,
    Snapshot,
    explain_unmeasured,
    utc_now,
)

SOURCE = "gke"
ENDPOINT_ENV = "K8SEVAL_GKE_ENDPOINT"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
CREDENTIALS_HINT = "Run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS"

# GKE's default max pods per node on Standard clusters when nothing is set (limits.md 4.1, GKE quotas page).
GKE_DEFAULT_MAX_PODS = 110

# Retry 429 and 503 with exponential backoff, gently: the GKE API allows 3,000 requests/min per project
# (limits.md 4.1). The client's own default retries only 503 and DeadlineExceeded.
RETRY = gretry.Retry(
    initial=1.0,
    maximum=20.0,
    multiplier=2.0,
    timeout=90.0,
    predicate=gretry.if_exception_type(gexc.TooManyRequests, gexc.ServiceUnavailable, gexc.DeadlineExceeded),
)
CALL_TIMEOUT = 30.0

T = TypeVar("T")


def make_gke_client(endpoint: str | None = None) -> Any:
    """A ``container_v1.ClusterManagerClient`` on the REST transport.

    ``endpoint`` (or env ``K8SEVAL_GKE_ENDPOINT``) points at another API endpoint (Private Service Connect,
    an emulator). A plain ``http://`` endpoint gets anonymous credentials, so no token is ever sent in clear;
    otherwise Application Default Credentials are used, and their absence raises :class:`AuthError`.
    """
    from google.cloud import container_v1

    return rest_client(container_v1.ClusterManagerClient, endpoint or os.environ.get(ENDPOINT_ENV), SCOPES)


def rest_client(client_cls: Callable[..., T], endpoint: str | None, scopes: list[str]) -> T:
    """A Google API client of ``client_cls`` on the REST transport, at ``endpoint`` when given (anonymous over
    plain http, so no token is sent in clear), else with Application Default Credentials (:class:`AuthError`
    when there are none)."""
    import google.auth
    from google.api_core.client_options import ClientOptions
    from google.auth import exceptions as auth_exceptions
    from google.auth.credentials import AnonymousCredentials

    endpoint = (endpoint or "").strip().rstrip("/") or None
    options = None
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"--endpoint: {endpoint!r} is not an http(s)://host[:port] URL")
        options = ClientOptions(api_endpoint=endpoint)
        if parts.scheme == "http":
            return client_cls(transport="rest", credentials=AnonymousCredentials(), client_options=options)
    try:
        credentials, _project = google.auth.default(scopes=scopes)
    except auth_exceptions.DefaultCredentialsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "not found"
        raise AuthError(f"No Google Cloud credentials: {first.rstrip('.')}", hint=CREDENTIALS_HINT) from None
    return client_cls(transport="rest", credentials=credentials, client_options=options)


# ---------------------------------------------------------------------------------------------------------
# Pod address space
# ---------------------------------------------------------------------------------------------------------


def per_node_prefix(max_pods: int) -> int:
    """The per-node pod CIDR prefix length GKE gives a node with ``max_pods`` pods.

    GKE reserves at least twice as many addresses as max pods, rounded up to a power of two:
    110 -> /24, 64 -> /25, 32 -> /26, 16 -> /27, 8 -> /28 (limits.md 4.3;
    https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr).
    """
    if max_pods < 1:
        raise ValueError(f"max pods per node must be positive, got {max_pods}")
    return 32 - math.ceil(math.log2(2 * max_pods))


def pod_range_nodes(cidr: str, node_prefix: int) -> int:
    """How many nodes a pod range fits when each node takes a ``/node_prefix`` block of it."""
    net = ipaddress.ip_network(cidr, strict=False)
    if node_prefix < net.prefixlen:
        return 0
    return 2 ** (node_prefix - net.prefixlen)


def _addresses(cidr: str) -> int:
    return ipaddress.ip_network(cidr, strict=False).num_addresses


# ---------------------------------------------------------------------------------------------------------
# Proto-plus helpers
# ---------------------------------------------------------------------------------------------------------


def _enum_name(value: Any) -> str | None:
    """The name of a proto enum value, None for the zero ``*_UNSPECIFIED`` value.

    The REST client asks for ``enum-encoding=int``, so enums arrive as integers and proto-plus turns them into
    enum members; a number newer than this client's protos stays a plain int and is kept as its digits.
    """
    if value is None or int(value) == 0:
        return None
    name = getattr(value, "name", None)
    return str(name) if name is not None else str(int(value))


def _has(message: Any, field_name: str) -> bool:
    """Whether a message field was set (proto-plus gives default instances for unset sub-messages)."""
    try:
        return field_name in message
    except TypeError:
        return bool(getattr(message, field_name, None))


def _time(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for GKE versions: ``1.30.5-gke.1014001`` -> (1, 30, 5, 1014001)."""
    base, _, build = version.partition("-gke.")
    numbers = [int(p) for p in base.split(".") if p.isdigit()]
    return (*numbers, int(build) if build.isdigit() else 0)


def short_version(version: str | None) -> str | None:
    """``1.30.5-gke.1014001`` -> ``1.30.5``."""
    if not version:
        return None
    return version.split("-", 1)[0].lstrip("v")


def _location_type(location: str) -> str:
    # Zones are "<region>-<letter>" (europe-west2-a); regions have one dash fewer (europe-west2).
    return "zonal" if location.count("-") >= 2 else "regional"


# ---------------------------------------------------------------------------------------------------------
# Conversion of one cluster
# ---------------------------------------------------------------------------------------------------------

_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}


def _node_group(pool: Any, cluster_default_max_pods: int | None, autopilot: bool) -> NodeGroup:
    config = pool.config
    if _has(pool, "max_pods_constraint") and pool.max_pods_constraint.max_pods_per_node:
        max_pods, basis = int(pool.max_pods_constraint.max_pods_per_node), "node pool max_pods_constraint"
    elif cluster_default_max_pods:
        max_pods, basis = cluster_default_max_pods, "cluster default_max_pods_constraint"
    else:
        max_pods, basis = GKE_DEFAULT_MAX_PODS, "GKE default (110)"
    locations = list(pool.locations)
    zones = max(len(locations), 1)
    scaling = pool.autoscaling
    autoscaling: dict[str, Any] = {"enabled": bool(scaling.enabled)}
    min_size = max_size = None
    if scaling.enabled:
        # min/max_node_count are per zone; total_* cover the whole pool (NodePoolAutoscaling docs).
        autoscaling.update(
            min_node_count=int(scaling.min_node_count),
            max_node_count=int(scaling.max_node_count),
            total_min_node_count=int(scaling.total_min_node_count) if scaling.total_max_node_count else None,
            total_max_node_count=int(scaling.total_max_node_count) if scaling.total_max_node_count else None,
            autoprovisioned=bool(scaling.autoprovisioned),
            location_policy=_enum_name(scaling.location_policy),
        )
        if scaling.total_min_node_count or scaling.total_max_node_count:
            min_size, max_size = int(scaling.total_min_node_count), int(scaling.total_max_node_count)
        else:
            min_size, max_size = int(scaling.min_node_count) * zones, int(scaling.max_node_count) * zones
    if config.spot:
        capacity = "SPOT"
    elif config.preemptible:
        capacity = "PREEMPTIBLE"
    else:
        capacity = "ON_DEMAND"
    taints = []
    for taint in config.taints:
        effect = _enum_name(taint.effect) or ""
        taints.append(f"{taint.key}={taint.value}:{_TAINT_EFFECTS.get(effect, effect)}")
    net = pool.network_config
    cidr_size = int(pool.pod_ipv4_cidr_size) if pool.pod_ipv4_cidr_size else None
    extra: dict[str, Any] = {
        "initial_node_count": int(pool.initial_node_count),
        "initial_node_count_scope": "per zone",
        "autoscaling": autoscaling,
        "pod_ipv4_cidr_size": cidr_size,
        "pod_range": net.pod_range or None,
        "pod_ipv4_cidr_block": net.pod_ipv4_cidr_block or None,
        "status": _enum_name(pool.status),
        "disk_size_gb": int(config.disk_size_gb) if config.disk_size_gb else None,
    }
    return NodeGroup(
        name=pool.name,
        kind="autopilot" if autopilot else "node-pool",
        instance_types=[config.machine_type] if config.machine_type else [],
        capacity_type=capacity,
        image_type=config.image_type or None,
        version=pool.version or None,
        min_size=min_size,
        max_size=max_size,
        desired_size=None,  # GKE has no desired size; see extra.initial_node_count and the Kubernetes API
        max_pods_per_node=max_pods,
        max_pods_basis=basis,
        locations=locations,
        labels=dict(config.labels),
        taints=taints,
        extra=extra,
    )


def _pool_node_prefix(group: NodeGroup) -> int:
    size = group.extra.get("pod_ipv4_cidr_size")
    if size:
        return int(size)
    return per_node_prefix(group.max_pods_per_node or GKE_DEFAULT_MAX_PODS)


def _cidr(text: str | None) -> str | None:
    """``text`` as a canonical network (``"10.48.128.0/17"``), or None when it is empty or not a CIDR (a bare
    ``"/20"`` netmask is how a create request asks for a range, not a range)."""
    if not text:
        return None
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None


def _pod_ranges(cluster: Any, groups: list[NodeGroup], gaps: list[Gap]) -> list[dict[str, Any]]:
    """Each pod range with the pools that draw from it, its size and the nodes it fits.

    Ranges are keyed by their secondary range name (a pool's ``podRange``, the cluster's
    ``clusterSecondaryRangeName``), so a range the cluster and a pool both name counts once; a range without a
    name is keyed by its canonical CIDR. Pools without their own range use the cluster's default pod range.
    When pools with different per-node blocks share a range, the largest block is used: the count is what the
    range fits if every new node came from the hungriest pool, the conservative figure for a limit.
    A CIDR that does not parse is left out with a gap.
    """
    policy = cluster.ip_allocation_policy
    raw_default = policy.cluster_ipv4_cidr_block or cluster.cluster_ipv4_cidr or None
    default = _cidr(raw_default)
    if raw_default and default is None:
        gaps.append(Gap(SOURCE, "networking.pod_cidrs", f"cluster pod range {raw_default!r} is not a CIDR"))
    default_name = policy.cluster_secondary_range_name or None
    ranges: dict[str, dict[str, Any]] = {}
    if default:
        ranges[default_name or default] = {"cidr": default, "name": default_name, "pools": []}
    for group in groups:
        raw = group.extra.get("pod_ipv4_cidr_block")
        name = group.extra.get("pod_range") or None
        cidr = _cidr(raw)
        if raw and cidr is None:
            gaps.append(Gap(SOURCE, f"networking.pod_cidrs.{group.name}", f"pod range {raw!r} is not a CIDR"))
            continue
        if cidr is None:
            if name and name != default_name:
                gaps.append(Gap(SOURCE, f"networking.pod_cidrs.{group.name}", f"pod range {name} has no CIDR"))
                continue
            cidr, name = default, default_name  # the pool draws from the cluster's default range
        if not cidr:
            continue
        key = name or cidr
        entry = ranges.setdefault(key, {"cidr": cidr, "name": name, "pools": []})
        entry["pools"].append(group.name)
    by_name = {g.name: g for g in groups}
    for entry in ranges.values():
        if entry["pools"]:
            prefix = min(_pool_node_prefix(by_name[p]) for p in entry["pools"])
        else:
            default_max = int(cluster.default_max_pods_constraint.max_pods_per_node or GKE_DEFAULT_MAX_PODS)
            prefix = per_node_prefix(default_max)
        entry["addresses"] = _addresses(entry["cidr"])
        entry["per_node_prefix"] = prefix
        entry["nodes"] = pod_range_nodes(entry["cidr"], prefix)
    return list(ranges.values())


def _endpoints(cluster: Any) -> tuple[bool | None, bool | None, list[str]]:
    """(public endpoint enabled, private endpoint present, authorised CIDRs) from old and new config blocks."""
    cidrs: list[str] = []
    authorised = cluster.master_authorized_networks_config
    if authorised.enabled:
        cidrs = [block.cidr_block for block in authorised.cidr_blocks]
    if _has(cluster, "control_plane_endpoints_config") and _has(
        cluster.control_plane_endpoints_config, "ip_endpoints_config"
    ):
        ip_config = cluster.control_plane_endpoints_config.ip_endpoints_config
        if ip_config.authorized_networks_config.enabled and not cidrs:
            cidrs = [block.cidr_block for block in ip_config.authorized_networks_config.cidr_blocks]
        return bool(ip_config.enable_public_endpoint), bool(ip_config.private_endpoint or ip_config.enabled), cidrs
    private = cluster.private_cluster_config
    if _has(cluster, "private_cluster_config"):
        return (
            not private.enable_private_endpoint,
            bool(private.enable_private_nodes or private.private_endpoint),
            cidrs,
        )
    return True, False, cidrs  # a public cluster without private_cluster_config


def _logging(cluster: Any) -> list[str]:
    components = [
        name for name in (_enum_name(c) for c in cluster.logging_config.component_config.enable_components) if name
    ]
    if components:
        return components
    service = cluster.logging_service
    return [service] if service and service != "none" else []


def _maintenance(cluster: Any) -> dict[str, Any] | None:
    if not _has(cluster, "maintenance_policy"):
        return None
    window = cluster.maintenance_policy.window
    out: dict[str, Any] = {}
    if _has(window, "daily_maintenance_window"):
        daily = window.daily_maintenance_window
        out["daily"] = {"start_time": daily.start_time or None, "duration": daily.duration or None}
    if _has(window, "recurring_window"):
        rec = window.recurring_window
        out["recurring"] = {
            "recurrence": rec.recurrence or None,
            "start_time": _time(rec.window.start_time),
            "end_time": _time(rec.window.end_time),
        }
    if window.maintenance_exclusions:
        out["exclusions"] = {
            name: {"start_time": _time(w.start_time), "end_time": _time(w.end_time)}
            for name, w in window.maintenance_exclusions.items()
        }
    return out or None


def _upgrade_versions(cluster: Any, server_config: Any | None, channel: str | None) -> list[str]:
    if server_config is None:
        return []
    current = cluster.current_master_version
    candidates: Iterable[str] = server_config.valid_master_versions
    if channel and channel != "UNSPECIFIED":
        for config in server_config.channels:
            if _enum_name(config.channel) == channel:
                candidates = config.valid_versions
                break
    newer = {v for v in candidates if not current or version_key(v) > version_key(current)}
    return sorted(newer, key=version_key)


def cluster_snapshot(
    cluster: Any, *, project: str, server_config: Any | None = None, collected_at: str | None = None
) -> Snapshot:
    """Convert one ``container_v1.Cluster`` (and its location's ``ServerConfig``) into a snapshot."""
    autopilot = bool(cluster.autopilot.enabled)
    default_max = int(cluster.default_max_pods_constraint.max_pods_per_node or 0) or None
    groups = [_node_group(pool, default_max, autopilot) for pool in cluster.node_pools]
    datapath = _enum_name(cluster.network_config.datapath_provider)
    policy_enabled = bool(cluster.network_policy.enabled)
    policy_provider = _enum_name(cluster.network_policy.provider)
    if datapath == "ADVANCED_DATAPATH":
        cni = "gke-dataplane-v2"  # Cilium/eBPF; NetworkPolicy enforcement is built in (limits.md 4.5)
    elif policy_provider == "CALICO" and policy_enabled:
        cni = "calico"
    else:
        cni = "gke-legacy"  # kubenet-style routes or alias IPs without a policy engine
    # No channel (a "static version" cluster) is the zero value; GKE names it UNSPECIFIED.
    channel = _enum_name(cluster.release_channel.channel) or "UNSPECIFIED"
    gaps: list[Gap] = []
    pod_ranges = _pod_ranges(cluster, groups, gaps)
    ip = cluster.ip_allocation_policy
    # The policy may echo the create request's bare "/20" while Cluster.servicesIpv4Cidr holds the range GKE chose
    # (a recorded Standard cluster: tests/fixtures/real/gke/standard_dataplane_v2_cluster.json): the first
    # spelling that is a CIDR wins; a gap only when none is.
    raw_candidates = [ip.services_ipv4_cidr_block, cluster.services_ipv4_cidr, ip.services_ipv4_cidr]
    raw_services = list(dict.fromkeys(c for c in raw_candidates if c))
    services = next((cidr for cidr in map(_cidr, raw_services) if cidr), None)
    if raw_services and services is None:
        spelled = " / ".join(repr(c) for c in raw_services)
        gaps.append(Gap(SOURCE, "networking.service_cidrs", f"Service range {spelled} is not a CIDR"))
    stack = _enum_name(ip.stack_type)
    public, private, cidrs = _endpoints(cluster)
    node_count = int(cluster.current_node_count)
    gaps.append(
        Gap(
            SOURCE,
            "nodes.count",
            "from Cluster.current_node_count, which the GKE API deprecates; count Node objects through the "
            "Kubernetes API (k8seval collect kube) for the real figure",
        )
    )
    if server_config is None:
        gaps.append(Gap(SOURCE, "cloud.valid_upgrade_versions", f"serverConfig for {cluster.location} not read"))
    extra: dict[str, Any] = {
        "location_type": _location_type(cluster.location),
        "status": _enum_name(cluster.status),
        "datapath_provider": datapath,
        "dataplane_v2": datapath == "ADVANCED_DATAPATH",
        "network_policy": {"enabled": policy_enabled, "provider": policy_provider},
        "maintenance_policy": _maintenance(cluster),
        "ip_allocation_policy": {
            "use_ip_aliases": bool(ip.use_ip_aliases),
            "cluster_ipv4_cidr_block": ip.cluster_ipv4_cidr_block or None,
            "services_ipv4_cidr_block": ip.services_ipv4_cidr_block or None,
            "cluster_secondary_range_name": ip.cluster_secondary_range_name or None,
            "services_secondary_range_name": ip.services_secondary_range_name or None,
            "additional_pod_range_names": list(ip.additional_pod_ranges_config.pod_range_names),
            "stack_type": stack,
        },
        "pod_cidr_size": {g.name: _pool_node_prefix(g) for g in groups},
        "pod_ranges": pod_ranges,
        "default_max_pods_per_node": default_max,
        "current_node_version": cluster.current_node_version or None,
        "initial_cluster_version": cluster.initial_cluster_version or None,
        "network": cluster.network or None,
        "subnetwork": cluster.subnetwork or None,
        "locations": list(cluster.locations),
    }
    if ip.additional_pod_ranges_config.pod_range_names:
        gaps.append(
            Gap(
                SOURCE,
                "networking.pod_ip_capacity",
                "additional pod ranges "
                + ", ".join(ip.additional_pod_ranges_config.pod_range_names)
                + " are named without CIDRs in the GKE API and are not counted",
            )
        )
    cloud = CloudInventory(
        provider="gcp",
        mode="autopilot" if autopilot else "standard",
        release_channel=channel,
        valid_upgrade_versions=_upgrade_versions(cluster, server_config, channel),
        endpoint_public=public,
        endpoint_private=private,
        public_access_cidrs=cidrs,
        logging=_logging(cluster),
        node_groups=groups,
        extra=extra,
    )
    networking = NetworkingInventory(
        cni=cni,
        pod_cidrs=[r["cidr"] for r in pod_ranges],
        service_cidrs=[services] if services else [],
        ip_family={"IPV4": "ipv4", "IPV4_IPV6": "dual"}.get(stack or "", "ipv4"),
        pod_ip_capacity=sum(r["addresses"] for r in pod_ranges) if pod_ranges else None,
        node_capacity_by_pod_range=sum(r["nodes"] for r in pod_ranges) if pod_ranges else None,
    )
    if not pod_ranges:
        gaps.append(Gap(SOURCE, "networking.pod_ip_capacity", "the cluster reports no pod CIDR (routes-based?)"))
    endpoint = cluster.endpoint or None
    master = cluster.current_master_version or None
    return explain_unmeasured(
        Snapshot(
            cluster=ClusterInfo(
                name=cluster.name,
                platform="gke-autopilot" if autopilot else "gke",
                version=short_version(master),
                git_version=f"v{master}" if master else None,
                endpoint=f"https://{endpoint}" if endpoint else None,
                provider="gcp",
                region=cluster.location or None,
                account=project,
                id=cluster.self_link or None,
                cloud_id=cluster.self_link or None,
            ),
            collected_at=collected_at or utc_now(),
            nodes=NodeInventory(count=node_count, by_pool={}),
            networking=networking,
            cloud=cloud,
            gaps=gaps,
            collection=CollectionInfo(collectors=["gke"], tool_version=__version__),
        ),
        SOURCE,
        "not visible through the GKE API: collect kube measures it (collect gke --with-kube CONTEXT merges the two)",
    )


# ---------------------------------------------------------------------------------------------------------
# Fleet collection
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What one list call gave: clusters, missing zones, or an error classified for the final verdict."""

    project: str
    location: str
    clusters: list[Any] = field(default_factory=list)
    missing_zones: list[str] = field(default_factory=list)
    error: CollectorError | None = None


def _classify(exc: Exception, what: str) -> CollectorError:
    """One-line CollectorError for a failed GKE call."""
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied):
        return AccessDenied(
            f"{what}: 403 {_api_message(exc)}",
            hint="Grant roles/container.viewer (container.clusters.list/get) on the project",
        )
    if isinstance(exc, gexc.Unauthorized | gexc.Unauthenticated | auth_exceptions.RefreshError):
        return AuthError(f"{what}: credentials rejected ({_api_message(exc)})", hint=CREDENTIALS_HINT)
    if isinstance(exc, auth_exceptions.DefaultCredentialsError):
        return AuthError(f"{what}: no credentials", hint=CREDENTIALS_HINT)
    if isinstance(exc, gexc.NotFound):
        return CollectorError(f"{what}: 404 {_api_message(exc)}", hint="Check the project id and --location")
    if isinstance(exc, gexc.RetryError):
        return EndpointError(f"{what}: gave up after retries ({_api_message(exc)})")
    if isinstance(exc, gexc.GoogleAPICallError):
        return CollectorError(f"{what}: {exc.code} {_api_message(exc)}")
    if isinstance(exc, requests.exceptions.RequestException):
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        return EndpointError(f"{what}: could not reach the GKE API ({reason})", hint="Check --endpoint and the network")
    raise exc


def _api_message(exc: Exception) -> str:
    message = " ".join(str(getattr(exc, "message", None) or exc).split())
    # api_core prefixes REST errors with "GET <url with query>: "; the API's own message is what helps.
    message = re.sub(r"^(GET|POST|PUT|PATCH|DELETE) \S+: ", "", message)
    return message[:300]


def _call(fn: Callable[..., T], **kwargs: Any) -> T:
    return fn(**kwargs, retry=RETRY, timeout=CALL_TIMEOUT)


def collect_gke(
    client: Any,
    projects: list[str],
    locations: list[str] | None = None,
    clusters: list[str] | None = None,
    *,
    concurrency: int = 8,
) -> tuple[list[Snapshot], list[Gap]]:
    """Collect every GKE cluster in ``projects`` × ``locations`` (default ``-``: all) into one snapshot each.

    ``clusters`` keeps only those names. List calls and per-location ``serverConfig`` calls run on a pool of
    ``concurrency`` threads. Returns the snapshots and the fleet-level gaps (a project that answered 403,
    zones the API reported missing, named clusters not found). Raises :class:`AccessDenied`,
    :class:`AuthError` or :class:`EndpointError` when no list call succeeded at all.
    """
    if not projects:
        raise InputError("--project: give at least one GCP project id")
    started = time.monotonic()
    wanted_locations = list(dict.fromkeys(locations or ["-"]))
    jobs = [(p, loc) for p in dict.fromkeys(projects) for loc in wanted_locations]
    calls = 0
    lock = threading.Lock()

    def list_one(job: tuple[str, str]) -> _Outcome:
        nonlocal calls
        project, location = job
        outcome = _Outcome(project, location)
        with lock:
            calls += 1
        try:
            resp = _call(client.list_clusters, parent=f"projects/{project}/locations/{location}")
        except Exception as exc:  # classified into a gap or the final error; anything unexpected re-raises
            outcome.error = _classify(exc, f"projects/{project}/locations/{location}")
            return outcome
        outcome.clusters = list(resp.clusters)
        outcome.missing_zones = list(resp.missing_zones)
        return outcome

    workers = max(1, min(concurrency, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gke") as pool:
        outcomes = list(pool.map(list_one, jobs))

    gaps: list[Gap] = []
    succeeded = [o for o in outcomes if o.error is None]
    failed = [o for o in outcomes if o.error is not None]
    if not succeeded:
        errors = [o.error for o in failed if o.error]
        kinds = [AuthError, AccessDenied, EndpointError]
        kind = next((k for k in kinds if any(isinstance(e, k) for e in errors)), CollectorError)
        first = next(e for e in errors if isinstance(e, kind))
        more = f" (and {len(errors) - 1} more failed calls)" if len(errors) > 1 else ""
        raise kind(f"Could not list GKE clusters: {first.message}{more}", hint=first.hint)
    for o in failed:
        assert o.error is not None
        gaps.append(Gap(SOURCE, f"gke.project.{o.project}.{o.location}", str(o.error)))
    for o in succeeded:
        for zone in o.missing_zones:
            gaps.append(
                Gap(SOURCE, f"gke.zone.{o.project}.{zone}", "the GKE API reported this zone unreachable (missingZones)")
            )

    found: list[tuple[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for o in succeeded:
        for cluster in o.clusters:
            ident = (o.project, cluster.location, cluster.name)
            if ident in seen:  # a cluster listed through two overlapping locations
                continue
            seen.add(ident)
            if clusters and cluster.name not in clusters:
                continue
            found.append((o.project, cluster))
    if clusters:
        names = {c.name for _, c in found}
        for name in clusters:
            if name not in names:
                gaps.append(Gap(SOURCE, f"gke.cluster.{name}", "not found in the projects and locations listed"))

    server_configs: dict[tuple[str, str], Any] = {}
    config_jobs = sorted({(p, c.location) for p, c in found})

    def server_config(job: tuple[str, str]) -> tuple[tuple[str, str], Any, CollectorError | None]:
        nonlocal calls
        project, location = job
        with lock:
            calls += 1
        try:
            return job, _call(client.get_server_config, name=f"projects/{project}/locations/{location}"), None
        except Exception as exc:  # a gap in the snapshots of that location; unexpected errors re-raise
            return job, None, _classify(exc, f"projects/{project}/locations/{location}/serverConfig")

    if config_jobs:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(config_jobs)))) as pool:
            for job, config, error in pool.map(server_config, config_jobs):
                server_configs[job] = config
                if error is not None:
                    gaps.append(Gap(SOURCE, f"gke.server_config.{job[0]}.{job[1]}", str(error)))

    duration = round(time.monotonic() - started, 3)
    collected_at = utc_now()
    snapshots = []
    for project, cluster in found:
        snap = cluster_snapshot(
            cluster,
            project=project,
            server_config=server_configs.get((project, cluster.location)),
            collected_at=collected_at,
        )
        snapshots.append(
            replace(
                snap,
                collection=CollectionInfo(
                    collectors=["gke"], tool_version=__version__, duration_seconds=duration, requests=calls
                ),
            )
        )
    return snapshots, gaps
