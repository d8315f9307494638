"""Registry of units, cooperation models and trials, validated on load.

The registry is three YAML files (``units.yaml``, ``models.yaml``, ``trials.yaml``) shipped in
``coopstats/registry_data`` or read from a directory (an argument, or the environment variable
``COOPSTATS_REGISTRY_DIR``). Every file is validated with frozen pydantic models, then
cross-checked (references, aliases, chain levels, validity dates, indicator ids: those defined
in ``definitions/indicators.yaml``, :func:`coopstats.yamlio.indicator_ids`). Any problem raises
:class:`RegistryError` (a :class:`coopstats.yamlio.DefinitionError`) with the file's path, the
key path and what was expected.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coopstats.yamlio import (
    INDICATORS_FILE,
    DefinitionError,
    did_you_mean,
    format_validation,
    indicator_ids,
    read_mapping,
    shown_definitions_file,
)

__all__ = [
    "ADAPTATION_GRADES",
    "LEVEL_KEYS",
    "LEVEL_LABELS",
    "REGISTRY_DIR_ENV",
    "TRIAL_STATUSES",
    "Adaptation",
    "ChainElement",
    "ChainLevel",
    "ChainStatement",
    "CoreElement",
    "CountyMapping",
    "Model",
    "ProcessStep",
    "Provenance",
    "Registry",
    "RegistryError",
    "ResultChain",
    "Role",
    "Target",
    "TimelineEvent",
    "Trial",
    "TrialNote",
    "Unit",
    "UnknownUnitError",
    "Variant",
    "load_registry",
]

#: A result-chain level key (the type used wherever a level is named in YAML).
LevelKey = Literal[
    "problemforstaelse",
    "innsatsfaktorer",
    "aktiviteter",
    "resultater",
    "brukereffekter",
    "samfunnseffekter",
]
#: Result-chain level keys, in the only allowed order.
LEVEL_KEYS: tuple[str, ...] = get_args(LevelKey)
#: Norwegian label of each level.
LEVEL_LABELS: dict[str, str] = {
    "problemforstaelse": "Problemforståelse",
    "innsatsfaktorer": "Innsatsfaktorer",
    "aktiviteter": "Aktiviteter",
    "resultater": "Resultater",
    "brukereffekter": "Brukereffekter",
    "samfunnseffekter": "Samfunnseffekter",
}
TRIAL_STATUSES: tuple[str, ...] = (
    "planned",
    "running",
    "ended_ordinary_operation",
    "terminated_early",
)
ADAPTATION_GRADES: tuple[str, ...] = ("none", "minor", "major")
SOURCES: tuple[str, ...] = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004", "public")
FILES: tuple[str, ...] = ("units.yaml", "models.yaml", "trials.yaml")
#: Environment variable naming a folder to read the registry from instead of the packaged one.
REGISTRY_DIR_ENV = "COOPSTATS_REGISTRY_DIR"

_LINES_RE = re.compile(r"^\d+(-\d+)?(, ?\d+(-\d+)?)*$")
_ID_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"

Precision = Literal["day", "month", "season", "year"]
Status = Literal["planned", "running", "ended_ordinary_operation", "terminated_early"]
Grade = Literal["none", "minor", "major"]
Qualifier = Literal["exact", "approximate", "range", "not_reported"]


class RegistryError(DefinitionError):
    """A registry file is missing, malformed or inconsistent; the message says where and why."""


class UnknownUnitError(RegistryError, LookupError):
    """A unit name or alias does not resolve to any unit."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(_Frozen):
    """Where a fact comes from: a seed id and line numbers ("N", "N-M" or a comma list)."""

    source: str
    lines: str = ""

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"expected one of {', '.join(SOURCES)}")
        return value

    @model_validator(mode="after")
    def _lines_format(self) -> Provenance:
        if self.source == "public":
            if self.lines:
                raise ValueError("source 'public' takes empty lines")
        elif not _LINES_RE.match(self.lines):
            raise ValueError(f"lines must look like 'N', 'N-M' or 'N-M, K' (got {self.lines!r})")
        return self


