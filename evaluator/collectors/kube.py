"""The Kubernetes API collector: measures one cluster (any platform) into an inventory :class:`Snapshot`.

It only lists and gets, in pages of 500, under a QPS cap and bounded concurrency; it reads object counts
from apiserver metrics where it may, pods per node from server-side Tables, and never reads Secret data.
Whatever it cannot read becomes a ``Gap("kube", item, reason)`` instead of an error.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlparse

from .. import __version__
from ..dataplane import ClusterModel, NodeRecord, analyse
from ..dataplane.crds import CALICO_KEYS, CILIUM_KEYS, analyse_with_cni, translate
from ..dataplane.whatif import model_data
from ..errors import AccessDenied, EndpointError
from ..inventory import (
    ClusterInfo,
    CollectionInfo,
    ControlPlaneInventory,
    DeprecatedApiUse,
    EtcdInventory,
    Gap,
    NetworkingInventory,
    NetworkPolicyInventory,
    NodeInventory,
    ServiceInventory,
    Snapshot,
    Stats,
    WebhookInventory,
    utc_now,
)
from ..text import redact_flags, redact_url
from .kube_client import (
    AGGREGATED_DISCOVERY,
    METRICS_TEXT,
    POML,
    TABLE,
    KubeHTTPError,
    KubeReader,
    load_connection,
)
from .kube_parse import (
    DEPRECATED_METRICS,
    LIVE_PHASE_SELECTOR,
    WANTED_METRICS,
    DaemonSetTally,
    EtcdSizes,
    NamespaceTally,
    NodeTally,
    PodTally,
    PolicyTally,
    Resource,
    ServiceTally,
    SliceTally,
    WebhookTally,
    cni_addons,
    component_of,
    counts_are_computed,
    counts_from_metrics,
    deprecated_apis_from_metrics,
    detect_cni,
    etcd_sizes_from_metrics,
    image_tag,
    ip_family,
    is_aggregated_discovery,
    kube_proxy_mode,
    parse_feature_gates,
    parse_flags,
    parse_metrics,
    plain_version,
    pod_argv,
    resources_from_aggregated,
    resources_from_legacy,
    stats,
    summarise_cidrs,
    unique_resources,
)

SOURCE = "kube"

# Snapshot keys of the resources the sections below list in full (their counts come from those lists).
PODS = "pods"
NODES = "nodes"
NAMESPACES = "namespaces"
SERVICES = "services"
NETPOL = "networkpolicies.networking.k8s.io"
SLICES = "endpointslices.discovery.k8s.io"
DAEMONSETS = "daemonsets.apps"
MUTATING = "mutatingwebhookconfigurations.admissionregistration.k8s.io"
VALIDATING = "validatingwebhookconfigurations.admissionregistration.k8s.io"
APISERVICES = "apiservices.apiregistration.k8s.io"
CRDS = "customresourcedefinitions.apiextensions.k8s.io"
# CiliumIdentity objects (cluster-scoped, cilium.io/v2): counted like every resource (the apiserver's storage
# metric, else limit=1 and remainingItemCount), never listed: a list would cost a request per 500 identities under
# the QPS cap (134 on a cluster near the 65,280 line) for a breakdown no figure uses.
CILIUM_IDENTITIES = "ciliumidentities.cilium.io"

# CNI policy kinds reported in network_policies.cni_policies when the cluster serves them.
CNI_POLICY_KEYS = (
    "ciliumnetworkpolicies.cilium.io",
    "ciliumclusterwidenetworkpolicies.cilium.io",
    "networkpolicies.crd.projectcalico.org",
    "globalnetworkpolicies.crd.projectcalico.org",
    "stagednetworkpolicies.crd.projectcalico.org",
    "networkpolicies.projectcalico.org",
    "globalnetworkpolicies.projectcalico.org",
)
# Aggregated APIs that are not stored objects; counting them would make e.g. metrics-server build every
# pod's metrics at once (it ignores limit).
NOT_STORED_GROUPS = ("metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io")

T = TypeVar("T")

DEFAULT_DEADLINE = 900.0  # seconds a whole collection may take (a 5,000-node cluster takes a few minutes at 20 QPS)


def collect_kube(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    name: str | None = None,
    platform: str | None = None,
    qps: float = 20.0,
    concurrency: int = 4,
    page_size: int = 500,
    timeout: float = 30.0,
    deadline: float | None = DEFAULT_DEADLINE,
    progress: Callable[[str], None] | None = None,
    policy_model: bool = False,
) -> Snapshot:
    """Measure the cluster of ``context`` in ``kubeconfig`` (default loading rules when None, in-cluster
    config when running in a Pod) into a snapshot.

    ``name`` overrides the cluster name (default: the kubeconfig's cluster name, else the server host);
    ``platform`` overrides the detected platform. ``qps`` caps requests a second across all threads,
    ``concurrency`` bounds parallel requests, ``page_size`` is the list ``limit``, ``timeout`` bounds each request
    in all (a server trickling bytes included) and ``deadline`` the whole collection (None: unbounded).
    ``policy_model`` keeps the compact NetworkPolicy model a ``--with-policies`` what-if needs in the snapshot.

    Raises :class:`~evaluator.errors.InputError` for a bad kubeconfig or unknown context, and
    :class:`~evaluator.errors.CollectorError` subclasses when the server cannot be reached or rejects the
    credentials. Anything narrower (a 403 on one resource, an absent metric) becomes a gap. When the endpoint
    stops answering mid-run (or the deadline passes), :class:`CollectionIncomplete` carries the partial snapshot,
    marked ``collection.incomplete``.
    """
    if page_size < 1 or concurrency < 1:
        raise ValueError("page_size and concurrency must be at least 1")
    started = time.monotonic()
    collected_at = utc_now()
    connection = load_connection(kubeconfig, context, exec_timeout=timeout)
    reader = KubeReader(connection, qps=qps, concurrency=concurrency, timeout=timeout, deadline=deadline)
    try:
        run = _Run(reader, page_size=page_size, concurrency=concurrency, progress=progress or (lambda _m: None))
        run.keep_policy_model = policy_model
        facts = run.collect()
    finally:
        reader.close()
    cluster_name = name or connection.cluster or (urlparse(connection.host).hostname or "cluster")
    snap = run.snapshot(
        facts,
        cluster_name=cluster_name,
        platform=platform,
        endpoint=redact_url(connection.host),
        collected_at=collected_at,
        duration=time.monotonic() - started,
    )
    if run.failure is not None:
        snap = replace(snap, collection=replace(snap.collection, incomplete=run.failure))
        raise CollectionIncomplete(
            f"collection incomplete: {run.failure}",
            hint="The partial snapshot is marked incomplete (collection.incomplete); rerun when the endpoint answers",
            snapshot=snap,
        )
    return snap


class CollectionIncomplete(EndpointError):
    """The endpoint failed mid-run: exit 3, with the partial snapshot (``collection.incomplete`` says why)."""

    def __init__(self, message: str, *, hint: str | None = None, snapshot: Snapshot) -> None:
        super().__init__(message, hint=hint)
        self.snapshot = snapshot


@dataclass
class _Facts:
    """What the sections measured, before it becomes a snapshot."""

    git_version: str | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    metric_samples: list[Any] | None = None
    nodes: NodeTally | None = None
    pods: PodTally | None = None
    policies: PolicyTally | None = None
    namespace_labels: NamespaceTally | None = None
    services: ServiceTally | None = None
    slices: SliceTally | None = None
    mutating: WebhookTally | None = None
    validating: WebhookTally | None = None
    daemonsets: DaemonSetTally | None = None
    control_plane: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # component -> flags per pod
    etcd_image_tag: str | None = None
    proxy_config: str | None = None  # mode read from the kube-proxy ConfigMap
    apiserver_endpoints: int | None = None
    cluster_uid: str | None = None  # metadata.uid of the kube-system namespace: the cluster's stable id
    aggregated_groups: set[str] = field(default_factory=set)
    cni_objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Cilium/Calico policy objects


class _CniPolicyList:
    """Cilium or Calico policy objects of one list, kept to metadata name/namespace and spec(s)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, page: dict[str, Any]) -> None:
        """Add one page."""
        for obj in page.get("items") or []:
            meta = obj.get("metadata") or {}
            kept = {"metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")}}
            self.items.append({**kept, **{k: obj[k] for k in ("spec", "specs") if k in obj}})


