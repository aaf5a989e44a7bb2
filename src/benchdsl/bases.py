"""Basis kinds: what a figure is compared with.  One class per kind, found through `KINDS`.

A kind holds everything about itself: how the rules write it (its word in
`lexicon.BASES`, or another form: a municipality's name, a value), how its
arguments are read and checked, the IR node it becomes (the data classes stay
in `ir.py`, so a checked program loads without this module), what it means
over the kernel's primitives, and how it is described.  The checker, the
kernel, `sensitivity` and the language server ask the registry; none of them
switches on the kinds.  Adding a kind is one class here, its word in
`lexicon.BASES`, and its tests (docs/architecture.md, "Adding a basis kind").

`read` gets the checker's expression context (`ctx`): `err`, `whole`,
`member_set`, `is_indicator`, `names_of`, `expr`, `factor`, `show`, `text`.
`value` gets one figure's evaluation context (`ev`, the kernel's): `b` (the
backend's primitives), `p` (the program), `tracer`, and the places: `own`,
`at`, `member`, `own_in_year`, `own_name`, `members`, `left_out`,
`trace_basis`.  It returns the basis value and the municipality that forms
it (None if none does, or on the array backend).
"""

from __future__ import annotations

from benchdsl import ir, units
from benchdsl.diagnostics import did_you_mean
from benchdsl.limits import MAX_RANK, YEARS


class _Syntax:
    """`benchdsl.ast`, imported when a rule is read (checking), never by a run whose rules are cached."""

    def __getattr__(self, name):
        from benchdsl import ast as syntax

        return getattr(syntax, name)


ast = _Syntax()


class Kind:
    """A basis kind; subclasses fill in the parts that are theirs."""

    node: type  # the IR class it becomes
    word: str | None = None  # written as word(...); None: written another way (see `writes`)
    usage: str = ""  # how the rules write it, in messages: "mean(GROUP)"
    arity: int = 0  # arguments of word(...)
    fixed_peer = False  # the basis itself names the municipality that forms it: a hover need not repeat it

    # --- the rules -------------------------------------------------------------------------
    def writes(self, e, ctx) -> bool:
        """Is this AST expression written as this kind (before its arguments are checked)?"""
        return isinstance(e, ast.Call) and e.name == self.word

    def read(self, e, ctx, ind_unit, scope):
        """The IR node, or None after reporting through ctx.err."""
        if len(e.args) != self.arity:
            ctx.err(e.span, f"wrong arguments to {e.name}()", self.usage)
            return None
        return self.read_args(e, ctx)

    def read_args(self, e: ast.Call, ctx):
        raise NotImplementedError

    # --- what the program reads --------------------------------------------------------------
    def group(self, policy) -> ir.MemberSet | None:
        """The municipalities it compares with, if it compares with a group."""
        return None

    def reads(self, policy) -> tuple[str, ...]:
        """Indicators it reads besides the one compared (a weight)."""
        return ()

    def describe(self, policy, own: str) -> str | None:
        """A line for the language server's hover over a `basis` declaration."""
        return None

    # --- meaning ---------------------------------------------------------------------------------
    def value(self, ev, name: str, policy, span):
        raise NotImplementedError


class _GroupKind(Kind):
    def group(self, policy) -> ir.MemberSet:
        return policy.group

    def describe(self, policy, own: str) -> str:
        members = policy.group.members(own)
        return f"members for {own} ({len(members)}): " + ", ".join(members)


class Mean(_GroupKind):
    """mean(GROUP): the plain mean of the members with a value."""

    node, word, usage, arity = ir.Mean, "mean", "mean(GROUP)", 1

    def read_args(self, e, ctx):
        s = ctx.member_set(e.args[0])
        return None if s is None else ir.Mean(s, ctx.text(e))

    @staticmethod
    def make(group: ir.MemberSet) -> ir.Mean:
        return ir.Mean(group, f"mean({group.text})")

    def value(self, ev, name, policy, span):
        b = ev.b
        names, values, masks = ev.members(name, policy.group, span)
        # members without a value are left out
        v = b.mean(values, masks, span, f"no member of {policy.group.text} has a value of `{name}`")
        skipped = ev.left_out(name, policy, names, values, masks, span)
        if ev.tracer is not None:
            valid = [b.valid(mask, x) for x, mask in zip(values, masks)]
            ev.trace_basis(name, policy, names, values, valid, v, None, skipped=skipped)
        return v, None


