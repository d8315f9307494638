"""What a delivery covers: the coverage manifest ``coverage.csv`` ("not delivered" vs "nil").

A register extract covers some spell kinds and codes, for some units, over some period. Inside
that coverage, a person without a spell really had none: a count of zero is *nil* (``-``, or
0 %). Outside it, nothing is known: the figure is *not available* (``..``). The delivery states
its coverage in ``coverage.csv`` (data contract: ``data/README.md``), one row per covered
*slice*:

``kind``
    the spell kind (``arbeid``, ``tiltak``, ``ytelse`` …);
``code``
    the spell code; empty = every code of the kind;
``unit_id``
    the NAV unit whose participants the extract covers; empty = every unit;
``covered_from``, ``covered_to``
    the period the extract covers, both days included; an empty ``covered_to`` means "up to the
    delivery date" and is treated as open-ended;
``source``, ``note``
    where the extract comes from, and a free note (documentation only).

Rows add up: a query is covered when the matching rows together (their periods merged where
they overlap or touch) cover it. A row with an empty ``code`` or ``unit_id`` claims *every*
code or unit, so list the codes (or units) one by one when their periods differ.

Without a manifest (no ``coverage.csv``, or one without data rows) the coverage is *inferred*
as before the manifest existed: a spell kind that occurs anywhere in ``spells.csv`` counts as
covered for every unit, every code and all time; a kind that does not occur counts as not
delivered. :func:`coverage_warnings` says so, for ``coopstats validate``.

Everything here is a pure function of the delivery's frames; :class:`Coverage` is immutable.
Dates are :class:`datetime.date`; ``None`` as a span bound means "unbounded" on that side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from coopstats.data import Datasets

__all__ = [
    "MANIFEST",
    "Coverage",
    "Slice",
    "Span",
    "coverage_warnings",
    "format_span",
]

#: File name of the manifest in a delivery.
MANIFEST = "coverage.csv"

#: A covered period ``(first day, last day)``, both included; ``None`` = unbounded.
Span = tuple[date | None, date | None]


def _day(value: object) -> date | None:
    """A date from a frame cell (``None`` for a missing value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, datetime):  # pd.Timestamp too
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and pd.isna(value):
        return None
    return date.fromisoformat(str(value)[:10])


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class Slice:
    """One covered slice: a kind (one code or all), a unit (or all), a period.

    ``code``/``unit`` ``None`` = every code/unit; ``start``/``end`` ``None`` = unbounded (a
    manifest row always has a start; an empty ``covered_to`` is an open end).
    """

    kind: str
    code: str | None = None
    unit: str | None = None
    start: date | None = None
    end: date | None = None
    source: str | None = None
    note: str | None = None

    def matches(self, kind: str, code: str | None, unit: str | None) -> bool:
        """Whether this slice speaks for ``kind``/``code``/``unit``.

        ``code=None`` asks for every code of the kind, which only a slice with all codes
        covers; likewise ``unit=None`` asks for every unit.
        """
        return (
            self.kind == kind
            and (self.code is None or self.code == code)
            and (self.unit is None or self.unit == unit)
        )


