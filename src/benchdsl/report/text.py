"""The terminal report: Tables 4-10 laid out as printed, with audit marks."""

from __future__ import annotations

import math

import os
import re
import textwrap
from typing import NamedTuple

from benchdsl import ir, published
from benchdsl.audit import Audit, Item, ItemKind, Status, figure_name, tabled
from benchdsl.report.lang import tr, tr_n
from benchdsl.report.numbers import DASH, auto, fmt, unit_label

MARKS = {Status.OK: "✓", Status.MISMATCH: "✗", Status.KNOWN: "K", Status.FOLLOWS: "↳", Status.ERROR: "?"}
LEGEND = ("✓ reproduced  ✗ mismatch  ? not computed\n"
          "K known report inconsistency  ↳ follows from a known inconsistency")
WIDTH = 80


# C0 and C1 control characters but the line end: in a label they would break the layout,
# and an escape sequence (ESC [ ...) would rewrite the analyst's terminal.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text from rule files as a terminal should show it: a tab as a space, another
    control character as its code (\\x1b), so labels cannot move the cursor or recolour."""
    return _CONTROL.sub(lambda m: " " if m.group() == "\t" else f"\\x{ord(m.group()):02x}", text)


def _layout(ncols: int, audited: bool = True) -> tuple[int, int]:
    """(label width, number width) so that a table fits the terminal."""
    if not audited:  # computed values only: one number per column
        return max(12, min(32, WIDTH - 2 - ncols * 10)), 8
    cell = 8 if ncols <= 2 else 7
    label = max(12, min(32, WIDTH - 2 - ncols * (2 * cell + 6)))
    return label, cell


def render(program: ir.Program, audit: Audit, norwegian: bool = False, width: int = 80, lang: str = "en",
           all_figures: bool | None = None) -> str:
    """The terminal report; `all_figures` (`--all-figures`): also list every basis value, let and
    indicator value under the tables.  None: list them when nothing was audited (an analysis with
    nothing published, or a run for another municipality or year), where they are what the run is
    for; an audit of a report's figures already runs to a few hundred lines, so there they wait
    for the option (every format but text lists them always)."""
    by_name = {i.name: i for i in audit.items}
    out = [f"benchdsl: {program.own} {program.year}", ""]
    for t in program.tables.values():
        out.extend(_table(t, by_name, audit.cells, norwegian, lang))
        out.append("")
    if all_figures or (all_figures is None and not audit.items):
        out.extend(_figure_lists(program, audit, norwegian, lang))
    claims = [i for i in audit.items if i.kind == ItemKind.CLAIM]
    if claims:
        out.append(tr(lang, "Stated in the text (computed vs published)"))
        heading = None
        for i in claims:
            measure = i.figure.name.split(".")[0] if i.figure and "." in i.figure.name else None
            title = (program.measures[measure].title if measure in program.measures
                     else tr(lang, "Further statements ({file})", file=os.path.basename(_path(program, i))))
            if title != heading:
                out.append(f"  {_clip(title, width - 2)}")
                heading = title
            out.append(_claim_line(i, program, norwegian, width))
        out.append("")
    problems = [i for i in audit.items if i.status != Status.OK]
    if problems:
        out.append(tr(lang, "Not reproduced"))
        for i in problems:
            out.extend(_problem(i, norwegian, lang))
        out.append("")
    missing = audit.unpublished_not_computed()
    if missing:
        out.append(tr(lang, "Not computed (nothing published for these; each is shown as ?)"))
        for key, why in missing.items():
            out.extend(textwrap.wrap(f"? {figure_name(key)}: {why.message}" + (f" ({why.span})" if why.span else ""),
                                     78, initial_indent="  ", subsequent_indent="      "))
        out.append("")
    from benchdsl.report import breaks

    crossed = breaks.of_audit(program, audit)
    if crossed:
        out.append(tr(lang, breaks.HEADING))
        for br, names in crossed:
            out.extend(textwrap.wrap(f"! {br.text}", 78, initial_indent="  ", subsequent_indent="      "))
            out.extend(textwrap.wrap(tr(lang, "in {figures}", figures=", ".join(names)), 78, initial_indent="      ",
                                     subsequent_indent="      "))
        out.append("")
    out.append(tr(lang, LEGEND))
    if audit.breakdown():
        out.append(tr(lang, "Of the figures not reproduced: {breakdown}.", breakdown=audit.breakdown(lang)))
    if audit.evidence_line():  # what the figures are evidence of, then how many were reproduced
        out.extend(textwrap.wrap(audit.evidence_line(lang), WIDTH - 2, subsequent_indent="  "))
    out.append(audit.summary(lang))
    return terminal_safe("\n".join(out) + "\n")


def _table(t: ir.Table, by_name: dict[str, Item], cells: dict, norwegian: bool, lang: str = "en") -> list[str]:
    if t.columns and t.columns[0].year is not None:
        return _year_table(t, by_name, cells, norwegian)
    audited = any(r.published for r in t.rows)
    label_w, cell = _layout(len(t.columns), audited)
    head_w = 2 * cell + 4 if audited else cell  # computed, published, mark
    lines = [t.title]
    head = " " * label_w
    sub = " " * label_w
    for c in t.columns:
        head += "  " + _clip(c.header, head_w).rjust(head_w)
        sub += "  " + tr(lang, "computed" if cell >= 8 else "calc.").rjust(cell) + " " + tr(lang, "report").rjust(cell) + "  "
    lines += [head.rstrip(), sub.rstrip()] if audited else [head.rstrip()]
    sections = any(x.kind == ir.RowKind.SECTION for x in t.rows)  # once, not per row: tables may be long
    for r in t.rows:
        if r.kind == ir.RowKind.SECTION:
            lines.append(_clip(r.label, 78))
            continue
        indent = "  " if sections and r.kind != ir.RowKind.TOTAL else ""
        line = (indent + _clip(r.label, label_w - len(indent))).ljust(label_w)
        for c in t.columns:
            item = by_name.get(f"{t.name}.{r.name}.{c.name}")  # None: nothing published to audit
            computed = item.computed if item else cells.get((t.name, r.name, c.name))
            if item is not None and item.status == Status.ERROR:
                computed = math.nan  # not computed: "?", never the "–" of no saving
            line += "  " + fmt(computed, t.shown(r)[1], norwegian).rjust(cell)
            if audited:
                line += " " + (published.text(item.published, norwegian) if item else "").rjust(cell)
                line += " " + (MARKS[item.status] if item else " ")
        lines.append(line.rstrip())
    return lines


def _year_table(t: ir.Table, by_name: dict[str, Item], cells: dict, norwegian: bool) -> list[str]:
    """A table whose columns are years, as the report prints it: each row's values in its own precision,
    a mark after each audited cell (the published value is in "Not reproduced" where it differs), and
    nothing where the report prints nothing."""
    shown: dict = {}
    for r in t.rows:
        if r.kind != ir.RowKind.SERIES:
            continue
        for ci, c in enumerate(t.columns):
            if r.cells[ci] is None:
                continue
            item = by_name.get(f"{t.name}.{r.name}.{c.name}")
            value = item.computed if item is not None and item.status != Status.ERROR else cells.get((t.name, r.name, c.name))
            shown[(r.name, c.name)] = (fmt(value, r.decimals, norwegian), MARKS[item.status] if item else " ")
    cell = max([len(c.header) for c in t.columns] + [len(v) for v, _ in shown.values()])
    sections = any(x.kind == ir.RowKind.SECTION for x in t.rows)
    labels = [len(r.label) + (2 if sections else 0) for r in t.rows if r.kind == ir.RowKind.SERIES]
    label_w = max(12, min(max(labels, default=12), WIDTH - 2 - len(t.columns) * (cell + 3)))
    lines = [_clip(t.title, 78), " " * label_w + "".join(" " + c.header.rjust(cell) + "  " for c in t.columns).rstrip()]
    indent = ""
    for r in t.rows:
        if r.kind == ir.RowKind.SECTION:  # a heading indents the rows under it; `section ""` ends that
            lines.append(_clip(r.label, 78))
            indent = "  " if r.label else ""
            continue
        line = (indent + _clip(r.label, label_w - len(indent))).ljust(label_w)
        for c in t.columns:
            value, mark = shown.get((r.name, c.name), ("", " "))
            line += " " + value.rjust(cell) + " " + mark
        lines.append(line.rstrip())
    return lines


def _claim_line(i: Item, program: ir.Program, norwegian: bool, width: int) -> str:
    pct = {"%": " %", "pp": " pp"}.get(i.unit, "")
    label = i.label
    scenario = i.figure.scenario if i.figure else None
    if scenario and i.name.endswith("." + scenario):  # one claim audited under several bases
        label = f"[{program.scenarios[scenario].title}] {label}"
    pub = published.text(i.published, norwegian) + (pct if published.form(i.published).unit_after else "")
    left = f"    {MARKS[i.status]} {computed_text(i, norwegian, unit=False) + pct:>13} {pub:<12}"
    room = max(20, width - len(left) - 1)
    return f"{left} {_clip(label, room)}"


def computed_text(i: Item, norwegian: bool = False, unit: bool = True) -> str:
    if i.peer is not None or published.form(i.published).names_municipality:
        return i.peer or "?"
    if i.computed is None:
        return DASH if i.status != Status.ERROR else "?"
    shown = fmt(i.computed, i.decimals + 1, norwegian)
    if not unit or i.unit in ("MNOK", "1"):
        return shown
    return shown + (" %" if i.unit == "%" else f" {unit_label(i.unit, norwegian)}")


def _problem(i: Item, norwegian: bool, lang: str = "en") -> list[str]:
    pub = published.text(i.published, norwegian)
    comp = computed_text(i, norwegian)
    delta = ""
    if i.delta is not None:  # None: a municipality, or not computed
        delta = tr(lang, ", off by {delta}", delta=fmt(i.delta, i.decimals + 1, norwegian))
    lines = [f"  {MARKS[i.status]} " + tr(lang, "{name}: computed {computed}, published {published}",
                                            name=i.name, computed=comp, published=pub) + delta]
    note = note_text(i, lang, norwegian)
    if i.status == Status.ERROR and i.figure is not None and i.figure.error is not None and i.figure.error.span:
        note += f" ({i.figure.error.span})"
    if note:
        lines.extend(textwrap.wrap(note, 78, initial_indent="      ", subsequent_indent="      "))
    return lines


def note_text(i: Item, lang: str = "en", norwegian: bool = False) -> str:
    """What the audit found about a figure it did not reproduce, in words (a `known` note as the rules say it)."""
    parts = [i.note] if i.note else []
    if i.causes:
        parts.append(tr_n(lang, len(i.causes), "reproduced once {figures} takes the published value",
                          "reproduced once {figures} take the published value",
                          figures=tr(lang, " and ").join(i.causes)))
    if i.reconciled is not None:
        parts.append(reconcile_text(i.name, i.published, i.reconciled, lang, norwegian))
    left_out = sorted({m for use in (i.figure.trace.bases.values() if i.figure is not None and i.figure.trace else ())
                       for m in use.skipped})
    if left_out and i.status != Status.OK:  # a gap in the data, not the report, may be why
        parts.append(tr(lang, "The basis left out {municipalities}: no value in the panel.",
                        municipalities=", ".join(left_out)))
    if i.readings is not None:
        from benchdsl import readings

        parts.append(readings.text(i.readings))
    # sentences, each ended: a `known` note as the rules wrote it may lack its full stop
    return " ".join(p if p.rstrip().endswith((".", "!", "?", ":", ")", "»", '"')) or n == len(parts) - 1 else p + "."
                    for n, p in enumerate(parts))


def reconcile_text(name: str, pub: ir.PubValue, r, lang: str = "en", norwegian: bool = False) -> str:
    """`known … reconcile`, in words: the value that would reproduce the figure, and what it breaks."""
    where = {"indicator": r.indicator, "municipality": r.municipality, "year": r.year}
    if r.was is None:
        return tr(lang, "(No value of {indicator} for {municipality} {year} to reconcile with.)", **where)
    if r.needed is None:
        return tr(lang, "(No value of {indicator} for {municipality} {year} reproduces {published}.)",
                  published=pub.text, **where)

    def num(x: float, with_unit: bool = False) -> str:
        # rounded half up, as every figure is (300 500,5 is 300 501 here too, not Python's 300 500)
        text = fmt(x, 0, False) if abs(x) >= 1000 else f"{x:.4g}"
        text += f" {unit_label(r.unit, norwegian)}" if with_unit else ""
        text += f" ({x * 100:.2f} %)" if "/" in r.unit and 0 < abs(x) < 1 else ""
        return text.replace(".", ",") if norwegian else text

    consequence = (tr(lang, "That value breaks {figures}: no single value reproduces all the report states.",
                      figures=", ".join(r.breaks))
                   if r.breaks else tr(lang, "No other published figure changes."))
    return tr(lang, "Computed: {name} is reproduced if {indicator} for {municipality} {year} is {needed} instead of "
                    "{was}. {consequence}", name=name, needed=num(r.needed, with_unit=True), was=num(r.was),
              consequence=consequence, **where)


# --- every basis value, let and indicator value (issue 11: computed figures, listed whether or not published) ---


class BasisLine(NamedTuple):
    name: str  # BASIS.INDICATOR, as explain, CSV and JSON name it
    basis: str
    indicator: str
    value: float
    unit: str
    peer: str | None  # the municipality that forms the basis (a k-th best, a named peer, a year)
    rank: int | None  # the peer's rank among the members, for a ranked basis
    members: tuple[tuple[str, int | None], ...]  # (municipality, rank), in the order recorded
    left_out: tuple[str, ...]


class ValueLine(NamedTuple):
    name: str  # MEASURE.BASIS.LET, INDICATOR, or MEASURE.BASIS
    value: float | None  # NaN: not computed; None: a measure's "no saving"
    unit: str
    source: str = ""  # an indicator's panel line (path:line), or "" for a derived one
    decimals: int | None = None  # a measure's `round`: its saving is shown as a table shows it


def untabled(program: ir.Program, audit: Audit) -> list[ValueLine]:
    """The measures no table shows, under the bases their claims are under (every basis when none is): their savings, as a table would show them."""
    shown = tabled(program)
    return [ValueLine(f"{m}.{b}" if b else m, math.nan if f.error is not None else f.value, f.unit,
                      decimals=f.decimals or 0)
            for (m, b), f in audit.figures.items() if m not in shown]


def figure_lists(program: ir.Program, audit: Audit) -> tuple[list[BasisLine], list[ValueLine], list[ValueLine]]:
    """The basis values, lets and indicator values of the own municipality and year, as the audit's
    figures recorded them (nothing is computed here): what text, Markdown and HTML list under the tables."""
    bases = []
    for (b, ind), (use, _) in audit.basis_values(program).items():
        rank = next((r.rank for r in use.rows if r.municipality == use.peer and r.rank), None)
        bases.append(BasisLine(f"{b}.{ind}", b, ind, use.value, use.unit, use.peer, rank,
                               tuple((r.municipality, r.rank) for r in use.rows), tuple(use.skipped)))
    lets = [ValueLine(f"{m}.{b}.{name}", v, u) for (m, b, name), (v, u) in audit.lets().items()]
    indicators = [ValueLine(name, inp.value, inp.unit,
                            f"{inp.obs.span.path}:{inp.obs.span.line}" if inp.obs is not None else "")
                  for name, (inp, _) in audit.indicator_values(program).items()]
    return bases, lets, indicators


def value_text(value: float | None, norwegian: bool = False, decimals: int | None = None) -> str:
    """A listed figure's value (about four significant digits; `explain NAME` gives all): ? if not computed;
    a measure's saving at its `round`, – for no saving."""
    if decimals is not None:
        return fmt(value, decimals, norwegian)
    if value is None or math.isnan(value):
        return "?"
    return auto(value, norwegian)


