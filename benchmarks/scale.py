"""How benchdsl's time grows with the size of the rules: it should grow in step with it.

    .venv/bin/python benchmarks/scale.py [--size N] [--runs R]

1. `benchdsl check` of generated rules with N measures (default 10 000), each
   `let g = gap(cost_k)` and `saving = g * users`, over 100 indicators.  Timed
   after an edit (a changed comment), so the rules are parsed and checked again
   (unit facts stay cached), as when an analyst edits a rule; and cold, with a
   new cache folder for each run.
   Target: under 2 s for 10 000 measures.
2. `benchdsl run` of the same rules plus one table with a row for every measure
   (N rows, two columns, every cell published and reproduced).  Timed with the
   rules unchanged since the last run (checked program cached) and after an edit.
   Target: under 2 s for 10 000 rows, rules unchanged.  Each timed run is a real
   one, never replayed (see `measure`).

Each is also run at N/4 and N/2: the time each further 1 000 takes stays flat when
the growth is linear.
Times are medians of R runs, wall clock and CPU (user + system of the benchdsl
process; on a loaded machine the CPU time is the steadier of the two).

3. Where the CPU time of 1. goes at N/5 and N, in a fresh Python as `benchdsl check`
   runs it: importing benchdsl, parsing (the LALR tables loaded included),
   checking (pint imported included) and storing the checked program in the cache;
   the best of R.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
INDICATORS = 100
HEADER = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "panel.csv"
basis mean_others "Mean of the others" = mean(G - own)
basis best "Best" = best(1, G - own)
indicator users {
    unit user
    source "users"
}
"""


def rules(n: int, table: bool) -> str:
    out = [HEADER]
    out += [f'indicator cost{k} {{\n    unit NOK/user\n    better lower\n    source "cost{k}"\n}}\n'
            for k in range(INDICATORS)]
    out += [f'measure m{i} "Measure {i}" {{\n    let g = gap(cost{i % INDICATORS})\n    saving = g * users\n'
            f'    unit MNOK\n}}\n' for i in range(n)]
    if table:
        # Every measure saves 10 NOK/user x 10 000 users = 0.1 MNOK under either basis (the panel
        # below); the total adds the rows as shown: n x 0.1.
        out.append('table T "All measures" {\n    column mean "Mean" = mean_others\n    column best "Best" = best\n')
        out += [f'    row r{i} "Measure {i}" = m{i}: 0.1, 0.1\n' for i in range(n)]
        total = f"{n * 0.1:.1f}"
        out.append(f'    total "Sum": {total}, {total}\n}}\n')
    return "".join(out)


def panel() -> str:
    lines = ["variable,municipality,year,value,unit"]
    for muni, users, extra in (("A", 10_000, 10), ("B", 9_000, 0), ("C", 11_000, 0)):
        lines.append(f"users,{muni},2007,{users},user")
        lines += [f"cost{k},{muni},2007,{100 + k + extra},NOK/user" for k in range(INDICATORS)]
    return "\n".join(lines) + "\n"


