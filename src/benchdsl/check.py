"""AST -> checked program: names, references, units, duplicates, cycles.

Every unit in the rules is resolved here, once, into float factors; a rule
whose units do not combine into its declared unit is rejected before any data
is read.  All problems are collected as diagnostics; checking goes on after an
error so that one run shows them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from benchdsl import ast, ir, units
from benchdsl.diagnostics import Diagnostic, did_you_mean, error
from benchdsl.typecheck import ExprChecker, Scope, _a

MAX_DECIMALS = 10


def check(files: Iterable[ast.File]) -> tuple[ir.Program | None, list[Diagnostic]]:
    c = _Checker(list(files))
    program = c.run()
    return program, c.diags


class _Checker(ExprChecker):
    def __init__(self, files: list[ast.File]):
        self.files = files
        self.diags: list[Diagnostic] = []
        self.decls: dict[str, ast.Decl] = {}
        self.kind_of: dict[str, str] = {}
        self.indicators: dict[str, ir.Indicator] = {}
        self.ind_units: dict[str, object] = {}
        self.measure_units: dict[str, object] = {}
        self.tables: dict[str, ir.Table] = {}

    # --- helpers ---------------------------------------------------------
    def err(self, span, message, hint=None, about: str | None = None):
        if about is not None and about in self.broken:
            return
        self.diags.append(error(span, message, hint))

    def unit(self, spec: ast.UnitSpec | None, span=None):
        if spec is None:
            return units.dimensionless()
        try:
            return units.parse(spec.text)
        except units.UnitError as exc:
            self.err(spec.span or span, str(exc), exc.hint)
            return None

    def names_of(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kind_of.items() if k in kinds]

    # --- the pass ---------------------------------------------------------
    def run(self) -> ir.Program | None:
        owns, panels, knowns, claims = [], [], [], []
        # Declarations that did not parse were reported already: stay quiet about their uses.
        self.broken = {name for f in self.files for name in f.broken}
        for f in self.files:
            for d in f.decls:
                if isinstance(d, ast.Own):
                    owns.append(d)
                elif isinstance(d, ast.Panel):
                    panels.append(d)
                elif isinstance(d, ast.Known):
                    knowns.append(d)
                elif isinstance(d, ast.Claim):
                    claims.append(d)
                else:
                    self.declare(d)

        self.municipalities = {
            n: d.code for n, d in self.decls.items() if isinstance(d, ast.Municipality)
        }
        self.groups: dict[str, tuple[str, ...]] = {}
        for name in self.names_of("group"):
            self.resolve_group(name, ())
        own = self.check_own(owns)
        if not panels:
            self.err(None, "no `panel` declaration: the rules read no data",
                     'add a line such as: panel "../data/kostra2007.csv"')
        for name in self.names_of("indicator"):
            self.check_indicator_head(self.decls[name])
        for name in self.names_of("indicator"):
            self.check_formula(name, ())
        scenarios = {}
        for name in self.names_of("basis"):
            d = self.decls[name]
            policy = self.policy(d.expr, None, Scope("basis"))
            if policy is not None:
                scenarios[name] = ir.Scenario(name, d.title or name, policy, d.span)
        self.scenarios = scenarios
        measures = {}
        all_claims: list[ir.Claim] = []
        for name in self.names_of("measure"):
            m, mc = self.check_measure(self.decls[name])
            if m is not None:
                measures[name] = m
                all_claims.extend(mc)
            else:
                self.broken.add(name)  # its errors are reported; its uses need not be
        self.measures = measures
        for name in sorted(self.names_of("table"), key=_natural):
            t = self.check_table_head(self.decls[name])
            if t is not None:
                self.tables[name] = t
            else:
                self.broken.add(name)
        self.check_table_cycles()
        for cl in claims:
            all_claims.extend(self.check_claim(cl, None))
        all_claims.sort(key=self._claim_order)
        known = self.check_known(knowns, all_claims)
        if any(d.is_error for d in self.diags) or own is None:
            return None
        return ir.Program(
            municipalities=self.municipalities,
            groups=self.groups,
            own=own.name,
            year=own.year,
            own_span=own.span,
            panels=tuple((p.path, p.span, p.mapping) for p in panels),
            indicators=self.indicators,
            scenarios=scenarios,
            measures=measures,
            tables=self.tables,
            claims=tuple(all_claims),
            known=known,
            files=tuple(f.path for f in self.files),
        )

    def _claim_order(self, c: ir.Claim):
        """Claims follow the report: the file of the first table, then the next ..."""
        ranks = {}
        for i, t in enumerate(self.tables.values()):
            ranks.setdefault(t.span.path if t.span else "", i)
        path = c.span.path if c.span else ""
        return (ranks.get(path, len(ranks)), path, c.span.line if c.span else 0)

    def declare(self, d) -> None:
        kind = type(d).__name__.lower()
        if d.name in self.decls:
            prev = self.decls[d.name]
            self.err(d.span, f"`{d.name}` is already declared as {_a(self.kind_of[d.name])} at {prev.span}",
                     "every municipality, group, basis, indicator, measure and table needs its own name")
            return
        self.decls[d.name] = d
        self.kind_of[d.name] = kind

    def check_own(self, owns: list[ast.Own]):
        if not owns:
            self.err(None, "no `own` declaration: whose figures should be computed?",
                     "add a line such as: own Trondheim 2007")
            return None
        for extra in owns[1:]:
            self.err(extra.span, f"a second `own` declaration (the first is at {owns[0].span})")
        own = owns[0]
        if own.name not in self.municipalities:
            self.err(own.span, f"`{own.name}` is not a declared municipality",
                     did_you_mean(own.name, self.municipalities))
        return own

    # --- groups and sets --------------------------------------------------
    def resolve_group(self, name: str, stack: tuple[str, ...]) -> tuple[str, ...]:
        if name in self.groups:
            return self.groups[name]
        d = self.decls[name]
        if name in stack:
            self.err(d.span, f"group `{name}` is defined in terms of itself: {' -> '.join(stack + (name,))}")
            return ()
        members: list[str] = []
        for e in d.members:
            s = self.member_set(e, stack + (name,))
            if s is None:
                continue
            if s.exclude_own or s.include_own:
                self.err(d.span, "a group cannot mention `own`; use it in a basis: mean(ASSS - own)")
            for m in s.members(""):
                if m not in members:
                    members.append(m)
        self.groups[name] = tuple(members)
        return self.groups[name]

    # --- indicators --------------------------------------------------------
    def check_indicator_head(self, d: ast.Indicator) -> None:
        if d.unit is None:
            self.err(d.span, f"indicator `{d.name}` has no unit", "add a line such as: unit NOK/user")
            return
        q = self.unit(d.unit)
        if q is None:
            return
        if d.source and d.formula:
            self.err(d.span, f"indicator `{d.name}` has both a `source` and a formula; give one")
        self.ind_units[d.name] = q

    def check_formula(self, name: str, stack: tuple[str, ...]) -> None:
        if name in self.indicators or name not in self.ind_units:
            return
        d: ast.Indicator = self.decls[name]
        if name in stack:
            self.err(d.span, "indicators defined in terms of each other: " + " -> ".join(stack + (name,)))
            return
        formula = None
        if d.formula is not None:
            for dep in _refs(d.formula):
                if self.kind_of.get(dep) == "indicator":
                    self.check_formula(dep, stack + (name,))
            got = self.expr(d.formula, Scope("indicator"))
            if got is None:
                return
            node, q = got
            formula = self.scaled(node, q, self.ind_units[name], d.formula.span or d.span,
                                  f"the formula of `{name}`")
            if formula is None:
                return
        self.indicators[name] = ir.Indicator(
            name, d.title or name, units.show(self.ind_units[name]), d.better,
            None if d.formula is not None else (d.source or name), formula, d.notes, d.span,
        )

    # --- measures and claims ------------------------------------------------
    def check_measure(self, d: ast.Measure):
        scope = Scope("measure", d.name, scenario=True)
        ok = True
        lets = []
        for let in d.lets:
            if let.name in scope.lets or self.kind_of.get(let.name) in ("indicator", "measure"):
                self.err(let.span, f"`let {let.name}` hides another name",
                         "choose a name that is not an indicator, measure or earlier let")
                ok = False
                continue
            got = self.expr(let.expr, scope)
            if got is None:
                ok = False
                continue
            scope.lets[let.name] = got[1]
            lets.append((let.name, got[0]))
        adjusts = []
        for a in d.adjusts:
            q = self.ind_units.get(a.indicator)
            if self.kind_of.get(a.indicator) != "indicator" or q is None:
                self.err(a.span, f"`adjust` names `{a.indicator}`, which is not an indicator",
                         did_you_mean(a.indicator, self.names_of("indicator")))
                ok = False
                continue
            got = self.expr(a.amount, Scope("measure", d.name))
            if got is None:
                ok = False
                continue
            s = self.scaled(got[0], got[1], q, a.amount.span or a.span, "the adjustment")
            if s is None:
                ok = False
                continue
            adjusts.append(ir.Adjust(a.indicator, s, a.reason, a.span))
        if d.unit is None:
            self.err(d.span, f"measure `{d.name}` has no `unit`", "add a line such as: unit MNOK")
            return None, []
        out = self.unit(d.unit)
        if d.saving is None:
            self.err(d.span, f"measure `{d.name}` has no `saving = ...`")
            return None, []
        got = self.expr(d.saving, scope)
        if got is None or out is None or not ok:
            return None, []
        saving = self.scaled(got[0], got[1], out, d.saving.span or d.span, f"the saving of `{d.name}`")
        if saving is None:
            return None, []
        if d.round is not None and not 0 <= d.round <= MAX_DECIMALS:
            self.err(d.span, f"`round {d.round}` in measure `{d.name}`: decimals go from 0 to {MAX_DECIMALS}")
            return None, []
        self.measure_units[d.name] = out
        reads = sorted(set(_indicators_read(saving.expr, dict(lets), self.indicators)))
        m = ir.Measure(d.name, d.title or d.name, tuple(lets), tuple(adjusts), saving,
                       d.round if d.round is not None else 1, d.notes, tuple(reads), d.span)
        claims = []
        for cl in d.claims:
            claims.extend(self.check_claim(cl, d.name, scope.lets))
        return m, claims

    def check_claim(self, cl: ast.Claim, measure: str | None, lets=None) -> list[ir.Claim]:
        for s in cl.under:
            if s not in self.scenarios:
                self.err(cl.span, f"claim `{cl.name}` is under `{s}`, which is not a declared basis",
                         did_you_mean(s, self.scenarios))
                return []
        scope = Scope("claim", measure, scenario=bool(cl.under))
        scope.lets = dict(lets or {})
        got = self.expr(cl.expr, scope)
        if got is None:
            return []
        node, q = got
        pub = self.published(cl.published, q, cl.expr.span or cl.span, f"claim `{cl.name}`")
        if pub is None:
            return []
        if pub.kind == "name" and not isinstance(node, ir.PeerOf):
            self.err(cl.span, f"claim `{cl.name}` publishes a municipality, so its value must be peer(INDICATOR)")
            return []
        if isinstance(node, ir.PeerOf):
            if pub.kind != "name":
                self.err(cl.span, f"peer() gives a municipality; claim `{cl.name}` must publish one, e.g. `= Bergen`")
                return []
            expr = node
        else:
            expr = ir.Scaled(node, self._pub_factor(q, cl.published), self._pub_unit(q, cl.published))
        base = f"{measure}.{cl.name}" if measure else cl.name
        scenarios = cl.under or (None,)
        return [
            ir.Claim(base + (f".{s}" if len(scenarios) > 1 else ""), cl.label, measure, s, expr, pub, cl.span)
            for s in scenarios
        ]

    # --- tables ---------------------------------------------------------------
    def check_table_head(self, d: ast.Table) -> ir.Table | None:
        ok = True
        columns = []
        seen = set()
        for c in d.columns:
            if c.name in seen:
                self.err(c.span, f"table `{d.name}` has two columns named `{c.name}`")
                ok = False
            seen.add(c.name)
            if c.basis is not None and c.basis not in self.scenarios:
                self.err(c.span, f"column `{c.name}` uses `{c.basis}`, which is not a declared basis",
                         did_you_mean(c.basis, self.scenarios))
                ok = False
            columns.append(ir.Column(c.name, c.header, c.basis))
        if not columns:
            self.err(d.span, f"table `{d.name}` has no columns")
            return None
        rows, unit, decimals = [], None, 0
        row_names = set()
        for item in d.body:
            if isinstance(item, ast.Section):
                rows.append(ir.Row(item.title, item.title, "section", None, (), item.span))
                continue
            if item.name in row_names:
                self.err(item.span, f"table `{d.name}` has two rows named `{item.name}`",
                         "give one of them a name: row NAME \"label\" = ...")
                ok = False
            row_names.add(item.name)
            if item.published and len(item.published) != len(columns):
                self.err(item.span, f"row `{item.name}` gives {_n(len(item.published), 'published value')} "
                                    f"for {_n(len(columns), 'column')}")
                ok = False
            if isinstance(item, ast.Total):
                kind, source, ru, rd = "total", None, unit, decimals
            else:
                kind = self.kind_of.get(item.source)
                source = item.source
                if kind == "measure":
                    m = self.measures.get(source)
                    if m is None:  # reported where the measure is
                        ok = False
                        continue
                    missing = [c.name for c in d.columns if c.basis is None]
                    if missing:
                        self.err(item.span, f"row `{item.name}` computes measure `{source}`, but column `{missing[0]}` names no basis",
                                 f'write: column {missing[0]} "..." = BASIS')
                        ok = False
                    ru, rd = m.saving.unit, m.round
                elif kind == "table":
                    ref = self.decls[source]
                    if len(ref.columns) != len(columns):
                        self.err(item.span, f"row `{item.name}` takes the totals of table `{source}`, which has {len(ref.columns)} columns, not {len(columns)}")
                        ok = False
                    ru, rd = None, None  # checked once all tables are known
                else:
                    self.err(item.span, f"row `{item.name}` = `{source}`: expected a measure or a table",
                             did_you_mean(source, self.names_of("measure", "table")), about=source)
                    ok = False
                    continue
            if ru is not None:
                if unit is None:
                    unit = ru
                elif units.parse(ru).dimensionality != units.parse(unit).dimensionality or units.factor(units.parse(ru), units.parse(unit)) != 1:
                    self.err(item.span, f"row `{item.name}` is in {ru} but the table is in {unit}")
                    ok = False
            if rd is not None:
                decimals = max(decimals, rd)
            pubs = []
            for p in item.published:
                pv = self.published(p, units.parse(unit or "MNOK"), item.span, f"row `{item.name}`")
                if pv is None:
                    ok = False
                else:
                    pubs.append(pv)
            rows.append(ir.Row(item.name, item.label, kind, source, tuple(pubs), item.span))
        if not ok:
            return None
        return ir.Table(d.name, d.title or d.name, unit or "", decimals, tuple(columns), tuple(rows), d.notes, d.span)

    def check_table_cycles(self) -> None:
        done: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]):
            if name in done or name not in self.tables:
                return
            t = self.tables[name]
            if name in stack:
                self.err(t.span, "tables take each other's totals in a cycle: " + " -> ".join(stack + (name,)))
                return
            for r in t.rows:
                if r.kind == "table":
                    visit(r.source, stack + (name,))
            done.add(name)

        for name in list(self.tables):
            visit(name, ())
        # A table of totals takes its unit and precision from the tables it sums.
        for name in list(self.tables):
            self._settle(name, ())

    def _settle(self, name: str, stack) -> None:
        t = self.tables.get(name)
        if t is None or t.unit or name in stack:
            return
        unit, decimals = "", t.decimals
        for r in t.rows:
            if r.kind == "table" and r.source in self.tables:
                self._settle(r.source, stack + (name,))
                src = self.tables[r.source]
                unit = unit or src.unit
                decimals = max(decimals, src.decimals)
        self.tables[name] = attrs.evolve(t, unit=unit, decimals=decimals)

    # --- known inconsistencies ------------------------------------------------
    def check_known(self, knowns: list[ast.Known], claims: list[ir.Claim]) -> dict[str, ir.Known]:
        items = {c.name for c in claims}
        for t in self.tables.values():
            for r in t.rows:
                if r.kind != "section" and r.published:
                    for c in t.columns:
                        items.add(f"{t.name}.{r.name}.{c.name}")
        out = {}
        for k in knowns:
            if k.name not in items:
                self.err(k.span, f"`known` names `{k.name}`, which is no audited figure",
                         did_you_mean(k.name, items) or "name a table cell as TABLE.ROW.COLUMN or a claim as MEASURE.CLAIM",
                         about=next((part for part in k.target if part in self.broken), None))
                continue
            if k.name in out:
                self.err(k.span, f"`{k.name}` is declared known twice")
            if k.reconcile is not None:
                ind, muni, _ = k.reconcile
                if self.kind_of.get(ind) != "indicator":
                    self.err(k.span, f"`reconcile` names `{ind}`, which is not an indicator",
                             did_you_mean(ind, self.names_of("indicator")))
                    continue
                if muni not in self.municipalities:
                    self.err(k.span, f"`reconcile` names `{muni}`, which is not a municipality",
                             did_you_mean(muni, self.municipalities))
                    continue
            out[k.name] = ir.Known(k.name, k.reason, k.span, k.reconcile)
        return out


# --- small helpers ---------------------------------------------------------


def _natural(name: str):
    """T4 before T10: tables print in the natural order of their names."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _refs(e) -> Iterable[str]:
    if isinstance(e, ast.Ref):
        yield e.name
    elif isinstance(e, ast.BinOp):
        yield from _refs(e.left)
        yield from _refs(e.right)
    elif isinstance(e, ast.Neg):
        yield from _refs(e.operand)
    elif isinstance(e, ast.Call):
        for a in e.args:
            yield from _refs(a)


def _indicators_read(node, lets: dict, indicators: dict[str, ir.Indicator]) -> Iterable[str]:
    if isinstance(node, (ir.OwnVal, ir.BasisVal, ir.Gap, ir.PeerOf)):
        yield node.indicator
        ind = indicators.get(node.indicator)
        if ind is not None and ind.formula is not None:
            yield from _indicators_read(ind.formula.expr, {}, indicators)
    elif isinstance(node, ir.LetRef):
        yield from _indicators_read(lets[node.name], lets, indicators)
    elif isinstance(node, ir.Arith):
        yield from _indicators_read(node.left, lets, indicators)
        yield from _indicators_read(node.right, lets, indicators)
    elif isinstance(node, ir.Neg):
        yield from _indicators_read(node.operand, lets, indicators)
    elif isinstance(node, ir.Extreme):
        for a in node.args:
            yield from _indicators_read(a, lets, indicators)


