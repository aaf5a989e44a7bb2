"""grammar.lark's LALR tables, made once by lark and shipped inside the package; and the
driver that reads a text with them.

Building the LALR parser from grammar.lark takes lark a few hundred
milliseconds.  lark's own `cache=` would keep the tables in a file, but it
unpickles that file before it checks the grammar's hash, so a file planted in
a shared cache folder would run code.  Instead the tables are written once into
`benchdsl/_lalr_tables.py`, as JSON strings (plain data, no classes) together
with the grammar's sha256 and lark's version; at run time they are used when
the grammar's hash matches (and, for lark's own parser, lark's version), and are
otherwise made in memory (never written anywhere).  The package's own folder
cannot be planted by another user.  JSON strings rather than Python literals
because compiling ~200 KB of nested literals takes ~40 ms wherever no bytecode
cache is written, while decoding a string takes a few.

Two tables ship:

- `TABLES`: lark's own serialised parser.  lark reads a text that does not
  parse, to say what is wrong with it (`syntax_errors`), and `fmt` and the tests
  use lark.
- `DRIVER`: the same LALR automaton and contextual lexer, taken out of lark as
  plain data (`driver_tables`): for each parser state, the regex of the
  terminals it accepts, in lark's order, the keywords lark would find inside a
  name there, what each terminal shifts or reduces; for each rule, which
  children lark's tree builder keeps.  `Driver` runs them in one loop that
  builds benchdsl's AST as each rule is reduced, with the positions lark's
  `propagate_positions` gives; it neither imports lark nor makes lark's trees,
  and parses several times faster.  It only recognises: on a syntax error it
  returns None, and lark says what is wrong (tests/test_parse_driver.py checks
  that both read every text alike, to the last span).

Regenerate after editing grammar.lark or upgrading lark:

    .venv/bin/python -m benchdsl.lalr

(tests/test_lalr.py fails, with this command in its message, when they are stale).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from importlib import resources
from pathlib import Path

OPTIONS = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
MODULE = Path(__file__).with_name("_lalr_tables.py")
REGENERATE = ".venv/bin/python -m benchdsl.lalr"

# Options lark records that name where the grammar came from; they hold objects,
# not literals, and play no part once the tables are built.
_WHERE_FROM = ("import_paths", "source_path")


@functools.cache
def grammar_sha256() -> str:
    return hashlib.sha256(resources.files("benchdsl").joinpath("grammar.lark").read_bytes()).hexdigest()


def build():
    """The parser built from grammar.lark, in memory."""
    from lark import Lark

    return Lark.open_from_package("benchdsl", "grammar.lark", **OPTIONS)


def tables(lark) -> tuple[dict, dict]:
    """lark's serialised tables (what lark's standalone tool writes), as plain literals."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = lark.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _WHERE_FROM}
    return data, memo


def parser():
    """lark's parser: the shipped tables when they were made from this grammar by this lark, else a fresh build."""
    from lark import Lark
    from lark import __version__ as lark_version

    try:
        from benchdsl import _lalr_tables as shipped
    except ImportError:
        return build()
    if shipped.GRAMMAR_SHA256 != grammar_sha256() or shipped.LARK_VERSION != lark_version:
        return build()
    from benchdsl.safejson import PLAIN

    tables = PLAIN.loads(shipped.TABLES)
    return Lark._load_from_dict(tables["data"], tables["memo"])


# --- the driver's tables

# How a rule's reduction shapes its children, as lark's tree builder does:
BUILD = 0  # a node: the builder's method of the rule's name (or alias) is called
INLINE = 1  # `_rule`: its children are spliced into its parent's
PASS = 2  # `?rule` with one child kept: that child stands for the rule


