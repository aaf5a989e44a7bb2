"""The one pint registry, the domain units, and the small grammar unit texts are read with.

pint is used only when rules are checked: every unit in a rule is resolved
once into a float conversion factor, and evaluation runs on plain floats.
The registry is built on first use, so runs that need no unit work (a cached
check, `--help`) never import pint.

Unit texts come from rule files, panels and SSB mappings, so they are read by
benchdsl's own grammar below and never by pint's expression parser, which
evaluates arithmetic (`9**9**9 NOK` would run for ever):

    unit    = product | "" | "dimensionless"
    product = (scale | power) {("*" | "·" | "/" | " ") power}    left to right: NOK/user/month;
                                                                  a space before "(" is not enough
    power   = atom [("^" | "**") ["+" | "-"] digits]              a whole power from -6 to 6
    atom    = name | "(" product ")"                              NOK/(1000 user)
    scale   = a positive number from 1e-12 to 1e12: 1000, 1e3, 0.5
    name    = a letter or "_", then letters, digits, "_"; or % or ‰

At most 200 characters and 8 levels of parentheses; every power, also after
combining (NOK^6*NOK), stays within -6..6 and the scale within 1e-12..1e12, so
reading a unit takes microseconds whatever the text.
"""

from __future__ import annotations

import functools
import math
import re

# The registry holds the units municipal benchmarking needs, not pint's ~1 000
# physical ones: it builds in milliseconds instead of ~165 ms, and pint still does
# all the unit arithmetic.  Counted things are dimensions of their own, so that
# NOK/user × inhabitant is caught as "not NOK" instead of silently multiplied.
GENERAL = """
percent = 0.01 = %
permille = 0.001 = ‰
pp = [percentage_point] = prosentpoeng = percentage_point
second = [time] = s
minute = 60 * second = min
hour = 60 * minute = h
day = 24 * hour = d
week = 7 * day
year = 365.25 * day = yr
month = year / 12
"""

DEFINITIONS = """
NOK = [currency] = kr = kroner
kNOK = 1000 * NOK = tusen_kr
MNOK = 1000000 * NOK = mill_kr = mnok
user = [user] = bruker
pupil = [pupil] = elev
child = [child]
inhabitant = [inhabitant] = innbygger = inh
recipient = [recipient] = mottaker
benefit_month = [benefit_month] = stønadsmåned
corrected_hour = [corrected_hour] = korrigert_oppholdstime
teaching_group = [teaching_group] = gruppe
fte = [fte] = årsverk
"""

DOMAIN_UNITS = tuple(
    line.split("=")[0].strip() for line in DEFINITIONS.strip().splitlines()
)
KNOWN_UNITS = DOMAIN_UNITS + tuple(line.split("=")[0].strip() for line in GENERAL.strip().splitlines())
COUNTED = frozenset(f"[{name}]" for name in DOMAIN_UNITS if "NOK" not in name)

# Every name a unit text may use -> the registry's name for it: "name = definition
# = symbol = alias ...", as pint reads the definitions above.
_NAMES: dict[str, str] = {"dimensionless": ""}  # "" is no unit at all
for _line in (GENERAL + DEFINITIONS).strip().splitlines():
    _parts = [p.strip() for p in _line.split("=")]
    _NAMES.update({alias: _parts[0] for alias in (_parts[0], *_parts[2:])})
del _line, _parts
_BUILTIN_NAMES = dict(_NAMES)
_BUILTIN_COUNTED = COUNTED

# The rules' own units (`unit loan "utlån"`): ((name, (alias, ...)), ...) in effect now.  A run
# checks one program, so they are module state, set by `declare` before any unit text is read.
DECLARED: tuple = ()
_SIGNATURE = ""  # "" without declarations; part of every remembered fact's key otherwise


