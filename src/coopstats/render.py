"""Rendering: Quarto when it is on PATH, otherwise readable nbconvert HTML previews.

:func:`render` first prepares the Quarto inputs from the executed notebooks
(:func:`coopstats.publish.prepare_embed_sources` writes ``_build/embed/`` with unique labels,
:func:`coopstats.publish.prepare_dashboards` writes ``dashboards/``) and, when Quarto is on
PATH, the parts generated from the registry (:func:`coopstats.assemble.assemble` writes
``_generert/``: per-unit and per-model report sections, menus, index lists), then runs
``quarto render``.

Without Quarto, every executed notebook in ``_build/notebooks/`` becomes one HTML page in
``_site/`` (code hidden, captions and alt text kept), and ``_site/index.html`` links them by
kind. Dashboard runs (``dashbord-*``) get the same content as the Quarto dashboards: the title
from the registry, the value boxes drawn as boxes, a heading per card. Every fallback page and
the index end with «Bygget <dato og tid> fra datagrunnlaget <navn>»: the time of the render and
the delivery each notebook was run on (the name of its ``data_dir`` parameter, read from the
papermill metadata of the executed notebook).

:func:`mark_site_outdated` moves ``_site`` to ``_site.utdatert`` with a note (``coopstats
build`` calls it when a step fails), so no page of an earlier delivery passes for current.
Messages to users are Norwegian.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import nbformat
import yaml

from coopstats import publish, word
from coopstats.assemble import assemble

QUARTO_MISSING = (
    "Fant ikke Quarto på PATH: skrev HTML-forhåndsvisninger (nbconvert) av de kjørte "
    "notatbøkene og dashbordene til {site}. Dette lages ikke uten Quarto: statusrapporten, "
    "midtveisnotatet og læringskapittelet (reports/*.qmd med innebygde tabeller og figurer og "
    "kryssreferanser) i HTML, Word og PDF, og dashbordoppsettet (kort, rader, verdibokser; "
    "forhåndsvisningene har det samme innholdet). Installer Quarto >= 1.6 (f.eks. "
    "`conda env create -f environment.yml`; `quarto install tinytex` for PDF) for å lage dem."
)
#: Where ``coopstats build`` moves the site of an earlier build when a step fails.
OUTDATED_SITE = "_site.utdatert"
#: The note written into the moved site.
OUTDATED_NOTE = "UTDATERT.txt"
#: Norwegian month names, for the build stamp.
_MONTHS = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)

_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
#: Fallback index sections: notebook-stem prefix -> heading.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("dashbord-fylke", "Dashbord per fylke"),
    ("dashbord-modell", "Dashbord per modell"),
    ("fylke", "Fylker (forsøksenheter)"),
    ("midtveis", "Fylker i perioden siden forrige rapport (midtveisnotatet)"),
    ("modell", "Modeller"),
    ("deltakere", "Deltakerne"),
    ("laering", "Tverrgående læring"),
)
#: Value-box colour aliases -> house palette (coopstats.style.PALETTE), for the fallback boxes.
VALUEBOX_COLOURS: dict[str, str] = {
    "primary": "#0072B2",
    "info": "#56B4E9",
    "success": "#009E73",
    "warning": "#E69F00",
    "danger": "#D55E00",
    "secondary": "#999999",
}
_LAYOUT_ATTRS = re.compile(r"\s*\{[^{}]*\}\s*$")


@dataclass(frozen=True)
class Page:
    """One rendered fallback page; ``delivery`` is the name of the data it was run on."""

    title: str
    href: str
    source: Path
    delivery: str | None = None


def norwegian_time(moment: datetime) -> str:
    """``2. desember 2026 kl. 14.05``."""
    return f"{moment.day}. {_MONTHS[moment.month - 1]} {moment.year} kl. {moment:%H.%M}"


def delivery_of(nb: nbformat.NotebookNode) -> str | None:
    """The delivery an executed notebook was run on: the name of its ``data_dir`` parameter."""
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    data_dir = params.get("data_dir")
    if not isinstance(data_dir, str) or not data_dir.strip():
        return None
    return Path(data_dir.rstrip("/\\")).name or None


def build_line(built: datetime, deliveries: list[str]) -> str:
    """«Bygget 2. desember 2026 kl. 14.05 fra datagrunnlaget demo» (plain text)."""
    when = f"Bygget {norwegian_time(built)}"
    if not deliveries:
        return when
    if len(deliveries) == 1:
        return f"{when} fra datagrunnlaget {deliveries[0]}"
    names = ", ".join(deliveries[:-1]) + f" og {deliveries[-1]}"
    return f"{when} fra datagrunnlagene {names}"


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
        options[key] = _option_value(key, value)
    return options


def _option_value(key: str, raw: str) -> str:
    """The text of one option value as YAML reads it (quotes removed, ``''`` unescaped)."""
    try:
        value = yaml.safe_load(f"{key}: {raw}").get(key)
    except (yaml.YAMLError, AttributeError):
        # Invalid YAML (Quarto would stop on it; tests/test_cell_options.py catches it).
        return raw.strip().strip('"').strip("'")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _annotate(nb: nbformat.NotebookNode, stem: str = "") -> nbformat.NotebookNode:
    """Copy Quarto labels, captions and alt text into metadata the HTML template shows.

    ``anchor`` is the label the cell has in the reports' embed sources
    (:func:`coopstats.publish.embed_label`), so report labels also resolve in the previews.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        opts = cell_options(cell.source)
        alt = opts.get("fig-alt")
        if alt:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    output.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt
        label = opts.get("label", "")
        if not label:
            continue
        kind = "Figur" if label.startswith("fig-") else "Tabell" if label.startswith("tbl-") else ""
        caption = opts.get("fig-cap") or opts.get("tbl-cap")
        anchor = publish.embed_label(stem, label) if stem else label
        cell.metadata["coopstats"] = {
            "label": label,
            "anchor": anchor,
            "caption": caption,
            "kind": kind,
        }
    return nb


def parse_valuebox(cell: nbformat.NotebookNode) -> dict[str, str] | None:
    """The ``dict(icon=…, color=…, value=…)`` a value-box cell printed, or None."""
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain")
        if text is None:
            continue
        try:
            box = ast.literal_eval(str(text))
        except (ValueError, SyntaxError):
            return None
        if isinstance(box, dict) and "value" in box:
            return {str(k): str(v) for k, v in box.items()}
    return None


def valuebox_html(title: str, box: dict[str, str]) -> str:
    """One value box for the fallback page: title and value in text, the colour as a border."""
    colour = VALUEBOX_COLOURS.get(box.get("color", ""), box.get("color") or "#0072B2")
    if not re.fullmatch(r"#[0-9A-Fa-f]{3,8}|[a-z]+", colour):
        colour = VALUEBOX_COLOURS["primary"]
    return (
        f'<div class="coopstats-valuebox" style="border-left:6px solid {colour};'
        'padding:.5rem 1rem;margin:.25rem;min-width:10rem;flex:1;background:#f7f7f7">'
        f'<p class="coopstats-valuebox-title" style="margin:0;font-size:.9rem">'
        f"{html.escape(title)}</p>"
        f'<p class="coopstats-valuebox-value" style="margin:0;font-size:1.6rem;'
        f'font-weight:bold">{html.escape(box.get("value", ""))}</p></div>'
    )


def dashboard_for_fallback(
    nb: nbformat.NotebookNode, stem: str, registry: object | None = None
) -> nbformat.NotebookNode:
    """Give a dashboard run the content Quarto shows: title, value boxes, card headings.

    Consecutive value-box cells become one row of boxes; a cell with ``#| title:`` gets the
    title as a heading; ``{…}`` layout attributes are removed from row headings.
    """
    from coopstats.registry import load_registry

    try:
        title = publish.fill_dashboard(nb, stem, registry or load_registry())
    except (LookupError, ValueError):
        title = stem
    cells: list[nbformat.NotebookNode] = [nbformat.v4.new_markdown_cell(f"# {title}")]
    boxes: list[str] = []

    def flush() -> None:
        if boxes:
            row = nbformat.v4.new_code_cell("")
            row.outputs = [
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": '<div class="coopstats-valuebox-row" '
                        'style="display:flex;flex-wrap:wrap">' + "".join(boxes) + "</div>"
                    },
                )
            ]
            cells.append(row)
            boxes.clear()

    for cell in nb.cells:
        if cell.cell_type == "raw":
            continue
        opts = cell_options(cell.source) if cell.cell_type == "code" else {}
        if opts.get("content") == "valuebox":
            box = parse_valuebox(cell)
            if box is not None:
                boxes.append(valuebox_html(opts.get("title", ""), box))
                continue
        flush()
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            if lines and lines[0].startswith("#"):
                lines[0] = _LAYOUT_ATTRS.sub("", lines[0])
                cell.source = "\n".join(lines)
        elif opts.get("title") and cell.get("outputs"):
            cells.append(nbformat.v4.new_markdown_cell(f"### {opts['title']}"))
        cells.append(cell)
    flush()
    nb.cells = cells
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