class _Dated(_Frozen):
    """Something valid between two optional dates (open bounds count as valid)."""

    valid_from: date | None = None
    valid_to: date | None = None

    @model_validator(mode="after")
    def _date_order(self) -> _Dated:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self

    def valid_on(self, day: date) -> bool:
        """Whether this holds on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Unit(_Dated):
    """A NAV county unit or a county authority."""

    id: str = Field(pattern=_ID_RE)
    name: str = Field(min_length=1)
    kind: Literal["nav_fylkesenhet", "fylkeskommune"]
    county_number: str | None = Field(default=None, pattern=r"^\d{2}$")
    aliases: tuple[str, ...] = ()
    provenance: Provenance

    @model_validator(mode="after")
    def _county_number(self) -> Unit:
        if self.kind == "fylkeskommune" and self.county_number is None:
            raise ValueError("a fylkeskommune needs a county_number")
        return self


class CountyMapping(_Dated):
    """A dated link between a NAV county unit and one county authority."""

    nav_unit: str
    county_unit: str
    note: str | None = None
    provenance: Provenance


class CoreElement(_Frozen):
    """A feature that every trial of the model had to include (kjerneelement)."""

    id: str = Field(pattern=_ID_RE)
    text: str = Field(min_length=1)
    provenance: Provenance


class Role(_Frozen):
    """An actor in a model, its organisation and tasks."""

    actor: str = Field(min_length=1)
    organisation: str | None = None
    tasks: tuple[str, ...] = ()
    provenance: Provenance


class ProcessStep(_Frozen):
    """One ordered step of the model's process."""

    order: int = Field(ge=1)
    text: str = Field(min_length=1)
    provenance: Provenance


class ChainElement(_Frozen):
    """One box of a result chain, optionally linked to indicator ids."""

    id: str = Field(pattern=_ID_RE)
    text: str = Field(min_length=1)
    #: Ids of indicators defined in ``indicators.yaml`` (checked by :func:`load_registry`).
    indicators: tuple[str, ...] = ()
    provenance: Provenance


class ChainLevel(_Frozen):
    """One column of a result chain."""

    key: LevelKey
    label: str
    elements: tuple[ChainElement, ...] = ()

    @model_validator(mode="after")
    def _label_matches(self) -> ChainLevel:
        expected = LEVEL_LABELS[self.key]
        if self.label != expected:
            raise ValueError(f"label for {self.key!r} must be {expected!r} (got {self.label!r})")
        return self


class ChainStatement(_Frozen):
    """An assumption (antakelse) or precondition (forutsetning) of a chain."""

    id: str = Field(pattern=_ID_RE)
    text: str = Field(min_length=1)
    provenance: Provenance


class ResultChain(_Frozen):
    """A result chain with exactly the six levels in order (the last may be empty)."""

    levels: tuple[ChainLevel, ...]
    assumptions: tuple[ChainStatement, ...] = ()
    preconditions: tuple[ChainStatement, ...] = ()
    reconstructed: bool = False
    note: str | None = None
    provenance: Provenance | None = None

    @field_validator("levels")
    @classmethod
    def _level_order(cls, value: tuple[ChainLevel, ...]) -> tuple[ChainLevel, ...]:
        keys = tuple(level.key for level in value)
        if keys != LEVEL_KEYS:
            raise ValueError(
                f"levels must be exactly {', '.join(LEVEL_KEYS)} in that order (got {list(keys)})"
            )
        return value

    @model_validator(mode="after")
    def _unique_ids_and_note(self) -> ResultChain:
        ids = [e.id for lvl in self.levels for e in lvl.elements]
        ids += [s.id for s in (*self.assumptions, *self.preconditions)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"element ids must be unique within a chain (duplicates: {dupes})")
        if self.reconstructed and not self.note:
            raise ValueError("a reconstructed chain needs a note explaining how it was built")
        return self

    def level(self, key: str) -> ChainLevel:
        """The level with ``key``."""
        for lvl in self.levels:
            if lvl.key == key:
                return lvl
        raise KeyError(key)


