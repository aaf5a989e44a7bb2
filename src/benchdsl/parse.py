"""Text -> AST.  The LALR driver parses; syntax errors become located diagnostics.

A file is cut into top-level declarations (a declaration starts on an
unindented line with a declaration keyword).  They are parsed a few dozen at a
time; where such a batch has a syntax error, its declarations are parsed one at
a time, so one broken declaration does not hide the errors in the next: all
syntax errors of a file are reported in one run.  Either way each parse starts
at a known line, from which the driver numbers lines: parsing is linear in the
file's size.

`lalr.Driver` reads a text with grammar.lark's LALR tables and calls `_Build`
as each rule is reduced (no parse tree is made).  lark itself reads only a
declaration that does not parse, to say what is wrong with it; `walk` builds
from lark's tree the same AST, spans included (tests/test_parse_driver.py).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left

import attrs

from benchdsl import ast, lexicon
from benchdsl.diagnostics import Diagnostic, split_lines
from benchdsl.lalr import driver

DECL_KEYWORDS = lexicon.DECLARATIONS
_DECL_START = re.compile(r"^(%s)\b" % "|".join(DECL_KEYWORDS))


@functools.cache
def parser():
    """lark's parser for grammar.lark: it reads a declaration that does not parse, to say why."""
    # The LALR tables ship inside the package, made from grammar.lark (benchdsl.lalr);
    # nothing is read from or written to the cache folder.
    from benchdsl import lalr

    return lalr.parser()


def parse(text: str, path: str) -> tuple[ast.File, list[Diagnostic]]:
    """Parse one file's text.  Returns the declarations that parsed, and the errors."""
    # Lines are counted as lark counts them (form feed, U+2028 and U+0085 do not end a line).
    chunks = list(_chunks(split_lines(text, keepends=True)))
    decls: list[ast.Decl] = []
    diags: list[Diagnostic] = []
    broken: list[str] = []
    for i in range(0, len(chunks), _BATCH):
        batch = chunks[i : i + _BATCH]
        got = _parse_batch(batch, path)
        if got is not None:
            decls.extend(got)
        else:
            _parse_each(batch, path, decls, diags, broken)
    return ast.File(path, tuple(decls), ast.Span(path, 1, 1), tuple(broken)), diags


# Declarations parsed in one call.  A call costs little (building is done as the
# text is read); a batch with a syntax error is read again one declaration at a
# time, which small batches keep short.
_BATCH = 50


def read(text: str, path: str, line0: int = 0) -> ast.File | None:
    """The declarations of `text`, which starts after line `line0` of the file; None for a syntax error."""
    return driver().parse(text, _Build(path, text, line0))


def _parse_batch(batch, path: str) -> tuple[ast.Decl, ...] | None:
    """Several declarations in one parse, when none of them has a syntax error (most have none).

    The grammar alone would also accept a declaration keyword at the start of a
    line inside a block (`claim` in a measure), where the one-at-a-time parse
    splits; the result is used only when its declarations start where the chunks
    do, so both ways read a file alike.
    """
    got = read(_ended("".join(text for _, _, text in batch)), path, batch[0][0])
    if got is None:
        return None
    decls = got.decls
    if [d.span.line for d in decls] != [first + 1 for _, first, _ in batch]:
        return None
    return decls


def _parse_each(batch, path: str, decls: list, diags: list, broken: list) -> None:
    """One declaration at a time, so one broken declaration does not hide the errors in the next."""
    from lark.exceptions import UnexpectedInput

    from benchdsl import syntax_errors

    for start, _, chunk in batch:
        chunk = _ended(chunk)
        got = read(chunk, path, start)
        if got is not None:
            # Not recursive: an expression of any length or depth builds; `check` bounds
            # how deep an expression may be, where it can say why.
            decls.extend(got.decls)
            continue
        try:
            # lark says what is wrong.  Were lark to read what the driver did not (a bug),
            # lark's reading is used.
            got = walk(parser().parse(chunk), path, start)
        except UnexpectedInput as exc:
            diags.append(syntax_errors.syntax_error(exc, chunk, path, start))
            repaired, lost = _parse_repaired(exc, chunk, path, start)
            if repaired is not None:  # reported, and read as meant: its uses are not errors too
                decls.extend(repaired.decls)
                broken.extend(lost)
                continue
            # Remember the name, so that uses of it elsewhere are not reported again.
            m = re.match(r"\s*(?:%s)\s+([^\W\d]\w*)" % "|".join(DECL_KEYWORDS), chunk.lstrip("\n"))
            if m:
                broken.append(m.group(1))
            continue
        decls.extend(got.decls)


