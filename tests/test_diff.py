"""`benchdsl diff`: two runs side by side, figure by figure, with the inputs that changed under each.

The rule set: A is own; G = A, B, C, D; cost is NOK/user (lower is better), A has 1000 users.
    m = gap(cost) × users in kNOK, under each of the four bases of tests/helpers.HEADER
    n = gap(cost, mean(G - own)) × users: the same basis whatever the column
In March: cost A 120, B 100, C 110, D 90; A in 2004: 100.
    mean(G - own) = (100 + 110 + 90) / 3 = 100   -> gap 20 × 1000 users = 20 000 NOK = 20.0 kNOK
    best(2, G - own): D 90 #1, B 100 #2         -> 100 -> 20.0 kNOK
    C: 110 -> 10.0 kNOK;  year(2004): 100 -> 20.0 kNOK
In June D is revised to 60:
    mean = (100 + 110 + 60) / 3 = 90 -> gap 30 -> 30.0 kNOK (+10.0, +50 %)
    best(2): D 60 #1, B 100 #2 -> still 100 (it reads D, but its value does not change)
    C and year(2004) do not read D.
"""

from __future__ import annotations

import json
import os

import pytest

from benchdsl.diff import ADDED, CHANGED, NOT_COMPUTED, REMOVED, SAVING, UNCHANGED, Key, diff, run_of
from benchdsl.pipeline import run_paths
from clirun import assert_located_error, bench
from helpers import COST_USERS, HEADER, cli, panel, source_units

RULES = COST_USERS + """
measure m "M" {
    saving = gap(cost) * users
    unit kNOK
    round 1
    claim share "cost above the basis" under mean_others: cost / basis(cost) - 1 = 20 %
}
measure n "N" {
    saving = gap(cost, mean(G - own)) * users
    unit kNOK
    round 1
}
table T "T" {
    column mean "Mean" = mean_others
    column best "2nd best" = second
    row "m" = m: 20.0, 20.0
    row "n" = n: 20.0, 20.0
    total: 40.0, 40.0
}
"""
MARCH = [("cost", "A", 2007, 120), ("cost", "B", 2007, 100), ("cost", "C", 2007, 110), ("cost", "D", 2007, 90),
         ("cost", "A", 2004, 100), ("users", "A", 2007, 1000)]  # D is on line 5 (the header is line 1)
JUNE = [r if r[:2] != ("cost", "D") or r[2] != 2007 else ("cost", "D", 2007, 60) for r in MARCH]


def folder(path, rules=RULES, rows=MARCH):
    path.mkdir(parents=True, exist_ok=True)
    (path / "rules.bench").write_text(HEADER + rules, encoding="utf-8")
    (path / "panel.csv").write_text(panel(rows, source_units(rules)), encoding="utf-8")
    return path


def data(path, rows):
    path.write_text(panel(rows, source_units(RULES)), encoding="utf-8")
    return str(path)


def compare(old_rules, new_rules, old_panel=None, new_panel=None):
    runs = []
    for rules, p in ((old_rules, old_panel), (new_rules, new_panel)):
        r = run_paths([str(rules)], panels=[(p, None)] if p else None)
        assert r.audit is not None, [d.message for d in r.diags]
        runs.append((r, run_of([str(rules)], r, [p] if p else None)))
    (old, old_run), (new, new_run) = runs
    return diff(old, new, old_run, new_run)


def by_key(d):
    return {f.key: f for f in d.figures}


