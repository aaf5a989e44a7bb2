"""`benchdsl sensitivity` as text, JSON or CSV."""

from __future__ import annotations

import io

from benchdsl import ir
from benchdsl.report.machine import GuardedWriter, dumps
from benchdsl.report.lang import tr
from benchdsl.report.numbers import fmt


def _saving(f):  # None: no saving; a string: why it could not be computed
    return f.error.message if f.error is not None else f.value


def to_json(program: ir.Program, group: ir.MemberSet, s, norwegian: bool = False, lang: str = "en") -> str:
    doc = {"schema": 1, "own": program.own, "year": program.year, "group": group.text,
           "bases": [{"name": b.name, "policy": b.policy.text} for b in s.bases],
           "rows": [{"measure": m.name, "title": m.title, "unit": m.saving.unit,
                     "savings": {b.name: _saving(f) for b, f in zip(s.bases, figs)},
                     "spread": max((f.value or 0) for f in figs if f.error is None)
                     - min((f.value or 0) for f in figs if f.error is None)}
                    for m, figs in s.rows]}
    return dumps(doc)  # strict JSON, as every report's


def to_csv(program: ir.Program, group: ir.MemberSet, s, norwegian: bool = False, lang: str = "en") -> str:
    buf = io.StringIO()
    w = GuardedWriter(buf, norwegian=False)  # the spreadsheet guard of every CSV report
    w.writerow(["measure", "unit", *(b.name for b in s.bases)])
    for m, figs in s.rows:
        w.writerow([m.name, m.saving.unit,
                    *("?" if f.error else "" if f.value is None else f"{f.value:.6g}" for f in figs)])
    return buf.getvalue()


def to_text(program: ir.Program, group: ir.MemberSet, s, norwegian: bool = False, lang: str = "en") -> str:
    label = max(12, 80 - 7 * len(s.bases))
    unit = next(iter(program.measures.values())).saving.unit if program.measures else ""
    out = [tr(lang, "Savings under alternative bases, {own} {year} ({unit}); group {group}",
              own=program.own, year=program.year, unit=unit, group=group.text),
           " " * label + "".join(f"{b.title[:6]:>7}" for b in s.bases)]
    for m, figs in s.rows:
        name = m.name if len(m.name) <= label - 1 else m.name[: label - 2] + "…"
        out.append(f"{name:<{label}}" + "".join(
            f"{'?' if f.error else fmt(f.value, m.round, norwegian):>7}" for f in figs))
    out.append("\n" + tr(lang, "– no saving; ? not computable (see the warnings)"))
    out.extend(f"  {b.title:>8}: {b.policy.text}" for b in s.bases)
    return "\n".join(out) + "\n"
