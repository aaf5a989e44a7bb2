"""The command line as an analyst uses it: exit codes and every output format."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import assert_located_error, bench
from helpers import COST_USERS, ROOT, cli, write

RULES = str(ROOT / "rules")


def test_run_prints_the_tables_and_the_summary():
    code, out, err = cli("run", RULES)
    assert code == 0, err
    assert "Tabell 4: Innsparingsmuligheter grunnskole, millioner kroner" in out
    # section 2's 103 of 108, and section 1's 30 of 32 (two known: s1_investment_level, s1_debt_asss)
    # 140 figures of sections 1 and 2, and the 58 cells of Tables 1-3 (14 + 28 + 16, counted in the report)
    assert out.rstrip().endswith("205 of 212 published figures reproduced; 4 report inconsistencies")
    assert max(len(line) for line in out.splitlines()) <= 80


def test_norwegian_number_format():
    code, out, _ = cli("run", RULES, "--norwegian")
    assert code == 0
    assert "131,9" in out and "1 150,0" in out
    assert "131.9" not in out


def test_json_has_a_stable_schema():
    code, out, _ = cli("run", RULES, "--format", "json")
    doc = json.loads(out)
    assert doc["schema"] == 1 and doc["own"] == "Trondheim" and doc["year"] == 2007
    assert doc["summary"]["items"] == 212 and doc["summary"]["ok"] == 205
    item = next(i for i in doc["items"] if i["name"] == "T4.sfo_fee.best")
    assert item["status"] == "ok" and item["basis"] == "third_best" and item["shown"] == 16.8
    assert item["published"]["accept_below"] == 0.05
    assert "grunnskole.bench:" in item["published"]["source"]


def _no_constants(name):
    raise ValueError(f"not JSON: {name}")


def test_json_is_strict_and_says_where_a_tolerance_is_unbounded():
    code, out, _ = cli("run", RULES, "--format", "json")
    doc = json.loads(out, parse_constant=_no_constants)  # Infinity or NaN would raise
    pubs = [i["published"] for i in doc["items"]]
    # by hand (grep the rules for `= mer enn`, `= more than`, `= mindre enn`, `= less than`): before a
    # number 4 times in section 2 (barnevern, grunnskole, oppsummering, sosialhjelp) and 6 in section 1
    # -> no upper limit; once in section 2 (oppsummering) and 4 times in section 1 -> no lower limit;
    # the phrase "vesentlig høyere" (10 % or more, section 1) alone -> no upper limit of its range
    above = [p for p in pubs if p.get("accept_above_unbounded")]
    below = [p for p in pubs if p.get("accept_below_unbounded")]
    assert len(above) == 10 and len(below) == 5
    words = [p for p in pubs if p["kind"] == "word"]
    assert [p["word"] for p in words if p.get("accept_high_unbounded")] == ["vesentlig høyere"]
    assert all(p["accept_low"] is not None for p in words)
    assert all(p["accept_above"] is None and p["accept_below"] == 0.0 for p in above)
    assert all(p["accept_below"] is None and p["accept_above"] == 0.0 for p in below)
    bounded = [p for p in pubs if "accept_above" in p and p not in above + below]
    assert all(p["accept_above"] is not None and p["accept_below"] is not None for p in bounded)


def test_csv_and_markdown():
    code, out, _ = cli("run", RULES, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    audited = [r for r in rows if r["kind"] in ("cell", "claim") and r["status"] != "computed"]
    assert len(audited) == 212 and rows[0]["name"].startswith("T1.")
    # and Figure 1's 3 × 4 points and its mark, computed and published nowhere
    assert len([r for r in rows if r["kind"] == "cell" and r["status"] == "computed"]) == 13
    # then every basis value and every let, never audited: third_best of SFO fees is Bergen's 18 223
    # (explain's ranking of the nine others; data/trondheim2007.csv: gross 20 826 less net 2 603)
    basis = {r["name"]: r for r in rows if r["kind"] == "basis"}
    assert float(basis["third_best.sfo_fee_per_user"]["computed"]) == 20826 - 2603
    code, out, _ = cli("run", RULES, "--format", "markdown")
    assert "| Sum |" not in out and "| **Sum** |" in out


def test_output_file_is_written_atomically(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    code, out, _ = cli("run", RULES, "--format", "json", "-o", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_explain_shows_inputs_peers_arithmetic_and_the_verdict():
    code, out, _ = cli("explain", "T4.sfo_unit_cost.best", RULES)
    assert code == 0
    assert "data/trondheim2007.csv:" in out
    assert "#3 Bergen: 20 826  ← basis" in out
    assert "saving = gap(sfo_gross_per_user) × sfo_users" in out
    assert "rounded to 1 decimal(s): 8.2 MNOK" in out
    assert "audit: ✓ reproduced" in out
    code, out, err = cli("explain", "T4.sfo_unit_cost.bset", RULES)
    assert code == 2 and "did you mean `T4.sfo_unit_cost.best`?" in err


def test_exit_code_1_for_an_undeclared_mismatch(tmp_path):
    write(tmp_path, COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    row "m" = m: 5.0
}
""", [("cost", "A", 2007, 110), ("cost", "B", 2007, 100), ("cost", "C", 2007, 100), ("cost", "D", 2007, 100),
      ("users", "A", 2007, 100_000)])
    code, out, _ = cli("run", str(tmp_path))
    assert code == 1 and "✗ T.m.mean: computed 1.00, published 5.0, off by -4.00" in out


