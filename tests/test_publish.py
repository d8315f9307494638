"""Embed sources with unique labels, and dashboards with their titles filled in."""

from __future__ import annotations

import nbformat
import pytest
import yaml

from coopstats import publish
from coopstats.publish import (
    embed_label,
    fill_dashboard,
    notebook_slug,
    prepare_dashboards,
    prepare_embed_sources,
    rewrite_labels,
)
from coopstats.registry import load_registry


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _code(source: str, cell_id: str | None = None, tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if cell_id:
        cell["id"] = cell_id
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _notebook(*cells, parameters: dict | None = None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    if parameters is not None:
        nb.metadata["papermill"] = {"parameters": parameters}
    return nb


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("stem", "slug"),
    [
        ("fylke-nav-oslo", "nav-oslo"),
        ("fylke-nav-more-og-romsdal", "nav-more-og-romsdal"),
        ("modell-moteplassen", "moteplassen"),
        ("modell-jobbspesialist-grupper", "jobbspesialist-grupper"),
        ("deltakere-alle", "alle"),
        ("deltakere-nav-oslo", "nav-oslo"),
        ("laering", ""),
        ("dashbord-fylke-nav-oslo", "nav-oslo"),
        ("dashbord-modell-lengre-varighet", "lengre-varighet"),
        ("ukjent-a-b", "a-b"),
        ("fylkeskart", ""),
    ],
)
def test_slug_is_the_stem_minus_its_notebook_prefix(stem, slug):
    assert notebook_slug(stem) == slug


def test_embed_label_suffixes_only_parameterized_runs():
    assert embed_label("fylke-nav-oslo", "tbl-indikatorer") == "tbl-indikatorer-nav-oslo"
    assert embed_label("modell-moteplassen", "fig-modell-kjede") == "fig-modell-kjede-moteplassen"
    assert embed_label("deltakere-alle", "tbl-5-1") == "tbl-5-1-alle"
    assert embed_label("laering", "tbl-laeringspunkter") == "tbl-laeringspunkter"


# --------------------------------------------------------------------------- label rewriting


def test_rewrite_labels_suffixes_option_labels_ids_and_markdown_refs():
    nb = _notebook(
        _code('#| label: tbl-indikatorer\n#| tbl-cap: "Indikatorer"\nf(page)', "tbl-indikatorer"),
        _code("#| label: 'fig-trakt'\n#| fig-cap: Trakt\ng(page)", "abc123"),
        _code("x = 1\n#| label: tbl-not-an-option\n"),
        nbformat.v4.new_markdown_cell("Se @tbl-indikatorer og @fig-trakt, men ikke @tbl-annen."),
    )
    renamed = rewrite_labels(nb, "fylke-nav-oslo")

    assert renamed == {
        "tbl-indikatorer": "tbl-indikatorer-nav-oslo",
        "fig-trakt": "fig-trakt-nav-oslo",
    }
    assert nb.cells[0].source.startswith("#| label: tbl-indikatorer-nav-oslo\n")
    assert '#| tbl-cap: "Indikatorer"' in nb.cells[0].source
    assert nb.cells[0]["id"] == "tbl-indikatorer-nav-oslo"  # Quarto checks cell ids first
    # re-serialised with a YAML dumper: plain where a plain scalar is valid
    assert nb.cells[1].source.startswith("#| label: fig-trakt-nav-oslo\n")
    assert nb.cells[1]["id"] == "abc123"
    assert "#| label: tbl-not-an-option" in nb.cells[2].source  # not a cell option
    assert nb.cells[3].source == (
        "Se @tbl-indikatorer-nav-oslo og @fig-trakt-nav-oslo, men ikke @tbl-annen."
    )


def test_rewrite_labels_leaves_unparameterized_notebooks_alone():
    nb = _notebook(_code("#| label: tbl-laeringspunkter\nf()"))
    assert rewrite_labels(nb, "laering") == {}
    assert nb.cells[0].source == "#| label: tbl-laeringspunkter\nf()"


# --------------------------------------------------------------------------- embed sources


def test_prepare_embed_sources_copies_runs_with_suffixed_labels(tmp_path):
    build, out = tmp_path / "_build", tmp_path / "_build" / "embed"
    nbs = build / "notebooks"
    for unit in ("nav-oslo", "nav-vestland"):
        _write(_notebook(_code("#| label: tbl-indikatorer\nf()")), nbs / f"fylke-{unit}.ipynb")
    _write(_notebook(_code("#| label: tbl-laeringspunkter\nf()")), nbs / "laering.ipynb")
    _write(_notebook(_code("#| label: tbl-x\nf()")), nbs / "fylke-nav-oslo-gammel.failed.ipynb")
    _write(_notebook(_code("#| label: tbl-x\nf()")), nbs / ".fylke-nav-oslo.123-0.tmp.ipynb")
    _write(_notebook(), out / "fylke-nav-nordland.ipynb")  # stale: no run any more

    written = prepare_embed_sources(build, out)

    assert sorted(p.name for p in written) == [
        "fylke-nav-oslo.ipynb",
        "fylke-nav-vestland.ipynb",
        "laering.ipynb",
    ]
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in written]
    labels = {
        p.stem: nbformat.read(p, as_version=4).cells[0].source.splitlines()[0] for p in written
    }
    assert labels == {
        "fylke-nav-oslo": "#| label: tbl-indikatorer-nav-oslo",
        "fylke-nav-vestland": "#| label: tbl-indikatorer-nav-vestland",
        "laering": "#| label: tbl-laeringspunkter",
    }
    # the executed notebooks themselves are untouched
    original = nbformat.read(nbs / "fylke-nav-oslo.ipynb", as_version=4)
    assert original.cells[0].source.startswith("#| label: tbl-indikatorer\n")


