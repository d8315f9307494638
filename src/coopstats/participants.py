"""Participant description: the tables of delrapport 1, chapter 6 (printed as Tabell 5.1–5.11).

Everything the tables need is data:

* ``definitions/cleaning_rules.yaml`` – the three data-cleaning rules of seed 003 (L512–522),
  applied by :func:`apply_cleaning_rules`, which returns the cleaned frame and, per rule, the
  persons it touched. Every table that uses a variable a rule touched carries a note with the
  count; nothing is cleaned silently.
* ``definitions/participant_tables.yaml`` – the table specs (number, printed title, variable,
  categories with printed labels, breakdown, measures) plus derived variables and windows.

Table kinds
-----------
``distribution``
    Shares of the *valid* N per block (a categorical variable); missing values are left out of
    N and a note says how many. An optional mean (age) sits in the last column.
``indicator``
    One yes/no measure per group ("Andel"): a participant column or a period indicator from
    spells ("employed at some point in 2018–2023", "on a benefit in October 2023").
``multi_response``
    Several yes/no measures side by side; a person can count in several columns.

Disclosure
----------
Every figure a table shows (shares, the N in row labels, missing-value and cleaning-rule counts,
the population line) is an item of the build's one protected participant system,
:mod:`coopstats.publication`: the plan covers every table for every unit and the total, so a
page for all participants and a unit page show the same protected figures, and nothing hidden
on one page can be recovered from another or from another breakdown. Each table carries the
disclosure metadata of what it shows (:attr:`coopstats.tables.Table.disclosure`). With
``DisclosureConfig(reproduce_published=True)`` nothing is hidden and every table is stamped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coopstats.data import Datasets, load_datasets
from coopstats.disclosure import DisclosureConfig, is_small
from coopstats.formatting import (
    HIDDEN,
    NIL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    fmt_number,
    round_half_up,
)
from coopstats.registry import Registry, load_registry
from coopstats.sdc import make_key
from coopstats.sources import cite
from coopstats.tables import ProtectedMarkdown, Table, symbol_note
from coopstats.yamlio import format_validation, read_mapping

__all__ = [
    "ALL_SCOPE",
    "POPULATION_ID",
    "TOTAL_LABEL",
    "CleaningResult",
    "CleaningRule",
    "DefinitionError",
    "Group",
    "ParticipantReport",
    "ParticipantTable",
    "Population",
    "RuleResult",
    "TableDefs",
    "TableSpec",
    "apply_cleaning_rules",
    "build_population",
    "build_table",
    "build_tables",
    "derive_variables",
    "distribution_counts",
    "group_means",
    "load_cleaning_rules",
    "load_report",
    "load_table_defs",
    "row_label",
    "share_figure",
    "spell_flags",
]

#: Scope value for "all participants" (notebook parameter ``scope``).
ALL_SCOPE = "alle"
#: Label of the total row, as printed ("Total (N=66)").
TOTAL_LABEL = "Total"
#: One population (and one mask) for all participant tables, whatever page shows them.
POPULATION_ID = "deltakere:alle"


class DefinitionError(ValueError):
    """A definitions file is missing, malformed or inconsistent; the message names the place."""


# --------------------------------------------------------------------------- definitions


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleProvenance(_Frozen):
    """Where a rule comes from: seed id, line numbers and the quoted sentence."""

    source: str = Field(min_length=1)
    lines: str = Field(min_length=1)
    quote: str = ""


class CleaningRule(_Frozen):
    """One data-cleaning rule (see ``cleaning_rules.yaml`` for the condition language)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    when: dict[str, Any] = Field(min_length=1)
    action: Literal["exclude", "set"]
    set: dict[str, Any] = Field(default_factory=dict)
    variables: tuple[str, ...] = Field(min_length=1)
    provenance: RuleProvenance

    @model_validator(mode="after")
    def _set_matches_action(self) -> CleaningRule:
        if self.action == "set" and not self.set:
            raise ValueError("action 'set' needs a non-empty 'set' mapping")
        if self.action == "exclude" and self.set:
            raise ValueError("action 'exclude' takes no 'set' mapping")
        return self


class _RulesFile(_Frozen):
    rules: tuple[CleaningRule, ...]


class Window(_Frozen):
    """A named period; a spell counts when it overlaps ``[start, end]``."""

    start: date
    end: date
    label: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("expected end on or after start")
        return self


class Band(_Frozen):
    """An integer band ``low..high`` (``high`` missing = no upper limit)."""

    code: str = Field(min_length=1)
    low: int
    high: int | None = None


class Variable(_Frozen):
    """A derived analysis variable."""

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    kind: Literal["years_since", "bands"]
    column: str | None = None
    of: str | None = None
    bands: tuple[Band, ...] = ()
    note: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Variable:
        if self.kind == "years_since" and not self.column:
            raise ValueError("kind 'years_since' needs 'column'")
        if self.kind == "bands" and (not self.of or not self.bands):
            raise ValueError("kind 'bands' needs 'of' and 'bands'")
        return self


class Category(_Frozen):
    """A category of a block: data code, our label, the printed header, display options."""

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    printed: str = Field(min_length=1)
    display: bool = True
    optional: bool = False


