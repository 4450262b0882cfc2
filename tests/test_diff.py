"""`k8seval diff`, `report --baseline` and `score --fail-on-new`: what changed between two audits."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from evaluator.cli import cli
from evaluator.findings import CSV_COLUMNS
from evaluator.inventory import EtcdInventory, Snapshot, save_snapshot
from evaluator.scoring.diff import FindingState, classify, diff_findings, flatten_facts, new_or_worse
from tests.factories import make_snapshot


def _grown() -> Snapshot:
    """prod-1 a month later: etcd at 7.9 GB (at-risk against the 8 GiB quota) and 50 more nodes."""
    snap = make_snapshot("prod-1", collected_at="2026-12-01T10:00:00Z")
    etcd = EtcdInventory(db_size_bytes=7_900_000_000, db_size_in_use_bytes=7_000_000_000, source="etcd")
    return replace(snap, etcd=etcd, nodes=replace(snap.nodes, count=200))


@pytest.fixture
def audits(tmp_path: Path) -> tuple[Path, Path]:
    old = save_snapshot(make_snapshot("prod-1"), tmp_path / "old" / "prod-1.json")
    new = save_snapshot(_grown(), tmp_path / "new" / "prod-1.json")
    return old, new


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        (None, "at-risk", "new"),
        ("ok", "watch", "new"),
        (None, "ok", "unchanged"),
        ("watch", "blocker", "worse"),
        ("unknown", "at-risk", "worse"),
        ("unknown", "watch", "changed"),
        ("blocker", "watch", "better"),
        ("at-risk", "ok", "resolved"),
        ("at-risk", None, "resolved"),
        ("blocker", "blocker", "unchanged"),
        ("ok", None, "unchanged"),
    ],
)
def test_classify(old: str | None, new: str | None, change: str) -> None:
    assert classify(old, new) == change


def test_new_or_worse_gate_ignores_what_was_already_there() -> None:
    old = [FindingState("a", "eks", "nodes", "blocker"), FindingState("a", "eks", "etcd", "ok")]
    new = [FindingState("a", "eks", "nodes", "blocker"), FindingState("a", "eks", "etcd", "at-risk")]
    hits = new_or_worse(diff_findings(old, new), "at-risk")
    assert [(h.constraint, h.change) for h in hits] == [("etcd", "new")]
    assert new_or_worse(diff_findings(old, new), "blocker") == []


def test_flatten_facts_leaves_out_run_metadata() -> None:
    facts = flatten_facts(make_snapshot())
    assert facts["nodes.count"] == 150 and facts["objects.pods"] == 4500 and facts["cluster.version"] == "1.29.4"
    assert not any(k.startswith(("collection", "collected_at", "gaps", "schema")) for k in facts)


def test_diff_of_two_snapshots_as_json(audits: tuple[Path, Path]) -> None:
    old, new = audits
    result = _run("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "k8seval/diff/v1"
    changed = {(c["target"], c["constraint"]): c["change"] for c in doc["findings"] if c["change"] != "unchanged"}
    assert changed[("self-hosted", "etcd_db_size")] == "new"
    assert changed[("eks", "etcd_db_size")] == "new"
    assert changed[("gke", "etcd_db_size")] == "changed"  # unknown (no published limit) -> watch
    facts = {f["fact"]: f for f in doc["facts"]}
    assert facts["nodes.count"]["old"] == 150 and facts["nodes.count"]["new"] == 200
    assert facts["nodes.count"]["delta"] == 50 and facts["nodes.count"]["percent"] == 33.3
    assert facts["etcd.db_size_bytes"]["new"] == 7_900_000_000
    assert doc["counts"]["new"] >= 2 and doc["facts_from"] == "snapshots"


def test_diff_of_two_findings_files_agrees_with_the_snapshots(audits: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = audits
    for side, snap in (("old", old), ("new", new)):
        assert _run("score", str(snap), "--format", "json", "-o", str(tmp_path / f"{side}.json")).exit_code == 0
    from_findings = json.loads(_run("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format",
                                    "json").stdout)  # fmt: skip
    from_snaps = json.loads(_run("diff", str(old), str(new), "--format", "json").stdout)

    def changes(doc: dict) -> set:
        return {(c["target"], c["constraint"], c["change"]) for c in doc["findings"]}

    assert changes(from_findings) == changes(from_snaps)
    assert from_findings["facts_from"] == "findings"
    assert any(f["fact"] == "etcd_db_size" for f in from_findings["facts"])


def test_diff_of_two_folders_with_a_cluster_added(audits: tuple[Path, Path]) -> None:
    old, new = audits
    save_snapshot(make_snapshot("prod-2", collected_at="2026-12-01T10:00:00Z"), new.parent / "prod-2.json")
    result = _run("diff", str(old.parent), str(new.parent), "--format", "md")
    assert result.exit_code == 0, result.output
    assert "# Audit diff" in result.stdout
    assert "Clusters added: prod-2; removed: none." in result.stdout
    assert "| New | prod-1 | Self-hosted |" in result.stdout
    assert "| prod-1 | `nodes.count` | 150 | 200 | +50 (+33.3%) |" in result.stdout


def test_diff_table(audits: tuple[Path, Path]) -> None:
    result = _run("diff", str(audits[0]), str(audits[1]))
    assert result.exit_code == 0
    assert "Findings whose status changed" in result.stdout and "Facts that moved" in result.stdout
    assert "ok -> at-risk" in result.stdout.replace("→", "->")


def test_diff_bad_input_exits_2(tmp_path: Path, audits: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": [{"cluster": "a"}]}')
    result = CliRunner().invoke(cli, ["diff", str(bad), str(audits[1])])
    assert result.exit_code == 2 and "bad.json: findings[0].target: required" in result.stderr
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "missing.json"), str(audits[1])])
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_score_fail_on_new(audits: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = audits
    baseline = tmp_path / "baseline.json"
    assert _run("score", str(old), "--format", "json", "-o", str(baseline)).exit_code == 0
    # The old snapshot has watch and blocker findings of its own: against itself nothing is new.
    same = CliRunner().invoke(cli, ["score", str(old), "--baseline", str(baseline), "--fail-on-new", "watch"])
    assert same.exit_code == 0, same.output
    assert CliRunner().invoke(cli, ["score", str(old), "--fail-on", "watch"]).exit_code == 1
    grown = CliRunner().invoke(cli, ["score", str(new), "--baseline", str(baseline), "--fail-on-new", "at-risk"])
    assert grown.exit_code == 1
    assert "--fail-on-new at-risk: 2 finding(s) new or worse" in grown.stderr
    assert "(ok -> at-risk)" in grown.stderr
    # A snapshot folder works as the baseline too.
    folder = CliRunner().invoke(cli, ["score", str(new), "--baseline", str(old.parent), "--fail-on-new", "blocker"])
    assert folder.exit_code == 0, folder.output
    usage = CliRunner().invoke(cli, ["score", str(new), "--fail-on-new", "at-risk"])
    assert usage.exit_code == 2 and "--fail-on-new needs --baseline" in usage.output


def test_report_since_last_audit(audits: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = audits
    baseline = tmp_path / "baseline.json"
    assert _run("report", str(old), "--format", "json", "-o", str(baseline)).exit_code == 0
    md = tmp_path / "r.md"
    assert _run("report", str(new), "--baseline", str(baseline), "-o", str(md)).exit_code == 0
    text = md.read_text()
    assert "## Since last audit" in text
    assert "| New | prod-1 | Self-hosted | etcd database size |".lower() in text.lower()
    assert "since last audit: new" in text
    html = tmp_path / "r.html"
    assert _run("report", str(new), "--baseline", str(baseline), "-o", str(html)).exit_code == 0
    page = html.read_text()
    assert 'id="since"' in page and "new since last audit" in page
    doc = json.loads(_run("report", str(new), "--baseline", str(baseline), "--format", "json", "-o",
                          str(tmp_path / "r.json")).stderr and (tmp_path / "r.json").read_text())  # fmt: skip
    assert doc["report"]["since_last_audit"]["counts"]["new"] >= 2
    # Without --baseline the report has no such section.
    plain = tmp_path / "p.md"
    _run("report", str(new), "-o", str(plain))
    assert "Since last audit" not in plain.read_text()


def test_report_since_last_audit_column_in_csv_and_xlsx(audits: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = audits
    baseline = tmp_path / "baseline.json"
    assert _run("report", str(old), "--format", "json", "-o", str(baseline)).exit_code == 0
    now = tmp_path / "now.json"
    assert _run("report", str(new), "--format", "json", "-o", str(now)).exit_code == 0
    diff = tmp_path / "diff.json"
    assert _run("diff", str(baseline), str(now), "--format", "json", "-o", str(diff)).exit_code == 0
    # The change of every current finding, as `k8seval diff` of the two findings files gives it.
    expected = {
        (c["cluster"], c["target"], c["constraint"]): c["change"]
        for c in json.loads(diff.read_text())["findings"]
        if c["new_status"] is not None
    }
    assert {"new", "unchanged"} <= set(expected.values())

    out = tmp_path / "f.csv"
    assert _run("report", str(new), "--baseline", str(baseline), "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == [*CSV_COLUMNS, "since_last_audit"]
    assert {(r["cluster"], r["target"], r["constraint"]): r["since_last_audit"] for r in rows} == expected
    # score --format csv gives the same column, and the same CSV as the report's.
    scored = tmp_path / "s.csv"
    assert _run("score", str(new), "--baseline", str(baseline), "--format", "csv", "-o", str(scored)).exit_code == 0
    assert scored.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")

    book = tmp_path / "f.xlsx"
    assert _run("report", str(new), "--baseline", str(baseline), "-o", str(book)).exit_code == 0
    wb = load_workbook(book)
    assert wb.sheetnames[:3] == ["Summary", "Findings", "Since last audit"]
    findings = list(wb["Findings"].iter_rows(values_only=True))
    assert findings[0][-1] == "Since last audit" and wb["Findings"].auto_filter.ref.startswith("A1:K")
    assert {(r[0], r[1], r[2]): r[-1] for r in findings[1:]} == expected
    since = list(wb["Since last audit"].iter_rows(values_only=True))
    assert since[0][:4] == ("Change", "Cluster", "Target", "Constraint")
    assert ("new", "prod-1", "self-hosted", "etcd_db_size") in {r[:4] for r in since[1:]}
    assert ("Baseline", str(baseline)) in {r[:2] for r in since}

    # Without --baseline the CSV keeps exactly its documented columns and the workbook has no such column or sheet.
    plain = tmp_path / "p.csv"
    assert _run("report", str(new), "-o", str(plain)).exit_code == 0
    assert next(csv.reader(plain.open(encoding="utf-8"))) == list(CSV_COLUMNS)
    plain_scored = tmp_path / "ps.csv"
    assert _run("score", str(new), "--format", "csv", "-o", str(plain_scored)).exit_code == 0
    assert plain_scored.read_text(encoding="utf-8") == plain.read_text(encoding="utf-8")
    plain_book = tmp_path / "p.xlsx"
    assert _run("report", str(new), "-o", str(plain_book)).exit_code == 0
    wb = load_workbook(plain_book)
    assert "Since last audit" not in wb.sheetnames and wb["Findings"]["K1"].value is None


def test_an_audit_folder_with_findings_is_refused_with_a_hint(audits: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "audit"
    folder.mkdir()
    assert _run("score", str(audits[0]), "--format", "json", "-o", str(folder / "findings.json")).exit_code == 0
    result = CliRunner().invoke(cli, ["report", str(folder), "-o", str(tmp_path / "r.md")])
    assert result.exit_code == 2
    assert "findings.json: a findings file, not a snapshot" in result.stderr and "snapshots/" in result.stderr
    assert not (tmp_path / "r.md").exists()
