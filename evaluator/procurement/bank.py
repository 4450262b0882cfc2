"""Question banks: the YAML schema of procurement questions, its loader and validator, triggers and templates.

A bank is one or more YAML files (the shipped ones live in ``questionnaires/``), each with an optional
``domains`` table (code -> name) and a ``questions`` list. A question::

    - id: cps_etcd_capacity            # snake_case, unique across the bank
      domain: CPS                      # a code declared under ``domains`` in some file of the bank
      title: etcd capacity headroom
      text: >-                         # Jinja over ``facts`` (see questionnaire_facts.FACTS) and ``vendor``
        Our largest etcd database is {{ facts.etcd.db_size_bytes | gib }} ...
      why: With a managed control plane we cannot resize or defragment etcd ourselves.
      trigger:                         # ``always``, or all/any lists of predicates over facts
        any:
          - {fact: etcd.db_size_bytes, op: gte, value: 4294967296}
          - {fact: findings.etcd_db_size.status, op: gte, value: watch}
      evidence: [Documented etcd limit per tier]
      applies_to: [any]                # any | eks | gke | self-hosted
      regulatory: ["DORA Art. 30(3)(a)"]
      answer_type: number              # yes_no_partial | number | text
      answer_unit: GiB
      acceptance: {op: gte, full: 16, partial: 8}   # number answers: 4 at ``full``, 2 at ``partial``, else 0
      weight: 3                        # 1..5
      gate: false                      # a knock-out; yes_no_partial gates name ``pass_answers``
      constraints: [etcd_db_size]      # related catalog ids

Predicate ops: eq ne gt gte lt lte in not_in contains exists not_exists. A fact that was not measured makes
every predicate false except ``not_exists``. On a list fact, ``contains X`` tests membership, ``in [..]`` is
true when any element is in the given list and ``not_in`` when none is. ``gt``/``gte``/``lt``/``lte`` on a
``findings.*.status`` fact compare severity (ok < watch < at-risk < blocker). Text comparisons ignore case.

Templates render in a sandboxed Jinja environment with ``StrictUndefined``; filters: ``gib`` (bytes as GiB,
one decimal), ``count`` (thousands separators), ``num``, ``pct`` (fraction as percent), ``list`` (comma
list; this replaces Jinja's own ``list`` filter), ``text``. Every filter shows ``not measured`` for None.
A bank is validated at load: errors name the file, the question id and the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment

from ..errors import CatalogError, InputError
from ..findings import STATUSES, UNKNOWN
from ..resources import data_path
from ..typed import from_data
from .facts import (
    VENDOR_NAMES,
    VENDORS,
    fact_kind,
    finding_constraint,
    fmt_count,
    fmt_gib,
    fmt_list,
    fmt_number,
    fmt_pct,
    fmt_text,
    format_fact,
    is_fact_key,
    nest,
    sample_facts,
)

ANSWER_TYPES = ("yes_no_partial", "number", "text")
YES_NO_PARTIAL = ("yes", "no", "partial")
APPLIES_TO = ("any", *VENDORS)
OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "exists", "not_exists")
ACCEPTANCE_OPS = ("gte", "lte")
_SYMBOLS = {
    "eq": "==",
    "ne": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
}
DOMAINS_FILE = "_domains.yaml"  # the shipped domain table; sorts first so its order is the report order
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DOMAIN = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


@dataclass(frozen=True)
class Predicate:
    """One condition over a fact: ``{fact: etcd.db_size_bytes, op: gte, value: 4294967296}``."""

    fact: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Trigger:
    """When a question is asked: always, or when every ``all`` predicate and at least one ``any`` holds."""

    always: bool = False
    all: list[Predicate] = field(default_factory=list)
    any: list[Predicate] = field(default_factory=list)


@dataclass(frozen=True)
class Acceptance:
    """How a number answer scores: 4 when it meets ``full``, 2 when it meets ``partial``, else 0."""

    op: str  # gte: higher is better; lte: lower is better
    full: float
    partial: float | None = None

    def meets(self, answer: float, threshold: float) -> bool:
        """True when ``answer`` satisfies ``op`` against ``threshold``."""
        return answer >= threshold if self.op == "gte" else answer <= threshold

    def score(self, answer: float) -> int:
        """0, 2 or 4 for a number answer."""
        if self.meets(answer, self.full):
            return 4
        if self.partial is not None and self.meets(answer, self.partial):
            return 2
        return 0


@dataclass(frozen=True)
class Question:
    """One bank entry, as validated from YAML."""

    id: str
    domain: str
    title: str
    text: str
    why: str
    trigger: Trigger
    answer_type: str
    weight: int
    evidence: list[str] = field(default_factory=list)
    applies_to: list[str] = field(default_factory=lambda: ["any"])
    regulatory: list[str] = field(default_factory=list)
    gate: bool = False
    pass_answers: list[str] = field(default_factory=list)  # yes_no_partial gates: answers that pass
    acceptance: Acceptance | None = None
    answer_unit: str = ""
    constraints: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    file: str = ""  # the bank file it came from (set by the loader, not read from YAML)

    def applies(self, vendor: str) -> bool:
        """True when the question is asked of ``vendor``."""
        return "any" in self.applies_to or vendor in self.applies_to

    def referenced_constraints(self) -> list[str]:
        """Constraint ids named in ``constraints`` and in ``findings.*`` trigger facts."""
        ids = list(self.constraints)
        for pred in (*self.trigger.all, *self.trigger.any):
            cid = finding_constraint(pred.fact)
            if cid and cid not in ids:
                ids.append(cid)
        return ids


@dataclass(frozen=True)
class QuestionBank:
    """All questions of a bank in file order, the domain table and the files read."""

    questions: list[Question]
    domains: dict[str, str]
    files: list[str]

    def get(self, question_id: str) -> Question:
        """The question with this id; KeyError if absent."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def ids(self) -> list[str]:
        """Question ids in bank order."""
        return [q.id for q in self.questions]

    def referenced_constraints(self) -> list[str]:
        """Every constraint id the bank refers to."""
        seen: dict[str, None] = {}
        for question in self.questions:
            for cid in question.referenced_constraints():
                seen.setdefault(cid, None)
        return list(seen)

    def questions_by_constraint(self) -> dict[str, list[str]]:
        """Constraint id -> ids of the questions that relate to it (to show next to a finding)."""
        out: dict[str, list[str]] = {}
        for question in self.questions:
            for cid in question.referenced_constraints():
                out.setdefault(cid, []).append(question.id)
        return out

    def domain_name(self, code: str) -> str:
        """The display name of a domain code (the code itself when undeclared)."""
        return self.domains.get(code, code)


