"""The root command: help, version, and errors mapped to exit codes without tracebacks."""

from __future__ import annotations

from click.testing import CliRunner

from evaluator import __version__
from evaluator.cli import cli


def test_help_and_version() -> None:
    runner = CliRunner()
    for flag in ("-h", "--help"):
        result = runner.invoke(cli, [flag], catch_exceptions=False)
        assert result.exit_code == 0
        for name in ("collect", "score", "report", "questions", "audit", "catalog", "simulate"):
            assert name in result.output
    result = runner.invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0 and __version__ in result.output


def test_bad_flag_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["score", "--no-such-flag"], catch_exceptions=False)
    assert result.exit_code == 2
