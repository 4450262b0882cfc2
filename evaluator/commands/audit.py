"""``k8seval audit``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="audit")
def command() -> None:
    """audit (not built yet)."""
    raise EvaluatorError("audit is not available in this build")
