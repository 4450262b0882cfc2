"""The whole ``collect kube`` against a loopback server that replays recorded responses at their real paths, with
the content negotiation a real apiserver does (aggregated discovery, Table, PartialObjectMetadataList).

What is served, and from where (tests/fixtures/real/SOURCES.md): ``/apis`` is Kubernetes' own aggregated
discovery document, ``/api`` and ``/api/v1`` its legacy ones (no aggregated ``/api`` is published, so this
server answers ``/api`` as a server without aggregated core discovery does); ``/metrics`` is the 1.36 scrape;
DaemonSets are the aws-node, azure-cns and kindnet manifests; pods are the printer-rule Table of
test_contract_kube_parse. ``/version`` is written here (v1.36.0, the scrape's version). Everything else is an
empty list, a 404 Status, or an empty PartialObjectMetadataList, as a real apiserver answers for an empty
collection.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import load_snapshot
from tests.replay_support import replaying
from tests.test_contract_kube_parse import PRINTED_PODS
from tests.test_contract_snapshot_gaps import unexplained_nulls

REAL = Path(__file__).parent / "fixtures" / "real"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
POML = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
VERSION = {
    "major": "1",
    "minor": "36",
    "gitVersion": "v1.36.0",
    "gitTreeState": "clean",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def _json(status: int, body: Any, content_type: str = "application/json") -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": content_type, "Cache-Control": "no-cache, private"}, json.dumps(body).encode()


def _not_found(path: str) -> tuple[int, dict[str, str], bytes]:
    return _json(
        404,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"the server could not find the requested resource ({path})",
            "reason": "NotFound",
            "details": {},
            "code": 404,
        },
    )


def daemonsets() -> list[dict[str, Any]]:
    return [
        yaml.safe_load((REAL / "daemonsets" / f"{n}.yaml").read_text()) for n in ("aws-node", "azure-cns", "kindnet")
    ]


def recorded_metrics() -> dict[str, int]:
    text = (REAL / "metrics" / "apiserver_1.36_storage.txt").read_text()
    return {m[0]: int(m[1]) for m in re.findall(r'^apiserver_storage_objects\{resource="([^"]+)"\} (\d+)$', text, re.M)}


def listable(doc: dict[str, Any], legacy: dict[str, Any]) -> dict[str, str]:
    """key -> list path of every listable resource, first version first (what the recordings serve)."""
    out: dict[str, str] = {}
    for res in legacy["resources"]:
        if "/" not in res["name"] and "list" in res["verbs"]:
            out.setdefault(res["name"], f"/api/v1/{res['name']}")
    for group in doc["items"]:
        name = group["metadata"]["name"]
        for version in group["versions"]:
            for res in version["resources"]:
                if "list" in res["verbs"]:
                    out.setdefault(f"{res['resource']}.{name}", f"/apis/{name}/{version['version']}/{res['resource']}")
    return out


def answer(method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes, metrics: str = "1.36"):
    accept = headers.get("accept", "")
    if path == "/version":
        return _json(200, VERSION)
    if path == "/api":
        return _json(200, json.loads((REAL / "discovery" / "api.json").read_text()))
    if path == "/api/v1":
        return _json(200, json.loads((REAL / "discovery" / "api__v1.json").read_text()))
    if path == "/apis":
        if "as=APIGroupDiscoveryList" in accept:
            doc = json.loads((REAL / "discovery" / "aggregated_v2_apis.json").read_text())
            return _json(200, doc, AGGREGATED)
        return _json(406, {"kind": "Status", "code": 406, "message": "only aggregated discovery is recorded"})
    if path == "/metrics":
        data = (REAL / "metrics" / f"apiserver_{metrics}_storage.txt").read_bytes()
        return 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}, data
    if path == "/api/v1/pods" and "as=Table" in accept:
        return _json(200, PRINTED_PODS, TABLE)
    if path == "/apis/apps/v1/daemonsets" and "as=PartialObjectMetadataList" not in accept:
        return _json(200, {"kind": "DaemonSetList", "apiVersion": "apps/v1", "metadata": {}, "items": daemonsets()})
    if path.startswith("/api/v1/namespaces/"):
        if path == "/api/v1/namespaces/kube-system/pods":
            if "as=Table" in accept:
                return _json(200, {**PRINTED_PODS, "rows": []}, TABLE)
            return _json(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": []})
        return _not_found(path)
    if path.startswith(("/api/v1/", "/apis/")) and path.count("/") in (3, 4):
        if "as=PartialObjectMetadataList" in accept:
            return _json(
                200,
                {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "items": []},
                POML,
            )
        return _json(200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
    return _not_found(path)


def _kubeconfig(path: Path, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "replay", "cluster": {"server": url}}],
                "users": [{"name": "reader", "user": {"token": "replay"}}],
                "contexts": [{"name": "replay", "context": {"cluster": "replay", "user": "reader"}}],
                "current-context": "replay",
            }
        )
    )
    return path


def test_metrics_not_yet_computed_are_not_trusted(tmp_path: Path) -> None:
    """The 1.30 scrape taken before the apiserver's first count (0 namespaces): every count comes from lists."""
    from evaluator.collectors.kube import collect_kube

    def replay_1_30(method: str, path: str, query: dict, headers: dict, body: bytes):
        return answer(method, path, query, headers, body, metrics="1.30")

    with replaying(replay_1_30) as server:
        snap = collect_kube(str(_kubeconfig(tmp_path / "kubeconfig", server.url)))
    assert "metrics" not in set(snap.collection.count_methods.values())
    assert snap.objects["horizontalpodautoscalers.autoscaling"] == 0  # the (empty) list, not the metric's 1
    assert snap.etcd.db_size_bytes == 1212416


