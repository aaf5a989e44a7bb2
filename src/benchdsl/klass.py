"""KOSTRA's municipality groups (kommunegrupper) from an SSB KLASS classification file.

SSB publishes which municipality is in which KOSTRA group as a correspondence table in KLASS,
from classification 131 (municipalities) to 112 (the KOSTRA grouping), one line per code and
group with the dates the line holds:

    "sourceCode";"sourceName";"sourceShortName";"targetCode";"targetName";"targetShortName";"validFrom";"validTo"
    "1601";"Trondheim";"";"EKG13";"Kostragruppe 13 - Store kommuner med …";"";"2015-01-01";"2018-01-01"

`group K13 from "klass_112.csv" code "EKG13"` takes its members from such a file.  A line counts
in year Y when it holds on 1 January of Y: `validFrom` <= Y-01-01 < `validTo` (KLASS's `validTo`
is the first day it no longer holds; empty while it does).  Each code is matched through the
municipality register (`registry`), so 1601 (to 2017) and 5001 (from 2018) are one member,
Trondheim, in the years either code was in the group.

    read(path, span)                           -> (Table | None, diagnostics)
    members(table, code, code_span, declared)  -> ([(name, periods)], diagnostics)

The file is read whenever the rules are checked; the checked program records its sha256
(`ir.Program.inputs`), and the cache uses a kept program only while the file is unchanged.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re

import attrs

from benchdsl.diagnostics import Diagnostic, did_you_mean, error, split_lines, warning
from benchdsl.span import Span

# KLASS's column names (case does not matter); "…InRequestedRange" is KLASS's name for the dates
# clipped to the range the file was downloaded for.
COLUMNS = {
    "sourcecode": "sourceCode", "sourcename": "sourceName", "targetcode": "targetCode", "targetname": "targetName",
    "validfrom": "validFrom", "validto": "validTo",
    "validfrominrequestedrange": "validFrom", "validtoinrequestedrange": "validTo",
}
REQUIRED = ("sourceCode", "targetCode", "validFrom", "validTo")
SHAPE = ("KLASS's correspondence table from classification 131 (municipalities) to 112 (KOSTRA groups): "
         "sourceCode;sourceName;sourceShortName;targetCode;targetName;targetShortName;validFrom;validTo, "
         "downloaded for a range of dates (not for one date), so that each line says when it holds")
MAX_UNKNOWN = 10  # members the register does not know, each reported at its line; then one line for the rest

_MUNICIPALITY_CODE = re.compile(r"^[0-9]{4}$")
_GROUP_NUMBER = re.compile(r"^[A-Za-z]*0*([0-9]+)$")  # EKG13, EKG01, 13
# a number in a name: "KOSTRA-gruppe 13", "Kostragruppe 13 - Store kommuner …"
_NAME_NUMBER = re.compile(r"kostra-?\s*gruppe\s+0*([0-9]+)\b", re.IGNORECASE)


@attrs.frozen
class Line:
    """One line of the file: a municipality code in a group, and the years it holds (None: open)."""

    municipality: str
    name: str
    group: str
    first: int | None
    last: int | None
    span: Span


@attrs.frozen
class Table:
    path: str
    sha256: str
    lines: tuple[Line, ...]
    groups: dict[str, str]  # code -> name, in the file's order


def read(path: str, span: Span | None) -> tuple[Table | None, list[Diagnostic]]:
    """The file's lines; None with located errors where it cannot be read as KLASS's table."""
    from benchdsl.data import csv_error, decode
    from benchdsl.files import DATA_LIMIT, InputError, read_input

    try:
        raw = read_input(path, "classification file", DATA_LIMIT)
    except InputError as exc:
        return None, [error(span, exc.message, "; ".join(x for x in (exc.hint, "the path is relative to the rule file that names it") if x))]
    text, diags = decode(raw, path, "classification file")
    if text is None:
        return None, diags
    lines = split_lines(text)
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        return None, [error(Span(path, 1, 1), "the classification file is empty", SHAPE)]
    delim = ";" if lines[first].count(";") > lines[first].count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=delim)
    rows, at = [], first
    try:
        for row in reader:
            rows.append((at + 1, row))
            at = first + reader.line_num
    except csv.Error as exc:
        return None, [csv_error(exc, Span(path, first + max(reader.line_num, 1), 1))]
    head_line, header = rows[0]
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        columns.setdefault(COLUMNS.get(h.strip().lower(), h.strip()), i)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        names = ", ".join(f"`{c}`" for c in missing)
        return None, [error(Span(path, head_line, 1, head_line, len(lines[head_line - 1]) + 1),
                            f"the classification file has no column {names}" if len(missing) == 1
                            else f"the classification file has no columns {names}", SHAPE)]
    body = [(n, r) for n, r in rows[1:] if any(c.strip() for c in r)]
    # KLASS gives the table either way round (131 to 112, or 112 to 131): the side with the
    # municipalities' four-digit codes is the municipalities'
    src, dst = columns["sourceCode"], columns["targetCode"]
    if _count_codes(body, dst) > _count_codes(body, src):
        src, dst = dst, src
        names = columns.get("targetName"), columns.get("sourceName")
    else:
        names = columns.get("sourceName"), columns.get("targetName")
    out, groups = [], {}
    for n, r in body:
        raw_line = lines[n - 1]
        if len(r) != len(header):
            diags.append(error(Span(path, n, 1, n, len(raw_line) + 1),
                               f"this line has {len(r)} field{'s' if len(r) != 1 else ''}, the header {len(header)}"))
            continue
        years = []
        for key, is_end in (("validFrom", False), ("validTo", True)):
            cell = r[columns[key]]
            year, bad = _year(cell, is_end)
            if bad:
                from benchdsl.data import cell_span, field_starts

                diags.append(error(cell_span(path, n, field_starts(raw_line, delim), columns[key], cell),
                                   f"`{cell.strip()}` is not a date in `{key}`",
                                   "KLASS writes dates as yyyy-mm-dd (2020-01-01); an empty `validTo` holds still"))
            years.append(year)
        code, group = r[src].strip(), r[dst].strip()
        if not code or not group:
            diags.append(error(Span(path, n, 1, n, len(raw_line) + 1), "this line has no municipality code"
                               if not code else "this line has no group code"))
            continue
        groups.setdefault(group, r[names[1]].strip() if names[1] is not None else "")
        out.append(Line(code, r[names[0]].strip() if names[0] is not None else "", group, years[0], years[1],
                        Span(path, n, 1, n, len(raw_line) + 1)))
    if any(d.is_error for d in diags):
        return None, diags
    return Table(path, hashlib.sha256(raw).hexdigest(), tuple(out), groups), diags


def _count_codes(rows, i: int) -> int:
    return sum(1 for _, r in rows if i < len(r) and _MUNICIPALITY_CODE.match(r[i].strip()))


def _year(cell: str, is_end: bool) -> tuple[int | None, bool]:
    """`validFrom` -> the first year whose 1 January it holds on; `validTo` (exclusive) -> the last.
    (None, False) for an empty cell (open), (None, True) for one that is not a date."""
    text = cell.strip()
    if not text:
        return None, False
    try:
        day = datetime.date.fromisoformat(text[:10]) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        return None, True
    new_year = (day.month, day.day) == (1, 1)
    if is_end:
        return day.year - 1 if new_year else day.year, False
    return day.year if new_year else day.year + 1, False


# --- a group's members -----------------------------------------------------------------


def find(table: Table, wanted: str) -> list[str]:
    """The groups `wanted` may name: its code as KLASS writes it (`EKG13`, any case), else its number
    (`13`: the digits of a code, else the number in a name `KOSTRA-gruppe 13`).  One is found; none
    or several are an error."""
    text = wanted.strip()
    exact = [g for g in table.groups if g.casefold() == text.casefold()]
    if exact or not text.isdigit():
        return exact[:1]
    number = int(text)
    by_code = [g for g in table.groups if (m := _GROUP_NUMBER.match(g)) and int(m.group(1)) == number]
    if by_code:
        return by_code
    return [g for g, name in table.groups.items() if (m := _NAME_NUMBER.search(name)) and int(m.group(1)) == number]


def group_list(table: Table) -> str:
    def key(g: str):
        m = _GROUP_NUMBER.match(g)
        return (0, int(m.group(1)), g) if m else (1, 0, g)

    return ", ".join(sorted(table.groups, key=key))


def members(table: Table, wanted: str, span: Span | None, declared: dict[str, str | None], group: str = "",
            register=None) -> tuple[list[tuple[str, list[tuple[int | None, int | None]]]], list[Diagnostic]]:
    """The members of group `wanted`, in the file's order, each with the years it is one (merged
    across its codes: Trondheim's 1601 and 5001 are one member).  `declared`: the rules'
    municipalities (name -> code); a member the rules declare is called by their name, any other
    by the register's (as a panel's cells are named, `data.Municipalities`)."""
    found = find(table, wanted)
    if len(found) > 1:
        return [], [error(span, f"`{wanted}` names {len(found)} groups in `{table.path}`: {', '.join(found)}",
                          f"write the group's code: code \"{found[0]}\"")]
    if not found:
        numbers = [m.group(1).lstrip("0") for g in table.groups if (m := _GROUP_NUMBER.match(g))]
        hint = did_you_mean(wanted.strip(), list(table.groups) + numbers)
        listed = f"its groups: {group_list(table)}"
        return [], [error(span, f"`{table.path}` has no group `{wanted}`", f"{hint} ({listed})" if hint else listed)]
    code = found[0]
    if register is None:
        from benchdsl import registry

        register = registry.default()
    by_code = {c: n for n, c in declared.items() if c}
    as_declared: dict = {}
    for n, c in declared.items():
        m, problem = register.declared(n, c)
        if m is not None and (problem is None or not problem.is_error):
            as_declared.setdefault(m, n)
    periods: dict[str, list[tuple[int | None, int | None]]] = {}
    diags: list[Diagnostic] = []
    unknown: list[Line] = []
    for line in table.lines:
        if line.group != code:
            continue
        if line.first is not None and line.last is not None and line.last < line.first:
            continue  # holds on no 1 January: in no year's group
        name = by_code.get(line.municipality)
        if name is None:
            year = line.first if line.first is not None else line.last if line.last is not None else 2024
            m, problem = register.resolve(f"{line.municipality} {line.name}".strip(), year)
            if m is None:
                unknown.append(line)
                continue
            name = as_declared.get(m) or m.name
            if problem is not None:
                diags.append(problem.diagnostic(line.span))
        periods.setdefault(name, []).append((line.first, line.last))
    for line in unknown[:MAX_UNKNOWN]:
        plain = re.sub(r"\W+", "_", line.name.split(" - ")[0]).strip("_") or "NAME"
        of = f"{code} (group `{group}`)" if group else code
        diags.append(error(line.span, f"{line.municipality} {line.name}".strip() + f", a member of {of}, "
                           "is not in the municipality register",
                           f"declare it with this code (municipality {plain} {line.municipality}); the register "
                           "knows every code from 2024 and the ASSS municipalities' older ones"))
    if len(unknown) > MAX_UNKNOWN:
        rest = unknown[MAX_UNKNOWN:]
        diags.append(error(span, f"and {len(rest)} more members of {code} that the municipality register does not "
                                 f"know: {', '.join(x.municipality for x in rest[:20])}"
                                 + (", …" if len(rest) > 20 else ""),
                           "declare each with its code (municipality NAME CODE)"))
    if not periods and not unknown:
        diags.append(warning(span, f"group {code} in `{table.path}` has no member in any year"))
    return [(name, merge(ps)) for name, ps in periods.items()], diags


def merge(periods: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
    """Periods joined where they overlap or follow each other; [] where they cover every year."""
    lo_key = lambda p: -10**9 if p[0] is None else p[0]  # noqa: E731
    out: list[list] = []
    for lo, hi in sorted(periods, key=lo_key):
        if out and (out[-1][1] is None or lo is None or lo <= out[-1][1] + 1):
            if out[-1][1] is not None and (hi is None or hi > out[-1][1]):
                out[-1][1] = hi
            continue
        out.append([lo, hi])
    merged = [(lo, hi) for lo, hi in out]
    return [] if merged == [(None, None)] else merged
