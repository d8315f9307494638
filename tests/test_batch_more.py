"""The batch runner without real kernels: the summary and the logs users read, the pool's
decisions (which runs execute, on how many kernels, what is left behind after a failure or an
interrupt) and the file names it uses. A stand-in kernel replaces Jupyter, so these tests are
fast enough to run once per mutant (tools/mutation.py)."""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from batch_support import plain_tqdm, run_batch  # noqa: F401  (plain_tqdm: autouse)

from coopstats import batch, cache, kernelpool
from coopstats.batch import (
    BatchSettings,
    RunResult,
    RunSpec,
    summary_lines,
    write_log,
)
from coopstats.kernelpool import KernelSetupError, PoolOptions
from coopstats.runmatrix import MatrixConfig, RowScope

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _spec(name: str, **kw) -> RunSpec:
    return RunSpec(name, Path("nb.ipynb"), Path(f"{name}.ipynb"), **kw)


def _result(name: str, status: str = "ok", seconds: float = 0.0, **kw) -> RunResult:
    return RunResult(_spec(name), status, seconds, **kw)


# --------------------------------------------------------------------------- the summary


def test_summary_table_in_norwegian_lines_up_and_names_failures():
    results = [
        _result("fylke-nav-oslo", "ok", 12.34, reason="new"),
        _result("fylke-nav-vestland", "ok", 0.0, cached=True, reason="unchanged"),
        _result(
            "modell-x",
            "failed",
            3.05,
            error="ValueError: fylke mangler data",
            reason="changed notebook",
            failed_notebook=Path("out/modell-x.failed.ipynb"),
            log=Path("logs/modell-x.log"),
        ),
        _result("modell-y", "failed", 1.0, error="RuntimeError: død kjerne"),
    ]
    assert summary_lines(results) == [
        "kjøring             status       sekunder  mellomlagret",
        "fylke-nav-oslo      ok              12.3  nei (ny)",
        "fylke-nav-vestland  ok               0.0  ja",
        "modell-x            feilet           3.0  nei (endret notatbok)",
        "modell-y            feilet           1.0  nei",
        "2 ok, 2 feilet; 1 mellomlagret, 3 kjørt",
        "FEILET modell-x: ValueError: fylke mangler data",
        "  notatbok med feilen: out/modell-x.failed.ipynb",
        "  logg: logs/modell-x.log",
        "FEILET modell-y: RuntimeError: død kjerne",
    ]


def test_summary_table_in_english_for_the_batch_log():
    results = [
        _result("a", "ok", 2.0, reason="changed data: spells"),
        _result("b", "interrupted", 1.5, reason="new", error="interrupted by the user"),
        _result("c", "not run", 0.0, error="batch interrupted"),
        _result("d", "failed", 0.25, error="E: x", failed_notebook=Path("d.failed.ipynb")),
        _result("e", "ok", 0.0, cached=True, reason="unchanged"),
    ]
    assert summary_lines(results, language="en") == [
        "run  status       seconds  cached",
        "a    ok               2.0  no (changed data: spells)",
        "b    interrupted      1.5  no (new)",
        "c    not run          0.0  no",
        "d    failed           0.2  no",
        "e    ok               0.0  yes",
        "2 ok, 1 failed, 1 interrupted, 1 not run; 1 cached, 2 executed",
        "FAILED d: E: x",
        "  failed notebook: d.failed.ipynb",
    ]


def test_summary_of_an_interrupted_batch_counts_stopped_runs_apart():
    results = [
        _result("a", "ok", 2.0, reason="new"),
        _result("b", "interrupted", 1.0, reason="forced"),
        _result("c", "not run", 0.0),
        _result("d", "not run", 0.0),
    ]
    lines = summary_lines(results)
    assert lines[1:5] == [
        "a        ok               2.0  nei (ny)",
        "b        avbrutt          1.0  nei (tvunget)",
        "c        ikke kjørt       0.0  nei",
        "d        ikke kjørt       0.0  nei",
    ]
    assert lines[5] == "1 ok, 0 feilet, 1 avbrutt, 2 ikke kjørt; 0 mellomlagret, 1 kjørt"
    only_interrupted = summary_lines([_result("b", "interrupted", 1.0)])
    assert (
        only_interrupted[-1] == "0 ok, 0 feilet, 1 avbrutt, 0 ikke kjørt; 0 mellomlagret, 0 kjørt"
    )
    only_not_run = summary_lines([_result("c", "not run")])
    assert only_not_run[-1] == "0 ok, 0 feilet, 0 avbrutt, 1 ikke kjørt; 0 mellomlagret, 0 kjørt"


def test_summary_of_no_runs_and_of_an_unknown_status():
    assert summary_lines([], language="en") == [
        "run  status       seconds  cached",
        "0 ok, 0 failed; 0 cached, 0 executed",
    ]
    assert summary_lines([]) == [
        "kjøring  status       sekunder  mellomlagret",
        "0 ok, 0 feilet; 0 mellomlagret, 0 kjørt",
    ]
    lines = summary_lines([_result("abcd", "skipped", 1.0)], language="en")
    assert lines[0] == "run   status       seconds  cached"
    assert lines[1] == "abcd  skipped          1.0  no"
    assert lines[2] == "0 ok, 0 failed; 0 cached, 0 executed"


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("new", "ny"),
        ("forced", "tvunget"),
        ("unchanged", "uendret"),
        ("no cache record", "ingen post i mellomlageret"),
        ("output missing", "resultatet mangler"),
        ("output differs from the recorded one", "resultatet er endret"),
        ("changed key", "endret nøkkel"),
        ("changed notebook", "endret notatbok"),
        ("changed parameters; package", "endret parametre; pakke"),
        ("changed environment; kernel; format", "endret miljø; kjerne; format"),
        ("changed data: spells, participants", "endret data: spells, participants"),
        ("changed notebook; data: spells", "endret notatbok; data: spells"),
        ("changed colour", "endret colour"),
        ("no cache key (FileNotFoundError)", "ingen nøkkel til mellomlageret (FileNotFoundError)"),
        ("no cache key", "ingen nøkkel til mellomlageret"),
        ("something else", "something else"),
    ],
)
def test_why_a_run_executed_is_told_in_norwegian(reason, shown):
    line = summary_lines([_result("a", "ok", 1.0, reason=reason)])[1]
    assert line == f"a        ok               1.0  nei ({shown})"
    english = summary_lines([_result("a", "ok", 1.0, reason=reason)], language="en")[1]
    assert english.endswith(f"  no ({reason})")


# --------------------------------------------------------------------------- error lines


