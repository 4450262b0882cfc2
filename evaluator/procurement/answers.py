"""Answer scoring: one vendor's answer sheet against the question bank -> ``VendorAnswers``.

Scoring (per vendor sheet, against the bank):

1. Gates first. A gate passes when its answer is one of the question's ``pass_answers`` (yes/no/partial
   gates) or meets ``acceptance.full`` (number gates), and its commitment level is not ``roadmap`` (a
   promise is not a capability). An unanswered gate is not passed. Any gate not passed makes
   ``passed_gates`` False and is listed in ``gates_failed`` (and in its domain's ``gates_failed``).
2. Each answered question gets a raw score ``r`` from 0 to 4: yes 4, partial 2, no 0; a number answer 4
   when it meets ``acceptance.full``, 2 when it meets ``acceptance.partial``, else 0 (2 when the question
   has no acceptance); a text answer 2. A filled reviewer score (0-4) replaces ``r`` for any answer type.
3. ``r`` is multiplied by the evidence strength ``e`` of the commitment level: contract 1.0, SLA 1.0,
   documentation 0.75, roadmap 0.25, none or blank 0.5.
4. Domain score = sum(w * r * e) / sum(w) over the answered questions of the domain, where ``w`` is the
   question's weight (1-5); overall = the same over all answered questions. Both are 0-4, rounded to two
   decimals, None when nothing was answered. Unanswered questions are not scored as 0: they are listed in
   ``unanswered`` and counted in ``total`` but not ``answered``.

A self-hosted baseline sheet (the platform team answering the same bank) is scored the same way.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..findings import DomainScore, VendorAnswers
from .bank import YES_NO_PARTIAL, Question, QuestionBank
from .sheets import BLANK_COMMITMENT_STRENGTH, EVIDENCE_STRENGTH, Answer, AnswerSheet

YES_NO_SCORES = {"yes": 4, "partial": 2, "no": 0}
TEXT_SCORE = 2


def _raw_score(question: Question, answer: Answer) -> float:
    if answer.reviewer_score is not None:
        return answer.reviewer_score
    if question.answer_type == "yes_no_partial":
        return YES_NO_SCORES[str(answer.answer)]
    if question.answer_type == "number" and question.acceptance is not None:
        return question.acceptance.score(float(answer.answer))  # type: ignore[arg-type]
    return TEXT_SCORE


def _gate_passed(question: Question, answer: Answer | None) -> bool:
    if answer is None or answer.answer is None or answer.commitment == "roadmap":
        return False
    if question.answer_type == "yes_no_partial":
        return answer.answer in question.pass_answers
    if question.answer_type == "number" and question.acceptance is not None and isinstance(answer.answer, float):
        return question.acceptance.meets(answer.answer, question.acceptance.full)
    return False


def strength(commitment: str | None) -> float:
    """Evidence strength of a commitment level (blank counts as ``none``)."""
    if commitment is None:
        return BLANK_COMMITMENT_STRENGTH
    return EVIDENCE_STRENGTH[commitment]


def _check_answer(question: Question, answer: Answer, where: str) -> None:
    """Re-check an answer built by hand (import_answers already validates what it reads)."""
    if answer.answer is None:
        return
    if question.answer_type == "yes_no_partial" and answer.answer not in YES_NO_PARTIAL:
        raise InputError(f"{where}: {answer.id}: answer must be yes, no or partial, got {answer.answer!r}")
    if question.answer_type == "number" and not isinstance(answer.answer, int | float):
        raise InputError(f"{where}: {answer.id}: answer must be a number, got {answer.answer!r}")
    if answer.commitment is not None and answer.commitment not in EVIDENCE_STRENGTH:
        raise InputError(f"{where}: {answer.id}: unknown commitment level {answer.commitment!r}")
    if answer.reviewer_score is not None and not 0 <= answer.reviewer_score <= 4:
        raise InputError(f"{where}: {answer.id}: reviewer score must be 0 to 4")


def score_answers(sheet: AnswerSheet, bank: QuestionBank) -> VendorAnswers:
    """Score one vendor's answers against ``bank`` (formula in the module docstring)."""
    where = f"{sheet.source_file}: sheet {sheet.sheet!r}"
    rows: list[tuple[Question, Answer]] = []
    for answer in sheet.answers:
        try:
            question = bank.get(answer.id)
        except KeyError:
            raise InputError(f"{where} {answer.cell}: unknown question id {answer.id!r}") from None
        _check_answer(question, answer, where)
        rows.append((question, answer))
    domain_order = {code: i for i, code in enumerate(bank.domains)}
    per_domain: dict[str, dict[str, Any]] = {}
    gates_failed: list[str] = []
    unanswered: list[str] = []
    total_weighted = 0.0
    total_weight = 0
    answered = 0
    for question, answer in rows:
        bucket = per_domain.setdefault(
            question.domain, {"sum": 0.0, "weight": 0, "answered": 0, "total": 0, "gates": []}
        )
        bucket["total"] += 1
        if question.gate and not _gate_passed(question, answer):
            gates_failed.append(question.id)
            bucket["gates"].append(question.id)
        if answer.answer is None:
            unanswered.append(question.id)
            continue
        value = _raw_score(question, answer) * strength(answer.commitment)
        bucket["sum"] += question.weight * value
        bucket["weight"] += question.weight
        bucket["answered"] += 1
        total_weighted += question.weight * value
        total_weight += question.weight
        answered += 1
    domains = [
        DomainScore(
            domain=code,
            score=round(b["sum"] / b["weight"], 2) if b["weight"] else None,
            answered=b["answered"],
            total=b["total"],
            gates_failed=list(b["gates"]),
        )
        for code, b in sorted(per_domain.items(), key=lambda kv: domain_order.get(kv[0], len(domain_order)))
    ]
    return VendorAnswers(
        vendor=sheet.vendor,
        source_file=sheet.source_file,
        overall=round(total_weighted / total_weight, 2) if total_weight else None,
        passed_gates=not gates_failed,
        gates_failed=gates_failed,
        domains=domains,
        answered=answered,
        total=len(rows),
        unanswered=unanswered,
    )
