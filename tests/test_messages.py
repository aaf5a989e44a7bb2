"""Syntax errors in an analyst's words: what is wrong and how to fix it, at the place.

Each typical mistake is made in one line of a small, correct rule file (RULES); the
expected message, hint and position are written here, never a grammar terminal's
internal name, and never a second error that only follows from the first.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from benchdsl.parse import parse
from clirun import BENCHDSL

RULES = """\
municipality A 9001
municipality B 9002
municipality C 9003
group G = A, B, C
own A 2024
panel "panel.csv"
basis mean_others "Snitt" = mean(G - own)

indicator cost "Kostnad per bruker" {
    unit NOK/user
    better lower
    source "cost"
}

indicator users "Brukere" {
    unit user
    source "users"
}

measure m "Tiltak" {
    saving = gap(cost) * users
    unit MNOK
    round 1
    claim above "3,5 prosent over snittet" under mean_others: cost / basis(cost) - 1 = 3.5 %
}

table T "Innsparing" {
    column mean "Snitt" = mean_others
    row "Tiltak" = m: 1.0
}
"""

PANEL = """\
variable,municipality,year,value,unit,provenance,note
cost,A,2024,110,NOK/user,invented,
cost,B,2024,100,NOK/user,invented,
cost,C,2024,90,NOK/user,invented,
users,A,2024,10000,user,invented,
"""


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def one_error(old: str, new: str) -> tuple[int, int, str, str | None, str]:
    """RULES with `old` replaced by `new`: the only error's (line, column, message, hint, line text)."""
    assert RULES.count(old) == 1, old
    text = RULES.replace(old, new)
    _, diags = parse(text, "r.bench")
    assert len(diags) == 1, [d.message for d in diags]
    d = diags[0]
    return d.span.line, d.span.column, d.message, d.hint, text.splitlines()[d.span.line - 1]


