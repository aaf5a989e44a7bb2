"""The readings search: every combination of the rules' `reading`s, audited against every published figure.

A reading (`check/readings.py`) is another way the report may have computed one thing.
Readings of the same thing are alternatives (a *dimension*, with "as written" as one more
choice).  The search

1. audits the rules with each reading alone in place, to see which published figures each
   dimension changes;
2. joins dimensions that change a figure in common into one *search*, and audits every
   combination of their choices (at most `MAX_COMBINATIONS` per search; past it, an error at
   the reading that makes it too many);
3. says, for every published figure the rules as written do not reproduce, which readings
   reproduce it and what each breaks, or how close each comes.

A figure is a report inconsistency *found by the search* when no combination reproduces it
together with every figure the rules as written reproduce, and its inputs reproduce other
published figures (they are corroborated: the report itself confirms them).  A figure that a
reading reproduces without breaking anything is no inconsistency: the rules should read it so.
A figure whose inputs nothing corroborates is a mismatch: the data, not the report, may be wrong.

Every variant is the checked program with the readings' patches in place, evaluated by the
one evaluator (`Evaluator`) and audited by `audit.audit`: there is no second evaluator.
"""

from __future__ import annotations

import itertools
import math

import attrs

from benchdsl import ir
from benchdsl.diagnostics import Diagnostic, error, warning

MAX_COMBINATIONS = 64  # combinations of choices audited in one search (each is one audit of the rules)
CLOSEST = 3  # readings named as the closest to reproducing a figure


@attrs.frozen
class Outcome:
    """One combination of readings (() = the rules as written) and what it computes."""

    readings: tuple[str, ...]
    reproduced: frozenset[str]  # published figures of the search it reproduces
    values: dict  # figure -> (computed, computed - published or None)

    def label(self, labels: dict) -> str:
        return " + ".join(f"{r} ({labels[r]})" if labels.get(r, r) != r else r
                          for r in self.readings) or "as written"


@attrs.frozen
class Search:
    """Dimensions that change published figures in common, and every combination of their choices."""

    dimensions: tuple[tuple[str, tuple[str, ...]], ...]  # (what, (reading, ...)): "as written" is implied
    figures: tuple[str, ...]  # the published figures they change
    outcomes: tuple[Outcome, ...]  # the first is the rules as written

    @property
    def agreeing(self) -> tuple[Outcome, ...]:
        """The combinations that reproduce every figure of the search."""
        return tuple(o for o in self.outcomes if o.reproduced >= set(self.figures))


@attrs.frozen
class Closest:
    reading: str  # the combination, in words ("as written", "unweighted (…)")
    computed: float | None
    delta: float | None  # computed - published
    breaks: tuple[str, ...] = ()  # figures the rules as written reproduce and this combination does not


@attrs.frozen
class Finding:
    """What the search says about one published figure the rules as written do not reproduce."""

    item: str
    inconsistent: bool  # a report inconsistency found by the search
    why: str  # in words: which readings reproduce it, what they break, or why it is not an inconsistency
    closest: tuple[Closest, ...] = ()
    corroborated_by: tuple[str, ...] = ()  # reproduced figures that read some of the same inputs


@attrs.frozen
class Result:
    searches: tuple[Search, ...]
    findings: dict  # item -> Finding
    labels: dict  # reading -> label


