"""AST -> checked program: names, references, units, duplicates, cycles.

Every unit in the rules is resolved here, once, into float factors; a rule
whose units do not combine into its declared unit is rejected before any data
is read.  All problems are collected as diagnostics; checking goes on after an
error so that one run shows them all.

The parts, each a class given the shared `Context`:
  names     declarations, duplicates, fields given twice, `own`, groups, `known`
  depth     expressions too deep to compute, chains too long
  exprs     expressions and units -> IR (bases and published values through their registries)
  measures  indicators, bases, measures and claims
  tables    tables, rows, totals, tables that take each other's totals
  figures   `figure`s: year tables the HTML report draws as charts (series, marks)
  tests     `test` blocks: checked here, kept aside for `benchdsl test` (not part of the program)
  units     `unit` declarations, put in effect before any unit text is read
  readings  `reading` declarations: the rules checked again with each in place
  words     `word` declarations: the scale of qualitative words, read before any published value
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from benchdsl import ast, ir
from benchdsl.check.context import Context
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs
from benchdsl.check.figures import Figures
from benchdsl.check.measures import Measures
from benchdsl.check.names import Names
from benchdsl.check.tables import Tables
from benchdsl.check.tests import Test, Tests
from benchdsl.check.units import Units
from benchdsl.check.words import Words
from benchdsl.diagnostics import Diagnostic

__all__ = ["check", "check_tests"]


def check(files: Iterable[ast.File]) -> tuple[ir.Program | None, list[Diagnostic]]:
    ctx = Context(list(files))
    return _check(ctx), ctx.diags


def check_tests(files: Iterable[ast.File]) -> tuple[ir.Program | None, list[Test], list[Diagnostic]]:
    """`check`, and the rules' `test` blocks checked against the program (for `benchdsl test`)."""
    ctx = Context(list(files))
    program = _check(ctx)
    return program, ctx.tests, ctx.diags


def _check(c: Context) -> ir.Program | None:
    declared = Units(c).check([d for f in c.files for d in f.decls if isinstance(d, ast.UnitDecl)])
    c.words = Words(c).check([d for f in c.files for d in f.decls if isinstance(d, ast.Word)])
    names, depth = Names(c), Depth(c)
    exprs = Exprs(c, names)
    measures, tables = Measures(c, exprs, depth), Tables(c, exprs, depth)

    owns, panels, knowns, claims, tests = [], [], [], [], []
    for f in c.files:
        for d in f.decls:
            names.check_repeated(d)
            depth.check(d)
            if isinstance(d, ast.Own):
                owns.append(d)
            elif isinstance(d, ast.Panel):
                panels.append(d)
            elif isinstance(d, ast.Known):
                knowns.append(d)
            elif isinstance(d, ast.Claim):
                claims.append(d)
            elif isinstance(d, ast.Test):
                tests.append(d)
            elif isinstance(d, (ast.UnitDecl, ast.Word)):
                pass  # checked above
            elif isinstance(d, ast.Reading):
                pass  # checked last, against the checked rules (check/readings.py)
            else:
                names.declare(d)
    c.municipalities.update((n, d.code) for n, d in c.decls.items() if isinstance(d, ast.Municipality))
    names.check_groups()
    own = names.own(owns)
    if not panels and not (tests and all(t.panels for t in tests)):  # rules tested on their tests' panels need none
        c.err(None, "no `panel` declaration: the rules read no data", 'add a line such as: panel "../data/kostra2007.csv"')
    measures.indicators()
    c.scenarios.update(measures.scenarios())
    checked, all_claims = measures.measures()
    c.measures.update(checked)
    tables.check()
    Figures(c, exprs, depth, tables).check()  # year tables with a chart: after the tables, before the claims
    for cl in claims:
        all_claims.extend(measures.claim(cl, None))
    all_claims.sort(key=_claim_order(c.tables))
    known = names.known(knowns, all_claims)
    c.tests = Tests(c, exprs, depth).check(tests, all_claims)
    if any(d.is_error for d in c.diags) or own is None or c.own_year is None:
        return None
    program = ir.Program(
        municipalities=c.municipalities,
        groups=c.groups,
        own=own.name,
        year=c.own_year,
        own_span=own.span,
        panels=tuple((p.path, p.span, p.mapping) for p in panels),
        indicators=c.indicators,
        scenarios=c.scenarios,
        measures=c.measures,
        tables=c.tables,
        claims=tuple(all_claims),
        known=known,
        files=tuple(f.path for f in c.files),
        units=declared,
        inputs=tuple(dict.fromkeys(c.inputs)),
    )
    if any(isinstance(d, ast.Reading) for f in c.files for d in f.decls):
        from benchdsl.check.readings import check_readings

        readings, diags = check_readings(c.files, program, lambda files: check(files))
        c.diags.extend(diags)
        if any(d.is_error for d in diags):
            return None
        program = attrs.evolve(program, readings=readings)
    return program


def _claim_order(tables: dict[str, ir.Table]):
    """Claims follow the report: the file of the first table, then the next ..."""
    ranks: dict[str, int] = {}
    for i, t in enumerate(tables.values()):
        ranks.setdefault(t.span.path if t.span else "", i)

    def key(c: ir.Claim):
        path = c.span.path if c.span else ""
        return (ranks.get(path, len(ranks)), path, c.span.line if c.span else 0)

    return key
