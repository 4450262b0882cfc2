"""Ground truth about a synthetic cluster, computed from the model (not from served JSON), for comparing
what a collector measured with what the simulator served.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .metrics import metric_names
from .served import Cluster


def stats(values: list[int]) -> dict[str, float | int]:
    """min/max/mean/p50/p95/sum/count; percentiles by nearest rank (sorted[ceil(q*n)-1])."""
    if not values:
        return {"count": 0, "sum": 0, "min": 0, "max": 0, "mean": 0.0, "p50": 0, "p95": 0}
    ordered = sorted(values)
    n = len(ordered)

    def rank(q: float) -> int:
        return ordered[max(0, math.ceil(q * n) - 1)]

    return {
        "count": n,
        "sum": sum(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "mean": round(sum(ordered) / n, 3),
        "p50": rank(0.50),
        "p95": rank(0.95),
    }


def compute_truth(cluster: Cluster) -> dict[str, Any]:
    """Everything a test may compare a snapshot with: counts, nodes, pods, network policies, services, webhooks,
    etcd size and the metric names and apiserver flags the simulator serves (the keys are those returned below)."""
    spec = cluster.spec
    b = cluster.builders
    nodes = cluster.nodes
    pods_per_node = [cluster.pods_on_node(i) for i in range(len(nodes))]
    phases: Counter[str] = Counter()
    for ns, count in enumerate(cluster.collections["pods"].counts):
        for j in range(count):
            phases[b.pod_phase(ns, j)] += 1

    np_totals: Counter[str] = Counter()
    np_per_ns = cluster.netpol_counts
    for ns, count in enumerate(np_per_ns):
        for j in range(count):
            shape = b.netpol_shape(ns, j)
            for direction in ("ingress", "egress"):
                for peers, ports in shape[direction]:
                    np_totals[f"{direction}_rules"] += 1
                    np_totals["peers"] += len(peers)
                    np_totals["ports"] += ports
                    for peer in peers:
                        np_totals[f"peers_{peer}"] += 1
            if not shape["ingress"] and not shape["egress"]:
                np_totals["default_deny"] += 1

    services = cluster.collections["services"]
    by_type: Counter[str] = Counter()
    endpoints: list[int] = []
    for ns, count in enumerate(services.counts):
        for j in range(count):
            by_type[b.service_type(ns, j)] += 1
            endpoints.append(b.endpoint_count(ns, j))

    webhooks: dict[str, Any] = {}
    for kind_word in ("validating", "mutating"):
        configs = [b.webhook_config(kind_word, j) for j in range(len(cluster.webhooks[kind_word]))]
        hooks = [h for c in configs for h in c["webhooks"]]
        webhooks[kind_word] = {
            "configurations": len(configs),
            "webhooks": len(hooks),
            "fail_closed": sum(1 for h in hooks if h["failurePolicy"] == "Fail"),
            "max_timeout_seconds": max((h["timeoutSeconds"] for h in hooks), default=0),
        }

    allocatable = [n.max_pods for n in nodes]
    names = metric_names(cluster.minor)
    return {
        "name": spec.name,
        "version": spec.version,
        "git_version": cluster.git_version,
        "platform": spec.platform,
        "cni": spec.cni,
        "kube_proxy_mode": spec.kube_proxy_mode,
        "counts": cluster.counts(),
        "nodes": {
            "count": len(nodes),
            "control_plane": sum(1 for n in nodes if n.control_plane),
            "workers": sum(1 for n in nodes if not n.control_plane),
            "by_pool": dict(sorted(Counter(n.pool.name for n in nodes if n.pool).items())),
            "by_zone": dict(sorted(Counter(n.zone for n in nodes).items())),
            "by_instance_type": dict(sorted(Counter(n.instance_type for n in nodes).items())),
            "by_kubelet_version": dict(sorted(Counter(n.kubelet_version for n in nodes).items())),
            "by_os": dict(sorted(Counter((n.pool.os if n.pool else "linux") for n in nodes).items())),
            "by_arch": dict(sorted(Counter((n.pool.arch if n.pool else "amd64") for n in nodes).items())),
            "pool_label": cluster.pool_label,
            "allocatable_pods": stats(allocatable),
            "pods_per_node": stats(pods_per_node),
            "busiest_node": nodes[max(range(len(nodes)), key=lambda i: (pods_per_node[i], -i))].name,
        },
        "pods": {
            "count": sum(phases.values()),
            "by_phase": dict(sorted(phases.items())),
            "system": len(cluster.system_pods),
            "per_namespace": stats(cluster.collections["pods"].counts),
        },
        "network_policies": {
            "count": sum(np_per_ns),
            "namespaces_with_policies": sum(1 for c in np_per_ns if c),
            "max_per_namespace": max(np_per_ns, default=0),
            "ingress_rules": np_totals["ingress_rules"],
            "egress_rules": np_totals["egress_rules"],
            "rules": np_totals["ingress_rules"] + np_totals["egress_rules"],
            "peers": np_totals["peers"],
            "ports": np_totals["ports"],
            "pod_selector_peers": np_totals["peers_podSelector"],
            "namespace_selector_peers": np_totals["peers_namespaceSelector"],
            "ip_block_peers": np_totals["peers_ipBlock"],
            "default_deny": np_totals["default_deny"],
        },
        "cni_policies": {
            "calico_networkpolicies": spec.calico_policies,
            "calico_globalnetworkpolicies": spec.calico_global_policies,
            "cilium_networkpolicies": spec.cilium_policies,
            "cilium_clusterwide_networkpolicies": spec.cilium_clusterwide_policies,
        },
        "services": {
            "count": sum(by_type.values()),
            "by_type": dict(sorted(by_type.items())),
            "endpoints": stats(endpoints),
        },
        "namespaces": len(cluster.namespaces),
        "crds": len(cluster.crd_names),
        "webhooks": webhooks,
        "etcd": {
            "db_size_bytes": spec.etcd_db_size_bytes,
            "db_size_in_use_bytes": spec.etcd_db_size_in_use_bytes,
            "size_metric": names["db_size"],
            "events_db_size_bytes": spec.events_etcd_db_size_bytes,
            "quota_backend_bytes": _quota(spec.etcd_flags) if spec.platform == "self-hosted" else None,
        },
        "metrics": names,
        "apiserver_flags": {
            c.split("=", 1)[0].lstrip("-"): (c.split("=", 1) + [""])[1] for c in _apiserver_command(cluster)[1:]
        },
    }


def _quota(flags: dict[str, str]) -> int:
    """The quota etcd enforces: the flag, else etcd's 2 GiB default (https://etcd.io/docs/latest/dev-guide/limit/)."""
    value = flags.get("quota-backend-bytes")
    return int(value) if value and value.isdigit() and int(value) > 0 else 2 * 1024**3


