"""Pure parsing for the kube collector: discovery documents, Prometheus text, control-plane flags, and the
page-by-page tallies (nodes, pods per node, NetworkPolicies, Services, EndpointSlices, webhooks, DaemonSets).

Nothing here talks to a server; every tally keeps counts only, so memory stays flat however long the list.
"""

from __future__ import annotations

import ipaddress
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..dataplane.model import PodRecord, Policy, parse_policy, share_parts
from ..errors import InputError
from ..fileio import safe_load_yaml
from ..inventory import DeprecatedApiUse, Stats

# -- discovery ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One listable resource at its group's preferred version."""

    group: str  # "" for the core group
    version: str
    name: str  # plural, e.g. "networkpolicies"
    namespaced: bool
    kind: str = ""

    @property
    def key(self) -> str:
        """The snapshot key: ``"pods"`` for core, ``"deployments.apps"`` otherwise."""
        return f"{self.name}.{self.group}" if self.group else self.name

    @property
    def path(self) -> str:
        """The cluster-wide list path."""
        if self.group:
            return f"/apis/{self.group}/{self.version}/{self.name}"
        return f"/api/{self.version}/{self.name}"


def resources_from_aggregated(doc: dict[str, Any]) -> tuple[list[Resource], list[str]]:
    """Listable resources of every version of every group in an APIGroupDiscoveryList, the first (most preferred)
    version of each resource winning, as client-go's ``ServerPreferredResources`` and ``kubectl api-resources`` do.

    Versions are "ordered by preference" (apidiscovery v2 APIGroupDiscovery.versions); a resource served only at a
    later version (networking.k8s.io/v1beta1 servicecidrs beside v1 networkpolicies) is kept at that version.
    Returns the resources and the names of groups whose preferred version the server marked ``Stale`` (an
    aggregated API server that did not answer).
    """
    out: list[Resource] = []
    stale: list[str] = []
    for group_doc in doc.get("items") or []:
        group = ((group_doc.get("metadata") or {}).get("name")) or ""
        versions = group_doc.get("versions") or []
        if not versions:
            continue
        if versions[0].get("freshness") == "Stale":
            stale.append(group or "core")
        seen: set[str] = set()
        for version_doc in versions:
            version = version_doc.get("version") or ""
            for res in version_doc.get("resources") or []:
                name = res.get("resource") or ""
                if not name or "/" in name or "list" not in (res.get("verbs") or []) or name in seen:
                    continue
                seen.add(name)
                kind = (res.get("responseKind") or {}).get("kind") or ""
                out.append(Resource(group, version, name, res.get("scope") == "Namespaced", kind))
    return out, stale


def resources_from_legacy(group: str, version: str, doc: dict[str, Any]) -> list[Resource]:
    """Listable resources from one legacy APIResourceList (``/api/v1`` or ``/apis/<g>/<v>``)."""
    out = []
    for res in doc.get("resources") or []:
        name = res.get("name") or ""
        if not name or "/" in name or "list" not in (res.get("verbs") or []):
            continue
        out.append(Resource(group, version, name, bool(res.get("namespaced")), res.get("kind") or ""))
    return out


# Resources a real apiserver serves that are not separate stored collections, or are deprecated and not stored:
# events.k8s.io/v1 events are the core Event storage under a second name (kubernetes pkg/registry/core/event;
# apiserver_storage_objects has one "events" series), componentstatuses are computed on each request and
# deprecated since 1.19.
ALIASES = {"events.events.k8s.io": "events"}
NOT_STORED = frozenset({"componentstatuses"})


def unique_resources(resources: Iterable[Resource]) -> dict[str, Resource]:
    """Key -> resource for counting: the first occurrence of a key wins, aliases of a served resource and
    resources that are not stored are left out."""
    out: dict[str, Resource] = {}
    for r in resources:
        if r.key not in out and r.key not in NOT_STORED:
            out[r.key] = r
    for alias, original in ALIASES.items():
        if original in out:
            out.pop(alias, None)
    return out


def is_aggregated_discovery(doc: dict[str, Any]) -> bool:
    """True when the server answered with an APIGroupDiscoveryList (aggregated discovery, KEP-3352)."""
    return doc.get("kind") == "APIGroupDiscoveryList"


# -- Prometheus text ------------------------------------------------------------------------------------

COUNT_METRICS = ("apiserver_resource_objects", "apiserver_storage_objects", "etcd_object_counts")
# Newest first (technical.md B / limits.md 2.2): 1.28+, 1.26-1.27, 1.19-1.25.
DB_SIZE_METRICS = (
    "apiserver_storage_size_bytes",
    "apiserver_storage_db_total_size_in_bytes",
    "etcd_db_total_size_in_bytes",
)
WANTED_METRICS = frozenset(COUNT_METRICS + DB_SIZE_METRICS)

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    """One Prometheus sample."""

    name: str
    labels: dict[str, str]
    value: float


