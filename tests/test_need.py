"""needmean(GROUP, INDEX): a need-adjusted basis, against figures worked by hand from the real DKI 2025.

The need index is the expenditure-need index (DKI, "utgiftsbehov", 1.0 = the national average) as the
Ministry publishes it (tests/fixtures/realdata/dki_2025.csv, a copy of shared/realdata/dki_2025.csv).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path


import pytest
from hypothesis import given, settings, strategies as st

from benchdsl.evaluate import Status
from benchdsl.pipeline import check_paths, run_paths

from helpers import assert_same_alone_and_for_all

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
DKI_FILE = Path(__file__).parent / "fixtures" / "realdata" / "dki_2025.csv"

# Five ASSS municipalities by their codes in 2025, and their DKI as dki_2025.csv prints it:
# Oslo 0.9287, Bergen 0.9491, Trondheim 0.9071, Stavanger 0.9517, Kristiansand 0.978.
CODES = {"Oslo": "0301", "Bergen": "4601", "Trondheim": "5001", "Stavanger": "1103", "Kristiansand": "4204"}

RULES = """\
municipality Oslo 0301
municipality Bergen 4601
municipality Trondheim 5001
municipality Stavanger 1103
municipality Kristiansand 4204
group ASSS = Oslo, Bergen, Trondheim, Stavanger, Kristiansand
own Trondheim 2025
panel "p.csv"
basis plain "Mean of the others" = mean(ASSS - own)
basis need "Need-adjusted mean of the others" = needmean(ASSS - own, dki)
indicator dki "Expenditure-need index (DKI)" {
    unit dimensionless
    source "dki"
}
indicator cost "Cost per user" {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
measure m "Cost" {
    saving = gap(cost) * users
    unit MNOK
    round 3
}
table T "Savings" {
    column plain "Plain" = plain
    column need "Need-adjusted" = need
    row "Cost" = m: 2.381, 7.022
}
"""

# Invented costs, chosen so that cost ÷ DKI is round (NOK/user):
#   Oslo          92 870 / 0.9287 = 100 000
#   Bergen       113 892 / 0.9491 = 120 000
#   Stavanger     76 136 / 0.9517 =  80 000
#   Kristiansand 107 580 / 0.978  = 110 000
#   Trondheim    100 000 (own), 1 000 users
# Need-adjusted: mean of the others' cost ÷ DKI = (100 000 + 120 000 + 80 000 + 110 000) / 4 = 102 500;
#   × Trondheim's DKI 0.9071 = 92 977.75 NOK/user;  gap 100 000 - 92 977.75 = 7 022.25;
#   × 1 000 users = 7 022 250 NOK = 7.02225 MNOK (shown 7.022).
# Plain: (92 870 + 113 892 + 76 136 + 107 580) / 4 = 390 478 / 4 = 97 619.5;  gap 2 380.5 → 2.3805 MNOK (2.381).
COSTS = {"Oslo": 92870, "Bergen": 113892, "Stavanger": 76136, "Kristiansand": 107580, "Trondheim": 100000}
NEED_BASIS = 92977.75
NEED_SAVING = 7.02225
PLAIN_SAVING = 2.3805


def real_dki() -> dict[str, str]:
    """code -> the DKI as the file prints it."""
    with DKI_FILE.open(encoding="utf-8") as f:
        return {row["code"]: row["dki"] for row in csv.DictReader(f)}


def panel(skip_dki: tuple[str, ...] = ()) -> str:
    dki = real_dki()
    lines = ["variable,municipality,year,value,unit"]
    for name, code in CODES.items():
        if name not in skip_dki:
            lines.append(f"dki,{code},2025,{dki[code]},1")
        lines.append(f"cost,{code},2025,{COSTS[name]},NOK/user")
    lines.append("users,5001,2025,1000,user")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, rules: str = RULES, data: str | None = None) -> Path:
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(panel() if data is None else data, encoding="utf-8")
    return tmp_path


def cli(tmp_path: Path, *args: str):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env)


def test_the_fixture_is_the_published_dki():
    dki = real_dki()
    assert len(dki) == 355
    assert [dki[c] for c in CODES.values()] == ["0.9287", "0.9491", "0.9071", "0.9517", "0.978"]


def test_a_need_adjusted_basis_against_the_hand_figure(tmp_path):
    r = run_paths([str(write(tmp_path))])
    assert r.ok, [d.message for d in r.diags]
    fig = r.evaluator.measure("m", "need")
    assert fig.status is Status.SAVING
    assert fig.raw == pytest.approx(NEED_SAVING, rel=1e-12)
    assert r.evaluator.measure("m", "plain").raw == pytest.approx(PLAIN_SAVING, rel=1e-12)
    use = next(iter(fig.trace.bases.values()))
    assert use.value == pytest.approx(NEED_BASIS, rel=1e-12)
    assert use.index == "dki" and use.own_index == 0.9071 and use.per_index == pytest.approx(102500, rel=1e-12)
    rows = {row.municipality: (row.value, row.index, row.per_index) for row in use.rows}
    assert rows["Oslo"] == (92870, 0.9287, pytest.approx(100000, rel=1e-12))
    assert rows["Bergen"][2] == pytest.approx(120000, rel=1e-12)
    assert "Trondheim" not in rows  # ASSS - own


def test_the_cli_audits_it_and_explain_shows_each_peers_index(tmp_path):
    write(tmp_path)
    r = cli(tmp_path, "run", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 of 2 published figures reproduced" in r.stdout
    r = cli(tmp_path, "explain", "T.m.need", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "Oslo: 92 870 ÷ dki 0.9287 = 100 000" in r.stdout
    assert "Kristiansand: 107 580 ÷ dki 0.9780 = 110 000" in r.stdout
    assert "mean of value ÷ dki = 102 500; × Trondheim's dki 0.9071" in r.stdout
    assert "= 92 978 NOK/user" in r.stdout
    assert "dki = 0.9071   " in r.stdout  # a dimensionless input shows no unit
    r = cli(tmp_path, "run", str(tmp_path), "--format", "json")
    item = next(i for i in json.loads(r.stdout)["items"] if i["name"] == "T.m.need")
    basis = item["derivation"]["bases"][0]
    assert basis["index"] == {"indicator": "dki", "own": 0.9071, "mean_per_index": pytest.approx(102500, rel=1e-12)}
    assert {m["municipality"]: m["index"] for m in basis["members"]} == {
        "Oslo": 0.9287, "Bergen": 0.9491, "Stavanger": 0.9517, "Kristiansand": 0.978}


def test_a_peer_without_an_index_is_left_out_with_a_warning(tmp_path):
    # Without Bergen's DKI: (100 000 + 80 000 + 110 000) / 3 = 96 666.67; × 0.9071 = 87 686.33;
    # gap 12 313.67 × 1 000 users = 12.31367 MNOK (12.314).
    write(tmp_path, RULES.replace("2.381, 7.022", "2.381, 12.314"), panel(skip_dki=("Bergen",)))
    r = cli(tmp_path, "run", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 of 2 published figures reproduced" in r.stdout
    assert "warning: no value of `dki` for Bergen 2025 in the panel; left out of needmean(ASSS - own, dki)" \
        in r.stderr
    fig = run_paths([str(tmp_path)]).evaluator.measure("m", "need")
    assert fig.raw == pytest.approx((100000 - 0.9071 * 290000 / 3) * 1000 / 1e6, rel=1e-12)


def test_without_the_own_index_the_figure_is_not_computed(tmp_path):
    write(tmp_path, data=panel(skip_dki=("Trondheim",)))
    fig = run_paths([str(tmp_path)]).evaluator.measure("m", "need")
    assert fig.status is Status.NOT_COMPUTED
    assert fig.error.message == "no value of `dki` for Trondheim 2025 in the panel"


def test_an_index_with_a_unit_is_a_located_error_before_any_data_is_read(tmp_path):
    rules = RULES.replace("    unit dimensionless\n", "    unit NOK\n").replace('panel "p.csv"', 'panel "missing.csv"')
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    r = cli(tmp_path, "run", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = RULES.splitlines().index('basis need "Need-adjusted mean of the others" = needmean(ASSS - own, dki)') + 1
    assert f"r.bench:{line}:" in r.stderr
    assert "error: the need index `dki` has unit NOK; an index must be dimensionless" in r.stderr
    assert "declare it with `unit dimensionless`" in r.stderr
    assert "missing.csv" not in r.stderr  # the rules did not check: no data was read


@pytest.mark.parametrize("call, message", [
    ("needmean(ASSS)", "wrong arguments to needmean()"),
    ("needmean(ASSS - own, Bergen)", "needmean(GROUP, INDEX) divides by an indicator: the need index"),
    ("needmean(ASSS - own, dkj)", "needmean(GROUP, INDEX) divides by an indicator: the need index"),
    ("needmean(NOPE, dki)", "`NOPE` is not a municipality or group"),
])
def test_wrong_calls_are_located_errors(tmp_path, call, message):
    write(tmp_path, RULES.replace("needmean(ASSS - own, dki)", call))
    r = check_paths([str(tmp_path)])
    assert [(d.span.line, d.message) for d in r.diags if d.is_error][0] == (10, message)


def test_a_percent_index_gives_the_same_figure(tmp_path):
    """A constant factor on the index cancels: the DKI in % (100 = average) is the same basis."""
    dki = real_dki()
    data = panel().replace(",1\n", ",x\n")
    for code in CODES.values():
        data = data.replace(f"dki,{code},2025,{dki[code]},x", f"dki,{code},2025,{float(dki[code]) * 100!r},%")
    write(tmp_path, RULES.replace("    unit dimensionless\n", "    unit %\n"), data)
    r = run_paths([str(tmp_path)])
    assert r.ok, [d.message for d in r.diags]
    assert r.evaluator.measure("m", "need").raw == pytest.approx(NEED_SAVING, rel=1e-12)


# --- the one kernel: the same figure alone and in --for all ------------------------------

MUNIS = ["A", "B", "C", "D", "E"]
YEARS = (2006, 2007)


@st.composite
def need_rule_sets(draw):
    n = draw(st.integers(3, 5))
    munis = MUNIS[:n]
    own = draw(st.sampled_from(munis))
    g = draw(st.lists(st.sampled_from(munis), min_size=2, max_size=n, unique=True))
    h = draw(st.lists(st.sampled_from(munis), min_size=1, max_size=n, unique=True))
    adj_need = draw(st.sampled_from([-0.1, 0.0, 0.25]))
    adj_cost = draw(st.integers(-50, 50))
    rules = f"""\
{chr(10).join(f"municipality {m}" for m in munis)}
group G = {", ".join(g)}
group H = {", ".join(h)}
own {own} 2007
panel "p.csv"
basis n1 "1" = needmean(G - own, need)
basis n2 "2" = needmean(G, need)
basis n3 "3" = needmean(H + own, need)
basis n4 "4" = needmean(G - own, pct)
indicator need {{
    unit dimensionless
    source "need"
}}
indicator pct {{
    unit %
    = need * 100 %
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
measure plain "no adjustment" {{
    saving = gap(cost) * users
    unit kNOK
}}
measure need_adjusted "an adjustment of the index the basis divides by" {{
    adjust need by {adj_need} because "test"
    saving = gap(cost) * users
    unit kNOK
}}
measure cost_adjusted "an adjustment of the value" {{
    adjust cost by {adj_cost} NOK/user because "test"
    saving = basis(cost) * users
    unit kNOK
}}
"""
    lines = ["variable,municipality,year,value,unit"]
    for m in munis:
        for y in YEARS:
            for var, unit, lo, hi in (("need", "1", 0, 2), ("cost", "NOK/user", 1, 500), ("users", "user", 1, 1000)):
                if draw(st.integers(0, 7)):  # now and then a value is missing; an index may be 0
                    v = draw(st.one_of(st.integers(int(lo), int(hi)),
                                       st.floats(lo, hi, allow_nan=False, allow_infinity=False)))
                    lines.append(f"{var},{m},{y},{v!r},{unit}")
    return rules, "\n".join(lines) + "\n"


@settings(max_examples=max(10, settings().max_examples // 3))
@given(need_rule_sets())
def test_needmean_is_the_same_alone_and_for_all(tmp_path_factory, case):
    rules, data = case
    assert_same_alone_and_for_all(tmp_path_factory.mktemp("n"), rules, data)


def test_made_and_described_as_written():
    from benchdsl import bases, ir

    g = ir.MemberSet(("A", "B"), text="G")
    made = bases.NeedMean.make(g, "dki")
    assert made == ir.NeedMean(g, "dki", "needmean(G, dki)")
    assert bases.kind(made).reads(made) == ("dki",)
    assert bases.kind(made).describe(made, "A") == "members for A (2): A, B; each divided by its `dki`, × A's"
