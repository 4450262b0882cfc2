"""The audit run: collect every source concurrently, merge views of one cluster, score, write the report set."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import CollectorError, EvaluatorError, InputError
from ..fileio import write_json
from ..findings import VENDOR_TARGETS, Evaluation, GeneratedQuestion, VendorAnswers
from ..inventory import Gap, Snapshot, load_snapshot, save_snapshot, snapshot_filename, utc_now
from ..merge import merge_snapshots, merge_warnings, short_name
from ..procurement.bank import QuestionBank
from ..reporting.context import ReportContext, build_report_context
from .config import AuditConfig, EksSource, EtcdSource, GkeSource, KubeSource

# Report files, in the order they are written; questions.xlsx follows when EKS or GKE is among the targets.
REPORT_FILES = (
    ("report.html", "html"),
    ("report.md", "md"),
    ("findings.json", "json"),
    ("findings.csv", "csv"),
    ("findings.xlsx", "xlsx"),
    ("junit.xml", "junit"),
    ("metrics.prom", "openmetrics"),
)
QUESTION_VENDORS = ("eks", "gke")
MAX_WORKERS = 4

# progress(event, label, detail): event is "start", "done", "failed" or "info".
Progress = Callable[[str, str, str], None]


# ------------------------------------------------------------------------------------------------ scoring


def build_context(
    snapshots: Sequence[Snapshot | str | os.PathLike[str]],
    *,
    targets: list[str] | None = None,
    policy: str | os.PathLike[str] | None = None,
    costs: str | os.PathLike[str] | None = None,
    answers: Sequence[str | os.PathLike[str]] = (),
    title: str | None = None,
    fail_on: str | None = None,
    notices: Sequence[str] = (),
    now: str | None = None,
    jurisdictions: Sequence[str] | None = None,
) -> ReportContext:
    """Load (if paths), score, generate vendor questions, score answer files, and build the report context.

    ``jurisdictions`` (default UK and EU) words the vendor questions' data-location and regulatory parts."""
    from ..catalog.loader import load_catalog
    from ..procurement import load_bank
    from ..scoring.cost import load_cost_assumptions
    from ..scoring.engine import evaluate
    from ..scoring.metrics import METRICS
    from ..scoring.policy import load_policy

    loaded = [s if isinstance(s, Snapshot) else load_snapshot(s) for s in snapshots]
    catalog = load_catalog(metrics=METRICS)
    pol = load_policy(policy, catalog) if policy else None
    assumptions = load_cost_assumptions(costs)
    evaluation = evaluate(loaded, catalog, targets, policy=pol, costs=assumptions, now=now)
    bank = load_bank()
    questions = generate_vendor_questions(loaded, evaluation, bank, jurisdictions)
    scored = score_answer_files(answers, bank, sent={v: [q.id for q in qs] for v, qs in questions.items()})
    return build_report_context(
        evaluation,
        loaded,
        catalog,
        questions=questions or None,
        answers=scored or None,
        title=title,
        notices=notices,
        fail_on=fail_on,
    )


def generate_vendor_questions(
    snapshots: Sequence[Snapshot],
    evaluation: Evaluation,
    bank: QuestionBank | None = None,
    jurisdictions: Sequence[str] | None = None,
) -> dict[str, list[GeneratedQuestion]]:
    """The procurement questions per vendor whose targets are in the evaluation (``bank``: the shipped one)."""
    from ..procurement import generate_questions, load_bank

    bank = bank or load_bank()
    out: dict[str, list[GeneratedQuestion]] = {}
    for vendor in QUESTION_VENDORS:
        if any(t in evaluation.targets for t in VENDOR_TARGETS[vendor]):
            out[vendor] = list(generate_questions(list(snapshots), evaluation, vendor, bank, jurisdictions))
    return out


