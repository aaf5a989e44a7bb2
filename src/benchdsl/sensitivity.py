"""How much does the choice of basis decide?  Every measure under alternative bases.

The alternatives are built from the rules' own comparison group (the group of
their first `mean(...)` basis, e.g. ASSS - own): the 1st to 5th best, the
mean, the mean without each municipality named with --without, and the mean
weighted by an indicator named with --weight.
"""

from __future__ import annotations

import attrs

from benchdsl import bases, ir
from benchdsl.evaluate import Evaluator, Figure


@attrs.frozen
class Sensitivity:
    bases: tuple[ir.Scenario, ...]
    rows: tuple[tuple[ir.Measure, tuple[Figure, ...]], ...]  # one figure per basis


def group_of(program: ir.Program) -> ir.MemberSet | None:
    """The group of the rules' first basis that compares with one."""
    for s in program.scenarios.values():
        group = bases.kind(s.policy).group(s.policy)
        if group is not None:
            return group
    return None


def alternatives(group: ir.MemberSet, without=(), weight: str | None = None, k_max: int = 5):
    out = [ir.Scenario(f"best{k}", f"best {k}", bases.Best.make(k, group)) for k in range(1, k_max + 1)]
    out.append(ir.Scenario("mean", "mean", bases.Mean.make(group)))
    for m in without:
        g = attrs.evolve(group, exclude=group.exclude + (m,), text=f"{group.text} - {m}")
        out.append(ir.Scenario(f"mean_without_{m}", f"-{m}"[:6], bases.Mean.make(g)))
    if weight:
        out.append(ir.Scenario(f"wmean_{weight}", "wmean", bases.WMean.make(group, weight)))
    return tuple(out)


def sensitivity(program: ir.Program, values: dict, bases: tuple[ir.Scenario, ...], own=None, year=None) -> Sensitivity:
    extended = attrs.evolve(program, scenarios={**program.scenarios, **{b.name: b for b in bases}})
    ev = Evaluator(extended, values, own, year)
    rows = []
    for m in program.measures.values():
        rows.append((m, tuple(ev.measure(m.name, b.name) for b in bases)))
    return Sensitivity(bases, tuple(rows))
