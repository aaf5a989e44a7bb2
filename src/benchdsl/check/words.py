"""`word` declarations: the scale of qualitative words, the defaults (`lexicon`) with the rules' own.

A word is written before a number (`om lag 275`: how far from the number the figure may lie) or
stands alone (`noe over`: the range of the relative difference the claim computes).  The checker
reads published values through the resulting scale (`Context.words`); what each word means and
where that came from goes into the published value, so the audit and `explain` can show it.
"""

from __future__ import annotations

import math
import re

import attrs

from benchdsl import ast, ir, lexicon, units
from benchdsl.check.context import Context

_NAME = re.compile(r"[^\W\d]\w*\Z")
_ELLIPSIS = ("…", "...")  # `word "om lag …"`: the word goes before a number
DEFAULT = ir.DEFAULT_MEANING  # the scale in lexicon and docs/audit.md


@attrs.frozen
class Meaning:
    word: str
    before_number: bool
    low: float | None  # in `unit`; None: no limit that side
    high: float | None
    unit: str | None  # "%": for a word before a number, a share of the number; None: the unit of what it qualifies
    text: str
    source: str  # DEFAULT, or the file:line of the `word` declaration


def meaning_text(low: float | None, high: float | None, unit: str | None) -> str:
    u = f" {unit}" if unit else ""
    if low is None:
        return f"less than {high:g}{u}"
    if high is None:
        return f"more than {low:g}{u}"
    if low == -high and high > 0:
        return f"± {high:g}{u}"
    return f"{low:g}{u} to {high:g}{u}"


def defaults() -> dict[str, Meaning]:
    out = {}
    for before, scale in ((True, lexicon.BEFORE_NUMBER), (False, lexicon.ALONE)):
        for word, (low, high) in scale.items():
            out[word] = Meaning(word, before, low, high, "%", meaning_text(low, high, "%"), DEFAULT)
    return out


class Words:
    def __init__(self, c: Context):
        self.c = c

    def check(self, decls: list[ast.Word]) -> dict[str, Meaning]:
        scale = defaults()
        declared: dict[str, ast.Word] = {}
        for d in decls:
            m = self.meaning(d, scale)
            if m is None:  # reported: its uses are not errors too
                self.c.broken_words.add(lexicon.normal_word(d.name.strip().rstrip("…").rstrip(".")))
                continue
            if m.word in declared:
                self.c.err(d.span, f'the word "{m.word}" is declared twice',
                           f"the first is at {declared[m.word].span}; keep one of them")
                continue
            declared[m.word] = d
            scale[m.word] = m
        return scale

    def meaning(self, d: ast.Word, scale: dict[str, Meaning]) -> Meaning | None:
        c = self.c
        name = d.name.strip()
        marked = name.endswith(_ELLIPSIS)
        word = lexicon.normal_word(name.rstrip("…").rstrip(".") if marked else name)
        if not word or not all(_NAME.match(w) for w in word.split()):
            c.err(d.span, f'"{d.name}" cannot be a word of the scale',
                  'a word is one or more words of letters, as a report writes it: word "noe over" = 0 % to 25 %'
                  ' (a word written before a number ends in …: word "drøyt …" = 0 % to 5 %)')
            return None
        known = scale.get(word)
        before = known.before_number if known is not None else marked
        if known is not None and marked != known.before_number and marked:
            c.err(d.span, f'"{word}" stands alone in the scale (`= {word}`), not before a number',
                  f'write word "{word}" = …, without the …')
            return None
        low, high = d.low, d.high
        if d.side is not None:
            side = lexicon.ONE_SIDED.get(d.side)
            if side is None:
                c.err(d.span, f"`{d.side}` cannot begin a meaning",
                      "write `A to B`, `± N`, `more than A` or `less than B`, e.g. word \"langt høyere\" = more than 25 %")
                return None
            if side == "high":
                low, high = None, low
        unit = self.unit(d, low, high)
        if unit is False:
            return None
        if not all(math.isfinite(b.value) for b in (low, high) if b is not None):
            c.err(d.span, f'a limit of "{word}" is too large for a number (at most about 1.8e308)')
            return None
        if low is not None and high is not None and low.value > high.value:
            c.err(d.span, f'the meaning of "{word}" runs backwards: {d.text}',
                  f"write the lower limit first: {high.text} to {low.text}")
            return None
        lo = None if low is None else low.value
        hi = None if high is None else high.value
        source = str(d.span) if d.span is not None else "the rules"
        return Meaning(word, before, lo, hi, unit, d.text, source)

    def unit(self, d: ast.Word, low, high):
        """The unit both limits are in (None: the unit of what the word qualifies); False after an error."""
        given = {b.unit.text for b in (low, high) if b is not None and b.unit is not None}
        if len(given) > 1:
            self.c.err(d.span, f'the limits of "{d.name}" are in different units: {d.text}',
                       "write both limits in one unit, e.g. -2 % to 2 %")
            return False
        if not given:
            return None
        text = given.pop()
        try:
            units.parse(text)
        except units.UnitError as exc:
            spec = next(b.unit for b in (low, high) if b is not None and b.unit is not None)
            self.c.err(spec.span or d.span, str(exc), exc.hint)
            return False
        return text
