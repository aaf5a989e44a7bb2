"""Output formats behind one registry (benchdsl.report): the command line's --format choices come from it."""

from __future__ import annotations

import pytest

from benchdsl import report
from benchdsl.cli import main

from helpers import ROOT, cli


def names(program, audit, norwegian=False, lang="en") -> str:
    """A format a test registers: one audited figure's name per line."""
    return "".join(f"{i.name}\n" for i in audit.items)


@pytest.mark.parametrize("table", [report.RUN, report.BATCH, report.SENSITIVITY, report.DIFF])
def test_every_registered_renderer_loads(table):
    for name, renderer in table.items():
        assert callable(renderer.load()), name


@pytest.mark.parametrize("command, table", [("run", report.RUN), ("sensitivity", report.SENSITIVITY),
                                            ("diff", report.DIFF)])
def test_the_command_line_offers_exactly_the_registered_formats(command, table, capsys):
    with pytest.raises(SystemExit):
        main([command, "rules", "--format", "nonsense"])
    choices = ", ".join(f"'{name}'" for name in table)
    assert f"invalid choice: 'nonsense' (choose from {choices})" in capsys.readouterr().err


def test_a_format_registered_is_one_the_command_line_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(report.RUN, "names", report.Renderer("test_formats", "names"))
    rules = str(ROOT / "examples" / "home_care")
    code, out, err = cli("run", rules, "--format", "names")
    assert code in (0, 1), err
    _, table, _ = cli("run", rules, "--format", "csv")
    # the same figures the CSV report lists as audited (cells and claims), in its first column
    assert out.splitlines() == [line.split(",")[0] for line in table.splitlines()[1:]
                                if line.split(",")[1] in ("cell", "claim")] != []
