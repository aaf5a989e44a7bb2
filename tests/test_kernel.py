"""One kernel: a figure computed alone and the same figure in `--for all` are one computation.

The four cases where the two evaluators used to disagree are pinned with figures worked by
hand; a differential property then runs rule sets over every basis kind, adjustments on
volumes and on indicators that bases read, own inside groups, year() bases, max/min with
missing values and weighted means, values in given years and growth over them, and requires every figure and every status to be the same
from a figure-at-a-time evaluation of each municipality-year and from the array backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from benchdsl import batch
from benchdsl.evaluate import Evaluator, Status
from benchdsl.pipeline import run_paths
from helpers import assert_same_alone_and_for_all

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

# Unit cost = spend / users, a derived indicator; `m` adjusts users (the count the unit cost
# divides by); `mx` takes the larger of two gaps, one against D, whose spend is missing in 2007.
RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
municipality D 0004
group G = A, B, C
group H = B, C
own A 2007
panel "p.csv"
basis others "G - own" = mean(G - own)
basis all "G" = mean(G)
basis plus "H + own" = mean(H + own)
basis earlier "2006" = year(2006)
basis second "2nd" = best(2, G - own)
indicator spend {
    unit NOK
    source "spend"
}
indicator users {
    unit user
    source "users"
}
indicator unit_cost {
    unit NOK/user
    better lower
    = spend / users
}
measure m "M" {
    adjust users by 10 user because "ten users not counted"
    saving = gap(unit_cost) * users
    unit NOK
    round 0
}
measure mx "Max" {
    saving = max(gap(unit_cost, B), gap(unit_cost, D)) * users
    unit NOK
    round 0
}
table T "T" {
    column others "G - own" = others
    column all "G" = all
    column plus "H + own" = plus
    column earlier "2006" = earlier
    column second "2nd" = second
    row "m" = m: 900, 600, 600, 600, 600
}
"""

PANEL = """\
variable,municipality,year,value,unit
spend,A,2007,3000,NOK
users,A,2007,10,user
spend,B,2007,900,NOK
users,B,2007,10,user
spend,C,2007,1200,NOK
users,C,2007,10,user
users,D,2007,10,user
spend,A,2006,1200,NOK
users,A,2006,10,user
"""

