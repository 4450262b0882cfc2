"""Cilium and Calico policy objects translated into the dataplane model's :class:`Policy`, so they add to
the Cilium policy-map estimate and the Calico rule and ipset figures. Plain dicts in; no SDK objects.

- **CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy** (cilium.io/v2): ``endpointSelector``; ingress and
  egress rules (and their ``ingressDeny``/``egressDeny`` forms, whose entries take map slots too) with
  ``fromEndpoints``/``toEndpoints``, ``fromCIDR``/``toCIDR``, ``fromCIDRSet``/``toCIDRSet`` with ``except``,
  ``fromEntities``/``toEntities`` as reserved identities, and ``toPorts`` ports (``ANY`` is TCP and UDP, as
  cilium ``pkg/policy/rule.go`` merges it; port ``0`` is every port). Cilium's rule shapes: a rule with only
  ports allows every peer on them; a rule with neither peers nor ports (``ingress: [{}]``) allows nothing but
  turns the direction's default deny on. Label keys lose their ``k8s:``/``any:`` source prefix;
  ``io.kubernetes.pod.namespace`` and ``io.cilium.k8s.namespace.labels.*`` select namespaces. A namespaced
  policy's peers without a namespace key stay in its namespace; a clusterwide policy's span every namespace.
- **Calico NetworkPolicy / GlobalNetworkPolicy** (crd.projectcalico.org/v1): ``selector``, ``namespaceSelector``,
  ``types`` (Calico's default when absent), rules with ``source``/``destination`` ``selector``,
  ``namespaceSelector``, ``nets`` and ``destination.ports``. Selector expressions: the common subset
  ``key == 'v'``, ``key != 'v'``, ``has(key)``, ``!has(key)``, ``key in {'a','b'}``, ``key not in {...}``,
  ``all()`` joined by ``&&``.

What is not modelled is never guessed: a selector outside the subset, an unknown entity, a host policy
(``nodeSelector``, ``preDNAT``, ``doNotTrack``) or a ``serviceAccountSelector`` makes the whole object "not
analysed" (with its reason); rule parts the model has no data for (L7 and DNS rules, ``toFQDNs``,
``toServices``, ``toGroups``, ``fromRequires``/``toRequires``, ``fromNodes``/``toNodes``, CIDR groups, ICMP,
Calico ``notNets``/``notSelector``/``notPorts``/``serviceAccounts``/``services``/``http``) are counted and
named. A rule whose peers are all unmodelled stays as a rule (Calico counts it) with no peers, so it adds no
policy-map entries.

The collector runs :func:`analyse_with_cni`: the translated policies are counted in the analysis's own
per-pod pass (:class:`~evaluator.dataplane.analysis.CniPolicies`), on its label groups, index, identities
and caches, Cilium's into the Cilium figures, Calico's into the Calico ones. A Cilium clusterwide policy stays
one policy whose selector is matched against the label groups of every namespace (an index over the label
keys those selectors name). A Calico GlobalNetworkPolicy becomes one policy per namespace holding a pod it
selects (never one per namespace of the cluster). :func:`add_cni_policies` (a pass per vendor over the
analysis's finished section: :func:`cilium_loads`, :func:`calico_section`) is the reference the tests and
``benchmarks/bench_dataplane_crds.py`` hold the one pass equal to.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from .analysis import (
    CILIUM_POLICY_MAP,
    DIRECTIONS,
    TOP,
    CniPolicies,
    Resolver,
    _stats,
    analyse,
    build_index,
    cidr_identities,
    histogram,
    identity_labels,
    largest_ipset,
)
from .analysis import (
    _cilium_ports as _map_ports,
)
from .model import ClusterModel, Peer, PodRecord, Policy, PortSpec, Requirement, Rule, Selector, canonical_cidr
from .selection import PodIndex

CILIUM_KEYS = ("ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io")
CALICO_KEYS = ("networkpolicies.crd.projectcalico.org", "globalnetworkpolicies.crd.projectcalico.org")
CLUSTERWIDE = {"ciliumclusterwidenetworkpolicies.cilium.io", "globalnetworkpolicies.crd.projectcalico.org"}
NS_NAME = "kubernetes.io/metadata.name"

# Cilium entities (Documentation/security/policy/language.rst "Entities Based") that are one reserved
# identity each. "cluster" is every local endpoint plus host, remote-node, init and unmanaged (the docs'
# definition); "all" is every peer (one wildcard entry).
_ENTITIES = {"host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged", "world",
             "world-ipv4", "world-ipv6"}  # fmt: skip
_CLUSTER_RESERVED = ("host", "remote-node", "init", "unmanaged")
_CILIUM_L3 = ("Endpoints", "CIDR", "CIDRSet", "Entities")
_CILIUM_UNMODELLED_L3 = ("FQDNs", "Services", "Groups", "Requires", "Nodes")


class Refused(Exception):
    """An object (or selector) outside what the translation models; the message says what."""


@dataclass
class Translation:
    """Policies translated for one dataplane, with what was left out."""

    objects: int = 0
    policies: list[Policy] = field(default_factory=list)
    # Cilium clusterwide policies: (policy, namespace selector or None), one each, selecting across namespaces
    clusterwide: list[tuple[Policy, Selector | None]] = field(default_factory=list)
    not_analysed: list[str] = field(default_factory=list)  # "kind ns/name: reason", the first few
    not_analysed_count: int = 0
    not_modelled: Counter[str] = field(default_factory=Counter)  # rule part -> how many times

    def refuse(self, where: str, reason: str) -> None:
        """Count an object the translation does not analyse."""
        self.not_analysed_count += 1
        if len(self.not_analysed) < 5:
            self.not_analysed.append(f"{where}: {reason}")

    def summary(self) -> dict[str, Any]:
        """The ``cni_policies`` entry of the dataplane section."""
        return {
            "objects": self.objects,
            "analysed": self.objects - self.not_analysed_count,
            "policies_added": len(self.policies) + len(self.clusterwide),
            "not_analysed": self.not_analysed_count,
            "not_analysed_examples": list(self.not_analysed),
            "not_modelled": dict(sorted(self.not_modelled.items())),
        }


# -- namespaces and pods the clusterwide kinds expand over ----------------------------------------------------


class _Scope:
    """The model's namespaces and distinct (namespace, labels) sets, to expand clusterwide policies."""

    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        seen: dict[tuple[str, int], dict[str, str]] = {}
        for pod in model.pods:
            seen.setdefault((pod.namespace, id(pod.labels)), pod.labels)
        self.label_sets = [(ns, labels) for (ns, _), labels in seen.items()]
        for ns, _ in self.label_sets:
            model.namespace_labels(ns)

    def namespaces_selecting(self, pods: Selector, namespaces: Selector | None) -> list[str]:
        """Namespaces (matching ``namespaces``) with at least one pod ``pods`` selects."""
        found = {ns for ns, labels in self.label_sets if pods.matches(labels)}
        if namespaces is not None:
            found = {ns for ns in found if namespaces.matches(self.model.namespace_labels(ns))}
        return sorted(found)