class Block(_Frozen):
    """One categorical variable of a distribution table."""

    variable: str = Field(min_length=1)
    label: str = ""
    categories: tuple[Category, ...] = Field(min_length=1)


class MeanSpec(_Frozen):
    """A mean column (e.g. mean age in whole years)."""

    variable: str = Field(min_length=1)
    label: str = Field(min_length=1)
    unit: str = ""
    printed: str = ""


class SpellCriterion(_Frozen):
    """Persons with a spell of ``kind`` (and one of ``codes``) overlapping ``window``."""

    kind: str = Field(min_length=1)
    codes: tuple[str, ...] = ()
    window: str = Field(min_length=1)


class Measure(_Frozen):
    """A yes/no measure: a participant column equal to ``value``, or a spell criterion."""

    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    printed: str = Field(min_length=1)
    column: str | None = None
    value: Any = True
    spells: SpellCriterion | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Measure:
        if (self.column is None) == (self.spells is None):
            raise ValueError("expected exactly one of 'column' and 'spells'")
        return self


class TableSpec(_Frozen):
    """One participant table."""

    id: str = Field(pattern=r"^tbl-[0-9a-z-]+$")
    number: str = Field(pattern=r"^\d+\.\d+$")
    title: str = Field(min_length=1)
    title_unit: str = Field(min_length=1)
    kind: Literal["distribution", "indicator", "multi_response"]
    breakdown: Literal["county", "total"]
    blocks: tuple[Block, ...] = ()
    mean: MeanSpec | None = None
    measure: Measure | None = None
    measures: tuple[Measure, ...] = ()
    source: str = Field(min_length=1)
    notes: tuple[str, ...] = ()
    provenance: RuleProvenance

    @model_validator(mode="after")
    def _kind_fields(self) -> TableSpec:
        if self.kind == "distribution" and not self.blocks:
            raise ValueError("kind 'distribution' needs 'blocks'")
        if self.kind == "indicator" and self.measure is None:
            raise ValueError("kind 'indicator' needs 'measure'")
        if self.kind == "multi_response" and not self.measures:
            raise ValueError("kind 'multi_response' needs 'measures'")
        return self

    def all_measures(self) -> tuple[Measure, ...]:
        """The yes/no measures of an indicator or multi-response table."""
        return (self.measure,) if self.measure is not None else self.measures

    def variables_used(self) -> set[str]:
        """Variables (raw or derived) whose values the table shows."""
        used = {b.variable for b in self.blocks}
        if self.mean is not None:
            used.add(self.mean.variable)
        used |= {m.column for m in self.all_measures() if m.column}
        return used


class TableDefs(_Frozen):
    """The whole ``participant_tables.yaml``."""

    windows: dict[str, Window]
    variables: tuple[Variable, ...] = ()
    tables: tuple[TableSpec, ...] = Field(min_length=1)

    def table(self, key: str) -> TableSpec:
        """The spec by number (``"5.1"``) or id (``"tbl-5-1"``)."""
        for spec in self.tables:
            if key in (spec.number, spec.id):
                return spec
        known = ", ".join(s.number for s in self.tables)
        raise KeyError(f"unknown participant table {key!r}; known: {known}")


def _read_yaml(path: Path | None, filename: str) -> tuple[str, Any]:
    return read_mapping(path, filename, package_dir="definitions", error=DefinitionError)


def load_cleaning_rules(path: str | Path | None = None) -> tuple[CleaningRule, ...]:
    """Read and validate the cleaning rules (default: the packaged ``cleaning_rules.yaml``)."""
    name, data = _read_yaml(Path(path) if path else None, "cleaning_rules.yaml")
    try:
        rules = _RulesFile.model_validate(data).rules
    except ValidationError as exc:
        raise DefinitionError(format_validation(name, exc)) from exc
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise DefinitionError(f"{name}: rules[{i}].id: expected a unique id ({rule.id!r})")
        seen.add(rule.id)
    return rules


def load_table_defs(path: str | Path | None = None) -> TableDefs:
    """Read and validate the table specs (default: the packaged ``participant_tables.yaml``)."""
    name, data = _read_yaml(Path(path) if path else None, "participant_tables.yaml")
    try:
        defs = TableDefs.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(format_validation(name, exc)) from exc
    from coopstats.data import COLUMNS

    known = set(COLUMNS["participants"])
    for i, var in enumerate(defs.variables):
        source = var.column if var.kind == "years_since" else var.of
        if source not in known:
            raise DefinitionError(
                f"{name}: variables[{i}]: expected a known column or earlier variable, "
                f"got {source!r}"
            )
        known.add(var.id)
    for i, spec in enumerate(defs.tables):
        where = f"{name}: tables[{i}] ({spec.number})"
        for var in spec.variables_used():
            if var not in known:
                raise DefinitionError(f"{where}: unknown variable {var!r}")
        for m in spec.all_measures():
            if m.spells is not None and m.spells.window not in defs.windows:
                raise DefinitionError(f"{where}: unknown window {m.spells.window!r}")
    numbers = [s.number for s in defs.tables]
    if len(set(numbers)) != len(numbers):
        raise DefinitionError(f"{name}: table numbers must be unique: {numbers}")
    return defs


