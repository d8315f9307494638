"""Tests for coopstats.modell: per-model page building blocks and notebooks/modell.ipynb."""

from __future__ import annotations

import re
import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from IPython.display import Markdown
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coopstats import modell, publication, tables
from coopstats.disclosure import DisclosureConfig
from coopstats.formatting import HIDDEN
from coopstats.indicators import compute_indicators, indicator_table_frame, load_indicators
from coopstats.registry import Registry, load_registry

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
NOTEBOOK = ROOT / "notebooks" / "modell.ipynb"
LABELS = {
    "fig-modell-kjede",
    "tbl-modell-kjerneelementer",
    "tbl-modell-forsok",
    "tbl-modell-trofasthet",
    "fig-modell-trofasthet",
    "fig-modell-tidslinje",
    "tbl-modell-indikatorer",
}


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


def _models_with_trials(registry: Registry) -> list[str]:
    return sorted({t.model for t in registry.trials.values()})


MODELS = _models_with_trials(load_registry())


@pytest.fixture(scope="module")
def pages() -> dict[str, modell.ModelPage]:
    return {m: modell.load_page(m, DEMO) for m in MODELS}


def _registry_copy(tmp_path: Path) -> Path:
    """A writable copy of the packaged registry files."""
    target = tmp_path / "registry"
    target.mkdir()
    for name in ("units.yaml", "models.yaml", "trials.yaml"):
        text = (resources.files("coopstats") / "registry_data" / name).read_text("utf-8")
        (target / name).write_text(text, encoding="utf-8")
    return target


def _edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# --------------------------------------------------------------------------- resolving


def test_resolve_model_by_id_name_and_alias(reg: Registry) -> None:
    for model in reg.models.values():
        for key in (model.id, model.name.upper(), *model.aliases):
            assert modell.resolve_model(reg, key).id == model.id


def test_unknown_model_suggests_close_names(reg: Registry) -> None:
    with pytest.raises(modell.UnknownModelError, match="Mente du") as err:
        modell.resolve_model(reg, "moteplasen")
    assert "moteplassen" in str(err.value)


# --------------------------------------------------------------------------- dates

# Independent oracles for dates with a precision (no code of coopstats.modell): the Norwegian
# month names, and the meteorological seasons (winter = December to February).
MONTHS = "januar februar mars april mai juni juli august september oktober november desember"
SEASON = {12: "vinteren", 1: "vinteren", 2: "vinteren", 3: "våren", 4: "våren", 5: "våren"}
SEASON |= {6: "sommeren", 7: "sommeren", 8: "sommeren", 9: "høsten", 10: "høsten", 11: "høsten"}


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _expected_span(day: date, precision: str) -> tuple[date, date]:
    if precision == "day":
        return day, day
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        first, months = date(day.year, day.month, 1), 1
    else:  # a season: the first day of its first month, three months long
        start = {12: 12, 1: 12, 2: 12, 3: 3, 4: 3, 5: 3, 6: 6, 7: 6, 8: 6}.get(day.month, 9)
        first, months = date(day.year - (day.month < start), start, 1), 3
    last = first
    for _ in range(months):
        last = _first_of_next_month(last)
    return first, date.fromordinal(last.toordinal() - 1)


def _expected_text(day: date, precision: str) -> str:
    month = MONTHS.split()[day.month - 1]
    if precision == "day":
        return f"{day.day}. {month} {day.year}"
    if precision == "month":
        return f"{month} {day.year}"
    if precision == "season":
        if day.month == 12:
            return f"vinteren {day.year}/{day.year + 1}"
        if day.month in (1, 2):
            return f"vinteren {day.year - 1}/{day.year}"
        return f"{SEASON[day.month]} {day.year}"
    return str(day.year)


def test_the_date_oracles_of_these_tests_are_right() -> None:
    """Hand-worked values for the oracles above (so that they are not taken on trust)."""
    assert _expected_span(date(2025, 1, 15), "season") == (date(2024, 12, 1), date(2025, 2, 28))
    assert _expected_span(date(2024, 12, 2), "season") == (date(2024, 12, 1), date(2025, 2, 28))
    assert _expected_span(date(2024, 5, 31), "season") == (date(2024, 3, 1), date(2024, 5, 31))
    assert _expected_span(date(2024, 2, 10), "month") == (date(2024, 2, 1), date(2024, 2, 29))
    assert _expected_span(date(2024, 12, 10), "month") == (date(2024, 12, 1), date(2024, 12, 31))
    assert _expected_text(date(2025, 2, 1), "season") == "vinteren 2024/2025"
    assert _expected_text(date(2024, 10, 1), "day") == "1. oktober 2024"


