"""audit --push (and the configuration's push:) against the real Pushgateway: every cluster's metrics read back
through the gateway's API as a group per cluster; an unreachable gateway exits 3 with every file still written."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from evaluator.audit import load_config
from evaluator.cli import cli
from evaluator.errors import InputError
from evaluator.simulator import Simulator, parse_spec
from tests.prometheus_support import free_port, needs_pushgateway, parse_exposition, start_pushgateway

CLUSTERS = ("pay-eu", "pay-us")


def _config(tmp_path: Path, kubeconfigs: dict[str, Path], push: str | None) -> Path:
    lines = ["targets: [self-hosted, eks]"]
    if push is not None:
        lines.append(f"push: {push}")
    lines.append("sources:\n  kube:")
    for name, kc in kubeconfigs.items():
        lines.append(f"    - {{kubeconfig: {kc}, name: {name}, platform: self-hosted}}")
    path = tmp_path / "k8seval.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _audit(args: list[str]):
    return CliRunner().invoke(cli, ["audit", "-q", *args], catch_exceptions=False)


def _by_cluster(text: str) -> dict[str, list[tuple[str, tuple, float]]]:
    """metrics.prom's samples per cluster label (what each Pushgateway group must hold)."""
    out: dict[str, list] = {}
    for name, labels, value in parse_exposition(text):
        cluster = dict(labels).get("cluster")
        if cluster is not None:
            out.setdefault(cluster, []).append((name, labels, value))
    return out


@pytest.fixture(scope="module")
def two_clusters(tmp_path_factory):
    """Kubeconfigs of two small simulated clusters (pay-eu, pay-us)."""
    folder = tmp_path_factory.mktemp("sims")
    sims, kubeconfigs = [], {}
    for i, name in enumerate(CLUSTERS):
        spec = parse_spec(f"name: {name}\nnodes: {4 + i}\npods: {40 + 20 * i}\nnamespaces: 6\n", where=name)
        sim = Simulator(spec, port=0).__enter__()
        sims.append(sim)
        kubeconfigs[name] = sim.write_kubeconfig(folder / f"{name}.yaml")
    yield kubeconfigs
    for sim in sims:
        sim.__exit__(None, None, None)


@needs_pushgateway
@pytest.mark.slow
def test_audit_config_push_puts_every_cluster_as_its_own_group(tmp_path, two_clusters):
    gateway, url = start_pushgateway(tmp_path)
    try:
        out = tmp_path / "out"
        result = _audit(["--config", str(_config(tmp_path, two_clusters, url)), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"pushed 2 group(s) to {url}" in result.stderr
        groups = requests.get(f"{url}/api/v1/metrics", timeout=10).json()["data"]
        assert sorted((g["labels"]["job"], g["labels"]["cluster"]) for g in groups) == [
            ("k8seval", "pay-eu"),
            ("k8seval", "pay-us"),
        ]
        # each group holds exactly that cluster's series of the audit's own metrics.prom
        written = _by_cluster((out / "metrics.prom").read_text())
        for group in groups:
            cluster = group["labels"]["cluster"]
            pushed = sorted(
                float(m["value"]) for m in group["k8seval_constraint_headroom_ratio"]["metrics"] if "value" in m
            )
            want = sorted(v for n, _, v in written[cluster] if n == "k8seval_constraint_headroom_ratio")
            assert pushed == want and want, cluster
            level = "k8seval_constraint_status_level"
            statuses = {m["labels"]["constraint"] for m in group[level]["metrics"]}
            assert statuses == {dict(labels)["constraint"] for n, labels, _ in written[cluster] if n == level}
    finally:
        gateway.stop()


@needs_pushgateway
@pytest.mark.slow
def test_push_flag_overrides_the_configuration(tmp_path, two_clusters):
    gateway, url = start_pushgateway(tmp_path)
    try:
        dead = f"http://127.0.0.1:{free_port()}"
        config = _config(tmp_path, {"pay-eu": two_clusters["pay-eu"]}, dead)
        result = _audit(["--config", str(config), "--out", str(tmp_path / "out"), "--push", url])
        assert result.exit_code == 0, result.output
        groups = requests.get(f"{url}/api/v1/metrics", timeout=10).json()["data"]
        assert [g["labels"]["cluster"] for g in groups] == ["pay-eu"]
    finally:
        gateway.stop()


@pytest.mark.slow
def test_an_unreachable_gateway_exits_3_with_a_hint_and_the_files_written(tmp_path, two_clusters):
    dead = f"http://127.0.0.1:{free_port()}"
    out = tmp_path / "out"
    result = _audit(["--config", str(_config(tmp_path, two_clusters, None)), "--out", str(out), "--push", dead])
    assert result.exit_code == 3
    assert f"Could not reach the Pushgateway at {dead}" in result.stderr
    assert "Check --push" in result.stderr and f"the audit's files are written to {out}" in result.stderr
    assert "Traceback" not in result.output
    for name in ("report.html", "findings.json", "metrics.prom", "questions.xlsx"):
        assert (out / name).is_file(), name
    assert set(_by_cluster((out / "metrics.prom").read_text())) == set(CLUSTERS)


def test_a_malformed_push_url_is_refused_before_anything_is_collected(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["audit", "--sample", "--out", str(out), "--push", "pushgateway:9091"])
    assert result.exit_code == 2
    assert "--push: expected the Pushgateway's http(s) URL" in result.stderr
    assert result.stderr.count("\n") == 1 and not out.exists()


def test_config_push_must_be_an_http_url(tmp_path):
    assert load_config(_config(tmp_path, {"x": tmp_path / "kc.yaml"}, "http://gw:9091/")).push == "http://gw:9091"
    path = _config(tmp_path, {"x": tmp_path / "kc.yaml"}, "ftp://gateway:9091")
    with pytest.raises(InputError, match=r"k8seval\.yaml: push: expected the Pushgateway's http\(s\) URL"):
        load_config(path)
    result = CliRunner().invoke(cli, ["audit", "--config", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "push: expected" in result.stderr and not (tmp_path / "out").exists()
