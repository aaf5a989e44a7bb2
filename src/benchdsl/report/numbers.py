"""Number formatting: 1 234.5 by default, 1 234,5 with --norwegian."""

from __future__ import annotations

import math
import re

from benchdsl.published import round_half_up

DASH = "–"
NOT_COMPUTED = "?"
# From here on a number is written as 1.235e+15: its digits would not fit a column,
# and a float carries no more than about 16 of them anyway.
_SCIENTIFIC = 1e15


def fmt(value: float | None, decimals: int, norwegian: bool = False, dash: str = DASH) -> str:
    if value is None:
        return dash
    if value != value:  # NaN: not computed
        return NOT_COMPUTED
    if not math.isfinite(value) or abs(value) >= _SCIENTIFIC:
        return _unshowable(value, norwegian)
    v = round_half_up(value, decimals)
    text = f"{v:,.{decimals}f}"
    if text.startswith("-") and float(v) == 0:
        text = text[1:]
    if norwegian:
        return text.replace(",", " ").replace(".", ",")
    return text.replace(",", " ")


def _unshowable(value: float, norwegian: bool) -> str:
    """A value no table can show digit by digit: ∞, -∞, "not a number", or 1.235e+15."""
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.3e}"
    return text.replace(".", ",") if norwegian else text


_NORWEGIAN_UNITS = (("MNOK", "mill. kr"), ("kNOK", "1000 kr"), ("NOK", "kr"))


def unit_label(unit: str, norwegian: bool = False) -> str:
    """A unit as the reader's convention writes it: MNOK, or 'mill. kr' with --norwegian."""
    if not norwegian:
        return unit
    for code, label in _NORWEGIAN_UNITS:
        unit = re.sub(rf"\b{code}\b", label, unit)
    return unit


def auto(value: float, norwegian: bool = False) -> str:
    """A value of unknown scale, with about four significant digits."""
    if not math.isfinite(value) or abs(value) >= _SCIENTIFIC:
        return _unshowable(value, norwegian)
    a = abs(value)
    if value == int(value):
        return fmt(value, 0, norwegian)
    decimals = 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 10 else 3 if a >= 1 else 4
    return fmt(value, decimals, norwegian)


def as_percent(value: float, unit: str, norwegian: bool = False) -> str:
    """' (11.30 %)' for a share of counted things (pupil/inhabitant), as reports print it; else ''.

    A ratio of counted things above 1 is no share (14.8 pupils per teaching group is not 1 480 %)."""
    from benchdsl.units import DOMAIN_UNITS

    parts = unit.split("/")
    counted = {u for u in DOMAIN_UNITS if "NOK" not in u}
    if len(parts) == 2 and set(parts) <= counted and 0 <= value <= 1:
        return f" ({fmt(value * 100, 2, norwegian)} %)"
    return ""
