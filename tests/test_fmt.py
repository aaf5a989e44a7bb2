"""`benchdsl fmt`: same AST, idempotent, every comment kept, --check for CI.

How fmt writes files (symlinks, hard links, owner, kills) is in test_writing.py."""

from hypothesis import given, strategies as st

from benchdsl.fmt import format_text
from benchdsl.parse import parse

from conftest import slow
from helpers import ROOT, cli
from strategies import tables_of_measures

RULE_FILES = sorted((ROOT / "rules").glob("*.bench"))
ALL_RULE_FILES = RULE_FILES + sorted((ROOT / "examples").glob("*/*.bench"))


def decls(text):
    f, diags = parse(text, "x.bench")
    assert not diags, [d.message for d in diags]
    return f.decls


@st.composite
def untidy(draw, text):
    """The same rules with indentation, spacing and blank lines made a mess of."""
    out = []
    for line in text.splitlines():
        parts = line.strip().split('"')  # code and "text" alternate; only code is touched
        equals = draw(st.sampled_from([" = ", "=", " =", "=  "]))
        comma = draw(st.sampled_from([", ", ","]))
        parts[::2] = [p.replace(" = ", equals).replace(", ", comma) for p in parts[::2]]
        line = draw(st.sampled_from(["", " ", "\t", "        "])) + '"'.join(parts)
        out.append(line + draw(st.sampled_from(["", " ", "\t"])))
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(["", "   ", "# a remark"])))
    return "\n".join(out) + "\n"


def test_the_project_rules_are_already_canonical_and_keep_their_comments():
    for p in ALL_RULE_FILES:
        text = p.read_text(encoding="utf-8")
        tidy = format_text(text)
        assert comments(tidy) == comments(text), p.name
        if p in RULE_FILES:
            assert tidy == text, p.name


@given(data=st.data(), index=st.integers(0, len(RULE_FILES) - 1))
def test_formatting_untidy_rules_keeps_the_ast_and_is_idempotent(data, index):
    original = RULE_FILES[index].read_text(encoding="utf-8")
    messy = data.draw(untidy(original))
    tidy = format_text(messy)
    assert decls(tidy) == decls(original)
    assert format_text(tidy) == tidy
    assert tidy.count("# a remark") == messy.count("# a remark")


@given(case=tables_of_measures(), data=st.data())
def test_formatting_generated_rules_keeps_the_ast(case, data):
    rules, _ = case
    messy = data.draw(untidy(rules))
    assert decls(format_text(messy)) == decls(rules)


def test_fmt_check_and_write(tmp_path):
    p = tmp_path / "a.bench"
    p.write_text("municipality   A 0001  # first\nown A 2007\n", encoding="utf-8")
    code, out, _ = cli("fmt", "--check", str(tmp_path))
    assert code == 1 and out == f"would reformat {p}\n"
    assert "   A" in p.read_text(encoding="utf-8")  # --check changes nothing
    code, out, _ = cli("fmt", str(tmp_path))
    assert code == 0 and p.read_text(encoding="utf-8") == "municipality A 0001  # first\nown A 2007\n"
    assert cli("fmt", "--check", str(tmp_path))[0] == 0
    assert [x.name for x in tmp_path.iterdir()] == ["a.bench"]  # no temporary files left


def test_a_file_that_does_not_parse_is_left_alone(tmp_path):
    p = tmp_path / "a.bench"
    p.write_text("measure {\n", encoding="utf-8")
    code, _, err = cli("fmt", str(tmp_path))
    assert code == 2 and "a.bench:1:9: error:" in err
    assert p.read_text(encoding="utf-8") == "measure {\n"


def comments(text: str) -> list[str]:
    """Every comment, in order, found independently of fmt: `#` to the end of the line
    ("\n" or "\r"), outside "strings" (with backslash escapes) and [unit texts]."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == "[":
            while i < n and text[i] not in "]\n":
                i += 1
        elif c == "#":
            j = i
            while j < n and text[j] not in "\n\r":
                j += 1
            out.append(text[i:j].rstrip(" \t\f"))  # fmt may drop trailing blanks, nothing else
            i = j
        else:
            i += 1
    return out


# Characters that str.splitlines() takes for line ends but lark does not.
ODD = ["\f", "\u2028", "\x85", "\u2029", "\x1c", "\v"]
comment_text = st.text(alphabet=st.sampled_from(list('ab #"{}[]\\=:') + ODD), max_size=12)


@st.composite
def commented(draw, text):
    """The same rules with comments everywhere a comment can go, odd white space in comments
    and strings, and mixed line ends ("\n", "\r\n", and a lone "\r", which also ends a line)."""
    out = []
    for line in text.split("\n"):
        if '"' in line and "#" not in line and draw(st.integers(0, 3)) == 0:
            parts = line.split('"')
            k = draw(st.integers(0, len(parts) // 2 - 1)) * 2 + 1  # a string's content
            parts[k] += draw(st.sampled_from(ODD))
            line = '"'.join(parts)
        if line.strip() and draw(st.booleans()):
            line += draw(st.sampled_from([" ", "  ", "\t", "\f"])) + "#" + draw(comment_text)
        out.append(line)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(["", " ", "\t", "\f", "    "])) + "#" + draw(comment_text))
    ends = [draw(st.sampled_from(["\n", "\n", "\r\n", "\r"])) for _ in out]
    return "".join(line + end for line, end in zip(out, ends))


def test_comments_helper_finds_what_it_should():
    # by hand: a comment after code, one alone on a line, none in a string or a unit text
    assert comments('a "x # y" [k#] 1  # one \n  #two\f\rb\n') == ["# one", "#two"]


@slow()
@given(data=st.data(), index=st.integers(0, len(ALL_RULE_FILES) - 1))
def test_comments_anywhere_and_odd_white_space_are_kept_in_order(data, index):
    original = ALL_RULE_FILES[index].read_text(encoding="utf-8")
    messy = data.draw(commented(original))
    tidy = format_text(messy)
    assert comments(tidy) == comments(messy)
    assert decls(tidy) == decls(messy)
    assert format_text(tidy) == tidy


def test_form_feed_u2028_and_u0085_stay_where_they_are():
    text = ('municipality A 0001  # a\fb\u2028c\x85d\n'
            'own A 2007\n'
            'measure m "x\u2028y\x85z\fw" {\n'
            '  saving = 1 MNOK\n'
            '    unit MNOK\n'
            '}\n')
    # by hand: only the indentation of `saving` changes
    assert format_text(text) == text.replace("  saving", "    saving")


def test_a_lone_carriage_return_ends_a_line():
    # lark reads "\r" as the end of a declaration; fmt writes "\n" there (and for "\r\n")
    assert format_text('municipality A 0001 # x\rown A 2007\r\n') == 'municipality A 0001  # x\nown A 2007\n'
    # ... but not inside a string
    text = 'municipality A 0001\nown A 2007\nmeasure m "a\rb" {\n    saving = 1 MNOK\n    unit MNOK\n}\n'
    assert format_text(text) == text


def test_a_blank_unit_in_brackets_stays_one_that_parses():
    """The thorough robustness run's find: `[ \t ]` (no unit) was laid out as `[]`, which does not parse."""
    text = 'indicator x {\n    unit NOK\n    source "x"\n    = 2 [ \t ]\n}\n'
    formatted = format_text(text)
    assert "= 2 [ ]" in formatted
    assert parse(formatted, "x.bench")[1] == [] and format_text(formatted) == formatted
