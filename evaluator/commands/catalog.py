"""``k8seval catalog``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="catalog")
def command() -> None:
    """catalog (not built yet)."""
    raise EvaluatorError("catalog is not available in this build")
