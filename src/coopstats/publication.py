"""Everything the build publishes about participants, protected as one system.

Every person-level figure of every page (participant tables 5.1–5.11 for all units and the
total, row-label Ns, missing-value and cleaning-rule notes, the unit pages' gender × age tables,
person-level indicators of every trial, dashboard value boxes) is an :class:`~coopstats.sdc.Item`
of one :class:`~coopstats.sdc.System`, the population ``deltakere``: all participants of the
delivery. :func:`load_plan` builds the system from the delivery, protects it once with
:func:`coopstats.sdc.protect` and caches the result per process, so every page of a build
shows the same protected figures, whatever page, breakdown or notebook shows them.

Variables (cell keys name them; docs/disclosure.md lists them):

* ``model``, ``unit``, ``trial`` – the participant's trial, its unit and its model (a trial's
  participants belong to its unit and model: the other unit × trial and model × trial cells
  are known zeros, published as such). Participant pages are about one model: their rows
  are ``{model, unit}`` cells and their total the ``{model}`` cell;
* a participant-table variable (``age_band``, ``education_completed``, …) with its codes and
  ``_mangler`` (no value);
* ``col:<column>=<value>`` – a yes/no participant column; ``spell:<kind>:<codes>:<from>:<to>`` –
  had a spell of that kind overlapping the window (the same variable wherever the definition
  is the same, so Tabell 5.7 and the indicator «i arbeid 2018–2023» share their cells);
* ``status`` – ``aktiv``/``avsluttet`` (exit date registered); ``regel:<id>`` – touched by a
  cleaning rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coopstats import sdc, windows
from coopstats.disclosure import DisclosureConfig
from coopstats.formatting import (
    HIDDEN,
    NIL,
    NOT_APPLICABLE,
    fmt_number,
    fmt_percent,
)
from coopstats.sdc import Fact, Item, Key, make_key

__all__ = [
    "MISSING",
    "POPULATION",
    "Plan",
    "build_plan",
    "count_item",
    "fact_text",
    "load_plan",
    "plan_for",
    "share_item",
    "spell_variable",
]

#: The population id of every participant figure.
POPULATION = "deltakere"
#: Code for "no value registered".
MISSING = "_mangler"
YES, NO = "ja", "nei"
#: Status codes (exit date registered or not).
ACTIVE, EXITED = "aktiv", "avsluttet"
#: Variables every table of the system is broken down by (a trial belongs to one model and
#: one unit).
SHARED = ("model", "unit", "trial")


def spell_variable(kind: str, codes: Sequence[str], window: windows.Window | None) -> str:
    """Variable name of "had a spell of ``kind`` (``codes``) overlapping ``window``"
    (a calendar window or one relative to each person; ``None`` = all time)."""
    text = windows.window_key(window) if window is not None else ":"
    return f"spell:{kind}:{','.join(sorted(codes))}:{text}"


def column_variable(column: str, value: object) -> str:
    """Variable name of "participant column ``column`` equals ``value``" (yes/no)."""
    return f"col:{column}={value}"


def count_item(**cell: object) -> Item:
    """A published count of the cell ``{variable: code}``."""
    return Item(make_key(cell))


def share_item(cell: Mapping[str, object], den: Iterable[tuple[int, Mapping[str, object]]]) -> Item:
    """A published whole-percent share of ``cell`` over ``sum(coef * den cell)``."""
    return Item(make_key(cell), "share", tuple((c, make_key(k)) for c, k in den))


def valid_share(base: Mapping[str, object], variable: str, code: str) -> Item:
    """Share of ``code`` among those of ``base`` with a value of ``variable`` (valid N)."""
    return share_item(
        {**base, variable: code}, [(1, dict(base)), (-1, {**base, variable: MISSING})]
    )


def fact_text(fact: Fact) -> str:
    """Display text of a fact: Norwegian number or percent, or an SSB symbol."""
    if fact.shown == "hidden":
        return HIDDEN
    if fact.shown == "nil":
        return NIL
    if fact.shown == "undefined":
        return NOT_APPLICABLE
    if fact.shown == "count":
        return fmt_number(int(fact.value))
    decimals = fact.item.decimals
    return fmt_percent(fact.value / 10 ** (decimals + 2), decimals)


class Canon:
    """One name for cells that hold the same persons by the delivery's structure.

    A unit whose participants all belong to one model: ``{unit: u}`` is ``{model: m, unit:
    u}``. A trial that is its unit's only trial of its model: ``{trial: t}`` is ``{model: m,
    unit: u}``. A delivery with one model: ``{}`` is ``{model: m}``. Pages ask for the cell
    that fits them (a unit page for its unit, a participant table for a model's unit row, an
    indicator for a trial); the plan files them under one key, so the same figure is one cell
    however many pages show it, and protection never has to hide a figure twice.
    """

    def __init__(self, micro: pd.DataFrame) -> None:
        known = micro[micro["model"] != MISSING]
        per_unit = known.groupby("unit")["model"].unique()
        self.unit_model = {u: str(ms[0]) for u, ms in per_unit.items() if len(ms) == 1}
        trials = known.groupby(["model", "unit"])["trial"].unique()
        self.trial_home = {
            str(ts[0]): (str(m), str(u)) for (m, u), ts in trials.items() if len(ts) == 1
        }
        models = set(micro["model"])
        self.only_model = (
            str(next(iter(models))) if len(models) == 1 and MISSING not in models else None
        )

    def key(self, key: Key) -> Key:
        cell = dict(key)
        trial = cell.get("trial")
        if trial in self.trial_home:
            model, unit = self.trial_home[trial]
            if cell.get("model", model) == model and cell.get("unit", unit) == unit:
                del cell["trial"]
                cell.update(model=model, unit=unit)
        unit = cell.get("unit")
        if unit in self.unit_model and "model" not in cell and "trial" not in cell:
            cell["model"] = self.unit_model[unit]
        if self.only_model and not {"model", "unit", "trial"} & set(cell):
            cell["model"] = self.only_model
        return make_key(cell)

    def item(self, item: Item) -> Item:
        return Item(
            self.key(item.cell),
            item.kind,
            tuple((c, self.key(k)) for c, k in item.den),
            item.decimals,
        )


@dataclass
class Plan:
    """The protected participant system of one delivery and one disclosure setting."""

    system: sdc.System
    hidden: set[Key]
    config: DisclosureConfig
    source: str = "datagrunnlaget"
    canon: Canon | None = None
    #: The participants' outcomes with the cut points chosen for this plan
    #: (:class:`coopstats.resultater.OutcomeSet`; ``None`` without participants).
    outcomes: Any = None
    _facts: dict[Item, Fact] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._facts = {
            f.item: f for f in sdc.facts_for(self.system.items, self.system.values, self.hidden)
        }

    def _item(self, item: Item) -> Item:
        return self.canon.item(item) if self.canon is not None else item

    def _key(self, key: Key) -> Key:
        return self.canon.key(key) if self.canon is not None else key

    def fact(self, item: Item) -> Fact:
        """What the build publishes for ``item`` (``KeyError`` if the plan does not have it)."""
        try:
            return self._facts[self._item(item)]
        except KeyError:
            raise KeyError(
                f"{sdc.key_text(item.cell)} is not in the publication plan "
                "(every person-level figure must be planned in coopstats.publication)"
            ) from None

    def has(self, item: Item) -> bool:
        """Whether the plan publishes ``item`` somewhere."""
        return self._item(item) in self._facts

    def text(self, item: Item) -> str:
        """Display text of a planned item."""
        return fact_text(self.fact(item))

    def visible(self, *cells: Key) -> bool:
        """True when none of ``cells`` is hidden."""
        keys = [self._key(c) for c in cells]
        return not any(k in self.hidden and self.system.values.get(k, 0) > 0 for k in keys)

    def value(self, item: Item) -> int:
        """True count of the item's cell (for computations that show only visible results)."""
        return self.system.values[self._key(item.cell)]

    def metadata(self, items: Iterable[Item], page: str = "") -> dict[str, Any]:
        """Disclosure metadata for the audit (what ``items`` show; never a hidden value)."""
        items = list(dict.fromkeys(self._item(it) for it in items))
        for it in items:
            self.fact(it)
        return sdc.metadata(
            self.system, self.hidden, items, page=page, min_count=self.config.min_count
        )


