"""The command line: version, argument checks, paths from subdirectories, errors without
tracebacks, the summary after Ctrl-C and the out-of-date site after a failed build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from coopstats import cli
from coopstats.batch import BatchInterrupted, RunResult, RunSpec, summary_lines
from coopstats.cli import build_parser, main
from coopstats.registry import REGISTRY_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
PACKAGED_REGISTRY = ROOT / "src" / "coopstats" / "registry_data"


def _run_cli(*argv: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "coopstats.cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


# --------------------------------------------------------------------------- version and help


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"coopstats {version('coopstats')}\n"


def test_help_is_norwegian(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("bruk: coopstats run")
    assert "vis denne hjelpen og avslutt" in out and "valg:" in out
    assert "usage:" not in out and "show this help" not in out


# --------------------------------------------------------------------------- --jobs


@pytest.mark.parametrize("command", ["run", "build"])
@pytest.mark.parametrize(
    ("value", "message"),
    [("-3", "minst 1 kjerne"), ("0", "minst 1 kjerne"), ("mange", "forventet et helt tall")],
)
def test_jobs_below_one_or_not_a_number_is_rejected(command, value, message, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--jobs", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"coopstats {command}: feil: argument --jobs/-j: " in err
    assert message in err


def test_jobs_accepts_whole_numbers_and_auto():
    assert build_parser().parse_args(["run", "--jobs", "3"]).jobs == 3
    assert build_parser().parse_args(["build", "-j", "auto"]).jobs == "auto"
    assert build_parser().parse_args(["run"]).jobs is None  # runs.yaml decides


def test_jobs_auto_means_one_kernel_per_core(monkeypatch, capsys):
    seen = {}

    def fake_run_batch(specs, settings, progress=True):
        seen["jobs"] = settings.jobs
        return [RunResult(specs[0], "ok", 0.1)]

    monkeypatch.setattr("coopstats.batch.run_batch", fake_run_batch)
    monkeypatch.setattr("coopstats.runmatrix.default_jobs", lambda: 7)
    monkeypatch.setattr(
        "coopstats.batch.build_run_matrix",
        lambda *a, **k: [RunSpec("fylke-x", Path("x.ipynb"), Path("x-out.ipynb"))],
    )
    assert main(["run", "--jobs", "auto", "--no-progress"]) == 0
    assert seen["jobs"] == 7
    assert "opptil 7 kjerner" in capsys.readouterr().out


# --------------------------------------------------------------------------- default paths


def test_run_default_data_is_found_from_a_subdirectory(monkeypatch, capsys):
    seen = {}

    def fake_matrix(root, data_dir, **kwargs):
        seen["root"], seen["data"] = root, data_dir
        return []

    monkeypatch.setattr("coopstats.batch.build_run_matrix", fake_matrix)
    monkeypatch.chdir(ROOT / "reports")
    assert main(["run", "--no-progress"]) == 2  # the fake matrix is empty
    assert seen["data"] == ROOT / "data" / "demo"
    assert seen["root"] == ROOT
    assert "kjøreplanen er tom" in capsys.readouterr().err


def test_explicit_relative_data_is_relative_to_the_working_directory(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "reports")
    assert main(["run", "--data", "data/demo", "--no-progress"]) == 2
    assert "fant ikke datamappen data/demo" in capsys.readouterr().err


def test_demo_default_directory_is_the_projects(monkeypatch, capsys):
    written = {}

    def fake_generate(directory):
        written["directory"] = directory
        return {}

    monkeypatch.setattr("coopstats.demo.generate_demo", fake_generate)
    monkeypatch.chdir(ROOT / "reports")
    assert main(["demo"]) == 0
    assert written["directory"] == ROOT / "data" / "demo"
    assert not (ROOT / "reports" / "data").exists()


def test_outside_a_project_the_default_paths_fail_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coopstats demo: fant ikke et coopstats-prosjekt")
    assert "Traceback" not in err


# --------------------------------------------------------------------------- registry errors


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(PACKAGED_REGISTRY, target)
    return target


def test_unknown_unit_in_trials_yaml_exits_2_without_traceback(registry_copy):
    trials = registry_copy / "trials.yaml"
    text = trials.read_text(encoding="utf-8")
    trials.write_text(text.replace("unit: nav-ost-viken", "unit: nav-atlantis", 1), "utf-8")
    result = _run_cli("validate", "data/demo", env={REGISTRY_DIR_ENV: str(registry_copy)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"coopstats validate: {trials}: trials[")
    assert ".unit: expected a known unit id (got 'nav-atlantis')" in line


def test_yaml_typo_names_the_file_not_unicode_string(registry_copy, monkeypatch, capsys):
    models = registry_copy / "models.yaml"
    models.write_text("models: [\n  - id: x\n", encoding="utf-8")
    monkeypatch.setenv(REGISTRY_DIR_ENV, str(registry_copy))
    assert main(["run", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"coopstats run: {models}: invalid YAML at line ")
    assert f'in "{models}"' in err
    assert "<unicode string>" not in err and "Traceback" not in err


def test_registry_dir_that_does_not_exist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(REGISTRY_DIR_ENV, str(tmp_path / "nowhere"))
    assert main(["validate", str(ROOT / "data" / "demo")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"coopstats validate: {REGISTRY_DIR_ENV}=")
    assert "does not exist" in err


def test_registry_dir_is_read_again_after_an_edit(registry_copy, monkeypatch):
    from coopstats.registry import load_registry

    monkeypatch.setenv(REGISTRY_DIR_ENV, str(registry_copy))
    first = load_registry()
    assert "nav-oslo" in first.units
    assert load_registry() is first  # cached while unchanged
    units = registry_copy / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("nav-oslo", "nav-oslo2"), "utf-8")
    trials = registry_copy / "trials.yaml"
    trials.write_text(trials.read_text(encoding="utf-8").replace("nav-oslo", "nav-oslo2"), "utf-8")
    models = registry_copy / "models.yaml"
    models.write_text(models.read_text(encoding="utf-8").replace("nav-oslo", "nav-oslo2"), "utf-8")
    assert "nav-oslo2" in load_registry().units


# --------------------------------------------------------------------------- Ctrl-C summary


def _spec(name: str) -> RunSpec:
    return RunSpec(name, Path(f"{name}.ipynb"), Path(f"out/{name}.ipynb"))


def _interrupted_results() -> list[RunResult]:
    return [
        RunResult(_spec("a"), "ok", 0.0, cached=True, reason="unchanged"),
        RunResult(_spec("b"), "ok", 2.0, reason="new"),
        RunResult(_spec("c"), "failed", 1.0, "ValueError: x", reason="new"),
        RunResult(_spec("d"), "interrupted", 0.5, "interrupted by the user", reason="new"),
        *[RunResult(_spec(n), "not run", 0.0, "batch interrupted") for n in ("e", "f", "g")],
    ]


def test_summary_counts_only_finished_runs_as_executed():
    lines = summary_lines(_interrupted_results())
    assert lines[-2:] == [
        "2 ok, 1 feilet, 1 avbrutt, 3 ikke kjørt; 1 mellomlagret, 2 kjørt",
        "FEILET c: ValueError: x",
    ]
    rows = {line.split()[0]: line for line in lines[1:8]}
    assert " avbrutt " in rows["d"] and " ikke kjørt " in rows["e"]
    assert rows["a"].endswith("ja") and rows["b"].endswith("nei (ny)")
    english = summary_lines(_interrupted_results(), language="en")
    assert "2 ok, 1 failed, 1 interrupted, 3 not run; 1 cached, 2 executed" in english


def test_ctrl_c_during_run_prints_the_true_counts_and_exits_130(monkeypatch, capsys):
    results = _interrupted_results()

    def interrupted(specs, settings, progress=True):
        raise BatchInterrupted(results)

    monkeypatch.setattr("coopstats.batch.run_batch", interrupted)
    monkeypatch.setattr(
        "coopstats.batch.build_run_matrix", lambda *a, **k: [r.spec for r in results]
    )
    assert main(["run", "--no-progress"]) == 130
    captured = capsys.readouterr()
    assert "1 mellomlagret, 2 kjørt" in captured.out
    assert "3 ikke kjørt" in captured.out
    assert "7 kjørt" not in captured.out
    assert "coopstats run: avbrutt" in captured.err


# --------------------------------------------------------------------------- failed build


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "prosjekt"
    root.mkdir()
    entry = {"name": "x", "notebook": "x.ipynb", "output": "x.ipynb", "each": "unit"}
    (root / "runs.yaml").write_text(yaml.safe_dump({"notebooks": [entry]}), encoding="utf-8")
    site = root / "_site"
    site.mkdir()
    (site / "index.html").write_text("forrige leveranse", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_failed_build_moves_the_previous_site_aside(project, capsys):
    bad = project / "ny-leveranse"
    bad.mkdir()  # no files: validation fails
    assert main(["build", "--data", str(bad), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert not (project / "_site").exists()
    moved = project / "_site.utdatert"
    assert (moved / "index.html").read_text(encoding="utf-8") == "forrige leveranse"
    note = (moved / "UTDATERT.txt").read_text(encoding="utf-8")
    assert "ny-leveranse" in note and "«validering»" in note
    assert "advarsel" in err and "_site.utdatert" in err and "ny-leveranse" in err


def test_successful_build_removes_the_out_of_date_site(project, monkeypatch):
    (project / "_site.utdatert").mkdir()
    for _, function in cli._BUILD_STEPS:
        monkeypatch.setattr(cli, function, lambda args: 0)
    assert main(["build", "--data", str(project), "--no-progress"]) == 0
    assert not (project / "_site.utdatert").exists()
    assert (project / "_site" / "index.html").exists()


def test_interrupted_build_also_marks_the_site(project, monkeypatch):
    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_validate", lambda args: 0)
    monkeypatch.setattr(cli, "_cmd_run", stop)
    assert main(["build", "--data", str(project), "--no-progress"]) == 130
    note = (project / "_site.utdatert" / "UTDATERT.txt").read_text(encoding="utf-8")
    assert "«kjøring»" in note


def test_validate_and_build_accept_a_delivery_as_sent(tmp_path, monkeypatch, capsys):
    """A workbook with a sheet per table is imported first (report beside the result); a
    semicolon CSV folder with the contract's names is imported with --import."""
    import pandas as pd

    from coopstats.data import FILES

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    workbook = tmp_path / "leveranse-2026-05.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as xl:
        for table in FILES:
            frame = pd.read_csv(demo / f"{table}.csv", dtype=str, keep_default_na=False)
            frame.to_excel(xl, sheet_name=table, index=False)
    monkeypatch.chdir(tmp_path)  # outside the project: the import goes to a temporary folder
    assert cli.main(["validate", str(workbook)]) == 0
    out = capsys.readouterr().out
    assert "via coopstats import" in out and "import-rapport.md" in out
    semicolons = tmp_path / "semikolon"
    semicolons.mkdir()
    for table in FILES:
        frame = pd.read_csv(demo / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.to_csv(semicolons / f"{table}.csv", sep=";", index=False)
    assert cli.main(["validate", str(semicolons)]) == 1
    captured = capsys.readouterr()
    assert "coopstats import" in captured.out + captured.err
    assert cli.main(["validate", "--import", str(semicolons)]) == 0
    broken = tmp_path / "tom.xlsx"
    broken.write_bytes(b"not a workbook")
    assert cli.main(["validate", str(broken)]) == 2
    assert "kunne ikke leses" in capsys.readouterr().err