def driver_tables(lark) -> dict:
    """lark's LALR automaton and contextual lexer for `lark`, as plain data for `Driver`."""
    from lark.lexer import ContextualLexer, PatternStr, UnlessCallback
    from lark.parsers.lalr_analysis import Shift

    frontend = lark.parser
    lexer = frontend.lexer
    if not isinstance(lexer, ContextualLexer) or lark.options.postlex or lark.options.lexer_callbacks:
        raise ValueError("the driver runs lark's contextual lexer only")
    if lark.options.maybe_placeholders or lark.options.regex:
        raise ValueError("the driver runs without placeholders, on the re module")
    table = frontend.parser.parser.parse_table
    rules, rule_index = [], {}
    for rule in lark.rules:
        opts = rule.options
        if opts.empty_indices and lark.options.maybe_placeholders:
            raise ValueError(f"rule {rule}: placeholders are not supported")
        name = str(rule.alias or opts.template_source or rule.origin.name)  # lark's are Tokens: plain text here
        kind = INLINE if name.startswith("_") else PASS if opts.expand1 and not rule.alias else BUILD
        keep = [[i, not s.is_term and s.name.startswith("_")] for i, s in enumerate(rule.expansion)
                if opts.keep_all_tokens or not (s.is_term and s.filter_out)]
        rule_index[rule] = len(rules)
        rules.append([str(rule.origin.name), name, len(rule.expansion), kind, keep])
    kept = sorted({str(s.name) for r in lark.rules for s in r.expansion
                   if s.is_term and (r.options.keep_all_tokens or not s.filter_out)})
    lexers, lexer_index, states = [], {}, []
    if sorted(table.states) != list(range(len(table.states))):
        raise ValueError("parser states numbered 0, 1, ... expected")
    for state in range(len(table.states)):
        basic = lexer.lexers[state]
        if id(basic) not in lexer_index:
            scanner = basic.scanner
            if len(scanner._mres) != 1:
                raise ValueError("one regex per lexer state expected")
            unless = {}
            for t, cb in basic.callback.items():
                if not isinstance(cb, UnlessCallback) or not all(
                        isinstance(k.pattern, PatternStr) and not k.pattern.flags for k in cb.scanner.terminals):
                    raise ValueError(f"lexer callback for {t} is not supported")
                unless[t] = {k.pattern.value: k.name for k in cb.scanner.terminals}
            mre = scanner._mres[0]
            lexer_index[id(basic)] = len(lexers)
            lexers.append([mre.pattern, mre.flags & ~re.UNICODE, sorted(basic.ignore_types),
                           sorted(basic.newline_types), unless])
        shifts, reduces = {}, {}
        for sym, (action, arg) in table.states[state].items():
            if action is Shift:
                shifts[str(sym)] = arg
            else:
                reduces[str(sym)] = rule_index[arg]
        states.append([lexer_index[id(basic)], shifts, reduces])
    return {"start": table.start_states["start"], "end": table.end_states["start"], "kept": kept,
            "rules": rules, "lexers": lexers, "states": states}


@functools.cache
def driver() -> Driver:
    """The driver over the shipped tables when they were made from this grammar, else tables made now."""
    try:
        from benchdsl import _lalr_tables as shipped
    except ImportError:
        shipped = None
    if shipped is not None and shipped.GRAMMAR_SHA256 == grammar_sha256() and hasattr(shipped, "DRIVER"):
        return Driver(json.loads(shipped.DRIVER))
    return Driver(driver_tables(build()))


