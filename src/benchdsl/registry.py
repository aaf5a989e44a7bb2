"""Municipalities over time: every code a municipality had, its names, its mergers and splits.

The register is data shipped with benchdsl (`data_files/`, see its README): SSB's list of the
municipalities valid on 2026-01-01, SSB's list of the codes that changed on 2024-01-01, and the
ten ASSS municipalities' history written by hand from SSB's change history. It knows

- every municipality's code from 2024, and for the 112 whose code changed on 2024-01-01 also
  their 2023 code;
- the ASSS municipalities and those that merged into them, as far back as their codes go.

Anything earlier is *unknown*, never guessed: `code_in` answers None and `breaks` returns an
`UNKNOWN` event at the year the register's knowledge starts. `load(extra=[...])` reads KLASS
exports (a change list, or codes with their validity) to extend it.

    lookup(text)                  -> Municipality | None      a name, a code it ever had, "1601 Trondheim"
    resolve(cell, year)           -> (Municipality | None, Problem | None)   a panel cell in a year
    code_in(municipality, year)   -> str | None
    breaks(municipality, y0, y1)  -> list[Event]              mergers and splits between two years
    declared(name, code)          -> (Municipality | None, Problem | None)   `municipality NAME CODE`

These use the shipped register, read on first use (about a millisecond) and kept for the
process; a `Register` from `load()` has the same methods.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import enum
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources

import attrs

from benchdsl.ast import Span
from benchdsl.diagnostics import ERROR, WARNING, Diagnostic, error

_INF = 10**6  # a year later than any, for interval arithmetic


class Kind(enum.Enum):
    CODE_CHANGE = "code change"  # one code became another: same territory, not a break
    MERGER = "merger"
    SPLIT = "split"
    REORGANISATION = "merger and split"  # several in, several out (a municipality divided among others)
    UNKNOWN = "unknown history"  # the register does not know the municipality before this year


@attrs.frozen
class CodeName:
    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code


@attrs.frozen
class Event:
    """A change on 1 January of `year`: the codes that went in and the codes that came out."""

    year: int
    kind: Kind
    went_in: tuple[CodeName, ...]
    came_out: tuple[CodeName, ...]
    source: str = attrs.field(default="", eq=False, repr=False)

    @property
    def is_break(self) -> bool:
        """True where the territory changed (or may have): a series across it compares different things."""
        return self.kind is not Kind.CODE_CHANGE

    def __str__(self) -> str:
        ins, outs = _and(self.went_in), _and(self.came_out)
        if self.kind is Kind.UNKNOWN:
            return f"{self.year}: the register does not know this municipality before {self.year}"
        if self.kind is Kind.CODE_CHANGE:
            return f"{self.year}: {ins} became {self.came_out[0].code}"
        if self.kind is Kind.MERGER:
            return f"{self.year}: {ins} merged into {outs}"
        if self.kind is Kind.SPLIT:
            return f"{self.year}: {ins} split into {outs}"
        return f"{self.year}: {ins} were reorganised into {outs}"


@attrs.frozen
class Period:
    """One code of a municipality and the years it was valid (1 January to 31 December).

    `first` is None when the code was valid since before the register's history begins, or when
    its start is unknown: then `known_from` is the first year the register can vouch for.
    `last` is None while the code is still valid.
    """

    code: str
    names: tuple[str, ...]  # as the sources write them, newest first
    first: int | None
    last: int | None
    known_from: int | None
    successors: tuple[str, ...] = attrs.field(eq=False, repr=False)
    sources: tuple[str, ...] = attrs.field(eq=False, repr=False)
    as_of: int = attrs.field(eq=False, repr=False)

    @property
    def name(self) -> str:
        return self.names[0] if self.names else ""

    def valid_in(self, year: int) -> bool | None:
        """True or False; None where the register does not know."""
        if self.last is not None and year > self.last:
            return False
        if self.first is not None:
            return year >= self.first
        return True if self.known_from is None or year >= self.known_from else None

    def __str__(self) -> str:
        if self.first is None and self.known_from is not None:
            start = f"known from {self.known_from}"
            return f"{self.code} ({start}{f' until {self.last}' if self.last is not None else ''})"
        if self.first is None:
            return f"{self.code} ({f'until {self.last}' if self.last is not None else 'throughout'})"
        if self.last is None:
            return f"{self.code} (from {self.first})"
        if self.first == self.last:
            return f"{self.code} ({self.first})"
        return f"{self.code} ({self.first}-{self.last})"


@attrs.frozen
class Municipality:
    """A municipality across its codes: renumbered, it stays the same; merged away, it ends.

    In a merger the municipality continues whose code or name the result keeps (Trondheim in
    2020, Kristiansand in 2020); the others end there. Compared by their codes.
    """

    codes: tuple[Period, ...]  # in time order
    names: tuple[str, ...] = attrs.field(eq=False)  # newest first, as SSB writes them
    events: tuple[Event, ...] = attrs.field(eq=False, repr=False)

    @property
    def name(self) -> str:
        """The newest name as SSB writes it, Sami and Kven forms included: `Trondheim - Tråante`."""
        return self.names[0] if self.names else self.codes[-1].code

    @property
    def plain_name(self) -> str:
        """The part of the name before ` - `: `Trondheim`. (Some put the Sami form first: `Deatnu - Tana`.)"""
        return _split_parts(self.name)[0]

    @property
    def code(self) -> str:
        """The newest code."""
        return self.codes[-1].code

    @property
    def known_from(self) -> int | None:
        """The first year the register knows this municipality's code; None: as far back as it goes."""
        p = self.codes[0]
        return p.first if p.first is not None else p.known_from

    @property
    def last_year(self) -> int | None:
        """The last year it existed; None while it exists."""
        return self.codes[-1].last

    def code_in(self, year: int) -> str | None:
        for p in self.codes:
            if p.valid_in(year):
                return p.code
        return None

    def exists_in(self, year: int) -> bool | None:
        """True or False; None where the register does not know."""
        if self.code_in(year) is not None:
            return True
        if self.last_year is not None and year > self.last_year:
            return False
        if self.codes[0].first is not None and year < self.codes[0].first:
            return False
        return None

    def code_list(self) -> str:
        """Every code with its years: `1601 (until 2017), 5001 (from 2018)`."""
        return ", ".join(str(p) for p in self.codes)

    def __str__(self) -> str:
        return f"{self.plain_name} ({self.code})"


