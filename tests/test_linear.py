"""Checking, parsing and table computing grow in step with the size of the rules.

Tested by counting calls and reads, never by the clock (benchmarks/scale.py times them).
"""

from __future__ import annotations

import attrs

from benchdsl.audit import Tables

from test_diagnostics import AFTER, BRIEF, brief, errors


def test_checking_a_chain_does_each_step_once(tmp_path, monkeypatch):
    """Typing and depth are worked out once per let and derived indicator: calls grow by a constant per step."""
    from benchdsl.check.depth import Depth
    from benchdsl.check.exprs import Exprs

    calls = {"expr": 0, "cost": 0}
    expr, cost = Exprs.expr, Depth.cost

    def counted(name, fn):
        def wrapper(self, *args):
            calls[name] += 1
            return fn(self, *args)
        return wrapper

    monkeypatch.setattr(Exprs, "expr", counted("expr", expr))
    monkeypatch.setattr(Depth, "cost", counted("cost", cost))

    def count(n):
        calls.update(expr=0, cost=0)
        lets = "    let a0 = gap(c)\n" + "".join(f"    let a{i} = a{i - 1} + gap(c)\n" for i in range(1, n))
        inds = "".join(f"indicator d{i} {{\n    unit NOK\n    = {f'd{i - 1}' if i else 'c'} + 1 NOK\n}}\n"
                       for i in range(n))
        r = brief(tmp_path, inds + f"measure s {{\n{lets}    saving = a{n - 1} + d{n - 1}\n    unit NOK\n}}\n")
        assert errors(r) == []
        return calls["expr"], calls["cost"]

    ten, twenty, thirty = count(10), count(20), count(30)
    assert twenty[0] - ten[0] == thirty[0] - twenty[0] > 0  # linear (it was exponential: 2^n)
    assert twenty[1] - ten[1] == thirty[1] - twenty[1] > 0


def test_unit_arithmetic_is_done_once_per_unit_pair_however_many_measures(tmp_path, monkeypatch):
    from benchdsl import units

    calls = []
    factor = units.factor
    monkeypatch.setattr(units, "factor", lambda a, b: calls.append(1) or factor(a, b))

    def count(n):
        calls.clear()
        r = brief(tmp_path, "".join(f"measure s{i} {{\n    saving = gap(c) * 3\n    unit MNOK\n}}\n" for i in range(n)))
        assert errors(r) == []
        return len(calls)

    assert count(5) == count(50) > 0


def test_parsing_reads_the_text_once(tmp_path, monkeypatch):
    """Each declaration is parsed once, as it is, not preceded by a newline for every line before it."""
    from benchdsl import parse as parse_module

    real = parse_module.read
    seen = []

    def counting(text, *args):
        seen.append(len(text))
        return real(text, *args)

    monkeypatch.setattr(parse_module, "read", counting)
    text = BRIEF + "".join(f"measure s{i} {{\n    saving = gap(c)\n    unit NOK\n}}\n" for i in range(300))
    f, diags = parse_module.parse(text, "x.bench")
    assert diags == [] and len(f.decls) == 307
    assert sum(seen) == len(text)
    # One syntax error: its batch is read a second time, one declaration at a time; the rest once.
    seen.clear()
    broken = text.replace("measure s150 {\n    saving = gap(c)", "measure s150 {\n    saving = gap(c) *")
    f, diags = parse_module.parse(broken, "x.bench")
    assert [(d.span.line, d.message) for d in diags] == [
        (AFTER + 150 * 4 + 2, "unexpected end of line; expected `(`, `-`, a name or a number")]
    assert sum(seen) <= 2 * len(text)



class CountingRows(tuple):
    """A table's rows that count how often they are gone through."""

    walks = 0

    def __iter__(self):
        CountingRows.walks += 1
        return super().__iter__()


def test_a_table_goes_through_its_rows_a_fixed_number_of_times_however_long(tmp_path):
    # Each cell used to look its row up by going through all rows: n rows x 2 columns walks.
    def walks(n):
        rules = "".join(f"measure s{i} {{\n    saving = gap(c)\n    unit NOK\n}}\n" for i in range(n))
        rules += 'table T {\n    column a "a" = m\n    column b "b" = m\n'
        rules += "".join(f'    row "s{i}" = s{i}\n' for i in range(n)) + "    total\n}\n"
        r = brief(tmp_path, rules, run=True)
        assert r.ok, [d.message for d in errors(r)]
        t = r.program.tables["T"]
        program = attrs.evolve(r.program, tables={"T": attrs.evolve(t, rows=CountingRows(t.rows))})
        cells = Tables(program, r.evaluator, {})
        CountingRows.walks = 0
        for row in t.rows:
            for col in t.columns:
                cells("T", row.name, col.name)
        # every row saves gap(c) = 10 - 8 = 2 NOK; the total adds them as shown (1 decimal)
        assert cells("T", "total", "a") == 2.0 * n
        return CountingRows.walks

    assert walks(5) == walks(40) <= 4


def test_rounding_and_tolerance_take_any_number_of_decimals():
    # check allows 0 to 15 decimals; past that these must still answer, not raise OverflowError
    from benchdsl.published import half_unit, round_half_up

    assert round_half_up(1.25, 310) == 1.25  # more decimals than a float has: as it is
    assert round_half_up(0.05, 1) == 0.1  # half up, as a report rounds
    assert half_unit(1) == 0.05
    assert 0 < half_unit(310) < 1e-300
    assert half_unit(400) == half_unit(10**9) == 0.0  # below the smallest float
