"""A local folder behind the same interface as a bucket (reads of snapshot folders; writes that never overwrite)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputError
from ..fileio import atomic_path, temp_file
from .base import Entry


class LocalStore:
    """Keys are paths relative to ``root``, with ``/`` separators."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def list(self, prefix: str) -> Iterator[Entry]:
        """Every file under ``root/prefix``, walked in sorted order (hidden temp files of writes skipped)."""
        base = self.root / prefix if prefix else self.root
        if base.is_file():
            yield Entry(prefix, base.stat().st_size, str(base))
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                yield Entry(key, path.stat().st_size, str(path))

    def get(self, key: str) -> bytes:
        """The file's bytes."""
        path = self.root / key
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None

    def put(self, key: str, data: IO[bytes], size: int, *, content_type: str, overwrite: bool) -> bool:
        """Write through a temp file; without ``overwrite`` it is hard-linked into place, which fails if the name
        exists (atomic and exclusive), instead of renamed over it."""
        target = self.root / key
        if overwrite:
            with atomic_path(target) as tmp, open(tmp, "wb") as fh:
                shutil.copyfileobj(data, fh, 1 << 20)
            return True
        if target.exists():
            return False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temp_file(f".{target.name}.", target.parent) as tmp:
                try:
                    with open(tmp, "wb") as fh:
                        shutil.copyfileobj(data, fh, 1 << 20)
                    os.chmod(tmp, 0o644)
                    os.link(tmp, target)
                except FileExistsError:
                    return False
                finally:
                    tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        return True
