"""The inventory snapshot: what a collector measured about one cluster, as a versioned JSON file.

Every fact is either measured or absent (``None``); an absent fact has a :class:`Gap` saying why.
Schema ``k8seval/inventory/v1`` is documented in the README ("Snapshot schema").
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .fileio import read_json, write_json
from .text import clean_text
from .typed import from_data, to_data

SCHEMA = "k8seval/inventory/v1"

PLATFORMS = ("self-hosted", "eks", "gke", "gke-autopilot", "aks", "unknown")


def utc_now() -> str:
    """The current time as RFC 3339 UTC with a ``Z`` suffix, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset) into an aware datetime; one without an offset is UTC.

    Always aware, so times from different files compare (a naive and an aware datetime do not).
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Gap:
    """Something a collector could not measure, and why (a 403, an absent metric, an API not served)."""

    source: str  # "kube", "etcd", "eks", "gke", ...
    item: str  # what is missing, e.g. "networkpolicies.networking.k8s.io" or "etcd.db_size_bytes"
    reason: str  # e.g. "403 Forbidden: list networkpolicies at cluster scope"

    def __post_init__(self) -> None:
        # Reasons quote server messages: strip control characters where they enter the snapshot.
        for name in ("source", "item", "reason"):
            object.__setattr__(self, name, clean_text(str(getattr(self, name))))


@dataclass(frozen=True)
class ClusterInfo:
    """Identity of the cluster."""

    name: str
    platform: str = "unknown"  # one of PLATFORMS
    version: str | None = None  # "1.29.4" (control plane, no leading v)
    git_version: str | None = None  # "v1.29.4-eks-1234" as /version reports it
    endpoint: str | None = None
    provider: str | None = None  # "aws", "gcp", or None for on-premises
    region: str | None = None  # AWS region or GKE location
    account: str | None = None  # AWS account id or GCP project
    # A stable id of the cluster, so that clusters with the same name stay apart: the kube-system namespace UID
    # (collect kube), else the EKS cluster ARN (collect eks) or the GKE cluster self link (collect gke).
    id: str | None = None
    cloud_id: str | None = None  # the EKS ARN or GKE self link, also kept when ``id`` is the kube-system UID

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", clean_text(self.name))


@dataclass(frozen=True)
class Stats:
    """A distribution summary. Any field may be None when not measured."""

    max: float | None = None
    mean: float | None = None
    p95: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class NodeInventory:
    """Nodes as the Kubernetes API sees them."""

    count: int | None = None
    control_plane_count: int | None = None
    pods_per_node: Stats = field(default_factory=Stats)  # running (non-terminal) pods scheduled per node
    allocatable_pods: Stats = field(default_factory=Stats)  # status.allocatable.pods across nodes
    by_pool: dict[str, int] = field(default_factory=dict)
    by_instance_type: dict[str, int] = field(default_factory=dict)
    by_zone: dict[str, int] = field(default_factory=dict)
    by_pool_zone: dict[str, int] = field(default_factory=dict)  # "pool/zone" -> nodes (GKE limits pools per zone)
    by_os: dict[str, int] = field(default_factory=dict)
    by_arch: dict[str, int] = field(default_factory=dict)
    by_kubelet_version: dict[str, int] = field(default_factory=dict)
    by_container_runtime: dict[str, int] = field(default_factory=dict)
    gpu_count: int | None = None  # nodes advertising nvidia.com/gpu, amd.com/gpu or similar


@dataclass(frozen=True)
class NetworkPolicyInventory:
    """Kubernetes NetworkPolicies and CNI-specific policy objects."""

    count: int | None = None
    max_per_namespace: int | None = None
    namespaces_with_policies: int | None = None
    ingress_rules: int | None = None
    egress_rules: int | None = None
    peers: int | None = None
    ports: int | None = None
    ip_blocks: int | None = None
    max_ports_per_rule: int | None = None  # unique ports in the busiest single rule
    cni_policies: dict[str, int] = field(default_factory=dict)  # "ciliumnetworkpolicies.cilium.io" -> N
    # Per-pod and per-node policy load per dataplane (evaluator.dataplane.analyse): distributions, per-target
    # measures, busiest nodes and bounded top offenders; never a per-pod table. None when not measured.
    dataplane: dict[str, Any] | None = None
    # The compact model a --with-policies what-if starts from (label groups with pod counts and IP ranges,
    # namespace labels, policy specs); written only by `collect kube --policy-model`.
    policy_model: dict[str, Any] | None = None