def parse_metrics(text: str, wanted: frozenset[str] = WANTED_METRICS) -> list[Sample]:
    """Samples of the ``wanted`` metric names from Prometheus text exposition (other lines are skipped cheaply)."""
    out = []
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        cut = line.find("{")
        name = line[:cut] if cut > 0 else line.split(" ", 1)[0]
        if name not in wanted:
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(match.group(2) or "")}
        out.append(Sample(match.group(1), labels, value))
    return out


# apiserver_requested_deprecated_apis is a gauge set to 1 for each deprecated group/version/resource/subresource
# requested since the apiserver started, with the release that removes it in ``removed_release``; its labels join
# apiserver_request_total for the request counts (kubernetes.io deprecation policy).
DEPRECATED_METRICS = frozenset({"apiserver_requested_deprecated_apis", "apiserver_request_total"})


def deprecated_apis_from_metrics(samples: Iterable[Sample]) -> list[DeprecatedApiUse] | None:
    """Deprecated API versions requested, with request counts; None when the samples are not an apiserver's.

    An apiserver always exposes apiserver_request_total; without it the metrics are not the apiserver's (or
    were not read) and nothing can be said. With it and no deprecated gauge at 1, the answer is "none".
    """
    gauges: dict[tuple[str, str, str, str], str | None] = {}
    totals: dict[tuple[str, str, str, str], float] = {}
    seen_requests = False
    for s in samples:
        key = (
            s.labels.get("group", ""),
            s.labels.get("version", ""),
            s.labels.get("resource", ""),
            s.labels.get("subresource", ""),
        )
        if s.name == "apiserver_requested_deprecated_apis":
            if s.value > 0:
                gauges[key] = s.labels.get("removed_release") or None
        elif s.name == "apiserver_request_total":
            seen_requests = True
            totals[key] = totals.get(key, 0.0) + s.value
    if not seen_requests and not gauges:
        return None
    return [
        DeprecatedApiUse(
            group=key[0],
            version=key[1],
            resource=key[2],
            subresource=key[3],
            removed_release=removed,
            requests=int(totals[key]) if key in totals else None,
        )
        for key, removed in sorted(gauges.items())
    ]


def counts_from_metrics(samples: Iterable[Sample]) -> tuple[dict[str, int], dict[str, str]]:
    """Object counts per snapshot key from the newest count metric present; -1 values (fetch failed) dropped.

    Returns ``(counts, metric_by_key)``.
    """
    by_metric: dict[str, dict[str, int]] = {name: {} for name in COUNT_METRICS}
    for s in samples:
        if s.name not in by_metric or s.value < 0 or math.isnan(s.value):
            continue
        resource = s.labels.get("resource", "")
        if not resource:
            continue
        if s.name == "apiserver_resource_objects":
            group = s.labels.get("group", "")
            key = f"{resource}.{group}" if group else resource
        else:
            key = resource  # already "pods" / "deployments.apps"
        # Several apiservers behind one endpoint, or several storage backends: keep the largest.
        by_metric[s.name][key] = max(by_metric[s.name].get(key, 0), int(s.value))
    counts: dict[str, int] = {}
    source: dict[str, str] = {}
    for name in reversed(COUNT_METRICS):  # oldest first so newer metrics overwrite
        for key, value in by_metric[name].items():
            counts[key] = value
            source[key] = name
    return counts, source


def counts_are_computed(counts: dict[str, int]) -> bool:
    """False when the apiserver has not yet counted its objects: every cluster has the default, kube-system and
    kube-public namespaces, so ``namespaces`` 0 means the periodic count (--etcd-count-metric-poll-period, a
    minute) has not run since the apiserver started. A real 1.30 scrape taken then reports 0 nodes and 0 pods
    beside 8 nodes returned by a LIST (elastic/beats metricbeat apiserver _meta/test/metrics.1.30)."""
    return counts.get("namespaces", 1) > 0


@dataclass(frozen=True)
class EtcdSizes:
    """The etcd DB file sizes the apiserver reports: the main store, a separate events store, and how the
    main one was chosen."""

    size: int | None = None
    metric: str | None = None
    basis: str | None = None
    events_size: int | None = None


def _override_urls(overrides: str, resource: str) -> list[str]:
    """URLs of ``resource`` in ``--etcd-servers-overrides`` (``group/resource#url;url,...``; ``/events`` is core)."""
    urls: list[str] = []
    for part in overrides.split(","):
        target, _, servers = part.partition("#")
        if target.strip() == resource:
            urls.extend(u.strip().rstrip("/") for u in servers.split(";") if u.strip())
    return urls


