"""Options and inputs that used to be ignored or misread silently (issue 11), from the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


cli = run_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "home_care", tmp_path / "home")
    return tmp_path / "home"


@pytest.mark.parametrize("options, message", [
    (["--format", "markdown"], "error: --for all writes a long table as csv or json, not markdown"),
    (["--html", "x.html"], "error: --for all writes no HTML report"),
])
def test_for_all_refuses_what_it_would_ignore(tmp_path, home, options, message):
    p = cli(tmp_path, "run", "home", "--for", "all", *options)
    assert p.returncode == 2 and message in p.stderr and p.stdout == ""
    assert not (tmp_path / "x.html").exists()


def test_a_decimal_comma_in_a_row_says_so(tmp_path, home):
    bench = home / "home_care.bench"
    bench.write_text(bench.read_text(encoding="utf-8").replace("home_care: 7.0, 8.4, -", "home_care: 7,0, 8.4, -"),
                     encoding="utf-8")
    p = cli(tmp_path, "check", "home")
    assert p.returncode == 2
    assert "home/home_care.bench:49:5: error: row `home_care` gives 4 published values for 3 columns" in p.stderr
    assert "hint: `7,0` reads as two values, 7 and 0; a decimal is written with a point: 7.0" in p.stderr


def test_check_finds_a_panel_that_is_not_there(tmp_path, home):
    assert cli(tmp_path, "check", "home").returncode == 0
    (home / "panel.csv").rename(home / "panel2.csv")
    p = cli(tmp_path, "check", "home")  # the checked rules come from the cache: the panel is looked for anyway
    assert p.returncode == 2
    assert "home/home_care.bench:15:1: error: the panel `panel.csv` is not there" in p.stderr


MIXED = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "p.csv"
basis m "Mean" = mean(G - own)
indicator c {
    unit NOK/user
    better lower
    source "c"
}
indicator d {
    unit NOK/user
    better lower
    source "d"
}
indicator u {
    unit user
    source "u"
}
measure a "A" {
    saving = gap(c) * u
    unit kNOK
    round 2
}
measure b "B" {
    saving = gap(d) * u
    unit kNOK
    round 1
}
table T "T" {
    column m "Mean" = m
    row "A" = a: 1.18
    row "B" = b: 16.2
    total "Sum": 17.38
}
"""

# a: (11.178 - 10) x 1000 users = 1 178 NOK = 1.178 kNOK, shown with its 2 decimals: 1.18
# b: (26.166 - 10) x 1000 users = 16 166 NOK = 16.166 kNOK, shown with its 1 decimal: 16.2
# the total adds the rows as shown: 1.18 + 16.2 = 17.38 (not 17.34 from the unrounded values,
# nor 17.35 from both rows at 2 decimals)
MIXED_PANEL = ("variable,municipality,year,value,unit\nc,A,2007,11.178,NOK/user\nc,B,2007,10,NOK/user\n"
               "c,C,2007,10,NOK/user\nd,A,2007,26.166,NOK/user\nd,B,2007,10,NOK/user\nd,C,2007,10,NOK/user\n"
               "u,A,2007,1000,user\n")


def test_each_row_is_shown_and_added_at_its_measures_rounding(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(MIXED)
    (tmp_path / "r" / "p.csv").write_text(MIXED_PANEL)
    p = cli(tmp_path, "run", "r")
    assert p.returncode == 0, p.stdout + p.stderr
    rows = {line.split()[0]: line.split()[1:3] for line in p.stdout.splitlines() if line.split()[:1] in (["A"], ["B"], ["Sum"])}
    assert rows == {"A": ["1.18", "1.18"], "B": ["16.2", "16.2"], "Sum": ["17.38", "17.38"]}


def test_a_published_figure_not_computed_shows_a_question_mark(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(MIXED)
    (tmp_path / "r" / "p.csv").write_text(MIXED_PANEL.replace("u,A,2007,1000,user\n", ""))  # no users: no savings
    p = cli(tmp_path, "run", "r")
    assert p.returncode == 1
    rows = {line.split()[0]: line.split()[1:4] for line in p.stdout.splitlines() if line.split()[:1] in (["A"], ["Sum"])}
    assert rows == {"A": ["?", "1.18", "?"], "Sum": ["?", "17.38", "?"]}  # computed, published, mark


def test_another_municipality_is_computed_and_the_published_values_not_audited(tmp_path):
    """The published values are A's (the rules' own): --own B computes B's figures and compares none."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(MIXED)
    (tmp_path / "r" / "p.csv").write_text(MIXED_PANEL + "u,B,2007,10,user\n")
    p = cli(tmp_path, "run", "r", "--own", "B")
    assert p.returncode == 0 and "published values" not in p.stderr, p.stderr
    # B: 10 NOK/user for c and d, below the mean of A and C for both: no saving, no total
    rows = {line.split()[0]: line.split()[1:] for line in p.stdout.splitlines() if line.split()[:1] in (["A"], ["B"], ["Sum"])}
    assert rows == {"A": ["–"], "B": ["–"], "Sum": ["–"]}
    assert "The published values in the rules are A 2007's: not audited for B 2007" in p.stdout
    assert "published values in the rules" not in cli(tmp_path, "run", "r").stdout
