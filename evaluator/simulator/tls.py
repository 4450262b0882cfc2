"""Certificates for serving the simulator over HTTPS: a throw-away CA and a serving certificate for 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from ..errors import InputError
from ..fileio import atomic_path, write_bytes, write_text
from .simulator import TLSFiles

VALID_DAYS = 30
NAMESPACE = "default"


def make_tls_files(folder: str | os.PathLike[str], token: str | None = None) -> TLSFiles:
    """Write a new CA (``ca.crt``) and a serving certificate and key it signed (``server.crt``,
    ``server.key``, for 127.0.0.1 and localhost, valid 30 days) into ``folder``; return them as TLSFiles.

    The folder is laid out like a pod's service-account mount (``ca.crt``, plus ``token`` and ``namespace``
    when ``token`` is given), so it also serves as ``K8SEVAL_SERVICE_ACCOUNT_DIR``. The CA key is not kept.
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:  # pragma: no cover - a runtime dependency; only a broken install lacks it
        raise InputError("--tls needs the 'cryptography' package", hint="pip install cryptography") from None

    where = Path(folder)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{where}: cannot create the TLS folder: {exc.strerror or exc}") from None
    if not where.is_dir():
        raise InputError(f"{where}: not a folder (--tls takes a folder to write ca.crt, server.crt, server.key)")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k8seval-simulator-ca")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k8seval-simulator")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = TLSFiles(cert_file=where / "server.crt", key_file=where / "server.key", ca_file=where / "ca.crt")
    with atomic_path(files.key_file) as tmp:
        tmp.chmod(0o600)  # before the key is in it
        tmp.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    write_bytes(files.cert_file, cert.public_bytes(pem))
    write_bytes(where / "ca.crt", ca_cert.public_bytes(pem))
    if token is not None:
        with atomic_path(where / "token") as tmp:
            tmp.chmod(0o600)
            tmp.write_text(token, encoding="utf-8")
        write_text(where / "namespace", NAMESPACE)
    return files
