"""The one evaluator: what every IR node and every basis kind means.

The same `Kernel` computes a figure for one municipality-year (the `Scalar`
backend, on Python floats, recording the derivation) and for every
municipality and year at once (`benchdsl.arrays.Arrays`, on numpy arrays).
A backend only supplies primitive operations — read a value, add, select,
sort — so `--for all` is the same computation with more rows and cannot
disagree with a figure computed alone.

A *place* is whose value in which year: `who` is OWN (the municipality being
evaluated) or a municipality's name, `when` is ROW (the year being evaluated)
or a year.  A measure's `adjust`s change the own municipality's values in the
evaluated year only, wherever they are read: as `own`, as a member of a group,
as a named peer or through `year()` of the evaluated year.

A value that cannot be computed is `Missing` (scalar) or NaN (arrays): it
propagates through arithmetic, and the figure is "not computed" with the
reason; it is never read as zero or as "no saving".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from benchdsl import ir
from benchdsl.span import Span
from benchdsl.bases import BY_NODE

OWN = "\0own"  # who: the municipality being evaluated
ROW = 0  # when: the year being evaluated


class Stacked(tuple):
    """Several bases (or scenarios) at once: their figures are computed together, a basis per leading index."""


class Missing:
    """A value the scalar backend could not compute, and why."""

    __slots__ = ("span", "message", "hint")

    def __init__(self, span: Span | None, message: str, hint: str | None = None):
        self.span, self.message, self.hint = span, message, hint

    def __repr__(self) -> str:
        return f"Missing({self.message!r})"


class Scalar:
    """One municipality-year on Python floats; a missing value is a `Missing` with its reason."""

    scalar = True

    def __init__(self, values: dict, own: str, year: int, overrides: dict | None = None):
        self.values, self.own, self.year = values, own, year
        self.overrides = overrides or {}

    def name(self, who: str) -> str:
        return self.own if who == OWN else who

    def year_of(self, when: int) -> int:
        return self.year if when == ROW else when

    def override(self, ind: str, who: str, when: int):
        return self.overrides.get((ind, self.name(who), self.year_of(when)))

    def source(self, ind: ir.Indicator, who: str, when: int, span: Span | None):
        muni, year = self.name(who), self.year_of(when)
        got = self.values.get((ind.name, muni, year))
        if got is None:
            return Missing(span, f"no value of `{ind.name}` for {muni} {year} in the panel",
                           f"the panel needs a line with variable `{ind.source}`, municipality {muni}, year {year}"), None
        if got.__class__.__name__ == "Obs":  # a gap the panel states (SSB's symbols)
            return Missing(span, f"`{ind.name}` for {muni} {year} is missing in the panel: {got.missing}",
                           f"see {got.span}"), None
        return got.value, got  # where it came from: its `.obs`, looked up only if a derivation is recorded

    @staticmethod
    def missing(span, message, hint=None):
        return Missing(span, message, hint)

    @staticmethod
    def is_missing(v) -> bool:
        return isinstance(v, Missing)

    @staticmethod
    def failed(v, span, message):
        """What another measure's saving reads as where it could not be computed: `message`, its reason as the hint."""
        return Missing(span, message, v.message) if isinstance(v, Missing) else v

    def is_own(self, name: str) -> bool:
        return name == self.own

    def is_year(self, year: int) -> bool:
        return year == self.year

    @staticmethod
    def select(cond: bool, if_true, if_false):
        return if_true() if cond else if_false()

    @staticmethod
    def arith(op: str, a, b, span):
        if isinstance(a, Missing):
            return a
        if isinstance(b, Missing):
            return b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return Missing(span, "division by zero", "check the panel values this expression reads")
        return a / b

    @staticmethod
    def neg(a):
        return a if isinstance(a, Missing) else -a

    @staticmethod
    def extreme(op: str, vals: list):
        bad = next((v for v in vals if isinstance(v, Missing)), None)
        if bad is not None:
            return bad
        return max(vals) if op == "max" else min(vals)

    @staticmethod
    def positive_part(v):
        return v if isinstance(v, Missing) or v > 0 else 0.0

    @staticmethod
    def power(v, exponent: float, span):
        """v ** exponent of a positive v (a growth ratio); Python's float power, as `Arrays.power` uses."""
        if isinstance(v, Missing):
            return v
        if not v > 0:
            return Missing(span, f"a fall of 100 % or more ({v - 1:.1%}) has no annual average",
                           "check the values the growth is computed from")
        return float(v) ** exponent

    @staticmethod
    def finite(v, span):
        if isinstance(v, Missing) or math.isfinite(v):
            return v
        return Missing(span, f"the result is not a finite number ({v})",
                       "a value in the panel is far too large, or a divisor is almost zero")

    # --- what the bases need ----------------------------------------------------
    @staticmethod
    def not_(x: bool) -> bool:
        return not x

    @staticmethod
    def and_(x: bool, y: bool) -> bool:
        return x and y

    @staticmethod
    def or_(x: bool, y: bool) -> bool:
        return x or y

    @staticmethod
    def valid(mask: bool, *vals) -> bool:
        return mask and not any(isinstance(v, Missing) for v in vals)

    @staticmethod
    def masked_sums(values: list, masks: list, weights: list | None = None):
        """(count, Σ value, Σ value × weight, Σ weight) over the members that count and have a value
        (and a weight), added in member order."""
        count, total, vw, tw = 0, 0.0, 0.0, 0.0
        for i, (v, mask) in enumerate(zip(values, masks)):
            w = weights[i] if weights is not None else 1.0
            if mask and not isinstance(v, Missing) and not isinstance(w, Missing):
                count, total, vw, tw = count + 1, total + v, vw + v * w, tw + w
        return count, total, vw, tw

    def mean(self, values: list, masks: list, span, message):
        """Σ value / count over the members that count and have a value, or missing (with `message`) if none has."""
        count, total, _, _ = self.masked_sums(values, masks)
        return self.quotient(total, count, span, message)

    @staticmethod
    def quotient(num, den, span, message):
        """num / den, or missing (with `message`) where den is 0."""
        return Missing(span, message) if den == 0 else num / den

    @staticmethod
    def kth(vals: list, masks: list, k: int, descending: bool, span, message):
        """The k-th of the members' values in order (ties keep their order), its index, and every ranked index."""
        valid = [mask and not isinstance(v, Missing) for v, mask in zip(vals, masks)]
        order = sorted((i for i, ok in enumerate(valid) if ok), key=lambda i: vals[i], reverse=descending)
        if k > len(order):
            return Missing(span, message(len(order))), -1, order
        return vals[order[k - 1]], order[k - 1], order

    def in_years(self, first: int | None, last: int | None) -> bool:
        """Is the evaluated year from `first` to `last` (None: no limit)?"""
        return (first is None or first <= self.year) and (last is None or self.year <= last)