def unit_text(unit: str, norwegian: bool = False) -> str:
    return "" if unit in ("", "1", "dimensionless") else unit_label(unit, norwegian)


def value_and_unit(value: float | None, unit: str, norwegian: bool = False, decimals: int | None = None) -> str:
    """`296.7 kNOK/recipient`; a value not computed (`?`) or no saving (`–`) without its unit."""
    shown = value_text(value, norwegian, decimals)
    return shown if shown in ("?", DASH) or not unit_text(unit) else f"{shown} {unit_text(unit, norwegian)}"


def formed_by(line: BasisLine) -> str:
    """Who forms a basis value: `#2 Stavanger` for a ranked one, the peer for a named one, else empty."""
    if line.peer is None:
        return ""
    return f"#{line.rank} {line.peer}" if line.rank else line.peer


def members_text(line: BasisLine, lang: str = "en") -> str:
    """The members, ranked (`1 Bergen, 2 Stavanger`) where the basis ranks them, and those left out."""
    text = ", ".join(f"{rank} {m}" if rank else m for m, rank in line.members)
    if line.left_out:
        text += "; " + tr(lang, "left out (no value): {municipalities}", municipalities=", ".join(line.left_out))
    return text


def _figure_lists(program: ir.Program, audit: Audit, norwegian: bool, lang: str) -> list[str]:
    """The three lists, each a heading and a line a figure, named as `benchdsl explain NAME` takes them."""
    bases, lets, indicators = figure_lists(program, audit)
    where = {"own": program.own, "year": program.year}
    out: list[str] = []
    if measures := untabled(program, audit):
        out += [tr(lang, "Measures no table shows ({own} {year}): measure.basis", **where),
                *_listed([(x.name, value_text(x.value, norwegian, x.decimals),
                           unit_text(x.unit, norwegian) if x.value is not None and not math.isnan(x.value) else "", "")
                          for x in measures]), ""]
    if bases:
        # a ranked basis: `#2 Stavanger: 1 Bergen, 2 Stavanger, 3 Oslo`; another: its members (a named
        # peer or a year's level has one, the peer itself)
        rows = [(b.name, value_text(b.value, norwegian), unit_text(b.unit, norwegian),
                 (f"{formed_by(b)}: " if b.rank else "") + members_text(b, lang)) for b in bases]
        out += [tr(lang, "Basis values ({own} {year}): value, who forms it, the members", **where),
                *_listed(rows), ""]
    if lets:
        out += [tr(lang, "Lets ({own} {year}): measure.basis.let", **where),
                *_listed([(x.name, value_text(x.value, norwegian), unit_text(x.unit, norwegian), "") for x in lets]), ""]
    if indicators:
        out += [tr(lang, "Indicators ({own} {year}): value, where it comes from", **where),
                # the panel file's name and line (`explain INDICATOR` gives the whole path)
                *_listed([(x.name, value_text(x.value, norwegian), unit_text(x.unit, norwegian),
                           os.path.basename(x.source) or tr(lang, "by formula")) for x in indicators]), ""]
    return out