def etcd_sizes_from_metrics(samples: Iterable[Sample], etcd_servers: str = "", overrides: str = "") -> EtcdSizes:
    """The main etcd's DB file size under whichever metric name this version uses, and the events store's.

    Per-endpoint metrics (``etcd_db_total_size_in_bytes``, ``apiserver_storage_db_total_size_in_bytes``) have one
    series per etcd endpoint, main store and ``--etcd-servers-overrides`` stores alike: with the apiserver's
    ``--etcd-servers`` / overrides flags the series are sorted by store; without them the largest series is
    taken and ``basis`` says so. For ``apiserver_storage_size_bytes`` the main etcd is ``storage_cluster_id="etcd-0"``
    (``cluster`` in early 1.28/1.29 patches); ``etcd-1``... are overrides (kubernetes#118812).
    """
    found: dict[str, list[Sample]] = {name: [] for name in DB_SIZE_METRICS}
    for s in samples:
        if s.name in found and s.value >= 0 and not math.isnan(s.value):
            found[s.name].append(s)
    main_urls = {u.strip().rstrip("/") for u in etcd_servers.split(",") if u.strip()}
    event_urls = set(_override_urls(overrides, "/events"))
    for name in DB_SIZE_METRICS:
        series = found[name]
        if not series:
            continue
        if name == "apiserver_storage_size_bytes":
            main = [s for s in series if (s.labels.get("storage_cluster_id") or s.labels.get("cluster")) == "etcd-0"]
            others = [s for s in series if s not in main]
            events = int(max(s.value for s in others)) if others and event_urls and len(others) == 1 else None
            if main:
                return EtcdSizes(int(max(s.value for s in main)), name, 'storage_cluster_id="etcd-0"', events)
            pick = max(series, key=lambda s: s.value)
            return EtcdSizes(int(pick.value), name, f"largest of {len(series)} series (no etcd-0 series)")
        endpoint = {id(s): str(s.labels.get("endpoint", "")).rstrip("/") for s in series}
        main = [s for s in series if endpoint[id(s)] in main_urls]
        events_series = [s for s in series if endpoint[id(s)] in event_urls]
        events = int(max(s.value for s in events_series)) if events_series else None
        if main:
            return EtcdSizes(
                int(max(s.value for s in main)), name, "largest series of the --etcd-servers endpoints", events
            )
        pick = max(series, key=lambda s: s.value)
        if len(series) == 1:
            basis = f"the only series (endpoint={endpoint[id(pick)] or '?'})"
        else:
            basis = (
                f"largest of {len(series)} series (endpoint={endpoint[id(pick)] or '?'}); the apiserver flags were not "
                "read, so a separate events store (--etcd-servers-overrides) cannot be told apart"
            )
        return EtcdSizes(int(pick.value), name, basis, events)
    return EtcdSizes()


def db_size_from_metrics(samples: Iterable[Sample]) -> tuple[int | None, str | None]:
    """``(size, metric)`` of the main etcd as :func:`etcd_sizes_from_metrics` finds it without apiserver flags."""
    sizes = etcd_sizes_from_metrics(samples)
    return sizes.size, sizes.metric


# -- small helpers --------------------------------------------------------------------------------------


def stats(values: list[float] | list[int]) -> Stats:
    """max / mean / p95 (nearest rank) / min of ``values``; all None when empty."""
    if not values:
        return Stats()
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    mean = sum(ordered) / len(ordered)
    return Stats(max=ordered[-1], mean=round(mean, 2), p95=ordered[rank - 1], min=ordered[0])


def quantity_int(value: Any) -> int | None:
    """A plain integer quantity ("110", 110) or None."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def parse_flags(argv: Iterable[str]) -> dict[str, str]:
    """``["kube-apiserver", "--a=b", "--c", "d", "--e"]`` -> ``{"a": "b", "c": "d", "e": "true"}``."""
    flags: dict[str, str] = {}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("--"):
            continue
        name, eq, value = arg[2:].partition("=")
        if not eq:
            if i < len(args) and not args[i].startswith("-"):
                value = args[i]
                i += 1
            else:
                value = "true"
        flags[name] = value
    return flags


def parse_feature_gates(value: str) -> dict[str, bool]:
    """``"A=true,B=false"`` -> ``{"A": True, "B": False}``."""
    gates = {}
    for part in value.split(","):
        name, _, setting = part.strip().partition("=")
        if name:
            gates[name] = setting.strip().lower() in ("true", "1", "")
    return gates


def image_tag(image: str) -> str | None:
    """``"quay.io/cilium/cilium:v1.15.1@sha256:..."`` -> ``"1.15.1"``; None without a tag."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    return tag[1:] if tag[:1] == "v" and tag[1:2].isdigit() else tag


