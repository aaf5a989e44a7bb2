"""A national run end to end, against a plain-Python floor.

    .venv/bin/python benchmarks/national.py [--runs N] [--keep DIR]

Generates a national panel (356 municipalities x 16 years x the 33 variables of
data/trondheim2007.csv, about 190 000 lines and 12 MB; deterministic), then times

- `benchdsl run rules/ --panel PANEL --for all -o OUT`, as a subprocess, and
- benchmarks/floor_national.py, a plain-Python script that reads the same panel
  into dicts and writes as many result rows,

alternately, and reports the ratios of their wall time (target <= 2x) and of
their peak memory (maximum resident set size; target <= 2.5x). Each ratio is
taken from runs made next to each other, so a busy machine slows both; the
spread over the runs is printed too, and the ratio of CPU time (user + system),
which other work on a shared machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
ASSS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Bærum", "Kristiansand", "Fredrikstad", "Tromsø", "Drammen",
        "Sandnes"]
YEARS = range(2004, 2020)


def municipalities(n: int = 356) -> list[str]:
    """The ten ASSS municipalities by the names the rules use, then others as SSB names them today."""
    with (ROOT / "src" / "benchdsl" / "data_files" / "kommuner_2026.csv").open(encoding="utf-8") as f:
        names = [r["name"] for r in csv.DictReader(f) if r["code"] != "9999"]
    plain = {n.split(" - ")[0] for n in ASSS}
    others = [n for n in names if n.split(" - ")[0] not in plain]
    return ASSS + others[: n - len(ASSS)]


def generate(path: Path, seed: int = 2007) -> int:
    """The national panel: every variable of the Trondheim panel, scattered around one of its values."""
    with (ROOT / "data" / "trondheim2007.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    base: dict[str, tuple[float, str]] = {}
    for r in rows:
        if r["variable"] not in base or (r["municipality"], r["year"]) == ("Trondheim", "2007"):
            base[r["variable"]] = (float(r["value"]), r["unit"])
    rng = random.Random(seed)
    lines = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["variable", "municipality", "year", "value", "unit", "provenance"])
        for variable, (value, unit) in sorted(base.items()):
            for m in municipalities():
                for y in YEARS:
                    w.writerow([variable, m, y, f"{value * rng.uniform(0.7, 1.3):.6g}", unit, "generated"])
                    lines += 1
    return lines


def measure(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, peak memory in MB, CPU seconds) of one command, its memory and CPU from wait4."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    rss = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return wall, rss, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (alternating)")
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep the files")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="benchdsl-national-"))
    work.mkdir(parents=True, exist_ok=True)
    panel, ours_out, floor_out = work / "national.csv", work / "ours.csv", work / "floor.csv"
    lines = generate(panel)
    print(f"panel: {lines:,} lines, {panel.stat().st_size / 1e6:.1f} MB, {len(municipalities())} municipalities, "
          f"{len(YEARS)} years ({panel})")
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(work / "cache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once, not on every run
    ours = [BENCHDSL, "run", str(ROOT / "rules"), "--panel", str(panel), "--for", "all", "-o", str(ours_out)]
    measure(ours, env)  # fills the cache: the checked rules and unit factors, as on an analyst's second run
    with ours_out.open(encoding="utf-8") as f:
        result_rows = sum(1 for _ in f) - 1
    floor = [sys.executable, str(ROOT / "benchmarks" / "floor_national.py"), str(panel), str(floor_out),
             str(result_rows)]
    runs: list[tuple[float, float, float, float]] = []
    cpu: list[float] = []
    for _ in range(args.runs):
        t_ours, m_ours, c_ours = measure(ours, env)
        t_floor, m_floor, c_floor = measure(floor, env)
        runs.append((t_ours, m_ours, t_floor, m_floor))
        cpu.append(c_ours / c_floor)
    with floor_out.open(encoding="utf-8") as f:
        assert sum(1 for _ in f) - 1 == result_rows
    time_ratios = [a / c for a, _, c, _ in runs]
    mem_ratios = [b / d for _, b, _, d in runs]
    print(f"result rows: {result_rows:,}")
    print(f"{'run':>4} {'benchdsl s':>11} {'floor s':>8} {'ratio':>6} {'benchdsl MB':>12} {'floor MB':>9} {'ratio':>6}")
    for i, (a, b, c, d) in enumerate(runs, 1):
        print(f"{i:>4} {a:11.2f} {c:8.2f} {a / c:6.2f} {b:12.0f} {d:9.0f} {b / d:6.2f}")
    print(f"wall time: median {statistics.median(time_ratios):.2f}x the floor "
          f"(range {min(time_ratios):.2f}-{max(time_ratios):.2f}; target <= 2x)")
    print(f"peak memory: median {statistics.median(mem_ratios):.2f}x the floor "
          f"(range {min(mem_ratios):.2f}-{max(mem_ratios):.2f}; target <= 2.5x)")
    print(f"CPU time: median {statistics.median(cpu):.2f}x the floor (range {min(cpu):.2f}-{max(cpu):.2f})")


if __name__ == "__main__":
    main()
