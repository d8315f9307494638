"""Report tables: HTML and Markdown output, and count tables built through disclosure control."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from coopstats.disclosure import DisclosureConfig, MaskRegistry
from coopstats.formatting import HIDDEN, NIL
from coopstats.tables import Table, build_count_table, symbol_note


class _Collect(HTMLParser):
    """Collects the text of each element type, and checks that tags are balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.classes: list[tuple[str, str]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("br", "col"):  # void elements
            self.stack.append(tag)
        self.elements.append((tag, dict(attrs)))
        for name, value in attrs:
            if name == "class":
                self.classes.append((tag, value))

    def attrs(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag]

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data):
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)


def parse(html_text: str) -> _Collect:
    parser = _Collect()
    parser.feed(html_text)
    parser.close()
    assert parser.stack == []
    return parser


@pytest.fixture
def table() -> Table:
    frame = pd.DataFrame(
        {"Antall": ["12", "<b>5</b>"], "Andel": ["40 %", "A & B"]},
        index=pd.Index(["Oslo", "Vestland"], name="Fylke"),
    )
    return Table(
        title="Deltakere <per> fylke",
        frame=frame,
        population="Alle inntatte deltakere",
        source="Registerdata",
        notes=["Første note", "a < b"],
        stamp="Gjengir publiserte tall",
    )


def test_html_has_header_cells_and_footer_and_no_visible_caption(table):
    out = table._repr_html_()
    parsed = parse(out)
    # Quarto (tbl-cap), a dashboard card (title) or the fallback's caption line gives the
    # caption: the table must not add a second one.
    assert "caption" not in parsed.text and "<caption" not in out
    assert parsed.text["th"] == ["Fylke", "Antall", "Andel", "Oslo", "Vestland"]
    assert parsed.text["td"] == ["12", "40 %", "<b>5</b>", "A & B"]
    assert ("p", "coopstats-table-notes") in parsed.classes
    assert parsed.text["p"] == [
        "Populasjon: Alle inntatte deltakere",
        "Kilde: Registerdata",
        "Første note",
        "a < b",
    ]
    assert parsed.text["strong"] == ["Gjengir publiserte tall"]


def test_html_title_is_the_accessible_name_of_table_and_region(table):
    parsed = parse(table._repr_html_())
    assert [t["aria-label"] for t in parsed.attrs("table")] == ["Deltakere <per> fylke"]
    wraps = [d for d in parsed.attrs("div") if d.get("class") == "coopstats-table-wrap"]
    assert len(wraps) == 1
    assert wraps[0]["aria-label"] == "Deltakere <per> fylke"  # escaped in source, text intact


def test_html_wraps_the_table_in_a_focusable_scroll_region(table):
    out = table._repr_html_()
    assert out.startswith('<div class="coopstats-table-wrap" tabindex="0" role="region"')
    parsed = parse(out)
    tags = [tag for tag, _ in parsed.elements]
    assert tags[:2] == ["div", "table"]  # the table sits directly in the region
    wrap = parsed.attrs("div")[0]
    assert (wrap["tabindex"], wrap["role"]) == ("0", "region")
    assert "overflow-x: auto" in wrap["style"]  # scrolls without the stylesheet too
    # the notes stay outside the scroll region, so they wrap with the page
    assert out.index("</div>") < out.index('<p class="coopstats-table-notes">')


def test_html_caption_only_when_asked(table):
    table.show_caption = True
    parsed = parse(table._repr_html_())
    assert parsed.text["caption"] == ["Deltakere <per> fylke"]
    assert table._repr_html_().count("<caption") == 1


def test_html_header_cells_have_scope(table):
    parsed = parse(table._repr_html_())
    scopes = [(a.get("scope")) for a in parsed.attrs("th")]
    assert scopes == ["col", "col", "col", "row", "row"]
    # every body row starts with its row header, then data cells
    body = table._repr_html_().split("<tbody>")[1]
    assert all(
        row.startswith('<tr><th scope="row"') for row in body.split("\n") if row.startswith("<tr>")
    )


def test_html_aligns_text_left_and_numbers_right():
    frame = pd.DataFrame(
        {
            "Antall": ["1\u00a0234", ":", "-"],
            "Andel": ["ca. 40\u00a0%", "12–45\u00a0%", ".."],
            "Merknad": ["x", "", "y"],
            "Mål": ["–", "", "–"],  # only placeholders: text, left
            "Alder": ["45 år", ".", "–"],
        },
        index=pd.Index(["Oslo", "Vestland", "I alt"], name="Fylke"),
    )
    parsed = parse(Table(title="T", frame=frame)._repr_html_())
    left = ("coopstats-text", "text-align: left")
    right = ("coopstats-num", "text-align: right")
    expected = [left, right, right, left, left, right]
    heads = [(a["class"], a["style"]) for a in parsed.attrs("th") if a["scope"] == "col"]
    assert heads == expected  # a header is aligned with its column
    rows = [a for a in parsed.attrs("th") if a["scope"] == "row"]
    assert {(a["class"], a["style"]) for a in rows} == {left}
    cells = [(a["class"], a["style"]) for a in parsed.attrs("td")]
    assert cells == expected[1:] * 3


