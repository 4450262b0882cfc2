"""Text from servers and files made safe to keep: control characters stripped where text enters a snapshot.

Each writer still escapes for its own format (Markdown, XML 1.0, OOXML, CSV, terminal); this is the first line.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (0x9b is a one-byte terminal escape introducer).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without control characters (tab and newline kept; CR LF becomes LF, a lone CR a newline)."""
    if not _CONTROL.search(value):
        return value
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def has_lone_surrogate(value: str) -> bool:
    """True when ``value`` holds a lone UTF-16 surrogate (JSON ``"\\ud800"``), which no UTF-8 file can carry."""
    return bool(_SURROGATE.search(value))
