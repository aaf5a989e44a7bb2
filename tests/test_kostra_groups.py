"""KOSTRA's municipality groups read from KLASS: `group K13 from "FILE" code "13"`.

The fixture (tests/fixtures/klass/, see its README) is KLASS's correspondence table from
classification 131 to 112 in KLASS's exact CSV shape; its codes and years are real, its group
memberships made up so that they change at the 2020 and 2024 code changes:

    EKG13  2015-2017  Bærum 0219, Kristiansand 1001, Sandnes 1102, Trondheim 1601
           2018-2019  Bærum 0219, Kristiansand 1001, Sandnes 1102, Trondheim 5001
           2020-2023  Bærum 3024, Kristiansand 4204, Drammen 3005
           from 2024  Bærum 3201, Kristiansand 4204, Sandnes 1108, Drammen 3301, Moss 3103
    EKG12  Bergen 1201 (to 2019) / 4601, Stavanger 1103 from 2015; Trondheim 5001 from 2020
    EKG08  Klæbu 1662 (2015-2017) / 5030 (2018-2019), Sandnes 1108 (2020-2023), Steinkjer 5006 (from 2024)
    EKG02  Trøgstad 0122 (2015-2019): a code the municipality register does not know
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchdsl import batch, klass
from benchdsl.evaluate import Evaluator, Status
from benchdsl.fmt import format_text
from benchdsl.parse import parse
from benchdsl.pipeline import check_paths, run_paths

from helpers import assert_same_alone_and_for_all

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
FIXTURE = Path(__file__).parent / "fixtures" / "klass" / "klass_112_kostragrupper.csv"
FILE = "klass_112_kostragrupper.csv"

RULES = """\
municipality Trondheim 1601
municipality Bærum 0219
own Trondheim 2017
panel "p.csv"
group K13 from "klass_112_kostragrupper.csv" code "13"
basis others "Andre i kostragruppe 13" = mean(K13 - own)
indicator cost {
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
    unit NOK
    round 0
}
"""

# Each municipality under the code it had that year (Moss and Sandnes are not declared: the
# register names them).  Own is Trondheim, 120 NOK/user (150 in 2024) and 10 users each year.
PANEL = """\
variable,municipality,year,value,unit
cost,1601,2017,120,NOK/user
users,1601,2017,10,user
cost,0219,2017,100,NOK/user
cost,1001,2017,90,NOK/user
cost,1102,2017,80,NOK/user
cost,0602,2017,60,NOK/user
cost,5001,2021,120,NOK/user
users,5001,2021,10,user
cost,3024,2021,110,NOK/user
cost,4204,2021,100,NOK/user
cost,3005,2021,90,NOK/user
cost,1108,2021,50,NOK/user
cost,5001 Trondheim - Tråante,2024,150,NOK/user
users,5001 Trondheim - Tråante,2024,10,user
cost,3201,2024,130,NOK/user
cost,4204,2024,120,NOK/user
cost,1108,2024,110,NOK/user
cost,3301,2024,100,NOK/user
cost,3103 Moss,2024,90,NOK/user
"""

# Worked by hand from the fixture:
#   2017: K13 - own = Bærum, Kristiansand, Sandnes (Drammen is no member) -> (100 + 90 + 80) / 3 = 90;
#         (120 - 90) × 10 = 300 NOK
#   2021: K13 = Bærum, Kristiansand, Drammen (Sandnes is in group 8, Trondheim in 12)
#         -> (110 + 100 + 90) / 3 = 100; (120 - 100) × 10 = 200 NOK
#   2024: K13 = Bærum, Kristiansand, Sandnes, Drammen, Moss -> (130 + 120 + 110 + 100 + 90) / 5 = 110;
#         (150 - 110) × 10 = 400 NOK
EXPECTED = {2017: 300.0, 2021: 200.0, 2024: 400.0}


def folder(tmp_path: Path, rules: str = RULES, panel: str = PANEL) -> Path:
    shutil.copy(FIXTURE, tmp_path / FILE)
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(panel, encoding="utf-8")
    return tmp_path


def cli(tmp_path: Path, *args: str, cache: str = "cache"):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / cache))
    p = subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def table():
    t, diags = klass.read(str(FIXTURE), None)
    assert diags == [] and t is not None
    return t


# --- reading the file ---------------------------------------------------------------------------


def test_members_by_year_are_read_from_the_file_through_the_register():
    declared = {"Trondheim": "1601", "Bærum": "0219"}
    members, diags = klass.members(table(), "13", None, declared)
    assert diags == []
    # in the file's order (by code: 0219, 1001, 1102, 1601, 3005, 3103); each with its years, joined across
    # its codes: Bærum 0219 + 3024 + 3201 is one member from 2015 on, Trondheim 1601 + 5001 one from 2015 to 2019
    assert members == [
        ("Bærum", [(2015, None)]),
        ("Kristiansand", [(2015, None)]),
        ("Sandnes", [(2015, 2019), (2024, None)]),  # out of group 13 in 2020-2023, back in 2024
        ("Trondheim", [(2015, 2019)]),
        ("Drammen", [(2020, None)]),
        ("Moss", [(2024, None)]),
    ]


def test_a_merged_code_and_an_old_one_are_the_same_municipality():
    t = table()
    # 1601 until 2017 and 5001 from 2018 are Trondheim, as the rules declare it (by its 2007 code)
    members, _ = klass.members(t, "EKG12", None, {"Trondheim": "1601"})
    assert dict(members)["Trondheim"] == [(2020, None)]
    # Klæbu: 1662 until 2017, 5030 in 2018-2019, then part of Trondheim: a member until 2019 only
    members, _ = klass.members(t, "8", None, {"Trondheim": "5001"})
    assert dict(members) == {"Klæbu": [(2015, 2019)], "Sandnes": [(2020, 2023)],
                             "Steinkjer - Stïentje": [(2024, None)]}  # undeclared: the register's name


def test_a_group_is_named_by_its_code_or_its_number():
    t = table()
    assert klass.find(t, "EKG13") == klass.find(t, "ekg13") == klass.find(t, "13") == ["EKG13"]
    assert klass.find(t, "8") == klass.find(t, "08") == ["EKG08"]
    assert klass.find(t, "14") == [] and klass.find(t, "EKG31") == []


def test_dates_are_read_as_klass_writes_them():
    # validTo is the first day a line no longer holds; a line counts in a year if it holds on 1 January
    assert klass._year("2020-01-01", True) == (2019, False)
    assert klass._year("2019-12-31", True) == (2019, False)  # an inclusive end: the same years
    assert klass._year("2020-01-01", False) == (2020, False)
    assert klass._year("2020-07-01", False) == (2021, False)  # from mid-year: counts from the next
    assert klass._year("", True) == (None, False)
    assert klass._year("2020-13-01", False) == (None, True)


def test_the_table_the_other_way_round_is_read_the_same(tmp_path):
    # KLASS also gives the correspondence from 112 to 131: group codes as the source
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    swapped = []
    for line in lines:
        f = line.split(";")
        swapped.append(";".join([*f[3:6], *f[0:3], *f[6:]]))
    (tmp_path / FILE).write_text("\n".join(swapped) + "\n", encoding="utf-8")
    t, diags = klass.read(str(tmp_path / FILE), None)
    assert diags == []
    assert klass.members(t, "13", None, {}) == klass.members(table(), "13", None, {})


# --- a basis over the group ------------------------------------------------------------------


def test_a_basis_over_the_kostra_group_alone_and_for_all(tmp_path):
    r = run_paths([str(folder(tmp_path))])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    assert r.program.groups["K13"] == ("Bærum", "Kristiansand", "Sandnes", "Trondheim", "Drammen", "Moss")
    assert r.program.inputs == ((os.path.normpath(str(tmp_path / FILE)), klass.read(str(FIXTURE), None)[0].sha256),)
    b = batch.evaluate(r.program, r.evaluator.values)
    i = b.municipalities.index("Trondheim")
    for year, expected in EXPECTED.items():
        fig = Evaluator(r.program, r.evaluator.values, "Trondheim", year).measure("m", "others")
        assert fig.status is Status.SAVING and fig.raw == pytest.approx(expected, abs=1e-9), year
        assert b.figures[("m", "others")][i, b.years.index(year)] == fig.raw
    # and every other figure, each municipality as own, alone as all at once
    assert_same_alone_and_for_all(tmp_path, RULES, PANEL)


def test_the_cli_runs_it_and_explain_lists_the_years_members(tmp_path):
    d = folder(tmp_path)
    r = cli(tmp_path, "run", str(d), "--year", "2024", "--format", "json")
    assert r.returncode == 0, r.stderr
    (fig,) = [f for f in json.loads(r.stdout)["figures"] if f["basis"] == "others"]
    assert fig["raw"] == pytest.approx(400.0)
    r = cli(tmp_path, "explain", "m.others", str(d), "--year", "2021")
    assert r.returncode == 0, r.stderr
    members = r.stdout.split("basis mean(K13 - own)")[1].split("= 100 NOK/user")[0].splitlines()[1:]
    assert [ln.split(":")[0].strip() for ln in members if ln.strip()] == ["Bærum", "Kristiansand", "Drammen"]
    r = cli(tmp_path, "run", str(d), "--for", "all")
    assert r.returncode == 1, r.stderr  # the other municipalities have no `users`: not computed
    assert "Trondheim,2024,m,others,400.0,NOK,saving" in r.stdout


def test_a_group_from_a_file_combines_with_others_and_keeps_its_years(tmp_path):
    # a member the rules name must be declared (Moss, with the code it has in the file)
    rules = "municipality Moss 3103\n" + RULES.replace('code "13"\n', 'code "13"\ngroup K13b = K13 - Moss\n')
    rules = rules.replace("mean(K13 - own)", "mean(K13b - own)")
    r = run_paths([str(folder(tmp_path, rules))])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    assert r.program.groups["K13b"] == ("Bærum", "Kristiansand", "Sandnes", "Trondheim", "Drammen")
    # 2024 without Moss: (130 + 120 + 110 + 100) / 4 = 115; (150 - 115) × 10 = 350 NOK
    assert Evaluator(r.program, r.evaluator.values, "Trondheim", 2024).measure("m", "others").raw == 350.0
    # 2021 as before: Sandnes's two periods are kept through `K13 - Moss`
    assert Evaluator(r.program, r.evaluator.values, "Trondheim", 2021).measure("m", "others").raw == 200.0


def test_fmt_keeps_the_declaration():
    text = 'group K13   from  "klass_112.csv"   code  "EKG13"\n'
    assert format_text(text) == 'group K13 from "klass_112.csv" code "EKG13"\n'
    f, diags = parse('group K13 from "k.csv" code 13\n', "r.bench")
    assert diags == [] and (f.decls[0].source.path, f.decls[0].source.code) == ("k.csv", "13")


# --- the cache keys on the file's content ------------------------------------------------------


def test_a_changed_or_removed_file_is_read_again_not_taken_from_the_cache(tmp_path):
    d = folder(tmp_path)
    args = ("run", str(d), "--year", "2021", "--format", "json")

    def computed():
        r = cli(tmp_path, *args)
        assert r.returncode == 0, r.stderr
        return [f for f in json.loads(r.stdout)["figures"] if f["basis"] == "others"][0]["raw"]

    assert computed() == pytest.approx(200.0)
    assert computed() == pytest.approx(200.0)  # from the cache
    # Sandnes into group 13 for 2020-2023 too: (110 + 100 + 90 + 50) / 4 = 87.5; (120 - 87.5) × 10 = 325
    text = (d / FILE).read_text(encoding="utf-8")
    (d / FILE).write_text(text.replace('"1108";"Sandnes";"";"EKG08"', '"1108";"Sandnes";"";"EKG13"'),
                          encoding="utf-8")
    assert computed() == pytest.approx(325.0)
    (d / FILE).unlink()
    r = cli(tmp_path, *args)
    assert r.returncode == 2 and "r.bench:5:16: error: cannot read classification file" in r.stderr, r.stderr


# --- errors, located ---------------------------------------------------------------------------


def _error(tmp_path: Path, rules: str = RULES, classification: str | None = None):
    d = folder(tmp_path, rules)
    if classification is not None:
        (d / FILE).write_text(classification, encoding="utf-8")
    r = cli(tmp_path, "check", str(d))
    assert r.returncode == 2, r.stdout + r.stderr
    return r.stderr


def test_a_missing_file_is_an_error_at_its_name(tmp_path):
    err = _error(tmp_path, RULES.replace(f'"{FILE}"', '"klass_112.csv"'))
    assert f"{tmp_path / 'r.bench'}:5:16: error: cannot read classification file" in err
    assert 'group K13 from "klass_112.csv"' in err
    assert "hint: did you mean `klass_112_kostragrupper.csv`?; the path is relative to the rule file" in err


def test_a_missing_column_is_an_error_at_the_header(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8").replace('"validTo"', '"gyldigTil"', 1)
    err = _error(tmp_path, classification=text)
    assert f"{FILE}:1:1: error: the classification file has no column `validTo`" in err
    assert "hint: KLASS's correspondence table from classification 131" in err


def test_an_unknown_group_is_an_error_at_its_code_with_a_suggestion(tmp_path):
    err = _error(tmp_path, RULES.replace('code "13"', 'code "EKG 13"'))
    assert f"r.bench:5:51: error: `{tmp_path / FILE}` has no group `EKG 13`" in err
    assert "hint: did you mean `EKG13`? (its groups: EKG02, EKG08, EKG12, EKG13, EKG16)" in err
    err = _error(tmp_path, RULES.replace('code "13"', "code 14"))
    assert "has no group `14`" in err and "hint: its groups: EKG02, EKG08, EKG12, EKG13, EKG16" in err


def test_a_member_unknown_to_the_register_is_an_error_at_its_line_until_declared(tmp_path):
    rules = RULES.replace('code "13"', 'code "2"')
    err = _error(tmp_path, rules)
    assert (f"{FILE}:2:1: error: 0122 Trøgstad, a member of EKG02 (group `K13`), "
            "is not in the municipality register") in err
    assert "hint: declare it with this code (municipality Trøgstad 0122)" in err
    r = run_paths([str(folder(tmp_path, "municipality Trøgstad 0122\n" + rules))])
    assert r.program is not None and r.program.groups["K13"] == ("Trøgstad",)


def test_a_number_that_names_two_groups_asks_for_the_code(tmp_path):
    # a file (made by hand) where group 13's name is also on another code
    text = FIXTURE.read_text(encoding="utf-8").replace('"EKG13"', '"K-13"').replace('"EKG12"', '"EKG13"')
    text = text.replace('"K-13"', '"KG13"')
    err = _error(tmp_path, classification=text)
    assert "error: `13` names 2 groups" in err and 'hint: write the group\'s code: code "' in err


def test_a_bad_date_is_an_error_at_its_cell(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    text[4] = text[4].replace('"2020-01-01";"2024-01-01"', '"2020-13-01";"2024-01-01"')
    err = _error(tmp_path, classification="\n".join(text) + "\n")
    assert f"{FILE}:5:63: error: `2020-13-01` is not a date in `validFrom`" in err


def test_a_declaration_without_its_code_says_how_it_is_written(tmp_path):
    err = _error(tmp_path, RULES.replace(' code "13"', ""))
    assert "r.bench:5:" in err and "expected `code`" in err
    assert 'hint: write it as: group K13 from "klass_112_kostragrupper.csv" code "EKG13"' in err
