"""Syntax highlighting: the Pygments lexer and the TextMate grammar know the language."""

import json
import re

from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Number, Operator, String, Text

from helpers import ROOT

RULES = sorted((ROOT / "rules").glob("*.bench"))


def test_the_lexer_is_registered_and_covers_every_rule_file_without_fallback():
    lexer = get_lexer_by_name("bench")
    for p in RULES:
        for token, value in lexer.get_tokens(p.read_text(encoding="utf-8")):
            assert token is not Text or not value.strip(), (p.name, value)


def test_the_lexer_names_the_parts_of_a_rule():
    text = ('measure m "Title" {  # why\n    saving = gap(cost) * users\n    unit NOK/user\n'
            '    claim c "x" under b: cost = nærmere 57\n}\n')
    tokens = [(t, v) for t, v in get_lexer_by_name("bench").get_tokens(text) if v.strip()]
    kinds = dict((v, t) for t, v in tokens)
    assert kinds["measure"] is Keyword.Declaration and kinds["m"] is Name.Class
    assert kinds['"Title"'] is String.Double and kinds["# why"] is Comment.Single
    assert kinds["gap"] is Name.Builtin and kinds["saving"] is Keyword
    assert kinds["NOK/user"] is Name.Decorator and kinds["57"] is Number
    assert kinds["nærmere"] is Operator.Word


def test_the_textmate_grammar_loads_and_matches_the_constructs():
    grammar = json.loads((ROOT / "editors" / "bench.tmLanguage.json").read_text(encoding="utf-8"))
    assert grammar["scopeName"] == "source.bench" and grammar["fileTypes"] == ["bench"]
    patterns = {p.get("name") or p["captures"]["1"]["name"]: re.compile(p["match"]) for p in grammar["patterns"]}
    text = "\n".join(p.read_text(encoding="utf-8") for p in RULES)
    for scope, example in [("keyword.declaration.bench", "measure"), ("support.function.bench", "basis"),
                           ("keyword.operator.word.bench", "nærmere"), ("comment.line.number-sign.bench", "# "),
                           ("constant.language.bench", "lower"), ("keyword.other.bench", "saving")]:
        found = [m.group(0) for line in text.splitlines() for m in patterns[scope].finditer(line)]
        assert any(example in f for f in found), scope


def test_the_grammar_spells_out_exactly_the_vocabulary():
    from benchdsl import lexicon

    grammar = (ROOT / "src" / "benchdsl" / "grammar.lark").read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())  # not the comments
    literals = set(re.findall(r'"([a-zæøå]+)"', code))
    assert literals == lexicon.keywords()
    # the words of the scale are no keywords: a published value reads them as names (`phrase`), so
    # each must be written as names, and none may be a keyword that would stop it being read
    name = re.search(r"^NAME[^:]*:\s*/(.*)/\s*$", code, re.M).group(1)
    for word in {*lexicon.BEFORE_NUMBER, *lexicon.ALONE}:
        assert all(re.fullmatch(name, w) for w in word.split()), word


def test_the_textmate_grammar_is_the_one_generated_from_the_vocabulary():
    from benchdsl import lexicon

    shipped = json.loads((ROOT / "editors" / "bench.tmLanguage.json").read_text(encoding="utf-8"))
    assert shipped == lexicon.textmate(), (
        "regenerate it: python -m benchdsl.lexicon textmate > editors/bench.tmLanguage.json")


def test_every_function_and_basis_kind_is_highlighted():
    from benchdsl import bases, lexicon

    lexer = get_lexer_by_name("bench")
    for word in lexicon.FUNCTIONS + lexicon.BASES:
        tokens = [(t, v) for t, v in lexer.get_tokens(f"x = {word}(y)\n") if v == word]
        assert tokens and tokens[0][0] is Name.Builtin, word
    # every basis kind has its word in the vocabulary, and every word of the vocabulary a kind (a named
    # peer and a literal value are written as a municipality's name and as a value, not as a call)
    assert [k.word for k in bases.KINDS if k.word] == list(lexicon.BASES)
    assert {type(k).__name__ for k in bases.KINDS if not k.word} == {"Peer", "Literal"}
