"""Which published figures are evidence, and which were used to build the panel.

A reproduced figure proves something only if nothing was chosen to reproduce it.
A panel can say, per value, which published figures the value was fitted to (the
`fitted_to` column: figure names separated by `;`).  From that, the derivation the
audit already recorded (`figure.trace.inputs`: every panel observation a figure
read) and the rules' structure, every published figure gets one class:

  arithmetic     computed from other published figures only, reading no panel value:
                 a table total, a row that takes another table's total (Table 10), a
                 claim over table cells (`T6.cw_home.mean + T6.cw_out.mean = 35.2`).
                 It checks the report's additions, not the data.
  fitted         at least one panel value it read was fitted to this very figure
                 (the figure's name is in that value's `fitted_to`).  Reproducing it
                 is no evidence either way; not reproducing it means the fit failed.
  read back      it reads exactly one panel value, and that value is `stated`: the
                 report's own number audited against itself.
  cross-checked  everything else: computed from panel values that were stated,
                 fitted to *other* figures, or chosen freely.  Real evidence, whether
                 reproduced or not.

Where several could apply, the first in this order wins: arithmetic, fitted, read
back, cross-checked.  (A stated value never carries `fitted_to`; if one did, fitted
would win over read back.)

What a figure reads:
  - a table cell of a measure row: the inputs of the measure's figure under the
    column's basis; of a year table's row: the one value it reads (its indicator at
    the row's place in the column's year);
  - a total row, or a row that is another table's total: nothing of its own; it
    reads the cells it adds (listed as `reads`), so it is arithmetic;
  - a claim: the inputs its own derivation recorded, plus those of every measure
    whose saving it reads (`saving = nærmere 57` reads the measure's figure under the
    claim's basis), plus, if it also reads panel values, those of every cell it
    reads (a cell's inputs are its measure's, or its rows' for a total).  A claim
    that reads only cells (and constants) is arithmetic.
  - a figure that was not computed is classified by the inputs it did read.

Only panel observations count as inputs; an indicator computed from others (a
formula) shows through the observations it read.  `fitted_to` is read here, with
the csv module, from the files the observations name: a file without the column,
or an SSB export, fits nothing.

The result is data (`Evidence`): per figure its class, its audit status, a reason
and the inputs that decided it; counts per class and status group (reproduced,
inconsistent = `known` or `follows`, mismatch, not computed); and `summary_line`
renders the one line the summary and the HTML headline show.
"""

from __future__ import annotations

import csv
import enum
import io
import os
from collections.abc import Callable, Iterable, Mapping

import attrs

from benchdsl import ir
from benchdsl.span import Span
from benchdsl.diagnostics import split_lines


class Kind(enum.Enum):
    CROSS_CHECKED = "cross-checked"
    FITTED = "fitted"
    READ_BACK = "read back"
    ARITHMETIC = "arithmetic"


ORDER = (Kind.CROSS_CHECKED, Kind.FITTED, Kind.READ_BACK, Kind.ARITHMETIC)  # as the summary lists them
LABEL = {  # how the summary line names each class
    Kind.CROSS_CHECKED: "cross-checked",
    Kind.FITTED: "used to build the panel",
    Kind.READ_BACK: "read back",
    Kind.ARITHMETIC: "sums",
}

REPRODUCED, INCONSISTENT, MISMATCH, NOT_COMPUTED = "reproduced", "inconsistent", "mismatch", "not computed"
GROUPS = (REPRODUCED, INCONSISTENT, MISMATCH, NOT_COMPUTED)
GROUP = {"ok": REPRODUCED, "known": INCONSISTENT, "follows": INCONSISTENT, "mismatch": MISMATCH,
         "error": NOT_COMPUTED}  # the audit's statuses

FITTED_COLUMN = "fitted_to"


@attrs.frozen
class Source:
    """One panel observation a figure read, as far as evidence is concerned."""

    indicator: str
    municipality: str
    year: int
    provenance: str
    span: Span | None
    fitted_to: frozenset[str] = frozenset()

    def where(self) -> str:
        at = f" ({self.span.path}:{self.span.line})" if self.span is not None else ""
        return f"{self.indicator} for {self.municipality} {self.year}{at}"


@attrs.frozen
class Finding:
    """One published figure's evidence class, and why."""

    name: str
    kind: Kind
    status: str  # the audit's status: ok, known, follows, mismatch, error
    reason: str
    inputs: tuple[Source, ...] = ()  # fitted: those fitted to it; read back: the one; cross-checked: all
    reads: tuple[str, ...] = ()  # arithmetic: the published figures it is computed from

    @property
    def group(self) -> str:
        return GROUP.get(self.status, MISMATCH)


