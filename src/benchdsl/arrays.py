"""The kernel's array backend: every municipality as own, every year, at once, on numpy.

Rows are municipalities × years.  A value at a fixed place (a named peer in
the row's year) is a row vector that numpy broadcasts; one at the row's own
place is the whole matrix.  NaN is a missing value; the reason for a cell is
found, when asked, by the scalar backend on that one row (`batch.reason`).
"""

from __future__ import annotations

import numpy as np

from benchdsl import ir
from benchdsl.kernel import OWN, ROW

NAN = np.nan


class Arrays:
    scalar = False

    def __init__(self, munis: tuple[str, ...], years: tuple[int, ...], data: dict):
        self.munis, self.years, self.data = munis, years, data
        self.index = {m: i for i, m in enumerate(munis)}
        self.year_index = {y: j for j, y in enumerate(years)}
        self.shape = (len(munis), len(years))
        self._is_own: dict = {}
        self._is_year: dict = {}

    def name(self, who):
        return None if who == OWN else who

    def year_of(self, when):
        return None if when == ROW else when

    @staticmethod
    def override(ind, who, when):
        return None

    def source(self, ind: ir.Indicator, who: str, when: int, span):
        m = self.data.get(ind.name)
        if m is None:
            return np.full(self.shape, NAN), None
        if who == OWN:
            if when == ROW:
                return m, None
            j = self.year_index.get(when)
            return (m[:, [j]] if j is not None else np.full((self.shape[0], 1), NAN)), None
        i = self.index.get(who)
        if i is None:
            return np.full(self.shape[1], NAN), None
        if when == ROW:
            return m[i], None
        j = self.year_index.get(when)
        return (m[i, j] if j is not None else NAN), None

    @staticmethod
    def missing(span, message, hint=None):
        return NAN

    @staticmethod
    def is_missing(v):
        return np.isnan(v)

    def is_own(self, name: str):
        if name not in self._is_own:
            col = np.zeros((self.shape[0], 1), dtype=bool)
            if name in self.index:
                col[self.index[name]] = True
            self._is_own[name] = col
        return self._is_own[name]

    def is_year(self, year: int):
        if year not in self._is_year:
            self._is_year[year] = np.array([[y == year for y in self.years]], dtype=bool)
        return self._is_year[year]

    @staticmethod
    def select(cond, if_true, if_false):
        if cond is True or cond is False:
            return if_true() if cond else if_false()
        return np.where(cond, if_true(), if_false())

    @staticmethod
    def arith(op: str, a, b, span):
        # Floating-point warnings are off for the whole batch (batch.evaluate_arrays): an overflow
        # or a division by zero is a NaN (not computed), never a warning.
        if op == "+":
            return np.add(a, b)
        if op == "-":
            return np.subtract(a, b)
        if op == "*":
            return np.multiply(a, b)
        return np.where(np.equal(b, 0), NAN, np.divide(a, b))

    @staticmethod
    def neg(a):
        return np.negative(a)

    @staticmethod
    def extreme(op: str, vals: list):
        out = vals[0]
        fn = np.maximum if op == "max" else np.minimum  # NaN propagates: a missing argument is not skipped
        for v in vals[1:]:
            out = fn(out, v)
        return out

    @staticmethod
    def positive_part(v):
        return np.where(np.isnan(v), NAN, np.where(np.greater(v, 0), v, 0.0))

    @staticmethod
    def power(v, exponent: float, span):
        """Element by element with Python's float power, as the scalar backend computes it: numpy's own
        power may round differently in the last bit, and a figure must be the same alone and for all."""
        one = lambda x: float(x) ** exponent if x > 0 else NAN  # noqa: E731  (NaN > 0 is false)
        return np.vectorize(one, otypes=[float])(v)

    @staticmethod
    def finite(v, span):
        return np.where(np.isfinite(v), v, NAN)

    not_ = staticmethod(np.logical_not)
    and_ = staticmethod(np.logical_and)
    or_ = staticmethod(np.logical_or)

    @staticmethod
    def valid(mask, *vals):
        ok = mask
        for v in vals:
            ok = np.logical_and(ok, np.logical_not(np.isnan(v)))
        return ok

    def _stack(self, rows: list, dtype=float, last: bool = False) -> np.ndarray:
        """members × municipalities × years (or members last), each member's value broadcast into place."""
        out = np.empty(self.shape + (len(rows),) if last else (len(rows),) + self.shape, dtype)
        for i, x in enumerate(rows):
            if last:
                out[..., i] = x
            else:
                out[i] = x
        return out

    def masked_sums(self, values: list, masks: list, weights: list | None = None):
        """As the scalar backend's: every member at once; the sums run over the member axis in member
        order (numpy reduces a leading axis slice by slice), so the figures are the scalar ones, bit for bit."""
        if not values:
            return 0, 0.0, 0.0, 0.0
        v = self._stack(values)  # members × municipalities × years
        ok = self._stack(masks, bool)
        ok &= v == v  # not NaN
        if weights is not None:
            w = self._stack(weights)
            ok &= w == w
            v *= w
            w[~ok] = 0.0
        v[~ok] = 0.0
        count = ok.sum(axis=0)
        if weights is None:
            return count, v.sum(axis=0), None, None
        return count, None, v.sum(axis=0), w.sum(axis=0)

    @staticmethod
    def quotient(num, den, span, message):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.equal(den, 0), NAN, np.divide(num, np.where(np.equal(den, 0), 1, den)))

    def kth(self, vals: list, masks: list, k: int, descending: bool, span, message):
        if k > len(vals):
            return np.full(self.shape, NAN), -1, None
        # municipalities × years × candidates, candidates last so that the sort runs on contiguous memory;
        # only the k-th value is needed here (ties have equal values), not which candidate it is
        stack = self._stack(vals, last=True)
        stack[~self._stack(masks, bool, last=True)] = NAN
        if descending:
            np.negative(stack, out=stack)
        stack.sort(axis=-1)  # NaN last either way
        ordered = stack
        kth = ordered[..., k - 1]
        return np.negative(kth) if descending else kth, -1, None

    def in_years(self, first: int | None, last: int | None):
        """Which years are from `first` to `last` (None: no limit): a row that broadcasts over municipalities."""
        return np.array([[(first is None or first <= y) and (last is None or y <= last) for y in self.years]],
                        dtype=bool)