class _CellError(Exception):
    """Like papermill.PapermillExecutionError: the cell's exception as ename/evalue."""

    def __init__(self, ename, evalue) -> None:
        super().__init__("papermill text that is not shown")
        self.ename, self.evalue = ename, evalue


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            _CellError("ValueError", "fylke mangler data\nmer tekst"),
            "ValueError: fylke mangler data",
        ),
        (_CellError("ValueError", "\n  første linje\nandre"), "ValueError: første linje"),
        (_CellError("KeyError", ""), "KeyError"),
        (_CellError("KeyError", "   \n "), "KeyError"),
        (_CellError("", "x"), "_CellError: papermill text that is not shown"),
        (_CellError("ValueError", "x" * 300), "ValueError: " + "x" * 188),
        (
            RuntimeError("could not start kernel: boom"),
            "RuntimeError: could not start kernel: boom",
        ),
        (
            RuntimeError(
                "\n---------------------------------------------------------------------------\n"
                "Traceback (most recent call last)\n"
                "\x1b[0;31mNameError\x1b[0m: name 'x' is not defined\n"
            ),
            "RuntimeError: NameError: name 'x' is not defined",
        ),
        (RuntimeError("\x1b[31m\x1b[0m\n  \n-- \nreal line  "), "RuntimeError: real line"),
        (RuntimeError("y" * 300), "RuntimeError: " + "y" * 186),
        (RuntimeError(""), "RuntimeError"),
        (RuntimeError("-----\nTraceback"), "RuntimeError"),
    ],
)
def test_the_first_error_line_users_see(exc, line):
    assert batch._first_error_line(exc) == line


# --------------------------------------------------------------------------- logs


