"""The served cluster: the layout of :mod:`.cluster` plus one :class:`~.cluster.Collection` per resource,
whose objects the builders of :mod:`.objects` make when a page asks for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cluster import NAMESPACE_VERBS, ClusterModel, Collection, Resource
from .objects import Builders
from .spec import ClusterSpec

# The ServiceAccounts kube-controller-manager and kubeadm's add-ons create in kube-system.
KUBE_SYSTEM_SERVICE_ACCOUNTS = (
    "attachdetach-controller", "bootstrap-signer", "certificate-controller", "clusterrole-aggregation-controller",
    "coredns", "cronjob-controller", "daemon-set-controller", "default", "deployment-controller",
    "disruption-controller", "endpoint-controller", "endpointslice-controller", "generic-garbage-collector",
    "job-controller", "kube-proxy", "namespace-controller", "node-controller", "pv-protection-controller",
    "replicaset-controller", "service-account-controller", "statefulset-controller", "token-cleaner",
    "ttl-controller",
)  # fmt: skip


class Cluster(ClusterModel):
    """One synthetic cluster as the server sees it: its layout, its object builders and its collections."""

    def __init__(self, spec: ClusterSpec) -> None:
        super().__init__(spec)
        self.builders = Builders(self)
        self.collections: dict[str, Collection] = {}
        self._add_collections(self.builders)

    def _add(self, resource: Resource, counts: list[int], name_of: Callable, build: Callable) -> None:
        self.collections[resource.key] = Collection(resource, counts, name_of, build)

    def _add_collections(self, b: Builders) -> None:
        add = self._add
        add(
            # Namespaces have no deletecollection (kubernetes api/discovery/api__v1.json)
            Resource("", "v1", "namespaces", "Namespace", False, ("ns",), verbs=NAMESPACE_VERBS),
            [len(self.namespaces)],
            lambda _ns, j: self.namespaces[j],
            lambda _ns, j: b.namespace(j),
        )
        add(
            Resource("", "v1", "nodes", "Node", False, ("no",)),
            [len(self.nodes)],
            lambda _ns, j: self.nodes[j].name,
            lambda _ns, j: b.node(j),
        )
        add(Resource("", "v1", "pods", "Pod", True, ("po",), ("all",)), self.pod_counts, b.pod_name, b.pod)
        svc = self.service_counts
        add(Resource("", "v1", "services", "Service", True, ("svc",), ("all",)), svc, b.service_name, b.service)
        add(Resource("", "v1", "endpoints", "Endpoints", True, ("ep",)), svc, b.service_name, b.endpoints)
        add(
            Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
            svc,
            b.slice_name,
            b.endpointslice,
        )
        add(
            Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
            self.netpol_counts,
            b.netpol_name,
            b.netpol,
        )
        add(
            Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
            self.configmap_counts,
            b.configmap_name,
            b.configmap,
        )
        add(Resource("", "v1", "secrets", "Secret", True), self.secret_counts, b.secret_name, b.secret)
        add(Resource("", "v1", "events", "Event", True, ("ev",)), self.event_counts, b.event_name, b.event)
        add(
            Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",)),
            self.deployment_counts,
            b.deployment_name,
            b.deployment,
        )
        add(
            Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",)),
            self.deployment_counts,
            b.replicaset_name,
            b.replicaset,
        )
        add(
            Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",)),
            self.daemonset_counts,
            lambda _ns, j: self.daemonsets[j],
            b.daemonset,
        )
        add(
            Resource(
                "apiextensions.k8s.io",
                "v1",
                "customresourcedefinitions",
                "CustomResourceDefinition",
                False,
                ("crd", "crds"),
                ("api-extensions",),
            ),
            [len(self.crd_names)],
            lambda _ns, j: self.crd_names[j],
            lambda _ns, j: b.crd(j),
        )
        for kind_word, kind in (
            ("validating", "ValidatingWebhookConfiguration"),
            ("mutating", "MutatingWebhookConfiguration"),
        ):
            names = self.webhooks[kind_word]
            add(
                Resource(
                    "admissionregistration.k8s.io",
                    "v1",
                    f"{kind_word}webhookconfigurations",
                    kind,
                    False,
                    categories=("api-extensions",),
                ),
                [len(names)],
                lambda _ns, j, names=names: names[j],
                lambda _ns, j, kw=kind_word: b.webhook_config(kw, j),
            )
        for crd in self.crd_names:
            plural, group = crd.split(".", 1)
            kind, namespaced = self.crd_kind(crd)
            add(
                Resource(group, self.crd_version(group, plural), plural, kind, namespaced, categories=()),
                self.cr_counts[crd],
                lambda ns, j, c=crd: b.cr_name(c, ns, j),
                lambda ns, j, c=crd: b.custom_resource(c, ns, j),
            )

        self._add_core_rest()
        self._add_events_v1(b)
        self._add_aggregation()

    def _add_events_v1(self, b: Builders) -> None:
        """events.k8s.io/v1: the core Events again, in the newer shape (the same storage: one
        apiserver_storage_objects series, so not counted twice)."""

        def event_v1(ns: int, j: int) -> dict[str, Any]:
            core = b.event(ns, j)
            return {
                "metadata": core["metadata"],
                "eventTime": None,
                "reportingController": core["reportingComponent"],
                "reportingInstance": core["reportingInstance"],
                "regarding": core["involvedObject"],
                "reason": core["reason"],
                "note": core["message"],
                "type": core["type"],
                "deprecatedSource": core["source"],
                "deprecatedFirstTimestamp": core["firstTimestamp"],
                "deprecatedLastTimestamp": core["lastTimestamp"],
                "deprecatedCount": core["count"],
            }

        resource = Resource("events.k8s.io", "v1", "events", "Event", True, ("ev",))
        self._add(resource, self.event_counts, b.event_name, event_v1)
        self.collections[resource.key].stored = False

    def _add_core_rest(self) -> None:
        """The rest of the core group's listable resources a real apiserver serves (kubernetes
        api/discovery/api__v1.json): a ServiceAccount "default" per namespace plus kube-controller-manager's
        own in kube-system, the collections a fresh cluster leaves empty, and the computed componentstatuses."""
        n_ns = len(self.namespaces)
        sa_names = [["default"] for _ in range(n_ns)]
        sa_names[self.kube_system] = sorted(KUBE_SYSTEM_SERVICE_ACCOUNTS)
        self._add(
            Resource("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
            [len(n) for n in sa_names],
            lambda ns, j: sa_names[ns][j],
            lambda ns, j: self._plain(40, ns, sa_names[ns][j], j),
        )
        for plural, kind, namespaced, short, categories in (
            ("limitranges", "LimitRange", True, ("limits",), ()),
            ("resourcequotas", "ResourceQuota", True, ("quota",), ()),
            ("podtemplates", "PodTemplate", True, (), ()),
            ("replicationcontrollers", "ReplicationController", True, ("rc",), ("all",)),
            ("persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), ()),
            ("persistentvolumes", "PersistentVolume", False, ("pv",), ()),
        ):
            self._add(
                Resource("", "v1", plural, kind, namespaced, short, categories),
                [0] * n_ns if namespaced else [0],
                lambda _ns, _j: "",
                lambda _ns, _j: {},
            )
        names = ["controller-manager", "etcd-0", "scheduler"]
        self._add(
            Resource("", "v1", "componentstatuses", "ComponentStatus", False, ("cs",), verbs=("get", "list")),
            [len(names)],
            lambda _ns, j: names[j],
            lambda _ns, j: {
                "metadata": {"name": names[j]},
                "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}],
            },
        )
        self.collections["componentstatuses"].stored = False  # computed on each request (deprecated in 1.19)

    def _plain(self, kind_tag: int, ns: int, name: str, j: int) -> dict[str, Any]:
        created = self.created_at(kind_tag, ns, j)
        return {
            "metadata": {
                "name": name,
                "namespace": self.namespaces[ns],
                "uid": self.uid(kind_tag, ns, j),
                "resourceVersion": str(100 + j),
                "creationTimestamp": created,
            }
        }

    def _add_aggregation(self) -> None:
        """apiregistration.k8s.io: one APIService per served group-version, local ones and metrics-server's
        ``v1beta1.metrics.k8s.io`` (backed by a Service), whose PodMetrics and NodeMetrics discovery lists; the
        aggregated API holds nothing in etcd, so its resources are not counted."""
        n_ns = len(self.namespaces)
        for plural, kind, counts in (("nodes", "NodeMetrics", [0]), ("pods", "PodMetrics", [0] * n_ns)):
            resource = Resource("metrics.k8s.io", "v1beta1", plural, kind, plural == "pods", verbs=("get", "list"))
            self._add(resource, counts, lambda _ns, _j: "", lambda _ns, _j: {})
            self.collections[resource.key].stored = False
        versions = {(c.resource.group, c.resource.version) for c in self.collections.values()}
        versions.add(("apiregistration.k8s.io", "v1"))
        names = sorted(f"{v}.{g}" for g, v in versions)
        self.apiservice_names = names
        self._add(
            Resource(
                "apiregistration.k8s.io", "v1", "apiservices", "APIService", False, categories=("api-extensions",)
            ),
            [len(names)],
            lambda _ns, j: names[j],
            lambda _ns, j: self._apiservice(j),
        )

    def _apiservice(self, j: int) -> dict[str, Any]:
        name = self.apiservice_names[j]
        version, _, group = name.partition(".")
        spec: dict[str, Any] = {"group": group, "version": version, "groupPriorityMinimum": 1000, "versionPriority": 15}
        condition = {
            "type": "Available",
            "status": "True",
            "reason": "Local",
            "message": "Local APIServices are always available",
        }
        if group == "metrics.k8s.io":
            spec.update(
                service={"namespace": "kube-system", "name": "metrics-server", "port": 443},
                insecureSkipTLSVerify=True,
                groupPriorityMinimum=100,
                versionPriority=100,
            )
            condition = {"type": "Available", "status": "True", "reason": "Passed", "message": "all checks passed"}
        created = self.created_at(0, 0, j)
        meta: dict[str, Any] = {
            "name": name,
            "uid": self.uid(900, j),
            "resourceVersion": str(10 + j),
            "creationTimestamp": created,
        }
        if group != "metrics.k8s.io":
            meta["labels"] = {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
        return {
            "metadata": meta,
            "spec": spec,
            "status": {"conditions": [{**condition, "lastTransitionTime": created}]},
        }

    def counts(self) -> dict[str, int]:
        """resource[.group] -> number of stored objects, for every served collection held in etcd."""
        return {key: c.count for key, c in sorted(self.collections.items()) if c.stored}