def export_html(notebook: Path, target: Path, *, built: datetime | None = None) -> str:
    """Export one executed notebook to HTML without code; return its title.

    ``built`` (default: now) goes into the page's last line with the delivery it was run on.
    """
    return _export(notebook, target, built or datetime.now().astimezone())[0]


def _export(notebook: Path, target: Path, built: datetime) -> tuple[str, str | None]:
    """Export one page; return its title and delivery."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    delivery = delivery_of(nb)
    if notebook.stem.startswith(publish.DASHBOARD_PREFIX):
        nb = dashboard_for_fallback(nb, notebook.stem)
    nb = _annotate(nb, notebook.stem)
    stamp = build_line(built, [delivery] if delivery else [])
    nb.cells.append(
        nbformat.v4.new_markdown_cell(f'<p class="coopstats-bygget">{html.escape(stamp)}.</p>')
    )
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
    return title, delivery


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def _section(stem: str) -> str:
    for prefix, heading in SECTIONS:
        if stem == prefix or stem.startswith(prefix + "-"):
            return heading
    return "Andre sider"


def index_html(pages: list[Page], built: datetime | None = None) -> str:
    """The index page linking every fallback page by kind (Norwegian, no external resources).

    It states when it was built (``built``, default now) and from which delivery; pages run
    on different deliveries are named with a warning.
    """
    built = built or datetime.now().astimezone()
    deliveries = sorted({p.delivery for p in pages if p.delivery})
    stamp = html.escape(build_line(built, deliveries)) + "."
    if len(deliveries) > 1:
        stamp += (
            " <strong>Sidene er kjørt på ulike datagrunnlag</strong>: kjør "
            "<code>coopstats build --data MAPPE</code> for å lage alle fra samme leveranse."
        )
    groups: dict[str, list[Page]] = {}
    for page in pages:
        groups.setdefault(_section(page.source.stem), []).append(page)
    order = [heading for _, heading in SECTIONS] + ["Andre sider"]
    parts = []
    for heading in order:
        if heading not in groups:
            continue
        items = "\n".join(
            f'    <li><a href="{html.escape(p.href)}">{html.escape(p.title)}</a></li>'
            for p in groups[heading]
        )
        parts.append(f"  <h2>{html.escape(heading)}</h2>\n  <ul>\n{items}\n  </ul>")
    body = "\n".join(parts)
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
  <h1>Forhåndsvisning av sidene</h1>
  <p class="coopstats-bygget">{stamp}</p>
  <p class="note">Disse sidene er laget med nbconvert fordi Quarto ikke var installert. De viser
  de samme tabellene og figurene som rapportene bygger inn, og dashbordenes innhold uten
  dashbordoppsettet. Rapportene (statusrapport, midtveisnotat og læringskapittel) i HTML, Word
  og PDF krever Quarto.</p>
{body}
</body>
</html>
"""


def render_fallback(
    build_dir: Path, site_dir: Path, *, built: datetime | None = None
) -> list[Page]:
    """Render every executed notebook in ``build_dir`` to ``site_dir`` and write the index."""
    notebooks = publish.executed_notebooks(build_dir)
    if not notebooks:
        raise FileNotFoundError(_no_notebooks(build_dir))
    built = built or datetime.now().astimezone()
    pages: list[Page] = []
    for nb_path in notebooks:
        href = f"{nb_path.stem}.html"
        title, delivery = _export(nb_path, site_dir / href, built)
        pages.append(Page(title=title, href=href, source=nb_path, delivery=delivery))
    _write_atomic(site_dir / "index.html", index_html(pages, built))
    return pages


