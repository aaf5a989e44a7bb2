"""Groups by year: `group G = A, B, C from 2007, D until 2006` — a member counts in its years only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


import pytest
from hypothesis import given, settings, strategies as st

from benchdsl import batch
from benchdsl.evaluate import Evaluator
from benchdsl.fmt import format_text
from benchdsl.pipeline import check_paths, run_paths

from helpers import assert_same_alone_and_for_all

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
municipality D 0004
group G = A, B, C from 2007, D until 2006
group H = G - B
own A 2007
panel "p.csv"
basis g "G - own" = mean(G - own)
basis h "H - own" = mean(H - own)
indicator cost {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
measure m "M" {
    saving = gap(cost) * users
    unit NOK
    round 0
}
table T "T" {
    column g "G" = g
    column h "H" = h
    row "m" = m: 350, 200
}
"""

PANEL = """\
variable,municipality,year,value,unit
cost,A,2006,150,NOK/user
cost,A,2007,150,NOK/user
users,A,2006,10,user
users,A,2007,10,user
cost,B,2006,90,NOK/user
cost,B,2007,100,NOK/user
cost,C,2006,120,NOK/user
cost,C,2007,130,NOK/user
cost,D,2006,60,NOK/user
cost,D,2007,70,NOK/user
"""

# Worked by hand, for A (150 NOK/user, 10 users both years):
#   2007: G - own = B, C (C from 2007; D until 2006) -> (100 + 130) / 2 = 115; (150 - 115) × 10 = 350
#         H - own = G - B - own = C                   -> 130;                 (150 - 130) × 10 = 200
#   2006: G - own = B, D (C not yet)                  -> (90 + 60) / 2 = 75;   (150 - 75) × 10 = 750
#         H - own = D                                 -> 60;                   (150 - 60) × 10 = 900
EXPECTED = {(2007, "g"): 350.0, (2007, "h"): 200.0, (2006, "g"): 750.0, (2006, "h"): 900.0}


def folder(tmp_path: Path, rules: str = RULES) -> Path:
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    return tmp_path


def test_members_count_in_their_years_alone_and_for_all(tmp_path):
    r = run_paths([str(folder(tmp_path))])
    assert r.ok, [d.message for d in r.diags]
    assert r.program.groups["G"] == ("A", "B", "C", "D")
    b = batch.evaluate(r.program, r.evaluator.values)
    i = b.municipalities.index("A")
    for (year, basis), expected in EXPECTED.items():
        assert Evaluator(r.program, r.evaluator.values, "A", year).measure("m", basis).raw == expected
        assert b.figures[("m", basis)][i, b.years.index(year)] == expected


def test_the_cli_audits_it_and_fmt_keeps_the_years(tmp_path):
    d = folder(tmp_path)
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([BENCHDSL, "run", str(d)], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 of 2 published figures reproduced" in r.stdout
    assert "group G = A, B, C from 2007, D until 2006\n" in format_text(RULES.replace("C from 2007", "C   from  2007"))
    assert "B, C from 2007 until 2008, D" in format_text(RULES.replace("C from 2007,", "C  from 2007 until   2008,"))


@pytest.mark.parametrize("members, message", [
    ("A, B from 2010 until 2008", "`from 2010 until 2008`: the membership ends before it begins"),
    ("A, B from 2007.5", "the year in `from YYYY` must be a whole number from 1900 to 2200, not 2007.5"),
    ("A, B, B from 2007", "`B` is in group `G` twice, and in some years only"),
])
def test_wrong_years_are_located_errors(tmp_path, members, message):
    folder(tmp_path, RULES.replace("A, B, C from 2007, D until 2006", members))
    r = check_paths([str(tmp_path)])
    errors = [(d.span.line, d.message) for d in r.diags if d.is_error]
    assert errors[0] == (5, message), errors


# --- the one kernel: the same figure alone and in --for all ------------------------------

MUNIS = ["A", "B", "C", "D", "E"]
YEARS = (2006, 2007, 2008)


@st.composite
def rule_sets(draw):
    members = []
    for m in MUNIS:
        lo = draw(st.sampled_from([None, 2006, 2007, 2008]))
        hi = draw(st.sampled_from([None, 2006, 2007, 2008]))
        if lo is not None and hi is not None and hi < lo:
            lo, hi = hi, lo
        members.append(m + (f" from {lo}" if lo else "") + (f" until {hi}" if hi else ""))
    own = draw(st.sampled_from(MUNIS))
    k = draw(st.integers(1, 3))
    rules = f"""\
{chr(10).join(f"municipality {m}" for m in MUNIS)}
group G = {", ".join(members)}
group H = G - {draw(st.sampled_from(MUNIS))}
own {own} 2007
panel "p.csv"
basis b1 "1" = mean(G - own)
basis b2 "2" = mean(H + own)
basis b3 "3" = best({k}, G - own)
basis b4 "4" = wmean(G, users)
basis b5 "5" = needmean(G - own, need)
indicator need {{
    unit dimensionless
    source "need"
}}
indicator cost {{
    unit NOK/user
    better lower
    source "cost"
}}
indicator users {{
    unit user
    source "users"
}}
measure m "M" {{
    adjust cost by {draw(st.integers(-20, 20))} NOK/user because "test"
    saving = gap(cost) * users
    unit kNOK
}}
"""
    lines = ["variable,municipality,year,value,unit"]
    for m in MUNIS:
        for y in YEARS:
            for var, unit, hi in (("need", "1", 2), ("cost", "NOK/user", 500), ("users", "user", 1000)):
                if draw(st.integers(0, 7)):
                    lines.append(f"{var},{m},{y},{draw(st.floats(0.5, hi, allow_nan=False))!r},{unit}")
    return rules, "\n".join(lines) + "\n"


@settings(max_examples=max(10, settings().max_examples // 4))
@given(rule_sets())
def test_every_figure_is_the_same_alone_and_for_all(tmp_path_factory, case):
    rules, data = case
    assert_same_alone_and_for_all(tmp_path_factory.mktemp("g"), rules, data)