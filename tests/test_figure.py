"""`figure`: a chart declared in the rules, drawn by the HTML report from the evaluation's cells.

Figure 1 of the Trondheim report prints no values: data/section1.csv reconstructs its series from
the text, and the claims about it are classed as the reconstruction's (fitted), not as evidence.
Every expected value below is worked out by hand from the panel lines, in the comments.
"""

from __future__ import annotations

import csv
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchdsl import evidence
from benchdsl.fmt import format_text
from benchdsl.pipeline import run_paths
from benchdsl.report.html import render
from benchdsl.report.text import render as render_text
from helpers import ROOT, messages, run

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
SVG = "{http://www.w3.org/2000/svg}"

# data/section1.csv, Trondheim, kroner per innbygger, 2004-2007:
EXPENDITURE = (19674, 20953, 23803, 26064)
NEED = (20649, 21826, 24532, 25588)
CAPACITY = (19823, 20953, 23551, 24564)


@pytest.fixture(scope="module")
def report():
    return run_paths([str(ROOT / "rules")])


@pytest.fixture(scope="module")
def svg(report):
    page = render(report.program, report.audit)
    m = re.search(r'<svg class="figure".*?</svg>', page, re.S)
    assert m is not None
    return ET.fromstring(m.group(0))  # well-formed XML, or this raises


def _points(polyline) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.split(",")) for p in polyline.get("points").split()]


def test_figure_1_is_an_svg_with_a_polyline_per_series_and_a_point_per_year(svg):
    assert svg.get("role") == "img" and svg.get("aria-label").startswith("Figur 1: Netto driftsutgifter")
    lines = svg.findall(f"{SVG}polyline")
    assert [p.get("data-series") for p in lines] == ["utgifter", "behov", "kapasitet"]
    assert all(len(_points(p)) == 4 for p in lines)  # 2004..2007
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "year"] == ["2004", "2005", "2006", "2007"]
    # a higher value is drawn higher (a smaller y): in 2007 expenditure 26 064 > need 25 588 > capacity 24 564;
    # in 2005 expenditure and capacity are both 20 953, drawn at one height
    ys = {p.get("data-series"): [y for _, y in _points(p)] for p in lines}
    assert ys["utgifter"][3] < ys["behov"][3] < ys["kapasitet"][3]
    assert ys["utgifter"][1] == ys["kapasitet"][1]
    # the legend names each series
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    for label in ("Netto driftsutgifter", "Beregnet utgiftsbehov", "Beregnet utgiftskapasitet"):
        assert label in texts


def test_the_2007_imbalance_is_marked_with_its_value(svg):
    marks = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "mark"]
    assert len(marks) == 1 and marks[0].get("data-year") == "2007"
    label = next(t for t in marks[0].iter(f"{SVG}text") if t.get("class") == "mark-value")
    # 26 064 - 24 564 = 1 500 kroner per innbygger
    assert label.text == "1 500"
    # the bracket runs from expenditure's point down to capacity's in 2007
    lines = {p.get("data-series"): _points(p) for p in svg.findall(f"{SVG}polyline")}
    path = marks[0].find(f"{SVG}path").get("d")
    top, bottom = lines["utgifter"][3][1], lines["kapasitet"][3][1]
    assert f",{top:.1f} " in path and f"V{bottom:.1f} " in path


def test_the_figure_values_are_the_evaluation_cells(report):
    cells = report.audit.cells
    for name, values in (("utgifter", EXPENDITURE), ("behov", NEED), ("kapasitet", CAPACITY)):
        assert [cells[("F1", name, str(y))] for y in range(2004, 2008)] == list(values)
    assert cells[("F1", "ubalanse", "2007")] == 1500  # 26 064 - 24 564
    assert ("F1", "ubalanse", "2006") not in cells  # a mark has one year
    # the text report lists the figure as a year table
    text = render_text(report.program, report.audit)
    assert re.search(r"^Netto driftsutgifter +19 674 +20 953 +23 803 +26 064$", text, re.M)
    assert re.search(r"^Differanse mellom utgifter og utgiftskapa… +1 500$", text, re.M)


