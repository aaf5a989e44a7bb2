"""Published-value forms: what a report printed, and how a computed figure is held against it.

One class per form (`ir.Form`): a dash, a number (with a word of the scale
before it, or ±), a range, a municipality's name, a comparative phrase alone.  Each holds everything about itself: how it
is read from the rules and checked, its tolerance, the comparison with a
computed value, its text in a report and its fields in JSON.  The checker,
the audit, the reports and the language server ask `form(pub)`; none of
them switches on the form.  Adding a form is an `ir.Form` member, its AST
node, one class here, and its tests (docs/architecture.md).

A number's tolerance follows the printed precision (29.7 means ±0.05), or
the word the text used ("nærmere 57", "vel 800", "om lag 275"), and never
falls below half a unit of the last printed decimal, but for a threshold
("mer enn 50"), which is exact.  What a word means is the scale's
(`lexicon.BEFORE_NUMBER`, `lexicon.ALONE`, docs/audit.md), or the rules'
own `word` declaration; the checker resolves it into the published value.
"""

from __future__ import annotations

import math

from benchdsl import ir, lexicon, units
from benchdsl.diagnostics import did_you_mean
from benchdsl.limits import MAX_PUBLISHED_DECIMALS

EPS = 1e-9  # a computed value this close to a limit is inside it


def round_half_up(x: float, decimals: int) -> float:
    """Round as a report does: 0.05 -> 0.1 (Python's round() would give 0.0)."""
    if not 0 <= decimals <= 300:  # check allows 0 to 15; out of range, this must still not raise
        return x
    scale = 10.0**decimals
    if not math.isfinite(x * scale) or abs(x) * scale > 2**52:
        return x  # too large to carry these decimals: already as round as a float gets
    return math.copysign(math.floor(abs(x) * scale + 0.5 + 1e-9) / scale, x)


def half_unit(decimals: int) -> float:
    # check allows 0 to 15 decimals; out of range, this is still a number, never an OverflowError
    return 0.5 * 10.0 ** -min(max(decimals, 0), 400)


class Published:
    """A published-value form; subclasses fill in the parts that are theirs."""

    form: ir.Form
    node: str  # the name of the AST node the parser makes for it (`ast` is not imported on a warm run)
    names_municipality = False  # published as a municipality's name: only peer() computes one
    numeric = False  # a number (or numbers) a figure is held against with a tolerance
    pinnable = False  # `known`: the audit can replace a computed cell by this value
    unit_after = True  # a report may print the unit after its text (`3.5 %`; not after `noe over`)

    def read(self, p, q, ctx, span, what: str) -> ir.PubValue | None:
        """The checked value, or None after reporting through ctx.err; q: the computed unit (None: a municipality)."""
        raise NotImplementedError

    def tolerance(self, pub: ir.PubValue) -> tuple[float, float] | None:
        """How far below and above the published value a figure may lie; None: not a number."""
        return None

    def accepted(self, pub: ir.PubValue) -> tuple[float, float] | None:
        """The lowest and highest figure that reproduce it (±inf: no limit that side); None: not a number."""
        return None

    def compare(self, value: float | None, peer: str | None, pub: ir.PubValue, decimals: int):
        """-> (reproduced?, computed - published, or None where that means nothing)."""
        raise NotImplementedError

    def pinned(self, pub: ir.PubValue) -> float | None:
        """The value a pinned cell takes (None: no saving); only for `pinnable` forms."""
        return None

    def target(self, pub: ir.PubValue) -> float | None:
        """The value `known … reconcile` solves for; None: nothing to solve for."""
        return None

    def text(self, pub: ir.PubValue, norwegian: bool) -> str:
        raise NotImplementedError

    def fields(self, pub: ir.PubValue) -> dict:
        """Its fields in the JSON report, besides kind, text and source (docs/output.md)."""
        return {}

    def meaning(self, pub: ir.PubValue) -> tuple[str, str, str] | None:
        """The word of the scale it uses, its meaning and where that comes from ("default", or the
        `word` declaration's file:line), for explain; None: it uses no word."""
        if not pub.word:
            return None
        return pub.word, pub.meaning, pub.meaning_from


class Dash(Published):
    """`-`: the report prints no saving; reproduced by a figure that rounds to zero or is none."""

    form, node, pinnable = ir.Form.NONE, "PubNone", True

    def read(self, p, q, ctx, span, what):
        return ir.PubValue(self.form, text="-", span=p.span)

    def compare(self, value, peer, pub, decimals):
        shown = 0.0 if value is None else round_half_up(value, decimals)
        return shown == 0.0, value

    def text(self, pub, norwegian):
        from benchdsl.report.numbers import DASH

        return DASH


