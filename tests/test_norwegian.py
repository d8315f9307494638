"""Everything a reader sees is Norwegian, free of internal jargon, and cites real documents.

A small build (one run of each kind of page) is executed into a temporary directory and
rendered with the nbconvert fallback. The reader-facing text of the executed notebooks
(markdown cells and the ``text/html`` and ``text/markdown`` outputs, including alt text) and of
the fallback pages is then scanned:

* for English sentences, by counting common English function words per sentence;
* for internal jargon a reader cannot look up: source ids (``seed-000``), file names of the
  registry and definitions, parameter names, line numbers (``L3580``).

The hand-written prose of the reports and the landing page gets the same checks without a
build, and :mod:`coopstats.sources` is checked against ``references.bib``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coopstats import sources
from coopstats.registry import SOURCES

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"

#: One run of every kind of page (unit with and without a funnel, model, participants,
#: learning chapter, dashboards).
RUNS = [
    "fylke-nav-oslo",
    "fylke-nav-innlandet",
    "modell-lengre-varighet",
    "modell-moteplassen",
    "deltakere-lengre-varighet-alle",
    "laering",
    "dashbord-fylke-nav-oslo",
    "dashbord-modell-moteplassen",
]

#: Common English function words that are not (common) Norwegian words. Left out on purpose:
#: "for", "at", "by", "be", "over", "i", "man", "under", "dag" and the like.
ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "with",
        "is",
        "are",
        "from",
        "which",
        "this",
        "that",
        "not",
        "to",
        "an",
        "it",
        "its",
        "was",
        "were",
        "has",
        "have",
        "or",
        "each",
        "when",
        "these",
        "those",
        "should",
        "must",
        "only",
        "been",
        "their",
        "there",
        "than",
        "into",
        "between",
        "whose",
    ]
)
#: A sentence with this many English function words (counting repeats) is English.
ENGLISH_LIMIT = 3

#: Internal jargon: source ids, file names, parameter names, line numbers.
JARGON = re.compile(
    r"seed[- ]0\d\d|seed[- ]00\d|registry_data|min_count|reproduce_published|docs/"
    r"|\.ya?ml\b|\.csv\b|\.ipynb\b|coopstats[-.]|\bL\d{3,}|\blinje \d|tolkning C\d",
    re.IGNORECASE,
)

_WORD = re.compile(r"[A-Za-zÆØÅæøå']+")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


class _Text(HTMLParser):
    """Reader-visible text of an HTML page or fragment: text nodes outside script and style,
    plus ``alt``, ``aria-label`` and ``title`` attributes; one chunk per block."""

    _SKIP = {"script", "style", "head", "noscript", "template"}
    _ATTRS = ("alt", "aria-label", "title")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0
        self._buf: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.chunks.append(text)
        self._buf = []

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        self._flush()
        for key, value in attrs:
            if key in self._ATTRS and value:
                self.chunks.append(" ".join(value.split()))

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1
        self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._buf.append(data)

    def close(self):
        super().close()
        self._flush()


def html_chunks(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.chunks


def markdown_chunks(text: str) -> list[str]:
    """Prose of a markdown text: no code blocks, shortcodes, HTML comments or link targets."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\{\{<.*?>\}\}", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets are not read
    text = re.sub(r"\{[#.][^}]*\}", " ", text)  # attributes and ids
    text = re.sub(r"@(?:fig|tbl|sec)-[\w-]+", "", text)
    chunks = []
    for para in re.split(r"\n\s*\n", text):
        if para.lstrip().startswith(":::"):
            continue
        chunks.extend(html_chunks(para) if "<" in para else [" ".join(para.split())])
    return [c for c in chunks if c]


