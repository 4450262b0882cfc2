"""Rollout what-if: planned policies added to a measured cluster's policy model.

Planned files hold Kubernetes NetworkPolicies and the CNIs' own kinds: CiliumNetworkPolicy and
CiliumClusterwideNetworkPolicy (cilium.io/v2), Calico NetworkPolicy and GlobalNetworkPolicy
(crd.projectcalico.org/v1 or projectcalico.org/v3). The CNI kinds go where collected ones go
(:mod:`~evaluator.dataplane.crds`): into the Cilium or the Calico figures, never the EKS ones, as the VPC CNI
agent enforces Kubernetes NetworkPolicy only.

The snapshot keeps a compact model (``network_policies.policy_model``: namespace labels, pod label groups with
their pod counts and IP range, the policies, and the collected Cilium/Calico policy objects) when collected with
``--policy-model``; never a per-pod table. Pods are rebuilt from it with IPs spread over each group's measured
range, so a what-if compares the model before and after the planned policies (the node-IP key adjustment and
exact IP placement are not kept).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..fileio import YamlBomb, safe_load_all_yaml
from .analysis import analyse
from .crds import CALICO_KEYS, CLUSTERWIDE, analyse_with_cni, translate, translate_calico, translate_cilium
from .model import ClusterModel, PodRecord, Policy, PortSpec, Rule, Selector, parse_policy
from .selection import PodIndex

MODEL_VERSION = 1
PLANNED_SUFFIXES = (".yaml", ".yml", ".json")
NETPOL_KEY = "networkpolicies.networking.k8s.io"
# (apiVersion, kind) of the CNI policy documents a planned file may hold -> the resource key crds.py reads.
# Calico's projectcalico.org/v3 API (calicoctl, the Calico API server) stores the same spec as the v1 CRDs.
CNI_KINDS = {
    ("cilium.io/v2", "CiliumNetworkPolicy"): "ciliumnetworkpolicies.cilium.io",
    ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicies.cilium.io",
    ("crd.projectcalico.org/v1", "NetworkPolicy"): "networkpolicies.crd.projectcalico.org",
    ("crd.projectcalico.org/v1", "GlobalNetworkPolicy"): "globalnetworkpolicies.crd.projectcalico.org",
    ("projectcalico.org/v3", "NetworkPolicy"): "networkpolicies.crd.projectcalico.org",
    ("projectcalico.org/v3", "GlobalNetworkPolicy"): "globalnetworkpolicies.crd.projectcalico.org",
}
# How a what-if names each planned kind to a reader.
KIND_LABELS = {
    NETPOL_KEY: "NetworkPolicy",
    "ciliumnetworkpolicies.cilium.io": "CiliumNetworkPolicy",
    "ciliumclusterwidenetworkpolicies.cilium.io": "CiliumClusterwideNetworkPolicy",
    "networkpolicies.crd.projectcalico.org": "Calico NetworkPolicy",
    "globalnetworkpolicies.crd.projectcalico.org": "Calico GlobalNetworkPolicy",
}
KNOWN_KINDS = (
    "NetworkPolicy (Kubernetes or Calico), CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy or GlobalNetworkPolicy"
)


@dataclass
class PlannedPolicies:
    """What a planned file or folder holds: Kubernetes NetworkPolicies, and CNI policy objects by resource key
    (kept as collected ones are: metadata name/namespace and spec or specs)."""

    policies: list[Policy] = field(default_factory=list)
    cni: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.policies) + sum(len(v) for v in self.cni.values())

    def by_kind(self) -> dict[str, int]:
        """Planned documents per resource key."""
        counts = {NETPOL_KEY: len(self.policies)} if self.policies else {}
        return counts | {k: len(v) for k, v in sorted(self.cni.items())}


# -- planned policy files ------------------------------------------------------------------------------------


def planned_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files of ``path``: the file itself, or a folder's YAML/JSON files in name order (not recursive)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in PLANNED_SUFFIXES)
        if not files:
            raise InputError(f"{p}: no .yaml, .yml or .json files with planned NetworkPolicies")
        return files
    if not p.is_file():
        raise InputError(f"{p}: no such file or folder")
    return [p]


def load_planned(path: str | os.PathLike[str]) -> PlannedPolicies:
    """Every planned policy in ``path`` (multi-document YAML, ``kind: List``, a folder of files): Kubernetes
    NetworkPolicies, and Cilium and Calico policy objects.

    A document of another kind, or of invalid shape, raises :class:`InputError` naming the file and the document
    index (1-based).
    """
    out = PlannedPolicies()
    for file in planned_files(path):
        for where, item in _documents(file):
            _add_planned(out, item, where)
    return out


def _documents(file: Path) -> list[tuple[str, Any]]:
    """(where, document) of every non-empty document of ``file``, a ``kind: List`` opened into its items."""
    try:
        docs = safe_load_all_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read: {exc}") from None
    except YamlBomb as exc:
        raise InputError(f"{file}: {exc}") from None
    except RecursionError:
        raise InputError(f"{file}: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{file}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    out: list[tuple[str, Any]] = []
    for i, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        where = f"{file}: document {i}"
        items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
        if not isinstance(items, list):
            raise InputError(f"{where}: a List needs items")
        for j, item in enumerate(items):
            out.append((where if len(items) == 1 and item is doc else f"{where} item {j + 1}", item))
    return out


def _add_planned(out: PlannedPolicies, item: Any, where: str) -> None:
    """One planned document into ``out``: parsed (NetworkPolicy) or checked (CNI kinds), else InputError."""
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected a {KNOWN_KINDS}, got {type(item).__name__!r}")
    kind, api = item.get("kind"), item.get("apiVersion")
    key = CNI_KINDS.get((api, kind)) if isinstance(api, str) and isinstance(kind, str) else None
    if key is not None:
        out.cni.setdefault(key, []).append(_checked_cni(item, key, where))
        return
    if kind == "NetworkPolicy":
        if api != "networking.k8s.io/v1":
            raise InputError(
                f"{where}: expected apiVersion networking.k8s.io/v1 (or crd.projectcalico.org/v1, "
                f"projectcalico.org/v3 for a Calico NetworkPolicy), got {api!r}"
            )
        out.policies.append(parse_policy(item, where))
        return
    if kind in {k for _, k in CNI_KINDS}:
        apis = sorted(a for a, k in CNI_KINDS if k == kind)
        raise InputError(f"{where}: expected apiVersion {' or '.join(apis)} for {kind}, got {api!r}")
    raise InputError(f"{where}: expected a {KNOWN_KINDS}, got kind {kind!r}")


def _checked_cni(item: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """A planned Cilium or Calico object kept as collected ones are, after the same translation the analysis
    runs (on an empty model, strict), so a shape error is exit 2 here rather than a silent not-analysed."""
    meta = item.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise InputError(f"{where}: metadata.name is required")
    kept: dict[str, Any] = {"metadata": {"name": str(meta["name"])}}
    if key not in CLUSTERWIDE:  # namespaced: as kubectl apply without -n, the default namespace
        kept["metadata"]["namespace"] = str(meta.get("namespace") or "default")
    kept.update({k: item[k] for k in ("spec", "specs") if k in item})
    check = translate_calico if key in CALICO_KEYS else translate_cilium
    try:
        check([kept], key, ClusterModel(), strict=True)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None
    return kept


def apply_planned(model: ClusterModel, planned: list[Policy]) -> ClusterModel:
    """A copy of ``model`` with ``planned`` added; a planned policy replaces a measured one of the same name."""
    names = {(p.namespace, p.name) for p in planned}
    kept = [p for p in model.policies if (p.namespace, p.name) not in names]
    return ClusterModel(
        pods=model.pods,
        namespaces=dict(model.namespaces),
        nodes=model.nodes,
        policies=kept + list(planned),
        named_ports_known=model.named_ports_known,
    )


# -- the compact model in the snapshot -------------------------------------------------------------------------


def _selector_data(sel: Selector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if sel.match_labels:
        out["matchLabels"] = dict(sel.match_labels)
    if sel.expressions:
        out["matchExpressions"] = [
            {"key": r.key, "operator": r.operator, **({"values": sorted(r.values)} if r.values else {})}
            for r in sel.expressions
        ]
    return out


def _port_data(p: PortSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": p.protocol}
    if p.name is not None:
        out["port"] = p.name
    elif p.number is not None:
        out["port"] = p.number
    if p.end_port is not None:
        out["endPort"] = p.end_port
    return out


def _rule_data(rule: Rule, peer_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.peers is not None:
        peers = []
        for peer in rule.peers:
            if peer.cidr is not None:
                block: dict[str, Any] = {"cidr": peer.cidr}
                if peer.excepts:
                    block["except"] = list(peer.excepts)
                peers.append({"ipBlock": block})
                continue
            item: dict[str, Any] = {"podSelector": _selector_data(peer.pods or Selector())}
            if peer.namespaces is not None:
                item["namespaceSelector"] = _selector_data(peer.namespaces)
            peers.append(item)
        out[peer_key] = peers
    if rule.ports:
        out["ports"] = [_port_data(p) for p in rule.ports]
    return out


def policy_data(policy: Policy) -> dict[str, Any]:
    """A :class:`Policy` back as a NetworkPolicy object (what :func:`parse_policy` reads)."""
    types = (["Ingress"] if policy.ingress is not None else []) + (["Egress"] if policy.egress is not None else [])
    spec: dict[str, Any] = {"podSelector": _selector_data(policy.pod_selector), "policyTypes": types}
    if policy.ingress is not None:
        spec["ingress"] = [_rule_data(r, "from") for r in policy.ingress]
    if policy.egress is not None:
        spec["egress"] = [_rule_data(r, "to") for r in policy.egress]
    return {"metadata": {"name": policy.name, "namespace": policy.namespace}, "spec": spec}


def model_data(model: ClusterModel, cni_objects: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The compact, JSON-ready model: label groups with counts and IP ranges, namespace labels, policies, and
    the collected Cilium/Calico policy objects (``cni_objects``, by resource key) so a what-if starts from them."""
    index = PodIndex(model)
    groups = []
    for g in index.groups:
        ips = sorted(int(ipaddress.ip_address(p.ip)) for p in g.pods if p.ip)
        standalone = sum(1 for p in g.pods if p.owner is None)
        owner = next((p.owner for p in g.pods if p.owner), None)
        groups.append(
            {
                "namespace": g.namespace,
                "labels": g.labels,
                "pods": len(ips),
                "first_ip": str(ipaddress.ip_address(ips[0])) if ips else None,
                "last_ip": str(ipaddress.ip_address(ips[-1])) if ips else None,
                "host_network": g.host_network,
                "owner": owner,
                "standalone": standalone,
                # one real pod of the group, so what-if examples name a pod the team can find; a standalone one
                # when there is any, as the rebuilt first pod is (it stands for the pods without an owner)
                "example": next((p.name for p in g.pods if p.owner is None), g.pods[0].name) if g.pods else None,
            }
        )
    return {
        "version": MODEL_VERSION,
        "namespaces": dict(sorted(model.namespaces.items())),
        "groups": groups,
        "policies": [policy_data(p) for p in model.policies],
        **({"cni_objects": {k: list(v) for k, v in sorted(cni_objects.items())}} if cni_objects else {}),
    }


