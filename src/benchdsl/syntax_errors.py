"""Syntax errors in an analyst's words.

lark reports what token it met and which terminals it could have taken; this module turns that
into what is wrong and how to fix it, at the place: first the typical mistakes (a `}` too few
or too many, a missing `=` or `:`, a decimal comma, a thousands space, a unit with spaces, text
without quotes, a misspelt keyword or field, ...), each a small rule on the error's context;
then, for anything else, "unexpected X; expected Y" with the grammar's words as written (never
a terminal's internal name such as `__ANON_1`) and how that kind of line is written.

lark's `match_examples` maps a parser *state* to a label, which needs an example per state
for each mistake (a missing `=` after `saving`, after `basis`, after `row`, ... are different
states); the rules here read the line instead, so one rule covers every such place.

`repair` gives the reading an author evidently meant where there is exactly one, so that
parse can still declare the name and its uses cause no second error.
"""

from __future__ import annotations

import functools
import re

import attrs
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from benchdsl import ast, lexicon
from benchdsl.diagnostics import Diagnostic, did_you_mean, error

DECL_KEYWORDS = lexicon.DECLARATIONS
_DECL_START = re.compile(r"^(%s)\b" % "|".join(DECL_KEYWORDS))
_FIELD_KEYWORDS = lexicon.FIELDS

# What a person calls the grammar's named terminals; a keyword or a sign is shown as written
# (`unit`, `±`), from the grammar itself, so no internal name (`__ANON_1`) ever shows.
_TERMINAL_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "STRING": 'a quoted "text"',
    "UNIT": "a unit", "UNIT_TEXT": "a unit", "_NL": "end of line",
    "BETTER": "`lower` or `higher`",
    "$END": "end of file", "NOT_COMPUTED": "`not computed`", "PANEL_ROW": "a line of the panel",
}

# How each kind of line is written: the hint for a syntax error on such a line.
_FORMS = {
    "municipality": "municipality Trondheim 1601",
    "group": "group ASSS = Oslo, Bergen, Trondheim",
    "group from": 'group K13 from "klass_112_kostragrupper.csv" code "EKG13"',
    "own": "own Trondheim 2007",
    "panel": 'panel "data.csv"   or   panel "12362.csv" mapping "map.csv"',
    "basis": 'basis mean_others "Mean of the others" = mean(ASSS - own)',
    "indicator": 'indicator NAME "title" {   (the fields on the lines below, then `}`)',
    "measure": 'measure NAME "title" {   (the fields on the lines below, then `}`)',
    "table": 'table NAME "title" {   (columns and rows on the lines below, then `}`)',
    "claim": 'claim NAME "what the text says" under BASIS: EXPRESSION = 3.5 %',
    "known": 'known T4.row.column: "why the report cannot be reproduced"',
    "word": 'word "noe over" = 0 % to 25 %   or, before a number, word "om lag …" = ± 5 %',
    "unit": "unit NOK/user   or, with spaces, unit [NOK / user]",
    "better": "better lower   or   better higher",
    "source": 'source "panel_variable"',
    "=": "= other_indicator / inhabitants",
    "note": 'note "text"',
    "let": "let NAME = EXPRESSION",
    "adjust": 'adjust INDICATOR by AMOUNT because "why"',
    "saving": "saving = gap(INDICATOR) * VOLUME",
    "round": "round 1",
    "column": 'column NAME "header" = BASIS',
    "section": 'section "heading"',
    "row": 'row "label" = MEASURE   or, with the published values, row "label" = MEASURE: 7.0, 8.4, -',
    "total": 'total "Sum": 12.3, 15.0',
}

