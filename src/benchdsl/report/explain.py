"""`benchdsl explain NAME`: how one figure came about, step by step."""

from __future__ import annotations

import math

from benchdsl import ir, published
from benchdsl.audit import Item, ItemKind, Status
from benchdsl.evaluate import Figure, Trace
from benchdsl.published import round_half_up
from benchdsl.report import breaks
from benchdsl.report.lang import tr, tr_n
from benchdsl.report.numbers import as_percent, auto, fmt, unit_label
from benchdsl.report.text import MARKS, computed_text, note_text, terminal_safe

_STATUS = {
    Status.OK: "reproduced",
    Status.MISMATCH: "MISMATCH",
    Status.KNOWN: "known report inconsistency",
    Status.FOLLOWS: "follows from a known inconsistency",
    Status.ERROR: "not computed",
}


def names(program: ir.Program, audit) -> list[str]:
    """Every name explain answers to: audited figures, measures, every measure cell of a table
    (`T4.sfo_fee.best`, as the CSV names it, published or not), `MEASURE.BASIS`, basis values
    (`BASIS.INDICATOR`) and lets (`MEASURE.BASIS.LET`)."""
    return [i.name for i in audit.items] + list(program.measures) + list(_unpublished(program, audit)) + [
        f"{b}.{ind}" for b, ind in audit.basis_values(program)] + [
        f"{m}.{b}.{let}" for m, b, let in audit.lets()] + [
        name for name in audit.indicator_values(program) if name not in program.measures]


def _unpublished(program: ir.Program, audit) -> dict:
    """Figure names with no audit item -> (measure, basis): table cells and measure.basis pairs."""
    out = {f"{m}.{b}": (m, b) for (m, b) in audit.figures}
    for t in program.tables.values():
        for row in t.rows:
            if row.kind == ir.RowKind.MEASURE:
                for col in t.columns:
                    out[f"{t.name}.{row.name}.{col.name}"] = (row.source, col.scenario)
    audited = {i.name for i in audit.items}
    return {k: v for k, v in out.items() if k not in audited and k not in program.measures}


def explain(program: ir.Program, audit, name: str, norwegian: bool = False, lang: str = "en") -> str:
    """How a figure came about: rendered from the derivation the audit's figures carry."""
    items = [i for i in audit.items if i.name == name]
    if not items and (key := _unpublished(program, audit).get(name)) is not None:
        fig = audit.figures.get(key)
        if fig is not None:
            return terminal_safe("\n".join([tr(lang, "{name}: not published, so not audited", name=name),
                                             *_measure(program, fig, norwegian, lang=lang)]) + "\n")
    if not items:
        for (b, ind), (use, trace) in audit.basis_values(program).items():
            if name == f"{b}.{ind}":
                sc = program.scenarios[b]
                head = [tr(lang, "{name}: basis `{basis}` ({title}) of indicator `{indicator}` ({indicator_title})",
                           name=name, basis=b, title=sc.title, indicator=ind,
                           indicator_title=program.indicators[ind].title)]
                mine = [i for i in trace.inputs.values() if i.municipality == program.own]
                return terminal_safe("\n".join(head + _basis(program, trace, use, program.own, mine, "", norwegian, lang))
                                     + "\n")
        got = audit.indicator_values(program).get(name) if name not in program.measures else None
        if got is not None:
            inp, trace = got
            ind = program.indicators[name]
            unit = "" if inp.unit in ("1", "", "dimensionless") else f" {unit_label(inp.unit, norwegian)}"
            how = f"= {symbolic(ind.formula.expr)}" if ind.formula is not None else f'source "{ind.source}"'
            lines = [f"{name}: indicator `{name}` ({ind.title}), {how}",
                     f"  {program.own} {program.year}: {auto(inp.value, norwegian)}{unit}"
                     f"{as_percent(inp.value, inp.unit, norwegian)}   {_source(program, trace, inp)}"]
            if inp.obs and (inp.obs.provenance or inp.obs.note):
                lines.append(f"      [{inp.obs.provenance}] {inp.obs.note}")
            return terminal_safe("\n".join(lines) + "\n")
        for (m, b, let), _ in audit.lets().items():
            if name == f"{m}.{b}.{let}":
                fig = audit.figures[(m, b)]
                return terminal_safe("\n".join([tr(lang, "{name}: `let {let}` of measure `{measure}` under basis `{basis}`",
                                                    name=name, let=let, measure=m, basis=b),
                                                 *_measure(program, fig, norwegian, lang=lang)]) + "\n")
    if not items and name in program.measures:
        items = [i for i in audit.items if i.kind == ItemKind.CELL and i.table and _row_source(program, i) == name]
        if not items:
            figures = [f for (m, _), f in audit.figures.items() if m == name]
            return terminal_safe("\n\n".join("\n".join(_measure(program, f, norwegian, lang=lang)) for f in figures) + "\n")
    out: list[str] = []
    for item in items:
        out.extend(_item(program, audit, item, norwegian, lang))
        out.append("")
    return terminal_safe("\n".join(out))


