"""Word post-processing (coopstats.word) on small documents built like Quarto's, the
committed reference document, and the post-render script. No Quarto needed (one test that
regenerates the reference document runs only with Quarto).

The fixtures imitate what Quarto 1.11 writes: a 1×1 layout table around each captioned table
or figure (bookmark, caption paragraph with two ``w:pPr``, the real table or the image), cells
whose ``w:pPr`` has two ``w:jc`` (the column's, then the layout cell's «center»), and callouts
as two-row tables without a ``w:tblGrid``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from coopstats import word
from coopstats.word import NS, w

docx = pytest.importorskip("docx")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "styles" / "word_postrender.py"

NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
)
A4 = (
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1417" w:right="1417" '
    'w:bottom="1417" w:left="1417" w:header="709" w:footer="709" w:gutter="0"/></w:sectPr>'
)
A4_TEXT = 11906 - 2 * 1417
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def caption(text: str) -> str:
    """A caption paragraph as Quarto's layout writes it (two pPr, the second its own)."""
    return (
        '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:pPr><w:jc w:val="left"/>'
        '<w:spacing w:before="200"/><w:pStyle w:val="ImageCaption"/></w:pPr>'
        f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
    )


def cell(text: str, align: str = "left") -> str:
    return (
        f'<w:tc><w:tcPr/><w:p><w:pPr><w:pStyle w:val="Compact"/><w:jc w:val="{align}"/>'
        f'<w:jc w:val="center"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>'
    )


def data_table(header: bool = True, widths: tuple[int, ...] = (1000, 3000)) -> str:
    """An inner (data) table: Pandoc's, with grid widths for Quarto's 5.5-inch page."""
    grid = "".join(f'<w:gridCol w:w="{x}"/>' for x in widths)
    head_pr = '<w:trPr><w:tblHeader w:val="on"/></w:trPr>' if header else ""
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="Table"/><w:tblW w:type="pct" w:w="5000"/>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:firstRow="1" w:lastRow="0" '
        'w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="0" w:val="0020"/>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
        f"<w:tr>{head_pr}{cell('Fylke')}{cell('Antall', 'right')}</w:tr>"
        f"<w:tr>{cell('Oslo')}{cell('12', 'right')}</w:tr>"
        f"<w:tr>{cell('Vestland')}{cell('7', 'right')}</w:tr></w:tbl>"
    )


def layout(bookmark_id: int, name: str, *content: str, after: str = "") -> str:
    """Quarto's 1×1 layout table around a float (``after``: what follows the bookmark's end in
    the cell, for a table the empty paragraph a cell must end with)."""
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="Table"/><w:tblW w:type="pct" w:w="5000"/>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:firstRow="0" w:lastRow="0" '
        'w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="0" w:val="0000"/>'
        '</w:tblPr><w:tblGrid><w:gridCol w:w="7920"/></w:tblGrid><w:tr><w:tc><w:tcPr/>'
        f'<w:bookmarkStart w:id="{bookmark_id}" w:name="{name}"/>{"".join(content)}'
        f'<w:bookmarkEnd w:id="{bookmark_id}"/>{after}</w:tc></w:tr></w:tbl>'
    )


def image(cx: int, cy: int) -> str:
    return (
        '<w:p><w:pPr><w:pStyle w:val="Compact"/><w:jc w:val="center"/></w:pPr><w:r><w:drawing>'
        f'<wp:inline><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="1" name="Picture"/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic><pic:nvPicPr><pic:cNvPr id="2" name="Picture"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:embed="rId99"/></pic:blipFill><pic:spPr><a:xfrm>'
        f'<a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm></pic:spPr></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )


def callout(title: str, *content: str) -> str:
    """A Quarto callout (default appearance): two rows, no tblGrid."""
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="Table"/><w:tblBorders>'
        '<w:top w:val="single" w:sz="4" w:space="0" w:color="0072B2"/>'
        '<w:left w:val="single" w:sz="24" w:space="0" w:color="0072B2"/>'
        '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="0072B2"/>'
        '<w:right w:val="single" w:sz="4" w:space="0" w:color="0072B2"/></w:tblBorders>'
        "</w:tblPr><w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr>"
        '<w:shd w:color="auto" w:fill="dae6fb" w:val="clear"/></w:tcPr>'
        '<w:p><w:pPr><w:pStyle w:val="BodyText"/></w:pPr><w:pPr><w:spacing w:before="0" '
        f'w:after="0"/></w:pPr><w:r><w:t>{title}</w:t></w:r></w:p></w:tc></w:tr>'
        "<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr/>"
        f"{''.join(content)}<w:p/></w:tc></w:tr></w:tbl>"
    )