@attrs.frozen
class Problem:
    """Why a cell or a declaration does not match the register cleanly; `diagnostic(span)` locates it."""

    severity: str  # diagnostics.ERROR or WARNING
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def diagnostic(self, span: Span | None) -> Diagnostic:
        return Diagnostic(self.severity, span, self.message, self.hint)


# --- the register ------------------------------------------------------------


@attrs.frozen(eq=False)
class Register:
    municipalities: tuple[Municipality, ...]
    coverage: str
    _by_code: dict[str, tuple[tuple[Period, Municipality], ...]] = attrs.field(repr=False)
    _by_alias: dict[str, tuple[Municipality, ...]] = attrs.field(repr=False)
    _display: dict[str, str] = attrs.field(repr=False)  # alias -> the name it was made from
    _memo: dict = attrs.field(factory=dict, repr=False)

    # --- lookups without a year ---

    def lookup(self, text: str) -> Municipality | None:
        """The municipality a name or any of its codes names; None if unknown or ambiguous."""
        found = self.candidates(text)
        return found[0] if len(found) == 1 else None

    def candidates(self, text: str) -> tuple[Municipality, ...]:
        """Every municipality `text` may name: by a code it ever had (`1601`, `K1601`,
        `1601 Trondheim`), or by a name, with or without its Sami part, in any case."""
        code, rest = _split_code(text)
        if code is None:
            return self._by_alias.get(_norm(text), ())
        holders = self._holders(code)
        if rest and len(holders) > 1:
            named = tuple(m for m in holders if self._is_name_of(rest, m))
            return named or holders
        return holders

    # --- questions with a year ---

    def code_in(self, municipality: Municipality, year: int) -> str | None:
        return municipality.code_in(year)

    def breaks(self, municipality: Municipality, from_year: int, to_year: int) -> list[Event]:
        """Mergers and splits that a comparison of `from_year` with `to_year` crosses (in either
        order); an `UNKNOWN` event too where the register does not know that far back."""
        lo, hi = sorted((from_year, to_year))
        found = [e for e in municipality.events if e.is_break and lo < e.year <= hi]
        known = municipality.known_from
        if known is not None and lo < known:
            first = municipality.codes[0]
            found.append(Event(known, Kind.UNKNOWN, (), (CodeName(first.code, first.name),),
                               "the register's coverage"))
        return sorted(found, key=lambda e: e.year)

    def resolve(self, cell: str, year: int) -> tuple[Municipality | None, Problem | None]:
        """The municipality a panel cell names in `year`: a code (`5001`, `K5001`), a code and a
        name (`5001 Trondheim`, SSB's `5001 Trondheim - Tråante`), or a name.

        The code valid in `year` wins; a code the municipality had in another year still names
        it. None with an error Problem where the cell is unknown, ambiguous or contradicts
        itself; the municipality with a warning where it probably means it but something is off.
        """
        key = (cell, year)
        if key not in self._memo:
            self._memo[key] = self._resolve(cell.strip(), year)
        return self._memo[key]

    def declared(self, name: str, code: str | None) -> tuple[Municipality | None, Problem | None]:
        """Check a rule's `municipality NAME CODE` against the register: the code must be one the
        named municipality ever had. A name or code the register does not know is a warning
        (rules may name made-up or not yet covered municipalities); a contradiction is an error."""
        if not code:
            named = self.candidates(name)
            if len(named) == 1:
                return named[0], None
            if named:
                return None, self._ambiguous(name, named, None)
            return None, Problem(WARNING, f"`{name}` is not in the municipality register",
                                 self._suggest(name) or _COVERAGE_HINT)
        code = _canonical_code(code) or code
        holders = self._holders(code)
        named = self.candidates(name)
        if not holders:
            if len(named) == 1:
                m = named[0]
                if m.known_from is None:  # its whole history is known, and this code is not in it
                    return None, Problem(ERROR, f"{code} was never a code of {m.plain_name}",
                                         f"{m.plain_name}'s codes: {m.code_list()}")
                return m, Problem(WARNING, f"{code} is not a code of {m.plain_name} that the register knows "
                                           f"(it knows {m.plain_name} from {m.known_from})", _COVERAGE_HINT)
            return None, Problem(WARNING, f"`{name} {code}` is not in the municipality register",
                                 _COVERAGE_HINT)
        fits = [m for m in holders if m in named]
        if len(fits) == 1:
            return fits[0], None
        if len(holders) > 1:
            return None, self._ambiguous(code, holders, None)
        m = holders[0]
        if named:
            other = named[0]
            return None, Problem(ERROR, f"{code} is {m.plain_name}'s code ({_period_of(m, code)}), not {name}'s",
                                 f"{other.plain_name}'s codes: {other.code_list()}" if len(named) == 1 else None)
        return m, Problem(WARNING, f"`{name}` is not a name of {code} ({m.name}) in the register",
                          self._suggest(name) or f"the register's name for it: {m.plain_name}")

    # --- inside ---

    def _holders(self, code: str) -> tuple[Municipality, ...]:
        return tuple(dict.fromkeys(m for _, m in self._by_code.get(code, ())))

    def _is_name_of(self, text: str, m: Municipality) -> bool:
        return m in self._by_alias.get(_norm(text), ())

    def _resolve(self, text: str, year: int) -> tuple[Municipality | None, Problem | None]:
        if not text:
            return None, Problem(ERROR, "the municipality is empty")
        code, rest = _split_code(text)
        if code is None:
            return self._resolve_name(text, year)
        holders = self._holders(code)
        if not holders:
            if rest:
                m, problem = self._resolve_name(rest, year)
                if m is not None:
                    return m, problem or Problem(
                        WARNING, f"{code} is not a code of {m.plain_name} that the register knows; "
                                 f"`{text}` is read by its name", f"{m.plain_name}'s codes: {m.code_list()}")
            return None, Problem(ERROR, f"unknown municipality code {code}" + (f" (`{rest}`)" if rest else ""),
                                 _COVERAGE_HINT)
        valid = tuple(dict.fromkeys(m for p, m in self._by_code[code] if p.valid_in(year)))
        if len(valid) == 1:
            m = valid[0]
        else:
            if rest:
                holders = tuple(h for h in holders if self._is_name_of(rest, h)) or holders
            if len(holders) > 1:
                return None, self._ambiguous(text, holders, year)
            m = holders[0]
        if rest and not self._is_name_of(rest, m):
            others = self.candidates(rest)
            if others:
                return None, Problem(
                    ERROR, f"`{text}`: {code} is {m.plain_name}'s code ({_period_of(m, code)}), "
                           f"but `{rest}` is {_and(str(o) for o in others)}",
                    "correct the code or the name")
            return m, Problem(WARNING, f"`{rest}` is not a name of {code} ({m.name}) in the register",
                              self._suggest(rest) or f"the register's name for it: {m.plain_name}")
        return m, _year_problem(m, code, year)

    def _resolve_name(self, text: str, year: int) -> tuple[Municipality | None, Problem | None]:
        found = self._by_alias.get(_norm(text), ())
        if not found:
            return None, Problem(ERROR, f"unknown municipality `{text}`", self._suggest(text) or _COVERAGE_HINT)
        if len(found) > 1:
            existing = tuple(m for m in found if m.code_in(year) is not None)
            if len(existing) != 1:
                return None, self._ambiguous(text, found, year)
            found = existing
        return found[0], _year_problem(found[0], None, year)

    def _ambiguous(self, text: str, found: Sequence[Municipality], year: int | None) -> Problem:
        def one(m: Municipality) -> str:
            return f"{m.name} {(m.code_in(year) if year is not None else None) or m.code}"

        where = f" in {year}" if year is not None else ""
        return Problem(ERROR, f"`{text}` is ambiguous{where}: {_and(one(m) for m in found)}",
                       f"write the code, or the full name, e.g. `{found[0].name}`")

    def _suggest(self, text: str) -> str | None:
        close = difflib.get_close_matches(_norm(text), list(self._display), n=1, cutoff=0.6)
        return f"did you mean `{self._display[close[0]]}`?" if close else None


