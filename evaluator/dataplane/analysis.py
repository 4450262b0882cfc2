"""Per-pod and per-node NetworkPolicy load for each dataplane, computed from a :class:`ClusterModel`.

What is computed (per pod and direction, then per node and as distributions):

- **EKS (VPC CNI network policy agent).** The agent merges every policy that selects a pod into one LPM trie per
  direction: one key per peer IP or CIDR, each holding at most 24 (protocol, port, endPort) entries
  (aws-network-policy-agent ``MAX_PORT_PROTOCOL``; ``fw_rule_processor.go``). It is reproduced here: pod peers
  become /32 keys with the rule's ports (named ports resolved against the policy's pods for ingress and against
  each peer pod for egress, as amazon-network-policy-controller-k8s ``endpoints.go`` does); a rule without ports
  is one catch-all entry; rules for the same key are merged and deduplicated; a key inherits the ports of every
  broader non-host CIDR that contains it unless that CIDR's ``except`` covers it; each ``except`` CIDR not
  already a key becomes a deny key (one entry); the node's own IP is always one allow-all key and peers equal to
  it are skipped. Not modelled: the Service ClusterIPs the controller adds for egress pod peers.
- **Cilium / GKE Dataplane V2.** Estimated policy-map entries per endpoint: distinct (identity, protocol, port)
  over both directions; pod peers count one identity per identity-relevant label set (Cilium's default label
  filter), ipBlocks one CIDR identity per prefix left after ``except``, an empty from/to one wildcard entry,
  ``endPort`` ranges one entry per aligned power-of-two block, a named port one entry.
- **Calico.** Policies and rules active per node; the largest selector IP set (Felix ipsets).
- **Security identities.** Distinct (namespace, identity-relevant labels) over pod endpoints.

Algorithm and cost (n pods, g label groups, P policies, k label pairs per selector):

1. Group pods by (namespace, label set, named ports, hostNetwork): O(n). Index groups by (namespace, key,
   value) and (namespace, key).
2. Select each policy's pods and each rule's peer pods by intersecting index sets (smallest first) and testing
   only the surviving candidates against matchExpressions: O(P × (k + matched groups)), never O(n × P).
3. Every pod of a group is selected by the same policies, so the per-direction load is a function of the
   (sorted) set of selecting policies: it is computed once per distinct set and cached. One evaluation costs
   O(R log R + I × C) for R CIDR keys, I peer pod IPs and C non-host CIDRs in the set, and usually far less:
   the peer pods of one rule form a block whose IP range no CIDR or except boundary cuts, so the whole block
   is n keys with one merged port set (O(C) per block); only cut blocks, hostNetwork and shared IPs go IP by IP.
4. One pass over pods applies the node-IP adjustment and sums per node: O(n). Pods whose node IP is none of
   their group's keys share one load object (most groups), so the per-pod table is one reference per pod.

Memory: the caches of step 3 are keyed by policy sets, and a NetworkPolicy selects in its own namespace only,
so they are emptied when the groups (in pod list order: by namespace) move to the next namespace; sets made of
clusterwide policies only (Cilium's) stay. Offender rows are built only for workloads that can reach the top.
Cilium's and Calico's own policy objects (:class:`CniPolicies`) are counted in the same pass, each into its
own dataplane's figures.

On the ``large`` profile (150,000 pods, 20,000 policies) this runs in seconds (benchmarks/bench_dataplane.py).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import ipaddress
import math
import socket
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import ANY, ClusterModel, Peer, PodRecord, Policy, PortSpec, Rule, Selector
from .selection import Group, PodIndex

EKS_MAX_ENTRIES = 24  # aws-network-policy-agent MAX_PORT_PROTOCOL
EKS_MAX_KEYS = 65536  # max_entries of ingress_map / egress_map
CILIUM_POLICY_MAP = 16384  # bpf-policy-map-max default
POLICY_ENDPOINT_CHUNK = 200  # amazon-network-policy-controller-k8s defaultEndpointsChunkSize
TOP = 20
DIRECTIONS = ("ingress", "egress")

# Cilium's default identity label filter (cilium/cilium pkg/labelsfilter/filter.go defaultLabelPrefixCfg):
# app.kubernetes.io is kept; these key prefixes are ignored.
_IDENTITY_KEEP = ("app.kubernetes.io",)
_IDENTITY_DROP = (
    "io.kubernetes",
    "kubernetes.io",
    "k8s.io",
    "pod-template-generation",
    "pod-template-hash",
    "controller-revision-hash",
    "annotation.",
    "etcd_node",
)

PortKey = tuple[str, Any, int]  # (protocol, number or unresolved name, endPort)
CATCH_ALL: PortKey = (ANY, 0, 0)


def identity_labels(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The labels Cilium keeps for a security identity by default."""
    kept = [
        (k, v)
        for k, v in labels.items()
        if k.startswith(_IDENTITY_KEEP) or not (k.startswith(_IDENTITY_DROP) or "beta.kubernetes.io" in k)
    ]
    return tuple(sorted(kept))


def port_blocks(start: int, end: int) -> int:
    """How many aligned power-of-two port blocks cover [start, end] (Cilium's port/prefix policy keys)."""
    count = 0
    while start <= end:
        size = start & -start if start else 1 << 16
        while size > end - start + 1:
            size >>= 1
        start += size
        count += 1
    return count


# -- resolved rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodsEntry:
    """Peer pods (by group) with the ports resolved for them."""

    gids: tuple[int, ...]
    ports: frozenset[PortKey]


@dataclass(frozen=True)
class CidrEntry:
    """An ipBlock (or the all-addresses block of an empty from/to) with its except list and ports."""

    cidr: str
    excepts: tuple[str, ...]
    ports: frozenset[PortKey]


Entry = PodsEntry | CidrEntry


def _numeric(spec: PortSpec) -> PortKey | None:
    if spec.name is not None:
        return None
    if spec.number is None:
        return (spec.protocol, 0, 0)
    return (spec.protocol, spec.number, spec.end_port or 0)


def _resolve_on(pod_ports: dict[tuple[str, str], int] | None, spec: PortSpec) -> PortKey | None:
    """A port of a rule resolved on one pod; an unresolvable named port is None (the controller drops it).
    Unknown container ports (metadata only) resolve a name to itself: one entry per name."""
    plain = _numeric(spec)
    if plain is not None:
        return plain
    if pod_ports is None:
        return (spec.protocol, spec.name, 0)
    number = pod_ports.get((spec.name or "", spec.protocol))
    return None if number is None else (spec.protocol, number, 0)


