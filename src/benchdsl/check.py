"""AST -> checked program: names, references, units, duplicates, cycles.

Every unit in the rules is resolved here, once, into float factors; a rule
whose units do not combine into its declared unit is rejected before any data
is read.  All problems are collected as diagnostics; checking goes on after an
error so that one run shows them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from benchdsl import ast, ir, units
from benchdsl.diagnostics import Diagnostic, did_you_mean, error

BUILTINS = ("basis", "gap", "peer", "max", "min")
MAX_DECIMALS = 10
POLICIES = ("mean", "wmean", "best", "year")


def check(files: Iterable[ast.File]) -> tuple[ir.Program | None, list[Diagnostic]]:
    c = _Checker(list(files))
    program = c.run()
    return program, c.diags


class _Scope:
    """What names an expression may use."""

    def __init__(self, kind: str, measure: str | None = None, scenario: bool = False):
        self.kind = kind  # "indicator" | "measure" | "claim" | "basis"
        self.measure = measure
        self.scenario = scenario  # a scenario supplies basis() without a policy
        self.lets: dict[str, object] = {}


class _Checker:
    def __init__(self, files: list[ast.File]):
        self.files = files
        self.diags: list[Diagnostic] = []
        self.decls: dict[str, ast.Decl] = {}
        self.kind_of: dict[str, str] = {}
        self.indicators: dict[str, ir.Indicator] = {}
        self.ind_units: dict[str, object] = {}
        self.measure_units: dict[str, object] = {}
        self.tables: dict[str, ir.Table] = {}

    # --- helpers ---------------------------------------------------------
    def err(self, span, message, hint=None, about: str | None = None):
        if about is not None and about in self.broken:
            return
        self.diags.append(error(span, message, hint))

    def unit(self, spec: ast.UnitSpec | None, span=None):
        if spec is None:
            return units.dimensionless()
        try:
            return units.parse(spec.text)
        except units.UnitError as exc:
            self.err(spec.span or span, str(exc), exc.hint)
            return None

    def names_of(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kind_of.items() if k in kinds]

    # --- the pass ---------------------------------------------------------
    def run(self) -> ir.Program | None:
        owns, panels, knowns, claims = [], [], [], []
        # Declarations that did not parse were reported already: stay quiet about their uses.
        self.broken = {name for f in self.files for name in f.broken}
        for f in self.files:
            for d in f.decls:
                if isinstance(d, ast.Own):
                    owns.append(d)
                elif isinstance(d, ast.Panel):
                    panels.append(d)
                elif isinstance(d, ast.Known):
                    knowns.append(d)
                elif isinstance(d, ast.Claim):
                    claims.append(d)
                else:
                    self.declare(d)

        self.municipalities = {
            n: d.code for n, d in self.decls.items() if isinstance(d, ast.Municipality)
        }
        self.groups: dict[str, tuple[str, ...]] = {}
        for name in self.names_of("group"):
            self.resolve_group(name, ())
        own = self.check_own(owns)
        if not panels:
            self.err(None, "no `panel` declaration: the rules read no data",
                     'add a line such as: panel "../data/kostra2007.csv"')
        for name in self.names_of("indicator"):
            self.check_indicator_head(self.decls[name])
        for name in self.names_of("indicator"):
            self.check_formula(name, ())
        scenarios = {}
        for name in self.names_of("basis"):
            d = self.decls[name]
            policy = self.policy(d.expr, None, _Scope("basis"))
            if policy is not None:
                scenarios[name] = ir.Scenario(name, d.title or name, policy, d.span)
        self.scenarios = scenarios
        measures = {}
        all_claims: list[ir.Claim] = []
        for name in self.names_of("measure"):
            m, mc = self.check_measure(self.decls[name])
            if m is not None:
                measures[name] = m
                all_claims.extend(mc)
            else:
                self.broken.add(name)  # its errors are reported; its uses need not be
        self.measures = measures
        for name in sorted(self.names_of("table"), key=_natural):
            t = self.check_table_head(self.decls[name])
            if t is not None:
                self.tables[name] = t
            else:
                self.broken.add(name)
        self.check_table_cycles()
        for cl in claims:
            all_claims.extend(self.check_claim(cl, None))
        all_claims.sort(key=self._claim_order)
        known = self.check_known(knowns, all_claims)
        if any(d.is_error for d in self.diags) or own is None:
            return None
        return ir.Program(
            municipalities=self.municipalities,
            groups=self.groups,
            own=own.name,
            year=own.year,
            own_span=own.span,
            panels=tuple((p.path, p.span, p.mapping) for p in panels),
            indicators=self.indicators,
            scenarios=scenarios,
            measures=measures,
            tables=self.tables,
            claims=tuple(all_claims),
            known=known,
            files=tuple(f.path for f in self.files),
        )

    def _claim_order(self, c: ir.Claim):
        """Claims follow the report: the file of the first table, then the next ..."""
        ranks = {}
        for i, t in enumerate(self.tables.values()):
            ranks.setdefault(t.span.path if t.span else "", i)
        path = c.span.path if c.span else ""
        return (ranks.get(path, len(ranks)), path, c.span.line if c.span else 0)

    def declare(self, d) -> None:
        kind = type(d).__name__.lower()
        if d.name in self.decls:
            prev = self.decls[d.name]
            self.err(d.span, f"`{d.name}` is already declared as {_a(self.kind_of[d.name])} at {prev.span}",
                     "every municipality, group, basis, indicator, measure and table needs its own name")
            return
        self.decls[d.name] = d
        self.kind_of[d.name] = kind

    def check_own(self, owns: list[ast.Own]):
        if not owns:
            self.err(None, "no `own` declaration: whose figures should be computed?",
                     "add a line such as: own Trondheim 2007")
            return None
        for extra in owns[1:]:
            self.err(extra.span, f"a second `own` declaration (the first is at {owns[0].span})")
        own = owns[0]
        if own.name not in self.municipalities:
            self.err(own.span, f"`{own.name}` is not a declared municipality",
                     did_you_mean(own.name, self.municipalities))
        return own

    # --- groups and sets --------------------------------------------------
    def resolve_group(self, name: str, stack: tuple[str, ...]) -> tuple[str, ...]:
        if name in self.groups:
            return self.groups[name]
        d = self.decls[name]
        if name in stack:
            self.err(d.span, f"group `{name}` is defined in terms of itself: {' -> '.join(stack + (name,))}")
            return ()
        members: list[str] = []
        for e in d.members:
            s = self.member_set(e, stack + (name,))
            if s is None:
                continue
            if s.exclude_own or s.include_own:
                self.err(d.span, "a group cannot mention `own`; use it in a basis: mean(ASSS - own)")
            for m in s.members(""):
                if m not in members:
                    members.append(m)
        self.groups[name] = tuple(members)
        return self.groups[name]

    def member_set(self, e, stack=()) -> ir.MemberSet | None:
        if isinstance(e, ast.OwnRef):
            return ir.MemberSet((), include_own=True, text="own")
        if isinstance(e, ast.Ref) and len(e.path) == 1:
            n = e.name
            if self.kind_of.get(n) == "municipality":
                return ir.MemberSet((n,), text=n)
            if self.kind_of.get(n) == "group":
                return ir.MemberSet(self.resolve_group(n, stack), text=n)
            self.err(e.span, f"`{n}` is not a municipality or group",
                     did_you_mean(n, self.names_of("municipality", "group")))
            return None
        if isinstance(e, ast.BinOp) and e.op in "+-":
            left = self.member_set(e.left, stack)
            right = self.member_set(e.right, stack)
            if left is None or right is None:
                return None
            text = f"{left.text} {e.op} {right.text}"
            if e.op == "+":
                inc = left.include + tuple(m for m in right.include if m not in left.include)
                exc = tuple(m for m in left.exclude if m not in right.include)
                return ir.MemberSet(inc, exc, left.exclude_own and not right.include_own,
                                    left.include_own or right.include_own, text)
            return ir.MemberSet(left.include, left.exclude + right.include,
                                left.exclude_own or right.include_own, left.include_own and not right.include_own, text)
        self.err(getattr(e, "span", None), "expected a group of municipalities, e.g. ASSS - own - Oslo")
        return None

    # --- indicators --------------------------------------------------------
    def check_indicator_head(self, d: ast.Indicator) -> None:
        if d.unit is None:
            self.err(d.span, f"indicator `{d.name}` has no unit", "add a line such as: unit NOK/user")
            return
        q = self.unit(d.unit)
        if q is None:
            return
        if d.source and d.formula:
            self.err(d.span, f"indicator `{d.name}` has both a `source` and a formula; give one")
        self.ind_units[d.name] = q

    def check_formula(self, name: str, stack: tuple[str, ...]) -> None:
        if name in self.indicators or name not in self.ind_units:
            return
        d: ast.Indicator = self.decls[name]
        if name in stack:
            self.err(d.span, "indicators defined in terms of each other: " + " -> ".join(stack + (name,)))
            return
        formula = None
        if d.formula is not None:
            for dep in _refs(d.formula):
                if self.kind_of.get(dep) == "indicator":
                    self.check_formula(dep, stack + (name,))
            got = self.expr(d.formula, _Scope("indicator"))
            if got is None:
                return
            node, q = got
            formula = self.scaled(node, q, self.ind_units[name], d.formula.span or d.span,
                                  f"the formula of `{name}`")
            if formula is None:
                return
        self.indicators[name] = ir.Indicator(
            name, d.title or name, units.show(self.ind_units[name]), d.better,
            None if d.formula is not None else (d.source or name), formula, d.notes, d.span,
        )

    # --- expressions -------------------------------------------------------
    def scaled(self, node, q, target, span, what: str):
        try:
            f = units.factor(q, target)
        except units.UnitError as exc:
            self.err(span, f"{what} has unit {units.show(q)}, which is not {units.show(target)}", exc.hint)
            return None
        return ir.Scaled(node, f, units.show(target))

    def expr(self, e, scope: _Scope):
        """-> (ir node, unit quantity) or None after reporting an error."""
        if isinstance(e, ast.Quantity):
            q = self.unit(e.unit, e.span)
            if q is None:
                return None
            return ir.Const(e.value, units.show(q), e.text + (f" {e.unit.text}" if e.unit else ""), e.span), q
        if isinstance(e, ast.Ref):
            return self.ref(e, scope)
        if isinstance(e, ast.OwnRef):
            self.err(e.span, "`own` names a municipality, not a value",
                     "use an indicator for its own value, or `mean(ASSS - own)` in a basis")
            return None
        if isinstance(e, ast.Neg):
            got = self.expr(e.operand, scope)
            return None if got is None else (ir.Neg(got[0], units.show(got[1]), e.span), got[1])
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
                    f = units.factor(rq, lq)
                except units.UnitError as exc:
                    verb = "add" if e.op == "+" else "subtract"
                    self.err(e.span, f"cannot {verb} {units.show(lq)} and {units.show(rq)}", exc.hint)
                    return None
                return ir.Arith(e.op, ln, rn, f, units.show(lq), e.span), lq
            q = lq * rq if e.op == "*" else lq / rq
            return ir.Arith(e.op, ln, rn, 1.0, units.show(q), e.span), q
        if isinstance(e, ast.Call):
            return self.call(e, scope)
        raise AssertionError(f"unknown node {e!r}")  # a bug, not an input error

    def ref(self, e: ast.Ref, scope: _Scope):
        if len(e.path) == 3:
            return self.cell_ref(e, scope)
        name = e.name
        if len(e.path) == 1:
            if name in scope.lets:
                q = scope.lets[name]
                return ir.LetRef(name, units.show(q), e.span), q
            if name == "saving" and scope.kind == "claim" and scope.measure:
                q = self.measure_units.get(scope.measure)
                if q is not None:
                    return ir.SavingRef(scope.measure, units.show(q), e.span), q
            kind = self.kind_of.get(name)
            if kind == "indicator":
                q = self.ind_units.get(name)
                if q is None:
                    return None
                return ir.OwnVal(name, units.show(q), e.span), q
            if kind == "measure" and scope.kind == "claim":
                q = self.measure_units.get(name)
                if q is None:
                    return None
                if not scope.scenario:
                    self.err(e.span, f"measure `{name}` is computed under a basis; add `under BASIS` to the claim")
                    return None
                return ir.SavingRef(name, units.show(q), e.span), q
            if kind in ("municipality", "group"):
                self.err(e.span, f"`{name}` is {_a(kind)}, not a value",
                         f"for a municipality's value of an indicator write basis(INDICATOR, {name})"
                         if kind == "municipality" else f"for a group's mean write basis(INDICATOR, mean({name}))")
                return None
            if kind is not None:
                self.err(e.span, f"`{name}` is {_a(kind)}, not a value")
                return None
        candidates = list(scope.lets) + self.names_of("indicator") + (
            self.names_of("measure") if scope.kind == "claim" else [])
        self.err(e.span, f"unknown name `{name}`", did_you_mean(name, candidates), about=name)
        return None

    def cell_ref(self, e: ast.Ref, scope: _Scope):
        t, r, c = e.path
        table = self.tables.get(t)
        if table is None or scope.kind != "claim" or scope.measure:
            self.err(e.span, f"`{e.name}` is not a table cell",
                     did_you_mean(t, self.tables) if table is None else "table cells can be used in top-level claims",
                     about=t)
            return None
        if r not in {row.name for row in table.rows if row.kind != "section"}:
            self.err(e.span, f"table `{t}` has no row `{r}`",
                     did_you_mean(r, [row.name for row in table.rows if row.kind != "section"]))
            return None
        if c not in {col.name for col in table.columns}:
            self.err(e.span, f"table `{t}` has no column `{c}`", did_you_mean(c, [col.name for col in table.columns]))
            return None
        q = units.parse(table.unit)
        return ir.CellRef(t, r, c, table.unit, e.span), q

    def call(self, e: ast.Call, scope: _Scope):
        name = e.name
        if name in POLICIES:
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
                    factors.append(units.factor(q, q0))
                except units.UnitError as exc:
                    self.err(a.span, f"{name}() of {units.show(q0)} and {units.show(q)}", exc.hint)
                    return None
            return ir.Extreme(name, tuple(n for n, _ in got), tuple(factors), units.show(q0), e.span), q0
        if name not in ("basis", "gap", "peer"):
            self.err(e.span, f"unknown function `{name}`", did_you_mean(name, BUILTINS + POLICIES))
            return None
        if scope.kind == "indicator":
            self.err(e.span, f"{name}() cannot be used in an indicator's formula",
                     "an indicator is a value per municipality; compare it in a measure")
            return None
        if not 1 <= len(e.args) <= 2:
            self.err(e.span, f"{name}() takes an indicator and optionally a basis: {name}(x) or {name}(x, Bergen)")
            return None
        target = e.args[0]
        if not (isinstance(target, ast.Ref) and self.kind_of.get(target.name) == "indicator"):
            self.err(getattr(target, "span", e.span), f"the first argument of {name}() must be an indicator",
                     did_you_mean(getattr(target, "name", ""), self.names_of("indicator")))
            return None
        ind = target.name
        q = self.ind_units.get(ind)
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
            d = self.decls[ind]
            if d.better is None:
                self.err(e.span, f"gap({ind}) needs to know which direction is better",
                         f"add `better lower` or `better higher` to indicator `{ind}`")
                return None
            return ir.Gap(ind, policy, units.show(q), e.span), q
        return ir.BasisVal(ind, policy, units.show(q), e.span), q

    def policy(self, e, ind_unit, scope: _Scope):
        """A comparison basis: mean(G), best(k, G), a municipality, year(Y), or a literal value."""
        if isinstance(e, ast.Ref) and len(e.path) == 1 and self.kind_of.get(e.name) == "municipality":
            return ir.Peer(e.name, e.name)
        if isinstance(e, ast.Quantity):
            if ind_unit is None:
                self.err(e.span, "a literal basis belongs inside basis(INDICATOR, value); a `basis` declaration applies to many indicators")
                return None
            got = self.expr(e, scope)
            if got is None:
                return None
            try:
                f = units.factor(got[1], ind_unit)
            except units.UnitError as exc:
                self.err(e.span, f"basis value in {units.show(got[1])} for an indicator in {units.show(ind_unit)}", exc.hint)
                return None
            return ir.Literal(e.value * f, got[0].text)
        if isinstance(e, ast.Call) and e.name in POLICIES:
            text = _text(e)
            if e.name == "mean" and len(e.args) == 1:
                s = self.member_set(e.args[0])
                return None if s is None else ir.Mean(s, text)
            if e.name == "wmean" and len(e.args) == 2:
                w = e.args[1]
                if not (isinstance(w, ast.Ref) and self.kind_of.get(w.name) == "indicator"):
                    self.err(getattr(w, "span", e.span), "wmean(GROUP, WEIGHT) weighs by an indicator",
                             did_you_mean(getattr(w, "name", ""), self.names_of("indicator")))
                    return None
                s = self.member_set(e.args[0])
                return None if s is None else ir.WMean(s, w.name, text)
            if e.name == "best" and len(e.args) == 2:
                k = e.args[0]
                if not (isinstance(k, ast.Quantity) and k.unit is None and k.value == int(k.value) and k.value >= 1):
                    self.err(getattr(k, "span", e.span), "best(K, GROUP) needs a whole number K ≥ 1")
                    return None
                s = self.member_set(e.args[1])
                return None if s is None else ir.Best(int(k.value), s, text)
            if e.name == "year" and len(e.args) == 1:
                y = e.args[0]
                if not (isinstance(y, ast.Quantity) and y.unit is None and y.value == int(y.value)):
                    self.err(getattr(y, "span", e.span), "year(YYYY) needs a year, e.g. year(2004)")
                    return None
                return ir.Year(int(y.value), text)
            self.err(e.span, f"wrong arguments to {e.name}()",
                     {"mean": "mean(GROUP)", "wmean": "wmean(GROUP, WEIGHT)", "best": "best(K, GROUP)",
                      "year": "year(YYYY)"}[e.name])
            return None
        hint = None
        if isinstance(e, ast.Ref):
            hint = did_you_mean(e.name, self.names_of("municipality"))
        self.err(getattr(e, "span", None),
                 "not a comparison basis; expected mean(GROUP), wmean(GROUP, WEIGHT), best(K, GROUP), a municipality, "
                 "year(YYYY) or a value",
                 hint)
        return None

    # --- measures and claims ------------------------------------------------
    def check_measure(self, d: ast.Measure):
        scope = _Scope("measure", d.name, scenario=True)
        ok = True
        lets = []
        for let in d.lets:
            if let.name in scope.lets or self.kind_of.get(let.name) in ("indicator", "measure"):
                self.err(let.span, f"`let {let.name}` hides another name",
                         "choose a name that is not an indicator, measure or earlier let")
                ok = False
                continue
            got = self.expr(let.expr, scope)
            if got is None:
                ok = False
                continue
            scope.lets[let.name] = got[1]
            lets.append((let.name, got[0]))
        adjusts = []
        for a in d.adjusts:
            q = self.ind_units.get(a.indicator)
            if self.kind_of.get(a.indicator) != "indicator" or q is None:
                self.err(a.span, f"`adjust` names `{a.indicator}`, which is not an indicator",
                         did_you_mean(a.indicator, self.names_of("indicator")))
                ok = False
                continue
            got = self.expr(a.amount, _Scope("measure", d.name))
            if got is None:
                ok = False
                continue
            s = self.scaled(got[0], got[1], q, a.amount.span or a.span, "the adjustment")
            if s is None:
                ok = False
                continue
            adjusts.append(ir.Adjust(a.indicator, s, a.reason, a.span))
        if d.unit is None:
            self.err(d.span, f"measure `{d.name}` has no `unit`", "add a line such as: unit MNOK")
            return None, []
        out = self.unit(d.unit)
        if d.saving is None:
            self.err(d.span, f"measure `{d.name}` has no `saving = ...`")
            return None, []
        got = self.expr(d.saving, scope)
        if got is None or out is None or not ok:
            return None, []
        saving = self.scaled(got[0], got[1], out, d.saving.span or d.span, f"the saving of `{d.name}`")
        if saving is None:
            return None, []
        if d.round is not None and not 0 <= d.round <= MAX_DECIMALS:
            self.err(d.span, f"`round {d.round}` in measure `{d.name}`: decimals go from 0 to {MAX_DECIMALS}")
            return None, []
        self.measure_units[d.name] = out
        reads = sorted(set(_indicators_read(saving.expr, dict(lets), self.indicators)))
        m = ir.Measure(d.name, d.title or d.name, tuple(lets), tuple(adjusts), saving,
                       d.round if d.round is not None else 1, d.notes, tuple(reads), d.span)
        claims = []
        for cl in d.claims:
            claims.extend(self.check_claim(cl, d.name, scope.lets))
        return m, claims

    def check_claim(self, cl: ast.Claim, measure: str | None, lets=None) -> list[ir.Claim]:
        for s in cl.under:
            if s not in self.scenarios:
                self.err(cl.span, f"claim `{cl.name}` is under `{s}`, which is not a declared basis",
                         did_you_mean(s, self.scenarios))
                return []
        scope = _Scope("claim", measure, scenario=bool(cl.under))
        scope.lets = dict(lets or {})
        got = self.expr(cl.expr, scope)
        if got is None:
            return []
        node, q = got
        pub = self.published(cl.published, q, cl.expr.span or cl.span, f"claim `{cl.name}`")
        if pub is None:
            return []
        if pub.kind == "name" and not isinstance(node, ir.PeerOf):
            self.err(cl.span, f"claim `{cl.name}` publishes a municipality, so its value must be peer(INDICATOR)")
            return []
        if isinstance(node, ir.PeerOf):
            if pub.kind != "name":
                self.err(cl.span, f"peer() gives a municipality; claim `{cl.name}` must publish one, e.g. `= Bergen`")
                return []
            expr = node
        else:
            expr = ir.Scaled(node, self._pub_factor(q, cl.published), self._pub_unit(q, cl.published))
        base = f"{measure}.{cl.name}" if measure else cl.name
        scenarios = cl.under or (None,)
        return [
            ir.Claim(base + (f".{s}" if len(scenarios) > 1 else ""), cl.label, measure, s, expr, pub, cl.span)
            for s in scenarios
        ]

    def _pub_factor(self, q, p) -> float:
        if getattr(p, "unit", None) is None:
            return 1.0
        return units.published_factor(q, units.parse(p.unit.text))

    def _pub_unit(self, q, p) -> str:
        if getattr(p, "unit", None) is None:
            return units.show(q)
        return p.unit.text

    def published(self, p, q, span, what: str) -> ir.PubValue | None:
        if isinstance(p, ast.PubNone):
            return ir.PubValue("none", text="-", span=p.span)
        if isinstance(p, ast.PubName):
            if self.kind_of.get(p.name) != "municipality":
                self.err(p.span, f"`{p.name}` is not a declared municipality", did_you_mean(p.name, self.municipalities))
                return None
            return ir.PubValue("name", name=p.name, text=p.name, span=p.span)
        if q is None:
            self.err(p.span, f"{what}: peer() gives a municipality, so publish one, e.g. `= Bergen`")
            return None
        if p.unit is not None:
            pq = self.unit(p.unit)
            if pq is None:
                return None
            try:
                units.published_factor(q, pq)
            except units.UnitError as exc:
                self.err(p.span or span, f"{what} computes {units.show(q)} but publishes {units.show(pq)}", exc.hint)
                return None
        if isinstance(p, ast.PubRange):
            if p.low > p.high:
                self.err(p.span, f"range {p.text} runs backwards")
                return None
            return ir.PubValue("range", p.low, p.high, p.decimals, text=p.text, span=p.span)
        return ir.PubValue("number", p.value, None, p.decimals, p.qualifier, p.tolerance, text=p.text, span=p.span)

    # --- tables ---------------------------------------------------------------
    def check_table_head(self, d: ast.Table) -> ir.Table | None:
        ok = True
        columns = []
        seen = set()
        for c in d.columns:
            if c.name in seen:
                self.err(c.span, f"table `{d.name}` has two columns named `{c.name}`")
                ok = False
            seen.add(c.name)
            if c.basis is not None and c.basis not in self.scenarios:
                self.err(c.span, f"column `{c.name}` uses `{c.basis}`, which is not a declared basis",
                         did_you_mean(c.basis, self.scenarios))
                ok = False
            columns.append(ir.Column(c.name, c.header, c.basis))
        if not columns:
            self.err(d.span, f"table `{d.name}` has no columns")
            return None
        rows, unit, decimals = [], None, 0
        row_names = set()
        for item in d.body:
            if isinstance(item, ast.Section):
                rows.append(ir.Row(item.title, item.title, "section", None, (), item.span))
                continue
            if item.name in row_names:
                self.err(item.span, f"table `{d.name}` has two rows named `{item.name}`",
                         "give one of them a name: row NAME \"label\" = ...")
                ok = False
            row_names.add(item.name)
            if item.published and len(item.published) != len(columns):
                self.err(item.span, f"row `{item.name}` gives {_n(len(item.published), 'published value')} "
                                    f"for {_n(len(columns), 'column')}")
                ok = False
            if isinstance(item, ast.Total):
                kind, source, ru, rd = "total", None, unit, decimals
            else:
                kind = self.kind_of.get(item.source)
                source = item.source
                if kind == "measure":
                    m = self.measures.get(source)
                    if m is None:  # reported where the measure is
                        ok = False
                        continue
                    missing = [c.name for c in d.columns if c.basis is None]
                    if missing:
                        self.err(item.span, f"row `{item.name}` computes measure `{source}`, but column `{missing[0]}` names no basis",
                                 f'write: column {missing[0]} "..." = BASIS')
                        ok = False
                    ru, rd = m.saving.unit, m.round
                elif kind == "table":
                    ref = self.decls[source]
                    if len(ref.columns) != len(columns):
                        self.err(item.span, f"row `{item.name}` takes the totals of table `{source}`, which has {len(ref.columns)} columns, not {len(columns)}")
                        ok = False
                    ru, rd = None, None  # checked once all tables are known
                else:
                    self.err(item.span, f"row `{item.name}` = `{source}`: expected a measure or a table",
                             did_you_mean(source, self.names_of("measure", "table")), about=source)
                    ok = False
                    continue
            if ru is not None:
                if unit is None:
                    unit = ru
                elif units.parse(ru).dimensionality != units.parse(unit).dimensionality or units.factor(units.parse(ru), units.parse(unit)) != 1:
                    self.err(item.span, f"row `{item.name}` is in {ru} but the table is in {unit}")
                    ok = False
            if rd is not None:
                decimals = max(decimals, rd)
            pubs = []
            for p in item.published:
                pv = self.published(p, units.parse(unit or "MNOK"), item.span, f"row `{item.name}`")
                if pv is None:
                    ok = False
                else:
                    pubs.append(pv)
            rows.append(ir.Row(item.name, item.label, kind, source, tuple(pubs), item.span))
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, unit or "", decimals, tuple(columns), tuple(rows), d.notes, d.span)

    def check_table_cycles(self) -> None:
        done: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]):
            if name in done or name not in self.tables:
                return
            t = self.tables[name]
            if name in stack:
                self.err(t.span, "tables take each other's totals in a cycle: " + " -> ".join(stack + (name,)))
                return
            for r in t.rows:
                if r.kind == "table":
                    visit(r.source, stack + (name,))
            done.add(name)

        for name in list(self.tables):
            visit(name, ())
        # A table of totals takes its unit and precision from the tables it sums.
        for name in list(self.tables):
            self._settle(name, ())

    def _settle(self, name: str, stack) -> None:
        t = self.tables.get(name)
        if t is None or t.unit or name in stack:
            return
        unit, decimals = "", t.decimals
        for r in t.rows:
            if r.kind == "table" and r.source in self.tables:
                self._settle(r.source, stack + (name,))
                src = self.tables[r.source]
                unit = unit or src.unit
                decimals = max(decimals, src.decimals)
        self.tables[name] = attrs.evolve(t, unit=unit, decimals=decimals)

    # --- known inconsistencies ------------------------------------------------
    def check_known(self, knowns: list[ast.Known], claims: list[ir.Claim]) -> dict[str, ir.Known]:
        items = {c.name for c in claims}
        for t in self.tables.values():
            for r in t.rows:
                if r.kind != "section" and r.published:
                    for c in t.columns:
                        items.add(f"{t.name}.{r.name}.{c.name}")
        out = {}
        for k in knowns:
            if k.name not in items:
                self.err(k.span, f"`known` names `{k.name}`, which is no audited figure",
                         did_you_mean(k.name, items) or "name a table cell as TABLE.ROW.COLUMN or a claim as MEASURE.CLAIM",
                         about=next((part for part in k.target if part in self.broken), None))
                continue
            if k.name in out:
                self.err(k.span, f"`{k.name}` is declared known twice")
            if k.reconcile is not None:
                ind, muni, _ = k.reconcile
                if self.kind_of.get(ind) != "indicator":
                    self.err(k.span, f"`reconcile` names `{ind}`, which is not an indicator",
                             did_you_mean(ind, self.names_of("indicator")))
                    continue
                if muni not in self.municipalities:
                    self.err(k.span, f"`reconcile` names `{muni}`, which is not a municipality",
                             did_you_mean(muni, self.municipalities))
                    continue
            out[k.name] = ir.Known(k.name, k.reason, k.span, k.reconcile)
        return out


# --- small helpers ---------------------------------------------------------


def _natural(name: str):
    """T4 before T10: tables print in the natural order of their names."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _refs(e) -> Iterable[str]:
    if isinstance(e, ast.Ref):
        yield e.name
    elif isinstance(e, ast.BinOp):
        yield from _refs(e.left)
        yield from _refs(e.right)
    elif isinstance(e, ast.Neg):
        yield from _refs(e.operand)
    elif isinstance(e, ast.Call):
        for a in e.args:
            yield from _refs(a)


