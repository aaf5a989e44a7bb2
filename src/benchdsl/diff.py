"""Two runs side by side, figure by figure: what changed, by how much, and what changed under it.

A *run* is a checked, evaluated and audited `pipeline.Result`: the same rules on two data files
(KOSTRA's unrevised March figures and the revised June ones), or two revisions of the rules.
Its *figures* are every measure under every basis it compares with (a measure that compares
with no basis of the rules is one figure), every table cell and every claim.  Two figures are
the same figure when they have the same kind and name (and basis, for a measure).

For a figure that changed, the comparison says why, from the two derivations the kernel
recorded (`evaluate.Trace`): the inputs whose value changed (with both values and both
file:line), inputs read by one run only, the bases whose policy, value, members, ranks or
forming peer changed, what in the rules that define it changed, and the changed figures it is
computed from (the rows of a total, the saving a claim reads).  This module computes; the
renderers in `report/diff.py` only lay it out.
"""

from __future__ import annotations

import math
import os

import attrs

from benchdsl import ir

MEASURE, CELL, CLAIM = "measure", "cell", "claim"
CHANGED, ADDED, REMOVED, UNCHANGED = "changed", "added", "removed", "unchanged"
SAVING, NO_SAVING, NOT_COMPUTED, COMPUTED = "saving", "no saving", "not computed", "computed"
NOISE = 1e-12  # two values this close (relative) are the same float computed in another order


@attrs.frozen(order=True)
class Key:
    """A figure's identity across runs; `basis` is part of it for a measure only."""

    kind: str
    name: str
    basis: str | None = None

    def __str__(self) -> str:
        return f"{self.name} under {self.basis}" if self.basis else self.name


@attrs.frozen
class Side:
    """A figure as one run computed it."""

    value: float | None  # None: no saving, not computed, or a claim that names a municipality
    status: str  # saving | no saving | not computed | computed (a claim)
    unit: str
    decimals: int  # as the run's report shows it
    basis: str | None = None  # the basis (scenario) it is computed under
    peer: str | None = None  # a claim's municipality (peer(...) = Bergen)
    reason: str | None = None  # why it is not computed
    reason_source: str | None = None  # file:line:col of the reason
    audit: str | None = None  # the audit status, where a value was published
    published: str | None = None  # the published value as the rules write it
    source: str | None = None  # where the rules define it, file:line:col


@attrs.frozen
class Place:
    """One input as one run read it."""

    value: float
    unit: str
    source: str  # file:line of the panel line, or "formula"
    provenance: str = ""
    adjusted: float = 0.0  # a measure's adjustment, added to the value


@attrs.frozen
class InputChange:
    indicator: str
    municipality: str
    year: int
    change: str  # changed | added (read by the new run only) | removed (read by the old run only)
    old: Place | None
    new: Place | None
    no_value: bool = False  # added or removed because the other run's data has no value for it


@attrs.frozen
class Rank:
    municipality: str
    old: int | None  # None: not ranked (not a member, or left out)
    new: int | None


@attrs.frozen
class BasisChange:
    """A basis a figure compares with, as each run formed it."""

    indicator: str
    unit: str
    old_policy: str | None  # None: the old run formed no such basis
    new_policy: str | None
    old_value: float | None
    new_value: float | None
    old_peer: str | None = None  # the municipality that forms it (best, a named peer)
    new_peer: str | None = None
    members_added: tuple[str, ...] = ()  # members in the new run only (not counting those left out in the old)
    members_removed: tuple[str, ...] = ()  # members in the old run only (not counting those left out in the new)
    ranks: tuple[Rank, ...] = ()  # members whose rank changed
    old_left_out: tuple[str, ...] = ()  # members without a value
    new_left_out: tuple[str, ...] = ()


@attrs.frozen
class RuleChange:
    """Something in the rules that define a figure: `what` is, e.g., "saving" or "indicator cost"."""

    what: str
    old: str | None
    new: str | None


