"""Municipalities by any code, in any year: panel cells and the rules' declarations through the register.

The fixtures `kostra_2024.json` and `statbank_2024.csv` are test data in the shapes SSB gives
(PxWebApi v2 JSON-stat2, a Statbank CSV export), with 2024's codes and labels: EAK Landet,
0301 Oslo - Oslove, 4601 Bergen, 5001 Trondheim - Tråante; values made up.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchdsl import data, ir
from benchdsl.pipeline import run_paths

FIX = Path(__file__).parent / "fixtures" / "ssb"
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """\
{declarations}
group G = Oslo, Bergen, Trondheim
own Trondheim 2024
panel "{panel}" mapping "{mapping}"
basis mean_others "Mean of the others" = mean(G - own)
basis bergen "Bergen" = Bergen
basis y2023 "2023" = year(2023)
indicator cost {{
    unit NOK/user
    better lower
    source "sfo_brutto_per_bruker"
}}
indicator users {{
    unit user
    source "sfo_brukere"
}}
measure sfo {{
    saving = gap(cost) * users
    unit MNOK
}}
"""
DECLARATIONS = {
    "2007 codes": "municipality Oslo 0301\nmunicipality Bergen 1201\nmunicipality Trondheim 1601",
    "names alone": "municipality Oslo\nmunicipality Bergen\nmunicipality Trondheim",
    "2024 codes": "municipality Oslo 0301\nmunicipality Bergen 4601\nmunicipality Trondheim 5001",
}
# By hand, from the fixtures' 2024 values: Trondheim 28 000 kr per user and 6 000 users, Oslo
# 30 000, Bergen 24 000; Trondheim 2023: 26 500.
#   mean of the others: (30 000 + 24 000) / 2 = 27 000; (28 000 - 27 000) x 6 000 = 6.0 MNOK
#   Bergen:             (28 000 - 24 000) x 6 000                              = 24.0 MNOK
#   2023:               (28 000 - 26 500) x 6 000                              = 9.0 MNOK
EXPECTED = {"mean_others": 6.0, "bergen": 24.0, "y2023": 9.0}
SSB_FILES = [("kostra_2024.json", "mapping_2024.csv"), ("kostra_2024.json", "mapping.csv"),
             ("statbank_2024.csv", "mapping.csv")]


def _run(tmp_path, declarations, panel, mapping):
    rules = tmp_path / "r.bench"
    rules.write_text(RULES.format(declarations=declarations, panel=FIX / panel, mapping=FIX / mapping), encoding="utf-8")
    return run_paths([str(rules)])


@pytest.mark.parametrize("panel, mapping", SSB_FILES)
@pytest.mark.parametrize("how", list(DECLARATIONS))
def test_rules_with_2007_codes_or_names_read_2024_ssb_data(tmp_path, how, panel, mapping):
    r = _run(tmp_path, DECLARATIONS[how], panel, mapping)
    assert r.ok, [d.message for d in r.diags if d.is_error]
    got = {s: r.evaluator.measure("sfo", s).value for s in EXPECTED}
    assert got == pytest.approx(EXPECTED, abs=1e-9)
    # the only remark: the country as a whole is not a municipality
    (w,) = r.diags
    assert w.severity == "warning" and w.message.endswith("not read: `EAK Landet`")


def test_a_2024_value_remembers_its_series_and_table(tmp_path):
    r = _run(tmp_path, DECLARATIONS["2007 codes"], "kostra_2024.json", "mapping_2024.csv")
    obs = r.evaluator.values[("cost", "Trondheim", 2024)].obs
    assert (obs.municipality, obs.value, obs.unit, obs.provenance) == ("Trondheim", 28000.0, "NOK/user", "ssb")
    assert obs.note == ("JSON-stat 12362: TEST DATA in the shape of an SSB KOSTRA table (made-up values), etter "
                        "region, statistikkvariabel og år (table 12362, Statistisk sentralbyrå, 2025-06-16T06:00:00Z): "
                        "ContentsCode KOSsfobrutto0000 (kr, 0 decimals) [Korrigert for kjøp og salg av tjenester.]")
    gap = r.evaluator.values[("users", "Bergen", 2023)]  # null with status ".."
    assert (gap.value, gap.missing) == (None, "not yet published (SSB '..')")


# --- panel cells ----------------------------------------------------------------------

PROGRAM = ir.Program(
    municipalities={"Trondheim": "1601", "Bergen": "1201", "A": "0001"}, groups={}, own="Trondheim", year=2007,
    own_span=None, panels=(), indicators={"cost": ir.Indicator("cost", "cost", "NOK/user", "lower", "cost", None, ())},
    scenarios={}, measures={}, tables={}, claims=(), known={},
)
HEAD = "variable,municipality,year,value,unit\n"


def test_a_2007_line_and_a_2024_line_both_bind_to_trondheim():
    text = HEAD + ("cost,1601 Trondheim,2007,100,NOK/user\n"
                   "cost,5001 Trondheim - Tråante,2024,120,NOK/user\n"
                   "cost,4601 Bergen,2024,90,NOK/user\n"
                   "cost,0001,2024,80,NOK/user\n")  # the rules' made-up code: as the rules say
    panel, diags = data.parse_panel(text, "p.csv", PROGRAM)
    assert diags == []
    values, diags = data.bind(panel, PROGRAM)
    assert diags == []
    assert {k: v.value for k, v in values.items()} == {
        ("cost", "Trondheim", 2007): 100.0, ("cost", "Trondheim", 2024): 120.0,
        ("cost", "Bergen", 2024): 90.0, ("cost", "A", 2024): 80.0}


def test_a_municipality_the_rules_do_not_declare_keeps_ssb_s_name():
    panel, diags = data.parse_panel(HEAD + "cost,5006,2024,1,NOK/user\ncost,Steinkjer,2023,2,NOK/user\n", "p.csv", PROGRAM)
    assert diags == [] and {o.municipality for o in panel} == {"Steinkjer - Stïentje"}


def test_an_unknown_code_is_a_located_error_with_a_suggestion():
    # 5010 is no municipality's code; 5001 is Trondheim's, with two digits swapped
    text = HEAD + "cost,Bergen,2024,90,NOK/user\ncost,5010,2024,1,NOK/user\ncost,5010,2023,2,NOK/user\n"
    panel, diags = data.parse_panel(text, "p.csv", PROGRAM)
    assert [o.municipality for o in panel] == ["Bergen"]  # the lines are not read
    (d,) = diags
    assert (d.severity, str(d.span), d.span.end_column) == ("error", "p.csv:3:6", 10)  # `cost,` is 5 characters
    assert d.message == "unknown municipality code 5010 (and 1 more value with `5010`, 2023-2024)"
    assert d.hint == "did you mean 5001 (Trondheim)?"


def test_an_unknown_name_is_a_located_error_with_a_suggestion():
    panel, (d,) = data.parse_panel(HEAD + "cost,Trondhiem,2024,1,NOK/user\n", "p.csv", PROGRAM)
    assert len(panel) == 0
    assert (d.severity, str(d.span), d.message, d.hint) == (
        "error", "p.csv:2:6", "unknown municipality `Trondhiem`", "did you mean `Trondheim`?")


def test_a_code_and_name_that_contradict_each_other_are_an_error():
    panel, (d,) = data.parse_panel(HEAD + "cost,1601 Bergen,2007,1,NOK/user\n", "p.csv", PROGRAM)
    assert len(panel) == 0 and d.is_error
    assert d.message.startswith("`1601 Bergen`: 1601 is Trondheim's code (until 2017), but `Bergen` is Bergen")


def test_a_municipality_that_no_longer_existed_is_read_with_a_warning():
    # Klæbu merged into Trondheim on 2020-01-01; the rules do not declare it
    panel, (d,) = data.parse_panel(HEAD + "cost,Klæbu,2021,1,NOK/user\n", "p.csv", PROGRAM)
    assert [o.municipality for o in panel] == ["Klæbu"]
    assert d.severity == "warning" and d.message.startswith("Klæbu has no code in 2021 (2020: ")


# --- the rules' declarations ------------------------------------------------------------

HEADER = "group G = Bergen, Trondheim\nown Trondheim 2007\npanel \"p.csv\"\nbasis b = mean(G - own)\n"
PANEL = HEAD + "cost,Trondheim,2007,1,NOK/user\ncost,Bergen,2007,2,NOK/user\n"
INDICATOR = 'indicator cost {\n    unit NOK/user\n    better lower\n    source "cost"\n}\n'


def _rules(tmp_path, declarations):
    (tmp_path / "r.bench").write_text(declarations + HEADER + INDICATOR, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    return run_paths([str(tmp_path / "r.bench")])


def test_a_declaration_that_contradicts_the_register_is_an_error_at_it(tmp_path):
    r = _rules(tmp_path, "municipality Trondheim 1601\nmunicipality Bergen 1601\n")
    (d,) = r.diags
    assert (d.severity, d.span.line, d.message) == ("error", 2, "1601 is Trondheim's code (until 2017), not Bergen's")
    assert d.hint == "Bergen's codes: 1201 (until 2019), 4601 (from 2020)"


def test_two_declarations_of_one_municipality_are_an_error(tmp_path):
    r = _rules(tmp_path, "municipality Trondheim 1601\nmunicipality Bergen 1201\nmunicipality Tronde 5001\n")
    (d,) = [d for d in r.diags if d.is_error]
    assert d.span.line == 3 and d.message.startswith("Tronde and Trondheim are the same municipality")


def test_made_up_municipalities_are_left_alone(tmp_path):
    (tmp_path / "r.bench").write_text("municipality A 0001\nmunicipality B 0002\n" + HEADER.replace("Bergen, Trondheim", "A, B")
                                      .replace("own Trondheim", "own A") + INDICATOR, encoding="utf-8")
    (tmp_path / "p.csv").write_text(HEAD + "cost,A,2007,1,NOK/user\ncost,0002,2007,2,NOK/user\n", encoding="utf-8")
    r = run_paths([str(tmp_path / "r.bench")])
    assert r.ok and r.diags == []
    assert r.evaluator.values[("cost", "B", 2007)].value == 2.0


# --- the command line ---------------------------------------------------------------------

def _cli(tmp_path, *args):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env)


def test_an_unknown_code_in_a_panel_stops_the_run_with_a_located_error(tmp_path):
    (tmp_path / "r.bench").write_text("municipality Trondheim 1601\nmunicipality Bergen 1201\n" + HEADER + INDICATOR,
                                      encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL + "cost,5010,2007,3,NOK/user\n", encoding="utf-8")
    p = _cli(tmp_path, "run", str(tmp_path / "r.bench"))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"{tmp_path / 'p.csv'}:4:6: error: unknown municipality code 5010" in p.stderr
    assert "hint: did you mean 1601 (Trondheim)?" not in p.stderr  # 5010 is not one typo from 1601 ...
    assert "hint: did you mean 5001 (Trondheim)?" in p.stderr  # ... but from Trondheim's newer code


def test_a_2024_jsonstat_runs_from_the_command_line_with_2007_rules(tmp_path):
    rules = tmp_path / "r.bench"
    rules.write_text(RULES.format(declarations=DECLARATIONS["2007 codes"], panel=FIX / "kostra_2024.json",
                                  mapping=FIX / "mapping_2024.csv"), encoding="utf-8")
    p = _cli(tmp_path, "run", str(rules), "--for", "all", "--format", "csv")
    # Bergen's users for 2023 are `..` in the file: its three figures for 2023 are not computed
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert "3 of 18 figures not computed" in p.stderr and "`EAK Landet`" in p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout)))[1:]
    assert {r[0] for r in rows} == {"Oslo", "Bergen", "Trondheim"}
    trondheim = {(r[1], r[3]): r[4] for r in rows if r[0] == "Trondheim"}
    assert float(trondheim[("2024", "bergen")]) == pytest.approx(24.0)
    bergen_2023 = [r for r in rows if r[:2] == ["Bergen", "2023"]]
    assert len(bergen_2023) == 3 and all("not yet published (SSB '..')" in r[7] for r in bergen_2023)


def test_the_mapping_s_unit_is_checked_against_the_indicator_s_once(tmp_path):
    (tmp_path / "m.csv").write_text("variable,unit,ContentsCode\nsfo_brutto_per_bruker,NOK/pupil,KOSsfobrutto0000\n"
                                    "sfo_brukere,user,KOSsfobrukere0000\n", encoding="utf-8")
    rules = tmp_path / "r.bench"
    rules.write_text(RULES.format(declarations=DECLARATIONS["2024 codes"], panel=FIX / "kostra_2024.json",
                                  mapping=tmp_path / "m.csv"), encoding="utf-8")
    r = run_paths([str(rules)])
    (d,) = [d for d in r.diags if d.is_error]  # not one for each of the series' six values
    assert (str(d.span), d.span.end_column) == (f"{tmp_path / 'm.csv'}:2:23", 32)  # the mapping's `NOK/pupil`
    assert d.message.startswith("sfo_brutto_per_bruker is given in `NOK/pupil`, but indicator `cost` is in NOK/user")


def test_a_misspelt_name_with_a_real_code_is_a_warning_naming_whose_code_it_is(tmp_path):
    """`municipality Trondhiem 5001` was accepted silently (a new-analyst trial); 5001 is Trondheim's code."""
    from benchdsl.pipeline import check_paths

    (tmp_path / "r.bench").write_text("municipality Trondhiem 5001\nmunicipality A 0001\nown A 2024\n",
                                      encoding="utf-8")
    r = check_paths([str(tmp_path)])
    warnings = [(d.span.line, d.message, d.hint) for d in r.diags if d.severity == "warning"]
    assert warnings == [(1, "`Trondhiem` is not a name of 5001 (Trondheim - Tråante) in the register",
                         "did you mean `Trondheim`?")]  # and the invented `A 0001` is left alone