_COVERAGE_HINT = ("the register knows every code from 2024 and the ten ASSS municipalities' since before 2007; "
                  "a KLASS export adds older ones (docs/data.md, \"Municipalities over time\")")


def _period_of(m: Municipality, code: str) -> str:
    return " and ".join(str(p).split(" ", 1)[1].strip("()") for p in m.codes if p.code == code)


def _year_problem(m: Municipality, code: str | None, year: int) -> Problem | None:
    """A warning where `m` did not exist in `year`, or where the cell's code is one `m` got after a
    merger and the year is before it: SSB republishes earlier years under today's codes, summed
    over today's territory."""
    exists = m.exists_in(year)
    if exists is False:
        if m.last_year is not None and year > m.last_year:
            ending = next((e for e in m.events if e.year == m.last_year + 1 and e.is_break), None)
            why = f"{ending}" if ending else f"its last year is {m.last_year}"
        else:
            why = f"it was created in {m.codes[0].first}"
        return Problem(WARNING, f"{m.plain_name} has no code in {year}: {why}",
                       "check the year, or the municipality this value is for")
    if code is None or exists is not True:
        return None
    periods = [p for p in m.codes if p.code == code]
    if any(p.valid_in(year) for p in periods):
        return None
    lo = min(p.first if p.first is not None else -_INF for p in periods)
    hi = max(p.last if p.last is not None else _INF for p in periods)
    between = [e for e in m.events if e.is_break and (year < e.year <= hi if year < lo else lo < e.year <= year)]
    if not between:
        return None
    return Problem(WARNING, f"{code} is {m.plain_name}'s code {_period_of(m, code)}, and a value for {year} "
                            f"under it may cover another territory: {'; '.join(str(e) for e in between)}",
                   f"{m.plain_name}'s code in {year} is {m.code_in(year)}; "
                   "SSB republishes earlier years under today's codes, summed over today's territory")