def test_a_revised_peer_value_changes_exactly_the_figures_that_read_it(tmp_path):
    rules = folder(tmp_path / "rules")
    d = compare(rules, rules, data(tmp_path / "march.csv", MARCH), data(tmp_path / "june.csv", JUNE))
    f = by_key(d)
    changed = {k for k, x in f.items() if x.change == CHANGED}
    assert changed == {Key("measure", "m", "mean_others"), Key("measure", "n"), Key("claim", "m.share"),
                       Key("cell", "T.m.mean"), Key("cell", "T.n.mean"), Key("cell", "T.n.best"),
                       Key("cell", "T.total.mean"), Key("cell", "T.total.best")}
    assert {k for k, x in f.items() if x.change == UNCHANGED} == {
        Key("measure", "m", "second"), Key("measure", "m", "peer_c"), Key("measure", "m", "y2004"),
        Key("cell", "T.m.best")}

    m = f[Key("measure", "m", "mean_others")]
    assert (m.old.value, m.new.value) == pytest.approx((20.0, 30.0))
    assert m.difference == pytest.approx(10.0) and m.relative == pytest.approx(0.5)
    assert m.old.status == m.new.status == SAVING
    [inp] = m.inputs  # cost A, B, C and users A are read too, unchanged
    assert (inp.indicator, inp.municipality, inp.year, inp.change) == ("cost", "D", 2007, CHANGED)
    assert (inp.old.value, inp.new.value) == (90.0, 60.0)
    assert inp.old.source == f"{tmp_path / 'march.csv'}:5" and inp.new.source == f"{tmp_path / 'june.csv'}:5"
    assert m.unchanged_inputs == 4
    [basis] = m.bases
    assert (basis.old_policy, basis.old_value, basis.new_value) == ("mean(G - own)", pytest.approx(100), pytest.approx(90))
    assert not (m.rules or basis.members_added or basis.members_removed or basis.ranks)

    # the totals add the rows: 20 + 20 -> 30 + 30 under the mean, 20 + 20 -> 20 + 30 under the 2nd best
    total = f[Key("cell", "T.total.best")]
    assert (total.old.value, total.new.value) == pytest.approx((40.0, 50.0))
    assert total.figures == (Key("cell", "T.n.best"),)
    assert (total.old.audit, total.new.audit) == ("ok", "mismatch")
    # the claim: 120 / 100 - 1 = 20 %  ->  120 / 90 - 1 = 33.33 %
    share = f[Key("claim", "m.share")]
    assert share.new.value == pytest.approx(100 / 3) and share.relative == pytest.approx(2 / 3)
    # largest relative change first: the claim (+66.7 %) before the savings (+50 %), the total under best (+25 %) last
    assert d.figures[0].key == Key("claim", "m.share")
    assert [x.key for x in d.figures if x.change == CHANGED][-1] == Key("cell", "T.total.best")


def test_the_text_names_the_input_with_both_values_and_both_lines(tmp_path):
    rules = folder(tmp_path / "rules")
    march, june = data(tmp_path / "march.csv", MARCH), data(tmp_path / "june.csv", JUNE)
    code, out, err = cli("diff", str(rules), "--old-panel", march, "--new-panel", june)
    assert code == 1, err
    assert "  m under mean_others: 20.0 → 30.0 kNOK  (+10.0, +50.0 %)" in out
    assert f"      cost D 2007: 90 → 60 NOK/user   {march}:5 → {june}:5" in out
    assert "    basis mean(G - own) of cost: 100 → 90 NOK/user" in out
    assert "  T.m.mean: 20.0 → 30.0 kNOK" in out and "    = m under mean_others, above" in out
    assert out.rstrip().endswith("8 figures changed, 4 unchanged (--all lists the unchanged ones)")
    assert "m under peer_c" not in out
    code, out, _ = cli("diff", str(rules), "--old-panel", march, "--new-panel", june, "--all")
    assert "  m under peer_c: 10.0 kNOK" in out


def test_a_changed_basis_in_the_rules_changes_that_measures_figures_not_its_inputs(tmp_path):
    old = folder(tmp_path / "old")
    new = folder(tmp_path / "new", RULES.replace("gap(cost, mean(G - own))", "gap(cost, best(1, G - own))"))
    d = compare(old, new)
    f = by_key(d)
    # n: the best of B 100, C 110, D 90 is D's 90 -> gap 30 -> 30.0 kNOK (was 20.0 against the mean 100)
    assert {k for k, x in f.items() if x.change == CHANGED} == {
        Key("measure", "n"), Key("cell", "T.n.mean"), Key("cell", "T.n.best"),
        Key("cell", "T.total.mean"), Key("cell", "T.total.best")}
    n = f[Key("measure", "n")]
    assert (n.old.value, n.new.value) == pytest.approx((20.0, 30.0))
    assert n.inputs == () and n.unchanged_inputs == 5  # the same cost A, B, C, D and users A, in another folder
    [b] = n.bases
    assert (b.indicator, b.old_policy, b.new_policy) == ("cost", "mean(G - own)", "best(1, G - own)")
    assert (b.old_value, b.new_value, b.old_peer, b.new_peer) == (pytest.approx(100), 90.0, None, "D")
    [rule] = n.rules
    assert (rule.what, rule.old, rule.new) == ("saving", "gap(cost, mean(G - own)) × users",
                                               "gap(cost, best(1, G - own)) × users")
    code, out, _ = cli("diff", str(old), str(new))
    assert code == 1
    assert "    no input changed (5 read)" in out
    assert "    basis of cost: mean(G - own) = 100 → best(1, G - own) = 90 NOK/user" in out


