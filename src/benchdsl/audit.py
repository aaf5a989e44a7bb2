"""Computed figures vs the values a report published.

Every published value becomes an audit item: a table cell or a claim, held
against the figure by its form's comparison (`published`: a number's
tolerance follows the printed precision, or the qualifier the text used).

Statuses:
  ok        the figure reproduces the published value
  mismatch  it does not, and nobody said why: the run fails (exit 1)
  known     it does not, and a `known` declaration says why (a report inconsistency)
            (the readings search, `benchdsl.readings`, finds inconsistencies; they stay
            mismatches until a `known` documents them, and a `known` it does not confirm warns)
  follows   it does not, but it does once the `known` figures it depends on
            are replaced by their published values: a consequence, not a new finding
  error     it could not be computed (missing data, ...)
"""

from __future__ import annotations

import enum
import math

import attrs

from benchdsl import ir, published
from benchdsl.diagnostics import Diagnostic, warning
from benchdsl.evaluate import Evaluator, Figure, fsum
from benchdsl.published import compare, round_half_up



class Status(enum.StrEnum):
    """What the audit found about a published figure (the module's docstring says each in full)."""

    OK = "ok"
    MISMATCH = "mismatch"
    KNOWN = "known"
    FOLLOWS = "follows"
    ERROR = "error"



class ItemKind(enum.StrEnum):
    CELL = "cell"  # a table cell: TABLE.ROW.COLUMN
    CLAIM = "claim"  # a number stated in the text: MEASURE.CLAIM or CLAIM
    # Figures that are never audited, only exported and explained:
    BASIS = "basis"  # a basis value of an indicator: BASIS.INDICATOR
    LET = "let"  # a measure's `let` under a basis: MEASURE.BASIS.LET
    INDICATOR = "indicator"  # the own municipality's value of an indicator, derived ones too: INDICATOR
    MEASURE = "measure"  # a measure no table shows, under a basis: MEASURE.BASIS


@attrs.frozen
class Item:
    name: str
    kind: ItemKind
    label: str
    computed: float | None
    peer: str | None
    unit: str
    decimals: int
    published: ir.PubValue
    status: Status
    delta: float | None
    note: str = ""  # why it is not computed, or the reason a `known` declaration gives
    figure: Figure | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None
    causes: tuple[str, ...] = ()  # follows: the known figures that, pinned, reproduce it
    reconciled: "Reconciliation | None" = None
    readings: object = None  # readings.Finding: what the readings search says of a figure not reproduced


@attrs.frozen
class Reconciliation:
    """`known … reconcile`: the value of one input that would reproduce a figure, and what it breaks."""

    indicator: str
    municipality: str
    year: int
    unit: str
    was: float | None  # None: the panel has no value to start from
    needed: float | None  # None: no value of the input reproduces the figure
    breaks: tuple[str, ...] = ()  # published figures reproduced now and not with `needed`


