"""The readings search (docs/audit.md, "Readings"): small rule sets built for the test, figures worked by hand.

Panel: cost (NOK/user) A 120, B 100, C 80, D 100; A has 10 000 users.  As written the others' mean
is (100 + 80 + 100) / 3 = 93.33, so m = (120 - 93.33) × 10 000 = 266 667 NOK = 0.27 MNOK.
Reading `without_c` (G without C): mean (100 + 100) / 2 = 100, m = 20 × 10 000 = 0.20 MNOK.
Reading `without_b` (G without B): mean (80 + 100) / 2 = 90, m = 30 × 10 000 = 0.30 MNOK.
"""

import re
import shutil
from pathlib import Path

import pytest

from benchdsl import readings
from benchdsl.pipeline import run_paths

from helpers import COST_USERS, run

ROOT = Path(__file__).parent.parent
ROWS = [("cost", "A", 2007, 120), ("cost", "B", 2007, 100), ("cost", "C", 2007, 80), ("cost", "D", 2007, 100),
        ("users", "A", 2007, 10_000)]
MEASURE = COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
    round 2
}
reading without_c "G without C": group G = A, B, D
"""
MEAN_CLAIM = 'claim mean "the others\' mean is 93,3" under mean_others: basis(cost) = 93.3 NOK/user\n'
WITHOUT_B = 'reading without_b "G without B": group G = A, C, D\n'


def table(published: str) -> str:
    return f'table T "T" {{\n    column mean "Mean" = mean_others\n    row "m" = m: {published}\n}}\n'


def line_of(tmp_path, start: str) -> int:
    lines = (tmp_path / "rules.bench").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def item(r, name):
    return next(i for i in r.audit.items if i.name == name)


def test_a_reading_that_reproduces_a_figure_and_breaks_nothing_is_what_the_rules_should_read(tmp_path):
    r = run(tmp_path, MEASURE + table("0.20"), ROWS)  # as written 0.27, without_c 0.20
    i = item(r, "T.m.mean")
    assert i.status == "mismatch" and not i.readings.inconsistent
    assert i.readings.why.startswith("reading without_c (G without C) reproduces it and breaks no other")
    assert i.readings.closest[0].computed == pytest.approx(0.20)


def test_two_readings_one_reproduces_the_figure_but_breaks_another_the_other_reproduces_nothing(tmp_path):
    r = run(tmp_path, MEASURE + WITHOUT_B + MEAN_CLAIM + table("0.20"), ROWS)
    assert item(r, "mean").status == "ok"  # 93.33 as written
    (search,) = r.audit.search.searches
    assert search.dimensions == (("group G", ("without_c", "without_b")),)
    reproduced = {o.readings: o.reproduced for o in search.outcomes}
    assert reproduced == {(): {"mean"}, ("without_c",): {"T.m.mean"}, ("without_b",): set()}
    assert not search.agreeing  # no one reading reproduces 0.20 and 93.3
    f = item(r, "T.m.mean").readings
    assert f.inconsistent and "mean" in f.corroborated_by  # B, C and D's costs reproduce the 93.3
    assert [(c.reading, c.breaks) for c in f.closest] == [("without_c (G without C)", ("mean",))]
    assert item(r, "T.m.mean").status == "mismatch"  # found, not declared: the run still fails
    assert "report inconsistency found by the readings search" in r.audit.breakdown()


def test_no_reading_reproduces_it_the_inconsistency_its_size_and_the_closest_readings(tmp_path):
    r = run(tmp_path, MEASURE + WITHOUT_B + MEAN_CLAIM + table("0.25"), ROWS)
    i = item(r, "T.m.mean")
    f = i.readings
    assert f.inconsistent and f.why.startswith("no reading reproduces it")
    # off by: as written 0.2667 - 0.25 = 0.0167; without_c 0.20 - 0.25 = -0.05; without_b 0.30 - 0.25 = 0.05
    assert [c.reading for c in f.closest][0] == "as written"
    assert {c.reading.split()[0]: c.delta for c in f.closest} == pytest.approx(
        {"as": 0.2 / 12, "without_c": -0.05, "without_b": 0.05})
    # Its size as an input change: 0.25 MNOK needs a gap of 25 NOK/user: A's cost 118.33 (-1.4 %), A's users
    # 9 375 (-6.3 %), B's cost 105 (+5 %), C's 85 (+6.3 %), D's 105 (+5 %): A's cost changes least and breaks
    # nothing (the 93.3 reads B, C and D).
    rec = i.reconciled
    assert (rec.indicator, rec.municipality, rec.year) == ("cost", "A", 2007)
    assert rec.was == 120 and rec.needed == pytest.approx(118.3333, rel=1e-5) and rec.breaks == ()
    assert "Closest: as written: 0.2667" in readings.text(f)


def test_a_known_the_search_does_not_confirm_is_a_warning(tmp_path):
    r = run(tmp_path, MEASURE + table("0.20") + 'known T.m.mean: "the report left C out"\n', ROWS)
    assert item(r, "T.m.mean").status == "known"
    (w,) = [d for d in r.diags if "does not confirm" in d.message]
    assert w.severity == "warning" and w.span.line == line_of(tmp_path, "known") and "without_c" in w.message


def test_a_confirmed_known_gives_no_warning(tmp_path):
    r = run(tmp_path, MEASURE + MEAN_CLAIM + table("0.20") + 'known T.m.mean: "the report left C out"\n', ROWS)
    assert item(r, "T.m.mean").readings.inconsistent
    assert not [d for d in r.diags if "known" in d.message]


def test_a_let_reading_is_checked_for_units_at_the_reading(tmp_path):
    r = run(tmp_path, MEASURE + "reading bad: m.saving = gap(cost)\n" + table("0.20"), ROWS)
    (e,) = [d for d in r.diags if d.is_error]
    assert e.span.line == line_of(tmp_path, "reading bad") and "NOK/user" in e.message


@pytest.mark.parametrize("reading, message", [
    ("reading x: group H = A, B", "replaces group `H`, which the rules do not declare"),
    ("reading x: m.nope = 1 MNOK", "measure `m` has no `let nope`"),
    ("reading without_c: basis mean_others = mean(G)", "a second reading called `without_c`"),
])
def test_a_reading_of_something_the_rules_do_not_have_is_an_error_at_the_reading(tmp_path, reading, message):
    r = run(tmp_path, MEASURE + reading + "\n" + table("0.20"), ROWS)
    (e,) = [d for d in r.diags if d.is_error]
    assert message in e.message and e.span.line == line_of(tmp_path, reading)


def test_a_let_reading_replaces_one_let(tmp_path):
    rules = COST_USERS + """