def score_answer_files(
    paths: Sequence[str | os.PathLike[str]],
    bank: QuestionBank | None = None,
    *,
    sent: Mapping[str, Sequence[str]] | None = None,
) -> list[VendorAnswers]:
    """Import and score filled question workbooks; a bad file is an InputError naming the file and cell.

    ``sent`` (vendor -> question ids) is what was asked of each vendor: rows missing from a sheet are listed
    and missing gates fail. A vendor not in ``sent`` must carry every gate of the bank asked of it.
    """
    if not paths:
        return []
    from ..procurement import import_answers, load_bank, score_answers

    bank = bank or load_bank()
    scored: list[VendorAnswers] = []
    for path in paths:
        for sheet in import_answers(path, bank):
            scored.append(score_answers(sheet, bank, (sent or {}).get(sheet.vendor)))
    return scored


# ------------------------------------------------------------------------------------------------ collection


@dataclass
class CollectionResult:
    """Snapshots collected from all sources, and what went wrong on the way (as readable sentences)."""

    snapshots: list[Snapshot]
    warnings: list[str]
    gaps: list[Gap]


def _collect_one(source: Any) -> tuple[list[Snapshot], list[Gap]]:
    if isinstance(source, KubeSource):
        from ..collectors.kube import collect_kube

        snap = collect_kube(
            source.kubeconfig,
            source.context,
            name=source.name,
            platform=source.platform,
            policy_model=source.policy_model,
        )
        return [snap], []
    if isinstance(source, EtcdSource):
        from ..collectors.etcd import collect_etcd

        snap = collect_etcd(
            source.endpoints, cacert=source.cacert, cert=source.cert, key=source.key, name=source.cluster
        )
        return [snap], []
    if isinstance(source, EksSource):
        from ..collectors.eks import collect_eks

        result = collect_eks(regions=source.regions, clusters=source.clusters, profiles=(source.profile,))
        return list(result.snapshots), list(result.gaps)
    if isinstance(source, GkeSource):
        from ..collectors.gke import collect_gke, make_gke_client

        with make_gke_client(source.endpoint) as client:  # closes the transport's HTTP session
            snaps, gaps = collect_gke(client, source.projects, source.locations or None, source.clusters)
        return list(snaps), list(gaps)
    raise TypeError(f"unknown source {source!r}")


def collect_sources(config: AuditConfig, *, progress: Progress | None = None) -> CollectionResult:
    """Collect every source of ``config`` concurrently, then merge etcd and cloud views into kube snapshots.

    A failing source becomes a warning; :class:`CollectorError` is raised only when nothing was collected.
    """
    say = progress or (lambda event, label, detail: None)
    sources: list[Any] = [*config.kube, *config.eks, *config.gke, *config.etcd]
    results: dict[int, list[Snapshot]] = {}
    warnings: list[str] = []
    gaps: list[Gap] = []
    failed_etcd: dict[str, str] = {}
    first_error: EvaluatorError | None = None
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(sources) or 1), thread_name_prefix="audit") as pool:
        futures = {}
        for i, source in enumerate(sources):
            say("start", source.label, "")
            futures[pool.submit(_timed, source)] = i
        for future in as_completed(futures):
            i = futures[future]
            source = sources[i]
            try:
                (snaps, source_gaps), seconds = future.result()
            except EvaluatorError as exc:
                first_error = first_error or exc
                warnings.append(f"{source.label}: not collected: {exc}")
                if isinstance(source, EtcdSource):
                    failed_etcd[short_name(source.cluster)] = str(exc)
                say("failed", source.label, str(exc))
                continue
            results[i] = snaps
            gaps.extend(source_gaps)
            for gap in source_gaps:
                warnings.append(f"{source.label}: {gap.item}: {gap.reason}")
            names = ", ".join(s.cluster.name for s in snaps) or "no clusters found"
            say("done", source.label, f"{names} ({seconds:.1f} s)")
    ordered = [snap for i in sorted(results) for snap in results[i]]
    if not ordered:
        if isinstance(first_error, CollectorError):
            raise type(first_error)(f"nothing was collected; first failure: {first_error}", hint=first_error.hint)
        raise CollectorError(
            "nothing was collected" + (f"; first failure: {first_error}" if first_error else ""),
            hint="Check the sources in the audit configuration and your credentials",
        )
    merged = _merge_views(ordered, [type(sources[i]) for i in sorted(results) for _ in results[i]], warnings)
    # An etcd source that failed leaves its cluster without the direct etcd view: say so on that cluster.
    merged = [
        s.with_gap("etcd", "etcd", f"direct etcd read failed: {failed_etcd[short_name(s.cluster.name)]}")
        if short_name(s.cluster.name) in failed_etcd
        else s
        for s in merged
    ]
    return CollectionResult(merged, warnings, gaps)


