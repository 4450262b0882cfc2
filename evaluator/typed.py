"""Build frozen dataclasses from plain JSON-like data, checking types and naming the path of a bad field.

``from_data(Snapshot, data, where="snap.json")`` raises ``InputError("snap.json: nodes.count: expected
an integer, got 'ten'")``. Supported field types: bool, int, float, str, None, Any, unions with None,
``list[X]``, ``dict[str, X]`` and nested dataclasses. Numbers must be finite, and not negative unless
``signed=True`` (a snapshot, spec, price list or question holds counts, sizes, prices, durations and fractions).
Strings lose their control characters (:func:`clean_text`); a lone surrogate is refused. Unknown keys are kept
out (forward compatibility inside one schema version) but never crash.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from .errors import InputError
from .text import clean_text, has_lone_surrogate

T = TypeVar("T")

_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", type(None): "null"}


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@cache
def _cached_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _hints(cls: type) -> dict[str, Any]:
    # A plain signature in front of the cache: the cache wrapper takes ``Hashable`` arguments, and mypy does not
    # see that a ``type[T]`` (any class) is hashable.
    return _cached_hints(cls)


def _convert(tp: Any, value: Any, path: str, where: str, signed: bool) -> Any:
    if tp is Any:
        return value
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors: list[InputError] = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path, where, signed)
            except InputError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"{where}: {path}: expected a list, got {_describe(value)}")
        (item,) = get_args(tp)
        return [_convert(item, v, f"{path}[{i}]", where, signed) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: {path}: expected an object, got {_describe(value)}")
        _, item = get_args(tp)
        return {str(k): _convert(item, v, f"{path}.{k}", where, signed) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_data(tp, value, where=where, path=path, signed=signed)  # type: ignore[arg-type]
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{where}: {path}: expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise InputError(f"{where}: {path}: expected a finite number, got {_describe(value)}")
        return float(value if signed else _not_negative(value, path, where))
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{where}: {path}: expected an integer, got {_describe(value)}")
        if value >= 2**63:
            raise InputError(f"{where}: {path}: integer too large ({len(str(value))} digits)")
        return value if signed else _not_negative(value, path, where, "count ")
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise InputError(f"{where}: {path}: expected {_NAMES[tp]}, got {_describe(value)}")
        if tp is str:
            if has_lone_surrogate(value):
                raise InputError(f"{where}: {path}: not valid Unicode (a lone surrogate), got {_describe(value)}")
            return clean_text(value)
        return value
    if tp is type(None):
        if value is not None:
            raise InputError(f"{where}: {path}: expected null, got {_describe(value)}")
        return None
    raise TypeError(f"unsupported field type {tp!r} at {path}")


def _not_negative(value: Any, path: str, where: str, what: str = "") -> Any:
    # Every number in k8seval's files is a count, a size, a price, a duration or a fraction.
    if value < 0:
        raise InputError(f"{where}: {path}: {what}must not be negative, got {_describe(value)}")
    return value


def from_data(cls: type[T], data: Any, *, where: str = "<data>", path: str = "", signed: bool = False) -> T:
    """Build dataclass ``cls`` from ``data``; a wrong type raises :class:`InputError` naming ``where`` and the path.

    Numbers must not be negative unless ``signed`` (findings carry signed headroom and slopes).
    """
    label = path or "(top level)"
    if not isinstance(data, dict):
        raise InputError(f"{where}: {label}: expected an object, got {_describe(data)}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        sub = f"{path}.{field.name}" if path else field.name
        if field.name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise InputError(f"{where}: {sub}: required field is missing")
            continue
        kwargs[field.name] = _convert(hints[field.name], data[field.name], sub, where, signed)
    return cls(**kwargs)


def to_data(obj: Any) -> Any:
    """Turn a dataclass tree into plain JSON-ready data (dicts keep their order)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_data(v) for k, v in obj.items()}
    return obj