def _and(items: Iterable[object]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


# --- names and codes as text ------------------------------------------------

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SSB_YEARS = re.compile(r"\s*\((?:\d{4})?\s*-\s*(?:\d{4})?\)$")  # SSB's "(-2017)", "(2020-2023)"
_COUNTY = re.compile(r"\s*\([^)]*\)$")  # "Herøy (Nordland)"
_PARTS = re.compile(r"\s+-\s+")
_CODE = re.compile(r"^(?:[Kk][-.]?)?(\d{3,4})(?!\d)(?:\s*[:-]\s+|\s+|$)(.*)$")


def _norm(text: str) -> str:
    if not text.isascii():
        text = _DASHES.sub("-", unicodedata.normalize("NFC", text))
    text = " ".join(text.replace("_", " ").split())
    return (_SSB_YEARS.sub("", text) if text.endswith(")") else text).casefold()


@functools.lru_cache(maxsize=4096)
def _split_parts(name: str) -> tuple[str, ...]:
    """`Storfjord - Omasvuotna - Omasvuono` -> its three forms."""
    name = _DASHES.sub("-", name) if not name.isascii() else name
    return tuple(p.strip() for p in _PARTS.split(name) if p.strip()) if " -" in name else (name.strip(),)


@functools.lru_cache(maxsize=4096)
def _aliases(name: str) -> dict[str, str]:
    """Every way to write `name`, normalised, each with the text it comes from (for suggestions)."""
    out = {_norm(name): name}
    for part in _split_parts(name):
        out.setdefault(_norm(part), part)
    for alias, text in list(out.items()):
        out.setdefault(_COUNTY.sub("", alias), _COUNTY.sub("", text))
    out.pop("", None)
    return out


def _split_code(text: str) -> tuple[str | None, str]:
    m = _CODE.match(text.strip())
    if not m:
        return None, text.strip()
    return m.group(1).zfill(4), m.group(2).strip()


def _canonical_code(text: str) -> str | None:
    code, rest = _split_code(text)
    return code if code and not rest else None


# --- reading the sources -----------------------------------------------------


@attrs.frozen
class _Record:
    """One source's statement about one code."""

    code: str
    name: str  # "" where the source does not say
    first: int | None  # first year valid; None: not given
    last: int | None  # last year valid; None: still valid
    since: int | None  # with first None: the earliest year known valid (None: since before history)
    successors: tuple[str, ...]
    as_of: int  # the year the name is from: newer names win
    source: str


_COLUMNS = {
    "code": {"code"}, "name": {"name", "newname"}, "newcode": {"newcode"}, "oldcode": {"oldcode"},
    "oldname": {"oldname"}, "date": {"oldcodevalidto", "changeoccurred", "changedate", "date"},
    "validfrom": {"validfrom"}, "clippedfrom": {"validfrominrequestedrange"},
    "validto": {"validto", "validtoinrequestedrange"}, "successor": {"successor", "successors"},
    "source": {"source"},
}


def read_source(text: str, path: str, *, valid_at: int | None = None, since: int | None = None,
                source: str | None = None) -> tuple[list[_Record], list[Diagnostic]]:
    """One file: a change list (`new_code,name,old_code,old_code_valid_to`, or KLASS's `oldCode,
    oldName,newCode,newName,changeOccurred`) or codes with their validity (`code,name,valid_from,
    valid_to[,successor]`, or KLASS's `validFrom`/`validTo`). A plain list of codes (`code,name`)
    needs `valid_at`, the year it is valid in, and `since`, the year from which it is vouched for."""
    text = text.lstrip("\ufeff")
    head = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if head.count(";") > head.count(",") else ",")
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [error(Span(path, 1, 1), "the file is empty or its header cannot be read")]
    col: dict[str, int] = {}
    for i, h in enumerate(header):
        key = re.sub(r"[^a-z]", "", h.lower())
        for field, names in _COLUMNS.items():
            if key in names and field not in col:
                col[field] = i
    if {"newcode", "oldcode", "date"} <= col.keys():
        shape = "changes"
    elif {"code", "name"} <= col.keys() and (col.keys() & {"validfrom", "clippedfrom", "validto"} or valid_at):
        shape = "codes"
    else:
        return [], [error(Span(path, 1, 1), "the header names neither a change list nor codes with their validity",
                          "a change list: new_code,name,old_code,old_code_valid_to; "
                          "codes: code,name,valid_from,valid_to (dates, valid_to the first day no longer valid)")]
    rows: list[tuple[int, list[str]]] = []
    diags: list[Diagnostic] = []
    try:
        for row in reader:
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#"):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        diags.append(error(Span(path, reader.line_num, 1), f"cannot read this line: {exc}"))

    def cell(row: list[str], field: str) -> str:
        i = col.get(field)
        return row[i].strip() if i is not None and i < len(row) else ""

    records: list[_Record] = []
    source_default = source or path
    if shape == "changes":
        per_new: dict[str, int] = {}
        per_old: dict[str, int] = {}
        for _, row in rows:
            per_new[cell(row, "newcode")] = per_new.get(cell(row, "newcode"), 0) + 1
            per_old[cell(row, "oldcode")] = per_old.get(cell(row, "oldcode"), 0) + 1
    for lineno, row in rows:
        where = Span(path, lineno, 1)
        source = cell(row, "source") or source_default
        if shape == "changes":
            new, old = _canonical_code(cell(row, "newcode")), _canonical_code(cell(row, "oldcode"))
            day = _date(cell(row, "date"))
            if new is None or old is None or day is None:
                diags.append(error(where, "a change needs a new code, an old code (four digits) and a date (2024-01-01)"))
                continue
            name = cell(row, "name")
            year = day.year
            if new == old:  # a municipality that kept its code in a merger: valid before and after
                records.append(_Record(new, name, None, None, year - 1, (), year, source))
                continue
            # without the old name, a renumbering keeps its name; in a merger the name is not known
            old_name = cell(row, "oldname") or (name if per_new[cell(row, "newcode")] == 1
                                                and per_old[cell(row, "oldcode")] == 1 else "")
            records.append(_Record(old, old_name, None, year - 1, year - 1, (new,), year - 1, source))
            records.append(_Record(new, name, year, None, None, (), year, source))
        else:
            code = _canonical_code(cell(row, "code"))
            if code is None:
                diags.append(error(where, f"`{cell(row, 'code')}` is not a municipality code (four digits)"))
                continue
            texts = {f: cell(row, f) for f in ("validfrom", "clippedfrom", "validto")}
            days = {f: _date(t) for f, t in texts.items()}
            bad = next((t for f, t in texts.items() if t and days[f] is None), None)
            if bad:
                diags.append(error(where, f"`{bad}` is not a date", "write dates as 2020-01-01"))
                continue
            successors = tuple(c for c in (_canonical_code(s) for s in re.split(r"[\s|/]+", cell(row, "successor")))
                               if c) if "successor" in col else ()
            last = (days["validto"] - datetime.timedelta(days=1)).year if days["validto"] else None
            if days["validfrom"]:
                first, start = days["validfrom"].year, None
            elif days["clippedfrom"]:  # KLASS clips validity to the range asked for: known from, not created
                first, start = None, days["clippedfrom"].year
            elif valid_at is not None:
                first, start = None, since if since is not None else valid_at
            else:
                first, start = None, None
            if first is not None and last is not None and last < first:
                diags.append(error(where, "valid_to is not after valid_from"))
                continue
            as_of = valid_at if valid_at is not None else (last if last is not None else first or start or 0)
            records.append(_Record(code, cell(row, "name"), first, last, start, successors, as_of, source))
    return records, diags


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)  # as Norwegian spreadsheets write it
    try:
        return datetime.date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None
    except ValueError:
        return None