def _row_source(program, item: Item):
    t = program.tables[item.table]
    return next((r.source for r in t.rows if r.name == item.row and r.kind == ir.RowKind.MEASURE), None)


def _item(program: ir.Program, audit, item: Item, norwegian: bool, lang: str = "en") -> list[str]:
    lines = [f"{item.name} — {item.label}"]
    if item.kind == ItemKind.CELL:
        t = program.tables[item.table]
        col = next(c for c in t.columns if c.name == item.column)
        row = next(r for r in t.rows if r.name == item.row)
        lines.append("  " + tr(lang, "{title}, column “{header}”", title=t.title, header=col.header))
        if row.kind == ir.RowKind.MEASURE:
            lines.extend(_measure(program, item.figure, norwegian, indent="  ", lang=lang))
        elif row.kind == ir.RowKind.SERIES:  # a year table's cell: the row's indicator in the column's year
            lines.extend(_trace(program, item.figure.trace, norwegian, "  ", lang=lang))
            cell = row.cells[t.columns.index(col)]
            lines.append("  " + tr(lang, "value") + f" = {symbolic(cell.expr)}")
            lines.append(f"        = {numeric(cell.expr, item.figure.trace, norwegian)}")
        else:
            lines.extend(_sum(program, audit, t, row, col, norwegian, lang))
    else:
        claim = next(c for c in program.claims if c.name == item.name)
        lines.append("  " + tr(lang, "rule: {span}", span=claim.span))
        fig = item.figure
        if claim.scenario:
            sc = program.scenarios[claim.scenario]
            lines.append("  " + tr(lang, "under basis `{basis}` ({title}): {policy}", basis=sc.name, title=sc.title,
                                   policy=sc.policy.text))
        lines.extend(_trace(program, fig.trace, norwegian, "  ", lang=lang))
        if isinstance(claim.expr, ir.PeerOf):
            lines.append("  " + tr(lang, "the basis is formed by: {peer}", peer=fig.peer))
        else:
            value = tr(lang, "value")
            pad = " " * len(value)
            lines.append(f"  {value} = {symbolic(claim.expr.expr)}")
            lines.append(f"  {pad} = {numeric(claim.expr.expr, fig.trace, norwegian)}")
            if claim.expr.factor != 1 and fig.value is not None:  # None: not computed, the verdict says why
                lines.append(f"  {pad} = {auto(fig.value, norwegian)} {unit_label(claim.expr.unit, norwegian)}")
    lines.extend(_verdict(item, norwegian, lang))
    return lines


