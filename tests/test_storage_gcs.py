"""Snapshots in GCS: the official google-cloud-storage client against fake-gcs-server on loopback."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.storage import forget_stores, parse_location, read_snapshots, write_snapshot
from evaluator.storage.gcs import GCSStore, make_gcs_client
from tests.factories import make_snapshot
from tests.storage_support import gcs_url  # noqa: F401 - the fixture


@pytest.fixture
def bucket(gcs_url: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("K8SEVAL_GCS_ENDPOINT", gcs_url)
    forget_stores()
    name = f"fleet-{uuid.uuid4().hex[:8]}"
    make_gcs_client(gcs_url).create_bucket(name)
    return name


def _names(bucket: str) -> list[str]:
    return sorted(b.name for b in make_gcs_client().list_blobs(bucket))


def test_write_never_overwrites_and_reads_back(bucket: str) -> None:
    snap = make_snapshot("gke-prod", platform="gke")
    first = write_snapshot(snap, f"gs://{bucket}/snapshots/")
    second = write_snapshot(snap, f"gs://{bucket}/snapshots/")
    assert first.startswith(f"gs://{bucket}/snapshots/gke-gke-prod-") and second.endswith("-2.json")
    assert len(_names(bucket)) == 2
    loaded = read_snapshots([f"gs://{bucket}/snapshots/"], latest=1)
    assert len(loaded) == 1 and loaded[0].to_dict() == snap.to_dict()


def test_large_object_goes_up_resumable_and_a_failed_one_is_not_visible(bucket: str) -> None:
    mib = 2**20
    # The client sends up to 8 MiB in one request; above that, a resumable upload in 1 MiB chunks.
    store = GCSStore(parse_location(f"gs://{bucket}/"), multipart_threshold=8 * mib, part_size=mib)
    data = bytes(range(256)) * (9 * mib // 256)
    assert store.put("big.bin", io.BytesIO(data), len(data), content_type="application/octet-stream", overwrite=False)
    assert store.get("big.bin") == data

    class FailingReader(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if self.tell() >= 3 * mib:
                raise OSError("input/output error")
            return super().read(n)

    with pytest.raises(OSError):
        store.put("half.bin", FailingReader(data), len(data), content_type="application/octet-stream", overwrite=False)
    assert "half.bin" not in _names(bucket)
    assert not store.put("big.bin", io.BytesIO(b"x"), 1, content_type="text/plain", overwrite=False)
    assert store.get("big.bin") == data


def test_commands_read_and_write_gs(bucket: str, tmp_path: Path) -> None:
    for name in ("gke-a", "gke-b"):
        write_snapshot(make_snapshot(name, platform="gke"), f"gs://{bucket}/snaps/")
    result = CliRunner().invoke(cli, ["score", f"gs://{bucket}/snaps/", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.stdout)["clusters"]) == ["gke-a", "gke-b"]
    result = CliRunner().invoke(
        cli, ["report", f"gs://{bucket}/snaps/", "-o", f"gs://{bucket}/out/report.json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    document = json.loads(make_gcs_client().bucket(bucket).blob("out/report.json").download_as_bytes())
    assert sorted(document["clusters"]) == ["gke-a", "gke-b"]


def test_missing_bucket_is_exit_2(bucket: str) -> None:
    with pytest.raises(InputError, match="not found"):
        read_snapshots(["gs://no-such-bucket-here/x/"])
    result = CliRunner().invoke(cli, ["score", "gs://no-such-bucket-here/x/"])
    assert result.exit_code == 2 and "not found" in result.stderr


def test_unreachable_endpoint_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.etcd_support import free_port

    monkeypatch.setenv("K8SEVAL_GCS_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    forget_stores()
    result = CliRunner().invoke(cli, ["score", "gs://some-bucket/x/"])
    assert result.exit_code == 3, result.output
    assert "cannot reach Cloud Storage" in result.stderr