class Driver:
    """Reads a text as lark's LALR parser with its contextual lexer does, building as it goes.

    The same regex for each parser state, the same keywords, the same line
    counting (only "\\n" ends a line) and the same parse table.  It shapes what it
    reads as lark's tree builder would (anonymous tokens dropped, `_rule`s spliced
    in, a `?rule` with one child passed through), but makes no trees: the
    builder's method for a rule is called as the rule is reduced, with the
    position of the text it covers as `propagate_positions` computes it — from the
    first to the last token under the rule, dropped ones included, so parentheses
    around a passed-through child count for its parent — and the children kept.
    A kept token is a `Tok`.  On a syntax error `parse` returns None.
    """

    def __init__(self, tables: dict):
        self.start, self.end = tables["start"], tables["end"]
        kept = frozenset(tables["kept"])
        lexers = []
        for pattern, flags, ignore, newline, unless in tables["lexers"]:
            ignore, newline = frozenset(ignore), frozenset(newline)
            # An ignored terminal without a line end in it (blanks, a comment) is skipped
            # with no position to keep; one with a line end moves the line.
            lexers.append((re.compile(pattern, flags).match, ignore - newline, ignore, newline, unless, kept))
        reductions = []
        for origin, name, size, kind, keep in tables["rules"]:
            keep = tuple((i, bool(inline)) for i, inline in keep)
            if kind != BUILD and size == 1 and keep == ((0, False),):
                reductions.append(origin)  # the child's value and position stand for the rule's: a new state only
            else:
                reductions.append((size, origin, keep, kind, name, len(keep) == size and not any(x for _, x in keep)))
        self.states = []
        for lexer, shifts, reduces in tables["states"]:
            actions = dict(shifts)
            actions.update({t: reductions[r] for t, r in reduces.items()})
            self.states.append((lexers[lexer], actions))
        self.names = sorted({r[4] for r in reductions if type(r) is tuple and r[3] != INLINE})

    def parse(self, text: str, build, line: int = 1):
        """What `build`'s method for the start rule returned, or None when `text` does not parse.

        Lines are numbered from `line`."""
        handlers = {name: getattr(build, name, None) for name in self.names}
        states, end_state = self.states, self.end
        # (state, value, position) triples in one flat list: a reduction takes its
        # children with one slice.  A position is (line, column, end line, end column)
        # of the text under the value, or None for a rule of no text.
        stack: list = [self.start, None, None]
        pos, line_start, n = 0, 0, len(text)
        while True:
            (match, skip, ignore, newline, unless, kept), actions = states[stack[-3]]
            while True:  # the next token that is not ignored
                if pos >= n:
                    typ = "$END"
                    break
                m = match(text, pos)
                if m is None:
                    return None
                typ = m.lastgroup
                if typ in skip:
                    pos = m.end()
                    continue
                start, start_line, column = pos, line, pos - line_start + 1
                pos = m.end()
                if typ in newline:
                    count = text.count("\n", start, pos)
                    if count:
                        line += count
                        line_start = text.rindex("\n", start, pos) + 1
                if typ in ignore:
                    continue
                if typ in unless:  # a keyword, where a keyword may stand
                    typ = unless[typ].get(m.group(), typ)
                break
            while True:
                a = actions.get(typ)
                if a is None:
                    return None
                kind = a.__class__
                if kind is int:  # shift
                    if typ == "$END":
                        return None
                    break
                if kind is str:  # a passed-through rule of one child: a new state only
                    goto = states[stack[-6]][1][a]
                    stack[-3] = goto
                    actions = states[goto][1]
                    continue
                size, origin, keep, kind, name, whole = a
                if size:
                    first = -3 * size
                    kids = stack[first + 1 :: 3]
                    where = stack[first + 2 :: 3]
                    del stack[first:]
                    head = tail = None
                    for p in where:
                        if p is not None:
                            head = p
                            break
                    for p in reversed(where):
                        if p is not None:
                            tail = p
                            break
                    span = None if head is None else (head[0], head[1], tail[2], tail[3])
                else:
                    kids, span = [], None
                if whole:
                    children = kids
                else:
                    children = []
                    for i, inline in keep:
                        kid = kids[i]
                        if inline and kid.__class__ is list:  # a `_rule`'s children (builders make no lists)
                            children += kid
                        else:
                            children.append(kid)
                if kind == BUILD:
                    value = handlers[name](span, children)
                elif kind == INLINE:
                    value = children
                elif len(children) == 1:
                    value = children[0]
                    if value.__class__ is Tok:  # lark's position of a token passed through is its own
                        span = (value.line, value.column, value.end_line, value.end_column)
                else:
                    value = handlers[name](span, children)
                goto = states[stack[-3]][1][origin]
                if goto == end_state and typ == "$END":
                    return value
                stack += (goto, value, span)
                actions = states[goto][1]
            end = (start_line, column, line, pos - line_start + 1)
            stack += (a, Tok(typ, m.group(), *end) if typ in kept else None, end)


class Tok(tuple):
    """A token the grammar keeps (a name, a number, a text, a unit): its terminal, text and position."""

    __slots__ = ()

    def __new__(cls, type: str, text: str, line: int, column: int, end_line: int, end_column: int):
        return tuple.__new__(cls, (type, text, line, column, end_line, end_column))

    type = property(lambda self: self[0])
    text = property(lambda self: self[1])
    line = property(lambda self: self[2])
    column = property(lambda self: self[3])
    end_line = property(lambda self: self[4])
    end_column = property(lambda self: self[5])

    def __str__(self) -> str:
        return self[1]


def module_text() -> str:
    from lark import __version__ as lark_version

    from benchdsl.safejson import PLAIN

    lark = build()
    data, memo = tables(lark)
    return (
        '"""grammar.lark\'s LALR tables (see benchdsl.lalr).  Generated by\n'
        f'`{REGENERATE}`; do not edit."""\n\n'
        f"GRAMMAR_SHA256 = {grammar_sha256()!r}\n"
        f"LARK_VERSION = {lark_version!r}\n\n"
        f"TABLES = (\n{_lines(PLAIN.dumps({'data': data, 'memo': memo}))}\n)\n\n"
        f"DRIVER = (\n{_lines(json.dumps(driver_tables(lark), separators=(',', ':'), sort_keys=True))}\n)\n"
    )


def _lines(text: str) -> str:
    return "\n".join(f"    {text[i:i + 100]!r}" for i in range(0, len(text), 100))


def main() -> int:
    from benchdsl.files import write_atomic

    write_atomic(str(MODULE), module_text())
    print(f"wrote {MODULE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
