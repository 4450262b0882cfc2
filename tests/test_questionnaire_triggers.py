"""Every trigger of the shipped bank fires when its predicates hold and stays quiet when they do not.

Cases are derived from the predicates themselves: for each ``any`` predicate, a snapshot where it alone holds
(with every ``all`` predicate held too) must fire the question; a snapshot where every predicate is violated
(for ``all``: one of them) must not. Facts are set through real snapshots, findings through hand-made findings.
"""

from __future__ import annotations

from typing import Any

import pytest

from evaluator.procurement import generate_questions
from evaluator.procurement.bank import Predicate, Question, check_predicate, load_bank
from evaluator.procurement.facts import build_facts
from tests.factories import make_snapshot
from tests.questionnaire_support import FACT_SETTERS, apply_facts, evaluation_for, satisfying, violating

BANK = load_bank()


def _vendor(question: Question) -> str:
    return "eks" if question.applies("eks") else question.applies_to[0]


def _violate_all(preds: list[Predicate]) -> dict[str, Any]:
    """One value per fact that violates every predicate on that fact."""
    values: dict[str, Any] = {}
    by_fact: dict[str, list[Predicate]] = {}
    for pred in preds:
        by_fact.setdefault(pred.fact, []).append(pred)
    for fact, group in by_fact.items():
        candidates = [violating(p) for p in group] + [None]
        for candidate in candidates:
            if not any(check_predicate(p, {fact: candidate}) for p in group):
                values[fact] = candidate
                break
        else:  # pragma: no cover - a bank whose predicates cannot all be violated at once
            raise AssertionError(f"no value of {fact} violates {group}")
    return values


def _cases() -> list[Any]:
    cases = []
    for question in BANK.questions:
        trigger = question.trigger
        if trigger.always:
            continue
        held_all = {p.fact: satisfying(p) for p in trigger.all}
        if trigger.any:
            for i, pred in enumerate(trigger.any):
                others = _violate_all([p for p in trigger.any if p.fact != pred.fact])
                values = {**others, **held_all, pred.fact: satisfying(pred)}
                cases.append(pytest.param(question.id, values, True, id=f"{question.id}-fires-any{i}"))
        else:
            cases.append(pytest.param(question.id, held_all, True, id=f"{question.id}-fires-all"))
        quiet = _violate_all(list(trigger.any))
        if trigger.all:
            # Violate one 'all' predicate while the others hold (and every 'any' one is violated).
            first = trigger.all[0]
            quiet = {**quiet, **held_all, **_violate_all([first])}
            if trigger.any:
                quiet.update({p.fact: satisfying(p) for p in trigger.any[:1] if p.fact != first.fact})
        cases.append(pytest.param(question.id, quiet, False, id=f"{question.id}-quiet"))
    return cases


CASES = _cases()


def test_cases_cover_every_triggered_question() -> None:
    triggered = {q.id for q in BANK.questions if not q.trigger.always}
    assert len(triggered) >= 30
    assert {c.values[0] for c in CASES} == triggered


def test_every_trigger_fact_can_be_set() -> None:
    for question in BANK.questions:
        for pred in (*question.trigger.all, *question.trigger.any):
            if not pred.fact.startswith(("findings.", "fit.")):
                assert pred.fact in FACT_SETTERS, f"{question.id}: no test setter for {pred.fact}"


@pytest.mark.parametrize(("qid", "values", "fires"), CASES)
def test_trigger(qid: str, values: dict[str, Any], fires: bool) -> None:
    question = BANK.get(qid)
    vendor = _vendor(question)
    snaps = apply_facts([make_snapshot()], values)
    evaluation = evaluation_for(values, vendor)
    facts = build_facts(snaps, evaluation, vendor, BANK.referenced_constraints())
    # The snapshot really carries the intended values (guards the setters, not only the bank).
    for fact, value in values.items():
        wanted = pytest.approx(value, rel=1e-4) if isinstance(value, float) else value
        assert facts.get(fact) == wanted, f"{fact}: wanted {value!r}, snapshot gives {facts.get(fact)!r}"
    picked = {q.id: q for q in generate_questions(snaps, evaluation, vendor, BANK)}
    assert (qid in picked) is fires
    if fires:
        assert picked[qid].trigger, "a fired question says why it was asked"
        fired_facts = [p.fact for p in (*question.trigger.all, *question.trigger.any) if p.fact in picked[qid].trigger]
        assert fired_facts, picked[qid].trigger


def test_always_questions_are_asked_of_every_vendor_they_apply_to() -> None:
    snaps = [make_snapshot()]
    for vendor in ("eks", "gke", "self-hosted"):
        ids = {q.id for q in generate_questions(snaps, None, vendor, BANK)}
        for question in BANK.questions:
            if question.trigger.always:
                assert (question.id in ids) is question.applies(vendor), (vendor, question.id)
