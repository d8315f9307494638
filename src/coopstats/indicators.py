"""Indicator definitions and the engine that computes them per trial.

Definitions live in ``coopstats/definitions/indicators.yaml`` (or the file of that name in
``COOPSTATS_DEFINITIONS_DIR``), the only list of indicator ids: the registry's chain elements and
targets may name any id defined there (:func:`coopstats.yamlio.indicator_ids`). Entries are
validated with frozen pydantic models (unknown keys are errors). A numerator or
denominator is a small *spec* (a mapping with a ``dataset`` key):

``{dataset: participants, status: all|active|exited, filter: {column: value | [values]}}``
    Persons among the trial's participant rows. ``status`` is judged at the period end:
    ``all`` = admitted (intake on or before the end), ``active`` = admitted and no exit on or
    before the end, ``exited`` = admitted with an exit on or before the end.
``{dataset: spells, kind: K, codes: [...], window: [from, to]}``
    Persons (of the population) with a spell of kind ``K`` (and one of ``codes`` if given)
    overlapping ``window`` (default: the requested period, else all time). When the delivery
    does not cover the kind and codes for the trial's unit over that window (the coverage
    manifest ``coverage.csv``, :mod:`coopstats.coverage`; without one, a kind absent from the
    whole delivery) the data are not delivered: the value is ``not_reported``, not 0.
``{dataset: activity_log, activity: [...], channel: [...], fallback_target: ind-id}``
    Sum of the county's reported counts, qualifier kept. ``fallback_target`` (denominators
    only) uses the trial's registry target for that indicator when the log has no rows.

Values keep their kind: ``exact``, ``approximate`` (any approximate input), ``range`` (any range
input; ``low``/``high`` carried through), ``not_reported`` (no rows for the trial) and
``not_defined`` (the definition's ``models`` list excludes the trial's model).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from statsmodels.stats.proportion import proportion_confint

from coopstats import windows
from coopstats.data import COLUMNS, Datasets
from coopstats.disclosure import DisclosureConfig
from coopstats.formatting import (
    HIDDEN,
    NIL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    fmt_interval,
    fmt_number,
    fmt_percent,
)
from coopstats.registry import (
    LEVEL_LABELS,
    LevelKey,
    Provenance,
    Registry,
    Target,
    Trial,
    load_registry,
)
from coopstats.yamlio import (
    DefinitionError,
    definitions_dir,
    did_you_mean,
    format_validation,
    key_path,
    read_mapping,
)

__all__ = [
    "ActivitySpec",
    "IndicatorDef",
    "IndicatorError",
    "ParticipantSpec",
    "SpellSpec",
    "TABLE_COLUMNS",
    "VALUE_COLUMNS",
    "compute_indicators",
    "indicator_table_frame",
    "load_indicators",
]

FILENAME = "indicators.yaml"
#: Columns of :func:`compute_indicators`' result, in order.
VALUE_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "label_nb",
    "chain_level",
    "unit_id",
    "trial_id",
    "model_id",
    "kind",
    "value",
    "low",
    "high",
    "numerator",
    "denominator",
    "ci_low",
    "ci_high",
    "measure",
    "person_data",
    "target_kind",
    "target_value",
    "target_low",
    "target_high",
    "target_text",
    "source",
)
#: Columns of :func:`indicator_table_frame`.
TABLE_COLUMNS: tuple[str, ...] = (
    "Indikator",
    "Resultatkjede-nivå",
    "Verdi",
    "95 % KI",
    "Mål",
    "Kilde",
)
SOURCE_NB = {"participants": "Registerdata", "activity_log": "Fylkets rapportering"}
_DATASETS = ("participants", "spells", "activity_log")
_FLOAT = ("value", "low", "high", "ci_low", "ci_high", "target_value", "target_low", "target_high")


class IndicatorError(DefinitionError, ValueError):
    """The definitions file is missing, malformed or incomplete; the message says where and why."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


FilterValue = str | bool | int | tuple[str, ...]