CASES = [
    # (what, old, new, where the caret points: the last occurrence of this text in the file, or just
    #  after it with a trailing `|`, message, hint)
    ("a missing `=` after saving", "saving = gap", "saving gap", "gap",
     "a `=` is missing before `gap`", "write it as: saving = gap(INDICATOR) * VOLUME"),
    ("a basis without `=`", 'basis mean_others "Snitt" = mean', 'basis mean_others "Snitt" mean', "mean(G",
     "a `=` is missing before `mean`",
     'write it as: basis mean_others "Mean of the others" = mean(ASSS - own)'),
    ("a row without `=`", 'row "Tiltak" = m: 1.0', 'row "Tiltak" m: 1.0', "m:",
     "a `=` is missing before `m`",
     'write it as: row "label" = MEASURE   or, with the published values, row "label" = MEASURE: 7.0, 8.4, -'),
    ("a group without `=`", "group G = A, B, C", "group G A, B, C", "A,",
     "a `=` is missing before `A`", "write it as: group ASSS = Oslo, Bergen, Trondheim"),
    ("a claim without `:`", "under mean_others: cost", "under mean_others cost", "cost /",
     "a `:` is missing before `cost`",
     'write it as: claim NAME "what the text says" under BASIS: EXPRESSION = 3.5 %'),
    ("a claim without its label", 'claim above "3,5 prosent over snittet" under', "claim above under", "under",
     'a quoted "text" is missing before `under`',
     'write it as: claim NAME "what the text says" under BASIS: EXPRESSION = 3.5 %'),
    ("a missing closing quote", 'source "cost"', 'source "cost', '"cost',
     'this text has no closing `"`', 'a text starts and ends with `"` on the same line: "like this"'),
    ("single quotes", 'source "cost"', "source 'cost'", "'cost'",
     "text is written in double quotes", 'write "cost"'),
    ("typographic quotes", 'source "cost"', "source “cost”", "“",
     "unexpected `“`", 'write text in straight double quotes: "like this"'),
    ("a title without quotes", 'measure m "Tiltak" {', "measure m Tiltak {", "Tiltak {",
     "a title or label is written in double quotes", 'write "Tiltak"'),
    ("a name with a space", 'indicator users "Brukere" {', 'indicator nr users "Brukere" {', "nr users",
     "a name cannot contain spaces", "write nr_users"),
    ("a unit with spaces", "unit NOK/user", "unit NOK / user", "NOK / user",
     "a unit with spaces is written in brackets", "write unit [NOK / user], or without spaces"),
    ("a unit written with `per`", "unit NOK/user", "unit NOK per user", "NOK per user",
     "a unit with spaces is written in brackets", "write unit NOK/user"),
    ("something after a unit", "unit MNOK", "unit MNOK;", ";",
     "unexpected `;` after the unit", "write it as: unit NOK/user   or, with spaces, unit [NOK / user]"),
    ("a decimal comma in a published value", "= 3.5 %", "= 3,5 %", "3,5 %",
     "`3,5` has a decimal comma", "write decimals with a point in rule files: 3.5 (--norwegian prints 3,5 in reports)"),
    ("a decimal comma in an expression", "basis(cost) - 1 =", "basis(cost) - 1,5 =", "1,5",
     "`1,5` has a decimal comma", "write decimals with a point in rule files: 1.5 (--norwegian prints 1,5 in reports)"),
    ("a quoted decimal comma", "= 3.5 %", '= "3,5" %', '"3,5"',
     '"3,5" is a text, not a number', "write 3.5: numbers in rule files have no quotes, and decimals a point"),
    ("a thousands space", "= 3.5 %", "= 1 234 %", "1 234",
     "`1 234` is one number written with a space",
     "write numbers without thousands separators in rule files: 1234"),
    ("a no-break thousands space", "= 3.5 %", "= 1\u00a0234 %", "1\u00a0234",
     "`1\u00a0234` is one number written with a space",
     "write numbers without thousands separators in rule files: 1234"),
    ("published values without commas", 'column mean "Snitt" = mean_others\n    row "Tiltak" = m: 1.0',
     'column mean "Snitt" = mean_others\n    column b "B" = mean_others\n    row "Tiltak" = m: 1.0 2.0', "2.0",
     "a `,` is missing before `2.0`", "published values are separated by commas: 7.0, 8.4, -"),
    ("a misspelt field", "    round 1", "    rund 1", "rund",
     "unknown field `rund` in measure", "did you mean `round`?"),
    ("another block's field", "    round 1", "    better lower", "better",
     "`better` is a field of indicator, not of measure",
     "a measure's fields: let, adjust, saving, unit, round, signed, note, claim"),
    ("two fields on one line", "    unit MNOK\n    round 1", "    unit MNOK round 1", "round 1",
     "`round` starts a field of its own", "put `round` on a new line: one field a line"),
    ("a misspelt declaration", "own A 2024", "owner A 2024", "owner",
     "unknown declaration `owner`", "did you mean `own`?"),
    ("a `{` on the next line", 'indicator users "Brukere" {', 'indicator users "Brukere"\n{', 'users "Brukere"|',
     "a `{` is missing at the end of this line",
     'a block\'s `{` goes at the end of its first line: indicator users "Brukere" {'),
    ("a basis function without parentheses", "mean(G - own)", "mean G - own", "G - own",
     "`mean` needs its arguments in parentheses", "write mean(G - own)"),
    ("an unclosed parenthesis", "mean(G - own)", "mean(G - own", "G - own|",
     "a `(` is not closed on this line", "close it with `)`: an expression ends at the end of its line"),
    ("a `)` too many", "saving = gap(cost) * users", "saving = gap(cost)) * users", ") *",
     "a `)` with no `(` before it", "remove it, or add the `(` it closes"),
    ("a times sign", "gap(cost) * users", "gap(cost) × users", "×",
     "`×` is not a sign rule files know", "write *"),
    ("a wrong direction", "better lower", "better low", "low",
     "unexpected `low`; expected `lower` or `higher`", "write it as: better lower   or   better higher"),
    ("full-width digits", "round 1", "round １", "１",
     "unexpected `１`", "write numbers with the digits 0-9"),
]


def caret(text: str, where: str) -> tuple[int, int]:
    """(line, column) of the last occurrence of `where` in `text`; with a trailing `|`, just after it."""
    after = where.endswith("|")
    fragment = where[:-1] if after else where
    i = text.rindex(fragment) + (len(fragment) if after else 0)
    line_start = text.rfind("\n", 0, i) + 1
    return text.count("\n", 0, i) + 1, i - line_start + 1


