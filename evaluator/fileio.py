"""Atomic file writes (a temp file in the same folder, then a rename: a failed run never leaves half a file), and
JSON/YAML reads whose errors name the file and, for YAML, the line."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml

from .errors import InputError


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on error delete it.

    An OS error while creating, writing or renaming the file raises :class:`InputError` naming ``path``.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{target.parent}: cannot create folder: {exc.strerror}") from exc
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the mode a plain open() would (or keep the old file's mode).
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp_path, mode)
    except OSError:
        pass
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException as exc:
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, a read-only folder, a folder where the file should go
            raise _cannot_write(target, exc) from exc
        raise


def _cannot_write(target: Path, exc: OSError) -> InputError:
    return InputError(f"{target}: cannot write: {exc.strerror or exc}")


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[str]], None]) -> Path:
    """Call ``writer`` with a text file object that is atomically moved to ``path`` when it returns."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer(fh)
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a missing file or bad JSON raises :class:`InputError` naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, expected a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def parse_yaml(text: str, where: str, *, what: str | None = None, error: type[InputError] = InputError) -> Any:
    """Parse YAML ``text``; bad YAML raises ``error`` naming ``where`` and the line.

    ``what`` names the kind of document in the message: ``kubeconfig`` gives
    ``~/.kube/config: line 3: kubeconfig is not valid YAML: ...``; without it, ``...: not valid YAML: ...``.
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        subject = f"{what} is not valid YAML" if what else "not valid YAML"
        raise error(f"{where}: {at}{subject}: {getattr(exc, 'problem', None) or exc}") from None


def load_yaml(path: str | os.PathLike[str], *, what: str | None = None, error: type[InputError] = InputError) -> Any:
    """Read and parse a YAML file; a missing or unreadable file or bad YAML raises ``error`` naming the file.

    ``what`` names the kind of file in messages (``cannot read the kubeconfig: ...``, see :func:`parse_yaml`);
    ``error`` is the exception class to raise (:class:`InputError`, or :class:`CatalogError` for policies).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        the = f" the {what}" if what else ""
        raise error(f"{p}: cannot read{the}: {exc}") from None
    return parse_yaml(text, str(p), what=what, error=error)