class Resolver:
    """Resolves each policy's rules into peer entries, once per policy."""

    def __init__(self, index: PodIndex, policies: list[Policy], targets: list[list[int]]) -> None:
        self.index = index
        self.policies = policies
        self.targets = targets
        self._peer_cache: dict[tuple[str, Peer], tuple[int, ...]] = {}
        # By object id first: hashing a Peer hashes its selectors every time; the policies (and so their peers)
        # outlive the resolver, so ids stay unique.
        self._peer_by_id: dict[tuple[str, int], tuple[int, ...]] = {}

    def peer_groups(self, namespace: str, peer: Peer) -> tuple[int, ...]:
        """Groups a pod peer selects (namespaceSelector absent: the policy's namespace)."""
        ns = namespace if peer.namespaces is None else ""
        found = self._peer_by_id.get((ns, id(peer)))
        if found is not None:
            return found
        key = (ns, peer)
        found = self._peer_cache.get(key)
        if found is not None:
            self._peer_by_id[(ns, id(peer))] = found
        else:
            selector = peer.pods or _EMPTY
            namespaces = [namespace] if peer.namespaces is None else self.index.select_namespaces(peer.namespaces)
            gids: list[int] = []
            for ns in namespaces:
                gids.extend(self.index.select(ns, selector))
            found = self._peer_cache[key] = self._peer_by_id[(ns, id(peer))] = tuple(gids)
        return found

    def entries(self, pid: int, direction: str) -> list[Entry]:
        """The peer entries of policy ``pid`` in ``direction`` (the controller's EndpointInfo list)."""
        policy = self.policies[pid]
        rules = policy.rules(direction) or ()
        out: list[Entry] = []
        for rule in rules:
            if direction == "ingress":
                out.extend(self._ingress(policy, pid, rule))
            else:
                out.extend(self._egress(policy, rule))
        return out

    def _ingress(self, policy: Policy, pid: int, rule: Rule) -> list[Entry]:
        ports: set[PortKey] = set()
        for spec in rule.ports:
            plain = _numeric(spec)
            if plain is not None:
                ports.add(plain)
                continue
            has_ip = self.index.has_ip()
            for gid in self.targets[pid]:  # named ports: resolved on the policy's own (destination) pods
                if not has_ip[gid]:
                    continue
                group = self.index.groups[gid]
                got = _resolve_on(group.pods[0].named_ports, spec)
                if got is not None:
                    ports.add(got)
        if rule.ports and not ports:
            return []  # "Couldn't resolve any ports for ingress rule, skipping"
        frozen = frozenset(ports) if ports else frozenset({CATCH_ALL})
        if rule.peers is None:
            return [CidrEntry("0.0.0.0/0", (), frozen), CidrEntry("::/0", (), frozen)]
        out: list[Entry] = []
        for peer in rule.peers:
            if peer.cidr is not None:
                out.append(CidrEntry(peer.cidr, peer.excepts, frozen))
            else:
                gids = self.peer_groups(policy.namespace, peer)
                if gids:
                    out.append(PodsEntry(gids, frozen))
        return out

    def _egress(self, policy: Policy, rule: Rule) -> list[Entry]:
        cidr_ports = {p for p in (_numeric(s) for s in rule.ports) if p is not None}
        cidr_frozen = frozenset(cidr_ports) if cidr_ports else frozenset({CATCH_ALL})
        if rule.peers is None:
            if rule.ports and not cidr_ports:
                return []
            return [CidrEntry("0.0.0.0/0", (), cidr_frozen), CidrEntry("::/0", (), cidr_frozen)]
        out: list[Entry] = []
        for peer in rule.peers:
            if peer.cidr is not None:
                if rule.ports and not cidr_ports:
                    continue
                out.append(CidrEntry(peer.cidr, peer.excepts, cidr_frozen))
                continue
            by_ports: dict[frozenset[PortKey], list[int]] = defaultdict(list)
            for gid in self.peer_groups(policy.namespace, peer):
                group = self.index.groups[gid]
                resolved = {p for p in (_resolve_on(group.pods[0].named_ports, s) for s in rule.ports) if p is not None}
                if rule.ports and not resolved:
                    continue  # "Couldn't get matched port list from the pod"
                by_ports[frozenset(resolved) if resolved else frozenset({CATCH_ALL})].append(gid)
            for ports, gids in by_ports.items():
                out.append(PodsEntry(tuple(gids), ports))
        return out


_EMPTY = Selector()


# -- EKS: one ruleset ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _net(cidr: str) -> tuple[int, int, int, int]:
    """(version, network int, mask int, prefix length)."""
    n = ipaddress.ip_network(cidr)
    bits = n.max_prefixlen
    mask = ((1 << bits) - 1) ^ ((1 << (bits - n.prefixlen)) - 1)
    return n.version, int(n.network_address), mask, n.prefixlen


@dataclass(slots=True)  # one per pod or group: no per-instance dict
class EksResult:
    """The merged trie of one ruleset: key count, entry sum, the largest keys and the keys equal to node IPs."""

    keys: int = 0
    total: int = 0
    best: list[tuple[int, str, frozenset[int]]] = field(default_factory=list)  # top 2 (entries, key, policies)
    node_keys: dict[str, int] = field(default_factory=dict)  # key ip -> entries, for keys that are node IPs
    over: int = 0  # keys above 24 entries

    def offer_many(self, entries: int, count: int, key: str, policies: frozenset[int] | set[int]) -> None:
        """Count ``count`` keys of ``entries`` each (``key`` names one of them)."""
        self.keys += count - 1
        self.total += entries * (count - 1)
        if entries > EKS_MAX_ENTRIES:
            self.over += count - 1
        self.offer(entries, key, policies)

    def offer(self, entries: int, key: str, policies: frozenset[int] | set[int]) -> None:
        """Count one key."""
        self.keys += 1
        self.total += entries
        if entries > EKS_MAX_ENTRIES:
            self.over += 1
        if len(self.best) < 2 or entries > self.best[-1][0]:
            self.best.append((entries, key, frozenset(policies)))
            self.best.sort(key=lambda b: (-b[0], b[1]))
            del self.best[2:]


@dataclass(slots=True)  # one per pod or group: no per-instance dict
class _Block:
    """The non-special peer groups of one pod entry: their IP count and the range their IPs span."""

    normal: frozenset[int]
    special: tuple[int, ...]
    n: int
    lo: int
    hi: int