class Variant(_Frozen):
    """A county's own version of a model (e.g. the three lengre-varighet variants)."""

    id: str = Field(pattern=_ID_RE)
    name: str
    unit: str
    tiltak: str | None = None
    samarbeid: str | None = None
    malgruppe: str | None = None
    rekruttering: str | None = None
    opplaeringsmodell: str | None = None
    provenance: Provenance


class Model(_Frozen):
    """A cooperation model (samarbeidsmodell)."""

    id: str = Field(pattern=_ID_RE)
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    mother_unit: str | None
    mother_unit_note: str | None = None
    target_group: str = Field(min_length=1)
    core_elements: tuple[CoreElement, ...] = Field(min_length=1)
    roles: tuple[Role, ...] = ()
    process_steps: tuple[ProcessStep, ...] = ()
    result_chain: ResultChain
    variants: tuple[Variant, ...] = ()
    provenance: Provenance

    @model_validator(mode="after")
    def _checks(self) -> Model:
        ids = [c.id for c in self.core_elements]
        if len(ids) != len(set(ids)):
            raise ValueError("core element ids must be unique within a model")
        orders = [s.order for s in self.process_steps]
        if orders != list(range(1, len(orders) + 1)):
            raise ValueError(f"process_steps must be numbered 1..n in order (got {orders})")
        if self.mother_unit is None and not self.mother_unit_note:
            raise ValueError("mother_unit null needs a mother_unit_note saying why")
        return self


class Adaptation(_Frozen):
    """A trial's local adaptation of one core element, graded none/minor/major."""

    core_element: str
    grade: Grade
    description: str = Field(min_length=1)
    provenance: Provenance


class TimelineEvent(_Frozen):
    """A dated event; ``precision`` says how much of the date is known."""

    date: date
    precision: Precision = "day"
    label: str = Field(min_length=1)
    provenance: Provenance


class Target(_Frozen):
    """A target for an indicator (or a described quantity when no indicator exists).

    ``indicator`` must be defined in ``indicators.yaml`` (checked by :func:`load_registry`).
    """

    indicator: str | None
    description: str | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    qualifier: Qualifier
    per: str | None = None
    note: str | None = None
    provenance: Provenance

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.indicator is None and not self.description:
            raise ValueError("a target without indicator needs a description")
        q = self.qualifier
        if q in ("exact", "approximate") and self.value is None:
            raise ValueError(f"qualifier {q!r} needs a value")
        if q == "range":
            if self.low is None or self.high is None:
                raise ValueError("qualifier 'range' needs low and high")
            if self.low > self.high:
                raise ValueError("low must not exceed high")
        if q == "not_reported" and any(v is not None for v in (self.value, self.low, self.high)):
            raise ValueError("qualifier 'not_reported' takes no value, low or high")
        return self


class TrialNote(_Frozen):
    """A free note on a trial, with provenance."""

    text: str = Field(min_length=1)
    provenance: Provenance


class PeriodPrecision(_Frozen):
    """How precisely the trial's start and end dates are known."""

    start: Precision = "day"
    end: Precision = "day"


class Trial(_Frozen):
    """One model tried in one unit."""

    id: str = Field(pattern=_ID_RE)
    model: str
    variant: str | None = None
    unit: str
    period_start: date | None
    period_end: date | None
    period_precision: PeriodPrecision = PeriodPrecision()
    planned_period_end: date | None = None
    status: Status
    status_note: str | None = None
    adaptations: tuple[Adaptation, ...] = ()
    events: tuple[TimelineEvent, ...] = ()
    targets: tuple[Target, ...] = ()
    notes: tuple[TrialNote, ...] = ()
    provenance: Provenance

    @model_validator(mode="after")
    def _period(self) -> Trial:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self


class _UnitsFile(_Frozen):
    units: tuple[Unit, ...] = Field(min_length=1)
    nav_county_map: tuple[CountyMapping, ...] = ()


class _ModelsFile(_Frozen):
    models: tuple[Model, ...] = Field(min_length=1)


class _TrialsFile(_Frozen):
    trials: tuple[Trial, ...] = Field(min_length=1)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


