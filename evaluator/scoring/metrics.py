"""Metric extractors: one function per catalog ``metric`` name, reading a value out of a snapshot.

A metric returns a :class:`MetricValue`: the number, or ``None`` with the reason it is unknown (taken
from the snapshot's gaps where one applies). Never 0 for "not measured". Metrics are pure functions of
the snapshot: version metrics count months from the snapshot's ``collected_at``, not from today.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ..inventory import Snapshot, parse_time
from ..units import GIB


@dataclass(frozen=True)
class MetricValue:
    """A measured value, or None with the reason it is not known."""

    value: float | None
    reason: str = ""
    detail: str = ""  # optional context shown with the finding, e.g. "largest: namespace payments"
    estimated: bool = False  # derived by a model rather than counted (findings then say "estimated", not "measured")


MetricFn = Callable[[Snapshot], MetricValue]
METRICS: dict[str, MetricFn] = {}
DESCRIPTIONS: dict[str, str] = {}


def metric(name: str, description: str) -> Callable[[MetricFn], MetricFn]:
    """Register a metric extractor under ``name``."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} registered twice")
        METRICS[name] = fn
        DESCRIPTIONS[name] = description
        return fn

    return register


def known(snap: Snapshot, value: float | int | None, *gap_items: str, missing: str = "not measured") -> MetricValue:
    """Wrap a possibly-None value; when None, explain it with the first matching gap."""
    if value is not None:
        return MetricValue(float(value))
    gap = snap.gap_for(*gap_items) if gap_items else None
    return MetricValue(None, f"{gap.source}: {gap.reason}" if gap else missing)


def unknown(snap: Snapshot, *gap_items: str, missing: str = "not measured") -> MetricValue:
    """An unknown value, explained by the first matching gap or by ``missing``."""
    return known(snap, None, *gap_items, missing=missing)


def _ratio(snap: Snapshot, used: float | None, capacity: float | None, gaps: tuple[str, ...], what: str) -> MetricValue:
    if used is None or capacity is None:
        return unknown(snap, *gaps, missing=f"{what} not measured")
    if capacity <= 0:
        return MetricValue(None, f"{what}: capacity is {capacity:g}")
    return MetricValue(used / capacity, detail=f"{used:,.0f} of {capacity:,.0f}")


def _object_count(snap: Snapshot, *names: str) -> int | None:
    """The count of the first resource present in ``snap.objects`` (``"pods"``, ``"secrets"`` ...)."""
    for name in names:
        if name in snap.objects:
            return snap.objects[name]
    return None


# ---------------------------------------------------------------- etcd


@metric("etcd.db_size_bytes", "etcd database size on disk (bytes), direct or from apiserver metrics")
def _etcd_db_size(snap: Snapshot) -> MetricValue:
    return known(snap, snap.etcd.db_size_bytes, "etcd.db_size_bytes", "etcd")


# etcd's default --quota-backend-bytes (https://etcd.io/docs/latest/dev-guide/limit/).
ETCD_DEFAULT_QUOTA_BYTES = 2 * GIB


def _etcd_quota(snap: Snapshot) -> tuple[float | None, str]:
    if snap.etcd.quota_backend_bytes:
        return float(snap.etcd.quota_backend_bytes), "reported by etcd"
    flags = _flags(snap.control_plane.etcd_flags)
    if "quota-backend-bytes" in flags:
        try:
            return float(flags["quota-backend-bytes"]), "from the etcd --quota-backend-bytes flag"
        except ValueError:
            return None, ""
    if flags:
        # The etcd static Pod was read and sets no quota: etcd's 2 GiB default applies (kubeadm sets none).
        return float(ETCD_DEFAULT_QUOTA_BYTES), "etcd default (no --quota-backend-bytes flag)"
    return None, ""


@metric("etcd.quota_utilisation", "etcd database size as a fraction of the configured --quota-backend-bytes")
def _etcd_quota_utilisation(snap: Snapshot) -> MetricValue:
    size = snap.etcd.db_size_bytes
    quota, basis = _etcd_quota(snap)
    if size is None:
        return unknown(snap, "etcd.db_size_bytes", "etcd")
    if quota is None:
        return unknown(snap, "etcd.quota_backend_bytes", "controlplane.etcd", missing="etcd quota not measured")
    return MetricValue(size / quota, detail=f"{size / GIB:.2f} GiB of a {quota / GIB:.2f} GiB quota ({basis})")


@metric("etcd.direct_access", "1 when the team reads etcd directly today (etcdctl backups, direct collection), else 0")
def _etcd_direct_access(snap: Snapshot) -> MetricValue:
    source = snap.etcd.source
    if source == "etcd" or snap.control_plane.etcd_flags:
        return MetricValue(1.0, detail="etcd was read directly or its static Pod is on the control-plane nodes")
    if source:
        return MetricValue(0.0, detail=f"etcd facts came from {source}")
    return unknown(snap, "etcd", missing="etcd was not measured")


# ---------------------------------------------------------------- objects stored in etcd

_EVENT_TYPES = ("events", "events.events.k8s.io")


def _objects_by_type(snap: Snapshot) -> dict[str, int]:
    """Object counts per resource type: the kube collector's counts, else etcd key counts."""
    if snap.objects:
        return dict(snap.objects)
    counts: dict[str, int] = {}
    for prefix, count in snap.etcd.keys.items():
        # "/registry/pods/" -> "pods"; "/registry/apiextensions.k8s.io/customresourcedefinitions/" stays grouped.
        name = prefix.strip("/").removeprefix("registry/")
        if name:
            counts[name] = counts.get(name, 0) + count
    return counts


