"""What the checker knows so far, and how it reports: shared by the parts of `check`.

Each part (`names`, `exprs`, `depth`, `measures`, `tables`) reads and fills
this one context; none of them reaches into another's state.
"""

from __future__ import annotations

from benchdsl import ast, ir
from benchdsl.diagnostics import Diagnostic, error


class Context:
    def __init__(self, files: list[ast.File]):
        self.files = files
        self.diags: list[Diagnostic] = []
        # Declarations that did not parse were reported already: stay quiet about their uses.
        self.broken: set[str] = {name for f in files for name in f.broken}
        self.decls: dict[str, ast.Decl] = {}
        self.kind_of: dict[str, str] = {}  # name -> the declaration's keyword: "indicator", "group", ...
        self.municipalities: dict[str, str | None] = {}  # name -> code
        self.groups: dict[str, tuple[str, ...]] = {}
        self.group_years: dict[str, tuple[tuple[str, int | None, int | None], ...]] = {}  # members by year
        self.inputs: list[tuple[str, str]] = []  # files the checked rules depend on: (path, sha256)
        self.tables_read: dict = {}  # path -> (klass.Table or None, its problems): each file read once
        self.own_year: int | None = None
        self.ind_units: dict[str, object] = {}  # indicator -> its unit (a pint quantity)
        self.indicators: dict[str, ir.Indicator] = {}
        self.scenarios: dict[str, ir.Scenario] = {}
        self.measures: dict[str, ir.Measure] = {}
        self.measure_units: dict[str, object] = {}
        self.tables: dict[str, ir.Table] = {}
        self.tests: list = []  # the checked `test` blocks (check/tests.py)
        self.words: dict = {}  # the scale of qualitative words: word -> check.words.Meaning
        self.broken_words: set[str] = set()  # `word` declarations reported as wrong: quiet about their uses
        self.too_deep: set[int] = set()  # ids of expressions reported as too deep: never typed

    def err(self, span, message, hint=None, about: str | None = None) -> None:
        if about is not None and about in self.broken:
            return
        self.diags.append(error(span, message, hint))

    def names_of(self, *kinds: str) -> list[str]:
        return [n for n, k in self.kind_of.items() if k in kinds]

    def is_indicator(self, name: str) -> bool:
        return self.kind_of.get(name) == "indicator"

    def is_municipality(self, name: str) -> bool:
        return self.kind_of.get(name) == "municipality"

    def whole(self, q, what: str, low: int, high: int, example: str | None = None) -> int | None:
        """A number the language counts with (a year, a rank, decimals): whole and within bounds."""
        if isinstance(q, ast.Quantity) and q.unit is None and low <= q.value <= high and q.value == int(q.value):
            return int(q.value)
        written = source_text(q)
        self.err(getattr(q, "span", None), f"{what} must be a whole number from {low} to {high}, not {written}",
                 f"for example: {example}" if example else None)
        return None


def article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def source_text(e) -> str:
    """An expression as the rules wrote it (near enough for messages and a basis's name)."""
    if isinstance(e, ast.Quantity):
        return e.text + (f" {e.unit.text}" if e.unit else "")
    if isinstance(e, ast.Ref):
        return e.name
    if isinstance(e, ast.OwnRef):
        return "own"
    if isinstance(e, ast.Neg):
        return f"-{source_text(e.operand)}"
    if isinstance(e, ast.BinOp):
        return f"{source_text(e.left)} {e.op} {source_text(e.right)}"
    if isinstance(e, ast.Call) and e.name == ast.AT_YEAR:
        return f"{source_text(e.args[0])}@{source_text(e.args[1])}"
    if isinstance(e, ast.Call):
        return f"{e.name}({', '.join(source_text(a) for a in e.args)})"
    return "?"
