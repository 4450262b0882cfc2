"""Regulatory regimes and data-location areas a question list is written for, chosen in the configuration.

Supported today: ``uk`` (PRA SS2/21, FCA FG16/5, the UK critical third parties regime; data kept in the UK)
and ``eu`` (DORA with its RTS/ITS, EBA outsourcing guidelines; data kept in the EEA). The default is both,
the case of a bank with UK and EU entities. Choosing one leaves the other's references out of the lists and
words the data-location and oversight questions for the chosen area only. Other regimes (US, Switzerland,
APAC) are not in the shipped banks yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Regime:
    """One regulatory regime: the area data must stay in, its oversight scheme, and its reference prefixes."""

    id: str
    area: str  # "the UK"
    short_area: str  # "UK": as in "the UK or EEA"
    oversight: str  # "as a critical third party in the UK"
    references: tuple[str, ...]  # prefixes of the bank's regulatory references that belong to it


REGIMES = {
    "uk": Regime("uk", "the UK", "UK", "as a critical third party in the UK", ("PRA ", "FCA ", "UK ")),
    "eu": Regime(
        "eu",
        "the EEA",
        "EEA",
        "as a critical ICT third-party provider in the EU",
        ("DORA", "EBA ", "RTS (EU)", "ITS (EU)"),
    ),
}
DEFAULT_JURISDICTIONS = ("uk", "eu")


def check_jurisdictions(values: Sequence[str] | None, where: str = "jurisdictions") -> tuple[str, ...]:
    """The chosen regime ids in a stable order (default: UK and EU); an unknown one is an InputError."""
    chosen = list(dict.fromkeys(values or DEFAULT_JURISDICTIONS))
    for i, value in enumerate(chosen):
        if value not in REGIMES:
            raise InputError(f"{where}[{i}]: unknown jurisdiction {value!r} (supported: {', '.join(REGIMES)})")
    return tuple(j for j in REGIMES if j in chosen)


def regulation_facts(jurisdictions: Sequence[str]) -> dict[str, str]:
    """The ``regulation.*`` facts question texts read: the data-location area and the oversight schemes."""
    regimes = [REGIMES[j] for j in jurisdictions]
    if len(regimes) == 1:
        area = regimes[0].area
    else:
        area = "the " + " or ".join(r.short_area for r in regimes)
    return {
        "regulation.area": area,
        "regulation.oversight": " or ".join(r.oversight for r in regimes),
    }


def keep_reference(reference: str, jurisdictions: Sequence[str]) -> bool:
    """True when a regulatory reference belongs to a chosen regime (or to none: kept)."""
    owners = [r for r in REGIMES.values() if reference.startswith(r.references)]
    return not owners or any(r.id in jurisdictions for r in owners)
