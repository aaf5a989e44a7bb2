"""Small rule sets written to a temporary folder and run through the real pipeline."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from benchdsl.cli import main
from benchdsl.pipeline import run_paths

ROOT = Path(__file__).resolve().parent.parent

HEADER = """\
municipality A 0001
municipality B 0002
municipality C 0003
municipality D 0004
group G = A, B, C, D
own A 2007
panel "panel.csv"
basis mean_others "Mean of the others" = mean(G - own)
basis second "2nd best" = best(2, G - own)
basis peer_c "C" = C
basis y2004 "2004" = year(2004)
"""


# The issue-9 reviewer's reproducer: two municipalities, A's cost against the mean of the others.
REPRO = """\
municipality A 0001
municipality B 0002
group G = A, B
own A 2007
panel "p.csv"
basis m = mean(G - own)
indicator c {
    unit NOK
    better lower
    source "c"
}
"""


# Cost per user and users: the indicators most tests need.
COST_USERS = """
indicator cost {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
"""


def source_units(rules: str) -> dict[str, str]:
    """variable -> unit, read off the indicator blocks, so tests can list bare values."""
    out = {}
    for block in re.findall(r"indicator\s+\w+[^{]*\{(.*?)\}", rules, re.S):
        unit = re.search(r"^\s*unit\s+(.+)$", block, re.M)
        source = re.search(r'^\s*source\s+"([^"]+)"', block, re.M)
        if unit and source:
            out[source.group(1)] = unit.group(1).strip().strip("[]")
    return out


def panel(rows, units: dict[str, str] | None = None) -> str:
    units = units or {}
    lines = ["variable,municipality,year,value,unit"]
    for r in rows:
        r = tuple(r) if len(r) == 5 else tuple(r) + (units.get(r[0], ""),)
        lines.append(",".join(str(x) for x in r))
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, rules: str, rows=(), header: bool = True) -> Path:
    (tmp_path / "rules.bench").write_text((HEADER if header else "") + rules, encoding="utf-8")
    (tmp_path / "panel.csv").write_text(panel(rows, source_units(rules)), encoding="utf-8")
    return tmp_path


def run(tmp_path: Path, rules: str, rows=(), header: bool = True):
    write(tmp_path, rules, rows, header)
    return run_paths([str(tmp_path)])


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def messages(result) -> list[str]:
    return [d.message for d in result.diags if d.is_error]


def assert_same_alone_and_for_all(folder: Path, rules: str, panel: str) -> None:
    """The differential check of the one kernel: every figure and status of `rules` on `panel`,
    computed for each municipality and year alone (Scalar backend) and all at once (`--for all`,
    Arrays backend), must be the same -- equal floats, not merely close (the same operations in
    the same order on IEEE doubles)."""
    import numpy as np

    from benchdsl import batch
    from benchdsl.evaluate import Evaluator, Status

    (folder / "r.bench").write_text(rules, encoding="utf-8")
    (folder / "p.csv").write_text(panel, encoding="utf-8")
    r = run_paths([str(folder)])
    assert r.program is not None and r.ok, [d.message for d in r.diags if d.is_error]
    b = batch.evaluate(r.program, r.evaluator.values)
    for i, own in enumerate(b.municipalities):
        for j, year in enumerate(b.years):
            alone = Evaluator(r.program, r.evaluator.values, own, year)
            for (measure, scenario), arr in b.figures.items():
                fig = alone.measure(measure, scenario)
                got = float(arr[i, j])
                where = (own, year, measure, scenario)
                if fig.status is Status.NOT_COMPUTED:
                    assert np.isnan(got), where
                    assert batch.reason(b, measure, scenario, own, year) == fig.error.message, where
                else:
                    assert got == fig.raw, where
                    assert (got > 0) == (fig.status is Status.SAVING), where


def run_cli(folder: Path, *args: str):
    """The installed `benchdsl` as an analyst runs it: a subprocess in `folder`, with a cache folder of
    its own there; never a traceback. -> subprocess.CompletedProcess"""
    import os
    import subprocess
    import sys

    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(folder / "cache")}
    p = subprocess.run([str(Path(sys.executable).parent / "benchdsl"), *args], capture_output=True, text=True,
                       timeout=60, cwd=folder, env=env)
    assert "Traceback" not in p.stderr
    return p
