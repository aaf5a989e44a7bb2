"""`benchdsl diff`: the comparison of two runs (`benchdsl.diff.Diff`) as text, JSON or CSV.

Rendering only: every number and every reason comes from the Diff.  JSON fields are described
in docs/diff.md; `SCHEMA` is bumped on any incompatible change.
"""

from __future__ import annotations

import io

from benchdsl.published import round_half_up
from benchdsl.diff import ADDED, CHANGED, NO_SAVING, NOT_COMPUTED, REMOVED, UNCHANGED, Diff, FigureDiff, Key, Side
from benchdsl.report.lang import tr
from benchdsl.report.machine import GuardedWriter, dumps
from benchdsl.report.numbers import DASH, auto, fmt, unit_label
from benchdsl.report.text import MARKS, terminal_safe

SCHEMA = 1
_MAX_EXTRA_DECIMALS = 6  # shown digits added until two different values look different


# --- text -----------------------------------------------------------------------------------


def to_text(d: Diff, everything: bool = False, norwegian: bool = False, lang: str = "en") -> str:
    who = _run_line(d.old) if _same_place(d) else f"{_run_line(d.old)} → {_run_line(d.new)}"
    out = [f"benchdsl diff: {who}", f"  {tr(lang, 'old')}: {_inputs_line(d.old, lang)}",
           f"  {tr(lang, 'new')}: {_inputs_line(d.new, lang)}", ""]
    changed = [f for f in d.figures if f.change == CHANGED]
    shown: set[Key] = set()
    if changed:
        out.append(tr(lang, "Changed (a change of status first, then the largest relative change)"))
        for f in changed:
            out.extend(_changed(f, shown, norwegian, lang))
            shown.add(f.key)
        out.append("")
    for change, title in ((ADDED, "Only in the new run"), (REMOVED, "Only in the old run")):
        only = [f for f in d.figures if f.change == change]
        if only:
            out.append(tr(lang, title))
            for f in only:
                side = f.new if change == ADDED else f.old
                out.append(f"  {_key_text(f.key, lang)}: {_value(side, side.decimals, norwegian, lang)}{_unit(side, norwegian)}")
            out.append("")
    unchanged = [f for f in d.figures if f.change == UNCHANGED]
    if everything and unchanged:
        out.append(tr(lang, "Unchanged"))
        for f in unchanged:
            out.append(f"  {_key_text(f.key, lang)}: {_value(f.new, f.new.decimals, norwegian, lang)}{_unit(f.new, norwegian)}")
        out.append("")
    out.append(d.summary(lang) + ("" if everything or not unchanged or not d.changed else
                                  tr(lang, " (--all lists the unchanged ones)")))
    return terminal_safe("\n".join(out) + "\n")


def _key_text(k: Key, lang: str) -> str:
    """A figure's name, and the basis a measure's figure is under (`Key.__str__` in words)."""
    return tr(lang, "{key} under {basis}", key=k.name, basis=k.basis) if k.basis else k.name


def _run_line(r) -> str:
    return f"{r.own} {r.year}"


def _same_place(d: Diff) -> bool:
    return (d.old.own, d.old.year) == (d.new.own, d.new.year)


def _inputs_line(r, lang: str = "en") -> str:
    panels = ", ".join(r.panels) if r.panels else tr(lang, "no panel")
    return tr(lang, "{rules} with {panels}", rules=", ".join(r.rules), panels=panels)


def _unit(side: Side, norwegian: bool) -> str:
    if side.value is None or side.peer is not None or side.unit in ("", "1", "municipality"):
        return ""
    return " %" if side.unit == "%" else f" {unit_label(side.unit, norwegian)}"


def _value(side: Side, decimals: int, norwegian: bool, lang: str = "en") -> str:
    if side.peer is not None:
        return side.peer
    if side.status == NOT_COMPUTED:
        return tr(lang, "? (not computed)")
    if side.status == NO_SAVING:
        return tr(lang, "{dash} (no saving)", dash=DASH)
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


