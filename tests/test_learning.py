"""Tests for coopstats.learning: data files, validation, matrices, figures and the notebook."""

from __future__ import annotations

import copy
import dataclasses
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

from coopstats import learning, tables
from coopstats.data import read_table
from coopstats.disclosure import DisclosureConfig
from coopstats.formatting import HIDDEN, NIL, fmt_percent
from coopstats.registry import Registry, load_registry

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
NOTEBOOK = ROOT / "notebooks" / "laering.ipynb"
LABELS = {
    "tbl-laeringspunkter",
    "fig-laeringspunkter",
    "tbl-drivere-barrierer",
    "fig-drivere-barrierer",
    "tbl-trofasthet-resultater",
    "fig-trofasthet-resultater",
}


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def frame() -> learning.CodingFrame:
    return learning.load_coding_frame()


@pytest.fixture(scope="module")
def points(reg: Registry) -> learning.LearningPoints:
    return learning.load_learning_points(registry=reg)


@pytest.fixture(scope="module")
def page() -> learning.LearningPage:
    return learning.load_page(DEMO)


def _package_yaml(name: str) -> dict:
    text = (resources.files("coopstats") / "definitions" / name).read_text("utf-8")
    return yaml.safe_load(text)


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _demo_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    return copy


def _edit_segments(folder: Path, segment_id: str, **changes: str) -> None:
    path = folder / "segments.csv"
    seg = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert segment_id in set(seg["segment_id"])
    for column, value in changes.items():
        seg.loc[seg["segment_id"] == segment_id, column] = value
    seg.to_csv(path, index=False)


# --------------------------------------------------------------------------- data files


def test_learning_points_load_and_are_numbered(points: learning.LearningPoints) -> None:
    numbers = [p.number for p in points.learning_points]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 12  # seed 000 chapter 5 has twelve learning points
    sections = {s.id for s in points.sections}
    assert {p.section for p in points.learning_points} == sections
    for point in points.learning_points:
        assert point.provenance.source == "seed-000"
        for ev in point.evidence:
            assert ev.provenance.source == "seed-000"


def test_coding_frame_has_the_segment_phases(frame: learning.CodingFrame) -> None:
    phases = {p.id for p in frame.phases}
    segments = read_table(DEMO / "segments.csv", "segments")
    assert set(segments["phase"]) <= phases
    assert {f.id for f in frame.factors} == {"CTX", "REL", "PRO", "ORG"}
    seed_items = [i for _, _, i in frame.iter_items() if i.origin == "seed"]
    assert all(i.provenance.source == "seed-001" for i in seed_items)
    local = [i for _, _, i in frame.iter_items() if i.origin == "local"]
    assert local and all(i.note_nb and ".L" in i.id for i in local)


def test_every_demo_segment_resolves(frame: learning.CodingFrame) -> None:
    segments = read_table(DEMO / "segments.csv", "segments")
    assert learning.check_segments(segments, frame) == []
    classified = learning.classify_segments(segments, frame)
    assert len(classified) == len(segments)
    for _, row in classified.iterrows():
        item = frame.lookup(row["phase"], row["polarity"], row["code"])
        assert item is not None and item.id == row["item_id"] and item.factor == row["factor"]


def test_unknown_code_is_reported_clearly(frame: learning.CodingFrame) -> None:
    segments = read_table(DEMO / "segments.csv", "segments")
    segments.loc[segments["segment_id"] == "g-mr-01", "code"] = "ukjent-kode"
    segments.loc[segments["segment_id"] == "g-mr-06", "phase"] = "EMP"  # forankring in EMP
    segments.loc[segments["segment_id"] == "g-mr-02", "code"] = "felles-eierskapp"
    with pytest.raises(learning.UnknownCodeError) as err:
        learning.classify_segments(segments, frame)
    message = str(err.value)
    assert "3 coded segment(s)" in message
    assert "segment g-mr-01: code 'ukjent-kode' is not a driver code of phase GOV" in message
    assert "segment g-mr-06" in message and "coded under GOV/driver (GOV.ORG.02)" in message
    assert "did you mean 'felles-eierskap'" in message
    assert {p.segment_id for p in err.value.problems} == {"g-mr-01", "g-mr-02", "g-mr-06"}


def test_unknown_phase_names_the_expected_phases(frame: learning.CodingFrame) -> None:
    segments = read_table(DEMO / "segments.csv", "segments").head(1).copy()
    segments["phase"] = "XYZ"
    [problem] = learning.check_segments(segments, frame)
    assert "phase 'XYZ'" in problem.message and "GOV, EMP, INT, INC, TRN, TRF" in problem.message


