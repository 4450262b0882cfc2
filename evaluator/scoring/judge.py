"""Judging one measured value against one limit: the status, the sentence that explains it, and the words used.

Status rules, for one constraint on one target (``observed`` from the metric, ``limit`` from the catalog,
after any policy override):

1. limit kind ``not-applicable`` -> ``ok`` ("no such limit on <target>"), whatever was measured.
2. metric unknown (``None``) -> ``unknown``, with the metric's reason in the message.
3. limit kind ``not-published`` -> ``unknown`` ("<vendor> publishes no limit"), or ``watch`` when the
   observed value reaches the at-risk line of another target's published limit for the same constraint
   (a cluster over the self-hosted recommended value is worth asking the vendor about).
4. ``check: max``: utilisation = observed / limit. Over the limit (> 1) -> the limit's ``exceeded`` status
   when the catalog sets one, else by kind: ``hard`` -> ``blocker``; ``quota`` and ``recommended`` ->
   ``at-risk`` (a quota can be raised on request). Otherwise >= ``at_risk`` -> ``at-risk``, >= ``watch``
   -> ``watch``, else ``ok``; a ``setting`` constraint (a configured value such as kubelet maxPods, where
   sitting at the limit is fine) has no bands: within the limit is ``ok``. A limit of 0 (a feature the
   target does not offer): observed 0 -> ``ok``, anything above 0 -> exceeded.
5. ``check: min``: the mirror. Observed below the limit -> exceeded (as above); otherwise utilisation =
   limit / observed against the same ``watch`` / ``at_risk`` fractions. A limit of 0 or less is always met.
6. A hard limit with a ``quota_step`` below it: past the step (and within the limit) -> ``at-risk`` (a quota
   lift is needed first); below the step, the bands are measured against the step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.model import NUMERIC_KINDS, Constraint, Limit
from ..findings import UNKNOWN
from ..inventory import Snapshot
from ..units import GIB, MIB, format_count
from .metrics import METRICS, MetricValue

_LABELS = {"self-hosted": "self-hosted", "eks": "EKS", "gke": "GKE", "gke-autopilot": "GKE Autopilot"}
_VENDORS = {"self-hosted": "Upstream Kubernetes", "eks": "AWS", "gke": "Google", "gke-autopilot": "Google"}
_UNIT_WORDS = {"count": "", "": "", "ips": "IPs"}


# ---------------------------------------------------------------------------------------------- words


def target_label(target: str) -> str:
    """How a target is named in sentences: ``eks`` -> ``EKS``, ``gke-autopilot`` -> ``GKE Autopilot``."""
    return _LABELS.get(target, target)


def target_owner(target: str) -> str:
    """Possessive form for sentences: ``EKS's``, ``GKE Autopilot's``, ``the self-hosted``."""
    if target == "self-hosted":
        return "the self-hosted"
    return f"{target_label(target)}'s"


def vendor_name(target: str) -> str:
    """Who publishes the limits of a target: AWS, Google, upstream Kubernetes."""
    return _VENDORS.get(target, target_label(target))


def format_value(value: float | None, unit: str) -> str:
    """A measured value in words: bytes as GiB (or MiB when small), fractions as percentages, counts with
    thousands separators."""
    if value is None:
        return "unknown"
    if unit == "bytes":
        if abs(value) >= GIB:
            return f"{_trim(value / GIB)} GiB"
        if abs(value) >= MIB:
            return f"{_trim(value / MIB)} MiB"
        return f"{format_count(value)} bytes"
    if unit in ("fraction", "ratio"):
        return format_percent(value)
    if unit == "flag":
        return "in use" if value else "not in use"
    word = _UNIT_WORDS.get(unit, unit)
    text = format_count(value)
    if word and value == 1:
        word = _singular(word)
    return f"{text} {word}" if word else text


def _singular(word: str) -> str:
    """``policies`` -> ``policy``, ``nodes`` -> ``node``, ``minor versions`` -> ``minor version``."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def format_percent(fraction: float) -> str:
    """0.6375 -> ``64%``; tiny non-zero fractions -> ``<1%``."""
    pct = fraction * 100
    if 0 < pct < 1:
        return "<1%"
    return f"{pct:,.0f}%"


