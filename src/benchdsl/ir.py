"""The checked program: names resolved, units reduced to float factors.

`check` turns the AST into these nodes; the kernel runs them, on floats or arrays.
Nothing here refers to pint, so a checked program is kept between runs as JSON
(`cache`, `safejson`) and loads without importing pint or lark.  `walk` is the one
traversal of expressions.
"""

from __future__ import annotations

import enum

import attrs

from benchdsl.span import Span

# --- expressions: every node knows its unit (as text) --------------------


@attrs.frozen
class Const:
    value: float
    unit: str
    text: str
    span: Span | None = None


@attrs.frozen
class OwnVal:
    """The value of an indicator for the municipality being evaluated."""

    indicator: str
    unit: str
    span: Span | None = None


@attrs.frozen
class MemberSet:
    """A set of municipalities; `own` is excluded or included when evaluated."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    exclude_own: bool = False
    include_own: bool = False
    text: str = ""
    # members only in some years: (municipality, first year or None, last year or None); a member may
    # have several periods (a KOSTRA group read from a KLASS file), and counts in any of them
    years: tuple[tuple[str, int | None, int | None], ...] = ()

    def members(self, own: str) -> tuple[str, ...]:
        out = [m for m in self.include if m not in self.exclude and not (self.exclude_own and m == own)]
        if self.include_own and own not in out:
            out.append(own)
        return tuple(out)


@attrs.frozen
class Mean:
    group: MemberSet
    text: str = ""


@attrs.frozen
class WMean:
    """A mean weighted by another indicator (population, users, ...)."""

    group: MemberSet
    weight: str
    text: str = ""


@attrs.frozen
class Best:
    k: int
    group: MemberSet
    text: str = ""


@attrs.frozen
class Peer:
    name: str
    text: str = ""


@attrs.frozen
class Year:
    year: int
    text: str = ""


@attrs.frozen
class Literal:
    value: float  # in the indicator's unit
    text: str = ""


@attrs.frozen
class NeedMean:
    """needmean(GROUP, INDEX): the own index × the mean of the members' value ÷ index (need-adjusted)."""

    group: MemberSet
    index: str  # a dimensionless indicator: the expenditure-need index (DKI), 1.0 = national average
    text: str = ""


Policy = Mean | WMean | Best | Peer | Year | Literal | NeedMean


@attrs.frozen
class BasisVal:
    indicator: str
    policy: Policy | None  # None: the scenario's basis
    unit: str
    span: Span | None = None


@attrs.frozen
class PeerOf:
    indicator: str
    policy: Policy | None
    unit: str = "municipality"
    span: Span | None = None


@attrs.frozen
class Gap:
    """own - basis when lower is better, basis - own when higher is better."""

    indicator: str
    policy: Policy | None
    unit: str
    span: Span | None = None


@attrs.frozen
class LetRef:
    name: str
    unit: str
    span: Span | None = None


@attrs.frozen
class SavingRef:
    measure: str
    unit: str
    span: Span | None = None


@attrs.frozen
class CellRef:
    table: str
    row: str
    column: str
    unit: str
    span: Span | None = None


@attrs.frozen
class Arith:
    op: str
    left: Expr
    right: Expr
    right_factor: float  # converts right into left's unit for + and -
    unit: str
    span: Span | None = None


@attrs.frozen
class Neg:
    operand: Expr
    unit: str
    span: Span | None = None


@attrs.frozen
class Extreme:
    op: str  # "max" | "min"
    args: tuple[Expr, ...]
    factors: tuple[float, ...]
    unit: str
    span: Span | None = None


@attrs.frozen
class AtYear:
    """An expression's value in a given year: `x@2006`, `basis(x, Bergen)@2006`."""

    operand: Expr
    year: int
    unit: str
    span: Span | None = None


