"""S3 through boto3: the standard credential chain or a named profile, ``AWS_ENDPOINT_URL`` (S3-compatible stores,
moto), server-side encryption with an optional KMS key, and multipart uploads for large objects.

A write is atomic: a small object is one PutObject, a large one a multipart upload that only becomes an object
at CompleteMultipartUpload (and is aborted on any failure). ``IfNoneMatch: *`` makes a write that must not
overwrite fail with 412 instead of replacing another run's object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from ..errors import AccessDenied, AuthError, EndpointError, EvaluatorError, InputError
from .base import MULTIPART_THRESHOLD, PART_SIZE, Entry
from .location import Location

SSE_CHOICES = ("AES256", "aws:kms", "aws:kms:dsse")


def s3_settings_from_env() -> dict[str, str | None]:
    """Storage settings from the environment: profile, server-side encryption, KMS key id."""
    return {
        "profile": os.environ.get("K8SEVAL_S3_PROFILE") or None,
        "sse": os.environ.get("K8SEVAL_S3_SSE") or None,
        "kms_key_id": os.environ.get("K8SEVAL_S3_KMS_KEY_ID") or None,
    }


class S3Store:
    """One S3 bucket. ``client`` may be given (tests, a caller's own session); otherwise one is built."""

    def __init__(
        self,
        location: Location,
        *,
        profile: str | None = None,
        sse: str | None = None,
        kms_key_id: str | None = None,
        client: Any = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
    ) -> None:
        if sse is not None and sse not in SSE_CHOICES:
            raise InputError(f"K8SEVAL_S3_SSE: expected one of {', '.join(SSE_CHOICES)}, got {sse!r}")
        if kms_key_id and sse is None:
            sse = "aws:kms"
        if kms_key_id and not sse.startswith("aws:kms"):
            raise InputError("K8SEVAL_S3_KMS_KEY_ID needs K8SEVAL_S3_SSE=aws:kms (or leave K8SEVAL_S3_SSE unset)")
        self.location = location
        self.sse = sse
        self.kms_key_id = kms_key_id
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        if client is None:
            try:
                session = boto3.Session(profile_name=profile)
            except ProfileNotFound as exc:
                raise AuthError(f"{location.url}: {exc}", hint="Check AWS_PROFILE / K8SEVAL_S3_PROFILE") from None
            # AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 are read by botocore itself; a custom endpoint (MinIO,
            # moto, a VPC endpoint) is reached with path-style addressing, which every S3-compatible store serves.
            custom = bool(os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"))
            config = Config(
                retries={"mode": "adaptive"},  # 3 attempts, or AWS_MAX_ATTEMPTS
                connect_timeout=10,
                s3={"addressing_style": "path"} if custom else {},
                max_pool_connections=16,
            )
            client = session.client("s3", config=config)
        self.client = client

    # ------------------------------------------------------------------ reads

    def list(self, prefix: str) -> Iterator[Entry]:
        """Every object under ``prefix``, one ListObjectsV2 page (1,000 keys) at a time."""
        paginator = self.client.get_paginator("list_objects_v2")
        with _errors(self.location.url_of(prefix)):
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    yield Entry(item["Key"], int(item.get("Size", 0)), self.location.url_of(item["Key"]))

    def get(self, key: str) -> bytes:
        """Read one object whole (snapshots are tens of kilobytes)."""
        with _errors(self.location.url_of(key)):
            response = self.client.get_object(Bucket=self.location.bucket, Key=key)
            body = response["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

    # ------------------------------------------------------------------ writes

    def _extra(self, content_type: str) -> dict[str, str]:
        extra = {"ContentType": content_type}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        if self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        return extra

    def put(self, key: str, data: IO[bytes], size: int, *, content_type: str, overwrite: bool) -> bool:
        """Write one object atomically; False when ``overwrite`` is off and the key already exists."""
        url = self.location.url_of(key)
        condition = {} if overwrite else {"IfNoneMatch": "*"}
        with _errors(url):
            try:
                if size < self.multipart_threshold:
                    self.client.put_object(
                        Bucket=self.location.bucket, Key=key, Body=data.read(), **self._extra(content_type), **condition
                    )
                else:
                    self._multipart(key, data, content_type, condition)
            except ClientError as exc:
                if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    return False
                raise
        return True

    def _multipart(self, key: str, data: IO[bytes], content_type: str, condition: dict[str, str]) -> None:
        bucket = self.location.bucket
        upload = self.client.create_multipart_upload(Bucket=bucket, Key=key, **self._extra(content_type))
        upload_id = upload["UploadId"]
        try:
            parts = []
            number = 1
            while True:
                chunk = data.read(self.part_size)
                if not chunk and parts:
                    break
                part = self.client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": part["ETag"]})
                number += 1
                if len(chunk) < self.part_size:
                    break
            # The object exists only from this call on: a run stopped before it leaves no object.
            self.client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, **condition
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            except (ClientError, BotoCoreError):
                pass  # the bucket's AbortIncompleteMultipartUpload lifecycle rule removes the parts
            raise


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class _errors:
    """Turn botocore errors into k8seval's: credentials -> AuthError, 403 -> AccessDenied, network -> EndpointError."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, EvaluatorError) or not isinstance(exc, BotoCoreError | ClientError):
            return False
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            raise AuthError(
                f"{self.url}: no AWS credentials", hint="Set AWS_PROFILE, K8SEVAL_S3_PROFILE or the pod's IAM role"
            ) from None
        if isinstance(exc, EndpointConnectionError):
            raise EndpointError(f"{self.url}: cannot reach S3: {exc}", hint="Check AWS_ENDPOINT_URL and the network")
        if isinstance(exc, ClientError):
            code = _code(exc)
            message = exc.response.get("Error", {}).get("Message", "") or code
            if code == "NoSuchBucket":
                raise InputError(f"{self.url}: bucket does not exist") from None
            if code in ("NoSuchKey", "404"):
                raise InputError(f"{self.url}: object not found") from None
            if code in ("AccessDenied", "403", "AllAccessDisabled", "KMS.AccessDeniedException"):
                raise AccessDenied(
                    f"{self.url}: access denied: {message}",
                    hint="Allow s3:ListBucket, s3:GetObject and s3:PutObject on the bucket (and kms:GenerateDataKey)",
                ) from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
                raise AuthError(f"{self.url}: credentials rejected: {message}") from None
            raise EndpointError(f"{self.url}: S3 error {code}: {message}") from None
        raise EndpointError(f"{self.url}: S3 request failed: {exc}") from None