class EksEvaluator:
    """Evaluates the agent's merge for a set of entries (fast path; see the module docstring).

    Peer pods are handled in blocks (all normal groups of one entry): when no CIDR or ``except`` boundary cuts
    through the range a block's IPs span, every IP of the block has the same containing CIDRs, so the block
    counts as ``n`` keys with one merged port set. hostNetwork and shared IPs go one by one.
    """

    def __init__(self, index: PodIndex, ipv6: bool, node_ips: set[str]) -> None:
        self.index = index
        self.version = 6 if ipv6 else 4
        self.full = (1 << (128 if ipv6 else 32)) - 1
        self.node_ips = node_ips
        ip_count: Counter[str] = Counter(p.ip for p in index.model.pods if p.ip)
        shared = {ip for ip, n in ip_count.items() if n > 1}  # hostNetwork pods share their node's IP
        self.special_groups = {
            g.gid for g in index.groups if g.host_network or any(p.ip in shared for p in g.pods)
        }  # fmt: skip
        self._ints: dict[int, list[tuple[int, str]]] = {}
        self._range: dict[int, tuple[int, int, int, str]] = {}  # (IPs, lowest, highest, first IP in pod order)
        self._blocks: dict[int, _Block] = {}
        self._keep: list[tuple[int, ...]] = []

    def _group_ips(self, gid: int) -> list[tuple[int, str]]:
        got = self._ints.get(gid)
        if got is None:
            got = []
            family = socket.AF_INET6 if self.version == 6 else socket.AF_INET
            for p in self.index.groups[gid].pods:
                if p.ip:
                    try:
                        got.append((int.from_bytes(socket.inet_pton(family, p.ip), "big"), p.ip))
                    except OSError:
                        continue  # the other family (dual-stack) or not an address
            self._ints[gid] = got
        return got

    def _group_range(self, gid: int) -> tuple[int, int, int, str]:
        got = self._range.get(gid)
        if got is None:
            # The addresses are not kept: most groups only ever need their count and span.
            family = socket.AF_INET6 if self.version == 6 else socket.AF_INET
            n, lo, hi, first = 0, 0, 0, ""
            for p in self.index.groups[gid].pods:
                if p.ip:
                    try:
                        addr = int.from_bytes(socket.inet_pton(family, p.ip), "big")
                    except OSError:
                        continue  # the other family (dual-stack) or not an address
                    if n == 0:
                        lo = hi = addr
                        first = p.ip
                    elif addr < lo:
                        lo = addr
                    elif addr > hi:
                        hi = addr
                    n += 1
            got = self._range[gid] = (n, lo, hi, first)
        return got

    def _block(self, gids: frozenset[int] | tuple[int, ...]) -> _Block:
        special_groups, ranges, group_range = self.special_groups, self._range, self._group_range
        normal: list[int] = []
        special: list[int] = []
        n = lo = hi = 0
        for g in gids:
            if g in special_groups:
                special.append(g)
                continue
            r = ranges.get(g) or group_range(g)
            if not r[0]:
                continue
            if not normal:
                lo, hi = r[1], r[2]
            else:
                lo = r[1] if r[1] < lo else lo
                hi = r[2] if r[2] > hi else hi
            normal.append(g)
            n += r[0]
        return _Block(frozenset(normal), tuple(special), n, lo, hi)

    def first_ip(self, gids: frozenset[int] | list[int]) -> str:
        """The first pod IP (pod order) of the lowest group id among ``gids`` (groups with IPs only)."""
        return self._group_range(min(gids))[3]

    def block_of(self, entry: PodsEntry) -> _Block:
        """The cached block of a pod entry (entries of one peer share the resolver's gids tuple)."""
        got = self._blocks.get(id(entry.gids))
        if got is None:
            got = self._blocks[id(entry.gids)] = self._block(entry.gids)
            self._keep.append(entry.gids)  # keeps the id unique while cached
        return got

    def evaluate(self, tagged: list[tuple[int, Entry]]) -> EksResult:
        """``tagged``: (policy id, entry) pairs from every policy selecting the pod in one direction."""
        res = EksResult()
        if all(type(e) is PodsEntry for _, e in tagged):
            # Pod peers only: without CIDRs nothing is inherited, so each entry is a block of keys unless a
            # group appears twice or is special (hostNetwork, shared IPs).
            blocks = [(pid, e, self.block_of(e)) for pid, e in tagged]  # type: ignore[arg-type]
            total_groups = sum(len(b.normal) for _, _, b in blocks)
            if not any(b.special for _, _, b in blocks) and (
                len(blocks) < 2 or len(frozenset().union(*(b.normal for _, _, b in blocks))) == total_groups
            ):
                for pid, e, b in blocks:
                    if b.n:
                        res.offer_many(len(e.ports), b.n, self.first_ip(b.normal), {pid})
                return res
        host_bits = 128 if self.version == 6 else 32
        cidr_ports: dict[str, set[PortKey]] = defaultdict(set)
        cidr_pols: dict[str, set[int]] = defaultdict(set)
        cidr_except: dict[str, set[str]] = defaultdict(set)
        all_excepts: set[str] = set()
        pod_entries: list[tuple[int, PodsEntry]] = []
        for pid, entry in tagged:
            if isinstance(entry, CidrEntry):
                all_excepts.update(entry.excepts)  # the agent records excepts before skipping a rule
                if _net(entry.cidr)[0] != self.version:
                    continue
                cidr_ports[entry.cidr] |= entry.ports
                cidr_pols[entry.cidr].add(pid)
                cidr_except[entry.cidr].update(entry.excepts)
            else:
                pod_entries.append((pid, entry))
        # Non-host CIDRs, broadest first: each inherits the merged ports of every containing one that does not
        # except it.
        parsed = {c: _net(c) for c in cidr_ports}
        nonhost = sorted((c for c in cidr_ports if parsed[c][3] < host_bits), key=lambda c: parsed[c][3])
        except_nets = {c: [_net(e) for e in cidr_except[c]] for c in nonhost}
        total: dict[str, set[PortKey]] = {}
        total_pols: dict[str, set[int]] = {}
        done: list[str] = []
        full = self.full

        def containing(addr: int) -> list[str]:
            out = []
            for c in done:
                _, net, mask, _ = parsed[c]
                if addr & mask == net and not any(v == self.version and addr & m == n for v, n, m, _ in except_nets[c]):
                    out.append(c)
            return out

        def uniform(lo: int, hi: int) -> tuple[str, ...] | None:
            """The CIDRs containing every address in [lo, hi], or None when a boundary cuts the range."""
            out = []
            for c in done:
                _, net, mask, _ = parsed[c]
                top = net | (full ^ mask)
                if hi < net or lo > top:
                    continue
                if lo < net or hi > top:
                    return None
                excluded = False
                for v, n, m, _ in except_nets[c]:
                    if v != self.version:
                        continue
                    etop = n | (full ^ m)
                    if hi < n or lo > etop:
                        continue
                    if lo < n or hi > etop:
                        return None
                    excluded = True
                if not excluded:
                    out.append(c)
            return tuple(out)

        for c in nonhost:
            ports = set(cidr_ports[c])
            pols = set(cidr_pols[c])
            for broader in containing(parsed[c][1]):
                ports |= total[broader]
                pols |= total_pols[broader]
            total[c], total_pols[c] = ports, pols
            done.append(c)
            res.offer(len(ports), c, pols)
        # Host keys: ipBlock /32s, hostNetwork and shared pod IPs, merged when equal.
        host: dict[int, tuple[set[PortKey], set[int], str]] = {}
        for c in cidr_ports:
            if parsed[c][3] == host_bits:
                host[parsed[c][1]] = (set(cidr_ports[c]), set(cidr_pols[c]), c.split("/")[0])
        special = set(host)
        for e in all_excepts:
            v, n, _, plen = _net(e)
            if plen == (128 if v == 6 else 32) and v == self.version:
                special.add(n)

        def to_host(addr: int, ip: str, ports: frozenset[PortKey] | set[PortKey], pols: set[int]) -> None:
            slot = host.get(addr)
            if slot is None:
                slot = host[addr] = (set(), set(), ip)
            slot[0].update(ports)
            slot[1].update(pols)

        def block(gids: frozenset[int] | list[int], ports: frozenset[PortKey] | set[PortKey], pols: set[int],
                  n: int, lo: int, hi: int) -> None:  # fmt: skip
            if not n:
                return
            sig = uniform(lo, hi)
            if sig is not None and not any(lo <= a <= hi for a in special):
                merged, merged_pols = set(ports), set(pols)
                for c in sig:
                    merged |= total[c]
                    merged_pols |= total_pols[c]
                res.offer_many(len(merged), n, self.first_ip(gids), merged_pols)
                return
            by_sig: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for g in gids:
                for addr, ip in self._group_ips(g):
                    if addr in special:
                        to_host(addr, ip, ports, pols)
                    else:
                        by_sig[tuple(containing(addr))].append(ip)
            for key_sig, ips in by_sig.items():
                merged, merged_pols = set(ports), set(pols)
                for c in key_sig:
                    merged |= total[c]
                    merged_pols |= total_pols[c]
                res.offer_many(len(merged), len(ips), ips[0], merged_pols)

        # Groups named by more than one entry merge their ports first; the rest go entry by entry.
        seen: set[int] = set()
        dup: set[int] = set()
        for _, entry in pod_entries:
            b = self.block_of(entry)
            dup |= seen & b.normal
            seen |= b.normal
        dup_ports: dict[int, set[PortKey]] = defaultdict(set)
        dup_pols: dict[int, set[int]] = defaultdict(set)
        for pid, entry in pod_entries:
            b = self.block_of(entry)
            for g in b.special:
                for addr, ip in self._group_ips(g):
                    to_host(addr, ip, entry.ports, {pid})
            if dup and not dup.isdisjoint(b.normal):
                for g in b.normal & dup:
                    dup_ports[g] |= entry.ports
                    dup_pols[g].add(pid)
                rest = self._block(tuple(b.normal - dup))
                block(rest.normal, entry.ports, {pid}, rest.n, rest.lo, rest.hi)
            else:
                block(b.normal, entry.ports, {pid}, b.n, b.lo, b.hi)
        for g, ports in dup_ports.items():
            n, lo, hi, _ = self._group_range(g)
            block([g], ports, dup_pols[g], n, lo, hi)
        for addr, (ports, pols, ip) in host.items():
            merged = set(ports)
            merged_pols = set(pols)
            for c in containing(addr):
                merged |= total[c]
                merged_pols |= total_pols[c]
            if not merged:
                merged = {CATCH_ALL}
            res.offer(len(merged), ip, merged_pols)
            if ip in self.node_ips:
                res.node_keys[ip] = len(merged)
        # Except CIDRs that are not keys yet become deny keys with one entry.
        keys_now = set(cidr_ports) | {f"{ip}/{host_bits}" for _, _, ip in host.values()}
        for e in sorted(all_excepts):
            if e in keys_now:
                continue
            v, n, _, plen = _net(e)
            if plen == (128 if v == 6 else 32) and v == self.version and n in host:
                continue
            res.offer(1, e, set())
        return res


