"""The built-in sample behind ``audit --sample``: the simulator's ``bank`` profile with simulated history."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..inventory import Snapshot
from .run import AuditResult, Progress, default_out_dir, finish_audit, with_policies_snapshots

SAMPLE_HISTORY = ((180, 0.8), (90, 0.9), (0, 1.0))  # (days before now, scale of the bank spec)
SAMPLE_QPS = 1000.0

SAMPLE_NOTICE = (
    "Sample audit of a simulated cluster: the built-in simulator's 'bank' profile, served on 127.0.0.1 and "
    "collected over HTTP like a real cluster. The two earlier snapshots are simulated history (the same "
    "cluster scaled to {early} and {mid} of its size, dated {early_days} and {mid_days} days before the "
    "latest) so that the report can show growth forecasts. No real cluster was measured."
)


def scale_spec(spec: Any, factor: float) -> Any:
    """The simulator spec ``spec`` with its sizes scaled by ``factor`` (node pools kept summing to the workers)."""
    from ..simulator.spec import validate

    def s(value: int | None, floor: int = 0) -> int | None:
        return None if value is None else max(floor, round(value * factor))

    control = spec.control_plane_nodes or 0
    nodes = max(control + 1, round(spec.nodes * factor))
    workers = nodes - control
    pools = list(spec.node_pools)
    if pools:
        total = sum(p.count for p in pools) or 1
        counts = [round(p.count * workers / total) for p in pools]
        counts[-1] = workers - sum(counts[:-1])
        pools = [dataclasses.replace(p, count=c) for p, c in zip(pools, counts, strict=True)]
    scaled = dataclasses.replace(
        spec,
        nodes=nodes,
        node_pools=pools,
        pods=s(spec.pods),
        namespaces=s(spec.namespaces, 4),
        services=s(spec.services, 2),
        network_policies=s(spec.network_policies),
        etcd_db_size_bytes=s(spec.etcd_db_size_bytes),
        etcd_db_size_in_use_bytes=s(spec.etcd_db_size_in_use_bytes),
        events=s(spec.events),
        calico_policies=s(spec.calico_policies),
        calico_global_policies=s(spec.calico_global_policies),
        cilium_policies=s(spec.cilium_policies),
        cilium_clusterwide_policies=s(spec.cilium_clusterwide_policies),
        configmaps=None,  # derived again from the namespaces by validate()
        secrets=None,
    )
    return validate(scaled, f"sample history at {factor:.0%}")


def collect_sample(
    *, progress: Progress | None = None, now: datetime | None = None, policy_model: bool = False
) -> list[Snapshot]:
    """Serve the ``bank`` profile (and two scaled-down pasts) on loopback and collect each over HTTP."""
    from ..collectors.kube import collect_kube
    from ..simulator import Simulator, profile

    say = progress or (lambda event, label, detail: None)
    base = profile("bank")
    at = (now or datetime.now(UTC)).replace(microsecond=0)

    def one(days: int, factor: float, folder: Path) -> Snapshot:
        label = f"simulated {base.name} as of {days} days ago" if days else f"simulated {base.name} (now)"
        say("start", label, "")
        start = time.monotonic()
        spec = base if factor == 1.0 else scale_spec(base, factor)
        kubeconfig = folder / f"kubeconfig-{days}"
        with Simulator(spec, port=0) as sim:
            sim.write_kubeconfig(kubeconfig)
            # The QPS cap protects production apiservers; this one is our own simulator on loopback.
            snap = collect_kube(
                str(kubeconfig), name=base.name, qps=SAMPLE_QPS, concurrency=8, policy_model=policy_model and not days
            )
        stamp = (at - timedelta(days=days)).isoformat().replace("+00:00", "Z")
        say("done", label, f"{spec.nodes:,} nodes, {spec.pods:,} pods ({time.monotonic() - start:.1f} s)")
        return dataclasses.replace(snap, collected_at=stamp)

    with tempfile.TemporaryDirectory(prefix="k8seval-sample-") as tmp:
        with ThreadPoolExecutor(max_workers=len(SAMPLE_HISTORY), thread_name_prefix="sample") as pool:
            futures = [pool.submit(one, days, factor, Path(tmp)) for days, factor in SAMPLE_HISTORY]
            return [f.result() for f in futures]


def run_sample(
    *,
    out: str | os.PathLike[str] | None = None,
    fail_on: str | None = None,
    targets: list[str] | None = None,
    progress: Progress | None = None,
    with_policies: str | os.PathLike[str] | None = None,
) -> AuditResult:
    """The ``--sample`` audit: the simulated bank cluster with simulated history, full report set
    (``with_policies``: a what-if of planned NetworkPolicies on the latest snapshot)."""
    planned = None
    if with_policies is not None:
        from ..dataplane.whatif import load_planned

        planned = load_planned(with_policies)  # a bad planned file fails before the simulator starts
    snapshots = with_policies_snapshots(
        collect_sample(progress=progress, policy_model=with_policies is not None), with_policies, planned
    )
    (early_days, early), (mid_days, mid) = SAMPLE_HISTORY[0], SAMPLE_HISTORY[1]
    notice = SAMPLE_NOTICE.format(early=f"{early:.0%}", mid=f"{mid:.0%}", early_days=early_days, mid_days=mid_days)
    return finish_audit(
        snapshots,
        out=Path(out or default_out_dir()),
        fail_on=fail_on,
        targets=targets,
        policy=None,
        costs=None,
        title=f"Platform fit: {snapshots[-1].cluster.name} (simulated sample)",
        notices=[notice],
        warnings=[],
        progress=progress,
    )
