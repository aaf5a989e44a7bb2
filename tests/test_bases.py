"""Basis kinds behind one registry: the checker, the kernel, sensitivity and hover ask it, never switch on kinds."""

from __future__ import annotations

import pytest

from benchdsl import bases, ir, lexicon
from benchdsl.sensitivity import group_of

from helpers import COST_USERS, run
from test_diagnostics import check, errors


def test_every_ir_basis_node_has_one_kind_and_every_word_one_kind():
    assert set(bases.BY_NODE) == set(ir.Policy.__args__)
    assert len(bases.BY_NODE) == len(bases.KINDS)
    assert sorted(k.word for k in bases.KINDS if k.word) == sorted(lexicon.BASES)


def test_a_wrong_basis_lists_every_kind_as_the_rules_write_it(tmp_path):
    r = check(tmp_path, 'basis odd "Odd" = median(G)\n')
    assert [d.message for d in errors(r)] == [
        "not a comparison basis; expected mean(GROUP), wmean(GROUP, WEIGHT), needmean(GROUP, INDEX), best(K, GROUP), "
        "a municipality, year(YYYY) or a value"]


@pytest.mark.parametrize("text, usage", [("mean(G, G)", "mean(GROUP)"), ("best(G)", "best(K, GROUP)"),
                                         ("wmean(G)", "wmean(GROUP, WEIGHT)"), ("year()", "year(YYYY)")])
def test_wrong_arguments_show_how_the_kind_is_written(tmp_path, text, usage):
    r = check(tmp_path, f'basis odd "Odd" = {text}\n')
    (d,) = errors(r)
    assert d.message == f"wrong arguments to {text.split('(')[0]}()" and d.hint == usage


def test_each_kind_reads_its_own_arguments(tmp_path):
    r = check(tmp_path, 'basis a "A" = best(0, G)\nbasis b "B" = year(1800)\nbasis c "C" = wmean(G, Bergen)\n'
                        'basis d "D" = 5 NOK/user\n')
    assert [d.message for d in errors(r)] == [
        "K in best(K, GROUP) must be a whole number from 1 to 1000, not 0",
        "the year in year(YYYY) must be a whole number from 1900 to 2200, not 1800",
        "wmean(GROUP, WEIGHT) weighs by an indicator",
        "a literal basis belongs inside basis(INDICATOR, value); a `basis` declaration applies to many indicators"]


def test_the_sensitivity_group_is_the_first_basis_that_compares_with_a_group(tmp_path):
    # the bases in order: a year, a named peer, then mean(G - own): the group is G - own, without A
    rules = ('municipality A 0001\nmunicipality B 0002\ngroup G = A, B\nown A 2007\npanel "panel.csv"\n'
             'basis y "2004" = year(2004)\nbasis p "B" = B\nbasis m "Mean" = mean(G - own)\n' + COST_USERS
             + "measure s {\n    saving = gap(cost) * users\n    unit NOK\n}\n")
    r = run(tmp_path, rules, [("cost", "A", 2007, 10), ("users", "A", 2007, 1), ("cost", "B", 2007, 8)], header=False)
    group = group_of(r.program)
    assert group.text == "G - own" and group.members("A") == ("B",)


def test_made_bases_read_as_written_ones():
    g = ir.MemberSet(("A", "B"), text="G")
    assert bases.Best.make(2, g) == ir.Best(2, g, "best(2, G)")
    assert bases.Mean.make(g) == ir.Mean(g, "mean(G)")
    assert bases.WMean.make(g, "users") == ir.WMean(g, "users", "wmean(G, users)")
    assert bases.kind(ir.Best(2, g)).describe(ir.Best(2, g), "A") == "members for A (2): A, B"
    assert bases.kind(ir.Peer("B")).describe(ir.Peer("B"), "A") == "the value of B"
    assert bases.kind(ir.Year(2004)).describe(ir.Year(2004), "A") == "A's own value in 2004"
    assert [k.fixed_peer for k in bases.KINDS] == [False, False, False, False, True, True, False]
