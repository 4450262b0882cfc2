"""Helpers for question-list tests: set a fact on a snapshot, and derive values that satisfy or violate a predicate.

``FACT_SETTERS`` maps each documented fact to a function that changes a list of snapshots (newest last) so
that ``snapshot_facts`` reports the given value; ``None`` makes the fact "not measured". Findings and fit
facts are built as hand-made :class:`Finding` objects instead (``findings_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from evaluator.findings import STATUSES, VENDOR_TARGETS, Evaluation, Finding
from evaluator.inventory import (
    CloudInventory,
    EtcdMember,
    Gap,
    NodeGroup,
    Snapshot,
    Stats,
    parse_time,
)
from evaluator.procurement.bank import Predicate
from evaluator.procurement.facts import FACTS, fact_kind, finding_constraint

Setter = Callable[[list[Snapshot], Any], list[Snapshot]]


def _on_latest(fn: Callable[[Snapshot, Any], Snapshot]) -> Setter:
    def setter(snaps: list[Snapshot], value: Any) -> list[Snapshot]:
        return [*snaps[:-1], fn(snaps[-1], value)]

    return setter


def _nodes(**kw: Any) -> Callable[[Snapshot], Snapshot]:
    return lambda s: replace(s, nodes=replace(s.nodes, **kw))


def _first(value: Any) -> Any:
    return value[0] if value else None


def _cloud(s: Snapshot, **kw: Any) -> Snapshot:
    cloud = s.cloud or CloudInventory(provider="aws")
    return replace(s, cloud=replace(cloud, **kw))


def _flags(s: Snapshot, flags: dict[str, str] | None) -> Snapshot:
    return replace(s, control_plane=replace(s.control_plane, apiserver_flags=flags or {}))


_PLUMBING = {"secure-port": "6443", "etcd-servers": "https://127.0.0.1:2379"}


def _flag_list(s: Snapshot, value: Any) -> Snapshot:
    if value is None:
        return _flags(s, None)
    return _flags(s, {**_PLUMBING, **{name.lstrip("-"): "1" for name in value}})


def _flag_count(s: Snapshot, value: Any) -> Snapshot:
    if value is None:
        return _flags(s, None)
    return _flags(s, {**_PLUMBING, **{f"custom-flag-{i}": "1" for i in range(int(value))}})


def _flag_bool(name: str) -> Callable[[Snapshot, Any], Snapshot]:
    def setter(s: Snapshot, value: Any) -> Snapshot:
        if value is None:
            return _flags(s, None)
        return _flags(s, {**_PLUMBING, **({name: "/etc/kubernetes/x"} if value else {})})

    return setter


def _admission_count(s: Snapshot, value: Any) -> Snapshot:
    if value is None:
        return replace(s, control_plane=replace(s.control_plane, admission_plugins=[], apiserver_flags={}))
    plugins = ["NodeRestriction", *[f"ExtraPlugin{i}" for i in range(int(value))]]
    return replace(s, control_plane=replace(s.control_plane, admission_plugins=plugins, apiserver_flags=_PLUMBING))


def _admission_list(s: Snapshot, value: Any) -> Snapshot:
    if value is None:
        return replace(s, control_plane=replace(s.control_plane, admission_plugins=[], apiserver_flags={}))
    return replace(s, control_plane=replace(s.control_plane, admission_plugins=list(value), apiserver_flags=_PLUMBING))


def _gates(s: Snapshot, names: list[str] | None) -> Snapshot:
    if names is None:
        return replace(s, control_plane=replace(s.control_plane, feature_gates={}, apiserver_flags={}))
    return replace(
        s,
        control_plane=replace(s.control_plane, feature_gates=dict.fromkeys(names, True), apiserver_flags=_PLUMBING),
    )


def _etcd_flags(s: Snapshot, value: Any) -> Snapshot:
    flags = {} if value is None else {"data-dir": "/var/lib/etcd", **{n.lstrip("-"): "1" for n in value}}
    return replace(s, control_plane=replace(s.control_plane, etcd_flags=flags))


def _growth(snaps: list[Snapshot], value: Any) -> list[Snapshot]:
    """Keep only the newest snapshot, then add one 30 days earlier that is ``value`` bytes smaller."""
    latest = snaps[-1]
    if value is None:
        return [latest]
    if latest.etcd.db_size_bytes is None:
        latest = replace(latest, etcd=replace(latest.etcd, db_size_bytes=3 * 1024**3))
    earlier_time = (parse_time(latest.collected_at) - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    size = latest.etcd.db_size_bytes
    assert size is not None
    earlier = replace(latest, collected_at=earlier_time, etcd=replace(latest.etcd, db_size_bytes=size - int(value)))
    return [earlier, latest]


def _utilisation(s: Snapshot, value: Any) -> Snapshot:
    if value is None:
        return replace(s, networking=replace(s.networking, pod_ip_capacity=None))
    in_use = s.networking.pod_ips_in_use if s.networking.pod_ips_in_use is not None else 1000
    capacity = max(int(round(in_use / value)) if value else 10 * in_use, 1)
    return replace(s, networking=replace(s.networking, pod_ips_in_use=in_use, pod_ip_capacity=capacity))


def _version(s: Snapshot, value: Any) -> Snapshot:
    version = value if value is None or isinstance(value, str | int | float) else _first(value)
    if isinstance(version, int | float):
        version = f"1.{int(version)}"
    return replace(s, cluster=replace(s.cluster, version=f"{version}.0" if version else None))


def _field(section: str, attr: str, convert: Callable[[Any], Any] = lambda v: v) -> Setter:
    """Set ``snapshot.<section>.<attr>`` on the newest snapshot."""
    return _on_latest(lambda s, v: replace(s, **{section: replace(getattr(s, section), **{attr: convert(v)})}))


def _dataplane(s: Snapshot, path: tuple[str, ...], value: Any) -> Snapshot:
    """Set one figure of network_policies.dataplane (a copy of the nested dicts)."""
    import copy

    data = copy.deepcopy(s.network_policies.dataplane or {})
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return replace(s, network_policies=replace(s.network_policies, dataplane=data))


FACT_SETTERS: dict[str, Setter] = {
    "clusters.platforms": _field("cluster", "platform", _first),
    "clusters.providers": _field("cluster", "provider", _first),
    "versions.oldest": _on_latest(_version),
    "versions.newest": _on_latest(_version),
    "versions.oldest_minor": _on_latest(_version),
    "versions.minors": _on_latest(_version),
    "nodes.count": _on_latest(lambda s, v: _nodes(count=v)(s)),
    "nodes.total": _on_latest(lambda s, v: _nodes(count=v)(s)),
    "nodes.pods_per_node.max": _on_latest(lambda s, v: _nodes(pods_per_node=Stats(max=v))(s)),
    "nodes.allocatable_pods.max": _on_latest(lambda s, v: _nodes(allocatable_pods=Stats(max=v))(s)),
    "nodes.zones": _on_latest(lambda s, v: _nodes(by_zone={} if v is None else {f"z{i}": 5 for i in range(v)})(s)),
    "nodes.gpu": _on_latest(lambda s, v: _nodes(gpu_count=v)(s)),
    "nodes.windows": _on_latest(lambda s, v: _nodes(by_os={} if v is None else {"linux": 10, "windows": v})(s)),
    "pods.count": _on_latest(
        lambda s, v: replace(
            s, objects={k: n for k, n in s.objects.items() if k != "pods"} | ({"pods": v} if v is not None else {})
        )
    ),
    "namespaces.count": _on_latest(lambda s, v: replace(s, namespaces=v)),
    "crds.count": _on_latest(lambda s, v: replace(s, crds=v)),
    "services.count": _on_latest(
        lambda s, v: replace(
            s,
            services=replace(s.services, count=v),
            objects={k: n for k, n in s.objects.items() if k != "services"},
        )
    ),
    "services.load_balancers": _on_latest(
        lambda s, v: replace(
            s, services=replace(s.services, by_type={} if v is None else {"ClusterIP": 5, "LoadBalancer": v})
        )
    ),
    "services.max_endpoints_per_service": _field("services", "max_endpoints_per_service"),
    "services.endpoints_total": _field("services", "endpoints_total"),
    "network_policies.count": _on_latest(
        lambda s, v: replace(
            s,
            network_policies=replace(s.network_policies, count=v),
            objects={k: n for k, n in s.objects.items() if k != "networkpolicies.networking.k8s.io"},
        )
    ),
    "network_policies.max_per_namespace": _field("network_policies", "max_per_namespace"),
    "network_policies.rules": _on_latest(
        lambda s, v: replace(s, network_policies=replace(s.network_policies, ingress_rules=v, egress_rules=None))
    ),
    "network_policies.ip_blocks": _field("network_policies", "ip_blocks"),
    "network_policies.max_ports_per_rule": _field("network_policies", "max_ports_per_rule"),
    "dataplane.eks_entries_per_peer": _on_latest(lambda s, v: _dataplane(s, ("eks", "entries_per_peer", "max"), v)),
    "dataplane.eks_pods_over_limit": _on_latest(lambda s, v: _dataplane(s, ("eks", "pods_over_entry_limit"), v)),
    "dataplane.cilium_policy_map_entries": _on_latest(
        lambda s, v: _dataplane(s, ("cilium", "policy_map_entries", "max"), v)
    ),
    "dataplane.identities": _on_latest(lambda s, v: _dataplane(s, ("cilium", "identities"), v)),
    "dataplane.identities_measured": _on_latest(
        lambda s, v: _dataplane(s, ("cilium", "identities_measured", "count"), v)
    ),
    "dataplane.policies_per_pod": _on_latest(lambda s, v: _dataplane(s, ("policies_per_pod", "max"), v)),
    "network_policies.cni_policies": _on_latest(
        lambda s, v: replace(
            s,
            network_policies=replace(
                s.network_policies, cni_policies={} if v is None else {"globalnetworkpolicies.crd.projectcalico.org": v}
            ),
        )
    ),
    "network_policies.cni_policy_kinds": _on_latest(
        lambda s, v: replace(
            s, network_policies=replace(s.network_policies, cni_policies={} if v is None else dict.fromkeys(v, 3))
        )
    ),
    "webhooks.count": _field("webhooks", "count"),
    "webhooks.fail_closed": _field("webhooks", "fail_closed"),
    "webhooks.max_timeout_seconds": _field("webhooks", "max_timeout_seconds"),
    "etcd.db_size_bytes": _field("etcd", "db_size_bytes"),
    "etcd.db_size_in_use_bytes": _field("etcd", "db_size_in_use_bytes"),
    "etcd.quota_backend_bytes": _field("etcd", "quota_backend_bytes"),
    "etcd.total_keys": _field("etcd", "total_keys"),
    "etcd.members": _on_latest(
        lambda s, v: replace(
            s, etcd=replace(s.etcd, members=[] if v is None else [EtcdMember(f"m{i}", str(i)) for i in range(v)])
        )
    ),
    "etcd.growth_bytes_per_month": _growth,
    "networking.cni": _field("networking", "cni", _first),
    "networking.kube_proxy_mode": _field("networking", "kube_proxy_mode", _first),
    "networking.ip_family": _field("networking", "ip_family", _first),
    "networking.pod_cidrs": _field("networking", "pod_cidrs", lambda v: list(v or [])),
    "networking.service_cidrs": _field("networking", "service_cidrs", lambda v: list(v or [])),
    "networking.pod_ip_capacity": _field("networking", "pod_ip_capacity"),
    "networking.pod_ips_in_use": _field("networking", "pod_ips_in_use"),
    "networking.pod_ip_utilisation": _on_latest(_utilisation),
    "control_plane.custom_flags": _on_latest(_flag_list),
    "control_plane.custom_flag_count": _on_latest(_flag_count),
    "control_plane.etcd_custom_flags": _on_latest(_etcd_flags),
    "control_plane.admission_plugins": _on_latest(_admission_list),
    "control_plane.admission_plugin_count": _on_latest(_admission_count),
    "control_plane.feature_gates": _on_latest(lambda s, v: _gates(s, None if v is None else list(v))),
    "control_plane.feature_gate_count": _on_latest(
        lambda s, v: _gates(s, None if v is None else [f"Gate{i}" for i in range(int(v))])
    ),
    "control_plane.audit_policy": _on_latest(_flag_bool("audit-policy-file")),
    "control_plane.encryption_at_rest": _on_latest(_flag_bool("encryption-provider-config")),
    "control_plane.oidc": _on_latest(_flag_bool("oidc-issuer-url")),
    "control_plane.apiserver_count": _field("control_plane", "apiserver_count"),
    "cloud.providers": _on_latest(lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, provider=v[0])),
    "cloud.modes": _on_latest(lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, mode=_first(v))),
    "cloud.support_types": _on_latest(
        lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, support_type=_first(v))
    ),
    "cloud.release_channels": _on_latest(
        lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, release_channel=_first(v))
    ),
    "cloud.endpoint_public": _on_latest(
        lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, endpoint_public=v)
    ),
    "cloud.logging": _on_latest(lambda s, v: replace(s, cloud=None) if v is None else _cloud(s, logging=list(v))),
    "cloud.node_groups": _on_latest(
        lambda s, v: (
            replace(s, cloud=None) if v is None else _cloud(s, node_groups=[NodeGroup(f"ng{i}") for i in range(v)])
        )
    ),
    "gaps.count": _on_latest(lambda s, v: replace(s, gaps=[Gap("kube", f"item{i}", "403") for i in range(v or 0)])),
    "gaps.missing": _on_latest(lambda s, v: replace(s, gaps=[Gap("kube", item, "403") for item in v or []])),
}

# Setters that derive their value from others run last (growth from the etcd size, utilisation from IPs in use).
LATE = ("networking.pod_ip_utilisation", "etcd.growth_bytes_per_month")


def _is_list_fact(fact: str) -> bool:
    return fact in FACTS and FACTS[fact].kind == "list"


def _step(fact: str, value: Any, down: bool) -> Any:
    kind = fact_kind(fact)
    if kind == "status":
        index = STATUSES.index(value)
        return STATUSES[index - 1] if down else STATUSES[min(index + 1, len(STATUSES) - 1)]
    if kind == "fraction" or isinstance(value, float):
        return round(value - 0.01, 4) if down else round(value + 0.01, 4)
    return value - 1 if down else value + 1


def _other(fact: str, value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if fact_kind(fact) == "status":
        return "blocker" if value == "ok" else "ok"
    if isinstance(value, int | float):
        return value + 1
    return f"zz-not-{value}"


def satisfying(pred: Predicate) -> Any:
    """A fact value for which ``pred`` holds."""
    listy = _is_list_fact(pred.fact)
    v = pred.value
    if pred.op in ("gte", "lte", "eq"):
        return [v] if listy and pred.op == "eq" else v
    if pred.op == "gt":
        return _step(pred.fact, v, down=False)
    if pred.op == "lt":
        return _step(pred.fact, v, down=True)
    if pred.op == "ne":
        return _other(pred.fact, v)
    if pred.op == "in":
        return [v[0]] if listy else v[0]
    if pred.op == "not_in":
        return ["zz-other"] if listy else "zz-other"
    if pred.op == "contains":
        return [v] if listy else f"x{v}x"
    if pred.op == "exists":
        sample = FACTS[pred.fact].sample if pred.fact in FACTS else "ok"
        return sample[:1] if isinstance(sample, list) else sample  # one cluster holds one version, one CNI...
    return None  # not_exists


def violating(pred: Predicate) -> Any:
    """A fact value for which ``pred`` does not hold (None only when nothing measured is the way)."""
    listy = _is_list_fact(pred.fact)
    v = pred.value
    if pred.op == "gte":
        return None if fact_kind(pred.fact) == "status" and v == "ok" else _step(pred.fact, v, down=True)
    if pred.op == "gt":
        return v
    if pred.op == "lte":
        return _step(pred.fact, v, down=False)
    if pred.op == "lt":
        return v
    if pred.op == "eq":
        return [_other(pred.fact, v)] if listy else _other(pred.fact, v)
    if pred.op == "ne":
        return [v] if listy else v
    if pred.op == "in":
        return ["zz-other"] if listy else "zz-other"
    if pred.op == "not_in":
        return [v[0]] if listy else v[0]
    if pred.op == "contains":
        return ["--zz-other"] if listy else "zz"  # reads as a flag name too
    if pred.op == "exists":
        return None
    return FACTS[pred.fact].sample if pred.fact in FACTS else "ok"  # not_exists


def apply_facts(snaps: list[Snapshot], values: dict[str, Any]) -> list[Snapshot]:
    """Set snapshot facts (not findings/fit facts) in a safe order."""
    ordered = sorted(values, key=lambda k: LATE.index(k) + 1 if k in LATE else 0)
    for fact in ordered:
        if fact.startswith(("findings.", "fit.")):
            continue
        snaps = FACT_SETTERS[fact](snaps, values[fact])
    return snaps


def _finding(cluster: str, target: str, constraint: str, status: str) -> Finding:
    return Finding(
        cluster=cluster,
        target=target,
        constraint=constraint,
        title=constraint,
        category="test",
        observed=1.0,
        limit=2.0,
        unit="count",
        status=status,
        limit_kind="hard",
        source="https://example.org/limit",
        verified="2026-11-01",
        message="hand-made finding",
    )


def evaluation_for(values: dict[str, Any], vendor: str, cluster: str = "prod-1") -> Evaluation:
    """An evaluation whose findings produce the given ``findings.*.status`` and ``fit.*`` facts for ``vendor``."""
    target = VENDOR_TARGETS[vendor][0]
    findings: list[Finding] = []
    for fact, value in values.items():
        cid = finding_constraint(fact)
        if cid is not None and fact.endswith(".status") and value is not None:
            findings.append(_finding(cluster, target, cid, value))
        elif fact == "fit.blockers" and value:
            findings += [_finding(cluster, target, f"zz_blocker_{i}", "blocker") for i in range(value)]
        elif fact == "fit.at_risk" and value:
            findings += [_finding(cluster, target, f"zz_at_risk_{i}", "at-risk") for i in range(value)]
        elif fact == "fit.unknown" and value:
            findings += [_finding(cluster, target, f"zz_unknown_{i}", "unknown") for i in range(value)]
    return Evaluation(
        generated_at="2026-11-01T10:00:00Z",
        catalog_version="test",
        targets=list(VENDOR_TARGETS[vendor]),
        clusters=[cluster],
        findings=findings,
    )


def bank_snapshot(name: str = "prod-1", *, platform: str = "self-hosted") -> Snapshot:
    """A bank-sized self-hosted cluster (1,500 nodes, 8,000 NetworkPolicies, 5.1 GiB etcd), every section set."""
    from evaluator.inventory import (
        ClusterInfo,
        ControlPlaneInventory,
        EtcdInventory,
        NetworkingInventory,
        NetworkPolicyInventory,
        NodeInventory,
        ServiceInventory,
        WebhookInventory,
    )

    return Snapshot(
        cluster=ClusterInfo(name=name, platform=platform, version="1.29.4", provider="aws", region="eu-west-2"),
        collected_at="2026-11-01T10:00:00Z",
        objects={"pods": 45000, "networkpolicies.networking.k8s.io": 8000, "services": 6000},
        namespaces=900,
        crds=180,
        nodes=NodeInventory(
            count=1500,
            control_plane_count=3,
            pods_per_node=Stats(max=118, mean=30, p95=60),
            allocatable_pods=Stats(max=250, min=110),
            by_zone={"eu-west-2a": 500, "eu-west-2b": 500, "eu-west-2c": 500},
            by_os={"linux": 1490, "windows": 10},
            gpu_count=4,
        ),
        network_policies=NetworkPolicyInventory(
            count=8000,
            max_per_namespace=60,
            ingress_rules=14000,
            egress_rules=10000,
            ip_blocks=1200,
            max_ports_per_rule=30,
            cni_policies={"globalnetworkpolicies.crd.projectcalico.org": 350},
            dataplane={
                "policies_per_pod": {"max": 30, "p99": 3, "p95": 2, "mean": 1.5},
                "eks": {"entries_per_peer": {"max": 31, "p95": 3}, "pods_over_entry_limit": 22},
                "cilium": {
                    "policy_map_entries": {"max": 3500, "p95": 500},
                    "identities": 19000,
                    "identities_measured": {"count": 18500},
                },
            },
        ),
        services=ServiceInventory(
            count=6000,
            by_type={"ClusterIP": 5900, "LoadBalancer": 40},
            max_endpoints_per_service=400,
            endpoints_total=60000,
        ),
        webhooks=WebhookInventory(count=14, mutating=5, validating=9, max_timeout_seconds=30, fail_closed=6),
        etcd=EtcdInventory(
            db_size_bytes=5_476_083_302,
            db_size_in_use_bytes=4_100_000_000,
            quota_backend_bytes=8 * 1024**3,
            total_keys=1_200_000,
            members=[EtcdMember(f"etcd-{i}", str(i)) for i in range(5)],
            source="etcd",
        ),
        networking=NetworkingInventory(
            cni="calico",
            kube_proxy_mode="ipvs",
            pod_cidrs=["10.32.0.0/12"],
            service_cidrs=["10.96.0.0/16"],
            ip_family="ipv4",
            pod_ip_capacity=1_048_576,
            pod_ips_in_use=45000,
        ),
        control_plane=ControlPlaneInventory(
            apiserver_flags={
                "secure-port": "6443",
                "etcd-servers": "https://10.0.0.1:2379",
                "max-requests-inflight": "3000",
                "audit-policy-file": "/etc/kubernetes/audit.yaml",
                "encryption-provider-config": "/etc/kubernetes/enc.yaml",
                "oidc-issuer-url": "https://sso.example.org",
                "etcd-servers-overrides": "/events#https://10.0.0.9:2379",
                "feature-gates": "InPlacePodVerticalScaling=true",
                "enable-admission-plugins": "NodeRestriction,EventRateLimit,AlwaysPullImages",
            },
            etcd_flags={
                "data-dir": "/var/lib/etcd",
                "quota-backend-bytes": "8589934592",
                "auto-compaction-retention": "1",
            },
            apiserver_count=3,
        ),
    )


def bank_fleet() -> list[Snapshot]:
    """Two clusters: the bank cluster (with a month of history) and an EKS cluster with cloud facts."""
    latest = bank_snapshot()
    earlier = replace(
        latest, collected_at="2026-10-02T10:00:00Z", etcd=replace(latest.etcd, db_size_bytes=5_276_083_302)
    )
    eks = replace(
        bank_snapshot("payments-eks", platform="eks"),
        cloud=CloudInventory(
            provider="aws",
            mode="standard",
            support_type="EXTENDED",
            release_channel="none",
            endpoint_public=True,
            logging=["api", "audit"],
            node_groups=[NodeGroup(f"ng-{i}") for i in range(12)],
        ),
        gaps=[Gap("eks", "etcd.total_keys", "no etcd access on EKS")],
    )
    return [earlier, latest, eks]