def declare(declared: tuple) -> None:
    """Make the rules' unit declarations the ones in effect (and forget any earlier program's).

    A new name is a counted unit of its own, a dimension like user or inhabitant; a known name
    gets more names.  Facts remembered between runs (KNOWN) carry the declarations in their key,
    so a fact learnt under one program's units is never used under another's.
    """
    global DECLARED, _SIGNATURE, COUNTED
    declared = tuple((name, tuple(aliases)) for name, aliases in declared)
    if declared == DECLARED:
        return
    DECLARED = declared
    _SIGNATURE = ";".join(f"{n}={','.join(a)}" for n, a in declared)
    _NAMES.clear()
    _NAMES.update(_BUILTIN_NAMES)
    counted = set(_BUILTIN_COUNTED)
    for name, aliases in declared:
        target = _NAMES.get(name, name) or name
        if name not in _BUILTIN_NAMES:
            counted.add(f"[{name}]")
        _NAMES.update({alias: target for alias in (name, *aliases)})
    COUNTED = frozenset(counted)
    for cached in (registry, parse, _unit):
        cached.cache_clear()


def new_units() -> list[str]:
    """The declared names that are units of their own (not more names for a known one)."""
    return [name for name, _ in DECLARED if name not in _BUILTIN_NAMES]


def is_builtin(name: str) -> bool:
    return name in _BUILTIN_NAMES or (name.endswith("s") and name[:-1] in _BUILTIN_NAMES)

MAX_LENGTH = 200   # characters in one unit text
MAX_DEPTH = 8      # parentheses inside parentheses
MAX_POWER = 6      # NOK^-6 .. NOK^6, also after combining (NOK^6*NOK is too much)
MIN_SCALE, MAX_SCALE = 1e-12, 1e12  # as written in the messages below

_HINT = "a unit is names such as NOK or user joined by *, / and ^, with an optional scale first: 1000 NOK/user"
_POWER_RANGE = f"powers of units are whole numbers between -{MAX_POWER} and {MAX_POWER}"


