"""Helpers for the in-cluster tests: what the kubelet mounts for a pod's service account."""

from __future__ import annotations

from pathlib import Path

TOKEN = "eyJhbGciOiJSUzI1NiJ9.k8seval-collector.sig"  # what a projected service-account token looks like


def service_account_dir(folder: Path, ca: Path, token: str = TOKEN) -> Path:
    """What the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount: token, ca.crt, namespace."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token").write_text(token)
    (folder / "ca.crt").write_bytes(ca.read_bytes())
    (folder / "namespace").write_text("k8seval")
    return folder
