"""Published and hidden cells of the build's protected participant system, per threshold.

The figures in docs/disclosure.md («224 distinct published cells, 64 / 81 / 113 hidden»):

    .venv/bin/python benchmarks/plan_hidden.py data/demo --min-count 3 5 10

Run it in a checkout of an older commit (``PYTHONPATH=<checkout>/src``) for the "before".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coopstats import publication
from coopstats.data import load_datasets
from coopstats.disclosure import DisclosureConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--min-count", type=int, nargs="+", default=[3, 5, 10])
    args = parser.parse_args()
    datasets = load_datasets(args.data)
    for t in args.min_count:
        plan = publication.build_plan(datasets, DisclosureConfig(min_count=t))
        published = plan.system.published_cells()
        hidden = [k for k in plan.hidden if k in published and plan.system.values[k] > 0]
        print(f"min_count {t}: {len(published)} published cells, {len(hidden)} hidden")


if __name__ == "__main__":
    main()
