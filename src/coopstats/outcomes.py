"""The outcome engine: time-to-event outcomes and states from register spells (issue 13).

Definitions live in ``coopstats/definitions/outcomes.yaml`` (or the file of that name in
``COOPSTATS_DEFINITIONS_DIR``), loaded and validated by :func:`load_outcome_defs`.
:func:`compute_outcomes` turns a population (``persons``: ``person_id``, ``intake_date``,
optional ``exit_date``) and its register spells (``spells``: ``person_id``, ``kind``, ``code``,
``start_date``, ``end_date``, ``full_time``; a frame or a Parquet file) into one row per person.

Two engines give identical frames. ``engine="duckdb"`` is the production engine: one DuckDB
aggregation pass over the spells joined to the persons (a conditional ``MIN`` per ``first``
event, the states at every horizon packed into one ``BIT_OR``), one window pass per ``leave``
event over its matching spells only, and the per-person rules below applied with NumPy to those
aggregates. ``engine="pandas"`` is plain pandas/NumPy written from the rules, step by step: the
baseline of ``benchmarks/outcomes.py`` and the oracle of the tests. Measurements and tuning:
``docs/performance.md`` (section "Outcome engine").

Rules (the contract the survival analysis relies on)
----------------------------------------------------
Dates are calendar days. ``I`` is a person's intake date (for comparison persons: their
reference date), ``X`` their exit date (missing = no exit), ``E`` the delivery's end date.
A spell covers the days ``start_date`` … ``end_date`` (both included; a missing end = still
ongoing, an open end). Days are counted from intake: ``days = day - I``.

Censoring
    Every event ``e`` has a censor date ``C_e = min(E, censor[e])`` (``censor``: earlier dates
    from the coverage manifest, per event id). A competing outcome's censor date is the
    minimum of ``E`` and the censor dates of its causes' events.

Persons whose intake is after the censor date
    ``days = 0`` and ``event = False`` (censored, never a failure), for every event type, and
    ``days = 0``, ``cause = NA`` for a competing outcome.

``first`` events (``event.<id>.days``, ``event.<id>.event``)
    A spell *matches* when its kind is the event's kind, its code is one of ``codes`` (when
    given) and, with ``full_time: true``, its ``full_time`` is true (missing = not full-time).
    Among the matching spells with ``end_date`` missing or ``>= I`` and ``start_date <= C_e``,
    the event day is the minimum of ``max(start_date, I)``: a spell ongoing at intake gives
    day 0, a spell ending the day before intake does not count, a spell starting on ``C_e``
    counts. Event: ``days = event day - I``, ``event = True``. No such spell: censored,
    ``days = max(0, C_e - I)``, ``event = False``.

``leave`` events
    The person's matching spells are merged into *islands* (ordered by start; a spell starting
    on or before the day after the running maximum end joins the island; an open end is
    infinite): ``2024-01-31`` followed by a start on ``2024-02-01`` is one island, a one-day
    gap makes two. The person is *at risk* only when an island covers the intake day;
    otherwise ``days`` and ``event`` are NA (not applicable). At risk: when the island's end
    is open or ``end + 1 day > C_e`` the person is censored (``days = C_e - I``,
    ``event = False``); else the event happens the day after the island ends
    (``days = end + 1 - I``, ``event = True``).

Competing outcomes (``competing.<id>.days``, ``competing.<id>.cause``)
    Each cause has a date: for ``event: <id>`` the event day of that ``first`` event when it
    happened; for ``exit: true`` the exit date when ``I <= X <= C``. ``C`` is the outcome's
    censor date (above); a cause date after ``C`` does not count. The outcome is the earliest
    cause date (ties: the first cause in the list): ``days = date - I`` and ``cause`` = the
    cause id. No cause: censored, ``days = max(0, C - I)``, ``cause`` NA.

States (``state.<anchor>.<h>``)
    For anchor ``a`` (a person column: ``intake_date`` or ``exit_date``) and horizon ``h``
    months: a missing anchor date gives :data:`NO_ANCHOR` (``ikke_avsluttet``). Otherwise the
    day is ``anchor + h`` calendar months (pandas ``DateOffset`` semantics, clipped to the
    month's end: ``2023-08-31`` + 6 months = ``2024-02-29``); a day after ``E`` gives
    :data:`NOT_FOLLOWED` (``ikke_fulgt_opp``); else the state is the first state (in the
    file's priority order) with a spell of one of its kinds covering the day, and
    ``other_state`` (``annet``) when there is none. ``censor`` does not apply to states.

Output
    One row per row of ``persons``, in that order, index ``0 … n-1``: ``person_id`` (as in
    ``persons``), then per event ``event.<id>.days`` (``Int64``) and ``event.<id>.event``
    (``boolean``), per competing outcome ``competing.<id>.days`` (``Int64``) and
    ``competing.<id>.cause`` (``string``), per anchor and horizon ``state.<anchor>.<h>``
    (``string``); :meth:`OutcomeDefs.columns` lists them. ``person_id`` values of ``persons``
    and ``spells`` are matched as they are when both are integers, else as text.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coopstats.yamlio import DefinitionError, definitions_dir, format_validation, read_mapping

__all__ = [
    "ENGINES",
    "NOT_FOLLOWED",
    "NO_ANCHOR",
    "SPELL_KINDS",
    "AnchorDef",
    "CauseDef",
    "CompetingDef",
    "EventDef",
    "OutcomeDataError",
    "OutcomeDefs",
    "OutcomeError",
    "StateDef",
    "compute_outcomes",
    "load_outcome_defs",
]

FILENAME = "outcomes.yaml"
#: State of a person whose horizon day lies after the delivery's end date.
NOT_FOLLOWED = "ikke_fulgt_opp"
#: State of a person without the anchor date (no exit date for the anchor ``avslutning``).
NO_ANCHOR = "ikke_avsluttet"
#: The spell kinds of the data contract (``spells.csv``).
SPELL_KINDS: tuple[str, ...] = ("status", "ytelse", "tiltak", "arbeid", "utdanning", "fagbrev")
#: The engines of :func:`compute_outcomes`.
ENGINES: tuple[str, ...] = ("duckdb", "pandas")

_PERSON_COLUMNS = ("person_id", "intake_date")
_SPELL_COLUMNS = ("person_id", "kind", "code", "start_date", "end_date")
#: Day number standing for an open end (far after any real date).
_OPEN = 10**8
#: Day number standing for "no date" in the DuckDB engine's ``int32`` arrays.
_NONE = -(2**31) + 1


class OutcomeError(DefinitionError, ValueError):
    """``outcomes.yaml`` is missing, malformed or inconsistent; the message says where and why."""


class OutcomeDataError(ValueError):
    """The data or arguments given to :func:`compute_outcomes` cannot be used (Norwegian text)."""


# --------------------------------------------------------------------------- definitions

Token = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")]
Kind = Literal["status", "ytelse", "tiltak", "arbeid", "utdanning", "fagbrev"]
Label = Annotated[str, Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnchorDef(_Frozen):
    """The person column a state's horizons count from."""

    column: Literal["intake_date", "exit_date"]
    label: Label


