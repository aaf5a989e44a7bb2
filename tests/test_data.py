"""Panels: provenance, SSB conventions, and every way a data file can be wrong."""

from benchdsl import ir
from benchdsl.data import bind, parse_panel

from helpers import COST_USERS, messages, run

PROGRAM = ir.Program(
    municipalities={"Trondheim": "1601", "Bergen": "1201"}, groups={}, own="Trondheim", year=2007, own_span=None,
    panels=(), indicators={"cost": ir.Indicator("cost", "cost", "NOK/user", "lower", "cost", None, ())},
    scenarios={}, measures={}, tables={}, claims=(), known={},
)


def test_ssb_semicolons_decimal_commas_codes_and_missing_symbols():
    text = ("# exported from SSB\n"
            "variable;municipality;year;value;unit;provenance;note\n"
            "cost;1601 Trondheim;2007;1 234,5;NOK/user;kostra;\n"
            "cost;1201;2007;..;NOK/user;kostra;\n"
            "cost;K1201;2006;:;NOK/user;kostra;\n")
    obs, diags = parse_panel(text, "p.csv", PROGRAM)
    assert diags == []
    assert [(o.municipality, o.year, o.value, o.missing) for o in obs] == [
        ("Trondheim", 2007, 1234.5, None),
        ("Bergen", 2007, None, "not yet published (SSB '..')"),
        ("Bergen", 2006, None, "confidential (SSB ':')"),
    ]
    assert obs[0].span.line == 3 and obs[0].provenance == "kostra"


def test_units_convert_on_binding_and_mismatches_are_located():
    text = ("variable,municipality,year,value,unit\n"
            "cost,Trondheim,2007,1.5,kNOK/user\n"
            "cost,Bergen,2007,3,NOK/pupil\n")
    obs, _ = parse_panel(text, "p.csv", PROGRAM)
    values, diags = bind(obs, PROGRAM)
    assert values[("cost", "Trondheim", 2007)].value == 1500.0
    (d,) = diags
    assert (d.span.line, d.span.column) == (3, 20)
    assert "is given in `NOK/pupil`, but indicator `cost` is in NOK/user" in d.message


def test_bad_lines_each_get_a_located_error():
    text = ("variable,municipality,year,value,unit\n"
            "cost,Trondheim,2007,abc,NOK/user\n"
            "cost,Trondheim,20x7,1,NOK/user\n"
            "cost,Bergen,2007,22,200,NOK/user\n"
            "cost,Bergen,2007,inf,NOK/user\n"
            "cost,Bergen,2006,1,NOK/user\n"
            "cost,Bergen,2006,2,NOK/user\n")
    _, diags = parse_panel(text, "p.csv", PROGRAM)
    got = [(d.span.line, d.message) for d in diags]
    assert got == [
        (2, "`abc` is not a number"),
        (3, "year `20x7` is not a year"),
        (4, "this line has 6 fields, the header 5"),
        (5, "`inf` is not a finite number"),
        (7, "cost for Bergen 2006 is given twice (first at p.csv:6:18)"),
    ]
    assert diags[2].hint.startswith("a decimal comma splits the field")


def test_missing_columns_and_empty_panels():
    _, diags = parse_panel("variable,municipality,yr,value\n", "p.csv", PROGRAM)
    assert diags[0].message == "the panel lacks column(s) year, unit"
    _, diags = parse_panel("", "p.csv", PROGRAM)
    assert diags[0].message == "the panel is empty"


RULES = COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    row "m" = m: 1.0
}
"""


def test_a_missing_own_value_is_an_error_and_a_missing_peer_is_left_out(tmp_path):
    rows = [("cost", "A", 2007, 100), ("cost", "B", 2007, ".."), ("cost", "C", 2007, 90), ("cost", "D", 2007, 90)]
    r = run(tmp_path, RULES, rows)
    assert messages(r) == ["no value of `users` for A 2007 in the panel"]
    item = r.audit.items[0]
    assert item.status == "error"
    warnings = [d.message for d in r.diags if d.severity == "warning"]
    assert warnings == ["`cost` for B 2007 is missing in the panel: not yet published (SSB '..'); left out of mean(G - own)"]


def test_division_by_zero_is_a_located_error(tmp_path):
    rules = RULES.replace("saving = gap(cost) * users", "saving = gap(cost) * users / (users - users) * users")
    rows = [("cost", m, 2007, 100 + i) for i, m in enumerate("ABCD")] + [("users", "A", 2007, 5)]
    r = run(tmp_path, rules, rows)
    assert messages(r) == ["division by zero"]
