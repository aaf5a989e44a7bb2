"""Checked program + indicator values -> figures, each with its derivation.

Evaluation runs on plain floats: units were reduced to factors by `check`.
A figure records, when asked, everything `explain` shows: the inputs with
their source lines, the peers behind each basis with values and ranks, the
intermediate values and the arithmetic.
"""

from __future__ import annotations

import math

import attrs

from benchdsl import ir
from benchdsl.ast import Span
from benchdsl.data import Obs
from benchdsl.diagnostics import Diagnostic, error, warning


class EvalError(Exception):
    """A figure cannot be computed from the data (missing value, bad rank, division by zero)."""

    def __init__(self, span: Span | None, message: str, hint: str | None = None):
        super().__init__(message)
        self.span, self.message, self.hint = span, message, hint


@attrs.define
class Input:
    indicator: str
    municipality: str
    year: int
    value: float
    unit: str
    obs: Obs | None  # None for a derived indicator
    adjusted: float = 0.0
    reason: str = ""


@attrs.define
class BasisRow:
    municipality: str
    value: float
    rank: int | None


@attrs.define
class BasisUse:
    indicator: str
    policy: str
    unit: str
    rows: list[BasisRow]
    value: float
    peer: str | None
    skipped: list[str] = attrs.Factory(list)


@attrs.define
class Trace:
    inputs: dict = attrs.Factory(dict)
    bases: dict = attrs.Factory(dict)
    lets: list = attrs.Factory(list)
    values: dict = attrs.Factory(dict)  # id(node) -> value, to render the arithmetic


@attrs.frozen
class Figure:
    """One computed number: a measure under a basis, or a claim's value."""

    name: str
    scenario: str | None
    value: float | None  # None: no saving ("-"), or the value could not be computed
    unit: str
    decimals: int | None
    raw: float | None = None  # before "no saving" is applied
    peer: str | None = None  # for claims about which municipality forms a basis
    error: Diagnostic | None = None
    trace: Trace | None = None


@attrs.define
class _Ctx:
    policy: ir.Policy | None
    adjust: dict
    lets: dict  # name -> value, filled on first use
    measure: str | None
    scenario: str | None
    trace: Trace | None
    cells: object = None  # (table, row, column) -> value, for claims over table cells