# ---------------------------------------------------------------------------------------------- templates


def _strict(fn: Any) -> Any:
    """Wrap a display filter so an undefined value raises (StrictUndefined) instead of printing."""

    def wrapped(value: Any) -> str:
        if isinstance(value, Undefined):
            str(value)  # StrictUndefined raises UndefinedError naming the missing attribute
        return str(fn(value))

    wrapped.__doc__ = fn.__doc__
    return wrapped


def template_env() -> SandboxedEnvironment:
    """The sandboxed Jinja environment question texts render in (StrictUndefined, display filters)."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters.update(
        gib=_strict(fmt_gib),
        count=_strict(fmt_count),
        num=_strict(fmt_number),
        pct=_strict(fmt_pct),
        list=_strict(fmt_list),
        text=_strict(fmt_text),
    )
    return env


_ENV = template_env()


@lru_cache(maxsize=1024)
def _template(text: str) -> Template:
    return _ENV.from_string(text)


def render_text(question: Question, facts: dict[str, Any], vendor: str) -> str:
    """Fill a question's placeholders from flat ``facts``; errors raise jinja2 exceptions."""
    template = _template(question.text)
    text = template.render(facts=nest(facts), vendor={"id": vendor, "name": VENDOR_NAMES.get(vendor, vendor)})
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------- triggers


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, actual: Any, expected: Any, status: bool) -> bool:
    if status:
        if actual == UNKNOWN or expected not in STATUSES or actual not in STATUSES:
            return False
        actual, expected = STATUSES.index(actual), STATUSES.index(expected)
    elif not (_is_number(actual) and _is_number(expected)):
        return False
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def check_predicate(pred: Predicate, facts: dict[str, Any]) -> bool:
    """Whether ``pred`` holds over flat ``facts``; a fact that was not measured only satisfies ``not_exists``."""
    actual = facts.get(pred.fact)
    if pred.op == "not_exists":
        return actual is None
    if actual is None:
        return False
    if pred.op == "exists":
        return True
    status = fact_kind(pred.fact) == "status"
    if pred.op in ("gt", "gte", "lt", "lte"):
        return _compare(pred.op, actual, pred.value, status)
    if isinstance(actual, list):
        items = [_lower(v) for v in actual]
        if pred.op == "contains":
            return _lower(pred.value) in items
        if pred.op == "in":
            return any(v in [_lower(x) for x in pred.value] for v in items)
        if pred.op == "not_in":
            return not any(v in [_lower(x) for x in pred.value] for v in items)
        same = items == [_lower(v) for v in pred.value] if isinstance(pred.value, list) else False
        return same if pred.op == "eq" else not same
    if pred.op == "eq":
        return bool(_lower(actual) == _lower(pred.value))
    if pred.op == "ne":
        return bool(_lower(actual) != _lower(pred.value))
    if pred.op == "in":
        return _lower(actual) in [_lower(v) for v in pred.value]
    if pred.op == "not_in":
        return _lower(actual) not in [_lower(v) for v in pred.value]
    if pred.op == "contains":
        return isinstance(actual, str) and str(_lower(pred.value)) in actual.lower()
    raise ValueError(f"unknown op {pred.op!r}")


