"""The Quarto sources are checked without Quarto: lint, embeds, cross-references, alt text.

Every ``{{< embed >}}`` must point at a notebook the batch produces (derived from the registry
and the demo data) and at a label that exists in the source notebook once suffixed; every
``@fig-``/``@tbl-``/``@sec-`` reference must resolve in its own document; every figure cell in
every notebook has alt text. ``panache lint`` must be clean, and must also be clean with its
cross-reference rule on when each embed is replaced by a stub cell with the embedded label. The
last test runs ``quarto render`` when Quarto is installed.

The reports and the index include parts generated from the registry (``_generert/``,
:mod:`coopstats.assemble`) and the researchers' texts (``reports/tekst/``); the module first
writes the generated parts, and every check reads a document with its includes expanded
(:func:`coopstats.quarto_sources.document_text`), i.e. the text Quarto renders.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coopstats import quarto_sources as qs
from coopstats.assemble import GENERATED_DIR, TEXT_DIR, assemble, report_models, report_units
from coopstats.publish import embed_label
from coopstats.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEMO = ROOT / "data" / "demo"
REPORTS = sorted((ROOT / "reports").glob("*.qmd"))
DOCUMENTS = [ROOT / "index.qmd", *REPORTS]
EMBED_DIR = (ROOT / "_build" / "embed").resolve()


def _panache() -> str:
    local = Path(sys.executable).with_name("panache")
    found = str(local) if local.is_file() else shutil.which("panache")
    if not found:
        pytest.skip("panache (PyPI panache-cli) is not installed")
    return found


def _text(path: Path) -> str:
    """A file's text; a ``.qmd`` document with its includes expanded (what Quarto renders)."""
    if path.suffix == ".qmd":
        return qs.document_text(path)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def assembled():
    """The generated parts (``_generert/``) as ``coopstats render`` writes them."""
    return assemble(ROOT)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def stems(registry):
    return qs.produced_notebooks(ROOT, DEMO, registry)


def test_reports_exist():
    names = {p.name for p in REPORTS}
    assert {"statusrapport.qmd", "midtveisnotat.qmd", "laeringskapittel.qmd"} <= names


# --------------------------------------------------------------------------- panache