def paragraph(text: str, anchor: str | None = None) -> str:
    link = (
        f'<w:hyperlink w:anchor="{anchor}"><w:r><w:t>tabell 1</w:t></w:r></w:hyperlink>'
        if anchor
        else ""
    )
    return (
        '<w:p><w:pPr><w:pStyle w:val="BodyText"/></w:pPr>'
        f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>{link}</w:p>'
    )


def make_docx(path: Path, body: str, sect: str = A4) -> Path:
    """A Word file (python-docx's template) whose document part has ``body``."""
    docx.Document().save(str(path))
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document {NAMESPACES}><w:body>'
    xml += body + sect + "</w:body></w:document>"
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    parts[word.DOCUMENT_PART] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    return path


def body_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(word.DOCUMENT_PART)).find("w:body", NS)


CAPTIONS = [
    "Tabell\u00a01: Deltakere per fylke",
    "Figur\u00a01: Andel",
    "Tabell\u00a02: Uten avsluttende avsnitt",
]


def report_body() -> str:
    """Text with a cross-reference, a captioned table, a figure with a too-wide image, and a
    captioned table directly followed by a table without a caption."""
    return (
        paragraph("Se ", anchor="tbl-fylker")
        + layout(
            1,
            "tbl-fylker",
            caption("Tabell\u00a01: Deltakere per fylke"),
            data_table(),
            after="<w:p/>",
        )
        + layout(2, "fig-andel", image(8_000_000, 4_000_000), caption("Figur\u00a01: Andel"))
        # a table as the cell's last block (no empty paragraph), followed by another table
        + layout(3, "tbl-uten-tom", caption(CAPTIONS[2]), data_table(header=False))
        + data_table()
        + paragraph("Slutt.")
    )


@pytest.fixture
def report(tmp_path) -> Path:
    return make_docx(tmp_path / "rapport.docx", report_body())


def _local(el) -> str:
    return etree.QName(el).localname


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- structure


def test_layout_tables_are_unwrapped_and_bookmarks_kept(report):
    before = body_of(report)
    assert len(word.nested_tables(before)) == 2  # the fixture is nested like Quarto's
    counts = word.postprocess(report)
    body = body_of(report)
    assert counts["layout_tables_unwrapped"] == 3
    assert word.nested_tables(body) == []
    assert [_local(c) for c in body].count("tbl") == 3
    names = {b.get(w("name")) for b in body.iter(w("bookmarkStart"))}
    assert names == {"tbl-fylker", "fig-andel", "tbl-uten-tom"}
    anchors = {h.get(w("anchor")) for h in body.iter(w("hyperlink"))}
    assert anchors <= names
    starts = sorted(b.get(w("id")) for b in body.iter(w("bookmarkStart")))
    assert starts == sorted(b.get(w("id")) for b in body.iter(w("bookmarkEnd")))
    # the bookmark still encloses its caption and table
    start = next(b for b in body.iter(w("bookmarkStart")) if b.get(w("name")) == "tbl-fylker")
    following = [_local(x) for x in start.itersiblings()][:3]
    assert following == ["p", "tbl", "bookmarkEnd"]