@pytest.mark.parametrize("what, old, new, where, message, hint", CASES, ids=[c[0] for c in CASES])
def test_a_typical_mistake_says_what_is_wrong_and_how_to_fix_it(what, old, new, where, message, hint):
    line, col, got_message, got_hint, text = one_error(old, new)
    assert (got_message, got_hint) == (message, hint)
    assert (line, col) == caret(RULES.replace(old, new), where), text


def test_no_message_names_a_grammar_terminal():
    """Every case above, and the generic message: `unit`, `better` and `±` as written, never `__ANON_1`."""
    for _, old, new, *_ in CASES:
        _, _, message, hint, _ = one_error(old, new)
        assert not re.search(r"__|anon|[A-Z]{2,}_", message + (hint or "")), message
    # the case: a missing `}` used to list `=`, `__anon_0`, `__anon_1`, ...
    _, _, message, _, _ = one_error('    source "cost"\n}', '    source "cost"')
    assert "anon" not in message.lower()
    # the generic message names keywords and signs as written
    _, _, message, _, _ = one_error("= 3.5 %", "= 3.5 % %")
    assert message == "unexpected `%`; expected `±` or end of line"


@pytest.mark.parametrize("old, new, where, message", [
    # the indicator's `}` missing: the next declaration begins where the block should have ended
    ('    source "cost"\n}', '    source "cost"', 'source "cost"|', "the indicator `cost` has no closing `}`"),
    ('= 3.5 %\n}', "= 3.5 %", "= 3.5 %|", "the measure `m` has no closing `}`"),
])
def test_a_missing_closing_brace_is_named_with_its_block(old, new, where, message):
    line, col, got, hint, text = one_error(old, new)
    assert (got, hint) == (message, "end it with a line holding only `}`, after its last field")
    assert (line, col) == caret(RULES.replace(old, new), where)


def test_a_brace_too_many():
    line, col, message, hint, text = one_error('    source "cost"\n}\n', '    source "cost"\n}\n}\n')
    assert (message, hint) == (
        "a `}` with no block to close",
        "remove it: a block opens with `{` at the end of its first line and closes with the first `}` after it")
    assert (text, col) == ("}", 1) and line == line_of(RULES, 'source "cost"') + 2


@pytest.mark.parametrize("old, new", [
    ('    source "cost"\n}', '    source "cost"'),               # a `}` too few
    ('    source "cost"\n}\n', '    source "cost"\n}\n}\n'),       # a `}` too many
    ('measure m "Tiltak" {', 'mesure m "Tiltak" {'),              # a misspelt keyword glues the measure to `users`
])
def test_a_brace_or_keyword_mistake_still_declares_what_is_around_it(old, new):
    """Read as meant, so the uses of `cost` and `users` are not errors of their own."""
    f, diags = parse(RULES.replace(old, new), "r.bench")
    assert len(diags) == 1
    assert {"cost", "users"} <= {d.name for d in f.decls if hasattr(d, "name")}


# --- through the command line: exit 2, located, and nothing that follows from the first error

