"""Checks of a rendered PDF report, used by the Quarto tests (tests/test_quarto_sources.py).

- :func:`overfull_boxes` reads the LaTeX log: every «Overfull \\hbox (12.3pt too wide)» and
  «Overfull \\vbox (…pt too high)» with the lines it names;
- :func:`outside_text_block` reads the PDF's pages with pdfplumber and lists every word, rule,
  box and image that leaves the text block of the page (A4 with 2.5 cm margins, portrait or
  turned), as the reader sees it; a page number in the margin is allowed.
- :func:`tex_available` says whether a TeX engine for Quarto's PDF is installed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

#: The PDF profile's margins (_quarto-pdf.yml: geometry margin=2.5cm), in points.
MARGIN_PT = 2.5 / 2.54 * 72
#: How far past the text block a line may go before it is a defect (TeX's own overfull
#: lines of a point or two are invisible).
TOLERANCE_PT = 3.0

_OVERFULL = re.compile(
    r"Overfull \\([hv])box \(([\d.]+)pt too (?:wide|high)\)( in [^\n]*| has occurred[^\n]*)?"
)


def tex_available() -> bool:
    """Quarto's PDF needs a LaTeX engine (lualatex here, as Quarto's default)."""
    return shutil.which("lualatex") is not None


def overfull_boxes(log: str, tolerance: float = TOLERANCE_PT) -> list[str]:
    """Overfull boxes in a LaTeX log that are more than ``tolerance`` points too wide/high."""
    found = []
    for m in _OVERFULL.finditer(log):
        if float(m.group(2)) > tolerance:
            found.append(m.group(0).strip())
    return found


def outside_text_block(pdf_path: Path, tolerance: float = TOLERANCE_PT) -> list[str]:
    """Everything on a page of ``pdf_path`` that lies outside the text block, as
    «page 3: word 'Kilde' x 65–90, y 500–510»; digits alone (the page number) are allowed in
    the margin."""
    import pdfplumber

    problems = []
    with pdfplumber.open(str(pdf_path)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            # pdfplumber gives a turned page (pdflscape) in the orientation it is read in
            left, top = MARGIN_PT - tolerance, MARGIN_PT - tolerance
            right = page.width - MARGIN_PT + tolerance
            bottom = page.height - MARGIN_PT + tolerance

            def out(o, left=left, top=top, right=right, bottom=bottom) -> bool:
                return o["x0"] < left or o["x1"] > right or o["top"] < top or o["bottom"] > bottom

            for word in page.extract_words():
                if out(word) and not re.fullmatch(r"\d+", word["text"]):
                    problems.append(_where(number, f"word {word['text']!r}", word))
            for kind in ("rects", "lines", "curves", "images"):
                for obj in getattr(page, kind):
                    if out(obj):
                        problems.append(_where(number, kind[:-1], obj))
    return problems


def _where(page: int, what: str, obj: dict) -> str:
    return (
        f"page {page}: {what} x {obj['x0']:.0f}–{obj['x1']:.0f}, "
        f"y {obj['top']:.0f}–{obj['bottom']:.0f}"
    )


def pdf_text(pdf_path: Path) -> list[str]:
    """The text of each page."""
    import pdfplumber

    with pdfplumber.open(str(pdf_path)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def turned_pages(pdf_path: Path) -> int:
    """How many pages are turned to landscape (pdflscape sets /Rotate on the page)."""
    import pdfplumber

    with pdfplumber.open(str(pdf_path)) as pdf:
        return sum(1 for page in pdf.pages if page.rotation % 180 == 90)


def pdf_language(pdf_path: Path) -> str | None:
    """The document language in the PDF's catalog (/Lang), as hyperref writes it."""
    import pdfplumber

    with pdfplumber.open(str(pdf_path)) as pdf:
        lang = pdf.doc.catalog.get("Lang")
    if isinstance(lang, bytes):
        return lang.decode("latin-1")
    return None if lang is None else str(lang)
