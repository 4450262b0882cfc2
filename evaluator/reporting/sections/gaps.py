"""What could not be measured: collection gaps per cluster and the findings left unknown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...findings import (
    UNKNOWN,
    Finding,
)
from ...inventory import Snapshot
from ..environment import anchor, target_label


def gap_rows(
    latest: Mapping[str, Snapshot], clusters: Sequence[str], anchors: Mapping[str, str]
) -> list[dict[str, Any]]:
    out = []
    for name in clusters:
        snap = latest.get(name)
        if snap is None:
            continue
        for gap in snap.gaps:
            out.append(
                {
                    "cluster": name,
                    "cluster_anchor": anchors[name],
                    "source": gap.source,
                    "item": gap.item,
                    "reason": gap.reason,
                }
            )
    return out


def unknown_rows(
    findings: Sequence[Finding], constraints: Mapping[str, Mapping[str, Any]], anchors: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Constraints that could not be scored, per cluster, with the reason (one row for all targets affected)."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status == UNKNOWN:
            groups[(f.cluster, f.constraint)].append(f)
    cluster_order = {name: i for i, name in enumerate(anchors)}
    out = []
    for (cluster, cid), group in groups.items():
        out.append(
            {
                "cluster": cluster,
                "cluster_anchor": anchors.get(cluster, "c-" + anchor(cluster)),
                "constraint": cid,
                "title": constraints[cid]["title"],
                "targets": ", ".join(target_label(f.target) for f in group),
                "reason": group[0].message,
            }
        )
    out.sort(key=lambda row: (cluster_order.get(row["cluster"], 0), constraints[row["constraint"]]["order"]))
    return out
