"""Collectors: the only code that talks to clusters and clouds (Kubernetes API, etcd, EKS, GKE)."""