def _apiserver_command(cluster: Cluster) -> list[str]:
    control = [i for i, n in enumerate(cluster.nodes) if n.control_plane]
    if not control:
        return ["kube-apiserver"]
    return cluster.builders.static_pod_command("kube-apiserver", control[0])


# -- NetworkPolicy dataplane: brute force (pods x policies, no index) ------------------------------------------

_ANY = ("ANY", 0, 0)
_DENY = ("DENY", 0, 0)
_IDENTITY_DROP = ("io.kubernetes", "kubernetes.io", "k8s.io", "pod-template-generation", "pod-template-hash",
                  "controller-revision-hash", "annotation.", "etcd_node")  # fmt: skip


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    selector = selector or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], set(expr.get("values") or [])
        if op == "In" and not (key in labels and labels[key] in values):
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _container_port(pod: dict[str, Any], name: str, protocol: str) -> int | None:
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == name and (p.get("protocol") or "TCP") == protocol:
                return int(p["containerPort"])
    return None


def _port_on(pod: dict[str, Any] | None, spec: dict[str, Any]) -> tuple[str, Any, int] | None:
    proto = spec.get("protocol") or "TCP"
    port = spec.get("port")
    if port is None:
        return (proto, 0, 0)
    if isinstance(port, int) or str(port).isdigit():
        return (proto, int(port), int(spec.get("endPort") or 0))
    if pod is None:
        return None
    number = _container_port(pod, str(port), proto)
    return None if number is None else (proto, number, 0)