class UnitError(ValueError):
    """A unit text benchdsl cannot read, or two units that do not convert."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@functools.cache
def registry():
    import pint

    ureg = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=True, on_redefinition="raise")
    for line in (GENERAL + DEFINITIONS).strip().splitlines():
        ureg.define(line)
    for name in new_units():  # checked by check/units.py: a name as the unit grammar reads one
        ureg.define(f"{name} = [{name}]")
    return ureg


# --- reading unit texts -------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[^\W\d]\w*|%|‰)"
    r"|(?P<op>\*\*|[*·/^()+-])"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos] if text[pos].isprintable() else repr(text[pos])[1:-1]  # \x00, \u200b
            raise UnitError(f"a unit cannot contain `{ch}`", _HINT)
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group()))
        pos = m.end()
    depth = 0
    for _, tok in out:
        depth += {"(": 1, ")": -1}.get(tok, 0)
        if depth < 0:
            raise UnitError("unbalanced parenthesis: a `)` closes nothing", _HINT)
        if depth > MAX_DEPTH:
            raise UnitError(f"parentheses are nested more than {MAX_DEPTH} deep", _HINT)
    if depth:
        raise UnitError("unbalanced parenthesis: a `(` is never closed", _HINT)
    return out


class _Reader:
    """Recursive descent over the tokens: each rule gives (scale, {registry name: power})."""

    def __init__(self, text: str, tokens: list[tuple[str, str]]):
        self.text, self.tokens, self.i = text, tokens, 0

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        i = self.i + ahead
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def unit(self) -> tuple[float, dict[str, int]]:
        got = self.product()
        if self.peek()[0] != "end":
            raise self.unexpected()
        return got

    def product(self) -> tuple[float, dict[str, int]]:
        """[scale] power {op power}: a scale comes first, in the unit or in parentheses (NOK/(1000 user))."""
        if self.peek()[0] == "number" or (self.peek()[1] in ("+", "-") and self.peek(1)[0] == "number"):
            scale, units = self.scale(), {}
            if self.peek()[1] in ("^", "**"):
                raise UnitError("a unit's scale is a plain number such as 1000 or 1e3, not a power", _HINT)
        else:
            scale, units = self.power()
        while True:
            kind, tok = self.peek()
            if tok in ("*", "·", "/"):
                self.take()
                scale, units = _combine(scale, units, self.power(), -1 if tok == "/" else 1)
            elif kind == "name":
                scale, units = _combine(scale, units, self.power(), 1)  # `% user/inhabitant`: a space multiplies
            elif tok == "(":  # NOK(1) looks like a call; say what is meant
                raise UnitError(f"write `*` or `/` between `{self.peek(-1)[1]}` and `(`", "e.g. NOK/(1000 user)")
            elif kind == "number":
                raise _misplaced(tok)
            else:
                return scale, units

    def scale(self) -> float:
        sign = self.take()[1] if self.peek()[1] in ("+", "-") else ""
        tok = self.take()[1]
        value = float(sign + tok)
        if not value > 0:
            raise UnitError(f"a unit's scale must be a positive number, not {sign}{tok}", "e.g. 1000 NOK for thousands of kroner")
        if not MIN_SCALE <= value <= MAX_SCALE:
            raise UnitError(f"a unit's scale must be between 1e-12 and 1e12, not {sign}{tok}",
                            "e.g. 1000 NOK for thousands of kroner")
        return int(tok) if tok.isdigit() and not sign else value

    def power(self) -> tuple[float, dict[str, int]]:
        got = self.atom()
        if self.peek()[1] not in ("^", "**"):
            return got
        op = self.take()[1]
        sign = self.take()[1] if self.peek()[1] in ("+", "-") else ""
        kind, tok = self.take()
        if kind != "number":
            raise UnitError(f"{_POWER_RANGE}: `{op}` must be followed by one", "e.g. NOK/user^2")
        if not (tok.isdigit() and int(tok) <= MAX_POWER):
            raise UnitError(f"{_POWER_RANGE}, not {sign}{tok}", "e.g. NOK/user^2")
        if self.peek()[1] in ("^", "**"):
            raise self.unexpected()
        return _combine(1, {}, got, -int(tok) if sign == "-" else int(tok))

    def atom(self) -> tuple[float, dict[str, int]]:
        kind, tok = self.take()
        if kind == "name":
            return 1, _lookup(tok, self.text)
        if tok == "(":
            got = self.product()
            if self.take()[1] != ")":
                self.i -= 1
                raise self.unexpected()
            return got
        self.i -= 1
        if kind == "number":
            raise _misplaced(tok)
        where = f"after `{self.tokens[self.i - 1][1]}`" if self.i else f"before `{tok}`"
        raise UnitError(f"expected a unit name {where}", _HINT)

    def unexpected(self) -> UnitError:
        tok = self.peek()[1]
        if tok in ("^", "**"):
            return UnitError(f"{_POWER_RANGE}: write one power, such as NOK^2, not a power of a power")
        return UnitError(f"unexpected `{tok}` in a unit", _HINT)


def _misplaced(number: str) -> UnitError:
    return UnitError(f"a number comes only first in a unit or in parentheses, as a scale (1000 NOK, NOK/(1000 user)), "
                     f"not `{number}` here", _HINT)


def _combine(scale: float, units: dict[str, int], right: tuple[float, dict[str, int]], power: int):
    """(scale, units) * right**power, keeping the scale within 1e-12..1e12 and every power
    within ±MAX_POWER, so that pint never sees kNOK^10000 nor the float overflows."""
    out = dict(units)
    for name, p in right[1].items():
        total = out.get(name, 0) + p * power
        if abs(total) > MAX_POWER:
            raise UnitError(f"{_POWER_RANGE}; here `{name}` would be raised to {total}", None)
        if total:
            out[name] = total
        else:
            out.pop(name, None)
    if right[0] != 1:
        scale = scale * right[0] ** power
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise UnitError(f"a unit's scale must be between 1e-12 and 1e12; this one comes to {scale:g}", None)
    return scale, out


def _lookup(name: str, text: str) -> dict[str, int]:
    unit = _NAMES.get(name)
    if unit is None and name.endswith("s"):
        unit = _NAMES.get(name[:-1])  # users, inhabitants, as pint reads them
    if unit is None:
        from benchdsl.diagnostics import did_you_mean

        hint = did_you_mean(name, [n for n in _NAMES if n]) if len(name) <= 40 else None  # bounded time
        raise UnitError(f"unknown unit `{name}` in `{text}`", hint)
    return {unit: 1} if unit else {}


@functools.lru_cache(maxsize=4096)
def parse(text: str):
    """Unit text -> pint Quantity: the scale (1 unless written, as in `1000 NOK`) in the unit.

    Raises UnitError, in an analyst's words, for anything the grammar above does not accept.
    """
    if len(text) > MAX_LENGTH:
        raise UnitError(f"a unit is at most {MAX_LENGTH} characters, not {len(text)}", _HINT)
    tokens = _tokens(text)
    scale, powers = _Reader(text, tokens).unit() if tokens else (1, {})
    ureg = registry()
    if not powers:
        return ureg.Quantity(scale)
    return ureg.Quantity(scale, functools.reduce(lambda a, b: a * b, (_unit(n) ** p for n, p in powers.items())))


@functools.cache
def _unit(name: str):
    return registry().Unit(name)  # a registry name from _NAMES, never the user's text


def dimensionless():
    return parse("dimensionless")


def factor(src, dst) -> float:
    """How many `dst` one `src` is.  Raises UnitError if they do not convert."""
    import pint

    try:
        return float((src / dst).to("dimensionless").magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"{show(src)} is not {show(dst)}", mismatch_hint(src, dst)
        ) from None


def share_base(q):
    """For a share of counted things (user/inhabitant), the unit to strip to read it in %.

    A coverage rate is users per inhabitant; reports print it in percent.  Only a
    ratio of two counted dimensions qualifies, so NOK is never read as %.
    """
    dims = dict(q.dimensionality)
    if len(dims) == 2 and set(dims.values()) == {1, -1} and set(dims) <= COUNTED:
        num = next(d for d, p in dims.items() if p == 1).strip("[]")
        den = next(d for d, p in dims.items() if p == -1).strip("[]")
        return parse(f"{num}/{den}")
    return None


def is_count(text: str) -> bool:
    """Is this a unit of counted things (user, inhabitant, benefit_month), which cannot be negative?"""
    k = ("count", text if not _SIGNATURE else f"{text}\x00{_SIGNATURE}")
    if k not in KNOWN:
        dims = dict(parse(text).dimensionality)
        KNOWN[k] = len(dims) == 1 and next(iter(dims)) in COUNTED and next(iter(dims.values())) == 1
    return KNOWN[k]


def published_factor(q, target) -> float:
    """factor(q, target), also reading a share of counted things in % when target is %."""
    base = share_base(q)
    if base is not None and not target.dimensionality:
        return factor(q / base, target)
    return factor(q, target)


# Unit facts data loading needs, memoised here and kept between runs by the
# pipeline (benchdsl.cache), so that a run whose units are all known needs no pint.
KNOWN: dict[tuple, object] = {}


def text_factor(src: str, dst: str) -> float:
    """factor() for unit texts: data loading converts each unit pair once."""
    k = ("factor", src, dst) if not _SIGNATURE else ("factor", f"{src}\x00{_SIGNATURE}", dst)
    if k not in KNOWN:
        KNOWN[k] = factor(parse(src), parse(dst))  # a UnitError is not remembered
    return KNOWN[k]


def compatible(a, b) -> bool:
    return a.dimensionality == b.dimensionality


def show(q) -> str:
    """A unit as a person writes it: NOK/user, MNOK, pupil/inhabitant; parse() reads it back."""
    mag = q.magnitude
    num, den = [], []
    for name, power in sorted(q.unit_items(), key=lambda kv: -kv[1]):
        label = "%" if name == "percent" else name
        p = abs(power)
        s = label if p == 1 else f"{label}^{p:g}"
        (num if power > 0 else den).append(s)
    text = "*".join(num)
    if mag != 1:
        text = f"{mag:g} {text}".rstrip()  # 1000 NOK, 1000/user, 1000
    text = text or "1"
    if den:
        text += "/" + "/".join(den)
    return text


def mismatch_hint(src, dst) -> str | None:
    """Say what extra factor separates two units, e.g. 'inhabitant/user is left over'."""
    dims = (src / dst).dimensionality
    if not dims:
        return None
    if "[percentage_point]" in dims:
        return "percentage points (pp) are a difference of two percentages, and never convert to %"
    num = [d.strip("[]") for d, p in dims.items() if p > 0]
    den = [d.strip("[]") for d, p in dims.items() if p < 0]
    left = "*".join(num) or "1"
    if den:
        left += "/" + "/".join(den)
    return f"{left} is left over: check the volume and the indicator's unit"
