"""Plain data the NetworkPolicy analysis works on: pods (from metadata and Table cells), namespaces, nodes and
NetworkPolicies parsed into selectors, peers and ports. Built from dicts; no SDK objects."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

ANY = "ANY"  # the agent's catch-all protocol (a rule with no ports), one entry
PROTOCOLS = ("TCP", "UDP", "SCTP")

Port = tuple[str, int, int]  # (protocol, port, endPort); (ANY, 0, 0) is the catch-all entry
NamedPort = tuple[str, str]  # (name, protocol) before resolution


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry: key, operator (In, NotIn, Exists, DoesNotExist), values."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        """True when ``labels`` satisfy the requirement (Kubernetes LabelSelector semantics)."""
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist


@dataclass(frozen=True)
class Selector:
    """A LabelSelector; the empty selector selects everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """True when every matchLabels pair and every expression holds."""
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        return all(req.matches(labels) for req in self.expressions)

    @property
    def empty(self) -> bool:
        """True for ``{}``."""
        return not self.match_labels and not self.expressions


@dataclass(frozen=True)
class Peer:
    """One from/to entry: pods chosen by selectors, or an ipBlock.

    ``namespaces`` is None for "the policy's own namespace" (no namespaceSelector).
    """

    pods: Selector | None = None
    namespaces: Selector | None = None
    cidr: str | None = None  # canonical network ("10.0.0.0/16"), host bits masked as the agent does
    excepts: tuple[str, ...] = ()
    entity: str | None = None  # a Cilium reserved identity ("host", "world", ...): no pods, one identity


@dataclass(frozen=True)
class PortSpec:
    """One NetworkPolicyPort: protocol, a number, a name, or none (all ports of the protocol), and endPort."""

    protocol: str = "TCP"
    number: int | None = None
    name: str | None = None
    end_port: int | None = None


@dataclass(frozen=True)
class Rule:
    """One ingress or egress rule. ``peers`` None means every source/destination (no from/to)."""

    peers: tuple[Peer, ...] | None
    ports: tuple[PortSpec, ...] = ()


