"""Snapshots in a bucket or folder: keys that never collide between clusters, atomic writes, and streamed reads.

Layout written by k8seval (``PREFIX`` is what the user gave, e.g. ``s3://bank-k8seval/snapshots/``)::

    PREFIX<platform>-<cluster>-<cluster id>/<collected_at as 20261201T020000Z>.json

The cluster id is a short hash of platform, name, account and region, so two clusters of the same name in two
accounts keep separate folders; the time names the object within its cluster's folder. A write never
replaces an existing object (a conditional put); a second run in the same second gets ``-2``, ``-3``...
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InputError
from ..inventory import SCHEMA, Snapshot, parse_time
from .base import Entry, Store
from .local import LocalStore
from .location import Location, is_remote, parse_location

STAMP_RE = re.compile(r"^\d{8}T\d{6}Z(-\d+)?\.json$")
MAX_SAME_SECOND = 50
READ_WORKERS = 8  # objects read concurrently
JSON_TYPE = "application/json"

_stores: dict[tuple[str, str], Store] = {}
_stores_lock = threading.Lock()


def open_store(location: Location) -> Store:
    """The store for a bucket location, configured from the environment (one client per bucket per process)."""
    key = (location.scheme, location.bucket)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if location.scheme == "s3":
                from .s3 import S3Store, s3_settings_from_env

                store = S3Store(location, **s3_settings_from_env())
            else:
                from .gcs import GCSStore

                store = GCSStore(location)
            _stores[key] = store
    return store


def forget_stores() -> None:
    """Drop cached clients (after the environment changed: another endpoint, other credentials)."""
    with _stores_lock:
        _stores.clear()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def cluster_id(snap: Snapshot) -> str:
    """A short stable id for the cluster: sha256 of platform, name, account and region (first 10 hex digits)."""
    c = snap.cluster
    ident = "|".join((c.platform, c.name, c.account or "", c.region or ""))
    return hashlib.sha256(ident.encode()).hexdigest()[:10]


def cluster_folder(snap: Snapshot) -> str:
    """``<platform>-<cluster>-<cluster id>``: the folder of one cluster's snapshots."""
    return f"{snap.cluster.platform}-{_safe(snap.cluster.name)}-{cluster_id(snap)}"


def snapshot_key(snap: Snapshot, prefix: str = "", attempt: int = 1) -> str:
    """The object key for ``snap`` under ``prefix`` (``attempt`` > 1 adds ``-N`` for a same-second rerun)."""
    stamp = parse_time(snap.collected_at).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{attempt}" if attempt > 1 else ""
    return f"{prefix}{cluster_folder(snap)}/{stamp}{suffix}.json"


def snapshot_bytes(snap: Snapshot) -> bytes:
    """The snapshot as the indented JSON that local files hold."""
    return (json.dumps(snap.to_dict(), indent=2, default=str) + "\n").encode()


def write_snapshot(snap: Snapshot, destination: str) -> str:
    """Write ``snap`` under the bucket prefix ``destination`` without replacing any object; return its URL."""
    location = parse_location(destination)
    store = open_store(location)
    data = snapshot_bytes(snap)
    for attempt in range(1, MAX_SAME_SECOND + 1):
        key = snapshot_key(snap, location.prefix, attempt)
        if store.put(key, io.BytesIO(data), len(data), content_type=JSON_TYPE, overwrite=False):
            return location.url_of(key)
    raise InputError(f"{destination}: {MAX_SAME_SECOND} snapshots of {snap.cluster.name} at {snap.collected_at}")


def write_file(path: str | os.PathLike[str], destination: str, *, overwrite: bool = True) -> str:
    """Upload a local file to the object URL ``destination`` (atomically; large files in parts)."""
    location = parse_location(destination)
    key = location.prefix.rstrip("/")
    if not key:
        raise InputError(f"{destination}: give an object name after the bucket")
    store = open_store(location)
    p = Path(path)
    with open(p, "rb") as fh:
        written = store.put(key, fh, p.stat().st_size, content_type=_content_type(p.name), overwrite=overwrite)
    if not written:
        raise InputError(f"{destination}: already exists")
    return location.url_of(key)


def publish_folder(folder: str | os.PathLike[str], destination: str, snapshots_dir: str = "snapshots") -> list[str]:
    """Upload an output folder to a bucket prefix: the snapshots under ``snapshots_dir/`` as new objects in the
    cluster-folder layout (never replacing one), every other file at its relative path (replacing the last run's
    report). Returns the URLs written."""
    from ..inventory import load_snapshot

    location = parse_location(destination)
    root = Path(folder)
    urls = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(f"{snapshots_dir}/") and path.suffix == ".json":
            urls.append(write_snapshot(load_snapshot(path), location.child(snapshots_dir).url))
        else:
            urls.append(write_file(path, location.url_of(location.prefix + rel)))
    return urls


