"""The Airflow DAG generated from the run matrix (one task per run)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from coopstats.batch import build_run_matrix
from coopstats.dag import OPERATORS, render_dag

ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = ROOT / "dags" / "coopstats_dag.py"
DEMO = ROOT / "data" / "demo"


def _runs_of(source: str) -> list[dict]:
    """The RUNS list of a generated DAG, read without importing Airflow."""
    import json

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


def test_dag_imports_in_airflow():
    pytest.importorskip("airflow", reason="apache-airflow is not installed")
    spec = importlib.util.spec_from_file_location("coopstats_dag", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    runs = [r["name"] for r in module.RUNS]
    assert sorted(dag.task_ids) == sorted(["validate", "render", *runs])
    for name in runs:
        task = dag.get_task(name)
        assert task.upstream_task_ids == {"validate"}
        assert task.downstream_task_ids == {"render"}
        assert f"--only {name} " in task.bash_command
