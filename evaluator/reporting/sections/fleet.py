"""The fleet table and per-cluster matrices: one row per cluster, one cell per target and constraint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...findings import (
    STATUSES,
    UNKNOWN,
    Finding,
    TargetFit,
    status_rank,
)
from ...inventory import Snapshot
from ..environment import anchor, date, num, quantity
from .verdicts import verdict_from


def worst_of(statuses: Sequence[str]) -> str:
    if not statuses:
        return UNKNOWN
    known = [s for s in statuses if s != UNKNOWN]
    if not known:
        return UNKNOWN
    worst = max(known, key=status_rank)
    # An unknown beside only ok findings is worth a look: say watch-level attention via "unknown".
    if worst == "ok" and len(known) != len(statuses):
        return UNKNOWN
    return worst


def sort_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return f"{float(value):.6g}"
    return "" if value is None else str(value)


def cluster_row(
    name: str,
    anchor_id: str,
    snap: Snapshot | None,
    findings: Sequence[Finding],
    targets: Sequence[str],
    fits: Mapping[tuple[str, str], TargetFit],
    constraints: Mapping[str, Mapping[str, Any]],
    refs: Mapping[str, int],
) -> dict[str, Any]:
    cells: dict[tuple[str, str], Finding] = {(f.constraint, f.target): f for f in findings}
    ids = sorted({f.constraint for f in findings}, key=lambda cid: constraints[cid]["order"])
    rows = []
    for cid in ids:
        info = constraints[cid]
        row_findings = [cells[(cid, t)] for t in targets if (cid, t) in cells]
        observed_values = {sort_value(f.observed) for f in row_findings}
        first = row_findings[0]
        shared = len(observed_values) == 1
        row_cells = []
        for t in targets:
            f = cells.get((cid, t))
            if f is None:
                row_cells.append({"target": t, "status": UNKNOWN, "present": False})
                continue
            row_cells.append(
                {
                    "target": t,
                    "present": True,
                    "status": f.status,
                    "rank": status_rank(f.status) if f.status != UNKNOWN else -1,
                    "limit": quantity(f.limit, f.unit) if f.limit is not None else _kind_text(f.limit_kind),
                    "limit_kind": f.limit_kind,
                    "observed": quantity(f.observed, f.unit),
                    "utilisation": f.utilisation,
                    "used_pct": None if f.utilisation is None else round(min(max(f.utilisation, 0.0), 1.0) * 100, 1),
                    "over": bool(f.utilisation is not None and f.utilisation > 1),
                    "headroom": None if f.headroom is None else quantity(f.headroom, f.unit),
                    "source": f.source,
                    "source_ref": refs.get(f.source),
                    "verified": f.verified,
                    "message": f.message,
                }
            )
        statuses = [f.status for f in row_findings]
        rows.append(
            {
                "id": cid,
                "anchor": f"{anchor_id}-{anchor(cid)}",
                "title": info["title"],
                "category": info["category"],
                "unit": first.unit,
                "observed": quantity(first.observed, first.unit) if shared else "varies by target",
                "observed_sort": sort_value(first.observed) if shared else "",
                "observed_shared": shared,
                "watch": info["watch"],
                "at_risk": info["at_risk"],
                "worst": worst_of(statuses),
                "statuses": " ".join(sorted(set(statuses))),
                "cells": row_cells,
                "remediation": first.remediation,
            }
        )
    per_target = []
    for t in targets:
        fit = fits.get((name, t))
        target_statuses = [f.status for f in findings if f.target == t]
        counts = fit.counts if fit else count_statuses(target_statuses)
        per_target.append(
            {
                "target": t,
                "verdict": fit.verdict if fit else verdict_from(target_statuses),
                "reason": fit.reason if fit else "",
                "score": fit.score if fit else None,
                "grade": fit.grade if fit else None,
                "blockers": counts.get("blocker", 0),
                "at_risk": counts.get("at-risk", 0),
                "worst": worst_of(target_statuses),
                "counts": counts,
            }
        )
    info_rows: list[dict[str, str]] = []
    if snap is not None:
        c = snap.cluster
        info_rows = [
            {"label": "Platform", "value": c.platform},
            {"label": "Kubernetes", "value": c.version or "—"},
            {"label": "Nodes", "value": num(snap.nodes.count)},
            {"label": "Pods", "value": num(snap.objects.get("pods"))},
            {"label": "Namespaces", "value": num(snap.namespaces)},
            {"label": "NetworkPolicies", "value": num(snap.network_policies.count)},
            {"label": "etcd database", "value": quantity(snap.etcd.db_size_bytes, "bytes")},
            {"label": "Collected", "value": date(snap.collected_at, "datetime")},
        ]
        where = ", ".join(x for x in (c.provider, c.account, c.region) if x)
        if where:
            info_rows.insert(1, {"label": "Location", "value": where})
    worst_overall = worst_of([f.status for f in findings])
    return {
        "name": name,
        "anchor": anchor_id,
        "platform": snap.cluster.platform if snap else "unknown",
        "version": snap.cluster.version if snap and snap.cluster.version else "—",
        "nodes": snap.nodes.count if snap else None,
        "pods": snap.objects.get("pods") if snap else None,
        "collected_at": snap.collected_at if snap else None,
        "gap_count": len(snap.gaps) if snap else 0,
        "collection": {"duration_seconds": snap.collection.duration_seconds, "requests": snap.collection.requests}
        if snap
        else {},
        "info": info_rows,
        "targets": per_target,
        "worst": worst_overall,
        "statuses": " ".join(sorted({f.status for f in findings})),
        "rows": rows,
    }


def _kind_text(kind: str) -> str:
    return {"not-published": "not published", "not-applicable": "n/a"}.get(kind, "—")


def count_statuses(statuses: Sequence[str]) -> dict[str, int]:
    counts = {s: 0 for s in (*STATUSES, UNKNOWN)}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return counts
