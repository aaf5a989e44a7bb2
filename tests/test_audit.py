"""Tolerances follow the published precision and qualifiers; statuses mean what docs/audit.md says."""

import math

import pytest

from benchdsl import ir
from benchdsl.published import compare, round_half_up, tolerance
from benchdsl.report.text import note_text

from helpers import COST_USERS, run


def pub(value, decimals=1, qualifier=None, tol=None):
    return ir.PubValue("number", value, None, decimals, qualifier, tol)


@pytest.mark.parametrize("value, ok", [(29.65, True), (29.75, True), (29.6499, False), (29.7501, False)])
def test_exact_value_is_plus_minus_half_a_unit_of_the_last_decimal(value, ok):
    assert compare(value, None, pub(29.7), 1)[0] is ok


def test_qualifiers():
    assert compare(56.2, None, pub(57, 0, "nearly"), 0)[0]  # "nærmere 57"
    assert not compare(57.6, None, pub(57, 0, "nearly"), 0)[0]
    assert compare(131.9, None, pub(130, 0, "over"), 0)[0]  # "vel 130"
    assert not compare(128.0, None, pub(130, 0, "over"), 0)[0]
    assert compare(278.6, None, pub(275, 0, "about"), 0)[0]  # "om lag 275": within 5 %
    assert not compare(300.0, None, pub(275, 0, "about"), 0)[0]
    assert compare(55.3, None, pub(50, 0, "above"), 0)[0] and not compare(49.0, None, pub(50, 0, "above"), 0)[0]
    assert compare(0.3, None, pub(0, 1, "about", 0.5), 1)[0]


@pytest.mark.parametrize("qualifier", ["about", "over", "nearly"])
def test_a_qualifier_never_accepts_less_than_the_printed_precision(qualifier):
    # "om lag 2": 5 % of 2 is 0.1, but a report that prints "2" has rounded to whole units,
    # so anything from 1.5 to 2.5 reads as 2: the tolerance is at least half a unit either side.
    below, above = tolerance(pub(2, 0, qualifier))
    assert below >= 0.5 and above >= 0.5
    assert compare(1.5, None, pub(2, 0, qualifier), 0)[0] and compare(2.49, None, pub(2, 0, qualifier), 0)[0]
    assert not compare(2.6, None, pub(2, 0, "nearly"), 0)[0]  # "nærmere 2" is not 2.6


def test_ranges_dashes_and_names():
    rng = ir.PubValue("range", 240, 255, 0)
    assert compare(255.4, None, rng, 0)[0] and not compare(256.0, None, rng, 0)[0]
    dash = ir.PubValue("none")
    assert compare(None, None, dash, 1)[0]
    assert compare(0.04, None, dash, 1)[0]  # prints as 0.0, which a table shows as a dash
    assert not compare(0.06, None, dash, 1)[0]
    name = ir.PubValue("name", name="Bergen")
    assert compare(None, "Bergen", name, 0)[0] and not compare(None, "Oslo", name, 0)[0]


def test_tolerance_is_symmetric_for_exact_values_and_scales_with_precision():
    for decimals in range(4):
        below, above = tolerance(pub(1.0, decimals))
        assert below == above == pytest.approx(0.5 * 10 ** -decimals)


def test_round_half_up_rounds_as_a_report_does():
    assert round_half_up(0.05, 1) == 0.1
    assert round_half_up(0.25, 1) == 0.3  # round() gives 0.2 (halves to even)
    assert round_half_up(2.675, 2) == 2.68  # round() gives 2.67 (binary representation)
    assert round_half_up(-0.25, 1) == -0.3
    assert math.isclose(round_half_up(28.449, 1), 28.4)


RULES = COST_USERS + """
measure a {
    saving = gap(cost) * users
    unit MNOK
}
measure b {
    saving = gap(cost) * users * 2
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    row "a" = a: 1.0
    row "b" = b: 9.9
    total: 10.9
}
claim both "a and b": T.a.mean + T.b.mean = 10.9
"""
ROWS = [("cost", "A", 2007, 110), ("cost", "B", 2007, 100), ("cost", "C", 2007, 100), ("cost", "D", 2007, 100),
        ("users", "A", 2007, 100_000)]