# --------------------------------------------------------------------------- cleaning


@dataclass(frozen=True)
class RuleResult:
    """One applied rule and the persons it touched."""

    rule: CleaningRule
    person_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        """Number of persons the rule touched."""
        return len(self.person_ids)


@dataclass(frozen=True)
class CleaningResult:
    """The cleaned frame and, in rule order, what each rule did."""

    frame: pd.DataFrame
    results: tuple[RuleResult, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Rule id → number of persons touched."""
        return {r.rule.id: r.count for r in self.results}

    def protected_notes(
        self, variables: Iterable[str], pop: Population, plan: Any
    ) -> tuple[list[str], list[Any]]:
        """Rule notes for a page with the protected count of persons each rule touched."""
        wanted = set(variables)
        notes, items = [], []
        for r in self.results:
            if not wanted & set(r.rule.variables):
                continue
            item = _rule_item(pop, r.rule)
            if item is None:
                text = "ingen personer"
            else:
                items.append(item)
                text = plan.text(item)
                if text == NIL:
                    text = "ingen personer"
                elif text == HIDDEN:
                    text = f"skjult antall personer ({HIDDEN})"
                else:
                    text = f"{text} personer"
            notes.append(_rule_text(r.rule, text))
        return notes, items


def _rule_item(pop: Population, rule: CleaningRule) -> Any:
    """The plan item counting the persons a rule touched on the page (``None``: nobody)."""
    from coopstats.publication import YES, count_item

    cell = {f"regel:{rule.id}": YES}
    if not pop.is_all:
        if pop.scope not in pop.get_plan().system.codes["unit"]:
            return None
        cell["unit"] = pop.scope
    return count_item(**cell)


def _rule_text(rule: CleaningRule, who: str) -> str:
    source = cite(rule.provenance.source, rule.provenance.lines, inline=True)
    return f"Renseregel {rule.number} ({source}): {rule.text} Berørt: {who}."


def _condition(frame: pd.DataFrame, column: str, expected: Any) -> pd.Series:
    if column not in frame.columns:
        raise DefinitionError(f"cleaning rule: unknown column {column!r}")
    values = frame[column]
    if expected == "missing":
        return values.isna()
    if expected == "present":
        return values.notna()
    if isinstance(expected, list):
        return values.isin(expected).fillna(False).astype(bool)
    return (values == expected).fillna(False).astype(bool)


def apply_cleaning_rules(
    frame: pd.DataFrame, rules: Sequence[CleaningRule] | None = None
) -> CleaningResult:
    """Apply ``rules`` in order to a copy of ``frame`` (participants, with derived variables).

    ``exclude`` sets the rule's variables to missing for the touched persons (they leave the N
    of those variables); ``set`` assigns values. Returns the cleaned copy and the persons each
    rule touched.
    """
    rules = load_cleaning_rules() if rules is None else rules
    out = frame.copy()
    results = []
    for rule in rules:
        mask = pd.Series(True, index=out.index)
        for column, expected in rule.when.items():
            mask &= _condition(out, column, expected)
        touched = tuple(str(p) for p in out.loc[mask, "person_id"])
        if rule.action == "set":
            for column, value in rule.set.items():
                if column not in out.columns:
                    out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
                out.loc[mask, column] = value
        else:
            for column in rule.variables:
                if column in out.columns:
                    out.loc[mask, column] = pd.NA
        results.append(RuleResult(rule, touched))
    return CleaningResult(out, tuple(results))


def derive_variables(participants: pd.DataFrame, defs: TableDefs) -> pd.DataFrame:
    """Add the derived variables of ``defs`` (age, bands, …) to a copy of ``participants``.

    ``years_since`` = the year of ``intake_date`` minus the column's year; ``bands`` maps an
    integer variable to band codes (values outside every band stay missing).
    """
    out = participants.copy()
    ref = pd.to_datetime(out["intake_date"]).dt.year.astype("Int64")
    for var in defs.variables:
        if var.kind == "years_since":
            out[var.id] = (ref - out[var.column].astype("Int64")).astype("Int64")
        else:
            source = out[var.of].astype("Int64")
            band = pd.Series(pd.NA, index=out.index, dtype="string")
            for b in var.bands:
                inside = source >= b.low
                if b.high is not None:
                    inside &= source <= b.high
                band[inside.fillna(False).astype(bool)] = b.code
            out[var.id] = band
    return out


# --------------------------------------------------------------------------- spells


def spell_flags(
    spells: pd.DataFrame,
    person_ids: Iterable[str],
    *,
    kind: str,
    codes: Sequence[str] = (),
    start: date,
    end: date,
) -> pd.Series:
    """Per person: has a spell of ``kind`` (one of ``codes``) overlapping ``start..end``.

    A missing end date means the spell is ongoing; a missing start date means "since before".
    Returns a boolean Series indexed by person id, in the order given.
    """
    ids = [str(p) for p in person_ids]
    rows = spells[(spells["kind"] == kind).fillna(False).astype(bool)]
    if codes:
        rows = rows[rows["code"].isin(list(codes)).fillna(False).astype(bool)]
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    overlaps = (rows["start_date"].isna() | (rows["start_date"] <= hi)) & (
        rows["end_date"].isna() | (rows["end_date"] >= lo)
    )
    have = set(rows.loc[overlaps.fillna(False).astype(bool), "person_id"].astype(str))
    return pd.Series([p in have for p in ids], index=pd.Index(ids, name="person_id"), dtype=bool)


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Group:
    """A row group: one unit (``key`` = unit id) with its printed label and persons."""

    key: str
    label: str
    person_ids: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of persons in the group."""
        return len(self.person_ids)


