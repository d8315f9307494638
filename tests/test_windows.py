"""Windows relative to each person's intake (coopstats.windows), on hand-made populations."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from coopstats import windows
from coopstats.windows import Relative

FIVE_YEARS = Relative(from_months=-60, to_months=0)
MONTH = Relative(from_months=-1, to_months=0)


def _people(**intake: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"person_id": list(intake), "intake_date": pd.to_datetime(list(intake.values()))}
    )


def _spells(*rows: tuple[str, str, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "code": [r[1] for r in rows],
            "start_date": pd.to_datetime([r[2] for r in rows]),
            "end_date": pd.to_datetime([r[3] for r in rows]),
        }
    )


def test_five_years_before_intake_ends_the_day_before_intake():
    people = _people(a="2023-08-21")
    first, last = windows.bounds(FIVE_YEARS, people)
    assert (first["a"].date(), last["a"].date()) == (date(2018, 8, 21), date(2023, 8, 20))
    first, last = windows.bounds(Relative(from_months=0, to_months=12), people)
    assert (first["a"].date(), last["a"].date()) == (date(2023, 8, 21), date(2024, 8, 20))


def test_the_trials_own_spells_are_not_before_intake():
    # the training measure and its tiltakspenger start on the intake day: not "before"
    people = _people(a="2023-08-21", b="2023-08-21", c="2023-08-21", d="2023-08-21")
    spells = _spells(
        ("a", "tiltak", "2023-08-21", None),  # the trial itself
        ("b", "tiltak", "2019-01-01", "2023-08-20"),  # ends the day before intake
        ("c", "tiltak", None, "2018-08-21"),  # ends on the window's first day
        ("d", "tiltak", None, "2018-08-20"),  # ends the day before the window
    )
    assert windows.overlapping(spells, people, kind="tiltak", window=FIVE_YEARS) == {"b", "c"}
    # the calendar reading of delrapport 1 counts the trial's own spell as "2018–2023"
    calendar = (date(2018, 1, 1), date(2023, 12, 31))
    assert windows.overlapping(spells, people, kind="tiltak", window=calendar) == {
        "a",
        "b",
        "c",
        "d",
    }


def test_a_2025_cohort_gets_its_own_five_years():
    people = _people(old="2023-08-21", new="2025-03-01")
    spells = _spells(
        ("old", "arbeid", "2024-06-01", "2024-12-31"),  # after intake for the 2023 cohort
        ("new", "arbeid", "2024-06-01", "2024-12-31"),  # before intake for the 2025 cohort
    )
    assert windows.overlapping(spells, people, kind="arbeid", window=FIVE_YEARS) == {"new"}
    assert windows.span(FIVE_YEARS, people) == (date(2018, 8, 21), date(2025, 2, 28))


def test_a_person_without_the_anchor_date_has_no_window():
    people = pd.DataFrame({"person_id": ["a"], "intake_date": pd.to_datetime([None])})
    spells = _spells(("a", "arbeid", "2020-01-01", None))
    assert windows.overlapping(spells, people, kind="arbeid", window=FIVE_YEARS) == set()
    assert windows.span(FIVE_YEARS, people) is None


def test_window_keys_tell_windows_apart():
    keys = {
        windows.window_key(FIVE_YEARS),
        windows.window_key(MONTH),
        windows.window_key((date(2018, 1, 1), date(2023, 12, 31))),
    }
    assert len(keys) == 3
    with pytest.raises(ValueError, match="from_months before to_months"):
        Relative(from_months=0, to_months=0)


@given(
    intake=st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
    offset=st.integers(min_value=-2200, max_value=400),
    length=st.integers(min_value=0, max_value=400),
)
def test_a_spell_counts_exactly_when_it_overlaps_the_persons_window(intake, offset, length):
    start = pd.Timestamp(intake) + pd.Timedelta(days=offset)
    end = start + pd.Timedelta(days=length)
    people = _people(a=intake.isoformat())
    spells = _spells(("a", "arbeid", start.date().isoformat(), end.date().isoformat()))
    lo = pd.Timestamp(intake) - pd.DateOffset(months=60)
    hi = pd.Timestamp(intake) - pd.Timedelta(days=1)
    expected = start <= hi and end >= lo
    hit = windows.overlapping(spells, people, kind="arbeid", window=FIVE_YEARS) == {"a"}
    assert hit == expected


# --------------------------------------------------------------------------- inclusive boundaries

DAY = timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    """Calendar month arithmetic written out (the day clamped to the month's length)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _boundary_cases(first: date, last: date) -> dict[str, tuple[date | None, date | None, bool]]:
    """Spells on and just outside both ends of the window ``first..last`` (both included)."""
    return {
        "same-day-on-first": (first, first, True),
        "same-day-on-last": (last, last, True),
        "starts-on-last-open": (last, None, True),
        "starts-on-last-ends-after": (last, last + 30 * DAY, True),
        "ends-on-first": (first - 30 * DAY, first, True),
        "ends-on-first-open-start": (None, first, True),
        "covers-the-window": (first - DAY, last + DAY, True),
        "same-day-before-first": (first - DAY, first - DAY, False),
        "ends-day-before-first-open-start": (None, first - DAY, False),
        "same-day-after-last": (last + DAY, last + DAY, False),
        "starts-day-after-last-open": (last + DAY, None, False),
    }


@pytest.mark.parametrize(
    ("window", "anchors", "first", "last"),
    [
        pytest.param(
            (date(2023, 10, 1), date(2023, 10, 31)), {}, date(2023, 10, 1), date(2023, 10, 31),
            id="calendar-october-2023",
        ),
        pytest.param(
            (date(2018, 1, 1), date(2023, 12, 31)), {}, date(2018, 1, 1), date(2023, 12, 31),
            id="calendar-2018-2023",
        ),
        pytest.param(
            (date(2023, 10, 15), date(2023, 10, 15)), {}, date(2023, 10, 15), date(2023, 10, 15),
            id="calendar-one-day",
        ),
        pytest.param(
            FIVE_YEARS, {"intake_date": "2023-08-21"}, date(2018, 8, 21), date(2023, 8, 20),
            id="five-years-before-intake",
        ),
        pytest.param(
            MONTH, {"intake_date": "2023-08-21"}, date(2023, 7, 21), date(2023, 8, 20),
            id="month-before-intake",
        ),
        pytest.param(
            Relative(from_months=0, to_months=12), {"intake_date": "2023-08-21"},
            date(2023, 8, 21), date(2024, 8, 20),
            id="first-year-from-intake",
        ),
        pytest.param(
            Relative(anchor="exit_date", from_months=0, to_months=6),
            {"intake_date": "2023-08-21", "exit_date": "2024-03-15"},
            date(2024, 3, 15), date(2024, 9, 14),
            id="six-months-from-exit",
        ),
        pytest.param(
            Relative(anchor="exit_date", from_months=-3, to_months=0),
            {"intake_date": "2023-08-21", "exit_date": "2024-03-15"},
            date(2023, 12, 15), date(2024, 3, 14),
            id="three-months-before-exit",
        ),
    ],
)  # fmt: skip
def test_both_ends_of_every_window_are_included(window, anchors, first, last):
    """A spell counts when it touches the window by a single day, at either end, and not when
    it misses it by one day; the window's own bounds are both included."""
    cases = _boundary_cases(first, last)
    people = pd.DataFrame({"person_id": list(cases)})
    for column in ("intake_date", "exit_date"):
        people[column] = pd.to_datetime(anchors.get(column))
    spells = _spells(
        *(
            (name, "ytelse", s and s.isoformat(), e and e.isoformat())
            for name, (s, e, _) in cases.items()
        )
    )
    low, high = windows.bounds(window, people)
    assert {d.date() for d in low} == {first} and {d.date() for d in high} == {last}
    assert windows.span(window, people) == (first, last)
    expected = {name for name, (_, _, hit) in cases.items() if hit}
    assert windows.overlapping(spells, people, kind="ytelse", window=window) == expected


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
    from_months=st.integers(-72, 23),
    length_months=st.integers(1, 24),
    column=st.sampled_from(["intake_date", "exit_date"]),
    near_last=st.booleans(),
    offset=st.integers(-3, 3),
    length=st.integers(0, 3),
    open_start=st.booleans(),
    open_end=st.booleans(),
)
@example(date(2023, 8, 21), -1, 1, "intake_date", True, 0, 0, False, False)  # on the last day
@example(date(2023, 8, 21), 0, 6, "exit_date", False, 0, 0, False, False)  # on the first day
def test_relative_windows_on_their_boundaries(
    anchor, from_months, length_months, column, near_last, offset, length, open_start, open_end
):
    """Spells starting a few days around either end of any relative window, either anchor:
    counted exactly when they overlap ``anchor + from`` .. the day before ``anchor + to``."""
    to_months = from_months + length_months
    window = Relative(anchor=column, from_months=from_months, to_months=to_months)
    first = _add_months(anchor, from_months)
    last = _add_months(anchor, to_months) - DAY
    start = (last if near_last else first) + offset * DAY
    end = start + length * DAY
    people = pd.DataFrame({"person_id": ["a"], column: pd.to_datetime([anchor])})
    spells = _spells(
        (
            "a",
            "arbeid",
            None if open_start else start.isoformat(),
            None if open_end else end.isoformat(),
        )
    )
    expected = (open_start or start <= last) and (open_end or end >= first)
    hit = windows.overlapping(spells, people, kind="arbeid", window=window) == {"a"}
    assert hit == expected
    assert windows.span(window, people) == (first, last)