# -- Cilium: one ruleset -------------------------------------------------------------------------------------


def _cilium_ports(rule_ports: tuple[PortSpec, ...]) -> list[tuple[str, Any, int]]:
    if not rule_ports:
        return [CATCH_ALL]
    out: list[tuple[str, Any, int]] = []
    for spec in rule_ports:
        if spec.name is not None:
            out.append((spec.protocol, spec.name, 0))
        elif spec.number is None:
            out.append((spec.protocol, 0, 0))
        elif spec.end_port and spec.end_port > spec.number:
            out.extend(
                (spec.protocol, (spec.number, spec.end_port), i) for i in range(port_blocks(spec.number, spec.end_port))
            )
        else:
            out.append((spec.protocol, spec.number, 0))
    return out


@functools.lru_cache(maxsize=4096)
def cidr_identities(cidr: str, excepts: tuple[str, ...]) -> frozenset[str]:
    """The prefixes left of ``cidr`` after removing ``excepts`` (one CIDR identity each)."""
    nets = [ipaddress.ip_network(cidr)]
    for e in excepts:
        ex = ipaddress.ip_network(e)
        nxt = []
        for n in nets:
            if n.version == ex.version and ex.subnet_of(n):  # type: ignore[arg-type]
                nxt.extend(n.address_exclude(ex))  # type: ignore[arg-type]
            elif n.version == ex.version and n.subnet_of(ex):  # type: ignore[arg-type]
                continue
            else:
                nxt.append(n)
        nets = nxt
    return frozenset(f"cidr:{n}" for n in nets)


# -- the analysis --------------------------------------------------------------------------------------------


def _stats(values: list[int]) -> dict[str, float | int | None]:
    """max, p99, p95 (nearest rank) and mean."""
    if not values:
        return {"max": None, "p99": None, "p95": None, "mean": None}
    ordered = sorted(values)
    n = len(ordered)

    def rank(q: float) -> int:
        return ordered[max(0, math.ceil(q * n) - 1)]

    return {"max": ordered[-1], "p99": rank(0.99), "p95": rank(0.95), "mean": round(sum(ordered) / n, 2)}


HISTOGRAM_EDGES = (0, 1, 4, 8, 16, 24, 32, 64, 128, 512, 2048, 8192, 16384, 65536)