# --------------------------------------------------------------------------- building


def _band_codes(defs: Any, variable: str) -> list[str]:
    """Band codes of a derived ``bands`` variable of the participant-table definitions."""
    return [b.code for v in defs.variables if v.id == variable for b in v.bands]


def band_labels(defs: Any, variable: str) -> dict[str, str]:
    """Reader labels of a variable's codes, as the participant tables print them."""
    return {
        c.code: c.label
        for spec in defs.tables
        for block in spec.blocks
        if block.variable == variable
        for c in block.categories
    }


def build_plan(
    datasets: Any,
    config: DisclosureConfig,
    registry: Any = None,
    *,
    defs: Any = None,
    rules: Sequence[Any] | None = None,
) -> Plan:
    """Build and protect the participant system of ``datasets`` (see the module docstring).

    ``defs`` and ``rules`` are the participant-table definitions and cleaning rules (default:
    the packaged ones); pages built with other definitions need a plan built with them.
    """
    from coopstats import indicators, participants
    from coopstats.registry import load_registry

    registry = registry or load_registry()
    defs = defs or participants.load_table_defs()
    pop = participants.build_population(
        datasets, config=config, registry=registry, defs=defs, rules=rules
    )
    frame = pop.frame.copy()
    persons = frame["person_id"].astype(str)
    micro = pd.DataFrame({"person_id": persons})
    codes: dict[str, list[str]] = {}

    unit_codes = [g.key for g in pop.groups if g.n > 0]
    micro["unit"] = frame["unit_id"].astype(str).to_numpy()
    codes["unit"] = unit_codes or ["_ingen"]
    micro["trial"] = frame["trial_id"].fillna(MISSING).astype(str).to_numpy()
    codes["trial"] = sorted(set(micro["trial"])) or [MISSING]
    # the trial's model: participant pages are about one model's trials (its units and total)
    model_of = {t.id: t.model for t in registry.trials.values()}
    micro["model"] = micro["trial"].map(lambda t: model_of.get(t, MISSING)).to_numpy()
    codes["model"] = sorted(set(micro["model"])) or [MISSING]

    def add_variable(name: str, values: pd.Series, known: Sequence[str]) -> None:
        """One categorical variable (first definition wins); no value is ``_mangler``."""
        if name in micro.columns:
            return
        series = values.astype("string").fillna(MISSING)
        bad = sorted(set(series) - set(known) - {MISSING})
        if bad:
            raise ValueError(f"{name}: values {bad} are not categories of the tables")
        micro[name] = series.to_numpy()
        codes[name] = [*known, MISSING] if MISSING not in known else list(known)

    def add_flag(name: str, flags: pd.Series) -> None:
        """One yes/no variable from booleans in the order of ``persons``."""
        values = pd.Series(flags.to_numpy(), dtype="boolean").map({True: YES, False: NO})
        add_variable(name, values, [YES, NO])

    # participant tables: their category variables and yes/no measures
    block_codes: dict[str, list[str]] = {}
    for spec in defs.tables:
        for block in spec.blocks:
            known = block_codes.setdefault(block.variable, [])
            known += [c.code for c in block.categories if c.code not in known]
        for measure in spec.all_measures():
            flags, _ = participants._measure_flags(pop, measure)
            add_flag(
                measure_variable(measure, defs, config.reproduce_published),
                flags.reindex(persons),
            )
    for var, known in block_codes.items():
        add_variable(var, frame[var], known)
    for rule in pop.cleaning.results:
        touched = set(rule.person_ids)
        add_flag(f"regel:{rule.rule.id}", persons.map(lambda p, t=touched: p in t))
    # the unit pages' summary: gender and age band
    add_variable("gender", frame["gender"], ["K", "M"])
    add_variable("age_band", frame["age_band"], _band_codes(defs, "age_band"))
    # person-level indicators of every trial with participants
    ind_defs = indicators.load_indicators()
    add_variable(
        "status", frame["exit_date"].notna().map({True: EXITED, False: ACTIVE}), [ACTIVE, EXITED]
    )
    for d in ind_defs.values():
        var = indicator_variable(d) if d.disclosure == "person" else None
        if var is not None and var not in micro.columns:
            have = indicators._with_spell(frame, datasets.spells, d.numerator, None)
            add_flag(var, persons.isin(set(have["person_id"].astype(str))))
    # results over time (coopstats.resultater): grouped times to events and states
    outcome_set = None
    if len(frame):
        from coopstats import resultater

        outcome_vars, outcome_set = resultater.plan_variables(
            resultater.outcome_set(datasets), persons, micro[["model", "unit"]], config.min_count
        )
        for name, values, known in outcome_vars:
            add_variable(name, pd.Series(values.to_numpy(), index=micro.index), known)
    # every variable is published per model, unit and trial (and so per model, per model and
    # unit, per unit, per trial and in total)
    tables = [("model", "unit", "trial", v) for v in codes if v not in SHARED]

    system = sdc.System.from_microdata(POPULATION, micro, codes, tables)

    # ---- items: what the pages show (per model: every unit row and the model's total row)
    items: list[Item] = []
    everyone: list[dict[str, str]] = []
    for model in codes["model"]:
        if model == MISSING:
            continue
        everyone.append({"model": model})
        mine = set(micro.loc[micro["model"] == model, "unit"])
        everyone += [{"model": model, "unit": u} for u in unit_codes if u in mine]
    for spec in defs.tables:
        for base in everyone:
            items.append(Item(make_key(base)))
            for block in spec.blocks:
                for c in block.categories:
                    if c.display:
                        items.append(valid_share(base, block.variable, c.code))
                items.append(Item(make_key({**base, block.variable: MISSING})))
            for m in spec.all_measures():
                var = measure_variable(m, defs, config.reproduce_published)
                items.append(valid_share(base, var, YES))
                if m.column is not None:
                    items.append(Item(make_key({**base, var: MISSING})))
    for rule in pop.cleaning.results:
        for base in everyone:
            items.append(Item(make_key({**base, f"regel:{rule.rule.id}": YES})))
    for u in unit_codes:
        items += summary_items(u, codes)
    for trial in sorted(set(micro["trial"]) - {MISSING}):
        t = registry.trials.get(trial)
        if t is None:
            continue
        for d in ind_defs.values():
            if d.disclosure == "person" and d.applies_to(t.model):
                items += indicator_items(d, trial)
    if outcome_set is not None:
        items += resultater.plan_items(outcome_set, everyone)
    # known zeros: a trial's participants are in its unit and its model
    for trial in codes["trial"]:
        t = registry.trials.get(trial)
        if t is None:
            continue
        for var, own in (("unit", t.unit), ("model", t.model)):
            for code in codes[var]:
                k = make_key({var: code, "trial": trial})
                if code != own and system.values.get(k, 0) == 0:
                    items.append(Item(k))
    canon = Canon(micro)
    system.add(canon.item(it) for it in items)
    if config.reproduce_published:
        hidden: set[Key] = set()
    else:
        try:
            hidden = sdc.protect(system, config.min_count, shared=SHARED)
        except RuntimeError:
            # no mend found: hide every published non-zero figure (always safe: only zeros
            # and ":" remain, and ":" is unbounded above)
            hidden = {k for k in system.published_cells() if system.values[k] > 0}
    return Plan(system, hidden, config, source=pop.source_note, canon=canon, outcomes=outcome_set)


