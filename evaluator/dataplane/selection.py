"""Which pods a selector picks, without testing every pod against every policy.

Pods are grouped by (namespace, label set, named-port map, hostNetwork): every pod of a group is selected by exactly the
same selectors, so selection works on groups. An inverted index maps ``(namespace, key, value)`` and
``(namespace, key)`` to groups (built per label key the first time a selector names it), and namespaces the same
way over namespace labels.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import ClusterModel, PodRecord, Selector


@dataclass(slots=True)  # one per pod or group: no per-instance dict
class Group:
    """Pods that share a namespace, a label set, a named-port map and hostNetwork."""

    gid: int
    namespace: str
    labels: dict[str, str]
    host_network: bool = False
    pods: list[PodRecord] = field(default_factory=list)

    @property
    def ready(self) -> list[PodRecord]:
        """Pods with an IP (the controller skips pods that are not network-ready)."""
        return [p for p in self.pods if p.ip]


class PodIndex:
    """Groups and the label indexes over them; built once per analysis in O(pods × labels per pod)."""

    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        self.groups: list[Group] = []
        by_key: dict[tuple, Group] = {}
        sorted_labels: dict[int, tuple[tuple[str, str], ...]] = {}  # replicas share one labels dict
        keep: list[dict[str, str]] = []
        for pod in model.pods:
            ports = tuple(sorted(pod.named_ports.items())) if pod.named_ports else ()
            labels = sorted_labels.get(id(pod.labels))
            if labels is None:
                labels = sorted_labels[id(pod.labels)] = tuple(sorted(pod.labels.items()))
                keep.append(pod.labels)  # keeps the id unique while cached
            key = (pod.namespace, labels, ports, pod.host_network)
            group = by_key.get(key)
            if group is None:
                group = by_key[key] = Group(len(self.groups), pod.namespace, pod.labels, pod.host_network)
                self.groups.append(group)
            group.pods.append(pod)
        self.by_namespace: dict[str, list[int]] = defaultdict(list)
        for g in self.groups:
            self.by_namespace[g.namespace].append(g.gid)
        # (namespace, key, value) and (namespace, key) -> groups, built per label key on first use: selectors
        # name few keys, and indexing every pair (pod-template-hash values are unique per ReplicaSet) would
        # cost a set per pair.
        self.by_pair: dict[tuple[str, str, str], list[int]] = {}
        self.by_key: dict[tuple[str, str], list[int]] = {}
        self._indexed: set[str] = set()
        self._has_ip: list[bool] | None = None
        for ns in self.by_namespace:
            model.namespace_labels(ns)
        # Lists (a namespace's labels name each pair once): most pairs (the name label) hold one namespace.
        self.ns_by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ns, labels in model.namespaces.items():
            for k, v in labels.items():
                self.ns_by_pair[(k, v)].append(ns)

    def has_ip(self) -> list[bool]:
        """Per group id: whether any of its pods has an IP (is a network endpoint); computed once."""
        if self._has_ip is None:
            self._has_ip = [any(p.ip for p in g.pods) for g in self.groups]
        return self._has_ip

    def index_key(self, key: str) -> None:
        """Fill :attr:`by_pair` and :attr:`by_key` for label ``key`` (once; O(groups))."""
        if key in self._indexed:
            return
        self._indexed.add(key)
        by_pair, by_key = self.by_pair, self.by_key
        for g in self.groups:
            v = g.labels.get(key)
            if v is None:
                continue
            pair = (g.namespace, key, v)
            # Lists, in group order (sorted, no repeats): most pairs name one group, and a list of one is a
            # third of a set's size.
            found = by_pair.get(pair)
            if found is None:
                by_pair[pair] = [g.gid]
            else:
                found.append(g.gid)
            nk = (g.namespace, key)
            found = by_key.get(nk)
            if found is None:
                by_key[nk] = [g.gid]
            else:
                found.append(g.gid)

    def select(self, namespace: str, selector: Selector) -> list[int]:
        """Groups in ``namespace`` that ``selector`` picks.

        With matchLabels: intersect the index sets, smallest first, then test the expressions on the few
        candidates. With only an In or Exists expression: start from its index set. Else: the namespace's groups.
        """
        candidates: set[int] | list[int] | None = None
        for k, _ in selector.match_labels:
            self.index_key(k)
        for req in selector.expressions:
            self.index_key(req.key)
        if selector.match_labels:
            sets = sorted((self.by_pair.get((namespace, k, v), []) for k, v in selector.match_labels), key=len)
            candidates = set(sets[0])
            for s in sets[1:]:
                candidates.intersection_update(s)
                if not candidates:
                    return []
        else:
            for req in selector.expressions:
                if req.operator == "In":
                    found: set[int] = set()
                    for value in req.values:
                        found.update(self.by_pair.get((namespace, req.key, value), ()))
                    candidates = found
                    break
                if req.operator == "Exists":
                    candidates = self.by_key.get((namespace, req.key), [])
                    break
        if candidates is None:
            candidates = self.by_namespace.get(namespace, [])
        if not selector.expressions:
            return sorted(candidates)
        return sorted(g for g in candidates if selector.matches(self.groups[g].labels))

    def select_namespaces(self, selector: Selector) -> list[str]:
        """Namespaces whose labels ``selector`` picks (namespaces are few: a plain scan past matchLabels)."""
        names: set[str] | None = None
        for k, v in selector.match_labels:
            found = self.ns_by_pair.get((k, v), [])
            names = set(found) if names is None else names.intersection(found)
        pool = names if names is not None else self.model.namespaces.keys()
        return sorted(ns for ns in pool if selector.matches(self.model.namespaces[ns]))