def timed(cmd: list[str], env: dict) -> tuple[float, float, int]:
    """(wall s, CPU s, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode not in (0,):
        sys.exit(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-2000:]}")
    return wall, cpu, r.returncode


def measure(n: int, table: bool, runs: int, edit: bool, cold: bool = False) -> tuple[float, float]:
    """Median (wall, CPU) of `check` (no table) or `run` (table) on rules of n measures.

    cold: each run with a new, empty cache folder (nothing kept from any run before)."""
    with tempfile.TemporaryDirectory(prefix="benchdsl-scale-") as d:
        root = Path(d)
        (root / "panel.csv").write_text(panel(), encoding="utf-8")
        text = rules(n, table)
        path = root / "rules.bench"
        env = dict(os.environ, BENCHDSL_CACHE_DIR=str(root / "cache"))
        cmd = [BENCHDSL, "run" if table else "check", str(path)]
        path.write_text(text, encoding="utf-8")
        timed(cmd, env)  # lark's tables (and, unchanged, the checked program) into the cache
        walls, cpus = [], []
        for i in range(runs):
            if edit:
                path.write_text(f"# edit {i}\n" + text, encoding="utf-8")
            if cold:
                env["BENCHDSL_CACHE_DIR"] = str(root / f"cold{i}")
            # A run whose arguments, environment, code and inputs are all as before is replayed
            # (replay.py): it would time printing, not running. Every BENCHDSL_* variable is part
            # of the replay key and of no other, so a new value each time makes each run a real
            # one, with the checked rules still read from the cache.
            env["BENCHDSL_SCALE_RUN"] = str(i)
            wall, cpu, _ = timed(cmd, env)
            walls.append(wall)
            cpus.append(cpu)
        return statistics.median(walls), statistics.median(cpus)


PHASES = """
import json, sys, time
from pathlib import Path
clock = time.process_time
text = Path(sys.argv[1]).read_text(encoding="utf-8")
t = clock()
from benchdsl import cache
from benchdsl.check import check
from benchdsl.parse import parse
imports = clock() - t
t = clock()
f, diags = parse(text, sys.argv[1])
parsed = clock() - t
assert not diags, diags[:3]
t = clock()
program, warnings = check([f])
checked = clock() - t
assert program is not None
t = clock()
cache.store_program("0" * 64, program, warnings)
stored = clock() - t
print(json.dumps({"import benchdsl": imports, "parse": parsed, "check": checked, "store": stored}))
"""


def phases(n: int, runs: int) -> dict[str, float]:
    """Best CPU seconds of each phase of `check` on rules of n measures, each run in a fresh Python."""
    import json

    with tempfile.TemporaryDirectory(prefix="benchdsl-scale-") as d:
        path = Path(d) / "rules.bench"
        path.write_text(rules(n, False), encoding="utf-8")
        env = dict(os.environ, BENCHDSL_CACHE_DIR=str(Path(d) / "cache"))
        best: dict[str, float] = {}
        for _ in range(runs):
            r = subprocess.run([sys.executable, "-c", PHASES, str(path)], env=env, capture_output=True, text=True,
                               check=False)
            if r.returncode:
                sys.exit(f"phases at N = {n} failed:\n{r.stderr[-2000:]}")
            for name, secs in json.loads(r.stdout).items():
                best[name] = min(secs, best.get(name, secs))
        return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    n = args.size
    sizes = [n // 4, n // 2, n]
    cases = [
        ("1. benchdsl check, N measures, after an edit", False, True, False),
        ("   benchdsl check, N measures, cold (no cache at all)", False, True, True),
        ("2. benchdsl run, N-row table, rules unchanged", True, False, False),
        ("   benchdsl run, N-row table, after an edit", True, True, False),
    ]
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    results = {}
    for title, table, edit, cold in cases:
        print(title)
        previous = None
        for size in sizes:
            wall, cpu = measure(size, table, args.runs, edit, cold)
            results[(title, size)] = wall, cpu
            # the CPU time each further 1 000 took: flat when the growth is linear
            step = "" if previous is None else \
                f"   CPU per further 1 000: {(cpu - previous[1]) / (size - previous[0]) * 1000:5.3f} s"
            print(f"   N = {size:>6,}   wall {wall:6.2f} s   CPU {cpu:6.2f} s{step}")
            previous = size, cpu
    print("3. where the CPU time of 1. goes (best of R, each run in a fresh Python)")
    for size in (n // 5, n):
        got = phases(size, args.runs)
        print(f"   N = {size:>6,}   " + "   ".join(f"{name} {secs:5.2f} s" for name, secs in got.items()))
    for title, target in ((cases[0][0], 2.0), (cases[2][0], 2.0)):
        wall, cpu = results[(title, n)]
        verdict = "met" if min(wall, cpu) < target else "NOT met"  # CPU: a busy machine inflates wall time
        name = title.split(",")[0].strip("12. ")
        print(f"{name} at N = {n:,}: {wall:.2f} s wall, {cpu:.2f} s CPU (target < {target:.0f} s: {verdict})")


if __name__ == "__main__":
    main()
