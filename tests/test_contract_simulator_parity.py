"""The simulator compared with recorded real responses, field by field: discovery shape and headers, the pod
Table's column definitions and row conditions, the core group's resources, metric names, HELP text and labels."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from evaluator.simulator import Simulator, profile
from tests.test_contract_kube_parse import POD_COLUMNS

REAL = Path(__file__).parent / "fixtures" / "real"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
# printers.go podColumnDefinitions: column -> the type and field whose SwaggerDoc text is its description
POD_COLUMN_SWAGGER_FIELDS = {
    "Name": ("ObjectMeta", "name"),
    "Age": ("ObjectMeta", "creationTimestamp"),
    "IP": ("PodStatus", "podIP"),
    "Node": ("PodSpec", "nodeName"),
    "Nominated Node": ("PodStatus", "nominatedNodeName"),
    "Readiness Gates": ("PodSpec", "readinessGates"),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(dataclasses.replace(profile("small"), version="1.36.0")) as server:
        yield server


def _get(sim: Simulator, path: str, accept: str = "application/json", **params: Any) -> requests.Response:
    headers = {"Accept": accept}
    if sim.token:
        headers["Authorization"] = f"Bearer {sim.token}"
    return requests.get(sim.url + path, headers=headers, params=params, timeout=30, verify=False)


def _real(*parts: str) -> dict[str, Any]:
    return json.loads(REAL.joinpath(*parts).read_text())


def _recorded_wide_pods() -> list[str]:
    """The recorded ``kubectl get -o wide pod`` lines (header first) of a real kind cluster."""
    return REAL.joinpath("pods", "kind_get_pods_wide.txt").read_text().splitlines()


_HEADER = _recorded_wide_pods()[0]
RESTARTS_AT, AGE_AT = _HEADER.index("RESTARTS"), _HEADER.index("AGE")


def test_aggregated_discovery_shape(sim: Simulator) -> None:
    real = _real("discovery", "aggregated_v2_apis.json")
    resp = _get(sim, "/apis", AGGREGATED)
    assert resp.headers["Content-Type"] == AGGREGATED  # the recording is apidiscovery.k8s.io/v2
    ours = resp.json()
    assert set(ours) == set(real) and ours["apiVersion"] == real["apiVersion"] and ours["kind"] == real["kind"]
    real_items = {i["metadata"]["name"]: i for i in real["items"]}
    for item in ours["items"]:
        assert set(item) <= {"metadata", "versions"} and item["metadata"]["creationTimestamp"] is None
        for version in item["versions"]:
            assert set(version) == {"freshness", "resources", "version"}
            for res in version["resources"]:
                assert res["responseKind"]["group"] == "" and res["responseKind"]["version"] == ""
        recorded = real_items.get(item["metadata"]["name"])
        if recorded is None:
            continue
        recorded_res = {r["resource"]: r for v in recorded["versions"] for r in v["resources"]}
        for version in item["versions"]:
            for res in version["resources"]:
                rec = recorded_res.get(res["resource"])
                if rec is None:
                    continue
                for key in ("scope", "singularResource", "verbs", "shortNames", "categories"):
                    assert res.get(key) == rec.get(key), (item["metadata"]["name"], res["resource"], key)
                assert set(res) <= set(rec) | {"subresources"}


def test_aggregated_discovery_headers_and_etag(sim: Simulator) -> None:
    first = _get(sim, "/apis", AGGREGATED)
    assert first.headers["Cache-Control"] == "public" and first.headers["Vary"] == "Accept"
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9A-F]+"', etag)
    again = requests.get(
        sim.url + "/apis",
        headers={
            "Accept": AGGREGATED,
            "If-None-Match": etag,
            **({"Authorization": f"Bearer {sim.token}"} if sim.token else {}),
        },
        timeout=30,
    )
    assert again.status_code == 304 and again.content == b""
    assert _get(sim, "/api/v1/pods", limit=1).headers["Cache-Control"] == "no-cache, private"


def test_core_group_resources_match_the_recording(sim: Simulator) -> None:
    real = {r["name"]: r for r in _real("discovery", "api__v1.json")["resources"]}
    ours = _get(sim, "/api/v1").json()
    listable = {r["name"] for r in ours["resources"] if "/" not in r["name"] and "list" in r["verbs"]}
    assert listable == {n for n, r in real.items() if "/" not in n and "list" in r["verbs"]}  # the real set
    assert ours["kind"] == "APIResourceList" and ours["groupVersion"] == "v1"
    for res in ours["resources"]:
        if "/" in res["name"] and res["name"] not in real:
            continue  # the recording keeps two subresources only
        rec = real.get(res["name"])
        assert rec is not None, res["name"]
        for key in ("kind", "namespaced", "singularName", "verbs", "shortNames", "categories"):
            assert res.get(key) == rec.get(key), (res["name"], key)


def test_pod_table_columns_and_row_conditions(sim: Simulator) -> None:
    table = _get(sim, "/api/v1/pods", TABLE, includeObject="None", limit=500).json()
    columns = [{k: c[k] for k in ("name", "type", "format", "priority")} for c in table["columnDefinitions"]]
    assert columns == POD_COLUMNS  # kubernetes printers.go podColumnDefinitions
    # descriptions as a real apiserver sends them: the recorded pod Table's Ready and Status texts
    recorded = {c["name"]: c["description"] for c in _real("pods_table_v1beta1.json")["columnDefinitions"]}
    ours = {c["name"]: c["description"] for c in table["columnDefinitions"]}
    assert ours["Ready"] == recorded["Ready"] and ours["Status"] == recorded["Status"]
    # the other columns take their text from the API types' SwaggerDoc (printers.go podColumnDefinitions); the
    # simulator runs 1.36 here, so its texts are k8s.io/api and k8s.io/apimachinery v0.36.0's
    swagger = _real("swagger_doc_pod_columns_1.36.json")
    for column, (kind, field) in POD_COLUMN_SWAGGER_FIELDS.items():
        assert ours[column] == swagger[kind][field], column
    finished = [r for r in table["rows"] if r.get("conditions")]
    assert finished  # the small profile has Succeeded and Failed pods
    for row in finished:
        (cond,) = row["conditions"]
        assert cond["type"] == "Completed" and cond["status"] == "True" and cond["reason"] in ("Succeeded", "Failed")
        assert cond["message"] in ("The pod has completed successfully.", "The pod failed.")
    # Restarts as a real apiserver prints them (the recorded kind cluster's Table): "N (<age> ago)" once a
    # container has restarted, the age of its last termination; "0" otherwise
    recorded_restarts = [line[RESTARTS_AT:AGE_AT].strip() for line in _recorded_wide_pods()[1:]]
    ago = re.compile(r"^[1-9]\d* \(\d+[smhdy](\d+[smhd])? ago\)$")  # duration.HumanDuration forms
    assert all(r == "0" or ago.match(r) for r in recorded_restarts) and any(ago.match(r) for r in recorded_restarts)
    restarts = [r["cells"][3] for r in table["rows"]]
    assert any(r != "0" for r in restarts)  # the small profile has restarted pods
    assert all(r == "0" or ago.match(r) for r in restarts), sorted(set(restarts))
    statuses = {r["cells"][2] for r in table["rows"]}
    printer_forms = re.compile(r"^(Running|Pending|ContainerCreating|Completed|Error|OOMKilled|NotReady|ExitCode:\d+)$")
    assert all(printer_forms.match(s) for s in statuses), statuses


def _families(text: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            out.setdefault(name, {})["help"] = help_text
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            out.setdefault(name, {})["type"] = kind
        elif line and not line.startswith("#"):
            match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?", line)
            if match:
                name = re.sub(r"_(bucket|sum|count)$", "", match.group(1))
                labels = frozenset(re.findall(r'([a-zA-Z_]\w*)="', match.group(2) or ""))
                out.setdefault(name, {}).setdefault("labels", set()).add(labels - {"le"})
    return out


# The count and size families of each recorded scrape (the 1.30 file also keeps one other series).
COUNT_SIZE = ("apiserver_storage_objects", "apiserver_storage_size_bytes", "etcd_db_total_size_in_bytes")


@pytest.mark.parametrize("version", ["1.23", "1.30"])
def test_metrics_names_help_and_labels_per_version(version: str) -> None:
    real = _families((REAL / "metrics" / f"apiserver_{version}_storage.txt").read_text())
    with Simulator(dataclasses.replace(profile("small"), version=f"{version}.0")) as other:
        ours = _families(_get(other, "/metrics", "text/plain;version=0.0.4,*/*;q=0.1").text)
    for name in COUNT_SIZE:
        assert (name in ours) == (name in real), name
        if name in real:
            assert ours[name]["help"] == real[name]["help"] and ours[name]["type"] == real[name]["type"], name
            assert ours[name]["labels"] == real[name]["labels"], name
    # a real 1.23.0 scrape has no etcd_object_counts (deprecated in 1.22): neither has the simulator
    assert ("etcd_object_counts" in ours) == (version == "1.22")


def test_metrics_1_36_names_help_and_labels(sim: Simulator) -> None:
    real = _families((REAL / "metrics" / "apiserver_1.36_storage.txt").read_text())
    resp = _get(sim, "/metrics", "text/plain;version=0.0.4,*/*;q=0.1")
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    ours = _families(resp.text)
    for name, fam in real.items():
        assert ours[name]["help"] == fam["help"] and ours[name]["type"] == fam["type"], name
        assert ours[name]["labels"] == fam["labels"], name
    # the histograms that make a real scrape megabytes long, with the recording's label names
    sli = ours["apiserver_request_sli_duration_seconds"]
    assert sli["type"] == "histogram"
    assert sli["labels"] == {frozenset({"component", "group", "resource", "scope", "subresource", "verb", "version"})}
    assert len(resp.content) > 500_000


def test_endpointslice_without_endpoints_is_null(sim: Simulator) -> None:
    slices = _get(sim, "/apis/discovery.k8s.io/v1/endpointslices", limit=500).json()["items"]
    empty = [s for s in slices if not s["endpoints"]]
    assert all(s["endpoints"] is None for s in empty)


def _only_at_later_versions(doc: dict[str, Any]) -> set[str]:
    out = set()
    for item in doc["items"]:
        first = {r["resource"] for r in item["versions"][0]["resources"]}
        for version in item["versions"][1:]:
            out |= {f"{r['resource']}.{item['metadata']['name']}" for r in version["resources"]} - first
    return out


def test_a_group_serves_a_resource_only_at_a_non_preferred_version(sim: Simulator) -> None:
    """As the recording does (servicecidrs only at networking.k8s.io/v1beta1), the simulator serves one:
    AlertmanagerConfig at monitoring.coreos.com/v1alpha1 beside the group's v1."""
    assert "servicecidrs.networking.k8s.io" in _only_at_later_versions(_real("discovery", "aggregated_v2_apis.json"))
    ours = _get(sim, "/apis", AGGREGATED).json()
    assert "alertmanagerconfigs.monitoring.coreos.com" in _only_at_later_versions(ours)
    legacy = _get(sim, "/apis/monitoring.coreos.com").json()
    assert legacy["preferredVersion"]["version"] == "v1" and len(legacy["versions"]) == 2


