"""apiserver_requested_deprecated_apis as real apiservers expose it: the recorded scrapes parse, the simulator's
/metrics writes the family line for line as recorded, and collect kube reads it back with the request counts."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

from evaluator.collectors.kube import collect_kube
from evaluator.collectors.kube_parse import DEPRECATED_METRICS, deprecated_apis_from_metrics, parse_metrics
from evaluator.errors import InputError
from evaluator.inventory import DeprecatedApiUse
from evaluator.simulator import Simulator, parse_spec

REAL = Path(__file__).parent / "fixtures" / "real"
RECORDED = REAL / "apiserver_metrics_deprecated_kubent.txt"

# The four deprecated APIs of the recording, as a spec would request them.
USES = [
    {"group": "", "version": "v1", "resource": "componentstatuses", "requests": 3},
    {"group": "policy", "version": "v1beta1", "resource": "poddisruptionbudgets", "removed_release": "1.25",
     "requests": 1200},
    {"group": "policy", "version": "v1beta1", "resource": "podsecuritypolicies", "removed_release": "1.25",
     "requests": 41},
    {"group": "storage.k8s.io", "version": "v1beta1", "resource": "csistoragecapacities", "removed_release": "1.27",
     "requests": 9},
]  # fmt: skip


def _spec(version: str, uses: list[dict] = USES, name: str = "dep"):
    data = {"name": name, "nodes": 3, "pods": 20, "namespaces": 5, "version": version}
    return parse_spec(yaml.safe_dump(data | {"deprecated_api_requests": uses}), where="spec")


def test_recorded_scrape_parses_with_an_empty_removed_release_as_none():
    counter = 'apiserver_request_total{code="200",group="",resource="pods",verb="LIST",version="v1"} 7\n'
    uses = deprecated_apis_from_metrics(parse_metrics(RECORDED.read_text() + counter, DEPRECATED_METRICS))
    assert [(u.group, u.resource, u.removed_release, u.requests) for u in uses] == [
        ("", "componentstatuses", None, None),  # deprecated, no removal planned; no counter series recorded
        ("policy", "poddisruptionbudgets", "1.25", None),
        ("policy", "podsecuritypolicies", "1.25", None),
        ("storage.k8s.io", "csistoragecapacities", "1.27", None),
    ]


def test_simulator_writes_the_family_as_the_recorded_scrape():
    with Simulator(_spec("1.28.9")) as sim:
        text = requests.get(sim.url + "/metrics", timeout=30).text
    family = [line for line in text.splitlines() if "apiserver_requested_deprecated_apis" in line]
    assert family == RECORDED.read_text().splitlines()


def test_collect_kube_reads_the_uses_and_their_requests_from_the_simulator(tmp_path):
    with Simulator(_spec("1.24.17")) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kubeconfig")))
    assert snap.deprecated_apis == [
        DeprecatedApiUse(
            group=u["group"],
            version=u["version"],
            resource=u["resource"],
            removed_release=u.get("removed_release"),
            requests=u["requests"],  # LIST and WATCH series summed
        )
        for u in USES
    ]
    assert "deprecated_apis" not in {g.item for g in snap.gaps}


def test_without_deprecated_requests_the_family_is_absent_and_kube_reads_none(tmp_path):
    with Simulator(_spec("1.29.4", [])) as sim:
        text = requests.get(sim.url + "/metrics", timeout=30).text
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kubeconfig")))
    assert "apiserver_requested_deprecated_apis" not in text
    assert snap.deprecated_apis == []  # the apiserver's own /metrics: none requested since it started


@pytest.mark.parametrize(
    ("version", "uses", "message"),
    [
        ("1.18.20", USES[:1], "exists from Kubernetes 1.19"),
        ("1.29.4", [USES[0] | {"requests": 0}], "deprecated_api_requests[0].requests: must be at least 1"),
        ("1.29.4", [USES[1] | {"removed_release": "v1.25"}], "expected a minor like '1.25'"),
        ("1.29.4", [USES[0] | {"version": "beta"}], "expected a version like 'v1beta1'"),
        ("1.29.4", [USES[0], USES[0]], "each group/version/resource/subresource once"),
        ("1.29.4", [USES[1] | {"group": 'po"licy'}], "deprecated_api_requests[0].group: expected a lower-case"),
        ("1.29.4", [USES[1] | {"resource": ""}], "deprecated_api_requests[0].resource: expected a lower-case"),
    ],
)
def test_spec_errors_name_the_field(version, uses, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        _spec(version, uses)
