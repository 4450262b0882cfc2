"""Push k8seval's metrics to a Prometheus Pushgateway: one group per cluster (``job`` and ``cluster`` as the key).

A PUT per group replaces that group's metrics, so a cluster's series are always those of the latest report.
API: https://github.com/prometheus/pushgateway#api
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import requests

from .. import __version__
from ..errors import EndpointError, InputError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def group_path(job: str, labels: Mapping[str, str]) -> str:
    """``/metrics/job/<job>/<label>/<value>...``; a value with ``/`` (or empty) goes base64url-encoded."""
    parts = ["metrics"]
    for name, value in (("job", job), *labels.items()):
        if value and "/" not in value:
            parts += [name, quote(value, safe="")]
        else:
            parts += [f"{name}@base64", base64.urlsafe_b64encode(value.encode()).decode() or "="]
    return "/" + "/".join(parts)


def check_url(url: str, where: str = "--push") -> str:
    """The gateway's base URL without a trailing ``/``; InputError naming ``where`` unless it is an http(s) URL."""
    base = url.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise InputError(f"{where}: expected the Pushgateway's http(s) URL, e.g. http://pushgateway:9091, got {url!r}")
    return base


def push_metrics(
    url: str,
    groups: Mapping[str, str],
    *,
    job: str = "k8seval",
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> list[str]:
    """PUT each cluster's exposition (``groups``: cluster -> text) to the Pushgateway at ``url``.

    Returns the group URLs written. Raises :class:`EndpointError` (exit 3) when the gateway cannot be reached
    or refuses a push, naming the group and the gateway's message.
    """
    base = check_url(url)
    http = session or requests.Session()
    written = []
    try:
        for cluster, text in groups.items():
            target = base + group_path(job, {"cluster": cluster})
            try:
                resp = http.put(
                    target,
                    data=text.encode(),
                    headers={"Content-Type": CONTENT_TYPE, "User-Agent": f"k8seval/{__version__}"},
                    timeout=timeout,
                )
            except requests.RequestException as exc:
                raise EndpointError(
                    f"Could not reach the Pushgateway at {base}: {type(exc).__name__}",
                    hint="Check --push (the gateway's base URL, e.g. http://pushgateway:9091)",
                ) from None
            if resp.status_code >= 300:
                message = " ".join(resp.text.split())[:300]
                raise EndpointError(f"the Pushgateway refused {target}: {resp.status_code} {message}")
            written.append(target)
    finally:
        if session is None:
            http.close()
    return written
