"""Load the constraint catalog from YAML and validate it; every error names the file, the id and the field.

The shipped catalog is ``data/catalog.yaml`` (version and file list) plus one YAML file per category.
A user file passed to ``k8seval catalog validate FILE`` or ``load_catalog([FILE])`` has the same shape as
a category file: ``constraints: [...]`` with an optional ``version``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import fields
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogError
from ..findings import STATUSES, TARGETS
from .model import CHECKS, LIMIT_KINDS, NUMERIC_KINDS, Catalog, Constraint, Limit

# Categories in display order. A constraint's category must be one of these.
CATEGORIES = (
    "etcd",
    "control-plane",
    "nodes",
    "services",
    "networking",
    "network-policy",
    "lifecycle",
    "configurability",
    "features",
)

_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONSTRAINT_FIELDS = {f.name for f in fields(Constraint)}
_LIMIT_FIELDS = {f.name for f in fields(Limit)}
_REQUIRED = ("id", "title", "category", "metric", "unit", "check", "limits")
_LIMIT_REQUIRED = ("kind", "source", "verified")


def data_dir() -> Traversable:
    """The folder of the shipped catalog (inside the installed package)."""
    return files("evaluator.catalog") / "data"


def _today() -> date:
    return datetime.now(UTC).date()


def _read_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise CatalogError(f"{where}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{where}: invalid YAML: {exc}") from None


def _read_text(source: Path | Traversable, where: str) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CatalogError(f"{where}: cannot read: {reason}") from None


def _read_document(source: Path | Traversable) -> tuple[str, Any]:
    """Read and parse one catalog YAML file: (its name for messages, its data)."""
    where = _display(source)
    return where, _read_yaml(_read_text(source, where), where)


def _display(path: Path | Traversable) -> str:
    """A short file name for messages: ``catalog/etcd.yaml`` for shipped files, the path for user files."""
    text = str(path)
    shipped = str(data_dir())
    if text.startswith(shipped):
        return "catalog/" + text[len(shipped) :].lstrip("/\\")
    return text


def parse_constraints(data: Any, where: str, *, today: date | None = None) -> list[Constraint]:
    """Validate one category file's data (``{constraints: [...]}``) and build its constraints."""
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: expected a mapping with a 'constraints' list, got {type(data).__name__}")
    unknown = set(data) - {"constraints", "version", "category", "description"}
    if unknown:
        raise CatalogError(f"{where}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    items = data.get("constraints")
    if not isinstance(items, list) or not items:
        raise CatalogError(f"{where}: constraints: expected a non-empty list")
    return [_constraint(item, where, index, today or _today()) for index, item in enumerate(items)]


def _constraint(item: Any, where: str, index: int, today: date) -> Constraint:
    if not isinstance(item, dict):
        raise CatalogError(f"{where}: constraints[{index}]: expected a mapping")
    cid = item.get("id")
    label = cid if isinstance(cid, str) and cid else f"constraints[{index}]"

    def fail(field_name: str, problem: str) -> CatalogError:
        return CatalogError(f"{where}: {label}: {field_name} {problem}")

    for name in _REQUIRED:
        if item.get(name) in (None, ""):
            raise fail(name, "is required")
    unknown = set(item) - _CONSTRAINT_FIELDS
    if unknown:
        raise fail(sorted(unknown)[0], f"is not a known field (known: {', '.join(sorted(_CONSTRAINT_FIELDS))})")
    for name in ("id", "title", "category", "metric", "unit", "check", "description", "remediation"):
        if name in item and not isinstance(item[name], str):
            raise fail(name, "must be a string")
    assert isinstance(cid, str)  # required and checked to be a string just above
    if not _ID.match(cid):
        raise fail("id", f"must be snake_case (lower-case letters, digits, underscores), got {cid!r}")
    if item["category"] not in CATEGORIES:
        raise fail("category", f"must be one of {', '.join(CATEGORIES)}, got {item['category']!r}")
    if item["check"] not in CHECKS:
        raise fail("check", f"must be one of {', '.join(CHECKS)}, got {item['check']!r}")
    watch = _fraction(item.get("watch", 0.7), fail, "watch")
    at_risk = _fraction(item.get("at_risk", 0.9), fail, "at_risk")
    if not 0 < watch < at_risk <= 1:
        raise fail("watch", f"and at_risk must satisfy 0 < watch < at_risk <= 1, got {watch} and {at_risk}")
    for name in ("questions", "tags"):
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(name, "must be a list of strings")
    growing = item.get("growing", False)
    if not isinstance(growing, bool):
        raise fail("growing", "must be true or false")
    setting = item.get("setting", False)
    if not isinstance(setting, bool):
        raise fail("setting", "must be true or false")
    limits_data = item["limits"]
    if not isinstance(limits_data, dict):
        raise fail("limits", "must be a mapping of target -> limit")
    for target in limits_data:
        if target not in TARGETS:
            raise fail(f"limits.{target}", f"is not a known target (targets: {', '.join(TARGETS)})")
    limits: dict[str, Limit] = {}
    for target in TARGETS:
        if target not in limits_data:
            raise fail(f"limits.{target}", "is missing (every target needs a limit, or kind: not-applicable)")
        limits[target] = _limit(limits_data[target], f"limits.{target}", fail, today)
    return Constraint(
        id=cid,
        title=item["title"],
        category=item["category"],
        metric=item["metric"],
        unit=item["unit"],
        check=item["check"],
        limits=limits,
        description=item.get("description", "").strip(),
        remediation=item.get("remediation", "").strip(),
        watch=watch,
        at_risk=at_risk,
        questions=list(item.get("questions", [])),
        growing=growing,
        setting=setting,
        tags=list(item.get("tags", [])),
    )


def _fraction(value: Any, fail: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(name, f"must be a number, got {value!r}")
    return float(value)


def _limit(data: Any, prefix: str, fail: Any, today: date) -> Limit:
    if not isinstance(data, dict):
        raise fail(prefix, "must be a mapping with kind, value, source, verified")
    unknown = set(data) - _LIMIT_FIELDS
    if unknown:
        raise fail(f"{prefix}.{sorted(unknown)[0]}", "is not a known field")
    for name in _LIMIT_REQUIRED:
        if data.get(name) in (None, ""):
            raise fail(f"{prefix}.{name}", "is required")
    kind = data["kind"]
    if kind not in LIMIT_KINDS:
        raise fail(f"{prefix}.kind", f"must be one of {', '.join(LIMIT_KINDS)}, got {kind!r}")
    value = data.get("value")
    if kind in NUMERIC_KINDS:
        if value is None:
            raise fail(f"{prefix}.value", f"is required for kind {kind}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"{prefix}.value", f"must be a number, got {value!r}")
    elif value is not None:
        raise fail(f"{prefix}.value", f"must be null for kind {kind}, got {value!r}")
    source = data["source"]
    if not isinstance(source, str) or not source.startswith("https://") or len(source) <= len("https://"):
        raise fail(f"{prefix}.source", "must be an https URL")
    verified = data["verified"]
    if isinstance(verified, date):  # YAML parses an unquoted 2026-11-26 as a date
        verified = verified.isoformat()
    if not isinstance(verified, str) or not _DATE.match(verified):
        raise fail(f"{prefix}.verified", f"must be a YYYY-MM-DD date, got {verified!r}")
    try:
        checked = date.fromisoformat(verified)
    except ValueError:
        raise fail(f"{prefix}.verified", f"is not a valid date: {verified!r}") from None
    if checked > today:
        raise fail(f"{prefix}.verified", f"is in the future: {verified}")
    exceeded = data.get("exceeded")
    if exceeded is not None and exceeded not in STATUSES:
        raise fail(f"{prefix}.exceeded", f"must be one of {', '.join(STATUSES)}, got {exceeded!r}")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise fail(f"{prefix}.note", "must be a string")
    metric_name = data.get("metric")
    if metric_name is not None and not isinstance(metric_name, str):
        raise fail(f"{prefix}.metric", "must be a metric name")
    return Limit(
        kind=kind,
        source=source,
        verified=verified,
        value=None if value is None else float(value),
        exceeded=exceeded,
        note=note.strip(),
        metric=metric_name,
    )


def _metric_errors(constraints: list[Constraint], where: dict[str, str], metrics: Collection[str] | None) -> None:
    """Every metric a constraint names must have code: ``metrics`` is the registry of the scoring stage
    (passed in, so that the catalog never imports scoring). ``None`` skips the check."""
    if metrics is None:
        return
    for constraint in constraints:
        if constraint.metric not in metrics:
            raise CatalogError(
                f"{where[constraint.id]}: {constraint.id}: metric {constraint.metric!r} is not a registered metric"
            )
        for target, limit in constraint.limits.items():
            if limit.metric is not None and limit.metric not in metrics:
                raise CatalogError(
                    f"{where[constraint.id]}: {constraint.id}: limits.{target}.metric "
                    f"{limit.metric!r} is not a registered metric"
                )


def validate_file(
    path: str | Path, *, today: date | None = None, metrics: Collection[str] | None = None
) -> list[Constraint]:
    """Validate one user catalog file (same shape as a shipped category file); return its constraints.

    ``metrics``: the names of the metrics that have code (``evaluator.scoring.metrics.METRICS``); when given,
    a constraint naming any other metric is an error."""
    where, data = _read_document(Path(path))
    constraints = parse_constraints(data, where, today=today)
    _check_set(constraints, {c.id: where for c in constraints}, [where] * len(constraints), metrics)
    return constraints


def _check_set(
    constraints: list[Constraint], where: dict[str, str], origins: list[str], metrics: Collection[str] | None
) -> None:
    seen: dict[str, str] = {}
    for constraint, origin in zip(constraints, origins, strict=True):
        if constraint.id in seen:
            raise CatalogError(f"{origin}: {constraint.id}: id is not unique (also in {seen[constraint.id]})")
        seen[constraint.id] = origin
    _metric_errors(constraints, where, metrics)


def validate_catalog(catalog: Catalog, *, metrics: Collection[str] | None = None) -> None:
    """Check a built catalog as a whole: unique snake_case ids, known categories, kinds, sources, dates, and
    (when ``metrics`` is given) that every metric it names has code."""
    where = {c.id: "catalog" for c in catalog.constraints}
    seen: set[str] = set()
    today = _today()
    for constraint in catalog.constraints:
        prefix = f"catalog: {constraint.id}"
        if constraint.id in seen:
            raise CatalogError(f"{prefix}: id is not unique")
        seen.add(constraint.id)
        if not _ID.match(constraint.id):
            raise CatalogError(f"{prefix}: id must be snake_case")
        if constraint.category not in CATEGORIES:
            raise CatalogError(f"{prefix}: category {constraint.category!r} is not known")
        if constraint.check not in CHECKS:
            raise CatalogError(f"{prefix}: check {constraint.check!r} is not one of {', '.join(CHECKS)}")
        if not 0 < constraint.watch < constraint.at_risk <= 1:
            raise CatalogError(f"{prefix}: watch and at_risk must satisfy 0 < watch < at_risk <= 1")
        for target in TARGETS:
            limit = constraint.limits.get(target)
            if limit is None:
                raise CatalogError(f"{prefix}: limits.{target} is missing")
            raw = limit.to_dict()

            def fail(field_name: str, problem: str, _prefix: str = prefix) -> CatalogError:
                return CatalogError(f"{_prefix}: {field_name} {problem}")

            _limit(raw, f"limits.{target}", fail, today)
    _metric_errors(catalog.constraints, where, metrics)


def _index_files(where: str, data: Any, parent: Traversable | Path) -> tuple[str, list[Traversable | Path]]:
    """An index file's version and the category files it lists, relative to ``parent``."""
    if not isinstance(data, dict) or not isinstance(data.get("version"), str) or not data["version"]:
        raise CatalogError(f"{where}: version: expected a non-empty string")
    names = data.get("files")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
        raise CatalogError(f"{where}: files: expected a non-empty list of file names")
    return data["version"], [parent / name for name in names]


def _build(version: str, documents: list[tuple[str, Any]], metrics: Collection[str] | None) -> Catalog:
    constraints: list[Constraint] = []
    origins: list[str] = []
    today = _today()
    for where, data in documents:
        for constraint in parse_constraints(data, where, today=today):
            constraints.append(constraint)
            origins.append(where)
    _check_set(constraints, {c.id: o for c, o in zip(constraints, origins, strict=True)}, origins, metrics)
    return Catalog(version=version, constraints=constraints)


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    version, sources = _index_files(*_read_document(data_dir() / "catalog.yaml"), data_dir())
    return _build(version, [_read_document(source) for source in sources], None)


def load_catalog(paths: list[Path] | None = None, *, metrics: Collection[str] | None = None) -> Catalog:
    """Load and validate the catalog: the shipped one (cached) or the given files.

    A given file is either an index (``version`` + ``files``, like the shipped ``catalog.yaml``) or a
    category file (``constraints``, optional ``version``). Several files are merged in order; ids must
    stay unique across them. Raises :class:`CatalogError` naming the file, the id and the field.
    ``metrics``: the names of the metrics that have code (``evaluator.scoring.metrics.METRICS``); when given,
    every metric the catalog names must be among them.
    """
    if not paths:
        catalog = _default_catalog()
        _metric_errors(catalog.constraints, {c.id: "catalog" for c in catalog.constraints}, metrics)
        return catalog
    version = ""
    documents: list[tuple[str, Any]] = []
    for path in paths:
        p = Path(path)
        where, data = _read_document(p)
        if isinstance(data, dict) and "files" in data:
            file_version, listed = _index_files(where, data, p.parent)
            version = version or file_version
            documents.extend(_read_document(source) for source in listed)
        else:
            if isinstance(data, dict) and isinstance(data.get("version"), str):
                version = version or data["version"]
            documents.append((where, data))
    return _build(version or "custom", documents, metrics)


def shipped_file(name: str) -> Traversable:
    """A file of the shipped catalog data folder (for example ``versions.yaml``)."""
    return data_dir() / name


def load_data_yaml(name: str) -> Any:
    """Parse a YAML file of the shipped catalog data folder; errors name ``catalog/<name>`` and the line."""
    return _read_document(shipped_file(name))[1]
