"""Signed results (issue 11): a measure marked `signed` shows how far below the basis it is, and
explain gives every figure's gap with its sign and in %.  The CLI in a subprocess; every figure
is worked by hand from the panel below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli


RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "p.csv"
basis m "Mean of the others" = mean(G - own)
indicator c "Cost" {
    unit NOK/user
    better lower
    source "c"
}
indicator u "Users" {
    unit user
    source "u"
}
measure s "Signed" {
    saving = gap(c) * u
    unit kNOK
    signed
}
measure plain "Not signed" {
    saving = gap(c) * u
    unit kNOK
}
table T "Savings" {
    column m "Mean" = m
    row "S" = s: -0.3
    row "P" = plain: -
    total "Sum": -0.3
}
claim below "how far below the mean" under m: s = -0.3
claim clipped "the unsigned one" under m: plain = 0
"""

# A is the cheapest: 10 NOK/user against the mean of B and C, (20 + 12) / 2 = 16 NOK/user;
# gap 10 - 16 = -6 NOK/user, -6/16 = -37.5 %; x 50 users = -300 NOK = -0.3 kNOK.
PANEL = """\
variable,municipality,year,value,unit
c,A,2007,10,NOK/user
c,B,2007,20,NOK/user
c,C,2007,12,NOK/user
u,A,2007,50,user
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(RULES)
    (tmp_path / "r" / "p.csv").write_text(PANEL)
    return tmp_path


def cli(folder: Path, *args: str) -> tuple[int, str, str]:
    p = run_cli(folder, *args)
    return p.returncode, p.stdout, p.stderr


def test_a_signed_measure_shows_how_far_below(folder):
    code, out, err = cli(folder, "run", "r")
    assert code == 0, err  # -0.3 published for the signed row, its total and claim; "-" for the plain one
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] in (["S"], ["P"], ["Sum"])}
    assert rows["S"][:2] == ["-0.3", "-0.3"]
    assert rows["P"][:2] == ["–", "–"]
    assert rows["Sum"][:2] == ["-0.3", "-0.3"]  # the rows as shown: -0.3 + no saving
    doc = json.loads(cli(folder, "run", "r", "--format", "json")[1])
    figs = {(f["measure"], f["basis"]): f for f in doc["figures"]}
    assert figs[("s", "m")]["status"] == "no saving" and figs[("s", "m")]["saving"] == pytest.approx(-0.3)
    assert figs[("plain", "m")]["status"] == "no saving" and figs[("plain", "m")]["saving"] is None
    items = {i["name"]: i for i in doc["items"]}
    assert items["below"]["computed"] == pytest.approx(-0.3)
    assert items["clipped"]["computed"] == 0  # an unsigned saving read in a claim is at least 0


def test_for_all_keeps_the_sign(folder):
    code, out, err = cli(folder, "run", "r", "--for", "all")
    assert code == 1  # B and C have no users: not computed
    lines = set(out.splitlines())
    assert "A,2007,s,m,-0.3,kNOK,no saving,,-0.3," in lines  # full precision, then as shown
    assert "A,2007,plain,m,,kNOK,no saving,,-," in lines


def test_explain_gives_the_gap_with_its_sign(folder):
    code, out, err = cli(folder, "explain", "T.s.m", "r")
    assert code == 0, err
    assert "A: 10, -6 NOK/user (37.5 %) below the basis" in out
    assert "rounded to 1 decimal(s): -0.3 kNOK" in out
    # B's view: B 20 against mean(A, C) = (10 + 12) / 2 = 11: +9 NOK/user, 9/11 = 81.8 % above
    code, out, err = cli(folder, "explain", "plain", "r", "--own", "B")
    assert code == 0, err
    assert "B: 20, +9 NOK/user (81.8 %) above the basis" in out
