"""Panels: provenance, SSB conventions, and every way a data file can be wrong."""

import os

import attrs
import numpy as np

from benchdsl import data, ir
from benchdsl.data import bind, parse_panel

from helpers import COST_USERS, HEADER, messages, run, REPRO

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
        (7, "cost for Bergen 2006 is given twice, with different values: 2 here, 1 at p.csv:6:18"),
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
    assert messages(r) == []  # not unusable input: the figure is not computed, with the reason
    item = r.audit.items[0]
    assert item.status == "error" and item.note == "no value of `users` for A 2007 in the panel"
    assert item.figure.error.span is not None and r.audit.failed
    warnings = [d.message for d in r.diags if d.severity == "warning"]
    assert warnings == ["no panel has the variable `users` that indicator `users` reads",  # the panel has no users
                        "`cost` for B 2007 is missing in the panel: not yet published (SSB '..'); left out of mean(G - own)"]


def test_division_by_zero_is_a_located_error(tmp_path):
    rules = RULES.replace("saving = gap(cost) * users", "saving = gap(cost) * users / (users - users) * users")
    rows = [("cost", m, 2007, 100 + i) for i, m in enumerate("ABCD")] + [("users", "A", 2007, 5)]
    r = run(tmp_path, rules, rows)
    item = r.audit.items[0]
    assert messages(r) == [] and item.status == "error" and item.note == "division by zero"
    span = item.figure.error.span  # the `/` whose divisor is zero
    assert span is not None and rules.splitlines()[span.line - 1 - len(HEADER.splitlines())].strip().startswith("saving")


# --- regressions of issue 9: no silent wrong values ----------------------------------

import math  # noqa: E402

import pytest  # noqa: E402

from benchdsl.data import decode, read_number  # noqa: E402
from benchdsl.pipeline import run_paths  # noqa: E402

REPRO_PANEL = "variable,municipality,year,value,unit\nc,A,2007,10,NOK\nc,B,2007,8,NOK\n"


def _repro(tmp_path, panels: dict[str, bytes | str], rules: str = REPRO):
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    for name, content in panels.items():
        raw = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(raw)
    return run_paths([str(tmp_path / "r.bench")])


def _errors(result):
    return [(str(d.span), d.message) for d in result.diags if d.is_error]


def test_the_reproducer_itself_runs(tmp_path):
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL})
    assert r.ok and r.evaluator is not None


# Encodings: decided per file, never by one stray byte.

def test_utf8_with_and_without_bom_is_utf8():
    assert decode("c,Sørli\n".encode("utf-8"), "p.csv") == ("c,Sørli\n", [])
    assert decode(b"\xef\xbb\xbf" + "c,Sørli\n".encode("utf-8"), "p.csv") == ("c,Sørli\n", [])


def test_a_file_without_any_utf8_sequence_is_latin1():
    # ø is 0xF8 in Latin-1; no byte pair in the file is a valid UTF-8 sequence
    assert decode(b"c,S\xf8rli\nd,\xc6re\n", "p.csv") == ("c,Sørli\nd,Ære\n", [])


def test_a_file_mixing_utf8_and_latin1_is_a_located_error():
    # line 2 has UTF-8 ø (C3 B8); line 3 has Latin-1 ø (F8), the 6th character of "x,y,S\xf8rli"
    raw = b"variable,municipality\nc,S\xc3\xb8rli\nx,y,S\xf8rli\n"
    text, (d,) = decode(raw, "p.csv")
    assert text is None
    assert (d.span.line, d.span.column) == (3, 6)
    assert d.message == "this file mixes encodings: byte 0xF8 (`ø` in Latin-1) here is not UTF-8, but line 2 has UTF-8 `ø`"


def test_sorli_is_not_turned_into_mojibake_by_one_latin1_byte(tmp_path):
    # Before: the whole file was read as Latin-1, `Sørli` became `SÃ¸rli` and was left out of
    # the basis with a warning only.
    rules = REPRO.replace("municipality B 0002", "municipality Sørli 0002").replace("G = A, B", "G = A, Sørli")
    panel = ("variable,municipality,year,value,unit,note\n".encode() + "c,A,2007,10,NOK,\n".encode()
             + "c,Sørli,2007,8,NOK,\n".encode("utf-8") + b"c,A,2006,9,NOK,Tr\xf8ndelag\n")
    r = _repro(tmp_path, {"p.csv": panel}, rules)
    assert _errors(r) == [(f"{tmp_path / 'p.csv'}:4:18",
                           "this file mixes encodings: byte 0xF8 (`ø` in Latin-1) here is not UTF-8, but line 3 has UTF-8 `ø`")]


