"""Every null fact in a collected snapshot has a gap saying why (README: "a `null` fact has an entry in `gaps`")."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evaluator.collectors.etcd import collect_etcd
from evaluator.collectors.kube import collect_kube
from evaluator.inventory import NOT_FACTS, Snapshot
from evaluator.simulator import Simulator, profile
from tests.etcd_support import EtcdServer, etcd_server  # noqa: F401 (fixture)


def null_paths(obj: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of the None values in a snapshot (dataclasses walked field by field)."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from null_paths(getattr(obj, f.name), f"{path}.{f.name}" if path else f.name)
    elif obj is None:
        yield path


def unexplained_nulls(snap: Snapshot, not_facts: frozenset[str] = NOT_FACTS) -> list[str]:
    """Null facts no gap covers: a gap on ``a.b`` covers ``a.b`` and everything under it."""
    items = {g.item for g in snap.gaps}
    out = []
    for path in null_paths(snap):
        if path in not_facts or any(path == i or path.startswith(i + ".") for i in items):
            continue
        out.append(path)
    return out


def test_the_walker_finds_an_unexplained_null() -> None:
    snap = Snapshot.from_dict({"schema": "k8seval/inventory/v1", "cluster": {"name": "x", "platform": "unknown"}})
    assert "nodes.count" in unexplained_nulls(snap)


@pytest.mark.parametrize("name", ["small", "managed"])
def test_collect_kube_snapshot_has_a_gap_for_every_null(name: str, tmp_path: Path) -> None:
    """A kubeadm-like self-hosted cluster (etcd static Pod without --quota-backend-bytes) and an EKS one."""
    spec = profile("small")
    if name == "managed":
        spec = dataclasses.replace(
            spec,
            platform="eks",
            cni="aws-vpc-cni",
            control_plane_nodes=None,  # managed: resolved again by validate()
            node_pools=[],
            calico_policies=0,
            calico_global_policies=0,
            crds=None,
            configmaps=None,
            secrets=None,
        )
    with Simulator(spec) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kubeconfig")))
    assert unexplained_nulls(snap) == []
    if name == "small":  # etcd's 2 GiB default, derived from the static Pod that sets no flag
        assert snap.etcd.quota_backend_bytes == 2 * 1024**3
        assert "derived" in (snap.etcd.quota_basis or "")
    else:
        assert snap.etcd.quota_backend_bytes is None
        assert any(g.item == "etcd.quota_backend_bytes" for g in snap.gaps)


def test_collect_etcd_snapshot_has_a_gap_for_every_null(etcd_server: EtcdServer) -> None:  # noqa: F811
    snap = collect_etcd([etcd_server.url], prefixes=["/registry/pods/"])
    # an etcd snapshot measures the etcd section only; every other section has a gap naming collect kube
    assert unexplained_nulls(snap) == []
    assert "collect kube" in (snap.gap_for("nodes") or snap.gap_for("nodes.count")).reason


@pytest.mark.parametrize("version", ["1.24.17", "1.30.2"])
def test_a_separate_events_etcd_is_its_own_fact(version: str, tmp_path: Path) -> None:
    """A spec with an events etcd (--etcd-servers-overrides=/events#https://127.0.0.1:4002) three times the main
    store's size: the main store's size is reported, the events store's beside it, before and after 1.28's
    metric rename."""
    spec = dataclasses.replace(
        profile("small"), version=version, etcd_db_size_bytes=1024**3, events_etcd_db_size_bytes=3 * 1024**3
    )
    with Simulator(spec) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kubeconfig")))
        assert sim.truth["etcd"]["events_db_size_bytes"] == 3 * 1024**3
    assert snap.etcd.db_size_bytes == 1024**3 and snap.etcd.events_db_size_bytes == 3 * 1024**3
    assert snap.control_plane.apiserver_flags["etcd-servers-overrides"] == "/events#https://127.0.0.1:4002"
    assert unexplained_nulls(snap) == []
