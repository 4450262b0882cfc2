"""``k8seval questions``: snapshots in, a spreadsheet (or Markdown/CSV) of measured questions out; exit codes."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import save_snapshot
from tests.questionnaire_support import bank_snapshot


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    return save_snapshot(bank_snapshot(), tmp_path / "snap.json")


def _questions(path: Path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).value for r in range(2, ws.max_row + 1)}


def test_xlsx_quotes_measured_figures(tmp_path: Path, snap: Path) -> None:
    out = tmp_path / "q.xlsx"
    result = CliRunner().invoke(
        cli, ["questions", str(snap), "--vendor", "eks", "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["About", "eks", "eks review"]
    questions = _questions(out, "eks")
    assert "8,000 NetworkPolicies" in questions["net_policy_scale"]
    assert "1,500 nodes" in questions["net_policy_scale"]
    assert "5.1 GiB" in questions["cps_etcd_capacity"]
    assert "--max-requests-inflight" in questions["cpa_custom_flags"]
    # Findings from the scoring engine drive triggers: the custom apiserver flags are an EKS blocker.
    assert "cps_blocking_limits" in questions
    assert "Amazon EKS:" in result.output and "questions" in result.output
    assert "1. " in result.output and "[knock-out]" in result.output
    assert "scoring engine not available" not in result.output


def test_defaults_write_questions_xlsx_for_eks_and_gke(tmp_path: Path, snap: Path) -> None:
    runner = CliRunner()
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        result = runner.invoke(cli, ["questions", str(snap)], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "questions.xlsx")
    assert wb.sheetnames == ["About", "eks", "eks review", "gke", "gke review"]
    assert "Google GKE:" in result.output


def test_markdown_csv_and_self_hosted_baseline(tmp_path: Path, snap: Path) -> None:
    runner = CliRunner()
    md = tmp_path / "baseline.md"
    result = runner.invoke(
        cli, ["questions", str(snap), "--vendor", "self-hosted", "-o", str(md)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert "## Self-hosted (current platform)" in text and "8,000 NetworkPolicies" in text
    csv_out = tmp_path / "q.csv"
    result = runner.invoke(cli, ["questions", str(snap), "-o", str(csv_out)], catch_exceptions=False)
    assert result.exit_code == 0
    header = csv_out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("vendor,id,priority,domain,question")


def test_user_bank(tmp_path: Path, snap: Path) -> None:
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        yaml.safe_dump(
            {
                "questions": [
                    {
                        "id": "our_only_question",
                        "domain": "CPS",
                        "title": "Pods",
                        "text": "We run {{ facts.pods.count | count }} pods.",
                        "why": "Scale.",
                        "trigger": "always",
                        "answer_type": "text",
                        "weight": 2,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "q.xlsx"
    result = CliRunner().invoke(
        cli, ["questions", str(snap), "--bank", str(bank), "--vendor", "gke", "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert _questions(out, "gke") == {"our_only_question": "We run 45,000 pods."}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["questions", "{missing}"], "file not found"),
        (["questions", "{bad}"], "not valid JSON"),
        (["questions", "{snap}", "-o", "{tmp}/q.txt"], "use a .xlsx, .md or .csv file name"),
        (["questions", "{snap}", "--vendor", "aks"], "Invalid value for '--vendor'"),
        (["questions"], "Missing argument"),
        (["questions", "{snap}", "--bank", "{badbank}"], "weight must be 1 to 5"),
    ],
    ids=["missing", "bad-json", "bad-extension", "bad-vendor", "no-snapshot", "bad-bank"],
)
def test_bad_input_exits_2(tmp_path: Path, snap: Path, args: list[str], message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    badbank = tmp_path / "badbank.yaml"
    badbank.write_text(
        yaml.safe_dump(
            {
                "questions": [
                    {
                        "id": "q_one",
                        "domain": "CPS",
                        "title": "t",
                        "text": "x",
                        "why": "y",
                        "trigger": "always",
                        "answer_type": "text",
                        "weight": 7,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    values = {"missing": tmp_path / "nope.json", "bad": bad, "snap": snap, "tmp": tmp_path, "badbank": badbank}
    argv = [a.format(**values) for a in args]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "questions.xlsx").exists()


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["questions", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example:" in result.output and "--vendor" in result.output