def test_the_claims_about_figure_1_by_hand(report):
    got = {i.name: i for i in report.audit.items}
    assert got["s1_balance_2004"].computed == pytest.approx((19674 / 19823 - 1) * 100)  # -0,75 %, within ± 1
    assert got["s1_balance_2005"].computed == 0.0  # 20 953 / 20 953 - 1
    # growth 2005-2007: 26 064 / 20 953 - 1 = 24,39 % against 24 564 / 20 953 - 1 = 17,23 %: 7,16 pp
    assert got["s1_faster_after_2005"].computed == pytest.approx((26064 - 24564) / 20953 * 100)
    assert got["s1_imbalance_2007"].computed == 1500
    assert got["s1_imbalance_2007_total"].computed == pytest.approx(244.5)  # 1 500 × 163 000 inhabitants, MNOK
    assert got["s1_capacity_below_need"].computed == pytest.approx((24564 / 25588 - 1) * 100)  # -4,0 %
    assert all(got[n].status == "ok" for n in ("s1_balance_2004", "s1_balance_2005", "s1_faster_after_2005",
                                                  "s1_imbalance_2007", "s1_imbalance_2007_total",
                                                  "s1_capacity_below_need"))


def test_the_claims_are_the_reconstructions_not_evidence(report):
    classes = evidence.classify(report.program, report.audit, report.evaluator.measure)
    kinds = {f.name: f.kind.value for f in classes.findings}
    for name in ("s1_balance_2004", "s1_balance_2005", "s1_faster_after_2005", "s1_imbalance_2007",
                 "s1_capacity_below_need"):
        assert kinds[name] == "fitted", name
    # No input was fitted to the 240 MNOK: 1 500 × Trondheim's 163 000 inhabitants checks the text's two
    # numbers against each other
    assert kinds["s1_imbalance_2007_total"] == "cross-checked"
    assert "used to build the panel" in report.audit.evidence_line()
    assert report.audit.evidence_line().startswith("212 published figures: 37 cross-checked (34 reproduced, "
                                                   "3 inconsistent), 80 used to build the panel")


