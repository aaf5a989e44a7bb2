"""How deep evaluation goes: expressions too deep to compute, and chains too long.

Every pass after `check` (evaluation, batch, explain, pickling for the cache)
recurses through expressions and on into the lets, derived indicators,
measures and table cells they use; `limits.MAX_DEPTH` and `limits.MAX_CHAIN`
keep them well inside Python's recursion limit.  Each depth is worked out
once (`ind_cost`, `measure_depth`, `table_depth`), so checking stays linear.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from benchdsl import ast, bases, ir
from benchdsl.check.context import Context
from benchdsl.limits import MAX_CHAIN, MAX_DEPTH


class Depth:
    def __init__(self, ctx: Context):
        self.c = ctx
        # How deep evaluating each derived indicator, measure and table goes, and the
        # indicators each derived indicator reads.
        self.ind_cost: dict[str, tuple[int, frozenset]] = {}
        self.measure_depth: dict[str, int] = {}
        self.table_depth: dict[str, int] = {}
        self._weight_depth: int | None = None

    def check(self, d) -> None:
        """Expressions too deep for the passes after this one (all recurse over them) are reported and left out."""
        c = self.c
        for e in expressions(d):
            depth, terms, op = ast_depth(e)
            if depth <= MAX_DEPTH:
                continue
            c.too_deep.add(id(e))
            if terms - 1 >= depth / 2:  # mostly one long chain: say so, it is what the analyst wrote
                what = "sum" if op in "+-" else "product"
                c.err(e.span, f"this {what} of {terms} terms is too deep to compute: {depth} operations inside one "
                              f"another (at most {MAX_DEPTH})",
                      f"each term of a {what} is one level deeper than the one before; split it into `let` parts "
                      f"of at most {MAX_DEPTH} terms and combine those")
            else:
                c.err(e.span, f"this expression is too deep to compute: {depth} operations inside one another "
                              f"(at most {MAX_DEPTH})", "split it into `let` steps")

    def cost(self, node, lets: dict) -> tuple[int, frozenset]:
        """(how many levels evaluating `node` goes down, indicators it reads).

        The evaluator, the batch evaluator, `explain` and the cache all recurse
        through an expression and on into the lets, derived indicators, measures
        and table cells it uses; the depth counts all of it.  Those are worked out
        once each (`lets`, `ind_cost`, ...), so this only walks `node` itself,
        whose depth `check` has bounded.
        """
        if isinstance(node, (ir.OwnVal, ir.BasisVal, ir.Gap, ir.PeerOf)):
            depth, reads = self.ind_cost.get(node.indicator, (0, frozenset()))
            reads = reads | {node.indicator}
            if isinstance(node, ir.OwnVal):
                return 1 + depth, reads
            if node.policy is None:  # the column's or the claim's basis
                depth = max(depth, self.weight_depth)
            else:
                depth = max(depth, self.reads_depth(node.policy))
            return 1 + depth, reads
        if isinstance(node, ir.LetRef):
            depth, reads = lets.get(node.name, (0, frozenset()))
            return 1 + depth, reads
        if isinstance(node, ir.SavingRef):
            return 1 + self.measure_depth.get(node.measure, 0), frozenset()
        if isinstance(node, ir.CellRef):
            return 1 + self.table_depth.get(node.table, 0), frozenset()
        kids = children(node)
        if not kids:
            return 1, frozenset()
        costs = [self.cost(k, lets) for k in kids]
        return 1 + max(k[0] for k in costs), frozenset().union(*(k[1] for k in costs))

    def reads_depth(self, policy) -> int:
        """How deep the indicators a basis reads besides the compared one go (a derived weight)."""
        return max((self.ind_cost.get(w, (0,))[0] for w in bases.kind(policy).reads(policy)), default=0)

    @property
    def weight_depth(self) -> int:
        """A basis taken from the column or the claim may weigh by a derived indicator."""
        if self._weight_depth is None:
            self._weight_depth = max((self.reads_depth(s.policy) for s in self.c.scenarios.values()), default=0)
        return self._weight_depth

    def too_long(self, depth: int, span, what: str,
                 through: str = "the lets and derived indicators it uses, and their operations") -> bool:
        if depth <= MAX_CHAIN:
            return False
        if depth == math.inf:  # goes through something reported as too deep already
            return True
        self.c.err(span, f"{what} is too deep to compute: it goes {depth} levels down through {through} "
                         f"(at most {MAX_CHAIN})",
                   "shorten the chain: compute intermediate values side by side rather than each from the last")
        return True


def ast_depth(e) -> tuple[int, int, str]:
    """(operations inside one another, terms of the longest chain of one operator kind, that kind).

    Without recursion: the expression has not been bounded yet.  `a + b - c` is a
    chain of 3 terms two levels deep; parentheses add no level, a call does.
    """
    deepest, longest, kind = 0, 0, "+"
    stack = [(e, 1, 1, None)]  # node, depth, terms of the chain it belongs to, that chain's kind
    while stack:
        node, depth, terms, chain = stack.pop()
        if isinstance(node, ast.BinOp):
            here = "+" if node.op in "+-" else "*"
            left_terms = terms + 1 if here == chain else 2
            deepest = max(deepest, depth)
            if left_terms > longest:
                longest, kind = left_terms, here
            stack.append((node.left, depth + 1, left_terms, here))
            stack.append((node.right, depth + 1, left_terms, here))
        elif isinstance(node, (ast.Neg, ast.Call)):
            deepest = max(deepest, depth)
            kids = (node.operand,) if isinstance(node, ast.Neg) else node.args
            stack.extend((k, depth + 1, 1, None) for k in kids)
    return deepest, longest, kind


def children(node) -> tuple:
    if isinstance(node, ir.Arith):
        return (node.left, node.right)
    if isinstance(node, ir.Neg):
        return (node.operand,)
    if isinstance(node, ir.Extreme):
        return node.args
    if isinstance(node, ir.AtYear):
        return (node.operand,)
    if isinstance(node, ir.Growth):
        return (node.operand,) if node.deflator is None else (node.operand, node.deflator)
    return ()


def expressions(d) -> Iterable:
    """Every expression a declaration holds."""
    if isinstance(d, ast.Group):
        yield from d.members
    elif isinstance(d, ast.Basis):
        yield d.expr
    elif isinstance(d, ast.Indicator):
        if d.formula is not None:
            yield d.formula
    elif isinstance(d, ast.Measure):
        yield from (let.expr for let in d.lets)
        yield from (a.amount for a in d.adjusts)
        if d.saving is not None:
            yield d.saving
        yield from (c.expr for c in d.claims)
    elif isinstance(d, ast.Claim):
        yield d.expr
    elif isinstance(d, ast.Test):
        yield from (e.expr for e in d.expects)