class Evaluator:
    def __init__(self, program: ir.Program, values: dict, own: str | None = None, year: int | None = None,
                 overrides: dict | None = None):
        self.p = program
        self.values = values
        self.overrides = overrides or {}  # (indicator, municipality, year) -> value: a what-if
        self.own = own or program.own
        self.year = year or program.year
        self.diags: list[Diagnostic] = []
        self._warned: set = set()
        self._figures: dict = {}

    # --- indicator values ---------------------------------------------------
    def indicator(self, name: str, muni: str, year: int, ctx: _Ctx, span: Span | None) -> float:
        adjust = ctx.adjust if muni == self.own and year == self.year else {}
        ind = self.p.indicators[name]
        if (name, muni, year) in self.overrides:
            v, obs = self.overrides[(name, muni, year)], None
        elif ind.formula is not None:
            sub = _Ctx(None, adjust, {}, None, None, ctx.trace)
            v = self.eval(ind.formula.expr, sub, muni, year) * ind.formula.factor
            obs = None
        else:
            got = self.values.get((name, muni, year))
            if got is None:
                raise EvalError(span, f"no value of `{name}` for {muni} {year} in the panel",
                                f"the panel needs a line with variable `{ind.source}`, municipality {muni}, year {year}")
            if isinstance(got, Obs):
                raise EvalError(span, f"`{name}` for {muni} {year} is missing in the panel: {got.missing}",
                                f"see {got.span}")
            v, obs = got.value, got.obs
        delta, reason = 0.0, ""
        if name in adjust:
            a: ir.Adjust = adjust[name]
            delta = self.eval(a.amount.expr, _Ctx(None, {}, {}, None, None, None), muni, year) * a.amount.factor
            reason = a.reason
        if ctx.trace is not None:
            ctx.trace.inputs.setdefault((name, muni, year), Input(name, muni, year, v, ind.unit, obs, delta, reason))
        return v + delta

    def policy_value(self, name: str, policy: ir.Policy, ctx: _Ctx, span: Span | None) -> tuple[float, str | None]:
        ind = self.p.indicators[name]
        rows: list[BasisRow] = []
        skipped: list[str] = []
        peer = None
        if isinstance(policy, ir.Peer):
            v = self.indicator(name, policy.name, self.year, ctx, span)
            rows, peer = [BasisRow(policy.name, v, None)], policy.name
        elif isinstance(policy, ir.Year):
            v = self.indicator(name, self.own, policy.year, ctx, span)
            rows, peer = [BasisRow(f"{self.own} {policy.year}", v, None)], self.own
        elif isinstance(policy, ir.Literal):
            v = policy.value
        else:
            members = policy.group.members(self.own)
            for m in members:
                try:
                    rows.append(BasisRow(m, self.indicator(name, m, self.year, ctx, span), None))
                except EvalError as exc:
                    skipped.append(m)
                    if (name, m) not in self._warned:
                        self._warned.add((name, m))
                        self.diags.append(warning(span, f"{exc.message}; left out of {policy.text}", exc.hint))
            if not rows:
                raise EvalError(span, f"no member of {policy.group.text} has a value of `{name}`")
            if isinstance(policy, ir.Mean):
                v = fsum(r.value for r in rows) / len(rows)
            elif isinstance(policy, ir.WMean):
                weighted = []
                for r in rows:  # a member without a weight is left out, as one without a value is
                    try:
                        weighted.append((r, self.indicator(policy.weight, r.municipality, self.year, ctx, span)))
                    except EvalError as exc:
                        skipped.append(r.municipality)
                        self.diags.append(warning(span, f"{exc.message}; left out of {policy.text}", exc.hint))
                rows = [r for r, _ in weighted]
                weights = [w for _, w in weighted]
                total = fsum(weights)
                if total == 0:
                    raise EvalError(span, f"{policy.text}: the weights add up to zero")
                v = fsum(r.value * w for r, w in weighted) / total
            else:
                if ind.better is None:
                    raise EvalError(span, f"{policy.text} needs to know which direction is better for `{name}`",
                                    f"add `better lower` or `better higher` to indicator `{name}`")
                # Ties keep the declared group order, so ranks are reproducible.
                ordered = sorted(rows, key=lambda r: r.value, reverse=ind.better == "higher")
                for i, r in enumerate(ordered, 1):
                    r.rank = i
                rows = ordered
                if policy.k > len(rows):
                    raise EvalError(span, f"{policy.text}: the group has only {len(rows)} members with a value of `{name}`")
                chosen = rows[policy.k - 1]
                v, peer = chosen.value, chosen.municipality
        if ctx.trace is not None:
            key = (name, policy.text or type(policy).__name__)
            ctx.trace.bases.setdefault(key, BasisUse(name, policy.text, ind.unit, rows, v, peer, skipped))
        return v, peer

    def value(self, name: str, muni: str, year: int) -> float:
        """An indicator's value, as rules see it (raises EvalError when the panel lacks it)."""
        return self.indicator(name, muni, year, _Ctx(None, {}, {}, None, None, None), None)

    # --- expressions ----------------------------------------------------------
    def eval(self, node, ctx: _Ctx, muni: str | None = None, year: int | None = None) -> float:
        muni = muni or self.own
        year = year or self.year
        v = self._eval(node, ctx, muni, year)
        if ctx.trace is not None:
            ctx.trace.values[id(node)] = v
        return v

    def _eval(self, node, ctx: _Ctx, muni: str, year: int) -> float:
        if isinstance(node, ir.Const):
            return node.value
        if isinstance(node, ir.OwnVal):
            return self.indicator(node.indicator, muni, year, ctx, node.span)
        if isinstance(node, ir.Arith):
            a = self.eval(node.left, ctx, muni, year)
            b = self.eval(node.right, ctx, muni, year)
            if node.op == "/" and b == 0:
                raise EvalError(node.span, "division by zero", "check the panel values this expression reads")
            return _ARITH[node.op](a, b * node.right_factor)
        if isinstance(node, ir.Neg):
            return -self.eval(node.operand, ctx, muni, year)
        if isinstance(node, (ir.BasisVal, ir.Gap)):
            policy = node.policy or ctx.policy
            if policy is None:
                raise EvalError(node.span, "no basis to compare with here")
            basis, _ = self.policy_value(node.indicator, policy, ctx, node.span)
            if isinstance(node, ir.BasisVal):
                return basis
            own = self.indicator(node.indicator, muni, year, ctx, node.span)
            better = self.p.indicators[node.indicator].better
            return own - basis if better == "lower" else basis - own
        if isinstance(node, ir.LetRef):
            if node.name not in ctx.lets:
                # Lets are evaluated on first use, so a claim that needs no basis
                # can live in a measure whose other lets compare with one.
                let = self.p.measures[ctx.measure].let_nodes[node.name]
                ctx.lets[node.name] = self.eval(let, ctx)
                if ctx.trace is not None:
                    ctx.trace.lets.append((node.name, ctx.lets[node.name], let.unit, let))
            return ctx.lets[node.name]
        if isinstance(node, ir.SavingRef):
            f = self.measure(node.measure, ctx.scenario)
            if f.error is not None:
                raise EvalError(node.span, f"measure `{node.measure}` could not be computed")
            return f.value if f.value is not None else 0.0
        if isinstance(node, ir.Extreme):
            vals = [self.eval(a, ctx, muni, year) * f for a, f in zip(node.args, node.factors)]
            return max(vals) if node.op == "max" else min(vals)
        if isinstance(node, ir.CellRef):
            if ctx.cells is None:
                raise EvalError(node.span, "table cells are only known once the tables are computed")
            return ctx.cells(node.table, node.row, node.column) or 0.0
        raise AssertionError(f"cannot evaluate {node!r}")

    # --- figures ----------------------------------------------------------------
    def _ctx(self, measure: ir.Measure | None, scenario: str | None, record: bool) -> _Ctx:
        policy = self.p.scenarios[scenario].policy if scenario else None
        adjust = {a.indicator: a for a in measure.adjusts} if measure else {}
        return _Ctx(policy, adjust, {}, measure.name if measure else None, scenario, Trace() if record else None)

    def measure(self, name: str, scenario: str | None, record: bool = False) -> Figure:
        key = (name, scenario)
        if not record and key in self._figures:
            return self._figures[key]
        m = self.p.measures[name]
        ctx = self._ctx(m, scenario, record)
        try:
            raw = _finite(self.eval(m.saving.expr, ctx) * m.saving.factor, m.span)
            value = raw if raw > 0 else None  # at or better than the basis: no saving
            fig = Figure(name, scenario, value, m.saving.unit, m.round, raw, trace=ctx.trace)
        except EvalError as exc:
            fig = Figure(name, scenario, None, m.saving.unit, m.round, error=error(exc.span, exc.message, exc.hint),
                         trace=ctx.trace)
        if not record:
            self._figures[key] = fig
        return fig

    def claim(self, c: ir.Claim, cells=None, record: bool = False) -> Figure:
        m = self.p.measures.get(c.measure) if c.measure else None
        ctx = self._ctx(m, c.scenario, record)
        try:
            if isinstance(c.expr, ir.PeerOf):
                policy = c.expr.policy or ctx.policy
                _, peer = self.policy_value(c.expr.indicator, policy, ctx, c.expr.span)
                return Figure(c.name, c.scenario, None, "municipality", None, peer=peer, trace=ctx.trace)
            ctx.cells = cells
            value = _finite(self.eval(c.expr.expr, ctx) * c.expr.factor, c.span)
            return Figure(c.name, c.scenario, value, c.expr.unit, None, value, trace=ctx.trace)
        except EvalError as exc:
            return Figure(c.name, c.scenario, None, getattr(c.expr, "unit", ""), None,
                          error=error(exc.span, exc.message, exc.hint), trace=ctx.trace)


def fsum(values) -> float:
    """math.fsum, but a sum too large for a float is infinity (reported by _finite), not an exception."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def _finite(value: float, span: Span | None) -> float:
    if not math.isfinite(value):
        raise EvalError(span, f"the result is not a finite number ({value})",
                        "a value in the panel is far too large, or a divisor is almost zero")
    return value


_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
