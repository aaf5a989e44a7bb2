"""Tables whose columns are years (docs/language.md, "Year tables"): small tables worked out by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchdsl import evidence
from benchdsl.pipeline import run_paths

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

PANEL = """variable,municipality,year,value,unit,provenance
r,A,2005,1.5,%,stated
r,A,2006,-2.0,%,stated
r,A,2007,3.3,%,stated
r,B,2006,4.0,%,stated
r,B,2007,5.04,%,stated
inv,A,2005,1000,NOK/inhabitant,stated
inv,A,2006,1200,NOK/inhabitant,stated
inv,A,2007,1300,NOK/inhabitant,stated
"""

RULES = """municipality A 1
municipality B 2
own A 2007
panel "panel.csv"
indicator r "rate" {
    unit %
    source "r"
}
indicator inv "investment" {
    unit NOK/inhabitant
    source "inv"
}
table T1 "Tabell 1: rates" {
    years 2005..2007
    section "A and B"
    row "A" = r: 1.5, -2.0, 3.3
    row rb "B" = r@B: , 4.0, 5.0
    section ""
    row "Investering (kr per innbygger)" = inv: 1000, 1200, 1400
}
"""


def write(tmp_path, rules=RULES, panel=PANEL) -> Path:
    (tmp_path / "panel.csv").write_text(panel, encoding="utf-8")
    (tmp_path / "rules.bench").write_text(rules, encoding="utf-8")
    return tmp_path / "rules.bench"


def cli(tmp_path, *args):
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env)


def test_each_cell_is_its_indicator_at_the_rows_place_in_the_columns_year(tmp_path):
    result = run_paths([str(write(tmp_path))])
    items = {i.name: i for i in result.audit.items}
    # By hand: A's r in 2005-2007 is 1.5, -2.0, 3.3; B's in 2006 and 2007 is 4.0 and 5.04 (printed
    # 5.0: within half a unit of the last decimal); B's 2005 cell is empty, so not an item at all.
    # A's investment 1000, 1200, 1300 against a printed 1400 in 2007: a mismatch of 100.
    assert {n: (i.computed, i.status) for n, i in items.items()} == {
        "T1.r.2005": (1.5, "ok"), "T1.r.2006": (-2.0, "ok"), "T1.r.2007": (3.3, "ok"),
        "T1.rb.2006": (4.0, "ok"), "T1.rb.2007": (5.04, "ok"),
        "T1.inv.2005": (1000.0, "ok"), "T1.inv.2006": (1200.0, "ok"), "T1.inv.2007": (1300.0, "mismatch")}
    assert items["T1.inv.2007"].delta == -100.0
    # each row keeps its own unit and printed precision
    assert (items["T1.r.2005"].unit, items["T1.r.2005"].decimals) == ("%", 1)
    assert (items["T1.inv.2005"].unit, items["T1.inv.2005"].decimals) == ("NOK/inhabitant", 0)
    assert ("T1", "rb", "2005") not in result.audit.cells
    # every cell reads back the one stated value it prints
    found = evidence.classify(result.program, result.audit, result.evaluator.measure)
    assert {f.kind for f in found.findings} == {evidence.Kind.READ_BACK}
    assert found.of("T1.rb.2007").inputs[0].municipality == "B"


def test_the_text_report_prints_the_table_as_the_report_does(tmp_path):
    write(tmp_path)
    run = cli(tmp_path, "run", str(tmp_path / "rules.bench"))
    assert run.returncode == 1, run.stderr  # the 2007 investment is a mismatch
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    start = lines.index("Tabell 1: rates")
    # By hand: labels padded to the longest (30 + 2 indent = 32), each cell right-aligned to the
    # widest value or year (5: "1 000"), a space, the mark; the empty cell is blank; `section ""`
    # ends the indentation with a blank line.
    assert lines[start:start + 7] == [
        "Tabell 1: rates",
        "                                  2005    2006    2007",
        "A and B",
        "  A                                1.5 ✓  -2.0 ✓   3.3 ✓",
        "  B                                        4.0 ✓   5.0 ✓",
        "",
        "Investering (kr per innbygger)   1 000 ✓ 1 200 ✓ 1 300 ✗",
    ]
    # a problem line shows one decimal more than the row prints
    assert "  ✗ T1.inv.2007: computed 1 300.0 NOK/inhabitant, published 1 400, off by -100.0" in lines


def test_a_year_the_panel_lacks_is_not_computed_with_its_located_reason(tmp_path):
    rules = RULES.replace("years 2005..2007", "years 2004..2007").replace(
        'row "A" = r: 1.5', 'row "A" = r: 1.0, 1.5').replace("r@B: ,", "r@B: , ,").replace(
        "inv: 1000, 1200, 1400", "inv: 900, 1000, 1200, 1300")
    path = write(tmp_path, rules)
    run = cli(tmp_path, "run", str(path))
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    # the 2004 cells: the panel has no r or inv for A in 2004; each names the row's line (16, 19)
    assert "? T1.r.2004: computed ?, published 1.0" in run.stdout
    out = "".join(run.stdout.split())  # the reasons are wrapped at 78 columns, also inside the path
    assert "".join(f"no value of `r` for A 2004 in the panel ({path}:16:5)".split()) in out
    assert "".join(f"no value of `inv` for A 2004 in the panel ({path}:19:5)".split()) in out


def check_error(tmp_path, rules):
    run = cli(tmp_path, "check", str(write(tmp_path, rules)))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr


def test_a_row_whose_unit_does_not_fit_is_an_error_at_the_cell(tmp_path):
    err = check_error(tmp_path, RULES.replace("inv: 1000, 1200", "inv: 1000 %, 1200"))
    # line 19, the cell `1000 %` starts at column 49 (after `... = inv: `)
    assert "rules.bench:19:49: error: row `inv` computes NOK/inhabitant but publishes %" in err


def test_a_year_column_outside_the_years_the_language_knows_is_an_error(tmp_path):
    err = check_error(tmp_path, RULES.replace("years 2005..2007", "years 2005..2207"))
    assert "rules.bench:14:17: error: a table's last year must be a whole number from 1900 to 2200, not 2207" in err
    err = check_error(tmp_path, RULES.replace("years 2005..2007", "years 2007..2005"))
    assert "rules.bench:14:5: error: table `T1` runs from 2007 back to 2005" in err


def test_rows_that_do_not_fit_a_year_table_or_the_years_are_errors(tmp_path):
    err = check_error(tmp_path, RULES.replace("row \"A\" = r: 1.5, -2.0, 3.3", "row \"A\" = r: 1.5, -2.0"))
    assert "error: row `r` gives 2 cells for 3 years (2005..2007)" in err
    err = check_error(tmp_path, RULES.replace("r@B:", "r@C:"))
    assert "error: row `rb` reads `r` of `C`, which is not a declared municipality" in err
    err = check_error(tmp_path, RULES.replace("    years 2005..2007\n", '    column x "X"\n'))
    assert "rules.bench:17:5: error: row `rb` leaves a cell empty, which only a year table's rows may" in err
    err = check_error(tmp_path, RULES.replace("    years 2005..2007\n", '    column x "X"\n').replace("r@B: , 4.0, 5.0",
                                                                                             "r@B: 4.0"))
    assert "rules.bench:17:5: error: row `rb` reads `r@B`, which only a year table's rows may" in err
