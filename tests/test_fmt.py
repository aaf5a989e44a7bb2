"""`benchdsl fmt`: same AST, idempotent, comments kept, atomic, --check for CI."""

from hypothesis import given, strategies as st

from benchdsl.fmt import format_text
from benchdsl.parse import parse

from helpers import ROOT, cli
from strategies import tables_of_measures

RULE_FILES = sorted((ROOT / "rules").glob("*.bench"))


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


def test_the_project_rules_are_already_canonical():
    for p in RULE_FILES:
        text = p.read_text(encoding="utf-8")
        assert format_text(text) == text, p.name


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
