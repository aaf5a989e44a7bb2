"""AST -> checked program: names, references, units, duplicates, cycles.

Every unit in the rules is resolved here, once, into float factors; a rule
whose units do not combine into its declared unit is rejected before any data
is read.  All problems are collected as diagnostics; checking goes on after an
error so that one run shows them all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import attrs

from benchdsl import ast, bases, ir, published, units
from benchdsl.diagnostics import Diagnostic, did_you_mean, error
from benchdsl.typecheck import MAX_CHAIN, MAX_DECIMALS, MAX_DEPTH, YEARS, ExprChecker, Scope, _a, ast_depth


def check(files: Iterable[ast.File]) -> tuple[ir.Program | None, list[Diagnostic]]:
    c = _Checker(list(files))
    program = c.run()
    return program, c.diags


class _Checker(ExprChecker):
    def __init__(self, files: list[ast.File]):
        super().__init__()
        self.files = files
        self.diags: list[Diagnostic] = []
        self.decls: dict[str, ast.Decl] = {}
        self.kind_of: dict[str, str] = {}
        self.indicators: dict[str, ir.Indicator] = {}
        self.ind_units: dict[str, object] = {}
        self.measure_units: dict[str, object] = {}
        self.tables: dict[str, ir.Table] = {}
        self.cyclic: set[str] = set()  # indicators defined in terms of themselves
        self._file_ranks: dict[str, int] | None = None
        # How deep evaluating each derived indicator, let, measure and table goes, and the
        # indicators each reads: worked out once each, so checking stays linear.
        self.ind_cost: dict[str, tuple[int, frozenset]] = {}
        self.measure_depth: dict[str, int] = {}
        self.table_depth: dict[str, int] = {}

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

    def same_unit(self, a: str, b: str) -> bool:
        try:
            return self.factor(units.parse(a), units.parse(b)) == 1
        except units.UnitError:
            return False

    def names_of(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kind_of.items() if k in kinds]

    # --- the pass ---------------------------------------------------------
    def run(self) -> ir.Program | None:
        owns, panels, knowns, claims = [], [], [], []
        # Declarations that did not parse were reported already: stay quiet about their uses.
        self.broken = {name for f in self.files for name in f.broken}
        for f in self.files:
            for d in f.decls:
                self.check_repeated(d)
                self.check_depths(d)
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
        self.check_groups()
        own = self.check_own(owns)
        if not panels:
            self.err(None, "no `panel` declaration: the rules read no data",
                     'add a line such as: panel "../data/kostra2007.csv"')
        for name in self.names_of("indicator"):
            self.check_indicator_head(self.decls[name])
        for name in self.formula_order():
            if self.decls[name].formula is None:
                self.check_sourced(name)
            else:
                self.check_formula(name)
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
        if any(d.is_error for d in self.diags) or own is None or self.own_year is None:
            return None
        return ir.Program(
            municipalities=self.municipalities,
            groups=self.groups,
            own=own.name,
            year=self.own_year,
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
        ranks = self._file_ranks
        if ranks is None:
            ranks = self._file_ranks = {}
            for i, t in enumerate(self.tables.values()):
                ranks.setdefault(t.span.path if t.span else "", i)
        path = c.span.path if c.span else ""
        return (ranks.get(path, len(ranks)), path, c.span.line if c.span else 0)

    def check_repeated(self, d) -> None:
        for r in getattr(d, "repeated", ()):
            field = "the formula (`= …`)" if r.field == "=" else f"`{r.field}`"
            where = f"at line {r.first.line}" if r.first else "above"
            self.err(r.span, f"{field} is already given {where}", "give each field once; delete one of them")

    def check_depths(self, d) -> None:
        """Expressions too deep for the passes after this one (all recurse over them) are reported and left out."""
        for e in _expressions(d):
            depth, terms, op = ast_depth(e)
            if depth <= MAX_DEPTH:
                continue
            self.too_deep.add(id(e))
            if terms - 1 >= depth / 2:  # mostly one long chain: say so, it is what the analyst wrote
                what = "sum" if op in "+-" else "product"
                self.err(e.span, f"this {what} of {terms} terms is too deep to compute: {depth} operations inside one "
                                 f"another (at most {MAX_DEPTH})",
                         f"each term of a {what} is one level deeper than the one before; split it into `let` parts "
                         f"of at most {MAX_DEPTH} terms and combine those")
            else:
                self.err(e.span, f"this expression is too deep to compute: {depth} operations inside one another "
                                 f"(at most {MAX_DEPTH})", "split it into `let` steps")

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
        self.own_year = None
        if not owns:
            self.err(None, "no `own` declaration: whose figures should be computed?",
                     "add a line such as: own Trondheim 2007")
            return None
        for extra in owns[1:]:
            self.err(extra.span, f"a second `own` declaration (the first is at {owns[0].span})")
        own = owns[0]
        self.own_year = self.whole(own.year, "the year", *YEARS, f"own {own.name} 2007")
        if own.name not in self.municipalities:
            self.err(own.span, f"`{own.name}` is not a declared municipality",
                     did_you_mean(own.name, self.municipalities))
        return own

    # --- groups and sets --------------------------------------------------
    def check_groups(self) -> None:
        """Each group after the groups it names, so resolving one never recurses far; cycles reported."""
        deps = {name: [r for e in self.decls[name].members for r in _refs(e) if self.kind_of.get(r) == "group"]
                for name in self.names_of("group")}
        order, cycles = _order(deps)
        for cycle in cycles:
            self.err(self.decls[cycle[0]].span, f"group `{cycle[0]}` is defined in terms of itself: "
                                                + _cycle_text(cycle))
            self.groups.update((name, ()) for name in cycle)
        for name in order:
            self.resolve_group(name, ())

    def resolve_group(self, name: str, stack: tuple[str, ...]) -> tuple[str, ...]:
        if name in self.groups:
            return self.groups[name]
        d = self.decls[name]
        if name in stack:  # check_groups reports cycles first; this is only a guard
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

    def formula_order(self) -> list[str]:
        """The indicators, each after the ones its formula reads; a cycle is reported (without recursion)."""
        deps = {}
        for name in self.names_of("indicator"):
            d = self.decls[name]
            if name in self.ind_units:
                deps[name] = [] if d.formula is None else [r for r in _refs(d.formula) if r in self.ind_units]
        order, cycles = _order(deps)
        for cycle in cycles:
            self.cyclic.update(cycle)
            d: ast.Indicator = self.decls[cycle[0]]
            if len(cycle) == 1:
                self.err(d.formula.span or d.span, f"indicator `{d.name}` is defined in terms of itself",
                         "an indicator's formula reads other indicators")
            else:
                self.err(d.span, "indicators defined in terms of each other: " + _cycle_text(cycle))
        return order

    def check_formula(self, name: str) -> None:
        """Called in `formula_order`: every indicator the formula reads is checked already."""
        d: ast.Indicator = self.decls[name]
        if name in self.cyclic:
            return
        got = self.expr(d.formula, Scope("indicator"))
        if got is None:
            return
        node, q = got
        formula = self.scaled(node, q, self.ind_units[name], d.formula.span or d.span, f"the formula of `{name}`")
        if formula is None:
            return
        depth, reads = self.cost(formula.expr, {})
        if self.too_long(depth + 1, d.formula.span or d.span, f"indicator `{name}`"):
            self.ind_cost[name] = (math.inf, reads)  # reported here: not again for the indicators that read it
            return
        self.ind_cost[name] = (depth + 1, reads)
        self.indicators[name] = ir.Indicator(
            name, d.title or name, self.show(self.ind_units[name]), d.better, None, formula, d.notes, d.span,
        )

    def check_sourced(self, name: str) -> None:
        d: ast.Indicator = self.decls[name]
        self.indicators[name] = ir.Indicator(
            name, d.title or name, self.show(self.ind_units[name]), d.better, d.source or name, None, d.notes, d.span,
        )

    # --- how deep evaluation goes ---------------------------------------------
    def cost(self, node, lets: dict) -> tuple[int, frozenset]:
        """(how many levels evaluating `node` goes down, indicators it reads).

        The evaluator, the batch evaluator, `explain` and the cache all recurse
        through an expression and on into the lets, derived indicators, measures
        and table cells it uses; the depth counts all of it.  Those are worked out
        once each (`lets`, `ind_cost`, ...), so this only walks `node` itself,
        whose depth `check_depths` has bounded.
        """
        if isinstance(node, (ir.OwnVal, ir.BasisVal, ir.Gap, ir.PeerOf)):
            depth, reads = self.ind_cost.get(node.indicator, (0, frozenset()))
            reads = reads | {node.indicator}
            if isinstance(node, ir.OwnVal):
                return 1 + depth, reads
            if node.policy is None:  # the column's or the claim's basis
                depth = max(depth, self.weight_depth)
            else:
                depth = max(depth, self.reads_depth(node.policy))
            return 1 + depth, reads
        if isinstance(node, ir.LetRef):
            depth, reads = lets.get(node.name, (0, frozenset()))
            return 1 + depth, reads
        if isinstance(node, ir.SavingRef):
            return 1 + self.measure_depth.get(node.measure, 0), frozenset()
        if isinstance(node, ir.CellRef):
            return 1 + self.table_depth.get(node.table, 0), frozenset()
        children = _children(node)
        if not children:
            return 1, frozenset()
        costs = [self.cost(c, lets) for c in children]
        return 1 + max(c[0] for c in costs), frozenset().union(*(c[1] for c in costs))

    def reads_depth(self, policy) -> int:
        """How deep the indicators a basis reads besides the compared one go (a derived weight)."""
        return max((self.ind_cost.get(w, (0,))[0] for w in bases.kind(policy).reads(policy)), default=0)

    @property
    def weight_depth(self) -> int:
        """A basis taken from the column or the claim may weigh by a derived indicator."""
        if not hasattr(self, "_weight_depth"):
            self._weight_depth = max((self.reads_depth(s.policy) for s in self.scenarios.values()), default=0)
        return self._weight_depth

    def too_long(self, depth: int, span, what: str,
                 through: str = "the lets and derived indicators it uses, and their operations") -> bool:
        if depth <= MAX_CHAIN:
            return False
        if depth == math.inf:  # goes through something reported as too deep already
            return True
        self.err(span, f"{what} is too deep to compute: it goes {depth} levels down through {through} "
                       f"(at most {MAX_CHAIN})",
                 "shorten the chain: compute intermediate values side by side rather than each from the last")
        return True

    # --- measures and claims ------------------------------------------------
    def check_measure(self, d: ast.Measure):
        scope = Scope("measure", d.name, scenario=True)
        ok = True
        lets = []
        costs: dict[str, tuple[int, frozenset]] = {}  # let -> (depth, indicators read)
        for let in d.lets:
            scope.later.setdefault(let.name, let)
        for let in d.lets:
            if scope.later.get(let.name) is let:
                del scope.later[let.name]
            if let.name in scope.lets or self.kind_of.get(let.name) in ("indicator", "measure"):
                self.err(let.span, f"`let {let.name}` hides another name",
                         "choose a name that is not an indicator, measure or earlier let")
                ok = False
                continue
            scope.defining = let.name
            got = self.expr(let.expr, scope)
            scope.defining = None
            if got is not None:
                costs[let.name] = self.cost(got[0], costs)
            if got is None or self.too_long(costs[let.name][0], let.expr.span or let.span, f"`let {let.name}`"):
                scope.failed.add(let.name)
                ok = False
                continue
            scope.lets[let.name] = got[1]
            lets.append((let.name, got[0]))
        adjusts = []
        adjust_depth = 0
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
            adjust_depth = max(adjust_depth, self.cost(s.expr, {})[0])
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
        decimals = 1
        if d.round is not None:
            decimals = self.whole(d.round, "`round`", 0, MAX_DECIMALS, "round 1")
            if decimals is None:
                return None, []
        depth, reads = self.cost(saving.expr, costs)
        # an adjustment is evaluated where its indicator is read, so it adds to any path
        if self.too_long(depth + adjust_depth, d.saving.span or d.span, f"the saving of `{d.name}`"):
            return None, []
        self.measure_depth[d.name] = depth + adjust_depth
        self.measure_units[d.name] = out
        m = ir.Measure(d.name, d.title or d.name, tuple(lets), tuple(adjusts), saving,
                       decimals, d.notes, tuple(sorted(reads)), d.span)
        claims = []
        for cl in d.claims:
            claims.extend(self.check_claim(cl, d.name, scope.lets, costs, adjust_depth))
        return m, claims

    def check_claim(self, cl: ast.Claim, measure: str | None, lets=None, costs=None,
                    adjust_depth: int = 0) -> list[ir.Claim]:
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
        if self.too_long(self.cost(node, costs or {})[0] + adjust_depth, cl.expr.span or cl.span, f"claim `{cl.name}`"):
            return []
        pub = self.published(cl.published, q, cl.expr.span or cl.span, f"claim `{cl.name}`")
        if pub is None:
            return []
        names = published.form(pub).names_municipality
        if names and not isinstance(node, ir.PeerOf):
            self.err(cl.span, f"claim `{cl.name}` publishes a municipality, so its value must be peer(INDICATOR)")
            return []
        if isinstance(node, ir.PeerOf):
            if not names:
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
                rows.append(ir.Row(item.title, item.title, ir.RowKind.SECTION, None, (), item.span))
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
                kind, source, ru, rd = ir.RowKind.TOTAL, None, unit, decimals
            else:
                source = item.source
                if self.kind_of.get(source) == "measure":
                    kind = ir.RowKind.MEASURE
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
                elif self.kind_of.get(source) == "table":
                    kind = ir.RowKind.TABLE
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
                elif not self.same_unit(ru, unit):
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
        """Tables that take each other's totals: cycles reported, then units and depths settled in order."""
        deps = {name: [r.source for r in t.rows if r.kind == ir.RowKind.TABLE and r.source in self.tables]
                for name, t in self.tables.items()}
        order, cycles = _order(deps)
        cyclic: set[str] = set()
        for cycle in cycles:
            cyclic.update(cycle)
            self.err(self.tables[cycle[0]].span,
                     "tables take each other's totals in a cycle: " + _cycle_text(cycle))
        # A table of totals takes its unit and precision from the tables it sums; each
        # table comes after the ones it takes totals from.
        for name in order:
            t = self.tables[name]
            depth = 0
            for r in t.rows:
                if r.kind == ir.RowKind.MEASURE:
                    depth = max(depth, self.measure_depth.get(r.source, 0))
                elif r.kind == ir.RowKind.TABLE and r.source in self.tables:
                    depth = max(depth, self.table_depth.get(r.source, 0))
            # computing a cell takes three calls per table it goes through
            self.table_depth[name] = depth + 3
            if name not in cyclic and self.too_long(depth + 3, t.span, f"table `{name}`",
                                                    "the tables whose totals it takes, and their measures"):
                self.table_depth[name] = math.inf  # reported here: not again for the tables that take its totals
            if t.unit:
                continue
            unit, decimals = "", t.decimals
            for r in t.rows:
                if r.kind == ir.RowKind.TABLE and r.source in self.tables:
                    src = self.tables[r.source]
                    unit = unit or src.unit
                    decimals = max(decimals, src.decimals)
            self.tables[name] = attrs.evolve(t, unit=unit, decimals=decimals)

    # --- known inconsistencies ------------------------------------------------
    def check_known(self, knowns: list[ast.Known], claims: list[ir.Claim]) -> dict[str, ir.Known]:
        items = {c.name for c in claims}
        for t in self.tables.values():
            for r in t.rows:
                if r.kind != ir.RowKind.SECTION and r.published:
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
            reconcile = None
            if k.reconcile is not None:
                ind, muni, year = k.reconcile
                if self.kind_of.get(ind) != "indicator":
                    self.err(k.span, f"`reconcile` names `{ind}`, which is not an indicator",
                             did_you_mean(ind, self.names_of("indicator")))
                    continue
                if muni not in self.municipalities:
                    self.err(k.span, f"`reconcile` names `{muni}`, which is not a municipality",
                             did_you_mean(muni, self.municipalities))
                    continue
                if year is not None:
                    year = self.whole(year, "the year", *YEARS, f"reconcile {ind} {muni} 2007")
                    if year is None:
                        continue
                reconcile = (ind, muni, year)
            out[k.name] = ir.Known(k.name, k.reason, k.span, reconcile)
        return out


