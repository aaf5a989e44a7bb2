"""`benchdsl fmt`: one canonical layout for rule files.

The language is line-based, so formatting is per line: the tokens of each line
(from a real parse, so `NOK/user` is known to be a unit and `a / b` a
division) are joined with canonical spacing, indented four spaces per open
brace, and comments are kept where they were.  Formatting never changes the
AST (tested), is idempotent, and only touches files that parse.
"""

from __future__ import annotations

import bisect
import functools
import re

from lark import Lark, Token

from benchdsl.diagnostics import split_lines

INDENT = "    "
_TIGHT_AFTER = {"(", "[", ".", "..", "@"}
_TIGHT_BEFORE = {",", ":", ")", "]", ".", "(", "..", "@"}
_OPERATORS = {"+", "-", "*", "/", "=", ":", ",", "(", "±", "+-", "..", "under"}


@functools.cache
def _parser() -> Lark:
    return Lark.open_from_package("benchdsl", "grammar.lark", parser="lalr", keep_all_tokens=True,
                                  propagate_positions=True, maybe_placeholders=False)


# What the grammar skips between tokens; other white space (U+2028, U+0085) only
# occurs inside strings and comments, and stays there.
_BLANK = " \t\f"


class FormatError(ValueError):
    """A text `parse` reads declaration by declaration but the formatter cannot lay out whole."""


def format_text(text: str) -> str:
    """The canonical layout of a file that parses (check with parse.parse first).

    Lines are lark's lines (only "\n" ends one: `diagnostics.split_lines`), so a
    form feed, U+2028 or U+0085 in a comment or string never moves a token.
    Raises FormatError, and changes nothing, where it cannot read the file whole.
    """
    from lark.exceptions import UnexpectedInput

    try:
        return _format(text)
    except UnexpectedInput:
        raise FormatError("cannot lay out this file as a whole (it has lone carriage returns as line ends?)") from None


def _format(text: str) -> str:
    text = _lone_cr_as_newline(text)
    by_line: dict[int, list[Token]] = {}
    for tok in _tokens(text):
        if tok.type != "_NL":
            by_line.setdefault(tok.line, []).append(tok)
    out: list[str] = []
    depth = 0
    for lineno, raw in enumerate(split_lines(text), 1):
        stripped = raw.strip(_BLANK)
        tokens = by_line.get(lineno)
        if not tokens:
            if stripped:  # a comment (kept whatever it says)
                out.append(INDENT * depth + stripped)
            elif out and out[-1] != "":
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


def _tokens(text: str) -> list[Token]:
    """The tokens in text order, without recursion: an expression may be any depth."""
    out, stack = [], [_parser().parse(text + "\n")]
    while stack:
        node = stack.pop()
        if isinstance(node, Token):
            out.append(node)
        else:
            stack.extend(reversed(node.children))
    return out


def _lone_cr_as_newline(text: str) -> str:
    """A lone "\r" ends a declaration as "\n" does, but lark does not count it as a line
    end; outside strings and unit texts it becomes "\n", so that lines are declarations."""
    lone = [m.start() for m in re.finditer(r"\r(?!\n)", text)]
    if not lone:
        return text
    keep = sorted((t.start_pos, t.end_pos) for t in _tokens(text) if t.type != "_NL")
    starts = [a for a, _ in keep]
    chars = list(text)
    for pos in lone:
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0 or not keep[i][0] <= pos < keep[i][1]:
            chars[pos] = "\n"
    return "".join(chars)


def _trailing_comment(raw: str, last: Token) -> str | None:
    rest = raw[last.end_column - 1:] if last.end_column else ""
    m = re.search(r"#.*$", rest)
    return m.group(0).rstrip(_BLANK) if m else None


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
    if tok.type == "UNIT_TEXT":  # `[ ]` (no unit) keeps a blank: `[]` does not parse
        return " ".join(str(tok).split()) or " "
    if tok.type in ("QUALIFIER", "NOT_COMPUTED"):
        return " ".join(str(tok).split())
    if tok.type == "PANEL_ROW":  # a line of an inline panel stays as written, but for the blanks before a comment
        return str(tok).rstrip(_BLANK)
    return str(tok)


def _space(prev: Token, tok: Token, parts: list[str]) -> bool:
    p, t = str(prev), str(tok)
    if t == "," and p in (":", ","):  # a year table's empty cell: `: , , 3.5, 1.7`
        return True
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
    # a `word` declaration has no arithmetic: each `-` in it is a sign (`more than -20 %`)
    return not before or before[-1] in _OPERATORS or before[0] == "word"