@pytest.mark.parametrize(
    ("day", "precision", "text", "span"),
    [
        (date(2024, 10, 1), "day", "1. oktober 2024", (date(2024, 10, 1), date(2024, 10, 1))),
        (date(2024, 10, 31), "month", "oktober 2024", (date(2024, 10, 1), date(2024, 10, 31))),
        (date(2024, 2, 10), "month", "februar 2024", (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2024, 9, 1), "season", "høsten 2024", (date(2024, 9, 1), date(2024, 11, 30))),
        (date(2024, 6, 1), "season", "sommeren 2024", (date(2024, 6, 1), date(2024, 8, 31))),
        (date(2025, 1, 15), "season", "vinteren 2024/2025", (date(2024, 12, 1), date(2025, 2, 28))),
        (date(2025, 1, 1), "year", "2025", (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_dates_keep_their_precision(day, precision, text, span) -> None:
    assert modell.format_date_nb(day, precision) == text
    assert modell.precision_span(day, precision) == span


def test_unknown_precision_is_rejected() -> None:
    with pytest.raises(ValueError, match="precision"):
        modell.precision_span(date(2024, 1, 1), "week")


def test_period_text_follows_registry_precision(reg: Registry) -> None:
    for trial in reg.trials.values():
        text = modell.format_period(trial)
        start = _expected_text(trial.period_start, trial.period_precision.start)
        assert text.startswith(start)
        if trial.period_precision.start == "year":
            # a start known only to the year never shows a month name
            assert not any(m in text.split("–")[0] for m in modell.MONTHS_NB)
        if trial.planned_period_end and trial.planned_period_end != trial.period_end:
            assert f"planlagt til {trial.planned_period_end.year}" in text


# --------------------------------------------------------------------------- trials side by side


def test_trial_frame_one_column_per_trial(reg: Registry) -> None:
    for model_id in MODELS:
        model = reg.models[model_id]
        trials = [t for t in reg.trials.values() if t.model == model_id]
        frame = modell.trial_frame(model, trials, reg)
        assert frame.shape[1] == len(trials)
        assert list(frame.index) == [
            "Fylke (Nav-enhet)",
            "Periode",
            "Status",
            "Moderfylke",
            "Variant",
            "Måltall",
        ]
        for trial, column in zip(trials, frame.columns, strict=True):
            assert frame.loc["Fylke (Nav-enhet)", column] == reg.units[trial.unit].name
            assert frame.loc["Status", column] == modell.STATUS_NB[trial.status]
            expected = (
                "."
                if model.mother_unit is None
                else ("Ja" if trial.unit == model.mother_unit else "Nei")
            )
            assert frame.loc["Moderfylke", column] == expected


def test_mother_county_yes_when_trial_runs_in_mother_county(tmp_path: Path) -> None:
    folder = _registry_copy(tmp_path)

    def move_mother(data: dict) -> None:
        for model in data["models"]:
            if model["id"] == "moteplassen":
                model["mother_unit"] = "nav-innlandet"

    _edit_yaml(folder / "models.yaml", move_mother)
    reg = load_registry(folder)
    trials = [t for t in reg.trials.values() if t.model == "moteplassen"]
    frame = modell.trial_frame(reg.models["moteplassen"], trials, reg)
    assert set(frame.loc["Moderfylke"]) == {"Ja"}


def test_trial_columns_name_the_variant_only_when_a_county_has_two_trials(tmp_path) -> None:
    folder = _registry_copy(tmp_path)

    def second_trial_in_oslo(data: dict) -> None:
        trial = next(t for t in data["trials"] if t["id"] == "lengre-varighet-oslo")
        data["trials"].append({**trial, "id": "lengre-varighet-oslo-2", "variant": None})

    _edit_yaml(folder / "trials.yaml", second_trial_in_oslo)
    reg = load_registry(folder)
    labels = {t.id: modell.trial_label(reg, t) for t in reg.trials.values()}
    assert labels["lengre-varighet-oslo"] == "NAV Oslo (oslo)"
    assert labels["lengre-varighet-oslo-2"] == "NAV Oslo (lengre-varighet-oslo-2)"  # no variant
    assert labels["lengre-varighet-vestland"] == "NAV Vestland"
    assert labels["vt-more-og-romsdal"] == "NAV Møre og Romsdal"


def test_targets_keep_their_qualifier(reg: Registry) -> None:
    assert any(trial.targets for trial in reg.trials.values())
    for trial in reg.trials.values():
        for target in trial.targets:
            text = modell.target_text(target)
            if target.qualifier == "approximate":
                assert "ca. " in text
            if target.qualifier == "range":
                assert "–" in text
            if target.qualifier == "not_reported":
                assert "ikke tallfestet" in text
            if target.per:
                assert text.endswith(f"per {target.per}")


# --------------------------------------------------------------------------- fidelity


def test_fidelity_matrix_matches_registry_adaptations(reg: Registry) -> None:
    for model_id in MODELS:
        model = reg.models[model_id]
        trials = [t for t in reg.trials.values() if t.model == model_id]
        grades = modell.fidelity_grades(model, trials, reg)
        assert list(grades.index) == [c.id for c in model.core_elements]
        for trial, column in zip(trials, grades.columns, strict=True):
            graded = {a.core_element: a.grade for a in trial.adaptations}
            for element in model.core_elements:
                assert grades.loc[element.id, column] == graded.get(element.id)


def test_fidelity_matrix_follows_a_changed_grade(tmp_path: Path) -> None:
    folder = _registry_copy(tmp_path)

    def regrade(data: dict) -> None:
        for trial in data["trials"]:
            if trial["id"] == "vt-more-og-romsdal":
                trial["adaptations"][0]["grade"] = "major"

    _edit_yaml(folder / "trials.yaml", regrade)
    reg = load_registry(folder)
    model = reg.models["veiledningstelefonen"]
    trials = [t for t in reg.trials.values() if t.model == model.id]
    grades = modell.fidelity_grades(model, trials, reg)
    assert grades.loc["vt-k1", reg.units["nav-more-og-romsdal"].name] == "major"


def test_fidelity_table_uses_norwegian_grades(pages) -> None:
    for page in pages.values():
        table = modell.fidelity_table(page)
        assert isinstance(table, tables.Table)
        values = set(table.frame.to_numpy().ravel())
        assert values <= set(modell.GRADE_LABELS.values())
        assert table.frame.shape == (len(page.model.core_elements), len(page.trials))


def test_fidelity_figure_writes_grades_in_cells(pages) -> None:
    page = pages["veiledningstelefonen"]
    fig = modell.fidelity_figure(page)
    cells = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("cell-")]
    assert len(cells) == len(page.model.core_elements) * len(page.trials)
    texts = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts]
    labels = {
        "none": "Ingen tilpasning",
        "minor": "Mindre tilpasning",
        "major": "Større tilpasning",
        None: "Ikke vurdert",
    }
    expected = []
    for trial in page.trials:  # the registry's grades, element by element
        graded = {a.core_element: a.grade for a in trial.adaptations}
        expected += [labels[graded.get(e.id)] for e in page.model.core_elements]
    assert sorted(texts) == sorted(expected)
    # pattern as well as colour: minor and major cells are hatched differently
    assert len({p.get_hatch() for p in cells}) >= 2


# --------------------------------------------------------------------------- timeline


@pytest.mark.parametrize("model_id", MODELS)
def test_gantt_has_one_bar_per_trial(pages, model_id: str) -> None:
    page = pages[model_id]
    fig = modell.timeline_figure(page)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("trial-")]
    assert sorted(p.get_gid() for p in bars) == sorted(f"trial-{t.id}" for t in page.trials)
    markers = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("event-")]
    assert len(markers) == sum(len(t.events) for t in page.trials)
    listing = next(t for t in fig.texts if t.get_gid() == "event-list").get_text()
    for trial in page.trials:
        for event in trial.events:
            assert _expected_text(event.date, event.precision) in listing


