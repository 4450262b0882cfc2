"""``k8seval monitoring``: the shipped Prometheus alerting rules and Grafana dashboard over k8seval's metrics."""

from __future__ import annotations

from pathlib import Path

import click

from ..fileio import write_text
from ..resources import data_dir

FILES = {"rules": "k8seval-rules.yml", "dashboard": "k8seval-dashboard.json"}


def shipped_text(kind: str) -> str:
    """The text of the shipped ``rules`` or ``dashboard`` file, read from the package data."""
    return (data_dir("monitoring") / FILES[kind]).read_text(encoding="utf-8")


@click.command(name="monitoring")
@click.argument("kind", type=click.Choice(list(FILES)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def command(kind: str, output: Path | None) -> None:
    """Print (or write) the shipped Prometheus alerting rules or the Grafana dashboard JSON.

    The rules alert when headroom on a core constraint drops under 20 % for the chosen targets (edit the
    target matcher) and when a forecast crosses a limit within 90 days; the dashboard charts observed values,
    limits, headroom, status and forecasts. Both read the metrics of `report --format openmetrics`.

    \b
    Example:
      k8seval monitoring rules -o /etc/prometheus/rules/k8seval.yml
      promtool check rules /etc/prometheus/rules/k8seval.yml
      k8seval monitoring dashboard -o k8seval-dashboard.json
    """
    text = shipped_text(kind)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
