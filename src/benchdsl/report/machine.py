"""Machine-readable results: JSON (a stable, documented schema), CSV and Markdown.

The JSON schema is described in docs/output.md; `schema` is bumped on any
incompatible change.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

from benchdsl import ir, published
from benchdsl.audit import Audit, Item, ItemKind, Status, figure_name
from benchdsl.evaluate import Status as FigureStatus
from benchdsl.published import round_half_up
from benchdsl.report import breaks
from benchdsl.report.lang import tr
from benchdsl.report.numbers import auto, fmt
from benchdsl.report.text import (MARKS, computed_text, figure_lists, formed_by, members_text, note_text, untabled,
                                  value_and_unit, value_text)

SCHEMA = 1


def dumps(doc, indent: int = 2) -> str:
    """Strict JSON (RFC 8259): a number that is not finite becomes null, and the key
    `<key>_nonfinite` beside it says which it was ("inf", "-inf" or "nan")."""
    return json.dumps(finite_only(doc), ensure_ascii=False, indent=indent, allow_nan=False) + "\n"


def finite_only(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out[k] = finite_only(v)
            if isinstance(v, float) and not math.isfinite(v):
                out[f"{k}_nonfinite"] = "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"
        return out
    if isinstance(value, (list, tuple)):
        return [finite_only(v) for v in value]
    return value


def _derivation(program: ir.Program, audit: Audit, i: Item) -> dict:
    """What `explain` shows, as data: inputs with sources, bases with members, steps, arithmetic.

    The derivation is the one the kernel recorded while the audit computed the figure.
    """
    from benchdsl.report.explain import numeric, symbolic

    if i.kind == ItemKind.CELL:
        t = program.tables[i.table]
        row = next(r for r in t.rows if r.name == i.row)
        ci = _column_index(t, i.column)
        if row.kind == ir.RowKind.SERIES:  # the row's indicator at its place in the column's year
            fig = i.figure
            expr, factor = row.cells[ci].expr, row.cells[ci].factor
            out = {"series": row.source, "year": t.columns[ci].year}
        elif row.kind != ir.RowKind.MEASURE:
            if row.kind == ir.RowKind.TABLE:
                src = program.tables[row.source]
                parts = [f"{src.name}.{r.name}.{src.columns[ci].name}" for r in src.rows if r.kind in ir.SUMMED_ROWS]
            else:
                parts = [f"{t.name}.{r.name}.{i.column}" for r in t.rows if r.kind in ir.SUMMED_ROWS]
            return {"sum_of": parts, "rounded_to": t.decimals}
        else:
            fig = i.figure
            m = program.measures[row.source]
            expr, factor = m.saving.expr, m.saving.factor
            out = {"measure": m.name}
    else:
        claim = next(c for c in program.claims if c.name == i.name)
        fig = i.figure
        if isinstance(claim.expr, ir.PeerOf):
            expr, factor = None, 1.0
        else:
            expr, factor = claim.expr.expr, claim.expr.factor
        out = {"claim": claim.name, "measure": claim.measure}
    tr = fig.trace
    if fig.scenario:
        out["basis"] = {"name": fig.scenario, "policy": program.scenarios[fig.scenario].policy.text}
    out["inputs"] = [
        {"indicator": x.indicator, "municipality": x.municipality, "year": x.year, "value": x.value, "unit": x.unit,
         "source": f"{x.obs.span.path}:{x.obs.span.line}" if x.obs else "formula",
         **({"provenance": x.obs.provenance, "note": x.obs.note} if x.obs else {}),
         **({"adjusted_by": x.adjusted, "reason": x.reason} if x.adjusted else {})}
        for x in tr.inputs.values()
    ]
    out["bases"] = [
        {"indicator": b.indicator, "policy": b.policy, "unit": b.unit, "value": b.value, "peer": b.peer,
         "members": [{"municipality": r.municipality, "value": r.value, "rank": r.rank,
                      **({"index": r.index, "per_index": r.per_index} if r.index is not None else {})}
                     for r in b.rows],
         "left_out": b.skipped,
         **({"index": {"indicator": b.index, "own": b.own_index, "mean_per_index": b.per_index}}
            if b.index is not None else {})}
        for b in tr.bases.values()
    ]
    out["steps"] = [{"let": name, "formula": symbolic(node), "value": value, "unit": unit}
                    for name, value, unit, node in tr.lets]
    if expr is not None:
        out["formula"] = symbolic(expr)
        out["arithmetic"] = numeric(expr, tr)
        out["unit_factor"] = factor
    return out


def _column_index(t: ir.Table, column: str) -> int:
    return [c.name for c in t.columns].index(column)


def _item(program: ir.Program, i: Item) -> dict:
    fig = i.figure
    out = {
        "name": i.name,
        "kind": i.kind,
        "label": i.label,
        "status": i.status,
        "computed": i.peer if i.peer is not None else i.computed,
        "shown": round_half_up(i.computed, i.decimals) if i.computed is not None else None,
        "unit": i.unit,
        "published": published.json_fields(i.published),
        "delta": i.delta,
    }
    if i.table:
        out.update(table=i.table, row=i.row, column=i.column)
    if fig is not None and fig.scenario:
        out["basis"] = fig.scenario
    if note_text(i):
        out["note"] = note_text(i)
    if i.causes:
        out["follows_from"] = list(i.causes)
    crossed = breaks.of_figure(program, fig)
    if crossed:
        out["series_breaks"] = [br.as_dict() for br in crossed]
    if i.reconciled is not None:
        r = i.reconciled
        out["reconcile"] = {"indicator": r.indicator, "municipality": r.municipality, "year": r.year,
                            "unit": r.unit, "value": r.was, "reproducing_value": r.needed, "breaks": list(r.breaks)}
    return out


def _num(v: float | None) -> float | None:
    """A JSON number, or null for a value not computed (strict JSON has no NaN)."""
    return v if v is not None and math.isfinite(v) else None


def to_json(program: ir.Program, audit: Audit, derivations: bool = True, norwegian: bool = False,
            lang: str = "en") -> str:
    """The JSON report; `norwegian` and `lang` change nothing: JSON numbers carry no locale, and its keys
    and texts are read by programs, in English."""
    doc = {
        "schema": SCHEMA,
        "own": program.own,
        "year": program.year,
        "summary": {
            "text": audit.summary(),
            "evidence": audit.evidence.as_dict() if audit.evidence is not None else None,
            "evidence_text": audit.evidence_line(),
            "breakdown": audit.breakdown(),
            "items": len(audit.items),
            **{s.value: audit.count(s) for s in Status},
        },
        "tables": [
            {
                "name": t.name,
                "title": t.title,
                "unit": t.unit,
                "columns": [{"name": c.name, "header": c.header, "basis": c.scenario,
                             **({"year": c.year} if c.year is not None else {})} for c in t.columns],
                "rows": [{"name": r.name, "label": r.label, "kind": r.kind,
                          **({"unit": r.unit, "decimals": r.decimals, "empty": [c.name for ci, c in enumerate(t.columns)
                                                                               if r.blank(ci)]}
                             if r.kind == ir.RowKind.SERIES else {})} for r in t.rows],
            }
            for t in program.tables.values()
        ],
        "bases": {s.name: {"title": s.title, "policy": s.policy.text} for s in program.scenarios.values()},
        "items": [_item(program, i) for i in audit.items],
        # Figures nothing was published for that could not be computed (published ones are items with status error).
        "not_computed": [{"name": figure_name((t, r, c)), "table": t, "row": r, "column": c, "reason": d.message,
                          "source": str(d.span) if d.span else None}
                         for (t, r, c), d in audit.unpublished_not_computed().items()],
        # Every measure under every basis a table shows it in (under the bases its claims are under, for a measure in no
        # table), published or not: the figures of an analysis that has nothing to audit.
        "figures": [{"measure": m, "basis": b, "status": f.status.value,
                     "saving": f.value, "raw": f.raw, "unit": f.unit, "round": f.decimals,
                     "reason": f.error.message if f.error is not None else None,
                     **({"series_breaks": [br.as_dict() for br in crossed]}
                        if (crossed := breaks.of_figure(program, f)) else {})}
                    for (m, b), f in audit.figures.items()],
        # Every basis value compared with, with its members (ranked for a k-th best) and peer; every `let`.
        "basis_values": [{"name": f"{b}.{ind}", "basis": b, "indicator": ind, "value": _num(use.value),
                          "unit": use.unit, "peer": use.peer, "left_out": list(use.skipped),
                          "members": [{"municipality": r.municipality, "value": _num(r.value), "rank": r.rank}
                                      for r in use.rows]}
                         for (b, ind), (use, _) in audit.basis_values(program).items()],
        "lets": [{"name": f"{m}.{b}.{name}", "measure": m, "basis": b, "let": name, "value": _num(v), "unit": u}
                 for (m, b, name), (v, u) in audit.lets().items()],
        # The own municipality's value of every indicator the figures read, derived ones too
        "indicators": [{"name": name, "value": _num(inp.value), "unit": inp.unit,
                        "derived": inp.obs is None,
                        "source": f"{inp.obs.span.path}:{inp.obs.span.line}" if inp.obs is not None else None}
                       for name, (inp, _) in audit.indicator_values(program).items()],
        # Comparisons across a merger or split, each with the figures that make them.
        "series_breaks": [{**br.as_dict(), "figures": names} for br, names in breaks.of_audit(program, audit)],
    }
    if derivations:
        for entry, i in zip(doc["items"], audit.items):
            entry["derivation"] = _derivation(program, audit, i)
    return dumps(doc, indent=2)


# A cell a spreadsheet would run as a formula (OWASP, "CSV injection"): it starts with
# one of these and is not a number.  Such a cell gets a leading ' ; numbers, negative
# ones too, stay numbers, and so does the lone "-" of a figure with no saving.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(?:\d[\d \u00a0\u202f]*(?:[.,]\d+)?(?:[eE][-+]?\d+)?|\d*[.,]\d+|inf|nan)(?: ?%)?|-")


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text, never runs (see _FORMULA_START)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class GuardedWriter:
    """csv.writer whose text cells go through csv_cell."""

    def __init__(self, buf: io.StringIO, norwegian: bool) -> None:
        self._w = csv.writer(buf, delimiter=";" if norwegian else ",", lineterminator="\n")

    def writerow(self, row) -> None:
        self._w.writerow([csv_cell(c) for c in row])


def to_csv(program: ir.Program, audit: Audit, norwegian: bool = False, lang: str = "en") -> str:
    """The CSV report: keys and statuses in English whatever `lang` (read by programs); `norwegian`: `;` and 29,7."""
    buf = io.StringIO()
    w = GuardedWriter(buf, norwegian)
    w.writerow(["name", "kind", "table", "row", "column", "label", "computed", "shown", "unit",
                "published", "status", "delta"])
    for i in audit.items:
        shown = ("?" if i.status == Status.ERROR else computed_text(i, norwegian) if i.kind == ItemKind.CLAIM
                 else fmt(i.computed, i.decimals, norwegian, dash="-"))
        w.writerow([i.name, i.kind, i.table or "", i.row or "", i.column or "", i.label,
                    "" if i.computed is None else repr(i.computed) if not norwegian else str(i.computed).replace(".", ","),
                    shown, i.unit, published.text(i.published, norwegian), i.status,
                    "" if i.delta is None else f"{i.delta:.6g}".replace(".", "," if norwegian else ".")])
    # Every other cell: computed and shown, nothing published to audit it against (an analysis of
    # one's own has only these), or not computed with its reason.
    audited = {(i.table, i.row, i.column) for i in audit.items if i.kind == ItemKind.CELL}
    missing = audit.unpublished_not_computed()
    for t in program.tables.values():
        for r in t.rows:
            if r.kind == "section":
                continue
            unit, decimals = t.shown(r)
            for ci, c in enumerate(t.columns):
                key = (t.name, r.name, c.name)
                if key in audited or r.blank(ci):
                    continue
                if key in missing:
                    w.writerow([".".join(key), ItemKind.CELL, *key, r.label, "", "?", unit, "",
                                FigureStatus.NOT_COMPUTED.value, ""])
                    continue
                v = audit.cells.get(key)
                w.writerow([".".join(key), ItemKind.CELL, *key, r.label,
                            "" if v is None else repr(v) if not norwegian else repr(v).replace(".", ","),
                            fmt(v, decimals, norwegian, dash="-"), unit, "", "computed", ""])
    # Basis values and lets: figures of their own, never audited.
    figures = [(f"{b}.{ind}", ItemKind.BASIS, use.policy, use.value, use.unit)
               for (b, ind), (use, _) in audit.basis_values(program).items()]
    figures += [(f"{m}.{b}.{name}", ItemKind.LET, name, v, u) for (m, b, name), (v, u) in audit.lets().items()]
    figures += [(name, ItemKind.INDICATOR, program.indicators[name].title, inp.value, inp.unit)
                for name, (inp, _) in audit.indicator_values(program).items()]
    # A measure no table shows: its saving under each of its bases, as its row of a table would be.
    for x in untabled(program, audit):
        measure, basis = (x.name.split(".", 1) + [""])[:2]
        ok = x.value is None or math.isfinite(x.value)
        w.writerow([x.name, ItemKind.MEASURE, "", measure, basis, program.measures[measure].title,
                    "" if not ok or x.value is None else repr(x.value) if not norwegian else repr(x.value).replace(".", ","),
                    value_text(x.value, norwegian, x.decimals), x.unit, "",
                    "computed" if ok else FigureStatus.NOT_COMPUTED.value, ""])
    for name, kind, label, v, unit in figures:
        ok = v is not None and math.isfinite(v)
        w.writerow([name, kind, "", "", "", label,
                    (repr(v) if not norwegian else repr(v).replace(".", ",")) if ok else "",
                    auto(v, norwegian) if ok else "?", "" if unit in ("1", "dimensionless") else unit, "",
                    "computed" if ok else FigureStatus.NOT_COMPUTED.value, ""])
    return buf.getvalue()


# Markdown that a label could otherwise start: tables (|), HTML (< > &), emphasis, code,
# links, headings' closing #.  A backslash escapes any of them (CommonMark, GFM tables).
_MARKDOWN = re.compile(r"([\\`*_\[\]|<>&#])")


def md(text: str) -> str:
    """Text as Markdown shows it literally, on one line of a table."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).splitlines()))