@pytest.mark.parametrize("raw, message", [
    (b"variable,municipality\nc,A\x00\x00\n", "this looks like a binary file, not a panel (it has NUL bytes)"),
    ("variable".encode("utf-16"), "this panel is UTF-16, not UTF-8 or Latin-1"),
])
def test_binary_and_utf16_files_are_refused(raw, message):
    text, (d,) = decode(raw, "p.csv")
    assert text is None and d.message == message


# Numbers: plain ASCII decimal notation; separators only where the format has them.

@pytest.mark.parametrize("cell, decimal_comma, grouping, expected", [
    ("312", False, False, 312.0),
    ("-0.25", False, False, -0.25),
    ("+7", False, False, 7.0),
    (".5", False, False, 0.5),
    ("1e3", False, False, 1000.0),
    ("2.5E-2", False, False, 0.025),
    ("1234,5", True, True, 1234.5),
    ("1.234,5", True, True, 1234.5),          # points group thousands in a decimal-comma file
    ("1.234.567", True, True, 1234567.0),     # two groups: cannot be a decimal point
    ("1 234,5", True, True, 1234.5),          # SSB's space ...
    ("1\u00a0234\u00a0567", True, True, 1234567.0),  # ... and no-break space
    ("21400.5", True, True, 21400.5),         # a lone decimal point, not three digits after it
    ("5 800", False, True, 5800.0),           # a comma-separated Statbank export groups with spaces too
])
def test_numbers_that_are_read(cell, decimal_comma, grouping, expected):
    assert read_number(cell, decimal_comma, grouping) == (expected, None, None)


@pytest.mark.parametrize("cell, decimal_comma, grouping, message", [
    ("3_12", False, False, "`3_12` is not a number"),        # float() reads 312
    ("３１２", False, False, "`３１２` is not a number"),       # float() reads 312
    ("٣١٢", True, True, "`٣١٢` is not a number"),              # Arabic-Indic digits, same
    ("inf", False, False, "`inf` is not a finite number"),
    ("nan", True, True, "`nan` is not a finite number"),
    ("-Infinity", False, False, "`-Infinity` is not a finite number"),
    ("1e400", False, False, "`1e400` is not a finite number"),
    ("1 234", False, False, "`1 234` is not a number"),      # no grouping in a comma-separated panel
    ("1,5", False, False, "`1,5` is not a number"),
    ("1.234", True, True, "`1.234` is ambiguous in a file with decimal commas"),
    ("12 34", True, True, "`12 34` is not a number"),         # groups of three only
    ("1 234.5", True, True, "`1 234.5` is not a number"),     # the decimal separator here is ,
    ("1.234,5", False, True, "`1.234,5` is not a number"),   # no decimal comma in a point file
    ("\u22125", False, False, "`\u22125` is not a number"),     # a typographic minus
    ("0x10", False, False, "`0x10` is not a number"),
    ("1,2,3", True, True, "`1,2,3` is not a number"),
])
def test_numbers_that_are_refused(cell, decimal_comma, grouping, message):
    value, gap, problem = read_number(cell, decimal_comma, grouping)
    assert (value, gap) == (None, None) and problem[0] == message


def test_a_refused_number_is_located_with_a_hint():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,2007,3_12,NOK/user\ncost,Bergen,2007,３１２,NOK/user\n"
    obs, diags = parse_panel(text, "p.csv", PROGRAM)
    assert obs == []
    assert [(d.span.line, d.span.column, d.hint) for d in diags] == [
        (2, 21, "write numbers without `_`"),  # "cost,Trondheim,2007," is 20 characters
        (3, 18, "write the digits 0-9 (`３` is another script's digit)"),
    ]


