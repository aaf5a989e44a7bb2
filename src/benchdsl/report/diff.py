"""`benchdsl diff`: the comparison of two runs (`benchdsl.diff.Diff`) as text, JSON or CSV.

Rendering only: every number and every reason comes from the Diff.  JSON fields are described
in docs/diff.md; `SCHEMA` is bumped on any incompatible change.
"""

from __future__ import annotations

import io

from benchdsl.published import round_half_up
from benchdsl.diff import ADDED, CHANGED, NO_SAVING, NOT_COMPUTED, REMOVED, UNCHANGED, Diff, FigureDiff, Key, Side
from benchdsl.report.machine import GuardedWriter, dumps
from benchdsl.report.numbers import DASH, auto, fmt, unit_label
from benchdsl.report.text import MARKS, terminal_safe

SCHEMA = 1
_MAX_EXTRA_DECIMALS = 6  # shown digits added until two different values look different


# --- text -----------------------------------------------------------------------------------


def to_text(d: Diff, everything: bool = False, norwegian: bool = False) -> str:
    who = _run_line(d.old) if _same_place(d) else f"{_run_line(d.old)} → {_run_line(d.new)}"
    out = [f"benchdsl diff: {who}", f"  old: {_inputs_line(d.old)}", f"  new: {_inputs_line(d.new)}", ""]
    changed = [f for f in d.figures if f.change == CHANGED]
    shown: set[Key] = set()
    if changed:
        out.append("Changed (a change of status first, then the largest relative change)")
        for f in changed:
            out.extend(_changed(f, shown, norwegian))
            shown.add(f.key)
        out.append("")
    for change, title in ((ADDED, "Only in the new run"), (REMOVED, "Only in the old run")):
        only = [f for f in d.figures if f.change == change]
        if only:
            out.append(title)
            for f in only:
                side = f.new if change == ADDED else f.old
                out.append(f"  {f.key}: {_value(side, side.decimals, norwegian)}{_unit(side, norwegian)}")
            out.append("")
    unchanged = [f for f in d.figures if f.change == UNCHANGED]
    if everything and unchanged:
        out.append("Unchanged")
        for f in unchanged:
            out.append(f"  {f.key}: {_value(f.new, f.new.decimals, norwegian)}{_unit(f.new, norwegian)}")
        out.append("")
    out.append(d.summary() + ("" if everything or not unchanged or not d.changed else
                              " (--all lists the unchanged ones)"))
    return terminal_safe("\n".join(out) + "\n")


def _run_line(r) -> str:
    return f"{r.own} {r.year}"


def _same_place(d: Diff) -> bool:
    return (d.old.own, d.old.year) == (d.new.own, d.new.year)


def _inputs_line(r) -> str:
    panels = ", ".join(r.panels) if r.panels else "no panel"
    return f"{', '.join(r.rules)} with {panels}"


def _unit(side: Side, norwegian: bool) -> str:
    if side.value is None or side.peer is not None or side.unit in ("", "1", "municipality"):
        return ""
    return " %" if side.unit == "%" else f" {unit_label(side.unit, norwegian)}"


def _value(side: Side, decimals: int, norwegian: bool) -> str:
    if side.peer is not None:
        return side.peer
    if side.status == NOT_COMPUTED:
        return "? (not computed)"
    if side.status == NO_SAVING:
        return f"{DASH} (no saving)"
    return fmt(side.value, decimals, norwegian)


def _decimals(f: FigureDiff) -> int:
    """The report's decimals, or more where two different values would look the same."""
    d = f.new.decimals
    old, new = f.old.value, f.new.value
    if old is None or new is None or f.difference in (None, 0.0):
        return d
    for extra in range(_MAX_EXTRA_DECIMALS + 1):
        if fmt(old, d + extra) != fmt(new, d + extra):
            return d + extra
    return d + _MAX_EXTRA_DECIMALS


