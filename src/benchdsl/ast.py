"""The syntax tree of a `.bench` file: frozen attrs nodes, no logic.

Every node carries a `Span` that is excluded from equality, so two trees that
differ only in layout compare equal (the formatter's round-trip test relies on
it).
"""

from __future__ import annotations

import attrs

from benchdsl.span import Span  # noqa: F401 -- a node's position; re-exported


def _span():
    return attrs.field(eq=False, repr=False, default=None)


# --- expressions -----------------------------------------------------------


@attrs.frozen
class UnitSpec:
    text: str
    span: Span | None = _span()


@attrs.frozen
class Quantity:
    value: float
    text: str
    unit: UnitSpec | None
    span: Span | None = _span()


@attrs.frozen
class Ref:
    path: tuple[str, ...]
    span: Span | None = _span()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class OwnRef:
    span: Span | None = _span()


AT_YEAR = "@"  # the name of the call `x@2006` is parsed into: no call written by hand has it


@attrs.frozen
class Call:
    name: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen
class BinOp:
    op: str  # one of + - * /
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Neg:
    operand: Expr
    span: Span | None = _span()


Expr = Quantity | Ref | OwnRef | Call | BinOp | Neg


# --- published values ------------------------------------------------------


@attrs.frozen
class PubNone:
    """A dash in the table: the report claims there is no saving."""

    span: Span | None = _span()


@attrs.frozen
class PubNumber:
    value: float
    decimals: int
    qualifier: str | None  # the word of the scale before it, as looked up ("om lag", "vel"); None: exact
    unit: UnitSpec | None
    tolerance: float | None
    text: str
    span: Span | None = _span()


@attrs.frozen
class PubRange:
    low: float
    high: float
    decimals: int
    unit: UnitSpec | None
    text: str
    span: Span | None = _span()


@attrs.frozen
class PubName:
    name: str
    span: Span | None = _span()


@attrs.frozen
class PubWords:
    """A comparative phrase alone (`= noe over`): the figure lies in the range the scale gives it."""

    words: str  # as looked up in the scale: lower case, single spaces
    text: str  # as written
    span: Span | None = _span()


@attrs.frozen
class PubBlank:
    """A cell of a year table left empty (`: , , 3.5, 1.7`): the report prints no value there."""

    span: Span | None = _span()


Published = PubNone | PubNumber | PubRange | PubName | PubWords


# --- declarations ----------------------------------------------------------


@attrs.frozen
class Repeated:
    """A block field given a second time (`check` reports it, naming the first)."""

    field: str  # as the analyst writes it: "saving", "unit", "=" ...
    first: Span | None
    span: Span | None = _span()


@attrs.frozen
class Municipality:
    name: str
    code: str | None
    span: Span | None = _span()


@attrs.frozen
class Group:
    name: str
    members: tuple[Expr, ...]
    span: Span | None = _span()
    # each member's `from YYYY` and `until YYYY` as written (None: no limit); () when no member has any
    years: tuple[tuple[Quantity | None, Quantity | None], ...] = ()
    source: GroupFile | None = None  # `group K13 from "FILE" code "EKG13"`: the members are the file's


@attrs.frozen
class GroupFile:
    """Where a group's members come from: a KLASS classification file and the group's code in it."""

    path: str  # as written, relative to the rule file
    code: str
    span: Span | None = _span()  # the file's name in the rules
    code_span: Span | None = _span()


@attrs.frozen
class Own:
    name: str
    year: Quantity  # the number as written; `check` makes sure it is a year
    span: Span | None = _span()


@attrs.frozen
class UnitDecl:
    """`unit loan "utlån", "lån"`: a counted unit of the rules' own (or more names for a known one)."""

    name: str
    aliases: tuple[str, ...]
    span: Span | None = _span()


@attrs.frozen
class Panel:
    path: str
    mapping: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Basis:
    name: str
    title: str | None
    expr: Expr
    span: Span | None = _span()


@attrs.frozen
class Indicator:
    name: str
    title: str | None
    unit: UnitSpec | None
    better: str | None  # "lower" | "higher" | None
    source: str | None
    formula: Expr | None
    notes: tuple[str, ...]
    span: Span | None = _span()
    repeated: tuple[Repeated, ...] = ()


@attrs.frozen
class Let:
    name: str
    expr: Expr
    span: Span | None = _span()


@attrs.frozen
class Adjust:
    indicator: str
    amount: Expr
    reason: str
    span: Span | None = _span()


@attrs.frozen
class Claim:
    name: str
    label: str
    under: tuple[str, ...]
    expr: Expr
    published: Published
    span: Span | None = _span()


@attrs.frozen
class Measure:
    name: str
    title: str | None
    lets: tuple[Let, ...]
    adjusts: tuple[Adjust, ...]
    saving: Expr | None
    unit: UnitSpec | None
    round: Quantity | None  # the number as written; `check` bounds it
    notes: tuple[str, ...]
    claims: tuple[Claim, ...]
    span: Span | None = _span()
    repeated: tuple[Repeated, ...] = ()
    signed: bool = False  # `signed`: a value below the basis is shown (negative), not "no saving"


