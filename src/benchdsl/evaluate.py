"""Figures one at a time: the kernel on the scalar backend, each figure with its derivation.

Evaluation runs on plain floats (units were reduced to factors by `check`).
Every figure records what `explain`, JSON and HTML show — the inputs with
their source lines, the peers behind each basis with values and ranks, the
lets, the value of each expression node — while it is computed, once.
"""

from __future__ import annotations

import enum
import math

import attrs

from benchdsl import ir
from benchdsl.data import Obs
from benchdsl.diagnostics import Diagnostic, error, warning
from benchdsl.kernel import Kernel, Missing, Scalar


class Status(enum.Enum):
    SAVING = "saving"
    NO_SAVING = "no saving"  # at or better than the basis
    NOT_COMPUTED = "not computed"  # a value is missing, a divisor is zero, ...


@attrs.define
class Input:
    indicator: str
    municipality: str
    year: int
    value: float
    unit: str
    obs: Obs | None  # None for a derived indicator
    adjusted: float = 0.0
    reason: str = ""


@attrs.define
class BasisRow:
    municipality: str
    value: float
    rank: int | None
    index: float | None = None  # needmean: the member's need index, and value ÷ index
    per_index: float | None = None


@attrs.define
class BasisUse:
    indicator: str
    policy: str
    unit: str
    rows: list[BasisRow]
    value: float
    peer: str | None
    skipped: list[str] = attrs.Factory(list)
    index: str | None = None  # needmean: the index indicator, the own municipality's index, mean of value ÷ index
    own_index: float | None = None
    per_index: float | None = None


@attrs.define
class Trace:
    """One figure's derivation, recorded by the kernel while it computes the figure."""

    inputs: dict = attrs.Factory(dict)
    bases: dict = attrs.Factory(dict)
    lets: list = attrs.Factory(list)
    values: dict = attrs.Factory(dict)  # id(node) -> value, to render the arithmetic

    def input(self, name, muni, year, value, unit, obs, delta, reason) -> None:
        key = (name, muni, year)
        if key not in self.inputs:  # the first reading stands; an Input is made only for it
            self.inputs[key] = Input(name, muni, year, value, unit, obs, delta, reason)

    def value(self, node, v) -> None:
        self.values[id(node)] = v

    def let(self, name, value, node) -> None:
        self.lets.append((name, math.nan if isinstance(value, Missing) else value, node.unit, node))

    def basis(self, indicator, policy, unit, rows, value, peer, skipped) -> None:
        self.bases.setdefault((indicator, policy), BasisUse(
            indicator, policy, unit, [BasisRow(m, math.nan if isinstance(v, Missing) else v, r) for m, v, r in rows],
            value if not isinstance(value, Missing) else math.nan, peer, skipped))


@attrs.frozen
class Figure:
    """One computed number: a measure under a basis, or a claim's value."""

    name: str
    scenario: str | None
    value: float | None  # None: no saving ("-"), or the value could not be computed (see error)
    unit: str
    decimals: int | None
    raw: float | None = None  # before "no saving" is applied
    peer: str | None = None  # for claims about which municipality forms a basis
    error: Diagnostic | None = None
    trace: Trace | None = None

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.NOT_COMPUTED
        # a signed measure's value at or below the basis is shown, and is still no saving
        below = self.raw is not None and not self.raw > 0
        return Status.SAVING if self.value is not None and not below else Status.NO_SAVING


