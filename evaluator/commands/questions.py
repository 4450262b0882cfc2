"""``k8seval questions``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="questions")
def command() -> None:
    """questions (not built yet)."""
    raise EvaluatorError("questions is not available in this build")
