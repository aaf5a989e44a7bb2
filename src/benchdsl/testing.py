"""`benchdsl test`: the rules' `test` blocks, each run on its own small panel.

A test evaluates the rules it sits in — their measures, bases, groups and
indicators, checked once — through the one evaluator (`evaluate.Evaluator`
over `kernel.py`), on the test's panel instead of the declared one, and
for the test's `own` (default: the rules').  Each expectation is held against
what that computes by the published-value forms (`published.py`): an expected
number is met within half a unit of its last decimal, or its `±`, or its
qualifier's 5 %.  A failure is a located diagnostic at the expected value,
with the expected and the computed value; the run ends with `N passed, M failed`.

Exit codes: 0 every expectation met, 1 one or more failed, 2 unusable input
(rules that do not check, a test panel that cannot be read, no tests at all).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import attrs

from benchdsl import ast, ir, published
from benchdsl.check.tests import Expectation, Test
from benchdsl.diagnostics import Diagnostic, Sources, error, format_all, has_errors

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


@attrs.define
class Outcome:
    passed: int = 0
    failed: int = 0
    tests: int = 0
    unusable: bool = False
    diags: list[Diagnostic] = attrs.Factory(list)


def main(paths: list[str], out=None, err=None) -> int:
    """Run every test under `paths`; print failures (stderr) and the count (stdout); -> exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    sources = Sources()
    total = Outcome()
    sets, diags = rule_sets(paths)
    total.diags.extend(diags)
    total.unusable = has_errors(diags)
    for files in sets:
        got = run_rules(files, sources)
        total.passed, total.failed, total.tests = (total.passed + got.passed, total.failed + got.failed,
                                                   total.tests + got.tests)
        total.unusable = total.unusable or got.unusable
        total.diags.extend(got.diags)
    if not total.tests and not total.unusable:
        total.diags.append(error(None, f"no `test` blocks in {', '.join(paths)}",
                                 'write one next to the rules: test "…" { panel { … }  expect … }'))
        total.unusable = True
    if total.diags:
        print(format_all(total.diags, sources, limit=10_000), file=err)
    if total.tests:
        not_run = total.tests - total.passed - total.failed  # a test whose panel could not be read
        print(f"{total.passed} passed, {total.failed} failed" + (f", {not_run} not run" if not_run > 0 else "")
              + f" ({_plural(total.tests, 'test')})", file=out)
    if total.unusable:
        return EXIT_INPUT
    return EXIT_FAILED if total.failed else EXIT_OK


def rule_sets(paths: list[str]) -> tuple[list[list[str]], list[Diagnostic]]:
    """The separate rule sets under `paths`: a file is one; a folder with .bench files is one (with
    its subfolders, as `run` reads it); a folder without is searched for such folders
    (`examples/` holds several analyses, each its own rules)."""
    sets, diags = [], []
    for p in paths:
        if os.path.isdir(p):
            found = _roots(Path(p))
            if not found:
                diags.append(error(None, f"no .bench files in `{p}`"))
            sets.extend([str(r)] for r in found)
        elif os.path.exists(p):
            sets.append([p])
        else:
            from benchdsl.files import closest_name

            diags.append(error(None, f"`{p}`: no such file or directory", closest_name(p)))
    return sets, diags


def _roots(folder: Path) -> list[Path]:
    if any(f.is_file() for f in folder.glob("*.bench")):
        return [folder]
    return [r for sub in sorted(x for x in folder.iterdir() if x.is_dir()) for r in _roots(sub)]


def run_rules(paths: list[str], sources: Sources) -> Outcome:
    """One rule set: checked once, then each of its tests on its own panel."""
    from benchdsl.check import check_tests
    from benchdsl.pipeline import Result, _municipalities_declared, parse_files, read_bytes

    result = Result(sources, [])
    files = parse_files(read_bytes(paths, result), result)
    got = Outcome(diags=result.diags)
    if has_errors(result.diags):
        got.unusable = True
        return got
    program, tests, diags = check_tests(files)
    got.diags.extend(diags + _municipalities_declared(files))
    if program is None or has_errors(diags):
        got.unusable = True
        return got
    for t in tests:
        run_test(program, t, sources, got)
    return got


def run_test(program: ir.Program, t: Test, sources: Sources, got: Outcome) -> None:
    from benchdsl.audit import Tables
    from benchdsl.data import bind
    from benchdsl.evaluate import Evaluator

    got.tests += 1
    program = attrs.evolve(program, own=t.own or program.own, year=t.year or program.year)
    panel, diags = _read(program, t, sources)
    if not has_errors(diags):
        values, more = bind([panel], program)
        diags.extend(more)
    got.diags.extend(diags)
    if has_errors(diags):  # the test cannot be run: its panel is unusable input
        got.unusable = True
        return
    ev = Evaluator(program, values)
    cells = Tables(program, ev, {})
    for i, e in enumerate(t.expectations):
        failure = _hold(program, ev, cells, e, i)
        if failure is None:
            got.passed += 1
        else:
            got.failed += 1
            got.diags.append(failure)


