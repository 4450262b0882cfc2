"""Scoring: snapshots x targets x constraints into findings, plus forecasts and cost estimates.

Modules: ``metrics`` (reading each measured quantity from a snapshot), ``judge`` (one value against one
limit: status and sentence), ``engine`` (the evaluation: histories, findings, fit per target),
``forecast`` (growth trends and limit crossings), ``cost`` (the cost model), ``policy`` (the user's
policy file). Works on files only: never imports collectors/, simulator/ or an SDK.
"""

# Metrics of later catalog entries (Autopilot projections, removed APIs, ...) live in their own module and
# register into metrics.METRICS on import; importing them here means any import of the scoring stage has them.
from . import metrics_targets as _metrics_targets  # noqa: E402, F401