class StateDef(_Frozen):
    """A state: a person is in it on a day when a spell of one of ``kinds`` covers the day."""

    id: Token
    label: Label
    kinds: tuple[Kind, ...] = Field(min_length=1)


class OtherStateDef(_Frozen):
    """The state of a person with no spell of any state's kinds on the day."""

    id: Token
    label: Label


class EventDef(_Frozen):
    """A time-to-event outcome counted from intake (``first`` or ``leave``)."""

    id: Token
    label: Label
    type: Literal["first", "leave"]
    kind: Kind
    codes: tuple[Token, ...] = ()
    #: ``true``: full-time spells only (``full_time`` of ``arbeid`` spells).
    full_time: Literal[True] | None = None

    @model_validator(mode="after")
    def _full_time_only_for_work(self) -> EventDef:
        if self.full_time and self.kind != "arbeid":
            raise ValueError(
                "full_time: forventet bare for kind «arbeid» (full_time finnes ikke ellers)"
            )
        return self


class CauseDef(_Frozen):
    """A cause of a competing outcome: a ``first`` event (``event``) or the exit (``exit``)."""

    id: Token
    label: Label
    event: Token | None = None
    exit: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CauseDef:
        if (self.event is None) == (self.exit is None):
            raise ValueError("forventet nøyaktig én av «event: <hendelses-id>» og «exit: true»")
        return self


class CompetingDef(_Frozen):
    """A competing-risk outcome: the earliest of its causes, with the cause kept."""

    id: Token
    label: Label
    causes: tuple[CauseDef, ...] = Field(min_length=1)


def _duplicates(ids: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]