def test_a_relative_window_needs_at_least_one_month():
    assert Relative(from_months=-1, to_months=0).key() == "intake_date-1m:+0m"
    with pytest.raises(ValueError, match="from_months before to_months"):
        Relative(from_months=1, to_months=0)


def test_bounds_are_indexed_by_person_id():
    people = _people(a="2023-08-21", b="2024-01-31")
    for window in (FIVE_YEARS, (date(2020, 1, 1), date(2020, 12, 31))):
        first, last = windows.bounds(window, people)
        assert first.index.name == last.index.name == "person_id"
        assert list(first.index) == list(last.index) == ["a", "b"]


def test_spells_with_a_missing_kind_or_code_never_count():
    people = _people(a="2023-08-21", b="2023-08-21", c="2023-08-21")
    spells = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "kind": pd.array(["arbeid", None, "ytelse"], dtype="string"),
            "code": pd.array(["arbeid", "arbeid", None], dtype="string"),
            "start_date": pd.to_datetime(["2020-01-01"] * 3),
            "end_date": pd.to_datetime([None] * 3),
        }
    )
    assert windows.overlapping(spells, people, kind="arbeid", window=FIVE_YEARS) == {"a"}
    assert windows.overlapping(spells, people, kind="arbeid", window=None) == {"a"}
    assert (
        windows.overlapping(spells, people, kind="ytelse", codes=["aap"], window=FIVE_YEARS)
        == set()
    )
