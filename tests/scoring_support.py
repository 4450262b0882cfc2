"""Small catalogs for scoring tests, built directly from the catalog model (no YAML)."""

from __future__ import annotations

from typing import Any

from evaluator.catalog.model import Catalog, Constraint, Limit

GIB = 1024**3
SOURCE = "https://example.org/limits"


def limit(kind: str, value: float | None = None, **kw: Any) -> Limit:
    """A limit with a placeholder source and date."""
    return Limit(kind=kind, source=SOURCE, verified="2026-11-01", value=value, **kw)


def constraint(
    cid: str = "c",
    *,
    metric: str = "nodes.count",
    unit: str = "count",
    check: str = "max",
    title: str | None = None,
    limits: dict[str, Limit] | None = None,
    **kw: Any,
) -> Constraint:
    """A constraint; targets missing from ``limits`` get not-applicable."""
    full = {t: limit("not-applicable") for t in ("self-hosted", "eks", "gke", "gke-autopilot")}
    full.update(limits or {})
    return Constraint(
        id=cid,
        title=title or cid.replace("_", " ").capitalize(),
        category="scale",
        metric=metric,
        unit=unit,
        check=check,
        limits=full,
        **kw,
    )


def small_catalog() -> Catalog:
    """etcd size (growing) and node count, with every limit kind represented."""
    return Catalog(
        "test-1",
        [
            constraint(
                "etcd_db_size",
                title="etcd database size",
                metric="etcd.db_size_bytes",
                unit="bytes",
                growing=True,
                questions=["MKQ-ETCD-01"],
                remediation="Compact and defragment etcd; move Events to their own etcd.",
                limits={
                    "self-hosted": limit("hard", 2 * GIB),
                    "eks": limit("hard", 8 * GIB),
                    "gke": limit("not-published"),
                    "gke-autopilot": limit("not-published"),
                },
            ),
            constraint(
                "nodes_per_cluster",
                title="Nodes per cluster",
                growing=True,
                limits={
                    "self-hosted": limit("recommended", 5000),
                    "eks": limit("recommended", 1000),
                    "gke": limit("hard", 15000),
                    "gke-autopilot": limit("quota", 1000),
                },
            ),
        ],
    )