class Name(Published):
    """`= Bergen`: which municipality a basis is formed by (a peer() claim)."""

    form, node, names_municipality = ir.Form.NAME, "PubName", True

    def read(self, p, q, ctx, span, what):
        if not ctx.is_municipality(p.name):
            ctx.err(p.span, f"`{p.name}` is not a declared municipality",
                    did_you_mean(p.name, ctx.names_of("municipality")))
            return None
        return ir.PubValue(self.form, name=p.name, text=p.name, span=p.span)

    def compare(self, value, peer, pub, decimals):
        return peer == pub.name, None

    def text(self, pub, norwegian):
        return pub.name

    def fields(self, pub):
        return {"name": pub.name}


class _Numeric(Published):
    """What a number and a range share: checks of the printed text, a tolerance, JSON limits."""

    numeric = True

    def read(self, p, q, ctx, span, what):
        if q is None:
            ctx.err(p.span, f"{what}: peer() gives a municipality, so publish one, e.g. `= Bergen`")
            return None
        if not all(math.isfinite(x) for x in self.numbers(p)):
            ctx.err(p.span, f"{what}: {p.text} is too large for a number (at most about 1.8e308)")
            return None
        if not math.isfinite(getattr(p, "tolerance", None) or 0.0):
            ctx.err(p.span, f"{what}: the tolerance of {p.text} is too large for a number (at most about 1.8e308)")
            return None
        if p.decimals > MAX_PUBLISHED_DECIMALS:
            ctx.err(p.span, f"{what}: a published value with {p.decimals} decimals; at most "
                            f"{MAX_PUBLISHED_DECIMALS} can be compared", "write the value as the report printed it")
            return None
        if p.unit is not None:
            pq = ctx.unit(p.unit)
            if pq is None:
                return None
            try:
                units.published_factor(q, pq)
            except units.UnitError as exc:
                ctx.err(p.span or span, f"{what} computes {ctx.show(q)} but publishes {ctx.show(pq)}", exc.hint)
                return None
        return self.make(p, ctx, q, what)

    def numbers(self, p) -> list[float]:
        raise NotImplementedError

    def make(self, p, ctx, q, what: str) -> ir.PubValue | None:
        raise NotImplementedError

    def fields(self, pub):
        below, above = self.tolerance(pub)
        out = {"value": pub.value, "decimals": pub.decimals, "accept_below": below, "accept_above": above}
        for side, limit in (("below", below), ("above", above)):
            if math.isinf(limit):  # "mer enn 50 prosent": no limit above; JSON has no Infinity
                out[f"accept_{side}"] = None
                out[f"accept_{side}_unbounded"] = True
        return out