@attrs.frozen
class FigureDiff:
    key: Key
    change: str  # changed | added | removed | unchanged
    old: Side | None
    new: Side | None
    difference: float | None = None  # new - old; "no saving" counts as 0
    relative: float | None = None  # difference / |old|; None when old is 0 or either is not a number
    inputs: tuple[InputChange, ...] = ()
    unchanged_inputs: int = 0
    bases: tuple[BasisChange, ...] = ()
    rules: tuple[RuleChange, ...] = ()
    figures: tuple[Key, ...] = ()  # changed figures it is computed from

    @property
    def status_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.status != self.new.status


@attrs.frozen
class Run:
    """What one side was: its rules, the data it read, whose figures for which year."""

    rules: tuple[str, ...]
    panels: tuple[str, ...]
    own: str
    year: int


@attrs.frozen
class Diff:
    old: Run
    new: Run
    figures: tuple[FigureDiff, ...]  # changed first (status changes, then largest relative change), then added, removed, unchanged

    def count(self, change: str) -> int:
        return sum(1 for f in self.figures if f.change == change)

    @property
    def changed(self) -> bool:
        return any(f.change != UNCHANGED for f in self.figures)

    def summary(self, lang: str = "en") -> str:
        from benchdsl.report.lang import tr, tr_n

        if not self.changed:
            return tr(lang, "no figure changed ({n} compared)", n=self.count(UNCHANGED))
        parts = [tr_n(lang, self.count(CHANGED), "{n} figure changed", "{n} figures changed")]
        if self.count(ADDED):
            parts.append(tr(lang, "{n} only in the new run", n=self.count(ADDED)))
        if self.count(REMOVED):
            parts.append(tr(lang, "{n} only in the old run", n=self.count(REMOVED)))
        parts.append(tr(lang, "{n} unchanged", n=self.count(UNCHANGED)))
        return ", ".join(parts)


# --- one run's figures ------------------------------------------------------------------


@attrs.frozen
class _Figure:
    side: Side
    trace: object  # evaluate.Trace | None
    reads: tuple[Key, ...]
    rules: dict  # what -> text


def figures(result) -> dict[Key, _Figure]:
    """Every figure of an evaluated, audited run, in the rules' order."""
    program, ev, audit = result.program, result.evaluator, result.audit
    items = {i.name: i for i in audit.items}
    out: dict[Key, _Figure] = {}
    for m in program.measures.values():
        for scenario in (program.scenarios if _uses_basis(program, m.name) else [None]) or [None]:
            fig = ev.measure(m.name, scenario)
            out[Key(MEASURE, m.name, scenario)] = _Figure(
                _measure_side(fig, scenario, str(m.span) if m.span else None), fig.trace,
                tuple(_saving_reads(program, [m.saving.expr, *(n for _, n in m.lets)], scenario)),
                _measure_rules(program, m, scenario))
    for t in program.tables.values():
        for r in t.rows:
            if r.kind == "section":
                continue
            for ci, col in enumerate(t.columns):
                name = f"{t.name}.{r.name}.{col.name}"
                value = audit.cells.get((t.name, r.name, col.name))
                why = audit.not_computed.get((t.name, r.name, col.name))
                item = items.get(name)
                side = Side(None if why is not None else value,
                            NOT_COMPUTED if why is not None else NO_SAVING if value is None else SAVING,
                            t.unit, t.decimals, col.scenario, reason=why.message if why else None,
                            reason_source=str(why.span) if why is not None and why.span else None,
                            audit=item.status if item else None, published=item.published.text if item else None,
                            source=str(r.span) if r.span else None)
                rules = {"row": f"{r.kind} {r.source}" if r.source else r.kind, "basis of the column": str(col.scenario),
                         "decimals": str(t.decimals)}
                if r.kind == "measure":
                    fig = ev.measure(r.source, col.scenario)
                    key = _measure_key(program, r.source, col.scenario)
                    rules |= _measure_rules(program, program.measures[r.source], key.basis)
                    out[Key(CELL, name)] = _Figure(side, fig.trace, (key,), rules)
                else:
                    out[Key(CELL, name)] = _Figure(side, None, tuple(_summed(program, t, r, ci)), rules)
    for c in program.claims:
        item = items[c.name]
        fig = item.figure
        m = program.measures.get(c.measure) if c.measure else None
        status = NOT_COMPUTED if fig is None or fig.error is not None else COMPUTED
        side = Side(fig.value if fig is not None and status == COMPUTED else None, status,
                    fig.unit if fig is not None else item.unit, item.decimals + (0 if isinstance(c.expr, ir.PeerOf) else 1),
                    c.scenario, peer=fig.peer if fig is not None else None,
                    reason=fig.error.message if fig is not None and fig.error else None,
                    reason_source=str(fig.error.span) if fig is not None and fig.error and fig.error.span else None,
                    audit=item.status, published=c.published.text, source=str(c.span) if c.span else None)
        exprs = [c.expr] if isinstance(c.expr, ir.PeerOf) else [c.expr.expr]
        exprs += [n for _, n in m.lets] if m else []
        rules = {"claim": _formula(c.expr), "measure": str(c.measure), "basis": str(c.scenario),
                 "published": c.published.text}
        out[Key(CLAIM, c.name)] = _Figure(side, fig.trace if fig is not None else None,
                                          tuple(_saving_reads(program, exprs, c.scenario)), rules)
    return out


