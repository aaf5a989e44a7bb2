"""Series breaks: figures that compare a municipality's values across a merger or split.

Read from each figure's derivation (the municipality and year of every input it read) and the
municipality register (`registry.series_breaks`), never by evaluating anything; the text, JSON
and HTML reports and `explain` show them.  A figure that reads one year only needs no register.
`--for all` (`of_batch`) finds the same from the rules, once per figure, for every row at once.
"""

from __future__ import annotations

from benchdsl import ir

HEADING = "Series breaks (a comparison across a merger or split compares different territories)"

# The first year of any merger or split in the shipped register, and of any municipality's known
# history: a figure whose years all come before it crosses nothing the register could name, so the
# register (tens of milliseconds to read) is not read for it.  tests/test_breaks.py holds this to the
# register's data.
FIRST_EVENT = 2020


def of_trace(program: ir.Program, trace) -> tuple:
    """The `registry.SeriesBreak`s one figure's inputs cross."""
    if trace is None:
        return ()
    reads = {(muni, year) for _, muni, year in trace.inputs}
    years = {year for _, year in reads}
    if len(years) < 2 or max(years) < FIRST_EVENT:
        return ()
    from benchdsl import registry

    return registry.series_breaks(sorted(reads), program.municipalities)


def of_figure(program: ir.Program, figure) -> tuple:
    return () if figure is None else of_trace(program, figure.trace)


def of_audit(program: ir.Program, audit) -> list[tuple[object, list[str]]]:
    """Every break any figure crosses, each with the figures that cross it, in report order."""
    found: dict = {}
    seen: set[int] = set()
    named = [(i.name, i.figure) for i in audit.items]
    named += [(f"{m} under {b}" if b else m, f) for (m, b), f in audit.figures.items()]
    for name, fig in named:
        if fig is None or id(fig) in seen:  # a cell's figure is also the measure's under its basis
            continue
        seen.add(id(fig))
        for br in of_figure(program, fig):
            found.setdefault(br, []).append(name)
    return list(found.items())


# --- `--for all`: every municipality and year at once ----------------------------------------

_OWN, _ROW = "", None  # the evaluated municipality; the evaluated year


def of_batch(batch) -> dict[tuple, tuple]:
    """{(municipality, year, measure, basis): its `registry.SeriesBreak`s} for each computed cell of a
    `--for all` table whose figure compares years across a merger or split: what `of_figure` finds
    for that municipality-year, found without evaluating it.

    What a figure reads, and in which years, is read once from its rules (`_Reach`): the own
    municipality and each named one, each in the evaluated year or in a given one (`year(2017)`,
    `x@2017`, a growth). A figure that reads no given year (most) crosses nothing and costs
    nothing; for the others the register is asked once per municipality and pair of years."""
    program = batch.program
    if program is None:
        return {}
    reach = _Reach(program)
    places = {key: reach.figure(*key) for key in batch.figures}
    places = {key: p for key, p in places.items() if any(y is not _ROW for ys in p.values() for y in ys)}
    if not places:
        return {}
    crossed = _Crossed(program)
    out: dict = {}
    for (measure, basis), p in places.items():
        values = batch.figures[(measure, basis)]
        own_years = p.get(_OWN, set())
        others = {who: ys for who, ys in p.items() if who != _OWN}
        for j, y in enumerate(batch.years):
            # the named municipalities' breaks are the same for every row of the year, but for the row of
            # one of them, which reads it also as own
            seen = {who: crossed(who, _years(ys, y)) for who, ys in others.items()}
            for i, m in enumerate(batch.municipalities):
                if values[i, j] != values[i, j]:  # NaN: not computed, nothing compared
                    continue
                found = [br for who, brs in seen.items() if who != m for br in brs]
                found[:0] = crossed(m, _years(own_years | others.get(m, set()), y))
                if found:
                    out[(m, y, measure, basis)] = tuple(found)
    return out


def _years(years: set, row: int) -> tuple[int, ...]:
    return tuple(sorted({row if y is _ROW else y for y in years}))