def _agent_map(node_ip: str, rules: list[tuple[str, list[str], list[tuple[str, Any, int]]]]) -> dict[str, set]:
    """aws-network-policy-agent ComputeMapEntriesFromEndpointRules, line by line (IPv4 node)."""
    import ipaddress

    fmap: dict[str, set] = {f"{node_ip}/32": {_ANY}}
    cidrs: dict[str, tuple[list, list[str]]] = {}
    nonhost: dict[str, tuple[list, list[str]]] = {}
    excepts: set[str] = set()

    def plen(rule: tuple[str, list[str], list]) -> int:
        return int(rule[0].split("/")[1]) if "/" in rule[0] else 32

    for cidr, exc, ports in sorted(rules, key=plen):
        excepts.update(exc)
        if "/" not in cidr:
            cidr += "/32"
        net = ipaddress.ip_network(cidr, strict=False)
        cidr = str(net)
        if net.version != 4 or str(net.network_address) == node_ip:
            continue
        l4 = list(ports) or [_ANY]
        if cidr in cidrs:
            l4 += cidrs[cidr][0]
            exc = exc + cidrs[cidr][1]
        else:
            for broader, (b_ports, b_exc) in nonhost.items():
                bnet = ipaddress.ip_network(broader)
                if net.network_address in bnet and not any(
                    net.network_address in ipaddress.ip_network(e) for e in b_exc
                ):
                    l4 += b_ports
        cidrs[cidr] = (l4, exc)
        if net.prefixlen != 32:
            nonhost[cidr] = (l4, exc)
    for e in excepts:
        canonical = str(ipaddress.ip_network(e, strict=False))
        if canonical not in cidrs:
            cidrs[canonical] = ([_DENY], [])
    for key, (l4, _) in cidrs.items():
        fmap[key] = set(l4)
    return fmap


def _identity(pod: dict[str, Any], ns_labels: dict[str, str]) -> str:
    labels = pod["metadata"].get("labels") or {}
    kept = sorted(
        (k, v) for k, v in labels.items()
        if k.startswith("app.kubernetes.io") or not (k.startswith(_IDENTITY_DROP) or "beta.kubernetes.io" in k)
    )  # fmt: skip
    return repr((pod["metadata"]["namespace"], sorted(ns_labels.items()), kept))


def _cilium_ports(ports: list[dict[str, Any]]) -> list[tuple[str, Any, int]]:
    if not ports:
        return [_ANY]
    out: list[tuple[str, Any, int]] = []
    for p in ports:
        proto = p.get("protocol") or "TCP"
        port, end = p.get("port"), p.get("endPort")
        if port is None:
            out.append((proto, 0, 0))
        elif isinstance(port, str) and not port.isdigit():
            out.append((proto, port, 0))
        elif end and end > int(port):
            lo, blocks = int(port), 0
            while lo <= end:  # aligned power-of-two blocks
                size = 1
                while lo % (size * 2) == 0 and lo + size * 2 - 1 <= end and size < 65536:
                    size *= 2
                lo += size
                blocks += 1
            out.extend((proto, (int(port), end), i) for i in range(blocks))
        else:
            out.append((proto, int(port), 0))
    return out