def histogram(values: list[int]) -> list[list[int]]:
    """``[[upper bound, pods], ...]``: pods with value <= bound and above the previous bound; the last row is
    ``[-1, pods]`` for values above the last edge."""
    counts = [0] * (len(HISTOGRAM_EDGES) + 1)
    for v, n in Counter(values).items():
        counts[bisect.bisect_left(HISTOGRAM_EDGES, v)] += n
    rows = [[edge, c] for edge, c in zip((*HISTOGRAM_EDGES, -1), counts, strict=True)]
    return [r for r in rows if r[1]]


@dataclass(slots=True)  # one per pod or group: no per-instance dict
class PodLoad:
    """The load of one pod (the brute-force reference computes the same fields)."""

    eks_max: int = 0  # most entries under one key, over both directions
    eks_key: str = ""
    eks_direction: str = ""
    eks_keys: int = 0  # the most keys in one direction's map
    eks_total: int = 0  # entries over both maps
    cilium: int = 0  # policy-map entries, both directions
    policies: int = 0  # distinct policies selecting the pod
    eks_policies: frozenset[int] = frozenset()
    gid: int = -1  # the pod's label group


@dataclass(frozen=True)
class CniPolicies:
    """Policies of the CNIs' own kinds, each added to its own dataplane's figures only (the EKS agent enforces
    Kubernetes NetworkPolicy alone). They are analysed in the same pass, on the same groups and caches, as the
    NetworkPolicies. ``cilium_targets`` gives the Cilium policies' target groups on that pass's index
    (clusterwide ones select across namespaces, which :meth:`PodIndex.select` does not)."""

    cilium: list[Policy] = field(default_factory=list)
    cilium_targets: Callable[[PodIndex], list[list[int]]] | None = None
    calico: list[Policy] = field(default_factory=list)


def build_index(model: ClusterModel) -> tuple[PodIndex, list[list[int]]]:
    """Groups, indexes and each policy's target groups."""
    index = PodIndex(model)
    targets = [index.select(p.namespace, p.pod_selector) for p in model.policies]
    return index, targets


def _is_ipv6(model: ClusterModel) -> bool:
    ips = [n.ip for n in model.nodes.values() if n.ip] or [p.ip for p in model.pods[:100] if p.ip]
    v6 = sum(1 for ip in ips if ip and ":" in ip)
    return bool(ips) and v6 > len(ips) / 2


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the duration: the analysis allocates millions of small tuples and
    sets that live until it ends and form no cycles, and every full collection would walk all of them (and the
    model) again: on ``large`` that was nearly half the CPU time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def pod_loads(model: ClusterModel) -> tuple[list[tuple[PodRecord, PodLoad]], dict[str, Any]]:
    """Per-pod loads for every pod endpoint (non-hostNetwork pods with an IP), plus shared facts."""
    with _gc_paused():
        units, shared = _loads(model)
        return [(pod, load) for load, pods in units for pod in pods], shared


def _selecting(policies: list[Policy], targets: list[list[int]], groups: int, first: int = 0
               ) -> dict[str, list[tuple[int, ...]]]:  # fmt: skip
    """Per direction, per group id: the ids (``first`` + index) of the ``policies`` isolating it that way, in
    policy order. Groups selected by the same policies share one tuple (the cache keys reuse it)."""
    out: dict[str, list[tuple[int, ...]]] = {}
    for d in DIRECTIONS:
        lists: list[list[int] | None] = [None] * groups
        for j, gids in enumerate(targets):
            if policies[j].rules(d) is None:
                continue
            for gid in gids:
                found = lists[gid]
                if found is None:
                    lists[gid] = [first + j]
                else:
                    found.append(first + j)
        shared: dict[tuple[int, ...], tuple[int, ...]] = {(): ()}
        out[d] = [() if pids is None else shared.setdefault(tuple(pids), tuple(pids)) for pids in lists]
    return out


_NODE_IP_BEST = ((1, "node IP", frozenset()),)  # one empty set for every pod whose only key is its node's


def _pod_load(per_dir: dict[str, tuple[tuple[int, ...], EksResult | None, int]], node_ip: str | None,
              n_policies: int, gid: int) -> PodLoad:  # fmt: skip
    """One pod's load from its group's per-direction results, less the key equal to its node's IP."""
    load = PodLoad(policies=n_policies, gid=gid)
    for d in DIRECTIONS:
        _, res, cil = per_dir[d]
        if res is None:
            continue
        load.cilium += cil
        keys, total = res.keys + 1, res.total + 1  # the node's allow-all key
        best: Any = res.best
        if node_ip and node_ip in res.node_keys:
            keys -= 1
            total -= res.node_keys[node_ip]
            best = [b for b in best if b[1] != node_ip]
        if not best or best[0][0] < 1:
            best = _NODE_IP_BEST
        top = best[0]
        load.eks_total += total
        load.eks_keys = max(load.eks_keys, keys)
        if top[0] > load.eks_max:
            load.eks_max, load.eks_key, load.eks_direction, load.eks_policies = top[0], top[1], d, top[2]
    return load