def _indicators_read(node, lets: dict, indicators: dict[str, ir.Indicator]) -> Iterable[str]:
    if isinstance(node, (ir.OwnVal, ir.BasisVal, ir.Gap, ir.PeerOf)):
        yield node.indicator
        ind = indicators.get(node.indicator)
        if ind is not None and ind.formula is not None:
            yield from _indicators_read(ind.formula.expr, {}, indicators)
    elif isinstance(node, ir.LetRef):
        yield from _indicators_read(lets[node.name], lets, indicators)
    elif isinstance(node, ir.Arith):
        yield from _indicators_read(node.left, lets, indicators)
        yield from _indicators_read(node.right, lets, indicators)
    elif isinstance(node, ir.Neg):
        yield from _indicators_read(node.operand, lets, indicators)
    elif isinstance(node, ir.Extreme):
        for a in node.args:
            yield from _indicators_read(a, lets, indicators)


def _text(e) -> str:
    if isinstance(e, ast.Quantity):
        return e.text + (f" {e.unit.text}" if e.unit else "")
    if isinstance(e, ast.Ref):
        return e.name
    if isinstance(e, ast.OwnRef):
        return "own"
    if isinstance(e, ast.Neg):
        return f"-{_text(e.operand)}"
    if isinstance(e, ast.BinOp):
        return f"{_text(e.left)} {e.op} {_text(e.right)}"
    if isinstance(e, ast.Call):
        return f"{e.name}({', '.join(_text(a) for a in e.args)})"
    return "?"