def statuses(result):
    return {i.name: i.status for i in result.audit.items}


def test_a_mismatch_fails_the_run_and_its_consequences_are_not_blamed_on_a_declaration(tmp_path):
    r = run(tmp_path, RULES, ROWS)
    # a = 1.0 (ok), b = 2.0 but published 9.9
    assert statuses(r) == {"T.a.mean": "ok", "T.b.mean": "mismatch", "T.total.mean": "mismatch", "both": "mismatch"}
    assert r.audit.failed


def test_known_inconsistency_and_what_follows_from_it(tmp_path):
    r = run(tmp_path, RULES + 'known T.b.mean: "the report doubled it twice"\n', ROWS)
    assert statuses(r) == {"T.a.mean": "ok", "T.b.mean": "known", "T.total.mean": "follows", "both": "follows"}
    assert not r.audit.failed
    total = next(i for i in r.audit.items if i.name == "T.total.mean")
    assert total.computed == pytest.approx(3.0) and total.delta == pytest.approx(-7.9)
    assert total.causes == ("T.b.mean",)
    assert r.audit.summary() == "1 of 4 published figures reproduced; 1 report inconsistency"
    assert r.audit.breakdown() == "2 follow from a report inconsistency"


def test_a_declared_inconsistency_that_is_reproduced_is_reported(tmp_path):
    r = run(tmp_path, RULES + 'known T.a.mean: "no reason"\n', ROWS)
    assert any("is declared a known inconsistency, but it is reproduced" in d.message for d in r.diags)


def test_totals_add_the_rows_as_the_table_shows_them(tmp_path):
    rules = RULES.replace("gap(cost) * users * 2", "gap(cost) * users * 1.04")
    rows = [r for r in ROWS if r[0] != "users"] + [("users", "A", 2007, 104_500)]
    r = run(tmp_path, rules, rows)
    # a = 1.045 -> 1.0 shown (half-up: 1.045 is stored as 1.04499..), b = 1.0868 -> 1.1 shown; total of shown = 2.1
    total = next(i for i in r.audit.items if i.name == "T.total.mean")
    shown = [round_half_up(i.computed, 1) for i in r.audit.items if i.name in ("T.a.mean", "T.b.mean")]
    assert total.computed == pytest.approx(sum(shown))


def test_rounding_huge_values_and_absurd_decimals_do_not_crash(tmp_path):
    assert round_half_up(1.7e308, 1) == 1.7e308
    assert round_half_up(float("inf"), 1) == float("inf")
    r = run(tmp_path, RULES.replace("saving = gap(cost) * users\n", "saving = gap(cost) * users\n    round 1e308\n", 1), ROWS)
    assert [d.message for d in r.diags if d.is_error] == ["`round` must be a whole number from 0 to 10, not 1e308"]


def test_rows_without_published_values_are_computed_but_not_audited(tmp_path):
    rules = RULES.replace('row "b" = b: 9.9', 'row "b" = b').replace("total: 10.9", "total").replace(
        "claim both", "# claim both")
    r = run(tmp_path, rules, ROWS)
    assert statuses(r) == {"T.a.mean": "ok"}
    assert r.audit.cells[("T", "b", "mean")] == pytest.approx(2.0)
    assert r.audit.cells[("T", "total", "mean")] == pytest.approx(3.0)


def test_values_too_large_to_add_are_a_located_error_not_a_crash(tmp_path):
    rows = [r for r in ROWS if r[1] not in ("B", "C")] + [("cost", "B", 2007, 1e308), ("cost", "C", 2007, 1e308)]
    r = run(tmp_path, RULES, rows)
    assert "the result is not a finite number" in " ".join(i.note for i in r.audit.items if i.status == "error")