class ParticipantSpec(_Frozen):
    """Persons among the trial's participants, by status at period end and column filters."""

    dataset: Literal["participants"]
    status: Literal["all", "active", "exited"] = "all"
    filter: dict[str, FilterValue] = Field(default_factory=dict)

    @field_validator("filter")
    @classmethod
    def _known_columns(cls, value: dict[str, FilterValue]) -> dict[str, FilterValue]:
        unknown = sorted(set(value) - set(COLUMNS["participants"]))
        if unknown:
            raise ValueError(
                f"unknown participants column(s) {unknown}; expected a contract column"
            )
        return value


class SpellSpec(_Frozen):
    """Persons with a spell of ``kind`` (optionally ``codes``) overlapping ``window``."""

    dataset: Literal["spells"]
    kind: str = Field(min_length=1)
    codes: tuple[str, ...] = ()
    #: ``[from, to]`` (calendar, both days included) or ``{anchor, from_months, to_months}``
    #: (relative to each person, :mod:`coopstats.windows`).
    window: tuple[date, date] | windows.Relative | None = None

    @field_validator("window")
    @classmethod
    def _ordered(cls, value: Any) -> Any:
        if isinstance(value, tuple) and value[1] < value[0]:
            raise ValueError("expected [from, to] with from on or before to")
        return value


class ActivitySpec(_Frozen):
    """Sum of reported activity counts for the listed activity codes (and channels)."""

    dataset: Literal["activity_log"]
    activity: tuple[str, ...] = Field(min_length=1)
    channel: tuple[str, ...] = ()
    #: An indicator id of the same file (checked by :func:`load_indicators`).
    fallback_target: str | None = None


Spec = Annotated[ParticipantSpec | SpellSpec | ActivitySpec, Field(discriminator="dataset")]


class IndicatorDef(_Frozen):
    """One indicator definition (see the module docstring for the spec language)."""

    id: str = Field(pattern=r"^ind-[a-z0-9]+(-[a-z0-9]+)*$")
    label_nb: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    chain_level: LevelKey
    kind: Literal["count", "share", "ratio"]
    source: Literal["participants", "activity_log"]
    numerator: Spec
    denominator: Spec | None = None
    population: str = Field(min_length=1)
    period: str = Field(min_length=1)
    unit: Literal["personer", "antall", "andel"]
    breakdowns: tuple[str, ...] = ()
    disclosure: Literal["person", "aggregate"]
    models: tuple[str, ...] = ()
    provenance: Provenance

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorDef:
        person = self.source == "participants"
        allowed = ("participants", "spells") if person else ("activity_log",)
        if self.numerator.dataset not in allowed:
            raise ValueError(
                f"numerator.dataset: expected one of {allowed} for source {self.source}"
            )
        if self.kind == "count" and self.denominator is not None:
            raise ValueError("denominator: expected no denominator for kind 'count'")
        if self.kind != "count" and self.denominator is None:
            raise ValueError(f"denominator: required for kind {self.kind!r}")
        if self.kind == "share" and not person:
            raise ValueError("kind: 'share' needs source participants (use 'ratio' for aggregates)")
        if self.kind == "ratio" and person:
            raise ValueError("kind: 'ratio' needs source activity_log (use 'share' for persons)")
        if self.denominator is not None:
            expected = "participants" if person else "activity_log"
            if self.denominator.dataset != expected:
                raise ValueError(f"denominator.dataset: expected {expected!r}")
        if isinstance(self.numerator, ActivitySpec) and self.numerator.fallback_target:
            raise ValueError("numerator.fallback_target: only allowed in a denominator")
        unit = "andel" if self.kind != "count" else ("personer" if person else "antall")
        if self.unit != unit:
            raise ValueError(f"unit: expected {unit!r} for kind {self.kind!r} and {self.source}")
        disclosure = "person" if person else "aggregate"
        if self.disclosure != disclosure:
            raise ValueError(f"disclosure: expected {disclosure!r} for source {self.source}")
        unknown = sorted(set(self.breakdowns) - set(COLUMNS[self.source]))
        if unknown:
            raise ValueError(f"breakdowns: unknown {self.source} column(s) {unknown}")
        return self

    def applies_to(self, model_id: str) -> bool:
        """Whether the indicator is defined for ``model_id`` (empty ``models`` = all)."""
        return not self.models or model_id in self.models


