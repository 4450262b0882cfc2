"""``k8seval questions``: a procurement question list per vendor from measured snapshots."""

from __future__ import annotations

from pathlib import Path

import click

from ..findings import VENDOR_TARGETS, Evaluation
from ..inventory import Snapshot, utc_now
from ..procurement.facts import VENDOR_NAMES, VENDORS
from .support import apply_with_policies, latest_option, load_inputs, snapshots_argument, with_policies_option


def _evaluate(snapshots: list[Snapshot], vendors: list[str]) -> tuple[Evaluation, list[str]]:
    """Score the snapshots against the vendors' targets so triggers can read findings; also the catalog's ids."""
    from ..catalog.loader import load_catalog
    from ..scoring.engine import evaluate
    from ..scoring.metrics import METRICS

    catalog = load_catalog(metrics=METRICS)
    targets: list[str] = []
    for vendor in vendors:
        targets.extend(t for t in VENDOR_TARGETS[vendor] if t not in targets)
    return evaluate(snapshots, catalog, targets), list(catalog.ids)


@click.command(name="questions")
@snapshots_argument
@click.option(
    "--vendor",
    "vendors",
    multiple=True,
    type=click.Choice(list(VENDORS)),
    help="Vendor to write questions for; repeat for several (default: eks and gke). "
    "self-hosted is the current platform answering the same bank as a baseline.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("questions.xlsx"),
    show_default=True,
    help="Output file; the format follows the extension: .xlsx, .md or .csv.",
)
@click.option(
    "--bank",
    "banks",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Question bank file or folder to use instead of the shipped one (repeatable).",
)
@latest_option
@with_policies_option
def command(
    snapshots: tuple[str, ...],
    vendors: tuple[str, ...],
    output: Path,
    banks: tuple[Path, ...],
    latest: int | None,
    with_policies: Path | None,
) -> None:
    """Write a procurement question list per vendor from measured snapshots.

    Questions whose triggers fire on the measured facts (etcd size, NetworkPolicy count, custom apiserver
    flags, findings against each vendor's documented limits...) are filled in with the figures and ranked:
    knock-out gates first, then by weight and the severity of the related findings. Regulatory baseline
    questions (audit rights, data location, exit...) are always included. Vendors answer in the
    spreadsheet; `k8seval report --answers FILE` scores the answers.

    \b
    Example:
      k8seval questions snapshots/prod-*.json --vendor eks --vendor gke -o questions.xlsx
      k8seval questions snap.json --vendor self-hosted -o baseline.md
      k8seval questions snap.json --with-policies planned/ -o questions.md   # facts after the rollout too
    """
    from ..procurement import generate_questions, load_bank, write_questions

    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".md", ".csv"):
        raise click.BadParameter(f"{output}: use a .xlsx, .md or .csv file name", param_hint="-o/--output")
    chosen = list(dict.fromkeys(vendors)) or ["eks", "gke"]
    loaded = apply_with_policies(load_inputs(snapshots, latest), with_policies)
    evaluation, constraint_ids = _evaluate(loaded, chosen)
    bank = load_bank(list(banks) if banks else None, constraint_ids=constraint_ids)
    lists = {vendor: generate_questions(loaded, evaluation, vendor, bank) for vendor in chosen}
    clusters = list(dict.fromkeys(s.cluster.name for s in loaded))
    path = write_questions(lists, output, clusters=clusters, generated_at=utc_now(), bank=bank)
    click.echo(f"Wrote {path} ({len(clusters)} cluster{'s' if len(clusters) != 1 else ''} measured)")
    for vendor, questions in lists.items():
        gates = sum(1 for q in questions if q.gate)
        click.echo(f"\n{VENDOR_NAMES[vendor]}: {len(questions)} questions ({gates} knock-out)")
        for q in questions[:5]:
            label = " [knock-out]" if q.gate else ""
            click.echo(f"  {q.priority}. {q.title} ({q.id}){label}")
            if q.trigger and q.trigger != "always asked":
                click.echo(f"     because {q.trigger}")
