"""End to end: the whole run matrix on the demo data, then the fallback pages.

The per-fylke checks look at NAV Oslo (person-level data, one trial) and NAV Innlandet
(reported activity figures, a recruitment funnel): the executed notebooks must be valid, carry
every labelled output, and no count from person-level data may show a value between 1 and 4.
The fallback site must carry every table and figure the Quarto reports embed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from coopstats.batch import build_run_matrix, run_batch
from coopstats.quarto_sources import embeds
from coopstats.render import render_fallback

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
UNITS = ["nav-oslo", "nav-innlandet"]
LABELS = [
    "tbl-forsok",
    "tbl-tilpasninger",
    "fig-resultatkjede",
    "tbl-indikatorer",
    "fig-trakt",
    "tbl-deltakere",
]

pytestmark = pytest.mark.e2e


class _Tables(HTMLParser):
    """Collect the rows of every ``coopstats-table`` in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "coopstats-table" in (dict(attrs).get("class") or ""):
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _output_of(nb, label: str) -> dict:
    for cell in nb.cells:
        if cell.cell_type == "code" and f"#| label: {label}" in cell.source:
            assert cell.outputs, f"{label} has no output"
            return cell.outputs[-1]
    raise AssertionError(f"no cell labelled {label}")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The whole demo run matrix, executed once into a temporary build directory."""
    out = tmp_path_factory.mktemp("build")
    specs = build_run_matrix(ROOT, DEMO, out_dir=out / "notebooks")
    assert {f"fylke-{u}" for u in UNITS} <= {s.name for s in specs}
    results = run_batch(specs, progress=False)
    failed = [(r.spec.name, r.error) for r in results if r.status != "ok"]
    assert not failed, failed
    return out


@pytest.fixture(scope="module")
def site(executed):
    site = executed / "_site"
    render_fallback(executed, site)
    return site


def test_executed_notebooks_are_valid_and_labelled(executed):
    for unit in UNITS:
        nb = nbformat.read(executed / "notebooks" / f"fylke-{unit}.ipynb", as_version=4)
        nbformat.validate(nb)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, errors
        for label in LABELS:
            output = _output_of(nb, label)
            kind = "image/png" if label.startswith("fig-") else "text/html"
            assert kind in output.get("data", {}), (unit, label)


def test_no_small_person_counts_in_person_tables(executed):
    nb = nbformat.read(executed / "notebooks" / "fylke-nav-oslo.ipynb", as_version=4)
    participants = _tables(_output_of(nb, "tbl-deltakere")["data"]["text/html"])[0]
    indicators = _tables(_output_of(nb, "tbl-indikatorer")["data"]["text/html"])[0]
    header, *rows = indicators
    value_col, source_col = header.index("Verdi"), header.index("Kilde")
    person_values = [r[value_col] for r in rows if r[source_col] == "Registerdata"]
    cells = [c for row in participants[1:] for c in row[1:]] + person_values
    assert cells, "expected person-level cells to check"
    assert ":" in cells, "Oslo has small cells, so something must be hidden"
    for cell in cells:
        number = cell.replace("\u00a0", "").replace(" ", "").rstrip("%")
        if number.isdigit() and not cell.endswith("%"):
            assert not 1 <= int(number) <= 4, f"small count {cell!r} published"


def test_fallback_site_links_every_unit_with_chain_and_norwegian_numbers(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for unit in UNITS:
        assert f'href="fylke-{unit}.html"' in index
        page = (site / f"fylke-{unit}.html").read_text(encoding="utf-8")
        assert re.search(r'<img[^>]+alt="Resultatkjeden', page), unit
        assert "Indikatorer for" in page
        assert "def " not in page and "fylke.load_page" not in page, "code must be hidden"
    innlandet = (site / "fylke-nav-innlandet.html").read_text(encoding="utf-8")
    # Thousands are grouped with a no-break space and shares use a decimal comma or " %".
    assert re.search(r"\d\u00a0\d{3}", innlandet), "expected Norwegian thousands grouping"


def test_fallback_pages_carry_every_output_the_reports_embed(site):
    reports = sorted((ROOT / "reports").glob("*.qmd"))
    assert reports
    checked = 0
    for report in reports:
        for embed in embeds(report.read_text(encoding="utf-8")):
            page = site / f"{embed.stem}.html"
            assert page.is_file(), f"{report.name}:{embed.line}: no page for {embed.stem}"
            html = page.read_text(encoding="utf-8")
            assert f'id="{embed.label}"' in html, f"{report.name}:{embed.line}: {embed.label}"
            checked += 1
    assert checked > 20