class _File(_Frozen):
    indicators: tuple[IndicatorDef, ...] = Field(min_length=1)


# --------------------------------------------------------------------------- loading


def _format_errors(filename: str, data: Any, exc: ValidationError) -> str:
    """Like :func:`~coopstats.yamlio.format_validation`, naming each indicator by its id."""
    entries = data.get("indicators") if isinstance(data, dict) else None

    def path_of(loc: Sequence[Any]) -> str:
        keys = []
        for i, part in enumerate(loc):
            prev = loc[i - 1] if i else None
            if part in _DATASETS and prev in ("numerator", "denominator"):
                continue  # discriminator tag, not a key
            keys.append(part)
        path = key_path(keys)
        if len(keys) > 1 and keys[0] == "indicators" and isinstance(keys[1], int):
            entry = entries[keys[1]] if isinstance(entries, list) else None
            if isinstance(entry, dict) and entry.get("id"):
                head = f"indicators[{keys[1]}]"
                path = path.replace(head, f"{head} ({entry['id']})", 1)
        return path

    return format_validation(filename, exc, path_of=path_of, schema=_File)


def load_indicators(
    path: Path | str | None = None, *, model_ids: set[str] | None = None
) -> dict[str, IndicatorDef]:
    """Load and validate the indicator definitions, keyed by id in file order.

    The packaged definitions are read once per process (the definitions are frozen; every
    caller gets its own dict). See :func:`_load_indicators` for the parameters.
    """
    if path is None and model_ids is None and definitions_dir() is None:
        return dict(_packaged_indicators())
    return _load_indicators(path, model_ids=model_ids)


@functools.cache
def _packaged_indicators() -> dict[str, IndicatorDef]:
    return _load_indicators(None)


def _load_indicators(
    path: Path | str | None = None, *, model_ids: set[str] | None = None
) -> dict[str, IndicatorDef]:
    """Load and validate the indicator definitions, keyed by id in file order.

    Parameters
    ----------
    path
        A YAML file; ``None`` reads the packaged ``coopstats/definitions/indicators.yaml``.
    model_ids
        Model ids a definition's ``models`` may name; ``None`` uses the registry
        (:func:`~coopstats.registry.load_registry`) and also checks that every indicator the
        registry names is defined in the file.

    Raises
    ------
    IndicatorError
        Naming the file, the key path and what was expected.
    """
    filename, data = read_mapping(path, FILENAME, package_dir="definitions", error=IndicatorError)
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        raise IndicatorError(_format_errors(filename, data, exc)) from exc
    registry = load_registry() if model_ids is None else None
    if model_ids is None:
        model_ids = set(registry.models)  # type: ignore[union-attr]
    defs: dict[str, IndicatorDef] = {}
    for i, item in enumerate(parsed.indicators):
        where = f"{filename}: indicators[{i}] ({item.id})"
        if item.id in defs:
            raise IndicatorError(f"{where}.id: expected a unique id (duplicate {item.id!r})")
        unknown = sorted(set(item.models) - model_ids)
        if unknown:
            raise IndicatorError(
                f"{where}.models: expected known model ids ({', '.join(sorted(model_ids))}); "
                f"unknown {unknown}{did_you_mean(unknown[0], model_ids)}"
            )
        defs[item.id] = item
    for i, item in enumerate(parsed.indicators):
        den = item.denominator
        fallback = den.fallback_target if isinstance(den, ActivitySpec) else None
        if fallback is not None and fallback not in defs:
            raise IndicatorError(
                f"{filename}: indicators[{i}] ({item.id}).denominator.fallback_target: "
                f"forventet en indikator-id definert i filen (fikk {fallback!r})"
                f"{did_you_mean(fallback, defs)}"
            )
    if registry is not None:
        _check_registry_refs(filename, defs, registry)
    return defs


