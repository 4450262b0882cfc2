"""The simulator's cluster spec: what synthetic cluster to serve, loaded from YAML and checked field by field.

``load_spec("spec.yaml")`` and ``profile("small"|"bank"|"large")`` both return a :class:`ClusterSpec`;
a bad file raises :class:`~evaluator.errors.InputError` naming the file and the field.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fileio import check_regular, parse_yaml
from ..typed import from_data
from .names import parse_time

PROFILES = ("small", "bank", "large")
PLATFORMS = ("self-hosted", "eks", "gke")
CNIS = ("calico", "cilium", "aws-vpc-cni", "flannel", "gke-dataplane-v2", "weave", "none")
KUBE_PROXY_MODES = ("iptables", "ipvs", "nftables", "none")
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class NodePool:
    """A group of identical worker nodes (an EKS node group, a GKE node pool, or a rack of self-hosted VMs)."""

    name: str
    count: int
    instance_type: str | None = None  # platform default when absent
    zones: list[str] = field(default_factory=list)  # spread round-robin; platform default when empty
    os: str = "linux"
    arch: str = "amd64"
    max_pods: int | None = None  # kubelet maxPods; the spec's max_pods_per_node when absent
    kubelet_version: str | None = None  # "1.28.9" for version skew; the control-plane version when absent
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeprecatedRequest:
    """Requests clients made to a deprecated API version since the apiserver started: served on /metrics as
    ``apiserver_requested_deprecated_apis`` (1) and in ``apiserver_request_total`` (the count), as a real
    apiserver does from 1.19."""

    group: str  # "" for the core group
    version: str
    resource: str
    requests: int
    subresource: str = ""
    removed_release: str = ""  # "1.25": the first minor that no longer serves it; "" when none is planned


@dataclass(frozen=True)
class ClusterSpec:
    """A synthetic cluster. Counts are exact: listing ``pods`` returns exactly ``pods`` items, and so on.

    ``nodes`` counts every node, control-plane nodes included; ``pods`` counts every pod, the static
    control-plane pods and DaemonSet pods included; ``namespaces`` includes the four system namespaces.
    Fields left as ``None`` get a default derived from the others (see :func:`resolve`).
    """

    name: str
    nodes: int
    pods: int
    namespaces: int
    version: str = "1.29.4"
    platform: str = "self-hosted"  # self-hosted | eks | gke
    max_pods_per_node: int = 110
    services: int = 2
    network_policies: int = 0
    crds: int | None = None  # total CustomResourceDefinitions, the CNI's own included
    etcd_db_size_bytes: int = 50 * 1024 * 1024
    etcd_db_size_in_use_bytes: int | None = None  # default: 80% of etcd_db_size_bytes
    # A separate etcd for Events (--etcd-servers-overrides=/events#..., as Kubernetes' own GCE scripts run one
    # on port 4002); None: events live in the main etcd.
    events_etcd_db_size_bytes: int | None = None
    cni: str = "calico"
    seed: int = 1
    kube_proxy_mode: str = "iptables"
    control_plane_nodes: int | None = None  # self-hosted: 3 (1 when nodes < 6); managed: 0
    node_pools: list[NodePool] = field(default_factory=list)  # default: one or two pools split evenly
    hot_node_pods: int = 0  # when > 0, one worker node carries exactly this many pods (its maxPods is raised)
    endpoints_per_service: int = 10  # maximum endpoints in one Service's EndpointSlice
    validating_webhooks: int = 2
    mutating_webhooks: int = 1
    webhook_timeout_seconds: int = 10
    calico_policies: int = 0  # crd.projectcalico.org NetworkPolicy objects (cni: calico)
    calico_global_policies: int = 0  # crd.projectcalico.org GlobalNetworkPolicy objects
    cilium_policies: int = 0  # cilium.io CiliumNetworkPolicy objects (cni: cilium)
    cilium_clusterwide_policies: int = 0  # cilium.io CiliumClusterwideNetworkPolicy objects
    # cilium.io CiliumIdentity objects (cni: cilium); None: one per Deployment and kube-system DaemonSet, as the
    # pods of one Deployment share their identity-relevant labels
    cilium_identities: int | None = None
    configmaps: int | None = None  # total, kube-root-ca.crt in every namespace included; default 2 per namespace + 8
    secrets: int | None = None  # default: 2 per namespace
    events: int = 0
    apiserver_flags: dict[str, str] = field(default_factory=dict)  # merged over the defaults (self-hosted)
    etcd_flags: dict[str, str] = field(default_factory=dict)  # merged over the defaults (self-hosted)
    created: str = "2023-03-01T09:00:00Z"  # cluster creation time; object ages fall after it
    deprecated_api_requests: list[DeprecatedRequest] = field(default_factory=list)  # none requested by default

    @property
    def minor(self) -> int:
        """The minor version, e.g. 29 for "1.29.4"."""
        return version_tuple(self.version)[1]


def version_tuple(version: str) -> tuple[int, int, int]:
    """``"1.29.4"`` or ``"v1.29.4"`` -> ``(1, 29, 4)``; ValueError otherwise."""
    match = _VERSION.match(version)
    if not match:
        raise ValueError(version)
    return int(match[1]), int(match[2]), int(match[3])


def _fail(where: str, path: str, problem: str) -> InputError:
    return InputError(f"{where}: {path}: {problem}")


def validate(spec: ClusterSpec, where: str = "<spec>") -> ClusterSpec:
    """Check values beyond their types and fill derived defaults; returns the resolved spec."""
    if not _DNS_LABEL.match(spec.name) or len(spec.name) > 63:
        raise _fail(where, "name", f"{spec.name!r} is not a DNS label (lower-case letters, digits, '-')")
    try:
        major, minor, _ = version_tuple(spec.version)
    except ValueError:
        raise _fail(where, "version", f"expected a version like '1.29.4', got {spec.version!r}") from None
    if major != 1 or not 10 <= minor <= 40:
        raise _fail(where, "version", f"unsupported Kubernetes version {spec.version!r}")
    try:
        parse_time(spec.created)
    except (ValueError, TypeError):
        raise _fail(
            where, "created", f"expected an RFC 3339 time like '2023-03-01T09:00:00Z', got {spec.created!r}"
        ) from None
    choices = {"platform": PLATFORMS, "cni": CNIS, "kube_proxy_mode": KUBE_PROXY_MODES}
    for name, allowed in choices.items():
        if getattr(spec, name) not in allowed:
            raise _fail(where, name, f"{getattr(spec, name)!r} is not one of {', '.join(allowed)}")
    non_negative = (
        "pods services network_policies etcd_db_size_bytes hot_node_pods validating_webhooks mutating_webhooks "
        "calico_policies calico_global_policies cilium_policies cilium_clusterwide_policies events"
    ).split()
    for name in non_negative:
        if getattr(spec, name) < 0:
            raise _fail(where, name, f"must not be negative, got {getattr(spec, name)}")
    for name in (
        "crds",
        "configmaps",
        "secrets",
        "control_plane_nodes",
        "etcd_db_size_in_use_bytes",
        "events_etcd_db_size_bytes",
    ):
        value = getattr(spec, name)
        if value is not None and value < 0:
            raise _fail(where, name, f"must not be negative, got {value}")
    if spec.nodes < 1:
        raise _fail(where, "nodes", f"a cluster needs at least 1 node, got {spec.nodes}")
    if spec.namespaces < len(SYSTEM_NAMESPACES):
        raise _fail(where, "namespaces", f"must be at least 4 (the system namespaces), got {spec.namespaces}")
    if spec.max_pods_per_node < 1:
        raise _fail(where, "max_pods_per_node", f"must be at least 1, got {spec.max_pods_per_node}")
    if spec.endpoints_per_service < 1:
        raise _fail(where, "endpoints_per_service", f"must be at least 1, got {spec.endpoints_per_service}")
    if not 1 <= spec.webhook_timeout_seconds <= 30:
        raise _fail(where, "webhook_timeout_seconds", "must be between 1 and 30 (the API's own bounds)")
    if spec.services < 2:
        raise _fail(
            where, "services", f"must be at least 2 (default/kubernetes and kube-system/kube-dns), got {spec.services}"
        )

    control = spec.control_plane_nodes
    if control is None:
        control = 0 if spec.platform != "self-hosted" else (3 if spec.nodes >= 6 else 1)
    if spec.platform != "self-hosted" and control:
        raise _fail(where, "control_plane_nodes", f"a managed ({spec.platform}) control plane has no visible nodes")
    if control > spec.nodes:
        raise _fail(where, "control_plane_nodes", f"{control} is more than nodes ({spec.nodes})")

    for i, use in enumerate(spec.deprecated_api_requests):
        at = f"deprecated_api_requests[{i}]"
        if minor < 19:
            raise _fail(where, at, "apiserver_requested_deprecated_apis exists from Kubernetes 1.19")
        if use.requests < 1:
            raise _fail(where, f"{at}.requests", f"must be at least 1 (a request made it appear), got {use.requests}")
        if not re.match(r"^v\d+((alpha|beta)\d+)?$", use.version):
            raise _fail(where, f"{at}.version", f"expected a version like 'v1beta1', got {use.version!r}")
        for name in ("group", "resource", "subresource"):
            value = getattr(use, name)
            if not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", value) and (value or name == "resource"):
                raise _fail(where, f"{at}.{name}", f"expected a lower-case API name, got {value!r}")
        if use.removed_release and not re.match(r"^1\.\d+$", use.removed_release):
            raise _fail(where, f"{at}.removed_release", f"expected a minor like '1.25', got {use.removed_release!r}")
    keys = [(u.group, u.version, u.resource, u.subresource) for u in spec.deprecated_api_requests]
    if len(set(keys)) != len(keys):
        raise _fail(where, "deprecated_api_requests", "each group/version/resource/subresource once")

    workers = spec.nodes - control
    pools = list(spec.node_pools)
    for i, pool in enumerate(pools):
        if pool.count < 0:
            raise _fail(where, f"node_pools[{i}].count", f"must not be negative, got {pool.count}")
        if not _DNS_LABEL.match(pool.name):
            raise _fail(where, f"node_pools[{i}].name", f"{pool.name!r} is not a DNS label")
        if pool.max_pods is not None and pool.max_pods < 1:
            raise _fail(where, f"node_pools[{i}].max_pods", f"must be at least 1, got {pool.max_pods}")
        if pool.kubelet_version is not None:
            try:
                version_tuple(pool.kubelet_version)
            except ValueError:
                raise _fail(
                    where, f"node_pools[{i}].kubelet_version", f"not a version: {pool.kubelet_version!r}"
                ) from None
    if len({p.name for p in pools}) != len(pools):
        raise _fail(where, "node_pools", "pool names must be unique")
    if pools and sum(p.count for p in pools) != workers:
        raise _fail(
            where,
            "node_pools",
            f"pool counts add up to {sum(p.count for p in pools)} but nodes - control_plane_nodes is {workers}",
        )
    if not pools and workers:
        pools = default_pools(spec.platform, workers)

    cni_crds = len(cni_crd_names(spec.cni))
    crds = spec.crds if spec.crds is not None else cni_crds + 12
    if spec.calico_policies or spec.calico_global_policies:
        if spec.cni != "calico":
            raise _fail(where, "calico_policies", f"Calico policies need cni: calico, not {spec.cni!r}")
        if crds < 2:
            raise _fail(where, "crds", "Calico policies need at least 2 CRDs (networkpolicies, globalnetworkpolicies)")
    if spec.cilium_policies or spec.cilium_clusterwide_policies:
        if spec.cni != "cilium":
            raise _fail(where, "cilium_policies", f"Cilium policies need cni: cilium, not {spec.cni!r}")
        if crds < 2:
            raise _fail(
                where, "crds", "Cilium policies need at least 2 CRDs (ciliumnetworkpolicies and the clusterwide kind)"
            )
    if spec.cilium_identities:
        if spec.cni != "cilium":
            raise _fail(where, "cilium_identities", f"CiliumIdentity objects need cni: cilium, not {spec.cni!r}")
        if "ciliumidentities.cilium.io" not in cni_crd_names(spec.cni)[:crds]:
            raise _fail(where, "crds", f"CiliumIdentity objects need the ciliumidentities CRD: crds {crds} is too few")
    if spec.cilium_identities is not None and spec.cilium_identities < 0:
        raise _fail(where, "cilium_identities", f"must not be negative, got {spec.cilium_identities}")

    resolved = dataclasses.replace(
        spec,
        control_plane_nodes=control,
        node_pools=pools,
        crds=crds,
        configmaps=spec.configmaps if spec.configmaps is not None else 2 * spec.namespaces + 8,
        secrets=spec.secrets if spec.secrets is not None else 2 * spec.namespaces,
        etcd_db_size_in_use_bytes=(
            spec.etcd_db_size_in_use_bytes
            if spec.etcd_db_size_in_use_bytes is not None
            else int(spec.etcd_db_size_bytes * 0.8)
        ),
    )
    _check_capacity(resolved, where)
    fixed = len(fixed_configmaps(resolved)) + resolved.namespaces - 1
    if (resolved.configmaps or 0) < fixed:
        raise _fail(
            where, "configmaps", f"must be at least {fixed} (kube-root-ca.crt in every namespace, kube-system's own)"
        )
    return resolved


def fixed_configmaps(spec: ClusterSpec) -> list[str]:
    """kube-system's ConfigMaps (kube-root-ca.crt included), sorted by name."""
    names = [
        "coredns",
        "extension-apiserver-authentication",
        "kube-apiserver-legacy-service-account-token-tracking",
        "kube-root-ca.crt",
    ]
    if spec.kube_proxy_mode != "none":
        names.append("kube-proxy")
        if spec.platform == "eks":
            names.append("kube-proxy-config")  # EKS keeps the KubeProxyConfiguration here (key "config")
    if spec.platform == "self-hosted":
        names += ["kubeadm-config", "kubelet-config"]
    if spec.platform == "eks":
        names += ["aws-auth", "amazon-vpc-cni"]
    if spec.cni == "calico":
        names.append("calico-config")
    if spec.cni == "cilium":
        names.append("cilium-config")
    return sorted(names)