def describe_predicate(pred: Predicate, facts: dict[str, Any]) -> str:
    """Human words for a predicate with the measured value: ``etcd.db_size_bytes 5.1 GiB >= 4 GiB``."""
    actual = facts.get(pred.fact)
    if pred.op == "exists":
        return f"{pred.fact} measured ({format_fact(pred.fact, actual)})"
    if pred.op == "not_exists":
        return f"{pred.fact} not measured"
    return f"{pred.fact} {format_fact(pred.fact, actual)} {_SYMBOLS[pred.op]} {format_fact(pred.fact, pred.value)}"


def evaluate_trigger(trigger: Trigger, facts: dict[str, Any]) -> tuple[bool, str]:
    """Whether the trigger fires over ``facts``, and why in words (the predicates that held)."""
    if trigger.always:
        return True, "always asked"
    if not all(check_predicate(p, facts) for p in trigger.all):
        return False, ""
    held_any = [p for p in trigger.any if check_predicate(p, facts)]
    if trigger.any and not held_any:
        return False, ""
    reasons = [describe_predicate(p, facts) for p in (*trigger.all, *held_any)]
    return True, "; ".join(reasons)


# ---------------------------------------------------------------------------------------------- loading


def _fail(where: str, qid: str, message: str) -> CatalogError:
    return CatalogError(f"{where}: {qid}: {message}")


def _check_keys(cls: type, data: Any, where: str, qid: str, path: str) -> None:
    """Reject keys the schema does not know (a typo like ``wieght`` must not pass silently)."""
    if not isinstance(data, dict) or not is_dataclass(cls):
        return
    known = {f.name for f in fields(cls)} - {"file"}
    for key in data:
        if key not in known:
            label = f"{path}.{key}" if path else str(key)
            raise _fail(where, qid, f"{label}: unknown field (expected one of {', '.join(sorted(known))})")


def _check_predicate(pred: Predicate, where: str, qid: str, path: str) -> None:
    if pred.op not in OPS:
        raise _fail(where, qid, f"{path}.op must be one of {', '.join(OPS)}, got {pred.op!r}")
    if not is_fact_key(pred.fact):
        raise _fail(
            where,
            qid,
            f"{path}.fact: unknown fact {pred.fact!r} (see evaluator.procurement.facts.FACTS, "
            "or findings.<constraint_id>.status|observed|limit|utilisation)",
        )
    value = pred.value
    if pred.op in ("exists", "not_exists"):
        if value is not None:
            raise _fail(where, qid, f"{path}.value must be omitted for op {pred.op}")
        return
    if value is None:
        raise _fail(where, qid, f"{path}.value is required for op {pred.op}")
    kind = fact_kind(pred.fact)
    if pred.op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise _fail(where, qid, f"{path}.value must be a non-empty list for op {pred.op}")
    elif pred.op in ("gt", "gte", "lt", "lte"):
        if kind == "status":
            if value not in STATUSES:
                raise _fail(where, qid, f"{path}.value must be one of {', '.join(STATUSES)} for a status fact")
        elif not _is_number(value):
            raise _fail(where, qid, f"{path}.value must be a number for op {pred.op}, got {value!r}")
    elif pred.op == "contains":
        if isinstance(value, list | dict):
            raise _fail(where, qid, f"{path}.value must be a single value for op contains")
    if kind == "status" and pred.op in ("eq", "ne") and value not in (*STATUSES, UNKNOWN):
        raise _fail(where, qid, f"{path}.value must be one of {', '.join((*STATUSES, UNKNOWN))}, got {value!r}")


