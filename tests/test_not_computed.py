"""A figure that cannot be computed is reported as not computed, with its reason, in every output —
never as "no saving" (–), and never silently left out of a total (issue 9)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """\
municipality A 0001
municipality B 0002
group G = A, B
own A 2007
panel "p.csv"
basis m "Mean" = mean(G - own)
indicator c {
    unit NOK
    better lower
    source "c"
}
measure s "S" {
    saving = gap(c) * 1
    unit NOK
    round 1
}
table T "T" {
    column m "Mean" = m
    row s "s" = s
    total "Sum"
}
"""


def cli(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env,
                          cwd=cwd or tmp_path)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "r.bench").write_text(RULES, encoding="utf-8")
    # A's own value is missing: the saving of A against B cannot be computed.
    (tmp_path / "p.csv").write_text("variable,municipality,year,value,unit\nc,B,2007,8,NOK\n", encoding="utf-8")
    return tmp_path


def test_a_missing_own_value_is_not_computed_not_no_saving(folder):
    r = cli(folder, "run", ".")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    table = r.stdout.split("Not computed")[0]
    assert "–" not in table  # never "no saving"
    assert [ln.split()[-1] for ln in table.splitlines() if ln.startswith(("s ", "Sum "))] == ["?", "?"]
    assert "T.s.m: no value of `c` for A 2007 in the panel" in r.stdout
    assert "T.total.m: the total is not computed: row `s` of table T is not computed" in r.stdout
    assert "2 further figures not computed" in r.stdout


def test_with_the_value_it_is_computed(folder):
    # A 10, B 8: lower is better, the gap is 10 - 8 = 2 NOK, times 1.
    (folder / "p.csv").write_text("variable,municipality,year,value,unit\nc,A,2007,10,NOK\nc,B,2007,8,NOK\n",
                                  encoding="utf-8")
    r = cli(folder, "run", ".")
    assert r.returncode == 0, r.stderr
    assert [ln.split()[-1] for ln in r.stdout.splitlines() if ln.startswith(("s ", "Sum "))] == ["2.0", "2.0"]


def test_json_and_csv_say_not_computed_with_the_reason(folder):
    r = cli(folder, "run", ".", "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert {x["name"]: x["reason"] for x in doc["not_computed"]} == {
        "T.s.m": "no value of `c` for A 2007 in the panel",
        "T.total.m": "the total is not computed: row `s` of table T is not computed",
    }
    r = cli(folder, "run", ".", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {x["name"]: (x["status"], x["shown"]) for x in rows} == {
        "T.s.m": ("not computed", "?"), "T.total.m": ("not computed", "?"),
        "m.c": ("computed", "8")}  # the basis is there: the mean of the others is B's 8 alone


def test_a_missing_peer_value_in_the_what_if_example_is_not_a_smaller_sum(tmp_path):
    """The reviewer's case: deleting Trondheim's SFO unit cost turned SFO into – and the sum dropped, exit 0."""
    import shutil

    shutil.copytree(ROOT / "examples" / "what_if_bases", tmp_path / "examples" / "w")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    panel = tmp_path / "data" / "trondheim2007.csv"
    lines = panel.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("sfo_brutto_per_bruker,Trondheim,")]
    assert len(kept) == len(lines) - 1
    panel.write_text("".join(kept), encoding="utf-8")
    r = cli(tmp_path, "run", "examples/w")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    flat = " ".join(r.stdout.split())
    assert "W.sfo_unit_cost.mean: no value of `sfo_gross_per_user` for Trondheim 2007 in the panel" in flat
    assert "W.total.mean: the total is not computed: row `sfo_unit_cost` of table W is not computed" in flat


def test_explain_a_measure_with_nothing_published(tmp_path):
    """It ended in a TypeError on the shipped what_if_bases example (issue 11); now it shows each basis."""
    r = cli(tmp_path, "explain", "sfo_unit_cost", str(ROOT / "examples" / "what_if_bases"), cwd=ROOT)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    # mean(ASSS - own) of the nine others' SFO unit costs, as data/trondheim2007.csv gives them:
    # (23100 + 20826 + 22400 + 22900 + 21050 + 19950 + 21300 + 21115 + 20400) / 9 = 193041 / 9 = 21449
    assert "= 21 449 NOK/user" in r.stdout
    # Trondheim's 22 200 - 21 449 = 751 NOK/user, × 5 985 users = 4 494 735 NOK = 4.5 MNOK
    assert "= 751 NOK/user × 5 985 user" in r.stdout and "4.5 MNOK" in r.stdout
    assert r.stdout.count("measure `sfo_unit_cost`") == 6  # one per basis of the example's table


def test_an_analysis_with_nothing_published_exports_every_figure(tmp_path):
    """CSV gave only a header and JSON `"items": []` for rules whose tables publish nothing (issue 11)."""
    r = cli(tmp_path, "run", str(ROOT / "examples" / "what_if_bases"), "--format", "csv", cwd=ROOT)
    everything = {x["name"]: x for x in csv.DictReader(io.StringIO(r.stdout))}
    rows = {k: x for k, x in everything.items() if x["kind"] == "cell"}
    # the example's table W: 3 measure rows and a total under 6 bases, every cell computed
    assert len(rows) == 4 * 6 and {x["status"] for x in rows.values()} == {"computed"}
    # and every basis value compared with: 3 indicators under 6 bases, none of them published
    bases = {k: x for k, x in everything.items() if x["kind"] == "basis"}
    assert len(bases) == 3 * 6
    # the others' SFO costs (data/trondheim2007.csv): without Oslo's 23 100, (193 041 - 23 100) / 8 = 21 242.625;
    # the 3rd lowest of 19 950 (Fredrikstad), 20 400 (Sandnes), 20 826 (Bergen), ... is 20 826
    assert float(bases["mean_no_oslo.sfo_gross_per_user"]["computed"]) == 21242.625
    assert float(bases["best3.sfo_gross_per_user"]["computed"]) == 20826
    # Trondheim's SFO unit cost 22 200 against the others' mean 21 449 (see the explain test above):
    # 751 NOK/user × 5 985 users = 4 494 735 NOK = 4.5 MNOK
    cell = rows["W.sfo_unit_cost.mean"]
    assert float(cell["computed"]) == pytest.approx(4.494735, abs=1e-9) and cell["shown"] == "4.5"
    doc = json.loads(cli(tmp_path, "run", str(ROOT / "examples" / "what_if_bases"), "--format", "json",
                         cwd=ROOT).stdout)
    assert doc["items"] == [] and len(doc["figures"]) == 3 * 6  # every measure under every basis
    f = next(x for x in doc["figures"] if (x["measure"], x["basis"]) == ("sfo_unit_cost", "mean_others"))
    assert f["status"] == "saving" and f["saving"] == pytest.approx(4.494735, abs=1e-9)
    b = next(x for x in doc["basis_values"] if x["name"] == "best3.sfo_gross_per_user")
    assert b["value"] == 20826 and b["peer"] == "Bergen" and len(b["members"]) == 9
    assert [(m["municipality"], m["rank"]) for m in b["members"][:3]] == [("Fredrikstad", 1), ("Sandnes", 2), ("Bergen", 3)]


def test_explain_a_basis_value_and_a_let(tmp_path):
    r = cli(tmp_path, "explain", "best3.sfo_gross_per_user", str(ROOT / "examples" / "what_if_bases"), cwd=ROOT)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "#3 Bergen: 20 826  ← basis" in r.stdout
    # Trondheim's 22 200 against 20 826: +1 374 NOK/user, 1 374 / 20 826 = 6.6 % above
    assert "Trondheim: 22 200, +1 374 NOK/user (6.6 %) above the basis" in r.stdout
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "r.bench").write_text(LET_RULES)
    (tmp_path / "r" / "p.csv").write_text(LET_PANEL)
    r = cli(tmp_path, "explain", "s.m.g", str(tmp_path / "r"))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "`let g` of measure `s` under basis `m`" in r.stdout
    assert "let g = gap(c)" in r.stdout and "= 2 NOK/user" in r.stdout  # 12 - (11 + 9) / 2
    doc = json.loads(cli(tmp_path, "run", str(tmp_path / "r"), "--format", "json").stdout)
    assert doc["lets"] == [{"name": "s.m.g", "measure": "s", "basis": "m", "let": "g", "value": 2.0,
                            "unit": "NOK/user"}]
    assert doc["indicators"] == [{"name": "c", "value": 12.0, "unit": "NOK/user", "derived": False,
                                  "source": str(tmp_path / "r" / "p.csv") + ":2"}]


def test_explain_an_indicator_derived_or_read(tmp_path):
    # data/trondheim2007.csv: Trondheim's SFO gross cost 22 200 (line 31) less net 6 782 (line 32)
    r = cli(tmp_path, "explain", "sfo_fee_per_user", str(ROOT / "rules"), cwd=ROOT)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "= sfo_gross_per_user − sfo_net_per_user" in r.stdout
    assert "Trondheim 2007: 15 418 NOK/user   by formula from sfo_gross_per_user " in r.stdout
    assert "data/trondheim2007.csv:31, sfo_net_per_user " in r.stdout


LET_RULES = """\
municipality A 0001
municipality B 0002
municipality C 0003
group G = A, B, C
own A 2007
panel "p.csv"
basis m = mean(G - own)
indicator c {
    unit NOK/user
    better lower
    source "c"
}
measure s "S" {
    let g = gap(c)
    saving = g * 10 user
    unit NOK
}
"""

LET_PANEL = "variable,municipality,year,value,unit\nc,A,2007,12,NOK/user\nc,B,2007,11,NOK/user\nc,C,2007,9,NOK/user\n"
