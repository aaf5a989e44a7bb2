"""The municipality register's sources: reading SSB's files and KLASS exports, and building.

Every source says things about codes (`_Record`): valid from, valid to, known from, continued
under. Statements about the same code whose years overlap are one `Period`; a period continued
under another is a change, and the changes of one 1 January that share codes are one `Event`
(a new code, a merger, a split). A municipality is the chain of periods that continue one
another: through a new code, or through a merger or split whose result keeps its code or name.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import NamedTuple

from benchdsl.span import Span
from benchdsl.diagnostics import Diagnostic, error
from benchdsl.registry import (
    _INF, CodeName, Event, Kind, Municipality, Period, Register, _aliases, _canonical_code, _split_parts,
)


class _Record(NamedTuple):  # a NamedTuple: hundreds are made on every start
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
    if not text:
        return None
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
def shipped_records() -> tuple[_Record, ...]:
    out: list[_Record] = []
    folder = resources.files("benchdsl") / "data_files"
    for name, valid_at, since in _SHIPPED:
        records, diags = read_source((folder / name).read_text(encoding="utf-8"), name,
                                     valid_at=valid_at, since=since, source=_SHIPPED_SOURCES.get(name))
        assert not diags, diags  # the shipped files are tested; a problem here is a bug
        out += records
    return tuple(out)


def load(extra: Sequence[str]) -> tuple[Register, list[Diagnostic]]:
    """The shipped register extended by KLASS exports (see `read_source` for their shapes)."""
    records = list(shipped_records())
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
        if len(rs) == 1:
            out.append(_merge(code, rs))
            continue
        rs.sort(key=_span)
        cluster: list[_Record] = []
        hi = -_INF - 1
        for r in rs:
            lo, end = _span(r)
            if cluster and lo > hi:
                out.append(_merge(code, cluster))
                cluster = []
            cluster.append(r)
            hi = max(hi, end) if len(cluster) > 1 else end
        out.append(_merge(code, cluster))
    return out


def _span(r: _Record) -> tuple[int, int]:
    """The years `r` vouches for: from its first year, or the first it is known in, to its last."""
    lo = r.first if r.first is not None else (r.since if r.since is not None else -_INF)
    return lo, r.last if r.last is not None else _INF


def _merge(code: str, rs: list[_Record]) -> Period:
    if len(rs) == 1:  # most codes: one statement
        r = rs[0]
        return Period(code, (r.name,) if r.name else (), r.first, r.last,
                      r.first if r.first is not None else r.since,
                      tuple(s for s in r.successors if s != code), (r.source,), r.as_of)
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

