"""Helpers for the simulator tests: run real kubectl, start ``k8seval simulate`` as a process, raw API reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/test.sh installs it)")

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
POML = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


def kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run kubectl against ``kubeconfig`` with a private discovery cache beside it."""
    assert KUBECTL is not None
    cache = Path(kubeconfig).parent / "kubectl-cache"
    cmd = [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), "--request-timeout=60s", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def api_client(kubeconfig: Path, retries: Any = None) -> client.ApiClient:
    """A kubernetes ApiClient from a kubeconfig; ``retries=False`` turns urllib3's own retries off."""
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    if retries is not None:
        configuration.retries = retries
    return client.ApiClient(configuration)


def raw_get(api: client.ApiClient, path: str, query: dict[str, Any] | None = None, accept: str = "application/json"):
    """GET ``path`` through the client (kubernetes>=37 call_api); returns (status, headers, parsed JSON or text)."""
    method, url, headers, body, post = api.param_serialize(
        "GET",
        path,
        query_params=list((query or {}).items()),
        header_params={"Accept": accept},
        auth_settings=["BearerToken"],
    )
    response = api.call_api(method, url, header_params=headers, body=body, post_params=post, _request_timeout=30)
    response.read()
    text = response.data.decode()
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = text
    return response.status, dict(response.getheaders()), data


def raw_json(api: client.ApiClient, path: str, query: dict[str, Any] | None = None, accept: str = "application/json"):
    """Like :func:`raw_get` but raise ApiException on a non-2xx answer and return only the body."""
    status, _headers, data = raw_get(api, path, query, accept)
    if not 200 <= status <= 299:
        raise ApiException(status=status, reason=json.dumps(data))
    return data


class SimulateProcess:
    """``k8seval simulate`` in a subprocess; waits for its kubeconfig, stops it with SIGTERM."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.kubeconfig = tmp / "sim.kubeconfig"
        code = "from evaluator.cli import main; main()"
        cmd = [sys.executable, "-c", code, "simulate", "--kubeconfig-out", str(self.kubeconfig), *args]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.url = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            if not line and self.proc.poll() is not None:
                raise AssertionError(f"simulate exited {self.proc.returncode}: {self.proc.stderr.read()}")
            if " at http://" in line or " at https://" in line:
                self.url = line.rsplit(" at ", 1)[1].strip()
            if line.startswith("Kubeconfig:"):
                break
        assert self.url and self.kubeconfig.exists(), "simulate did not report its URL and kubeconfig"

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return (exit code, remaining stdout)."""
        self.proc.terminate()
        out, _err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out