def _loads(model: ClusterModel, cni: CniPolicies | None = None
           ) -> tuple[list[tuple[PodLoad, list[PodRecord]]], dict[str, Any]]:  # fmt: skip
    """Per-pod loads as units: one load object and the pods (in group and pod order) that share it. With Cilium
    policies in ``cni``, ``shared["cilium_all"]`` holds, per group id, the policy-map entries with them added
    (policy ids past the NetworkPolicies index ``cni.cilium``)."""
    index, targets = build_index(model)
    resolver = Resolver(index, model.policies, targets)
    n_groups = len(index.groups)
    selecting = _selecting(model.policies, targets, n_groups)
    # Cilium's own policies: ids after the NetworkPolicies', selecting groups per direction like ``selecting``.
    cilium_policies = cni.cilium if cni is not None and cni.cilium_targets is not None else []
    all_policies = model.policies + cilium_policies
    first_wide = len(all_policies)  # policy ids from here on select across namespaces (clusterwide)
    cil_selecting: dict[str, list[tuple[int, ...]]] | None = None
    if cilium_policies:
        assert cni is not None and cni.cilium_targets is not None
        cil_targets = cni.cilium_targets(index)
        first_wide = next((len(model.policies) + j for j, p in enumerate(cilium_policies) if not p.namespace),
                          first_wide)  # fmt: skip
        cil_selecting = _selecting(cilium_policies, cil_targets, n_groups, len(model.policies))
        del cil_targets
    node_ips = {n.ip for n in model.nodes.values() if n.ip}
    eks = EksEvaluator(index, _is_ipv6(model), node_ips)
    # Identities as small integers: one per distinct (namespace, identity-relevant labels); the namespace's own
    # labels are a function of its name. CIDR identities and the wildcard stay strings, never equal to an int.
    identity_of: list[int | str] = ["reserved:host"] * n_groups
    interned: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    label_key: dict[int, tuple[tuple[str, str], ...]] = {}  # by id of the (shared) labels dict
    for g in index.groups:
        if g.host_network:
            continue
        lk = label_key.get(id(g.labels))
        if lk is None:
            lk = label_key[id(g.labels)] = identity_labels(g.labels)
        identity_of[g.gid] = interned.setdefault((g.namespace, lk), len(interned))
    del label_key, interned
    has_ip = index.has_ip()  # groups with an endpoint
    # Caches of pure functions of a policy id or a policy set. Those of policies that select in one namespace
    # only (every NetworkPolicy) are emptied when the groups move on to the next namespace: pods come listed
    # by namespace, so they are not met again (and if they were, they would be computed again, equal).
    entries_cache: dict[tuple[int, str], list[Entry]] = {}
    eks_cache: dict[tuple[str, tuple[int, ...]], EksResult] = {}
    cil_cache: dict[tuple[str, tuple[int, ...]], int] = {}  # sets with a namespaced policy: one namespace's
    cil_wide: dict[tuple[str, tuple[int, ...]], int] = {}  # sets of clusterwide policies only
    rule_ids: dict[tuple[int, str, int], list[frozenset[Any]]] = {}
    wide_rule_ids: dict[tuple[int, str, int], list[frozenset[Any]]] = {}
    peer_ids: dict[int, frozenset[int | str]] = {}  # by id of the resolver's cached gids tuple

    def entries(pid: int, d: str) -> list[Entry]:
        key = (pid, d)
        got = entries_cache.get(key)
        if got is None:
            got = entries_cache[key] = resolver.entries(pid, d)
        return got

    def identities(namespace: str, peer: Peer) -> frozenset[int | str]:
        gids = resolver.peer_groups(namespace, peer)
        got = peer_ids.get(id(gids))
        if got is None:
            got = peer_ids[id(gids)] = frozenset(identity_of[g] for g in gids if has_ip[g])
        return got

    def ids_of_rule(pid: int, d: str, r: int, rule: Rule) -> list[frozenset[Any]]:
        key = (pid, d, r)
        cache = rule_ids if pid < first_wide else wide_rule_ids
        got = cache.get(key)
        if got is None:
            namespace = all_policies[pid].namespace
            got = []
            if rule.peers is None:
                got.append(frozenset({"*"}))
            else:
                for peer in rule.peers:
                    if peer.cidr is not None:
                        got.append(cidr_identities(peer.cidr, peer.excepts))
                    elif peer.entity is not None:  # Cilium entities: one reserved identity each
                        got.append(frozenset({"reserved:" + peer.entity}))
                    else:
                        got.append(identities(namespace, peer))
            cache[key] = got
        return got

    def cilium(d: str, pids: tuple[int, ...]) -> int:
        # Distinct (identity, port) pairs: per port, the union of the identity sets of the rules allowing it
        # (a single set is counted without copying it). Cached per direction and policy set.
        key = (d, pids)
        cache = cil_cache if pids[0] < first_wide else cil_wide  # one namespaced policy ties the set to one
        got = cache.get(key)
        if got is not None:
            return got
        by_port: dict[tuple[str, Any, int], list[frozenset[Any]]] = defaultdict(list)
        for pid in pids:
            for r, rule in enumerate(all_policies[pid].rules(d) or ()):
                sets = ids_of_rule(pid, d, r, rule)
                for port in _cilium_ports(rule.ports):
                    by_port[port].extend(sets)
        total = 0
        for sets in by_port.values():
            total += len(sets[0]) if len(sets) == 1 else len(frozenset().union(*sets))
        cache[key] = total
        return total

    cilium_all: list[int] | None = [0] * n_groups if cil_selecting is not None else None
    out: list[tuple[PodLoad, list[PodRecord]]] = []
    namespace: str | None = None
    for g in index.groups:
        if g.host_network:
            continue
        if g.namespace != namespace:
            namespace = g.namespace
            for cache in (entries_cache, eks_cache, cil_cache, rule_ids):
                cache.clear()
        per_dir: dict[str, tuple[tuple[int, ...], EksResult | None, int]] = {}
        for d in DIRECTIONS:
            pids = selecting[d][g.gid]  # in policy order already
            if not pids:
                per_dir[d] = (pids, None, 0)
                continue
            key = (d, pids)
            res = eks_cache.get(key)
            if res is None:
                res = eks_cache[key] = eks.evaluate([(pid, e) for pid in pids for e in entries(pid, d)])
            per_dir[d] = (pids, res, cilium(d, pids))
        if cilium_all is not None and cil_selecting is not None:  # the count over both kinds of policy
            for d in DIRECTIONS:
                pids = per_dir[d][0] + cil_selecting[d][g.gid]
                if pids:
                    cilium_all[g.gid] += cilium(d, pids)
        n_policies = len(set(per_dir["ingress"][0]) | set(per_dir["egress"][0]))
        results = [res for _, res, _ in per_dir.values() if res is not None and res.node_keys]
        # Pods whose node IP is none of the group's keys have one load; consecutive ones share a unit.
        base: PodLoad | None = None
        for pod in g.pods:
            if not pod.ip:
                continue
            node_ip = None
            if results:
                node_ip = model.nodes[pod.node].ip if pod.node in model.nodes else None
                if node_ip is not None and not any(node_ip in res.node_keys for res in results):
                    node_ip = None
            if node_ip is None:
                if base is None:
                    base = _pod_load(per_dir, None, n_policies, g.gid)
                elif out[-1][0] is base:
                    out[-1][1].append(pod)
                    continue
                out.append((base, [pod]))
            else:
                out.append((_pod_load(per_dir, node_ip, n_policies, g.gid), [pod]))
    shared = {"index": index, "targets": targets, "resolver": resolver, "identity_of": identity_of,
              "selecting": selecting, "cilium_all": cilium_all, "cil_selecting": cil_selecting,
              "all_policies": all_policies}  # fmt: skip
    return out, shared


def analyse(model: ClusterModel, top: int = TOP, cni: CniPolicies | None = None) -> dict[str, Any]:
    """The ``network_policies.dataplane`` section: distributions, per-target measures, busiest nodes and the
    top offenders (bounded by ``top``), never a per-pod table. Policies in ``cni`` add to the Cilium and the
    Calico figures (:func:`evaluator.dataplane.crds.analyse_with_cni` builds them from the objects)."""
    with _gc_paused():
        return _analyse(model, top, cni)


