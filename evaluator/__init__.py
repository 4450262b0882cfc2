"""k8seval: measure Kubernetes clusters against the documented limits of self-hosting, EKS and GKE."""

__version__ = "0.1.0"