def test_years_are_ascii_digits():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,２００７,1,NOK/user\ncost,Bergen,2_007,1,NOK/user\n"
    obs, diags = parse_panel(text, "p.csv", PROGRAM)
    assert obs == [] and [d.message for d in diags] == ["year `２００７` is not a year", "year `2_007` is not a year"]


def test_a_field_over_128_kb_is_a_located_error_not_a_crash():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,2007,1,NOK/user\ncost,\"" + "x" * 200_000 + "\n"
    obs, (d,) = parse_panel(text, "p.csv", PROGRAM)
    assert len(obs) == 1
    assert d.span.line == 3 and d.message == "a field on this line is longer than 128 KB"


def test_a_column_named_twice_is_an_error():
    _, (d,) = parse_panel("variable,municipality,year,value,unit,value\n", "p.csv", PROGRAM)
    assert d.message == "the column `value` is named twice"


# Duplicates and conflicts: within a panel and across panels, an error at the second.

TWO_PANELS = REPRO.replace('panel "p.csv"', 'panel "p.csv"\npanel "q.csv"')


def test_conflicting_values_across_panels_are_an_error_at_the_second(tmp_path):
    # Before: q.csv's 9 silently replaced p.csv's 8.  B is 0002, so `0002` is B.
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL, "q.csv": "variable,municipality,year,value,unit\nc,0002,2007,9,NOK\n"},
               TWO_PANELS)
    assert _errors(r) == [(f"{tmp_path / 'q.csv'}:2:13",
                           f"c for B 2007 is given twice, with different values: 9 here, 8 at {tmp_path / 'p.csv'}:3:10")]


def test_the_same_value_in_two_panels_is_also_an_error(tmp_path):
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL, "q.csv": "variable,municipality,year,value,unit\nc,B,2007,8,NOK\n"},
               TWO_PANELS)
    assert _errors(r) == [(f"{tmp_path / 'q.csv'}:2:10", f"c for B 2007 is given twice (first at {tmp_path / 'p.csv'}:3:10)")]


def test_a_value_against_a_gap_is_a_conflict(tmp_path):
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL, "q.csv": "variable,municipality,year,value,unit\nc,B,2007,..,NOK\n"},
               TWO_PANELS)
    assert _errors(r) == [(f"{tmp_path / 'q.csv'}:2:10",
                           "c for B 2007 is given twice, with different values: missing (not yet published (SSB '..')) "
                           f"here, 8 at {tmp_path / 'p.csv'}:3:10")]


def test_conflicts_within_one_panel_name_the_first(tmp_path):
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL + "c,B,2007,473.9,NOK\n"})
    assert _errors(r) == [(f"{tmp_path / 'p.csv'}:4:10",
                           f"c for B 2007 is given twice, with different values: 473.9 here, 8 at {tmp_path / 'p.csv'}:3:10")]


def test_the_same_panel_declared_twice_adds_nothing(tmp_path):
    r = _repro(tmp_path, {"p.csv": REPRO_PANEL}, REPRO.replace('panel "p.csv"', 'panel "p.csv"\npanel "p.csv"'))
    assert _errors(r) == []


# Units and gaps.

# Needs the units branch too: there `0 kNOK` is refused by the unit parser itself; here bind refuses
# a zero factor.  Either way the error must sit at the unit cell and no value may be bound.
def test_a_zero_unit_scale_is_a_located_error_not_zeroed_values():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,2007,10,0 kNOK/user\n"
    obs, diags = parse_panel(text, "p.csv", PROGRAM)
    assert diags == []
    values, (d,) = bind(obs, PROGRAM)
    assert values == {}
    assert d.is_error and (d.span.line, d.span.column, d.span.end_column) == (2, 24, 35)  # `0 kNOK/user`, after 23 characters


def test_every_unit_error_is_located_at_the_unit_cell():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,2007,10,NOK/bogus\ncost,Bergen,2007,1,NOK/pupil\n"
    obs, _ = parse_panel(text, "p.csv", PROGRAM)
    _, diags = bind(obs, PROGRAM)
    assert [(d.span.line, d.span.column) for d in diags] == [(2, 24), (3, 20)]  # after 23 and 19 characters