def _measure_side(fig, scenario: str | None, source: str | None) -> Side:
    status = {"saving": SAVING, "no saving": NO_SAVING}.get(fig.status.value, NOT_COMPUTED)
    return Side(fig.value, status, fig.unit, fig.decimals or 0, scenario,
                reason=fig.error.message if fig.error else None,
                reason_source=str(fig.error.span) if fig.error and fig.error.span else None, source=source)


def _walk(nodes):
    return ir.walk(*nodes)


def _uses_basis(program: ir.Program, measure: str, seen: frozenset = frozenset()) -> bool:
    """Does the measure compare with the basis it is evaluated under (directly or through a saving it reads)?"""
    m = program.measures[measure]
    for n in _walk([m.saving.expr, *(x for _, x in m.lets)]):
        if isinstance(n, (ir.BasisVal, ir.Gap, ir.PeerOf)) and n.policy is None:
            return True
        if isinstance(n, ir.SavingRef) and n.measure in program.measures and n.measure not in seen:
            if _uses_basis(program, n.measure, seen | {measure}):
                return True
    return False


def _measure_key(program: ir.Program, measure: str, scenario: str | None) -> Key:
    return Key(MEASURE, measure, scenario if _uses_basis(program, measure) else None)


def _saving_reads(program: ir.Program, exprs, scenario: str | None):
    """The figures an expression reads: savings of measures (under its basis) and table cells."""
    for n in _walk(exprs):
        if isinstance(n, ir.SavingRef) and n.measure in program.measures:
            yield _measure_key(program, n.measure, scenario)
        elif isinstance(n, ir.CellRef):
            yield Key(CELL, f"{n.table}.{n.row}.{n.column}")


def _summed(program: ir.Program, t: ir.Table, r: ir.Row, ci: int):
    """The cells a total or a table row adds (as `audit.Tables` does)."""
    src = program.tables[r.source] if r.kind == "table" else t
    col = src.columns[ci].name
    if r.kind == "table":
        total = next((x for x in src.rows if x.kind == "total"), None)
        if total is not None:
            yield Key(CELL, f"{src.name}.{total.name}.{col}")
            return
    for x in src.rows:
        if x.kind in ("measure", "table"):
            yield Key(CELL, f"{src.name}.{x.name}.{col}")


def _formula(node) -> str:
    from benchdsl.report.explain import symbolic

    if isinstance(node, ir.Scaled):
        node = node.expr
    return symbolic(node)


