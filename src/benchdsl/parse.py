"""Text -> AST.  Lark parses; syntax errors become located diagnostics.

A file is cut into top-level declarations (a declaration starts on an
unindented line with a declaration keyword).  They are parsed a few dozen at a
time; where such a batch has a syntax error, its declarations are parsed one at
a time, so one broken declaration does not hide the errors in the next: all
syntax errors of a file are reported in one run.  Either way each parse starts
at a known line, and positions are shifted by it: parsing is linear in the
file's size.
"""

from __future__ import annotations

import functools
import re

import attrs

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from benchdsl import ast, lexicon, syntax_errors
from benchdsl.diagnostics import Diagnostic, split_lines

DECL_KEYWORDS = lexicon.DECLARATIONS
_DECL_START = re.compile(r"^(%s)\b" % "|".join(DECL_KEYWORDS))


@functools.cache
def parser() -> Lark:
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


# Declarations parsed in one lark call: a call costs about as much as a short
# declaration, and a much larger tree only gives Python's garbage collector more
# to go through.
_BATCH = 50


def _parse_batch(batch, path: str) -> tuple[ast.Decl, ...] | None:
    """Several declarations in one parse, when none of them has a syntax error (most have none).

    The grammar alone would also accept a declaration keyword at the start of a
    line inside a block (`claim` in a measure), where the one-at-a-time parse
    splits; the result is used only when its declarations start where the chunks
    do, so both ways read a file alike.
    """
    start = batch[0][0]
    try:
        tree = parser().parse(_ended("".join(text for _, _, text in batch)))
    except UnexpectedInput:
        return None
    decls = _Build(path, start).transform(tree).decls
    if [d.span.line for d in decls] != [first + 1 for _, first, _ in batch]:
        return None
    return decls


def _parse_each(batch, path: str, decls: list, diags: list, broken: list) -> None:
    """One declaration at a time, so one broken declaration does not hide the errors in the next."""
    for start, _, chunk in batch:
        chunk = _ended(chunk)
        try:
            tree = parser().parse(chunk)
        except UnexpectedInput as exc:
            diags.append(syntax_errors.syntax_error(exc, chunk, path, start))
            tree, lost = _parse_repaired(exc, chunk)
            if tree is not None:  # reported, and read as meant: its uses are not errors too
                decls.extend(_Build(path, start).transform(tree).decls)
                broken.extend(lost)
                continue
            # Remember the name, so that uses of it elsewhere are not reported again.
            m = re.match(r"\s*(?:%s)\s+([^\W\d]\w*)" % "|".join(DECL_KEYWORDS), chunk.lstrip("\n"))
            if m:
                broken.append(m.group(1))
            continue
        # Not recursive: an expression of any length or depth builds; `check` bounds
        # how deep an expression may be, where it can say why.
        decls.extend(_Build(path, start).transform(tree).decls)


def _ended(text: str) -> str:
    """The grammar ends a declaration with a line end; the file's last line may lack one."""
    return text if text.endswith("\n") else text + "\n"


def _chunks(lines: list[str]):
    """(index of the first line, of the first non-comment line, text) of each top-level
    declaration, the comments before it included."""
    start, first, buf = 0, None, []
    for i, line in enumerate(lines):
        if first is not None and _DECL_START.match(line):
            yield start, first, "".join(buf)
            start, first, buf = i, None, []
        elif not buf:
            start = i
        buf.append(line)
        if first is None and not _blank(line):
            first = i
    if first is not None:
        yield start, first, "".join(buf)


def _blank(line: str) -> bool:
    s = line.strip(" \t\f\r\n")  # what the grammar ignores; U+2028 is no space to lark
    return not s or s.startswith("#")


