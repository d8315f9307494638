"""The warm-kernel pool: papermill semantics, no state leaks, fault isolation, cache.

These tests execute tiny synthetic notebooks in real Jupyter kernels (a few seconds each).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from coopstats.batch import BatchSettings, RunSpec, run_batch, run_one
from coopstats.cli import main
from coopstats.kernelpool import PoolOptions

PROBE = """import builtins, hashlib, json, logging, os, sys, warnings
import matplotlib.pyplot as plt, numpy as np, pandas as pd
# rcParams["interactive"] is False in a fresh kernel until its first figure loads the inline
# backend, and True afterwards (a warm kernel has drawn one); everything else must match.
rc = sorted((k, repr(v)) for k, v in plt.rcParams.items() if k != "interactive")
state = {
    "globals": sorted(k for k in globals() if not k.startswith("_")),
    "cwd": os.getcwd(),
    "env": sorted((k, v) for k, v in os.environ.items() if k != "JPY_PARENT_PID"),
    "path": sys.path,
    "rc": hashlib.sha256(repr(rc).encode()).hexdigest(),
    "figures": plt.get_fignums(),
    "pandas_max_rows": pd.get_option("display.max_rows"),
    "warnings": [repr(f) for f in warnings.filters],
    "builtins": sorted(k for k in vars(builtins) if not k.startswith("_")),
    "numpy_precision": np.get_printoptions()["precision"],
    "logging": [logging.getLogger().level, len(logging.getLogger().handlers)],
    "modules_from_notebook": "leaky_helper" in sys.modules,
}
print(json.dumps(state))"""
FIGURE = "fig, ax = plt.subplots(figsize=(2, 1))\nax.plot([1, 2])\nplt.show()"
POLLUTER = """import builtins, logging, os, sys, warnings
import matplotlib.pyplot as plt, numpy as np, pandas as pd
leak = 42
os.chdir("/")
os.environ["COOPSTATS_LEAK"] = "1"
sys.path.append("/leak")
plt.rcParams["lines.linewidth"] = 9
plt.figure()
pd.set_option("display.max_rows", 3)
warnings.simplefilter("ignore")
builtins.coopstats_leak = True
np.set_printoptions(precision=2)
logging.basicConfig(level=logging.DEBUG)
get_ipython().run_line_magic("config", "InlineBackend.figure_formats = ['svg']")"""
TINY = """import os, time
print("unit", unit, os.path.basename(os.getcwd()))
if unit == "bad":
    raise ValueError("fylke mangler data")
if unit == "die":
    os._exit(3)
