"""Building blocks of the per-fylke page, on the demo data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pytest
from matplotlib.figure import Figure

from coopstats import fylke

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def oslo():
    return fylke.load_page("Oslo", DEMO)


@pytest.fixture(scope="module")
def innlandet():
    return fylke.load_page("nav-innlandet", DEMO)


def test_parse_period():
    assert fylke.parse_period("") is None
    assert fylke.parse_period("2024-01-01/2025-12-31") == (date(2024, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="expected an ISO interval"):
        fylke.parse_period("2024")
    with pytest.raises(ValueError, match="before the start"):
        fylke.parse_period("2025-01-01/2024-01-01")


def test_alias_resolves_and_trials_found(oslo):
    assert oslo.unit.id == "nav-oslo"
    assert [t.id for t in oslo.trials] == ["lengre-varighet-oslo"]
    overview = fylke.trial_overview(oslo).frame
    assert list(overview.index) == ["Opplæringstiltak med lengre varighet"]


def test_indicator_table_lists_only_applicable_indicators_in_chain_order(oslo):
    values = fylke.indicator_values(oslo)
    assert "not_defined" not in set(values["kind"])
    assert "ind-anrop" not in set(values["indicator_id"])
    order = {"problemforstaelse": 0, "aktiviteter": 2, "resultater": 3, "brukereffekter": 4}
    levels = [order[level] for level in values["chain_level"]]
    assert levels == sorted(levels)
    table = fylke.indicator_table(oslo)
    assert len(table.frame) == len(values)


def test_participant_summary_hides_small_cells_and_counts_every_person(oslo):
    hidden = fylke.participant_summary(oslo).frame
    cells = [str(v) for v in hidden.to_numpy().ravel()]
    assert ":" in cells
    assert not any(c.isdigit() and 1 <= int(c) <= 4 for c in cells)
    page = fylke.load_page("nav-oslo", DEMO, min_count=1)
    table = fylke.participant_summary(page)
    assert "N = 26" in table.population
    women = oslo.datasets.participants.query("unit_id == 'nav-oslo' and gender == 'K'")
    assert table.frame.loc["Kjønn: Kvinner", "Antall"] == str(len(women))
    ages = [int(v) for k, v in table.frame["Antall"].items() if k.startswith("Alder") and v != "-"]
    assert sum(ages) == 26


def test_unit_without_person_data_still_gets_a_table(innlandet):
    table = fylke.participant_summary(innlandet)
    assert "Ingen persondata" in table.frame.iloc[0, 0]


def test_funnel_uses_reported_steps_per_year(innlandet, oslo):
    frame = fylke.funnel_frame(innlandet.datasets, [t.id for t in innlandet.trials])
    assert sorted(frame["year"].unique()) == [2024, 2025]
    assert {"invitasjon", "oppmote"} <= set(frame["activity"])
    fig = fylke.funnel_figure(innlandet)
    assert isinstance(fig, Figure)
    steps, years = frame["activity"].nunique(), frame["year"].nunique()
    assert len(fig.axes[0].patches) == steps * years
    # A step a year did not report is drawn empty and labelled ".." (not available).
    missing = steps * years - len(frame)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert sum(label.strip().startswith("..") for label in labels) == missing
    empty = fylke.funnel_figure(oslo)
    assert "ikke rapportert" in empty.axes[0].texts[0].get_text()


def test_chain_figure_stacks_one_chain_per_model():
    page = fylke.load_page("nav-ost-viken", DEMO)
    assert len({t.model for t in page.trials}) == 2
    fig = fylke.chain_figure(page)
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    ("indicator", "table"),
    [("Andel som har vært i arbeid de fem årene", "5.7"), ("Andel som mottok ytelse", "5.11")],
)
def test_person_shares_hidden_exactly_where_the_participant_tables_hide_them(indicator, table):
    """The same share must not be hidden on one page and shown on another (differencing)."""
    from coopstats import participants

    published = participants.load_report("alle", DEMO).table(table).frame
    units = [("nav-oslo", "Oslo"), ("nav-vestland", "Vestland"), ("nav-ost-viken", "Øst")]
    for unit, name in units:
        row = next(label for label in published.index if label.startswith(name))
        hidden_there = published.loc[row].iloc[0] == ":"
        frame = fylke.indicator_table(fylke.load_page(unit, DEMO)).frame
        value = frame.loc[frame["Indikator"].str.startswith(indicator), "Verdi"].iloc[0]
        assert (value == ":") == hidden_there, (unit, indicator, value)


def test_unit_without_trials_gets_pages_not_errors():
    page = fylke.load_page("nav-nordland", DEMO)
    assert page.trials == []
    assert "ingen forsøk" in fylke.trial_overview(page).frame.iloc[0, 0]
    fig = fylke.chain_figure(page)
    assert "ingen forsøk" in fig.axes[0].texts[0].get_text()
    assert len(fylke.indicator_table(page).frame) == 0


def _html_cells(html_text: str) -> list[list[tuple[str, str]]]:
    """Rows of (tag, text) cells of a coopstats table's HTML."""
    from html.parser import HTMLParser

    rows: list[list[tuple[str, str]]] = []

    class Cells(HTMLParser):
        cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                rows.append([])
            elif tag in ("th", "td"):
                self.cell = [tag]

        def handle_endtag(self, tag):
            if tag in ("th", "td") and self.cell is not None:
                rows[-1].append((self.cell[0], "".join(self.cell[1:])))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    Cells().feed(html_text)
    return rows