def search(program: ir.Program, ev, items) -> tuple[Result, list[Diagnostic]]:
    """The readings of `program`, searched; `items` are the audit's items for the rules as written."""
    from benchdsl.audit import Status

    diags: list[Diagnostic] = []
    labels = {r.name: r.label for r in program.readings}
    spans = {r.name: r.span for r in program.readings}
    dims: dict[str, list[str]] = {}
    for r in program.readings:
        dims.setdefault(r.what, []).append(r.name)
    by_name = {r.name: r for r in program.readings}
    memo: dict = {}

    def run(chosen: tuple[str, ...]) -> dict:
        """figure -> (reproduced?, computed, delta), with these readings in place."""
        if chosen not in memo:
            memo[chosen] = _outcome(program, ev, [by_name[n] for n in chosen]) if chosen else {
                i.name: (i.status == Status.OK, i.computed, i.delta) for i in items}
        return memo[chosen]

    written = run(())
    changes: dict[str, set[str]] = {}
    for what, names in dims.items():
        changed = set()
        for name in names:
            got = run((name,))
            changed |= {f for f, v in got.items() if _differs(v, written.get(f))}
        changes[what] = changed
        if not changed:
            diags.append(warning(spans[names[0]], f"no reading of {what} changes a published figure",
                                 "the search has nothing to compare; remove the readings or publish what they change"))
    searches = []
    for group in _joined({w: c for w, c in changes.items() if c}):
        figures = sorted(set().union(*(changes[w] for w in group)))
        choices = [((None,) + tuple(dims[w])) for w in group]
        n = math.prod(len(c) for c in choices)
        if n > MAX_COMBINATIONS:
            last = dims[group[-1]][-1]
            diags.append(error(spans[last], f"the readings of {', '.join(group)} make {n} combinations to audit, "
                                            f"more than the {MAX_COMBINATIONS} one search may have",
                               "fewer readings of things that change the same published figures"))
            combos = [()] + [(name,) for w in group for name in dims[w]]  # each reading alone
        else:
            combos = [tuple(x for x in combo if x is not None) for combo in itertools.product(*choices)]
        outcomes = []
        for chosen in combos:
            got = run(chosen)
            outcomes.append(Outcome(chosen, frozenset(f for f in figures if got.get(f, (False,))[0]),
                                    {f: got[f][1:] for f in figures if f in got}))
        searches.append(Search(tuple((w, tuple(dims[w])) for w in group), tuple(figures), tuple(outcomes)))
    findings = _findings(program, ev, items, searches, labels, memo)
    return Result(tuple(searches), findings, labels), diags


def _differs(a, b) -> bool:
    if b is None:
        return a is not None
    (ok1, v1, _), (ok2, v2, _) = a, b
    same_value = (v1 is None and v2 is None) or (v1 is not None and v2 is not None and (
        v1 == v2 or (math.isnan(v1) and math.isnan(v2)) or math.isclose(v1, v2, rel_tol=1e-12, abs_tol=1e-12)))
    return ok1 != ok2 or not same_value


def _joined(changes: dict[str, set[str]]) -> list[list[str]]:
    """Dimensions joined where they change a figure in common (connected components, in declaration order)."""
    groups: list[tuple[list[str], set[str]]] = []
    for what, figs in changes.items():
        merged = [g for g in groups if g[1] & figs]
        names, union = [what], set(figs)
        for g in merged:
            names = g[0] + names
            union |= g[1]
            groups.remove(g)
        groups.append((names, union))
    order = list(changes)
    return [sorted(g[0], key=order.index) for g in groups]


def variant(program: ir.Program, readings) -> ir.Program:
    """The checked program with these readings' patches in place."""
    parts: dict = {}
    claims: dict = {}
    for r in readings:
        for part, changed in r.patch.items():
            if part == "claims":
                claims.update(changed)
            else:
                parts.setdefault(part, dict(getattr(program, part))).update(changed)
    return attrs.evolve(program, **parts, claims=tuple(claims.get(c.name, c) for c in program.claims), readings=())


def _outcome(program: ir.Program, ev, readings) -> dict:
    from benchdsl.audit import Status, audit
    from benchdsl.evaluate import Evaluator

    p = variant(program, readings)
    trial = Evaluator(p, ev.values, ev.own, ev.year, ev.overrides)
    return {i.name: (i.status == Status.OK, i.computed, i.delta)
            for i in audit(p, trial, reconcile=False, search=False).items}


def inputs(program: ir.Program, ev, item) -> frozenset:
    """The panel inputs (indicator, municipality, year) a published figure read, through the savings it reads."""
    from benchdsl.evidence import _reads

    keys = set()
    fig = item.figure
    if fig is not None and fig.trace is not None:
        keys |= fig.trace.inputs.keys()
    if item.kind == "claim":
        claim = next((c for c in program.claims if c.name == item.name), None)
        if claim is not None:
            for m in dict.fromkeys(_reads(claim, program)["savings"]):
                f = ev.measure(m, claim.scenario)
                if f.trace is not None:
                    keys |= f.trace.inputs.keys()
    return frozenset(keys)


