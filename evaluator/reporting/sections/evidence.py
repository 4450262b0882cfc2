"""Evidence: the sources of every limit shown, and the thresholds the statuses use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...catalog.model import Catalog, Constraint
from ...findings import (
    Finding,
)
from ..environment import target_label


def source_rows(catalog: Catalog, findings: Sequence[Finding], targets: Sequence[str]) -> list[dict[str, Any]]:
    used = {f.constraint for f in findings} or set(catalog.ids)
    by_url: dict[str, dict[str, Any]] = {}
    for c in catalog.constraints:
        if c.id not in used:
            continue
        for target, limit in c.limits.items():
            if not limit.source or target not in targets:
                continue
            entry = by_url.setdefault(limit.source, {"url": limit.source, "verified": limit.verified, "cites": {}})
            entry["verified"] = max(entry["verified"], limit.verified)
            entry["cites"].setdefault(c.title, []).append(target_label(target))
    # Sources named by findings but missing from the catalog (a policy override) are still listed.
    for f in findings:
        if f.source and f.source not in by_url:
            by_url[f.source] = {"url": f.source, "verified": f.verified, "cites": {f.title: [target_label(f.target)]}}
    out = []
    for entry in by_url.values():
        cites = "; ".join(f"{title} ({', '.join(dict.fromkeys(tl))})" for title, tl in entry["cites"].items())
        out.append({"url": entry["url"], "verified": entry["verified"], "cites": cites})
    out.sort(key=lambda e: e["url"])
    for i, entry in enumerate(out, start=1):
        entry["ref"] = i
    return out


def threshold_table(catalog: Catalog) -> dict[str, Any]:
    watch = sorted({c.watch for c in catalog.constraints})
    at_risk = sorted({c.at_risk for c in catalog.constraints})
    common: Constraint | None = catalog.constraints[0] if catalog.constraints else None
    return {
        "watch": watch,
        "at_risk": at_risk,
        "default_watch": common.watch if common else 0.7,
        "default_at_risk": common.at_risk if common else 0.9,
        "constraints": len(catalog.constraints),
    }
