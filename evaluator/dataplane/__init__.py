"""NetworkPolicy dataplane analysis: which policies select each pod, the per-pod and per-node load each
dataplane (EKS VPC CNI agent, Cilium / GKE Dataplane V2, Calico) must program, and rollout what-ifs.

Pure data in (:class:`~evaluator.dataplane.model.ClusterModel`), plain dicts out; no SDK objects.
"""

from .analysis import CILIUM_POLICY_MAP, EKS_MAX_ENTRIES, analyse, pod_loads
from .model import ClusterModel, NodeRecord, PodRecord, Policy, parse_policy

__all__ = [
    "CILIUM_POLICY_MAP",
    "EKS_MAX_ENTRIES",
    "ClusterModel",
    "NodeRecord",
    "PodRecord",
    "Policy",
    "analyse",
    "parse_policy",
    "pod_loads",
]