def syntax_error(exc: UnexpectedInput, text: str, path: str, line0: int) -> Diagnostic:
    """`text` is one declaration, which starts after line `line0` of the file.

    The message says what is wrong in an analyst's words and the hint how to fix it: first
    the typical mistakes (a missing `}`, `=` or `:`, a decimal comma, a unit with spaces, text
    without quotes, ...), then, for anything else, what was found and what could come there,
    with how that kind of line is written.
    """
    pos = _error_pos(exc, text)
    lineno = text.count("\n", 0, pos) + 1
    line_start = text.rfind("\n", 0, pos) + 1
    col = pos - line_start + 1
    line = text[line_start:].split("\n", 1)[0]
    found = _found(exc, text, pos)
    expected = _expected(exc)
    ctx = _Context(text, pos, line, line[: col - 1], found, expected)
    row = _unclosed_panel(ctx)
    if row is not None:  # where the panel should have ended, not where the test did
        at = text.count("\n", 0, row) + 1 + line0
        keyword = text[row:].split(None, 1)[0]
        column = 1 + len(text[row:]) - len(text[row:].lstrip(" \t"))
        span = ast.Span(path, at, column, at, column + len(keyword))
        rows = [i for i, x in enumerate(text[:row].split("\n")) if x.strip() and not x.lstrip().startswith("#")]
        last = rows[-1] + 1 + line0  # the panel's last row: the last line before that is no comment
        return error(span, f"the test's panel has no closing `}}`: this `{keyword}` line is read as a row of the panel",
                     f"end the panel with a line holding only `}}` after its last row (line {last})")
    for rule in _RULES:
        got = rule(ctx)
        if got is not None:
            message, hint, *where = got
            at, width = (*where, None, None)[:2]
            at, width = at or col, width or max(1, len(found))
            span = ast.Span(path, lineno + line0, at, lineno + line0, at + width)
            return error(span, message, hint)
    shown = "end of line" if found in ("", "\n") else f"`{found}`"
    message = f"unexpected {shown}"
    names = _expected_names(expected)
    if names:
        message += "; expected " + _one_of(names)
    span = ast.Span(path, lineno + line0, col, lineno + line0, col + max(1, len(found.strip())))
    return error(span, message, _form_hint(ctx))


def _error_pos(exc: UnexpectedInput, text: str) -> int:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return len(text.rstrip("\n"))
    if isinstance(exc, UnexpectedToken):
        return exc.token.start_pos or 0
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream
    return len(text.rstrip("\n"))  # UnexpectedEOF


def _found(exc: UnexpectedInput, text: str, pos: int) -> str:
    """What stands at the error, as the analyst wrote it: one word, sign, number or text.

    (lark's own token may be longer: where nothing fits, its lexer takes the longest match of
    any terminal, such as everything to the end of the line as a bracketed unit's text.)"""
    if isinstance(exc, UnexpectedToken) and exc.token.type in ("$END", "_NL"):
        return ""
    if isinstance(exc, UnexpectedEOF):
        return ""
    m = _WORD.match(text, pos)
    if m:
        return m.group(0)
    return text[pos] if pos < len(text) and text[pos] not in "\r\n" else ""  # a space lark does not skip


_WORD = re.compile(r'"[^"\n]*"?|[0-9]+(?:\.[0-9]+)?|[^\W\d]\w*|\.\.|\+-|[^\s]')


def _expected(exc: UnexpectedInput) -> set[str]:
    if isinstance(exc, UnexpectedToken):
        # `accepts` is what the parser takes in its state; `expected` may also hold what an
        # LALR state would only reduce on, and would be listed as "expected" wrongly.
        return set(exc.accepts or exc.expected)
    if isinstance(exc, UnexpectedCharacters):
        return set(exc.allowed or ())
    return {"RBRACE"}


def _expected_names(expected: set[str]) -> list[str]:
    shown = _as_written()
    names = []
    for t in expected:
        if t == "$END" and len(expected) > 1:
            continue
        if t in ("LSQB", "UNIT_TEXT") and "UNIT" in expected:
            continue  # "a unit" says it
        if t == "__ANON_4" and "__ANON_3" in expected:
            continue  # `±` says it; `+-` is its ASCII spelling
        if "NAME" in expected and shown.get(t, "").strip("`").isalpha():
            continue  # "a name" says it: `own` in an expression
        names.append(_TERMINAL_NAMES.get(t) or shown.get(t) or "something else")
    return sorted(set(names), key=lambda n: (not n.startswith("`"), n))


@functools.cache
def _as_written() -> dict[str, str]:
    """The grammar's keywords and signs as written: {terminal name: "`unit`"}."""
    from benchdsl.parse import parser  # built by the time a syntax error is reported

    return {term.name: f"`{term.pattern.value}`" for term in parser().terminals if isinstance(term.pattern, PatternStr)}


