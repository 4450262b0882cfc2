"""Scoring: snapshots x targets x constraints into findings, plus forecasts and cost estimates.

Modules: ``metrics`` (reading each measured quantity from a snapshot), ``judge`` (one value against one
limit: status and sentence), ``engine`` (the evaluation: histories, findings, fit per target),
``forecast`` (growth trends and limit crossings), ``cost`` (the cost model), ``policy`` (the user's
policy file). Works on files only: never imports collectors/, simulator/ or an SDK.
"""