def summarise_cidrs(cidrs: Iterable[str], max_ranges: int = 8) -> list[str]:
    """Merge per-node pod CIDRs into as few ranges as they allow; past ``max_ranges`` per IP family,
    the smallest range that covers them all."""
    by_family: dict[int, list[Any]] = {4: [], 6: []}
    for text in cidrs:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        by_family[net.version].append(net)
    out: list[str] = []
    for version in (4, 6):
        nets = list(ipaddress.collapse_addresses(by_family[version]))  # type: ignore[type-var]
        if len(nets) > max_ranges:
            lo = min(int(n.network_address) for n in nets)
            hi = max(int(n.broadcast_address) for n in nets)
            bits = 32 if version == 4 else 128
            prefix = bits - (lo ^ hi).bit_length()
            nets = [ipaddress.ip_network((lo >> (bits - prefix) << (bits - prefix), prefix))]
        out.extend(str(n) for n in nets)
    return out


def ip_family(cidrs: Iterable[str]) -> str | None:
    """ "ipv4", "ipv6" or "dual" from a set of CIDRs; None when there are none."""
    versions = set()
    for text in cidrs:
        try:
            versions.add(ipaddress.ip_network(text, strict=False).version)
        except ValueError:
            continue
    if versions == {4}:
        return "ipv4"
    if versions == {6}:
        return "ipv6"
    return "dual" if versions else None


def _items(page: dict[str, Any]) -> list[dict[str, Any]]:
    items = page.get("items")
    return items if isinstance(items, list) else []


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


# -- tallies (each has add(page); the reader's walk() creates a fresh one on a restart) -------------------

POOL_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
    "kubernetes.azure.com/agentpool",
    "node-pool",
    "nodepool",
    "pool",
)
GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915", "gpu.intel.com/xe")
CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
NO_POOL = "(none)"


