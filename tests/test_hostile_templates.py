"""--templates: user templates render in Jinja's sandbox; a template that reaches for Python internals (to run a
shell command) is refused with exit 2, and the command never runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.cli import cli
from evaluator.inventory import save_snapshot
from tests.factories import make_snapshot

ATTACKS = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% set x = namespace() %}{{ x.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
]


@pytest.mark.parametrize("attack", ATTACKS, ids=["popen", "subclasses", "globals", "context"])
def test_user_templates_are_sandboxed(tmp_path: Path, attack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snap = save_snapshot(make_snapshot(), tmp_path / "s.json")
    folder = tmp_path / "tpl"
    folder.mkdir()
    marker = str(tmp_path / "MARKER")
    (folder / "report.md").write_text(attack.replace("MARKER", marker))
    out = tmp_path / "r.md"
    result = CliRunner().invoke(
        cli, ["report", str(snap), "--format", "md", "--templates", str(folder), "-o", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "report.md" in result.output, result.output
    assert not Path(marker).exists() and not out.exists()


def test_shipped_templates_render_in_the_sandbox(tmp_path: Path) -> None:
    snap = save_snapshot(make_snapshot(), tmp_path / "s.json")
    for fmt in ("html", "md"):
        result = CliRunner().invoke(cli, ["report", str(snap), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")])
        assert result.exit_code == 0, result.output
