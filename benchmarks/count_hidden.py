"""Count the ":" (hidden) cells in the HTML tables of a build's executed notebooks.

Used for the before/after figures in docs/disclosure.md: run it on the build of an older
checkout and on today's build (same data, same --min-count) and compare.

    .venv/bin/coopstats run --data data/demo
    .venv/bin/python benchmarks/count_hidden.py _build/notebooks
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def count(build: Path) -> tuple[int, int]:
    """(hidden cells, all cells) over every table of every executed notebook in ``build``."""
    hidden = cells = 0
    for path in sorted(build.glob("*.ipynb")):
        if path.name.endswith(".failed.ipynb"):
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                html = out.get("data", {}).get("text/html")
                if not html:
                    continue
                for text in _CELL.findall(html if isinstance(html, str) else "".join(html)):
                    text = re.sub("<[^>]+>", "", text).strip()
                    cells += 1
                    hidden += text == ":" or text.endswith("(N=:)")
    return hidden, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, nargs="+", help="folders of executed notebooks")
    for build in parser.parse_args().build:
        hidden, cells = count(build)
        print(f"{build}: {hidden} hidden of {cells} table cells")


if __name__ == "__main__":
    main()
