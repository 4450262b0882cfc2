"""Atomic file writes (a temp file in the same folder, then a rename: a failed run never leaves half a file), and
JSON/YAML reads whose errors name the file and, for YAML, the line.

Reads refuse what no k8seval file holds: NaN and Infinity, integers longer than 20 digits, nesting deeper than
the parser's recursion limit, and YAML aliases that expand beyond :data:`MAX_YAML_NODES` nodes (an alias bomb).
Writes are strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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

    What the user owns is never replaced: a symlink is followed and its target written (atomically, beside the
    target); a character device or FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is written directly, once
    the output is complete; ``-`` is standard output; other special files are refused. An OS error while
    creating, writing or renaming the file raises :class:`InputError` naming ``path``.
    """
    target = Path(path)
    how, where = _destination(target)
    if how == "stream":
        with _streamed(target, where) as tmp:
            yield tmp
        return
    target = where
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{target.parent}: cannot create folder: {exc.strerror}") from exc
    try:
        with temp_file(f".{target.name}.", target.parent) as tmp_path:
            # mkstemp creates 0600; give the file the mode a plain open() would (or keep the old file's mode).
            try:
                mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
                os.chmod(tmp_path, mode)
            except OSError:
                pass
            yield tmp_path
            os.replace(tmp_path, target)
    except OSError as exc:  # a full disk, a read-only folder, a folder where the file should go
        raise _cannot_write(target, exc) from exc


@contextmanager
def temp_file(prefix: str, folder: Path | None = None) -> Iterator[Path]:
    """A new empty file named ``<prefix><random>.tmp`` in ``folder`` (the system temp folder if None), deleted if
    the block raises.

    Ctrl-C and SIGTERM raise from wherever the main thread is, even where no clean-up can run (between a
    context manager's entry and its block). So the name is listed before the file is created and stays listed
    until the block ends; :func:`remove_temp_files`, which the command line calls on its way out, deletes what
    is still listed.
    """
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = where / f"{prefix}{secrets.token_hex(6)}.tmp"
        with _LIVE_LOCK:
            _LIVE.add(path)
        try:
            os.close(os.open(path, flags, 0o600))
            break
        except FileExistsError:  # not ours: never delete it
            _unlist(path)
        except BaseException:
            with suppress(OSError):  # not created (a read-only folder), or created just before a signal
                path.unlink(missing_ok=True)
            _unlist(path)
            raise
    else:
        raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(where))
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        _unlist(path)


_LIVE: set[Path] = set()  # temp files whose block has not ended
_LIVE_LOCK = threading.Lock()


def _unlist(path: Path) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(path)


def remove_temp_files() -> None:
    """Delete every temp file whose block has not ended (the process is being interrupted)."""
    with _LIVE_LOCK:
        leftovers = list(_LIVE)
        _LIVE.clear()
    for path in leftovers:
        with suppress(OSError):
            path.unlink(missing_ok=True)


def _destination(target: Path) -> tuple[str, Path]:
    """("file", the path to rename over) or ("stream", the path to open and write directly)."""
    if str(target) == "-":
        return "stream", target
    try:
        st = os.stat(target)  # follows symlinks: what would be written
    except OSError:
        st = None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        return "stream", target
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise InputError(f"{target}: cannot write: not a regular file, character device or FIFO")
    if target.is_symlink():
        real = Path(os.path.realpath(target))
        if str(real).startswith(("/proc/", "/dev/")):  # /dev/stdout redirected to a file: write, don't rename
            return "stream", target
        return "file", real
    return "file", target


@contextmanager
def _streamed(target: Path, where: Path) -> Iterator[Path]:
    """A temporary file (in the system temp folder) copied into ``target`` when complete, then deleted."""
    with temp_file(".k8seval.") as tmp_path:
        try:
            yield tmp_path
            with open(tmp_path, "rb") as src:
                if str(target) == "-":
                    out = sys.stdout.buffer
                    shutil.copyfileobj(src, out)
                    out.flush()
                else:
                    with open(where, "wb") as out:
                        shutil.copyfileobj(src, out)
        except OSError as exc:
            raise _cannot_write(target, exc) from exc
        finally:
            tmp_path.unlink(missing_ok=True)


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


MAX_INT_DIGITS = 20  # a count or a byte size fits in 20 digits; Python refuses past 4,300 with a ValueError
MAX_YAML_NODES = 1_000_000  # nodes a YAML document may expand to through its aliases


class _LongInteger(str):
    """An integer literal too long to be a count, kept as text until :func:`check_numbers` names its field."""


def _parse_int(text: str) -> int | _LongInteger:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else _LongInteger(text)