# --- small helpers ---------------------------------------------------------


def _natural(name: str):
    """T4 before T10: tables print in the natural order of their names."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _refs(e) -> Iterable[str]:
    """The names an expression mentions (without recursion: it may not have been bounded yet)."""
    stack = [e]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Ref):
            yield e.name
        elif isinstance(e, ast.BinOp):
            stack += (e.right, e.left)
        elif isinstance(e, ast.Neg):
            stack.append(e.operand)
        elif isinstance(e, ast.Call):
            stack.extend(reversed(e.args))


def _order(deps: dict[str, list[str]]) -> tuple[list[str], list[list[str]]]:
    """Each name after the names it depends on, and the cycles (each reported once), without recursion."""
    order: list[str] = []
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    in_cycle: set[str] = set()
    for root in deps:
        if root in state:
            continue
        path, stack = [root], [iter(deps[root])]
        state[root] = 1
        while stack:
            for dep in stack[-1]:
                if dep not in deps:
                    continue
                if dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    stack.append(iter(deps[dep]))
                    break
                if state[dep] == 1 and dep not in in_cycle:
                    cycle = path[path.index(dep):]
                    in_cycle.update(cycle)
                    cycles.append(cycle)
            else:
                state[path[-1]] = 2
                order.append(path.pop())
                stack.pop()
    return order, cycles


def _cycle_text(cycle: list[str]) -> str:
    names = cycle + cycle[:1]
    if len(names) > 8:  # a long cycle: its ends say where to look
        names = names[:4] + [f"… ({len(cycle) - 5} more) …"] + names[-2:]
    return " -> ".join(names)


def _children(node) -> tuple:
    if isinstance(node, ir.Arith):
        return (node.left, node.right)
    if isinstance(node, ir.Neg):
        return (node.operand,)
    if isinstance(node, ir.Extreme):
        return node.args
    return ()


def _expressions(d) -> Iterable:
    """Every expression a declaration holds."""
    if isinstance(d, ast.Group):
        yield from d.members
    elif isinstance(d, ast.Basis):
        yield d.expr
    elif isinstance(d, ast.Indicator):
        if d.formula is not None:
            yield d.formula
    elif isinstance(d, ast.Measure):
        yield from (let.expr for let in d.lets)
        yield from (a.amount for a in d.adjusts)
        if d.saving is not None:
            yield d.saving
        yield from (c.expr for c in d.claims)
    elif isinstance(d, ast.Claim):
        yield d.expr
