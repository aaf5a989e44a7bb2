"""Published-value forms behind one registry: each form's tolerance, comparison, text and JSON in one class.

Tolerances and comparisons themselves are pinned in test_audit.py; these pin what each form says about itself.
"""

from __future__ import annotations

import math

import pytest

from benchdsl import ast, ir, published


def number(value, decimals=1, qualifier=None, tol=None, text=""):
    return ir.PubValue("number", value, None, decimals, qualifier, tol, text=text)


def test_every_form_has_one_class_and_every_published_node_one_form():
    assert set(published.FORMS) == set(ir.Form)
    assert set(published.BY_NODE) == {node.__name__ for node in ast.Published.__args__}
    assert ir.PubValue("range", 1, 2).kind is ir.Form.RANGE  # the text of a form reads as the form


@pytest.mark.parametrize("pub, norwegian, shown", [
    (number(29.7), False, "29.7"),
    (number(29.7), True, "29,7"),
    (number(57, 0, "nearly"), False, "≲57"),  # "nærmere 57"
    (number(800, 0, "over"), False, "≳800"),  # "vel 800"
    (number(275, 0, "about"), False, "~275"),  # "om lag 275"
    (number(50, 0, "above"), False, ">50"),  # "mer enn 50"
    (number(5, 0, "below"), False, "<5"),
    (ir.PubValue("range", 240, 255, 0), False, "240–255"),
    (ir.PubValue("none"), False, "–"),
    (ir.PubValue("name", name="Bergen"), False, "Bergen"),
])
def test_each_form_prints_as_a_report_shows_it(pub, norwegian, shown):
    assert published.text(pub, norwegian) == shown


def test_what_a_pinned_cell_takes_and_what_reconcile_solves_for():
    # a `known` number pins its cell at the number, a dash at no saving; a range and a name are not pinned
    assert [f.pinnable for f in published.FORMS.values()] == [True, True, False, False, False]
    assert published.form(number(3.5)).pinned(number(3.5)) == 3.5
    assert published.form(ir.PubValue("none")).pinned(ir.PubValue("none")) is None
    # reconcile solves for the number, or the middle of a range: (240 + 255) / 2 = 247.5
    assert published.form(number(3.5)).target(number(3.5)) == 3.5
    rng = ir.PubValue("range", 240, 255, 0)
    assert published.form(rng).target(rng) == 247.5
    assert published.form(ir.PubValue("none")).target(ir.PubValue("none")) is None


def test_the_accepted_interval_is_the_published_one_widened_by_the_tolerance():
    rng = ir.PubValue("range", 240, 255, 0)
    assert published.form(rng).accepted(rng) == (239.5, 255.5)  # half a unit of a whole number each side
    above = number(50, 0, "above")
    assert published.form(above).accepted(above) == (50, math.inf)
    assert published.form(ir.PubValue("none")).accepted(ir.PubValue("none")) is None


def test_json_fields_of_each_form():
    assert published.json_fields(number(50, 0, "above", text="mer enn 50")) == {
        "kind": "number", "text": "mer enn 50", "value": 50, "decimals": 0, "accept_below": 0.0,
        "accept_above": None, "accept_above_unbounded": True, "qualifier": "above"}
    assert published.json_fields(ir.PubValue("range", 240, 255, 0, text="240-255")) == {
        "kind": "range", "text": "240-255", "value": 240, "decimals": 0, "accept_below": 0.5, "accept_above": 0.5,
        "high": 255}
    assert published.json_fields(ir.PubValue("name", name="Bergen", text="Bergen")) == {
        "kind": "name", "text": "Bergen", "name": "Bergen"}
    assert published.json_fields(ir.PubValue("none", text="-")) == {"kind": "none", "text": "-"}
