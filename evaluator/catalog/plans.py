"""Target plans: how a target would really be run (EKS compute, GKE dataplane, release channel), with defaults.

A catalog limit that depends on the plan names it with ``applies_when`` (see :mod:`evaluator.catalog.model`);
a policy file chooses the plan per target (``plans:``) and every key it leaves out takes the default below.
The report shows the plan each target was scored on.

Why these defaults:

* EKS ``compute: managed-node-groups`` -- managed node groups on the EKS AMI, the node type the 110/250 maxPods
  cap and the 450-nodes-per-group quota are written for (and what the catalog assumed before plans existed).
  ``karpenter`` and ``self-managed`` follow the VPC CNI ENI formula; ``auto-mode`` caps pods per node at 110.
* EKS ``load_balancers: aws-load-balancer-controller`` -- without it Kubernetes uses the legacy cloud provider,
  which creates Classic Load Balancers (quota 20 per Region instead of 50 NLBs).
* EKS ``control_plane: standard`` -- Provisioned Control Plane tiers (XL/2XL/4XL) are opt-in and priced extra.
* GKE ``dataplane: v2`` -- Dataplane V2 is on by default for new Autopilot clusters and offered on Standard
  (limits.md 4.5), and GKE publishes its limits for it (260,000 Service endpoints, 7,500 nodes, 200,000 pods);
  set ``legacy`` for a Standard cluster on the Calico/iptables dataplane.
* GKE ``channel: regular`` -- the default release channel. Extended support exists only on ``extended``.
* GKE ``ingress: neg`` -- container-native (NEG) Ingress, the default since GKE 1.17; ``instance-group``
  limits a zone to 1,000 nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .model import Catalog

# target -> plan key -> (allowed values, default)
PLAN_OPTIONS: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "self-hosted": {},
    "eks": {
        "compute": (("managed-node-groups", "karpenter", "auto-mode", "self-managed"), "managed-node-groups"),
        "load_balancers": (("aws-load-balancer-controller", "in-tree"), "aws-load-balancer-controller"),
        "control_plane": (("standard", "provisioned-xl", "provisioned-2xl", "provisioned-4xl"), "standard"),
    },
    "gke": {
        "dataplane": (("v2", "legacy"), "v2"),
        "channel": (("rapid", "regular", "stable", "extended"), "regular"),
        "ingress": (("neg", "instance-group"), "neg"),
    },
    "gke-autopilot": {
        "channel": (("rapid", "regular", "stable", "extended"), "regular"),
    },
}


def default_plan(target: str) -> dict[str, str]:
    """The documented default plan of a target (empty for self-hosted)."""
    return {key: default for key, (_, default) in PLAN_OPTIONS.get(target, {}).items()}


def resolve_plans(chosen: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """Every target's plan: the defaults, with the keys ``chosen`` sets (already validated) on top."""
    out = {}
    for target in PLAN_OPTIONS:
        plan = default_plan(target)
        plan.update((chosen or {}).get(target, {}))
        out[target] = plan
    return out


def plan_problem(target: str, key: str, value: object) -> str | None:
    """Why ``key: value`` is not a valid plan setting for ``target``, or None when it is."""
    options = PLAN_OPTIONS.get(target)
    if options is None:
        return f"unknown target {target!r}"
    if key not in options:
        known = ", ".join(options) or "none"
        return f"{target} has no plan setting {key!r} (settings: {known})"
    allowed = options[key][0]
    if value not in allowed:
        return f"expected one of {', '.join(allowed)}, got {value!r}"
    return None


def plan_words(target: str, plan: Mapping[str, str]) -> str:
    """The plan in words for the report: ``compute managed-node-groups, load_balancers ...``."""
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in plan.items())


def catalog_for_plans(catalog: Catalog, plans: Mapping[str, Mapping[str, str]]) -> Catalog:
    """A copy of ``catalog`` where every target's limit is the one its plan selects (no plan limits left)."""
    if not any(c.plan_limits for c in catalog.constraints):
        return catalog
    out = []
    for constraint in catalog.constraints:
        if not constraint.plan_limits:
            out.append(constraint)
            continue
        limits = {}
        for target, default in constraint.limits.items():
            chosen = constraint.limit_for(target, dict(plans.get(target, {})))
            limits[target] = chosen if chosen is not None else default
        out.append(replace(constraint, limits=limits, plan_limits={}))
    return Catalog(version=catalog.version, constraints=out)
