"""benchdsl's speed against its floors, each ratio measured in the same run.

    .venv/bin/python benchmarks/bench.py [--runs N]

1. `benchdsl run rules/` wall time, cold (no cache at all) and cached (rules
   unchanged since the last run), against `python -c pass` and against
   benchmarks/floor_report.py, which computes the same figures in plain Python.
   Targets: cached <= 10x the floor and <= 6x `python -c pass` (issue 10), cold
   <= 25x the floor.  "Cached" is a replayed run (nothing changed: replay.py);
   "not replayed" runs with the checked rules cached but a key of its own each
   time (an environment variable), as after a panel changed.
2. Batch evaluation of a generated national panel (356 municipalities x 16
   years x every measure and basis of rules/) against benchmarks/floor_batch.py,
   the same figures written by hand in numpy.  Target: <= 2x the floor.

Both benchmarks first check that benchdsl and the floor compute the same figures.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")


def wall(cmd: list[str], runs: int, env: dict | None = None, fresh_cache: bool = False, vary: bool = False) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for i in range(runs):
        e = dict(os.environ, **(env or {}))
        if fresh_cache:
            e["BENCHDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="benchdsl-cold-")
        if vary:  # part of a replay's key: never replayed
            e["BENCHDSL_BENCH_RUN"] = f"{os.getpid()}-{i}-{time.time()}"
        t = time.perf_counter()
        subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def same_report_figures() -> None:
    from floor_report import figures

    out = subprocess.run([BENCHDSL, "run", str(ROOT / "rules"), "--format", "csv"], capture_output=True, text=True)
    ours = {r["name"]: r for r in csv.DictReader(io.StringIO(out.stdout)) if r["kind"] == "cell"}
    for (table, row, col), value in figures().items():
        if table == "T10":
            continue
        got = ours[f"{table}.{row}.{col}"]["computed"]
        assert (value is None) == (got == ""), (table, row, col)
        assert value is None or abs(float(got) - value) < 1e-6, (table, row, col, got, value)


def benchmark_run(runs: int) -> dict:
    same_report_figures()
    rules = [BENCHDSL, "run", str(ROOT / "rules")]
    warm = {"BENCHDSL_CACHE_DIR": tempfile.mkdtemp(prefix="benchdsl-warm-")}
    wall(rules, 1, warm)  # fills the warm cache
    r = {
        "python -c pass": wall([sys.executable, "-c", "pass"], runs),
        "plain-Python floor": wall([sys.executable, str(ROOT / "benchmarks" / "floor_report.py")], runs),
        "benchdsl run, cached": wall(rules, runs, warm),
        "benchdsl, not replayed": wall(rules, runs, warm, vary=True),
        "benchdsl run, cold": wall(rules, runs, fresh_cache=True),
    }
    return r


def national_panel(program, values, n_munis: int = 356, years=tuple(range(2004, 2020)), seed: int = 2007):
    """Every source indicator for 356 municipalities and 16 years, scattered around Trondheim's 2007 value."""
    from floor_batch import ASSS

    rng = np.random.default_rng(seed)
    munis = tuple(ASSS + [f"Kommune {i:03d}" for i in range(n_munis - len(ASSS))])
    data = {}
    for name, ind in program.indicators.items():
        if not ind.source:
            continue
        try:
            base = values[(name, "Trondheim", 2007)].value
        except KeyError:  # section 1's series (a deflator, the ASSS mean): no measure reads them
            continue
        data[name] = base * rng.uniform(0.7, 1.3, (len(munis), len(years)))
    return munis, tuple(years), data


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def benchmark_batch(repeats: int) -> dict:
    from floor_batch import figures as floor

    from benchdsl import batch
    from benchdsl.pipeline import run_paths

    import attrs

    report = run_paths([str(ROOT / "rules")])
    munis, years, data = national_panel(report.program, report.evaluator.values)
    by_variable = {report.program.indicators[n].source: v for n, v in data.items()}
    # the four bases of Tables 4-10 that the floor computes (section 1's `asss`, the printed ASSS
    # mean read as a peer, is no comparison the floor makes)
    theirs = floor(by_variable, munis, list(years))
    bases = {b for _, b in theirs}
    program = attrs.evolve(report.program, scenarios={k: v for k, v in report.program.scenarios.items() if k in bases})
    ours = batch.evaluate_arrays(program, munis, years, data)
    assert set(ours.figures) == set(theirs)
    for k, a in ours.figures.items():
        b = np.where(np.isfinite(theirs[k]), theirs[k], np.nan)
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True), k
    return {
        "cells": len(munis) * len(years) * len(ours.figures),
        "numpy floor": best_of(lambda: floor(by_variable, munis, list(years)), repeats),
        "benchdsl batch": best_of(lambda: batch.evaluate_arrays(program, munis, years, data), repeats),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="runs per command (the median counts)")
    args = ap.parse_args()
    r = benchmark_run(args.runs)
    floor = r["plain-Python floor"]
    print("1. benchdsl run rules/ (median wall time)")
    for name, t in r.items():
        print(f"   {name:24} {t * 1000:7.1f} ms   {t / floor:5.1f}x floor   {t / r['python -c pass']:5.1f}x python")
    print(f"   cached: {r['benchdsl run, cached'] / floor:.1f}x the floor (target <= 10x), "
          f"{r['benchdsl run, cached'] / r['python -c pass']:.1f}x python (target <= 6x); "
          f"cold: {r['benchdsl run, cold'] / floor:.1f}x (target <= 25x)")
    b = benchmark_batch(max(3, args.runs))
    print(f"2. batch evaluation, {b['cells']:,} figures (best of {max(3, args.runs)})")
    print(f"   numpy floor              {b['numpy floor'] * 1000:7.1f} ms")
    print(f"   benchdsl batch           {b['benchdsl batch'] * 1000:7.1f} ms   "
          f"{b['benchdsl batch'] / b['numpy floor']:.2f}x the floor (target <= 2x)")


if __name__ == "__main__":
    main()
