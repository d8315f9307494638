"""Building blocks of the per-model page (``notebooks/modell.ipynb``).

Each public display function takes a :class:`ModelPage` and returns one displayable output: a
:class:`~coopstats.tables.Table`, a matplotlib figure or a short Markdown text. The frames
behind them (:func:`fidelity_grades`, :func:`trial_frame`, :func:`timeline_frame`,
:func:`indicator_frame`) are public so that tests and :mod:`coopstats.learning` can use them.

Dates are shown with the precision the registry records for them: a trial that started
"høsten 2024" is never printed as 1 September 2024, and in the timeline an event known only to
the month is drawn as a span over that month, not as a point.
"""

from __future__ import annotations

import calendar
import difflib
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt  # noqa: F401  (activates the inline figure formatter in Jupyter)
import pandas as pd
from IPython.display import Markdown
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from coopstats import disclosure, publication, sources, tables
from coopstats.chains import draw_result_chain
from coopstats.data import Datasets, load_datasets
from coopstats.formatting import NOT_APPLICABLE, fmt_number
from coopstats.indicators import (
    IndicatorDef,
    compute_indicators,
    indicator_table_frame,
    load_indicators,
)
from coopstats.registry import (
    LEVEL_KEYS,
    LEVEL_LABELS,
    Model,
    Registry,
    RegistryError,
    Target,
    TimelineEvent,
    Trial,
    load_registry,
)
from coopstats.style import HATCHES, PALETTE, TEXT_COLOUR, apply_house_style

__all__ = [
    "GRADE_LABELS",
    "MONTHS_NB",
    "STATUS_NB",
    "ModelPage",
    "UnknownModelError",
    "chain_figure",
    "core_elements",
    "fidelity_figure",
    "fidelity_grades",
    "fidelity_table",
    "format_date_nb",
    "format_period",
    "heading",
    "indicator_frame",
    "indicator_table",
    "load_page",
    "precision_span",
    "resolve_model",
    "target_text",
    "timeline_figure",
    "timeline_frame",
    "trial_frame",
    "trial_label",
    "trials_table",
]

STATUS_NB: dict[str, str] = {
    "planned": "Planlagt",
    "running": "Pågår",
    "ended_ordinary_operation": "Avsluttet – videreført i ordinær drift",
    "terminated_early": "Avsluttet før tiden",
}
#: Grade (or ``None`` = not assessed) → Norwegian cell text.
GRADE_LABELS: dict[str | None, str] = {
    "none": "Ingen tilpasning",
    "minor": "Mindre tilpasning",
    "major": "Større tilpasning",
    None: "Ikke vurdert",
}
#: Fill, hatch and text colour per grade: colour and pattern together, never colour alone.
GRADE_STYLE: dict[str | None, tuple[str, str, str]] = {
    "none": (PALETTE[2], HATCHES[0], "white"),
    "minor": (PALETTE[1], HATCHES[1], TEXT_COLOUR),
    "major": (PALETTE[5], HATCHES[3], "white"),
    None: ("#FFFFFF", HATCHES[2], TEXT_COLOUR),
}
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "planned": (PALETTE[4], HATCHES[2]),
    "running": (PALETTE[0], HATCHES[0]),
    "ended_ordinary_operation": (PALETTE[2], HATCHES[1]),
    "terminated_early": (PALETTE[5], HATCHES[3]),
}
MONTHS_NB: tuple[str, ...] = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
#: First month of each season → Norwegian name (as in "høsten 2024").
SEASONS_NB: dict[int, str] = {3: "våren", 6: "sommeren", 9: "høsten", 12: "vinteren"}
PRECISION_NB: dict[str, str] = {
    "day": "Dato kjent",
    "month": "Måned kjent",
    "season": "Årstid kjent",
    "year": "Bare år kjent",
}
PRECISION_MARKER: dict[str, str] = {"day": "o", "month": "s", "season": "D", "year": "^"}


class UnknownModelError(RegistryError, LookupError):
    """A model name or alias does not resolve to any model."""


@dataclass
class ModelPage:
    """Everything one model page needs, loaded once."""

    model: Model
    trials: list[Trial]
    registry: Registry
    datasets: Datasets
    defs: dict[str, IndicatorDef]
    indicators: pd.DataFrame
    config: disclosure.DisclosureConfig