def walk(tree, path: str, line0: int = 0):
    """What `_Build` makes of lark's tree (from a parser with `propagate_positions`) of a
    text that starts after line `line0`: what the driver makes of the text, with lark's
    lines and columns.

    Bottom up, without recursion (an expression may be any length), as lark's
    Transformer_NonRecursive does.
    """
    from lark import Token, Tree

    build = _BuildFromLark(path)
    order, todo = [], [tree]
    while todo:
        node = todo.pop()
        order.append(node)
        todo.extend(c for c in node.children if isinstance(c, Tree))
    built: dict[int, object] = {}
    for node in reversed(order):
        children = [
            built.pop(id(c)) if isinstance(c, Tree)
            else (c.type, str(c), c.line + line0, c.column, (c.end_line or c.line) + line0,
                  c.end_column or c.column + len(c)) if isinstance(c, Token)
            else c
            for c in node.children
        ]
        meta = node.meta
        pos = None if getattr(meta, "empty", True) else (
            meta.line + line0, meta.column, meta.end_line + line0, meta.end_column)
        built[id(node)] = getattr(build, node.data)(pos, children)
    return built[id(tree)]


def _ended(text: str) -> str:
    """The grammar ends a declaration with a line end; the file's last line may lack one."""
    return text if text.endswith("\n") else text + "\n"


def _chunks(lines: list[str]):
    """(index of the first line, of the first non-comment line, text) of each top-level
    declaration, the comments before it included."""
    start, first, buf = 0, None, []
    for i, line in enumerate(lines):
        if first is not None and _DECL_START.match(line) and not (line.startswith("unit") and _open(buf)):
            yield start, first, "".join(buf)
            start, first, buf = i, None, []
        elif not buf:
            start = i
        buf.append(line)
        if first is None and not _blank(line):
            first = i
    if first is not None:
        yield start, first, "".join(buf)


_BRACES = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*|([{}])')


def _open(buf: list[str]) -> bool:
    """Is a block still open at the end of these lines?  `unit` starts a declaration, and is also a
    block's field: written without indentation inside a block, it is the field."""
    depth = 0
    for m in _BRACES.finditer("".join(buf)):
        if m.group(1):
            depth += 1 if m.group(1) == "{" else -1
    return depth > 0


def _blank(line: str) -> bool:
    s = line.strip(" \t\f\r\n")  # what the grammar ignores; U+2028 is no space to lark
    return not s or s.startswith("#")


def _parse_repaired(exc, text: str, path: str, line0: int) -> tuple[ast.File | None, list[str]]:
    """The declaration parsed as its author evidently meant it (see `syntax_errors.repair`), and
    the names it then lacks: its name is known to the checker, so its uses are no errors too."""
    from benchdsl import syntax_errors

    got = syntax_errors.repair(exc, text)
    if got is None:
        return None, []
    repaired = read(got[0], path, line0)
    return (repaired, got[1]) if repaired is not None else (None, [])


def _string(tok: tuple) -> str:
    text = tok[1][1:-1]
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def _decimals(text: str) -> int:
    mantissa = re.split(r"[eE]", text)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


