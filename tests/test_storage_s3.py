"""Snapshots in S3: the storage package and the commands against a real moto server on loopback."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from evaluator.errors import AccessDenied, AuthError, InputError
from evaluator.inventory import ClusterInfo, save_snapshot
from evaluator.storage import parse_location, read_snapshots, snapshot_key, write_snapshot
from evaluator.storage.s3 import S3Store
from tests.factories import make_snapshot
from tests.storage_support import keys, make_bucket, s3_env

BUCKET = "bank-k8seval"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> object:
    s3_env(monkeypatch, tmp_path, moto_url)
    import uuid

    bucket = f"{BUCKET}-{uuid.uuid4().hex[:8]}"
    client = make_bucket(moto_url, bucket)
    client.bucket = bucket  # type: ignore[attr-defined]
    return client


def test_location_parsing() -> None:
    loc = parse_location("s3://bank-k8seval/fleet/daily")
    assert (loc.scheme, loc.bucket, loc.prefix) == ("s3", "bank-k8seval", "fleet/daily/")
    assert parse_location("gs://b-1/").prefix == ""
    with pytest.raises(InputError, match="not a valid bucket name"):
        parse_location("s3://Bad_Bucket/x")
    with pytest.raises(InputError, match="expected s3://"):
        parse_location("ftp://x/y")


def test_keys_never_collide_between_clusters() -> None:
    info = ClusterInfo(name="payments", platform="eks", account="111", region="eu-west-1")
    a = make_snapshot("payments", cluster=info)
    b = replace(a, cluster=replace(a.cluster, account="222"))
    ka, kb = snapshot_key(a, "p/"), snapshot_key(b, "p/")
    assert ka != kb and ka.startswith("p/eks-payments-") and ka.endswith("/20261101T100000Z.json")
    assert snapshot_key(a, "p/", attempt=2).endswith("/20261101T100000Z-2.json")


def test_write_and_read_back(s3: object) -> None:
    bucket = s3.bucket  # type: ignore[attr-defined]
    snap = make_snapshot("prod-eu")
    url = write_snapshot(snap, f"s3://{bucket}/snapshots/")
    assert url.startswith(f"s3://{bucket}/snapshots/self-hosted-prod-eu-")
    # A second run in the same second does not replace the first object.
    url2 = write_snapshot(snap, f"s3://{bucket}/snapshots/")
    assert url2 != url and url2.endswith("-2.json")
    assert len(keys(s3, bucket, "snapshots/")) == 2
    loaded = read_snapshots([f"s3://{bucket}/snapshots/"])
    assert [s.cluster.name for s in loaded] == ["prod-eu", "prod-eu"]
    assert loaded[0].to_dict() == snap.to_dict()


def test_latest_per_cluster_reads_only_the_newest(s3: object) -> None:
    bucket = s3.bucket  # type: ignore[attr-defined]
    for name in ("a", "b", "c"):
        for day in range(1, 6):
            write_snapshot(make_snapshot(name, collected_at=f"2026-11-0{day}T02:00:00Z"), f"s3://{bucket}/fleet/")
    assert len(keys(s3, bucket)) == 15
    loaded = read_snapshots([f"s3://{bucket}/fleet/"], latest=2)
    got = sorted((s.cluster.name, s.collected_at) for s in loaded)
    assert got == [(n, f"2026-11-0{d}T02:00:00Z") for n in "abc" for d in (4, 5)]
    assert len(read_snapshots([f"s3://{bucket}/fleet/"])) == 15


def test_latest_on_a_flat_folder_uses_collected_at(tmp_path: Path) -> None:
    for day in (1, 3, 2):
        save_snapshot(make_snapshot("x", collected_at=f"2026-11-0{day}T02:00:00Z"), tmp_path / f"x-{day}.json")
    loaded = read_snapshots([tmp_path], latest=1)
    assert [s.collected_at for s in loaded] == ["2026-11-03T02:00:00Z"]


def test_bad_object_names_the_url(s3: object) -> None:
    bucket = s3.bucket  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="in/broken.json", Body=b"{not json")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=f"s3://{bucket}/in/broken.json: not valid JSON"):
        read_snapshots([f"s3://{bucket}/in/"])
    with pytest.raises(InputError, match="no snapshot files"):
        read_snapshots([f"s3://{bucket}/empty/"])
    with pytest.raises(InputError, match="bucket does not exist"):
        read_snapshots(["s3://no-such-bucket-k8seval/x/"])


def test_server_side_encryption_with_kms_key(s3: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    bucket = s3.bucket  # type: ignore[attr-defined]
    kms = boto3.client("kms", endpoint_url=s3.meta.endpoint_url, region_name="eu-west-1")  # type: ignore[attr-defined]
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    store = S3Store(parse_location(f"s3://{bucket}/"), kms_key_id=key_id)
    assert store.put("enc.json", io.BytesIO(b"{}"), 2, content_type="application/json", overwrite=False)
    head = s3.head_object(Bucket=bucket, Key="enc.json")  # type: ignore[attr-defined]
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(key_id)
    aes = S3Store(parse_location(f"s3://{bucket}/"), sse="AES256")
    aes.put("aes.json", io.BytesIO(b"{}"), 2, content_type="application/json", overwrite=True)
    assert s3.head_object(Bucket=bucket, Key="aes.json")["ServerSideEncryption"] == "AES256"  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="K8SEVAL_S3_SSE"):
        S3Store(parse_location(f"s3://{bucket}/"), sse="rot13")


def test_multipart_upload_and_interrupted_upload_leaves_nothing(s3: object) -> None:
    bucket = s3.bucket  # type: ignore[attr-defined]
    mib = 2**20
    store = S3Store(parse_location(f"s3://{bucket}/"), multipart_threshold=5 * mib, part_size=5 * mib)
    data = bytes(range(256)) * (12 * mib // 256)
    assert store.put("big.bin", io.BytesIO(data), len(data), content_type="application/octet-stream", overwrite=False)
    assert s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read() == data  # type: ignore[attr-defined]
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')  # type: ignore[attr-defined]

    class FailingReader(io.BytesIO):
        """A source that breaks after the first part, as a disk or a pipe would."""

        def read(self, n: int | None = -1) -> bytes:
            if self.tell() >= 5 * mib:
                raise OSError("input/output error")
            return super().read(n)

    with pytest.raises(OSError, match="input/output error"):
        store.put("half.bin", FailingReader(data), len(data), content_type="application/octet-stream", overwrite=False)
    assert "half.bin" not in keys(s3, bucket)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # type: ignore[attr-defined]
    # And no overwrite: the big object stays as it was.
    assert not store.put("big.bin", io.BytesIO(b"x"), 1, content_type="text/plain", overwrite=False)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == len(data)  # type: ignore[attr-defined]


def test_access_denied_is_exit_3_class(s3: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto's IAM enforcement is off by default; the mapping is checked on a real ClientError shape instead.
    from botocore.exceptions import ClientError

    from evaluator.storage.s3 import _errors

    with pytest.raises(AccessDenied, match="access denied"):
        with _errors("s3://b/k"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")


def test_snapshot_json_in_bucket_matches_local_file(s3: object, tmp_path: Path) -> None:
    bucket = s3.bucket  # type: ignore[attr-defined]
    snap = make_snapshot("same")
    url = write_snapshot(snap, f"s3://{bucket}/")
    key = url.split(f"s3://{bucket}/", 1)[1]
    remote = s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
    local = save_snapshot(snap, tmp_path / "s.json").read_bytes()
    assert json.loads(remote) == json.loads(local)


# ------------------------------------------------------------------------------------------------ the commands


def test_collect_score_report_questions_through_s3(s3: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli
    from evaluator.simulator import Simulator, profile

    bucket = s3.bucket  # type: ignore[attr-defined]
    prefix = f"s3://{bucket}/snapshots/"
    runner = CliRunner()
    with Simulator(profile("small")) as sim:
        kubeconfig = sim.write_kubeconfig(tmp_path / "kc")
        for name in ("edge-1", "edge-2"):
            result = runner.invoke(
                cli, ["collect", "kube", "--kubeconfig", str(kubeconfig), "--name", name, "-o", prefix],
                catch_exceptions=False,
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            assert f"wrote {prefix}self-hosted-{name}-" in result.output
    assert len(keys(s3, bucket, "snapshots/")) == 2

    result = runner.invoke(cli, ["score", prefix, "--format", "json", "--latest", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert sorted(document["clusters"]) == ["edge-1", "edge-2"]

    out = f"s3://{bucket}/reports/fleet.md"
    result = runner.invoke(cli, ["report", prefix, "-o", out], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = s3.get_object(Bucket=bucket, Key="reports/fleet.md")["Body"].read().decode()  # type: ignore[attr-defined]
    assert "edge-1" in text and "edge-2" in text

    result = runner.invoke(cli, ["questions", prefix, "-o", str(tmp_path / "q.md")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 clusters measured" in result.output


def test_collect_to_a_bad_bucket_name_exits_2(s3: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli

    result = CliRunner().invoke(cli, ["score", "s3://Not_A_Bucket/x/"])
    assert result.exit_code == 2
    assert "not a valid bucket name" in result.stderr
    result = CliRunner().invoke(cli, ["score", f"s3://{s3.bucket}/nothing-here/"])  # type: ignore[attr-defined]
    assert result.exit_code == 2 and "no snapshot files" in result.stderr


def test_missing_credentials_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli

    s3_env(monkeypatch, tmp_path, moto_url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = CliRunner().invoke(cli, ["score", "s3://some-bucket/x/"])
    assert result.exit_code == 3, result.output
    assert "no AWS credentials" in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_audit_sample_out_to_s3(s3: object) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli

    bucket = s3.bucket  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli, ["audit", "--sample", "--out", f"s3://{bucket}/audits/"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = keys(s3, bucket, "audits/")
    for report in ("report.html", "report.md", "findings.json", "junit.xml", "questions.xlsx"):
        assert f"audits/{report}" in names
    snaps = [k for k in names if k.startswith("audits/snapshots/")]
    assert len(snaps) == 3 and all(k.endswith("Z.json") for k in snaps)
    assert len({k.rsplit("/", 1)[0] for k in snaps}) == 1  # one cluster folder, three times
    assert f"wrote {len(names)} objects to s3://{bucket}/audits/" in result.stderr
    # The uploaded snapshots are read back as the cluster's history.
    result = CliRunner().invoke(cli, ["score", f"s3://{bucket}/audits/snapshots/", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["forecasts"]


def test_unreachable_endpoint_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli
    from tests.etcd_support import free_port

    s3_env(monkeypatch, tmp_path, moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = CliRunner().invoke(cli, ["score", "s3://some-bucket/x/"])
    assert result.exit_code == 3, result.output
    assert "cannot reach S3" in result.stderr and "AWS_ENDPOINT_URL" in result.stderr


def test_diff_and_merge_through_s3(s3: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli
    from tests.test_diff import _grown

    bucket = s3.bucket  # type: ignore[attr-defined]
    write_snapshot(make_snapshot("prod-1"), f"s3://{bucket}/2026-11/")
    write_snapshot(_grown(), f"s3://{bucket}/2026-12/")
    result = CliRunner().invoke(
        cli, ["diff", f"s3://{bucket}/2026-11/", f"s3://{bucket}/2026-12/", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {f["fact"] for f in doc["facts"]} >= {"nodes.count", "etcd.db_size_bytes"}
    assert doc["counts"]["new"] >= 2
    # A single object works as a side too.
    (new_key,) = keys(s3, bucket, "2026-12/")
    result = CliRunner().invoke(cli, ["diff", f"s3://{bucket}/2026-11/", f"s3://{bucket}/{new_key}", "--format", "md"])
    assert result.exit_code == 0 and "nodes.count" in result.stdout

    a = save_snapshot(make_snapshot("m"), tmp_path / "a.json")
    b = save_snapshot(make_snapshot("m"), tmp_path / "b.json")
    result = CliRunner().invoke(cli, ["collect", "merge", str(a), str(b), "-o", f"s3://{bucket}/merged/"])
    assert result.exit_code == 0, result.output
    assert len(keys(s3, bucket, "merged/self-hosted-m-")) == 1


def test_audit_config_keeps_a_bucket_out(tmp_path: Path) -> None:
    from evaluator.audit import load_config

    path = tmp_path / "k8seval.yaml"
    path.write_text("out: s3://bank-k8seval/audits/\nsources:\n  kube: [{context: prod}]\n")
    assert load_config(path).out == "s3://bank-k8seval/audits/"
    path.write_text("out: reports/x\nsources:\n  kube: [{context: prod}]\n")
    assert load_config(path).out == str(tmp_path / "reports/x")


def test_a_named_profile_for_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, moto_url: str) -> None:
    from evaluator.storage import forget_stores

    s3_env(monkeypatch, tmp_path, moto_url)
    bucket = f"{BUCKET}-profile"
    make_bucket(moto_url, bucket)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    (tmp_path / "credentials").write_text("[storage]\naws_access_key_id = fleet\naws_secret_access_key = fleet\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(AuthError, match="no AWS credentials"):
        read_snapshots([f"s3://{bucket}/"])
    monkeypatch.setenv("K8SEVAL_S3_PROFILE", "storage")
    forget_stores()
    url = write_snapshot(make_snapshot("p"), f"s3://{bucket}/")
    assert [s.cluster.name for s in read_snapshots([url])] == ["p"]
    monkeypatch.setenv("K8SEVAL_S3_PROFILE", "nope")
    forget_stores()
    with pytest.raises(AuthError, match="nope"):
        read_snapshots([f"s3://{bucket}/"])


def test_collect_eks_same_name_in_two_regions_gets_two_cluster_folders(
    s3: object, monkeypatch: pytest.MonkeyPatch, moto_url: str
) -> None:
    from click.testing import CliRunner

    from evaluator.cli import cli
    from tests.eks_support import seed_cluster

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # moto answers ListServiceQuotas with 500: keep back-off short
    bucket = s3.bucket  # type: ignore[attr-defined]
    for region in ("eu-west-1", "us-east-1"):
        seed_cluster(region, "shared", endpoint_url=moto_url)
    args = ["collect", "eks", "--region", "eu-west-1", "--region", "us-east-1", "--cluster", "shared"]
    result = CliRunner().invoke(cli, [*args, "-o", f"s3://{bucket}/eks/"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = keys(s3, bucket, "eks/")
    assert len(names) == 2 and len({k.split("/")[1] for k in names}) == 2
    regions = sorted(s.cluster.region for s in read_snapshots([f"s3://{bucket}/eks/"]))
    assert regions == ["eu-west-1", "us-east-1"]
