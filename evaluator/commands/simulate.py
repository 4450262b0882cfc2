"""``k8seval simulate``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="simulate")
def command() -> None:
    """simulate (not built yet)."""
    raise EvaluatorError("simulate is not available in this build")