def test_usage_errors_exit_2():
    assert cli()[0] == 2
    assert cli("run", RULES, "--own", "Bergn")[0] == 2


def test_every_example_runs_clean():
    examples = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
    assert examples
    for example in examples:
        code, out, err = cli("run", str(example))
        assert code == 0, (example.name, err, out[-500:])
        assert max(len(line) for line in out.splitlines()) <= 80


UNIT_RULES = COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
}
"""


def test_unit_errors_and_bad_data_exit_2_with_located_diagnostics(tmp_path):
    write(tmp_path, UNIT_RULES.replace("gap(cost) * users", "gap(cost) * cost"), [("users", "A", 2007, 1)])
    p = bench(tmp_path, "run", str(tmp_path))
    assert_located_error(p, "the saving of `m` has unit NOK^2/user^2, which is not MNOK")
    assert p.stdout == "" and "rules.bench:" in p.stderr
    write(tmp_path, UNIT_RULES, [("cost", "A", 2007, "1,5"), ("users", "A", 2007, 10, "pupil")])
    p = bench(tmp_path, "run", str(tmp_path))
    assert_located_error(p, "this line has 6 fields, the header 5")
    assert "panel.csv:2:1: error: this line has 6 fields, the header 5" in p.stderr
    assert "panel.csv:3:" in p.stderr and "is given in `pupil`" in p.stderr


def test_progress_is_shown_on_request_for_a_large_panel(tmp_path):
    rows = [("cost", m, 2007, 100 + i) for i, m in enumerate("ABCD")] + [("users", "A", 2007, 10)]
    rows += [("filler", "A", y, y) for y in range(1, 20_001)]  # a large panel the rules barely read
    write(tmp_path, UNIT_RULES, rows)
    code, out, err = cli("run", str(tmp_path), "--progress")
    assert code == 1 and "error" not in err  # the measure, in no table, has no 2004 values for the y2004 basis
    assert f"reading {tmp_path / 'panel.csv'}: 20 000 of 20 006" in err
    code, out, err = cli("run", str(tmp_path), "--no-progress")
    assert "reading" not in err


def test_json_carries_each_figures_derivation():
    doc = json.loads(cli("run", RULES, "--format", "json")[1])
    items = {i["name"]: i for i in doc["items"]}
    d = items["T4.sfo_fee.best"]["derivation"]
    assert d["measure"] == "sfo_fee" and d["basis"] == {"name": "third_best", "policy": "best(3, ASSS - own)"}
    bergen = next(b for b in d["bases"] if b["indicator"] == "sfo_fee_per_user")
    assert bergen["peer"] == "Bergen" and [m["rank"] for m in bergen["members"]] == list(range(1, 10))
    own = next(x for x in d["inputs"] if x["indicator"] == "sfo_users")
    assert "data/trondheim2007.csv:" in own["source"] and own["provenance"] == "derived"
    assert d["formula"] == "gap(sfo_fee_per_user) × sfo_users"
    assert d["arithmetic"] == "2 805 NOK/user × 5 985 user"
    assert items["T10.total.best"]["derivation"]["sum_of"][0] == "T10.grunnskole.best"
    adjusted = next(x for x in items["T6.cw_home.mean"]["derivation"]["inputs"] if "adjusted_by" in x)
    assert adjusted["indicator"] == "cw_home_children" and adjusted["adjusted_by"] == 170


def test_norwegian_explain_writes_kroner_as_a_norwegian_reader_does():
    code, out, _ = cli("explain", "T4.sfo_fee.best", RULES, "--norwegian")
    assert code == 0
    assert "= 2 805 kr/user × 5 985 user" in out
    assert "rounded to 1 decimal(s): 16,8 mill. kr" in out


# A let too large for a float: 1e308 MNOK × 10 is infinite, 1 MNOK / that is 0, so the
# claim is reproduced and the run succeeds, but every report must still show the let.
HUGE_RULES = COST_USERS + """
measure m {
    let huge = 1e308 MNOK * 10
    let tiny = 1 MNOK / huge
    saving = gap(cost) * users
    unit MNOK
    claim c "tiny" under mean_others: tiny = 0
}
table T "T" {
    column mean "Mean" = mean_others
    row "m" = m: 1.0
}
"""
# m: cost 110 (own A) against the mean of the others, 100: 10 NOK/user × 100 000 users = 1.0 MNOK
HUGE_ROWS = [("cost", "A", 2007, 110), ("cost", "B", 2007, 100), ("cost", "C", 2007, 100),
             ("cost", "D", 2007, 100), ("users", "A", 2007, 100_000)]


def test_a_let_too_large_for_a_float_is_shown_never_a_crash(tmp_path):
    write(tmp_path, HUGE_RULES, HUGE_ROWS)
    page = tmp_path / "report.html"
    p = bench(tmp_path, "run", str(tmp_path), "--html", str(page), "--format", "json")
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    doc = json.loads(p.stdout, parse_constant=_no_constants)
    steps = next(i for i in doc["items"] if i["name"] == "m.c")["derivation"]["steps"]
    assert steps[0]["let"] == "huge" and steps[0]["value"] is None and steps[0]["value_nonfinite"] == "inf"
    assert steps[1]["value"] == 0.0
    assert "= 1.000e+308 MNOK × 10 = ∞ MNOK" in page.read_text(encoding="utf-8")
    p = bench(tmp_path, "explain", "m.c", str(tmp_path))
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "= 1.000e+308 MNOK × 10 = ∞ MNOK" in p.stdout


def test_numbers_that_do_not_fit_are_written_as_such():
    from benchdsl.report.numbers import auto, fmt

    assert fmt(float("inf"), 1) == auto(float("inf")) == "∞"
    assert fmt(float("-inf"), 1) == "-∞"
    # In a table NaN is a cell not computed (its reason is listed below the table); in a derivation
    # it is an intermediate value such as ∞ × 0
    assert fmt(float("nan"), 1) == "?" and auto(float("nan")) == "not a number"
    assert fmt(1e308, 1) == auto(1e308) == "1.000e+308"
    assert fmt(-1.5e20, 0, norwegian=True) == "-1,500e+20"
    assert fmt(999_999_999_999_999.0, 0) == "999 999 999 999 999"  # below 1e15: every digit


HOSTILE = COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
    claim c "=HYPERLINK(\\"http://x\\") a|b <script>alert(1)</script>" under mean_others: gap(cost) = 10 NOK/user
}
table T "@SUM(A1) *bold* _it_ [l](u) `c` \\\\ & #" {
    column mean "+cmd|' /C calc'!A0" = mean_others
    row r1 "-2+3+cmd|' /C calc'!A0" = m: 1.0
    row r2 "\tTAB" = m: 5.0
    row r3 "| x | y |" = m: 1.0
}
"""