def dataplane_truth(
    pods: list[dict[str, Any]],
    namespaces: dict[str, dict[str, str]],
    node_ips: dict[str, str],
    policies: list[dict[str, Any]],
) -> dict[tuple[str, str], dict[str, Any]]:
    """Per pod endpoint (namespace, name): the EKS agent's largest entry set, key count per direction and total
    entries, Cilium policy-map entries and the policies selecting it, by testing every pod against every policy.
    ``pods`` are full Pod objects (container ports included) that are not terminal. For specs of a few thousand
    pods; the analysis in evaluator/dataplane must give the same numbers."""
    import ipaddress

    def ready(p: dict[str, Any]) -> bool:
        return bool((p.get("status") or {}).get("podIP"))

    def ns_of(p: dict[str, Any]) -> str:
        return p["metadata"]["namespace"]

    def peer_pods(policy_ns: str, peer: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for q in pods:
            if not ready(q):
                continue
            if "namespaceSelector" in peer:
                if not _selects(peer["namespaceSelector"], namespaces.get(ns_of(q), {})):
                    continue
            elif ns_of(q) != policy_ns:
                continue
            if _selects(peer.get("podSelector"), q["metadata"].get("labels") or {}):
                out.append(q)
        return out

    result: dict[tuple[str, str], dict[str, Any]] = {}
    for t in pods:
        spec_t = t.get("spec") or {}
        if spec_t.get("hostNetwork") or not ready(t):
            continue
        labels = t["metadata"].get("labels") or {}
        selecting = [
            pol for pol in policies
            if pol["metadata"]["namespace"] == ns_of(t) and _selects(pol["spec"].get("podSelector"), labels)
        ]  # fmt: skip
        node_ip = node_ips[spec_t["nodeName"]]
        row = {"eks_max": 0, "eks_keys": 0, "eks_total": 0, "cilium": 0, "policies": 0}
        names: set[str] = set()
        for direction, peer_key, type_name in (("ingress", "from", "Ingress"), ("egress", "to", "Egress")):
            pols = [p for p in selecting if type_name in _types(p["spec"])]
            if not pols:
                continue
            rules: list[tuple[str, list[str], list[tuple[str, Any, int]]]] = []
            cilium: set[tuple[str, tuple[str, Any, int]]] = set()
            for pol in pols:
                names.add(pol["metadata"]["name"])
                pns = pol["metadata"]["namespace"]
                for rule in pol["spec"].get(direction) or []:
                    specs = rule.get("ports") or []
                    peers = rule.get(peer_key)
                    # Cilium: identities x ports.
                    ids: set[str] = set()
                    if not peers:
                        ids.add("*")
                    for peer in peers or []:
                        if "ipBlock" in peer:
                            nets = [ipaddress.ip_network(peer["ipBlock"]["cidr"], strict=False)]
                            for e in peer["ipBlock"].get("except") or []:
                                ex = ipaddress.ip_network(e, strict=False)
                                nets = [x for n in nets for x in (n.address_exclude(ex) if ex.subnet_of(n) else [n])]
                            ids.update(f"cidr:{n}" for n in nets)
                        else:
                            ids.update(_identity(q, namespaces.get(ns_of(q), {})) if not
                                       (q.get("spec") or {}).get("hostNetwork") else "reserved:host"
                                       for q in peer_pods(pns, peer))  # fmt: skip
                    cilium.update((i, port) for i in ids for port in _cilium_ports(specs))
                    # EKS: the controller's endpoint list.
                    if direction == "ingress":
                        resolved: list[tuple[str, Any, int]] = []
                        for s in specs:
                            got = _port_on(None, s)
                            if got is not None:
                                resolved.append(got)
                                continue
                            for d in pods:
                                if (
                                    ns_of(d) == pns
                                    and ready(d)
                                    and _selects(pol["spec"].get("podSelector"), d["metadata"].get("labels") or {})
                                ):
                                    got = _port_on(d, s)
                                    if got is not None:
                                        resolved.append(got)
                        resolved = sorted(set(resolved), key=repr)
                        if specs and not resolved:
                            continue
                        if not peers:
                            rules.append(("0.0.0.0/0", [], resolved))
                            continue
                        for peer in peers:
                            if "ipBlock" in peer:
                                rules.append((peer["ipBlock"]["cidr"], list(peer["ipBlock"].get("except") or []),
                                              resolved))  # fmt: skip
                            else:
                                rules.extend((q["status"]["podIP"], [], resolved) for q in peer_pods(pns, peer))
                    else:
                        numeric = [g for g in (_port_on(None, s) for s in specs) if g is not None]
                        if not peers:
                            if not (specs and not numeric):
                                rules.append(("0.0.0.0/0", [], numeric))
                            continue
                        for peer in peers:
                            if "ipBlock" in peer:
                                if specs and not numeric:
                                    continue
                                rules.append((peer["ipBlock"]["cidr"], list(peer["ipBlock"].get("except") or []),
                                              numeric))  # fmt: skip
                                continue
                            for q in peer_pods(pns, peer):
                                got_ports = [g for g in (_port_on(q, s) for s in specs) if g is not None]
                                if specs and not got_ports:
                                    continue
                                rules.append((q["status"]["podIP"], [], got_ports))
            fmap = _agent_map(node_ip, rules)
            sizes = [len(v) for v in fmap.values()]
            row["eks_max"] = max(row["eks_max"], max(sizes))
            row["eks_keys"] = max(row["eks_keys"], len(fmap))
            row["eks_total"] += sum(sizes)
            row["cilium"] += len(cilium)
        row["policies"] = len(names)
        result[(ns_of(t), t["metadata"]["name"])] = row
    return result


def _types(spec: dict[str, Any]) -> list[str]:
    types = spec.get("policyTypes")
    if types is None:
        return ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    return list(types)