def _check_registry_refs(filename: str, defs: dict[str, IndicatorDef], registry: Registry) -> None:
    """Every indicator the registry names is defined in ``defs`` (the registry itself was
    checked against ``indicator_ids()``, which may be another file than ``path``)."""
    named: dict[str, str] = {}
    for model in registry.models.values():
        for level in model.result_chain.levels:
            for element in level.elements:
                for ind in element.indicators:
                    named.setdefault(ind, f"models.yaml ({model.id}, {element.id})")
    for trial in registry.trials.values():
        for target in trial.targets:
            if target.indicator is not None:
                named.setdefault(target.indicator, f"trials.yaml ({trial.id}, targets)")
    missing = sorted(set(named) - set(defs))
    if missing:
        where = "; ".join(f"{m} i {named[m]}" for m in missing)
        raise IndicatorError(
            f"{filename}: indicators: mangler definisjon av indikator(er) som registeret viser "
            f"til: {where}"
        )


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class _Amount:
    """A reported quantity with its kind (exact/approximate/range/not_reported)."""

    kind: str
    value: float | None = None
    low: float | None = None
    high: float | None = None

    def bounds(self) -> tuple[float, float]:
        if self.kind == "range":
            return float(self.low), float(self.high)  # type: ignore[arg-type]
        return float(self.value), float(self.value)  # type: ignore[arg-type]


_NOT_REPORTED = _Amount("not_reported")


def _as_ts(day: date | None) -> pd.Timestamp | None:
    return pd.Timestamp(day) if day is not None else None


def activity_in_period(rows: pd.DataFrame, period: tuple[date, date] | None) -> pd.DataFrame:
    """Activity-log rows whose reported time span lies inside ``period`` (both ends included;
    an open row date counts as inside). ``None``: all rows."""
    if period is None:
        return rows
    start, end = _as_ts(period[0]), _as_ts(period[1])
    inside = (rows["period_start"].isna() | (rows["period_start"] >= start)) & (
        rows["period_end"].isna() | (rows["period_end"] <= end)
    )
    return rows[inside.fillna(False).astype(bool)]


def _sum_activity(
    log: pd.DataFrame, trial: Trial, spec: ActivitySpec, period: tuple[date, date] | None
) -> _Amount:
    rows = log[(log["trial_id"] == trial.id) & log["activity"].isin(list(spec.activity))]
    if spec.channel:
        rows = rows[rows["channel"].isin(list(spec.channel))]
    rows = activity_in_period(rows, period)
    lows: list[float] = []
    highs: list[float] = []
    kinds: set[str] = set()
    for row in rows.itertuples(index=False):
        qualifier = row.qualifier if isinstance(row.qualifier, str) else "not_reported"
        count = None if pd.isna(row.count) else float(row.count)
        if qualifier == "range":
            low = float(row.count_low) if not pd.isna(row.count_low) else count
            high = float(row.count_high) if not pd.isna(row.count_high) else count
            if low is None or high is None:
                kinds.add("not_reported")
                continue
            lows.append(low)
            highs.append(high)
        elif count is not None and qualifier in ("exact", "approximate"):
            lows.append(count)
            highs.append(count)
        else:
            kinds.add("not_reported")
            continue
        kinds.add(qualifier)
    if not lows:
        return _NOT_REPORTED
    if "range" in kinds:
        return _Amount("range", None, sum(lows), sum(highs))
    # A partial total (some rows not reported) is shown as approximate.
    kind = "approximate" if kinds & {"approximate", "not_reported"} else "exact"
    return _Amount(kind, sum(lows))


def _target_amount(target: Target | None) -> _Amount:
    if target is None or target.qualifier == "not_reported":
        return _NOT_REPORTED
    if target.qualifier == "range":
        return _Amount("range", None, target.low, target.high)
    return _Amount(target.qualifier, target.value)


