"""«Resultater over tid»: participants' outcomes over time, as protected tables and figures.

The outcome engine (:mod:`coopstats.outcomes`) gives each participant the time from intake to
each event of ``outcomes.yaml`` (trade certificate, work, full-time work, leaving benefits), the
first of competing causes (certificate or drop-out) and the state at fixed horizons after
intake and after an exit. This module turns those per-person results into variables of the
build's one protected participant system (:mod:`coopstats.publication`):

* ``forlop:<event>:<cut points>`` – the event's grouped time (:mod:`coopstats.survival`:
  quarters merged from intake until no model's interval or risk-set count is below the
  threshold, for example ``forlop:fagbrev:24-27-30-36``);
* ``konkurrerende:<outcome>:<cut points>`` – the competing outcome's grouped time and cause;
* ``tilstand:<anchor>:<h>`` – the state ``h`` months after the anchor, with
  ``ikke_fulgt_opp`` (the horizon lies after the delivery's end) and ``ikke_avsluttet`` (no
  exit date, for the exit anchor).

Every count behind a curve, a risk set or a state share is a cell of that system, protected
together with every other participant figure and audited like them. Pages build their tables
and figures with :func:`event_table`, :func:`survival_figure`, :func:`competing_table`,
:func:`state_table` and :func:`state_figure` for *groups* (a base cell – a model, or a
model's unit – and its name); notebooks call the page wrappers (:func:`for_unit`,
:func:`for_model`, :func:`forlop_table` …).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coopstats import outcomes, survival, tables
from coopstats.formatting import HIDDEN, NOT_AVAILABLE, fmt_interval, fmt_number, fmt_percent
from coopstats.publication import MISSING
from coopstats.sdc import MIME_TYPE, Item, make_key
from coopstats.style import series_style

__all__ = [
    "OutcomeSet",
    "ProtectedFigure",
    "competing_table",
    "event_table",
    "outcome_set",
    "plan_items",
    "plan_variables",
    "state_figure",
    "state_table",
    "survival_figure",
]

NOT_FOLLOWED = outcomes.NOT_FOLLOWED
NO_ANCHOR = outcomes.NO_ANCHOR


@dataclass(frozen=True)
class OutcomeSet:
    """The participants' outcomes of one delivery.

    ``frame`` is the engine's output indexed by ``person_id``; ``censor`` the earlier censor
    dates from the coverage manifest; ``missing`` the events (and competing outcomes) the
    delivery does not cover at all (shown as «..»), with the reason.
    """

    defs: Any
    frame: pd.DataFrame
    end_date: date
    censor: Mapping[str, date]
    missing: Mapping[str, str]
    #: Per event / competing outcome: the cut points (months) of its grouped time.
    cuts: dict[str, list[int]] = field(default_factory=dict)
    #: Per variable and level (``model``, ``unit``): intervals published (states: 1 or 0).
    shown: dict[str, dict[str, int]] = field(default_factory=dict)

    def event(self, event_id: str) -> Any:
        return next(e for e in self.defs.events if e.id == event_id)


def _censor_dates(
    datasets: Any, defs: Any, end_date: date
) -> tuple[dict[str, date], dict[str, str]]:
    """Per event: the last day the coverage manifest covers its kind and codes for every unit
    with participants, from the earliest intake on (``censor``), or why it is not delivered."""
    from coopstats.coverage import Coverage

    coverage = Coverage.from_datasets(datasets)
    frame = datasets.participants
    units = sorted(set(frame["unit_id"].dropna().astype(str)))
    first = frame["intake_date"].min()
    first = first.date() if pd.notna(first) else end_date
    censor: dict[str, date] = {}
    missing: dict[str, str] = {}
    for event in defs.events:
        last: date | None = end_date
        for unit in units:
            for code in event.codes or (None,):
                spans = coverage.spans(event.kind, code, unit)
                span = next(
                    (
                        s
                        for s in spans
                        if (s[0] is None or s[0] <= first) and (s[1] is None or s[1] >= first)
                    ),
                    None,
                )
                if span is None:
                    last = None
                    break
                if span[1] is not None and last is not None:
                    last = min(last, span[1])
            if last is None:
                break
        if last is None:
            what = event.kind + (f" ({', '.join(event.codes)})" if event.codes else "")
            missing[event.id] = f"Datagrunnlaget dekker ikke {what} fra inntak"
        elif last < end_date:
            censor[event.id] = last
    for comp in defs.competing:
        gone = [c.event for c in comp.causes if c.event in missing]
        if gone:
            missing[comp.id] = f"Datagrunnlaget dekker ikke {', '.join(gone)} fra inntak"
    return censor, missing


_SETS: dict[tuple, OutcomeSet] = {}


def outcome_set(datasets: Any, defs: Any = None) -> OutcomeSet:
    """The participants' outcomes of a delivery (cached per process by content)."""
    from coopstats.fylke import delivery_end

    defs = defs or outcomes.load_outcome_defs()
    frame = datasets.participants
    end = delivery_end(datasets)
    key = (
        end,  # the censoring date: the latest date of any file of the delivery
        int(pd.util.hash_pandas_object(frame, index=False).sum()),
        int(pd.util.hash_pandas_object(datasets.spells, index=False).sum()),
        None
        if datasets.coverage is None
        else int(pd.util.hash_pandas_object(datasets.coverage, index=False).sum()),
        defs.model_dump_json(),
    )
    cached = _SETS.get(key)
    if cached is not None:
        return cached
    censor, missing = _censor_dates(datasets, defs, end)
    persons = frame[["person_id", "intake_date", "exit_date"]].copy()
    persons["person_id"] = persons["person_id"].astype(str)
    spells = datasets.spells.copy()
    spells["person_id"] = spells["person_id"].astype(str)
    result = outcomes.compute_outcomes(persons, spells, defs, end, censor=censor)
    result.index = pd.Index(result["person_id"].astype(str), name="person_id")
    if len(_SETS) > 8:
        _SETS.clear()
    out = _SETS[key] = OutcomeSet(defs, result, end, censor, missing)
    return out