@dataclass
class NodeTally:
    """Nodes by pool, type, zone, OS, arch, kubelet and runtime; allocatable pods; control-plane and GPU nodes."""

    names: list[str] = field(default_factory=list)
    control_plane: int = 0
    gpu: int = 0
    allocatable: list[int] = field(default_factory=list)
    by_pool: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    by_zone: Counter[str] = field(default_factory=Counter)
    by_pool_zone: Counter[str] = field(default_factory=Counter)
    by_region: Counter[str] = field(default_factory=Counter)
    by_os: Counter[str] = field(default_factory=Counter)
    by_arch: Counter[str] = field(default_factory=Counter)
    by_kubelet: Counter[str] = field(default_factory=Counter)
    by_runtime: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)  # "aws", "gce", "azure", ... from providerID
    autopilot_names: int = 0  # GKE Autopilot node names start with "gk3-"
    eks_labels: int = 0
    gke_labels: int = 0
    aks_labels: int = 0
    pod_cidrs: set[str] = field(default_factory=set)
    internal_ips: dict[str, str] = field(default_factory=dict)  # node -> InternalIP (hostNetwork pods share it)
    os_of: dict[str, str] = field(default_factory=dict)
    fargate: set[str] = field(default_factory=set)  # EKS Fargate nodes (eks.amazonaws.com/compute-type)

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of Node objects."""
        for node in _items(page):
            meta = _meta(node)
            labels = meta.get("labels") or {}
            spec = node.get("spec") or {}
            status = node.get("status") or {}
            info = status.get("nodeInfo") or {}
            name = meta.get("name") or ""
            self.names.append(name)
            control_plane = any(label in labels for label in CONTROL_PLANE_LABELS)
            self.control_plane += control_plane
            pool = next((labels[k] for k in POOL_LABELS if labels.get(k)), None)
            if pool or not control_plane:  # unlabelled control-plane nodes are counted in control_plane only
                self.by_pool[pool or NO_POOL] += 1
            itype = labels.get("node.kubernetes.io/instance-type") or labels.get("beta.kubernetes.io/instance-type")
            if itype:
                self.by_type[itype] += 1
            zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone")
            if zone:
                self.by_zone[zone] += 1
                if pool:
                    self.by_pool_zone[f"{pool}/{zone}"] += 1
            region = labels.get("topology.kubernetes.io/region") or labels.get(
                "failure-domain.beta.kubernetes.io/region"
            )
            if region:
                self.by_region[region] += 1
            os_name = labels.get("kubernetes.io/os") or info.get("operatingSystem")
            if os_name:
                self.by_os[os_name] += 1
            arch = labels.get("kubernetes.io/arch") or info.get("architecture")
            if arch:
                self.by_arch[arch] += 1
            if info.get("kubeletVersion"):
                self.by_kubelet[str(info["kubeletVersion"]).lstrip("v")] += 1
            if info.get("containerRuntimeVersion"):
                self.by_runtime[info["containerRuntimeVersion"]] += 1
            pods = quantity_int((status.get("allocatable") or {}).get("pods"))
            if pods is not None:
                self.allocatable.append(pods)
            capacity = status.get("capacity") or {}
            if any((quantity_int(capacity.get(r)) or 0) > 0 for r in GPU_RESOURCES):
                self.gpu += 1
            provider = str(spec.get("providerID") or "").split(":", 1)[0]
            if provider:
                self.providers[provider] += 1
            if name.startswith("gk3-"):
                self.autopilot_names += 1
            self.eks_labels += "eks.amazonaws.com/nodegroup" in labels or "eks.amazonaws.com/compute-type" in labels
            self.gke_labels += "cloud.google.com/gke-nodepool" in labels
            self.aks_labels += "kubernetes.azure.com/cluster" in labels
            for cidr in spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []):
                self.pod_cidrs.add(cidr)
            for address in status.get("addresses") or []:
                if address.get("type") == "InternalIP" and name not in self.internal_ips:
                    self.internal_ips[name] = str(address.get("address") or "")
            if os_name:
                self.os_of[name] = os_name
            if labels.get("eks.amazonaws.com/compute-type") == "fargate":
                self.fargate.add(name)


# A pod Table row is finished exactly when it carries the Completed condition: kubernetes
# pkg/printers/internalversion/printers.go printPod sets row.Conditions = [{Type: Completed, Status: True,
# Reason: Succeeded|Failed}] for those phases and no condition otherwise. The Status text is no guide: Failed
# pods print "ExitCode:1", "Signal:9", "Init:Error", "OutOfcpu"...; Running pods between restarts print the
# last termination reason ("OOMKilled", "Error", "Completed").
# Status texts that only a live pod prints; a server that sends no row conditions and prints anything else
# needs a second list filtered by status.phase to tell finished pods apart.
LIVE_POD_STATUS = frozenset(
    {"Running", "Pending", "ContainerCreating", "PodInitializing", "Terminating", "NotReady", "SchedulingGated",
     "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"}
)  # fmt: skip
LIVE_PHASE_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"
NO_NODE = ("", "<none>", "None")


def _row_completed(row: dict[str, Any]) -> bool:
    return any(
        isinstance(c, dict) and c.get("type") == "Completed" and c.get("status") == "True"
        for c in row.get("conditions") or []
    )


def _plainly_live(status: str) -> bool:
    if status in LIVE_POD_STATUS:
        return True
    head, _, progress = status.partition(":")  # "Init:0/2": init containers still running
    return head == "Init" and "/" in progress and progress.split("/", 1)[0].isdigit()


@dataclass
class PodTally:
    """Pods per node from server-side Table rows (Name/Status/Node columns), or from plain pods as a fallback.

    Counts pods that are not finished (no Completed row condition, phase not Succeeded/Failed) and are bound to
    a node. ``needs_phase_selector`` says the rows carried no conditions and some Status could belong to a
    finished pod: the caller then lists again with ``fieldSelector=status.phase!=Succeeded,...``.
    """

    total: int = 0
    terminal: int = 0
    unscheduled: int = 0
    containers: int | None = 0  # containers of live pods (Table: the Ready column "ready/total")
    per_node: Counter[str] = field(default_factory=Counter)
    format: str = ""  # "table" or "objects"
    status_column: bool = True
    node_column: bool = True
    conditions_seen: bool = False  # some row carried the Completed condition
    unclear: int = 0  # rows without a condition whose Status a finished pod could print
    # Pods for the NetworkPolicy analysis, from Table rows requested with includeObject=Metadata (None: off).
    records: list[PodRecord] | None = None
    ip_column: bool = True
    _labels: dict[tuple[tuple[str, str], ...], dict[str, str]] = field(default_factory=dict, repr=False)
    _strings: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def needs_phase_selector(self) -> bool:
        """True when terminal pods could not be told apart from the rows alone."""
        return self.format == "table" and not self.conditions_seen and self.unclear > 0

    def add(self, page: dict[str, Any]) -> None:
        """Add one page (a Table or a PodList)."""
        if page.get("kind") == "Table" or "rows" in page:
            self.format = "table"
            columns = [str(c.get("name", "")).lower() for c in page.get("columnDefinitions") or []]
            node_at = columns.index("node") if "node" in columns else None
            status_at = columns.index("status") if "status" in columns else None
            ready_at = columns.index("ready") if "ready" in columns else None
            ip_at = columns.index("ip") if "ip" in columns else None
            self.status_column = status_at is not None
            self.node_column = node_at is not None
            self.ip_column = ip_at is not None
            for row in page.get("rows") or []:
                cells = row.get("cells") or []
                self.total += 1
                if _row_completed(row):
                    self.conditions_seen = True
                    self.terminal += 1
                    continue
                status = str(cells[status_at]) if status_at is not None and status_at < len(cells) else ""
                if not _plainly_live(status):
                    self.unclear += 1
                ready = str(cells[ready_at]) if ready_at is not None and ready_at < len(cells) else ""
                _, slash, of = ready.partition("/")
                if self.containers is not None and slash and of.isdigit():
                    self.containers += int(of)
                else:  # the printer's Ready column is "ready/total"; anything else means no count
                    self.containers = None
                node = str(cells[node_at]) if node_at is not None and node_at < len(cells) else ""
                if node in NO_NODE:
                    self.unscheduled += 1
                    continue
                self.per_node[node] += 1
                if self.records is not None:
                    ip = str(cells[ip_at]) if ip_at is not None and ip_at < len(cells) else ""
                    self._record(row.get("object") or {}, node, ip)
            return
        self.format = "objects"
        for pod in _items(page):
            self.total += 1
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed"):
                self.terminal += 1
                continue
            if self.containers is not None:
                self.containers += len((pod.get("spec") or {}).get("containers") or [])
            node = (pod.get("spec") or {}).get("nodeName") or ""
            if not node:
                self.unscheduled += 1
                continue
            self.per_node[node] += 1

    def _record(self, obj: dict[str, Any], node: str, ip: str) -> None:
        meta = _meta(obj)
        if not meta:
            return
        self.records.append(  # type: ignore[union-attr]
            pod_record(meta, node=node, ip=ip, labels_cache=self._labels, strings=self._strings)
        )

    def release_caches(self) -> None:
        """Forget the label-set and string caches once the list is done: the records keep what they share, and
        the caches' keys (a tuple per distinct label set) are ~10 MiB on 150,000 pods."""
        self._labels = {}
        self._strings = {}


