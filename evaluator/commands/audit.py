"""``k8seval audit``: collect, score, report and write the question list in one command."""

from __future__ import annotations

import functools
import io
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

from ..errors import EndpointError, GateTripped, InputError
from ..storage import is_remote, parse_location, publish_folder
from .support import fail_on_option, push_openmetrics, push_option, targets_option, with_policies_option

# Up to this many clusters the verdict table has a row per cluster and target; above it, a row per target
# for the fleet and the worst cluster-target pairs (everything else is in the report).
LONG_TABLE_CLUSTERS = 10
WORST_PAIRS = 10
GATE_LINES = 20  # --fail-on names at most this many cluster x constraint hits; the rest are counted


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
@click.option("-q", "--quiet", is_flag=True, help="Print only the files written (no progress, no verdict).")
@targets_option(
    "Compare only these targets (repeatable). Default: the configuration's, else all.", "--targets", "--target"
)
@with_policies_option
@push_option(
    "After the audit, push every cluster's metrics (as metrics.prom) to this Pushgateway, one group per cluster. "
    "Default: the configuration's 'push'."
)
def command(
    config_path: Path | None,
    sample: bool,
    out: str | None,
    fail_on: str | None,
    quiet: bool,
    targets: tuple[str, ...],
    with_policies: Path | None,
    push: str | None,
) -> None:
    """Collect every configured source, score it, and write the full report set and vendor question lists.

    Sources are collected concurrently; one that fails is reported and the audit goes on (exit 3 only
    when nothing at all was collected). Written to the output folder: report.html, report.md,
    findings.json, findings.csv, findings.xlsx, junit.xml, questions.xlsx (the buyer's copy),
    questions-<vendor>.xlsx (one to send to each vendor), metrics.prom and snapshots/*.json.
    --push URL (or the configuration's 'push') then PUTs each cluster's metrics to a Pushgateway (job
    k8seval, grouping key cluster); a gateway that cannot be reached exits 3 with the files already written.
    With --fail-on LEVEL the exit code is 1 when any finding reaches LEVEL, after everything is written,
    and the findings that reached it are named by cluster and constraint.

    The terminal gets the fleet verdict (cluster x target: verdict, score, coverage), the recommendation,
    the three most urgent items and the files written; --quiet prints only the files.

    \b
    Configuration (k8seval.yaml; relative paths are from the file's folder):
      title: "Platform fit: payments"      out: reports/payments
      targets: [self-hosted, eks, gke]     policy: policy.yaml
      costs: costs.yaml                    fail_on: at-risk
      push: http://pushgateway:9091
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
      k8seval audit --config k8seval.yaml --push http://pushgateway:9091
    """
    from ..audit import load_config, run_audit, run_sample

    if sample == bool(config_path):
        raise InputError("give exactly one of --config FILE or --sample")
    config = load_config(config_path) if config_path else None
    push_url = push or (config.push if config else None)
    if push_url:
        from ..collectors.pushgateway import check_url

        check_url(push_url)  # a malformed URL is refused before anything is collected
    remote = out or (config.out if config else None)
    remote = remote if remote and is_remote(remote) else None
    if remote:
        parse_location(remote)  # a bad bucket name is refused before anything is collected
    progress: Any = _quiet_progress if quiet else _RichProgress() if sys.stderr.isatty() else _PlainProgress()
    urls: list[str] = []
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
            urls = [str(u) for u in publish_folder(result.out, remote)]
    for warning in result.warnings:
        click.echo(f"k8seval: warning: {warning}", err=True)
    where = parse_location(remote).url if remote else None
    if quiet:
        for written in urls or result.files:
            click.echo(str(written))
    else:
        click.echo(render_summary(result, color=sys.stdout.isatty(), uploaded=urls, where=where), nl=False)
        if remote:
            click.echo(f"wrote {len(urls)} objects to {where} (open {where}report.html)", err=True)
    if push_url and result.context is not None:
        try:
            push_openmetrics(push_url, result.context)
        except EndpointError as exc:
            written = f"the audit's files are written to {remote or result.out}"
            raise EndpointError(exc.message, hint=f"{exc.hint}; {written}" if exc.hint else written) from None
    level = fail_on or (config.fail_on if config else None)
    if result.gate_tripped and level:
        for line in gate_lines(result, level):
            click.echo(line, err=True)
        raise GateTripped(
            f"--fail-on {level}: {result.gate_count} finding(s) reach {level}; "
            f"reports written to {remote or result.out}"
        )


def _quiet_progress(event: str, label: str, detail: str) -> None:
    """--quiet: no progress lines."""


_quiet_progress.close = lambda: None  # type: ignore[attr-defined]

_VERDICT_STYLES = {"fits": "green", "fits with work": "dark_orange", "does not fit today": "bold red"}