# --------------------------------------------------------------------------- plan variables


def _cut_text(cuts: Sequence[int]) -> str:
    return "-".join(str(c) for c in cuts) or "ingen"


def event_variable(event_id: str, cuts: Sequence[int]) -> str:
    """``forlop:<event>:<cut points in months>``."""
    return f"forlop:{event_id}:{_cut_text(cuts)}"


def competing_variable(outcome_id: str, cuts: Sequence[int]) -> str:
    """``konkurrerende:<outcome>:<cut points in months>``."""
    return f"konkurrerende:{outcome_id}:{_cut_text(cuts)}"


def state_variable(anchor: str, horizon: int) -> str:
    return f"tilstand:{anchor}:{horizon}"


def state_codes(defs: Any) -> list[str]:
    return [*(s.id for s in defs.states), defs.other_state.id, NOT_FOLLOWED, NO_ANCHOR]


def _passes(values: pd.Series, mask: np.ndarray, min_count: int) -> bool:
    """No category of the group has a count between 1 and ``min_count - 1``."""
    counts = values[mask].value_counts()
    return not any(survival.is_small(int(c), min_count) for c in counts)


def _groups(groups: pd.DataFrame) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Masks of each model's participants and of each model's unit's."""
    known = groups["model"] != MISSING
    models = sorted(set(groups.loc[known, "model"]))
    pairs = sorted(set(map(tuple, groups.loc[known, ["model", "unit"]].to_numpy())))
    return (
        [(groups["model"] == m).to_numpy() for m in models],
        [((groups["model"] == m) & (groups["unit"] == u)).to_numpy() for m, u in pairs],
    )


def _grouped(
    days: pd.Series,
    what: pd.Series,
    groups: pd.DataFrame,
    follow: int,
    min_count: int,
    causes: Sequence[str] | None,
) -> tuple[list[int], pd.Series, dict[str, int]]:
    """Cut points, per-person categories and intervals shown per level of one grouped-time
    variable. Cuts suit every model (:func:`coopstats.survival.choose_cuts`); units show the
    leading intervals every unit can (the same number for all, so no unit's count follows
    from the model's and the other units')."""
    models, units = _groups(groups)
    cuts = survival.choose_cuts(days, what, models, follow, min_count, causes=causes)
    if causes is None:
        values = survival.group_event(days, what, cuts)
    else:
        values = survival.group_competing(days, what, cuts)
    k_unit = min(
        (
            survival.prefix(values[m].value_counts(), int(m.sum()), len(cuts), causes, min_count)
            for m in units
        ),
        default=0,
    )
    return cuts, values, {"model": len(cuts), "unit": k_unit}


