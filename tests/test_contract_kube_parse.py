"""The kube collector's parsers on responses recorded from real systems (tests/fixtures/real/, see SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluator.collectors.kube_parse import (
    DaemonSetTally,
    PodTally,
    cni_addons,
    counts_are_computed,
    counts_from_metrics,
    db_size_from_metrics,
    detect_cni,
    etcd_sizes_from_metrics,
    parse_metrics,
    plain_version,
    resources_from_aggregated,
    resources_from_legacy,
    unique_resources,
)

REAL = Path(__file__).parent / "fixtures" / "real"


def load_json(*parts: str) -> dict[str, Any]:
    return json.loads((REAL.joinpath(*parts)).read_text())


# -- discovery ----------------------------------------------------------------------------------------


def test_aggregated_discovery_keeps_resources_served_only_at_a_non_preferred_version() -> None:
    """kubernetes api/discovery/aggregated_v2.json: servicecidrs and ipaddresses are only at networking v1beta1,
    clustertrustbundles only at certificates v1alpha1, volumeattributesclasses only at storage v1alpha1."""
    resources, stale = resources_from_aggregated(load_json("discovery", "aggregated_v2_apis.json"))
    by_key = {r.key: r for r in resources}
    assert stale == []
    assert by_key["servicecidrs.networking.k8s.io"].path == "/apis/networking.k8s.io/v1beta1/servicecidrs"
    assert by_key["ipaddresses.networking.k8s.io"].version == "v1beta1"
    assert by_key["clustertrustbundles.certificates.k8s.io"].version == "v1alpha1"
    assert by_key["volumeattributesclasses.storage.k8s.io"].version == "v1alpha1"
    # first occurrence wins: a resource at the preferred and an older version is listed once, at the preferred
    assert by_key["networkpolicies.networking.k8s.io"].version == "v1"
    assert by_key["horizontalpodautoscalers.autoscaling"].version == "v2"
    assert by_key["validatingadmissionpolicies.admissionregistration.k8s.io"].version == "v1"
    assert len(resources) == len(by_key)
    # responseKind group/version are empty in real documents; the kind is still read
    assert by_key["daemonsets.apps"].kind == "DaemonSet"
    # create-only resources (reviews) are not listable
    assert "tokenreviews.authentication.k8s.io" not in by_key


def test_events_and_componentstatuses_are_not_counted_twice_or_at_all() -> None:
    """The same Event storage is served as core events and events.events.k8s.io on every real cluster;
    componentstatuses is deprecated (1.19) and not stored."""
    core = resources_from_legacy("", "v1", load_json("discovery", "api__v1.json"))
    groups, _ = resources_from_aggregated(load_json("discovery", "aggregated_v2_apis.json"))
    keys = {r.key for r in core + groups}
    assert {"events", "events.events.k8s.io", "componentstatuses"} <= keys  # the recordings serve all three
    kept = unique_resources(core + groups)
    assert "events" in kept and "events.events.k8s.io" not in kept
    assert "componentstatuses" not in kept
    assert "pods" in kept and "servicecidrs.networking.k8s.io" in kept


def test_core_group_listable_resources_from_the_recording() -> None:
    core = resources_from_legacy("", "v1", load_json("discovery", "api__v1.json"))
    assert sorted(r.key for r in core) == [
        "componentstatuses",
        "configmaps",
        "endpoints",
        "events",
        "limitranges",
        "namespaces",
        "nodes",
        "persistentvolumeclaims",
        "persistentvolumes",
        "pods",
        "podtemplates",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "serviceaccounts",
        "services",
    ]


# -- metrics ------------------------------------------------------------------------------------------


def test_metrics_1_36_counts_and_size() -> None:
    """elastic/beats metrics.1.36: apiserver_storage_objects is sent, marked deprecated since 1.34."""
    samples = parse_metrics((REAL / "metrics" / "apiserver_1.36_storage.txt").read_text())
    counts, source = counts_from_metrics(samples)
    assert counts["pods"] == 15 and counts["serviceaccounts"] == 47 and counts["events"] == 130
    assert counts["servicecidrs.networking.k8s.io"] == 1
    assert len(counts) == 58 and set(source.values()) == {"apiserver_storage_objects"}
    assert db_size_from_metrics(samples)[:2] == (2224128, "apiserver_storage_size_bytes")


# -- pods (Table) ---------------------------------------------------------------------------------------

# kubernetes pkg/printers/internalversion/printers.go: podColumnDefinitions and printPod. printPod sets
# row.Conditions = [{Type: Completed, Status: True, Reason: Succeeded|Failed}] exactly when the phase is
# Succeeded or Failed; the Status cell is the pod reason, the last container's waiting/terminated reason,
# "ExitCode:<n>"/"Signal:<n>" for a terminated container without a reason, "Init:..." while initialising.
POD_COLUMNS = [
    {"name": "Name", "type": "string", "format": "name", "priority": 0},
    {"name": "Ready", "type": "string", "format": "", "priority": 0},
    {"name": "Status", "type": "string", "format": "", "priority": 0},
    {"name": "Restarts", "type": "string", "format": "", "priority": 0},
    {"name": "Age", "type": "string", "format": "", "priority": 0},
    {"name": "IP", "type": "string", "format": "", "priority": 1},
    {"name": "Node", "type": "string", "format": "", "priority": 1},
    {"name": "Nominated Node", "type": "string", "format": "", "priority": 1},
    {"name": "Readiness Gates", "type": "string", "format": "", "priority": 1},
]
SUCCEEDED = [
    {"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}
]
FAILED = [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]


def _row(name: str, ready: str, status: str, node: str, conditions: list[dict[str, str]] | None = None) -> dict:
    row: dict[str, Any] = {"cells": [name, ready, status, "0", "3d", "10.0.0.9", node, "<none>", "<none>"]}
    if conditions is not None:
        row["conditions"] = conditions
    return row


PRINTED_PODS = {
    "kind": "Table",
    "apiVersion": "meta.k8s.io/v1",
    "metadata": {"resourceVersion": "1"},
    "columnDefinitions": POD_COLUMNS,
    "rows": [
        # Failed pods, Status texts not on any fixed list
        _row("exit", "0/1", "ExitCode:1", "n1", FAILED),
        _row("signal", "0/1", "Signal:9", "n1", FAILED),
        _row("init-reason", "0/1", "Init:Error", "n1", FAILED),
        _row("init-exit", "0/1", "Init:ExitCode:2", "n1", FAILED),
        _row("init-signal", "0/1", "Init:Signal:9", "n1", FAILED),
        _row("cannot-run", "0/1", "ContainerCannotRun", "n1", FAILED),
        _row("start-error", "0/1", "StartError", "n1", FAILED),
        _row("out-of-cpu", "0/2", "OutOfcpu", "n2", FAILED),
        _row("done", "0/1", "Completed", "n2", SUCCEEDED),
        # Running pods between container restarts: the last termination reason, no row condition
        _row("oom", "0/2", "OOMKilled", "n1"),
        _row("error", "1/2", "Error", "n2"),
        _row("sidecar-done", "1/2", "Completed", "n2"),
        _row("running", "1/1", "Running", "n2"),
        _row("pending", "0/1", "Pending", "<none>"),
    ],
}


def test_pod_table_classifies_by_the_completed_row_condition() -> None:
    tally = PodTally()
    tally.add(PRINTED_PODS)
    assert tally.total == 14 and tally.terminal == 9 and tally.unscheduled == 1
    assert dict(tally.per_node) == {"n1": 1, "n2": 3}
    assert tally.containers == 2 + 2 + 2 + 1 + 1  # live pods only, the pending one included
    assert tally.conditions_seen and not tally.needs_phase_selector


def test_pod_table_from_a_server_without_row_conditions_asks_for_the_phase_selector() -> None:
    rows = [{"cells": r["cells"]} for r in PRINTED_PODS["rows"]]
    tally = PodTally()
    tally.add({**PRINTED_PODS, "rows": rows})
    assert not tally.conditions_seen and tally.needs_phase_selector
    healthy = PodTally()  # Running and Pending pods only: nothing to tell apart, no second list needed
    healthy.add({**PRINTED_PODS, "rows": [{"cells": r["cells"]} for r in PRINTED_PODS["rows"][-2:]]})
    assert not healthy.needs_phase_selector and healthy.total == 2


# -- CNI DaemonSets -------------------------------------------------------------------------------------


def _daemonsets(*names: str) -> DaemonSetTally:
    tally = DaemonSetTally()
    tally.add({"items": [yaml.safe_load((REAL / "daemonsets" / f"{n}.yaml").read_text()) for n in names]})
    return tally


@pytest.mark.parametrize(
    ("manifest", "cni", "version"),
    [
        ("kindnet", "kindnet", "20260820-69b56db7"),
        ("azure-cns", "azure-cni", "1.4.7"),
        ("aws-node", "aws-vpc-cni", "1.23.1"),
    ],
)
def test_cni_from_real_manifests(manifest: str, cni: str, version: str) -> None:
    assert detect_cni(_daemonsets(manifest).found) == (cni, version)


def test_vpc_cni_network_policy_agent_is_surfaced() -> None:
    """amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml: the aws-eks-nodeagent container runs the
    aws-network-policy-agent image inside the aws-node DaemonSet."""
    assert cni_addons(_daemonsets("aws-node").found) == {"aws-network-policy-agent": "1.4.2"}
    assert cni_addons(_daemonsets("kindnet").found) == {}


def test_cni_version_has_one_format() -> None:
    # EKS DescribeAddon says "v1.18.1-eksbuild.1"; the aws-node image tag says the same without the v.
    assert plain_version("v1.18.1-eksbuild.1") == plain_version("1.18.1-eksbuild.1") == "1.18.1-eksbuild.1"
    assert plain_version(None) is None and plain_version("latest") == "latest"


# -- etcd size stores ---------------------------------------------------------------------------------

# The apiserver's per-endpoint DB size metric has one series per etcd endpoint. Kubernetes' own GCE cluster
# scripts (cluster/gce/gci/configure-helper.sh) run the events store as a second etcd on port 4002:
# --etcd-servers=http://127.0.0.1:2379 --etcd-servers-overrides=/events#http://127.0.0.1:4002.
TWO_STORES = """\
# HELP etcd_db_total_size_in_bytes [ALPHA] Total size of the etcd database file physically allocated in bytes.
# TYPE etcd_db_total_size_in_bytes gauge
etcd_db_total_size_in_bytes{endpoint="http://127.0.0.1:2379"} 1.2582912e+09
etcd_db_total_size_in_bytes{endpoint="http://127.0.0.1:4002"} 3.221225472e+09
"""


def test_etcd_size_takes_the_main_store_and_keeps_the_events_store() -> None:
    samples = parse_metrics(TWO_STORES)
    sizes = etcd_sizes_from_metrics(samples, "http://127.0.0.1:2379", "/events#http://127.0.0.1:4002")
    assert (sizes.size, sizes.events_size) == (1258291200, 3221225472)
    assert sizes.metric == "etcd_db_total_size_in_bytes" and "--etcd-servers" in (sizes.basis or "")
    blind = etcd_sizes_from_metrics(samples)  # managed control plane: no flags to sort the series by
    assert blind.size == 3221225472 and blind.events_size is None
    assert "largest of 2 series" in (blind.basis or "") and "events store" in (blind.basis or "")


def test_etcd_size_of_the_1_36_scrape_says_which_series() -> None:
    sizes = etcd_sizes_from_metrics(parse_metrics((REAL / "metrics" / "apiserver_1.36_storage.txt").read_text()))
    assert sizes.size == 2224128 and sizes.basis == 'storage_cluster_id="etcd-0"'


def test_metrics_1_30_scraped_before_the_first_count() -> None:
    """elastic/beats metrics.1.30: right after start the apiserver reports 0 namespaces, 0 nodes, 0 pods, while
    a LIST returned 8 nodes: the counts have not been computed, and the collector must count by lists."""
    text = (REAL / "metrics" / "apiserver_1.30_storage.txt").read_text()
    counts, _ = counts_from_metrics(parse_metrics(text))
    assert (
        counts["namespaces"] == 0
        and counts["nodes"] == 0
        and counts["clusterrolebindings.rbac.authorization.k8s.io"] == 56
    )
    assert not counts_are_computed(counts)
    assert counts_are_computed(
        counts_from_metrics(parse_metrics((REAL / "metrics" / "apiserver_1.36_storage.txt").read_text()))[0]
    )
    assert etcd_sizes_from_metrics(parse_metrics(text)).size == 1212416


def recorded_wide_pod_rows() -> list[dict[str, Any]]:
    """Table rows whose cells are the recorded ``kubectl get -o wide pod`` columns of a real kind cluster
    (robusta-dev/holmesgpt): kubectl prints the server's Table cells as they are, split here at the header's
    column starts. Row conditions are not printed by kubectl, so these rows carry none."""
    lines = (REAL / "pods" / "kind_get_pods_wide.txt").read_text().splitlines()
    names = [c["name"].upper() for c in POD_COLUMNS]
    starts = [lines[0].index(n) for n in names]
    bounds = [*starts[1:], None]
    return [{"cells": [line[a:b].strip() for a, b in zip(starts, bounds, strict=True)]} for line in lines[1:]]


def test_recorded_finished_pods_print_statuses_a_live_pod_prints_too() -> None:
    """A real cluster's finished Job pods print "Completed" and "Error", the same words a Running pod between
    restarts prints: from the cells alone the tally counts nothing as finished and asks for the phase selector."""
    rows = recorded_wide_pod_rows()
    statuses = [r["cells"][2] for r in rows]
    assert statuses.count("Completed") == 1 and statuses.count("Error") == 8
    assert {"Running", "ImagePullBackOff", "CrashLoopBackOff", "Init:CrashLoopBackOff", "Pending"} <= set(statuses)
    tally = PodTally()
    tally.add({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "columnDefinitions": POD_COLUMNS, "rows": rows})
    assert tally.total == 35 and tally.terminal == 0 and not tally.conditions_seen
    assert tally.needs_phase_selector  # the finished pods are told apart by status.phase, not by their Status
    assert tally.unclear == 10  # Completed, eight Error and Init:CrashLoopBackOff (a Failed pod can print it)
    assert tally.unscheduled == 2 and dict(tally.per_node) == {"kind-double-node-worker": 32,
                                                               "kind-double-node-control-plane": 1}  # fmt: skip
    assert tally.containers == sum(int(r["cells"][1].split("/")[1]) for r in rows)  # pending pods included


def test_pod_table_recorded_from_a_real_cluster() -> None:
    """WeBankFinTech/Dockin-Ops keeps a pod Table a real (1.14-era) apiserver returned: meta.k8s.io/v1beta1, eight
    columns (no Readiness Gates), Restarts typed integer with an integer cell, no row conditions (the printer
    sets none for a running pod), and the PartialObjectMetadata of includeObject=Metadata."""
    table = load_json("pods_table_v1beta1.json")
    assert table["apiVersion"] == "meta.k8s.io/v1beta1" and len(table["columnDefinitions"]) == 8
    tally = PodTally(records=[])
    tally.add(table)
    assert (tally.total, tally.terminal, tally.unscheduled) == (1, 0, 0)
    assert dict(tally.per_node) == {"192-168-1-195": 1} and tally.containers == 1
    assert not tally.needs_phase_selector  # "Running": only a live pod prints it
    (record,) = tally.records
    assert (record.namespace, record.name, record.ip) == ("dockin", "dockin-test-test", "192.168.1.43")
    assert record.labels["subsystem"] == "dockin-test" and record.owner is None
