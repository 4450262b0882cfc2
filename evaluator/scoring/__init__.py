"""Scoring: snapshots x targets x constraints into findings, plus forecasts and cost estimates."""
