"""The Airflow DAG generated from the run matrix (one task per run)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coopstats.batch import build_run_matrix
from coopstats.dag import OPERATORS, render_dag

ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = ROOT / "dags" / "coopstats_dag.py"
DEMO = ROOT / "data" / "demo"


def _runs_of(source: str) -> list[dict]:
    """The RUNS list of a generated DAG, read without importing Airflow."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "RUNS":
            return json.loads(node.value.args[0].value)
    raise AssertionError("no RUNS in the DAG")


def test_committed_dag_is_generated_from_the_current_matrix():
    specs = build_run_matrix(ROOT, DEMO)
    expected = render_dag(specs, ROOT, args="--data data/demo --output dags/coopstats_dag.py")
    assert DAG_FILE.read_text(encoding="utf-8") == expected, (
        "dags/coopstats_dag.py is out of date: run "
        "`python -m coopstats.dag --data data/demo --output dags/coopstats_dag.py`"
    )


@pytest.mark.parametrize("operator", OPERATORS)
def test_every_operator_style_has_one_task_per_run(operator, tmp_path):
    specs = build_run_matrix(ROOT, DEMO, out_dir=ROOT / "_build" / "notebooks")
    source = render_dag(specs, ROOT, operator=operator)
    compile(source, f"coopstats_dag_{operator}.py", "exec")
    runs = _runs_of(source)
    assert [r["name"] for r in runs] == [s.name for s in specs]
    oslo = next(r for r in runs if r["name"] == "fylke-nav-oslo")
    assert oslo["notebook"] == "notebooks/fylke.ipynb"
    assert oslo["output"] == "_build/notebooks/fylke-nav-oslo.ipynb"
    assert oslo["parameters"]["unit"] == "nav-oslo"
    assert oslo["parameters"]["data_dir"] == "{data_dir}"  # filled in by the DAG's params


# Airflow's own parser (DagBag) on the committed DAG, run in a Python that has Airflow: the one
# named by COOPSTATS_AIRFLOW_PYTHON (a separate virtualenv, which .ci/run creates; Airflow pins too
# many packages to share .venv), else this Python when it has Airflow. The parser runs in a
# subprocess with AIRFLOW_HOME in a temporary folder and writes the DAG's tasks as JSON; the
# assertions are made here. See docs/batch.md, "Scaling out on Airflow".
_DAGBAG_CHECK = """
import inspect, json, sys

import airflow
from airflow.models import DagBag

kwargs = {}
if "include_examples" in inspect.signature(DagBag).parameters:  # Airflow 2
    kwargs["include_examples"] = False
result = {"airflow": airflow.__version__, "files": {}}
for path in sys.argv[2:]:
    bag = DagBag(dag_folder=path, **kwargs)
    result["files"][path] = {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dags": {
            dag_id: {
                task.task_id: {
                    "operator": type(task).__name__,
                    "upstream": sorted(task.upstream_task_ids),
                    "downstream": sorted(task.downstream_task_ids),
                    "bash_command": getattr(task, "bash_command", None),
                }
                for task in dag.tasks
            }
            for dag_id, dag in bag.dags.items()
        },
    }
with open(sys.argv[1], "w", encoding="utf-8") as out:  # Airflow logs to stdout
    json.dump(result, out)
"""

#: Copies of the committed DAG, each broken in one way: (old, new, what the check must report).
_BROKEN = {
    "no-render-dependency": ("validate >> task >> render", "validate >> task", "render waits"),
    "import-error": ("from airflow import DAG", "from airflow import NoSuchDAG as DAG", "import"),
    "task-missing": ("for run in RUNS:", "for run in RUNS[1:]:", "one task per run"),
}


def _airflow_python() -> str | None:
    configured = os.environ.get("COOPSTATS_AIRFLOW_PYTHON")
    if configured:
        return configured
    if importlib.util.find_spec("airflow") is not None:
        return sys.executable
    return None


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory) -> dict:
    """What Airflow's DagBag parsed from the committed DAG and from the broken copies."""
    python = _airflow_python()
    if python is None:
        pytest.skip(
            "no Airflow: set COOPSTATS_AIRFLOW_PYTHON to the Python of a virtualenv with "
            "apache-airflow (.ci/run makes one), or install apache-airflow in this one"
        )
    tmp = tmp_path_factory.mktemp("airflow")
    source = DAG_FILE.read_text(encoding="utf-8")
    files = {"committed": DAG_FILE}
    for name, (old, new, _) in _BROKEN.items():
        if source.count(old) != 1:
            continue  # test_airflow_check_reports_a_broken_dag says so
        files[name] = tmp / name / "coopstats_dag.py"
        files[name].parent.mkdir()
        files[name].write_text(source.replace(old, new), encoding="utf-8")
    (tmp / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        AIRFLOW_HOME=str(tmp / "home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ in dags/
    )
    out = tmp / "dagbag.json"
    proc = subprocess.run(
        [python, "-c", _DAGBAG_CHECK, str(out), *map(str, files.values())],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"the DagBag check failed in {python}:\n{proc.stderr[-4000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    return {name: result["files"][str(path)] for name, path in files.items()}


def _check_dag(parsed: dict, runs: list[str]) -> None:
    """Assert that DagBag found the coopstats DAG: validate >> each run >> render."""
    assert not parsed["import_errors"], f"import errors: {parsed['import_errors']}"
    assert list(parsed["dags"]) == ["coopstats"], f"dag ids: {list(parsed['dags'])}"
    tasks = parsed["dags"]["coopstats"]
    expected = sorted(["validate", "render", *runs])
    assert sorted(tasks) == expected, f"one task per run: {set(tasks) ^ set(expected)} differ"
    assert tasks["validate"]["upstream"] == []
    assert tasks["validate"]["downstream"] == sorted(runs)
    assert tasks["validate"]["bash_command"].endswith(
        " && coopstats validate {{ params.data_dir }}"
    )
    assert tasks["render"]["upstream"] == sorted(runs), "render waits for every run"
    assert tasks["render"]["downstream"] == []
    assert tasks["render"]["bash_command"].endswith(" && coopstats render")
    for name in runs:
        task = tasks[name]
        assert task["operator"] == "BashOperator", name
        assert task["upstream"] == ["validate"], name
        assert task["downstream"] == ["render"], name
        command = task["bash_command"]
        assert command.startswith(
            f"cd {{{{ params.project_dir }}}} && coopstats run --only {name} "
        )
        assert " --data {{ params.data_dir }} " in command, command
        assert " --jobs 1 " in command, command


def test_dag_parses_in_airflow(dagbag):
    runs = [r["name"] for r in _runs_of(DAG_FILE.read_text(encoding="utf-8"))]
    assert len(runs) == len(set(runs)) > 0
    _check_dag(dagbag["committed"], runs)


@pytest.mark.parametrize("broken", sorted(_BROKEN))
def test_airflow_check_reports_a_broken_dag(dagbag, broken):
    runs = [r["name"] for r in _runs_of(DAG_FILE.read_text(encoding="utf-8"))]
    old, _, report = _BROKEN[broken]
    assert broken in dagbag, f"{old!r} is not in the DAG once: update _BROKEN"
    with pytest.raises(AssertionError, match=report):
        _check_dag(dagbag[broken], runs)