# --------------------------------------------------------------------------- loading


def _norm(text: str) -> str:
    return " ".join(str(text).casefold().split())


def resolve_model(registry: Registry, name_or_alias: str) -> Model:
    """Return the model whose id, name or alias matches (case-insensitive).

    Raises
    ------
    UnknownModelError
        If nothing matches; the message suggests close names.
    """
    lookup: dict[str, str] = {}
    for model in registry.models.values():
        for key in (model.id, model.name, *model.aliases):
            lookup.setdefault(_norm(key), model.id)
    key = _norm(name_or_alias)
    if key in lookup:
        return registry.models[lookup[key]]
    close = difflib.get_close_matches(key, list(lookup), n=3, cutoff=0.6)
    hint = f" Mente du: {', '.join(close)}?" if close else ""
    known = ", ".join(registry.models)
    raise UnknownModelError(f"Ukjent modell {name_or_alias!r} (kjente: {known}).{hint}")


def _model_trials(registry: Registry, model_id: str) -> list[Trial]:
    found = [t for t in registry.trials.values() if t.model == model_id]
    return sorted(found, key=lambda t: (t.period_start or date.min, t.id))


def load_page(
    model: str,
    data_dir: str | Path,
    *,
    min_count: int = 5,
    reproduce_published: bool = False,
) -> ModelPage:
    """Load registry, data and indicators for one model (id, name or alias)."""
    apply_house_style()
    registry = load_registry()
    resolved = resolve_model(registry, model)
    datasets = load_datasets(Path(data_dir))
    defs = load_indicators()
    values = compute_indicators(defs, datasets, registry, model=resolved.id)
    config = disclosure.DisclosureConfig(
        min_count=min_count, reproduce_published=reproduce_published
    )
    trials = _model_trials(registry, resolved.id)
    return ModelPage(resolved, trials, registry, datasets, defs, values, config)


# --------------------------------------------------------------------------- dates


def _season_start(day: date) -> date:
    """First day of the meteorological season holding ``day`` (winter starts in December)."""
    if day.month in (1, 2):
        return date(day.year - 1, 12, 1)
    return date(day.year, day.month - (day.month % 3), 1)


def precision_span(day: date, precision: str) -> tuple[date, date]:
    """First and last day of the period a date with ``precision`` stands for."""
    if precision == "day":
        return day, day
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    if precision == "season":
        start = _season_start(day)
        month = start.month + 3
        year = start.year + (month - 1) // 12
        nxt = date(year, (month - 1) % 12 + 1, 1)
        return start, nxt - timedelta(days=1)
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"unknown date precision {precision!r}")


def format_date_nb(day: date | None, precision: str = "day") -> str:
    """Norwegian date text with only as much detail as ``precision`` allows.

    >>> format_date_nb(date(2024, 9, 1), "season")
    'høsten 2024'
    """
    if day is None:
        return "ukjent"
    if precision == "day":
        return f"{day.day}. {MONTHS_NB[day.month - 1]} {day.year}"
    if precision == "month":
        return f"{MONTHS_NB[day.month - 1]} {day.year}"
    if precision == "season":
        start = _season_start(day)
        year = f"{start.year}/{start.year + 1}" if start.month == 12 else str(start.year)
        return f"{SEASONS_NB[start.month]} {year}"
    if precision == "year":
        return str(day.year)
    raise ValueError(f"unknown date precision {precision!r}")


def format_period(trial: Trial) -> str:
    """The trial's period with the recorded precision, and the planned end when it differs."""
    prec = trial.period_precision
    start = format_date_nb(trial.period_start, prec.start)
    end = format_date_nb(trial.period_end, prec.end) if trial.period_end else "…"
    text = start if start == end else f"{start} – {end}"
    if trial.planned_period_end and trial.planned_period_end != trial.period_end:
        # the registry records no precision for planned ends: show the year only
        text += f" (planlagt til {format_date_nb(trial.planned_period_end, 'year')})"
    return text


# --------------------------------------------------------------------------- labels


def trial_label(registry: Registry, trial: Trial) -> str:
    """Column label of a trial: the unit's name (plus the variant when a unit has several)."""
    name = registry.units[trial.unit].name
    others = [
        t for t in registry.trials.values() if t.model == trial.model and t.unit == trial.unit
    ]
    if len(others) > 1:
        return f"{name} ({trial.variant or trial.id})"
    return name


