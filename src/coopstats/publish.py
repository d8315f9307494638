"""Prepare the executed notebooks for Quarto: embed sources with unique labels, and dashboards.

Every run of a parameterized notebook carries the same cell labels (``tbl-indikatorer`` is in
every ``fylke-<unit>`` run), so a report that embeds two units would get duplicate ids and
ambiguous cross-references. :func:`prepare_embed_sources` therefore copies each executed
notebook from ``_build/notebooks/`` to ``_build/embed/`` with every label suffixed by the run's
slug (the notebook stem minus its source-notebook prefix)::

    fylke-nav-oslo      tbl-indikatorer   ->  tbl-indikatorer-nav-oslo
    modell-moteplassen  fig-modell-kjede  ->  fig-modell-kjede-moteplassen
    deltakere-lengre-varighet-alle  tbl-5-1  ->  tbl-5-1-lengre-varighet-alle
    laering             tbl-laeringspunkter (no slug: unchanged)

Reports embed ``../_build/embed/<stem>.ipynb#<label>-<slug>`` and cross-reference
``@<label>-<slug>``; :func:`embed_label` computes the suffixed label.

:func:`prepare_dashboards` copies the executed ``dashbord-*`` runs to ``dashboards/`` (a
generated folder that Quarto renders as ``format: dashboard`` pages), with the title taken
from the run's papermill parameters and the registry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import yaml

if TYPE_CHECKING:
    from coopstats.registry import Registry

#: Stems of the source notebooks whose runs are named ``<prefix>-<slug>``. The longest matching
#: prefix wins, so ``dashbord-fylke-nav-oslo`` has the slug ``nav-oslo``. A stem that matches
#: none of them is split at its first hyphen.
NOTEBOOK_PREFIXES: tuple[str, ...] = (
    "dashbord-fylke",
    "dashbord-modell",
    "deltakere",
    "fylke",
    "laering",
    "midtveis",
    "modell",
)
#: Where :func:`prepare_embed_sources` writes by default (relative to the project root).
DEFAULT_EMBED_DIR = Path("_build") / "embed"
#: Where :func:`prepare_dashboards` writes by default (relative to the project root).
DEFAULT_DASHBOARD_DIR = Path("dashboards")
#: Executed dashboard runs start with this prefix.
DASHBOARD_PREFIX = "dashbord-"

_LABEL_LINE = re.compile(
    r"^(?P<head>#\|\s*label\s*:\s*)(?P<q>[\"']?)(?P<label>[^\"'\s]+)(?P=q)\s*$"
)
_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def notebook_slug(stem: str, prefixes: Iterable[str] = NOTEBOOK_PREFIXES) -> str:
    """The run-specific part of an executed notebook's stem ("" for an unparameterized one).

    >>> notebook_slug("fylke-nav-oslo")
    'nav-oslo'
    >>> notebook_slug("laering")
    ''
    """
    for prefix in sorted(prefixes, key=len, reverse=True):
        if stem == prefix:
            return ""
        if stem.startswith(prefix + "-"):
            return stem[len(prefix) + 1 :]
    return stem.partition("-")[2]


def embed_label(notebook_stem: str, label: str) -> str:
    """The label a cell carries in the embed copy of ``notebook_stem`` (see module docstring)."""
    slug = notebook_slug(notebook_stem)
    return f"{label}-{slug}" if slug else label


#: One Quarto cell option line: ``#| key: value`` (value may be empty).
_OPTION_LINE = re.compile(r"^#\|\s?(?P<key>[A-Za-z][\w-]*)\s*:(?:\s+(?P<value>.*?))?\s*$")


def dump_cell_option(key: str, value: object) -> str:
    """One ``#| key: value`` line, the value serialised by a YAML dumper (quoted when needed).

    >>> dump_cell_option("fig-alt", "Rutenett: ingen tilpasning")
    "#| fig-alt: 'Rutenett: ingen tilpasning'"
    >>> dump_cell_option("include", False)
    '#| include: false'
    """
    if isinstance(value, list | dict):
        flow = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=2**31 - 1)
        return f"#| {key}: {flow.strip()}"
    dumped = yaml.safe_dump(
        {key: value}, allow_unicode=True, default_flow_style=False, width=2**31 - 1
    )
    return "#| " + dumped.strip()


def _line_is_valid(key: str, raw: str) -> bool:
    """Whether ``key: raw`` is valid YAML that keeps the whole of ``raw`` as its value."""
    try:
        data = yaml.safe_load(f"{key}: {raw}")
    except yaml.YAMLError:
        return False
    if not isinstance(data, dict) or list(data) != [key]:
        return False
    value = data[key]
    # A plain scalar that lost text (a ``#`` comment) is rewritten; quoted or non-text keeps.
    return not isinstance(value, str) or raw[:1] in "'\"[{|>" or value == raw


def quote_cell_options(source: str) -> str:
    """Re-serialise the leading ``#|`` options of a code cell so each one is valid YAML.

    A line that already is valid YAML and keeps its whole value stays as it is; any other
    ``#| key: value`` line is written again with the raw text as a YAML string
    (``#| fig-alt: 'A: b'``). Continuation lines (block scalars, lists) are left alone, and the
    rest of the cell is untouched.
    """
    lines = source.split("\n")
    for i in range(_option_lines(source)):
        line = lines[i]
        match = _OPTION_LINE.match(line.rstrip("\r"))
        if not match or match["value"] is None:
            continue
        key, raw = match["key"], match["value"]
        if _line_is_valid(key, raw):
            continue
        ending = "\r" if line.endswith("\r") else ""
        lines[i] = dump_cell_option(key, raw) + ending
    return "\n".join(lines)


def quote_notebook_options(nb: nbformat.NotebookNode) -> None:
    """:func:`quote_cell_options` on every code cell of ``nb``, in place (Quarto copies)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = quote_cell_options(cell.source)


def option_block(source: str) -> str:
    """The leading ``#|`` lines of a code cell as one YAML document (``#|`` prefix removed)."""
    lines = source.splitlines()[: _option_lines(source)]
    return "\n".join(
        ln[3:] if ln.startswith("#| ") else ln[2:] for ln in lines if ln.startswith("#|")
    )


def _option_lines(source: str) -> int:
    """Number of leading lines that are Quarto ``#|`` options (blank lines allowed before)."""
    count = 0
    for line in source.splitlines():
        if line.startswith("#|") or not line.strip():
            count += 1
            continue
        break
    return count


def rewrite_labels(nb: nbformat.NotebookNode, stem: str) -> dict[str, str]:
    """Suffix every ``#| label:`` in ``nb``'s code cells in place; return old -> new labels.

    Cell ids equal to an old label are renamed too (Quarto matches an embed target against cell
    ids first), and ``@label`` cross-references in markdown cells follow their labels.
    """
    slug = notebook_slug(stem)
    if not slug:
        return {}
    renamed: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines(keepends=True)
        for i in range(_option_lines(cell.source)):
            match = _LABEL_LINE.match(lines[i].rstrip("\r\n"))
            if not match:
                continue
            old = match["label"]
            new = embed_label(stem, old)
            renamed[old] = new
            ending = lines[i][len(lines[i].rstrip("\r\n")) :]
            lines[i] = dump_cell_option("label", new) + ending
        cell.source = "".join(lines)
    if not renamed:
        return renamed
    ids = {cell.get("id") for cell in nb.cells}
    for cell in nb.cells:
        old_id = cell.get("id")
        new_id = renamed.get(old_id or "")
        if new_id and _CELL_ID.match(new_id) and new_id not in ids:
            cell["id"] = new_id
            ids.add(new_id)
    alternatives = "|".join(re.escape(k) for k in sorted(renamed, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w@-])@(" + alternatives + r")(?![\w-])")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = pattern.sub(lambda m: "@" + renamed[m.group(1)], cell.source)
    return renamed


def write_notebook_atomic(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write ``nb`` to ``target`` via a temporary file in the same folder and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.ipynb")
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def executed_notebooks(build_dir: Path) -> list[Path]:
    """Executed notebooks in ``build_dir/notebooks`` (no dot-files, no ``*.failed.ipynb``)."""
    folder = Path(build_dir) / "notebooks"
    return sorted(
        p
        for p in folder.glob("*.ipynb")
        if not p.name.startswith(".") and not p.name.endswith(".failed.ipynb")
    )


def _remove_stale(out_dir: Path, keep: set[str], pattern: str) -> None:
    for path in out_dir.glob(pattern):
        if not path.name.startswith(".") and path.name not in keep:
            path.unlink()


def prepare_embed_sources(build_dir: Path, out_dir: Path = DEFAULT_EMBED_DIR) -> list[Path]:
    """Copy every executed notebook to ``out_dir`` with labels suffixed; return the copies.

    Copies whose source no longer exists (a unit removed, a run that failed this time) are
    deleted, so a report cannot silently embed stale output.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for source in executed_notebooks(build_dir):
        nb = nbformat.read(source, as_version=4)
        quote_notebook_options(nb)
        rewrite_labels(nb, source.stem)
        target = out_dir / source.name
        write_notebook_atomic(nb, target)
        written.append(target)
    if out_dir.is_dir():
        _remove_stale(out_dir, {p.name for p in written}, "*.ipynb")
    return written


# --------------------------------------------------------------------------- dashboards


def _front_matter_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            return cell
        if cell.cell_type != "raw":
            return None
    return None


def _parse_front_matter(text: str) -> dict:
    body = text.strip()
    if body.startswith("---"):
        body = body[3:]
    body = body.rsplit("---", 1)[0] if body.rstrip().endswith("---") else body
    data = yaml.safe_load(body) or {}
    if not isinstance(data, dict):
        raise ValueError("the front-matter raw cell is not a YAML mapping")
    return data


def dashboard_title(stem: str, parameters: dict, registry: Registry) -> str:
    """Norwegian title for one dashboard run, e.g. ``Dashbord: NAV Oslo``."""
    if stem.startswith("dashbord-fylke"):
        unit = str(parameters.get("unit") or notebook_slug(stem))
        return f"Dashbord: {registry.resolve_unit(unit).name}"
    if stem.startswith("dashbord-modell"):
        key = str(parameters.get("model") or notebook_slug(stem))
        model = registry.models.get(key)
        if model is None:
            from coopstats.modell import resolve_model

            model = resolve_model(registry, key)
        return f"Dashbord: {model.name}"
    return f"Dashbord: {notebook_slug(stem) or stem}"


def _hide(cell: nbformat.NotebookNode) -> None:
    line = dump_cell_option("include", False)
    if line not in cell.source.splitlines()[: _option_lines(cell.source)]:
        cell.source = line + "\n" + cell.source


def fill_dashboard(nb: nbformat.NotebookNode, stem: str, registry: Registry) -> str:
    """Set the title in ``nb``'s front matter from its papermill parameters; return it.

    A front-matter raw cell is added when missing (with ``format: dashboard``). The parameter
    cells are marked ``include: false`` so they never become cards.
    """
    parameters = dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    title = dashboard_title(stem, parameters, registry)
    cell = _front_matter_cell(nb)
    if cell is None:
        cell = nbformat.v4.new_raw_cell("")
        nb.cells.insert(0, cell)
        meta: dict = {"format": "dashboard"}
    else:
        meta = _parse_front_matter(cell.source)
    meta["title"] = title
    ordered = {"title": title, **{k: v for k, v in meta.items() if k != "title"}}
    dumped = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, default_flow_style=None)
    cell.source = f"---\n{dumped}---"
    for c in nb.cells:
        tags = set(c.get("metadata", {}).get("tags", []))
        if c.cell_type == "code" and tags & {"parameters", "injected-parameters"}:
            _hide(c)
    return title


def prepare_dashboards(
    build_dir: Path,
    out_dir: Path = DEFAULT_DASHBOARD_DIR,
    registry: Registry | None = None,
) -> list[Path]:
    """Copy the executed ``dashbord-*`` runs to ``out_dir`` with their titles filled in.

    Dashboards in ``out_dir`` without an executed run are removed.
    """
    if registry is None:
        from coopstats.registry import load_registry

        registry = load_registry()
    out_dir = Path(out_dir)
    written: list[Path] = []
    for source in executed_notebooks(build_dir):
        if not source.stem.startswith(DASHBOARD_PREFIX):
            continue
        nb = nbformat.read(source, as_version=4)
        quote_notebook_options(nb)
        fill_dashboard(nb, source.stem, registry)
        target = out_dir / source.name
        write_notebook_atomic(nb, target)
        written.append(target)
    if out_dir.is_dir():
        _remove_stale(out_dir, {p.name for p in written}, f"{DASHBOARD_PREFIX}*.ipynb")
    return written
