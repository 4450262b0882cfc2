"""The etcd collector against a real etcd-server on loopback: counts, sizes, members, TLS and errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.collectors.etcd import KNOWN_PREFIXES, collect_etcd, prefix_range_end, resource_prefix
from evaluator.errors import EndpointError, InputError
from evaluator.inventory import load_snapshot
from tests.etcd_support import EtcdServer, etcd_server, etcd_tls_server, free_port  # noqa: F401 (fixtures)

# What the test writes, and therefore what the collector must report per prefix.
LAYOUT: dict[str, list[str]] = {
    "/registry/pods/": [f"default/p{i}" for i in range(7)] + [f"kube-system/p{i}" for i in range(3)],
    "/registry/podtemplates/": ["default/t0"],
    "/registry/podsx/": ["default/odd"],  # sorts after "/registry/pods0", the end of the pods range
    "/registry/minions/": [f"node-{i}" for i in range(4)],
    "/registry/namespaces/": ["default", "kube-system"],
    "/registry/services/specs/": [f"default/s{i}" for i in range(5)],
    "/registry/services/endpoints/": [f"default/s{i}" for i in range(5)],
    "/registry/deployments/": ["default/web"],
    "/registry/ranges/": ["serviceips", "servicenodeports"],
    "/registry/apiextensions.k8s.io/customresourcedefinitions/": ["ciliumnetworkpolicies.cilium.io"],
    "/registry/cilium.io/ciliumnetworkpolicies/": [f"default/c{i}" for i in range(3)],
    "/registry/a.example.com/widgets/": ["default/w0", "default/w1"],  # before the first known prefix
    "/registry/zz.example.com/things/": ["t0"],  # after the last one
    "/registry/health": [""],  # a single key, not a folder
}
OUTSIDE = ["compact_rev_key"]  # the apiserver keeps this one outside /registry/


@pytest.fixture(scope="module")
def populated(etcd_server: EtcdServer) -> EtcdServer:  # noqa: F811
    """The session etcd holding exactly LAYOUT and OUTSIDE."""
    etcd_server.delete_all()
    for prefix, names in LAYOUT.items():
        for suffix in names:
            etcd_server.put(prefix + suffix)
    for key in OUTSIDE:
        etcd_server.put(key, b"1")
    # etcd commits its backend in batches (every 100 ms); wait until the sizes settle so that
    # the collector and the test read the same Status.
    before = None
    for _ in range(50):
        status = etcd_server.post("maintenance/status", {})
        now = (status["dbSize"], status.get("dbSizeInUse"))
        if now == before:
            break
        before = now
        time.sleep(0.2)
    return etcd_server


def expected_keys() -> dict[str, int]:
    expected = {prefix: 0 for prefix in KNOWN_PREFIXES}
    expected.update({prefix: len(names) for prefix, names in LAYOUT.items()})
    return expected


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        (b"/registry/pods/default/p", b"/registry/pods/"),
        (b"/registry/minions/node-1", b"/registry/minions/"),
        (b"/registry/services/specs/default/s", b"/registry/services/specs/"),
        (b"/registry/services/endpoints/default/s", b"/registry/services/endpoints/"),
        (b"/registry/cilium.io/ciliumnetworkpolicies/ns/x", b"/registry/cilium.io/ciliumnetworkpolicies/"),
        (b"/registry/apiregistration.k8s.io/apiservices/v1.", b"/registry/apiregistration.k8s.io/apiservices/"),
        (b"/registry/ranges/serviceips", b"/registry/ranges/"),
        (b"/registry/health", None),
        (b"compact_rev_key", None),
    ],
)
def test_resource_prefix(key: bytes, prefix: bytes | None) -> None:
    assert resource_prefix(key) == prefix


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        (b"/registry/", b"/registry0"),
        (b"/registry/pods/", b"/registry/pods0"),
        (b"a\xff", b"b"),
        (b"\xff\xff", b"\x00"),
    ],
)
def test_prefix_range_end(prefix: bytes, end: bytes) -> None:
    assert prefix_range_end(prefix) == end


def test_collect_counts_every_prefix_and_db_size(populated: EtcdServer) -> None:
    snap = collect_etcd([populated.url], name="lab")
    status = populated.post("maintenance/status", {})
    etcd = snap.etcd
    assert etcd.keys == expected_keys()
    assert etcd.keys["/registry/secrets/"] == 0  # known prefix, absent: a measured zero
    assert etcd.total_keys == sum(len(v) for v in LAYOUT.values()) + len(OUTSIDE)
    assert etcd.db_size_bytes == int(status["dbSize"]) > 0
    assert etcd.db_size_in_use_bytes == int(status["dbSizeInUse"])
    assert etcd.version == status["version"]
    assert etcd.quota_backend_bytes == 2 * 1024**3  # etcd's default --quota-backend-bytes
    assert etcd.source == "etcd"
    [member] = etcd.members
    assert member.name == "test" and member.is_leader and etcd.leader == "test"
    assert member.id == format(int(status["header"]["member_id"]), "x")
    assert member.db_size_bytes == int(status["dbSize"]) and member.raft_term == int(status["raftTerm"])
    assert member.client_urls == [populated.url]
    assert snap.cluster.name == "lab" and snap.cluster.platform == "unknown" and snap.cluster.endpoint is None
    assert snap.collection.collectors == ["etcd"]
    # the etcd section is whole; every other section is left to collect kube, and says so
    assert [g for g in snap.gaps if g.item == "etcd" or g.item.startswith("etcd.")] == []
    assert snap.gaps and all("collect kube" in g.reason for g in snap.gaps)
    # requests grow with prefixes, not keys: known counts + one per discovered prefix and stretch + 4 others
    discovered = len(set(LAYOUT) - set(KNOWN_PREFIXES))
    assert snap.collection.requests is not None
    assert snap.collection.requests <= 2 * len(KNOWN_PREFIXES) + 1 + discovered + 4


def test_known_prefixes_do_not_nest() -> None:
    # count_prefixes fences the skip scan with these ranges, so none may contain another
    for a in KNOWN_PREFIXES:
        assert a.startswith("/registry/") and a.endswith("/")
        assert not [b for b in KNOWN_PREFIXES if b != a and b.startswith(a)]


def test_explicit_prefixes_count_only(populated: EtcdServer) -> None:
    snap = collect_etcd([populated.url], prefixes=["/registry/pods/", "/registry/secrets/", "/registry/minions/"])
    assert snap.etcd.keys == {"/registry/minions/": 4, "/registry/pods/": 10, "/registry/secrets/": 0}
    assert snap.cluster.name == "127.0.0.1"


def test_cli_writes_snapshot(populated: EtcdServer, tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    result = CliRunner().invoke(
        cli, ["collect", "etcd", "--endpoints", populated.url, "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    snap = load_snapshot(out)
    assert snap.etcd.keys == expected_keys()
    raw = json.loads(out.read_text())
    assert raw["etcd"]["keys"]["/registry/minions/"] == 4
    assert raw["etcd"]["db_size_bytes"] == int(populated.post("maintenance/status", {})["dbSize"])


def test_unreachable_endpoint_among_healthy_is_a_gap(populated: EtcdServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    snap = collect_etcd([dead, populated.url], timeout=2)
    assert snap.cluster.endpoint is None  # an etcd URL is not the cluster's API endpoint
    assert any(populated.url in m.client_urls for m in snap.etcd.members)
    assert snap.etcd.keys["/registry/pods/"] == 10
    gap = snap.gap_for(f"etcd.endpoint.{dead}")
    assert gap is not None and "connection refused" in gap.reason


def test_unreachable_port_exits_3(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(cli, ["collect", "etcd", "--endpoints", url, "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and "connection refused" in result.output
    assert not (tmp_path / "x.json").exists()
    with pytest.raises(EndpointError):
        collect_etcd([url, f"http://127.0.0.1:{free_port()}"], timeout=2)


def test_bad_endpoint_and_missing_cert_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an http"):
        collect_etcd(["ftp://127.0.0.1:2379"])
    missing = tmp_path / "nope.crt"
    result = CliRunner().invoke(
        cli, ["collect", "etcd", "--endpoints", "https://127.0.0.1:1", "--cacert", str(missing)]
    )
    assert result.exit_code == 2
    assert str(missing) in result.output and "not found" in result.output
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(InputError, match="garbage.pem"):
        collect_etcd(["https://127.0.0.1:1"], cacert=str(garbage))


def test_mtls_with_client_certificate(etcd_tls_server: EtcdServer, tmp_path: Path) -> None:  # noqa: F811
    tls = etcd_tls_server.tls
    assert tls is not None
    etcd_tls_server.put("/registry/pods/default/secure")
    out = tmp_path / "tls.json"
    args = ["collect", "etcd", "--endpoints", etcd_tls_server.url, "--cacert", str(tls.ca)]
    result = CliRunner().invoke(
        cli, [*args, "--cert", str(tls.client_cert), "--key", str(tls.client_key), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    snap = load_snapshot(out)
    assert snap.etcd.keys["/registry/pods/"] == 1
    assert snap.etcd.quota_backend_bytes == 2 * 1024**3  # /metrics read with the client certificate too


def test_mtls_without_client_certificate_exits_3(etcd_tls_server: EtcdServer) -> None:  # noqa: F811
    tls = etcd_tls_server.tls
    assert tls is not None
    result = CliRunner().invoke(
        cli, ["collect", "etcd", "--endpoints", etcd_tls_server.url, "--cacert", str(tls.ca), "-o", "unused.json"]
    )
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and "--cert" in result.output


def test_mtls_unknown_ca_and_plain_http_to_tls(etcd_tls_server: EtcdServer) -> None:  # noqa: F811
    tls = etcd_tls_server.tls
    assert tls is not None
    with pytest.raises(EndpointError, match="certificate verify failed") as info:
        collect_etcd([etcd_tls_server.url], cert=str(tls.client_cert), key=str(tls.client_key))
    assert "--cacert" in str(info.value)
    plain = etcd_tls_server.url.replace("https://", "http://")
    with pytest.raises(EndpointError, match="use an https:// URL"):
        collect_etcd([plain])
