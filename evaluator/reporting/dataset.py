"""The compact dataset a fleet-size HTML report embeds: every cluster's constraint matrix as arrays and one
string table, drawn on demand by the report's own script (templates/_matrix_script.js).

A 200-cluster fleet has 34,400 findings; as HTML their matrix alone is about 12 MB and 450,000 elements.
As this dataset it is a few hundred KB of JSON that the browser parses in milliseconds, and a matrix is
built only when the reader opens a cluster. Labels, limits and messages repeat across clusters, so every
text is stored once in ``strings`` and cells refer to it by index.

Layout (version 1)::

    {"v": 1, "strings": [...], "statuses": ["ok", "watch", "at-risk", "blocker", "unknown"],
     "labels": {"ok": "OK", ...}, "targets": [target label, ...],
     "constraints": [[id, anchor, title, category], ...],
     "clusters": [{"name": s, "anchor": s, "worst": status index, "info": [[label s, value s], ...],
                   "verdicts": [[target label s, verdict s, verdict class, reason s], ...],
                   "rows": [[constraint index, observed s, observed sort, statuses s, watch % text, at-risk % text,
                             [cell, ...]], ...]}, ...]}

where ``s`` is an index into ``strings`` (-1 for none) and a cell is ``0`` (not scored) or
``[status index, limit s, limit kind s (-1 unless quota/recommended), used %, utilisation s, observed s
(-1 when the row shares one observed value), message s (-1 when ok), source ref (0 for none)]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ..findings import ALL_STATUSES
from .environment import STATUS_LABELS, anchor, pct, verdict_class

DATASET_VERSION = 1


class _Strings:
    """A string table: each distinct text once, referred to by index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        if value is None:
            return -1
        text = str(value)
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.items)
            self.items.append(text)
        return found


def matrix_dataset(
    clusters: Sequence[Mapping[str, Any]], targets: Sequence[str], target_labels: Mapping[str, str]
) -> dict[str, Any]:
    """The per-cluster matrices of the report context's ``clusters`` rows as the compact dataset above."""
    s = _Strings()
    status_index = {status: i for i, status in enumerate(ALL_STATUSES)}
    constraints: list[list[str]] = []
    constraint_index: dict[str, int] = {}
    out = []
    for c in clusters:
        rows = []
        for r in c["rows"]:
            ci = constraint_index.get(r["id"])
            if ci is None:
                ci = constraint_index[r["id"]] = len(constraints)
                constraints.append([r["id"], anchor(r["id"]), r["title"], r["category"]])
            cells: list[Any] = []
            for cell in r["cells"]:
                if not cell["present"]:
                    cells.append(0)
                    continue
                kind = cell["limit_kind"] if cell["limit_kind"] in ("quota", "recommended") else None
                cells.append(
                    [
                        status_index.get(cell["status"], status_index["unknown"]),
                        s(cell["limit"]),
                        s(kind),
                        cell["used_pct"],
                        -1 if cell["used_pct"] is None else s(pct(cell["utilisation"])),
                        -1 if r["observed_shared"] else s(cell["observed"]),
                        -1 if cell["status"] == "ok" else s(cell["message"]),
                        cell["source_ref"] or 0,
                    ]
                )
            rows.append(
                [
                    ci,
                    s(r["observed"]),
                    r["observed_sort"],
                    s(r["statuses"]),
                    str(round(r["watch"] * 100, 1)),  # as the HTML template writes them: "70.0"
                    str(round(r["at_risk"] * 100, 1)),
                    cells,
                ]
            )
        out.append(
            {
                "name": s(c["name"]),
                "anchor": s(c["anchor"]),
                "worst": status_index.get(c["worst"], status_index["unknown"]),
                "info": [[s(i["label"]), s(i["value"])] for i in c["info"]],
                "verdicts": [
                    [
                        s(target_labels[t["target"]]),
                        s(t["verdict"]),
                        verdict_class(t["verdict"]),
                        s(t["reason"] or None),
                    ]
                    for t in c["targets"]
                ],
                "rows": rows,
            }
        )
    return {
        "v": DATASET_VERSION,
        "strings": s.items,
        "statuses": list(ALL_STATUSES),
        "labels": {k: STATUS_LABELS[k] for k in ALL_STATUSES},
        "targets": [target_labels[t] for t in targets],
        "constraints": constraints,
        "clusters": out,
    }


def script_json(data: Any) -> Markup:
    """``data`` as compact JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    survives (a cluster named ``</script>`` stays text), and U+2028/2029 are escaped."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return Markup(text)