@attrs.frozen
class Column:
    name: str
    header: str
    basis: str | None
    span: Span | None = _span()


@attrs.frozen
class Section:
    title: str
    span: Span | None = _span()


@attrs.frozen
class Row:
    name: str
    label: str
    source: str  # a measure, a table whose total this row takes, or (a year table) an indicator
    published: tuple[Published | PubBlank, ...]
    span: Span | None = _span()
    place: str | None = None  # `= x@Bergen`: whose indicator a year table's row reads (None: own)


@attrs.frozen
class Years:
    """`years 2004..2007` in a table: a column per year, as written (`check` bounds them)."""

    first: Quantity
    last: Quantity
    span: Span | None = _span()


@attrs.frozen
class Total:
    name: str
    label: str
    published: tuple[Published, ...]
    span: Span | None = _span()


@attrs.frozen
class Table:
    name: str
    title: str | None
    columns: tuple[Column, ...]
    body: tuple[Section | Row | Total, ...]
    notes: tuple[str, ...]
    span: Span | None = _span()
    years: Years | None = None  # a year table: its columns are these years


@attrs.frozen
class Mark:
    """`mark NAME "label" = (upper - lower)@2007` in a figure: the distance between two series in one year."""

    name: str
    label: str
    upper: str
    lower: str
    year: Quantity
    span: Span | None = _span()


@attrs.frozen
class Figure:
    """`figure NAME "title" { years …, series …, mark … }`: a chart of indicators over years."""

    name: str
    title: str | None
    years: Years | None
    series: tuple[Row, ...]  # `series` lines, read as a year table's rows
    marks: tuple[Mark, ...]
    round: Quantity | None
    notes: tuple[str, ...]
    span: Span | None = _span()
    repeated: tuple[Repeated, ...] = ()


@attrs.frozen
class Known:
    target: tuple[str, ...]
    reason: str
    reconcile: tuple[str, str, Quantity | None] | None = None  # (indicator, municipality, year as written)
    span: Span | None = _span()

    @property
    def name(self) -> str:
        return ".".join(self.target)


@attrs.frozen
class NotComputed:
    """`expect … = not computed`: the figure cannot be computed from the test's panel."""

    span: Span | None = _span()


@attrs.frozen
class Expect:
    """`expect EXPR [under BASIS] = EXPECTED` in a test."""

    expr: Expr
    under: str | None
    expected: Published | NotComputed  # `= -2.5` is a PubNumber below zero
    span: Span | None = _span()


@attrs.frozen
class PanelRow:
    """A line of an inline panel, as written: where it starts in the rule file, and its text."""

    text: str
    line: int = attrs.field(eq=False)  # positions, as a Span's: not part of equality
    column: int = attrs.field(eq=False)


@attrs.frozen
class InlinePanel:
    rows: tuple[PanelRow, ...]
    span: Span | None = _span()


@attrs.frozen
class Test:
    """`test "title" { own …  panel …  expect … }`: the rules on a small panel, and the figures expected."""

    title: str
    owns: tuple[Own, ...]
    panels: tuple[Panel | InlinePanel, ...]
    expects: tuple[Expect, ...]
    notes: tuple[str, ...]
    span: Span | None = _span()


@attrs.frozen
class Reading:
    """`reading NAME "label": TARGET`: another way the report may have computed something.

    `target` is what replaces the rules' own: a `Group` or a `Basis` of that name, or a `Let`
    of measure `measure` (named `saving`: the measure's saving)."""

    name: str
    label: str | None
    target: Group | Basis | Let
    measure: str | None = None
    span: Span | None = _span()

    @property
    def what(self) -> str:
        """What the reading replaces, as written: `group ASSS`, `basis mean_others`, `group_size.gap`."""
        if self.measure is not None:
            return f"{self.measure}.{self.target.name}"
        return f"{'group' if isinstance(self.target, Group) else 'basis'} {self.target.name}"


@attrs.frozen
class Bound:
    """A limit of a word's meaning as written: `-20 %`, `25`, `0.5 pp`."""

    value: float
    text: str
    unit: UnitSpec | None
    span: Span | None = _span()


@attrs.frozen
class Word:
    """`word "noe over" = 0 % to 25 %`: a word of the scale and its meaning (docs/audit.md).

    `low`/`high`: None where the meaning has no limit on that side (`= more than 25 %`); `side`
    is the phrase written before a one-sided limit, for the checker to read."""

    name: str  # as quoted: "noe over", "om lag …"
    low: Bound | None
    high: Bound | None
    text: str  # the meaning as written
    side: str | None = None
    span: Span | None = _span()


Decl = (Municipality | Group | Own | Panel | Basis | Indicator | Measure | Table | Claim | Known | Reading | Test
        | UnitDecl | Word | Figure)


@attrs.frozen
class File:
    path: str
    decls: tuple[Decl, ...]
    span: Span | None = _span()
    broken: tuple[str, ...] = ()  # names of declarations that did not parse
