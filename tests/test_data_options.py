"""--own, --year, --panel and --mapping mean the same on run, explain, sensitivity and check (issue 11).

Run as the analyst runs them: the installed CLI in a subprocess. Every figure below is worked by
hand from the panels in this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli


RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "p.csv"
basis m "Mean of the others" = mean(G - own)
indicator c "Cost" {
    unit NOK/user
    better lower
    source "c"
}
indicator u "Users" {
    unit user
    source "u"
}
measure s "Saving" {
    saving = gap(c) * u
    unit kNOK
}
table T "Savings" {
    column m "Mean" = m
    row "S" = s
}
"""

PANEL = """\
variable,municipality,year,value,unit
c,A,2007,12,NOK/user
c,B,2007,11,NOK/user
c,C,2007,8,NOK/user
c,A,2008,20,NOK/user
c,B,2008,10,NOK/user
c,C,2008,12,NOK/user
u,A,2007,200,user
u,B,2007,1000,user
u,A,2008,200,user
u,B,2008,50,user
"""

# Another data file for --panel: A 30, B 20, C 10 NOK/user and 20 users of A in 2007.
OTHER = """\
variable,municipality,year,value,unit
c,A,2007,30,NOK/user
c,B,2007,20,NOK/user
c,C,2007,10,NOK/user
u,A,2007,20,user
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(RULES)
    (tmp_path / "r" / "p.csv").write_text(PANEL)
    (tmp_path / "other.csv").write_text(OTHER)
    return tmp_path


def cli(folder: Path, *args: str) -> tuple[int, str, str]:
    p = run_cli(folder, *args)
    return p.returncode, p.stdout, p.stderr


def saving(folder: Path, *options: str) -> tuple[str, str, float | None, str]:
    code, out, err = cli(folder, "run", "r", "--format", "json", *options)
    assert code in (0, 1), err
    doc = json.loads(out)
    fig = next(f for f in doc["figures"] if (f["measure"], f["basis"]) == ("s", "m"))
    return doc["own"], doc["year"], fig["saving"], fig["status"]


def test_run_own_and_year(folder):
    # A 2007: mean(B, C) = (11 + 8) / 2 = 9.5; gap 12 - 9.5 = 2.5 NOK/user x 200 users = 500 NOK = 0.5 kNOK
    assert saving(folder) == ("A", 2007, pytest.approx(0.5), "saving")
    # B 2007: mean(A, C) = (12 + 8) / 2 = 10; gap 11 - 10 = 1 x 1000 users = 1000 NOK = 1.0 kNOK
    assert saving(folder, "--own", "B") == ("B", 2007, pytest.approx(1.0), "saving")
    # A 2008: mean(B, C) = (10 + 12) / 2 = 11; gap 20 - 11 = 9 x 200 = 1800 NOK = 1.8 kNOK
    assert saving(folder, "--year", "2008") == ("A", 2008, pytest.approx(1.8), "saving")
    # B 2008: mean(A, C) = 16 > 10: cheaper than the basis, no saving
    own, year, _, status = saving(folder, "--own", "B", "--year", "2008")
    assert (own, year, status) == ("B", 2008, "no saving")


def test_run_panel_instead_of_the_rules_own(folder):
    # other.csv, A 2007: mean(B, C) = (20 + 10) / 2 = 15; gap 30 - 15 = 15 x 20 users = 300 NOK = 0.3 kNOK
    assert saving(folder, "--panel", "other.csv") == ("A", 2007, pytest.approx(0.3), "saving")


def test_explain_takes_the_same_options(folder):
    code, out, err = cli(folder, "explain", "T.s.m", "r", "--own", "B", "--year", "2008", "--panel", "r/p.csv")
    assert code == 0, err
    assert "inputs (B):" in out
    assert "A: 20" in out and "C: 12" in out  # the members of B's basis in 2008
    assert "= 16 NOK/user" in out  # (20 + 12) / 2
    assert "no saving" in out
    code, out, err = cli(folder, "explain", "s", "r", "--panel", "other.csv")
    assert code == 0, err
    assert "= 15 NOK/user" in out and "0.3 kNOK" in out


def test_sensitivity_takes_the_same_options(folder):
    code, out, err = cli(folder, "sensitivity", "r", "--own", "B")
    assert code == 0, err
    assert "B 2007" in out.splitlines()[0]
    # B 2007 against the mean of A and C (10): 1.0 kNOK; against the best of them (C, 8): 3 x 1000 = 3.0 kNOK
    row = next(line for line in out.splitlines() if line.startswith("s "))
    assert row.split()[1] == "3.0" and row.split()[-1] == "1.0"
    code, out, err = cli(folder, "sensitivity", "r", "--year", "2008")
    assert code == 0, err
    assert "A 2008" in out.splitlines()[0]
    # A 2008: mean 11 -> 1.8 kNOK; best of B (10) and C (12) is 10 -> 10 x 200 = 2000 NOK = 2.0 kNOK
    row = next(line for line in out.splitlines() if line.startswith("s "))
    assert row.split()[1] == "2.0" and row.split()[-1] == "1.8"


def test_check_reads_data_only_when_asked(folder):
    code, out, err = cli(folder, "check", "r")
    assert code == 0, err
    assert "data" not in out
    code, out, err = cli(folder, "check", "r", "--own", "B", "--year", "2008")
    assert code == 0, err
    assert "B 2008" in out
    # A data problem is found by check once it reads data: a unit the indicator's cannot become
    (folder / "bad.csv").write_text("variable,municipality,year,value,unit\nc,A,2007,12,user\n")
    code, out, err = cli(folder, "check", "r", "--panel", "bad.csv")
    assert code == 2
    assert "bad.csv:2:" in err and "error:" in err


@pytest.mark.parametrize("command", ["run", "explain", "sensitivity", "check"])
def test_bad_options_are_located_errors(folder, command):
    name = ["s"] if command == "explain" else []
    code, _, err = cli(folder, command, *name, "r", "--own", "Bergn")
    assert code == 2 and "error: `Bergn` is not a declared municipality" in err
    code, _, err = cli(folder, command, *name, "r", "--mapping", "m.csv")
    assert code == 2 and "error: --mapping without --panel" in err
    code, _, err = cli(folder, command, *name, "r", "--year", "20077")
    assert code == 2 and "error: --year 20077 is not a year" in err
    code, _, err = cli(folder, command, *name, "r", "--year", "x")
    assert code == 2 and "error:" in err


def test_explain_without_rules_folder_says_how(tmp_path):
    code, _, err = cli(tmp_path, "explain", "s")
    assert code == 2
    assert "no folder `rules` here" in err and "benchdsl explain s FOLDER" in err


def test_a_year_the_panels_lack_entirely_is_said_once(folder):
    code, out, err = cli(folder, "run", "r", "--year", "2009")
    assert code == 1  # every figure not computed
    assert "warning: the panels have no value for 2009 at all (their years: 2007–2008)" in err
