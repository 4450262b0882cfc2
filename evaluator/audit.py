"""``k8seval audit``: collect every configured source, score, and write the full report set in one go.

Audit configuration (``k8seval.yaml``)
--------------------------------------

One YAML file names the sources to collect and where the results go. Every key is optional except that
at least one source must be listed. Relative paths are resolved against the folder of the file.

.. code-block:: yaml

    title: "Platform fit: payments estate"      # report title (default: "Platform fit: <cluster>")
    out: reports/payments                         # output folder (default: reports/<YYYY-MM-DD>; --out wins)
    targets: [self-hosted, eks, gke]              # default: the policy's targets, else all four
    policy: policy.yaml                           # thresholds, overrides, exclusions (k8seval score --policy)
    costs: costs.yaml                             # cost assumptions (default: the shipped assumptions)
    fail_on: at-risk                              # exit 1 when a finding reaches this (--fail-on wins)

    sources:
      kube:                                       # Kubernetes API, one entry per cluster
        - context: prod-eu-1                      # kubeconfig context (default: the current context)
          kubeconfig: ~/.kube/prod.yaml           # default: $KUBECONFIG / ~/.kube/config
          name: prod-eu-1                         # cluster name in the report (default: from the kubeconfig)
          platform: self-hosted                   # override detection: self-hosted | eks | gke | ...
      etcd:                                       # direct etcd reads, merged into that cluster's snapshot
        - cluster: prod-eu-1                      # the cluster name the kube source produces
          endpoints: [https://10.0.0.11:2379, https://10.0.0.12:2379]
          cacert: pki/etcd-ca.crt
          cert: pki/etcd-client.crt
          key: pki/etcd-client.key
      eks:                                        # Amazon EKS through boto3 (AWS_ENDPOINT_URL is honoured)
        - profile: bank-prod                      # AWS profile (default: the default credential chain)
          regions: [eu-west-2, eu-west-1]         # "all" for every enabled region
          clusters: [payments-eks]                # default: every cluster found
      gke:                                        # Google GKE through google-cloud-container
        - projects: [bank-prod-123]
          locations: [europe-west2]               # default: all locations ("-")
          clusters: [payments-gke]                # default: every cluster found
          endpoint: https://container.googleapis.com   # another API endpoint (PSC, an emulator)

A kube source whose cluster is also found by an EKS or GKE source is merged with it (the cloud view
plus the in-cluster view); an etcd source is merged into the kube snapshot of its ``cluster``.

Behaviour
---------

Sources are collected concurrently (a small thread pool). A source that fails (unreachable, no
credentials, access denied) becomes a warning in the terminal and a notice in the report; the audit
goes on. When nothing at all was collected the audit stops with exit code 3. Everything is written to
the output folder:

    report.html  report.md  findings.json  findings.csv  findings.xlsx  junit.xml  metrics.prom
    questions.xlsx (a sheet per vendor)  snapshots/<platform>-<cluster>-<time>.json

With ``--fail-on LEVEL`` the exit code is 1 when any finding reaches LEVEL, after everything is written.

``--sample`` needs no configuration: it starts the built-in simulator with the ``bank`` profile on
127.0.0.1 and audits it over HTTP exactly as it would a real cluster. To show growth forecasts it also
collects the same simulated cluster scaled to 80% and 90% of its size, dated 180 and 90 days earlier;
the report says plainly that this is simulated history of a simulated cluster.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import CollectorError, EvaluatorError, InputError
from .fileio import load_yaml
from .findings import ALL_STATUSES, TARGETS, Evaluation, GeneratedQuestion, VendorAnswers
from .inventory import PLATFORMS, Gap, Snapshot, load_snapshot, save_snapshot, snapshot_filename
from .merge import merge_snapshots, short_name
from .questionbank import QuestionBank
from .questionnaire_facts import VENDOR_TARGETS
from .reporting.context import ReportContext, build_report_context

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
SAMPLE_HISTORY = ((180, 0.8), (90, 0.9), (0, 1.0))  # (days before now, scale of the bank spec)
MAX_WORKERS = 4
SAMPLE_QPS = 1000.0

# progress(event, label, detail): event is "start", "done", "failed" or "info".
Progress = Callable[[str, str, str], None]


# ------------------------------------------------------------------------------------------------ config


@dataclass(frozen=True)
class KubeSource:
    """A Kubernetes API to collect (one cluster)."""

    context: str | None = None
    kubeconfig: str | None = None
    name: str | None = None
    platform: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"kube {self.name or self.context or 'current context'}"


@dataclass(frozen=True)
class EtcdSource:
    """An etcd cluster to read directly, belonging to ``cluster``."""

    cluster: str
    endpoints: list[str]
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"etcd {self.cluster}"


@dataclass(frozen=True)
class EksSource:
    """EKS clusters of one AWS profile in some regions."""

    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    clusters: list[str] | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"eks {self.profile or 'default profile'} {','.join(self.regions) or 'default region'}"


@dataclass(frozen=True)
class GkeSource:
    """GKE clusters of some projects and locations."""

    projects: list[str]
    locations: list[str] = field(default_factory=list)
    clusters: list[str] | None = None
    endpoint: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"gke {','.join(self.projects)}"


@dataclass(frozen=True)
class AuditConfig:
    """A validated audit configuration (see the module docstring for the YAML)."""

    kube: list[KubeSource] = field(default_factory=list)
    etcd: list[EtcdSource] = field(default_factory=list)
    eks: list[EksSource] = field(default_factory=list)
    gke: list[GkeSource] = field(default_factory=list)
    targets: list[str] | None = None
    policy: str | None = None
    costs: str | None = None
    out: str | None = None
    fail_on: str | None = None
    title: str | None = None
    source_file: str | None = None

    @property
    def source_count(self) -> int:
        """Number of configured sources."""
        return len(self.kube) + len(self.etcd) + len(self.eks) + len(self.gke)


class _Fields:
    """Reads one mapping of the config, naming file and field in every error."""

    def __init__(self, data: Any, where: str, path: str, allowed: Sequence[str]) -> None:
        if not isinstance(data, dict):
            raise InputError(f"{where}: {path or 'top level'}: expected a mapping, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            prefix = f"{path}." if path else ""
            raise InputError(f"{where}: {prefix}{unknown[0]}: unknown field (expected one of {', '.join(allowed)})")
        self.data, self.where, self.path, self.base = data, where, path, Path(where).parent

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError(f"{self.where}: {self._name(key)}: required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value).strip() == "":
            raise InputError(f"{self.where}: {self._name(key)}: expected a non-empty string, got {value!r}")
        return str(value)

    def path_value(self, key: str) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        p = Path(os.path.expanduser(value))
        return str(p if p.is_absolute() else self.base / p)

    def texts(self, key: str, *, required: bool = False) -> list[str] | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError(f"{self.where}: {self._name(key)}: required")
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(f"{self.where}: {self._name(key)}: expected a list of strings, got {value!r}")
        if required and not value:
            raise InputError(f"{self.where}: {self._name(key)}: must not be empty")
        return list(value)

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            raise InputError(f"{self.where}: {self._name(key)}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    def entries(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(f"{self.where}: {self._name(key)}: expected a list of entries, got {type(value).__name__}")
        return value


def parse_config(data: Any, where: str) -> AuditConfig:
    """Validate parsed YAML as an audit configuration; errors name ``where`` and the field."""
    top = _Fields(data, where, "", ("title", "out", "targets", "policy", "costs", "fail_on", "sources"))
    targets = top.texts("targets")
    for i, t in enumerate(targets or []):
        if t not in TARGETS:
            raise InputError(f"{where}: targets[{i}]: unknown target {t!r} (expected one of {', '.join(TARGETS)})")
    sources = _Fields(data.get("sources") or {}, where, "sources", ("kube", "etcd", "eks", "gke"))
    kube = []
    for i, item in enumerate(sources.entries("kube")):
        f = _Fields(item, where, f"sources.kube[{i}]", ("context", "kubeconfig", "name", "platform"))
        kube.append(
            KubeSource(f.text("context"), f.path_value("kubeconfig"), f.text("name"), f.choice("platform", PLATFORMS))
        )
    etcd = []
    for i, item in enumerate(sources.entries("etcd")):
        f = _Fields(item, where, f"sources.etcd[{i}]", ("cluster", "endpoints", "cacert", "cert", "key"))
        endpoints = f.texts("endpoints", required=True) or []
        for j, url in enumerate(endpoints):
            if not url.startswith(("http://", "https://")):
                raise InputError(f"{where}: sources.etcd[{i}].endpoints[{j}]: expected an http(s) URL, got {url!r}")
        cert, key = f.path_value("cert"), f.path_value("key")
        if bool(cert) != bool(key):
            raise InputError(f"{where}: sources.etcd[{i}]: cert and key must be given together")
        etcd.append(EtcdSource(f.text("cluster", required=True) or "", endpoints, f.path_value("cacert"), cert, key))
    eks = []
    for i, item in enumerate(sources.entries("eks")):
        f = _Fields(item, where, f"sources.eks[{i}]", ("profile", "regions", "clusters"))
        eks.append(EksSource(f.text("profile"), f.texts("regions") or [], f.texts("clusters")))
    gke = []
    for i, item in enumerate(sources.entries("gke")):
        f = _Fields(item, where, f"sources.gke[{i}]", ("projects", "locations", "clusters", "endpoint"))
        gke.append(
            GkeSource(
                f.texts("projects", required=True) or [],
                f.texts("locations") or [],
                f.texts("clusters"),
                f.text("endpoint"),
            )
        )
    config = AuditConfig(
        kube=kube,
        etcd=etcd,
        eks=eks,
        gke=gke,
        targets=targets,
        policy=top.path_value("policy"),
        costs=top.path_value("costs"),
        out=top.path_value("out"),
        fail_on=top.choice("fail_on", ALL_STATUSES),
        title=top.text("title"),
        source_file=where,
    )
    if config.source_count == 0:
        raise InputError(f"{where}: sources: list at least one source (kube, etcd, eks or gke)")
    return config


def load_config(path: str | os.PathLike[str]) -> AuditConfig:
    """Read and validate an audit configuration file; any problem is an InputError naming the file and field."""
    data = load_yaml(path)
    return parse_config(data if data is not None else {}, str(Path(path)))


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
) -> ReportContext:
    """Load (if paths), score, generate vendor questions, score answer files, and build the report context."""
    from .catalog.loader import load_catalog
    from .questionnaire import load_bank
    from .scoring.cost import load_cost_assumptions
    from .scoring.engine import evaluate
    from .scoring.policy import load_policy

    loaded = [s if isinstance(s, Snapshot) else load_snapshot(s) for s in snapshots]
    catalog = load_catalog()
    pol = load_policy(policy, catalog) if policy else None
    assumptions = load_cost_assumptions(costs)
    evaluation = evaluate(loaded, catalog, targets, policy=pol, costs=assumptions, now=now)
    bank = load_bank()
    questions = generate_vendor_questions(loaded, evaluation, bank)
    scored = score_answer_files(answers, bank)
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
    snapshots: Sequence[Snapshot], evaluation: Evaluation, bank: QuestionBank | None = None
) -> dict[str, list[GeneratedQuestion]]:
    """The procurement questions per vendor whose targets are in the evaluation (``bank``: the shipped one)."""
    from .questionnaire import generate_questions, load_bank

    bank = bank or load_bank()
    out: dict[str, list[GeneratedQuestion]] = {}
    for vendor in QUESTION_VENDORS:
        if any(t in evaluation.targets for t in VENDOR_TARGETS[vendor]):
            out[vendor] = list(generate_questions(list(snapshots), evaluation, vendor, bank))
    return out


def score_answer_files(
    paths: Sequence[str | os.PathLike[str]], bank: QuestionBank | None = None
) -> list[VendorAnswers]:
    """Import and score filled question workbooks; a bad file is an InputError naming the file and cell."""
    if not paths:
        return []
    from .questionnaire import import_answers, load_bank, score_answers

    bank = bank or load_bank()
    scored: list[VendorAnswers] = []
    for path in paths:
        for sheet in import_answers(path, bank):
            scored.append(score_answers(sheet, bank))
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
        from .collectors.kube import collect_kube

        snap = collect_kube(source.kubeconfig, source.context, name=source.name, platform=source.platform)
        return [snap], []
    if isinstance(source, EtcdSource):
        from .collectors.etcd import collect_etcd

        snap = collect_etcd(
            source.endpoints, cacert=source.cacert, cert=source.cert, key=source.key, name=source.cluster
        )
        return [snap], []
    if isinstance(source, EksSource):
        from .collectors.eks import collect_eks

        result = collect_eks(regions=source.regions, clusters=source.clusters, profiles=(source.profile,))
        return list(result.snapshots), list(result.gaps)
    if isinstance(source, GkeSource):
        from .collectors.gke import collect_gke, make_gke_client

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
    merged = _merge_views(ordered, [type(sources[i]) for i in sorted(results) for _ in results[i]])
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


def _merge_views(snaps: list[Snapshot], kinds: list[type]) -> list[Snapshot]:
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
) -> list[Path]:
    """Write snapshots, every report format and the vendor question workbook into ``out``."""
    from .reporting.render import render_report

    say = progress or (lambda event, label, detail: None)
    files: list[Path] = []
    snap_dir = out / "snapshots"
    for snap in snapshots:
        files.append(save_snapshot(snap, snap_dir / snapshot_filename(snap)))
    for name, fmt in REPORT_FILES:
        files.append(render_report(context, fmt, out / name, fail_on=fail_on))
        say("info", name, "written")
    if context.raw_questions:
        from .questionnaire import write_questions

        evaluation = context.evaluation
        assert evaluation is not None
        path = out / "questions.xlsx"
        write_questions(
            context.raw_questions, path, clusters=list(evaluation.clusters), generated_at=evaluation.generated_at
        )
        files.append(path)
        say("info", "questions.xlsx", "written")
    return files


def run_audit(
    config: AuditConfig,
    *,
    out: str | os.PathLike[str] | None = None,
    fail_on: str | None = None,
    targets: list[str] | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Collect, score and write everything for ``config``; command-line values win over the file's."""
    collected = collect_sources(config, progress=progress)
    notices = [f"Not collected or partly collected: {w}" for w in collected.warnings]
    return _finish(
        collected.snapshots,
        out=Path(out or config.out or default_out_dir()),
        fail_on=fail_on or config.fail_on,
        targets=targets or config.targets,
        policy=config.policy,
        costs=config.costs,
        title=config.title,
        notices=notices,
        warnings=collected.warnings,
        progress=progress,
    )