# -- Cilium ----------------------------------------------------------------------------------------------------

_NS_LABEL_PREFIX = "io.cilium.k8s.namespace.labels."
_OPERATORS = {"in": "In", "notin": "NotIn", "exists": "Exists", "doesnotexist": "DoesNotExist"}


def _cilium_key(key: str) -> str:
    source, sep, rest = key.partition(":")
    if sep and source in ("k8s", "any"):
        return rest
    if sep and source in ("reserved", "cidr", "fqdn", "unspec", "container"):
        raise Refused(f"label source {source!r} in selector key {key!r} is not modelled")
    return key


def _split_cilium(data: Any, where: str) -> tuple[Selector, Selector | None]:
    """A Cilium EndpointSelector -> (pod selector, namespace selector or None when it names no namespace)."""
    if data is None:
        return Selector(), None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a label selector object")
    pod_labels: list[tuple[str, str]] = []
    ns_labels: list[tuple[str, str]] = []
    pod_reqs: list[Requirement] = []
    ns_reqs: list[Requirement] = []
    labels = data.get("matchLabels") or {}
    if not isinstance(labels, dict):
        raise InputError(f"{where}.matchLabels: expected a mapping")
    exprs = data.get("matchExpressions") or []
    if not isinstance(exprs, list):
        raise InputError(f"{where}.matchExpressions: expected a list")

    def place(key: str) -> tuple[str, bool]:
        plain = _cilium_key(str(key))
        if plain == "io.kubernetes.pod.namespace":
            return NS_NAME, True
        if plain.startswith(_NS_LABEL_PREFIX):
            return plain[len(_NS_LABEL_PREFIX) :], True
        if plain.startswith("io.cilium.k8s.policy.") or plain.startswith("io.cilium."):
            raise Refused(f"selector key {key!r} (a Cilium-derived label) is not modelled")
        return plain, False

    for key, value in labels.items():
        plain, is_ns = place(key)
        (ns_labels if is_ns else pod_labels).append((plain, str(value)))
    for i, expr in enumerate(exprs):
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            raise InputError(f"{where}.matchExpressions[{i}]: expected an object with a key")
        # Cilium's own examples write operators in lower case (examples/policies/l3/match-expressions).
        op = _OPERATORS.get(str(expr.get("operator")).lower())
        if op is None:
            raise InputError(f"{where}.matchExpressions[{i}].operator: unknown operator {expr.get('operator')!r}")
        plain, is_ns = place(expr["key"])
        req = Requirement(plain, op, frozenset(str(v) for v in expr.get("values") or []))
        (ns_reqs if is_ns else pod_reqs).append(req)
    pods = Selector(tuple(sorted(pod_labels)), tuple(pod_reqs))
    ns = Selector(tuple(sorted(ns_labels)), tuple(ns_reqs)) if ns_labels or ns_reqs else None
    return pods, ns