@dataclass
class Population:
    """Cleaned participants with derived variables, their spells, groups and settings."""

    frame: pd.DataFrame
    spells: pd.DataFrame
    groups: list[Group]
    scope: str
    scope_label: str
    cleaning: CleaningResult
    config: DisclosureConfig
    defs: TableDefs
    source_note: str = ""
    model_names: tuple[str, ...] = ()
    datasets: Datasets | None = None
    plan: Any = None
    rules: tuple[CleaningRule, ...] | None = None

    def get_plan(self) -> Any:
        """The protected publication plan of the whole delivery (built on first use)."""
        if self.plan is None:
            from coopstats import publication

            if self.datasets is None:
                raise ValueError("the population has no delivery to plan from")
            if len(self.frame) != len(self.datasets.participants):
                # the plan protects every participant of the delivery together; a page about a
                # subset (one model) would need its own cells in that one system
                raise ValueError(
                    "participant tables for a subset of the delivery (model=...) are not part "
                    "of the build's protected system; build them for the whole delivery"
                )
            self.plan = publication.plan_for(
                self.datasets, self.config, defs=self.defs, rules=self.rules
            )
        return self.plan

    @property
    def is_all(self) -> bool:
        """True when the page shows all participants."""
        return self.scope == ALL_SCOPE

    def shown_person_ids(self) -> list[str]:
        """Persons the page is about (all, or the unit's)."""
        if self.is_all:
            return [p for g in self.groups for p in g.person_ids]
        return [p for g in self.groups if g.key == self.scope for p in g.person_ids]


