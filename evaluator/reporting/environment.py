"""The one Jinja environment for reports: user template folders first, then the shipped defaults.

HTML templates are autoescaped; Markdown templates are not (HTML entities would litter the text) and
pass every user-controlled string through the ``md`` filter instead. Undefined names fail loudly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..errors import InputError
from ..findings import UNKNOWN
from ..resources import data_path
from ..units import GIB

STATUS_LABELS = {
    "ok": "OK",
    "watch": "Watch",
    "at-risk": "At risk",
    "blocker": "Blocker",
    UNKNOWN: "Unknown",
}

VERDICT_CLASSES = {"fits": "ok", "fits with work": "watch", "does not fit today": "blocker"}

TARGET_LABELS = {
    "self-hosted": "Self-hosted",
    "eks": "Amazon EKS",
    "gke": "GKE Standard",
    "gke-autopilot": "GKE Autopilot",
    "eks-auto-mode": "EKS Auto Mode",
    "aks": "Azure AKS",
}


def _autoescape(name: str | None) -> bool:
    # Markdown is plain text for wikis and pull requests: escaped there by the ``md`` filter, not as HTML.
    if name is None:
        return True
    return not name.endswith((".md", ".txt", ".csv"))


def make_environment(templates: Sequence[str | os.PathLike[str]] | None = None) -> Environment:
    """The report environment: ``templates`` folders (searched in order) override the packaged defaults; every
    template renders in Jinja's sandbox."""
    loaders: list[Any] = []
    for folder in templates or ():
        path = Path(folder)
        if not path.is_dir():
            raise InputError(f"{path}: --templates: not a folder")
        loaders.append(FileSystemLoader(str(path)))
    loaders.append(FileSystemLoader(str(data_path("templates"))))
    # The sandbox: a --templates folder is someone else's code; it may format the context but not reach Python
    # internals (``cycler.__init__.__globals__.os.popen(...)`` raises SecurityError).
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update({"STATUS_LABELS": STATUS_LABELS, "TARGET_LABELS": TARGET_LABELS, "target_label": target_label})
    return env


# ---------------------------------------------------------------------------------------------- filters


def target_label(target: str) -> str:
    """A reader's name for a target id: ``eks`` -> ``Amazon EKS``."""
    return TARGET_LABELS.get(target, target)


def num(value: Any, digits: int = 0) -> str:
    """Thousands separators: ``45000`` -> ``45,000``; ``None`` -> an em dash; floats to ``digits`` places."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if digits == 0 and float(value).is_integer():
            return f"{int(value):,}"
        if digits == 0:
            return f"{value:,.1f}" if abs(value) < 100 else f"{round(value):,}"
        return f"{value:,.{digits}f}"
    return str(value)


def gib(value: Any, digits: int = 2) -> str:
    """Bytes as GiB: ``5368709120`` -> ``5.00 GiB``."""
    if value is None:
        return "—"
    return f"{float(value) / GIB:,.{digits}f} GiB"


def pct(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage: ``0.934`` -> ``93%``."""
    if value is None:
        return "—"
    return f"{float(value) * 100:,.{digits}f}%"


def usd(value: Any) -> str:
    """Dollars with separators and no cents from $100: ``1234.6`` -> ``$1,235``; a credit is ``-$73``."""
    if value is None:
        return "—"
    v = float(value)
    sign, v = ("-", -v) if v < 0 else ("", v)
    return sign + (f"${v:,.2f}" if v < 100 and not v.is_integer() else f"${round(v):,}")


def date(value: Any, style: str = "date") -> str:
    """An RFC 3339 time as ``1 Nov 2026`` (``style="datetime"``: ``1 Nov 2026 10:00 UTC``); text passes through."""
    if not value:
        return "—"
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    text = f"{dt.day} {dt:%b %Y}"
    if style == "datetime":
        text += f" {dt:%H:%M} UTC"
    return text


def quantity(value: Any, unit: str = "") -> str:
    """An observed value or limit in its unit, for reading: bytes in GiB, counts with separators, booleans in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if unit == "bytes":
        return gib(value)
    if unit in ("fraction", "ratio"):
        return pct(value)
    text = num(value)
    if unit and unit not in ("count",):
        text = f"{text} {unit}"
    return text


def status_label(status: str) -> str:
    """``at-risk`` -> ``At risk``."""
    return STATUS_LABELS.get(status, status)


def badge(status: str) -> Markup:
    """A status badge: colour from the class, and always the status in words (never colour alone)."""
    cls = status if status in STATUS_LABELS else UNKNOWN
    return Markup('<span class="badge s-{}">{}</span>').format(cls, status_label(status))


def verdict_class(verdict: str) -> str:
    """The status colour of a verdict: fits -> ok, fits with work -> watch, does not fit today -> blocker."""
    return VERDICT_CLASSES.get(verdict, UNKNOWN)


_MD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "<": "&lt;",
        ">": "&gt;",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "!": "\\!",
        "\n": " ",
        "\r": " ",
    }
)


def md(value: Any) -> str:
    """Text safe inside a Markdown table cell: pipes, HTML brackets, emphasis, link and image brackets, backslashes
    and line breaks neutralised (no link, image or raw HTML can come from a cluster name or a server message)."""
    if value is None:
        return "—"
    return str(value).translate(_MD_SPECIAL)


def anchor(value: Any) -> str:
    """An id-safe fragment for a cluster or constraint: ``prod/eu 1`` -> ``prod-eu-1``."""
    text = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(value).lower())
    return text.strip("-") or "x"


FILTERS = {
    "num": num,
    "gib": gib,
    "pct": pct,
    "usd": usd,
    "date": date,
    "quantity": quantity,
    "status_label": status_label,
    "badge": badge,
    "verdict_class": verdict_class,
    "target_label": target_label,
    "md": md,
    "anchor": anchor,
}
