"""The simulator through the official kubernetes client: paging, Table/metadata lists, faults, truth, specs."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import signal
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from kubernetes import client
from kubernetes.client.rest import ApiException

from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.simulator import ClusterSpec, Faults, NodePool, Simulator, load_spec, parse_spec, profile
from evaluator.simulator.metrics import metric_names
from evaluator.simulator.served import Cluster
from tests.simulator_support import AGGREGATED, POML, TABLE, api_client, raw_get, raw_json


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    """The small profile served for the module, with a kubeconfig."""
    with Simulator(profile("small")) as sim:
        sim.kubeconfig_path = sim.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kc")
        yield sim


@pytest.fixture
def api(small: Simulator):
    """A client with urllib3 retries off, so faults are seen as they are served."""
    small.faults = Faults()
    yield api_client(small.kubeconfig_path, retries=False)
    small.faults = Faults()


def _names(items: list[dict]) -> list[tuple[str, str]]:
    return [(i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items]


# ---------------------------------------------------------------------------------------------- paging


def test_typed_list_pages_add_up_to_the_unpaged_list(small: Simulator, api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    everything = core.list_pod_for_all_namespaces()
    assert len(everything.items) == 60 and everything.metadata.remaining_item_count is None
    seen, token, remaining = [], None, []
    while True:
        page = core.list_pod_for_all_namespaces(limit=25, _continue=token)
        seen += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        remaining.append(page.metadata.remaining_item_count)
        assert page.metadata.resource_version == everything.metadata.resource_version
        token = page.metadata._continue
        if not token:
            break
    assert remaining == [35, 10, None]
    assert seen == [(p.metadata.namespace, p.metadata.name) for p in everything.items]
    assert seen == sorted(seen)  # namespace, then name: etcd key order


def test_typed_lists_of_every_builtin_kind_deserialize(api: client.ApiClient, small: Simulator) -> None:
    counts = small.expected_counts()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    calls = {
        "nodes": core.list_node,
        "namespaces": core.list_namespace,
        "services": core.list_service_for_all_namespaces,
        "endpoints": core.list_endpoints_for_all_namespaces,
        "configmaps": core.list_config_map_for_all_namespaces,
        "events": core.list_event_for_all_namespaces,
        "deployments.apps": apps.list_deployment_for_all_namespaces,
        "replicasets.apps": apps.list_replica_set_for_all_namespaces,
        "daemonsets.apps": apps.list_daemon_set_for_all_namespaces,
        "networkpolicies.networking.k8s.io": client.NetworkingV1Api(api).list_network_policy_for_all_namespaces,
        "endpointslices.discovery.k8s.io": client.DiscoveryV1Api(api).list_endpoint_slice_for_all_namespaces,
        "customresourcedefinitions.apiextensions.k8s.io": client.ApiextensionsV1Api(
            api
        ).list_custom_resource_definition,
        "validatingwebhookconfigurations.admissionregistration.k8s.io": client.AdmissionregistrationV1Api(
            api
        ).list_validating_webhook_configuration,
    }
    for key, call in calls.items():
        assert len(call().items) == counts[key], key
    nodes = core.list_node().items
    cp = [n for n in nodes if "node-role.kubernetes.io/control-plane" in n.metadata.labels]
    assert len(cp) == 1 and cp[0].status.allocatable["pods"] == "110"
    worker = next(n for n in nodes if n not in cp)
    for label in (
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "node.kubernetes.io/instance-type",
        "topology.kubernetes.io/zone",
        "node-pool",
    ):
        assert label in worker.metadata.labels
    assert worker.status.node_info.kubelet_version == "v1.29.4"


def test_namespaced_list_and_get(api: client.ApiClient, small: Simulator) -> None:
    core = client.CoreV1Api(api)
    pods = core.list_namespaced_pod("kube-system").items
    names = [p.metadata.name for p in pods]
    assert "kube-apiserver-small-cp-1" in names and "etcd-small-cp-1" in names
    assert (
        sum(n.startswith("calico-node-") for n in names) == 5 and sum(n.startswith("kube-proxy-") for n in names) == 5
    )
    etcd = core.read_namespaced_pod("etcd-small-cp-1", "kube-system")
    assert etcd.spec.node_name == "small-cp-1" and etcd.spec.containers[0].command[0] == "etcd"
    for pod in core.list_pod_for_all_namespaces(limit=60).items[::7]:
        again = core.read_namespaced_pod(pod.metadata.name, pod.metadata.namespace)
        assert again.metadata.uid == pod.metadata.uid
    assert core.list_namespaced_pod("no-such-namespace").items == []
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("nope", "default")
    assert err.value.status == 404 and json.loads(err.value.body)["reason"] == "NotFound"


def test_table_and_metadata_lists(api: client.ApiClient) -> None:
    first = raw_json(api, "/api/v1/pods", {"limit": 40, "includeObject": "None"}, TABLE)
    assert first["kind"] == "Table" and first["metadata"]["remainingItemCount"] == 20
    assert [c["name"] for c in first["columnDefinitions"]][:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert len(first["rows"]) == 40 and all("object" not in row for row in first["rows"])
    second = raw_json(api, "/api/v1/pods", {"limit": 40, "continue": first["metadata"]["continue"]}, TABLE)
    assert len(second["rows"]) == 20 and "continue" not in second["metadata"]
    assert second["rows"][0]["object"]["kind"] == "PartialObjectMetadata"  # includeObject defaults to Metadata
    netpols = raw_json(api, "/apis/networking.k8s.io/v1/networkpolicies", {"includeObject": "None"}, TABLE)
    assert [c["name"] for c in netpols["columnDefinitions"]] == ["Name", "Pod-Selector", "Age"]
    crds = raw_json(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {"limit": 5}, TABLE)
    assert [c["name"] for c in crds["columnDefinitions"]] == ["Name", "Created At"]
    poml = raw_json(api, "/api/v1/secrets", {"limit": 10}, POML)
    assert poml["kind"] == "PartialObjectMetadataList" and len(poml["items"]) == 10
    assert poml["items"][0]["kind"] == "PartialObjectMetadata" and set(poml["items"][0]) == {
        "kind",
        "apiVersion",
        "metadata",
    }
    protobuf = raw_json(api, "/api/v1/nodes", {}, "application/vnd.kubernetes.protobuf,application/json")
    assert protobuf["kind"] == "NodeList"


def test_selectors_filter_without_remaining_count(api: client.ApiClient, small: Simulator) -> None:
    core = client.CoreV1Api(api)
    node = small.truth["nodes"]["busiest_node"]
    on_node = core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}")
    assert len(on_node.items) == small.truth["nodes"]["pods_per_node"]["max"]
    page = core.list_pod_for_all_namespaces(label_selector="k8s-app=kube-proxy", limit=2)
    assert len(page.items) == 2 and page.metadata.remaining_item_count is None and page.metadata._continue
    rest = core.list_pod_for_all_namespaces(
        label_selector="k8s-app=kube-proxy", limit=10, _continue=page.metadata._continue
    )
    assert len(rest.items) == 3
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces(field_selector="spec.nope=1")
    assert err.value.status == 400


def test_list_parameter_validation(api: client.ApiClient) -> None:
    token = raw_json(api, "/api/v1/pods", {"limit": 5})["metadata"]["continue"]
    status, _, body = raw_get(api, "/api/v1/pods", {"limit": 5, "continue": token, "resourceVersion": "12"})
    assert status == 400 and "specifying resource version is not allowed when using continue" in body["message"]
    status, _, body = raw_get(
        api, "/api/v1/pods", {"continue": token, "resourceVersion": "12", "resourceVersionMatch": "NotOlderThan"}
    )
    assert status == 422 and "resourceVersionMatch is forbidden when continue is provided" in body["message"]
    status, _, body = raw_get(api, "/api/v1/pods", {"continue": "garbage"})
    assert status == 400 and body["reason"] == "BadRequest"
    status, _, body = raw_get(api, "/api/v1/nodes", {"continue": token})  # a pods token on nodes
    assert status == 400
    forged = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    forged["t"] = "yesterday"
    forged_token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    status, _, body = raw_get(api, "/api/v1/pods", {"continue": forged_token})
    assert status == 400 and body["reason"] == "BadRequest"
    # resourceVersion=0 is served from the watch cache, which ignores limit before 1.34 (kubernetes#125335).
    cached = raw_json(api, "/api/v1/pods", {"limit": 5, "resourceVersion": "0"})
    assert len(cached["items"]) == 60 and "continue" not in cached["metadata"]


# ---------------------------------------------------------------------------------------------- discovery


def test_discovery_documents(api: client.ApiClient) -> None:
    legacy = raw_json(api, "/apis")
    names = {g["name"] for g in legacy["groups"]}
    assert {"apps", "networking.k8s.io", "crd.projectcalico.org", "apiextensions.k8s.io"} <= names
    resources = raw_json(api, "/apis/networking.k8s.io/v1")
    assert resources["resources"][0]["name"] == "networkpolicies" and resources["resources"][0]["namespaced"]
    status, headers, agg = raw_get(api, "/apis", {}, AGGREGATED)
    assert status == 200 and headers["Content-Type"].startswith("application/json;g=apidiscovery.k8s.io;v=v2")
    assert agg["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in agg["items"] if i["metadata"]["name"] == "apps")
    assert "deployments" in {r["resource"] for r in apps["versions"][0]["resources"]}
    core = raw_json(api, "/api", {}, AGGREGATED)
    assert {r["resource"] for r in core["items"][0]["versions"][0]["resources"]} >= {"pods", "nodes", "namespaces"}
    assert raw_get(api, "/apis/nope.example.com/v1")[0] == 404


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        (
            "1.22.17",
            ["etcd_object_counts", "apiserver_storage_objects", "etcd_db_total_size_in_bytes"],
            ["apiserver_storage_size_bytes"],
        ),
        (
            "1.27.9",
            ["apiserver_storage_objects", "apiserver_storage_db_total_size_in_bytes"],
            ["etcd_object_counts", "etcd_db_total_size_in_bytes"],
        ),
        ("1.30.2", ["apiserver_storage_objects", "apiserver_storage_size_bytes"], ["apiserver_resource_objects"]),
        (
            "1.34.1",
            ["apiserver_storage_objects", "apiserver_resource_objects", "apiserver_storage_size_bytes"],
            ["etcd_object_counts"],
        ),
    ],
)
def test_metric_names_follow_the_version(version: str, present: list[str], absent: list[str], tmp_path: Path) -> None:
    spec = dataclasses.replace(profile("small"), version=version)
    with Simulator(spec) as sim:
        api = api_client(sim.write_kubeconfig(tmp_path / "kc"))
        text = raw_get(api, "/metrics", accept="text/plain")[2]
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if not line.startswith("#")}
    assert set(present) <= names and not set(absent) & names
    if "apiserver_resource_objects" in present:
        assert 'apiserver_resource_objects{group="networking.k8s.io",resource="networkpolicies"} 20' in text
    assert metric_names(int(version.split(".")[1]))["db_size"] in names


# ---------------------------------------------------------------------------------------------- faults


def test_throttling_then_success_with_retry_after(small: Simulator) -> None:
    small.faults = Faults(throttle_first={"/api/v1/namespaces": 1}, retry_after_seconds=1)
    api = api_client(small.kubeconfig_path)  # urllib3's default Retry honours Retry-After on 429
    started = time.monotonic()
    assert len(client.CoreV1Api(api).list_namespace().items) == 8
    assert time.monotonic() - started >= 0.9
    statuses = [r.status for r in small.request_log if r.path == "/api/v1/namespaces"][-2:]
    assert statuses == [429, 200]
    small.faults = Faults(throttle_first={"/api/v1/namespaces": 1}, retry_after_seconds=1)
    status, headers, body = raw_get(api_client(small.kubeconfig_path, retries=False), "/api/v1/namespaces")
    assert status == 429 and headers["Retry-After"] == "1"
    assert body["reason"] == "TooManyRequests" and body["details"]["retryAfterSeconds"] == 1
    small.faults = Faults()


def test_forbidden_not_found_and_server_errors(api: client.ApiClient, small: Simulator) -> None:
    small.faults = Faults(
        forbidden=["networkpolicies.networking.k8s.io", "/metrics"],
        error_first={"/api/v1/nodes": 2},
        not_found=["/apis/apiextensions.k8s.io/*"],
    )
    with pytest.raises(ApiException) as err:
        client.NetworkingV1Api(api).list_network_policy_for_all_namespaces()
    body = json.loads(err.value.body)
    assert err.value.status == 403 and body["reason"] == "Forbidden"
    assert (
        'cannot list resource "networkpolicies" in API group "networking.k8s.io" at the cluster scope'
        in body["message"]
    )
    assert raw_get(api, "/metrics")[0] == 403
    assert raw_get(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")[0] == 404
    assert [raw_get(api, "/api/v1/nodes")[0] for _ in range(3)] == [500, 500, 200]
    assert raw_get(api, "/api/v1/pods", {"limit": 1})[0] == 200  # unaffected paths still work


def test_expired_continue_gives_a_fresh_token(api: client.ApiClient, small: Simulator) -> None:
    small.faults = Faults(expire_continue_at=2)
    first = raw_json(api, "/api/v1/pods", {"limit": 10})
    second = raw_json(api, "/api/v1/pods", {"limit": 10, "continue": first["metadata"]["continue"]})
    status, _, body = raw_get(api, "/api/v1/pods", {"limit": 10, "continue": second["metadata"]["continue"]})
    assert status == 410 and body["reason"] == "Expired" and "too old" in body["message"]
    fresh = body["metadata"]["continue"]
    resumed = raw_json(api, "/api/v1/pods", {"limit": 10, "continue": fresh})
    assert _names(resumed["items"])[0] > _names(second["items"])[-1]  # picks up where the expired token pointed
    small.faults = Faults(expire_continue_after_seconds=0.2, expire_continue_times=0)
    token = raw_json(api, "/api/v1/pods", {"limit": 10})["metadata"]["continue"]
    time.sleep(0.3)
    assert raw_get(api, "/api/v1/pods", {"limit": 10, "continue": token})[0] == 410


def test_slow_responses_and_accounting(api: client.ApiClient, small: Simulator) -> None:
    small.reset_counters()
    small.faults = Faults(delay_seconds=0.2)
    started = time.monotonic()
    raw_get(api, "/version")
    assert time.monotonic() - started >= 0.2
    small.faults = Faults(throttle_every=2)
    assert [raw_get(api, "/version")[0] for _ in range(4)] == [200, 429, 200, 429]
    assert small.requests_by_path["/version"] == 5 and small.request_count == 5
    assert small.max_in_flight >= 1


def test_head_on_a_list_sends_no_body_so_keep_alive_stays_in_step(small: Simulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", small.port, timeout=10)
    try:
        conn.request("HEAD", "/api/v1/pods")
        head = conn.getresponse()
        assert head.status == 200 and head.read() == b""
        conn.request("GET", "/version")  # same connection: a stray list body would be read as the status line
        answer = conn.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["gitVersion"] == "v1.29.4"
    finally:
        conn.close()


def test_token_is_required_when_configured(tmp_path: Path) -> None:
    with Simulator(profile("small"), token="s3cret") as sim:
        good = sim.write_kubeconfig(tmp_path / "kc")
        assert len(client.CoreV1Api(api_client(good)).list_namespace().items) == 8
        bad = tmp_path / "bad"
        bad.write_text(good.read_text().replace("s3cret", "wrong"))
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(api_client(bad)).list_namespace()
        assert err.value.status == 401


def test_secret_data_is_recorded_only_for_full_objects(tmp_path: Path) -> None:
    with Simulator(profile("small")) as sim:
        api = api_client(sim.write_kubeconfig(tmp_path / "kc"))
        raw_json(api, "/api/v1/secrets", {"limit": 500}, POML)
        raw_json(api, "/api/v1/secrets", {"limit": 500, "includeObject": "Metadata"}, TABLE)
        assert sim.secret_data_served is False
        raw_json(api, "/api/v1/secrets", {"limit": 1})
        assert sim.secret_data_served is True


# ---------------------------------------------------------------------------------------------- model and truth


def test_small_truth_matches_served_objects(small: Simulator, api: client.ApiClient) -> None:
    truth = small.truth
    assert small.expected_counts()["pods"] == 60 and small.expected("counts.nodes") == 5
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces().items
    per_node: dict[str, int] = {}
    for pod in pods:
        per_node[pod.spec.node_name] = per_node.get(pod.spec.node_name, 0) + 1
    assert max(per_node.values()) == truth["nodes"]["pods_per_node"]["max"]
    assert sum(per_node.values()) == truth["nodes"]["pods_per_node"]["sum"] == 60
    phases: dict[str, int] = {}
    for pod in pods:
        phases[pod.status.phase] = phases.get(pod.status.phase, 0) + 1
    assert phases == truth["pods"]["by_phase"]
    policies = client.NetworkingV1Api(api).list_network_policy_for_all_namespaces().items
    ingress = sum(len(p.spec.ingress or []) for p in policies)
    egress = sum(len(p.spec.egress or []) for p in policies)
    peers = sum(len(r._from or []) for p in policies for r in p.spec.ingress or []) + sum(
        len(r.to or []) for p in policies for r in p.spec.egress or []
    )
    ports = sum(len(r.ports or []) for p in policies for r in (p.spec.ingress or []) + (p.spec.egress or []))
    np_truth = truth["network_policies"]
    assert (ingress, egress, peers, ports) == (
        np_truth["ingress_rules"],
        np_truth["egress_rules"],
        np_truth["peers"],
        np_truth["ports"],
    )
    services = client.CoreV1Api(api).list_service_for_all_namespaces().items
    by_type: dict[str, int] = {}
    for svc in services:
        by_type[svc.spec.type] = by_type.get(svc.spec.type, 0) + 1
    assert by_type == truth["services"]["by_type"]


def test_bank_profile_layout() -> None:
    spec = profile("bank")
    cluster = Cluster(spec)
    counts = cluster.counts()
    assert (counts["nodes"], counts["pods"], counts["namespaces"]) == (1500, 45000, 600)
    assert counts["networkpolicies.networking.k8s.io"] == 8000 and counts["services"] == 3000
    per_node = [cluster.pods_on_node(i) for i in range(len(cluster.nodes))]
    assert sum(per_node) == 45000
    assert all(n <= node.max_pods for n, node in zip(per_node, cluster.nodes, strict=True))
    app = [0] * len(cluster.nodes)
    for a in range(cluster.app_pod_total):
        app[cluster.app_pod_node(a)] += 1
    assert app == cluster.app_pods_per_node  # the shuffle places exactly the planned number per node
    apiserver = cluster.builders.static_pod_command("kube-apiserver", cluster.node_index["bank-cp-1"])
    assert (
        "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,"
        "ResourceQuota,NodeRestriction,PodSecurity,EventRateLimit" in apiserver
    )
    etcd = cluster.builders.static_pod_command("etcd", cluster.node_index["bank-cp-1"])
    assert "--quota-backend-bytes=8589934592" in etcd
    proxy = next(
        j
        for j in range(cluster.collections["configmaps"].counts[cluster.kube_system])
        if cluster.builders.configmap_name(cluster.kube_system, j) == "kube-proxy"
    )
    assert 'mode: "ipvs"' in cluster.builders.configmap(cluster.kube_system, proxy)["data"]["config.conf"]
    assert {n.kubelet_version for n in cluster.nodes} == {"1.32.9", "1.31.12"}


def test_names_sort_and_find_in_every_collection() -> None:
    cluster = Cluster(profile("small"))
    for key, collection in cluster.collections.items():
        names = [(collection.locate(i)[0], collection.name(i)) for i in range(collection.count)]
        assert names == sorted(names) and len(set(names)) == len(names), key
        for i in range(collection.count):
            ns, _ = collection.locate(i)
            assert collection.find(ns if collection.resource.namespaced else None, collection.name(i)) == i, key


def test_same_seed_same_objects_other_seed_other_objects() -> None:
    spec = profile("small")
    a, b = Cluster(spec), Cluster(spec)
    other = Cluster(dataclasses.replace(spec, seed=99))
    for key in ("pods", "nodes", "networkpolicies.networking.k8s.io", "services", "secrets"):
        ca, cb = a.collections[key], b.collections[key]
        assert [ca.item(i) for i in range(ca.count)] == [cb.item(i) for i in range(cb.count)]
    pods_a = [a.collections["pods"].item(i)["metadata"]["uid"] for i in range(60)]
    pods_o = [other.collections["pods"].item(i)["metadata"]["uid"] for i in range(60)]
    assert pods_a != pods_o


def test_hot_node_and_large_profile_start_fast(tmp_path: Path) -> None:
    hot = parse_spec("name: hot\nnodes: 4\ncontrol_plane_nodes: 1\npods: 400\nnamespaces: 6\nhot_node_pods: 300\n")
    with Simulator(hot) as sim:
        assert sim.truth["nodes"]["pods_per_node"]["max"] == 300
        api = api_client(sim.write_kubeconfig(tmp_path / "hot"))
        node = sim.truth["nodes"]["busiest_node"]
        assert (
            len(client.CoreV1Api(api).list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items) == 300
        )
    started = time.monotonic()
    with Simulator(profile("large")) as sim:
        api = api_client(sim.write_kubeconfig(tmp_path / "large"))
        page = client.CoreV1Api(api).list_pod_for_all_namespaces(limit=500)
        assert len(page.items) == 500 and page.metadata.remaining_item_count == 149_500
        table = raw_json(
            api, "/apis/networking.k8s.io/v1/networkpolicies", {"limit": 500, "includeObject": "None"}, TABLE
        )
        assert table["metadata"]["remainingItemCount"] == 19_500
    assert time.monotonic() - started < 30  # generous: the point is that nothing lists 150,000 pods up front


# ---------------------------------------------------------------------------------------------- specs


def test_profiles_and_unknown_profile() -> None:
    assert profile("small").nodes == 5 and profile("bank").nodes == 1500 and profile("large").pods == 150_000
    with pytest.raises(InputError, match="unknown simulator profile 'huge'"):
        profile("huge")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nnodes: ten\npods: 10\nnamespaces: 4\n", "nodes: expected an integer, got 'ten'"),
        ("name: x\nnodes: 2\nnamespaces: 4\n", "pods: required field is missing"),
        ("name: x\nnodes: 2\npods: 1\nnamespaces: 4\n", "pods: 1 is fewer than the"),
        ("name: x\nnodes: 2\npods: 900\nnamespaces: 4\n", "pods: 900 pods do not fit"),
        ("name: x\nnodes: 2\npods: 20\nnamespaces: 4\ncni: weavy\n", "cni: 'weavy' is not one of"),
        ("name: x\nnodes: 2\npods: 20\nnamespaces: 4\nversion: latest\n", "version: expected a version like"),
        ("name: x\nnodes: 2\npods: 20\nnamespaces: 4\nnode: 3\n", "node: unknown field"),
        ("name: x\nnodes: 4\npods: 20\nnamespaces: 4\nnode_pools: [{name: a, count: 1}]\n", "node_pools: pool counts"),
        ("name: x\nnodes: 2\npods: 20\nnamespaces: 4\ncilium_policies: 3\n", "cilium_policies: Cilium policies need"),
        ("name: x\nnodes: [\n", "not valid YAML"),
    ],
)
def test_bad_specs_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_spec(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_spec_defaults_and_missing_file(tmp_path: Path) -> None:
    spec = parse_spec("name: tiny\nnodes: 1\npods: 9\nnamespaces: 4\ncni: flannel\nkube_proxy_mode: ipvs\n")
    assert isinstance(spec, ClusterSpec) and spec.control_plane_nodes == 1 and spec.node_pools == []
    cluster = Cluster(spec)
    assert cluster.counts()["pods"] == 9 and cluster.counts()["nodes"] == 1
    eks = parse_spec(
        "name: e\nplatform: eks\nnodes: 3\npods: 30\nnamespaces: 5\ncni: aws-vpc-cni\n"
        "node_pools: [{name: ng-1, count: 3, instance_type: m5.large, max_pods: 29}]\n"
    )
    assert eks.node_pools == [NodePool(name="ng-1", count=3, instance_type="m5.large", max_pods=29)]
    node = Cluster(eks).builders.node(0)
    assert node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] == "ng-1"
    assert node["metadata"]["name"].endswith(".eu-west-2.compute.internal")
    assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.29.4-eks-")
    with pytest.raises(InputError, match="cannot read the spec"):
        load_spec(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(InputError, match=r"binary.yaml: cannot read the spec: not UTF-8 text \(byte 6\)"):
        load_spec(binary)


def test_simulate_on_a_busy_port_leaves_the_sigterm_handler_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["simulate", "--port", str(port)], catch_exceptions=False)
    assert result.exit_code == 2 and "address already in use" in result.stderr
    assert signal.getsignal(signal.SIGTERM) == before