def measure_variable(measure: Any, defs: Any, reproduce_published: bool = False) -> str:
    """The variable of a participant-table measure (its window as the build uses it)."""
    if measure.column is not None:
        return column_variable(measure.column, measure.value)
    crit = measure.spells
    window = defs.window(crit.window, reproduce_published)
    return spell_variable(crit.kind, crit.codes, window.spec())


def indicator_variable(d: Any) -> str | None:
    """The variable of a person-level indicator's numerator (``None``: the population itself)."""
    from coopstats.indicators import ParticipantSpec, SpellSpec

    num = d.numerator
    if isinstance(num, SpellSpec):
        return spell_variable(num.kind, num.codes, num.window)
    assert isinstance(num, ParticipantSpec)
    if num.filter:
        ((column, value),) = num.filter.items()
        return column
    if num.status == "all":
        return None
    return "status"


def indicator_key(d: Any, trial: str) -> tuple[Key, Key | None]:
    """(numerator cell, denominator cell) of a person-level indicator for ``trial``."""
    from coopstats.indicators import ParticipantSpec, SpellSpec

    base = {"trial": trial}
    num = d.numerator
    if isinstance(num, SpellSpec):
        cell = {**base, indicator_variable(d): YES}
    elif num.filter:
        ((column, value),) = num.filter.items()
        cell = {**base, column: value}
    elif num.status == "all":
        cell = base
    else:
        cell = {**base, "status": ACTIVE if num.status == "active" else EXITED}
    den = make_key(base) if isinstance(d.denominator, ParticipantSpec) else None
    return make_key(cell), den