def _half_then_fail(nb, fp, *args, **kwargs):
    """``nbformat.write`` that dies half-way: half of the notebook on disk, then an error."""
    text = nbformat.writes(nb)
    with open(fp, "w", encoding="utf-8") as fh:
        fh.write(text[: len(text) // 2])
    raise OSError("disk full")


def _replaced_by_rename(target, write) -> None:
    """Run ``write()`` over an existing ``target`` while a reader holds the old file open.

    An atomic replacement (temporary file + rename) leaves the reader's old file complete and
    puts a new file at ``target``; a write in place (truncate and write, or a copy over it)
    changes what the reader sees and keeps the file's inode.
    """
    old = target.read_bytes()
    inode = target.stat().st_ino
    with open(target, "rb") as reader:
        write()
        assert reader.read() == old, "the old file was rewritten in place"
    assert target.stat().st_ino != inode, "the output was not replaced by a rename"
    assert target.read_bytes() != old


def test_embed_copies_are_written_atomically(tmp_path, monkeypatch):
    build, out = tmp_path / "_build", tmp_path / "embed"
    _write(_notebook(_code("#| label: tbl-a\nf()")), build / "notebooks" / "fylke-nav-oslo.ipynb")
    prepare_embed_sources(build, out)
    before = (out / "fylke-nav-oslo.ipynb").read_bytes()

    monkeypatch.setattr(publish.nbformat, "write", _half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        prepare_embed_sources(build, out)
    assert (out / "fylke-nav-oslo.ipynb").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["fylke-nav-oslo.ipynb"]


def test_embed_copies_replace_the_old_copy_by_a_rename(tmp_path):
    build, out = tmp_path / "_build", tmp_path / "embed"
    source = build / "notebooks" / "fylke-nav-oslo.ipynb"
    _write(_notebook(_code("#| label: tbl-a\nf()")), source)
    prepare_embed_sources(build, out)
    _write(_notebook(_code("#| label: tbl-a\ng()")), source)  # a new run of the page
    _replaced_by_rename(out / "fylke-nav-oslo.ipynb", lambda: prepare_embed_sources(build, out))
    copy = nbformat.read(out / "fylke-nav-oslo.ipynb", as_version=4)
    assert copy.cells[0].source == "#| label: tbl-a-nav-oslo\ng()"
    assert sorted(p.name for p in out.iterdir()) == ["fylke-nav-oslo.ipynb"]


def test_prepare_embed_sources_without_runs_writes_nothing(tmp_path):
    assert prepare_embed_sources(tmp_path / "_build", tmp_path / "embed") == []


# --------------------------------------------------------------------------- dashboards

FRONT = (
    '---\ntitle: "Dashbord (tittelen settes ved publisering)"\nformat:\n  dashboard:\n'
    "    theme: [cosmo, ../styles/coopstats.scss]\n---"
)


def _dashboard(parameters: dict) -> nbformat.NotebookNode:
    return _notebook(
        nbformat.v4.new_raw_cell(FRONT),
        _code('unit = "nav-oslo"', tags=["parameters"]),
        _code("unit = 'x'", tags=["injected-parameters"]),
        _code('#| content: valuebox\n#| title: "Forsøk"\nbox(page)'),
        parameters=parameters,
    )


def _front(nb) -> dict:
    return yaml.safe_load(nb.cells[0].source.strip().strip("-"))


def test_fill_dashboard_sets_the_title_from_parameters_and_registry(registry):
    nb = _dashboard({"unit": "nav-more-og-romsdal", "data_dir": "/x", "min_count": 5})
    title = fill_dashboard(nb, "dashbord-fylke-nav-more-og-romsdal", registry)

    assert title == "Dashbord: NAV Møre og Romsdal"
    meta = _front(nb)
    assert meta["title"] == title
    assert meta["format"]["dashboard"]["theme"] == ["cosmo", "../styles/coopstats.scss"]
    assert nb.cells[1].source.startswith("#| include: false\n")
    assert nb.cells[2].source.startswith("#| include: false\n")
    assert nb.cells[3].source.startswith("#| content: valuebox")


def test_fill_dashboard_for_a_model_and_without_front_matter(registry):
    nb = _notebook(_code("x"), parameters={"model": "moteplassen"})
    assert fill_dashboard(nb, "dashbord-modell-moteplassen", registry) == "Dashbord: Møteplassen"
    assert nb.cells[0].cell_type == "raw"
    assert _front(nb) == {"title": "Dashbord: Møteplassen", "format": "dashboard"}


def test_prepare_dashboards_copies_only_dashboard_runs(tmp_path, registry):
    build, out = tmp_path / "_build", tmp_path / "dashboards"
    nbs = build / "notebooks"
    _write(_dashboard({"unit": "nav-oslo"}), nbs / "dashbord-fylke-nav-oslo.ipynb")
    _write(_dashboard({"model": "veiledningstelefonen"}), nbs / "dashbord-modell-x.ipynb")
    _write(_notebook(_code("x")), nbs / "fylke-nav-oslo.ipynb")
    _write(_notebook(), out / "dashbord-fylke-nav-nordland.ipynb")  # stale
    (out / "README.md").write_text("kept")

    written = prepare_dashboards(build, out, registry=registry)

    assert sorted(p.name for p in written) == [
        "dashbord-fylke-nav-oslo.ipynb",
        "dashbord-modell-x.ipynb",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "dashbord-fylke-nav-oslo.ipynb",
        "dashbord-modell-x.ipynb",
    ]
    titles = {p.stem: _front(nbformat.read(p, as_version=4))["title"] for p in written}
    assert titles == {
        "dashbord-fylke-nav-oslo": "Dashbord: NAV Oslo",
        "dashbord-modell-x": "Dashbord: Veiledningstelefonen",
    }


def test_dashboards_are_written_atomically(tmp_path, registry, monkeypatch):
    build, out = tmp_path / "_build", tmp_path / "dashboards"
    source = build / "notebooks" / "dashbord-fylke-nav-oslo.ipynb"
    _write(_dashboard({"unit": "nav-oslo"}), source)
    prepare_dashboards(build, out, registry=registry)
    target = out / "dashbord-fylke-nav-oslo.ipynb"
    before = target.read_bytes()
    changed = _dashboard({"unit": "nav-oslo"})
    changed.cells.append(_code("#| content: valuebox\nbox(other)"))
    _write(changed, source)

    # a write that fails half-way leaves the old dashboard complete and no partial file
    with monkeypatch.context() as patch:
        patch.setattr(publish.nbformat, "write", _half_then_fail)
        with pytest.raises(OSError, match="disk full"):
            prepare_dashboards(build, out, registry=registry)
    assert target.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["dashbord-fylke-nav-oslo.ipynb"]

    # a write that succeeds replaces the file by a rename
    _replaced_by_rename(target, lambda: prepare_dashboards(build, out, registry=registry))
    assert len(nbformat.read(target, as_version=4).cells) == len(changed.cells)
    assert sorted(p.name for p in out.iterdir()) == ["dashbord-fylke-nav-oslo.ipynb"]


# --------------------------------------------------------------------------- option quoting


def test_quote_cell_options_makes_every_option_valid_yaml_and_keeps_the_rest():
    from coopstats.publish import option_block, quote_cell_options

    source = (
        "#| label: fig-a\n"
        '#| title: "Forsøk"\n'
        "#| fig-alt: Rutenett: ingen tilpasning, mindre tilpasning\n"
        "#| fig-cap: Tabell # 3\n"
        "#| include: false\n"
        "plot()\n"
        "#| fig-alt: not: an option"
    )
    quoted = quote_cell_options(source)
    assert quoted.split("\n")[:2] == ["#| label: fig-a", '#| title: "Forsøk"']  # valid: kept
    assert "#| fig-alt: 'Rutenett: ingen tilpasning, mindre tilpasning'" in quoted
    assert "#| fig-cap: 'Tabell # 3'" in quoted  # a plain scalar would lose "# 3"
    assert quoted.endswith("plot()\n#| fig-alt: not: an option")  # code untouched
    options = yaml.safe_load(option_block(quoted))
    assert options["fig-alt"] == "Rutenett: ingen tilpasning, mindre tilpasning"
    assert options["include"] is False
    assert quote_cell_options(quoted) == quoted


def test_prepared_copies_have_valid_options(tmp_path):
    from coopstats.publish import option_block

    nbs = tmp_path / "_build" / "notebooks"
    _write(_notebook(_code("#| label: fig-x\n#| fig-alt: A: b\nf()")), nbs / "fylke-nav-oslo.ipynb")
    (copy,) = prepare_embed_sources(tmp_path / "_build", tmp_path / "_build" / "embed")
    cell = nbformat.read(copy, as_version=4).cells[0]
    assert yaml.safe_load(option_block(cell.source)) == {
        "label": "fig-x-nav-oslo",
        "fig-alt": "A: b",
    }