def render_summary(
    result: Any, *, color: bool = False, width: int = 100, uploaded: list[str] | None = None, where: str | None = None
) -> str:
    """The audit's closing text: verdict table, recommendation, three most urgent items, files written.

    ``uploaded`` and ``where``: the objects written to an s3:// or gs:// prefix, listed instead of local files.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..reporting.environment import target_label
    from ..reporting.verdict import coverage, rank_targets, recommendation, urgent_items

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="auto" if color else None, force_terminal=color)
    say = functools.partial(console.print, highlight=False, soft_wrap=True)  # long lines wrap in the terminal
    evaluation = result.evaluation
    fits = {(f.cluster, f.target): f for f in evaluation.fits}

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    def pair_row(cluster: str, target: str) -> list[Any]:
        fit = fits.get((cluster, target))
        verdict = fit.verdict if fit else "not scored"
        score = f"{fit.score:.0f} {fit.grade}" if fit else "—"
        return [
            cluster,
            target_label(target),
            Text(verdict, style=_VERDICT_STYLES.get(verdict, "")),
            score,
            pct(coverage(fit)),
        ]

    n = len(evaluation.clusters)
    pairs = [(c, t) for c in evaluation.clusters for t in evaluation.targets]
    if n > LONG_TABLE_CLUSTERS:
        fleet = Table(title=f"Fleet verdict: {n:,} clusters", title_justify="left", box=box.SIMPLE_HEAD)
        fleet.add_column("Target")
        for name in ("Fits", "Fits with work", "Does not fit today", "Mean score", "Coverage"):
            fleet.add_column(name, justify="right")
        for rank in rank_targets(evaluation):
            verdicts = [fits[(c, rank.target)].verdict for c in evaluation.clusters if (c, rank.target) in fits]
            fleet.add_row(
                target_label(rank.target),
                f"{verdicts.count('fits'):,}",
                f"{verdicts.count('fits with work'):,}",
                f"{verdicts.count('does not fit today'):,}",
                "—" if rank.score is None else f"{rank.score:.0f}",
                pct(rank.coverage),
            )
        console.print(fleet)
        pairs = sorted(pairs, key=lambda p: (fits[p].score if p in fits else 101.0, p))[:WORST_PAIRS]
        title = f"Worst {len(pairs)} of {n * len(evaluation.targets):,} cluster-target pairs"
    else:
        title = "Verdict per cluster and target"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("Cluster", "Target", "Verdict"):
        table.add_column(name, overflow="fold")
    for name in ("Score", "Coverage"):
        table.add_column(name, justify="right")
    for cluster, target in pairs:
        table.add_row(*pair_row(cluster, target))
    console.print(table)
    say("Coverage: the share of the catalog's limits that could be checked.", style="dim")
    say("")
    say(Text("Recommendation: ", style="bold") + Text(recommendation(evaluation)))
    attention = result.context.attention if result.context is not None else []
    say("")
    if attention:
        say(f"Most urgent ({min(3, len(attention))} of {len(attention):,} to act on):", style="bold")
        for i, line in enumerate(urgent_items(attention, 3), start=1):
            say(f"  {i}. {line}")
    else:
        say("Most urgent: nothing at risk or blocking.", style="bold")
    say("")
    if uploaded:
        say(f"Objects written to {where}:", style="bold")
        for url in uploaded:
            if "/snapshots/" not in url:
                say(f"  {url}")
        snap_urls = [u for u in uploaded if "/snapshots/" in u]
        if snap_urls:
            say(f"  {where}snapshots/ ({len(snap_urls)} snapshot{'s' if len(snap_urls) != 1 else ''})")
        say(f"Open {where}report.html")
    else:
        say(f"Files written to {result.out}/:", style="bold")
        for path in result.files:
            if path.parent.name != "snapshots":
                say(f"  {path}")
        snaps = [p for p in result.files if p.parent.name == "snapshots"]
        if snaps:
            say(f"  {snaps[0].parent}/ ({len(snaps)} snapshot{'s' if len(snaps) != 1 else ''})")
        say(f"Open {result.out / 'report.html'}")
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())  # no padding at line ends


def gate_lines(result: Any, level: str) -> list[str]:
    """What tripped --fail-on: one line per cluster and constraint (at most GATE_LINES, the rest counted)."""
    from ..reporting.environment import target_label
    from ..reporting.verdict import gate_hits

    hits = gate_hits(result.evaluation.findings, level)
    lines = [f"--fail-on {level} tripped by {len(hits):,} cluster x constraint pair(s):"]
    for cluster, constraint, status, targets in hits[:GATE_LINES]:
        lines.append(f"  {cluster}: {constraint}: {status} on {', '.join(target_label(t) for t in targets)}")
    if len(hits) > GATE_LINES:
        lines.append(f"  ... and {len(hits) - GATE_LINES:,} more (findings.csv lists them all)")
    return lines
