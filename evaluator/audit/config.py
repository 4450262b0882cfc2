"""The audit configuration file (``k8seval.yaml``): schema and validation (format in the package docstring)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fileio import load_yaml
from ..findings import ALL_STATUSES, TARGETS
from ..inventory import PLATFORMS
from ..procurement.jurisdictions import check_jurisdictions
from ..storage import is_remote


@dataclass(frozen=True)
class KubeSource:
    """A Kubernetes API to collect (one cluster)."""

    context: str | None = None
    kubeconfig: str | None = None
    name: str | None = None
    platform: str | None = None
    policy_model: bool = False  # keep the NetworkPolicy model (set by audit --with-policies)

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"kube {self.name or self.context or 'current context'}"


@dataclass(frozen=True)
class EtcdSource:
    """An etcd cluster to read directly, belonging to ``cluster``."""

    cluster: str
    endpoints: list[str]
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"etcd {self.cluster}"


@dataclass(frozen=True)
class EksSource:
    """EKS clusters of one AWS profile in some regions."""

    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    clusters: list[str] | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"eks {self.profile or 'default profile'} {','.join(self.regions) or 'default region'}"


@dataclass(frozen=True)
class GkeSource:
    """GKE clusters of some projects and locations."""

    projects: list[str]
    locations: list[str] = field(default_factory=list)
    clusters: list[str] | None = None
    endpoint: str | None = None

    @property
    def label(self) -> str:
        """How the source is named in progress lines and warnings."""
        return f"gke {','.join(self.projects)}"


@dataclass(frozen=True)
class AuditConfig:
    """A validated audit configuration (see the module docstring for the YAML)."""

    kube: list[KubeSource] = field(default_factory=list)
    etcd: list[EtcdSource] = field(default_factory=list)
    eks: list[EksSource] = field(default_factory=list)
    gke: list[GkeSource] = field(default_factory=list)
    targets: list[str] | None = None
    policy: str | None = None
    costs: str | None = None
    out: str | None = None
    fail_on: str | None = None
    title: str | None = None
    source_file: str | None = None
    answers: list[str] = field(default_factory=list)
    templates: str | None = None
    jurisdictions: list[str] | None = None  # regulatory regimes of the question lists (default: uk, eu)
    push: str | None = None  # a Pushgateway URL: the OpenMetrics of every cluster is PUT there after the audit

    @property
    def source_count(self) -> int:
        """Number of configured sources."""
        return len(self.kube) + len(self.etcd) + len(self.eks) + len(self.gke)


class _Fields:
    """Reads one mapping of the config, naming file and field in every error."""

    def __init__(self, data: Any, where: str, path: str, allowed: Sequence[str]) -> None:
        if not isinstance(data, dict):
            raise InputError(f"{where}: {path or 'top level'}: expected a mapping, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            prefix = f"{path}." if path else ""
            raise InputError(f"{where}: {prefix}{unknown[0]}: unknown field (expected one of {', '.join(allowed)})")
        self.data, self.where, self.path, self.base = data, where, path, Path(where).parent

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError(f"{self.where}: {self._name(key)}: required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value).strip() == "":
            raise InputError(f"{self.where}: {self._name(key)}: expected a non-empty string, got {value!r}")
        return str(value)

    def path_value(self, key: str) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        p = Path(os.path.expanduser(value))
        return str(p if p.is_absolute() else self.base / p)

    def path_values(self, key: str) -> list[str]:
        return [str(self._resolve(v)) for v in self.texts(key) or []]

    def _resolve(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.base / p

    def texts(self, key: str, *, required: bool = False) -> list[str] | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise InputError(f"{self.where}: {self._name(key)}: required")
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(f"{self.where}: {self._name(key)}: expected a list of strings, got {value!r}")
        if required and not value:
            raise InputError(f"{self.where}: {self._name(key)}: must not be empty")
        return list(value)

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            raise InputError(f"{self.where}: {self._name(key)}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    def entries(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(f"{self.where}: {self._name(key)}: expected a list of entries, got {type(value).__name__}")
        return value


def parse_config(data: Any, where: str) -> AuditConfig:
    """Validate parsed YAML as an audit configuration; errors name ``where`` and the field."""
    top = _Fields(
        data,
        where,
        "",
        (
            "title",
            "out",
            "targets",
            "policy",
            "costs",
            "answers",
            "templates",
            "jurisdictions",
            "fail_on",
            "push",
            "sources",
        ),
    )
    targets = top.texts("targets")
    for i, t in enumerate(targets or []):
        if t not in TARGETS:
            raise InputError(f"{where}: targets[{i}]: unknown target {t!r} (expected one of {', '.join(TARGETS)})")
    sources = _Fields(data.get("sources") or {}, where, "sources", ("kube", "etcd", "eks", "gke"))
    kube = []
    for i, item in enumerate(sources.entries("kube")):
        f = _Fields(item, where, f"sources.kube[{i}]", ("context", "kubeconfig", "name", "platform"))
        kube.append(
            KubeSource(f.text("context"), f.path_value("kubeconfig"), f.text("name"), f.choice("platform", PLATFORMS))
        )
    etcd = []
    for i, item in enumerate(sources.entries("etcd")):
        f = _Fields(item, where, f"sources.etcd[{i}]", ("cluster", "endpoints", "cacert", "cert", "key"))
        endpoints = f.texts("endpoints", required=True) or []
        for j, url in enumerate(endpoints):
            if not url.startswith(("http://", "https://")):
                raise InputError(f"{where}: sources.etcd[{i}].endpoints[{j}]: expected an http(s) URL, got {url!r}")
        cert, key = f.path_value("cert"), f.path_value("key")
        if bool(cert) != bool(key):
            raise InputError(f"{where}: sources.etcd[{i}]: cert and key must be given together")
        etcd.append(EtcdSource(f.text("cluster", required=True) or "", endpoints, f.path_value("cacert"), cert, key))
    eks = []
    for i, item in enumerate(sources.entries("eks")):
        f = _Fields(item, where, f"sources.eks[{i}]", ("profile", "regions", "clusters"))
        eks.append(EksSource(f.text("profile"), f.texts("regions") or [], f.texts("clusters")))
    gke = []
    for i, item in enumerate(sources.entries("gke")):
        f = _Fields(item, where, f"sources.gke[{i}]", ("projects", "locations", "clusters", "endpoint"))
        gke.append(
            GkeSource(
                f.texts("projects", required=True) or [],
                f.texts("locations") or [],
                f.texts("clusters"),
                f.text("endpoint"),
            )
        )
    config = AuditConfig(
        kube=kube,
        etcd=etcd,
        eks=eks,
        gke=gke,
        targets=targets,
        policy=top.path_value("policy"),
        costs=top.path_value("costs"),
        out=top.text("out") if is_remote(top.data.get("out")) else top.path_value("out"),  # s3:// gs:// kept
        fail_on=top.choice("fail_on", ALL_STATUSES),
        title=top.text("title"),
        source_file=where,
        answers=top.path_values("answers"),
        templates=top.path_value("templates"),
        jurisdictions=list(check_jurisdictions(top.texts("jurisdictions"), f"{where}: jurisdictions"))
        if data.get("jurisdictions") is not None
        else None,
        push=_push_url(top.text("push"), where),
    )
    if config.source_count == 0:
        raise InputError(f"{where}: sources: list at least one source (kube, etcd, eks or gke)")
    return config


def _push_url(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    from ..collectors.pushgateway import check_url

    return check_url(value, f"{where}: push")


def load_config(path: str | os.PathLike[str]) -> AuditConfig:
    """Read and validate an audit configuration file; any problem is an InputError naming the file and field."""
    data = load_yaml(path)
    return parse_config(data if data is not None else {}, str(Path(path)))