def test_gantt_bar_covers_the_trial_period(pages) -> None:
    import matplotlib.dates as mdates

    page = pages["moteplassen"]
    fig = modell.timeline_figure(page)
    trial = page.trials[0]
    bar = next(p for p in fig.axes[0].patches if p.get_gid() == f"trial-{trial.id}")
    assert isinstance(bar, Rectangle)
    start = mdates.num2date(bar.get_x()).date()
    end = mdates.num2date(bar.get_x() + bar.get_width()).date()
    assert start <= trial.period_start
    assert end > trial.period_end


def test_timeline_frame_spans_follow_precision(reg: Registry) -> None:
    trials = [t for t in reg.trials.values() if t.model == "veiledningstelefonen"]
    frame = modell.timeline_frame(trials, reg)
    assert len(frame) == sum(len(t.events) for t in trials)
    assert set(frame["precision"]) == {"day", "month", "season", "year"}
    for _, row in frame.iterrows():
        span = _expected_span(row["date"], row["precision"])
        assert (row["span_start"], row["span_end"]) == span
        assert row["text"] == _expected_text(row["date"], row["precision"])
        if row["precision"] == "day":
            assert row["span_start"] == row["span_end"]
        else:
            assert row["span_start"] < row["span_end"]
    # sorted by date within each trial
    for _, sub in frame.groupby("trial_id"):
        assert list(sub["date"]) == sorted(sub["date"])