# Worked by hand.  A's users are adjusted 10 -> 20 in 2007 only, so A's unit cost is
# 3000 / 20 = 150 NOK/user; B 900 / 10 = 90, C 1200 / 10 = 120; A in 2006: 1200 / 10 = 120.
#   others  mean(B, C) = (90 + 120) / 2 = 105;  gap 150 - 105 = 45;  × 20 users = 900
#   all     mean(A, B, C) with A adjusted = (150 + 90 + 120) / 3 = 120;  gap 30;  × 20 = 600
#           (A unadjusted, 300, would give 170 and no saving: the old batch's figure)
#   plus    mean(B, C, own) = the same three = 120;  600  (ignoring `+ own` would give 900)
#   earlier A's 2006 value, not adjusted = 120;  gap 30;  × 20 = 600
#           (adjusting 2006 too, 1200 / 20 = 60, would give 90 × 20 = 1800)
#   second  the 2nd lowest of B 90, C 120 = 120;  600
# mx needs D's unit cost, and D's spend is missing: not computed (never "no saving", never 1200).
EXPECTED = {"others": 900.0, "all": 600.0, "plus": 600.0, "earlier": 600.0, "second": 600.0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("k")
    (d / "r.bench").write_text(RULES, encoding="utf-8")
    (d / "p.csv").write_text(PANEL, encoding="utf-8")
    return d


def test_the_four_former_disagreements_figure_at_a_time(folder):
    r = run_paths([str(folder)])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    for basis, expected in EXPECTED.items():
        fig = r.evaluator.measure("m", basis)
        assert fig.status is Status.SAVING and fig.raw == pytest.approx(expected, rel=1e-12), basis
    fig = r.evaluator.measure("mx", "others")
    assert fig.status is Status.NOT_COMPUTED
    assert fig.error.message == "no value of `spend` for D 2007 in the panel"


def test_the_four_former_disagreements_for_all(folder):
    r = run_paths([str(folder)])
    b = batch.evaluate(r.program, r.evaluator.values)
    i, j = b.municipalities.index("A"), b.years.index(2007)
    for basis, expected in EXPECTED.items():
        assert b.figures[("m", basis)][i, j] == pytest.approx(expected, rel=1e-12), basis
    assert np.isnan(b.figures[("mx", "others")][i, j])
    assert batch.reason(b, "mx", "others", "A", 2007) == "no value of `spend` for D 2007 in the panel"


def test_the_cli_run_audits_the_hand_figures_and_for_all_prints_them(folder):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(folder / "cache"))
    r = subprocess.run([BENCHDSL, "run", str(folder)], capture_output=True, text=True, timeout=60, env=env)
    # mx, in no table, is not computed (D has no `spend`): a figure of the run, so exit 1, as --for all
    assert r.returncode == 1, r.stdout + r.stderr
    assert "5 of 5 published figures reproduced" in r.stdout
    assert "? mx.others: no value of `spend` for D 2007 in the panel" in r.stdout
    r = subprocess.run([BENCHDSL, "run", str(folder), "--for", "all", "--format", "json"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1  # mx is not computed, and B, C, D have no 2006 values
    rows = {(x["municipality"], x["year"], x["measure"], x["basis"]): x for x in json.loads(r.stdout)["rows"]}
    for basis, expected in EXPECTED.items():
        assert rows[("A", 2007, "m", basis)]["saving"] == pytest.approx(expected, rel=1e-12)
    mx = rows[("A", 2007, "mx", "others")]
    assert (mx["status"], mx["reason"]) == ("not computed", "no value of `spend` for D 2007 in the panel")


# --- the differential property -----------------------------------------------------------

MUNIS = ["A", "B", "C", "D", "E", "F"]
YEARS = (2006, 2007)


@st.composite
def rule_sets(draw):
    n = draw(st.integers(3, 6))
    munis = MUNIS[:n]
    own = draw(st.sampled_from(munis))
    g = draw(st.lists(st.sampled_from(munis), min_size=2, max_size=n, unique=True))
    h = draw(st.lists(st.sampled_from(munis), min_size=1, max_size=n, unique=True))
    peer = draw(st.sampled_from(munis))
    k = draw(st.integers(1, 3))
    better = draw(st.sampled_from(["lower", "higher"]))
    adj_users = draw(st.integers(-5, 20))
    adj_cost = draw(st.integers(-50, 50))
    op = draw(st.sampled_from(["max", "min"]))
    rules = f"""\
{chr(10).join(f"municipality {m}" for m in munis)}
group G = {", ".join(g)}
group H = {", ".join(h)}
own {own} 2007
panel "p.csv"
basis b1 "1" = mean(G - own)
basis b2 "2" = mean(G)
basis b3 "3" = mean(H + own)
basis b4 "4" = wmean(G - own, users)
basis b5 "5" = wmean(H + own, users)
basis b6 "6" = best({k}, G - own)
basis b7 "7" = best({k}, G)
basis b8 "8" = {peer}
basis b9 "9" = year(2006)
basis b10 "10" = best({k}, H + own)
basis b11 "11" = mean(G - {peer} + own)
basis b12 "12" = wmean(G + own, users)
basis b13 "13" = best({k + 2}, G + own)
indicator spend {{
    unit NOK
    source "spend"
}}
indicator users {{
    unit user
    source "users"
}}
indicator cost {{
    unit NOK/user
    better {better}
    source "cost"
}}
indicator unit_cost {{
    unit NOK/user
    better {better}
    = spend / users
}}
measure volume_adjusted "adjust on the count a derived unit cost divides by" {{
    adjust users by {adj_users} user because "test"
    saving = gap(unit_cost) * users
    unit MNOK
}}
measure cost_adjusted "adjust on an indicator the bases read" {{
    adjust cost by {adj_cost} NOK/user because "test"
    let g = gap(cost)
    saving = g * users
    unit kNOK
}}
measure yearly "years: x@Y, growth, compound, annual, points; the adjustment reaches 2007 only" {{
    adjust cost by {adj_cost} NOK/user because "test"
    let g = growth(cost, 2006, 2007)
    let a = annual(growth(basis(cost, mean(G - own)), 2006, 2007, cost / (1000 NOK/user)))
    let c = annual(compound(users / users@2006 - 1, 2005, 2007, cost@2006 / (1000 NOK/user)))
    saving = (g - a + c) * spend@2006 + points(g, basis(cost, {peer})@2007 / cost - 1) * 1 NOK/pp
    unit NOK
}}
measure extreme "max/min over gaps, one against a literal" {{
    saving = {op}(gap(cost), gap(cost, 150 NOK/user), gap(unit_cost, {peer})) * users
    unit NOK
}}
"""
    lines = ["variable,municipality,year,value,unit"]
    for m in munis:
        for y in YEARS:
            for var, unit, lo, hi in (("spend", "NOK", 1, 1e6), ("users", "user", 1, 1000), ("cost", "NOK/user", 1, 500)):
                if draw(st.integers(0, 7)):  # now and then a value is missing
                    v = draw(st.one_of(st.integers(int(lo), int(hi)),
                                       st.floats(lo, hi, allow_nan=False, allow_infinity=False)))
                    lines.append(f"{var},{m},{y},{v!r},{unit}")
    return rules, "\n".join(lines) + "\n"


@settings(max_examples=max(10, settings().max_examples // 2))
@given(rule_sets())
def test_every_figure_and_status_is_the_same_alone_and_for_all(tmp_path_factory, case):
    rules, panel = case
    assert_same_alone_and_for_all(tmp_path_factory.mktemp("d"), rules, panel)


@settings(max_examples=max(10, settings().max_examples // 3))
@given(st.data())
def test_a_what_if_keeps_only_figures_that_read_none_of_the_pinned_inputs(report_rules, data):
    """reconcile pins one input and re-audits; the figures it keeps must be the ones a fresh evaluation gives."""
    r = report_rules
    base = Evaluator(r.program, r.evaluator.values)
    for name in r.program.measures:  # fill the memo, as the audit does
        for scenario in r.program.scenarios:
            base.measure(name, scenario)
    for c in r.program.claims:
        base.claim(c)
    key = data.draw(st.sampled_from(sorted(k for k, v in r.evaluator.values.items() if hasattr(v, "value"))))
    pinned = {key: r.evaluator.values[key].value * data.draw(st.sampled_from([0.5, 0.9, 1.1, 3.0]))}
    trial = base.what_if(pinned)
    fresh = Evaluator(r.program, r.evaluator.values, overrides=pinned)
    for name in r.program.measures:
        for scenario in r.program.scenarios:
            a, b = trial.measure(name, scenario), fresh.measure(name, scenario)
            assert (a.raw, a.status) == (b.raw, b.status), (key, name, scenario)
    for c in r.program.claims:
        a, b = trial.claim(c), fresh.claim(c)
        assert (a.value, a.peer, a.status) == (b.value, b.peer, b.status), (key, c.name)


@pytest.fixture(scope="module")
def report_rules():
    from helpers import ROOT

    return run_paths([str(ROOT / "rules")])


# --- groups as every row sees them, and derivations kept across figures ----------------------

GROUPS = """\
municipality A 0001
municipality B 0002
municipality C 0003
municipality D 0004
municipality E 0005
group H = B, C, D
own A 2007
panel "p.csv"
basis second "2nd" = best(2, H + own)
basis plus "H + own" = mean(H + own)
basis others "H - own" = mean(H - own)
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
}
"""

GROUPS_PANEL = "variable,municipality,year,value,unit\n" + "".join(
    f"cost,{m},2007,{c},NOK/user\nusers,{m},2007,1,user\n" for m, c in
    (("A", 50), ("B", 90), ("C", 120), ("D", 60), ("E", 100)))

# Worked by hand; H is B 90, C 120, D 60 (NOK/user), one user each, so a saving is own - basis.
#   second: A (outside H, added): 50 60 90 120 -> 60, saving 50 - 60 = -10
#           E (outside H, added): 60 90 100 120 -> 90, saving 100 - 90 = 10
#           C (inside H, not added again): 60 90 120 -> 90, saving 120 - 90 = 30
#   plus:   A (50 + 90 + 120 + 60) / 4 = 80, -30;  E (370 / 4 = 92.5), 7.5;  C 270 / 3 = 90, 30
#   others: A and E all three, 90: -40 and 10;  C (90 + 60) / 2 = 75: 45
GROUPS_EXPECTED = {
    ("second", "A"): -10.0, ("second", "E"): 10.0, ("second", "C"): 30.0,
    ("plus", "A"): -30.0, ("plus", "E"): 7.5, ("plus", "C"): 30.0,
    ("others", "A"): -40.0, ("others", "E"): 10.0, ("others", "C"): 45.0,
}


def test_a_group_seen_from_rows_outside_it_and_from_its_members(tmp_path):
    """The array backend works out a group once for the rows outside it and once per member row."""
    (tmp_path / "r.bench").write_text(GROUPS, encoding="utf-8")
    (tmp_path / "p.csv").write_text(GROUPS_PANEL, encoding="utf-8")
    r = run_paths([str(tmp_path)])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    b = batch.evaluate(r.program, r.evaluator.values)
    j = b.years.index(2007)
    for (basis, own), expected in GROUPS_EXPECTED.items():
        got = float(b.figures[("m", basis)][b.municipalities.index(own), j])
        assert got == expected, (basis, own)
        assert Evaluator(r.program, r.evaluator.values, own, 2007).measure("m", basis).raw == expected, (basis, own)


def test_a_derivation_is_the_same_whatever_was_computed_before(report_rules):
    """Values and members without adjustments are kept across the figures of a municipality-year; each
    figure must still record every input, basis and value it read, as if it were computed alone."""
    r = report_rules
    shared = Evaluator(r.program, r.evaluator.values)
    for name in r.program.measures:
        for scenario in r.program.scenarios:
            a = shared.measure(name, scenario)
            b = Evaluator(r.program, r.evaluator.values).measure(name, scenario)
            assert (a.raw, a.status) == (b.raw, b.status), (name, scenario)
            # repr: a value that could not be computed is recorded as NaN, which equals nothing
            for part in ("inputs", "bases", "values", "lets"):
                assert repr(getattr(a.trace, part)) == repr(getattr(b.trace, part)), (name, scenario, part)