def plan_variables(
    oset: OutcomeSet, persons: pd.Series, groups: pd.DataFrame, min_count: int
) -> tuple[list[tuple[str, pd.Series, list[str]]], OutcomeSet]:
    """The outcome variables of the protected system: ``(name, values, codes)`` with values in
    the order of ``persons``, and the outcome set with the chosen cut points and what is shown.

    ``groups`` has the participants' ``model`` and ``unit`` (same order). Grouped times are
    published for the intervals of :func:`_grouped` (``oset.shown[var]`` = intervals per
    level: ``model``, ``unit``); states are published for the models (protection hides small
    shares) and for their units when no unit has a small count (``unit`` 1, else 0).
    """
    defs = oset.defs
    follow = defs.follow_up_months
    frame = oset.frame.reindex(persons.astype(str)).reset_index(drop=True)
    groups = groups.reset_index(drop=True)
    oset = replace(oset, cuts={}, shown={})
    out = []
    for event in defs.events:
        if event.id in oset.missing:
            continue
        days, hit = frame[f"event.{event.id}.days"], frame[f"event.{event.id}.event"]
        cuts, values, shown = _grouped(days, hit, groups, follow, min_count, None)
        var = event_variable(event.id, cuts)
        oset.cuts[event.id], oset.shown[var] = cuts, shown
        out.append((var, values, survival.event_codes(cuts)))
    for comp in defs.competing:
        if comp.id in oset.missing:
            continue
        causes = [c.id for c in comp.causes]
        days, cause = frame[f"competing.{comp.id}.days"], frame[f"competing.{comp.id}.cause"]
        cuts, values, shown = _grouped(days, cause, groups, follow, min_count, causes)
        var = competing_variable(comp.id, cuts)
        oset.cuts[comp.id], oset.shown[var] = cuts, shown
        out.append((var, values, survival.competing_codes(cuts, causes)))
    _, units = _groups(groups)
    for anchor in defs.anchors:
        for h in defs.horizons_months:
            values = frame[f"state.{anchor}.{h}"].astype(object)
            var = state_variable(anchor, h)
            unit_ok = all(_passes(values, m, min_count) for m in units)
            oset.shown[var] = {"model": 1, "unit": int(unit_ok)}
            out.append((var, values, state_codes(defs)))
    return out, oset


def shown_intervals(oset: OutcomeSet, var: str, base: Mapping[str, str]) -> int:
    """How many intervals (for a state variable: 1 = all, 0 = none) the build publishes of
    ``var`` for ``base`` (a model, or a model's unit)."""
    return oset.shown.get(var, {}).get("unit" if "unit" in base else "model", 0)


def _state_share(base: Mapping[str, str], var: str, code: str) -> Item:
    den = [
        (1, make_key(base)),
        (-1, make_key({**base, var: NOT_FOLLOWED})),
        (-1, make_key({**base, var: NO_ANCHOR})),
    ]
    return Item(make_key({**base, var: code}), "share", tuple(den))


def plan_items(oset: OutcomeSet, bases: Sequence[Mapping[str, str]]) -> list[Item]:
    """Everything the result pages may show for each base cell (:func:`shown_intervals`):
    the leading intervals' event and censoring counts with the not-at-risk count, and every
    state count and share."""
    defs = oset.defs
    items: list[Item] = []
    for base in bases:
        for event in defs.events:
            if event.id in oset.missing:
                continue
            var = event_variable(event.id, oset.cuts[event.id])
            items += [Item(make_key({**base, var: c})) for c in interval_codes(oset, var, base)]
        for comp in defs.competing:
            if comp.id in oset.missing:
                continue
            var = competing_variable(comp.id, oset.cuts[comp.id])
            items += [Item(make_key({**base, var: c})) for c in interval_codes(oset, var, base)]
        for anchor in defs.anchors:
            for h in defs.horizons_months:
                var = state_variable(anchor, h)
                if not shown_intervals(oset, var, base):
                    continue
                for code in state_codes(defs):
                    items.append(Item(make_key({**base, var: code})))
                for s in [*defs.states, defs.other_state]:
                    items.append(_state_share(base, var, s.id))
    return items


def interval_codes(oset: OutcomeSet, var: str, base: Mapping[str, str]) -> list[str]:
    """The codes of a grouped-time variable published for ``base``."""
    k = shown_intervals(oset, var, base)
    if not k:
        return []
    outcome = var.split(":")[1]
    comp = next((c for c in oset.defs.competing if c.id == outcome), None)
    if var.startswith("konkurrerende:") and comp is not None:
        events = [f"h{i}:{c.id}" for i in range(k) for c in comp.causes]
        return [*events, *(f"s{i}" for i in range(k))]
    return [*(f"h{i}" for i in range(k)), *(f"s{i}" for i in range(k)), survival.NOT_AT_RISK]