def _parse_repaired(exc: UnexpectedInput, text: str) -> tuple[Tree | None, list[str]]:
    """The declaration parsed as its author evidently meant it (see `syntax_errors.repair`), and
    the names it then lacks: its name is known to the checker, so its uses are no errors too."""
    got = syntax_errors.repair(exc, text)
    if got is None:
        return None, []
    try:
        return parser().parse(got[0]), got[1]
    except UnexpectedInput:
        return None, []


def _span(path: str, meta, line0: int) -> ast.Span | None:
    if getattr(meta, "empty", True):
        return None
    return ast.Span(path, meta.line + line0, meta.column, meta.end_line + line0, meta.end_column)


def _tspan(path: str, tok: Token, line0: int) -> ast.Span:
    line = tok.line + line0
    end_line = (tok.end_line or tok.line) + line0
    return ast.Span(path, line, tok.column, end_line, tok.end_column or tok.column + len(tok))


def _string(tok: Token) -> str:
    return re.sub(r"\\(.)", r"\1", str(tok)[1:-1])


def _decimals(text: str) -> int:
    mantissa = re.split(r"[eE]", text)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


class _Build:
    """Tree -> AST nodes.  Builds only; all checking happens in `check`.

    The tree is of declarations that start after line `line0` of the file;
    every span is shifted by it.  One method per grammar rule, called with the
    rule's position and its children already built.
    """

    def __init__(self, path: str, line0: int = 0):
        self.path = path
        self.line0 = line0

    def transform(self, tree: Tree):
        """Bottom up, without recursion (an expression may be any length), as lark's
        Transformer_NonRecursive does; called directly, which is several times faster
        than through lark's `v_args` wrappers (they are made anew for every node)."""
        order, todo = [], [tree]
        while todo:
            node = todo.pop()
            order.append(node)
            todo.extend(c for c in node.children if isinstance(c, Tree))
        built: dict[int, object] = {}
        for node in reversed(order):
            children = [built.pop(id(c)) if isinstance(c, Tree) else c for c in node.children]
            built[id(node)] = getattr(self, node.data)(node.meta, children)
        return built[id(tree)]

    def _s(self, meta):
        return _span(self.path, meta, self.line0)

    def _number(self, tok: Token) -> ast.Quantity:
        """A whole number as written (a year, a rank, decimals); `check` says whether it is one."""
        return ast.Quantity(float(tok), str(tok), None, _tspan(self.path, tok, self.line0))

    def start(self, meta, items):
        return ast.File(self.path, tuple(items))

    # --- small pieces
    def unit(self, meta, c):
        return ast.UnitSpec(str(c[0]).strip(), self._s(meta))

    def dotted(self, meta, c):
        return tuple(str(t) for t in c), self._s(meta)

    def under(self, meta, c):
        return tuple(str(t) for t in c)

    def tolerance(self, meta, c):
        return float(c[-1])

    # --- expressions
    def quantity(self, meta, c):
        unit = c[1] if len(c) > 1 else None
        return ast.Quantity(float(c[0]), str(c[0]), unit, self._s(meta))

    def ref(self, meta, c):
        path, span = c[0]
        return ast.Ref(path, span)

    def own_ref(self, meta, c):
        return ast.OwnRef(self._s(meta))

    def call(self, meta, c):
        name = c[0]
        return ast.Call(str(name), tuple(c[1:]), self._s(meta))

    def _bin(op):
        def build(self, meta, c):
            return ast.BinOp(op, c[0], c[1], self._s(meta))
        return build

    add, sub, mul, div = _bin("+"), _bin("-"), _bin("*"), _bin("/")

    def neg(self, meta, c):
        return ast.Neg(c[0], self._s(meta))

    def at_year(self, meta, c):
        # `x@2006` is the call `@(x, 2006)`: every pass that walks calls (names, depth, the
        # language server) sees its operand; `check.years` gives it its meaning.
        year = ast.Quantity(float(c[1]), str(c[1]), None, self._s(meta))
        return ast.Call(ast.AT_YEAR, (c[0], year), self._s(meta))

    # --- published values
    def pub_none(self, meta, c):
        return ast.PubNone(self._s(meta))

    def pub_number(self, meta, c):
        qualifier, unit, tol = None, None, None
        rest = list(c)
        if isinstance(rest[0], Token) and rest[0].type == "QUALIFIER":
            qualifier = _QUALIFIERS[" ".join(str(rest.pop(0)).split())]
        num = rest.pop(0)
        for x in rest:
            if isinstance(x, ast.UnitSpec):
                unit = x
            else:
                tol = x
        text = str(num) + (f" {unit.text}" if unit else "")
        return ast.PubNumber(float(num), _decimals(str(num)), qualifier, unit, tol, text, self._s(meta))

    def pub_range(self, meta, c):
        lo, hi = c[0], c[1]
        unit = c[2] if len(c) > 2 else None
        decimals = max(_decimals(str(lo)), _decimals(str(hi)))
        text = f"{lo}..{hi}" + (f" {unit.text}" if unit else "")
        return ast.PubRange(float(lo), float(hi), decimals, unit, text, self._s(meta))

    def pub_name(self, meta, c):
        return ast.PubName(str(c[0]), self._s(meta))

    # --- declarations
    def municipality(self, meta, c):
        return ast.Municipality(str(c[0]), str(c[1]) if len(c) > 1 else None, self._s(meta))

    def group(self, meta, c):
        members = c[1:]
        years = tuple((first, last) for _, first, last in members)
        return ast.Group(str(c[0]), tuple(e for e, _, _ in members), self._s(meta),
                         years if any(first or last for first, last in years) else ())

    def member(self, meta, c):
        limits = dict(c[1:])
        return c[0], limits.get("from"), limits.get("until")

    def member_from(self, meta, c):
        return ("from", self._number(c[0]))

    def member_until(self, meta, c):
        return ("until", self._number(c[0]))

    def own(self, meta, c):
        return ast.Own(str(c[0]), self._number(c[1]), self._s(meta))

    def panel(self, meta, c):
        return ast.Panel(_string(c[0]), _string(c[1]) if len(c) > 1 else None, self._s(meta))

    def basis(self, meta, c):
        title = _string(c[1]) if len(c) == 3 else None
        return ast.Basis(str(c[0]), title, c[-1], self._s(meta))

    def better(self, meta, c):
        return ("better", str(c[0]), self._s(meta))

    def source(self, meta, c):
        return ("source", _string(c[0]), self._s(meta))

    def formula(self, meta, c):
        return ("formula", c[0], self._s(meta))

    def note(self, meta, c):
        return ("note", _string(c[0]), self._s(meta))

    def unit_field(self, meta, c):
        return ("unit", c[0], self._s(meta))

    def round(self, meta, c):
        return ("round", self._number(c[0]), self._s(meta))

    def saving(self, meta, c):
        return ("saving", c[0], self._s(meta))

    def let(self, meta, c):
        return ast.Let(str(c[0]), c[1], self._s(meta))

    def adjust(self, meta, c):
        return ast.Adjust(str(c[0]), c[1], _string(c[2]), self._s(meta))

    def indicator(self, meta, c):
        name, title, fields = _head(c)
        f, repeated = _fields(fields)
        return ast.Indicator(
            name, title, f.get("unit"), f.get("better"), f.get("source"), f.get("formula"),
            tuple(f.get("notes", ())), self._s(meta), repeated,
        )

    def measure(self, meta, c):
        name, title, fields = _head(c)
        f, repeated = _fields(fields)
        return ast.Measure(
            name, title,
            tuple(x for x in fields if isinstance(x, ast.Let)),
            tuple(x for x in fields if isinstance(x, ast.Adjust)),
            f.get("saving"), f.get("unit"), f.get("round"), tuple(f.get("notes", ())),
            tuple(x for x in fields if isinstance(x, ast.Claim)),
            self._s(meta), repeated,
        )

    def claim(self, meta, c):
        name, label = str(c[0]), _string(c[1])
        under = c[2] if isinstance(c[2], tuple) else ()
        expr, pub = c[-2], c[-1]
        return ast.Claim(name, label, under, expr, pub, self._s(meta))

    def column(self, meta, c):
        basis = str(c[2]) if len(c) > 2 else None
        return ast.Column(str(c[0]), _string(c[1]), basis, self._s(meta))

    def section(self, meta, c):
        return ast.Section(_string(c[0]), self._s(meta))

    def row(self, meta, c):
        c = list(c)
        name = str(c.pop(0)) if c[0].type == "NAME" else None
        label = _string(c.pop(0))
        source = str(c.pop(0))
        return ast.Row(name or source, label, source, tuple(c), self._s(meta))

    def total(self, meta, c):
        c = list(c)
        name = str(c.pop(0)) if c and isinstance(c[0], Token) and c[0].type == "NAME" else "total"
        label = _string(c.pop(0)) if c and isinstance(c[0], Token) and c[0].type == "STRING" else "Sum"
        return ast.Total(name, label, tuple(c), self._s(meta))

    def table(self, meta, c):
        name, title, fields = _head(c)
        f, _ = _fields(fields)  # a table's only such field is `note`, which may repeat
        return ast.Table(
            name, title,
            tuple(x for x in fields if isinstance(x, ast.Column)),
            tuple(x for x in fields if isinstance(x, (ast.Section, ast.Row, ast.Total))),
            tuple(f.get("notes", ())), self._s(meta),
        )

    def known(self, meta, c):
        path, span = c[0]
        reconcile = None
        if len(c) > 2:
            reconcile = (str(c[2]), str(c[3]), self._number(c[4]) if len(c) > 4 else None)
        return ast.Known(path, _string(c[1]), reconcile, self._s(meta))

    # --- tests (`test "…" { … }`, checked by check/tests.py, run by testing.py)
    def test(self, meta, c):
        parts = c[1:]
        return ast.Test(_string(c[0]), tuple(x for x in parts if isinstance(x, ast.Own)),
                        tuple(x for x in parts if isinstance(x, (ast.Panel, ast.InlinePanel))),
                        tuple(x for x in parts if isinstance(x, ast.Expect)),
                        tuple(x[1] for x in parts if isinstance(x, tuple)), self._s(meta))

    def inline_panel(self, meta, c):
        return ast.InlinePanel(tuple(ast.PanelRow(str(t).rstrip(" \t\f"), t.line + self.line0, t.column) for t in c),
                               self._s(meta))

    def expect(self, meta, c):
        under = str(c[1]) if len(c) == 3 else None
        return ast.Expect(c[0], under, c[-1], self._s(meta))

    def negative(self, meta, c):  # `= -2.5`: a value below zero, which a test may expect
        p = self.pub_number(meta, c)
        return attrs.evolve(p, value=-p.value, text="-" + p.text)

    def not_computed(self, meta, c):
        return ast.NotComputed(self._s(meta))


_QUALIFIERS = lexicon.QUALIFIERS


def _head(c):
    name = str(c[0])
    if len(c) > 1 and isinstance(c[1], Token) and c[1].type == "STRING":
        return name, _string(c[1]), c[2:]
    return name, None, c[1:]


_FIELD_WORDS = {"formula": "="}


def _fields(fields) -> tuple[dict, tuple[ast.Repeated, ...]]:
    """A block's one-line fields by name; a field given again is kept aside for `check` to report."""
    out: dict = {}
    where: dict = {}
    repeated = []
    for x in fields:
        if isinstance(x, tuple) and len(x) == 3 and isinstance(x[0], str):
            key, value, span = x
            if key == "note":
                out.setdefault("notes", []).append(value)
            elif key in out:
                repeated.append(ast.Repeated(_FIELD_WORDS.get(key, key), where[key], span))
            else:
                out[key], where[key] = value, span
    return out, tuple(repeated)
