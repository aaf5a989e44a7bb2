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

from benchdsl import ast, ir, units
from benchdsl.check.context import Context, plural
from benchdsl.check.depth import Depth
from benchdsl.check.exprs import Exprs
from benchdsl.check.names import cycle_text, natural, order
from benchdsl.diagnostics import did_you_mean


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
                                      f"for {plural(len(columns), 'column')}")
                ok = False
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
                pv = self.x.published(p, units.parse(unit or "MNOK"), item.span, f"row `{item.name}`")
                if pv is None:
                    ok = False
                else:
                    pubs.append(pv)
            rows.append(ir.Row(item.name, item.label, kind, source, tuple(pubs), item.span))
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, unit or "", decimals, tuple(columns), tuple(rows), d.notes, d.span)

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