@attrs.frozen
class _Context:
    text: str       # the declaration
    pos: int        # where the error is in it
    line: str       # the line of the error
    before: str     # that line up to the error
    found: str      # what stands at the error ("" at the end of a line)
    expected: set   # the terminals that could have come there

    @property
    def keyword(self) -> str:
        """The word the line starts with: a declaration or a field (`=` for a formula)."""
        m = re.match(r"\s*(=|[^\W\d]\w*)", self.line)
        return m.group(1) if m else ""

    @property
    def block(self):
        return _open_block(self.text, self.pos - len(self.before))


def _form_hint(ctx: _Context) -> str | None:
    group_from = ctx.keyword == "group" and re.match(r"\s*group\s+\S+\s+from\b", ctx.line)
    form = _FORMS.get("group from" if group_from else ctx.keyword)
    if form is None:
        return None
    return f"write it as: {form}"


def _rule_unclosed_block(ctx: _Context):
    """The declaration ended (the next one or the file began) while a block was still open."""
    if ctx.found or "RBRACE" not in ctx.expected or ctx.text[ctx.pos:].strip():
        return None
    block = _open_block(ctx.text, ctx.pos)
    if block is None:
        return None
    kind, name, _ = block
    return (f"the {kind} `{name}` has no closing `}}`",
            "end it with a line holding only `}`, after its last field")


def _rule_stray_brace(ctx: _Context):
    if ctx.found != "}" or "RBRACE" in ctx.expected or _open_block(ctx.text, ctx.pos) is not None:
        return None
    return ("a `}` with no block to close",
            "remove it: a block opens with `{` at the end of its first line and closes with the first `}` after it")


def _rule_decimal_comma(ctx: _Context):
    """`3,5 %`: a Norwegian decimal comma."""
    whole = re.search(r"(?<![\w.])[0-9]+$", ctx.before)
    decimals = re.match(r"[0-9]+", ctx.text[ctx.pos + 1 :])
    if ctx.found != "," or not whole or not decimals:
        return None
    written = f"{whole.group(0)},{decimals.group(0)}"
    return (f"`{written}` has a decimal comma",
            f"write decimals with a point in rule files: {written.replace(',', '.')} "
            f"(--norwegian prints {written} in reports)",
            whole.start() + 1, len(written))


