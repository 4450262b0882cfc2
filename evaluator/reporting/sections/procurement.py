"""Procurement: the question lists sent to each vendor and their scored answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ...findings import (
    VENDOR_TARGETS,
    GeneratedQuestion,
    VendorAnswers,
)
from ..environment import target_label

VENDOR_LABELS = {"eks": "AWS (Amazon EKS)", "gke": "Google Cloud (GKE)"}


def question_rows(questions: Mapping[str, Sequence[GeneratedQuestion]]) -> list[dict[str, Any]]:
    out = []
    for vendor, items in questions.items():
        ordered = sorted(items, key=lambda q: (q.priority, -q.weight, q.id))
        domains: dict[str, int] = defaultdict(int)
        for q in items:
            domains[q.domain] += 1
        out.append(
            {
                "vendor": vendor,
                "label": VENDOR_LABELS.get(vendor, vendor),
                "count": len(items),
                "gates": sum(1 for q in items if q.gate),
                "domains": [{"domain": d, "count": n} for d, n in sorted(domains.items())],
                "top": [
                    {
                        "id": q.id,
                        "domain": q.domain,
                        "title": q.title,
                        "text": q.text,
                        "why": q.why,
                        "gate": q.gate,
                        "priority": q.priority,
                        "regulatory": ", ".join(q.regulatory),
                    }
                    for q in ordered[:8]
                ],
            }
        )
    return out


def answer_rows(
    answers: Sequence[VendorAnswers], clusters: Sequence[Mapping[str, Any]], targets: Sequence[str]
) -> list[dict[str, Any]]:
    out = []
    for sheet in answers:
        measured = []
        # The measured targets a vendor's answers speak for (a sheet named after a target speaks for it).
        for t in VENDOR_TARGETS.get(sheet.vendor, (sheet.vendor,)):
            if t not in targets:
                continue
            verdicts = [row for c in clusters for row in c["targets"] if row["target"] == t]
            fits = sum(1 for v in verdicts if v["verdict"] == "fits")
            measured.append({"target": t, "label": target_label(t), "fits": fits, "clusters": len(verdicts)})
        out.append(
            {
                "vendor": sheet.vendor,
                "label": VENDOR_LABELS.get(sheet.vendor, sheet.vendor),
                "source_file": sheet.source_file,
                "overall": sheet.overall,
                "passed_gates": sheet.passed_gates,
                "gates_failed": list(sheet.gates_failed),
                "answered": sheet.answered,
                "total": sheet.total,
                "unanswered": list(sheet.unanswered),
                "domains": [
                    {
                        "domain": d.domain,
                        "score": d.score,
                        "answered": d.answered,
                        "total": d.total,
                        "gates_failed": list(d.gates_failed),
                        "pct": None if d.score is None else round(d.score / 4 * 100),
                    }
                    for d in sheet.domains
                ],
                "measured": measured,
            }
        )
    return out
