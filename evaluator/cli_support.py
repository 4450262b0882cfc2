"""Small helpers shared by the click commands: the SNAPSHOT argument and the options several commands take."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .findings import ALL_STATUSES, TARGETS


def group_cls() -> type[click.Group]:
    """The group class for sub-groups (plain click; errors are handled by the root group)."""
    return click.Group


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(list(ALL_STATUSES)),
    default=None,
    help="Exit 1 when any finding reaches this status (ok < watch < at-risk < blocker; unknown: any unknown).",
)

snapshots_argument = click.argument(
    "snapshots", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
"""``SNAPSHOT...``: one or more snapshot files (score, report, questions)."""

policy_option = click.option(
    "--policy", type=click.Path(dir_okay=False, path_type=Path), help="Policy YAML: thresholds, overrides."
)
costs_option = click.option("--costs", type=click.Path(dir_okay=False, path_type=Path), help="Cost assumptions YAML.")


def targets_option(help_text: str, *flags: str) -> Callable[[Any], Any]:
    """A repeatable target choice stored as ``targets``; ``flags`` default to ``--target``."""
    return click.option(
        *(flags or ("--target",)), "targets", multiple=True, type=click.Choice(list(TARGETS)), help=help_text
    )