def to_markdown(program: ir.Program, audit: Audit, norwegian: bool = False, lang: str = "en") -> str:
    by_name = {i.name: i for i in audit.items}
    out = [f"# benchdsl: {md(program.own)} {program.year}", ""]
    for t in program.tables.values():
        out.append(f"## {md(t.title)}")
        out.append("")
        out.append("| | " + " | ".join(md(c.header) for c in t.columns) + " |")
        out.append("|---|" + "---:|" * len(t.columns))
        for r in t.rows:
            if r.kind == ir.RowKind.SECTION:
                out.append(f"| **{md(r.label)}** |" + " |" * len(t.columns))
                continue
            cells = []
            decimals = t.shown(r)[1]
            for ci, c in enumerate(t.columns):
                i = by_name.get(f"{t.name}.{r.name}.{c.name}")
                if r.blank(ci):  # the report prints nothing here
                    cells.append("")
                    continue
                if i is None:  # computed, nothing published
                    cells.append(md(fmt(audit.cells.get((t.name, r.name, c.name)), decimals, norwegian)))
                    continue
                cells.append(md(f"{fmt(math.nan if i.status == Status.ERROR else i.computed, decimals, norwegian)} "
                                f"({published.text(i.published, norwegian)})")
                             + f" {MARKS[i.status]}")
            label = f"**{md(r.label)}**" if r.kind == ir.RowKind.TOTAL else md(r.label)
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    out += _markdown_figures(program, audit, norwegian, lang)
    claims = [i for i in audit.items if i.kind == ItemKind.CLAIM]
    if claims:
        out += [f"## {tr(lang, 'Stated in the text')}", "",
                f"| | {tr(lang, 'claim')} | {tr(lang, 'computed')} | {tr(lang, 'published')} |", "|---|---|---:|---:|"]
        for i in claims:
            out.append(f"| {MARKS[i.status]} | {md(i.label)} | {md(computed_text(i, norwegian))} | "
                       f"{md(published.text(i.published, norwegian))} |")
        out.append("")
    out.append(md(audit.summary(lang)))
    return "\n".join(out) + "\n"


