"""Byte units and number formatting shared by the terminal, scoring messages, reports and question lists."""

from __future__ import annotations

GIB = 1024**3
MIB = 1024**2


def format_count(value: float) -> str:
    """A count with thousands separators; one decimal place when not whole: ``45000`` -> ``45,000``, ``2.5``."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"