class Number(_Numeric):
    """29.7, `om lag 275`, `nærmere 57`, `mer enn 50`, 0.8 ± 0.1: one printed number."""

    form, node, pinnable = ir.Form.NUMBER, "PubNumber", True
    # qualifier -> the mark a report shows before the number
    MARKS = {"about": "~", "over": "≳", "nearly": "≲", "above": ">", "below": "<"}

    def numbers(self, p):
        return [p.value]

    def make(self, p, ctx, q, what):
        if p.qualifier is None:
            return ir.PubValue(self.form, p.value, None, p.decimals, None, p.tolerance, text=p.text, span=p.span)
        m = _meaning(p.qualifier, True, p.span, ctx, what)
        if m is None:
            return None
        # A share of the number (%), or an amount in the number's unit; a limit the word does not
        # set (None) is none; `± N` replaces the word's reach away from the number by N.
        if m.unit == "%":
            scale = abs(p.value) / 100
        elif m.unit is None:
            scale = 1.0
        else:
            number_unit = ctx.unit(p.unit) if p.unit is not None else q
            if number_unit is None:
                return None
            try:
                scale = units.factor(units.parse(m.unit), number_unit)
            except units.UnitError as exc:
                ctx.err(p.span, f"{what}: “{m.word}” means {m.text} ({m.source}), which is not {ctx.show(number_unit)}",
                        exc.hint or f"declare the word in % of the number or in {ctx.show(number_unit)}")
                return None
        below = -math.inf if m.low is None else m.low * scale
        above = math.inf if m.high is None else m.high * scale
        if p.tolerance is not None:
            below = -p.tolerance if m.low is not None and m.low < 0 else below
            above = p.tolerance if m.high is not None and m.high > 0 else above
        kind = ("below" if m.low is None else "above" if m.high is None else "about" if m.low < 0 < m.high
                else "over" if m.low >= 0 else "nearly")
        return ir.PubValue(self.form, p.value, None, p.decimals, kind, p.tolerance, text=p.text, span=p.span,
                           word=m.word, meaning=m.text, meaning_from=m.source, offsets=(below, above))

    # A value made without the checker (a test's, an older caller's) names only the kind of word:
    # it means what the scale's English word of that kind means.
    KIND_WORDS = {"about": "about", "over": "over", "nearly": "nearly", "above": "more than", "below": "less than"}

    def offsets(self, pub) -> tuple[float, float] | None:
        if pub.offsets is not None or pub.qualifier not in self.KIND_WORDS:
            return pub.offsets
        low, high = lexicon.BEFORE_NUMBER[self.KIND_WORDS[pub.qualifier]]
        scale = abs(pub.value or 0) / 100
        below = -math.inf if low is None else -pub.tolerance if pub.tolerance is not None and low < 0 else low * scale
        above = math.inf if high is None else pub.tolerance if pub.tolerance is not None and high > 0 else high * scale
        return below, above

    def tolerance(self, pub):
        half = half_unit(pub.decimals)
        offsets = self.offsets(pub)
        if offsets is not None:
            low, high = offsets
            if math.isinf(low) or math.isinf(high):  # "mer enn 50 prosent": a threshold, exact
                return -low + 0.0, high + 0.0
            return max(-low, half), max(high, half)
        if pub.tolerance is not None:
            return pub.tolerance, pub.tolerance
        return half, half

    def accepted(self, pub):
        below, above = self.tolerance(pub)
        return pub.value - below, pub.value + above

    def compare(self, value, peer, pub, decimals):
        v = 0.0 if value is None else value
        low, high = self.accepted(pub)
        return low - EPS <= v <= high + EPS, v - pub.value

    def pinned(self, pub):
        return pub.value

    def target(self, pub):
        return pub.value

    def text(self, pub, norwegian):
        from benchdsl.report.numbers import fmt

        return self.MARKS.get(pub.qualifier or "", "") + fmt(pub.value, pub.decimals, norwegian)

    def fields(self, pub):
        out = super().fields(pub)
        if pub.qualifier:
            out["qualifier"] = pub.qualifier
        if pub.word:
            out.update(word=pub.word, meaning=pub.meaning, meaning_from=pub.meaning_from)
        return out


class Range(_Numeric):
    """240–255: anything from the one to the other (each ± half a unit of the last decimal)."""

    form, node = ir.Form.RANGE, "PubRange"

    def numbers(self, p):
        return [p.low, p.high]

    def make(self, p, ctx, q, what):
        if p.low > p.high:
            ctx.err(p.span, f"range {p.text} runs backwards")
            return None
        return ir.PubValue(self.form, p.low, p.high, p.decimals, text=p.text, span=p.span)

    def tolerance(self, pub):
        half = half_unit(pub.decimals)
        return half, half

    def accepted(self, pub):
        below, above = self.tolerance(pub)
        return pub.value - below, pub.high + above

    def compare(self, value, peer, pub, decimals):
        v = 0.0 if value is None else value
        low, high = self.accepted(pub)
        delta = 0.0 if pub.value <= v <= pub.high else (v - pub.value if v < pub.value else v - pub.high)
        return low - EPS <= v <= high + EPS, delta

    def target(self, pub):
        return (pub.value + pub.high) / 2

    def text(self, pub, norwegian):
        from benchdsl.report.numbers import fmt

        return f"{fmt(pub.value, pub.decimals, norwegian)}–{fmt(pub.high, pub.decimals, norwegian)}"

    def fields(self, pub):
        out = super().fields(pub)
        out["high"] = pub.high
        return out