@attrs.frozen
class Evidence:
    findings: tuple[Finding, ...]

    def of(self, name: str) -> Finding | None:
        return next((f for f in self.findings if f.name == name), None)

    def counts(self) -> dict[Kind, dict[str, int]]:
        """class -> status group -> number of figures (every class and group, zeros included)."""
        out = {k: dict.fromkeys(GROUPS, 0) for k in ORDER}
        for f in self.findings:
            out[f.kind][f.group] += 1
        return out

    def total(self, kind: Kind) -> int:
        return sum(self.counts()[kind].values())

    def as_dict(self) -> dict:
        """For JSON: the counts, and per figure its class, reason and deciding inputs."""
        return {
            "counts": {k.value: {"total": sum(c.values()), **c} for k, c in self.counts().items()},
            "figures": {f.name: {
                "class": f.kind.value,
                "reason": f.reason,
                "inputs": [{"indicator": s.indicator, "municipality": s.municipality, "year": s.year,
                            "provenance": s.provenance,
                            "source": f"{s.span.path}:{s.span.line}" if s.span is not None else None,
                            "fitted_to": sorted(s.fitted_to)} for s in f.inputs],
                "reads": list(f.reads),
            } for f in self.findings},
        }


def summary_line(evidence: Evidence, lang: str = "en") -> str:
    """'108 published figures: 6 cross-checked (4 reproduced, 2 inconsistent), 75 used to build the panel, …'.

    Cross-checked figures always show how they fared (they are the evidence); another
    class shows it only where not every figure in it was reproduced.
    """
    from benchdsl.report.lang import tr, tr_n

    counts = evidence.counts()
    parts = []
    for kind in ORDER:
        c = counts[kind]
        n = sum(c.values())
        if not n and kind is not Kind.CROSS_CHECKED:
            continue
        text = f"{n} {tr(lang, LABEL[kind])}"
        if n and (kind is Kind.CROSS_CHECKED or c[REPRODUCED] != n):
            text += " (" + ", ".join(f"{c[g]} {tr(lang, g)}" for g in GROUPS if c[g]) + ")"
        parts.append(text)
    return tr_n(lang, len(evidence.findings), "{n} published figure: ", "{n} published figures: ") + ", ".join(parts)


# --- reading fitted_to -------------------------------------------------------------------

def read_fitted(paths: Iterable[str]) -> dict[tuple[str, int], frozenset[str]]:
    """The `fitted_to` column of each panel file: (path, line) -> figure names.

    Lines are counted as the panel reader counts them (a record's first line), so an
    observation's span finds its entry.  A file that cannot be read, or has no
    `fitted_to` column, contributes nothing: reading the panel is the panel reader's job,
    and it has reported any problem with the file already.  Names are not checked against
    the rules: a panel may serve several rule sets (examples/what_if_bases reads this one).
    """
    fitted: dict[tuple[str, int], frozenset[str]] = {}
    for path in dict.fromkeys(paths):
        raw = _with_column(path)
        if raw is None:
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        _read_one(path, text, fitted)
    return fitted


class _FittedByPath:
    """`read_fitted` of each panel file an observation names, read when first asked about."""

    def __init__(self):
        self.read: set[str] = set()
        self.fitted: dict[tuple[str, int], frozenset[str]] = {}

    def get(self, at: tuple[str, int], default=None):
        if at[0] not in self.read:
            self.read.add(at[0])
            self.fitted.update(read_fitted([at[0]]))
        return self.fitted.get(at, default)


def _with_column(path: str) -> bytes | None:
    """The file's bytes if its header names `fitted_to`; None for anything else.

    Only the header is read of a file without the column, so an SSB export of millions of
    values (its spans name it too) is not read a second time; only regular files are opened.
    """
    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as f:
            head = b""
            for line in f:
                if line.strip() and not line.lstrip().startswith(b"#"):
                    head = line
                    break
            if FITTED_COLUMN.encode() not in head.lower():
                return None
            f.seek(0)
            return f.read()
    except OSError:
        return None


def _read_one(path: str, text: str, fitted: dict) -> None:
    lines = split_lines(text)
    header_at = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if header_at is None:
        return
    head = lines[header_at]
    delim = ";" if head.count(";") > head.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(lines[header_at:])), delimiter=delim)
    try:
        header = [h.strip().lower() for h in next(reader)]
        if FITTED_COLUMN not in header:
            return
        col = header.index(FITTED_COLUMN)
        lineno = header_at + reader.line_num
        for row in reader:
            first = lineno + 1  # where this record starts (a quoted field may span lines)
            lineno = header_at + reader.line_num
            if col >= len(row) or not row[col].strip() or row[0].lstrip().startswith("#"):
                continue
            fitted[(path, first)] = frozenset(n.strip() for n in row[col].split(";") if n.strip())
    except csv.Error:
        return  # the panel reader reports a broken file