def _measure(program: ir.Program, fig: Figure, norwegian: bool, indent: str = "", lang: str = "en") -> list[str]:
    m = program.measures[fig.name]
    lines = [indent + tr(lang, "measure `{measure}`: {title}  ({span})", measure=m.name, title=m.title, span=m.span)]
    if fig.scenario:
        sc = program.scenarios[fig.scenario]
        lines.append(indent + tr(lang, "basis `{basis}` ({title}): {policy}", basis=sc.name, title=sc.title,
                                 policy=sc.policy.text))
    for note in m.notes:
        lines.append(indent + tr(lang, "note: {note}", note=note))
    lines.extend(_trace(program, fig.trace, norwegian, indent, lang=lang))
    saving = tr(lang, "saving")
    pad = " " * len(saving)
    lines.append(f"{indent}{saving} = {symbolic(m.saving.expr)}")
    if fig.trace is not None and id(m.saving.expr) in fig.trace.values:
        lines.append(f"{indent}{pad} = {numeric(m.saving.expr, fig.trace, norwegian)}")
    if fig.error is not None:
        lines.append(indent + tr(lang, "not computed: {reason}", reason=fig.error.message))
    elif fig.raw is not None:
        factor = tr(lang, "unit factor {factor}", factor=f"{m.saving.factor:g}")
        lines.append(f"{indent}{pad} = {auto(fig.raw, norwegian)} {unit_label(m.saving.unit, norwegian)}  ({factor})")
        if fig.value is None:
            lines.append(indent + tr(lang, "the basis is at or better than the own level: no saving (–)"))
        else:
            shown = f"{fmt(fig.value, m.round, norwegian)} {unit_label(m.saving.unit, norwegian)}"
            lines.append(indent + tr_n(lang, m.round, "rounded to {n} decimal(s): {value}",
                                       "rounded to {n} decimal(s): {value}", value=shown))
            if not fig.raw > 0:
                lines.append(indent + tr(lang, "the basis is at or better than the own level: no saving; "
                                               "shown with its sign (`signed`)"))
    return lines


def _trace(program: ir.Program, trace: Trace | None, norwegian: bool, indent: str,
           own: str | None = None, lang: str = "en") -> list[str]:
    if trace is None:
        return []
    own = own or program.own
    lines = []
    mine = [i for i in trace.inputs.values() if i.municipality == own]
    if mine:
        lines.append(indent + tr(lang, "inputs ({municipality}):", municipality=own))
        for inp in mine:
            year = "" if inp.year == program.year else f" ({inp.year})"
            where = f"{inp.obs.span.path}:{inp.obs.span.line}" if inp.obs else _source(program, trace, inp, lang)
            shown_unit = "" if inp.unit in ("1", "", "dimensionless") else f" {unit_label(inp.unit, norwegian)}"
            lines.append(f"{indent}  {inp.indicator}{year} = {auto(inp.value, norwegian)}{shown_unit}"
                         f"{as_percent(inp.value, inp.unit, norwegian)}   {where}")
            if inp.obs and (inp.obs.provenance or inp.obs.note):
                lines.append(f"{indent}      [{inp.obs.provenance}] {inp.obs.note}")
            if inp.adjusted:
                lines.append(f"{indent}    " + tr(lang, "adjusted by {adjustment} → {value}: {reason}",
                                                  adjustment=f"{auto(inp.adjusted, norwegian)} {unit_label(inp.unit, norwegian)}",
                                                  value=auto(inp.value + inp.adjusted, norwegian), reason=inp.reason))
    for use in trace.bases.values():
        lines.extend(_basis(program, trace, use, own, mine, indent, norwegian, lang))
    for name, value, unit, node in trace.lets:
        lines.append(f"{indent}let {name} = {symbolic(node)}")
        shown_unit = "" if unit in ("1", "", "dimensionless") else f" {unit_label(unit, norwegian)}"
        steps, result = numeric(node, trace, norwegian), f"{auto(value, norwegian)}{shown_unit}"
        # `let g = gap(cost)`: its one step is its value; a step is shown only where there is one
        lines.append(f"{indent}    = {result}" if steps in (result, auto(value, norwegian)) else f"{indent}    = {steps} = {result}")
    for br in breaks.of_trace(program, trace):
        lines.append(indent + tr(lang, "series break: {text}", text=br.text))
    return lines


