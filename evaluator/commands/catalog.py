"""``k8seval catalog``: list, show and validate the constraint catalog."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..catalog.loader import CATEGORIES, load_catalog, validate_file
from ..catalog.model import Catalog, Constraint, Limit
from ..errors import InputError
from ..findings import TARGETS
from ..scoring.metrics import METRICS


def _fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes" and value >= 1024**3:
        return f"{value / 1024**3:g} GiB"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:g}"


def _limit_text(limit: Limit, unit: str, check: str) -> str:
    if limit.value is None:
        return limit.kind
    sign = "<=" if check == "max" else ">="
    return f"{sign} {_fmt_value(limit.value, unit)} ({limit.kind})"


def _constraint_data(c: Constraint) -> dict[str, object]:
    return {
        "id": c.id,
        "title": c.title,
        "category": c.category,
        "metric": c.metric,
        "unit": c.unit,
        "check": c.check,
        "watch": c.watch,
        "at_risk": c.at_risk,
        "growing": c.growing,
        "setting": c.setting,
        "tags": c.tags,
        "questions": c.questions,
        "description": c.description,
        "remediation": c.remediation,
        "limits": {t: c.limits[t].to_dict() for t in TARGETS},
    }


@click.group(name="catalog")
def command() -> None:
    """Inspect the catalog of documented limits that snapshots are scored against.

    \b
    Example:
      k8seval catalog list --category etcd
      k8seval catalog show pods_per_node
      k8seval catalog validate my-limits.yaml
    """


@command.command(name="list")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this category.")
@click.option("--target", type=click.Choice(TARGETS), help="Only show this target's limit.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format."
)
def list_command(category: str | None, target: str | None, fmt: str) -> None:
    """List constraints with their limit per target.

    \b
    Example:
      k8seval catalog list
      k8seval catalog list --category nodes --target eks --format json
    """
    catalog = load_catalog(metrics=METRICS)
    rows = [c for c in catalog.constraints if category is None or c.category == category]
    targets = [target] if target else list(TARGETS)
    if fmt == "json":
        data = []
        for c in rows:
            item = _constraint_data(c)
            item["limits"] = {t: c.limits[t].to_dict() for t in targets}
            data.append(item)
        click.echo(json.dumps({"version": catalog.version, "constraints": data}, indent=2))
        return
    table = Table(title=f"k8seval catalog {catalog.version} ({len(rows)} constraints)")
    table.add_column("id", no_wrap=True)
    table.add_column("title")
    table.add_column("category")
    for t in targets:
        table.add_column(t)
    for c in rows:
        table.add_row(c.id, c.title, c.category, *(_limit_text(c.limits[t], c.unit, c.check) for t in targets))
    Console(width=200 if target is None else 140).print(table)


def _find(catalog: Catalog, constraint_id: str) -> Constraint:
    try:
        return catalog.get(constraint_id)
    except KeyError:
        close = difflib.get_close_matches(constraint_id, catalog.ids, n=3, cutoff=0.5)
        hint = f"Did you mean: {', '.join(close)}?" if close else "Run 'k8seval catalog list' to see the ids."
        raise InputError(f"no constraint {constraint_id!r} in the catalog", hint=hint) from None


@command.command(name="show")
@click.argument("constraint_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show_command(constraint_id: str, fmt: str) -> None:
    """Show one constraint: description, remediation, and each target's limit with its source and date.

    \b
    Example:
      k8seval catalog show etcd_db_size
    """
    catalog = load_catalog(metrics=METRICS)
    c = _find(catalog, constraint_id)
    if fmt == "json":
        click.echo(json.dumps(_constraint_data(c), indent=2))
        return
    # A setting (kubelet maxPods, --event-ttl) has no watch/at-risk bands: only passing the limit counts.
    bands = (
        "a configured value: within the limit is ok, only passing it counts"
        if c.setting
        else f"watch at {c.watch:.0%} of the limit, at-risk at {c.at_risk:.0%}"
    )
    lines = [
        f"{c.id}: {c.title}",
        f"  category: {c.category}    metric: {c.metric}    unit: {c.unit}    check: {c.check}",
        f"  {bands}" + ("; forecast" if c.growing else ""),
    ]
    if c.tags:
        lines.append(f"  tags: {', '.join(c.tags)}")
    if c.description:
        lines += ["", "  " + c.description]
    lines.append("")
    for t in TARGETS:
        limit = c.limits[t]
        exceeded = f", exceeded -> {limit.exceeded}" if limit.exceeded else ""
        metric = f", metric {limit.metric}" if limit.metric else ""
        lines.append(f"  {t}: {_limit_text(limit, c.unit, c.check)}{exceeded}{metric}")
        lines.append(f"      source: {limit.source} (verified {limit.verified})")
        if limit.note:
            lines.append(f"      note: {limit.note}")
    if c.remediation:
        lines += ["", "  remediation: " + c.remediation]
    if c.questions:
        lines.append(f"  questions: {', '.join(c.questions)}")
    click.echo("\n".join(lines))


@command.command(name="validate")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
def validate_command(file: Path | None) -> None:
    """Validate the shipped catalog, or a catalog file of your own (same shape as a shipped category file).

    Exit 0 with "N constraints OK"; exit 2 with the file, id and field of the first problem.

    \b
    Example:
      k8seval catalog validate
      k8seval catalog validate ./limits/bank-overrides.yaml
    """
    if file is None:
        catalog = load_catalog(metrics=METRICS)
        click.echo(f"catalog {catalog.version}: {len(catalog.constraints)} constraints OK")
        return
    constraints = validate_file(file, metrics=METRICS)
    click.echo(f"{file}: {len(constraints)} constraints OK")