# --- what a figure reads -----------------------------------------------------------------

def _walk(node, lets: Mapping, found: dict, seen: set) -> None:
    """Collect what an expression reads: indicators, savings, cells (through the lets it uses)."""
    if isinstance(node, ir.SavingRef):
        found["savings"].append(node.measure)
        return
    if isinstance(node, ir.CellRef):
        found["cells"].append(f"{node.table}.{node.row}.{node.column}")
        return
    if isinstance(node, ir.LetRef):
        if node.name in lets and node.name not in seen:
            seen.add(node.name)
            _walk(lets[node.name], lets, found, seen)
        return
    if isinstance(node, (tuple, list)):
        for x in node:
            _walk(x, lets, found, seen)
        return
    if not attrs.has(type(node)):
        return
    if isinstance(getattr(node, "indicator", None), str):
        found["indicators"] = True
    for field in attrs.fields(type(node)):
        if field.name != "span":
            _walk(getattr(node, field.name), lets, found, seen)


def _reads(claim: ir.Claim, program: ir.Program) -> dict:
    m = program.measures.get(claim.measure) if claim.measure else None
    found: dict = {"indicators": False, "savings": [], "cells": []}
    _walk(claim.expr, m.let_nodes if m is not None else {}, found, set())
    return found


def _sources(figure, fitted: Mapping, memo: dict | None = None) -> list[Source]:
    """The panel observations a figure's derivation recorded (formula indicators show through theirs).

    `memo` keeps one `Source` per observation across figures: a 10 000-row table reads the
    same few observations again and again."""
    trace = getattr(figure, "trace", None)
    if trace is None:
        return []
    memo = {} if memo is None else memo
    out = []
    for key, i in trace.inputs.items():
        obs = i.obs
        if obs is None:
            continue
        span = obs.span
        got = memo.get((key, span, obs.provenance))
        if got is None:
            names = fitted.get((span.path, span.line), frozenset()) if span is not None else frozenset()
            got = memo[(key, span, obs.provenance)] = Source(i.indicator, i.municipality, i.year, obs.provenance,
                                                             span, names)
        out.append(got)
    return out