def _basis(program: ir.Program, trace: Trace, use, own: str, mine: list, indent: str, norwegian: bool,
           lang: str = "en") -> list[str]:
    """A basis value: its members (ranked for a k-th best) with where each value came from, the
    value, and the own municipality against it with its sign."""
    lines = []
    lines.append(indent + tr(lang, "basis {policy} of {indicator} ({unit}):", policy=use.policy, indicator=use.indicator,
                             unit=unit_label(use.unit, norwegian)))
    for r in use.rows:
        rank = f"#{r.rank} " if r.rank else ""
        mark = "  " + tr(lang, "← basis") if use.peer and r.municipality == use.peer and r.rank else ""
        inp = trace.inputs.get((use.indicator, r.municipality, program.year))
        src = f"   {_source(program, trace, inp, lang)}" if inp else ""
        need = ""
        if r.index is not None:  # needmean: the member's value over its need index
            need = f" ÷ {use.index} {auto(r.index, norwegian)} = {auto(r.per_index, norwegian)}"
        lines.append(f"{indent}  {rank}{r.municipality}: {auto(r.value, norwegian)}"
                     f"{as_percent(r.value, use.unit, norwegian)}{need}{mark}{src}")
    if use.skipped:
        lines.append(f"{indent}  " + tr(lang, "left out (no value): {municipalities}", municipalities=", ".join(use.skipped)))
    if use.index is not None:
        own_index = "?" if use.own_index is None else auto(use.own_index, norwegian)
        mean = "?" if use.per_index is None else auto(use.per_index, norwegian)
        lines.append(f"{indent}  " + tr(lang, "mean of value ÷ {index} = {mean}; × {own}'s {index} {own_index}",
                                        index=use.index, mean=mean, own=own, own_index=own_index))
    lines.append(f"{indent}  = {auto(use.value, norwegian)} {unit_label(use.unit, norwegian)}"
                 f"{as_percent(use.value, use.unit, norwegian)}")
    lines.extend(_against(use, mine, own, indent, norwegian, lang))
    return lines


def _against(use, mine, own: str, indent: str, norwegian: bool, lang: str = "en") -> list[str]:
    """The own value against the basis, with its sign: how far above or below, and in %."""
    inp = next((i for i in mine if i.indicator == use.indicator), None)
    if inp is None or not math.isfinite(use.value):
        return []
    value = inp.value + inp.adjusted
    diff = value - use.value
    side = tr(lang, "above the basis" if diff > 0 else "below the basis" if diff < 0 else "equal to the basis")
    rel = f" ({fmt(abs(diff / use.value) * 100, 1, norwegian)} %)" if use.value and diff else ""
    sign = "+" if diff > 0 else ""
    return [f"{indent}  {own}: {auto(value, norwegian)}, {sign}{auto(diff, norwegian)} "
            f"{unit_label(use.unit, norwegian)}{rel} {side}"]


def _source(program: ir.Program, trace: Trace, inp, lang: str = "en") -> str:
    """file:line of a value, or of the values its formula read."""
    if inp is None:
        return ""
    if inp.obs is not None:
        return f"{inp.obs.span.path}:{inp.obs.span.line} [{inp.obs.provenance}]" if inp.obs.provenance else \
            f"{inp.obs.span.path}:{inp.obs.span.line}"
    parts = [f"{o.indicator} {o.obs.span.path}:{o.obs.span.line}" for o in trace.inputs.values()
             if o.municipality == inp.municipality and o.year == inp.year and o.obs is not None
             and o.indicator in _formula_inputs(program, inp.indicator)]
    return tr(lang, "by formula from {inputs}", inputs=", ".join(parts)) if parts else tr(lang, "by formula")


def _formula_inputs(program: ir.Program, indicator: str) -> set[str]:
    ind = program.indicators[indicator]
    if ind.formula is None:
        return {indicator}
    out: set[str] = set()
    for node in ir.walk(ind.formula.expr):
        if isinstance(node, ir.OwnVal):
            out |= _formula_inputs(program, node.indicator)
    return out


def _sum(program, audit, t: ir.Table, row: ir.Row, col: ir.Column, norwegian: bool, lang: str = "en") -> list[str]:
    cells = audit.cells
    lines = []
    if row.kind == ir.RowKind.TABLE:
        src = program.tables[row.source]
        ci = [c.name for c in t.columns].index(col.name)
        scol = src.columns[ci]
        parts = [r for r in src.rows if r.kind in ir.SUMMED_ROWS]
        lines.append("  " + tr(lang, "the total of {title}, column “{header}”:", title=src.title, header=scol.header))
        for r in parts:
            v = cells.get((src.name, r.name, scol.name))
            lines.append(f"    {r.label}: {fmt(v, src.decimals, norwegian)}")
    else:
        lines.append("  " + tr(lang, "the sum of the rows above, each rounded as the table shows it:"))
        for r in t.rows:
            if r.kind in ir.SUMMED_ROWS:
                v = cells.get((t.name, r.name, col.name))
                lines.append(f"    {r.label}: {fmt(v, t.decimals, norwegian)}")
    return lines