def test_collect_kube_against_the_replay(tmp_path: Path) -> None:
    with replaying(answer) as server:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "replay", "cluster": {"server": server.url}}],
                    "users": [{"name": "reader", "user": {"token": "replay"}}],
                    "contexts": [{"name": "replay", "context": {"cluster": "replay", "user": "reader"}}],
                    "current-context": "replay",
                }
            )
        )
        out = tmp_path / "snap.json"
        result = CliRunner().invoke(
            cli, ["collect", "kube", "--kubeconfig", str(kubeconfig), "-o", str(out)], catch_exceptions=False
        )
        seen = list(server.requests)
    assert result.exit_code == 0, result.output
    snap = load_snapshot(out)

    aggregated = json.loads((REAL / "discovery" / "aggregated_v2_apis.json").read_text())
    legacy = json.loads((REAL / "discovery" / "api__v1.json").read_text())
    resources = listable(aggregated, legacy)
    metrics = recorded_metrics()
    listed = {"pods": 14, "daemonsets.apps": 3}  # the two collections the replay serves objects for
    full_lists = {"nodes", "services", "networkpolicies.networking.k8s.io", "endpointslices.discovery.k8s.io",
                  "mutatingwebhookconfigurations.admissionregistration.k8s.io",
                  "validatingwebhookconfigurations.admissionregistration.k8s.io"}  # fmt: skip
    expected = {}
    for key in resources:
        if key in ("events.events.k8s.io", "componentstatuses"):
            continue  # the same Event storage as core events; not stored
        if key in listed:
            expected[key] = listed[key]
        elif key in full_lists:
            expected[key] = 0  # listed in full, and the replay's lists are empty
        elif key in metrics:
            expected[key] = metrics[key]
        else:
            expected[key] = 0  # counted with limit=1 metadata-only lists, empty here
    assert snap.objects == expected
    assert snap.objects["servicecidrs.networking.k8s.io"] == 1 and snap.objects["events"] == 130

    assert snap.cluster.version == "1.36.0" and snap.cluster.platform == "self-hosted"
    assert snap.etcd.db_size_bytes == 2224128 and snap.etcd.db_size_basis == 'storage_cluster_id="etcd-0"'
    assert (snap.networking.cni, snap.networking.cni_version) == ("aws-vpc-cni", "1.23.1")
    assert snap.networking.cni_addons == {"aws-network-policy-agent": "1.4.2"}
    assert snap.containers == 8 and snap.nodes.pods_per_node.max == 3  # live pods only, per the row conditions
    assert unexplained_nulls(snap) == []

    # negotiation as a real client does it: aggregated /apis, a Table for pods, metadata-only counts
    accepts = {(r.path, r.headers.get("accept", "").split(",")[0]) for r in seen}
    assert ("/apis", AGGREGATED) in accepts and ("/api/v1/pods", TABLE) in accepts
    assert any(a == POML for p, a in accepts if p.startswith("/apis/"))
    assert not any(r.path.startswith("/apis/") and r.path.count("/") == 3 for r in seen)  # no legacy group docs