def _changed(f: FigureDiff, shown: set[Key], norwegian: bool) -> list[str]:
    d = _decimals(f)
    numbers = all(s.value is not None and s.peer is None for s in (f.old, f.new))
    if numbers and f.old.unit == f.new.unit:  # 20.0 → 30.0 kNOK
        line = f"  {f.key}: {_value(f.old, d, norwegian)} → {_value(f.new, d, norwegian)}{_unit(f.new, norwegian)}"
    else:  # 20.0 kNOK → – (no saving)
        line = (f"  {f.key}: {_value(f.old, d, norwegian)}{_unit(f.old, norwegian)} → "
                f"{_value(f.new, d, norwegian)}{_unit(f.new, norwegian)}")
    if f.difference is not None and f.difference != 0:
        rel = "from 0" if f.relative is None else f"{_signed(f.relative * 100, 1, norwegian)} %"
        points = " points" if f.new.unit == "%" else ""
        line += f"  ({_signed(f.difference, d, norwegian)}{points}, {rel})"
    if d > f.new.decimals and f.new.value is not None and f.old.value is not None:
        line += f"  [the report shows {fmt(f.new.value, f.new.decimals, norwegian)} in both]"
    lines = [line]
    for side, which in ((f.old, "old"), (f.new, "new")):
        if side.status == NOT_COMPUTED and side.reason:
            where = f" ({side.reason_source})" if side.reason_source else ""
            lines.append(f"    {which}: not computed: {side.reason}{where}")
    if f.old.audit or f.new.audit:
        if f.old.published != f.new.published:
            lines.append(f"    audit: {_audit(f.old)} (published {f.old.published}) → "
                         f"{_audit(f.new)} (published {f.new.published})")
        else:
            audit = _audit(f.new) if f.old.audit == f.new.audit else f"{_audit(f.old)} → {_audit(f.new)}"
            lines.append(f"    audit: {audit} (published {f.new.published})")
    cell_rules = [r for r in f.rules if r.what in ("row", "basis of the column", "decimals")]
    if f.key.kind == "cell" and len(f.figures) == 1 and f.figures[0] in shown and f.figures[0].kind == "measure":
        rules = cell_rules  # the measure's own changes are listed with it, above
        lines.append(f"    = {f.figures[0]}, above")
    else:
        rules = f.rules
        lines.extend(_why(f, norwegian))
    for r in rules:
        lines.append(f"    rules: {r.what}: {r.old if r.old is not None else 'none'} → {r.new if r.new is not None else 'none'}")
    return lines


def _audit(side: Side) -> str:
    return "not published" if side.audit is None else f"{MARKS[side.audit]} {side.audit}"


def _why(f: FigureDiff, norwegian: bool) -> list[str]:
    lines = []
    if f.figures:
        lines.append("    computed from changed figures: " + ", ".join(str(k) for k in f.figures))
    if f.inputs:
        lines.append("    inputs that changed:")
        for i in f.inputs:
            what = f"{i.indicator} {i.municipality} {i.year}"
            if i.change == ADDED and i.no_value:
                lines.append(f"      {what}: no value → {_place(i.new, norwegian)}")
            elif i.change == ADDED:
                lines.append(f"      {what}: read by the new run only: {_place(i.new, norwegian)}")
            elif i.no_value:
                lines.append(f"      {what}: {_place(i.old, norwegian).replace('   ', ' → no value   ', 1)}")
            elif i.change == REMOVED:
                lines.append(f"      {what}: read by the old run only: {_place(i.old, norwegian)}")
            else:
                where = ("by formula" if i.old.source == i.new.source == "formula"
                         else f"{i.old.source} → {i.new.source}")
                lines.append(f"      {what}: {_plain(i.old, norwegian)} → {_plain(i.new, norwegian)} "
                             f"{unit_label(i.new.unit, norwegian)}   {where}")
    elif not f.figures:
        lines.append(f"    no input changed ({f.unchanged_inputs} read)" if f.unchanged_inputs
                     else "    no input read")
    for b in f.bases:
        lines.extend(_basis(b, norwegian))
    return lines


def _plain(p, norwegian: bool) -> str:
    text = auto(p.value, norwegian)
    if p.adjusted:
        text += f" (adjusted by {auto(p.adjusted, norwegian)})"
    return text


def _place(p, norwegian: bool) -> str:
    where = "by formula" if p.source == "formula" else p.source
    return f"{_plain(p, norwegian)} {unit_label(p.unit, norwegian)}   {where}"


def _basis(b, norwegian: bool) -> list[str]:
    unit = unit_label(b.unit, norwegian)
    num = lambda v: "?" if v is None else auto(v, norwegian)  # noqa: E731
    if b.old_policy is None:
        lines = [f"    basis of {b.indicator}: in the new run only: {b.new_policy} = {num(b.new_value)} {unit}"]
    elif b.new_policy is None:
        lines = [f"    basis of {b.indicator}: in the old run only: {b.old_policy} = {num(b.old_value)} {unit}"]
    elif b.old_policy != b.new_policy:
        lines = [f"    basis of {b.indicator}: {b.old_policy} = {num(b.old_value)} → "
                 f"{b.new_policy} = {num(b.new_value)} {unit}"]
    else:
        lines = [f"    basis {b.new_policy} of {b.indicator}: {num(b.old_value)} → {num(b.new_value)} {unit}"]
    if b.old_peer != b.new_peer and b.old_policy is not None and b.new_policy is not None:
        lines.append(f"      formed by: {b.old_peer or DASH} → {b.new_peer or DASH}")
    if b.members_added:
        lines.append(f"      new members: {', '.join(b.members_added)}")
    if b.members_removed:
        lines.append(f"      no longer members: {', '.join(b.members_removed)}")
    if b.ranks:
        lines.append("      ranks: " + ", ".join(f"{r.municipality} {_rank(r.old)} → {_rank(r.new)}" for r in b.ranks))
    if b.old_left_out != b.new_left_out:
        lines.append(f"      left out (no value): {', '.join(b.old_left_out) or 'none'} → "
                     f"{', '.join(b.new_left_out) or 'none'}")
    return lines


def _rank(r: int | None) -> str:
    return "unranked" if r is None else f"#{r}"


