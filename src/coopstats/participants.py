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

from coopstats import windows, yamlio
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


class DefinitionError(yamlio.DefinitionError, ValueError):
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
    """A named period; a spell counts when it overlaps it (see :mod:`coopstats.windows`).

    Calendar: ``start`` and ``end`` (both days included), the same for everybody. Relative:
    ``anchor`` (``intake_date``), ``from_months`` and ``to_months``, each person's own window.
    ``label`` is how titles and notes name it after «i» («i de fem årene før inntak»,
    «i 2018–2023»). ``published`` names the calendar window delrapport 1 used instead; it is
    used only when reproducing the published tables (``reproduce_published``).
    """

    start: date | None = None
    end: date | None = None
    anchor: Literal["intake_date", "exit_date"] | None = None
    from_months: int | None = None
    to_months: int | None = None
    label: str = Field(min_length=1)
    published: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Window:
        calendar = self.start is not None or self.end is not None
        relative = any(v is not None for v in (self.anchor, self.from_months, self.to_months))
        if calendar == relative:
            raise ValueError(
                "expected either start and end (calendar) or anchor, from_months and to_months "
                "(relative to each person)"
            )
        if calendar and (self.start is None or self.end is None):
            raise ValueError("a calendar window needs both start and end")
        if calendar and self.end < self.start:
            raise ValueError("expected end on or after start")
        if relative:
            self.spec()  # from_months < to_months, both given
        return self

    def spec(self) -> windows.Window:
        """The window as :mod:`coopstats.windows` computes it."""
        if self.start is not None and self.end is not None:
            return (self.start, self.end)
        if self.from_months is None or self.to_months is None:
            raise ValueError("a relative window needs from_months and to_months")
        return windows.Relative(
            anchor=self.anchor or "intake_date",
            from_months=self.from_months,
            to_months=self.to_months,
        )

    @property
    def relative(self) -> bool:
        return self.start is None


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
        for text in (self.title, self.title_unit, *self.notes):
            try:
                text.format(enheter="", periode="")
            except (KeyError, IndexError, ValueError):
                raise ValueError(
                    f"{text!r}: titles and notes may use the placeholders {{enheter}} and "
                    "{periode} only"
                ) from None
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

    def window_id(self) -> str | None:
        """The window of the table's spell measures (their first), ``None`` without one."""
        return next((m.spells.window for m in self.all_measures() if m.spells), None)

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

    def window(self, window_id: str, reproduce_published: bool = False) -> Window:
        """The window a measure uses: its own, or the published calendar one when reproducing
        delrapport 1 (``reproduce_published``, stamped on every table)."""
        window = self.windows[window_id]
        if reproduce_published and window.published is not None:
            return self.windows[window.published]
        return window

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
        raise DefinitionError(format_validation(name, exc, schema=_RulesFile)) from exc
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
        raise DefinitionError(format_validation(name, exc, schema=TableDefs)) from exc
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
    for wid, window in defs.windows.items():
        if window.published is not None:
            other = defs.windows.get(window.published)
            if other is None or other.relative:
                raise DefinitionError(
                    f"{name}: windows.{wid}.published: expected the id of a calendar window, "
                    f"got {window.published!r}"
                )
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
                    text = f"{text} {'person' if text == '1' else 'personer'}"
            notes.append(_rule_text(r.rule, text))
        return notes, items


