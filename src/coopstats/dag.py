"""Generate an Airflow DAG with one task per run of the run matrix.

The committed ``dags/coopstats_dag.py`` is the output of::

    python -m coopstats.dag --data data/demo --output dags/coopstats_dag.py

(``tests/test_batch_dag.py`` fails when it is out of date). The DAG validates the data, runs
every notebook of the matrix as its own task, and renders when all succeeded. Three operator
styles are available (``--operator``):

``bash`` (default, committed)
    ``coopstats run --only <run>`` on the worker, in the project directory. Same code path
    as a local batch: atomic outputs, cache records, logs, ``.failed.ipynb`` on failure.
``kubernetes``
    The same command in a pod per run (``KubernetesPodOperator``), as on NAV's data
    platform (Knada); the image must contain the project, and the data and ``_build``
    volumes must be mounted at the paths given in the DAG params.
``papermill``
    Airflow's ``PapermillOperator`` (note: it runs papermill with ``report_mode=True``,
    which hides the code cells, and writes the output directly, without the atomic rename).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coopstats.runmatrix import RunSpec

OPERATORS = ("bash", "kubernetes", "papermill")

_HEADER = '''"""Airflow DAG for coopstats: one task per run of the run matrix (runs.yaml).

GENERATED - do not edit. Regenerate after changing runs.yaml, the registry or the notebooks:

    python -m coopstats.dag {args}

tests/test_batch_dag.py checks that this file is current. Operator style: {operator}.
See docs/batch.md, "Scaling out on Airflow".
"""

from __future__ import annotations

import json
from datetime import datetime

from airflow import DAG
'''

_IMPORTS = {
    "bash": """
try:  # Airflow 3 (standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator
""",
    "kubernetes": """
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
""",
    "papermill": """
try:  # Airflow 3 (standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator
from airflow.providers.papermill.operators.papermill import PapermillOperator
""",
}

_BODY = """
#: name, notebook (relative to the project), output (relative to the project), parameters
RUNS = json.loads(
    {q}
{runs}
{q}
)

PARAMS = {{
    "project_dir": "/opt/coopstats",  # checkout (or image path) with runs.yaml and notebooks/
    "data_dir": "/data/coopstats/latest",  # the delivery to report on
    "min_count": 5,
    "image": "ghcr.io/example/coopstats:latest",  # kubernetes style only
}}

with DAG(
    dag_id="coopstats",
    description="coopstats: validate a delivery, run every notebook, render",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params=PARAMS,
    render_template_as_native_obj=True,
    max_active_tasks={max_active},
    tags=["coopstats", "papermill"],
) as dag:
"""

_TASKS = {
    "bash": """
    def coopstats(task_id, arguments, **kwargs):
        command = "cd {{ params.project_dir }} && coopstats " + arguments
        return BashOperator(task_id=task_id, bash_command=command, **kwargs)

    validate = coopstats("validate", "validate {{ params.data_dir }}")
    render = coopstats("render", "render")
    for run in RUNS:
        task = coopstats(
            run["name"],
            "run --only " + run["name"] + " --data {{ params.data_dir }}"
            " --min-count {{ params.min_count }} --jobs 1 --no-progress",
        )
        validate >> task >> render
""",
    "kubernetes": """
    def coopstats(task_id, arguments):
        return KubernetesPodOperator(
            task_id=task_id,
            name="coopstats-" + task_id,
            image="{{ params.image }}",
            cmds=["coopstats"],
            arguments=arguments,
            # mount the delivery at data_dir and a shared _build volume in the image's project
            get_logs=True,
        )

    validate = coopstats("validate", ["validate", "{{ params.data_dir }}"])
    render = coopstats("render", ["render"])
    for run in RUNS:
        task = coopstats(
            run["name"],
            ["run", "--only", run["name"], "--data", "{{ params.data_dir }}",
             "--min-count", "{{ params.min_count }}", "--jobs", "1", "--no-progress"],
        )
        validate >> task >> render
""",
    "papermill": """
    def coopstats(task_id, arguments):
        command = "cd {{ params.project_dir }} && coopstats " + arguments
        return BashOperator(task_id=task_id, bash_command=command)

    validate = coopstats("validate", "validate {{ params.data_dir }}")
    render = coopstats("render", "render")
    for run in RUNS:
        parameters = {
            key: "{{ params.data_dir }}" if key == "data_dir"
            else "{{ params.min_count }}" if key == "min_count"
            else value
            for key, value in run["parameters"].items()
        }
        task = PapermillOperator(
            task_id=run["name"],
            input_nb="{{ params.project_dir }}/" + run["notebook"],
            output_nb="{{ params.project_dir }}/" + run["output"],
            parameters=parameters,
        )
        validate >> task >> render
""",
}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def render_dag(
    specs: list[RunSpec],
    root: Path,
    *,
    operator: str = "bash",
    max_active: int = 8,
    args: str = "",
) -> str:
    """The DAG file's source for ``specs`` (paths relative to ``root``)."""
    if operator not in OPERATORS:
        raise ValueError(f"operator {operator!r}: expected one of {OPERATORS}")
    runs = []
    for spec in specs:
        parameters = {
            k: ("{data_dir}" if k == "data_dir" else v) for k, v in spec.parameters.items()
        }
        runs.append(
            {
                "name": spec.name,
                "notebook": _relative(spec.notebook, root),
                "output": _relative(spec.output, root),
                "parameters": parameters,
            }
        )
    listing = json.dumps(runs, indent=2, ensure_ascii=True)
    text = _HEADER.format(args=args or f"--operator {operator}", operator=operator)
    text += _IMPORTS[operator]
    text += _BODY.format(runs=listing, max_active=max_active, q='"' * 3)
    text += _TASKS[operator]
    return text


def main(argv: list[str] | None = None) -> int:
    """``python -m coopstats.dag``: write the DAG for the project's run matrix."""
    parser = argparse.ArgumentParser(prog="python -m coopstats.dag", description=__doc__)
    parser.add_argument("--data", default="data/demo", help="data directory for the scopes")
    parser.add_argument("--operator", choices=OPERATORS, default="bash")
    parser.add_argument("--output", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    from coopstats.batch import build_run_matrix, project_root

    root = project_root()
    specs = build_run_matrix(root, Path(args.data))
    shown = f"--data {args.data}"
    shown += f" --operator {args.operator}" if args.operator != "bash" else ""
    shown += f" --output {args.output}" if args.output else ""
    text = render_dag(specs, root, operator=args.operator, args=shown)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