def _signed(v: float, decimals: int, norwegian: bool) -> str:
    text = fmt(v, decimals, norwegian)
    return text if text.startswith("-") or text in ("0", "∞") or set(text) <= set("0.,") else "+" + text


# --- JSON -----------------------------------------------------------------------------------


def to_json(d: Diff, everything: bool = False, norwegian: bool = False) -> str:
    doc = {
        "schema": SCHEMA,
        "old": _run(d.old),
        "new": _run(d.new),
        "summary": {"text": d.summary(), **{c: d.count(c) for c in (CHANGED, ADDED, REMOVED, UNCHANGED)}},
        "figures": [_figure(f) for f in d.figures if everything or f.change != UNCHANGED],
    }
    return dumps(doc, indent=2)


def _run(r) -> dict:
    return {"rules": list(r.rules), "panels": list(r.panels), "own": r.own, "year": r.year}


def _key(k: Key) -> dict:
    return {"kind": k.kind, "name": k.name, "basis": k.basis}


def _side(s: Side | None) -> dict | None:
    if s is None:
        return None
    return {"value": s.value, "shown": round_half_up(s.value, s.decimals) if s.value is not None else None,
            "peer": s.peer, "status": s.status, "unit": s.unit, "decimals": s.decimals, "basis": s.basis,
            "reason": s.reason, "reason_source": s.reason_source, "audit": s.audit, "published": s.published,
            "source": s.source}


def _place_json(p) -> dict | None:
    if p is None:
        return None
    return {"value": p.value, "unit": p.unit, "source": p.source, "provenance": p.provenance, "adjusted_by": p.adjusted}


def _figure(f: FigureDiff) -> dict:
    side = f.new or f.old
    return {
        "kind": f.key.kind, "name": f.key.name, "basis": f.key.basis if f.key.kind == "measure" else side.basis,
        "change": f.change, "old": _side(f.old), "new": _side(f.new),
        "difference": f.difference, "relative": f.relative,
        "inputs": [{"indicator": i.indicator, "municipality": i.municipality, "year": i.year, "change": i.change,
                    "no_value": i.no_value, "old": _place_json(i.old), "new": _place_json(i.new)} for i in f.inputs],
        "unchanged_inputs": f.unchanged_inputs,
        "bases": [{"indicator": b.indicator, "unit": b.unit, "old_policy": b.old_policy, "new_policy": b.new_policy,
                   "old_value": b.old_value, "new_value": b.new_value, "old_peer": b.old_peer, "new_peer": b.new_peer,
                   "members_added": list(b.members_added), "members_removed": list(b.members_removed),
                   "ranks": [{"municipality": r.municipality, "old": r.old, "new": r.new} for r in b.ranks],
                   "old_left_out": list(b.old_left_out), "new_left_out": list(b.new_left_out)} for b in f.bases],
        "rules": [{"what": r.what, "old": r.old, "new": r.new} for r in f.rules],
        "computed_from": [_key(k) for k in f.figures],
    }


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = ("kind", "name", "basis", "change", "old", "new", "unit", "difference", "relative",
              "old_status", "new_status", "old_audit", "new_audit", "inputs_changed", "inputs", "bases", "rules",
              "computed_from")


def to_csv(d: Diff, everything: bool = False, norwegian: bool = False) -> str:
    buf = io.StringIO()
    w = GuardedWriter(buf, norwegian)
    w.writerow(CSV_HEADER)
    num = lambda v: "" if v is None else (repr(v).replace(".", ",") if norwegian else repr(v))  # noqa: E731
    gone = lambda i: "no value" if i.no_value else "not read"  # noqa: E731
    for f in d.figures:
        if f.change == UNCHANGED and not everything:
            continue
        side = f.new or f.old
        cell = lambda s: "" if s is None else s.peer if s.peer is not None else num(s.value)  # noqa: E731
        inputs = "; ".join(
            f"{i.indicator} {i.municipality} {i.year}: "
            f"{num(i.old.value) + ' (' + i.old.source + ')' if i.old else gone(i)} → "
            f"{num(i.new.value) + ' (' + i.new.source + ')' if i.new else gone(i)}" for i in f.inputs)
        bases = "; ".join(f"{b.indicator}: {b.old_policy or 'none'} = {num(b.old_value)} → "
                          f"{b.new_policy or 'none'} = {num(b.new_value)}" for b in f.bases)
        rules = "; ".join(f"{r.what}: {r.old or 'none'} → {r.new or 'none'}" for r in f.rules)
        w.writerow([f.key.kind, f.key.name, f.key.basis if f.key.kind == "measure" else side.basis or "",
                    f.change, cell(f.old), cell(f.new), side.unit, num(f.difference), num(f.relative),
                    f.old.status if f.old else "", f.new.status if f.new else "",
                    (f.old.audit or "") if f.old else "", (f.new.audit or "") if f.new else "",
                    len(f.inputs), inputs, bases, rules, "; ".join(str(k) for k in f.figures)])
    return buf.getvalue()
