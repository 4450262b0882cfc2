"""Small helpers shared by the click commands: output paths, JSON to stdout, the --fail-on option."""

from __future__ import annotations

import click

from .findings import ALL_STATUSES


def group_cls() -> type[click.Group]:
    """The group class for sub-groups (plain click; errors are handled by the root group)."""
    return click.Group


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(list(ALL_STATUSES)),
    default=None,
    help="Exit 1 when any finding reaches this status (ok < watch < at-risk < blocker; unknown: any unknown).",
)
