"""Google Cloud Storage through the official ``google-cloud-storage`` client: Application Default Credentials, or
anonymous ones for a plain-http loopback endpoint (an emulator); ``K8SEVAL_GCS_ENDPOINT`` or the client's own
``STORAGE_EMULATOR_HOST`` point it elsewhere (Private Service Connect, an emulator).

A write is atomic: GCS makes an object visible only when its upload (one request, or a resumable upload in
chunks for large objects) is finalised. ``if_generation_match=0`` makes a write that must not overwrite fail
with 412 instead of replacing another run's object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from google.api_core import exceptions as gexc
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from ..errors import AccessDenied, AuthError, EndpointError, EvaluatorError, InputError
from .base import MULTIPART_THRESHOLD, PART_SIZE, Entry
from .location import Location

LIST_PAGE = 1000
# The client's default retry runs for 120 s; an unreachable endpoint should fail sooner than that.
RETRY = DEFAULT_RETRY.with_timeout(20.0)


def gcs_endpoint_from_env() -> str | None:
    """``K8SEVAL_GCS_ENDPOINT``, else ``STORAGE_EMULATOR_HOST`` (the client library's own emulator variable)."""
    return os.environ.get("K8SEVAL_GCS_ENDPOINT") or os.environ.get("STORAGE_EMULATOR_HOST") or None


def _loopback_http(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    return parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")


def make_gcs_client(endpoint: str | None = None, project: str | None = None) -> Any:
    """A storage client: ADC against Google, or anonymous credentials against a plain-http loopback endpoint."""
    endpoint = endpoint or gcs_endpoint_from_env()
    try:
        if endpoint and _loopback_http(endpoint):
            from google.auth.credentials import AnonymousCredentials

            return storage.Client(
                project=project or "k8seval",
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                client_options={"api_endpoint": endpoint},
            )
        options = {"api_endpoint": endpoint} if endpoint else None
        return storage.Client(project=project, client_options=options)
    except DefaultCredentialsError as exc:
        raise AuthError(
            f"no Google credentials for Cloud Storage: {exc}",
            hint="Run `gcloud auth application-default login`, or use Workload Identity in the cluster",
        ) from None


class GCSStore:
    """One GCS bucket. ``client`` may be given; otherwise :func:`make_gcs_client` builds one."""

    def __init__(
        self,
        location: Location,
        *,
        client: Any = None,
        endpoint: str | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
    ) -> None:
        self.location = location
        self.client = client if client is not None else make_gcs_client(endpoint)
        self.bucket = self.client.bucket(location.bucket)
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size

    def list(self, prefix: str) -> Iterator[Entry]:
        """Every object under ``prefix``, page by page."""
        with _errors(self.location.url_of(prefix)):
            for blob in self.client.list_blobs(
                self.location.bucket, prefix=prefix, page_size=LIST_PAGE, retry=RETRY
            ):
                yield Entry(blob.name, int(blob.size or 0), self.location.url_of(blob.name))

    def get(self, key: str) -> bytes:
        """Read one object whole."""
        with _errors(self.location.url_of(key)):
            return bytes(self.bucket.blob(key).download_as_bytes(retry=RETRY))

    def put(self, key: str, data: IO[bytes], size: int, *, content_type: str, overwrite: bool) -> bool:
        """Write one object atomically; False when ``overwrite`` is off and the key already exists."""
        # Above 8 MiB the client uses a resumable upload, sent in chunks of ``part_size`` and visible only once
        # finalised; below, one multipart request.
        chunk = self.part_size if size >= self.multipart_threshold else None
        blob = self.bucket.blob(key, chunk_size=_chunk(chunk))
        with _errors(self.location.url_of(key)):
            try:
                blob.upload_from_file(
                    data,
                    size=size,
                    content_type=content_type,
                    if_generation_match=None if overwrite else 0,
                    retry=RETRY,  # safe to retry: the write is conditional, or replaces with the same bytes
                )
            except gexc.PreconditionFailed:
                return False
        return True


def _chunk(size: int | None) -> int | None:
    # The client wants a multiple of 256 KiB.
    if size is None:
        return None
    unit = 256 * 1024
    return max(unit, size // unit * unit)


class _errors:
    """Turn google-api-core errors into k8seval's."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, EvaluatorError):
            return False
        if isinstance(exc, gexc.PreconditionFailed):
            return False  # the caller handles it
        if isinstance(exc, gexc.NotFound):
            raise InputError(f"{self.url}: not found (bucket or object does not exist)") from None
        if isinstance(exc, gexc.Forbidden):
            raise AccessDenied(
                f"{self.url}: access denied: {exc.message}",
                hint="Grant storage.objects.list/get/create on the bucket (roles/storage.objectUser)",
            ) from None
        if isinstance(exc, gexc.Unauthorized | GoogleAuthError):
            raise AuthError(f"{self.url}: credentials rejected: {exc}") from None
        if isinstance(exc, gexc.RetryError):
            cause = exc.cause if exc.cause is not None else exc
            raise EndpointError(
                f"{self.url}: cannot reach Cloud Storage: {type(cause).__name__}",
                hint="Check K8SEVAL_GCS_ENDPOINT / STORAGE_EMULATOR_HOST and the network",
            ) from None
        if isinstance(exc, gexc.GoogleAPIError):
            raise EndpointError(f"{self.url}: Cloud Storage error: {exc}") from None
        if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            raise EndpointError(f"{self.url}: cannot reach Cloud Storage: {exc}") from None
        return False