_TYPES = {".json": JSON_TYPE, ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
          ".csv": "text/csv; charset=utf-8", ".xml": "application/xml",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


def _content_type(name: str) -> str:
    return _TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


# ------------------------------------------------------------------------------------------------ reading


def iter_inputs(inputs: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[Store, Entry]]:
    """Every snapshot file an argument names: the file itself, every ``*.json`` under a folder or a bucket prefix.

    A missing path, or a folder or prefix with no ``*.json`` under it, raises :class:`InputError`.
    """
    for raw in inputs:
        value = os.fspath(raw)
        found = 0
        if is_remote(value):
            location = parse_location(value)
            store: Store = open_store(location)
            if value.endswith(".json"):  # one object, not a prefix
                key = location.prefix.rstrip("/")
                entries: Iterable[Entry] = (e for e in store.list(key) if e.key == key)
            else:
                entries = store.list(location.prefix)
        else:
            path = Path(value)
            if path.is_dir():
                store = LocalStore(path)
                entries = store.list("")
            elif path.exists():
                yield LocalStore(path.parent), Entry(path.name, 0, value)
                continue
            else:
                raise InputError(f"{value}: file not found")
        for entry in entries:
            if entry.key.endswith(".json"):
                found += 1
                yield store, entry
        if not found:
            raise InputError(f"{value}: no snapshot files (*.json) under it")


def read_document(value: str | os.PathLike[str]) -> Any:
    """Read one JSON document from a local file or an ``s3://`` / ``gs://`` object; errors name it."""
    from ..fileio import read_json

    text = os.fspath(value)
    if not is_remote(text):
        return read_json(text)
    location = parse_location(text)
    key = location.prefix.rstrip("/")
    data = open_store(location).get(key)
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{text}: not valid JSON: {exc}") from None


def _preselect(pairs: Iterable[tuple[Store, Entry]], latest: int) -> list[tuple[Store, Entry]]:
    """Keep the newest ``latest`` objects of each cluster folder laid out by k8seval (time-stamped names)
    without reading them; files named otherwise are all kept (and filtered after reading)."""
    kept: list[tuple[Store, Entry]] = []
    folders: dict[tuple[int, str], list[tuple[Store, Entry]]] = defaultdict(list)
    for store, entry in pairs:
        name = PurePosixPath(entry.key)
        if STAMP_RE.match(name.name):
            folders[(id(store), str(name.parent))].append((store, entry))
        else:
            kept.append((store, entry))
    for group in folders.values():
        group.sort(key=lambda pair: _stamp_order(PurePosixPath(pair[1].key).name), reverse=True)
        kept.extend(group[:latest])
    return kept


def _stamp_order(name: str) -> tuple[str, int]:
    stem = name[: -len(".json")]
    stamp, _, n = stem.partition("-")
    return stamp, int(n or 1)


def _parse(store: Store, entry: Entry) -> Snapshot:
    if isinstance(store, LocalStore):
        from ..fileio import read_json

        document = read_json(entry.url)
    else:
        data = store.get(entry.key)
        try:
            document = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{entry.url}: not valid JSON: {exc}") from None
    if isinstance(document, dict) and "findings" in document and document.get("schema") != SCHEMA:
        raise InputError(
            f"{entry.url}: a findings file, not a snapshot",
            hint="Point at the snapshots (an audit writes them under snapshots/), or give findings files to diff",
        )
    return Snapshot.from_dict(document, where=entry.url)


def read_snapshots(
    inputs: Sequence[str | os.PathLike[str]], *, latest: int | None = None, workers: int = READ_WORKERS
) -> list[Snapshot]:
    """Load every snapshot the inputs name (files, folders, ``s3://`` / ``gs://`` prefixes), in input order.

    Objects are read ``workers`` at a time with at most ``2 * workers`` in flight, so memory holds the parsed
    snapshots, never the raw bytes of the whole listing. ``latest`` keeps only the newest N snapshots of each
    cluster (by ``collected_at``; for k8seval's own layout the older objects are not even read).
    """
    if latest is not None and latest < 1:
        raise InputError(f"--latest: must be at least 1, got {latest}")
    pairs: Iterable[tuple[Store, Entry]] = iter_inputs(inputs)
    if latest is not None:
        pairs = _preselect(pairs, latest)
    results: dict[int, Snapshot] = {}
    window: deque[tuple[int, Future[Snapshot]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
        try:
            for index, (store, entry) in enumerate(pairs):
                window.append((index, pool.submit(_parse, store, entry)))
                while len(window) >= 2 * workers:
                    i, future = window.popleft()
                    results[i] = future.result()
            while window:
                i, future = window.popleft()
                results[i] = future.result()
        except BaseException:
            for _, future in window:
                future.cancel()
            raise
    snapshots = [results[i] for i in sorted(results)]
    return _newest(snapshots, latest) if latest is not None else snapshots


def _newest(snapshots: list[Snapshot], latest: int) -> list[Snapshot]:
    """The newest ``latest`` snapshots of each cluster, in their original order."""
    by_cluster: dict[tuple[str, str], list[tuple[Any, int]]] = defaultdict(list)
    for i, snap in enumerate(snapshots):
        by_cluster[(snap.cluster.name, snap.cluster.account or "")].append((parse_time(snap.collected_at), i))
    keep: set[int] = set()
    for items in by_cluster.values():
        items.sort(reverse=True)
        keep.update(i for _, i in items[:latest])
    return [s for i, s in enumerate(snapshots) if i in keep]