@dataclass(frozen=True)
class ServiceInventory:
    """Services and their endpoints."""

    count: int | None = None
    by_type: dict[str, int] = field(default_factory=dict)  # ClusterIP, NodePort, LoadBalancer, ExternalName
    max_per_namespace: int | None = None
    max_endpoints_per_service: int | None = None  # from EndpointSlices
    endpoints_total: int | None = None


@dataclass(frozen=True)
class WebhookInventory:
    """Admission webhooks (mutating + validating)."""

    count: int | None = None
    mutating: int | None = None
    validating: int | None = None
    max_timeout_seconds: int | None = None
    fail_closed: int | None = None  # failurePolicy: Fail


@dataclass(frozen=True)
class EtcdMember:
    """One etcd member."""

    name: str
    id: str
    client_urls: list[str] = field(default_factory=list)
    is_leader: bool = False
    is_learner: bool = False
    # Maintenance Status of this member, when one of the collected endpoints is this member (else None/empty).
    version: str | None = None
    db_size_bytes: int | None = None
    db_size_in_use_bytes: int | None = None
    raft_term: int | None = None
    raft_index: int | None = None
    raft_applied_index: int | None = None
    errors: list[str] = field(default_factory=list)  # Status.errors, e.g. an active NOSPACE alarm


@dataclass(frozen=True)
class EtcdInventory:
    """etcd, measured directly or through apiserver metrics."""

    db_size_bytes: int | None = None
    db_size_in_use_bytes: int | None = None
    quota_backend_bytes: int | None = None
    version: str | None = None
    quota_basis: str | None = None  # where the quota came from: Status.dbSizeQuota, a flag, etcd's default...
    db_size_basis: str | None = None  # which metric series the size is (apiserver metrics)
    events_db_size_bytes: int | None = None  # a separate events etcd (--etcd-servers-overrides=/events#...)
    members: list[EtcdMember] = field(default_factory=list)
    leader: str | None = None
    keys: dict[str, int] = field(default_factory=dict)  # "/registry/pods/" -> N
    total_keys: int | None = None
    source: str | None = None  # "etcd" (direct) or "apiserver-metrics:<metric name>"


@dataclass(frozen=True)
class NetworkingInventory:
    """CNI, proxy mode and address space."""

    cni: str | None = None  # "calico", "cilium", "aws-vpc-cni", "gke-dataplane-v2", "flannel", ...
    cni_version: str | None = None  # without a leading "v": "1.18.1-eksbuild.1"
    cni_addons: dict[str, str] = field(default_factory=dict)  # components beside the CNI, e.g. aws-network-policy-agent
    kube_proxy_mode: str | None = None  # "iptables", "ipvs", "nftables", "none" (eBPF replacement)
    pod_cidrs: list[str] = field(default_factory=list)
    service_cidrs: list[str] = field(default_factory=list)
    ip_family: str | None = None  # "ipv4", "ipv6", "dual"
    pod_ip_capacity: int | None = None  # pod IPs the pod ranges allow
    node_capacity_by_pod_range: int | None = None  # nodes the pod ranges allow at the per-node block size
    pod_ips_in_use: int | None = None


@dataclass(frozen=True)
class ControlPlaneInventory:
    """Self-hosted control-plane configuration read from static Pods, and admission settings."""

    apiserver_flags: dict[str, str] = field(default_factory=dict)
    etcd_flags: dict[str, str] = field(default_factory=dict)
    controller_manager_flags: dict[str, str] = field(default_factory=dict)
    scheduler_flags: dict[str, str] = field(default_factory=dict)
    admission_plugins: list[str] = field(default_factory=list)
    feature_gates: dict[str, bool] = field(default_factory=dict)
    apiserver_count: int | None = None


@dataclass(frozen=True)
class DeprecatedApiUse:
    """A deprecated API version requested since the apiserver started (apiserver_requested_deprecated_apis)."""

    group: str  # "" for the core group
    version: str
    resource: str
    subresource: str = ""
    removed_release: str | None = None  # "1.25": the first minor that no longer serves it; None when not given
    requests: int | None = None  # apiserver_request_total for it since the apiserver started (all verbs, codes)


@dataclass(frozen=True)
class PodRequests:
    """CPU and memory the containers of running pods request, summed over the cluster (what GKE Autopilot bills).

    Read by ``collect prometheus`` from kube-state-metrics' ``kube_pod_container_resource_requests``.
    """

    cpu_cores: float | None = None
    memory_gib: float | None = None
    source: str = ""  # the metric the sums come from