result = unit * 2"""

pytestmark = pytest.mark.e2e
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, *cells: str, parameters: str = 'unit = "x"') -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _state(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    state = json.loads(code[-2].outputs[0]["text"])
    state["figure_outputs"] = [sorted(o.get("data", {})) for o in code[-1].outputs]
    state["execution_counts"] = [c.execution_count for c in code]
    return state


def test_no_state_leaks_from_one_run_into_the_next(tmp_path):
    probe = _notebook(tmp_path / "nb" / "probe.ipynb", PROBE, FIGURE, parameters='label = ""')
    polluter = _notebook(tmp_path / "nb" / "polluter.ipynb", POLLUTER, parameters='label = ""')
    out = tmp_path / "out"
    specs = [
        RunSpec("probe-first", probe, out / "probe-first.ipynb", {"label": "first"}),
        RunSpec("polluter", polluter, out / "polluter.ipynb", {"label": "p"}),
        RunSpec("probe-after", probe, out / "probe-after.ipynb", {"label": "after"}),
    ]
    settings = BatchSettings(jobs=1, pool=PoolOptions(preload=("pandas", "matplotlib.pyplot")))
    results = run_batch(specs, settings, progress=False)
    assert [r.status for r in results] == ["ok", "ok", "ok"], [r.error for r in results]
    fresh = run_one(RunSpec("probe-fresh", probe, out / "probe-fresh.ipynb", {"label": "fresh"}))
    assert fresh.status == "ok", fresh.error

    first, after = _state(out / "probe-first.ipynb"), _state(out / "probe-after.ipynb")
    baseline = _state(out / "probe-fresh.ipynb")  # plain papermill, new kernel
    assert after == first == baseline
    # and concretely, nothing of the polluter is visible afterwards
    assert "leak" not in after["globals"]
    assert after["cwd"] == str(probe.parent)
    assert ("COOPSTATS_LEAK", "1") not in map(tuple, after["env"])
    assert "/leak" not in after["path"]
    assert after["figures"] == [] and after["pandas_max_rows"] != 3
    assert "coopstats_leak" not in after["builtins"]
    assert after["figure_outputs"] == [["image/png", "text/plain"]]
    assert after["execution_counts"] == [1, 2, 3, 4]


def test_outputs_follow_papermill_conventions(tmp_path):
    nb = _notebook(tmp_path / "nb" / "tiny.ipynb", TINY)
    out = tmp_path / "out" / "tiny-a.ipynb"
    spec = RunSpec("tiny-a", nb, out, {"unit": "a"})
    results = run_batch([spec], BatchSettings(jobs=1), progress=False)
    assert results[0].status == "ok", results[0].error
    executed = nbformat.read(out, as_version=4)
    nbformat.validate(executed)
    tags = [c.metadata.get("tags", []) for c in executed.cells]
    assert tags[:2] == [["parameters"], ["injected-parameters"]]
    assert executed.cells[1].source == '# Parameters\nunit = "a"\n'
    assert executed.metadata.papermill.parameters == {"unit": "a"}
    assert executed.metadata.papermill.output_path == str(out)
    assert all("papermill" in c.metadata for c in executed.cells)
    assert "unit a nb" in executed.cells[2].outputs[0]["text"]  # ran in the notebook's folder
    assert executed.metadata.coopstats["run"] == "tiny-a"


def _project(tmp_path: Path, units: list[str]) -> tuple[Path, Path]:
    _notebook(tmp_path / "notebooks" / "tiny.ipynb", TINY, parameters='unit = "x"\ndata_dir = ""')
    config = {
        "jobs": 2,
        "preload": [],
        "cell_timeout": 60,
        "notebooks": [
            {
                "name": "tiny",
                "notebook": "notebooks/tiny.ipynb",
                "each": {"unit": units},
                "output": "tiny-{unit}.ipynb",
                "parameters": {"unit": "{unit}", "data_dir": "{data_dir}"},
                "inputs": ["participants"],
                "rows": "unit",
            }
        ],
    }
    path = tmp_path / "runs.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    rows = "".join(f"P{i},{u},\n" for i, u in enumerate(units))
    (data / "participants.csv").write_text("person_id,unit_id,trial_id\n" + rows, encoding="utf-8")
    return path, data


def test_one_broken_unit_fails_alone_and_is_reported(tmp_path, capsys):
    config, data = _project(tmp_path, ["a", "bad", "die", "c"])
    out = tmp_path / "_build" / "notebooks"
    (out).mkdir(parents=True)
    (out / "tiny-bad.ipynb").write_text("{}", encoding="utf-8")  # an old output of "bad"
    argv = ["run", "--config", str(config), "--data", str(data), "--no-progress"]

    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "2 ok, 2 feilet; 0 mellomlagret, 4 kjørt" in text
    assert "FEILET tiny-bad: ValueError: fylke mangler data" in text
    assert "FEILET tiny-die: DeadKernelError: Kernel died" in text
    for unit in ("a", "c"):
        executed = nbformat.read(out / f"tiny-{unit}.ipynb", as_version=4)
        assert executed.cells[-1].outputs[0]["text"] == f"unit {unit} notebooks\n"
    assert not (out / "tiny-bad.ipynb").exists(), "an output that no longer matches is removed"
    failed = nbformat.read(out / "tiny-bad.failed.ipynb", as_version=4)
    errors = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors[0].evalue == "fylke mangler data"
    dead = nbformat.read(out / "tiny-die.failed.ipynb", as_version=4)
    assert "DeadKernelError" in dead.metadata.coopstats["error"]
    logs = tmp_path / "_build" / "logs"
    assert "ValueError: fylke mangler data" in (logs / "tiny-bad.log").read_text()
    assert "status:     ok" in (logs / "tiny-a.log").read_text()
    assert "tiny-die" in (logs / "batch.log").read_text()

    # next batch: the finished units are cached, the failed ones run again
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "2 ok, 2 feilet; 2 mellomlagret, 2 kjørt" in text
    assert text.count("  ja") == 2

    # one unit's data changes: only that unit runs; --force runs everything
    rows = (data / "participants.csv").read_text().replace("P3,c,", "P3,c,t")
    (data / "participants.csv").write_text(rows)
    good = ["run", "--config", str(config), "--data", str(data), "--only", "a", "--no-progress"]
    assert main(good) == 0
    assert "0 mellomlagret, 1 kjørt" in capsys.readouterr().out  # --only executes even if cached
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "tiny-c    ok" in text and "nei (endret data: participants)" in text
    assert "2 ok, 2 feilet; 1 mellomlagret, 3 kjørt" in text
    assert main([*argv, "--force"]) == 1
    assert "0 mellomlagret, 4 kjørt" in capsys.readouterr().out


def test_a_cell_timeout_fails_that_run_and_the_kernel_is_replaced(tmp_path):
    nb = _notebook(
        tmp_path / "nb" / "wait.ipynb",
        "import time\nif unit == 'slow':\n    time.sleep(30)\nprint('done', unit)",
    )
    out = tmp_path / "out"
    specs = [RunSpec(f"wait-{u}", nb, out / f"wait-{u}.ipynb", {"unit": u}) for u in ("slow", "a")]
    settings = BatchSettings(jobs=1, pool=PoolOptions(cell_timeout=1), log_dir=tmp_path / "logs")
    slow, fast = run_batch(specs, settings, progress=False)
    assert slow.status == "failed" and slow.error.startswith("CellTimeoutError: A cell timed out")
    assert slow.seconds < 15
    failed = nbformat.read(out / "wait-slow.failed.ipynb", as_version=4)
    assert "CellTimeoutError" in failed.metadata.coopstats["error"]
    assert fast.status == "ok", fast.error
    assert "run 1 in this kernel" in (tmp_path / "logs" / "wait-a.log").read_text()


def test_fresh_isolation_starts_a_kernel_per_run(tmp_path):
    nb = _notebook(tmp_path / "nb" / "pid.ipynb", "import os\nprint(os.getpid())")
    out, logs = tmp_path / "out", tmp_path / "logs"
    specs = [RunSpec(f"pid-{u}", nb, out / f"pid-{u}.ipynb", {"unit": u}) for u in ("a", "b")]
    pool = PoolOptions(isolation="fresh")
    results = run_batch(specs, BatchSettings(jobs=1, pool=pool, log_dir=logs), progress=False)
    assert [r.status for r in results] == ["ok", "ok"]
    pids = {
        nbformat.read(out / f"pid-{u}.ipynb", as_version=4).cells[-1].outputs[0]["text"]
        for u in ("a", "b")
    }
    assert len(pids) == 2
    assert all("run 1 in this kernel" in (logs / f"pid-{u}.log").read_text() for u in "ab")


# --------------------------------------------------------------------------- failure paths

MARKED = """import os
print("run", unit, open(os.path.join(data_dir, "participants.csv")).read().count("\\n"))
if os.path.exists(os.path.join(data_dir, "BROKEN")):  # a file outside the cache key
    raise ValueError("fylke mangler data")"""


def _cached_run(tmp_path: Path) -> RunSpec:
    data = tmp_path / "data"
    data.mkdir()
    (data / "participants.csv").write_text("person_id,unit_id\nP1,a\n", encoding="utf-8")
    nb = _notebook(tmp_path / "nb" / "marked.ipynb", MARKED, parameters='unit = "x"\ndata_dir = ""')
    parameters = {"unit": "a", "data_dir": str(data)}
    out = tmp_path / "out" / "marked-a.ipynb"
    return RunSpec("marked-a", nb, out, parameters, inputs=("participants",), data_dir=data)


def _printed(path: Path) -> str:
    return nbformat.read(path, as_version=4).cells[-1].outputs[0]["text"]


def test_a_failed_run_removes_the_old_output_and_its_record(tmp_path):
    """A forced run fails for a reason outside the cache key: the old output no longer stands
    for what the inputs give, so it and its record go, and the next batch executes the run
    again instead of reporting the old output as cached."""
    from coopstats import cache

    spec = _cached_run(tmp_path)
    settings = BatchSettings(jobs=1, pool=PoolOptions(preload=()))
    (ok,) = run_batch([spec], settings, progress=False)
    assert ok.status == "ok", ok.error
    assert cache.read_record(spec.output) is not None

    (spec.data_dir / "BROKEN").touch()
    forced = BatchSettings(jobs=1, pool=PoolOptions(preload=()), force=True)
    (failed,) = run_batch([spec], forced, progress=False)
    assert failed.status == "failed" and "fylke mangler data" in failed.error
    assert not spec.output.exists()
    assert cache.read_record(spec.output) is None
    assert failed.failed_notebook == spec.output.with_name("marked-a.failed.ipynb")

    (again,) = run_batch([spec], settings, progress=False)
    assert not again.cached and again.status == "failed"
    assert again.reason == "new"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_crash_while_writing_keeps_the_old_output_intact(tmp_path, monkeypatch):
    """The batch dies half-way through writing a notebook (simulated in the worker by an
    exception that no handler catches, as SIGKILL leaves things): the old output is intact and
    byte-identical, the half-written file is only a temporary file, the old output is not
    trusted for the new inputs, and the next batch removes the debris and replaces the output
    by a rename (a reader of the old file keeps reading the old, complete file)."""
    import papermill.iorw

    from coopstats import cache

    spec = _cached_run(tmp_path)
    settings = BatchSettings(jobs=1, pool=PoolOptions(preload=()))
    (ok,) = run_batch([spec], settings, progress=False)
    assert ok.status == "ok", ok.error
    old = spec.output.read_bytes()
    assert _printed(spec.output) == "run a 2\n"

    people = spec.data_dir / "participants.csv"
    people.write_text("person_id,unit_id\nP1,a\nP2,a\n", encoding="utf-8")

    def half_then_die(self, buf, path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(buf[: len(buf) // 2])
        raise SystemExit("the batch died while writing")

    with monkeypatch.context() as patch:
        patch.setattr(papermill.iorw.LocalHandler, "write", half_then_die)
        (crashed,) = run_batch([spec], settings, progress=False)
    assert crashed.status == "not run"
    assert spec.output.read_bytes() == old
    debris = [p for p in spec.output.parent.glob("*.ipynb") if p != spec.output]
    assert debris and all(p.name.startswith(".marked-a.") for p in debris)
    assert all(p.name.endswith(".tmp.ipynb") for p in debris)
    parts = cache.Fingerprinter((), "python3").parts(spec)
    assert cache.stale_reason(spec.output, parts) == "changed data: participants"

    old_inode = spec.output.stat().st_ino
    with open(spec.output, "rb") as reader:
        (rerun,) = run_batch([spec], settings, progress=False)
        assert reader.read() == old
    assert rerun.status == "ok" and rerun.reason == "changed data: participants"
    assert spec.output.stat().st_ino != old_inode
    assert _printed(spec.output) == "run a 3\n"
    assert sorted(p.name for p in spec.output.parent.glob("*.ipynb")) == ["marked-a.ipynb"]
    assert cache.stale_reason(spec.output, parts) is None
