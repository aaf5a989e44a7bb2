"""Computed figures vs the values a report published.

Every published value becomes an audit item: a table cell or a claim.  Its
tolerance follows the published precision (29.7 means ±0.05), or the
qualifier the text used ("nærmere 57", "vel 800", "om lag 275").

Statuses:
  ok        the figure reproduces the published value
  mismatch  it does not, and nobody said why: the run fails (exit 1)
  known     it does not, and a `known` declaration says why (a report inconsistency)
  follows   it does not, but it does once the `known` figures it depends on
            are replaced by their published values: a consequence, not a new finding
  error     it could not be computed (missing data, ...)
"""

from __future__ import annotations

import math

import attrs

from benchdsl import ir
from benchdsl.diagnostics import Diagnostic, warning
from benchdsl.evaluate import Evaluator, Figure, fsum

OK, MISMATCH, KNOWN, FOLLOWS, ERROR = "ok", "mismatch", "known", "follows", "error"
APPROX_SLACK = 0.05  # "om lag", "vel", "nærmere": within 5 % unless a ± is given


@attrs.frozen
class Item:
    name: str
    kind: str  # "cell" | "claim"
    label: str
    computed: float | None
    peer: str | None
    unit: str
    decimals: int
    published: ir.PubValue
    status: str
    delta: float | None
    note: str = ""
    figure: Figure | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None


@attrs.frozen
class Audit:
    items: tuple[Item, ...]
    cells: dict  # (table, row, column) -> computed value (None: no saving)
    diags: tuple[Diagnostic, ...]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def failed(self) -> bool:
        return any(i.status in (MISMATCH, ERROR) for i in self.items)

    def summary(self) -> str:
        n, m = self.count(OK), len(self.items)
        k = self.count(KNOWN)
        return f"{n} of {m} published figures reproduced; {k} report inconsistenc{'y' if k == 1 else 'ies'}"

    def breakdown(self) -> str:
        """What the figures that were not reproduced are, one clause per status."""
        parts = []
        if self.count(FOLLOWS):
            parts.append(f"{self.count(FOLLOWS)} follow from a report inconsistency")
        if self.count(MISMATCH):
            parts.append(f"{self.count(MISMATCH)} mismatch{'es' if self.count(MISMATCH) != 1 else ''}")
        if self.count(ERROR):
            parts.append(f"{self.count(ERROR)} not computed")
        return "; ".join(parts)


def round_half_up(x: float, decimals: int) -> float:
    """Round as a report does: 0.05 -> 0.1 (Python's round() would give 0.0)."""
    if not 0 <= decimals <= 300:  # check allows 0 to 15; out of range, this must still not raise
        return x
    scale = 10.0**decimals
    if not math.isfinite(x * scale) or abs(x) * scale > 2**52:
        return x  # too large to carry these decimals: already as round as a float gets
    return math.copysign(math.floor(abs(x) * scale + 0.5 + 1e-9) / scale, x)


def half_unit(decimals: int) -> float:
    # check allows 0 to 15 decimals; out of range, this is still a number, never an OverflowError
    return 0.5 * 10.0 ** -min(max(decimals, 0), 400)


def tolerance(pub: ir.PubValue) -> tuple[float, float]:
    """How far below and above the published value a figure may lie."""
    half = half_unit(pub.decimals)
    if pub.kind == "range":
        return half, half
    slack = pub.tolerance if pub.tolerance is not None else APPROX_SLACK * abs(pub.value or 0)
    if pub.qualifier == "about":
        return max(slack, half), max(slack, half)
    if pub.qualifier == "over":  # "vel 800": a little more than 800
        return half, max(slack, half)
    if pub.qualifier == "nearly":  # "nærmere 57": a little less than 57
        return max(slack, half), half
    if pub.qualifier == "above":  # "mer enn 50 prosent": anything above
        return 0.0, math.inf
    if pub.qualifier == "below":
        return math.inf, 0.0
    if pub.tolerance is not None:
        return pub.tolerance, pub.tolerance
    return half, half


