"""SSB's formats, as analysts download them: Statbank CSV and JSON-stat 2.0.

Which KOSTRA series feeds which indicator is declared in a mapping file, a
CSV with the columns `variable,unit` and one column per dimension to match:

    variable,unit,statistikkvariabel
    sfo_brutto_per_bruker,NOK/user,Korrigerte brutto driftsutgifter per bruker (kr)

A series matches a mapping line when, for every dimension the line names, its
category is the code or the label given (for JSON-stat the dimension is named
by id or label, e.g. ContentsCode, KOKfunksjon0000 or "funksjon").  Series no
line matches are not read.  SSB's symbols become explicit gaps, never zeros.
"""

from __future__ import annotations

import csv
import io
import json
import re

from benchdsl import data, ir
from benchdsl.ast import Span
from benchdsl.diagnostics import Diagnostic, error

_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def read_mapping(text: str, path: str) -> tuple[list[dict], list[Diagnostic]]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r and not r[0].lstrip().startswith("#")]
    if not rows or [h.strip().lower() for h in rows[0][:2]] != ["variable", "unit"]:
        return [], [error(Span(path, 1, 1), "a mapping starts with the columns variable,unit and then the dimensions to match")]
    dims = [h.strip() for h in rows[0][2:]]
    out = []
    for r in rows[1:]:
        out.append({"variable": r[0].strip(), "unit": r[1].strip(),
                    "match": {d.lower(): v.strip() for d, v in zip(dims, r[2:]) if v.strip()}})
    return out, []


def _category_matches(wanted: str, code: str, label: str) -> bool:
    w = wanted.lower()
    return w in (code.lower(), label.lower(), f"{code} {label}".lower())


def _map(mapping: list[dict], categories: dict[str, tuple[str, str]]):
    """categories: {dimension name (lowercase): (code, label)}; -> the first mapping line that matches."""
    for m in mapping:
        if all(d in categories and _category_matches(v, *categories[d]) for d, v in m["match"].items()):
            return m
    return None


def _split_code(text: str) -> tuple[str, str]:
    """'1601 Trondheim' -> ('1601', 'Trondheim'); 'Trondheim' -> ('Trondheim', 'Trondheim')."""
    m = re.match(r"^(\S+)\s+(.*)$", text.strip())
    if m and any(ch.isdigit() for ch in m.group(1)):
        return m.group(1), m.group(2)
    return text.strip(), text.strip()


def read_statbank_csv(text: str, path: str, program: ir.Program, mapping: list[dict]):
    """A Statbank CSV export: title rows, then a header, then one line per series (years as columns)
    or per observation (a year column and a value column)."""
    diags: list[Diagnostic] = []
    lines = text.splitlines()
    delim = ";" if sum(ln.count(";") for ln in lines[:5]) >= sum(ln.count(",") for ln in lines[:5]) else ","
    parsed = list(csv.reader(io.StringIO(text), delimiter=delim))
    header_at = next((i for i, r in enumerate(parsed) if len(r) > 2), None)
    if header_at is None:
        return [], [error(Span(path, 1, 1), "no header line found: is this a Statbank CSV export?")]
    header = [h.strip() for h in parsed[header_at]]
    lower = [h.lower() for h in header]
    region = next((i for i, h in enumerate(lower) if "region" in h or h in ("kommune", "municipality")), None)
    if region is None:
        return [], [error(Span(path, header_at + 1, 1), "no region column in the header",
                          "Statbank exports name it 'region'")]
    year_col = next((i for i, h in enumerate(lower) if h in ("år", "year", "tid", "time")), None)
    year_cols = {i: int(_YEAR.search(h).group(0)) for i, h in enumerate(header)
                 if i != region and year_col is None and _YEAR.search(h)}
    if year_col is None and not year_cols:
        return [], [error(Span(path, header_at + 1, 1), "no year: neither a column per year nor a year column")]
    value_col = len(header) - 1 if year_col is not None else None
    dims = [i for i in range(len(header)) if i not in (region, year_col, value_col) and i not in year_cols]
    by_code = {code: name for name, code in program.municipalities.items() if code}
    obs: list[data.Obs] = []
    for n, r in enumerate(parsed[header_at + 1:], header_at + 2):
        if not r or all(not c.strip() for c in r):
            continue
        if len(r) != len(header):
            diags.append(error(Span(path, n, 1), f"this line has {len(r)} fields, the header {len(header)}"))
            continue
        cats = {lower[i]: _split_code(r[i]) for i in dims}
        if year_cols:
            extra = {i: _YEAR.sub("", header[i]).strip() for i in year_cols}  # "Brutto … 2007" names a series too
            cells = [(year_cols[i], r[i], extra[i]) for i in year_cols]
        else:
            try:
                cells = [(int(r[year_col].strip()), r[value_col], "")]
            except ValueError:
                diags.append(error(Span(path, n, 1), f"year `{r[year_col].strip()}` is not a year"))
                continue
        muni = data._municipality(r[region].strip(), by_code, set(program.municipalities))
        for year, cell, series in cells:
            c = dict(cats)
            if series and "statistikkvariabel" not in c:
                c["statistikkvariabel"] = (series, series)
            m = _map(mapping, c)
            if m is None:
                continue
            value, gap = data._number(cell.strip(), True)
            span = Span(path, n, max(1, (delim.join(r)).find(cell) + 1))
            if value is None and gap is None:
                diags.append(error(span, f"`{cell.strip()}` is not a number"))
                continue
            note = "Statbank: " + ", ".join(f"{k} {v[1]}" for k, v in c.items())
            obs.append(data.Obs(m["variable"], muni, year, value, m["unit"], span, "ssb", note, gap))
    return obs, diags


