"""The synthetic cluster: a lazy, seeded model of every object the simulator serves.

Object ``i`` of a collection is a pure function of (spec, seed, i). Only small per-node and per-namespace
tables are held in memory (a few ints per node and namespace); object dicts are built when a page asks
for them. Items sort by namespace then name, as etcd keys do, so a list offset is a stable cursor.
"""

from __future__ import annotations

import base64
import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypedDict

from .names import epoch_rfc3339, hash_suffix, hex_id, make_uid, mix, ordered_suffix, parse_time, suffix, tag, unit
from .spec import (
    SYSTEM_NAMESPACES,
    ClusterSpec,
    NodePool,
    cni_crd_names,
    daemonset_names,
    fixed_configmaps,
)

WRITE_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    """One API resource as discovery describes it."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = WRITE_VERBS

    @property
    def key(self) -> str:
        """``pods`` or ``deployments.apps``: the resource[.group] name used in counts and metrics."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        """The singular name discovery reports (the lower-cased kind)."""
        return self.kind.lower()


class Collection:
    """All objects of one resource, addressable by a global index in (namespace, name) order."""

    def __init__(
        self,
        resource: Resource,
        counts: list[int],
        name_of: Callable[[int, int], str],
        build: Callable[[int, int], dict[str, Any]],
    ) -> None:
        self.resource = resource
        self.counts = counts  # per namespace (namespaced) or a single entry (cluster scope)
        self.starts = [0, *accumulate(counts)][:-1] if counts else []
        self.count = sum(counts)
        self._name_of = name_of
        self._build = build
        self.stored = True  # False for an aggregated API's resources (metrics.k8s.io): not in etcd, not counted

    def locate(self, index: int) -> tuple[int, int]:
        """Global index -> (namespace index, index within the namespace)."""
        ns = bisect_right(self.starts, index) - 1
        return ns, index - self.starts[ns]

    def span(self, ns: int | None) -> tuple[int, int]:
        """The global index range [start, end) of namespace ``ns`` (or of everything when ``None``)."""
        if ns is None or not self.resource.namespaced:
            return 0, self.count
        return self.starts[ns], self.starts[ns] + self.counts[ns]

    def name(self, index: int) -> str:
        """The name of item ``index``."""
        return self._name_of(*self.locate(index))

    def item(self, index: int) -> dict[str, Any]:
        """The full object ``index`` (without kind/apiVersion, as list items are served)."""
        return self._build(*self.locate(index))

    def find(self, ns: int | None, name: str) -> int | None:
        """The global index of ``name`` in namespace ``ns``, or None (binary search over sorted names)."""
        lo, hi = self.span(ns)
        while lo < hi:
            mid = (lo + hi) // 2
            current = self.name(mid)
            if current == name:
                return mid
            if current < name:
                lo = mid + 1
            else:
                hi = mid
        return None


@dataclass(frozen=True)
class NodeInfo:
    """What the model keeps per node (everything else is derived when the Node is built)."""

    name: str
    number: int  # position in generation order (drives IPs and ids)
    pool: NodePool | None  # None for control-plane nodes
    control_plane: bool
    zone: str
    instance_type: str
    max_pods: int
    kubelet_version: str


@dataclass(frozen=True)
class SystemPod:
    """A kube-system pod placed on a known node: static, DaemonSet, or a system Deployment's replica."""

    name: str
    kind: str  # "static" | "daemonset" | "deployment"
    owner: str  # component for static pods, DaemonSet name, or Deployment name
    node: int  # node index