def compare(value: float | None, peer: str | None, pub: ir.PubValue, decimals: int) -> tuple[bool, float | None]:
    """-> (reproduced?, computed - published)."""
    eps = 1e-9
    if pub.kind == "name":
        return peer == pub.name, None
    if pub.kind == "none":
        shown = 0.0 if value is None else round_half_up(value, decimals)
        return shown == 0.0, value
    v = 0.0 if value is None else value
    if pub.kind == "range":
        below, above = tolerance(pub)
        delta = 0.0 if pub.value <= v <= pub.high else (v - pub.value if v < pub.value else v - pub.high)
        return pub.value - below - eps <= v <= pub.high + above + eps, delta
    below, above = tolerance(pub)
    return pub.value - below - eps <= v <= pub.value + above + eps, v - pub.value


class Tables:
    """Table cells, computed; `pinned` replaces known-inconsistent cells by their published values."""

    def __init__(self, program: ir.Program, ev: Evaluator, pinned: dict[str, ir.PubValue]):
        self.p, self.ev, self.pinned = program, ev, pinned
        self.memo: dict = {}
        self._index: dict = {}  # table -> (rows by name, column positions by name), made once per table

    def _lookup(self, table: str):
        if table not in self._index:
            t = self.p.tables[table]
            self._index[table] = ({r.name: r for r in t.rows if r.kind != "section"},
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
            return pin.value if pin.kind == "number" else None
        rows, columns = self._lookup(table)
        r, ci = rows[row], columns[column]
        if r.kind == "measure":
            return self.ev.measure(r.source, t.columns[ci].scenario).value
        if r.kind == "table":
            return self.total(r.source, ci)
        # A total adds the rows as the table shows them, as a printed table's sum does.
        parts = [self(table, x.name, column) for x in t.rows if x.kind in ("measure", "table")]
        shown = [round_half_up(v, t.decimals) for v in parts if v is not None]
        return fsum(shown) if shown else None

    def total(self, table: str, ci: int) -> float | None:
        t = self.p.tables[table]
        col = t.columns[ci].name
        total = next((r for r in t.rows if r.kind == "total"), None)
        if total is not None:
            return self(table, total.name, col)
        parts = [self(table, r.name, col) for r in t.rows if r.kind in ("measure", "table")]
        shown = [round_half_up(v, t.decimals) for v in parts if v is not None]
        return fsum(shown) if shown else None


def audit(program: ir.Program, ev: Evaluator, reconcile: bool = True) -> Audit:
    diags: list[Diagnostic] = []
    pins = {}
    for name in program.known:
        pub = _published(program, name)
        if pub is not None and pub.kind in ("number", "none"):
            pins[name] = pub
    plain = Tables(program, ev, {})
    alone = {name: Tables(program, ev, {name: pub}) for name, pub in pins.items()}
    together = Tables(program, ev, pins)
    items: list[Item] = []

    def status(name: str, ok: bool, recheck) -> tuple[str, str]:
        """Why a figure is not reproduced: declared, a consequence of declared ones, or new."""
        if ok:
            return OK, ""
        if name in program.known:
            return KNOWN, program.known[name].reason
        causes = [k for k, tables in alone.items() if recheck(tables)]
        if causes or (pins and recheck(together)):
            causes = causes or sorted(pins)
            return FOLLOWS, "reproduced once " + " and ".join(causes) + " take" + ("s" if len(causes) == 1 else "") + " the published value"
        return MISMATCH, ""

    for t in program.tables.values():
        for r in t.rows:
            if r.kind == "section":
                continue
            for col in t.columns:  # every cell is computed, published or not
                plain(t.name, r.name, col.name)
            for col, pub in zip(t.columns, r.published):
                name = f"{t.name}.{r.name}.{col.name}"
                value = plain(t.name, r.name, col.name)
                fig = ev.measure(r.source, col.scenario) if r.kind == "measure" else None
                if fig is not None and fig.error is not None:
                    items.append(Item(name, "cell", r.label, None, None, t.unit, t.decimals, pub, ERROR, None,
                                      fig.error.message, fig, t.name, r.name, col.name))
                    continue
                ok, delta = compare(value, None, pub, t.decimals)
                st, note = status(name, ok, lambda tables, t=t, r=r, col=col, pub=pub: compare(
                    tables(t.name, r.name, col.name), None, pub, t.decimals)[0])
                items.append(Item(name, "cell", r.label, value, None, t.unit, t.decimals, pub, st, delta,
                                  note, fig, t.name, r.name, col.name))

    for c in program.claims:
        fig = ev.claim(c, cells=plain)
        decimals = c.published.decimals
        if fig.error is not None:
            items.append(Item(c.name, "claim", c.label, None, None, fig.unit, decimals, c.published, ERROR, None,
                              fig.error.message, fig))
            continue
        ok, delta = compare(fig.value, fig.peer, c.published, decimals)
        st, note = status(c.name, ok, lambda tables, c=c: compare(
            ev.claim(c, cells=tables).value, fig.peer, c.published, decimals)[0])
        items.append(Item(c.name, "claim", c.label, fig.value, fig.peer, fig.unit, decimals, c.published,
                          st, delta, note, fig))

    for name, k in program.known.items():
        item = next(i for i in items if i.name == name)
        if item.status == OK:
            diags.append(warning(k.span, f"`{name}` is declared a known inconsistency, but it is reproduced",
                                 "remove the `known` declaration"))
        elif reconcile and k.reconcile is not None and item.published.kind in ("number", "range"):
            note = _reconcile(program, ev, item, k, items)
            items[items.index(item)] = attrs.evolve(item, note=f"{item.note} {note}".strip())
    diags.extend(ev.diags)
    return Audit(tuple(items), dict(plain.memo), tuple(diags))


def _published(program: ir.Program, name: str) -> ir.PubValue | None:
    for c in program.claims:
        if c.name == name:
            return c.published
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in program.tables:
        t = program.tables[parts[0]]
        for r in t.rows:
            if r.name == parts[1] and r.kind != "section":
                ci = [c.name for c in t.columns].index(parts[2])
                return r.published[ci]
    return None


def _item_value(program: ir.Program, ev: Evaluator, item: Item) -> float | None:
    """The item's value before rounding and before 'no saving' (a saving may go negative while solving)."""
    if item.kind == "claim":
        claim = next(c for c in program.claims if c.name == item.name)
        return ev.claim(claim, cells=Tables(program, ev, {})).value
    t = program.tables[item.table]
    row = next(r for r in t.rows if r.name == item.row)
    if row.kind == "measure":
        return ev.measure(row.source, next(c for c in t.columns if c.name == item.column).scenario).raw
    return Tables(program, ev, {})(item.table, item.row, item.column)


def _reconcile(program: ir.Program, ev: Evaluator, item: Item, known: ir.Known, items: list[Item]) -> str:
    """Which value of one input reproduces the published figure, and what else that value changes."""
    ind, muni, year = known.reconcile
    year = year or ev.year
    pub = item.published
    target = pub.value if pub.kind == "number" else (pub.value + pub.high) / 2
    try:
        x0 = ev.value(ind, muni, year)
    except Exception:
        return f"(No value of {ind} for {muni} {year} to reconcile with.)"

    def f(x: float) -> float:
        trial = Evaluator(program, ev.values, ev.own, ev.year, {**ev.overrides, (ind, muni, year): x})
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
        return f"(No value of {ind} for {muni} {year} reproduces {pub.text}.)"
    unit = program.indicators[ind].unit

    def num(x: float, with_unit: bool = False) -> str:
        text = f"{x:,.0f}".replace(",", " ") if abs(x) >= 1000 else f"{x:.4g}"
        text += f" {unit}" if with_unit else ""
        return text + (f" ({x * 100:.2f} %)" if "/" in unit and 0 < abs(x) < 1 else "")

    shown, was = num(x1, with_unit=True), num(x0)
    trial = Evaluator(program, ev.values, ev.own, ev.year, {**ev.overrides, (ind, muni, year): x1})
    after = {i.name: i.status for i in audit(program, trial, reconcile=False).items}
    broken = sorted(i.name for i in items if i.status == OK and after.get(i.name) != OK)
    consequence = ("That value breaks " + ", ".join(broken) + ": no single value reproduces all the report states."
                   if broken else "No other published figure changes.")
    return f"Computed: {item.name} is reproduced if {ind} for {muni} {year} is {shown} instead of {was}. {consequence}"