def _findings(program, ev, items, searches, labels, memo) -> dict:
    from benchdsl.audit import Status

    reproduced = [i for i in items if i.status == Status.OK]
    written_ok = {i.name for i in reproduced}
    index: dict = {}
    for i in reproduced:
        for key in inputs(program, ev, i):
            index.setdefault(key, []).append(i.name)
    in_search = {f: s for s in searches for f in s.figures}
    out = {}
    for item in items:
        if item.status in (Status.OK, Status.ERROR):
            continue
        s = in_search.get(item.name)
        outcomes = s.outcomes if s is not None else (Outcome((), frozenset(), {item.name: (item.computed, item.delta)}),)
        closest = []
        for o in outcomes:
            computed, delta = o.values.get(item.name, (None, None))
            got = memo.get(o.readings)
            breaks = tuple(sorted(f for f in written_ok if got is not None and not got.get(f, (False,))[0]))
            closest.append(Closest(o.label(labels), computed, delta, breaks))
        reproducing = [c for o, c in zip(outcomes, closest) if item.name in o.reproduced]
        clean = [c for c in reproducing if not c.breaks]
        mine = inputs(program, ev, item)
        corroborated = tuple(sorted({n for key in mine for n in index.get(key, ()) if n != item.name}))
        stated = _stated(item, mine)
        corroborated += tuple(f"{ind} for {muni} {year} (stated)" for ind, muni, year in stated)
        if clean:
            out[item.name] = Finding(item.name, False, f"reading {clean[0].reading} reproduces it and breaks no other "
                                     "published figure: the rules should read it so", tuple(clean[:CLOSEST]),
                                     corroborated)
        elif reproducing:
            said = "; ".join(f"{c.reading} reproduces it but breaks {', '.join(c.breaks)}" for c in reproducing[:CLOSEST])
            out[item.name] = Finding(item.name, True, "no one reading reproduces it together with the figures the rules "
                                     f"reproduce: {said}", tuple(reproducing[:CLOSEST]), corroborated)
        elif corroborated:
            n = len(outcomes)
            what = "no reading reproduces it" if n > 1 else "the rules have no other reading of it"
            out[item.name] = Finding(item.name, True, f"{what}, and its inputs "
                                     + ("reproduce " + _some(corroborated) if corroborated[0][-8:] != "(stated)"
                                        else "are stated by the report: " + _some(corroborated)), tuple(sorted(closest, key=_distance)[:CLOSEST]),
                                     corroborated)
        else:
            out[item.name] = Finding(item.name, False, "no reading reproduces it, and no reproduced published figure "
                                     "reads its inputs: the data, not the report, may be wrong",
                                     tuple(sorted(closest, key=_distance)[:CLOSEST]))
    return out


def _stated(item, keys) -> list:
    """The inputs of a figure that the report states itself: a figure that disagrees with them disagrees with the report."""
    trace = getattr(item.figure, "trace", None)
    if trace is None:
        return []
    return sorted(k for k in keys if k in trace.inputs and getattr(trace.inputs[k].obs, "provenance", None) == "stated")


def _distance(c: Closest) -> float:
    return abs(c.delta) if c.delta is not None and math.isfinite(c.delta) else math.inf


def _some(names: tuple[str, ...]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def text(f: Finding, fmt=None) -> str:
    """A finding in words, with the closest readings (for the renderers, which only show it)."""
    fmt = fmt or (lambda x: f"{x:.4g}")
    parts = [f"Readings search: {f.why}."]
    shown = [c for c in f.closest if c.reading != "as written" or len(f.closest) > 1]
    if shown and not f.why.startswith("reading "):
        parts.append("Closest: " + "; ".join(
            f"{c.reading}: {'not computed' if c.computed is None or not math.isfinite(c.computed) else fmt(c.computed)}"
            + (f" (off by {fmt(c.delta)})" if c.delta is not None and math.isfinite(c.delta) and c.delta else "")
            for c in shown) + ".")
    return " ".join(parts)