_SHIPPED = (  # file, and for a plain list of codes: the year it is valid in, the year it vouches from
    ("kommuner_2026.csv", 2026, 2024),  # no code changed between 2024-01-02 and 2026-01-01
    ("kommunenummer_endringer_2024.csv", None, None),
    ("asss_history.csv", None, None),
)
_SHIPPED_SOURCES = {
    "kommuner_2026.csv": "SSB KLASS 131, codes valid on 2026-01-01 (kommuner_2026.csv)",
    "kommunenummer_endringer_2024.csv": "SSB KLASS 131, changes of 2024-01-01 (kommunenummer_endringer_2024.csv)",
}
COVERAGE = ("every code from 2024 (SSB KLASS 131: the municipalities of 2026 and the changes of 2024-01-01), "
            "the 2023 codes of the 112 that changed then, and the ten ASSS municipalities and those that merged "
            "into them as far back as their codes go")


@functools.cache
def _shipped_records() -> tuple[_Record, ...]:
    out: list[_Record] = []
    folder = resources.files("benchdsl") / "data_files"
    for name, valid_at, since in _SHIPPED:
        records, diags = read_source((folder / name).read_text(encoding="utf-8"), name,
                                     valid_at=valid_at, since=since, source=_SHIPPED_SOURCES.get(name))
        assert not diags, diags  # the shipped files are tested; a problem here is a bug
        out += records
    return tuple(out)


