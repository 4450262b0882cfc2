"""The GKE collector with the real google-cloud-container client (REST transport) against a loopback fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.gke import (
    collect_gke,
    make_gke_client,
    per_node_prefix,
    pod_range_nodes,
    short_version,
    version_key,
)
from evaluator.errors import AccessDenied, AuthError, EndpointError
from evaluator.inventory import Snapshot, load_snapshot
from tests import fake_gke as fk

V130 = "1.30.5-gke.1014001"
V129 = "1.29.8-gke.1211000"
PROD, DEV = "bank-prod", "bank-dev"


def fleet() -> fk.FakeGkeState:
    """Two projects: a regional Dataplane V2 cluster with three pools, a zonal Calico cluster, an Autopilot one."""
    zones = ["europe-west2-a", "europe-west2-b", "europe-west2-c"]
    payments = fk.cluster(
        "payments",
        "europe-west2",
        project=PROD,
        version=V130,
        locations=zones,
        datapath=fk.ADVANCED_DATAPATH,
        channel=fk.REGULAR,
        default_max_pods=110,
        cluster_cidr="10.4.0.0/14",
        services_cidr="10.8.0.0/20",
        current_node_count=9,
        private={
            "enablePrivateNodes": True,
            "masterIpv4CidrBlock": "172.16.0.0/28",
            "privateEndpoint": "172.16.0.2",
            "publicEndpoint": "34.89.10.20",
        },
        authorized_networks=["203.0.113.0/24"],
        logging_components=[fk.SYSTEM_COMPONENTS, fk.APISERVER],
        maintenance={
            "recurringWindow": {
                "window": {"startTime": "2024-01-06T02:00:00Z", "endTime": "2024-01-06T06:00:00Z"},
                "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
            }
        },
        node_pools=[
            fk.node_pool(
                "default-pool",
                version=V130,
                locations=zones,
                machine_type="e2-standard-8",
                initial_node_count=1,
                autoscaling=(1, 5),
                max_pods=110,
                pod_cidr_size=24,
            ),
            fk.node_pool(
                "spot-pool",
                version=V130,
                locations=zones,
                machine_type="n2-standard-4",
                initial_node_count=0,
                total_autoscaling=(0, 30),
                spot=True,
                max_pods=32,  # no podIpv4CidrSize: the /26 is derived from max pods
                labels={"workload": "batch"},
                taints=[("cloud.google.com/gke-spot", "true", fk.NO_SCHEDULE)],
            ),
            fk.node_pool(
                "batch-pool",
                version=V129,
                locations=zones[:1],
                preemptible=True,
                max_pods=32,
                pod_cidr_size=26,
                pod_range="batch-pods",
                pod_cidr="10.16.0.0/16",
            ),
        ],
    )
    legacy = fk.cluster(
        "legacy-batch",
        "europe-west2-a",
        project=PROD,
        version=V129,
        datapath=fk.LEGACY_DATAPATH,
        network_policy=(fk.CALICO, True),
        default_max_pods=64,
        cluster_cidr="10.20.0.0/16",
        services_cidr="10.21.0.0/20",
        current_node_count=3,
        node_pools=[fk.node_pool("pool-1", version=V129, locations=["europe-west2-a"], initial_node_count=3)],
    )
    sandbox = fk.cluster(
        "sandbox",
        "us-central1",
        project=DEV,
        version="1.31.1-gke.1146000",
        autopilot=True,
        datapath=fk.ADVANCED_DATAPATH,
        channel=fk.RAPID,
        default_max_pods=32,
        cluster_cidr="10.100.0.0/17",
        services_cidr="10.101.0.0/22",
        node_pools=[
            fk.node_pool(
                "default-pool",
                version="1.31.1-gke.1146000",
                locations=["us-central1-a", "us-central1-b"],
                autoscaling=(0, 1000),
                pod_cidr_size=26,
            )
        ],
    )
    state = fk.FakeGkeState(
        clusters={PROD: [payments, legacy], DEV: [sandbox]},
        forbidden={"bank-secret"},
        missing_zones={DEV: ["us-east1-b"]},
    )
    state.server_configs[(PROD, "europe-west2")] = fk.server_config(
        valid_master_versions=["1.31.1-gke.1146000", V130, V129],
        channels={fk.REGULAR: ["1.31.1-gke.1146000", "1.30.6-gke.1125000", V130, "1.30.4-gke.1348000"]},
    )
    state.server_configs[(PROD, "europe-west2-a")] = fk.server_config(
        valid_master_versions=[V130, "1.29.9-gke.1496000", V129, "1.29.7-gke.1008000"]
    )
    # no server config for us-central1: that must become a gap, not a failure
    return state


@pytest.fixture
def gke_state() -> fk.FakeGkeState:
    return fleet()


@pytest.fixture
def gke_url(gke_state: fk.FakeGkeState) -> Iterator[str]:
    with fk.serve(gke_state) as url:
        yield url


@pytest.fixture
def collected(gke_url: str) -> tuple[dict[str, Snapshot], list]:
    snaps, gaps = collect_gke(make_gke_client(gke_url), [PROD, DEV])
    return {s.cluster.name: s for s in snaps}, gaps


def pool(snap: Snapshot, name: str):
    assert snap.cloud is not None
    return next(g for g in snap.cloud.node_groups if g.name == name)


def test_regional_dataplane_v2_cluster(collected: tuple[dict[str, Snapshot], list]) -> None:
    snap = collected[0]["payments"]
    c, cloud = snap.cluster, snap.cloud
    assert cloud is not None
    assert (c.platform, c.version, c.git_version) == ("gke", "1.30.5", f"v{V130}")
    assert (c.region, c.account, c.provider, c.endpoint) == ("europe-west2", PROD, "gcp", "https://34.89.10.20")
    assert cloud.provider == "gcp" and cloud.mode == "standard"
    assert cloud.release_channel == "REGULAR"  # sent as the integer 2
    assert cloud.valid_upgrade_versions == ["1.30.6-gke.1125000", "1.31.1-gke.1146000"]  # REGULAR's, newer only
    assert (cloud.endpoint_public, cloud.endpoint_private) == (True, True)
    assert cloud.public_access_cidrs == ["203.0.113.0/24"]
    assert cloud.logging == ["SYSTEM_COMPONENTS", "APISERVER"]
    assert cloud.extra["datapath_provider"] == "ADVANCED_DATAPATH" and cloud.extra["dataplane_v2"] is True
    assert cloud.extra["location_type"] == "regional"
    assert cloud.extra["maintenance_policy"]["recurring"] == {
        "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
        "start_time": "2024-01-06T02:00:00Z",
        "end_time": "2024-01-06T06:00:00Z",
    }
    ip = cloud.extra["ip_allocation_policy"]
    assert ip["cluster_ipv4_cidr_block"] == "10.4.0.0/14" and ip["services_ipv4_cidr_block"] == "10.8.0.0/20"
    assert ip["cluster_secondary_range_name"] == "gke-payments-pods"
    assert cloud.extra["pod_cidr_size"] == {"default-pool": 24, "spot-pool": 26, "batch-pool": 26}
    assert snap.networking.cni == "gke-dataplane-v2"
    assert snap.networking.pod_cidrs == ["10.4.0.0/14", "10.16.0.0/16"]
    assert snap.networking.service_cidrs == ["10.8.0.0/20"]
    # default range 10.4.0.0/14 shared by a /24 pool and a /26 pool: counted at /24 (conservative) -> 1024 nodes;
    # batch range 10.16.0.0/16 at /26 -> 1024 nodes
    assert snap.networking.pod_ip_capacity == 2**18 + 2**16
    assert snap.networking.node_capacity_by_pod_range == 1024 + 1024
    assert snap.nodes.count == 9
    assert snap.gap_for("nodes.count") is not None and "Kubernetes API" in snap.gap_for("nodes.count").reason
    assert snap.collection.collectors == ["gke"]


def test_node_pools(collected: tuple[dict[str, Snapshot], list]) -> None:
    snap = collected[0]["payments"]
    default, spot, batch = pool(snap, "default-pool"), pool(snap, "spot-pool"), pool(snap, "batch-pool")
    assert default.kind == "node-pool" and default.instance_types == ["e2-standard-8"]
    assert (default.min_size, default.max_size) == (3, 15)  # 1..5 per zone x 3 zones
    assert default.extra["autoscaling"]["min_node_count"] == 1 and default.extra["initial_node_count"] == 1
    assert default.capacity_type == "ON_DEMAND" and default.image_type == "COS_CONTAINERD"
    assert default.max_pods_per_node == 110 and default.version == V130
    assert default.locations == ["europe-west2-a", "europe-west2-b", "europe-west2-c"]
    assert (spot.min_size, spot.max_size) == (0, 30)  # total_* as given
    assert spot.capacity_type == "SPOT" and spot.max_pods_per_node == 32
    assert spot.labels == {"workload": "batch"}
    assert spot.taints == ["cloud.google.com/gke-spot=true:NoSchedule"]
    assert batch.capacity_type == "PREEMPTIBLE" and batch.min_size is None
    assert batch.extra["pod_range"] == "batch-pods" and batch.extra["pod_ipv4_cidr_block"] == "10.16.0.0/16"
    assert batch.max_pods_basis == "node pool max_pods_constraint"


def test_zonal_calico_cluster_without_channel(collected: tuple[dict[str, Snapshot], list]) -> None:
    snap = collected[0]["legacy-batch"]
    assert snap.cloud is not None
    assert snap.networking.cni == "calico"
    assert snap.cloud.extra["network_policy"] == {"enabled": True, "provider": "CALICO"}
    assert snap.cloud.extra["dataplane_v2"] is False and snap.cloud.extra["location_type"] == "zonal"
    assert snap.cloud.release_channel == "UNSPECIFIED"
    assert snap.cloud.valid_upgrade_versions == ["1.29.9-gke.1496000", V130]  # validMasterVersions, newer only
    assert (snap.cloud.endpoint_public, snap.cloud.endpoint_private) == (True, False)
    only = pool(snap, "pool-1")
    assert only.max_pods_per_node == 64 and only.max_pods_basis == "cluster default_max_pods_constraint"
    assert snap.networking.node_capacity_by_pod_range == 512  # /16 at /25 (64 pods -> /25)


def test_autopilot_cluster(collected: tuple[dict[str, Snapshot], list]) -> None:
    snap = collected[0]["sandbox"]
    assert snap.cloud is not None
    assert snap.cluster.platform == "gke-autopilot" and snap.cloud.mode == "autopilot"
    assert snap.cloud.release_channel == "RAPID"
    assert snap.networking.cni == "gke-dataplane-v2"
    assert pool(snap, "default-pool").kind == "autopilot"
    assert snap.networking.node_capacity_by_pod_range == 512  # /17 at /26
    assert snap.gap_for("cloud.valid_upgrade_versions") is not None  # the fake has no serverConfig here


def test_fleet_gaps_and_wire_format(gke_state: fk.FakeGkeState, gke_url: str) -> None:
    snaps, gaps = collect_gke(make_gke_client(gke_url), [PROD, DEV, "bank-secret"])
    assert sorted(s.cluster.name for s in snaps) == ["legacy-batch", "payments", "sandbox"]
    by_item = {g.item: g.reason for g in gaps}
    assert "403" in by_item["gke.project.bank-secret.-"]
    assert "missingZones" in by_item[f"gke.zone.{DEV}.us-east1-b"]
    assert any(item.startswith(f"gke.server_config.{DEV}.us-central1") for item in by_item)
    # the real client asks for integer enums, and the fake answered with integers
    assert gke_state.requests and all("enum-encoding%3Dint" in r for r in gke_state.requests)
    assert all("Authorization" not in h for h in gke_state.headers)  # anonymous over plain http


def test_only_forbidden_projects_raise_access_denied(gke_url: str) -> None:
    with pytest.raises(AccessDenied, match="403"):
        collect_gke(make_gke_client(gke_url), ["bank-secret"])


def test_cluster_filter_and_location(gke_url: str) -> None:
    snaps, gaps = collect_gke(make_gke_client(gke_url), [PROD], ["europe-west2"], ["payments", "ghost"])
    assert [s.cluster.name for s in snaps] == ["payments"]
    assert [g.item for g in gaps] == ["gke.cluster.ghost"]


def test_429_is_retried(gke_state: fk.FakeGkeState, gke_url: str) -> None:
    gke_state.fail_once[f"/v1/projects/{DEV}/locations/-/clusters"] = 429
    snaps, _ = collect_gke(make_gke_client(gke_url), [DEV])
    assert [s.cluster.name for s in snaps] == ["sandbox"]
    assert sum("/clusters" in r for r in gke_state.requests) == 2


@pytest.mark.parametrize(
    ("max_pods", "prefix"),
    [(8, 28), (9, 27), (16, 27), (17, 26), (32, 26), (33, 25), (64, 25), (65, 24), (110, 24), (128, 24), (256, 23)],
)
def test_per_node_prefix(max_pods: int, prefix: int) -> None:
    assert per_node_prefix(max_pods) == prefix


@pytest.mark.parametrize(
    ("cidr", "node_prefix", "nodes"),
    [("10.4.0.0/14", 24, 1024), ("10.4.0.0/14", 26, 4096), ("10.0.0.0/21", 24, 8), ("10.0.0.0/24", 23, 0)],
)
def test_pod_range_nodes(cidr: str, node_prefix: int, nodes: int) -> None:
    assert pod_range_nodes(cidr, node_prefix) == nodes


def test_versions() -> None:
    assert short_version(V130) == "1.30.5"
    assert version_key("1.30.10-gke.1") > version_key("1.30.9-gke.99999")
    assert version_key("1.30.5-gke.1014001") > version_key("1.30.5-gke.900")


def test_cli_writes_one_snapshot_per_cluster(gke_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "collect",
            "gke",
            "--project",
            PROD,
            "--project",
            DEV,
            "--location",
            "-",
            "--endpoint",
            gke_url,
            "-o",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output + result.stderr
    files = sorted(out.glob("*.json"))
    assert len(files) == 3
    snaps = {load_snapshot(f).cluster.name: load_snapshot(f) for f in files}
    payments = snaps["payments"]
    assert payments.cloud is not None and len(payments.cloud.node_groups) == 3
    assert payments.networking.cni == "gke-dataplane-v2"
    assert payments.networking.node_capacity_by_pod_range == 2048
    assert snaps["sandbox"].cluster.platform == "gke-autopilot"
    raw = json.loads(next(f for f in files if "payments" in f.name).read_text())
    assert raw["cloud"]["extra"]["datapath_provider"] == "ADVANCED_DATAPATH"
    for name in ("payments", "legacy-batch", "sandbox"):
        assert name in result.stdout
    assert "missingZones" in result.stderr


def test_cli_forbidden_only_exits_3(gke_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["collect", "gke", "--project", "bank-secret", "--endpoint", gke_url, "-o", str(tmp_path)]
    )
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "403" in result.stderr and "container.viewer" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unreachable_endpoint_exits_3(tmp_path: Path) -> None:
    from tests.etcd_support import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(EndpointError, match="connection refused"):
        collect_gke(make_gke_client(url), [PROD])
    result = CliRunner().invoke(cli, ["collect", "gke", "--project", PROD, "--endpoint", url, "-o", str(tmp_path)])
    assert result.exit_code == 3


def test_no_credentials_exit_3_with_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GOOGLE_APPLICATION_CREDENTIALS", "K8SEVAL_GKE_ENDPOINT", "CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/gcloud/application_default_credentials.json
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    # Keep google-auth's metadata-server probe on loopback (a closed port), so no GCE instance is found.
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    # google-auth reads NO_GCE_CHECK=true once, at import; setting its module flag is the same switch and spares
    # the probe's three retries with backoff (about 3 s per call).
    from google.auth.compute_engine import _metadata

    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)
    with pytest.raises(AuthError, match="application-default login"):
        make_gke_client(None)
    result = CliRunner().invoke(cli, ["collect", "gke", "--project", PROD, "-o", str(tmp_path)])
    assert result.exit_code == 3
    assert "gcloud auth application-default login" in result.output and "Traceback" not in result.output


def test_cli_with_kube_merges_the_kubernetes_view(gke_url: str, tmp_path: Path) -> None:
    from evaluator.simulator import Simulator, profile

    context = f"gke_{PROD}_europe-west2_payments"  # gcloud's context naming
    spec = profile("small")
    with Simulator(spec) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc", context=context)
        args = ["collect", "gke", "--project", PROD, "--cluster", "payments", "--endpoint", gke_url]
        args += ["--with-kube", context, "--kubeconfig", str(kubeconfig), "-o", str(tmp_path / "out")]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [path] = list((tmp_path / "out").glob("*.json"))
    snap = load_snapshot(path)
    assert sorted(snap.collection.collectors) == ["gke", "kube"]
    assert snap.nodes.count == spec.nodes  # counted Node objects replace the deprecated current_node_count
    assert snap.gap_for("nodes.count") is None
    assert snap.cloud is not None and len(snap.cloud.node_groups) == 3
    # the GKE pod ranges survive the merge in cloud.extra whichever side the networking section comes from
    assert sum(r["nodes"] for r in snap.cloud.extra["pod_ranges"]) == 2048


def test_with_kube_needs_one_cluster(gke_url: str) -> None:
    result = CliRunner().invoke(cli, ["collect", "gke", "--project", PROD, "--endpoint", gke_url, "--with-kube", "x"])
    assert result.exit_code == 2 and "exactly one --cluster" in result.output