def test_apiservices_and_an_aggregated_api(sim: Simulator) -> None:
    """apiregistration.k8s.io is in the recording; the simulator serves APIServices for its group-versions and
    metrics-server's v1beta1.metrics.k8s.io, backed by a Service, whose resources are listed but not stored."""
    items = _get(sim, "/apis/apiregistration.k8s.io/v1/apiservices", limit=500).json()["items"]
    by_name = {i["metadata"]["name"]: i for i in items}
    assert "v1.apps" in by_name and "v1." in by_name and "v1.apiregistration.k8s.io" in by_name
    metrics = by_name["v1beta1.metrics.k8s.io"]
    assert metrics["spec"]["service"] == {"namespace": "kube-system", "name": "metrics-server", "port": 443}
    assert all(i["spec"].get("service") is None for n, i in by_name.items() if n != "v1beta1.metrics.k8s.io")
    served = {i["metadata"]["name"]: i for i in _get(sim, "/apis", AGGREGATED).json()["items"]}
    resources = {r["resource"]: r for r in served["metrics.k8s.io"]["versions"][0]["resources"]}
    assert set(resources) == {"nodes", "pods"} and resources["pods"]["verbs"] == ["get", "list"]
    assert "pods.metrics.k8s.io" not in sim.expected_counts()


