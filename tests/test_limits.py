"""Inputs that crashed or hung benchdsl: now a located error, exit 2, never a traceback or a hang.

Every test here drives the real CLI in a subprocess (an exception, a RecursionError
or a hang shows there the way an analyst meets it), with its own cache folder and
a timeout.  Variants that never crashed are checked in-process, in
test_diagnostics.py.  The limits are in docs/language.md ("Limits").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from benchdsl.limits import MAX_CHAIN, MAX_DEPTH
from helpers import REPRO

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

HEADER = REPRO  # the reviewer's reproducer, tests/helpers.py
AFTER = HEADER.count("\n")  # rules after the header start on line AFTER + 1
PANEL = "variable,municipality,year,value,unit\nc,A,2007,10,NOK\nc,B,2007,8,NOK\n"


def bench(tmp_path: Path, rules: str, *args: str, header: bool = True, timeout: float = 60):
    """benchdsl ARGS rules.bench -> (exit code, stdout, stderr)."""
    (tmp_path / "rules.bench").write_text((HEADER if header else "") + rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    r = subprocess.run([BENCHDSL, *(args or ("check",)), str(tmp_path / "rules.bench")],
                       capture_output=True, text=True, timeout=timeout, env=env)
    return r.returncode, r.stdout, r.stderr


def refused(tmp_path: Path, rules: str, *args: str, header: bool = True, timeout: float = 60) -> list[str]:
    """Run; expect exit 2, located errors and no traceback.  -> the error lines."""
    code, out, err = bench(tmp_path, rules, *args, header=header, timeout=timeout)
    assert "Traceback" not in err, err[-2000:]
    assert code == 2, (code, err[-2000:])
    lines = [ln for ln in err.splitlines() if ": error: " in ln]
    assert lines, err
    for ln in lines:
        assert re.match(r"^\S+rules\.bench:\d+:\d+: error: ", ln), ln
    return lines


def at(line: str) -> tuple[int, int]:
    m = re.match(r"^\S+:(\d+):(\d+): error: ", line)
    return int(m.group(1)), int(m.group(2))


def measure(saving: str, name: str = "s") -> str:
    return f"measure {name} {{\n    saving = {saving}\n    unit NOK\n}}\n"


TABLE = measure("gap(c)") + 'table T {\n    column m "m" = m\n    row "s" = s: 2\n}\n'


# --- numbers past a float: `cannot convert float infinity to integer`, OverflowError -------


def test_an_own_year_past_any_float_is_an_error(tmp_path):
    (line,) = refused(tmp_path, HEADER.replace("own A 2007", "own A 1e309"), header=False)
    assert at(line) == (4, 7)  # line 4 "own A 1e309", the number from column 7
    assert line.endswith("error: the year must be a whole number from 1900 to 2200, not 1e309")


def test_a_rank_past_any_float_is_an_error(tmp_path):
    (line,) = refused(tmp_path, "basis b = best(1e309, G)\n")
    assert at(line) == (AFTER + 1, 16)  # "basis b = best(" is 15 characters
    assert line.endswith("error: K in best(K, GROUP) must be a whole number from 1 to 1000, not 1e309")


def test_a_basis_year_past_any_float_is_an_error(tmp_path):
    (line,) = refused(tmp_path, "basis b = year(1e309)\n")
    assert at(line) == (AFTER + 1, 16)
    assert line.endswith("error: the year in year(YYYY) must be a whole number from 1900 to 2200, not 1e309")


def test_a_reconcile_year_past_any_float_is_an_error(tmp_path):
    (line,) = refused(tmp_path, TABLE + 'known T.s.m: "x" reconcile c A 1e309\n', "run")
    assert at(line) == (AFTER + 9, 32)  # 'known T.s.m: "x" reconcile c A ' is 31 characters
    assert line.endswith("error: the year must be a whole number from 1900 to 2200, not 1e309")


def test_a_published_value_with_310_decimals_is_an_error(tmp_path):
    (line,) = refused(tmp_path, TABLE.replace("s: 2", "s: 2." + "0" * 310), "run")
    assert at(line) == (AFTER + 7, 18)  # '    row "s" = s: ' is 17 characters
    assert line.endswith("error: row `s`: a published value with 310 decimals; at most 15 can be compared")


# --- cycles and chains: RecursionError, or time doubling with every step ---------------


def test_an_indicator_defined_by_itself_and_used_by_a_measure_is_a_cycle(tmp_path):
    (line,) = refused(tmp_path, "indicator x {\n    unit NOK\n    = x\n}\n" + measure("x"))
    assert at(line) == (AFTER + 3, 7)  # the `x` of "    = x"
    assert line.endswith("error: indicator `x` is defined in terms of itself")


def derived_chain(n: int) -> str:
    """d0 = c, d_i = d_(i-1) + 1 NOK, so d_(n-1) = c + n - 1 for every municipality."""
    rules = "indicator d0 {\n    unit NOK\n    better lower\n    = c\n}\n"
    rules += "".join(f"indicator d{i} {{\n    unit NOK\n    better lower\n    = d{i - 1} + 1 NOK\n}}\n"
                     for i in range(1, n))
    return rules + measure(f"gap(d{n - 1})")


def let_chain(n: int, name: str = "s") -> str:
    """a0 = gap(c), a_i = a_(i-1) + gap(c), so a_(n-1) = n gap(c)."""
    lets = "    let a0 = gap(c)\n" + "".join(f"    let a{i} = a{i - 1} + gap(c)\n" for i in range(1, n))
    return f"measure {name} {{\n{lets}    saving = a{n - 1}\n    unit NOK\n}}\n"


def test_30_step_chains_of_derived_indicators_and_lets_compute_the_hand_worked_values(tmp_path):
    # Derived: d29 = c + 29, for A 39 and for B 37; the basis is B's: gap = 39 - 37 = 2 NOK.
    # Lets: a29 = 30 gap(c) = 30 * (10 - 8) = 60 NOK.  30 s is generous: each step used to double the time.
    rules = derived_chain(30) + let_chain(30, "t") + (
        'table T {\n    column m "m" = m\n    row "s" = s: 2\n    row "t" = t: 60\n}\n')
    code, out, err = bench(tmp_path, rules, "run", timeout=30)
    assert (code, "Traceback" in err) == (0, False), err[-2000:]  # 0: both published values reproduced


def test_chains_too_deep_to_compute_are_one_error_each(tmp_path):
    rules = derived_chain(120) + let_chain(170, "t")
    rules += measure("gap(c)", "u") + 'table T0 {\n    column m "m" = m\n    row "u" = u\n}\n'
    rules += "".join(f'table T{i} {{\n    column m "m"\n    row "x" = T{i - 1}\n}}\n' for i in range(1, 120))
    lines = refused(tmp_path, rules)
    # Levels: d0 = c is 2 (the read, the formula), each d_i = d_(i-1) + 1 NOK adds 3 (the +, the read,
    # the formula): d_i is 2 + 3i, past 300 at d100.  a0 = gap(c) is 1, each a_i = a_(i-1) + gap(c)
    # adds 2 (the +, the let): 1 + 2i, past 300 at a150.  T0 is u (1) + 3, each table of totals
    # adds 3: 4 + 3i, past 300 at T99.  What reads them is not reported again.
    assert [ln.split(": error: ")[1].split(":")[0] for ln in lines] == [
        "indicator `d100` is too deep to compute", "`let a150` is too deep to compute",
        "table `T99` is too deep to compute"]
    assert all(f"(at most {MAX_CHAIN})" in ln for ln in lines)


def test_long_cycles_are_one_short_error_each(tmp_path):
    # 1500: past Python's recursion limit, so cycles are found (and chains followed) without recursion
    rules = "".join(f"indicator d{i} {{\n    unit NOK\n    = d{(i + 1) % 1500}\n}}\n" for i in range(1500))
    rules += "".join(f'table T{i} {{\n    column m "m"\n    row "x" = T{(i + 1) % 20}\n}}\n' for i in range(20))
    rules += "".join(f"group H{i} = H{(i + 1) % 20}\n" for i in range(20))
    rules += "".join(f"group K{i} = K{i + 1}\n" for i in range(1500)) + "group K1500 = A, B\n"  # fine
    lines = refused(tmp_path, rules + measure("d0"))
    assert [ln.split(": error: ")[1] for ln in lines] == [
        "indicators defined in terms of each other: d0 -> d1 -> d2 -> d3 -> … (1495 more) … -> d1499 -> d0",
        "tables take each other's totals in a cycle: T0 -> T1 -> T2 -> T3 -> … (15 more) … -> T19 -> T0",
        "group `H0` is defined in terms of itself: H0 -> H1 -> H2 -> H3 -> … (15 more) … -> H19 -> H0"]


# --- long and deep expressions: RecursionError ------------------------------------------


def test_a_sum_of_5000_terms_says_how_long_it_is(tmp_path):
    (line,) = refused(tmp_path, measure(" + ".join(["c"] * 5000)))
    assert at(line) == (AFTER + 2, 14)
    assert line.endswith(f"error: this sum of 5000 terms is too deep to compute: 4999 operations inside one "
                         f"another (at most {MAX_DEPTH})")


def test_deep_nesting_is_an_error_wherever_it_is(tmp_path):
    # 1500 levels: past Python's recursion limit, so nothing on the way may recurse
    rules = (measure("-" * 1500 + "c", "a") + measure("-(" * 1500 + "c" + ")" * 1500, "b")
             + measure("max(c, " * 1500 + "c" + ")" * 1500, "d")
             + "group H = " + " + ".join(["A"] * 1500) + "\n"
             + "indicator e {\n    unit NOK\n    = " + "-" * 1500 + "c\n}\n")
    lines = refused(tmp_path, rules)
    assert [ln.split(": error: ")[1].split(":")[0] for ln in lines] == [
        "this expression is too deep to compute", "this expression is too deep to compute",
        "this expression is too deep to compute", "this sum of 1500 terms is too deep to compute",
        "this expression is too deep to compute"]


def test_fmt_lays_out_an_expression_of_any_depth(tmp_path):
    # fmt lays out what parses; how deep an expression may be is check's business, and fmt's walk
    # over lark's tree recursed (a RecursionError at about 1000 levels)
    rules = measure(" + ".join(["c"] * 5000), "a") + measure("-(" * 1500 + "c" + ")" * 1500, "b")
    code, out, err = bench(tmp_path, rules, "fmt")
    assert (code, err) == (0, ""), err[-2000:]
    assert (tmp_path / "rules.bench").read_text(encoding="utf-8") == HEADER + rules  # already canonical
