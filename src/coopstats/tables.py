"""Report tables: display strings with a caption and a footer, rendered as HTML or Markdown.

A :class:`Table` holds only display strings. Count tables are built with
:func:`build_count_table`, which passes the counts through :mod:`coopstats.disclosure` first.

Only ``_repr_html_`` is defined (no ``_repr_markdown_``), so Jupyter and Quarto use the HTML
representation; :meth:`Table.to_markdown` gives a pipe table for plain-text outputs.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from coopstats.disclosure import (
    DisclosureConfig,
    MaskRegistry,
    ShareAxis,
    is_small,
    protect,
)
from coopstats.formatting import HIDDEN, NIL, NOT_APPLICABLE, NOT_AVAILABLE
from coopstats.sdc import with_metadata

__all__ = ["ProtectedMarkdown", "Table", "build_count_table", "symbol_note"]


class ProtectedMarkdown:
    """Markdown text whose person counts come from the protected plan, with its metadata."""

    def __init__(self, text: str, disclosure: dict | list | None = None) -> None:
        self.data = text
        self.disclosure = disclosure

    def _repr_markdown_(self) -> str:
        return self.data

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_metadata({"text/markdown": self.data}, self.disclosure)

    def __str__(self) -> str:
        return self.data


_MD_LEADING = frozenset(":-+*#>")
_SHARE_NOTES = {
    "row": "Prosent av summen i raden.",
    "column": "Prosent av summen i kolonnen.",
    "total": "Prosent av totalen for hele tabellen.",
}


def _label(x: object) -> str:
    if isinstance(x, tuple):
        return " ".join(str(part) for part in x)
    return "" if x is None else str(x)


_NUMERIC_CELL = re.compile(r"^(ca\. )?[-+]?[\d\s\u00a0\u202f,.]*\d[\d\s\u00a0\u202f,.]*( ?%| år)?$")
_SYMBOLS = {HIDDEN, NOT_AVAILABLE, NIL, NOT_APPLICABLE}
#: Empty cells and dashes for "nothing here": they fit any column but make none numeric.
_PLACEHOLDERS = {"", "–", "—"}


#: Where a cell's text may wrap: ordinary spaces and line breaks (not no-break spaces), and
#: after a hyphen between letters («Resultatkjede-|nivå»).
_BREAKS = re.compile(r"[ \t\n]+|(?<=[^\W\d_]-)(?=[^\W\d_])")
#: A word this long or longer is hyphenated (Norwegian patterns in PDF, Word's automatic
#: hyphenation), so it needs room for a part of it only; numbers, dates and codes never are.
HYPHENATED_CHARS = 10.0
_PUNCTUATION = ".,:;()«»\"'"


def _words(text: str) -> list[str]:
    """The pieces of ``text`` a line cannot be broken inside."""
    return [w for w in _BREAKS.split(text) if w]


def _word_width(word: str) -> float:
    """Room a word needs on a line, in average characters: a long word of letters only can
    be hyphenated and needs :data:`HYPHENATED_CHARS` (TeX does not hyphenate a part of a
    compound written with a hyphen, so such parts need their whole width)."""
    width = _text_width(word)
    if word.strip(_PUNCTUATION).isalpha() and width > HYPHENATED_CHARS:
        return HYPHENATED_CHARS
    return width


#: The PDF's text block (A4, 2.5 cm margins) in points, the table font's average character
#: width (Latin Modern at 9 pt, digits 4.5 pt) and the padding of a column (2 × \tabcolsep);
#: Word's table text (10 pt, 0.19 cm cell margins on a text block of the same width) holds
#: about as much.
TEXT_WIDTH_PT = 453.0
#: The text block of a landscape A4 page with the same margins.
LANDSCAPE_WIDTH_PT = 700.0
CHAR_PT = 4.6
COLUMN_PADDING_PT = 12.0


#: Glyph widths in average characters (:data:`CHAR_PT`): capitals and wide signs take more
#: room than lower-case letters, points and narrow letters less.
_WIDE_GLYPHS = frozenset("%@mwMW—")
_NARROW_GLYPHS = frozenset(".,:;'!|()[]ilIjf\u00a0\u202f ")


def _text_width(text: str) -> float:
    """Width of ``text`` in average characters of the table font."""
    width = 0.0
    for ch in text:
        if ch in _WIDE_GLYPHS:
            width += 1.6
        elif ch in _NARROW_GLYPHS:
            width += 0.6
        elif ch.isupper():
            width += 1.4
        else:
            width += 1.0
    return width


def line_capacity(columns: int, width: float = TEXT_WIDTH_PT) -> float:
    """Characters of table text a line ``width`` points wide holds, once each column's
    padding is off."""
    return max(width - COLUMN_PADDING_PT * columns, CHAR_PT * columns) / CHAR_PT


#: Column widths are given in tenths of a percent: whole percents cannot always give every
#: column of a wide table the room its longest word needs.
_STEPS = 1000


def _percents(weights: list[float], floors: list[float]) -> list[float]:
    """Round weights to percents with one decimal summing to 100, none below its floor (a
    share of the line) where the floors leave room: tenths are added where rounding took
    most, and taken back where a column has most above its floor."""
    total = sum(weights)
    exact = [_STEPS * w / total for w in weights]
    least = [max(1, math.ceil(_STEPS * f - 1e-9)) for f in floors]
    if sum(least) > _STEPS:  # the words cannot all fit: no floors, the widest gives way
        least = [1] * len(weights)
    steps = [max(lo, math.floor(x)) for lo, x in zip(least, exact, strict=True)]
    while sum(steps) < _STEPS:
        j = max(range(len(steps)), key=lambda i: (exact[i] - steps[i], exact[i]))
        steps[j] += 1
    while sum(steps) > _STEPS:
        j = max(range(len(steps)), key=lambda i: (steps[i] - least[i], steps[i]))
        steps[j] -= 1
    return [n * 100 / _STEPS for n in steps]


#: Alignment attributes of a cell: text columns left, numeric columns right.
_ALIGN = {
    False: ' class="coopstats-text" style="text-align: left"',
    True: ' class="coopstats-num" style="text-align: right"',
}


def _is_numeric_cell(text: str) -> bool:
    """A formatted number, percent, interval or SSB symbol (right-aligned in tables)."""
    text = text.strip()
    if text in _SYMBOLS:
        return True
    return all(_NUMERIC_CELL.match(part.strip()) for part in text.split("–"))


def _is_numeric_column(cells: list[str]) -> bool:
    """Numbers and symbols only (placeholders allowed), and at least one of them."""
    filled = [c for c in cells if c.strip() not in _PLACEHOLDERS]
    return bool(filled) and all(_is_numeric_cell(c) for c in filled)


def _shows_index(frame: pd.DataFrame) -> bool:
    """False for a default ``RangeIndex`` without a name (nothing worth showing)."""
    return not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)


@dataclass
class Table:
    """A finished table: title, display-string frame, population, source, notes and stamp."""

    title: str
    frame: pd.DataFrame
    population: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)
    stamp: str | None = None
    #: Disclosure metadata of the person-level figures shown (see :mod:`coopstats.sdc`).
    disclosure: dict | list | None = None
    #: Show the title as a visible ``<caption>`` (off: the cell's ``tbl-cap``/``title`` is the
    #: caption; the title is always the table's accessible name).
    show_caption: bool = False
    #: Registry provenance behind the rows (internal ids and lines): a ``data-provenance``
    #: attribute for auditors, never visible text (readers get citations).
    provenance: list = field(default_factory=list)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_metadata({"text/html": self._repr_html_()}, self.disclosure)

    def footer_lines(self) -> list[str]:
        """Footer lines in order: population, source, notes (stamp not included)."""
        lines = []
        if self.population:
            lines.append(f"Populasjon: {self.population}")
        if self.source:
            lines.append(f"Kilde: {self.source}")
        lines.extend(str(n) for n in self.notes if n)
        return lines

    def _index_width(self) -> int:
        """How many leading row-header columns are shown (one per index level, or none)."""
        return self.frame.index.nlevels if _shows_index(self.frame) else 0

    def _header(self) -> list[str]:
        head = [_label(c) for c in self.frame.columns]
        if self._index_width():
            # One named column per index level: a MultiIndex (e.g. model, core element) is
            # never run together under one empty header.
            head[:0] = [_label(name) for name in self.frame.index.names]
        return head

    def _rows(self) -> list[list[str]]:
        width = self._index_width()
        rows = []
        for label, values in zip(self.frame.index, self.frame.itertuples(index=False), strict=True):
            cells = ["" if v is None else str(v) for v in values]
            if width:
                parts = label if isinstance(label, tuple) else (label,)
                cells[:0] = [_label(part) for part in parts]
            rows.append(cells)
        return rows

    def _numeric_columns(self) -> list[bool]:
        """Per displayed column: does it hold only numbers and symbols? (row headers: no)"""
        rows = self._rows()
        flags = [_is_numeric_column([r[k] for r in rows]) for k in range(len(self._header()))]
        for k in range(self._index_width()):
            flags[k] = False
        return flags

    def _word_room(self) -> tuple[list[float], list[float]]:
        """Per column: characters it needs (its longest unbreakable word, by
        :func:`_text_width`, plus one) and characters it would like (up to 30 of its longest
        cell)."""
        header = self._header()
        rows = [list(map(str, r)) for r in self._rows()]
        need, want = [], []
        for j, h in enumerate(header):
            cells = [r[j] for r in rows]
            longest = max((len(c) for c in cells), default=0)
            word = max((_word_width(w) for t in [str(h), *cells] for w in _words(t)), default=1)
            need.append(max(word, 3.0) + 1)
            want.append(max(need[-1], min(longest, 30), 4))
        return need, want

    def is_wide(self) -> bool:
        """Whether the table's words do not fit across a portrait page.

        Such a table is set on a landscape page in PDF and Word (class ``coopstats-wide``,
        ``styles/tabeller.lua``) and its column widths are measured against that page.
        """
        need, _ = self._word_room()
        return sum(need) > line_capacity(len(need))

    def column_widths(self) -> list[float]:
        """Column widths in percent (one decimal, summing to 100) from the text each column
        holds.

        A column cannot wrap inside a word or a number with its unit («54–86 %» is joined by
        no-break spaces), so each column first gets room for its longest such unit, measured
        against what a line of the page holds (:func:`line_capacity`, landscape for a wide
        table); the room left is shared in proportion to how much more each column would like
        (up to 30 characters of its longest cell), so long text wraps and short columns never
        overflow. A table whose words do not fit even a landscape line gets widths in
        proportion to its words.
        """
        need, want = self._word_room()
        width = LANDSCAPE_WIDTH_PT if self.is_wide() else TEXT_WIDTH_PT
        capacity = line_capacity(len(need), width)
        if sum(want) <= capacity:
            weights = [float(w) for w in want]
        elif sum(need) >= capacity:
            weights = [float(n) for n in need]
        else:
            extra = capacity - sum(need)
            more = sum(w - n for w, n in zip(want, need, strict=True))
            weights = [n + extra * (w - n) / more for w, n in zip(want, need, strict=True)]
        room = max(capacity, float(sum(need)))
        return _percents(weights, floors=[n / room for n in need])

    def _repr_html_(self) -> str:
        """The table in a keyboard-focusable scroll region, without a visible caption.

        The caption comes from the cell (Quarto's ``tbl-cap``, a dashboard card's ``title``,
        or the nbconvert fallback's caption line), so the table itself carries its title only
        as the accessible name (``aria-label``), unless :attr:`show_caption` asks for a
        ``<caption>`` (for a notebook cell without ``tbl-cap`` or ``title``). Header cells have
        ``scope``; numeric columns (numbers, percents, intervals, SSB symbols) are
        right-aligned and text columns left-aligned, by class and inline style so that pages
        without the coopstats stylesheet (nbconvert, JupyterLab) align them the same way.
        """
        esc = html.escape
        title = esc(self.title)
        index_width = self._index_width()
        numeric = self._numeric_columns()

        def align(num: bool) -> str:
            return _ALIGN[num]

        audit = ""
        if self.provenance:
            from coopstats.sources import provenance_attribute

            audit = " " + provenance_attribute(self.provenance)
        out = [
            f'<div class="coopstats-table-wrap" tabindex="0" role="region" aria-label="{title}"'
            f' style="overflow-x: auto; max-width: 100%"{audit}>',
            f'<table class="coopstats-table{" coopstats-wide" if self.is_wide() else ""}"'
            f' aria-label="{title}">',
        ]
        if self.show_caption:
            out.append(f"<caption>{title}</caption>")
        # relative column widths: Pandoc wraps text in them, so a wide table fits the page
        # in PDF and Word instead of running off its edge
        cols = "".join(f'<col style="width: {w:g}%">' for w in self.column_widths())
        out.append(f"<colgroup>{cols}</colgroup>")
        head = "".join(
            f'<th scope="col"{align(num)}>{esc(h)}</th>'
            for h, num in zip(self._header(), numeric, strict=True)
        )
        out += ["<thead>", f"<tr>{head}</tr>", "</thead>", "<tbody>"]
        for row in self._rows():
            cells = [
                f'<th scope="row"{align(num)}>{esc(v)}</th>'
                if k < index_width
                else f"<td{align(num)}>{esc(v)}</td>"
                for k, (v, num) in enumerate(zip(row, numeric, strict=True))
            ]
            out.append(f"<tr>{''.join(cells)}</tr>")
        out += ["</tbody>", "</table>", "</div>"]
        footer = [esc(line) for line in self.footer_lines()]
        if self.stamp:
            footer.append(f"<strong>{esc(self.stamp)}</strong>")
        if footer:
            out.append(f'<p class="coopstats-table-notes">{"<br>".join(footer)}</p>')
        return "\n".join(out)

    def to_markdown(self) -> str:
        """Bold title, pipe table, then the footer lines (stamp in bold) as paragraphs."""

        def cell(text: str) -> str:
            return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        def paragraph(text: str) -> str:
            # A leading ":" would make Pandoc read a table caption, "-" a list item.
            text = cell(text)
            return "\\" + text if text[:1] in _MD_LEADING else text

        header = self._header()
        align = ["---:" if num else ":---" for num in self._numeric_columns()]
        lines = [
            f"**{cell(self.title)}**",
            "",
            "| " + " | ".join(cell(h) for h in header) + " |",
            "|" + "|".join(align) + "|",
        ]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self._rows()]
        footer = [paragraph(line) for line in self.footer_lines()]
        if self.stamp:
            footer.append(f"**{cell(self.stamp)}**")
        for line in footer:
            lines += ["", line]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        parts = [self.title, self.frame.to_string(index=_shows_index(self.frame))]
        parts += self.footer_lines()
        if self.stamp:
            parts.append(self.stamp)
        return "\n".join(parts)


def symbol_note(min_count: int, *, secondary: bool = False) -> str:
    """The footnote explaining ``:``; ``secondary`` adds the sentence on secondary suppression."""
    note = f"{HIDDEN} = skjult av personvernhensyn (færre enn {min_count} personer)"
    if secondary:
        note += ". Noen større tall er også skjult, slik at de små ikke kan regnes ut fra summene"
    return note + "."


def build_count_table(
    counts: pd.DataFrame,
    config: DisclosureConfig,
    *,
    title: str,
    population: str = "",
    source: str = "",
    notes: Iterable[str] = (),
    population_id: str | None = None,
    masks: MaskRegistry | None = None,
    shares: ShareAxis | None = None,
    total_label: str = "I alt",
) -> Table:
    """Protect ``counts`` (rows x columns, no margins) and return a finished :class:`Table`.

    Margins (``total_label``) are added from the true counts. With ``shares`` each column ``c``
    is followed by a percent column: the columns become ``"c, antall"`` and ``"c, prosent"``
    (interleaved), and a note says what the percentages are of. A note explains ``:`` when
    something is hidden and ``-`` when a zero is shown; ``config.stamp`` becomes the stamp.
    """
    protected = protect(
        counts, config, population_id=population_id, masks=masks, total_label=total_label
    )
    shown = protected.display()
    frame = shown
    if shares is not None:
        pct = protected.shares(shares)
        pieces = {}
        for col in shown.columns:
            pieces[f"{col}, antall"] = shown[col]
            pieces[f"{col}, prosent"] = pct[col]
        frame = pd.DataFrame(pieces, index=shown.index, dtype=object)
        frame.columns.name = shown.columns.name

    all_notes = [str(n) for n in notes]
    if shares is not None:
        all_notes.append(_SHARE_NOTES[shares])
    hidden = protected.hidden.to_numpy()
    if hidden.any():
        values = protected.counts.to_numpy()
        secondary = any(not is_small(int(v), config) for v in values[hidden])
        all_notes.append(symbol_note(config.min_count, secondary=secondary))
    if (frame.to_numpy() == NIL).any():
        all_notes.append(f"{NIL} = null (ingen personer).")
    return Table(
        title=title,
        frame=frame,
        population=population,
        source=source,
        notes=all_notes,
        stamp=config.stamp,
    )