def _cilium_ports(rule: dict[str, Any], where: str, notes: Counter[str]) -> tuple[PortSpec, ...] | None:
    """``toPorts`` -> port specs; None when the rule has no ports (every port)."""
    to_ports = rule.get("toPorts")
    if not to_ports:
        return None
    if not isinstance(to_ports, list):
        raise InputError(f"{where}.toPorts: expected a list")
    out: list[PortSpec] = []
    for i, entry in enumerate(to_ports):
        if not isinstance(entry, dict):
            raise InputError(f"{where}.toPorts[{i}]: expected an object")
        rules = entry.get("rules") or {}
        if isinstance(rules, dict):
            for kind in rules:
                notes["DNS rules" if kind == "dns" else f"L7 rules ({kind})"] += 1
        for extra in ("listener", "serverNames", "originatingTLS", "terminatingTLS"):
            if entry.get(extra):
                notes[f"toPorts.{extra}"] += 1
        for j, port in enumerate(entry.get("ports") or []):
            if not isinstance(port, dict):
                raise InputError(f"{where}.toPorts[{i}].ports[{j}]: expected an object")
            protocol = str(port.get("protocol") or "ANY").upper()
            if protocol not in ("TCP", "UDP", "SCTP", "ANY"):
                notes[f"protocol {protocol}"] += 1
                continue
            raw = port.get("port")
            end = port.get("endPort")
            number: int | None = None
            name: str | None = None
            if raw is not None and str(raw) != "0":
                text = str(raw)
                if text.isdigit():
                    number = int(text)
                else:
                    name = text
            if end is not None and not isinstance(end, int):
                raise InputError(f"{where}.toPorts[{i}].ports[{j}].endPort: expected an integer")
            for proto in ("TCP", "UDP") if protocol == "ANY" else (protocol,):
                out.append(PortSpec(proto, number=number, name=name, end_port=end if number is not None else None))
    return tuple(out)


def _cilium_rule(rule: Any, side: str, where: str, clusterwide: bool, notes: Counter[str]) -> Rule | None:
    """One Cilium rule (``side`` "from" or "to") -> a model :class:`Rule`; None for an empty rule."""
    if rule is None:
        rule = {}
    if not isinstance(rule, dict):
        raise InputError(f"{where}: expected a rule object")
    peers: list[Peer] = []
    wildcard = False
    modelled = False
    for sel_i, sel in enumerate(rule.get(f"{side}Endpoints") or []):
        modelled = True
        pods, ns = _split_cilium(sel, f"{where}.{side}Endpoints[{sel_i}]")
        if ns is None and clusterwide:
            ns = Selector()
        peers.append(Peer(pods=pods, namespaces=ns))
    for cidr in rule.get(f"{side}CIDR") or []:
        modelled = True
        peers.append(Peer(cidr=canonical_cidr(cidr, f"{where}.{side}CIDR")))
    for k, block in enumerate(rule.get(f"{side}CIDRSet") or []):
        if not isinstance(block, dict):
            raise InputError(f"{where}.{side}CIDRSet[{k}]: expected an object")
        if "cidr" not in block:
            notes["CIDR groups (cidrGroupRef)"] += 1
            continue
        modelled = True
        excepts = tuple(canonical_cidr(e, f"{where}.{side}CIDRSet[{k}].except") for e in block.get("except") or [])
        peers.append(Peer(cidr=canonical_cidr(block["cidr"], f"{where}.{side}CIDRSet[{k}].cidr"), excepts=excepts))
    for entity in rule.get(f"{side}Entities") or []:
        modelled = True
        name = str(entity)
        if name == "all":
            wildcard = True
        elif name == "cluster":
            peers.append(Peer(pods=Selector(), namespaces=Selector()))
            peers.extend(Peer(entity=e) for e in _CLUSTER_RESERVED)
        elif name in _ENTITIES:
            peers.append(Peer(entity=name))
        else:
            raise Refused(f"unknown entity {name!r}")
    unmodelled = [k for k in _CILIUM_UNMODELLED_L3 if rule.get(f"{side}{k}")]
    for k in unmodelled:
        notes[f"{side}{k}"] += 1
    if rule.get("icmps"):
        notes["icmps"] += 1
    if rule.get("authentication"):
        notes["authentication"] += 1
    ports = _cilium_ports(rule, where, notes)
    if wildcard:
        return Rule(None, ports or ())
    if modelled:
        return Rule(tuple(sorted(set(peers), key=repr)), ports or ())
    if unmodelled or rule.get("icmps"):
        return Rule((), ports or ())  # counted, but its peers are not known here
    if ports is not None:
        return Rule(None, ports)  # ports only: every peer on those ports
    return None  # ingress: [{}]: default deny, no entry


def _cilium_spec(
    spec: Any, where: str, clusterwide: bool, notes: Counter[str]
) -> tuple[Selector, Selector | None, tuple[Rule, ...] | None, tuple[Rule, ...] | None]:
    if not isinstance(spec, dict):
        raise InputError(f"{where}: spec: expected an object")
    if spec.get("nodeSelector") is not None:
        raise Refused("host policy (nodeSelector): host endpoints are not modelled")
    if "endpointSelector" not in spec:
        raise InputError(f"{where}: spec.endpointSelector is required")
    pods, ns = _split_cilium(spec.get("endpointSelector"), f"{where}: spec.endpointSelector")
    out: dict[str, tuple[Rule, ...] | None] = {}
    for direction, side in (("ingress", "from"), ("egress", "to")):
        present = False
        rules: list[Rule] = []
        for key in (direction, f"{direction}Deny"):
            if key not in spec:
                continue
            present = True
            raw = spec.get(key) or []
            if not isinstance(raw, list):
                raise InputError(f"{where}: spec.{key}: expected a list of rules")
            for i, r in enumerate(raw):
                got = _cilium_rule(r, side, f"{where}: spec.{key}[{i}]", clusterwide, notes)
                if got is not None:
                    rules.append(got)
        out[direction] = tuple(rules) if present else None
    return pods, ns, out["ingress"], out["egress"]