def test_the_text_reads_as_before(report):
    before = docx.Document(str(report))
    in_cells = [p.text for t in before.tables for p in t.rows[0].cells[0].paragraphs]
    assert [t for t in in_cells if t.startswith(("Tabell", "Figur"))] == CAPTIONS
    before_all = "".join(t.text or "" for t in body_of(report).iter(w("t")))
    word.postprocess(report)
    after = [p.text for p in docx.Document(str(report)).paragraphs]
    assert "".join(t.text or "" for t in body_of(report).iter(w("t"))) == before_all
    # the captions are body paragraphs now and read exactly as before (python-docx includes
    # the field's result, a run, in the text)
    assert [t for t in after if t] == ["Se tabell 1", *CAPTIONS, "Slutt."]


def test_captions_become_word_captions_with_seq_fields(report):
    word.postprocess(report)
    body = body_of(report)
    captions = [p for p in body.iter(w("p")) if word.paragraph_style(p) == word.CAPTION_STYLE]
    assert [word.paragraph_text(p) for p in captions] == CAPTIONS
    for p in captions:
        assert len(p.findall("w:pPr", NS)) == 1
        label, number = word.caption_label(p)
        assert word.seq_fields(p) == [(f"SEQ {label} \\* ARABIC", number)]
        assert p.find("w:pPr/w:jc", NS) is None  # alignment from the style
    table_caption, figure_caption = captions[0], captions[1]
    # a table caption keeps with its table; a figure's image keeps with its caption below
    assert table_caption.find("w:pPr/w:keepNext", NS) is not None
    assert _local(table_caption.getnext()) == "tbl"
    assert figure_caption.find("w:pPr/w:keepNext", NS) is None
    image_p = figure_caption.getprevious()
    assert image_p.find(".//w:drawing", NS) is not None
    assert image_p.find("w:pPr/w:keepNext", NS) is not None
    # python-docx sees Word's caption style
    styled = [p.text for p in docx.Document(str(report)).paragraphs if p.style.name == "Caption"]
    assert styled == CAPTIONS


def test_chapter_numbers_keep_the_chapter_and_count_within_it(tmp_path):
    path = make_docx(
        tmp_path / "kapittel.docx",
        layout(
            1, "tbl-a", caption("Tabell\u00a02.3: Med kapittelnummer"), data_table(), after="<w:p/>"
        ),
    )
    word.postprocess(path)
    p = next(p for p in body_of(path).iter(w("p")) if word.caption_label(p))
    assert word.paragraph_text(p) == "Tabell\u00a02.3: Med kapittelnummer"
    assert word.seq_fields(p) == [("SEQ Tabell \\* ARABIC \\s 1", "3")]


def test_a_figure_that_is_a_table_keeps_its_last_row_with_the_caption(tmp_path):
    """A figure cell whose output is a table (a «no data» note) has its caption below."""
    path = make_docx(
        tmp_path / "merknad.docx",
        layout(1, "fig-tom", data_table(), caption("Figur\u00a03: Ingen data")) + paragraph("."),
    )
    word.postprocess(path)
    tbl = next(c for c in body_of(path) if _local(c) == "tbl")
    last, *_ = reversed(tbl.findall("w:tr", NS))
    assert all(p.find("w:pPr/w:keepNext", NS) is not None for p in last.iter(w("p")))
    first = tbl.find("w:tr", NS)
    assert all(p.find("w:pPr/w:keepNext", NS) is None for p in first.iter(w("p")))
    p = next(p for p in body_of(path).iter(w("p")) if word.caption_label(p))
    assert word.seq_fields(p) == [("SEQ Figur \\* ARABIC", "3")]


def test_a_caption_split_over_runs_is_styled_but_not_numbered(tmp_path):
    split = (
        '<w:p><w:pPr><w:pStyle w:val="ImageCaption"/></w:pPr><w:r><w:t>Tabell\u00a01</w:t>'
        "</w:r><w:r><w:t>2: Delt</w:t></w:r></w:p>"
    )
    path = make_docx(tmp_path / "delt.docx", split + data_table())
    counts = word.postprocess(path)
    p = next(iter(body_of(path).iter(w("p"))))
    assert counts["captions"] == 1 and counts["caption_fields_added"] == 0
    assert word.paragraph_style(p) == "Caption" and word.seq_fields(p) == []
    assert word.paragraph_text(p) == "Tabell\u00a012: Delt"


