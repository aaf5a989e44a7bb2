"""The command line as an analyst uses it: exit codes and every output format."""

import csv
import io
import json

from helpers import COST_USERS, ROOT, cli, write

RULES = str(ROOT / "rules")


def test_run_prints_the_tables_and_the_summary():
    code, out, err = cli("run", RULES)
    assert code == 0, err
    assert "Tabell 4: Innsparingsmuligheter grunnskole, millioner kroner" in out
    assert out.rstrip().endswith("103 of 108 published figures reproduced; 2 report inconsistencies")
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
    assert doc["summary"]["items"] == 108 and doc["summary"]["ok"] == 103
    item = next(i for i in doc["items"] if i["name"] == "T4.sfo_fee.best")
    assert item["status"] == "ok" and item["basis"] == "third_best" and item["shown"] == 16.8
    assert item["published"]["accept_below"] == 0.05
    assert "grunnskole.bench:" in item["published"]["source"]


def test_csv_and_markdown():
    code, out, _ = cli("run", RULES, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 108 and rows[0]["name"].startswith("T4.")
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
    code, out, err = cli("run", str(tmp_path))
    assert code == 2 and out == ""
    assert "rules.bench:" in err and "error: the saving of `m` has unit NOK^2/user^2, which is not MNOK" in err
    write(tmp_path, UNIT_RULES, [("cost", "A", 2007, "1,5"), ("users", "A", 2007, 10, "pupil")])
    code, out, err = cli("run", str(tmp_path))
    assert code == 2
    assert "panel.csv:2:1: error: this line has 6 fields, the header 5" in err
    assert "panel.csv:3:" in err and "is given in `pupil`" in err
    assert "Traceback" not in err


def test_progress_is_shown_on_request_for_a_large_panel(tmp_path):
    rows = [("cost", m, 2007, 100 + i) for i, m in enumerate("ABCD")] + [("users", "A", 2007, 10)]
    rows += [("filler", "A", y, y) for y in range(1, 20_001)]  # a large panel the rules barely read
    write(tmp_path, UNIT_RULES, rows)
    code, out, err = cli("run", str(tmp_path), "--progress")
    assert code == 0
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
