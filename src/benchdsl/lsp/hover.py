"""What the editor shows over a name or a published value: declarations with the figures behind them.

Rendering only: the values come from the last run (`Project.run`), the
declarations from the last check.  Markdown, as LSP clients show it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from benchdsl import ast, bases, ir
from benchdsl import published as forms
from benchdsl.audit import ItemKind, Status
from benchdsl.diagnostics import NOTE, Diagnostic, warning

if TYPE_CHECKING:
    from benchdsl.lsp.project import Checked, Run
    from benchdsl.lsp.symbols import Published, Symbol

_STATUS = {Status.OK: "reproduced", Status.MISMATCH: "**mismatch**", Status.KNOWN: "known report inconsistency",
           Status.FOLLOWS: "follows from a known inconsistency", Status.ERROR: "**not computed**"}
NO_RUN = "_Figures appear once the panel is read: on opening and on saving a file._"
NO_PROGRAM = "_No figures while the rules have errors: fix them, and the panel is read again._"
NO_DATA = "_No figures: the panel could not be read (see the problems)._"


def hover(symbol: Symbol, checked: Checked, run: Run | None) -> str:
    render = {"indicator": _indicator, "measure": _measure, "basis": _basis, "group": _group,
              "municipality": _municipality, "let": _let, "claim": _claim, "table": _table,
              "column": _column, "row": _row}[symbol.kind]
    why = _why_no_figures(run)
    parts = (why if part is NO_RUN else part for part in render(symbol, checked, _usable(run)))
    return "\n\n".join(part for part in parts if part) + _stale(checked, run)


def published(site: Published, checked: Checked, run: Run | None) -> str:
    if _usable(run) is None:
        return "**published value**\n\n" + _why_no_figures(run)
    items = {i.name: i for i in run.audit.items}
    parts = [_verdict(items[name]) if name in items else f"`{name}`: not audited" for name in site.items]
    return "\n\n---\n\n".join(parts) + _stale(checked, run)


def audit_diagnostics(audit) -> list[Diagnostic]:
    """A published value the figures do not reproduce, marked where it is written."""
    out = []
    for i in audit.items:
        span = i.published.span
        if span is None or i.status not in (Status.MISMATCH, Status.KNOWN, Status.FOLLOWS):
            continue
        text = f"`{i.name}`: computed {_computed(i)}, published {_published(i)}"
        if i.status == Status.MISMATCH:
            out.append(warning(span, f"not reproduced: {text}", f"benchdsl explain {i.name}"))
        else:
            out.append(Diagnostic(NOTE, span, f"{_STATUS[i.status]}: {text}", i.note or None))
    return out


# --- one kind each ----------------------------------------------------------------------------


def _indicator(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Indicator = s.node
    ind = checked.program.indicators.get(d.name) if checked.program else None
    yield _head(s, d.title)
    facts = []
    if d.unit is not None:
        facts.append(f"unit `{d.unit.text}`")
    if d.better:
        facts.append(f"{d.better} is better")
    if d.formula is not None:
        facts.append(f"`= {_text(checked, d.formula.span)}`")
    else:
        facts.append(f"source `{d.source or d.name}`")
    yield " · ".join(facts)
    if run is None:
        yield NO_RUN
        return
    ev, program = run.evaluator, run.program
    if d.name not in program.indicators:
        yield "_Not in the last run: save to compute it._"
        return
    unit = (ind or program.indicators[d.name]).unit
    rows = [(f"{ev.own} {ev.year}", _value(ev.value(d.name, ev.own, ev.year), "no value in the panel"))]
    for sc in program.scenarios.values():
        v, peer = ev.kernel.peer_of(ir.PeerOf(d.name, sc.policy), None, sc.policy, sc.name)
        shown = _value(None if _missing(v) else v, getattr(v, "message", ""))
        if peer and not _missing(v) and not bases.kind(sc.policy).fixed_peer:
            shown += f" ({peer})"
        rows.append((f"{sc.title} (`{sc.name}`)", shown))
    yield _table_md(("", unit), rows)


def _measure(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Measure = s.node
    yield _head(s, d.title)
    facts = []
    if d.saving is not None:
        facts.append(f"`saving = {_text(checked, d.saving.span)}`")
    if d.unit is not None:
        decimals = d.round if d.round is not None else 1
        facts.append(f"in {d.unit.text}, {decimals} decimal{'' if decimals == 1 else 's'}")
    yield ", ".join(facts)
    if run is None:
        yield NO_RUN
        return
    if d.name not in run.program.measures:
        yield "_Not in the last run: save to compute it._"
        return
    m = run.program.measures[d.name]
    rows = []
    for sc in run.program.scenarios.values():
        fig = run.evaluator.measure(d.name, sc.name)
        if fig.error is not None:
            shown = f"not computed: {fig.error.message}"
        elif fig.value is None:
            shown = "– (no saving)"
        else:
            shown = _fmt(fig.value, m.round)
        rows.append((f"{sc.title} (`{sc.name}`)", shown))
    yield _table_md(("saving under", m.saving.unit), rows)
    claims = {c.name for c in run.program.claims if c.measure == d.name}
    items = [i for i in run.audit.items if i.name in claims
             or (i.kind == ItemKind.CELL and i.figure is not None and i.figure.name == d.name)]
    yield _audit_list(items)


def _basis(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Basis = s.node
    yield _head(s, d.title)
    yield f"`= {_text(checked, d.expr.span)}`"
    program = checked.program or (run.program if run else None)
    sc = program.scenarios.get(d.name) if program else None
    if sc is None:
        return
    yield bases.kind(sc.policy).describe(sc.policy, program.own)


def _group(s: Symbol, checked: Checked, run: Run | None):
    yield _head(s, None)
    program = checked.program or (run.program if run else None)
    members = program.groups.get(s.key[1]) if program else None
    if members is not None:
        yield f"members ({len(members)}): " + ", ".join(members)


def _municipality(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Municipality = s.node
    yield _head(s, f"kommunenummer {d.code}" if d.code else None)
    program = checked.program or (run.program if run else None)
    if program is None:
        return
    facts = []
    if program.own == d.name:
        facts.append(f"the own municipality: the rules compute its figures for {program.year}")
    groups = [g for g, members in program.groups.items() if d.name in members]
    if groups:
        facts.append("in " + ", ".join(f"`{g}`" for g in groups))
    yield " · ".join(facts)


def _let(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Let = s.node
    measure = s.key[1].split(".")[0]
    yield f"**let {d.name}** in measure `{measure}`"
    yield f"`= {_text(checked, d.expr.span)}`"
    if run is None or measure not in run.program.measures:
        return
    rows = []
    for sc in run.program.scenarios.values():
        fig = run.evaluator.measure(measure, sc.name)
        got = [(v, unit) for name, v, unit, _ in (fig.trace.lets if fig.trace else []) if name == d.name]
        if got:
            value, unit = got[0]
            shown = _value(None if _missing(value) else value, getattr(value, "message", ""))
            rows.append((f"{sc.title} (`{sc.name}`)", shown + ("" if unit in ("1", "") or _missing(value) else f" {unit}")))
    if rows:
        yield _table_md(("under", "value"), rows)


def _claim(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Claim = s.node
    yield f"**claim {d.name}** — {d.label}"
    if run is None:
        yield NO_RUN
        return
    base = s.key[1]
    yield _audit_list([i for i in run.audit.items if i.kind == ItemKind.CLAIM and (i.name == base or i.name.startswith(base + "."))])


def _table(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Table = s.node
    yield _head(s, d.title)
    yield "columns: " + ", ".join(f"`{c.name}` ({c.header}{' = ' + c.basis if c.basis else ''})" for c in d.columns)
    if run is not None:
        items = [i for i in run.audit.items if i.kind == ItemKind.CELL and i.table == d.name]
        counts = {}
        for i in items:
            counts[i.status] = counts.get(i.status, 0) + 1
        if items:
            yield "audit: " + ", ".join(f"{n} {_STATUS[k].strip('*')}" for k, n in counts.items())


def _column(s: Symbol, checked: Checked, run: Run | None):
    d: ast.Column = s.node
    yield f"**column {d.name}** of table `{s.key[1].split('.')[0]}` — {d.header}"
    if d.basis:
        yield f"under basis `{d.basis}`"


def _row(s: Symbol, checked: Checked, run: Run | None):
    d = s.node
    table = s.key[1].split(".")[0]
    yield f"**row {d.name}** of table `{table}` — {d.label}"
    if isinstance(d, ast.Row):
        yield f"= `{d.source}`"
    if run is not None:
        yield _audit_list([i for i in run.audit.items if i.kind == ItemKind.CELL and i.table == table and i.row == d.name])


# --- pieces ---------------------------------------------------------------------------------------


def _why_no_figures(run: Run | None) -> str:
    if run is None:
        return NO_RUN
    return NO_PROGRAM if run.program is None else NO_DATA


def _usable(run: Run | None) -> Run | None:
    return run if run is not None and run.audit is not None else None


def _stale(checked: Checked, run: Run | None) -> str:
    if run is not None and run.audit is not None and run.version != checked.version:
        return "\n\n_Figures as of the last save._"
    return ""


def _head(s: Symbol, title: str | None) -> str:
    return f"**{s.kind} {s.key[1]}**" + (f" — {title}" if title else "")


def _text(checked: Checked, span) -> str:
    """An expression as written (its first line)."""
    if span is None:
        return "…"
    lines = checked.texts.get(span.path, "").split("\n")
    line = lines[span.line - 1] if span.line <= len(lines) else ""
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1 : end].strip()


def _missing(v) -> bool:
    return not isinstance(v, (int, float))


def _value(v, why: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return f"– ({why})" if why else "–"
    return _auto(v)


def _auto(v: float) -> str:
    from benchdsl.report.numbers import auto

    return auto(v) if math.isfinite(v) else str(v)


def _fmt(v: float, decimals: int) -> str:
    from benchdsl.report.numbers import fmt

    return fmt(v, decimals)


def _table_md(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    out = [f"| {header[0]} | {header[1]} |", "| --- | ---: |"]
    out += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(out)


def _audit_list(items: list) -> str:
    if not items:
        return "_nothing published to audit_"
    return "\n".join(f"- `{i.name}`: {_STATUS[i.status]} — computed {_computed(i)}, published {_published(i)}"
                     for i in items)


def _computed(i) -> str:
    from benchdsl.report.text import computed_text

    return computed_text(i)


def _published(i) -> str:
    pub = i.published
    unit = pub.text.split(" ", 1)[1] if forms.form(pub).numeric and " " in pub.text else ""
    return forms.text(pub) + (f" {unit}" if unit else "")


def _verdict(i) -> str:
    """A published value against the figure computed for it, with the tolerance the audit allows."""
    pub = i.published
    form = forms.form(pub)
    lines = [f"**`{i.name}`** — {i.label}", f"computed **{_computed(i)}**"
             + (f" (shown as {_fmt(i.computed, i.decimals)})" if i.computed is not None and i.kind == ItemKind.CELL else "")]
    text = f"published **{_published(i)}**"
    if form.numeric:
        below, above = form.tolerance(pub)
        low, high = form.accepted(pub)
        if math.isinf(below):
            text += f": accepted at most {high:g}"
        elif math.isinf(above):
            text += f": accepted at least {low:g}"
        else:
            text += f", tolerance ±{below:g}" if below == above else f", tolerance −{below:g} / +{above:g}"
            text += f": accepted {low:g} … {high:g}"
    lines.append(text)
    lines.append(f"audit: {_STATUS[i.status]}" + (f" — {i.note}" if i.note else ""))
    return "\n\n".join(lines)
