"""One cluster = one history: clusters are told apart by ``cluster.id``, never silently merged by name.

The two-clusters-same-name case runs two simulated clusters, both called ``sim``, collected over HTTP by the
real kubernetes client; their kube-system namespace UIDs keep them apart.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from evaluator.catalog.loader import load_catalog
from evaluator.collectors.kube import collect_kube
from evaluator.errors import InputError
from evaluator.inventory import ClusterInfo, CollectionInfo, EtcdInventory, NodeInventory
from evaluator.merge import merge_snapshots, merge_warnings
from evaluator.scoring.engine import evaluate, group_history
from evaluator.simulator import Simulator, profile
from tests.factories import make_snapshot

NOW = "2026-12-01T00:00:00Z"


def _sim_spec(seed: int) -> object:
    return dataclasses.replace(profile("small"), name="sim", seed=seed)


@pytest.fixture(scope="module")
def two_sims(tmp_path_factory: pytest.TempPathFactory):
    snaps = []
    for seed in (1, 2):
        with Simulator(_sim_spec(seed)) as sim:
            kubeconfig = sim.write_kubeconfig(tmp_path_factory.mktemp(f"sim{seed}") / "kubeconfig")
            snaps.append(collect_kube(str(kubeconfig), name="sim"))
    # a minute apart, as in the report that found the problem
    snaps[1] = dataclasses.replace(snaps[1], collected_at="2026-11-30T10:01:00Z")
    snaps[0] = dataclasses.replace(snaps[0], collected_at="2026-11-30T10:00:00Z")
    return snaps


def test_collect_kube_records_the_kube_system_uid(two_sims) -> None:
    a, b = two_sims
    assert a.cluster.id and b.cluster.id and a.cluster.id != b.cluster.id
    assert a.cluster.name == b.cluster.name == "sim"


def test_two_clusters_with_one_name_get_separate_histories(two_sims) -> None:
    warnings: list[str] = []
    histories = group_history(two_sims, warnings)
    assert len(histories) == 2
    assert len({h.label for h in histories}) == 2 and all(h.label.startswith("sim (") for h in histories)
    assert any("2 clusters share this name" in w for w in warnings)
    ev = evaluate(two_sims, load_catalog(), ["eks"], now=NOW)
    assert len(ev.clusters) == 2
    # No forecast from two clusters a minute apart: each history has one snapshot.
    assert ev.forecasts == []
    assert any("share this name" in w for w in ev.warnings)


def test_without_ids_a_name_clash_is_a_warning_not_a_silent_merge(two_sims) -> None:
    bare = [dataclasses.replace(s, cluster=dataclasses.replace(s.cluster, id=None)) for s in two_sims]
    ev = evaluate(bare, load_catalog(), ["eks"], now=NOW)
    assert len(ev.clusters) == 1  # nothing tells them apart...
    assert any("carry no cluster id" in w for w in ev.warnings)  # ...and the output says so


def test_snapshot_keeps_its_id_as_the_cluster_grows(tmp_path: Path) -> None:
    from evaluator.audit import scale_spec

    ids = []
    for factor in (1.0, 2.0):  # the sample's history scales the cluster the same way
        spec = profile("small") if factor == 1.0 else scale_spec(profile("small"), factor)
        with Simulator(spec) as sim:
            ids.append(collect_kube(str(sim.write_kubeconfig(tmp_path / f"kc{factor}"))).cluster.id)
    assert ids[0] == ids[1]


def _etcd_only(name: str, size: int) -> object:
    return make_snapshot(
        name,
        platform="unknown",
        objects={},
        nodes=NodeInventory(),
        etcd=EtcdInventory(db_size_bytes=size, source="etcd"),
        collection=CollectionInfo(collectors=["etcd"]),
    )


def test_etcd_only_snapshot_beside_the_kube_one_is_not_a_second_cluster() -> None:
    kube = make_snapshot("prod-eu-1", collection=CollectionInfo(collectors=["kube"]))
    etcd = _etcd_only("prod-eu-1", 24 * 1024)
    ev = evaluate([kube, etcd], load_catalog(), ["self-hosted"], now=NOW)
    assert ev.clusters == ["prod-eu-1"]
    assert any("etcd-only snapshot" in w and "not scored on its own" in w for w in ev.warnings)


def test_tiny_etcd_reading_over_a_large_apiserver_figure_warns() -> None:
    kube = make_snapshot(
        "prod-eu-1",
        etcd=EtcdInventory(db_size_bytes=5 * 1024**3, source="apiserver-metrics:apiserver_storage_size_bytes"),
        collection=CollectionInfo(collectors=["kube"]),
    )
    etcd = _etcd_only("prod-eu-1", 24 * 1024)
    merged = merge_snapshots(kube, etcd)
    assert merged.etcd.db_size_bytes == 24 * 1024  # the direct reading still wins...
    (warning,) = merge_warnings(kube, etcd)  # ...with a warning
    assert "24.0 KiB" in warning and "5.0 GiB" in warning
    same = _etcd_only("prod-eu-1", 4 * 1024**3)
    assert merge_warnings(kube, same) == []


def test_merge_refuses_two_kube_system_uids() -> None:
    a = make_snapshot(cluster=ClusterInfo(name="kubernetes", platform="self-hosted", id="uid-a"))
    b = make_snapshot(cluster=ClusterInfo(name="kubernetes", platform="self-hosted", id="uid-b"))
    with pytest.raises(InputError, match="different cluster ids"):
        merge_snapshots(a, b)


def test_cloud_and_kube_views_of_one_eks_cluster_are_one_history() -> None:
    arn = "arn:aws:eks:eu-west-2:111122223333:cluster/payments"
    cloud = make_snapshot(
        cluster=ClusterInfo(name="payments", platform="eks", id=arn, cloud_id=arn), collected_at="2026-10-01T00:00:00Z"
    )
    merged = make_snapshot(
        cluster=ClusterInfo(name="payments", platform="eks", id="9f0c-uid", cloud_id=arn),
        collected_at="2026-11-01T00:00:00Z",
    )
    histories = group_history([cloud, merged])
    assert len(histories) == 1 and len(histories[0].snapshots) == 2
    assert merge_snapshots(cloud, merged).cluster.id == "9f0c-uid"


def test_score_cli_prints_the_name_clash(two_sims, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli
    from evaluator.inventory import save_snapshot

    paths = []
    for i, snap in enumerate(two_sims):
        paths.append(str(save_snapshot(snap, tmp_path / f"sim-{i}.json")))
    result = CliRunner().invoke(cli, ["score", *paths, "--target", "eks", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "warning: sim: 2 clusters share this name; kept apart by cluster id" in result.stderr
    import json

    doc = json.loads(result.stdout)
    assert len(doc["clusters"]) == 2 and doc["forecasts"] == []
