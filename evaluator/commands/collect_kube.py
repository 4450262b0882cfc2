"""``k8seval collect kube``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="kube")
def kube() -> None:
    """Collect from kube (not built yet)."""
    raise EvaluatorError("collect kube is not available in this build")
