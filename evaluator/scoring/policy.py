"""User policy files: thresholds, limit overrides and exclusions applied to a copy of the catalog when scoring.

A policy never edits the catalog: :meth:`Policy.apply` returns a new :class:`Catalog`. Example file::

    schema: k8seval/policy/v1          # optional
    targets: [self-hosted, eks]        # optional: which targets to score, in display order (CLI --target wins)
    focus: [eks, gke]                  # optional: targets whose findings lead "Act first" (default: all scored)
    plans:                             # optional: how each target would be run (evaluator.catalog.plans)
      eks: {compute: karpenter, load_balancers: aws-load-balancer-controller}
      gke: {dataplane: v2, channel: extended}
    exclude:
      constraints: [crds_per_cluster]  # catalog ids left out
      clusters: ["dev-*", sandbox]     # cluster names or shell-style globs
    constraints:
      etcd_db_size:
        watch: 0.6                     # fractions of the limit (default from the catalog)
        at_risk: 0.8
        limits:
          self-hosted:
            value: 8589934592          # our etcd runs with --quota-backend-bytes=8GiB
            reason: etcd quota raised to 8 GiB in change CHG-1234
            kind: hard                 # optional; default: the catalog's kind (recommended if it had no number)

A limit override is recorded in each affected finding's message as ``policy: <reason>``.
"""

from __future__ import annotations

import fnmatch
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..catalog.model import NUMERIC_KINDS, Catalog, Constraint, Limit
from ..catalog.plans import plan_problem, resolve_plans
from ..errors import CatalogError
from ..fileio import load_yaml
from ..findings import TARGETS

POLICY_SCHEMA = "k8seval/policy/v1"
_TOP_KEYS = {"schema", "targets", "exclude", "constraints", "description", "plans", "focus"}
_EXCLUDE_KEYS = {"constraints", "clusters"}
_CONSTRAINT_KEYS = {"watch", "at_risk", "limits"}
_LIMIT_KEYS = {"value", "reason", "kind"}


@dataclass(frozen=True)
class LimitOverride:
    """A different limit for one constraint on one target, and why."""

    value: float
    reason: str
    kind: str | None = None  # None keeps the catalog's kind (or "recommended" when it had no number)


@dataclass(frozen=True)
class ConstraintPolicy:
    """Threshold fractions and limit overrides for one constraint."""

    watch: float | None = None
    at_risk: float | None = None
    limits: dict[str, LimitOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """A loaded policy; the empty policy changes nothing."""

    source: str = "<no policy>"
    targets: list[str] = field(default_factory=list)
    exclude_constraints: list[str] = field(default_factory=list)
    exclude_clusters: list[str] = field(default_factory=list)
    constraints: dict[str, ConstraintPolicy] = field(default_factory=dict)
    plans: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> plan settings chosen
    focus: list[str] = field(default_factory=list)  # targets shown first; empty = every scored target

    def target_plans(self) -> dict[str, dict[str, str]]:
        """Every target's plan: the documented defaults with this policy's choices on top."""
        return resolve_plans(self.plans)

    def excludes_cluster(self, name: str) -> bool:
        """True when a cluster name matches one of the excluded names or globs."""
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.exclude_clusters)

    def check_ids(self, catalog: Catalog) -> None:
        """Raise :class:`CatalogError` when the policy names a constraint the catalog does not have."""
        ids = set(catalog.ids)
        for i, cid in enumerate(self.exclude_constraints):
            if cid not in ids:
                raise CatalogError(f"{self.source}: exclude.constraints[{i}]: no constraint {cid!r} in the catalog")
        for cid in self.constraints:
            if cid not in ids:
                raise CatalogError(f"{self.source}: constraints.{cid}: no constraint {cid!r} in the catalog")

    def apply(self, catalog: Catalog) -> Catalog:
        """A new catalog with exclusions, thresholds and limit overrides applied; ``catalog`` is not changed."""
        if not (self.exclude_constraints or self.constraints):
            return catalog
        self.check_ids(catalog)
        out: list[Constraint] = []
        for constraint in catalog.constraints:
            if constraint.id in self.exclude_constraints:
                continue
            rule = self.constraints.get(constraint.id)
            if rule is None:
                out.append(constraint)
                continue
            watch = rule.watch if rule.watch is not None else constraint.watch
            at_risk = rule.at_risk if rule.at_risk is not None else constraint.at_risk
            if watch > at_risk:
                raise CatalogError(
                    f"{self.source}: constraints.{constraint.id}: watch ({watch}) must not be above at_risk ({at_risk})"
                )
            limits = dict(constraint.limits)
            for target, override in rule.limits.items():
                old = limits.get(target)
                kind = override.kind or (old.kind if old and old.kind in NUMERIC_KINDS else "recommended")
                base = old or Limit(kind=kind, source="", verified="")
                limits[target] = replace(
                    base,
                    kind=kind,
                    value=override.value,
                    exceeded=base.exceeded if base.kind == kind else None,
                    note=f"policy: {override.reason}",
                )
            out.append(replace(constraint, watch=watch, at_risk=at_risk, limits=limits))
        return Catalog(version=catalog.version, constraints=out)

    def notes_by_constraint(self) -> dict[tuple[str, str], str]:
        """(constraint id, target) -> the sentence a finding carries for a policy override."""
        notes: dict[tuple[str, str], str] = {}
        for cid, rule in self.constraints.items():
            thresholds = ""
            if rule.watch is not None or rule.at_risk is not None:
                parts = []
                if rule.watch is not None:
                    parts.append(f"watch at {rule.watch:.0%}")
                if rule.at_risk is not None:
                    parts.append(f"at-risk at {rule.at_risk:.0%}")
                thresholds = "policy: " + ", ".join(parts)
            for target in TARGETS:
                override = rule.limits.get(target)
                text = [thresholds] if thresholds else []
                if override is not None:
                    text.append(f"policy: {override.reason}")
                if text:
                    notes[(cid, target)] = "; ".join(text)
        return notes


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"{where}: expected a number between 0 and 1, got {value!r}")
    if not 0 < float(value) <= 1:
        raise CatalogError(f"{where}: expected a number above 0 and at most 1, got {value!r}")
    return float(value)