class _Build:
    """Grammar rules -> AST nodes.  Builds only; all checking happens in `check`.

    One method per grammar rule, called as the rule is read with the position of
    its text (start and end offsets in `text`, which starts after line `line0`
    of the file) and its children: the tokens kept, as plain tuples (terminal,
    text, start, end), and what this class built of the rules under it (never a
    plain tuple or a list, which the driver would take for a token or a `_rule`'s
    children).
    """

    def __init__(self, path: str, text: str = "", line0: int = 0):
        self.path = path
        self.line0 = line0
        # Where each line starts: lark counts only "\n" as a line end.
        self.newlines = [-1, *(m.start() for m in _NEWLINE.finditer(text))]

    def _s(self, pos) -> ast.Span | None:
        """The span of the text from offset `start` to `end`, as lark's lines and columns."""
        if pos is None:
            return None
        start, end = pos
        nl = self.newlines
        i = bisect_left(nl, start)  # 1 + how many line ends come before it
        j = bisect_left(nl, end, i)
        return ast.Span(self.path, self.line0 + i, start - nl[i - 1], self.line0 + j, end - nl[j - 1])

    def _tspan(self, tok: tuple) -> ast.Span:
        return self._s(tok[2:])

    def _number(self, tok: tuple) -> ast.Quantity:
        """A whole number as written (a year, a rank, decimals); `check` says whether it is one."""
        return ast.Quantity(float(tok[1]), tok[1], None, self._tspan(tok))

    def start(self, pos, items):
        return ast.File(self.path, tuple(items))

    # --- small pieces
    def unit(self, pos, c):
        return ast.UnitSpec(c[0][1].strip(), self._s(pos))

    def dotted(self, pos, c):
        return _Dotted(tuple(t[1] for t in c), self._s(pos))

    def under(self, pos, c):
        return _Under(t[1] for t in c)

    def tolerance(self, pos, c):
        return float(c[-1][1])

    # --- expressions
    def quantity(self, pos, c):
        unit = c[1] if len(c) > 1 else None
        return ast.Quantity(float(c[0][1]), c[0][1], unit, self._s(pos))

    def ref(self, pos, c):
        path, span = c[0]
        return ast.Ref(path, span)

    def own_ref(self, pos, c):
        return ast.OwnRef(self._s(pos))

    def call(self, pos, c):
        return ast.Call(c[0][1], tuple(c[1:]), self._s(pos))

    def _bin(op):
        def build(self, pos, c):
            return ast.BinOp(op, c[0], c[1], self._s(pos))
        return build

    add, sub, mul, div = _bin("+"), _bin("-"), _bin("*"), _bin("/")

    def neg(self, pos, c):
        return ast.Neg(c[0], self._s(pos))

    def at_year(self, pos, c):
        # `x@2006` is the call `@(x, 2006)`: every pass that walks calls (names, depth, the
        # language server) sees its operand; `check.years` gives it its meaning.
        return ast.Call(ast.AT_YEAR, (c[0], self._number(c[1])), self._s(pos))

    # --- published values
    def pub_none(self, pos, c):
        return ast.PubNone(self._s(pos))

    def pub_number(self, pos, c):
        qualifier, unit, tol = None, None, None
        rest = list(c)
        if rest[0].__class__ is _Phrase:
            qualifier = rest.pop(0)[0]
        num = rest.pop(0)[1]
        for x in rest:
            if isinstance(x, ast.UnitSpec):
                unit = x
            else:
                tol = x
        text = num + (f" {unit.text}" if unit else "")
        return ast.PubNumber(float(num), _decimals(num), qualifier, unit, tol, text, self._s(pos))

    def phrase(self, pos, c):
        written = " ".join(t[1] for t in c)
        return _Phrase((lexicon.normal_word(written), written, len(c)))

    def pub_words(self, pos, c):
        words, written, count = c[0]
        if count == 1:  # `= Bergen`, or a word of one word (`= litt`): the checker tells them apart
            return ast.PubName(written, self._s(pos))
        return ast.PubWords(words, written, self._s(pos))

    def pub_range(self, pos, c):
        lo, hi = c[0][1], c[1][1]
        unit = c[2] if len(c) > 2 else None
        decimals = max(_decimals(lo), _decimals(hi))
        text = f"{lo}..{hi}" + (f" {unit.text}" if unit else "")
        return ast.PubRange(float(lo), float(hi), decimals, unit, text, self._s(pos))

    # --- the scale of words (`word "noe over" = 0 % to 25 %`)
    def word(self, pos, c):
        low, high, side, text = c[1]
        return ast.Word(_string(c[0]), low, high, text, side, self._s(pos))

    def bound(self, pos, c):
        unit = c[1] if len(c) > 1 else None
        return ast.Bound(float(c[0][1]), c[0][1] + (f" {unit.text}" if unit else ""), unit, self._s(pos))

    def negative_bound(self, pos, c):
        b = self.bound(pos, c)
        return attrs.evolve(b, value=-b.value, text="-" + b.text)

    def word_range(self, pos, c):
        return _Meaning((c[0], c[1], None, f"{c[0].text} to {c[1].text}"))

    def word_within(self, pos, c):
        high = self.bound(pos, c)
        return _Meaning((attrs.evolve(high, value=-high.value, text="-" + high.text), high, None, f"± {high.text}"))

    def word_side(self, pos, c):
        words, written, _ = c[0]
        return _Meaning((c[1], None, words, f"{written} {c[1].text}"))

    # --- declarations
    def municipality(self, pos, c):
        return ast.Municipality(c[0][1], c[1][1] if len(c) > 1 else None, self._s(pos))

    def group(self, pos, c):
        members = c[1:]
        years = tuple((first, last) for _, first, last in members)
        return ast.Group(c[0][1], tuple(e for e, _, _ in members), self._s(pos),
                         years if any(first or last for first, last in years) else ())

    def group_file(self, pos, c):
        name, path, code = c
        text = _string(code) if code[0] == "STRING" else code[1]
        source = ast.GroupFile(_string(path), text, self._tspan(path), self._tspan(code))
        return ast.Group(name[1], (), self._s(pos), source=source)

    def member(self, pos, c):
        limits = dict(c[1:])
        return _Member((c[0], limits.get("from"), limits.get("until")))

    def member_from(self, pos, c):
        return _Limit(("from", self._number(c[0])))

    def member_until(self, pos, c):
        return _Limit(("until", self._number(c[0])))

    def unit_decl(self, pos, c):
        return ast.UnitDecl(c[0][1], tuple(_string(t) for t in c[1:]), self._s(pos))

    def own(self, pos, c):
        return ast.Own(c[0][1], self._number(c[1]), self._s(pos))

    def panel(self, pos, c):
        return ast.Panel(_string(c[0]), _string(c[1]) if len(c) > 1 else None, self._s(pos))

    def basis(self, pos, c):
        title = _string(c[1]) if len(c) == 3 else None
        return ast.Basis(c[0][1], title, c[-1], self._s(pos))

    # A block's one-line fields: (word, value, position); the position becomes a span
    # only where the field is given twice (`_fields`).
    def better(self, pos, c):
        return _Field("better", c[0][1], pos)

    def source(self, pos, c):
        return _Field("source", _string(c[0]), pos)

    def formula(self, pos, c):
        return _Field("formula", c[0], pos)

    def note(self, pos, c):
        return _Field("note", _string(c[0]), pos)

    def unit_field(self, pos, c):
        return _Field("unit", c[0], pos)

    def signed(self, pos, c):
        return _Field("signed", True, pos)

    def round(self, pos, c):
        return _Field("round", self._number(c[0]), pos)

    def saving(self, pos, c):
        return _Field("saving", c[0], pos)

    def let(self, pos, c):
        return ast.Let(c[0][1], c[1], self._s(pos))

    def adjust(self, pos, c):
        return ast.Adjust(c[0][1], c[1], _string(c[2]), self._s(pos))

    def indicator(self, pos, c):
        name, title, fields = _head(c)
        f, repeated = _fields(fields, self._s)
        return ast.Indicator(
            name, title, f.get("unit"), f.get("better"), f.get("source"), f.get("formula"),
            tuple(f.get("notes", ())), self._s(pos), repeated,
        )

    def measure(self, pos, c):
        name, title, fields = _head(c)
        f, repeated = _fields(fields, self._s)
        lets, adjusts, claims = [], [], []
        for x in fields:
            kind = x.__class__
            if kind is ast.Let:
                lets.append(x)
            elif kind is ast.Adjust:
                adjusts.append(x)
            elif kind is ast.Claim:
                claims.append(x)
        return ast.Measure(
            name, title, tuple(lets), tuple(adjusts),
            f.get("saving"), f.get("unit"), f.get("round"), tuple(f.get("notes", ())), tuple(claims),
            self._s(pos), repeated, f.get("signed", False),
        )

    def claim(self, pos, c):
        name, label = c[0][1], _string(c[1])
        under = tuple(c[2]) if c[2].__class__ is _Under else ()
        expr, pub = c[-2], c[-1]
        return ast.Claim(name, label, under, expr, pub, self._s(pos))

    def column(self, pos, c):
        basis = c[2][1] if len(c) > 2 else None
        return ast.Column(c[0][1], _string(c[1]), basis, self._s(pos))

    def section(self, pos, c):
        return ast.Section(_string(c[0]), self._s(pos))

    def row(self, pos, c):
        c = list(c)
        name = c.pop(0)[1] if c[0][0] == "NAME" else None
        label = _string(c.pop(0))
        source = c.pop(0)[1]
        place = c.pop(0).name if c and isinstance(c[0], _Place) else None
        return ast.Row(name or source, label, source, tuple(c), self._s(pos), place)

    def row_place(self, pos, c):
        return _Place(c[0][1])

    def cell(self, pos, c):
        return c[0] if c else ast.PubBlank(self._s(pos))

    def years(self, pos, c):
        return ast.Years(self._number(c[0]), self._number(c[1]), self._s(pos))

    def total(self, pos, c):
        c = list(c)
        name = c.pop(0)[1] if c and c[0].__class__ is tuple and c[0][0] == "NAME" else "total"
        label = _string(c.pop(0)) if c and c[0].__class__ is tuple and c[0][0] == "STRING" else "Sum"
        return ast.Total(name, label, tuple(c), self._s(pos))

    def table(self, pos, c):
        name, title, fields = _head(c)
        f, _ = _fields(fields, self._s)  # a table's only such field is `note`, which may repeat
        return ast.Table(
            name, title,
            tuple(x for x in fields if isinstance(x, ast.Column)),
            tuple(x for x in fields if isinstance(x, (ast.Section, ast.Row, ast.Total))),
            tuple(f.get("notes", ())), self._s(pos),
            next((x for x in fields if isinstance(x, ast.Years)), None),
        )

    # --- figure: a chart of series over years (check/figures.py)
    def series(self, pos, c):
        return self.row(pos, c)  # a year table's row under another word

    def mark(self, pos, c):
        c = list(c)
        name = c.pop(0)[1] if c[0][0] == "NAME" and len(c) == 5 else None
        label, upper, lower = _string(c[0]), c[1][1], c[2][1]
        return ast.Mark(name or f"{upper}_{lower}", label, upper, lower, self._number(c[3]), self._s(pos))

    def figure(self, pos, c):
        name, title, fields = _head(c)
        f, repeated = _fields(fields, self._s)
        return ast.Figure(
            name, title, next((x for x in fields if isinstance(x, ast.Years)), None),
            tuple(x for x in fields if isinstance(x, ast.Row)), tuple(x for x in fields if isinstance(x, ast.Mark)),
            f.get("round"), tuple(f.get("notes", ())), self._s(pos), repeated,
        )

    def known(self, pos, c):
        path, span = c[0]
        reconcile = None
        if len(c) > 2:
            reconcile = (c[2][1], c[3][1], self._number(c[4]) if len(c) > 4 else None)
        return ast.Known(path, _string(c[1]), reconcile, self._s(pos))

    def reading(self, pos, c):
        name = c[0][1]
        label = _string(c[1]) if len(c) == 3 else None
        target, measure = c[-1]
        return ast.Reading(name, label, target, measure, self._s(pos))

    def reading_group(self, pos, c):
        return _Target((self.group(pos, c), None))

    def reading_basis(self, pos, c):
        return _Target((ast.Basis(c[0][1], None, c[1], self._s(pos)), None))

    def reading_let(self, pos, c):
        path, span = c[0]
        measure, name = (path[0], ".".join(path[1:])) if len(path) > 1 else (None, path[0])
        return _Target((ast.Let(name, c[1], self._s(pos)), measure))

    # --- tests (`test "…" { … }`, checked by check/tests.py, run by testing.py)
    def test(self, pos, c):
        parts = c[1:]
        return ast.Test(_string(c[0]), tuple(x for x in parts if isinstance(x, ast.Own)),
                        tuple(x for x in parts if isinstance(x, (ast.Panel, ast.InlinePanel))),
                        tuple(x for x in parts if isinstance(x, ast.Expect)),
                        tuple(x[1] for x in parts if x.__class__ is _Field), self._s(pos))

    def inline_panel(self, pos, c):
        rows = []
        for t in c:
            span = self._tspan(t)
            rows.append(ast.PanelRow(t[1].rstrip(" \t\f"), span.line, span.column))
        return ast.InlinePanel(tuple(rows), self._s(pos))

    def expect(self, pos, c):
        under = c[1][1] if len(c) == 3 else None
        return ast.Expect(c[0], under, c[-1], self._s(pos))

    def negative(self, pos, c):  # `= -2.5`: a value below zero, which a test may expect
        p = self.pub_number(pos, c)
        return attrs.evolve(p, value=-p.value, text="-" + p.text)

    def not_computed(self, pos, c):
        return ast.NotComputed(self._s(pos))