def _measure_rules(program: ir.Program, m: ir.Measure, scenario: str | None) -> dict:
    """The rules a measure's figure follows, as text, to tell which of them changed."""
    out = {"saving": _formula(m.saving.expr), "unit": m.saving.unit, "round": str(m.round)}
    out |= {f"let {name}": _formula(node) for name, node in m.lets}
    out |= {f"adjust {a.indicator}": f"{_formula(a.amount.expr)} ({a.reason})" for a in m.adjusts}
    for name in m.indicators:
        ind = program.indicators.get(name)
        if ind is not None:
            formula = f" = {_formula(ind.formula.expr)}" if ind.formula else ""
            out[f"indicator {name}"] = f"{ind.unit}, better {ind.better or 'unknown'}{formula}"
    if scenario is not None and scenario in program.scenarios:
        out[f"basis {scenario}"] = program.scenarios[scenario].policy.text
    return out


# --- two runs ---------------------------------------------------------------------------


def run_of(paths: list[str], result, panels: list[str] | None) -> Run:
    """Which rules and data a run read (its panels: those given, or those its rules declare)."""
    p = result.program
    if not panels:
        panels = [os.path.normpath(os.path.join(os.path.dirname(span.path) if span else ".", path))
                  for path, span, _ in p.panels]
    return Run(tuple(paths), tuple(panels), result.evaluator.own, result.evaluator.year)


def diff(old, new, old_run: Run, new_run: Run) -> Diff:
    """Compare two evaluated, audited runs (`pipeline.Result`) figure by figure."""
    before, after = figures(old), figures(new)
    has = _Values(old, new)
    out: list[FigureDiff] = []
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        if a is None:
            out.append(FigureDiff(key, ADDED, None, b.side))
        elif b is None:
            out.append(FigureDiff(key, REMOVED, a.side, None))
        else:
            out.append(_compare(key, a, b, has))
    changed = {f.key for f in out if f.change != UNCHANGED}
    out = [attrs.evolve(f, figures=tuple(dict.fromkeys(k for k in (after.get(f.key) or before[f.key]).reads
                                                       if k in changed)))
           if f.change == CHANGED else f for f in out]
    order = {CHANGED: 0, ADDED: 1, REMOVED: 2, UNCHANGED: 3}
    kinds = {MEASURE: 0, CELL: 1, CLAIM: 2}
    out.sort(key=lambda f: (order[f.change], not f.status_changed,
                            -(math.inf if f.relative is None else abs(f.relative)), kinds[f.key.kind]))
    return Diff(old_run, new_run, tuple(out))


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= NOISE * max(abs(a), abs(b)))


def _number(s: Side) -> float | None:
    if s.status == NOT_COMPUTED or s.peer is not None:
        return None
    return 0.0 if s.value is None else s.value  # no saving: the table shows 0 as a dash


class _Values:
    """Whether a run's data has a value for an input (so that one read by one run only can say why)."""

    def __init__(self, old, new):
        self.runs = {"old": old, "new": new}
        self.memo: dict = {}

    def __call__(self, which: str, indicator: str, municipality: str, year: int) -> bool:
        key = (which, indicator, municipality, year)
        if key not in self.memo:
            r = self.runs[which]
            p = r.program
            self.memo[key] = (indicator in p.indicators and municipality in p.municipalities
                              and r.evaluator.value(indicator, municipality, year) is not None)
        return self.memo[key]