def pod_record(
    meta: dict[str, Any],
    *,
    node: str,
    ip: str,
    host_network: bool = False,
    named_ports: dict[tuple[str, str], int] | None = None,
    labels_cache: dict[tuple[tuple[str, str], ...], dict[str, str]] | None = None,
    strings: dict[str, str] | None = None,
) -> PodRecord:
    """A pod for the NetworkPolicy analysis from its metadata and the Table's Node and IP cells; equal label sets
    share one dict (a Deployment's replicas), and with ``strings`` equal label keys and values share one string
    across label sets (an ``app`` value repeats in every ReplicaSet's set)."""
    raw = meta.get("labels") or {}
    labels = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    if labels_cache is not None:
        key = tuple(sorted(labels.items()))
        found = labels_cache.get(key)
        if found is None:
            if strings is not None:
                labels = {strings.setdefault(k, k): strings.setdefault(v, v) for k, v in labels.items()}
                key = tuple(sorted(labels.items()))  # the cache key holds the shared strings too
            found = labels_cache[key] = labels
        labels = found
    owners = [o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)]
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    # Namespace, node and owner repeat across pods: one string each (sys.intern), not one per pod.
    return PodRecord(
        namespace=sys.intern(str(meta.get("namespace") or "")),
        name=str(meta.get("name") or ""),
        labels=labels,
        node=sys.intern(node),
        ip=ip if ip and ip not in NO_NODE else None,
        owner=sys.intern(f"{owner.get('kind')}/{owner.get('name')}") if owner else None,
        host_network=host_network,
        named_ports=named_ports,
    )


def pod_record_from_object(pod: dict[str, Any]) -> PodRecord | None:
    """A non-terminal Pod object (full spec) as an analysis record, container ports resolved; None if finished."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return None
    spec = pod.get("spec") or {}
    ports: dict[tuple[str, str], int] = {}
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name"):
                ports.setdefault((str(p["name"]), str(p.get("protocol") or "TCP")), int(p["containerPort"]))
    return pod_record(
        _meta(pod),
        node=str(spec.get("nodeName") or ""),
        ip=str(status.get("podIP") or ""),
        host_network=bool(spec.get("hostNetwork")),
        named_ports=ports,
    )


@dataclass
class NamespaceTally:
    """Namespace labels (for namespaceSelector), from a PartialObjectMetadataList."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of Namespace metadata."""
        for ns in _items(page):
            meta = _meta(ns)
            raw = meta.get("labels") or {}
            self.labels[str(meta.get("name") or "")] = {str(k): str(v) for k, v in raw.items()}


