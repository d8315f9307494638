"""Windows relative to each person's intake (coopstats.windows), on hand-made populations."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
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
