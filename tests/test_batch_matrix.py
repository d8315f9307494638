"""The run matrix: runs.yaml, expansion from registry and data, --only, config errors."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from coopstats.batch import build_run_matrix, project_root
from coopstats.registry import load_registry
from coopstats.runmatrix import (
    RunMatrixError,
    load_config,
    packaged_config,
    parse_config,
    participant_scopes,
    row_scope,
    select,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
ENTRY = {"name": "x", "notebook": "n.ipynb", "output": "o.ipynb", "each": "unit"}
PACKAGED = ROOT / "src" / "coopstats" / "definitions" / "runs.yaml"
DEFAULT_CONFIG = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))


def _notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("unit = 'x'")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, path)
    return path


def test_the_packaged_runs_yaml_is_the_only_run_matrix():
    # one file holds the matrix: no copy at the project root, none in Python
    assert not (ROOT / "runs.yaml").exists()
    assert not hasattr(__import__("coopstats.runmatrix").runmatrix, "DEFAULT_CONFIG")
    raw, shown = packaged_config()
    assert raw == DEFAULT_CONFIG and Path(shown) == PACKAGED
    config = load_config(ROOT)
    assert config.source == str(PACKAGED) and config.root == ROOT
    assert config.output_dir == ROOT / "_build" / "notebooks"
    assert project_root(ROOT / "notebooks") == ROOT


def test_a_project_runs_yaml_replaces_the_packaged_one(tmp_path):
    assert load_config(tmp_path).source == str(PACKAGED)
    own = {**DEFAULT_CONFIG, "notebooks": [ENTRY], "output_dir": "ut"}
    (tmp_path / "runs.yaml").write_text(yaml.safe_dump(own), encoding="utf-8")
    config = load_config(tmp_path)
    assert config.source == str(tmp_path / "runs.yaml")
    assert [e.name for e in config.notebooks] == ["x"] and config.output_dir == tmp_path / "ut"


def test_fylke_runs_come_from_the_registry_with_papermill_parameters(tmp_path):
    registry = load_registry()
    specs = build_run_matrix(ROOT, DEMO, registry, out_dir=tmp_path, min_count=3)
    fylke = [s for s in specs if s.entry == "fylke"]
    assert [s.parameters["unit"] for s in fylke] == registry.trial_units()
    oslo = next(s for s in fylke if s.tags == ("nav-oslo",))
    assert oslo.output == tmp_path / "fylke-nav-oslo.ipynb"
    assert oslo.notebook == ROOT / "notebooks" / "fylke.ipynb"
    assert oslo.parameters == {
        "unit": "nav-oslo",
        "data_dir": str(DEMO.resolve()),
        "period": "",
        "min_count": 3,  # a whole-placeholder value keeps its type
        "reproduce_published": False,
    }
    oslo_trials = {t.id for t in registry.trials_for_unit("nav-oslo")}
    assert oslo.rows.kind == "unit" and set(oslo.rows.trials) == oslo_trials


def test_optional_notebooks_join_only_when_they_exist(tmp_path):
    config = parse_config(DEFAULT_CONFIG, tmp_path)
    _notebook(tmp_path / "notebooks" / "fylke.ipynb")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "midtveisnotat.qmd").write_text("---\nsiden: 2025-01-01\n---\n")
    names = {s.entry for s in build_run_matrix(tmp_path, DEMO, config=config)}
    assert names == {"fylke", "midtveis"}  # both run notebooks/fylke.ipynb
    _notebook(tmp_path / "notebooks" / "deltakere.ipynb")
    specs = build_run_matrix(tmp_path, DEMO, config=config)
    runs = [s for s in specs if s.entry == "deltakere"]
    scopes = [(s.parameters["model"], s.parameters["scope"]) for s in runs]
    assert scopes == participant_scopes(DEMO)
    assert scopes[0] == ("lengre-varighet", "alle")
    assert {s for _, s in scopes[1:]} == {"nav-oslo", "nav-ost-viken", "nav-vestland"}
    assert runs[0].name == "deltakere-lengre-varighet-alle"
    assert set(runs[0].tags) == {"lengre-varighet", "alle"}
    _notebook(tmp_path / "notebooks" / "modell.ipynb")
    specs = build_run_matrix(tmp_path, DEMO, config=config)
    models = {s.parameters["model"] for s in specs if s.entry == "modell"}
    assert models == {t.model for t in load_registry().trials.values()}


def test_participant_scopes_follow_the_data(tmp_path):
    (tmp_path / "participants.csv").write_text(
        "person_id,unit_id,trial_id\n"
        "P1,nav-vestland,lengre-varighet-vestland\n"
        "P2,nav-oslo,lengre-varighet-oslo\n"
        "P3,nav-innlandet,moteplassen-innlandet\n"
        "P4,nav-oslo,ukjent-forsok\n",
        encoding="utf-8",
    )
    # per model in registry order; a trial the registry does not know belongs to no page
    assert participant_scopes(tmp_path) == [
        ("moteplassen", "alle"),
        ("moteplassen", "nav-innlandet"),
        ("lengre-varighet", "alle"),
        ("lengre-varighet", "nav-oslo"),
        ("lengre-varighet", "nav-vestland"),
    ]
    assert participant_scopes(tmp_path / "missing") == []


def test_only_accepts_run_names_units_aliases_and_models(tmp_path):
    registry = load_registry()
    specs = build_run_matrix(ROOT, DEMO, registry, out_dir=tmp_path)
    unit = registry.units["nav-oslo"]
    by_alias = select(specs, [unit.name], registry)
    assert {s.name for s in by_alias} >= {"fylke-nav-oslo"}
    assert all("nav-oslo" in s.tags for s in by_alias)
    assert [s.name for s in select(specs, ["fylke-nav-vestland"], registry)] == [
        "fylke-nav-vestland"
    ]
    with pytest.raises(RunMatrixError, match="nav-atlantis: matches no run"):
        select(specs, ["nav-atlantis"], registry)


def test_explicit_lists_and_placeholders(tmp_path):
    _notebook(tmp_path / "nb.ipynb")
    config = parse_config(
        {
            "notebooks": [
                {
                    "name": "x",
                    "notebook": "nb.ipynb",
                    "each": {"unit": ["a", "b"]},
                    "output": "x-{unit}.ipynb",
                    "parameters": {"unit": "{unit}", "label": "side {unit}", "n": "{min_count}"},
                }
            ]
        },
        tmp_path,
    )
    specs = build_run_matrix(tmp_path, tmp_path, config=config, min_count=7)
    assert [s.name for s in specs] == ["x-a", "x-b"]
    assert specs[1].parameters == {"unit": "b", "label": "side b", "n": 7}
    assert specs[0].rows.kind == "all"


def _meta_config(tmp_path: Path, front: str, period: str = "{siden}/") -> Path:
    _notebook(tmp_path / "nb.ipynb")
    (tmp_path / "note.qmd").write_text(f"---\n{front}---\n\n# Tekst\n", encoding="utf-8")
    return parse_config(
        {
            "notebooks": [
                {
                    "name": "x",
                    "notebook": "nb.ipynb",
                    "each": {"unit": ["a"]},
                    "output": "x-{unit}.ipynb",
                    "metadata": "note.qmd",
                    "parameters": {"period": period},
                }
            ]
        },
        tmp_path,
    )


def test_report_front_matter_values_are_placeholders(tmp_path):
    config = _meta_config(tmp_path, 'title: "Notat"\nsiden: 2024-03-01\n')
    (spec,) = build_run_matrix(tmp_path, tmp_path, config=config)
    assert spec.parameters == {"period": "2024-03-01/"}  # a YAML date becomes ISO text


def test_the_midterm_runs_take_their_period_from_the_note(tmp_path):
    specs = build_run_matrix(ROOT, DEMO, load_registry(), out_dir=tmp_path)
    note = (ROOT / "reports" / "midtveisnotat.qmd").read_text(encoding="utf-8")
    siden = yaml.safe_load(note.split("---")[1])["siden"]
    midterm = [s for s in specs if s.entry == "midtveis"]
    assert midterm and {s.parameters["period"] for s in midterm} == {f"{siden}/"}


def test_missing_report_or_unknown_front_matter_key_is_a_clear_error(tmp_path):
    config = _meta_config(tmp_path, "title: Notat\n", period="{siden}/")
    with pytest.raises(RunMatrixError, match="unknown placeholder 'siden'"):
        build_run_matrix(tmp_path, tmp_path, config=config)
    (tmp_path / "note.qmd").unlink()
    with pytest.raises(RunMatrixError, match="note.qmd: the report named under metadata"):
        build_run_matrix(tmp_path, tmp_path, config=config)
    with pytest.raises(RunMatrixError, match=r"notebooks\[0\]\.metadata"):
        parse_config({"notebooks": [{**ENTRY, "metadata": "note.md"}]}, tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jobs": 0}, "jobs: expected 'auto' or a positive integer"),
        ({"isolation": "shared"}, "isolation: expected 'warm' or 'fresh'"),
        ({"colour": "blue"}, "colour: expected one of"),
        ({"notebooks": [{"name": "x", "notebook": "n", "output": "o", "each": "fylke"}]}, "each"),
        (
            {
                "notebooks": [
                    {"name": "x", "notebook": "n", "output": "o", "each": "unit", "rows": 1}
                ]
            },
            "notebooks[0].rows",
        ),
    ],
)
def test_config_errors_name_file_key_and_expectation(tmp_path, change, message):
    path = tmp_path / "runs.yaml"
    path.write_text(yaml.safe_dump({**DEFAULT_CONFIG, **change}), encoding="utf-8")
    with pytest.raises(RunMatrixError) as info:
        load_config(tmp_path, path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_row_scopes():
    registry = load_registry()
    assert row_scope("scope", "alle", registry).kind == "all"
    unit = row_scope("scope", "nav-ost-viken", registry)
    assert unit.kind == "unit" and unit.units == {"nav-ost-viken"}
    assert unit.models == {t.model for t in registry.trials_for_unit("nav-ost-viken")}
    model = row_scope("model", "lengre-varighet", registry)
    assert model.models == {"lengre-varighet"}
    assert model.units == {t.unit for t in registry.trials.values() if t.model == "lengre-varighet"}


def test_outputs_no_run_writes_any_more_are_stale(tmp_path):
    from coopstats.runmatrix import stale_outputs

    specs = build_run_matrix(ROOT, DEMO, load_registry(), out_dir=tmp_path)
    for spec in specs[:3]:
        spec.output.write_text("{}", encoding="utf-8")
    old = tmp_path / "deltakere-alle.ipynb"  # a run of an older matrix
    old.write_text("{}", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    assert stale_outputs(tmp_path, specs) == [old]


def test_coopstats_run_removes_stale_outputs_but_not_with_only(tmp_path, monkeypatch, capsys):
    from coopstats import cli, runmatrix

    out = tmp_path / "out"
    out.mkdir()
    old = out / "deltakere-alle.ipynb"
    config = runmatrix.load_config(ROOT)
    config = type(config)(**{**config.__dict__, "output_dir": out})
    monkeypatch.setattr(runmatrix, "load_config", lambda root, path=None: config)
    monkeypatch.setattr("coopstats.batch.run_batch", lambda specs, settings, progress: [])
    old.write_text("{}", encoding="utf-8")
    cli.main(["run", "--data", str(DEMO), "--only", "nav-oslo", "--no-progress"])
    assert old.exists()
    cli.main(["run", "--data", str(DEMO), "--no-progress"])
    assert not old.exists()
    assert "deltakere-alle" in capsys.readouterr().out
