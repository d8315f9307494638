"""Adding a unit with a trial: the registry entry (and optionally a text) is all it takes.

Does what a researcher does (issue #12): in a temporary copy of the project, with a copy of the
registry named by ``COOPSTATS_REGISTRY_DIR``, add NAV Rogaland with a trial of Møteplassen and
one text file, then assemble the generated parts (:mod:`coopstats.assemble`): the unit's
sections and embeds are in the reports, the menus and the index list it, and the parts without
a text show «Tekst mangler». The ``quarto`` test runs the batch and ``coopstats render`` for that
project and checks the rendered pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coopstats import assemble as asm
from coopstats import quarto_sources as qs
from coopstats.registry import REGISTRY_DIR_ENV, load_registry

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
REGISTRY_DATA = ROOT / "src" / "coopstats" / "registry_data"
IMPLEMENTATION_TEXT = """\
### Implementering og lokale tilpasninger

Rogaland prøver ut Møteplassen i Stavanger-regionen (@tbl-forsok-nav-rogaland,
@tbl-tilpasninger-nav-rogaland). ROGALAND-TEKST.
"""


def _add_rogaland(registry_dir: Path) -> None:
    """NAV Rogaland (linked to Rogaland fylkeskommune) with a running trial of Møteplassen."""
    units_path, trials_path = registry_dir / "units.yaml", registry_dir / "trials.yaml"
    units = yaml.safe_load(units_path.read_text(encoding="utf-8"))
    units["units"].append(
        {
            "id": "nav-rogaland",
            "name": "NAV Rogaland",
            "kind": "nav_fylkesenhet",
            "aliases": ["Nav Rogaland"],
            "provenance": {"source": "public", "lines": ""},
        }
    )
    units["nav_county_map"].append(
        {
            "nav_unit": "nav-rogaland",
            "county_unit": "fk-rogaland",
            "valid_from": "2020-01-01",
            "provenance": {"source": "public", "lines": ""},
        }
    )
    units_path.write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    trials = yaml.safe_load(trials_path.read_text(encoding="utf-8"))
    trials["trials"].append(
        {
            "id": "moteplassen-rogaland",
            "model": "moteplassen",
            "unit": "nav-rogaland",
            "period_start": "2025-09-01",
            "period_end": "2027-06-30",
            "period_precision": {"start": "month", "end": "month"},
            "status": "running",
            "provenance": {"source": "public", "lines": ""},
        }
    )
    trials_path.write_text(yaml.safe_dump(trials, allow_unicode=True), encoding="utf-8")


def _copy_project(target: Path, *, full: bool) -> Path:
    if full:
        shutil.copytree(
            ROOT,
            target,
            ignore=shutil.ignore_patterns(
                ".venv", ".git", "_build", "_site", ".quarto", "dashboards", "tests",
                "benchmarks", "_generert", "_site.utdatert",
            ),
        )  # fmt: skip
    else:
        target.mkdir()
        for name in ("_quarto.yml", "_quarto-endelig.yml", "index.qmd"):
            shutil.copy(ROOT / name, target / name)
        shutil.copytree(ROOT / "reports", target / "reports")
    return target


@pytest.fixture
def rogaland(tmp_path, monkeypatch):
    """A copy of the project and its registry with NAV Rogaland added; one text written."""
    registry_dir = tmp_path / "registry"
    shutil.copytree(REGISTRY_DATA, registry_dir)
    _add_rogaland(registry_dir)
    monkeypatch.setenv(REGISTRY_DIR_ENV, str(registry_dir))
    project = _copy_project(tmp_path / "project", full=False)
    text = project / asm.text_file("statusrapport", "nav-rogaland", "implementering")
    text.write_text(IMPLEMENTATION_TEXT, encoding="utf-8")
    return project


def test_a_new_unit_gets_its_sections_menus_and_index_entries(rogaland):
    registry = load_registry()
    assert "nav-rogaland" in registry.trial_units()
    done = asm.assemble(rogaland)
    assert {p.name for p in done.files} == set(asm.PARTS)

    status = qs.document_text(rogaland / "reports" / "statusrapport.qmd")
    midterm = qs.document_text(rogaland / "reports" / "midtveisnotat.qmd")
    index = qs.document_text(rogaland / "index.qmd")

    # sections with stable ids, after the existing units
    assert {"sec-impl-rogaland", "sec-res-rogaland"} <= set(qs.section_ids(status))
    assert "sec-mn-rogaland" in qs.section_ids(midterm)
    assert "## Rogaland {#sec-impl-rogaland}" in status
    assert "# Rogaland {#sec-mn-rogaland}" in midterm
    # the embeds the other units have, plus the funnel (Møteplassen measures one)
    status_embeds = {(e.stem, e.label) for e in qs.embeds(status)}
    for label in ("tbl-forsok", "tbl-tilpasninger", "tbl-indikatorer", "fig-trakt"):
        assert ("fylke-nav-rogaland", f"{label}-nav-rogaland") in status_embeds, label
    midterm_embeds = {(e.stem, e.label) for e in qs.embeds(midterm)}
    assert ("midtveis-nav-rogaland", "tbl-hendelser-nav-rogaland") in midterm_embeds
    assert ("midtveis-nav-rogaland", "tbl-indikatorer-nav-rogaland") in midterm_embeds
    assert ("fylke-nav-rogaland", "tbl-forsok-nav-rogaland") in midterm_embeds
    # one «Foreløpig» callout per unit, the new one included
    callouts = re.findall(r"::: \{\.callout-note\}\n## Foreløpig\n", midterm)
    assert len(callouts) == len(registry.trial_units()) == 7

    # the researcher's text is included where the section is; the others say it is missing
    assert "ROGALAND-TEKST" in status
    impl = status.split("{#sec-impl-rogaland}")[1].split("\n## ")[0]
    assert "ROGALAND-TEKST" in impl and asm.MISSING_TITLE not in impl
    res = status.split("{#sec-res-rogaland}")[1].split("\n## ")[0]
    assert asm.MISSING_TITLE in res
    assert "reports/tekst/statusrapport/nav-rogaland-resultater.md" in res
    mn = midterm.split("{#sec-mn-rogaland}")[1].split("\n# ")[0]
    assert mn.count(asm.MISSING_TITLE) == 2  # status text and the «Foreløpig» text
    assert 'when-meta="utkast"' in mn  # shown in drafts only
    missing = {p.as_posix() for p in done.missing_texts}
    assert missing == {
        "reports/tekst/statusrapport/nav-rogaland-resultater.md",
        "reports/tekst/midtveisnotat/nav-rogaland-status.md",
        "reports/tekst/midtveisnotat/nav-rogaland-forelopig.md",
    }

    # every cross-reference of the new text resolves, no id is duplicated
    for text in (status, midterm):
        targets = {e.label for e in qs.embeds(text)} | set(qs.section_ids(text))
        assert all(label in targets for _, label in qs.cross_references(text))
        ids = qs.element_ids(text)
        assert len(ids) == len(set(ids))

    # the navbar menu and the index list the dashboard
    config = qs.site_config(rogaland)
    fylker = next(i for i in config["website"]["navbar"]["left"] if i.get("text") == "Fylker")
    entry = {"href": "dashboards/dashbord-fylke-nav-rogaland.ipynb", "text": "NAV Rogaland"}
    assert entry in fylker["menu"]
    assert "[NAV Rogaland](dashboards/dashbord-fylke-nav-rogaland.ipynb)" in index
    # the static menu items stay first
    assert config["website"]["navbar"]["left"][0]["text"] == "Forside"


def test_assemble_rewrites_only_what_changed_and_follows_the_registry(rogaland, monkeypatch):
    first = asm.assemble(rogaland)
    assert len(first.changed) == len(first.files)
    assert asm.assemble(rogaland).changed == []
    # writing the missing text changes exactly the part that includes it
    text = rogaland / asm.text_file("statusrapport", "nav-rogaland", "resultater")
    text.write_text("### Resultater\n\nFørste resultater.\n", encoding="utf-8")
    changed = asm.assemble(rogaland).changed
    assert [p.name for p in changed] == ["statusrapport-resultater.qmd"]
    # back to the packaged registry: Rogaland disappears from every part
    monkeypatch.delenv(REGISTRY_DIR_ENV)
    asm.assemble(rogaland)
    for path in (rogaland / asm.GENERATED_DIR).iterdir():
        assert "rogaland" not in path.read_text(encoding="utf-8"), path.name


def test_expand_includes_resolves_like_quarto(tmp_path):
    (tmp_path / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    (tmp_path / "reports" / "_del").mkdir(parents=True)
    (tmp_path / "reports" / "tekst.md").write_text("relativ\n", encoding="utf-8")
    (tmp_path / "reports" / "_del" / "a.qmd").write_text(
        "{{< include tekst.md >}}\n\n{{< include /reports/tekst.md >}}\n", encoding="utf-8"
    )
    doc = tmp_path / "reports" / "r.qmd"
    doc.write_text("# R\n\n{{< include _del/a.qmd >}}\n", encoding="utf-8")
    # nested includes resolve against the document, "/" against the project root
    assert qs.document_text(doc) == "# R\n\nrelativ\n\nrelativ\n"
    doc.write_text("{{< include mangler.md >}}\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        qs.document_text(doc)


# --------------------------------------------------------------------------- Quarto


@pytest.mark.quarto
def test_quarto_renders_the_new_unit(tmp_path, monkeypatch):
    """Batch and `coopstats render` for the project with NAV Rogaland (about 1.5-2.5 min)."""
    quarto = shutil.which("quarto")
    if not quarto:
        pytest.skip("quarto is not on PATH")
    registry_dir = tmp_path / "registry"
    shutil.copytree(REGISTRY_DATA, registry_dir)
    _add_rogaland(registry_dir)
    monkeypatch.setenv(REGISTRY_DIR_ENV, str(registry_dir))
    project = _copy_project(tmp_path / "project", full=True)
    (project / asm.text_file("statusrapport", "nav-rogaland", "implementering")).write_text(
        IMPLEMENTATION_TEXT, encoding="utf-8"
    )
    from coopstats.batch import build_run_matrix, run_batch

    run_batch(build_run_matrix(project, DEMO), progress=False)
    out = project / "_build" / "notebooks"
    for stem in ("fylke-nav-rogaland", "midtveis-nav-rogaland", "dashbord-fylke-nav-rogaland"):
        assert (out / f"{stem}.ipynb").is_file(), stem
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from coopstats.render import render; print(render(Path(sys.argv[1]), "
         "quarto=sys.argv[2]))", str(project), quarto],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Unable to resolve crossref" not in done.stdout + done.stderr
    site = project / "_site"
    status = (site / "reports" / "statusrapport.html").read_text(encoding="utf-8")
    assert 'id="sec-impl-rogaland"' in status and 'id="sec-res-rogaland"' in status
    assert "ROGALAND-TEKST" in status
    assert "Tekst mangler" in status  # drafts show the placeholder
    assert "?@" not in status
    assert 'id="tbl-indikatorer-nav-rogaland"' in status
    midterm = (site / "reports" / "midtveisnotat.html").read_text(encoding="utf-8")
    assert 'id="sec-mn-rogaland"' in midterm and "?@" not in midterm
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "dashbord-fylke-nav-rogaland.html" in index  # navbar menu and dashboard list
    assert index.count("dashbord-fylke-nav-rogaland.html") >= 2
    assert (site / "dashboards" / "dashbord-fylke-nav-rogaland.html").is_file()