def _element_labels(model: Model) -> list[str]:
    return [f"K{i}" for i in range(1, len(model.core_elements) + 1)]


def target_text(target: Target, defs: dict[str, IndicatorDef] | None = None) -> str:
    """One target as Norwegian text: what, how much (with ca./range), per what."""
    what = target.description
    if not what and target.indicator and defs and target.indicator in defs:
        what = defs[target.indicator].label_nb
    what = what or (target.indicator or "Mål")
    if target.qualifier == "exact":
        amount = fmt_number(target.value)
    elif target.qualifier == "approximate":
        amount = f"ca. {fmt_number(target.value)}"
    elif target.qualifier == "range":
        amount = f"{fmt_number(target.low)}–{fmt_number(target.high)}"
    else:
        amount = "ikke tallfestet"
    per = f" per {target.per}" if target.per else ""
    return f"{what}: {amount}{per}"


# --------------------------------------------------------------------------- heading, chain


def heading(page: ModelPage) -> Markdown:
    """Level-1 heading with the model's name, mother county and number of trials."""
    model = page.model
    mother = (
        page.registry.units[model.mother_unit].name
        if model.mother_unit
        else "ingen (se merknad om moderfylke)"
    )
    n = len(page.trials)
    units = sorted({page.registry.units[t.unit].name for t in page.trials})
    where = f" i {_join_nb(units)}" if units else ""
    lead = f"Modellen prøves ut i {n} forsøk{where}." if n else "Modellen har ingen forsøk."
    note = f"\n\n{model.mother_unit_note}" if model.mother_unit_note else ""
    return Markdown(f"# {model.name}\n\nModerfylke: {mother}. {lead}{note}")


