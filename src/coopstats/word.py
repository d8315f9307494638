"""Word (.docx) reports as working documents: post-processing of Quarto's docx, and the house
reference document.

Quarto writes each embedded table and figure into a 1×1 *layout* table (bookmark, caption,
content), with captions as plain paragraphs (two ``w:pPr`` elements, which is not valid
OOXML) and table cells whose ``w:pPr`` carries two ``w:jc``. Callouts are tables too, so a
table in a callout is nested. :func:`postprocess` turns that into what a Word user expects:

- the layout tables are unwrapped (the cell's content replaces the table; the bookmarks that
  cross-references point at stay), and callouts become bordered, shaded paragraphs, so no
  table is nested any more (Word repeats header rows only for tables that are not nested);
- every caption («Tabell 3: …», «Figur 2.1: …») gets the built-in style «Caption» and its
  number becomes a ``SEQ Tabell``/``SEQ Figur`` field (cached result: the number Quarto
  wrote), so Word's caption numbering and «Insert Table of Figures» work; the text reads as
  before. Table captions keep with the table below them; a figure's content keeps with the
  caption below it;
- every table: header rows repeat on each page (``w:tblHeader``), width 100 % of the text
  block with a fixed layout and the column widths scaled to the section's text width;
- images wider than the text block are scaled down, keeping their proportions;
- every section (Quarto's landscape sections for wide tables too) gets the page setup and the
  footer of the document's main section where its own says nothing;
- paragraph properties are made valid: one ``w:pPr`` per paragraph, each child once, in the
  schema's order.

:func:`make_reference_doc` writes the reference document (``reference-doc`` in
``_quarto.yml``) with the house style from Pandoc's default one. Quarto runs the
post-processing after every render (``styles/word_postrender.py``, ``project: post-render``),
so ``coopstats render`` and a plain ``quarto render`` give the same Word files. Why a
post-render step and not a Lua filter: ``docs/decisions.md``, «Word output: post-processing
the docx». Regenerate the reference document with ``python -m coopstats.word reference-doc``.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from coopstats.style import GRID_COLOUR, PALETTE, TEXT_COLOUR

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NS = {"w": W_NS, "wp": WP_NS, "a": A_NS}

#: The main part of a Word package.
DOCUMENT_PART = "word/document.xml"
#: The reference document in the project (``format: docx: reference-doc`` in _quarto.yml).
REFERENCE_DOC = Path("reports") / "coopstats-reference.docx"

#: Caption labels Quarto writes for ``lang: nb`` (``crossref`` titles), and their SEQ names.
TABLE_LABEL = "Tabell"
FIGURE_LABEL = "Figur"
#: A caption's start: label, (non-breaking) space, number («3» or, by chapter, «2.1»).
CAPTION_START = re.compile(
    rf"^\s*({TABLE_LABEL}|{FIGURE_LABEL})[ \u00a0](\d+(?:\.\d+)*)(?=$|[:.\s\u00a0])"
)
#: The built-in caption style (styleId), and the caption styles Pandoc and Quarto write.
CAPTION_STYLE = "Caption"
CAPTION_STYLES = frozenset({"Caption", "ImageCaption", "TableCaption"})

#: Twips per centimetre, and EMU (drawing units) per twip.
TWIPS_PER_CM = 1440 / 2.54
EMU_PER_TWIP = 635
#: The house page: A4 with 2.5 cm margins (the reference document). Text width in twips.
A4_TWIPS = (11906, 16838)
MARGIN_TWIPS = round(2.5 * TWIPS_PER_CM)
DEFAULT_TEXT_WIDTH = A4_TWIPS[0] - 2 * MARGIN_TWIPS
#: ``w:tblW`` in fiftieths of a percent: the whole text block.
FULL_WIDTH_PCT = 5000


def _names(text: str) -> list[str]:
    return text.split()


#: Child order of ``w:pPr`` (CT_PPr) and ``w:tblPr`` (CT_TblPr) in the OOXML schema.
PPR_ORDER = _names(
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
)
TBLPR_ORDER = _names(
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription tblPrChange"
)
TCPR_ORDER = _names(
    "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText "
    "vAlign hideMark headers cellIns cellDel cellMerge tcPrChange"
)
SECTPR_ORDER = _names(
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
    "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
    "docGrid printerSettings sectPrChange"
)
#: Elements that may sit between blocks without being one (they take no space).
_MARKERS = frozenset({"bookmarkStart", "bookmarkEnd", "permStart", "permEnd", "proofErr"})


def w(tag: str) -> str:
    """Clark name of a WordprocessingML element or attribute (``w("p")``)."""
    return f"{{{W_NS}}}{tag}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _el(tag: str, **attrs: str) -> etree._Element:
    el = etree.Element(w(tag))
    for key, value in attrs.items():
        el.set(w(key), value)
    return el


# --------------------------------------------------------------------------- readers


def paragraph_text(p: etree._Element) -> str:
    """The text of a paragraph as Word shows it (field results included, instructions not)."""
    return "".join(t.text or "" for t in p.iter(w("t")))


def paragraph_style(p: etree._Element) -> str | None:
    """The styleId of a paragraph (``None``: the default paragraph style)."""
    style = p.find("w:pPr/w:pStyle", NS)
    return style.get(w("val")) if style is not None else None


def caption_label(p: etree._Element) -> tuple[str, str] | None:
    """(Label, number) of a caption paragraph («Tabell», «3»), else ``None``.

    A caption is a paragraph in one of the caption styles whose text starts with a label and
    a number.
    """
    if paragraph_style(p) not in CAPTION_STYLES:
        return None
    m = CAPTION_START.match(paragraph_text(p))
    return (m.group(1), m.group(2)) if m else None


def seq_fields(p: etree._Element) -> list[tuple[str, str]]:
    """(Instruction, cached result) of every ``SEQ`` field in a paragraph.

    Reads complex fields (``w:fldChar`` begin/separate/end with ``w:instrText``) and simple
    ones (``w:fldSimple``).
    """
    found: list[tuple[str, str]] = []
    for simple in p.iter(w("fldSimple")):
        instr = simple.get(w("instr"), "")
        if instr.split()[:1] == ["SEQ"]:
            found.append((instr.strip(), "".join(t.text or "" for t in simple.iter(w("t")))))
    state, instr, result = None, "", ""
    for el in p.iter(w("fldChar"), w("instrText"), w("t")):
        tag = _local(el)
        if tag == "fldChar":
            kind = el.get(w("fldCharType"))
            if kind == "begin":
                state, instr, result = "instr", "", ""
            elif kind == "separate" and state == "instr":
                state = "result"
            elif kind == "end" and state is not None:
                if instr.split()[:1] == ["SEQ"]:
                    found.append((instr.strip(), result))
                state = None
        elif tag == "instrText" and state == "instr":
            instr += el.text or ""
        elif tag == "t" and state == "result":
            result += el.text or ""
    return found


def section_text_width(sect_pr: etree._Element | None) -> int:
    """Text width in twips of a section: page width minus the margins (and gutter).

    Without a page size (Word then uses its own default page), the house page's text width.
    """
    if sect_pr is None:
        return DEFAULT_TEXT_WIDTH
    size = sect_pr.find("w:pgSz", NS)
    margins = sect_pr.find("w:pgMar", NS)
    if size is None or size.get(w("w")) is None:
        return DEFAULT_TEXT_WIDTH
    width = int(size.get(w("w")))
    if margins is not None:
        for side in ("left", "right", "gutter"):
            width -= int(margins.get(w(side), "0") or 0)
    return max(width, 1)


def block_text_widths(body: etree._Element) -> dict[etree._Element, int]:
    """Top-level block of the body -> text width (twips) of the section it belongs to.

    A section ends with a paragraph carrying ``w:sectPr``; the body's own ``w:sectPr`` is the
    last section's.
    """
    widths: dict[etree._Element, int] = {}
    pending: list[etree._Element] = []
    for child in body:
        if _local(child) == "sectPr":
            continue
        pending.append(child)
        inner = child.find("w:pPr/w:sectPr", NS) if _local(child) == "p" else None
        if inner is not None:
            width = section_text_width(inner)
            widths.update(dict.fromkeys(pending, width))
            pending = []
    width = section_text_width(body.find("w:sectPr", NS))
    widths.update(dict.fromkeys(pending, width))
    return widths


def grid_widths(tbl: etree._Element) -> list[int]:
    """The ``w:gridCol`` widths of a table (twips)."""
    return [int(col.get(w("w"), "0") or 0) for col in tbl.findall("w:tblGrid/w:gridCol", NS)]


def is_header_row(tr: etree._Element) -> bool:
    """Whether a table row repeats on each page (``w:tblHeader`` on, the default when present)."""
    flag = tr.find("w:trPr/w:tblHeader", NS)
    return flag is not None and flag.get(w("val"), "on") not in {"0", "false", "off"}


def nested_tables(body: etree._Element) -> list[etree._Element]:
    """Tables inside table cells."""
    return [t for t in body.iter(w("tbl")) if next(t.iterancestors(w("tbl")), None) is not None]


# --------------------------------------------------------------------------- properties


def _sort_children(parent: etree._Element, order: list[str]) -> None:
    rank = {name: i for i, name in enumerate(order)}
    children = list(parent)
    ordered = sorted(children, key=lambda c: rank.get(_local(c), len(rank)))  # stable
    if ordered != children:
        for child in children:
            parent.remove(child)
        parent.extend(ordered)


def normalize_paragraph_properties(p: etree._Element) -> bool:
    """One ``w:pPr`` per paragraph, each child once, in schema order; True when changed.

    Pandoc writes a paragraph's own properties first and those it inherits from enclosing
    blocks after them: in a table cell of Quarto's layout table, ``<w:jc w:val="left"/>``
    (the column's alignment, as in the HTML) is followed by the layout cell's
    ``<w:jc w:val="center"/>``. Within one ``w:pPr`` the first of a repeated child is
    therefore kept. Quarto's captions carry a second ``w:pPr`` (its own raw properties) after
    Pandoc's: a later ``w:pPr`` overrides an earlier one.
    """
    props = p.findall("w:pPr", NS)
    if not props:
        return False
    before = [etree.tostring(x) for x in props]
    merged: dict[str, etree._Element] = {}
    for ppr in props:
        seen: set[str] = set()
        for child in list(ppr):
            name = _local(child)
            if not name or name in seen:
                continue  # a repeated child within one pPr: the first one is the paragraph's
            seen.add(name)
            merged[name] = child
    first = props[0]
    for extra in props[1:]:
        p.remove(extra)
    for child in list(first):
        first.remove(child)
    first.extend(merged.values())
    _sort_children(first, PPR_ORDER)
    if p.index(first) != 0:
        p.remove(first)
        p.insert(0, first)
    return [etree.tostring(first)] != before


def _ppr(p: etree._Element) -> etree._Element:
    ppr = p.find("w:pPr", NS)
    if ppr is None:
        ppr = _el("pPr")
        p.insert(0, ppr)
    return ppr


def _set_ppr_child(p: etree._Element, child: etree._Element) -> bool:
    """Put ``child`` into the paragraph's ``w:pPr`` (replacing one of its kind); True if new."""
    ppr = _ppr(p)
    old = ppr.find(child.tag)
    if old is not None and etree.tostring(old) == etree.tostring(child):
        return False
    if old is not None:
        ppr.remove(old)
    ppr.append(child)
    _sort_children(ppr, PPR_ORDER)
    return True


def _keep_next(p: etree._Element) -> bool:
    if p.find("w:pPr/w:keepNext", NS) is not None:
        return False
    return _set_ppr_child(p, _el("keepNext"))


# --------------------------------------------------------------------------- structure


def _is_callout(tbl: etree._Element) -> bool:
    """Quarto's callout box: a table with a thick left border whose rows never split."""
    left = tbl.find("w:tblPr/w:tblBorders/w:left", NS)
    rows = tbl.findall("w:tr", NS)
    return (
        left is not None
        and int(left.get(w("sz"), "0") or 0) >= 12
        and bool(rows)
        and all(tr.find("w:trPr/w:cantSplit", NS) is not None for tr in rows)
    )


def _is_layout_table(tbl: etree._Element) -> bool:
    """Quarto's 1×1 table around a captioned float: one cell holding a caption and a table or
    an image (or another float's content)."""
    rows = tbl.findall("w:tr", NS)
    if len(rows) != 1 or len(rows[0].findall("w:tc", NS)) != 1:
        return False
    cell = rows[0].find("w:tc", NS)
    paragraphs = cell.findall("w:p", NS)
    has_caption = any(
        paragraph_style(p) in CAPTION_STYLES and CAPTION_START.match(paragraph_text(p))
        for p in paragraphs
    )
    has_content = cell.find("w:tbl", NS) is not None or cell.find(".//w:drawing", NS) is not None
    return has_caption and has_content


def _is_empty_paragraph(p: etree._Element) -> bool:
    """A paragraph with nothing in it; one that ends a section (``w:pPr/w:sectPr``) is not."""
    return (
        _local(p) == "p"
        and not any(_local(c) not in {"pPr", *_MARKERS} for c in p)
        and p.find("w:pPr/w:sectPr", NS) is None
    )


def _replace_with_children(tbl: etree._Element, blocks: list[etree._Element]) -> None:
    parent = tbl.getparent()
    at = parent.index(tbl)
    parent.remove(tbl)
    for offset, block in enumerate(blocks):
        parent.insert(at + offset, block)


def unwrap_layout_tables(body: etree._Element) -> int:
    """Replace each of Quarto's layout tables by its cell's content; return how many.

    The cell's bookmarks (the float's id, which cross-reference hyperlinks point at) move out
    with the content.
    """
    count = 0
    for tbl in list(body.iter(w("tbl"))):
        if tbl.getparent() is None or not _is_layout_table(tbl):
            continue
        cell = tbl.find("w:tr/w:tc", NS)
        _replace_with_children(tbl, [c for c in cell if _local(c) != "tcPr"])
        count += 1
    return count


def flatten_callouts(body: etree._Element) -> int:
    """Turn Quarto's callout tables into paragraphs with the callout's borders; return how many.

    The title row becomes a shaded paragraph kept with the next one, the body's paragraphs get
    the same border (Word draws consecutive paragraphs with equal borders as one box), and
    blocks that are tables (an embedded table in a callout) move out of the cell unchanged, so
    they are no longer nested.
    """
    count = 0
    for tbl in list(body.iter(w("tbl"))):
        if tbl.getparent() is None or not _is_callout(tbl):
            continue
        borders = tbl.find("w:tblPr/w:tblBorders", NS)
        pbdr = _el("pBdr")
        for side in ("top", "left", "bottom", "right"):
            edge = borders.find(f"w:{side}", NS)
            if edge is not None:
                edge = copy.deepcopy(edge)
                edge.tail = None
                edge.set(w("space"), "6" if side in {"left", "right"} else "4")
                pbdr.append(edge)
        blocks: list[etree._Element] = []
        rows = tbl.findall("w:tr", NS)
        for r, tr in enumerate(rows):
            for tc in tr.findall("w:tc", NS):
                shd = tc.find("w:tcPr/w:shd", NS)
                content = [c for c in tc if _local(c) != "tcPr"]
                while content and _is_empty_paragraph(content[-1]):
                    content.pop()  # the cell's closing paragraph
                for block in content:
                    if _local(block) == "p":
                        normalize_paragraph_properties(block)
                        _set_ppr_child(block, copy.deepcopy(pbdr))
                        if shd is not None:
                            _set_ppr_child(
                                block,
                                _el(
                                    "shd",
                                    val="clear",
                                    color="auto",
                                    fill=shd.get(w("fill"), "auto"),
                                ),
                            )
                        _set_ppr_child(block, _el("ind", left="144", right="144"))
                        if r == 0 and len(rows) > 1:
                            _keep_next(block)
                    blocks.append(block)
        _replace_with_children(tbl, blocks)
        count += 1
    return count


def separate_tables(body: etree._Element) -> int:
    """Put an empty paragraph between two tables that follow each other (Word would merge
    them into one); return how many were added."""
    added = 0
    for tbl in list(body.iter(w("tbl"))):
        nxt = tbl.getnext()
        while nxt is not None and _local(nxt) in _MARKERS:
            nxt = nxt.getnext()
        if nxt is not None and _local(nxt) == "tbl":
            tbl.addnext(_el("p"))
            added += 1
    return added


# --------------------------------------------------------------------------- captions


def _field_runs(instr: str, result: str, rpr: etree._Element | None) -> list[etree._Element]:
    """The runs of a complex field ``{instr}`` showing ``result``."""

    def run(*content: etree._Element) -> etree._Element:
        r = _el("r")
        if rpr is not None:
            r.append(copy.deepcopy(rpr))
        r.extend(content)
        return r

    instr_el = _el("instrText")
    instr_el.text = f" {instr} "
    instr_el.set(f"{{{XML_NS}}}space", "preserve")
    result_el = _el("t")
    result_el.text = result
    return [
        run(_el("fldChar", fldCharType="begin")),
        run(instr_el),
        run(_el("fldChar", fldCharType="separate")),
        run(result_el),
        run(_el("fldChar", fldCharType="end")),
    ]


def _split_run_at(
    run: etree._Element, t: etree._Element, before: str, after: str
) -> tuple[etree._Element | None, etree._Element | None]:
    """Two copies of ``run``: its content up to ``t`` (that text now ``before``) and from ``t``
    on (that text now ``after``). A copy left with nothing to show is ``None``."""
    content = [c for c in run if _local(c) != "rPr"]
    i = content.index(t)
    head, tail = copy.deepcopy(run), copy.deepcopy(run)
    for part, drop, text in ((head, range(i + 1, len(content)), before), (tail, range(i), after)):
        kept = [c for c in part if _local(c) != "rPr"]
        for j in drop:
            part.remove(kept[j])
        kept[i].text = text
        kept[i].set(f"{{{XML_NS}}}space", "preserve")
    return (head if before or i > 0 else None), (tail if after or i < len(content) - 1 else None)


def number_caption(p: etree._Element, label: str, number: str) -> bool:
    """Write a caption's number as a ``SEQ`` field with the number as its cached result.

    «2.1» (numbered by chapter) keeps «2.» as text and numbers the «1» with ``\\s 1``
    (restart after each Heading 1). Returns False when the paragraph already has a SEQ field
    or the number is not inside one text element of a run.
    """
    if seq_fields(p):
        return False
    prefix, _, last = number.rpartition(".")
    start = CAPTION_START.match(paragraph_text(p)).start(2) + len(number) - len(last)
    end = start + len(last)
    offset = 0
    for t in p.iter(w("t")):
        text = t.text or ""
        if offset <= start and end <= offset + len(text):
            run = t.getparent()
            if _local(run) != "r":
                return False
            a, b = start - offset, end - offset
            instr = f"SEQ {label} \\* ARABIC" + (" \\s 1" if prefix else "")
            head, tail = _split_run_at(run, t, text[:a], text[b:])
            field = _field_runs(instr, last, run.find("w:rPr", NS))
            _replace_with_children(run, [x for x in (head, *field, tail) if x is not None])
            return True
        offset += len(text)
        if offset > start:
            return False
    return False


def make_captions(body: etree._Element) -> tuple[int, int]:
    """Give every caption the style «Caption» and a SEQ field; return (captions, fields added).

    Table captions stand above their table and keep with it; a figure caption stands below
    the figure, whose last paragraph (or table row) keeps with the caption.
    """
    captions = fields = 0
    for p in list(body.iter(w("p"))):
        found = caption_label(p)
        if found is None:
            continue
        label, number = found
        captions += 1
        normalize_paragraph_properties(p)
        ppr = _ppr(p)
        for child in list(ppr):
            if _local(child) not in {"pStyle", "keepNext", "rPr"}:
                ppr.remove(child)  # alignment and spacing come from the style
        _set_ppr_child(p, _el("pStyle", val=CAPTION_STYLE))
        if label == TABLE_LABEL:
            _keep_next(p)
        else:
            _keep_with_figure_caption(p)
        fields += number_caption(p, label, number)
    return captions, fields


def _keep_with_figure_caption(caption: etree._Element) -> None:
    prev = caption.getprevious()
    while prev is not None and _local(prev) in _MARKERS:
        prev = prev.getprevious()
    if prev is None:
        return
    if _local(prev) == "p":
        _keep_next(prev)
    elif _local(prev) == "tbl":
        rows = prev.findall("w:tr", NS)
        for p in rows[-1].iter(w("p")) if rows else ():
            _keep_next(p)


# --------------------------------------------------------------------------- tables, images


def _scaled(widths: list[int], total: int) -> list[int]:
    """``widths`` scaled to sum to ``total`` exactly (rounding put on the widest column)."""
    current = sum(widths)
    if current <= 0:
        return [total // len(widths)] * len(widths)
    scaled = [max(1, round(x * total / current)) for x in widths]
    scaled[scaled.index(max(scaled))] += total - sum(scaled)
    return scaled


def _set_child(parent: etree._Element, child: etree._Element, order: list[str]) -> None:
    old = parent.find(child.tag)
    if old is not None:
        parent.replace(old, child)
    else:
        parent.append(child)
    _sort_children(parent, order)


def fit_table(tbl: etree._Element, text_width: int) -> bool:
    """Header rows repeat; width = the text block, fixed layout, columns scaled; True if
    anything changed."""
    before = etree.tostring(tbl)
    tblpr = tbl.find("w:tblPr", NS)
    if tblpr is None:
        tblpr = _el("tblPr")
        tbl.insert(0, tblpr)
    _set_child(tblpr, _el("tblW", type="pct", w=str(FULL_WIDTH_PCT)), TBLPR_ORDER)
    _set_child(tblpr, _el("tblLayout", type="fixed"), TBLPR_ORDER)
    rows = tbl.findall("w:tr", NS)
    grid = tbl.find("w:tblGrid", NS)
    if grid is None:
        grid = _el("tblGrid")
        tblpr.addnext(grid)
        columns = max(
            (
                sum(
                    int(s.get(w("val"), "1"))
                    if (s := tc.find("w:tcPr/w:gridSpan", NS)) is not None
                    else 1
                    for tc in tr.findall("w:tc", NS)
                )
                for tr in rows
            ),
            default=1,
        )
        grid.extend(_el("gridCol", w="0") for _ in range(columns))
    widths = _scaled(grid_widths(tbl), text_width)
    for col, width in zip(grid.findall("w:gridCol", NS), widths, strict=True):
        col.set(w("w"), str(width))
    for tr in rows:
        column = 0
        for tc in tr.findall("w:tc", NS):
            tcpr = tc.find("w:tcPr", NS)
            if tcpr is None:
                tcpr = _el("tcPr")
                tc.insert(0, tcpr)
            span_el = tcpr.find("w:gridSpan", NS)
            span = int(span_el.get(w("val"), "1")) if span_el is not None else 1
            cell_width = sum(widths[column : column + span])
            column += span
            _set_child(tcpr, _el("tcW", type="dxa", w=str(cell_width)), TCPR_ORDER)
    look = tblpr.find("w:tblLook", NS)
    first_row = look is not None and (
        look.get(w("firstRow")) in {"1", "true", "on"}
        or int(look.get(w("val"), "0") or "0", 16) & 0x0020
    )
    if rows and first_row and not any(is_header_row(tr) for tr in rows):
        trpr = rows[0].find("w:trPr", NS)
        if trpr is None:
            trpr = _el("trPr")
            rows[0].insert(0, trpr)
        trpr.append(_el("tblHeader"))
    return etree.tostring(tbl) != before


def fit_images(body: etree._Element, widths: dict[etree._Element, int]) -> int:
    """Scale images wider than their section's text block down to it; return how many."""
    count = 0
    for block, text_width in widths.items():
        limit = text_width * EMU_PER_TWIP
        for drawing in block.iter(f"{{{WP_NS}}}inline", f"{{{WP_NS}}}anchor"):
            extent = drawing.find("wp:extent", NS)
            if extent is None:
                continue
            cx, cy = int(extent.get("cx", "0")), int(extent.get("cy", "0"))
            if cx <= limit:
                continue
            new_cy = round(cy * limit / cx)
            extent.set("cx", str(limit))
            extent.set("cy", str(new_cy))
            for ext in drawing.iterfind(".//a:xfrm/a:ext", NS):
                ext.set("cx", str(limit))
                ext.set("cy", str(new_cy))
            count += 1
    return count


# --------------------------------------------------------------------------- sections


def _section_key(el: etree._Element) -> tuple[str, str | None]:
    """What makes a ``w:sectPr`` child unique: its name, and for headers/footers their type."""
    return _local(el), el.get(w("type")) if _local(el).endswith("Reference") else None


def complete_sections(body: etree._Element) -> int:
    """Give every section the document's page setup where its own says nothing; return how
    many sections changed.

    Quarto's landscape sections (a ``.landscape`` div, as ``styles/tabeller.lua`` makes for
    wide tables) end the portrait part before them with an empty ``w:sectPr`` and the
    landscape part with one holding only the turned page size, so Word would use its own
    default page, margins and no footer there. Each section ending in a paragraph becomes a
    copy of the document's last section (the reference document's: A4, margins, footer with
    page numbers) with the section's own settings in place of the copied ones.
    """
    main = body.find("w:sectPr", NS)
    if main is None:
        return 0
    changed = 0
    for sect in list(body.iterfind("w:p/w:pPr/w:sectPr", NS)):
        merged = copy.deepcopy(main)
        copied = {_section_key(c): c for c in merged}
        for own in sect:
            key = _section_key(own)
            if key in copied:
                merged.replace(copied[key], copy.deepcopy(own))
            else:
                merged.append(copy.deepcopy(own))
        _sort_children(merged, SECTPR_ORDER)
        if etree.tostring(merged) != etree.tostring(sect):
            sect.getparent().replace(sect, merged)
            changed += 1
    return changed


# --------------------------------------------------------------------------- the document


def process_document(root: etree._Element) -> Counter[str]:
    """Post-process a parsed ``word/document.xml`` in place; return what was done."""
    body = root.find("w:body", NS)
    done: Counter[str] = Counter()
    for p in body.iter(w("p")):
        done["paragraph_properties_fixed"] += normalize_paragraph_properties(p)
    done["callouts_flattened"] = flatten_callouts(body)
    done["layout_tables_unwrapped"] = unwrap_layout_tables(body)
    done["captions"], done["caption_fields_added"] = make_captions(body)
    done["sections_completed"] = complete_sections(body)
    widths = block_text_widths(body)
    tables = [b for b in widths if _local(b) == "tbl"]
    done["tables"] = len(tables)
    done["tables_changed"] = sum(fit_table(t, widths[t]) for t in tables)
    done["images_scaled"] = fit_images(body, widths)
    done["table_separators_added"] = separate_tables(body)
    return done


def _write_package(source: Path, target: Path, replace: dict[str, bytes]) -> None:
    """Copy the zip package ``source`` to ``target`` with some parts replaced."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = replace.get(info.filename)
            zout.writestr(info, zin.read(info.filename) if data is None else data)


def _write_atomic(path: Path, write) -> None:
    """``write(tmp)`` to a temporary file beside ``path``, then replace ``path`` with it; the
    original is untouched when writing fails."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if path.exists():
            shutil.copymode(path, tmp)
        else:  # mkstemp makes it private; a new file gets the usual permissions
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


SETTINGS_PART = "word/settings.xml"
#: Children of ``w:settings`` that come before ``w:autoHyphenation`` in the schema.
_BEFORE_HYPHENATION = frozenset(
    _names(
        "writeProtection view zoom removePersonalInformation removeDateAndTime "
        "doNotDisplayPageBoundaries displayBackgroundShape printPostScriptOverText "
        "printFractionalCharacterWidth printFormsData embedTrueTypeFonts embedSystemFonts "
        "saveSubsetFonts saveFormsData "
        "mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader "
        "bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors "
        "activeWritingStyle proofState formsDesign attachedTemplate linkStyles "
        "stylePaneFormatFilter stylePaneSortMethod documentType mailMerge revisionView "
        "trackRevisions doNotTrackMoves doNotTrackFormatting documentProtection "
        "autoFormatOverride styleLockTheme styleLockQFSet defaultTabStop"
    )
)


def enable_hyphenation(settings: etree._Element) -> bool:
    """Turn on Word's automatic hyphenation (``w:autoHyphenation``), in the document's
    language (``lang: nb``): the column widths count on long words being hyphenated
    (coopstats.tables), as they are in PDF. Return whether the settings changed."""
    if settings.find("w:autoHyphenation", NS) is not None:
        return False
    at = 0
    for i, child in enumerate(settings):
        if _local(child) in _BEFORE_HYPHENATION:
            at = i + 1
    settings.insert(at, _el("autoHyphenation"))
    return True


def postprocess(path: Path) -> dict[str, int]:
    """Make a Quarto Word file a working document (module docstring); return the counts.

    Idempotent: a second run finds nothing to change and leaves the file as it is
    (``written`` is 0). The file is replaced atomically.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as package:
        original = package.read(DOCUMENT_PART)
        names = set(package.namelist())
        settings_xml = package.read(SETTINGS_PART) if SETTINGS_PART in names else None
    root = etree.fromstring(original)
    done = process_document(root)
    new = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts = {DOCUMENT_PART: new} if new != original else {}
    if settings_xml is not None:
        settings = etree.fromstring(settings_xml)
        done["hyphenation_enabled"] = int(enable_hyphenation(settings))
        if done["hyphenation_enabled"]:
            parts[SETTINGS_PART] = etree.tostring(
                settings, xml_declaration=True, encoding="UTF-8", standalone=True
            )
    done["written"] = int(bool(parts))
    if parts:
        _write_atomic(path, lambda tmp: _write_package(path, tmp, parts))
    return dict(done)


def summary(counts: dict[str, int]) -> str:
    """One line for the render log (Norwegian, like coopstats' other messages)."""
    return (
        f"{counts.get('layout_tables_unwrapped', 0)} tabeller/figurer pakket ut, "
        f"{counts.get('callouts_flattened', 0)} merknadsbokser gjort om til avsnitt, "
        f"{counts.get('captions', 0)} bildetekster ({counts.get('caption_fields_added', 0)} "
        f"nye SEQ-felt), {counts.get('tables', 0)} tabeller tilpasset tekstbredden, "
        f"{counts.get('images_scaled', 0)} bilder skalert ned, "
        f"{counts.get('sections_completed', 0)} seksjoner fullført"
        + ("" if counts.get("written", 1) else " (uendret)")
    )


# --------------------------------------------------------------------------- reference doc

#: House colours (coopstats.style, as in styles/coopstats.scss) without «#».
BLUE = PALETTE[0].lstrip("#")
TEXT = TEXT_COLOUR.lstrip("#")
GRID = GRID_COLOUR.lstrip("#")
#: Light blue behind table header rows (dark text on it: contrast far above 4.5:1).
HEADER_FILL = "DCEAF4"
BODY_FONT = "Calibri"
#: The paragraph style styles/oppdragsgiver.lua gives the commissioning body line.
OPPDRAGSGIVER_STYLE = "Oppdragsgiver"
#: The paragraph style styles/tabeller.lua gives the notes under a table (population, source).
NOTES_STYLE = "Tabellnote"

#: Child order of ``w:style`` and ``w:rPr`` in the OOXML schema.
STYLE_ORDER = _names(
    "name aliases basedOn next link autoRedefine hidden uiPriority semiHidden unhideWhenUsed "
    "qFormat locked personal personalCompose personalReply rsid pPr rPr tblPr trPr tcPr "
    "tblStylePr"
)
RPR_ORDER = _names(
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
)


def _style(styles: etree._Element, style_id: str, name: str | None = None) -> etree._Element:
    """The ``w:style`` with this styleId; a new paragraph style called ``name`` if missing."""
    for style in styles.iterfind("w:style", NS):
        if style.get(w("styleId")) == style_id:
            return style
    if name is None:
        raise KeyError(style_id)
    style = _el("style", type="paragraph", customStyle="1", styleId=style_id)
    style.append(_el("name", val=name))
    styles.append(style)
    return style


def _style_part(style: etree._Element, tag: str) -> etree._Element:
    """A child of a style (``pPr``, ``rPr``, ``tblPr`` …), created in schema order if missing."""
    el = style.find(w(tag))
    if el is None:
        el = _el(tag)
        style.append(el)
        _sort_children(style, STYLE_ORDER)
    return el


def _style_flags(
    style: etree._Element,
    *,
    based_on: str | None = None,
    next_style: str | None = None,
    quick: bool = True,
) -> None:
    """basedOn/next, and whether the style shows in Word's style gallery (``w:qFormat``)."""
    if based_on is not None:
        _set_child(style, _el("basedOn", val=based_on), STYLE_ORDER)
    if next_style is not None:
        _set_child(style, _el("next", val=next_style), STYLE_ORDER)
    for flag in ("semiHidden", "unhideWhenUsed", "hidden"):
        for node in style.findall(w(flag)):
            style.remove(node)
    if quick:
        _set_child(style, _el("qFormat"), STYLE_ORDER)


def _run_props(
    rpr: etree._Element,
    *,
    font: str | None = None,
    color: str | None = None,
    size: float | None = None,
    bold: bool | None = None,
    italic: bool | None = None,
) -> None:
    if font is not None:
        _set_child(rpr, _el("rFonts", ascii=font, hAnsi=font, cs=font, eastAsia=font), RPR_ORDER)
    if color is not None:
        _set_child(rpr, _el("color", val=color), RPR_ORDER)
    if size is not None:
        _set_child(rpr, _el("sz", val=str(round(size * 2))), RPR_ORDER)
        _set_child(rpr, _el("szCs", val=str(round(size * 2))), RPR_ORDER)
    for tag, on in (("b", bold), ("bCs", bold), ("i", italic), ("iCs", italic)):
        if on is not None:
            _set_child(rpr, _el(tag, val="1" if on else "0"), RPR_ORDER)


def _para_props(
    ppr: etree._Element,
    *,
    before: int | None = None,
    after: int | None = None,
    align: str | None = None,
    keep_next: bool = False,
) -> None:
    if before is not None or after is not None:
        old = ppr.find(w("spacing"))
        spacing = copy.deepcopy(old) if old is not None else _el("spacing")
        if before is not None:
            spacing.set(w("before"), str(before))
        if after is not None:
            spacing.set(w("after"), str(after))
        _set_child(ppr, spacing, PPR_ORDER)
    if align is not None:
        _set_child(ppr, _el("jc", val=align), PPR_ORDER)
    if keep_next:
        _set_child(ppr, _el("keepNext"), PPR_ORDER)


def house_styles(styles: etree._Element) -> None:
    """Apply the house style to a ``styles.xml`` root from Pandoc's reference document.

    Calibri 11 pt in the text colour #222222 (set in the document defaults, not in «Normal»,
    so the table style's smaller size applies in tables); title, headings and links in the
    house blue #0072B2; «Caption» named as Word's built-in caption style (so Word's «Insert
    Caption» and table of figures use it), with Pandoc's «Table Caption» and «Image Caption»
    based on it; the paragraph styles «Oppdragsgiver» and «Tabellnote» (the notes under a
    table, 9 pt); the table style «Table».
    """
    defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    _run_props(defaults, font=BODY_FONT, color=TEXT, size=11)
    _para_props(styles.find("w:docDefaults/w:pPrDefault/w:pPr", NS), after=120)
    _para_props(_style_part(_style(styles, "BodyText"), "pPr"), before=0, after=120)
    for level, size, before, after in ((1, 16, 360, 120), (2, 13, 240, 80), (3, 11.5, 200, 60)):
        heading = _style(styles, f"Heading{level}")
        _style_flags(heading)
        _run_props(_style_part(heading, "rPr"), font=BODY_FONT, color=BLUE, size=size, bold=True)
        _para_props(_style_part(heading, "pPr"), before=before, after=after)
    for level in (4, 5, 6):
        heading = _style(styles, f"Heading{level}")
        _run_props(_style_part(heading, "rPr"), font=BODY_FONT, color=TEXT, bold=True)
    title = _style(styles, "Title")
    _run_props(_style_part(title, "rPr"), font=BODY_FONT, color=BLUE, size=24, bold=True)
    _para_props(_style_part(title, "pPr"), after=120, align="left")
    subtitle = _style(styles, "Subtitle")
    _run_props(_style_part(subtitle, "rPr"), color=TEXT, size=14, bold=False)
    _para_props(_style_part(subtitle, "pPr"), after=120, align="left")
    for style_id in ("Author", "Date", "AbstractTitle", "Abstract"):
        _para_props(_style_part(_style(styles, style_id), "pPr"), align="left")

    oppdragsgiver = _style(styles, OPPDRAGSGIVER_STYLE, name=OPPDRAGSGIVER_STYLE)
    _style_flags(oppdragsgiver, based_on="Normal", next_style="BodyText")
    _run_props(_style_part(oppdragsgiver, "rPr"), color=BLUE, size=13, italic=True)
    _para_props(_style_part(oppdragsgiver, "pPr"), before=120, after=360, align="left")

    notes = _style(styles, NOTES_STYLE, name=NOTES_STYLE)
    _style_flags(notes, based_on="Normal", next_style="BodyText")
    _run_props(_style_part(notes, "rPr"), color=TEXT, size=9)
    _para_props(_style_part(notes, "pPr"), before=60, after=200, align="left")

    caption = _style(styles, CAPTION_STYLE)
    caption.find(w("name")).set(w("val"), "caption")  # Word's own name for it
    _style_flags(caption, based_on="Normal", next_style="BodyText")
    link = caption.find(w("link"))
    if link is not None:  # Pandoc links it to «Body Text Char», which it is not
        caption.remove(link)
    _run_props(_style_part(caption, "rPr"), color=TEXT, size=10, bold=True, italic=False)
    _para_props(_style_part(caption, "pPr"), before=120, after=120)
    for style_id, keep in (("TableCaption", True), ("ImageCaption", False)):
        derived = _style(styles, style_id)
        _style_flags(derived, based_on=CAPTION_STYLE)
        _para_props(_style_part(derived, "pPr"), keep_next=keep)
    _run_props(_style_part(_style(styles, "Hyperlink"), "rPr"), color=BLUE)
    _table_style(_style(styles, "Table"))


def _table_style(style: etree._Element) -> None:
    """The table style «Table»: thin rules above, below and between the rows, text 10 pt, the
    header row bold on a light blue ground with a blue rule under it."""
    for old in style.findall(w("tblStylePr")) + style.findall(w("rPr")):
        style.remove(old)
    _style_flags(style)
    _run_props(_style_part(style, "rPr"), size=10)
    tblpr = _style_part(style, "tblPr")
    borders = _el("tblBorders")
    for side, color in (("top", TEXT), ("bottom", TEXT), ("insideH", GRID)):
        borders.append(_el(side, val="single", sz="4", space="0", color=color))
    _set_child(tblpr, borders, TBLPR_ORDER)
    for edge in tblpr.iterfind("w:tblCellMar/w:top", NS):
        edge.set(w("w"), "29")
    for edge in tblpr.iterfind("w:tblCellMar/w:bottom", NS):
        edge.set(w("w"), "29")
    header = _el("tblStylePr", type="firstRow")
    hrpr = _el("rPr")
    _run_props(hrpr, bold=True)
    header.append(hrpr)
    htcpr = _el("tcPr")
    hborders = _el("tcBorders")
    hborders.append(_el("bottom", val="single", sz="8", space="0", color=BLUE))
    htcpr.append(hborders)
    htcpr.append(_el("shd", val="clear", color="auto", fill=HEADER_FILL))
    htcpr.append(_el("vAlign", val="bottom"))
    header.append(htcpr)
    style.append(header)


def make_reference_doc(base: Path, out: Path) -> Path:
    """Write the house reference document ``out`` from Pandoc's default one (``base``).

    A4 with 2.5 cm margins and the page number (a ``PAGE`` field) centred in the footer, the
    styles of :func:`house_styles`, and a sample «Oppdragsgiver» line under the sample title.
    Pandoc takes the styles, the page setup and the footer from it, not its text. The zip
    entries get fixed times, so regenerating from the same Pandoc gives the same bytes.
    """
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm

    document = docx.Document(str(base))
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left", "right", "top", "bottom"):
        setattr(section, f"{side}_margin", Cm(2.5))
    section.gutter = 0  # the schema requires every page margin attribute
    section.header_distance = section.footer_distance = Cm(1.25)
    section.footer.is_linked_to_previous = False
    page = section.footer.paragraphs[0]
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for old in page._p.findall("w:r", NS):
        page._p.remove(old)
    page._p.extend(_field_runs("PAGE", "1", None))
    house_styles(document.styles.element)
    footer_style = page._p.find("w:pPr/w:pStyle", NS)
    if footer_style is not None:  # python-docx's footer names a style Pandoc's doc lacks
        footer_style.getparent().remove(footer_style)

    body = document.element.body
    if any(paragraph_style(p) == OPPDRAGSGIVER_STYLE for p in body.iter(w("p"))):
        return _save_reference(document, Path(out))
    subtitle = next(p for p in body.iterfind("w:p", NS) if paragraph_style(p) == "Subtitle")
    sample = _el("p")
    sample.append(_el("pPr"))
    sample[0].append(_el("pStyle", val=OPPDRAGSGIVER_STYLE))
    run = _el("r")
    text = _el("t")
    text.text = "På oppdrag for Oppdragsgiver"
    run.append(text)
    sample.append(run)
    subtitle.addnext(sample)
    return _save_reference(document, Path(out))


def _save_reference(document, out: Path) -> Path:
    buffer = io.BytesIO()
    document.save(buffer)
    _write_reproducible(buffer.getvalue(), out)
    return out


def _write_reproducible(data: bytes, out: Path) -> None:
    """Write a zip package with fixed entry times, so regenerating gives the same bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(tmp, "w") as zout:
            for info in zin.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
                fixed.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(fixed, zin.read(info.filename))

    _write_atomic(out, write)


def pandoc_default_reference(quarto: str, target: Path) -> Path:
    """Pandoc's default ``reference.docx`` (from the Pandoc that ``quarto`` bundles)."""
    subprocess.run(
        [quarto, "pandoc", "-o", str(target), "--print-default-data-file", "reference.docx"],
        check=True,
    )
    return target


# --------------------------------------------------------------------------- command line


def _iter_docx(paths: Iterable[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(path.rglob("*.docx"))
        else:
            yield path


def main(argv: list[str] | None = None) -> int:
    """``python -m coopstats.word reference-doc [--quarto PATH] [--out FILE]`` writes the
    reference document; ``python -m coopstats.word postprocess FILE|DIR ...`` post-processes
    Word files by hand (Quarto's post-render step does it after each render)."""
    parser = argparse.ArgumentParser(
        prog="python -m coopstats.word",
        description="Word-rapportene: referansedokumentet med husstilen, og etterbehandlingen.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ref = sub.add_parser("reference-doc", help="skriv referansedokumentet med husstilen")
    ref.add_argument(
        "--quarto",
        default=shutil.which("quarto") or "quarto",
        help="Quarto-programmet (Pandoc følger med Quarto)",
    )
    ref.add_argument(
        "--out",
        type=Path,
        default=REFERENCE_DOC,
        help=f"hvor dokumentet skrives (standard: {REFERENCE_DOC})",
    )
    post = sub.add_parser("postprocess", help="etterbehandle Word-filer")
    post.add_argument("paths", nargs="+", help=".docx-filer eller mapper")
    args = parser.parse_args(argv)
    if args.command == "reference-doc":
        with tempfile.TemporaryDirectory() as tmp:
            base = pandoc_default_reference(args.quarto, Path(tmp) / "reference.docx")
            out = make_reference_doc(base, args.out)
        print(f"Skrev {out}.")
        return 0
    for path in _iter_docx(args.paths):
        print(f"{path}: {summary(postprocess(path))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
