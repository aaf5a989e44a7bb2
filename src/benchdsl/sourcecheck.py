"""After the panels are read: an indicator's `source` that no panel has, with the name meant.

A misspelt `source "…"` is not wrong to the checker (which reads no data) and not
to the panel reader (which reads every variable it is given); without this pass
it shows only as figures not computed, "no value of `x` for A 2007". Here it is
a warning at the `source` line that names the variables the panels do have and
the one most like it.
"""

from __future__ import annotations

import re

from benchdsl import ir
from benchdsl.span import Span
from benchdsl.diagnostics import Diagnostic, Sources, did_you_mean, warning

_SHOWN = 8  # variables listed when none is like the one written


def check_sources(program: ir.Program, variables, sources: Sources | None = None) -> list[Diagnostic]:
    """A warning for each indicator that reads a variable no panel has.

    `variables` are the variable names the panels have (`data.Panel.variables`);
    `sources` quotes the rule files, to point at the `source` line itself.
    """
    have = set(variables)
    if not have:
        return []  # no data at all is reported where the panel is read
    out = []
    for ind in program.indicators.values():
        if ind.formula is not None or not ind.source or ind.source in have:
            continue
        hint = did_you_mean(ind.source, have)
        if hint is None:
            names = sorted(have)
            hint = "the panels' variables: " + ", ".join(f"`{v}`" for v in names[:_SHOWN]) + (
                ", …" if len(names) > _SHOWN else "")
        out.append(warning(_source_span(ind, sources),
                           f"no panel has the variable `{ind.source}` that indicator `{ind.name}` reads", hint))
    return out


def _source_span(ind: ir.Indicator, sources: Sources | None) -> Span | None:
    """The quoted variable on the indicator's `source` line, or the indicator when it has none."""
    span = ind.span
    if span is None or sources is None:
        return span
    pattern = re.compile(r'^\s*source\s+(")' + re.escape(ind.source) + '"')
    for lineno in range(span.line, (span.end_line or span.line) + 1):
        text = sources.line(span.path, lineno)
        m = pattern.match(text or "")
        if m:
            col = m.start(1) + 1
            return Span(span.path, lineno, col, lineno, col + len(ind.source) + 2)
    return span
