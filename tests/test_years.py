"""Years in the language: `x@2006`, growth(), compound(), annual(), points() and the `pp` unit.

Every expected value is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from benchdsl.evaluate import Evaluator, Status
from benchdsl.pipeline import run_paths

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """\
municipality A 0001
municipality M
own A 2007
panel "p.csv"
indicator level {
    unit NOK/inhabitant
}
indicator rate {
    unit %
}
indicator deflator {
    unit %
}
indicator share {
    unit %
}
claim at "a value in another year": level@2005 = 100
claim total "growth from 2005 to 2007": growth(level, 2005, 2007) = 21 %
claim avg "its annual average": annual(growth(level, 2005, 2007)) = 10 %
claim real "real growth": growth(level, 2005, 2007, deflator) = 10 %
claim real_avg "real, per year": annual(growth(level, 2005, 2007, deflator)) = 4.88 %
claim comp "compounded rates": compound(rate, 2005, 2007) = 32 %
claim comp_avg "per year": annual(compound(rate, 2005, 2007)) = 14.89 %
claim comp_real "real rates": compound(rate, 2005, 2007, deflator) = 20 %
claim other "another municipality's growth": growth(basis(level, M), 2005, 2007) = 50 %
claim fall "redusert med 5,5 prosentpoeng": points(share@2006, share@2007) = 5.5 pp
claim halved "halvert": points(share@2007, basis(share, M)@2007) / points(share@2006, basis(share, M)@2006) = 0.5
"""

# level: 100 (2005), 110 (2006), 121 (2007); M: 200 (2005), 300 (2007)
# rate: 10 % in 2006, 20 % in 2007 (2005's 50 % is before the period: growth from 2005 starts in 2006)
# deflator: 10 % in 2006, 0 % in 2007
# share: A 7.1 (2006), 1.6 (2007); M 3.1 (2006), -0.4 (2007)
PANEL = """\
variable,municipality,year,value,unit
level,A,2005,100,NOK/inhabitant
level,A,2006,110,NOK/inhabitant
level,A,2007,121,NOK/inhabitant
level,M,2005,200,NOK/inhabitant
level,M,2007,300,NOK/inhabitant
rate,A,2005,50,%
rate,A,2006,10,%
rate,A,2007,20,%
deflator,A,2005,99,%
deflator,A,2006,10,%
deflator,A,2007,0,%
share,A,2006,7.1,%
share,A,2007,1.6,%
share,M,2006,3.1,%
share,M,2007,-0.4,%
"""

# Worked by hand:
#   at        level@2005 = 100
#   total     121 / 100 - 1 = 0.21
#   avg       (1.21)^(1/2) - 1 = 1.1 - 1 = 0.10
#   real      1.21 / ((1 + 0.10) × (1 + 0)) - 1 = 1.21 / 1.1 - 1 = 0.10
#   real_avg  (1.1)^(1/2) - 1 = 0.0488088...
#   comp      (1 + 0.10) × (1 + 0.20) - 1 = 1.32 - 1 = 0.32
#   comp_avg  (1.32)^(1/2) - 1 = 0.148913...
#   comp_real 1.32 / 1.1 - 1 = 0.20
#   other     300 / 200 - 1 = 0.50
#   fall      7.1 - 1.6 = 5.5 pp
#   halved    (1.6 - (-0.4)) / (7.1 - 3.1) = 2.0 / 4.0 = 0.5
HAND = {
    "at": 100.0, "total": 21.0, "avg": 10.0, "real": 10.0, "real_avg": (math.sqrt(1.1) - 1) * 100,
    "comp": 32.0, "comp_avg": (math.sqrt(1.32) - 1) * 100, "comp_real": 20.0, "other": 50.0, "fall": 5.5,
    "halved": 0.5,
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("years")
    (d / "r.bench").write_text(RULES, encoding="utf-8")
    (d / "p.csv").write_text(PANEL, encoding="utf-8")
    return d


def test_growth_annual_average_and_real_growth_by_hand(folder):
    r = run_paths([str(folder)])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    ev = r.evaluator
    claims = {c.name: c for c in r.program.claims}
    for name, expected in HAND.items():
        fig = ev.claim(claims[name])
        assert fig.status is not Status.NOT_COMPUTED, (name, fig.error)
        assert fig.value == pytest.approx(expected, rel=1e-12), name


def test_the_run_audits_them(folder):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(folder / "cache"))
    p = subprocess.run([BENCHDSL, "run", str(folder)], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "11 of 11 published figures reproduced" in p.stdout, p.stdout
    assert "5.50 pp" in p.stdout


def test_a_value_missing_in_one_year_says_which(folder, tmp_path):
    (tmp_path / "r.bench").write_text((folder / "r.bench").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL.replace("level,A,2005,100,NOK/inhabitant\n", ""), encoding="utf-8")
    r = run_paths([str(tmp_path)])
    fig = r.evaluator.claim({c.name: c for c in r.program.claims}["total"])
    assert fig.status is Status.NOT_COMPUTED
    assert fig.error.message == "no value of `level` for A 2005 in the panel"


# --- errors: located, before any data is read ----------------------------------------------

BAD = [
    ("claim c \"x\": points(share@2006, share@2007) = 5.5 %",
     "computes pp but publishes %", None),
    ("claim c \"x\": growth(level, 2005, 2007) = 26.5 pp", "computes 1 but publishes pp", None),
    ("claim c \"x\": points(share@2006, share@2007) + share = 1 %", "cannot add pp and %", None),
    ("claim c \"x\": growth(level, 2007, 2005) = 1 %", "the first year must be before the second", None),
    ("claim c \"x\": annual(level) = 1 %", "annual() takes a growth() or a compound()", None),
    ("claim c \"x\": compound(level, 2005, 2007) = 1 %", "an annual rate is in % or a plain number", None),
    ("claim c \"x\": points(level, level) = 1 pp", "points() are a difference of shares or rates in %", None),
    ("claim c \"x\": level@20.5 = 1", "a year must be a whole number from 1900 to 2200", None),
    ("claim c \"x\": growth(level, 2005) = 1 %", "wrong arguments to growth()", None),
]


@pytest.mark.parametrize("line,message,_", BAD)
def test_year_mistakes_are_located_errors(tmp_path, line, message, _):
    rules = RULES.split("claim at")[0] + line + "\n"
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    r = run_paths([str(tmp_path)])
    errors = [d for d in r.diags if d.is_error]
    assert errors and any(message in d.message for d in errors), [d.message for d in errors]
    assert all(d.span is not None and d.span.line == rules.count("\n") for d in errors)


def test_a_year_in_an_indicator_formula_is_an_error_from_the_cli(tmp_path):
    rules = RULES.split("claim at")[0] + "indicator g {\n    unit NOK/inhabitant\n    = level@2006\n}\n"
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run([BENCHDSL, "run", str(tmp_path)], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "r.bench:19:7: error: a value in a given year cannot be used in an indicator's formula" in p.stderr, p.stderr


def test_mixing_percent_and_points_is_caught_before_the_panel_is_read(tmp_path):
    rules = RULES.split("claim at")[0] + "claim c \"x\": points(share@2006, share@2007) = 5.5 %\n"
    (tmp_path / "r.bench").write_text(rules.replace('panel "p.csv"', 'panel "missing.csv"'), encoding="utf-8")
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run([BENCHDSL, "run", str(tmp_path)], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "r.bench:17:" in p.stderr and "error:" in p.stderr, p.stderr


# --- properties ------------------------------------------------------------------------------

PROPERTY_RULES = """\
municipality A 0001
own A 2007
panel "p.csv"
indicator level {
    unit NOK
}
indicator rate {
    unit %
}
indicator deflator {
    unit %
}
claim total "t": growth(level, 2003, 2007) = 1 %
claim avg "a": annual(growth(level, 2003, 2007)) = 1 %
claim comp "c": compound(rate, 2003, 2007) = 1 %
claim comp_avg "c": annual(compound(rate, 2003, 2007)) = 1 %
claim real "r": growth(level, 2003, 2007, deflator) = 1 %
claim comp_real "r": compound(rate, 2003, 2007, deflator) = 1 %
"""
PROPERTY_YEARS = range(2003, 2008)


@pytest.fixture(scope="module")
def property_program(tmp_path_factory):
    d = tmp_path_factory.mktemp("prop")
    (d / "r.bench").write_text(PROPERTY_RULES, encoding="utf-8")
    lines = ["variable,municipality,year,value,unit"]
    for y in PROPERTY_YEARS:
        lines += [f"level,A,{y},1,NOK", f"rate,A,{y},0,%", f"deflator,A,{y},0,%"]
    (d / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_paths([str(d)])
    assert r.ok, [x.message for x in r.diags if x.is_error]
    return r


def _claims(r, overrides):
    ev = Evaluator(r.program, r.evaluator.values, overrides=overrides)
    return {c.name: ev.claim(c).value for c in r.program.claims}


levels = st.lists(st.floats(1.0, 1e6), min_size=5, max_size=5)
rates = st.lists(st.floats(-50.0, 100.0), min_size=5, max_size=5)


@given(levels, rates)
def test_compounding_the_annual_average_over_the_period_gives_the_total_growth(property_program, lv, rt):
    pins = {("level", "A", y): v for y, v in zip(PROPERTY_YEARS, lv)}
    pins |= {("rate", "A", y): v for y, v in zip(PROPERTY_YEARS, rt)}
    got = _claims(property_program, pins)
    for total, avg in (("total", "avg"), ("comp", "comp_avg")):
        compounded = ((1 + got[avg] / 100) ** 4 - 1) * 100  # four years: 2003 to 2007
        assert compounded == pytest.approx(got[total], rel=1e-9, abs=1e-9), (total, got)


@given(levels, rates)
def test_a_zero_deflator_leaves_growth_unchanged(property_program, lv, rt):
    pins = {("level", "A", y): v for y, v in zip(PROPERTY_YEARS, lv)}
    pins |= {("rate", "A", y): v for y, v in zip(PROPERTY_YEARS, rt)}
    pins |= {("deflator", "A", y): 0.0 for y in PROPERTY_YEARS}
    got = _claims(property_program, pins)
    assert got["real"] == got["total"]  # dividing by (1 + 0)^4 = 1.0 exactly: equal, not close
    assert got["comp_real"] == got["comp"]


def test_a_value_in_another_year_is_the_same_for_all(tmp_path):
    """`spend@2006` in --for all read the evaluated year's value (a context for another year reused
    its parent's shortcut to evaluation); each row must read 2006, as the figure alone does."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(
        "municipality A 0001\nmunicipality B 0002\ngroup G = A, B\nown A 2007\npanel \"p.csv\"\n"
        "basis m = mean(G - own)\nindicator spend {\n    unit NOK\n    source \"spend\"\n}\n"
        "measure s \"S\" {\n    saving = spend@2006\n    unit NOK\n}\n")
    # spend of A: 15, 16, 17 in 2005-2007; of B: 25, 26, 27
    (tmp_path / "r" / "p.csv").write_text("variable,municipality,year,value,unit\n" + "".join(
        f"spend,{m},{y},{base + y - 2000},NOK\n" for m, base in (("A", 10), ("B", 20)) for y in (2005, 2006, 2007)))
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    p = subprocess.run([str(Path(sys.executable).parent / "benchdsl"), "run", "r", "--for", "all"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert p.returncode == 0, p.stderr
    savings = {tuple(line.split(",")[:2]): line.split(",")[4] for line in p.stdout.splitlines()[1:]}
    # every year of A reads A's 2006 value, 16; of B, 26
    assert savings == {("A", "2005"): "16.0", ("A", "2006"): "16.0", ("A", "2007"): "16.0",
                       ("B", "2005"): "26.0", ("B", "2006"): "26.0", ("B", "2007"): "26.0"}
