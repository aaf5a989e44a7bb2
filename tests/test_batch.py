"""Batch evaluation (every municipality, every year, on arrays) agrees with the
figure-at-a-time evaluator."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from benchdsl import batch
from benchdsl.evaluate import Evaluator
from benchdsl.pipeline import run_paths

from helpers import ROOT, cli
from strategies import NAMES, values


@pytest.fixture(scope="module")
def report():
    return run_paths([str(ROOT / "rules")])


def test_batch_matches_every_figure_of_the_report(report):
    b = batch.evaluate(report.program, report.evaluator.values)
    i, j = b.municipalities.index("Trondheim"), b.years.index(2007)
    compared = 0
    for (measure, scenario), arr in b.figures.items():
        fig = report.evaluator.measure(measure, scenario)
        if fig.error is not None:
            assert math.isnan(arr[i, j]), (measure, scenario)
            continue
        assert arr[i, j] == pytest.approx(fig.raw, rel=1e-12, abs=1e-12), (measure, scenario)
        compared += 1
    assert compared >= 40


RULES = """\
{munis}
group G = {group}
own {own} 2007
panel "panel.csv"
basis mean_others "Mean" = mean(G - own)
basis second "2nd" = best(2, G - own)
basis peer "Peer" = {peer}
basis earlier "2006" = year(2006)
basis weighted "Weighted" = wmean(G - own, users)
indicator cost {{
    unit NOK/user
    better {better}
    source "cost"
}}
indicator users {{
    unit user
    source "users"
}}
measure m {{
    adjust users by 10 user because "test"
    saving = gap(cost) * users
    unit MNOK
}}
"""


@given(n=st.integers(4, 7), better=st.sampled_from(["lower", "higher"]), data=st.data())
def test_batch_agrees_with_the_scalar_evaluator_for_every_own_and_year(tmp_path_factory, n, better, data):
    names = NAMES[:n]
    root = tmp_path_factory.mktemp("b")
    (root / "r.bench").write_text(RULES.format(
        munis="\n".join(f"municipality {m}" for m in names), group=", ".join(names[: n - 1]), own=names[0],
        peer=names[1], better=better), encoding="utf-8")
    lines = ["variable,municipality,year,value,unit"]
    for m in names:
        for y in (2006, 2007):
            if data.draw(st.integers(0, 9)):  # now and then a value is missing
                lines.append(f"cost,{m},{y},{data.draw(values)!r},NOK/user")
            lines.append(f"users,{m},{y},{data.draw(st.integers(1, 10_000))},user")
    (root / "panel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_paths([str(root / "r.bench")])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    b = batch.evaluate(r.program, r.evaluator.values)
    for i, own in enumerate(b.municipalities):
        for j, year in enumerate(b.years):
            scalar = Evaluator(r.program, r.evaluator.values, own, year)
            for scenario in r.program.scenarios:
                fig = scalar.measure("m", scenario)
                got = b.figures[("m", scenario)][i, j]
                if fig.error is not None or fig.raw is None:
                    assert np.isnan(got), (own, year, scenario)
                else:
                    # Leaving own out of a group sum by subtraction loses a few ulps of the sum:
                    # agreement to a thousandth of a krone (1e-9 MNOK) is what matters.
                    assert got == pytest.approx(fig.raw, rel=1e-9, abs=1e-9), (own, year, scenario)


def test_for_all_prints_one_long_table():
    code, out, err = cli("run", str(ROOT / "rules"), "--for", "all")
    lines = out.splitlines()
    # Only Trondheim has volumes in the panel: the other municipalities' savings are not computed (exit 1).
    assert code == 1 and lines[0] == "municipality,year,measure,basis,saving,unit,status,reason,shown,series_breaks"
    assert "not computed" in err
    row = next(ln for ln in lines if ln.startswith("Trondheim,2007,sfo_fee,third_best,"))
    # full precision, then as Table 4 shows it (the measure rounds to 1 decimal)
    assert row.endswith(",MNOK,saving,,16.8,") and float(row.split(",")[4]) == pytest.approx(16.7879, abs=5e-5)
    assert "Trondheim,2007,group_size,mean_others,,MNOK,no saving,,-," in lines
    assert any(ln.startswith("Bergen,2007,sfo_fee,third_best,,MNOK,not computed,no value of `sfo_users` for Bergen 2007")
               for ln in lines)


def test_for_all_on_a_small_generated_panel_from_the_cli(tmp_path):
    (tmp_path / "r.bench").write_text(RULES.format(
        munis="\n".join(f"municipality {m}" for m in NAMES[:5]), group=", ".join(NAMES[:5]), own=NAMES[0],
        peer=NAMES[1], better="lower"), encoding="utf-8")
    lines = ["variable,municipality,year,value,unit"]
    for i, m in enumerate(NAMES[:5]):
        for y in (2006, 2007, 2008):
            lines += [f"cost,{m},{y},{100 + 10 * i + y - 2006},NOK/user", f"users,{m},{y},{1000 * (i + 1)},user"]
    (tmp_path / "panel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli("run", str(tmp_path / "r.bench"), "--for", "all", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert len(rows) == 5 * 3 * 5  # municipalities x years x bases
    # Trondheim (121 in 2007) against the mean of the other four, (101 + 111 + 131 + 141) / 4 = 121: no saving
    st = [r for r in rows if r["municipality"] == "Trondheim" and r["year"] == 2007 and r["basis"] == "mean_others"]
    assert st[0]["status"] == "no saving" and st[0]["saving"] is None
    # Bærum, the most expensive (141), against the 2nd best of the others (111), with 5 000 + 10 users
    last = NAMES[4]
    r = next(r for r in rows if r["municipality"] == last and r["year"] == 2007 and r["basis"] == "second")
    assert r["saving"] == pytest.approx((141 - 111) * 5010 / 1e6)