def test_tables_repeat_their_header_and_fill_the_text_width(report):
    word.postprocess(report)
    body = body_of(report)
    tables = [c for c in body if _local(c) == "tbl"]
    assert len(tables) == 3
    for tbl in tables:
        rows = tbl.findall("w:tr", NS)
        assert word.is_header_row(rows[0])
        assert not any(word.is_header_row(r) for r in rows[1:])
        width = tbl.find("w:tblPr/w:tblW", NS)
        assert (width.get(w("type")), width.get(w("w"))) == ("pct", "5000")
        assert tbl.find("w:tblPr/w:tblLayout", NS).get(w("type")) == "fixed"
        grid = word.grid_widths(tbl)
        assert sum(grid) == A4_TEXT
        assert grid[1] == pytest.approx(3 * grid[0], abs=2)  # proportions kept
        for row in rows:
            cells = [int(c.get(w("w"))) for c in row.iterfind("w:tc/w:tcPr/w:tcW", NS)]
            assert cells == grid


def test_cell_paragraphs_keep_the_columns_own_alignment_once(report):
    word.postprocess(report)
    tbl = next(c for c in body_of(report) if _local(c) == "tbl")
    alignments = []
    for p in tbl.iter(w("p")):
        jcs = p.findall("w:pPr/w:jc", NS)
        assert len(jcs) == 1
        alignments.append(jcs[0].get(w("val")))
    # the column's alignment (as in the HTML), not the layout cell's «center»
    assert alignments == ["left", "right"] * 3


def test_every_paragraph_has_one_valid_ppr_in_schema_order(report):
    word.postprocess(report)
    rank = {name: i for i, name in enumerate(word.PPR_ORDER)}
    for p in body_of(report).iter(w("p")):
        props = p.findall("w:pPr", NS)
        assert len(props) <= 1
        if props:
            assert p.index(props[0]) == 0
            names = [_local(c) for c in props[0]]
            assert len(names) == len(set(names)), names
            assert names == sorted(names, key=rank.__getitem__), names


def test_wide_images_are_scaled_down_proportionally(report):
    counts = word.postprocess(report)
    assert counts["images_scaled"] == 1
    inline = next(body_of(report).iter(f"{{{word.WP_NS}}}inline"))
    extent = inline.find("wp:extent", NS)
    cx, cy = int(extent.get("cx")), int(extent.get("cy"))
    assert cx == A4_TEXT * word.EMU_PER_TWIP
    assert cy / cx == pytest.approx(4_000_000 / 8_000_000, rel=1e-4)
    ext = inline.find(".//a:xfrm/a:ext", NS)
    assert (int(ext.get("cx")), int(ext.get("cy"))) == (cx, cy)


def test_a_narrow_image_is_left_alone(tmp_path):
    path = make_docx(tmp_path / "smal.docx", image(1_000_000, 500_000))
    assert word.postprocess(path)["images_scaled"] == 0
    extent = next(body_of(path).iter(f"{{{word.WP_NS}}}extent"))
    assert (extent.get("cx"), extent.get("cy")) == ("1000000", "500000")


def test_tables_that_follow_each_other_are_kept_apart(report):
    counts = word.postprocess(report)
    assert counts["table_separators_added"] == 1
    for tbl in body_of(report).iter(w("tbl")):
        nxt = tbl.getnext()
        while nxt is not None and _local(nxt) in {"bookmarkStart", "bookmarkEnd"}:
            nxt = nxt.getnext()
        assert nxt is None or _local(nxt) != "tbl"