def _ratio(num: _Amount, den: _Amount) -> _Amount:
    if num.kind == "not_reported" or den.kind == "not_reported":
        return _NOT_REPORTED
    (n_low, n_high), (d_low, d_high) = num.bounds(), den.bounds()
    if d_low <= 0:
        return _NOT_REPORTED
    if "range" in (num.kind, den.kind):
        return _Amount("range", None, n_low / d_high, n_high / d_low)
    kind = "approximate" if "approximate" in (num.kind, den.kind) else "exact"
    return _Amount(kind, n_low / d_low)


def _find_target(trial: Trial, indicator_id: str) -> Target | None:
    return next((t for t in trial.targets if t.indicator == indicator_id), None)


def _persons(people: pd.DataFrame, spec: ParticipantSpec, end: pd.Timestamp | None) -> pd.DataFrame:
    """Rows of ``people`` matching ``spec`` at period end ``end``."""
    keep = pd.Series(True, index=people.index)
    if end is not None:
        keep &= (people["intake_date"].isna() | (people["intake_date"] <= end)).astype(bool)
    exited = people["exit_date"].notna()
    if end is not None:
        exited &= (people["exit_date"] <= end).fillna(False).astype(bool)
    if spec.status == "active":
        keep &= ~exited
    elif spec.status == "exited":
        keep &= exited
    for column, wanted in spec.filter.items():
        series = people[column]
        if isinstance(wanted, tuple):
            match = series.astype("string").isin([str(w) for w in wanted])
        elif isinstance(wanted, bool):
            match = series == wanted
        else:
            match = series.astype("string") == str(wanted)
        keep &= match.fillna(False).astype(bool)
    return people[keep]


def _with_spell(
    population: pd.DataFrame,
    spells: pd.DataFrame,
    spec: SpellSpec,
    period: tuple[date, date] | None,
) -> pd.DataFrame:
    """Persons of ``population`` with at least one matching spell in their window (the
    spec's own, calendar or relative to each person; else the requested period; else all
    time)."""
    window = spec.window or period
    ids = windows.overlapping(spells, population, kind=spec.kind, codes=spec.codes, window=window)
    return population[population["person_id"].astype(str).isin(ids)]


def _spell_delivered(
    datasets: Datasets,
    spec: SpellSpec,
    unit: str,
    period: tuple[date, date] | None,
    people: pd.DataFrame | None = None,
) -> bool:
    """Whether the delivery covers ``spec`` for ``unit`` over the spell window.

    The window is the spec's own, else the requested period; without either, any covered
    period will do. Every code of the spec (with no codes: the kind, all codes) must be
    covered for the whole window (:meth:`coopstats.coverage.Coverage.covers`); otherwise the
    value is not available, not zero. Without a manifest the coverage is inferred: a kind
    present anywhere in the delivery is covered.
    """
    from coopstats.coverage import Coverage

    window = spec.window or period
    if isinstance(window, windows.Relative):
        # the calendar span of the trial's participants' own windows
        within = windows.span(window, people) if people is not None else None
        window = within
    start, end = window if window is not None else (None, None)
    return Coverage.from_datasets(datasets).delivered(spec.kind, spec.codes, unit, start, end)