def _timed(source: Any) -> tuple[tuple[list[Snapshot], list[Gap]], float]:
    start = time.monotonic()
    out = _collect_one(source)
    return out, time.monotonic() - start


def _merge_views(snaps: list[Snapshot], kinds: list[type], warnings: list[str] | None = None) -> list[Snapshot]:
    """Fold cloud (EKS/GKE) and etcd snapshots into the kube snapshot of the same cluster where one exists."""
    kube = [s for s, k in zip(snaps, kinds, strict=True) if k is KubeSource]
    others = [(s, k) for s, k in zip(snaps, kinds, strict=True) if k is not KubeSource]
    out = list(kube)
    for snap, kind in others:
        for i, base in enumerate(out):
            if kind is EtcdSource and short_name(base.cluster.name) != short_name(snap.cluster.name):
                continue
            try:
                out[i] = merge_snapshots(base, snap)
                if warnings is not None:
                    warnings.extend(merge_warnings(base, snap))
                break
            except InputError:
                continue  # not the same cluster
        else:
            out.append(snap)
    return out


# ------------------------------------------------------------------------------------------------ the audit


@dataclass
class AuditResult:
    """What an audit wrote and found."""

    out: Path
    files: list[Path]
    evaluation: Evaluation
    warnings: list[str]
    gate_tripped: bool
    gate_count: int = 0
    context: ReportContext | None = None  # what the report was rendered from (attention list, summary)


def default_out_dir(today: datetime | None = None) -> Path:
    """``reports/<YYYY-MM-DD>`` for today (UTC)."""
    day = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    return Path("reports") / day


def write_outputs(
    context: ReportContext,
    snapshots: Sequence[Snapshot],
    out: Path,
    *,
    fail_on: str | None = None,
    progress: Progress | None = None,
    templates: Sequence[str] = (),
) -> list[Path]:
    """Write snapshots, every report format and the vendor question workbook into ``out``, then ``manifest.json``.

    The manifest (every file with its size and SHA-256) is removed first and written last: a folder without one
    holds an interrupted or concurrent run's mix of old and new files.
    """
    from ..reporting.render import costs_csv_path, render_report

    say = progress or (lambda event, label, detail: None)
    manifest = out / MANIFEST
    try:
        manifest.unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(f"{manifest}: cannot remove the previous manifest: {exc.strerror or exc}") from None
    files: list[Path] = []
    snap_dir = out / "snapshots"
    taken: set[str] = set()
    for snap in snapshots:
        name = snapshot_filename(snap)
        n = 1
        while name in taken:  # two sources that name the same cluster at the same second keep both snapshots
            n += 1
            name = snapshot_filename(snap).removesuffix(".json") + f"-{n}.json"
        taken.add(name)
        files.append(save_snapshot(snap, snap_dir / name))
    for name, fmt in REPORT_FILES:
        files.append(render_report(context, fmt, out / name, fail_on=fail_on, templates=list(templates)))
        if fmt == "csv" and context.evaluation is not None and context.evaluation.costs:
            files.append(costs_csv_path(out / name))  # written beside the findings CSV
        say("info", name, "written")
    if context.raw_questions:
        from ..procurement import write_questions
        from ..procurement.sheets import write_vendor_workbooks

        evaluation = context.evaluation
        assert evaluation is not None
        path = out / "questions.xlsx"
        write_questions(
            context.raw_questions, path, clusters=list(evaluation.clusters), generated_at=evaluation.generated_at
        )
        files.append(path)
        say("info", "questions.xlsx", "written")
        # One workbook per vendor to send (no reviewer columns, no other vendor's questions).
        for extra in write_vendor_workbooks(
            context.raw_questions,
            out,
            clusters=list(evaluation.clusters),
            generated_at=evaluation.generated_at,
            buyer_copy=None,  # questions.xlsx above is the buyer's copy
        ):
            files.append(extra)
            say("info", extra.name, "written")
    write_manifest(out, files)
    return files