def test_multiindex_levels_get_their_own_named_columns():
    index = pd.MultiIndex.from_tuples(
        [("Modell A", "Element 1"), ("Modell A", "Element 2")], names=["Modell", "Kjerneelement"]
    )
    t = Table(title="T", frame=pd.DataFrame({"Tilpasning": ["Ingen", "Mindre"]}, index=index))
    parsed = parse(t._repr_html_())
    assert parsed.text["th"] == [
        "Modell", "Kjerneelement", "Tilpasning",
        "Modell A", "Element 1", "Modell A", "Element 2",
    ]  # fmt: skip
    assert [a["scope"] for a in parsed.attrs("th")] == ["col"] * 3 + ["row"] * 4
    assert "Modell A Element 1" not in t._repr_html_()
    assert t.to_markdown().splitlines()[2:5] == [
        "| Modell | Kjerneelement | Tilpasning |",
        "|:---|:---|:---|",
        "| Modell A | Element 1 | Ingen |",
    ]


def test_html_escapes_markup(table):
    out = table._repr_html_()
    assert "<b>" not in out
    assert "&lt;b&gt;5&lt;/b&gt;" in out
    assert "A &amp; B" in out
    assert "&lt;per&gt;" in out


def test_html_structure_order(table):
    out = table._repr_html_()
    tags = ("<div ", "<table ", "<thead>", "<tbody>", "</table>", "</div>", "<p ")
    positions = [out.index(tag) for tag in tags]
    assert positions == sorted(positions)


def test_no_markdown_repr_so_jupyter_uses_html(table):
    assert not hasattr(table, "_repr_markdown_")


def test_default_range_index_is_not_shown():
    t = Table(title="T", frame=pd.DataFrame({"Indikator": ["a"], "Verdi": ["1"]}))
    assert parse(t._repr_html_()).text["th"] == ["Indikator", "Verdi"]
    assert "coopstats-table-notes" not in t._repr_html_()  # nothing to put in the footer
    assert t.to_markdown().splitlines()[2] == "| Indikator | Verdi |"


def test_markdown(table):
    md = table.to_markdown()
    lines = md.splitlines()
    assert lines[0] == "**Deltakere <per> fylke**"
    assert lines[2] == "| Fylke | Antall | Andel |"
    # Both value columns hold some text, so every column is left-aligned.
    assert lines[3] == "|:---|:---|:---|"
    assert lines[4] == "| Oslo | 12 | 40 % |"
    for text in ("Populasjon: Alle inntatte deltakere", "Kilde: Registerdata", "a < b"):
        assert text in lines
    assert lines[-1] == "**Gjengir publiserte tall**"


def test_markdown_escapes_pipes_and_leading_symbols():
    t = Table(
        title="T",
        frame=pd.DataFrame({"a|b": ["x|y"]}),
        notes=[": = skjult", "- = null"],
    )
    md = t.to_markdown()
    assert "| a\\|b |" in md and "| x\\|y |" in md
    assert "\\: = skjult" in md.splitlines()  # not a Pandoc table caption
    assert "\\- = null" in md.splitlines()  # not a list item


def test_plain_repr(table):
    text = repr(table)
    assert text.splitlines()[0] == "Deltakere <per> fylke"
    assert "Vestland" in text and "Kilde: Registerdata" in text
    assert text.splitlines()[-1] == "Gjengir publiserte tall"


COUNTS = pd.DataFrame(
    [[2, 1, 0], [10, 12, 8]],
    index=pd.Index(["Kvinne", "Mann"], name="Kjønn"),
    columns=["15–29", "30–44", "45+"],
)


def test_build_count_table_hides_small_cells_and_explains_symbols():
    t = build_count_table(
        COUNTS,
        DisclosureConfig(),
        title="Deltakere etter kjønn og alder",
        population="Alle",
        source="Register",
        notes=["Alder ved inntak."],
    )
    assert list(t.frame.columns) == ["15–29", "30–44", "45+", "I alt"]
    assert list(t.frame.index) == ["Kvinne", "Mann", "I alt"]
    assert t.frame.loc["Kvinne"].tolist() == [HIDDEN, HIDDEN, NIL, HIDDEN]
    assert t.frame.loc["I alt"].tolist() == ["12", "13", "8", "33"]
    assert t.notes[0] == "Alder ved inntak."
    assert symbol_note(5, secondary=True) in t.notes
    assert any(
        n.startswith(": = skjult av personvernhensyn (færre enn 5 personer)") for n in t.notes
    )
    assert any(n.startswith(f"{NIL} = null") for n in t.notes)
    assert t.stamp is None
    assert (t.population, t.source) == ("Alle", "Register")
    html_text = t._repr_html_()
    assert "færre enn 5 personer" in html_text and "<strong>" not in html_text