# --------------------------------------------------------------------------- broken YAML


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["learning_points"][0]["evidence"][0].update(kinds=["rumour"]),
            "learning_points.yaml: learning_points[0].evidence[0].kinds[0]: expected",
        ),
        (
            lambda d: d["learning_points"][0]["evidence"][0].update(unit="nav-atlantis"),
            "learning_points.yaml: learning_points[0].evidence[0].unit: expected a unit id "
            "of the registry (got 'nav-atlantis')",
        ),
        (
            lambda d: d["learning_points"][1].update(number=7),
            "learning_points.yaml: learning_points[1].number: expected 2",
        ),
        (
            lambda d: d["learning_points"][2].update(section="ukjent"),
            "learning_points.yaml: learning_points[2].section: expected one of",
        ),
        (
            lambda d: d["learning_points"][0].pop("text_nb"),
            "learning_points.yaml: learning_points[0].text_nb: required key is missing",
        ),
        (
            lambda d: d["learning_points"][0]["evidence"][0]["provenance"].update(lines="x"),
            "learning_points.yaml: learning_points[0].evidence[0].provenance: lines must look",
        ),
    ],
)
def test_broken_learning_points_are_rejected(tmp_path: Path, reg, edit, expected) -> None:
    data = _package_yaml(learning.LEARNING_POINTS_FILE)
    edit(data)
    path = _write(tmp_path, learning.LEARNING_POINTS_FILE, data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_learning_points(path, reg)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["phases"][0]["practices"][0].update(factor="XXX"),
            "coding_frame.yaml: phases[0].practices[0].factor: expected one of CTX, ORG, PRO, REL",
        ),
        (
            lambda d: d["phases"][0]["practices"][0].update(id="GOV.REL.01x"),
            "coding_frame.yaml: phases[0].practices[0].id: expected an id like 'GOV.CTX.NN'",
        ),
        (
            lambda d: next(i for i in d["phases"][0]["barriers"] if i.get("origin") == "local").pop(
                "note_nb"
            ),
            "note_nb: expected a note saying why a local code is needed",
        ),
        (
            lambda d: d["phases"][0]["practices"][1].update(codes=["forankring"]),
            "coding_frame.yaml: phases[0].practices[",
        ),
        (
            lambda d: d["phases"][1]["practices"][0].update(sub="xyz"),
            "coding_frame.yaml: phases[1].practices[0].sub: expected one of ['dur', 'rec']",
        ),
        (
            lambda d: d["phases"][0]["practices"][0].update(codes=["Store Bokstaver"]),
            "coding_frame.yaml: phases[0].practices[0].codes: expected lower-case codes",
        ),
        (
            lambda d: d["phases"][0].pop("factor_basis"),
            "coding_frame.yaml: phases[0].factor_basis: required key is missing",
        ),
    ],
)
def test_broken_coding_frame_is_rejected(tmp_path: Path, edit, expected) -> None:
    data = _package_yaml(learning.CODING_FRAME_FILE)
    edit(data)
    path = _write(tmp_path, learning.CODING_FRAME_FILE, data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame(path)
    assert expected in str(err.value)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / learning.CODING_FRAME_FILE
    path.write_text("version: 1\nfactors: [\n  - broken", encoding="utf-8")
    with pytest.raises(
        learning.LearningDataError, match=r"coding_frame.yaml: invalid YAML at line"
    ):
        learning.load_coding_frame(path)


def test_duplicate_code_message_names_the_other_item(tmp_path: Path) -> None:
    data = _package_yaml(learning.CODING_FRAME_FILE)
    data["phases"][0]["practices"][1]["codes"] = ["forankring"]
    path = _write(tmp_path, learning.CODING_FRAME_FILE, data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame(path)
    # GOV.CTX.02 (practices[1]) now claims the code first; GOV.ORG.02 is reported
    assert "a code used by one driver of phase GOV (also used by GOV.CTX.02)" in str(err.value)
    assert "(got 'forankring')" in str(err.value)


# --------------------------------------------------------------------------- driver/barrier matrix


def test_counts_add_up_to_the_segments(page: learning.LearningPage) -> None:
    counts = learning.driver_barrier_counts(page.segments, page.frame)
    raw = read_table(DEMO / "segments.csv", "segments")
    assert int(counts.to_numpy().sum()) == len(raw)
    per_unit = counts.T.groupby(level="unit_id").sum().sum(axis=1)
    assert per_unit.to_dict() == raw.groupby("unit_id").size().to_dict()
    per_polarity = counts.T.groupby(level="polarity").sum().sum(axis=1)
    assert per_polarity.to_dict() == raw.groupby("polarity").size().to_dict()


def test_matrix_changes_when_a_segment_changes(tmp_path: Path) -> None:
    before = learning.load_page(DEMO)
    folder = _demo_copy(tmp_path)
    # g-mr-09: INT informasjon-forstelinje barrier → driver (same phase and factor)
    _edit_segments(folder, "g-mr-09", polarity="driver")
    # g-mr-07: INT kapasitet barrier (ORG) → informasjon-forstelinje barrier (PRO)
    _edit_segments(folder, "g-mr-07", code="informasjon-forstelinje")
    after = learning.load_page(folder)
    old = learning.driver_barrier_counts(before.segments, before.frame)
    new = learning.driver_barrier_counts(after.segments, after.frame)
    diff = (new - old).stack(["unit_id", "polarity"])
    diff = diff[diff != 0]
    unit = "nav-more-og-romsdal"
    assert diff.to_dict() == {
        ("INT", "PRO", unit, "driver"): 1,
        ("INT", "ORG", unit, "barrier"): -1,
    }
    shown_old = learning.driver_barrier_matrix(old, before.frame, before.registry)
    shown_new = learning.driver_barrier_matrix(new, after.frame, after.registry)
    assert not shown_old.equals(shown_new)


def test_matrix_cells_show_drivers_slash_barriers(page: learning.LearningPage) -> None:
    counts = learning.driver_barrier_counts(page.segments, page.frame)
    shown = learning.driver_barrier_matrix(counts, page.frame, page.registry)
    assert list(shown.columns[:2]) == ["Fase", "Faktor"] and shown.columns[-1] == "Alle"
    for i, (phase, factor) in enumerate(counts.index):
        for unit in dict.fromkeys(counts.columns.get_level_values("unit_id")):
            d = counts.loc[(phase, factor), (unit, "driver")]
            b = counts.loc[(phase, factor), (unit, "barrier")]
            cell = shown.iloc[i][page.registry.units[unit].name]
            assert cell == (NIL if d == b == 0 else f"{d} / {b}")


# Hand-made segments: (unit, phase, code, polarity, how many). In the coding frame,
# forankring is GOV.ORG.02 as a driver and B-GOV.10 (ORG) as a barrier; tidligere-samarbeid is
# the local GOV.REL.L1 / B-GOV.L1 (REL); kapasitet is the local barrier B-INT.L1 (ORG).
HAND_MADE = [
    ("nav-oslo", "GOV", "forankring", "driver", 2),
    ("nav-oslo", "GOV", "forankring", "barrier", 1),
    ("nav-oslo", "GOV", "tidligere-samarbeid", "barrier", 1),
    ("nav-oslo", "INT", "kapasitet", "barrier", 2),
    ("nav-vestland", "GOV", "forankring", "driver", 1),
    ("nav-vestland", "GOV", "forankring", "barrier", 3),
    ("nav-vestland", "GOV", "tidligere-samarbeid", "driver", 1),
]
# Worked by hand from HAND_MADE: "drivers / barriers" per (phase, factor) and unit, and Alle.
HAND_MATRIX = {
    ("GOV", "ORG"): {"NAV Oslo": "2 / 1", "NAV Vestland": "1 / 3", "Alle": "3 / 4"},
    ("GOV", "REL"): {"NAV Oslo": "0 / 1", "NAV Vestland": "1 / 0", "Alle": "1 / 1"},
    ("INT", "ORG"): {"NAV Oslo": "0 / 2", "NAV Vestland": NIL, "Alle": "0 / 2"},
}


@pytest.fixture(scope="module")
def hand_made(page: learning.LearningPage) -> learning.LearningPage:
    rows = [
        {"segment_id": f"s{i}-{k}", "unit_id": u, "phase": ph, "code": c, "polarity": pol}
        for i, (u, ph, c, pol, n) in enumerate(HAND_MADE)
        for k in range(n)
    ]
    segments = learning.classify_segments(pd.DataFrame(rows), page.frame)
    return dataclasses.replace(page, segments=segments)


def test_matrix_totals_of_hand_made_segments(hand_made: learning.LearningPage) -> None:
    """Every cell, «Alle» included, against counts worked by hand: drivers before the slash,
    barriers after it, «Alle» the sum over the units of each polarity separately."""
    frame = hand_made.frame
    counts = learning.driver_barrier_counts(hand_made.segments, frame)
    shown = learning.driver_barrier_matrix(counts, frame, hand_made.registry)
    assert list(shown.columns) == ["Fase", "Faktor", "NAV Oslo", "NAV Vestland", "Alle"]
    seen = set()
    for _, row in shown.iterrows():
        key = next(
            (
                (p, f)
                for p, f in HAND_MATRIX
                if row["Fase"] == frame.phase(p).label_nb and row["Faktor"] == frame.factor_label(f)
            ),
            None,
        )
        expected = HAND_MATRIX.get(key, {"NAV Oslo": NIL, "NAV Vestland": NIL, "Alle": NIL})
        assert row[list(expected)].to_dict() == expected, (row["Fase"], row["Faktor"])
        seen.add(key)
    assert set(HAND_MATRIX) <= seen


def test_table_population_and_local_code_counts_of_hand_made_segments(
    hand_made: learning.LearningPage,
) -> None:
    table = learning.driver_barrier_table(hand_made)
    assert table.population == "Kodede utsagn, N = 11"  # 2 + 1 + 1 + 2 + 1 + 3 + 1
    # tidligere-samarbeid (2) and kapasitet (2) are local codes
    assert any(note.startswith("4 utsagn er kodet med lokale koder") for note in table.notes)
    local = learning.local_codes_table(hand_made).frame["Utsagn"]
    assert local["GOV.REL.L1"] == "1" and local["B-GOV.L1"] == "1" and local["B-INT.L1"] == "2"
    others = local.drop(["GOV.REL.L1", "B-GOV.L1", "B-INT.L1"])
    assert len(others) > 0 and set(others) == {NIL}


def test_population_counts_come_from_the_yaml_files(page: learning.LearningPage) -> None:
    """The N of the learning point table and of the local codes table, counted in the raw
    YAML files (not through the loaders)."""
    n_points = len(_package_yaml(learning.LEARNING_POINTS_FILE)["learning_points"])
    table = learning.learning_point_table(page)
    assert table.population == f"Læringspunktene i statusrapporten, N = {n_points}"
    frame = _package_yaml(learning.CODING_FRAME_FILE)
    n_local = sum(
        item.get("origin") == "local"
        for phase in frame["phases"]
        for item in (*phase.get("practices", []), *phase.get("barriers", []))
    )
    assert n_local > 0
    assert learning.local_codes_table(page).population == f"Lokale koder, N = {n_local}"


def test_figure_of_hand_made_segments(hand_made: learning.LearningPage) -> None:
    """One box per non-zero (phase, factor, unit, polarity), labelled +n for drivers and −n for
    barriers; pairs without segments are left out of the figure."""
    fig = learning.driver_barrier_figure(hand_made)
    ax = fig.axes[0]
    boxes = sorted(p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith("db-"))
    assert boxes == sorted(
        [
            "db-GOV-ORG-nav-oslo-driver",
            "db-GOV-ORG-nav-oslo-barrier",
            "db-GOV-REL-nav-oslo-barrier",
            "db-INT-ORG-nav-oslo-barrier",
            "db-GOV-ORG-nav-vestland-driver",
            "db-GOV-ORG-nav-vestland-barrier",
            "db-GOV-REL-nav-vestland-driver",
        ]
    )
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["+2", "−1", "−1", "−2", "+1", "−3", "+1"])
    assert len(ax.get_yticklabels()) == 3


# --------------------------------------------------------------------------- learning points


def test_learning_point_matrix_follows_the_yaml(points, reg: Registry) -> None:
    matrix = learning.learning_point_matrix(points, reg)
    assert list(matrix.index) == [p.label for p in points.learning_points]
    named = set()
    for point in points.learning_points:
        for ev in point.evidence:
            cell = matrix.loc[point.label, reg.units[ev.unit].name]
            named.add((point.label, reg.units[ev.unit].name))
            for kind in ev.kinds:
                assert learning.EVIDENCE_KINDS[kind] in cell.lower()
            assert f"({learning.DIRECTIONS_NB[ev.direction]})" in cell
        if point.other_evidence:
            named.add((point.label, learning.OTHER_COLUMN))
    for label in matrix.index:
        for column in matrix.columns:
            if (label, column) not in named:
                assert matrix.loc[label, column] == ""
    # trial units come before mother counties and other units
    trial_units = {reg.units[u].name for u in reg.trial_units()}
    roles = [c in trial_units for c in matrix.columns if c != learning.OTHER_COLUMN]
    assert roles == sorted(roles, reverse=True)


def test_learning_point_matrix_changes_with_the_yaml(tmp_path: Path, reg: Registry) -> None:
    data = _package_yaml(learning.LEARNING_POINTS_FILE)
    data["learning_points"][0]["evidence"][0]["kinds"] = ["observation"]
    changed = learning.load_learning_points(_write(tmp_path, "lp.yaml", data), reg)
    matrix = learning.learning_point_matrix(changed, reg)
    unit = reg.units[data["learning_points"][0]["evidence"][0]["unit"]].name
    assert matrix.iloc[0][unit].startswith("Observasjon")


def test_learning_point_figure_has_one_marker_per_entry(page: learning.LearningPage) -> None:
    fig = learning.learning_point_figure(page)
    markers = [ln for ln in fig.axes[0].lines if (ln.get_gid() or "").startswith("lp-")]
    expected = sum(
        len(p.evidence) + (1 if p.other_evidence else 0) for p in page.points.learning_points
    )
    assert len(markers) == expected
    # direction is carried by the marker shape, not by colour alone
    shapes = {ln.get_marker() for ln in markers}
    assert {"^", "v"} <= shapes


def test_learning_point_list_uses_text_from_data(page: learning.LearningPage) -> None:
    text = learning.learning_point_list(page).data
    for point in page.points.learning_points:
        assert point.title_nb in text
        assert " ".join(point.text_nb.split()) in text
    # embedded into the learning chapter: no heading of its own, no source section numbers
    assert not re.search(r"^\s*#", text, re.M)
    for section in page.points.sections:
        assert f"**{section.title_nb}**" in text
        assert f"{section.number} {section.title_nb}" not in text


# --------------------------------------------------------------------------- fidelity vs results


def test_fidelity_results_count_registry_grades(page: learning.LearningPage) -> None:
    frame = learning.fidelity_results_frame(page.registry, page.indicators, page.config)
    assert sorted(frame["trial_id"]) == sorted(page.registry.trials)
    for _, row in frame.iterrows():
        trial = page.registry.trials[row["trial_id"]]
        model = page.registry.models[trial.model]
        grades = [a.grade for a in trial.adaptations]
        assert row["Kjerneelementer"] == len(model.core_elements)
        assert row["Ingen"] == grades.count("none")
        assert row["Mindre"] == grades.count("minor")
        assert row["Større"] == grades.count("major")
        assert row["Ikke vurdert"] == len(model.core_elements) - len(grades)


def test_fidelity_results_follow_the_data(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    log = pd.read_csv(folder / "activity_log.csv", dtype=str, keep_default_na=False)
    log.loc[log["record_id"] == "a-mr-anrop", "count"] = "72"
    log.to_csv(folder / "activity_log.csv", index=False)
    page = learning.load_page(folder)
    frame = learning.fidelity_results_frame(page.registry, page.indicators, page.config)
    text = frame.set_index("trial_id").loc["vt-more-og-romsdal", "Resultater"]
    assert "Anrop til veiledningstelefonen: ca. 72 (mål: ca. 90)" in text
    assert f"ca. {fmt_percent(72 / 90)}" in text  # 72 of the expected 90


def test_fidelity_results_apply_disclosure(page: learning.LearningPage) -> None:
    from coopstats import publication

    strict_cfg, open_cfg = DisclosureConfig(min_count=5), DisclosureConfig(min_count=1)
    strict = learning.fidelity_results_frame(
        page.registry, page.indicators, strict_cfg, publication.plan_for(page.datasets, strict_cfg)
    )
    open_ = learning.fidelity_results_frame(
        page.registry, page.indicators, open_cfg, publication.plan_for(page.datasets, open_cfg)
    )
    oslo_strict = strict.set_index("trial_id").loc["lengre-varighet-oslo", "Resultater"]
    oslo_open = open_.set_index("trial_id").loc["lengre-varighet-oslo", "Resultater"]
    assert f": {HIDDEN};" in oslo_strict
    assert f": {HIDDEN};" not in oslo_open


def test_fidelity_results_figure_bars_cover_core_elements(page: learning.LearningPage) -> None:
    fig = learning.fidelity_results_figure(page)
    frame = learning.fidelity_results_frame(page.registry, page.indicators, page.config)
    patches = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("fid-")]
    for _, row in frame.iterrows():
        mine = [p for p in patches if p.get_gid().startswith(f"fid-{row['trial_id']}-")]
        assert sum(p.get_width() for p in mine) == row["Kjerneelementer"]


# --------------------------------------------------------------------------- page outputs


def test_page_tables_and_figures(page: learning.LearningPage) -> None:
    for func in (
        learning.learning_point_table,
        learning.driver_barrier_table,
        learning.fidelity_results_table,
        learning.local_codes_table,
    ):
        table = func(page)
        assert isinstance(table, tables.Table), func.__name__
        assert table.title and table.source and table.notes
        assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())
    for func in (
        learning.learning_point_figure,
        learning.driver_barrier_figure,
        learning.fidelity_results_figure,
    ):
        assert isinstance(func(page), Figure), func.__name__
    assert isinstance(learning.learning_point_list(page), Markdown)


