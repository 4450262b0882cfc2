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
            if op == "in":
                tests.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                tests.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, value = (s.strip() for s in term.split(op, 1))
                if not key:
                    raise SelectorError(f"unable to parse requirement: found '{op}', expected: identifier")
                if op == "!=":
                    tests.append(lambda labels, k=key, v=value: labels.get(k) != v)
                else:
                    tests.append(lambda labels, k=key, v=value: labels.get(k) == v)
                break
        else:
            if term.startswith("!"):
                absent = term[1:].strip()
                tests.append(lambda labels, k=absent: k not in labels)
            elif re.match(r"^[A-Za-z0-9./_-]+$", term):
                tests.append(lambda labels, k=term: k in labels)
            else:
                raise SelectorError(f"unable to parse requirement: {term!r}")
    return lambda labels: all(test(labels) for test in tests)


def field_matcher(resource_key: str, text: str) -> Callable[[dict[str, Any]], bool] | None:
    """A predicate over a whole object, or None for an empty selector."""
    if not text.strip():
        return None
    known = {
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
        if op == "!=":
            tests.append(lambda o, g=getter, v=value: g(o) != v)
        else:
            tests.append(lambda o, g=getter, v=value: g(o) == v)
    return lambda obj: all(test(obj) for test in tests)
