"""Units an analyst declares in the rules (issue 11): `unit loan "utlån"`, more names for a known
unit, and `‰` in a rule's unit.  Run as the analyst runs them: the CLI in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli


RULES = """\
unit loan "utlån", "lån"
unit user "brukar"
municipality A 0001
municipality B 0002
group G = A, B
own A 2007
panel "p.csv"
basis m "Mean of the others" = mean(G - own)
indicator cost "Cost per loan" {
unit NOK/loan
    better lower
    source "c"
}
indicator loans "Loans" {
    unit utlån
    source "n"
}
indicator rate "Rate" {
    unit ‰
    better lower
    source "r"
}
indicator staff_per_user "Staff hours per user" {
    unit h/brukar
    better lower
    source "h"
}
measure s "Saving" {
    saving = gap(cost) * loans
    unit kNOK
}
table T "Savings" {
    column m "Mean" = m
    row "S" = s: 2.0
}
claim r "the rate, in per mille" under m: basis(rate) = 4
claim h "hours per user" under m: basis(staff_per_user) = 3
"""

# Units as a panel writes them: the declared unit by any of its names, in the plural too.
PANEL = """\
variable,municipality,year,value,unit
c,A,2007,120,NOK/lån
c,B,2007,100,NOK/utlån
n,A,2007,100,loans
r,A,2007,5,‰
r,B,2007,0.4,%
h,A,2007,4,h/user
h,B,2007,180,min/brukar
"""


def cli(folder: Path, *args: str) -> tuple[int, str, str]:
    p = run_cli(folder, *args)
    return p.returncode, p.stdout, p.stderr


def write(folder: Path, rules: str = RULES, panel: str = PANEL, name: str = "r") -> Path:
    (folder / name).mkdir()
    (folder / name / "r.bench").write_text(rules, encoding="utf-8")
    (folder / name / "p.csv").write_text(panel, encoding="utf-8")
    return folder / name


def test_a_declared_unit_computes_and_converts(tmp_path):
    write(tmp_path)
    for _ in range(2):  # the second run reads the checked rules from the cache: the same units
        code, out, err = cli(tmp_path, "run", "r", "--format", "json")
        assert code == 0, err
        doc = json.loads(out)
        by = {i["name"]: i for i in doc["items"]}
        # (120 - 100) NOK/loan x 100 loans = 2 000 NOK = 2.0 kNOK
        assert by["T.s.m"]["computed"] == 2.0 and by["T.s.m"]["status"] == "ok"
        # B's rate: 0.4 % = 4 per mille; A is left out of mean(G - own)
        assert by["r"]["computed"] == 4.0
        # B: 180 min per user = 3 h per user
        assert by["h"]["computed"] == 3.0


def test_a_field_written_without_indentation_stays_a_field(tmp_path):
    # `unit NOK/loan` at the start of a line inside the indicator block (RULES above): a field, not
    # a declaration; the program has its three indicators and one declared unit of its own
    write(tmp_path)
    code, out, err = cli(tmp_path, "check", "r")
    assert code == 0, err
    assert "4 indicators" in out


def test_declared_units_do_not_leak_into_another_program(tmp_path):
    write(tmp_path)
    assert cli(tmp_path, "run", "r")[0] == 0  # remembers unit facts about `loan` in the shared cache
    other = RULES.replace('unit loan "utlån", "lån"\n', "").replace("NOK/loan", "NOK/user").replace(
        "unit utlån", "unit user")
    write(tmp_path, other, PANEL, name="other")
    code, _, err = cli(tmp_path, "run", "other")
    assert code == 2
    assert "unknown unit `lån` in `NOK/lån`" in err and "p.csv:2:" in err


def test_bad_declarations_are_located_and_cause_no_follow_on_errors(tmp_path):
    rules = ('unit loan "utlån"\nunit loan "x"\nunit user\nunit visit "two words", "kr"\n'
             + RULES.split("\n", 1)[1] + 'indicator visits "Visits" {\n    unit visit\n    source "v"\n}\n')
    write(tmp_path, rules)
    code, _, err = cli(tmp_path, "check", "r")
    assert code == 2
    errors = [line for line in err.splitlines() if "error:" in line]
    assert errors == [
        "r/r.bench:2:1: error: unit `loan` is declared twice",
        "r/r.bench:3:1: error: `user` is a unit benchdsl knows already",
        'r/r.bench:4:1: error: "two words" cannot be the name of a unit',
        'r/r.bench:4:1: error: "kr" is already the name of a unit',
    ]  # `unit visit` in the indicator is no error: `visit` is declared, with the names it can have


def test_fmt_lays_out_a_declaration(tmp_path):
    folder = write(tmp_path, RULES.replace('unit loan "utlån", "lån"', 'unit   loan "utlån" ,"lån"'))
    assert cli(tmp_path, "fmt", "r")[0] == 0
    text = (folder / "r.bench").read_text(encoding="utf-8")
    assert text.startswith('unit loan "utlån", "lån"\n')
    assert cli(tmp_path, "fmt", "--check", "r")[0] == 0


def test_a_published_value_with_a_unit_is_converted_or_refused(tmp_path):
    # A claim's published value is converted: B's rate 0.4 % = 4 per mille (the claim's basis), so
    # `= 0.4 %` reproduces it as `= 4` does.  A table cell is compared in the table's unit: 2000 NOK
    # in a kNOK table would be read as 2000 kNOK, so it is refused at the value, never ignored.
    write(tmp_path, RULES.replace("basis(rate) = 4", "basis(rate) = 0.4 %"))
    code, out, err = cli(tmp_path, "run", "r", "--format", "json")
    assert code == 0, err
    assert {i["name"]: i["status"] for i in json.loads(out)["items"]}["r"] == "ok"
    write(tmp_path, RULES.replace('row "S" = s: 2.0', 'row "S" = s: 2000 NOK'), name="bad")
    code, _, err = cli(tmp_path, "check", "bad")
    assert code == 2
    assert "bad/r.bench:34:18: error: row `s`: 2000 NOK is not in the table's unit, kNOK" in err
