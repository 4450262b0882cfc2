"""``k8seval audit``: collect, score, report and write the question list in one command."""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

from ..errors import GateTripped, InputError
from ..storage import is_remote, parse_location, publish_folder
from .support import fail_on_option, targets_option, with_policies_option


class _PlainProgress:
    """One line per event on stderr (for logs and CI, where a live display would garble)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, event: str, label: str, detail: str) -> None:
        words = {"start": "started", "done": "done", "failed": "FAILED", "info": ""}[event]
        text = " ".join(x for x in (label, words, detail) if x)
        with self.lock:
            click.echo(f"[{time.monotonic() - self.start:5.1f}s] {text}", err=True)

    def close(self) -> None:
        """Nothing to tidy up."""


class _RichProgress:
    """A live rich display on stderr: a spinner per running source, a line per finished one."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console, transient=True
        )
        self.tasks: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.progress.start()

    def __call__(self, event: str, label: str, detail: str) -> None:
        from rich.markup import escape

        with self.lock:
            if event == "start":
                self.tasks[label] = self.progress.add_task(escape(label), total=None)
                return
            task = self.tasks.pop(label, None)
            if task is not None:
                self.progress.remove_task(task)
            mark = {"done": "[green]✓[/]", "failed": "[red]✗[/]", "info": "[blue]•[/]"}[event]
            self.console.print(f"{mark} {escape(label)} {escape(detail)}")

    def close(self) -> None:
        """Stop the live display."""
        self.progress.stop()


@click.command(name="audit")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit configuration YAML (sources, targets, policy, costs, output); schema below.",
)
@click.option("--sample", is_flag=True, help="Audit the built-in simulated bank cluster (no configuration needed).")
@click.option(
    "--out",
    type=str,
    default=None,
    help="Output folder or s3:// / gs:// prefix. Default: the configuration's 'out', else reports/<YYYY-MM-DD>.",
)
@fail_on_option
@targets_option(
    "Compare only these targets (repeatable). Default: the configuration's, else all.", "--targets", "--target"
)
@with_policies_option
def command(
    config_path: Path | None,
    sample: bool,
    out: str | None,
    fail_on: str | None,
    targets: tuple[str, ...],
    with_policies: Path | None,
) -> None:
    """Collect every configured source, score it, and write the full report set and vendor question lists.

    Sources are collected concurrently; one that fails is reported and the audit goes on (exit 3 only
    when nothing at all was collected). Written to the output folder: report.html, report.md,
    findings.json, findings.csv, findings.xlsx, junit.xml, questions.xlsx and snapshots/*.json.
    With --fail-on LEVEL the exit code is 1 when any finding reaches LEVEL, after everything is written.

    \b
    Configuration (k8seval.yaml; relative paths are from the file's folder):
      title: "Platform fit: payments"      out: reports/payments
      targets: [self-hosted, eks, gke]     policy: policy.yaml
      costs: costs.yaml                    fail_on: at-risk
      sources:
        kube:  [{context: prod-eu-1, kubeconfig: ~/.kube/prod.yaml, name: prod-eu-1, platform: self-hosted}]
        etcd:  [{cluster: prod-eu-1, endpoints: [https://10.0.0.11:2379],
                 cacert: ca.crt, cert: client.crt, key: client.key}]
        eks:   [{profile: bank-prod, regions: [eu-west-2], clusters: [payments-eks]}]
        gke:   [{projects: [bank-prod-123], locations: [europe-west2], clusters: [payments-gke],
                 endpoint: https://container.googleapis.com}]

    \b
    --sample starts the simulator with the 'bank' profile on 127.0.0.1 and audits it over HTTP, with
    two simulated earlier snapshots (80% and 90% of its size) so the report shows growth forecasts.

    \b
    Example:
      k8seval audit --sample --out reports/sample
      k8seval audit --config k8seval.yaml --fail-on blocker
      k8seval audit --sample --with-policies planned/ --out reports/rollout
    """
    from ..audit import load_config, run_audit, run_sample

    if sample == bool(config_path):
        raise InputError("give exactly one of --config FILE or --sample")
    config = load_config(config_path) if config_path else None
    remote = out or (config.out if config else None)
    remote = remote if remote and is_remote(remote) else None
    if remote:
        parse_location(remote)  # a bad bucket name is refused before anything is collected
    progress: Any = _RichProgress() if sys.stderr.isatty() else _PlainProgress()
    with tempfile.TemporaryDirectory(prefix="k8seval-audit-") as staging:
        local_out = staging if remote else out
        try:
            if config is not None:
                result = run_audit(
                    config,
                    out=local_out,
                    fail_on=fail_on,
                    targets=list(targets) or None,
                    progress=progress,
                    with_policies=with_policies,
                )
            else:
                result = run_sample(
                    out=local_out,
                    fail_on=fail_on,
                    targets=list(targets) or None,
                    progress=progress,
                    with_policies=with_policies,
                )
        finally:
            progress.close()
        if remote:
            # Written locally first, then uploaded: a failed run leaves the bucket as it was.
            urls = publish_folder(result.out, remote)
    for warning in result.warnings:
        click.echo(f"k8seval: warning: {warning}", err=True)
    if remote:
        location = parse_location(remote)
        click.echo(f"wrote {len(urls)} objects to {location.url} (open {location.url}report.html)", err=True)
    else:
        click.echo(f"wrote {len(result.files)} files to {result.out}/ (open {result.out / 'report.html'})", err=True)
    level = fail_on or (config.fail_on if config else None)
    if result.gate_tripped:
        raise GateTripped(
            f"--fail-on {level}: {result.gate_count} finding(s) reach {level}; "
            f"reports written to {remote or result.out}"
        )