def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans merged where they overlap or touch (the next starts the day after), sorted."""
    lo, hi = date.min.toordinal(), date.max.toordinal()
    ordered = sorted(
        (lo if s is None else s.toordinal(), hi if e is None else e.toordinal()) for s, e in spans
    )
    merged: list[list[int]] = []
    for s, e in ordered:
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple(
        (
            None if s == lo else date.fromordinal(s),
            None if e == hi else date.fromordinal(e),
        )
        for s, e in merged
    )


def _contains(span: Span, start: date | None, end: date | None) -> bool:
    """Whether ``span`` contains the days ``start`` and ``end`` (``None`` = no condition)."""
    s, e = span
    return all(
        (s is None or s <= day) and (e is None or day <= e)
        for day in (start, end)
        if day is not None
    )


def _clip(span: Span, start: date | None, end: date | None) -> Span | None:
    """``span`` ∩ ``[start, end]`` (``None`` bounds unbounded), or ``None`` when empty."""
    s, e = span
    lo = s if start is None or (s is not None and s > start) else start
    hi = e if end is None or (e is not None and e < end) else end
    if lo is not None and hi is not None and hi < lo:
        return None
    return lo, hi


def format_span(span: Span) -> str:
    """``01.01.2018–31.12.2022``; an open side reads «fra …» / «til …» / «hele tiden»."""
    s, e = span
    fmt = "%d.%m.%Y"
    if s is None and e is None:
        return "hele tiden"
    if s is None:
        return f"til {e.strftime(fmt)}"  # type: ignore[union-attr]
    if e is None:
        return f"fra {s.strftime(fmt)}"
    return f"{s.strftime(fmt)}–{e.strftime(fmt)}"


@dataclass(frozen=True)
class Coverage:
    """The slices a delivery covers; ``inferred`` when they come from ``spells.csv``."""

    slices: tuple[Slice, ...]
    inferred: bool = False

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Coverage:
        """The manifest rows of a typed ``coverage`` frame (:func:`coopstats.data.read_table`).

        Rows without a kind are skipped (the contract reports them).
        """
        slices = []
        for row in frame.to_dict("records"):
            kind = _text(row.get("kind"))
            if kind is None:
                continue
            slices.append(
                Slice(
                    kind=kind,
                    code=_text(row.get("code")),
                    unit=_text(row.get("unit_id")),
                    start=_day(row.get("covered_from")),
                    end=_day(row.get("covered_to")),
                    source=_text(row.get("source")),
                    note=_text(row.get("note")),
                )
            )
        return cls(tuple(slices))

    @classmethod
    def infer(cls, spells: pd.DataFrame) -> Coverage:
        """Coverage without a manifest: every kind present in ``spells``, for everything."""
        kinds = sorted({str(k) for k in spells["kind"].dropna().unique()})
        return cls(tuple(Slice(kind=k) for k in kinds), inferred=True)

    @classmethod
    def from_datasets(cls, datasets: Datasets) -> Coverage:
        """The delivery's manifest, or the inferred coverage when it has none (or no rows)."""
        manifest = datasets.coverage
        if manifest is None or manifest.empty:
            return cls.infer(datasets.spells)
        return cls.from_frame(manifest)

    # ------------------------------------------------------------------ queries

    def spans(
        self, kind: str, code: str | None = None, unit: str | None = None
    ) -> tuple[Span, ...]:
        """The periods covered for ``kind``/``code``/``unit``, merged and sorted.

        ``code``/``unit`` ``None`` ask for every code/unit (see :meth:`Slice.matches`).
        """
        return _merge((s.start, s.end) for s in self.slices if s.matches(kind, code, unit))

    def covers(
        self,
        kind: str,
        code: str | None = None,
        unit: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> bool:
        """Whether the delivery covers ``kind``/``code``/``unit`` over the whole window.

        True when the covered periods of the matching slices (merged) contain every day of
        ``[start, end]``, both days included. ``code=None`` means every code of the kind and
        ``unit=None`` every unit (only slices with an empty ``code``/``unit_id`` speak for
        those). A missing ``start`` or ``end`` sets no condition on that side: without both,
        any covered period will do.
        """
        return any(_contains(span, start, end) for span in self.spans(kind, code, unit))

    def covered_part(
        self,
        kind: str,
        code: str | None = None,
        unit: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> tuple[Span, ...]:
        """The covered periods of ``kind``/``code``/``unit`` within ``[start, end]``."""
        clipped = (_clip(span, start, end) for span in self.spans(kind, code, unit))
        return tuple(span for span in clipped if span is not None)

    def delivered(
        self,
        kind: str,
        codes: Sequence[str] = (),
        unit: str | None = None,
        start: date | None = None,
        end: date | None = None,
        *,
        whole_window: bool = True,
    ) -> bool:
        """Whether a spell criterion (``kind``, any of ``codes``) is delivered for ``unit``.

        Every code must be covered (with no codes, the kind as a whole, all its codes). With
        ``whole_window`` each must cover all of ``[start, end]`` (:meth:`covers`); otherwise
        some part of the window is enough (:meth:`covered_part`; a count is then a lower bound
        and the table should say so, see :meth:`shortfalls`).
        """
        for code in codes or (None,):
            if whole_window:
                if not self.covers(kind, code, unit, start, end):
                    return False
            elif not self.covered_part(kind, code, unit, start, end):
                return False
        return True

    def shortfalls(
        self,
        kind: str,
        codes: Sequence[str] = (),
        unit: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str | None, tuple[Span, ...]]:
        """Codes (``None``: the kind as a whole) covered for part, not all, of the window.

        Maps each such code to its covered part of ``[start, end]``. Codes not covered at all
        or covered for the whole window are left out.
        """
        out: dict[str | None, tuple[Span, ...]] = {}
        for code in codes or (None,):
            part = self.covered_part(kind, code, unit, start, end)
            if part and not self.covers(kind, code, unit, start, end):
                out[code] = part
        return out


# --------------------------------------------------------------------------- validation aid


def _uncovered_spells(coverage: Coverage, spells: pd.DataFrame, units: pd.Series) -> list[str]:
    """One text per (kind, code, unit) with spells outside every covered period."""
    counts: dict[tuple[str, str, str], int] = {}
    for row in spells.to_dict("records"):
        kind, code = _text(row.get("kind")), _text(row.get("code"))
        unit = _text(units.get(row.get("person_id")))
        if kind is None or code is None or unit is None:
            continue
        start, end = _day(row.get("start_date")), _day(row.get("end_date"))
        if end is not None and start is not None and end < start:
            continue
        if not coverage.covered_part(kind, code, unit, start, end):
            counts[kind, code, unit] = counts.get((kind, code, unit), 0) + 1
    return [
        f"advarsel: spells.csv har {n} forløp av typen {kind}/{code} for {unit} utenfor "
        f"dekningen i {MANIFEST}; de regnes ikke som levert (tabellene viser «..»)"
        for (kind, code, unit), n in sorted(counts.items())
    ]


def coverage_warnings(directory: str | Path) -> list[str]:
    """Warnings (not errors) about the coverage of the delivery in ``directory``.

    * the delivery has no manifest, or one without data rows: coverage is inferred;
    * spells of a kind/code/unit that the manifest does not cover at any time of the spell
      (they are in the data, but the tables treat them as not delivered).

    Reads the files without validating them; unreadable files give no warning (the contract
    problems are reported on their own).
    """
    from coopstats.data import load_datasets

    directory = Path(directory)
    path = directory / MANIFEST
    inferred = (
        "dekningen er utledet fra spells.csv: en forløpstype som finnes der, regnes som levert "
        "for alle enheter, koder og perioder, en som mangler, som ikke levert. Legg ved "
        f"{MANIFEST} for å si hva leveransen dekker (se data/README.md)"
    )
    try:
        datasets = load_datasets(directory, validate=False)
    except Exception:  # noqa: BLE001 - unreadable files are reported by the contract
        if not path.is_file():
            return [f"advarsel: {MANIFEST} mangler; {inferred}"]
        return []
    if datasets.coverage is None:
        return [f"advarsel: {MANIFEST} mangler; {inferred}"]
    if datasets.coverage.empty:
        return [f"advarsel: {MANIFEST} har ingen datarader; {inferred}"]
    people = datasets.participants.dropna(subset=["person_id"])
    units = people.drop_duplicates("person_id").set_index("person_id")["unit_id"]
    return _uncovered_spells(Coverage.from_frame(datasets.coverage), datasets.spells, units)
