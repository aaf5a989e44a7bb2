"""Indicator panels: values with units and provenance, read from CSV.

A panel is a long table, one observation per line:

    variable,municipality,year,value,unit,provenance,note
    sfo_brutto_per_bruker,Trondheim,2007,24208,NOK/user,derived,"..."

`municipality` may be a name or a kommunenummer ("1601" or "1601 Trondheim").
Semicolon-separated files with decimal commas (as SSB exports them) are read
too, and SSB's symbols for missing values (. .. ... : -) become explicit gaps,
never zeros.  Every observation remembers its file and line for `explain`.
"""

from __future__ import annotations

import csv
import io
import math
import re

import attrs

from benchdsl import ir, units
from benchdsl.ast import Span
from benchdsl.diagnostics import Diagnostic, Sources, did_you_mean, error, warning

REQUIRED = ("variable", "municipality", "year", "value", "unit")
MISSING_SYMBOLS = {
    ".": "not available (SSB '.')",
    "..": "not yet published (SSB '..')",
    "...": "not applicable (SSB '...')",
    ":": "confidential (SSB ':')",
    "-": "nil (SSB '-')",
    "": "empty",
}
PROVENANCE = ("stated", "derived", "assumed", "kostra", "ssb")


@attrs.frozen
class Obs:
    variable: str
    municipality: str
    year: int
    value: float | None
    unit: str
    span: Span
    provenance: str = ""
    note: str = ""
    missing: str | None = None
    unit_span: Span | None = None


@attrs.frozen
class Value:
    """An observation bound to an indicator: its value in the indicator's unit."""

    value: float
    obs: Obs


def _read_text(path: str, span: Span | None, what: str) -> tuple[str | None, list[Diagnostic]]:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        return None, [error(span, f"cannot read {what} `{path}`: {exc.strerror}")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return raw.decode("latin-1"), []  # SSB's older exports


def read_panel(path: str, program: ir.Program, sources: Sources, span: Span | None,
               progress=None, mapping_path: str | None = None) -> tuple[list[Obs], list[Diagnostic]]:
    """A benchdsl panel, or with a mapping an SSB Statbank CSV or JSON-stat file."""
    text, diags = _read_text(path, span, "panel")
    if text is None:
        return [], diags
    sources.add(path, text)
    if mapping_path is None:
        if path.lower().endswith(".json"):
            return [], [error(span, f"`{path}` is JSON-stat: say which series feed which variable",
                              f'write: panel "{path}" mapping "MAPPING.csv"')]
        return parse_panel(text, path, program, progress)
    from benchdsl import ssb

    mtext, diags = _read_text(mapping_path, span, "mapping")
    if mtext is None:
        return [], diags
    sources.add(mapping_path, mtext)
    mapping, diags = ssb.read_mapping(mtext, mapping_path)
    if diags:
        return [], diags
    if path.lower().endswith(".json"):
        return ssb.read_jsonstat(text, path, program, mapping)
    return ssb.read_statbank_csv(text, path, program, mapping)


def parse_panel(text: str, path: str, program: ir.Program, progress=None) -> tuple[list[Obs], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    lines = text.splitlines()
    step = progress.step if progress is not None else (lambda *a: None)
    header_at = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if header_at is None:
        return [], [error(Span(path, 1, 1), "the panel is empty", "the first line names the columns: " + ",".join(REQUIRED))]
    head = lines[header_at]
    delim = ";" if head.count(";") > head.count(",") else ","
    decimal_comma = delim == ";"
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])), delimiter=delim)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return [], [error(Span(path, header_at + 1, 1), f"cannot read the header: {exc}")]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = None
        for m in missing:
            hint = hint or next((f"did you mean `{h}` for `{m}`?" for h in header if did_you_mean(m, [h])), None)
        return [], [error(Span(path, header_at + 1, 1), f"the panel lacks column(s) {', '.join(missing)}",
                          hint or "the first line names the columns: " + ",".join(REQUIRED))]
    col = {name: header.index(name) for name in header}
    by_code = {code: name for name, code in program.municipalities.items() if code}
    known_names = set(program.municipalities)
    out: list[Obs] = []
    seen: dict[tuple, Obs] = {}
    lineno = header_at + 1
    try:
        for row in reader:
            lineno = header_at + reader.line_num
            if lineno % 5000 == 0:
                step(f"reading {path}", lineno, len(lines))
            if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            raw_line = lines[lineno - 1] if lineno - 1 < len(lines) else ""

            def where(field: str) -> Span:
                i = col[field]
                cell = row[i] if i < len(row) else ""
                c = raw_line.find(cell) + 1 if cell else 1
                return Span(path, lineno, max(c, 1), lineno, max(c, 1) + max(len(cell), 1))

            if len(row) != len(header):
                hint = None
                if len(row) > len(header) and re.search(r"\d,\d", raw_line):
                    hint = "a decimal comma splits the field: write 29.7, quote it (\"29,7\"), or use ; as separator"
                diags.append(error(Span(path, lineno, 1, lineno, len(raw_line) + 1),
                                   f"this line has {len(row)} fields, the header {len(header)}", hint))
                continue
            variable = row[col["variable"]].strip()
            muni = _municipality(row[col["municipality"]].strip(), by_code, known_names)
            try:
                year = int(row[col["year"]].strip())
            except ValueError:
                diags.append(error(where("year"), f"year `{row[col['year']].strip()}` is not a year"))
                continue
            cell = row[col["value"]].strip()
            value, gap = _number(cell, decimal_comma)
            if value is None and gap is None:
                hint = "write decimals with a point: 29.7" if "," in cell and not decimal_comma else None
                diags.append(error(where("value"), f"`{cell}` is not a number", hint))
                continue
            if value is not None and not math.isfinite(value):
                diags.append(error(where("value"), f"`{cell}` is not a finite number"))
                continue
            obs = Obs(
                variable, muni, year, value, row[col["unit"]].strip(), where("value"),
                row[col["provenance"]].strip() if "provenance" in col and col["provenance"] < len(row) else "",
                row[col["note"]].strip() if "note" in col and col["note"] < len(row) else "",
                gap,
                where("unit"),
            )
            key = (variable, muni, year)
            if key in seen:
                diags.append(error(obs.span, f"{variable} for {muni} {year} is given twice (first at {seen[key].span})"))
                continue
            seen[key] = obs
            out.append(obs)
    except csv.Error as exc:
        diags.append(error(Span(path, lineno, 1), f"cannot read this line: {exc}"))
    return out, diags


