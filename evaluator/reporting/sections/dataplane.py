"""The report's NetworkPolicy dataplane section: per-cluster verdicts of the dataplane constraints, histograms of
the per-pod load against each dataplane's line, busiest nodes, top offenders and what-if before/after, built from
each snapshot's ``network_policies.dataplane`` section and the findings.

Charts are assembled with ``Markup.format`` (arguments escaped), as in charts.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ...findings import Finding
from ...inventory import Snapshot
from ..charts import STATUS_COLOURS

CONSTRAINTS = (
    "eks_netpol_entries_per_peer",
    "eks_netpol_peer_keys",
    "eks_netpol_uncovered_pods",
    "cilium_policy_map_entries",
    "cilium_identities",
    "calico_ipset_members",
)
WHATIF_ROWS = (
    ("EKS port entries per pod and peer (limit 24)", "eks_entries_per_peer_max"),
    ("EKS pods over 24 entries", "eks_pods_over_entry_limit"),
    ("EKS peer keys per pod (limit 65,536)", "eks_peer_keys_max"),
    ("Pods EKS cannot enforce", "eks_uncovered_pods"),
    ("Cilium policy-map entries per pod (default 16,384)", "cilium_policy_map_entries_max"),
    ("Security identities, estimated from pod labels (65,280 allocatable)", "cilium_identities"),
    ("Security identities, measured (CiliumIdentity objects)", "cilium_identities_measured"),
    ("Calico largest selector IP set", "calico_max_ipset_members"),
    ("Policies selecting one pod", "policies_per_pod_max"),
)


def histogram_svg(
    rows: Sequence[Sequence[int]], line: int, label: str, *, width: int = 440, height: int = 150
) -> Markup:
    """Bars of pods per value bucket (``[[upper, pods], ...]``, -1 = above the last edge), with the limit line."""
    if not rows:
        return Markup("")
    bars = [(int(upper), int(pods)) for upper, pods in rows]
    top = max(p for _, p in bars) or 1
    left, bottom, gap = 4, 24, 4
    bar_w = (width - left * 2) / len(bars) - gap
    out = [
        Markup(
            '<svg class="histogram" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{a}">'
        ).format(w=width, h=height, a=f"{label}: pods per bucket, limit {line:,}")
    ]
    line_x = None
    for i, (upper, pods) in enumerate(bars):
        x = left + i * (bar_w + gap)
        h = (height - bottom - 10) * (pods / top)
        over = upper == -1 or upper > line
        colour = STATUS_COLOURS["blocker"] if over else STATUS_COLOURS["ok"]
        text = f"> {bars[i - 1][0]:,}" if upper == -1 else f"≤ {upper:,}"
        out.append(
            Markup(
                '<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="{c}"><title>{t}</title></rect>'
            ).format(x=x, y=height - bottom - h, bw=bar_w, bh=h, c=colour, t=f"{text}: {pods:,} pods")
        )
        out.append(
            Markup('<text x="{x:.1f}" y="{y}" font-size="9" text-anchor="middle">{t}</text>').format(
                x=x + bar_w / 2, y=height - 10, t=text
            )
        )
        if line_x is None and (upper == -1 or upper > line):
            line_x = x - gap / 2
    if line_x is not None:
        out.append(
            Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{y}" stroke="{c}" stroke-dasharray="4 3"/>').format(
                x=line_x, y=height - bottom, c=STATUS_COLOURS["blocker"]
            )
        )
        out.append(
            Markup('<text x="{x:.1f}" y="12" font-size="10" fill="{c}">{t}</text>').format(
                x=line_x + 3, c=STATUS_COLOURS["blocker"], t=f"limit {line:,}"
            )
        )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


STAT_KEYS = ("max", "p99", "p95", "mean")
ROW_KEYS = ("namespace", "workload", "pod", "node", "value", "pods", "direction", "peer", "policy_count")
NODE_KEYS = ("node", "pods", "eks_entries", "cilium_entries", "policies", "rules")


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _stats(value: Any) -> dict[str, Any]:
    data = _d(value)
    return {k: data.get(k) for k in STAT_KEYS}


def _rows(value: Any, keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for row in value if isinstance(value, list) else []:
        row = _d(row)
        rows.append({**{k: row.get(k) for k in keys}, "policies": list(row.get("policies") or [])})
    return rows


def _section(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's section with every key the template reads (hand-made or older snapshots may lack some)."""
    eks, cil, calico = _d(data.get("eks")), _d(data.get("cilium")), _d(data.get("calico"))
    return {
        "eks": {
            "entries_per_peer": _stats(eks.get("entries_per_peer")),
            "peer_keys": _stats(eks.get("peer_keys")),
            "pods_over_entry_limit": eks.get("pods_over_entry_limit"),
            "uncovered_pods": eks.get("uncovered_pods"),
            "uncovered_by_reason": dict(_d(eks.get("uncovered_by_reason"))),
            "uncovered_examples": {
                k: _d(eks.get("uncovered_examples")).get(k, "") for k in _d(eks.get("uncovered_by_reason"))
            },  # fmt: skip
            "top": [
                dict(r, policy_count=r["policy_count"] or len(r["policies"])) for r in _rows(eks.get("top"), ROW_KEYS)
            ],
            "histogram": eks.get("histogram") or [],
            "entry_limit": eks.get("entry_limit") or 24,
        },
        "cilium": {
            "policy_map_entries": _stats(cil.get("policy_map_entries")),
            "identities": cil.get("identities"),
            "identities_measured": _d(cil.get("identities_measured")).get("count"),
            "top": _rows(cil.get("top"), ROW_KEYS),
            "histogram": cil.get("histogram") or [],
            "policy_map_limit": cil.get("policy_map_limit") or 16384,
        },
        "calico": {
            "max_ipset_members": calico.get("max_ipset_members"),
            "max_ipset_peer": calico.get("max_ipset_peer"),
        },
        "busiest": [{k: _d(n).get(k) for k in NODE_KEYS} for n in _d(data.get("nodes")).get("busiest") or []],
    }


