"""The kube collector on kubeadm's static control-plane Pods as recorded from a real cluster (minikube, which
bootstraps with kubeadm; kubescape/regolibrary keeps them as rule-test inputs, see tests/fixtures/real/SOURCES.md):
the parsers on the manifests, and ``collect kube`` against the replay serving them in kube-system."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from evaluator.collectors.kube import collect_kube
from evaluator.collectors.kube_parse import component_of, image_tag, parse_flags, pod_argv
from tests.replay_support import replaying
from tests.test_contract_replay import _json, _kubeconfig, answer
from tests.test_contract_snapshot_gaps import unexplained_nulls

REAL = Path(__file__).parent / "fixtures" / "real" / "kubeadm"
GIB = 1024**3


def manifest(name: str) -> dict[str, Any]:
    return yaml.safe_load((REAL / f"{name}.yaml").read_text())


def test_apiserver_flags_from_the_recorded_manifest() -> None:
    """Flags written both as quoted scalars and as folded ``>-`` blocks (the YAML of the recording) read alike."""
    pod = manifest("kube-apiserver")
    assert component_of(pod) == "kube-apiserver"
    flags = parse_flags(pod_argv(pod, "kube-apiserver"))
    assert flags["etcd-servers"] == "https://127.0.0.1:2379"
    assert flags["service-cluster-ip-range"] == "10.96.0.0/12"
    assert flags["kubelet-client-certificate"] == "/var/lib/minikube/certs/apiserver-kubelet-client.crt"  # folded
    assert flags["enable-admission-plugins"].split(",")[0] == "NamespaceLifecycle"
    assert len(flags) == 27 and "max-requests-inflight" not in flags  # kubeadm leaves the default (400)
    assert image_tag(pod["spec"]["containers"][0]["image"]) == "1.24.1"


def test_etcd_flags_from_the_recorded_manifest() -> None:
    """The label names the component even where the name says otherwise (the recording's etcd Pod is named
    kube-apiserver-minikube); kubeadm sets no --quota-backend-bytes."""
    pod = manifest("etcd")
    assert pod["metadata"]["name"] == "kube-apiserver-minikube" and component_of(pod) == "etcd"
    flags = parse_flags(pod_argv(pod, "etcd"))
    assert flags["listen-client-urls"] == "https://127.0.0.1:2379,https://192.168.49.2:2379"
    assert "quota-backend-bytes" not in flags
    assert image_tag(pod["spec"]["containers"][0]["image"]) == "3.5.1-0"


def replay_kubeadm(method: str, path: str, query: dict, headers: dict, body: bytes):
    """The replay of test_contract_replay with the 1.23 scrape, a 1.24 /version (the apiserver image's) and the
    two recorded control-plane Pods in kube-system, for the label selector a kubeadm cluster answers."""
    if path == "/version":
        return _json(200, {"major": "1", "minor": "24", "gitVersion": "v1.24.1", "platform": "linux/amd64"})
    if path == "/api/v1/namespaces/kube-system/pods" and "component" in query.get("labelSelector", ""):
        items = [manifest("kube-apiserver"), manifest("etcd")]  # served as JSON, as mirror Pods are
        return _json(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items})
    return answer(method, path, query, headers, body, metrics="1.23")


def test_collect_kube_reads_the_recorded_static_pods(tmp_path: Path) -> None:
    with replaying(replay_kubeadm) as server:
        snap = collect_kube(str(_kubeconfig(tmp_path / "kubeconfig", server.url)))
    cp = snap.control_plane
    assert cp.apiserver_flags["etcd-servers"] == "https://127.0.0.1:2379"
    assert cp.admission_plugins[:2] == ["NamespaceLifecycle", "LimitRanger"] and len(cp.admission_plugins) == 9
    assert cp.etcd_flags["data-dir"] == "/var/lib/minikube/etcd" and cp.apiserver_count == 1
    assert snap.networking.service_cidrs == ["10.96.0.0/12"]
    assert snap.cluster.platform == "self-hosted" and snap.cluster.version == "1.24.1"
    etcd = snap.etcd
    # no --quota-backend-bytes in the etcd Pod: etcd's 2 GiB default, recorded as derived with its basis
    assert etcd.quota_backend_bytes == 2 * GIB and (etcd.quota_basis or "").startswith("derived:")
    assert etcd.version == "3.5.1"
    # the 1.23 scrape's one etcd_db_total_size_in_bytes series is the --etcd-servers endpoint of the recorded Pod
    assert etcd.db_size_bytes == 4087808
    assert etcd.db_size_basis == "largest series of the --etcd-servers endpoints"
    assert unexplained_nulls(snap) == []
    assert json.dumps(snap.to_dict())  # the snapshot serialises