def _refuse(out: Translation, where: str, exc: Refused | InputError, strict: bool) -> None:
    """An object the model cannot take: counted as not analysed, or (``strict``, a planned file) a shape error
    raised again for exit 2."""
    if strict and isinstance(exc, InputError):
        raise exc
    out.refuse(where, exc.message if isinstance(exc, InputError) else str(exc))


def translate_cilium(objects: list[dict[str, Any]], kind_key: str, model: ClusterModel,
                     into: Translation | None = None, strict: bool = False) -> Translation:  # fmt: skip
    """CiliumNetworkPolicy (or, for ``kind_key`` of the clusterwide kind, CiliumClusterwideNetworkPolicy)
    dicts -> policies. Bad objects are counted as not analysed, never raised; with ``strict`` (planned files,
    which must be valid) an object of invalid shape raises :class:`InputError`, and only what the model does not
    cover is counted as not analysed."""
    out = into or Translation()
    clusterwide = kind_key in CLUSTERWIDE
    for obj in objects:
        out.objects += 1
        meta = (obj or {}).get("metadata") or {}
        name = str(meta.get("name") or "")
        namespace = str(meta.get("namespace") or "")
        where = f"{'CiliumClusterwideNetworkPolicy' if clusterwide else 'CiliumNetworkPolicy'} " + (
            name if clusterwide else f"{namespace}/{name}"
        )
        specs = []
        if obj.get("spec") is not None:
            specs.append(obj["spec"])
        specs.extend(obj.get("specs") or [])
        notes: Counter[str] = Counter()
        try:
            if not name or (not clusterwide and not namespace):
                raise InputError(f"{where}: metadata.name (and namespace) are required")
            if not specs:
                raise InputError(f"{where}: no spec or specs")
            made: list[Policy] = []
            wide: list[tuple[Policy, Selector | None]] = []
            for s, spec in enumerate(specs):
                label = name if len(specs) == 1 else f"{name}[{s}]"
                pods, ns_sel, ingress, egress = _cilium_spec(spec, where, clusterwide, notes)
                if clusterwide:
                    wide.append((Policy("", f"ccnp:{label}", pods, ingress, egress), ns_sel))
                elif ns_sel is None or ns_sel.matches(model.namespace_labels(namespace)):
                    made.append(Policy(namespace, label, pods, ingress, egress))
                # else: the selector names another namespace, so the policy selects nothing
        except (Refused, InputError) as exc:
            _refuse(out, where, exc, strict)
            continue
        out.policies.extend(made)
        out.clusterwide.extend(wide)
        out.not_modelled.update(notes)
    return out


# -- Calico selectors ------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!=|!|\(|\)|\{|\}|,)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<word>[A-Za-z0-9_./-]+))"
)
_WORD = re.compile(r"[A-Za-z0-9_./-]+")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Refused(f"selector {text!r}: cannot read {text[pos : pos + 12]!r}")
        out.append(m.group(0).strip())
        pos = m.end()
    return out


def parse_calico_selector(text: Any) -> list[Requirement]:
    """A Calico selector in the supported subset -> requirements (all must hold); ``all()`` or empty -> [].

    Raises :class:`Refused` for anything else (``||``, parentheses around terms, ``contains``,
    ``starts with``, ``global()``, ...): those selectors are counted as not analysed, never guessed.
    """
    if text is None:
        return []
    if not isinstance(text, str):
        raise Refused(f"selector {text!r} is not a string")
    toks = _tokens(text)
    if not toks:
        return []
    reqs: list[Requirement] = []
    i = 0

    def string(tok: str) -> str:
        if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "'\"":
            return tok[1:-1]
        raise Refused(f"selector {text!r}: expected a quoted value, got {tok!r}")

    def take(expected: str) -> None:
        nonlocal i
        if i >= len(toks) or toks[i] != expected:
            raise Refused(f"selector {text!r}: expected {expected!r}")
        i += 1

    while True:
        if i >= len(toks):
            raise Refused(f"selector {text!r}: ends after '&&'")
        tok = toks[i]
        if tok == "all" and toks[i + 1 : i + 3] == ["(", ")"]:
            i += 3
        elif tok in ("has", "!"):
            negate = tok == "!"
            i += 1 if negate else 0
            if toks[i : i + 2] != ["has", "("] or i + 2 >= len(toks) or not _WORD.fullmatch(toks[i + 2]):
                raise Refused(f"selector {text!r}: only has(key) and !has(key) are modelled after '!'")
            key = toks[i + 2]
            i += 3
            take(")")
            reqs.append(Requirement(key, "DoesNotExist" if negate else "Exists"))
        elif _WORD.fullmatch(tok):
            key = tok
            i += 1
            op = toks[i] if i < len(toks) else ""
            if op in ("==", "!="):
                value = string(toks[i + 1]) if i + 1 < len(toks) else string("")
                i += 2
                reqs.append(Requirement(key, "In" if op == "==" else "NotIn", frozenset({value})))
            elif op == "in" or (op == "not" and toks[i + 1 : i + 2] == ["in"]):
                i += 1 if op == "in" else 2
                take("{")
                values: set[str] = set()
                while i < len(toks) and toks[i] != "}":
                    values.add(string(toks[i]))
                    i += 1
                    if i < len(toks) and toks[i] == ",":
                        i += 1
                take("}")
                reqs.append(Requirement(key, "In" if op == "in" else "NotIn", frozenset(values)))
            else:
                raise Refused(f"selector {text!r}: operator {op!r} after {key!r} is not modelled")
        else:
            raise Refused(f"selector {text!r}: {tok!r} is not modelled")
        if i == len(toks):
            return reqs
        if toks[i] != "&&":
            raise Refused(f"selector {text!r}: {toks[i]!r} is not modelled (only '&&' joins terms)")
        i += 1