def system_pod_count(spec: ClusterSpec) -> int:
    """Pods the cluster needs before any workload: static control-plane pods, DaemonSet pods, CoreDNS."""
    control = spec.control_plane_nodes or 0
    per_node = len(daemonset_names(spec))
    extra = 2 + (1 if spec.cni == "calico" else 0) + (1 if spec.cni == "cilium" else 0)  # coredns x2, controllers
    return 4 * control + per_node * spec.nodes + extra


def daemonset_names(spec: ClusterSpec) -> list[str]:
    """The kube-system DaemonSets running one pod per node, sorted by name."""
    names = []
    cni_ds = {
        "calico": "calico-node",
        "cilium": "cilium",
        "aws-vpc-cni": "aws-node",
        "flannel": "kube-flannel-ds",
        "gke-dataplane-v2": "anetd",
        "weave": "weave-net",
    }.get(spec.cni)
    if cni_ds:
        names.append(cni_ds)
    if spec.kube_proxy_mode != "none":
        names.append("kube-proxy")
    return sorted(names)


def _check_capacity(spec: ClusterSpec, where: str) -> None:
    needed = system_pod_count(spec)
    if spec.pods < needed:
        raise _fail(
            where,
            "pods",
            f"{spec.pods} is fewer than the {needed} system pods this cluster runs "
            f"(static control-plane pods, {len(daemonset_names(spec))} DaemonSet pod(s) per node, CoreDNS)",
        )
    control = spec.control_plane_nodes or 0
    # With worker nodes, placement puts only the static control-plane pods and the DaemonSet pods on the
    # control-plane nodes; without, everything runs there.
    has_workers = any(p.count for p in spec.node_pools)
    per_control = min(spec.max_pods_per_node, 4 + len(daemonset_names(spec))) if has_workers else spec.max_pods_per_node
    capacity = control * per_control
    for pool in spec.node_pools:
        capacity += pool.count * (pool.max_pods or spec.max_pods_per_node)
    if spec.hot_node_pods:
        if spec.hot_node_pods > spec.pods:
            raise _fail(where, "hot_node_pods", f"{spec.hot_node_pods} is more than the spec's {spec.pods} pods")
        if not spec.node_pools or not any(p.count for p in spec.node_pools):
            raise _fail(where, "hot_node_pods", "needs at least one worker node")
        first = next(p for p in spec.node_pools if p.count)
        capacity += max(0, spec.hot_node_pods - (first.max_pods or spec.max_pods_per_node))
        if spec.hot_node_pods < len(daemonset_names(spec)):
            raise _fail(where, "hot_node_pods", "must cover at least the node's DaemonSet pods")
    if spec.pods > capacity:
        raise _fail(where, "pods", f"{spec.pods} pods do not fit: the nodes' maxPods add up to {capacity}")