MANIFEST = "manifest.json"


def write_manifest(out: Path, files: Sequence[Path]) -> Path:
    """Write ``out/manifest.json``: the run's files (relative path, bytes, SHA-256) and when; atomically."""
    import hashlib

    entries = []
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        entries.append({"path": str(path.relative_to(out)), "bytes": path.stat().st_size, "sha256": digest.hexdigest()})
    doc = {"schema": "k8seval/audit-manifest/v1", "written_at": utc_now(), "files": entries}
    return write_json(out / MANIFEST, doc)


def run_audit(
    config: AuditConfig,
    *,
    out: str | os.PathLike[str] | None = None,
    fail_on: str | None = None,
    targets: list[str] | None = None,
    progress: Progress | None = None,
    with_policies: str | os.PathLike[str] | None = None,
) -> AuditResult:
    """Check the files ``config`` names, then collect, score and write everything; command-line values win.

    ``with_policies``: planned NetworkPolicies (file or folder) scored as a what-if beside each cluster.

    Every kube source's kubeconfig and context are checked first: a missing file or an unknown context is bad
    input (exit 2) before anything is collected.
    """

    planned = None
    if with_policies is not None:
        from ..dataplane.whatif import load_planned

        planned = load_planned(with_policies)  # a bad planned file fails before anything is collected
        config = dataclasses.replace(config, kube=[dataclasses.replace(k, policy_model=True) for k in config.kube])
    from .checks import check_config

    check_config(config)
    collected = collect_sources(config, progress=progress)
    notices = [f"Not collected or partly collected: {w}" for w in collected.warnings]
    return finish_audit(
        with_policies_snapshots(collected.snapshots, with_policies, planned),
        out=Path(out or config.out or default_out_dir()),
        fail_on=fail_on or config.fail_on,
        targets=targets or config.targets,
        policy=config.policy,
        costs=config.costs,
        title=config.title,
        notices=notices,
        warnings=collected.warnings,
        progress=progress,
        answers=config.answers,
        templates=[config.templates] if config.templates else [],
        jurisdictions=config.jurisdictions,
    )


def with_policies_snapshots(
    snapshots: list[Snapshot], path: str | os.PathLike[str] | None, planned: Any | None
) -> list[Snapshot]:
    """``snapshots`` plus their what-if copies after the planned policies of ``path`` (unchanged when None);
    ``planned``: what :func:`~evaluator.dataplane.whatif.load_planned` read from ``path``, when already read."""
    if path is None:
        return snapshots
    from ..dataplane.whatif import whatif_snapshots

    return whatif_snapshots(snapshots, path, planned)


def finish_audit(
    snapshots: list[Snapshot],
    *,
    out: Path,
    fail_on: str | None,
    targets: list[str] | None,
    policy: str | None,
    costs: str | None,
    title: str | None,
    notices: Sequence[str],
    warnings: list[str],
    progress: Progress | None,
    answers: Sequence[str] = (),
    templates: Sequence[str] = (),
    jurisdictions: Sequence[str] | None = None,
) -> AuditResult:
    say = progress or (lambda event, label, detail: None)
    say("start", "score", "")
    context = build_context(
        snapshots,
        targets=targets,
        policy=policy,
        costs=costs,
        answers=answers,
        title=title,
        fail_on=fail_on,
        notices=notices,
        jurisdictions=jurisdictions,
    )
    evaluation = context.evaluation
    assert evaluation is not None
    say("done", "score", f"{len(evaluation.findings):,} findings for {len(evaluation.clusters)} cluster(s)")
    files = write_outputs(context, snapshots, out, fail_on=fail_on, progress=progress, templates=templates)
    gate = context.gate or {"tripped": False, "count": 0}
    return AuditResult(out, files, evaluation, warnings, gate["tripped"], gate["count"], context)