def _names(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError(f"{where}: expected a list of names")
    return list(value)


def _unknown_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise CatalogError(f"{where}: unknown field {extra[0]!r} (expected one of {', '.join(sorted(allowed))})")


def policy_from_data(data: Any, *, where: str = "<policy>") -> Policy:
    """Validate plain data (parsed YAML) into a :class:`Policy`; errors name ``where`` and the field."""
    if data is None:
        return Policy(source=where)
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: (top level): expected a mapping")
    _unknown_keys(data, _TOP_KEYS, f"{where}: (top level)")
    schema = data.get("schema", POLICY_SCHEMA)
    if schema != POLICY_SCHEMA:
        raise CatalogError(f"{where}: schema: expected {POLICY_SCHEMA!r}, got {schema!r}")
    targets = _names(data.get("targets"), f"{where}: targets")
    for i, t in enumerate(targets):
        if t not in TARGETS:
            raise CatalogError(f"{where}: targets[{i}]: unknown target {t!r} (expected one of {', '.join(TARGETS)})")
    focus = _names(data.get("focus"), f"{where}: focus")
    for i, t in enumerate(focus):
        if t not in TARGETS:
            raise CatalogError(f"{where}: focus[{i}]: unknown target {t!r} (expected one of {', '.join(TARGETS)})")
    plans = _plans(data.get("plans"), where)
    exclude = data.get("exclude") or {}
    if not isinstance(exclude, dict):
        raise CatalogError(f"{where}: exclude: expected a mapping with constraints and/or clusters")
    _unknown_keys(exclude, _EXCLUDE_KEYS, f"{where}: exclude")
    rules: dict[str, ConstraintPolicy] = {}
    constraints = data.get("constraints") or {}
    if not isinstance(constraints, dict):
        raise CatalogError(f"{where}: constraints: expected a mapping of constraint id to settings")
    for cid, body in constraints.items():
        path = f"{where}: constraints.{cid}"
        if not isinstance(body, dict):
            raise CatalogError(f"{path}: expected a mapping with watch, at_risk and/or limits")
        _unknown_keys(body, _CONSTRAINT_KEYS, path)
        watch = _fraction(body["watch"], f"{path}.watch") if "watch" in body else None
        at_risk = _fraction(body["at_risk"], f"{path}.at_risk") if "at_risk" in body else None
        if watch is not None and at_risk is not None and watch > at_risk:
            raise CatalogError(f"{path}: watch ({watch}) must not be above at_risk ({at_risk})")
        limits: dict[str, LimitOverride] = {}
        raw_limits = body.get("limits") or {}
        if not isinstance(raw_limits, dict):
            raise CatalogError(f"{path}.limits: expected a mapping of target to value and reason")
        for target, spec in raw_limits.items():
            lpath = f"{path}.limits.{target}"
            if target not in TARGETS:
                raise CatalogError(f"{lpath}: unknown target {target!r} (expected one of {', '.join(TARGETS)})")
            if not isinstance(spec, dict):
                raise CatalogError(f"{lpath}: expected a mapping with value and reason")
            _unknown_keys(spec, _LIMIT_KEYS, lpath)
            value = spec.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise CatalogError(f"{lpath}.value: expected a number >= 0, got {value!r}")
            reason = spec.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise CatalogError(f"{lpath}.reason: required: say why this limit differs from the catalog")
            kind = spec.get("kind")
            if kind is not None and kind not in NUMERIC_KINDS:
                raise CatalogError(f"{lpath}.kind: expected one of {', '.join(NUMERIC_KINDS)}, got {kind!r}")
            limits[str(target)] = LimitOverride(float(value), reason.strip(), kind)
        rules[str(cid)] = ConstraintPolicy(watch, at_risk, limits)
    return Policy(
        source=where,
        targets=targets,
        exclude_constraints=_names(exclude.get("constraints"), f"{where}: exclude.constraints"),
        exclude_clusters=_names(exclude.get("clusters"), f"{where}: exclude.clusters"),
        constraints=rules,
        plans=plans,
        focus=focus,
    )


def _plans(data: Any, where: str) -> dict[str, dict[str, str]]:
    """The ``plans:`` section: target -> {setting: value}, each checked against the documented options."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: plans: expected a mapping of target to plan settings")
    out: dict[str, dict[str, str]] = {}
    for target, settings in data.items():
        path = f"{where}: plans.{target}"
        if target not in TARGETS:
            raise CatalogError(f"{path}: unknown target {target!r} (expected one of {', '.join(TARGETS)})")
        if not isinstance(settings, dict):
            raise CatalogError(f"{path}: expected a mapping of setting to value")
        for key, value in settings.items():
            problem = plan_problem(str(target), str(key), value)
            if problem:
                raise CatalogError(f"{path}.{key}: {problem}")
        out[str(target)] = {str(k): str(v) for k, v in settings.items()}
    return out


def load_policy(path: str | os.PathLike[str], catalog: Catalog | None = None) -> Policy:
    """Read and validate a policy YAML file; with ``catalog``, also check that every constraint id exists."""
    policy = policy_from_data(load_yaml(path, error=CatalogError), where=str(Path(path)))
    if catalog is not None:
        policy.check_ids(catalog)
    return policy