def spread(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` over ``weights`` exactly (largest remainder)."""
    if not weights:
        return []
    wsum = sum(weights) or 1.0
    raw = [total * w / wsum for w in weights]
    counts = [int(r) for r in raw]
    left = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda k: (counts[k] - raw[k], k))
    for k in order[:left]:
        counts[k] += 1
    return counts


class PlatformDefaults(TypedDict):
    """Per-platform defaults for nodes the spec does not describe: instance type, zones and region."""

    type: str
    zones: list[str]
    region: str


_PLATFORM_DEFAULTS: dict[str, PlatformDefaults] = {
    "self-hosted": {"type": "vm-16c-64g", "zones": ["dc1-a", "dc1-b", "dc1-c"], "region": "dc1"},
    "eks": {"type": "m5.2xlarge", "zones": ["eu-west-2a", "eu-west-2b", "eu-west-2c"], "region": "eu-west-2"},
    "gke": {
        "type": "e2-standard-8",
        "zones": ["europe-west2-a", "europe-west2-b", "europe-west2-c"],
        "region": "europe-west2",
    },
}

POOL_LABELS = {"eks": "eks.amazonaws.com/nodegroup", "gke": "cloud.google.com/gke-nodepool", "self-hosted": "node-pool"}

_CRD_FILLER = [
    "certificaterequests.cert-manager.io",
    "certificates.cert-manager.io",
    "challenges.acme.cert-manager.io",
    "clusterissuers.cert-manager.io",
    "issuers.cert-manager.io",
    "orders.acme.cert-manager.io",
    "alertmanagerconfigs.monitoring.coreos.com",
    "alertmanagers.monitoring.coreos.com",
    "podmonitors.monitoring.coreos.com",
    "probes.monitoring.coreos.com",
    "prometheuses.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
    "servicemonitors.monitoring.coreos.com",
    "thanosrulers.monitoring.coreos.com",
    "applications.argoproj.io",
    "applicationsets.argoproj.io",
    "appprojects.argoproj.io",
    "volumesnapshotclasses.snapshot.storage.k8s.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
    "volumesnapshots.snapshot.storage.k8s.io",
    "externalsecrets.external-secrets.io",
    "secretstores.external-secrets.io",
    "clustersecretstores.external-secrets.io",
    "constrainttemplates.templates.gatekeeper.sh",
    "configs.config.gatekeeper.sh",
    "scaledobjects.keda.sh",
    "scaledjobs.keda.sh",
    "triggerauthentications.keda.sh",
    "virtualservices.networking.istio.io",
    "destinationrules.networking.istio.io",
    "gateways.networking.istio.io",
    "serviceentries.networking.istio.io",
    "sidecars.networking.istio.io",
    "peerauthentications.security.istio.io",
    "authorizationpolicies.security.istio.io",
    "kafkas.kafka.strimzi.io",
    "kafkatopics.kafka.strimzi.io",
    "kafkausers.kafka.strimzi.io",
    "postgresqls.acid.zalan.do",
    "backups.velero.io",
    "restores.velero.io",
    "schedules.velero.io",
    "backupstoragelocations.velero.io",
    "volumesnapshotlocations.velero.io",
]

_CNI_POLICY_KINDS = {
    "networkpolicies.crd.projectcalico.org": ("NetworkPolicy", True),
    "globalnetworkpolicies.crd.projectcalico.org": ("GlobalNetworkPolicy", False),
    "ciliumnetworkpolicies.cilium.io": ("CiliumNetworkPolicy", True),
    "ciliumclusterwidenetworkpolicies.cilium.io": ("CiliumClusterwideNetworkPolicy", False),
}
IDENTITIES_CRD = "ciliumidentities.cilium.io"
_CLUSTER_SCOPED_CRDS = {
    "clusterissuers",
    "volumesnapshotclasses",
    "volumesnapshotcontents",
    "clustersecretstores",
    "constrainttemplates",
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
    "ciliumclusterwidenetworkpolicies",
    "ciliumcidrgroups",
    "ciliumexternalworkloads",
    "ciliumidentities",
    "ciliuml2announcementpolicies",
    "ciliumloadbalancerippools",
    "ciliumnodes",
    "ciliumpodippools",
    "globalnetworkpolicies",
    "eniconfigs",
}


# The Kind of each CRD plural the simulator installs; any other plural gets its capitalised singular.
_CRD_KINDS = {
    "networkpolicies": "NetworkPolicy",
    "globalnetworkpolicies": "GlobalNetworkPolicy",
    "ciliumnetworkpolicies": "CiliumNetworkPolicy",
    "ciliumclusterwidenetworkpolicies": "CiliumClusterwideNetworkPolicy",
    "ipamblocks": "IPAMBlock",
    "ipamconfigs": "IPAMConfig",
    "ipamhandles": "IPAMHandle",
    "ippools": "IPPool",
    "bgpconfigurations": "BGPConfiguration",
    "bgppeers": "BGPPeer",
    "bgpfilters": "BGPFilter",
    "eniconfigs": "ENIConfig",
    "ciliumcidrgroups": "CiliumCIDRGroup",
    "ciliuml2announcementpolicies": "CiliumL2AnnouncementPolicy",
    "ciliumloadbalancerippools": "CiliumLoadBalancerIPPool",
    "ciliumpodippools": "CiliumPodIPPool",
    "certificaterequests": "CertificateRequest", "clusterissuers": "ClusterIssuer",
    "alertmanagerconfigs": "AlertmanagerConfig", "podmonitors": "PodMonitor", "prometheusrules": "PrometheusRule",
    "prometheuses": "Prometheus", "servicemonitors": "ServiceMonitor", "thanosrulers": "ThanosRuler",
    "applicationsets": "ApplicationSet", "appprojects": "AppProject",
    "volumesnapshotclasses": "VolumeSnapshotClass", "volumesnapshotcontents": "VolumeSnapshotContent",
    "volumesnapshots": "VolumeSnapshot", "externalsecrets": "ExternalSecret", "secretstores": "SecretStore",
    "clustersecretstores": "ClusterSecretStore", "constrainttemplates": "ConstraintTemplate",
    "scaledobjects": "ScaledObject", "scaledjobs": "ScaledJob", "triggerauthentications": "TriggerAuthentication",
    "virtualservices": "VirtualService", "destinationrules": "DestinationRule", "serviceentries": "ServiceEntry",
    "peerauthentications": "PeerAuthentication", "authorizationpolicies": "AuthorizationPolicy",
    "kafkatopics": "KafkaTopic", "kafkausers": "KafkaUser", "backupstoragelocations": "BackupStorageLocation",
    "volumesnapshotlocations": "VolumeSnapshotLocation", "felixconfigurations": "FelixConfiguration",
    "globalnetworksets": "GlobalNetworkSet", "hostendpoints": "HostEndpoint", "networksets": "NetworkSet",
    "blockaffinities": "BlockAffinity", "caliconodestatuses": "CalicoNodeStatus",
    "clusterinformations": "ClusterInformation", "ipreservations": "IPReservation",
    "kubecontrollersconfigurations": "KubeControllersConfiguration", "ciliumendpoints": "CiliumEndpoint",
    "ciliumexternalworkloads": "CiliumExternalWorkload", "ciliumidentities": "CiliumIdentity",
    "ciliumnodeconfigs": "CiliumNodeConfig", "ciliumnodes": "CiliumNode", "policyendpoints": "PolicyEndpoint",
    "postgresqls": "Postgresql",
}  # fmt: skip


def _kind_of(plural: str) -> str:
    if plural in _CRD_KINDS:
        return _CRD_KINDS[plural]
    stem = plural[:-3] + "y" if plural.endswith("ies") else plural[:-1] if plural.endswith("s") else plural
    return stem[:1].upper() + stem[1:]


# The served version of each CRD group the simulator installs; any other group serves v1.
# prometheus-operator serves AlertmanagerConfig at v1alpha1 while the rest of monitoring.coreos.com is v1
# (prometheus-operator example/prometheus-operator-crd/monitoring.coreos.com_alertmanagerconfigs.yaml).
_CRD_OWN_VERSIONS = {"alertmanagerconfigs.monitoring.coreos.com": "v1alpha1"}
_CRD_VERSIONS = {
    "cilium.io": "v2",
    "monitoring.coreos.com": "v1",
    "argoproj.io": "v1alpha1",
    "cert-manager.io": "v1",
    "acme.cert-manager.io": "v1",
    "external-secrets.io": "v1beta1",
    "keda.sh": "v1alpha1",
    "networking.istio.io": "v1beta1",
    "security.istio.io": "v1beta1",
    "kafka.strimzi.io": "v1beta2",
    "velero.io": "v1",
    "snapshot.storage.k8s.io": "v1",
    "templates.gatekeeper.sh": "v1",
    "config.gatekeeper.sh": "v1alpha1",
    "acid.zalan.do": "v1",
    "networking.k8s.aws": "v1alpha1",
}


def _ip(number: int) -> str:
    return ".".join(str((number >> shift) & 255) for shift in (24, 16, 8, 0))


_IP10 = 10 << 24


class ClusterModel:
    """The layout of one synthetic cluster built from a resolved :class:`ClusterSpec`: nodes, namespaces,
    how many objects of each kind sit where, and the helpers the object builders use. The served
    :class:`~evaluator.simulator.served.Cluster` adds one collection per resource."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self.seed = spec.seed
        self.minor = spec.minor
        self.resource_version = 1_000_000 + mix(spec.seed, 1) % 9_000_000
        self.defaults = _PLATFORM_DEFAULTS[spec.platform]
        self.pool_label = POOL_LABELS[spec.platform]
        self.git_version = self._git_version(spec.version)
        self._created_epoch = parse_time(spec.created).timestamp()
        self._build_nodes()
        self._build_namespaces()
        self._build_pods()
        self._build_object_layout()

    # ------------------------------------------------------------------ layout

    def _git_version(self, version: str) -> str:
        plain = "v" + version.lstrip("v")
        if self.spec.platform == "eks":
            return f"{plain}-eks-{hash_suffix(self.seed, 77, width=7)}"
        if self.spec.platform == "gke":
            return f"{plain}-gke.{1000000 + mix(self.seed, 78) % 900000}"
        return plain

    def _build_nodes(self) -> None:
        spec = self.spec
        infos: list[NodeInfo] = []
        number = 0
        cp_count = spec.control_plane_nodes or 0
        zones = list(self.defaults["zones"])
        for k in range(cp_count):
            infos.append(
                NodeInfo(
                    name=f"{spec.name}-cp-{k + 1}",
                    number=number,
                    pool=None,
                    control_plane=True,
                    zone=zones[k % len(zones)],
                    instance_type=self.defaults["type"],
                    max_pods=spec.max_pods_per_node,
                    kubelet_version=spec.version,
                )
            )
            number += 1
        hot_pending = spec.hot_node_pods > 0
        for pool in spec.node_pools:
            pool_zones = pool.zones or zones
            for k in range(pool.count):
                max_pods = pool.max_pods or spec.max_pods_per_node
                if hot_pending:
                    max_pods = max(max_pods, spec.hot_node_pods)
                infos.append(
                    NodeInfo(
                        name=self._node_name(pool, k, number),
                        number=number,
                        pool=pool,
                        control_plane=False,
                        zone=pool_zones[k % len(pool_zones)],
                        instance_type=pool.instance_type or self.defaults["type"],
                        max_pods=max_pods,
                        kubelet_version=pool.kubelet_version or spec.version,
                    )
                )
                number += 1
                hot_pending = False
        self.hot_node_number = cp_count if spec.hot_node_pods and len(infos) > cp_count else None
        infos.sort(key=lambda n: n.name)
        self.nodes = infos
        self.node_index = {n.name: i for i, n in enumerate(infos)}
        self._node_ips = [_ip(self._node_ip_int(n.number)) for n in infos]

    def _node_name(self, pool: NodePool, k: int, number: int) -> str:
        if self.spec.platform == "eks":
            ip = _ip(self._node_ip_int(number)).replace(".", "-")
            return f"ip-{ip}.{self.defaults['region']}.compute.internal"
        if self.spec.platform == "gke":
            return f"gke-{self.spec.name}-{pool.name}-{hash_suffix(self.seed, tag(pool.name), width=8)}-{suffix(k, 4)}"
        return f"{self.spec.name}-{pool.name}-{k + 1:04d}"

    @staticmethod
    def _node_ip_int(number: int) -> int:
        return _IP10 + ((16 + number // 62000) << 16) + ((number % 62000) // 250 << 8) + number % 250 + 4

    def _build_namespaces(self) -> None:
        spec = self.spec
        users = spec.namespaces - len(SYSTEM_NAMESPACES)
        words = [
            "payments",
            "ledger",
            "cards",
            "risk",
            "fraud",
            "lending",
            "trading",
            "treasury",
            "kyc",
            "web",
            "mobile",
            "data",
            "analytics",
            "search",
            "identity",
            "notify",
            "billing",
            "reporting",
            "ml",
            "ops",
        ]
        envs = ["prod", "uat", "dev", "sit"]
        names = list(SYSTEM_NAMESPACES)
        for k in range(users):
            word = words[mix(self.seed, 11, k) % len(words)]
            env = envs[mix(self.seed, 12, k) % len(envs)]
            names.append(f"{word}-{env}-{k + 1:05d}")
        names.sort()
        self.namespaces = names
        self.ns_index = {n: i for i, n in enumerate(names)}
        self.kube_system = self.ns_index["kube-system"]
        self.default_ns = self.ns_index["default"]
        workload = [i for i, n in enumerate(names) if n not in SYSTEM_NAMESPACES]
        self.workload_ns = workload or [self.default_ns]
        # Zipf-like namespace sizes: a few big tenants, a long tail of small ones.
        ranks = sorted(range(len(self.workload_ns)), key=lambda k: mix(self.seed, 13, k))
        self._ns_weight = {}
        for rank, k in enumerate(ranks):
            self._ns_weight[self.workload_ns[k]] = 1.0 / (rank + 1) ** 0.6

    def _per_namespace(self, total: int, salt: str) -> list[int]:
        """``total`` generated objects spread over the workload namespaces; 0 elsewhere."""
        if total == 0:
            return [0] * len(self.namespaces)
        salt_tag = tag(salt)
        weights = [self._ns_weight[ns] * (0.5 + unit(self.seed, salt_tag, ns)) for ns in self.workload_ns]
        counts = [0] * len(self.namespaces)
        for ns, count in zip(self.workload_ns, spread(total, weights), strict=True):
            counts[ns] = count
        return counts

    def _configured_max_pods(self, node: NodeInfo) -> int:
        """The node's maxPods from its pool or the spec, before any hot-node raise."""
        pool = node.pool
        return pool.max_pods if pool is not None and pool.max_pods else self.spec.max_pods_per_node

    def _build_pods(self) -> None:
        spec = self.spec
        self.daemonsets = daemonset_names(spec)
        order = sorted(range(len(self.nodes)), key=lambda i: self.nodes[i].number)
        system: list[SystemPod] = []
        fixed_per_node = [0] * len(self.nodes)
        for i in order:
            node = self.nodes[i]
            if node.control_plane:
                for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
                    system.append(SystemPod(f"{component}-{node.name}", "static", component, i))
                    fixed_per_node[i] += 1
            for ds in self.daemonsets:
                # 7919 is prime, so number -> suffix is one-to-one below 27**5 nodes: names never collide.
                name = f"{ds}-{suffix((node.number * 7919 + tag(ds)) % 27**5)}"
                system.append(SystemPod(name, "daemonset", ds, i))
                fixed_per_node[i] += 1
        workers = [i for i in order if not self.nodes[i].control_plane] or order
        self.system_deployments = self._system_deployments()
        for d, (deploy, replicas) in enumerate(self.system_deployments):
            rs_hash = hash_suffix(self.seed, tag(deploy), width=10)
            for r in range(replicas):
                slot = workers[(d + r) % len(workers)]
                name = f"{deploy}-{rs_hash}-{ordered_suffix(r, replicas, mix(self.seed, tag(deploy)))}"
                system.append(SystemPod(name, "deployment", deploy, slot))
                fixed_per_node[slot] += 1
        system.sort(key=lambda p: p.name)
        self.system_pods = system
        app_total = spec.pods - len(system)

        # Application pods per node: the hot node first, then weighted fill under each node's maxPods.
        app_per_node = [0] * len(self.nodes)
        left = app_total
        candidates = [i for i in workers if not self.nodes[i].control_plane] or workers
        if self.hot_node_number is not None:
            hot = next(i for i in order if self.nodes[i].number == self.hot_node_number)
            app_per_node[hot] = min(left, max(0, spec.hot_node_pods - fixed_per_node[hot]))
            left -= app_per_node[hot]
            candidates = [i for i in candidates if i != hot]
        caps = [max(0, self.nodes[i].max_pods - fixed_per_node[i]) for i in candidates]
        if self.hot_node_number is not None:
            # Other nodes stay at most at the spec's maxPods even though the hot node's maxPods was raised.
            caps = [
                min(c, self._configured_max_pods(self.nodes[i]) - fixed_per_node[i])
                for c, i in zip(caps, candidates, strict=True)
            ]
            caps = [max(0, c) for c in caps]
        weights = [0.6 + 0.8 * unit(self.seed, 21, self.nodes[i].number) for i in candidates]
        share = spread(left, weights)
        placed = [min(s, c) for s, c in zip(share, caps, strict=True)]
        left -= sum(placed)
        while left > 0:
            room = [k for k in range(len(candidates)) if placed[k] < caps[k]]
            if not room:
                raise ValueError("pods do not fit on the nodes")  # spec validation prevents this
            each = max(1, left // len(room))
            for k in room:
                add = min(each, caps[k] - placed[k], left)
                placed[k] += add
                left -= add
                if not left:
                    break
        for k, i in enumerate(candidates):
            app_per_node[i] += placed[k]
        self.fixed_pods_per_node = fixed_per_node
        self.app_pods_per_node = app_per_node
        self.app_pod_total = app_total
        # Slot s of the application pods (after a bijective shuffle of the pod index) lands on node
        # bisect(app_cum, s): exact per-node counts, scattered placement.
        self._app_nodes = [i for i in range(len(self.nodes)) if app_per_node[i]]
        self._app_cum = []
        running = 0
        for i in self._app_nodes:
            running += app_per_node[i]
            self._app_cum.append(running)
        self._perm_a = self._coprime_multiplier(app_total)
        self._perm_b = mix(self.seed, 23) % max(app_total, 1)

        self.pods_per_ns = self._per_namespace(app_total, "pods")
        self.replicas_per_ns = {ns: 1 + mix(self.seed, 24, ns) % 5 for ns in self.workload_ns}
        self.deployments_per_ns = [0] * len(self.namespaces)
        for ns in self.workload_ns:
            self.deployments_per_ns[ns] = math.ceil(self.pods_per_ns[ns] / self.replicas_per_ns[ns])
        counts = list(self.pods_per_ns)
        counts[self.kube_system] = len(system)
        self.pod_counts = counts
        self.pod_starts = [0, *accumulate(counts)][:-1]  # global index of each namespace's first pod

    def _coprime_multiplier(self, n: int) -> int:
        if n <= 1:
            return 1
        a = (mix(self.seed, 22) % n) | 1
        while math.gcd(a, n) != 1:
            a += 2
        return a % n or 1

    def _system_deployments(self) -> list[tuple[str, int]]:
        deployments = [("coredns", 2)]
        if self.spec.cni == "calico":
            deployments.append(("calico-kube-controllers", 1))
        if self.spec.cni == "cilium":
            deployments.append(("cilium-operator", 1))
        return sorted(deployments)

    def app_pod_node(self, app_index: int) -> int:
        """The node index of application pod ``app_index`` (0-based over pods outside kube-system)."""
        slot = (app_index * self._perm_a + self._perm_b) % self.app_pod_total
        return self._app_nodes[bisect_right(self._app_cum, slot)]

    # ------------------------------------------------------------------ object layout

    def _build_object_layout(self) -> None:
        """How many objects of each kind sit in each namespace, and the fixed names among them."""
        spec = self.spec
        n_ns = len(self.namespaces)
        # Services: default/kubernetes and kube-system/kube-dns, the rest in workload namespaces.
        self.services_gen = self._per_namespace(spec.services - 2, "services")
        self.service_fixed = {self.default_ns: ["kubernetes"], self.kube_system: ["kube-dns"]}
        self.service_counts = [self.services_gen[k] + len(self.service_fixed.get(k, [])) for k in range(n_ns)]
        self.netpol_counts = self._per_namespace(spec.network_policies, "networkpolicies")
        self.configmap_fixed = fixed_configmaps(spec)
        fixed_total = len(self.configmap_fixed) + n_ns - 1
        self.configmaps_gen = self._per_namespace((spec.configmaps or 0) - fixed_total, "configmaps")
        self.configmap_counts = [
            self.configmaps_gen[k] + (len(self.configmap_fixed) if k == self.kube_system else 1) for k in range(n_ns)
        ]
        self.secret_counts = self._per_namespace(spec.secrets or 0, "secrets")
        self.event_counts = self._per_namespace(spec.events, "events")
        self.deployment_counts = list(self.deployments_per_ns)
        self.deployment_counts[self.kube_system] = len(self.system_deployments)
        self.daemonset_counts = [0] * n_ns
        self.daemonset_counts[self.kube_system] = len(self.daemonsets)
        self.crd_names = self._crd_names()
        self.webhooks = {
            "validating": [f"{n}-validating-webhook" for n in self._webhook_owners(spec.validating_webhooks)],
            "mutating": [f"{n}-mutating-webhook" for n in self._webhook_owners(spec.mutating_webhooks)],
        }
        # Custom resources: every CRD is served; the CNI policy kinds carry the spec's counts.
        policy_counts = {
            "networkpolicies.crd.projectcalico.org": spec.calico_policies,
            "globalnetworkpolicies.crd.projectcalico.org": spec.calico_global_policies,
            "ciliumnetworkpolicies.cilium.io": spec.cilium_policies,
            "ciliumclusterwidenetworkpolicies.cilium.io": spec.cilium_clusterwide_policies,
        }
        self.cr_counts: dict[str, list[int]] = {}
        for crd in self.crd_names:
            _kind, namespaced = self.crd_kind(crd)
            total = policy_counts.get(crd, 0)
            self.cr_counts[crd] = self._per_namespace(total, crd) if namespaced else [total]
        # CiliumIdentity objects are cluster-scoped but each names its pods' namespace: identity j belongs to the
        # namespace whose block of identity_starts holds j.
        per_ns = self._identities_per_namespace() if IDENTITIES_CRD in self.crd_names else [0] * n_ns
        self.identity_starts = [0, *accumulate(per_ns)][:-1]
        if IDENTITIES_CRD in self.crd_names:
            self.cr_counts[IDENTITIES_CRD] = [sum(per_ns)]

    def _identities_per_namespace(self) -> list[int]:
        """CiliumIdentity objects per namespace: the spec's count spread over the workload namespaces, or by
        default one per Deployment (its pods share their labels) plus one per kube-system DaemonSet."""
        if self.spec.cni != "cilium":
            return [0] * len(self.namespaces)
        if self.spec.cilium_identities is not None:
            return self._per_namespace(self.spec.cilium_identities, IDENTITIES_CRD)
        counts = list(self.deployment_counts)
        counts[self.kube_system] += len(self.daemonsets)
        return counts

    def identity_namespace(self, j: int) -> tuple[int, int]:
        """(namespace index, index within that namespace) of CiliumIdentity ``j``."""
        ns = bisect_right(self.identity_starts, j) - 1  # the last start at or below j: never an empty namespace
        return ns, j - self.identity_starts[ns]

    def crd_kind(self, crd: str) -> tuple[str, bool]:
        """(Kind, namespaced) of a CRD named ``plural.group``."""
        if crd in _CNI_POLICY_KINDS:
            return _CNI_POLICY_KINDS[crd]
        plural = crd.split(".", 1)[0]
        return _kind_of(plural), plural not in _CLUSTER_SCOPED_CRDS

    @staticmethod
    def crd_version(group: str, plural: str = "") -> str:
        """The served version of a CRD: its own where it differs from its group's (a group served at several
        versions, some resources only at a non-preferred one), else its group's."""
        return _CRD_OWN_VERSIONS.get(f"{plural}.{group}") or _CRD_VERSIONS.get(group, "v1")

    def _crd_names(self) -> list[str]:
        total = self.spec.crds or 0
        names = cni_crd_names(self.spec.cni)[:total]
        filler = iter(_CRD_FILLER)
        k = 0
        while len(names) < total:
            name = next(filler, None)
            if name is None:
                k += 1
                name = f"record{k:04d}s.platform{k // 25:03d}.internal.example.com"
            names.append(name)
        return sorted(names)

    def _webhook_owners(self, count: int) -> list[str]:
        known = [
            "cert-manager",
            "gatekeeper",
            "kyverno",
            "istio-sidecar-injector",
            "vault-agent-injector",
            "aws-load-balancer",
            "prometheus-operator",
            "linkerd-proxy-injector",
        ]
        names = [known[k] if k < len(known) else f"policy-agent-{k:03d}" for k in range(count)]
        return sorted(names)

    # ------------------------------------------------------------------ helpers used by builders and truth

    def created_at(self, *parts: int) -> str:
        """A deterministic creation time between the cluster's creation and about 600 days later."""
        return epoch_rfc3339(self._created_epoch + 60 + unit(self.seed, *parts) * 600 * 86400)

    def uid(self, *parts: int) -> str:
        """A deterministic uid."""
        return make_uid(self.seed, *parts)

    def node_ip(self, node: int) -> str:
        """InternalIP of node index ``node``."""
        return self._node_ips[node]

    def pod_ip(self, app_index: int) -> str:
        """A pod IP from 100.64.0.0/10 (carrier-grade NAT space is common for pod CIDRs)."""
        return _ip((100 << 24) + (64 << 16) + 2 + app_index)

    def pods_on_node(self, node: int) -> int:
        """Pods bound to node index ``node`` (all phases)."""
        return self.fixed_pods_per_node[node] + self.app_pods_per_node[node]

    def secret_value(self, *parts: int) -> str:
        """Base64 data for a Secret key (synthetic bytes, never a real credential)."""
        return base64.b64encode(hex_id(*parts, width=24).encode()).decode()