class _Classifier:
    def __init__(self, program: ir.Program, audit, measure: Callable | None, fitted: Mapping):
        self.p, self.fitted = program, fitted
        self.items = {i.name: i for i in audit.items}
        figures = getattr(audit, "figures", {}) or {}
        self.measure = measure or (lambda name, scenario: figures.get((name, scenario)))
        self.claims = {c.name: c for c in program.claims}
        self.rows = {(t.name, r.name): r for t in program.tables.values() for r in t.rows if r.kind != "section"}
        self._seen: dict = {}  # one Source per observation (`_sources`)
        self._unique: dict = {}  # ids of the sources a figure read -> (those sources once each, any fitted?, reason)

    def sources(self, figure) -> list[Source]:
        return _sources(figure, self.fitted, self._seen)

    # a cell: a measure row's figure, or the cells a total adds
    def _row(self, table: str, row: str):
        return self.p.tables[table], self.rows[(table, row)]

    def cell_parts(self, table: str, row: str, column: str) -> list[str]:
        """The cells a total or a table row adds, named as the audit names them."""
        t, r = self._row(table, row)
        ci = [c.name for c in t.columns].index(column)
        if r.kind == "total":
            return [f"{t.name}.{x.name}.{column}" for x in t.rows if x.kind in ("measure", "table")]
        src = self.p.tables[r.source]
        col = src.columns[ci].name
        total = next((x for x in src.rows if x.kind == "total"), None)
        if total is not None:
            return [f"{src.name}.{total.name}.{col}"]
        return [f"{src.name}.{x.name}.{col}" for x in src.rows if x.kind in ("measure", "table")]

    def cell_sources(self, name: str, depth: int = 0) -> list[Source]:
        table, row, column = name.split(".", 2)
        if table not in self.p.tables or depth > 50:
            return []
        t, r = self._row(table, row)
        if r.kind == "series":  # a year table's cell: the one value it reads
            item = self.items.get(name)
            return self.sources(item.figure) if item is not None else []
        if r.kind == "measure":
            item = self.items.get(name)
            fig = item.figure if item is not None and item.figure is not None else self.measure(
                r.source, next(c for c in t.columns if c.name == column).scenario)
            return self.sources(fig)
        return [s for part in self.cell_parts(table, row, column) for s in self.cell_sources(part, depth + 1)]

    def classify(self, item) -> Finding:
        if item.kind == "cell":
            _, r = self._row(item.table, item.row)
            if r.kind == "series":  # a year table's cell reads its indicator in that year: read back if stated
                return self.by_inputs(item, self.sources(item.figure))
            if r.kind != "measure":
                parts = self.cell_parts(item.table, item.row, item.column)
                return Finding(item.name, Kind.ARITHMETIC, item.status,
                               "the sum of " + ", ".join(parts), reads=tuple(parts))
            return self.by_inputs(item, self.sources(item.figure))
        claim = self.claims.get(item.name)
        if claim is None:  # an item the rules do not declare: classify by what its derivation shows
            return self.by_inputs(item, self.sources(item.figure))
        reads = _reads(claim, self.p)
        sources = self.sources(item.figure)
        unknown = []
        for m in dict.fromkeys(reads["savings"]):
            fig = self.measure(m, claim.scenario)
            if fig is None:
                unknown.append(f"measure `{m}` under {claim.scenario or 'no basis'}")
            sources += self.sources(fig)
        if not reads["indicators"] and not reads["savings"] and not sources:
            cells = tuple(dict.fromkeys(reads["cells"]))
            what = ", ".join(cells) if cells else "constants"
            return Finding(item.name, Kind.ARITHMETIC, item.status, f"computed from {what} only", reads=cells)
        for cell in dict.fromkeys(reads["cells"]):  # a claim over cells and panel values: their inputs count too
            sources += self.cell_sources(cell)
        found = self.by_inputs(item, sources)
        if unknown:  # said, so that a figure whose inputs could not be seen never passes for a clean cross-check
            found = attrs.evolve(found, reason=found.reason + "; inputs not known of " + ", ".join(unknown))
        return found

    def by_inputs(self, item, sources: list[Source]) -> Finding:
        # Many figures read the same observations (`_seen` keeps one Source for each): what
        # does not depend on the figure is worked out once per set of sources.
        key = tuple(map(id, sources))
        got = self._unique.get(key)
        if got is None:
            unique = tuple({(s.indicator, s.municipality, s.year): s for s in sources}.values())
            got = self._unique[key] = (unique, any(s.fitted_to for s in unique), [])
        unique, any_fitted, reason = got
        # a value solved from the figure says more than one of many placed around a mean: derived first
        fitted = sorted((s for s in unique if item.name in s.fitted_to),
                        key=lambda s: s.provenance != "derived") if any_fitted else ()
        if fitted:
            said = "; ".join(s.where() for s in fitted[:2])
            if len(fitted) > 2:
                said += f" and {len(fitted) - 2} more"
            who = "an input was" if len(fitted) == 1 else f"{len(fitted)} inputs were"
            return Finding(item.name, Kind.FITTED, item.status, f"{who} fitted to this figure: {said}",
                           tuple(fitted))
        if len(unique) == 1 and unique[0].provenance == "stated":
            return Finding(item.name, Kind.READ_BACK, item.status,
                           f"reads back a value the report states: {unique[0].where()}", unique)
        if not reason:
            reason.append(_mix(list(unique)))
        return Finding(item.name, Kind.CROSS_CHECKED, item.status, reason[0], unique)


def _mix(sources: list[Source]) -> str:
    """'from 7 inputs, none fitted to it: 4 stated, 3 fitted to other figures, …'."""
    if not sources:
        return "no panel input was fitted to it (it read none)"
    stated = sum(1 for s in sources if s.provenance == "stated")
    elsewhere = sum(1 for s in sources if s.provenance != "stated" and s.fitted_to)
    free = len(sources) - stated - elsewhere
    parts = [f"{n} {what}" for n, what in ((stated, "stated"), (elsewhere, "fitted to other figures"),
                                          (free, "not fitted to any figure")) if n]
    n = len(sources)
    return f"from {n} input{'s' if n != 1 else ''}, none fitted to it: " + ", ".join(parts)


def classify(program: ir.Program, audit, measure: Callable | None = None,
             fitted: Mapping[tuple[str, int], frozenset[str]] | None = None) -> Evidence:
    """Every published figure of `audit` with its evidence class.

    program  the checked rules (which rows are totals, what each claim reads)
    audit    the audit: `items` (name, kind, status, figure.trace.inputs, table/row/column)
             and `figures` ((measure, scenario) -> Figure)
    measure  (measure, scenario) -> Figure, for the savings claims read under a basis no
             table shows (`Evaluator.measure`, which has them memoised); default: `audit.figures`,
             which lacks those (the reason then says whose inputs are not known)
    fitted   (panel path, line) -> figure names; default: read from the panel files the
             observations name (`read_fitted`)

    Pure: it reads the panel files' `fitted_to` column only when `fitted` is not given.
    """
    if fitted is None:
        fitted = _FittedByPath()
    c = _Classifier(program, audit, measure, fitted)
    return Evidence(tuple(c.classify(item) for item in audit.items))