def test_adaptations_show_model_and_core_element_in_named_columns(oslo):
    table = fylke.adaptations(oslo)
    head, *body = _html_cells(table._repr_html_())
    assert head == [
        ("th", "Modell"),
        ("th", "Kjerneelement"),
        ("th", "Tilpasning"),
        ("th", "Beskrivelse"),
    ]
    model = oslo.registry.models[oslo.trials[0].model]
    assert len(body) == len(model.core_elements)
    for row, element in zip(body, model.core_elements, strict=True):
        # model and core element are two row-header cells, never one run-together label
        assert row[:2] == [("th", model.name), ("th", element.text)]
        assert [tag for tag, _ in row[2:]] == ["td", "td"]


def test_adaptations_without_trials_still_have_named_columns():
    table = fylke.adaptations(fylke.load_page("nav-nordland", DEMO))
    rows = _html_cells(table._repr_html_())
    assert rows == [[("th", h) for h in ("Modell", "Kjerneelement", "Tilpasning", "Beskrivelse")]]


def test_person_level_indicators_for_a_period_are_not_computed_but_shown_for_the_whole_trial():
    whole = fylke.indicator_table(fylke.load_page("nav-oslo", DEMO, min_count=1))
    part = fylke.indicator_table(
        fylke.load_page("nav-oslo", DEMO, min_count=1, period="2024-01-01/2024-06-30")
    )
    row = "Deltakere tatt inn"
    shown = whole.frame.set_index("Indikator").loc[row, "Verdi"]
    beside = part.frame.set_index("Indikator").loc[row]
    # the period column never shows a person figure the build has not protected
    assert beside["Perioden 1.1.2024–30.6.2024"] == ".."
    # the whole trial's value is the protected one of the ordinary page
    assert beside["Hele forsøket"] == shown


def test_parse_period_open_end_and_boundaries():
    assert fylke.parse_period("2025-01-01/", date(2026, 1, 31)) == (
        date(2025, 1, 1),
        date(2026, 1, 31),
    )
    assert fylke.parse_period(" 2025-01-01/2025-01-01 ") == (date(2025, 1, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="open end needs"):
        fylke.parse_period("2025-01-01/")
    with pytest.raises(ValueError, match="before the start"):
        fylke.parse_period("2025-01-01/", date(2024, 12, 31))


def test_delivery_end_is_the_latest_date_in_any_file():
    import pandas as pd

    from coopstats.data import load_datasets

    latest = []
    for name, columns in {
        "participants": ["intake_date", "exit_date"],
        "spells": ["start_date", "end_date"],
        "activity_log": ["period_start", "period_end"],
    }.items():
        frame = pd.read_csv(DEMO / f"{name}.csv", dtype=str)
        latest += [max(frame[c].dropna()) for c in columns if frame[c].notna().any()]
    assert fylke.delivery_end(load_datasets(DEMO)).isoformat() == max(latest)


def _log_sum(trial: str, activity: str, start: str, end: str) -> int:
    import pandas as pd

    log = pd.read_csv(DEMO / "activity_log.csv", dtype=str)
    rows = log[(log["trial_id"] == trial) & (log["activity"] == activity)]
    inside = rows[(rows["period_start"] >= start) & (rows["period_end"] <= end)]
    return int(inside["count"].astype(int).sum())


def test_period_column_holds_the_activity_reported_inside_the_period():
    page = fylke.load_page("nav-innlandet", DEMO, period="2025-01-01/")
    end = fylke.delivery_end(page.datasets).isoformat()
    frame = fylke.indicator_table(page).frame.set_index("Indikator")
    column = f"Perioden {fylke.period_text(page.period)}"
    trial = "moteplassen-innlandet"
    for label, activity in (("Inviterte brukere", "invitasjon"), ("Oppmøtte", "oppmote")):
        row = frame.loc[frame.index.str.startswith(label)].iloc[0]
        assert row[column] == str(_log_sum(trial, activity, "2025-01-01", end))
        assert row["Hele forsøket"].replace("\xa0", " ").replace(" ", "") == str(
            _log_sum(trial, activity, "0000", "9999")
        )


def test_period_boundaries_are_inclusive_for_events_and_activity():
    # a row reported for exactly 2024-09-01..2024-12-31 is inside that same period
    page = fylke.load_page("nav-innlandet", DEMO, period="2024-09-01/2024-12-31")
    funnel = fylke.funnel_frame(page.datasets, [t.id for t in page.trials], page.period)
    assert set(funnel["activity"]) >= {"oppmote"}
    assert "invitasjon" not in set(funnel["activity"])  # reported for all of 2024
    # one day later at either end: the row is no longer inside
    later = fylke.funnel_frame(
        page.datasets, [t.id for t in page.trials], (date(2024, 9, 2), date(2024, 12, 31))
    )
    assert "oppmote" not in set(later["activity"])


def test_events_in_a_period_are_those_whose_dated_span_overlaps_it():
    from coopstats.modell import precision_span

    page = fylke.load_page("nav-more-og-romsdal", DEMO, period="2025-06-08/2025-06-08")
    shown = set(fylke.events_table(page).frame["Hendelse"])
    for trial in page.trials:
        for event in trial.events:
            first, last = precision_span(event.date, event.precision)
            inside = first <= date(2025, 6, 8) <= last
            assert (event.label in shown) == inside, event
    assert shown  # the day itself and the events dated only to 2025
    whole = fylke.events_table(fylke.load_page("nav-more-og-romsdal", DEMO)).frame
    assert len(whole) == sum(len(t.events) for t in page.trials)


def test_events_table_without_events_in_the_period_says_so():
    page = fylke.load_page("nav-oslo", DEMO, period="2001-01-01/2001-12-31")
    table = fylke.events_table(page)
    assert "Ingen daterte hendelser i perioden 1.1.2001–31.12.2001" in table.frame.iloc[0, 0]
    assert "1.1.2001–31.12.2001" in fylke.heading(page).data
    fig = fylke.funnel_figure(
        fylke.load_page("nav-innlandet", DEMO, period="2001-01-01/2001-12-31")
    )
    assert "for perioden 1.1.2001–31.12.2001" in fig.axes[0].texts[0].get_text()