class _BuildFromLark(_Build):
    """`_Build` of lark's tree: positions and tokens carry lark's lines and columns."""

    def _s(self, pos) -> ast.Span | None:
        return None if pos is None else ast.Span(self.path, *pos)

    def _tspan(self, tok: tuple) -> ast.Span:
        return ast.Span(self.path, *tok[2:])


_NEWLINE = re.compile("\n")


class _Dotted(tuple):
    """`a.b.c` as read: (names, span)."""

    __slots__ = ()

    def __new__(cls, path: tuple, span):
        return tuple.__new__(cls, (path, span))


@attrs.frozen
class _Place:
    """`@Bergen` after a year table row's indicator (an object, never a plain tuple: see `_Build`)."""

    name: str


class _Under(tuple):
    """`under a, b`: the names."""

    __slots__ = ()


class _Member(tuple):
    """A group member as read: (expression, from year, until year)."""

    __slots__ = ()


class _Limit(tuple):
    """`from 2008` or `until 2019`: (word, year)."""

    __slots__ = ()


class _Field(tuple):
    """A block's one-line field as read: (word, value, position)."""

    __slots__ = ()

    def __new__(cls, word: str, value, pos):
        return tuple.__new__(cls, (word, value, pos))



def _head(c):
    name = c[0][1]
    if len(c) > 1 and c[1].__class__ is tuple and c[1][0] == "STRING":
        return name, _string(c[1]), c[2:]
    return name, None, c[1:]


_FIELD_WORDS = {"formula": "="}


def _fields(fields, span) -> tuple[dict, tuple[ast.Repeated, ...]]:
    """A block's one-line fields by name; a field given again is kept aside for `check` to report."""
    out: dict = {}
    where: dict = {}
    repeated = []
    for x in fields:
        if x.__class__ is _Field:
            key, value, pos = x
            if key == "note":
                out.setdefault("notes", []).append(value)
            elif key in out:
                repeated.append(ast.Repeated(_FIELD_WORDS.get(key, key), span(where[key]), span(pos)))
            else:
                out[key], where[key] = value, pos
    return out, tuple(repeated)


class _Phrase(tuple):
    """Words before a number or standing alone: (as looked up, as written, how many)."""

    __slots__ = ()


class _Meaning(tuple):
    """A `word` declaration's meaning as read: (low Bound or None, high Bound or None, one-sided phrase, text)."""

    __slots__ = ()


class _Target(tuple):
    """A reading's target as read: (the Group, Basis or Let that replaces the rules' own, its measure or None)."""

    __slots__ = ()