@functools.cache
def default() -> Register:
    """The shipped register, read once per process."""
    return build(_shipped_records(), COVERAGE)


def load(extra: Sequence[str] = ()) -> tuple[Register, list[Diagnostic]]:
    """The shipped register extended by KLASS exports (see `read_source` for their shapes)."""
    if not extra:
        return default(), []
    records = list(_shipped_records())
    diags: list[Diagnostic] = []
    for path in extra:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as exc:
            diags.append(error(None, f"cannot read the municipality file {path}: {exc.strerror or exc}"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # KLASS's CSV in Excel's encoding
        more, problems = read_source(text, path)
        records += more
        diags += problems
    return build(records, COVERAGE + f", extended by {', '.join(extra)}"), diags


# --- building: records -> periods -> municipalities and events --------------


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def build(records: Iterable[_Record], coverage: str) -> Register:
    periods = _periods(records)
    by_code: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        by_code.setdefault(p.code, []).append(i)

    # links: period i continued under period j from 1 January of `year`
    links: dict[int, list[tuple[int, int]]] = {}
    for i, p in enumerate(periods):
        if p.last is None:
            continue
        year = p.last + 1
        for code in p.successors:
            j = next((j for j in by_code.get(code, ()) if j != i and periods[j].valid_in(year) is not False
                      and (periods[j].first is None or periods[j].first <= year)), None)
            if j is not None:
                links.setdefault(year, []).append((i, j))

    lineage = _Union(len(periods))
    events: list[tuple[Event, set[int]]] = []
    for year, pairs in sorted(links.items()):
        groups = _Union(len(periods))
        for i, j in pairs:
            groups.union(i, j)
        components: dict[int, tuple[set[int], set[int]]] = {}
        for i, j in pairs:
            before, after = components.setdefault(groups.find(i), (set(), set()))
            before.add(i)
            after.add(j)
        for before, after in components.values():
            continuing = {j for j in after if periods[j].first is None or periods[j].first < year}
            went_in = sorted(before | continuing, key=lambda k: periods[k].code)
            came_out = sorted(after, key=lambda k: periods[k].code)
            kind = (Kind.CODE_CHANGE if len(went_in) == 1 and len(came_out) == 1 else
                    Kind.MERGER if len(came_out) == 1 else
                    Kind.SPLIT if len(went_in) == 1 else Kind.REORGANISATION)
            used: set[int] = set()
            for j in came_out:
                if j in continuing:
                    continue
                heir = _heir(periods, j, [i for i in sorted(before) if i not in used], single=kind is Kind.CODE_CHANGE)
                if heir is not None:
                    used.add(heir)
                    lineage.union(heir, j)
            sources = tuple(dict.fromkeys(s for k in before | after for s in periods[k].sources))
            event = Event(year, kind, tuple(_code_name(periods[k]) for k in went_in),
                          tuple(_code_name(periods[k]) for k in came_out), "; ".join(sources))
            events.append((event, before | after))

    members: dict[int, list[int]] = {}
    for i in range(len(periods)):
        members.setdefault(lineage.find(i), []).append(i)
    events_of: dict[int, list[Event]] = {}
    for event, involved in events:
        for root in dict.fromkeys(lineage.find(k) for k in involved):
            events_of.setdefault(root, []).append(event)
    municipalities: list[Municipality] = []
    owner: dict[int, Municipality] = {}
    for root, idx in members.items():
        idx.sort(key=lambda k: (periods[k].first if periods[k].first is not None else -_INF,
                                periods[k].last if periods[k].last is not None else _INF))
        names = tuple(dict.fromkeys(n for k in sorted(idx, key=lambda k: -periods[k].as_of) for n in periods[k].names))
        m = Municipality(tuple(periods[k] for k in idx), names, tuple(events_of.get(root, ())))
        municipalities.append(m)
        for k in idx:
            owner[k] = m

    by_alias: dict[str, list[Municipality]] = {}
    display: dict[str, str] = {}
    for m in municipalities:
        for name in m.names:
            for alias, text in _aliases(name).items():
                if m not in by_alias.setdefault(alias, []):
                    by_alias[alias].append(m)
                display.setdefault(alias, text)
    return Register(
        tuple(sorted(municipalities, key=lambda m: m.code)), coverage,
        {code: tuple((periods[k], owner[k]) for k in idx) for code, idx in by_code.items()},
        {a: tuple(ms) for a, ms in by_alias.items()}, display)


def _heir(periods: list[Period], j: int, before: list[int], single: bool) -> int | None:
    """Which municipality going in continues as `j`: the only one, or the one whose code or name it keeps."""
    if single and len(before) == 1:
        return before[0]
    for i in before:
        if periods[i].code == periods[j].code:
            return i
    names = {a for n in periods[j].names for a in _aliases(n)}
    return next((i for i in before if any(a in names for n in periods[i].names for a in _aliases(n))), None)


def _code_name(p: Period) -> CodeName:
    return CodeName(p.code, _split_parts(p.name)[0] if p.name else "")


def _periods(records: Iterable[_Record]) -> list[Period]:
    """Statements about the same code whose years overlap are one period."""
    by_code: dict[str, list[_Record]] = {}
    for r in records:
        by_code.setdefault(r.code, []).append(r)
    out: list[Period] = []
    for code, rs in by_code.items():
        def span(r: _Record) -> tuple[int, int]:
            lo = r.first if r.first is not None else (r.since if r.since is not None else -_INF)
            return lo, r.last if r.last is not None else _INF

        rs.sort(key=span)
        cluster: list[_Record] = []
        hi = -_INF - 1
        for r in rs:
            lo, end = span(r)
            if cluster and lo > hi:
                out.append(_merge(code, cluster))
                cluster = []
            cluster.append(r)
            hi = max(hi, end) if len(cluster) > 1 else end
        out.append(_merge(code, cluster))
    return out


def _merge(code: str, rs: list[_Record]) -> Period:
    starts = [r.first if r.first is not None else -_INF for r in rs if r.first is not None or r.since is None]
    if starts:
        first = min(starts)
        first = None if first == -_INF else first
        known_from = first
    else:
        first, known_from = None, min(r.since for r in rs if r.since is not None)
    lasts = [r.last for r in rs if r.last is not None]
    last = max(lasts) if lasts else None
    if last is not None and any(r.last is None and r.as_of > last for r in rs):
        last = None  # a newer source still lists it
    names = tuple(dict.fromkeys(r.name for r in sorted(rs, key=lambda r: -r.as_of) if r.name))
    successors = tuple(dict.fromkeys(s for r in rs for s in r.successors if s != code))
    sources = tuple(dict.fromkeys(r.source for r in rs))
    return Period(code, names, first, last, known_from, successors, sources, max(r.as_of for r in rs))


# --- the shipped register as functions --------------------------------------


def lookup(text: str) -> Municipality | None:
    return default().lookup(text)


def resolve(cell: str, year: int) -> tuple[Municipality | None, Problem | None]:
    return default().resolve(cell, year)


def code_in(municipality: Municipality, year: int) -> str | None:
    return municipality.code_in(year)


def breaks(municipality: Municipality, from_year: int, to_year: int) -> list[Event]:
    return default().breaks(municipality, from_year, to_year)


def declared(name: str, code: str | None) -> tuple[Municipality | None, Problem | None]:
    return default().declared(name, code)
