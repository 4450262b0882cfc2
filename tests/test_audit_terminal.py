"""What ``k8seval audit`` tells in the terminal: the verdict table, recommendation, urgent items and files;
``--quiet``; what tripped ``--fail-on``; the configuration's files checked before collecting; ``-o json``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from evaluator.audit import AuditConfig, KubeSource, run_audit
from evaluator.audit.run import finish_audit
from evaluator.catalog.loader import load_catalog
from evaluator.cli import cli
from evaluator.commands.audit import gate_lines, render_summary
from evaluator.errors import InputError
from evaluator.reporting.verdict import coverage, rank_targets, recommendation
from evaluator.scoring.engine import evaluate
from tests.factories import make_snapshot

TARGET_LABELS = ("Self-hosted", "Amazon EKS", "GKE Standard", "GKE Autopilot")


@pytest.fixture(scope="module")
def sim_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The simulator's small profile on loopback, and a kubeconfig for it."""
    from evaluator.simulator import Simulator, profile

    folder = tmp_path_factory.mktemp("sim")
    with Simulator(profile("small"), port=0) as sim:
        kubeconfig = folder / "kubeconfig"
        sim.write_kubeconfig(kubeconfig)
        yield kubeconfig


def _config(tmp_path: Path, kubeconfig: Path, extra: str = "") -> Path:
    path = tmp_path / "k8seval.yaml"
    path.write_text(
        f"sources:\n  kube:\n    - {{kubeconfig: {kubeconfig}, name: small-sim}}\n{extra}", encoding="utf-8"
    )
    return path