def _calico_selector(text: Any, for_namespaces: bool) -> tuple[Selector, Selector | None]:
    """(pod selector, namespace selector or None); for a namespaceSelector the first is the namespaces'."""
    pods: list[Requirement] = []
    ns: list[Requirement] = []
    for req in parse_calico_selector(text):
        key = req.key
        if for_namespaces and key == "projectcalico.org/name":
            pods.append(replace(req, key=NS_NAME))
        elif not for_namespaces and key == "projectcalico.org/namespace":
            ns.append(replace(req, key=NS_NAME))
        elif key.startswith(("projectcalico.org/", "pcns.", "pcsa.")):
            raise Refused(f"selector key {key!r} (a Calico-derived label) is not modelled")
        else:
            pods.append(req)
    match = tuple(sorted((r.key, next(iter(r.values))) for r in pods if r.operator == "In" and len(r.values) == 1))
    rest = tuple(r for r in pods if not (r.operator == "In" and len(r.values) == 1))
    return Selector(match, rest), (Selector((), tuple(ns)) if ns else None)


def _calico_ports(raw: Any, protocol: Any, where: str, notes: Counter[str]) -> tuple[PortSpec, ...]:
    if not raw:
        return ()
    proto = str(protocol or "").upper()
    if proto not in ("TCP", "UDP", "SCTP"):
        notes[f"ports with protocol {protocol!r}"] += 1
        return ()
    out: list[PortSpec] = []
    for port in raw:
        if isinstance(port, int) and not isinstance(port, bool):
            out.append(PortSpec(proto, number=port))
        elif isinstance(port, str) and re.fullmatch(r"\d+:\d+", port):
            lo, hi = (int(p) for p in port.split(":"))
            out.append(PortSpec(proto, number=lo, end_port=hi))
        elif isinstance(port, str) and port.isdigit():
            out.append(PortSpec(proto, number=int(port)))
        elif isinstance(port, str) and port:
            out.append(PortSpec(proto, name=port))
        else:
            raise InputError(f"{where}: port {port!r} is not a number, range or name")
    return tuple(out)


_CALICO_UNMODELLED = ("notNets", "notSelector", "notPorts", "serviceAccounts", "services")


def _calico_rule(rule: Any, direction: str, where: str, clusterwide: bool, notes: Counter[str]) -> Rule:
    if not isinstance(rule, dict):
        raise InputError(f"{where}: expected a rule object")
    peer_side = rule.get("source" if direction == "ingress" else "destination") or {}
    dest = rule.get("destination") or {}
    if not isinstance(peer_side, dict) or not isinstance(dest, dict):
        raise InputError(f"{where}: source and destination must be objects")
    for side_name, side in (("source", rule.get("source") or {}), ("destination", dest)):
        for k in _CALICO_UNMODELLED:
            if side.get(k):
                notes[f"{side_name}.{k}"] += 1
    if (rule.get("source") or {}).get("ports"):
        notes["source.ports"] += 1
    for k in ("http", "icmp", "notICMP", "notProtocol"):
        if rule.get(k):
            notes[k] += 1
    ports = _calico_ports(dest.get("ports"), rule.get("protocol"), where, notes)
    has_sel = "selector" in peer_side or "namespaceSelector" in peer_side
    nets = peer_side.get("nets") or []
    if has_sel and nets:
        notes["selector with nets"] += 1
        return Rule((), ports)
    if nets:
        return Rule(tuple(Peer(cidr=canonical_cidr(n, f"{where}.nets")) for n in nets), ports)
    if has_sel:
        pods, ns = _calico_selector(peer_side.get("selector"), False)
        if "namespaceSelector" in peer_side:
            ns_text = peer_side.get("namespaceSelector")
            if isinstance(ns_text, str) and ns_text.strip().startswith("global("):
                notes["namespaceSelector global()"] += 1
                return Rule((), ports)
            ns_pods, _ = _calico_selector(ns_text, True)
            ns = ns_pods if ns is None else Selector(ns_pods.match_labels, ns_pods.expressions + ns.expressions)
        elif ns is None and clusterwide:
            ns = Selector()
        return Rule((Peer(pods=pods, namespaces=ns),), ports)
    if any(peer_side.get(k) for k in _CALICO_UNMODELLED):
        return Rule((), ports)  # only negated or account matches: counted, peers not known here
    return Rule(None, ports)


