"""``k8seval collect eks``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="eks")
def eks() -> None:
    """Collect from eks (not built yet)."""
    raise EvaluatorError("collect eks is not available in this build")