# --------------------------------------------------------------------------- pages


class ProtectedFigure:
    """A matplotlib figure shown as a PNG, with the disclosure metadata of the counts it
    rests on (read by the audit like a table's)."""

    def __init__(self, figure: Figure, disclosure: dict | list | None, alt: str = "") -> None:
        self.figure = figure
        self.disclosure = disclosure
        self.alt = alt

    def _png(self) -> str:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", bbox_inches="tight")
        return base64.b64encode(buf.getvalue()).decode("ascii")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle: dict[str, Any] = {"image/png": self._png(), "text/plain": self.alt or "Figur"}
        if self.disclosure is not None:
            bundle[MIME_TYPE] = self.disclosure
        return bundle


def _counts(plan: Any, base: Mapping[str, str], var: str, codes: Sequence[str]):
    """Published counts of ``var``'s codes for ``base``: ``counts`` (0 when not published),
    ``hidden`` (True when hidden or not published) and the published items."""
    counts, hidden, items = {}, {}, []
    for code in codes:
        item = Item(make_key({**base, var: code}))
        if not plan.has(item):
            counts[code], hidden[code] = 0, True
            continue
        counts[code] = plan.value(item)
        hidden[code] = not plan.visible(item.cell)
        items.append((code, item))
    return counts, hidden, items


def _used(items: Sequence[tuple[str, Item]], k: int) -> list[Item]:
    """The items a curve of ``k`` intervals shows (its counts and the not-at-risk count)."""
    return [it for code, it in items if code == survival.NOT_AT_RISK or _interval_of(code) < k]


def _n(plan: Any, base: Mapping[str, str]) -> tuple[int, Item]:
    item = Item(make_key(dict(base)))
    return plan.value(item), item


#: A group a page shows: its base cell (a model, or a model's unit) and its reader name.
Group = tuple[Mapping[str, str], str]


def event_curves(
    plan: Any, oset: OutcomeSet, base: Mapping[str, str]
) -> dict[str, tuple[survival.Curve | None, list[Item]]]:
    """Kaplan–Meier curve (share with the event) per event of ``base``; ``None`` when the
    event is not delivered. Items: the counts the curve rests on (shown ones only)."""
    n, n_item = _n(plan, base)
    out: dict[str, tuple[survival.Curve | None, list[Item]]] = {}
    for event in oset.defs.events:
        if event.id in oset.missing:
            out[event.id] = (None, [])
            continue
        cuts = oset.cuts[event.id]
        var = event_variable(event.id, cuts)
        counts, hidden, items = _counts(plan, base, var, survival.event_codes(cuts))
        curve = survival.survival_curve(counts, hidden, n, cuts)
        used = [n_item, *_used(items, curve.shown)] if curve.shown else []
        out[event.id] = (curve, used)
    return out


def _percent(x: float) -> str:
    return fmt_percent(x, 0)


def _ci(low: float, high: float) -> str:
    """A 95 % interval, or «.» when it has no width (no event yet: log(−log) undefined)."""
    return "." if high - low <= 0 else fmt_interval(low, high)


def _few(who: str) -> str:
    return (
        f"Vises ikke for {who}: for få deltakere til å vise forløpet uten at enkeltpersoner "
        "kan kjennes igjen."
    )


def _multi(frame: pd.DataFrame, groups: Sequence[Group], who: list[str]) -> pd.DataFrame:
    """Add a leading «Gruppe» level when a page shows more than one group."""
    if len(groups) > 1:
        return frame.set_index(pd.Index(who, name="Gruppe"), append=True).reorder_levels(
            [-1, *range(frame.index.nlevels)]
        )
    return frame


def _names(groups: Sequence[Group]) -> str:
    return ", ".join(w for _, w in groups)


def _table(
    plan: Any,
    title: str,
    groups: Sequence[Group],
    frame: pd.DataFrame,
    notes: list[str],
    items: list[Item],
    stamp: str | None,
    population: str | None = None,
) -> tables.Table:
    """A results table of ``groups`` with its population, source and disclosure metadata."""
    return tables.Table(
        title=f"{title} – {_names(groups)}",
        frame=frame,
        population=population or f"Deltakere i {_names(groups)}",
        source=f"Registerdata; {plan.source}",
        notes=notes,
        stamp=stamp,
        disclosure=plan.metadata(items) if items else None,
    )


