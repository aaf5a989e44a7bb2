"""Series breaks: figures that compare a municipality's values across a merger or split.

Read from each figure's derivation (the municipality and year of every input it read) and the
municipality register (`registry.series_breaks`), never by evaluating anything; the text, JSON
and HTML reports and `explain` show them.  A figure that reads one year only needs no register.
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
