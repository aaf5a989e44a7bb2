"""What may be written at the cursor: keywords where a declaration or field starts, names where a name goes.

Read off the text before the cursor (the line being typed seldom parses);
the declared names come from the last check's index.
"""

from __future__ import annotations

import re

import attrs

from benchdsl.lsp.symbols import STRING_OR_COMMENT, Index, blank
from benchdsl.lexicon import BASES as POLICIES
from benchdsl.lexicon import DECLARATIONS as DECL_KEYWORDS
from benchdsl.lexicon import FIELDS
from benchdsl.lexicon import FUNCTIONS as BUILTINS

_NAME = r"[^\W\d]\w*"
VALUES = ("indicator", "let", "measure")  # what an expression reads


@attrs.frozen
class Item:
    label: str
    kind: str  # a symbol kind, "keyword", "function" or "let"
    detail: str = ""


def complete(index: Index, lines: list[str], line: int, column: int) -> list[Item]:
    """Completions at a 0-based line and column (in characters)."""
    text = lines[line] if line < len(lines) else ""
    if _in_text(text[:column]):
        return []
    before = blank(text[:column])  # labels and comments are no context
    block, measure = _enclosing(lines, line)
    word = re.search(rf"{_NAME}$", before)
    head = before[: word.start()] if word else before
    dotted = re.search(rf"({_NAME}(?:\.{_NAME})*)\.$", head)
    if dotted:
        return _members(index, dotted.group(1).split("."))
    if not head.strip():  # the first word of a line
        return [Item(k, "keyword") for k in (FIELDS.get(block, ()) if block else DECL_KEYWORDS) if k != "="]
    stripped = head.rstrip()
    first = head.split()[0]
    if first == "better" and block == "indicator":
        return [Item("lower", "keyword"), Item("higher", "keyword")]
    if first == "own" and len(head.split()) == 1:
        return _names(index, "municipality")
    if first in ("municipality", "own", "unit", "note", "source", "section", "panel", "round", "better"):
        return []
    if first == "adjust" and len(head.split()) == 1:
        return _names(index, "indicator")
    if re.search(rf"\bunder\s+(?:{_NAME}\s*,\s*)*$", head):
        return _names(index, "basis")
    if first == "column" and stripped.endswith("="):
        return _names(index, "basis")
    if first == "row" and stripped.endswith("="):
        return _names(index, "measure", "table")
    if first == "known":
        return _names(index, "table", "measure", "claim")
    if first == "reconcile" or re.search(r"\breconcile\s+$", head):
        return _names(index, "indicator")
    if re.search(rf"\breconcile\s+{_NAME}\s+$", head):
        return _names(index, "municipality")
    if first == "group" or re.search(r"\b(mean|wmean|best)\s*\([^()]*$", head):
        return _names(index, "municipality", "group") + [Item("own", "keyword")]
    if first == "basis":
        return ([Item(p, "function") for p in POLICIES] + _names(index, "municipality"))
    out = [Item(f, "function") for f in BUILTINS]
    out += _names(index, "indicator")
    if measure:
        out += [Item(s.name, "let", _detail(s)) for s in index.of_kind("let") if s.key[1].startswith(measure + ".")]
    if first == "claim" and ":" in head:
        out += _names(index, "measure", "table", "municipality") + [Item("saving", "keyword")]
        out += [Item(p, "function") for p in POLICIES]
    elif re.search(r"\b(basis|gap|peer)\s*\([^()]*,\s*$", head):
        out = [Item(p, "function") for p in POLICIES] + _names(index, "municipality")
    return out


def _in_text(before: str) -> bool:
    """Is the end of `before` inside a string or a comment?"""
    last = None
    for last in STRING_OR_COMMENT.finditer(before):
        pass
    if last is None or last.end() != len(before):
        return False
    found = last.group()
    return found.startswith("#") or len(found) == 1 or not found.endswith('"')


def _names(index: Index, *kinds: str) -> list[Item]:
    return [Item(s.key[1], s.kind, _detail(s)) for s in index.of_kind(*kinds)]


def _detail(s) -> str:
    return getattr(s.node, "title", None) or getattr(s.node, "label", None) or s.kind


def _members(index: Index, parts: list[str]) -> list[Item]:
    """After `T4.`, `T4.row.` or `measure.`: rows, columns, claims."""
    head = parts[0]
    kind = index.kinds.get(head)
    if kind == "table" and len(parts) == 1:
        return [Item(s.name, "row", _detail(s)) for s in index.of_kind("row") if s.key[1].startswith(head + ".")]
    if kind == "table" and len(parts) == 2:
        return [Item(s.name, "column", _detail(s)) for s in index.of_kind("column") if s.key[1].startswith(head + ".")]
    if kind == "measure" and len(parts) == 1:
        return [Item(s.name, "claim", _detail(s)) for s in index.of_kind("claim") if s.key[1].startswith(head + ".")]
    if kind == "measure" or ("claim", head) in index.symbols:
        return _names(index, "basis")
    return []


def _enclosing(lines: list[str], line: int) -> tuple[str | None, str | None]:
    """The block the line is in (indicator, measure, table or None) and the measure's name."""
    block = name = None
    for i in range(min(line, len(lines))):
        code = blank(lines[i])
        m = re.match(rf"\s*(indicator|measure|table)\s+({_NAME})", code)
        if m and "{" in code:
            block, name = m.group(1), m.group(2)
        if "}" in code and not (m and code.rindex("}") < code.rindex("{")):
            block = name = None
    return block, (name if block == "measure" else None)