def indicator_items(d: Any, trial: str) -> list[Item]:
    """Items a person-level indicator publishes for ``trial`` (the value and its N)."""
    num, den = indicator_key(d, trial)
    if d.kind == "count" or den is None:
        return [Item(num)]
    # the 95 % interval beside a share gives its numerator exactly: published as a count too
    return [Item(num, "share", ((1, den),)), Item(num), Item(den)]


def summary_items(unit: str, codes: Mapping[str, Sequence[str]]) -> list[Item]:
    """The unit page's participant summary: N, gender and age band (counts of the unit)."""
    out = [Item(make_key({"unit": unit}))]
    for var in ("gender", "age_band"):
        out += [Item(make_key({"unit": unit, var: c})) for c in codes[var]]
    return out


_PLANS: dict[tuple, Plan] = {}


def _fingerprint(frame: pd.DataFrame) -> tuple:
    return (frame.shape, tuple(frame.columns), int(pd.util.hash_pandas_object(frame).sum()))


def plan_for(
    datasets: Any, config: DisclosureConfig, *, defs: Any = None, rules: Sequence[Any] | None = None
) -> Plan:
    """The protected plan of a delivery, cached per process by the content of its person-level
    files, the definitions and the disclosure settings (every page gets the same plan)."""
    from coopstats import participants

    if defs is not None and defs == participants.load_table_defs():
        defs = None
    from coopstats.indicators import load_indicators
    from coopstats.outcomes import load_outcome_defs

    indicator_defs = tuple(d.model_dump_json() for d in load_indicators().values())
    key = (
        _fingerprint(datasets.participants),
        _fingerprint(datasets.spells),
        config.min_count,
        config.reproduce_published,
        None if defs is None else defs.model_dump_json(),
        None if rules is None else tuple(r.model_dump_json() for r in rules),
        indicator_defs,  # a new person-level indicator is a new variable of the system
        load_outcome_defs().model_dump_json(),
        None if datasets.coverage is None else _fingerprint(datasets.coverage),
    )
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 8:
            _PLANS.clear()
        plan = _PLANS[key] = build_plan(datasets, config, defs=defs, rules=rules)
        plan.source = f"datagrunnlag {Path(datasets.directory).name}"
    return plan


def load_plan(data_dir: str | Path, config: DisclosureConfig) -> Plan:
    """The protected plan of the delivery in ``data_dir``."""
    from coopstats.data import load_datasets

    return plan_for(load_datasets(Path(data_dir)), config)