def test_local_codes_table_lists_every_local_item(page: learning.LearningPage) -> None:
    table = learning.local_codes_table(page)
    local = [i.id for _, _, i in page.frame.iter_items() if i.origin == "local"]
    assert list(table.frame.index) == local


def test_driver_barrier_figure_draws_nonzero_cells(page: learning.LearningPage) -> None:
    fig = learning.driver_barrier_figure(page)
    counts = learning.driver_barrier_counts(page.segments, page.frame)
    boxes = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("db-")]
    assert len(boxes) == int((counts.to_numpy() > 0).sum())
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert any(t.startswith("+") for t in texts) and any(t.startswith("−") for t in texts)


# --------------------------------------------------------------------------- notebook


def test_notebook_is_valid_stripped_and_labelled() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    scope: dict = {}
    exec(params[0].source, scope)  # noqa: S102 - our own parameters cell
    assert scope["data_dir"] == "../data/demo" and scope["min_count"] == 5
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            opts = dict(re.findall(r"^#\| ([\w-]+): (.*)$", cell.source, flags=re.M))
            if "label" in opts:
                found[opts["label"]] = opts
    assert set(found) >= LABELS
    for label in LABELS:
        key = "fig-cap" if label.startswith("fig-") else "tbl-cap"
        assert found[label].get(key), label
        if label.startswith("fig-"):
            assert len(found[label].get("fig-alt", "")) > 40, label