class WMean(_GroupKind):
    """wmean(GROUP, WEIGHT): the mean weighted by another indicator (population, users, ...)."""

    node, word, usage, arity = ir.WMean, "wmean", "wmean(GROUP, WEIGHT)", 2

    def read_args(self, e, ctx):
        w = e.args[1]
        if not (isinstance(w, ast.Ref) and ctx.is_indicator(w.name)):
            ctx.err(getattr(w, "span", e.span), "wmean(GROUP, WEIGHT) weighs by an indicator",
                    did_you_mean(getattr(w, "name", ""), ctx.names_of("indicator")))
            return None
        s = ctx.member_set(e.args[0])
        return None if s is None else ir.WMean(s, w.name, ctx.text(e))

    @staticmethod
    def make(group: ir.MemberSet, weight: str) -> ir.WMean:
        return ir.WMean(group, weight, f"wmean({group.text}, {weight})")

    def reads(self, policy) -> tuple[str, ...]:
        return (policy.weight,)

    def value(self, ev, name, policy, span):
        b = ev.b
        names, values, masks = ev.members(name, policy.group, span)
        weights = ev.members(policy.weight, policy.group, span)[1]  # each member's weight, seen as its value is
        # a member without a weight is left out, as one without a value
        count, _, vw, total = b.masked_sums(values, masks, weights)
        v = b.select(count == 0, lambda: b.missing(span, f"no member of {policy.group.text} has a value of `{name}`"),
                     lambda: b.quotient(vw, total, span, f"{policy.text}: the weights add up to zero"))
        skipped = ev.left_out(name, policy, names, values, masks, span, weights)
        if ev.tracer is not None:
            valid = [b.valid(mask, x, w) for x, w, mask in zip(values, weights, masks)]
            ev.trace_basis(name, policy, names, values, valid, v, None, skipped=skipped)
        return v, None


class Best(_GroupKind):
    """best(K, GROUP): the K-th best member, in the indicator's `better` direction."""

    node, word, usage, arity = ir.Best, "best", "best(K, GROUP)", 2

    def read_args(self, e, ctx):
        k = ctx.whole(e.args[0], "K in best(K, GROUP)", 1, MAX_RANK, "best(3, ASSS - own)")
        if k is None:
            return None
        s = ctx.member_set(e.args[1])
        return None if s is None else ir.Best(k, s, ctx.text(e))

    @staticmethod
    def make(k: int, group: ir.MemberSet) -> ir.Best:
        return ir.Best(k, group, f"best({k}, {group.text})")

    def value(self, ev, name, policy, span):
        b = ev.b
        better = ev.p.indicators[name].better
        if better is None:
            return b.missing(span, f"{policy.text} needs to know which direction is better for `{name}`",
                             f"add `better lower` or `better higher` to indicator `{name}`"), None
        names, values, masks = ev.members(name, policy.group, span)
        v, chosen, order = b.kth(values, masks, policy.k, better == "higher", span,
                                 lambda n: f"{policy.text}: the group has only {n} members with a value of `{name}`")
        skipped = ev.left_out(name, policy, names, values, masks, span)
        who = b.name(names[chosen]) if b.scalar and chosen >= 0 else None
        if ev.tracer is not None:
            ev.trace_basis(name, policy, [names[i] for i in order], [values[i] for i in order],
                           [True] * len(order), v, who, ranked=True, skipped=skipped)
        return v, who


class Peer(Kind):
    """A municipality, written by its name: its value of the indicator."""

    node, usage, fixed_peer = ir.Peer, "a municipality", True

    def writes(self, e, ctx) -> bool:
        return isinstance(e, ast.Ref) and len(e.path) == 1 and ctx.is_municipality(e.name)

    def read(self, e, ctx, ind_unit, scope):
        return ir.Peer(e.name, e.name)

    def describe(self, policy, own: str) -> str:
        return f"the value of {policy.name}"

    def value(self, ev, name, policy, span):
        v = ev.at(name, policy.name, span)
        ev.trace_basis(name, policy, [policy.name], [v], [True], v, policy.name)
        return v, policy.name


class Year(Kind):
    """year(YYYY): the own municipality's value in another year."""

    node, word, usage, arity, fixed_peer = ir.Year, "year", "year(YYYY)", 1, True

    def read_args(self, e, ctx):
        y = ctx.whole(e.args[0], "the year in year(YYYY)", *YEARS, "year(2004)")
        return None if y is None else ir.Year(y, ctx.text(e))

    def describe(self, policy, own: str) -> str:
        return f"{own}'s own value in {policy.year}"

    def value(self, ev, name, policy, span):
        v = ev.own_in_year(name, policy.year, span)
        if ev.tracer is not None:
            ev.trace_basis(name, policy, [f"{ev.own_name} {policy.year}"], [v], [True], v, ev.own_name)
        return v, ev.own_name


class Literal(Kind):
    """A value, written with its unit: basis(cost, 120 000 NOK/user)."""

    node, usage = ir.Literal, "a value"

    def writes(self, e, ctx) -> bool:
        return isinstance(e, ast.Quantity)

    def read(self, e, ctx, ind_unit, scope):
        if ind_unit is None:
            ctx.err(e.span, "a literal basis belongs inside basis(INDICATOR, value); a `basis` declaration applies "
                            "to many indicators")
            return None
        got = ctx.expr(e, scope)
        if got is None:
            return None
        try:
            f = ctx.factor(got[1], ind_unit)
        except units.UnitError as exc:
            ctx.err(e.span, f"basis value in {ctx.show(got[1])} for an indicator in {ctx.show(ind_unit)}", exc.hint)
            return None
        return ir.Literal(e.value * f, got[0].text)

    def value(self, ev, name, policy, span):
        ev.trace_basis(name, policy, [], [], [], policy.value, None)
        return policy.value, None