def _changed(f: FigureDiff, shown: set[Key], norwegian: bool, lang: str = "en") -> list[str]:
    d = _decimals(f)
    key = _key_text(f.key, lang)
    numbers = all(s.value is not None and s.peer is None for s in (f.old, f.new))
    if numbers and f.old.unit == f.new.unit:  # 20.0 → 30.0 kNOK
        line = f"  {key}: {_value(f.old, d, norwegian, lang)} → {_value(f.new, d, norwegian, lang)}{_unit(f.new, norwegian)}"
    else:  # 20.0 kNOK → – (no saving)
        line = (f"  {key}: {_value(f.old, d, norwegian, lang)}{_unit(f.old, norwegian)} → "
                f"{_value(f.new, d, norwegian, lang)}{_unit(f.new, norwegian)}")
    if f.difference is not None and f.difference != 0:
        rel = tr(lang, "from 0") if f.relative is None else f"{_signed(f.relative * 100, 1, norwegian)} %"
        points = tr(lang, " points") if f.new.unit == "%" else ""
        line += f"  ({_signed(f.difference, d, norwegian)}{points}, {rel})"
    if d > f.new.decimals and f.new.value is not None and f.old.value is not None:
        line += tr(lang, "  [the report shows {value} in both]", value=fmt(f.new.value, f.new.decimals, norwegian))
    lines = [line]
    for side, which in ((f.old, "old"), (f.new, "new")):
        if side.status == NOT_COMPUTED and side.reason:
            where = f" ({side.reason_source})" if side.reason_source else ""
            lines.append("    " + tr(lang, "{which}: not computed: {reason}", which=tr(lang, which), reason=side.reason)
                         + where)
    if f.old.audit or f.new.audit:
        if f.old.published != f.new.published:
            lines.append("    " + tr(lang, "audit: {old} (published {old_published}) → {new} (published {new_published})",
                                     old=_audit(f.old, lang), old_published=f.old.published,
                                     new=_audit(f.new, lang), new_published=f.new.published))
        else:
            audit = (_audit(f.new, lang) if f.old.audit == f.new.audit
                     else f"{_audit(f.old, lang)} → {_audit(f.new, lang)}")
            lines.append("    " + tr(lang, "audit: {audit} (published {published})", audit=audit,
                                     published=f.new.published))
    cell_rules = [r for r in f.rules if r.what in ("row", "basis of the column", "decimals")]
    if f.key.kind == "cell" and len(f.figures) == 1 and f.figures[0] in shown and f.figures[0].kind == "measure":
        rules = cell_rules  # the measure's own changes are listed with it, above
        lines.append("    " + tr(lang, "= {figure}, above", figure=_key_text(f.figures[0], lang)))
    else:
        rules = f.rules
        lines.extend(_why(f, norwegian, lang))
    none = tr(lang, "none")
    for r in rules:  # `what` names a part of the rules in the language's own words (saving, indicator cost)
        lines.append("    " + tr(lang, "rules: {what}: {old} → {new}", what=r.what,
                                 old=r.old if r.old is not None else none, new=r.new if r.new is not None else none))
    return lines


def _audit(side: Side, lang: str = "en") -> str:
    if side.audit is None:
        return tr(lang, "not published")
    return f"{MARKS[side.audit]} {side.audit if lang == 'en' else tr(lang, str(side.audit))}"


def _why(f: FigureDiff, norwegian: bool, lang: str = "en") -> list[str]:
    lines = []
    if f.figures:
        lines.append("    " + tr(lang, "computed from changed figures: {figures}",
                                 figures=", ".join(_key_text(k, lang) for k in f.figures)))
    if f.inputs:
        lines.append("    " + tr(lang, "inputs that changed:"))
        no_value = tr(lang, "no value")
        for i in f.inputs:
            what = f"{i.indicator} {i.municipality} {i.year}"
            if i.change == ADDED and i.no_value:
                lines.append(f"      {what}: {no_value} → {_place(i.new, norwegian, lang)}")
            elif i.change == ADDED:
                lines.append(f"      {what}: " + tr(lang, "read by the new run only: {place}",
                                                    place=_place(i.new, norwegian, lang)))
            elif i.no_value:
                lines.append(f"      {what}: {_place(i.old, norwegian, lang).replace('   ', f' → {no_value}   ', 1)}")
            elif i.change == REMOVED:
                lines.append(f"      {what}: " + tr(lang, "read by the old run only: {place}",
                                                    place=_place(i.old, norwegian, lang)))
            else:
                where = (tr(lang, "by formula") if i.old.source == i.new.source == "formula"
                         else f"{i.old.source} → {i.new.source}")
                lines.append(f"      {what}: {_plain(i.old, norwegian, lang)} → {_plain(i.new, norwegian, lang)} "
                             f"{unit_label(i.new.unit, norwegian)}   {where}")
    elif not f.figures:
        lines.append("    " + (tr(lang, "no input changed ({n} read)", n=f.unchanged_inputs) if f.unchanged_inputs
                               else tr(lang, "no input read")))
    for b in f.bases:
        lines.extend(_basis(b, norwegian, lang))
    return lines