@dataclass
class PolicyTally:
    """NetworkPolicy totals: per namespace, rules, peers, ports, ipBlocks, the most ports in one rule."""

    count: int = 0
    per_namespace: Counter[str] = field(default_factory=Counter)
    ingress_rules: int = 0
    egress_rules: int = 0
    peers: int = 0
    ports: int = 0
    ip_blocks: int = 0
    max_ports_per_rule: int = 0
    specs: list[Policy] = field(default_factory=list)  # parsed for the dataplane analysis
    unparsed: list[str] = field(default_factory=list)  # the first few policies the analysis could not read
    unparsed_count: int = 0
    _parts: dict[Any, Any] = field(default_factory=dict, repr=False)  # equal selectors and rules, shared

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of NetworkPolicy objects."""
        for pol in _items(page):
            try:
                where = f"{_meta(pol).get('namespace')}/{_meta(pol).get('name')}"
                self.specs.append(share_parts(parse_policy(pol, where), self._parts))
            except InputError as exc:
                self.unparsed_count += 1
                if len(self.unparsed) < 5:
                    self.unparsed.append(exc.message)
            self.count += 1
            self.per_namespace[_meta(pol).get("namespace") or ""] += 1
            spec = pol.get("spec") or {}
            for direction, peer_key in (("ingress", "from"), ("egress", "to")):
                rules = spec.get(direction) or []
                if direction == "ingress":
                    self.ingress_rules += len(rules)
                else:
                    self.egress_rules += len(rules)
                for rule in rules:
                    rule = rule or {}
                    peers = rule.get(peer_key) or []
                    self.peers += len(peers)
                    self.ip_blocks += sum(1 for p in peers if (p or {}).get("ipBlock"))
                    ports = rule.get("ports") or []
                    self.ports += len(ports)
                    unique = {
                        ((p or {}).get("protocol") or "TCP", str((p or {}).get("port")), (p or {}).get("endPort"))
                        for p in ports
                    }
                    self.max_ports_per_rule = max(self.max_ports_per_rule, len(unique))

    def release_caches(self) -> None:
        """Forget the table of shared parts once the list is done (the policies keep the parts)."""
        self._parts = {}


@dataclass
class ServiceTally:
    """Services by type and the busiest namespace."""

    count: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    per_namespace: Counter[str] = field(default_factory=Counter)

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of Service objects."""
        for svc in _items(page):
            self.count += 1
            self.by_type[(svc.get("spec") or {}).get("type") or "ClusterIP"] += 1
            self.per_namespace[_meta(svc).get("namespace") or ""] += 1


SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass
class SliceTally:
    """Endpoints per Service, summed over its EndpointSlices (grouped by the kubernetes.io/service-name label)."""

    slices: int = 0
    endpoints: int = 0
    per_service: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of EndpointSlice objects."""
        for es in _items(page):
            self.slices += 1
            meta = _meta(es)
            n = len(es.get("endpoints") or [])
            self.endpoints += n
            service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
            if service:
                self.per_service[(meta.get("namespace") or "", service)] += n


@dataclass
class WebhookTally:
    """Admission webhooks in mutating or validating configurations."""

    configurations: int = 0
    webhooks: int = 0
    max_timeout: int | None = None
    fail_closed: int = 0

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of (Mutating|Validating)WebhookConfiguration objects."""
        for cfg in _items(page):
            self.configurations += 1
            for hook in cfg.get("webhooks") or []:
                self.webhooks += 1
                # admissionregistration/v1 defaults: timeoutSeconds 10, failurePolicy Fail.
                timeout = hook.get("timeoutSeconds")
                timeout = timeout if isinstance(timeout, int) else 10
                self.max_timeout = timeout if self.max_timeout is None else max(self.max_timeout, timeout)
                if (hook.get("failurePolicy") or "Fail") == "Fail":
                    self.fail_closed += 1


@dataclass(frozen=True)
class DaemonSetInfo:
    """What the collector keeps of a DaemonSet: where it runs and its container images."""

    namespace: str
    name: str
    images: tuple[str, ...]


@dataclass
class DaemonSetTally:
    """DaemonSet names and images (a cluster has at most a few hundred)."""

    found: list[DaemonSetInfo] = field(default_factory=list)

    def add(self, page: dict[str, Any]) -> None:
        """Add one page of DaemonSet objects."""
        for ds in _items(page):
            meta = _meta(ds)
            pod_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
            images = tuple(str(c.get("image") or "") for c in pod_spec.get("containers") or [])
            self.found.append(DaemonSetInfo(meta.get("namespace") or "", meta.get("name") or "", images))


