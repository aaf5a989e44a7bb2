"""The passes in order: read -> parse -> check -> load data -> evaluate -> audit.

Each pass returns its result and its diagnostics; the pipeline stops after a
pass that found errors (later passes would only repeat them), but never before
a pass has reported all of its own.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from benchdsl import ir
from benchdsl.diagnostics import Diagnostic, Sources, error, has_errors, warning
from benchdsl.progress import Progress
from benchdsl.span import Span

if TYPE_CHECKING:  # the syntax tree is imported only where rules are parsed, never on a warm run
    from benchdsl.ast import File


@attrs.define
class Result:
    sources: Sources
    diags: list[Diagnostic]
    progress: Progress = attrs.field(factory=Progress.off)
    program: ir.Program | None = None
    evaluator: object = None
    audit: object = None
    timings: dict = attrs.Factory(dict)
    # --own or --year other than the rules' `own`: (the rules' own, their year) whose published values were
    # set aside, not compared with this run's figures (see run_paths)
    set_aside: tuple[str, int] | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.diags)


def rule_files(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    files, diags = [], []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(str(x) for x in Path(p).rglob("*.bench"))
            if not found:
                diags.append(error(None, f"no .bench files in `{p}`"))
            files.extend(found)
        elif os.path.exists(p) and p.lower().endswith((".csv", ".json", ".px", ".xlsx")):
            # a panel or an export given where the rules go: said so, not read as rules line by line
            diags.append(error(None, f"`{p}` is a data file, not rules",
                               "give the rule files or their folder (benchdsl run rules/); the rules name their "
                               "panel (panel \"…\"), or give it with --panel FILE"))
        elif os.path.exists(p):
            files.append(p)
        else:
            from benchdsl.files import closest_name

            diags.append(error(None, f"`{p}`: no such file or directory", closest_name(p)))
    return list(dict.fromkeys(os.path.normpath(f) for f in files)), diags


def read_bytes(paths: list[str], result: Result) -> list[tuple[str, bytes]]:
    from benchdsl.files import RULES_LIMIT, InputError, read_input

    files, diags = rule_files(paths)
    result.diags.extend(diags)
    out = []
    for i, path in enumerate(files, 1):
        result.progress.step("reading rules", i, len(files))
        try:
            out.append((path, read_input(path, "rule file", RULES_LIMIT)))
        except InputError as exc:
            result.sources.add(path, "")  # quoting the line must not open a FIFO or /dev/zero again
            result.diags.append(error(Span(path, 1, 1), exc.message, exc.hint))
    return out


def parse_files(raw: list[tuple[str, bytes]], result: Result) -> list[File]:
    from benchdsl.parse import parse

    parsed = []
    for path, data in raw:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            result.sources.add(path, data.decode("utf-8", "replace"))
            result.diags.append(error(Span(path, line, col, line, col + 1), "this file is not valid UTF-8",
                                      "save rule files as UTF-8"))
            continue
        if "\x00" in text:
            result.diags.append(error(Span(path, 1, 1), "this looks like a binary file, not rules"))
            continue
        result.sources.add(path, text)
        f, d = parse(text, path)
        result.diags.extend(d)
        parsed.append(f)
    return parsed


def _timed(result: Result, name: str, fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    result.timings[name] = time.perf_counter() - t
    return out


def check_paths(paths: list[str], progress: Progress | None = None) -> Result:
    from benchdsl import cache

    result = Result(Sources(), [], progress or Progress.off())
    raw = _timed(result, "read", read_bytes, paths, result)
    key = cache.rules_key(raw) if raw and not has_errors(result.diags) else None
    if key and (unsafe := cache.unsafe_folder()):
        result.diags.append(warning(None, unsafe, cache.UNSAFE_HINT))
    hit = _timed(result, "cache", cache.load_program, key) if key else None
    if hit is not None:  # unchanged rules: no parsing, no checking, neither lark nor pint
        # The checked program lives as long as the run: out of the cycle collector's way, so that its
        # collections while the figures are made do not walk the whole program again and again.
        _freeze()
        result.program, warnings = hit
        result.diags.extend(warnings)
        return result
    from benchdsl.check import check

    with _no_cycle_collection():
        return _parse_and_check(raw, key, result, check)


def _parse_and_check(raw, key, result: Result, check) -> Result:
    from benchdsl import cache

    files = _timed(result, "parse", parse_files, raw, result)
    if not files and not result.diags:
        result.diags.append(error(None, "no rules given"))
    if has_errors(result.diags):
        # Still check what parsed, so that name and unit errors show in the same run.
        _, diags = _timed(result, "check", check, files)
        result.diags.extend(d for d in diags if d.span is not None)
        return result
    program, diags = _timed(result, "check", check, files)
    diags = diags + _municipalities_declared(files)
    result.diags.extend(diags)
    result.program = program
    if program is not None and key and not has_errors(diags):
        cache.store_program(key, program, diags)
    return result


# Set by the command line, whose process ends with the command: what it has made so far lives as long
# as the process, and can be moved out of the cycle collector's way (gc.freeze). A program that calls
# the pipeline many times (tests, a script) keeps the collector as it is.
ONE_SHOT = False


def _freeze() -> None:
    if ONE_SHOT:
        gc.freeze()


@contextlib.contextmanager
def _no_cycle_collection():
    """Parsing and checking, and evaluating and auditing, build many small objects and no garbage
    cycles worth collecting while they run; the cycle collector would walk every one of them again
    and again (at 10 000 measures about a tenth of a check's time). It runs again afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _years_text(years: list[int]) -> str:
    """2004, 2005, 2006, 2007 -> '2004–2007'; gaps listed: '2004, 2006–2007'."""
    runs, start = [], years[0]
    for a, b in zip(years, [*years[1:], None]):
        if b != a + 1:
            runs.append(str(a) if a == start else f"{start}–{a}")
            start = b
    return ", ".join(runs)


def missing_panels(program) -> list[Diagnostic]:
    """`check` reads no data, but a panel or mapping named in the rules that is not there is an error
    it can see (not kept with the checked rules: the file may appear or go between runs)."""
    out = []
    for path, span, mapping in program.panels:
        for what, name in (("panel", path), ("mapping", mapping)):
            if name is None:
                continue
            full = os.path.normpath(os.path.join(os.path.dirname(span.path) if span else ".", name))
            if not os.path.isfile(full):
                out.append(error(span, f"the {what} `{name}` is not there ({full})" if not os.path.exists(full)
                                 else f"the {what} `{name}` is not a file ({full})",
                                 "the path is relative to the rule file that names it"))
    return out


def _municipalities_declared(files: list[File]) -> list[Diagnostic]:
    """`municipality NAME CODE` against the municipality register (see `data.check_declared`)."""
    from benchdsl import ast
    from benchdsl.data import check_declared

    return check_declared((d.name, d.code, d.span) for f in files for d in f.decls if isinstance(d, ast.Municipality))


def load_data(program: ir.Program, sources: Sources, panels: list[tuple[str, str | None]] | None = None,
              progress: Progress | None = None):
    """Read the rules' panels (or `panels` [(file, mapping)] instead) and bind them to the indicators.

    Panel paths are relative to the rule file that declares them.  -> (values, diagnostics)
    """
    from benchdsl import cache, units
    from benchdsl.data import Municipalities, bind, read_panel
    from benchdsl.sourcecheck import check_sources

    units.declare(program.units)  # the rules' own units, also when the checked rules came from the cache
    kept = cache.load_units()
    units.KNOWN.update(kept)
    declared = [(os.path.normpath(os.path.join(os.path.dirname(span.path) if span else ".", path)), span,
                 mapping and os.path.normpath(os.path.join(os.path.dirname(span.path) if span else ".", mapping)))
                for path, span, mapping in program.panels]
    municipalities = Municipalities(program)  # one register lookup per cell and year, across panels
    read, diags = [], []
    if not panels and not declared:  # rules with only their tests' panels (check allows that): nothing to run on
        from benchdsl.diagnostics import error

        diags.append(error(None, "no `panel` declaration: the rules read no data (only their tests have panels)",
                           'add a line such as: panel "../data/kostra2007.csv", or give one with --panel FILE'))
    for full, span, mapping in ([(p, None, m) for p, m in panels] if panels else declared):
        panel, d = read_panel(full, program, sources, span, progress, mapping, municipalities)
        read.append(panel)
        diags.extend(d)
    values, d = bind(read, program)
    diags.extend(d)
    diags.extend(check_sources(program, {v for panel in read for v in panel.variables}, sources))
    cache.store_units(units.KNOWN, kept)
    return values, diags


def _publishes(program: ir.Program) -> bool:
    """Do the rules hold any published value (a table cell or a claim)?"""
    return bool(program.claims) or any(r.published for t in program.tables.values() for r in t.rows)


def _without_published(program: ir.Program) -> ir.Program:
    """The rules with the report's published values taken out: every table cell computed and shown as in an
    analysis with nothing published; the claims (the report's statements, each a published value) and what
    only the audit reads (`known`, `reading`) go with them."""
    import attrs

    tables = {name: attrs.evolve(t, rows=tuple(attrs.evolve(r, published=()) for r in t.rows))
              for name, t in program.tables.items()}
    return attrs.evolve(program, tables=tables, claims=(), known={}, readings=())


def run_paths(paths: list[str], own: str | None = None, year: int | None = None,
              progress: Progress | None = None, panels: list[tuple[str, str | None]] | None = None,
              evaluate: bool = True) -> Result:
    """Check and run the rules; `panels` [(file, mapping)] replaces the rules' own panels.

    `evaluate=False` stops once the data is read and bound (`check` with a data option)."""
    from benchdsl.audit import audit
    from benchdsl.evaluate import Evaluator

    result = check_paths(paths, progress)
    program = result.program
    if program is None or not result.ok:
        return result
    if own is not None and own not in program.municipalities:
        from benchdsl.diagnostics import did_you_mean

        result.diags.append(error(None, f"`{own}` is not a declared municipality", did_you_mean(own, program.municipalities)))
        return result
    if (own or program.own, year or program.year) != (program.own, program.year):
        # The rules as run for another municipality or year: every header, title and field says so. The
        # published values are the report's, for the rules' own municipality and year: held against another's
        # figures, every difference would read as a mismatch. So they are set aside (the figures are computed
        # and shown, with no audit status), and the summary says whose they are.
        import attrs

        if _publishes(program):
            result.set_aside = (program.own, program.year)
        program = result.program = attrs.evolve(program, own=own or program.own, year=year or program.year)
    t = time.perf_counter()
    values, diags = load_data(program, result.sources, panels, result.progress)
    result.diags.extend(diags)
    result.timings["data"] = time.perf_counter() - t
    if not result.ok or not evaluate:
        return result  # `check` counts the rules' claims as they are
    if result.set_aside is not None:
        program = result.program = _without_published(program)
    years = sorted(values.years()) if hasattr(values, "years") else []
    if years and program.year not in years:  # say it once, before a warning for every value it lacks
        result.diags.append(warning(None, f"the panels have no value for {program.year} at all "
                                          f"(their years: {_years_text(years)})",
                                    f"choose one of their years with --year, or add {program.year}'s data"))
    ev = Evaluator(program, values, own, year)
    result.evaluator = ev
    result.progress.finish()
    with _no_cycle_collection():  # figures and their derivations: many small objects, no cycles to find
        result.audit = _timed(result, "evaluate+audit", audit, program, ev)
    _freeze()  # and they live as long as the run: out of the way of collections while reports are written
    if result.audit.items:  # which published figures are evidence, and which built the panel
        import attrs

        from benchdsl.evidence import classify

        result.audit = attrs.evolve(result.audit, evidence=classify(program, result.audit, ev.measure))
    if result.set_aside is not None:
        import attrs

        result.audit = attrs.evolve(result.audit, set_aside=(*result.set_aside, program.own, program.year))
    result.diags.extend(result.audit.diags)
    # A figure that cannot be computed is a result (status "not computed", with its reason, exit 1), not
    # unusable input: every other figure is still computed and shown.
    return result
