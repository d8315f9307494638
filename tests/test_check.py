"""``coopstats check``: every definition file validated; indicator ids from indicators.yaml."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from coopstats import cli
from coopstats.check import check_definitions
from coopstats.indicators import load_indicators
from coopstats.registry import REGISTRY_DIR_ENV, RegistryError, load_registry
from coopstats.yamlio import DEFINITIONS_DIR_ENV, indicator_ids

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
FILES = (
    "units.yaml",
    "models.yaml",
    "trials.yaml",
    "indicators.yaml",
    "participant_tables.yaml",
    "cleaning_rules.yaml",
    "coding_frame.yaml",
    "learning_points.yaml",
    "header_synonyms.yaml",
    "outcomes.yaml",
    "runs.yaml",
)


def _copy(package_dir: str, name: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    text = (resources.files("coopstats") / package_dir / name).read_text("utf-8")
    (dest / name).write_text(text, encoding="utf-8")
    return dest / name


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture()
def defs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty COOPSTATS_DEFINITIONS_DIR: files put there replace the packaged ones."""
    folder = tmp_path / "definitions"
    folder.mkdir()
    monkeypatch.setenv(DEFINITIONS_DIR_ENV, str(folder))
    return folder


@pytest.fixture()
def registry_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "registry"
    for name in ("units.yaml", "models.yaml", "trials.yaml"):
        _copy("registry_data", name, folder)
    monkeypatch.setenv(REGISTRY_DIR_ENV, str(folder))
    return folder


def test_check_passes_on_the_repository(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.main(["check"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == ""
    for name in FILES:
        line = next((x for x in lines if x.startswith("OK: ") and f"/{name} (" in x), None)
        assert line is not None, (name, out)
        assert line.endswith(" oppføringer)") and int(line.rsplit("(", 1)[1].split()[0]) > 0
    assert f"Alle {len(FILES)} definisjonsfilene er i orden." in out
    assert [r.ok for r in check_definitions(ROOT)] == [True] * len(FILES)


def test_unknown_key_in_indicators_yaml_fails_check_with_file_key_and_hint(
    defs_dir: Path, capsys
) -> None:
    path = _copy("definitions", "indicators.yaml", defs_dir)
    _edit(path, lambda d: d["indicators"][2].update(breakdown=["unit_id"]))
    assert cli.main(["check"]) == 2
    out, err = capsys.readouterr()
    ind_id = yaml.safe_load(path.read_text(encoding="utf-8"))["indicators"][2]["id"]
    assert f"coopstats check: {path}: indicators[2] ({ind_id}).breakdown: unexpected key" in err
    assert "mente du «breakdowns»?" in err
    assert "1 definisjonsfil har feil" in err
    assert "indicators.yaml" not in out  # no OK line for the broken file
    assert "OK: " in out and "participant_tables.yaml" in out  # the others are still checked


def test_validate_reports_a_broken_definition_before_the_data(defs_dir: Path, capsys) -> None:
    path = _copy("definitions", "cleaning_rules.yaml", defs_dir)
    _edit(path, lambda d: d["rules"][0].update(descripton="x"))
    assert cli.main(["validate", str(DEMO)]) == 2
    out, err = capsys.readouterr()
    assert f"coopstats validate: {path}: rules[0].descripton: unexpected key" in err
    assert "følger datakontrakten" not in out  # the data were not validated
    path.unlink()
    assert cli.main(["validate", str(DEMO)]) == 0  # the packaged file again
    assert "følger datakontrakten" in capsys.readouterr().out


def test_a_new_indicator_only_in_indicators_yaml_can_be_a_target(
    defs_dir: Path, registry_dir: Path
) -> None:
    def target(d):
        d["trials"][0]["targets"][0]["indicator"] = "ind-veiledninger"

    _edit(registry_dir / "trials.yaml", target)
    with pytest.raises(RegistryError, match="ind-veiledninger"):
        load_registry()  # not defined yet
    path = _copy("definitions", "indicators.yaml", defs_dir)

    def add(d):
        new = dict(next(i for i in d["indicators"] if i["id"] == "ind-anrop"))
        new.update(id="ind-veiledninger", label_nb="Veiledninger", label_en="Guidance sessions")
        d["indicators"].append(new)

    _edit(path, add)
    assert "ind-veiledninger" in indicator_ids()
    registry = load_registry()
    first = next(iter(registry.trials.values()))
    assert first.targets[0].indicator == "ind-veiledninger"
    assert "ind-veiledninger" in load_indicators()
    assert all(r.ok for r in check_definitions(ROOT))


def test_unknown_indicator_in_trials_yaml_gives_a_hint(registry_dir: Path, capsys) -> None:
    def change(d):
        d["trials"][0]["targets"][0]["indicator"] = "ind-anropp"

    _edit(registry_dir / "trials.yaml", change)
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err
    assert f"{registry_dir / 'trials.yaml'}: trials[0].targets[0].indicator:" in err
    assert "(fikk 'ind-anropp'); mente du «ind-anrop»" in err
    assert "indicators.yaml" in err  # where the ids come from
    assert "ikke kontrollert:" in err and "avhenger av registeret" in err


def test_unknown_key_in_runs_yaml_is_reported(defs_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    path = _copy("definitions", "runs.yaml", defs_dir)
    _edit(path, lambda d: d.update(jobbs=2))
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err
    assert f"coopstats check: {path}: jobbs: expected one of" in err


def test_definitions_dir_that_does_not_exist(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(DEFINITIONS_DIR_ENV, str(tmp_path / "borte"))
    assert cli.main(["check"]) == 2
    assert f"{DEFINITIONS_DIR_ENV}=" in capsys.readouterr().err