@metric("objects.max_per_type", "objects of the largest non-Event resource type (count), with its name")
def _objects_max_per_type(snap: Snapshot) -> MetricValue:
    counts = {k: v for k, v in _objects_by_type(snap).items() if k not in _EVENT_TYPES}
    if not counts:
        return unknown(snap, "objects", "etcd.keys", missing="object counts not measured")
    name, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return MetricValue(float(count), detail=f"largest: {name}")


@metric("objects.events", "Event objects stored (count)")
def _objects_events(snap: Snapshot) -> MetricValue:
    counts = _objects_by_type(snap)
    values = [counts[name] for name in _EVENT_TYPES if name in counts]
    if not values:
        return unknown(snap, "objects.events", "events", missing="Event count not measured")
    # events and events.events.k8s.io are two views of the same stored objects: take the larger.
    return MetricValue(float(max(values)))


@metric("objects.secrets", "Secret objects (count; contents are never read)")
def _objects_secrets(snap: Snapshot) -> MetricValue:
    return known(snap, _object_count(snap, "secrets"), "objects.secrets", "secrets")


# API groups served by kube-apiserver itself; resources in any other group are custom or aggregated.
_BUILTIN_GROUPS = frozenset(
    {
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
        "metrics.k8s.io",
    }
)


@metric("objects.custom_resources", "custom resources across all CRDs (count), with the largest kind")
def _objects_custom_resources(snap: Snapshot) -> MetricValue:
    if not snap.objects:
        return unknown(snap, "objects", missing="object counts not measured")
    custom = {}
    for name, count in snap.objects.items():
        resource, _, group = name.partition(".")
        if group and group not in _BUILTIN_GROUPS:
            custom[name] = count
    if not custom:
        return MetricValue(0.0, detail="no custom resources counted")
    top = max(custom.items(), key=lambda kv: (kv[1], kv[0]))
    return MetricValue(float(sum(custom.values())), detail=f"{len(custom)} kinds; largest: {top[0]} ({top[1]:,})")


@metric("crds.count", "CustomResourceDefinitions (count)")
def _crds(snap: Snapshot) -> MetricValue:
    value = (
        snap.crds if snap.crds is not None else _object_count(snap, "customresourcedefinitions.apiextensions.k8s.io")
    )
    return known(snap, value, "crds", "customresourcedefinitions.apiextensions.k8s.io")


@metric("namespaces.count", "Namespaces (count)")
def _namespaces(snap: Snapshot) -> MetricValue:
    value = snap.namespaces if snap.namespaces is not None else _object_count(snap, "namespaces")
    return known(snap, value, "namespaces")


# ---------------------------------------------------------------- nodes and pods


@metric("nodes.count", "number of Node objects")
def _nodes_count(snap: Snapshot) -> MetricValue:
    return known(snap, snap.nodes.count, "nodes")


@metric("nodes.pods_per_node_max", "running pods on the busiest node (count)")
def _pods_per_node_max(snap: Snapshot) -> MetricValue:
    return known(snap, snap.nodes.pods_per_node.max, "nodes.pods_per_node", "pods", "nodes")


@metric("nodes.max_pods_setting", "the highest kubelet maxPods (status.allocatable.pods) across nodes")
def _max_pods_setting(snap: Snapshot) -> MetricValue:
    value = snap.nodes.allocatable_pods.max
    if value is None and snap.cloud is not None:
        configured = [g.max_pods_per_node for g in snap.cloud.node_groups if g.max_pods_per_node is not None]
        value = max(configured) if configured else None
    return known(snap, value, "nodes.allocatable_pods", "nodes")


@metric("pods.count", "Pods in the cluster (count)")
def _pods_count(snap: Snapshot) -> MetricValue:
    return known(snap, _object_count(snap, "pods"), "objects.pods", "pods")


@metric("containers.count", "containers across non-terminal pods (count)")
def _containers_count(snap: Snapshot) -> MetricValue:
    return known(snap, snap.containers, "containers", "pods", missing="container count not measured")


@metric("nodes.windows", "Windows nodes (count)")
def _windows_nodes(snap: Snapshot) -> MetricValue:
    if not snap.nodes.by_os:
        if snap.nodes.count == 0:
            return MetricValue(0.0)
        return unknown(snap, "nodes", missing="node operating systems not measured")
    return MetricValue(float(snap.nodes.by_os.get("windows", 0)))


@metric("nodes.gpu", "nodes advertising GPUs (count)")
def _gpu_nodes(snap: Snapshot) -> MetricValue:
    return known(snap, snap.nodes.gpu_count, "nodes.gpu", "nodes")


def _node_groups(snap: Snapshot) -> tuple[dict[str, float], str] | None:
    """Node-group sizes: cloud node groups (largest of max/desired size), else nodes per pool label."""
    if snap.cloud is not None and snap.cloud.node_groups:
        sizes: dict[str, float] = {}
        for group in snap.cloud.node_groups:
            if group.kind in ("fargate", "autopilot"):
                continue
            candidates = [v for v in (group.max_size, group.desired_size) if v is not None]
            if candidates:
                sizes[group.name] = float(max(candidates))
        return sizes, "cloud node groups (max size)"
    if snap.nodes.by_pool:
        return {k: float(v) for k, v in snap.nodes.by_pool.items()}, "nodes per pool label"
    return None


@metric("nodes.largest_node_group", "nodes in the largest node group or pool (its max size where known)")
def _largest_node_group(snap: Snapshot) -> MetricValue:
    groups = _node_groups(snap)
    if groups is None:
        return unknown(snap, "cloud.node_groups", "nodes", missing="no node groups or node pool labels measured")
    sizes, basis = groups
    if not sizes:
        return MetricValue(None, "no node group reports a size")
    name, size = max(sizes.items(), key=lambda kv: (kv[1], kv[0]))
    return MetricValue(size, detail=f"largest: {name} ({basis})")