class Kernel:
    """A program's figures over a backend.  Per figure it memoises indicator values and lets."""

    def __init__(self, program: ir.Program, backend, tracer=None, warn=None):
        self.p, self.b = program, backend
        self.tracer = tracer  # scalar only: records inputs, bases, lets and node values
        self.warn = warn  # scalar only: warn(span, message, hint), once per left-out member
        self._affected: dict = {}
        # Values at a place without adjustments are the same for every figure: with no derivation
        # to record (the array backend), they are computed once for all figures.
        self.shared: dict | None = {} if tracer is None and not backend.scalar else None
        # On the scalar backend, values without adjustments are the same for every figure of the
        # municipality-year too; each is kept with what it recorded, which every figure that reads
        # it records again (its derivation lists every input it read).
        self.plain: dict | None = {} if backend.scalar else None

    # --- figures ------------------------------------------------------------------
    def saving(self, m: ir.Measure, policy: ir.Policy | None, scenario: str | None, saving_of=None, cells=None):
        """A measure's saving before 'no saving' is applied: value, or missing with the reason."""
        ctx = _Ctx(self, policy, {a.indicator: a for a in m.adjusts}, m, scenario, saving_of, cells)
        raw = _scaled(self.b, ctx.eval(m.saving.expr), m.saving.factor, m.span)
        if self.tracer is not None and any(name not in ctx.lets for name, _ in m.lets):
            # A derivation lists every let, also one only a claim reads; what such a let reads is no
            # input of the saving (its evidence, series breaks, what-ifs), so only its value is kept.
            ctx.tracer = _LetValuesOnly(self.tracer)
            try:
                for name, node in m.lets:
                    if name not in ctx.lets:
                        ctx.lets[name] = ctx.eval(node)
                        ctx.tracer.let(name, ctx.lets[name], node)
            finally:
                ctx.tracer = self.tracer
        return self.b.finite(raw, m.span)

    def savings(self, m: ir.Measure, policies: list, scenarios: list, saving_of=None) -> list:
        """A measure's saving under several bases at once (array backend): `saving` for each, computed together.

        The bases are stacked along a new leading axis and everything else broadcasts against
        them, so what does not depend on the basis is computed once; every element goes through
        the operations it would go through alone, so each figure is the one `saving` gives."""
        ctx = _Ctx(self, Stacked(policies), {a.indicator: a for a in m.adjusts}, m, Stacked(scenarios), saving_of, None)
        raw = self.b.finite(_scaled(self.b, ctx.eval(m.saving.expr), m.saving.factor, m.span), m.span)
        raw = self.b.stack([raw] * len(policies)) if getattr(raw, "ndim", 0) < 3 else raw  # one that reads no basis
        return list(raw)

    def claim_value(self, c: ir.Claim, m: ir.Measure | None, policy, scenario, saving_of=None, cells=None):
        ctx = _Ctx(self, policy, {a.indicator: a for a in m.adjusts} if m else {}, m, scenario, saving_of, cells)
        raw = _scaled(self.b, ctx.eval(c.expr.expr), c.expr.factor, c.span)
        return self.b.finite(raw, c.span)

    def peer_of(self, node: ir.PeerOf, m: ir.Measure | None, policy, scenario):
        """Which municipality forms a basis (the k-th best, a named peer, the own one in another year)."""
        ctx = _Ctx(self, policy, {a.indicator: a for a in m.adjusts} if m else {}, m, scenario, None, None)
        return ctx.basis(node.indicator, node.policy or policy, node.span)

    # --- which indicators an adjust reaches ---------------------------------------------
    def affected(self, name: str, adjust: dict) -> bool:
        """Does an adjust change this indicator (itself, or an input of its formula)?"""
        if not adjust:
            return False
        key = (name, tuple(sorted(adjust)))
        if key not in self._affected:
            ind = self.p.indicators[name]
            self._affected[key] = name in adjust or (
                ind.formula is not None and any(self.affected(d, adjust) for d in _own_reads(ind.formula.expr)))
        return self._affected[key]