def _short_label(name: str) -> str:
    for prefix in ("NAV ", "Nav "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def build_population(
    datasets: Datasets,
    scope: str = ALL_SCOPE,
    *,
    config: DisclosureConfig | None = None,
    registry: Registry | None = None,
    defs: TableDefs | None = None,
    rules: Sequence[CleaningRule] | None = None,
    model: str | None = None,
) -> Population:
    """Prepare the participant population: derive variables, clean, group by unit.

    ``scope`` is ``"alle"`` or a unit (id, name or alias). The groups always cover every unit
    in the data (so that every page shows rows of the same protected tables); ``scope`` decides
    which rows a page shows. ``model`` limits the participants to one cooperation model.
    """
    registry = registry or load_registry()
    defs = defs or load_table_defs()
    config = config or DisclosureConfig()
    people = datasets.participants
    model_ids: list[str] = []
    for t in people["trial_id"].dropna().unique():
        trial = registry.trials.get(str(t))
        if trial is not None and trial.model not in model_ids:
            model_ids.append(trial.model)
    if model is not None:
        trial_ids = [t.id for t in registry.trials.values() if t.model == model]
        people = people[people["trial_id"].isin(trial_ids).fillna(False).astype(bool)]
        model_ids = [model]
    people = people.reset_index(drop=True)
    derived = derive_variables(people, defs)
    cleaning = apply_cleaning_rules(derived, rules)

    unit_order = list(registry.units)
    present = [str(u) for u in people["unit_id"].dropna().unique()]
    present.sort(key=lambda u: (unit_order.index(u) if u in unit_order else len(unit_order), u))
    groups = []
    for uid in present:
        name = registry.units[uid].name if uid in registry.units else uid
        ids = tuple(str(p) for p in people.loc[people["unit_id"] == uid, "person_id"])
        groups.append(Group(uid, _short_label(name), ids))

    if str(scope).strip().lower() in (ALL_SCOPE, "all", "total"):
        scope_id, scope_label = ALL_SCOPE, "alle enheter"
    else:
        unit = registry.resolve_unit(scope)
        scope_id, scope_label = unit.id, unit.name
        if unit.id not in present:
            groups.append(Group(unit.id, _short_label(unit.name), ()))
    model_names = tuple(registry.models[m].name for m in model_ids if m in registry.models)
    spells = datasets.spells
    spells = spells[spells["person_id"].isin(list(people["person_id"])).fillna(False)]
    return Population(
        frame=cleaning.frame,
        spells=spells.reset_index(drop=True),
        groups=groups,
        scope=scope_id,
        scope_label=scope_label,
        cleaning=cleaning,
        config=config,
        defs=defs,
        source_note=f"datagrunnlag {Path(datasets.directory).name}",
        model_names=model_names,
        datasets=datasets,
        rules=None if rules is None else tuple(rules),
    )


# --------------------------------------------------------------------------- counting


def distribution_counts(
    frame: pd.DataFrame, variable: str, codes: Sequence[str], groups: Sequence[Group]
) -> tuple[pd.DataFrame, pd.Series]:
    """Counts per group (rows, by label) and category code (columns), and missing per group.

    Raises ``ValueError`` for a value that is none of ``codes`` (the data contract should have
    stopped it; silently dropping it would change N).
    """
    by_person = frame.set_index(frame["person_id"].astype(str))[variable]
    counts = pd.DataFrame(0, index=[g.label for g in groups], columns=list(codes), dtype="int64")
    missing = pd.Series(0, index=[g.label for g in groups], dtype="int64")
    for g in groups:
        values = by_person.reindex(list(g.person_ids))
        missing[g.label] = int(values.isna().sum())
        present = values.dropna().astype(str)
        unknown = sorted(set(present) - set(codes))
        if unknown:
            raise ValueError(f"{variable}: values {unknown} are not categories of the table")
        for code, n in present.value_counts().items():
            counts.loc[g.label, code] = int(n)
    return counts, missing


def group_means(
    frame: pd.DataFrame, variable: str, groups: Sequence[Group]
) -> dict[str, tuple[float | None, int]]:
    """Mean and number of valid values per group label, plus :data:`TOTAL_LABEL`."""
    by_person = frame.set_index(frame["person_id"].astype(str))[variable]
    out: dict[str, tuple[float | None, int]] = {}
    everyone: list[str] = []
    for g in groups:
        everyone += list(g.person_ids)
        vals = by_person.reindex(list(g.person_ids)).dropna().astype(float)
        out[g.label] = (float(vals.mean()) if len(vals) else None, len(vals))
    vals = by_person.reindex(everyone).dropna().astype(float)
    out[TOTAL_LABEL] = (float(vals.mean()) if len(vals) else None, len(vals))
    return out


def _measure_flags(pop: Population, measure: Measure) -> tuple[pd.Series, bool]:
    """Per person: ``True``/``False``/``NA`` for a measure, and whether its data were delivered."""
    ids = pop.frame["person_id"].astype(str)
    if measure.column is not None:
        values = pop.frame[measure.column]
        flag = (values == measure.value).astype("boolean")
        flag[values.isna()] = pd.NA
        return pd.Series(flag.to_numpy(), index=pd.Index(ids, name="person_id")), True
    crit = measure.spells
    assert crit is not None
    window = pop.defs.windows[crit.window]
    delivered = bool((pop.spells["kind"] == crit.kind).fillna(False).any())
    flags = spell_flags(
        pop.spells, ids, kind=crit.kind, codes=crit.codes, start=window.start, end=window.end
    )
    return flags.astype("boolean"), delivered


# --------------------------------------------------------------------------- tables


@dataclass
class ParticipantTable:
    """One built table: the finished :class:`Table` plus what tests and figures need.

    ``values`` holds the shown shares (0..1; NA where hidden or not applicable), same rows and
    columns as ``table.frame``. ``printed`` maps our column labels to the printed headers.
    ``cell_keys`` maps a shown column to ``(block key, column in that system)``, and
    ``row_groups`` a shown row label to the row in the systems.
    """

    spec: TableSpec
    table: Table
    values: pd.DataFrame
    printed: dict[str, str]
    row_groups: dict[str, str]
    cell_keys: dict[str, tuple[str, str]] = field(default_factory=dict)


def row_label(label: str, n_text: str) -> str:
    """A row label carrying N as printed: ``"Oslo (N=26)"``."""
    return f"{label} (N={n_text})"


def _split_label(label: str) -> tuple[str, str]:
    """Inverse of :func:`row_label`: ``"Oslo (N=26)"`` -> ``("Oslo", "26")``."""
    head, _, tail = label.rpartition(" (N=")
    return head, tail.removesuffix(")")


def _shown_rows(pop: Population, spec: TableSpec) -> list[str]:
    """Protected-system row labels shown on this page, in order."""
    if not pop.is_all:
        return [g.label for g in pop.groups if g.key == pop.scope]
    if spec.breakdown == "county":
        return [g.label for g in pop.groups] + [TOTAL_LABEL]
    return [TOTAL_LABEL]


#: Reader-facing names of raw participant columns used as table variables.
_VARIABLE_NAMES = {
    "education_completed": "Fullført utdanning",
    "education_started": "Påbegynt utdanning",
    "norwegian_oral": "Norsk muntlig",
    "norwegian_written": "Norsk skriftlig",
    "gender": "Kjønn",
    "age_band": "Aldersgruppe",
    "residence_band": "Botid i Norge",
}


class _TableBuilder:
    """Collects the columns of one table for the rows a page shows, from the protected plan.

    Every figure (share, N, missing count) is an item of :mod:`coopstats.publication`'s plan,
    which protects all participant figures of the build together.
    """

    def __init__(self, pop: Population, spec: TableSpec) -> None:
        from coopstats import publication

        self.pub = publication
        self.pop, self.spec = pop, spec
        self.plan = pop.get_plan()
        self.shown = _shown_rows(pop, spec)
        self.keys = {g.label: g.key for g in pop.groups}
        self.nonempty = [g for g in pop.groups if g.n > 0]
        self.columns: list[str] = []
        self.printed: dict[str, str] = {}
        self.cell_keys: dict[str, tuple[str, str]] = {}
        self.cells: dict[str, dict[str, str]] = {r: {} for r in self.shown}
        self.values: dict[str, dict[str, float | None]] = {r: {} for r in self.shown}
        self.items: list[Any] = []
        self.notes: list[str] = list(spec.notes)

    def base(self, row: str) -> dict[str, str] | None:
        """The cell of a shown row (``{}`` = everyone), ``None`` for a unit without persons."""
        if row == TOTAL_LABEL:
            return {}
        key = self.keys.get(row)
        if key is None or key not in self.plan.system.codes["unit"]:
            return None
        return {"unit": key}

    def text(self, item: Any) -> str:
        self.items.append(item)
        return self.plan.text(item)

    def n_text(self, row: str) -> str:
        base = self.base(row)
        if base is None:
            return fmt_number(0)
        return self.text(self.pub.count_item(**base))

    def _column(self, label: str, printed: str, key: tuple[str, str] | None = None) -> None:
        self.columns.append(label)
        self.printed[label] = printed
        if key is not None:
            self.cell_keys[label] = key

    def _set(self, row: str, column: str, text: str, value: float | None = None) -> None:
        self.cells[row][column], self.values[row][column] = text, value

    def _share(self, row: str, column: str, variable: str, code: str) -> None:
        base = self.base(row)
        if base is None:
            self._set(row, column, NOT_APPLICABLE)
            return
        item = self.pub.valid_share(base, variable, code)
        fact = self.plan.fact(item)
        self.items.append(item)
        value = None
        if fact.shown == "share":
            num = self.plan.value(item)
            den = sum(c * self.plan.system.values[k] for c, k in item.den)
            value = float(Decimal(num) / Decimal(den))
        self._set(row, column, self.pub.fact_text(fact), value)

    def _missing(self, variable: str, name: str) -> None:
        """A note with the persons without a value in each shown row (protected counts)."""
        parts = []
        for row in self.shown:
            base = self.base(row)
            if base is None:
                continue
            item = self.pub.count_item(**base, **{variable: self.pub.MISSING})
            if self.plan.value(item) == 0 and self.plan.fact(item).shown == "nil":
                self.items.append(item)
                continue
            parts.append(f"{row} {self.text(item)}")
        if parts:
            self.notes.append(
                f"{name}: andelene er regnet av deltakerne med registrert verdi; uten "
                f"registrert verdi: {', '.join(parts)}."
            )

    def add_block(self, block: Block) -> None:
        """A categorical variable: shares of the valid N, missing values left out of N."""
        key = f"{self.spec.id}:{block.variable}"
        counts, _ = distribution_counts(
            self.pop.frame, block.variable, [c.code for c in block.categories], self.pop.groups
        )
        present = counts.sum(axis=0)
        cats = [c for c in block.categories if not (c.optional and present[c.code] == 0)]
        prefix = f"{block.label} " if block.label else ""
        for c in cats:
            if c.display:
                label = f"{prefix}{c.label}"
                self._column(label, f"{prefix}{c.printed}", (key, f"{block.variable}:{c.code}"))
                for row in self.shown:
                    self._share(row, label, block.variable, c.code)
        self._missing(block.variable, block.label or _VARIABLE_NAMES.get(block.variable, ""))

    def add_mean(self, mean: MeanSpec) -> None:
        """A mean in whole years (half up), shown only where the row's valid N is public and
        at least ``min_count`` (the block variable's N and missing count are both visible)."""
        self._column(mean.label, mean.printed or mean.label)
        stats = group_means(self.pop.frame, mean.variable, self.nonempty)
        band = next((b.variable for b in self.spec.blocks), None)
        for row in self.shown:
            value, n = stats.get(row, (None, 0))
            base = self.base(row)
            if value is None or base is None:
                self._set(row, mean.label, NOT_APPLICABLE)
                continue
            cells = [make_key(base)]
            if band is not None:
                cells.append(make_key({**base, band: self.pub.MISSING}))
            public = self.plan.visible(*cells)
            if self.pop.config.reproduce_published or (public and n >= self.pop.config.min_count):
                text = f"{fmt_number(round_half_up(value, 0))} {mean.unit}".strip()
                self._set(row, mean.label, text, value)
            else:
                self._set(row, mean.label, HIDDEN)

    def add_measure(self, measure: Measure) -> None:
        """A yes/no measure: the share of "yes" among those with a value."""
        from coopstats.publication import YES, measure_variable

        key = f"{self.spec.id}:{measure.code}"
        var = measure_variable(measure, self.pop.defs)
        _, delivered = _measure_flags(self.pop, measure)
        self._column(measure.label, measure.printed, (key, f"{measure.code}:ja"))
        for row in self.shown:
            self._share(row, measure.label, var, YES)
        if not delivered:
            for row in self.shown:
                if self.cells[row][measure.label] != NOT_APPLICABLE:
                    self._set(row, measure.label, NOT_AVAILABLE)
            kind = measure.spells.kind if measure.spells else ""
            self.notes.append(
                f"{NOT_AVAILABLE} = ikke tilgjengelig: datagrunnlaget har ingen forløp av typen "
                f"«{kind}»."
            )
        if measure.column is not None:
            self._missing(var, measure.label)

    def finish(self) -> ParticipantTable:
        """Row labels with N, notes (missing, cleaning rules, symbols, provenance), the Table."""
        pop, spec, shown = self.pop, self.spec, self.shown
        labels = [row_label(r, self.n_text(r)) for r in shown]
        index_name = "Fylke" if spec.breakdown == "county" or not pop.is_all else ""
        index = pd.Index(labels, name=index_name)
        frame = pd.DataFrame(
            [[self.cells[r][c] for c in self.columns] for r in shown],
            index=index,
            columns=self.columns,
            dtype=object,
        )
        values = pd.DataFrame(
            [[self.values[r][c] for c in self.columns] for r in shown],
            index=index,
            columns=self.columns,
            dtype=object,
        )
        notes = self.notes
        rule_notes, rule_items = pop.cleaning.protected_notes(spec.variables_used(), pop, self.plan)
        notes += rule_notes
        self.items += rule_items
        notes += _symbol_notes(pop, frame, self.plan)
        notes.append(
            f"Tilsvarer tabell {spec.number} i "
            f"{cite(spec.provenance.source, spec.provenance.lines)}."
        )
        population, pop_items = _population_text(pop)
        self.items += pop_items
        table = Table(
            title=spec.title if pop.is_all else f"{spec.title_unit} – {pop.scope_label}",
            frame=frame,
            population=population,
            source=f"{spec.source}; {pop.source_note}",
            notes=notes,
            stamp=pop.config.stamp,
            disclosure=self.plan.metadata(self.items),
        )
        return ParticipantTable(
            spec=spec,
            table=table,
            values=values,
            printed=self.printed,
            row_groups=dict(zip(labels, shown, strict=True)),
            cell_keys=self.cell_keys,
        )


def build_table(pop: Population, spec: TableSpec) -> ParticipantTable:
    """Build one participant table for the page's scope (see the module docstring)."""
    builder = _TableBuilder(pop, spec)
    for block in spec.blocks:
        builder.add_block(block)
    if spec.mean is not None:
        builder.add_mean(spec.mean)
    for measure in spec.all_measures():
        builder.add_measure(measure)
    return builder.finish()


def _symbol_notes(pop: Population, frame: pd.DataFrame, plan: Any) -> list[str]:
    notes = []
    shown_text = frame.to_numpy().ravel().tolist() + list(frame.index)
    if any(HIDDEN in str(t) for t in shown_text):
        secondary = any(not is_small(plan.system.values[k], pop.config) for k in plan.hidden)
        notes.append(symbol_note(pop.config.min_count, secondary=secondary))
    if NIL in shown_text:
        notes.append(f"{NIL} = null (ingen personer).")
    if NOT_APPLICABLE in shown_text:
        notes.append(f"{NOT_APPLICABLE} = ikke aktuelt (ingen deltakere i gruppen).")
    return notes


def _population_text(pop: Population) -> tuple[str, list[Any]]:
    """The population line with protected Ns, and the items it publishes."""
    from coopstats.publication import count_item

    plan = pop.get_plan()
    units = plan.system.codes["unit"]
    items = []

    def n_of(**cell: str) -> str:
        item = count_item(**cell)
        items.append(item)
        return plan.text(item)

    model = f" i forsøk med {pop.model_names[0].lower()}" if len(pop.model_names) == 1 else ""
    if pop.is_all:
        parts = ", ".join(
            f"{g.label} {n_of(unit=g.key) if g.key in units else fmt_number(0)}" for g in pop.groups
        )
        return f"Alle deltakere tatt inn{model}, N = {n_of()} ({parts})", items
    n_text = n_of(unit=pop.scope) if pop.scope in units else fmt_number(0)
    return f"Deltakere tatt inn{model} i {pop.scope_label}, N = {n_text}", items


def build_tables(pop: Population) -> dict[str, ParticipantTable]:
    """Build every table of ``pop.defs``, by number, from the protected plan."""
    return {spec.number: build_table(pop, spec) for spec in pop.defs.tables}


# --------------------------------------------------------------------------- figures


def share_figure(pt: ParticipantTable, *, title: str | None = None):
    """A horizontal bar chart of a table's shares, labelled with the table's own cell texts.

    Hidden cells get no bar and the label ``:``, so the figure shows no more than the table.
    One column: one bar per row. Otherwise: one group of bars per column, one bar per row.
    """
    import matplotlib.pyplot as plt

    from coopstats.style import HATCHES, PALETTE, apply_house_style, series_style

    apply_house_style()
    frame, values = pt.table.frame, pt.values
    series = list(frame.index)
    cats = list(frame.columns)
    if pt.spec.mean is not None:
        cats = [c for c in cats if c != pt.spec.mean.label]
    one_col = len(cats) == 1
    n_bars = len(series) * (1 if one_col else len(cats))
    fig, ax = plt.subplots(figsize=(7, 0.45 * n_bars + 1.2))
    if one_col:
        col = cats[0]
        ys = list(range(len(series)))
        xs = [
            100 * float(values.loc[r, col]) if pd.notna(values.loc[r, col]) else 0 for r in series
        ]
        is_total = [_split_label(r)[0] == TOTAL_LABEL for r in series]
        bars = ax.barh(
            ys,
            xs,
            color=[PALETTE[1] if t else PALETTE[0] for t in is_total],
            hatch=None,
            edgecolor="white",
        )
        for bar, t in zip(bars, is_total, strict=True):
            bar.set_hatch(HATCHES[1] if t else HATCHES[0])
        for bar, r in zip(bars, series, strict=True):
            ax.text(
                bar.get_width() + 1,
                bar.get_y() + bar.get_height() / 2,
                frame.loc[r, col],
                va="center",
                fontsize=9,
            )
        ax.set_yticks(ys, series)
    else:
        height = 0.8 / len(series)
        for i, r in enumerate(series):
            ys = [k + i * height for k in range(len(cats))]
            xs = [100 * float(values.loc[r, c]) if pd.notna(values.loc[r, c]) else 0 for c in cats]
            bars = ax.barh(
                ys,
                xs,
                height=height,
                label=r,
                **series_style(i),
            )
            for bar, c in zip(bars, cats, strict=True):
                ax.text(
                    bar.get_width() + 1,
                    bar.get_y() + height / 2,
                    frame.loc[r, c],
                    va="center",
                    fontsize=8,
                )
        ax.set_yticks([k + height * (len(series) - 1) / 2 for k in range(len(cats))], cats)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_axisbelow(True)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xlabel("Prosent")
    if title:
        ax.set_title(title, loc="left")
    if pt.table.stamp:
        fig.text(0.01, 0.005, pt.table.stamp, fontsize=7, style="italic")
    fig.tight_layout()
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- report (notebook)


@dataclass
class ParticipantReport:
    """What ``notebooks/deltakere.ipynb`` shows: built tables, figures and the cleaning overview."""

    population: Population
    tables: dict[str, ParticipantTable]
    _items: list[Any] = field(default_factory=list)

    def heading(self):
        """Level-1 heading and the population sentence (with the stamp when reproducing)."""
        pop = self.population
        title = "Deltakerne i forsøket" + ("" if pop.is_all else f" – {pop.scope_label}")
        population, items = _population_text(pop)
        text = f"# {title}\n\n{population}."
        if not pop.shown_person_ids():
            text += (
                "\n\nDatagrunnlaget har ingen deltakere fra denne enheten; tabellene viser "
                f"«{NOT_APPLICABLE}» (ikke aktuelt)."
            )
        if pop.config.stamp:
            text += f"\n\n**{pop.config.stamp}**"
        return ProtectedMarkdown(text, pop.get_plan().metadata(items))

    def table(self, number: str) -> Table:
        """The finished table by printed number (``"5.1"``) or id (``"tbl-5-1"``)."""
        spec = self.population.defs.table(number)
        return self.tables[spec.number].table

    def _rule_count(self, rule: CleaningRule) -> str:
        item = _rule_item(self.population, rule)
        if item is None:
            return NIL
        self._items.append(item)
        return self.population.get_plan().text(item)

    def figure(self, number: str):
        """Bar chart version of a table (same cells, same symbols)."""
        spec = self.population.defs.table(number)
        return share_figure(self.tables[spec.number])

    def cleaning_table(self) -> Table:
        """The cleaning rules with the number of persons each touched on this page."""
        rows = []
        for r in self.population.cleaning.results:
            rows.append(
                {
                    "Regel": f"{r.rule.number}. {r.rule.title}",
                    "Hva gjøres": r.rule.text,
                    "Kilde": cite(r.rule.provenance.source, r.rule.provenance.lines),
                    "Berørte personer": self._rule_count(r.rule),
                }
            )
        frame = pd.DataFrame(rows).set_index("Regel")
        population, items = _population_text(self.population)
        return Table(
            title="Renseregler brukt i deltakertabellene",
            frame=frame,
            population=population,
            source=f"Reglene: {cite('seed-003', '512-522')}; antall berørte: "
            f"{self.population.source_note}",
            notes=[
                "Antall berørte personer gjelder deltakerne på denne siden. Hver tabell som "
                "bruker en variabel en regel endrer, har en note med antallet."
            ],
            stamp=self.population.config.stamp,
            disclosure=self.population.get_plan().metadata([*self._items, *items]),
        )


def load_report(
    scope: str = ALL_SCOPE,
    data_dir: str | Path = "data/demo",
    *,
    min_count: int = 5,
    reproduce_published: bool = False,
    model: str | None = None,
) -> ParticipantReport:
    """Load a delivery and build every participant table for ``scope`` (``"alle"`` or a unit)."""
    config = DisclosureConfig(min_count=int(min_count), reproduce_published=reproduce_published)
    pop = build_population(load_datasets(Path(data_dir)), scope, config=config, model=model)
    return ParticipantReport(pop, build_tables(pop))