@metric(
    "nodes.largest_node_group_per_zone",
    "nodes of the largest node group or pool in one zone (GKE limits node pools per zone)",
)
def _largest_node_group_per_zone(snap: Snapshot) -> MetricValue:
    if snap.cloud is not None and snap.cloud.node_groups:
        sizes: dict[str, float] = {}
        for group in snap.cloud.node_groups:
            candidates = [v for v in (group.max_size, group.desired_size) if v is not None]
            if group.kind in ("fargate", "autopilot") or not candidates:
                continue
            # Pool sizes are totals over the pool's zones; GKE places a pool's nodes evenly across them.
            sizes[group.name] = float(max(candidates)) / max(1, len(group.locations))
        if sizes:
            name, size = max(sizes.items(), key=lambda kv: (kv[1], kv[0]))
            return MetricValue(size, detail=f"largest: {name} (cloud node group max size per zone)")
    if snap.nodes.by_pool_zone:
        name, count = max(snap.nodes.by_pool_zone.items(), key=lambda kv: (kv[1], kv[0]))
        return MetricValue(float(count), detail=f"largest: {name} (nodes per pool label and zone)")
    return unknown(
        snap, "nodes", "cloud.node_groups", missing="nodes per node pool and zone not measured (no pool or zone labels)"
    )


@metric("nodes.node_groups", "node groups or node pools (count)")
def _node_group_count(snap: Snapshot) -> MetricValue:
    if snap.cloud is not None and snap.cloud.node_groups:
        managed = [g for g in snap.cloud.node_groups if g.kind not in ("fargate", "autopilot")]
        return MetricValue(float(len(managed)), detail="cloud node groups")
    if snap.nodes.by_pool:
        return MetricValue(float(len(snap.nodes.by_pool)), detail="distinct node pool labels")
    return unknown(snap, "cloud.node_groups", "nodes", missing="no node groups or node pool labels measured")


# ---------------------------------------------------------------- services


@metric("services.count", "Services (count)")
def _services_count(snap: Snapshot) -> MetricValue:
    value = snap.services.count if snap.services.count is not None else _object_count(snap, "services")
    return known(snap, value, "services")


@metric("services.max_per_namespace", "Services in the busiest namespace (count)")
def _services_per_namespace(snap: Snapshot) -> MetricValue:
    return known(snap, snap.services.max_per_namespace, "services")


@metric("services.max_endpoints", "endpoints behind the largest Service, from EndpointSlices (count)")
def _max_endpoints(snap: Snapshot) -> MetricValue:
    return known(snap, snap.services.max_endpoints_per_service, "endpointslices.discovery.k8s.io", "services")


@metric("services.endpoints_total", "endpoints across all Services (count)")
def _endpoints_total(snap: Snapshot) -> MetricValue:
    return known(snap, snap.services.endpoints_total, "endpointslices.discovery.k8s.io", "services")


@metric("services.load_balancers", "Services of type LoadBalancer (count)")
def _load_balancers(snap: Snapshot) -> MetricValue:
    if snap.services.by_type:
        return MetricValue(float(snap.services.by_type.get("LoadBalancer", 0)))
    if snap.services.count == 0:
        return MetricValue(0.0)
    return unknown(snap, "services", missing="Service types not measured")


# ---------------------------------------------------------------- webhooks and API


@metric("webhooks.max_timeout_seconds", "the longest admission webhook timeoutSeconds (seconds)")
def _webhook_timeout(snap: Snapshot) -> MetricValue:
    if snap.webhooks.max_timeout_seconds is None and snap.webhooks.count == 0:
        return MetricValue(0.0, detail="no admission webhooks")
    return known(
        snap,
        snap.webhooks.max_timeout_seconds,
        "webhooks",
        "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
    )


def _flags(raw: dict[str, str]) -> dict[str, str]:
    """Flags keyed without leading dashes (collectors may keep ``--name``)."""
    return {key.lstrip("-"): value for key, value in raw.items()}


def _apiserver_flags(snap: Snapshot) -> dict[str, str] | None:
    flags = _flags(snap.control_plane.apiserver_flags)
    return flags or None


def _unknown_flags(snap: Snapshot) -> MetricValue:
    return unknown(
        snap,
        "controlplane",
        "control_plane",
        "apiserver_flags",
        missing="kube-apiserver flags not read (managed control plane, or no access to its static Pod)",
    )


# kube-apiserver defaults for the inflight limits (kube-apiserver reference; EKS BPG control-plane.adoc).
DEFAULT_MAX_REQUESTS_INFLIGHT = 400
DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT = 200