def translate_calico(objects: list[dict[str, Any]], kind_key: str, model: ClusterModel,
                     into: Translation | None = None, strict: bool = False) -> Translation:  # fmt: skip
    """Calico NetworkPolicy (or GlobalNetworkPolicy for the global ``kind_key``) dicts -> policies
    (``strict``: as for :func:`translate_cilium`)."""
    out = into or Translation()
    clusterwide = kind_key in CLUSTERWIDE
    scope = _Scope(model) if clusterwide else None
    for obj in objects:
        out.objects += 1
        meta = (obj or {}).get("metadata") or {}
        name = str(meta.get("name") or "")
        namespace = str(meta.get("namespace") or "")
        where = ("GlobalNetworkPolicy " + name) if clusterwide else f"NetworkPolicy (Calico) {namespace}/{name}"
        notes: Counter[str] = Counter()
        try:
            spec = obj.get("spec")
            if not name or (not clusterwide and not namespace) or not isinstance(spec, dict):
                raise InputError(f"{where}: metadata.name (and namespace) and spec are required")
            for flag in ("preDNAT", "doNotTrack"):
                if spec.get(flag):
                    raise Refused(f"{flag}: host endpoint policy, not modelled")
            if spec.get("serviceAccountSelector"):
                raise Refused("serviceAccountSelector: service accounts are not collected")
            pods, ns_sel = _calico_selector(spec.get("selector"), False)
            if spec.get("namespaceSelector"):
                ns_pods, _ = _calico_selector(spec.get("namespaceSelector"), True)
                ns_sel = ns_pods if ns_sel is None else Selector(
                    ns_pods.match_labels, ns_pods.expressions + ns_sel.expressions)  # fmt: skip
            raw_in, raw_eg = spec.get("ingress") or [], spec.get("egress") or []
            if not isinstance(raw_in, list) or not isinstance(raw_eg, list):
                raise InputError(f"{where}: spec.ingress and spec.egress must be lists")
            types = spec.get("types")
            if types is None:  # Calico's default
                types = (["Ingress"] if raw_in or not raw_eg else []) + (["Egress"] if raw_eg else [])
            types = [str(t).capitalize() for t in types]
            ingress = tuple(_calico_rule(r, "ingress", f"{where}: spec.ingress[{i}]", clusterwide, notes)
                            for i, r in enumerate(raw_in)) if "Ingress" in types else None  # fmt: skip
            egress = tuple(_calico_rule(r, "egress", f"{where}: spec.egress[{i}]", clusterwide, notes)
                           for i, r in enumerate(raw_eg)) if "Egress" in types else None  # fmt: skip
            if scope is None:
                keep = ns_sel is None or ns_sel.matches(model.namespace_labels(namespace))
                made = [Policy(namespace, name, pods, ingress, egress)] if keep else []
            else:
                made = [Policy(ns, f"gnp:{name}", pods, ingress, egress)
                        for ns in scope.namespaces_selecting(pods, ns_sel)]  # fmt: skip
        except (Refused, InputError) as exc:
            _refuse(out, where, exc, strict)
            continue
        out.policies.extend(made)
        out.not_modelled.update(notes)
    return out


# -- adding them to the analysis --------------------------------------------------------------------------------


def translate(objects: dict[str, list[dict[str, Any]]], model: ClusterModel) -> dict[str, Translation]:
    """``{resource key: [object dicts]}`` -> ``{"cilium": ..., "calico": ...}`` (only the vendors listed)."""
    out: dict[str, Translation] = {}
    for key in CILIUM_KEYS:
        if key in objects:
            out["cilium"] = translate_cilium(objects[key], key, model, out.get("cilium"))
    for key in CALICO_KEYS:
        if key in objects:
            out["calico"] = translate_calico(objects[key], key, model, out.get("calico"))
    return out


def add_cni_policies(section: dict[str, Any], model: ClusterModel, translated: dict[str, Translation],
                     top: int = TOP) -> dict[str, Any]:  # fmt: skip
    """The dataplane ``section`` of ``model`` (Kubernetes NetworkPolicies only) with the translated Cilium
    policies added to the Cilium figures and the Calico ones to the Calico figures; EKS figures unchanged
    (the VPC CNI agent enforces Kubernetes NetworkPolicy only). Adds ``cni_policies``."""
    out = dict(section)
    out["cni_policies"] = {vendor: t.summary() for vendor, t in sorted(translated.items())}
    cilium = translated.get("cilium")
    if cilium is not None and (cilium.policies or cilium.clusterwide):
        out.update(_with_cilium(section, model, cilium, top))
    calico = translated.get("calico")
    if calico is not None and calico.policies:
        out["calico"] = calico_section(replace(model, policies=model.policies + calico.policies))
    return out


