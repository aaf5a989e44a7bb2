"""Names: declarations and their duplicates, fields given twice, `own`, groups and their cycles, `known`.

Also the order helpers the other parts use: `order` (each name after the names
it depends on, and the cycles) and `cycle_text`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from benchdsl import ast, ir
from benchdsl.check.context import Context, article
from benchdsl.diagnostics import did_you_mean
from benchdsl.limits import YEARS


class Names:
    def __init__(self, ctx: Context):
        self.c = ctx

    def declare(self, d) -> None:
        c = self.c
        kind = type(d).__name__.lower()
        if d.name in c.decls:
            prev = c.decls[d.name]
            c.err(d.span, f"`{d.name}` is already declared as {article(c.kind_of[d.name])} at {prev.span}",
                  "every municipality, group, basis, indicator, measure and table needs its own name")
            return
        c.decls[d.name] = d
        c.kind_of[d.name] = kind

    def check_repeated(self, d) -> None:
        for r in getattr(d, "repeated", ()):
            field = "the formula (`= …`)" if r.field == "=" else f"`{r.field}`"
            where = f"at line {r.first.line}" if r.first else "above"
            self.c.err(r.span, f"{field} is already given {where}", "give each field once; delete one of them")

    def own(self, owns: list[ast.Own]) -> ast.Own | None:
        """The first `own` declaration (its year in the context's `own_year`), or None after an error."""
        c = self.c
        c.own_year = None
        if not owns:
            c.err(None, "no `own` declaration: whose figures should be computed?",
                  "add a line such as: own Trondheim 2007")
            return None
        for extra in owns[1:]:
            c.err(extra.span, f"a second `own` declaration (the first is at {owns[0].span})")
        own = owns[0]
        c.own_year = c.whole(own.year, "the year", *YEARS, f"own {own.name} 2007")
        if own.name not in c.municipalities:
            c.err(own.span, f"`{own.name}` is not a declared municipality", did_you_mean(own.name, c.municipalities))
        return own

    # --- groups and sets --------------------------------------------------
    def check_groups(self) -> None:
        """Each group after the groups it names, so resolving one never recurses far; cycles reported."""
        c = self.c
        deps = {name: [r for e in c.decls[name].members for r in refs(e) if c.kind_of.get(r) == "group"]
                for name in c.names_of("group")}
        ordered, cycles = order(deps)
        for cycle in cycles:
            c.err(c.decls[cycle[0]].span, f"group `{cycle[0]}` is defined in terms of itself: " + cycle_text(cycle))
            c.groups.update((name, ()) for name in cycle)
        for name in ordered:
            self.resolve_group(name, ())

    def resolve_group(self, name: str, stack: tuple[str, ...]) -> tuple[str, ...]:
        c = self.c
        if name in c.groups:
            return c.groups[name]
        d = c.decls[name]
        if name in stack:  # check_groups reports cycles first; this is only a guard
            return ()
        if d.source is not None:
            return self.group_from_file(d)
        members: list[str] = []
        periods: dict[str, list[tuple[int | None, int | None]]] = {}
        for i, e in enumerate(d.members):
            s = self.member_set(e, stack + (name,))
            if s is None:
                continue
            if s.exclude_own or s.include_own:
                c.err(d.span, "a group cannot mention `own`; use it in a basis: mean(ASSS - own)")
            written = self.member_years(d, i)
            inherited = _periods(s)
            for m in s.members(""):
                years = _joined([_overlap(p, written) for p in inherited.get(m, [(None, None)])])
                if m in members:
                    if years != [(None, None)] or m in periods:
                        c.err(getattr(e, "span", None) or d.span, f"`{m}` is in group `{name}` twice, "
                              "and in some years only", "give each member once, with its `from` and `until`")
                    continue
                members.append(m)
                if years != [(None, None)]:
                    periods[m] = years
        c.groups[name] = tuple(members)
        c.group_years[name] = tuple((m, lo, hi) for m, ps in periods.items() for lo, hi in ps)
        return c.groups[name]

    def group_from_file(self, d: ast.Group) -> tuple[str, ...]:
        """`group K13 from "FILE" code "EKG13"`: the members and their years from a KLASS file (`klass`)."""
        from benchdsl import klass

        c, src = self.c, d.source
        base = os.path.dirname(d.span.path) if d.span and d.span.path else "."
        path = os.path.normpath(os.path.join(base, src.path))
        if path in c.tables_read:  # another group of the same file: its problems are reported once
            table, diags = c.tables_read[path][0], []
        else:
            table, diags = c.tables_read[path] = klass.read(path, src.span)
        found: list = []
        if table is not None:
            c.inputs.append((path, table.sha256))
            found, more = klass.members(table, src.code, src.code_span, c.municipalities, d.name)
            diags = diags + more
        c.diags.extend(diags)
        c.groups[d.name] = tuple(m for m, _ in found)
        c.group_years[d.name] = tuple((m, lo, hi) for m, ps in found for lo, hi in ps)
        return c.groups[d.name]

    def member_years(self, d: ast.Group, i: int) -> tuple[int | None, int | None]:
        """A member's `from YYYY until YYYY` (None where not given, or where it is wrong: reported)."""
        if not d.years:
            return None, None
        first, last = d.years[i]
        lo = self.c.whole(first, "the year in `from YYYY`", *YEARS, "Sandnes from 2008") if first else None
        hi = self.c.whole(last, "the year in `until YYYY`", *YEARS, "Klæbu until 2019") if last else None
        if lo is not None and hi is not None and hi < lo:
            self.c.err(getattr(last, "span", None) or d.span, f"`from {lo} until {hi}`: the membership ends before it begins",
                       "`until` is the last year the municipality is a member")
            return None, None
        return lo, hi

    def member_set(self, e, stack=()) -> ir.MemberSet | None:
        c = self.c
        if id(e) in c.too_deep:
            return None
        if isinstance(e, ast.OwnRef):
            return ir.MemberSet((), include_own=True, text="own")
        if isinstance(e, ast.Ref) and len(e.path) == 1:
            n = e.name
            if c.kind_of.get(n) == "municipality":
                return ir.MemberSet((n,), text=n)
            if c.kind_of.get(n) == "group":
                return ir.MemberSet(self.resolve_group(n, stack), text=n, years=c.group_years.get(n, ()))
            c.err(e.span, f"`{n}` is not a municipality or group", did_you_mean(n, c.names_of("municipality", "group")))
            return None
        if isinstance(e, ast.BinOp) and e.op in "+-":
            left = self.member_set(e.left, stack)
            right = self.member_set(e.right, stack)
            if left is None or right is None:
                return None
            text = f"{left.text} {e.op} {right.text}"
            if e.op == "+":
                inc = left.include + tuple(m for m in right.include if m not in left.include)
                exc = tuple(m for m in left.exclude if m not in right.include)
                # a member of both is a member when either side has it
                years = _either(left, right)
                return ir.MemberSet(inc, exc, left.exclude_own and not right.include_own,
                                    left.include_own or right.include_own, text, years)
            return ir.MemberSet(left.include, left.exclude + right.include,
                                left.exclude_own or right.include_own, left.include_own and not right.include_own, text,
                                left.years)
        c.err(getattr(e, "span", None), "expected a group of municipalities, e.g. ASSS - own - Oslo")
        return None

    # --- known inconsistencies ------------------------------------------------
    def known(self, knowns: list[ast.Known], claims: list[ir.Claim]) -> dict[str, ir.Known]:
        """`known` declarations: each names an audited figure (a published cell or a claim) and what to reconcile."""
        c = self.c
        items = {cl.name for cl in claims}
        for t in c.tables.values():
            for r in t.rows:
                if r.kind != ir.RowKind.SECTION and r.published:
                    for col in t.columns:
                        items.add(f"{t.name}.{r.name}.{col.name}")
        out = {}
        for k in knowns:
            if k.name not in items:
                c.err(k.span, f"`known` names `{k.name}`, which is no audited figure",
                      did_you_mean(k.name, items) or "name a table cell as TABLE.ROW.COLUMN or a claim as MEASURE.CLAIM",
                      about=next((part for part in k.target if part in c.broken), None))
                continue
            if k.name in out:
                c.err(k.span, f"`{k.name}` is declared known twice")
            reconcile = None
            if k.reconcile is not None:
                ind, muni, year = k.reconcile
                if c.kind_of.get(ind) != "indicator":
                    c.err(k.span, f"`reconcile` names `{ind}`, which is not an indicator",
                          did_you_mean(ind, c.names_of("indicator")))
                    continue
                if muni not in c.municipalities:
                    c.err(k.span, f"`reconcile` names `{muni}`, which is not a municipality",
                          did_you_mean(muni, c.municipalities))
                    continue
                if year is not None:
                    year = c.whole(year, "the year", *YEARS, f"reconcile {ind} {muni} 2007")
                    if year is None:
                        continue
                reconcile = (ind, muni, year)
            out[k.name] = ir.Known(k.name, k.reason, k.span, reconcile)
        return out


def _overlap(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> tuple[int | None, int | None]:
    """The years in both periods (None: open; a first year after the last: none)."""
    lo = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
    hi = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
    return lo, hi


def _periods(s: ir.MemberSet) -> dict[str, list[tuple[int | None, int | None]]]:
    """Each member's periods (a member of a group read from a KLASS file may have several)."""
    out: dict[str, list[tuple[int | None, int | None]]] = {}
    for m, lo, hi in s.years:
        out.setdefault(m, []).append((lo, hi))
    return out


def _either(left: ir.MemberSet, right: ir.MemberSet) -> tuple[tuple[str, int | None, int | None], ...]:
    """`left + right`'s periods: a municipality in both counts in the years either side has it."""
    lp, rp = _periods(left), _periods(right)
    out = []
    for m in dict.fromkeys(left.include + right.include):
        sides = [lp.get(m, [(None, None)]) if m in left.include else None,
                 rp.get(m, [(None, None)]) if m in right.include else None]
        years = [p for side in sides if side is not None for p in side]
        if (None, None) in years:  # a member throughout on one side
            continue
        out.extend((m, lo, hi) for lo, hi in _joined(years))
    return tuple(out)


def _joined(periods: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
    """Periods joined where they overlap or follow each other (an empty one, first after last, dropped
    unless it is all there is); [(None, None)] where they cover every year."""
    empty = [p for p in periods if p[0] is not None and p[1] is not None and p[1] < p[0]]
    real = [p for p in periods if p not in empty]
    if not real:
        return empty[:1]
    from benchdsl.klass import merge

    return merge(real) or [(None, None)]


# --- order and cycles -----------------------------------------------------


def natural(name: str):
    """T4 before T10: tables print in the natural order of their names."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def refs(e) -> Iterable[str]:
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


def order(deps: dict[str, list[str]]) -> tuple[list[str], list[list[str]]]:
    """Each name after the names it depends on, and the cycles (each reported once), without recursion."""
    out: list[str] = []
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
                out.append(path.pop())
                stack.pop()
    return out, cycles


def cycle_text(cycle: list[str]) -> str:
    names = cycle + cycle[:1]
    if len(names) > 8:  # a long cycle: its ends say where to look
        names = names[:4] + [f"… ({len(cycle) - 5} more) …"] + names[-2:]
    return " -> ".join(names)
