"""The one pint registry and the domain units.

pint is used only when rules are checked: every unit in a rule is resolved
once into a float conversion factor, and evaluation runs on plain floats.
The registry is built on first use, so runs that need no unit work (a cached
check, `--help`) never import pint.
"""

from __future__ import annotations

import functools

# The registry holds the units municipal benchmarking needs, not pint's ~1 000
# physical ones: it builds in milliseconds instead of ~165 ms, and pint still does
# all the unit arithmetic.  Counted things are dimensions of their own, so that
# NOK/user × inhabitant is caught as "not NOK" instead of silently multiplied.
GENERAL = """
percent = 0.01 = %
permille = 0.001 = ‰
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


class UnitError(ValueError):
    """A unit text pint cannot read, or two units that do not convert."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@functools.cache
def registry():
    import pint

    ureg = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=True, on_redefinition="raise")
    for line in (GENERAL + DEFINITIONS).strip().splitlines():
        ureg.define(line)
    return ureg


@functools.lru_cache(maxsize=4096)
def parse(text: str):
    """Unit text -> pint Unit (the multiplier, if any, stays in a Quantity)."""
    import pint

    ureg = registry()
    cleaned = text.replace("·", "*").strip()
    if not cleaned or cleaned == "dimensionless":
        return ureg.Quantity(1)
    try:
        q = ureg.parse_expression(cleaned)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        name = getattr(exc, "unit_names", None) or str(exc)
        if isinstance(name, (tuple, list)):
            name = name[0]
        from benchdsl.diagnostics import did_you_mean

        raise UnitError(f"unknown unit `{name}` in `{text}`", did_you_mean(str(name), KNOWN_UNITS)) from None
    except Exception as exc:  # pint raises a variety of parse errors
        raise UnitError(f"cannot read unit `{text}`: {exc}") from None
    if not isinstance(q, ureg.Quantity):
        q = ureg.Quantity(q, "dimensionless")
    return q


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
    k = ("count", text)
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
    k = ("factor", src, dst)
    if k not in KNOWN:
        KNOWN[k] = factor(parse(src), parse(dst))  # a UnitError is not remembered
    return KNOWN[k]


def compatible(a, b) -> bool:
    return a.dimensionality == b.dimensionality


def show(q) -> str:
    """A unit as a person writes it: NOK/user, MNOK, pupil/inhabitant."""
    mag = q.magnitude
    num, den = [], []
    for name, power in sorted(q.unit_items(), key=lambda kv: -kv[1]):
        label = "%" if name == "percent" else name
        p = abs(power)
        s = label if p == 1 else f"{label}^{p:g}"
        (num if power > 0 else den).append(s)
    text = "*".join(num) or "1"
    if den:
        text += "/" + "/".join(den)
    if mag != 1:
        text = f"{mag:g} {text}"
    return text


def mismatch_hint(src, dst) -> str | None:
    """Say what extra factor separates two units, e.g. 'inhabitant/user is left over'."""
    dims = (src / dst).dimensionality
    if not dims:
        return None
    num = [d.strip("[]") for d, p in dims.items() if p > 0]
    den = [d.strip("[]") for d, p in dims.items() if p < 0]
    left = "*".join(num) or "1"
    if den:
        left += "/" + "/".join(den)
    return f"{left} is left over: check the volume and the indicator's unit"