class _Crossed:
    """A municipality read in these years -> the breaks between the first and the last (memoised)."""

    def __init__(self, program: ir.Program):
        self.declared = program.municipalities
        self.memo: dict = {}
        self.register = None

    def __call__(self, name: str, years: tuple[int, ...]) -> tuple:
        if len(years) < 2 or years[-1] < FIRST_EVENT:
            return ()
        key = (name, years[0], years[-1])
        if key not in self.memo:
            from benchdsl import registry

            self.register = self.register or registry.default()
            self.memo[key] = registry.series_breaks([(name, years[0]), (name, years[-1])], self.declared,
                                                    self.register)
        return self.memo[key]


class _Reach:
    """Which places a figure's rules read: {municipality (`_OWN`: the evaluated one): {year (`_ROW`:
    the evaluated one), ...}}, as the kernel reads them (`kernel._Ctx`): an indicator at the own
    place, a basis's members or peer, `year(Y)` the own municipality in Y, `x@Y` and a growth their
    operand in other years; a measure's `let`s in the year they are read in, another measure's
    saving in the evaluated year. Every member of a group is read, also in years it is not one
    (as the kernel reads them, masked), and so is the own municipality in `G - own`."""

    def __init__(self, program: ir.Program):
        self.p = program
        self.memo: dict = {}

    def figure(self, measure: str, basis: str | None) -> dict:
        key = (measure, basis)
        if key not in self.memo:
            self.memo[key] = {}  # a guard: the checker allows no cycle of measures
            out: dict = {}
            m = self.p.measures[measure]
            policy = self.p.scenarios[basis].policy if basis else None
            self._walk(m.saving.expr, _ROW, m, policy, basis, out)
            self.memo[key] = out
        return self.memo[key]

    def _walk(self, node, year, measure, policy, basis, out: dict) -> None:
        stack = [(node, year)]
        while stack:
            n, y = stack.pop()
            if isinstance(n, ir.OwnVal):
                out.setdefault(_OWN, set()).add(y)
            elif isinstance(n, (ir.BasisVal, ir.Gap, ir.PeerOf)):
                if isinstance(n, ir.Gap):
                    out.setdefault(_OWN, set()).add(y)
                self._policy(n.policy or policy, y, out)
            elif isinstance(n, ir.Arith):
                stack += [(n.left, y), (n.right, y)]
            elif isinstance(n, ir.Neg):
                stack.append((n.operand, y))
            elif isinstance(n, ir.Extreme):
                stack += [(a, y) for a in n.args]
            elif isinstance(n, ir.AtYear):
                stack.append((n.operand, n.year))
            elif isinstance(n, ir.Growth):
                years = range(n.start + 1, n.end + 1) if n.rates else (n.start, n.end)
                stack += [(n.operand, x) for x in years]
                if n.deflator is not None:
                    stack += [(n.deflator, x) for x in range(n.start + 1, n.end + 1)]
            elif isinstance(n, ir.LetRef) and measure is not None and n.name in measure.let_nodes:
                stack.append((measure.let_nodes[n.name], y))
            elif isinstance(n, ir.SavingRef) and n.measure in self.p.measures:
                for who, ys in self.figure(n.measure, basis).items():  # its saving in the evaluated year
                    out.setdefault(who, set()).update(ys)
            elif isinstance(n, ir.Scaled):
                stack.append((n.expr, y))

    def _policy(self, policy, year, out: dict) -> None:
        if policy is None or isinstance(policy, ir.Literal):
            return
        if isinstance(policy, ir.Year):
            out.setdefault(_OWN, set()).add(policy.year)
            return
        if isinstance(policy, ir.Peer):
            out.setdefault(policy.name, set()).add(year)
            return
        group = getattr(policy, "group", None)
        if group is None:
            return
        if group.include_own or isinstance(policy, ir.NeedMean):  # `G + own`; the own need index
            out.setdefault(_OWN, set()).add(year)
        for member in group.include:  # the own municipality too where it is one (`G - own` reads it, masked)
            if member not in group.exclude:
                out.setdefault(member, set()).add(year)