@attrs.frozen
class Audit:
    items: tuple[Item, ...]
    cells: dict  # (table, row, column) -> computed value (None: no saving; NaN: not computed)
    diags: tuple[Diagnostic, ...]
    not_computed: dict = attrs.Factory(dict)  # (table, row, column), or (None, measure, basis) for a measure no table shows -> why
    figures: dict = attrs.Factory(dict)  # (measure, basis) -> Figure with its derivation: what renderers show
    evidence: object = None  # evidence.Evidence: what each published figure is evidence of (set by the pipeline)
    search: object = None  # readings.Result: every combination of the rules' readings, audited
    # A run for another municipality or year than the rules' `own`: (the rules' own, their year, the run's
    # municipality, its year). The published values are the report's for the first two, so the pipeline set
    # them aside: nothing was compared, and the summary says so (pipeline.run_paths).
    set_aside: tuple[str, int, str, int] | None = None

    def evidence_line(self, lang: str = "en") -> str | None:
        """'108 published figures: 6 cross-checked (…), 75 used to build the panel, …', when any was published."""
        if self.evidence is None or not self.items:
            return None
        from benchdsl.evidence import summary_line

        return summary_line(self.evidence, lang)

    def count(self, status: Status) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def failed(self) -> bool:
        """Exit 1: a published figure is not reproduced, or a figure could not be computed."""
        return any(i.status in (Status.MISMATCH, Status.ERROR) for i in self.items) or bool(self.not_computed)

    def summary(self, lang: str = "en") -> str:
        """The summary line in the interface's language (`report.lang`)."""
        from benchdsl.report.lang import tr, tr_n

        n, m = self.count(Status.OK), len(self.items)
        k = self.count(Status.KNOWN)
        if self.set_aside is not None:
            own, year, other, other_year = self.set_aside
            text = tr(lang, "The published values in the rules are {own} {year}'s: not audited for {other} {other_year}",
                      own=own, year=year, other=other, other_year=other_year)
        elif m == 0:  # an analysis of one's own: nothing to audit, and nothing pretends otherwise
            computed = sum(1 for v in self.cells.values() if v is None or v == v)
            text = tr_n(lang, computed, "nothing published to audit; {n} figure computed",
                        "nothing published to audit; {n} figures computed")
        else:
            text = (tr(lang, "{n} of {m} published figures reproduced", n=n, m=m) + "; "
                    + tr_n(lang, k, "{n} report inconsistency", "{n} report inconsistencies"))
        missing = len(self.unpublished_not_computed())
        if missing:
            text += "; " + tr_n(lang, missing, "{n} further figure not computed", "{n} further figures not computed")
        return text

    def breakdown(self, lang: str = "en") -> str:
        """What the figures that were not reproduced are, one clause per status."""
        from benchdsl.report.lang import tr, tr_n

        parts = []
        if self.count(Status.FOLLOWS):
            parts.append(tr(lang, "{n} follow from a report inconsistency", n=self.count(Status.FOLLOWS)))
        if self.count(Status.MISMATCH):
            text = tr_n(lang, self.count(Status.MISMATCH), "{n} mismatch", "{n} mismatches")
            found = sum(1 for i in self.items if i.status == Status.MISMATCH and i.readings is not None
                        and i.readings.inconsistent)
            if found:
                text += tr_n(lang, found, " ({n} of them a report inconsistency found by the readings search: "
                             "declare it with `known`)", " ({n} of them report inconsistencies found by the readings "
                             "search: declare each with `known`)")
            parts.append(text)
        if self.count(Status.ERROR):
            parts.append(tr(lang, "{n} not computed", n=self.count(Status.ERROR)))
        return "; ".join(parts)

    def basis_values(self, program: ir.Program) -> dict:
        """(basis, indicator) -> (evaluate.BasisUse, the Trace it is in): every basis value the figures compared with, with
        its members, ranks and peer, as the figures' derivations recorded it.  A measure whose
        `adjust` reaches a basis sees it adjusted: the value is taken from a measure without one."""
        out: dict = {}
        for (measure, basis), fig in sorted(self.figures.items(),
                                            key=lambda kv: bool(program.measures[kv[0][0]].adjusts)):
            if fig.trace is None or basis is None:
                continue
            policy = program.scenarios[basis].policy
            named = policy.text or type(policy).__name__  # as the kernel records it
            for use in fig.trace.bases.values():
                # the scenario's own basis only: `basis(x, mean(G - own))` written in a measure under
                # another scenario is that measure's, and listed under this scenario's name it would
                # be mislabelled (the new analyst's 225 000 shown as the 2nd lowest)
                if use.policy == named:
                    out.setdefault((basis, use.indicator), (use, fig.trace))
        return dict(sorted(out.items()))

    def lets(self) -> dict:
        """(measure, basis, let) -> (value, unit): every `let` of every figure (NaN: not computed)."""
        out: dict = {}
        for (measure, basis), fig in self.figures.items():
            if fig.trace is not None:
                for name, value, unit, _ in fig.trace.lets:
                    out[(measure, basis, name)] = (value, unit)
        return out

    def indicator_values(self, program: ir.Program) -> dict:
        """indicator -> (evaluate.Input, the Trace it is in): the own municipality's value of every indicator the figures read
        in the evaluated year (a derived one by its formula: `obs` None), as their derivations recorded
        it, before any measure's adjustment.  The figures: the measures', then the published cells' and
        claims' (an indicator only a claim or a year table reads is listed too)."""
        out: dict = {}
        for fig in (*self.figures.values(), *(i.figure for i in self.items if i.figure is not None)):
            if fig.trace is None:
                continue
            for (name, muni, year), inp in fig.trace.inputs.items():
                if muni == program.own and year == program.year:
                    out.setdefault(name, (inp, fig.trace))
        return dict(sorted(out.items()))

    def unpublished_not_computed(self) -> dict:
        """Cells not computed that nothing was published for (those are audit items with status error)."""
        audited = {(i.table, i.row, i.column) for i in self.items if i.kind == ItemKind.CELL}
        return {k: d for k, d in self.not_computed.items() if k not in audited}