def test_callouts_become_bordered_paragraphs_and_their_tables_top_level(tmp_path):
    body = callout(
        "Foreløpig",
        paragraph("Tallene er foreløpige."),
        layout(
            5,
            "tbl-indikatorer",
            caption("Tabell\u00a01: Indikatorer"),
            data_table(),
            after="<w:p/>",
        ),
    )
    path = make_docx(tmp_path / "merknad.docx", body)
    assert len(word.nested_tables(body_of(path))) == 2  # layout in callout, table in layout
    counts = word.postprocess(path)
    result = body_of(path)
    assert counts["callouts_flattened"] == 1 and counts["layout_tables_unwrapped"] == 1
    assert word.nested_tables(result) == []
    title, text = list(result.iterfind("w:p", NS))[:2]
    assert word.paragraph_text(title) == "Foreløpig"
    assert title.find("w:pPr/w:shd", NS).get(w("fill")) == "dae6fb"
    assert title.find("w:pPr/w:keepNext", NS) is not None
    for p in (title, text):
        left = p.find("w:pPr/w:pBdr/w:left", NS)
        assert (left.get(w("sz")), left.get(w("color"))) == ("24", "0072B2")
    # the same borders on both, so Word draws one box
    assert etree.tostring(title.find("w:pPr/w:pBdr", NS)) == etree.tostring(
        text.find("w:pPr/w:pBdr", NS)
    )
    tbl = next(c for c in result if _local(c) == "tbl")
    assert word.is_header_row(tbl.find("w:tr", NS))
    assert sum(word.grid_widths(tbl)) == A4_TEXT


def test_a_section_break_that_ends_a_callout_is_kept(tmp_path):
    """A paragraph ending a section looks empty; flattening a callout must not drop it as
    the cell's closing paragraph (Word would lose a landscape page)."""
    turned = '<w:pgSz w:h="11906" w:w="16838" w:orient="landscape"/>'
    body = callout(
        "Foreløpig",
        paragraph("Tallene er foreløpige."),
        f"<w:p><w:pPr><w:sectPr>{turned}</w:sectPr></w:pPr></w:p>",
    )
    path = make_docx(tmp_path / "merknad-seksjon.docx", body)
    word.postprocess(path)
    sections = list(body_of(path).iterfind("w:p/w:pPr/w:sectPr", NS))
    assert [s.find("w:pgSz", NS).get(w("orient")) for s in sections] == ["landscape"]


def test_text_width_comes_from_each_section(tmp_path):
    letter = (
        '<w:sectPr><w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" '
        'w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>'
    )
    first = f"<w:p><w:pPr>{letter}</w:pPr><w:r><w:t>Slutt på seksjon 1</w:t></w:r></w:p>"
    body = data_table() + first + data_table()
    path = make_docx(tmp_path / "seksjoner.docx", body)
    word.postprocess(path)
    tables = [c for c in body_of(path) if _local(c) == "tbl"]
    assert [sum(word.grid_widths(t)) for t in tables] == [12240 - 2 * 1440, A4_TEXT]
    # no page size at all: the house page's text width
    assert word.section_text_width(None) == word.DEFAULT_TEXT_WIDTH == A4_TEXT
    bare = etree.fromstring(f"<w:sectPr {NAMESPACES}/>")
    assert word.section_text_width(bare) == word.DEFAULT_TEXT_WIDTH


def test_header_row_is_marked_when_the_table_says_it_has_one(tmp_path):
    path = make_docx(tmp_path / "hode.docx", data_table(header=False))
    word.postprocess(path)
    rows = next(c for c in body_of(path) if _local(c) == "tbl").findall("w:tr", NS)
    assert [word.is_header_row(r) for r in rows] == [True, False, False]


