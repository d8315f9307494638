"""Result-chain (resultatkjede) figure, alt text and table.

The figure reads left to right: one column per level, the Norwegian level label as header,
each element as a box with wrapped text and arrows between the columns. Assumptions,
preconditions and a reconstruction note can be added as a footer.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from coopstats.registry import ResultChain
from coopstats.sources import cite_provenance
from coopstats.style import PALETTE, TEXT_COLOUR, apply_house_style

__all__ = ["chain_alt_text", "chain_to_frame", "draw_result_chain"]

# Layout in inches (the axes uses inch coordinates, origin bottom left).
_BOX_W = 2.0
_COL_GAP = 0.45
_MARGIN = 0.25
_FONT = 8.0
_LINE_H = _FONT * 1.3 / 72
_PAD = 0.08
_BOX_GAP = 0.12
_HEADER_H = 0.4
_TITLE_H = 0.45
_CHAR_W = _FONT * 0.56 / 72  # average glyph width of the default sans-serif font
_EMPTY_TEXT = "Ikke angitt"


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(" ".join(text.split()), width=width, break_on_hyphens=False)


def _box_height(wrapped: str) -> float:
    return wrapped.count("\n") * _LINE_H + _LINE_H + 2 * _PAD


def _footer_lines(chain: ResultChain, width: int, show_notes: bool) -> list[tuple[str, bool]]:
    """Footer rows as (text, is_heading)."""
    rows: list[tuple[str, bool]] = []
    if show_notes:
        for heading, items in (
            ("Antakelser", chain.assumptions),
            ("Forutsetninger", chain.preconditions),
        ):
            if not items:
                continue
            rows.append((heading, True))
            for n, item in enumerate(items, start=1):
                rows.append((_wrap(f"{n}. {item.text}", width), False))
    if chain.reconstructed:
        note = f"Merk: Rekonstruert resultatkjede. {chain.note or ''}".strip()
        rows.append((_wrap(note, width), False))
    if chain.provenance is not None:
        rows.append((_wrap(f"Kilde: {cite_provenance(chain.provenance)}", width * 3), False))
    return rows


def draw_result_chain(
    chain: ResultChain,
    title: str | None = None,
    *,
    show_notes: bool = True,
    wrap_width: int = 28,
) -> Figure:
    """Draw a result chain as a left-to-right diagram.

    Parameters
    ----------
    chain
        The chain to draw; all six levels get a column, empty ones say "Ikke angitt".
    title
        Optional figure title.
    show_notes
        Add assumptions and preconditions as a footer.
    wrap_width
        Characters per line inside element boxes.

    Returns
    -------
    matplotlib.figure.Figure
        A figure with an Agg canvas (not registered with pyplot).
    """
    apply_house_style()
    levels = chain.levels
    n_cols = len(levels)
    wrapped = [[_wrap(e.text, wrap_width) for e in lvl.elements] for lvl in levels]
    col_heights = []
    for texts in wrapped:
        boxes = [_box_height(t) for t in texts] or [_box_height(_EMPTY_TEXT)]
        col_heights.append(sum(boxes) + _BOX_GAP * (len(boxes) - 1))
    body_h = max(col_heights)

    fig_w = 2 * _MARGIN + n_cols * _BOX_W + (n_cols - 1) * _COL_GAP
    footer_width = int((fig_w - 2 * _MARGIN) / _CHAR_W)
    footer = _footer_lines(chain, footer_width, show_notes)
    footer_h = sum((t.count("\n") + 1) * _LINE_H + 0.04 for t, _ in footer)
    footer_h += 0.25 + 0.08 * sum(1 for _, h in footer if h) if footer else 0.0
    title_h = _TITLE_H if title else 0.0
    fig_h = 2 * _MARGIN + title_h + _HEADER_H + body_h + footer_h

    fig = Figure(figsize=(fig_w, fig_h))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.set_axis_off()

    top = fig_h - _MARGIN
    if title:
        ax.text(
            _MARGIN,
            top,
            title,
            ha="left",
            va="top",
            fontsize=12,
            fontweight="bold",
            color=TEXT_COLOUR,
            gid="chain-title",
        )
        top -= title_h

    body_top = top - _HEADER_H
    for i, (level, texts) in enumerate(zip(levels, wrapped, strict=True)):
        colour = PALETTE[i % 6]
        x = _MARGIN + i * (_BOX_W + _COL_GAP)
        ax.text(
            x + _BOX_W / 2,
            top - 0.05,
            level.label,
            ha="center",
            va="top",
            fontsize=10,
            fontweight="bold",
            color=TEXT_COLOUR,
            gid=f"level-{level.key}",
        )
        ax.plot([x, x + _BOX_W], [top - 0.3, top - 0.3], color=colour, lw=3, solid_capstyle="butt")
        y = body_top
        if not texts:
            ax.text(
                x + _BOX_W / 2,
                y - _PAD,
                _EMPTY_TEXT,
                ha="center",
                va="top",
                fontsize=_FONT,
                style="italic",
                color="#666666",
            )
        for text in texts:
            h = _box_height(text)
            ax.add_patch(
                FancyBboxPatch(
                    (x, y - h),
                    _BOX_W,
                    h,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor=to_rgba(colour, 0.12),
                    edgecolor=colour,
                    linewidth=1.0,
                )
            )
            ax.text(
                x + _PAD,
                y - _PAD,
                text,
                ha="left",
                va="top",
                fontsize=_FONT,
                color=TEXT_COLOUR,
                linespacing=1.2,
            )
            y -= h + _BOX_GAP
        if i < n_cols - 1:
            y_mid = body_top - min(body_h, 1.2) / 2
            ax.annotate(
                "",
                xy=(x + _BOX_W + _COL_GAP - 0.06, y_mid),
                xytext=(x + _BOX_W + 0.06, y_mid),
                arrowprops={"arrowstyle": "-|>", "color": TEXT_COLOUR, "lw": 1.5},
            )

    y = body_top - body_h - 0.25
    for text, is_heading in footer:
        if is_heading and y < body_top - body_h - 0.3:
            y -= 0.08
        ax.text(
            _MARGIN,
            y,
            text,
            ha="left",
            va="top",
            fontsize=_FONT,
            fontweight="bold" if is_heading else "normal",
            color=TEXT_COLOUR,
        )
        y -= (text.count("\n") + 1) * _LINE_H + 0.04
    return fig


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chain_alt_text(chain: ResultChain, title: str | None = None) -> str:
    """Norwegian alt text that summarises the chain level by level."""
    intro = f"Resultatkjede for {title}" if title else "Resultatkjede"
    parts = [f"{intro} i {len(chain.levels)} nivåer, lest fra venstre mot høyre."]
    for level in chain.levels:
        n = len(level.elements)
        if n == 0:
            parts.append(f"{level.label}: ikke angitt.")
            continue
        items = "; ".join(_shorten(e.text) for e in level.elements)
        count = "1 element" if n == 1 else f"{n} elementer"
        parts.append(f"{level.label} ({count}): {items}.")
    if chain.assumptions:
        parts.append(f"Antakelser: {len(chain.assumptions)}.")
    if chain.preconditions:
        parts.append(f"Forutsetninger: {len(chain.preconditions)}.")
    if chain.reconstructed:
        parts.append("Kjeden er rekonstruert fra kildeteksten.")
    return " ".join(parts)


def chain_to_frame(chain: ResultChain) -> pd.DataFrame:
    """One row per element with the Norwegian level label and the element text."""
    rows = [
        {"level": level.label, "element": " ".join(e.text.split())}
        for level in chain.levels
        for e in level.elements
    ]
    return pd.DataFrame(rows, columns=["level", "element"])