@dataclass(frozen=True)
class Policy:
    """A NetworkPolicy: where it applies and its rules per direction (None when it does not isolate that way)."""

    namespace: str
    name: str
    pod_selector: Selector
    ingress: tuple[Rule, ...] | None
    egress: tuple[Rule, ...] | None

    @property
    def ref(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[Rule, ...] | None:
        """The rules of ``direction`` ("ingress" or "egress")."""
        return self.ingress if direction == "ingress" else self.egress


@dataclass(slots=True)  # one per pod or group: no per-instance dict
class PodRecord:
    """One pod as the analysis needs it (non-terminal pods only).

    ``owner`` is ``Kind/name`` of the controlling ownerReference, None for a standalone pod.
    ``named_ports`` maps (name, protocol) to the container port, None when the container ports are not known.
    """

    namespace: str
    name: str
    labels: dict[str, str]
    node: str = ""
    ip: str | None = None
    owner: str | None = None
    host_network: bool = False
    named_ports: dict[NamedPort, int] | None = None

    @property
    def workload(self) -> str:
        """The workload name: a ReplicaSet's Deployment when the pod-template-hash says so, else the owner."""
        if self.owner is None:
            return f"Pod/{self.name}"
        kind, _, name = self.owner.partition("/")
        hash_ = self.labels.get("pod-template-hash")
        if kind == "ReplicaSet" and hash_ and name.endswith("-" + hash_):
            return f"Deployment/{name[: -len(hash_) - 1]}"
        return self.owner


@dataclass(frozen=True)
class NodeRecord:
    """A node: its InternalIP, OS and whether it is an EKS Fargate node."""

    name: str
    ip: str | None = None
    os: str = "linux"
    fargate: bool = False


@dataclass
class ClusterModel:
    """Everything the analysis reads: pods, namespace labels, nodes, policies."""

    pods: list[PodRecord] = field(default_factory=list)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    named_ports_known: bool = True

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Labels of ``namespace``; the apiserver always sets kubernetes.io/metadata.name (1.21+)."""
        labels = self.namespaces.get(namespace)
        if labels is None:
            labels = {"kubernetes.io/metadata.name": namespace}
            self.namespaces[namespace] = labels
        return labels


# -- parsing NetworkPolicy objects ------------------------------------------------------------------------


def _selector(data: Any, where: str) -> Selector:
    if data is None:
        return Selector()
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a label selector object")
    labels = data.get("matchLabels") or {}
    if not isinstance(labels, dict):
        raise InputError(f"{where}.matchLabels: expected a mapping")
    reqs = []
    for i, expr in enumerate(data.get("matchExpressions") or []):
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            raise InputError(f"{where}.matchExpressions[{i}]: expected an object with a key")
        op = expr.get("operator")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise InputError(f"{where}.matchExpressions[{i}].operator: unknown operator {op!r}")
        values = expr.get("values") or []
        if not isinstance(values, list):
            raise InputError(f"{where}.matchExpressions[{i}].values: expected a list")
        reqs.append(Requirement(expr["key"], op, frozenset(str(v) for v in values)))
    return Selector(tuple(sorted((str(k), str(v)) for k, v in labels.items())), tuple(reqs))


def canonical_cidr(text: Any, where: str) -> str:
    """``"10.1.2.3/16"`` -> ``"10.1.0.0/16"`` (the agent masks host bits before keying)."""
    try:
        return str(ipaddress.ip_network(str(text), strict=False))
    except ValueError:
        raise InputError(f"{where}: not a CIDR: {text!r}") from None


def _peer(data: Any, where: str) -> Peer:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a peer object")
    block = data.get("ipBlock")
    if block is not None:
        if not isinstance(block, dict) or "cidr" not in block:
            raise InputError(f"{where}.ipBlock: expected an object with cidr")
        excepts = tuple(canonical_cidr(e, f"{where}.ipBlock.except") for e in block.get("except") or [])
        return Peer(cidr=canonical_cidr(block["cidr"], f"{where}.ipBlock.cidr"), excepts=excepts)
    pods = _selector(data.get("podSelector"), f"{where}.podSelector") if "podSelector" in data else Selector()
    ns = None
    if "namespaceSelector" in data:
        ns = _selector(data.get("namespaceSelector"), f"{where}.namespaceSelector")
    return Peer(pods=pods, namespaces=ns)


def _port(data: Any, where: str) -> PortSpec:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a port object")
    protocol = str(data.get("protocol") or "TCP")
    if protocol not in PROTOCOLS:
        raise InputError(f"{where}.protocol: expected TCP, UDP or SCTP, got {protocol!r}")
    port = data.get("port")
    end = data.get("endPort")
    if end is not None and not isinstance(end, int):
        raise InputError(f"{where}.endPort: expected an integer")
    if port is None:
        return PortSpec(protocol)
    if isinstance(port, bool):
        raise InputError(f"{where}.port: expected a number or a name")
    if isinstance(port, int):
        return PortSpec(protocol, number=port, end_port=end)
    if isinstance(port, str):
        if port.isdigit():
            return PortSpec(protocol, number=int(port), end_port=end)
        return PortSpec(protocol, name=port)
    raise InputError(f"{where}.port: expected a number or a name")


def _rules(data: Any, peer_key: str, where: str) -> tuple[Rule, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise InputError(f"{where}: expected a list of rules")
    out = []
    for i, rule in enumerate(data):
        rule = rule or {}
        if not isinstance(rule, dict):
            raise InputError(f"{where}[{i}]: expected a rule object")
        raw_peers = rule.get(peer_key)
        # An absent or empty from/to matches every source/destination (the API drops an empty list).
        peers = (
            None if not raw_peers else tuple(_peer(p, f"{where}[{i}].{peer_key}[{j}]") for j, p in enumerate(raw_peers))
        )
        ports = tuple(_port(p, f"{where}[{i}].ports[{j}]") for j, p in enumerate(rule.get("ports") or []))
        out.append(Rule(peers, ports))
    return tuple(out)


def share_parts(policy: Policy, seen: dict[Any, Any]) -> Policy:
    """``policy`` with every selector, rule and rule list equal to one in ``seen`` replaced by that one (and the
    new ones added): per-namespace copies of one policy shape (the same app selector, the same ports in
    thousands of namespaces) then hold one object each, not one per copy. Equal parts are interchangeable:
    they are frozen, and the analysis caches by value or by namespace and object."""

    def one(part: Any) -> Any:
        return seen.setdefault(part, part)

    def rules(items: tuple[Rule, ...] | None) -> tuple[Rule, ...] | None:
        return None if items is None else one(tuple(one(rule) for rule in items))

    return Policy(policy.namespace, policy.name, one(policy.pod_selector), rules(policy.ingress),
                  rules(policy.egress))  # fmt: skip


def parse_policy(obj: Any, where: str = "<policy>", default_namespace: str = "default") -> Policy:
    """A NetworkPolicy dict (networking.k8s.io/v1) -> :class:`Policy`; problems raise InputError naming ``where``."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a NetworkPolicy object")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec")
    if not isinstance(meta, dict) or not isinstance(spec, dict):
        raise InputError(f"{where}: a NetworkPolicy needs metadata and spec objects")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: metadata.name is missing")
    namespace = str(meta.get("namespace") or default_namespace)
    types = spec.get("policyTypes")
    if types is None:  # API default: Ingress, plus Egress when egress rules are present
        types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    if not isinstance(types, list) or any(t not in ("Ingress", "Egress") for t in types):
        raise InputError(f"{where}: spec.policyTypes: expected a list of Ingress/Egress")
    ingress = _rules(spec.get("ingress"), "from", f"{where}: spec.ingress") if "Ingress" in types else None
    egress = _rules(spec.get("egress"), "to", f"{where}: spec.egress") if "Egress" in types else None
    if "podSelector" not in spec:
        raise InputError(f"{where}: spec.podSelector is required")
    return Policy(namespace, name, _selector(spec.get("podSelector"), f"{where}: spec.podSelector"), ingress, egress)
