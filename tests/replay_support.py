"""A loopback HTTP server that answers from recorded responses, for contract tests.

``ReplayServer(answer)`` serves on 127.0.0.1 (a free port) until stopped; ``answer(method, path, query, headers,
body)`` returns ``(status, headers, body)``. It records every request it saw (``requests``), so a test can
assert what a collector asked for (paths, Accept headers) as well as what it made of the answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Mapping[str, str], bytes]


@dataclass(frozen=True)
class Seen:
    """One request the server answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class ReplayServer:
    """Serve ``answer`` on 127.0.0.1 in a background thread."""

    def __init__(self, answer: Callable[[str, str, dict[str, str], dict[str, str], bytes], Answer]) -> None:
        self.answer = answer
        self.requests: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append(Seen(self.command, parts.path, query, headers))
                status, out_headers, data = owner.answer(self.command, parts.path, query, headers, body)
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _serve  # noqa: N815 - http.server's naming
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base signature
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)

    def start(self) -> ReplayServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def replaying(answer: Callable[[str, str, dict[str, str], dict[str, str], bytes], Answer]) -> Iterator[ReplayServer]:
    """``with replaying(answer) as server:`` a started :class:`ReplayServer`, stopped on exit."""
    server = ReplayServer(answer).start()
    try:
        yield server
    finally:
        server.stop()