def _join_nb(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def chain_figure(page: ModelPage) -> Figure:
    """The model's result chain, left to right, with assumptions and preconditions."""
    return draw_result_chain(page.model.result_chain, title=page.model.name)


def core_elements(page: ModelPage) -> tables.Table:
    """The model's core elements, numbered K1…Kn, with their source."""
    rows = []
    for label, element in zip(_element_labels(page.model), page.model.core_elements, strict=True):
        src = element.provenance
        rows.append(
            {"Nr.": label, "Kjerneelement": element.text, "Kilde": sources.cite_provenance(src)}
        )
    frame = pd.DataFrame(rows, columns=["Nr.", "Kjerneelement", "Kilde"]).set_index("Nr.")
    used = [e.provenance.source for e in page.model.core_elements]
    return tables.Table(
        title=f"Kjerneelementer i {page.model.name}",
        frame=frame,
        population="Modellen slik den er beskrevet av moderfylket eller oppdragsgiver",
        source="Modellbeskrivelsene i evalueringens rapporter, samlet i prosjektets modellregister",
        notes=[
            "Kilde = dokumentet og avsnittet som beskriver kjerneelementet.",
            *sources.reference_list(used),
        ],
        provenance=[e.provenance for e in page.model.core_elements],
    )


# --------------------------------------------------------------------------- trials side by side


def trial_frame(
    model: Model,
    trials: list[Trial],
    registry: Registry,
    defs: dict[str, IndicatorDef] | None = None,
) -> pd.DataFrame:
    """Attributes (rows) × trials (columns), all str: the trials side by side."""
    variants = {v.id: v.name for v in model.variants}
    columns: dict[str, list[str]] = {}
    for trial in trials:
        if model.mother_unit is None:
            mother = NOT_APPLICABLE
        else:
            mother = "Ja" if trial.unit == model.mother_unit else "Nei"
        targets = "; ".join(target_text(t, defs) for t in trial.targets) or "Ingen måltall"
        columns[trial_label(registry, trial)] = [
            registry.units[trial.unit].name,
            format_period(trial),
            STATUS_NB.get(trial.status, trial.status),
            mother,
            variants.get(trial.variant, trial.variant) if trial.variant else "Ingen egen variant",
            targets,
        ]
    index = pd.Index(
        ["Fylke (Nav-enhet)", "Periode", "Status", "Moderfylke", "Variant", "Måltall"],
        name="Forsøk",
    )
    return pd.DataFrame(columns, index=index, dtype=object)


def trials_table(page: ModelPage) -> tables.Table | Markdown:
    """Each trial of the model side by side: county, period, status, mother county, targets."""
    if not page.trials:
        return Markdown("Modellen har ingen forsøk i registeret.")
    model = page.model
    frame = trial_frame(model, page.trials, page.registry, page.defs)
    if model.mother_unit:
        mother = page.registry.units[model.mother_unit].name
        notes = [f"Moderfylke = fylket som utviklet modellen ({mother})."]
    else:
        notes = [f". = ikke relevant: {model.mother_unit_note or 'modellen har ikke moderfylke.'}"]
    notes.append("Datoer vises bare så presist som de er kjent (år, årstid, måned eller dag).")
    return tables.Table(
        title=f"Forsøkene med {model.name} side om side",
        frame=frame,
        population=f"Alle forsøk med modellen, N = {fmt_number(len(page.trials))}",
        source="Prosjektets forsøksregister, bygd på evalueringens rapporter",
        notes=notes,
    )


# --------------------------------------------------------------------------- fidelity


def fidelity_grades(model: Model, trials: list[Trial], registry: Registry) -> pd.DataFrame:
    """Grade per core element (rows, in model order) and trial (columns, trial labels).

    Cells hold ``"none"``, ``"minor"``, ``"major"`` or ``None`` (not assessed). The index is the
    core element id; ``attrs["labels"]`` maps ids to K1…Kn.
    """
    ids = [c.id for c in model.core_elements]
    data: dict[str, list[str | None]] = {}
    for trial in trials:
        graded = {a.core_element: a.grade for a in trial.adaptations}
        data[trial_label(registry, trial)] = [graded.get(i) for i in ids]
    frame = pd.DataFrame(data, index=pd.Index(ids, name="core_element"), dtype=object)
    frame.attrs["labels"] = dict(zip(ids, _element_labels(model), strict=True))
    return frame


def fidelity_table(page: ModelPage) -> tables.Table | Markdown:
    """Fidelity matrix: core element × county, graded none/minor/major or not assessed."""
    if not page.trials:
        return Markdown("Modellen har ingen forsøk i registeret.")
    grades = fidelity_grades(page.model, page.trials, page.registry)
    shown = grades.map(lambda g: GRADE_LABELS[g])
    texts = {c.id: c.text for c in page.model.core_elements}
    labels = grades.attrs["labels"]
    # Number and core element in their own named columns (row headers), not run together.
    shown.index = pd.MultiIndex.from_tuples(
        [(labels[i], _short(texts[i], 90)) for i in grades.index], names=["Nr.", "Kjerneelement"]
    )
    return tables.Table(
        title=f"Trofasthet mot kjerneelementene i {page.model.name}",
        frame=shown,
        population="Alle forsøk med modellen",
        source="Evaluatorenes gradering, samlet i prosjektets forsøksregister",
        notes=[
            "Mindre tilpasning = elementet er beholdt med lokale justeringer; større tilpasning = "
            "elementet er byttet ut eller endret vesentlig.",
            "Ikke vurdert = statusrapporten omtaler ikke elementet for dette forsøket.",
        ],
    )


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _message_figure(text: str) -> Figure:
    fig = Figure(figsize=(7, 1.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig


def fidelity_figure(page: ModelPage) -> Figure:
    """Grid of core elements × counties; each cell has colour, pattern and the grade in words."""
    apply_house_style()
    if not page.trials:
        return _message_figure("Modellen har ingen forsøk i registeret.")
    grades = fidelity_grades(page.model, page.trials, page.registry)
    n_rows, n_cols = grades.shape
    texts = {c.id: c.text for c in page.model.core_elements}
    labels = grades.attrs["labels"]
    row_labels = [
        f"{labels[i]} " + textwrap.fill(_short(texts[i], 80), 38, subsequent_indent="     ")
        for i in grades.index
    ]
    height = max(2.0, 0.75 * n_rows + 1.6)
    fig = Figure(figsize=(max(7.5, 3.2 + 1.9 * n_cols), height))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for r, element in enumerate(grades.index):
        for c, column in enumerate(grades.columns):
            grade = grades.loc[element, column]
            fill, hatch, colour = GRADE_STYLE[grade]
            ax.add_patch(
                Rectangle(
                    (c, r),
                    1,
                    1,
                    facecolor=fill,
                    hatch=hatch,
                    edgecolor="#666666",
                    linewidth=0.8,
                    gid=f"cell-{element}-{c}",
                )
            )
            ax.text(
                c + 0.5,
                r + 0.5,
                GRADE_LABELS[grade].replace(" ", "\n"),
                ha="center",
                va="center",
                fontsize=8.5,
                color=colour,
                fontweight="bold",
                bbox={"facecolor": fill, "edgecolor": "none", "pad": 1.5, "alpha": 0.9},
            )
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_xticks([c + 0.5 for c in range(n_cols)])
    ax.set_xticklabels([textwrap.fill(c, 16) for c in grades.columns], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(n_rows)])
    ax.set_yticklabels(row_labels, fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [
        Patch(facecolor=GRADE_STYLE[g][0], hatch=GRADE_STYLE[g][1], edgecolor="#666666", label=t)
        for g, t in GRADE_LABELS.items()
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=2 if n_cols < 3 else 4,
        frameon=False,
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))
    fig.suptitle(
        f"Trofasthet mot kjerneelementene – {page.model.name}", x=0.02, ha="left", fontsize=11
    )
    return fig


# --------------------------------------------------------------------------- timeline


def timeline_frame(trials: list[Trial], registry: Registry) -> pd.DataFrame:
    """Dated events of the trials, sorted, with the span each event's precision allows.

    Columns: trial_id, label (trial label), event, date, precision, span_start, span_end,
    text (the date in Norwegian at its precision).
    """
    rows = []
    for trial in trials:
        events: list[TimelineEvent] = sorted(trial.events, key=lambda e: (e.date, e.label))
        for event in events:
            start, end = precision_span(event.date, event.precision)
            rows.append(
                {
                    "trial_id": trial.id,
                    "label": trial_label(registry, trial),
                    "event": event.label,
                    "date": event.date,
                    "precision": event.precision,
                    "span_start": start,
                    "span_end": end,
                    "text": format_date_nb(event.date, event.precision),
                }
            )
    columns = [
        "trial_id",
        "label",
        "event",
        "date",
        "precision",
        "span_start",
        "span_end",
        "text",
    ]
    return pd.DataFrame(rows, columns=columns)


def _num(day: date) -> float:
    return float(mdates.date2num(day))


_ROW = 1.5  # distance between trial rows in data units
_PAD_DAYS = 25  # horizontal room kept free around an event's number label


def _event_levels(events: pd.DataFrame, trial_ids: list[str]) -> list[int]:
    """Stack level per event so that overlapping event spans of one trial do not collide."""
    taken: dict[str, list[list[tuple[float, float]]]] = {t: [] for t in trial_ids}
    levels = []
    for _, row in events.iterrows():
        lo = _num(row["span_start"]) - _PAD_DAYS
        hi = _num(row["span_end"]) + _PAD_DAYS
        rows = taken[row["trial_id"]]
        level = 0
        while level < len(rows) and any(lo < b and a < hi for a, b in rows[level]):
            level += 1
        if level == len(rows):
            rows.append([])
        rows[level].append((lo, hi))
        levels.append(level)
    return levels


def _status_handles(trials: list[Trial], events: pd.DataFrame) -> list:
    statuses = list(dict.fromkeys(t.status for t in trials))
    handles: list = [
        Patch(
            facecolor=STATUS_STYLE[s][0],
            hatch=STATUS_STYLE[s][1],
            edgecolor=STATUS_STYLE[s][0],
            label=STATUS_NB[s],
        )
        for s in statuses
    ]
    handles.append(Patch(facecolor="#999999", alpha=0.3, label="Lys del av stolpen: usikker dato"))
    if any(t.planned_period_end for t in trials):
        handles.append(
            Patch(facecolor="none", edgecolor=TEXT_COLOUR, linestyle="--", label="Planlagt periode")
        )
    used = set(events["precision"])
    handles += [
        Line2D(
            [],
            [],
            marker=PRECISION_MARKER[p],
            color=TEXT_COLOUR,
            markerfacecolor="white",
            linestyle="none",
            label=f"Hendelse, {PRECISION_NB[p].lower()}",
        )
        for p in PRECISION_NB
        if p in used
    ]
    return handles


def timeline_figure(page: ModelPage) -> Figure:
    """Gantt chart: one bar per trial (pattern by status), dated events as numbered markers.

    Uncertain parts of a period (a start known only as "2024") are drawn pale; an event known
    only to the month, season or year is drawn as a bracket over that span with a marker whose
    shape tells the precision. The numbered events are listed under the chart.
    """
    apply_house_style()
    trials = page.trials
    if not trials:
        return _message_figure("Modellen har ingen forsøk i registeret.")
    events = timeline_frame(trials, page.registry)
    trial_ids = [t.id for t in trials]
    levels = _event_levels(events, trial_ids)
    depth = {t: 0 for t in trial_ids}
    for tid, level in zip(events["trial_id"], levels, strict=True):
        depth[tid] = max(depth[tid], level + 1)
    listing = [
        textwrap.fill(
            f"({k}) {row['text']}, {row['label']}: {row['event']}", 120, subsequent_indent="    "
        )
        for k, (_, row) in enumerate(events.iterrows(), start=1)
    ]
    if not listing:
        listing = ["Ingen daterte hendelser er registrert."]
    handles = _status_handles(trials, events)

    # layout in inches: title, axes, tick labels + legend, event list
    ys, y = [], 0.0
    for t in trials:
        y += 0.45 + 0.2 * depth[t.id]
        ys.append(y)
        y += 0.55
    axes_h = y * 0.62
    top_h, legend_h = 0.45, 0.35 + 0.22 * -(-len(handles) // 3)
    list_h = 0.15 * sum(line.count("\n") + 1 for line in listing) + 0.25
    total = top_h + axes_h + legend_h + list_h
    fig = Figure(figsize=(10, total))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.2, (legend_h + list_h) / total, 0.77, axes_h / total))

    for yc, trial in zip(ys, trials, strict=True):
        colour, hatch = STATUS_STYLE.get(trial.status, (PALETTE[7], ""))
        prec = trial.period_precision
        start = trial.period_start or min(events["date"], default=date.today())
        end = trial.period_end or date.today()
        s_lo, s_hi = precision_span(start, prec.start)
        e_lo, e_hi = precision_span(end, prec.end)
        lo, hi = _num(s_lo), _num(e_hi + timedelta(days=1))
        ax.add_patch(
            Rectangle(
                (lo, yc - 0.25),
                hi - lo,
                0.5,
                facecolor=colour,
                alpha=0.3,
                hatch=hatch,
                edgecolor=colour,
                linewidth=1.2,
                gid=f"trial-{trial.id}",
            )
        )
        core_lo, core_hi = _num(s_hi + timedelta(days=1)), _num(e_lo)
        if core_hi > core_lo:
            ax.add_patch(
                Rectangle(
                    (core_lo, yc - 0.25),
                    core_hi - core_lo,
                    0.5,
                    facecolor=colour,
                    hatch=hatch,
                    edgecolor="white",
                    linewidth=0.0,
                )
            )
        if trial.planned_period_end and trial.planned_period_end > end:
            p_hi = _num(precision_span(trial.planned_period_end, prec.end)[1])
            ax.add_patch(
                Rectangle(
                    (hi, yc - 0.25),
                    p_hi - hi,
                    0.5,
                    facecolor="none",
                    edgecolor=colour,
                    linestyle="--",
                    linewidth=1.2,
                )
            )
    row_y = dict(zip(trial_ids, ys, strict=True))
    for k, ((_, row), level) in enumerate(zip(events.iterrows(), levels, strict=True), start=1):
        lo, hi = _num(row["span_start"]), _num(row["span_end"] + timedelta(days=1))
        day = row["precision"] == "day"
        mid = _num(row["date"]) if day else (lo + hi) / 2
        yy = row_y[row["trial_id"]] - 0.4 - 0.2 * level
        if not day:
            ax.plot([lo, hi], [yy, yy], color=TEXT_COLOUR, lw=0.9)
            for x in (lo, hi):
                ax.plot([x, x], [yy - 0.05, yy + 0.05], color=TEXT_COLOUR, lw=0.9)
        ax.plot(
            [mid],
            [yy],
            marker=PRECISION_MARKER[row["precision"]],
            color=TEXT_COLOUR,
            markerfacecolor="white",
            markersize=6,
            linestyle="none",
            gid=f"event-{row['trial_id']}-{k}",
        )
        ax.text(mid + 12, yy - 0.04, str(k), ha="left", va="bottom", fontsize=7.5)

    dates = [d for t in trials for d in (t.period_start, t.period_end, t.planned_period_end) if d]
    dates += list(events["span_start"]) + list(events["span_end"])
    ax.set_xlim(_num(date(min(dates).year, 1, 1)), _num(date(max(dates).year + 1, 1, 1)))
    ax.set_ylim(y, 0)
    ax.set_yticks(ys)
    ax.set_yticklabels([textwrap.fill(trial_label(page.registry, t), 22) for t in trials])
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    ax.grid(True, axis="x", which="major")
    ax.tick_params(axis="y", length=0)
    ax.set_title(f"Tidslinje for forsøkene med {page.model.name}", loc="left")
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.03, (legend_h + list_h - 0.3) / total),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    fig.text(
        0.03,
        (list_h - 0.1) / total,
        "\n".join(listing),
        ha="left",
        va="top",
        fontsize=8,
        gid="event-list",
    )
    return fig