class _Recorder:
    """Passes what a figure records on to its tracer, and keeps it, to be recorded again by other figures."""

    __slots__ = ("inner", "events")

    def __init__(self, inner):
        self.inner, self.events = inner, []

    def input(self, *args) -> None:
        self.events.append(("input", args))
        self.inner.input(*args)

    def value(self, *args) -> None:
        self.events.append(("value", args))
        self.inner.value(*args)


def _scaled(b, v, factor: float, span):
    """v × a unit's factor; × 1.0 changes no float (nor a missing value), so it is not done."""
    return v if factor == 1.0 else b.arith("*", v, factor, span)


def _own_reads(node):
    return (n.indicator for n in ir.walk(node) if isinstance(n, ir.OwnVal))


class _Ctx:
    """One figure's evaluation: its basis, adjustments, lets and memo of indicator values."""

    def __init__(self, k: Kernel, policy, adjust: dict, measure: ir.Measure | None, scenario, saving_of, cells,
                 trace: bool = True):
        self.k, self.b, self.p = k, k.b, k.p
        self.tracer = k.tracer if trace else None
        self.policy, self.adjust, self.measure, self.scenario = policy, adjust, measure, scenario
        self.saving_of, self.cells = saving_of, cells
        self.lets: dict = {}
        self.memo: dict = {}
        if self.tracer is None:  # nothing to record: each node straight to its meaning
            self.eval = self._eval

    # --- indicator values at a place ---------------------------------------------------
    def indicator(self, name: str, who: str, when: int, adjusted: bool, span: Span | None):
        """An indicator's value at a place; `adjusted`: with the measure's adjustments (own place only)."""
        key = (name, who, when, adjusted)
        if key in self.memo:
            return self.memo[key]
        plain = self.k.plain
        if adjusted or plain is None or self.tracer is None:
            return self._indicator(key, span)
        got = plain.get(key)
        if got is not None:
            v, events = got
            for method, args in events:
                getattr(self.tracer, method)(*args)
            self.memo[key] = v
            return v
        rec = self.tracer = _Recorder(self.tracer)
        try:
            v = self._indicator(key, span)
        finally:
            self.tracer = rec.inner
        if not self.b.is_missing(v):  # a missing value's reason points at where it was asked for
            plain[key] = v, rec.events
        return v

    def _indicator(self, key, span):
        name, who, when, adjusted = key
        shared = self.k.shared if not adjusted else None
        if shared is not None and key in shared:
            return shared[key]
        b, ind = self.b, self.p.indicators[name]
        adjust = self.adjust if adjusted else {}
        obs = None
        v = b.override(name, who, when)
        if v is None:
            if ind.formula is not None:
                v = self.eval(ind.formula.expr, who, when, adjusted)
                v = _scaled(b, v, ind.formula.factor, span)
            else:
                v, obs = b.source(ind, who, when, span)
        delta, reason = 0.0, ""
        if name in adjust:
            a = adjust[name]
            # its inputs are the figure's too: explain lists them, and a what-if that pins one
            # recomputes the figure (evaluate.what_if)
            amount = _Ctx(self.k, None, {}, None, None, None, None, trace=self.tracer is not None).eval(a.amount.expr)
            delta = _scaled(b, amount, a.amount.factor, a.span)
            reason = a.reason
        if self.tracer is not None and not b.is_missing(v):
            # An amount read from the panel may be missing (`adjust x by y` where y has no value):
            # the figure is then not computed, with y's reason; the trace keeps the value as read.
            self.tracer.input(name, b.name(who), b.year_of(when), v, ind.unit,
                              obs.obs if obs is not None else None, 0.0 if b.is_missing(delta) else delta, reason)
        out = b.arith("+", v, delta, span) if name in adjust else v
        self.memo[key] = out
        if shared is not None:
            shared[key] = out
        return out

    def own(self, name: str, span):
        """The evaluated municipality's value in the evaluated year, as the measure adjusts it."""
        return self.indicator(name, OWN, ROW, self.k.affected(name, self.adjust), span)

    def at(self, name: str, who: str, span):
        """A municipality's value in the evaluated year, as seen from the evaluated one (adjusted if it is own)."""
        plain = lambda: self.indicator(name, who, ROW, False, span)  # noqa: E731
        if not self.k.affected(name, self.adjust):
            return plain()
        return self.b.select(self.b.is_own(who), lambda: self.own(name, span), plain)

    # --- expressions ---------------------------------------------------------------------
    def eval(self, node, who: str = OWN, when: int = ROW, adjusted: bool | None = None):
        v = self._eval(node, who, when, adjusted)
        if self.tracer is not None and not self.b.is_missing(v):
            self.tracer.value(node, v)
        return v

    def _eval(self, node, who: str = OWN, when: int = ROW, adjusted: bool | None = None):
        b = self.b
        if isinstance(node, ir.Const):
            return node.value
        if isinstance(node, ir.OwnVal):
            if who == OWN and when == ROW and adjusted is None:
                return self.own(node.indicator, node.span)
            return self.indicator(node.indicator, who, when, bool(adjusted), node.span)
        if isinstance(node, ir.Arith):
            left = self.eval(node.left, who, when, adjusted)
            right = self.eval(node.right, who, when, adjusted)
            if node.right_factor != 1.0:
                right = b.arith("*", right, node.right_factor, node.span)
            return b.arith(node.op, left, right, node.span)
        if isinstance(node, ir.Neg):
            return b.neg(self.eval(node.operand, who, when, adjusted))
        if isinstance(node, ir.Extreme):
            vals = [b.arith("*", self.eval(a, who, when, adjusted), f, node.span) if f != 1.0
                    else self.eval(a, who, when, adjusted) for a, f in zip(node.args, node.factors)]
            return b.extreme(node.op, vals)
        if isinstance(node, (ir.BasisVal, ir.Gap)):
            policy = node.policy or self.policy
            if policy is None:
                return b.missing(node.span, "no basis to compare with here")
            basis, _ = self.basis(node.indicator, policy, node.span)
            if isinstance(node, ir.BasisVal):
                return basis
            own = self.own(node.indicator, node.span)
            if self.p.indicators[node.indicator].better == "lower":
                return b.arith("-", own, basis, node.span)
            return b.arith("-", basis, own, node.span)
        if isinstance(node, ir.LetRef):
            if node.name not in self.lets:
                # Lets are evaluated on first use, so a claim that needs no basis
                # can live in a measure whose other lets compare with one.
                let = self.measure.let_nodes[node.name]
                self.lets[node.name] = self.eval(let)
                if self.tracer is not None:
                    self.tracer.let(node.name, self.lets[node.name], let)
            return self.lets[node.name]
        if isinstance(node, ir.SavingRef):
            if isinstance(self.scenario, Stacked):
                raw = b.stack([self.saving_of(node.measure, s) for s in self.scenario])
            else:
                raw = self.saving_of(node.measure, self.scenario)
            raw = b.failed(raw, node.span, f"measure `{node.measure}` could not be computed")
            return raw if self.p.measures[node.measure].signed else b.positive_part(raw)
        if isinstance(node, ir.AtYear):
            return self.in_year(node.year).eval(node.operand)
        if isinstance(node, ir.Growth):
            return self.growth(node)
        if isinstance(node, ir.CellRef):
            if self.cells is None:
                return b.missing(node.span, "table cells are only known once the tables are computed")
            v = self.cells(node.table, node.row, node.column)
            if v is not None and math.isnan(v):
                return b.missing(node.span, f"cell {node.table}.{node.row}.{node.column} is not computed")
            return 0.0 if v is None else v
        raise AssertionError(f"cannot evaluate {node!r}")

    # --- years ---------------------------------------------------------------------------
    def in_year(self, year: int) -> "_Ctx":
        """This figure's evaluation as if the evaluated year were `year` (`x@2006`)."""
        return _InYear(self, year)

    def growth(self, node: ir.Growth):
        """ir.Growth: the ratio over the years, deflated, as an annual average if asked, minus 1."""
        b, span = self.b, node.span

        def rate_product(expr, factor):
            out = 1.0
            for y in range(node.start + 1, node.end + 1):  # in year order, on both backends
                r = self.in_year(y).eval(expr)
                out = b.arith("*", out, b.arith("+", 1.0, b.arith("*", r, factor, span), span), span)
            return out

        if node.rates:
            ratio = rate_product(node.operand, node.factor)
        else:
            ratio = b.arith("/", self.in_year(node.end).eval(node.operand),
                            self.in_year(node.start).eval(node.operand), span)
        if node.deflator is not None:
            ratio = b.arith("/", ratio, rate_product(node.deflator, node.deflator_factor), span)
        if node.annual:
            ratio = b.power(ratio, 1.0 / (node.end - node.start), span)
        return b.finite(b.arith("-", ratio, 1.0, span), span)

    # --- bases -----------------------------------------------------------------------------
    def basis(self, name: str, policy: ir.Policy, span):
        """-> (the basis value, the municipality that forms it or None): the kind's meaning, in `bases`."""
        if isinstance(policy, Stacked):  # several bases at once, along a leading axis (array backend)
            return self.b.stack([self.basis(name, p, span)[0] for p in policy]), None
        shared = self.k.shared
        if shared is None or self._adjusted_basis(name, policy):
            return BY_NODE[type(policy)].value(self, name, policy, span)
        # Without adjustments a basis is the same for every figure that compares with it (arrays only);
        # a policy is known by its id (an attrs hash walks every member), kept with it so the id is not reused
        key = ("basis", name, id(policy))
        got = shared.get(key)
        if got is None or got[0] is not policy:
            got = shared[key] = (policy, BY_NODE[type(policy)].value(self, name, policy, span))
        return got[1]

    def _adjusted_basis(self, name: str, policy) -> bool:
        """Does this figure's adjustment reach the basis (its indicator, or the weight of a weighted mean)?"""
        return self.k.affected(name, self.adjust) or any(
            self.k.affected(r, self.adjust) for r in BY_NODE[type(policy)].reads(policy))

    # --- what a basis kind reads, beyond the backend's primitives ------------------------------
    def member(self, name: str, who: str, span):
        """A group member's value: the own municipality's as the measure adjusts it, another's as seen from it."""
        return self.own(name, span) if who == OWN else self.at(name, who, span)

    def own_in_year(self, name: str, year: int, span):
        """The evaluated municipality's value in a given year: adjusted only where that is the evaluated year."""
        b = self.b
        return b.select(b.is_year(year), lambda: self.own(name, span),
                        lambda: self.indicator(name, OWN, year, False, span))

    @property
    def own_name(self):
        """The evaluated municipality's name (None on the array backend, where it is every one)."""
        return self.b.name(OWN)

    def members(self, name: str, group: ir.MemberSet, span):
        """The group's candidates: (names, values, masks); a mask says whether it counts for the evaluated row.

        On the array backend the values and masks are a `Seen`: the same sequences, kept in parts."""
        b = self.b
        names = [m for m in group.include if m not in group.exclude]
        # in another year (`x@2006`, a growth) or with members by year: the general path, which
        # reads each member where this context reads it and masks it by its years
        general = bool(group.years) or isinstance(self, _InYear)
        if not b.scalar:
            if general or not b.in_parts:
                return self._members(name, group, names, span)
            seen = Seen(self, name, names, group, span)
            return seen.names, seen, seen.masks
        plain = self.k.plain
        if self.tracer is None or plain is None or self.k.affected(name, self.adjust):
            return self._members(name, group, names, span)
        # Without adjustments the members are the same for every figure of the municipality-year
        # (and the year they are read in: `x@2006` reads them in 2006)
        key = ("members", name, id(group), getattr(self, "year", ROW))
        got = plain.get(key)
        if got is not None and got[0] is group:
            _, (names, values, masks), events = got
            for method, args in events:
                getattr(self.tracer, method)(*args)
            return list(names), list(values), list(masks)
        rec = self.tracer = _Recorder(self.tracer)
        try:
            out = self._members(name, group, names, span)
        finally:
            self.tracer = rec.inner
        if not any(b.is_missing(v) for v in out[1]):  # a missing value's reason points at where it was asked for
            plain[key] = group, out, rec.events
        return out

    def _members(self, name: str, group: ir.MemberSet, names: list, span):
        b = self.b
        masks = [b.not_(b.is_own(m)) if group.exclude_own else True for m in names]
        if group.years:  # members in some years only: they count where the evaluated year is one of them
            periods: dict = {}  # a member may have several (a KOSTRA group read from a KLASS file)
            for m, lo, hi in group.years:
                years = b.in_years(lo, hi)
                periods[m] = b.or_(periods[m], years) if m in periods else years
            masks = [b.and_(mask, periods[m]) if m in periods else mask for m, mask in zip(names, masks)]
        values = [self.at(name, m, span) for m in names]
        if group.include_own:  # `G + own`: the own municipality, unless it is in already
            inside = False
            for m, mask in zip(names, masks):
                inside = b.or_(inside, b.and_(b.is_own(m), mask))
            names.append(OWN)
            masks.append(b.not_(inside))
            values.append(self.own(name, span))
        return names, values, masks

    def left_out(self, name, policy, names, values, masks, span, weights=None):
        """Warn once per member without a value (scalar): it is left out of the basis, not counted as zero."""
        if self.k.warn is None:
            return []
        skipped = []
        for i, (m, v, mask) in enumerate(zip(names, values, masks)):
            if not mask:
                continue
            bad = v if self.b.is_missing(v) else (weights[i] if weights and self.b.is_missing(weights[i]) else None)
            if bad is not None:
                skipped.append(self.b.name(m))
                self.k.warn((name, self.b.name(m)), span, f"{bad.message}; left out of {policy.text}", bad.hint)
        return skipped

    def trace_basis(self, name, policy, names, values, valid, v, peer, ranked=False, skipped=()):
        if self.tracer is None:
            return
        rows = [(self.b.name(m), x, i + 1 if ranked else None)
                for i, (m, x, ok) in enumerate((m, x, ok) for m, x, ok in zip(names, values, valid) if ok)]
        self.tracer.basis(name, policy.text or type(policy).__name__, self.p.indicators[name].unit, rows, v,
                            self.b.name(peer) if peer else None, list(skipped))