@pytest.mark.e2e
def test_notebook_executes_with_papermill(tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "laering.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"data_dir": str(DEMO)},
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


# --------------------------------------------------------------------------- small hand-made frame

P1 = {"source": "seed-001", "lines": "1"}
P0 = {"source": "seed-000", "lines": "1710-1941"}  # the learning points' chapter 5


def _item(id_: str, factor: str, label: str, codes: list[str], note: str | None = None) -> dict:
    item = {"id": id_, "factor": factor, "label_nb": label, "codes": codes, "provenance": P1}
    if note is not None:
        item.update(origin="local", note_nb=note)
    return item


#: A small coding frame: INT (order 2) listed before GOV (order 1); three local items.
TINY_FRAME = {
    "version": 1,
    "title_nb": "Lite kodeverk",
    "provenance": P1,
    "factors": [
        {"id": f, "label_nb": label, "description_nb": "x", "provenance": P1}
        for f, label in [
            ("CTX", "Kontekstuelle faktorer"),
            ("REL", "Relasjonelle faktorer"),
            ("ORG", "Organisatoriske faktorer"),
        ]
    ],
    "phases": [
        {
            "id": "INT",
            "order": 2,
            "label_nb": "Inntak",
            "factor_basis": {"practices": "inferred", "barriers": "inferred"},
            "provenance": P1,
            "practices": [
                _item("INT.CTX.01", "CTX", "Lovverk", ["lovverk", "lovverket", "lovverkene"])
            ],
            "barriers": [
                _item(
                    "B-INT.L1",
                    "ORG",
                    "Travle veiledere",
                    ["kapasitet"],
                    "Veilederne  har\nlite tid.",
                )
            ],
        },
        {
            "id": "GOV",
            "order": 1,
            "label_nb": "Styring",
            "factor_basis": {"practices": "explicit", "barriers": "inferred"},
            "provenance": P1,
            "practices": [
                _item("GOV.ORG.01", "ORG", "Forankring", ["forankring"]),
                _item(
                    "GOV.REL.L1",
                    "REL",
                    "Tidligere samarbeid",
                    ["tidligere-samarbeid"],
                    "Finnes ikke i rapporten.",
                ),
            ],
            "barriers": [
                _item("B-GOV.01", "ORG", "Manglende forankring", ["forankring"]),
                _item("B-GOV.L1", "REL", "Nytt samarbeid", ["nytt-samarbeid"], "Motstykket."),
            ],
        },
    ],
}
# (unit, phase, code, polarity, how many): 10 segments, 4 of them with local codes
TINY_SEGMENTS = [
    ("nav-oslo", "GOV", "forankring", "driver", 1),
    ("nav-oslo", "GOV", "forankring", "barrier", 2),
    ("nav-oslo", "GOV", "tidligere-samarbeid", "driver", 1),
    ("nav-vestland", "INT", "kapasitet", "barrier", 3),
    ("nav-vestland", "INT", "lovverk", "driver", 1),
    ("nav-vestland", "GOV", "forankring", "driver", 2),
]


def _segments(spec) -> pd.DataFrame:
    rows = [
        {"segment_id": f"s{i}-{k}", "unit_id": u, "phase": ph, "code": c, "polarity": pol}
        for i, (u, ph, c, pol, n) in enumerate(spec)
        for k in range(n)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny_frame(tmp_path_factory) -> learning.CodingFrame:
    path = tmp_path_factory.mktemp("frame") / learning.CODING_FRAME_FILE
    path.write_text(yaml.safe_dump(TINY_FRAME, allow_unicode=True), encoding="utf-8")
    return learning.load_coding_frame(path)


@pytest.fixture
def tiny(reg: Registry, tiny_frame: learning.CodingFrame) -> learning.LearningPage:
    from types import SimpleNamespace

    return learning.LearningPage(
        registry=reg,
        datasets=SimpleNamespace(directory=str(DEMO)),
        points=learning.LearningPoints.model_validate(TINY_POINTS),
        frame=tiny_frame,
        segments=learning.classify_segments(_segments(TINY_SEGMENTS), tiny_frame),
        indicators=pd.DataFrame(),
        config=DisclosureConfig(min_count=3),
    )


def test_classified_segments_carry_their_item(tiny: learning.LearningPage) -> None:
    seg = tiny.segments.set_index("segment_id")
    columns = ["phase_order", "phase_label", "factor", "factor_label", "item_id", "item_label"]
    columns.append("origin")
    assert seg.loc["s2-0", columns].tolist() == [
        1,
        "Styring",
        "REL",
        "Relasjonelle faktorer",
        "GOV.REL.L1",
        "Tidligere samarbeid",
        "local",
    ]
    assert seg.loc["s1-1", columns].tolist() == [
        1,
        "Styring",
        "ORG",
        "Organisatoriske faktorer",
        "B-GOV.01",
        "Manglende forankring",
        "seed",
    ]
    assert seg.loc["s3-0", columns].tolist() == [
        2,
        "Inntak",
        "ORG",
        "Organisatoriske faktorer",
        "B-INT.L1",
        "Travle veiledere",
        "local",
    ]


def test_unknown_codes_message_in_full(tiny_frame: learning.CodingFrame) -> None:
    segments = pd.DataFrame(
        [
            {"segment_id": "x1", "unit_id": "nav-oslo", "phase": "GOV", "code": "ukjent"},
            {"segment_id": "x2", "unit_id": "nav-oslo", "phase": "GOV", "code": "forankring"},
            {"segment_id": "ok", "unit_id": "nav-oslo", "phase": "GOV", "code": "forankring"},
            {"segment_id": "x3", "unit_id": "nav-oslo", "phase": "INT", "code": "forankring"},
            {"segment_id": "x4", "unit_id": "nav-oslo", "phase": "XYZ", "code": "forankring"},
            {"segment_id": "x5", "unit_id": "nav-oslo", "phase": "GOV", "code": "lovverke"},
            {"segment_id": "x6", "unit_id": "nav-oslo", "phase": "GOV", "code": "samarbeid"},
        ]
    ).assign(polarity=["driver", "begge", "barrier", "driver", "driver", "driver", "barrier"])
    with pytest.raises(learning.UnknownCodeError) as err:
        learning.classify_segments(segments, tiny_frame)
    assert str(err.value) == (
        "6 coded segment(s) do not match coding_frame.yaml:\n"
        "  segments.csv: segment x1: code 'ukjent' is not a driver code of phase GOV\n"
        "  segments.csv: segment x2: polarity 'begge': expected 'driver' or 'barrier'\n"
        "  segments.csv: segment x3: code 'forankring' is not a driver code of phase INT; "
        "it is coded under GOV/driver (GOV.ORG.01), GOV/barrier (B-GOV.01)\n"
        "  segments.csv: segment x4: phase 'XYZ' is not in the coding frame "
        "(expected one of GOV, INT)\n"
        "  segments.csv: segment x5: code 'lovverke' is not a driver code of phase GOV; "
        "did you mean 'lovverket', 'lovverk'?\n"
        "  segments.csv: segment x6: code 'samarbeid' is not a barrier code of phase GOV; "
        "did you mean 'nytt-samarbeid'?\n"
        "Add the code to an item's `codes` (or a new local item) in the coding frame, "
        "or correct the segment."
    )
    problems = [(p.segment_id, p.phase, p.code, p.polarity) for p in err.value.problems]
    assert problems == [
        ("x1", "GOV", "ukjent", "driver"),
        ("x2", "GOV", "forankring", "begge"),
        ("x3", "INT", "forankring", "driver"),
        ("x4", "XYZ", "forankring", "driver"),
        ("x5", "GOV", "lovverke", "driver"),
        ("x6", "GOV", "samarbeid", "barrier"),
    ]


def test_local_codes_table_in_full(tiny: learning.LearningPage) -> None:
    table = learning.local_codes_table(tiny)
    assert table.title == "Lokale koder i kodeverket"
    assert table.population == "Lokale koder, N = 3"
    assert table.source == "Prosjektets kodeverk: koder lagt til kodeverket fra rapport 17/2022"
    assert table.notes == ["Utsagn = antall kodede utsagn i datagrunnlaget med koden; - = ingen."]
    frame = table.frame
    assert frame.index.name == "Kode"
    assert list(frame.columns) == ["Fase", "Type", "Betegnelse", "Begrunnelse", "Utsagn"]
    # phase order (GOV before INT), drivers before barriers; the note's spaces normalised
    assert frame.reset_index().to_numpy().tolist() == [
        ["GOV.REL.L1", "Styring", "Driver", "Tidligere samarbeid", "Finnes ikke i rapporten.", "1"],
        ["B-GOV.L1", "Styring", "Barriere", "Nytt samarbeid", "Motstykket.", NIL],
        ["B-INT.L1", "Inntak", "Barriere", "Travle veiledere", "Veilederne har lite tid.", "3"],
    ]


def test_driver_barrier_table_in_full(tiny: learning.LearningPage) -> None:
    table = learning.driver_barrier_table(tiny)
    assert table.title == "Drivere og barrierer etter fase, faktor og fylke"
    assert table.population == "Kodede utsagn, N = 10"
    assert table.source == (
        "Kodede utsagn fra statusrapporten og delrapport 1 i datagrunnlag demo, kodet etter "
        "kodeverket i Dahle, Jones og Møller (2022): Rapport 17/2022, kapittel 3–7"
    )
    assert table.notes == [
        "Tall = antall kodede utsagn: drivere / barrierer. - = ingen utsagn.",
        "Tallene er utsagn, ikke personer eller fylker, og er ikke et mål på styrke.",
        "4 utsagn er kodet med lokale koder som ikke finnes i rapport 17/2022 "
        "(se tabellen over lokale koder).",
        "Faktor for fase 2–6 og for barrierer er tildelt av evaluatorene (rapport 17/2022 "
        "bruker faktortypene eksplisitt bare for styring og koordinering).",
    ]
    assert list(table.frame.columns) == ["Fase", "Faktor", "NAV Oslo", "NAV Vestland", "Alle"]
    assert table.frame.to_numpy().tolist() == [
        ["Styring", "Relasjonelle faktorer", "1 / 0", NIL, "1 / 0"],
        ["Styring", "Organisatoriske faktorer", "1 / 2", "2 / 0", "3 / 2"],
        ["Inntak", "Kontekstuelle faktorer", NIL, "1 / 0", "1 / 0"],
        ["Inntak", "Organisatoriske faktorer", NIL, "0 / 3", "0 / 3"],
    ]


# --------------------------------------------------------------------------- learning points, small

TINY_POINTS = {
    "version": 1,
    "provenance": P0,
    "sections": [
        {"id": "informasjon", "number": "5.2", "title_nb": "Informasjon", "provenance": P0},
        {"id": "styring", "number": "5.1", "title_nb": "Styring", "provenance": P0},
    ],
    "learning_points": [
        {
            "id": "lp-forankring",
            "number": 1,
            "section": "styring",
            "title_nb": "Forankring",
            "text_nb": "Forankring  på alle\nnivåer hjelper.",
            "provenance": P0,
            "evidence": [
                {
                    "unit": "nav-vestland",
                    "kinds": ["observation"],
                    "direction": "mixed",
                    "note_nb": "x",
                    "provenance": P0,
                },
                {
                    "unit": "nav-oslo",
                    "kinds": ["interview", "document"],
                    "direction": "positive",
                    "note_nb": "x",
                    "provenance": P0,
                },
            ],
        },
        {
            "id": "lp-informasjon",
            "number": 2,
            "section": "informasjon",
            "title_nb": "Informasjon",
            "text_nb": "Gi informasjon tidlig.",
            "provenance": P0,
            "evidence": [
                {
                    "unit": "nav-vestland",
                    "kinds": ["interview"],
                    "direction": "negative",
                    "note_nb": "x",
                    "provenance": P0,
                }
            ],
            "other_evidence": [{"kind": "literature", "description_nb": "x", "provenance": P0}],
        },
        {
            "id": "lp-arbeidsgruppe",
            "number": 3,
            "section": "styring",
            "title_nb": "Arbeidsgruppe",
            "text_nb": "Felles arbeidsgruppe.",
            "provenance": P0,
            "evidence": [
                {
                    "unit": "nav-oslo",
                    "kinds": ["workshop"],
                    "direction": "positive",
                    "note_nb": "x",
                    "provenance": P0,
                }
            ],
        },
    ],
}


def test_learning_point_list_in_full(tiny: learning.LearningPage) -> None:
    assert learning.learning_point_list(tiny).data == (
        "**Informasjon**\n\n"
        "2. **Informasjon.** Gi informasjon tidlig.\n\n"
        "**Styring**\n\n"
        "1. **Forankring.** Forankring på alle nivåer hjelper.\n\n"
        "3. **Arbeidsgruppe.** Felles arbeidsgruppe."
    )


def test_learning_point_table_in_full(tiny: learning.LearningPage) -> None:
    table = learning.learning_point_table(tiny)
    assert table.title == "Læringspunkter og fylkene de bygger på"
    assert table.population == "Læringspunktene i statusrapporten, N = 3"
    assert table.source == (
        "ideas2evidence og Proba samfunnsanalyse (2026): Første statusrapport, kapittel 5"
    )
    assert table.notes == [
        "Cellene viser hva slags belegg fylket gir for læringspunktet (intervju, dokument, "
        "aktivitetstall, observasjon, erfaringssamling, workshop, litteratur).",
        "I parentes: positiv = fylket gjorde grepet, og det virket; negativ = fylket manglet "
        "grepet eller møtte problemet; blandet = begge deler. Tom celle = fylket er ikke "
        "nevnt for læringspunktet.",
        "Andre kilder = litteratur og andre prosjekter enn forsøkene.",
    ]
    frame = table.frame
    assert frame.index.name == "Læringspunkt"
    assert list(frame.index) == ["1. Forankring", "2. Informasjon", "3. Arbeidsgruppe"]
    assert list(frame.columns) == ["NAV Oslo", "NAV Vestland", "Andre kilder"]
    assert frame.to_numpy().tolist() == [
        ["Intervju, dokument (positiv)", "Observasjon (blandet)", ""],
        ["", "Intervju (negativ)", "Litteratur"],
        ["Workshop (positiv)", "", ""],
    ]


# --------------------------------------------------------------------------- fidelity table


def test_fidelity_results_table_in_full(monkeypatch, tiny: learning.LearningPage) -> None:
    """Headers, cells, notes and disclosure metadata of the table, from a hand-made frame
    (the frame's own numbers are tested against the registry above)."""
    from coopstats import publication

    frame = pd.DataFrame(
        [
            ["t-a", "m-a", "Modell A", "NAV Oslo", "Pågår", 6, 2, 1, 0, 3, "Deltakere: 26"],
            ["t-b", "m-b", "Modell B", "NAV Vestland", "Planlagt", 4, 0, 1, 3, 0, "Ingen"],
        ],
        columns=[
            "trial_id",
            "model_id",
            "Modell",
            "Fylke",
            "Status",
            "Kjerneelementer",
            "Ingen",
            "Mindre",
            "Større",
            "Ikke vurdert",
            "Resultater",
        ],
    )
    frame.attrs["sdc_items"] = ["item-a", "item-b"]

    class Plan:
        def metadata(self, items):
            return {"facts": list(items)}

    monkeypatch.setattr(learning, "fidelity_results_frame", lambda *a: frame)
    monkeypatch.setattr(publication, "plan_for", lambda *a: Plan())
    page = dataclasses.replace(tiny, config=DisclosureConfig(min_count=3, reproduce_published=True))
    table = learning.fidelity_results_table(page)
    assert table.title == "Trofasthet mot kjerneelementene og resultater per forsøk"
    assert table.population == "Alle forsøk i registeret, N = 2"
    assert table.source == (
        "Evaluatorenes gradering av tilpasningene og indikatorer beregnet fra datagrunnlag demo"
    )
    assert table.notes == [
        "Ingen/Mindre/Større = antall kjerneelementer med ingen, mindre eller større "
        "tilpasning; Ikke vurdert = elementer statusrapporten ikke omtaler.",
        "Resultater = indikatorer på nivåene aktiviteter, resultater og brukereffekter. "
        "ca. = omtrentlig; .. = ikke rapportert; : = skjult av personvernhensyn "
        "(færre enn 3 personer).",
        "Sammenstillingen viser samvariasjon i et fåtall forsøk, ikke årsakssammenhenger.",
    ]
    assert (
        table.stamp == "Gjengir publiserte tall uten skjerming av små celler (reproduce_published)"
    )
    assert table.disclosure == {"facts": ["item-a", "item-b"]}
    shown = table.frame
    assert shown.index.name == "Modell" and list(shown.index) == ["Modell A", "Modell B"]
    assert list(shown.columns) == [
        "Fylke",
        "Status",
        "Kjerneelementer",
        "Ingen",
        "Mindre",
        "Større",
        "Ikke vurdert",
        "Resultater",
    ]
    assert shown.to_numpy().tolist() == [
        ["NAV Oslo", "Pågår", "6", "2", "1", "0", "3", "Deltakere: 26"],
        ["NAV Vestland", "Planlagt", "4", "0", "1", "3", "0", "Ingen"],
    ]


def test_fidelity_results_table_records_the_person_figures_it_shows(
    page: learning.LearningPage,
) -> None:
    """The disclosure metadata (read by the audit) lists the person-level values the table
    shows: in the demo the participant figures of the three trials of «lengre varighet»,
    Oslo's count of participants still in training hidden (the table shows «:»)."""
    facts = learning.fidelity_results_table(page).disclosure["facts"]
    cells = {tuple(map(tuple, f["cell"])): f for f in facts}
    units = {dict(cell)["unit"] for cell in cells}
    assert units == {"nav-oslo", "nav-vestland", "nav-ost-viken"}
    oslo = (("model", "lengre-varighet"), ("unit", "nav-oslo"))
    assert cells[oslo]["shown"] == "count" and cells[oslo]["value"] == 26
    aktiv = (("model", "lengre-varighet"), ("status", "aktiv"), ("unit", "nav-oslo"))
    assert cells[aktiv]["shown"] == "hidden" and "value" not in cells[aktiv]


# --------------------------------------------------------------------------- load_page


def test_load_page_uses_the_defaults() -> None:
    page = learning.load_page(DEMO)  # not the module fixture: the test must reach load_page
    assert page.config == DisclosureConfig(min_count=5, reproduce_published=False)
    assert Path(page.datasets.directory).name == "demo"
    assert len(page.segments) == len(read_table(DEMO / "segments.csv", "segments"))
    assert len(page.indicators) > 0 and page.registry.units["nav-oslo"].name == "NAV Oslo"


def test_load_page_options(tmp_path: Path) -> None:
    points = _package_yaml(learning.LEARNING_POINTS_FILE)
    points["learning_points"][0]["title_nb"] = "Endret tittel"
    frame = _package_yaml(learning.CODING_FRAME_FILE)
    frame["title_nb"] = "Endret kodeverk"
    page = learning.load_page(
        DEMO,
        min_count=3,
        reproduce_published=True,
        learning_points=_write(tmp_path, "lp.yaml", points),
        coding_frame=_write(tmp_path, "cf.yaml", frame),
    )
    assert page.config == DisclosureConfig(min_count=3, reproduce_published=True)
    assert page.points.learning_points[0].title_nb == "Endret tittel"
    assert page.frame.title_nb == "Endret kodeverk"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["phases"][1]["practices"][0].update(factor="XXX"),
            "phases[1].practices[0].factor: expected one of CTX, ORG, REL (got 'XXX')",
        ),
        (
            lambda d: d["phases"][1]["practices"][0].update(id="GOV.ORG.1"),
            "phases[1].practices[0].id: expected an id like 'GOV.ORG.NN' (phase, factor, "
            "origin) (got 'GOV.ORG.1')",
        ),
        (
            lambda d: d["phases"][1]["practices"][1].update(id="GOV.REL.01"),
            "phases[1].practices[1].id: expected an id like 'GOV.REL.L1' (phase, factor, "
            "origin) (got 'GOV.REL.01')",
        ),
        (
            lambda d: d["phases"][1]["barriers"][0].update(id="B-GOV.L2"),
            "phases[1].barriers[0].id: expected an id like 'B-GOV.NN' (phase, factor, origin) "
            "(got 'B-GOV.L2')",
        ),
        (
            lambda d: d["phases"][1]["barriers"][1].update(id="B-GOV.02"),
            "phases[1].barriers[1].id: expected an id like 'B-GOV.L1' (phase, factor, origin) "
            "(got 'B-GOV.02')",
        ),
        (
            lambda d: d["phases"][0]["barriers"][0].pop("note_nb"),
            "phases[0].barriers[0].note_nb: expected a note saying why a local code is needed "
            "(got None)",
        ),
        (
            lambda d: d["phases"][0]["practices"][0].update(sub="dur"),
            "phases[0].practices[0].sub: expected one of [] (got 'dur')",
        ),
    ],
)
def test_coding_frame_item_messages_in_full(tmp_path: Path, edit, expected) -> None:
    data = copy.deepcopy(TINY_FRAME)
    edit(data)
    path = _write(tmp_path, learning.CODING_FRAME_FILE, data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame(path)
    assert str(err.value) == f"coding_frame.yaml: {expected}"


def _dup_item(d: dict) -> None:
    d["phases"][1]["practices"][1] = {**d["phases"][1]["practices"][0], "codes": ["annen"]}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["factors"][2].update(id="CTX"),
            "factors: expected unique factor ids (got ['CTX', 'REL', 'CTX'])",
        ),
        (
            lambda d: d["phases"][0].update(id="GOV"),
            "phases: expected unique phase ids (got ['GOV', 'GOV'])",
        ),
        (
            lambda d: d["phases"][0].update(order=1),
            "phases: expected unique phase orders (got [1, 1])",
        ),
        (
            _dup_item,
            "phases[1].practices[1].id: expected an id used once in the frame (got 'GOV.ORG.01')",
        ),
        (
            lambda d: d["phases"][1]["practices"][1].update(parent="GOV.ORG.99"),
            "phases[1].practices[1].parent: expected another id in practices (got 'GOV.ORG.99')",
        ),
        (
            lambda d: d["phases"][1]["practices"][0].update(parent="GOV.ORG.01"),
            "phases[1].practices[0].parent: expected another id in practices (got 'GOV.ORG.01')",
        ),
        (
            lambda d: d["phases"][1]["barriers"][1].update(codes=["nytt-samarbeid", "forankring"]),
            "phases[1].barriers[1].codes[1]: expected a code used by one barrier of phase GOV "
            "(also used by B-GOV.01) (got 'forankring')",
        ),
    ],
)
def test_coding_frame_messages_in_full(tmp_path: Path, edit, expected) -> None:
    data = copy.deepcopy(TINY_FRAME)
    edit(data)
    path = _write(tmp_path, "mitt-kodeverk.yaml", data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame(path)
    assert str(err.value) == f"mitt-kodeverk.yaml: {expected}"


def test_coding_frame_accepts_parents_and_shared_codes(tmp_path: Path) -> None:
    """A parent among the same list is fine, and one code may name a driver and a barrier."""
    data = copy.deepcopy(TINY_FRAME)
    data["phases"][1]["practices"][1]["parent"] = "GOV.ORG.01"
    frame = learning.load_coding_frame(_write(tmp_path, "cf.yaml", data))
    assert frame.lookup("GOV", "driver", "tidligere-samarbeid").parent == "GOV.ORG.01"
    assert frame.lookup("GOV", "driver", "forankring").id == "GOV.ORG.01"
    assert frame.lookup("GOV", "barrier", "forankring").id == "B-GOV.01"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["sections"][0].update(models=["lengre-varighet", "ukjent-modell"]),
            "sections[0].models[1]: expected a model id (got 'ukjent-modell')",
        ),
        (
            lambda d: d["learning_points"][2].update(id="lp-forankring"),
            "learning_points[2].id: expected a unique id (got 'lp-forankring')",
        ),
        (
            lambda d: d["learning_points"][1].update(number=3),
            "learning_points[1].number: expected 2 (numbers run 1…n in file order) (got 3)",
        ),
        (
            lambda d: d["learning_points"][0].update(section="ukjent"),
            "learning_points[0].section: expected one of ['informasjon', 'styring'] (got 'ukjent')",
        ),
        (
            lambda d: d["learning_points"][0]["evidence"][1].update(unit="nav-atlantis"),
            "learning_points[0].evidence[1].unit: expected a unit id of the registry "
            "(got 'nav-atlantis')",
        ),
        (
            lambda d: d["learning_points"][0]["evidence"][1].update(unit="nav-vestland"),
            "learning_points[0].evidence[1].unit: expected each unit once per point "
            "(got 'nav-vestland')",
        ),
    ],
)
def test_learning_points_messages_in_full(tmp_path: Path, reg: Registry, edit, expected) -> None:
    data = copy.deepcopy(TINY_POINTS)
    edit(data)
    path = _write(tmp_path, "mine-punkter.yaml", data)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_learning_points(path, reg)
    assert str(err.value) == f"mine-punkter.yaml: {expected}"