def dataplane_sections(
    latest: Mapping[str, Snapshot],
    findings: Sequence[Finding],
    clusters: Sequence[str],
    anchors: Mapping[str, str],
    targets: Sequence[str],
) -> list[dict[str, Any]]:
    """One entry per cluster whose snapshot has a dataplane section (empty when none has)."""
    by_cell = {(f.cluster, f.constraint, f.target): f for f in findings if f.constraint in CONSTRAINTS}
    out = []
    for name in clusters:
        snap = latest.get(name)
        data = snap.network_policies.dataplane if snap is not None else None
        if not data:
            continue
        norm = _section(data)
        eks, cil, calico = norm["eks"], norm["cilium"], norm["calico"]
        verdicts = []
        for constraint in CONSTRAINTS:
            cells = []
            title = constraint
            for target in targets:
                f = by_cell.get((name, constraint, target))
                if f is not None:
                    title = f.title
                cells.append(
                    {"status": f.status if f else "", "observed": f.observed if f else None,
                     "limit": f.limit if f else None, "kind": f.limit_kind if f else ""}
                )  # fmt: skip
            if any(c["status"] for c in cells):
                verdicts.append({"title": title, "cells": cells})
        what = data.get("what_if")
        whatif = None
        if what:
            before, after, measured = what.get("before") or {}, what.get("after") or {}, what.get("measured") or {}
            whatif = {
                "planned": what.get("planned"),
                "added": what.get("policies_added"),
                "replaced": what.get("policies_replaced"),
                "kinds": ", ".join(f"{kind} {n:,}" for kind, n in (what.get("planned_kinds") or {}).items()),
                "rows": [
                    {"label": label, "measured": measured.get(key), "before": before.get(key), "after": after.get(key)}
                    for label, key in WHATIF_ROWS
                ],
                "top": _rows(after.get("eks_top"), ROW_KEYS),
            }
        out.append(
            {
                "cluster": name,
                "anchor": anchors.get(name, ""),
                "pods": data.get("pods_analysed"),
                "selected": data.get("pods_selected"),
                "policies": data.get("policies_analysed"),
                "groups": data.get("label_groups"),
                "named_ports": data.get("named_ports"),
                "policies_per_pod": _stats(data.get("policies_per_pod")),
                "verdicts": verdicts,
                "eks": eks,
                "cilium": cil,
                "calico": calico,
                "busiest": norm["busiest"],
                "eks_chart": histogram_svg(
                    eks.get("histogram") or [], int(eks.get("entry_limit") or 24), "EKS entries per peer"
                ),
                "cilium_chart": histogram_svg(
                    cil.get("histogram") or [], int(cil.get("policy_map_limit") or 16384), "Cilium policy-map entries"
                ),
                "whatif": whatif,
                "cni_policies": _cni_policies(data.get("cni_policies")),
            }
        )
    return out


CNI_VENDORS = {"cilium": "Cilium", "calico": "Calico"}


def _cni_policies(data: Any) -> list[dict[str, Any]]:
    """Per vendor, the CNI's own policy objects: listed, analysed into the model, refused, and rule parts counted
    but not modelled (largest first)."""
    if not isinstance(data, Mapping):
        return []
    out = []
    for vendor, label in CNI_VENDORS.items():
        row = data.get(vendor)
        if not isinstance(row, Mapping):
            continue
        parts = row.get("not_modelled")
        parts = parts if isinstance(parts, Mapping) else {}
        out.append(
            {
                "vendor": label,
                "objects": row.get("objects"),
                "analysed": row.get("analysed"),
                "added": row.get("policies_added"),
                "not_analysed": row.get("not_analysed") or 0,
                "examples": list(row.get("not_analysed_examples") or [])[:3],
                "not_modelled": sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])),
            }
        )
    return out
