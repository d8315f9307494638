"""Grouped-time survival statistics: hand-computed Kaplan–Meier and Aalen–Johansen values,
interval boundaries, censoring, and the cut points chosen for privacy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopstats import survival as S

M = S.DAYS_PER_MONTH


def test_interval_boundaries_are_inclusive_on_the_left():
    cuts = [3, 6, 12]
    # 3 months = 91.3125 days: day 91 is in the first quarter, day 92 in the second
    days = pd.Series([0, 91, 92, 182, 183, 365, 366, pd.NA], dtype="Int64")
    event = pd.Series([True, True, True, False, True, True, True, pd.NA], dtype="boolean")
    got = list(S.group_event(days, event, cuts))
    assert got == ["h0", "h0", "h1", "s1", "h2", "h2", S.BEYOND, S.NOT_AT_RISK]


def test_censored_at_day_zero_is_censored_never_an_event():
    days = pd.Series([0, 0], dtype="Int64")
    event = pd.Series([False, True], dtype="boolean")
    assert list(S.group_event(days, event, [6])) == ["s0", "h0"]


def test_competing_categories_keep_the_cause():
    days = pd.Series([10, 200, 400, 50], dtype="Int64")
    cause = pd.Series(["fagbrev", "avbrudd", "fagbrev", pd.NA], dtype="string")
    got = list(S.group_competing(days, cause, [6, 12]))
    assert got == ["h0:fagbrev", "h1:avbrudd", S.BEYOND, "s0"]


def test_kaplan_meier_matches_a_hand_computation():
    # n = 10, cuts 6 and 12 months: 2 events and 1 censored in the first interval,
    # 3 events and 1 censored in the second, 3 beyond.
    counts = {"h0": 2, "s0": 1, "h1": 3, "s1": 1, S.BEYOND: 3}
    curve = S.survival_curve(counts, {}, 10, [6, 12])
    f = curve.frame
    # S(6) = 1 - 2/10 = 0.8; censored at the interval's end are at risk through it,
    # so at 12 months 10 - 2 - 1 = 7 are at risk and S(12) = 0.8 * (1 - 3/7)
    assert list(f["at_risk"]) == [10, 7]
    assert f["andel"].iloc[0] == pytest.approx(0.2)
    assert f["andel"].iloc[1] == pytest.approx(1 - 0.8 * 4 / 7)
    # Greenwood at 6 months: var = S^2 * d / (n (n - d)) = 0.64 * 2 / 80
    se = math.sqrt(0.64 * 2 / 80)
    theta = 1.959963984540054 * se / (0.8 * abs(math.log(0.8)))
    low_s, high_s = 0.8 ** math.exp(theta), 0.8 ** math.exp(-theta)
    assert f["andel_low"].iloc[0] == pytest.approx(1 - high_s)
    assert f["andel_high"].iloc[0] == pytest.approx(1 - low_s)
    assert not curve.cut


def test_not_at_risk_persons_leave_the_curve():
    counts = {"h0": 5, S.NOT_AT_RISK: 5, S.BEYOND: 5}
    f = S.survival_curve(counts, {}, 15, [12]).frame
    assert list(f["at_risk"]) == [10]
    assert f["andel"].iloc[0] == pytest.approx(0.5)


def test_curve_stops_before_the_first_hidden_count():
    counts = {"h0": 5, "s0": 0, "h1": 2, "s1": 0, "h2": 6, S.BEYOND: 7}
    curve = S.survival_curve(counts, {"h1": True}, 20, [6, 12, 18])
    assert list(curve.frame["month"]) == [6]
    assert curve.cut
    # the estimate at 6 months does not depend on the later (hidden) counts
    other = S.survival_curve({**counts, "h1": 4, "h2": 1}, {"h1": True}, 20, [6, 12, 18])
    assert other.frame["andel"].iloc[0] == curve.frame["andel"].iloc[0]


def test_a_hidden_not_at_risk_count_hides_the_whole_curve():
    counts = {"h0": 5, S.NOT_AT_RISK: 2, S.BEYOND: 8}
    assert S.survival_curve(counts, {S.NOT_AT_RISK: True}, 15, [6]).frame.empty


def test_cumulative_incidence_matches_a_hand_computation():
    # n = 10: at 6 months 2 fagbrev, 1 avbrudd, 1 censored; at 12 months 1 fagbrev
    counts = {"h0:fagbrev": 2, "h0:avbrudd": 1, "s0": 1, "h1:fagbrev": 1, S.BEYOND: 5}
    f = S.incidence_curve(counts, {}, 10, [6, 12], ["fagbrev", "avbrudd"]).frame
    # Aalen–Johansen: F_a(6) = 2/10, F_b(6) = 1/10, S(6) = 0.7; at 12 months 6 at risk,
    # F_a(12) = 0.2 + 0.7 * 1/6, F_b unchanged
    assert list(f["at_risk"]) == [10, 6]
    assert f["fagbrev"].tolist() == pytest.approx([0.2, 0.2 + 0.7 / 6])
    assert f["avbrudd"].tolist() == pytest.approx([0.1, 0.1])


def _persons(events: list[tuple[int, bool]]) -> tuple[pd.Series, pd.Series]:
    days = pd.Series([d for d, _ in events], dtype="Int64")
    flag = pd.Series([e for _, e in events], dtype="boolean")
    return days, flag


def test_cuts_merge_quarters_until_no_count_is_small():
    # 3 events in the first quarter, 3 in the second: merged into one half-year of 6;
    # then 6 censored in the third quarter would leave a risk set of 2 (small), so the
    # third and fourth quarters (6 + 2 censored) are merged too
    days, flag = _persons(
        [(30, True)] * 3 + [(120, True)] * 3 + [(200, False)] * 6 + [(300, False)] * 2
    )
    cuts = S.choose_cuts(days, flag, [np.ones(len(days), bool)], 12, 5)
    assert cuts == [6, 12]
    grouped = S.group_event(days, flag, cuts).value_counts()
    assert grouped["h0"] == 6 and grouped["s1"] == 8


def test_no_cut_when_the_group_is_smaller_than_the_threshold():
    days, flag = _persons([(30, True)] * 3)
    assert S.choose_cuts(days, flag, [np.ones(3, bool)], 12, 5) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1200), st.booleans()), min_size=1, max_size=60),
    st.sampled_from([3, 5, 10]),
)
def test_published_intervals_never_hold_a_small_count(events, t):
    """Property: on the chosen cuts, every interval's counts and every risk set left after
    the published intervals are 0 or at least the threshold."""
    days, flag = _persons(events)
    group = np.ones(len(days), bool)
    cuts = S.choose_cuts(days, flag, [group], 36, t)
    counts = S.group_event(days, flag, cuts).value_counts()
    assert S.prefix(counts, len(days), len(cuts), None, t) == len(cuts)
    rest = len(days)
    for i in range(len(cuts)):
        for code in (f"h{i}", f"s{i}"):
            assert not 0 < counts.get(code, 0) < t
        rest -= counts.get(f"h{i}", 0) + counts.get(f"s{i}", 0)
        assert not 0 < rest < t


def test_months_text():
    assert S.months_text(6) == "6 måneder"
    assert S.months_text(12) == "1 år"
    assert S.months_text(36) == "3 år"
    assert S.months_text(27) == "27 måneder"
