"""The fleet verdict in a few lines: coverage per cluster and target, the ranking of targets, the
recommendation sentence and the most urgent items. Read by the audit's terminal summary.

Coverage and the recommendation come from the evaluation when it carries them (``TargetFit.coverage``,
``Evaluation.recommendation``); otherwise they are derived here from the findings and the fits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..findings import UNKNOWN, Evaluation, Finding, TargetFit, reaches, status_rank
from .environment import target_label

VERDICT_ORDER = {"fits": 0, "fits with work": 1, "does not fit today": 2}


def coverage(fit: TargetFit | None, findings: Sequence[Finding]) -> float | None:
    """The share of limits that could be checked for one cluster on one target, 0 to 1.

    ``fit.coverage`` when the evaluation has it, else the share of ``findings`` (that cluster and target)
    whose status is not ``unknown``; None without findings.
    """
    given = getattr(fit, "coverage", None)
    if isinstance(given, int | float) and not isinstance(given, bool):
        return float(given)
    if not findings:
        return None
    return sum(1 for f in findings if f.status != UNKNOWN) / len(findings)


@dataclass(frozen=True)
class TargetRank:
    """One target across the fleet: its worst verdict, mean score and how many clusters fit."""

    target: str
    verdict: str  # the worst verdict over the clusters
    score: float | None  # mean over the clusters
    coverage: float | None  # mean over the clusters
    fits: int  # clusters that fit as they are
    clusters: int
    blockers: list[str]  # constraint titles that are blockers somewhere, most frequent first
    unknowns: int  # unknown findings over the fleet


def rank_targets(evaluation: Evaluation) -> list[TargetRank]:
    """Targets best first: by worst verdict over the fleet, then mean score, then coverage."""
    fits = {(f.cluster, f.target): f for f in evaluation.fits}
    findings: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in evaluation.findings:
        findings[(f.cluster, f.target)].append(f)
    ranks = []
    for target in evaluation.targets:
        verdicts, scores, covers = [], [], []
        blockers: dict[str, int] = defaultdict(int)
        unknowns = 0
        for cluster in evaluation.clusters:
            fit = fits.get((cluster, target))
            cell = findings.get((cluster, target), [])
            if fit is not None:
                verdicts.append(fit.verdict)
                scores.append(fit.score)
            cov = coverage(fit, cell)
            if cov is not None:
                covers.append(cov)
            for f in cell:
                if f.status == "blocker":
                    blockers[f.title] += 1
                elif f.status == UNKNOWN:
                    unknowns += 1
        ranks.append(
            TargetRank(
                target=target,
                verdict=max(verdicts, key=lambda v: VERDICT_ORDER.get(v, 1)) if verdicts else "fits with work",
                score=sum(scores) / len(scores) if scores else None,
                coverage=sum(covers) / len(covers) if covers else None,
                fits=sum(1 for v in verdicts if v == "fits"),
                clusters=len(verdicts),
                blockers=sorted(blockers, key=lambda t: (-blockers[t], t)),
                unknowns=unknowns,
            )
        )
    ranks.sort(key=lambda r: (VERDICT_ORDER.get(r.verdict, 1), -(r.score or 0), -(r.coverage or 0)))
    return ranks


def _names(items: Sequence[str], limit: int = 2) -> str:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"{len(items) - limit} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _are(items: Sequence[str]) -> str:
    return "is" if len(items) == 1 else "are"


def recommendation(evaluation: Evaluation) -> str:
    """One sentence (or three short ones): which option fits best now, what blocks the others, what is unknown.

    ``evaluation.recommendation`` when the evaluation carries one; otherwise built from :func:`rank_targets`.
    """
    given = getattr(evaluation, "recommendation", None)
    if isinstance(given, str) and given.strip():
        return given.strip()
    ranks = rank_targets(evaluation)
    if not ranks:
        return "No target was scored."
    best = ranks[0]
    many = len(evaluation.clusters) != 1
    where = f"{len(evaluation.clusters)} clusters" if many else evaluation.clusters[0]
    score = f", score {best.score:.0f}" if best.score is not None else ""
    first = f"For {where}, {target_label(best.target)} fits best now ({best.verdict}{score})."
    if many:
        first = first[:-2] + f"; {best.fits} of {best.clusters} fit as they are)."
    parts = [first]
    for r in ranks[1:]:
        if r.verdict == "does not fit today" and r.blockers:
            parts.append(
                f"{target_label(r.target)} does not fit today until {_names(r.blockers)} {_are(r.blockers)} resolved."
            )
    unknown = sum(r.unknowns for r in ranks)
    if unknown:
        parts.append(
            f"{unknown} limit check{'s' if unknown != 1 else ''} could not be made (not measured or not "
            "published): ask the vendors."
        )
    return " ".join(parts)


def urgent_items(attention: Sequence[Mapping[str, Any]], n: int = 3) -> list[str]:
    """The ``n`` most urgent items of the report's "Act first" list, one short line each."""
    lines = []
    for item in attention[:n]:
        worst = [t for t in item["targets"] if t["status"] == item["status"]]
        limits = "; ".join(f"{t['limit']} on {t['label']}" for t in worst)
        lines.append(
            f"{item['status'].upper()} {item['cluster']}: {item['title']} is {item['observed']} (limit {limits})"
        )
    return lines


def gate_hits(findings: Sequence[Finding], level: str) -> list[tuple[str, str, str, list[str]]]:
    """Findings reaching ``level`` grouped by cluster and constraint: (cluster, constraint, worst status, targets).

    In the findings' order (clusters, then catalog order).
    """
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if reaches(f.status, level):
            groups.setdefault((f.cluster, f.constraint), []).append(f)
    out = []
    for (cluster, constraint), group in groups.items():
        worst = max(group, key=lambda f: status_rank(f.status))
        out.append((cluster, constraint, worst.status, [f.target for f in group]))
    return out