class _Run:
    """One collection: a thread pool, the gaps found so far, and the sections."""

    def __init__(self, reader: KubeReader, *, page_size: int, concurrency: int, progress: Callable[[str], None]):
        self.reader = reader
        self.page_size = page_size
        self.concurrency = concurrency
        self.progress = progress
        self.gaps: list[Gap] = []
        self.failure: str | None = None  # the first endpoint failure: the rest of the run is skipped
        self._lock = threading.Lock()
        self.keep_policy_model = False
        self.policy_model: dict[str, Any] | None = None

    # -- plumbing -------------------------------------------------------------------------------------

    def gap(self, item: str, reason: str) -> None:
        """Record something that could not be measured."""
        with self._lock:
            self.gaps.append(Gap(SOURCE, item, reason))

    def guarded(self, item: str, fn: Callable[[], T]) -> T | None:
        """Run one section; a refused or failed read becomes a gap on ``item`` (authentication errors propagate)."""
        if self.failure is not None:
            self.gap(item, f"not read: {self.failure}")
            return None
        try:
            return fn()
        except KubeHTTPError as exc:
            self.gap(item, exc.short())
        except EndpointError as exc:
            # The endpoint stopped answering mid-run (refused, timed out, past the deadline): record it once;
            # the run ends as exit 3 with what was read so far.
            with self._lock:
                self.failure = self.failure or exc.message
            self.gap(item, exc.message)
        return None

    def walk(self, resource: Resource, make: Callable[[], T], accept: str = "application/json", **query: Any) -> T:
        """A paged list of ``resource`` into a tally."""
        return self.reader.walk(resource.path, make, accept=accept, page_size=self.page_size, query=query)  # type: ignore[type-var,return-value]

    # -- the run --------------------------------------------------------------------------------------

    def collect(self) -> _Facts:
        """Read everything, in parallel where the requests are independent."""
        facts = _Facts()
        self.progress("version")
        try:  # the first request: a transport failure here is fatal (EndpointError), an HTTP refusal a gap
            version = self.reader.get_json("/version")
            facts.git_version = str(version.get("gitVersion") or "") or None
        except KubeHTTPError as exc:
            self.gap("cluster.version", exc.short())
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="k8seval-kube")
        try:
            metrics_future = pool.submit(self._metrics)
            self.progress("discovery")
            facts.resources = self._discover(pool)
            self.progress(f"discovered {len(facts.resources)} listable resources")
            managed = bool(facts.git_version and ("-eks-" in facts.git_version or "-gke." in facts.git_version))
            futures = self._sections(pool, facts, managed)
            samples = metrics_future.result()
            facts.metric_samples = samples
            for fut in futures:
                fut.result()
            self.progress("counting objects")
            for fut in self._counts(pool, facts):
                fut.result()
        except BaseException:  # Ctrl-C, SIGTERM, a fatal error: stop the other threads' requests now
            self.reader.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return facts

    def _metrics(self) -> list[Any] | None:
        def read() -> list[Any]:
            body = self.reader.get_bytes("/metrics", None, METRICS_TEXT)
            return parse_metrics(body.decode("utf-8", "replace"), WANTED_METRICS | DEPRECATED_METRICS)

        return self.guarded("metrics", read)

    def _discover(self, pool: ThreadPoolExecutor) -> dict[str, Resource]:
        """Listable resources of every served version (the first, most preferred, occurrence of each wins):
        aggregated discovery (2 requests) where served, else legacy documents, one per group-version."""
        found: list[Resource] = []
        try:
            core = self.reader.get_json("/api", None, AGGREGATED_DISCOVERY)
            groups = self.reader.get_json("/apis", None, AGGREGATED_DISCOVERY)
        except KubeHTTPError as exc:
            if exc.status in (401, 403):
                raise AccessDenied(
                    f"API discovery refused: {exc.short()}",
                    hint="The credentials need get on the nonResourceURLs /api and /apis",
                ) from None
            raise EndpointError(f"API discovery failed: {exc.short()}") from None
        targets: list[tuple[str, str, str]] = []
        for doc in (core, groups):
            if is_aggregated_discovery(doc):
                res, stale = resources_from_aggregated(doc)
                found.extend(res)
                for group in stale:
                    self.gap(f"objects.{group}", "API group not answering (discovery marks it Stale)")
            elif doc is core:
                versions = core.get("versions") or ["v1"]
                targets.extend(("", v, f"/api/{v}") for v in versions)
            else:
                targets.extend(_legacy_targets(groups))

        def legacy(target: tuple[str, str, str]) -> list[Resource]:
            group, version, path = target
            doc = self.guarded(f"objects.{group or 'core'}", lambda: self.reader.get_json(path))
            return resources_from_legacy(group, version, doc) if doc else []

        for res in pool.map(legacy, targets):  # map keeps the order: preferred versions first
            found.extend(res)
        return unique_resources(found)

    def _sections(self, pool: ThreadPoolExecutor, facts: _Facts, managed: bool) -> list[Future[Any]]:
        """Start the full-list sections; each stores its tally on ``facts`` or leaves a gap."""
        res = facts.resources
        jobs: list[tuple[str, Callable[[], None]]] = []

        def need(key: str, item: str) -> Resource | None:
            if key in res:
                return res[key]
            self.gap(item, f"{key} is not served by this cluster (absent from API discovery)")
            return None

        # (snapshot key, gap item, attribute on _Facts, tally); the pods list is the longest chain of
        # dependent pages, so it goes first. Pods come as Tables: the Node, Status and IP columns plus each
        # pod's metadata (includeObject=Metadata: labels, ownerReferences), never the full pod objects.
        full_lists: list[tuple[str, str, str, Callable[[], Any]]] = [
            (PODS, "nodes.pods_per_node", "pods", PodTally),
            (NODES, "nodes", "nodes", NodeTally),
            (NETPOL, "network_policies", "policies", PolicyTally),
            (SERVICES, "services", "services", ServiceTally),
            (SLICES, "services.max_endpoints_per_service", "slices", SliceTally),
            (MUTATING, "webhooks", "mutating", WebhookTally),
            (VALIDATING, "webhooks", "validating", WebhookTally),
            (DAEMONSETS, "networking.cni", "daemonsets", DaemonSetTally),
        ]
        for key, item, attr, tally in full_lists:
            resource = need(key, item)
            if resource is not None:
                jobs.append((item, self._lister(facts, resource, attr, tally)))
        if NAMESPACES in res:  # labels for namespaceSelector (metadata only)
            ns_res = res[NAMESPACES]
            jobs.append(("network_policies.dataplane", lambda: self._namespace_labels(facts, ns_res)))
        jobs.append(("networking.kube_proxy_mode", lambda: self._kube_proxy_config(facts)))
        jobs.append(("control_plane.apiserver_count", lambda: self._apiserver_endpoints(facts)))
        jobs.append(("cluster.id", lambda: self._cluster_uid(facts)))
        if APISERVICES in res:
            jobs.append(("discovery.aggregated_apis", lambda: self._aggregated_groups(facts)))
        for key in CILIUM_KEYS + CALICO_KEYS:  # listed in full where served: the dataplane analysis reads them
            if key in res:
                jobs.append((f"network_policies.dataplane.{key}", self._cni_lister(facts, res[key])))
        if not managed:
            jobs.append(("control_plane", lambda: self._control_plane_pods(facts)))
        return [pool.submit(self.guarded, item, job) for item, job in jobs]

    def _cni_lister(self, facts: _Facts, resource: Resource) -> Callable[[], None]:
        def run() -> None:
            got = self.walk(resource, _CniPolicyList).items
            with self._lock:
                facts.cni_objects[resource.key] = got

        return run

    def _namespace_labels(self, facts: _Facts, resource: Resource) -> None:
        facts.namespace_labels = self.walk(resource, NamespaceTally, POML)

    def _lister(self, facts: _Facts, resource: Resource, attr: str, tally: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            if resource.key == PODS:

                def make() -> Any:
                    return tally(records=[])  # records: pod metadata for the NetworkPolicy analysis

                # includeObject=Metadata: labels and ownerReferences ride on the rows (the NetworkPolicy analysis)
                pods = self.walk(resource, make, TABLE, includeObject="Metadata")
                if pods.needs_phase_selector:
                    # No Completed row conditions from this server: let it leave finished pods out instead.
                    live = self.walk(resource, make, TABLE, includeObject="Metadata", fieldSelector=LIVE_PHASE_SELECTOR)
                    live.terminal, live.total = pods.total - live.total, pods.total
                    pods = live
                setattr(facts, attr, pods)
            else:
                setattr(facts, attr, self.walk(resource, tally))

        return run

    def _kube_proxy_config(self, facts: _Facts) -> None:
        # kubeadm: ConfigMap kube-proxy, key config.conf; EKS: kube-proxy-config, key config.
        for cm_name in ("kube-proxy", "kube-proxy-config"):
            try:
                cm = self.reader.get_json(f"/api/v1/namespaces/kube-system/configmaps/{cm_name}")
            except KubeHTTPError as exc:
                if exc.status == 404:
                    continue
                raise
            for value in (cm.get("data") or {}).values():
                mode = kube_proxy_mode(str(value))
                if mode:
                    facts.proxy_config = mode
                    return

    def _apiserver_endpoints(self, facts: _Facts) -> None:
        # The default/kubernetes Endpoints list one address per live apiserver (the endpoint reconciler).
        ep = self.reader.get_json("/api/v1/namespaces/default/endpoints/kubernetes")
        addresses = {a.get("ip") for s in ep.get("subsets") or [] for a in s.get("addresses") or []}
        facts.apiserver_endpoints = len(addresses) or None

    def _cluster_uid(self, facts: _Facts) -> None:
        # The kube-system namespace exists from cluster creation until the cluster is deleted, so its UID tells
        # apart clusters that share a name (every kubeadm cluster is called "kubernetes").
        ns = self.reader.get_json("/api/v1/namespaces/kube-system")
        uid = (ns.get("metadata") or {}).get("uid")
        if uid:
            facts.cluster_uid = str(uid)
        else:
            self.gap("cluster.id", "the kube-system namespace has no metadata.uid")

    def _aggregated_groups(self, facts: _Facts) -> None:
        def add(page: dict[str, Any]) -> None:
            for item in page.get("items") or []:
                spec = item.get("spec") or {}
                if spec.get("service") and spec.get("group"):
                    facts.aggregated_groups.add(spec["group"])

        class Groups:
            def add(self, page: dict[str, Any]) -> None:
                add(page)

        self.walk(facts.resources[APISERVICES], Groups)

    def _control_plane_pods(self, facts: _Facts) -> None:
        """Flags of the static control-plane Pods in kube-system (self-hosted clusters)."""
        base = "/api/v1/namespaces/kube-system/pods"
        selector = "component in (kube-apiserver,etcd,kube-controller-manager,kube-scheduler)"
        found: dict[str, list[dict[str, str]]] = {}
        images: list[str] = []

        class Static:
            def __init__(self) -> None:  # a list restarted after 410 Expired starts from nothing again
                found.clear()
                images.clear()

            def add(self, page: dict[str, Any]) -> None:
                for pod in page.get("items") or []:
                    comp = component_of(pod)
                    if comp:
                        found.setdefault(comp, []).append(parse_flags(pod_argv(pod, comp)))
                        if comp == "etcd":
                            images.extend(c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or [])

        self.reader.walk(base, Static, page_size=self.page_size, query={"labelSelector": selector})
        if not found:
            # No kubeadm component labels: look for the name prefixes in a Table of names, then get those pods.
            names: list[str] = []

            class Names:
                def __init__(self) -> None:  # restarted after 410 Expired: start from nothing again
                    names.clear()

                def add(self, page: dict[str, Any]) -> None:
                    for row in page.get("rows") or []:
                        obj_name = str((row.get("cells") or [""])[0])
                        if component_of({"metadata": {"name": obj_name}}):
                            names.append(obj_name)

            self.reader.walk(base, Names, accept=TABLE, page_size=self.page_size, query={"includeObject": "None"})
            static = Static()
            for pod_name in names[:32]:
                static.add({"items": [self.reader.get_json(f"{base}/{pod_name}")]})
        facts.control_plane = found
        if images:
            facts.etcd_image_tag = image_tag(images[0])

    def _counts(self, pool: ThreadPoolExecutor, facts: _Facts) -> list[Future[Any]]:
        """Object counts: exact from the full lists, else metrics, else limit=1 + remainingItemCount."""
        listed = {
            PODS: facts.pods.total if facts.pods else None,
            NODES: len(facts.nodes.names) if facts.nodes else None,
            NETPOL: facts.policies.count if facts.policies else None,
            SERVICES: facts.services.count if facts.services else None,
            SLICES: facts.slices.slices if facts.slices else None,
            MUTATING: facts.mutating.configurations if facts.mutating else None,
            VALIDATING: facts.validating.configurations if facts.validating else None,
            DAEMONSETS: len(facts.daemonsets.found) if facts.daemonsets else None,
            **{key: len(items) for key, items in facts.cni_objects.items()},
        }
        metric_counts: dict[str, int] = {}
        if facts.metric_samples is not None:
            metric_counts, _ = counts_from_metrics(facts.metric_samples)
            if metric_counts and not counts_are_computed(metric_counts):
                self.progress("the apiserver has not counted its objects yet (0 namespaces): counting by lists")
                metric_counts = {}
        aggregated = facts.aggregated_groups | set(NOT_STORED_GROUPS)
        todo: list[Resource] = []
        for key, resource in sorted(facts.resources.items()):
            exact = listed.get(key)
            if exact is not None:
                facts.objects[key] = exact
                facts.methods[key] = "paged"
            elif key in metric_counts:
                facts.objects[key] = metric_counts[key]
                facts.methods[key] = "metrics"
            elif resource.group in NOT_STORED_GROUPS:
                continue  # metrics computed on request, nothing stored to count
            elif resource.group in aggregated and key not in CNI_POLICY_KEYS:
                self.gap(f"objects.{key}", f"served by an aggregated API server ({resource.group}); not counted")
            else:
                todo.append(resource)
        if facts.metric_samples is not None and todo:
            self.progress(f"counting {len(todo)} resources the metrics do not cover")

        def count(resource: Resource) -> None:
            got = self.guarded(
                f"objects.{resource.key}", lambda: self.reader.count(resource.path, page_size=self.page_size)
            )
            if got is not None:
                with self._lock:
                    facts.objects[resource.key], facts.methods[resource.key] = got

        return [pool.submit(count, r) for r in todo]

    # -- the snapshot ---------------------------------------------------------------------------------

    def snapshot(
        self,
        facts: _Facts,
        *,
        cluster_name: str,
        platform: str | None,
        endpoint: str,
        collected_at: str,
        duration: float,
    ) -> Snapshot:
        """Turn the facts into a snapshot (nothing here makes requests)."""
        gv = facts.git_version
        version = None
        if gv:
            version = gv.lstrip("v").split("-", 1)[0].split("+", 1)[0]
        nodes = facts.nodes
        detected, provider, region = _platform(gv, nodes, bool(facts.control_plane))
        cp = self._control_plane(facts)
        objects = dict(sorted(facts.objects.items()))
        cluster = ClusterInfo(
            name=cluster_name,
            platform=platform or detected,
            version=version,
            git_version=gv,
            endpoint=endpoint,
            provider=provider,
            region=region,
            id=facts.cluster_uid,
        )
        etcd = self._etcd(facts, cp)
        networking = self._networking(facts, cp)
        if CILIUM_IDENTITIES not in facts.resources and _runs_cilium(networking.cni):
            self.gap(f"network_policies.dataplane.{CILIUM_IDENTITIES}", f"{CILIUM_IDENTITIES} is not served by "
                     "this cluster (absent from API discovery): identities are estimated from pod labels")  # fmt: skip
        node_inventory = self._nodes(facts)
        if facts.pods is not None and facts.pods.containers is None:
            self.gap("containers", "the pods Table has no Ready column (ready/total containers) to count from")
        deprecated = self._deprecated(facts)
        policies, services, webhooks = self._policies(facts), self._services(facts), self._webhooks(facts)
        # Sorted last: the section builders above add gaps of their own.
        gaps = sorted(self.gaps, key=lambda g: (g.item, g.reason))
        return Snapshot(
            cluster=cluster,
            collected_at=collected_at,
            objects=objects,
            namespaces=objects.get(NAMESPACES),
            crds=objects.get(CRDS),
            containers=facts.pods.containers if facts.pods is not None else None,
            nodes=node_inventory,
            network_policies=policies,
            services=services,
            webhooks=webhooks,
            etcd=etcd,
            networking=networking,
            control_plane=cp,
            deprecated_apis=deprecated,
            gaps=gaps,
            collection=CollectionInfo(
                collectors=[SOURCE],
                tool_version=__version__,
                duration_seconds=round(duration, 3),
                requests=self.reader.requests,
                count_methods=dict(sorted(facts.methods.items())),
            ),
        )

    def _deprecated(self, facts: _Facts) -> list[DeprecatedApiUse] | None:
        if facts.metric_samples is None:
            self.gap("deprecated_apis", "apiserver /metrics not readable (see the metrics gap)")
            return None
        found = deprecated_apis_from_metrics(facts.metric_samples)
        if found is None:
            self.gap("deprecated_apis", "apiserver /metrics has no apiserver_request_total")
        return found

    def _nodes(self, facts: _Facts) -> NodeInventory:
        n = facts.nodes
        per_node = Stats()
        if facts.pods is not None:
            counts = dict(facts.pods.per_node)
            if n is not None:
                for node_name in n.names:  # nodes running no pods count as 0
                    counts.setdefault(node_name, 0)
            per_node = stats(list(counts.values()))
            if not facts.pods.node_column:
                per_node = Stats()
                self.gap("nodes.pods_per_node", "the pods Table has no Node column")
            elif not facts.pods.status_column:
                self.gap("nodes.pods_per_node", "the pods Table has no Status column: terminal pods were counted too")
        if n is None:
            return NodeInventory(pods_per_node=per_node)
        if not n.allocatable:
            self.gap(
                "nodes.allocatable_pods", "no Node reports status.allocatable.pods" if n.names else "no Node objects"
            )
        return NodeInventory(
            count=len(n.names),
            control_plane_count=n.control_plane,
            pods_per_node=per_node,
            allocatable_pods=stats(n.allocatable),
            by_pool=dict(n.by_pool.most_common()),
            by_instance_type=dict(n.by_type.most_common()),
            by_zone=dict(sorted(n.by_zone.items())),
            by_pool_zone=dict(n.by_pool_zone.most_common()),
            by_os=dict(n.by_os.most_common()),
            by_arch=dict(n.by_arch.most_common()),
            by_kubelet_version=dict(n.by_kubelet.most_common()),
            by_container_runtime=dict(n.by_runtime.most_common()),
            gpu_count=n.gpu,
        )

    def _policies(self, facts: _Facts) -> NetworkPolicyInventory:
        cni = {k: facts.objects[k] for k in CNI_POLICY_KEYS if k in facts.objects}
        p = facts.policies
        if p is None:
            return NetworkPolicyInventory(cni_policies=cni)
        return NetworkPolicyInventory(
            dataplane=self._dataplane(facts),
            policy_model=self.policy_model,
            count=p.count,
            max_per_namespace=max(p.per_namespace.values(), default=0),
            namespaces_with_policies=len(p.per_namespace),
            ingress_rules=p.ingress_rules,
            egress_rules=p.egress_rules,
            peers=p.peers,
            ports=p.ports,
            ip_blocks=p.ip_blocks,
            max_ports_per_rule=p.max_ports_per_rule,
            cni_policies=cni,
        )

    def _dataplane(self, facts: _Facts) -> dict[str, Any] | None:
        """The per-pod NetworkPolicy load from the pod Table rows, namespace labels, nodes and policy specs."""
        item = "network_policies.dataplane"
        pods, nodes, policies = facts.pods, facts.nodes, facts.policies
        if pods is None or nodes is None or policies is None or pods.records is None:
            self.gap(item, "needs the pods Table, nodes and NetworkPolicies (see their gaps)")
            return None
        if pods.format != "table" or not pods.ip_column:
            self.gap(item, "the pods Table has no IP column: peer pod IPs unknown")
            return None
        if facts.namespace_labels is None:
            self.gap(item, "namespace labels not readable: namespaceSelector peers matched on the name label only")
        if policies.unparsed_count:
            self.gap(item, f"{policies.unparsed_count} NetworkPolicies not analysed: {policies.unparsed[0]}")
        pods.release_caches()
        policies.release_caches()
        records = pods.records
        for rec in records:  # a hostNetwork pod shows as a pod whose IP is its node's address
            if rec.ip and rec.ip == nodes.internal_ips.get(rec.node):
                rec.host_network = True
        model = ClusterModel(
            pods=records,
            namespaces=dict(facts.namespace_labels.labels) if facts.namespace_labels else {},
            nodes={
                name: NodeRecord(
                    name, nodes.internal_ips.get(name), nodes.os_of.get(name, "linux"), name in nodes.fargate
                )
                for name in nodes.names
            },
            policies=policies.specs,
            named_ports_known=False,
        )
        self.progress(f"analysing {len(policies.specs):,} NetworkPolicies over {len(records):,} pods")
        if facts.cni_objects:  # Cilium and Calico policies add to their own dataplane's figures, in the same pass
            translated = translate(facts.cni_objects, model)
            for vendor, t in translated.items():
                if t.not_analysed_count:
                    self.gap(item, f"{t.not_analysed_count} {vendor} policies not analysed: {t.not_analysed[0]}")
            result = analyse_with_cni(model, translated)
        else:
            result = analyse(model)
        if CILIUM_IDENTITIES in facts.objects:  # measured, beside the estimate from pod label sets
            result["cilium"]["identities_measured"] = {
                "source": CILIUM_IDENTITIES,
                "count": facts.objects[CILIUM_IDENTITIES],
                "method": facts.methods.get(CILIUM_IDENTITIES),
            }
        if self.keep_policy_model:
            self.policy_model = model_data(model, facts.cni_objects)  # with the collected CNI objects
        return result

    def _services(self, facts: _Facts) -> ServiceInventory:
        s, e = facts.services, facts.slices
        return ServiceInventory(
            count=s.count if s else None,
            by_type=dict(s.by_type.most_common()) if s else {},
            max_per_namespace=max(s.per_namespace.values(), default=0) if s else None,
            max_endpoints_per_service=max(e.per_service.values(), default=0) if e else None,
            endpoints_total=e.endpoints if e else None,
        )

    def _webhooks(self, facts: _Facts) -> WebhookInventory:
        m, v = facts.mutating, facts.validating
        if m is None and v is None:
            return WebhookInventory()
        timeouts = [t.max_timeout for t in (m, v) if t is not None and t.max_timeout is not None]
        if not timeouts:
            self.gap("webhooks.max_timeout_seconds", "no admission webhooks configured")
        return WebhookInventory(
            count=(m.webhooks if m else 0) + (v.webhooks if v else 0) if m and v else None,
            mutating=m.webhooks if m else None,
            validating=v.webhooks if v else None,
            max_timeout_seconds=max(timeouts) if timeouts else None,
            fail_closed=(m.fail_closed if m else 0) + (v.fail_closed if v else 0) if m and v else None,
        )

    def _control_plane(self, facts: _Facts) -> ControlPlaneInventory:
        cp = facts.control_plane

        def first(component: str) -> dict[str, str]:
            pods = cp.get(component) or []
            return redact_flags(dict(sorted(pods[0].items()))) if pods else {}

        api = first("kube-apiserver")
        gates: dict[str, bool] = {}
        for component in ("kube-scheduler", "kube-controller-manager", "kube-apiserver"):  # apiserver wins
            gates.update(parse_feature_gates(first(component).get("feature-gates", "")))
        plugins = [p for p in api.get("enable-admission-plugins", "").split(",") if p]
        count = len(cp["kube-apiserver"]) if cp.get("kube-apiserver") else facts.apiserver_endpoints
        return ControlPlaneInventory(
            apiserver_flags=api,
            etcd_flags=first("etcd"),
            controller_manager_flags=first("kube-controller-manager"),
            scheduler_flags=first("kube-scheduler"),
            admission_plugins=plugins,
            feature_gates=dict(sorted(gates.items())),
            apiserver_count=count,
        )

    def _etcd(self, facts: _Facts, cp: ControlPlaneInventory) -> EtcdInventory:
        sizes = EtcdSizes()
        api = cp.apiserver_flags
        if facts.metric_samples is not None:
            sizes = etcd_sizes_from_metrics(
                facts.metric_samples, api.get("etcd-servers", ""), api.get("etcd-servers-overrides", "")
            )
            if sizes.size is None:
                self.gap("etcd.db_size_bytes", "apiserver /metrics has no etcd DB size metric")
        else:
            self.gap("etcd.db_size_bytes", "apiserver /metrics not readable (see the metrics gap)")
        self.gap("etcd.db_size_in_use_bytes", "the apiserver reports the DB file size only; collect etcd reads it")
        self.gap("etcd.leader", "needs etcd itself: collect etcd")
        self.gap("etcd.total_keys", "needs etcd itself: collect etcd (objects has the counts per resource)")
        quota, basis = _etcd_quota(cp, bool(facts.control_plane.get("etcd")))
        if quota is None:
            self.gap("etcd.quota_backend_bytes", basis)
            basis = None
        version = facts.etcd_image_tag.split("-", 1)[0] if facts.etcd_image_tag else None
        if version is None:
            self.gap("etcd.version", "no etcd static Pod image readable (managed control plane or external etcd)")
        return EtcdInventory(
            db_size_bytes=sizes.size,
            quota_backend_bytes=quota,
            version=version,
            quota_basis=basis,
            db_size_basis=sizes.basis,
            events_db_size_bytes=sizes.events_size,
            source=f"apiserver-metrics:{sizes.metric}" if sizes.metric else None,
        )

    def _networking(self, facts: _Facts, cp: ControlPlaneInventory) -> NetworkingInventory:
        cni = version = None
        addons: dict[str, str] = {}
        proxy: str | None = None
        if facts.daemonsets is not None:
            cni, version = detect_cni(facts.daemonsets.found)
            addons = cni_addons(facts.daemonsets.found)
            if cni is None:
                self.gap("networking.cni", "no known CNI DaemonSet in the system namespaces")
            has_proxy = any(ds.name == "kube-proxy" for ds in facts.daemonsets.found)
            if not has_proxy and cni in ("cilium", "gke-dataplane-v2"):
                proxy = "none"  # kube-proxy replaced by eBPF service handling
            elif has_proxy or facts.proxy_config:
                proxy = facts.proxy_config
        else:
            proxy = facts.proxy_config
        if version is None:  # a managed dataplane with no CNI DaemonSet (GKE routes), or an untagged image
            if facts.daemonsets is None:
                why = "DaemonSets not read (see the networking.cni gap)"
            else:
                why = "no CNI detected" if cni is None else f"the {cni} DaemonSet image carries no version tag"
            self.gap("networking.cni_version", why)
        if proxy is None and not any(g.item == "networking.kube_proxy_mode" for g in self.gaps):
            self.gap("networking.kube_proxy_mode", "no kube-proxy ConfigMap with a mode in kube-system")
        self.gap(
            "networking.pod_ips_in_use", "not measured from the Kubernetes API (pod IPs per range need the cloud view)"
        )
        cm = cp.controller_manager_flags
        node_cidrs = sorted(facts.nodes.pod_cidrs) if facts.nodes else []
        cluster_cidrs = [c for c in cm.get("cluster-cidr", "").split(",") if c]
        pod_cidrs = summarise_cidrs(node_cidrs) if node_cidrs else summarise_cidrs(cluster_cidrs)
        service_cidrs = [c for c in cp.apiserver_flags.get("service-cluster-ip-range", "").split(",") if c]
        capacity = nodes_capacity = None
        if cluster_cidrs:
            try:
                net = ipaddress.ip_network(cluster_cidrs[0], strict=False)
                mask = int(cm.get("node-cidr-mask-size-ipv4") or cm.get("node-cidr-mask-size") or 24)
                if net.version == 4 and mask >= net.prefixlen:
                    capacity = net.num_addresses
                    nodes_capacity = 2 ** (mask - net.prefixlen)
            except ValueError:
                self.gap("networking.pod_ip_capacity", f"--cluster-cidr={cluster_cidrs[0]!r} does not parse")
        if capacity is None and not cluster_cidrs:
            self.gap(
                "networking.pod_ip_capacity",
                "no --cluster-cidr visible (controller-manager flags not read; a cloud CNI or managed control plane "
                "assigns pod IPs: the cloud collector measures the ranges)",
            )
        if nodes_capacity is None:
            self.gap("networking.node_capacity_by_pod_range", "needs --cluster-cidr and the per-node mask size")
        family = ip_family(pod_cidrs + service_cidrs)
        if family is None:
            self.gap(
                "networking.ip_family", "no pod or Service CIDR visible (nodes carry no podCIDR, no apiserver flags)"
            )
        return NetworkingInventory(
            cni=cni,
            cni_version=plain_version(version),
            cni_addons=addons,
            kube_proxy_mode=proxy,
            pod_cidrs=pod_cidrs,
            service_cidrs=service_cidrs,
            ip_family=family,
            pod_ip_capacity=capacity,
            node_capacity_by_pod_range=nodes_capacity,
        )


# Gaps every kube snapshot has: facts only etcd itself or a cloud API can give.
NOT_FROM_KUBE = ("etcd.db_size_in_use_bytes", "etcd.leader", "etcd.total_keys", "networking.pod_ips_in_use")

# etcd's quota when no --quota-backend-bytes flag sets it (etcd DefaultQuotaBytes; https://etcd.io/docs/latest/dev-guide/limit/:
# "The default storage size limit is 2 GiB"); kubeadm does not set the flag (cmd/kubeadm/app/phases/etcd/local.go).
ETCD_DEFAULT_QUOTA = 2 * 1024**3


def _runs_cilium(cni: str | None) -> bool:
    """Whether the detected CNI allocates Cilium identities (Cilium itself, or GKE Dataplane V2)."""
    name = (cni or "").lower()
    return "cilium" in name or "dataplane-v2" in name


def _etcd_quota(cp: ControlPlaneInventory, etcd_pod_read: bool) -> tuple[int | None, str]:
    """(quota, basis) from the etcd static Pod's flags, etcd's default when the Pod sets none; (None, why) when
    the Pod was not read."""
    if not etcd_pod_read:
        return None, "etcd flags not visible (managed control plane, external etcd, or no etcd static Pod readable)"
    flag = cp.etcd_flags.get("quota-backend-bytes")
    if flag is None:
        return ETCD_DEFAULT_QUOTA, "derived: etcd's 2 GiB default, the etcd static Pod sets no --quota-backend-bytes"
    if flag.isdigit() and int(flag) > 0:
        return int(flag), "--quota-backend-bytes of the etcd static Pod"
    if flag.isdigit():  # 0 means the default too (etcd: "0 defaults to low space quota")
        return ETCD_DEFAULT_QUOTA, "derived: etcd's 2 GiB default, --quota-backend-bytes=0"
    return None, f"--quota-backend-bytes={flag!r} is not a byte count"


def _legacy_targets(groups: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(group, version, path) of every version in an APIGroupList, each group's preferred version first."""
    targets = []
    for group in groups.get("groups") or []:
        name = group.get("name") or ""
        versions = [v.get("version") for v in group.get("versions") or [] if v.get("version")]
        preferred = (group.get("preferredVersion") or {}).get("version")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        elif preferred:
            versions.insert(0, preferred)
        targets.extend((name, v, f"/apis/{name}/{v}") for v in versions)
    return targets


def _platform(
    git_version: str | None, nodes: NodeTally | None, static_pods: bool
) -> tuple[str, str | None, str | None]:
    """(platform, provider, region) from /version's gitVersion and the nodes' providerID and labels."""
    providers = nodes.providers if nodes else {}
    provider_id = max(providers, key=lambda k: providers[k]) if providers else None
    provider = {"aws": "aws", "gce": "gcp", "azure": "azure"}.get(provider_id or "")
    region = nodes.by_region.most_common(1)[0][0] if nodes and nodes.by_region else None
    gv = git_version or ""
    if "-eks-" in gv:
        return "eks", "aws", region
    if "-gke." in gv:
        # Autopilot nodes are named gk3-<cluster>-...; Standard nodes gke-<cluster>-...
        autopilot = nodes is not None and nodes.names and nodes.autopilot_names == len(nodes.names)
        return ("gke-autopilot" if autopilot else "gke"), "gcp", region
    if nodes is not None and nodes.aks_labels and not static_pods:
        return "aks", "azure", region
    if gv:
        return "self-hosted", provider, region
    # No /version answer: the managed node labels still tell, when every node carries them (a self-managed cluster
    # can borrow one node group's labels, not all of them) and no control-plane pod runs in the cluster.
    if nodes is not None and nodes.names and not static_pods:
        if nodes.eks_labels == len(nodes.names):
            return "eks", "aws", region
        if nodes.gke_labels == len(nodes.names):
            autopilot = nodes.autopilot_names == len(nodes.names)
            return ("gke-autopilot" if autopilot else "gke"), "gcp", region
    return "unknown", provider, region