@dataclass(frozen=True)
class NodeGroup:
    """A cloud node group (EKS managed node group, GKE node pool, Fargate profile)."""

    name: str
    kind: str = "managed"  # "managed", "self-managed", "fargate", "node-pool", "autopilot"
    instance_types: list[str] = field(default_factory=list)
    capacity_type: str | None = None  # ON_DEMAND, SPOT
    image_type: str | None = None  # AMI type / GKE image type
    version: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    desired_size: int | None = None
    max_pods_per_node: int | None = None
    max_pods_basis: str | None = None  # how max_pods_per_node was derived
    locations: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subnet:
    """A subnet the cluster uses, with free addresses."""

    id: str
    cidr: str | None = None
    zone: str | None = None
    available_ips: int | None = None


@dataclass(frozen=True)
class Quota:
    """An account/project quota and where its value came from."""

    name: str
    value: float | None
    source: str  # "service-quotas", "documented-default", "api"
    code: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class CloudInventory:
    """Facts from a cloud provider's API (EKS or GKE)."""

    provider: str  # "aws" or "gcp"
    mode: str | None = None  # GKE "standard" / "autopilot"; EKS "standard" / "auto-mode"
    platform_version: str | None = None
    support_type: str | None = None  # "STANDARD", "EXTENDED"
    support_end: str | None = None  # ISO date, where the API gives one
    release_channel: str | None = None
    valid_upgrade_versions: list[str] = field(default_factory=list)
    endpoint_public: bool | None = None
    endpoint_private: bool | None = None
    public_access_cidrs: list[str] = field(default_factory=list)
    logging: list[str] = field(default_factory=list)
    node_groups: list[NodeGroup] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)
    addons: dict[str, str] = field(default_factory=dict)  # name -> version
    quotas: list[Quota] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectionInfo:
    """How the snapshot was collected."""

    collectors: list[str] = field(default_factory=list)
    tool_version: str | None = None
    duration_seconds: float | None = None
    requests: int | None = None
    count_methods: dict[str, str] = field(default_factory=dict)  # resource -> "metrics" | "remaining" | "paged"
    incomplete: str | None = None  # why the collection stopped early (the endpoint failed mid-run), None when whole
    sources: dict[str, str] = field(default_factory=dict)  # fact -> the metric it was read from (collect prometheus)


# Fields that are not measured facts, so never need a gap when null: who the cluster is, which sections a
# collector fills at all, and notes about another fact. ``cloud`` is the cloud collectors' section (null from
# collect kube / etcd by design); provider/region/account/endpoint/cloud_id are identity; the ``*_basis``
# fields and ``etcd.source`` (where the etcd figures were read) explain other facts and are null with them (a
# managed cluster whose /metrics is forbidden has no etcd figure, each with its own gap);
# ``events_db_size_bytes`` exists only with a separate events etcd; ``deprecated_apis`` is the kube collector's
# section, ``pod_requests`` the Prometheus collector's; ``collection.incomplete`` says why a run stopped early;
# ``network_policies.policy_model`` is an opt-in artifact for what-ifs.
NOT_FACTS = frozenset(
    {
        "cloud",
        "cluster.cloud_id",
        "deprecated_apis",
        "pod_requests",
        "cluster.provider",
        "cluster.region",
        "cluster.account",
        "cluster.endpoint",
        "etcd.quota_basis",
        "etcd.db_size_basis",
        "etcd.source",
        "etcd.events_db_size_bytes",
        "collection.incomplete",
        "network_policies.policy_model",
    }
)


def _null_facts(value: Any, path: str, covered: set[str]) -> tuple[list[str], bool]:
    """(uncovered null paths under ``path``, whether every fact under it is null), a section named once when
    all of it is null."""
    if path in NOT_FACTS or path in covered:
        return [], True
    if value is None:
        return [path], True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        paths: list[str] = []
        all_null = True
        for f in dataclasses.fields(value):
            sub, null = _null_facts(getattr(value, f.name), f"{path}.{f.name}" if path else f.name, covered)
            paths.extend(sub)
            all_null = all_null and null
        return ([path] if all_null and paths and path else paths), all_null
    return [], False


def explain_unmeasured(snap: Snapshot, source: str, reason: str) -> Snapshot:
    """``snap`` with a gap for every null fact no gap explains yet (a whole section as one gap when none of it
    was measured): what a collector that sees only part of a cluster (etcd, a cloud API) leaves to the others.
    Merging with a snapshot that measured the item drops the gap again."""
    covered = {g.item for g in snap.gaps}

    def is_covered(path: str) -> bool:
        return any(path == item or path.startswith(item + ".") for item in covered)

    paths, _ = _null_facts(snap, "", {p for p in covered})
    extra = [Gap(source, path, reason) for path in paths if not is_covered(path)]
    return dataclasses.replace(snap, gaps=[*snap.gaps, *extra]) if extra else snap