def _verdict(item: Item, norwegian: bool, lang: str = "en") -> list[str]:
    pub = item.published
    lines = ["  " + tr(lang, "computed: {value}", value=computed_text(item, norwegian))
             + (tr(lang, " (shown as {value})",
                   value=fmt(round_half_up(item.computed, item.decimals), item.decimals, norwegian))
                if item.computed is not None and item.kind == ItemKind.CELL else "")]
    tol = ""
    if published.form(pub).numeric:
        below, above = published.tolerance(pub)
        num = (lambda x: "∞" if math.isinf(x) else f"{x:g}".replace(".", ",") if norwegian else f"{x:g}")
        tol = (tr(lang, " (accepted: −{below} / +{above})", below=num(below), above=num(above)) if below != above
               else f" (±{num(below)})")
    lines.append("  " + tr(lang, "published: {value}", value=published.text(pub, norwegian)) + f"{tol}  {pub.span or ''}")
    word = published.meaning(pub)
    if word is not None:  # the word of the scale, what it means and where that meaning comes from
        where = (tr(lang, "the scale's default, docs/audit.md") if word[2] == ir.DEFAULT_MEANING
                 else tr(lang, "declared at {where}", where=word[2]))
        lines.append("  " + tr(lang, "“{word}” means {meaning} ({where})", word=word[0], meaning=word[1], where=where))
    lines.append("  " + tr(lang, "audit: {mark} {status}", mark=MARKS[item.status], status=tr(lang, _STATUS[item.status])))
    note = note_text(item, lang, norwegian)
    if note:
        lines.append(f"  {note}")
    return lines


# --- rendering expressions ------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_OPS = {"+": "+", "-": "−", "*": "×", "/": "÷"}


def symbolic(node, parent: int = 0, right: bool = False) -> str:
    """An expression as the rule wrote it: gap(cost) × users."""
    return _render(node, lambda n: _leaf(n), parent, right)


def numeric(node, trace: Trace | None, norwegian: bool = False) -> str:
    """The same expression with the values it had: 2 805 NOK/user × 5 985 user."""
    def leaf(n):
        v = trace.values.get(id(n)) if trace else None
        if v is None:
            return _leaf(n)
        unit = getattr(n, "unit", "")
        unit = "" if unit in ("1", "", "dimensionless") else f" {unit_label(unit, norwegian)}"
        return f"{auto(v, norwegian)}{unit}"

    return _render(node, leaf, 0, False)


def _render(node, leaf, parent: int, right: bool) -> str:
    if isinstance(node, ir.Arith):
        p = _PREC[node.op]
        text = f"{_render(node.left, leaf, p, False)} {_OPS[node.op]} {_render(node.right, leaf, p, True)}"
        if p < parent or (right and p == parent and node.op in "-/"):
            return f"({text})"
        return text
    if isinstance(node, ir.Neg):
        return f"−{_render(node.operand, leaf, 3, False)}"
    return leaf(node)


def _leaf(n) -> str:
    if isinstance(n, ir.Const):
        return n.text
    if isinstance(n, ir.OwnVal):
        return n.indicator
    if isinstance(n, (ir.BasisVal, ir.Gap, ir.PeerOf)):
        fn = {"BasisVal": "basis", "Gap": "gap", "PeerOf": "peer"}[type(n).__name__]
        pol = f", {n.policy.text}" if n.policy else ""
        return f"{fn}({n.indicator}{pol})"
    if isinstance(n, ir.LetRef):
        return n.name
    if isinstance(n, ir.SavingRef):
        return n.measure if n.measure else "saving"
    if isinstance(n, ir.CellRef):
        return f"{n.table}.{n.row}.{n.column}"
    if isinstance(n, ir.Extreme):
        return f"{n.op}(…)"
    if isinstance(n, ir.AtYear):
        return f"{symbolic(n.operand, 4)}@{n.year}"
    return "?"
