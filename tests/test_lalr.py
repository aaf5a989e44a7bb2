"""The LALR tables shipped in the package are grammar.lark's, and parse as a fresh build does."""

import pytest
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedInput

from benchdsl import _lalr_tables, lalr

from helpers import ROOT

STALE = (f"the LALR tables in src/benchdsl/_lalr_tables.py were not made from this grammar.lark with "
         f"lark {lark_version}; regenerate them: {lalr.REGENERATE}")

# Inputs the shipped tables must treat exactly as a fresh build: every rule file in the
# repository, and broken text that reaches each kind of syntax error.
BROKEN = [
    "measure m {\n    saving = \n}\n",
    "indicator x {\n    unit NOK user\n}\n",
    'claim c "x" under : 1 = 2\n',
    "table T {\n    row \"a\" = m: 1,, 2\n}\n",
    "municipality A 0001\ngroup G = A,\n",
    "measure m { saving = (1 + 2 }\n",
    "known x because\n",
    "basis b = best(2, G - own\n",
    "indicator “x” {}\n",
    "own A 2007 2008\n",
    "",
]


def corpus():
    files = sorted(ROOT.glob("rules/*.bench")) + sorted(ROOT.glob("examples/*/*.bench"))
    return [p.read_text(encoding="utf-8") for p in files] + BROKEN


def outcome(parser, text):
    try:
        return parser.parse(text + "\n")
    except UnexpectedInput as exc:
        return (type(exc).__name__, exc.line, exc.column, sorted(getattr(exc, "expected", ()) or ()),
                getattr(getattr(exc, "token", None), "type", None))


def test_the_shipped_tables_were_made_from_this_grammar_by_this_lark():
    assert _lalr_tables.GRAMMAR_SHA256 == lalr.grammar_sha256(), STALE
    assert _lalr_tables.LARK_VERSION == lark_version, STALE


def test_the_shipped_tables_are_used_and_parse_as_a_fresh_build_does():
    shipped, fresh = lalr.parser(), lalr.build()
    assert shipped.source_path == "<deserialized>"  # lark's mark for tables loaded, not built
    texts = corpus()
    assert len(texts) > len(BROKEN) + 5
    for text in texts:
        assert outcome(shipped, text) == outcome(fresh, text), text


def test_tables_made_from_another_grammar_are_not_used(monkeypatch):
    monkeypatch.setattr(_lalr_tables, "GRAMMAR_SHA256", "0" * 64)
    assert lalr.parser().source_path != "<deserialized>"


@pytest.mark.parametrize("field", ["GRAMMAR_SHA256", "LARK_VERSION"])
def test_the_generated_module_names_grammar_and_lark(field):
    # The module text is what `python -m benchdsl.lalr` writes; LALR state numbers vary
    # between builds, so the tables themselves are compared by what they parse (above).
    text = lalr.module_text()
    line = next(ln for ln in text.splitlines() if ln.startswith(field))
    assert line == f"{field} = {getattr(_lalr_tables, field)!r}", STALE
