"""Node tallies on node labels recorded from a real EKS managed node group and a real GKE Standard node pool
(``kubectl get node -o jsonpath={.metadata.labels}`` outputs kept in public docs, see tests/fixtures/real/SOURCES.md).
The recordings hold labels only; each test wraps them in a Node object with nothing else set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluator.collectors.kube import _platform
from evaluator.collectors.kube_parse import NodeTally

REAL = Path(__file__).parent / "fixtures" / "real" / "nodes"


def labelled_node(recording: str) -> dict[str, Any]:
    labels = json.loads((REAL / recording).read_text())
    return {"kind": "Node", "metadata": {"name": labels["kubernetes.io/hostname"], "labels": labels}}


def test_eks_managed_node_group_labels() -> None:
    """aws-samples/eks-workshop-v2: an m5.large node of the managed node group "default" (created by eksctl, so
    alpha.eksctl.io labels sit beside eks.amazonaws.com ones, and a user label beside both)."""
    tally = NodeTally()
    tally.add({"items": [labelled_node("eks_node_labels.json")]})
    assert dict(tally.by_pool) == {"default": 1}
    assert dict(tally.by_type) == {"m5.large": 1}
    assert dict(tally.by_zone) == {"us-west-2a": 1} and dict(tally.by_pool_zone) == {"default/us-west-2a": 1}
    assert dict(tally.by_region) == {"us-west-2": 1}
    assert (dict(tally.by_os), dict(tally.by_arch)) == ({"linux": 1}, {"amd64": 1})
    assert tally.eks_labels == 1 and tally.gke_labels == 0 and tally.control_plane == 0
    assert tally.fargate == set() and tally.allocatable == []  # no status in the recording
    # an EKS version string of the same workshop (troubleshooting/workernodes/three.md, kubectl get nodes):
    # EKS, in the nodes' region
    assert _platform("v1.30.8-eks-aeac579", tally, static_pods=False) == ("eks", "aws", "us-west-2")
    # without /version the managed node group's labels still say EKS; a control plane in the cluster says not
    assert _platform(None, tally, static_pods=False) == ("eks", "aws", "us-west-2")
    assert _platform(None, tally, static_pods=True)[0] == "unknown"


def test_gke_standard_node_pool_labels() -> None:
    """k8ssandra/cass-operator docs: a GKE 1.18 e2-medium node of default-pool, named gke-<cluster>-<pool>-..."""
    nodes = [labelled_node("gke_node_labels.json")]
    tally = NodeTally()
    tally.add({"items": nodes})
    assert dict(tally.by_pool) == {"default-pool": 1}
    assert dict(tally.by_type) == {"e2-medium": 1}
    assert dict(tally.by_zone) == {"us-central1-a": 1} and dict(tally.by_region) == {"us-central1": 1}
    assert tally.gke_labels == 1 and tally.eks_labels == 0 and tally.autopilot_names == 0
    # the kubelet VERSION column of the same recording: v1.18.12-gke.1210; a Standard node name, not gk3-
    assert _platform("v1.18.12-gke.1210", tally, static_pods=False) == ("gke", "gcp", "us-central1")
    assert _platform(None, tally, static_pods=False) == ("gke", "gcp", "us-central1")
    # one unlabelled node among them: not every node is a GKE one, so no claim
    tally.add({"items": [{"kind": "Node", "metadata": {"name": "edge-1", "labels": {}}}]})
    assert _platform(None, tally, static_pods=False)[0] == "unknown"
