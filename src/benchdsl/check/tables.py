"""Tables: columns, rows, totals, and tables that take each other's totals.

A row shows a measure under each column's basis, or another table's totals;
a total adds the rows above it.  A table of totals takes its unit and
precision from the tables it sums, so units and depths are settled once all
tables are known, each after the ones it takes totals from (a cycle is
reported).
"""

from __future__ import annotations

import math

import attrs

from benchdsl import ast, ir, limits, units
from benchdsl.check.context import Context, plural
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs
from benchdsl.check.names import cycle_text, natural, order
from benchdsl.diagnostics import did_you_mean

MAX_YEAR_COLUMNS = 50  # a year table's columns; a report prints a handful


class Tables:
    def __init__(self, ctx: Context, exprs: Exprs, depth: Depth):
        self.c, self.x, self.depth = ctx, exprs, depth

    def check(self) -> None:
        """Every table, in the natural order of their names (T4 before T10); one that does not check is `broken`."""
        for name in sorted(self.c.names_of("table"), key=natural):
            t = self.head(self.c.decls[name])
            if t is not None:
                self.c.tables[name] = t
            else:
                self.c.broken.add(name)
        self.cycles()

    def head(self, d: ast.Table) -> ir.Table | None:
        if d.years is not None:
            return self.year_table(d)
        ok = True
        columns = []
        seen = set()
        for col in d.columns:
            if col.name in seen:
                self.c.err(col.span, f"table `{d.name}` has two columns named `{col.name}`")
                ok = False
            seen.add(col.name)
            if col.basis is not None and col.basis not in self.c.scenarios:
                self.c.err(col.span, f"column `{col.name}` uses `{col.basis}`, which is not a declared basis",
                           did_you_mean(col.basis, self.c.scenarios))
                ok = False
            columns.append(ir.Column(col.name, col.header, col.basis))
        if not columns:
            self.c.err(d.span, f"table `{d.name}` has no columns")
            return None
        rows, unit, decimals = [], None, 0
        row_names = set()
        for item in d.body:
            if isinstance(item, ast.Section):
                rows.append(ir.Row(item.title, item.title, ir.RowKind.SECTION, None, (), item.span))
                continue
            if item.name in row_names:
                self.c.err(item.span, f"table `{d.name}` has two rows named `{item.name}`",
                           "give one of them a name: row NAME \"label\" = ...")
                ok = False
            row_names.add(item.name)
            if item.published and len(item.published) != len(columns):
                self.c.err(item.span, f"row `{item.name}` gives {plural(len(item.published), 'published value')} "
                                      f"for {plural(len(columns), 'column')}", _decimal_comma(item.published))
                ok = False
            elif (hint := _decimal_comma(item.published)) is not None:  # as many values as columns: maybe meant
                from benchdsl.diagnostics import warning

                self.c.diags.append(warning(item.span, f"row `{item.name}`: two published values with no space "
                                                        f"between them", hint))
            if any(isinstance(p, ast.PubBlank) for p in item.published):
                self.c.err(item.span, f"row `{item.name}` leaves a cell empty, which only a year table's rows may",
                           "write `-` for a cell that shows no saving")
                ok = False
                continue
            if getattr(item, "place", None) is not None:
                self.c.err(item.span, f"row `{item.name}` reads `{item.source}@{item.place}`, which only a year "
                                      "table's rows may", "give the table its years: years 2004..2007")
                ok = False
                continue
            if isinstance(item, ast.Total):
                kind, source, ru, rd = ir.RowKind.TOTAL, None, unit, decimals
            else:
                source = item.source
                if self.c.kind_of.get(source) == "measure":
                    kind = ir.RowKind.MEASURE
                    m = self.c.measures.get(source)
                    if m is None:  # reported where the measure is
                        ok = False
                        continue
                    missing = [col.name for col in d.columns if col.basis is None]
                    if missing:
                        self.c.err(item.span, f"row `{item.name}` computes measure `{source}`, but column "
                                              f"`{missing[0]}` names no basis", f'write: column {missing[0]} "..." = BASIS')
                        ok = False
                    ru, rd = m.saving.unit, m.round
                elif self.c.kind_of.get(source) == "table":
                    kind = ir.RowKind.TABLE
                    ref = self.c.decls[source]
                    if len(ref.columns) != len(columns):
                        self.c.err(item.span, f"row `{item.name}` takes the totals of table `{source}`, which has "
                                              f"{len(ref.columns)} columns, not {len(columns)}")
                        ok = False
                    ru, rd = None, None  # checked once all tables are known
                else:
                    self.c.err(item.span, f"row `{item.name}` = `{source}`: expected a measure or a table",
                               did_you_mean(source, self.c.names_of("measure", "table")), about=source)
                    ok = False
                    continue
            if ru is not None:
                if unit is None:
                    unit = ru
                elif not self.x.same_unit(ru, unit):
                    self.c.err(item.span, f"row `{item.name}` is in {ru} but the table is in {unit}")
                    ok = False
            if rd is not None:
                decimals = max(decimals, rd)
            pubs = []
            for p in item.published:
                q = units.parse(unit or "MNOK")
                pv = self.x.published(p, q, item.span, f"row `{item.name}`")
                if pv is None:
                    ok = False
                elif self._other_unit(q, p):
                    # a cell is compared in the table's unit: a value in another unit would be read as if
                    # it were in the table's (2000 NOK as 2000 kNOK), so it is refused, never ignored
                    hint = (f"write the value in {unit or 'MNOK'}, as the table prints it (or leave the unit out)"
                            if getattr(p, "unit", None) is not None else
                            f"a cell is compared in the table's unit: give the word a meaning in {unit or 'MNOK'} "
                            f"(word \"{p.text}\" = …), or write the number")
                    self.c.err(p.span or item.span, f"row `{item.name}`: {p.text} is not in the table's unit, "
                                                    f"{unit or 'MNOK'}", hint)
                    ok = False
                else:
                    pubs.append(pv)
            # a measure's row is shown (and added into a total) at the measure's own `round`
            rows.append(ir.Row(item.name, item.label, kind, source, tuple(pubs), item.span,
                               decimals=rd if kind == ir.RowKind.MEASURE else 0))
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, unit or "", decimals, tuple(columns), tuple(rows), d.notes, d.span)

    def _other_unit(self, q, p) -> bool:
        """Is a cell's published value in another unit than the table's (its own, or a word's meaning's)?"""
        written = self.x.written_unit(q, p)
        if written is None:
            return False
        try:
            return self.x.factor(units.parse(written), q) != 1.0
        except units.UnitError:
            return True

    # --- tables whose columns are years ---------------------------------------------------------
    def year_table(self, d: ast.Table) -> ir.Table | None:
        """`years 2004..2007`: a column per year; each row an indicator of a municipality, a cell per year.

        A cell is that indicator at the row's place in the column's year, the same `x@2006` a claim
        writes (`ir.AtYear`), so the one kernel computes it; the row has the indicator's unit and
        prints as many decimals as its published values.
        """
        lo, hi = limits.YEARS
        first = self.c.whole(d.years.first, "a table's first year", lo, hi, "years 2004..2007")
        last = self.c.whole(d.years.last, "a table's last year", lo, hi, "years 2004..2007")
        if first is None or last is None:
            return None
        if last < first:
            self.c.err(d.years.span, f"table `{d.name}` runs from {first} back to {last}",
                       f"write the earlier year first: years {last}..{first}")
            return None
        if last - first >= MAX_YEAR_COLUMNS:
            self.c.err(d.years.span, f"table `{d.name}` has {last - first + 1} year columns; at most "
                                     f"{MAX_YEAR_COLUMNS} can be shown")
            return None
        if d.columns:
            self.c.err(d.columns[0].span, f"table `{d.name}` has years as its columns, so it takes no `column` lines",
                       "remove the column line, or the years line")
            return None
        columns = tuple(ir.Column(str(y), str(y), None, y) for y in range(first, last + 1))
        ok, rows, names = True, [], set()
        for item in d.body:
            if isinstance(item, ast.Section):
                rows.append(ir.Row(item.title, item.title, ir.RowKind.SECTION, None, (), item.span))
                continue
            if isinstance(item, ast.Total):
                self.c.err(item.span, f"table `{d.name}` is a year table: its rows are series, which it does not add",
                           "remove the total line")
                ok = False
                continue
            if item.name in names:
                self.c.err(item.span, f"table `{d.name}` has two rows named `{item.name}`",
                           "give one of them a name: row NAME \"label\" = ...")
                ok = False
            names.add(item.name)
            row = self.series(d, item, columns)
            if row is None:
                ok = False
            else:
                rows.append(row)
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, "", 0, columns, tuple(rows), d.notes, d.span)

    def series(self, d: ast.Table, item: ast.Row, columns: tuple[ir.Column, ...]) -> ir.Row | None:
        """A year table's row: `INDICATOR` (the own municipality) or `INDICATOR@PLACE`, and its cells."""
        if not self.c.is_indicator(item.source):
            kind = self.c.kind_of.get(item.source)
            self.c.err(item.span, f"row `{item.name}` of year table `{d.name}` reads `{item.source}`, which is "
                                  f"{'a ' + kind if kind else 'not declared'}: a year table's row reads an indicator",
                       did_you_mean(item.source, self.c.names_of("indicator")), about=item.source)
            return None
        if item.place is not None and not self.c.is_municipality(item.place):
            self.c.err(item.span, f"row `{item.name}` reads `{item.source}` of `{item.place}`, which is not a "
                                  "declared municipality", did_you_mean(item.place, self.c.names_of("municipality"))
                       or f"declare it: municipality {item.place}", about=item.place)
            return None
        if item.published and len(item.published) != len(columns):
            self.c.err(item.span, f"row `{item.name}` gives {plural(len(item.published), 'cell')} for "
                                  f"{plural(len(columns), 'year')} ({columns[0].year}..{columns[-1].year})",
                       "leave a cell the report prints no value in empty: , , 3.5, 1.7")
            return None
        q = self.c.ind_units.get(item.source)
        if q is None:  # the indicator did not check: reported there
            return None
        unit = self.x.show(q)
        if item.place is None:
            value = ir.OwnVal(item.source, unit, item.span)
        else:
            value = ir.BasisVal(item.source, ir.Peer(item.place, item.place), unit, item.span)
        pubs, cells, ok = [], [], True
        for col, p in zip(columns, item.published or (None,) * len(columns)):
            if isinstance(p, ast.PubBlank):
                pubs.append(None)
                cells.append(None)
                continue
            at = ir.AtYear(value, col.year, unit, item.span)
            if p is None:  # nothing published: computed and shown, not audited
                cells.append(ir.Scaled(at, 1.0, unit))
                continue
            pv = self.x.published(p, q, item.span, f"row `{item.name}`")
            if pv is None:
                ok = False
                continue
            pubs.append(pv)
            cells.append(ir.Scaled(at, self.x.pub_factor(q, p), self.x.pub_unit(q, p)))
        if not ok:
            return None
        shown = [p for p in pubs if p is not None]
        decimals = max((p.decimals for p in shown), default=1)
        row_unit = next((c.unit for c in cells if c is not None), unit)
        return ir.Row(item.name, item.label, ir.RowKind.SERIES, item.source, tuple(pubs), item.span,
                      row_unit, decimals, tuple(cells))

    def cycles(self) -> None:
        """Tables that take each other's totals: cycles reported, then units and depths settled in order."""
        deps = {name: [r.source for r in t.rows if r.kind == ir.RowKind.TABLE and r.source in self.c.tables]
                for name, t in self.c.tables.items()}
        ordered, cycles = order(deps)
        cyclic: set[str] = set()
        for cycle in cycles:
            cyclic.update(cycle)
            self.c.err(self.c.tables[cycle[0]].span, "tables take each other's totals in a cycle: " + cycle_text(cycle))
        # A table of totals takes its unit and precision from the tables it sums; each
        # table comes after the ones it takes totals from.
        for name in ordered:
            t = self.c.tables[name]
            depth = 0
            for r in t.rows:
                if r.kind == ir.RowKind.MEASURE:
                    depth = max(depth, self.depth.measure_depth.get(r.source, 0))
                elif r.kind == ir.RowKind.TABLE and r.source in self.c.tables:
                    depth = max(depth, self.depth.table_depth.get(r.source, 0))
            # computing a cell takes three calls per table it goes through
            self.depth.table_depth[name] = depth + 3
            if name not in cyclic and self.depth.too_long(depth + 3, t.span, f"table `{name}`",
                                                          "the tables whose totals it takes, and their measures"):
                self.depth.table_depth[name] = math.inf  # reported here: not again for tables that take its totals
            if t.unit:
                continue
            unit, decimals = "", t.decimals
            for r in t.rows:
                if r.kind == ir.RowKind.TABLE and r.source in self.c.tables:
                    src = self.c.tables[r.source]
                    unit = unit or src.unit
                    decimals = max(decimals, src.decimals)
            self.c.tables[name] = attrs.evolve(t, unit=unit, decimals=decimals)


def _decimal_comma(published) -> str | None:
    """`7,0` in a row reads as two values, 7 and 0: say so where two numbers touch across a comma."""
    for a, b in zip(published, published[1:]):
        sa, sb = getattr(a, "span", None), getattr(b, "span", None)
        if (isinstance(a, ast.PubNumber) and isinstance(b, ast.PubNumber) and sa and sb and sa.end_line == sb.line
                and sb.column == sa.end_column + 1 and a.unit is None and "." not in a.text):
            return (f"`{a.text},{b.text}` reads as two values, {a.text} and {b.text}; a decimal is written with "
                    f"a point: {a.text}.{b.text}; two values are written {a.text}, {b.text}")
    return None
