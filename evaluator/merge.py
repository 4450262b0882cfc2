"""Merge two snapshots of one cluster (the EKS or GKE cloud view, the Kubernetes API view, a direct etcd read).

Rules, per section:

* A measured value wins over an absent one (``None``, an empty list or dict), field by field.
* Where both sides measured a field, the more direct source wins:

  ============================================  =====================================================
  section                                       preferred side
  ============================================  =====================================================
  cluster.version, cluster.git_version          the Kubernetes API side (the apiserver's /version)
  cluster.endpoint, provider, region, account   the cloud side (EKS / GKE API)
  etcd                                          a direct etcd read (``etcd.source == "etcd"``), then
                                                the Kubernetes API side (apiserver metrics)
  networking.service_cidrs, ip_family,          the cloud side (the configured ranges: node podCIDRs
  pod_cidrs, pod_ip_capacity,                   seen through the Kubernetes API are only the blocks
  node_capacity_by_pod_range                    allocated so far, not the range a GKE cluster owns)
  cloud                                         the cloud side (collector ``eks`` / ``gke``)
  nodes, objects and every other section        the Kubernetes API side (counts of real objects)
  deprecated_apis                               a union of both sides (see below)
  ============================================  =====================================================

  When neither side (or both) is the preferred kind, the later snapshot wins.
* ``objects``, ``extra`` dicts and ``collection.count_methods`` are unions (preferred side wins per key); other
  dicts and lists are taken whole from one side, since a count split across two sources would be inconsistent.
* A gap is dropped when the other snapshot measured that item and has no gap for it; duplicates are removed;
  the rest are sorted by source and item.
* ``deprecated_apis`` is a union keyed by group, version, resource and subresource (the preferred side's entry wins
  per key). Each side is evidence that a client asked for those versions, over its own window: the apiserver's gauge
  since it last started, a Prometheus server's over its retention. ``[]`` ("measured, none requested") is a
  measurement, unlike ``None``, so it never yields to the other side; it only adds nothing to the union.
* ``collection.collectors`` are joined, ``collected_at`` is the later of the two, durations and requests add up.
* ``cluster.id`` comes from the Kubernetes API side (the kube-system namespace UID) when it has one, else from the
  cloud side (EKS ARN / GKE self link); ``cluster.cloud_id`` from the cloud side. Two ids of the same kind that
  differ mean two clusters: :class:`~evaluator.errors.InputError`, unless ``allow_mismatch``.
* The two snapshots must describe one cluster: the same name (an EKS ARN ``.../cluster/NAME`` or a GKE context
  ``gke_PROJECT_LOCATION_NAME`` matches ``NAME``) and compatible platforms (equal, or one ``unknown``); else
  :class:`~evaluator.errors.InputError`, unless ``allow_mismatch``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import InputError
from .inventory import CollectionInfo, DeprecatedApiUse, Gap, Snapshot, parse_time

CLOUD_COLLECTORS = ("eks", "gke")
KUBE_COLLECTOR = "kube"
_UNION_DICTS = frozenset({"objects", "extra", "count_methods"})
_CLOUD_CLUSTER_FIELDS = frozenset({"endpoint", "provider", "region", "account", "cloud_id"})
_CLOUD_NETWORKING_FIELDS = frozenset(
    {"service_cidrs", "ip_family", "pod_cidrs", "pod_ip_capacity", "node_capacity_by_pod_range"}
)
_MISSING = object()


def merge_snapshots(a: Snapshot, b: Snapshot, *, allow_mismatch: bool = False) -> Snapshot:
    """Merge two snapshots of the same cluster into one, by the rules in this module's docstring.

    Example::

        merged = merge_snapshots(load_snapshot("eks-prod.json"), load_snapshot("kube-prod.json"))
    """
    _check_same_cluster(a, b, allow_mismatch)
    later, earlier = (b, a) if parse_time(b.collected_at) >= parse_time(a.collected_at) else (a, b)
    kube, kube_other = _pick(a, b, later, lambda s: KUBE_COLLECTOR in s.collection.collectors)
    cloud, cloud_other = _pick(a, b, later, lambda s: s.cloud is not None and _is_cloud(s))
    if (a.cloud is None) != (b.cloud is None):  # a cloud section only one side has always comes from that side
        cloud, cloud_other = (a, b) if a.cloud is not None else (b, a)
    direct = [s for s in (a, b) if s.etcd.source == "etcd"]
    if len(direct) == 1:
        etcd, etcd_other = direct[0], (b if direct[0] is a else a)
    else:
        etcd, etcd_other = kube, kube_other

    merged: dict[str, Any] = {}
    for f in dataclasses.fields(Snapshot):
        name = f.name
        if name == "cluster":
            merged[name] = _merge_cluster(kube, kube_other, cloud, cloud_other)
        elif name == "schema":
            merged[name] = a.schema
        elif name == "collected_at":
            merged[name] = later.collected_at
        elif name == "etcd":
            merged[name] = _merge(etcd.etcd, etcd_other.etcd)
        elif name == "cloud":
            merged[name] = _merge(cloud.cloud, cloud_other.cloud)
        elif name == "networking":
            merged[name] = _merge_split(
                kube.networking,
                kube_other.networking,
                cloud.networking,
                cloud_other.networking,
                _CLOUD_NETWORKING_FIELDS,
            )
        elif name == "gaps":
            continue
        elif name == "collection":
            merged[name] = _merge_collection(kube.collection, kube_other.collection, later, earlier)
        elif name == "deprecated_apis":
            merged[name] = _merge_deprecated(kube.deprecated_apis, kube_other.deprecated_apis)
        else:
            merged[name] = _merge(getattr(kube, name), getattr(kube_other, name), name)
    merged["gaps"] = _merge_gaps(a, b)
    return Snapshot(**merged)


# A direct etcd reading this many times smaller (or larger) than the apiserver's figure for the same cluster is
# probably another etcd (a separate Events etcd, a test member) rather than the cluster's main store.
ETCD_MISMATCH_FACTOR = 10


def merge_warnings(a: Snapshot, b: Snapshot) -> list[str]:
    """What a user should know about merging ``a`` and ``b`` (the merge itself goes ahead).

    Today: a direct etcd database size that differs from the apiserver-metrics figure of the same cluster by
    more than :data:`ETCD_MISMATCH_FACTOR` times (a 24 KiB reading over a 5 GiB cluster).
    """
    direct = [s for s in (a, b) if s.etcd.source == "etcd" and s.etcd.db_size_bytes]
    other = [s for s in (a, b) if s.etcd.source != "etcd" and s.etcd.db_size_bytes]
    if len(direct) != 1 or len(other) != 1:
        return []
    d, o = direct[0].etcd.db_size_bytes or 0, other[0].etcd.db_size_bytes or 0
    if max(d, o) < ETCD_MISMATCH_FACTOR * min(d, o):
        return []
    return [
        f"{direct[0].cluster.name}: the direct etcd reading ({_size(d)}) differs from the "
        f"{other[0].etcd.source or 'Kubernetes API'} figure ({_size(o)}) by more than "
        f"{ETCD_MISMATCH_FACTOR} times; the direct reading is kept, but check that the etcd endpoints are this "
        "cluster's main etcd (not a separate Events etcd or a test member)"
    ]


def _size(value: float) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{value:,.0f} bytes"


def _is_cloud(snap: Snapshot) -> bool:
    return any(c in CLOUD_COLLECTORS for c in snap.collection.collectors) or snap.cluster.platform in CLOUD_COLLECTORS


def _pick(a: Snapshot, b: Snapshot, later: Snapshot, wanted: Any) -> tuple[Snapshot, Snapshot]:
    """(preferred, other): the side ``wanted`` holds for, or the later one when both or neither do."""
    in_a, in_b = bool(wanted(a)), bool(wanted(b))
    if in_a != in_b:
        return (a, b) if in_a else (b, a)
    return (later, b if later is a else a)


def short_name(name: str) -> str:
    """The bare cluster name of an EKS ARN (``arn:aws:eks:R:A:cluster/NAME``) or a GKE kubeconfig context."""
    if name.startswith("arn:") and ":cluster/" in name:
        return name.rsplit("/", 1)[-1]
    if name.startswith("gke_") and name.count("_") >= 3:
        return name.split("_", 3)[3]
    return name


def _is_cloud_id(value: str) -> bool:
    return value.startswith(("arn:", "https://"))


def _check_same_cluster(a: Snapshot, b: Snapshot, allow_mismatch: bool) -> None:
    if allow_mismatch:
        return
    ids = [(s.cluster.id, s.cluster.cloud_id) for s in (a, b)]
    for index, what in ((0, "cluster ids (kube-system namespace UIDs)"), (1, "cloud ids (EKS ARN / GKE self link)")):
        left, right = ids[0][index], ids[1][index]
        if index == 0 and (not left or not right or _is_cloud_id(left) != _is_cloud_id(right)):
            continue  # a kube-system UID and a cloud id are different kinds of id: not comparable
        if left and right and left != right:
            raise InputError(
                f"cannot merge snapshots of different clusters: {a.cluster.name!r} and {b.cluster.name!r} have "
                f"different {what}: {left} and {right}",
                hint="Pass --allow-mismatch if they are the same cluster",
            )
    if short_name(a.cluster.name) != short_name(b.cluster.name):
        raise InputError(
            f"cannot merge snapshots of different clusters: {a.cluster.name!r} and {b.cluster.name!r}",
            hint="Pass --allow-mismatch if they are the same cluster under two names",
        )
    platforms = {a.cluster.platform, b.cluster.platform} - {"unknown"}
    if len(platforms) > 1:
        raise InputError(
            f"cannot merge snapshots of {a.cluster.name!r}: platforms differ ({a.cluster.platform} and "
            f"{b.cluster.platform})",
            hint="Pass --allow-mismatch if they are the same cluster",
        )


def _measured(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict | list | tuple | str) and not value:
        return False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_measured(getattr(value, f.name)) for f in dataclasses.fields(value))
    return True


def _merge(preferred: Any, other: Any, name: str = "") -> Any:
    """Field by field: a measured value wins over an absent one; where both are measured, ``preferred`` wins."""
    if not _measured(preferred):
        return other if _measured(other) else preferred
    if not _measured(other):
        return preferred
    if dataclasses.is_dataclass(preferred) and not isinstance(preferred, type) and type(preferred) is type(other):
        return dataclasses.replace(
            preferred,
            **{
                f.name: _merge(getattr(preferred, f.name), getattr(other, f.name), f.name)
                for f in dataclasses.fields(preferred)
            },
        )
    if isinstance(preferred, dict) and isinstance(other, dict) and name in _UNION_DICTS:
        return {**other, **preferred}
    return preferred


def _merge_deprecated(
    preferred: list[DeprecatedApiUse] | None, other: list[DeprecatedApiUse] | None
) -> list[DeprecatedApiUse] | None:
    """Both sides' deprecated API requests, one entry per group/version/resource/subresource; None only when
    neither side measured them."""
    if preferred is None or other is None:
        return preferred if other is None else other
    merged = {(u.group, u.version, u.resource, u.subresource): u for u in other}
    merged.update({(u.group, u.version, u.resource, u.subresource): u for u in preferred})
    return sorted(merged.values(), key=lambda u: (u.group, u.version, u.resource, u.subresource))


def _merge_split(kube: Any, kube_other: Any, cloud: Any, cloud_other: Any, cloud_fields: frozenset[str]) -> Any:
    """Merge one section where ``cloud_fields`` prefer the cloud side and the other fields the Kubernetes side."""
    values = {}
    for f in dataclasses.fields(kube):
        if f.name in cloud_fields:
            values[f.name] = _merge(getattr(cloud, f.name), getattr(cloud_other, f.name), f.name)
        else:
            values[f.name] = _merge(getattr(kube, f.name), getattr(kube_other, f.name), f.name)
    return dataclasses.replace(kube, **values)


def _merge_cluster(kube: Snapshot, kube_other: Snapshot, cloud: Snapshot, cloud_other: Snapshot) -> Any:
    merged = _merge_split(kube.cluster, kube_other.cluster, cloud.cluster, cloud_other.cluster, _CLOUD_CLUSTER_FIELDS)
    # The cloud API's name is the bare one; a kube context name may be an ARN or a gke_ context.
    name = cloud.cluster.name if _is_cloud(cloud) else kube.cluster.name
    platforms = [s.cluster.platform for s in (cloud, cloud_other) if s.cluster.platform != "unknown"]
    return dataclasses.replace(merged, name=name, platform=platforms[0] if platforms else "unknown")


def _merge_collection(
    preferred: CollectionInfo, other: CollectionInfo, later: Snapshot, earlier: Snapshot
) -> CollectionInfo:
    base = _merge(preferred, other)
    collectors = list(dict.fromkeys([*earlier.collection.collectors, *later.collection.collectors]))
    durations = [c.duration_seconds for c in (preferred, other) if c.duration_seconds is not None]
    requests = [c.requests for c in (preferred, other) if c.requests is not None]
    return dataclasses.replace(
        base,
        collectors=collectors,
        tool_version=later.collection.tool_version or earlier.collection.tool_version,
        duration_seconds=round(sum(durations), 3) if durations else None,
        requests=sum(requests) if requests else None,
    )


def value_at(snap: Snapshot, item: str) -> Any:
    """The value a gap item names (``nodes.count``, ``objects``, ``pods``, ``cloud.node_groups.NAME.x``).

    Object counts are addressed by resource name (``networkpolicies.networking.k8s.io``). Returns a private
    sentinel when the path does not resolve.
    """
    if item in snap.objects:
        return snap.objects[item]
    current: Any = snap
    for part in item.split("."):
        if dataclasses.is_dataclass(current) and not isinstance(current, type) and hasattr(current, part):
            current = getattr(current, part)
        elif isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list):
            current = next((x for x in current if getattr(x, "name", None) == part), _MISSING)
            if current is _MISSING:
                return _MISSING
        else:
            return _MISSING
    return current


# Facts where None alone means "not measured" and an empty list is a measurement ("none").
_EMPTY_IS_MEASURED = frozenset({"deprecated_apis"})


def _filled_by(other: Snapshot, item: str) -> bool:
    value = value_at(other, item)
    if value is _MISSING or other.gap_for(item) is not None:
        return False
    return value is not None if item in _EMPTY_IS_MEASURED else _measured(value)


def _merge_gaps(a: Snapshot, b: Snapshot) -> list[Gap]:
    gaps: list[Gap] = []
    seen: set[Gap] = set()
    for snap, other in ((a, b), (b, a)):
        for gap in snap.gaps:
            if gap in seen or _filled_by(other, gap.item):
                continue
            seen.add(gap)
            gaps.append(gap)
    return sorted(gaps, key=lambda g: (g.source, g.item, g.reason))  # the same whichever order a and b come in