def _markdown_figures(program: ir.Program, audit: Audit, norwegian: bool, lang: str) -> list[str]:
    """Every basis value, let and indicator value of the own municipality and year: a table of each kind."""
    bases, lets, indicators = figure_lists(program, audit)
    where = {"own": md(program.own), "year": program.year}
    out: list[str] = []

    def value(v, unit, decimals=None) -> str:
        return md(value_and_unit(v, unit, norwegian, decimals))

    if measures := untabled(program, audit):
        out += [f"## {tr(lang, 'Measures no table shows ({own} {year})', **where)}", "",
                f"| {tr(lang, 'measure')} | {tr(lang, 'basis')} | {tr(lang, 'value')} |", "|---|---|---:|"]
        out += [f"| {' | '.join(md(part) for part in (x.name.split('.', 1) + [''])[:2])} "
                f"| {value(x.value, x.unit, x.decimals)} |" for x in measures]
        out.append("")
    if bases:
        out += [f"## {tr(lang, 'Basis values ({own} {year})', **where)}", "",
                f"| {tr(lang, 'basis')} | {tr(lang, 'indicator')} | {tr(lang, 'value')} | {tr(lang, 'formed by')} "
                f"| {tr(lang, 'members')} |", "|---|---|---:|---|---|"]
        out += [f"| {md(b.basis)} | {md(b.indicator)} | {value(b.value, b.unit)} | {md(formed_by(b))} "
                f"| {md(members_text(b, lang))} |" for b in bases]
        out.append("")
    if lets:
        out += [f"## {tr(lang, 'Lets ({own} {year})', **where)}", "",
                f"| {tr(lang, 'measure')} | {tr(lang, 'basis')} | let | {tr(lang, 'value')} |", "|---|---|---|---:|"]
        out += [f"| {' | '.join(md(part) for part in x.name.split('.', 2))} | {value(x.value, x.unit)} |" for x in lets]
        out.append("")
    if indicators:
        out += [f"## {tr(lang, 'Indicators ({own} {year})', **where)}", "",
                f"| {tr(lang, 'indicator')} | {tr(lang, 'value')} | {tr(lang, 'source')} |", "|---|---:|---|"]
        out += [f"| {md(x.name)} | {value(x.value, x.unit)} | {md(x.source or tr(lang, 'by formula'))} |"
                for x in indicators]
        out.append("")
    return out


