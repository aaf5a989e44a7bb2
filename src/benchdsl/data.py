"""Indicator panels: values with units and provenance, read from CSV into columns.

A panel is a long table, one observation per line:

    variable,municipality,year,value,unit,provenance,note
    sfo_brutto_per_bruker,Trondheim,2007,24208,NOK/user,derived,"..."

`municipality` may be a declared name or code, or any code or name the municipality had, in
any year (`1601 Trondheim`, `5001 Trondheim - Tråante`): the municipality register
(`benchdsl.registry`) finds it.  Semicolon-separated files with decimal commas (as SSB exports
them) are read too, and SSB's symbols for missing values (. .. ... : -) become explicit gaps,
never zeros.

A file becomes a `Panel` of columns (arrays of indices, years, values and lines); an `Obs`,
with its spans, provenance and note, is made from its line only when `explain` or a diagnostic
asks.  `bind` gives `Values`: per indicator a grid of municipalities × years in the indicator's
unit, looked up one value at a time by the scalar kernel and taken whole by `batch.matrices`.
"""

from __future__ import annotations

import csv
import functools
import itertools
import math
import re
from array import array
from collections.abc import Mapping, Sequence

import attrs

from benchdsl import ir, units
from benchdsl.span import Span
from benchdsl.diagnostics import Diagnostic, Sources, did_you_mean, error
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


def read_text(path: str, span: Span | None, sources: Sources, what: str,
              large: bool = False) -> tuple[str | None, list[Diagnostic]]:
    """A data file's text, its encoding told apart (see `decode`); a located error if it cannot be read.

    large: the file may be large (a panel), so `sources` keeps its bytes and makes a line when a
    diagnostic quotes it, instead of keeping every line as a string (which costs twice the file).
    """
    try:
        raw = read_input(path, what, DATA_LIMIT)
    except InputError as exc:
        if span is None:
            span = Span(path, 1, 1)
            sources.add(path, "")  # quoting the line must not open a FIFO or /dev/zero again
        return None, [error(span, exc.message, exc.hint)]
    text, encoding, diags = _decode(raw, path, what)
    if text is None:
        sources.add(path, raw.decode("utf-8", "replace").replace("\x00", "\N{SYMBOL FOR NULL}"))
        return None, diags
    if large:
        sources.add_lines(path, FileLines(raw, encoding))
    else:
        sources.add(path, text)
    return text, diags


class FileLines(Sequence):
    """A file's lines as `diagnostics.split_lines` numbers them, each decoded from the file's
    bytes when asked for: a diagnostic quoting it, `explain` reading its provenance."""

    def __init__(self, raw: bytes, encoding: str):
        self._raw, self._encoding = raw, encoding
        parts = raw.split(b"\n")
        self._n = len(parts) - (parts[-1] == b"")
        # line i is raw[starts[i]:starts[i + 1] - 1]: each part and its "\n"
        self._starts = array("q", itertools.accumulate(map((1).__add__, map(len, parts)), initial=0))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(self._n)[i]]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        line = self._raw[self._starts[i]:self._starts[i + 1] - 1].decode(self._encoding if i == 0 else
                                                                           self._encoding.replace("-sig", ""))
        return line[:-1] if line.endswith("\r") else line