def test_a_missing_value_stays_a_gap_with_its_reason_never_zero():
    text = "variable;municipality;year;value;unit\ncost;Trondheim;2007;..;NOK/user\ncost;Bergen;2007;;NOK/user\n"
    obs, diags = parse_panel(text, "p.csv", PROGRAM)
    values, bind_diags = bind(obs, PROGRAM)
    assert diags == bind_diags == []
    trondheim, bergen = values[("cost", "Trondheim", 2007)], values[("cost", "Bergen", 2007)]
    assert (trondheim.value, trondheim.missing) == (None, "not yet published (SSB '..')")  # the Obs, not a Value
    assert (bergen.value, bergen.missing) == (None, "empty")


def test_a_huge_value_times_its_unit_is_refused():
    text = "variable,municipality,year,value,unit\ncost,Trondheim,2007,1e305,MNOK/user\n"
    obs, _ = parse_panel(text, "p.csv", PROGRAM)
    values, (d,) = bind(obs, PROGRAM)  # 1e305 MNOK = 1e311 NOK: beyond a float
    assert values == {} and d.message == "cost for Trondheim 2007 is too large in NOK/user"
    assert not math.isfinite(1e305 * 1e6)


# --- columns: a panel is arrays; an observation is made when asked for -----------------

from array import array  # noqa: E402

from benchdsl import batch  # noqa: E402
from benchdsl.data import FileLines, Panel, Values  # noqa: E402
from benchdsl.diagnostics import Sources, format_all  # noqa: E402

from helpers import ROOT  # noqa: E402


def test_a_panel_is_columns_and_its_observations_are_made_on_demand():
    text = ("variable,municipality,year,value,unit,provenance,note\n"
            'cost,Trondheim,2007,22200,NOK/user,stated,"report, p. 3"\n'
            'cost,Bergen,2007,..,NOK/user,kostra,"a note\nover two lines"\n'
            "cost,Bergen,2006,20826,kNOK/user,assumed,\n")
    panel, diags = parse_panel(text, "p.csv", PROGRAM)
    assert diags == [] and isinstance(panel, Panel) and len(panel) == 3
    assert panel.variables == ["cost"] and panel.munis == ["Trondheim", "Bergen"] and panel.units == ["NOK/user", "kNOK/user"]
    assert (panel.var, panel.muni, panel.year, panel.unit, panel.where) == (
        array("i", [0, 0, 0]), array("i", [0, 1, 1]), array("i", [2007, 2007, 2006]), array("i", [0, 0, 1]),
        array("q", [2, 3, 5]))  # the third observation starts on line 5: a note spans lines 3 and 4
    assert panel.gaps == {1: "not yet published (SSB '..')"} and math.isnan(panel.value[1])
    first, gap, third = panel
    assert (first.value, first.provenance, first.note, str(first.span), str(first.unit_span)) == (
        22200.0, "stated", "report, p. 3", "p.csv:2:21", "p.csv:2:27")  # `cost,Trondheim,2007,` is 20 characters
    assert (gap.value, gap.missing, gap.note) == (None, "not yet published (SSB '..')", "a note\nover two lines")
    assert (third.value, third.unit, third.span.line, third.provenance) == (20826.0, "kNOK/user", 5, "assumed")


def test_bound_values_are_a_mapping_over_columns():
    text = ("variable,municipality,year,value,unit\n"
            "cost,Trondheim,2007,1.5,kNOK/user\ncost,Bergen,2007,..,NOK/user\ncost,Bergen,2006,900,NOK/user\n")
    panel, _ = parse_panel(text, "p.csv", PROGRAM)
    values, diags = bind(panel, PROGRAM)
    assert diags == [] and isinstance(values, Values)
    assert len(values) == 3 and ("cost", "Bergen", 2007) in values and ("cost", "Oslo", 2007) not in values
    assert values.get(("cost", "Trondheim", 2005)) is None and values.get("nonsense") is None
    trondheim = values[("cost", "Trondheim", 2007)]
    assert trondheim.value == 1500.0 and trondheim.obs.span.line == 2  # 1.5 kNOK in NOK, from line 2
    assert values[("cost", "Bergen", 2007)].missing == "not yet published (SSB '..')"  # a gap is its Obs
    assert sorted(values) == [("cost", "Bergen", 2006), ("cost", "Bergen", 2007), ("cost", "Trondheim", 2007)]
    assert values.municipalities() == ["Trondheim", "Bergen"] and values.years() == [2006, 2007]
    with pytest.raises(KeyError):
        values[("cost", "Bergen", 2005)]


