"""Rollout what-if: planned NetworkPolicies (plain Kubernetes YAML) added to a measured cluster's policy model.

The snapshot keeps a compact model (``network_policies.policy_model``: namespace labels, pod label groups with
their pod counts and IP range, and the policies) when collected with ``--policy-model``; never a per-pod table.
Pods are rebuilt from it with IPs spread over each group's measured range, so a what-if compares the model
before and after the planned policies (the node-IP key adjustment and exact IP placement are not kept).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..fileio import YamlBomb, safe_load_all_yaml
from .model import ClusterModel, PodRecord, Policy, PortSpec, Rule, Selector, parse_policy
from .selection import PodIndex

MODEL_VERSION = 1
PLANNED_SUFFIXES = (".yaml", ".yml", ".json")


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


def load_planned(path: str | os.PathLike[str]) -> list[Policy]:
    """Every NetworkPolicy in ``path`` (multi-document YAML, ``kind: List``, a folder of files).

    Anything else raises :class:`InputError` naming the file and the document index (1-based).
    """
    out: list[Policy] = []
    for file in planned_files(path):
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
        for i, doc in enumerate(docs, start=1):
            if doc is None:
                continue
            where = f"{file}: document {i}"
            items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
            if not isinstance(items, list):
                raise InputError(f"{where}: a List needs items")
            for j, item in enumerate(items):
                sub = where if len(items) == 1 and item is doc else f"{where} item {j + 1}"
                if not isinstance(item, dict) or item.get("kind") != "NetworkPolicy":
                    kind = item.get("kind") if isinstance(item, dict) else type(item).__name__
                    raise InputError(f"{sub}: expected kind NetworkPolicy, got {kind!r}")
                if item.get("apiVersion") != "networking.k8s.io/v1":
                    raise InputError(f"{sub}: expected apiVersion networking.k8s.io/v1, got {item.get('apiVersion')!r}")
                out.append(parse_policy(item, sub))
    return out


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


def model_data(model: ClusterModel) -> dict[str, Any]:
    """The compact, JSON-ready model: label groups with counts and IP ranges, namespace labels, policies."""
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
            }
        )
    return {
        "version": MODEL_VERSION,
        "namespaces": dict(sorted(model.namespaces.items())),
        "groups": groups,
        "policies": [policy_data(p) for p in model.policies],
    }


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
            for k in range(n):
                addr = lo if n == 1 else lo + (hi - lo) * k // (n - 1)
                ip = str(ipaddress.ip_address(addr) if version == 4 else ipaddress.IPv6Address(addr))
                pods.append(
                    PodRecord(
                        namespace=str(g["namespace"]),
                        name=f"group{gi}-{k}",
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
    eks, cil = data.get("eks") or {}, data.get("cilium") or {}
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
        "eks_top": (eks.get("top") or [])[:3],
    }


def whatif_snapshots(
    snapshots: list[Any], path: str | os.PathLike[str], planned: list[Policy] | None = None
) -> list[Any]:
    """``snapshots`` plus, for the latest snapshot of each cluster that carries a policy model, a copy named
    ``<cluster> + <file>`` whose dataplane section is the analysis after the planned policies in ``path``
    (with ``what_if``: before on the model, after, and the measured figures). ``planned``: the policies of
    ``path`` when already loaded.

    Raises :class:`InputError` for a planned file that is not NetworkPolicy YAML, or when no snapshot has a
    policy model.
    """
    from dataclasses import replace

    from .analysis import analyse

    if planned is None:
        planned = load_planned(path)
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
        model = model_from_data(np_inv.policy_model, where=f"snapshot {name}")
        measured = {(p.namespace, p.name) for p in model.policies}
        added = sum(1 for p in planned if (p.namespace, p.name) not in measured)
        before = analyse(model)
        after = analyse(apply_planned(model, planned))
        measured_ids = ((np_inv.dataplane or {}).get("cilium") or {}).get("identities_measured")
        if measured_ids is not None:  # planned policies allocate no identities: the measured count stands
            after["cilium"]["identities_measured"] = measured_ids
        after["what_if"] = {
            "planned": str(path),
            "planned_policies": len(planned),
            "policies_added": added,
            "policies_replaced": len(planned) - added,
            "measured": _summary(np_inv.dataplane),
            "before": _summary(before),
            "after": _summary(after),
        }
        count = (np_inv.count or 0) + added
        out.append(
            replace(
                snap,
                cluster=replace(snap.cluster, name=f"{name} + {label}"),
                objects={**snap.objects, "networkpolicies.networking.k8s.io": count},
                network_policies=replace(np_inv, count=count, dataplane=after, policy_model=None),
            )
        )
    if len(out) == len(snapshots):
        raise InputError(
            "--with-policies: no snapshot carries a NetworkPolicy model (network_policies.policy_model). "
            "Collect with `k8seval collect kube --policy-model`"
        )
    return out
