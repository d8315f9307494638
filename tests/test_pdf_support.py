"""The PDF checks themselves (tests/pdf_support.py), on a made-up log and on PDFs drawn with
matplotlib: they must find what they are there to find, so the Quarto tests can fail."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from pdf_support import MARGIN_PT, outside_text_block, overfull_boxes, turned_pages  # noqa: E402

pytest.importorskip("pdfplumber")

A4 = (595.276 / 72, 841.89 / 72)  # inches


def _page(path, *texts, size=A4):
    """A one-page PDF with each (x, y, text) placed in points from the top left."""
    fig = plt.figure(figsize=size)
    fig.patch.set_visible(False)  # no page-sized background box
    width, height = size[0] * 72, size[1] * 72
    for x, y, text in texts:
        fig.text(x / width, 1 - y / height, text, fontsize=9, va="top", ha="left")
    fig.savefig(path, format="pdf")
    plt.close(fig)
    return path


def test_overfull_boxes_are_found_above_the_tolerance_only():
    log = (
        "Overfull \\hbox (1.28285pt too wide) in paragraph at lines 340--341\n"
        "Overfull \\hbox (9.28168pt too wide) in paragraph at lines 1822--1822\n"
        " []|\\TU/lmr/m/n/9 54--86 %|\n"
        "Overfull \\vbox (216.78218pt too high) has occurred while \\output is active []\n"
        "Underfull \\hbox (badness 10000) in paragraph at lines 579--582\n"
    )
    found = overfull_boxes(log)
    assert len(found) == 2
    assert found[0].startswith("Overfull \\hbox (9.28168pt too wide) in paragraph at lines 1822")
    assert "216.78218pt too high" in found[1]
    assert overfull_boxes(log, tolerance=0.5)[0].startswith("Overfull \\hbox (1.28285pt")
    assert overfull_boxes("") == []


def test_text_inside_the_text_block_passes(tmp_path):
    pdf = _page(tmp_path / "inne.pdf", (MARGIN_PT + 5, MARGIN_PT + 5, "Tabell 1: Innenfor"))
    assert outside_text_block(pdf) == []


def test_text_past_the_right_margin_or_the_foot_is_found(tmp_path):
    width = 595.276
    pdf = _page(
        tmp_path / "ute.pdf",
        (MARGIN_PT + 5, MARGIN_PT + 5, "Innenfor"),
        (width - MARGIN_PT - 20, 300, "Kolonnen går utenfor kanten"),
        (MARGIN_PT + 5, 841.89 - 40, "Rader under foten"),
        (width / 2, 841.89 - 40, "7"),  # a page number in the margin is fine
    )
    problems = outside_text_block(pdf)
    assert any("'Kolonnen'" in p or "'går'" in p for p in problems), problems
    assert any("'Rader'" in p for p in problems), problems
    assert not any("'7'" in p for p in problems)
    assert all(p.startswith("page 1:") for p in problems)


def test_a_landscape_page_is_measured_as_it_is_read(tmp_path):
    turned = (A4[1], A4[0])
    inside = _page(tmp_path / "liggende.pdf", (700, 200, "Bred"), size=turned)
    assert outside_text_block(inside) == []  # x 700 is inside a landscape text block
    assert turned_pages(inside) == 0  # drawn wide, not turned by /Rotate