def notebook_chunks(path: Path) -> list[str]:
    """Reader-facing text of an executed notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    chunks: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            chunks += markdown_chunks("".join(cell["source"]))
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for kind, read in (("text/html", html_chunks), ("text/markdown", markdown_chunks)):
                if kind in data:
                    value = data[kind]
                    chunks += read("".join(value) if isinstance(value, list) else value)
    return chunks


def english_sentences(chunks: list[str]) -> list[str]:
    """Sentences with at least :data:`ENGLISH_LIMIT` English function words."""
    found = []
    for chunk in chunks:
        for sentence in _SENTENCE.split(chunk):
            words = [w.lower().strip("'") for w in _WORD.findall(sentence)]
            if sum(w in ENGLISH for w in words) >= ENGLISH_LIMIT:
                found.append(sentence)
    return found


def jargon(chunks: list[str]) -> list[str]:
    return [c for c in chunks if JARGON.search(c)]


def _front_matter_removed(text: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)


# --------------------------------------------------------------------------- the detectors


def test_detectors_catch_english_and_jargon_and_pass_norwegian():
    english = "Mindre/større: evaluators' grading of the deviation from the core element."
    assert english_sentences([english])
    norwegian = (
        "Mindre tilpasning = elementet er beholdt med lokale justeringer; større tilpasning = "
        "elementet er byttet ut eller endret vesentlig. Tallene er for 2023 og gjelder alle."
    )
    assert not english_sentences([norwegian])
    for text in (
        "seed-000, linje 503–505",
        "Kilde: coopstats-registeret (registry_data/trials.yaml)",
        "celler med færre enn `min_count` personer",
        "Med `reproduce_published = True`",
        "er beskrevet i `docs/participants.md`",
        "Tilsvarer tabell 5.1 i delrapport 1, L3580–3590.",
        "(tolkning C1)",
    ):
        assert jargon([text]), text
    assert not jargon(["Kilde: ideas2evidence (2024): Delrapport 1, avsnitt 6.1"])


def test_html_text_keeps_alt_text_and_drops_scripts():
    chunks = html_chunks(
        '<p>Hei</p><script>var the = "of the and from";</script>'
        '<img alt="Stolper for hvert trinn"><style>p {}</style>'
    )
    assert chunks == ["Hei", "Stolper for hvert trinn"]


# --------------------------------------------------------------------------- sources


def _bib_entries() -> dict[str, dict[str, str]]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    entries = {}
    for m in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", text, flags=re.S):
        fields = dict(re.findall(r"(\w+)\s*=\s*\{(.*?)\},?\n", m.group(2) + "\n"))
        entries[m.group(1).strip()] = fields
    return entries


def test_every_source_id_maps_to_a_bib_entry_with_the_same_title_and_year():
    bib = _bib_entries()
    for source in SOURCES:
        if source == "public":
            assert sources.cite(source) == "offentlig tilgjengelig informasjon"
            continue
        ref = sources.REFERENCES[source]
        assert ref.key in bib, (source, ref.key)
        entry = bib[ref.key]
        assert entry["year"] == ref.year, source
        assert entry["title"].replace("{", "").replace("}", "") == ref.title, source


def test_citations_name_document_and_section_not_ids_or_lines():
    assert (
        sources.cite("seed-003", "3580-3590") == "ideas2evidence (2024): Delrapport 1, avsnitt 6.1"
    )
    assert sources.cite("seed-000", "503-505") == (
        "ideas2evidence og Proba samfunnsanalyse (2026): Første statusrapport, avsnitt 2.2"
    )
    assert sources.cite("seed-000", "1733-1735, 1467-1484").endswith("avsnitt 5.1 og 4.3")
    assert sources.cite("seed-001", "284-558").endswith("Rapport 17/2022, kapittel 3")
    assert sources.cite("seed-002", "12").startswith(
        "NAV Nordland og Nordland fylkeskommune (2023)"
    )
    assert "Evaluering av forsøk" in sources.cite("seed-003", "512", full=True)
    assert sources.cite("seed-003", "512-522", inline=True) == (
        "ideas2evidence 2024, Delrapport 1, avsnitt 1.4"
    )
    for source in SOURCES:
        text = sources.cite(source, "" if source == "public" else "100-120")
        assert not jargon([text]), text


def test_provenance_is_machine_readable_in_the_html_but_never_visible_text():
    import html
    import json
    import re
    from html.parser import HTMLParser

    from coopstats import fylke, modell

    demo = ROOT / "data" / "demo"
    page = modell.load_page("veiledningstelefonen", demo)
    unit = fylke.load_page("nav-ost-viken", demo)
    for table, expected in (
        (modell.core_elements(page), [e.provenance for e in page.model.core_elements]),
        (fylke.adaptations(unit), [a.provenance for t in unit.trials for a in t.adaptations]),
        (fylke.events_table(unit), [e.provenance for t in unit.trials for e in t.events]),
    ):
        markup = table._repr_html_()
        found = re.search(r'data-provenance="([^"]*)"', markup)
        assert found, table.title
        records = json.loads(html.unescape(found.group(1)))
        wanted = []
        for p in expected:
            record = {"source": p.source, "lines": str(p.lines or "")}
            if record not in wanted:
                wanted.append(record)
        assert records == wanted

        class Text(HTMLParser):
            chunks: list[str] = []

            def handle_data(self, data):
                self.chunks.append(data)

        reader = Text()
        reader.chunks = []
        reader.feed(markup)
        assert not jargon(reader.chunks), table.title


# --------------------------------------------------------------------------- hand-written prose


def test_report_prose_is_norwegian_and_free_of_jargon():
    chunks = []
    texts = sorted((ROOT / "reports" / "tekst").rglob("*.md"))
    for path in [ROOT / "index.qmd", *sorted((ROOT / "reports").glob("*.qmd")), *texts]:
        chunks += markdown_chunks(_front_matter_removed(path.read_text(encoding="utf-8")))
    assert chunks
    assert not english_sentences(chunks)
    assert not jargon(chunks)


def test_notebook_markdown_is_norwegian_and_free_of_jargon():
    chunks = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                chunks += markdown_chunks("".join(cell["source"]))
    assert chunks
    assert not english_sentences(chunks)
    assert not [c for c in chunks if "`" in c], "code identifiers in reader text"
    assert not jargon(chunks)


# --------------------------------------------------------------------------- a small build


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from coopstats.batch import build_run_matrix, run_batch

    out = tmp_path_factory.mktemp("nb-build")
    specs = build_run_matrix(ROOT, DEMO, out_dir=out / "notebooks", only=RUNS)
    assert {s.name for s in specs} == set(RUNS)
    results = run_batch(specs, progress=False)
    failed = [(r.spec.name, r.error) for r in results if r.status != "ok"]
    assert not failed, failed
    return out


@pytest.fixture(scope="module")
def site(executed):
    from coopstats.render import render_fallback

    site = executed / "_site"
    render_fallback(executed, site)
    return site


def _notebook_texts(executed: Path) -> dict[str, list[str]]:
    return {p.stem: notebook_chunks(p) for p in sorted((executed / "notebooks").glob("*.ipynb"))}


def _page_texts(site: Path) -> dict[str, list[str]]:
    return {p.name: html_chunks(p.read_text(encoding="utf-8")) for p in sorted(site.glob("*.html"))}


@pytest.mark.e2e
def test_rendered_output_has_no_english_sentences(executed, site):
    found = {}
    for name, chunks in {**_notebook_texts(executed), **_page_texts(site)}.items():
        english = english_sentences(chunks)
        if english:
            found[name] = sorted(set(english))
    assert not found, found


@pytest.mark.e2e
def test_rendered_output_has_no_internal_jargon(executed, site):
    found = {}
    for name, chunks in {**_notebook_texts(executed), **_page_texts(site)}.items():
        hits = jargon(chunks)
        if hits:
            found[name] = sorted({JARGON.search(h).group(0) + " … " + h[:160] for h in hits})
    assert not found, found


@pytest.mark.e2e
def test_sources_under_tables_name_the_delivery_not_demo_text(executed):
    nb = executed / "notebooks" / "fylke-nav-oslo.ipynb"
    text = " ".join(notebook_chunks(nb))
    assert f"datagrunnlag {DEMO.name}" in text
    assert "syntetiske demodata" not in text


def test_unit_without_funnel_says_so_in_the_figure():
    from coopstats import fylke

    page = fylke.load_page("nav-oslo", DEMO)
    fig = fylke.funnel_figure(page)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any("har ikke rapportert en rekrutteringstrakt" in t for t in texts), texts
