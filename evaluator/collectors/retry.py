"""How long a server asks a client to wait before retrying (HTTP Retry-After), shared by the HTTP collectors."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime


def retry_after_header(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number of seconds or an HTTP date), held to 0-30 s; None when
    absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, min(30.0, float(value)))
    except ValueError:
        try:
            return max(0.0, min(30.0, parsedate_to_datetime(value).timestamp() - time.time()))
        except (TypeError, ValueError):
            return None