# A valid UTF-8 sequence of two to four bytes (RFC 3629: no overlongs, no surrogates).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                             rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}"
                             rb"|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def decode(raw: bytes, path: str, what: str = "panel") -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (a BOM allowed) if the bytes are valid UTF-8; Latin-1 if they hold no valid
    UTF-8 sequence of two or more bytes at all (SSB's older exports); otherwise the file
    mixes the two, and guessing would corrupt one part (`Sørli` read as `SÃ¸rli`)."""
    text, _, diags = _decode(raw, path, what)
    return text, diags


def _decode(raw: bytes, path: str, what: str) -> tuple[str | None, str, list[Diagnostic]]:
    """(text, the encoding it was read in, problems); see `decode`."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "", [error(Span(path, 1, 1), f"this {what} is UTF-16, not UTF-8 or Latin-1",
                                "save it as CSV UTF-8 (Excel: Save As, CSV UTF-8)")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        return None, "", [error(_byte_span(raw, nul, path), f"this looks like a binary file, not a {what} (it has NUL bytes)",
                                f"is this the right file? a {what} is a CSV text file")]
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig", []
    except UnicodeDecodeError as exc:
        bad = exc.start
    utf8 = _UTF8_MULTIBYTE.search(raw)
    if utf8 is None:
        return raw.decode("latin-1"), "latin-1", []
    seq = utf8.group(0)
    where = _byte_span(raw, utf8.start(), path)
    latin = bytes([raw[bad]]).decode("latin-1")
    latin = f" (`{latin}` in Latin-1)" if latin.isprintable() else ""
    return None, "", [error(_byte_span(raw, bad, path),
                            f"this file mixes encodings: byte 0x{raw[bad]:02X}{latin} here is not UTF-8, "
                            f"but line {where.line} has UTF-8 `{seq.decode('utf-8')}`",
                            "save the whole file in one encoding, preferably UTF-8")]


def _byte_span(raw: bytes, offset: int, path: str) -> Span:
    start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", "replace")) + 1
    return Span(path, line, col, line, col + 1)


# --- panels, column-wise --------------------------------------------------------------


