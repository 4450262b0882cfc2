"""Small factories for snapshots and findings used across tests (instead of hand-written JSON)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from evaluator.inventory import (
    ClusterInfo,
    EtcdInventory,
    NetworkPolicyInventory,
    NodeInventory,
    Snapshot,
    Stats,
)


def make_snapshot(
    name: str = "prod-1", *, platform: str = "self-hosted", version: str = "1.29.4", **overrides: Any
) -> Snapshot:
    """A plausible self-hosted snapshot; keyword overrides replace whole sections."""
    snap = Snapshot(
        cluster=ClusterInfo(name=name, platform=platform, version=version, git_version=f"v{version}"),
        collected_at="2026-11-01T10:00:00Z",
        objects={"pods": 4500, "nodes": 150, "services": 300, "networkpolicies.networking.k8s.io": 800},
        namespaces=120,
        crds=60,
        nodes=NodeInventory(
            count=150,
            control_plane_count=3,
            pods_per_node=Stats(max=45, mean=30, p95=41),
            allocatable_pods=Stats(max=110, min=110),
        ),
        network_policies=NetworkPolicyInventory(count=800, max_per_namespace=40),
        etcd=EtcdInventory(db_size_bytes=1_500_000_000, db_size_in_use_bytes=1_200_000_000, source="etcd"),
    )
    return replace(snap, **overrides)
