"""Why a `--for all` cell is not computed, found for every cell of a figure at once.

`batch.reasons` runs the kernel on `arrays.Reasons`, which carries, beside each array, where the
scalar backend's value would be missing and with which message.  Every reason must be the one the
figure-at-a-time kernel gives for that municipality-year (the differential property tests in
test_kernel.py, test_need.py and test_groups_by_year.py check this through `batch.reason` on
generated rule sets); here, a rule set with one cell for each way a figure fails, the reasons worked
out by hand, and the national case: a peer with no values, whose reason every municipality shares,
found without asking the scalar backend once.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest

from benchdsl import batch
from benchdsl.evaluate import Evaluator, Status
from benchdsl.pipeline import run_paths

FIXTURE = Path(__file__).parent / "fixtures" / "reasons"
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

# Worked by hand from fixtures/reasons (G = A, B, C, D; P is declared but has no values; cost is
# better lower, so a gap is own - basis and own's missing value is the one reported first):
#   m1 peer A 2007: A's cost 110 is there, P has none                 -> P's missing value
#   m1 third E 2006: G - own for E is A 100, B '..', C 80, D (none)   -> only 2 members with a value
#   m1 third A 2006: B '..', C 80, D (none)                           -> only 1
#   m2 others B 2007: B's unit cost is 500 NOK / 0 users              -> division by zero
#   m2 peer B 2007: the same, own before the peer                     -> division by zero
#   m1 others D 2006: D has no cost in 2006                           -> D's missing value
#   m1 earlier B 2007: year(2006) reads B's 2006 cost, stated as '..' -> B 2006 is missing
BY_HAND = {
    ("m1", "peer", "A", 2007): "no value of `cost` for P 2007 in the panel",
    ("m1", "third", "E", 2006): "best(3, G - own): the group has only 2 members with a value of `cost`",
    ("m1", "third", "A", 2006): "best(3, G - own): the group has only 1 members with a value of `cost`",
    ("m2", "others", "B", 2007): "division by zero",
    ("m2", "peer", "B", 2007): "division by zero",
    ("m1", "others", "D", 2006): "no value of `cost` for D 2006 in the panel",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("reasons")
    for f in FIXTURE.iterdir():
        shutil.copy(f, d / f.name)
    r = run_paths([str(d)])
    assert r.program is not None and r.ok, [x.message for x in r.diags if x.is_error]
    return d, r


def test_reasons_worked_by_hand(run):
    _, r = run
    b = batch.evaluate(r.program, r.evaluator.values)
    for (measure, basis, muni, year), expected in BY_HAND.items():
        why = batch.reasons(b, measure, basis)
        assert why[b.municipalities.index(muni), b.years.index(year)] == expected, (measure, basis, muni, year)
    why = batch.reasons(b, "m1", "earlier")
    assert why[b.municipalities.index("B"), b.years.index(2007)].startswith(
        "`cost` for B 2006 is missing in the panel: ")


def test_every_reason_is_found_on_arrays_and_is_the_scalar_one(run):
    _, r = run
    b = batch.evaluate(r.program, r.evaluator.values)
    failed = 0
    for (measure, basis), figure in b.figures.items():
        why = batch.reasons(b, measure, basis)
        for i, muni in enumerate(b.municipalities):
            for j, year in enumerate(b.years):
                fig = Evaluator(r.program, r.evaluator.values, muni, year).measure(measure, basis)
                if fig.status is Status.NOT_COMPUTED:
                    failed += 1
                    assert why[i, j] == fig.error.message, (measure, basis, muni, year)
                else:
                    assert why[i, j] is None and not np.isnan(figure[i, j])
    assert failed == sum(int(np.isnan(f).sum()) for f in b.figures.values())


def test_rows_ask_the_scalar_backend_for_no_reason_here(run, monkeypatch):
    _, r = run
    b = batch.evaluate(r.program, r.evaluator.values)

    def asked(*args, **kwargs):
        raise AssertionError("the scalar backend was asked")

    monkeypatch.setattr(batch, "scalar_reason", asked)
    rows = list(batch.rows(b))
    assert len(rows) == 80  # 5 municipalities x 2 years x 2 measures x 4 bases
    assert sum(1 for x in rows if x[6] == "not computed") == sum(int(np.isnan(f).sum()) for f in b.figures.values())
    assert ("A", 2007, "m1", "peer", None, "NOK", "not computed", BY_HAND[("m1", "peer", "A", 2007)]) in rows


def test_without_the_data_the_scalar_backend_says_why(run):
    _, r = run
    b = attrs.evolve(batch.evaluate(r.program, r.evaluator.values), data=None)
    assert batch.reasons(b, "m2", "others") is None
    assert batch.reason(b, "m2", "others", "B", 2007) == "division by zero"
    got = {(x[0], x[1], x[2], x[3]): x[7] for x in batch.rows(b)}
    for (measure, basis, muni, year), expected in BY_HAND.items():
        assert got[(muni, year, measure, basis)] == expected


def test_a_figure_the_reasons_kernel_does_not_reproduce_is_explained_by_the_scalar_backend(run):
    _, r = run
    b = batch.evaluate(r.program, r.evaluator.values)
    # a figure that is not the kernel's (as if the two computations disagreed): nothing from `reasons`
    figures = dict(b.figures)
    figures[("m1", "peer")] = np.zeros_like(figures[("m1", "peer")])
    b = attrs.evolve(b, figures=figures)
    assert all(x is None for x in batch.reasons(b, "m1", "peer").flat)


def test_for_all_from_the_cli_gives_the_reasons(run):
    import csv
    import io
    import os
    import subprocess

    d, _ = run
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(d / "cache"))
    p = subprocess.run([BENCHDSL, "run", str(d), "--for", "all"], capture_output=True, text=True, timeout=60,
                       env=env)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert " of 80 figures not computed" in p.stderr
    got = {(x["municipality"], int(x["year"]), x["measure"], x["basis"]): x
           for x in csv.DictReader(io.StringIO(p.stdout))}
    for (measure, basis, muni, year), expected in BY_HAND.items():
        assert (got[(muni, year, measure, basis)]["status"], got[(muni, year, measure, basis)]["reason"]) == \
            ("not computed", expected)
