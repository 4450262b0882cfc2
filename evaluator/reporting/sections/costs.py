"""Costs: the table by line and category per target, the decision, break-even, sensitivity, prices and assumptions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ...findings import (
    TARGETS,
    Evaluation,
)
from ..charts import stacked_cost_bars
from ..environment import num, target_label, usd


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float):
        return num(value, 2) if not value.is_integer() else num(value)
    if isinstance(value, bool) or isinstance(value, int):
        return num(value)
    return "—" if value is None else str(value)


def _is_price(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value and "unit" in value


def _assumptions(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Cost assumptions as readable rows: prices with unit, source and checked date; settings; notes.

    Long reference tables (a version calendar) are summarised to one row with their source.
    """
    rows: list[dict[str, str]] = []

    def row(key: str, value: str, *, note: str = "", source: str = "", verified: str = "") -> None:
        rows.append({"key": key, "value": value, "note": note, "source": source, "verified": verified})

    def price_row(key: str, price: Mapping[str, Any]) -> None:
        row(
            key,
            f"{_plain(price['value'])} {price['unit']}",
            note=str(price.get("note") or ""),
            source=str(price.get("source") or ""),
            verified=str(price.get("verified") or "not confirmed"),
        )

    for section, body in data.items():
        if section in ("schema", "source_file", "notes"):
            continue
        if _is_price(body):
            price_row(section, body)
            continue
        if not isinstance(body, Mapping):
            row(section, _plain(body))
            continue
        if "versions" in body and isinstance(body["versions"], Mapping):
            row(section, f"calendar of {len(body['versions'])} versions", source=str(body.get("source") or ""))
            continue
        for key, value in body.items():
            name = f"{section}.{key}"
            if key == "note":
                row(section, "", note=str(value))
            elif _is_price(value):
                price_row(name, value)
            elif isinstance(value, Mapping):
                row(name, ", ".join(f"{k} {_plain(v)}" for k, v in value.items()))
            else:
                row(name, _plain(value))
    notes = data.get("notes")
    for note in notes if isinstance(notes, list) else ([notes] if notes else []):
        row("note", "", note=str(note))
    if data.get("source_file"):
        row("file", str(data["source_file"]))
    return rows


def _break_even(data: Mapping[str, Any], targets: Sequence[str]) -> list[dict[str, str]]:
    """One row per managed target compared: the engineer-time threshold sentence and which option is cheaper."""
    rows = []
    for target, body in data.items():
        if target in TARGETS and target not in targets:
            continue
        if isinstance(body, Mapping):
            fte = body.get("fleet_fte")
            rows.append(
                {
                    "key": target_label(str(target)),
                    "value": str(body.get("message") or _plain(body)),
                    "cheaper": target_label(str(body.get("cheaper") or "")),
                    "fte": "—" if fte is None else num(fte, 2),
                }
            )
        else:
            rows.append({"key": target_label(str(target)), "value": _plain(body), "cheaper": "", "fte": "—"})
    return rows


COST_CATEGORIES = ("control plane", "workers", "load balancers", "traffic", "support", "people")


def cost_section(evaluation: Evaluation, targets: Sequence[str]) -> dict[str, Any]:
    analysis = evaluation.cost_analysis or {}
    empty: dict[str, Any] = {
        "present": False,
        "totals": [],
        "rows": [],
        "lines": [],
        "svg": Markup(""),
        "assumptions": _assumptions(evaluation.cost_assumptions),
        "break_even": _break_even(evaluation.break_even, targets),
        "analysis": analysis,
        "decision": analysis.get("decision", ""),
        "moves_most": analysis.get("moves_most", ""),
        "sensitivity_pct": analysis.get("sensitivity_pct", 25),
        "sensitivity": [],
        "prices": [],
        "mapping": [],
        "categories": list(COST_CATEGORIES),
    }
    if not evaluation.costs:
        return empty
    by_target: dict[str, float] = defaultdict(float)
    complete: dict[str, bool] = defaultdict(lambda: True)
    region: dict[str, str] = {}
    by_category: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    table: dict[str, dict[str, float]] = defaultdict(dict)
    lines: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    notes: list[str] = []
    for est in evaluation.costs:
        by_target[est.target] += est.monthly_usd
        complete[est.target] = complete[est.target] and est.complete
        region[est.target] = est.region
        table[est.cluster][est.target] = est.monthly_usd
        for line in est.lines:
            agg = lines[est.target].setdefault(
                line.item,
                {
                    "item": line.item,
                    "category": line.category,
                    "monthly": 0.0,
                    "basis": line.basis,
                    "source": line.source,
                    "verified": line.verified,
                    "gap": line.gap,
                    "n": 0,
                },
            )
            if line.monthly_usd is None:
                agg["gap"] = agg["gap"] or line.gap
            else:
                agg["monthly"] += line.monthly_usd
                by_category[est.target][line.category or "other"] += line.monthly_usd
            agg["n"] += 1
            if agg["basis"] != line.basis:
                agg["basis"] = "varies by cluster"
        for note in est.notes:
            if note not in notes:
                notes.append(note)
    ordered = [t for t in targets if t in by_target] + [t for t in by_target if t not in targets]
    for t in ordered:  # a line that is a gap anywhere shows no amount (its total would understate)
        for agg in lines[t].values():
            agg["yearly"] = agg["monthly"] * 12
            if agg["gap"]:
                agg["monthly"] = agg["yearly"] = None
    totals: list[dict[str, Any]] = [
        {
            "target": t,
            "label": target_label(t),
            "monthly": by_target[t],
            "yearly": by_target[t] * 12,
            "complete": complete[t],
            "region": region.get(t, ""),
            "categories": [by_category[t].get(c, 0.0) for c in COST_CATEGORIES],
        }
        for t in ordered
    ]
    best = analysis.get("cheapest")
    cheapest_row = next((row for row in totals if row["target"] == best), None)
    sensitivity = [
        {
            "label": r["label"],
            "input": r["input"],
            "swing": r["swing_monthly"],
            "flips": "; ".join(r["flips"]) or "no",
            "low": [usd(r["low"].get(t)) for t in ordered],
            "high": [usd(r["high"].get(t)) for t in ordered],
        }
        for r in analysis.get("sensitivity", [])
        if r["swing_monthly"] > 0
    ]
    mapping: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for m in analysis.get("mapping", []):
        key = (m["target"], m["measured"])
        if key not in seen:
            seen.add(key)
            mapping.append({**m, "label": target_label(m["target"])})
    return {
        **empty,
        "present": True,
        "totals": totals,
        "cheapest": cheapest_row,
        "rows": [
            {
                "cluster": cluster,
                "values": [usd(table[cluster].get(t)) if t in table[cluster] else "—" for t in ordered],
            }
            for cluster in table
        ],
        "columns": [target_label(t) for t in ordered],
        "lines": [
            {
                "target": t,
                "label": target_label(t),
                "region": region.get(t, ""),
                "lines": list(lines[t].values()),
                "total": by_target[t],
                "complete": complete[t],
            }
            for t in ordered
        ],
        "notes": notes,
        "svg": stacked_cost_bars(
            [(target_label(t), [by_category[t].get(c, 0.0) for c in COST_CATEGORIES], complete[t]) for t in ordered],
            list(COST_CATEGORIES),
        ),
        "sensitivity": sensitivity,
        "prices": analysis.get("prices", []),
        "mapping": mapping,
    }