def calico_section(model: ClusterModel) -> dict[str, Any]:
    """The ``calico`` part of :func:`~evaluator.dataplane.analysis.analyse` for ``model`` (the same figures,
    computed the same way), without the EKS and Cilium work the full analysis does."""
    index, targets = build_index(model)
    resolver = Resolver(index, model.policies, targets)
    node_policies: dict[str, set[int]] = defaultdict(set)
    for pid, gids in enumerate(targets):
        for gid in gids:
            for pod in index.groups[gid].pods:
                node_policies[pod.node].add(pid)
    rules_of = [len(p.ingress or ()) + len(p.egress or ()) + (p.ingress is not None) + (p.egress is not None)
                for p in model.policies]  # fmt: skip
    analysed_nodes = {p.node for g in index.groups if not g.host_network for p in g.pods if p.ip}
    node_names = sorted(set(model.nodes) | analysed_nodes)
    ipset, ipset_peer = largest_ipset(model.policies, resolver, index)
    return {
        "max_ipset_members": ipset,
        "max_ipset_peer": ipset_peer,
        "policies_per_node": _stats([len(node_policies.get(n, ())) for n in node_names]),
        "rules_per_node": _stats([sum(rules_of[pid] for pid in node_policies.get(n, ())) for n in node_names]),
    }


@dataclass(slots=True)
class CiliumLoad:
    """One pod endpoint's estimated policy-map entries and the policies selecting it."""

    pod: PodRecord
    entries: int
    policies: tuple[int, ...]


def cilium_policies(cilium: Translation) -> list[Policy]:
    """The translated Cilium policies in analysis order: namespaced, then clusterwide."""
    return cilium.policies + [p for p, _ in cilium.clusterwide]


def cilium_targets(index: PodIndex, cilium: Translation) -> list[list[int]]:
    """Target groups of :func:`cilium_policies`, in that order. Clusterwide policies select in every
    namespace (that their namespace selector admits) at once."""
    targets = [index.select(p.namespace, p.pod_selector) for p in cilium.policies]
    # Label pairs over every namespace, so a clusterwide matchLabels is an intersection; only the keys those
    # selectors name are indexed (a pair per pod-template-hash would be a list per ReplicaSet).
    keys = {k for policy, _ in cilium.clusterwide for k, _ in policy.pod_selector.match_labels}
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    if keys:
        for g in index.groups:
            for k in keys:
                v = g.labels.get(k)
                if v is not None:
                    by_pair[(k, v)].append(g.gid)
    model = index.model
    for policy, ns_sel in cilium.clusterwide:
        selector = policy.pod_selector
        candidates: Any = range(len(index.groups))
        if selector.match_labels:
            lists = sorted((by_pair.get(pair, []) for pair in selector.match_labels), key=len)
            candidates = sorted(set(lists[0]).intersection(*lists[1:]))
        if selector.match_labels and not selector.expressions and ns_sel is None:
            targets.append(list(candidates))  # the index already matched every pair
            continue
        groups = [index.groups[gid] for gid in candidates]
        targets.append([g.gid for g in groups if selector.matches(g.labels)
                        and (ns_sel is None or ns_sel.matches(model.namespace_labels(g.namespace)))])  # fmt: skip
    return targets


def analyse_with_cni(model: ClusterModel, translated: dict[str, Translation], top: int = TOP) -> dict[str, Any]:
    """The dataplane section of ``model`` with the translated Cilium and Calico policies added, in one pass:
    equal to ``add_cni_policies(analyse(model), model, translated)`` (the tests hold it to that), without a
    second grouping, selection and identity pass per vendor."""
    cilium, calico = translated.get("cilium"), translated.get("calico")
    extra = CniPolicies(
        cilium=cilium_policies(cilium) if cilium is not None else [],
        cilium_targets=(lambda index: cilium_targets(index, cilium)) if cilium is not None else None,
        calico=list(calico.policies) if calico is not None else [],
    )
    section = analyse(model, top, extra)
    section["cni_policies"] = {vendor: t.summary() for vendor, t in sorted(translated.items())}
    return section