def _rule_item(pop: Population, rule: CleaningRule) -> Any:
    """The plan item counting the persons a rule touched on the page (``None``: nobody)."""
    from coopstats.publication import YES, count_item

    base = pop.cell(None if pop.is_all else pop.scope)
    if base is None:
        return None
    return count_item(**base, **{f"regel:{rule.id}": YES})


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
    people: pd.DataFrame,
    *,
    kind: str,
    codes: Sequence[str] = (),
    window: windows.Window,
) -> pd.Series:
    """Per person of ``people``: has a spell of ``kind`` (one of ``codes``) overlapping the
    person's window (:func:`coopstats.windows.overlapping`).

    Returns a boolean Series indexed by person id, in the order of ``people``.
    """
    ids = [str(p) for p in people["person_id"]]
    have = windows.overlapping(spells, people, kind=kind, codes=tuple(codes), window=window)
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
    #: The model whose trials the page is about (``None``: the whole delivery, for the plan).
    model: str | None = None

    def get_plan(self) -> Any:
        """The protected publication plan of the whole delivery (built on first use)."""
        if self.plan is None:
            from coopstats import publication

            if self.datasets is None:
                raise ValueError("the population has no delivery to plan from")
            self.plan = publication.plan_for(
                self.datasets, self.config, defs=self.defs, rules=self.rules
            )
        return self.plan

    def cell(self, unit: str | None = None) -> dict[str, str] | None:
        """The plan cell of the page's total (``unit=None``) or of one unit's row.

        ``{"model": m}`` and ``{"model": m, "unit": u}``: the persons of the model's trials.
        ``None`` when the unit has no such persons (its row shows "ikke aktuelt").
        """
        if self.model is None:
            raise ValueError("participant pages are about one model: pass model=...")
        if unit is None:
            return {"model": self.model} if any(g.n > 0 for g in self.groups) else None
        if not any(g.key == unit and g.n > 0 for g in self.groups):
            return None
        return {"model": self.model, "unit": unit}

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

    ``scope`` is ``"alle"`` or a unit (id, name or alias). ``model`` limits the participants
    to the trials of one cooperation model: a participant page is about one model's trials (its
    units and its total), never about participants of other trials in the same delivery. With
    ``model=None`` the population is the whole delivery (the publication plan's view).
    """
    registry = registry or load_registry()
    defs = defs or load_table_defs()
    config = config or DisclosureConfig()
    people = datasets.participants
    model_ids = participant_models(datasets, registry)
    if model is not None:
        if model not in registry.models:
            raise ValueError(
                f"unknown model {model!r}; the registry has {', '.join(registry.models)}"
            )
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
        # a delivery with participants of one model only: its pages are about that model
        model=model if model is not None else (model_ids[0] if len(model_ids) == 1 else None),
    )


def participant_models(datasets: Datasets, registry: Registry | None = None) -> list[str]:
    """Models with participants in the delivery (by their trials), in registry order."""
    registry = registry or load_registry()
    trials = {str(t) for t in datasets.participants["trial_id"].dropna().unique()}
    used = {registry.trials[t].model for t in trials if t in registry.trials}
    return [m for m in registry.models if m in used]


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


def _measure_flags(pop: Population, measure: Measure) -> tuple[pd.Series, dict[str, bool]]:
    """Per person: ``True``/``False``/``NA`` for a measure; per row: whether it was delivered.

    ``delivered`` maps every group's unit id, and :data:`TOTAL_LABEL` for the whole population,
    to whether the measure's data were delivered there. A participant column always is. A
    spell measure is delivered for a unit when the delivery's coverage
    (:class:`coopstats.coverage.Coverage`: the manifest ``coverage.csv``, or inferred from
    ``spells.csv`` without one) covers every code of the measure (with no codes: the kind, all
    codes) for that unit during at least part of the measure's window; a partly covered window
    gets a note in the table (:meth:`_TableBuilder.add_measure`). The total is delivered when
    every unit with participants is. The flags do not depend on the coverage (the privacy layer
    protects them all); a table shows ``..`` where the measure was not delivered.
    """
    from coopstats.coverage import Coverage

    ids = pop.frame["person_id"].astype(str)
    units = [g.key for g in pop.groups]
    if measure.column is not None:
        values = pop.frame[measure.column]
        flag = (values == measure.value).astype("boolean")
        flag[values.isna()] = pd.NA
        flags = pd.Series(flag.to_numpy(), index=pd.Index(ids, name="person_id"))
        return flags, dict.fromkeys([*units, TOTAL_LABEL], True)
    crit = measure.spells
    assert crit is not None
    window = pop.defs.window(crit.window, pop.config.reproduce_published).spec()
    if pop.datasets is not None:
        coverage = Coverage.from_datasets(pop.datasets)
    else:
        coverage = Coverage.infer(pop.spells)
    delivered = {}
    for g in pop.groups:
        people = pop.frame[pop.frame["person_id"].astype(str).isin(set(g.person_ids))]
        within = windows.span(window, people) if g.n > 0 else windows.span(window, pop.frame)
        start, end = within if within is not None else (None, None)
        delivered[g.key] = coverage.delivered(
            crit.kind, crit.codes, g.key, start, end, whole_window=False
        )
    for unit in units:
        delivered.setdefault(unit, True)
    delivered[TOTAL_LABEL] = all(delivered[g.key] for g in pop.groups if g.n > 0)
    flags = spell_flags(pop.spells, pop.frame, kind=crit.kind, codes=crit.codes, window=window)
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


_NUMBER_WORDS = ("null", "ett", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti")


def units_phrase(n: int) -> str:
    """«de tre forsøksfylkene» for ``n`` units with participants («forsøksfylket» for one)."""
    if n <= 1:
        return "forsøksfylket"
    word = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    return f"de {word} forsøksfylkene"


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
        wid = spec.window_id()
        self.words = {
            "enheter": units_phrase(sum(g.n > 0 for g in pop.groups)),
            "periode": pop.defs.window(wid, pop.config.reproduce_published).label if wid else "",
        }
        self.notes: list[str] = [n.format(**self.words) for n in spec.notes]

    def base(self, row: str) -> dict[str, str] | None:
        """The cell of a shown row (``{}`` = everyone), ``None`` for a unit without persons."""
        if row == TOTAL_LABEL:
            return self.pop.cell()
        key = self.keys.get(row)
        return None if key is None else self.pop.cell(key)

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
            missing = self.text(item)
            total = self.pub.count_item(**base)
            valid = ""
            # valid N = N - missing, shown only when both are shown (nothing new is revealed)
            if self.plan.fact(total).shown == "count" and self.plan.fact(item).shown == "count":
                self.items.append(total)
                valid = (
                    f" (gyldig N = {fmt_number(self.plan.value(total) - self.plan.value(item))})"
                )
            parts.append(f"{row} {missing}{valid}")
        if parts:
            self.notes.append(
                f"{name}: andelene er regnet av deltakerne med registrert verdi (gyldig N); uten "
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
        var = measure_variable(measure, self.pop.defs, self.pop.config.reproduce_published)
        _, delivered = _measure_flags(self.pop, measure)
        self._column(measure.label, measure.printed, (key, f"{measure.code}:ja"))
        for row in self.shown:
            self._share(row, measure.label, var, YES)
        if measure.spells is not None:
            self._coverage_notes(measure, delivered)
        if measure.column is not None:
            self._missing(var, measure.label)

    def _coverage_notes(self, measure: Measure, delivered: dict[str, bool]) -> None:
        """A spell measure: ``..`` in the rows the delivery does not cover (see
        :func:`_measure_flags`), with a note naming the units, and a note on windows the
        delivery covers only in part (the share is then a lower bound)."""
        from coopstats.coverage import Coverage, format_span

        crit = measure.spells
        assert crit is not None
        window = self.pop.defs.window(crit.window, self.pop.config.reproduce_published)
        spec = window.spec()

        def units_of(row: str) -> list[Group]:
            """The groups with participants behind a shown row."""
            key = self.keys.get(row)
            return [g for g in self.nonempty if key is None or g.key == key]

        def naming(groups: Iterable[Group]) -> str:
            labels = list(dict.fromkeys(g.label for g in groups))
            every = {g.label for g in self.nonempty}
            return "" if set(labels) >= every else f" ({', '.join(labels)})"

        uncovered: list[Group] = []
        for row in self.shown:
            if delivered.get(self.keys.get(row, row), True):
                continue
            if self.cells[row][measure.label] != NOT_APPLICABLE:
                self._set(row, measure.label, NOT_AVAILABLE)
                uncovered += [g for g in units_of(row) if not delivered.get(g.key, True)]
        codes = f" ({', '.join(crit.codes)})" if crit.codes else ""
        if uncovered:
            self.notes.append(
                f"{NOT_AVAILABLE} = ikke tilgjengelig: datagrunnlaget dekker ikke forløp av "
                f"typen «{crit.kind}»{codes} i {window.label}{naming(uncovered)}."
            )
        # a window covered only in part: the share counts only spells in the covered part
        assert self.pop.datasets is not None  # a builder has a plan, so a delivery
        coverage = Coverage.from_datasets(self.pop.datasets)
        parts: dict[str, list[Group]] = {}
        for row in self.shown:
            if self.cells[row][measure.label] in (NOT_APPLICABLE, NOT_AVAILABLE):
                continue
            for g in units_of(row):
                people = self.pop.frame[
                    self.pop.frame["person_id"].astype(str).isin(set(g.person_ids))
                ]
                within = windows.span(spec, people)
                if within is None:
                    continue
                gaps = coverage.shortfalls(crit.kind, crit.codes, g.key, *within)
                for code, spans in gaps.items():
                    what = f"«{crit.kind}»" + (f" ({code})" if code else "")
                    text = f"{what} bare {', '.join(map(format_span, spans))}"
                    parts.setdefault(text, []).append(g)
        if parts:
            where = "; ".join(f"{text}{naming(groups)}" for text, groups in parts.items())
            self.notes.append(
                f"{measure.label}: datagrunnlaget dekker {where} av tidsrommet «{window.label}»; "
                "andelen regner bare med forløp i den delen og kan være for lav."
            )

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
        words = self.words
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
            title=(
                spec.title.format(**words)
                if pop.is_all
                else f"{spec.title_unit.format(**words)} – {pop.scope_label}"
            ),
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
    items = []

    def n_of(unit: str | None = None) -> str:
        cell = pop.cell(unit)
        if cell is None:
            return fmt_number(0)
        item = count_item(**cell)
        items.append(item)
        return plan.text(item)

    model = f" i forsøk med {pop.model_names[0].lower()}" if pop.model_names else ""
    model += cohort_text(pop.frame if pop.is_all else pop.frame[pop.frame["unit_id"] == pop.scope])
    if pop.is_all:
        parts = ", ".join(f"{g.label} {n_of(g.key)}" for g in pop.groups)
        return f"Alle deltakere tatt inn{model}, N = {n_of()} ({parts})", items
    return f"Deltakere tatt inn{model} i {pop.scope_label}, N = {n_of(pop.scope)}", items


def cohort_text(frame: pd.DataFrame) -> str:
    """« (inntak 2023)» or « (inntak 2023–2025)»: the intake years of the persons shown."""
    years = pd.to_datetime(frame.get("intake_date", pd.Series(dtype="datetime64[ns]"))).dt.year
    years = sorted({int(y) for y in years.dropna()})
    if not years:
        return ""
    span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    return f" (inntak {span})"


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
        trial = f" med {pop.model_names[0].lower()}" if pop.model_names else ""
        title = f"Deltakerne i forsøket{trial}" + ("" if pop.is_all else f" – {pop.scope_label}")
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
    """Load a delivery and build every participant table for ``scope`` (``"alle"`` or a unit)
    of one ``model``'s trials.

    ``model`` may be left out when the delivery has participants of one model only.
    """
    config = DisclosureConfig(min_count=int(min_count), reproduce_published=reproduce_published)
    datasets = load_datasets(Path(data_dir))
    if not model:
        models = participant_models(datasets)
        if len(models) != 1:
            raise ValueError(
                "name the model whose trials the participant page is about (model=...): "
                f"the delivery has participants of {', '.join(models) or 'no model'}"
            )
        model = models[0]
    pop = build_population(datasets, scope, config=config, model=model)
    return ParticipantReport(pop, build_tables(pop))
