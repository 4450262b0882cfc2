"""Text forms of an audit diff: Markdown for pull requests and wikis (the JSON form is ``AuditDiff.to_dict``)."""

from __future__ import annotations

from typing import Any

from .environment import quantity, target_label

# The diff's data classes live in scoring/diff.py; this module reads their attributes only (no import of
# scoring/, so the packages stay independent).
AuditDiff = FactChange = StatusChange = Any

CHANGE_LABELS = {
    "new": "New",
    "worse": "Worse",
    "changed": "Changed",
    "better": "Better",
    "resolved": "Resolved",
    "unchanged": "Unchanged",
}


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def value_text(value: Any) -> str:
    """A fact or observed value as a short string (``—`` when absent)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def change_text(fact: FactChange) -> str:
    """``+12 (+8.0%)`` for numbers; empty otherwise."""
    if fact.delta is None:
        return ""
    sign = "+" if fact.delta >= 0 else ""
    pct = f" ({'+' if (fact.percent or 0) >= 0 else ''}{fact.percent}%)" if fact.percent is not None else ""
    return f"{sign}{value_text(int(fact.delta) if float(fact.delta).is_integer() else fact.delta)}{pct}"


def status_text(change: StatusChange) -> str:
    """``ok → at-risk`` with ``—`` for a side where the finding was absent."""
    return f"{change.old_status or '—'} → {change.new_status or '—'}"


def diff_markdown(diff: AuditDiff) -> str:
    """The diff as Markdown: summary counts, findings by change, clusters added or removed, facts that moved."""
    counts = diff.counts
    lines = [
        "# Audit diff",
        "",
        f"Old: `{_md(diff.old)}` · New: `{_md(diff.new)}`",
        "",
        f"Findings: {counts['new']} new, {counts['worse']} worse, {counts['changed']} changed, "
        f"{counts['better']} better, {counts['resolved']} resolved, {counts['unchanged']} unchanged.",
        "",
    ]
    if diff.clusters_added or diff.clusters_removed:
        lines += [
            f"Clusters added: {', '.join(diff.clusters_added) or 'none'}; "
            f"removed: {', '.join(diff.clusters_removed) or 'none'}.",
            "",
        ]
    moved = [c for c in diff.findings if c.change != "unchanged"]
    lines += ["## Findings whose status changed", ""]
    if moved:
        lines += ["| Change | Cluster | Target | Constraint | Status | Observed |", "|---|---|---|---|---|---|"]
        for c in moved:
            lines.append(
                f"| {CHANGE_LABELS[c.change]} | {_md(c.cluster)} | {target_label(c.target)} | {_md(c.title)} | "
                f"{status_text(c)} | {value_text(c.old_observed)} → {value_text(c.new_observed)} |"
            )
    else:
        lines.append("No finding changed status.")
    lines += ["", "## Facts that moved", ""]
    if diff.facts_from == "findings":
        lines += ["(Observed values of the findings: one side is a findings file, which carries no snapshot.)", ""]
    if diff.facts:
        lines += ["| Cluster | Fact | Old | New | Change |", "|---|---|---:|---:|---:|"]
        for f in diff.facts:
            lines.append(
                f"| {_md(f.cluster)} | `{_md(f.fact)}` | {_md(value_text(f.old))} | {_md(value_text(f.new))} | "
                f"{change_text(f)} |"
            )
    else:
        lines.append("No measured fact moved.")
    return "\n".join(lines) + "\n"


SINCE_SHOWN = ("new", "worse", "changed", "resolved", "better")


def since_last_audit(changes: list[Any], baseline: str) -> dict[str, Any]:
    """The report's "since last audit" data from a diff's status changes: counts, the changed items (worst
    first), a per cluster x constraint change for the "Act first" list's column (``by_item``) and each current
    finding's own change, keyed cluster, target and constraint, for the CSV and XLSX column (``by_finding``)."""
    from ..findings import status_rank

    counts = dict.fromkeys(CHANGE_LABELS, 0)
    for c in changes:
        counts[c.change] += 1
    order = {name: i for i, name in enumerate(SINCE_SHOWN)}
    items = sorted(
        (c for c in changes if c.change in order),
        key=lambda c: (order[c.change], -status_rank(c.new_status or c.old_status or "ok"), c.cluster, c.title),
    )
    by_item: dict[str, str] = {}
    for c in changes:  # the most notable change of any target, for the cluster x constraint rows
        key = f"{c.cluster}\x00{c.constraint}"
        have = by_item.get(key)
        if c.change in order and (have is None or order[c.change] < order.get(have, 99)):
            by_item[key] = c.change
    by_finding = {finding_key(c.cluster, c.target, c.constraint): c.change for c in changes if c.new_status is not None}
    return {
        "baseline": baseline,
        "counts": counts,
        "items": [
            {
                "change": c.change,
                "label": CHANGE_LABELS[c.change],
                "cluster": c.cluster,
                "target": c.target,
                "target_label": target_label(c.target),
                "constraint": c.constraint,
                "title": c.title,
                "old_status": c.old_status,
                "new_status": c.new_status,
                "old_observed": quantity(c.old_observed, c.unit),
                "new_observed": quantity(c.new_observed, c.unit),
            }
            for c in items
        ],
        "by_item": by_item,
        "by_finding": by_finding,
    }


def finding_key(cluster: str, target: str, constraint: str) -> str:
    """The key of a finding in the "since last audit" data's ``by_finding``."""
    return f"{cluster}\x00{target}\x00{constraint}"


def since_of(since: dict[str, Any], finding: Any) -> str:
    """A current finding's change since the baseline (``new``, ``worse``, ``unchanged``...), for its row."""
    return since["by_finding"].get(finding_key(finding.cluster, finding.target, finding.constraint), "new")


def with_since(context: Any, since: dict[str, Any]) -> Any:
    """``context`` with the "since last audit" data, and each "Act first" item marked with its change."""
    import dataclasses

    attention = [
        {**a, "since": since["by_item"].get(f"{a['cluster']}\x00{a['constraint']}", "unchanged")}
        for a in context.attention
    ]
    return dataclasses.replace(context, since=since, attention=attention)
