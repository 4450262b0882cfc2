"""Question selection and filling: the questions whose triggers fire for a vendor, figures filled in, ranked."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InputError
from ..findings import STATUSES, VENDOR_TARGETS, Evaluation, GeneratedQuestion, status_rank
from ..inventory import Snapshot
from .bank import Question, QuestionBank, evaluate_trigger, load_bank, render_text
from .facts import VENDORS, build_facts


def _severity(question: Question, evaluation: Evaluation | None, targets: Sequence[str]) -> int:
    """Worst status rank among the question's related findings for the vendor's targets (-1 when none)."""
    if evaluation is None or not question.constraints:
        return -1
    ranks = [
        status_rank(f.status)
        for f in evaluation.findings
        if f.target in targets and f.constraint in question.constraints and f.status in STATUSES
    ]
    return max(ranks, default=-1)


def generate_questions(
    snapshots: list[Snapshot],
    evaluation: Evaluation | None,
    vendor: str,
    bank: QuestionBank | None = None,
) -> list[GeneratedQuestion]:
    """The questions to ask ``vendor`` (eks, gke or self-hosted): triggers fired, figures filled, ranked.

    Facts are computed over the latest snapshot of every cluster (see :mod:`.facts`); findings
    facts come from ``evaluation`` (None: they count as not measured). Order: gates first, then weight, then
    the worst status of the related findings, then bank order; ``priority`` numbers them 1..N.
    """
    if vendor not in VENDOR_TARGETS:
        raise InputError(f"unknown vendor {vendor!r}: expected one of {', '.join(VENDORS)}")
    if not snapshots:
        raise InputError("no snapshots given: a question list needs at least one measured cluster")
    bank = bank if bank is not None else load_bank()
    facts = build_facts(snapshots, evaluation, vendor, bank.referenced_constraints())
    targets = VENDOR_TARGETS[vendor]
    picked: list[tuple[tuple[int, int, int, int], Question, str, str]] = []
    for index, question in enumerate(bank.questions):
        if not question.applies(vendor):
            continue
        fired, reason = evaluate_trigger(question.trigger, facts)
        if not fired:
            continue
        text = render_text(question, facts, vendor)
        key = (0 if question.gate else 1, -question.weight, -_severity(question, evaluation, targets), index)
        picked.append((key, question, text, reason))
    picked.sort(key=lambda item: item[0])
    return [
        GeneratedQuestion(
            id=q.id,
            domain=q.domain,
            title=q.title,
            text=text,
            why=" ".join(q.why.split()),
            evidence=list(q.evidence),
            answer_type=q.answer_type,
            weight=q.weight,
            gate=q.gate,
            priority=n,
            regulatory=list(q.regulatory),
            constraints=list(q.constraints),
            trigger=reason,
        )
        for n, (_, q, text, reason) in enumerate(picked, start=1)
    ]
