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
from benchdsl.diagnostics import Diagnostic, Sources, did_you_mean, error, split_lines, warning
from benchdsl.files import DATA_LIMIT, InputError, read_input

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


def read_text(path: str, span: Span | None, sources: Sources, what: str) -> tuple[str | None, list[Diagnostic]]:
    """A data file's text, its encoding told apart (see `decode`); a located error if it cannot be read."""
    try:
        raw = read_input(path, what, DATA_LIMIT)
    except InputError as exc:
        if span is None:
            span = Span(path, 1, 1)
            sources.add(path, "")  # quoting the line must not open a FIFO or /dev/zero again
        return None, [error(span, exc.message, exc.hint)]
    text, diags = decode(raw, path, what)
    if text is None:
        sources.add(path, raw.decode("utf-8", "replace").replace("\x00", "\N{SYMBOL FOR NULL}"))
        return None, diags
    sources.add(path, text)
    return text, diags


# A valid UTF-8 sequence of two to four bytes (RFC 3629: no overlongs, no surrogates).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                             rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}"
                             rb"|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def decode(raw: bytes, path: str, what: str = "panel") -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (a BOM allowed) if the bytes are valid UTF-8; Latin-1 if they hold no valid
    UTF-8 sequence of two or more bytes at all (SSB's older exports); otherwise the file
    mixes the two, and guessing would corrupt one part (`Sørli` read as `SÃ¸rli`)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [error(Span(path, 1, 1), f"this {what} is UTF-16, not UTF-8 or Latin-1",
                            "save it as CSV UTF-8 (Excel: Save As, CSV UTF-8)")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        return None, [error(_byte_span(raw, nul, path), f"this looks like a binary file, not a {what} (it has NUL bytes)",
                            f"is this the right file? a {what} is a CSV text file")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        bad = exc.start
    utf8 = _UTF8_MULTIBYTE.search(raw)
    if utf8 is None:
        return raw.decode("latin-1"), []
    seq = utf8.group(0)
    where = _byte_span(raw, utf8.start(), path)
    latin = bytes([raw[bad]]).decode("latin-1")
    latin = f" (`{latin}` in Latin-1)" if latin.isprintable() else ""
    return None, [error(_byte_span(raw, bad, path),
                        f"this file mixes encodings: byte 0x{raw[bad]:02X}{latin} here is not UTF-8, "
                        f"but line {where.line} has UTF-8 `{seq.decode('utf-8')}`",
                        "save the whole file in one encoding, preferably UTF-8")]


def _byte_span(raw: bytes, offset: int, path: str) -> Span:
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", "replace")) + 1
    return Span(path, line, col, line, col + 1)


def read_panel(path: str, program: ir.Program, sources: Sources, span: Span | None,
               progress=None, mapping_path: str | None = None) -> tuple[list[Obs], list[Diagnostic]]:
    """A benchdsl panel, or with a mapping an SSB Statbank CSV or JSON-stat file."""
    text, diags = read_text(path, span, sources, "panel")
    if text is None:
        return [], diags
    if mapping_path is None:
        if path.lower().endswith(".json"):
            return [], [error(span or Span(path, 1, 1), f"`{path}` is JSON-stat: say which series feed which variable",
                              f'write: panel "{path}" mapping "MAPPING.csv"')]
        return parse_panel(text, path, program, progress)
    from benchdsl import ssb

    mtext, diags = read_text(mapping_path, span, sources, "mapping")
    if mtext is None:
        return [], diags
    mapping, diags = ssb.read_mapping(mtext, mapping_path)
    if diags:
        return [], diags
    if path.lower().endswith(".json"):
        return ssb.read_jsonstat(text, path, program, mapping)
    return ssb.read_statbank_csv(text, path, program, mapping)


def parse_panel(text: str, path: str, program: ir.Program, progress=None) -> tuple[list[Obs], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    lines = split_lines(text)
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
        return [], [csv_error(exc, Span(path, header_at + 1, 1))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = None
        for m in missing:
            hint = hint or next((f"did you mean `{h}` for `{m}`?" for h in header if did_you_mean(m, [h])), None)
        return [], [error(Span(path, header_at + 1, 1), f"the panel lacks column(s) {', '.join(missing)}",
                          hint or "the first line names the columns: " + ",".join(REQUIRED))]
    twice = next((h for i, h in enumerate(header) if h and h in header[:i]), None)
    if twice is not None:
        return [], [error(Span(path, header_at + 1, 1), f"the column `{twice}` is named twice",
                          "which one holds the values? rename or remove the other")]
    col = {name: header.index(name) for name in header}
    by_code = {code: name for name, code in program.municipalities.items() if code}
    known_names = set(program.municipalities)
    out: list[Obs] = []
    seen: dict[tuple, Obs] = {}
    lineno = header_at + reader.line_num
    try:
        for row in reader:
            first = lineno + 1  # where this row starts (a quoted field may span lines)
            lineno = header_at + reader.line_num
            if lineno % 5000 == 0:
                step(f"reading {path}", lineno, len(lines))
            if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            raw_line = lines[first - 1] if first - 1 < len(lines) else ""
            starts = field_starts(raw_line, delim)

            def where(field: str) -> Span:
                return cell_span(path, first, starts, col[field], row[col[field]])

            if len(row) != len(header):
                hint = None
                if len(row) > len(header) and re.search(r"\d,\d", raw_line):
                    hint = "a decimal comma splits the field: write 29.7, quote it (\"29,7\"), or use ; as separator"
                diags.append(error(Span(path, first, 1, first, len(raw_line) + 1),
                                   f"this line has {len(row)} fields, the header {len(header)}", hint))
                continue
            variable = row[col["variable"]].strip()
            muni = _municipality(row[col["municipality"]].strip(), by_code, known_names)
            year = read_year(row[col["year"]])
            if year is None:
                diags.append(error(where("year"), f"year `{row[col['year']].strip()}` is not a year",
                                   "write the year with the digits 0-9: 2007"))
                continue
            cell = row[col["value"]].strip()
            value, gap, problem = read_number(cell, decimal_comma, grouping=decimal_comma)
            if problem is not None:
                diags.append(error(where("value"), *problem))
                continue
            obs = Obs(
                variable, muni, year, value, row[col["unit"]].strip(), where("value"),
                row[col["provenance"]].strip() if "provenance" in col else "",
                row[col["note"]].strip() if "note" in col else "",
                gap,
                where("unit"),
            )
            key = (variable, muni, year)
            if key in seen:
                diags.append(twice_error(obs, seen[key]))
                continue
            seen[key] = obs
            out.append(obs)
    except csv.Error as exc:
        diags.append(csv_error(exc, Span(path, header_at + reader.line_num, 1)))
    return out, diags


def field_starts(raw: str, delim: str) -> list[int]:
    """Where each field of a CSV line starts (0-based, after an opening quote), as the csv module splits it."""
    if '"' not in raw:  # the common case, at C speed
        starts, pos = [], 0
        for part in raw.split(delim):
            starts.append(pos)
            pos += len(part) + 1
        return starts
    field = _FIELDS.get(delim) or _FIELDS.setdefault(delim, re.compile(
        rf'"(?:[^"]|"")*(?:"|$)[^{re.escape(delim)}]*|[^{re.escape(delim)}]*'))
    starts, pos = [], 0
    while True:
        starts.append(pos + 1 if raw.startswith('"', pos) else pos)
        pos = field.match(raw, pos).end()
        if pos >= len(raw):
            return starts
        pos += 1  # the delimiter


_FIELDS: dict[str, re.Pattern] = {}


def cell_span(path: str, line: int, starts: list[int], i: int, cell: str) -> Span:
    """The span of field i, its width the cell's (stripped of surrounding spaces)."""
    col = (starts[i] if i < len(starts) else 0) + 1
    lead = len(cell) - len(cell.lstrip())
    width = len(cell.strip())
    return Span(path, line, col + lead, line, col + lead + max(width, 1))


def csv_error(exc: csv.Error, span: Span) -> Diagnostic:
    """The csv module's complaint in an analyst's words."""
    text = str(exc)
    if "field larger than field limit" in text:
        return error(span, f"a field on this line is longer than {csv.field_size_limit() // 1024} KB",
                     "an unclosed quote (\") swallows the lines after it; or is this the right file?")
    if "new-line character" in text:
        return error(span, "a line ends inside a field (a lone carriage return?)",
                     "save the file with ordinary line ends (LF or CR LF)")
    if "NUL" in text:
        return error(span, "this looks like a binary file (it has NUL bytes)", "is this the right file?")
    return error(span, f"cannot read this line: {text}")


def twice_error(obs: Obs, first: Obs) -> Diagnostic:
    """The same observation a second time: an error at the second, naming the first."""
    what = f"{obs.variable} for {obs.municipality} {obs.year}"
    if (obs.value, obs.missing) == (first.value, first.missing):
        return error(obs.span, f"{what} is given twice (first at {first.span})", "give each observation once")
    return error(obs.span, f"{what} is given twice, with different values: {_shown(obs)} here, "
                           f"{_shown(first)} at {first.span}", "which one is right? give each observation once")


def _shown(obs: Obs) -> str:
    if obs.value is None:
        return f"missing ({obs.missing})"
    return f"{obs.value:.15g}"


_CODE = re.compile(r"^[Kk]?([0-9]{4})\b\s*(.*)$", re.ASCII)
_YEAR_CELL = re.compile(r"[0-9]{1,9}")


def _municipality(cell: str, by_code: dict[str, str], known: set[str]) -> str:
    m = _CODE.match(cell)
    if m:
        if m.group(1) in by_code:
            return by_code[m.group(1)]
        return m.group(2).strip() or m.group(1)
    return cell


def read_year(cell: str) -> int | None:
    """A year in the digits 0-9 (`int` would also take `２００７` and `2_007`)."""
    text = cell.strip()
    return int(text) if _YEAR_CELL.fullmatch(text) else None


# Numbers are plain ASCII decimal notation: an optional sign, digits, at most one decimal
# separator, an optional exponent.  float() alone would also take `3_12`, `３１２`, `inf`
# and `nan`.  Thousands separators only where the format has them (see docs/data.md).
_PLAIN = {".": re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),
          ",": re.compile(r"[+-]?(?:[0-9]+(?:,[0-9]*)?|,[0-9]+)(?:[eE][+-]?[0-9]+)?")}
_SPACE_GROUPS = re.compile(r"([+-]?[0-9]{1,3}(?:[ \u00a0][0-9]{3})+)(?:([.,])([0-9]+))?")
_POINT_GROUPS = re.compile(r"([+-]?[0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
_NOT_FINITE = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan")


def read_number(cell: str, decimal_comma: bool = False, grouping: bool = False
                ) -> tuple[float | None, str | None, tuple[str, str | None] | None]:
    """(value, gap, problem): a number, an SSB symbol for a missing value, or (message, hint).

    decimal_comma: `1234,5` (and a lone decimal point, `1234.5`); points group thousands,
    `1.234,5` (but `1.234` alone is ambiguous).  grouping: spaces or no-break spaces group
    thousands, `1 234,5`.
    """
    text = cell.strip()
    if text in MISSING_SYMBOLS:
        return None, MISSING_SYMBOLS[text], None
    sep = "," if decimal_comma else "."
    plain = None
    if grouping and (m := _SPACE_GROUPS.fullmatch(text)):
        if m.group(2) not in (None, sep):
            return None, None, (f"`{text}` is not a number", f"the decimal separator in this file is `{sep}`")
        plain = re.sub(r"[ \u00a0]", "", m.group(1)) + ("." + m.group(3) if m.group(2) else "")
    elif decimal_comma and (m := _POINT_GROUPS.fullmatch(text)):
        if m.group(2) is None and text.count(".") == 1:
            return None, None, (f"`{text}` is ambiguous in a file with decimal commas",
                                f"write {text.replace('.', '')} for thousands, or {text.replace('.', ',')}")
        plain = m.group(1).replace(".", "") + ("." + m.group(2) if m.group(2) else "")
    elif decimal_comma and _PLAIN[","].fullmatch(text):
        plain = text.replace(",", ".")
    elif _PLAIN["."].fullmatch(text):
        plain = text
    if plain is None:
        if text.lower() in _NOT_FINITE:
            return None, None, (f"`{text}` is not a finite number", None)
        return None, None, (f"`{text}` is not a number", _number_hint(text, decimal_comma, grouping))
    value = float(plain)
    if not math.isfinite(value):
        return None, None, (f"`{text}` is not a finite number", "it is too large for a number")
    return value, None, None


def _number_hint(text: str, decimal_comma: bool, grouping: bool) -> str | None:
    odd = next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)
    if odd:
        return f"write the digits 0-9 (`{odd}` is another script's digit)"
    if "\u2212" in text:
        return "write a minus as - (this is the sign \u2212)"
    if "_" in text:
        return "write numbers without `_`"
    if ("," in text or " " in text or "\u00a0" in text) and not decimal_comma:
        if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", text):
            return "write decimals with a point: 29.7"
        if not grouping:
            return "write numbers without thousands separators: 1234.5"
    if re.search(r"[ \u00a0.]", text) and re.fullmatch(r"[+-]?[0-9 \u00a0.,]+", text):
        return "thousands separators go every three digits: 1 234 567,8"
    return None


def bind(observations: list[Obs], program: ir.Program) -> tuple[dict[tuple[str, str, int], Value | Obs], list[Diagnostic]]:
    """Attach observations to the indicators that read them, converting units.

    Returns {(indicator, municipality, year): Value}, or the Obs itself where
    the value is missing (so the gap can be explained).  An observation given
    twice, in one panel or across panels, is an error at the second: the last
    one read must not silently win.
    """
    diags: list[Diagnostic] = []
    readers: dict[str, list[ir.Indicator]] = {}
    for ind in program.indicators.values():
        if ind.source:
            readers.setdefault(ind.source, []).append(ind)
    values: dict[tuple[str, str, int], Value | Obs] = {}
    seen: dict[tuple[str, str, int], Obs] = {}
    for obs in observations:
        key = (obs.variable, obs.municipality, obs.year)
        first = seen.get(key)
        if first is not None:
            if first.span != obs.span:  # the same file declared twice adds nothing
                diags.append(twice_error(obs, first))
            continue
        seen[key] = obs
        for ind in readers.get(obs.variable, ()):
            if obs.value is None:
                values[(ind.name, obs.municipality, obs.year)] = obs
                continue
            unit_at = obs.unit_span or obs.span
            try:
                f = units.text_factor(obs.unit or "dimensionless", ind.unit)
            except units.UnitError as exc:
                diags.append(error(unit_at, f"{obs.variable} is given in `{obs.unit}`, but indicator `{ind.name}` is in {ind.unit}: {exc}",
                                   exc.hint))
                continue
            if f == 0 or not math.isfinite(f):  # `0 kNOK/user` would turn every value into 0
                diags.append(error(unit_at, f"the unit `{obs.unit}` has a scale of {f:g}", "a unit's number must be positive and finite"))
                continue
            if obs.value < 0 and units.is_count(ind.unit):
                diags.append(error(obs.span, f"{obs.variable} for {obs.municipality} {obs.year} is negative, "
                                             f"but `{ind.name}` counts {ind.unit}"))
                continue
            value = obs.value * f
            if not math.isfinite(value):
                diags.append(error(obs.span, f"{obs.variable} for {obs.municipality} {obs.year} is too large in {ind.unit}"))
                continue
            values[(ind.name, obs.municipality, obs.year)] = Value(value, obs)
    unknown = sorted({o.municipality for o in observations} - set(program.municipalities))
    if unknown and len(unknown) <= 5:
        first_unknown = next(o for o in observations if o.municipality == unknown[0])
        diags.append(warning(first_unknown.span, f"municipality `{unknown[0]}` is not declared in the rules",
                             did_you_mean(unknown[0], program.municipalities) or "declare it with: municipality NAME CODE"))
    return values, diags