def _node_policies(pods_by_group_node: dict[str, list[int]], targets: list[list[int]],
                   rules_of: list[int]) -> tuple[dict[str, int], dict[str, int]]:  # fmt: skip
    """Per node: how many policies select any of its pods and their rules summed, one node at a time."""
    group_policies: dict[int, list[int]] = defaultdict(list)  # each target list names a group once
    for pid, gids in enumerate(targets):
        for gid in gids:
            group_policies[gid].append(pid)
    counts: dict[str, int] = {}
    rules: dict[str, int] = {}
    for node, gids in pods_by_group_node.items():
        on_node: set[int] = set()
        for gid in gids:
            on_node.update(group_policies.get(gid, ()))
        counts[node] = len(on_node)
        rules[node] = sum(rules_of[pid] for pid in on_node)
    return counts, rules


def _rules_of(policies: list[Policy]) -> list[int]:
    """Calico rules per policy: one per rule plus one per isolated direction (its default deny)."""
    return [len(p.ingress or ()) + len(p.egress or ()) + (p.ingress is not None) + (p.egress is not None)
            for p in policies]  # fmt: skip


def _analyse(model: ClusterModel, top: int, cni: CniPolicies | None) -> dict[str, Any]:
    units_list, shared = _loads(model, cni)
    index: PodIndex = shared["index"]
    targets: list[list[int]] = shared["targets"]
    selecting = shared["selecting"]
    identity_of: dict[int, int | str] = shared["identity_of"]
    policies = model.policies

    eks_max: list[int] = []
    eks_keys: list[int] = []
    cil: list[int] = []
    per_pod_policies: list[int] = []
    for load, pods in units_list:
        n = len(pods)
        eks_max.extend([load.eks_max] * n)
        eks_keys.extend([load.eks_keys] * n)
        cil.extend([load.cilium] * n)
        per_pod_policies.extend([load.policies] * n)
    selected = sum(1 for v in per_pod_policies if v)

    # Coverage: pods a policy selects that the EKS agent cannot enforce.
    uncovered: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for g in index.groups:
        if not (selecting["ingress"][g.gid] or selecting["egress"][g.gid]):
            continue
        for pod in g.pods:
            node = model.nodes.get(pod.node)
            reason = None
            if pod.host_network:
                reason = "host_network"
            elif pod.owner is None:
                reason = "no_owner_references"
            elif node is not None and node.fargate:
                reason = "fargate_node"
            elif node is not None and node.os == "windows":
                reason = "windows_node"
            if reason:
                uncovered[reason] += 1
                examples.setdefault(reason, f"{pod.namespace}/{pod.name}")

    # Per node.
    node_pods: Counter[str] = Counter()
    node_eks: Counter[str] = Counter()
    node_cil: Counter[str] = Counter()
    for load, pods in units_list:
        for pod in pods:
            node_pods[pod.node] += 1
            node_eks[pod.node] += load.eks_total
            node_cil[pod.node] += load.cilium
    pods_by_group_node: dict[str, list[int]] = defaultdict(list)  # a list per node: far smaller than a set
    for g in index.groups:
        for pod in g.pods:
            on_node = pods_by_group_node[pod.node]
            if not on_node or on_node[-1] != g.gid:
                on_node.append(g.gid)
    node_policy_count, node_rules = _node_policies(pods_by_group_node, targets, _rules_of(policies))
    node_names = sorted(set(model.nodes) | set(node_pods))
    node_rules = {n: node_rules.get(n, 0) for n in node_names}
    busiest = sorted(node_names, key=lambda n: (-node_eks[n], -node_cil[n], n))[:10]

    # Calico: the largest selector IP set and the per-node figures, with Calico's own policies when given.
    calico_policies = policies + cni.calico if cni is not None and cni.calico else policies
    ipset, ipset_peer = largest_ipset(calico_policies, shared["resolver"], index)
    calico_count, calico_rules = node_policy_count, node_rules
    if calico_policies is not policies:
        calico_targets = targets + [index.select(p.namespace, p.pod_selector) for p in calico_policies[len(policies) :]]
        calico_count, calico_rules = _node_policies(pods_by_group_node, calico_targets, _rules_of(calico_policies))
        calico_rules = {n: calico_rules.get(n, 0) for n in node_names}
    del pods_by_group_node

    identities = {identity_of[g.gid] for g in index.groups if not g.host_network and any(p.ip for p in g.pods)}
    endpoints = [sum(1 for p in g.pods if p.ip and not p.host_network) for g in index.groups]
    chunks = sum(max(1, math.ceil(sum(endpoints[g] for g in gids) / POLICY_ENDPOINT_CHUNK)) for gids in targets)

    workloads: dict[tuple[str | None, str | None, str], str] = {}

    def workload(pod: PodRecord) -> str:
        key = (pod.owner, pod.labels.get("pod-template-hash"), pod.name if pod.owner is None else "")
        got = workloads.get(key)
        if got is None:
            got = workloads[key] = pod.workload
        return got

    # Pods that share one load object (a label group without node-IP adjustments) are handled together.

    def offenders(metric: str) -> list[dict[str, Any]]:
        # Per workload, [value, pods at that value, its first pod, that pod's load]: rows are made for the top
        # ones only (a row per workload would be ~1 KiB each, tens of MiB on a large cluster).
        def value_of(unit: tuple[PodLoad, list[PodRecord]]) -> int:
            return unit[0].eks_max if metric == "eks" else unit[0].cilium

        floor = _top_floor(units_list, value_of, lambda pod: (pod.namespace, workload(pod)), top)
        best: dict[tuple[str, str], list[Any]] = {}
        for load, pods in units_list:
            value = load.eks_max if metric == "eks" else load.cilium
            if not value or value < floor:
                continue
            by_workload: dict[str, list[PodRecord]] = {}
            for pod in pods:
                by_workload.setdefault(workload(pod), []).append(pod)
            for name, members in by_workload.items():
                pod = members[0]
                key = (pod.namespace, name)
                row = best.get(key)
                if row is None or value > row[0]:
                    best[key] = [value, len(members), pod, load]
                elif value == row[0]:
                    row[1] += len(members)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
        rows = []
        for (namespace, name), (value, count, pod, load) in ranked:
            pol_ids = (
                load.eks_policies
                if metric == "eks"
                else frozenset(selecting["ingress"][load.gid] + selecting["egress"][load.gid])
            )
            rows.append({
                "namespace": namespace,
                "workload": name,
                "pod": pod.name,
                "node": pod.node,
                "value": value,
                "pods": count,
                **({"direction": load.eks_direction, "peer": load.eks_key} if metric == "eks" else {}),
                "policies": sorted(policies[i].ref for i in pol_ids)[:8],
                "policy_count": len(pol_ids),
            })  # fmt: skip
        return rows

    section = {
        "pods_analysed": len(eks_max),
        "pods_selected": selected,
        "policies_analysed": len(policies),
        "label_groups": len(index.groups),
        "named_ports": "resolved from container ports"
        if model.named_ports_known
        else "container ports not collected: each named port counted as one port",
        "policies_per_pod": _stats(per_pod_policies),
        "eks": {
            "entries_per_peer": _stats(eks_max),
            "peer_keys": _stats(eks_keys),
            "pods_over_entry_limit": sum(1 for v in eks_max if v > EKS_MAX_ENTRIES),
            "pods_over_key_limit": sum(1 for v in eks_keys if v > EKS_MAX_KEYS),
            "entry_limit": EKS_MAX_ENTRIES,
            "uncovered_pods": sum(uncovered.values()),
            "uncovered_by_reason": dict(sorted(uncovered.items())),
            "uncovered_examples": dict(sorted(examples.items())),
            "policy_endpoints_estimate": chunks,
            "histogram": histogram(eks_max),
            "top": offenders("eks"),
        },
        "cilium": {
            "policy_map_entries": _stats(cil),
            "pods_over_policy_map": sum(1 for v in cil if v > CILIUM_POLICY_MAP),
            "policy_map_limit": CILIUM_POLICY_MAP,
            "identities": len(identities),
            "histogram": histogram(cil),
            "top": offenders("cilium"),
        },
        "calico": {
            "max_ipset_members": ipset,
            "max_ipset_peer": ipset_peer,
            "policies_per_node": _stats([calico_count.get(n, 0) for n in node_names]),
            "rules_per_node": _stats(list(calico_rules.values())),
        },
        "nodes": {
            "eks_entries": _stats([node_eks[n] for n in node_names]),
            "cilium_entries": _stats([node_cil[n] for n in node_names]),
            "busiest": [
                {
                    "node": n,
                    "pods": node_pods[n],
                    "eks_entries": node_eks[n],
                    "cilium_entries": node_cil[n],
                    "policies": node_policy_count.get(n, 0),
                    "rules": node_rules[n],
                }
                for n in busiest
            ],  # fmt: skip
        },
    }
    if shared["cilium_all"] is not None:
        _add_cilium(section, model, units_list, shared, top)
    return section


