"""Norwegian (bokmål) number formatting and SSB table symbols.

All reader-facing numbers go through this module. Formatting uses Babel with the ``nb_NO``
locale (CLDR data shipped in the wheel), so grouping and percent signs use the no-break spaces
CLDR prescribes: ``1 234``, ``12,5``, ``28 %``. Rounding is half up with :mod:`decimal`, as in
the published reports (Python's :func:`round` and Babel round half to even).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from babel import Locale
from babel.numbers import format_decimal, format_percent

__all__ = [
    "HIDDEN",
    "LOCALE",
    "NIL",
    "NOT_APPLICABLE",
    "NOT_AVAILABLE",
    "fmt_interval",
    "fmt_number",
    "fmt_percent",
    "is_missing",
    "round_half_up",
]

#: SSB symbol: value hidden for confidentiality (disclosure control).
HIDDEN = ":"
#: SSB symbol: value not available (not reported, missing).
NOT_AVAILABLE = ".."
#: SSB symbol: nil, the true value is zero.
NIL = "-"
#: SSB symbol: not applicable (the category or indicator is not defined here).
NOT_APPLICABLE = "."

LOCALE = "nb_NO"
_EN_DASH = "\u2013"


def is_missing(x: Any) -> bool:
    """True for ``None``, ``NaN``, ``pd.NA`` and ``pd.NaT`` (scalars only)."""
    if x is None:
        return True
    try:
        result = pd.isna(x)
    except (TypeError, ValueError):
        return False
    return isinstance(result, bool | np.bool_) and bool(result)


def _to_decimal(x: Any) -> Decimal:
    """Exact decimal of the *shortest repr* of ``x`` (so ``0.125`` is ``Decimal('0.125')``)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, int | np.integer):
        return Decimal(int(x))
    value = float(x) if not isinstance(x, float) else x
    if not math.isfinite(value):
        raise ValueError(f"cannot round a non-finite number: {x!r}")
    return Decimal(str(value))


def round_half_up(x: float, decimals: int = 0) -> Decimal:
    """Round ``x`` half up (away from zero at .5) to ``decimals`` places.

    Uses ``Decimal(str(x))`` so that the decimal written form is rounded, not the binary float:
    ``round_half_up(0.125, 2) == Decimal("0.13")``, ``round_half_up(2.5) == Decimal("3")``.
    """
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    quantum = Decimal(1).scaleb(-decimals)
    result = _to_decimal(x).quantize(quantum, rounding=ROUND_HALF_UP)
    if result.is_zero():
        result = abs(result)  # no "-0"
    return result


def _decimal_pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


@cache
def _percent_pattern(decimals: int) -> str:
    """The nb_NO CLDR percent pattern (``#,##0 %``) with ``decimals`` fraction digits."""
    pattern = Locale.parse(LOCALE).percent_formats[None].pattern
    if decimals > 0:
        pattern = pattern.replace("0", "0." + "0" * decimals, 1)
    return pattern


def fmt_number(x: Any, decimals: int = 0) -> str:
    """Format a number the Norwegian way: ``1 234``, ``12,5``; missing values give ``..``."""
    if is_missing(x):
        return NOT_AVAILABLE
    value = round_half_up(x, decimals)
    return format_decimal(value, format=_decimal_pattern(decimals), locale=LOCALE)


def _percent_points(share: Any, decimals: int) -> Decimal:
    """``share * 100`` computed in decimal and rounded half up."""
    return round_half_up(_to_decimal(share) * 100, decimals)


def fmt_percent(share: Any, decimals: int = 0) -> str:
    """Format a share in 0..1 as a Norwegian percentage: ``0.125 -> "13 %"``.

    The percentage (``share * 100``) is rounded half up in decimal arithmetic, then written with
    Babel's nb_NO percent pattern (no-break space before ``%``). Missing values give ``..``.
    """
    if is_missing(share):
        return NOT_AVAILABLE
    points = _percent_points(share, decimals)
    return format_percent(points / 100, format=_percent_pattern(decimals), locale=LOCALE)


def fmt_interval(low: Any, high: Any, decimals: int = 0, percent: bool = True) -> str:
    """Format an interval with an en dash: ``"12–45 %"`` (shares) or ``"4–60"`` (numbers).

    With ``percent=True`` both ends are shares in 0..1. A missing end gives ``..``.
    """
    if is_missing(low) or is_missing(high):
        return NOT_AVAILABLE
    if percent:
        low_text = fmt_number(_percent_points(low, decimals), decimals)
        return f"{low_text}{_EN_DASH}{fmt_percent(high, decimals)}"
    return f"{fmt_number(low, decimals)}{_EN_DASH}{fmt_number(high, decimals)}"