# `saving` at full precision (the shortest text that reads back as the same float); `shown` as a
# table shows it, rounded to the measure's `round` (`-`: no saving, `?`: not computed)
BATCH_HEADER = ("municipality", "year", "measure", "basis", "saving", "unit", "status", "reason", "shown")


def _batch_shown(b, norwegian: bool):
    """-> fn(measure, saving or None, status) giving the `shown` cell."""
    rounds = {m: x.round for m, x in b.program.measures.items()} if b.program is not None else {}

    def shown(measure: str, v: float | None, status: str) -> str:
        if v is None:
            return "?" if status == FigureStatus.NOT_COMPUTED.value else "-"
        d = rounds.get(measure, 1)
        text = f"{round_half_up(v, d):.{d}f}"
        return text.replace(".", ",") if norwegian else text

    return shown


def batch_json(b, norwegian: bool = False) -> str:
    from benchdsl.batch import rows

    shown = _batch_shown(b, False)
    out = [dict(zip(BATCH_HEADER, (*r, shown(r[2], r[4], r[6])))) for r in rows(b)]
    if crossed := breaks.of_batch(b):  # a figure that compares years across a merger: `series_breaks` on its row
        for row in out:
            if found := crossed.get((row["municipality"], row["year"], row["measure"], row["basis"])):
                row["series_breaks"] = [br.as_dict() for br in found]
    return dumps({"schema": 1, "rows": out}, indent=1)


