"""`reading` declarations: each checked as the rules are, by checking the rules with it in place.

A reading replaces one thing the rules define — a group, a basis, or a measure's `let` (or
its `saving`) — with another way the report may have computed it.  The rules are checked
again with the replacement (names, units, cycles: the same checker, so a reading that does not
check is an error at the reading), and what changed in the checked program is kept as the
reading's patch.  The audit (`benchdsl.readings`) puts patches in place on the checked program,
so a cached program needs no AST to search its readings.
"""

from __future__ import annotations

import attrs

from benchdsl import ast, ir
from benchdsl.diagnostics import Diagnostic, did_you_mean, error

PATCHED = ("groups", "scenarios", "measures")  # the program's dicts a reading may change (and its claims)


def check_readings(files: list[ast.File], program: ir.Program, check) -> tuple[tuple[ir.Reading, ...], list[Diagnostic]]:
    """Each `reading` of `files`, checked against the rules (`check`: the checker, which the readings do not see)."""
    readings = [d for f in files for d in f.decls if isinstance(d, ast.Reading)]
    diags: list[Diagnostic] = []
    out: list[ir.Reading] = []
    names: dict[str, ast.Reading] = {}
    owner: dict[tuple[str, str], ir.Reading] = {}  # (part, name) -> the first reading that changes it
    for r in readings:
        if r.name in names:
            diags.append(error(r.span, f"a second reading called `{r.name}` (the first is at {names[r.name].span})",
                               "give each reading its own name"))
            continue
        names[r.name] = r
        variant, why = _replace(files, r, program)
        if variant is None:
            diags.append(why)
            continue
        checked, found = check(variant)
        mine = [d for d in found if d.is_error and _inside(d, r)]
        if mine or checked is None:
            first = mine[0] if mine else next((d for d in found if d.is_error), None)
            if first is not None and _inside(first, r):
                diags.append(first)
            else:
                what = first.message if first is not None else "the rules do not check with it"
                diags.append(error(r.span, f"with reading `{r.name}` in place, the rules do not check: {what}"))
            continue
        patch = _patch(program, checked)
        reading = ir.Reading(r.name, r.label or r.name, r.what, patch, r.span)
        clash = next(((part, name) for part in (*PATCHED, "claims") for name in patch.get(part, {})
                      if (part, name) in owner and owner[(part, name)].what != reading.what), None)
        if clash is not None:
            other = owner[clash]
            diags.append(error(r.span, f"readings `{other.name}` ({other.what}) and `{r.name}` ({r.what}) both change "
                                       f"{clash[0][:-1]} `{clash[1]}`, so they cannot be combined",
                               "write the combination as a reading of one of them"))
            continue
        for part in (*PATCHED, "claims"):
            for name in patch.get(part, {}):
                owner.setdefault((part, name), reading)
        out.append(reading)
    return tuple(out), diags


def _inside(d: Diagnostic, r: ast.Reading) -> bool:
    s, span = d.span, r.span
    return s is not None and span is not None and s.path == span.path and span.line <= s.line <= span.end_line


def _replace(files: list[ast.File], r: ast.Reading, program: ir.Program):
    """The rule files with the reading's target in place of the rules' own (readings left out), or (None, why)."""
    t = r.target
    if r.measure is None:
        kind = ast.Group if isinstance(t, ast.Group) else ast.Basis
        word = "group" if kind is ast.Group else "basis"
        known = program.groups if kind is ast.Group else program.scenarios
        if t.name not in known:
            return None, error(r.span, f"reading `{r.name}` replaces {word} `{t.name}`, which the rules do not declare",
                               did_you_mean(t.name, known))

        def swap(d):
            if isinstance(d, kind) and d.name == t.name:
                return t if kind is ast.Group else attrs.evolve(t, title=d.title)
            return d
    else:
        if r.measure not in program.measures:
            return None, error(r.span, f"reading `{r.name}` replaces a part of `{r.measure}`, which is no measure",
                               did_you_mean(r.measure, program.measures))
        m = program.measures[r.measure]
        lets = [name for name, _ in m.lets]
        if t.name != "saving" and t.name not in lets:
            return None, error(r.span, f"measure `{r.measure}` has no `let {t.name}`",
                               did_you_mean(t.name, lets) or "name a let of the measure, or its `saving`")

        def swap(d):
            if not (isinstance(d, ast.Measure) and d.name == r.measure):
                return d
            if t.name == "saving":
                return attrs.evolve(d, saving=t.expr)
            return attrs.evolve(d, lets=tuple(t if x.name == t.name else x for x in d.lets))
    return [attrs.evolve(f, decls=tuple(swap(d) for d in f.decls if not isinstance(d, ast.Reading)))
            for f in files], None


def _patch(program: ir.Program, variant: ir.Program) -> dict:
    """The parts of `variant` that differ from `program`'s (spans aside, which differ where the reading is)."""
    patch: dict = {}
    for part in PATCHED:
        mine, theirs = getattr(program, part), getattr(variant, part)
        changed = {name: v for name, v in theirs.items() if not _same(mine.get(name), v)}
        if changed:
            patch[part] = changed
    claims = {c.name: c for c in program.claims}
    changed = {c.name: c for c in variant.claims if not _same(claims.get(c.name), c)}
    if changed:
        patch["claims"] = changed
    return patch


def _same(a, b) -> bool:
    return a == b
