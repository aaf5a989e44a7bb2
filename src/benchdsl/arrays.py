"""The kernel's array backend: every municipality as own, every year, at once, on numpy.

Rows are municipalities × years.  A value at a fixed place (a named peer in
the row's year) is a row vector that numpy broadcasts; one at the row's own
place is the whole matrix.  NaN is a missing value; the reason for a cell is
found, when asked, by the scalar backend on that one row (`batch.reason`).
"""

from __future__ import annotations

import numpy as np

from benchdsl import ir
from benchdsl.kernel import OWN, ROW, Seen

NAN = np.nan


def _nonzero(x) -> bool:
    """np.all(x) without numpy's Python wrapper (called for every division)."""
    return bool(x.all()) if isinstance(x, np.ndarray) else bool(np.all(x))


class Arrays:
    scalar = False
    in_parts = True  # a group's values as a `Seen` (summed or sorted once per year), not member by member

    def __init__(self, munis: tuple[str, ...], years: tuple[int, ...], data: dict):
        self.munis, self.years, self.data = munis, years, data
        self.index = {m: i for i, m in enumerate(munis)}
        self.year_index = {y: j for j, y in enumerate(years)}
        self.shape = (len(munis), len(years))
        self._is_own: dict = {}
        self._is_year: dict = {}
        self._layouts: dict = {}
        self._rows: dict = {}

    def name(self, who):
        return None if who == OWN else who

    def year_of(self, when):
        return None if when == ROW else when

    @staticmethod
    def override(ind, who, when):
        return None

    def source(self, ind: ir.Indicator, who, when: int, span):
        m = self.data.get(ind.name)
        if isinstance(who, tuple):  # several named municipalities at once (a group's members): a row each
            rows, absent = self._rows_of(who)
            if m is None:
                return np.full((len(who), self.shape[1]), NAN), None
            block = m.take(rows, axis=0, mode="clip")
            if absent is not None:
                block[absent] = NAN
            if when == ROW:
                return block, None
            j = self.year_index.get(when)
            return (block[:, [j]] if j is not None else np.full((len(who), 1), NAN)), None
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

    def _rows_of(self, names: tuple):
        """The rows of named municipalities, and which of them have none (None: all have one)."""
        got = self._rows.get(names)
        if got is None:
            rows = np.array([self.index.get(m, -1) for m in names], dtype=np.intp)
            got = self._rows[names] = (rows, rows < 0 if (rows < 0).any() else None)
        return got

    @staticmethod
    def missing(span, message, hint=None):
        return NAN

    @staticmethod
    def is_missing(v):
        return np.isnan(v)

    @staticmethod
    def failed(v, span, message):
        return v  # NaN stays NaN; `Reasons` says why

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
        if _nonzero(b):  # no divisor is 0 (NaN counts as one that is not)
            return np.divide(a, b)
        return np.where(np.equal(b, 0), NAN, np.divide(a, b))

    def stack(self, values: list):
        """Values along a new leading axis, each broadcast to every municipality and year."""
        out = np.empty((len(values),) + self.shape)
        for i, v in enumerate(values):
            out[i] = v
        return out

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
        if np.isfinite(v.sum() if isinstance(v, np.ndarray) else v):  # no infinity, nor NaN: nothing to do
            # (the usual case, in one pass)
            return v
        inf = np.isinf(v)  # NaN is missing already
        return np.where(inf, NAN, v) if inf.any() else v

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

    # --- a group seen from every row at once ------------------------------------------------
    def _layout(self, fixed: list):
        """Where a group's members are rows: (their rows, and for each position the kind of row that is it).

        Kind 0 is every row whose municipality is not a member; kind t ≥ 1 is the row `rows[t - 1]`."""
        key = tuple(fixed)
        got = self._layouts.get(key)
        if got is None:
            rows: dict = {}
            kinds, positions = [], []
            for j, m in enumerate(fixed):
                i = self.index.get(m)
                if i is not None:
                    kinds.append(rows.setdefault(i, len(rows) + 1))
                    positions.append(j)
            row_kind = np.zeros(self.shape[0], dtype=np.intp)  # each row's kind
            row_kind[list(rows)] = list(rows.values())
            got = self._layouts[key] = (np.array(list(rows), dtype=np.intp), np.array(kinds, dtype=np.intp),
                                        np.array(positions, dtype=np.intp), row_kind)
        return got

    def _seen(self, seen: Seen, slot: bool):
        """A group's values as each kind of row sees them: (positions × kinds × years, member rows).

        Kind 0 is every row whose municipality is not a member (its own slot, last, is NaN here: it
        differs per row); kind t ≥ 1 is the row `member rows[t - 1]`, the municipality of one or more
        positions.  A position that does not count for a kind (the own municipality in `G - own`)
        is NaN.  None when a member's plain value is not one value per year (the generic path then
        handles it).
        """
        block, n = seen.block, len(seen.fixed)
        if n and np.ndim(block) != 0 and np.shape(block) != (n, self.shape[1]):  # not one value per member-year
            return None
        rows, kinds, positions, row_kind = self._layout(seen.fixed)
        out = np.empty((n + slot, 1 + len(rows), self.shape[1]))
        if n:
            out[:n] = block[:, None, :] if np.ndim(block) else block
        if slot:
            out[-1] = NAN
        own_counts = seen.include_own and seen.exclude_own  # own appended for its own rows too
        if len(rows) and (seen.exclude_own or seen.adjusted or own_counts):
            own = np.broadcast_to(seen.own, self.shape) if seen.adjusted or own_counts else None
            if seen.exclude_own:
                out[positions, kinds] = NAN
            elif seen.adjusted:
                out[positions, kinds] = own[rows[kinds - 1]]
            if own_counts:
                out[-1, 1:] = own[rows]
        return out, (rows, row_kind)

    @staticmethod
    def _spread(compact, layout, outside=None):
        """Every row's value from each kind's (kinds × years); `outside`: the outside rows' own, row by row."""
        if outside is None:
            return compact[layout[1]]
        out = np.empty(layout[1].shape + compact.shape[1:], compact.dtype)
        out[...] = outside
        out[layout[0]] = compact[1:]
        return out

    def _seen_sums(self, values: Seen, weights: Seen | None):
        """(count, Σ value or Σ value × weight, Σ weight or None) per kind of row, the outside rows' own
        (row by row, where `G + own` adds each one's own value) or None, and the layout; None: the
        generic path."""
        if weights is not None and (weights.fixed != values.fixed or weights.names != values.names):
            return None
        slot = values.include_own
        got = self._seen(values, slot)
        w = None if weights is None else self._seen(weights, slot)
        if got is None or (weights is not None and w is None):
            return None
        v, layout = got
        ok = v == v  # not NaN
        if w is not None:
            w = w[0]
            ok &= w == w
            v *= w
            w[~ok] = 0.0
        v[~ok] = 0.0
        # A left fold in member order, as the scalar backend adds: accumulate is sequential by
        # definition; the scalar sum starts at 0.0, which turns a sum of -0.0s into 0.0 (+ 0.0
        # does that, and changes no other float).  0.0 for a member left out changes no such sum.
        total = np.add.accumulate(v, axis=0)[-1] + 0.0
        weight = np.add.accumulate(w, axis=0)[-1] + 0.0 if w is not None else None
        count = np.add.reduce(ok, axis=0, dtype=float)  # a float, as the scalar sum divides by
        outside = None
        if slot:  # rows outside the group: their own value, added last
            own = np.broadcast_to(values.own, self.shape)
            own_ok = own == own
            out_weight = None
            if w is not None:
                own_w = np.broadcast_to(weights.own, self.shape)
                own_ok = own_ok & (own_w == own_w)
                out_weight = weight[0] + np.where(own_ok, own_w, 0.0)
                own = own * own_w
            outside = count[0] + own_ok, total[0] + np.where(own_ok, own, 0.0), out_weight
        return (count, total, weight), outside, layout

    def masked_sums(self, values: list, masks: list, weights: list | None = None):
        """As the scalar backend's: every member at once; the sums run over the member axis in member
        order (numpy reduces a leading axis slice by slice), so the figures are the scalar ones, bit for bit."""
        if not values:
            return 0, 0.0, 0.0, 0.0
        if isinstance(values, Seen) and masks is values.masks and (weights is None or isinstance(weights, Seen)):
            got = self._seen_sums(values, weights)
            if got is not None:
                (count, total, weight), outside, layout = got
                outside = outside or (None, None, None)
                count, total = self._spread(count, layout, outside[0]), self._spread(total, layout, outside[1])
                if weights is None:
                    return count, total, None, None
                return count, None, total, self._spread(weight, layout, outside[2])
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

    def mean(self, values: list, masks: list, span, message):
        """As the scalar backend's: the sum over the members divided by their count, per kind of row
        before it is spread to every row (the same division, element by element)."""
        if isinstance(values, Seen) and masks is values.masks:
            got = self._seen_sums(values, None)
            if got is not None:
                (count, total, _), outside, layout = got
                means = self.quotient(total, count, span, message)
                return self._spread(means, layout, None if outside is None else
                                    self.quotient(outside[1], outside[0], span, message))
        count, total, _, _ = self.masked_sums(values, masks)
        return self.quotient(total, count, span, message)

    @staticmethod
    def quotient(num, den, span, message):
        if _nonzero(den):
            return np.divide(num, den)
        return np.where(np.equal(den, 0), NAN, np.divide(num, den))  # warnings are off (see arith)

    def _seen_kth(self, seen: Seen, k: int, descending: bool):
        got = self._seen(seen, seen.include_own)
        if got is None:
            return None
        v, layout = got
        if descending:
            np.negative(v, out=v)
        v.sort(axis=0)  # NaN last; ties have equal values, so which of them comes first does not matter
        kth = v[k - 1] if k <= len(v) else np.full(v.shape[1:], NAN)
        sign = np.negative if descending else np.positive  # back to the values (before they are spread)
        kth, outside = sign(kth), None
        if seen.include_own and k > len(v):  # more than the members and the own value together
            outside = NAN
        elif seen.include_own:  # rows outside the group: the k-th of the sorted members and their own value
            # a selection, so exact: below the (k-1)-th it pushes that one to k-th; between, it is k-th
            x = np.broadcast_to(seen.own, self.shape)
            x = np.negative(x) if descending else x
            before = v[k - 2, 0] if k >= 2 else -np.inf  # NaN: fewer than k - 1 members, not enough
            at = v[k - 1, 0]
            outside = sign(np.maximum(before, np.fmin(x, at)))
        return self._spread(kth, layout, outside)

    def kth(self, vals: list, masks: list, k: int, descending: bool, span, message):
        if isinstance(vals, Seen) and masks is vals.masks:
            got = self._seen_kth(vals, k, descending)
            if got is not None:
                return got, -1, None
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