class Tables:
    """Table cells, computed; `pinned` replaces known-inconsistent cells by their published values."""

    def __init__(self, program: ir.Program, ev: Evaluator, pinned: dict[str, ir.PubValue]):
        self.p, self.ev, self.pinned = program, ev, pinned
        self.memo: dict = {}
        self._index: dict = {}  # table -> (rows by name, column positions by name), made once per table

    def _lookup(self, table: str):
        if table not in self._index:
            t = self.p.tables[table]
            self._index[table] = ({r.name: r for r in t.rows if r.kind != ir.RowKind.SECTION},
                                  {c.name: i for i, c in enumerate(t.columns)})
        return self._index[table]

    def __call__(self, table: str, row: str, column: str) -> float | None:
        key = (table, row, column)
        if key not in self.memo:
            self.memo[key] = self._cell(table, row, column)
        return self.memo[key]

    def _cell(self, table: str, row: str, column: str) -> float | None:
        t = self.p.tables[table]
        pin = self.pinned.get(f"{table}.{row}.{column}")
        if pin is not None:
            return published.form(pin).pinned(pin)
        rows, columns = self._lookup(table)
        r, ci = rows[row], columns[column]
        if r.kind == ir.RowKind.MEASURE:
            fig = self.ev.measure(r.source, t.columns[ci].scenario)
            return math.nan if fig.error is not None else fig.value
        if r.kind == ir.RowKind.TABLE:
            return self.total(r.source, ci)
        if r.kind == ir.RowKind.SERIES:
            fig = self.series(t, r, ci)
            return math.nan if fig is None or fig.error is not None else fig.value
        # A total adds the rows as the table shows them, as a printed table's sum does.
        parts = [(self(table, x.name, column), t.shown(x)[1]) for x in t.rows if x.kind in ir.SUMMED_ROWS]
        return _sum_shown(parts)

    def series(self, t: ir.Table, r: ir.Row, ci: int) -> Figure | None:
        """A year table's cell: its indicator at the row's place in the column's year, by the one kernel
        (as the claim `x@2006` is computed), with its derivation; None where the report prints none."""
        cell = r.cells[ci]
        if cell is None:
            return None
        name = f"{t.name}.{r.name}.{t.columns[ci].name}"
        pub = r.published[ci] if r.published else None
        return self.ev.claim(ir.Claim(name, r.label, None, None, cell, pub, r.span))

    def total(self, table: str, ci: int) -> float | None:
        t = self.p.tables[table]
        col = t.columns[ci].name
        total = next((r for r in t.rows if r.kind == ir.RowKind.TOTAL), None)
        if total is not None:
            return self(table, total.name, col)
        parts = [(self(table, r.name, col), t.shown(r)[1]) for r in t.rows if r.kind in ir.SUMMED_ROWS]
        return _sum_shown(parts)


def _sum_shown(parts: list) -> float | None:
    """A total as the table shows it: the rows (value, decimals shown) rounded as printed, added; not
    computed if a row is not."""
    if any(v is not None and math.isnan(v) for v, _ in parts):
        return math.nan
    shown = [round_half_up(v, d) for v, d in parts if v is not None]
    return fsum(shown) if shown else None