@pytest.fixture
def hostile(tmp_path):
    return write(tmp_path, HOSTILE, HUGE_ROWS)


def test_csv_cells_a_spreadsheet_would_run_get_a_quote(hostile):
    code, out, _ = cli("run", str(hostile), "--format", "csv")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    # by hand: each label starting with = + - @ or a tab gets a leading ', nothing else changes
    assert rows["T.r1.mean"]["label"] == "'-2+3+cmd|' /C calc'!A0"
    assert rows["T.r2.mean"]["label"] == "'\tTAB"
    assert rows["T.r3.mean"]["label"] == "| x | y |"
    assert rows["m.c"]["label"].startswith("'=HYPERLINK(")
    # numbers stay numbers: T.r2 computed 1.0, published 5.0, so delta -4 (not '-4)
    assert rows["T.r2.mean"]["delta"] == "-4" and rows["T.r2.mean"]["computed"] == "1.0"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or value == "-" or float(value) < 0, value


def test_csv_guard_keeps_numbers():
    from benchdsl.report.machine import csv_cell

    for number in ("-4", "-0.5", "+3", "-1 234,5", "-3.5 %", "-1e-05", "-", "12", ""):
        assert csv_cell(number) == number
    for formula in ("=1+2", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1", "-2+3", "-inf+cmd"):
        assert csv_cell(formula) == "'" + formula


def test_markdown_labels_are_text_not_markup(hostile):
    code, out, _ = cli("run", str(hostile), "--format", "markdown")
    assert "<script>" not in out and "<" not in out.replace("\\<", "")
    table = [line for line in out.splitlines() if line.startswith("|")]
    header_cells = table[0].replace("\\|", "").count("|")
    assert all(line.replace("\\|", "").count("|") == header_cells for line in table[:5])
    assert "\\*bold\\*" in out and "\\_it\\_" in out and "\\[l\\](u)" in out and "\\`c\\`" in out
    assert "\\| x \\| y \\|" in out and "\\&" in out


def test_html_escapes_every_label(hostile, tmp_path):
    page = tmp_path / "r.html"
    code, _, err = cli("run", str(hostile), "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "@SUM(A1) *bold*" in text and "&amp;" in text


def test_own_names_the_municipality_computed_everywhere(tmp_path):
    """--own Bergen computed Bergen's figures under the heading 'Trondheim 2007' (issue 11)."""
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    exe = str(Path(sys.executable).parent / "benchdsl")
    text = subprocess.run([exe, "run", RULES, "--own", "Bergen"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert text.stdout.startswith("benchdsl: Bergen 2007\n"), text.stdout[:80]
    assert text.returncode == 1  # only Trondheim has volumes: Bergen's savings are not computed, and say so
    doc = json.loads(subprocess.run([exe, "run", RULES, "--own", "Bergen", "--format", "json"],
                                    capture_output=True, text=True, env=env, timeout=120).stdout)
    assert (doc["own"], doc["year"]) == ("Bergen", 2007)


def test_a_reader_that_goes_away_is_never_success(tmp_path):
    """`benchdsl run . | true` exited 0 although the output was cut short (a failed audit looked like a pass)."""
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    exe = str(Path(sys.executable).parent / "benchdsl")
    p = subprocess.Popen([exe, "run", RULES, "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    p.stdout.close()  # the reader is gone before anything is written
    with p.stderr:
        err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141 and "Traceback" not in err