def test_batch_matrices_take_the_grids_as_they_are():
    r = run_paths([str(ROOT / "rules")])
    values = r.evaluator.values
    sources = [n for n, ind in r.program.indicators.items() if ind.source]
    fast = batch.matrices(values, sources)
    slow = batch.matrices(dict(values.items()), sources)  # value by value, as from any mapping
    assert fast[:2] == slow[:2]
    for name in sources:
        assert np.array_equal(fast[2][name], slow[2][name], equal_nan=True), name
    # asked for municipalities and years the panel lacks: rows and columns of NaN
    munis, years, m = batch.matrices(values, ["sfo_gross_per_user"], ["Bergen", "Nowhere"], [2007, 1999])
    assert np.isnan(m["sfo_gross_per_user"][1]).all() and np.isnan(m["sfo_gross_per_user"][:, 1]).all()
    assert m["sfo_gross_per_user"][0, 0] == values[("sfo_gross_per_user", "Bergen", 2007)].value


def test_a_large_panel_s_lines_are_kept_as_its_bytes_and_quoted_right(tmp_path):
    # Latin-1, CR LF, no line end at the end: the quoted line is decoded as the file was
    raw = "variable;municipality;year;value;unit\r\ncost;Trondheim;2007;1 234,5;NOK/user\r\ncost;Bergen;2007;4ø;NOK/user"
    lines = FileLines(raw.encode("latin-1"), "latin-1")
    assert list(lines) == raw.split("\r\n") and lines[-1] == "cost;Bergen;2007;4ø;NOK/user"
    assert list(FileLines(b"\xef\xbb\xbfa\nb\n", "utf-8-sig")) == ["a", "b"] and len(FileLines(b"", "utf-8")) == 0
    path = tmp_path / "p.csv"
    path.write_bytes(raw.encode("latin-1"))
    sources = Sources()
    panel, diags = data.read_panel(str(path), PROGRAM, sources, None)
    assert [o.value for o in panel] == [1234.5]
    assert "\n  cost;Bergen;2007;4ø;NOK/user\n                   ^~" in format_all(diags, sources)


def test_a_national_panel_reads_into_columns_without_an_object_per_line(tmp_path):
    # 356 municipalities x 16 years x 2 variables, as benchmarks/national.py makes them (smaller)
    lines = ["variable,municipality,year,value,unit"]
    for v in ("cost", "other"):
        for m in range(356):
            for y in range(2004, 2020):
                lines.append(f"{v},{'Trondheim' if m == 0 else f'M{m}'},{y},{m + y / 1000},NOK/user")
    program = attrs.evolve(PROGRAM, municipalities={"Trondheim": "1601", **{f"M{m}": f"{m:04d}" for m in range(1, 356)}})
    panel, diags = parse_panel("\n".join(lines) + "\n", "p.csv", program)
    assert diags == [] and len(panel) == 2 * 356 * 16 and panel._made == {}  # no Obs made
    values, diags = bind(panel, program)
    assert diags == [] and panel._made == {}
    assert values[("cost", "M7", 2010)].value == 7 + 2010 / 1000
    munis, years, m = batch.matrices(values, ["cost"])
    assert m["cost"].shape == (356, 16) and not np.isnan(m["cost"]).any()


def test_a_small_run_loads_neither_numpy_nor_the_register(tmp_path):
    # the figure-at-a-time path starts as before: numpy is for --for all, and the register is read
    # only when a panel cell is not exactly a declared name or code (data/trondheim2007.csv names them)
    import subprocess
    import sys

    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    code = ("import sys; from benchdsl.cli import main; main(['run', sys.argv[1]]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy' or m == 'benchdsl.registry'), "
            "file=sys.stderr)")
    for _ in range(2):  # the second run starts from the cache, as most runs do
        p = subprocess.run([sys.executable, "-c", code, str(ROOT / "rules")], capture_output=True, text=True,
                           timeout=60, env=env)
    assert p.returncode == 0 and p.stderr.strip().splitlines()[-1] == "[]", p.stderr