def test_learning_points_check_units_against_the_packaged_registry(tmp_path: Path) -> None:
    data = copy.deepcopy(TINY_POINTS)
    data["sections"][0]["models"] = ["lengre-varighet"]
    points = learning.load_learning_points(_write(tmp_path, "lp.yaml", data))
    assert [p.id for p in points.learning_points] == [
        "lp-forankring",
        "lp-informasjon",
        "lp-arbeidsgruppe",
    ]
    data["learning_points"][2]["evidence"][0]["unit"] = "nav-atlantis"
    with pytest.raises(learning.LearningDataError, match="nav-atlantis"):
        learning.load_learning_points(_write(tmp_path, "lp.yaml", data))


def test_each_kind_of_evidence_once(tmp_path: Path, reg: Registry) -> None:
    data = copy.deepcopy(TINY_POINTS)
    data["learning_points"][0]["evidence"][1]["kinds"] = ["interview", "interview"]
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_learning_points(_write(tmp_path, "lp.yaml", data), reg)
    assert "learning_points[0].evidence[1].kinds" in str(err.value)
    assert "expected each kind of evidence once" in str(err.value)


def test_trial_units_come_before_a_mother_county_listed_earlier() -> None:
    """Column order is by role first (trial unit, mother county, other), registry order second;
    here the registry lists the mother county first."""
    from types import SimpleNamespace

    fake = SimpleNamespace(
        units={
            "nav-vestland": SimpleNamespace(name="Morfylket"),
            "nav-oslo": SimpleNamespace(name="Forsøksfylket"),
        },
        trial_units=lambda: ["nav-oslo"],
        models={
            "m": SimpleNamespace(mother_unit="nav-vestland"),
            "n": SimpleNamespace(mother_unit=None),
        },
    )
    points = learning.LearningPoints.model_validate(TINY_POINTS)
    matrix = learning.learning_point_matrix(points, fake)
    assert list(matrix.columns) == ["Forsøksfylket", "Morfylket", "Andre kilder"]


