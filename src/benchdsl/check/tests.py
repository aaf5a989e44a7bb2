"""`test` blocks: whose figures, from which panel, and each expectation typed like a claim.

A test is not part of the program `run` computes: `check` reports its errors
(so an editor shows them as the analyst types) and keeps the checked tests
aside for `benchdsl test` (`testing.py`), which evaluates the same program on
the test's panel.  An expectation is checked as a top-level claim is: its
expression by `Exprs` (a measure's name is its figure under the expectation's
basis, `basis(x)`, `peer(x)`, a table cell), its expected value as a published
value, so a unit is converted or refused here, before any data is read.  A
claim of the rules can also be expected by its name (`group_size.third_gap`),
with its measure's lets.
"""

from __future__ import annotations

import attrs

from benchdsl import ast, ir, published, units
from benchdsl.check.context import Context, source_text
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs, Scope, Where
from benchdsl.diagnostics import did_you_mean
from benchdsl.limits import YEARS
from benchdsl.span import Span


@attrs.frozen
class Expectation:
    """One `expect` line, checked: what to compute, and what it is held against."""

    text: str  # as written, for messages: "home_care under mean_others"
    claim: ir.Claim  # evaluated as a claim (its value or its peer), published = the expected value
    measure: str | None  # a measure's figure instead (no saving is `-`), `claim.expr` scales it
    not_computed: bool  # `= not computed`: met when the figure cannot be computed
    span: Span | None  # the expected value: where a failure is reported


@attrs.frozen
class Test:
    title: str
    own: str | None  # None: the rules' own
    year: int | None
    panel: ast.Panel | ast.InlinePanel
    expectations: tuple[Expectation, ...]
    span: Span | None