def test_reconcile_solves_for_the_input_that_reproduces_a_figure_and_names_what_it_breaks(tmp_path):
    r = run(tmp_path, RULES + 'known T.b.mean: "doubled twice" reconcile users A\n', ROWS)
    item = next(i for i in r.audit.items if i.name == "T.b.mean")
    # b = (110 - 100) x users x 2 = 9.9 MNOK when users = 495 000; a reads users too
    rec = item.reconciled
    assert (rec.indicator, rec.municipality, rec.year, rec.was) == ("users", "A", 2007, 100_000)
    assert rec.needed == pytest.approx(495_000) and rec.breaks == ("T.a.mean",)
    note = note_text(item)  # the audit gives data; the report says it
    assert "T.b.mean is reproduced if users for A 2007 is 495 000 user instead of 100 000." in note
    assert "That value breaks T.a.mean" in note


def test_reconcile_that_breaks_nothing_says_so(tmp_path):
    rules = RULES.replace("saving = gap(cost) * users * 2", "saving = gap(cost) * clients").replace(
        "measure a {", 'indicator clients {\n    unit user\n    source "clients"\n}\nmeasure a {')
    r = run(tmp_path, rules + 'known T.b.mean: "clients undercounted" reconcile clients A\n',
            ROWS + [("clients", "A", 2007, 100_000, "user")])
    item = next(i for i in r.audit.items if i.name == "T.b.mean")
    # b = 10 NOK/user x clients = 9.9 MNOK when clients = 990 000; nothing else reads clients
    assert item.reconciled.needed == pytest.approx(990_000) and item.reconciled.breaks == ()
    note = note_text(item)
    assert "reproduced if clients for A 2007 is 990 000 user instead of 100 000." in note
    assert "No other published figure changes." in note


def test_statuses_and_kinds_are_enums_that_print_as_the_reports_always_did():
    import csv
    import io
    import json

    from benchdsl.audit import ItemKind, Status

    assert [s.value for s in Status] == ["ok", "mismatch", "known", "follows", "error"]  # docs/audit.md's order
    assert json.dumps({Status.KNOWN: [ItemKind.CELL, ir.RowKind.TOTAL, ir.Form.RANGE]}) == \
        '{"known": ["cell", "total", "range"]}'
    buf = io.StringIO()
    csv.writer(buf).writerow([ItemKind.CLAIM, Status.FOLLOWS])
    assert buf.getvalue() == "claim,follows\r\n" and f"{Status.ERROR}" == "error"
    # the text a checked program was built with reads as the kind
    assert ir.Row("r", "r", "section", None, ()).kind is ir.RowKind.SECTION


def test_a_mismatch_where_the_basis_left_out_a_member_says_so_once(tmp_path):
    """The second analyst's trial: a peer's value `..` made figures mismatch, and the audit spoke
    only of report inconsistencies; the missing-value warning was also printed twice."""
    from helpers import run_cli

    (tmp_path / "r.bench").write_text(
        "municipality A 9001\nmunicipality B 9002\nmunicipality C 9003\ngroup G = A, B, C\nown A 2024\n"
        'panel "p.csv"\nbasis mean_others "Snitt" = mean(G - own)\nindicator cost "Kostnad" {\n    unit NOK/user\n'
        '    better lower\n    source "cost"\n}\nclaim above "noe over" under mean_others: cost / basis(cost) - 1 = noe over\n',
        encoding="utf-8")
    # C not yet published: the mean of the others is B's 100 alone, 150 / 100 - 1 = 50 %, not "noe over"
    (tmp_path / "p.csv").write_text("variable,municipality,year,value,unit\ncost,A,2024,150,NOK/user\n"
                                    "cost,B,2024,100,NOK/user\ncost,C,2024,..,NOK/user\n", encoding="utf-8")
    p = run_cli(tmp_path, "run", "r.bench")
    assert p.returncode == 1
    assert "The basis left out C: no value in the panel." in " ".join(p.stdout.split())
    assert p.stderr.count("warning: `cost` for C 2024 is missing in the panel") == 1