class _LetValuesOnly:
    """A tracer for the lets a saving does not read: their values and steps, but no inputs or bases."""

    def __init__(self, tracer):
        self.tracer = tracer

    def input(self, *args) -> None:
        pass

    def basis(self, *args) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self.tracer, name)


class _NoNodeValues:
    """A tracer that records inputs and bases but not node values or lets: one node evaluated in
    several years (the operand of a growth) would otherwise show only its last year's value."""

    def __init__(self, tracer):
        self.tracer = tracer

    def value(self, node, v) -> None:
        pass

    def let(self, name, value, node) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self.tracer, name)


class _InYear(_Ctx):
    """A figure's evaluation with another evaluated year: the own municipality's and every named
    one's values are read in `year`; the measure's adjustments apply only if `year` is the
    evaluated year (as for `year(Y)`).  Lets are computed again for that year."""

    def __init__(self, parent: _Ctx, year: int):
        self.__dict__.update(parent.__dict__)
        if "eval" in self.__dict__:  # the parent's shortcut to its own _eval: this context's instead
            self.eval = self._eval
        self.parent, self.year = parent, year
        self.lets = {}
        if parent.tracer is not None and not isinstance(parent.tracer, _NoNodeValues):
            self.tracer = _NoNodeValues(parent.tracer)

    def own(self, name: str, span):
        return self.parent.own_in_year(name, self.year, span)

    def own_in_year(self, name: str, year: int, span):
        return self.parent.own_in_year(name, year, span)

    def at(self, name: str, who: str, span):
        b = self.b
        plain = lambda: self.indicator(name, who, self.year, False, span)  # noqa: E731
        if not self.k.affected(name, self.adjust):
            return plain()
        return b.select(b.and_(b.is_own(who), b.is_year(self.year)), lambda: self.parent.own(name, span), plain)

    def basis(self, name: str, policy: ir.Policy, span):
        # never from the shared memo of bases, which holds the evaluated year's
        if isinstance(policy, Stacked):  # `basis(x)@2017` under several bases at once (array backend)
            return self.b.stack([self.basis(name, p, span)[0] for p in policy]), None
        return BY_NODE[type(policy)].value(self, name, policy, span)


