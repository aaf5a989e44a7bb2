"""Every shape of measure in the report's section 2, computed from data and
compared with a value computed by hand."""

import pytest

from helpers import COST_USERS, messages, run


def figure(result, measure, scenario):
    return result.evaluator.measure(measure, scenario)


def item(result, name):
    return next(i for i in result.audit.items if i.name == name)


COST = COST_USERS
COST_ROWS = [
    ("cost", "A", 2007, 110), ("cost", "B", 2007, 90), ("cost", "C", 2007, 100), ("cost", "D", 2007, 120),
    ("cost", "A", 2004, 95), ("users", "A", 2007, 2000),
]


def test_unit_cost_gap_times_volume(tmp_path):
    r = run(tmp_path, COST + """
measure m {
    saving = gap(cost) * users
    unit MNOK
    round 1
}
""", COST_ROWS)
    assert r.ok, messages(r)
    # mean of B, C, D = 103.333...; (110 - 103.333) * 2000 users = 13 333 NOK
    assert figure(r, "m", "mean_others").value == pytest.approx((110 - 310 / 3) * 2000 / 1e6)
    # 2nd best (lowest) of B, C, D is C = 100
    assert figure(r, "m", "second").value == pytest.approx(10 * 2000 / 1e6)
    # a named peer, and the own value in another year
    assert figure(r, "m", "peer_c").value == pytest.approx(10 * 2000 / 1e6)
    assert figure(r, "m", "y2004").value == pytest.approx(15 * 2000 / 1e6)


def test_no_saving_when_the_basis_is_not_better(tmp_path):
    rows = [x for x in COST_ROWS if x[:2] != ("cost", "A")] + [("cost", "A", 2007, 80), ("cost", "A", 2004, 95)]
    r = run(tmp_path, COST + """
measure m {
    saving = gap(cost) * users
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    column best "2nd" = second
    row "m" = m: -, -
}
""", rows)
    assert r.ok, messages(r)
    assert figure(r, "m", "mean_others").value is None
    assert figure(r, "m", "mean_others").raw < 0
    assert [i.status for i in r.audit.items] == ["ok", "ok"]


def test_fee_gap_with_derived_indicator_and_monthly_increase(tmp_path):
    rules = """
indicator gross { 
    unit NOK/user
    source "gross"
}
indicator net {
    unit NOK/user
    source "net"
}
indicator fee {
    unit NOK/user
    better higher
    = gross - net
}
indicator users {
    unit user
    source "users"
}
measure m {
    let per_month = gap(fee) / (12 month)
    saving = gap(fee) * users
    unit MNOK
    claim monthly "monthly" under mean_others: per_month = 100 NOK/user/month
}
"""
    rows = [("gross", m, 2007, 10000) for m in "ABCD"] + [
        ("net", "A", 2007, 5000), ("net", "B", 2007, 3800), ("net", "C", 2007, 3800), ("net", "D", 2007, 3800),
        ("users", "A", 2007, 1000)]
    r = run(tmp_path, rules, rows)
    assert r.ok, messages(r)
    # fee A = 5000, others 6200: gap 1200 NOK/user a year, 100 a month
    assert figure(r, "m", "mean_others").value == pytest.approx(1.2)
    assert item(r, "m.monthly").status == "ok"
    assert item(r, "m.monthly").computed == pytest.approx(100)


def test_coverage_gap_times_population_times_cost(tmp_path):
    rules = """
indicator pupils {
    unit pupil
    source "pupils"
}
indicator population {
    unit inhabitant
    source "pop"
}
indicator coverage {
    unit pupil/inhabitant
    better lower
    = pupils / population
}
indicator cost {
    unit NOK/pupil
    source "cost"
}
measure m {
    saving = gap(coverage) * population * cost
    unit MNOK
    claim own "own coverage": coverage = 12 %
}
"""
    rows = [("pupils", "A", 2007, 1200), ("pop", "A", 2007, 10000), ("cost", "A", 2007, 15000),
            ("pupils", "B", 2007, 900), ("pop", "B", 2007, 10000),
            ("pupils", "C", 2007, 1000), ("pop", "C", 2007, 10000),
            ("pupils", "D", 2007, 1100), ("pop", "D", 2007, 10000)]
    r = run(tmp_path, rules, rows)
    assert r.ok, messages(r)
    # 12 % vs a mean of 10 %: 200 pupils × 15 000 NOK
    assert figure(r, "m", "mean_others").value == pytest.approx(3.0)
    assert item(r, "m.own").status == "ok"


def test_relative_gap_times_elasticity_times_cost_base(tmp_path):
    rules = """
indicator size {
    unit pupil/teaching_group
    better higher
    source "size"
}
indicator wages {
    unit kNOK
    source "wages"
}
measure m {
    let gap = basis(size) / size - 1
    let elasticity = 3 % / (3.5 %)
    saving = gap * elasticity * wages
    unit MNOK
}
"""
    rows = [("size", "A", 2007, 14.0), ("size", "B", 2007, 15.0), ("size", "C", 2007, 14.5),
            ("size", "D", 2007, 16.0), ("wages", "A", 2007, 1_000_000)]
    r = run(tmp_path, rules, rows)
    assert r.ok, messages(r)
    # 2nd highest of B, C, D is 15.0: gap 1/14, × 6/7 × 1 000 MNOK
    assert figure(r, "m", "second").value == pytest.approx((15 / 14 - 1) * (3 / 3.5) * 1000)


def test_explicit_volume_adjustment_flows_into_derived_unit_cost(tmp_path):
    rules = """
indicator spend {
    unit kNOK
    source "spend"
}
indicator children {
    unit child
    source "children"
}
indicator cost {
    unit NOK/child
    better lower
    = spend / children
}
measure m {
    adjust children by 100 child because "KOSTRA undercounts"
    saving = gap(cost) * children
    unit MNOK
}
"""
    rows = [("spend", "A", 2007, 40_000), ("children", "A", 2007, 300)] + [
        (v, m, 2007, x) for m in "BCD" for v, x in (("spend", 20_000), ("children", 400))]
    r = run(tmp_path, rules, rows)
    assert r.ok, messages(r)
    # adjusted: 40 MNOK over 400 children = 100 000 per child; the others 50 000
    assert figure(r, "m", "mean_others").value == pytest.approx((100_000 - 50_000) * 400 / 1e6)
    # the adjustment belongs to the measure: B, C and D are not adjusted
    assert r.evaluator.measure("m", "peer_c").value == pytest.approx(20.0)


def test_literal_basis_and_explicit_basis_per_sub_indicator(tmp_path):
    r = run(tmp_path, COST + """
measure m {
    saving = (cost - basis(cost, 100 NOK/user)) * users + (cost - basis(cost, B)) * users
    unit MNOK
}
""", COST_ROWS)
    assert r.ok, messages(r)
    assert figure(r, "m", "mean_others").value == pytest.approx((10 + 20) * 2000 / 1e6)


def test_claims_check_named_peers_and_stated_inputs(tmp_path):
    r = run(tmp_path, COST + """
measure m {
    saving = gap(cost) * users
    unit MNOK
    claim who "2nd best is C" under second: peer(cost) = C
    claim gap "10 % above" under second: cost / basis(cost) - 1 = 10 %
    claim wrong "2nd best is B" under second: peer(cost) = B
}
""", COST_ROWS)
    assert r.ok, messages(r)
    assert item(r, "m.who").status == "ok"
    assert item(r, "m.gap").status == "ok"
    assert item(r, "m.wrong").status == "mismatch"
    assert r.audit.failed