def test_the_reconstructed_panel_lines_say_where_they_come_from(report):
    with (ROOT / "data" / "section1.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    figure = [r for r in rows if r["variable"].startswith("is_")]
    assert len(figure) == 12  # three series × four years
    assert {r["provenance"] for r in figure} == {"derived", "assumed"}
    assert all(r["note"] for r in figure)
    assert all(r["provenance"] == "stated" and not r["fitted_to"] for r in rows if r not in figure)
    names = {i.name for i in report.audit.items}
    fitted = {n for r in figure for n in r["fitted_to"].split(";") if n}
    assert fitted == {"s1_balance_2004", "s1_balance_2005", "s1_faster_after_2005", "s1_imbalance_2007",
                      "s1_capacity_below_need"}
    assert fitted <= names
    # the values are those the figure shows, and the need is the capacity ÷ 0,96, to the krone
    by = {(r["variable"], int(r["year"])): float(r["value"]) for r in figure}
    assert [by[("is_netto_driftsutgifter", y)] for y in range(2004, 2008)] == list(EXPENDITURE)
    assert all(round(c / 0.96) == n for c, n in zip(CAPACITY, NEED))


# --- the declaration on small rules -------------------------------------------------------------

RULES = """
indicator cost {
    unit NOK/user
    source "cost"
}
indicator cap {
    unit kNOK/user
    source "cap"
}
figure F "Cost and capacity" {
    years 2006..2007
    series cost "Cost" = cost@B
    series cap "Capacity" = cap@B
    mark gap "Gap" = (cost - cap)@2007
    note "made up"
}
"""
ROWS = [("cost", "B", 2006, 10), ("cost", "B", 2007, 14), ("cap", "B", 2006, 0.010), ("cap", "B", 2007, 0.011)]


def test_a_small_figure_converts_units_in_its_mark(tmp_path):
    r = run(tmp_path, RULES, ROWS)
    assert r.ok, messages(r)
    cells = r.audit.cells
    # capacity 0,011 kNOK/user = 11 NOK/user, drawn (and shown) in the first series' NOK/user, as
    # the lines share one axis; gap 14 - 11 = 3 NOK/user
    assert cells[("F", "cap", "2007")] == pytest.approx(11.0)
    assert r.program.tables["F"].rows[1].unit == "NOK/user"
    assert cells[("F", "gap", "2007")] == pytest.approx(3.0)
    assert r.program.tables["F"].chart.marks[0].year == 2007
    svg = ET.fromstring(re.search(r'<svg class="figure".*?</svg>', render(r.program, r.audit), re.S).group(0))
    assert len(svg.findall(f"{SVG}polyline")) == 2


@pytest.mark.parametrize("change, message", [
    ("series cost \"Cost\" = cost@B", None),
    ("series cost \"Cost\" = nope@B", "series `cost` of figure `F` reads `nope`, which is not declared: a series "
                                      "reads an indicator"),
    ("series cost \"Cost\" = cost@Nowhere", "series `cost` of figure `F` reads `cost` of `Nowhere`, which is not a "
                                            "declared municipality"),
    ("mark gap \"Gap\" = (cost - cap)@2007", None),
    ("mark gap \"Gap\" = (cost - capacity)@2007", "mark `gap` of figure `F` names `capacity`, which is not one of "
                                                  "its series"),
    ("mark gap \"Gap\" = (cost - cap)@2009", "a mark's year must be a whole number from 2006 to 2007, not 2009"),
    ("mark gap \"Gap\" = (cost - cost)@2007", "mark `gap` is the distance from series `cost` to itself"),
    ("years 2006..2007", None),
    ("years 2007..2006", "figure `F` runs from 2007 to 2006: a line needs two years or more"),
])
def test_mistakes_in_a_figure_are_located_errors(tmp_path, change, message):
    key = change.split(" = ")[0] if " = " in change else "years"
    lines = [change if line.strip().startswith(key) else line for line in RULES.splitlines()]
    r = run(tmp_path, "\n".join(lines) + "\n", ROWS)
    if message is None:
        assert r.ok, messages(r)
    else:
        assert message in messages(r), messages(r)
        d = next(d for d in r.diags if d.message == message)
        assert d.span is not None and d.span.line > 1


def test_a_figure_without_years_or_series(tmp_path):
    r = run(tmp_path, RULES.replace("    years 2006..2007\n", ""), ROWS)
    assert "figure `F` has no `years` line: which years does it span?" in messages(r)
    r = run(tmp_path, re.sub(r"    (series|mark) .*\n", "", RULES), ROWS)
    assert "figure `F` has no `series` line: what does it draw?" in messages(r)


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)


def test_a_figure_of_an_unknown_indicator_is_a_located_error_from_the_cli(tmp_path):
    from helpers import write

    write(tmp_path, RULES.replace("series cap \"Capacity\" = cap@B", "series cap \"Capacity\" = cpa@B"), ROWS)
    p = _cli(tmp_path, "run", "rules.bench")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    # HEADER is 11 lines and RULES starts with an empty line: the series is line 11 + 13 = 24
    assert re.search(r"^rules\.bench:24:5: error: series `cap` of figure `F` reads `cpa`, which is not "
                     r"declared: a series reads an indicator$", p.stderr, re.M), p.stderr
    assert re.search(r'^ +series cap "Capacity" = cpa@B\n +\^', p.stderr, re.M), p.stderr
    assert "hint: did you mean `cap`?" in p.stderr


def test_a_cached_program_draws_the_same_figure(tmp_path):
    from helpers import write

    write(tmp_path, RULES, ROWS)
    pages = []
    for n in range(2):  # the second run reads the checked program, its chart included, from the cache
        p = _cli(tmp_path, "run", "rules.bench", "--html", f"r{n}.html")
        assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
        pages.append((tmp_path / f"r{n}.html").read_text(encoding="utf-8"))
    assert pages[0] == pages[1] and pages[0].count("<polyline") == 2
    assert list((tmp_path / "cache").glob("rules-*.json"))


def test_fmt_keeps_a_figure():
    text = RULES.lstrip("\n")
    assert format_text(text) == text