class Seen(Sequence):
    """A group's values of one indicator as each evaluated row sees them, kept in parts (array backend).

    Position j is member `fixed[j]`: its plain value (as any other municipality sees it, one value
    per year), except on the row where it is the evaluated municipality, where it is the own value
    as the measure adjusts it; `G + own` appends the own value.  Indexing gives what `members`
    gives on the scalar backend, one entry at a time (broadcast to every row); the array backend's
    `masked_sums`, `mean` and `kth` use the parts instead: the group is the same for every row
    outside it, so it is summed or sorted once per year, and again only for its members' rows.
    """

    def __init__(self, ctx: _Ctx, name: str, fixed: list, group: ir.MemberSet, span):
        self.ctx, self.name, self.span, self.fixed = ctx, name, span, fixed
        # every member's plain value at once, a row each: the same operations on each element as
        # one member at a time (`who` a tuple of names: the array backend reads a row for each)
        self.block = ctx.indicator(name, tuple(fixed), ROW, False, span) if fixed else None
        self._plain = None
        self.adjusted = ctx.k.affected(name, ctx.adjust)  # the own value differs from its plain one
        self.exclude_own, self.include_own = group.exclude_own, group.include_own
        self.names = fixed + [OWN] if group.include_own else list(fixed)
        self.masks = _SeenMasks(self)
        self._own = None

    @property
    def plain(self) -> list:
        """Each member's plain value (one value per year), as `indicator` gives it for that member alone."""
        if self._plain is None:
            block, n = self.block, len(self.fixed)
            self._plain = [block[i] if getattr(block, "ndim", 0) == 2 and len(block) == n else block
                           for i in range(n)] if n else []
        return self._plain

    @property
    def own(self):
        if self._own is None:
            self._own = self.ctx.own(self.name, self.span)
        return self._own

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i):
        i = range(len(self.names))[i]
        if i == len(self.fixed):
            return self.own
        if not self.adjusted:
            return self.plain[i]
        b = self.ctx.b
        return b.select(b.is_own(self.fixed[i]), lambda: self.own, lambda: self.plain[i])


class _SeenMasks(Sequence):
    """Whether each of a `Seen`'s positions counts for the evaluated row (as `members` gives them)."""

    def __init__(self, seen: Seen):
        self.seen = seen

    def __len__(self) -> int:
        return len(self.seen.names)

    def __getitem__(self, i):
        s, b = self.seen, self.seen.ctx.b
        i = range(len(s.names))[i]
        if i < len(s.fixed):
            return b.not_(b.is_own(s.fixed[i])) if s.exclude_own else True
        inside = False  # `G + own`: the own municipality, unless it is in already
        if not s.exclude_own:
            for m in s.fixed:
                inside = b.or_(inside, b.is_own(m))
        return b.not_(inside)
