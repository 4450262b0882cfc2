"""Retry-After as the kube and Prometheus collectors read it: seconds or an HTTP date, held to 0-30 s."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from evaluator.collectors.retry import retry_after_header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1.0),  # what the apiserver sends with a 429
        ("2.5", 2.5),
        ("120", 30.0),  # held to 30 s: a production server asking for minutes does not stall a collection
        ("-4", 0.0),
        ("", None),
        (None, None),
        ("soon", None),  # neither seconds nor a date: the caller's default applies
    ],
)
def test_seconds_and_unreadable_values(value: str | None, expected: float | None) -> None:
    assert retry_after_header(value) == expected


def test_an_http_date_is_seconds_from_now() -> None:
    seconds = retry_after_header(formatdate(time.time() + 10, usegmt=True))
    assert seconds is not None and 8.0 <= seconds <= 10.0
    assert retry_after_header(formatdate(time.time() - 60, usegmt=True)) == 0.0  # a date in the past: retry now