class Registry:
    """Validated units, models and trials with lookup helpers.

    Parameters
    ----------
    units, models, trials
        Objects keyed by id, in file order.
    county_map
        Dated NAV unit → county authority links.
    """

    def __init__(
        self,
        units: dict[str, Unit],
        models: dict[str, Model],
        trials: dict[str, Trial],
        county_map: Iterable[CountyMapping] = (),
    ) -> None:
        # read-only views: the packaged registry is shared by every caller in a process
        self.units: Mapping[str, Unit] = MappingProxyType(dict(units))
        self.models: Mapping[str, Model] = MappingProxyType(dict(models))
        self.trials: Mapping[str, Trial] = MappingProxyType(dict(trials))
        self.county_map: tuple[CountyMapping, ...] = tuple(county_map)
        self._lookup: dict[str, str] = {}
        for unit in units.values():
            for key in (unit.id, unit.name, *unit.aliases):
                self._lookup.setdefault(_norm(key), unit.id)

    def resolve_unit(self, name_or_alias: str) -> Unit:
        """Return the unit whose id, name or alias matches (case-insensitive).

        Raises
        ------
        UnknownUnitError
            If nothing matches; the message suggests close names.
        """
        key = _norm(str(name_or_alias))
        if key in self._lookup:
            return self.units[self._lookup[key]]
        close = difflib.get_close_matches(key, list(self._lookup), n=3, cutoff=0.6)
        hint = f" Mente du: {', '.join(close)}?" if close else ""
        raise UnknownUnitError(f"Ukjent enhet {name_or_alias!r}.{hint}")

    def trials_for_unit(self, unit_id: str) -> list[Trial]:
        """Trials run by a unit (id or alias), ordered by start date and id."""
        uid = self.resolve_unit(unit_id).id
        found = [t for t in self.trials.values() if t.unit == uid]
        return sorted(found, key=lambda t: (t.period_start or date.min, t.id))

    def trial_units(self) -> list[str]:
        """Sorted ids of units with at least one trial."""
        return sorted({t.unit for t in self.trials.values()})

    def units_valid_on(self, day: date, kind: str | None = None) -> list[Unit]:
        """Units that exist on ``day``, optionally only of one ``kind``."""
        return [
            u for u in self.units.values() if u.valid_on(day) and (kind is None or u.kind == kind)
        ]

    def county_units_for(self, nav_unit_id: str, on: date | None = None) -> list[Unit]:
        """County authorities linked to a NAV unit, on a date or (``on=None``) ever.

        The result is sorted by county number. NAV units and county authorities do not map
        one-to-one, so several units may be returned.
        """
        uid = self.resolve_unit(nav_unit_id).id
        ids = {
            m.county_unit
            for m in self.county_map
            if m.nav_unit == uid and (on is None or m.valid_on(on))
        }
        units = [self.units[i] for i in ids]
        return sorted(units, key=lambda u: (u.county_number or "", u.id))

    def nav_units_for(self, county_unit_id: str, on: date | None = None) -> list[Unit]:
        """NAV units linked to a county authority, on a date or ever."""
        uid = self.resolve_unit(county_unit_id).id
        ids = {
            m.nav_unit
            for m in self.county_map
            if m.county_unit == uid and (on is None or m.valid_on(on))
        }
        return sorted((self.units[i] for i in ids), key=lambda u: u.id)


# --------------------------------------------------------------------------- loading


def _shown_name(directory: Path | None, filename: str) -> str:
    """The file's path as messages show it (the packaged file's path when ``directory`` is None)."""
    if directory is None:
        return str(resources.files("coopstats") / "registry_data" / filename)
    return str(Path(directory) / filename)


def _read_yaml(directory: Path | None, filename: str) -> Any:
    path = None if directory is None else Path(directory) / filename
    return read_mapping(
        path,
        filename,
        package_dir="registry_data",
        error=RegistryError,
        name=_shown_name(directory, filename),
    )[1]


def _parse(schema: type[BaseModel], filename: str, data: Any) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(format_validation(filename, exc, schema=schema)) from exc


