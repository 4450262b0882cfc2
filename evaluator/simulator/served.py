"""The served cluster: the layout of :mod:`.cluster` plus one :class:`~.cluster.Collection` per resource,
whose objects the builders of :mod:`.objects` make when a page asks for them."""

from __future__ import annotations

from collections.abc import Callable

from .cluster import ClusterModel, Collection, Resource
from .objects import Builders
from .spec import ClusterSpec


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
            Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
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
                Resource("admissionregistration.k8s.io", "v1", f"{kind_word}webhookconfigurations", kind, False),
                [len(names)],
                lambda _ns, j, names=names: names[j],
                lambda _ns, j, kw=kind_word: b.webhook_config(kw, j),
            )
        for crd in self.crd_names:
            plural, group = crd.split(".", 1)
            kind, namespaced = self.crd_kind(crd)
            add(
                Resource(group, self.crd_version(group), plural, kind, namespaced, categories=()),
                self.cr_counts[crd],
                lambda ns, j, c=crd: b.cr_name(c, ns, j),
                lambda ns, j, c=crd: b.custom_resource(c, ns, j),
            )

    def counts(self) -> dict[str, int]:
        """resource[.group] -> number of objects, for every served collection."""
        return {key: c.count for key, c in sorted(self.collections.items())}
