"""Section 2's stated inputs (issue 13): a number the report's text gives as an input is a `stated`
panel value whose note quotes the sentence with its report line, the measures read it from the
panel (not a constant in the rules), and a claim reads it back.

Expected values are worked out by hand from data/trondheim2007.csv and the report's text.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from benchdsl import evidence
from benchdsl.evidence import Kind
from benchdsl.pipeline import run_paths

from clirun import bench

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "data" / "trondheim2007.csv"

# variable: (value, unit, words the note must quote, the claim that reads it back).  From the
# report (000_d877c42d9df171ed.txt): lines 225-226 (the elasticity), 344-345 (the 170 children),
# 395-396 (250 000 kr per user), 457-464 (the 240 MNOK gap between spending and capacity).
STATED_INPUTS = {
    "lonnsreduksjon_storre_grupper": (3.0, "%", "redusere lønnskostnadene i grunnskolen med 3 prosent",
                                      "group_size.wage_cut"),
    "gruppestorrelse_okning": (3.5, "%", "gruppestørrelsen øker med 3,5 prosent", "group_size.size_increase"),
    "barn_tiltak_i_familien_redusert": (170.0, "child", "redusert med 170 i løpet av 2007", "cw_home.removed"),
    "besparelse_omsorgsbolig": (250000.0, "NOK/user", "besparelse på kr 250 000 per bruker",
                                "care_homes.saving_per_user"),
    "ubalanse_is_tjenester": (240.0, "MNOK", "(240 millioner kroner)", "is_gap_stated"),
}


def _rows(path=PANEL):
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def report():
    return run_paths([str(ROOT / "rules")])


def test_every_stated_value_quotes_the_report_with_its_line():
    # The convention (docs/data.md): "report line N, Heading: '…'" or "report lines N-M, …".
    stated = [r for r in _rows() if r["provenance"] == "stated"]
    assert len(stated) == 13  # 8 group sizes and institution shares, and the 5 inputs above
    bad = [r["note"] for r in stated if not re.fullmatch(r"report lines? \d+(-\d+)?, [^:]+: '.+'", r["note"])]
    assert not bad, bad
    assert not any(r["fitted_to"] for r in stated)


def test_the_stated_inputs_are_in_the_panel_with_their_quotation():
    rows = {r["variable"]: r for r in _rows() if r["variable"] in STATED_INPUTS}
    assert set(rows) == set(STATED_INPUTS)
    for variable, (value, unit, words, _) in STATED_INPUTS.items():
        r = rows[variable]
        assert (r["municipality"], r["year"], float(r["value"]), r["unit"], r["provenance"]) == (
            "Trondheim", "2007", value, unit, "stated"), variable
        assert words in r["note"], variable


def test_each_stated_input_is_read_back_by_its_claim(report):
    classes = evidence.classify(report.program, report.audit, report.evaluator.measure)
    by_name = {i.name: i for i in report.audit.items}
    for variable, (value, _, _, claim) in STATED_INPUTS.items():
        f = classes.of(claim)
        assert f.kind is Kind.READ_BACK, (claim, f.reason)
        # its one input is that panel line
        (inp,) = f.inputs
        assert (inp.municipality, inp.year, inp.provenance) == ("Trondheim", 2007, "stated")
        assert by_name[claim].status == "ok"
    # The two claims that hold Table 10 against the 240 read its cells and the stated 240, none
    # fitted to them: cross-checked, and reproduced (131,9 − 0 − 240 = −108,1 < 0; with the
    # computed 3rd-best column, 78,0 + 26,0 + 25,4 + 86,3 + 28,9 + 34,0 = 278,6, and
    # 278,6 − 34,0 − 240 = 4,6 > 0).
    for claim, computed in (("is_gap_mean_short", -108.1), ("is_gap_best_covers", 4.6)):
        assert classes.of(claim).kind is Kind.CROSS_CHECKED
        assert by_name[claim].status == "ok" and by_name[claim].computed == pytest.approx(computed, abs=1e-9)


def test_the_measures_read_the_stated_inputs_from_the_panel(tmp_path):
    # The same rules on a copy of the panel with three stated inputs changed: the savings follow,
    # and the claims that read them back no longer reproduce the report.
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    path = tmp_path / "data" / "trondheim2007.csv"
    text = path.read_text(encoding="utf-8")
    for old, new in (("lonnsreduksjon_storre_grupper,Trondheim,2007,3,%", "lonnsreduksjon_storre_grupper,Trondheim,2007,6,%"),
                     ("barn_tiltak_i_familien_redusert,Trondheim,2007,170,", "barn_tiltak_i_familien_redusert,Trondheim,2007,0,"),
                     ("besparelse_omsorgsbolig,Trondheim,2007,250000,", "besparelse_omsorgsbolig,Trondheim,2007,500000,")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    result = run_paths([str(tmp_path / "rules")])
    by_name = {i.name: i for i in result.audit.items}
    # Group size: gap 3,452 % × (6 % / 3,5 %) × 959 850 kNOK = 0,0345178 × 1,7142857 × 959,85 MNOK
    # = 56,80 MNOK, twice the 28,4.
    assert by_name["T4.group_size.best"].computed == pytest.approx(56.8, abs=0.05)
    # Child welfare, against the others' mean cost per child (38 000 + 43 426,67 + 30 500 + 36 000
    # + 29 000 + 31 500 + 35 500 + 33 000 + 36 500) / 9 = 34 825,19 kr: with 760 children and none
    # added, 50 287 000 − 34 825,19 × 760 = 23 819 856 kr, 23,8 (17,9 with 930).
    assert by_name["T6.cw_home.mean"].computed == pytest.approx(23.8, abs=0.05)
    # Nursing homes: (15,6 − 14,43) % × 7 900 inhabitants 80+ = 92,43 users × 500 000 kr = 46,2 MNOK.
    assert by_name["care_homes.saving_mean"].computed == pytest.approx(46.2, abs=0.05)
    for claim in ("group_size.wage_cut", "cw_home.removed", "care_homes.saving_per_user"):
        assert by_name[claim].status == "mismatch", claim


RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "p.csv"
basis m "Mean of the others" = mean(G - own)
indicator spend {
    unit kNOK
    source "spend"
}
indicator kids {
    unit child
    source "kids"
}
indicator removed {
    unit child
    source "removed"
}
indicator per_kid {
    unit NOK/child
    better lower
    = spend / kids
}
measure w "W" {
    adjust kids by removed because "A's count was cut by a stricter practice"
    saving = gap(per_kid) * kids
    unit MNOK
    round 1
}
table T "T" {
    column mean "Mean" = m
    row "W" = w: 0.3
}
"""