class Evaluator:
    """The figures of one municipality and year (`overrides` pins inputs: a what-if)."""

    def __init__(self, program: ir.Program, values: dict, own: str | None = None, year: int | None = None,
                 overrides: dict | None = None):
        self.p = program
        self.values = values
        self.overrides = overrides or {}  # (indicator, municipality, year) -> value
        self.own = own or program.own
        self.year = year or program.year
        self.diags: list[Diagnostic] = []
        self._warned: set = set()
        self._figures: dict = {}
        self._claims: dict = {}  # claims that read neither table cells nor savings: their inputs say it all
        self.kernel = Kernel(program, Scalar(values, self.own, self.year, self.overrides), warn=self._warn)

    def what_if(self, overrides: dict) -> "Evaluator":
        """The same figures with some inputs pinned; figures that read none of them are kept, not recomputed.

        A figure's derivation lists every input it read, so one that read none of the pinned
        ones is the same figure.  One that was not computed may not have read them all: it is
        computed again.
        """
        trial = Evaluator(self.p, self.values, self.own, self.year, {**self.overrides, **overrides})
        pinned = set(overrides)
        keep = lambda f: f.error is None and f.trace is not None and not pinned & f.trace.inputs.keys()  # noqa: E731
        trial._figures = {k: f for k, f in self._figures.items() if keep(f)}
        trial._claims = {k: f for k, f in self._claims.items() if keep(f)}
        return trial

    def _warn(self, key, span, message, hint) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.diags.append(warning(span, message, hint))

    def _policy(self, scenario: str | None):
        return self.p.scenarios[scenario].policy if scenario else None

    def _raw(self, name: str, scenario: str | None):
        """A measure's saving before 'no saving', for saving(m) in claims: a float or Missing."""
        f = self.measure(name, scenario)
        return Missing(f.error.span, f.error.message, f.error.hint) if f.error is not None else f.raw

    def value(self, name: str, muni: str, year: int) -> float | None:
        """An indicator's value as the rules see it, unadjusted; None when the panel lacks it."""
        ev = Evaluator(self.p, self.values, muni, year, self.overrides)
        from benchdsl.kernel import ROW, OWN, _Ctx

        v = _Ctx(ev.kernel, None, {}, None, None, None, None, trace=False).indicator(name, OWN, ROW, False, None)
        return None if isinstance(v, Missing) else v

    def measure(self, name: str, scenario: str | None, record: bool = True) -> Figure:
        """A measure's figure under a basis, with its derivation; `record=False`: the figure without
        one (the same value or reason, by the same kernel), not kept (a --for all row's reason)."""
        key = (name, scenario)
        if key in self._figures:
            return self._figures[key]
        m = self.p.measures[name]
        trace = self.kernel.tracer = Trace() if record else None
        try:
            raw = self.kernel.saving(m, self._policy(scenario), scenario, self._raw)
        finally:
            self.kernel.tracer = None
        if isinstance(raw, Missing):
            fig = Figure(name, scenario, None, m.saving.unit, m.round, error=error(raw.span, raw.message, raw.hint),
                         trace=trace)
        else:  # at or better than the basis: no saving
            fig = Figure(name, scenario, raw if raw > 0 or m.signed else None, m.saving.unit, m.round, raw, trace=trace)
        if record:
            self._figures[key] = fig
        return fig

    def claim(self, c: ir.Claim, cells=None, record: bool = True) -> Figure:
        if c.name in self._claims:
            return self._claims[c.name]
        fig = self._claim(c, cells)
        if _reads_only_inputs(c, self.p):
            self._claims[c.name] = fig
        return fig

    def _claim(self, c: ir.Claim, cells) -> Figure:
        m = self.p.measures.get(c.measure) if c.measure else None
        policy = self._policy(c.scenario)
        trace = self.kernel.tracer = Trace()
        try:
            if isinstance(c.expr, ir.PeerOf):
                v, peer = self.kernel.peer_of(c.expr, m, policy, c.scenario)
                if isinstance(v, Missing):
                    return Figure(c.name, c.scenario, None, "municipality", None,
                                  error=error(v.span, v.message, v.hint), trace=trace)
                return Figure(c.name, c.scenario, None, "municipality", None, peer=peer, trace=trace)
            v = self.kernel.claim_value(c, m, policy, c.scenario, self._raw, cells)
        finally:
            self.kernel.tracer = None
        if isinstance(v, Missing):
            return Figure(c.name, c.scenario, None, c.expr.unit, None, error=error(v.span, v.message, v.hint),
                          trace=trace)
        return Figure(c.name, c.scenario, v, c.expr.unit, None, v, trace=trace)


def _reads_only_inputs(c: ir.Claim, program: ir.Program) -> bool:
    """Does a claim's value depend on nothing but the inputs its derivation records (no cells, no savings)?"""
    m = program.measures.get(c.measure) if c.measure else None
    lets = [node for _, node in m.lets] if m else []
    return not any(isinstance(n, (ir.SavingRef, ir.CellRef)) for n in ir.walk(c.expr, *lets))


def fsum(values) -> float:
    """math.fsum, but a sum too large for a float is infinity (reported as not finite), not an exception."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf
