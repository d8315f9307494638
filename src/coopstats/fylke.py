"""Building blocks of the per-unit page (``notebooks/fylke.ipynb``).

Each function takes a :class:`UnitPage` and returns one displayable output: a
:class:`~coopstats.tables.Table`, a matplotlib figure or a short Markdown text. The notebook
only calls these functions, so everything it shows is tested here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure

from coopstats import disclosure, tables
from coopstats.chains import draw_result_chain
from coopstats.data import Datasets, load_datasets
from coopstats.formatting import HIDDEN, NOT_AVAILABLE, fmt_number
from coopstats.indicators import (
    VALUE_COLUMNS,
    activity_in_period,
    compute_indicators,
    indicator_table_frame,
    load_indicators,
)
from coopstats.participants import load_table_defs
from coopstats.registry import LEVEL_KEYS, Registry, Trial, Unit, load_registry
from coopstats.style import apply_house_style, series_style

STATUS_NB = {
    "planned": "Planlagt",
    "running": "Pågår",
    "ended_ordinary_operation": "Avsluttet – videreført i ordinær drift",
    "terminated_early": "Avsluttet før tiden",
}
GRADE_NB = {"none": "Ingen", "minor": "Mindre", "major": "Større"}
GENDER_NB = {"K": "Kvinner", "M": "Menn"}
#: Funnel steps reported by counties, in order, with Norwegian labels.
FUNNEL_STEPS = [
    ("invitasjon", "Invitert"),
    ("pamelding", "Påmeldt"),
    ("oppmote", "Møtt"),
    ("intervju", "Intervjuet"),
    ("match", "Matchet"),
]


@dataclass
class UnitPage:
    """Everything one unit page needs, loaded once."""

    unit: Unit
    trials: list[Trial]
    registry: Registry
    datasets: Datasets
    indicators: pd.DataFrame
    model_indicators: pd.DataFrame
    config: disclosure.DisclosureConfig
    period: tuple[date, date] | None = None
    #: With a ``period``: the model indicators over each trial's whole period, shown beside.
    whole_indicators: pd.DataFrame | None = None


def parse_period(text: str | None, open_end: date | None = None) -> tuple[date, date] | None:
    """Parse an ISO 8601 interval ``YYYY-MM-DD/YYYY-MM-DD``; empty or None means no limit.

    An open end (``2025-01-01/``) ends at ``open_end`` (the delivery's last date, see
    :func:`delivery_end`).
    """
    if not text or not text.strip():
        return None
    expected = "an ISO interval like 2023-01-01/2025-12-31, or 2025-01-01/ for an open end"
    try:
        start_text, end_text = (part.strip() for part in text.split("/"))
        start = date.fromisoformat(start_text)
        end = date.fromisoformat(end_text) if end_text else open_end
    except ValueError:
        raise ValueError(f"period {text!r}: expected {expected}") from None
    if end is None:
        raise ValueError(f"period {text!r}: an open end needs the delivery's last date")
    if end < start:
        raise ValueError(f"period {text!r}: the end date is before the start date")
    return start, end


def delivery_end(datasets: Datasets) -> date:
    """The latest date anywhere in the delivery, the coverage manifest's included (today when
    it holds no dates)."""
    latest: list[pd.Timestamp] = []
    for frame in (
        datasets.participants,
        datasets.spells,
        datasets.activity_log,
        datasets.reported_figures,
        datasets.coverage if datasets.coverage is not None else pd.DataFrame(),
    ):
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]) and frame[column].notna().any():
                latest.append(frame[column].max())
    return max(latest).date() if latest else date.today()


def period_text(period: tuple[date, date]) -> str:
    """``1.1.2025–31.10.2026``: a period as Norwegian short dates."""
    start, end = period
    return f"{start.day}.{start.month}.{start.year}–{end.day}.{end.month}.{end.year}"


def load_page(
    unit: str,
    data_dir: str | Path,
    *,
    period: str | None = None,
    min_count: int = 5,
    reproduce_published: bool = False,
) -> UnitPage:
    """Load registry, data and indicators for one unit (id or alias).

    ``period`` limits the indicators to an ISO interval (``2024-01-01/2025-12-31``); by
    default each trial's whole period is used.
    """
    apply_house_style()
    registry = load_registry()
    resolved = registry.resolve_unit(unit)
    trials = registry.trials_for_unit(resolved.id)
    datasets = load_datasets(Path(data_dir))
    open_end = delivery_end(datasets) if period and period.strip().endswith("/") else None
    window = parse_period(period, open_end)
    defs = load_indicators()
    # every trial of the unit's models: person-level shares are protected across them together
    models = list(dict.fromkeys(t.model for t in trials))

    def model_values(within: tuple[date, date] | None) -> pd.DataFrame:
        parts = [
            compute_indicators(defs, datasets, registry, model=m, period=within) for m in models
        ]
        if parts:
            return pd.concat(parts, ignore_index=True)
        return pd.DataFrame(columns=list(VALUE_COLUMNS))

    values = model_values(window)
    config = disclosure.DisclosureConfig(
        min_count=min_count, reproduce_published=reproduce_published
    )
    return UnitPage(
        resolved,
        trials,
        registry,
        datasets,
        values[values["unit_id"] == resolved.id],
        values,
        config,
        window,
        model_values(None) if window else None,
    )


def _period(trial: Trial) -> str:
    start = trial.period_start.year if trial.period_start else "?"
    end = trial.period_end.year if trial.period_end else "…"
    return f"{start}–{end}"


def heading(page: UnitPage) -> Markdown:
    """Level-1 heading and one sentence about the unit's trials."""
    names = [page.registry.models[t.model].name for t in page.trials]
    lead = "Enheten prøver ut " + _join_nb(names) + "." if names else "Enheten har ingen forsøk."
    if page.period is not None:
        lead += (
            f" Hendelser, aktivitetstall og rekrutteringstrakt gjelder perioden "
            f"{period_text(page.period)}. Tall om deltakerne gjelder hele forsøket."
        )
    return Markdown(f"# {page.unit.name}\n\n{lead}")


def _join_nb(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def trial_overview(page: UnitPage) -> tables.Table:
    """Model, period, status and mother county per trial (no person data)."""
    if not page.trials:
        return tables.Table(
            title=f"Forsøk i {page.unit.name}",
            frame=pd.DataFrame({"Merknad": ["Enheten har ingen forsøk i registeret."]}),
            source="Prosjektets forsøksregister, bygd på evalueringens rapporter",
        )
    rows = []
    for t in page.trials:
        model = page.registry.models[t.model]
        mother = page.registry.units[model.mother_unit].name if model.mother_unit else "–"
        rows.append(
            {
                "Modell": model.name,
                "Periode": _period(t),
                "Status": STATUS_NB.get(t.status, t.status),
                "Moderfylke": mother,
            }
        )
    frame = pd.DataFrame(rows).set_index("Modell")
    return tables.Table(
        title=f"Forsøk i {page.unit.name}",
        population="Alle forsøk i enheten",
        source="Prosjektets forsøksregister, bygd på evalueringens rapporter",
        notes=[],
        frame=frame,
    )


def adaptations(page: UnitPage) -> tables.Table:
    """Local adaptations graded against each core element of the trial's model."""
    rows = []
    for t in page.trials:
        model = page.registry.models[t.model]
        graded = {a.core_element: a for a in t.adaptations}
        for element in model.core_elements:
            a = graded.get(element.id)
            rows.append(
                {
                    "Modell": model.name,
                    "Kjerneelement": element.text,
                    "Tilpasning": GRADE_NB.get(a.grade, a.grade) if a else "Ikke vurdert",
                    "Beskrivelse": a.description if a else "",
                }
            )
    frame = pd.DataFrame(rows, columns=["Modell", "Kjerneelement", "Tilpasning", "Beskrivelse"])
    return tables.Table(
        title="Lokale tilpasninger per kjerneelement",
        population="Alle forsøk i enheten",
        source=(
            "Evaluatorenes vurdering i første statusrapport (ideas2evidence og Proba "
            "samfunnsanalyse 2026) og delrapport 1 (ideas2evidence 2024)"
        ),
        notes=[
            "Mindre/større = evaluatorenes vurdering av hvor mye forsøket avviker fra "
            "kjerneelementet."
        ],
        frame=frame.set_index(["Modell", "Kjerneelement"]),
        provenance=[a.provenance for t in page.trials for a in t.adaptations],
    )


def events_table(page: UnitPage) -> tables.Table:
    """Dated events of the unit's trials (with a period: those that may fall inside it).

    An event dated only to a month, season or year counts as inside when that span overlaps
    the period; its date is written with no more detail than is known.
    """
    from coopstats.modell import timeline_frame

    frame = timeline_frame(page.trials, page.registry)
    if page.period is not None and not frame.empty:
        start, end = page.period
        frame = frame[(frame["span_end"] >= start) & (frame["span_start"] <= end)]
    when = f" i perioden {period_text(page.period)}" if page.period else ""
    source = "Prosjektets forsøksregister, bygd på evalueringens rapporter"
    if frame.empty:
        return tables.Table(
            title=f"Hendelser i {page.unit.name}{when}",
            frame=pd.DataFrame({"Merknad": [f"Ingen daterte hendelser{when}."]}),
            source=source,
        )
    names = {t.id: page.registry.models[t.model].name for t in page.trials}
    shown = pd.DataFrame(
        {
            "Tidspunkt": frame["text"].to_numpy(),
            "Forsøk": frame["trial_id"].map(names).to_numpy(),
            "Hendelse": frame["event"].to_numpy(),
        }
    )
    if len(page.trials) < 2:
        shown = shown.drop(columns=["Forsøk"])
    return tables.Table(
        title=f"Hendelser i {page.unit.name}{when}",
        population="Daterte hendelser i forsøkene",
        source=source,
        notes=["Tidspunktet er oppgitt så nøyaktig som kildene gjør det (dag, måned, årstid, år)."],
        frame=shown,
        provenance=[
            e.provenance
            for t in page.trials
            for e in t.events
            if e.label in set(frame.loc[frame["trial_id"] == t.id, "event"])
        ],
    )


def chain_figure(page: UnitPage) -> Figure:
    """The result chain of each trial's model, stacked when the unit has several trials."""
    models = []
    for t in page.trials:
        if t.model not in models:
            models.append(t.model)
    if not models:
        fig, ax = plt.subplots(figsize=(7, 1.2))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "Enheten har ingen forsøk, og dermed ingen resultatkjede.", ha="center")
    elif len(models) == 1:
        model = page.registry.models[models[0]]
        fig = draw_result_chain(model.result_chain, title=model.name)
    else:
        parts = [page.registry.models[m] for m in models]
        fig = _stack([draw_result_chain(m.result_chain, title=m.name) for m in parts])
    plt.close(fig)
    return fig


def _stack(figures: list[Figure]) -> Figure:
    """Stack rendered figures vertically into one figure (keeps one label per output)."""
    import numpy as np

    images = []
    for f in figures:
        f.canvas.draw()
        images.append(np.asarray(f.canvas.buffer_rgba()))
        plt.close(f)
    width = max(i.shape[1] for i in images)
    height = sum(i.shape[0] for i in images)
    dpi = figures[0].dpi
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    top = 0
    for img in images:
        ax = fig.add_axes(
            (0, 1 - (top + img.shape[0]) / height, img.shape[1] / width, img.shape[0] / height)
        )
        ax.imshow(img)
        ax.set_axis_off()
        top += img.shape[0]
    return fig


def indicator_values(page: UnitPage, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """Indicator values that apply to the unit's trials, in result-chain order.

    ``values`` defaults to the page's own (its period's) values of the unit.
    """
    values = page.indicators if values is None else values
    values = values[values["kind"] != "not_defined"].copy()
    order = {key: k for k, key in enumerate(LEVEL_KEYS)}
    values["_level"] = values["chain_level"].map(order)
    values["_trial"] = values["trial_id"].map({t.id: k for k, t in enumerate(page.trials)})
    values = values.sort_values(["_trial", "_level"], kind="stable")
    return values.drop(columns=["_level", "_trial"])


def _indicator_notes(page: UnitPage) -> list[str]:
    notes = [
        "ca. = omtrentlig tall slik fylket rapporterte det; .. = ikke rapportert; "
        ": = skjult av personvernhensyn "
        f"(færre enn {page.config.min_count} personer, eller en annen celle kunne "
        "ellers regnes ut).",
        "95 % KI: Wilson-intervall for andeler.",
        "Tall fra fylkenes aktivitetslogg gjelder hendelser, ikke enkeltpersoner, "
        "og vises slik de ble rapportert.",
    ]
    if page.period is not None:
        notes.insert(
            0,
            f"Perioden {period_text(page.period)}: aktivitetstall som fylkene har rapportert "
            "for tidsrom som ligger helt innenfor perioden; et tall for et tidsrom som bare "
            "delvis ligger i perioden, står som «..». Tall om deltakerne beregnes bare for "
            "hele forsøket og står i kolonnen «Hele forsøket».",
        )
    return notes


def indicator_table(page: UnitPage) -> tables.Table:
    """Indicators against targets per trial; person-level values pass the disclosure layer.

    With a period, the table shows the period's activity figures beside the whole trial's
    values (person-level values only for the whole trial: the build protects those once).
    """
    from coopstats import publication

    plan = publication.plan_for(page.datasets, page.config)
    whole_all = page.model_indicators if page.period is None else page.whole_indicators
    whole_unit = whole_all[whole_all["unit_id"] == page.unit.id]
    values = indicator_values(page, whole_unit)
    full = indicator_table_frame(whole_all, page.config, plan)
    frame = full.loc[values.index]
    own = {str(t) for t in values["trial_id"]}
    items = [it for it in full.attrs.get("sdc_items", []) if dict(it.cell).get("trial") in own]
    if page.period is not None:
        frame = _with_period_column(page, values, frame)
    if len(page.trials) > 1:
        names = {t.id: page.registry.models[t.model].name for t in page.trials}
        frame.insert(0, "Forsøk", values["trial_id"].map(names).to_numpy())
    frame = frame.reset_index(drop=True)
    title = f"Indikatorer for {page.unit.name}"
    if page.period is not None:
        title += f", perioden {period_text(page.period)} og hele forsøket"
    return tables.Table(
        title=title,
        population="Varierer per indikator: hendelser i fylkenes aktivitetslogg eller "
        "deltakere i forsøkene",
        source=f"Fylkenes rapportering (aktivitetslogg) og registerdata (deltakere); {plan.source}",
        notes=_indicator_notes(page),
        frame=frame,
        stamp=page.config.stamp,
        disclosure=plan.metadata(items),
    )


def _with_period_column(page: UnitPage, whole: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Insert the period's value of every row of ``whole`` (person-level rows read ``..``)."""
    period = page.model_indicators
    shown = indicator_table_frame(period, page.config, None)
    at = {(str(r["trial_id"]), str(r["indicator_id"])): i for i, r in period.iterrows()}
    cells = []
    for _, row in whole.iterrows():
        j = at.get((str(row["trial_id"]), str(row["indicator_id"])))
        if j is None or (row["person_data"] and not page.config.reproduce_published):
            cells.append(NOT_AVAILABLE)
        else:
            cells.append(shown.at[j, "Verdi"])
    out = frame.rename(columns={"Verdi": "Hele forsøket", "95 % KI": "95 % KI (hele forsøket)"})
    out.insert(2, f"Perioden {period_text(page.period)}", cells)
    return out


def funnel_frame(
    datasets: Datasets, trial_ids: list[str], period: tuple[date, date] | None = None
) -> pd.DataFrame:
    """Reported funnel counts per event year and step (activity figures, shown as reported).

    With ``period``, only rows whose reported time span lies inside it (as for indicators).
    """
    log = datasets.activity_log
    wanted = [s for s, _ in FUNNEL_STEPS]
    sel = log[log["trial_id"].isin(trial_ids) & log["activity"].isin(wanted)].copy()
    sel = activity_in_period(sel, period)
    if sel.empty:
        return pd.DataFrame(columns=["year", "activity", "count", "qualifier"])
    sel["year"] = pd.to_datetime(sel["period_end"]).dt.year
    return sel[["year", "activity", "count", "qualifier"]].sort_values(["year", "activity"])


def funnel_figure(page: UnitPage) -> Figure:
    """Horizontal bars per funnel step and year, counts written at each bar.

    Always returns a figure (so the labelled output exists on every page); when the unit has
    reported no funnel the figure says so in words.
    """
    frame = funnel_frame(page.datasets, [t.id for t in page.trials], page.period)
    if frame.empty:
        when = f" for perioden {period_text(page.period)}" if page.period else ""
        fig, ax = plt.subplots(figsize=(7, 1.2))
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"{page.unit.name} har ikke rapportert en rekrutteringstrakt{when}.\n"
            "Derfor vises ingen stolper her.",
            ha="center",
            va="center",
        )
        plt.close(fig)
        return fig
    labels = dict(FUNNEL_STEPS)
    years = sorted(frame["year"].unique())
    steps = [s for s, _ in FUNNEL_STEPS if s in set(frame["activity"])]
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(steps) * len(years) + 1))
    height = 0.8 / len(years)
    for i, year in enumerate(years):
        sub = frame[frame["year"] == year].set_index("activity")
        ys = [k + i * height for k in range(len(steps))]
        xs = [float(sub["count"].get(s, 0) or 0) for s in steps]
        bars = ax.barh(
            ys,
            xs,
            height=height,
            label=str(year),
            **series_style(i),
        )
        for bar, s in zip(bars, steps, strict=True):
            q = sub["qualifier"].get(s, "exact") if s in sub.index else "not_reported"
            text = ".." if s not in sub.index else fmt_number(bar.get_width())
            text = f"ca. {text}" if q == "approximate" else text
            ax.text(
                bar.get_width(),
                bar.get_y() + height / 2,
                f" {text} ({year})",
                va="center",
                fontsize=9,
            )
    ax.set_yticks([k + height * (len(years) - 1) / 2 for k in range(len(steps))])
    ax.set_yticklabels([labels[s] for s in steps])
    ax.invert_yaxis()
    ax.set_xlabel("Antall (log-skala)")
    ax.set_xscale("log")
    ax.legend(title="Arrangement", frameon=False)
    plt.close(fig)
    return fig


def participant_summary(page: UnitPage) -> tables.Table:
    """Participants by gender and by age band at intake, from the protected plan.

    Always a table (the output is labelled ``tbl-`` for Quarto); a unit without person-level
    data gets a one-cell table saying so. The counts are cells of the build's one protected
    participant system (:mod:`coopstats.publication`), the same cells as Tabell 5.1.
    """
    from coopstats import publication

    plan = publication.plan_for(page.datasets, page.config)
    if page.unit.id not in plan.system.codes["unit"]:
        return tables.Table(
            title=f"Deltakere i {page.unit.name}",
            frame=pd.DataFrame({"Merknad": ["Ingen persondata for enheten i datagrunnlaget."]}),
            source=f"Registerdata; {plan.source}",
        )
    labels = {
        "gender": {**GENDER_NB, publication.MISSING: "Kjønn ikke registrert"},
        "age_band": {
            **publication.band_labels(load_table_defs(), "age_band"),
            publication.MISSING: "Alder ikke registrert",
        },
    }
    rows, items = [], []
    for var, heading in (("gender", "Kjønn"), ("age_band", "Alder ved inntak")):
        for code in plan.system.codes[var]:
            item = publication.count_item(unit=page.unit.id, **{var: code})
            if code == publication.MISSING and plan.value(item) == 0:
                continue
            items.append(item)
            rows.append((heading, labels[var].get(code, code), plan.text(item)))
    total = publication.count_item(unit=page.unit.id)
    items.append(total)
    frame = pd.DataFrame(rows, columns=["Etter", "Gruppe", "Antall"]).set_index(["Etter", "Gruppe"])
    frame.index = pd.Index([f"{a}: {b}" for a, b in frame.index], name="Gruppe")
    notes = ["Alder = inntaksår minus fødselsår."]
    if any(HIDDEN in str(v) for v in frame["Antall"]):
        notes.append(tables.symbol_note(page.config.min_count, secondary=True))
    return tables.Table(
        title=f"Deltakere i {page.unit.name} etter kjønn og alder ved inntak",
        frame=frame,
        population=f"Inntatte deltakere, N = {plan.text(total)}",
        source=f"Registerdata; {plan.source}",
        notes=notes,
        stamp=page.config.stamp,
        disclosure=plan.metadata(items, page=""),
    )
