"""`benchdsl fmt`: one canonical layout for rule files.

The language is line-based, so formatting is per line: the tokens of each line
(from a real parse, so `NOK/user` is known to be a unit and `a / b` a
division) are joined with canonical spacing, indented four spaces per open
brace, and comments are kept where they were.  Formatting never changes the
AST (tested), is idempotent, and only touches files that parse.
"""

from __future__ import annotations

import functools
import re

from lark import Lark, Token

INDENT = "    "
_TIGHT_AFTER = {"(", "[", ".", ".."}
_TIGHT_BEFORE = {",", ":", ")", "]", ".", "(", ".."}
_OPERATORS = {"+", "-", "*", "/", "=", ":", ",", "(", "±", "+-", "..", "under"}


@functools.cache
def _parser() -> Lark:
    return Lark.open_from_package("benchdsl", "grammar.lark", parser="lalr", keep_all_tokens=True,
                                  propagate_positions=True, maybe_placeholders=False)


def format_text(text: str) -> str:
    """The canonical layout of a file that parses (check with parse.parse first)."""
    tree = _parser().parse(text + "\n")
    by_line: dict[int, list[Token]] = {}
    stack = [tree]
    while stack:  # the tokens in text order, without recursion: an expression may be any depth
        node = stack.pop()
        if not isinstance(node, Token):
            stack.extend(reversed(node.children))
        elif node.type != "_NL":
            by_line.setdefault(node.line, []).append(node)
    out: list[str] = []
    depth = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        tokens = by_line.get(lineno)
        if not tokens:
            if stripped.startswith("#"):
                out.append(INDENT * depth + stripped)
            elif not stripped and out and out[-1] != "":
                out.append("")
            continue
        if tokens[0] == "}":
            depth = max(depth - 1, 0)
        code = _join(tokens)
        comment = _trailing_comment(raw, tokens[-1])
        out.append(INDENT * depth + code + (f"  {comment}" if comment else ""))
        depth += sum(1 for t in tokens if t == "{") - sum(1 for t in tokens if t == "}" and t is not tokens[0])
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _trailing_comment(raw: str, last: Token) -> str | None:
    rest = raw[last.end_column - 1:] if last.end_column else ""
    m = re.search(r"#.*$", rest)
    return m.group(0).rstrip() if m else None


def _join(tokens: list[Token]) -> str:
    parts: list[str] = []
    prev: Token | None = None
    for tok in tokens:
        text = _text(tok)
        if prev is not None and _space(prev, tok, parts):
            parts.append(" ")
        parts.append(text)
        prev = tok
    return "".join(parts)


def _text(tok: Token) -> str:
    if tok.type == "UNIT_TEXT":
        return " ".join(str(tok).split())
    if tok.type == "QUALIFIER":
        return " ".join(str(tok).split())
    return str(tok)


def _space(prev: Token, tok: Token, parts: list[str]) -> bool:
    p, t = str(prev), str(tok)
    if p in _TIGHT_AFTER or t in _TIGHT_BEFORE and not (t == "(" and not _is_call(prev)):
        return False
    if p == "[" or t == "]" or tok.type == "UNIT_TEXT" or prev.type == "UNIT_TEXT":
        return False
    if p == "-" and _is_unary(parts):
        return False
    return True


def _is_call(prev: Token) -> bool:
    return prev.type == "NAME"


def _is_unary(parts: list[str]) -> bool:
    """Is the '-' just written a sign (after an operator or at the start) rather than a minus?"""
    before = [x for x in parts[:-1] if x != " "]
    return not before or before[-1] in _OPERATORS
