"""Norwegian number formatting (Babel nb_NO), half-up rounding and SSB symbols."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopstats.formatting import (
    HIDDEN,
    NIL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    fmt_interval,
    fmt_number,
    fmt_percent,
    round_half_up,
)

NBSP = "\xa0"  # CLDR nb: grouping separator and the space before "%"


def test_ssb_symbols():
    assert (HIDDEN, NOT_AVAILABLE, NIL, NOT_APPLICABLE) == (":", "..", "-", ".")


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (2.5, 0, Decimal("3")),
        (3.5, 0, Decimal("4")),  # banker's rounding would give 4 too; 2.5 is the telling case
        (0.125, 2, Decimal("0.13")),
        (1.005, 2, Decimal("1.01")),  # float 1.005 is 1.00499999...; str() keeps "1.005"
        (-2.5, 0, Decimal("-3")),
        (12.45, 1, Decimal("12.5")),
        (7, 0, Decimal("7")),
        (np.int64(41), 0, Decimal("41")),
        (Decimal("0.5"), 0, Decimal("1")),
    ],
)
def test_round_half_up(x, decimals, expected):
    assert round_half_up(x, decimals) == expected


def test_round_half_up_no_negative_zero_and_rejects_bad_input():
    assert str(round_half_up(-0.4)) == "0"
    with pytest.raises(ValueError):
        round_half_up(1.0, -1)
    with pytest.raises(ValueError):
        round_half_up(float("inf"))


def test_round_half_up_differs_from_builtin_round():
    assert round(2.5) == 2  # Python rounds half to even ...
    assert round_half_up(2.5) == 3  # ... the reports round half up


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1234, 0, f"1{NBSP}234"),
        (1234567, 0, f"1{NBSP}234{NBSP}567"),
        (999, 0, "999"),
        (12.5, 1, "12,5"),
        (12.5, 0, "13"),
        (2.5, 0, "3"),
        (0.125, 2, "0,13"),
        (3, 1, "3,0"),
        (-1234.5, 1, f"-1{NBSP}234,5"),
        (np.int64(66), 0, "66"),
        (np.float64(0.5), 0, "1"),
        (Decimal("3.45"), 1, "3,5"),
        (0, 0, "0"),
    ],
)
def test_fmt_number(x, decimals, expected):
    assert fmt_number(x, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_are_not_available(missing):
    assert fmt_number(missing) == NOT_AVAILABLE
    assert fmt_number(missing, 2) == NOT_AVAILABLE
    assert fmt_percent(missing) == NOT_AVAILABLE
    assert fmt_interval(missing, 0.5) == NOT_AVAILABLE
    assert fmt_interval(0.1, missing) == NOT_AVAILABLE


@pytest.mark.parametrize(
    ("share", "decimals", "expected"),
    [
        (0.125, 0, f"13{NBSP}%"),
        (0.285, 0, f"29{NBSP}%"),  # 0.285 * 100 == 28.499999999999996 in binary floating point
        (0.28, 0, f"28{NBSP}%"),
        (0.2849, 0, f"28{NBSP}%"),
        (1, 0, f"100{NBSP}%"),
        (0, 0, f"0{NBSP}%"),
        (0.125, 1, f"12,5{NBSP}%"),
        (0.12345, 1, f"12,3{NBSP}%"),
        (12.34, 0, f"1{NBSP}234{NBSP}%"),
        (Decimal(57) / Decimal(200), 0, f"29{NBSP}%"),
    ],
)
def test_fmt_percent(share, decimals, expected):
    assert fmt_percent(share, decimals) == expected


def test_fmt_interval():
    assert fmt_interval(0.12, 0.449) == f"12–45{NBSP}%"
    assert fmt_interval(0.125, 0.5, decimals=1) == f"12,5–50,0{NBSP}%"
    assert fmt_interval(4, 60, percent=False) == "4–60"
    assert fmt_interval(1000, 2500, percent=False) == f"1{NBSP}000–2{NBSP}500"


@settings(max_examples=200, deadline=None)
@given(k=st.integers(0, 400), n=st.integers(1, 400))
def test_percent_of_counts_rounds_half_up(k, n):
    """For count shares k/n the whole percent equals floor(100k/n + 1/2) in exact arithmetic."""
    expected = (200 * k + n) // (2 * n)
    text = fmt_percent(k / n)
    assert text.endswith(f"{NBSP}%")
    assert int(text.removesuffix(f"{NBSP}%").replace(NBSP, "")) == expected


@settings(max_examples=200, deadline=None)
@given(x=st.integers(-(10**9), 10**9))
def test_integers_round_trip_through_grouping(x):
    text = fmt_number(x)
    assert int(text.replace(NBSP, "")) == x
    digits = text.lstrip("-")
    groups = digits.split(NBSP)
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
