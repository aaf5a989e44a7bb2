"""Laws of the evaluator over generated panels, and robustness against any input."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from benchdsl.parse import parse
from benchdsl.pipeline import check_paths, run_paths

from benchdsl.published import compare, round_half_up, tolerance
from benchdsl import ir

from conftest import slow
from helpers import cli
from strategies import (PANEL_DAMAGE, panel_text, peer_panels, rule_like_text, tables_of_measures,
                        unit_cost_rules, values)


def _run(tmp_path, rules, panel):
    (tmp_path / "r.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "panel.csv").write_text(panel, encoding="utf-8")
    r = run_paths([str(tmp_path / "r.bench")])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    return r


def _saving(r, scenario):
    return r.evaluator.measure("m", scenario).raw


@given(costs=peer_panels(), volume=values, k=st.integers(1, 2))
def test_kth_best_is_the_kth_of_the_sorted_peers_and_the_mean_ignores_own(tmp_path_factory, costs, volume, k):
    tmp = tmp_path_factory.mktemp("p")
    group = list(costs)
    own = group[0]
    r = _run(tmp, unit_cost_rules(group, own, k), panel_text(costs, volume, own))
    others = sorted(v for m, v in costs.items() if m != own)
    assert _saving(r, "kth") == pytest.approx((costs[own] - others[k - 1]) * volume / 1e6)
    assert _saving(r, "mean_others") == pytest.approx((costs[own] - math.fsum(others) / len(others)) * volume / 1e6)
    # no saving exactly when the own value is at or better than the basis
    fig = r.evaluator.measure("m", "kth")
    assert (fig.value is None) == (costs[own] <= others[k - 1])


@given(costs=peer_panels(), volume=values, factor=st.floats(0.01, 100))
def test_savings_scale_linearly_with_the_volume(tmp_path_factory, costs, volume, factor):
    group = list(costs)
    a = _run(tmp_path_factory.mktemp("a"), unit_cost_rules(group, group[0], 1), panel_text(costs, volume, group[0]))
    b = _run(tmp_path_factory.mktemp("b"), unit_cost_rules(group, group[0], 1),
             panel_text(costs, volume * factor, group[0]))
    assert _saving(b, "mean_others") == pytest.approx(_saving(a, "mean_others") * factor, rel=1e-9, abs=1e-12)


@given(costs=peer_panels(), volume=values,
       unit=st.sampled_from([("NOK/user", 1.0), ("kNOK/user", 1e-3), ("MNOK/user", 1e-6), ("NOK/kuser", 1e3)]))
def test_the_same_data_in_other_units_gives_the_same_result(tmp_path_factory, costs, volume, unit):
    text, scale = unit
    group = list(costs)
    rules = unit_cost_rules(group, group[0], 1).replace("kuser", "user")
    base = _run(tmp_path_factory.mktemp("a"), rules, panel_text(costs, volume, group[0]))
    panel = panel_text(costs, volume, group[0], unit=text.replace("kuser", "(1000 user)"), scale=scale)
    other = _run(tmp_path_factory.mktemp("b"), rules, panel)
    assert _saving(other, "kth") == pytest.approx(_saving(base, "kth"), rel=1e-9, abs=1e-9)


@given(costs=peer_panels(), volume=values, seed=st.randoms(use_true_random=False))
def test_permuting_the_peers_changes_nothing(tmp_path_factory, costs, volume, seed):
    group = list(costs)
    own = group[0]
    shuffled = group[:]
    seed.shuffle(shuffled)
    a = _run(tmp_path_factory.mktemp("a"), unit_cost_rules(group, own, 2), panel_text(costs, volume, own))
    b = _run(tmp_path_factory.mktemp("b"), unit_cost_rules(shuffled, own, 2),
             panel_text(dict(sorted(costs.items(), key=lambda kv: shuffled.index(kv[0]))), volume, own))
    for s in ("mean_others", "kth"):
        assert _saving(a, s) == pytest.approx(_saving(b, s), rel=1e-12)


@given(text=rule_like_text)
def test_any_text_parses_to_declarations_or_located_errors(text):
    f, diags = parse(text, "x.bench")
    for d in diags:
        assert d.span is not None and d.span.line >= 1 and d.span.column >= 1


@given(text=st.text(max_size=300))
def test_check_never_raises_on_arbitrary_text(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("t") / "x.bench"
    p.write_text(text, encoding="utf-8")
    r = check_paths([str(p)])
    assert all(d.message for d in r.diags)


RULE_FILES = sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.bench"))


@st.composite
def mutated_rules(draw):
    """The real rule files with a few lines deleted, duplicated, swapped or garbled."""
    files = {p.name: p.read_text(encoding="utf-8").splitlines() for p in RULE_FILES}
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(files)))
        lines = files[name]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "garble", "number"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "garble":
            k = draw(st.integers(0, max(0, len(lines[i]) - 1)))
            lines[i] = lines[i][:k] + draw(st.sampled_from(["{", "}", "(", "=", ":", "#", "\\", "ø", "é", "-"])) + lines[i][k + 1:]
        else:
            lines[i] = re.sub(r"\d+(\.\d+)?", draw(st.sampled_from(
                ["0", "1e308", "1e309", "-1", "99999999", "2024.7", "１2", "2." + "0" * 310])), lines[i], count=1)
    return {name: "\n".join(lines) + "\n" for name, lines in files.items()}


@slow()
@given(files=mutated_rules())
def test_mutated_rules_give_located_diagnostics_never_an_exception(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("m")
    (root / "rules").mkdir()
    shutil.copytree(RULE_FILES[0].parent.parent / "data", root / "data")
    for name, text in files.items():
        (root / "rules" / name).write_text(text, encoding="utf-8")
    r = _never_raises(run_paths, [str(root / "rules")])
    for d in r.diags:
        assert d.message
        if d.is_error and d.span is not None:
            assert d.span.line >= 1 and d.span.column >= 1
    assert r.audit is not None or not r.ok  # no audit only after reported errors


@given(costs=peer_panels(), volume=values, gap=st.floats(1.0, 1e5), factor=st.floats(0.1, 10))
def test_savings_scale_linearly_with_the_gap_and_the_mean_ignores_the_own_value(
        tmp_path_factory, costs, volume, gap, factor):
    group = list(costs)
    own = group[0]
    mean = math.fsum(v for m, v in costs.items() if m != own) / (len(costs) - 1)
    a = _run(tmp_path_factory.mktemp("a"), unit_cost_rules(group, own, 1),
             panel_text({**costs, own: mean + gap}, volume, own))
    b = _run(tmp_path_factory.mktemp("b"), unit_cost_rules(group, own, 1),
             panel_text({**costs, own: mean + gap * factor}, volume, own))
    assert _saving(b, "mean_others") == pytest.approx(_saving(a, "mean_others") * factor, rel=1e-6)
    # the basis is the same whatever the own value is
    basis_a = mean + gap - _saving(a, "mean_others") * 1e6 / volume
    basis_b = mean + gap * factor - _saving(b, "mean_others") * 1e6 / volume
    assert basis_a == pytest.approx(basis_b, rel=1e-6, abs=1e-6)


@given(case=tables_of_measures())
def test_a_total_is_the_sum_of_its_parts_as_shown(tmp_path_factory, case):
    rules, panel = case
    r = _run(tmp_path_factory.mktemp("t"), rules, panel)
    items = {i.name: i for i in r.audit.items}
    for col in ("mean", "kth"):
        parts = [i for n, i in items.items() if n.endswith("." + col) and n.startswith("T.m")]
        # each row as the table shows it: at its measure's `round`
        rounds = {m.name: m.round for m in r.program.measures.values()}
        rows = {row.name: row.source for row in r.program.tables["T"].rows}
        shown = [round_half_up(i.computed, rounds[rows[i.row]]) for i in parts if i.computed is not None]
        total = items[f"T.total.{col}"].computed
        assert (total is None) == (not shown)
        if shown:
            assert total == pytest.approx(math.fsum(shown), abs=1e-9)


@given(case=tables_of_measures(), seed=st.randoms(use_true_random=False), files=st.integers(1, 4))
def test_the_order_of_declarations_and_files_changes_nothing(tmp_path_factory, case, seed, files):
    rules, panel = case
    a = _run(tmp_path_factory.mktemp("a"), rules, panel)
    chunks = re.split(r"\n(?=(?:municipality|group|own|panel|basis|indicator|measure|table) )", rules)
    seed.shuffle(chunks)
    root = tmp_path_factory.mktemp("b")
    (root / "panel.csv").write_text(panel, encoding="utf-8")
    for i in range(files):
        (root / f"f{i}.bench").write_text("\n".join(chunks[i::files]) + "\n", encoding="utf-8")
    b = run_paths([str(root)])
    assert b.ok, [d.message for d in b.diags if d.is_error]
    assert [(i.name, i.computed, i.status) for i in a.audit.items] == [
        (i.name, i.computed, i.status) for i in b.audit.items]


@given(value=st.floats(-1e6, 1e6), decimals=st.integers(0, 4), inside=st.floats(0, 0.999), outside=st.floats(1.001, 10))
def test_the_tolerance_is_symmetric_and_follows_the_published_precision(value, decimals, inside, outside):
    pub = ir.PubValue("number", round(value, decimals), None, decimals)
    below, above = tolerance(pub)
    assert below == above == 0.5 * 10 ** -decimals
    for sign in (1, -1):
        assert compare(pub.value + sign * below * inside, None, pub, decimals)[0]
        assert not compare(pub.value + sign * below * outside, None, pub, decimals)[0]


def _never_raises(fn, *args):
    """fn(*args), failing the test with the exception if one escapes: bad input is a diagnostic, never an exception.

    (In-process, an exception reaches the test rather than stderr, so looking for
    "Traceback" in the captured stderr could never fail; tests/test_limits.py drives
    the CLI as a subprocess for the inputs that did crash.)
    """
    try:
        return fn(*args)
    except Exception as exc:  # any exception at all is the bug this looks for
        pytest.fail(f"{getattr(fn, '__name__', fn)}{args!r} raised {exc!r}")


@given(data=st.binary(max_size=400))
def test_random_bytes_as_rules_never_crash_the_cli(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("b")
    (root / "x.bench").write_bytes(data)
    for command in ("check", "run"):
        code, out, err = _never_raises(cli, command, str(root))
        assert code in (0, 1, 2)
        assert code != 2 or "error: " in err  # unusable input is said to be unusable


PANEL = Path(__file__).resolve().parent.parent / "data" / "trondheim2007.csv"


@slow()
@given(damage=st.lists(st.tuples(st.integers(1, 246), PANEL_DAMAGE), min_size=1, max_size=4),
       duplicate=st.booleans())
def test_damaged_panels_give_located_errors_never_an_exception(tmp_path_factory, damage, duplicate):
    import csv
    import io

    root = tmp_path_factory.mktemp("d")
    shutil.copytree(RULE_FILES[0].parent, root / "rules")
    (root / "data").mkdir()
    rows = list(csv.reader(io.StringIO(PANEL.read_text(encoding="utf-8"))))
    for line, hurt in damage:
        if len(rows[line]) >= 5:  # a line already cut short is damaged enough
            rows[line] = hurt(rows[line])
    if duplicate:
        rows.append(rows[damage[0][0]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (root / "data" / "trondheim2007.csv").write_text(out.getvalue(), encoding="utf-8")
    code, stdout, err = _never_raises(cli, "run", str(root / "rules"))
    assert code in (0, 1, 2)
    for line in err.splitlines():
        if ": error: " in line or line.startswith("error: "):
            assert re.match(r"^\S+:\d+:\d+: error: ", line), line
