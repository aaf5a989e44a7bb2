"""The terminal report: Tables 4-10 laid out as printed, with audit marks."""

from __future__ import annotations

import os
import textwrap

from benchdsl import ir
from benchdsl.audit import Audit, Item
from benchdsl.report.numbers import DASH, fmt, unit_label

MARKS = {"ok": "✓", "mismatch": "✗", "known": "K", "follows": "↳", "error": "?"}
LEGEND = ("✓ reproduced  ✗ mismatch  ? not computed\n"
          "K known report inconsistency  ↳ follows from a known inconsistency")
WIDTH = 80


def _layout(ncols: int, audited: bool = True) -> tuple[int, int]:
    """(label width, number width) so that a table fits the terminal."""
    if not audited:  # computed values only: one number per column
        return max(12, min(32, WIDTH - 2 - ncols * 10)), 8
    cell = 8 if ncols <= 2 else 7
    label = max(12, min(32, WIDTH - 2 - ncols * (2 * cell + 6)))
    return label, cell


def published_text(pub: ir.PubValue, decimals: int, norwegian: bool) -> str:
    if pub.kind == "none":
        return DASH
    if pub.kind == "name":
        return pub.name
    if pub.kind == "range":
        return f"{fmt(pub.value, pub.decimals, norwegian)}–{fmt(pub.high, pub.decimals, norwegian)}"
    q = {"about": "~", "over": "≳", "nearly": "≲", "above": ">", "below": "<"}.get(pub.qualifier or "", "")
    return q + fmt(pub.value, pub.decimals, norwegian)


def render(program: ir.Program, audit: Audit, norwegian: bool = False, width: int = 80) -> str:
    by_name = {i.name: i for i in audit.items}
    out = [f"benchdsl: {program.own} {program.year}", ""]
    for t in program.tables.values():
        out.extend(_table(t, by_name, audit.cells, norwegian))
        out.append("")
    claims = [i for i in audit.items if i.kind == "claim"]
    if claims:
        out.append("Stated in the text (computed vs published)")
        heading = None
        for i in claims:
            measure = i.figure.name.split(".")[0] if i.figure and "." in i.figure.name else None
            title = (program.measures[measure].title if measure in program.measures
                     else f"Further statements ({os.path.basename(_path(program, i))})")
            if title != heading:
                out.append(f"  {_clip(title, width - 2)}")
                heading = title
            out.append(_claim_line(i, program, norwegian, width))
        out.append("")
    problems = [i for i in audit.items if i.status != "ok"]
    if problems:
        out.append("Not reproduced")
        for i in problems:
            out.extend(_problem(i, norwegian))
        out.append("")
    out.append(LEGEND)
    if audit.breakdown():
        out.append(f"Of the figures not reproduced: {audit.breakdown()}.")
    out.append(audit.summary())
    return "\n".join(out) + "\n"


def _table(t: ir.Table, by_name: dict[str, Item], cells: dict, norwegian: bool) -> list[str]:
    audited = any(r.published for r in t.rows)
    label_w, cell = _layout(len(t.columns), audited)
    head_w = 2 * cell + 4 if audited else cell  # computed, published, mark
    lines = [t.title]
    head = " " * label_w
    sub = " " * label_w
    for c in t.columns:
        head += "  " + _clip(c.header, head_w).rjust(head_w)
        sub += "  " + ("computed" if cell >= 8 else "calc.").rjust(cell) + " " + "report".rjust(cell) + "  "
    lines += [head.rstrip(), sub.rstrip()] if audited else [head.rstrip()]
    sections = any(x.kind == "section" for x in t.rows)  # once, not per row: tables may be long
    for r in t.rows:
        if r.kind == "section":
            lines.append(_clip(r.label, 78))
            continue
        indent = "  " if sections and r.kind != "total" else ""
        line = (indent + _clip(r.label, label_w - len(indent))).ljust(label_w)
        for c in t.columns:
            item = by_name.get(f"{t.name}.{r.name}.{c.name}")  # None: nothing published to audit
            computed = item.computed if item else cells.get((t.name, r.name, c.name))
            line += "  " + fmt(computed, t.decimals, norwegian).rjust(cell)
            if audited:
                line += " " + (published_text(item.published, t.decimals, norwegian) if item else "").rjust(cell)
                line += " " + (MARKS[item.status] if item else " ")
        lines.append(line.rstrip())
    return lines


def _claim_line(i: Item, program: ir.Program, norwegian: bool, width: int) -> str:
    pct = " %" if i.unit == "%" else ""
    label = i.label
    scenario = i.figure.scenario if i.figure else None
    if scenario and i.name.endswith("." + scenario):  # one claim audited under several bases
        label = f"[{program.scenarios[scenario].title}] {label}"
    left = f"    {MARKS[i.status]} {computed_text(i, norwegian, unit=False) + pct:>13} {published_text(i.published, i.decimals, norwegian) + pct:<12}"
    room = max(20, width - len(left) - 1)
    return f"{left} {_clip(label, room)}"


def computed_text(i: Item, norwegian: bool = False, unit: bool = True) -> str:
    if i.peer is not None or i.published.kind == "name":
        return i.peer or "?"
    if i.computed is None:
        return DASH if i.status != "error" else "?"
    shown = fmt(i.computed, i.decimals + 1, norwegian)
    if not unit or i.unit in ("MNOK", "1"):
        return shown
    return shown + (" %" if i.unit == "%" else f" {unit_label(i.unit, norwegian)}")


def _problem(i: Item, norwegian: bool) -> list[str]:
    pub = published_text(i.published, i.decimals, norwegian)
    comp = computed_text(i, norwegian)
    delta = ""
    if i.delta is not None and i.published.kind in ("number", "range", "none"):
        delta = f", off by {fmt(i.delta, i.decimals + 1, norwegian)}"
    lines = [f"  {MARKS[i.status]} {i.name}: computed {comp}, published {pub}{delta}"]
    if i.note:
        lines.extend(textwrap.wrap(i.note, 78, initial_indent="      ", subsequent_indent="      "))
    return lines


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _path(program: ir.Program, item: Item) -> str:
    claim = next((c for c in program.claims if c.name == item.name), None)
    return claim.span.path if claim and claim.span else ""
