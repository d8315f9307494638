"""Tests for coopstats.learning: data files, validation, matrices, figures and the notebook."""

from __future__ import annotations

import dataclasses
import re
import shutil
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