def default_pools(platform: str, workers: int) -> list[NodePool]:
    """One general pool, or two (general + memory) for clusters with more than 10 workers."""
    if workers <= 10:
        return [NodePool(name="general", count=workers)]
    first = (workers * 3 + 3) // 4
    mem_type = {"eks": "r5.2xlarge", "gke": "n2-highmem-8"}.get(platform, "vm-16c-128g")
    return [
        NodePool(name="general", count=first),
        NodePool(name="memory", count=workers - first, instance_type=mem_type),
    ]


def cni_crd_names(cni: str) -> list[str]:
    """The CRDs a CNI installs, as ``plural.group``; the policy CRDs come first."""
    if cni == "calico":
        group = "crd.projectcalico.org"
        plurals = [
            "networkpolicies",
            "globalnetworkpolicies",
            "bgpconfigurations",
            "bgpfilters",
            "bgppeers",
            "blockaffinities",
            "caliconodestatuses",
            "clusterinformations",
            "felixconfigurations",
            "globalnetworksets",
            "hostendpoints",
            "ipamblocks",
            "ipamconfigs",
            "ipamhandles",
            "ippools",
            "ipreservations",
            "kubecontrollersconfigurations",
            "networksets",
        ]
        return [f"{p}.{group}" for p in plurals]
    if cni == "cilium":
        plurals = [
            "ciliumnetworkpolicies",
            "ciliumclusterwidenetworkpolicies",
            "ciliumcidrgroups",
            "ciliumendpoints",
            "ciliumexternalworkloads",
            "ciliumidentities",
            "ciliuml2announcementpolicies",
            "ciliumloadbalancerippools",
            "ciliumnodeconfigs",
            "ciliumnodes",
            "ciliumpodippools",
        ]
        return [f"{p}.cilium.io" for p in plurals]
    if cni == "aws-vpc-cni":
        return ["eniconfigs.crd.k8s.amazonaws.com", "policyendpoints.networking.k8s.aws"]
    return []


def load_spec(path: str | Path) -> ClusterSpec:
    """Read and validate a spec YAML file; InputError naming the file and field when it is wrong."""
    where = str(path)
    check_regular(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{where}: cannot read the spec: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: cannot read the spec: not UTF-8 text (byte {exc.start})") from None
    return parse_spec(text, where)


def parse_spec(text: str, where: str = "<spec>") -> ClusterSpec:
    """Parse spec YAML text; ``where`` names the source in error messages."""
    data: Any = parse_yaml(text, where)
    if isinstance(data, dict):
        known = {f.name for f in dataclasses.fields(ClusterSpec)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InputError(f"{where}: {unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
    spec = from_data(ClusterSpec, data, where=where)
    return validate(spec, where)


def profile(name: str) -> ClusterSpec:
    """A shipped spec: ``small`` (5 nodes), ``bank`` (about 1,500 nodes) or ``large`` (5,000 nodes)."""
    if name not in PROFILES:
        raise InputError(f"unknown simulator profile {name!r}; choose one of {', '.join(PROFILES)}")
    resource = files("evaluator.simulator") / "profiles" / f"{name}.yaml"
    return parse_spec(resource.read_text(encoding="utf-8"), where=f"profile {name}")