def _cut_note(plan: Any) -> str:
    return (
        f"Et forløp vises fram til første tidspunkt med et skjult tall ({HIDDEN}). "
        + tables.symbol_note(plan.config.min_count)
    )


def event_table(
    plan: Any, oset: OutcomeSet, groups: Sequence[Group], *, stamp: str | None = None
) -> tables.Table:
    """Kaplan–Meier table: per group, event and cut point, at risk, events, censored, the
    share with the event and its 95 % interval."""
    rows, items, who, extra = [], [], [], []
    cut = False
    for base, name in groups:
        curves = event_curves(plan, oset, base)
        n, n_item = _n(plan, base)
        items.append(n_item)
        for event in oset.defs.events:
            curve, used = curves[event.id]
            if curve is None:
                rows.append((event.label, "–", *[NOT_AVAILABLE] * 5))
                who.append(name)
                continue
            items += used
            if curve.frame.empty:
                rows.append((event.label, "–", *[HIDDEN] * 5))
                who.append(name)
                cut = True
                continue
            cut |= curve.cut
            for r in curve.frame.itertuples():
                rows.append(
                    (
                        event.label,
                        survival.months_text(int(r.month)),
                        fmt_number(int(r.at_risk)),
                        fmt_number(int(r.events)) if r.events else "-",
                        fmt_number(int(r.censored)) if r.censored else "-",
                        _percent(r.andel),
                        _ci(r.andel_low, r.andel_high),
                    )
                )
                who.append(name)
    columns = ["Utfall", "Tid etter inntak", "I risiko", "Hendelser", "Sensurert",
               "Andel med hendelsen", "95 % KI"]  # fmt: skip
    frame = _multi(pd.DataFrame(rows, columns=columns).set_index(columns[:2]), groups, who)
    notes = [
        "Andel med hendelsen = 1 minus Kaplan–Meier-estimatet. Tiden er gruppert i kvartaler, "
        "slått sammen der det trengs for personvernet; sensurerte regnes som i risiko ut "
        "intervallet. I risiko = deltakere i risiko ved starten av intervallet som slutter ved "
        "tidspunktet.",
        "Sensurert: datagrunnlaget slutter (leveransen eller registeruttrekket) før noe har "
        "skjedd. Personer uten oppfølging telles som sensurert, aldri som uten hendelse.",
        "95 % KI: punktvis konfidensintervall (Greenwood, log(−log)-skala); . = ingen hendelse "
        "ennå.",
        *extra,
    ]
    for event in oset.defs.events:
        if event.id in oset.missing:
            notes.append(f"{event.label}: {oset.missing[event.id]} (..).")
        elif event.id in oset.censor:
            d = oset.censor[event.id]
            notes.append(
                f"{event.label}: sensurert {d.day}.{d.month}.{d.year}, der registeruttrekket "
                "slutter."
            )
    if cut:
        notes.append(_cut_note(plan))
    end = oset.end_date
    return _table(
        plan,
        "Tid fra inntak til fagbrev, arbeid og overgang fra ytelse",
        groups,
        frame,
        notes,
        items,
        stamp,
        population=f"Deltakere i {_names(groups)}, fulgt til {end.day}.{end.month}.{end.year}",
    )


def _step(ax, months, values, low, high, style, label) -> None:
    xs = [0, *months]
    ax.step(xs, [0.0, *values], where="post", color=style["color"], label=label, linewidth=2)
    if len(months):
        ax.fill_between(
            xs, [0.0, *low], [0.0, *high], step="post", color=style["color"], alpha=0.15
        )


def survival_figure(plan: Any, oset: OutcomeSet, groups: Sequence[Group]) -> ProtectedFigure:
    """Step curves of the share with each event since intake, with 95 % bands: one panel
    per group."""
    fig, axes = plt.subplots(
        1, len(groups), figsize=(7 if len(groups) == 1 else 4 * len(groups), 3.6), squeeze=False
    )
    items: list[Item] = []
    for ax, (base, name) in zip(axes[0], groups, strict=True):
        curves = event_curves(plan, oset, base)
        drawn = 0
        for i, event in enumerate(oset.defs.events):
            curve, used = curves[event.id]
            if curve is None or curve.frame.empty:
                continue
            items += used
            f = curve.frame
            _step(
                ax, list(f["month"]), list(f["andel"]), list(f["andel_low"]),
                list(f["andel_high"]), series_style(i), event.label,
            )  # fmt: skip
            drawn += 1
        _finish_axes(ax, oset, drawn, name)
        if len(groups) > 1:
            ax.set_title(name)
    axes[0][0].set_ylabel("Andel med hendelsen")
    plt.close(fig)
    alt = (
        f"Trappekurver for {_names(groups)}: andelen som har fått fagbrev, arbeid og "
        "heltidsarbeid og som er kommet ut av ytelse, etter måneder siden inntak, med "
        "skraverte 95 % konfidensbånd. Tallene står i tabellen over."
    )
    return ProtectedFigure(fig, plan.metadata(items) if items else None, alt)


