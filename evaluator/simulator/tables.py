"""Server-side Table rendering (``as=Table;v=v1;g=meta.k8s.io``): columns after kubectl's printers.

Columns follow kubernetes/kubernetes:pkg/printers/internalversion/printers.go; priority-1 columns are the
``-o wide`` ones. Resources without a printer get Name and Created At, as CRDs without printer columns do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .names import age

Column = tuple[str, str, str, int]  # name, type, format, priority


def _col(name: str, type_: str = "string", fmt: str = "", priority: int = 0) -> Column:
    return name, type_, fmt, priority


_NAME = _col("Name", fmt="name")
_AGE = _col("Age")


def _ready_count(pod: dict[str, Any]) -> str:
    statuses = pod["status"].get("containerStatuses", [])
    ready = sum(1 for s in statuses if s.get("ready"))
    return f"{ready}/{len(pod['spec']['containers'])}"


def _pod_status(pod: dict[str, Any]) -> str:
    """The Status cell as kubernetes pkg/printers/internalversion/printers.go printPod writes it."""
    status = pod["status"]
    reason = status.get("reason") or status.get("phase") or ""
    init_specs = pod["spec"].get("initContainers", [])
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses", [])):
        state = cs.get("state", {})
        term, wait = state.get("terminated"), state.get("waiting")
        if term is not None and term.get("exitCode", 0) == 0:
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode', 0)}"
        elif wait is not None and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses", [])):
            state = cs.get("state", {})
            term, wait = state.get("terminated"), state.get("waiting")
            if wait is not None and wait.get("reason"):
                reason = wait["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode', 0)}"
            elif cs.get("ready") and "running" in state:
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))
            reason = "Running" if ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason


# printPod: row.Conditions for the two finished phases (metav1.RowCompleted).
_POD_ROW_CONDITIONS = {
    "Succeeded": [
        {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
    ],
    "Failed": [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}],
}


def _node_roles(node: dict[str, Any]) -> str:
    roles = sorted(
        k.split("/", 1)[1] for k in node["metadata"].get("labels", {}) if k.startswith("node-role.kubernetes.io/")
    )
    return ",".join(roles) or "<none>"


def _selector(sel: dict[str, Any] | None) -> str:
    labels = (sel or {}).get("matchLabels", {})
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _ports(svc: dict[str, Any]) -> str:
    parts = []
    for p in svc["spec"].get("ports", []):
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        parts.append(f"{p['port']}{node_port}/{p['protocol']}")
    return ",".join(parts) or "<none>"


def _external_ip(svc: dict[str, Any]) -> str:
    kind = svc["spec"]["type"]
    if kind == "ExternalName":
        return svc["spec"]["externalName"]
    if kind == "LoadBalancer":
        ingress = svc["status"].get("loadBalancer", {}).get("ingress", [])
        return ",".join(i.get("ip", i.get("hostname", "")) for i in ingress) or "<pending>"
    return "<none>"


def _address(node: dict[str, Any], kind: str) -> str:
    return next((a["address"] for a in node["status"].get("addresses", []) if a["type"] == kind), "<none>")


def _restarts(pod: dict[str, Any], now: datetime) -> str:
    """printPod's Restarts cell: the count, and once a container restarted the age of its last termination
    ("3 (4h43m ago)", as real Tables show it)."""
    statuses = pod["status"].get("containerStatuses", [])
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    ended = [
        s["lastState"]["terminated"]["finishedAt"]
        for s in statuses
        if (s.get("lastState") or {}).get("terminated", {}).get("finishedAt")
    ]
    return f"{restarts} ({age(max(ended), now)} ago)" if restarts and ended else str(restarts)


Printer = tuple[list[Column], Callable[[dict[str, Any], datetime], list[Any]]]

PRINTERS: dict[str, Printer] = {
    "pods": (
        [
            _NAME,
            _col("Ready"),
            _col("Status"),
            _col("Restarts", "string"),
            _AGE,
            _col("IP", priority=1),
            _col("Node", priority=1),
            _col("Nominated Node", priority=1),
            _col("Readiness Gates", priority=1),
        ],
        lambda o, now: [
            o["metadata"]["name"],
            _ready_count(o),
            _pod_status(o),
            _restarts(o, now),
            age(o["metadata"]["creationTimestamp"], now),
            o["status"].get("podIP", "<none>"),
            o["spec"].get("nodeName", "<none>"),
            "<none>",
            "<none>",
        ],
    ),
    "nodes": (
        [
            _NAME,
            _col("Status"),
            _col("Roles"),
            _AGE,
            _col("Version"),
            _col("Internal-IP", priority=1),
            _col("External-IP", priority=1),
            _col("OS-Image", priority=1),
            _col("Kernel-Version", priority=1),
            _col("Container-Runtime", priority=1),
        ],
        lambda o, now: [
            o["metadata"]["name"],
            "Ready",
            _node_roles(o),
            age(o["metadata"]["creationTimestamp"], now),
            o["status"]["nodeInfo"]["kubeletVersion"],
            _address(o, "InternalIP"),
            _address(o, "ExternalIP"),
            o["status"]["nodeInfo"]["osImage"],
            o["status"]["nodeInfo"]["kernelVersion"],
            o["status"]["nodeInfo"]["containerRuntimeVersion"],
        ],
    ),
    "namespaces": (
        [_NAME, _col("Status"), _AGE],
        lambda o, now: [o["metadata"]["name"], o["status"]["phase"], age(o["metadata"]["creationTimestamp"], now)],
    ),
    "services": (
        [
            _NAME,
            _col("Type"),
            _col("Cluster-IP"),
            _col("External-IP"),
            _col("Port(s)"),
            _AGE,
            _col("Selector", priority=1),
        ],
        lambda o, now: [
            o["metadata"]["name"],
            o["spec"]["type"],
            o["spec"].get("clusterIP", "<none>"),
            _external_ip(o),
            _ports(o),
            age(o["metadata"]["creationTimestamp"], now),
            ",".join(f"{k}={v}" for k, v in o["spec"].get("selector", {}).items()) or "<none>",
        ],
    ),
    "networkpolicies.networking.k8s.io": (
        [_NAME, _col("Pod-Selector"), _AGE],
        lambda o, now: [
            o["metadata"]["name"],
            _selector(o["spec"]["podSelector"]) if o["spec"]["podSelector"] else "<none>",
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "deployments.apps": (
        [
            _NAME,
            _col("Ready"),
            _col("Up-to-date", "integer"),
            _col("Available", "integer"),
            _AGE,
            _col("Containers", priority=1),
            _col("Images", priority=1),
            _col("Selector", priority=1),
        ],
        lambda o, now: [
            o["metadata"]["name"],
            f"{o['status']['readyReplicas']}/{o['spec']['replicas']}",
            o["status"]["updatedReplicas"],
            o["status"]["availableReplicas"],
            age(o["metadata"]["creationTimestamp"], now),
            ",".join(c["name"] for c in o["spec"]["template"]["spec"]["containers"]),
            ",".join(c["image"] for c in o["spec"]["template"]["spec"]["containers"]),
            _selector(o["spec"]["selector"]),
        ],
    ),
    "replicasets.apps": (
        [_NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"), _AGE],
        lambda o, now: [
            o["metadata"]["name"],
            o["spec"]["replicas"],
            o["status"]["replicas"],
            o["status"]["readyReplicas"],
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "daemonsets.apps": (
        [
            _NAME,
            _col("Desired", "integer"),
            _col("Current", "integer"),
            _col("Ready", "integer"),
            _col("Up-to-date", "integer"),
            _col("Available", "integer"),
            _col("Node Selector"),
            _AGE,
        ],
        lambda o, now: [
            o["metadata"]["name"],
            o["status"]["desiredNumberScheduled"],
            o["status"]["currentNumberScheduled"],
            o["status"]["numberReady"],
            o["status"]["updatedNumberScheduled"],
            o["status"]["numberAvailable"],
            ",".join(f"{k}={v}" for k, v in o["spec"]["template"]["spec"].get("nodeSelector", {}).items()) or "<none>",
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "configmaps": (
        [_NAME, _col("Data", "integer"), _AGE],
        lambda o, now: [o["metadata"]["name"], len(o.get("data", {})), age(o["metadata"]["creationTimestamp"], now)],
    ),
    "secrets": (
        [_NAME, _col("Type"), _col("Data", "integer"), _AGE],
        lambda o, now: [
            o["metadata"]["name"],
            o["type"],
            len(o.get("data", {})),
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "endpoints": (
        [_NAME, _col("Endpoints"), _AGE],
        lambda o, now: [
            o["metadata"]["name"],
            ",".join(f"{a['ip']}:{s['ports'][0]['port']}" for s in o["subsets"] for a in s["addresses"][:3])
            or "<none>",
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "endpointslices.discovery.k8s.io": (
        [_NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), _AGE],
        lambda o, now: [
            o["metadata"]["name"],
            o["addressType"],
            ",".join(str(p["port"]) for p in o["ports"]),
            ",".join(e["addresses"][0] for e in (o["endpoints"] or [])[:3]) or "<unset>",
            age(o["metadata"]["creationTimestamp"], now),
        ],
    ),
    "events": (
        [_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")],
        lambda o, now: [
            age(o["lastTimestamp"], now),
            o["type"],
            o["reason"],
            f"pod/{o['involvedObject']['name']}",
            o["message"],
        ],
    ),
    "validatingwebhookconfigurations.admissionregistration.k8s.io": (
        [_NAME, _col("Webhooks", "integer"), _AGE],
        lambda o, now: [o["metadata"]["name"], len(o["webhooks"]), age(o["metadata"]["creationTimestamp"], now)],
    ),
    "mutatingwebhookconfigurations.admissionregistration.k8s.io": (
        [_NAME, _col("Webhooks", "integer"), _AGE],
        lambda o, now: [o["metadata"]["name"], len(o["webhooks"]), age(o["metadata"]["creationTimestamp"], now)],
    ),
}

_DEFAULT: Printer = (
    [_NAME, _col("Created At", "date")],
    lambda o, now: [o["metadata"]["name"], o["metadata"]["creationTimestamp"]],
)

# Column texts taken from the API types' SwaggerDoc, as the printers take them (printers.go: ``metav1.ObjectMeta{}
# .SwaggerDoc()["name"]`` ...). Texts of Kubernetes 1.36: k8s.io/apimachinery v0.36.0 and k8s.io/api v0.36.0
# (pkg/apis/meta/v1 and core/v1 types_swagger_doc_generated.go); the nodeName text is the one since 1.31.
_CREATION_TIMESTAMP = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. "
    "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "Age": _CREATION_TIMESTAMP,
    "Created At": _CREATION_TIMESTAMP,
}


def printer(resource_key: str) -> Printer:
    """Columns and row function for ``resource_key`` (``pods``, ``deployments.apps``...)."""
    return PRINTERS.get(resource_key, _DEFAULT)


# The pod printer's own descriptions and its SwaggerDoc ones (kubernetes pkg/printers/internalversion/printers.go
# podColumnDefinitions; texts of 1.36 as above);
# a recorded pod Table (tests/fixtures/real/pods_table_v1beta1.json) carries the Ready and Status texts verbatim.
_POD_DESCRIPTIONS = {
    "Ready": "The aggregate readiness state of this pod for accepting traffic.",
    "Status": "The aggregate status of the containers in this pod.",
    "Restarts": "The number of times the containers in this pod have been restarted and when the last container in "
    "this pod has restarted.",
    "IP": "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    "Node": "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling "
    "by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible "
    "for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on "
    "a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
    "Nominated Node": "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
    "scheduled right away as preemption victims receive their graceful termination periods. This field does not "
    "guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other "
    "nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority "
    "pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the "
    "pod is scheduled.",
    "Readiness Gates": "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all "
    'its containers are ready AND all conditions specified in the readiness gates have status equal to "True" '
    "More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
}


def column_definitions(resource_key: str) -> list[dict[str, Any]]:
    """The Table's ``columnDefinitions``."""
    columns, _ = printer(resource_key)
    own = _POD_DESCRIPTIONS if resource_key == "pods" else {}
    return [
        {
            "name": name,
            "type": type_,
            "format": fmt,
            "description": own.get(name) or _DESCRIPTIONS.get(name, name),
            "priority": prio,
        }
        for name, type_, fmt, prio in columns
    ]


def row(resource_key: str, obj: dict[str, Any], api_version: str, kind: str, include: str, now: datetime) -> dict:
    """One Table row; ``include`` is None | Metadata | Object (the request's includeObject)."""
    _, cells = printer(resource_key)
    result: dict[str, Any] = {"cells": cells(obj, now)}
    if resource_key == "pods":
        conditions = _POD_ROW_CONDITIONS.get(obj["status"].get("phase", ""))
        if conditions:
            result["conditions"] = [dict(c) for c in conditions]
    if include == "Object":
        result["object"] = {"kind": kind, "apiVersion": api_version, **obj}
    elif include == "Metadata":
        result["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        }
    return result


def now_utc() -> datetime:
    """The current time (Table ages are relative to it, as the real printers' are)."""
    return datetime.now(UTC)