class Panel(Sequence):
    """One file's observations, column-wise.

    Per observation: the index of its variable, municipality and unit (into `variables`,
    `munis`, `units`), its year, its value (NaN for a gap, whose reason is in `gaps`) and where
    it is in the file (`where`: the line, or a JSON-stat position).  An observation becomes an
    `Obs`, with its spans, provenance and note, only when something asks for it (`obs(i)`):
    `explain`, a derivation, a diagnostic.  Indexing and iterating give `Obs`.
    """

    def __init__(self, path: str, describe=None):
        self.path = path
        self.variables: list[str] = []
        self.munis: list[str] = []
        self.units: list[str] = []
        self.var, self.muni, self.unit = array("i"), array("i"), array("i")
        self.year, self.where = array("i"), array("q")
        self.value = array("d")
        self.gaps: dict[int, str] = {}
        self._describe = describe  # (panel, i) -> (span, unit span, provenance, note)
        self._index: dict[str, dict[str, int]] = {"variables": {}, "munis": {}, "units": {}}
        self._made: dict[int, Obs] = {}

    def index(self, table: str, name: str) -> int:
        """The index of `name` in `table` ("variables", "munis" or "units"), added if new."""
        index = self._index[table]
        i = index.get(name)
        if i is None:
            i = index[name] = len(index)
            getattr(self, table).append(name)
        return i

    def add(self, var: int, muni: int, year: int, value: float | None, gap: str | None, unit: int, where: int) -> int:
        i = len(self.var)
        self.var.append(var)
        self.muni.append(muni)
        self.year.append(year)
        if gap is not None:
            self.gaps[i] = gap
            value = _NAN
        self.value.append(value)
        self.unit.append(unit)
        self.where.append(where)
        return i

    def obs(self, i: int) -> Obs:
        o = self._made.get(i)
        if o is None:
            span, unit_span, provenance, note = (self._describe(self, i) if self._describe
                                                 else (Span(self.path, 1, 1), None, "", ""))
            gap = self.gaps.get(i)
            o = self._made[i] = Obs(self.variables[self.var[i]], self.munis[self.muni[i]], self.year[i],
                                    None if gap is not None else self.value[i], self.units[self.unit[i]], span,
                                    provenance, note, gap, unit_span)
        return o

    def drop(self, rows: set[int]) -> None:
        """Remove observations (a second of the same: the first stays)."""
        keep = [i for i in range(len(self.var)) if i not in rows]
        for name in ("var", "muni", "unit", "year", "where", "value"):
            old = getattr(self, name)
            setattr(self, name, array(old.typecode, (old[i] for i in keep)))
        new = {old: new for new, old in enumerate(keep)}
        self.gaps = {new[i]: g for i, g in self.gaps.items() if i in new}
        self._made = {}

    def __len__(self) -> int:
        return len(self.var)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.obs(j) for j in range(len(self))[i]]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.obs(i)

    def __iter__(self):
        return (self.obs(i) for i in range(len(self)))

    def __eq__(self, other) -> bool:  # as a sequence of observations: `panel == []`
        if isinstance(other, (Panel, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"<Panel {self.path}: {len(self)} observations>"


_NAN = math.nan
# Grids of municipalities × years are used while they cost at most this many cells more than 8 per
# observation; beyond (years scattered over centuries, say) a dict holds only the cells there are.
GRID_SLACK = 65536


# --- municipalities, by any code, in any year -------------------------------------------


class Municipalities:
    """A panel cell in a year -> the rules' name for the municipality, or a problem.

    A cell that is exactly a declared name or code (`A`, `0001`, `0001 A`) is that municipality,
    as the rules say: test rules use made-up codes.  Any other cell goes through the municipality
    register (`benchdsl.registry`, loaded only then): a code valid in that year, a code the
    municipality had in another year, or SSB's label (`5001 Trondheim - Tråante`) finds it, and
    a declared municipality is called by its declared name whichever code the rules gave.  A
    municipality the rules do not declare keeps the register's name (for `--for all`).
    """

    def __init__(self, program: ir.Program, register=None):
        self._names = set(program.municipalities)
        self._declared = program.municipalities
        self._by_code = {code: name for name, code in program.municipalities.items() if code}
        self._register = register
        self._as_declared: dict | None = None
        self._memo: dict[tuple[str, int], tuple[str | None, object]] = {}

    def register(self):
        if self._register is None:
            from benchdsl import registry

            self._register = registry.default()
        return self._register

    def resolve(self, cell: str, year: int):
        """(name, None), (name, a warning Problem) or (None, an error Problem)."""
        key = (cell, year)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._resolve(cell.strip(), year)
        return got

    def _resolve(self, text: str, year: int):
        if text in self._names:
            return text, None
        code, rest = _split_code(text)
        declared = self._by_code.get(code) if code else None
        if declared is not None and (not rest or rest.casefold() == declared.casefold().replace("_", " ")):
            return declared, None
        reg = self.register()
        m, problem = reg.resolve(text, year)
        if m is not None:
            return self._declared_as().get(m) or m.name, problem
        if declared is not None and not reg.candidates(code):  # the rules' own code, unknown to the register
            return declared, None
        if code is not None and problem is not None:
            close = self._close_code(code)
            if close:
                problem = attrs.evolve(problem, hint=close)
        return None, problem

    def _declared_as(self) -> dict:
        """register municipality -> declared name, made once per run."""
        if self._as_declared is None:
            reg, out = self.register(), {}
            for name, code in self._declared.items():
                m, _ = reg.declared(name, code)
                if m is not None:
                    out.setdefault(m, name)
            self._as_declared = out
        return self._as_declared

    def _close_code(self, code: str) -> str | None:
        """A declared municipality with a code one typo away: a digit changed, or two next to each other swapped."""
        codes = [(c, name) for c, name in self._by_code.items()]
        codes += [(p.code, name) for m, name in self._declared_as().items() for p in m.codes]
        for c, name in codes:
            if len(c) != len(code):
                continue
            diff = [i for i in range(len(c)) if c[i] != code[i]]
            if len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and c[diff[0]] == code[diff[1]] and c[diff[1]] == code[diff[0]]):
                return f"did you mean {c} ({name})?"
        return None


_REGION_CODE = re.compile(r"^(?:[Kk][-.]?)?(\d{3,4})(?!\d)(?:\s*[:-]\s+|\s+|$)(.*)$")


def _split_code(text: str) -> tuple[str | None, str]:
    """`5001 Trondheim - Tråante` -> ('5001', 'Trondheim - Tråante'); `K-301` -> ('0301', ''); a name -> (None, name)."""
    m = _REGION_CODE.match(text)
    if not m:
        return None, text
    return m.group(1).zfill(4), m.group(2).strip()


class CellProblems:
    """The municipality problems of one file, one diagnostic per cell however many lines repeat it."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], list] = {}  # (cell, severity) -> [problem, span, lines, years]

    def add(self, cell: str, year: int, problem, span: Span) -> None:
        key = (cell.strip(), problem.severity)
        got = self._seen.get(key)
        if got is None:
            self._seen[key] = [problem, span, 1, {year}]
        else:
            got[2] += 1
            got[3].add(year)

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for (cell, _), (problem, span, lines, years) in self._seen.items():
            message = problem.message
            if lines > 1:
                span_years = f", {min(years)}-{max(years)}" if len(years) > 1 else ""
                message += f" (and {lines - 1} more value{'s' if lines > 2 else ''} with `{cell}`{span_years})"
            out.append(Diagnostic(problem.severity, span, message, problem.hint))
        return out


def check_declared(decls) -> list[Diagnostic]:
    """The rules' `municipality NAME CODE` against the register: a code the named municipality
    never had, an ambiguous name, or two declarations of one municipality are errors at the
    declaration.  Names and codes the register does not know are left alone (rules may name
    made-up municipalities).  `decls`: (name, code, span) in the order written."""
    decls = list(decls)
    if not decls:
        return []
    from benchdsl import registry

    reg, out, first = registry.default(), [], {}
    for name, code, span in decls:
        m, problem = reg.declared(name, code)
        # A name the register does not know is left alone, unless its code is a real one: then the
        # name is most likely misspelt (`municipality Trondhiem 5001`), and the warning says whose code it is.
        if problem is not None and (problem.is_error or (code and m is not None)):
            out.append(problem.diagnostic(span))
        if m is not None and (problem is None or not problem.is_error):
            if m in first and first[m][0] != name:
                out.append(error(span, f"{name} and {first[m][0]} are the same municipality ({m.plain_name}: "
                                       f"{m.code_list()})", f"declare it once (first at {first[m][1]})"))
            first.setdefault(m, (name, span))
    return out


# --- reading panels ------------------------------------------------------------------


def read_panel(path: str, program: ir.Program, sources: Sources, span: Span | None,
               progress=None, mapping_path: str | None = None,
               municipalities: Municipalities | None = None) -> tuple[Panel, list[Diagnostic]]:
    """A benchdsl panel, or with a mapping an SSB Statbank CSV or JSON-stat file."""
    text, diags = read_text(path, span, sources, "panel", large=True)
    if text is None:
        return Panel(path), diags
    munis = municipalities or Municipalities(program)
    if mapping_path is None:
        if path.lower().endswith(".json"):
            return Panel(path), [error(span or Span(path, 1, 1), f"`{path}` is JSON-stat: say which series feed which variable",
                                       f'write: panel "{path}" mapping "MAPPING.csv"')]
        return parse_panel(text, path, program, progress, line_of=functools.partial(sources.line, path),
                           municipalities=munis)
    from benchdsl import ssb

    mtext, diags = read_text(mapping_path, span, sources, "mapping")
    if mtext is None:
        return Panel(path), diags
    mapping, diags = ssb.read_mapping(mtext, mapping_path)
    if diags:
        return Panel(path), diags
    if path.lower().endswith(".json"):
        return ssb.read_jsonstat(text, path, program, mapping, munis)
    return ssb.read_statbank_csv(text, path, program, mapping, munis, line_of=functools.partial(sources.line, path))


_ODD_START = frozenset(("", "#", " ", "\t"))  # a first field that may make the row a comment or blank


def parse_panel(text: str, path: str, program: ir.Program, progress=None, line_of=None,
                municipalities: Municipalities | None = None) -> tuple[Panel, list[Diagnostic]]:
    """A benchdsl panel's text -> its observations, column-wise, and the problems, each at its cell.

    `line_of(n)` gives line n of the file when an observation's provenance is asked for later
    (the run's `Sources`); without it the panel keeps the text's lines.
    """
    diags: list[Diagnostic] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    step = progress.step if progress is not None else (lambda *a: None)
    header_at = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if header_at is None:
        return Panel(path), [error(Span(path, 1, 1), "the panel is empty",
                                   "the first line names the columns: " + ",".join(REQUIRED))]
    head = lines[header_at]
    delim = ";" if head.count(";") > head.count(",") else ","
    decimal_comma = delim == ";"
    reader = csv.reader((lines[i] + "\n" for i in range(header_at, len(lines))), delimiter=delim)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        return Panel(path), [csv_error(exc, Span(path, header_at + 1, 1))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = None
        for m in missing:
            hint = hint or next((f"did you mean `{h}` for `{m}`?" for h in header if did_you_mean(m, [h])), None)
        return Panel(path), [error(Span(path, header_at + 1, 1), f"the panel lacks column(s) {', '.join(missing)}",
                                   hint or "the first line names the columns: " + ",".join(REQUIRED))]
    twice = next((h for i, h in enumerate(header) if h and h in header[:i]), None)
    if twice is not None:
        return Panel(path), [error(Span(path, header_at + 1, 1), f"the column `{twice}` is named twice",
                                   "which one holds the values? rename or remove the other")]
    col = {name: header.index(name) for name in header}
    if line_of is None:
        line_of = lambda n: lines[n - 1] if 0 < n <= len(lines) else None  # noqa: E731
    panel = Panel(path, functools.partial(_describe_csv, path, line_of, delim, col))
    munis = municipalities or Municipalities(program)
    problems = CellProblems()
    iv, im, iy, ival, iu, n = col["variable"], col["municipality"], col["year"], col["value"], col["unit"], len(header)
    vcache: dict[str, int] = {}
    ucache: dict[str, int] = {}
    ycache: dict[str, int] = {}
    mcache: dict[tuple[str, int], int] = {}
    troubled: dict[tuple[str, int], tuple[int, object]] = {}  # cells with a problem: (index or -1, problem)
    point = not decimal_comma  # a decimal-comma file goes through read_number: `1.234` is ambiguous there
    add_var, add_muni, add_year = panel.var.append, panel.muni.append, panel.year.append
    add_value, add_unit, add_where = panel.value.append, panel.unit.append, panel.where.append
    gaps = panel.gaps
    count = 0
    lineno = header_at + reader.line_num

    def where(row, field: int, first: int) -> Span:
        raw = lines[first - 1] if first - 1 < len(lines) else ""
        return cell_span(path, first, field_starts(raw.rstrip("\r"), delim), field, row[field])

    try:
        for row in reader:
            first = lineno + 1  # where this row starts (a quoted field may span lines)
            lineno = header_at + reader.line_num
            if lineno % 5000 == 0:
                step(f"reading {path}", lineno, len(lines))
            if len(row) != n or row[0][:1] in _ODD_START:
                if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
                    continue
                if len(row) != n:
                    raw_line = lines[first - 1].rstrip("\r") if first - 1 < len(lines) else ""
                    hint = None
                    if len(row) > n and re.search(r"\d,\d", raw_line):
                        hint = "a decimal comma splits the field: write 29.7, or separate the fields with ; (then 29,7 is read)"
                    elif len(row) < n:
                        hint = f"each line has the header's fields ({', '.join(header)}); an empty one is still separated"
                    diags.append(error(Span(path, first, 1, first, len(raw_line) + 1),
                                       f"this line has {len(row)} fields, the header {n}", hint))
                    continue
            v = vcache.get(row[iv])
            if v is None:
                v = vcache[row[iv]] = panel.index("variables", row[iv].strip())
            cell = row[iy]
            year = ycache.get(cell)
            if year is None:
                year = read_year(cell)
                if year is None:
                    diags.append(error(where(row, iy, first), f"year `{cell.strip()}` is not a year",
                                       "write the year with the digits 0-9: 2007"))
                    continue
                ycache[cell] = year
            cell = row[ival]
            try:  # the common case, a plain finite number: float() reads it; what else float() takes is refused below
                value = float(cell) if point else _NAN
            except ValueError:
                value = _NAN
            if value - value == 0 and cell.isascii() and "_" not in cell:
                gap = None
            else:
                value, gap, problem = read_number(cell, decimal_comma, grouping=decimal_comma)
                if problem is not None:
                    diags.append(error(where(row, ival, first), *problem))
                    continue
            key = (row[im], year)
            m = mcache.get(key)
            if m is None or m < 0:
                if m is None:
                    name, problem = munis.resolve(row[im], year)
                    m = -1 if name is None else panel.index("munis", name)
                    if problem is None:
                        mcache[key] = m
                    else:  # -1: look in `troubled`, so that every line with the cell is counted
                        mcache[key], troubled[key] = -1, (m, problem)
                else:
                    m, problem = troubled[key]
                if problem is not None:
                    problems.add(row[im], year, problem, where(row, im, first))
                if m < 0:
                    continue
            u = ucache.get(row[iu])
            if u is None:
                if _NUMBER_AS_UNIT.fullmatch(row[iu]):  # `1,02` in a comma-separated file: 1 in `02`
                    raw_line = lines[first - 1].rstrip("\r") if first - 1 < len(lines) else ""
                    split = f"{row[ival].strip()},{row[iu].strip()}"
                    diags.append(error(where(row, iu, first), f"`{row[iu].strip()}` is a number, not a unit",
                                       f"a decimal comma splits `{split}` in two fields: write {split.replace(',', '.')}, or "
                                       "separate the fields with ; (then 1,02 is read)" if split in raw_line else
                                       "write the value's unit here (NOK/inhabitant, %, user …)"))
                    continue
                u = ucache[row[iu]] = panel.index("units", row[iu].strip())
            if gap is not None:
                gaps[count] = gap
                value = _NAN
            add_var(v)
            add_muni(m)
            add_year(year)
            add_value(value)
            add_unit(u)
            add_where(first)
            count += 1
    except csv.Error as exc:
        diags.append(csv_error(exc, Span(path, header_at + reader.line_num, 1)))
    diags.extend(problems.diagnostics())
    diags.extend(_drop_repeats(panel))
    diags.sort(key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
    return panel, diags


def _describe_csv(path: str, line_of, delim: str, col: dict[str, int], panel: Panel, i: int):
    """An observation's spans, provenance and note, read again from its line in the file."""
    n = panel.where[i]
    raw = (line_of(n) or "").rstrip("\r")

    def following():  # a quoted field may go on over the next lines
        for k in range(n, n + 10_000):
            text = line_of(k)
            if text is None:
                return
            yield text.rstrip("\r") + "\n"

    try:
        row = next(csv.reader(following(), delimiter=delim))
    except (csv.Error, StopIteration):
        row = []
    row += [""] * (len(col) - len(row))
    starts = field_starts(raw, delim)

    def at(field: str) -> Span:
        return cell_span(path, n, starts, col[field], row[col[field]])

    return (at("value"), at("unit"), row[col["provenance"]].strip() if "provenance" in col else "",
            row[col["note"]].strip() if "note" in col else "")


def _drop_repeats(panel: Panel) -> list[Diagnostic]:
    """The same (variable, municipality, year) twice in one file: an error at the second, which is dropped."""
    n = len(panel)
    if not n:
        return []
    years = sorted(set(panel.year))
    yi = {y: j for j, y in enumerate(years)}
    nv, nm, ny = len(panel.variables), len(panel.munis), len(years)
    if nv * nm * ny <= 8 * n + GRID_SLACK:
        first = array("q", [-1]) * (nv * nm * ny)
        get = first.__getitem__
    else:  # years scattered over centuries: a dict, not a grid
        first = {}
        get = lambda k: first.get(k, -1)  # noqa: E731
    var, muni, year = panel.var, panel.muni, panel.year
    if len(set([(v * nm + m) * ny + yi[y] for v, m, y in zip(var, muni, year)])) == n:
        return []  # the common case, found at the speed of a comprehension
    again: dict[int, int] = {}
    for i in range(n):
        k = (var[i] * nm + muni[i]) * ny + yi[year[i]]
        j = get(k)
        if j < 0:
            first[k] = i
        else:
            again[i] = j
    if not again:
        return []
    out = [twice_error(panel.obs(i), panel.obs(j)) for i, j in again.items()]
    panel.drop(set(again))
    return out


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


_YEAR_CELL = re.compile(r"[0-9]{1,9}")


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


# A unit cell that holds a number other than `1` (a dimensionless unit): `02` of a split `1,02`,
# which pint would read as a scale of 2.  (A `1` there stays a unit: `0,1` split so is not caught.)
_NUMBER_AS_UNIT = re.compile(r"(?!\s*1\s*$)\s*[0-9][0-9.,\s]*")


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


# --- binding: panel values in the indicators' units ------------------------------------------


class Value:
    """A panel value in its indicator's unit; `obs` finds where it comes from, when asked."""

    __slots__ = ("value", "_panel", "_row")

    def __init__(self, value: float, panel: Panel, row: int):
        self.value, self._panel, self._row = value, panel, row

    @property
    def obs(self) -> Obs:
        return self._panel.obs(self._row)

    def __repr__(self) -> str:
        return f"Value({self.value!r}, {self._panel.path}, observation {self._row})"


class Values(Mapping):
    """{(indicator, municipality, year): Value, or the `Obs` of a gap the panel states}, held as columns.

    Per indicator a grid of municipalities × years: the value in the indicator's unit (NaN where
    there is none, or a gap) and which observation it came from.  `batch.matrices` takes the
    grids as they are; a figure computed alone looks values up one at a time.
    """

    def __init__(self, panels: list[Panel], municipalities: list[str], years: list[int], grids: dict,
                 dense: bool, present_m: bytearray, present_y: bytearray):
        self._panels, self._np = panels, max(len(panels), 1)
        self.all_municipalities, self.all_years = municipalities, years
        self._mi = {m: i for i, m in enumerate(municipalities)}
        self._yi = {y: j for j, y in enumerate(years)}
        self._ny = len(years)
        self._grids, self.dense = grids, dense
        self._present_m, self._present_y = present_m, present_y

    def municipalities(self) -> list[str]:
        """The municipalities with a value or a stated gap of some indicator."""
        return [m for m, here in zip(self.all_municipalities, self._present_m) if here]

    def years(self) -> list[int]:
        return [y for y, here in zip(self.all_years, self._present_y) if here]

    def grid(self, indicator: str):
        """The indicator's values, municipalities × years in the order of `all_municipalities` and
        `all_years`, flat and row-major (an `array('d')`; NaN: none); None if no panel has it or the
        grid is sparse."""
        g = self._grids.get(indicator)
        return g[0] if g is not None and self.dense else None

    def get(self, key, default=None):
        try:
            ind, muni, year = key
        except (TypeError, ValueError):
            return default
        g = self._grids.get(ind)
        i = self._mi.get(muni)
        j = self._yi.get(year)
        if g is None or i is None or j is None:
            return default
        slot = i * self._ny + j
        r = g[1][slot] if self.dense else g[1].get(slot, -1)
        if r < 0:
            return default
        row, p = divmod(r, self._np)
        panel = self._panels[p]
        if row in panel.gaps:
            return panel.obs(row)
        return Value(g[0][slot], panel, row)

    def __getitem__(self, key):
        got = self.get(key, _ABSENT)
        if got is _ABSENT:
            raise KeyError(key)
        return got

    def __contains__(self, key) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    def __iter__(self):
        munis, years, ny = self.all_municipalities, self.all_years, self._ny
        for ind, (_, refs) in self._grids.items():
            slots = enumerate(refs) if self.dense else refs.items()
            for slot, r in slots:
                if r >= 0:
                    yield ind, munis[slot // ny], years[slot % ny]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"<Values: {len(self._grids)} indicators, {len(self.municipalities())} municipalities, {len(self.years())} years>"


_ABSENT = object()


def bind(panels: Panel | list[Panel], program: ir.Program) -> tuple[Values, list[Diagnostic]]:
    """Attach observations to the indicators that read them, converting units.

    Returns {(indicator, municipality, year): Value}, or the Obs itself where the value is
    missing (so the gap can be explained), as `Values`.  An observation given twice across
    panels is an error at the second (`parse_panel` and the SSB readers find repeats within a
    file): the last one read must not silently win.  A file given twice adds nothing.
    """
    if isinstance(panels, Panel):
        panels = [panels]
    diags: list[Diagnostic] = []
    readers: dict[str, list[ir.Indicator]] = {}
    for ind in program.indicators.values():
        if ind.source:
            readers.setdefault(ind.source, []).append(ind)
    used: list[Panel] = []
    for p in panels:
        if all(p.path != q.path for q in used):  # the same file declared twice adds nothing
            used.append(p)
    index: dict[str, int] = {}
    years: set[int] = set()
    for p in used:
        for name in p.munis:
            index.setdefault(name, len(index))
        years.update(p.year)
    all_years = sorted(years)
    yi = {y: j for j, y in enumerate(all_years)}
    nm, ny, npanels = len(index), len(all_years), max(len(used), 1)
    size = nm * ny
    dense = size <= 8 * sum(len(p) for p in used) + GRID_SLACK

    def grid():
        return [array("d", [_NAN]) * size, array("q", [-1]) * size] if dense else [{}, {}]

    grids: dict[str, list] = {}
    firsts: dict[str, object] = {}  # variable -> slot -> the first observation, across files
    present_m, present_y = bytearray(nm), bytearray(ny)
    for pi, p in enumerate(used):
        tm = [index[name] for name in p.munis]
        # per variable of this file: (indicator, its grid, its factor from each of the file's units, found when first needed)
        targets = [[(ind, grids.setdefault(ind.name, grid()), [_ABSENT] * len(p.units)) for ind in readers.get(v, ())]
                   for v in p.variables]
        check_twice = len(used) > 1
        first_of = [firsts.setdefault(v, array("q", [-1]) * size if dense else {}) for v in p.variables] \
            if check_twice else []
        var, muni, year, value, unit = p.var, p.muni, p.year, p.value, p.unit
        for i in range(len(p)):
            v = var[i]
            m, j = tm[muni[i]], yi[year[i]]
            slot = m * ny + j
            ref = i * npanels + pi
            if check_twice:
                seen = first_of[v]
                r = seen[slot] if dense else seen.get(slot, -1)
                if r >= 0:
                    row, q = divmod(r, npanels)
                    diags.append(twice_error(p.obs(i), used[q].obs(row)))
                    continue
                seen[slot] = ref
            if not targets[v]:
                continue
            x = value[i]
            if x != x:  # NaN: a gap the file states (`gaps` says why)
                for _, g, _ in targets[v]:
                    g[1][slot] = ref
                present_m[m] = present_y[j] = 1
                continue
            u = unit[i]
            for ind, g, factors in targets[v]:
                f = factors[u]
                if f is _ABSENT:
                    f = factors[u] = _factor(p.units[u], ind.unit)
                if f.__class__ is not float:
                    diags.append(_unit_error(p.obs(i), ind, f))
                    continue
                if x < 0 and units.is_count(ind.unit):
                    o = p.obs(i)
                    diags.append(error(o.span, f"{o.variable} for {o.municipality} {o.year} is negative, "
                                               f"but `{ind.name}` counts {ind.unit}"))
                    continue
                y = x * f
                if y - y != 0:
                    o = p.obs(i)
                    diags.append(error(o.span, f"{o.variable} for {o.municipality} {o.year} is too large in {ind.unit}"))
                    continue
                g[0][slot] = y
                g[1][slot] = ref
                present_m[m] = present_y[j] = 1
    # an SSB file's units are its mapping's: one wrong unit there is one error, not one per value
    return Values(used, list(index), all_years, grids, dense, present_m, present_y), list(dict.fromkeys(diags))


def _factor(unit: str, target: str):
    """The factor from a panel's unit to an indicator's; or the UnitError, or the bad scale."""
    try:
        f = units.text_factor(unit or "dimensionless", target)
    except units.UnitError as exc:
        return exc
    if f == 0 or not math.isfinite(f):  # `0 kNOK/user` would turn every value into 0
        return ("scale", f)
    return float(f)


def _unit_error(obs: Obs, ind: ir.Indicator, problem) -> Diagnostic:
    at = obs.unit_span or obs.span
    if isinstance(problem, tuple):
        return error(at, f"the unit `{obs.unit}` has a scale of {problem[1]:g}", "a unit's number must be positive and finite")
    # a data line has no volume: the hint names what to check here (a saving's mismatch keeps its own)
    hint = problem.hint.replace("check the volume and the indicator's unit",
                                f"check this line's unit, or the unit of indicator `{ind.name}`") if problem.hint else None
    return error(at, f"{obs.variable} is given in `{obs.unit}`, but indicator `{ind.name}` is in {ind.unit}: {problem}", hint)
