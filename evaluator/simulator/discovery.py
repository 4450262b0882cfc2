"""Discovery documents: legacy (/api, /apis, /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io v2/v2beta1).

Aggregated discovery is KEP-3352 (beta 1.27, stable 1.30): a client sends
``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`` to /api and /apis and
gets every group, version and resource in two documents instead of one per group-version.
"""

from __future__ import annotations

import re
from typing import Any

from .cluster import Resource
from .served import Cluster

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

_STATUS_KINDS = {
    "pods",
    "nodes",
    "namespaces",
    "services",
    "deployments",
    "replicasets",
    "daemonsets",
    "customresourcedefinitions",
}


def _kube_version_order(version: str) -> tuple[int, int, int, str]:
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0, version)  # not a Kubernetes-style version: after all others, by name
    major, level, minor = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[level]
    return (rank, -major, -minor, version)


def groups(cluster: Cluster) -> dict[str, dict[str, list[Resource]]]:
    """group -> version -> resources, core group as ""; groups in the order the apiserver lists them."""
    result: dict[str, dict[str, list[Resource]]] = {}
    for collection in cluster.collections.values():
        r = collection.resource
        result.setdefault(r.group, {}).setdefault(r.version, []).append(r)
    for group, versions in list(result.items()):
        for resources in versions.values():
            resources.sort(key=lambda r: r.plural)
        # Preferred version first, as the apiserver orders them (k8s.io/apimachinery
        # version.CompareKubeAwareVersionStrings): GA before beta before alpha, higher numbers first.
        result[group] = dict(sorted(versions.items(), key=lambda item: _kube_version_order(item[0])))
    builtin = [
        "",
        "apps",
        "events.k8s.io",
        "discovery.k8s.io",
        "networking.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
    ]
    ordered = {g: result[g] for g in builtin if g in result}
    ordered.update({g: result[g] for g in sorted(result) if g not in ordered})
    return ordered


def _legacy_resource(r: Resource) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        doc["shortNames"] = list(r.short_names)
    if r.categories:
        doc["categories"] = list(r.categories)
    return doc


def resource_list(cluster: Cluster, group: str, version: str) -> dict[str, Any] | None:
    """APIResourceList for /api/v1 or /apis/<group>/<version>; None when not served."""
    resources = groups(cluster).get(group, {}).get(version)
    if resources is None:
        return None
    items = []
    for r in resources:
        items.append(_legacy_resource(r))
        if r.plural in _STATUS_KINDS:
            items.append(
                {
                    "name": f"{r.plural}/status",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": items,
    }


def api_versions(server_address: str) -> dict[str, Any]:
    """/api (APIVersions)."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(group: str, versions: dict[str, list[Resource]]) -> dict[str, Any]:
    gv = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gv, "preferredVersion": gv[0]}


def api_group_list(cluster: Cluster) -> dict[str, Any]:
    """/apis (APIGroupList)."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(g, v) for g, v in groups(cluster).items() if g],
    }


def api_group(cluster: Cluster, group: str) -> dict[str, Any] | None:
    """/apis/<group> (APIGroup); None when not served."""
    versions = groups(cluster).get(group)
    if not versions or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, versions)}


def _aggregated_resource(r: Resource) -> dict[str, Any]:
    # Real aggregated documents leave responseKind's group and version empty for a resource's own kind
    # (kubernetes api/discovery/aggregated_v2.json); only a subresource of another group (scale) names them.
    doc: dict[str, Any] = {
        "resource": r.plural,
        "responseKind": {"group": "", "version": "", "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        doc["shortNames"] = list(r.short_names)
    if r.categories:
        doc["categories"] = list(r.categories)
    if r.plural in _STATUS_KINDS:
        doc["subresources"] = [
            {"subresource": "status", "responseKind": dict(doc["responseKind"]), "verbs": ["get", "patch", "update"]}
        ]
    return doc


def aggregated(cluster: Cluster, core: bool, version: str = "v2") -> dict[str, Any]:
    """APIGroupDiscoveryList for /api (``core``) or /apis, as apidiscovery.k8s.io/``version``."""
    items = []
    for group, versions in groups(cluster).items():
        if bool(group) == core:
            continue
        metadata: dict[str, Any] = {"creationTimestamp": None}
        if group:
            metadata["name"] = group
        items.append(
            {
                "metadata": metadata,
                "versions": [
                    {"version": v, "resources": [_aggregated_resource(r) for r in rs], "freshness": "Current"}
                    for v, rs in versions.items()
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }
