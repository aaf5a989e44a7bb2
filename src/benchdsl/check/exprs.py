"""Expressions and units -> IR: one expression at a time, with the names a scope allows.

`Exprs` turns an expression into an IR node and its unit (a pint quantity),
reduces unit conversions to float factors, and reads comparison bases (through
`bases`) and published values (through `published`).  It is given the
checker's `Context` (names, units of indicators and measures, tables) and the
`Names` part (groups); errors go to the context, so all of them are collected.
"""

from __future__ import annotations

import enum
import math

from benchdsl import ast, bases, ir, lexicon, published, units
from benchdsl.check import years
from benchdsl.check.context import Context, article, source_text
from benchdsl.check.names import Names
from benchdsl.diagnostics import did_you_mean


class Where(enum.Enum):
    """Where an expression is written, which decides what names it may use."""

    INDICATOR = "indicator"  # a formula: values of the municipality, no bases
    MEASURE = "measure"  # a let, an adjustment, a saving
    CLAIM = "claim"  # also savings of measures and, at the top level, table cells
    BASIS = "basis"  # a `basis` declaration


class Scope:
    """What names an expression may use."""

    def __init__(self, kind: Where, measure: str | None = None, scenario: bool = False):
        self.kind = kind
        self.measure = measure
        self.scenario = scenario  # a scenario supplies basis() without a policy
        self.lets: dict[str, object] = {}
        self.later: dict[str, ast.Let] = {}  # the measure's lets below the one being checked
        self.defining: str | None = None  # the let being checked
        self.failed: set[str] = set()  # lets whose errors are reported: their uses need not be


