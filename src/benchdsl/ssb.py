"""SSB's formats, as analysts download them: Statbank CSV and JSON-stat 2.0.

Which KOSTRA series feeds which indicator is declared in a mapping file, a
CSV with the columns `variable,unit` and one column per dimension to match:

    variable,unit,statistikkvariabel
    sfo_brutto_per_bruker,NOK/user,Korrigerte brutto driftsutgifter per bruker (kr)

A series matches a mapping line when, for every dimension the line names, its
category is the code or the label given (for JSON-stat the dimension is named
by id or label, e.g. ContentsCode, KOKfunksjon0000 or "funksjon").  Series no
line matches are not read.  SSB's symbols become explicit gaps, never zeros.
The mapping gives each series' unit: SSB's files give only a `base` (kr,
personer), which is checked against it where it says money or a share.

Regions go through the municipality register in their year (`5001 Trondheim -
Tråante` is the rules' Trondheim, declared 1601 or 5001); regions that are not
municipalities the rules declare or the register knows (EAK Landet, EKG13, an
old code) are left out with one warning per file.

Every reader validates what it is given before using it: a file that is not
what it claims to be is a located error in an analyst's words, never a
traceback, and two series landing on one observation are an error, never an
overwrite.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from array import array

from benchdsl import data, ir
from benchdsl.span import Span
from benchdsl.diagnostics import Diagnostic, error, split_lines, warning

_YEAR = re.compile(r"\b(19|20)[0-9]{2}\b")
MAX_CELLS = 5_000_000  # observations one JSON-stat file may give through a mapping


# --- the mapping ---------------------------------------------------------------------

def read_mapping(text: str, path: str) -> tuple[list[dict], list[Diagnostic]]:
    """Mapping lines: {variable, unit, match: {dimension (lowercase): code or label}, span, unit_span}."""
    lines = split_lines(text)
    delim = _delimiter(lines[:1])
    rows, diags = _csv_rows(lines, path, delim)
    rows = [(n, r) for n, r in rows if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if diags:
        return [], diags
    usage = "a mapping starts with the columns variable,unit and then the dimensions to match"
    if not rows or [h.strip().lower() for h in rows[0][1][:2]] != ["variable", "unit"]:
        return [], [error(Span(path, rows[0][0] if rows else 1, 1), usage, "e.g. variable,unit,statistikkvariabel")]
    head_line, header = rows[0]
    dims = [h.strip() for h in header[2:]]
    if not dims:
        return [], [error(Span(path, head_line, 1), "the mapping names no dimension to match, "
                                                    "so every series would map to its first variable",
                          "add a column per dimension to match, e.g. variable,unit,statistikkvariabel")]
    lowered = [d.lower() for d in dims]
    for i, d in enumerate(lowered):
        if not d:
            return [], [error(Span(path, head_line, 1), f"column {i + 3} of the header has no name",
                              "name the dimension it matches, e.g. statistikkvariabel")]
        if d in lowered[:i]:
            return [], [error(Span(path, head_line, 1), f"the dimension `{dims[i]}` is named twice in the header")]
    out: list[dict] = []
    firsts: dict[tuple, int] = {}
    for n, r in rows[1:]:
        raw = lines[n - 1] if n - 1 < len(lines) else ""
        whole = Span(path, n, 1, n, len(raw) + 1)
        if len(r) != len(header):
            diags.append(error(whole, f"this line has {len(r)} field{'s' if len(r) != 1 else ''}, the header {len(header)}",
                               "give a variable, a unit and a value (or nothing) for each dimension"))
            continue
        variable, unit = r[0].strip(), r[1].strip()
        match = {d: v.strip() for d, v in zip(lowered, r[2:]) if v.strip()}
        if not variable or not unit:
            diags.append(error(whole, f"this line has no {'variable' if not variable else 'unit'}",
                               "every line names a panel variable and the unit the series is in"))
            continue
        if not match:
            diags.append(error(whole, "this line names no category, so it would match every series",
                               f"write the series' code or label under {', '.join(dims)}"))
            continue
        key = tuple(sorted((d, v.lower()) for d, v in match.items()))
        if key in firsts:
            diags.append(error(whole, f"this line matches the same series as line {firsts[key]}",
                               "remove one of them"))
            continue
        firsts[key] = n
        out.append({"variable": variable, "unit": unit, "match": match, "span": whole,
                    "unit_span": data.cell_span(path, n, data.field_starts(raw, delim), 1, r[1])})
    return (out if not diags else []), diags


def _delimiter(head: list[str]) -> str:
    text = "\n".join(head)
    return ";" if text.count(";") > text.count(",") else ","


def _csv_rows(lines: list[str], path: str, delim: str) -> tuple[list[tuple[int, list[str]]], list[Diagnostic]]:
    """(line where the row starts, fields) for every row; a csv error stops the file with a located error."""
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)
    rows, last = [], 0
    try:
        for row in reader:
            rows.append((last + 1, row))
            last = reader.line_num
    except csv.Error as exc:
        return rows, [data.csv_error(exc, Span(path, max(reader.line_num, 1), 1))]
    return rows, []


def _category_matches(wanted: str, code: str, label: str) -> bool:
    w = wanted.lower()
    return w in (code.lower(), label.lower(), f"{code} {label}".lower())


def _split_code(text: str) -> tuple[str, str]:
    """'1601 Trondheim' -> ('1601', 'Trondheim'); 'Trondheim' -> ('Trondheim', 'Trondheim')."""
    m = re.match(r"^(\S+)\s+(.*)$", text.strip())
    if m and any(ch.isdigit() for ch in m.group(1)):
        return m.group(1), m.group(2)
    return text.strip(), text.strip()


_SAME_NAME = ("both are one municipality in the register (a code it had in another year, or its label); "
              "download one of them, or declare each with its own code (municipality NAME CODE)")


def _map(mapping: list[dict], categories: dict[str, tuple[str, str]]):
    """categories: {dimension name (lowercase): (code, label)}; -> the index of the first mapping line that matches."""
    for k, m in enumerate(mapping):
        if all(d in categories and _category_matches(v, *categories[d]) for d, v in m["match"].items()):
            return k
    return None


class _Regions:
    """A file's regions -> the rules' municipalities, in each year; what is not read, said once."""

    def __init__(self, program: ir.Program, municipalities, panel: data.Panel, path: str):
        self.munis = municipalities or data.Municipalities(program)
        self.panel, self.path = panel, path
        self.problems = data.CellProblems()
        self.memo: dict[tuple[str, int], int] = {}
        self.skipped: dict[str, Span] = {}

    def index(self, cell: str, year: int, span) -> int | None:
        """The panel's index of the municipality `cell` names in `year`; None: not read.
        `span` is a Span, or a function giving it (made only when needed)."""
        key = (cell, year)
        got = self.memo.get(key)
        if got is not None and got >= 0:
            return got
        name, problem = self.munis.resolve(cell, year)
        if name is None:  # an aggregate (EAK Landet, EKG13), or a code the register does not know
            self.skipped.setdefault(cell.strip(), span() if callable(span) else span)
            self.memo[key] = -1
            return None
        if problem is not None:
            self.problems.add(cell, year, problem, span() if callable(span) else span)
            return self.panel.index("munis", name)
        i = self.memo[key] = self.panel.index("munis", name)
        return i

    def diagnostics(self) -> list[Diagnostic]:
        out = self.problems.diagnostics()
        if self.skipped:
            cells = list(self.skipped)
            shown = ", ".join(f"`{c}`" for c in cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")
            which = "a region that is" if len(cells) == 1 else f"{len(cells)} regions that are"
            out.append(warning(self.skipped[cells[0]], f"`{self.path}` has {which} not a municipality the rules "
                                                       f"declare or the register knows, not read: {shown}",
                               "regions such as EAK Landet or EKG13 are not municipalities; to read a municipality "
                               "the register does not know, declare it with its code (municipality NAME CODE)"))
        return out


# --- Statbank CSV --------------------------------------------------------------------

def read_statbank_csv(text: str, path: str, program: ir.Program, mapping: list[dict], municipalities=None,
                      line_of=None) -> tuple[data.Panel, list[Diagnostic]]:
    """A Statbank CSV export: title rows, then a header, then one line per series (years as columns)
    or per observation (a year column and a value column)."""
    lines = split_lines(text)
    if line_of is None:
        line_of = lambda n: lines[n - 1] if 0 < n <= len(lines) else None  # noqa: E731
    delim = ";" if sum(ln.count(";") for ln in lines[:5]) >= sum(ln.count(",") for ln in lines[:5]) else ","
    rows, diags = _csv_rows(lines, path, delim)
    at = next((i for i, (_, r) in enumerate(rows) if len(r) > 2), None)
    if at is None:
        return data.Panel(path), diags or [error(Span(path, 1, 1), "no header line found: is this a Statbank CSV export?")]
    head_line, header = rows[at][0], [h.strip() for h in rows[at][1]]
    lower = [h.lower() for h in header]
    region = next((i for i, h in enumerate(lower) if "region" in h or h in ("kommune", "municipality")), None)
    if region is None:
        return data.Panel(path), [error(Span(path, head_line, 1), "no region column in the header",
                                        "Statbank exports name it 'region'")]
    year_col = next((i for i, h in enumerate(lower) if h in ("år", "year", "tid", "time")), None)
    year_cols = {i: int(m.group(0)) for i, h in enumerate(header)
                 if i != region and year_col is None and (m := _YEAR.search(h))}
    if year_col is None and not year_cols:
        return data.Panel(path), [error(Span(path, head_line, 1), "no year: neither a column per year nor a year column")]
    value_col = len(header) - 1 if year_col is not None else None
    if year_col is not None and value_col in (region, year_col):
        return data.Panel(path), [error(Span(path, head_line, 1), "no value column after the region and year columns")]
    dims = [i for i in range(len(header)) if i not in (region, year_col, value_col) and i not in year_cols]
    extra = {i: _YEAR.sub("", header[i]).strip() for i in year_cols}  # "Brutto … 2007" names a series too
    present = {lower[i] for i in dims} | ({"statistikkvariabel"} if any(extra.values()) else set())
    diags.extend(_absent_dimensions(mapping, present, path, "columns: " + ", ".join(header)))
    fields = array("i")  # per observation, the field its value is in

    def categories(r: list[str], series: str) -> dict[str, tuple[str, str]]:
        c = {lower[i]: _split_code(r[i]) for i in dims}
        if series and "statistikkvariabel" not in c:
            c["statistikkvariabel"] = (series, series)
        return c

    def describe(panel: data.Panel, i: int):
        n, f = panel.where[i], fields[i]
        raw = line_of(n) or ""
        r = next(csv.reader([raw], delimiter=delim), [])
        r += [""] * (len(header) - len(r))
        described = ", ".join(f"{k} {v[1]}" for k, v in categories(r, extra.get(f, "")).items())
        m = mapping[panel.unit[i]]
        return (data.cell_span(path, n, data.field_starts(raw, delim), f, r[f]), m.get("unit_span"), "ssb",
                "Statbank: " + described)

    panel = data.Panel(path, describe)
    panel.units.extend(m["unit"] for m in mapping)  # a unit per mapping line (not `index`ed: each is located there)
    variables = [panel.index("variables", m["variable"]) for m in mapping]
    regions = _Regions(program, municipalities, panel, path)
    firsts: dict[tuple[int, int, int], tuple[int, str, str]] = {}
    for n, r in rows[at + 1:]:
        if not r or all(not c.strip() for c in r):
            continue
        raw = lines[n - 1] if n - 1 < len(lines) else ""
        if len(r) != len(header):
            diags.append(error(Span(path, n, 1, n, len(raw) + 1), f"this line has {len(r)} fields, the header {len(header)}"))
            continue
        starts = data.field_starts(raw, delim)
        if year_cols:
            cells = [(year_cols[i], i, extra[i]) for i in year_cols]
        else:
            year = data.read_year(r[year_col])
            if year is None:
                diags.append(error(data.cell_span(path, n, starts, year_col, r[year_col]),
                                   f"year `{r[year_col].strip()}` is not a year"))
                continue
            cells = [(year, value_col, "")]
        cats = None
        for year, i, series in cells:
            if cats is None or series:
                cats = categories(r, series)
            k = _map(mapping, cats)
            if k is None:
                continue
            muni = regions.index(r[region], year, lambda: data.cell_span(path, n, starts, region, r[region]))
            if muni is None:
                continue
            value, gap, problem = data.read_number(r[i], decimal_comma=delim == ";", grouping=True)
            if problem is not None:
                diags.append(error(data.cell_span(path, n, starts, i, r[i]), *problem))
                continue
            key = (variables[k], muni, year)
            if key in firsts:
                first, first_series, first_region = firsts[key]
                described = ", ".join(f"{d} {v[1]}" for d, v in cats.items())
                o = data.Obs(mapping[k]["variable"], panel.munis[muni], year, value, mapping[k]["unit"],
                             data.cell_span(path, n, starts, i, r[i]), "ssb", "", gap)
                diags.append(_statbank_twice(o, described, r[region].strip(), panel.obs(first), first_series,
                                             first_region))
                continue
            j = panel.add(variables[k], muni, year, value, gap, k, n)
            fields.append(i)
            firsts[key] = (j, ", ".join(f"{d} {v[1]}" for d, v in cats.items()), r[region].strip())
    diags.extend(regions.diagnostics())
    return panel, diags


def _absent_dimensions(mapping: list[dict], present: set[str], path: str, listed: str) -> list[Diagnostic]:
    """A warning for each dimension the mapping matches on that the file does not have: its lines read nothing."""
    out, said = [], set()
    for m in mapping:
        for d in m["match"]:
            if d not in present and d not in said:
                said.add(d)
                out.append(warning(m["span"], f"`{path}` has no dimension `{d}`, so mapping lines that match on it "
                                              "read nothing from it", f"its {listed}"))
    return out


def _statbank_twice(o: data.Obs, series: str, region: str, first: data.Obs, first_series: str, first_region: str):
    what = f"{o.variable} for {o.municipality} {o.year}"
    if series != first_series:
        return error(o.span, f"two series map to {what}: `{series}` here, `{first_series}` at {first.span}",
                     "make the mapping line match one series: add a column for the dimension that differs")
    if region != first_region:
        return error(o.span, f"`{region}` here and `{first_region}` at {first.span} are both {o.municipality}: "
                             f"{what} is given twice", _SAME_NAME)
    return error(o.span, f"{what} is given twice (first at {first.span})", "the file repeats a line; remove one")


# --- JSON-stat 2.0 -------------------------------------------------------------------

class _Bad(Exception):
    """A JSON-stat file that is not what it claims to be: message, hint and the keys leading to the spot."""

    def __init__(self, message: str, hint: str | None = None, keys: tuple[str, ...] = ()):
        super().__init__(message)
        self.message, self.hint, self.keys = message, hint, keys


_SPEC = "see json-stat.org/full: a dataset has id, size, dimension and value"


def read_jsonstat(text: str, path: str, program: ir.Program, mapping: list[dict],
                  municipalities=None) -> tuple[data.Panel, list[Diagnostic]]:
    """A JSON-stat 2.0 dataset as SSB's PxWebApi returns it: row-major `value`, `status` symbols,
    the regions and years by `role` (geo, time), each series' `unit` (`base`, `decimals`).

    `null` is a missing value (JSON-stat's own convention), explained by its `status`
    symbol when there is one; a sparse `value` object leaves out missing cells.
    """
    try:
        doc = _load(text)
        cube = _Cube.of(doc)
        return _observations(cube, text, path, program, mapping, municipalities)
    except _Bad as bad:
        return data.Panel(path), [error(_locate(text, path, bad.keys), bad.message, bad.hint)]
    except json.JSONDecodeError as exc:
        return data.Panel(path), [error(Span(path, exc.lineno, exc.colno), f"not JSON: {exc.msg}",
                                        "is this the file SSB's API returned? it should start with {")]
    except RecursionError:
        return data.Panel(path), [error(Span(path, 1, 1), "not a JSON-stat dataset: it is nested too deeply", _SPEC)]
    except ValueError as exc:  # an integer with thousands of digits
        said = "a number in it has too many digits" if "digits" in str(exc) else str(exc)
        return data.Panel(path), [error(Span(path, 1, 1), f"cannot read this JSON: {said}")]


def _load(text: str):
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise _Bad(f"the key `{k}` appears twice in one object", "JSON keeps only the last one: remove the other",
                           (k,))
            obj[k] = v
        return obj

    def constant(name):
        raise _Bad(f"`{name}` is not a number", "JSON has no NaN or Infinity; SSB writes null for a missing value")

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def _kind(x) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null"}.get(
        type(x), "a number")


class _Cube:
    def __init__(self, label, ids, sizes, dims, categories, role, values, status, about=""):
        self.label, self.ids, self.sizes, self.dims = label, ids, sizes, dims
        self.categories, self.role, self.values, self.status = categories, role, values, status
        self.about = about  # "SSB table 12362, Statistisk sentralbyrå, updated 2025-06-16": for provenance

    @classmethod
    def of(cls, doc) -> _Cube:
        if not isinstance(doc, dict):
            raise _Bad(f"not a JSON-stat dataset: the file holds {_kind(doc)}, not an object", _SPEC)
        if "id" not in doc and isinstance(doc.get("dataset"), dict):  # JSON-stat 1.x: {"dataset": {...}}
            doc = doc["dataset"]
        if doc.get("class") in ("bundle", "collection"):
            raise _Bad(f"this is a JSON-stat {doc['class']}, not a dataset", "download one table as a dataset",
                       ("class",))
        dimension = doc.get("dimension")
        head = doc
        if "id" not in doc and isinstance(dimension, dict) and "id" in dimension:  # 1.x keeps id, size, role there
            head = dimension
        for key in ("id", "size", "dimension", "value"):
            if key not in head and key not in doc:
                raise _Bad(f"not a JSON-stat 2.0 dataset: it has no `{key}`", _SPEC)
        ids, sizes = head["id"], head["size"]
        if not isinstance(ids, list) or not ids or not all(isinstance(d, str) for d in ids):
            raise _Bad("`id` must list the dimensions' names", _SPEC, ("id",))
        twice = next((d for i, d in enumerate(ids) if d in ids[:i]), None)
        if twice is not None:
            raise _Bad(f"`id` names the dimension `{twice}` twice", None, ("id",))
        if (not isinstance(sizes, list) or len(sizes) != len(ids)
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in sizes)):
            raise _Bad(f"`size` must give a count of categories for each of the {len(ids)} dimensions in `id`",
                       None, ("size",))
        if not isinstance(dimension, dict):
            raise _Bad(f"`dimension` is {_kind(dimension)}, not an object", _SPEC, ("dimension",))
        dims, categories = [], []
        for d, size in zip(ids, sizes):
            if not isinstance(dimension.get(d), dict):
                raise _Bad(f"the dimension `{d}` (in `id`) is not described in `dimension`", None, ("dimension",))
            dims.append(dimension[d])
            categories.append(_categories(d, dimension[d], size))
        role = head.get("role", doc.get("role"))
        role = {} if role is None else role
        if not isinstance(role, dict):
            raise _Bad(f"`role` is {_kind(role)}, not an object", None, ("role",))
        for r, named in role.items():
            if not isinstance(named, list) or not all(isinstance(d, str) for d in named):
                raise _Bad(f"`role` `{r}` must list dimension names", None, ("role", r))
            missing = next((d for d in named if d not in ids), None)
            if missing is not None:
                raise _Bad(f"`role` `{r}` names `{missing}`, which is not a dimension", f"the dimensions: {', '.join(ids)}",
                           ("role", r))
        total = math.prod(sizes)
        values = _values(doc.get("value", head.get("value")), total)
        status = _status(doc.get("status", head.get("status")), total)
        label = doc.get("label")
        return cls(label if isinstance(label, str) else "", ids, sizes, dims, categories, role, values, status,
                   _about(doc))


def _about(doc: dict) -> str:
    """Where a dataset comes from, as far as it says: its table, source and date (all optional metadata)."""
    ext = doc.get("extension")
    px = ext.get("px") if isinstance(ext, dict) else None
    table = px.get("tableid") if isinstance(px, dict) else None
    parts = [f"table {table}" if isinstance(table, str) else "", doc.get("source"), doc.get("updated")]
    return ", ".join(p for p in parts if isinstance(p, str) and p)


def _bases(dim: dict) -> dict[str, tuple[str, object]]:
    """A metric dimension's `category.unit`: {code: (base, decimals)}; whatever is not well formed is left out."""
    cat = dim.get("category")
    unit = cat.get("unit") if isinstance(cat, dict) else None
    if not isinstance(unit, dict):
        return {}
    return {code: (u["base"].strip(), u.get("decimals")) for code, u in unit.items()
            if isinstance(u, dict) and isinstance(u.get("base"), str)}


def _notes(dim: dict) -> dict[str, str]:
    """A dimension's category notes: {code: "note; note"}."""
    cat = dim.get("category")
    notes = cat.get("note") if isinstance(cat, dict) else None
    if not isinstance(notes, dict):
        return {}
    return {code: "; ".join(n for n in ns if isinstance(n, str)) for code, ns in notes.items() if isinstance(ns, list)}


def _categories(d: str, dim: dict, size: int) -> list[tuple[str, str]]:
    cat = dim.get("category")
    keys = ("dimension", d, "category")
    if not isinstance(cat, dict):
        raise _Bad(f"the dimension `{d}` has no `category`", _SPEC, keys[:2])
    index, labels = cat.get("index"), cat.get("label", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise _Bad(f"the labels of dimension `{d}` must be an object of texts", None, keys + ("label",))
    if index is None:
        codes = list(labels)
    elif isinstance(index, list):
        if not all(isinstance(c, str) for c in index):
            raise _Bad(f"the categories of dimension `{d}` must be texts", None, keys + ("index",))
        codes = index
    elif isinstance(index, dict):
        if (not all(isinstance(i, int) and not isinstance(i, bool) for i in index.values())
                or sorted(index.values()) != list(range(len(index)))):
            raise _Bad(f"the `index` of dimension `{d}` must number its categories 0, 1, 2, … once each",
                       None, keys + ("index",))
        codes = sorted(index, key=index.get)
    else:
        raise _Bad(f"the `index` of dimension `{d}` is {_kind(index)}, not a list or an object", None, keys + ("index",))
    if len(codes) != size:
        raise _Bad(f"the dimension `{d}` has {len(codes)} categor{'y' if len(codes) == 1 else 'ies'}, "
                   f"but `size` says {size}", None, keys)
    twice = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
    if twice is not None:
        raise _Bad(f"the dimension `{d}` has the category `{twice}` twice", None, keys)
    return [(c, labels.get(c, c)) for c in codes]


def _number(x, where: str) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _Bad(f"{where} is {_kind(x)} ({json.dumps(x)[:40]}), not a number",
                   "JSON-stat values are numbers, or null for a missing value", ("value",))
    try:
        value = float(x)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise _Bad(f"{where} ({json.dumps(x)[:40]}) is too large to be a number", None, ("value",))
    return value


def _values(raw, total: int) -> dict[int, float | None] | list[float | None]:
    if isinstance(raw, list):
        if len(raw) != total:
            raise _Bad(f"`value` has {len(raw)} entries, but `size` says {total}",
                       "one entry per combination of categories, in the order of `id`", ("value",))
        return [_number(x, f"value {i}") for i, x in enumerate(raw)]
    if isinstance(raw, dict):  # sparse: {"0": 1.5, "18": 2.0}
        out: dict[int, float | None] = {}
        for k, x in raw.items():
            i = _position(k, total, "value")
            out[i] = _number(x, f"value {k}")
        return out
    raise _Bad(f"`value` is {_kind(raw)}, not a list or an object", _SPEC, ("value",))


def _status(raw, total: int) -> dict[int, str] | str:
    """{position: symbol}, or one symbol for every position."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return raw
    items = enumerate(raw) if isinstance(raw, list) else raw.items() if isinstance(raw, dict) else None
    if items is None or (isinstance(raw, list) and len(raw) != total):
        raise _Bad(f"`status` must be a symbol, a list of {total} symbols, or an object", None, ("status",))
    out = {}
    for k, s in items:
        i = k if isinstance(k, int) else _position(k, total, "status")
        if s is None:
            continue
        if not isinstance(s, str):
            raise _Bad(f"status {k} is {_kind(s)}, not a symbol such as \"..\"", None, ("status",))
        out[i] = s
    return out


def _position(key: str, total: int, what: str) -> int:
    if not re.fullmatch(r"[0-9]+", key) or int(key) >= total:
        raise _Bad(f"`{what}` has the key \"{key}\", not a position from 0 to {total - 1}", None, (what,))
    return int(key)


def _observations(cube: _Cube, text: str, path: str, program: ir.Program, mapping: list[dict], municipalities=None):
    ids, role = cube.ids, cube.role
    geo = (role.get("geo") or [d for d in ids if "region" in d.lower()] or [None])[0]
    time = (role.get("time") or [d for d in ids if d.lower() in ("tid", "time", "year", "år")] or [None])[0]
    if geo is None or time is None:
        raise _Bad("cannot tell which dimension is the region and which the time",
                   "give them a `role` (geo, time), or name them region and Tid")
    g, t = ids.index(geo), ids.index(time)
    names: dict[str, int] = {}
    for k, d in enumerate(ids):
        names[d.lower()] = k
        label = cube.dims[k].get("label")
        if isinstance(label, str):
            names.setdefault(label.lower(), k)
    strides = [math.prod(cube.sizes[k + 1:]) for k in range(len(ids))]  # row-major: the last varies fastest
    bases = [_bases(d) for d in cube.dims]
    notes = [_notes(d) for d in cube.dims]
    value_span = _locate(text, path, ("value",))
    years: dict[int, int | None] = {}
    diags: list[Diagnostic] = []
    taken: set[int] = set()

    def cell_of(flat: int) -> tuple[int, ...]:
        return tuple((flat // strides[k]) % cube.sizes[k] for k in range(len(ids)))

    def describe(panel: data.Panel, i: int):
        pos = cell_of(panel.where[i])
        said = []
        for k, d in enumerate(ids):
            if k in (g, t):
                continue
            code = cube.categories[k][pos[k]][0]
            base = bases[k].get(code)
            extra = f" ({base[0]}{f', {base[1]} decimals' if isinstance(base[1], int) else ''})" if base else ""
            note = f" [{notes[k][code]}]" if notes[k].get(code) else ""
            said.append(f"{d} {code}{extra}{note}")
        head = " ".join(x for x in ("JSON-stat", cube.label, f"({cube.about})" if cube.about else "") if x)
        return value_span, mapping[panel.unit[i]].get("unit_span"), "ssb", f"{head}: " + ", ".join(said)

    panel = data.Panel(path, describe)
    panel.units.extend(m["unit"] for m in mapping)  # a unit per mapping line (not `index`ed: each is located there)
    variables = [panel.index("variables", m["variable"]) for m in mapping]
    regions = _Regions(program, municipalities, panel, path)
    region_cells = [f"{code} {label}" if label != code else code for code, label in cube.categories[g]]
    firsts: dict[tuple[int, int, int], tuple[int, tuple[str, ...]]] = {}
    twice: dict[tuple, list[tuple[data.Obs, tuple[str, ...], tuple[str, ...]]]] = {}
    cells = 0
    diags.extend(_absent_dimensions(mapping, set(names), path, "dimensions: " + ", ".join(ids)))
    for k, m in enumerate(mapping):
        allowed = [range(size) for size in cube.sizes]
        for dim, wanted in m["match"].items():
            d = names.get(dim)
            if d is None:
                allowed = None  # the file has no such dimension: the line matches nothing
                break
            allowed[d] = [i for i in allowed[d] if _category_matches(wanted, *cube.categories[d][i])]
        if allowed is None:
            continue
        diags.extend(_base_mismatch(m, cube, bases, allowed, g, t))
        cells += math.prod(len(a) for a in allowed)
        if cells > MAX_CELLS:
            raise _Bad(f"the mapping selects over {MAX_CELLS:,} values from this file", "is the mapping too broad?")
        for pos in itertools.product(*allowed):
            flat = sum(p * s for p, s in zip(pos, strides))
            if flat in taken:  # an earlier mapping line matched this cell
                continue
            taken.add(flat)
            if pos[t] not in years:
                code, label = cube.categories[t][pos[t]]
                found = _YEAR.search(code) or _YEAR.search(label)
                years[pos[t]] = int(found.group(0)) if found else None
                if found is None:
                    diags.append(error(_locate(text, path, ("dimension", time)),
                                       f"the time category `{code}` has no year", "benchdsl reads yearly figures: 2007"))
            year = years[pos[t]]
            if year is None:
                continue
            muni = regions.index(region_cells[pos[g]], year, lambda: _locate(text, path, ("dimension", geo)))
            if muni is None:
                continue
            value = cube.values.get(flat) if isinstance(cube.values, dict) else cube.values[flat]
            gap = None
            if value is None:
                symbol = cube.status if isinstance(cube.status, str) else cube.status.get(flat)
                gap = (data.MISSING_SYMBOLS.get(symbol, f"missing (SSB '{symbol}')") if symbol
                       else "missing (null, no status)")
            key = (variables[k], muni, year)
            if key in firsts:
                first, first_cell = firsts[key]
                cell = tuple(cube.categories[d][p][0] for d, p in enumerate(pos))
                differ = tuple(d for d in range(len(ids)) if cell[d] != first_cell[d])
                series = tuple((d, cell[d], first_cell[d]) for d in differ if d not in (g, t))
                o = data.Obs(m["variable"], panel.munis[muni], year, value, m["unit"], value_span, "ssb", "", gap)
                twice.setdefault((k, differ, series), []).append((o, cell, first_cell))
                continue
            i = panel.add(variables[k], muni, year, value, gap, k, flat)
            firsts[key] = (i, tuple(cube.categories[d][p][0] for d, p in enumerate(pos)))
    for (_, differ, _), cases in twice.items():  # one error per kind of clash, not one per municipality and year
        o, cell, first_cell = cases[0]
        shown = [", ".join(f"{ids[k]} {c[k]}" for k in differ) for c in (cell, first_cell)]
        more = f" (and {len(cases) - 1} more like it)" if len(cases) > 1 else ""
        hint = (_SAME_NAME if g in differ and len(differ) == 1
                else "benchdsl reads one value a year: download yearly figures" if t in differ and len(differ) == 1
                else "make the mapping line match one series: add a column for "
                     + ", ".join(f"`{ids[k]}`" for k in differ if k not in (g, t)))
        diags.append(error(o.span, f"two cells give {o.variable} for {o.municipality} {o.year}: "
                                   f"`{shown[0]}` and `{shown[1]}`{more}", hint))
    diags.extend(regions.diagnostics())
    return panel, diags


# What SSB writes as a series' `unit.base`, as a scale of money or a share.  Bases not listed
# (antall, personer, timer, ...) say nothing a mapping's unit could contradict.
_MONEY_BASES = {"kr": 1.0, "kroner": 1.0, "nok": 1.0, "1000 kr": 1e3, "1 000 kr": 1e3, "i 1000 kr": 1e3,
                "i 1 000 kr": 1e3, "1000 kroner": 1e3, "1 000 kroner": 1e3, "1000 nok": 1e3, "mill. kr": 1e6,
                "mill kr": 1e6, "millioner kr": 1e6, "mill. kroner": 1e6}
_SHARE_BASES = {"prosent", "%", "percent", "per cent", "prosentandel"}


def _base_mismatch(m: dict, cube: _Cube, bases: list[dict], allowed: list, g: int, t: int) -> list[Diagnostic]:
    """A mapping line whose unit contradicts the `base` SSB gives a series it selects: `NOK/user`
    for a series in `1000 kr` would read every value a thousand times too small."""
    numerator, _, per = m["unit"].partition("/")
    at = m.get("unit_span") or m["span"]
    for k, chosen in enumerate(allowed):
        if k in (g, t) or not bases[k]:
            continue
        for i in chosen:
            code = cube.categories[k][i][0]
            if code not in bases[k]:
                continue
            base = bases[k][code][0]
            said = " ".join(base.lower().split())
            if said in _MONEY_BASES:
                scale, want = _money_scale(numerator.strip()), _MONEY_BASES[said]
                if scale == want:
                    continue
                which = "is not an amount of money" if scale is None else f"counts {_nok(scale)}"
                return [error(at, f"`{code}` is in `{base}` in this file, but the mapping reads it in `{m['unit']}`, "
                                  f"which {which}", f"write {_nok(want)}{'/' + per.strip() if per else ''}")]
            if said in _SHARE_BASES and "%" not in numerator and "percent" not in numerator:
                return [error(at, f"`{code}` is in `{base}` in this file, but the mapping reads it in `{m['unit']}`, "
                                  "which is not a share", "write it in %, e.g. % user/inhabitant")]
    return []


def _nok(scale: float) -> str:
    return {1.0: "NOK", 1e3: "kNOK", 1e6: "MNOK"}.get(scale, f"{scale:g} NOK")


def _money_scale(text: str) -> float | None:
    """NOK in one of `text` (kNOK: 1000); None when it is not an amount of money."""
    from benchdsl import units

    try:
        f = units.text_factor(text or "dimensionless", "NOK")
    except units.UnitError:
        return None
    return float(f) if math.isfinite(f) and f > 0 else None


def _locate(text: str, path: str, keys: tuple[str, ...]) -> Span:
    """Where the keys, one inside the other, first appear in the text (best effort; else 1:1)."""
    pos, width = 0, 1
    for key in keys:
        quoted = json.dumps(key, ensure_ascii=False)
        m = re.compile(re.escape(quoted) + r"\s*:").search(text, pos)
        if m is None:
            break
        pos, width = m.start(), len(quoted)
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Span(path, line, col, line, col + width)