def _finish(
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
) -> AuditResult:
    say = progress or (lambda event, label, detail: None)
    say("start", "score", "")
    context = build_context(
        snapshots, targets=targets, policy=policy, costs=costs, title=title, fail_on=fail_on, notices=notices
    )
    evaluation = context.evaluation
    assert evaluation is not None
    say("done", "score", f"{len(evaluation.findings):,} findings for {len(evaluation.clusters)} cluster(s)")
    files = write_outputs(context, snapshots, out, fail_on=fail_on, progress=progress)
    gate = context.gate or {"tripped": False, "count": 0}
    return AuditResult(out, files, evaluation, warnings, gate["tripped"], gate["count"])


# ------------------------------------------------------------------------------------------------ the sample


SAMPLE_NOTICE = (
    "Sample audit of a simulated cluster: the built-in simulator's 'bank' profile, served on 127.0.0.1 and "
    "collected over HTTP like a real cluster. The two earlier snapshots are simulated history (the same "
    "cluster scaled to {early} and {mid} of its size, dated {early_days} and {mid_days} days before the "
    "latest) so that the report can show growth forecasts. No real cluster was measured."
)


def scale_spec(spec: Any, factor: float) -> Any:
    """The simulator spec ``spec`` with its sizes scaled by ``factor`` (node pools kept summing to the workers)."""
    from .simulator.spec import validate

    def s(value: int | None, floor: int = 0) -> int | None:
        return None if value is None else max(floor, round(value * factor))

    control = spec.control_plane_nodes or 0
    nodes = max(control + 1, round(spec.nodes * factor))
    workers = nodes - control
    pools = list(spec.node_pools)
    if pools:
        total = sum(p.count for p in pools) or 1
        counts = [round(p.count * workers / total) for p in pools]
        counts[-1] = workers - sum(counts[:-1])
        pools = [dataclasses.replace(p, count=c) for p, c in zip(pools, counts, strict=True)]
    scaled = dataclasses.replace(
        spec,
        nodes=nodes,
        node_pools=pools,
        pods=s(spec.pods),
        namespaces=s(spec.namespaces, 4),
        services=s(spec.services, 2),
        network_policies=s(spec.network_policies),
        etcd_db_size_bytes=s(spec.etcd_db_size_bytes),
        etcd_db_size_in_use_bytes=s(spec.etcd_db_size_in_use_bytes),
        events=s(spec.events),
        calico_policies=s(spec.calico_policies),
        calico_global_policies=s(spec.calico_global_policies),
        cilium_policies=s(spec.cilium_policies),
        cilium_clusterwide_policies=s(spec.cilium_clusterwide_policies),
        configmaps=None,  # derived again from the namespaces by validate()
        secrets=None,
    )
    return validate(scaled, f"sample history at {factor:.0%}")