def _read(program: ir.Program, t: Test, sources: Sources):
    """The test's panel: a file (relative to the rule file, as a `panel` declaration) or its inline lines."""
    from benchdsl.data import Municipalities, parse_panel, read_panel

    munis = Municipalities(program)
    p = t.panel
    if isinstance(p, ast.Panel):
        here = os.path.dirname(p.span.path) if p.span else "."
        full = os.path.normpath(os.path.join(here, p.path))
        mapping = p.mapping and os.path.normpath(os.path.join(here, p.mapping))
        return read_panel(full, program, sources, p.span, None, mapping, munis)
    # The lines where the rule file has them, at their columns, so that a problem with a cell is
    # reported at that cell in the rule file (comments and the rest of the file left out).
    at = [row.line for row in p.rows]
    if at != sorted(set(at)):  # lone carriage returns end lines lark does not count: one row a line
        at = list(range(at[0], at[0] + len(at)))
    lines = [""] * at[-1]
    for row, n in zip(p.rows, at):
        lines[n - 1] = " " * (row.column - 1) + row.text
    return parse_panel("\n".join(lines) + "\n", p.span.path, program, municipalities=munis)


def _hold(program: ir.Program, ev, cells, e: Expectation, i: int) -> Diagnostic | None:
    """None when the expectation is met; otherwise the failure, at the expected value."""
    claim = attrs.evolve(e.claim, name=f"{e.claim.name}#{i}")  # expectations never share a memo
    pub = claim.published
    if e.measure is not None:
        fig = ev.measure(e.measure, claim.scenario)
        factor = claim.expr.factor
        value = None if fig.error is not None else fig.raw * factor
        shown = None if fig.value is None else fig.value * factor
        peer = None
        if published.form(pub) is published.FORMS[ir.Form.NONE]:
            ok = fig.error is None and published.compare(shown, None, pub, program.measures[e.measure].round)[0]
        else:
            ok = fig.error is None and published.compare(value, None, pub, pub.decimals)[0]
    else:
        fig = ev.claim(claim, cells=cells)
        value, peer = fig.value, fig.peer
        ok = fig.error is None and published.compare(value, peer, pub, pub.decimals)[0]
    unit = getattr(claim.expr, "unit", "")
    if e.not_computed:
        if fig.error is not None:
            return None
        return error(e.span, f"`{e.text}`: expected not computed, computed {_value(value, peer, unit)}")
    if fig.error is not None:
        reason = fig.error
        hint = reason.hint
        if reason.span is not None:  # where in the rules the value is missing
            hint = (f"{hint}; " if hint else "") + f"at {reason.span}"
        return error(e.span, f"`{e.text}`: not computed: {reason.message}", hint)
    if ok:
        return None
    computed = _value(value, peer, unit, pub.decimals)
    if e.measure is not None and value is not None and value <= 0:
        computed += " (no saving)"
    return error(e.span, f"`{e.text}`: expected {_expected(pub, unit)}, computed {computed}", _accepted(pub, unit))


def _value(value: float | None, peer: str | None, unit: str, decimals: int = 0) -> str:
    if peer is not None:
        return peer
    if value is None:
        return "no value"
    text = f"{value:.{decimals}f}" if 0 <= decimals <= 15 else ""
    if not text or float(text) != value:  # as many decimals as the expected value, unless that hides a digit
        text = _num(value)
    return f"{text} {unit}".rstrip()


def _expected(pub: ir.PubValue, unit: str) -> str:
    if pub.kind == ir.Form.NONE:
        return "no saving (-)"
    if pub.kind == ir.Form.NAME:
        return pub.name
    if pub.kind == ir.Form.WORD:  # a phrase alone: its meaning is the scale's, or a `word` declaration's
        return f"{pub.text} ({pub.meaning})" if pub.meaning else pub.text
    words = {"above": "more than", "below": "less than"}
    qualifier = f"{words.get(pub.qualifier, pub.qualifier)} " if pub.qualifier else ""
    text = pub.text if pub.text.endswith(" " + unit) or not unit else f"{pub.text} {unit}"
    return qualifier + text + (f" ± {_num(pub.tolerance)}" if pub.tolerance is not None else "")


def _accepted(pub: ir.PubValue, unit: str) -> str | None:
    limits = published.form(pub).accepted(pub)
    if limits is None:
        return None
    low, high = limits
    if math.isinf(high):
        return f"accepted: {_num(low)} {unit} or more"
    if math.isinf(low):
        return f"accepted: {_num(high)} {unit} or less"
    if pub.kind == ir.Form.WORD:
        return f"accepted: {_num(low)} to {_num(high)} {unit} (a `word` declaration changes what the word means)"
    return f"accepted: {_num(low)} to {_num(high)} {unit} (write more decimals or `± …` to change the tolerance)"


def _num(x: float) -> str:
    """Enough digits to see a difference, without float noise: 0.1 not 0.1000000000000000055."""
    text = f"{x:.10g}"
    return text if "e" in text or "." not in text else text.rstrip("0").rstrip(".")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