def test_build_count_table_symbol_note_only_when_needed():
    big = COUNTS + 10
    t = build_count_table(big, DisclosureConfig(), title="T")
    assert HIDDEN not in set(t.frame.to_numpy().ravel())
    assert not any("personvern" in n for n in t.notes)
    assert not any(n.startswith(NIL) for n in t.notes)
    # Only primary suppression needed? Then no sentence about larger numbers.
    assert "større" not in symbol_note(3)
    assert symbol_note(3) == ": = skjult av personvernhensyn (færre enn 3 personer)."


def test_build_count_table_min_count_is_in_the_note():
    t = build_count_table(COUNTS, DisclosureConfig(min_count=2), title="T")
    assert any("færre enn 2 personer" in n for n in t.notes)
    assert t.frame.loc["Kvinne", "30–44"] == HIDDEN
    assert t.frame.loc["Kvinne", "I alt"] == "3"  # 3 is not small when min_count is 2


def test_build_count_table_reproduce_published_stamp():
    config = DisclosureConfig(reproduce_published=True)
    t = build_count_table(COUNTS, config, title="T")
    assert t.stamp == config.stamp
    assert t.frame.loc["Kvinne"].tolist() == ["2", "1", NIL, "3"]
    assert f"<strong>{config.stamp}</strong>" in t._repr_html_()
    assert t.to_markdown().splitlines()[-1] == f"**{config.stamp}**"


def test_build_count_table_with_shares_interleaves_columns():
    t = build_count_table(COUNTS, DisclosureConfig(), title="T", shares="column")
    assert list(t.frame.columns) == [
        "15–29, antall", "15–29, prosent", "30–44, antall", "30–44, prosent",
        "45+, antall", "45+, prosent", "I alt, antall", "I alt, prosent",
    ]  # fmt: skip
    assert t.frame.loc["Mann", "45+, antall"] == "8"
    assert t.frame.loc["Mann", "45+, prosent"] == "100\xa0%"
    assert t.frame.loc["Mann", "15–29, prosent"] == HIDDEN  # same mask as the count
    assert t.frame.loc["I alt", "15–29, prosent"] == "100\xa0%"
    assert "Prosent av summen i kolonnen." in t.notes
    assert t.frame.columns.name is None or t.frame.columns.name == COUNTS.columns.name


def test_build_count_table_uses_the_population_mask():
    masks = MaskRegistry()
    build_count_table(COUNTS, DisclosureConfig(), title="A", population_id="p", masks=masks)
    big = COUNTS + 10
    t = build_count_table(big, DisclosureConfig(), title="B", population_id="p", masks=masks)
    assert t.frame.loc["Kvinne", "15–29"] == HIDDEN
    assert any("personvern" in n for n in t.notes)


def test_numeric_columns_are_right_aligned():
    frame = pd.DataFrame(
        {"Antall": ["1\u00a0234", ":"], "Andel": ["ca. 40 %", "12–45 %"], "Merknad": ["x", ""]},
        index=pd.Index(["Oslo", "Vestland"], name="Fylke"),
    )
    table = Table(title="T", frame=frame)
    assert table.to_markdown().splitlines()[3] == "|:---|---:|---:|:---|"
    html_out = table._repr_html_()
    # two numeric columns: their headers and two cells each
    assert html_out.count('class="coopstats-num" style="text-align: right"') == 6


def test_column_widths_fit_the_page_and_follow_the_text() -> None:
    frame = pd.DataFrame(
        {
            "Læringspunkt": ["Forankring, planlegging og rolleavklaring i begge etatene"] * 3,
            "NAV Oslo": ["Intervju (positiv)", "-", "Dokument"],
            "N": ["1", "2", "3"],
        }
    ).set_index("Læringspunkt")
    table = Table(title="Bred tabell", frame=frame)
    widths = table.column_widths()
    assert round(sum(widths), 6) == 100 and len(widths) == 3
    # the long text column gets the most room, the number column the least
    assert widths[0] > widths[1] > widths[2] > 0
    parser = _Collect()
    parser.feed(table._repr_html_())
    styles = [a["style"] for a in parser.attrs("col")]
    assert styles == [f"width: {w:g}%" for w in widths]


