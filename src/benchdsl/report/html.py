"""One self-contained HTML report: the tables as the report lays them out, audit
marks, a chart of the savings by sector for each basis, the rules' figures
(`figure`) drawn as line charts, and each figure's derivation one click from its
cell.  No external files, fonts or scripts."""

from __future__ import annotations

import math
import sys
from html import escape

from benchdsl import ir, published
from benchdsl.audit import Audit, Item, ItemKind, Status, figure_name
from benchdsl.report import breaks
from benchdsl.report.explain import explain
from benchdsl.report.lang import tr
from benchdsl.report.numbers import fmt
from benchdsl.report.text import (LEGEND, MARKS, computed_text, figure_lists, formed_by, members_text, note_text,
                                  untabled, value_and_unit)

_STATUS_TEXT = {Status.OK: "reproduced", Status.MISMATCH: "mismatch", Status.KNOWN: "known report inconsistency",
                Status.FOLLOWS: "follows from a known inconsistency", Status.ERROR: "not computed"}

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
th,td{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
tr.section td{font-weight:600;background:#f5f5f7}tr.total td{font-weight:600;border-top:2px solid #888}
td.ok .mark{color:#1a7f37}td.mismatch .mark{color:#cf222e}td.known .mark{color:#9a6700}
td.follows .mark{color:#6e7781}td.error .mark{color:#cf222e}
td.mismatch,td.error{background:#ffebe9}td.known{background:#fff8c5}
.pub{color:#57606a}.indent{padding-left:1.5rem}
a.fig{color:inherit;text-decoration:none;border-bottom:1px dotted #888}
section.derivation{border-left:3px solid #ddd;padding-left:1rem;margin:1rem 0}
section.derivation:target{border-color:#0969da;background:#f6f8fa}
pre{white-space:pre-wrap;font-size:13px}
.legend,.summary{color:#57606a}.summary strong{color:#1d1d1f}
svg text{font:12px system-ui,sans-serif}
"""

# Marks the browser test reads back: how many figure cells there are, and
# whether every cell's link leads to a derivation on the page.
_SCRIPT = """
document.addEventListener("DOMContentLoaded", function () {
  var links = document.querySelectorAll("a.fig"), broken = 0;
  links.forEach(function (a) { if (!document.getElementById(a.hash.slice(1))) broken++; });
  document.body.dataset.figures = String(links.length);
  document.body.dataset.brokenLinks = String(broken);
});
"""


def render(program: ir.Program, audit: Audit, norwegian: bool = False, lang: str = "en") -> str:
    items = {i.name: i for i in audit.items}
    out = [
        "<!doctype html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>benchdsl: {escape(program.own)} {program.year}</title>",
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>",
        f"<h1>benchdsl: {escape(program.own)} {program.year}</h1>",  # the titles are the rules' tables'
        f'<p class="summary"><strong id="summary">{escape(audit.summary(lang))}</strong>'
        + (f'<br><span id="evidence">{escape(audit.evidence_line(lang))}</span>' if audit.evidence_line() else "")
        + (f"<br>{escape(tr(lang, 'Of the figures not reproduced: {breakdown}.', breakdown=audit.breakdown(lang)))}"
           if audit.breakdown() else "")
        + "</p>",
        f'<p class="legend">{escape(tr(lang, LEGEND)).replace(chr(10), " · ")}</p>',
    ]
    crossed = breaks.of_audit(program, audit)
    if crossed:
        out.append(f'<h2>{escape(tr(lang, breaks.HEADING))}</h2><ul id="series-breaks">')
        out.extend(f'<li class="series-break">{escape(br.text)}<br><span class="pub">'
                   + tr(lang, "in {figures}", figures=", ".join(
                       f'<a href="#{_anchor(n)}">{escape(n)}</a>' if n in items else escape(n) for n in names))
                   + "</span></li>" for br, names in crossed)
        out.append("</ul>")
    chart = _chart_table(program)
    if chart is not None:
        out.append(f"<h2>{escape(chart.title)}</h2>")
        out.append(_chart(chart, audit, norwegian))
    for t in program.tables.values():
        if t.chart is not None:  # a figure: drawn, with its values (and their audit marks) below
            out.append(f'<h2>{escape(t.title)}</h2>')
            out.append(_figure(t, audit.cells, norwegian))
            out.append(_table(t, items, audit.cells, norwegian, lang, heading=False))
        else:
            out.append(_table(t, items, audit.cells, norwegian, lang))
    listed = figure_lists(program, audit)
    out.append(_figures(program, audit, listed, items, norwegian, lang))
    missing = audit.unpublished_not_computed()
    if missing:  # a `?` in a cell nothing was published for: why, as the text report says it
        out.append(f"<h2>{escape(tr(lang, 'Not computed (nothing published for these; each is shown as ?)'))}</h2><ul id=\"not-computed\">")
        out += [f"<li><code>{escape(figure_name(key))}</code>: {escape(why.message)}"
                + (f" ({escape(str(why.span))})" if why.span else "") + "</li>" for key, why in missing.items()]
        out.append("</ul>")
    claims = [i for i in audit.items if i.kind == ItemKind.CLAIM]
    if claims:
        out.append(f"<h2>{tr(lang, 'Stated in the text')}</h2><table><tr><th>{tr(lang, 'claim')}</th>"
                   f"<th>{tr(lang, 'computed')}</th><th>{tr(lang, 'published')}</th><th></th></tr>")
        for i in claims:
            out.append(f'<tr><td>{escape(i.label)}</td>{_value_cell(i, computed_text(i, norwegian), norwegian, lang)}</tr>')
        out.append("</table>")
    out.append(f"<h2>{tr(lang, 'How each figure was derived')}</h2>")
    for i in audit.items:
        text = explain(program, audit, i.name, norwegian, lang)
        out.append(f'<section class="derivation" id="{_anchor(i.name)}"><h3>{escape(i.name)}</h3>'
                   f"<pre>{escape(text)}</pre></section>")
    out.extend(_figure_derivations(program, audit, listed, items, norwegian, lang))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _anchor(name: str) -> str:
    return "fig-" + name.replace(".", "-")


def _value_cell(i: Item, shown: str, norwegian: bool, lang: str = "en") -> str:
    pub = published.text(i.published, norwegian)
    note = note_text(i, lang, norwegian)
    title = escape(tr(lang, _STATUS_TEXT[i.status]) + (f": {note}" if note else ""), quote=True)
    return (f'<td class="{i.status}" title="{title}"><a class="fig" href="#{_anchor(i.name)}">{escape(shown)}</a></td>'
            f'<td class="pub">{escape(pub)}</td><td class="{i.status}"><span class="mark">{MARKS[i.status]}</span></td>')


def _table(t: ir.Table, items: dict[str, Item], values: dict, norwegian: bool, lang: str = "en",
           heading: bool = True) -> str:
    audited = any(r.published for r in t.rows)  # nothing published: one computed column per basis
    head = "".join(f'<th colspan="{3 if audited else 1}">{escape(c.header)}</th>' for c in t.columns)
    sub = f'<th>{tr(lang, "computed")}</th><th class="pub">{tr(lang, "report")}</th><th></th>' * len(t.columns)
    rows = [f"<h2>{escape(t.title)}</h2>"] if heading else []
    rows += [f'<table id="table-{escape(t.name)}">', f"<tr><th></th>{head}</tr>"]
    if audited:
        rows.append(f"<tr><th></th>{sub}</tr>")
    has_sections = any(r.kind == ir.RowKind.SECTION for r in t.rows)
    for r in t.rows:
        if r.kind == ir.RowKind.SECTION:
            span = 1 + (3 if audited else 1) * len(t.columns)
            rows.append(f'<tr class="section"><td colspan="{span}">{escape(r.label)}</td></tr>')
            continue
        cls = ' class="total"' if r.kind == ir.RowKind.TOTAL else ""
        indent = ' class="indent"' if has_sections and r.kind != ir.RowKind.TOTAL else ""
        decimals = t.shown(r)[1]  # a year table's row has its own precision
        cells = "".join(
            _value_cell(items[key], fmt(math.nan if items[key].status == Status.ERROR else items[key].computed,
                                        decimals, norwegian), norwegian, lang) if key in items
            else ("<td></td>" if r.blank(ci) else f'<td>{fmt(values.get((t.name, r.name, c.name)), decimals, norwegian)}</td>')
            + ("<td></td><td></td>" if audited else "")
            for ci, (key, c) in enumerate((f"{t.name}.{r.name}.{c.name}", c) for c in t.columns))
        rows.append(f"<tr{cls}><td{indent}>{escape(r.label)}</td>{cells}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _chart_table(program: ir.Program) -> ir.Table | None:
    """The summary table (rows that total other tables), else the last table."""
    tables = [t for t in program.tables.values() if t.chart is None]  # a figure is drawn as itself
    summary = [t for t in tables if any(r.kind == ir.RowKind.TABLE for r in t.rows)]
    return (summary or tables or [None])[-1]


_COLOURS = ("#0969da", "#bf8700", "#1a7f37", "#8250df", "#cf222e", "#1b7c83", "#6e7781", "#bc4c00")


def _chart(t: ir.Table, audit: Audit, norwegian: bool) -> str:
    """Horizontal grouped bars: one group per row, one bar per column (basis)."""
    cells = audit.cells
    rows = [r for r in t.rows if r.kind in ir.SUMMED_ROWS]
    values = [[cells.get((t.name, r.name, c.name)) for c in t.columns] for r in rows]
    top = max([v for vs in values for v in vs if v] + [1e-9])
    label_w, bar_w, bar_h, gap = 160, 420, 14, 10
    group_h = bar_h * len(t.columns) + gap
    per_line = 3  # legend entries per line, so that long headers never run off the chart
    legend_lines = -(-len(t.columns) // per_line)
    height = group_h * len(rows) + 10 + 20 * legend_lines
    width = label_w + bar_w + 80
    out = [f'<svg id="chart" role="img" aria-label="{escape(t.title, quote=True)}" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for gi, (r, vs) in enumerate(zip(rows, values)):
        y0 = gi * group_h
        out.append(f'<text x="0" y="{y0 + bar_h * len(t.columns) / 2 + 4:.0f}">{escape(r.label)}</text>')
        for ci, v in enumerate(vs):
            w = bar_w * max(v or 0.0, 0.0) / top
            y = y0 + ci * bar_h
            out.append(f'<rect class="bar" data-row="{escape(r.name)}" data-column="{escape(t.columns[ci].name)}" '
                       f'x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{_COLOURS[ci % len(_COLOURS)]}">'
                       f"<title>{escape(t.columns[ci].header)}: {fmt(v, t.decimals, norwegian)}</title></rect>")
            out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}">{fmt(v, t.decimals, norwegian)}</text>')
    for ci, c in enumerate(t.columns):
        x = label_w + (ci % per_line) * (bar_w + 80) // per_line
        y = group_h * len(rows) + 20 + 20 * (ci // per_line)
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{_COLOURS[ci % len(_COLOURS)]}"/>'
                   f'<text x="{x + 14}" y="{y}">{escape(c.header)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _figure(t: ir.Table, cells: dict, norwegian: bool) -> str:
    """A figure (`figure` in the rules) as a line chart: a polyline per series over the years, each
    mark a bracket between two series in its year, labelled with its value.  Every value drawn is a
    cell the audit computed (`audit.cells`); only the scale is worked out here."""
    marked = t.chart.marked()
    lines = [r for r in t.rows if r.kind == ir.RowKind.SERIES and r.name not in marked]
    years = [c.year for c in t.columns]

    def value(row: str, ci: int) -> float | None:
        v = cells.get((t.name, row, t.columns[ci].name))
        return v if v is not None and math.isfinite(v) else None

    shown = [v for r in lines for ci in range(len(years)) if (v := value(r.name, ci)) is not None]
    left, top, plot_w, plot_h = 72, 24, 520, 240
    lo, hi, ticks = _scale(min(shown, default=0.0), max(shown, default=1.0))
    legend = len(lines) + len(t.chart.marks)
    width, height = left + plot_w + 24, top + plot_h + 40 + 20 * legend

    def x(ci: int) -> float:
        return left + 30 + ci * (plot_w - 60) / max(len(years) - 1, 1)

    def y(v: float) -> float:  # halves first: no difference of two finite values overflows
        return top + plot_h - (v / 2 - lo / 2) / (hi / 2 - lo / 2) * plot_h

    unit = lines[0].unit if lines else ""
    out = [f'<figure id="figure-{escape(t.name)}"><svg class="figure" role="img" aria-label="{escape(t.title, quote=True)}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
           f'<text x="{left}" y="{top - 10}" class="unit">{escape(unit)}</text>',
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>']
    for tick, label in ticks:
        out.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{fmt(tick, label, norwegian)}</text>')
    for ci, year in enumerate(years):
        out.append(f'<text class="year" x="{x(ci):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{year}</text>')
    for n, r in enumerate(lines):
        colour = _COLOURS[n % len(_COLOURS)]
        points = [(ci, v) for ci in range(len(years)) if (v := value(r.name, ci)) is not None]
        out.append(f'<polyline class="series" data-series="{escape(r.name)}" fill="none" stroke="{colour}" '
                   f'stroke-width="2" points="{" ".join(f"{x(ci):.1f},{y(v):.1f}" for ci, v in points)}"/>')
        out.extend(f'<circle cx="{x(ci):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{escape(r.label)} '
                   f'{years[ci]}: {fmt(v, r.decimals, norwegian)}</title></circle>' for ci, v in points)
    for m in t.chart.marks:
        ci = years.index(m.year)
        upper, lower, v = value(m.upper, ci), value(m.lower, ci), value(m.row, ci)
        if upper is None or lower is None or v is None:
            continue  # not computed: the table below says why
        row = next(r for r in t.rows if r.name == m.row)
        text = fmt(v, row.decimals, norwegian)
        x0, y0, y1 = x(ci) + 8, y(upper), y(lower)
        out.append(f'<g class="mark" data-mark="{escape(m.row)}" data-year="{m.year}">'
                   f'<path d="M{x0 - 4:.1f},{y0:.1f} H{x0:.1f} V{y1:.1f} H{x0 - 4:.1f}" fill="none" stroke="#1d1d1f" '
                   f'stroke-dasharray="3 2"/><text class="mark-value" x="{x0 + 4:.1f}" y="{(y0 + y1) / 2 + 4:.1f}">'
                   f'{escape(text)}</text><title>{escape(row.label)} {m.year}: {escape(text)}</title></g>')
    base = top + plot_h + 40
    for n, r in enumerate(lines):
        colour, ly = _COLOURS[n % len(_COLOURS)], base + 20 * n
        out.append(f'<line x1="{left}" y1="{ly - 4}" x2="{left + 24}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>'
                   f'<text x="{left + 30}" y="{ly}">{escape(r.label)}</text>')
    for n, m in enumerate(t.chart.marks):
        ly = base + 20 * (len(lines) + n)
        label = next(r.label for r in t.rows if r.name == m.row)
        out.append(f'<path d="M{left + 8},{ly - 10} H{left + 12} V{ly + 2} H{left + 8}" fill="none" stroke="#1d1d1f" '
                   f'stroke-dasharray="3 2"/><text x="{left + 30}" y="{ly}">{escape(label)} ({m.year})</text>')
    out.append("</svg>")
    if t.notes:
        out.append(f'<figcaption class="legend">{"<br>".join(escape(n) for n in t.notes)}</figcaption>')
    out.append("</figure>")
    return "\n".join(out)


def _scale(lo: float, hi: float) -> tuple[float, float, list[tuple[float, int]]]:
    """An axis from `lo` to `hi` (any finite values) and its ticks (value, decimals shown): round steps
    (1, 2 or 5 times a power of ten), about five of them; none where no round step fits."""
    if not hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi)):  # one value, or as good as one: a band around it
        pad = max(abs(lo) / 20, abs(hi) / 20, 1.0)
        lo, hi = max(lo - pad, -sys.float_info.max), min(hi + pad, sys.float_info.max)
    raw = (hi / 2 - lo / 2) / 2.5
    power = 10.0 ** math.floor(math.log10(raw))
    if power == 0.0 or not math.isfinite(power):
        return lo, hi, []
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    if not (math.isfinite(first * step) and math.isfinite(last * step)) or last - first > 20:
        return lo, hi, []
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    ticks = [((first + k) * step, decimals) for k in range(last - first + 1)]
    return min(first * step, lo), max(last * step, hi), ticks  # a multiple of a step may round inside


# --- every basis value, let and indicator value, each linked to its derivation ---------------------


def _value_anchor(kind: ItemKind, name: str) -> str:
    """`value-basis-mean-cost`: apart from the figures' `fig-…` anchors, so an indicator named as a
    claim, or a basis value named as a table's cell, never shares an id with it."""
    return f"value-{kind}-" + name.replace(".", "-")


def _linked(program: ir.Program, items: dict, kind: ItemKind, name: str) -> bool:
    """Does `explain NAME` give this figure (an indicator named as a measure or claim gives that instead)?"""
    return kind != ItemKind.INDICATOR or (name not in program.measures and name not in items)


def _figures(program: ir.Program, audit: Audit, listed, items: dict, norwegian: bool, lang: str = "en") -> str:
    """A table of each kind: basis values (who forms each, the members), lets, indicator values."""
    bases, lets, indicators = listed
    where = {"own": program.own, "year": program.year}

    def value(kind: str, name: str, v, unit: str) -> str:
        text = escape(value_and_unit(v, unit, norwegian))
        if _linked(program, items, kind, name):
            text = f'<a class="fig" href="#{_value_anchor(kind, name)}">{text}</a>'
        return f"<td>{text}</td>"

    out = []
    if measures := untabled(program, audit):
        out += [f"<h2>{escape(tr(lang, 'Measures no table shows ({own} {year})', **where))}</h2>",
                f'<table id="measures"><tr><th>{tr(lang, "measure")}</th><th>{tr(lang, "basis")}</th>'
                f'<th>{tr(lang, "value")}</th></tr>']
        out += ["<tr>" + "".join(f"<td>{escape(part)}</td>" for part in (x.name.split(".", 1) + [""])[:2])
                + f'<td><a class="fig" href="#{_value_anchor(ItemKind.MEASURE, x.name)}">'
                + escape(value_and_unit(x.value, x.unit, norwegian, x.decimals)) + "</a></td></tr>" for x in measures]
        out.append("</table>")
    if bases:
        out += [f"<h2>{escape(tr(lang, 'Basis values ({own} {year})', **where))}</h2>",
                f'<table id="basis-values"><tr><th>{tr(lang, "basis")}</th><th>{tr(lang, "indicator")}</th>'
                f'<th>{tr(lang, "value")}</th><th>{tr(lang, "formed by")}</th><th>{tr(lang, "members")}</th></tr>']
        out += [f"<tr><td>{escape(b.basis)}</td><td>{escape(b.indicator)}</td>{value(ItemKind.BASIS, b.name, b.value, b.unit)}"
                f"<td>{escape(formed_by(b))}</td><td>{escape(members_text(b, lang))}</td></tr>" for b in bases]
        out.append("</table>")
    if lets:
        out += [f"<h2>{escape(tr(lang, 'Lets ({own} {year})', **where))}</h2>",
                f'<table id="lets"><tr><th>{tr(lang, "measure")}</th><th>{tr(lang, "basis")}</th><th>let</th>'
                f'<th>{tr(lang, "value")}</th></tr>']
        out += ["<tr>" + "".join(f"<td>{escape(part)}</td>" for part in x.name.split(".", 2))
                + value(ItemKind.LET, x.name, x.value, x.unit) + "</tr>" for x in lets]
        out.append("</table>")
    if indicators:
        out += [f"<h2>{escape(tr(lang, 'Indicators ({own} {year})', **where))}</h2>",
                f'<table id="indicators"><tr><th>{tr(lang, "indicator")}</th><th>{tr(lang, "value")}</th>'
                f'<th>{tr(lang, "source")}</th></tr>']
        out += [f"<tr><td>{escape(x.name)}</td>{value(ItemKind.INDICATOR, x.name, x.value, x.unit)}"
                f"<td>{escape(x.source or tr(lang, 'by formula'))}</td></tr>" for x in indicators]
        out.append("</table>")
    return "\n".join(out)


def _figure_derivations(program: ir.Program, audit: Audit, listed, items: dict, norwegian: bool,
                        lang: str = "en") -> list[str]:
    """Where the listed figures' links lead: each one's `explain`, from the derivations the audit recorded."""
    bases, lets, indicators = listed
    out = []
    for kind, lines in ((ItemKind.MEASURE, untabled(program, audit)), (ItemKind.BASIS, bases), (ItemKind.LET, lets),
                        (ItemKind.INDICATOR, indicators)):
        for x in lines:
            if _linked(program, items, kind, x.name):
                text = explain(program, audit, x.name, norwegian, lang)
                out.append(f'<section class="derivation" id="{_value_anchor(kind, x.name)}"><h3>{escape(x.name)}</h3>'
                           f"<pre>{escape(text)}</pre></section>")
    return out
