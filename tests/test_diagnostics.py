"""Syntax, name and unit errors: located, collected, with hints; never a traceback."""

import pytest

from benchdsl.diagnostics import format_all
from benchdsl.parse import parse
from benchdsl.pipeline import check_paths

from helpers import COST_USERS, HEADER, cli, write, REPRO

IND = COST_USERS + """
indicator inhabitants {
    unit inhabitant
    source "inh"
}
"""


def check(tmp_path, rules):
    write(tmp_path, IND + rules)
    return check_paths([str(tmp_path)])


def errors(result):
    return [d for d in result.diags if d.is_error]


def test_unit_error_names_both_units_and_what_is_left_over(tmp_path):
    r = check(tmp_path, """
measure m {
    saving = gap(cost) * inhabitants
    unit MNOK
}
""")
    (d,) = errors(r)
    assert "NOK*inhabitant/user, which is not MNOK" in d.message
    assert d.hint == "inhabitant/user is left over: check the volume and the indicator's unit"
    assert (d.span.line, d.span.column) == (len((HEADER + IND).splitlines()) + 3, 14)


def test_adding_different_dimensions_is_rejected(tmp_path):
    r = check(tmp_path, """
measure m {
    saving = (cost + users) * users
    unit MNOK
}
""")
    assert [d.message for d in errors(r)] == ["cannot add NOK/user and user"]


def test_unknown_names_get_a_did_you_mean(tmp_path):
    r = check(tmp_path, """
measure m {
    saving = gap(cots) * users + basis(cost, Bergn) * users
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_other
    row "m" = m: 1.0
}
""")
    hints = {d.message: d.hint for d in errors(r)}
    assert hints["the first argument of gap() must be an indicator"] == "did you mean `cost`?"
    assert any("did you mean `mean_others`?" == h for h in hints.values())


def test_all_syntax_errors_of_a_file_are_reported(tmp_path):
    text = HEADER + IND + """
measure a {
    saving = gap(cost) * * users
    unit MNOK
}
measure b {
    colour red
    saving = gap(cost) * users
    unit MNOK
}
measure c {
    saving = gap(cost) * 4,5
    unit MNOK
}
"""
    f, diags = parse(text, "x.bench")
    assert len(diags) == 3
    assert diags[1].message == "unknown field `colour` in measure"
    assert diags[2].hint.startswith("write decimals with a point")
    # the declarations that parsed are still there
    assert {d.name for d in f.decls if hasattr(d, "name")} >= {"cost", "users"}
    assert set(f.broken) == {"a", "b", "c"}


def test_uses_of_a_declaration_that_did_not_parse_are_not_reported_again(tmp_path):
    r = check(tmp_path, """
measure m {
    saving = gap(cost) * * users
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    row "m" = m: 1.0
}
""")
    assert len(errors(r)) == 1


def test_duplicates_and_cycles(tmp_path):
    r = check(tmp_path, """
indicator cost {
    unit NOK/user
    source "x"
}
indicator p {
    unit user
    = q
}
indicator q {
    unit user
    = p
}
group H = H2
group H2 = H
""")
    msgs = [d.message for d in errors(r)]
    assert any(m.startswith("`cost` is already declared as an indicator") for m in msgs)
    assert any("indicators defined in terms of each other" in m for m in msgs)
    assert any("defined in terms of itself" in m for m in msgs)


def test_formatted_diagnostic_has_location_source_line_caret_and_hint(tmp_path):
    r = check(tmp_path, """
measure m {
    saving = gap(cost) * inhabitants
    unit MNOK
}
""")
    text = format_all(r.diags, r.sources)
    lines = text.splitlines()
    assert lines[0].endswith("error: the saving of `m` has unit NOK*inhabitant/user, which is not MNOK")
    assert lines[0].startswith(str(tmp_path / "rules.bench") + ":")
    assert lines[1].strip() == "saving = gap(cost) * inhabitants"
    assert lines[2].strip().startswith("^~~~")
    assert lines[3].startswith("  hint: ")


