"""Time windows for spell measures: calendar periods or periods relative to each person.

A *calendar* window is the same for everybody (``2018-01-01`` to ``2023-12-31``). A *relative*
window is anchored on a date of each person (``intake_date`` or ``exit_date``) and counted in
whole months: ``from_months: -60, to_months: 0`` is "the five years before intake", from the
day five years before the intake date up to and including the day before it. In general a
relative window runs from ``anchor + from_months`` up to and including the day before
``anchor + to_months`` (half-open in months, closed in days), so

* ``-60 .. 0``  the five years before intake (the trial's own spells, which start at intake,
  are not "before");
* ``-1 .. 0``   the month before intake;
* ``0 .. 12``   the first twelve months from intake (the intake day included).

A spell counts when it overlaps the window (a missing start = since before, a missing end =
ongoing). A person without the anchor date has no window: no spell of theirs counts.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Relative", "bounds", "overlapping", "span", "window_key"]

Anchor = Literal["intake_date", "exit_date"]


class Relative(BaseModel):
    """A window relative to each person's ``anchor`` date, in whole months."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    anchor: Anchor = "intake_date"
    from_months: int = Field(ge=-1200, le=1200)
    to_months: int = Field(ge=-1200, le=1200)

    @model_validator(mode="after")
    def _ordered(self) -> Relative:
        if self.to_months <= self.from_months:
            raise ValueError("expected from_months before to_months")
        return self

    def key(self) -> str:
        """Stable text for variable names: ``intake_date-60m:+0m``."""
        return f"{self.anchor}{self.from_months:+d}m:{self.to_months:+d}m"


#: A calendar window (both days included) or a relative one.
Window = tuple[date, date] | Relative


def window_key(window: Window) -> str:
    """Stable text naming the window (part of the privacy layer's variable names)."""
    if isinstance(window, Relative):
        return f"rel:{window.key()}"
    start, end = window
    return f"{start.isoformat()}:{end.isoformat()}"


def bounds(window: Window, people: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """First and last day of the window per person (indexed by ``person_id``; NaT = none)."""
    ids = pd.Index(people["person_id"].astype(str), name="person_id")
    if not isinstance(window, Relative):
        start, end = (pd.Timestamp(d) for d in window)
        return pd.Series(start, index=ids), pd.Series(end, index=ids)
    anchor = pd.to_datetime(people[window.anchor]).reset_index(drop=True)
    first = anchor + pd.DateOffset(months=window.from_months)
    last = anchor + pd.DateOffset(months=window.to_months) - pd.Timedelta(days=1)
    return pd.Series(first.to_numpy(), index=ids), pd.Series(last.to_numpy(), index=ids)


def span(window: Window, people: pd.DataFrame) -> tuple[date, date] | None:
    """The calendar span all persons' windows lie in (``None`` when nobody has one)."""
    if not isinstance(window, Relative):
        return window
    first, last = bounds(window, people)
    if first.dropna().empty:
        return None
    return first.min().date(), last.max().date()


def overlapping(
    spells: pd.DataFrame,
    people: pd.DataFrame,
    *,
    kind: str,
    codes: tuple[str, ...] | list[str] = (),
    window: Window | None,
) -> set[str]:
    """Ids of ``people`` with a spell of ``kind`` (one of ``codes``) overlapping their window.

    ``window=None`` means all time.
    """
    rows = spells[(spells["kind"] == kind).fillna(False).astype(bool)]
    if codes:
        rows = rows[rows["code"].isin(list(codes)).fillna(False).astype(bool)]
    ids = set(people["person_id"].astype(str))
    rows = rows[rows["person_id"].astype(str).isin(ids)]
    if window is None or rows.empty:
        return set(rows["person_id"].astype(str))
    first, last = bounds(window, people)
    first, last = first[~first.index.duplicated()], last[~last.index.duplicated()]
    person = rows["person_id"].astype(str).to_numpy()
    lo = pd.to_datetime(first.reindex(person).to_numpy())
    hi = pd.to_datetime(last.reindex(person).to_numpy())
    start = pd.to_datetime(rows["start_date"]).to_numpy()
    end = pd.to_datetime(rows["end_date"]).to_numpy()
    hits = (pd.isna(start) | (start <= hi)) & (pd.isna(end) | (end >= lo)) & ~pd.isna(lo)
    return {p for p, hit in zip(person, hits, strict=True) if hit}
