"""Where snapshots and outputs live: a local path, ``s3://bucket/prefix/`` or ``gs://bucket/prefix/``."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

SCHEMES = ("s3", "gs")


@dataclass(frozen=True)
class Location:
    """A parsed object-storage location: scheme (``s3`` or ``gs``), bucket, and a key prefix ('' or ending in /)."""

    scheme: str
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        """``s3://bucket/prefix/`` as the user would write it."""
        return f"{self.scheme}://{self.bucket}/{self.prefix}"

    def url_of(self, key: str) -> str:
        """The URL of one object of this bucket."""
        return f"{self.scheme}://{self.bucket}/{key}"

    def child(self, relative: str) -> Location:
        """The location of the sub-prefix ``relative`` (a folder below this prefix)."""
        rel = relative.strip("/")
        return Location(self.scheme, self.bucket, f"{self.prefix}{rel}/" if rel else self.prefix)


def is_remote(value: object) -> bool:
    """True for ``s3://...`` and ``gs://...`` strings."""
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


def parse_location(value: str) -> Location:
    """Parse ``s3://bucket/prefix`` or ``gs://bucket/prefix``; the prefix is taken as a folder (a ``/`` is added).

    A missing or malformed bucket name raises :class:`InputError` naming the value.
    """
    scheme, _, rest = value.partition("://")
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise InputError(f"{value}: expected s3://BUCKET/PREFIX/ or gs://BUCKET/PREFIX/")
    bucket, _, prefix = rest.partition("/")
    if not bucket or not _valid_bucket(bucket):
        raise InputError(f"{value}: {bucket!r} is not a valid bucket name (3-63 lower-case letters, digits, . - _)")
    prefix = prefix.strip("/")
    if "//" in prefix:
        raise InputError(f"{value}: empty folder name in the prefix")
    return Location(scheme, bucket, f"{prefix}/" if prefix else "")


def _valid_bucket(name: str) -> bool:
    # S3 and GCS bucket rules overlap on this set; both reject upper case and spaces.
    return 3 <= len(name) <= 63 and all(c.islower() or c.isdigit() or c in ".-_" for c in name) and name[0].isalnum()
