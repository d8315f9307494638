"""Rendering: Quarto when it is on PATH, otherwise readable nbconvert HTML previews.

Without Quarto, every executed notebook in ``_build/notebooks/`` becomes one HTML page in
``_site/`` (code hidden, captions and alt text kept), and ``_site/index.html`` links them.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import nbformat

QUARTO_MISSING = (
    "Quarto was not found on PATH: wrote nbconvert HTML previews of the executed notebooks to "
    "{site}. Not produced without Quarto: the status report, midterm note and learning chapter "
    "(reports/*.qmd) in HTML, Word and PDF, the Quarto dashboards, and resolved cross-references. "
    "Install Quarto >= 1.6 (e.g. `conda env create -f environment.yml`) to render them."
)

_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Page:
    """One rendered fallback page."""

    title: str
    href: str
    source: Path


def cell_options(source: str) -> dict[str, str]:
    """Parse Quarto ``#| key: value`` cell options from the top of a code cell."""
    options: dict[str, str] = {}
    for line in source.splitlines():
        match = _OPTION.match(line)
        if not match:
            if line.strip():
                break
            continue
        key, value = match.groups()
        options[key] = value.strip().strip('"').strip("'")
    return options


def _annotate(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy Quarto labels, captions and alt text into metadata the HTML template shows."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        opts = cell_options(cell.source)
        label = opts.get("label", "")
        if not label:
            continue
        kind = "Figur" if label.startswith("fig-") else "Tabell" if label.startswith("tbl-") else ""
        caption = opts.get("fig-cap") or opts.get("tbl-cap")
        cell.metadata["coopstats"] = {"label": label, "caption": caption, "kind": kind}
        alt = opts.get("fig-alt")
        if alt:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    output.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt
    return nb


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """First level-1 markdown heading of a notebook's outputs or source, else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/markdown", "")
            for line in str(text).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def export_html(notebook: Path, target: Path) -> str:
    """Export one executed notebook to HTML without code; return its title."""
    from nbconvert import HTMLExporter

    nb = _annotate(nbformat.read(notebook, as_version=4))
    template_dir = files("coopstats") / "templates"
    exporter = HTMLExporter(
        template_name="coopstats",
        extra_template_basedirs=[str(template_dir)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="nb",
    )
    title = notebook_title(nb, notebook.stem)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    _write_atomic(target, body)
    return title


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def index_html(pages: list[Page]) -> str:
    """The index page linking every fallback page (Norwegian, no external resources)."""
    items = "\n".join(
        f'    <li><a href="{html.escape(p.href)}">{html.escape(p.title)}</a></li>' for p in pages
    )
    return f"""<!DOCTYPE html>
<html lang="nb">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>coopstats – forhåndsvisning</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto;
           padding: 0 1rem; color: #222; line-height: 1.5; }}
    .note {{ background: #f3f3f3; border-left: 4px solid #0072B2; padding: .5rem 1rem; }}
  </style>
</head>
<body>
  <h1>Forhåndsvisning av fylkessidene</h1>
  <p class="note">Disse sidene er laget med nbconvert fordi Quarto ikke var installert.
  Rapportene (statusrapport, midtveisnotat og læringskapittel) og dashbordene krever Quarto.</p>
  <h2>Fylker (forsøksenheter)</h2>
  <ul>
{items}
  </ul>
</body>
</html>
"""


def render_fallback(build_dir: Path, site_dir: Path) -> list[Page]:
    """Render every executed notebook in ``build_dir`` to ``site_dir`` and write the index."""
    notebooks = sorted(
        p
        for p in (build_dir / "notebooks").glob("*.ipynb")
        if not p.name.startswith(".") and not p.name.endswith(".failed.ipynb")
    )
    if not notebooks:
        raise FileNotFoundError(
            f"No executed notebooks in {build_dir / 'notebooks'}: run `coopstats run` first."
        )
    pages: list[Page] = []
    for nb_path in notebooks:
        href = f"{nb_path.stem}.html"
        title = export_html(nb_path, site_dir / href)
        pages.append(Page(title=title, href=href, source=nb_path))
    _write_atomic(site_dir / "index.html", index_html(pages))
    return pages


def render(root: Path, *, quarto: str | None = None, use_quarto: bool = True) -> str:
    """Render the project; return a one-line message saying what was produced.

    Uses ``quarto render`` in ``root`` when Quarto is on PATH (or given), else the fallback.
    """
    quarto = quarto or (shutil.which("quarto") if use_quarto else None)
    site = root / "_site"
    if quarto:
        subprocess.run([quarto, "render"], cwd=root, check=True)
        return f"Rendered the Quarto project with {quarto} into {site}."
    pages = render_fallback(root / "_build", site)
    return f"Wrote {len(pages)} pages and index.html. " + QUARTO_MISSING.format(site=site)