@dataclass(frozen=True)
class Snapshot:
    """One cluster at one moment. Counts only: no object contents, never Secret data."""

    cluster: ClusterInfo
    schema: str = SCHEMA
    collected_at: str = field(default_factory=utc_now)
    objects: dict[str, int] = field(default_factory=dict)  # "pods" / "networkpolicies.networking.k8s.io" -> N
    namespaces: int | None = None
    crds: int | None = None
    # Containers (app containers, not init) across non-terminal pods: upstream's 300,000 guidance, GKE's
    # containers-per-cluster limit. Optional: collectors that do not count them leave None.
    containers: int | None = None
    # Pod resource requests (collect prometheus); None when not measured (the cost model then shows a gap).
    pod_requests: PodRequests | None = None
    nodes: NodeInventory = field(default_factory=NodeInventory)
    network_policies: NetworkPolicyInventory = field(default_factory=NetworkPolicyInventory)
    services: ServiceInventory = field(default_factory=ServiceInventory)
    webhooks: WebhookInventory = field(default_factory=WebhookInventory)
    etcd: EtcdInventory = field(default_factory=EtcdInventory)
    networking: NetworkingInventory = field(default_factory=NetworkingInventory)
    control_plane: ControlPlaneInventory = field(default_factory=ControlPlaneInventory)
    cloud: CloudInventory | None = None
    # Deprecated API versions clients requested (from apiserver /metrics); None when not measured, [] when none.
    deprecated_apis: list[DeprecatedApiUse] | None = None
    gaps: list[Gap] = field(default_factory=list)
    collection: CollectionInfo = field(default_factory=CollectionInfo)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, keys in schema order."""
        return to_data(self)

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "<snapshot>") -> Snapshot:
        """Validate and build a snapshot; errors name ``where`` and the field."""
        if isinstance(data, dict):
            schema = data.get("schema")
            if schema != SCHEMA:
                raise InputError(
                    f"{where}: schema: expected {SCHEMA!r}, got {schema!r}"
                    + (
                        " (a newer k8seval wrote it?)"
                        if isinstance(schema, str) and schema.startswith("k8seval/")
                        else ""
                    )
                )
        snap = from_data(cls, data, where=where)
        _check(snap, where)
        return snap

    def gap_for(self, *items: str) -> Gap | None:
        """The first gap whose item is one of ``items`` or starts with one of them."""
        for gap in self.gaps:
            for item in items:
                if gap.item == item or gap.item.startswith(item + "."):
                    return gap
        return None

    def with_gap(self, source: str, item: str, reason: str) -> Snapshot:
        """A copy with one more gap."""
        return replace(self, gaps=[*self.gaps, Gap(source, item, reason)])


def _check(snap: Snapshot, where: str) -> None:
    try:
        parse_time(snap.collected_at)
    except ValueError:
        raise InputError(f"{where}: collected_at: not an RFC 3339 timestamp: {snap.collected_at!r}") from None
    if snap.cluster.platform not in PLATFORMS:
        raise InputError(
            f"{where}: cluster.platform: expected one of {', '.join(PLATFORMS)}, got {snap.cluster.platform!r}"
        )
    if not snap.cluster.name:
        raise InputError(f"{where}: cluster.name: must not be empty")
    for key, value in snap.objects.items():
        if value < 0:
            raise InputError(f"{where}: objects.{key}: count must not be negative, got {value}")


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read and validate a snapshot file; any problem raises :class:`InputError` naming the file and field."""
    return Snapshot.from_dict(read_json(path), where=str(path))


def save_snapshot(snap: Snapshot, path: str | os.PathLike[str]) -> Path:
    """Write a snapshot atomically as indented JSON."""
    return write_json(path, snap.to_dict())


def snapshot_filename(snap: Snapshot) -> str:
    """A file name for a snapshot: ``<platform>-<cluster>-<UTC timestamp>.json``.

    Characters other than letters, digits, ``-``, ``_`` and ``.`` are %-encoded (``prod/eu`` -> ``prod%2Feu``), so
    two cluster names never share a file name (``prod/eu`` and ``prod:eu`` once both became ``prod_eu``).
    """
    safe = "".join(
        c if c.isalnum() or c in "-_." else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        for c in snap.cluster.name
    )
    stamp = snap.collected_at.replace(":", "").replace("-", "")
    return f"{snap.cluster.platform}-{safe}-{stamp}.json"
