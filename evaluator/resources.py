"""Locate the data shipped with the package: default templates, question banks, alerting rules and dashboard.

In a wheel they live in ``evaluator/_data/`` (hatchling force-include); in a source checkout run
in place they are the top-level ``templates/``, ``questionnaires/`` and ``monitoring/`` folders.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

_KNOWN = ("templates", "questionnaires", "monitoring")


def data_dir(name: str) -> Traversable:
    """Return the shipped data folder ``name`` (``templates``, ``questionnaires`` or ``monitoring``)."""
    if name not in _KNOWN:
        raise ValueError(f"unknown data folder {name!r}")
    packaged = files("evaluator") / "_data" / name
    if packaged.is_dir():
        return packaged
    # Source checkout (editable install or run from the repository).
    checkout = Path(str(files("evaluator"))).parent / name
    return checkout


def data_path(name: str) -> Path:
    """Like :func:`data_dir` but as a filesystem path (wheels are always unpacked on disk)."""
    return Path(str(data_dir(name)))
