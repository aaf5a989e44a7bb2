"""Syntax, name and unit errors: located, collected, with hints; never a traceback."""

from benchdsl.diagnostics import format_all
from benchdsl.parse import parse
from benchdsl.pipeline import check_paths

from helpers import COST_USERS, HEADER, cli, write

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