def _no_notebooks(build_dir: Path) -> str:
    return f"Ingen kjørte notatbøker i {build_dir / 'notebooks'}: kjør `coopstats run` først."


def mark_site_outdated(
    root: Path, *, data: str, step: str, now: datetime | None = None
) -> Path | None:
    """Move ``root/_site`` to ``root/_site.utdatert`` with a note saying why; return the new path.

    Called by ``coopstats build`` when a step fails, so the pages of an earlier build (another
    delivery, or half-written ones) are not taken for current. An older ``_site.utdatert`` is
    replaced. Returns ``None`` when there is no ``_site``.
    """
    site = root / "_site"
    if not site.is_dir():
        return None
    target = root / OUTDATED_SITE
    if target.exists():
        shutil.rmtree(target)
    site.rename(target)
    now = now or datetime.now().astimezone()
    (target / OUTDATED_NOTE).write_text(
        "UTDATERT: disse sidene er fra et tidligere bygg.\n\n"
        f"`coopstats build` med datagrunnlaget {data} stoppet {norwegian_time(now)} i steget "
        f"«{step}», så sidene her viser ikke det datagrunnlaget. De ble flyttet hit fra _site/ "
        "for at ingen skal ta dem for gjeldende.\n\n"
        "Rett feilen og kjør `coopstats build` på nytt: et vellykket bygg skriver _site/ og "
        "sletter denne mappa.\n",
        encoding="utf-8",
    )
    return target


def clear_outdated(root: Path) -> None:
    """Remove ``_site.utdatert`` after a successful build."""
    shutil.rmtree(root / OUTDATED_SITE, ignore_errors=True)


#: Where Quarto looks for TeX besides PATH (``quarto install tinytex``).
_TINYTEX_DIRS = (".TinyTeX", ".local/share/quarto/tools/tinytex", "Library/TinyTeX")
#: Quarto profile that declares the PDF format (``_quarto-pdf.yml``).
PDF_PROFILE = "pdf"
#: The folder of documents rendered to PDF (the reports; the site and dashboards are HTML).
PDF_INPUT = "reports"
TEX_MISSING = (
    "Fant ingen TeX-installasjon, som PDF krever: kjør `quarto install tinytex` én gang, eller "
    "installer TeX Live (Debian: texlive-luatex texlive-latex-recommended texlive-latex-extra "
    "lmodern texlive-lang-european), og kjør så `coopstats render --pdf` på nytt."
)


class PdfRenderError(RuntimeError):
    """The PDF render failed after HTML and Word were written (the message says what to do)."""


def tex_available() -> bool:
    """Whether a TeX installation Quarto can use is on PATH or installed as TinyTeX."""
    if any(shutil.which(tool) for tool in ("lualatex", "xelatex", "pdflatex", "tlmgr")):
        return True
    home = Path.home()
    return any((home / folder).is_dir() for folder in _TINYTEX_DIRS)


def quarto_env() -> dict[str, str]:
    """Environment for ``quarto``: ``QUARTO_PYTHON`` defaults to this Python (it has Jupyter)."""
    env = dict(os.environ)
    env.setdefault("QUARTO_PYTHON", sys.executable)
    return env


