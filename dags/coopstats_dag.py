"""Airflow DAG for coopstats: one task per run of the run matrix (runs.yaml).

GENERATED - do not edit. Regenerate after changing runs.yaml, the registry or the notebooks:

    python -m coopstats.dag --data data/demo --output dags/coopstats_dag.py

tests/test_batch_dag.py checks that this file is current. Operator style: bash.
See docs/batch.md, "Scaling out on Airflow".
"""

from __future__ import annotations

import json
from datetime import datetime

from airflow import DAG

try:  # Airflow 3 (standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

#: name, notebook (relative to the project), output (relative to the project), parameters
RUNS = json.loads(
    """
[
  {
    "name": "fylke-nav-innlandet",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-innlandet.ipynb",
    "parameters": {
      "unit": "nav-innlandet",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "fylke-nav-more-og-romsdal",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-more-og-romsdal.ipynb",
    "parameters": {
      "unit": "nav-more-og-romsdal",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "fylke-nav-oslo",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-oslo.ipynb",
    "parameters": {
      "unit": "nav-oslo",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "fylke-nav-ost-viken",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-ost-viken.ipynb",
    "parameters": {
      "unit": "nav-ost-viken",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "fylke-nav-vestfold-og-telemark",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-vestfold-og-telemark.ipynb",
    "parameters": {
      "unit": "nav-vestfold-og-telemark",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "fylke-nav-vestland",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/fylke-nav-vestland.ipynb",
    "parameters": {
      "unit": "nav-vestland",
      "data_dir": "{data_dir}",
      "period": "",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-innlandet",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-innlandet.ipynb",
    "parameters": {
      "unit": "nav-innlandet",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-more-og-romsdal",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-more-og-romsdal.ipynb",
    "parameters": {
      "unit": "nav-more-og-romsdal",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-oslo",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-oslo.ipynb",
    "parameters": {
      "unit": "nav-oslo",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-ost-viken",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-ost-viken.ipynb",
    "parameters": {
      "unit": "nav-ost-viken",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-vestfold-og-telemark",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-vestfold-og-telemark.ipynb",
    "parameters": {
      "unit": "nav-vestfold-og-telemark",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "midtveis-nav-vestland",
    "notebook": "notebooks/fylke.ipynb",
    "output": "_build/notebooks/midtveis-nav-vestland.ipynb",
    "parameters": {
      "unit": "nav-vestland",
      "data_dir": "{data_dir}",
      "period": "2025-01-01/",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "modell-veiledningstelefonen",
    "notebook": "notebooks/modell.ipynb",
    "output": "_build/notebooks/modell-veiledningstelefonen.ipynb",
    "parameters": {
      "model": "veiledningstelefonen",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "modell-moteplassen",
    "notebook": "notebooks/modell.ipynb",
    "output": "_build/notebooks/modell-moteplassen.ipynb",
    "parameters": {
      "model": "moteplassen",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "modell-jobbspesialist-grupper",
    "notebook": "notebooks/modell.ipynb",
    "output": "_build/notebooks/modell-jobbspesialist-grupper.ipynb",
    "parameters": {
      "model": "jobbspesialist-grupper",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "modell-lengre-varighet",
    "notebook": "notebooks/modell.ipynb",
    "output": "_build/notebooks/modell-lengre-varighet.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "deltakere-lengre-varighet-alle",
    "notebook": "notebooks/deltakere.ipynb",
    "output": "_build/notebooks/deltakere-lengre-varighet-alle.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "scope": "alle",
      "data_dir": "{data_dir}",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "deltakere-lengre-varighet-nav-oslo",
    "notebook": "notebooks/deltakere.ipynb",
    "output": "_build/notebooks/deltakere-lengre-varighet-nav-oslo.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "scope": "nav-oslo",
      "data_dir": "{data_dir}",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "deltakere-lengre-varighet-nav-ost-viken",
    "notebook": "notebooks/deltakere.ipynb",
    "output": "_build/notebooks/deltakere-lengre-varighet-nav-ost-viken.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "scope": "nav-ost-viken",
      "data_dir": "{data_dir}",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "deltakere-lengre-varighet-nav-vestland",
    "notebook": "notebooks/deltakere.ipynb",
    "output": "_build/notebooks/deltakere-lengre-varighet-nav-vestland.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "scope": "nav-vestland",
      "data_dir": "{data_dir}",
      "min_count": 5,
      "reproduce_published": false
    }
  },
  {
    "name": "laering",
    "notebook": "notebooks/laering.ipynb",
    "output": "_build/notebooks/laering.ipynb",
    "parameters": {
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-innlandet",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-innlandet.ipynb",
    "parameters": {
      "unit": "nav-innlandet",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-more-og-romsdal",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-more-og-romsdal.ipynb",
    "parameters": {
      "unit": "nav-more-og-romsdal",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-oslo",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-oslo.ipynb",
    "parameters": {
      "unit": "nav-oslo",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-ost-viken",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-ost-viken.ipynb",
    "parameters": {
      "unit": "nav-ost-viken",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-vestfold-og-telemark",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-vestfold-og-telemark.ipynb",
    "parameters": {
      "unit": "nav-vestfold-og-telemark",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-fylke-nav-vestland",
    "notebook": "notebooks/dashbord-fylke.ipynb",
    "output": "_build/notebooks/dashbord-fylke-nav-vestland.ipynb",
    "parameters": {
      "unit": "nav-vestland",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-modell-veiledningstelefonen",
    "notebook": "notebooks/dashbord-modell.ipynb",
    "output": "_build/notebooks/dashbord-modell-veiledningstelefonen.ipynb",
    "parameters": {
      "model": "veiledningstelefonen",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-modell-moteplassen",
    "notebook": "notebooks/dashbord-modell.ipynb",
    "output": "_build/notebooks/dashbord-modell-moteplassen.ipynb",
    "parameters": {
      "model": "moteplassen",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-modell-jobbspesialist-grupper",
    "notebook": "notebooks/dashbord-modell.ipynb",
    "output": "_build/notebooks/dashbord-modell-jobbspesialist-grupper.ipynb",
    "parameters": {
      "model": "jobbspesialist-grupper",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  },
  {
    "name": "dashbord-modell-lengre-varighet",
    "notebook": "notebooks/dashbord-modell.ipynb",
    "output": "_build/notebooks/dashbord-modell-lengre-varighet.ipynb",
    "parameters": {
      "model": "lengre-varighet",
      "data_dir": "{data_dir}",
      "min_count": 5
    }
  }
]
"""
)

PARAMS = {
    "project_dir": "/opt/coopstats",  # checkout (or image path) with runs.yaml and notebooks/
    "data_dir": "/data/coopstats/latest",  # the delivery to report on
    "min_count": 5,
    "image": "ghcr.io/example/coopstats:latest",  # kubernetes style only
}

with DAG(
    dag_id="coopstats",
    description="coopstats: validate a delivery, run every notebook, render",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params=PARAMS,
    render_template_as_native_obj=True,
    max_active_tasks=8,
    tags=["coopstats", "papermill"],
) as dag:

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
