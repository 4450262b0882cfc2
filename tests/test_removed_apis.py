"""Deprecated and removed APIs: the apiserver metric parse (on a recorded EKS response) and the scoring per target."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from evaluator.catalog.loader import load_catalog, load_data_yaml
from evaluator.collectors.kube_parse import (
    DEPRECATED_METRICS,
    WANTED_METRICS,
    deprecated_apis_from_metrics,
    parse_metrics,
)
from evaluator.inventory import DeprecatedApiUse
from evaluator.scoring.engine import evaluate
from evaluator.scoring.metrics import METRICS
from evaluator.scoring.metrics_targets import landing_minor
from tests.factories import make_snapshot

REAL = Path(__file__).parent / "fixtures" / "real"
NOW = "2026-12-01T00:00:00Z"


def _parse(text: str) -> list[DeprecatedApiUse] | None:
    return deprecated_apis_from_metrics(parse_metrics(text, WANTED_METRICS | DEPRECATED_METRICS))


def test_recorded_eks_metric_line_parses() -> None:
    text = (REAL / "apiserver_metrics_deprecated_eks.txt").read_text()
    # The recording is the grep of the deprecated gauge alone; an apiserver's /metrics also carries the request
    # counter, which is what tells "none requested" from "not the apiserver's metrics".
    counter = (
        'apiserver_request_total{code="200",component="apiserver",dry_run="",group="policy",'
        'resource="podsecuritypolicies",scope="cluster",subresource="",verb="WATCH",version="v1beta1"} 4000\n'
    )
    uses = _parse(text + counter)
    assert uses == [
        DeprecatedApiUse(
            group="policy", version="v1beta1", resource="podsecuritypolicies", removed_release="1.25", requests=4000
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("go_goroutines 12\n", None),  # not an apiserver's metrics: nothing can be said
        ('apiserver_request_total{group="",resource="pods",verb="LIST",version="v1"} 7\n', []),  # none requested
        (  # gauge at 0: not requested
            'apiserver_request_total{group="",resource="pods",verb="LIST",version="v1"} 7\n'
            'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",resource="cronjobs",'
            'subresource="",version="v1beta1"} 0\n',
            [],
        ),
    ],
)
def test_none_and_unknown_are_told_apart(text: str, expected: list | None) -> None:
    assert _parse(text) == expected


def _using(*uses: DeprecatedApiUse, version: str = "1.24.9", at: str = "2026-11-30T00:00:00Z"):
    snap = make_snapshot(version=version, deprecated_apis=list(uses))
    return replace(snap, collected_at=at)


PDB = DeprecatedApiUse("policy", "v1beta1", "poddisruptionbudgets", removed_release="1.25", requests=4000)
FLOW = DeprecatedApiUse("flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas", removed_release="1.32", requests=12)


@pytest.mark.parametrize(
    ("uses", "target", "status", "count", "words"),
    [
        ([PDB], "eks", "at-risk", 1, "policy/v1beta1 poddisruptionbudgets requested 4,000 times: removed in 1.25"),
        ([PDB], "self-hosted", "at-risk", 1, "removed in 1.25 (use policy/v1)"),
        ([PDB, FLOW], "eks", "at-risk", 2, "and 0 more"),
        ([], "eks", "ok", 0, "no deprecated API requested"),
        ([PDB], "gke", "unknown", None, "GKE per-minor end-of-support dates are not in the catalog"),
    ],
)
def test_removed_api_scoring(uses: list, target: str, status: str, count: float | None, words: str) -> None:
    ev = evaluate([_using(*uses)], load_catalog(), [target], now=NOW)
    f = next(f for f in ev.findings if f.constraint == "removed_apis_in_use")
    assert f.status == status, f.message
    assert f.observed == count
    if words != "and 0 more":
        assert words in f.message


def test_eks_force_date_comes_from_the_calendar() -> None:
    value = METRICS["apis.removed_on_path.eks"](_using(FLOW, version="1.31.2"))
    # 1.31's EKS extended support ended 2026-11-26: EKS already runs 1.32+, which lacks flowcontrol v1beta3.
    assert value.value == 1
    assert "EKS forces that upgrade (end of extended support for 1.31) by 2026-11-26" in value.detail


def test_landing_minor_per_target() -> None:
    snap = _using()
    assert landing_minor(snap, "self-hosted")[0] == (1, 35)  # 1.34 reached end of life on 2026-10-27
    assert landing_minor(snap, "eks")[0] == (1, 32)  # EKS extended support for 1.32 runs to 2027-03-23


def test_removals_table_is_sourced_and_matches_the_metric_label() -> None:
    data = load_data_yaml("removed_apis.yaml")
    assert data["source"]["url"].startswith("https://kubernetes.io/docs/reference/using-api/deprecation-guide")
    rows = {(r["group"], r["version"], res): r["removed_in"] for r in data["removals"] for res in r["resources"]}
    assert rows[("policy", "v1beta1", "podsecuritypolicies")] == "1.25"  # as the recorded metric label says
    assert rows[("flowcontrol.apiserver.k8s.io", "v1beta3", "flowschemas")] == "1.32"
    assert rows[("storage.k8s.io", "v1beta1", "csistoragecapacities")] == "1.27"