# The registry, in the order messages list the kinds.
KINDS: tuple[Kind, ...] = (Mean(), WMean(), Best(), Peer(), Year(), Literal())
BY_NODE: dict[type, Kind] = {k.node: k for k in KINDS}
MEAN, WMEAN, BEST = BY_NODE[ir.Mean], BY_NODE[ir.WMean], BY_NODE[ir.Best]


def kind(policy) -> Kind:
    """The kind of a checked basis (an IR node)."""
    return BY_NODE[type(policy)]


def written(e, ctx) -> Kind | None:
    """The kind an AST expression is written as, or None."""
    return next((k for k in KINDS if k.writes(e, ctx)), None)


def expected() -> str:
    """The kinds as a message lists them: mean(GROUP), ..., year(YYYY) or a value."""
    usages = [k.usage for k in KINDS]
    return ", ".join(usages[:-1]) + " or " + usages[-1]


class NeedMean(_GroupKind):
    """needmean(GROUP, INDEX): costs compared after need adjustment.

    Each member's value is divided by its need index (the expenditure-need index DKI,
    "utgiftsbehov", 1.0 = the national average), the mean is taken of what is left, and the
    own municipality's index scales it back: own index × mean(value ÷ index).  A municipality
    with a need 10 % above average is thus compared with a level 10 % above the others'
    need-adjusted mean.  A constant factor on the index cancels, so it may be written in any
    dimensionless unit (1 or %).  A member without an index (or with index 0) is left out with
    a warning, as one without a value is.
    """

    node, word, usage, arity = ir.NeedMean, "needmean", "needmean(GROUP, INDEX)", 2

    def read_args(self, e, ctx):
        x = e.args[1]
        if not (isinstance(x, ast.Ref) and ctx.is_indicator(x.name)):
            ctx.err(getattr(x, "span", e.span), "needmean(GROUP, INDEX) divides by an indicator: the need index",
                    did_you_mean(getattr(x, "name", ""), ctx.names_of("indicator")))
            return None
        q = ctx.indicator_unit(x.name)
        if q is None:  # its unit did not check: reported at the indicator
            return None
        try:
            ctx.factor(q, ctx.unit(None))
        except units.UnitError:
            ctx.err(x.span, f"the need index `{x.name}` has unit {ctx.show(q)}; an index must be dimensionless",
                    f"declare it with `unit dimensionless` (1.0 = the national average), as the DKI is published")
            return None
        s = ctx.member_set(e.args[0])
        return None if s is None else ir.NeedMean(s, x.name, ctx.text(e))

    @staticmethod
    def make(group: ir.MemberSet, index: str) -> ir.NeedMean:
        return ir.NeedMean(group, index, f"needmean({group.text}, {index})")

    def reads(self, policy) -> tuple[str, ...]:
        return (policy.index,)

    def describe(self, policy, own: str) -> str:
        return super().describe(policy, own) + f"; each divided by its `{policy.index}`, × {own}'s"

    def value(self, ev, name, policy, span):
        b = ev.b
        names, values, masks = ev.members(name, policy.group, span)
        indexes = [ev.member(policy.index, m, span) for m in names]
        # value ÷ index: missing where either is, or where the index is 0 (then it says why)
        ratios = [b.arith("/", x, i, span) for x, i in zip(values, indexes)]
        count, total, _, _ = b.masked_sums(ratios, masks)
        mean = b.quotient(total, count, span, f"no member of {policy.group.text} has both a value of `{name}` "
                                              f"and a `{policy.index}`")
        own_index = ev.own(policy.index, span)
        v = b.arith("*", own_index, mean, span)
        skipped = ev.left_out(name, policy, names, ratios, masks, span)
        if ev.tracer is not None:
            valid = [b.valid(mask, r) for r, mask in zip(ratios, masks)]
            ev.trace_basis(name, policy, names, values, valid, v, None, skipped=skipped)
            use = ev.tracer.bases.get((name, policy.text))
            if use is not None:  # what explain shows besides the values: each member's index, and the own one
                kept = [(i, r) for i, r, ok in zip(indexes, ratios, valid) if ok]
                for row, (i, r) in zip(use.rows, kept):
                    row.index, row.per_index = i, r
                use.index = policy.index
                use.own_index = None if b.is_missing(own_index) else own_index
                use.per_index = None if b.is_missing(mean) else mean
        return v, None


# A kind added after the registry above is made: listed with the group kinds in messages.
NEEDMEAN = NeedMean()
KINDS = KINDS[:2] + (NEEDMEAN,) + KINDS[2:]
BY_NODE[ir.NeedMean] = NEEDMEAN