def read_jsonstat(text: str, path: str, program: ir.Program, mapping: list[dict]):
    """A JSON-stat 2.0 dataset as SSB's API returns it: row-major `value`, `status` symbols."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [error(Span(path, exc.lineno, exc.colno), f"not JSON: {exc.msg}")]
    if doc.get("class") == "bundle" or "dataset" in doc:  # JSON-stat 1.x style wrapper
        doc = next(iter(doc.values())) if "dataset" not in doc else doc["dataset"]
    try:
        ids, sizes, dims = doc["id"], doc["size"], doc["dimension"]
    except (KeyError, TypeError):
        return [], [error(Span(path, 1, 1), "not a JSON-stat 2.0 dataset (no id, size and dimension)")]
    role = doc.get("role", {})
    geo = (role.get("geo") or [d for d in ids if "region" in d.lower()] or [None])[0]
    time = (role.get("time") or [d for d in ids if d.lower() in ("tid", "time", "year")] or [None])[0]
    if geo is None or time is None:
        return [], [error(Span(path, 1, 1), "cannot tell which dimension is the region and which the time")]
    categories = []
    for d in ids:
        cat = dims[d].get("category", {})
        index = cat.get("index")
        codes = (sorted(index, key=index.get) if isinstance(index, dict) else list(index)) if index is not None \
            else list(cat.get("label", {}))
        labels = cat.get("label", {})
        categories.append([(c, labels.get(c, c)) for c in codes])
    values, status = doc.get("value", []), doc.get("status", {})
    if isinstance(status, list):
        status = {str(i): s for i, s in enumerate(status) if s}
    elif isinstance(status, str):
        status = {str(i): status for i in range(_product(sizes))}
    names = {d.lower(): d for d in ids}
    names.update({str(dims[d].get("label", d)).lower(): d for d in ids})
    by_code = {code: name for name, code in program.municipalities.items() if code}
    obs: list[data.Obs] = []
    for flat in range(_product(sizes)):
        pos, rest = [], flat
        for s in reversed(sizes):  # row-major: the last dimension varies fastest
            pos.append(rest % s)
            rest //= s
        pos.reverse()
        cats = {d: categories[k][pos[k]] for k, d in enumerate(ids)}
        keyed = {name: cats[d] for name, d in names.items()}
        m = _map(mapping, keyed)
        if m is None:
            continue
        value = values.get(str(flat)) if isinstance(values, dict) else (values[flat] if flat < len(values) else None)
        symbol = status.get(str(flat))
        gap = None
        if value is None:
            gap = data.MISSING_SYMBOLS.get(symbol or "", f"missing (SSB '{symbol}')" if symbol else "missing")
        code, label = cats[geo]
        muni = by_code.get(code) or data._municipality(f"{code} {label}", by_code, set(program.municipalities))
        try:
            year = int(_YEAR.search(cats[time][0]).group(0))
        except AttributeError:
            continue
        note = f"JSON-stat {doc.get('label', '')}".strip() + ": " + ", ".join(
            f"{d} {cats[d][0]}" for d in ids if d not in (geo, time))
        obs.append(data.Obs(m["variable"], muni, year, None if value is None else float(value), m["unit"],
                            Span(path, 1, 1), "ssb", note, gap))
    return obs, []


def _product(sizes) -> int:
    n = 1
    for s in sizes:
        n *= int(s)
    return n