def cilium_loads(model: ClusterModel, cilium: Translation) -> tuple[list[CiliumLoad], list[Policy]]:
    """Policy-map entries per pod endpoint for ``model``'s Kubernetes NetworkPolicies plus the translated Cilium
    policies, counted as :func:`~evaluator.dataplane.analysis.pod_loads` counts Cilium entries (distinct
    identity, protocol and port per direction, summed over both), without its EKS pass. Clusterwide policies
    select label groups in every namespace at once. Returns the loads and the policy list their ids index."""
    policies = model.policies + cilium_policies(cilium)
    index = PodIndex(model)
    targets = [index.select(p.namespace, p.pod_selector) for p in model.policies] + cilium_targets(index, cilium)
    resolver = Resolver(index, policies, targets)
    selecting: dict[str, dict[int, list[int]]] = {d: defaultdict(list) for d in DIRECTIONS}
    for pid, gids in enumerate(targets):
        for d in DIRECTIONS:
            if policies[pid].rules(d) is not None:
                for gid in gids:
                    selecting[d][gid].append(pid)
    identity_of: dict[int, Any] = {}
    ns_key: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for g in index.groups:
        nk = ns_key.get(g.namespace)
        if nk is None:
            nk = ns_key[g.namespace] = (g.namespace, tuple(sorted(model.namespace_labels(g.namespace).items())))
        identity_of[g.gid] = "reserved:host" if g.host_network else (nk, identity_labels(g.labels))
    ready = {g.gid for g in index.groups if any(p.ip for p in g.pods)}
    peer_ids: dict[tuple[str, Peer], frozenset[Any]] = {}
    rule_ids: dict[tuple[int, str, int], list[frozenset[Any]]] = {}

    def ids_of_rule(pid: int, d: str, r: int, rule: Rule) -> list[frozenset[Any]]:
        got = rule_ids.get((pid, d, r))
        if got is None:
            namespace = policies[pid].namespace
            got = []
            if rule.peers is None:
                got.append(frozenset({"*"}))
            for peer in rule.peers or ():
                if peer.cidr is not None:
                    got.append(cidr_identities(peer.cidr, peer.excepts))
                elif peer.entity is not None:
                    got.append(frozenset({"reserved:" + peer.entity}))
                else:
                    key = (namespace if peer.namespaces is None else "", peer)
                    ids = peer_ids.get(key)
                    if ids is None:
                        gids = resolver.peer_groups(namespace, peer)
                        ids = peer_ids[key] = frozenset(identity_of[g] for g in gids if g in ready)
                    got.append(ids)
            rule_ids[(pid, d, r)] = got
        return got

    cache: dict[tuple[str, tuple[int, ...]], int] = {}

    def entries(d: str, pids: tuple[int, ...]) -> int:
        got = cache.get((d, pids))
        if got is None:
            by_port: dict[tuple[str, Any, int], list[frozenset[Any]]] = defaultdict(list)
            for pid in pids:
                for r, rule in enumerate(policies[pid].rules(d) or ()):
                    sets = ids_of_rule(pid, d, r, rule)
                    for port in _map_ports(rule.ports):
                        by_port[port].extend(sets)
            got = cache[(d, pids)] = sum(
                len(sets[0]) if len(sets) == 1 else len(frozenset().union(*sets)) for sets in by_port.values()
            )
        return got

    out: list[CiliumLoad] = []
    for g in index.groups:
        if g.host_network:
            continue
        per_dir = [tuple(selecting[d].get(g.gid, ())) for d in DIRECTIONS]
        value = sum(entries(d, pids) for d, pids in zip(DIRECTIONS, per_dir, strict=True) if pids)
        selected = tuple(sorted(set(per_dir[0]) | set(per_dir[1])))
        out.extend(CiliumLoad(pod, value, selected) for pod in g.pods if pod.ip)
    return out, policies


def _with_cilium(section: dict[str, Any], model: ClusterModel, cilium: Translation, top: int) -> dict[str, Any]:
    """The ``cilium`` and ``nodes`` parts recomputed with the Cilium policies added."""
    loads, policies = cilium_loads(model, cilium)
    values = [load.entries for load in loads]
    node_cil: Counter[str] = Counter()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for load in loads:
        pod = load.pod
        node_cil[pod.node] += load.entries
        if not load.entries:
            continue
        key = (pod.namespace, pod.workload)
        row = rows.get(key)
        if row is None or load.entries > row["value"]:
            refs = sorted({f"{pod.namespace}/{policies[i].name}" if not policies[i].namespace else policies[i].ref
                           for i in load.policies})  # fmt: skip
            rows[key] = {"namespace": pod.namespace, "workload": key[1], "pod": pod.name, "node": pod.node,
                         "value": load.entries, "pods": 1, "policies": refs[:8],
                         "policy_count": len(load.policies)}  # fmt: skip
        elif load.entries == row["value"]:
            row["pods"] += 1
    cil = dict(section.get("cilium") or {})
    cil.update({
        "policy_map_entries": _stats(values),
        "pods_over_policy_map": sum(1 for v in values if v > CILIUM_POLICY_MAP),
        "histogram": histogram(values),
        "top": sorted(rows.values(), key=lambda r: (-r["value"], r["namespace"], r["workload"]))[:top],
    })  # fmt: skip
    nodes = dict(section.get("nodes") or {})
    names = sorted(set(model.nodes) | set(node_cil))
    nodes["cilium_entries"] = _stats([node_cil[n] for n in names])
    nodes["busiest"] = [dict(row, cilium_entries=node_cil[row["node"]]) for row in nodes.get("busiest") or []]
    return {"cilium": cil, "nodes": nodes}


__all__ = ["CiliumLoad", "Refused", "Translation", "add_cni_policies", "analyse_with_cni", "calico_section",
           "cilium_loads", "cilium_policies", "cilium_targets",
           "parse_calico_selector", "translate", "translate_calico", "translate_cilium"]  # fmt: skip