def _validate_template(question: Question, where: str, constraint_ids: Sequence[str]) -> None:
    try:
        _template(question.text)
    except TemplateSyntaxError as exc:
        raise _fail(where, question.id, f"text: template syntax error: {exc.message} (line {exc.lineno})") from None
    full = sample_facts(constraint_ids)
    empty = dict.fromkeys(full)
    for label, facts in (("with every fact measured", full), ("with no fact measured", empty)):
        try:
            rendered = render_text(question, facts, "eks")
        except UndefinedError as exc:
            raise _fail(
                where,
                question.id,
                f"text: placeholder error {label}: {exc.message} (facts are listed in "
                "evaluator.procurement.facts.FACTS; findings placeholders need the id in constraints)",
            ) from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise _fail(where, question.id, f"text: placeholder error {label}: {exc}") from None
        if "None" in rendered.split() or "{{" in rendered:
            raise _fail(
                where, question.id, "text: a placeholder prints a raw value; use a filter (gib, count, num, list, text)"
            )


def _validate(question: Question, where: str, domains: dict[str, str]) -> None:
    qid = question.id
    if not _ID.match(qid):
        raise _fail(where, qid, "id must be snake_case (lowercase letters, digits, underscores)")
    if question.domain not in domains:
        raise _fail(where, qid, f"domain {question.domain!r} is not declared under domains in any bank file")
    for name in ("title", "text", "why"):
        if not str(getattr(question, name)).strip():
            raise _fail(where, qid, f"{name} must not be empty")
    if question.answer_type not in ANSWER_TYPES:
        raise _fail(where, qid, f"answer_type must be one of {', '.join(ANSWER_TYPES)}, got {question.answer_type!r}")
    if not 1 <= question.weight <= 5:
        raise _fail(where, qid, f"weight must be 1 to 5, got {question.weight}")
    if not question.applies_to:
        raise _fail(where, qid, "applies_to must list at least one of " + ", ".join(APPLIES_TO))
    for i, vendor in enumerate(question.applies_to):
        if vendor not in APPLIES_TO:
            raise _fail(where, qid, f"applies_to[{i}] must be one of {', '.join(APPLIES_TO)}, got {vendor!r}")
    trigger = question.trigger
    if trigger.always and (trigger.all or trigger.any):
        raise _fail(where, qid, "trigger: use either always or all/any predicates, not both")
    if not trigger.always and not (trigger.all or trigger.any):
        raise _fail(where, qid, "trigger: needs always, or at least one all/any predicate")
    for group in ("all", "any"):
        for i, pred in enumerate(getattr(trigger, group)):
            _check_predicate(pred, where, qid, f"trigger.{group}[{i}]")
    for i, cid in enumerate(question.constraints):
        if not _ID.match(cid):
            raise _fail(where, qid, f"constraints[{i}] must be a snake_case constraint id, got {cid!r}")
    if question.acceptance is not None:
        if question.answer_type != "number":
            raise _fail(where, qid, "acceptance applies only to answer_type number")
        if question.acceptance.op not in ACCEPTANCE_OPS:
            raise _fail(where, qid, f"acceptance.op must be one of {', '.join(ACCEPTANCE_OPS)}")
        partial = question.acceptance.partial
        if partial is not None and not question.acceptance.meets(question.acceptance.full, partial):
            raise _fail(where, qid, "acceptance.partial must be easier to meet than acceptance.full")
    if question.pass_answers and not question.gate:
        raise _fail(where, qid, "pass_answers is only meaningful with gate: true")
    if question.gate:
        if question.answer_type == "yes_no_partial":
            if not question.pass_answers:
                raise _fail(where, qid, "pass_answers must list the passing answer(s) of a gate (yes, partial)")
            for i, answer in enumerate(question.pass_answers):
                if answer not in YES_NO_PARTIAL:
                    raise _fail(where, qid, f"pass_answers[{i}] must be one of yes, no, partial, got {answer!r}")
        elif question.answer_type == "number":
            if question.acceptance is None:
                raise _fail(where, qid, "a number gate needs acceptance (the passing threshold is acceptance.full)")
        else:
            raise _fail(where, qid, "gate: a text answer cannot be a gate; use yes_no_partial or number")
    for i, item in enumerate(question.evidence):
        if not item.strip():
            raise _fail(where, qid, f"evidence[{i}] must not be empty")
    for i, ref in enumerate(question.regulatory):
        if not ref.strip():
            raise _fail(where, qid, f"regulatory[{i}] must not be empty")


