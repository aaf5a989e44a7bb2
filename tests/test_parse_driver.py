"""The parser (`lalr.Driver` over the shipped tables) reads every text as lark does, to the last span.

The reference is lark itself: its LALR parser with `propagate_positions=True`,
its tree turned into the AST by `parse.walk` with the same `_Build`.  Nodes
compare without their spans by design, so spans are compared separately, node
by node.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedInput

from benchdsl import ast, parse
from strategies import TOKENS, rule_like_text

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import scale  # noqa: E402


@pytest.fixture(scope="module")
def reference() -> Lark:
    return Lark.open_from_package("benchdsl", "grammar.lark", parser="lalr", propagate_positions=True,
                                  maybe_placeholders=False)


def spans(node, where="", out=None) -> list:
    """(where in the tree, span) of every node and every span-valued field."""
    out = [] if out is None else out
    if isinstance(node, (list, tuple)):
        for i, x in enumerate(node):
            spans(x, f"{where}[{i}]", out)
    elif isinstance(node, ast.Span):
        out.append((where, node))
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            spans(getattr(node, field.name), f"{where}.{type(node).__name__}.{field.name}", out)
    return out


def by_lark(lark: Lark, text: str, line0: int = 0):
    try:
        return parse.walk(lark.parse(text), "x.bench", line0)
    except UnexpectedInput:
        return None


def by_driver(text: str, line0: int = 0):
    return parse.read(text, "x.bench", line0)


def assert_read_alike(lark: Lark, text: str) -> bool:
    """The driver's file equals lark's, spans included; both or neither fail.  Whether it parsed."""
    text = parse._ended(text)
    want, got = by_lark(lark, text, 3), by_driver(text, 3)
    assert (got is None) == (want is None), text
    if want is not None:
        assert got == want, text
        assert spans(got) == spans(want), text
        assert len(spans(got)) > 0 or not want.decls
    return want is not None


def assert_parse_alike(text: str, monkeypatch) -> None:
    """`parse.parse` gives the same declarations, spans, diagnostics and broken names with the
    driver as with lark alone."""
    got = parse.parse(text, "x.bench")
    monkeypatch.setattr(parse, "read", lambda text, path, line0=0: by_lark(parse.parser(), text, line0))
    want = parse.parse(text, "x.bench")
    monkeypatch.undo()
    assert got == want, text
    assert spans(got) == spans(want), text
    assert [(d.span, d.message, d.hint) for d in got[1]] == [(d.span, d.message, d.hint) for d in want[1]], text


def files() -> list[str]:
    paths = sorted(ROOT.glob("rules/*.bench")) + sorted(ROOT.glob("examples/*/*.bench"))
    return [p.read_text(encoding="utf-8") for p in paths]


# Corners of the lexer and the grammar the rule files may not reach: units in brackets (which
# keep their blanks), spaced qualifiers, tolerances, ranges, parentheses around a passed-through
# expression, deep nesting, keywords as names where a keyword cannot stand, comments and blanks
# everywhere, lone carriage returns, form feeds and U+2028 (no line ends to lark), an empty file.
CORNERS = [
    "",
    "\n\n# only a comment\n",
    "# first\nmunicipality A 0001 # trailing\n\n\n   # indented comment\nown A 2007\n",
    "group G = A, B , C,D\ngroup H = G - own - A\n",
    'basis b "t" = mean((G) - own)\nbasis c = best(2, (G - (own)))\n',
    "measure m {\n    let x = ((1 + 2)) * -(3 [NOK /  user ] / 2) - - 4 kNOK\n    saving = (x)\n}\n",
    "measure m {\n    saving = (((((((((((x)))))))))))\n    unit [ NOK / ( user * month ) ]\n    round 2\n}\n",
    'measure m "M" {\n\tlet a = f()\n\tlet b = g(a, 1, 2.5e3 %, own)\n\tadjust c by 3 NOK/user because "why \\" not"\n'
    "\tnote \"n\"\n\tsaving = a.b.c * b\n}\n",
    'claim c "l" under b, d: x / basis(x) - 1 = om   lag 3.5 % ± 0.1\n',
    'claim c "l": x = about 3\nclaim d "l": x = 1..2 MNOK\nclaim e "l": x = -\nclaim f "l": x = other\n',
    'table T "t" {\n    column a "A" = b\n    column c "C"\n    section "s"\n    row r "R" = m: 1, nearly 2 ± 1, -\n'
    '    row "R2" = m\n    total t "Sum": 3 +- 0.5, 4\n    total\n    note "n"\n}\n',
    'known T.r.c: "why" reconcile cost A 2007\nknown x: "y"\n',
    'indicator i "I" {\n    unit NOK/user\n    better lower\n    source "s"\n    = a / b\n    note "x"\n}\n',
    "measure m {\n    saving = 1\n    saving = 2\n    unit MNOK\n    unit NOK\n}\n",
    "municipality A 0001\r\nown A 2007\r\n",
    "municipality A 0001\rown A 2007\r",
    '# page\x0cbreak\u2028\nmunicipality A 0001 # \u2028 \x85\npanel "a\u2028b\x0c"\n',
    "measure measure {\n    let unit = own\n    saving = unit * better\n}\n",
    "indicator x {\n    unit NOK/user\n    better higher\n}\n" * 3,
    "own A 2007",
    "municipality A 0001\n\n\n\n",
    "municipality Bærum 0219\nmunicipality Tromsø 5401\ngroup Ø = Bærum, Tromsø\n",
    "measure m {\n    saving = " + " + ".join(f"x{i}" for i in range(300)) + "\n}\n",
    "measure m {\n    saving = " + "(" * 200 + "1" + ")" * 200 + "\n}\n",
    "measure m {\n    saving = " + "-" * 200 + "1\n}\n",
]


def mutations(texts: list[str], count: int, seed: int) -> list[str]:
    """Texts with a few lines deleted, duplicated or swapped, and characters or tokens put in."""
    rnd = random.Random(seed)
    odd = ["{", "}", "(", ")", "[", "]", "=", ":", ",", "#", "\\", '"', "ø", "\t", "\r", "\x0c", "\u2028",
           "..", "±", "+-", " ", "\n", "own", "unit", "measure", "claim"]
    out = []
    for _ in range(count):
        lines = rnd.choice(texts).split("\n")
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(lines))
            op = rnd.choice(["delete", "duplicate", "swap", "put", "token"])
            if op == "delete":
                del lines[i]
                lines = lines or [""]
            elif op == "duplicate":
                lines.insert(i, lines[i])
            elif op == "swap":
                j = rnd.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            else:
                k = rnd.randint(0, len(lines[i]))
                new = rnd.choice(odd) if op == "put" else " " + rnd.choice(TOKENS) + " "
                lines[i] = lines[i][:k] + new + lines[i][k:]
        out.append("\n".join(lines))
    return out


def test_every_rule_file_and_corner_reads_as_lark_reads_it(reference, monkeypatch):
    texts = files() + CORNERS + [scale.rules(30, True)]
    assert len(texts) > len(CORNERS) + 8
    parsed = [assert_read_alike(reference, text) for text in texts]
    assert all(parsed)
    for text in texts:
        assert_parse_alike(text, monkeypatch)


def test_mutated_texts_read_as_lark_reads_them_or_fail_where_lark_fails(reference, monkeypatch):
    texts = mutations(files() + CORNERS[1:], 250, seed=9)
    parsed = [assert_read_alike(reference, text) for text in texts]
    assert 0 < sum(parsed) < len(texts)  # both kinds were tried
    for text in texts[:40]:
        assert_parse_alike(text, monkeypatch)


@given(text=rule_like_text)
def test_rule_like_text_reads_as_lark_reads_it(reference, text):
    assert_read_alike(reference, text)


@given(text=st.lists(st.sampled_from([*TOKENS, "(", ")", "[NOK / user]", "om lag", "1..2", "±", "T.r"]),
                     max_size=40).map(lambda ts: "measure m {\n    saving = " + " ".join(ts) + "\n}\n"))
def test_expression_like_text_reads_as_lark_reads_it(reference, text):
    assert_read_alike(reference, text)


def test_the_shipped_driver_tables_are_lark_s_tables_for_this_grammar():
    # The driver's tables in _lalr_tables.py are what `lalr.driver_tables` makes of lark's
    # parser for grammar.lark now (state numbers may differ between builds: so, by what they read).
    from benchdsl import _lalr_tables, lalr

    assert _lalr_tables.GRAMMAR_SHA256 == lalr.grammar_sha256()
    fresh = lalr.Driver(lalr.driver_tables(lalr.build()))
    for text in files() + CORNERS:
        text = parse._ended(text)
        a = lalr.driver().parse(text, parse._Build("x.bench", text))
        b = fresh.parse(text, parse._Build("x.bench", text))
        assert a == b and spans(a) == spans(b), text


def test_a_file_that_parses_is_read_without_lark(monkeypatch):
    # lark's parser makes a Tree for every rule; the driver makes none
    from lark import Tree

    made = []
    init = Tree.__init__
    monkeypatch.setattr(Tree, "__init__", lambda self, *a, **k: made.append(1) or init(self, *a, **k))
    f, diags = parse.parse(files()[0], "x.bench")
    assert diags == [] and len(f.decls) > 5
    assert made == []
    # (the counting works: lark's own parser makes trees)
    parse.parser().parse("own A 2007\n")
    assert made


def test_a_file_that_parses_does_not_import_lark():
    # lark is imported for a syntax error only (to say what is wrong), not for every check
    import subprocess

    code = ("import sys; from pathlib import Path; from benchdsl.parse import parse; "
            "f, d = parse(Path(sys.argv[1]).read_text(encoding='utf-8'), 'x.bench'); "
            "assert not d and f.decls; print('lark' in sys.modules)")
    path = sorted(ROOT.glob("rules/*.bench"))[0]
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
