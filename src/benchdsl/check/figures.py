"""Figures: a chart of indicators over years, as a report draws one.

A `figure` is a year table with a `Chart`: each `series` is a year table's row (the indicator at a
place, a cell per year, computed and audited as every cell is), and each `mark` a row of its own
holding one difference of two series in one year, computed by the same kernel.  So the values a
chart shows are figures of the evaluation like any other (the text report lists them, `explain`
derives them); the HTML report only draws them.
"""

from __future__ import annotations

import attrs

from benchdsl import ast, ir, limits, units
from benchdsl.check.context import Context
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs
from benchdsl.check.names import natural
from benchdsl.check.tables import MAX_YEAR_COLUMNS, Tables
from benchdsl.diagnostics import did_you_mean


class Figures:
    def __init__(self, ctx: Context, exprs: Exprs, depth: Depth, tables: Tables):
        self.c, self.x, self.depth, self.tables = ctx, exprs, depth, tables

    def check(self) -> None:
        """Every figure, after the tables (a figure reads no table), in the natural order of their names."""
        for name in sorted(self.c.names_of("figure"), key=natural):
            t = self.figure(self.c.decls[name])
            if t is None:
                self.c.broken.add(name)
                continue
            self.c.tables[name] = t
            self.depth.table_depth[name] = 3  # a cell is a claim's `x@2006`: no chain behind it

    def figure(self, d: ast.Figure) -> ir.Table | None:
        c = self.c  # a field given twice (`round`) is reported with every declaration's (names.check_repeated)
        if d.years is None:
            c.err(d.span, f"figure `{d.name}` has no `years` line: which years does it span?",
                  "add a line such as: years 2004..2007")
            return None
        columns = self.years(d)
        if columns is None:
            return None
        decimals = None
        if d.round is not None:
            decimals = c.whole(d.round, "a figure's `round`", 0, limits.MAX_DECIMALS, "round 0")
            if decimals is None:
                return None
        if not d.series:
            c.err(d.span, f"figure `{d.name}` has no `series` line: what does it draw?",
                  'add a line such as: series cost "Netto driftsutgifter" = cost@Trondheim')
            return None
        rows: dict[str, ir.Row] = {}
        ok = True
        for item in d.series:
            if item.name in rows:
                c.err(item.span, f"figure `{d.name}` has two series named `{item.name}`",
                      'give one of them a name: series NAME "label" = ...')
                ok = False
                continue
            row = self.series(d, item, columns)
            if row is None:
                ok = False
                continue
            first = next(iter(rows.values()), None)
            if first is not None and row.unit != first.unit:  # one axis, one unit: the first series'
                row = self.into(d, item, row, first)
                if row is None:
                    ok = False
                    continue
            if decimals is not None and not row.published:  # printed values keep their own precision
                row = attrs.evolve(row, decimals=decimals)
            rows[item.name] = row
        marks, chart = [], []
        for m in d.marks:
            if m.name in rows or any(x.name == m.name for x in marks):
                c.err(m.span, f"figure `{d.name}` has two series or marks named `{m.name}`",
                      'give the mark a name of its own: mark NAME "label" = ...')
                ok = False
                continue
            got = self.mark(d, m, rows, columns) if ok else None
            if got is None:
                ok = False
                continue
            marks.append(got[0])
            chart.append(ir.ChartMark(m.name, m.upper, m.lower, got[1]))
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, "", 0, columns, (*rows.values(), *marks), d.notes, d.span,
                        ir.Chart(tuple(chart)))

    def years(self, d: ast.Figure) -> tuple[ir.Column, ...] | None:
        lo, hi = limits.YEARS
        first = self.c.whole(d.years.first, "a figure's first year", lo, hi, "years 2004..2007")
        last = self.c.whole(d.years.last, "a figure's last year", lo, hi, "years 2004..2007")
        if first is None or last is None:
            return None
        if last <= first:
            self.c.err(d.years.span, f"figure `{d.name}` runs from {first} to {last}: a line needs two years or more",
                       f"write the earlier year first: years {min(first, last)}..{max(first, last) + (first == last)}")
            return None
        if last - first >= MAX_YEAR_COLUMNS:
            self.c.err(d.years.span, f"figure `{d.name}` spans {last - first + 1} years; at most {MAX_YEAR_COLUMNS} "
                                     "can be drawn")
            return None
        return tuple(ir.Column(str(y), str(y), None, y) for y in range(first, last + 1))

    def series(self, d: ast.Figure, item: ast.Row, columns: tuple[ir.Column, ...]) -> ir.Row | None:
        """A series: an indicator (of a declared municipality), a cell per year, as a year table's row."""
        c = self.c
        if not c.is_indicator(item.source):
            kind = c.kind_of.get(item.source)
            c.err(item.span, f"series `{item.name}` of figure `{d.name}` reads `{item.source}`, which is "
                             f"{'a ' + kind if kind else 'not declared'}: a series reads an indicator",
                  did_you_mean(item.source, c.names_of("indicator")), about=item.source)
            return None
        if item.place is not None and not c.is_municipality(item.place):
            c.err(item.span, f"series `{item.name}` of figure `{d.name}` reads `{item.source}` of `{item.place}`, "
                             "which is not a declared municipality",
                  did_you_mean(item.place, c.names_of("municipality")) or f"declare it: municipality {item.place}",
                  about=item.place)
            return None
        return self.tables.series(d, item, columns)

    def into(self, d: ast.Figure, item: ast.Row, row: ir.Row, first: ir.Row) -> ir.Row | None:
        """A series in the unit of the figure's first series (its lines share one axis), or None
        after an error: a unit that does not convert, or values printed in the series' own unit."""
        try:
            factor = self.x.factor(units.parse(row.unit), units.parse(first.unit))
        except units.UnitError as exc:
            self.c.err(item.span, f"series `{item.name}` of figure `{d.name}` is in {row.unit}, its first series "
                                  f"`{first.name}` in {first.unit}: the lines share one axis, in one unit", exc.hint)
            return None
        if row.published:
            self.c.err(item.span, f"series `{item.name}` of figure `{d.name}` prints its values in {row.unit}, the "
                                  f"figure's axis is in {first.unit} (its first series `{first.name}`)",
                       f"put a series in {row.unit} first, or print this one's values in {first.unit}")
            return None
        cells = tuple(None if x is None else ir.Scaled(x.expr, x.factor * factor, first.unit) for x in row.cells)
        return attrs.evolve(row, unit=first.unit, cells=cells)

    def mark(self, d: ast.Figure, m: ast.Mark, rows: dict[str, ir.Row], columns) -> tuple[ir.Row, int] | None:
        """`mark NAME "label" = (upper - lower)@YEAR`: upper's cell minus lower's, in upper's unit."""
        c = self.c
        for s in (m.upper, m.lower):
            if s not in rows:
                c.err(m.span, f"mark `{m.name}` of figure `{d.name}` names `{s}`, which is not one of its series",
                      did_you_mean(s, rows) or "a mark is the distance between two series of the figure")
                return None
        if m.upper == m.lower:
            c.err(m.span, f"mark `{m.name}` is the distance from series `{m.upper}` to itself",
                  "name two different series: mark NAME \"label\" = (upper - lower)@YEAR")
            return None
        lo, hi = columns[0].year, columns[-1].year
        year = c.whole(m.year, "a mark's year", lo, hi, f"({m.upper} - {m.lower})@{hi}")
        if year is None:
            return None
        ci = year - lo
        up, down = rows[m.upper], rows[m.lower]
        if up.cells[ci] is None or down.cells[ci] is None:
            empty = m.upper if up.cells[ci] is None else m.lower
            c.err(m.span, f"mark `{m.name}` reads series `{empty}` in {year}, which it leaves empty")
            return None
        a, b = up.cells[ci], down.cells[ci]
        try:  # each cell in its indicator's unit; the lower one converted into the upper one's
            factor = self.x.factor(units.parse(b.expr.unit), units.parse(a.expr.unit))
        except units.UnitError as exc:
            c.err(m.span, f"mark `{m.name}`: series `{m.upper}` is in {a.expr.unit} and `{m.lower}` in "
                          f"{b.expr.unit}, which cannot be subtracted", exc.hint)
            return None
        diff = ir.Arith("-", a.expr, b.expr, factor, a.expr.unit, m.span)
        # in the upper series' unit as drawn (the figure's axis): its cells' factor takes it there
        cells = tuple(ir.Scaled(diff, a.factor, up.unit) if i == ci else None for i in range(len(columns)))
        return ir.Row(m.name, m.label, ir.RowKind.SERIES, None, (), m.span, up.unit, up.decimals, cells), year
