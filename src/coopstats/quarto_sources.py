"""Read the Quarto sources without Quarto: embeds, cross-references, section ids, cell labels.

Used by ``tests/test_quarto_sources.py`` to check, on machines without Quarto, that every
``{{< embed >}}`` points at a notebook the batch produces and at a label that exists in it, and
that every ``@fig-``/``@tbl-``/``@sec-`` reference resolves in its own document. The parsing is
deliberately simple (regular expressions over the Markdown text, skipping fenced code); it
covers the syntax the reports use and is documented in ``docs/publishing.md``.

The reports include generated parts and researchers' texts (``{{< include >}}``, see
:mod:`coopstats.assemble`); :func:`document_text` expands them as Quarto does, so every check
sees the text Quarto renders. :func:`site_config` merges ``_quarto.yml`` with its
``metadata-files`` (the generated menus) the way Quarto does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from coopstats.publish import embed_label
from coopstats.render import cell_options

if TYPE_CHECKING:
    from coopstats.registry import Registry

_EMBED = re.compile(r"\{\{<\s*embed\s+(?P<target>[^\s>]+)(?P<opts>[^>]*)>\}\}")
_CROSSREF = re.compile(
    r"(?<![\w@.\\])@(?P<label>(?:[Ff]ig|[Tt]bl|[Ss]ec)-[A-Za-z0-9](?:[\w-]*[A-Za-z0-9])?)"
)
_SECTION_ID = re.compile(r"^#{1,6}\s.*\{[^}]*#(?P<id>sec-[\w-]+)[^}]*\}\s*$")
_ANY_ID = re.compile(r"\{[^}]*#(?P<id>[A-Za-z][\w-]*)[^}]*\}")
_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>[^\s>]+)\s*>\}\}\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
#: Calls that return a figure in the notebooks (``fylke.chain_figure(page)``, ``report.figure(…)``).
_FIGURE_CALL = re.compile(r"\b\w*figure\s*\(")


@dataclass(frozen=True)
class Embed:
    """One ``{{< embed path#label >}}`` shortcode."""

    path: str
    label: str
    line: int

    @property
    def stem(self) -> str:
        """Stem of the embedded notebook (``fylke-nav-oslo``)."""
        return Path(self.path).stem


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks and the YAML front matter."""
    lines = text.splitlines()
    out: list[tuple[int, str]] = []
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break
    fence: str | None = None
    for number, line in enumerate(lines[start:], start=start + 1):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker[0] * len(marker)
                continue
            if line.strip().startswith(fence):
                fence = None
                continue
        if fence is None:
            out.append((number, re.sub(r"`[^`\n]*`", "", line)))
    return out


def project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` with a ``_quarto.yml`` (else ``start``)."""
    for folder in (start, *start.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return start


def include_target(path: str, base: Path) -> Path:
    """Where Quarto finds ``{{< include path >}}`` of a document in ``base``.

    A path starting with ``/`` is relative to the project root; any other path is relative to
    the document being rendered, also inside included files (Quarto resolves nested includes
    against the document, not against the included file).
    """
    if path.startswith("/"):
        return project_root(base.resolve()) / path.lstrip("/")
    return base / path


def expand_includes(text: str, base: Path, *, _depth: int = 0) -> str:
    """``text`` with every ``{{< include path >}}`` line replaced by the file's (expanded) text.

    ``base`` is the folder of the document being rendered (:func:`include_target`). A missing
    file raises :class:`FileNotFoundError`, as Quarto stops on it.
    """
    if _depth > 10:
        raise RecursionError("include nesting deeper than 10 levels")
    out: list[str] = []
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if not match:
            out.append(line)
            continue
        target = include_target(match["path"], base)
        if not target.is_file():
            raise FileNotFoundError(f"{{{{< include >}}}} of a missing file: {target}")
        included = target.read_text(encoding="utf-8").rstrip("\n")
        out.append(expand_includes(included, base, _depth=_depth + 1))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def document_text(path: Path) -> str:
    """The text of a ``.qmd`` document with its includes expanded (what Quarto renders)."""
    return expand_includes(path.read_text(encoding="utf-8"), path.parent)


def _merge(base: object, extra: object) -> object:
    """Quarto's merge of metadata: mappings deeply, lists concatenated, scalars replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(extra, list):
        return [*base, *extra]
    return extra


def site_config(root: Path) -> dict:
    """``_quarto.yml`` merged with its ``metadata-files`` (in order), as Quarto reads it."""
    import yaml

    config = yaml.safe_load((root / "_quarto.yml").read_text(encoding="utf-8")) or {}
    for name in config.get("metadata-files") or []:
        extra = yaml.safe_load((root / name).read_text(encoding="utf-8")) or {}
        config = _merge(config, extra)
    return config


def embeds(text: str) -> list[Embed]:
    """Every embed shortcode in a ``.qmd`` text (outside code), in order."""
    found: list[Embed] = []
    for number, line in _prose_lines(text):
        for match in _EMBED.finditer(line):
            path, _, label = match["target"].partition("#")
            found.append(Embed(path=path, label=label, line=number))
    return found


def cross_references(text: str) -> list[tuple[int, str]]:
    """Every ``@fig-``/``@tbl-``/``@sec-`` reference as (line, label), outside code.

    Capitalised references (``@Tbl-x``, Quarto's form at the start of a sentence) are returned
    with the lower-case prefix of the label they point at.
    """
    refs: list[tuple[int, str]] = []
    for number, line in _prose_lines(text):
        line = _EMBED.sub("", line)
        for m in _CROSSREF.finditer(line):
            label = m["label"]
            refs.append((number, label[:3].lower() + label[3:]))
    return refs


def section_ids(text: str) -> list[str]:
    """Ids of headings with a ``{#sec-…}`` attribute."""
    return [m["id"] for _, line in _prose_lines(text) if (m := _SECTION_ID.match(line))]


def element_ids(text: str) -> list[str]:
    """Every ``{#id}`` attribute outside code (headings, divs, spans)."""
    return [m["id"] for _, line in _prose_lines(text) for m in _ANY_ID.finditer(line)]


def front_matter(text: str) -> str:
    """The YAML front matter of a ``.qmd`` text (empty when there is none)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return ""
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i])
    return ""


def notebook_cells(path: Path) -> list[tuple[dict[str, str], str]]:
    """(options, code without options) of every code cell of a notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        opts = cell_options(cell.source)
        code = "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith("#|"))
        cells.append((opts, code))
    return cells


def notebook_labels(path: Path) -> dict[str, dict[str, str]]:
    """Label -> cell options for every labelled code cell of a notebook."""
    return {opts["label"]: opts for opts, _ in notebook_cells(path) if opts.get("label")}


def figure_cells(path: Path) -> list[dict[str, str]]:
    """Options of the cells that output a figure: a ``fig-`` label or a ``…figure(`` call."""
    return [
        opts
        for opts, code in notebook_cells(path)
        if opts.get("label", "").startswith("fig-") or _FIGURE_CALL.search(code)
    ]


def embedded_labels(stem: str, notebooks: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """Labels (as suffixed in the embed copy) -> cell options, read from the run's source notebook.

    ``notebooks`` maps run stems to source notebooks (:func:`produced_notebooks`).
    """
    path = notebooks.get(stem)
    if path is None or not path.is_file():
        return {}
    return {embed_label(stem, label): opts for label, opts in notebook_labels(path).items()}


def models_with_trials(registry: Registry) -> list[str]:
    """Model ids with at least one trial, in registry order."""
    used = {t.model for t in registry.trials.values()}
    return [m for m in registry.models if m in used]


def produced_notebooks(
    root: Path, data_dir: Path, registry: Registry | None = None
) -> dict[str, Path]:
    """Stem of every executed notebook the batch produces -> the notebook it runs.

    Read from the project's run matrix (``runs.yaml``), so a report may embed any run it lists
    (``midtveis-nav-oslo`` is a run of ``notebooks/fylke.ipynb``).
    """
    from coopstats.runmatrix import expand, load_config

    specs = expand(load_config(root), data_dir, registry)
    return {spec.name: spec.notebook for spec in specs}


def dashboard_stems(registry: Registry) -> set[str]:
    """Stems of the dashboards: one per unit with a trial and one per model with a trial."""
    stems = {f"dashbord-fylke-{unit}" for unit in registry.trial_units()}
    stems |= {f"dashbord-modell-{model}" for model in models_with_trials(registry)}
    return stems