def batch_csv(b, norwegian: bool = False) -> str:
    return "".join(batch_csv_chunks(b, norwegian))


def batch_csv_chunks(b, norwegian: bool = False, rows_per_chunk: int = 20_000):
    """`batch_csv`'s text a few thousand rows at a time (a national table is 30 MB of text).

    The rows of `batch.rows`, as `GuardedWriter` writes them (csv.writer, every text cell guarded
    against spreadsheet formulas), made a figure at a time: a text that repeats (a municipality, a
    measure, a reason) is guarded and quoted once, and a number (which csv.writer never quotes) is
    written as it is, guarded only where it could start a formula (a negative one)."""
    import numpy as np

    from benchdsl.batch import cell_reasons

    sep = ";" if norwegian else ","
    texts: dict = {}

    def cell(text) -> str:
        """A text as csv.writer writes it in a row with other cells, guarded."""
        got = texts.get(text)
        if got is None:
            line: list = []
            csv.writer(_Appender(line), delimiter=sep, lineterminator="\n").writerow([csv_cell(text), ""])
            got = texts[text] = line[0][:-2]  # less the empty cell after it and the line's end
        return got

    def number(text: str) -> str:
        text = text.replace(".", ",") if norwegian else text
        return text if text[0] not in _FORMULA_START else csv_cell(text)

    lines = [sep.join(cell(c) for c in (*BATCH_HEADER, "series_breaks")) + "\n"]
    crossed = breaks.of_batch(b)  # {} unless a figure reads a year other than its row's
    signed = {n for n, x in b.program.measures.items() if x.signed} if b.program is not None else set()
    rounds = {m: x.round for m, x in b.program.measures.items()} if b.program is not None else {}
    places = [f"{cell(m)}{sep}{y}{sep}" for m in b.municipalities for y in b.years]
    where = [(m, y) for m in b.municipalities for y in b.years]
    status = {s: cell(s) for s in ("saving", "no saving", FigureStatus.NOT_COMPUTED.value)}
    evaluators: dict = {}
    for (measure, basis), values in b.figures.items():
        d = rounds.get(measure, 1)
        mid = f"{cell(measure)}{sep}{cell(basis)}{sep}"
        unit = cell(b.units[measure])
        failed = f"{sep}{unit}{sep}{status['not computed']}{sep}"
        saving = f"{unit}{sep}{status['saving']}{sep}{cell('')}{sep}"
        below = f"{unit}{sep}{status['no saving']}{sep}{cell('')}{sep}"
        shown_below = measure in signed  # a signed measure shows how far below the basis
        why = cell_reasons(b, measure, basis, evaluators)
        flat = values.ravel().tolist()
        # round_half_up on every cell at once: the same operations on each float
        rounded = _round_half_up_all(np.ravel(values), d).tolist()
        form = f"%.{d}f"
        marks = [sep + cell("; ".join(br.text for br in crossed.get((m, y, measure, basis), ()))) for m, y in where] \
            if crossed else [sep + cell("")] * len(where)  # the series breaks a row's figure crosses
        for place, v, r, x, mark in zip(places, flat, why, rounded, marks):
            if v != v:  # NaN: not computed
                lines.append(f"{place}{mid}{failed}{cell(r)}{sep}?{mark}\n")
            elif v > 0:
                lines.append(f"{place}{mid}{number(repr(v))}{sep}{saving}{number(form % x)}{mark}\n")
            elif shown_below:
                lines.append(f"{place}{mid}{number(repr(v))}{sep}{below}{number(form % x)}{mark}\n")
            else:
                lines.append(f"{place}{mid}{sep}{below}-{mark}\n")
            if len(lines) >= rows_per_chunk:
                yield "".join(lines)
                lines.clear()
    yield "".join(lines)


def _round_half_up_all(x, decimals: int):
    """`published.round_half_up` of each element of an array (NaN where x is NaN)."""
    import numpy as np

    if not 0 <= decimals <= 300:
        return x
    scale = 10.0**decimals
    with np.errstate(invalid="ignore", over="ignore"):
        keep = ~np.isfinite(x * scale) | (np.abs(x) * scale > 2**52)
        return np.where(keep, x, np.copysign(np.floor(np.abs(x) * scale + 0.5 + 1e-9) / scale, x))


class _Appender:
    """A file for csv.writer that keeps what is written, line by line."""

    __slots__ = ("write",)

    def __init__(self, lines: list) -> None:
        self.write = lines.append
