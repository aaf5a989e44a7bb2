"""Columns against a reference: whatever the panel, `bind` gives what binding one `Obs` at a time
gives, and `batch.matrices` what reading the mapping value by value gives; grids and sparse dicts alike."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings, strategies as st

from benchdsl import batch, data, ir

PROGRAM = ir.Program(
    municipalities={"Trondheim": "1601", "Bergen": "1201", "A": "0001"}, groups={}, own="Trondheim", year=2007,
    own_span=None, panels=(),
    indicators={"cost": ir.Indicator("cost", "cost", "NOK/user", "lower", "cost", None, ()),
                "cost_k": ir.Indicator("cost_k", "cost_k", "kNOK/user", "lower", "cost", None, ()),
                "users": ir.Indicator("users", "users", "user", None, "users", None, ())},
    scenarios={}, measures={}, tables={}, claims=(), known={},
)
FACTOR = {("NOK/user", "NOK/user"): 1.0, ("kNOK/user", "NOK/user"): 1000.0, ("NOK/user", "kNOK/user"): 0.001,
          ("kNOK/user", "kNOK/user"): 1.0, ("user", "user"): 1.0}
CELLS = ["Trondheim", "1601", "5001 Trondheim - Tråante", "Bergen", "4601", "0001", "A", "Steinkjer", "5006"]
lines = st.tuples(st.sampled_from(["cost", "users"]), st.sampled_from(CELLS),
                  st.sampled_from([2004, 2007, 2019, 2024, 1950]),
                  st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["..", ":", "12.5"])))


def _text(rows) -> str:
    unit = {"cost": "kNOK/user", "users": "user"}
    return "variable,municipality,year,value,unit\n" + "".join(
        f"{v},{m},{y},{x},{unit[v]}\n" for v, m, y, x in rows)


def _reference(panel) -> dict:
    """Binding one Obs at a time, as bind did before columns."""
    out = {}
    for o in panel:
        for ind in PROGRAM.indicators.values():
            if ind.source != o.variable:
                continue
            key = (ind.name, o.municipality, o.year)
            out[key] = ("gap", o.missing) if o.value is None else ("value", o.value * FACTOR[(o.unit, ind.unit)])
    return out


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(lines, max_size=25), slack=st.sampled_from([data.GRID_SLACK, -10**9]))
def test_bind_gives_what_binding_one_observation_at_a_time_gives(rows, slack):
    old, data.GRID_SLACK = data.GRID_SLACK, slack  # -10**9: no grid, a sparse dict for every indicator
    try:
        panel, diags = data.parse_panel(_text(rows), "p.csv", PROGRAM)
        assert not any(d.is_error and "given twice" not in d.message for d in diags)
        values, bind_diags = data.bind(panel, PROGRAM)
    finally:
        data.GRID_SLACK = old
    assert bind_diags == []
    got = {k: ("gap", v.missing) if isinstance(v, data.Obs) else ("value", v.value) for k, v in values.items()}
    expected = _reference(panel)
    assert got.keys() == expected.keys() and len(values) == len(expected)
    for k, (kind, x) in expected.items():
        assert got[k][0] == kind and (got[k][1] == x if kind == "gap" else math.isclose(got[k][1], x, rel_tol=1e-12))
    names = [n for n in PROGRAM.indicators]
    fast, slow = batch.matrices(values, names), batch.matrices(dict(values.items()), names)
    assert fast[:2] == slow[:2]
    for n in names:
        assert np.array_equal(fast[2][n], slow[2][n], equal_nan=True)
