"""``k8seval collect gke``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="gke")
def gke() -> None:
    """Collect from gke (not built yet)."""
    raise EvaluatorError("collect gke is not available in this build")
