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
    nullable: set[str] = set()
    while True:  # the rules that may cover no text
        more = {r.origin.name for r in lark.rules if all(not s.is_term and s.name in nullable for s in r.expansion)}
        if more <= nullable:
            break
        nullable |= more
    for rule in lark.rules:
        opts = rule.options
        if opts.empty_indices and lark.options.maybe_placeholders:
            raise ValueError(f"rule {rule}: placeholders are not supported")
        name = str(rule.alias or opts.template_source or rule.origin.name)  # lark's are Tokens: plain text here
        kind = INLINE if name.startswith("_") else PASS if opts.expand1 and not rule.alias else BUILD
        keep = [[i, not s.is_term and s.name.startswith("_")] for i, s in enumerate(rule.expansion)
                if opts.keep_all_tokens or not (s.is_term and s.filter_out)]
        rule_index[rule] = len(rules)
        # whether a child may be a rule of no text (its position is none): else the rule's text
        # runs from its first child's to its last's
        gaps = any(not s.is_term and s.name in nullable for s in rule.expansion)
        rules.append([str(rule.origin.name), name, len(rule.expansion), kind, keep, gaps])
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
            pattern, blanks = mre.pattern, False
            skipped = [t for t in scanner.terminals if t.name in basic.ignore_types - basic.newline_types]
            if [t.pattern.to_regexp() for t in skipped] == [_BLANKS] and not any(
                    _may_start_with_blank(t.pattern.to_regexp()) for t in scanner.terminals if t not in skipped):
                # Blanks between tokens are skipped by the token's own match: where no other
                # terminal can start with a blank, lark matches the blanks alone, then the token.
                pattern, blanks = f"(?:{_BLANKS})?+(?:{pattern})", True
            lexer_index[id(basic)] = len(lexers)
            lexers.append([pattern, mre.flags & ~re.UNICODE, blanks, sorted(basic.ignore_types),
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


_BLANKS = "[\t \x0c]+"  # grammar.lark's %ignore /[\t \f]+/, as lark writes it (a tab and a form feed in it)


def _may_start_with_blank(pattern: str) -> bool:
    """Whether a text `pattern` matches may start with a blank (space, tab, form feed); True when unsure."""
    try:
        from re import _constants as c, _parser as sre
    except ImportError:  # Python < 3.11
        import sre_constants as c
        import sre_parse as sre

    categories = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D", c.CATEGORY_SPACE: r"\s",
                  c.CATEGORY_NOT_SPACE: r"\S", c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W"}

    def in_set(items, ch) -> bool:
        hit, negate = False, False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                hit |= ord(ch) == av
            elif op is c.RANGE:
                hit |= av[0] <= ord(ch) <= av[1]
            elif op is c.CATEGORY and av in categories:
                hit |= re.match(categories[av], ch) is not None
            else:
                return True
        return hit != negate

    def seq(items, ch) -> tuple[bool, bool]:  # (may start with ch, may match nothing)
        for op, av in items:
            if op is c.LITERAL:
                may, empty = ord(ch) == av, False
            elif op is c.NOT_LITERAL:
                may, empty = ord(ch) != av, False
            elif op is c.IN:
                may, empty = in_set(av, ch), False
            elif op is c.BRANCH:
                got = [seq(b, ch) for b in av[1]]
                may, empty = any(g[0] for g in got), any(g[1] for g in got)
            elif op is c.SUBPATTERN and not av[1] and not av[2]:
                may, empty = seq(av[3], ch)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
                may, empty = seq(av[2], ch)
                empty = empty or av[0] == 0
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # consume nothing
                may, empty = False, True
            else:
                return True, True
            if may:
                return True, empty
            if not empty:
                return False, False
        return False, True

    parsed = sre.parse(pattern)
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return True
    return any(seq(list(parsed), ch)[0] for ch in " \t\x0c")


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

    The same regex for each parser state, the same keywords and the same parse
    table.  It shapes what it reads as lark's tree builder would (anonymous
    tokens dropped, `_rule`s spliced in, a `?rule` with one child passed
    through), but makes no trees: the builder's method for a rule is called as
    the rule is reduced, with the position of the text it covers as lark's
    `propagate_positions` computes it — from the first to the last token under
    the rule, dropped ones included, so parentheses around a passed-through child
    count for its parent — and the children kept.  A position is (start, end),
    offsets in the text (lines and columns follow from them: lark counts only
    "\\n" as a line end); a kept token is a plain tuple (terminal, text, start,
    end).  The builder's methods return no plain tuples and no lists, which are
    tokens and `_rule`s' children here.  On a syntax error `parse` returns None.
    """

    def __init__(self, tables: dict):
        self.start, self.end = tables["start"], tables["end"]
        kept = frozenset(tables["kept"])
        lexers = []
        for pattern, flags, _blanks, ignore, _newline, unless in tables["lexers"]:
            # What to do with a terminal besides shifting it, in one look-up: ignore it,
            # read a keyword in it, keep it for the builder.
            kinds = {t: (t in ignore) * _IGNORED | (t in unless) * _KEYWORDS | (t in kept) * _KEPT
                     for t in set(ignore) | set(unless) | kept}
            lexers.append((re.compile(pattern, flags).match, kinds, unless))
        reductions = []
        for origin, name, size, kind, keep, gaps in tables["rules"]:
            keep = tuple((i, bool(inline)) for i, inline in keep)
            if kind != BUILD and size == 1 and keep == ((0, False),):
                reductions.append(origin)  # the child's value and position stand for the rule's: a new state only
            else:
                whole = len(keep) == size and not any(x for _, x in keep)
                reductions.append((size, origin, keep, kind, name, whole, gaps))
        self.states = []
        for lexer, shifts, reduces in tables["states"]:
            actions = dict(shifts)
            actions.update({t: reductions[r] for t, r in reduces.items()})
            self.states.append((*lexers[lexer], actions))
        self.names = sorted({r[4] for r in reductions if type(r) is tuple and r[3] != INLINE})
        self.gotos: dict = {}  # (state, rule, next terminal) -> state: see `_goto`

    def _goto(self, below: int, origin: str, typ: str) -> int:
        """The state after a rule is reduced over `below`, and after every passed-through rule of
        one child the next terminal then reduces (`?expr: sum`, `?sum: product`, ...): those change
        only the state, and `below` stays under it, so the chain is followed once and remembered."""
        state = self.states[below][3][origin]
        while True:
            a = self.states[state][3].get(typ)
            if a.__class__ is not str:
                return state
            state = self.states[below][3][a]

    def parse(self, text: str, build):
        """What `build`'s method for the start rule returned, or None when `text` does not parse."""
        handlers = {name: getattr(build, name, None) for name in self.names}
        states, end_state, gotos = self.states, self.end, self.gotos
        # (state, value, start, end) in one flat list: a reduction takes its children
        # with one slice.  A rule of no text has no start and end (None).
        stack: list = [self.start, None, None, None]
        state = self.start
        pos, n = 0, len(text)
        while True:
            match, kinds, unless, actions = states[state]
            while True:  # the next token that is not ignored
                m = match(text, pos)
                if m is None:
                    if pos < n:
                        return None
                    typ = "$END"
                    break
                typ = m.lastgroup
                start, pos = m.span(typ)  # blanks before it may have matched with it
                kind = kinds.get(typ)
                if kind:
                    if kind & _IGNORED:
                        continue
                    if kind & _KEYWORDS:  # a keyword, where a keyword may stand
                        typ = unless[typ].get(text[start:pos], typ)
                        kind = kinds.get(typ)
                break
            while True:
                a = actions.get(typ)
                if a is None:
                    return None
                cls = a.__class__
                if cls is int:  # shift
                    if typ == "$END":
                        return None
                    break
                if cls is str:  # a passed-through rule of one child: a new state only
                    state = stack[-4] = states[stack[-8]][3][a]
                    actions = states[state][3]
                    continue
                size, origin, keep, how, name, whole, gaps = a
                if size:
                    first = -4 * size
                    kids = stack[first + 1 :: 4]
                    if gaps:
                        starts = [x for x in stack[first + 2 :: 4] if x is not None]
                        ends = [x for x in stack[first + 3 :: 4] if x is not None]
                        span = (starts[0], ends[-1]) if starts else None
                    else:
                        span = (stack[first + 2], stack[-1])
                    del stack[first:]
                else:
                    kids, span = [], None
                if whole:
                    children = kids
                else:
                    children = []
                    for i, inline in keep:
                        kid = kids[i]
                        if inline and kid.__class__ is list:  # a `_rule`'s children
                            children += kid
                        else:
                            children.append(kid)
                if how == BUILD:
                    value = handlers[name](span, children)
                elif how == INLINE:
                    value = children
                elif len(children) == 1:
                    value = children[0]
                    if value.__class__ is tuple:  # lark's position of a token passed through is its own
                        span = value[2:]
                else:
                    value = handlers[name](span, children)
                below = stack[-4]
                state = gotos.get((below, origin, typ))
                if state is None:
                    state = gotos[(below, origin, typ)] = self._goto(below, origin, typ)
                if state == end_state and typ == "$END":
                    return value
                if span is None:
                    stack += (state, value, None, None)
                else:
                    stack += (state, value, *span)
                actions = states[state][3]
            state = a
            stack += (a, (typ, text[start:pos], start, pos) if kind and kind & _KEPT else None, start, pos)


_IGNORED, _KEYWORDS, _KEPT = 2, 4, 8


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