@pytest.mark.parametrize("cell, expected", [
    ("1.234", "`1.234` is ambiguous in a file with decimal commas"),  # 1234 or 1,234?
    ("21400.5", 21400.5), ("1 234,5", 1234.5), ("1e3", 1000.0), ("..", None),
])
def test_a_semicolon_panel_reads_its_numbers_as_decimal_comma_numbers(cell, expected):
    panel, diags = parse_panel(f"variable;municipality;year;value;unit\ncost;Trondheim;2007;{cell};NOK/user\n", "p.csv",
                               PROGRAM)
    if isinstance(expected, str):
        assert len(panel) == 0 and [d.message for d in diags] == [expected]
    else:
        assert diags == [] and panel[0].value == expected


@pytest.mark.parametrize("cell", ["3_12", "inf", "nan", "1e400", "\uff13", " 1 2", "0x10", "1,5"])
def test_what_float_would_take_a_comma_panel_refuses(cell):
    panel, (d,) = parse_panel(f"variable,municipality,year,value,unit\ncost,Trondheim,2007,{cell},NOK/user\n", "p.csv",
                              PROGRAM)
    assert len(panel) == 0 and d.is_error and d.span.line == 2


def test_a_decimal_comma_that_makes_a_number_the_unit_is_an_error_not_a_scale(tmp_path):
    """The new analyst's trial: `…,2024,1,02,invented,…` in a comma-separated panel with as many
    fields as the header read 1 in the unit `02` -- a scale of 2 -- and the index became 2, silently."""
    from helpers import run_cli

    (tmp_path / "r.bench").write_text(
        'municipality Hamar 3403\nmunicipality Elverum 3420\ngroup G = Hamar, Elverum\nown Hamar 2024\npanel "p.csv"\n'
        'indicator dki "DKI" {\n    unit dimensionless\n    source "dki_barnehage"\n}\nclaim d "dki": dki = 1.02\n',
        encoding="utf-8")
    (tmp_path / "p.csv").write_text("variable,municipality,year,value,unit,provenance,note\n"
                                    "dki_barnehage,Hamar,2024,1,02,invented,analyst test\n", encoding="utf-8")
    p = run_cli(tmp_path, "run", "r.bench")
    assert p.returncode == 2
    assert "p.csv:2:28: error: `02` is a number, not a unit" in p.stderr
    assert "hint: a decimal comma splits `1,02` in two fields: write 1.02" in p.stderr


def test_the_new_analysts_mistakes_each_get_a_hint(tmp_path):
    """From the new analyst's trial: a line a field short, a data file given as rules, a misspelt
    rules path and panel path, and a panel line in the wrong unit (whose hint spoke of a volume)."""
    from helpers import run_cli

    rules = ('municipality Hamar 3403\nmunicipality Elverum 3420\ngroup G = Hamar, Elverum\nown Hamar 2024\n'
             'panel "p.csv"\nindicator cost "Kostnad" {\n    unit NOK/user\n    source "cost"\n}\n'
             'claim c "kostnad": cost = 100 NOK/user\n')
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text("variable,municipality,year,value,unit\ncost,Hamar,2024,100\n"
                                    "cost,Elverum,2024,90,NOK\n", encoding="utf-8")
    p = run_cli(tmp_path, "run", "r.bench")
    assert p.returncode == 2
    assert "p.csv:2:1: error: this line has 4 fields, the header 5" in p.stderr
    assert "hint: each line has the header's fields (variable, municipality, year, value, unit)" in p.stderr
    assert "hint: user is left over: check this line's unit, or the unit of indicator `cost`" in p.stderr
    p = run_cli(tmp_path, "run", "p.csv")
    assert p.returncode == 2 and "error: `p.csv` is a data file, not rules" in p.stderr
    p = run_cli(tmp_path, "run", "r.bnch")
    assert p.returncode == 2 and "hint: did you mean `r.bench`?" in p.stderr
    (tmp_path / "r.bench").write_text(rules.replace('panel "p.csv"', 'panel "pp.csv"'), encoding="utf-8")
    p = run_cli(tmp_path, "run", "r.bench")
    assert p.returncode == 2 and "hint: did you mean `p.csv`?" in p.stderr
