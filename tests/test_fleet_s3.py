"""The day-two fleet, end to end: three simulated clusters each run the in-cluster collector (the deploy/ CronJob's
arguments, a service-account folder, TLS and a bearer token) to a moto S3 bucket; one `report s3://...` writes
the fleet report. A process killed in the middle of an upload leaves no object behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import yaml

from evaluator.simulator import Simulator, TLSFiles, profile
from tests.etcd_support import make_pki
from tests.in_cluster_support import TOKEN, service_account_dir
from tests.storage_support import keys, make_bucket, s3_env

ROOT = Path(__file__).resolve().parents[1]
CLUSTERS = ("payments-eu", "cards-eu", "ledger-uk")


def cronjob_args() -> list[str]:
    """The collector's arguments as deploy/ renders them (kubectl kustomize), or the same list without kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (scripts/test.sh installs it)")
    out = subprocess.run([kubectl, "kustomize", str(ROOT / "deploy")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    job = next(d for d in yaml.safe_load_all(out.stdout) if d and d["kind"] == "CronJob")
    return list(job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"])


def pod_env(
    tmp_path: Path, moto_url: str, sim: Simulator | None, sa: Path, cluster: str, output: str
) -> dict[str, str]:
    """A collector pod's environment: in-cluster service variables, the ConfigMap's values, AWS credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "K8SEVAL_", "AWS_"))}
    env.update(
        KUBERNETES_SERVICE_HOST="127.0.0.1",
        KUBERNETES_SERVICE_PORT=str(sim.port) if sim else "443",
        K8SEVAL_SERVICE_ACCOUNT_DIR=str(sa),
        HOME=str(tmp_path),
        PYTHONPATH=str(ROOT),
        CLUSTER_NAME=cluster,
        K8SEVAL_OUTPUT=output,
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_k8seval(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Kubernetes expands $(VAR) in a container's args from its environment; do the same here.
    expanded = [a.replace("$(CLUSTER_NAME)", env["CLUSTER_NAME"]).replace("$(K8SEVAL_OUTPUT)", env["K8SEVAL_OUTPUT"])
                for a in args]  # fmt: skip
    code = "from evaluator.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *expanded], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.mark.slow
def test_three_clusters_collect_in_cluster_to_s3_and_one_fleet_report(
    tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_env(monkeypatch, tmp_path, moto_url)
    bucket = f"fleet-{uuid.uuid4().hex[:8]}"
    s3 = make_bucket(moto_url, bucket)
    output = f"s3://{bucket}/snapshots/"
    args = cronjob_args()
    assert args[:2] == ["collect", "kube"]
    pki = make_pki(tmp_path / "pki")
    tls = TLSFiles(cert_file=pki.server_cert, key_file=pki.server_key, ca_file=pki.ca)
    sa = service_account_dir(tmp_path / "sa", pki.ca)
    for i, name in enumerate(CLUSTERS):
        spec = profile("small")
        with Simulator(spec, token=TOKEN, tls=tls) as sim:
            env = pod_env(tmp_path, moto_url, sim, sa, name, output)
            for _run in range(2 if i == 0 else 1):  # the first cluster's job ran twice (two days)
                result = run_k8seval(args, env)
                assert result.returncode == 0, result.stderr
                assert f"wrote {output}self-hosted-{name}-" in result.stdout
    names = keys(s3, bucket, "snapshots/")
    assert len(names) == 4
    folders = {k.split("/")[1] for k in names}
    assert len(folders) == 3 and all(any(f.startswith(f"self-hosted-{c}-") for f in folders) for c in CLUSTERS)

    reporter = pod_env(tmp_path, moto_url, None, sa, "-", "-")  # the fleet job needs no cluster
    report = f"s3://{bucket}/reports/fleet.json"
    result = run_k8seval(["report", output, "--latest", "1", "-o", report], reporter)
    assert result.returncode == 0, result.stderr
    document = json.loads(s3.get_object(Bucket=bucket, Key="reports/fleet.json")["Body"].read())
    assert sorted(document["clusters"]) == sorted(CLUSTERS)
    assert {c["name"] for c in document["report"]["clusters"]} == set(CLUSTERS)
    html = run_k8seval(["report", output, "-o", f"s3://{bucket}/reports/fleet.html"], reporter)
    assert html.returncode == 0, html.stderr
    page = s3.get_object(Bucket=bucket, Key="reports/fleet.html")["Body"].read().decode()
    assert all(name in page for name in CLUSTERS)


KILLED_MID_UPLOAD = textwrap.dedent(
    """
    import io, os, signal, sys
    from evaluator.storage import parse_location
    from evaluator.storage.s3 import S3Store

    store = S3Store(parse_location(sys.argv[1]), multipart_threshold=5 * 2**20, part_size=5 * 2**20)

    def die(**kwargs):
        # The node goes away after the first part: no abort, no completion, nothing more from this process.
        os.kill(os.getpid(), signal.SIGKILL)

    store.client.meta.events.register("after-call.s3.UploadPart", die)
    data = b"k8seval" * (2 * 2**20)  # 14 MiB: three parts
    store.put("reports/report.html", io.BytesIO(data), len(data), content_type="text/html", overwrite=True)
    """
)


def test_a_process_killed_mid_upload_leaves_no_object(
    tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_env(monkeypatch, tmp_path, moto_url)
    bucket = f"kill-{uuid.uuid4().hex[:8]}"
    s3 = make_bucket(moto_url, bucket)
    s3.put_object(Bucket=bucket, Key="reports/other.html", Body=b"yesterday")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=moto_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="eu-west-1", PYTHONPATH=str(ROOT), AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))  # fmt: skip
    result = subprocess.run([sys.executable, "-c", KILLED_MID_UPLOAD, f"s3://{bucket}/"], env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == -9, result.stderr
    # The upload was started and one part sent, but no object became visible.
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == ["reports/report.html"]
    parts = s3.list_parts(Bucket=bucket, Key="reports/report.html", UploadId=uploads[0]["UploadId"])["Parts"]
    assert len(parts) == 1
    assert keys(s3, bucket) == ["reports/other.html"]