def _by_id(filename: str, key: str, items: Iterable[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        if item.id in out:
            raise RegistryError(
                f"{filename}: {key}[{i}].id: expected a unique id ({item.id!r} repeats)"
            )
        out[item.id] = item
    return out


def _check_units(parsed: _UnitsFile, units: dict[str, Unit], name: str = "units.yaml") -> None:
    seen: dict[str, str] = {}
    for i, unit in enumerate(parsed.units):
        for key in {_norm(k) for k in (unit.id, unit.name, *unit.aliases)}:
            other = seen.get(key)
            if other is not None and other != unit.id:
                raise RegistryError(
                    f"{name}: units[{i}].aliases: expected names and aliases unique across "
                    f"units ({key!r} is used by both {other!r} and {unit.id!r})"
                )
            seen[key] = unit.id
    for i, m in enumerate(parsed.nav_county_map):
        where = f"{name}: nav_county_map[{i}]"
        nav, county = units.get(m.nav_unit), units.get(m.county_unit)
        if nav is None or nav.kind != "nav_fylkesenhet":
            raise RegistryError(
                f"{where}.nav_unit: expected a nav_fylkesenhet id (got {m.nav_unit!r})"
            )
        if county is None or county.kind != "fylkeskommune":
            raise RegistryError(
                f"{where}.county_unit: expected a fylkeskommune id (got {m.county_unit!r})"
            )
        if county.valid_from and (m.valid_from is None or m.valid_from < county.valid_from):
            raise RegistryError(
                f"{where}.valid_from: expected on or after {county.id} valid_from "
                f"{county.valid_from} (got {m.valid_from})"
            )
        if county.valid_to and (m.valid_to is None or m.valid_to > county.valid_to):
            raise RegistryError(
                f"{where}.valid_to: expected on or before {county.id} valid_to "
                f"{county.valid_to} (got {m.valid_to})"
            )


def _check_models(
    models: dict[str, Model], units: dict[str, Unit], name: str = "models.yaml"
) -> None:
    for i, model in enumerate(models.values()):
        where = f"{name}: models[{i}]"
        if model.mother_unit is not None and model.mother_unit not in units:
            raise RegistryError(
                f"{where}.mother_unit: expected a known unit id (got {model.mother_unit!r})"
            )
        for j, variant in enumerate(model.variants):
            if variant.unit not in units:
                raise RegistryError(
                    f"{where}.variants[{j}].unit: expected a known unit id (got {variant.unit!r})"
                )
    seen: dict[str, str] = {}
    for i, model in enumerate(models.values()):
        for key in {_norm(k) for k in (model.id, model.name, *model.aliases)}:
            if key in seen and seen[key] != model.id:
                raise RegistryError(
                    f"{name}: models[{i}].aliases: expected aliases unique across models "
                    f"({key!r} is used by both {seen[key]!r} and {model.id!r})"
                )
            seen[key] = model.id


def _check_trials(
    trials: dict[str, Trial],
    models: dict[str, Model],
    units: dict[str, Unit],
    name: str = "trials.yaml",
) -> None:
    for i, trial in enumerate(trials.values()):
        where = f"{name}: trials[{i}]"
        model = models.get(trial.model)
        if model is None:
            raise RegistryError(
                f"{where}.model: expected one of {', '.join(models)} (got {trial.model!r})"
            )
        unit = units.get(trial.unit)
        if unit is None:
            raise RegistryError(f"{where}.unit: expected a known unit id (got {trial.unit!r})")
        variants = {v.id for v in model.variants}
        if trial.variant is not None and trial.variant not in variants:
            raise RegistryError(
                f"{where}.variant: expected one of {sorted(variants)} for model "
                f"{model.id!r} (got {trial.variant!r})"
            )
        if trial.variant is not None:
            variant_unit = next(v.unit for v in model.variants if v.id == trial.variant)
            if variant_unit != trial.unit:
                raise RegistryError(
                    f"{where}.unit: expected {variant_unit!r}, the unit of variant "
                    f"{trial.variant!r} (got {trial.unit!r})"
                )
        core = {c.id for c in model.core_elements}
        for j, adaptation in enumerate(trial.adaptations):
            if adaptation.core_element not in core:
                raise RegistryError(
                    f"{where}.adaptations[{j}].core_element: expected a core element of "
                    f"{model.id!r} ({', '.join(sorted(core))}) (got {adaptation.core_element!r})"
                )


def _check_indicator_refs(
    models: dict[str, Model],
    trials: dict[str, Trial],
    ids: frozenset[str],
    names: Mapping[str, str],
) -> None:
    """Every indicator id named by a chain element or a target is defined in indicators.yaml."""
    source = shown_definitions_file(INDICATORS_FILE)

    def unknown(where: str, value: str) -> RegistryError:
        return RegistryError(
            f"{where}: forventet en indikator-id definert i {source} "
            f"(fikk {value!r}){did_you_mean(value, ids)}"
        )

    for i, model in enumerate(models.values()):
        for j, level in enumerate(model.result_chain.levels):
            for k, element in enumerate(level.elements):
                for m, ind in enumerate(element.indicators):
                    if ind not in ids:
                        raise unknown(
                            f"{names['models.yaml']}: models[{i}].result_chain.levels[{j}]"
                            f".elements[{k}].indicators[{m}]",
                            ind,
                        )
    for i, trial in enumerate(trials.values()):
        for j, target in enumerate(trial.targets):
            if target.indicator is not None and target.indicator not in ids:
                raise unknown(
                    f"{names['trials.yaml']}: trials[{i}].targets[{j}].indicator", target.indicator
                )


def load_registry(directory: Path | str | None = None) -> Registry:
    """Load and validate the registry (the packaged one once per process; it is read-only).

    Parameters
    ----------
    directory
        Folder holding ``units.yaml``, ``models.yaml`` and ``trials.yaml``. ``None`` reads the
        folder named by the environment variable ``COOPSTATS_REGISTRY_DIR`` when it is set
        (re-read when a file changes), else the packaged files in ``coopstats/registry_data``.

    Raises
    ------
    RegistryError
        If a file is missing, malformed or inconsistent with the others; the message names the
        file's path, the key path and what was expected.
    """
    if directory is None:
        override = os.environ.get(REGISTRY_DIR_ENV, "").strip()
        if not override:
            return _packaged_registry(indicator_ids())
        folder = Path(override).expanduser().resolve()
        if not folder.is_dir():
            raise RegistryError(
                f"{REGISTRY_DIR_ENV}={override}: expected a folder with "
                f"{', '.join(FILES)} (it does not exist)"
            )
        return _registry_from(folder, _stamp(folder), indicator_ids())
    return _load_registry(Path(directory), indicator_ids())


def _stamp(folder: Path) -> tuple[tuple[int, int] | None, ...]:
    """Size and modification time of each registry file (to notice edits)."""
    stamps: list[tuple[int, int] | None] = []
    for filename in FILES:
        try:
            stat = (folder / filename).stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


@functools.lru_cache(maxsize=4)
def _registry_from(
    folder: Path, stamp: tuple[tuple[int, int] | None, ...], ids: frozenset[str]
) -> Registry:
    return _load_registry(folder, ids)


@functools.lru_cache(maxsize=4)
def _packaged_registry(ids: frozenset[str]) -> Registry:
    return _load_registry(None, ids)


def _load_registry(folder: Path | None, ids: frozenset[str]) -> Registry:
    names = {filename: _shown_name(folder, filename) for filename in FILES}
    units_file = _parse(_UnitsFile, names["units.yaml"], _read_yaml(folder, "units.yaml"))
    models_file = _parse(_ModelsFile, names["models.yaml"], _read_yaml(folder, "models.yaml"))
    trials_file = _parse(_TrialsFile, names["trials.yaml"], _read_yaml(folder, "trials.yaml"))
    units = _by_id(names["units.yaml"], "units", units_file.units)
    models = _by_id(names["models.yaml"], "models", models_file.models)
    trials = _by_id(names["trials.yaml"], "trials", trials_file.trials)
    _check_units(units_file, units, names["units.yaml"])
    _check_models(models, units, names["models.yaml"])
    _check_trials(trials, models, units, names["trials.yaml"])
    _check_indicator_refs(models, trials, ids, names)
    return Registry(units, models, trials, units_file.nav_county_map)