def _person_value(
    d: IndicatorDef, datasets: Datasets, trial: Trial, period: tuple[date, date] | None
) -> dict[str, Any]:
    people = datasets.participants[datasets.participants["trial_id"] == trial.id]
    people = people[people["trial_id"].notna()]
    if people.empty:
        return {"kind": "not_reported"}
    end = _as_ts(period[1]) if period else None
    num_spec = d.numerator
    if isinstance(num_spec, SpellSpec) and not _spell_delivered(
        datasets, num_spec, trial.unit, period, people
    ):
        return {"kind": "not_reported"}
    if isinstance(d.denominator, ParticipantSpec):
        population = _persons(people, d.denominator, end)
    else:
        population = _persons(people, ParticipantSpec(dataset="participants"), end)
    if isinstance(num_spec, SpellSpec):
        hits = _with_spell(population, datasets.spells, num_spec, period)
    else:
        assert isinstance(num_spec, ParticipantSpec)
        hits = _persons(population, num_spec, end)
    numerator = int(hits["person_id"].nunique())
    if d.kind == "count":
        return {"kind": "exact", "value": float(numerator), "numerator": numerator}
    denominator = int(population["person_id"].nunique())
    if denominator == 0:
        return {"kind": "not_reported", "denominator": 0}
    low, high = proportion_confint(numerator, denominator, alpha=0.05, method="wilson")
    return {
        "kind": "exact",
        "value": numerator / denominator,
        "numerator": numerator,
        "denominator": denominator,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def _amount_int(amount: _Amount) -> int | None:
    if amount.kind in ("exact", "approximate") and amount.value is not None:
        return round(amount.value)
    return None


def _aggregate_value(
    d: IndicatorDef, datasets: Datasets, trial: Trial, period: tuple[date, date] | None
) -> dict[str, Any]:
    assert isinstance(d.numerator, ActivitySpec)
    num = _sum_activity(datasets.activity_log, trial, d.numerator, period)
    if d.kind == "count":
        amount, den = num, None
    else:
        assert isinstance(d.denominator, ActivitySpec)
        den = _sum_activity(datasets.activity_log, trial, d.denominator, period)
        if den.kind == "not_reported" and d.denominator.fallback_target:
            den = _target_amount(_find_target(trial, d.denominator.fallback_target))
        amount = _ratio(num, den)
    out: dict[str, Any] = {
        "kind": amount.kind,
        "value": amount.value,
        "low": amount.low,
        "high": amount.high,
        "numerator": _amount_int(num),
    }
    if den is not None:
        out["denominator"] = _amount_int(den)
    return out


def _target_text(target: Target, unit: str) -> str:
    def show(x: float | None) -> str:
        return fmt_percent(x) if unit == "andel" else fmt_number(x)

    if target.qualifier == "exact":
        text = show(target.value)
    elif target.qualifier == "approximate":
        text = f"ca. {show(target.value)}"
    elif target.qualifier == "range":
        if unit == "andel":
            text = fmt_interval(target.low, target.high, percent=True)
        else:
            text = f"{fmt_number(target.low)}–{fmt_number(target.high)}"
    else:
        return target.description or NOT_AVAILABLE
    return f"{text} per {target.per}" if target.per else text


def compute_indicators(
    defs: dict[str, IndicatorDef],
    datasets: Datasets,
    registry: Registry,
    *,
    unit: str | None = None,
    model: str | None = None,
    period: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """One row per (trial, indicator) with value kind, value, CI and target.

    Parameters
    ----------
    defs
        From :func:`load_indicators`.
    datasets, registry
        The delivery and the registry whose trials are reported.
    unit, model
        Restrict to trials of this unit (id or alias) and/or model id.
    period
        ``(from, to)``: participant status is judged at ``to``; activity rows must lie inside the
        period (open row dates count as inside); spell specs without a window use it.
    """
    unit_id = registry.resolve_unit(unit).id if unit is not None else None
    records: list[dict[str, Any]] = []
    for trial in registry.trials.values():
        if (unit_id and trial.unit != unit_id) or (model and trial.model != model):
            continue
        for d in defs.values():
            if not d.applies_to(trial.model):
                result: dict[str, Any] = {"kind": "not_defined"}
            elif d.source == "participants":
                result = _person_value(d, datasets, trial, period)
            else:
                result = _aggregate_value(d, datasets, trial, period)
            target = _find_target(trial, d.id)
            records.append(
                {
                    "indicator_id": d.id,
                    "label_nb": d.label_nb,
                    "chain_level": d.chain_level,
                    "unit_id": trial.unit,
                    "trial_id": trial.id,
                    "model_id": trial.model,
                    **result,
                    "measure": d.kind,
                    "person_data": d.disclosure == "person",
                    "target_kind": target.qualifier if target else None,
                    "target_value": target.value if target else None,
                    "target_low": target.low if target else None,
                    "target_high": target.high if target else None,
                    "target_text": _target_text(target, d.unit) if target else None,
                    "source": d.source,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=list(VALUE_COLUMNS))
    for column in _FLOAT:
        frame[column] = pd.to_numeric(frame[column]).astype("Float64")
    for column in ("numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["person_data"] = frame["person_data"].astype(bool)
    for column in set(VALUE_COLUMNS) - set(_FLOAT) - {"numerator", "denominator", "person_data"}:
        frame[column] = frame[column].astype("string")
    return frame


# --------------------------------------------------------------------------- display


def _value_cells(row: pd.Series) -> tuple[str, str]:
    """(Verdi, 95 % KI) for one row of :func:`compute_indicators`, as computed.

    Person-level values reach this only when reproducing published figures; otherwise they come
    from the protected plan (:func:`_planned_cells`).
    """
    kind, measure = row["kind"], row["measure"]
    if kind == "not_defined":
        return NOT_APPLICABLE, ""
    if kind == "not_reported":
        return NOT_AVAILABLE, ""
    percent = measure != "count"
    if kind == "range":
        if percent:
            return fmt_interval(row["low"], row["high"], percent=True), ""
        return f"{fmt_number(row['low'])}–{fmt_number(row['high'])}", ""
    value = float(row["value"])
    if measure == "share":
        return fmt_percent(value), fmt_interval(row["ci_low"], row["ci_high"], percent=True)
    if measure == "count" and kind == "exact" and value == 0:
        return NIL, ""
    shown = fmt_percent(value) if percent else fmt_number(value)
    return (f"ca. {shown}" if kind == "approximate" else shown), ""


def _planned_cells(row: pd.Series, plan: Any, items: list) -> tuple[str, str]:
    """(Verdi, 95 % KI) of a person-level indicator from the protected publication plan.

    Values the plan does not hold (another period than the build's) are hidden.
    """
    from coopstats import publication

    if plan is None:
        return HIDDEN, HIDDEN
    d = load_indicators()[str(row["indicator_id"])]
    try:
        planned = publication.indicator_items(d, str(row["trial_id"]))
        facts = [plan.fact(it) for it in planned]
    except KeyError:
        return HIDDEN, HIDDEN
    items.extend(planned)
    fact = facts[0]
    text = publication.fact_text(fact)
    if fact.shown != "share" or not plan.visible(*fact.item.cells()):
        return text, (HIDDEN if fact.shown == "hidden" else "")
    num = plan.value(fact.item)
    den = sum(c * plan.system.values[k] for c, k in fact.item.den)
    low, high = proportion_confint(num, den, alpha=0.05, method="wilson")
    return text, fmt_interval(float(low), float(high), percent=True)


def indicator_table_frame(
    values: pd.DataFrame, config: DisclosureConfig, plan: Any = None
) -> pd.DataFrame:
    """Norwegian display frame (all str) of :func:`compute_indicators` output.

    Person-level values come from ``plan`` (:func:`coopstats.publication.plan_for`), where
    every participant figure of the build is protected together; without a plan they are
    hidden. Approximate values show ``ca.``, ranges ``low–high``, not reported ``..``, not
    defined ``.``. The plan items shown are in ``frame.attrs["sdc_items"]``.
    """
    records = [row for _, row in values.iterrows()]
    items: list = []
    cells = []
    for row in records:
        if (
            row["person_data"]
            and row["kind"] not in ("not_defined", "not_reported")
            and not config.reproduce_published
        ):
            cells.append(_planned_cells(row, plan, items))
        else:
            cells.append(_value_cells(row))
    rows = []
    for row, (value, interval) in zip(records, cells, strict=True):
        target = row["target_text"]
        rows.append(
            {
                "Indikator": str(row["label_nb"]),
                "Resultatkjede-nivå": LEVEL_LABELS[str(row["chain_level"])],
                "Verdi": value,
                "95 % KI": interval,
                "Mål": "" if pd.isna(target) else str(target),
                "Kilde": SOURCE_NB.get(str(row["source"]), str(row["source"])),
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS), index=values.index, dtype=object)
    frame.attrs["sdc_items"] = items
    return frame