def _finish_axes(ax, oset: OutcomeSet, drawn: int, who: str) -> None:
    follow = oset.defs.follow_up_months
    ax.set_xlim(0, follow)
    ax.set_ylim(0, 1)
    ax.set_xticks(range(0, follow + 1, 6))
    ax.set_xlabel("Måneder etter inntak")
    ax.yaxis.set_major_formatter(lambda y, _: fmt_percent(y, 0))
    ax.grid(True, axis="y")
    if drawn:
        ax.legend(frameon=False, loc="upper left")
    else:
        ax.text(follow / 2, 0.5, f"For få deltakere i\n{who}", ha="center", va="center")


def competing_table(
    plan: Any, oset: OutcomeSet, groups: Sequence[Group], *, stamp: str | None = None
) -> tables.Table:
    """Cumulative incidence of each competing cause (Aalen–Johansen) per cut point."""
    rows, items, notes, who = [], [], [], []
    cols = ["Tid etter inntak", "I risiko"]
    cut = False
    for comp in oset.defs.competing:
        causes = [c.id for c in comp.causes]
        labels = {c.id: c.label for c in comp.causes}
        cols = ["Tid etter inntak", "I risiko", *(f"{labels[c]}, andel (95 % KI)" for c in causes)]
        if comp.id in oset.missing:
            notes.append(f"{comp.label}: {oset.missing[comp.id]} (..).")
            continue
        cuts = oset.cuts[comp.id]
        var = competing_variable(comp.id, cuts)
        codes = survival.competing_codes(cuts, causes)
        for base, name in groups:
            n, n_item = _n(plan, base)
            counts, hidden, its = _counts(plan, base, var, codes)
            curve = survival.incidence_curve(counts, hidden, n, cuts, causes)
            if curve.frame.empty:
                rows.append(["–", HIDDEN, *[HIDDEN] * len(causes)])
                who.append(name)
                cut = True
                continue
            cut |= curve.cut
            items += [n_item, *_used(its, curve.shown)]
            for r in curve.frame.to_dict("records"):
                rows.append(
                    [survival.months_text(int(r["month"])), fmt_number(int(r["at_risk"]))]
                    + [f"{_percent(r[c])} ({_ci(r[c + '_low'], r[c + '_high'])})" for c in causes]
                )
                who.append(name)
    frame = _multi(pd.DataFrame(rows, columns=cols).set_index(cols[0]), groups, who)
    notes = [
        "Kumulativ insidens (Aalen–Johansen): andelen som har fått fagbrev eller har avbrutt "
        "opplæringen innen tidspunktet; det som skjer først, teller. Sensurerte regnes som i "
        "risiko ut intervallet. 95 % KI: punktvis; . = ingen hendelse ennå.",
        *notes,
    ]
    if cut:
        notes.append(_cut_note(plan))
    return _table(
        plan, "Fagbrev eller avbrudd, det som kommer først", groups, frame, notes, items, stamp
    )


def _interval_of(code: str) -> int:
    if code[:1] in "hs" and code[1:2].isdigit():
        return int(code[1:].split(":")[0])
    return 10**9