def test_local_codes_table_without_local_codes(tmp_path: Path, reg: Registry) -> None:
    data = copy.deepcopy(TINY_FRAME)
    for phase in data["phases"]:
        for key in ("practices", "barriers"):
            phase[key] = [i for i in phase[key] if i.get("origin") != "local"]
    frame = learning.load_coding_frame(_write(tmp_path, "cf.yaml", data))
    segments = learning.classify_segments(_segments(TINY_SEGMENTS[:2]), frame)
    page = learning.LearningPage(reg, None, None, frame, segments, pd.DataFrame(), None)
    table = learning.local_codes_table(page)
    assert table.population == "Lokale koder, N = 0"
    assert table.frame.index.name == "Kode" and len(table.frame) == 0
    assert list(table.frame.columns) == ["Fase", "Type", "Betegnelse", "Begrunnelse", "Utsagn"]


def test_evidence_frame_in_full(reg: Registry) -> None:
    points = learning.LearningPoints.model_validate(TINY_POINTS)
    long = learning.evidence_frame(points, reg)
    assert list(long.columns) == [
        "lp_id",
        "number",
        "label",
        "section",
        "unit_id",
        "column",
        "kinds",
        "direction",
    ]
    rows = [[None if pd.isna(v) else v for v in row] for row in long.to_numpy().tolist()]
    assert rows == [
        ["lp-forankring", 1, "1. Forankring", "styring", "nav-vestland", "NAV Vestland",
         ("observation",), "mixed"],
        ["lp-forankring", 1, "1. Forankring", "styring", "nav-oslo", "NAV Oslo",
         ("interview", "document"), "positive"],
        ["lp-informasjon", 2, "2. Informasjon", "informasjon", "nav-vestland", "NAV Vestland",
         ("interview",), "negative"],
        ["lp-informasjon", 2, "2. Informasjon", "informasjon", None, "Andre kilder",
         ("literature",), None],
        ["lp-arbeidsgruppe", 3, "3. Arbeidsgruppe", "styring", "nav-oslo", "NAV Oslo",
         ("workshop",), "positive"],
    ]  # fmt: skip