@attrs.frozen
class Growth:
    """Growth from year `start` to year `end`, as a fraction (dimensionless), minus nothing yet:

    of levels (`rates` false): operand@end / operand@start; of annual rates: the product of
    (1 + operand@y × factor) for y = start+1 … end, a rate written for year y being the growth from
    y-1 to y (`factor` turns it into a fraction: 0.01 for %).  With a deflator (annual rates), that
    ratio divided by the product of (1 + deflator@y × deflator_factor) over the same years;
    `annual`: the ratio's geometric average per year, ratio^(1 / (end - start)).  The value is the
    ratio minus 1.
    """

    rates: bool
    operand: Expr
    factor: float
    start: int
    end: int
    deflator: Expr | None
    deflator_factor: float
    annual: bool
    unit: str
    text: str = ""
    span: Span | None = None


Expr = Const | OwnVal | BasisVal | PeerOf | Gap | LetRef | SavingRef | CellRef | Arith | Neg | Extreme | AtYear | Growth


@attrs.frozen
class Scaled:
    """An expression and the factor that converts it into a target unit."""

    expr: Expr
    factor: float
    unit: str  # the target unit


# --- declarations ----------------------------------------------------------


@attrs.frozen
class Indicator:
    name: str
    title: str
    unit: str
    better: str | None
    source: str | None
    formula: Scaled | None
    notes: tuple[str, ...]
    span: Span | None = None


@attrs.frozen
class Scenario:
    name: str
    title: str
    policy: Policy
    span: Span | None = None


@attrs.frozen
class Adjust:
    indicator: str
    amount: Scaled  # in the indicator's unit
    reason: str
    span: Span | None = None


@attrs.frozen
class Measure:
    name: str
    title: str
    lets: tuple[tuple[str, Expr], ...]
    adjusts: tuple[Adjust, ...]
    saving: Scaled
    round: int
    notes: tuple[str, ...]
    indicators: tuple[str, ...]  # every indicator it reads, for explain
    span: Span | None = None
    signed: bool = False  # a value at or below the basis is kept (0 or negative), not "no saving"

    @property
    def let_nodes(self) -> dict:
        return dict(self.lets)


class Form(enum.StrEnum):
    """The forms of a published value; what each means is in `benchdsl.published`."""

    NONE = "none"  # a dash: no saving
    NUMBER = "number"
    RANGE = "range"
    NAME = "name"  # a municipality
    WORD = "word"  # a comparative phrase alone ("noe over"): a range from the scale of words


# where a word of the scale has its meaning when no `word` declaration gives one (`PubValue.meaning_from`)
DEFAULT_MEANING = "default"

@attrs.frozen
class PubValue:
    kind: Form = attrs.field(converter=Form)
    value: float | None = None
    high: float | None = None
    decimals: int = 0
    qualifier: str | None = None
    tolerance: float | None = None
    name: str | None = None
    text: str = ""
    span: Span | None = None
    # A word of the scale (docs/audit.md, "Qualitative words"), before the number or alone: the word,
    # its meaning as the scale writes it, and where that meaning comes from ("default", or the
    # `word` declaration's file:line).  `offsets`: a number's limits the word gives, (below, above)
    # as signed amounts in the published unit (±inf: none that side), ± included, before the
    # printed precision's half unit.  A phrase alone keeps its range in `value`..`high`.
    word: str = ""
    meaning: str = ""
    meaning_from: str = ""
    offsets: tuple[float, float] | None = None


@attrs.frozen
class Claim:
    name: str  # the audit item's name, scenario included
    label: str
    measure: str | None
    scenario: str | None
    expr: Scaled | Expr  # Scaled into the published unit, or a PeerOf
    published: PubValue
    span: Span | None = None


@attrs.frozen
class Column:
    name: str
    header: str
    scenario: str | None
    year: int | None = None  # a year table's column: its rows read their indicator in this year


class RowKind(enum.StrEnum):
    MEASURE = "measure"  # a measure's saving, under each column's basis
    TABLE = "table"  # another table's totals
    TOTAL = "total"  # the rows above added, as the table shows them
    SECTION = "section"  # a heading: no figures
    SERIES = "series"  # a year table's row: an indicator of a municipality in each column's year


SUMMED_ROWS = (RowKind.MEASURE, RowKind.TABLE)  # the rows a total adds