def test_sections_get_the_documents_page_setup(tmp_path):
    """Quarto's landscape div: an empty sectPr ends the portrait part, one with only the
    turned page size ends the landscape part; both get the main section's margins and footer,
    and a table in the landscape part is as wide as the landscape text block."""
    main = A4.replace("<w:sectPr>", '<w:sectPr><w:footerReference w:type="default" r:id="rId9"/>')
    turned = '<w:pgSz w:h="11906" w:w="16838" w:orient="landscape"/>'
    body = (
        paragraph("Før.")
        + "<w:p><w:pPr><w:sectPr></w:sectPr></w:pPr></w:p>"
        + layout(1, "tbl-bred", caption("Tabell\u00a01: Bred"), data_table(widths=(3000, 3000)),
                 after="<w:p/>")
        + f"<w:p><w:pPr><w:sectPr>{turned}</w:sectPr></w:pPr></w:p>"
        + layout(2, "tbl-smal", caption("Tabell\u00a02: Smal"), data_table(), after="<w:p/>")
    )  # fmt: skip
    path = make_docx(tmp_path / "liggende.docx", body, sect=main)
    counts = word.postprocess(path)
    result = body_of(path)
    assert counts["sections_completed"] == 2
    sections = list(result.iterfind("w:p/w:pPr/w:sectPr", NS))
    assert len(sections) == 2
    for sect, size in zip(sections, [("11906", None), ("16838", "landscape")], strict=True):
        pgsz = sect.find("w:pgSz", NS)
        assert (pgsz.get(w("w")), pgsz.get(w("orient"))) == size
        assert sect.find("w:pgMar", NS).get(w("left")) == "1417"
        assert sect.find("w:footerReference", NS).get(f"{{{RELS}}}id") == "rId9"
        assert [_local(c) for c in sect] == ["footerReference", "pgSz", "pgMar"]
    tables = [b for b in result if _local(b) == "tbl"]
    assert [sum(word.grid_widths(t)) for t in tables] == [16838 - 2 * 1417, A4_TEXT]
    assert word.postprocess(path)["written"] == 0


# --------------------------------------------------------------------------- file handling


def test_postprocess_is_idempotent(report):
    first = word.postprocess(report)
    assert first["written"] == 1
    digest, mtime = _digest(report), report.stat().st_mtime_ns
    second = word.postprocess(report)
    assert second["written"] == 0
    assert second["layout_tables_unwrapped"] == second["caption_fields_added"] == 0
    assert second["images_scaled"] == second["callouts_flattened"] == 0
    assert second["paragraph_properties_fixed"] == second["tables_changed"] == 0
    assert second["captions"] == first["captions"] == 3
    assert _digest(report) == digest and report.stat().st_mtime_ns == mtime


