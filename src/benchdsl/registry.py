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
    series_breaks(reads, declared) -> tuple[SeriesBreak, ...] those a figure's inputs cross
    declared(name, code)          -> (Municipality | None, Problem | None)   `municipality NAME CODE`

These use the shipped register, read on first use (5-10 ms) and kept for the
process; a `Register` from `load()` has the same methods.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from benchdsl.span import Span
from benchdsl.diagnostics import ERROR, WARNING, Diagnostic

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
        if self.first is None and self.known_from is not None:  # an unknown start
            if self.last is None:
                return f"{self.code} (from {self.known_from} or earlier)"
            years = self.last if self.last == self.known_from else f"{self.known_from}-{self.last}"
            return f"{self.code} ({years}; earlier unknown)"
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
        """The first year the register knows this municipality's code; None where it knows its
        whole history (back to when it was made, or to before the register's history begins)."""
        p = self.codes[0]
        return None if p.first is not None else p.known_from

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
            why = f"{ending}" if ending else f"its last year was {m.last_year}"
        else:
            why = f"its first year was {m.codes[0].first}"
        return Problem(WARNING, f"{m.plain_name} has no code in {year} ({why})",
                       "check the year, or the municipality this value is for")
    if code is None or exists is not True:
        return None
    periods = [p for p in m.codes if p.code == code]
    if any(p.valid_in(year) for p in periods):
        return None
    lo = min(p.first if p.first is not None else -_INF for p in periods)
    hi = max(p.last if p.last is not None else _INF for p in periods)
    between = [e for e in m.events if e.is_break and (year < e.year <= hi if year < lo else hi < e.year <= year)]
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
        if alias.endswith(")"):
            out.setdefault(_COUNTY.sub("", alias), _COUNTY.sub("", text))
    out.pop("", None)
    return out


def _split_code(text: str) -> tuple[str | None, str]:
    m = _CODE.match(text.strip())
    if not m:
        return None, text.strip()
    return m.group(1).zfill(4), m.group(2).strip()


def _canonical_code(text: str) -> str | None:
    if len(text) == 4 and text.isdigit():
        return text
    code, rest = _split_code(text)
    return code if code and not rest else None


# --- series breaks: comparisons across years ---------------------------------


@attrs.frozen
class SeriesBreak:
    """A figure reads one municipality's values in two years with a merger or split between them
    (or with years the register cannot vouch for): the series compares different territories."""

    municipality: str  # as the rules (or the panel) name it
    from_year: int
    to_year: int
    events: tuple[Event, ...]

    @property
    def certain(self) -> bool:
        """False where the register only cannot rule a break out (its history starts later)."""
        return any(e.kind is not Kind.UNKNOWN for e in self.events)

    @property
    def text(self) -> str:
        what = ("across a series break" if self.certain
                else "and the register cannot tell whether a merger or split lies between")
        return (f"{self.municipality} {self.from_year} is compared with {self.to_year} {what}: "
                + "; ".join(str(e) for e in self.events))

    def as_dict(self) -> dict:
        return {"municipality": self.municipality, "from_year": self.from_year, "to_year": self.to_year,
                "certain": self.certain, "text": self.text,
                "events": [{"year": e.year, "kind": e.kind.value, "text": str(e),
                            "went_in": [str(c) for c in e.went_in], "came_out": [str(c) for c in e.came_out]}
                           for e in self.events]}


def series_breaks(reads: Iterable[tuple[str, int]], declared: dict[str, str | None] | None = None,
                  register: Register | None = None) -> tuple[SeriesBreak, ...]:
    """The breaks a figure crosses: `reads` are the (municipality, year) whose values it read,
    `declared` the rules' `municipality NAME CODE` (name -> code).  Each municipality read in more
    than one year is looked up (by its declared code, else by name) and asked for the mergers and
    splits between its first and last year.  The register is loaded only then; a municipality it
    does not know (made-up test names) has no breaks it could name."""
    years: dict[str, set[int]] = {}
    for muni, year in reads:
        years.setdefault(muni, set()).add(year)
    spans = [(m, min(ys), max(ys)) for m, ys in years.items() if len(ys) > 1]
    if not spans:
        return ()
    reg = register or default()
    declared = declared or {}
    out = []
    for name, lo, hi in spans:
        if name in declared:
            m, problem = reg.declared(name, declared[name])
            m = None if problem is not None and problem.is_error else m
        else:
            m = reg.lookup(name)
        if m is None:
            continue
        # An unknown history is worth saying where the comparison reaches from before the register's
        # knowledge into it; where both years are before it, the register has nothing to say at all.
        events = [e for e in reg.breaks(m, lo, hi) if e.year <= hi]
        if events:
            out.append(SeriesBreak(name, lo, hi, tuple(events)))
    return tuple(out)


# --- the shipped register ----------------------------------------------------


@functools.cache
def default() -> Register:
    """The shipped register, read once per process."""
    from benchdsl import registry_sources

    return registry_sources.build(registry_sources.shipped_records(), registry_sources.COVERAGE)


def load(extra: Sequence[str] = ()) -> tuple[Register, list[Diagnostic]]:
    """The shipped register extended by KLASS exports: a change list (`new_code,name,old_code,
    old_code_valid_to`, or KLASS's `oldCode,oldName,newCode,newName,changeOccurred`), or codes
    with their validity (`code,name,valid_from,valid_to`, or KLASS's `validFrom`/`validTo`)."""
    if not extra:
        return default(), []
    from benchdsl import registry_sources

    return registry_sources.load(extra)



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