_SIGNS = {"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "≈": "about"}


def _rule_typographic_sign(ctx: _Context):
    """`gap(x) × users`, `− 5`: signs from a word processor."""
    sign = ctx.found[:1]
    if sign not in _SIGNS or (sign == "·" and ctx.keyword == "unit"):
        return None
    return f"`{sign}` is not a sign rule files know", f"write {_SIGNS[sign]}"


def _rule_odd_space(ctx: _Context):
    """A no-break or thin space: Norwegian text groups thousands with one (1 234)."""
    if len(ctx.found) != 1 or not ctx.found.isspace():
        return None
    after = ctx.text[ctx.pos + 1 :]
    if re.search(r"(?<![\d.])[0-9]{1,3}$", ctx.before) and re.match(r"[0-9]{3}\b", after):
        number = re.search(r"[0-9]+$", ctx.before).group(0) + re.match(r"[0-9]+", after).group(0)
        return (f"`{ctx.before[-(len(number) - 3):]}{ctx.found}{after[:3]}` is one number written with a space",
                f"write numbers without thousands separators in rule files: {number}",
                len(ctx.before) - (len(number) - 3) + 1, len(number) + 1)
    return f"a space that is not an ordinary one (U+{ord(ctx.found):04X})", "write an ordinary space"


def _rule_digits(ctx: _Context):
    if any(c.isdigit() and not c.isascii() for c in ctx.found):
        return f"unexpected `{ctx.found}`", "write numbers with the digits 0-9"
    return None


def _rule_quotes(ctx: _Context):
    if ctx.found and ctx.found[0] in "“”«»„":
        return f"unexpected `{ctx.found}`", 'write text in straight double quotes: "like this"'
    if ctx.found[:1] == "'":
        m = re.match(r"'([^'\n]*)'?", ctx.text[ctx.pos :])
        return "text is written in double quotes", f'write "{m.group(1)}"', None, len(m.group(0))
    if ctx.found.startswith('"') and (len(ctx.found) == 1 or not ctx.found.endswith('"')):
        return ('this text has no closing `"`',
                'a text starts and ends with `"` on the same line: "like this"')
    return None


def _rule_unit_spaces(ctx: _Context):
    """`unit NOK / user`, `unit mill kr`: a unit with spaces needs brackets."""
    m = re.match(r"(\s*unit\s+)([^#\[]*?)\s*(#.*)?$", ctx.line)
    if ctx.keyword != "unit" or not m or not m.group(2) or " " not in m.group(2):
        return None
    if len(ctx.before) <= len(m.group(1)):
        return None
    unit = m.group(2)
    if re.fullmatch(r"\S+( per \S+)+", unit):
        hint = f"write unit {unit.replace(' per ', '/')}"
    else:
        hint = f"write unit [{unit}], or without spaces"
    return "a unit with spaces is written in brackets", hint, len(m.group(1)) + 1, len(unit)


def _rule_after_unit(ctx: _Context):
    """`unit MNOK;`: something after a unit field's unit."""
    m = re.match(r"\s*unit\s+\S+\s*", ctx.before)
    if ctx.keyword != "unit" or not m or ctx.block is None:
        return None
    return f"unexpected `{ctx.found}` after the unit" if ctx.found else "unexpected end of line", _form_hint(ctx)


def _rule_number_with_space(ctx: _Context):
    """`1 234`: a thousands separator, as Norwegian text writes numbers."""
    if re.fullmatch(r"[0-9]{3}(\.[0-9]+)?", ctx.found) and re.search(r"(?<![\d.])[0-9]{1,3} +$", ctx.before):
        whole = re.search(r"[0-9]+ +$", ctx.before).group(0)
        number = whole.rstrip() + ctx.found
        start = len(ctx.before) - len(whole) + 1
        return (f"`{whole}{ctx.found}` is one number written with a space",
                f"write numbers without thousands separators in rule files: {number}",
                start, len(whole) + len(ctx.found))
    return None


def _rule_field_on_same_line(ctx: _Context):
    block = ctx.block
    if block is None or ctx.keyword == ctx.found or not ctx.found.isalpha() \
            or ctx.found not in _FIELD_KEYWORDS.get(block[0], ()):
        return None
    if "_NL" not in ctx.expected:
        return None
    return f"`{ctx.found}` starts a field of its own", f"put `{ctx.found}` on a new line: one field a line"


def _rule_unknown_field(ctx: _Context):
    block = ctx.block
    if block is None or "RBRACE" not in ctx.expected:
        return None  # where a field could start, a `}` could too
    if not re.match(r"[^\W\d]\w*$", ctx.found) or ctx.found in _FIELD_KEYWORDS[block[0]]:
        return None
    fields = _FIELD_KEYWORDS[block[0]]
    if ctx.found in DECL_KEYWORDS:
        return (f"`{ctx.found}` inside {block[0]} `{block[1]}`, which has no closing `}}`",
                f"end {block[0]} `{block[1]}` with `}}` before this line; "
                f"a `{ctx.found}` is written at the start of a line, outside any block")
    others = [k for k, fs in _FIELD_KEYWORDS.items() if ctx.found in fs]
    if others:
        return (f"`{ctx.found}` is a field of {' or '.join(others)}, not of {block[0]}",
                f"a {block[0]}'s fields: " + ", ".join(fields))
    return (f"unknown field `{ctx.found}` in {block[0]}",
            did_you_mean(ctx.found, fields) or "fields: " + ", ".join(fields))


def _rule_unknown_declaration(ctx: _Context):
    """A line outside any block starts with a word that is not a declaration."""
    if ctx.block is not None or ctx.keyword in DECL_KEYWORDS or not ctx.keyword:
        return None
    word = ctx.keyword
    at = len(ctx.line) - len(ctx.line.lstrip()) + 1
    if word in {f for fs in _FIELD_KEYWORDS.values() for f in fs}:
        kinds = [k for k, fs in _FIELD_KEYWORDS.items() if word in fs]
        return (f"`{word}` is a field of {' or '.join(kinds)}, but this line is outside any block",
                f"move it inside the braces {{ }} of the {kinds[0]} it belongs to", at, len(word))
    return (f"unknown declaration `{word}`",
            did_you_mean(word, DECL_KEYWORDS) or "a line outside a block starts with one of: " + ", ".join(DECL_KEYWORDS),
            at, len(word))


def _rule_missing_separator(ctx: _Context):
    """`saving gap(x)`, `basis b "B" mean(G)`, `row "M" m`, `claim c "x" under b x = 1`."""
    if not ctx.found[:1].isalnum():
        return None
    for term, sign in (("EQUAL", "="), ("COLON", ":")):
        # (FROM: `group K13 from "FILE" code "13"`, the other way to write a group)
        if term in ctx.expected and ctx.expected <= {term, "COMMA", "STRING", "_NL", "UNDER", "FROM"}:
            return f"a `{sign}` is missing before `{ctx.found}`", _form_hint(ctx)
    if "COMMA" in ctx.expected and re.match(r"[0-9]", ctx.found) and re.search(r"[0-9%]\s+$", ctx.before):
        return (f"a `,` is missing before `{ctx.found}`",
                "published values are separated by commas: 7.0, 8.4, -")
    return None


def _rule_brace_at_line_end(ctx: _Context):
    """`indicator x "X"` with its `{` on the next line, or none."""
    if ctx.found or "LBRACE" not in ctx.expected:
        return None
    return (f"a `{{` is missing at the end of this line",
            f"a block's `{{` goes at the end of its first line: {ctx.line.split('#')[0].rstrip()} {{")


def _rule_quoted_number(ctx: _Context):
    """`= "3,5" %`: a number in quotes, as a decimal comma in a CSV file would be."""
    m = re.fullmatch(r'"\s*([0-9]+)(?:([.,])([0-9]+))?\s*"', ctx.found)
    if not m or not ({"NUMBER", "QUALIFIER"} & ctx.expected):
        return None
    number = m.group(1) + (f".{m.group(3)}" if m.group(3) else "")
    return (f"{ctx.found} is a text, not a number",
            f"write {number}: numbers in rule files have no quotes, and decimals a point")


def _rule_name_with_space(ctx: _Context):
    """`indicator nr users "Brukere" {`: a name of two words."""
    m = re.match(r"(\s*(?:indicator|measure|table|basis|municipality|group)\s+)([^\W\d]\w*)(\s+)$", ctx.before)
    if not m or not re.match(r"[^\W\d]\w*$", ctx.found):
        return None
    if ctx.keyword == "municipality":
        if "NUMBER" not in ctx.expected:
            return None
    elif ctx.keyword == "group":
        if "EQUAL" not in ctx.expected or "=" not in ctx.line[len(ctx.before):]:
            return None  # `group G A, B`: the `=` is missing, not a space in the name
    elif "STRING" not in ctx.expected or not re.match(r'\s+"', ctx.line[len(ctx.before) + len(ctx.found):]):
        return None  # no title after it: the word is more likely an unquoted title
    name = m.group(2)
    return ("a name cannot contain spaces", f"write {name}_{ctx.found}",
            len(m.group(1)) + 1, len(name) + len(m.group(3)) + len(ctx.found))


def _rule_text_without_quotes(ctx: _Context):
    """A title or label written without quotes: `measure m Hjemmetjenester {`, `source cost`."""
    if "STRING" not in ctx.expected or not re.match(r"[^\W\d]\w*$", ctx.found):
        return None
    if ctx.found in lexicon.CONNECTIVES:  # `claim c under b: …`: the label itself is missing
        return f'a quoted "text" is missing before `{ctx.found}`', _form_hint(ctx)
    words = re.match(r"[^{=:\"#]*", ctx.line[len(ctx.before):]).group(0).rstrip()
    if not words:
        return None
    return ("a title or label is written in double quotes", f'write "{words}"', None, len(words))


def _rule_unopened_parenthesis(ctx: _Context):
    if ctx.found != ")" or ctx.before.count("(") > ctx.before.count(")"):
        return None
    return "a `)` with no `(` before it", "remove it, or add the `(` it closes"


def _rule_unclosed_parenthesis(ctx: _Context):
    if ctx.found or "RPAR" not in ctx.expected:
        return None
    if ctx.before.count("(") <= ctx.before.count(")"):
        return None
    return "a `(` is not closed on this line", "close it with `)`: an expression ends at the end of its line"


def _rule_call_without_parentheses(ctx: _Context):
    m = re.search(r"\b([^\W\d]\w*)\s+$", ctx.before)
    if not m or "LPAR" not in ctx.expected or m.group(1) not in lexicon.FUNCTIONS + lexicon.BASES:
        return None
    return (f"`{m.group(1)}` needs its arguments in parentheses",
            f"write {m.group(1)}({ctx.line[len(ctx.before):].split('#')[0].strip()})")


_RULES = (
    _rule_odd_space, _rule_digits, _rule_typographic_sign, _rule_quotes, _rule_decimal_comma, _rule_unclosed_block, _rule_stray_brace,
    _rule_unknown_declaration, _rule_unknown_field, _rule_field_on_same_line, _rule_unit_spaces,
    _rule_number_with_space, _rule_call_without_parentheses, _rule_unclosed_parenthesis, _rule_unopened_parenthesis,
    _rule_brace_at_line_end, _rule_quoted_number, _rule_after_unit,
    _rule_name_with_space, _rule_text_without_quotes, _rule_missing_separator,
)


def _one_of(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) == 1:
        return items[0]
    if len(items) > 6:
        return ", ".join(items[:6]) + ", …"
    return ", ".join(items[:-1]) + " or " + items[-1]


def _open_block(text: str, pos: int) -> tuple[str, str, int] | None:
    """The block still open at `pos`: (indicator|measure|table|test, its name, the line it starts on)."""
    depth, i = 0, pos - 1
    while i >= 0:
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                start = text.rfind("\n", 0, i) + 1
                m = re.match(r"\s*(indicator|measure|table|test)\s+(\w+|\"[^\"\n]*\")", text[start:i])
                if not m:
                    return None
                return m.group(1), m.group(2).strip('"'), text.count("\n", 0, start) + 1  # a test is named by its title
            depth -= 1
        elif c == '"':  # braces in titles and notes are text
            j = text.rfind('"', 0, i)
            if j >= 0 and text.rfind("\n", 0, i) < j:
                i = j
        i -= 1
    return None


_TEST_FIELD_LINE = re.compile(r"[ \t]*(?:expect|own|note|panel)[ \t]", re.M)


def _unclosed_panel(ctx: _Context) -> int | None:
    """A test's inline `panel {` without its `}`: the panel read the test's own lines (`expect
    …`) as rows and the test's `}` as its own.  The offset of the first such line, or None."""
    if ctx.found or "RBRACE" not in ctx.expected or ctx.text[ctx.pos:].strip():
        return None
    block = _open_block(ctx.text, ctx.pos)
    if block is None or block[0] != "test":
        return None
    for panel in re.finditer(r"^[ \t]*panel[ \t]*\{[ \t]*(?:#.*)?$", ctx.text[: ctx.pos], re.M):
        field = _TEST_FIELD_LINE.search(ctx.text, panel.end() + 1, ctx.pos)
        if field and not re.search(r"^[ \t]*\}", ctx.text[panel.end() : field.start()], re.M):
            return field.start()
    return None


def repair(exc: UnexpectedInput, text: str) -> tuple[str, list[str]] | None:
    """The declaration as its author evidently meant it, and the names it then lacks; None
    where there is no one obvious reading.

    Two mistakes have one: a `}` too few or too many (read with the brace added or taken
    away), and a misspelt declaration keyword (`mesure`), which the file's cutting into
    declarations took for part of the declaration before it (that one is read without it).
    """
    pos = _error_pos(exc, text)
    found = _found(exc, text, pos)
    expected = _expected(exc)
    line_start = text.rfind("\n", 0, pos) + 1
    if _unclosed_panel(_Context(text, pos, "", "", found, expected)) is not None:
        return None  # a `}` put in would move the lines after it: the test is left out, reported once
    if not found and "RBRACE" in expected and not text[pos:].strip() and _open_block(text, pos):
        return text.rstrip("\n") + "\n}\n", []
    if found == "}" and "RBRACE" not in expected and _open_block(text, pos) is None:
        return text[:pos] + " " + text[pos + 1 :], []
    if line_start > 0 and _open_block(text, line_start) is None and re.match(r"[^\W\d]\w*\b", text[line_start:]) \
            and not _DECL_START.match(text[line_start:]):
        m = re.match(r"[^\W\d]\w*[ \t]+([^\W\d]\w*)", text[line_start:])
        return text[:line_start], [m.group(1)] if m else []
    return None