measure m {
    let g = gap(cost)
    saving = g * users
    unit MNOK
    round 2
}
reading half "half the gap": m.g = gap(cost) / 2
""" + table("0.13")
    r = run(tmp_path, rules, ROWS)  # half of 26.67 NOK/user × 10 000 = 0.13 MNOK
    assert not item(r, "T.m.mean").readings.inconsistent
    assert item(r, "T.m.mean").readings.closest[0].computed == pytest.approx(0.4 / 3)


def test_the_search_is_bounded_with_a_located_error(tmp_path, monkeypatch):
    monkeypatch.setattr(readings, "MAX_COMBINATIONS", 2)
    r = run(tmp_path, MEASURE + WITHOUT_B + table("0.20"), ROWS)  # 3 choices of group G
    (e,) = [d for d in r.diags if d.is_error]
    assert "make 3 combinations" in e.message and e.span.line == line_of(tmp_path, "reading without_b")


def test_without_any_known_line_the_search_finds_every_inconsistency_the_run_reports(tmp_path):
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    for path in (tmp_path / "rules").glob("*.bench"):
        text = path.read_text(encoding="utf-8")
        path.write_text("".join(line for line in text.splitlines(True) if not line.startswith("known ")), "utf-8")
    golden = (ROOT / "tests" / "golden" / "run_rules.txt").read_text(encoding="utf-8")
    today = set(re.findall(r"^  K ([\w.]+):", golden, re.M))
    assert len(today) == 4
    r = run_paths([str(tmp_path / "rules")])
    found = {i.name: i for i in r.audit.items if i.readings is not None and i.readings.inconsistent}
    assert today <= set(found)
    for i in found.values():  # each with its size and its closest readings
        assert i.delta is not None and i.readings.closest and i.reconciled is not None
