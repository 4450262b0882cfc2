"""The object-store interface shared by the S3, GCS and local back ends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol

# Objects at or above this size go up in parts (S3 multipart / GCS resumable); smaller ones in one request.
MULTIPART_THRESHOLD = 8 * 2**20
PART_SIZE = 8 * 2**20  # S3's minimum part size is 5 MiB (all parts but the last)


@dataclass(frozen=True)
class Entry:
    """One object found by a listing: its key (relative to the bucket), size in bytes, and full URL."""

    key: str
    size: int
    url: str


class Store(Protocol):
    """A bucket: list keys under a prefix, read one object, write one object atomically."""

    def list(self, prefix: str) -> Iterator[Entry]:
        """Every object under ``prefix``, page by page (never the whole listing in memory at once)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes of one object."""
        ...

    def put(self, key: str, data: IO[bytes], size: int, *, content_type: str, overwrite: bool) -> bool:
        """Write ``size`` bytes from ``data`` to ``key``; the object appears whole or not at all.

        With ``overwrite=False`` an existing object is left alone and False is returned.
        """
        ...