def _executed_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell('unit = "nav-oslo"')
    injected.metadata["tags"] = ["injected-parameters"]
    injected.metadata["papermill"] = {"duration": 0.5, "status": "completed"}
    params = nbformat.v4.new_code_cell('unit = "x"')
    params.metadata["tags"] = ["other", "parameters"]
    params.metadata["papermill"] = {"duration": 1, "status": "completed"}
    labelled = nbformat.v4.new_code_cell("x = 1\n#| label: fig-kart\nprint(x)")
    labelled.metadata["papermill"] = {"duration": 12.345, "status": "completed"}
    labelled.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "figur"}),
        nbformat.v4.new_output("stream", name="stderr", text="advarsel"),
    ]
    long = nbformat.v4.new_code_cell("\n   \n" + "y = " + "1 + " * 20 + "1\n#| label x")
    long.metadata["papermill"] = {"status": "failed"}
    long.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ValueError",
            evalue="feil",
            traceback=["\x1b[0;31mValueError\x1b[0m  Traceback", "ValueError: feil"],
        )
    ]
    empty = nbformat.v4.new_code_cell("")
    empty.metadata["papermill"] = {"duration": None, "status": "pending"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Tittel"), injected, params, labelled, long, empty]
    return nb


def _log_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and not text.endswith("\n\n")
    return text.splitlines()


def test_the_log_of_a_failed_run_tells_the_whole_story(tmp_path):
    spec = RunSpec(
        "fylke-nav-oslo",
        Path("notebooks/fylke.ipynb"),
        Path("out/fylke-nav-oslo.ipynb"),
        {"unit": "nav-oslo"},
        inputs=("participants", "spells"),
        rows=RowScope("unit", frozenset({"nav-oslo"})),
    )
    result = RunResult(
        spec,
        "failed",
        3.456,
        "ValueError: feil",
        reason="changed data: spells",
        failed_notebook=Path("out/fylke-nav-oslo.failed.ipynb"),
    )
    path = tmp_path / "logs" / "deeper" / "fylke-nav-oslo.log"
    failures = {"geopandas": "ModuleNotFoundError", "scipy": "ImportError"}
    write_log(path, spec, result, _executed_notebook(), (4242, 3, failures), RuntimeError("x"))
    lines = _log_lines(path)
    assert lines[:6] == [
        "run:        fylke-nav-oslo",
        "notebook:   notebooks/fylke.ipynb",
        "output:     out/fylke-nav-oslo.ipynb",
        "parameters: {'unit': 'nav-oslo'}",
        "rows:       unit nav-oslo of participants, spells",
        "why run:    changed data: spells",
    ]
    assert re.fullmatch(r"finished:   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", lines[6])
    assert lines[7:] == [
        "seconds:    3.46",
        "status:     failed (ValueError: feil)",
        "kernel:     pid 4242, run 3 in this kernel; "
        "preload failed: geopandas (ModuleNotFoundError), scipy (ImportError)",
        "failed notebook: out/fylke-nav-oslo.failed.ipynb",
        "--- cells (index, seconds, status, label)",
        "[  1]   0.50  completed injected-parameters",
        "[  2]   1.00  completed parameters",
        "[  3]  12.35  completed fig-kart",
        "[  4]      -  failed    y = " + "1 + " * 11 + "1 ",
        "[  5]      -  pending   ",
        "--- printed output",
        "[cell 3 stdout]",
        "1",
        "[cell 3 stderr]",
        "advarsel",
        "--- error",
        "ValueError  Traceback",
        "ValueError: feil",
    ]


def test_the_log_of_a_run_that_never_reached_a_cell(tmp_path):
    spec = RunSpec("r", Path("nb.ipynb"), Path("r.ipynb"))
    result = RunResult(spec, "ok", 0.004, reason="new")
    path = tmp_path / "r.log"
    write_log(path, spec, result, kernel=(None, 1, {}))
    lines = _log_lines(path)
    assert lines[4] == "rows:       all rows of (no inputs)"
    assert lines[7:] == [
        "seconds:    0.00",
        "status:     ok",
        "kernel:     pid None, run 1 in this kernel",
    ]
    write_log(path, spec, result, exc=KernelSetupError("could not start kernel: boom"))
    assert _log_lines(path)[7:] == [
        "seconds:    0.00",
        "status:     ok",
        "--- error",
        "KernelSetupError: could not start kernel: boom",
    ]


def test_cell_labels_without_source_or_tags():
    assert batch._cell_label({}) == ""
    assert (
        batch._cell_label({"metadata": {"tags": ["x"]}, "source": "\n  \nprint(1)\n"}) == "print(1)"
    )
    assert batch._cell_label({"source": "#| label:  kart-1 \nx"}) == "kart-1"
    assert batch._cell_label({"source": "a = 1\n#| label: b:c"}) == "b:c"


# --------------------------------------------------------------------------- file names


def test_file_names_of_temporary_and_failed_notebooks():
    out = Path("/x/out/fylke-nav-oslo.ipynb")
    assert batch.failed_path(out) == Path("/x/out/fylke-nav-oslo.failed.ipynb")
    assert batch._tmp_path(out, 3) == Path(f"/x/out/.fylke-nav-oslo.{os.getpid()}-3.tmp.ipynb")
    assert batch._tmp_path(out) == Path(f"/x/out/.fylke-nav-oslo.{os.getpid()}-0.tmp.ipynb")


# --------------------------------------------------------------------------- settings, root


def _config(tmp_path: Path, **kw) -> MatrixConfig:
    values = {
        "root": tmp_path,
        "source": "runs.yaml",
        "output_dir": tmp_path / "out",
        "log_dir": tmp_path / "logs",
        "kernel": "ir",
        "jobs": 3,
        "isolation": "fresh",
        "cell_timeout": 77,
        "preload": ("pandas",),
        "packages": ("numpy", "pandas"),
        "notebooks": (),
        **kw,
    }
    return MatrixConfig(**values)


def test_settings_come_from_runs_yaml_and_the_command_line(tmp_path):
    config = _config(tmp_path)
    settings = BatchSettings.from_config(config)
    assert settings == BatchSettings(
        jobs=3,
        pool=PoolOptions(kernel_name="ir", preload=("pandas",), cell_timeout=77, isolation="fresh"),
        packages=("numpy", "pandas"),
        log_dir=tmp_path / "logs",
        force=False,
    )
    override = BatchSettings.from_config(config, jobs=1, force=True, isolation="warm")
    assert (override.jobs, override.force, override.pool.isolation) == (1, True, "warm")
    assert override.pool.kernel_name == "ir" and override.pool.cell_timeout == 77


def test_project_root_is_found_from_below_and_missing_is_explained(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "runs.yaml").write_text("notebooks: []\n", encoding="utf-8")
    assert batch.project_root(tmp_path / "a" / "b") == tmp_path / "a"
    assert batch.project_root(tmp_path / "a") == tmp_path / "a"
    other = tmp_path / "p"
    (other / "notebooks" / "sub").mkdir(parents=True)
    (other / "notebooks" / "fylke.ipynb").write_text("{}", encoding="utf-8")
    assert batch.project_root(other / "notebooks" / "sub") == other
    (tmp_path / "q" / "runs.yaml").mkdir(parents=True)  # a folder, not the file
    with pytest.raises(FileNotFoundError) as info:
        batch.project_root(tmp_path / "q")
    assert str(info.value) == (
        f"fant ikke et coopstats-prosjekt fra {tmp_path / 'q'}: forventet runs.yaml eller "
        "notebooks/fylke.ipynb i mappa eller en mappe over den."
    )


def test_project_root_defaults_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "runs.yaml").write_text("notebooks: []\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert batch.project_root() == tmp_path


# --------------------------------------------------------------------------- run_one


class _FakePapermill:
    """papermill.execute_notebook: writes the output, or fails after writing it or not."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode, self.calls = mode, []

    def __call__(self, source, output, **kw):
        self.calls.append((source, output, kw))
        if self.mode != "fail-before-writing":
            Path(output).write_text('{"cells": [], "run": "new"}', encoding="utf-8")
        if self.mode.startswith("fail"):
            raise _CellError("ValueError", "fylke mangler data")
        return {}


def test_run_one_hands_papermill_a_temporary_file_and_the_notebook_folder(tmp_path, monkeypatch):
    import papermill

    fake = _FakePapermill()
    monkeypatch.setattr(papermill, "execute_notebook", fake)
    out = tmp_path / "out" / "deeper" / "a.ipynb"
    failed = out.parent.parent / "deeper" / "a.failed.ipynb"
    spec = RunSpec("a", tmp_path / "nbs" / "fylke.ipynb", out, {"unit": "nav-oslo"})
    out.parent.mkdir(parents=True)
    failed.write_text("old failure", encoding="utf-8")
    out.write_text("old", encoding="utf-8")
    cache.write_record(out, {"k": 1})
    result = batch.run_one(spec, kernel_name="ir")
    assert (result.status, result.error, result.failed_notebook) == ("ok", "", None)
    assert 0 <= result.seconds < 5
    ((source, output, kw),) = fake.calls
    assert source == str(tmp_path / "nbs" / "fylke.ipynb")
    assert output == str(out.with_name(f".a.{os.getpid()}-single.tmp.ipynb"))
    assert kw == {
        "parameters": {"unit": "nav-oslo"},
        "kernel_name": "ir",
        "cwd": str(tmp_path / "nbs"),
        "progress_bar": False,
        "log_output": False,
    }
    assert out.read_text(encoding="utf-8") == '{"cells": [], "run": "new"}'
    assert not failed.exists(), "an old failure is gone once the run succeeds"
    assert cache.read_record(out) is None, "run_one keeps no cache record"
    assert sorted(p.name for p in out.parent.iterdir()) == [".coopstats", "a.ipynb"]


def test_run_one_creates_the_output_folder(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _FakePapermill())
    out = tmp_path / "new" / "folder" / "a.ipynb"
    assert batch.run_one(RunSpec("a", tmp_path / "nb.ipynb", out)).status == "ok"
    assert out.exists()


@pytest.mark.parametrize("mode", ["fail", "fail-before-writing"])
def test_run_one_failure_keeps_what_papermill_wrote_and_drops_the_old_output(
    tmp_path, monkeypatch, mode
):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", _FakePapermill(mode))
    out = tmp_path / "out" / "a.ipynb"
    out.parent.mkdir()
    out.write_text("old", encoding="utf-8")
    cache.write_record(out, {"k": 1})
    result = batch.run_one(RunSpec("a", tmp_path / "nb.ipynb", out))
    assert (result.status, result.error) == ("failed", "ValueError: fylke mangler data")
    assert 0 <= result.seconds < 5
    assert not out.exists() and cache.read_record(out) is None
    failed = tmp_path / "out" / "a.failed.ipynb"
    if mode == "fail":
        assert result.failed_notebook == failed
        assert failed.read_text(encoding="utf-8") == '{"cells": [], "run": "new"}'
    else:
        assert result.failed_notebook is None and not failed.exists()
    assert sorted(p.name for p in out.parent.iterdir() if p.is_file()) == (
        ["a.failed.ipynb"] if mode == "fail" else []
    )


# --------------------------------------------------------------------------- a stand-in kernel


class _Clock:
    """Replaces the time module in coopstats.batch: every reading advances a little."""

    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def perf_counter(self) -> float:
        self.now += 0.0004
        return self.now

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0


class FakeKernel:
    """Stands in for kernelpool.WarmKernel. What a run does is set by its ``mode`` parameter:
    ``ok`` writes the notebook, ``cell-error`` writes it and reports the cell's error,
    ``partial`` reports an error with the notebook in memory only, ``dead`` reports an error
    without any notebook, ``crash`` raises, ``stop`` is interrupted by the user."""

    instances: list[FakeKernel] = []
    fail_start = False
    clock: _Clock | None = None
    stop: threading.Event | None = None

    def __init__(self, options: PoolOptions, log=None) -> None:
        self.options, self.log = options, log
        self.preload_failures: dict[str, str] = {}
        self.runs = 0
        self.pid = 4000 + len(FakeKernel.instances)
        self.started = self.shut_down = False
        self.signals: list[str] = []
        self.resets: list[Path] = []
        self.executed: list[tuple] = []
        FakeKernel.instances.append(self)

    def start(self) -> None:
        if self.log is not None:
            self.log.write(f"kernel {self.pid} started\n")
        if FakeKernel.fail_start:
            raise KernelSetupError("could not start kernel: no such kernel 'ir'")
        self.started = True

    def reset(self, cwd: Path) -> None:
        assert self.started and not self.shut_down
        self.resets.append(cwd)
        if FakeKernel.clock is not None:
            FakeKernel.clock.advance(1.0)

    def execute(self, notebook, output, parameters, metadata):
        self.runs += 1
        self.executed.append((notebook, output, parameters, metadata))
        if FakeKernel.clock is not None:
            FakeKernel.clock.advance(2.0)
        mode = parameters.get("mode", "ok")
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(f"print({parameters.get('value', 0)})")
        cell.metadata["papermill"] = {"duration": 0.25, "status": "completed"}
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{mode}\n")]
        nb.cells = [cell]
        nb.metadata["kernelspec"] = KERNELSPEC
        if mode == "crash":
            raise RuntimeError("the kernel client broke")
        if mode in ("ok", "cell-error"):
            nbformat.write(nb, str(output))
        if mode == "ok":
            return nb, None
        if mode.startswith("stop"):
            if mode == "stop":
                Path(output).write_text("{half", encoding="utf-8")
            assert FakeKernel.stop is not None
            FakeKernel.stop.set()
            return nb, KeyboardInterrupt()
        if mode == "dead":
            return None, RuntimeError("Kernel died before replying")
        return nb, _CellError("ValueError", "fylke mangler data")

    def interrupt(self) -> None:
        self.signals.append("interrupt")

    def kill(self) -> None:
        self.signals.append("kill")

    def shutdown(self) -> None:
        self.shut_down = True


@pytest.fixture
def kernels(monkeypatch):
    FakeKernel.instances = []
    monkeypatch.setattr(FakeKernel, "fail_start", False)
    monkeypatch.setattr(FakeKernel, "clock", None)
    monkeypatch.setattr(FakeKernel, "stop", None)
    monkeypatch.setattr(kernelpool, "WarmKernel", FakeKernel)
    monkeypatch.setattr(kernelpool, "register_engine", lambda: None)
    return FakeKernel.instances


def _project(tmp_path: Path, modes: dict[str, str]) -> list[RunSpec]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "participants.csv").write_text("person_id,unit_id\nP1,a\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("value = 1")]
    nb.metadata["kernelspec"] = KERNELSPEC
    (tmp_path / "nbs").mkdir(exist_ok=True)
    nbformat.write(nb, tmp_path / "nbs" / "nb.ipynb")
    return [
        RunSpec(
            name,
            tmp_path / "nbs" / "nb.ipynb",
            tmp_path / "out" / f"{name}.ipynb",
            {"mode": mode, "value": i},
            inputs=("participants",),
            data_dir=data,
        )
        for i, (name, mode) in enumerate(modes.items())
    ]


def _record(spec: RunSpec) -> dict:
    return json.loads(cache.sidecar_path(spec.output).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the pool


def test_a_batch_on_warm_kernels_writes_outputs_records_and_logs(tmp_path, kernels):
    specs = _project(tmp_path, {"a": "ok", "b": "cell-error", "c": "ok"})
    logs = tmp_path / "logs" / "today"  # created with its parents
    settings = BatchSettings(jobs=1, log_dir=logs, packages=("pytest",))
    results = run_batch(specs, settings, progress=False)
    assert [(r.status, r.reason, r.cached) for r in results] == [
        ("ok", "new", False),
        ("failed", "new", False),
        ("ok", "new", False),
    ]
    a, b, c = specs
    assert results[1].error == "ValueError: fylke mangler data"
    assert results[1].failed_notebook == tmp_path / "out" / "b.failed.ipynb"
    assert nbformat.read(results[1].failed_notebook, as_version=4).cells[0].outputs[0]["text"] == (
        "cell-error\n"
    )
    assert [r.log for r in results] == [logs / "a.log", logs / "b.log", logs / "c.log"]
    for spec, mode in ((a, "ok"), (c, "ok")):
        assert nbformat.read(spec.output, as_version=4).cells[0].outputs[0]["text"] == f"{mode}\n"
        record = _record(spec)
        assert record["run"] == spec.name and record["output"]["name"] == spec.output.name
        assert cache.stale_reason(spec.output, record["parts"]) is None
        assert record["parts"]["kernel"] == "python3"
        assert set(record["parts"]["environment"]) == {"python", "pytest", "platform"}
    assert not b.output.exists() and cache.read_record(b.output) is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".coopstats",
        "a.ipynb",
        "b.failed.ipynb",
        "c.ipynb",
    ]
    # one worker: a failed run's kernel is replaced, and every kernel is shut down at the end
    assert len(kernels) == 2
    assert [k.runs for k in kernels] == [2, 1]
    assert all(k.shut_down for k in kernels)
    assert kernels[0].resets == [tmp_path / "nbs", tmp_path / "nbs"]
    notebook, tmp, parameters, metadata = kernels[0].executed[0]
    assert (notebook, parameters) == (a.notebook, {"mode": "ok", "value": 0})
    assert tmp == tmp_path / "out" / f".a.{os.getpid()}-1.tmp.ipynb"
    assert metadata == {
        "run": "a",
        "cache_key": _record(a)["key"],
        "output_path": str(a.output),
    }
    log_b = (logs / "b.log").read_text(encoding="utf-8")
    assert "status:     failed (ValueError: fylke mangler data)" in log_b
    assert f"kernel:     pid {kernels[0].pid}, run 2 in this kernel\n" in log_b
    assert f"failed notebook: {tmp_path / 'out' / 'b.failed.ipynb'}" in log_b
    assert "[  0]   0.25  completed print(1)" in log_b
    assert "why run:    new" in log_b
    assert (logs / "kernel-1.log").read_text(encoding="utf-8") == (
        f"kernel {kernels[0].pid} started\nkernel {kernels[1].pid} started\n"
    )
    batch_log = (logs / "batch.log").read_text(encoding="utf-8").splitlines()
    assert batch_log[:5] == [
        "run  status       seconds  cached",
        f"a    ok           {results[0].seconds:7.1f}  no (new)",
        f"b    failed       {results[1].seconds:7.1f}  no (new)",
        f"c    ok           {results[2].seconds:7.1f}  no (new)",
        "2 ok, 1 failed; 0 cached, 3 executed",
    ]
    assert batch_log[5] == "FAILED b: ValueError: fylke mangler data"
    wall = re.fullmatch(r"wall time (\d+\.\d) s", batch_log[-1])
    assert wall and float(wall.group(1)) < 60

    # the next batch executes only the failed run again, on one kernel
    kernels.clear()
    again = run_batch(specs, settings, progress=False)
    assert [(r.status, r.cached, r.reason) for r in again] == [
        ("ok", True, "unchanged"),
        ("failed", False, "new"),
        ("ok", True, "unchanged"),
    ]
    assert [k.runs for k in kernels] == [1]
    assert (logs / "a.log").exists()
    assert "1 failed; 2 cached, 1 executed" in (logs / "batch.log").read_text(encoding="utf-8")
    # kernel messages of every batch are kept, one after the other
    assert (logs / "kernel-1.log").read_text(encoding="utf-8").count(" started\n") == 3


def test_an_old_failure_is_removed_when_the_run_succeeds(tmp_path, kernels):
    (spec,) = _project(tmp_path, {"a": "ok"})
    failed = tmp_path / "out" / "a.failed.ipynb"
    failed.parent.mkdir()
    failed.write_text("{}", encoding="utf-8")
    (result,) = run_batch([spec], BatchSettings(jobs=1), progress=False)
    assert result.status == "ok" and result.log is None
    assert not failed.exists()
    assert sorted(p.name for p in spec.output.parent.iterdir()) == [".coopstats", "a.ipynb"]


def test_the_cache_record_keeps_the_run_times_for_the_next_batch(tmp_path, kernels, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(batch, "time", clock)
    monkeypatch.setattr(FakeKernel, "clock", clock)
    (spec,) = _project(tmp_path, {"a": "ok"})
    parts = cache.Fingerprinter().parts(spec)
    worker, done, _ = _worker(BatchSettings(jobs=1), [batch._Job(0, spec, parts, "new")])
    worker.run()
    index, result = done.get_nowait()
    assert (index, result.status) == (0, "ok")
    assert result.seconds == pytest.approx(3.0008)
    record = _record(spec)
    # the whole run took 3.0008 s, of which 1 s resetting the kernel: not counted for ordering
    assert (record["seconds"], record["exec_seconds"]) == (3.001, 2.001)
    assert record["finished"] == 1_700_000_000.0
    assert record["run"] == "a"
    assert record["key"] == cache.key_of(parts)
    assert done.get_nowait() == (None, 1)


def test_a_run_without_cache_key_runs_and_leaves_no_record(tmp_path, kernels):
    (spec,) = _project(tmp_path, {"a": "ok"})
    spec = RunSpec(**{**spec.__dict__, "notebook": tmp_path / "nbs" / "missing.ipynb"})
    (result,) = run_batch([spec], BatchSettings(jobs=1), progress=False)
    assert (result.status, result.reason) == ("ok", "no cache key (FileNotFoundError)")
    assert kernels[0].executed[0][3]["cache_key"] is None
    assert spec.output.exists() and cache.read_record(spec.output) is None
    line = summary_lines([result])[1]
    assert line.endswith("nei (ingen nøkkel til mellomlageret (FileNotFoundError))")


@pytest.mark.parametrize(
    ("mode", "error", "kept"),
    [
        ("partial", "ValueError: fylke mangler data", True),
        ("dead", "RuntimeError: Kernel died before replying", False),
    ],
)
def test_a_failure_without_a_written_notebook(tmp_path, kernels, mode, error, kept):
    (spec,) = _project(tmp_path, {"a": mode})
    spec.output.parent.mkdir()
    spec.output.write_text("old output", encoding="utf-8")
    cache.write_record(spec.output, {"old": 1})
    logs = tmp_path / "logs"
    (result,) = run_batch([spec], BatchSettings(jobs=1, log_dir=logs), progress=False)
    assert (result.status, result.error) == ("failed", error)
    assert not spec.output.exists() and cache.read_record(spec.output) is None
    log = (logs / "a.log").read_text(encoding="utf-8")
    # without an error output in the notebook, the log ends with the exception itself
    shown = "_CellError: papermill text that is not shown" if kept else error
    assert log.endswith(f"--- error\n{shown}\n")
    failed = tmp_path / "out" / "a.failed.ipynb"
    if kept:  # the notebook as far as it ran, with the error at the top
        assert result.failed_notebook == failed
        nb = nbformat.read(failed, as_version=4)
        assert nb.metadata["coopstats"]["error"] == error
        assert f"coopstats: {error}" in nb.cells[0].source
        assert nb.cells[1].outputs[0]["text"] == "partial\n"
    else:
        assert result.failed_notebook is None and not failed.exists()
    assert kernels[0].shut_down


def test_fresh_isolation_starts_a_kernel_for_every_run(tmp_path, kernels):
    specs = _project(tmp_path, {"a": "ok", "b": "ok", "c": "ok"})
    settings = BatchSettings(jobs=1, pool=PoolOptions(isolation="fresh"))
    assert [r.status for r in run_batch(specs, settings, progress=False)] == ["ok"] * 3
    assert [k.runs for k in kernels] == [1, 1, 1]
    assert all(k.shut_down for k in kernels)
    kernels.clear()
    for spec in specs:
        spec.output.unlink()
    run_batch(specs, BatchSettings(jobs=1), progress=False)
    assert [k.runs for k in kernels] == [3]


def test_one_kernel_per_run_to_execute_up_to_jobs(tmp_path, kernels):
    specs = _project(tmp_path, {"a": "ok", "b": "ok", "c": "ok", "d": "ok"})
    run_batch(specs[:1], BatchSettings(jobs=1), progress=False)
    kernels.clear()
    # a is cached: three runs to execute, on three kernels although jobs allows four
    results = run_batch(specs, BatchSettings(jobs=4), progress=False)
    assert [r.cached for r in results] == [True, False, False, False]
    assert len(kernels) == 3 and sum(k.runs for k in kernels) == 3
    kernels.clear()
    for spec in specs:
        spec.output.unlink()
    run_batch(specs, BatchSettings(jobs=2), progress=False)
    assert len(kernels) == 2 and sum(k.runs for k in kernels) == 4


def test_a_kernel_that_cannot_start_fails_each_run_with_its_reason(tmp_path, kernels, monkeypatch):
    monkeypatch.setattr(FakeKernel, "fail_start", True)
    specs = _project(tmp_path, {"a": "ok", "b": "ok"})
    logs = tmp_path / "logs"
    results = run_batch(specs, BatchSettings(jobs=1, log_dir=logs), progress=False)
    assert [(r.status, r.error, r.reason) for r in results] == [
        ("failed", "KernelSetupError: could not start kernel: no such kernel 'ir'", "new")
    ] * 2
    assert [r.log for r in results] == [logs / "a.log", logs / "b.log"]
    text = (logs / "a.log").read_text(encoding="utf-8")
    assert text.endswith(
        "--- error\nKernelSetupError: could not start kernel: no such kernel 'ir'\n"
    )
    assert "\nkernel:" not in text
    assert not any(k.started for k in kernels)
    assert not (tmp_path / "out" / "a.ipynb").exists()
    # the warm-up, then every run, tried to start a kernel
    assert len(kernels) == 3


def test_a_crashing_run_is_reported_and_the_batch_goes_on(tmp_path, kernels):
    specs = _project(tmp_path, {"a": "crash", "b": "ok"})
    results = run_batch(specs, BatchSettings(jobs=1), progress=False)
    assert [(r.status, r.error, r.seconds) for r in results[:1]] == [
        ("failed", "RuntimeError: the kernel client broke", 0.0)
    ]
    assert results[1].status == "ok"
    assert [r.spec for r in results] == specs
    assert len(kernels) == 2 and kernels[0].shut_down and kernels[0].runs == 1


def test_progress_bar_counts_the_runs(tmp_path, kernels, capsys):
    specs = _project(tmp_path, {"a": "ok", "b": "ok"})
    run_batch(specs[:1], BatchSettings(jobs=1), progress=True)
    err = capsys.readouterr().err
    assert "coopstats run: 100%" in err and "1/1" in err
    run_batch(specs, BatchSettings(jobs=1), progress=True)
    err = capsys.readouterr().err
    assert "coopstats run: 100%" in err and "2/2" in err and "run/s" in err
    run_batch(specs, BatchSettings(jobs=1), progress=False)
    assert capsys.readouterr().err == ""


def test_a_stale_temporary_file_of_a_killed_batch_is_removed(tmp_path, kernels):
    (spec,) = _project(tmp_path, {"a[1]": "ok"})
    out = spec.output.parent
    state = out / ".coopstats"
    state.mkdir(parents=True)
    stale = [out / ".a[1].999-1.tmp.ipynb", state / "a[1].ipynb.cache.json.999.tmp"]
    kept = [
        out / ".a1.999-1.tmp.ipynb",
        out / ".b.999-1.tmp.ipynb",
        out / "a[1].999-1.tmp.ipynb",
        state / "a1.ipynb.cache.json.999.tmp",
        state / "a[1].ipynb.cache.json",
    ]
    for path in stale + kept:
        path.write_text("{", encoding="utf-8")
    (result,) = run_batch([spec], BatchSettings(jobs=1), progress=False)
    assert result.status == "ok"
    assert [p.exists() for p in stale] == [False, False]
    assert all(p.exists() for p in kept[:4])
    assert (state / "a[1].ipynb.lock").exists()


def test_planning_interrupted_shuts_down_the_warm_kernels(tmp_path, kernels, monkeypatch):
    specs = _project(tmp_path, {"a": "ok", "b": "ok"})
    real = cache.stale_reason
    calls = []

    def stale_reason(output, parts):
        calls.append(output)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(output, parts)

    monkeypatch.setattr(cache, "stale_reason", stale_reason)
    with pytest.raises(KeyboardInterrupt):
        run_batch(specs, BatchSettings(jobs=2), progress=False)
    assert len(kernels) == 2 and all(k.shut_down for k in kernels)
    assert not specs[0].output.exists()


# --------------------------------------------------------------------------- one worker


def _worker(
    settings: BatchSettings, jobs: list
) -> tuple[batch._Worker, queue.Queue, threading.Event]:
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    worker = batch._Worker(1, deque(jobs), threading.Lock(), done, stop, settings)
    return worker, done, stop


def test_a_run_stopped_by_the_user_keeps_the_old_output(tmp_path, kernels, monkeypatch):
    specs = _project(tmp_path, {"a": "stop", "b": "ok"})
    a = specs[0]
    a.output.parent.mkdir()
    a.output.write_text("old output", encoding="utf-8")
    logs = tmp_path / "logs"
    jobs = [batch._Job(i, s, None, "forced") for i, s in enumerate(specs)]
    worker, done, stop = _worker(BatchSettings(jobs=1, log_dir=logs), jobs)
    monkeypatch.setattr(FakeKernel, "stop", stop)
    worker.warm_up()
    worker.run()
    assert worker.name == "coopstats-worker-1" and worker.daemon
    index, result = done.get_nowait()
    assert (index, result.status, result.error) == (0, "interrupted", "interrupted by the user")
    assert result.failed_notebook is None
    assert done.get_nowait() == (None, 1), "no new run starts after the stop"
    assert a.output.read_text(encoding="utf-8") == "old output"
    assert sorted(p.name for p in a.output.parent.iterdir()) == ["a.ipynb"]
    assert not specs[1].output.exists()
    assert kernels[0].shut_down
    assert "status:     interrupted (interrupted by the user)" in (logs / "a.log").read_text(
        encoding="utf-8"
    )


def test_a_stop_while_the_kernel_starts_is_an_interruption(tmp_path, kernels, monkeypatch):
    monkeypatch.setattr(FakeKernel, "fail_start", True)
    (spec,) = _project(tmp_path, {"a": "ok"})
    worker, done, stop = _worker(BatchSettings(jobs=1), [])
    stop.set()
    result = worker._execute(batch._Job(0, spec, None, "new"))
    assert (result.status, result.error, result.reason) == (
        "interrupted",
        "interrupted by the user",
        "new",
    )
    assert result.log is None


def test_interrupting_a_worker_signals_its_kernel(tmp_path, kernels):
    worker, _, _ = _worker(BatchSettings(jobs=1), [])
    worker.interrupt()  # no kernel yet: nothing to do
    worker.interrupt(hard=True)
    worker._ensure_kernel()
    worker.interrupt()
    worker.interrupt(hard=True)
    assert kernels[0].signals == ["interrupt", "kill"]
    assert kernels[0].options == PoolOptions()


# --------------------------------------------------------------------------- Ctrl-C


class _Bar:
    def __init__(self) -> None:
        self.postfix: list[str] = []
        self.updates = 0

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        assert refresh is False
        self.postfix.append(text)

    def update(self, n: int = 1) -> None:
        self.updates += n


class _Script:
    """A done-queue that replays a script: results, Empty, Ctrl-C, or a clock step."""

    def __init__(self, clock: _Clock, steps: list) -> None:
        self.clock, self.steps = clock, deque(steps)

    def get(self, timeout: float) -> tuple:
        assert timeout == 0.2
        step = self.steps.popleft()
        if isinstance(step, float):
            self.clock.advance(step)
            raise queue.Empty
        if step is queue.Empty or step is KeyboardInterrupt:
            raise step
        return step


class _StubWorker:
    def __init__(self, current=None) -> None:
        self.current, self.signals, self.started, self.joined = current, [], False, None

    def start(self) -> None:
        self.started = True

    def interrupt(self, hard: bool = False) -> None:
        self.signals.append("kill" if hard else "interrupt")

    def join(self, timeout=None) -> None:
        self.joined = timeout


def _pool(clock, steps, workers):
    return SimpleNamespace(
        pending=deque(), workers=workers, stop=threading.Event(), done=_Script(clock, steps)
    )


def test_ctrl_c_interrupts_the_kernels_then_kills_them_after_ten_seconds(monkeypatch, kernels):
    clock = _Clock()
    monkeypatch.setattr(batch, "time", clock)
    long_a, long_b = "fylke-" + "a" * 30, "fylke-" + "b" * 30
    jobs = [batch._Job(i, _spec(n), None, "new") for i, n in enumerate((long_a, long_b, "c"))]
    workers = [_StubWorker(jobs[0]), _StubWorker(jobs[1]), _StubWorker()]
    result = _result("x")
    steps = [
        queue.Empty,
        KeyboardInterrupt,
        (1, result),
        5.0,
        5.0,
        0.5,
        (None, 1),
        (None, 2),
        (None, 3),
    ]
    pool = _pool(clock, steps, workers)
    results: list = [None, None, None]
    bar = _Bar()
    assert batch._run_pool(jobs, BatchSettings(jobs=3), results, bar, pool) is True
    assert list(pool.pending) == jobs
    assert all(w.started for w in workers) and all(w.joined == 30 for w in workers)
    assert results == [None, result, None] and bar.updates == 1
    assert bar.postfix[0] == f"{long_a}, {long_b}"[:60]
    assert len(bar.postfix[0]) == 60
    # soft at once; at exactly ten seconds still waiting; after that the kernels are killed
    assert [w.signals for w in workers] == [["interrupt", "kill"]] * 3
    assert pool.stop.is_set()


def test_a_second_ctrl_c_kills_the_kernels_and_stops_waiting(monkeypatch, kernels):
    clock = _Clock()
    monkeypatch.setattr(batch, "time", clock)
    workers = [_StubWorker(), _StubWorker()]
    pool = _pool(clock, [KeyboardInterrupt, KeyboardInterrupt], workers)
    with pytest.raises(KeyboardInterrupt):
        batch._run_pool([], BatchSettings(jobs=2), [], _Bar(), pool)
    assert [w.signals for w in workers] == [["interrupt", "kill"]] * 2


def test_a_pool_not_interrupted_says_so(monkeypatch, kernels):
    clock = _Clock()
    monkeypatch.setattr(batch, "time", clock)
    workers = [_StubWorker()]
    bar = _Bar()
    pool = _pool(clock, [queue.Empty, (0, _result("a")), (None, 1)], workers)
    results: list = [None]
    assert batch._run_pool([], BatchSettings(jobs=1), results, bar, pool) is False
    assert bar.postfix == [""] and workers[0].signals == []
    # the first worker to run out of runs does not end the wait for the others
    workers = [_StubWorker(), _StubWorker()]
    steps = [(None, 1), queue.Empty, (1, _result("b")), (None, 2)]
    pool = _pool(clock, steps, workers)
    results = [None, None]
    assert batch._run_pool([], BatchSettings(jobs=2), results, _Bar(), pool) is False
    assert results[1].spec.name == "b"


def test_an_interrupted_batch_reports_what_ran_and_what_did_not(tmp_path, kernels, monkeypatch):
    class RecordingPool(batch._Pool):
        def __init__(self, settings, size):
            super().__init__(settings, size)
            FakeKernel.stop = self.stop  # the stand-in kernel's "stop" run presses Ctrl-C

    monkeypatch.setattr(batch, "_Pool", RecordingPool)
    specs = _project(tmp_path, {"a": "ok", "b": "stop", "c": "ok", "d": "ok"})
    logs = tmp_path / "logs"
    with pytest.raises(batch.BatchInterrupted) as info:
        batch.run_batch(specs, BatchSettings(jobs=1, log_dir=logs), progress=False)
    results = info.value.results
    assert str(info.value) == "batch interrupted"
    assert [(r.spec, r.status, r.error, r.reason) for r in results] == [
        (specs[0], "ok", "", "new"),
        (specs[1], "interrupted", "interrupted by the user", "new"),
        (specs[2], "not run", "batch interrupted", ""),
        (specs[3], "not run", "batch interrupted", ""),
    ]
    lines = summary_lines(results)
    assert lines[3:5] == [
        "c        ikke kjørt       0.0  nei",
        "d        ikke kjørt       0.0  nei",
    ]
    assert lines[5] == "1 ok, 0 feilet, 1 avbrutt, 2 ikke kjørt; 0 mellomlagret, 1 kjørt"
    text = (logs / "batch.log").read_text(encoding="utf-8")
    assert "1 ok, 0 failed, 1 interrupted, 2 not run; 0 cached, 1 executed\nwall time " in text
    assert specs[0].output.exists() and not specs[1].output.exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".coopstats", "a.ipynb"]


# --------------------------------------------------------------------------- custom runners


class _Writer:
    def __init__(self, reason: str = "") -> None:
        self.reason, self.calls = reason, []

    def __call__(self, spec: RunSpec) -> RunResult:
        self.calls.append(spec.name)
        spec.output.parent.mkdir(parents=True, exist_ok=True)
        spec.output.write_text(f'{{"run": "{spec.name}"}}', encoding="utf-8")
        return RunResult(spec, "ok", 0.5, reason=self.reason)


def test_a_custom_runner_gets_records_and_the_progress_bar_names_the_run(tmp_path, capsys):
    specs = _project(tmp_path, {"fylke-a": "ok", "fylke-b": "ok"})
    writer = _Writer()
    results = run_batch(specs, runner=writer, progress=True)
    assert writer.calls == ["fylke-a", "fylke-b"]
    assert [(r.spec, r.reason) for r in results] == [(specs[0], "new"), (specs[1], "new")]
    assert "2/2" in capsys.readouterr().err
    for spec in specs:
        record = _record(spec)
        assert record["run"] == spec.name
        assert cache.stale_reason(spec.output, record["parts"]) is None
    specs[1].output.unlink()
    again = run_batch(specs, runner=_Writer("my own reason"), progress=True)
    assert [(r.spec, r.status, r.cached, r.reason) for r in again] == [
        (specs[0], "ok", True, "unchanged"),
        (specs[1], "ok", False, "my own reason"),
    ]
    err = capsys.readouterr().err
    assert "2/2" in err and "fylke-b]" in err and "3/2" not in err


def test_a_custom_runner_whose_output_is_missing_leaves_no_record(tmp_path):
    (spec,) = _project(tmp_path, {"a": "ok"})
    (result,) = run_batch([spec], runner=lambda s: RunResult(s, "ok", 0.1), progress=False)
    assert result.status == "ok" and cache.read_record(spec.output) is None


def test_a_custom_runner_takes_no_locks(tmp_path):
    """A custom runner (one Airflow task per run) holds the run's lock itself."""
    import fcntl

    (spec,) = _project(tmp_path, {"a": "ok"})
    state = tmp_path / "out" / ".coopstats"
    state.mkdir(parents=True)
    other = tmp_path / "out" / ".a.999-1.tmp.ipynb"
    other.write_text("{", encoding="utf-8")
    with open(state / "a.ipynb.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        (result,) = run_batch([spec], runner=_Writer(), progress=False)
    assert result.status == "ok"
    assert other.exists(), "the runner's own temporary file is left alone"


def test_a_batch_with_a_custom_runner_writes_no_batch_log(tmp_path):
    (spec,) = _project(tmp_path, {"a": "ok"})
    logs = tmp_path / "logs"
    run_batch([spec], BatchSettings(jobs=1, log_dir=logs), runner=_Writer(), progress=False)
    assert not logs.exists()


def test_run_one_results_name_their_run(tmp_path, monkeypatch):
    import papermill

    spec = RunSpec("a", tmp_path / "nb.ipynb", tmp_path / "out" / "a.ipynb")
    monkeypatch.setattr(papermill, "execute_notebook", _FakePapermill())
    assert batch.run_one(spec).spec is spec
    monkeypatch.setattr(papermill, "execute_notebook", _FakePapermill("fail"))
    assert batch.run_one(spec).spec is spec


# --------------------------------------------------------------------------- the run matrix


def test_only_keeps_the_runs_of_one_county():
    root = Path(__file__).resolve().parents[1]
    specs = batch.build_run_matrix(root, root / "data" / "demo", only=["nav-oslo"])
    assert "fylke-nav-oslo" in [s.name for s in specs]
    assert all("nav-oslo" in s.tags for s in specs)
    assert all(s.output.parent == root / "_build" / "notebooks" for s in specs)
    assert len(batch.build_run_matrix(root, root / "data" / "demo", only=[])) > len(specs)


def test_no_thread_outlives_a_batch(tmp_path, kernels):
    before = set(threading.enumerate())
    specs = _project(tmp_path, {"a": "ok", "b": "cell-error"})
    run_batch(specs, BatchSettings(jobs=2), progress=True)
    run_batch(specs, runner=_Writer(), progress=True)
    assert set(threading.enumerate()) <= before


def test_the_log_of_cells_without_papermill_metadata(tmp_path):
    spec = RunSpec("r", Path("nb.ipynb"), Path("r.ipynb"))
    nb = SimpleNamespace(
        cells=[
            {"cell_type": "code", "source": "x = 1"},
            {"cell_type": "code", "source": "y", "metadata": {"papermill": {"duration": 2}}},
            {"cell_type": "code", "outputs": [{"output_type": "error", "ename": "E"}]},
            {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout"}]},
        ]
    )
    path = tmp_path / "r.log"
    write_log(path, spec, RunResult(spec, "failed", 1.0, "E"), nb, exc=ValueError("v"))
    text = path.read_text(encoding="utf-8")
    assert text.split("\n")[9:] == [
        "--- cells (index, seconds, status, label)",
        "[  0]      -            x = 1",
        "[  1]   2.00            y",
        "[  2]      -            ",
        "[  3]      -            ",
        "--- printed output",
        "[cell 3 stdout]",
        "",
        "--- error",
        "",
        "",
    ]


def test_a_pool_of_its_own_has_one_kernel_per_run_up_to_jobs(tmp_path, kernels):
    specs = _project(tmp_path, {"a": "ok", "b": "ok"})
    jobs = [batch._Job(i, s, None, "new") for i, s in enumerate(specs)]
    results: list = [None, None]
    bar = _Bar()
    assert batch._run_pool(jobs, BatchSettings(jobs=4), results, bar) is False
    assert [r.status for r in results] == ["ok", "ok"] and bar.updates == 2
    assert len(kernels) in (1, 2) and all(k.shut_down for k in kernels)
    kernels.clear()
    for spec in specs:
        spec.output.unlink()
    batch._run_pool(jobs, BatchSettings(jobs=1), [None, None], _Bar())
    assert [k.runs for k in kernels] == [2]


def test_the_progress_bar_names_the_runs_in_progress(tmp_path, kernels, monkeypatch):
    real = FakeKernel.execute

    def slow(self, notebook, output, parameters, metadata):
        if parameters["value"] == 0:
            time.sleep(0.7)
        return real(self, notebook, output, parameters, metadata)

    monkeypatch.setattr(FakeKernel, "execute", slow)
    specs = _project(tmp_path, {"fylke-a": "ok", "fylke-b": "ok"})
    pool = batch._Pool(BatchSettings(jobs=3), 3)  # one worker finds no run at all
    bar = _Bar()
    results: list = [None, None]
    jobs = [batch._Job(i, spec, None, "new") for i, spec in enumerate(specs)]
    batch._run_pool(jobs, BatchSettings(jobs=3), results, bar, pool)
    assert [r.status for r in results] == ["ok", "ok"]
    # while fylke-a runs on, the worker that finished fylke-b is no longer named
    assert bar.postfix[-1] == "fylke-a"
    assert set(bar.postfix) <= {"fylke-a", "fylke-a, fylke-b", "fylke-b, fylke-a", ""}


def test_a_run_stopped_before_it_wrote_anything(tmp_path, kernels, monkeypatch):
    (spec,) = _project(tmp_path, {"a": "stop-early"})
    worker, done, stop = _worker(BatchSettings(jobs=1), [batch._Job(0, spec, None, "new")])
    monkeypatch.setattr(FakeKernel, "stop", stop)
    worker.run()
    _, result = done.get_nowait()
    assert (result.status, result.error) == ("interrupted", "interrupted by the user")
    assert not spec.output.parent.exists() or not any(spec.output.parent.iterdir())


def test_a_worker_creates_the_output_folder(tmp_path, kernels):
    (spec,) = _project(tmp_path, {"a": "ok"})
    spec = RunSpec(**{**spec.__dict__, "output": tmp_path / "out" / "deep" / "a.ipynb"})
    worker, done, _ = _worker(BatchSettings(jobs=1), [batch._Job(0, spec, None, "new")])
    worker.run()
    assert done.get_nowait()[1].status == "ok" and spec.output.exists()


def test_the_warm_up_runs_in_a_named_background_thread(tmp_path, kernels, monkeypatch):
    release = threading.Event()
    seen: list = []

    def start(self):
        seen.append(threading.current_thread())
        release.wait(5)
        self.started = True

    monkeypatch.setattr(FakeKernel, "start", start)
    worker, _, _ = _worker(BatchSettings(jobs=1), [])
    worker.warm_up()
    try:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        (thread,) = seen
        # a kernel that takes long to start never keeps Python from exiting after Ctrl-C
        assert thread.daemon and thread.name == "coopstats-worker-1-warmup"
    finally:
        release.set()
        worker.wait_warm()
    assert worker.kernel is kernels[0] and kernels[0].started


def test_a_registry_passed_in_is_the_one_used(monkeypatch):
    from coopstats import registry as registry_module

    root = Path(__file__).resolve().parents[1]
    given = registry_module.load_registry()

    def refuse(*args, **kwargs):
        raise AssertionError("the packaged registry was loaded again")

    monkeypatch.setattr(registry_module, "load_registry", refuse)
    specs = batch.build_run_matrix(root, root / "data" / "demo", given, only=["nav-oslo"])
    assert "fylke-nav-oslo" in [s.name for s in specs]


def test_a_run_without_cache_key_keeps_the_earlier_record_to_check_against(tmp_path):
    """A run whose key cannot be made (its notebook was missing) writes no record, and keeps
    the earlier one: the next batch trusts the output only if it is byte for byte the output
    that record describes."""
    (spec,) = _project(tmp_path, {"a": "ok"})
    run_batch([spec], runner=_Writer(), progress=False)
    hidden = spec.notebook.with_name("hidden.ipynb")
    spec.notebook.rename(hidden)
    (result,) = run_batch([spec], runner=_Writer(), progress=False)
    assert result.reason == "no cache key (FileNotFoundError)"
    hidden.rename(spec.notebook)
    (result,) = run_batch([spec], runner=_Writer(), progress=False)
    assert (result.cached, result.reason) == (True, "unchanged")