def _plain(p, norwegian: bool, lang: str = "en") -> str:
    text = auto(p.value, norwegian)
    if p.adjusted:
        text += tr(lang, " (adjusted by {adjustment})", adjustment=auto(p.adjusted, norwegian))
    return text


def _place(p, norwegian: bool, lang: str = "en") -> str:
    where = tr(lang, "by formula") if p.source == "formula" else p.source
    return f"{_plain(p, norwegian, lang)} {unit_label(p.unit, norwegian)}   {where}"


def _basis(b, norwegian: bool, lang: str = "en") -> list[str]:
    unit = unit_label(b.unit, norwegian)
    num = lambda v: "?" if v is None else auto(v, norwegian)  # noqa: E731
    if b.old_policy is None:
        lines = [tr(lang, "basis of {indicator}: in the new run only: {policy} = {value} {unit}",
                    indicator=b.indicator, policy=b.new_policy, value=num(b.new_value), unit=unit)]
    elif b.new_policy is None:
        lines = [tr(lang, "basis of {indicator}: in the old run only: {policy} = {value} {unit}",
                    indicator=b.indicator, policy=b.old_policy, value=num(b.old_value), unit=unit)]
    elif b.old_policy != b.new_policy:
        lines = [tr(lang, "basis of {indicator}: {old_policy} = {old_value} → {new_policy} = {new_value} {unit}",
                    indicator=b.indicator, old_policy=b.old_policy, old_value=num(b.old_value),
                    new_policy=b.new_policy, new_value=num(b.new_value), unit=unit)]
    else:
        lines = [tr(lang, "basis {policy} of {indicator}: {old_value} → {new_value} {unit}", policy=b.new_policy,
                    indicator=b.indicator, old_value=num(b.old_value), new_value=num(b.new_value), unit=unit)]
    lines = ["    " + line for line in lines]
    if b.old_peer != b.new_peer and b.old_policy is not None and b.new_policy is not None:
        lines.append("      " + tr(lang, "formed by: {old} → {new}", old=b.old_peer or DASH, new=b.new_peer or DASH))
    if b.members_added:
        lines.append("      " + tr(lang, "new members: {municipalities}", municipalities=", ".join(b.members_added)))
    if b.members_removed:
        lines.append("      " + tr(lang, "no longer members: {municipalities}",
                                   municipalities=", ".join(b.members_removed)))
    if b.ranks:
        lines.append("      " + tr(lang, "ranks: {ranks}", ranks=", ".join(
            f"{r.municipality} {_rank(r.old, lang)} → {_rank(r.new, lang)}" for r in b.ranks)))
    if b.old_left_out != b.new_left_out:
        none = tr(lang, "none")
        lines.append("      " + tr(lang, "left out (no value): {municipalities}",
                                   municipalities=f"{', '.join(b.old_left_out) or none} → "
                                                  f"{', '.join(b.new_left_out) or none}"))
    return lines


def _rank(r: int | None, lang: str = "en") -> str:
    return tr(lang, "unranked") if r is None else f"#{r}"


def _signed(v: float, decimals: int, norwegian: bool) -> str:
    text = fmt(v, decimals, norwegian)
    return text if text.startswith("-") or text in ("0", "∞") or set(text) <= set("0.,") else "+" + text


# --- JSON -----------------------------------------------------------------------------------


def to_json(d: Diff, everything: bool = False, norwegian: bool = False, lang: str = "en") -> str:
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


def to_csv(d: Diff, everything: bool = False, norwegian: bool = False, lang: str = "en") -> str:
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
