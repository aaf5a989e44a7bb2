"""Expressions over years -> IR: `x@2006`, growth(), compound(), annual() and points().

A year is a point in time, and an annual rate written for year Y (Table 2's "growth 2005") is the
growth from Y-1 to Y.  So growth(x, 2004, 2007) of a level and compound(r, 2004, 2007) of annual
rates are both the growth from 2004 to 2007 (compound multiplies the rates of 2005, 2006 and
2007), and annual() of either is the geometric average over its 3 years.  Growth is a fraction
(dimensionless: printed in %); a difference of shares or of growth rates is in percentage points
(`pp`), a unit of its own that never converts to %, so mixing the two is an error here, before
any data is read.
"""

from __future__ import annotations

from benchdsl import ast, ir, units
from benchdsl.limits import YEARS

FUNCTIONS = ("growth", "compound", "annual", "points")
USAGE = {
    ast.AT_YEAR: "x@2006",
    "growth": "growth(x, 2004, 2007) or growth(x, 2004, 2007, deflator)",
    "compound": "compound(rate, 2003, 2007) or compound(rate, 2003, 2007, deflator)",
    "annual": "annual(growth(x, 2004, 2007)) or annual(compound(rate, 2003, 2007))",
    "points": "points(share@2007, share@2006)",
}


def handles(name: str) -> bool:
    return name == ast.AT_YEAR or name in FUNCTIONS


def call(ex, e: ast.Call, scope):
    """-> (ir node, unit) or None after reporting an error; `ex` is the checker's `Exprs`."""
    from benchdsl.check.exprs import Where

    what = "a value in a given year" if e.name == ast.AT_YEAR else f"{e.name}()"
    if scope.kind is Where.INDICATOR:
        ex.err(e.span, f"{what} cannot be used in an indicator's formula",
               "an indicator is a value per municipality and year; compare years in a measure or a claim")
        return None
    if e.name == ast.AT_YEAR:
        return _at_year(ex, e, scope)
    if e.name == "points":
        return _points(ex, e, scope)
    if e.name == "annual":
        inner = e.args[0] if len(e.args) == 1 else None
        if not (isinstance(inner, ast.Call) and inner.name in ("growth", "compound")):
            ex.err(e.span, "annual() takes a growth() or a compound(), whose years it averages over",
                   USAGE["annual"])
            return None
        return _growth(ex, inner, scope, annual=True, span=e.span)
    return _growth(ex, e, scope, annual=False, span=e.span)


def _year(ex, arg, usage: str) -> int | None:
    return ex.whole(arg, "a year", *YEARS, usage)


def _operand(ex, e, scope, what: str):
    """An expression whose value is asked for in other years: not a saving, a cell or a municipality."""
    got = ex.expr(e, scope)
    if got is None:
        return None
    node, q = got
    for n in ir.walk(node):
        if isinstance(n, ir.PeerOf) or n.unit == "municipality":
            ex.err(e.span, f"{what} of a municipality: peer() has no value to compare over years")
            return None
        if isinstance(n, (ir.SavingRef, ir.CellRef)):
            ex.err(getattr(n, "span", None) or e.span,
                   f"{what} of a {'saving' if isinstance(n, ir.SavingRef) else 'table cell'}, which is "
                   f"computed for the evaluated year only", "compare the indicators it is computed from")
            return None
    return node, q


def _at_year(ex, e, scope):
    year = _year(ex, e.args[1], USAGE[ast.AT_YEAR])
    got = _operand(ex, e.args[0], scope, "a value in a given year")
    if year is None or got is None:
        return None
    node, q = got
    return ir.AtYear(node, year, ex.show(q), e.span), q


def _fraction(ex, e, q, what: str) -> float | None:
    """The factor that makes a rate (in % or a plain number) a fraction."""
    try:
        return ex.factor(q, units.dimensionless())
    except units.UnitError:
        ex.err(e.span, f"{what} has unit {ex.show(q)}; an annual rate is in % or a plain number",
               "growth(x, FROM, TO) is for levels such as NOK/inhabitant; compound() for rates in %")
        return None


def _growth(ex, e: ast.Call, scope, annual: bool, span):
    rates = e.name == "compound"
    if len(e.args) not in (3, 4):
        ex.err(e.span, f"wrong arguments to {e.name}()", USAGE[e.name])
        return None
    start, end = _year(ex, e.args[1], USAGE[e.name]), _year(ex, e.args[2], USAGE[e.name])
    got = _operand(ex, e.args[0], scope, f"{e.name}()")
    deflator = _operand(ex, e.args[3], scope, "a deflator") if len(e.args) == 4 else (None, None)
    if start is None or end is None or got is None or deflator is None:
        return None
    if not start < end:
        ex.err(e.span, f"{e.name}() from {start} to {end}: the first year must be before the second",
               USAGE[e.name])
        return None
    node, q = got
    if not rates:
        factor = 1.0  # a ratio of two values in the same unit
    else:
        factor = _fraction(ex, e.args[0], q, f"the rate in {e.name}()")
        if factor is None:
            return None
    dnode, dq = deflator
    dfactor = 1.0
    if dnode is not None:
        dfactor = _fraction(ex, e.args[3], dq, "the deflator")
        if dfactor is None:
            return None
    one = units.dimensionless()
    text = ex.text(e) if not annual else f"annual({ex.text(e)})"
    return ir.Growth(rates, node, factor, start, end, dnode, dfactor, annual, ex.show(one), text, span), one


def _points(ex, e: ast.Call, scope):
    if len(e.args) != 2:
        ex.err(e.span, "wrong arguments to points()", USAGE["points"])
        return None
    left, right = ex.expr(e.args[0], scope), ex.expr(e.args[1], scope)
    if left is None or right is None:
        return None
    (ln, lq), (rn, rq) = left, right
    percent = units.parse("%")
    try:
        to_percent = ex.factor(lq, percent)
    except units.UnitError:
        ex.err(e.args[0].span, f"points() are a difference of shares or rates in %, not of {ex.show(lq)}",
               USAGE["points"])
        return None
    try:
        f = ex.factor(rq, lq)
    except units.UnitError:
        ex.err(e.args[1].span, f"points() of {ex.show(lq)} and {ex.show(rq)}", USAGE["points"])
        return None
    pp = units.parse("pp")
    node = ir.Arith("-", ln, rn, f, ex.show(lq), e.span)
    if to_percent != 1.0:
        node = ir.Arith("*", node, ir.Const(to_percent, "", f"{to_percent:g}", e.span), 1.0, ex.show(pp), e.span)
    else:
        node = ir.Arith("-", ln, rn, f, ex.show(pp), e.span)
    return node, pp