@attrs.frozen
class Row:
    name: str
    label: str
    kind: RowKind = attrs.field(converter=RowKind)
    source: str | None
    published: tuple[PubValue | None, ...]  # None: a year table's cell the report leaves empty
    span: Span | None = None
    # A series row has its own unit and printed precision, and per column the cell's expression
    # (the indicator at the row's place, in the column's year) or None where the cell is empty.
    unit: str = ""
    decimals: int = 0
    cells: tuple[Scaled | None, ...] = ()

    def blank(self, ci: int) -> bool:
        """Is the cell in column `ci` one the report leaves empty (a year table's row only)?"""
        return self.kind == RowKind.SERIES and self.cells[ci] is None


@attrs.frozen
class ChartMark:
    """A figure's mark: row `row` holds, in `year`, the distance from series `lower` up to series `upper`."""

    row: str
    upper: str
    lower: str
    year: int


@attrs.frozen
class Chart:
    """What makes a year table a figure (`figure` in the rules): its series rows are drawn as lines, and
    each mark's row (the difference of two series in one year, computed as every cell is) as a bracket."""

    marks: tuple[ChartMark, ...] = ()

    def marked(self) -> set[str]:
        return {m.row for m in self.marks}


@attrs.frozen
class Table:
    name: str
    title: str
    unit: str
    decimals: int
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...]
    span: Span | None = None
    chart: Chart | None = None  # a figure: drawn as a line chart by the HTML report

    def shown(self, r: Row) -> tuple[str, int]:
        """A row's unit and printed decimals: the table's; a year table's row's own; a measure's row at
        its measure's `round` (a table of rows with `round 1` and `round 2` shows each as it rounds)."""
        if r.kind == RowKind.SERIES:
            return r.unit, r.decimals
        if r.kind == RowKind.MEASURE:
            return self.unit, r.decimals
        return self.unit, self.decimals


@attrs.frozen
class Known:
    item: str
    reason: str
    span: Span | None = None
    reconcile: tuple[str, str, int | None] | None = None  # solve for this input: (indicator, municipality, year)


@attrs.frozen
class Reading:
    """Another way the report may have computed something, checked as the rules are.

    `what` names what it replaces (`basis mean_others`, `group_size.gap`): readings of the same
    thing are alternatives to each other.  `patch` is the program's parts that the reading
    changes, checked with it in place: {"groups" | "scenarios" | "measures" | "claims": {name: new}}.
    """

    name: str
    label: str
    what: str
    patch: dict
    span: Span | None = None


@attrs.frozen
class Program:
    municipalities: dict[str, str | None]  # name -> code
    groups: dict[str, tuple[str, ...]]
    own: str
    year: int
    own_span: Span | None
    panels: tuple[tuple[str, Span | None, str | None], ...]  # (path, where declared, mapping)
    indicators: dict[str, Indicator]
    scenarios: dict[str, Scenario]
    measures: dict[str, Measure]
    tables: dict[str, Table]
    claims: tuple[Claim, ...]
    known: dict[str, Known]
    files: tuple[str, ...] = ()
    # The rules' own units, ((name, (alias, ...)), ...): in effect (units.declare) whenever a unit
    # text is read for this program, also when it comes from the cache and only data is read
    units: tuple = ()
    readings: tuple[Reading, ...] = ()  # `reading` declarations: what the audit's search varies
    # files the checked program was made from besides the rules (a group's KLASS file): (path, sha256);
    # a kept program is used only while each is unchanged (cache.load_program)
    inputs: tuple[tuple[str, str], ...] = ()


def walk(*nodes):
    """Every expression node under `nodes` (themselves included), without recursion.

    The one traversal of the IR's expressions: what a node reads is found by walking, never by
    a hand-written recursion of its own (a `let` or a formula is not followed: callers decide).
    """
    stack = list(nodes)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Arith):
            stack += [n.left, n.right]
        elif isinstance(n, Neg):
            stack.append(n.operand)
        elif isinstance(n, Extreme):
            stack.extend(n.args)
        elif isinstance(n, Scaled):
            stack.append(n.expr)
        elif isinstance(n, AtYear):
            stack.append(n.operand)
        elif isinstance(n, Growth):
            stack.append(n.operand)
            if n.deflator is not None:
                stack.append(n.deflator)