def _trim(value: float) -> str:
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _kind_words(limit: Limit, check: str) -> str:
    if check == "min":
        return {"hard": "hard minimum", "quota": "minimum quota", "recommended": "recommended minimum"}.get(
            limit.kind, "minimum"
        )
    return {"hard": "hard limit", "quota": "default quota", "recommended": "recommended maximum"}.get(
        limit.kind, "limit"
    )


# ---------------------------------------------------------------------------------------------- status


def exceeded_status(limit: Limit) -> str:
    """The status when a limit is passed: the catalog's override, else blocker for hard, at-risk otherwise."""
    if limit.exceeded:
        return limit.exceeded
    return "blocker" if limit.kind == "hard" else "at-risk"


@dataclass(frozen=True)
class Judgement:
    """The outcome of one check: status, utilisation, headroom and the sentence that explains it."""

    status: str
    message: str
    utilisation: float | None = None
    headroom: float | None = None


def level_for(utilisation: float, watch: float, at_risk: float) -> str:
    """Status for a utilisation within the limit (<= 1): at-risk, watch or ok."""
    if utilisation >= at_risk:
        return "at-risk"
    if utilisation >= watch:
        return "watch"
    return "ok"


def judge(
    constraint: Constraint,
    target: str,
    metric: MetricValue,
    *,
    note: str = "",
) -> Judgement:
    """Apply the status rules (module docstring) to one constraint on one target.

    ``constraint`` is the effective constraint (policy already applied); ``note`` is appended to the
    message (e.g. "policy: ...").
    """
    limit = constraint.limits.get(target)
    title = constraint.title
    label = target_label(target)
    detail = f" ({metric.detail})" if metric.detail else ""
    tail = f"; {note}" if note else ""
    if limit is None or limit.kind == "not-applicable":
        seen = "" if metric.value is None else f" ({format_value(metric.value, constraint.unit)} {_how(metric)})"
        return Judgement("ok", f"{title}: no such limit on {label}{seen}{tail}")
    if metric.value is None:
        reason = metric.reason or "not measured"
        if limit.kind == "not-published":
            where = f"{vendor_name(target)} publishes no limit"
        elif limit.value is not None and constraint.unit == "flag" and limit.value <= 0:
            where = f"{label} allows none"
        elif limit.value is not None:
            lim_text = format_value(limit.value, constraint.unit)
            where = f"against {target_owner(target)} {lim_text} {_kind_words(limit, constraint.check)}"
        else:
            where = ""
        return Judgement(UNKNOWN, f"{title} is unknown on {label}: {reason}" + (f"; {where}" if where else "") + tail)
    observed = float(metric.value)
    obs_text = format_value(observed, constraint.unit)
    if limit.kind == "not-published":
        return _judge_unpublished(constraint, target, observed, detail + tail, _how(metric))
    if limit.value is None:
        return Judgement(UNKNOWN, f"{title} is {obs_text}{detail}; the catalog gives no {label} value{tail}")
    value = float(limit.value)
    lim_text = format_value(value, constraint.unit)
    kind = _kind_words(limit, constraint.check)
    over = exceeded_status(limit)
    quota = " (a quota: it can be raised on request)" if limit.kind == "quota" else ""
    if constraint.check == "min":
        headroom = observed - value
        if constraint.unit == "months" and observed < 0 <= value:
            ago = format_value(-observed, "months")
            msg = f"{title}: none; it ended {ago} before the snapshot{detail}"
            return Judgement(over, msg + tail, None, headroom)
        if observed < value:
            util = value / observed if observed > 0 else None
            short = format_value(value - observed, constraint.unit)
            msg = f"{title} is {obs_text}{detail}, below {target_owner(target)} {lim_text} {kind} by {short}{quota}"
            return Judgement(over, msg + tail, util, headroom)
        if value <= 0:
            return Judgement(
                "ok", f"{title} is {obs_text}{detail}; {label} sets no minimum above zero{tail}", None, headroom
            )
        util = value / observed
        status = "ok" if constraint.setting else level_for(util, constraint.watch, constraint.at_risk)
        spare = format_value(observed - value, constraint.unit)
        msg = f"{title} is {obs_text}{detail} against {target_owner(target)} {lim_text} {kind} ({spare} above it)"
        return Judgement(status, msg + tail, util, headroom)
    headroom = value - observed
    if limit.quota_step is not None and 0 < limit.quota_step < value and observed <= value:
        return _judge_quota_step(constraint, target, observed, limit, detail, tail)
    if value <= 0 and constraint.unit == "flag":
        if observed <= 0:
            return Judgement("ok", f"{title}: no{detail}{tail}", None, headroom)
        return Judgement(over, f"{title}: yes{detail}; {label} does not allow it ({kind}){tail}", None, headroom)
    if value <= 0:
        if observed <= 0:
            return Judgement("ok", f"{title} is {obs_text}{detail}; {label} allows none{tail}", None, headroom)
        return Judgement(
            over, f"{title} is {obs_text}{detail}; {label} allows none ({kind}){quota}{tail}", None, headroom
        )
    util = observed / value
    pct = format_percent(util)
    if util > 1:
        extra = format_value(observed - value, constraint.unit)
        msg = f"{title} is {obs_text}{detail} of {target_owner(target)} {lim_text} {kind} ({pct}, {extra} over){quota}"
        return Judgement(over, msg + tail, util, headroom)
    status = "ok" if constraint.setting else level_for(util, constraint.watch, constraint.at_risk)
    msg = f"{title} is {obs_text}{detail} of {target_owner(target)} {lim_text} {kind} ({pct})"
    return Judgement(status, msg + tail, util, headroom)