def _why(program: ir.Program, ev: Evaluator, t: ir.Table, r: ir.Row, col: ir.Column, cells) -> Diagnostic:
    """Why a cell is not computed: its measure's reason, or which row of a total is not computed."""
    from benchdsl.diagnostics import error

    if r.kind == ir.RowKind.MEASURE:
        return ev.measure(r.source, col.scenario).error
    ci = [c.name for c in t.columns].index(col.name)
    if r.kind == ir.RowKind.SERIES:
        return cells.series(t, r, ci).error
    src = program.tables[r.source] if r.kind == ir.RowKind.TABLE else t
    column = src.columns[ci].name
    bad = next((x for x in src.rows if x.kind in ir.SUMMED_ROWS
                and (v := cells(src.name, x.name, column)) is not None and math.isnan(v)), None)
    what = f"row `{bad.name}` of table {src.name}" if bad else "a row"
    return error(r.span, f"the total is not computed: {what} is not computed")


def audit(program: ir.Program, ev: Evaluator, reconcile: bool = True, search: bool = True) -> Audit:
    """The published figures audited; `search`: the readings search decides which are report inconsistencies."""
    diags: list[Diagnostic] = []
    found: dict = {}  # item -> readings.Finding
    searched = None
    if search:
        from benchdsl import readings

        written = audit(program, ev, reconcile=False, search=False)
        if not program.known and all(i.status == Status.OK for i in written.items):
            return written  # every published figure reproduced and nothing declared: nothing to search or pin
        searched, d = readings.search(program, ev, written.items)
        diags.extend(d)
        found = searched.findings
    # A report inconsistency the search finds stays a mismatch (the run fails) until a `known` declares it:
    # a wrong rule looks the same to the search, so only the analyst can tell them apart.
    inconsistent = {name: k.reason for name, k in program.known.items()}
    pins = {}
    for name in inconsistent:
        pub = _published(program, name)
        if pub is not None and published.form(pub).pinnable:
            pins[name] = pub
    plain = Tables(program, ev, {})
    alone = {name: Tables(program, ev, {name: pub}) for name, pub in pins.items()}
    together = Tables(program, ev, pins)
    items: list[Item] = []
    not_computed: dict = {}

    def status(name: str, ok: bool, recheck) -> tuple[str, str, tuple[str, ...]]:
        """Why a figure is not reproduced: declared, a consequence of declared ones (which), or new."""
        if ok:
            return Status.OK, "", ()
        if name in inconsistent:
            return Status.KNOWN, inconsistent[name], ()
        causes = [k for k, tables in alone.items() if recheck(tables)]
        if causes or (pins and recheck(together)):
            return Status.FOLLOWS, "", tuple(causes or sorted(pins))
        return Status.MISMATCH, "", ()

    for t in program.tables.values():
        for r in t.rows:
            if r.kind == ir.RowKind.SECTION:
                continue
            for ci, col in enumerate(t.columns):  # every cell is computed, published or not
                if r.kind == ir.RowKind.SERIES and r.cells[ci] is None:
                    continue  # the report prints no value here
                v = plain(t.name, r.name, col.name)
                if v is not None and math.isnan(v):
                    not_computed[(t.name, r.name, col.name)] = _why(program, ev, t, r, col, plain)
            # a year table's row has its own unit and precision
            unit, decimals = t.shown(r)
            for ci, (col, pub) in enumerate(zip(t.columns, r.published)):
                if pub is None:  # a cell the report leaves empty
                    continue
                name = f"{t.name}.{r.name}.{col.name}"
                value = plain(t.name, r.name, col.name)
                fig = (ev.measure(r.source, col.scenario) if r.kind == ir.RowKind.MEASURE
                       else plain.series(t, r, ci) if r.kind == ir.RowKind.SERIES else None)
                why = not_computed.get((t.name, r.name, col.name))
                if why is not None:
                    items.append(Item(name, ItemKind.CELL, r.label, None, None, unit, decimals, pub, Status.ERROR,
                                      None, why.message, fig, t.name, r.name, col.name))
                    continue
                ok, delta = compare(value, None, pub, decimals)
                st, note, causes = status(name, ok, lambda tables, t=t, r=r, col=col, pub=pub, d=decimals: compare(
                    tables(t.name, r.name, col.name), None, pub, d)[0])
                items.append(Item(name, ItemKind.CELL, r.label, value, None, unit, decimals, pub, st, delta,
                                  note, fig, t.name, r.name, col.name, causes))

    for c in program.claims:
        fig = ev.claim(c, cells=plain)
        decimals = c.published.decimals
        if fig.error is not None:
            items.append(Item(c.name, ItemKind.CLAIM, c.label, None, None, fig.unit, decimals, c.published,
                              Status.ERROR, None, fig.error.message, fig))
            continue
        ok, delta = compare(fig.value, fig.peer, c.published, decimals)
        st, note, causes = status(c.name, ok, lambda tables, c=c: compare(
            ev.claim(c, cells=tables).value, fig.peer, c.published, decimals)[0])
        items.append(Item(c.name, ItemKind.CLAIM, c.label, fig.value, fig.peer, fig.unit, decimals, c.published,
                          st, delta, note, fig, causes=causes))

    for n, item in enumerate(items):
        if item.name in found and item.status in (Status.KNOWN, Status.MISMATCH):
            items[n] = attrs.evolve(item, readings=found[item.name])
    for name, k in program.known.items():
        item = next((i for i in items if i.name == name), None)
        if item is None:  # a year table's empty cell: nothing published to be inconsistent
            continue
        if item.status == Status.OK:
            diags.append(warning(k.span, f"`{name}` is declared a known inconsistency, but it is reproduced",
                                 "remove the `known` declaration"))
            continue
        f = found.get(name)
        if search and f is not None and not f.inconsistent:
            diags.append(warning(k.span, f"`{name}` is declared a known inconsistency, but the readings search does "
                                         f"not confirm it: {f.why}",
                                 "check the rules' reading and the panel, or remove the `known` declaration"))
    if reconcile:
        for n, item in enumerate(items):
            if item.status not in (Status.KNOWN, Status.MISMATCH) or published.form(item.published).target(item.published) is None:
                continue
            k = program.known.get(item.name)
            if k is not None and k.reconcile is not None:
                items[n] = attrs.evolve(item, reconciled=_reconcile(program, ev, item, k, items))
            elif k is None and item.readings is not None and item.readings.inconsistent:
                # found by the search: the input whose smallest change reproduces it
                items[n] = attrs.evolve(item, reconciled=_nearest(program, ev, item, items))
    diags.extend(ev.diags)
    figures = _figures(program, ev)
    shown = tabled(program)
    for (m, s), f in figures.items():  # a measure no table shows is a figure of the run too
        if m not in shown and f.error is not None:
            not_computed[(None, m, s)] = f.error
    return Audit(tuple(items), dict(plain.memo), tuple(diags), not_computed, figures, search=searched)


