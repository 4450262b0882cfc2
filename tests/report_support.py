"""Fixed catalogs, evaluations, questions and answers for report tests (no clock, no catalog file, no engine).

Everything here is deterministic so the golden files stay byte-stable.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaluator.catalog.model import Catalog, Constraint, Limit
from evaluator.findings import (
    CostEstimate,
    CostLine,
    Crossing,
    DomainScore,
    Evaluation,
    Finding,
    Forecast,
    GeneratedQuestion,
    TargetFit,
    VendorAnswers,
)
from evaluator.inventory import EtcdInventory, Gap, NetworkPolicyInventory, NodeInventory, Snapshot, Stats
from evaluator.reporting import ReportContext, build_report_context
from tests.factories import make_snapshot

GENERATED_AT = "2026-11-02T09:00:00Z"
TARGETS = ["self-hosted", "eks", "gke", "gke-autopilot"]
GIB = 1024**3

ETCD_EKS = "https://docs.aws.amazon.com/eks/latest/best-practices/scale-control-plane.html"
ETCD_LIMIT = "https://etcd.io/docs/v3.5/dev-guide/limit/"
GKE_QUOTAS = "https://cloud.google.com/kubernetes-engine/quotas"
K8S_LARGE = "https://kubernetes.io/docs/setup/best-practices/cluster-large/"
GKE_PODS = "https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr"


def _limit(kind: str, source: str, value: float | None = None) -> Limit:
    return Limit(kind=kind, source=source, verified="2026-11-20", value=value)


def make_catalog() -> Catalog:
    """Four constraints with a limit per target, like the shipped catalog but frozen for golden files."""
    return Catalog(
        version="2026.11-test",
        constraints=[
            Constraint(
                id="etcd_db_size",
                title="etcd database size",
                category="etcd",
                metric="etcd.db_size_bytes",
                unit="bytes",
                check="max",
                limits={
                    "self-hosted": _limit("recommended", ETCD_LIMIT, 8 * GIB),
                    "eks": _limit("hard", ETCD_EKS, 8 * GIB),
                    "gke": _limit("not-published", GKE_QUOTAS),
                    "gke-autopilot": _limit("not-published", GKE_QUOTAS),
                },
                remediation="Compact and defragment etcd; move Events to their own etcd; prune old objects.",
                growing=True,
            ),
            Constraint(
                id="nodes_per_cluster",
                title="Nodes per cluster",
                category="nodes",
                metric="nodes.count",
                unit="count",
                check="max",
                limits={
                    "self-hosted": _limit("recommended", K8S_LARGE, 5000),
                    "eks": _limit("recommended", ETCD_EKS, 5000),
                    "gke": _limit("quota", GKE_QUOTAS, 15000),
                    "gke-autopilot": _limit("quota", GKE_QUOTAS, 5000),
                },
                remediation="Split the cluster by tenant or environment.",
                growing=True,
            ),
            Constraint(
                id="pods_per_node",
                title="Pods per node",
                category="nodes",
                metric="nodes.pods_per_node.max",
                unit="pods",
                check="max",
                limits={
                    "self-hosted": _limit("recommended", K8S_LARGE, 110),
                    "eks": _limit("hard", ETCD_EKS, 58),
                    "gke": _limit("hard", GKE_PODS, 256),
                    "gke-autopilot": _limit("hard", GKE_PODS, 32),
                },
                remediation="Use larger node pools with fewer pods each, or prefix delegation on EKS.",
            ),
            Constraint(
                id="network_policies",
                title="NetworkPolicy objects",
                category="network-policy",
                metric="network_policies.count",
                unit="count",
                check="max",
                limits={
                    "self-hosted": _limit("not-applicable", K8S_LARGE),
                    "eks": _limit("not-published", ETCD_EKS),
                    "gke": _limit("not-published", GKE_QUOTAS),
                    "gke-autopilot": _limit("not-published", GKE_QUOTAS),
                },
            ),
        ],
    )


def _finding(cluster: str, target: str, cid: str, status: str, observed: Any, limit: Any, **kw: Any) -> Finding:
    catalog = make_catalog()
    c = catalog.get(cid)
    lim = c.limits[target]
    util = kw.pop("utilisation", None)
    if util is None and isinstance(observed, int | float) and isinstance(limit, int | float) and limit:
        util = observed / limit
    return Finding(
        cluster=cluster,
        target=target,
        constraint=cid,
        title=c.title,
        category=c.category,
        observed=observed,
        limit=limit,
        unit=c.unit,
        status=status,
        limit_kind=lim.kind,
        source=lim.source,
        verified=lim.verified,
        message=kw.pop("message", f"{c.title}: {observed} against {limit} on {target}"),
        remediation=c.remediation if status in ("watch", "at-risk", "blocker") else "",
        utilisation=util,
        headroom=(limit - observed) if isinstance(limit, int | float) and isinstance(observed, int | float) else None,
        snapshot_at="2026-11-01T10:00:00Z",
        **kw,
    )


# (constraint, observed, {target: (status, limit)}) for the big cluster; the small one is all ok.
BIG = [
    (
        "etcd_db_size",
        int(7.5 * GIB),
        {
            "self-hosted": ("at-risk", 8 * GIB),
            "eks": ("at-risk", 8 * GIB),
            "gke": ("unknown", None),
            "gke-autopilot": ("unknown", None),
        },
    ),
    (
        "nodes_per_cluster",
        1500,
        {"self-hosted": ("ok", 5000), "eks": ("ok", 5000), "gke": ("ok", 15000), "gke-autopilot": ("ok", 5000)},
    ),
    (
        "pods_per_node",
        64,
        {"self-hosted": ("ok", 110), "eks": ("blocker", 58), "gke": ("ok", 256), "gke-autopilot": ("blocker", 32)},
    ),
    (
        "network_policies",
        8000,
        {
            "self-hosted": ("ok", None),
            "eks": ("watch", None),
            "gke": ("unknown", None),
            "gke-autopilot": ("unknown", None),
        },
    ),
]


def _cluster_findings(cluster: str, rows: list[tuple[str, Any, dict[str, tuple[str, Any]]]]) -> list[Finding]:
    out = []
    for target in TARGETS:
        for cid, observed, per in rows:
            status, limit = per[target]
            out.append(_finding(cluster, target, cid, status, observed, limit))
    return out


def _fit(cluster: str, target: str, findings: list[Finding]) -> TargetFit:
    counts = {s: 0 for s in ("ok", "watch", "at-risk", "blocker", "unknown")}
    for f in findings:
        if f.cluster == cluster and f.target == target:
            counts[f.status] += 1
    score = max(0, 100 - 40 * counts["blocker"] - 15 * counts["at-risk"] - 5 * counts["watch"] - 2 * counts["unknown"])
    if counts["blocker"]:
        score = min(score, 49)
    grade = next((g for floor, g in ((90, "A"), (75, "B"), (60, "C"), (40, "D")) if score >= floor), "F")
    verdict = "does not fit today" if counts["blocker"] else "fits with work" if counts["at-risk"] else "fits"
    reason = {
        "does not fit today": f"Pods per node exceed {target}'s hard limit.",
        "fits with work": "etcd is close to its size limit.",
        "fits": "No limit reached.",
    }[verdict]
    return TargetFit(cluster, target, counts, float(score), grade, verdict, reason)


def make_evaluation(big: str = "prod-eu-1", small: str = "dev-1") -> Evaluation:
    """Two clusters: ``big`` (bank-sized, with blockers and a forecast) and ``small`` (all ok, one snapshot)."""
    small_rows = [
        (cid, obs, {t: ("ok", lim) for t, (_, lim) in per.items()})
        for cid, obs, per in [
            ("etcd_db_size", 1 * GIB, {t: ("ok", 8 * GIB) for t in TARGETS}),
            ("nodes_per_cluster", 12, {t: ("ok", 5000) for t in TARGETS}),
            ("pods_per_node", 20, {t: ("ok", 110) for t in TARGETS}),
            ("network_policies", 10, {t: ("ok", None) for t in TARGETS}),
        ]
    ]
    findings = _cluster_findings(big, BIG) + _cluster_findings(small, small_rows)
    fits = [_fit(c, t, findings) for c in (big, small) for t in TARGETS]
    forecast = Forecast(
        cluster=big,
        constraint="etcd_db_size",
        metric="etcd.db_size_bytes",
        unit="bytes",
        points=[
            ["2026-05-05T10:00:00Z", 6.0 * GIB],
            ["2026-08-03T10:00:00Z", 6.75 * GIB],
            ["2026-11-01T10:00:00Z", 7.5 * GIB],
        ],
        slope_per_day=0.75 * GIB / 90,
        current=7.5 * GIB,
        crossings=[
            Crossing("self-hosted", "at-risk", 7.2 * GIB, None, None, already=True),
            Crossing("eks", "at-risk", 7.2 * GIB, None, None, already=True),
            Crossing("eks", "blocker", 8 * GIB, "2026-12-31", 2.0),
            Crossing("self-hosted", "at-risk", 8 * GIB, "2026-12-31", 2.0),
        ],
        message=f"{big}: etcd database size grows 256 MiB/month; it reaches EKS's 8 GiB in about 2 months (2026-12).",
    )
    costs = []
    ec2 = "https://aws.amazon.com/ec2/pricing/on-demand/"
    gce = "https://cloud.google.com/compute/vm-instance-pricing"
    people = "https://example.com/our-salary-bands"
    for cluster in (big, small):
        workers_aws = CostLine(
            "workers: 10 x m5.4xlarge", 5606.4, "10 x $0.768/h x 730 h (as measured)", ec2, "workers", "", "2026-12-01"
        )
        workers_gcp = CostLine(
            "workers: 10 x m5.4xlarge as n2-standard-16",
            5671.69,
            "10 x $0.776944/h x 730 h (equivalent set in the cost file (equivalents))",
            gce,
            "workers",
            "",
            "2026-12-01",
        )
        nat = CostLine(
            "NAT gateways",
            None,
            "3 gateways x 730 h (assumption, cost file: traffic)",
            None,
            "traffic",
            "no price for nat_gateway_hour in the aws us-east-1 table",
        )
        costs.append(
            CostEstimate(
                cluster,
                "self-hosted",
                12276.88,
                [
                    CostLine(
                        "control-plane nodes",
                        420.48,
                        "3 x m5.xlarge at $0.192/h x 730 h",
                        ec2,
                        "control plane",
                        "",
                        "2026-12-01",
                    ),
                    workers_aws,
                    nat,
                    CostLine("platform engineering (people)", 6250.0, "0.5 FTE x $150,000/year / 12", people, "people"),
                ],
                ["3 control-plane nodes as measured in the snapshot"],
                region="aws us-east-1",
                yearly_usd=147322.56,
                complete=False,
                gaps=["NAT gateways: no price for nat_gateway_hour in the aws us-east-1 table"],
            )
        )
        costs.append(
            CostEstimate(
                cluster,
                "eks",
                7554.4,
                [
                    CostLine(
                        "EKS control plane",
                        73.0,
                        "$0.10/h x 730 h",
                        "https://aws.amazon.com/eks/pricing/",
                        "control plane",
                    ),
                    workers_aws,
                    CostLine(
                        "platform engineering (people)", 1875.0, "0.15 FTE x $150,000/year / 12", people, "people"
                    ),
                ],
                region="aws us-east-1",
                yearly_usd=90652.8,
            )
        )
        costs.append(
            CostEstimate(
                cluster,
                "gke",
                7619.69,
                [
                    CostLine(
                        "GKE management fee",
                        73.0,
                        "$0.10/h x 730 h",
                        "https://cloud.google.com/kubernetes-engine/pricing",
                        "control plane",
                    ),
                    workers_gcp,
                    CostLine(
                        "platform engineering (people)", 1875.0, "0.15 FTE x $150,000/year / 12", people, "people"
                    ),
                ],
                region="gcp us-central1",
                yearly_usd=91436.28,
            )
        )
        costs.append(
            CostEstimate(
                cluster,
                "gke-autopilot",
                1323.0,
                [
                    CostLine(
                        "GKE management fee",
                        73.0,
                        "$0.10/h x 730 h",
                        "https://cloud.google.com/kubernetes-engine/pricing",
                        "control plane",
                    ),
                    CostLine(
                        "Autopilot pod requests",
                        None,
                        "",
                        None,
                        "workers",
                        "Autopilot bills the vCPU and memory that pods request; this snapshot carries no pod requests",
                    ),
                    CostLine("platform engineering (people)", 1250.0, "0.1 FTE x $150,000/year / 12", people, "people"),
                ],
                region="gcp us-central1",
                yearly_usd=15876.0,
                complete=False,
                gaps=["Autopilot pod requests: no pod requests"],
            )
        )
    cost_analysis = {
        "regions": {"aws": "us-east-1", "gcp": "us-central1"},
        "totals": {
            "self-hosted": {"monthly": 24553.76, "yearly": 294645.12, "complete": False},
            "eks": {"monthly": 15108.8, "yearly": 181305.6, "complete": True},
            "gke": {"monthly": 15239.38, "yearly": 182872.56, "complete": True},
            "gke-autopilot": {"monthly": 2646.0, "yearly": 31752.0, "complete": False},
        },
        "cheapest": "eks",
        "decision": "EKS is the cheapest complete option on these assumptions, $130.58/month below the next",
        "sensitivity_pct": 25,
        "sensitivity": [
            {
                "input": "prices.gcp.compute",
                "label": "GCE machine prices",
                "low": {"self-hosted": 24553.76, "eks": 15108.8, "gke": 12403.54, "gke-autopilot": 2646.0},
                "high": {"self-hosted": 24553.76, "eks": 15108.8, "gke": 18075.23, "gke-autopilot": 2646.0},
                "cheapest_low": "gke",
                "cheapest_high": "eks",
                "swing_monthly": 2835.85,
                "flips": ["-25 %: GKE"],
            }
        ],
        "moves_most": "The answer moves most with the GCE machine prices",
        "prices": [
            {
                "provider": "aws",
                "region": "us-east-1",
                "key": "compute.m5.4xlarge",
                "value": 0.768,
                "unit": "USD/hour",
                "detail": "16 vCPU, 64 GiB",
                "source": ec2,
                "evidence": "https://github.com/aws/karpenter-provider-aws",
                "verified": "2026-12-01",
                "table": "evaluator/scoring/prices/aws-us-east-1.yaml",
            }
        ],
        "mapping": [
            {
                "target": "gke",
                "measured": "m5.4xlarge",
                "nodes": 10,
                "priced_as": "n2-standard-16",
                "basis": "equivalent",
            }
        ],
    }
    return Evaluation(
        generated_at=GENERATED_AT,
        catalog_version="2026.11-test",
        targets=list(TARGETS),
        clusters=[big, small],
        findings=findings,
        fits=fits,
        forecasts=[forecast],
        forecast_notes=[f"{small}: one snapshot, no forecast"],
        costs=costs,
        cost_assumptions={
            "schema": "k8seval/cost-assumptions/v1",
            "fees": {
                "eks_standard": {
                    "value": 0.1,
                    "unit": "USD/hour",
                    "source": "https://aws.amazon.com/eks/pricing/",
                    "verified": "2026-11-20",
                    "note": "Per cluster-hour in standard support.",
                }
            },
            "people": {
                "fte_per_cluster": {"self-hosted": 0.5, "eks": 0.15},
                "note": "ASSUMPTION: edit to match your team.",
            },
            "hours_per_month": 730,
        },
        break_even={
            "eks": {
                "fte_per_cluster": {big: 0.12, small: 0.12},
                "fleet_fte": 0.24,
                "cheaper": "eks",
                "message": "Self-hosting costs less than EKS only below 0.24 engineer-FTE in total, "
                "so EKS is cheaper on these assumptions",
            }
        },
        cost_analysis=cost_analysis,
    )


def make_snapshots(big: str = "prod-eu-1", small: str = "dev-1") -> list[Snapshot]:
    """The snapshots behind :func:`make_evaluation`: three of ``big`` (history) and one of ``small``."""
    base = make_snapshot(
        big,
        nodes=NodeInventory(count=1500, control_plane_count=3, pods_per_node=Stats(max=64, mean=30, p95=50)),
        network_policies=NetworkPolicyInventory(count=8000, max_per_namespace=120),
        objects={"pods": 45000, "nodes": 1500, "networkpolicies.networking.k8s.io": 8000},
    )
    history = [
        replace(base, collected_at=at, etcd=EtcdInventory(db_size_bytes=int(size * GIB), source="etcd"))
        for at, size in (("2026-05-05T10:00:00Z", 6.0), ("2026-08-03T10:00:00Z", 6.75), ("2026-11-01T10:00:00Z", 7.5))
    ]
    history[-1] = replace(history[-1], gaps=[Gap("kube", "events", "403 Forbidden: list events at cluster scope")])
    return [*history, make_snapshot(small, version="1.30.2")]


def make_questions() -> dict[str, list[GeneratedQuestion]]:
    """Two vendors' generated question lists."""

    def q(qid: str, domain: str, title: str, gate: bool, priority: int) -> GeneratedQuestion:
        return GeneratedQuestion(
            id=qid,
            domain=domain,
            title=title,
            text=f"{title}: we run 8,000 NetworkPolicies and a 7.5 GiB etcd. How is this supported?",
            why="Measured near the documented limit.",
            evidence=["etcd_db_size"],
            answer_type="text",
            weight=3,
            gate=gate,
            priority=priority,
            regulatory=["DORA Art. 30"] if gate else [],
            constraints=["etcd_db_size"],
        )

    return {
        "eks": [
            q("CPS-01", "CPS", "etcd database size", True, 1),
            q("NET-03", "NET", "Network policy scale", False, 2),
        ],
        "gke": [q("CPS-01", "CPS", "etcd database size", True, 1)],
    }


def make_answers() -> list[VendorAnswers]:
    """One scored answer sheet (EKS)."""
    return [
        VendorAnswers(
            vendor="eks",
            source_file="answers-eks.xlsx",
            overall=2.75,
            passed_gates=False,
            gates_failed=["CPS-01"],
            domains=[DomainScore("CPS", 1.0, 1, 1, ["CPS-01"]), DomainScore("NET", 3.5, 1, 1)],
            answered=2,
            total=3,
            unanswered=["SLA-02"],
        )
    ]


def make_context(**kw: Any) -> ReportContext:
    """The fixed report context; keyword arguments go to build_report_context (questions, answers, title...)."""
    big = kw.pop("big", "prod-eu-1")
    small = kw.pop("small", "dev-1")
    return build_report_context(make_evaluation(big, small), make_snapshots(big, small), make_catalog(), **kw)
