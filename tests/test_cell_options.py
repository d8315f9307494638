"""Every Quarto cell option block and front matter is valid YAML 1.2, as Quarto reads it.

Quarto parses the ``#|`` lines of a code cell as one YAML document and stops the whole render
on invalid YAML; a ``#| fig-alt:`` whose text contains ": " is the usual culprit. The blocks
are read here with ruamel.yaml (a YAML 1.2 parser, like Quarto's js-yaml), which also rejects
duplicate keys. Fix a failure by quoting the value (``coopstats.publish.quote_cell_options``
re-serialises a cell's options with a YAML dumper).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coopstats import quarto_sources as qs
from coopstats.publish import option_block, quote_cell_options

ruamel_yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml (dev extra) is needed")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DOCUMENTS = [ROOT / "index.qmd", *sorted((ROOT / "reports").glob("*.qmd"))]
PROJECT_FILES = sorted(ROOT.glob("_quarto*.yml"))


def _load(text: str):
    """Parse ``text`` as YAML 1.2 (safe loader, duplicate keys are errors)."""
    yaml = ruamel_yaml.YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    return yaml.load(text)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _option_blocks(path: Path):
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            block = option_block(_source(cell))
            if block.strip():
                yield index, block


def test_there_are_notebooks_and_documents():
    assert NOTEBOOKS and len(DOCUMENTS) >= 4 and PROJECT_FILES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cell_options_are_valid_yaml(path):
    problems = []
    for index, block in _option_blocks(path):
        try:
            options = _load(block)
        except ruamel_yaml.YAMLError as exc:
            problems.append(f"cell {index}: {str(exc).splitlines()[0]}\n{block}")
            continue
        if not isinstance(options, dict):
            problems.append(f"cell {index}: the #| lines are not a YAML mapping\n{block}")
    assert not problems, f"{path.name}: invalid #| options (quote the value):\n" + "\n\n".join(
        problems
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cell_options_are_already_quoted(path):
    """The committed options are what :func:`quote_cell_options` writes (no text lost to ``#``)."""
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            source = _source(cell)
            assert quote_cell_options(source) == source, f"{path.name}, cell {index}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_front_matter_is_valid_yaml(path):
    for cell in _cells(path):
        if cell["cell_type"] == "raw" and _source(cell).lstrip().startswith("---"):
            front = qs.front_matter(_source(cell).strip())
            assert isinstance(_load(front), dict), path.name
            return


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_document_front_matter_is_valid_yaml(path):
    front = qs.front_matter(path.read_text(encoding="utf-8"))
    assert front.strip(), f"{path.name} has no front matter"
    data = _load(front)
    assert isinstance(data, dict) and data.get("title"), path.name


@pytest.mark.parametrize("path", PROJECT_FILES, ids=lambda p: p.name)
def test_project_files_are_valid_yaml(path):
    assert isinstance(_load(path.read_text(encoding="utf-8")), dict)


def test_the_parser_rejects_an_unquoted_colon():
    """The check catches the error Quarto stops on, and the quoting fixes it."""
    source = "#| label: fig-a\n#| fig-alt: Rutenett: ingen tilpasning\nplot()"
    with pytest.raises(ruamel_yaml.YAMLError):
        _load(option_block(source))
    assert _load(option_block(quote_cell_options(source)))["fig-alt"] == (
        "Rutenett: ingen tilpasning"
    )