def _listed(rows: list[tuple[str, str, str, str]]) -> list[str]:
    """name (never clipped: it is what `explain` takes), value (right-aligned), unit, then a text on the
    same line where it fits, else wrapped under itself, or on lines of its own when the columns leave
    it too little room."""
    name_w = min(max(len(r[0]) for r in rows), 40)
    value_w = max(len(r[1]) for r in rows)
    unit_w = min(max(len(r[2]) for r in rows), 22)
    lines = []
    for name, value, unit, tail in rows:
        head = f"  {name.ljust(name_w)}  {value.rjust(value_w)} {unit.ljust(unit_w)}"
        start = len(head) + 2
        if not tail:
            lines.append(head.rstrip())
        elif start + len(tail) <= WIDTH:
            lines.append(f"{head}  {tail}")
        elif start <= WIDTH - 30:
            wrapped = textwrap.wrap(tail, WIDTH - start, break_on_hyphens=False)
            lines += [f"{head}  {wrapped[0]}", *(" " * start + w for w in wrapped[1:])]
        else:
            lines += [head.rstrip(), *textwrap.wrap(tail, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6,
                                                    break_on_hyphens=False)]
    return lines


def _clip(text: str, n: int) -> str:
    text = terminal_safe(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _path(program: ir.Program, item: Item) -> str:
    claim = next((c for c in program.claims if c.name == item.name), None)
    return claim.span.path if claim and claim.span else ""