# ----------------------------------------------------------------- column widths on the page

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from coopstats import tables as tables_mod  # noqa: E402

_WORDS = st.sampled_from(
    [
        "Intervju",
        "(positiv)",
        "opplæringskoordinatorene",
        "Resultatkjede-nivå",
        "54–86\u00a0%",
        "1.1.2025–30.6.2026",
        "GOV.REL.L1",
        "NAV",
        "..",
        "12",
        "og",
        "Møre",
    ]
)
_CELLS = st.lists(_WORDS, min_size=0, max_size=6).map(" ".join)


@st.composite
def _frames(draw) -> pd.DataFrame:
    ncol = draw(st.integers(1, 10))
    nrow = draw(st.integers(1, 5))
    columns = [draw(_CELLS) or f"K{j}" for j in range(ncol)]
    data = {f"{c}#{j}": [draw(_CELLS) for _ in range(nrow)] for j, c in enumerate(columns)}
    frame = pd.DataFrame(data)
    frame.columns = columns
    return frame


def _room(table: Table) -> tuple[list[float], float]:
    """Each column's need (longest unbreakable piece + 1) and the line it is measured on,
    recomputed here from the rules in the docstring, not from the code under test."""
    need = []
    for j, head in enumerate(table._header()):
        texts = [str(head)] + [str(r[j]) for r in table._rows()]
        widest = 0.0
        for text in texts:
            for piece in tables_mod._words(text):
                w = tables_mod._text_width(piece)
                if piece.strip(tables_mod._PUNCTUATION).isalpha():
                    w = min(w, tables_mod.HYPHENATED_CHARS)
                widest = max(widest, w)
        need.append(max(widest, 3.0) + 1)
    return need, tables_mod.CHAR_PT


@settings(max_examples=150, deadline=None)
@given(_frames())
def test_every_column_gets_room_for_its_longest_unbreakable_piece(frame) -> None:
    """On the page the table is set on (portrait, or landscape when wide), a column's share
    of the line is at least what its longest word or number needs, whenever the words fit
    that line at all; the widths are whole percents summing to 100."""
    table = Table(title="T", frame=frame)
    widths = table.column_widths()
    assert round(sum(widths), 6) == 100 and len(widths) == frame.shape[1] and min(widths) > 0
    need, char_pt = _room(table)
    portrait = (tables_mod.TEXT_WIDTH_PT - tables_mod.COLUMN_PADDING_PT * len(need)) / char_pt
    landscape = (tables_mod.LANDSCAPE_WIDTH_PT - tables_mod.COLUMN_PADDING_PT * len(need)) / char_pt
    assert table.is_wide() == (sum(need) > portrait)
    line = landscape if table.is_wide() else portrait
    if sum(need) <= line:
        for j, (w, n) in enumerate(zip(widths, need, strict=True)):
            assert w / 100 * line >= n - 0.5, (j, widths, need, line)


def test_numbers_with_units_and_dates_do_not_break_but_long_words_hyphenate() -> None:
    assert tables_mod._words("54–86\u00a0%") == ["54–86\u00a0%"]  # no-break space holds
    assert tables_mod._words("Resultatkjede-nivå og mer") == ["Resultatkjede-", "nivå", "og", "mer"]
    assert tables_mod._words("1.1.2025–30.6.2026") == ["1.1.2025–30.6.2026"]
    # a long word of letters needs room for a hyphenated part only; a code or date its whole
    assert tables_mod._word_width("opplæringskoordinatorene") == tables_mod.HYPHENATED_CHARS
    assert tables_mod._word_width("1.1.2025–30.6.2026") > tables_mod.HYPHENATED_CHARS
    assert tables_mod._word_width("Resultatkjede-") > tables_mod.HYPHENATED_CHARS
    # capitals are wider than lower case
    assert tables_mod._text_width("GOV") > tables_mod._text_width("gov")


def test_a_table_too_wide_for_portrait_is_marked_for_landscape() -> None:
    counties = ["Øst-Viken", "Møre og Romsdal", "Innlandet", "Vestfold og Telemark", "Vestland"]
    counties += ["Oslo", "Trøndelag", "Vest-Viken"]
    frame = pd.DataFrame(
        {f"NAV {c}": ["Intervju, aktivitetstall (positiv)"] * 2 for c in counties}
        | {"Læringspunkt": ["Forankring, planlegging og rolleavklaring"] * 2}
    ).set_index("Læringspunkt")
    wide = Table(title="Bred", frame=frame)
    narrow = Table(title="Smal", frame=frame.iloc[:, :2])
    assert wide.is_wide() and not narrow.is_wide()
    assert 'class="coopstats-table coopstats-wide"' in wide._repr_html_()
    assert 'class="coopstats-table"' in narrow._repr_html_()