def _municipality(cell: str, by_code: dict[str, str], known: set[str]) -> str:
    m = re.match(r"^[Kk]?(\d{4})\b\s*(.*)$", cell)
    if m:
        if m.group(1) in by_code:
            return by_code[m.group(1)]
        return m.group(2).strip() or m.group(1)
    return cell


def _number(cell: str, decimal_comma: bool) -> tuple[float | None, str | None]:
    if cell in MISSING_SYMBOLS:
        return None, MISSING_SYMBOLS[cell]
    text = cell.replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    try:
        return float(text), None
    except ValueError:
        return None, None


def bind(observations: list[Obs], program: ir.Program) -> tuple[dict[tuple[str, str, int], Value | Obs], list[Diagnostic]]:
    """Attach observations to the indicators that read them, converting units.

    Returns {(indicator, municipality, year): Value}, or the Obs itself where
    the value is missing (so the gap can be explained).
    """
    diags: list[Diagnostic] = []
    readers: dict[str, list[ir.Indicator]] = {}
    for ind in program.indicators.values():
        if ind.source:
            readers.setdefault(ind.source, []).append(ind)
    values: dict[tuple[str, str, int], Value | Obs] = {}
    for obs in observations:
        for ind in readers.get(obs.variable, ()):
            if obs.value is None:
                values[(ind.name, obs.municipality, obs.year)] = obs
                continue
            try:
                f = units.text_factor(obs.unit or "dimensionless", ind.unit)
            except units.UnitError as exc:
                diags.append(error(obs.unit_span or obs.span, f"{obs.variable} is given in `{obs.unit}`, but indicator `{ind.name}` is in {ind.unit}: {exc}",
                                   exc.hint))
                continue
            if obs.value < 0 and units.is_count(ind.unit):
                diags.append(error(obs.span, f"{obs.variable} for {obs.municipality} {obs.year} is negative, "
                                             f"but `{ind.name}` counts {ind.unit}"))
                continue
            values[(ind.name, obs.municipality, obs.year)] = Value(obs.value * f, obs)
    unknown = sorted({o.municipality for o in observations} - set(program.municipalities))
    if unknown and len(unknown) <= 5:
        first = next(o for o in observations if o.municipality == unknown[0])
        diags.append(warning(first.span, f"municipality `{unknown[0]}` is not declared in the rules",
                             did_you_mean(unknown[0], program.municipalities) or "declare it with: municipality NAME CODE"))
    return values, diags
