"""Collectors: the only code that talks to clusters and clouds (Kubernetes API, etcd, EKS, GKE).

Each returns a :class:`~evaluator.inventory.Snapshot` (facts measured, gaps for what was not); nothing
from an SDK leaves this package. Collectors never import scoring/, reporting/, procurement/ or audit/.
"""