def test_audit_ends_with_verdict_recommendation_urgent_items_and_files(tmp_path: Path, sim_kubeconfig: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["audit", "--config", str(_config(tmp_path, sim_kubeconfig)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Verdict per cluster and target" in text
    for label in TARGET_LABELS:
        row = next(line for line in text.splitlines() if label in line and "small-sim" in line)
        assert any(v in row for v in ("fits", "does not fit today")) and "%" in row
    assert "Recommendation: " in text and "fits best now" in text
    urgent = [line for line in text.splitlines() if line.startswith(("  1. ", "  2. ", "  3. "))]
    assert len(urgent) == 3 and urgent[0].startswith("  1. BLOCKER small-sim: ")
    assert "  4. " not in text
    assert f"Files written to {out}/:" in text
    for name in ("report.html", "report.md", "findings.json", "findings.csv", "findings.xlsx", "junit.xml"):
        assert f"  {out / name}\n" in text and (out / name).is_file()
    # The order the issue asks for: table, recommendation, urgent items, then the files.
    positions = [text.index(s) for s in ("Verdict per cluster", "Recommendation:", "Most urgent", "Files written")]
    assert positions == sorted(positions)
    assert "Verdict per cluster" not in result.stderr  # progress and warnings stay on stderr


def test_quiet_prints_only_the_files(tmp_path: Path, sim_kubeconfig: Path) -> None:
    out = tmp_path / "out"
    config = _config(tmp_path, sim_kubeconfig)
    result = CliRunner().invoke(cli, ["audit", "--config", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines and all(Path(line).is_file() for line in lines)
    assert {Path(line).name for line in lines} >= {"report.html", "findings.json", "junit.xml"}
    assert any(Path(line).parent.name == "snapshots" for line in lines)
    assert result.stderr == ""  # no progress either


def test_fail_on_names_what_tripped_it_by_cluster_and_constraint(tmp_path: Path, sim_kubeconfig: Path) -> None:
    config = _config(tmp_path, sim_kubeconfig)
    result = CliRunner().invoke(
        cli, ["audit", "--config", str(config), "--out", str(tmp_path / "o"), "--fail-on", "blocker", "-q"]
    )
    assert result.exit_code == 1, result.output
    err = result.stderr.splitlines()
    head = next(i for i, line in enumerate(err) if line.startswith("--fail-on blocker tripped by "))
    hits = [line for line in err[head + 1 :] if line.startswith("  small-sim: ")]
    assert hits, result.stderr
    # Every named pair is really a blocker in findings.csv, on the targets named.
    csv_text = (tmp_path / "o" / "findings.csv").read_text(encoding="utf-8")
    blockers = {(row.split(",")[2], row.split(",")[1]) for row in csv_text.splitlines() if ",blocker," in row}
    for line in hits:
        _, constraint, rest = line.strip().split(": ", 2)
        assert rest.startswith("blocker on ")
        assert any(c == constraint for c, _ in blockers), line
    assert err[-1].startswith("k8seval: error: --fail-on blocker: ")


def test_gate_lines_are_capped_and_counted() -> None:
    snaps = [make_snapshot(f"c{i:02d}", objects={"pods": 200_000}) for i in range(30)]
    evaluation = evaluate(snaps, load_catalog())
    result = SimpleNamespace(evaluation=evaluation)
    lines = gate_lines(result, "blocker")
    assert lines[0].startswith("--fail-on blocker tripped by ")
    assert len(lines) == 1 + 20 + 1 and lines[-1].startswith("  ... and ") and "findings.csv" in lines[-1]


def test_fleet_summary_has_a_row_per_target_and_the_worst_pairs(tmp_path: Path) -> None:
    snaps = [make_snapshot(f"c{i:02d}") for i in range(11)]
    snaps.append(make_snapshot("huge", objects={"pods": 200_000}))
    result = finish_audit(
        snaps,
        out=tmp_path / "o",
        fail_on=None,
        targets=None,
        policy=None,
        costs=None,
        title=None,
        notices=[],
        warnings=[],
        progress=None,
    )
    text = render_summary(result)
    assert "Fleet verdict: 12 clusters" in text and "Worst 10 of 48 cluster-target pairs" in text
    table = text[text.index("Fleet verdict") : text.index("Worst 10")]
    for label in TARGET_LABELS:
        assert label in table
    worst = text[text.index("Worst 10") : text.index("Coverage:")]
    assert "huge" in worst.splitlines()[4]  # the lowest score comes first (after title, blank, header, rule)
    assert "12 clusters" in text[text.index("Recommendation:") :].splitlines()[0]


def test_coverage_and_recommendation_are_the_engines() -> None:
    snaps = [make_snapshot("a", objects={"pods": 200_000})]
    evaluation = evaluate(snaps, load_catalog())
    gke = next(f for f in evaluation.fits if f.target == "gke")
    assert coverage(gke) == gke.coverage and 0 < gke.coverage < 1  # GKE publishes fewer limits: some are unknown
    assert coverage(None) is None
    ranks = rank_targets(evaluation)
    order = {"fits": 0, "fits with work": 1, "does not fit today": 2}
    assert [order[r.verdict] for r in ranks] == sorted(order[r.verdict] for r in ranks)
    assert recommendation(evaluation) == evaluation.recommendation.strip()
    assert "fits best now" in recommendation(evaluation)


# ------------------------------------------------------------------------------------------- config checks


def _policy(tmp_path: Path, text: str) -> str:
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    return "policy: policy.yaml\n"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: _policy(p, "constraints: {no_such_constraint: {watch: 0.5}}"), "no_such_constraint"),
        (lambda p: _policy(p, "targets: [eks, nope]"), "policy.yaml"),
        (lambda p: "costs: missing-costs.yaml\n", "missing-costs.yaml: file not found"),
        (lambda p: "answers: [answers-eks.xlsx]\n", "answers-eks.xlsx: file not found"),
        (lambda p: "templates: no-such-folder\n", "no-such-folder: templates: not a folder"),
    ],
)
def test_config_files_are_checked_before_collecting(
    tmp_path: Path, sim_kubeconfig: Path, setup: object, message: str
) -> None:
    extra = setup(tmp_path)  # type: ignore[operator]
    config_path = _config(tmp_path, sim_kubeconfig, extra)
    from evaluator.audit import load_config

    events: list[tuple[str, str, str]] = []
    with pytest.raises(InputError) as info:
        run_audit(load_config(config_path), out=tmp_path / "o", progress=lambda *e: events.append(e))
    assert message in str(info.value)
    assert events == []  # nothing was collected
    assert not (tmp_path / "o").exists()
    result = CliRunner().invoke(cli, ["audit", "--config", str(config_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_template_syntax_error_is_found_before_collecting(tmp_path: Path, sim_kubeconfig: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "_summary.html").write_text("<p>{% if x %}unclosed</p>\n", encoding="utf-8")
    config_path = _config(tmp_path, sim_kubeconfig, "templates: tpl\n")
    result = CliRunner().invoke(cli, ["audit", "--config", str(config_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "_summary.html:1: template syntax error" in result.stderr
    assert not (tmp_path / "o").exists()


def test_kubeconfig_and_context_and_certificates_are_checked(tmp_path: Path, sim_kubeconfig: Path) -> None:
    missing = AuditConfig(kube=[KubeSource(kubeconfig=str(tmp_path / "nope.yaml"))], source_file="k.yaml")
    with pytest.raises(InputError, match=r"nope.yaml: kubeconfig file not found \(k.yaml: sources.kube\[0\]\)"):
        run_audit(missing, out=tmp_path / "o")
    wrong = AuditConfig(kube=[KubeSource(kubeconfig=str(sim_kubeconfig), context="prod")], source_file="k.yaml")
    with pytest.raises(InputError, match=r"context 'prod' not found .*\(k.yaml: sources.kube\[0\]\)"):
        run_audit(wrong, out=tmp_path / "o")
    config_path = tmp_path / "k8seval.yaml"
    config_path.write_text(
        f"sources:\n  kube: [{{kubeconfig: {sim_kubeconfig}, name: small-sim}}]\n"
        "  etcd: [{cluster: small-sim, endpoints: ['http://127.0.0.1:9'], cacert: pki/ca.crt}]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["audit", "--config", str(config_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "pki/ca.crt: file not found" in result.stderr
    assert "sources.etcd[0].cacert" in result.stderr and not (tmp_path / "o").exists()


def test_config_answers_and_templates_are_used(tmp_path: Path, sim_kubeconfig: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "_methodology.html").write_text('<section id="method"><p>House method note</p></section>\n')
    config_path = _config(tmp_path, sim_kubeconfig, "templates: tpl\n")
    result = CliRunner().invoke(cli, ["audit", "--config", str(config_path), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0, result.output
    assert "House method note" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------- -o FORMAT


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["score", "snap.json", "-o", "json"], "use --format json"),
        (["score", "snap.json", "-o", "CSV"], "use --format csv"),
        (["report", "snap.json", "-o", "json"], "use --format json"),
        (["report", "snap.json", "-o", "html"], "use --format html"),
        (["report", "snap.json", "--output", "junit"], "use --format junit, and -o FILE.xml"),
        (["questions", "snap.json", "-o", "xlsx"], "the extension sets the format (.xlsx, .md, .csv)"),
    ],
)
def test_format_name_as_output_path_is_refused(args: list[str], hint: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "that is a format name, not a file" in result.output and hint in result.output