def state_table(
    plan: Any, oset: OutcomeSet, groups: Sequence[Group], *, stamp: str | None = None
) -> tables.Table:
    """State shares at each horizon after intake and after an exit (of those followed)."""
    defs = oset.defs
    states = [*defs.states, defs.other_state]
    rows, items, who, few = [], [], [], []
    for base, name in groups:
        n, n_item = _n(plan, base)
        for anchor, spec in defs.anchors.items():
            for h in defs.horizons_months:
                var = state_variable(anchor, h)
                if not shown_intervals(oset, var, base):
                    if name not in few:
                        few.append(name)
                    continue
                nf = Item(make_key({**base, var: NOT_FOLLOWED}))
                na = Item(make_key({**base, var: NO_ANCHOR}))
                items += [n_item, nf, na]
                followed = n - plan.value(nf) - plan.value(na)
                if plan.visible(nf.cell, na.cell):
                    n_text = fmt_number(followed) if followed else "-"
                else:
                    n_text = HIDDEN
                row = [f"{survival.months_text(h)} {spec.label}", n_text]
                for s in states:
                    share = _state_share(base, var, s.id)
                    items.append(share)
                    row.append(plan.text(share) if followed else ".")
                rows.append(row)
                who.append(name)
    frame = pd.DataFrame(rows, columns=["Tidspunkt", "Fulgt opp", *(s.label for s in states)])
    frame = _multi(frame.set_index("Tidspunkt"), groups, who)
    order = ", ".join(s.label.lower() for s in defs.states)
    notes = [
        "Prosent av dem som er fulgt opp til tidspunktet (det ligger før leveransens "
        "sluttdato). Tidspunkt etter avslutning gjelder deltakere med sluttdato.",
        f"Én tilstand per person og dag, i denne rekkefølgen: {order}; ellers "
        f"«{defs.other_state.label.lower()}».",
        ". = ingen fulgt opp til tidspunktet.",
        *(_few(name) for name in few),
    ]
    if any(HIDDEN in str(v) for v in frame.to_numpy().ravel()):
        notes.append(tables.symbol_note(plan.config.min_count, secondary=True))
    return _table(
        plan, "Tilstand etter inntak og etter avslutning", groups, frame, notes, items, stamp
    )


def state_figure(plan: Any, oset: OutcomeSet, groups: Sequence[Group]) -> ProtectedFigure:
    """Stacked areas of the state shares at each horizon after intake, one panel per group.

    Hidden shares (``:``) are drawn together as one grey «skjult» band: their sum is what the
    visible shares leave of 100 %, which the table gives away anyway.
    """
    defs = oset.defs
    states = [*defs.states, defs.other_state]
    anchor = next(iter(defs.anchors))
    fig, axes = plt.subplots(
        1, len(groups), figsize=(7 if len(groups) == 1 else 4 * len(groups), 3.4), squeeze=False
    )
    items: list[Item] = []
    for ax, (base, name) in zip(axes[0], groups, strict=True):
        points, shares = [], []
        for h in defs.horizons_months:
            var = state_variable(anchor, h)
            if not shown_intervals(oset, var, base):
                continue
            its = [_state_share(base, var, s.id) for s in states]
            facts = [plan.fact(it) for it in its]
            if any(f.shown == "undefined" for f in facts):
                continue  # nobody followed this far
            values = [f.value / 100 if f.shown == "share" else 0.0 for f in facts]
            points.append(h)
            shares.append([*values, max(0.0, 1 - sum(values))])
            items += its
        if len(points) >= 2:
            labels = [s.label for s in states] + [f"Skjult ({HIDDEN})"]
            colours = [series_style(i)["color"] for i in range(len(states))] + ["#BBBBBB"]
            polys = ax.stackplot(
                points, *zip(*shares, strict=True), labels=labels, colors=colours, alpha=0.9
            )
            for i, poly in enumerate(polys):  # colour is never the only cue
                poly.set_hatch(series_style(i)["hatch"] if i < len(states) else "xx")
                poly.set_edgecolor("white")
            ax.set_xticks(points)
            ax.set_xlim(points[0], points[-1])
            ax.set_ylim(0, 1)
            ax.set_xlabel("Måneder etter inntak")
            ax.yaxis.set_major_formatter(lambda y, _: fmt_percent(y, 0))
            ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"For få tidspunkt å vise for\n{name}",
                    ha="center", va="center", transform=ax.transAxes)  # fmt: skip
        if len(groups) > 1:
            ax.set_title(name)
    plt.close(fig)
    alt = (
        f"Stablede flater for {_names(groups)}: andelen i arbeid, i utdanning, på tiltak, med "
        "ytelse og annet ved hvert tidspunkt etter inntak; skjulte andeler er samlet i et grått "
        "felt. Tallene står i tabellen over."
    )
    return ProtectedFigure(fig, plan.metadata(items) if items else None, alt)


# --------------------------------------------------------------------------- page helpers


def no_data_table(what: str, who: str, source: str) -> tables.Table:
    """A one-cell table for a page without participants (the labelled output still exists)."""
    return tables.Table(
        title=f"{what} – {who}",
        frame=pd.DataFrame({"Merknad": [f"Ingen deltakerdata for {who} i datagrunnlaget."]}),
        source=source,
    )


