"""``k8seval audit --config`` with every kind of source at once: the simulator over HTTP, real etcd (plain and
mutual TLS), a moto EKS server and the loopback fake GKE API, merged into one snapshot per cluster and reported."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import requests
from click.testing import CliRunner
from openpyxl import load_workbook

from evaluator.cli import cli
from evaluator.inventory import Snapshot, load_snapshot
from evaluator.simulator import Simulator, profile
from evaluator.simulator.spec import ClusterSpec
from tests import fake_gke as fk
from tests.eks_support import isolated_aws_env, seed_cluster
from tests.etcd_support import EtcdServer, etcd_server, etcd_tls_server  # noqa: F401 (session fixtures)

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
CONTEXT = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/payments"  # how `aws eks update-kubeconfig` names the context
PROJECT = "bank-analytics"
V130 = "1.30.5-gke.1014001"

# The keys written to etcd, per resource prefix; the merged snapshot must report exactly these counts.
ETCD_LAYOUT: dict[str, list[str]] = {
    "/registry/pods/": [f"default/web-{i}" for i in range(6)],
    "/registry/minions/": [f"ip-10-0-1-{i}.eu-west-1.compute.internal" for i in range(3)],
    "/registry/namespaces/": ["default", "kube-system"],
    "/registry/configmaps/": ["default/app", "kube-system/aws-auth", "kube-system/coredns", "default/x"],
}

# The self-hosted cluster "core" keeps its etcd behind client certificates.
CORE_LAYOUT: dict[str, list[str]] = {
    "/registry/pods/": [f"kube-system/etcd-{i}" for i in range(3)],
    "/registry/leases/": ["kube-system/kube-scheduler"],
}
CLUSTERS = ("core", "ledger", "payments", "sandbox", "treasury")

# Relative paths resolve against the configuration's folder, where the kubeconfigs and pki/ are written.
CONFIG = f"""
title: All sources
sources:
  kube:
    - kubeconfig: {{kubeconfig}}
      context: "{CONTEXT}"
    - kubeconfig: core-kubeconfig
      name: core
  etcd:
    - cluster: payments
      endpoints: ["{{plain}}"]
    - cluster: core
      endpoints: ["{{tls}}"]
      cacert: pki/{{ca}}
      cert: pki/{{cert}}
      key: pki/{{key}}
  eks:
    - regions: [{REGION}]
  gke:
    - projects: [{PROJECT}]
      endpoint: "{{gke}}"
"""

OUTPUTS = ("report.html", "report.md", "findings.json", "findings.csv", "findings.xlsx", "junit.xml", "questions.xlsx")


def eks_spec() -> ClusterSpec:
    """The simulator's small profile as the EKS cluster ``payments``: managed control plane, VPC CNI."""
    return dataclasses.replace(
        profile("small"),
        name="payments",
        platform="eks",
        cni="aws-vpc-cni",
        control_plane_nodes=None,  # managed: no control-plane nodes (resolved again by validate())
        node_pools=[],  # the profile's pools were sized for one control-plane node; split again
        calico_policies=0,
        calico_global_policies=0,
        crds=None,
        configmaps=None,
        secrets=None,
    )


def gke_fleet() -> fk.FakeGkeState:
    """Two GKE clusters in one project, neither of them named like the EKS ones: a regional one and Autopilot."""
    zones = ["europe-west2-a", "europe-west2-b"]
    treasury = fk.cluster(
        "treasury",
        "europe-west2",
        project=PROJECT,
        version=V130,
        locations=zones,
        datapath=fk.ADVANCED_DATAPATH,
        channel=fk.REGULAR,
        default_max_pods=110,
        cluster_cidr="10.4.0.0/14",
        services_cidr="10.8.0.0/20",
        current_node_count=4,
        node_pools=[fk.node_pool("default-pool", version=V130, locations=zones, initial_node_count=2, max_pods=110)],
    )
    sandbox = fk.cluster(
        "sandbox",
        "europe-west2",
        project=PROJECT,
        version=V130,
        autopilot=True,
        datapath=fk.ADVANCED_DATAPATH,
        channel=fk.RAPID,
        default_max_pods=32,
        cluster_cidr="10.100.0.0/17",
        services_cidr="10.101.0.0/22",
        node_pools=[fk.node_pool("default-pool", version=V130, locations=zones, autoscaling=(0, 1000))],
    )
    state = fk.FakeGkeState(clusters={PROJECT: [treasury, sandbox]})
    state.server_configs[(PROJECT, "europe-west2")] = fk.server_config(valid_master_versions=[V130])
    return state