# A: 1 000 000 kr over 80 + 20 children = 10 000 kr a child; B 8 000, C 6 000; the mean of the
# others 7 000; (10 000 − 7 000) × 100 children = 0,3 MNOK.  Only A states how many were removed.
PANEL_CSV = """\
variable,municipality,year,value,unit
spend,A,2007,1000,kNOK
kids,A,2007,80,child
removed,A,2007,20,child
spend,B,2007,800,kNOK
kids,B,2007,100,child
spend,C,2007,600,kNOK
kids,C,2007,100,child
"""


def test_an_adjustment_read_from_the_panel_that_has_no_value_is_not_computed(tmp_path):
    """Regression: `run rules/ --own Bergen` with `adjust cw_home_children by cw_home_children_removed`
    (Bergen has no stated count) ended in a TypeError in explain, the HTML report and JSON."""
    (tmp_path / "r.bench").write_text(RULES, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL_CSV, encoding="utf-8")
    rules = str(tmp_path / "r.bench")
    p = bench(tmp_path, "run", rules)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "1 of 1 published figures reproduced" in p.stdout
    # B as the own municipality: no value of `removed`, so the saving is not computed (exit 1)
    reason = "no value of `removed` for B 2007"
    for args in (("run", rules, "--own", "B"), ("run", rules, "--own", "B", "--format", "json"),
                 ("run", rules, "--own", "B", "--html", str(tmp_path / "b.html")),
                 ("explain", "T.w.mean", rules, "--own", "B")):
        p = bench(tmp_path, *args)
        assert "Traceback" not in p.stderr, (args, p.stderr)
        assert p.returncode == (0 if args[0] == "explain" else 1), (args, p.returncode, p.stderr)
        shown = (tmp_path / "b.html").read_text(encoding="utf-8") if "--html" in args else p.stdout
        assert reason in shown, args