@pytest.mark.parametrize("lo, hi", [(19674, 26064), (0.0, 0.0), (5e-324, 1e-323), (-sys.float_info.max, sys.float_info.max),
                                    (sys.float_info.max, sys.float_info.max), (1e16, 1e16 + 2), (-3.5, -3.4)])
def test_the_scale_of_any_finite_values_is_drawable(lo, hi):
    from benchdsl.report.html import _scale

    a, b, ticks = _scale(lo, hi)
    assert a <= lo and hi <= b and b / 2 - a / 2 > 0  # what the chart divides by
    assert len(ticks) <= 21 and all(a <= t <= b for t, _ in ticks)


def test_a_figure_of_extreme_values_draws_without_a_traceback(tmp_path):
    from helpers import write

    rows = [("cost", "B", 2006, -1e308), ("cost", "B", 2007, 1e308), ("cap", "B", 2006, 5e-324), ("cap", "B", 2007, 0)]
    write(tmp_path, RULES, rows)
    p = _cli(tmp_path, "run", "rules.bench", "--html", "r.html")
    assert "Traceback" not in p.stderr and p.returncode in (0, 1), p.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    svg = ET.fromstring(re.search(r'<svg class="figure".*?</svg>', page, re.S).group(0))
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert all(math.isfinite(v) for p in svg.findall(f"{SVG}polyline") for xy in _points(p) for v in xy)


def test_a_field_given_twice_is_reported_once_and_names_may_be_left_out(tmp_path):
    twice = RULES.replace("    years 2006..2007\n", "    years 2006..2007\n    round 0\n    round 1\n")
    r = run(tmp_path, twice, ROWS)
    assert messages(r).count("`round` is already given at line 23") == 1, messages(r)  # figure 21, years 22
    # series and marks without names take their indicator's, and `upper_lower`
    unnamed = RULES.replace('series cost "Cost"', 'series "Cost"').replace('series cap "Capacity"', 'series "Capacity"')
    r = run(tmp_path, unnamed.replace('mark gap "Gap"', 'mark "Gap"'), ROWS)
    assert r.ok, messages(r)
    assert r.audit.cells[("F", "cost_cap", "2007")] == pytest.approx(3.0)  # 14 - 11


def test_series_in_two_units_share_the_first_series_unit(tmp_path):
    """The reviewer's case (tests/fixtures/figure_units): `cost` in NOK/inhabitant and `costk` in
    kNOK/inhabitant were drawn on one axis labelled NOK/inhabitant, 52 000 beside 42."""
    from helpers import run_cli

    for f in (ROOT / "tests" / "fixtures" / "figure_units").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    p = run_cli(tmp_path, "run", "r.bench", "--html", "out.html")
    assert p.returncode == 0, p.stderr
    # costk 2024: 42 kNOK/inhabitant = 42 000 NOK/inhabitant; the mark 52 000 - 42 000 = 10 000
    assert re.search(r"^kNOK +40 000\.0 +41 000\.0 +42 000\.0$", p.stdout, re.M), p.stdout
    assert re.search(r"^diff +10 000\.0$", p.stdout, re.M)
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    svg = ET.fromstring(re.search(r'<svg class="figure".*?</svg>', page, re.S).group(0))
    lines = [_points(x) for x in svg.findall(f"{SVG}polyline")]
    # on one axis the two lines lie 10 000 apart, not 52 000 against 42: their heights differ little
    top, bottom = lines[0][-1][1], lines[1][-1][1]
    assert 0 < bottom - top < 200


def test_a_series_in_a_unit_that_does_not_convert_is_refused(tmp_path):
    from helpers import run_cli

    for f in (ROOT / "tests" / "fixtures" / "figure_units").iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    rules = (tmp_path / "r.bench").read_text(encoding="utf-8").replace("unit kNOK/inhabitant", "unit kNOK/user")
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "p.csv").write_text((tmp_path / "p.csv").read_text(encoding="utf-8").replace("kNOK/inhabitant", "kNOK/user"),
                                    encoding="utf-8")
    p = run_cli(tmp_path, "check", "r.bench")
    assert p.returncode == 2
    assert ("r.bench:28:5: error: series `b` of figure `F` is in kNOK/user, its first series `a` in "
            "NOK/inhabitant: the lines share one axis, in one unit") in p.stderr