def test_check_exit_codes(tmp_path):
    write(tmp_path, IND)
    code, out, _ = cli("check", str(tmp_path))
    assert code == 0 and out.startswith("ok:")
    (tmp_path / "bad.bench").write_text("measure {\n", encoding="utf-8")
    code, _, err = cli("check", str(tmp_path))
    assert code == 2 and "bad.bench:1:9: error:" in err
    code, _, err = cli("check", str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err


def test_invalid_utf8_and_binary_files_are_diagnosed(tmp_path):
    (tmp_path / "a.bench").write_bytes(b"municipality Oslo 0301\nmunicipality B\xe6rum 0219\n")
    (tmp_path / "b.bench").write_bytes(b"\x00\x01\x02")
    code, _, err = cli("check", str(tmp_path))
    assert code == 2
    assert "a.bench:2:15: error: this file is not valid UTF-8" in err
    assert "b.bench:1:1: error: this looks like a binary file" in err


# --- limits, repeated fields, chains: the variants of tests/test_limits.py that never crashed ----

BRIEF = REPRO  # the reviewer's reproducer, tests/helpers.py
AFTER = BRIEF.count("\n")  # rules after BRIEF start on line AFTER + 1
BRIEF_PANEL = "variable,municipality,year,value,unit\nc,A,2007,10,NOK\nc,B,2007,8,NOK\n"


def brief(tmp_path, rules, header=True, run=False):
    """Check (or run) BRIEF + rules in-process; -> the result."""
    from benchdsl.pipeline import run_paths

    (tmp_path / "r.bench").write_text((BRIEF if header else "") + rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(BRIEF_PANEL, encoding="utf-8")
    return (run_paths if run else check_paths)([str(tmp_path / "r.bench")])


def located(r):
    """[(line, column, message)] of the errors."""
    return [(d.span.line, d.span.column, d.message) for d in errors(r)]


@pytest.mark.parametrize("year", ["2024.7", "0", "99999", "2007.0e0x"])
def test_the_own_year_is_a_whole_year(tmp_path, year):
    r = brief(tmp_path, BRIEF.replace("own A 2007", f"own A {year}"), header=False)
    if year == "2007.0e0x":  # not a number at all: the grammar's business
        assert errors(r) and errors(r)[0].message.startswith("unexpected")
        return
    assert located(r) == [(4, 7, f"the year must be a whole number from 1900 to 2200, not {year}")]
    assert errors(r)[0].hint == "for example: own A 2007"


@pytest.mark.parametrize("basis, message", [
    ("best(2.5, G)", "K in best(K, GROUP) must be a whole number from 1 to 1000, not 2.5"),
    ("best(0, G)", "K in best(K, GROUP) must be a whole number from 1 to 1000, not 0"),
    ("best(1001, G)", "K in best(K, GROUP) must be a whole number from 1 to 1000, not 1001"),
    ("best(2 NOK, G)", "K in best(K, GROUP) must be a whole number from 1 to 1000, not 2 NOK"),
    ("year(2004.5)", "the year in year(YYYY) must be a whole number from 1900 to 2200, not 2004.5"),
    ("year(1850)", "the year in year(YYYY) must be a whole number from 1900 to 2200, not 1850"),
])
def test_ranks_and_years_in_a_basis_are_bounded_whole_numbers(tmp_path, basis, message):
    assert located(brief(tmp_path, f"basis b = {basis}\n")) == [(AFTER + 1, 16, message)]


def test_bounds_are_inclusive(tmp_path):
    r = brief(tmp_path, "basis b = best(1000, G)\nbasis y = year(2200)\nbasis z = year(1900)\n"
                        "measure s {\n    saving = gap(c)\n    unit NOK\n    round 10\n}\n")
    assert errors(r) == []


def test_round_is_a_whole_number_of_decimals(tmp_path):
    r = brief(tmp_path, "measure s {\n    saving = gap(c)\n    unit NOK\n    round 2.5\n}\n")
    assert located(r) == [(AFTER + 4, 11, "`round` must be a whole number from 0 to 10, not 2.5")]


@pytest.mark.parametrize("published", ["1e309", "2..1e309", "2 ± 1e309"])
def test_published_numbers_past_a_float_are_errors(tmp_path, published):
    r = brief(tmp_path, "measure s {\n    saving = gap(c)\n    unit NOK\n}\n"
                        f'table T {{\n    column m "m" = m\n    row "s" = s: {published}\n}}\n')
    what = f"the tolerance of {published[0]}" if "±" in published else published
    assert located(r) == [(AFTER + 7, 18, f"row `s`: {what} is too large for a number (at most about 1.8e308)")]


def test_decimals_of_a_published_value_are_bounded_at_15(tmp_path):
    rules = "measure s {\n    saving = gap(c)\n    unit NOK\n}\n" + \
            'table T {\n    column m "m" = m\n    row "s" = s: 2.%s\n}\n'
    assert errors(brief(tmp_path, rules % ("0" * 15))) == []
    assert [d.message for d in errors(brief(tmp_path, rules % ("0" * 16)))] == [
        "row `s`: a published value with 16 decimals; at most 15 can be compared"]


def test_a_number_past_a_float_in_an_expression_is_an_error(tmp_path):
    r = brief(tmp_path, "measure s {\n    saving = gap(c) + 2e400 NOK\n    unit NOK\n}\n")
    assert located(r) == [(AFTER + 2, 23, "2e400 is too large for a number (at most about 1.8e308)")]


def test_full_width_digits_are_not_numbers(tmp_path):
    # "１" is a digit to Python's \d, not to the grammar: a syntax error, located, with a hint
    r = brief(tmp_path, "measure s {\n    saving = gap(c) * １2\n    unit NOK\n}\n")
    (d,) = errors(r)
    assert (d.span.line, d.span.column) == (AFTER + 2, 23)
    assert d.hint == "write numbers with the digits 0-9"


def test_a_field_given_twice_is_an_error_at_the_second_naming_the_first(tmp_path):
    rules = """\
indicator x {
    unit NOK
    unit NOK/user
    better lower
    better higher
    source "x"
    source "y"
}
indicator y {
    unit NOK
    = c
    = c + c
}
measure s {
    saving = gap(c)
    saving = c
    unit NOK
    unit MNOK
    round 1
    round 2
}
"""
    a = AFTER
    assert located(brief(tmp_path, rules)) == [
        (a + 3, 5, f"`unit` is already given at line {a + 2}"),
        (a + 5, 5, f"`better` is already given at line {a + 4}"),
        (a + 7, 5, f"`source` is already given at line {a + 6}"),
        (a + 12, 5, f"the formula (`= …`) is already given at line {a + 11}"),
        (a + 16, 5, f"`saving` is already given at line {a + 15}"),
        (a + 18, 5, f"`unit` is already given at line {a + 17}"),
        (a + 20, 5, f"`round` is already given at line {a + 19}"),
    ]


def test_notes_may_repeat(tmp_path):
    r = brief(tmp_path, 'measure s {\n    note "a"\n    note "b"\n    saving = gap(c)\n    unit NOK\n}\n')
    assert errors(r) == []


def test_a_let_that_uses_itself_or_a_later_let_says_so(tmp_path):
    r = brief(tmp_path, """\
measure s {
    let a = a + gap(c)
    let b = d * 2
    let d = gap(c)
    saving = b
    unit NOK
}
""")
    assert located(r) == [
        (AFTER + 2, 13, "`let a` uses itself"),
        (AFTER + 3, 13, f"`d` is defined by a later `let`, at line {AFTER + 4}"),
    ]


def test_a_sum_of_200_terms_computes_and_one_of_250_says_how_long_it_is(tmp_path):
    # 200 times gap(c) = 200 * (10 - 8) = 400 NOK; `a + b + c` is 2 operations deep, so 200 terms are 199
    table = '\ntable T {\n    column m "m" = m\n    row "s" = s: 400\n}\n'
    r = brief(tmp_path, "measure s {\n    saving = " + " + ".join(["gap(c)"] * 200) + "\n    unit NOK\n}\n"
              + table, run=True)
    assert r.ok and [i.status for i in r.audit.items] == ["ok"], located(r)
    r = brief(tmp_path, "measure s {\n    saving = " + " * ".join(["c"] * 250) + "\n    unit NOK\n}\n")
    (d,) = errors(r)
    assert (d.span.line, d.span.column) == (AFTER + 2, 14)
    assert d.message == ("this product of 250 terms is too deep to compute: 249 operations inside one another "
                         "(at most 200)")
    assert d.hint.startswith("each term of a product is one level deeper than the one before")


def test_parentheses_alone_add_no_depth(tmp_path):
    assert errors(brief(tmp_path, "measure s {\n    saving = " + "(" * 5000 + "gap(c)" + ")" * 5000
                                  + "\n    unit NOK\n}\n")) == []


def _spans(node, out):
    """Every span in an AST, in order."""
    import attrs

    if isinstance(node, (list, tuple)):
        for x in node:
            _spans(x, out)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if field.name == "span":
                out.append(value)
            else:
                _spans(value, out)
    return out


def test_batches_and_one_declaration_at_a_time_give_the_same_tree_and_positions(monkeypatch):
    from pathlib import Path

    from benchdsl import parse as parse_module

    for path in sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.bench")):
        text = path.read_text(encoding="utf-8")
        batched, _ = parse_module.parse(text, str(path))
        monkeypatch.setattr(parse_module, "_BATCH", 1)
        single, _ = parse_module.parse(text, str(path))
        monkeypatch.undo()
        assert batched == single
        assert _spans(batched, []) == _spans(single, [])
        # and the spans point where the text says: each declaration's line starts with its keyword
        lines = text.split("\n")
        for d in batched.decls:
            assert lines[d.span.line - 1].startswith(type(d).__name__.lower()), (path.name, d.span)


def test_line_numbers_agree_with_lark_across_form_feeds_and_unicode_line_separators(tmp_path):
    # str.splitlines() would count a form feed, U+2028 and U+0085 as line ends; lark does not.
    rules = "# page one\x0cpage two\n# a\u2028b and c\x85d\n" + "measure s {\n    saving = cc\n    unit NOK\n}\n"
    r = brief(tmp_path, rules)
    (d,) = errors(r)
    assert (d.span.line, d.span.column, d.message) == (AFTER + 4, 14, "unknown name `cc`")
    assert r.sources.line(d.span.path, d.span.line) == "    saving = cc"


def test_a_claim_at_the_start_of_a_line_inside_a_measure_still_splits_it():
    # `claim` is a declaration keyword too: at column 1 it starts a declaration, as it always did,
    # whether the file is parsed in batches or one declaration at a time.
    text = BRIEF + 'measure s {\n    saving = gap(c)\n    unit NOK\nclaim k "k" under m: gap(c) = 2\n}\n'
    f, diags = parse(text, "x.bench")
    assert [d.span.line for d in diags] == [AFTER + 3, AFTER + 5]