class Words(Published):
    """`= noe over`: a comparative phrase alone; the figure lies in the range the scale gives it."""

    form, node, unit_after = ir.Form.WORD, "PubWords", False

    def read(self, p, q, ctx, span, what):
        if q is None:
            ctx.err(p.span, f"{what}: peer() gives a municipality, so publish one, e.g. `= Bergen`")
            return None
        m = _meaning(p.words, False, p.span, ctx, what)
        if m is None:
            return None
        if m.unit is not None:  # the figure is compared in the meaning's unit (a ratio - 1 in %)
            try:
                units.published_factor(q, units.parse(m.unit))
            except units.UnitError as exc:
                ctx.err(p.span, f"{what} computes {ctx.show(q)}, but “{m.word}” means {m.text} ({m.source})",
                        (exc.hint + "; " if exc.hint and "percentage points" in exc.hint else "")
                        + f"compute a relative difference (x / basis(x) - 1), or give the word a meaning in "
                          f'{ctx.show(q)}: word "{m.word}" = …')
                return None
        low = -math.inf if m.low is None else m.low
        high = math.inf if m.high is None else m.high
        return ir.PubValue(self.form, low, high, 0, text=m.word, span=p.span,
                           word=m.word, meaning=m.text, meaning_from=m.source)

    def accepted(self, pub):
        return pub.value, pub.high

    def compare(self, value, peer, pub, decimals):
        v = 0.0 if value is None else value
        low, high = pub.value, pub.high
        delta = 0.0 if low <= v <= high else (v - low if v < low else v - high)
        return low - EPS <= v <= high + EPS, delta

    def target(self, pub):
        low, high = pub.value, pub.high
        if math.isinf(low) and math.isinf(high):
            return None
        return high if math.isinf(low) else low if math.isinf(high) else (low + high) / 2

    def text(self, pub, norwegian):
        return pub.text

    def fields(self, pub):
        out = {"word": pub.word, "meaning": pub.meaning, "meaning_from": pub.meaning_from,
               "accept_low": pub.value, "accept_high": pub.high}
        for side in ("low", "high"):
            if math.isinf(out[f"accept_{side}"]):  # JSON has no Infinity
                out[f"accept_{side}"] = None
                out[f"accept_{side}_unbounded"] = True
        return out


def _meaning(word: str, before_number: bool, span, ctx, what: str):
    """The scale's meaning of a word used before a number or alone, or None after saying what is wrong."""
    m = ctx.word(word)
    if m is None and ctx.word_failed(word):
        return None  # its declaration is reported already
    if m is None:
        example = f'word "{word} …" = 0 % to 5 %' if before_number else f'word "{word}" = 0 % to 25 %'
        near = did_you_mean(word, ctx.words_like(word, before_number))
        ctx.err(span, f"{what}: “{word}” is not a word of the scale",
                (f"{near} " if near else "") + f"The scale is in docs/audit.md; to add a word, declare it: {example}")
        return None
    if m.before_number and not before_number:
        ctx.err(span, f"{what}: “{word}” is written before a number",
                f"for example `= {word} 7 %`; a word that stands alone is one such as “noe over”")
        return None
    if before_number and not m.before_number:
        ctx.err(span, f"{what}: “{word}” stands alone, without a number",
                f"write `= {word}`, or a word for a number, such as `= vel 7 %`")
        return None
    return m


# The registry: every ir.Form has one class, and every AST node of a published value one form.
FORMS: dict[ir.Form, Published] = {f.form: f for f in (Dash(), Number(), Range(), Name(), Words())}
# by the name of the AST node, so that a warm run (which reads no rules) never imports the syntax tree
BY_NODE: dict[str, Published] = {f.node: f for f in FORMS.values()}


def form(pub: ir.PubValue) -> Published:
    return FORMS[pub.kind]


def read(p, q, ctx, span, what: str) -> ir.PubValue | None:
    """A published value from the rules, checked against the unit computed for it (None: a municipality)."""
    node = type(p).__name__
    if node == "PubName" and q is not None and not ctx.is_municipality(p.name):
        # `= litt`: one word, where a number is computed and no municipality has the name
        from benchdsl import ast, lexicon

        p = ast.PubWords(lexicon.normal_word(p.name), p.name, p.span)
        node = "PubWords"
    return BY_NODE[node].read(p, q, ctx, span, what)


def meaning(pub: ir.PubValue) -> tuple[str, str, str] | None:
    """(word, its meaning, where from: "default" or file:line) of a published value that uses a word; else None."""
    return form(pub).meaning(pub)


def tolerance(pub: ir.PubValue) -> tuple[float, float] | None:
    return form(pub).tolerance(pub)


def compare(value: float | None, peer: str | None, pub: ir.PubValue, decimals: int) -> tuple[bool, float | None]:
    """-> (reproduced?, computed - published)."""
    return form(pub).compare(value, peer, pub, decimals)


def text(pub: ir.PubValue, norwegian: bool = False) -> str:
    return form(pub).text(pub, norwegian)


def json_fields(pub: ir.PubValue) -> dict:
    """The JSON report's `published` object (docs/output.md)."""
    out = {"kind": pub.kind, "text": pub.text, **form(pub).fields(pub)}
    if pub.span:
        out["source"] = str(pub.span)
    return out