def _remove_intermediates(folder: Path, before: set[Path]) -> None:
    """Delete the LaTeX leftovers (``*.tex``, ``*_files/``) a failed PDF render left behind."""
    for path in set(folder.iterdir()) - before:
        if path.is_dir() and path.name.endswith("_files"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.suffix in {".tex", ".log", ".aux", ".toc", ".out"}:
            path.unlink(missing_ok=True)


#: What the last successful Quarto render was made from (see :func:`changed_inputs`).
RENDER_STATE = Path("_build") / "render-state.json"
#: Project files every page depends on (besides the Quarto version).
_PROJECT_GLOBS = (
    "_quarto*.yml",
    "_generert/*.yml",
    "references.bib",
    "styles/*",
    "_extensions/**/*",
    # the Word reference document (_quarto.yml: format: docx: reference-doc)
    "reports/coopstats-reference.docx",
    # metadata Quarto merges into every report: commissioning body, date format, filters
    "reports/_metadata.yml",
)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def render_inputs(root: Path) -> list[Path]:
    """The files Quarto renders as pages: ``project.render`` of ``_quarto.yml``, in order.

    Without that list, every ``.qmd`` and ``.ipynb`` outside folders and files whose names
    start with ``_`` or ``.`` (Quarto's own rule).
    """
    config_path = root / "_quarto.yml"
    config = (
        yaml.safe_load(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    )
    patterns = ((config or {}).get("project") or {}).get("render") or ["**/*.qmd", "**/*.ipynb"]
    found: list[Path] = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            hidden = any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)
            if path.is_file() and not hidden and path not in found:
                found.append(path)
    return found


def input_fingerprints(root: Path, quarto: str) -> tuple[str, dict[str, str]]:
    """(Project fingerprint, page -> fingerprint) of what a Quarto render reads.

    The project part covers the Quarto executable and its version, the project files and the
    list of pages (a page added or removed changes menus and search), the generated menus
    (``_generert/*.yml``), the Word reference document and the Word post-processing
    (:mod:`coopstats.word`, run by Quarto's post-render step). A page's part covers its own
    text with every file it includes (``{{< include >}}``: generated report parts, researchers'
    texts) and every embedded notebook (``{{< embed >}}``) the expanded text names.
    """
    from coopstats.quarto_sources import embeds, expand_includes

    pages = render_inputs(root)
    project = [quarto.encode(), _quarto_version(quarto, root).encode()]
    # the post-render step (styles/word_postrender.py) runs this module on the Word files
    project.append(Path(word.__file__).read_bytes())
    for pattern in _PROJECT_GLOBS:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                project += [str(path.relative_to(root)).encode(), path.read_bytes()]
    project += [str(p.relative_to(root)).encode() for p in pages]
    files: dict[str, str] = {}
    for page in pages:
        parts = [page.read_bytes()]
        if page.suffix == ".qmd":
            text = page.read_text(encoding="utf-8")
            try:
                text = expand_includes(text, page.parent)
            except (FileNotFoundError, RecursionError):
                parts.append(b"missing include")  # Quarto will fail and say which
            parts.append(text.encode())
            for embed in embeds(text):
                target = (page.parent / embed.path).resolve()
                parts.append(target.read_bytes() if target.is_file() else b"missing")
        files[str(page.relative_to(root))] = _digest(*parts)
    return _digest(*project), files


def _quarto_version(quarto: str, root: Path) -> str:
    try:
        done = subprocess.run(
            [quarto, "--version"], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip()


def _page_output(site: Path, page: str) -> Path:
    return site / Path(page).with_suffix(".html")


def changed_inputs(root: Path, quarto: str, *, force: bool = False) -> list[str] | None:
    """Pages to render: ``None`` for all of them, else the changed ones (maybe none).

    Everything is rendered when forced, after a failed or unknown earlier render, when the
    project fingerprint changed or when ``_site`` lacks a page's output.
    """
    state_path = root / RENDER_STATE
    if force or not state_path.is_file():
        return None
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    project, files = input_fingerprints(root, quarto)
    before = state.get("files", {})
    if state.get("project") != project or set(before) != set(files):
        return None
    site = root / "_site"
    if not (site / "index.html").is_file():
        return None
    return [
        page
        for page, digest in files.items()
        if before.get(page) != digest or not _page_output(site, page).is_file()
    ]


def _save_render_state(root: Path, quarto: str) -> None:
    project, files = input_fingerprints(root, quarto)
    path = root / RENDER_STATE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"project": project, "files": files}, indent=1), encoding="utf-8")
    tmp.replace(path)


#: Most changed pages rendered one call each (more: the whole project in one call).
MAX_PAGE_CALLS = 3