def _check(tmp_path, rules: str) -> subprocess.CompletedProcess:
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "panel.csv").write_text(PANEL, encoding="utf-8")
    p = subprocess.run([BENCHDSL, "check", str(tmp_path)], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")})
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    return p


def test_a_missing_brace_is_one_error_through_the_cli(tmp_path):
    """The issue's case: a missing `}` gave `expected =, __anon_0, __anon_1…` and then an error at
    every use of the indicator, with a "did you mean" for another name."""
    p = _check(tmp_path, RULES.replace('    source "cost"\n}', '    source "cost"'))
    where = f"{tmp_path / 'r.bench'}:{line_of(RULES, 'source ' + chr(34) + 'cost')}:18"
    assert p.stderr == (f"{where}: error: the indicator `cost` has no closing `}}`\n"
                        '      source "cost"\n'
                        "                   ^\n"
                        "  hint: end it with a line holding only `}`, after its last field\n")


def test_a_decimal_comma_hint_gives_what_is_accepted(tmp_path):
    """The hint's spelling is accepted: written as it says, the rules check clean."""
    p = _check(tmp_path, RULES.replace("= 3.5 %", "= 3,5 %"))
    assert "error: `3,5` has a decimal comma" in p.stderr
    fixed = re.search(r"rule files: (\S+)", p.stderr).group(1)
    assert fixed == "3.5"
    (tmp_path / "r.bench").write_text(RULES.replace("= 3.5 %", f"= {fixed} %"), encoding="utf-8")
    ok = subprocess.run([BENCHDSL, "check", str(tmp_path)], capture_output=True, text=True, timeout=60,
                        env={**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")})
    assert ok.returncode == 0, ok.stderr


def test_several_mistakes_are_reported_together(tmp_path):
    p = _check(tmp_path, RULES.replace("saving = gap", "saving gap").replace("own A 2024", "owner A 2024"))
    errors = [line for line in p.stderr.splitlines() if ": error: " in line]
    assert [e.split(": error: ")[1] for e in errors] == ["unknown declaration `owner`",
                                                          "a `=` is missing before `gap`"]


# --- a misspelt `source`: needs the panel, so it is checked after the panels are read

def test_a_misspelt_source_gets_the_panels_variable_as_suggestion(tmp_path):
    from benchdsl.data import read_panel
    from benchdsl.pipeline import check_paths
    from benchdsl.sourcecheck import check_sources

    (tmp_path / "r.bench").write_text(RULES.replace('source "users"', 'source "usres"'), encoding="utf-8")
    (tmp_path / "panel.csv").write_text(PANEL, encoding="utf-8")
    result = check_paths([str(tmp_path)])
    assert result.ok, result.diags
    obs, diags = read_panel(str(tmp_path / "panel.csv"), result.program, result.sources, None)
    assert not diags
    (d,) = check_sources(result.program, obs.variables, result.sources)
    assert (d.severity, d.message, d.hint) == (
        "warning", "no panel has the variable `usres` that indicator `users` reads", "did you mean `users`?")
    # at the quoted variable on the `source` line
    assert (d.span.line, d.span.column, d.span.end_column) == (line_of(RULES, 'source "users"'), 12, 19)
    # nothing like it: the variables there are
    (tmp_path / "r.bench").write_text(RULES.replace('source "users"', 'source "brukere"'), encoding="utf-8")
    result = check_paths([str(tmp_path)])
    (d,) = check_sources(result.program, obs.variables, result.sources)
    assert d.hint == "the panels' variables: `cost`, `users`"
    # spelt right: nothing to say
    (tmp_path / "r.bench").write_text(RULES, encoding="utf-8")
    result = check_paths([str(tmp_path)])
    assert check_sources(result.program, obs.variables, result.sources) == []


# --- a test's inline panel without its `}`

TEST_BLOCK = """
test "the mean of the others" {
    panel {
        variable,municipality,year,value,unit
        cost,A,2024,110,NOK/user
        cost,B,2024,100,NOK/user
        cost,C,2024,90,NOK/user
        users,A,2024,10000,user
    }
    # (110 - (100 + 90) / 2) NOK/user × 10 000 users = 150 000 NOK = 0.15 MNOK
    expect m under mean_others = 0.15 MNOK
}
"""


def test_a_test_panel_without_its_brace_is_one_error_at_the_first_line_it_swallowed(tmp_path):
    """The panel read `expect …` as a row and the test's `}` as its own: that gave "test … expects
    nothing" and "the test has no closing `}`" at its last line.  Now: one error, at the `expect`."""
    broken = RULES + TEST_BLOCK.replace("        users,A,2024,10000,user\n    }\n", "        users,A,2024,10000,user\n")
    p = _check(tmp_path, broken)
    at = line_of(broken, "    expect m under")
    last_row = line_of(broken, "        users,A,2024")
    assert p.stderr == (f"{tmp_path / 'r.bench'}:{at}:5: error: the test's panel has no closing `}}`: "
                        "this `expect` line is read as a row of the panel\n"
                        "      expect m under mean_others = 0.15 MNOK\n"
                        "      ^~~~~~\n"
                        f"  hint: end the panel with a line holding only `}}` after its last row (line {last_row})\n")


def test_the_same_rules_with_the_brace_check_clean(tmp_path):
    (tmp_path / "r.bench").write_text(RULES + TEST_BLOCK, encoding="utf-8")
    (tmp_path / "panel.csv").write_text(PANEL, encoding="utf-8")
    for command in ("check", "test"):
        p = subprocess.run([BENCHDSL, command, str(tmp_path)], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")})
        assert p.returncode == 0, p.stdout + p.stderr