def test_counts_of_a_few_segments_in_full(tiny_frame: learning.CodingFrame) -> None:
    """Every (phase, factor) row of the frame and both polarities of every unit, zeros too."""
    segments = _segments(
        [
            ("nav-oslo", "GOV", "forankring", "driver", 2),
            ("nav-vestland", "INT", "kapasitet", "barrier", 1),
        ]
    )
    counts = learning.driver_barrier_counts(
        learning.classify_segments(segments, tiny_frame), tiny_frame
    )
    assert counts.index.names == ["phase", "factor"]
    assert counts.columns.names == ["unit_id", "polarity"]
    assert list(counts.index) == [("GOV", "REL"), ("GOV", "ORG"), ("INT", "CTX"), ("INT", "ORG")]
    assert list(counts.columns) == [
        ("nav-oslo", "driver"),
        ("nav-oslo", "barrier"),
        ("nav-vestland", "driver"),
        ("nav-vestland", "barrier"),
    ]
    assert counts.to_numpy().tolist() == [[0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]


def test_counts_without_segments(tiny_frame: learning.CodingFrame) -> None:
    empty = pd.DataFrame(columns=["segment_id", "unit_id", "phase", "code", "polarity"])
    counts = learning.driver_barrier_counts(
        learning.classify_segments(empty, tiny_frame), tiny_frame
    )
    assert counts.shape == (4, 0)
    assert list(counts.index) == [("GOV", "REL"), ("GOV", "ORG"), ("INT", "CTX"), ("INT", "ORG")]


def test_a_definitions_folder_replaces_the_packaged_files(
    tmp_path: Path, monkeypatch, reg: Registry
) -> None:
    """With COOPSTATS_DEFINITIONS_DIR the loaders read the folder's files; the messages name
    the file as it is called there."""
    _write(tmp_path, learning.CODING_FRAME_FILE, TINY_FRAME)
    _write(tmp_path, learning.LEARNING_POINTS_FILE, TINY_POINTS)
    monkeypatch.setenv("COOPSTATS_DEFINITIONS_DIR", str(tmp_path))
    assert learning.load_coding_frame().title_nb == "Lite kodeverk"
    points = learning.load_learning_points(registry=reg)
    assert [p.id for p in points.learning_points] == [
        "lp-forankring",
        "lp-informasjon",
        "lp-arbeidsgruppe",
    ]
    broken = copy.deepcopy(TINY_FRAME)
    broken["phases"][0]["order"] = 1
    _write(tmp_path, learning.CODING_FRAME_FILE, broken)
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame()
    assert str(err.value) == "coding_frame.yaml: phases: expected unique phase orders (got [1, 1])"


def _result_labels(text: str) -> list[str]:
    return [part.split(": ")[0] for part in text.split("; ")]


def test_fidelity_results_frame_columns_status_and_results(page: learning.LearningPage) -> None:
    """Per trial: the Norwegian status and its outcome indicators (levels aktiviteter,
    resultater, brukereffekter, not those not defined for it) in chain order; a trial without
    any says so."""
    from coopstats.modell import STATUS_NB

    values = page.indicators
    no_outcomes = "moteplassen-innlandet"
    values = values[values["trial_id"] != no_outcomes]
    frame = learning.fidelity_results_frame(page.registry, values, page.config)
    assert list(frame.columns) == [
        "trial_id",
        "model_id",
        "Modell",
        "Fylke",
        "Status",
        "Kjerneelementer",
        "Ingen",
        "Mindre",
        "Større",
        "Ikke vurdert",
        "Resultater",
    ]
    levels = {"aktiviteter": 0, "resultater": 1, "brukereffekter": 2}
    for _, row in frame.iterrows():
        trial = page.registry.trials[row["trial_id"]]
        assert row["Status"] == STATUS_NB[trial.status]
        if row["trial_id"] == no_outcomes:
            assert row["Resultater"] == "Ingen resultatindikatorer definert"
            continue
        own = values[
            (values["trial_id"] == trial.id)
            & (values["kind"] != "not_defined")
            & values["chain_level"].isin(list(levels))
        ]
        expected = sorted(
            zip(own["chain_level"], range(len(own)), own["label_nb"], strict=True),
            key=lambda t: (levels[t[0]], t[1]),
        )
        assert _result_labels(row["Resultater"]) == [label for _, _, label in expected]
    # the demo has outcomes at two levels for «lengre varighet»: resultater before brukereffekter
    oslo = frame.set_index("trial_id").loc["lengre-varighet-oslo", "Resultater"]
    assert _result_labels(oslo)[-1] == "Andel med fagbrev"


def test_fidelity_results_frame_orders_trials_by_model_then_start(
    page: learning.LearningPage,
) -> None:
    old = page.registry
    trials = dict(old.trials)
    oslo = trials["lengre-varighet-oslo"]
    trials[oslo.id] = oslo.model_copy(update={"period_start": date(2024, 1, 1)})
    registry = Registry(dict(old.units), dict(old.models), trials, old.county_map)
    frame = learning.fidelity_results_frame(registry, page.indicators, page.config)
    model_order = list(registry.models)
    expected = sorted(
        registry.trials.values(), key=lambda t: (model_order.index(t.model), t.period_start, t.id)
    )
    assert list(frame["trial_id"]) == [t.id for t in expected]
    lengre = [t for t in frame["trial_id"] if t.startswith("lengre-varighet")]
    assert lengre == [
        "lengre-varighet-ost-viken",
        "lengre-varighet-vestland",
        "lengre-varighet-oslo",
    ]


def test_unknown_phase_is_a_key_error(tiny_frame: learning.CodingFrame) -> None:
    with pytest.raises(KeyError, match="XYZ"):
        tiny_frame.phase("XYZ")


def test_unexpected_key_suggests_the_known_one(tmp_path: Path) -> None:
    data = copy.deepcopy(TINY_FRAME)
    data["phases"][0]["ordr"] = 3
    with pytest.raises(learning.LearningDataError) as err:
        learning.load_coding_frame(_write(tmp_path, "cf.yaml", data))
    assert str(err.value) == (
        "cf.yaml: phases[0].ordr: unexpected key (not part of the schema); mente du «order»?"
    )