class Tests:
    def __init__(self, ctx: Context, exprs: Exprs, depth: Depth):
        self.c, self.x, self.depth = ctx, exprs, depth

    def check(self, tests: list[ast.Test], claims: list[ir.Claim]) -> list[Test]:
        by_name = {c.name: c for c in claims}
        return [t for t in (self.test(d, by_name) for d in tests) if t is not None]

    def test(self, d: ast.Test, claims: dict[str, ir.Claim]) -> Test | None:
        c = self.c
        errors = len(c.diags)
        own = year = None
        for extra in d.owns[1:]:
            c.err(extra.span, f"a second `own` in test \"{d.title}\" (the first is at line {d.owns[0].span.line})")
        if d.owns:
            o = d.owns[0]
            year = c.whole(o.year, "the year", *YEARS, f"own {o.name} 2007")
            if o.name not in c.municipalities:
                c.err(o.span, f"`{o.name}` is not a declared municipality", did_you_mean(o.name, c.municipalities))
            own = o.name
        if not d.panels:
            c.err(d.span, f"test \"{d.title}\" has no panel: which values are the rules computed from?",
                  "add an inline panel: panel { … } with the lines of a panel file, or panel \"cases/FILE.csv\"")
        for extra in d.panels[1:]:
            c.err(extra.span, f"a second panel in test \"{d.title}\"", "a test reads one panel; merge their lines")
        for p in d.panels[:1]:
            if isinstance(p, ast.InlinePanel) and not p.rows:
                c.err(p.span, "the panel is empty", "its first line names the columns: variable,municipality,year,value,unit")
        if not d.expects:
            c.err(d.span, f"test \"{d.title}\" expects nothing", "add a line such as: expect MEASURE under BASIS = 0.1")
        got = [self.expect(e, claims) for e in d.expects]
        if len(c.diags) > errors or any(g is None for g in got):
            return None
        return Test(d.title, own, year, d.panels[0], tuple(got), d.span)

    def expect(self, e: ast.Expect, claims: dict[str, ir.Claim]) -> Expectation | None:
        c, x = self.c, self.x
        text = source_text(e.expr) + (f" under {e.under}" if e.under else "")
        if e.under is not None and e.under not in c.scenarios:
            c.err(e.span, f"`{e.under}` is not a declared basis", did_you_mean(e.under, c.scenarios), about=e.under)
            return None
        where = getattr(e.expected, "span", None) or e.span
        nc = isinstance(e.expected, ast.NotComputed)
        expected = ast.PubNone(where) if nc else e.expected  # a stand-in: nothing is compared
        what = f"`expect {text}`"
        ref = e.expr if isinstance(e.expr, ast.Ref) else None
        kind = c.kind_of.get(ref.path[0]) if ref else None
        if ref is not None and (kind == "measure" and len(ref.path) > 1 or kind is None and ref.name in claims):
            return self.claim(e, ref, claims, expected, text, what, nc, where)
        if ref is not None and len(ref.path) == 1 and kind == "measure":
            if e.under is None:
                c.err(e.span, f"measure `{ref.name}` is computed under a basis: which one?",
                      f"write: expect {ref.name} under BASIS = …")
                return None
            q = c.measure_units.get(ref.name)
            if q is None or ref.name not in c.measures:  # the measure's own errors are reported
                return None
            pub = x.published(expected, q, where, what)
            if pub is None:
                return None
            if published.form(pub).names_municipality:
                c.err(where, f"{what} is a saving, not a municipality", "expect a number, `-` or `not computed`")
                return None
            node = ir.SavingRef(ref.name, x.show(q), ref.span)
            scaled = ir.Scaled(node, x.pub_factor(q, expected), x.pub_unit(q, expected))
            return Expectation(text, ir.Claim(text, text, None, e.under, scaled, pub, e.span), ref.name, nc, where)
        got = x.expr(e.expr, Scope(Where.CLAIM, None, scenario=e.under is not None))
        if got is None:
            return None
        node, q = got
        if self.depth.too_long(self.depth.cost(node, {})[0], e.expr.span or e.span, what):
            return None
        pub = x.published(expected, q, where, what)
        if pub is None:
            return None
        names = published.form(pub).names_municipality
        if isinstance(node, ir.PeerOf):
            if not names and not nc:
                c.err(where, f"peer() gives a municipality; {what} must expect one, e.g. `= Bergen`")
                return None
            expr = node
        elif names:
            c.err(where, f"{what} expects a municipality, so its value must be peer(INDICATOR)")
            return None
        else:
            expr = ir.Scaled(node, x.pub_factor(q, expected), x.pub_unit(q, expected))
        return Expectation(text, ir.Claim(text, text, None, e.under, expr, pub, e.span), None, nc, where)

    def claim(self, e, ref, claims, expected, text, what, nc, where) -> Expectation | None:
        """A claim of the rules by its name: its value (with its measure's lets) against the expected one."""
        c, x = self.c, self.x
        name = ref.name
        cl = claims.get(f"{name}.{e.under}") if e.under else None
        cl = cl or claims.get(name)
        if cl is None:
            several = [n for n in claims if n.startswith(name + ".")]
            if several and e.under is None:
                c.err(e.span, f"claim `{name}` is audited under several bases: which one?",
                      f"write: expect {name} under BASIS = …")
            else:
                measure = ref.path[0]
                known = [n.split(".")[1] for n in claims if n.startswith(measure + ".")]
                c.err(ref.span or e.span, f"measure `{measure}` has no claim `{'.'.join(ref.path[1:])}`",
                      did_you_mean(ref.path[1], known), about=measure)
            return None
        if e.under is not None and cl.scenario != e.under:
            c.err(e.span, f"claim `{name}` is under `{cl.scenario or 'no basis'}`, not `{e.under}`",
                  f"write: expect {name}" + (f" under {cl.scenario}" if cl.scenario else "") + " = …")
            return None
        if isinstance(cl.expr, ir.PeerOf):
            pub = x.published(expected, None, where, what)
            if pub is None:
                return None
            if not (nc or published.form(pub).names_municipality):
                c.err(where, f"claim `{name}` gives a municipality; {what} must expect one, e.g. `= Bergen`")
                return None
            return Expectation(text, attrs.evolve(cl, name=text, published=pub, span=e.span), None, nc, where)
        q = units.parse(cl.expr.unit)
        pub = x.published(expected, q, where, what)
        if pub is None:
            return None
        if published.form(pub).names_municipality:
            c.err(where, f"claim `{name}` is a number, not a municipality")
            return None
        scaled = ir.Scaled(cl.expr.expr, cl.expr.factor * x.pub_factor(q, expected), x.pub_unit(q, expected))
        return Expectation(text, attrs.evolve(cl, name=text, expr=scaled, published=pub, span=e.span), None, nc, where)
