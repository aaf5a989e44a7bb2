"""Where every name of a program is declared and used: the index behind definition, references and outline.

Built from the parsed files (the AST) and their text.  Expressions carry spans
for their names; the names the AST keeps as plain strings (a declaration's own
name, `under` bases, a column's basis, a row's measure, `adjust`, `known`,
`reconcile`) are found on the declaration's line, with strings and comments
blanked out so that a word in a label or a comment is never taken for a name.

A symbol's key is (kind, qualified name): ("indicator", "kg_hours"),
("let", "MEASURE.x"), ("claim", "MEASURE.c"), ("row", "TABLE.r"),
("column", "TABLE.c").  Municipalities, groups, bases, indicators, measures and
tables share one namespace, as in `check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from benchdsl import ast
from benchdsl.ast import Span
from benchdsl.diagnostics import split_lines

Key = tuple[str, str]

GLOBAL_KINDS = {ast.Municipality: "municipality", ast.Group: "group", ast.Basis: "basis",
                ast.Indicator: "indicator", ast.Measure: "measure", ast.Table: "table"}
_NAME = r"[^\W\d]\w*"
_WORD = re.compile(_NAME)
STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#.*')


def blank(line: str) -> str:
    """The line with strings and comments replaced by spaces: columns stay where they were."""
    return STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), line)


@attrs.frozen
class Symbol:
    key: Key
    span: Span  # the name where it is declared
    extent: Span  # the whole declaration, without the blank lines after it
    node: object  # the AST node

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1].rsplit(".", 1)[-1] if self.kind in ("let", "claim", "row", "column") else self.key[1]


@attrs.frozen
class Use:
    key: Key
    span: Span
    declaration: bool = False


@attrs.frozen
class Published:
    """A published value in a row or claim, and the audit items it is compared in."""

    span: Span
    items: tuple[str, ...]


@attrs.frozen
class Outline:
    name: str
    detail: str
    kind: str
    extent: Span
    span: Span
    children: tuple[Outline, ...] = ()


class Index:
    def __init__(self) -> None:
        self.symbols: dict[Key, Symbol] = {}
        self.kinds: dict[str, str] = {}  # global name -> kind
        self.uses: dict[str, list[Use]] = {}
        self.published: dict[str, list[Published]] = {}
        self.outlines: dict[str, list[Outline]] = {}

    def at(self, path: str, line: int, column: int) -> Use | None:
        """The name at a position (1-based; the column just after a name still counts)."""
        return _find(self.uses.get(path, ()), line, column)

    def published_at(self, path: str, line: int, column: int) -> Published | None:
        return _find(self.published.get(path, ()), line, column)

    def references(self, key: Key, declaration: bool = True) -> list[Span]:
        return [u.span for uses in self.uses.values() for u in uses
                if u.key == key and (declaration or not u.declaration)]

    def of_kind(self, *kinds: str) -> list[Symbol]:
        return [s for s in self.symbols.values() if s.kind in kinds]


def _find(items: Iterable, line: int, column: int):
    for x in items:
        s = x.span
        if s.line == line and s.column <= column <= (s.end_column if s.end_line == line else s.column + 1):
            return x
    return None


def _start(span: Span) -> Span:
    return Span(span.path, span.line, span.column, span.line, span.column + 1)


def build(files: Iterable[tuple[str, ast.File]]) -> Index:
    """files: (text, parsed file) for every file of one program."""
    return _Builder(list(files)).run()


class _Builder:
    def __init__(self, files: list[tuple[str, ast.File]]):
        self.files = files
        self.lines = {f.path: split_lines(text) for text, f in files}
        self.index = Index()

    # --- positions ----------------------------------------------------------------------
    def line(self, path: str, lineno: int) -> str:
        lines = self.lines.get(path, [])
        return blank(lines[lineno - 1]) if 1 <= lineno <= len(lines) else ""

    def find(self, span: Span | None, pattern: str, group: int = 1) -> Span | None:
        """Where a pattern's group matches on the first line of a node, from the node's column on."""
        if span is None:
            return None
        m = re.compile(pattern).search(self.line(span.path, span.line), max(span.column - 1, 0))
        if m is None or m.start(group) < 0:
            return None
        return Span(span.path, span.line, m.start(group) + 1, span.line, m.end(group) + 1)

    def words(self, span: Span | None) -> list[tuple[str, Span]]:
        """The names within a span's first line: the parts of a dotted name, a list of bases."""
        if span is None:
            return []
        text = self.line(span.path, span.line)
        end = span.end_column - 1 if span.end_line == span.line and span.end_column > span.column else len(text)
        return [(m.group(), Span(span.path, span.line, m.start() + 1, span.line, m.end() + 1))
                for m in _WORD.finditer(text, span.column - 1, end)]

    def extent(self, span: Span) -> Span:
        """A declaration's span ends where the next one starts; end it on its own last line instead."""
        lines = self.lines.get(span.path, [])
        end = span.end_line if span.end_column > 1 else span.end_line - 1
        end = min(max(end, span.line), len(lines))
        while end > span.line and not blank(lines[end - 1]).strip():
            end -= 1
        last = lines[end - 1].rstrip() if 1 <= end <= len(lines) else ""
        return Span(span.path, span.line, span.column, end, len(last) + 1)

    # --- the index -------------------------------------------------------------------------
    def define(self, key: Key, node, name_at: Span | None, outline: list | None = None, detail: str = ""):
        span = name_at or _start(node.span)
        if key not in self.index.symbols:
            self.index.symbols[key] = Symbol(key, span, self.extent(node.span), node)
            if key[0] in ("municipality", "group", "basis", "indicator", "measure", "table"):
                self.index.kinds[key[1]] = key[0]
        self.use(key, span, declaration=key in self.index.symbols and self.index.symbols[key].span == span)
        if outline is not None:
            outline.append(Outline(key[1].rsplit(".", 1)[-1], detail, key[0], self.extent(node.span), span))

    def use(self, key: Key | None, span: Span | None, declaration: bool = False) -> None:
        if key is not None and span is not None and key in self.index.symbols:
            self.index.uses.setdefault(span.path, []).append(Use(key, span, declaration))

    def run(self) -> Index:
        for _, f in self.files:
            self.index.uses.setdefault(f.path, [])
            self.index.outlines[f.path] = []
            for d in f.decls:
                self.declare(d, self.index.outlines[f.path])
        for _, f in self.files:
            for d in f.decls:
                self.refer(d)
        for uses in self.index.uses.values():
            uses.sort(key=lambda u: (u.span.line, u.span.column))
        return self.index

    def declare(self, d, outline: list) -> None:
        kind = GLOBAL_KINDS.get(type(d))
        if kind is not None:
            keyword = "indicator|measure|table" if kind in ("indicator", "measure", "table") else kind
            children: list[Outline] = []
            name_at = self.find(d.span, rf"^\s*(?:{keyword})\s+({_NAME})") or _start(d.span)
            self.define((kind, d.name), d, name_at)
            if isinstance(d, ast.Measure):
                for let in d.lets:
                    self.define(("let", f"{d.name}.{let.name}"), let, self.find(let.span, rf"let\s+({_NAME})"),
                                children)
                for c in d.claims:
                    self.define(("claim", f"{d.name}.{c.name}"), c, self.find(c.span, rf"claim\s+({_NAME})"),
                                children, c.label)
            elif isinstance(d, ast.Table):
                for c in d.columns:
                    self.define(("column", f"{d.name}.{c.name}"), c, self.find(c.span, rf"column\s+({_NAME})"),
                                children, c.header)
                for r in d.body:
                    if isinstance(r, (ast.Row, ast.Total)):
                        named = self.find(r.span, rf"(?:row|total)\s+({_NAME})")
                        keyword = self.find(r.span, r"(row|total)")
                        self.define(("row", f"{d.name}.{r.name}"), r, named or keyword, children, r.label)
            title = getattr(d, "title", None) or ""
            if isinstance(d, ast.Municipality):
                title = d.code or ""
            outline.append(Outline(d.name, title, kind, self.extent(d.span), name_at, tuple(children)))
        elif isinstance(d, ast.Claim):
            self.define(("claim", d.name), d, self.find(d.span, rf"claim\s+({_NAME})"), outline, d.label)
        elif isinstance(d, (ast.Own, ast.Panel, ast.Known)):
            text = {ast.Own: lambda: f"own {d.name} {d.year}", ast.Panel: lambda: f'panel "{d.path}"',
                    ast.Known: lambda: f"known {d.name}"}[type(d)]()
            extent = self.extent(d.span)
            outline.append(Outline(text, "", type(d).__name__.lower(), extent, extent))
        elif isinstance(d, ast.Test):  # in the outline by its title; its expectations are no declarations
            extent = self.extent(d.span)
            outline.append(Outline(f'test "{d.title}"', "", "test", extent, extent))

    # --- uses ---------------------------------------------------------------------------------
    def refer(self, d) -> None:
        if isinstance(d, ast.Group):
            for e in d.members:
                self.expr(e)
        elif isinstance(d, ast.Own):
            self.use(self.global_key(d.name), self.find(d.span, rf"own\s+({_NAME})"))
        elif isinstance(d, ast.Basis):
            self.expr(d.expr)
        elif isinstance(d, ast.Indicator):
            if d.formula is not None:
                self.expr(d.formula)
        elif isinstance(d, ast.Measure):
            lets = {let.name for let in d.lets}
            for let in d.lets:
                self.expr(let.expr, d.name, lets)
            for a in d.adjusts:
                self.use(self.global_key(a.indicator), self.find(a.span, rf"adjust\s+({_NAME})"))
                self.expr(a.amount, d.name, lets)
            if d.saving is not None:
                self.expr(d.saving, d.name, lets)
            for c in d.claims:
                self.claim(c, d.name, lets)
        elif isinstance(d, ast.Claim):
            self.claim(d, None, set())
        elif isinstance(d, ast.Table):
            self.table(d)
        elif isinstance(d, ast.Known):
            target = self.find(d.span, rf"known\s+({_NAME}(?:\s*\.\s*{_NAME})*)")
            self.dotted(self.words(target))
            if d.reconcile is not None:
                ind = self.find(d.span, rf"\breconcile\s+({_NAME})")
                muni = self.find(d.span, rf"\breconcile\s+{_NAME}\s+({_NAME})")
                self.use(self.global_key(d.reconcile[0]), ind)
                self.use(self.global_key(d.reconcile[1]), muni)

    def global_key(self, name: str) -> Key | None:
        kind = self.index.kinds.get(name)
        return (kind, name) if kind else None

    def claim(self, c: ast.Claim, measure: str | None, lets: set[str]) -> None:
        under = self.find(c.span, r"\bunder\s+([^:]*)")
        for name, span in self.words(under):
            self.use(("basis", name), span)
        self.expr(c.expr, measure, lets, claim=True)
        if isinstance(c.published, ast.PubName):
            self.use(self.global_key(c.published.name), c.published.span)
        base = f"{measure}.{c.name}" if measure else c.name
        items = tuple(f"{base}.{s}" for s in c.under) if len(c.under) > 1 else (base,)
        self.publish(c.published, items)

    def table(self, t: ast.Table) -> None:
        for c in t.columns:
            if c.basis is not None:
                self.use(("basis", c.basis), self.find(c.span, rf"=\s*({_NAME})"))
        for r in t.body:
            if isinstance(r, ast.Row):
                self.use(self.global_key(r.source), self.find(r.span, rf"=\s*({_NAME})"))
            if isinstance(r, (ast.Row, ast.Total)):
                for col, p in zip(t.columns, r.published):
                    self.publish(p, (f"{t.name}.{r.name}.{col.name}",))

    def publish(self, p, items: tuple[str, ...]) -> None:
        if getattr(p, "span", None) is not None:
            self.index.published.setdefault(p.span.path, []).append(Published(p.span, items))

    def expr(self, e, measure: str | None = None, lets: set[str] = frozenset(), claim: bool = False) -> None:
        stack = [e]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Ref):
                parts = self.words(n.span)
                if len(parts) != len(n.path):
                    continue
                head = n.path[0]
                if len(parts) == 1 and head in lets:
                    self.use(("let", f"{measure}.{head}"), parts[0][1])
                elif len(parts) == 1 and head == "saving" and claim and measure and head not in self.index.kinds:
                    self.use(("measure", measure), parts[0][1])
                else:
                    self.dotted(parts)
            elif isinstance(n, ast.BinOp):
                stack += [n.right, n.left]
            elif isinstance(n, ast.Neg):
                stack.append(n.operand)
            elif isinstance(n, ast.Call):
                stack.extend(reversed(n.args))

    def dotted(self, parts: list[tuple[str, Span]]) -> None:
        """TABLE.ROW.COLUMN, MEASURE.CLAIM[.BASIS], CLAIM[.BASIS], or a plain name."""
        if not parts:
            return
        head, span = parts[0]
        key = self.global_key(head) or (("claim", head) if ("claim", head) in self.index.symbols else None)
        self.use(key, span)
        rest = parts[1:]
        if key is None or not rest:
            return
        if key[0] == "table":
            self.use(("row", f"{head}.{rest[0][0]}"), rest[0][1])
            if len(rest) > 1:
                self.use(("column", f"{head}.{rest[1][0]}"), rest[1][1])
        elif key[0] == "measure":
            self.use(("claim", f"{head}.{rest[0][0]}"), rest[0][1])
            if len(rest) > 1:
                self.use(("basis", rest[1][0]), rest[1][1])
        elif key[0] == "claim":
            self.use(("basis", rest[0][0]), rest[0][1])