# --------------------------------------------------------------------------- indicators


def indicator_frame(
    values: pd.DataFrame,
    config: disclosure.DisclosureConfig,
    registry: Registry,
    plan: Any = None,
) -> pd.DataFrame:
    """Indicators (rows) against targets across the model's trials (columns), all str.

    Values pass :func:`coopstats.indicators.indicator_table_frame` once for all trials, so the
    disclosure rules see every trial of the model together. Indicators not defined for the
    model are left out.
    """
    shown = indicator_table_frame(values, config, plan)
    defined = values.groupby("indicator_id")["kind"].transform(lambda k: (k != "not_defined").any())
    keep = values[defined.astype(bool)]
    if keep.empty:
        return pd.DataFrame(index=pd.Index([], name="Indikator"))
    order = {k: i for i, k in enumerate(LEVEL_KEYS)}
    indicators = list(dict.fromkeys(keep["indicator_id"]))
    indicators.sort(
        key=lambda i: order[str(keep.loc[keep["indicator_id"] == i, "chain_level"].iloc[0])]
    )
    trial_ids = list(dict.fromkeys(keep["trial_id"]))
    trial_ids.sort(key=lambda t: (registry.trials[t].period_start or date.min, t))
    labels = {t: trial_label(registry, registry.trials[t]) for t in trial_ids}
    rows = []
    for ind in indicators:
        sub = keep[keep["indicator_id"] == ind]
        first = sub.iloc[0]
        row = {
            "Indikator": str(first["label_nb"]),
            "Resultatkjede-nivå": LEVEL_LABELS[str(first["chain_level"])],
        }
        for t in trial_ids:
            match = sub[sub["trial_id"] == t]
            if match.empty:
                value, target = NOT_APPLICABLE, ""
            else:
                cell = shown.loc[match.index[0]]
                value, target = cell["Verdi"], cell["Mål"]
            row[f"{labels[t]}: verdi"] = value
            row[f"{labels[t]}: mål"] = target or "–"
        rows.append(row)
    return pd.DataFrame(rows, dtype=object).set_index("Indikator")