# --- why a value is missing, on every row at once ----------------------------------------------------

class Why:
    """A value on the `Reasons` backend: `v`, the array backend's value; `r`, where the scalar backend's
    value is missing, its message (an object array of str and None, or None: nowhere); `u`, where this
    backend does not know the scalar backend's reason (a bool array, or None: nowhere)."""

    __slots__ = ("v", "r", "u")

    def __init__(self, v, r=None, u=None):
        self.v, self.r, self.u = v, r, u


def _v(x):
    return x.v if isinstance(x, Why) else x


def _r(x):
    return x.r if isinstance(x, Why) else None


def _u(x):
    return x.u if isinstance(x, Why) else None


def _has(r):
    """Where an object array of reasons has one."""
    return np.not_equal(r, None)


def _where(cond, message):
    """`message` where cond holds, no reason elsewhere; None if cond holds nowhere."""
    cond = np.asarray(cond, dtype=bool)
    if not cond.any():
        return None
    out = np.full(cond.shape, None, dtype=object)
    out[cond] = message
    return out


def _first(*rs):
    """Element by element, the first reason of `rs` there is: the scalar backend's arithmetic passes on
    its left operand's missing value before its right one's."""
    out = None
    for r in rs:
        if r is None:
            continue
        out = r if out is None else np.where(_has(out), out, r)
    return out


