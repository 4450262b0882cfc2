"""The corrected limits of the shipped catalog, one row per limit and plan, each with its source sentence.

Every row scores a small snapshot against the shipped catalog on one target and plan, and checks the status,
the limit picked and that the catalog's note quotes the source sentence (so the figure stays traceable).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.catalog.plans import PLAN_OPTIONS, default_plan, resolve_plans
from evaluator.inventory import (
    ControlPlaneInventory,
    NetworkingInventory,
    NodeInventory,
    ServiceInventory,
    Stats,
    WebhookInventory,
)
from evaluator.scoring.engine import evaluate
from evaluator.scoring.metrics import version_table
from evaluator.scoring.policy import Policy
from tests.factories import make_snapshot

GIB = 1024**3
NOW = "2026-12-01T00:00:00Z"


def _snap(**kw: Any):
    snap = make_snapshot(version="1.34.1", **kw)
    return replace(snap, collected_at="2026-11-30T00:00:00Z")


def _finding(snap: Any, constraint: str, target: str, plan: dict[str, str] | None = None):
    policy = Policy(plans={target: plan} if plan else {})
    ev = evaluate([snap], load_catalog(), [target], policy=policy, now=NOW)
    return next(f for f in ev.findings if f.constraint == constraint)


def _note(constraint: str, target: str, plan: dict[str, str] | None) -> str:
    c = load_catalog().get(constraint)
    limit = c.limit_for(target, {**default_plan(target), **(plan or {})})
    assert limit is not None
    return limit.note.replace("\n", " ")


def _pods(n: int, **kw: Any):
    return _snap(objects={"pods": n}, **kw)


def _dense(pods_on_busiest: int):
    return _snap(
        nodes=NodeInventory(count=100, pods_per_node=Stats(max=pods_on_busiest), allocatable_pods=Stats(max=110))
    )


CASES = [
    # GKE Autopilot nodes: hard 1,000 with a quota step at 400, on the projected node count (pods / 32).
    (
        "autopilot nodes 45,000 pods",
        _pods(45000),
        "nodes_per_cluster",
        "gke-autopilot",
        None,
        "blocker",
        1000,
        "Running more than 400 nodes requires lifting a cluster size quota",
    ),
    (
        "autopilot nodes 16,000 pods",
        _pods(16000),
        "nodes_per_cluster",
        "gke-autopilot",
        None,
        "at-risk",
        1000,
        "Autopilot clusters have a maximum of 32 Pods per node",
    ),
    (
        "autopilot nodes 6,400 pods",
        _pods(6400),
        "nodes_per_cluster",
        "gke-autopilot",
        None,
        "ok",
        1000,
        "1,000 -- Note",
    ),
    # Autopilot: a dense node today is not a blocker.
    (
        "autopilot dense node",
        _dense(100),
        "pods_per_node",
        "gke-autopilot",
        None,
        "ok",
        None,
        "Autopilot clusters have a maximum of 32 Pods per node",
    ),
    # GKE Standard nodes: quota step at 5,000 before the 15,000 hard limit.
    (
        "gke 6,000 nodes",
        _snap(nodes=NodeInventory(count=6000)),
        "nodes_per_cluster",
        "gke",
        None,
        "at-risk",
        15000,
        "Running more than 5,000 nodes requires lifting a cluster size quota",
    ),
    (
        "gke 16,000 nodes",
        _snap(nodes=NodeInventory(count=16000)),
        "nodes_per_cluster",
        "gke",
        None,
        "blocker",
        15000,
        "GKE supports large clusters up to 65,000 nodes",
    ),
    (
        "gke 4,000 nodes",
        _snap(nodes=NodeInventory(count=4000)),
        "nodes_per_cluster",
        "gke",
        None,
        "watch",
        15000,
        "only available for clusters that are regional, either private or with Private Service Connect",
    ),
    # EKS pods per node depends on the compute plan.
    (
        "eks mng 300 pods/node",
        _dense(300),
        "pods_per_node",
        "eks",
        None,
        "blocker",
        250,
        "For instances with greater than 30 vCPUs, the maximum number jumps to 250.",
    ),
    (
        "eks auto mode 120 pods/node",
        _dense(120),
        "pods_per_node",
        "eks",
        {"compute": "auto-mode"},
        "blocker",
        110,
        "EKS Auto Mode limits the number of pods on nodes to the lower of: 110 pods hard cap",
    ),
    (
        "eks karpenter 300 pods/node",
        _dense(300),
        "pods_per_node",
        "eks",
        {"compute": "karpenter"},
        "at-risk",
        250,
        "based on internal Amazon EKS scalability team testing",
    ),
    # Managed-node-group quotas do not apply with Karpenter or Auto Mode.
    (
        "eks mng group of 1,100",
        _snap(nodes=NodeInventory(count=1100, by_pool={"general": 1100})),
        "nodes_per_node_group",
        "eks",
        None,
        "at-risk",
        450,
        "Nodes per managed node group",
    ),
    (
        "eks karpenter group of 1,100",
        _snap(nodes=NodeInventory(count=1100, by_pool={"general": 1100})),
        "nodes_per_node_group",
        "eks",
        {"compute": "karpenter"},
        "ok",
        None,
        "avoids default node group quotas--450",
    ),
    # LoadBalancer quota: per account and Region; Classic (20) without the AWS Load Balancer Controller.
    (
        "eks 30 LBs with the controller",
        _snap(services=ServiceInventory(count=100, by_type={"LoadBalancer": 30})),
        "load_balancer_services",
        "eks",
        None,
        "ok",
        50,
        "per account and Region",
    ),
    (
        "eks 30 LBs in-tree",
        _snap(services=ServiceInventory(count=100, by_type={"LoadBalancer": 30})),
        "load_balancer_services",
        "eks",
        {"load_balancers": "in-tree"},
        "at-risk",
        20,
        "If you do not install the AWS Load Balancer Controller, Kubernetes will default to using the legacy cloud",
    ),
    # The 260,000-endpoint limit is Dataplane V2's (legacy: not published, so only "watch" past Autopilot's line).
    (
        "gke dpv2 300k endpoints",
        _snap(services=ServiceInventory(count=100, endpoints_total=300000)),
        "service_endpoints_total",
        "gke",
        None,
        "blocker",
        260000,
        "limited to 260,000 endpoints across all services",
    ),
    (
        "gke legacy 300k endpoints",
        _snap(services=ServiceInventory(count=100, endpoints_total=300000)),
        "service_endpoints_total",
        "gke",
        {"dataplane": "legacy"},
        "watch",
        None,
        "legacy (Calico, iptables)",
    ),
    # webhook_timeout can never be passed: it is scored by headroom, at most at-risk.
    (
        "webhook at 30 s",
        _snap(webhooks=WebhookInventory(count=3, max_timeout_seconds=30)),
        "webhook_timeout",
        "self-hosted",
        None,
        "at-risk",
        30,
        "The timeout value must be between 1 and 30 seconds. Default to 10 seconds.",
    ),
    (
        "webhook at 10 s",
        _snap(webhooks=WebhookInventory(count=3, max_timeout_seconds=10)),
        "webhook_timeout",
        "eks",
        None,
        "ok",
        30,
        "never passed",
    ),
    # EKS etcd: 8 GiB standard, 16 GB with a Provisioned Control Plane tier.
    (
        "eks 10 GiB etcd standard",
        None,
        "etcd_db_size",
        "eks",
        None,
        "blocker",
        8 * GIB,
        "etcd storage limit is 8 GiB as per upstream guidance",
    ),
    (
        "eks 10 GiB etcd provisioned",
        None,
        "etcd_db_size",
        "eks",
        {"control_plane": "provisioned-xl"},
        "ok",
        16e9,
        "XL scaling tier with 16 GB of cluster database storage",
    ),
    # Catalog depth: each new constraint with its source sentence.
    (
        "CA 1,500 nodes on managed node groups",
        _snap(nodes=NodeInventory(count=1500)),
        "cluster_autoscaler_nodes",
        "eks",
        None,
        "watch",
        1000,
        "The Kubernetes Cluster Autoscaler has been tested to scale up to 1000 nodes.",
    ),
    (
        "CA 1,500 nodes with Karpenter",
        _snap(nodes=NodeInventory(count=1500)),
        "cluster_autoscaler_nodes",
        "eks",
        {"compute": "karpenter"},
        "ok",
        None,
        "launch EC2 instances directly",
    ),
    (
        "DPv2 8,000 nodes",
        _snap(nodes=NodeInventory(count=8000)),
        "dpv2_nodes_per_cluster",
        "gke",
        None,
        "at-risk",
        7500,
        "7,500",
    ),
    (
        "legacy dataplane 8,000 nodes",
        _snap(nodes=NodeInventory(count=8000)),
        "dpv2_nodes_per_cluster",
        "gke",
        {"dataplane": "legacy"},
        "ok",
        None,
        "is not Dataplane V2",
    ),
    ("DPv2 210,000 pods", _pods(210000), "dpv2_pods_per_cluster", "gke", None, "at-risk", 200000, "200,000"),
    (
        "instance-group ingress, 1,200 nodes in a zone",
        _snap(nodes=NodeInventory(count=1300, by_zone={"a": 1200})),
        "nodes_per_zone_instance_group_ingress",
        "gke",
        {"ingress": "instance-group"},
        "blocker",
        1000,
        "1,000 if you are using Instance Group-based Ingress.",
    ),
    (
        "NEG ingress, 1,200 nodes in a zone",
        _snap(nodes=NodeInventory(count=1300, by_zone={"a": 1200})),
        "nodes_per_zone_instance_group_ingress",
        "gke",
        None,
        "ok",
        None,
        "no limit with NEG-based",
    ),
    (
        "gke 3,000 nodes: regional",
        _snap(nodes=NodeInventory(count=3000)),
        "gke_regional_cluster_nodes",
        "gke",
        None,
        "watch",
        2000,
        "If you plan to run more than 2,000 nodes, use a regional cluster.",
    ),
    (
        "eks scaling plan at 400 nodes",
        _snap(nodes=NodeInventory(count=400)),
        "eks_scaling_plan",
        "eks",
        None,
        "watch",
        300,
        "plan how you are going to scale a cluster beyond 300 nodes or 5,000 Pods",
    ),
    (
        "eks scaling plan at 6,000 pods",
        _pods(6000),
        "eks_scaling_plan_pods",
        "eks",
        None,
        "watch",
        5000,
        "These are not absolute numbers",
    ),
    (
        "eks ENIs for 6,000 nodes",
        _snap(nodes=NodeInventory(count=6000)),
        "eks_network_interfaces_per_region",
        "eks",
        None,
        "at-risk",
        5000,
        "L-DF5E4CA3 | 5,000",
    ),
    (
        "iptables with 1,500 Services",
        _snap(services=ServiceInventory(count=1500), networking=NetworkingInventory(kube_proxy_mode="iptables")),
        "kube_proxy_iptables_services",
        "self-hosted",
        None,
        "watch",
        1000,
        "over 1,000 services running kube-proxy in iptables mode",
    ),
    (
        "EKS starts in iptables",
        _snap(services=ServiceInventory(count=1500), networking=NetworkingInventory(kube_proxy_mode="ipvs")),
        "kube_proxy_iptables_services",
        "eks",
        None,
        "watch",
        1000,
        "iptables remains the default kube-proxy mode for compatibility reasons",
    ),
    (
        "event TTL 5 minutes",
        _snap(control_plane=ControlPlaneInventory(apiserver_flags={"event-ttl": "5m"})),
        "event_ttl_minimum",
        "eks",
        None,
        "at-risk",
        10,
        "10m to 60m",
    ),
    (
        "NodePorts from 8000",
        _snap(control_plane=ControlPlaneInventory(apiserver_flags={"service-node-port-range": "8000-9000"})),
        "nodeport_range_start",
        "eks",
        None,
        "at-risk",
        10260,
        "between 10260 and 32767",
    ),
    (
        "HPA every 10 s, standard control plane",
        _snap(
            control_plane=ControlPlaneInventory(
                controller_manager_flags={"horizontal-pod-autoscaler-sync-period": "10s"}
            )
        ),
        "hpa_sync_period",
        "eks",
        None,
        "at-risk",
        15,
        "Requires Provisioned Control Plane: Yes",
    ),
    (
        "HPA every 10 s, provisioned",
        _snap(
            control_plane=ControlPlaneInventory(
                controller_manager_flags={"horizontal-pod-autoscaler-sync-period": "10s"}
            )
        ),
        "hpa_sync_period",
        "eks",
        {"control_plane": "provisioned-xl"},
        "ok",
        10,
        "accepts 10s to 15s",
    ),
    (
        "12,000 objects of one custom kind",
        _snap(objects={"pods": 10, "reports.wgpolicyk8s.io": 12000}),
        "custom_resources_per_kind",
        "gke",
        None,
        "at-risk",
        10000,
        "10,000 for objects up to 10 kB",
    ),
    (
        "nftables on 1.34",
        _snap(networking=NetworkingInventory(kube_proxy_mode="nftables")),
        "kube_proxy_nftables_before_136",
        "eks",
        None,
        "watch",
        0,
        "we recommend using this mode only starting with v1.36",
    ),
    (
        "eks subnet with 4 free IPs",
        "subnets4",
        "subnet_free_ips_required",
        "eks",
        None,
        "blocker",
        6,
        "The subnets must each have at least six IP addresses for use by Amazon EKS.",
    ),
    # Subnet free IPs: 6 required (hard), 16 advised.
    (
        "eks subnet with 10 free IPs",
        "subnets10",
        "subnet_free_ips",
        "eks",
        None,
        "at-risk",
        16,
        "However, we recommend at least 16 IP addresses.",
    ),
]


def _etcd_snap(size: float):
    from evaluator.inventory import EtcdInventory

    return _snap(etcd=EtcdInventory(db_size_bytes=int(size), source="etcd"))


def _subnets(free: int):
    from evaluator.inventory import CloudInventory, Subnet

    return _snap(cloud=CloudInventory(provider="aws", subnets=[Subnet(id="subnet-a", available_ips=free)]))


@pytest.mark.parametrize(
    ("snap", "constraint", "target", "plan", "status", "limit", "sentence"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_corrected_limit(
    snap: Any,
    constraint: str,
    target: str,
    plan: dict[str, str] | None,
    status: str,
    limit: float | None,
    sentence: str,
) -> None:
    if snap is None:
        snap = _etcd_snap(10 * GIB)
    elif isinstance(snap, str) and snap.startswith("subnets"):
        snap = _subnets(int(snap.removeprefix("subnets")))
    finding = _finding(snap, constraint, target, plan)
    assert finding.status == status, finding.message
    assert finding.limit == limit
    assert sentence.replace('"', "") in _note(constraint, target, plan).replace('"', "").replace("\\", "")
    assert finding.source.startswith("https://")


@pytest.mark.parametrize(
    ("minor", "field", "value"),
    [
        # kubernetes/website data/releases/eol.yaml: endOfLifeDate "2024-07-16" finalPatchRelease 1.27.16, etc.
        ((1, 27), "upstream_end", "2024-07-16"),
        ((1, 28), "upstream_end", "2024-10-22"),
        ((1, 29), "upstream_end", "2025-02-28"),
        ((1, 31), "upstream_end", "2025-11-11"),
        # kubernetes.io/releases/1.37: "1.37.0 (Released on 2026-08-26) ... End Of Life Date 2027-10-28".
        ((1, 37), "upstream_release", "2026-08-26"),
        ((1, 37), "upstream_end", "2027-10-28"),
        # No AWS page read gives 1.35's dates: null here and absent from cost_assumptions.yaml.
        ((1, 35), "eks_standard_end", None),
    ],
)
def test_version_calendar(minor: tuple[int, int], field: str, value: str | None) -> None:
    got = getattr(version_table()[minor], field)
    assert (got.isoformat() if got else None) == value


def test_eks_135_is_not_in_the_cost_calendar_either() -> None:
    from evaluator.scoring.cost import load_cost_assumptions

    assert "1.35" not in load_cost_assumptions(None).eks_versions.versions


def test_minors_behind_counts_137() -> None:
    f = _finding(_snap(), "minor_versions_behind", "self-hosted")
    assert f.observed == 3 and "1.37" in f.message  # 1.34 on 2026-11-30: 1.37 is the newest


@pytest.mark.parametrize(
    ("plan", "metric"),
    [
        # "approximately an additional 10 months of extended support available with the Extended channel"
        (None, "version.gke_standard_months_left"),
        ({"channel": "extended"}, "version.gke_extended_months_left"),
    ],
)
def test_gke_extended_support_only_on_the_extended_channel(plan: dict[str, str] | None, metric: str) -> None:
    c = load_catalog().get("version_extended_support")
    limit = c.limit_for("gke", {**default_plan("gke"), **(plan or {})})
    assert limit is not None and limit.metric == metric


@pytest.mark.parametrize(
    ("tier", "seats"), [("provisioned-xl", 1700), ("provisioned-2xl", 3400), ("provisioned-4xl", 6800)]
)
def test_provisioned_control_plane_seats(tier: str, seats: int) -> None:
    snap = _snap(control_plane=ControlPlaneInventory(apiserver_flags={"max-requests-inflight": "3000"}))
    f = _finding(snap, "apiserver_inflight_seats", "eks", {"control_plane": tier})
    assert f.limit == seats


def test_autopilot_pod_range_is_projected() -> None:
    snap = _pods(
        45000,
        networking=NetworkingInventory(pod_ip_capacity=65536, pod_cidrs=["10.0.0.0/16"]),
    )
    f = _finding(snap, "node_pod_range_capacity", "gke-autopilot")
    # 1,407 nodes x 64 addresses = 90,048 of 65,536: past the range.
    assert f.status == "blocker" and f.observed == pytest.approx(1407 * 64 / 65536)


def test_every_plan_default_is_an_allowed_value() -> None:
    for target, options in PLAN_OPTIONS.items():
        for key, (allowed, default) in options.items():
            assert default in allowed, (target, key)
    assert resolve_plans({"eks": {"compute": "karpenter"}})["eks"]["compute"] == "karpenter"


@pytest.mark.parametrize(
    ("policies", "observed", "status"),
    [
        # "To implement CCNP, enable GKE Dataplane V2 on your cluster." CCNP carries over; Calico objects do not.
        ({"ciliumclusterwidenetworkpolicies.cilium.io": 12}, 0, "ok"),
        (
            {"ciliumclusterwidenetworkpolicies.cilium.io": 12, "networkpolicies.crd.projectcalico.org": 30},
            30,
            "at-risk",
        ),
    ],
)
def test_autopilot_cni_policies_split_by_kind(policies: dict[str, int], observed: int, status: str) -> None:
    from evaluator.inventory import NetworkPolicyInventory

    snap = _snap(network_policies=NetworkPolicyInventory(count=5, cni_policies=policies))
    f = _finding(snap, "cni_policy_count", "gke-autopilot")
    assert f.observed == observed and f.status == status
    assert "CCNP" in f.message or observed


def _eks_source(profiles: int, selectors: int = 1, labels: int = 1, cidrs: int = 0):
    from evaluator.inventory import CloudInventory, NodeGroup

    groups = [
        NodeGroup(
            name=f"fp-{i}",
            kind="fargate",
            extra={
                "selectors": [
                    {"namespace": f"ns{j}", "labels": {f"k{k}": "v" for k in range(labels)}} for j in range(selectors)
                ]
            },
        )
        for i in range(profiles)
    ]
    cloud = CloudInventory(
        provider="aws",
        node_groups=groups,
        endpoint_public=True,
        public_access_cidrs=[f"10.{i}.0.0/16" for i in range(cidrs)],
    )
    return _snap(cloud=cloud)


@pytest.mark.parametrize(
    ("snap", "constraint", "status", "sentence"),
    [
        (_eks_source(12), "eks_fargate_profiles", "at-risk", "| Fargate profiles per cluster | ... | 10 | Yes |"),
        (
            _eks_source(2, selectors=6),
            "eks_fargate_selectors",
            "at-risk",
            "| Selectors per Fargate profile | ... | 5 |",
        ),
        (
            _eks_source(1, labels=6),
            "eks_fargate_selector_labels",
            "at-risk",
            "Label pairs per Fargate profile selector",
        ),
        (_eks_source(0, cidrs=45), "eks_public_endpoint_cidrs", "blocker", "| 40 | No |"),
        (_eks_source(3, cidrs=2), "eks_public_endpoint_cidrs", "ok", "Public endpoint access CIDR ranges per cluster"),
    ],
)
def test_eks_plan_inputs_measured_on_eks_sources(snap: Any, constraint: str, status: str, sentence: str) -> None:
    f = _finding(snap, constraint, "eks")
    assert f.status == status, f.message
    assert sentence.replace('"', "") in _note(constraint, "eks", None).replace('"', "")


def test_plan_inputs_on_another_source_are_to_decide_not_open_risk() -> None:
    ev = evaluate([_snap()], load_catalog(), ["eks"], now=NOW)
    f = next(f for f in ev.findings if f.constraint == "eks_fargate_profiles")
    assert f.status == "unknown" and "plan input" in f.message
    fit = ev.fits[0]
    counted = fit.applicable
    plan_inputs = [f for f in ev.findings if "plan-input" in load_catalog().get(f.constraint).tags]
    # Fargate profiles, selectors, label pairs, public endpoint CIDRs, subnet free IPs (advised and required)
    assert all(f.status == "unknown" for f in plan_inputs) and len(plan_inputs) == 6
    applicable = [f for f in ev.findings if f.limit_kind != "not-applicable"]
    version_wide = [f for f in applicable if "version-wide" in load_catalog().get(f.constraint).tags]
    assert counted == len(applicable) - 6 - len(version_wide)  # left out of coverage and clearance
    assert "fargate" not in ev.recommendation.lower() and "subnet" not in ev.recommendation.lower()


def _etcd_members(errors: list[str]):
    from evaluator.inventory import EtcdInventory, EtcdMember

    member = EtcdMember(name="etcd-0", id="1", version="3.5.21", errors=errors)
    return _snap(etcd=EtcdInventory(db_size_bytes=2 * GIB, source="etcd", members=[member]))


DEPTH = [
    # (snapshot, constraint, target, plan, status, limit, sentence)
    (
        _snap(control_plane=ControlPlaneInventory(etcd_flags={"quota-backend-bytes": str(12 * GIB)})),
        "etcd_quota_setting",
        "self-hosted",
        None,
        "watch",
        8 * GIB,
        "etcd warns at startup if the configured value",
    ),
    (
        _etcd_members(["memberID:1 alarm:NOSPACE"]),
        "etcd_nospace_alarm",
        "self-hosted",
        None,
        "blocker",
        0,
        "NOSPACE alarm and stops accepting writes",
    ),
    (_etcd_members([]), "etcd_nospace_alarm", "self-hosted", None, "ok", 0, "NOSPACE"),
    (
        _etcd_snap(10 * GIB),
        "eks_provisioned_tier_exit",
        "eks",
        {"control_plane": "provisioned-2xl"},
        "watch",
        8e9,
        "you cannot exit this tier until you lower the database utilization to less than 8 GB",
    ),
    (
        _snap(services=ServiceInventory(count=70000)),
        "eks_default_service_range",
        "eks",
        None,
        "blocker",
        65536,
        "10.100.0.0/16 or 172.20.0.0/16",
    ),
    (
        _snap(services=ServiceInventory(count=3500), networking=NetworkingInventory(cni="cilium")),
        "cilium_service_lb_services",
        "self-hosted",
        None,
        "at-risk",
        3000,
        "Max ~3k clusterIP/nodePort Services",
    ),
    (
        _snap(networking=NetworkingInventory(kube_proxy_mode="nftables", cni="aws-vpc-cni", cni_version="v1.19.2")),
        "nftables_with_old_vpc_cni",
        "eks",
        None,
        "at-risk",
        0,
        "compatible with nftables mode starting with version v1.23.0",
    ),
    (
        _snap(nodes=NodeInventory(count=70000)),
        "nodes_absolute_ceiling",
        "gke",
        None,
        "blocker",
        65000,
        "GKE supports large clusters up to 65,000 nodes",
    ),
    (
        _snap(nodes=NodeInventory(count=70000)),
        "nodes_absolute_ceiling",
        "eks",
        None,
        "watch",
        100000,
        "up to 100,000 nodes in a single cluster if you are selected for onboarding",
    ),
]


@pytest.mark.parametrize(("snap", "constraint", "target", "plan", "status", "limit", "sentence"), DEPTH)
def test_more_catalog_depth(
    snap: Any, constraint: str, target: str, plan: dict[str, str] | None, status: str, limit: float, sentence: str
) -> None:
    f = _finding(snap, constraint, target, plan)
    assert f.status == status, f.message
    assert f.limit == limit
    assert sentence in _note(constraint, target, plan).replace('"', "")


def test_catalog_has_at_least_70_sourced_constraints() -> None:
    catalog = load_catalog()
    assert len(catalog.constraints) >= 70
    for c in catalog.constraints:
        for limit in [*c.limits.values(), *(x for xs in c.plan_limits.values() for x in xs)]:
            assert limit.source.startswith("https://") and limit.verified, c.id
