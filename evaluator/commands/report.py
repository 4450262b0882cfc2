"""``k8seval report``: the vendor comparison report from snapshots, in HTML, Markdown, JSON, CSV, XLSX or JUnit."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import GateTripped
from ..reporting.render import FORMATS
from .support import (
    apply_with_policies,
    costs_option,
    fail_on_option,
    latest_option,
    load_inputs,
    policy_option,
    push_openmetrics,
    push_option,
    refuse_format_as_path,
    snapshots_argument,
    staged_output,
    targets_option,
    with_policies_option,
)


@click.command(name="report")
@snapshots_argument
@click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    help="Report file or s3:// / gs:// object. Default: report.<format> (report.html when no format is given).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="Output format; inferred from the -o extension (.html .md .json .csv .xlsx .xml .prom) when not given.",
)
@click.option(
    "--answers",
    "answers",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A vendor's filled question workbook (repeatable): scored and shown beside the measured fit.",
)
@targets_option("Compare only these targets (repeatable). Default: the policy's targets, else all.")
@click.option(
    "--templates",
    "templates",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of Jinja templates that override the shipped ones by name (repeatable; first wins).",
)
@policy_option
@costs_option
@fail_on_option
@click.option("--title", default=None, help="Report title. Default: 'Platform fit: <cluster>'.")
@latest_option
@click.option(
    "--baseline",
    type=str,
    default=None,
    help="The last audit (a findings JSON, or snapshots): adds a 'since last audit' section and column.",
)
@with_policies_option
@push_option("Also push the metrics (as --format openmetrics) to this Pushgateway, one group per cluster.")
def command(
    snapshots: tuple[str, ...],
    output: str | None,
    fmt: str | None,
    answers: tuple[Path, ...],
    targets: tuple[str, ...],
    templates: tuple[Path, ...],
    policy: Path | None,
    costs: Path | None,
    fail_on: str | None,
    title: str | None,
    latest: int | None,
    baseline: str | None,
    with_policies: Path | None,
    push: str | None,
) -> None:
    """Write the vendor comparison report for SNAPSHOT files (several of one cluster make its history).

    HTML is one self-contained file (no network requests) that prints well; Markdown suits pull
    requests and wikis; JSON is the evaluation plus a summary; CSV has one row per finding; XLSX a sheet
    per section; JUnit a test suite per cluster and target, failing at --fail-on (default at-risk for
    JUnit); OpenMetrics the observed value, limit, headroom and status per constraint as gauges.
    --fail-on LEVEL also exits 1, after the report is written, when any finding reaches LEVEL.

    \b
    Example:
      k8seval report snapshots/*.json
      k8seval report prod.json -o report.md
      k8seval report prod.json --format junit -o junit.xml --fail-on blocker
      k8seval report prod.json --answers answers-eks.xlsx --answers answers-gke.xlsx -o report.html
      k8seval report s3://bank-k8seval/snapshots/ --latest 30 -o s3://bank-k8seval/reports/fleet.html
      k8seval report today/ --baseline reports/2026-11-01/findings.json -o report.html
      k8seval report prod.json --with-policies planned/ -o rollout.html
      k8seval report snapshots/*.json --format openmetrics -o /var/lib/node_exporter/k8seval.prom
      k8seval report snapshots/*.json --format openmetrics --push http://pushgateway:9091
    """
    from ..audit import build_context
    from ..reporting.render import format_for, render_report

    refuse_format_as_path(Path(output) if output else None, FORMATS)
    if push:
        from ..collectors.pushgateway import check_url

        check_url(push)  # a malformed URL is refused before anything is written
    if output is None:
        output = f"report.{ {'junit': 'xml', 'openmetrics': 'prom'}.get(fmt or '', fmt or 'html') }"
    chosen = format_for(Path(output), fmt)
    context = build_context(
        apply_with_policies(load_inputs(snapshots, latest), with_policies),
        targets=list(targets) or None,
        policy=policy,
        costs=costs,
        answers=list(answers),
        title=title,
        fail_on=fail_on,
    )
    if baseline:
        from ..reporting.diff import since_last_audit, with_since
        from ..scoring.diff import diff_findings, states_from_findings
        from .diff import load_side

        assert context.evaluation is not None
        _, old_states, _ = load_side(baseline, list(targets) or None, policy)
        changes = diff_findings(old_states, states_from_findings(context.evaluation.findings))
        context = with_since(context, since_last_audit(changes, baseline))
    with staged_output(output) as local:
        render_report(context, chosen, local, templates=list(templates), fail_on=fail_on)
    path = output
    click.echo(f"wrote {path}", err=True)
    if push:
        push_openmetrics(push, context)
    if context.gate and context.gate["tripped"]:
        count = context.gate["count"]
        raise GateTripped(f"--fail-on {fail_on}: {count} finding(s) reach {fail_on}; report written to {path}")
