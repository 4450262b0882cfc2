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


REDACTED = "<redacted>"
# Flags whose value is itself a credential (``--oidc-client-secret``, ``--etcd-password``); a flag naming a file
# (``--token-auth-file``) holds a path, whose contents are never read.
_CREDENTIAL_FLAG = re.compile(r"(secret|password|passwd|token|api-?key|credentials?)$", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def redact_url(value: str) -> str:
    """``value`` with the userinfo of any URL in it replaced: ``https://u:p@host`` -> ``https://<redacted>@host``."""
    return _URL_USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", value)


def redact_flags(flags: dict[str, str]) -> dict[str, str]:
    """Control-plane flags with credential values redacted (whole value, or a URL's userinfo)."""
    out = {}
    for name, value in flags.items():
        if value and _CREDENTIAL_FLAG.search(name) and value.lower() not in ("true", "false"):
            out[name] = REDACTED
        else:
            out[name] = redact_url(value)
    return out