def cni_from_data(data: Any, where: str = "<snapshot>") -> dict[str, list[dict[str, Any]]]:
    """The collected Cilium/Calico policy objects of a :func:`model_data` output (empty when it has none)."""
    raw = data.get("cni_objects") if isinstance(data, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(o, dict) for o in v) for v in raw.values()
    ):
        raise InputError(f"{where}: network_policies.policy_model.cni_objects: expected lists of objects by kind")
    return {str(k): list(v) for k, v in raw.items()}


def model_from_data(data: Any, where: str = "<snapshot>") -> ClusterModel:
    """Rebuild a :class:`ClusterModel` from :func:`model_data` output; pod IPs spread over each group's range."""
    if not isinstance(data, dict) or data.get("version") != MODEL_VERSION:
        raise InputError(f"{where}: network_policies.policy_model: not a version {MODEL_VERSION} policy model")
    pods: list[PodRecord] = []
    try:
        for gi, g in enumerate(data.get("groups") or []):
            n = int(g.get("pods") or 0)
            lo = int(ipaddress.ip_address(g["first_ip"])) if g.get("first_ip") else 0
            hi = int(ipaddress.ip_address(g["last_ip"])) if g.get("last_ip") else lo
            version = ipaddress.ip_address(g["first_ip"]).version if g.get("first_ip") else 4
            labels = {str(k): str(v) for k, v in (g.get("labels") or {}).items()}
            standalone = int(g.get("standalone") or 0)
            example = g.get("example")
            for k in range(n):
                addr = lo if n == 1 else lo + (hi - lo) * k // (n - 1)
                ip = str(ipaddress.ip_address(addr) if version == 4 else ipaddress.IPv6Address(addr))
                pods.append(
                    PodRecord(
                        namespace=str(g["namespace"]),
                        # the group's first pod keeps the measured example's name (the one examples and top
                        # rows name); the others, whose IPs are spread over the range, are numbered
                        name=str(example) if k == 0 and example else f"group{gi}-{k}",
                        labels=labels,
                        ip=ip,
                        owner=None if k < standalone else (g.get("owner") or "ReplicaSet/unknown"),
                        host_network=bool(g.get("host_network")),
                    )
                )
        policies = [parse_policy(p, f"{where}: policy_model.policies[{i}]") for i, p in enumerate(data["policies"])]
        namespaces = {str(k): dict(v) for k, v in (data.get("namespaces") or {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: network_policies.policy_model: malformed ({exc})") from None
    return ClusterModel(pods=pods, namespaces=namespaces, policies=policies, named_ports_known=False)


# -- what-if snapshots ----------------------------------------------------------------------------------------


def _summary(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The headline figures of a dataplane section (for before/after tables)."""
    if not data:
        return None
    eks, cil, calico = data.get("eks") or {}, data.get("cilium") or {}, data.get("calico") or {}
    return {
        "policies_analysed": data.get("policies_analysed"),
        "policies_per_pod_max": (data.get("policies_per_pod") or {}).get("max"),
        "eks_entries_per_peer_max": (eks.get("entries_per_peer") or {}).get("max"),
        "eks_pods_over_entry_limit": eks.get("pods_over_entry_limit"),
        "eks_peer_keys_max": (eks.get("peer_keys") or {}).get("max"),
        "eks_uncovered_pods": eks.get("uncovered_pods"),
        "cilium_policy_map_entries_max": (cil.get("policy_map_entries") or {}).get("max"),
        "cilium_identities": cil.get("identities"),
        "cilium_identities_measured": (cil.get("identities_measured") or {}).get("count"),
        "calico_max_ipset_members": calico.get("max_ipset_members"),
        "eks_top": (eks.get("top") or [])[:3],
    }


def _analyse(model: ClusterModel, cni: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The dataplane section of ``model``, with the Cilium/Calico objects ``cni`` added to their own figures."""
    return analyse_with_cni(model, translate(cni, model)) if cni else analyse(model)  # one pass, as collect kube


def _merge_cni(measured: dict[str, list[dict[str, Any]]], planned: dict[str, list[dict[str, Any]]]
               ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:  # fmt: skip
    """Measured CNI objects with the planned ones: a planned object of the same kind, namespace and name
    replaces the measured one. Returns the objects and, per kind, how many planned ones are new."""

    def ident(obj: dict[str, Any]) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return str(meta.get("namespace") or ""), str(meta.get("name") or "")

    out = {k: list(v) for k, v in measured.items()}
    added: dict[str, int] = {}
    for key, objs in planned.items():
        new = {ident(o) for o in objs}
        kept = [o for o in out.get(key, []) if ident(o) not in new]
        added[key] = len(objs) - (len(out.get(key, [])) - len(kept))
        out[key] = kept + list(objs)
    return out, added


def whatif_snapshots(
    snapshots: list[Any], path: str | os.PathLike[str], planned: PlannedPolicies | list[Policy] | None = None
) -> list[Any]:
    """``snapshots`` plus, for the latest snapshot of each cluster that carries a policy model, a copy named
    ``<cluster> + <file>`` whose dataplane section is the analysis after the planned policies in ``path``
    (with ``what_if``: before on the model, after, and the measured figures). ``planned``: the policies of
    ``path`` when already loaded (a plain list: Kubernetes NetworkPolicies only).

    Planned Cilium and Calico objects change only their own dataplane's figures, from the collected objects the
    model kept. Raises :class:`InputError` for a planned file that is not valid policy YAML, or when no snapshot
    has a policy model.
    """
    from dataclasses import replace

    if planned is None:
        planned = load_planned(path)
    elif isinstance(planned, list):
        planned = PlannedPolicies(policies=list(planned))
    label = Path(path).name
    latest: dict[str, Any] = {}
    for snap in snapshots:
        key = snap.cluster.name
        if key not in latest or snap.collected_at > latest[key].collected_at:
            latest[key] = snap
    out = list(snapshots)
    for name, snap in latest.items():
        np_inv = snap.network_policies
        if np_inv.policy_model is None:
            continue
        where = f"snapshot {name}"
        model = model_from_data(np_inv.policy_model, where=where)
        measured_cni = cni_from_data(np_inv.policy_model, where=where)
        measured = {(p.namespace, p.name) for p in model.policies}
        added = sum(1 for p in planned.policies if (p.namespace, p.name) not in measured)
        after_cni, cni_added = _merge_cni(measured_cni, planned.cni)
        before = _analyse(model, measured_cni)
        after = _analyse(apply_planned(model, planned.policies), after_cni)
        measured_ids = ((np_inv.dataplane or {}).get("cilium") or {}).get("identities_measured")
        if measured_ids is not None:  # planned policies allocate no identities: the measured count stands
            before["cilium"]["identities_measured"] = after["cilium"]["identities_measured"] = measured_ids
        total_added = added + sum(cni_added.values())
        after["what_if"] = {
            "planned": str(path),
            "planned_policies": len(planned),
            "planned_by_kind": planned.by_kind(),
            "planned_kinds": {KIND_LABELS.get(k, k): n for k, n in planned.by_kind().items()},
            "policies_added": total_added,
            "policies_replaced": len(planned) - total_added,
            "measured": _summary(np_inv.dataplane),
            "before": _summary(before),
            "after": _summary(after),
        }
        count = (np_inv.count or 0) + added
        cni_counts = dict(np_inv.cni_policies)
        objects = {**snap.objects, NETPOL_KEY: count}
        for key, n in cni_added.items():
            cni_counts[key] = cni_counts.get(key, 0) + n
            objects[key] = objects.get(key, 0) + n
        out.append(
            replace(
                snap,
                cluster=replace(snap.cluster, name=f"{name} + {label}"),
                objects=objects,
                network_policies=replace(
                    np_inv,
                    count=count,
                    dataplane=after,
                    policy_model=None,
                    cni_policies=dict(sorted(cni_counts.items())),
                ),  # fmt: skip
            )
        )
    if len(out) == len(snapshots):
        raise InputError(
            "--with-policies: no snapshot carries a NetworkPolicy model (network_policies.policy_model). "
            "Collect with `k8seval collect kube --policy-model`"
        )
    return out
