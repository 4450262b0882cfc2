"""``k8seval collect etcd``."""

from __future__ import annotations

import click

from ..errors import EvaluatorError


@click.command(name="etcd")
def etcd() -> None:
    """Collect from etcd (not built yet)."""
    raise EvaluatorError("collect etcd is not available in this build")
