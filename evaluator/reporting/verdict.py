"""The fleet verdict in a few lines: coverage per cluster and target, the ranking of targets, the
recommendation sentence and the most urgent items. Read by the audit's terminal summary.

Coverage and the recommendation are the scoring engine's (``TargetFit.coverage``, ``Evaluation.recommendation``);
this module only ranks and words them for the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..findings import UNKNOWN, Evaluation, Finding, TargetFit, reaches, status_rank

VERDICT_ORDER = {"fits": 0, "fits with work": 1, "does not fit today": 2}


def coverage(fit: TargetFit | None) -> float | None:
    """The share of limits that could be checked for one cluster on one target, 0 to 1 (None when not scored)."""
    return None if fit is None else fit.coverage


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
            cov = coverage(fit)
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


def recommendation(evaluation: Evaluation) -> str:
    """The engine's recommendation: which option fits best now, what the others need first, what is unknown."""
    return evaluation.recommendation.strip() or "No target was scored."


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
