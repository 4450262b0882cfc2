"""The :class:`Simulator`: start and stop the loopback API server, write a kubeconfig, read its counters."""

from __future__ import annotations

import base64
import errno
import ssl
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..fileio import write_text
from .served import Cluster
from .server import Faults, RequestRecord, Server, make_http_server
from .spec import ClusterSpec, validate
from .truth import compute_truth


@dataclass(frozen=True)
class TLSFiles:
    """PEM files for serving HTTPS: the serving certificate and key, and the CA that signed it (written into
    kubeconfigs as certificate-authority-data)."""

    cert_file: str | Path
    key_file: str | Path
    ca_file: str | Path | None = None


class Simulator:
    """A synthetic Kubernetes API server on 127.0.0.1, serving the cluster described by ``spec``.

    Use as a context manager (starts a thread, stops on exit) or call :meth:`start` / :meth:`stop`::

        with Simulator(profile("small")) as sim:
            sim.write_kubeconfig("kc")          # then: kubectl --kubeconfig kc get pods -A
            assert sim.expected_counts()["pods"] == 60
    """

    def __init__(
        self,
        spec: ClusterSpec,
        faults: Faults | None = None,
        port: int = 0,
        token: str | None = None,
        tls: TLSFiles | None = None,
    ) -> None:
        self.spec = validate(spec)
        self.cluster = Cluster(self.spec)
        self._server = Server(self.cluster, faults or Faults(), token)
        self._port = port
        self.token = token
        self.tls = tls
        self._httpd: Any = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Simulator:
        """Bind and serve in a background thread; InputError when the port cannot be bound."""
        if self._httpd is not None:
            return self
        try:
            self._httpd = make_http_server(self._server, self._port)
        except OSError as exc:
            why = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise InputError(f"cannot listen on 127.0.0.1:{self._port}: {why}", hint="Choose another --port.") from None
        if self.tls is not None:
            self._httpd.socket = self._ssl_context().wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )  # the handshake then runs in the handler thread, not in the accept loop
        self._server.url = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="k8seval-simulator", daemon=True)
        self._thread.start()
        return self

    def _ssl_context(self) -> ssl.SSLContext:
        assert self.tls is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(str(self.tls.cert_file), str(self.tls.key_file))
        except (OSError, ssl.SSLError) as exc:
            raise InputError(f"{self.tls.cert_file}: cannot load the serving certificate and key: {exc}") from None
        return context

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        if self._httpd is None:
            raise RuntimeError("the simulator is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, or ``https://`` when serving TLS."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def kubeconfig(self, context: str = "sim") -> dict[str, Any]:
        """A kubeconfig document (cluster, user, context) pointing at this server."""
        user: dict[str, Any] = {"token": self.token} if self.token else {}
        cluster: dict[str, Any] = {"server": self.url}
        if self.tls is not None and self.tls.ca_file is not None:
            cluster["certificate-authority-data"] = base64.b64encode(Path(self.tls.ca_file).read_bytes()).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": user}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | Path, context: str = "sim") -> Path:
        """Write a kubeconfig for this server to ``path`` (atomically) and return the path."""
        return write_text(path, yaml.safe_dump(self.kubeconfig(context), sort_keys=False))

    # ------------------------------------------------------------------ faults and accounting

    @property
    def faults(self) -> Faults:
        """The active :class:`Faults`; assign a new one to change them on the live server."""
        return self._server.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._server.faults = value

    @property
    def request_count(self) -> int:
        """Requests received since start (or the last :meth:`reset_counters`)."""
        return self._server.request_count

    @property
    def requests_by_path(self) -> dict[str, int]:
        """Request counts per URL path (no query string)."""
        with self._server._lock:
            return dict(self._server.requests_by_path)

    @property
    def request_log(self) -> list[RequestRecord]:
        """The last 20,000 requests: method, path, query, Accept header and response status."""
        with self._server._lock:
            return list(self._server.log)

    @property
    def max_in_flight(self) -> int:
        """The most requests served at the same time (to check a client's concurrency bound)."""
        return self._server.max_in_flight

    def reset_counters(self) -> None:
        """Forget counted requests; the secret flag and faults stay."""
        self._server.reset_counters()

    @property
    def secret_data_served(self) -> bool:
        """True once any full Secret object (with its data) was served: as JSON, or in a Table with the object."""
        return self._server.secret_data_served

    # ------------------------------------------------------------------ truth

    def expected_counts(self) -> dict[str, int]:
        """resource[.group] -> number of objects served, e.g. ``{"pods": 60, "deployments.apps": 14, ...}``."""
        return self.cluster.counts()

    @cached_property
    def truth(self) -> dict[str, Any]:
        """Ground truth: counts, pods per node, network-policy rule totals, services by type, etcd size..."""
        return compute_truth(self.cluster)

    def expected(self, key: str | None = None) -> Any:
        """``truth`` or one dotted path into it, e.g. ``expected("nodes.pods_per_node.max")``."""
        value: Any = self.truth
        if key:
            for part in key.split("."):
                value = value[part]
        return value
