"""A tidy history table from snapshots: one row per cluster, time and fact, for a team's own analysis.

Snapshots of one cluster (by ``cluster.id`` when the snapshot has one, else by name) from any collector form
one history: a Prometheus history and a fresh ``collect kube`` snapshot of the same cluster line up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pandas as pd

from ..errors import InputError
from ..fileio import write_text
from ..inventory import Snapshot, load_snapshot

COLUMNS = ("cluster", "platform", "time", "fact", "value", "source", "gap")
# Sections whose numeric leaves are facts (lists, such as node groups and members, are left out; deprecated API
# requests, a list, become a count and one ``requests`` fact per API: see ``_deprecated_leaves``).
SECTIONS = (
    "objects",
    "namespaces",
    "crds",
    "containers",
    "pod_requests",
    "nodes",
    "network_policies",
    "services",
    "webhooks",
    "etcd",
    "networking",
)
FORMATS = ("csv", "json")


def cluster_key(snap: Snapshot) -> str:
    """The cluster a snapshot belongs to in a history: its ``cluster.id`` when present, else its name."""
    return getattr(snap.cluster, "id", None) or snap.cluster.name


def fact_rows(snap: Snapshot) -> Iterator[tuple[Any, ...]]:
    """(cluster, platform, time, fact, value, source, gap) for every numeric fact of ``snap``, measured or not."""
    data = snap.to_dict()
    default_source = ",".join(snap.collection.collectors) or None
    sources = snap.collection.sources
    leaves = [leaf for section in SECTIONS for leaf in _leaves(section, data.get(section))]
    for fact, value in [*leaves, *_deprecated_leaves(data.get("deprecated_apis"))]:
        if fact.startswith("objects."):
            gap = snap.gap_for(fact[len("objects.") :], "objects") if value is None else None
        else:
            gap = snap.gap_for(fact) if value is None else None
        yield (
            cluster_key(snap),
            snap.cluster.platform,
            snap.collected_at,
            fact,
            None if value is None else float(value),
            sources.get(_source_key(fact), default_source),
            gap.reason if gap else None,
        )


def _source_key(fact: str) -> str:
    """The ``collection.sources`` key of a fact: per-API deprecated requests share ``deprecated_apis.requests``."""
    if fact.startswith("deprecated_apis."):
        return "deprecated_apis" if fact == "deprecated_apis.count" else "deprecated_apis.requests"
    return fact


def _deprecated_leaves(uses: list[dict[str, Any]] | None) -> Iterator[tuple[str, Any]]:
    """``deprecated_apis.count`` (how many deprecated versions clients requested; empty when not measured) and, per
    API, ``deprecated_apis.GROUP/VERSION/RESOURCE[/SUBRESOURCE].requests`` (``core`` for the core group)."""
    if uses is None:
        yield "deprecated_apis", None
        return
    yield "deprecated_apis.count", len(uses)
    for use in uses:
        if use.get("requests") is None:
            continue
        parts = [use["group"] or "core", use["version"], use["resource"], use["subresource"]]
        yield f"deprecated_apis.{'/'.join(p for p in parts if p)}.requests", use["requests"]


def _leaves(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "source":
                continue
            yield from _leaves(f"{prefix}.{key}", inner)
    elif isinstance(value, bool):
        yield prefix, int(value)
    elif value is None or isinstance(value, int | float):
        yield prefix, value


def history_frame(snapshots: Iterable[Snapshot]) -> pd.DataFrame:
    """The tidy table, sorted by cluster, time and fact; one row per (cluster, time, fact).

    Where two snapshots of a cluster give the same fact at the same time, a measured value wins over a gap.
    """
    frame = pd.DataFrame.from_records((row for snap in snapshots for row in fact_rows(snap)), columns=list(COLUMNS))
    if frame.empty:
        return frame
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["measured"] = frame["value"].notna()
    frame = frame.sort_values(["cluster", "time", "fact", "measured"], ascending=[True, True, True, False])
    frame = frame.drop_duplicates(["cluster", "time", "fact"], keep="first").drop(columns="measured")
    return frame.reset_index(drop=True)


def load_history(paths: Sequence[str | os.PathLike[str]]) -> pd.DataFrame:
    """Read snapshot files (one at a time) into the tidy table; a bad file raises InputError naming it."""
    if not paths:
        raise InputError("no snapshot files given")
    return history_frame(load_snapshot(p) for p in paths)


def history_text(frame: pd.DataFrame, fmt: str) -> str:
    """The table as CSV (times RFC 3339, empty cells for no value) or as a JSON list of row objects."""
    if fmt not in FORMATS:
        raise InputError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    out = frame.copy()
    if not out.empty:
        out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "csv":
        return out.to_csv(index=False, lineterminator="\n", float_format="%.15g")
    return out.to_json(orient="records", indent=2) + "\n"


def write_history(frame: pd.DataFrame, fmt: str, path: str | os.PathLike[str]) -> None:
    """Write the table atomically."""
    write_text(path, history_text(frame, fmt))
