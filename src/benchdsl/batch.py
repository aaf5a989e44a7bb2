"""Every municipality as "own", every year, at once: the kernel on the array backend.

Each indicator becomes a matrix, municipalities × years (NaN where the panel
has no value), and every measure under every basis is one kernel run over all
of them.  It is the computation `run` does for one municipality-year, with
more rows; a cell that cannot be computed is NaN.  Why it is not computed is the
scalar backend's reason for that cell; `reasons` finds it for every cell of a figure at
once, by the same kernel on `arrays.Reasons` (cells that fail for the same cause, such as
a peer's missing value in a year, share it), and asks the scalar backend only where that
cannot tell.
"""

from __future__ import annotations

import attrs
import numpy as np

from benchdsl import ir
from benchdsl.arrays import Arrays, Reasons, Why
from benchdsl.data import Obs, Values
from benchdsl.kernel import Kernel


@attrs.frozen
class Batch:
    municipalities: tuple[str, ...]
    years: tuple[int, ...]
    figures: dict  # (measure, basis) -> municipalities × years array of raw savings; NaN: not computed
    units: dict  # measure -> unit
    program: ir.Program | None = None
    values: dict | None = None
    data: dict | None = None  # indicator -> municipalities × years: what the figures were computed from
    why: dict = attrs.field(factory=dict, eq=False, repr=False)  # reasons found so far (see `reasons`)


def matrices(values, indicators, municipalities=None, years=None):
    """{indicator: municipalities × years array} from bound panel values (NaN: none, or a gap).

    `data.Values` holds each indicator as a grid already: it is taken as it is, its rows and
    columns put in order; a plain {(indicator, municipality, year): value} is read value by value.
    """
    if isinstance(values, Values) and values.dense:
        munis = municipalities or sorted(values.municipalities())
        yrs = years or sorted(values.years())
        at = {m: i for i, m in enumerate(values.all_municipalities)}
        yat = {y: j for j, y in enumerate(values.all_years)}
        nm, ny = len(values.all_municipalities), len(values.all_years)
        rows = np.array([at.get(m, nm) for m in munis], dtype=np.intp)  # nm, ny: a row or column of NaN
        cols = np.array([yat.get(y, ny) for y in yrs], dtype=np.intp)
        out = {}
        for name in indicators:
            grid = values.grid(name)
            full = np.full((nm + 1, ny + 1), np.nan)
            if grid is not None and nm and ny:
                full[:nm, :ny] = np.frombuffer(grid, dtype=float).reshape(nm, ny)
            out[name] = full[np.ix_(rows, cols)]
        return tuple(munis), tuple(yrs), out
    munis = municipalities or sorted({m for (_, m, _) in values})
    yrs = years or sorted({y for (_, _, y) in values})
    mi = {m: i for i, m in enumerate(munis)}
    yi = {y: i for i, y in enumerate(yrs)}
    out = {name: np.full((len(munis), len(yrs)), np.nan) for name in indicators}
    for (ind, m, y), v in values.items():
        if ind in out and m in mi and y in yi and not isinstance(v, Obs):
            out[ind][mi[m], yi[y]] = v.value
    return tuple(munis), tuple(yrs), out


def evaluate(program: ir.Program, values: dict, measures=None, scenarios=None) -> Batch:
    sources = [n for n, ind in program.indicators.items() if ind.source]
    munis, years, data = matrices(values, sources)
    b = evaluate_arrays(program, munis, years, data, measures, scenarios)
    return attrs.evolve(b, program=program, values=values, data=data)


def evaluate_arrays(program: ir.Program, munis, years, data: dict, measures=None, scenarios=None) -> Batch:
    kernel = Kernel(program, Arrays(tuple(munis), tuple(years), data))
    shape = (len(munis), len(years))
    raw: dict = {}

    def saving_of(name, scenario):
        if (name, scenario) not in raw:
            m = program.measures[name]
            policy = program.scenarios[scenario].policy if scenario else None
            v = kernel.saving(m, policy, scenario, saving_of)
            v = np.asarray(v, dtype=float)
            # read-only: a figure may be the kernel's own array (a panel column, a shared value)
            v = v.view() if v.shape == shape else np.broadcast_to(v, shape)
            v.flags.writeable = False
            raw[(name, scenario)] = v
        return raw[(name, scenario)]

    figures = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # NaN is "not computed"
        for name in measures or program.measures:
            todo = [s for s in scenarios or program.scenarios if (name, s) not in raw]
            if len(todo) > 1:  # every basis at once: what does not depend on the basis is computed once
                m = program.measures[name]
                got = kernel.savings(m, [program.scenarios[s].policy for s in todo], todo, saving_of)
                for s, v in zip(todo, got):
                    v.flags.writeable = False
                    raw[(name, s)] = v
            for scenario in scenarios or program.scenarios:
                figures[(name, scenario)] = saving_of(name, scenario)
    return Batch(tuple(munis), tuple(years), figures,
                 {m: program.measures[m].saving.unit for m in measures or program.measures})


