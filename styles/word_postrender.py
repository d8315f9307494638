"""Quarto post-render script: makes the rendered Word files working documents.

Quarto runs it after every render of the project (``project: post-render`` in _quarto.yml),
for ``coopstats render`` and a plain ``quarto render`` alike, with the Python Quarto uses
(``QUARTO_PYTHON``). It post-processes each ``.docx`` among the files just rendered
(``QUARTO_PROJECT_OUTPUT_FILES``, one path a line, relative to the project; a partial render
lists only its own files) with :func:`coopstats.word.postprocess`: captions as Word captions
with SEQ fields, header rows that repeat, tables and images within the text width, no layout
tables (docs/publishing.md, «Word»). Paths given as arguments are processed instead.

When coopstats cannot be imported, it says so on standard error and exits 0: the Word files
are then as Quarto wrote them, and the rest of the render stands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

WARNING = (
    "Advarsel (styles/word_postrender.py): fant ikke coopstats.word i Pythonen Quarto bruker "
    "({python}; mangler: {missing}). Word-filene er ikke etterbehandlet (bildetekster som "
    "Word-bildetekster, tabellhoder som gjentas, bredder innenfor tekstområdet). Installer "
    "prosjektet i den Pythonen (`pip install -e .`, som også installerer python-docx og lxml), "
    "eller sett QUARTO_PYTHON til prosjektets Python (f.eks. .venv/bin/python), og rendre på "
    "nytt."
)


def outputs(root: Path, argv: list[str]) -> list[Path]:
    """The Word files to post-process: the arguments, else Quarto's list of rendered files."""
    names = argv or os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", "").splitlines()
    return [root / name.strip() for name in names if name.strip().lower().endswith(".docx")]


def main(argv: list[str] | None = None) -> int:
    root = Path(os.environ.get("QUARTO_PROJECT_DIR") or Path(__file__).resolve().parents[1])
    files = outputs(root, sys.argv[1:] if argv is None else argv)
    if not files:
        return 0
    try:
        from coopstats.word import postprocess, summary
    except ImportError as err:
        print(WARNING.format(python=sys.executable, missing=err.name or err), file=sys.stderr)
        return 0
    for path in files:
        if not path.is_file():
            print(f"word_postrender: fant ikke {path}", file=sys.stderr)
            continue
        name = path.relative_to(root) if path.is_relative_to(root) else path
        print(f"Word: {name}: {summary(postprocess(path))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
