"""Series breaks: figures that compare a municipality's values across a merger or split.

Read from each figure's derivation (the municipality and year of every input it read) and the
municipality register (`registry.series_breaks`), never by evaluating anything; the text, JSON
and HTML reports and `explain` show them.  A figure that reads one year only needs no register.
"""

from __future__ import annotations

from benchdsl import ir

HEADING = "Series breaks (a comparison across a merger or split compares different territories)"


def of_trace(program: ir.Program, trace) -> tuple:
    """The `registry.SeriesBreak`s one figure's inputs cross."""
    if trace is None:
        return ()
    reads = {(muni, year) for _, muni, year in trace.inputs}
    if len({year for _, year in reads}) < 2:
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