def test_a_value_gone_from_the_data_is_a_change_of_status(tmp_path):
    rules = folder(tmp_path / "rules")
    no_c = [r for r in MARCH if r[:2] != ("cost", "C")]
    d = compare(rules, rules, data(tmp_path / "march.csv", MARCH), data(tmp_path / "june.csv", no_c))
    f = by_key(d)
    peer = f[Key("measure", "m", "peer_c")]  # 10.0 against C's 110; C has no value in June
    assert (peer.old.status, peer.new.status) == (SAVING, NOT_COMPUTED) and peer.difference is None
    assert "no value of `cost` for C 2007" in peer.new.reason
    [inp] = peer.inputs
    assert (inp.municipality, inp.change, inp.no_value, inp.old.value, inp.new) == ("C", REMOVED, True, 110.0, None)
    assert d.figures[0].status_changed  # a change of status comes first
    # the mean without C: (100 + 90) / 2 = 95 -> gap 25 -> 25.0 kNOK; C is now left out, not a member lost
    mean = f[Key("measure", "m", "mean_others")]
    assert mean.new.value == pytest.approx(25.0)
    [b] = mean.bases
    assert b.new_left_out == ("C",) and b.members_removed == ()
    # the 2nd best is still B's 100: C read in March only, the figure unchanged
    assert f[Key("measure", "m", "second")].change == UNCHANGED


def test_figures_in_one_run_only_are_added_or_removed(tmp_path):
    old = folder(tmp_path / "old")
    extra = '\nmeasure p "P" {\n    saving = gap(cost, C) * users\n    unit kNOK\n    round 1\n}\n'
    new = folder(tmp_path / "new", RULES + extra)
    d = compare(old, new)
    f = by_key(d)
    assert f[Key("measure", "p")].change == ADDED and f[Key("measure", "p")].new.value == pytest.approx(10.0)
    assert d.count(CHANGED) == 0 and d.count(ADDED) == 1 and d.count(REMOVED) == 0
    assert "1 only in the new run" in d.summary()


def test_json_is_strict_and_csv_has_one_row_per_changed_figure(tmp_path):
    rules = folder(tmp_path / "rules")
    march, june = data(tmp_path / "march.csv", MARCH), data(tmp_path / "june.csv", JUNE)
    p = bench(tmp_path, "diff", str(rules), "--old-panel", march, "--new-panel", june, "--format", "json")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert doc["summary"] == {"text": "8 figures changed, 4 unchanged", "changed": 8, "added": 0, "removed": 0,
                              "unchanged": 4}
    m = next(x for x in doc["figures"] if x["kind"] == "measure" and x["name"] == "m")
    assert m["basis"] == "mean_others" and m["old"]["shown"] == 20.0 and m["new"]["shown"] == 30.0
    assert m["inputs"] == [{"indicator": "cost", "municipality": "D", "year": 2007, "change": "changed",
                            "no_value": False,
                            "old": {"value": 90.0, "unit": "NOK/user", "source": f"{march}:5", "provenance": "",
                                    "adjusted_by": 0.0},
                            "new": {"value": 60.0, "unit": "NOK/user", "source": f"{june}:5", "provenance": "",
                                    "adjusted_by": 0.0}}]
    assert len(doc["figures"]) == 8  # unchanged figures are counted, not listed
    code, out, _ = cli("diff", str(rules), "--old-panel", march, "--new-panel", june, "--format", "csv")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 1 + 8
    assert lines[0].startswith("kind,name,basis,change,old,new,unit,difference,relative")
    assert "measure,m,mean_others,changed,20.0,30.0,kNOK,10.0,0.5,saving,saving" in out


def test_identical_runs_exit_0(tmp_path):
    rules = folder(tmp_path / "rules")
    p = bench(tmp_path, "diff", str(rules), str(rules))
    assert p.returncode == 0, p.stderr
    assert "no figure changed (12 compared)" in p.stdout and "Traceback" not in p.stderr


def test_a_side_with_a_syntax_error_is_exit_2_with_the_located_error(tmp_path):
    old = folder(tmp_path / "old")
    new = folder(tmp_path / "new", RULES.replace("gap(cost) * users", "gap(cost) * * users"))
    p = bench(tmp_path, "diff", str(old), str(new))
    assert_located_error(p, "unexpected")
    assert f"{os.path.join(str(new), 'rules.bench')}:" in p.stderr and "in the new run" in p.stderr
    assert p.stdout == ""


def test_a_mapping_without_a_panel_is_a_usage_error(tmp_path):
    rules = folder(tmp_path / "rules")
    code, out, err = cli("diff", str(rules), "--mapping", str(tmp_path / "map.csv"))
    assert code == 2 and "no panel given" in err and out == ""
