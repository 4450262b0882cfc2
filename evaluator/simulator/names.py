"""Deterministic hashing and name helpers for the synthetic cluster: every value is a pure function of its inputs."""

from __future__ import annotations

import time
import zlib
from datetime import UTC, datetime, timedelta

_M64 = (1 << 64) - 1
# The alphabet Kubernetes uses for generated name suffixes (k8s.io/apimachinery/pkg/util/rand), in ASCII order
# so that encoding a larger number gives a later name.
SUFFIX_ALPHABET = "2456789bcdfghjklmnpqrstvwxz"
_SUFFIX_SPACE = len(SUFFIX_ALPHABET) ** 5


def tag(text: str) -> int:
    """A stable integer for a label such as a resource name (crc32; Python's hash() is salted per process)."""
    return zlib.crc32(text.encode())


def mix(*parts: int) -> int:
    """A 64-bit hash of integers: the tuple hash (xxHash-based, not salted for ints, stable on 64-bit CPython
    3.8+) passed through the splitmix64 finaliser so that every bit is well mixed."""
    h = hash(parts) & _M64
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _M64
    return h ^ (h >> 31)


def unit(*parts: int) -> float:
    """A uniform float in [0, 1) from ``mix(*parts)``."""
    return (mix(*parts) >> 11) / float(1 << 53)


def suffix(number: int, width: int = 5) -> str:
    """Encode ``number`` in the pod-suffix alphabet, fixed width, so that order is preserved."""
    base = len(SUFFIX_ALPHABET)
    chars = []
    for _ in range(width):
        number, digit = divmod(number, base)
        chars.append(SUFFIX_ALPHABET[digit])
    return "".join(reversed(chars))


def ordered_suffix(index: int, count: int, salt: int) -> str:
    """A random-looking five-character suffix that still sorts by ``index`` within ``count`` items."""
    count = max(count, 1)
    step = max(1, (_SUFFIX_SPACE - 1) // count)
    return suffix(salt % step + index * step)


def hash_suffix(*parts: int, width: int = 10) -> str:
    """A hash-looking name part (like a ReplicaSet's pod-template-hash)."""
    return suffix(mix(*parts), width)


def hex_id(*parts: int, width: int = 64) -> str:
    """A lower-case hex id (container ids, image digests, machine ids) derived from ``parts``."""
    a, b = mix(*parts), mix(*parts, 0xC0FFEE)
    text = f"{a:016x}{b:016x}{(a * 0x9E3779B97F4A7C15) & _M64:016x}{(b * 0xC2B2AE3D27D4EB4F) & _M64:016x}"
    while len(text) < width:
        text += text[::-1]
    return text[:width]


def make_uid(*parts: int) -> str:
    """A version-4-shaped UUID derived from ``parts`` (formatted by hand: uuid.UUID is slow in a hot loop)."""
    h = f"{mix(*parts):016x}{mix(*parts, 0x5EED):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def parse_time(value: str) -> datetime:
    """Parse RFC 3339 (with ``Z``) into an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a ``Z`` suffix, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def age(created: str, now: datetime | None = None) -> str:
    """kubectl's short age ("5d", "3h", "12m", "40s", "2y45d") for a creation timestamp."""
    now = now or datetime.now(UTC)
    seconds = int((now - parse_time(created)).total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    return f"{years}y{days % 365}d" if years < 8 else f"{years}y"


def offset_time(start: str, seconds: float) -> str:
    """``start`` plus ``seconds``, as RFC 3339."""
    return rfc3339(parse_time(start) + timedelta(seconds=seconds))


def epoch_rfc3339(seconds: float) -> str:
    """Seconds since the epoch as RFC 3339 UTC (fast path for generated timestamps)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))
