"""The texts a deliverer reads: grouped report lines, the HTML report, the encoding hints.

Every expected text here is written out by hand (the messages are the behaviour: a deliverer
acts on them). The inputs are small hand-made problems and files, so the tests run fast.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from coopstats.validate import (
    EXAMPLES,
    Problem,
    format_problems,
    format_report,
    group_problems,
    html_report,
    read_raw,
)

IMPORT_HINT = "bruk `coopstats import`, som gjør DD.MM.ÅÅÅÅ om til ÅÅÅÅ-MM-DD"
ISO = "dato på formen ÅÅÅÅ-MM-DD"
NOW = datetime(2024, 3, 5, 9, 7)
CONTRACT_FILES = ["participants", "spells", "activity_log", "reported_figures", "segments"]


# --------------------------------------------------------------------------- a small DOM


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def inner(self) -> str:
        """The content as markup (tags without attributes), to see <code> spans."""
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else f"<{c.tag}>{c.inner()}</{c.tag}>")
        return "".join(out)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def find_all(self, tag: str) -> list[Node]:
        found = []
        for c in self.elements():
            if c.tag == tag:
                found.append(c)
            found.extend(c.find_all(tag))
        return found


class _Builder(HTMLParser):
    VOID = {"meta", "br", "link", "img"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.declarations: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


#: Elements that hold no text of their own (only other elements and line breaks).
STRUCTURE = {"#root", "html", "head", "body", "table", "thead", "tbody", "tr"}


def check_structure(node: Node) -> None:
    for child in node.children:
        if isinstance(child, str):
            assert node.tag not in STRUCTURE or not child.strip(), f"text {child!r} in {node.tag}"
        else:
            check_structure(child)


def parse(page: str) -> Node:
    """The page as a tree; it must be well formed, with no stray text or control characters."""
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", page), "control character in the page"
    builder = _Builder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    assert builder.declarations == ["DOCTYPE html"]
    check_structure(builder.root)
    return builder.root


def sections(page: str) -> list[tuple[str, list[list[str]] | str]]:
    """``[(h2 text, table rows as cell texts | the paragraph's text)]`` in page order."""
    body = parse(page).find_all("body")[0]
    out: list[tuple[str, list[list[str]] | str]] = []
    elements = body.elements()
    for i, node in enumerate(elements):
        if node.tag != "h2":
            continue
        following = elements[i + 1]
        if following.tag == "table":
            rows = [[td.text() for td in tr.find_all("td")] for tr in following.find_all("tr")]
            out.append((node.text(), [r for r in rows if r]))
        else:
            assert following.tag == "p"
            out.append((node.text(), following.text()))
    return out


def table_cells(page: str, file: str) -> list[list[Node]]:
    body = parse(page).find_all("body")[0]
    elements = body.elements()
    for i, node in enumerate(elements):
        if node.tag == "h2" and node.text().split(" ")[0] == file:
            return [tr.find_all("td") for tr in elements[i + 1].find_all("tr")][1:]
    raise AssertionError(f"no section for {file}")


def header(file: str, column: str, kind: str, hint: str | None = None, row: int | None = None):
    """A problem of the header row (``row`` 1 for a duplicate name)."""
    return Problem(file, row, column, None, "en kolonne i kontrakten", hint, kind)


def dmy(row: int, value: str) -> Problem:
    return Problem("participants.csv", row, "intake_date", value, ISO, IMPORT_HINT, "dmy_date")


def empty_row(row: int, file: str = "participants.csv") -> Problem:
    return Problem(
        file,
        row,
        None,
        None,
        "ingen rader med bare tomme celler",
        "slett radene, eller bruk `coopstats import`, som fjerner dem",
        "empty_row",
    )


# --------------------------------------------------------------------------- the HTML page


def test_html_page_head_title_heading_and_stamp():
    page = html_report("/data/leveranse 2024", [], now=NOW)
    root = parse(page)
    [html_node] = root.find_all("html")
    assert html_node.attrs == {"lang": "nb"}
    metas = [m.attrs for m in root.find_all("meta")]
    assert {"charset": "utf-8"} in metas
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in metas
    assert [t.text() for t in root.find_all("title")] == ["Validering av leveranse 2024"]
    assert [h.text() for h in root.find_all("h1")] == ["Validering av leveransen leveranse 2024"]
    intro = root.find_all("p")[0]
    assert " ".join(intro.text().split()) == (
        "Mappe: /data/leveranse 2024. Kontrollert 05.03.2024 kl. 09.07 med coopstats "
        "0.1.0 mot datakontrakten (data/README.md). Radnumrene er linjer i CSV-filen; "
        "overskriftsraden er linje 1."
    )
    assert [c.text() for c in intro.find_all("code")] == ["/data/leveranse 2024"]


def test_html_stamp_pads_day_month_hour_and_minute():
    page = html_report("d", [], now=datetime(2025, 11, 30, 23, 59, 58))
    assert "Kontrollert 30.11.2025 kl. 23.59 med" in page
    page = html_report("d", [], now=datetime(2025, 1, 2, 3, 4))
    assert "Kontrollert 02.01.2025 kl. 03.04 med" in page


def test_html_stamp_defaults_to_now():
    before = datetime.now()
    page = html_report("d", [])
    after = datetime.now()
    stamps = {f"{t:%d.%m.%Y kl. %H.%M}" for t in (before, after)}
    found = re.search(r"Kontrollert (\d\d\.\d\d\.\d{4} kl\. \d\d\.\d\d) med", page)
    assert found and found.group(1) in stamps


def test_html_escapes_the_directory_name_and_path():
    page = html_report("/x/<a&b>", [], now=NOW)
    assert "<title>Validering av &lt;a&amp;b&gt;</title>" in page
    assert "<h1>Validering av leveransen &lt;a&amp;b&gt;</h1>" in page
    assert "Mappe: <code>/x/&lt;a&amp;b&gt;</code>." in page
    root = parse(page)
    assert root.find_all("title")[0].text() == "Validering av <a&b>"


def test_html_clean_delivery_says_so_for_every_file():
    page = html_report("d", [], {"participants": 66, "spells": 0}, now=NOW)
    root = parse(page)
    summary = [p for p in root.find_all("p") if p.attrs.get("class")]
    assert [(p.attrs["class"], p.text()) for p in summary] == [
        ("ok", "Leveransen følger datakontrakten.")
    ]
    assert sections(page) == [
        ("participants.csv (66 rader)", "Ingen problemer."),
        ("spells.csv (0 rader)", "Ingen problemer."),
        ("activity_log.csv", "Ingen problemer."),
        ("reported_figures.csv", "Ingen problemer."),
        ("segments.csv", "Ingen problemer."),
    ]
    assert "<table" not in page


def test_html_without_row_counts_names_the_files_only():
    page = html_report("d", [], None, now=NOW)
    assert [h for h, _ in sections(page)] == [f"{f}.csv" for f in CONTRACT_FILES]


def test_html_summary_one_problem_one_group():
    page = html_report("d", [dmy(2, "21.08.2023")], now=NOW)
    [summary] = [p for p in parse(page).find_all("p") if p.attrs.get("class")]
    assert summary.attrs == {"class": "feil"}
    assert summary.text() == (
        "1 problem funnet, samlet i 1 gruppe per fil og kolonne. Leveransen kan ikke brukes "
        "før de er rettet."
    )


def test_html_summary_several_problems_and_groups():
    problems = [dmy(2, "21.08.2023"), dmy(3, "22.08.2023"), empty_row(68)]
    page = html_report("d", problems, now=NOW)
    [summary] = [p for p in parse(page).find_all("p") if p.attrs.get("class")]
    assert summary.attrs == {"class": "feil"}
    assert summary.text() == (
        "3 problemer funnet, samlet i 2 grupper per fil og kolonne. Leveransen kan ikke "
        "brukes før de er rettet."
    )


def test_html_table_header_and_rows():
    problems = [
        dmy(2, "21.08.2023"),
        dmy(3, "22.08.2023"),
        dmy(4, "21.08.2023"),
        empty_row(68),
        empty_row(69),
        empty_row(70),
        empty_row(72),
        Problem(
            "spells.csv",
            None,
            None,
            None,
            "komma som skilletegn",
            "filen ser ut til å bruke semikolon som skilletegn – bruk `coopstats import`",
            "separator",
        ),
    ]
    page = html_report("d", problems, {"participants": 66, "spells": 12}, now=NOW)
    root = parse(page)
    heads = [[th.text() for th in tr.find_all("th")] for tr in root.find_all("thead")]
    assert heads == [["Hvor", "Antall", "Hva er galt", "Første eksempler", "Råd"]] * 2
    assert all(th.attrs == {"scope": "col"} for th in root.find_all("th"))
    assert sections(page) == [
        (
            "participants.csv (66 rader)",
            [
                [
                    "kolonne intake_date",
                    "3",
                    "3 verdier i formatet DD.MM.ÅÅÅÅ – forventet dato på formen ÅÅÅÅ-MM-DD",
                    "rad 2 '21.08.2023'; rad 3 '22.08.2023'; rad 4 '21.08.2023'",
                    "bruk coopstats import, som gjør DD.MM.ÅÅÅÅ om til ÅÅÅÅ-MM-DD",
                ],
                [
                    "rader",
                    "4",
                    "4 rader med bare tomme celler",
                    "rad 68–70, 72",
                    "slett radene, eller bruk coopstats import, som fjerner dem",
                ],
            ],
        ),
        (
            "spells.csv (12 rader)",
            [
                [
                    "hele filen",
                    "1",
                    "1 problem – forventet komma som skilletegn",
                    "",
                    "filen ser ut til å bruke semikolon som skilletegn – bruk coopstats import",
                ]
            ],
        ),
        ("activity_log.csv", "Ingen problemer."),
        ("reported_figures.csv", "Ingen problemer."),
        ("segments.csv", "Ingen problemer."),
    ]
    [dates, rows] = table_cells(page, "participants.csv")
    assert [td.attrs for td in dates] == [{}, {"class": "antall"}, {}, {}, {}]
    assert dates[4].inner() == (
        "bruk <code>coopstats import</code>, som gjør DD.MM.ÅÅÅÅ om til ÅÅÅÅ-MM-DD"
    )
    assert [c.text() for c in dates[4].find_all("code")] == ["coopstats import"]


def test_html_shows_five_examples_and_row_ranges_up_to_ten():
    values = ["01.01.2023", "01.01.2023", "02.01.2023", "03.01.2023", "04.01.2023"]
    values += ["05.01.2023", "06.01.2023"]
    problems = [dmy(2 + i, v) for i, v in enumerate(values)]
    # eleven separate empty rows: ten ranges and an ellipsis
    problems += [empty_row(100 + 2 * i) for i in range(11)]
    page = html_report("d", problems, now=NOW)
    [dates, rows] = table_cells(page, "participants.csv")
    # distinct values first (rows 2, 4, 5, 6, 7), in row order
    assert dates[3].text() == (
        "rad 2 '01.01.2023'; rad 4 '02.01.2023'; rad 5 '03.01.2023'; rad 6 '04.01.2023'; "
        "rad 7 '05.01.2023'"
    )
    assert rows[3].text() == "rad 100, 102, 104, 106, 108, 110, 112, 114, 116, 118, …"
    assert rows[2].text() == "11 rader med bare tomme celler"


def test_html_ten_row_ranges_have_no_ellipsis():
    problems = [empty_row(100 + 2 * i) for i in range(10)]
    [[*_, examples, _advice]] = table_cells(html_report("d", problems, now=NOW), "participants.csv")
    assert examples.text() == "rad 100, 102, 104, 106, 108, 110, 112, 114, 116, 118"


def test_html_escapes_cells_and_keeps_code_spans_escaped():
    problem = Problem(
        "segments.csv",
        3,
        "paraphrase",
        "<b>fet</b> & 'sitat'",
        "tekst uten <tagger>",
        "fjern `<b>` & prøv igjen",
    )
    page = html_report("d", [problem], now=NOW)
    assert "<b>fet</b>" not in page and "<tagger>" not in page
    [[where, count, what, examples, advice]] = table_cells(page, "segments.csv")
    assert where.text() == "kolonne paraphrase"
    assert count.text() == "1"
    assert what.text() == "1 verdi – forventet tekst uten <tagger>"
    assert examples.text() == "rad 3 '<b>fet</b> & 'sitat''"
    assert advice.inner() == "fjern <code><b></code> & prøv igjen"
    assert "<td>fjern <code>&lt;b&gt;</code> &amp; prøv igjen</td>" in page


def test_html_code_spans_alternate():
    problem = Problem("segments.csv", 3, "code", "x", "kode", "a `b` c `d` e `f`")
    [[*_, advice]] = table_cells(html_report("d", [problem], now=NOW), "segments.csv")
    assert advice.inner() == "a <code>b</code> c <code>d</code> e <code>f</code>"


def test_html_group_without_advice_has_an_empty_cell():
    problem = Problem("segments.csv", 3, "phase", "XYZ", "en av GOV, EMP")
    page = html_report("d", [problem], now=NOW)
    assert "<td>1 verdi – forventet en av GOV, EMP</td><td>rad 3 &#x27;XYZ&#x27;</td><td></td>" in (
        page
    )


def test_html_files_outside_the_contract_come_after_it_in_name_order():
    problems = [
        Problem("sammenligning.csv", None, None, None, "filen sammenligning.csv"),
        Problem("coverage.csv", 2, "kind", "ferie", "en av status, ytelse"),
        Problem("a&b.csv", None, None, None, "noe"),
        empty_row(5, "spells.csv"),
    ]
    page = html_report("d", problems, {"coverage": 3}, now=NOW)
    assert [h for h, _ in sections(page)] == [
        "participants.csv",
        "spells.csv",
        "activity_log.csv",
        "reported_figures.csv",
        "segments.csv",
        "a&b.csv",
        "coverage.csv (3 rader)",
        "sammenligning.csv",
    ]
    assert "<h2>a&amp;b.csv</h2>" in page
    assert [len(rows) for _, rows in sections(page)[5:]] == [1, 1, 1]


def test_html_header_problems_show_five_names_and_all_missing_columns():
    rename = "Gi kolonnen kontraktens navn, eller bruk `coopstats import`"
    unknown = [
        header("spells.csv", name, "unknown_column", hint)
        for name, hint in [
            ("SPELL_ID", f"mente du spell_id? {rename}"),
            ("PERSON_ID", f"mente du person_id? {rename}"),
            ("KIND", f"mente du kind? {rename}"),
            ("x1", None),
            ("x2", None),
            ("x3", None),
        ]
    ]
    missing = [
        header("spells.csv", c, "missing_column")
        for c in ("code", "start_date", "end_date", "full_time", "source", "note")
    ]
    page = html_report("d", unknown + missing, now=NOW)
    assert sections(page)[1] == (
        "spells.csv",
        [
            [
                "overskriftsraden",
                "6",
                "6 ukjente kolonnenavn – forventet en kolonne i kontrakten",
                "SPELL_ID (mente du spell_id?); PERSON_ID (mente du person_id?); "
                "KIND (mente du kind?); x1; x2",
                "gi kolonnene kontraktens navn, eller bruk coopstats import, som kjenner igjen "
                "norske navn",
            ],
            [
                "overskriftsraden",
                "6",
                "6 kolonner mangler",
                "code; start_date; end_date; full_time; source; note",
                "",
            ],
        ],
    )


# --------------------------------------------------------------------------- group texts


NOUNS = [
    ("dmy_date", "verdi i formatet DD.MM.ÅÅÅÅ", "verdier i formatet DD.MM.ÅÅÅÅ"),
    ("decimal_comma", "verdi med desimalkomma", "verdier med desimalkomma"),
    ("boolean_form", "verdi som ikke er true/false", "verdier som ikke er true/false"),
    ("empty_row", "rad med bare tomme celler", "rader med bare tomme celler"),
    (
        "field_count",
        "rad med et annet antall felt enn overskriftsraden",
        "rader med et annet antall felt enn overskriftsraden",
    ),
    ("unknown_column", "ukjent kolonnenavn", "ukjente kolonnenavn"),
    ("missing_column", "kolonne mangler", "kolonner mangler"),
    ("implausible", "usannsynlig stort tall", "usannsynlig store tall"),
    ("national_id", "celle med 11-sifret tall", "celler med 11-sifrede tall"),
    ("duplicate_header", "kolonnenavn står to ganger", "kolonnenavn står flere ganger"),
]


@pytest.mark.parametrize(("kind", "one", "many"), NOUNS, ids=[n[0] for n in NOUNS])
def test_group_names_its_problems_in_singular_and_plural(kind, one, many):
    def problem(i: int) -> Problem:
        return Problem("activity_log.csv", 2 + i, "count", f"v{i}", "x", kind=kind)

    [single] = group_problems([problem(0)])
    assert single.what() == f"1 {one}"
    [double] = group_problems([problem(0), problem(1)])
    assert double.what() == f"2 {many}"
    [triple] = group_problems([problem(0), problem(1), problem(2)])
    assert triple.what() == f"3 {many}"


@pytest.mark.parametrize(
    ("values", "rows", "text"),
    [
        (["", ""], [2, 3], "2 tomme verdier"),
        ([""], [2], "1 tom verdi"),
        ([None, None], [2, 3], "2 rader"),
        ([None], [2], "1 rad"),
        ([None, None], [None, None], "2 problemer"),
        ([None], [None], "1 problem"),
        (["a", "b"], [2, 3], "2 verdier"),
        (["a"], [2], "1 verdi"),
        (["", "a"], [2, 3], "2 verdier"),
        (["", None], [2, 3], "2 verdier"),
        ([None, "a"], [2, 3], "2 verdier"),
    ],
)
def test_plain_rule_groups_are_named_by_their_values(values, rows, text):
    problems = [
        Problem("segments.csv", row, "paraphrase", value, "en regel")
        for value, row in zip(values, rows, strict=True)
    ]
    [group] = group_problems(problems)
    assert group.what() == text
    assert group.description() == f"{text} – forventet en regel"


def test_missing_columns_and_empty_rows_are_described_without_expectation():
    missing = [
        Problem("spells.csv", None, c, None, "kolonnen (den mangler)", kind="missing_column")
        for c in ("kind", "code")
    ]
    [group] = group_problems(missing)
    assert group.description() == "2 kolonner mangler"
    [group] = group_problems([empty_row(5), empty_row(6)])
    assert group.description() == "2 rader med bare tomme celler"
    [group] = group_problems(
        [Problem("spells.csv", 4, None, None, "8 felt (fant 9)", kind="field_count")]
    )
    assert group.description() == (
        "1 rad med et annet antall felt enn overskriftsraden – forventet 8 felt (fant 9)"
    )


def test_field_count_groups_drop_the_row_detail_only_when_it_differs():
    def wrong(row: int, found: int) -> Problem:
        return Problem(
            "spells.csv",
            row,
            None,
            None,
            f"8 felt som overskriftsraden (fant {found})",
            kind="field_count",
        )

    [group] = group_problems([wrong(4, 9), wrong(7, 7)])
    assert group.expected == "8 felt som overskriftsraden"
    assert group.line() == (
        "spells.csv: 2 rader med et annet antall felt enn overskriftsraden – forventet 8 felt "
        "som overskriftsraden (rad 4, 7)"
    )
    [group] = group_problems([wrong(4, 9), wrong(7, 9)])
    assert group.expected == "8 felt som overskriftsraden (fant 9)"


def test_group_hint_is_the_first_given():
    problems = [
        Problem("segments.csv", 2, "phase", "a", "en fase"),
        Problem("segments.csv", 3, "phase", "b", "en fase", "første råd"),
        Problem("segments.csv", 4, "phase", "c", "en fase", "andre råd"),
    ]
    [group] = group_problems(problems)
    assert group.hint == "første råd"
    assert group.advice() == "første råd"
    assert group.line() == (
        "segments.csv, kolonne phase: 3 verdier – forventet en fase; f.eks. rad 2 'a', rad 3 'b', "
        "rad 4 'c' – første råd"
    )
    [group] = group_problems(problems[:1])
    assert group.hint is None and group.advice() is None


def test_examples_take_distinct_values_first_then_fill_in_row_order():
    values = ["a", "a", "b", "a", "c", "d"]
    problems = [Problem("segments.csv", 2 + i, "code", v, "k") for i, v in enumerate(values)]
    [group] = group_problems(problems)
    assert EXAMPLES == 3
    assert group.examples() == ["rad 2 'a'", "rad 4 'b'", "rad 6 'c'"]
    assert group.examples(2) == ["rad 2 'a'", "rad 4 'b'"]
    assert group.examples(5) == ["rad 2 'a'", "rad 3 'a'", "rad 4 'b'", "rad 6 'c'", "rad 7 'd'"]
    assert group.examples(6) == [f"rad {2 + i} '{v}'" for i, v in enumerate(values)]
    assert group.examples(10) == [f"rad {2 + i} '{v}'" for i, v in enumerate(values)]
    # few distinct values: the rest are filled in with the first rows
    same = [Problem("segments.csv", 2 + i, "code", "z", "k") for i in range(5)]
    [group] = group_problems(same)
    assert group.examples() == ["rad 2 'z'", "rad 3 'z'", "rad 4 'z'"]


def test_examples_show_empty_cells_as_tom_and_values_without_a_row_alone():
    country = "education_completed_country"
    problems = [
        Problem("participants.csv", 3, country, "", "norge eller utland"),
        Problem("participants.csv", 2, country, "norge", "norge eller utland"),
    ]
    [group] = group_problems(problems)
    assert group.examples() == ["rad 2 'norge'", "rad 3 tom"]
    [group] = group_problems([Problem("segments.csv", None, "code", "x", "k")])
    assert group.examples() == ["'x'"]


def test_groups_of_empty_values_or_rows_have_no_examples_but_row_ranges():
    empty = [
        Problem("segments.csv", r, "paraphrase", "", "en verdi (feltet er påkrevd)")
        for r in (2, 3, 4, 9)
    ]
    [group] = group_problems(empty)
    assert group.examples() == []
    assert group.line() == (
        "segments.csv, kolonne paraphrase: 4 tomme verdier – forventet en verdi (feltet er "
        "påkrevd) (rad 2–4, 9)"
    )
    [group] = group_problems([empty_row(r) for r in (2, 3)])
    assert group.examples() == []
    for kind in ("field_count", "empty_row"):
        problems = [
            Problem("spells.csv", 4, None, "x", "8 felt (fant 9)", kind=kind),
            Problem("spells.csv", 6, None, "y", "8 felt (fant 9)", kind=kind),
        ]
        [group] = group_problems(problems)
        assert group.examples() == []


def test_row_ranges_in_a_line_stop_after_ten():
    rows = [2, 3, 4, 6, 8, 9, 11, 13, 15, 17, 19, 21, 23, 25]
    [group] = group_problems([empty_row(r) for r in rows])
    assert group.line() == (
        "participants.csv: 14 rader med bare tomme celler (rad 2–4, 6, 8–9, 11, 13, 15, 17, 19, "
        "21, 23, …) – slett radene, eller bruk `coopstats import`, som fjerner dem"
    )
    [group] = group_problems([empty_row(r) for r in rows[:-1]])
    assert group.line() == (
        "participants.csv: 13 rader med bare tomme celler (rad 2–4, 6, 8–9, 11, 13, 15, 17, 19, "
        "21, 23) – slett radene, eller bruk `coopstats import`, som fjerner dem"
    )
    [group] = group_problems([empty_row(r) for r in (7, 5)])
    assert "(rad 5, 7)" in group.line()
    [group] = group_problems([empty_row(r) for r in (7, 8)])
    assert "(rad 7–8)" in group.line()


def test_a_group_of_one_is_the_single_problem_line():
    [group] = group_problems([dmy(5, "01.02.2023")])
    assert group.line() == (
        "participants.csv, rad 5, kolonne intake_date: verdi '01.02.2023' – forventet dato på "
        "formen ÅÅÅÅ-MM-DD – " + IMPORT_HINT
    )


def test_unknown_column_lines_and_advice():
    def unknown(name: str, hint: str | None) -> Problem:
        return header("spells.csv", name, "unknown_column", hint)

    certain = "mente du kind? Gi kolonnen kontraktens navn, eller bruk `coopstats import`, som …"
    guessed = "mente du code eller source?"
    [group] = group_problems([unknown("Type", certain), unknown("kode", guessed)])
    assert group.examples() == ["Type (mente du kind?)", "kode (mente du code eller source?)"]
    assert group.advice() == (
        "gi kolonnene kontraktens navn, eller bruk `coopstats import`, som kjenner igjen "
        "norske navn"
    )
    assert group.line() == (
        "spells.csv, overskriftsraden: 2 ukjente kolonnenavn: Type (mente du kind?), kode (mente "
        "du code eller source?) – gi kolonnene kontraktens navn, eller bruk `coopstats import`, "
        "som kjenner igjen norske navn"
    )
    # guesses only, or no hints at all: no shared advice
    [group] = group_problems([unknown("kode", guessed), unknown("sted", "mente du source?")])
    assert group.advice() is None
    assert group.line() == (
        "spells.csv, overskriftsraden: 2 ukjente kolonnenavn: kode (mente du code eller source?), "
        "sted (mente du source?)"
    )
    [group] = group_problems([unknown("x", None), unknown("y", None)])
    assert group.advice() is None and group.examples() == ["x", "y"]
    # one unknown column: its own hint
    [group] = group_problems([unknown("kode", guessed)])
    assert group.advice() == guessed


def test_unknown_columns_are_ordered_by_the_column_they_probably_mean():
    def unknown(name: str, meant: str) -> Problem:
        return header("participants.csv", name, "unknown_column", f"mente du {meant}?")

    problems = [
        unknown("Fødselsår", "birth_year"),
        unknown("Kjønn", "gender eller birth_year"),
        unknown("a_ukjent", "zzz"),
        unknown("Person", "person_id"),
    ]
    [group] = group_problems(problems)
    assert [p.column for p in group.problems] == ["Person", "Kjønn", "Fødselsår", "a_ukjent"]


def test_more_than_five_header_problems_say_how_many_more():
    def twice(name: str) -> Problem:
        return header("segments.csv", name, "duplicate_header", row=1)

    names = ["segment_id", "unit_id", "model_id", "trial_id", "phase", "code", "polarity"]
    [group] = group_problems([twice(n) for n in names])
    assert group.line() == (
        "segments.csv, overskriftsraden: 7 kolonnenavn står flere ganger: segment_id, unit_id, "
        "model_id, trial_id, phase og 2 til"
    )
    [group] = group_problems([twice(n) for n in names[:5]])
    assert group.line() == (
        "segments.csv, overskriftsraden: 5 kolonnenavn står flere ganger: segment_id, unit_id, "
        "model_id, trial_id, phase"
    )
    [group] = group_problems([twice(n) for n in names[:6]])
    assert group.line().endswith("trial_id, phase og 1 til")


def test_duplicate_headers_show_no_hint():
    problems = [
        header("segments.csv", c, "duplicate_header", "mente du x?", row=1)
        for c in ("code", "phase")
    ]
    [group] = group_problems(problems)
    assert group.line() == (
        "segments.csv, overskriftsraden: 2 kolonnenavn står flere ganger: phase (mente du x?), "
        "code (mente du x?)"
    )


def test_missing_column_line_lists_every_column():
    names = ["kind", "code", "start_date", "end_date", "full_time", "source"]
    problems = [header("spells.csv", c, "missing_column") for c in names]
    [group] = group_problems(problems)
    assert group.line() == (
        "spells.csv: 6 kolonner mangler: kind, code, start_date, end_date, full_time, source"
    )


@pytest.mark.parametrize(
    ("problem", "place"),
    [
        (Problem("spells.csv", None, "X", None, "x", kind="unknown_column"), "overskriftsraden"),
        (Problem("spells.csv", None, "kind", None, "x", kind="missing_column"), "overskriftsraden"),
        (Problem("spells.csv", 1, "kind", None, "x", kind="duplicate_header"), "overskriftsraden"),
        (Problem("spells.csv", 3, "kind", "x", "en av"), "kolonne kind"),
        (Problem("spells.csv", None, "kind", None, "x"), "kolonne kind"),
        (Problem("spells.csv", 3, None, None, "x", kind="empty_row"), "rader"),
        (Problem("spells.csv", 3, None, None, "x", kind="field_count"), "rader"),
        (Problem("spells.csv", 3, None, None, "gyldig CSV", kind="unreadable"), "rader"),
        (Problem("spells.csv", None, None, None, "x", kind="separator"), "hele filen"),
        (Problem("spells.csv", None, None, None, "filen spells.csv"), "hele filen"),
    ],
)
def test_group_place(problem, place):
    [group] = group_problems([problem])
    assert group.place() == place


def test_groups_follow_file_section_column_and_row_order():
    """File-level problems first, then the header row, the columns in contract order, the rows,
    and national ids last; files in contract order, others after them."""
    f, c = "participants.csv", "comparison.csv"
    more = "heltall 1940–2010 – 7 verdier til med samme feil (bare de første 20 er vist)"
    problems = [
        Problem(f, 9, "person_id", "<11 sifre>", "ingen 11-sifrede tall", kind="national_id"),
        Problem(f, 7, None, None, "14 felt som overskriftsraden (fant 15)", kind="field_count"),
        Problem(f, 6, None, None, "ingen rader med bare tomme celler", kind="empty_row"),
        Problem(f, 4, "gender", "X", "en av K, M"),
        Problem(f, 3, "birth_year", "19x0", "heltall 1940–2010"),
        Problem(f, 2, "birth_year", "", "en verdi (feltet er påkrevd)"),
        Problem(f, None, "Kjønn", None, "ingen kolonner utenom kontrakten", kind="unknown_column"),
        Problem(f, None, "exit_date", None, "kolonnen (den mangler)", kind="missing_column"),
        Problem(f, 1, "gender", None, "hvert kolonnenavn én gang", kind="duplicate_header"),
        Problem(f, 8, None, None, "gyldig CSV (feil)", kind="unreadable"),
        Problem("spells.csv", None, "Kind", None, "ingen kolonner", kind="unknown_column"),
        Problem("spells.csv", None, None, None, "komma som skilletegn", kind="separator"),
        Problem("activity_log.csv", None, None, None, "filen", "x"),
        Problem("activity_log.csv", None, None, None, "UTF-8-kodet tekst", kind="encoding"),
        Problem("segments.csv", 1, None, None, "gyldig CSV (feil)", kind="unreadable"),
        Problem("segments.csv", None, None, None, "en overskriftsrad", kind="no_header"),
        Problem(c, 3, None, None, "ingen rader med bare tomme celler", kind="empty_row"),
        Problem(c, 5, "birth_year", "19x0", "heltall 1940–2010"),
        Problem(c, None, "birth_year", None, more),
        Problem(c, None, "Kjønn", None, "ingen kolonner utenom kontrakten", kind="unknown_column"),
        Problem(c, None, None, None, "parquet-filen kan ikke leses"),
        Problem("coverage.csv", 2, "kind", "x", "en av"),
    ]
    order = [(g.file, g.column, g.kind, g.problems[0].row) for g in group_problems(problems)]
    assert order == [
        (f, None, "unreadable", 8),
        (f, None, "unknown_column", None),
        (f, None, "missing_column", None),
        (f, None, "duplicate_header", 1),
        (f, "gender", None, 4),
        (f, "birth_year", None, 2),
        (f, "birth_year", None, 3),
        (f, None, "empty_row", 6),
        (f, None, "field_count", 7),
        (f, "person_id", "national_id", 9),
        ("spells.csv", None, "separator", None),
        ("spells.csv", None, "unknown_column", None),
        ("activity_log.csv", None, "encoding", None),
        ("activity_log.csv", None, None, None),
        ("segments.csv", None, "no_header", None),
        ("segments.csv", None, "unreadable", 1),
        (c, None, None, None),
        (c, None, "unknown_column", None),
        (c, "birth_year", None, None),
        (c, "birth_year", None, 5),
        (c, None, "empty_row", 3),
        ("coverage.csv", "kind", None, 2),
    ]


def test_format_report_is_one_line_per_group():
    problems = [dmy(3, "02.01.2023"), dmy(2, "01.01.2023"), empty_row(70)]
    assert format_report(problems) == (
        "participants.csv, kolonne intake_date: 2 verdier i formatet DD.MM.ÅÅÅÅ – forventet "
        "dato på formen ÅÅÅÅ-MM-DD; f.eks. rad 2 '01.01.2023', rad 3 '02.01.2023' – "
        + IMPORT_HINT
        + "\nparticipants.csv, rad 70: forventet ingen rader med bare tomme celler – slett "
        "radene, eller bruk `coopstats import`, som fjerner dem"
    )
    assert format_report([]) == ""


def test_format_problems_is_one_line_per_problem():
    problems = [dmy(3, "02.01.2023"), empty_row(70)]
    assert format_problems(problems) == (
        "participants.csv, rad 3, kolonne intake_date: verdi '02.01.2023' – forventet dato på "
        "formen ÅÅÅÅ-MM-DD – " + IMPORT_HINT + "\nparticipants.csv, rad 70: forventet ingen rader "
        "med bare tomme celler – slett radene, eller bruk `coopstats import`, som fjerner dem"
    )
    assert format_problems([]) == ""


# --------------------------------------------------------------------------- encoding hints


def only_problem(path: Path) -> Problem:
    frame, problems = read_raw(path)
    assert frame is None
    [problem] = problems
    assert (problem.file, problem.row, problem.column) == (path.name, None, None)
    assert problem.value is None
    assert (problem.expected, problem.kind) == ("UTF-8-kodet tekst", "encoding")
    return problem


UTF16 = (
    "filen ser ut til å være UTF-16 («Unicode-tekst» fra Excel) – lagre den som "
    "«CSV UTF-8 (kommadelt)»"
)


def cp1252_hint(char: str, word: str, line: int) -> str:
    return (
        "filen ser ut til å være lagret som Windows-1252 (første tegn som ikke er UTF-8 er "
        f"«{char}» i «{word}» på linje {line}) – lagre som UTF-8 eller bruk `coopstats import`"
    )


@pytest.mark.parametrize(
    "data",
    [
        "a,b\næ,ø\n".encode("utf-16"),  # with a byte order mark
        "a,b\næ,ø\n".encode("utf-16-le"),  # without: NUL bytes
        "a,b\næ,ø\n".encode("utf-16-be"),
        b"\xff\xfe" + "中中".encode("utf-16-le"),  # BOM, no NUL byte
        b"\xfe\xff" + "中中".encode("utf-16-be"),
    ],
    ids=["bom", "le", "be", "le-bom-no-nul", "be-bom-no-nul"],
)
def test_utf16_files_are_named(tmp_path, data):
    path = tmp_path / "spells.csv"
    path.write_bytes(data)
    assert only_problem(path).hint == UTF16


def test_a_nul_byte_counts_within_the_first_4096_bytes(tmp_path):
    path = tmp_path / "spells.csv"
    path.write_bytes(b"a" * 4095 + b"\x00" + b"\nM\xf8te\n")
    assert only_problem(path).hint == UTF16
    path.write_bytes(b"a" * 4096 + b"\x00" + b"\nM\xf8te\n")
    assert only_problem(path).hint == cp1252_hint("ø", "Møte", 2)


def test_cp1252_file_names_the_character_word_and_line(tmp_path):
    path = tmp_path / "activity_log.csv"
    path.write_bytes('record_id,note\nr1,ok\nr2,"Møte i Bodø"\n'.encode("cp1252"))
    problem = only_problem(path)
    assert problem.hint == cp1252_hint("ø", "Møte", 3)
    # a blank first line counts
    path.write_bytes('\nrecord_id,note\nr2,"Møte i Bodø"\n'.encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("ø", "Møte", 3)


def test_cp1252_word_stops_at_separators_quotes_and_spaces(tmp_path):
    path = tmp_path / "activity_log.csv"
    for text, word in [
        ("a,b\nx,Bodø;X\n", "Bodø"),
        ("a,b\nx,XBodø\tY\n", "XBodø"),
        ('a,b\nx y"Bodø"z\n', "Bodø"),
        ("a,b\nx Bodø\r\n", "Bodø"),
        ("a,b\nx,Bodø", "Bodø"),
    ]:
        path.write_bytes(text.encode("cp1252"))
        assert only_problem(path).hint == cp1252_hint("ø", word, 2), text


def test_cp1252_word_at_the_very_start_and_end_of_the_file(tmp_path):
    path = tmp_path / "activity_log.csv"
    path.write_bytes("Møte".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("ø", "Møte", 1)
    path.write_bytes("ø".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("ø", "ø", 1)


def test_cp1252_word_is_cut_after_29_characters(tmp_path):
    path = tmp_path / "activity_log.csv"
    thirty = "æ" + "b" * 29
    path.write_bytes(f"a,b\nx,{thirty}\n".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("æ", thirty, 2)
    path.write_bytes(f"a,b\nx,{thirty}c\n".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("æ", "æ" + "b" * 28 + "…", 2)


def test_cp1252_word_never_shows_a_national_id(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes("a,b\nx,12345678901Ø\n".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("Ø", "<11 sifre>Ø", 2)


def test_cp1252_with_utf8_byte_order_mark_finds_the_right_character(tmp_path):
    path = tmp_path / "activity_log.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "a,b\nxy,Møte\n".encode("cp1252"))
    assert only_problem(path).hint == cp1252_hint("ø", "Møte", 2)


def test_neither_utf8_nor_cp1252_names_the_line(tmp_path):
    path = tmp_path / "activity_log.csv"
    path.write_bytes(b"a,b\nx,y\n\n\x81z,1\n")
    assert only_problem(path).hint == (
        "første ugyldige tegn står på linje 4; filen er verken UTF-8 eller Windows-1252 – lagre "
        "den som «CSV UTF-8 (kommadelt)»"
    )


# --------------------------------------------------------------------------- reading a file


def raw(tmp_path: Path, text: str, name: str = "spells.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_raw(path)


def rows_of(frame) -> list[tuple[int, list[object]]]:
    """``[(line, [cell or None])]`` of a frame read by read_raw."""
    return [
        (int(line), [None if v is pd.NA else v for v in values])
        for line, values in zip(frame.index, frame.to_numpy().tolist(), strict=True)
    ]


@pytest.mark.parametrize(
    ("separator", "name"), [(";", "semikolon"), ("\t", "tabulator"), ("|", "loddrett strek")]
)
def test_another_separator_is_named(tmp_path, separator, name):
    frame, problems = raw(tmp_path, f"\n  \na{separator}b{separator}c\n1{separator}2{separator}3\n")
    assert frame is None
    assert problems == [
        Problem(
            "spells.csv",
            None,
            None,
            None,
            "komma som skilletegn",
            f"filen ser ut til å bruke {name} som skilletegn – bruk `coopstats import`",
            "separator",
        )
    ]


@pytest.mark.parametrize(
    "header",
    ["a", "a,b", "a;b,c", "a,b,c;d|e", "a;b;c,d,e,f", '"a;b",c'],
)
def test_a_header_with_as_many_commas_is_read_with_commas(tmp_path, header):
    frame, problems = raw(tmp_path, header + "\n")
    assert problems == []
    assert list(frame.columns) == next(csv.reader([header]))


def test_a_file_of_blank_lines_has_no_header(tmp_path):
    for text in ["", "\n\n", "  \n\t\n", ",,\n , \n"]:
        frame, problems = raw(tmp_path, text)
        assert frame is None
        expected = "en overskriftsrad med kolonnenavn"
        assert problems == [Problem("spells.csv", None, None, None, expected, kind="no_header")]


def test_cells_are_stripped_empty_cells_missing_and_rows_numbered_by_line(tmp_path):
    text = "\n , \n a , b \n\n1, x \n ,2\n"
    frame, problems = raw(tmp_path, text)
    assert problems == []
    assert list(frame.columns) == ["a", "b"]
    assert rows_of(frame) == [(5, ["1", "x"]), (6, [None, "2"])]
    assert str(frame.dtypes["a"]) == "string"


def test_empty_rows_after_the_header_are_reported_on_their_lines(tmp_path):
    frame, problems = raw(tmp_path, "a,b\n1,2\n,\n \t, \n3,4\n")
    hint = (
        "slett radene, eller bruk `coopstats import`, som fjerner dem (Excel skriver slike rader "
        "etter den siste utfylte raden)"
    )
    expected = "ingen rader med bare tomme celler"
    assert problems == [
        Problem("spells.csv", line, None, None, expected, hint, "empty_row") for line in (3, 4)
    ]
    assert rows_of(frame) == [(2, ["1", "2"]), (5, ["3", "4"])]


def test_rows_with_another_number_of_fields_are_left_out(tmp_path):
    frame, problems = raw(tmp_path, 'a,b,c\n1,2\n1,2,3\n"x\ny",2,3,4\n5,6,7\n')
    assert problems == [
        Problem(
            "spells.csv", line, None, None, f"3 felt som overskriftsraden (fant {n})", kind=kind
        )
        for line, n, kind in [(2, 2, "field_count"), (4, 4, "field_count")]
    ]
    # the quoted line break makes line 4 two lines: the next row is on line 6
    assert rows_of(frame) == [(3, ["1", "2", "3"]), (6, ["5", "6", "7"])]


def test_a_line_csv_cannot_read_is_reported_and_what_came_before_is_kept(tmp_path):
    frame, problems = raw(tmp_path, "a\n1\n" + "x" * 200_000 + "\n2\n")
    assert problems == [
        Problem(
            "spells.csv",
            3,
            None,
            None,
            "gyldig CSV (field larger than field limit (131072))",
            kind="unreadable",
        )
    ]
    assert rows_of(frame) == [(2, ["1"])]
    frame, problems = raw(tmp_path, "x" * 200_000 + "\n")
    assert [(p.row, p.kind) for p in problems] == [(1, "unreadable"), (None, "no_header")]
    assert frame is None


def test_a_repeated_column_name_is_reported_and_its_first_column_kept(tmp_path):
    frame, problems = raw(tmp_path, "\nb,a,b,b\n1,2,3,4\n")
    twice = Problem(
        "spells.csv", 2, "b", None, "hvert kolonnenavn én gang", kind="duplicate_header"
    )
    assert problems == [twice, twice]
    assert list(frame.columns) == ["b", "a"]
    assert rows_of(frame) == [(3, ["1", "2"])]