def tabled(program: ir.Program) -> set[str]:
    """The measures some table shows (the others are listed under the tables, `Audit.figures`)."""
    return {r.source for t in program.tables.values() for r in t.rows if r.kind == ir.RowKind.MEASURE}


def figure_name(key: tuple) -> str:
    """`T4.music_scope.best` for a table cell, `care_homes.mean_others` for a measure no table shows
    (`not_computed`'s keys: (table, row, column), or (None, measure, basis))."""
    return ".".join(part for part in key if part)


def _figures(program: ir.Program, ev: Evaluator) -> dict:
    """Every measure under every basis a table shows it in; a measure no table shows, under the bases its
    claims are under (every basis, when no claim names one).

    Computed (and derived) once here; the renderers only show them.
    """
    shown: dict = {}
    for t in program.tables.values():
        for r in t.rows:
            if r.kind == ir.RowKind.MEASURE:
                for c in t.columns:
                    shown[(r.source, c.scenario)] = ev.measure(r.source, c.scenario)
    in_tables = tabled(program)
    named: dict = {}  # the bases a measure's own claims are under
    for c in program.claims:
        if c.measure is not None and c.scenario is not None:
            named.setdefault(c.measure, []).append(c.scenario)
    for m in program.measures:
        if m not in in_tables:
            for s in (dict.fromkeys(named[m]) if m in named else program.scenarios):
                shown[(m, s)] = ev.measure(m, s)
    return shown