def _judge_quota_step(
    constraint: Constraint, target: str, observed: float, limit: Limit, detail: str, tail: str
) -> Judgement:
    """A hard limit with a quota step below it: past the step is at-risk (a quota lift is needed first); below
    it, the bands are measured against the step."""
    assert limit.value is not None and limit.quota_step is not None
    title = constraint.title
    step = float(limit.quota_step)
    obs_text = format_value(observed, constraint.unit)
    step_text = format_value(step, constraint.unit)
    hard_text = format_value(limit.value, constraint.unit)
    headroom = float(limit.value) - observed
    if observed > step:
        util = observed / step
        msg = (
            f"{title} is {obs_text}{detail}, past {target_owner(target)} {step_text} quota step "
            f"({format_percent(util)}): a quota lift is needed, up to the {hard_text} hard limit"
        )
        return Judgement("at-risk", msg + tail, util, headroom)
    util = observed / step
    status = "ok" if constraint.setting else level_for(util, constraint.watch, constraint.at_risk)
    msg = (
        f"{title} is {obs_text}{detail} of {target_owner(target)} {step_text} quota step "
        f"({format_percent(util)}; hard limit {hard_text})"
    )
    return Judgement(status, msg + tail, util, headroom)


def _how(metric: MetricValue) -> str:
    """How a value was obtained, in a finding's words."""
    return "estimated" if metric.estimated else "measured"


def _judge_unpublished(constraint: Constraint, target: str, observed: float, tail: str, how: str) -> Judgement:
    """not-published: unknown, or watch when another target's published limit would already be at risk."""
    title = constraint.title
    obs_text = format_value(observed, constraint.unit)
    base = f"{vendor_name(target)} publishes no {target_label(target)} limit for {title.lower()}"
    worst: tuple[float, str, Limit] | None = None
    metric = constraint.metric_for(target)
    for other, limit in constraint.limits.items():
        if other == target or limit.kind not in NUMERIC_KINDS or limit.value is None or limit.value <= 0:
            continue
        if constraint.metric_for(other) != metric:  # another quantity: not comparable
            continue
        if constraint.check == "min":
            util = float(limit.value) / observed if observed > 0 else float("inf")
        else:
            util = observed / float(limit.value)
        if util >= constraint.at_risk and (worst is None or util > worst[0]):
            worst = (util, other, limit)
    if worst is None:
        return Judgement(UNKNOWN, f"{base} ({obs_text} {how}){tail}")
    util, other, limit = worst
    ref = f"{target_owner(other)} {format_value(limit.value, constraint.unit)} {_kind_words(limit, constraint.check)}"
    pct = "" if util == float("inf") else f" ({format_percent(util)})"
    return Judgement("watch", f"{base}; {obs_text} {how} is past {ref}{pct}{tail}")


def measure(snap: Snapshot, metric_name: str) -> MetricValue:
    """Read one metric from a snapshot; a metric without an extractor is unknown, with that reason."""
    fn = METRICS.get(metric_name)
    if fn is None:
        return MetricValue(None, f"no extractor for metric {metric_name!r} in this build")
    return fn(snap)