# CNI DaemonSets by name, in order of precedence (a chained or policy-only CNI sits beside another one).
CNI_DAEMONSETS: tuple[tuple[str, str, str], ...] = (
    # (cni, DaemonSet name, container whose image carries the version)
    ("gke-dataplane-v2", "anetd", "cilium"),
    ("cilium", "cilium", "cilium"),
    ("antrea", "antrea-agent", "antrea"),
    ("calico", "calico-node", "node"),
    ("canal", "canal", "calico"),
    ("weave", "weave-net", "weave"),
    ("flannel", "kube-flannel-ds", "flannel"),
    ("flannel", "kube-flannel", "flannel"),
    ("kube-router", "kube-router", "kube-router"),
    ("ovn-kubernetes", "ovnkube-node", "ovn"),
    ("aws-vpc-cni", "aws-node", "amazon-k8s-cni"),
    ("azure-cni", "azure-cni", "azure"),
    # AKS Azure CNI (dynamic IP allocation and overlay) runs the Container Networking Service as azure-cns
    # (Azure/azure-container-networking cns/azure-cns.yaml).
    ("azure-cni", "azure-cns", "azure-cns"),
    # kind's default CNI (kubernetes-sigs/kind pkg/build/nodeimage/const_cni.go).
    ("kindnet", "kindnet", "kindnetd"),
)
CNI_NAMESPACES = ("kube-system", "calico-system", "kube-flannel", "cilium", "antrea-system", "tigera-operator")


def detect_cni(daemonsets: list[DaemonSetInfo]) -> tuple[str | None, str | None]:
    """The CNI and its version (from the image tag) from the DaemonSets in the usual system namespaces."""
    by_name = {ds.name: ds for ds in daemonsets if ds.namespace in CNI_NAMESPACES}
    present = [(cni, by_name[name], hint) for cni, name, hint in CNI_DAEMONSETS if name in by_name]
    if not present:
        return None, None
    names = {cni for cni, _, _ in present}
    # Calico in policy-only mode beside the VPC CNI: the VPC CNI moves the packets (EKS docs "Calico add-on").
    pick = present[0]
    if "aws-vpc-cni" in names and names <= {"aws-vpc-cni", "calico"}:
        pick = next(p for p in present if p[0] == "aws-vpc-cni")
    cni, ds, hint = pick
    image = next((i for i in ds.images if hint in i.rsplit("/", 1)[-1]), ds.images[0] if ds.images else "")
    return cni, image_tag(image) if image else None


# Components that run inside a CNI DaemonSet beside the CNI: (DaemonSet, image name, component). The VPC CNI's
# NetworkPolicy enforcement is the aws-eks-nodeagent container of aws-node (amazon-vpc-cni-k8s
# config/master/aws-k8s-cni.yaml), present from VPC CNI 1.14.
CNI_ADDON_IMAGES: tuple[tuple[str, str, str], ...] = (
    ("aws-node", "aws-network-policy-agent", "aws-network-policy-agent"),
)


def cni_addons(daemonsets: list[DaemonSetInfo]) -> dict[str, str]:
    """Component -> version (image tag) of the known components running inside the CNI DaemonSets."""
    out: dict[str, str] = {}
    for ds in daemonsets:
        if ds.namespace not in CNI_NAMESPACES:
            continue
        for ds_name, image_name, component in CNI_ADDON_IMAGES:
            if ds.name != ds_name:
                continue
            for image in ds.images:
                if image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0] == image_name:
                    out[component] = image_tag(image) or ""
    return out


def plain_version(version: str | None) -> str | None:
    """One format for component versions: ``"v1.18.1-eksbuild.1"`` and ``"1.18.1-eksbuild.1"`` both give the
    latter (EKS addon versions carry the v, image tags are read without it)."""
    if not version:
        return None
    return version[1:] if version[:1] == "v" and version[1:2].isdigit() else version


CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler")


def component_of(pod: dict[str, Any]) -> str | None:
    """Which control-plane component a kube-system Pod is: its ``component`` label, else its name prefix."""
    meta = _meta(pod)
    label = (meta.get("labels") or {}).get("component")
    if label in CONTROL_PLANE_COMPONENTS:
        return label
    name = meta.get("name") or ""
    for comp in CONTROL_PLANE_COMPONENTS:
        if name == comp or name.startswith(comp + "-"):
            return comp
    return None


def pod_argv(pod: dict[str, Any], component: str) -> list[str]:
    """command + args of the container running ``component`` (the first container when none matches)."""
    containers = ((pod.get("spec") or {}).get("containers")) or []
    if not containers:
        return []
    chosen = next((c for c in containers if c.get("name") == component), containers[0])
    return [str(a) for a in (chosen.get("command") or [])] + [str(a) for a in (chosen.get("args") or [])]


def kube_proxy_mode(config_text: str) -> str | None:
    """The ``mode`` of a KubeProxyConfiguration document; an empty mode is the Linux default, iptables
    (kube-proxy ``--proxy-mode`` docs). None when the text is not such a document."""
    try:
        data = safe_load_yaml(config_text)
    except (yaml.YAMLError, ValueError, RecursionError):  # bad YAML, an alias bomb, deep nesting
        return None
    if not isinstance(data, dict) or ("mode" not in data and data.get("kind") != "KubeProxyConfiguration"):
        return None
    return str(data.get("mode") or "") or "iptables"