def quarto_commands(
    quarto: str, *, pdf: bool = False, pages: list[str] | None = None
) -> list[list[str]]:
    """The ``quarto render`` calls, in order: the site (HTML and Word), then PDF if asked.

    ``pages`` limits the site to those pages (``None``: the whole project; ``[]``: no site
    call at all). ``quarto render`` takes one input (further arguments go to Pandoc), so each
    page is a call of its own; more than :data:`MAX_PAGE_CALLS` pages render as the whole
    project, which is quicker than that many calls.
    """
    if pages == []:
        commands: list[list[str]] = []
    elif pages is None or len(pages) > MAX_PAGE_CALLS:
        commands = [[quarto, "render"]]
    else:
        commands = [[quarto, "render", page] for page in pages]
    if pdf:
        commands.append([quarto, "render", PDF_INPUT, "--profile", PDF_PROFILE, "--to", "pdf"])
    return commands


def render(
    root: Path,
    *,
    quarto: str | None = None,
    use_quarto: bool = True,
    pdf: bool = False,
    force: bool = False,
) -> str:
    """Render the project; return a one-line message saying what was produced.

    Prepares the embed sources (``_build/embed/``) and the dashboards (``dashboards/``) from
    the executed notebooks, then, when Quarto is on PATH (or given), writes the parts
    generated from the registry (``_generert/``, :mod:`coopstats.assemble`) and uses
    ``quarto render`` in ``root``, else the nbconvert fallback. Quarto renders only the pages
    whose inputs changed since the last successful render (:func:`changed_inputs`; ``force``
    renders all). Quarto renders the site in HTML and the reports also in Word; with
    ``pdf=True`` a second, separate Quarto call renders the reports to PDF, so a failing PDF
    (no TeX) leaves the HTML and Word in place and raises :class:`PdfRenderError`. A failing
    HTML/Word render raises :class:`subprocess.CalledProcessError`.
    """
    build = root / "_build"
    if not publish.executed_notebooks(build):
        raise FileNotFoundError(_no_notebooks(build))
    publish.prepare_embed_sources(build, root / publish.DEFAULT_EMBED_DIR)
    publish.prepare_dashboards(build, root / publish.DEFAULT_DASHBOARD_DIR)
    quarto = quarto or (shutil.which("quarto") if use_quarto else None)
    site = root / "_site"
    if quarto:
        # the per-unit/per-model report parts, menus and index lists (coopstats.assemble)
        assemble(root)
        pages = changed_inputs(root, quarto, force=force)
        calls = quarto_commands(quarto, pdf=pdf, pages=pages)
        env = quarto_env()
        if pages == []:
            done = (
                f"Ingenting er endret siden forrige rendring av {site}; `coopstats render "
                "--force` rendrer alle sidene på nytt."
            )
        else:
            (root / RENDER_STATE).unlink(missing_ok=True)  # a failed render forces a full one
            subprocess.run(calls.pop(0), cwd=root, check=True, env=env)
            _save_render_state(root, quarto)
            if pages is None:
                which = "alle sidene"
            else:
                which = "1 endret side" if len(pages) == 1 else f"{len(pages)} endrede sider"
            done = f"Rendret {which} med {quarto} til {site}: HTML, og Word for rapportene."
        pdf_calls = calls
        for call in pdf_calls:
            before = set((root / PDF_INPUT).iterdir())
            result = subprocess.run(call, cwd=root, check=False, env=env)
            if result.returncode != 0:
                _remove_intermediates(root / PDF_INPUT, before)
                hint = TEX_MISSING if not tex_available() else "Meldingene står over."
                raise PdfRenderError(
                    f"{done} PDF-rendringen (`{' '.join(call[1:])}`) feilet med "
                    f"avslutningskode {result.returncode}; HTML- og Word-filene er beholdt. "
                    f"{hint}"
                )
        if pdf_calls:
            return f"{done} PDF av rapportene i {site / PDF_INPUT}."
        return done + " PDF ved behov: `coopstats render --pdf` (krever TeX)."
    pages = render_fallback(build, site)
    deliveries = sorted({p.delivery for p in pages if p.delivery})
    mixed = ""
    if len(deliveries) > 1:
        mixed = (
            f"Advarsel: sidene er kjørt på ulike datagrunnlag ({', '.join(deliveries)}); "
            "kjør `coopstats build --data MAPPE` for å lage alle fra samme leveranse. "
        )
    wrote = "1 side" if len(pages) == 1 else f"{len(pages)} sider"
    return f"Skrev {wrote} og index.html. {mixed}" + QUARTO_MISSING.format(site=site)