def reasons(batch: Batch, measure: str, scenario: str):
    """Why each cell of a figure is not computed, all at once: an object array, municipalities × years,
    of the scalar backend's message where the cell is not computed and this can tell, None elsewhere.
    None if the figure cannot be redone here (no program, or no data kept)."""
    why = batch.why
    if (measure, scenario) in why:
        return why[(measure, scenario)]
    if batch.program is None or batch.data is None:
        return None
    program, shape = batch.program, (len(batch.municipalities), len(batch.years))
    kernel = why.get("kernel")
    if kernel is None:
        kernel = why["kernel"] = Kernel(program, Reasons(Arrays(batch.municipalities, batch.years, batch.data),
                                                         batch.values))

    def saving_of(name, s):
        if ("saving", name, s) not in why:
            policy = program.scenarios[s].policy if s else None
            why[("saving", name, s)] = kernel.saving(program.measures[name], policy, s, saving_of)
        return why[("saving", name, s)]

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        got = saving_of(measure, scenario)
    v = np.broadcast_to(got.v if isinstance(got, Why) else got, shape)
    figure = batch.figures[(measure, scenario)]
    out = np.full(shape, None, dtype=object)
    # the same kernel on the same values: the same figure, or nothing here can be trusted for it
    if np.array_equal(v, figure, equal_nan=True) and isinstance(got, Why) and got.r is not None:
        out[...] = got.r
        if got.u is not None:
            out[np.broadcast_to(got.u, shape)] = None
        out[~np.isnan(figure)] = None
    why[(measure, scenario)] = out
    return out


def reason(batch: Batch, measure: str, scenario: str, muni: str, year: int, evaluators: dict | None = None) -> str:
    """Why a cell is not computed: the scalar backend's reason for that municipality-year, from
    `reasons` where it can tell, else from the scalar backend itself (with no derivation recorded:
    only the reason is wanted). `evaluators` keeps one per municipality-year across the rows of a table."""
    if batch.program is None:
        return "not computed"
    r = reasons(batch, measure, scenario)
    if r is not None:
        at = batch.why.get("at")
        if at is None:
            at = batch.why["at"] = ({m: i for i, m in enumerate(batch.municipalities)},
                                    {y: j for j, y in enumerate(batch.years)})
        i, j = at[0].get(muni), at[1].get(year)
        if i is not None and j is not None and r[i, j] is not None:
            return r[i, j]
    return scalar_reason(batch, measure, scenario, muni, year, evaluators)


def scalar_reason(batch: Batch, measure: str, scenario: str, muni: str, year: int,
                  evaluators: dict | None = None) -> str:
    """Why a cell is not computed, from the scalar backend for that municipality-year alone."""
    from benchdsl.evaluate import Evaluator

    evaluators = {} if evaluators is None else evaluators
    ev = evaluators.get((muni, year))
    if ev is None:
        ev = evaluators[(muni, year)] = Evaluator(batch.program, batch.values, muni, year)
    fig = ev.measure(measure, scenario, record=False)
    return fig.error.message if fig.error is not None else "not computed"


def cell_reasons(batch: Batch, measure: str, scenario: str, evaluators: dict | None = None) -> list:
    """Why each cell of a figure is not computed, municipality by municipality and year by year
    (row-major, as `figure.ravel()`): the reason where it is not computed, None elsewhere."""
    figure = batch.figures[(measure, scenario)]
    nan = np.isnan(figure)
    if not nan.any():
        return [None] * figure.size
    why = reasons(batch, measure, scenario)
    out = why.ravel().tolist() if why is not None else [None] * figure.size
    evaluators = {} if evaluators is None else evaluators
    ny = len(batch.years)
    for k in np.flatnonzero(nan.ravel()).tolist():
        if out[k] is None:  # not known on arrays: the scalar backend says why
            m, y = batch.municipalities[k // ny], batch.years[k % ny]
            out[k] = scalar_reason(batch, measure, scenario, m, y, evaluators) if batch.program else "not computed"
    return out


def rows(batch: Batch):
    """The long table: (municipality, year, measure, basis, saving or None, unit, status, reason).

    status: "saving"; "no saving" (at or better than the basis); "not computed" (with the reason).
    """
    signed = {n for n, x in batch.program.measures.items() if x.signed} if batch.program else set()
    evaluators: dict = {}  # one per municipality-year whose reason `reasons` cannot tell
    places = [(m, y) for m in batch.municipalities for y in batch.years]
    for (measure, basis), values in batch.figures.items():
        unit = batch.units[measure]
        shown_below = measure in signed  # a signed measure shows how far below the basis
        why = cell_reasons(batch, measure, basis, evaluators)
        for (m, y), v, r in zip(places, values.ravel().tolist(), why):
            if v != v:  # NaN
                yield m, y, measure, basis, None, unit, "not computed", r
            elif v > 0:
                yield m, y, measure, basis, v, unit, "saving", ""
            else:
                yield m, y, measure, basis, v if shown_below else None, unit, "no saving", ""
