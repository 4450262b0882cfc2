"""Label and field selectors for list requests, with the apiserver's syntax and error wording."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class SelectorError(ValueError):
    """A selector that does not parse or names an unsupported field."""


_SET = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")

# Field selectors the apiserver supports per resource (pkg/registry/*/strategy.go GetAttrs); metadata.* always.
_FIELDS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "pods": {
        "spec.nodeName": lambda o: o["spec"].get("nodeName", ""),
        "status.phase": lambda o: o["status"].get("phase", ""),
        "spec.restartPolicy": lambda o: o["spec"].get("restartPolicy", ""),
        "spec.schedulerName": lambda o: o["spec"].get("schedulerName", ""),
        "spec.serviceAccountName": lambda o: o["spec"].get("serviceAccountName", ""),
        "status.podIP": lambda o: o["status"].get("podIP", ""),
    },
    "secrets": {"type": lambda o: o.get("type", "")},
    "events": {
        "involvedObject.kind": lambda o: o["involvedObject"]["kind"],
        "involvedObject.name": lambda o: o["involvedObject"]["name"],
        "involvedObject.namespace": lambda o: o["involvedObject"]["namespace"],
        "involvedObject.uid": lambda o: o["involvedObject"].get("uid", ""),
        "involvedObject.apiVersion": lambda o: o["involvedObject"].get("apiVersion", ""),
        "involvedObject.resourceVersion": lambda o: o["involvedObject"].get("resourceVersion", ""),
        "involvedObject.fieldPath": lambda o: o["involvedObject"].get("fieldPath", ""),
        "source": lambda o: o.get("source", {}).get("component", ""),
        "reportingComponent": lambda o: o.get("reportingComponent", ""),
        "reason": lambda o: o.get("reason", ""),
        "type": lambda o: o.get("type", ""),
    },
    "nodes": {"spec.unschedulable": lambda o: str(o["spec"].get("unschedulable", False)).lower()},
    "namespaces": {"status.phase": lambda o: o["status"]["phase"]},
}


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


# One factory per test kind: each predicate binds its own key and value (a bare lambda in the loop would
# see only the last iteration's), and the factories give the predicates a type mypy can check.
def _label_in(key: str, values: set[str]) -> Callable[[dict[str, str]], bool]:
    return lambda labels: labels.get(key) in values


def _label_not_in(key: str, values: set[str]) -> Callable[[dict[str, str]], bool]:
    return lambda labels: labels.get(key) not in values


def _label_equals(key: str, value: str) -> Callable[[dict[str, str]], bool]:
    return lambda labels: labels.get(key) == value


def _label_differs(key: str, value: str) -> Callable[[dict[str, str]], bool]:
    return lambda labels: labels.get(key) != value


def _label_present(key: str) -> Callable[[dict[str, str]], bool]:
    return lambda labels: key in labels


def _label_absent(key: str) -> Callable[[dict[str, str]], bool]:
    return lambda labels: key not in labels


def label_matcher(text: str) -> Callable[[dict[str, str]], bool] | None:
    """A predicate over a labels dict, or None for an empty selector."""
    if not text.strip():
        return None
    tests: list[Callable[[dict[str, str]], bool]] = []
    for raw in _split(text):
        term = raw.strip()
        match = _SET.match(term)
        if match:
            key, op, values = match[1], match[2], {v.strip() for v in match[3].split(",") if v.strip()}
            tests.append(_label_in(key, values) if op == "in" else _label_not_in(key, values))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, value = (s.strip() for s in term.split(op, 1))
                if not key:
                    raise SelectorError(f"unable to parse requirement: found '{op}', expected: identifier")
                tests.append(_label_differs(key, value) if op == "!=" else _label_equals(key, value))
                break
        else:
            if term.startswith("!"):
                tests.append(_label_absent(term[1:].strip()))
            elif re.match(r"^[A-Za-z0-9./_-]+$", term):
                tests.append(_label_present(term))
            else:
                raise SelectorError(f"unable to parse requirement: {term!r}")
    return lambda labels: all(test(labels) for test in tests)


def _field_equals(getter: Callable[[dict[str, Any]], str], value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda obj: getter(obj) == value


def _field_differs(getter: Callable[[dict[str, Any]], str], value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda obj: getter(obj) != value


def field_matcher(resource_key: str, text: str) -> Callable[[dict[str, Any]], bool] | None:
    """A predicate over a whole object, or None for an empty selector."""
    if not text.strip():
        return None
    known: dict[str, Callable[[dict[str, Any]], str]] = {
        "metadata.name": lambda o: o["metadata"]["name"],
        "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
        **_FIELDS.get(resource_key, {}),
    }
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for raw in _split(text):
        term = raw.strip()
        for op in ("!=", "==", "="):
            if op in term:
                key, value = (s.strip() for s in term.split(op, 1))
                break
        else:
            raise SelectorError(f"invalid selector: '{term}'; can't understand '{term}'")
        getter = known.get(key)
        if getter is None:
            raise SelectorError(f'"{key}" is not a known field selector: only "{", ".join(sorted(known))}"')
        tests.append(_field_differs(getter, value) if op == "!=" else _field_equals(getter, value))
    return lambda obj: all(test(obj) for test in tests)