# --------------------------------------------------------------------------- indicators


def test_indicator_frame_matches_indicator_table_frame(reg: Registry) -> None:
    from coopstats.data import load_datasets

    datasets = load_datasets(DEMO)
    defs = load_indicators()
    values = compute_indicators(defs, datasets, reg, model="lengre-varighet")
    config = DisclosureConfig(min_count=5)
    plan = publication.plan_for(datasets, config)
    frame = modell.indicator_frame(values, config, reg, plan)
    shown = indicator_table_frame(values, config, plan)
    defined = values[values["kind"] != "not_defined"]
    assert len(frame) == defined["indicator_id"].nunique()
    for pos, row in defined.iterrows():
        label = modell.trial_label(reg, reg.trials[row["trial_id"]])
        assert frame.loc[row["label_nb"], f"{label}: verdi"] == shown.loc[pos, "Verdi"]
    # and independently of the display code: admitted persons per trial, counted from the CSV
    import csv

    with open(DEMO / "participants.csv", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    for trial in reg.trials.values():
        if trial.model != "lengre-varighet":
            continue
        n = sum(p["trial_id"] == trial.id for p in people)
        label = modell.trial_label(reg, trial)
        admitted = values.loc[values["indicator_id"] == "ind-deltakere-inntatt", "label_nb"].iloc[0]
        assert frame.loc[admitted, f"{label}: verdi"] == str(n)


def test_indicator_frame_respects_min_count(reg: Registry) -> None:
    from coopstats.data import load_datasets

    datasets = load_datasets(DEMO)
    values = compute_indicators(load_indicators(), datasets, reg, model="lengre-varighet")
    strict_cfg, open_cfg = DisclosureConfig(min_count=5), DisclosureConfig(min_count=1)
    strict = modell.indicator_frame(
        values, strict_cfg, reg, publication.plan_for(datasets, strict_cfg)
    )
    open_ = modell.indicator_frame(values, open_cfg, reg, publication.plan_for(datasets, open_cfg))
    assert (strict == HIDDEN).to_numpy().any()
    assert not (open_ == HIDDEN).to_numpy().any()


# --------------------------------------------------------------------------- page


@pytest.mark.parametrize("model_id", MODELS)
def test_page_outputs(pages, model_id: str) -> None:
    page = pages[model_id]
    assert isinstance(modell.heading(page), Markdown)
    assert page.model.name in modell.heading(page).data
    assert isinstance(modell.chain_figure(page), Figure)
    for func in (
        modell.core_elements,
        modell.trials_table,
        modell.fidelity_table,
        modell.indicator_table,
    ):
        table = func(page)
        assert isinstance(table, tables.Table), func.__name__
        assert table.title and table.source
        assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())
    assert len(modell.core_elements(page).frame) == len(page.model.core_elements)