def _top_floor(units: list[tuple[PodLoad, list[PodRecord]]], value_of: Callable[[Any], int],
               workload_of: Callable[[PodRecord], tuple[str, str]], top: int) -> int:  # fmt: skip
    """The least value a workload can have and still be among the ``top`` by value: walking the units from the
    highest value down, the value at which ``top`` distinct workloads have been seen (every workload ranked in
    the top has a unit at least that high). Workloads below it need no row at all."""
    seen: set[tuple[str, str]] = set()
    for unit in sorted(units, key=value_of, reverse=True):
        value = value_of(unit)
        if not value:
            break
        for pod in unit[1]:
            seen.add(workload_of(pod))
        if len(seen) >= top:
            return value
    return 0


def _add_cilium(
    section: dict[str, Any],
    model: ClusterModel,
    units_list: list[tuple[PodLoad, list[PodRecord]]],
    shared: dict[str, Any],
    top: int,
) -> None:
    """The ``cilium`` and ``nodes`` figures of ``section`` with Cilium's own policies added (the per-group
    counts ``_loads`` made over both kinds); the busiest nodes keep their order, from the NetworkPolicies."""
    cilium_all: list[int] = shared["cilium_all"]
    selecting, cil_selecting = shared["selecting"], shared["cil_selecting"]
    policies: list[Policy] = shared["all_policies"]
    values: list[int] = []
    node_cil: Counter[str] = Counter()
    best: dict[tuple[str, str], list[Any]] = {}  # per workload: [value, pods at it, first pod, its group]
    floor = _top_floor(units_list, lambda unit: cilium_all[unit[0].gid], lambda pod: (pod.namespace, pod.workload),
                       top)  # fmt: skip
    for load, pods in units_list:
        value = cilium_all[load.gid]
        values.extend([value] * len(pods))
        for pod in pods:
            node_cil[pod.node] += value
        if not value or value < floor:
            continue
        for pod in pods:
            key = (pod.namespace, pod.workload)
            row = best.get(key)
            if row is None or value > row[0]:
                best[key] = [value, 1, pod, load.gid]
            elif value == row[0]:
                row[1] += 1
    rows = []
    for (namespace, name), (value, count, pod, gid) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]:
        selected = {pid for sel in (selecting, cil_selecting) for d in DIRECTIONS for pid in sel[d][gid]}
        refs = sorted({f"{namespace}/{policies[i].name}" if not policies[i].namespace else policies[i].ref
                       for i in selected})  # fmt: skip
        rows.append({"namespace": namespace, "workload": name, "pod": pod.name, "node": pod.node, "value": value,
                     "pods": count, "policies": refs[:8], "policy_count": len(selected)})  # fmt: skip
    section["cilium"].update({
        "policy_map_entries": _stats(values),
        "pods_over_policy_map": sum(1 for v in values if v > CILIUM_POLICY_MAP),
        "histogram": histogram(values),
        "top": rows,
    })  # fmt: skip
    nodes = section["nodes"]
    names = sorted(set(model.nodes) | set(node_cil))
    nodes["cilium_entries"] = _stats([node_cil[n] for n in names])
    nodes["busiest"] = [dict(row, cilium_entries=node_cil[row["node"]]) for row in nodes["busiest"]]


__all__ = ["EKS_MAX_ENTRIES", "CILIUM_POLICY_MAP", "CniPolicies", "Group", "PodLoad", "analyse", "pod_loads",
           "identity_labels"]  # fmt: skip


def largest_ipset(policies: list[Policy], resolver: Resolver, index: PodIndex) -> tuple[int, str]:
    """Calico's largest selector IP set: the most pod IPs one peer selector matches, and the policy and direction
    holding it (``""`` when no peer is a selector)."""
    ips_of = [sum(1 for p in g.pods if p.ip) for g in index.groups]
    sizes: dict[int, int] = {}  # by the resolver's cached gids tuple
    ipset, ipset_peer = 0, ""
    for policy in policies:
        for d in DIRECTIONS:
            for rule in policy.rules(d) or ():
                for peer in rule.peers or ():
                    if peer.cidr is None:
                        gids = resolver.peer_groups(policy.namespace, peer)
                        size = sizes.get(id(gids))
                        if size is None:
                            size = sizes[id(gids)] = sum(ips_of[g] for g in gids)
                        if size > ipset:
                            ipset, ipset_peer = size, f"{policy.ref} ({d})"
    return ipset, ipset_peer