def test_events_are_served_under_both_groups_and_counted_once(sim: Simulator) -> None:
    """Like the recordings (core events in api__v1.json, events.k8s.io in aggregated_v2.json), the simulator
    serves the same Events under both groups; apiserver_storage_objects has one events series."""
    core = _get(sim, "/api/v1/events", limit=1).json()
    newer = _get(sim, "/apis/events.k8s.io/v1/events", limit=1).json()
    assert core["items"][0]["metadata"]["uid"] == newer["items"][0]["metadata"]["uid"]
    assert newer["items"][0]["note"] == core["items"][0]["message"]
    text = _get(sim, "/metrics", "text/plain").text
    assert 'apiserver_storage_objects{resource="events"}' in text
    assert 'resource="events.events.k8s.io"' not in text


def _kubeadm(name: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(REAL.joinpath("kubeadm", f"{name}.yaml").read_text())


@pytest.mark.parametrize("component", ["kube-apiserver", "etcd"])
def test_static_control_plane_pods_as_kubeadm_writes_them(sim: Simulator, component: str) -> None:
    """The simulator's static Pods against the recorded kubeadm Pods of a minikube cluster (kubescape/regolibrary):
    labels, the kubeadm and kubelet annotations, the Node owner, the container's requests and flag names, and the
    Pod-level fields kubeadm sets."""
    from evaluator.collectors.kube_parse import parse_flags, pod_argv

    real = _kubeadm(component)
    resp = _get(sim, "/api/v1/namespaces/kube-system/pods", labelSelector=f"component={component}")
    ours = resp.json()["items"][0]
    assert ours["metadata"]["labels"] == real["metadata"]["labels"] == {"component": component, "tier": "control-plane"}
    kubeadm_keys = {k for k in real["metadata"].get("annotations", {}) if k.startswith("kubeadm.kubernetes.io/")}
    assert kubeadm_keys and kubeadm_keys <= set(ours["metadata"]["annotations"])
    if component == "kube-apiserver":  # the recording of the mirror Pod (the etcd one is the manifest file)
        kubelet_keys = {k for k in real["metadata"]["annotations"] if k.startswith("kubernetes.io/config.")}
        assert kubelet_keys <= set(ours["metadata"]["annotations"])
        (owner,) = ours["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["controller"]) == ("Node", True) and "blockOwnerDeletion" not in owner
    (container,) = ours["spec"]["containers"]
    (recorded,) = real["spec"]["containers"]
    assert container["name"] == recorded["name"] == component
    assert container["resources"] == recorded["resources"]
    assert container["command"][0] == recorded["command"][0] == component and "args" not in container
    # minikube adds flags of its own (etcd --proxy-refresh-interval); the rule tests removed two etcd TLS flags
    real_flags = set(parse_flags(pod_argv(real, component))) - {"proxy-refresh-interval"}
    assert real_flags <= set(parse_flags(pod_argv(ours, component)))
    for key in ("hostNetwork", "priorityClassName", "securityContext"):
        assert ours["spec"].get(key) == real["spec"].get(key), key
