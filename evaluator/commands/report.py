"""``k8seval report``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="report")
def command() -> None:
    """report (not built yet)."""
    raise EvaluatorError("report is not available in this build")