@metric("apiserver.inflight_seats", "concurrency seats per kube-apiserver: max-requests-inflight + mutating")
def _inflight_seats(snap: Snapshot) -> MetricValue:
    flags = _apiserver_flags(snap)
    if flags is None:
        return _unknown_flags(snap)
    try:
        reads = int(flags.get("max-requests-inflight", DEFAULT_MAX_REQUESTS_INFLIGHT))
        writes = int(flags.get("max-mutating-requests-inflight", DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT))
    except ValueError:
        return MetricValue(None, "max-requests-inflight flags are not integers")
    return MetricValue(float(reads + writes), detail=f"{reads} read + {writes} mutating")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def _duration_minutes(text: str) -> float | None:
    """A Go duration ("1h0m0s", "90m", "3600s") in minutes; None when it does not parse."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    scale = {"h": 60.0, "m": 1.0, "s": 1 / 60, "ms": 1 / 60000}
    return sum(float(n) * scale[u] for n, u in parts)


@metric("apiserver.event_ttl_minutes", "kube-apiserver --event-ttl (minutes; default 60)")
def _event_ttl(snap: Snapshot) -> MetricValue:
    flags = _apiserver_flags(snap)
    if flags is None:
        return _unknown_flags(snap)
    if "event-ttl" not in flags:
        return MetricValue(60.0, detail="default 1h")
    minutes = _duration_minutes(flags["event-ttl"])
    if minutes is None:
        return MetricValue(None, f"--event-ttl={flags['event-ttl']} is not a duration")
    return MetricValue(minutes, detail=f"--event-ttl={flags['event-ttl']}")


# Flags every installer sets to wire the apiserver to its certificates, etcd and kubelets. A managed
# service sets its own values, so they are not a dependency of the workloads and are not counted.
_PLUMBING_FLAGS = frozenset(
    {
        "advertise-address",
        "allow-privileged",
        "anonymous-auth",
        "apiserver-count",
        "bind-address",
        "client-ca-file",
        "cloud-config",
        "cloud-provider",
        "enable-bootstrap-token-auth",
        "endpoint-reconciler-type",
        "etcd-cafile",
        "etcd-certfile",
        "etcd-keyfile",
        "etcd-prefix",
        "etcd-servers",
        "external-hostname",
        "insecure-port",
        "kubelet-certificate-authority",
        "kubelet-client-certificate",
        "kubelet-client-key",
        "kubelet-preferred-address-types",
        "logtostderr",
        "port",
        "profiling",
        "proxy-client-cert-file",
        "proxy-client-key-file",
        "requestheader-allowed-names",
        "requestheader-client-ca-file",
        "requestheader-extra-headers-prefix",
        "requestheader-group-headers",
        "requestheader-username-headers",
        "secure-port",
        "service-account-issuer",
        "service-account-key-file",
        "service-account-signing-key-file",
        "storage-backend",
        "tls-cert-file",
        "tls-private-key-file",
        "v",
        # Counted by their own constraints (apiserver_feature_gates, admission_plugins).
        "feature-gates",
        "enable-admission-plugins",
        "disable-admission-plugins",
        "admission-control",
    }
)

# Flags EKS lets a customer set, directly or through an equivalent cluster setting:
# event-ttl and service-node-port-range ("Advanced control plane configuration", EKS v1.31+);
# service-cluster-ip-range (kubernetesNetworkConfig at creation); oidc-* (OIDC identity provider
# association); encryption-provider-config (envelope encryption with KMS); audit-log-* (control-plane
# logging to CloudWatch; the audit policy itself is fixed). Sources: see catalog/configurability.yaml.
EKS_HONOURED_FLAGS = frozenset(
    {
        "event-ttl",
        "service-node-port-range",
        "service-cluster-ip-range",
        "encryption-provider-config",
        "oidc-issuer-url",
        "oidc-client-id",
        "oidc-username-claim",
        "oidc-username-prefix",
        "oidc-groups-claim",
        "oidc-groups-prefix",
        "oidc-required-claim",
        "oidc-ca-file",
        "oidc-signing-algs",
        "audit-log-path",
        "audit-log-maxage",
        "audit-log-maxbackup",
        "audit-log-maxsize",
    }
)

# GKE: the services range at creation, application-layer secrets encryption with Cloud KMS and Cloud
# Audit Logs. GKE publishes no way to pass kube-apiserver flags.
GKE_HONOURED_FLAGS = frozenset(
    {
        "service-cluster-ip-range",
        "encryption-provider-config",
        "audit-log-path",
        "audit-log-maxage",
        "audit-log-maxbackup",
        "audit-log-maxsize",
    }
)

_DEFAULT_FLAG_VALUES = {"authorization-mode": "Node,RBAC"}  # kubeadm's value; others (Webhook, ABAC) count


def unsupported_flags(flags: dict[str, str], honoured: Iterable[str]) -> list[str]:
    """The kube-apiserver flags in ``flags`` a target cannot honour, sorted."""
    allowed = set(honoured)
    out = []
    for name, value in _flags(flags).items():
        if name in _PLUMBING_FLAGS or name in allowed:
            continue
        if name in _DEFAULT_FLAG_VALUES and value == _DEFAULT_FLAG_VALUES[name]:
            continue
        out.append(name)
    return sorted(out)


def _flag_metric(snap: Snapshot, honoured: frozenset[str], target: str) -> MetricValue:
    flags = _apiserver_flags(snap)
    if flags is None:
        return _unknown_flags(snap)
    names = unsupported_flags(flags, honoured)
    detail = f"{target} cannot set: " + ", ".join("--" + n for n in names) if names else ""
    return MetricValue(float(len(names)), detail=detail)


@metric("apiserver.unsupported_flags.eks", "non-default kube-apiserver flags EKS does not let you set (count)")
def _flags_eks(snap: Snapshot) -> MetricValue:
    return _flag_metric(snap, EKS_HONOURED_FLAGS, "EKS")


@metric("apiserver.unsupported_flags.gke", "non-default kube-apiserver flags GKE does not let you set (count)")
def _flags_gke(snap: Snapshot) -> MetricValue:
    return _flag_metric(snap, GKE_HONOURED_FLAGS, "GKE")


@metric("apiserver.custom_flags", "non-default kube-apiserver flags beyond installer plumbing (count)")
def _flags_custom(snap: Snapshot) -> MetricValue:
    return _flag_metric(snap, frozenset(), "a managed control plane")


def _feature_gates(snap: Snapshot) -> dict[str, bool] | None:
    gates = dict(snap.control_plane.feature_gates)
    flags = _apiserver_flags(snap)
    if flags and flags.get("feature-gates"):
        for item in flags["feature-gates"].split(","):
            name, _, value = item.partition("=")
            if name.strip():
                gates.setdefault(name.strip(), value.strip().lower() == "true")
    if gates:
        return gates
    return {} if flags is not None else None


@metric("apiserver.feature_gates", "feature gates set explicitly on the control plane (count)")
def _feature_gate_count(snap: Snapshot) -> MetricValue:
    gates = _feature_gates(snap)
    if gates is None:
        return _unknown_flags(snap)
    names = sorted(gates)
    return MetricValue(float(len(names)), detail=", ".join(f"{n}={str(gates[n]).lower()}" for n in names))


# Admission plugins kube-apiserver enables by default (kube-apiserver reference, --enable-admission-plugins),
# plus NodeRestriction, which kubeadm, EKS and GKE all enable.
UPSTREAM_DEFAULT_ADMISSION = frozenset(
    {
        "CertificateApproval",
        "CertificateSigning",
        "CertificateSubjectRestriction",
        "ClusterTrustBundleAttest",
        "DefaultIngressClass",
        "DefaultStorageClass",
        "DefaultTolerationSeconds",
        "LimitRanger",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionWebhook",
        "NamespaceLifecycle",
        "NodeRestriction",
        "PersistentVolumeClaimResize",
        "PodSecurity",
        "Priority",
        "ResourceQuota",
        "RuntimeClass",
        "ServiceAccount",
        "StorageObjectInUseProtection",
        "TaintNodesByCondition",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionWebhook",
    }
)

# EKS enables these on top of the upstream defaults (EKS platform-versions page).
EKS_EXTRA_ADMISSION = frozenset({"ExtendedResourceToleration"})


def _admission_plugins(snap: Snapshot) -> list[str] | None:
    plugins = list(snap.control_plane.admission_plugins)
    flags = _apiserver_flags(snap)
    if not plugins and flags and flags.get("enable-admission-plugins"):
        plugins = [p.strip() for p in flags["enable-admission-plugins"].split(",") if p.strip()]
    if plugins:
        return plugins
    return [] if flags is not None else None


def _admission_metric(snap: Snapshot, allowed: frozenset[str], target: str) -> MetricValue:
    plugins = _admission_plugins(snap)
    if plugins is None:
        return _unknown_flags(snap)
    extra = sorted(set(plugins) - allowed)
    return MetricValue(float(len(extra)), detail=f"{target} does not enable: " + ", ".join(extra) if extra else "")


@metric("admission.nondefault_plugins", "admission plugins enabled beyond the upstream defaults (count)")
def _admission_nondefault(snap: Snapshot) -> MetricValue:
    return _admission_metric(snap, UPSTREAM_DEFAULT_ADMISSION, "the upstream default set")


@metric("admission.unsupported_plugins.eks", "admission plugins enabled that EKS does not enable (count)")
def _admission_eks(snap: Snapshot) -> MetricValue:
    return _admission_metric(snap, UPSTREAM_DEFAULT_ADMISSION | EKS_EXTRA_ADMISSION, "EKS")


# ---------------------------------------------------------------- network policy


@metric("network_policies.count", "Kubernetes NetworkPolicies (count)")
def _netpol_count(snap: Snapshot) -> MetricValue:
    value = snap.network_policies.count
    if value is None:
        value = _object_count(snap, "networkpolicies.networking.k8s.io")
    return known(snap, value, "networkpolicies.networking.k8s.io", "network_policies")


@metric("network_policies.cni_policies", "CNI-specific policy objects: Cilium, Calico, ... (count)")
def _cni_policy_count(snap: Snapshot) -> MetricValue:
    policies = dict(snap.network_policies.cni_policies)
    if not policies:
        policies = {
            k: v
            for k, v in snap.objects.items()
            if k.endswith((".cilium.io", ".crd.projectcalico.org")) and "polic" in k
        }
    if not policies:
        if snap.networking.cni is not None or snap.objects:
            return MetricValue(0.0, detail="no CNI policy objects counted")
        return unknown(snap, "network_policies", missing="CNI policy objects not measured")
    return MetricValue(
        float(sum(policies.values())), detail=", ".join(f"{k}: {v}" for k, v in sorted(policies.items()))
    )


@metric("network_policies.max_ports_per_rule", "unique ports in the busiest single NetworkPolicy rule (count)")
def _netpol_ports(snap: Snapshot) -> MetricValue:
    if snap.network_policies.max_ports_per_rule is None and snap.network_policies.count == 0:
        return MetricValue(0.0, detail="no NetworkPolicies")
    return known(
        snap, snap.network_policies.max_ports_per_rule, "networkpolicies.networking.k8s.io", "network_policies"
    )


CILIUM_IDENTITIES = "ciliumidentities.cilium.io"


@metric(
    "cilium.identities",
    "Cilium security identities: CiliumIdentity objects where counted, else estimated from pod label sets",
)
def _cilium_identities(snap: Snapshot) -> MetricValue:
    # The measured count wins: identities a policy never names still take a number from the 16-bit space, and
    # labels outside the default filter (a custom --labels) change the count the estimate cannot see.
    cil = (snap.network_policies.dataplane or {}).get("cilium") or {}
    estimate = cil.get("identities")
    also = f"; estimated from pod label sets: {estimate:,}" if isinstance(estimate, int) else ""
    measured = cil.get("identities_measured") or {}
    listed = measured.get("count")
    if listed is not None:  # "method": how collect kube counted them (a snapshot without one listed them)
        how = measured.get("method") or "listed"
        return MetricValue(float(listed), detail=f"measured: {listed:,} CiliumIdentity objects ({how}){also}")
    counted = _object_count(snap, CILIUM_IDENTITIES)
    if counted is not None:
        how = snap.collection.count_methods.get(CILIUM_IDENTITIES) or "counted"
        return MetricValue(float(counted), detail=f"measured: {counted:,} CiliumIdentity objects ({how}){also}")
    cni = (snap.networking.cni or "").lower()
    if cni and "cilium" not in cni and "dataplane-v2" not in cni:
        return MetricValue(None, f"CNI is {snap.networking.cni}: Cilium identities are not in use")
    if isinstance(estimate, int):
        gap = snap.gap_for(f"network_policies.dataplane.{CILIUM_IDENTITIES}", f"objects.{CILIUM_IDENTITIES}")
        why = f"{gap.source}: {gap.reason}" if gap else "CiliumIdentity objects not counted"
        return MetricValue(
            float(estimate), detail=f"estimated from pod label sets: {estimate:,} ({why})", estimated=True
        )
    return unknown(
        snap,
        f"network_policies.dataplane.{CILIUM_IDENTITIES}",
        f"objects.{CILIUM_IDENTITIES}",
        missing="CiliumIdentity objects not counted",
    )


# ---------------------------------------------------------------- NetworkPolicy dataplane load
# network_policies.dataplane, written by evaluator.dataplane.analyse at collection (or by a --with-policies
# what-if): the busiest pod's figures per dataplane.


def _dataplane(snap: Snapshot, *path: str) -> MetricValue | Any:
    data: Any = snap.network_policies.dataplane
    if data is None:
        if snap.network_policies.count == 0:
            return MetricValue(0.0, detail="no NetworkPolicies")
        return unknown(snap, "network_policies.dataplane", missing="NetworkPolicy dataplane load not measured")
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _top_detail(data: dict[str, Any], section: str) -> str:
    top = ((data.get(section) or {}).get("top") or [None])[0]
    if not top:
        return ""
    peer = f" for peer {top['peer']} ({top['direction']})" if top.get("peer") else ""
    policies = ", ".join(top.get("policies") or [])
    return f"busiest: {top['namespace']}/{top['workload']}{peer}; policies: {policies}"


@metric("dataplane.eks_entries_per_peer", "most EKS agent port entries for one pod, direction and peer (count)")
def _eks_entries(snap: Snapshot) -> MetricValue:
    value = _dataplane(snap, "eks", "entries_per_peer", "max")
    if isinstance(value, MetricValue):
        return value
    data = snap.network_policies.dataplane or {}
    over = (data.get("eks") or {}).get("pods_over_entry_limit")
    detail = _top_detail(data, "eks") + (f"; {over} pods over 24" if over else "")
    return (
        known(snap, value, "network_policies.dataplane") if value is None else MetricValue(float(value), detail=detail)
    )


@metric("dataplane.eks_peer_keys", "most peer IP/CIDR keys in one pod's EKS agent map, per direction (count)")
def _eks_keys(snap: Snapshot) -> MetricValue:
    value = _dataplane(snap, "eks", "peer_keys", "max")
    if isinstance(value, MetricValue):
        return value
    return known(snap, value, "network_policies.dataplane")


@metric("dataplane.eks_uncovered_pods", "pods selected by NetworkPolicies that the EKS agent cannot enforce (count)")
def _eks_uncovered(snap: Snapshot) -> MetricValue:
    value = _dataplane(snap, "eks", "uncovered_pods")
    if isinstance(value, MetricValue):
        return value
    reasons = ((snap.network_policies.dataplane or {}).get("eks") or {}).get("uncovered_by_reason") or {}
    detail = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(reasons.items()))
    return (
        known(snap, value, "network_policies.dataplane") if value is None else MetricValue(float(value), detail=detail)
    )


@metric("dataplane.cilium_policy_map_entries", "estimated Cilium policy-map entries of the busiest pod (count)")
def _cilium_entries(snap: Snapshot) -> MetricValue:
    value = _dataplane(snap, "cilium", "policy_map_entries", "max")
    if isinstance(value, MetricValue):
        return value
    detail = _top_detail(snap.network_policies.dataplane or {}, "cilium")
    if value is None:
        return known(snap, value, "network_policies.dataplane")
    return MetricValue(float(value), detail=detail, estimated=True)  # Cilium's map is not read: modelled entries


@metric(
    "dataplane.cilium_policy_map_entries_on_cilium",
    "estimated Cilium policy-map entries of the busiest pod, where the cluster runs Cilium (count)",
)
def _cilium_entries_on_cilium(snap: Snapshot) -> MetricValue:
    cni = (snap.networking.cni or "").lower()
    if cni and "cilium" not in cni and "dataplane-v2" not in cni:
        return MetricValue(None, f"CNI is {snap.networking.cni}: Cilium policy maps are not in use")
    return _cilium_entries(snap)


@metric("dataplane.calico_max_ipset", "pod IPs in the largest Calico selector IP set, where the cluster runs Calico")
def _calico_ipset(snap: Snapshot) -> MetricValue:
    cni = (snap.networking.cni or "").lower()
    if cni and cni not in ("calico", "canal"):
        return MetricValue(None, f"CNI is {snap.networking.cni}: Calico ipsets are not in use")
    value = _dataplane(snap, "calico", "max_ipset_members")
    if isinstance(value, MetricValue):
        return value
    peer = ((snap.network_policies.dataplane or {}).get("calico") or {}).get("max_ipset_peer") or ""
    return known(snap, value, "network_policies.dataplane") if value is None else MetricValue(float(value), detail=peer)


# Calico's manifest install guidance (docs.tigera.io .../self-managed-onprem/onpremises, Typha tab): "We recommend at
# least one replica for every 200 nodes, and no more than 20 replicas. In production, we recommend a minimum of three
# replicas".
TYPHA_NODES_PER_REPLICA = 200
TYPHA_MAX_REPLICAS = 20
TYPHA_MIN_REPLICAS = 3


def typha_replicas(nodes: int) -> int:
    """Typha replicas Calico recommends for ``nodes`` nodes: one per 200, at least 3, at most 20."""
    return min(TYPHA_MAX_REPLICAS, max(TYPHA_MIN_REPLICAS, -(-nodes // TYPHA_NODES_PER_REPLICA)))


@metric("dataplane.calico_typha_nodes", "nodes served by Calico's Felix agents, where the cluster runs Calico (count)")
def _calico_typha_nodes(snap: Snapshot) -> MetricValue:
    cni = (snap.networking.cni or "").lower()
    if not cni:
        return unknown(snap, "networking.cni", missing="CNI not detected: whether Calico runs (Typha) is unknown")
    if cni not in ("calico", "canal"):
        return MetricValue(None, f"CNI is {snap.networking.cni}: Calico Typha does not apply")
    nodes = snap.nodes.count
    if nodes is None:
        return unknown(snap, "nodes")
    detail = (
        f"Calico on {nodes:,} nodes: Typha recommended with {typha_replicas(nodes)} replicas (one per 200 nodes, "
        "at least 3, at most 20); Typha replicas are not collected: check the calico-typha Deployment"
    )
    return MetricValue(float(nodes), detail=detail)


# ---------------------------------------------------------------- networking and IP space


@metric("networking.pod_ip_utilisation", "pod IPs in use as a fraction of the pod ranges' capacity")
def _pod_ip_utilisation(snap: Snapshot) -> MetricValue:
    net = snap.networking
    return _ratio(snap, net.pod_ips_in_use, net.pod_ip_capacity, ("networking", "pod_cidrs"), "pod IP space")


@metric("networking.node_range_utilisation", "nodes as a fraction of the nodes the pod ranges allow")
def _node_range_utilisation(snap: Snapshot) -> MetricValue:
    capacity = snap.networking.node_capacity_by_pod_range
    return _ratio(snap, snap.nodes.count, capacity, ("networking", "nodes"), "node capacity of the pod ranges")


def cidr_capacity(cidrs: Iterable[str]) -> int | None:
    """Addresses in the IPv4 CIDRs given (IPv6 ranges are too large to matter); None if none parse."""
    total = 0
    seen = False
    for text in cidrs:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        if net.version == 4:
            total += net.num_addresses
            seen = True
    return total if seen else None


@metric("networking.service_ip_utilisation", "Services as a fraction of the service CIDR's ClusterIPs")
def _service_ip_utilisation(snap: Snapshot) -> MetricValue:
    capacity = cidr_capacity(snap.networking.service_cidrs)
    services = snap.services.count
    if services is not None and snap.services.by_type:
        # ExternalName and headless Services take no ClusterIP; by_type cannot see headless ones.
        services -= snap.services.by_type.get("ExternalName", 0)
    return _ratio(
        snap, services, None if capacity is None else float(capacity), ("networking", "services"), "service CIDR"
    )


@metric("cloud.min_subnet_free_ips", "free IPs in the emptiest cluster subnet (count)")
def _subnet_free_ips(snap: Snapshot) -> MetricValue:
    if snap.cloud is None:
        return unknown(snap, "cloud", missing="no cloud provider facts (not a cloud cluster)")
    free = [(s.available_ips, s.id) for s in snap.cloud.subnets if s.available_ips is not None]
    if not free:
        return unknown(snap, "cloud.subnets", "subnets", missing="subnet free IPs not measured")
    value, subnet = min(free)
    return MetricValue(float(value), detail=f"emptiest: {subnet}")


@metric("networking.kube_proxy_ipvs", "1 when kube-proxy runs in ipvs mode, else 0")
def _kube_proxy_ipvs(snap: Snapshot) -> MetricValue:
    mode = snap.networking.kube_proxy_mode
    if mode is None:
        return unknown(snap, "networking.kube_proxy_mode", "kube-proxy", missing="kube-proxy mode not measured")
    return MetricValue(1.0 if mode.lower() == "ipvs" else 0.0, detail=f"mode: {mode}")


@metric("networking.custom_cni", "1 when the cluster runs a CNI that GKE Autopilot cannot run (not Dataplane V2)")
def _custom_cni(snap: Snapshot) -> MetricValue:
    cni = snap.networking.cni
    if cni is None:
        return unknown(snap, "networking.cni", "cni", missing="CNI not identified")
    native = cni.lower() in ("gke-dataplane-v2", "dataplane-v2", "gke")
    return MetricValue(0.0 if native else 1.0, detail=f"CNI: {cni}")


# ---------------------------------------------------------------- versions and lifecycle

_VERSION = re.compile(r"v?(\d+)\.(\d+)")


def parse_minor(text: str | None) -> tuple[int, int] | None:
    """``(1, 29)`` from ``"1.29.4"``, ``"v1.29.4-eks-1234"`` or ``"1.29"``; None when it does not parse."""
    if not text:
        return None
    m = _VERSION.match(text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


@dataclass(frozen=True)
class MinorDates:
    """Release and end-of-support dates of one Kubernetes minor version, per calendar (None: not published)."""

    minor: tuple[int, int]
    upstream_release: date | None
    upstream_end: date | None
    eks_release: date | None
    eks_standard_end: date | None
    eks_extended_end: date | None
    gke_regular: date | None
    gke_standard_end: date | None
    gke_extended_end: date | None


def _as_date(value: Any, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"catalog/versions.yaml: {where}: expected a YYYY-MM-DD date or null, got {value!r}")


@lru_cache(maxsize=1)
def version_table() -> dict[tuple[int, int], MinorDates]:
    """The shipped table of Kubernetes minor versions and their support dates (catalog/versions.yaml)."""
    from ..catalog.loader import load_data_yaml

    data = load_data_yaml("versions.yaml")
    table: dict[tuple[int, int], MinorDates] = {}
    for row in data["minors"]:
        minor = parse_minor(str(row["minor"]))
        if minor is None:
            raise ValueError(f"catalog/versions.yaml: minor {row['minor']!r} is not a version")
        names = [
            "upstream_release",
            "upstream_end",
            "eks_release",
            "eks_standard_end",
            "eks_extended_end",
            "gke_regular",
            "gke_standard_end",
            "gke_extended_end",
        ]
        values = {n: _as_date(row.get(n), f"{row['minor']}.{n}") for n in names}
        table[minor] = MinorDates(minor=minor, **values)
    return table


_DAYS_PER_MONTH = 365.2425 / 12


def _months_left(snap: Snapshot, field_name: str, calendar: str) -> MetricValue:
    minor = parse_minor(snap.cluster.version or snap.cluster.git_version)
    if minor is None:
        return unknown(snap, "cluster.version", "version", missing="control-plane version not measured")
    at = parse_time(snap.collected_at).date()
    table = version_table()
    label = f"{minor[0]}.{minor[1]}"
    row = table.get(minor)
    end = getattr(row, field_name) if row is not None else None
    if end is not None:
        months = round((end - at).days / _DAYS_PER_MONTH, 1)
        return MetricValue(months, detail=f"{label} {calendar} support ends {end.isoformat()}")
    if minor > max(table):
        return MetricValue(None, f"{label} is newer than the catalog's version table; update the catalog")
    # The exact date is not in the table; a newer minor's end date bounds it, because minors leave support
    # in order. When that bound is already past, the cluster is certainly out of support.
    for newer in sorted(m for m in table if m > minor):
        bound = getattr(table[newer], field_name)
        if bound is None:
            continue
        if bound <= at:
            months = round((bound - at).days / _DAYS_PER_MONTH, 1)
            return MetricValue(
                months,
                detail=f"{label} {calendar} support ended no later than {newer[0]}.{newer[1]}'s ({bound.isoformat()})",
            )
        break
    return MetricValue(None, f"{label}: {calendar} end-of-support date not in the catalog's version table")


@metric("version.upstream_support_months_left", "months until upstream patch support of the minor ends")
def _upstream_left(snap: Snapshot) -> MetricValue:
    return _months_left(snap, "upstream_end", "upstream patch")


@metric("version.eks_standard_months_left", "months until EKS standard support of the minor ends")
def _eks_standard_left(snap: Snapshot) -> MetricValue:
    return _months_left(snap, "eks_standard_end", "EKS standard")


@metric("version.eks_extended_months_left", "months until EKS extended support of the minor ends")
def _eks_extended_left(snap: Snapshot) -> MetricValue:
    return _months_left(snap, "eks_extended_end", "EKS extended")


@metric("version.gke_standard_months_left", "months until GKE standard support of the minor ends")
def _gke_standard_left(snap: Snapshot) -> MetricValue:
    return _months_left(snap, "gke_standard_end", "GKE standard")


@metric("version.gke_extended_months_left", "months until GKE extended support of the minor ends")
def _gke_extended_left(snap: Snapshot) -> MetricValue:
    return _months_left(snap, "gke_extended_end", "GKE extended")


@metric("version.minors_behind_latest", "minor versions between the cluster and the newest upstream release")
def _minors_behind(snap: Snapshot) -> MetricValue:
    minor = parse_minor(snap.cluster.version or snap.cluster.git_version)
    if minor is None:
        return unknown(snap, "cluster.version", "version", missing="control-plane version not measured")
    at = parse_time(snap.collected_at).date()
    released = [m for m, row in version_table().items() if row.upstream_release and row.upstream_release <= at]
    if not released:
        return MetricValue(None, "no release in the version table precedes the snapshot")
    latest = max(released)
    if minor[0] != latest[0]:
        return MetricValue(None, f"major version {minor[0]} is not comparable with {latest[0]}")
    return MetricValue(float(max(0, latest[1] - minor[1])), detail=f"newest released: {latest[0]}.{latest[1]}")


@metric("version.kubelet_skew", "minor versions the oldest kubelet trails the control plane")
def _kubelet_skew(snap: Snapshot) -> MetricValue:
    api = parse_minor(snap.cluster.version or snap.cluster.git_version)
    if api is None:
        return unknown(snap, "cluster.version", "version", missing="control-plane version not measured")
    kubelets = {v: parse_minor(v) for v in snap.nodes.by_kubelet_version}
    parsed = {v: m for v, m in kubelets.items() if m is not None}
    if not parsed:
        if snap.nodes.count == 0:
            return MetricValue(0.0, detail="no nodes")
        return unknown(snap, "nodes", missing="kubelet versions not measured")
    oldest_text, oldest = min(parsed.items(), key=lambda kv: kv[1])
    skew = api[1] - oldest[1] if api[0] == oldest[0] else None
    if skew is None:
        return MetricValue(None, f"kubelet {oldest_text} has another major version than the control plane")
    newer = sorted(v for v, m in parsed.items() if m > api)
    detail = f"oldest kubelet {oldest_text}" + (f"; newer than the control plane: {', '.join(newer)}" if newer else "")
    return MetricValue(float(max(0, skew)), detail=detail)


# ---------------------------------------------------------------- features


@metric("features.psp_in_use", "PodSecurityPolicy objects (count; the API was removed in 1.25)")
def _psp(snap: Snapshot) -> MetricValue:
    value = _object_count(snap, "podsecuritypolicies.policy", "podsecuritypolicies.extensions")
    if value is not None:
        return MetricValue(float(value))
    minor = parse_minor(snap.cluster.version or snap.cluster.git_version)
    if minor is not None and minor >= (1, 25):
        return MetricValue(0.0, detail="the PodSecurityPolicy API does not exist on 1.25+")
    return unknown(snap, "podsecuritypolicies.policy", missing="PodSecurityPolicy objects not counted")