def load_etcd(server: EtcdServer, layout: dict[str, list[str]]) -> None:
    """Make ``server`` hold exactly ``layout``; etcd commits its backend in batches, so wait for dbSize to settle."""
    server.delete_all()  # the session server may hold another module's keys
    for prefix, names in layout.items():
        for name in names:
            server.put(prefix + name)
    before = None
    for _ in range(50):
        status = server.post("maintenance/status", {})
        now = (status["dbSize"], status.get("dbSizeInUse"))
        if now == before:
            return
        before = now
        time.sleep(0.2)


@dataclass
class Audit:
    """One audit run and what it was given."""

    exit_code: int
    output: str
    out: Path
    snapshots: dict[str, Snapshot]  # by cluster name
    names: list[str]  # the cluster name of every snapshot file, in file order
    nodes: int  # the EKS simulator's node count
    core_url: str  # the self-hosted simulator's API URL
    etcd_urls: tuple[str, str]  # (plain, TLS)
    gke_requests: list[str]


@pytest.fixture(scope="module")
def audited(
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
    etcd_server: EtcdServer,  # noqa: F811
    etcd_tls_server: EtcdServer,  # noqa: F811
) -> Iterator[Audit]:
    """Seed every source, write the configuration, and run ``k8seval audit --config`` once through the CLI."""
    tmp = tmp_path_factory.mktemp("audit-all")
    try:
        load_etcd(etcd_server, ETCD_LAYOUT)
        load_etcd(etcd_tls_server, CORE_LAYOUT)
        tls = etcd_tls_server.tls
        assert tls is not None
        pki = tmp / "pki"
        pki.mkdir()
        for src in (tls.ca, tls.client_cert, tls.client_key):
            shutil.copy(src, pki / src.name)

        with pytest.MonkeyPatch.context() as mp:
            requests.post(f"{moto_url}/moto-api/reset", timeout=10)
            isolated_aws_env(mp, tmp)
            mp.setenv("AWS_ENDPOINT_URL", moto_url)
            # moto answers HTTP 500 to ListServiceQuotas; two attempts keep the retry back-off short.
            mp.setenv("AWS_MAX_ATTEMPTS", "2")
            seed_cluster(REGION, "payments", node_groups={"general": ["m5.large"]}, endpoint_url=moto_url)
            seed_cluster(
                REGION,
                "ledger",
                node_groups={"small": ["t3.medium"]},
                subnet_cidrs=("10.0.3.0/24",),
                endpoint_url=moto_url,
            )
            gke_state = gke_fleet()
            spec = eks_spec()
            core_spec = dataclasses.replace(profile("small"), name="core")
            with fk.serve(gke_state) as gke_url, Simulator(spec, port=0) as sim, Simulator(core_spec, port=0) as core:
                kubeconfig = sim.write_kubeconfig(tmp / "kubeconfig", context=CONTEXT)
                core.write_kubeconfig(tmp / "core-kubeconfig")
                config = tmp / "k8seval.yaml"
                config.write_text(
                    CONFIG.format(
                        kubeconfig=kubeconfig.name,
                        plain=etcd_server.url,
                        tls=etcd_tls_server.url,
                        ca=tls.ca.name,
                        cert=tls.client_cert.name,
                        key=tls.client_key.name,
                        gke=gke_url,
                    ),
                    encoding="utf-8",
                )
                out = tmp / "out"
                result = CliRunner().invoke(cli, ["audit", "--config", str(config), "--out", str(out)])
                nodes, core_url = sim.spec.nodes, core.url
        loaded = [load_snapshot(path) for path in sorted((out / "snapshots").glob("*.json"))]
        yield Audit(
            result.exit_code,
            result.output,
            out,
            {snap.cluster.name: snap for snap in loaded},
            [snap.cluster.name for snap in loaded],
            nodes,
            core_url,
            (etcd_server.url, etcd_tls_server.url),
            list(gke_state.requests),
        )
    finally:
        # Leave the session servers empty: other modules count keys on them.
        etcd_server.delete_all()
        etcd_tls_server.delete_all()


def test_exit_code_and_every_output_file(audited: Audit) -> None:
    assert audited.exit_code == 0, audited.output
    assert "Traceback" not in audited.output
    for name in OUTPUTS:
        path = audited.out / name
        assert path.is_file() and path.stat().st_size > 0, name
    # One snapshot per cluster: payments (EKS + kube + etcd merged), core (kube + etcd over mutual TLS),
    # ledger (EKS only) and two GKE clusters.
    assert sorted(audited.snapshots) == list(CLUSTERS)
    assert sorted(audited.names) == list(CLUSTERS)  # no cluster split over two snapshot files