def unit_groups(plan: Any, unit: str, registry: Any) -> list[Group]:
    """The groups of a unit page: the unit's participants in each model it has them in."""
    if plan is None or plan.outcomes is None or unit not in plan.system.codes.get("unit", []):
        return []
    out = []
    for model in plan.system.codes["model"]:
        item = Item(make_key({"model": model, "unit": unit}))
        if model in registry.models and plan.value(item) > 0:
            name = f"{registry.models[model].name} i {registry.units[unit].name}"
            out.append(({"model": model, "unit": unit}, name))
    return out


def model_groups(plan: Any, model: str, registry: Any) -> list[Group]:
    """The group of a model page: all the model's participants."""
    if plan is None or plan.outcomes is None or model not in plan.system.codes.get("model", []):
        return []
    return [({"model": model}, registry.models[model].name)]


@dataclass
class Results:
    """What a page's «Resultater over tid» section needs, loaded once per page."""

    plan: Any
    oset: OutcomeSet | None
    groups: list[Group]
    who: str
    datasets: Any
    registry: Any
    model: str | None = None
    stamp: str | None = None
    _comparison: Any = None

    @property
    def source(self) -> str:
        return f"Registerdata; {self.plan.source}"

    def comparison(self) -> Any:
        from coopstats import sammenligning

        if self._comparison is None and self.model is not None and self.oset is not None:
            self._comparison = (
                sammenligning.compare(self.datasets, self.oset, self.model, self.registry) or False
            )
        return self._comparison or None


def for_unit(page: Any) -> Results:
    """The results section of a unit page (:class:`coopstats.fylke.UnitPage`)."""
    from coopstats import publication

    plan = publication.plan_for(page.datasets, page.config)
    groups = unit_groups(plan, page.unit.id, page.registry)
    return Results(plan, plan.outcomes, groups, page.unit.name, page.datasets, page.registry,
                   stamp=page.config.stamp)  # fmt: skip


def for_model(page: Any) -> Results:
    """The results section of a model page (:class:`coopstats.modell.ModelPage`)."""
    from coopstats import publication

    plan = publication.plan_for(page.datasets, page.config)
    groups = model_groups(plan, page.model.id, page.registry)
    return Results(plan, plan.outcomes, groups, page.model.name, page.datasets, page.registry,
                   model=page.model.id, stamp=page.config.stamp)  # fmt: skip


def _empty(r: Results, what: str) -> tables.Table | None:
    if r.oset is None or not r.groups:
        return no_data_table(what, r.who, r.source)
    return None


def forlop_table(r: Results) -> tables.Table:
    """Kaplan–Meier table of the page's groups."""
    return _empty(r, "Tid fra inntak") or event_table(r.plan, r.oset, r.groups, stamp=r.stamp)


def forlop_figure(r: Results) -> ProtectedFigure | tables.Table:
    """Kaplan–Meier curves of the page's groups."""
    return _empty(r, "Tid fra inntak") or survival_figure(r.plan, r.oset, r.groups)


def konkurrerende_table(r: Results) -> tables.Table:
    """Cumulative incidence table of the page's groups."""
    empty = _empty(r, "Fagbrev eller avbrudd")
    return empty or competing_table(r.plan, r.oset, r.groups, stamp=r.stamp)


def tilstand_table(r: Results) -> tables.Table:
    """State table of the page's groups."""
    empty = _empty(r, "Tilstand etter inntak")
    return empty or state_table(r.plan, r.oset, r.groups, stamp=r.stamp)


def tilstand_figure(r: Results) -> ProtectedFigure | tables.Table:
    """Stacked state areas of the page's groups."""
    return _empty(r, "Tilstand etter inntak") or state_figure(r.plan, r.oset, r.groups)


def balanse_table(r: Results) -> tables.Table:
    """Balance before and after matching (model pages)."""
    from coopstats import sammenligning

    empty = _empty(r, "Balanse før og etter matching")
    return empty or sammenligning.balance_table(
        r.comparison(), r.groups, source=r.source, stamp=r.stamp
    )


def sammenligning_table(r: Results) -> tables.Table:
    """Participants against their matched comparison persons (model pages)."""
    from coopstats import sammenligning

    empty = _empty(r, "Deltakere og matchet sammenligningsgruppe")
    return empty or sammenligning.outcome_table(
        r.plan, r.oset, r.comparison(), r.groups, stamp=r.stamp
    )
