"""Tests for coopstats.importer: deliveries as they are sent become contract deliveries.

Every variant is built from the demo delivery in ``tmp_path``; importing it must give files
equal to the demo's, a delivery the validator accepts, and a report listing each change.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from coopstats import importer
from coopstats.data import COLUMNS, FILES, load_datasets
from coopstats.importer import (
    REPORT_NAME,
    DeliveryImportError,
    ImportReport,
    NationalIdError,
    SynonymError,
    import_delivery,
    load_synonyms,
    main_import,
    normalise_name,
)
from coopstats.validate import format_problems, validate_directory

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NATIONAL_ID = "12345678901"

Rows = list[list[str]]

#: Norwegian headers, as a county might send them (all resolved by header_synonyms.yaml).
NORWEGIAN: dict[str, dict[str, str]] = {
    "participants": {
        "person_id": "Løpenummer",
        "unit_id": "NAV-enhet",
        "trial_id": "Forsøk",
        "intake_date": "Inntaksdato",
        "exit_date": "Sluttdato",
        "gender": "Kjønn",
        "birth_year": "Fødselsår",
        "children_under_18": "Barn under 18",
        "country_background": "Landbakgrunn",
        "immigration_year": "Innvandringsår",
        "short_residence_judged": "Kort botid vurdert",
        "norwegian_oral": "Norsk muntlig",
        "norwegian_written": "Norsk skriftlig",
        "education_completed": "Fullført utdanning",
        "education_completed_country": "Fullført utdanning land",
        "education_started": "Påbegynt utdanning",
        "education_started_country": "Påbegynt utdanning land",
        "relevant_work_experience": "Relevant arbeidserfaring",
    },
    "spells": {
        "spell_id": "Forløp-ID",
        "person_id": "Løpenummer",
        "kind": "Type",
        "code": "Kode",
        "start_date": "Fra og med",
        "end_date": "Til og med",
        "full_time": "Heltid",
        "source": "Kilde",
    },
    "activity_log": {
        "record_id": "ID",
        "unit_id": "Enhet",
        "trial_id": "Forsøk",
        "period_start": "Periode fra",
        "period_end": "Periode til",
        "activity": "Aktivitet",
        "channel": "Kanal",
        "count": "Antall",
        "count_low": "Antall lav",
        "count_high": "Antall høy",
        "qualifier": "Kvalifikator",
        "source_doc": "Kilde",
        "source_lines": "Linjer",
        "note": "Merknad",
    },
    "reported_figures": {
        "figure_id": "ID",
        "unit_id": "NAV-enhet",
        "model_id": "Modell",
        "description": "Beskrivelse",
        "value": "Verdi",
        "value_low": "Verdi lav",
        "value_high": "Verdi høy",
        "unit": "Måleenhet",
        "qualifier": "Kvalifikator",
        "population": "Populasjon",
        "as_of": "Tidspunkt",
        "source_doc": "Kilde",
        "source_lines": "Linjer",
    },
    "segments": {
        "segment_id": "Segment",
        "unit_id": "Enhet",
        "model_id": "Modell",
        "trial_id": "Forsøk",
        "informant_role": "Informant",
        "phase": "Fase",
        "code": "Kode",
        "polarity": "Polaritet",
        "evidence_type": "Kildetype",
        "paraphrase": "Parafrase",
        "source_doc": "Kilde",
        "source_lines": "Linjer",
    },
}
SHEETS = {
    "participants": "Deltakere",
    "spells": "Forløp",
    "activity_log": "Aktivitetslogg",
    "reported_figures": "Rapporterte tall",
    "segments": "Segmenter",
}


# --------------------------------------------------------------------------- building variants


def demo_rows(table: str) -> Rows:
    with (DEMO / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def demo_frame(table: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / f"{table}.csv", dtype=str, keep_default_na=False)


def write_csv(
    path: Path, rows: Rows, *, sep: str = ",", encoding: str = "utf-8", newline: str = "\n"
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def map_kind(rows: Rows, table: str, kinds: tuple[str, ...], change: Callable[[str], str]) -> Rows:
    """Apply ``change`` to the non-empty cells of the columns of the given contract kinds."""
    header, out = rows[0], [list(rows[0])]
    wanted = [i for i, c in enumerate(header) if COLUMNS[table].get(c) in kinds]
    for row in rows[1:]:
        out.append([change(v) if i in wanted and v else v for i, v in enumerate(row)])
    return out


def dmy(iso: str, padded: bool = True) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day:02d}.{d.month:02d}.{d.year}" if padded else f"{d.day}.{d.month}.{d.year}"


def rename(rows: Rows, names: dict[str, str]) -> Rows:
    return [[names.get(c, c) for c in rows[0]], *rows[1:]]


def with_empty_rows(rows: Rows, middle: int, trailing: int) -> Rows:
    """Insert one empty row before data row ``middle`` and ``trailing`` empty rows at the end."""
    empty = [""] * len(rows[0])
    return [*rows[: middle + 1], empty, *rows[middle + 1 :], *[empty] * trailing]


def count_values(table: str, kinds: tuple[str, ...]) -> int:
    frame = demo_frame(table)
    columns = [c for c, k in COLUMNS[table].items() if k in kinds]
    return int((frame[columns] != "").sum().sum())


def typed(value: str, kind: str) -> object:
    """A demo cell as Excel would hold it: dates, numbers and booleans typed."""
    if value == "":
        return None
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "int" or (kind == "str" and re.fullmatch(r"[1-9]\d{0,5}", value)):
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value == "true"
    return value


def fill_sheet(sheet, table: str, *, trailing: int = 0) -> None:
    rows = demo_rows(table)
    kinds = [COLUMNS[table][c] for c in rows[0]]
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append([typed(v, k) for v, k in zip(row, kinds, strict=True)])
    for i in range(trailing):  # formatted but empty cells, as Excel leaves them
        sheet.cell(row=len(rows) + 1 + i, column=1).number_format = "0.00"


def write_workbook(path: Path, sheets: dict[str, str], *, extra: str | None = None) -> None:
    path.write_bytes(_workbook_bytes(tuple(sheets.items()), extra))


@functools.cache
def _workbook_bytes(sheets: tuple[tuple[str, str], ...], extra: str | None) -> bytes:
    """The demo tables as sheets ``(table, title)`` (built once per set of sheets)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table, title in sheets:
        fill_sheet(workbook.create_sheet(title), table, trailing=2)
    if extra:
        workbook.create_sheet(extra).append(["Forklaring", "Se datakontrakten"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_float_text(path: Path, column: str) -> None:
    """Store the numbers of one column as ``1969.0`` (as some exporters do)."""
    with zipfile.ZipFile(path) as old:
        items = {name: old.read(name) for name in old.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    pattern = rf'(<c r="{column}\d+"[^>]*t="n"[^>]*><v>)(\d+)(</v>)'
    items[sheet] = re.sub(pattern.encode(), rb"\g<1>\g<2>.0\g<3>", items[sheet])
    with zipfile.ZipFile(path, "w") as new:
        for name, data in items.items():
            new.writestr(name, data)


# --------------------------------------------------------------------------- checking


def assert_same_as_demo(dest: Path) -> None:
    """The imported files read equal (as strings) to the demo, and the validator accepts them."""
    for table in FILES:
        got = pd.read_csv(dest / f"{table}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(got, demo_frame(table), obj=table)
    problems = validate_directory(dest)
    assert problems == [], format_problems(problems)


def assert_reported(report: ImportReport, dest: Path, *fragments: str) -> None:
    text = (dest / REPORT_NAME).read_text(encoding="utf-8")
    assert text == report.text()
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from the report:\n{text}"


def one(report: ImportReport, table: str, column: str | None, kind: str):
    changes = report.changes_in(table, column, kind)
    assert len(changes) == 1, f"{table}/{column}/{kind}: {changes}\n{report.text()}"
    return changes[0]


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "leveranse"
    path.mkdir()
    return path


def copy_demo(src: Path) -> None:
    for table in FILES:
        write_csv(src / f"{table}.csv", demo_rows(table))


# --------------------------------------------------------------------------- variants


def test_demo_unchanged_is_byte_identical_with_no_changes(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    report = import_delivery(src, tmp_path / "ut")
    for table in FILES:
        assert (tmp_path / "ut" / f"{table}.csv").read_bytes() == (
            DEMO / f"{table}.csv"
        ).read_bytes()
    assert report.changes == []
    assert [t.rows for t in report.tables] == [len(demo_frame(t)) for t in FILES]
    assert_reported(report, tmp_path / "ut", "Ingen verdier er endret.")


def test_semicolon_and_decimal_comma(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        rows = map_kind(demo_rows(table), table, ("float", "int"), lambda v: v.replace(".", ","))
        write_csv(src / f"{table}.csv", rows, sep=";")
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    change = one(report, "reported_figures", "value", "decimal_comma")
    assert change.rows == 1
    assert change.examples[0].startswith("1,2 → 1.2 (rad ")
    assert {c.table for c in report.changes if c.kind == "separator"} == set(FILES)
    assert [c.kind for c in report.changes] == ["separator"] * 4 + ["decimal_comma", "separator"]
    assert all("skilletegn «;»" in t.format for t in report.tables)
    assert_reported(report, tmp_path / "ut", "skilletegn «;» byttet til «,»", "1,2 → 1.2")


def test_windows_1252(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        write_csv(src / f"{table}.csv", demo_rows(table), encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):  # the variant really is not UTF-8
        (src / "segments.csv").read_bytes().decode("utf-8")
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    # Pure ASCII files are valid UTF-8 as well, and are read as such.
    ascii_only = {t for t in FILES if (DEMO / f"{t}.csv").read_bytes().isascii()}
    assert "segments" not in ascii_only
    encodings = {t.table: t.format.rsplit(" ", 1)[-1] for t in report.tables}
    assert encodings == {t: "UTF-8" if t in ascii_only else "Windows-1252" for t in FILES}
    assert [c.table for c in report.changes if c.kind == "encoding"] == [
        t for t in FILES if t not in ascii_only
    ]
    assert {c.kind for c in report.changes} == {"encoding"}
    assert_reported(report, tmp_path / "ut", "tegnkoding Windows-1252 gjort om til UTF-8")


def test_utf8_with_bom(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        write_csv(src / f"{table}.csv", demo_rows(table), encoding="utf-8-sig")
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    assert not (tmp_path / "ut" / "participants.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert all(t.format.endswith("tegnkoding UTF-8 med BOM") for t in report.tables)
    assert [c.kind for c in report.changes] == ["encoding"] * len(FILES)
    assert_reported(report, tmp_path / "ut", "byte-order mark (BOM) fjernet")


def test_day_month_year_dates(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        padded = table != "spells"  # spells in D.M.YYYY, the others in DD.MM.YYYY
        rows = map_kind(demo_rows(table), table, ("date",), lambda v, p=padded: dmy(v, p))
        write_csv(src / f"{table}.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    intake = one(report, "participants", "intake_date", "date_dmy")
    assert intake.rows == 66
    assert intake.examples[0] == "21.08.2023 → 2023-08-21 (rad 2)"
    converted = sum(c.rows for c in report.changes if c.kind == "date_dmy")
    assert converted == sum(count_values(t, ("date",)) for t in FILES)
    spells = demo_frame("spells")
    row = int((spells["end_date"] != "").idxmax())
    first = spells["end_date"][row]
    expected = f"{dmy(first, padded=False)} → {first} (rad {row + 2})"
    assert one(report, "spells", "end_date", "date_dmy").examples[0] == expected
    assert_reported(report, tmp_path / "ut", "dato DD.MM.ÅÅÅÅ gjort om til ÅÅÅÅ-MM-DD")


def test_upper_case_and_norwegian_headers(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        rows = demo_rows(table)
        if table == "participants":
            rows = [[c.upper() for c in rows[0]], *rows[1:]]
        elif table == "activity_log":
            rows = [[c.replace("_", " ").title() for c in rows[0]], *rows[1:]]
        else:
            rows = rename(rows, NORWEGIAN[table])
        write_csv(src / f"{table}.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    upper = one(report, "participants", None, "header")
    assert len(upper.examples) == len(COLUMNS["participants"])
    assert "PERSON_ID → person_id" in upper.examples
    assert "Period Start → period_start" in one(report, "activity_log", None, "header").examples
    spells = one(report, "spells", None, "header").examples
    assert "Løpenummer → person_id" in spells and "Fra og med → start_date" in spells
    assert all(c.kind == "header" for c in report.changes) and report.notes == []
    assert_reported(report, tmp_path / "ut", "Forløp-ID → spell_id", "PERSON_ID → person_id")


def test_trailing_and_middle_empty_rows(src: Path, tmp_path: Path) -> None:
    for table in FILES:
        write_csv(src / f"{table}.csv", with_empty_rows(demo_rows(table), middle=3, trailing=4))
    (src / "spells.csv").write_text(  # a blank line, as some tools write it
        (src / "spells.csv").read_text(encoding="utf-8").replace("\n", "\n\n", 1),
        encoding="utf-8",
    )
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    for table in FILES:
        assert one(report, table, None, "empty_rows_trailing").rows == 4
    assert one(report, "participants", None, "empty_rows").examples == ("rad 5",)
    assert one(report, "spells", None, "empty_rows").examples == ("rad 2", "rad 6")
    assert_reported(report, tmp_path / "ut", "tomme rader på slutten fjernet (4 rader)")


def test_workbook_with_a_sheet_per_table(tmp_path: Path) -> None:
    path = tmp_path / "leveranse.xlsx"
    write_workbook(path, SHEETS, extra="Forklaring")
    report = import_delivery(path, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    assert report.kind == "Excel-arbeidsbok med ett ark per tabell"
    assert report.tables[0].source == "leveranse.xlsx, ark «Deltakere»"
    intake = one(report, "participants", "intake_date", "excel_date")
    assert (intake.rows, intake.examples[0]) == (66, "21.08.2023 → 2023-08-21 (rad 2)")
    boolean = one(report, "spells", "full_time", "excel_boolean")
    assert boolean.rows == count_values("spells", ("bool",))
    for table in FILES:
        assert one(report, table, None, "empty_rows_trailing").rows == 2
    assert [n.kind for n in report.notes] == ["ignored_sheet"]
    assert "Forklaring" in report.notes[0].message
    assert_reported(report, tmp_path / "ut", "Excel-dato skrevet som ÅÅÅÅ-MM-DD", "USANN → false")


def test_one_xlsx_per_table(src: Path, tmp_path: Path) -> None:
    for table, title in SHEETS.items():
        write_workbook(src / f"{title.lower()}.xlsx", {table: "Ark1"})
    as_float_text(src / "deltakere.xlsx", "G")  # birth_year stored as 1969.0
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    assert report.kind == "mappe med én Excel-fil per tabell"
    assert report.tables[1].source == "forløp.xlsx, ark «Ark1»"
    whole = one(report, "participants", "birth_year", "excel_integer")
    assert (whole.rows, whole.examples[0]) == (66, "1969.0 → 1969 (rad 2)")
    assert_reported(report, tmp_path / "ut", "Excel-tall uten desimaler skrevet som heltall")


def test_all_variants_at_once(src: Path, tmp_path: Path) -> None:
    def padded(v: str) -> str:
        return f"  {v} "

    truth = {"true": "Ja", "false": "nei"}
    for table in FILES:
        rows = demo_rows(table)
        rows = map_kind(rows, table, ("date",), dmy)
        rows = map_kind(rows, table, ("float", "int"), lambda v: v.replace(".", ","))
        rows = map_kind(rows, table, ("bool",), truth.__getitem__)
        rows[1] = [padded(v) if v else v for v in rows[1]]
        rows = with_empty_rows(rename(rows, NORWEGIAN[table]), middle=2, trailing=3)
        rows[0][0] = rows[0][0].upper()
        encoding = "utf-8-sig" if table == "activity_log" else "cp1252"
        write_csv(src / f"{table}.csv", rows, sep=";", encoding=encoding, newline="\r\n")
    (src / "spells.csv").rename(src / "Forløp.csv")
    (src / "participants.csv").unlink()
    workbook = tmp_path / "deltakere.xlsx"
    write_workbook(workbook, {"participants": "Deltakere"})
    workbook.rename(src / "Deltakere.xlsx")
    (src / "LESMEG.txt").write_text("Leveranse fra Nav", encoding="utf-8")

    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    datasets = load_datasets(tmp_path / "ut")
    demo = load_datasets(DEMO)
    for table in FILES:
        pd.testing.assert_frame_equal(getattr(datasets, table), getattr(demo, table))

    assert report.kind == "mappe med CSV- og Excel-filer"
    kinds = {(c.table, c.kind) for c in report.changes}
    for table in ("spells", "activity_log", "reported_figures", "segments"):
        for kind in ("separator", "line_endings", "header", "empty_rows", "empty_rows_trailing"):
            assert (table, kind) in kinds
        assert (table, "whitespace") in kinds
    assert ("spells", "encoding") in kinds and ("activity_log", "encoding") in kinds
    full_time = one(report, "spells", "full_time", "boolean")
    assert full_time.rows == count_values("spells", ("bool",))
    assert full_time.examples[0].startswith("Ja → true")
    assert one(report, "reported_figures", "value", "decimal_comma").rows == 1
    assert one(report, "spells", "start_date", "date_dmy").rows == len(demo_frame("spells"))
    assert one(report, "spells", "spell_id", "whitespace").examples == (
        "'  DS0001 ' → DS0001 (rad 2)",
    )
    assert one(report, "participants", "intake_date", "excel_date").rows == 66
    assert [n.message for n in report.notes] == ["filen LESMEG.txt er ikke brukt"]
    assert_reported(
        report,
        tmp_path / "ut",
        "### spells.csv (fra Forløp.csv)",
        "| participants | Deltakere.xlsx, ark «Deltakere» | Excel-ark | 66 |",
        "Ja → true",
    )


# --------------------------------------------------------------------------- refusals and notes


@pytest.mark.parametrize("where", ["csv-cell", "csv-extra-column", "excel-number"])
def test_identity_number_is_refused_and_nothing_written(
    src: Path, tmp_path: Path, where: str
) -> None:
    copy_demo(src)
    rows = demo_rows("participants")
    if where == "csv-cell":
        rows[4][rows[0].index("country_background")] = f"Norge {NATIONAL_ID}"
        write_csv(src / "participants.csv", rows)
    elif where == "csv-extra-column":
        write_csv(
            src / "participants.csv", [rows[0] + ["fnr"]] + [r + [NATIONAL_ID] for r in rows[1:]]
        )
    else:
        (src / "participants.csv").unlink()
        workbook = Workbook()
        fill_sheet(workbook.active, "participants")
        workbook.active["A5"] = int(NATIONAL_ID)
        workbook.save(src / "participants.xlsx")
    dest = tmp_path / "ut"
    with pytest.raises(NationalIdError) as caught:
        import_delivery(src, dest)
    message = str(caught.value)
    assert NATIONAL_ID not in message
    assert "<11 sifre>" in message and "rad 5" in message
    assert "ingenting er skrevet" in message
    assert not dest.exists()
    assert leftovers(tmp_path) == []


def test_mixed_date_formats_are_not_converted_and_reported(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = demo_rows("participants")
    j = rows[0].index("intake_date")
    for row in rows[1:30]:
        row[j] = dmy(row[j])
    k = rows[0].index("exit_date")
    for row in rows[1:]:
        row[k] = dmy(row[k]) if row[k] else ""
    write_csv(src / "participants.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    got = pd.read_csv(tmp_path / "ut" / "participants.csv", dtype=str, keep_default_na=False)
    assert got["intake_date"].tolist() == [row[j] for row in rows[1:]]  # untouched
    assert got["exit_date"].tolist() == demo_frame("participants")["exit_date"].tolist()
    assert report.changes_in("participants", "intake_date") == []
    notes = [n for n in report.notes if n.kind == "mixed_dates"]
    assert [n.column for n in notes] == ["intake_date"]
    assert (
        "29 på formen DD.MM.ÅÅÅÅ (f.eks. 21.08.2023, rad 2), "
        "37 på formen ÅÅÅÅ-MM-DD (f.eks. 2023-09-04, rad 31)"
    ) in notes[0].message
    problems = validate_directory(tmp_path / "ut")
    assert {(p.file, p.column) for p in problems} == {("participants.csv", "intake_date")}
    assert_reported(report, tmp_path / "ut", "blander datoformer")


def test_one_invalid_date_keeps_a_day_month_year_column_as_it_is(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = map_kind(demo_rows("spells"), "spells", ("date",), dmy)
    rows[7][rows[0].index("start_date")] = "31.02.2021"
    write_csv(src / "spells.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    assert report.changes_in("spells", "start_date") == []
    ends = int((demo_frame("spells")["end_date"] != "").sum())
    assert one(report, "spells", "end_date", "date_dmy").rows == ends
    (note,) = [n for n in report.notes if n.column == "start_date"]
    assert "1 med ugyldig dato på formen DD.MM.ÅÅÅÅ (f.eks. 31.02.2021, rad 8)" in note.message


def test_missing_sheet_names_the_workbook_and_its_sheets(tmp_path: Path) -> None:
    path = tmp_path / "arbeidsbok.xlsx"
    sheets = {t: SHEETS[t] for t in FILES if t != "segments"}
    write_workbook(path, sheets, extra="Ark1")
    with pytest.raises(DeliveryImportError) as caught:
        import_delivery(path, tmp_path / "ut")
    assert str(caught.value) == (
        "Fant ikke tabellen segments (segmenter) i arbeidsbok.xlsx: arkene heter Deltakere, "
        "Forløp, Aktivitetslogg, Rapporterte tall, Ark1. Gi arket navnet segments eller "
        "segmenter."
    )
    assert not (tmp_path / "ut").exists()


def test_dest_not_empty_is_refused_unless_overwrite(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    dest = tmp_path / "ut"
    dest.mkdir()
    (dest / "gammel.txt").write_text("fra før", encoding="utf-8")
    with pytest.raises(DeliveryImportError, match="finnes allerede og er ikke tom"):
        import_delivery(src, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["gammel.txt"]
    import_delivery(src, dest, overwrite=True)
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [f"{t}.csv" for t in FILES] + [REPORT_NAME]
    )
    assert leftovers(tmp_path) == []


def test_empty_dest_is_used(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    (tmp_path / "ut").mkdir()
    import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")


@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_write_leaves_no_half_written_dest(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    copy_demo(src)
    dest = tmp_path / "ut"
    if overwrite:
        dest.mkdir()
        (dest / "gammel.txt").write_text("fra før", encoding="utf-8")
    written: list[str] = []
    real = importer._write_csv

    def failing(frame: pd.DataFrame, path: Path) -> None:
        if len(written) == 2:
            raise OSError("disken er full")
        real(frame, path)
        written.append(path.name)

    monkeypatch.setattr(importer, "_write_csv", failing)
    with pytest.raises(OSError, match="disken er full"):
        import_delivery(src, dest, overwrite=overwrite)
    assert written == ["participants.csv", "spells.csv"]
    if overwrite:
        assert sorted(p.name for p in dest.iterdir()) == ["gammel.txt"]
    else:
        assert not dest.exists()
    assert leftovers(tmp_path) == []


def test_dest_may_not_be_the_source(src: Path) -> None:
    copy_demo(src)
    with pytest.raises(DeliveryImportError, match="kan ikke være leveransen selv"):
        import_delivery(src, src, overwrite=True)
    assert sorted(p.name for p in src.iterdir()) == sorted(f"{t}.csv" for t in FILES)


def test_two_files_for_one_table(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    write_csv(src / "Deltakere.csv", demo_rows("participants"))
    with pytest.raises(DeliveryImportError) as caught:
        import_delivery(src, tmp_path / "ut")
    assert str(caught.value) == (
        f"To filer i {src} svarer til tabellen participants (deltakere): Deltakere.csv og "
        "participants.csv. Behold bare én av dem."
    )


def test_missing_file_names_the_table_and_the_files(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    (src / "segments.csv").rename(src / "segmentene.csv")
    with pytest.raises(DeliveryImportError) as caught:
        import_delivery(src, tmp_path / "ut")
    message = str(caught.value)
    assert message.startswith(f"Fant ikke tabellen segments (segmenter) i {src}: filene heter ")
    assert "segmentene.csv" in message
    assert message.endswith("Gi filen navnet segments.csv eller segmenter.csv (eller .xlsx).")


@pytest.mark.parametrize(
    ("write", "fragment"),
    [
        (lambda p: p.write_bytes(b"person_id\nD\x81\x8d\n"), "verken UTF-8 eller Windows-1252"),
        (lambda p: p.write_bytes("person_id\n".encode("utf-16")), "UTF-16"),
        (lambda p: p.write_text("\n\n", encoding="utf-8"), "er tom"),
    ],
)
def test_unreadable_csv_names_the_file(src: Path, tmp_path: Path, write, fragment: str) -> None:
    copy_demo(src)
    write(src / "participants.csv")
    with pytest.raises(DeliveryImportError, match=fragment) as caught:
        import_delivery(src, tmp_path / "ut")
    assert "participants.csv" in str(caught.value)


def test_broken_workbook_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "leveranse.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(DeliveryImportError, match="Kunne ikke lese leveranse.xlsx som Excel"):
        import_delivery(path, tmp_path / "ut")


def test_unquoted_decimal_comma_in_a_comma_file_is_an_error_with_a_hint(
    src: Path, tmp_path: Path
) -> None:
    copy_demo(src)
    text = (src / "reported_figures.csv").read_text(encoding="utf-8")
    assert ",1.2," in text
    (src / "reported_figures.csv").write_text(text.replace(",1.2,", ",1,2,"), encoding="utf-8")
    with pytest.raises(DeliveryImportError, match="desimalkomma") as caught:
        import_delivery(src, tmp_path / "ut")
    assert "reported_figures.csv: overskriftsraden har 13 felt" in str(caught.value)


def test_ambiguous_decimal_comma_is_only_converted_in_a_semicolon_file(
    src: Path, tmp_path: Path
) -> None:
    copy_demo(src)
    rows = demo_rows("reported_figures")
    j = rows[0].index("value")
    line = next(i for i, r in enumerate(rows) if r[j] == "1.2")
    rows[line][j], rows[line + 1][j] = "1,5", "1,234"
    write_csv(src / "reported_figures.csv", rows)  # csv quotes the commas
    report = import_delivery(src, tmp_path / "komma")
    got = pd.read_csv(tmp_path / "komma" / "reported_figures.csv", dtype=str)["value"]
    assert (got[line - 1], got[line]) == ("1.5", "1,234")
    assert one(report, "reported_figures", "value", "decimal_comma").rows == 1
    assert [n.kind for n in report.notes if n.column == "value"] == ["ambiguous_decimal"]

    write_csv(src / "reported_figures.csv", rows, sep=";")
    report = import_delivery(src, tmp_path / "semikolon")
    got = pd.read_csv(tmp_path / "semikolon" / "reported_figures.csv", dtype=str)["value"]
    assert (got[line - 1], got[line]) == ("1.5", "1.234")
    assert one(report, "reported_figures", "value", "decimal_comma").rows == 2


def test_boolean_forms(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = demo_rows("spells")
    j = rows[0].index("full_time")
    forms = ["Ja", "NEI", "j", "n", "SANN", "usann", "1", "0", "True", "kanskje"]
    filled = [r for r in rows[1:] if r[j]][: len(forms)]
    for row, form in zip(filled, forms, strict=True):
        row[j] = form
    write_csv(src / "spells.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    got = pd.read_csv(tmp_path / "ut" / "spells.csv", dtype=str, keep_default_na=False)
    values = got["full_time"][got["full_time"] != ""].tolist()[: len(forms)]
    assert values == ["true", "false"] * 4 + ["true", "kanskje"]
    assert one(report, "spells", "full_time", "boolean").rows == 9
    problems = validate_directory(tmp_path / "ut")
    assert [(p.column, p.value) for p in problems] == [("full_time", "kanskje")]


def test_unknown_header_is_kept_with_a_hint(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = rename(demo_rows("participants"), {"intake_date": "Inntaksdto"})
    write_csv(src / "participants.csv", rows)
    report = import_delivery(src, tmp_path / "ut")
    header = (tmp_path / "ut" / "participants.csv").read_text(encoding="utf-8").split("\n")[0]
    assert header.endswith(",Inntaksdto")
    notes = {n.kind: n for n in report.notes if n.table == "participants"}
    assert notes["unknown_column"].column == "Inntaksdto"
    assert "mente du intake_date" in notes["unknown_column"].message
    assert "intake_date" in notes["missing_columns"].message
    problems = validate_directory(tmp_path / "ut")
    assert {p.column for p in problems} == {"Inntaksdto", "intake_date"}


def test_two_headers_for_one_column(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = demo_rows("participants")
    write_csv(src / "participants.csv", [rows[0] + ["Løpenummer"]] + [r + ["x"] for r in rows[1:]])
    with pytest.raises(DeliveryImportError, match="«person_id» og «Løpenummer» svarer begge"):
        import_delivery(src, tmp_path / "ut")


def test_excel_percent_cells_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "leveranse.xlsx"
    write_workbook(path, SHEETS)
    workbook = load_workbook(path)
    workbook["Rapporterte tall"]["E2"].number_format = "0%"
    workbook.save(path)
    report = import_delivery(path, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    (note,) = [n for n in report.notes if n.kind == "excel_percent"]
    assert (note.table, note.column) == ("reported_figures", "value")


def test_main_import_exit_codes(src: Path, tmp_path: Path, capsys) -> None:
    copy_demo(src)
    assert main_import(src, tmp_path / "ut") == 0
    assert "# Importrapport" in capsys.readouterr().out
    assert main_import(src, tmp_path / "ut") == 2
    assert "finnes allerede" in capsys.readouterr().err
    rows = demo_rows("participants")
    rows[1][rows[0].index("gender")] = "X"
    write_csv(src / "participants.csv", rows)
    assert main_import(src, tmp_path / "ut2") == 1
    assert "kolonne gender" in capsys.readouterr().err


def test_the_cli_command_imports_and_refuses_a_full_dest(src: Path, tmp_path: Path, capsys) -> None:
    from coopstats import cli

    copy_demo(src)
    assert cli.main(["import", str(src), str(tmp_path / "ut")]) == 0
    assert (tmp_path / "ut" / "participants.csv").is_file()
    assert cli.main(["import", str(src), str(tmp_path / "ut")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert cli.main(["import", str(src), str(tmp_path / "ut"), "--overwrite"]) == 0


# --------------------------------------------------------------------------- property


def _write_dates(src: Path, values: list[str]) -> None:
    for table in FILES:
        write_csv(src / f"{table}.csv", demo_rows(table)[:1])
    rows = demo_rows("participants")[: len(values) + 1]
    j = rows[0].index("intake_date")
    for row, value in zip(rows[1:], values, strict=True):
        row[j] = value
    write_csv(src / "participants.csv", rows)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=st.lists(st.tuples(st.dates(), st.booleans()), min_size=1, max_size=10))
def test_day_month_year_dates_round_trip(days: list[tuple[date, bool]]) -> None:
    values = [
        f"{d.day:02d}.{d.month:02d}.{d.year:04d}" if pad else f"{d.day}.{d.month}.{d.year:04d}"
        for d, pad in days
    ]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "inn"
        src.mkdir()
        _write_dates(src, values)
        import_delivery(src, Path(tmp) / "ut")
        got = pd.read_csv(Path(tmp) / "ut" / "participants.csv", dtype=str)["intake_date"]
    assert got.tolist() == [d.isoformat() for d, _ in days]


# --------------------------------------------------------------------------- synonyms


def test_packaged_synonyms_cover_every_table() -> None:
    synonyms = load_synonyms()
    for table in FILES:
        assert synonyms.names[table], f"{table} has no Norwegian name"
        assert synonyms.table_of(SHEETS[table]) == table
        for column, header in NORWEGIAN[table].items():
            assert synonyms.column_of(table, header) == column
    assert synonyms.column_of("participants", " FØDSELSÅR ") == "birth_year"
    assert synonyms.column_of("reported_figures", "enhet") is None  # ambiguous on purpose
    assert normalise_name("  Til og  med ") == "til_og_med"


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        ("deltakere: {}\n", "deltakere: unexpected key"),
        ("participants:\n  columns:\n    birthyear: [født]\n", "not a column of participants"),
        (
            "participants:\n  columns:\n    intake_date: [dato]\n    exit_date: [Dato]\n",
            "participants.columns.exit_date: 'Dato' already means intake_date",
        ),
        (
            "spells:\n  columns:\n    start_date: [end-date]\n",
            "'end-date' already means end_date",
        ),
        ("spells:\n  names: [participants]\n", "'participants' already means participants"),
        ("spells:\n  columns:\n    full_time: [yes]\n", "spells.columns.full_time[0]"),
    ],
)
def test_broken_synonyms_are_rejected(tmp_path: Path, yaml_text: str, fragment: str) -> None:
    path = tmp_path / "header_synonyms.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SynonymError) as caught:
        load_synonyms(path)
    assert fragment in str(caught.value)


def test_a_directory_with_one_workbook_reads_it_as_the_delivery(src: Path, tmp_path: Path) -> None:
    write_workbook(src / "leveranse mars.xlsx", SHEETS)
    (src / "LESMEG.txt").write_text("Leveranse", encoding="utf-8")
    report = import_delivery(src, tmp_path / "ut")
    assert_same_as_demo(tmp_path / "ut")
    assert report.kind == "mappe med én Excel-arbeidsbok"
    assert [n.kind for n in report.notes] == ["workbook", "ignored_file"]
    assert "leveranse mars.xlsx" in report.notes[0].message
    assert report.notes[1].message == "filen LESMEG.txt er ikke brukt"


def test_utf8_bytes_in_a_windows_1252_file_are_noted(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = demo_rows("participants")
    j = rows[0].index("country_background")
    rows[1][j] = "Sør-Sudan"  # UTF-8 ...
    rows[2][j] = "Troms\udcf8"  # ... and one Windows-1252 byte (ø) in the same file
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(rows)
    (src / "participants.csv").write_bytes(body.getvalue().encode("utf-8", "surrogateescape"))
    report = import_delivery(src, tmp_path / "ut")
    assert report.tables[0].format.endswith("Windows-1252")
    assert [n.kind for n in report.notes if n.table == "participants"] == ["mojibake"]
    got = pd.read_csv(tmp_path / "ut" / "participants.csv", dtype=str)["country_background"]
    assert got[:2].tolist() == ["SÃ¸r-Sudan", "Tromsø"]


def test_a_repeated_unknown_header(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    rows = demo_rows("participants")
    extra = ["Merknad", "Merknad"]
    write_csv(src / "participants.csv", [rows[0] + extra] + [r + ["", ""] for r in rows[1:]])
    with pytest.raises(DeliveryImportError, match="kolonnen «Merknad» finnes to ganger"):
        import_delivery(src, tmp_path / "ut")


# --------------------------------------------------------------------------- documentation

DOCS = Path(__file__).resolve().parents[1] / "docs" / "import.md"


def build_docs_example(src: Path) -> None:
    """The delivery of the example in docs/import.md (see the text there)."""
    rows = map_kind(demo_rows("participants"), "participants", ("date",), dmy)
    rows = map_kind(rows, "participants", ("bool",), {"true": "Ja", "false": "Nei"}.__getitem__)
    rows = rename(rows, NORWEGIAN["participants"]) + [[""] * len(rows[0])] * 3
    write_csv(src / "Deltakere.csv", rows, sep=";", encoding="cp1252", newline="\r\n")
    workbook = Workbook()
    workbook.active.title = "Ark1"
    fill_sheet(workbook.active, "spells", trailing=2)
    workbook.save(src / "Forløp.xlsx")
    rows = demo_rows("activity_log")
    j = rows[0].index("period_end")
    for row in rows[1:4]:
        row[j] = dmy(row[j])
    write_csv(src / "aktivitetslogg.csv", rows)
    write_csv(src / "reported_figures.csv", demo_rows("reported_figures"))
    write_csv(src / "segments.csv", with_empty_rows(demo_rows("segments"), middle=20, trailing=0))
    (src / "LESMEG.txt").write_text("Leveranse mars 2025\n", encoding="utf-8")


def test_docs_example_report_is_what_the_import_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("leveranse").mkdir()
    build_docs_example(Path("leveranse"))
    report = import_delivery(Path("leveranse"), Path("importert"))
    documented = DOCS.read_text(encoding="utf-8").split("````markdown\n", 1)[1].split("````", 1)[0]
    assert documented == report.text()
    problems = format_problems(validate_directory("importert")).splitlines()
    assert all(line in DOCS.read_text(encoding="utf-8") for line in problems) and problems


def test_docs_list_exactly_the_synonyms() -> None:
    text = DOCS.read_text(encoding="utf-8").split("## Synonyms", 1)[1]
    data = yaml.safe_load(
        (Path(importer.__file__).parent / "definitions" / "header_synonyms.yaml").read_text(
            encoding="utf-8"
        )
    )
    for table in FILES:
        section = text.split(f"### {table}\n", 1)[1].split("\n### ", 1)[0]
        names = re.search(r"File or sheet names: (.*)\.\n", section).group(1)
        assert names == ", ".join(f"`{n}`" for n in [table, *data[table]["names"]])
        for column in COLUMNS[table]:
            row = re.search(rf"^\| `{column}` \| (.*) \|$", section, re.MULTILINE)
            assert row is not None, f"{table}.{column} missing from docs/import.md"
            listed = [v for v in row.group(1).split(", ") if v]
            assert listed == data[table]["columns"].get(column, []), f"{table}.{column}"


def test_the_optional_coverage_manifest_is_imported_when_present(src: Path, tmp_path: Path) -> None:
    copy_demo(src)
    manifest = (DEMO / "coverage.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(DEMO / "coverage.csv", dtype=str, keep_default_na=False)
    frame.to_csv(src / "dekning.csv", sep=";", index=False)
    import_delivery(src, tmp_path / "ut")
    assert (tmp_path / "ut" / "coverage.csv").read_text(encoding="utf-8") == manifest
    (tmp_path / "uten").mkdir()
    copy_demo(tmp_path / "uten")
    import_delivery(tmp_path / "uten", tmp_path / "ut2")
    assert not (tmp_path / "ut2" / "coverage.csv").exists()


def test_comparison_population_is_copied_unchanged(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    src = tmp_path / "leveranse"
    shutil.copytree(demo, src)
    report = import_delivery(src, tmp_path / "ut")
    for name in ("comparison.csv", "comparison_spells.csv"):
        assert (tmp_path / "ut" / name).read_bytes() == (demo / name).read_bytes()
        assert any(name in n.message and n.kind == "copied_file" for n in report.notes)
    assert validate_directory(tmp_path / "ut") == []