def _published(program: ir.Program, name: str) -> ir.PubValue | None:
    for c in program.claims:
        if c.name == name:
            return c.published
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in program.tables:
        t = program.tables[parts[0]]
        for r in t.rows:
            if r.name == parts[1] and r.kind != ir.RowKind.SECTION:
                ci = [c.name for c in t.columns].index(parts[2])
                return r.published[ci]
    return None


def _item_value(program: ir.Program, ev: Evaluator, item: Item) -> float | None:
    """The item's value before rounding and before 'no saving' (a saving may go negative while solving)."""
    if item.kind == ItemKind.CLAIM:
        claim = next(c for c in program.claims if c.name == item.name)
        return ev.claim(claim, cells=Tables(program, ev, {})).value
    t = program.tables[item.table]
    row = next(r for r in t.rows if r.name == item.row)
    if row.kind == ir.RowKind.MEASURE:
        return ev.measure(row.source, next(c for c in t.columns if c.name == item.column).scenario).raw
    return Tables(program, ev, {})(item.table, item.row, item.column)


def _nearest(program: ir.Program, ev: Evaluator, item: Item, items: list[Item]) -> Reconciliation | None:
    """A found inconsistency's size as an input change: of the inputs it reads, the one whose smallest relative
    change reproduces it (at most `MAX_SOLVED` inputs tried), and what that value breaks."""
    from benchdsl.readings import inputs

    best = None
    for ind, muni, year in sorted(inputs(program, ev, item))[:MAX_SOLVED]:
        if ind not in program.indicators:
            continue
        x0 = ev.value(ind, muni, year)
        if not x0:
            continue
        x1 = _solve(program, ev, item, ind, muni, year, x0)
        if x1 is not None and (best is None or abs(x1 / x0 - 1) < abs(best[3] / best[4] - 1)):
            best = (ind, muni, year, x1, x0)
    if best is None:
        return None
    ind, muni, year, x1, x0 = best
    return _breaks(program, ev, items, ind, muni, year, x0, x1)


MAX_SOLVED = 40  # inputs a found inconsistency is solved for


def _breaks(program, ev, items, ind, muni, year, x0, x1) -> Reconciliation:
    trial = ev.what_if({(ind, muni, year): x1})
    after = {i.name: i.status for i in audit(program, trial, reconcile=False, search=False).items}
    broken = tuple(sorted(i.name for i in items if i.status == Status.OK and after.get(i.name) != Status.OK))
    return Reconciliation(ind, muni, year, program.indicators[ind].unit, x0, x1, broken)


def _reconcile(program: ir.Program, ev: Evaluator, item: Item, known: ir.Known, items: list[Item]) -> Reconciliation:
    """Which value of one input reproduces the published figure, and which other published figures it breaks."""
    ind, muni, year = known.reconcile
    year = year or ev.year
    unit = program.indicators[ind].unit
    x0 = ev.value(ind, muni, year)
    if x0 is None:
        return Reconciliation(ind, muni, year, unit, None, None)
    x1 = _solve(program, ev, item, ind, muni, year, x0)
    if x1 is None:
        return Reconciliation(ind, muni, year, unit, x0, None)
    return _breaks(program, ev, items, ind, muni, year, x0, x1)


def _solve(program: ir.Program, ev: Evaluator, item: Item, ind: str, muni: str, year: int, x0: float) -> float | None:
    """The value of one input that reproduces the published figure (secant method), or None."""
    pub = item.published
    target = published.form(pub).target(pub)

    def f(x: float) -> float:
        trial = ev.what_if({(ind, muni, year): x})
        v = _item_value(program, trial, item)
        return math.nan if v is None else v - target

    x, fx = x0, f(x0)
    x1 = x0 * 1.05 if x0 else 1.0
    f1 = f(x1)
    for _ in range(60):  # secant steps: the figures are smooth in each input
        if not (math.isfinite(fx) and math.isfinite(f1)) or f1 == fx:
            break
        x, fx, x1, f1 = x1, f1, x1 - f1 * (x1 - x) / (f1 - fx), None
        f1 = f(x1)
        if math.isfinite(f1) and abs(f1) <= 1e-9 * max(1.0, abs(target)):
            break
    if not (math.isfinite(f1) and abs(f1) <= 1e-6 * max(1.0, abs(target))):
        return None
    return x1
