"""Procurement question lists: pick and fill questions from measured facts, exchange them, score the answers.

Stages: :func:`load_bank` (the YAML bank, validated) -> :func:`generate_questions` (per vendor: questions
whose triggers fire over the snapshots and findings, figures filled in, most important first) ->
:func:`write_questions` (XLSX / Markdown / CSV) -> the vendor fills the workbook -> :func:`import_answers`
(validated, one :class:`AnswerSheet` per vendor sheet) -> :func:`score_answers` -> ``VendorAnswers``.

Rooms: :mod:`.bank` (the question bank: model, triggers, templates, loading), :mod:`.facts` (the facts a
bank's triggers and texts read, built from snapshots and findings), :mod:`.select` (selection and filling),
:mod:`.sheets` (workbooks, Markdown and CSV out; answer sheets in) and :mod:`.answers` (answer scoring).
This package reads snapshots and findings only: it never talks to a cluster.
"""

from __future__ import annotations

from .answers import score_answers, strength
from .bank import ANSWER_TYPES, Question, QuestionBank, load_bank
from .facts import VENDOR_NAMES, VENDORS, describe_facts
from .select import generate_questions
from .sheets import COMMITMENT_LEVELS, EVIDENCE_STRENGTH, Answer, AnswerSheet, import_answers, write_questions

__all__ = [
    "ANSWER_TYPES",
    "COMMITMENT_LEVELS",
    "EVIDENCE_STRENGTH",
    "VENDORS",
    "VENDOR_NAMES",
    "Answer",
    "AnswerSheet",
    "Question",
    "QuestionBank",
    "describe_facts",
    "generate_questions",
    "import_answers",
    "load_bank",
    "score_answers",
    "strength",
    "write_questions",
]