def check_numbers(data: Any, where: str, *, error: type[InputError] = InputError) -> None:
    """Raise ``error`` naming ``where`` and the field of the first NaN, Infinity or over-long integer in ``data``.

    Each container is visited once (YAML aliases share objects), without recursion (deep documents).
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    seen: set[int] = set()
    while stack:
        value, path = stack.pop()
        label = path or "(top level)"
        if isinstance(value, float) and not math.isfinite(value):
            raise error(f"{where}: {label}: {value!r} is not a finite number")
        if isinstance(value, _LongInteger) or (isinstance(value, int) and abs(value) >= 10**MAX_INT_DIGITS):
            raise error(f"{where}: {label}: an integer of {len(str(value).lstrip('-'))} digits is too large")
        if isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in reversed(list(items)):
                if isinstance(value, dict):
                    stack.append((item, f"{path}.{key}" if path else str(key)))
                else:
                    stack.append((item, f"{path}[{key}]"))


def dumps_json(data: Any, where: str, **kwargs: Any) -> str:
    """``json.dumps`` that refuses NaN and Infinity (strict JSON), naming ``where`` and the field."""
    check_numbers(data, where)
    return json.dumps(data, allow_nan=False, **kwargs)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented strict JSON, atomically."""
    return write_text(path, dumps_json(data, str(path), indent=2, sort_keys=False, default=str) + "\n")


def loads_json(text: str, where: str) -> Any:
    """Parse JSON text; bad JSON, NaN/Infinity, over-long integers and deep nesting raise :class:`InputError`."""
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(f"{where}: not valid JSON: nested too deeply") from None
    check_numbers(data, where)
    return data


def check_regular(path: str | os.PathLike[str], *, error: type[InputError] = InputError) -> None:
    """Refuse a FIFO, device or socket where a file is read whole (reading a FIFO blocks until a writer comes)."""
    try:
        st = os.stat(path)
    except OSError:
        return  # the read that follows names the problem (not found, permission denied)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise error(f"{path}: not a regular file ({kind}); pass a file")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a missing file or bad JSON raises :class:`InputError` naming the file."""
    p = Path(path)
    check_regular(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, expected a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    return loads_json(text, str(p))


class YamlBomb(ValueError):
    """A YAML document whose aliases expand beyond MAX_YAML_NODES nodes, or refer to themselves."""


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise YamlBomb("an alias refers to itself")
    active.add(key)
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, active) + _expanded_size(v, memo, active)
            if size > MAX_YAML_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            size += _expanded_size(v, memo, active)
            if size > MAX_YAML_NODES:
                break
    active.discard(key)
    if size > MAX_YAML_NODES:
        raise YamlBomb(f"aliases expand to more than {MAX_YAML_NODES:,} nodes")
    memo[key] = size
    return size


def safe_load_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses alias bombs and self-referring aliases (:class:`YamlBomb`).

    Deep nesting raises RecursionError and a huge integer ValueError, as from ``yaml.safe_load``.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def safe_load_all_yaml(text: str) -> list[Any]:
    """Every document of a multi-document YAML ``text``, each held to the same alias bound as
    :func:`safe_load_yaml` (:class:`YamlBomb`). Uses libyaml when it is there: a rollout can be 20,000 documents."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                docs.append(None)
                continue
            _expanded_size(node, {}, set())
            docs.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return docs


def parse_yaml(text: str, where: str, *, what: str | None = None, error: type[InputError] = InputError) -> Any:
    """Parse YAML ``text``; bad YAML raises ``error`` naming ``where`` and the line.

    ``what`` names the kind of document in the message: ``kubeconfig`` gives
    ``~/.kube/config: line 3: kubeconfig is not valid YAML: ...``; without it, ``...: not valid YAML: ...``.
    """
    subject = f"{what} is not valid YAML" if what else "not valid YAML"
    try:
        data = safe_load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        raise error(f"{where}: {at}{subject}: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise error(f"{where}: {subject}: nested too deeply") from None
    except ValueError as exc:  # YamlBomb, or an integer past Python's 4,300 digits
        raise error(f"{where}: {subject}: {exc}") from None
    check_numbers(data, where, error=error)
    return data


def load_yaml(path: str | os.PathLike[str], *, what: str | None = None, error: type[InputError] = InputError) -> Any:
    """Read and parse a YAML file; a missing or unreadable file or bad YAML raises ``error`` naming the file.

    ``what`` names the kind of file in messages (``cannot read the kubeconfig: ...``, see :func:`parse_yaml`);
    ``error`` is the exception class to raise (:class:`InputError`, or :class:`CatalogError` for policies).
    """
    p = Path(path)
    check_regular(p, error=error)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        the = f" the {what}" if what else ""
        raise error(f"{p}: cannot read{the}: {exc}") from None
    return parse_yaml(text, str(p), what=what, error=error)
