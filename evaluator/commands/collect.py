"""``k8seval collect``: measure a cluster or cloud account into snapshot files."""

from __future__ import annotations

import click

from .collect_eks import eks
from .collect_etcd import etcd
from .collect_gke import gke
from .collect_kube import kube
from .collect_merge import merge
from .collect_prometheus import prometheus
from .support import group_cls


@click.group(name="collect", cls=group_cls())
def command() -> None:
    """Measure a cluster into a snapshot (JSON). Collectors only list and get; Secret data is never read."""


for _sub in (kube, etcd, eks, gke, prometheus, merge):
    command.add_command(_sub)
