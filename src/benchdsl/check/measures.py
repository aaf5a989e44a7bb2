"""Indicators, bases, measures and claims: the declarations that compute a figure.

Derived indicators are checked each after the ones their formula reads (a
cycle is reported); a measure's lets each after the lets above it.  The
expressions are typed by `Exprs`; how deep each goes is kept by `Depth`.
"""

from __future__ import annotations

import math

from benchdsl import ast, ir, published
from benchdsl.check.context import Context
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs, Scope, Where
from benchdsl.check.names import cycle_text, order, refs
from benchdsl.diagnostics import did_you_mean
from benchdsl.limits import MAX_DECIMALS


class Measures:
    def __init__(self, ctx: Context, exprs: Exprs, depth: Depth):
        self.c, self.x, self.depth = ctx, exprs, depth
        self.cyclic: set[str] = set()  # indicators defined in terms of themselves

    # --- indicators --------------------------------------------------------
    def indicators(self) -> None:
        """Every indicator: its unit, then the formulas, each after the indicators it reads."""
        for name in self.c.names_of("indicator"):
            self.indicator_head(self.c.decls[name])
        for name in self.formula_order():
            if self.c.decls[name].formula is None:
                self.sourced(name)
            else:
                self.formula(name)

    def indicator_head(self, d: ast.Indicator) -> None:
        if d.unit is None:
            self.c.err(d.span, f"indicator `{d.name}` has no unit", "add a line such as: unit NOK/user")
            return
        q = self.x.unit(d.unit)
        if q is None:
            return
        if d.source and d.formula:
            self.c.err(d.span, f"indicator `{d.name}` has both a `source` and a formula; give one")
        self.c.ind_units[d.name] = q

    def formula_order(self) -> list[str]:
        """The indicators, each after the ones its formula reads; a cycle is reported (without recursion)."""
        deps = {}
        for name in self.c.names_of("indicator"):
            d = self.c.decls[name]
            if name in self.c.ind_units:
                deps[name] = [] if d.formula is None else [r for r in refs(d.formula) if r in self.c.ind_units]
        ordered, cycles = order(deps)
        for cycle in cycles:
            self.cyclic.update(cycle)
            d: ast.Indicator = self.c.decls[cycle[0]]
            if len(cycle) == 1:
                self.c.err(d.formula.span or d.span, f"indicator `{d.name}` is defined in terms of itself",
                           "an indicator's formula reads other indicators")
            else:
                self.c.err(d.span, "indicators defined in terms of each other: " + cycle_text(cycle))
        return ordered

    def formula(self, name: str) -> None:
        """Called in `formula_order`: every indicator the formula reads is checked already."""
        d: ast.Indicator = self.c.decls[name]
        if name in self.cyclic:
            return
        got = self.x.expr(d.formula, Scope(Where.INDICATOR))
        if got is None:
            return
        node, q = got
        formula = self.x.scaled(node, q, self.c.ind_units[name], d.formula.span or d.span,
                                f"the formula of `{name}`")
        if formula is None:
            return
        depth, reads = self.depth.cost(formula.expr, {})
        if self.depth.too_long(depth + 1, d.formula.span or d.span, f"indicator `{name}`"):
            self.depth.ind_cost[name] = (math.inf, reads)  # reported here: not again for the indicators reading it
            return
        self.depth.ind_cost[name] = (depth + 1, reads)
        self.c.indicators[name] = ir.Indicator(
            name, d.title or name, self.x.show(self.c.ind_units[name]), d.better, None, formula, d.notes, d.span,
        )

    def sourced(self, name: str) -> None:
        d: ast.Indicator = self.c.decls[name]
        self.c.indicators[name] = ir.Indicator(
            name, d.title or name, self.x.show(self.c.ind_units[name]), d.better, d.source or name, None, d.notes,
            d.span,
        )

    # --- bases ----------------------------------------------------------------
    def scenarios(self) -> dict[str, ir.Scenario]:
        """The `basis` declarations: each a comparison basis a column or a claim is computed under."""
        out = {}
        for name in self.c.names_of("basis"):
            d = self.c.decls[name]
            policy = self.x.policy(d.expr, None, Scope(Where.BASIS))
            if policy is not None:
                out[name] = ir.Scenario(name, d.title or name, policy, d.span)
        return out

    # --- measures and claims ------------------------------------------------
    def measures(self) -> tuple[dict[str, ir.Measure], list[ir.Claim]]:
        """Every measure that checks, and the claims inside them; a measure that does not is `broken`."""
        measures, claims = {}, []
        for name in self.c.names_of("measure"):
            m, mc = self.measure(self.c.decls[name])
            if m is not None:
                measures[name] = m
                claims.extend(mc)
            else:
                self.c.broken.add(name)  # its errors are reported; its uses need not be
        return measures, claims

    def measure(self, d: ast.Measure):
        """-> (the measure, its claims), or (None, []) after reporting why it does not check."""
        scope = Scope(Where.MEASURE, d.name, scenario=True)
        ok = True
        lets = []
        costs: dict[str, tuple[int, frozenset]] = {}  # let -> (depth, indicators read)
        for let in d.lets:
            scope.later.setdefault(let.name, let)
        for let in d.lets:
            if scope.later.get(let.name) is let:
                del scope.later[let.name]
            if let.name in scope.lets or self.c.kind_of.get(let.name) in ("indicator", "measure"):
                self.c.err(let.span, f"`let {let.name}` hides another name",
                           "choose a name that is not an indicator, measure or earlier let")
                ok = False
                continue
            scope.defining = let.name
            got = self.x.expr(let.expr, scope)
            scope.defining = None
            if got is not None:
                costs[let.name] = self.depth.cost(got[0], costs)
            if got is None or self.depth.too_long(costs[let.name][0], let.expr.span or let.span,
                                                  f"`let {let.name}`"):
                scope.failed.add(let.name)
                ok = False
                continue
            scope.lets[let.name] = got[1]
            lets.append((let.name, got[0]))
        adjusts = []
        adjust_depth = 0
        for a in d.adjusts:
            q = self.c.ind_units.get(a.indicator)
            if self.c.kind_of.get(a.indicator) != "indicator" or q is None:
                self.c.err(a.span, f"`adjust` names `{a.indicator}`, which is not an indicator",
                           did_you_mean(a.indicator, self.c.names_of("indicator")))
                ok = False
                continue
            got = self.x.expr(a.amount, Scope(Where.MEASURE, d.name))
            if got is None:
                ok = False
                continue
            s = self.x.scaled(got[0], got[1], q, a.amount.span or a.span, "the adjustment")
            if s is None:
                ok = False
                continue
            adjust_depth = max(adjust_depth, self.depth.cost(s.expr, {})[0])
            adjusts.append(ir.Adjust(a.indicator, s, a.reason, a.span))
        if d.unit is None:
            self.c.err(d.span, f"measure `{d.name}` has no `unit`", "add a line such as: unit MNOK")
            return None, []
        out = self.x.unit(d.unit)
        if d.saving is None:
            self.c.err(d.span, f"measure `{d.name}` has no `saving = ...`")
            return None, []
        got = self.x.expr(d.saving, scope)
        if got is None or out is None or not ok:
            return None, []
        saving = self.x.scaled(got[0], got[1], out, d.saving.span or d.span, f"the saving of `{d.name}`")
        if saving is None:
            return None, []
        decimals = 1
        if d.round is not None:
            decimals = self.c.whole(d.round, "`round`", 0, MAX_DECIMALS, "round 1")
            if decimals is None:
                return None, []
        depth, reads = self.depth.cost(saving.expr, costs)
        # an adjustment is evaluated where its indicator is read, so it adds to any path
        if self.depth.too_long(depth + adjust_depth, d.saving.span or d.span, f"the saving of `{d.name}`"):
            return None, []
        self.depth.measure_depth[d.name] = depth + adjust_depth
        self.c.measure_units[d.name] = out
        m = ir.Measure(d.name, d.title or d.name, tuple(lets), tuple(adjusts), saving,
                       decimals, d.notes, tuple(sorted(reads)), d.span, d.signed)
        claims = []
        for cl in d.claims:
            claims.extend(self.claim(cl, d.name, scope.lets, costs, adjust_depth))
        return m, claims

    def claim(self, cl: ast.Claim, measure: str | None, lets=None, costs=None,
              adjust_depth: int = 0) -> list[ir.Claim]:
        """A claim, once per basis it is under; `lets` and `costs` are its measure's, if it is in one."""
        for s in cl.under:
            if s not in self.c.scenarios:
                self.c.err(cl.span, f"claim `{cl.name}` is under `{s}`, which is not a declared basis",
                           did_you_mean(s, self.c.scenarios))
                return []
        scope = Scope(Where.CLAIM, measure, scenario=bool(cl.under))
        scope.lets = dict(lets or {})
        got = self.x.expr(cl.expr, scope)
        if got is None:
            return []
        node, q = got
        depth = self.depth.cost(node, costs or {})[0] + adjust_depth
        if self.depth.too_long(depth, cl.expr.span or cl.span, f"claim `{cl.name}`"):
            return []
        pub = self.x.published(cl.published, q, cl.expr.span or cl.span, f"claim `{cl.name}`")
        if pub is None:
            return []
        names = published.form(pub).names_municipality
        if names and not isinstance(node, ir.PeerOf):
            self.c.err(cl.span, f"claim `{cl.name}` publishes a municipality, so its value must be peer(INDICATOR)")
            return []
        if isinstance(node, ir.PeerOf):
            if not names:
                self.c.err(cl.span, f"peer() gives a municipality; claim `{cl.name}` must publish one, e.g. `= Bergen`")
                return []
            expr = node
        else:
            expr = ir.Scaled(node, self.x.pub_factor(q, cl.published), self.x.pub_unit(q, cl.published))
        base = f"{measure}.{cl.name}" if measure else cl.name
        scenarios = cl.under or (None,)
        return [
            ir.Claim(base + (f".{s}" if len(scenarios) > 1 else ""), cl.label, measure, s, expr, pub, cl.span)
            for s in scenarios
        ]