def test_panache_lint_is_clean_on_every_qmd():
    """Also lints the researchers' texts in reports/tekst/ and, through the includes, the
    generated parts."""
    result = subprocess.run(
        [_panache(), "lint", "--message-format", "short", *map(str, DOCUMENTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout


def _stub(embed: qs.Embed, opts: dict[str, str]) -> str:
    lines = ["```{python}", f"#| label: {embed.label}"]
    for key in ("fig-cap", "tbl-cap", "fig-alt"):
        if opts.get(key):
            lines.append(f"#| {key}: {yaml.safe_dump(opts[key], allow_unicode=True).strip()}")
    lines += ["pass", "```"]
    return "\n".join(lines)


@pytest.mark.parametrize("doc", REPORTS, ids=lambda p: p.name)
def test_panache_resolves_every_crossref_once_embeds_are_stubbed(doc, tmp_path, stems):
    """panache with its cross-reference rule on, on a copy where embeds are labelled cells."""
    text = _text(doc)
    for embed in qs.embeds(text):
        opts = qs.embedded_labels(embed.stem, stems).get(embed.label)
        if opts is None:  # unknown label: keep the shortcode, so the reference stays unresolved
            continue
        shortcode = re.compile(r"\{\{<\s*embed\s+" + re.escape(f"{embed.path}#{embed.label}"))
        text = "\n".join(
            _stub(embed, opts) if shortcode.search(line) else line for line in text.splitlines()
        )
    # one document per project, so no labels leak in from the other reports
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    (tmp_path / "reports").mkdir()
    copy = tmp_path / "reports" / doc.name
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [_panache(), "lint", "--isolated", "--no-cache", "--message-format", "short", str(copy)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- embeds


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.name)
def test_every_embed_points_at_a_produced_notebook_and_an_existing_label(doc, stems):
    problems = []
    for embed in qs.embeds(_text(doc)):
        where = f"{doc.name}:{embed.line}"
        target = (doc.parent / embed.path).resolve()
        if target.parent != EMBED_DIR:
            problems.append(f"{where}: {embed.path} is not in _build/embed/")
        if embed.stem not in stems:
            problems.append(f"{where}: the batch produces no notebook {embed.stem}")
            continue
        labels = qs.embedded_labels(embed.stem, stems)
        if embed.label not in labels:
            problems.append(
                f"{where}: {embed.stem} has no label {embed.label} "
                f"(source {stems[embed.stem].name})"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", REPORTS, ids=lambda p: p.name)
def test_embedded_tables_and_figures_have_captions_and_appear_once(doc, stems):
    seen: set[str] = set()
    problems = []
    for embed in qs.embeds(_text(doc)):
        if embed.label in seen:
            problems.append(f"{embed.label} is embedded twice (duplicate id)")
        seen.add(embed.label)
        opts = qs.embedded_labels(embed.stem, stems).get(embed.label, {})
        kind = embed.label.split("-", 1)[0]
        if kind in ("fig", "tbl") and not opts.get(f"{kind}-cap"):
            problems.append(f"{embed.label} has no {kind}-cap in its notebook")
        if kind == "fig" and not opts.get("fig-alt"):
            problems.append(f"{embed.label} has no fig-alt in its notebook")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: p.name)
def test_every_crossref_resolves_in_its_own_document(doc):
    text = _text(doc)
    targets = {e.label for e in qs.embeds(text)} | set(qs.section_ids(text))
    unresolved = [
        f"{doc.name}:{line}: @{label}"
        for line, label in qs.cross_references(text)
        if label not in targets
    ]
    assert not unresolved, "unresolved cross-references:\n" + "\n".join(unresolved)
    ids = qs.element_ids(text)
    assert len(ids) == len(set(ids)), "duplicate {#id} in " + doc.name


def test_crossref_check_catches_a_broken_reference():
    """The parser finds references and targets, so a wrong label would fail the test above."""
    text = (
        "# A {#sec-a}\n\nSe @tbl-x-nav-oslo, @Fig-y og @sec-a. E-post: a@tbl-b.no.\n\n"
        "{{< embed ../_build/embed/fylke-nav-oslo.ipynb#tbl-x-nav-oslo >}}\n\n"
        "```\n@fig-in-code\n```\n"
    )
    refs = [label for _, label in qs.cross_references(text)]
    assert refs == ["tbl-x-nav-oslo", "fig-y", "sec-a"]
    targets = {e.label for e in qs.embeds(text)} | set(qs.section_ids(text))
    assert [r for r in refs if r not in targets] == ["fig-y"]


def test_statusrapport_follows_the_seed_structure_and_covers_every_trial_unit(registry):
    text = _text(ROOT / "reports" / "statusrapport.qmd")
    sections = set(qs.section_ids(text))
    for sec in (
        "sec-innledning",
        "sec-formal",
        "sec-problemstillinger",
        "sec-data-metode",
        "sec-modellene",
        "sec-implementering",
        "sec-resultater",
        "sec-deltakere",
        "sec-laeringspunkter",
    ):
        assert sec in sections, sec
    embedded = {e.label for e in qs.embeds(text)}
    for unit in registry.trial_units():
        stem = f"fylke-{unit}"
        for label in ("tbl-forsok", "tbl-tilpasninger", "tbl-indikatorer"):
            assert embed_label(stem, label) in embedded, (unit, label)
    participant_tables = {
        label
        for label in qs.notebook_labels(NOTEBOOKS / "deltakere.ipynb")
        if re.fullmatch(r"tbl-5-\d+", label)
    }
    assert participant_tables
    for label in participant_tables:
        assert embed_label("deltakere-lengre-varighet-alle", label) in embedded, label
    assert "tbl-laeringspunkter" in embedded


def test_midtveisnotat_has_a_since_date_shown_in_text_and_marks_preliminary_findings(registry):
    text = _text(ROOT / "reports" / "midtveisnotat.qmd")
    meta = yaml.safe_load(qs.front_matter(text))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["siden"]))
    assert "{{< meta siden >}}" in text
    callouts = re.findall(r"::: \{\.callout-note\}\n## Foreløpig\n", text)
    assert len(callouts) == len(registry.trial_units())
    # every preliminary result table sits inside a "Foreløpig" callout
    for block in re.split(r"\n::: \{\.callout-note\}\n", text)[1:]:
        assert block.startswith("## Foreløpig")
    outside = re.sub(r"::: \{\.callout-note\}.*?\n:::\n", "", text, flags=re.S)
    assert "#tbl-indikatorer" not in outside


def test_laeringskapittel_embeds_computed_matrices_and_model_comparisons(registry):
    text = _text(ROOT / "reports" / "laeringskapittel.qmd")
    embedded = {(e.stem, e.label) for e in qs.embeds(text)}
    for label in (
        "tbl-laeringspunkter",
        "fig-laeringspunkter",
        "tbl-drivere-barrierer",
        "fig-drivere-barrierer",
        "tbl-trofasthet-resultater",
        "fig-trofasthet-resultater",
    ):
        assert ("laering", label) in embedded, label
    # same model in two counties, and trial county vs mother county
    two_counties = [
        m
        for m in qs.models_with_trials(registry)
        if len({t.unit for t in registry.trials.values() if t.model == m}) > 1
        and registry.models[m].mother_unit
    ]
    assert "veiledningstelefonen" in two_counties
    assert ("modell-veiledningstelefonen", "tbl-modell-trofasthet-veiledningstelefonen") in embedded
    assert ("modell-moteplassen", "tbl-modell-forsok-moteplassen") in embedded
    # the matrices come from data: no typed table rows in the .qmd
    assert not re.search(r"^\s*\|.*\|\s*$", text, flags=re.M)


# --------------------------------------------------------------------------- notebooks


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(path):
    problems = []
    for opts in qs.figure_cells(path):
        name = opts.get("label") or opts.get("title") or "(unlabelled)"
        if not opts.get("fig-alt"):
            problems.append(f"{name}: no fig-alt")
        if opts.get("label", "").startswith("fig-") and not opts.get("fig-cap"):
            problems.append(f"{name}: no fig-cap")
    assert not problems, f"{path.name}: " + ", ".join(problems)


def test_figure_cells_are_found():
    """The alt-text check sees labelled and unlabelled figure cells."""
    fylke = [o.get("label") for o in qs.figure_cells(NOTEBOOKS / "fylke.ipynb")]
    assert "fig-trakt" in fylke and "fig-resultatkjede" in fylke
    dash = qs.figure_cells(NOTEBOOKS / "dashbord-fylke.ipynb")
    assert dash and all(not o.get("label") for o in dash)


@pytest.mark.parametrize("name", ["dashbord-fylke", "dashbord-modell"])
def test_dashboard_notebooks_are_quarto_dashboards(name):
    import nbformat

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "raw"
    meta = yaml.safe_load(first.source.strip().strip("-"))
    assert "dashboard" in (meta["format"] if isinstance(meta["format"], dict) else [meta["format"]])
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    wanted = {"dashbord-fylke": "unit", "dashbord-modell": "model"}[name]
    for var in (wanted, "data_dir", "min_count"):
        assert re.search(rf"^{var} = ", params[0].source, flags=re.M), var
    boxes = [
        qs.cell_options(c.source)
        for c in nb.cells
        if c.cell_type == "code" and qs.cell_options(c.source).get("content") == "valuebox"
    ]
    assert len(boxes) >= 3 and all(b.get("title") for b in boxes)
    for cell in nb.cells:  # thin: library calls only
        if cell.cell_type == "code":
            code = [ln for ln in cell.source.splitlines() if ln and not ln.startswith("#")]
            assert len(code) <= 3, cell.source


# --------------------------------------------------------------------------- _quarto.yml


@pytest.fixture(scope="module")
def quarto_yml():
    """``_quarto.yml`` merged with its metadata files (the generated menus), as Quarto reads it."""
    return qs.site_config(ROOT)


def test_quarto_yml_has_the_required_keys(quarto_yml):
    project = quarto_yml["project"]
    assert project["type"] == "website"
    assert project["output-dir"] == "_site"
    assert project["render"] == ["index.qmd", "reports/*.qmd", "dashboards/*.ipynb"]
    assert quarto_yml["lang"] == "nb"
    assert (ROOT / quarto_yml["bibliography"]).is_file()
    assert quarto_yml["notebook-links"] is False
    assert quarto_yml["metadata-files"] == [f"{GENERATED_DIR.as_posix()}/navbar.yml"]
    assert quarto_yml["utkast"] is True
    assert yaml.safe_load(_text(ROOT / "_quarto-endelig.yml")) == {"utkast": False}
    formats = quarto_yml["format"]
    # HTML and Word by default; PDF (needs TeX) only in the `pdf` profile, rendered on request.
    assert set(formats) == {"html", "docx"}
    pdf_profile = yaml.safe_load(_text(ROOT / "_quarto-pdf.yml"))
    assert set(pdf_profile["format"]) == {"pdf"}
    theme = formats["html"]["theme"]
    assert any((ROOT / t).is_file() for t in theme if t.endswith(".scss"))


def _navbar_items(quarto_yml):
    for item in quarto_yml["website"]["navbar"]["left"]:
        yield item
        yield from item.get("menu", [])


def test_navbar_links_reports_dashboards_and_every_unit_and_model(quarto_yml, registry):
    hrefs = {i["href"]: i.get("text") for i in _navbar_items(quarto_yml) if "href" in i}
    for doc in REPORTS:
        assert f"reports/{doc.name}" in hrefs
    assert "index.qmd#dashbord" in hrefs
    dashboards = {Path(h).stem: t for h, t in hrefs.items() if h.startswith("dashboards/")}
    assert set(dashboards) == qs.dashboard_stems(registry)
    for unit in registry.trial_units():
        assert dashboards[f"dashbord-fylke-{unit}"] == registry.units[unit].name
    for model in qs.models_with_trials(registry):
        assert dashboards[f"dashbord-modell-{model}"] == registry.models[model].name
    for href in hrefs:
        if not href.startswith("dashboards/"):
            assert (ROOT / href.split("#")[0]).is_file(), href


def test_index_is_html_only_and_links_reports_and_dashboards(registry):
    text = _text(ROOT / "index.qmd")
    assert yaml.safe_load(qs.front_matter(text))["format"] == "html"
    links = set(re.findall(r"\]\(([^)#]+)\)", text))
    assert {f"reports/{d.name}" for d in REPORTS} <= links
    assert {Path(x).stem for x in links if x.startswith("dashboards/")} == qs.dashboard_stems(
        registry
    )
    assert "{#dashbord}" in text


def test_every_text_belongs_to_a_unit_or_model_with_a_trial(registry):
    """A text in reports/tekst/ is included only when its unit or model has a trial; a stray
    or misspelt file name would silently be left out of the reports."""
    wanted = {f"statusrapport/{m}-modell.md" for m in report_models(registry)}
    for unit in report_units(registry):
        wanted |= {
            f"statusrapport/{unit}-implementering.md",
            f"statusrapport/{unit}-resultater.md",
            f"midtveisnotat/{unit}-status.md",
            f"midtveisnotat/{unit}-forelopig.md",
        }
    present = {p.relative_to(ROOT / TEXT_DIR).as_posix() for p in (ROOT / TEXT_DIR).rglob("*.md")}
    assert present <= wanted, sorted(present - wanted)


def test_every_unit_and_model_of_the_demo_has_its_texts(assembled):
    assert assembled.missing_texts == []


def test_per_unit_sections_keep_their_ids(registry):
    status = set(qs.section_ids(_text(ROOT / "reports" / "statusrapport.qmd")))
    midterm = set(qs.section_ids(_text(ROOT / "reports" / "midtveisnotat.qmd")))
    for unit in report_units(registry):
        short = unit.removeprefix("nav-")
        assert {f"sec-impl-{short}", f"sec-res-{short}"} <= status, unit
        assert f"sec-mn-{short}" in midterm, unit
    for model in report_models(registry):
        assert f"sec-modell-{model}" in status, model
    assert {"sec-mn-oslo", "sec-impl-more-og-romsdal", "sec-res-innlandet"} <= status | midterm


def test_reports_include_the_generated_parts_instead_of_per_unit_text():
    """No unit's prose or embeds are typed into the .qmd files any more."""
    for doc in ("statusrapport.qmd", "midtveisnotat.qmd"):
        raw = (ROOT / "reports" / doc).read_text(encoding="utf-8")
        assert "{{< include ../_generert/" in raw
        assert "fylke-nav-" not in raw and "midtveis-nav-" not in raw, doc
    index = (ROOT / "index.qmd").read_text(encoding="utf-8")
    assert "dashbord-fylke-nav-" not in index


def test_citations_are_in_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", _text(ROOT / "references.bib"), flags=re.M))
    for doc in REPORTS:
        for key in re.findall(r"\[@([\w-]+)\]", _text(doc)):
            assert key in keys, (doc.name, key)


# --------------------------------------------------------------------------- Quarto


@pytest.fixture(scope="module")
def quarto_project(tmp_path_factory):
    """The demo batch and a real `coopstats render` in a copy of the project (Quarto only).

    Runs the demo batch (about 30 s on two cores) and the real render (about 30-50 s). Skips
    when ``quarto`` is not on PATH (CI installs the offline kit first).
    """
    quarto = shutil.which("quarto")
    if not quarto:
        pytest.skip("quarto is not on PATH")
    tmp_path = tmp_path_factory.mktemp("quarto")
    import papermill as pm

    from coopstats.batch import build_run_matrix, run_batch

    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "_build", "_site", ".quarto", "dashboards", "tests", "benchmarks"
        ),
    )
    run_batch(build_run_matrix(project, DEMO), progress=False)
    out = project / "_build" / "notebooks"
    if not (out / "laering.ipynb").exists():
        pm.execute_notebook(
            str(project / "notebooks" / "laering.ipynb"),
            str(out / "laering.ipynb"),
            parameters={"data_dir": str(DEMO)},
            cwd=str(project / "notebooks"),
            progress_bar=False,
        )
    registry = load_registry()
    for stem in qs.dashboard_stems(registry):
        if (out / f"{stem}.ipynb").exists():
            continue
        kind, _, key = stem.removeprefix("dashbord-").partition("-")
        pm.execute_notebook(
            str(project / "notebooks" / f"dashbord-{kind}.ipynb"),
            str(out / f"{stem}.ipynb"),
            parameters={"unit" if kind == "fylke" else "model": key, "data_dir": str(DEMO)},
            cwd=str(project / "notebooks"),
            progress_bar=False,
        )
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from coopstats.render import render; print(render(Path(sys.argv[1]), "
         "quarto=sys.argv[2]))", str(project), quarto],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return project, done.stdout + done.stderr


@pytest.mark.quarto
def test_quarto_renders_the_project(quarto_project):
    """With Quarto installed: reports in HTML and Word, every dashboard, no unresolved ?@."""
    project, output = quarto_project
    message = output
    assert "Rendret alle sidene" in message
    assert "Unable to resolve crossref" not in output, output[-3000:]
    site = project / "_site"
    assert (site / "index.html").is_file()
    for doc in REPORTS:
        page = (site / "reports" / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        assert "?@" not in page, f"unresolved cross-reference in {doc.name}"
        docx = site / "reports" / doc.with_suffix(".docx").name
        assert docx.is_file() and docx.stat().st_size > 10_000, docx.name
        assert not (site / "reports" / doc.with_suffix(".pdf").name).exists()  # PDF on request
    for stem in qs.dashboard_stems(load_registry()):
        assert (site / "dashboards" / f"{stem}.html").is_file()
    # a second render with nothing changed calls Quarto no more
    from coopstats.render import render

    assert "Ingenting er endret" in render(project, quarto=shutil.which("quarto"))


@pytest.mark.quarto
def test_quarto_site_has_no_serious_accessibility_violations(quarto_project):
    """Every rendered page in headless Chromium with axe-core, WCAG 2.1 A/AA, 1280 and 390 px:
    no serious or critical violation (skips without Chromium or the Node modules)."""
    from browser_support import axe_violations, browser_tools

    if browser_tools() is None:
        pytest.skip("chromium or axe-core not installed")
    site = quarto_project[0] / "_site"
    pages = sorted(
        str(p.relative_to(site)) for p in site.rglob("*.html") if "site_libs" not in p.parts
    )
    assert "index.html" in pages and len(pages) >= 4 + len(qs.dashboard_stems(load_registry()))
    found = axe_violations(site, pages)
    assert found == {}, found


def _html_captions(page: str) -> list[str]:
    """Numbered table and figure captions of a Quarto HTML page ("Tabell 3: …")."""
    import html as html_mod

    text = html_mod.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\xa0", " ")
    text = re.sub(r"\s+", " ", text)
    return sorted(set(re.findall(r"((?:Tabell|Figur) \d+(?:\.\d+)*):", text)))


def _docx_text(document) -> str:
    """All text of a Word document, table cells and tables nested in cells included."""
    parts = [p.text for p in document.paragraphs]

    def cells(tables) -> None:
        for t in tables:
            for row in t.rows:
                for c in row.cells:
                    parts.append(c.text)
                    cells(c.tables)

    cells(document.tables)
    return re.sub(r"\s+", " ", " ".join(parts).replace("\xa0", " "))


@pytest.mark.quarto
def test_word_reports_carry_every_table_and_figure_with_its_caption(quarto_project):
    """python-docx: every numbered table and figure of a report's HTML is in its Word file
    with the same caption number, and the Word file has as many tables as the HTML."""
    docx = pytest.importorskip("docx")
    site = quarto_project[0] / "_site" / "reports"
    checked = 0
    for doc in REPORTS:
        page = (site / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        wanted = _html_captions(page)
        document = docx.Document(str(site / doc.with_suffix(".docx").name))
        paragraphs = _docx_text(document)
        missing = [c for c in wanted if c not in paragraphs]
        assert not missing, (doc.name, missing)
        checked += len(wanted)
        # every data table of the HTML is a real table in Word (Quarto nests it in the
        # caption's layout table; the post-render step unwraps that, test below)
        n_html = len(re.findall(r'<table[^>]*class="[^"]*coopstats-table', page))

        def count(tables) -> int:
            return sum(
                1 + sum(count(c.tables) for row in t.rows for c in row.cells) for t in tables
            )

        assert count(document.tables) >= n_html > 0 or n_html == 0, doc.name
    assert checked > 10  # the reports do number their tables and figures


@pytest.mark.quarto
def test_rendered_reports_have_a_clean_outline(quarto_project):
    """Headings come from the reports, numbered by Quarto: no skipped level, and no section
    number written by hand (or brought in by an embedded output) after Quarto's own."""
    project, _ = quarto_project
    heading = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S)
    number = re.compile(r'<span class="header-section-number">[^<]*</span>')
    for doc in REPORTS:
        page = (project / "_site" / "reports" / doc.with_suffix(".html").name).read_text(
            encoding="utf-8"
        )
        main = page.split('<main class="content"', 1)[-1].split("</main>", 1)[0]
        levels, problems = [], []
        for m in heading.finditer(main):
            text = re.sub(r"<[^>]+>", "", number.sub("", m.group(2))).strip()
            if "title" in m.group(0)[:60] or not text:
                continue
            level = int(m.group(1))
            if levels and level > levels[-1] + 1:
                problems.append(f"{doc.name}: h{levels[-1]} -> h{level} at «{text}»")
            if re.match(r"\d+(\.\d+)+\s", text):
                problems.append(f"{doc.name}: hand-written number in «{text}»")
            levels.append(level)
        assert levels, doc.name
        assert not problems, "\n".join(problems)


@pytest.mark.quarto
def test_word_reports_use_built_in_heading_styles_without_skipped_levels(quarto_project):
    """python-docx: the report's sections are Word headings (built-in «Heading N» styles, so
    Word's navigation pane and table of contents work), as many as the HTML has, with no
    skipped level and no number written into the heading text."""
    docx = pytest.importorskip("docx")
    site = quarto_project[0] / "_site" / "reports"
    for doc in REPORTS:
        document = docx.Document(str(site / doc.with_suffix(".docx").name))
        levels, problems = [], []
        for paragraph in document.paragraphs:
            name = paragraph.style.name if paragraph.style is not None else ""
            m = re.fullmatch(r"Heading (\d)", name)
            if not m or not paragraph.text.strip():
                continue
            level = int(m.group(1))
            if levels and level > levels[-1] + 1:
                problems.append(f"Heading {levels[-1]} -> {level} at «{paragraph.text}»")
            # Quarto writes its own section number into the Word heading («4.1 …»); a second
            # number after it was written by hand or came from an embedded output
            text = re.sub(r"^\d+(\.\d+)*\s+", "", paragraph.text.strip())
            if re.match(r"\d+(\.\d+)+\s", text):
                problems.append(f"hand-written number in «{paragraph.text}»")
            levels.append(level)
        page = (site / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        main = page.split('<main class="content"', 1)[-1].split("</main>", 1)[0]
        sections = len(re.findall(r'<section id="[^"]+" class="level\d', main))
        assert len(levels) >= sections > 0, (doc.name, len(levels), sections)
        assert not problems, (doc.name, problems)


#: Slack for rounding, in twips (1/20 pt) and EMU, when comparing widths with the text width.
_TWIPS_SLACK = 5


def _xml_name(el) -> str:
    from lxml import etree

    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _word_neighbour(block, step: str):
    """The block before (``step="getprevious"``) or after a table, skipping bookmarks."""
    node = getattr(block, step)()
    while node is not None and _xml_name(node) in {"bookmarkStart", "bookmarkEnd"}:
        node = getattr(node, step)()
    return node


def _caption_seq(p) -> tuple[str, str] | None:
    """(SEQ label, number as shown) of a Word caption paragraph, else None."""
    from coopstats import word

    if p is None or _xml_name(p) != "p" or word.paragraph_style(p) != word.CAPTION_STYLE:
        return None
    found = word.caption_label(p)
    fields = word.seq_fields(p)
    if found is None or len(fields) != 1 or fields[0][0].split()[1] != found[0]:
        return None
    if fields[0][1] != found[1].rpartition(".")[2]:
        return None  # the cached result is not the number Quarto wrote
    return found


@pytest.mark.quarto
def test_word_reports_are_working_documents(quarto_project):
    """python-docx and lxml: the post-render step (styles/word_postrender.py, coopstats.word)
    made each Word report a working document. No table is nested (Quarto's layout tables and
    callout tables are gone); every table stands under a caption in Word's «Caption» style
    whose number is a ``SEQ Tabell`` field (a figure whose content is a table: over a ``SEQ
    Figur`` caption); every figure caption has ``SEQ Figur``; the captions are the HTML's;
    every table's first row repeats on each page; tables and images fit the text width of
    their section; every section, landscape ones too, has the reference document's page (A4,
    2.5 cm margins, page numbers), and its styles are there («Oppdragsgiver»)."""
    docx = pytest.importorskip("docx")
    from docx.shared import Cm, Mm

    from coopstats import word

    site = quarto_project[0] / "_site" / "reports"
    for doc in REPORTS:
        name = doc.name
        document = docx.Document(str(site / doc.with_suffix(".docx").name))
        body = document.element.body
        assert word.nested_tables(body) == [], name
        for section in document.sections:  # landscape sections for wide tables too
            assert abs(min(section.page_width, section.page_height) - Mm(210)) < Mm(1), name
            assert abs(section.left_margin - Cm(2.5)) < Mm(1), name
            assert not section.footer.is_linked_to_previous, name  # its own page numbers
        widths = word.block_text_widths(body)
        assert "Oppdragsgiver" in [s.name for s in document.styles], name
        assert document.styles["Caption"].style_id == word.CAPTION_STYLE

        captions = [p for p in body.iter(word.w("p")) if word.caption_label(p)]
        numbered = [_caption_seq(p) for p in captions]
        assert None not in numbered, (name, [word.paragraph_text(p) for p in captions])
        page = (site / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        shown = sorted({f"{label} {number}" for label, number in numbered})
        assert shown == _html_captions(page), name

        tables = [b for b in body if _xml_name(b) == "tbl"]
        assert tables, name
        problems = []
        for i, tbl in enumerate(tables, 1):
            text_width = widths[tbl]
            above = _caption_seq(_word_neighbour(tbl, "getprevious"))
            below = _caption_seq(_word_neighbour(tbl, "getnext"))
            if not (above and above[0] == "Tabell") and not (below and below[0] == "Figur"):
                problems.append(f"table {i}: no «Tabell» caption above (nor «Figur» below)")
            if not word.is_header_row(tbl.find("w:tr", word.NS)):
                problems.append(f"table {i}: first row does not repeat")
            if sum(word.grid_widths(tbl)) > text_width + _TWIPS_SLACK:
                problems.append(f"table {i}: {sum(word.grid_widths(tbl))} > {text_width}")
            width = tbl.find("w:tblPr/w:tblW", word.NS)
            if width is None or (width.get(word.w("type")), width.get(word.w("w"))) != (
                "pct",
                "5000",
            ):
                problems.append(f"table {i}: not as wide as the text block")
        for block, text_width in widths.items():
            for extent in block.iter(f"{{{word.WP_NS}}}extent"):
                if int(extent.get("cx")) > (text_width + _TWIPS_SLACK) * word.EMU_PER_TWIP:
                    problems.append(f"image {extent.get('cx')} EMU wider than the text")
        assert not problems, (name, problems)
        assert {label for label, _ in numbered} == {"Tabell", "Figur"}, name


def _wide_tables(page: str) -> int:
    """Tables of a rendered HTML report too wide for a portrait page (coopstats.tables)."""
    return len(re.findall(r'<table[^>]*class="[^"]*coopstats-wide', page))


@pytest.mark.quarto
def test_word_reports_keep_table_notes_and_turn_pages_for_wide_tables(quarto_project):
    """styles/tabeller.lua: the notes under every table (population, source, «..» explained)
    are in Word too, in the «Tabellnote» style, as many as in the HTML; a table too wide for a
    portrait page stands in a landscape section of its own."""
    docx = pytest.importorskip("docx")
    from docx.enum.section import WD_ORIENT

    site = quarto_project[0] / "_site" / "reports"
    turned_somewhere = False
    for doc in REPORTS:
        page = (site / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        document = docx.Document(str(site / doc.with_suffix(".docx").name))
        notes = [p for p in document.paragraphs if p.style.name == "Tabellnote"]
        n_html = len(re.findall(r'<p class="coopstats-table-notes">', page))
        assert len(notes) == n_html > 0, (doc.name, len(notes), n_html)
        assert any(p.text.startswith("Kilde:") or "Kilde:" in p.text for p in notes), doc.name
        landscape = [s for s in document.sections if s.orientation == WD_ORIENT.LANDSCAPE]
        assert len(landscape) == _wide_tables(page), doc.name
        turned_somewhere |= bool(landscape)
    assert turned_somewhere  # the demo's learning chapter has wide matrices


@pytest.fixture(scope="module")
def quarto_pdf(quarto_project):
    """The three reports rendered to PDF in the rendered project copy, with the LaTeX logs
    kept (skips without TeX; CI installs Debian's TeX packages, docs/publishing.md)."""
    from pdf_support import tex_available

    if not tex_available():
        pytest.skip("no TeX (lualatex) for Quarto's PDF")
    project, _ = quarto_project
    quarto = shutil.which("quarto")
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    logs = {}
    for doc in REPORTS:
        done = subprocess.run(
            [quarto, "render", f"reports/{doc.name}", "--profile", "pdf", "--to", "pdf",
             "-M", "latex-clean:false"],
            cwd=project, capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        log = project / "reports" / doc.with_suffix(".log").name
        logs[doc.name] = log.read_text(encoding="utf-8", errors="replace")
    return project, logs


@pytest.mark.quarto
def test_pdf_reports_have_no_overfull_lines_and_nothing_leaves_the_text_block(quarto_pdf):
    """The LaTeX log has no overfull box more than 3 pt too wide or high, and on every page
    (turned pages as they are read) every word, rule and image lies inside the text block: no
    table or figure runs off the page or into its foot."""
    from pdf_support import outside_text_block, overfull_boxes

    project, logs = quarto_pdf
    problems = {}
    for doc in REPORTS:
        found = overfull_boxes(logs[doc.name])
        found += outside_text_block(project / "_site" / "reports" / doc.with_suffix(".pdf").name)
        if found:
            problems[doc.name] = found[:10]
    assert not problems, problems


_MONTHS = "januar februar mars april mai juni juli august september oktober november desember"
_NORWEGIAN_DATE = r"\b\d{1,2}\. (" + "|".join(_MONTHS.split()) + r") \d{4}\b"


@pytest.mark.quarto
def test_pdf_reports_are_publications(quarto_pdf, registry):
    """A title page with the report's title, subtitle, authors, date («2. desember 2026») and
    commissioning body; the table of contents next; page numbers; Norwegian (catalog /Lang nb,
    bokmål hyphenation patterns loaded); the references; the same table and figure numbers as
    the HTML; and wide tables on landscape pages."""
    from pdf_support import pdf_language, pdf_text, turned_pages

    project, logs = quarto_pdf
    site = project / "_site" / "reports"
    body = yaml.safe_load((ROOT / "reports" / "_metadata.yml").read_text(encoding="utf-8"))
    for doc in REPORTS:
        pdf = site / doc.with_suffix(".pdf").name
        front = yaml.safe_load(doc.read_text(encoding="utf-8").split("---")[1])
        pages = pdf_text(pdf)
        title = re.sub(r"\s+", " ", pages[0])
        for wanted in (front["title"], front["subtitle"], front["author"]):
            assert wanted in title, (doc.name, wanted)
        assert f"På oppdrag for {body['oppdragsgiver']}" in title, doc.name
        assert re.search(_NORWEGIAN_DATE, title), doc.name
        assert "Innholdsfortegnelse" in pages[1], doc.name
        # page numbers at the foot of the text pages: the last line of each is the number
        numbers = [p.strip().splitlines()[-1].strip() for p in pages[2:] if p.strip()]
        assert sum(n.isdigit() for n in numbers) >= len(numbers) - 1, (doc.name, numbers)
        assert pdf_language(pdf) == "nb", doc.name
        assert "Norwegian Bokmal hyphenation patterns" in logs[doc.name], doc.name
        text = re.sub(r"\s+", " ", " ".join(pages))
        if "[@" in qs.document_text(doc):  # a report that cites has its references
            assert "Referanser" in text and "ideas2evidence" in text, doc.name
        html = (site / doc.with_suffix(".html").name).read_text(encoding="utf-8")
        shown = sorted(set(re.findall(r"((?:Tabell|Figur) \d+(?:\.\d+)*):", text)))
        assert shown == _html_captions(html), doc.name
        assert turned_pages(pdf) >= _wide_tables(html), doc.name