def test_payments_is_one_merged_snapshot(audited: Audit) -> None:
    snap = audited.snapshots["payments"]
    assert snap.cluster.platform == "eks"
    assert sorted(snap.collection.collectors) == ["eks", "etcd", "kube"]
    # The cloud side's identity, the Kubernetes side's version.
    assert (snap.cluster.region, snap.cluster.account, snap.cluster.provider) == (REGION, ACCOUNT, "aws")
    assert snap.cluster.version == eks_spec().version  # the simulator's /version, not the EKS API's 1.30
    assert snap.cluster.endpoint not in audited.etcd_urls and ".eks.amazonaws.com" in (snap.cluster.endpoint or "")
    # Nodes come from the Kubernetes API: exactly the simulator's, and no gap left from the EKS side.
    assert snap.nodes.count == audited.nodes
    assert snap.gap_for("nodes.count") is None and snap.gap_for("objects") is None
    assert snap.objects
    # The cloud section: the node group with the VPC CNI's max pods for m5.large.
    assert snap.cloud is not None
    assert {g.name: g.max_pods_per_node for g in snap.cloud.node_groups} == {"general": 29}


def test_direct_etcd_read_wins(audited: Audit) -> None:
    etcd = audited.snapshots["payments"].etcd
    assert etcd.source == "etcd"  # not the apiserver's apiserver_storage_size_bytes estimate
    for prefix, names in ETCD_LAYOUT.items():
        assert etcd.keys[prefix] == len(names), prefix
    assert sum(etcd.keys.values()) == sum(len(n) for n in ETCD_LAYOUT.values())
    assert etcd.total_keys == sum(len(n) for n in ETCD_LAYOUT.values())
    assert etcd.members and etcd.db_size_bytes and etcd.version


def test_self_hosted_cluster_with_etcd_over_mutual_tls(audited: Audit) -> None:
    snap = audited.snapshots["core"]
    assert sorted(snap.collection.collectors) == ["etcd", "kube"]
    # The cluster's identity is the Kubernetes API's: its URL, not the etcd endpoint's, whichever finished last.
    assert (snap.cluster.platform, snap.cluster.endpoint) == ("self-hosted", audited.core_url)
    assert snap.etcd.source == "etcd"
    assert {p: snap.etcd.keys[p] for p in CORE_LAYOUT} == {p: len(n) for p, n in CORE_LAYOUT.items()}
    assert snap.nodes.count == profile("small").nodes


def test_eks_only_cluster_says_what_it_lacks(audited: Audit) -> None:
    ledger = audited.snapshots["ledger"]
    assert ledger.collection.collectors == ["eks"]
    assert ledger.cloud is not None and [g.max_pods_per_node for g in ledger.cloud.node_groups] == [17]
    gap = ledger.gap_for("nodes.count")
    assert gap is not None and "Kubernetes API" in gap.reason


def test_gke_clusters_are_their_own_snapshots(audited: Audit) -> None:
    treasury, sandbox = audited.snapshots["treasury"], audited.snapshots["sandbox"]
    assert treasury.cluster.platform == "gke" and sandbox.cluster.platform == "gke-autopilot"
    assert treasury.collection.collectors == ["gke"] and sandbox.collection.collectors == ["gke"]
    assert treasury.cloud is not None and [g.name for g in treasury.cloud.node_groups] == ["default-pool"]
    assert any(f"/projects/{PROJECT}/" in r for r in audited.gke_requests)  # the configured endpoint was used


def test_reports_name_every_cluster(audited: Audit) -> None:
    names = CLUSTERS
    data = json.loads((audited.out / "findings.json").read_text(encoding="utf-8"))
    assert sorted(data["clusters"]) == sorted(names)
    assert {f["cluster"] for f in data["findings"]} == set(names)
    html = (audited.out / "report.html").read_text(encoding="utf-8")
    md = (audited.out / "report.md").read_text(encoding="utf-8")
    for name in names:  # a row in the cluster table of each report ("core" alone would match "score")
        assert f'<a href="#c-{name}">{name}</a>' in html, name
        assert f"\n| {name} | " in md, name
    with (audited.out / "findings.csv").open(encoding="utf-8", newline="") as fh:
        assert {row["cluster"] for row in csv.DictReader(fh)} == set(names)
    root = ET.parse(audited.out / "junit.xml").getroot()
    assert int(root.get("tests", "0")) == len(data["findings"])
    sheets = load_workbook(audited.out / "questions.xlsx").sheetnames
    assert any("eks" in s.lower() for s in sheets) and any("gke" in s.lower() for s in sheets)