def test_a_failure_while_writing_leaves_the_original_intact(report, monkeypatch):
    digest = _digest(report)

    def broken(source, target, replace):
        Path(target).write_bytes(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(word, "_write_package", broken)
    with pytest.raises(OSError, match="disk full"):
        word.postprocess(report)
    assert _digest(report) == digest
    assert sorted(p.name for p in report.parent.iterdir()) == ["rapport.docx"]


def test_other_parts_of_the_package_are_copied_unchanged(report):
    with zipfile.ZipFile(report) as package:
        before = {i.filename: package.read(i.filename) for i in package.infolist()}
    word.postprocess(report)
    with zipfile.ZipFile(report) as package:
        after = {i.filename: package.read(i.filename) for i in package.infolist()}
    assert list(after) == list(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [word.DOCUMENT_PART, word.SETTINGS_PART]
    docx.Document(str(report))  # still opens


def test_automatic_hyphenation_is_turned_on_in_schema_order(report):
    """The column widths count on long words being hyphenated, so Word's automatic
    hyphenation is on, after ``w:defaultTabStop`` and before what follows it."""
    word.postprocess(report)
    with zipfile.ZipFile(report) as package:
        settings = etree.fromstring(package.read(word.SETTINGS_PART))
    names = [_local(c) for c in settings]
    assert names.count("autoHyphenation") == 1
    at = names.index("autoHyphenation")
    if "defaultTabStop" in names:
        assert names.index("defaultTabStop") < at
    if "characterSpacingControl" in names:
        assert at < names.index("characterSpacingControl")
    assert word.postprocess(report)["written"] == 0  # once only


# --------------------------------------------------------------------------- post-render script


def _run_script(project: Path, outputs: list[str], *python_args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTO_")}
    env.update(QUARTO_PROJECT_DIR=str(project), QUARTO_PROJECT_OUTPUT_FILES="\n".join(outputs))
    return subprocess.run(
        [sys.executable, *python_args, str(SCRIPT)],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_post_render_script_processes_the_rendered_word_files_only(tmp_path):
    site = tmp_path / "_site" / "reports"
    site.mkdir(parents=True)
    rendered = make_docx(site / "a.docx", report_body())
    other = make_docx(site / "b.docx", report_body())
    (site / "a.html").write_text("<p>html</p>", encoding="utf-8")
    untouched = _digest(other)
    done = _run_script(tmp_path, ["_site/reports/a.html", "_site/reports/a.docx"])
    assert done.returncode == 0, done.stderr
    assert "_site/reports/a.docx: 3 tabeller/figurer pakket ut" in done.stderr
    assert word.nested_tables(body_of(rendered)) == []
    assert _digest(other) == untouched  # a partial render lists only its own files


def test_post_render_script_warns_and_exits_0_without_coopstats(tmp_path):
    site = tmp_path / "_site"
    site.mkdir()
    path = make_docx(site / "a.docx", report_body())
    digest = _digest(path)
    # -S: no site-packages, so neither coopstats nor lxml can be imported
    done = _run_script(tmp_path, ["_site/a.docx"], "-S", "-E")
    assert done.returncode == 0
    assert "pip install -e ." in done.stderr and "QUARTO_PYTHON" in done.stderr
    assert _digest(path) == digest


# --------------------------------------------------------------------------- reference doc


@pytest.fixture(scope="module")
def reference():
    return docx.Document(str(ROOT / word.REFERENCE_DOC))


def test_reference_doc_has_the_house_styles(reference):
    from docx.enum.style import WD_STYLE_TYPE

    styles = reference.styles
    for name in ("Caption", "Oppdragsgiver", "Tabellnote", "Heading 1", "Heading 2", "Heading 3"):
        assert styles[name].type == WD_STYLE_TYPE.PARAGRAPH, name
    # the notes under a table in small type (styles/tabeller.lua)
    assert styles["Tabellnote"].font.size.pt <= 9  # body text is 11 pt
    assert styles["Table"].type == WD_STYLE_TYPE.TABLE
    assert styles["Caption"].style_id == "Caption"
    for name in ("Table Caption", "Image Caption"):
        assert styles[name].base_style.style_id == "Caption"
    assert styles["Table Caption"].paragraph_format.keep_with_next
    assert str(styles["Heading 1"].font.color.rgb) == word.BLUE
    assert styles["Oppdragsgiver"].font.color.rgb is not None
    header = styles["Table"].element.find("w:tblStylePr[@w:type='firstRow']", NS)
    assert header.find("w:rPr/w:b", NS) is not None
    assert header.find("w:tcPr/w:shd", NS).get(w("fill")) == word.HEADER_FILL
    borders = styles["Table"].element.find("w:tblPr/w:tblBorders", NS)
    assert {_local(b) for b in borders} == {"top", "bottom", "insideH"}


def test_reference_doc_is_a4_with_margins_and_page_numbers(reference):
    from docx.shared import Cm, Mm

    section = reference.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5)
    assert abs(section.page_height - Mm(297)) < Mm(0.5)
    for side in ("left", "right", "top", "bottom"):
        assert abs(getattr(section, f"{side}_margin") - Cm(2.5)) < Mm(0.5), side
    footer = section.footer
    assert not footer.is_linked_to_previous
    instructions = [t.text.strip() for p in footer.paragraphs for t in p._p.iter(w("instrText"))]
    assert instructions == ["PAGE"]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert round(text_width / 635) == word.DEFAULT_TEXT_WIDTH


def test_reference_doc_regenerates_to_the_committed_file(tmp_path):
    """With Quarto: `python -m coopstats.word reference-doc` from this Quarto's Pandoc gives
    the committed file byte for byte (so the committed one is current)."""
    quarto = shutil.which("quarto")
    if not quarto:
        pytest.skip("quarto is not on PATH")
    out = tmp_path / "ref.docx"
    assert word.main(["reference-doc", "--quarto", quarto, "--out", str(out)]) == 0
    assert out.read_bytes() == (ROOT / word.REFERENCE_DOC).read_bytes()