def test_model_without_trials_says_so(reg: Registry) -> None:
    empty = [m for m in reg.models if m not in MODELS]
    assert empty, "the registry has a model without trials (karriereveiledning-nordland)"
    page = modell.load_page(empty[0], DEMO)
    assert page.trials == []
    assert isinstance(modell.trials_table(page), Markdown)
    assert isinstance(modell.timeline_figure(page), Figure)
    assert "ingen forsøk" in modell.heading(page).data


# --------------------------------------------------------------------------- notebook


def _cells() -> list:
    return nbformat.read(NOTEBOOK, as_version=4).cells


def test_notebook_is_valid_and_stripped() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_notebook_parameters() -> None:
    params = [c for c in _cells() if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    scope: dict = {}
    exec(params[0].source, scope)  # noqa: S102 - our own parameters cell
    assert scope["model"] == "veiledningstelefonen"
    assert scope["data_dir"] == "../data/demo"
    assert scope["min_count"] == 5


def test_notebook_labels_captions_and_alt_text() -> None:
    found = {}
    for cell in _cells():
        if cell.cell_type != "code":
            continue
        opts = dict(re.findall(r"^#\| ([\w-]+): (.*)$", cell.source, flags=re.M))
        if "label" in opts:
            found[opts["label"]] = opts
    assert set(found) >= LABELS
    for label in LABELS:
        opts = found[label]
        if label.startswith("fig-"):
            assert opts.get("fig-cap") and len(opts.get("fig-alt", "")) > 40, label
        else:
            assert opts.get("tbl-cap"), label


@pytest.mark.e2e
def test_notebook_executes_with_papermill(tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "modell.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"model": "moteplassen", "data_dir": str(DEMO)},
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = {}
    for cell in nb.cells:
        match = re.search(r"^#\| label: (\S+)", cell.source, flags=re.M)
        if match:
            outputs[match.group(1)] = {k for o in cell.outputs for k in o.get("data", {})}
    for label in LABELS:
        wanted = "image/png" if label.startswith("fig-") else "text/html"
        assert wanted in outputs[label], label


def test_copy_of_demo_data_is_independent(tmp_path: Path) -> None:
    """Pages built from a copy see the copy's data (no cached state between loads)."""
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    log = pd.read_csv(copy / "activity_log.csv", dtype=str, keep_default_na=False)
    log.loc[log["record_id"] == "a-mr-anrop", "count"] = "60"
    log.to_csv(copy / "activity_log.csv", index=False)
    page = modell.load_page("veiledningstelefonen", copy)
    frame = modell.indicator_table(page).frame
    column = f"{page.registry.units['nav-more-og-romsdal'].name}: verdi"
    assert frame.loc["Anrop til veiledningstelefonen", column] == "ca. 60"
    original = modell.load_page("veiledningstelefonen", DEMO)
    assert (
        modell.indicator_table(original).frame.loc["Anrop til veiledningstelefonen", column]
        != "ca. 60"
    )


def test_fidelity_table_has_number_and_core_element_columns(pages) -> None:
    from html.parser import HTMLParser

    page = pages["veiledningstelefonen"]
    table = modell.fidelity_table(page)
    heads: list[tuple[str | None, str]] = []

    class Heads(HTMLParser):
        scope: str | None = None

        def handle_starttag(self, tag, attrs):
            self.scope = dict(attrs).get("scope") if tag == "th" else None

        def handle_data(self, data):
            if self.scope:
                heads.append((self.scope, data))
                self.scope = None

    Heads().feed(table._repr_html_())
    cols = [text for scope, text in heads if scope == "col"]
    # one trial per county: the columns are the counties, in the order the trials started
    assert cols == ["Nr.", "Kjerneelement", "NAV Møre og Romsdal", "NAV Øst-Viken"]
    rows = [text for scope, text in heads if scope == "row"]
    first = " ".join(page.model.core_elements[0].text.split())
    assert len(first) > 90  # long: shortened to 90 characters with an ellipsis
    assert rows[0] == "K1"  # not "K1 <text>" in one cell
    assert rows[1].endswith("…") and len(rows[1]) <= 90
    assert first.startswith(rows[1][:-1]) and len(rows[1][:-1].rstrip()) >= 85
    assert len(rows) == 2 * len(page.model.core_elements)
