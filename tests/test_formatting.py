"""Norwegian number formatting (Babel nb_NO), half-up rounding and SSB symbols."""

import math
from decimal import Decimal
from fractions import Fraction

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


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        # every half goes up (away from zero), whether the digit before it is even or odd;
        # rounding half to even would give 0, 2, 2, 4, 0.12, 0.12, -2 and 0.04
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (4.5, 0, "5"),
        (0.125, 2, "0.13"),
        (0.115, 2, "0.12"),
        (-2.5, 0, "-3"),
        (0.045, 2, "0.05"),
        # the written decimal is rounded, not the binary float just below it
        (2.675, 2, "2.68"),
        (28.499999999999996, 0, "28"),  # a float just below a half stays below
    ],
)
def test_round_half_up_on_half_way_cases(x, decimals, expected):
    assert round_half_up(x, decimals) == Decimal(expected)
    assert fmt_number(x, decimals) == expected.replace(".", ",")


@settings(max_examples=300, deadline=None)
@given(units=st.integers(-(10**12), 10**12), decimals=st.integers(0, 3))
def test_round_half_up_matches_exact_arithmetic(units, decimals):
    """``x`` with one digit more than kept (so every half way case is drawn): the result is
    ``floor(|x| * 10**decimals + 1/2)``, with the sign of ``x``, computed in fractions."""
    exact = Fraction(units, 10 ** (decimals + 1))
    scaled = abs(exact) * 10**decimals
    rounded = math.floor(scaled + Fraction(1, 2)) * (1 if exact >= 0 else -1)
    expected = Decimal(rounded).scaleb(-decimals)
    as_decimal = Decimal(units).scaleb(-(decimals + 1))
    assert round_half_up(as_decimal, decimals) == expected
    assert round_half_up(float(as_decimal), decimals) == expected


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


@pytest.mark.parametrize(
    ("low", "high", "decimals", "percent", "expected"),
    [
        # both ends are rounded half up from the written decimal, like a point estimate
        (0.125, 0.135, 0, True, f"13–14{NBSP}%"),  # 12.5 -> 13 (half even: 12)
        (0.1249, 0.5, 0, True, f"12–50{NBSP}%"),  # just below the half
        (0.12496, 0.5, 0, True, f"12–50{NBSP}%"),  # rounded once: 12.496 -> 12, not 12.50 -> 13
        (0.285, 0.5, 0, True, f"29–50{NBSP}%"),  # 0.285 * 100 == 28.499999999999996
        (0.145, 0.155, 0, True, f"15–16{NBSP}%"),  # 0.145 * 100 == 14.499999999999998
        (0.12345, 0.12355, 1, True, f"12,3–12,4{NBSP}%"),
        (0.00125, 0.00135, 2, True, f"0,13–0,14{NBSP}%"),  # half even: 0,12–0,14
        (0.0125, 0.0135, 2, True, f"1,25–1,35{NBSP}%"),
        (2.5, 3.5, 0, False, "3–4"),  # half even would give 2–4
        (1.005, 2.675, 2, False, "1,01–2,68"),  # binary floats just below the halves
    ],
)
def test_fmt_interval_rounds_both_ends_like_the_point_estimate(
    low, high, decimals, percent, expected
):
    assert fmt_interval(low, high, decimals=decimals, percent=percent) == expected


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), data=st.data())
def test_interval_of_count_shares_rounds_both_ends_half_up(n, data):
    """For count shares k/n each end is floor(100k/n + 1/2), the low end included."""
    k_low = data.draw(st.integers(0, n), label="k_low")
    k_high = data.draw(st.integers(k_low, n), label="k_high")
    low_text, high_text = fmt_interval(k_low / n, k_high / n).removesuffix(f"{NBSP}%").split("–")
    assert int(low_text) == (200 * k_low + n) // (2 * n)
    assert int(high_text) == (200 * k_high + n) // (2 * n)
    assert low_text == fmt_percent(k_low / n).removesuffix(f"{NBSP}%")


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


def test_rounding_refuses_booleans_negative_decimals_and_non_finite_numbers():
    """Each refusal says what was wrong (the messages are read by whoever called it)."""
    with pytest.raises(TypeError, match="^booleans are not numbers here$"):
        round_half_up(True)
    with pytest.raises(ValueError, match="^decimals must be >= 0$"):
        round_half_up(1.25, -1)
    with pytest.raises(ValueError, match=r"cannot round a non-finite number: inf"):
        round_half_up(float("inf"))


def test_a_float32_is_rounded_as_the_float64_it_converts_to():
    """A value that is not a Python float is converted first and then rounded from the
    shortest repr of that float: np.float32(2.675) is 2.67499995… as a float, so 2.67 (from
    its own repr, «2.675», it would wrongly be 2.68)."""
    value = np.float32(2.675)
    assert str(value) == "2.675" and float(value) < 2.675  # the case is what it claims
    assert round_half_up(value, 2) == Decimal("2.67")
    assert round_half_up(np.float32(0.5)) == Decimal("1")