def collect_sample(*, progress: Progress | None = None, now: datetime | None = None) -> list[Snapshot]:
    """Serve the ``bank`` profile (and two scaled-down pasts) on loopback and collect each over HTTP."""
    from .collectors.kube import collect_kube
    from .simulator import Simulator, profile

    say = progress or (lambda event, label, detail: None)
    base = profile("bank")
    at = (now or datetime.now(UTC)).replace(microsecond=0)

    def one(days: int, factor: float, folder: Path) -> Snapshot:
        label = f"simulated {base.name} as of {days} days ago" if days else f"simulated {base.name} (now)"
        say("start", label, "")
        start = time.monotonic()
        spec = base if factor == 1.0 else scale_spec(base, factor)
        kubeconfig = folder / f"kubeconfig-{days}"
        with Simulator(spec, port=0) as sim:
            sim.write_kubeconfig(kubeconfig)
            # The QPS cap protects production apiservers; this one is our own simulator on loopback.
            snap = collect_kube(str(kubeconfig), name=base.name, qps=SAMPLE_QPS, concurrency=8)
        stamp = (at - timedelta(days=days)).isoformat().replace("+00:00", "Z")
        say("done", label, f"{spec.nodes:,} nodes, {spec.pods:,} pods ({time.monotonic() - start:.1f} s)")
        return dataclasses.replace(snap, collected_at=stamp)

    with tempfile.TemporaryDirectory(prefix="k8seval-sample-") as tmp:
        with ThreadPoolExecutor(max_workers=len(SAMPLE_HISTORY), thread_name_prefix="sample") as pool:
            futures = [pool.submit(one, days, factor, Path(tmp)) for days, factor in SAMPLE_HISTORY]
            return [f.result() for f in futures]


def run_sample(
    *,
    out: str | os.PathLike[str] | None = None,
    fail_on: str | None = None,
    targets: list[str] | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """The ``--sample`` audit: the simulated bank cluster with simulated history, full report set."""
    snapshots = collect_sample(progress=progress)
    (early_days, early), (mid_days, mid) = SAMPLE_HISTORY[0], SAMPLE_HISTORY[1]
    notice = SAMPLE_NOTICE.format(early=f"{early:.0%}", mid=f"{mid:.0%}", early_days=early_days, mid_days=mid_days)
    return _finish(
        snapshots,
        out=Path(out or default_out_dir()),
        fail_on=fail_on,
        targets=targets,
        policy=None,
        costs=None,
        title=f"Platform fit: {snapshots[-1].cluster.name} (simulated sample)",
        notices=[notice],
        warnings=[],
        progress=progress,
    )