class OutcomeDefs(_Frozen):
    """The validated content of ``outcomes.yaml`` (see the file's comments)."""

    follow_up_months: int = Field(gt=0)
    horizons_months: tuple[int, ...] = Field(min_length=1)
    anchors: dict[Token, AnchorDef] = Field(min_length=1)
    states: tuple[StateDef, ...] = Field(min_length=1)
    other_state: OtherStateDef
    events: tuple[EventDef, ...] = ()
    competing: tuple[CompetingDef, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> OutcomeDefs:
        for i, h in enumerate(self.horizons_months):
            if not 0 < h <= self.follow_up_months:
                raise ValueError(
                    f"horizons_months[{i}]: forventet et positivt antall måneder, høyst "
                    f"follow_up_months ({self.follow_up_months}) (fikk {h})"
                )
        if _duplicates(self.horizons_months):  # type: ignore[arg-type]
            raise ValueError(
                f"horizons_months: forventet ulike horisonter (fikk {list(self.horizons_months)})"
            )
        state_ids = [s.id for s in self.states] + [self.other_state.id]
        special = {NOT_FOLLOWED, NO_ANCHOR}
        for dup in _duplicates(state_ids) or sorted(special & set(state_ids)):
            raise ValueError(
                f"states: forventet unike tilstands-id-er, ikke {special} (fikk {dup!r})"
            )
        seen: dict[str, str] = {}
        for i, state in enumerate(self.states):
            for kind in state.kinds:
                if kind in seen:
                    raise ValueError(
                        f"states[{i}].kinds: forventet at hver kind hører til bare én tilstand "
                        f"(«{kind}» er også i «{seen[kind]}»)"
                    )
                seen[kind] = state.id
        for dup in _duplicates([e.id for e in self.events]):
            raise ValueError(f"events: forventet unike hendelses-id-er (fikk {dup!r} flere ganger)")
        for dup in _duplicates([c.id for c in self.competing]):
            raise ValueError(f"competing: forventet unike id-er (fikk {dup!r} flere ganger)")
        firsts = [e.id for e in self.events if e.type == "first"]
        for i, outcome in enumerate(self.competing):
            for dup in _duplicates([c.id for c in outcome.causes]):
                raise ValueError(
                    f"competing[{i}].causes: forventet unike årsaks-id-er "
                    f"(fikk {dup!r} flere ganger)"
                )
            for j, cause in enumerate(outcome.causes):
                if cause.event is not None and cause.event not in firsts:
                    raise ValueError(
                        f"competing[{i}].causes[{j}].event: forventet id-en til en hendelse med "
                        f"type «first» ({', '.join(firsts) or 'ingen definert'}) "
                        f"(fikk {cause.event!r})"
                    )
        return self

    def event(self, event_id: str) -> EventDef:
        """The event with id ``event_id``."""
        return next(e for e in self.events if e.id == event_id)

    def columns(self) -> list[str]:
        """The columns of :func:`compute_outcomes`' result, in order."""
        cols = ["person_id"]
        for e in self.events:
            cols += [f"event.{e.id}.days", f"event.{e.id}.event"]
        for c in self.competing:
            cols += [f"competing.{c.id}.days", f"competing.{c.id}.cause"]
        for a in self.anchors:
            cols += [f"state.{a}.{h}" for h in self.horizons_months]
        return cols


def load_outcome_defs(path: str | Path | None = None) -> OutcomeDefs:
    """Load and validate the outcome definitions.

    ``path=None`` reads the packaged ``coopstats/definitions/outcomes.yaml``, or the file of
    that name in the folder ``COOPSTATS_DEFINITIONS_DIR`` names (as
    :func:`coopstats.indicators.load_indicators` does). The packaged file is read once per
    process (the definitions are frozen).

    Raises :class:`OutcomeError` naming the file, the key path and what was expected.
    """
    if path is None and definitions_dir() is None:
        return _packaged_defs()
    return _load(path)


@functools.cache
def _packaged_defs() -> OutcomeDefs:
    return _load(None)


def _load(path: str | Path | None) -> OutcomeDefs:
    filename, data = read_mapping(path, FILENAME, package_dir="definitions", error=OutcomeError)
    try:
        return OutcomeDefs.model_validate(data)
    except ValidationError as exc:
        raise OutcomeError(format_validation(filename, exc, schema=OutcomeDefs)) from exc


# --------------------------------------------------------------------------- inputs


class _Plan:
    """The dates and checked inputs one computation uses (shared by both engines)."""

    def __init__(
        self,
        persons: pd.DataFrame,
        spells: pd.DataFrame | str | Path,
        defs: OutcomeDefs,
        end_date: date,
        censor: Mapping[str, date | None] | None,
    ) -> None:
        self.defs = defs
        self.end = _as_date(end_date)
        self.event_censor = _event_censor(defs, self.end, censor)
        self.competing_censor = {
            c.id: min(
                [self.end] + [self.event_censor[cause.event] for cause in c.causes if cause.event]
            )
            for c in defs.competing
        }
        self.persons = persons
        _require(persons, "persons", _PERSON_COLUMNS)
        self.has_exit = "exit_date" in persons.columns
        intake = _to_datetime(persons["intake_date"], "persons", "intake_date")
        if intake.isna().any():
            raise OutcomeDataError(
                f"compute_outcomes: tabellen «persons» mangler intake_date for "
                f"{int(intake.isna().sum())} person(er); forventet en dato for alle "
                "(referansedatoen for sammenligningspersoner)"
            )
        self.intake = intake
        self.exit = (
            _to_datetime(persons["exit_date"], "persons", "exit_date")
            if self.has_exit
            else pd.Series(pd.NaT, index=persons.index, dtype="datetime64[s]")
        )
        self.spells = spells
        needed = list(_SPELL_COLUMNS)
        if any(e.full_time for e in defs.events):
            needed.append("full_time")
        if isinstance(spells, pd.DataFrame):
            names = list(spells.columns)
            self.parquet: Path | None = None
            self.spell_person_int = (
                pd.api.types.is_integer_dtype(spells["person_id"].dtype)
                if ("person_id" in names)
                else False
            )
        elif isinstance(spells, str | Path):
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.parquet = Path(spells)
            if not self.parquet.is_file():
                raise OutcomeDataError(f"compute_outcomes: fant ikke Parquet-filen {spells}")
            schema = pq.read_schema(self.parquet)
            names = list(schema.names)
            self.spell_person_int = "person_id" in names and pa.types.is_integer(
                schema.field("person_id").type
            )
        else:
            raise OutcomeDataError(
                "compute_outcomes: «spells» må være en DataFrame eller stien til en Parquet-fil "
                f"(fikk {type(spells).__name__})"
            )
        _require_names(names, "spells", needed)
        self.spell_has_full_time = "full_time" in names
        person_int = pd.api.types.is_integer_dtype(persons["person_id"].dtype)
        #: Match ids as integers when both sides are integers, else as text.
        self.ids_as_int = person_int and self.spell_person_int
        #: Spell kinds any outcome looks at.
        self.kinds = sorted(
            {e.kind for e in defs.events} | {k for s in defs.states for k in s.kinds}
        )

    def horizon_keys(self) -> list[tuple[str, int]]:
        """(anchor id, horizon) of every state column, in column order."""
        return [(a, h) for a in self.defs.anchors for h in self.defs.horizons_months]

    def horizon_dates(self) -> dict[tuple[str, int], pd.Series]:
        """The day each (anchor, horizon) state is read on, per person (NaT: no anchor)."""
        out = {}
        for anchor_id, anchor in self.defs.anchors.items():
            base = self.intake if anchor.column == "intake_date" else self.exit
            for h in self.defs.horizons_months:
                out[(anchor_id, h)] = base + pd.DateOffset(months=h)
        return out


def _as_date(value: Any) -> date:
    """``value`` (a date, datetime, ``Timestamp`` or ``datetime64``) as a :class:`date`."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if value is None or value is pd.NaT:
        raise OutcomeDataError(
            "compute_outcomes: end_date mangler; oppgi leveransens sluttdato (sensurdatoen)"
        )
    if isinstance(value, datetime):  # also pd.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    raise OutcomeDataError(f"compute_outcomes: forventet en dato (datetime.date), fikk {value!r}")


def _event_censor(
    defs: OutcomeDefs, end: date, censor: Mapping[str, date | None] | None
) -> dict[str, date]:
    censor = dict(censor or {})
    ids = [e.id for e in defs.events]
    unknown = sorted(set(censor) - set(ids))
    if unknown:
        raise OutcomeDataError(
            f"compute_outcomes: censor nevner ukjente hendelser {unknown}; "
            f"forventet hendelses-id-er fra {FILENAME} ({', '.join(ids)})"
        )
    out = {}
    for event_id in ids:
        value = censor.get(event_id)
        out[event_id] = end if value is None else min(end, _as_date(value))
    return out


def _require(frame: Any, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise OutcomeDataError(
            f"compute_outcomes: «{name}» må være en DataFrame (fikk {type(frame).__name__})"
        )
    _require_names(list(frame.columns), name, columns)


def _require_names(names: Sequence[str], name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        listed = ", ".join(f"«{c}»" for c in missing)
        noun = "kolonnen" if len(missing) == 1 else "kolonnene"
        raise OutcomeDataError(f"compute_outcomes: tabellen «{name}» mangler {noun} {listed}")


def _to_datetime(values: pd.Series, frame: str, column: str) -> pd.Series:
    """``values`` as naive ``datetime64`` (times of day are ignored: days count)."""
    if not (
        pd.api.types.is_datetime64_dtype(values.dtype) and getattr(values.dt, "tz", None) is None
    ):
        try:
            values = pd.to_datetime(values)
        except (TypeError, ValueError) as exc:
            raise OutcomeDataError(
                f"compute_outcomes: «{frame}».{column}: forventet datoer ({exc})"
            ) from exc
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)
    return values.reset_index(drop=True)


# --------------------------------------------------------------------------- entry point


def compute_outcomes(
    persons: pd.DataFrame,
    spells: pd.DataFrame | str | Path,
    defs: OutcomeDefs | None,
    end_date: date,
    *,
    censor: Mapping[str, date | None] | None = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Time-to-event outcomes and states per person (rules: the module docstring).

    Parameters
    ----------
    persons
        ``person_id``, ``intake_date`` (datetime64) and optionally ``exit_date`` (NaT = no
        exit); the result has one row per row, in this order.
    spells
        The register spells (a frame, or the path of a Parquet file, read by DuckDB directly
        or by pyarrow for the pandas engine).
    defs
        :func:`load_outcome_defs`' result (``None``: the packaged definitions).
    end_date
        The delivery's end, the censoring date.
    censor
        Event id → an earlier censoring date for that event (from the coverage manifest).
    engine
        ``"duckdb"`` (default) or ``"pandas"``; both give identical frames.

    Raises
    ------
    OutcomeDataError
        (Norwegian message) a frame lacks a column, ``end_date`` is missing, an intake date is
        missing, ``censor`` names an unknown event or ``engine`` is unknown.
    """
    if engine not in ENGINES:
        raise OutcomeDataError(
            f"compute_outcomes: ukjent engine {engine!r}; forventet en av {', '.join(ENGINES)}"
        )
    plan = _Plan(persons, spells, defs or load_outcome_defs(), end_date, censor)
    if engine == "duckdb":
        return _duckdb_engine(plan)
    return _pandas_engine(plan)


def _string_array(codes: np.ndarray, labels: Sequence[str]) -> pd.arrays.StringArray:
    """``labels[code]`` as a ``string`` array (code -1 = NA).

    The array holds references to the few label objects (8 bytes a row), Python storage: for
    ten million rows that is half the memory of Arrow text (offsets and bytes for every row)
    and, measured on the benchmark machine, a third of the time to build.
    """
    values = np.array([*labels, pd.NA], dtype=object)
    picked = values[np.where(codes < 0, len(labels), codes)]
    return pd.arrays.StringArray(picked, dtype=pd.StringDtype("python"))


# --------------------------------------------------------------------------- pandas engine


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 as ``float`` (NaN for NaT), from a datetime Series."""
    days = values.to_numpy().astype("datetime64[D]")
    out = days.astype(np.int64).astype(float)
    out[np.isnat(days)] = np.nan
    return out


def _day(value: date) -> int:
    return int((np.datetime64(value, "D") - np.datetime64("1970-01-01", "D")).astype(int))


def _pandas_engine(plan: _Plan) -> pd.DataFrame:
    """The baseline: plain pandas/NumPy, one step per outcome (clear rather than fast)."""
    defs = plan.defs
    n = len(plan.persons)
    intake = _day_numbers(plan.intake)
    exit_ = _day_numbers(plan.exit)
    end = _day(plan.end)

    # --- spells, with day numbers (open end = _OPEN), joined to the persons by id
    columns = list(_SPELL_COLUMNS) + (["full_time"] if plan.spell_has_full_time else [])
    if plan.parquet is not None:
        import pyarrow.parquet as pq

        table = pq.read_table(plan.parquet, columns=columns, read_dictionary=["kind", "code"])
        spells = table.to_pandas(date_as_object=False)
    else:
        spells = plan.spells[columns]
    spells = spells[spells["kind"].isin(plan.kinds)]
    sp = pd.DataFrame(
        {
            "pid": _ids(spells["person_id"], plan.ids_as_int),
            "kind": pd.Categorical(spells["kind"]),
            "code": pd.Categorical(spells["code"]),
            "start": _day_numbers(_to_datetime(spells["start_date"], "spells", "start_date")),
            "end": _day_numbers(_to_datetime(spells["end_date"], "spells", "end_date")),
        }
    )
    sp["end"] = sp["end"].fillna(_OPEN)
    if plan.spell_has_full_time:
        sp["full_time"] = spells["full_time"].astype("boolean").fillna(False).to_numpy(bool)
    else:
        sp["full_time"] = False
    people = pd.DataFrame(
        {"row": np.arange(n), "pid": _ids(plan.persons["person_id"], plan.ids_as_int)}
    )
    joined = sp.merge(people, on="pid", how="inner")
    joined["intake"] = intake[joined["row"].to_numpy()]

    def matches(frame: pd.DataFrame, event: EventDef) -> pd.Series:
        mask = frame["kind"] == event.kind
        if event.codes:
            mask &= frame["code"].isin(event.codes)
        if event.full_time:
            mask &= frame["full_time"]
        return mask

    result: dict[str, Any] = {"person_id": plan.persons["person_id"].reset_index(drop=True)}
    first_day: dict[str, np.ndarray] = {}  # event day per person (NaN: no event)
    for event in defs.events:
        censor = _day(plan.event_censor[event.id])
        late = intake > censor  # intake after the censor date: censored at day 0
        if event.type == "first":
            rows = joined[
                matches(joined, event)
                & (joined["end"] >= joined["intake"])
                & (joined["start"] <= censor)
            ]
            day_of_row = np.maximum(rows["start"], rows["intake"])
            per_person = day_of_row.groupby(rows["row"]).min()
            day = np.full(n, np.nan)
            day[per_person.index.to_numpy()] = per_person.to_numpy()
            day[late] = np.nan
            first_day[event.id] = day
            happened = ~np.isnan(day)
            days = np.where(happened, day - intake, np.maximum(0, censor - intake))
            days[late] = 0
            result[f"event.{event.id}.days"] = pd.array(days.astype(np.int64), dtype="Int64")
            result[f"event.{event.id}.event"] = pd.array(happened, dtype="boolean")
        else:
            island_end = _covering_island_end(
                sp[matches(sp, event) & (sp["start"] <= censor)], people, intake
            )
            at_risk = ~np.isnan(island_end) & ~late
            leaves = at_risk & (island_end < _OPEN) & (island_end + 1 <= censor)
            days = np.where(leaves, island_end + 1 - intake, censor - intake)
            days_arr = pd.array(days.astype(np.int64), dtype="Int64")
            event_arr = pd.array(leaves, dtype="boolean")
            not_applicable = ~at_risk & ~late
            days_arr[not_applicable] = pd.NA
            event_arr[not_applicable] = pd.NA
            days_arr[late] = 0
            result[f"event.{event.id}.days"] = days_arr
            result[f"event.{event.id}.event"] = event_arr

    for outcome in defs.competing:
        censor = _day(plan.competing_censor[outcome.id])
        late = intake > censor
        best = np.full(n, np.nan)
        cause = np.full(n, -1)
        for k, c in enumerate(outcome.causes):
            if c.event is not None:
                when = first_day[c.event].copy()
            else:
                when = np.where((exit_ >= intake) & (exit_ <= censor), exit_, np.nan)
            when[when > censor] = np.nan
            earlier = ~np.isnan(when) & (np.isnan(best) | (when < best))
            best[earlier] = when[earlier]
            cause[earlier] = k
        best[late] = np.nan
        cause[late] = -1
        days = np.where(np.isnan(best), np.maximum(0, censor - intake), best - intake)
        result[f"competing.{outcome.id}.days"] = pd.array(days.astype(np.int64), dtype="Int64")
        result[f"competing.{outcome.id}.cause"] = _string_array(
            cause, [c.id for c in outcome.causes]
        )

    # --- states: the first state (priority order) with a spell covering the day
    priority = {kind: p for p, state in enumerate(defs.states) for kind in state.kinds}
    labels = [s.id for s in defs.states] + [defs.other_state.id, NOT_FOLLOWED, NO_ANCHOR]
    other, not_followed, no_anchor = len(defs.states), len(defs.states) + 1, len(defs.states) + 2
    in_state = joined[joined["kind"].isin(list(priority))]
    in_state = in_state.assign(priority=in_state["kind"].map(priority).astype(int))
    for (anchor_id, h), when in plan.horizon_dates().items():
        day = _day_numbers(when)
        day_of_row = day[in_state["row"].to_numpy()]
        covering = in_state[(in_state["start"] <= day_of_row) & (in_state["end"] >= day_of_row)]
        best = covering["priority"].groupby(covering["row"]).min()
        code = np.full(n, other)
        code[best.index.to_numpy()] = best.to_numpy()
        code[day > end] = not_followed
        code[np.isnan(day)] = no_anchor
        result[f"state.{anchor_id}.{h}"] = _string_array(code, labels)
    return pd.DataFrame(result, columns=defs.columns())


def _ids(values: pd.Series, as_int: bool) -> np.ndarray:
    if as_int:
        return values.to_numpy(dtype=np.int64)
    return values.astype(str).to_numpy(dtype=object)


def _covering_island_end(
    rows: pd.DataFrame, people: pd.DataFrame, intake: np.ndarray
) -> np.ndarray:
    """End of the island of ``rows`` (one event's matching spells) covering each person's
    intake day (NaN: none; :data:`_OPEN`: open)."""
    rows = rows.sort_values(["pid", "start", "end"], kind="stable").reset_index(drop=True)
    first_of_person = rows["pid"].ne(rows["pid"].shift())
    previous_max_end = rows.groupby("pid", sort=False)["end"].cummax().shift()
    new_island = first_of_person | (rows["start"] > previous_max_end + 1)
    rows["island"] = new_island.cumsum()
    islands = rows.groupby("island").agg(
        pid=("pid", "first"), start=("start", "min"), end=("end", "max")
    )
    joined = islands.merge(people, on="pid")
    joined = joined[
        (joined["start"] <= intake[joined["row"].to_numpy()])
        & (joined["end"] >= intake[joined["row"].to_numpy()])
    ]
    out = np.full(len(people), np.nan)
    out[joined["row"].to_numpy()] = joined["end"].to_numpy()
    return out


# --------------------------------------------------------------------------- DuckDB engine

#: DuckDB's date for an open end in the leave pass (after every real date).
_OPEN_DATE = "DATE '9999-12-31'"
#: Day 0 of the day numbers DuckDB returns.
_EPOCH = "DATE '1970-01-01'"


def _cores() -> int:
    """The cores this process may run on (DuckDB's thread count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _memory_limit(persons: int) -> str:
    """DuckDB's memory limit: 512 MB plus 160 bytes per person (2 GB for 10 million), at
    least 1 GB and at most a quarter of the machine's memory.

    Measured (``benchmarks/outcomes.py``): with 10 million persons the query needs about 2 GB
    without spilling; a higher limit only lets DuckDB keep more and raises the peak.
    ``COOPSTATS_DUCKDB_MEMORY`` (DuckDB's syntax, ``3GB``) overrides the rule.
    """
    override = os.environ.get("COOPSTATS_DUCKDB_MEMORY", "").strip()
    if override:
        return override
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        total = 8 * 2**30
    want = 512 * 2**20 + 160 * persons
    return f"{int(max(2**30, min(want, total / 4)) / 2**20)}MB"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_date(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _sql_day(day: int) -> str:
    return _sql_date(date(1970, 1, 1) + timedelta(days=int(day)))


def _match_sql(event: EventDef) -> str:
    parts = [f"kind = {_sql_text(event.kind)}"]
    if event.codes:
        parts.append(f"code IN ({', '.join(_sql_text(c) for c in event.codes)})")
    if event.full_time:
        parts.append("full_time IS TRUE")
    return " AND ".join(parts)


def _spells_sql(plan: _Plan, source: str, where: list[str]) -> str:
    """The spells as typed columns (``pid``, ``kind``, ``code``, ``a`` = start, ``b`` = end,
    ``full_time``), restricted by ``where`` (evaluated on the typed columns)."""
    pid = "person_id" if plan.ids_as_int else "CAST(person_id AS VARCHAR)"
    full_time = "CAST(full_time AS BOOLEAN)" if plan.spell_has_full_time else "NULL::BOOLEAN"
    return (
        f"(SELECT * FROM (SELECT {pid} AS pid, kind, code, CAST(start_date AS DATE) AS a, "
        f"CAST(end_date AS DATE) AS b, {full_time} AS full_time FROM {source}) "
        f"WHERE {' AND '.join(where)})"
    )


def _state_words(plan: _Plan) -> list[list[int]]:
    """The horizons (indices into :meth:`_Plan.horizon_keys`) packed into each 63-bit word."""
    per_word = max(1, 63 // len(plan.defs.states))  # bit 63 stays clear (signed numpy)
    keys = list(range(len(plan.horizon_keys())))
    return [keys[i : i + per_word] for i in range(0, len(keys), per_word)]


def _main_sql(plan: _Plan, source: str, first_day: int) -> str:
    """The aggregation pass: spells joined to persons, one row per person with a spell.

    ``f<k>``: the earliest start (a day number) of a spell of the k-th ``first`` event that
    has not ended before intake and starts on or before the event's censor date (the event day
    is ``max(f, intake)``). ``w<j>``: the states covering the horizon days, as bits: horizon
    ``k`` (the ``i``-th of word ``j``) has bit ``i * S + p`` set when a spell of the ``p``-th
    state (priority order, ``S`` states) covers its day (``NULL`` horizon days, missing or
    after the end date, match nothing). ``BIT_OR`` keeps one small state per person where eight
    ``MIN`` aggregates would keep eight. What depends on the spell alone (its state bit, its
    start when it matches an event, its end with open = 9999-12-31) is computed once per spell
    before the join.
    """
    defs = plan.defs
    n_states = len(defs.states)
    bit = {kind: 1 << p for p, state in enumerate(defs.states) for kind in state.kinds}
    bits = " ".join(f"WHEN {_sql_text(k)} THEN {b}" for k, b in bit.items())
    per_spell = [f"CAST(CASE kind {bits} ELSE 0 END AS UBIGINT) AS bit"]
    aggs = []
    for k, event in enumerate(e for e in defs.events if e.type == "first"):
        censor = plan.event_censor[event.id]
        match = _match_sql(event)
        if censor < plan.end:  # later starts are dropped for every outcome anyway
            match += f" AND a <= {_sql_date(censor)}"
        per_spell.append(f"CASE WHEN {match} THEN a END AS e{k}")
        aggs.append(
            f"CAST(COALESCE(MIN(s.e{k}) FILTER (WHERE s.bb >= p.intake) - {_EPOCH}, {_NONE}) "
            f"AS INTEGER) AS f{k}"
        )
    for j, word in enumerate(_state_words(plan)):
        parts = [
            f"CASE WHEN s.a <= p.h{k} AND s.bb >= p.h{k} THEN s.bit << {i * n_states} ELSE 0 END"
            for i, k in enumerate(word)
        ]
        aggs.append(f"CAST(COALESCE(BIT_OR({' | '.join(parts)}), 0) AS BIGINT) AS w{j}")
    where = [f"a <= {_sql_date(plan.end)}", f"(b IS NULL OR b >= {_sql_day(first_day)})"]
    if set(plan.kinds) != set(SPELL_KINDS):
        where.insert(0, "(" + " OR ".join(f"kind = {_sql_text(k)}" for k in plan.kinds) + ")")
    spells = _spells_sql(plan, source, where)
    return (
        f"SELECT p._i, {', '.join(aggs)} FROM "
        f"(SELECT pid, a, COALESCE(b, {_OPEN_DATE}) AS bb, {', '.join(per_spell)} "
        f"FROM {spells}) s JOIN persons p ON s.pid = p.pid GROUP BY p._i"
    )


def _leave_sql(plan: _Plan, source: str, event: EventDef, first_intake: int) -> str:
    """The window pass of one ``leave`` event, over its matching spells only.

    Spells that end before intake cannot cover the intake day nor change where the island
    covering it ends, so they are dropped after the join; of the remaining ones (ordered by
    start) the first island covers the intake day when its first spell starts on or before
    intake, and it ends at the running maximum end before the first gap (``prev`` at the first
    row with ``a > prev + 1``), or at the maximum end when there is no gap.
    """
    censor = _sql_date(plan.event_censor[event.id])
    spells = _spells_sql(
        plan,
        source,
        [
            _match_sql(event),
            f"a <= {censor}",
            f"(b IS NULL OR b >= {_sql_day(first_intake)})",
        ],
    )
    return (
        "WITH j AS (SELECT p._i, s.a, COALESCE(s.b, " + _OPEN_DATE + ") AS b "
        f"FROM {spells} s JOIN persons p ON s.pid = p.pid "
        f"WHERE p.intake <= {censor} AND (s.b IS NULL OR s.b >= p.intake)), "
        "w AS (SELECT _i, a, b, MAX(b) OVER (PARTITION BY _i ORDER BY a ROWS BETWEEN "
        "UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev FROM j) "
        f"SELECT _i, CAST(MIN(a) - {_EPOCH} AS INTEGER) AS first_start, "
        f"CAST(COALESCE(MIN(prev) FILTER (WHERE a > prev + 1), MAX(b)) - {_EPOCH} AS INTEGER) "
        "AS island_end FROM w GROUP BY _i"
    )


def _arrow_ids(ids: pd.Series, as_int: bool) -> Any:
    """Person ids for DuckDB: ``int64``, or text (Arrow-backed text is passed without a copy)."""
    import pyarrow as pa

    if as_int:
        return pa.array(ids.to_numpy(dtype=np.int64))
    return pa.array(ids.astype(pd.StringDtype("pyarrow")).array)


def _date32(days: np.ndarray, missing: np.ndarray | None = None) -> Any:
    """``int32`` day numbers as an Arrow ``date32`` array, sharing their memory."""
    import pyarrow as pa

    days = np.ascontiguousarray(days, dtype=np.int32)
    validity = None
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(pa.date32(), len(days), [validity, pa.py_buffer(days)])


def _scatter(table: Any, column: str, n: int, fill: int, dtype: Any) -> np.ndarray:
    """``table[column]`` (no nulls) put at the rows ``table["_i"]``; ``fill`` elsewhere."""
    out = np.full(n, fill, dtype=dtype)
    out[table["_i"].to_numpy()] = table[column].to_numpy()
    return out


def _add_months(days: np.ndarray, months: Sequence[int]) -> list[np.ndarray]:
    """``days`` (day numbers) plus each of ``months`` calendar months, clipped to the month's
    end (``DateOffset`` semantics: 2023-08-31 + 6 months = 2024-02-29); ``int32``."""
    if len(days) == 0:
        return [np.zeros(0, np.int32) for _ in months]
    low = np.datetime64(int(days.min()), "D").astype("datetime64[M]")
    high = np.datetime64(int(days.max()), "D").astype("datetime64[M]") + max(months) + 2
    # the first day (day number) of every month from `low` to `high`
    starts = np.arange(low, high + 1).astype("datetime64[D]").astype(np.int32)
    month = np.searchsorted(starts, days, side="right").astype(np.int32) - 1
    day_of_month = days - starts[month]
    out = []
    for h in months:
        day = starts[month + h]
        day += day_of_month
        np.minimum(day, starts[month + (h + 1)] - 1, out=day)
        out.append(day)
    return out


def _day_ints(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers (``int32``; 0 where missing) and the mask of missing values."""
    raw = values.to_numpy()
    unit, count = np.datetime_data(raw.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    missing = np.isnat(raw)
    days = (raw.view(np.int64) // per_day).astype(np.int32)  # floor: a time counts as its day
    days[missing] = 0
    return days, missing


#: Rows per block when the DuckDB engine applies the rules (temporaries stay small).
_BLOCK = 1 << 18


def _duckdb_engine(plan: _Plan) -> pd.DataFrame:
    """The production engine: DuckDB aggregates the spells, NumPy applies the rules per person.

    Memory is kept low on purpose (10 million persons must fit in a few GB): per-person
    arrays are ``int32``/``int8`` until they become output columns, they are freed when used,
    and the rules run over blocks of rows so that temporaries stay small.
    """
    import duckdb
    import pyarrow as pa

    defs = plan.defs
    n = len(plan.persons)
    end = _day(plan.end)
    intake, _ = _day_ints(plan.intake)
    exit_, no_exit = _day_ints(plan.exit)
    ids = plan.persons["person_id"]
    columns: dict[str, Any] = {
        "_i": pa.array(np.arange(n, dtype=np.int32)),
        "pid": _arrow_ids(ids, plan.ids_as_int),
        "intake": _date32(intake),
    }
    # per state column: 0 = read the state, 1 = day after the end date, 2 = no anchor date
    horizon_status: list[np.ndarray] = []
    for anchor in defs.anchors.values():
        exits = anchor.column == "exit_date"
        for day in _add_months(exit_ if exits else intake, defs.horizons_months):
            status = (day > end).astype(np.int8)
            if exits:
                status[no_exit] = 2
            columns[f"h{len(horizon_status)}"] = _date32(day, status > 0)
            horizon_status.append(status)
    persons = pa.table(columns)
    del columns
    first_day = end
    if n:
        first_day = min(int(intake.min()), int(exit_[~no_exit].min(initial=end)))
    first_intake = int(intake.min()) if n else end

    tmp = tempfile.mkdtemp(prefix="coopstats-duckdb-")
    try:
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": _cores(),
                "memory_limit": _memory_limit(n),
                "preserve_insertion_order": False,
                "temp_directory": tmp,
            },
        )
        try:
            con.register("persons", persons)
            if plan.parquet is not None:
                source = f"read_parquet({_sql_text(str(plan.parquet))})"
            else:
                names = list(_SPELL_COLUMNS) + (["full_time"] if plan.spell_has_full_time else [])
                spells = pa.Table.from_pandas(plan.spells[names], preserve_index=False)
                con.register("spells_input", spells)
                source = "spells_input"
            main = con.sql(_main_sql(plan, source, first_day)).to_arrow_table()
            leave = {
                e.id: con.sql(_leave_sql(plan, source, e, first_intake)).to_arrow_table()
                for e in defs.events
                if e.type == "leave"
            }
        finally:
            con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    del persons

    # per-person results of the queries (int32 day numbers, _NONE = none)
    firsts = [e for e in defs.events if e.type == "first"]
    first_start = {e.id: _scatter(main, f"f{k}", n, _NONE, np.int32) for k, e in enumerate(firsts)}
    words = [_scatter(main, f"w{j}", n, 0, np.int64) for j in range(len(_state_words(plan)))]
    del main
    islands = {}
    for event_id in list(leave):
        table = leave.pop(event_id)
        islands[event_id] = (
            _scatter(table, "first_start", n, _NONE, np.int32),
            _scatter(table, "island_end", n, _NONE, np.int32),
        )
        del table

    # the output columns, filled block by block
    days_out: dict[str, np.ndarray] = {}
    na_out: dict[str, np.ndarray] = {}
    flag_out: dict[str, np.ndarray] = {}
    codes_out: dict[str, np.ndarray] = {}
    for e in defs.events:
        days_out[e.id], flag_out[e.id] = np.empty(n, np.int64), np.empty(n, bool)
        na_out[e.id] = np.zeros(n, bool)
    for c in defs.competing:
        days_out[c.id], codes_out[c.id] = np.empty(n, np.int64), np.empty(n, np.int8)
    keys = plan.horizon_keys()
    for k in range(len(keys)):
        codes_out[f"state{k}"] = np.empty(n, np.int8)
    n_states = len(defs.states)
    # the lowest set bit of a set of states = the first state (priority order) covering the day
    first_state = np.array(
        [next((p for p in range(n_states) if s >> p & 1), n_states) for s in range(1 << n_states)],
        dtype=np.int8,
    )

    for lo in range(0, n, _BLOCK):
        rows = slice(lo, lo + _BLOCK)
        i = intake[rows].astype(np.int64)
        event_day = {}
        for event in defs.events:
            censor = _day(plan.event_censor[event.id])
            late = i > censor  # intake after the censor date: censored at day 0
            if event.type == "first":
                start = first_start[event.id][rows]
                happened = (start != _NONE) & ~late
                day = np.maximum(start, i)
                event_day[event.id] = np.where(happened, day, _NONE)
                days = np.where(happened, day - i, np.maximum(0, censor - i))
            else:
                begin, island_end = (a[rows].astype(np.int64) for a in islands[event.id])
                at_risk = (begin != _NONE) & (begin <= i) & ~late
                happened = at_risk & (island_end + 1 <= censor)
                days = np.where(happened, island_end + 1 - i, censor - i)
                na_out[event.id][rows] = ~at_risk & ~late
            days[late] = 0
            days_out[event.id][rows] = days
            flag_out[event.id][rows] = happened
        for outcome in defs.competing:
            censor = _day(plan.competing_censor[outcome.id])
            best = np.zeros(len(i), np.int64)
            cause = np.full(len(i), -1, np.int8)
            for k, c in enumerate(outcome.causes):
                if c.event is not None:
                    when = event_day[c.event]
                    ok = when != _NONE
                else:
                    when = exit_[rows].astype(np.int64)
                    ok = ~no_exit[rows] & (when >= i)
                ok &= when <= censor
                earlier = ok & ((cause < 0) | (when < best))
                best[earlier] = when[earlier]
                cause[earlier] = k
            cause[i > censor] = -1
            days_out[outcome.id][rows] = np.where(cause >= 0, best - i, np.maximum(0, censor - i))
            codes_out[outcome.id][rows] = cause
        for j, word in enumerate(_state_words(plan)):
            packed = words[j][rows]
            for slot, k in enumerate(word):
                code = first_state[(packed >> (slot * n_states)) & ((1 << n_states) - 1)]
                status = horizon_status[k][rows]
                code[status == 1] = n_states + 1
                code[status == 2] = n_states + 2
                codes_out[f"state{k}"][rows] = code

    result: dict[str, Any] = {"person_id": ids.reset_index(drop=True)}
    for e in defs.events:
        na = na_out.pop(e.id)
        result[f"event.{e.id}.days"] = pd.arrays.IntegerArray(days_out.pop(e.id), na)
        result[f"event.{e.id}.event"] = pd.arrays.BooleanArray(flag_out.pop(e.id), na.copy())
    texts: dict[str, tuple[np.ndarray, list[str]]] = {}
    for c in defs.competing:
        result[f"competing.{c.id}.days"] = pd.arrays.IntegerArray(
            days_out.pop(c.id), np.zeros(n, bool)
        )
        texts[f"competing.{c.id}.cause"] = (codes_out.pop(c.id), [x.id for x in c.causes])
    labels = [s.id for s in defs.states] + [defs.other_state.id, NOT_FOLLOWED, NO_ANCHOR]
    for k, (anchor_id, h) in enumerate(keys):
        texts[f"state.{anchor_id}.{h}"] = (codes_out.pop(f"state{k}"), labels)
    for name, (codes, names) in texts.items():
        result[name] = _string_array(codes, names)
    return pd.DataFrame(result, columns=defs.columns(), copy=False)
