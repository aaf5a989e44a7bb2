"""Data readers never raise: any text, bytes or JSON-ish structure gives observations and diagnostics.

Like jmespath's property "it succeeds or it raises our own error", except that the readers'
own errors are values: the only acceptable outcome is a (list, list) pair, every diagnostic
located in the file read (or the mapping).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import given, strategies as st

from benchdsl import data, ir, ssb

FIX = Path(__file__).parent / "fixtures" / "ssb"

PROGRAM = ir.Program(
    municipalities={"Trondheim": "1601", "Bergen": "1201"}, groups={}, own="Trondheim", year=2007, own_span=None,
    panels=(), indicators={"cost": ir.Indicator("cost", "cost", "NOK/user", "lower", "cost", None, ())},
    scenarios={}, measures={}, tables={}, claims=(), known={},
)
MAPPING, _ = ssb.read_mapping((FIX / "mapping.csv").read_text(encoding="utf-8"), "m.csv")
CODES_MAPPING, _ = ssb.read_mapping((FIX / "mapping_codes.csv").read_text(encoding="utf-8"), "m.csv")
JSONSTAT = json.loads((FIX / "jsonstat.json").read_text(encoding="utf-8"))

# Characters that matter to the readers: separators, quotes, line ends, digits of other
# scripts, SSB's symbols, signs, spaces of several kinds.
ALPHABET = st.sampled_from(list("0123456789,;.\"\n\r\t :-+eE_#ABCæøå ") + ["\u00a0", "\u2028", "\x85", "３", "\u2212",
                                                                         "..", "...", "inf", "nan", "1601 "])
csvish = st.lists(ALPHABET, max_size=120).map("".join)
anytext = st.one_of(st.text(max_size=200), csvish)

PANEL_HEADS = ["variable,municipality,year,value,unit\n", "variable;municipality;year;value;unit;note\n"]
STATBANK_HEADS = ['"region";"statistikkvariabel";"2006";"2007"\n', '"region";"statistikkvariabel";"år";"v"\n',
                  "region,statistikkvariabel,2006,2007\n"]


def _located(diags, *paths):
    for d in diags:
        assert d.span is None or d.span.path in paths, d
    return True


@given(text=st.one_of(anytext, st.tuples(st.sampled_from(PANEL_HEADS), csvish).map("".join)))
def test_parse_panel_never_raises(text):
    obs, diags = data.parse_panel(text, "p.csv", PROGRAM)
    assert _located(diags, "p.csv")
    for o in obs:  # a value is a finite number or an explained gap, never a silent zero for a gap
        assert (o.value is None) == (o.missing is not None)
        assert o.value is None or math.isfinite(o.value)
    values, bind_diags = data.bind(obs, PROGRAM)
    assert _located(bind_diags, "p.csv")


@given(raw=st.binary(max_size=200))
def test_decode_never_raises(raw):
    text, diags = data.decode(raw, "p.csv")
    assert (text is None) == bool(diags)


@given(text=st.one_of(anytext, st.tuples(st.sampled_from(["variable,unit,statistikkvariabel\n", "variable,unit\n"]),
                                         csvish).map("".join)))
def test_read_mapping_never_raises(text):
    rows, diags = ssb.read_mapping(text, "m.csv")
    assert _located(diags, "m.csv")
    assert all(r["match"] for r in rows)  # no line matches every series


@given(text=st.one_of(anytext, st.tuples(st.sampled_from(STATBANK_HEADS), csvish).map("".join)))
def test_read_statbank_csv_never_raises(text):
    obs, diags = ssb.read_statbank_csv(text, "s.csv", PROGRAM, MAPPING)
    assert _located(diags, "s.csv", "m.csv")
    assert all(o.value is None or math.isfinite(o.value) for o in obs)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**30), st.floats(allow_nan=False),
                         st.text(max_size=8), st.sampled_from(["..", ":", "2007", "1601", "Tid", "region"]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=5)), max_leaves=25)
KEYS = [("id",), ("size",), ("size", 0), ("dimension",), ("dimension", "Tid"), ("dimension", "Tid", "category"),
        ("dimension", "Tid", "category", "index"), ("dimension", "ContentsCode", "category", "label"),
        ("role",), ("role", "geo"), ("role", "time"), ("value",), ("value", 0), ("value", 7), ("status",),
        ("status", "4"), ("class",)]


@st.composite
def damaged_jsonstat(draw):
    """The fixture with one to three of its parts replaced by arbitrary JSON."""
    doc = json.loads(json.dumps(JSONSTAT))
    for _ in range(draw(st.integers(1, 3))):
        *parents, last = draw(st.sampled_from(KEYS))
        node = doc
        for key in parents:
            node = node[key] if isinstance(node, dict) and key in node else None
            if node is None:
                break
        if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
            if draw(st.booleans()) and isinstance(node, dict):
                node.pop(last, None)
            else:
                node[last] = draw(json_values)
    return json.dumps(doc)


@given(text=st.one_of(json_values.map(json.dumps), damaged_jsonstat(), anytext))
def test_read_jsonstat_never_raises(text):
    for mapping in (MAPPING, CODES_MAPPING):
        obs, diags = ssb.read_jsonstat(text, "j.json", PROGRAM, mapping)
        assert _located(diags, "j.json", "m.csv")
        assert all(o.value is None or math.isfinite(o.value) for o in obs)
        assert all((o.value is None) == (o.missing is not None) for o in obs)