def _compare(key: Key, a: _Figure, b: _Figure, has: _Values) -> FigureDiff:
    old, new = a.side, b.side
    same = (old.status == new.status and old.peer == new.peer and old.audit == new.audit
            and old.unit == new.unit and _same(old.value, new.value))
    if same:
        return FigureDiff(key, UNCHANGED, old, new)
    x, y = _number(old), _number(new)
    difference = relative = None
    if x is not None and y is not None and old.unit == new.unit:
        difference = 0.0 if _same(x, y) else y - x
        relative = difference / abs(x) if x != 0 else (0.0 if difference == 0 else None)
    inputs, unchanged = _inputs(a.trace, b.trace, has)
    rules = tuple(RuleChange(w, a.rules.get(w), b.rules.get(w)) for w in dict.fromkeys([*a.rules, *b.rules])
                  if a.rules.get(w) != b.rules.get(w))
    return FigureDiff(key, CHANGED, old, new, difference, relative, inputs, unchanged,
                      _bases(a.trace, b.trace), rules)


def _place(inp) -> Place:
    source = f"{inp.obs.span.path}:{inp.obs.span.line}" if inp.obs is not None else "formula"
    return Place(inp.value, inp.unit, source, inp.obs.provenance if inp.obs is not None else "", inp.adjusted)


def _inputs(old, new, has: _Values) -> tuple[tuple[InputChange, ...], int]:
    """The inputs whose value (or adjustment) changed, or that one run read only; and how many did not change."""
    a = old.inputs if old is not None else {}
    b = new.inputs if new is not None else {}
    out, unchanged = [], 0
    for k in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(k), b.get(k)
        if x is None:
            out.append(InputChange(*k, ADDED, None, _place(y), not has("old", *k)))
        elif y is None:
            out.append(InputChange(*k, REMOVED, _place(x), None, not has("new", *k)))
        elif _same(x.value, y.value) and _same(x.adjusted, y.adjusted) and x.unit == y.unit:
            unchanged += 1
        else:
            out.append(InputChange(*k, CHANGED, _place(x), _place(y)))
    return tuple(out), unchanged


def _bases(old, new) -> tuple[BasisChange, ...]:
    """Bases whose policy, value, members, ranks or peer changed.  A basis of the same indicator
    under another policy (the rules changed it) is paired with the old one when each run has one."""
    a = dict(old.bases) if old is not None else {}
    b = dict(new.bases) if new is not None else {}
    pairs = [(a.pop(k), b.pop(k)) for k in list(a) if k in b]
    for ind in dict.fromkeys(k[0] for k in a):
        mine = [k for k in a if k[0] == ind]
        theirs = [k for k in b if k[0] == ind]
        if len(mine) == 1 and len(theirs) == 1:
            pairs.append((a.pop(mine[0]), b.pop(theirs[0])))
    pairs += [(u, None) for u in a.values()] + [(None, u) for u in b.values()]
    out = []
    for x, y in pairs:
        change = _basis(x, y)
        if change is not None:
            out.append(change)
    return tuple(out)


def _basis(x, y) -> BasisChange | None:
    rows_x = {r.municipality: r for r in x.rows} if x else {}
    rows_y = {r.municipality: r for r in y.rows} if y else {}
    ranks = tuple(Rank(m, rows_x[m].rank, rows_y[m].rank) for m in rows_x if m in rows_y
                  and None not in (rows_x[m].rank, rows_y[m].rank) and rows_x[m].rank != rows_y[m].rank)
    # A member left out for want of a value is told by the left-out lists, not again as a member lost.
    added = tuple(m for m in rows_y if m not in rows_x and not (x and m in x.skipped))
    removed = tuple(m for m in rows_x if m not in rows_y and not (y and m in y.skipped))
    value = lambda u: None if u is None or math.isnan(u.value) else u.value  # noqa: E731
    change = BasisChange((x or y).indicator, (y or x).unit, x.policy if x else None, y.policy if y else None,
                         value(x), value(y), x.peer if x else None, y.peer if y else None, added, removed, ranks,
                         tuple(x.skipped) if x else (), tuple(y.skipped) if y else ())
    if (change.old_policy == change.new_policy and _same(change.old_value, change.new_value)
            and change.old_peer == change.new_peer and not (added or removed or ranks)
            and change.old_left_out == change.new_left_out):
        return None
    return change
