"""A server (or a proxy) that ignores the metadata-only request and answers with full Secrets: the collector
drops the answer (the values are never kept), records a gap, and the snapshot carries no Secret data."""

from __future__ import annotations

import json
from pathlib import Path

from evaluator.collectors.kube import collect_kube
from evaluator.inventory import save_snapshot
from evaluator.simulator import Faults, Simulator, profile


def test_full_secrets_are_dropped_with_a_gap(tmp_path: Path) -> None:
    faults = Faults(not_found=["/metrics"], ignore_metadata_only=["secrets"])
    with Simulator(profile("small"), faults=faults) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), qps=200)
        assert sim.secret_data_served  # the server did send Secret data
    assert "secrets" not in snap.objects
    gap = snap.gap_for("objects.secrets")
    assert gap is not None and "full Secret objects" in gap.reason, snap.gaps
    assert snap.objects.get("configmaps")  # the rest of the collection went on
    text = save_snapshot(snap, tmp_path / "s.json").read_text()
    assert '"data"' not in text and "stringData" not in text
    json.loads(text)


def test_metadata_only_answers_still_count(tmp_path: Path) -> None:
    with Simulator(profile("small"), faults=Faults(not_found=["/metrics"])) as sim:
        snap = collect_kube(str(sim.write_kubeconfig(tmp_path / "kc")), qps=200)
        assert snap.objects["secrets"] == sim.expected_counts()["secrets"]
        assert snap.gap_for("objects.secrets") is None