def indicator_table(page: ModelPage) -> tables.Table | Markdown:
    """Indicators against targets for every trial of the model, with disclosure control."""
    if not page.trials:
        return Markdown("Modellen har ingen forsøk i registeret.")
    plan = publication.plan_for(page.datasets, page.config)
    shown = indicator_table_frame(page.indicators, page.config, plan)
    frame = indicator_frame(page.indicators, page.config, page.registry, plan)
    return tables.Table(
        title=f"Indikatorer mot måltall – {page.model.name}",
        frame=frame,
        population="Varierer per indikator: hendelser i fylkenes aktivitetslogg eller "
        "deltakere i forsøkene",
        source=f"Fylkenes rapportering (aktivitetslogg) og registerdata (deltakere); {plan.source}",
        notes=[
            "ca. = omtrentlig tall slik fylket rapporterte det; .. = ikke rapportert; "
            ". = ikke definert for forsøket; : = skjult av personvernhensyn "
            f"(færre enn {page.config.min_count} personer); – = ikke noe måltall.",
            "Tall fra fylkenes aktivitetslogg gjelder hendelser, ikke enkeltpersoner, "
            "og vises slik de ble rapportert.",
        ],
        stamp=page.config.stamp,
        disclosure=plan.metadata(shown.attrs.get("sdc_items", [])),
    )