def _any(*us):
    out = None
    for u in us:
        if u is not None:
            out = u if out is None else np.logical_or(out, u)
    return out


def _pick(cond, a, b, empty):
    if a is None and b is None:
        return None
    return np.where(cond, empty if a is None else a, empty if b is None else b)


class Reasons:
    """The array backend that also says why: each value carries, where the scalar backend's value
    would be `Missing`, that `Missing`'s message (`Why`).  It decides *where* a value is missing from the
    arrays (their NaN, a zero divisor, a group with too few values); the messages themselves come from
    the scalar backend (`kernel.Scalar`) or from the caller, so they are the same texts.  A value it
    cannot account for exactly (a NaN that no missing value explains: the scalar backend computes with
    that NaN where the array backend leaves it out) is marked unknown, and its reason is asked of the
    scalar backend, row by row (`batch.reason`).

    Groups are read member by member (`in_parts` False), so each member's missing values are seen."""

    scalar = False
    in_parts = False

    def __init__(self, arrays: Arrays, values):
        self.a, self.values = arrays, values

    def name(self, who):
        return self.a.name(who)

    def year_of(self, when):
        return self.a.year_of(when)

    @staticmethod
    def override(ind, who, when):
        return None

    def is_own(self, name: str):
        return self.a.is_own(name)

    def is_year(self, year: int):
        return self.a.is_year(year)

    def in_years(self, first, last):
        return self.a.in_years(first, last)

    not_ = staticmethod(np.logical_not)
    and_ = staticmethod(np.logical_and)
    or_ = staticmethod(np.logical_or)

    def source(self, ind: ir.Indicator, who, when: int, span):
        from benchdsl.kernel import Scalar

        v, obs = self.a.source(ind, who, when, span)
        nan = np.isnan(v)
        if not nan.any():
            return Why(v), obs
        a = self.a
        r = np.full(np.shape(v), None, dtype=object)
        u = np.zeros(np.shape(v), dtype=bool)
        for idx in (np.argwhere(nan) if np.ndim(v) else [()]):
            idx = tuple(idx)
            if who == OWN:
                muni = a.munis[idx[0]]
                year = a.years[idx[1]] if when == ROW else when
            else:
                muni, year = who, (a.years[idx[0]] if when == ROW else when)
            got = Scalar(self.values, muni, year).source(ind, who, when, span)[0]
            if isinstance(got, float):
                u[idx] = True
            else:
                r[idx] = got.message
        return Why(v, r, u if u.any() else None), obs

    @staticmethod
    def missing(span, message, hint=None):
        return Why(NAN, np.array(message, dtype=object))

    @staticmethod
    def is_missing(v):
        return np.isnan(_v(v))

    @staticmethod
    def failed(v, span, message):
        r = _r(v)
        return v if r is None else Why(v.v, _where(_has(r), message), v.u)

    def select(self, cond, if_true, if_false):
        if cond is True or cond is False:
            return if_true() if cond else if_false()
        x, y = if_true(), if_false()
        return Why(np.where(cond, _v(x), _v(y)), _pick(cond, _r(x), _r(y), None),
                  _pick(cond, _u(x), _u(y), False))

    def arith(self, op: str, a, b, span):
        from benchdsl.kernel import Scalar

        v = self.a.arith(op, _v(a), _v(b), span)
        r = _first(_r(a), _r(b))
        if op == "/":
            zero = np.equal(_v(b), 0)
            if np.any(zero):
                r = _first(r, _where(zero, Scalar.arith("/", 1.0, 0.0, span).message))
        return Why(v, r, _any(_u(a), _u(b)))

    def neg(self, a):
        return Why(np.negative(_v(a)), _r(a), _u(a))

    @staticmethod
    def _unexplained(v, r):
        """Where a value is NaN with no missing value under it: the scalar backend computed on with a NaN."""
        nan = np.isnan(v)
        if r is not None:
            nan = nan & ~_has(r)
        return nan if nan.any() else None

    def extreme(self, op: str, vals: list):
        v = self.a.extreme(op, [_v(x) for x in vals])
        r = _first(*[_r(x) for x in vals])
        return Why(v, r, _any(*[_u(x) for x in vals], self._unexplained(v, r)))

    def positive_part(self, x):
        v, r = _v(x), _r(x)
        return Why(self.a.positive_part(v), r, _any(_u(x), self._unexplained(v, r)))

    def _per_element(self, bad, v, message):
        """An object array with message(v at each element where bad holds), None elsewhere."""
        out = np.full(np.shape(bad), None, dtype=object)
        vb = np.broadcast_to(v, np.shape(bad))
        for idx in (np.argwhere(bad) if np.ndim(bad) else [()]):
            idx = tuple(idx)
            out[idx] = message(float(vb[idx]))
        return out

    def power(self, x, exponent: float, span):
        from benchdsl.kernel import Scalar

        v, r = _v(x), _r(x)
        bad = ~np.greater(v, 0)  # NaN too: the scalar backend says why of a NaN that is not missing
        if r is not None:
            bad &= ~_has(r)
        if bad.any():
            r = _first(r, self._per_element(bad, v, lambda f: Scalar.power(f, exponent, span).message))
        return Why(self.a.power(v, exponent, span), r, _u(x))

    def finite(self, x, span):
        from benchdsl.kernel import Scalar

        v, r = _v(x), _r(x)
        bad = ~np.isfinite(v)
        if bad.any():
            if r is not None:
                bad &= ~_has(r)
            if bad.any():
                r = _first(r, self._per_element(bad, v, lambda f: Scalar.finite(f, span).message))
        return Why(self.a.finite(v, span), r, _u(x))

    def valid(self, mask, *vals):
        return self.a.valid(mask, *[_v(x) for x in vals])

    def _unsure(self, values: list, masks: list):
        """Rows where a member that counts has a NaN no missing value explains, or an unknown reason."""
        out = None
        for x, mask in zip(values, masks):
            if mask is False:
                continue
            u = _any(_u(x), self._unexplained(_v(x), _r(x)))
            if u is not None:
                out = _any(out, np.logical_and(mask, u))
        return out

    def masked_sums(self, values: list, masks: list, weights: list | None = None):
        """The array backend's sums (the scalar backend's are never missing); unknown where a member is unsure."""
        ws = None if weights is None else [_v(w) for w in weights]
        count, total, vw, tw = self.a.masked_sums([_v(x) for x in values], masks, ws)
        u = _any(self._unsure(values, masks), None if weights is None else self._unsure(weights, masks))
        wrap = lambda s: None if s is None else Why(s, None, u)  # noqa: E731
        return count, wrap(total), wrap(vw), wrap(tw)

    def mean(self, values: list, masks: list, span, message):
        count, total, _, _ = self.masked_sums(values, masks)
        return self.quotient(total, count, span, message)

    def quotient(self, num, den, span, message):
        v = self.a.quotient(_v(num), _v(den), span, message)
        r = _first(_where(np.equal(_v(den), 0), message), _r(num), _r(den))
        return Why(v, r, _any(_u(num), _u(den)))

    def kth(self, vals: list, masks: list, k: int, descending: bool, span, message):
        vs = [_v(x) for x in vals]
        v, _, _ = self.a.kth(vs, masks, k, descending, span, message)
        count = np.broadcast_to(self.a.masked_sums(vs, masks)[0], self.a.shape)  # the members with a value
        r = None
        short = count < k
        if short.any():
            r = np.full(self.a.shape, None, dtype=object)
            for n in np.unique(count[short]):
                r[count == n] = message(int(n))
        return Why(v, r, self._unsure(vals, masks)), -1, None

    def stack(self, values: list):
        raise AssertionError("Reasons computes one basis at a time")
