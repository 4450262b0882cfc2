"""``k8seval score``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="score")
def command() -> None:
    """score (not built yet)."""
    raise EvaluatorError("score is not available in this build")