class Exprs:
    """Typing of expressions.  Also the context `bases` and `published` read their arguments through."""

    def __init__(self, ctx: Context, names: Names):
        self.c = ctx
        self.names = names
        self.unit_memo: dict = {}  # unit arithmetic, see `show`, `factor`, `combine`
        self.row_names_memo: dict[str, set[str]] = {}

    # --- what `bases` and `published` read through this context ------------------
    def err(self, span, message, hint=None, about: str | None = None) -> None:
        self.c.err(span, message, hint, about)

    def names_of(self, *kinds: str) -> list[str]:
        return self.c.names_of(*kinds)

    def is_indicator(self, name: str) -> bool:
        return self.c.is_indicator(name)

    def is_municipality(self, name: str) -> bool:
        return self.c.is_municipality(name)

    def indicator_unit(self, name: str):
        """An indicator's unit (a pint quantity), or None where the indicator did not check (reported there)."""
        return self.c.ind_units.get(name)

    def whole(self, q, what: str, low: int, high: int, example: str | None = None) -> int | None:
        return self.c.whole(q, what, low, high, example)

    def member_set(self, e, stack=()) -> ir.MemberSet | None:
        return self.names.member_set(e, stack)

    @staticmethod
    def text(e) -> str:
        return source_text(e)

    # --- units ---------------------------------------------------------------------
    def unit(self, spec: ast.UnitSpec | None, span=None):
        if spec is None:
            return units.dimensionless()
        try:
            return units.parse(spec.text)
        except units.UnitError as exc:
            self.err(spec.span or span, str(exc), exc.hint)
            return None

    def same_unit(self, a: str, b: str) -> bool:
        try:
            return self.factor(units.parse(a), units.parse(b)) == 1
        except units.UnitError:
            return False

    # --- unit arithmetic, memoised: a pint operation takes about 0.1 ms, and a rule
    # set combines the same few units over and over (10 000 measures: 10 000 times).
    def ukey(self, q):
        """A hashable key for a quantity's unit; by identity first, as the same objects recur."""
        known = self.unit_memo.get(id(q))
        if known is None or known[0] is not q:
            known = self.unit_memo[id(q)] = (q, (q.magnitude, q.units))  # q kept, so its id stays its own
        return known[1]

    def show(self, q) -> str:
        key = ("show", self.ukey(q))
        if key not in self.unit_memo:
            self.unit_memo[key] = units.show(q)
        return self.unit_memo[key]

    def factor(self, src, dst) -> float:
        key = ("factor", self.ukey(src), self.ukey(dst))
        if key not in self.unit_memo:
            try:
                self.unit_memo[key] = units.factor(src, dst)
            except units.UnitError as exc:
                self.unit_memo[key] = exc
        got = self.unit_memo[key]
        if isinstance(got, units.UnitError):
            raise units.UnitError(str(got), got.hint)
        return got

    def combine(self, op: str, a, b):
        key = (op, self.ukey(a), self.ukey(b))
        if key not in self.unit_memo:
            self.unit_memo[key] = a * b if op == "*" else a / b
        return self.unit_memo[key]

    # --- expressions -------------------------------------------------------
    def scaled(self, node, q, target, span, what: str):
        try:
            f = self.factor(q, target)
        except units.UnitError as exc:
            self.err(span, f"{what} has unit {self.show(q)}, which is not {self.show(target)}", exc.hint)
            return None
        return ir.Scaled(node, f, self.show(target))

    def expr(self, e, scope: Scope):
        """-> (ir node, unit quantity) or None after reporting an error."""
        if id(e) in self.c.too_deep:
            return None
        if isinstance(e, ast.Quantity):
            if not math.isfinite(e.value):
                self.err(e.span, f"{e.text} is too large for a number (at most about 1.8e308)")
                return None
            q = self.unit(e.unit, e.span)
            if q is None:
                return None
            return ir.Const(e.value, self.show(q), e.text + (f" {e.unit.text}" if e.unit else ""), e.span), q
        if isinstance(e, ast.Ref):
            return self.ref(e, scope)
        if isinstance(e, ast.OwnRef):
            self.err(e.span, "`own` names a municipality, not a value",
                     "use an indicator for its own value, or `mean(ASSS - own)` in a basis")
            return None
        if isinstance(e, ast.Neg):
            got = self.expr(e.operand, scope)
            return None if got is None else (ir.Neg(got[0], self.show(got[1]), e.span), got[1])
        if isinstance(e, ast.BinOp):
            left, right = self.expr(e.left, scope), self.expr(e.right, scope)
            if left is None or right is None:
                return None
            (ln, lq), (rn, rq) = left, right
            if ln.unit == "municipality" or rn.unit == "municipality":
                self.err(e.span, "peer() gives a municipality, which cannot take part in arithmetic")
                return None
            if e.op in "+-":
                try:
                    f = self.factor(rq, lq)
                except units.UnitError as exc:
                    verb = "add" if e.op == "+" else "subtract"
                    self.err(e.span, f"cannot {verb} {self.show(lq)} and {self.show(rq)}", exc.hint)
                    return None
                return ir.Arith(e.op, ln, rn, f, self.show(lq), e.span), lq
            q = self.combine(e.op, lq, rq)
            return ir.Arith(e.op, ln, rn, 1.0, self.show(q), e.span), q
        if isinstance(e, ast.Call):
            return self.call(e, scope)
        raise AssertionError(f"unknown node {e!r}")  # a bug, not an input error

    def ref(self, e: ast.Ref, scope: Scope):
        if len(e.path) == 3:
            return self.cell_ref(e, scope)
        name = e.name
        if len(e.path) == 1:
            if name in scope.lets:
                q = scope.lets[name]
                return ir.LetRef(name, self.show(q), e.span), q
            if name in scope.failed:
                return None
            if name == "saving" and scope.kind is Where.CLAIM and scope.measure:
                q = self.c.measure_units.get(scope.measure)
                if q is not None:
                    return ir.SavingRef(scope.measure, self.show(q), e.span), q
            kind = self.c.kind_of.get(name)
            if kind == "indicator":
                q = self.c.ind_units.get(name)
                if q is None:
                    return None
                return ir.OwnVal(name, self.show(q), e.span), q
            if kind == "measure" and scope.kind is Where.CLAIM:
                q = self.c.measure_units.get(name)
                if q is None:
                    return None
                if not scope.scenario:
                    self.err(e.span, f"measure `{name}` is computed under a basis; add `under BASIS` to the claim")
                    return None
                return ir.SavingRef(name, self.show(q), e.span), q
            if kind in ("municipality", "group"):
                self.err(e.span, f"`{name}` is {article(kind)}, not a value",
                         f"for a municipality's value of an indicator write basis(INDICATOR, {name})"
                         if kind == "municipality" else f"for a group's mean write basis(INDICATOR, mean({name}))")
                return None
            if kind is not None:
                self.err(e.span, f"`{name}` is {article(kind)}, not a value")
                return None
            if name == scope.defining:
                self.err(e.span, f"`let {name}` uses itself", "a `let` is computed from the lets above it")
                return None
            if name in scope.later:
                self.err(e.span, f"`{name}` is defined by a later `let`, at line {scope.later[name].span.line}",
                         "a `let` can use only the lets above it: move this one below")
                return None
        candidates = list(scope.lets) + self.names_of("indicator") + (
            self.names_of("measure") if scope.kind is Where.CLAIM else [])
        self.err(e.span, f"unknown name `{name}`", did_you_mean(name, candidates), about=name)
        return None

    def cell_ref(self, e: ast.Ref, scope: Scope):
        t, r, c = e.path
        table = self.c.tables.get(t)
        if table is None or scope.kind is not Where.CLAIM or scope.measure:
            self.err(e.span, f"`{e.name}` is not a table cell",
                     did_you_mean(t, self.c.tables) if table is None else "table cells can be used in top-level claims",
                     about=t)
            return None
        if r not in self.row_names(table):
            self.err(e.span, f"table `{t}` has no row `{r}`",
                     did_you_mean(r, [row.name for row in table.rows if row.kind != ir.RowKind.SECTION]))
            return None
        if c not in {col.name for col in table.columns}:
            self.err(e.span, f"table `{t}` has no column `{c}`", did_you_mean(c, [col.name for col in table.columns]))
            return None
        q = units.parse(table.unit)
        return ir.CellRef(t, r, c, table.unit, e.span), q

    def row_names(self, table: ir.Table) -> set[str]:
        """Once per table: claims may name many cells of a long one."""
        if table.name not in self.row_names_memo:
            self.row_names_memo[table.name] = {row.name for row in table.rows if row.kind != ir.RowKind.SECTION}
        return self.row_names_memo[table.name]

    def call(self, e: ast.Call, scope: Scope):
        name = e.name
        if years.handles(name):
            return years.call(self, e, scope)
        if name in lexicon.BASES:
            self.err(e.span, f"{name}() is a comparison basis, not a value",
                     f"use it inside basis(INDICATOR, {name}(...)) or in a `basis` declaration")
            return None
        if name in ("max", "min"):
            if len(e.args) < 2:
                self.err(e.span, f"{name}() takes two or more values")
                return None
            got = [self.expr(a, scope) for a in e.args]
            if any(g is None for g in got):
                return None
            q0 = got[0][1]
            factors = []
            for (n, q), a in zip(got, e.args):
                try:
                    factors.append(self.factor(q, q0))
                except units.UnitError as exc:
                    self.err(a.span, f"{name}() of {self.show(q0)} and {self.show(q)}", exc.hint)
                    return None
            return ir.Extreme(name, tuple(n for n, _ in got), tuple(factors), self.show(q0), e.span), q0
        if name not in ("basis", "gap", "peer"):
            self.err(e.span, f"unknown function `{name}`", did_you_mean(name, lexicon.FUNCTIONS + lexicon.BASES))
            return None
        if scope.kind is Where.INDICATOR:
            self.err(e.span, f"{name}() cannot be used in an indicator's formula",
                     "an indicator is a value per municipality; compare it in a measure")
            return None
        if not 1 <= len(e.args) <= 2:
            self.err(e.span, f"{name}() takes an indicator and optionally a basis: {name}(x) or {name}(x, Bergen)")
            return None
        target = e.args[0]
        if not (isinstance(target, ast.Ref) and self.c.kind_of.get(target.name) == "indicator"):
            # `about`: a declaration that failed to parse is reported once, not again at each use
            self.err(getattr(target, "span", e.span), f"the first argument of {name}() must be an indicator",
                     did_you_mean(getattr(target, "name", ""), self.names_of("indicator")),
                     about=getattr(target, "name", None))
            return None
        ind = target.name
        q = self.c.ind_units.get(ind)
        if q is None:
            return None
        policy = None
        if len(e.args) == 2:
            policy = self.policy(e.args[1], q, scope)
            if policy is None:
                return None
        elif not scope.scenario:
            self.err(e.span, f"{name}({ind}) needs a basis: this claim names none",
                     f"add `under BASIS` to the claim, or write {name}({ind}, mean(ASSS - own))")
            return None
        if name == "peer":
            return ir.PeerOf(ind, policy, span=e.span), None
        if name == "gap":
            d = self.c.decls[ind]
            if d.better is None:
                self.err(e.span, f"gap({ind}) needs to know which direction is better",
                         f"add `better lower` or `better higher` to indicator `{ind}`")
                return None
            return ir.Gap(ind, policy, self.show(q), e.span), q
        return ir.BasisVal(ind, policy, self.show(q), e.span), q

    def policy(self, e, ind_unit, scope: Scope):
        """A comparison basis: mean(G), best(k, G), a municipality, year(Y), or a literal value (see `bases`)."""
        if id(e) in self.c.too_deep:
            return None
        kind = bases.written(e, self)
        if kind is not None:
            return kind.read(e, self, ind_unit, scope)
        hint = None
        if isinstance(e, ast.Ref):
            hint = did_you_mean(e.name, self.names_of("municipality"))
        self.err(getattr(e, "span", None), f"not a comparison basis; expected {bases.expected()}", hint)
        return None

    # --- published values ------------------------------------------------------------
    def published(self, p, q, span, what: str) -> ir.PubValue | None:
        """A published value, read by its form (see `published`); q: the computed unit, None for a municipality."""
        return published.read(p, q, self, span, what)

    def word(self, name: str):
        """A word's meaning in the scale (`check.words.Meaning`), or None: not a word of the scale."""
        return self.c.words.get(name)

    def word_failed(self, name: str) -> bool:
        return name in self.c.broken_words

    def words_like(self, name: str, before_number: bool) -> list[str]:
        return [w for w, m in self.c.words.items() if m.before_number == before_number]

    def pub_factor(self, q, p) -> float:
        """Converts a computed value into the unit a published value is written in."""
        text = self.written_unit(q, p)
        if text is None:
            return 1.0
        return units.published_factor(q, units.parse(text))

    def pub_unit(self, q, p) -> str:
        text = self.written_unit(q, p)
        return self.show(q) if text is None else text

    def written_unit(self, q, p) -> str | None:
        """The unit a published value is in: its own, or for a phrase alone its meaning's (`noe over`: %);
        None: the unit computed."""
        if getattr(p, "unit", None) is not None:
            return p.unit.text
        words = getattr(p, "words", None)
        if words is None and isinstance(p, ast.PubName) and q is not None and not self.is_municipality(p.name):
            words = lexicon.normal_word(p.name)  # `= litt`: read as a word (published.read)
        m = self.word(words) if words is not None else None
        return m.unit if m is not None and not m.before_number else None
