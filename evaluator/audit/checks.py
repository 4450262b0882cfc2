"""Checks of every file an audit configuration names, made before anything is collected."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .config import AuditConfig


def check_config(config: AuditConfig) -> None:
    """Check every file ``config`` names before anything is collected; the first problem is an InputError.

    Policy and cost files are loaded and validated, answer workbooks read against the question bank,
    template folders compiled, kubeconfigs parsed (with the context looked up), etcd certificate files read.
    """
    where = config.source_file or "audit configuration"
    if config.policy:
        from ..catalog.loader import load_catalog
        from ..scoring.policy import load_policy

        load_policy(config.policy, load_catalog())
    if config.costs:
        from ..scoring.cost import load_cost_assumptions

        load_cost_assumptions(config.costs)
    if config.answers:
        from ..procurement import import_answers, load_bank

        bank = load_bank()
        for path in config.answers:
            import_answers(path, bank)
    if config.templates:
        _check_templates(config.templates, where)
    for i, kube in enumerate(config.kube):
        _check_kubeconfig(kube.kubeconfig, kube.context, f"{where}: sources.kube[{i}]")
    for i, etcd in enumerate(config.etcd):
        for name in ("cacert", "cert", "key"):
            value = getattr(etcd, name)
            if value:
                _check_readable(value, f"{where}: sources.etcd[{i}].{name}")


def _check_readable(path: str, field_name: str) -> None:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found ({field_name})")
    try:
        with p.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({field_name}): {exc.strerror or exc}") from None


def _check_kubeconfig(path: str | None, context: str | None, field_name: str) -> None:
    """The collector's own checks (the file, the context, the credential files its user names), without
    running a credential plugin or contacting the cluster."""
    from ..collectors.kube_client import check_kubeconfig

    try:
        check_kubeconfig(path, context)
    except InputError as exc:
        raise InputError(f"{exc} ({field_name})") from None


def _check_templates(folder: str, where: str) -> None:
    from jinja2 import TemplateSyntaxError

    from ..reporting.environment import make_environment

    path = Path(folder)
    if not path.is_dir():
        raise InputError(f"{path}: templates: not a folder ({where}: templates)")
    env = make_environment([path])
    for file in sorted(path.rglob("*")):
        if not file.is_file() or file.suffix not in (".html", ".md", ".css", ".js", ".txt"):
            continue
        name = file.relative_to(path).as_posix()
        try:
            env.parse(file.read_text(encoding="utf-8"), name=name, filename=str(file))
        except TemplateSyntaxError as exc:
            raise InputError(f"{file}:{exc.lineno}: template syntax error: {exc.message}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{file}: cannot read the template: {exc}") from None
