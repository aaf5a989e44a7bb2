"""Sensitivity: every measure under alternative bases, against hand-computed values."""

import json

import pytest

from helpers import COST_USERS, cli, write

ROWS = [("cost", "A", 2007, 130), ("cost", "B", 2007, 100), ("cost", "C", 2007, 110), ("cost", "D", 2007, 120),
        ("users", "A", 2007, 1_000_000), ("users", "B", 2007, 1), ("users", "C", 2007, 3), ("users", "D", 2007, 1)]
RULES = COST_USERS + """
measure m {
    saving = gap(cost) * users
    unit MNOK
}
"""


def test_sensitivity_table_json_and_csv(tmp_path):
    write(tmp_path, RULES, ROWS)
    code, out, err = cli("sensitivity", str(tmp_path), "--without", "B", "--weight", "users", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [b["name"] for b in doc["bases"]] == ["best1", "best2", "best3", "best4", "best5", "mean",
                                                "mean_without_B", "wmean_users"]
    s = doc["rows"][0]["savings"]
    assert s["best1"] == pytest.approx(30.0) and s["best2"] == pytest.approx(20.0) and s["best3"] == pytest.approx(10.0)
    assert s["best4"].startswith("best(4, G - own): the group has only 3 members")  # not computable, and why
    assert s["mean"] == pytest.approx(20.0) and s["mean_without_B"] == pytest.approx(15.0)
    # weighted by users: (100*1 + 110*3 + 120*1) / 5 = 110
    assert s["wmean_users"] == pytest.approx(20.0)
    assert doc["rows"][0]["spread"] == pytest.approx(20.0)
    code, out, _ = cli("sensitivity", str(tmp_path), "--format", "csv")
    assert out.splitlines()[1] == "m,MNOK,30,20,10,?,?,20"
    code, out, _ = cli("sensitivity", str(tmp_path))
    assert code == 0 and max(len(x) for x in out.splitlines()) <= 80


def test_sensitivity_names_a_typo(tmp_path):
    write(tmp_path, RULES, ROWS)
    code, _, err = cli("sensitivity", str(tmp_path), "--without", "Bb")
    assert code == 2 and "did you mean `B`?" in err