def _bank_files(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> list[tuple[Path, str]]:
    """(path, label) pairs: every .yaml/.yml in each folder (sorted) or each file given."""
    if paths is None:
        folder = data_path("questionnaires")
        return [(p, f"questionnaires/{p.name}") for p in sorted(folder.glob("*.yaml"))]
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[tuple[Path, str]] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            out.extend((p, str(p)) for p in sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        elif path.exists():
            out.append((path, str(path)))
        else:
            raise InputError(f"{path}: question bank not found")
    return out


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{label}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise CatalogError(f"{label}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{label}: expected a mapping with domains and questions, got {type(data).__name__}")
    unknown = set(data) - {"domains", "questions"}
    if unknown:
        raise CatalogError(f"{label}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    return data


def _build_question(raw: Any, label: str, index: int) -> Question:
    if not isinstance(raw, dict):
        raise CatalogError(f"{label}: questions[{index}]: expected a mapping, got {type(raw).__name__}")
    qid = str(raw.get("id") or f"questions[{index}]")
    raw = dict(raw)
    if raw.get("trigger") == "always":
        raw["trigger"] = {"always": True}
    _check_keys(Question, raw, label, qid, "")
    if isinstance(raw.get("trigger"), dict):
        _check_keys(Trigger, raw["trigger"], label, qid, "trigger")
        for group in ("all", "any"):
            for i, pred in enumerate(raw["trigger"].get(group) or []):
                _check_keys(Predicate, pred, label, qid, f"trigger.{group}[{i}]")
    elif "trigger" in raw:
        raise _fail(label, qid, "trigger must be 'always' or a mapping with all/any predicates")
    if isinstance(raw.get("acceptance"), dict):
        _check_keys(Acceptance, raw["acceptance"], label, qid, "acceptance")
    raw.pop("file", None)
    try:
        question = from_data(Question, raw, where=f"{label}: {qid}")
    except InputError as exc:
        raise CatalogError(str(exc)) from None
    return replace(question, file=label)


def load_bank(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    *,
    constraint_ids: Iterable[str] | None = None,
) -> QuestionBank:
    """Load and validate a question bank: the shipped one, or the given files/folders (which replace it).

    ``constraint_ids`` (the catalog's ids), when given, are checked against every question's related ids.
    Any problem raises :class:`CatalogError` naming the file, the question id and the field.
    """
    files = _bank_files(paths)
    if not files:
        raise CatalogError(f"no question bank files found in {paths if paths is not None else 'questionnaires/'}")
    domains: dict[str, str] = {}
    if paths is not None:
        # A user bank may use the shipped domain codes without declaring them again.
        shipped = data_path("questionnaires") / DOMAINS_FILE
        if shipped.is_file():
            domains.update(_read_yaml(shipped, f"questionnaires/{DOMAINS_FILE}").get("domains") or {})
    declared_here: dict[str, str] = {}
    loaded: list[tuple[str, list[Any]]] = []
    for path, label in files:
        data = _read_yaml(path, label)
        declared = data.get("domains") or {}
        if not isinstance(declared, dict):
            raise CatalogError(f"{label}: domains must map a code to a name")
        for code, name in declared.items():
            if not isinstance(code, str) or not _DOMAIN.match(code):
                raise CatalogError(f"{label}: domains: code {code!r} must be 2-8 capital letters or digits")
            if not isinstance(name, str) or not name.strip():
                raise CatalogError(f"{label}: domains.{code}: needs a name")
            if code in declared_here and declared_here[code] != name:
                raise CatalogError(f"{label}: domains.{code}: declared again with a different name")
            declared_here[code] = name
            domains[code] = name
        raw_questions = data.get("questions") or []
        if not isinstance(raw_questions, list):
            raise CatalogError(f"{label}: questions must be a list")
        loaded.append((label, raw_questions))
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for label, raw_questions in loaded:
        for index, raw in enumerate(raw_questions):
            question = _build_question(raw, label, index)
            if question.id in seen:
                raise _fail(label, question.id, f"id: duplicate (first defined in {seen[question.id]})")
            seen[question.id] = label
            _validate(question, label, domains)
            _validate_template(question, label, question.referenced_constraints())
            questions.append(question)
    bank = QuestionBank(questions=questions, domains=domains, files=[label for _, label in files])
    if constraint_ids is not None:
        check_constraints(bank, constraint_ids)
    return bank


def check_constraints(bank: QuestionBank, constraint_ids: Iterable[str]) -> None:
    """Raise :class:`CatalogError` when a question refers to a constraint id the catalog does not have."""
    known = set(constraint_ids)
    for question in bank.questions:
        for i, cid in enumerate(question.constraints):
            if cid not in known:
                raise _fail(question.file, question.id, f"constraints[{i}]: unknown constraint id {cid!r}")
        for group in ("all", "any"):
            for i, pred in enumerate(getattr(question.trigger, group)):
                ref = finding_constraint(pred.fact)
                if ref is not None and ref not in known:
                    raise _fail(question.file, question.id, f"trigger.{group}[{i}].fact: unknown constraint id {ref!r}")
