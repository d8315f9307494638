"""Import a delivery as NAV and the counties send it and write it as a contract delivery.

:func:`import_delivery` reads a directory of CSV and/or Excel files (one per table) or one Excel
workbook with a sheet per table, and writes the five contract CSV files (UTF-8, ``,`` as
separator, the contract's column order) and a Norwegian report, ``import-rapport.md``, to a
new directory. The import changes the *form* of the data, never its content:

* file, sheet and column names are matched to the contract (:data:`coopstats.data.COLUMNS`)
  by their normalised name (:func:`normalise_name`) or by a variant listed in
  ``definitions/header_synonyms.yaml`` (:func:`load_synonyms`);
* the CSV separator (``,``, ``;`` or tab) and encoding (UTF-8, UTF-8 with BOM, Windows-1252)
  are detected; Excel cells are read as text (date cells as ISO dates, whole numbers without
  ``.0``, booleans as ``true``/``false``);
* empty rows and empty unnamed columns are dropped, cells stripped of surrounding whitespace;
* by the column's contract kind: ``DD.MM.YYYY`` dates become ISO dates when the whole column
  is in that form, decimal commas become points, yes/no forms become ``true``/``false``.

Every change is listed in the returned :class:`ImportReport` and in the report file, with a
count and examples. Anything else (unknown columns, mixed date formats, invalid values) is left
as it is, for :func:`coopstats.validate.validate_directory` to report. A delivery with an
11-digit number in any cell (a possible national identity number, found by
:func:`coopstats.contract.national_id_cells`) is refused and nothing is written.

The output is written into a temporary directory next to ``dest`` and renamed into place
only when everything succeeded. Errors the user can fix raise :class:`DeliveryImportError`
with a Norwegian message naming the file (and sheet) and what was expected.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
import shutil
import sys
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, create_model

from coopstats.contract import mask_national_ids, national_id_cells
from coopstats.data import COLUMNS, FILES, OPTIONAL_FILES
from coopstats.yamlio import DefinitionError, definitions_dir, format_validation, read_mapping

#: Every table a delivery may hold: the required ones, then the optional (``coverage``).
TABLES = (*FILES, *OPTIONAL_FILES)
#: File stems of the comparison population (coopstats.comparison), copied unchanged.
COMPARISON_STEMS = ("comparison", "comparison_spells")

__all__ = [
    "BOOLEAN_FORMS",
    "REPORT_NAME",
    "SYNONYMS_FILE",
    "Change",
    "DeliveryImportError",
    "ImportReport",
    "NationalIdError",
    "Note",
    "SourceTable",
    "SynonymError",
    "Synonyms",
    "import_delivery",
    "load_synonyms",
    "main_import",
    "normalise_name",
]

#: The report written next to the CSV files of the imported delivery.
REPORT_NAME = "import-rapport.md"
#: The packaged file of table and column name variants (``coopstats/definitions``).
SYNONYMS_FILE = "header_synonyms.yaml"

#: Boolean forms accepted in boolean columns (compared in lower case) and what they become.
#: The contract accepts exactly ``true`` and ``false`` (``coopstats.contract._boolean``).
BOOLEAN_FORMS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("true", "ja", "j", "yes", "y", "1", "sann", "sant"), "true"),
        **dict.fromkeys(("false", "nei", "n", "no", "0", "usann", "usant"), "false"),
    }
)

_CSV_SUFFIXES = (".csv",)
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_OLD_EXCEL_SUFFIXES = (".xls",)
_DATA_SUFFIXES = _CSV_SUFFIXES + _EXCEL_SUFFIXES + _OLD_EXCEL_SUFFIXES
_SEPARATORS = (",", ";", "\t")
_SEPARATOR_NAMES = {",": "«,»", ";": "«;»", "\t": "tabulator"}
_MAX_EXAMPLES = 3
_MAX_ROWS_LISTED = 20

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DMY_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
#: A decimal comma that could also be a thousands separator (``1,234``).
_THOUSANDS_LIKE = re.compile(r"-?[1-9]\d{0,2},\d{3}")
#: UTF-8 text read as Windows-1252 (``Ã¸`` for ``ø``).
_MOJIBAKE = re.compile(r"Ã[\x80-\xbf¦¥¸˜…†]")


class DeliveryImportError(ValueError):
    """The delivery cannot be imported as it is; the (Norwegian) message says what to fix."""


class NationalIdError(DeliveryImportError):
    """The delivery holds 11-digit numbers (possible national identity numbers)."""


class SynonymError(DefinitionError, ValueError):
    """The header synonyms file is malformed or ambiguous; the message says where."""


# --------------------------------------------------------------------------- names


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", ".": ""})
_NAME_SEPARATORS = re.compile(r"[\s_-]+")


def normalise_name(text: str) -> str:
    """The form names are compared in: lower case, æøå as ae/o/a, no dots, runs of
    whitespace, ``-`` and ``_`` as one ``_`` (``" Fødsels-år "`` → ``fodsels_ar``)."""
    folded = unicodedata.normalize("NFC", text).strip().lower().translate(_FOLD)
    return _NAME_SEPARATORS.sub("_", folded).strip("_")


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    names: tuple[StrictStr, ...] = ()
    columns: dict[str, tuple[StrictStr, ...]] = {}


_SynonymFile = create_model(  # one optional entry per contract table, nothing else
    "_SynonymFile",
    __config__=ConfigDict(frozen=True, extra="forbid"),
    **{table: (_Entry, _Entry()) for table in TABLES},
)


@dataclass(frozen=True)
class Synonyms:
    """Names the import accepts, keyed by their normalised form (:func:`normalise_name`).

    ``tables``: name → table (contract names included); ``columns``: table → header →
    column (contract names included); ``names``: table → its variants as written, the first
    being the Norwegian name used in messages.
    """

    tables: Mapping[str, str]
    columns: Mapping[str, Mapping[str, str]]
    names: Mapping[str, tuple[str, ...]]

    def table_of(self, name: str) -> str | None:
        """The table a file or sheet name means, or ``None``."""
        return self.tables.get(normalise_name(name))

    def column_of(self, table: str, header: str) -> str | None:
        """The contract column a header of ``table`` means, or ``None``."""
        return self.columns[table].get(normalise_name(header))

    def label(self, table: str) -> str:
        """``participants (deltakere)``: the table and its Norwegian name."""
        names = self.names.get(table, ())
        return f"{table} ({names[0]})" if names else table

    def file_names(self, table: str, suffix: str = "") -> str:
        """``participants eller deltakere``: the names to suggest for a file or sheet."""
        return " eller ".join(f"{name}{suffix}" for name in [table, *self.names[table][:1]])

    def suggest_columns(self, table: str, header: str) -> list[str]:
        """Contract columns whose name or a variant is close to ``header``."""
        return _close(normalise_name(header), self.columns[table])

    def suggest_tables(self, name: str) -> list[str]:
        """Tables whose name or a variant is close to ``name``."""
        return _close(normalise_name(name), self.tables)


def _close(key: str, lookup: Mapping[str, str]) -> list[str]:
    hits = difflib.get_close_matches(key, list(lookup), n=6, cutoff=0.6)
    return list(dict.fromkeys(lookup[hit] for hit in hits))[:3]


def _claim(lookup: dict[str, str], name: str, target: str, where: str) -> None:
    key = normalise_name(name)
    if not key:
        raise SynonymError(f"{where}: expected a non-empty name (got {name!r})")
    owner = lookup.setdefault(key, target)
    if owner != target:
        raise SynonymError(f"{where}: {name!r} already means {owner} (names must be unambiguous)")


def _column_lookup(filename: str, table: str, variants: Mapping[str, Sequence[str]]) -> dict:
    lookup = {normalise_name(column): column for column in COLUMNS[table]}
    for column, names in variants.items():
        where = f"{filename}: {table}.columns.{column}"
        if column not in COLUMNS[table]:
            known = ", ".join(COLUMNS[table])
            raise SynonymError(f"{where}: not a column of {table} (expected one of: {known})")
        for name in names:
            _claim(lookup, name, column, where)
    return lookup


def _build_synonyms(filename: str, data: Any) -> Synonyms:
    try:
        parsed = _SynonymFile.model_validate(data)
    except ValidationError as exc:
        raise SynonymError(format_validation(filename, exc, schema=_SynonymFile)) from exc
    tables = {normalise_name(table): table for table in TABLES}
    columns: dict[str, Mapping[str, str]] = {}
    names: dict[str, tuple[str, ...]] = {}
    for table in TABLES:
        entry: _Entry = getattr(parsed, table)
        for name in entry.names:
            _claim(tables, name, table, f"{filename}: {table}.names")
        names[table] = entry.names
        columns[table] = MappingProxyType(_column_lookup(filename, table, entry.columns))
    return Synonyms(MappingProxyType(tables), MappingProxyType(columns), MappingProxyType(names))


@cache
def _packaged_synonyms() -> Synonyms:
    filename, data = read_mapping(
        None, SYNONYMS_FILE, package_dir="definitions", error=SynonymError
    )
    return _build_synonyms(filename, data)


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Load and check the header synonyms (the packaged file when ``path`` is ``None``).

    Raises :class:`SynonymError` when a table or column is not in the contract, or when a
    name would mean two tables or two columns of one table.
    """
    if path is None and definitions_dir() is None:
        return _packaged_synonyms()
    filename, data = read_mapping(
        path, SYNONYMS_FILE, package_dir="definitions", error=SynonymError
    )
    return _build_synonyms(filename, data)


# --------------------------------------------------------------------------- the report


def _rows(n: int) -> str:
    return "1 rad" if n == 1 else f"{n} rader"


def _cells(n: int) -> str:
    return "1 celle" if n == 1 else f"{n} celler"


def _show(value: str, limit: int = 40) -> str:
    """A value as shown in the report: masked, shortened, quoted when spaces matter."""
    text = mask_national_ids(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'" if not text or text != text.strip() else text


@dataclass(frozen=True)
class Change:
    """One kind of change made to one table (and column).

    ``kind`` is a stable code (``date_dmy``, ``decimal_comma``, ``boolean``, ``whitespace``,
    ``header``, ``empty_rows``, ``empty_rows_trailing``, ``empty_columns``, ``extra_fields``,
    ``encoding``, ``separator``, ``line_endings``, ``excel_date``, ``excel_datetime``,
    ``excel_integer``, ``excel_boolean``); ``what`` says it in Norwegian; ``rows`` is the
    number of rows (cells) changed, ``None`` for changes to the file or its headers.
    """

    table: str
    column: str | None
    kind: str
    what: str
    rows: int | None = None
    examples: tuple[str, ...] = ()

    def text(self) -> str:
        """``kolonne intake_date: … (66 rader), f.eks. 21.08.2023 → 2023-08-21 (rad 2)``.

        The examples are introduced by "f.eks." when they are a selection, by ":" when they
        list every changed row (or every renamed column)."""
        where = f"kolonne {self.column}: " if self.column else ""
        count = f" ({_rows(self.rows)})" if self.rows is not None else ""
        examples = ""
        if self.examples:
            some = self.rows is not None and self.rows > len(self.examples)
            examples = (", f.eks. " if some else ": ") + "; ".join(self.examples)
        return f"{where}{self.what}{count}{examples}"


@dataclass(frozen=True)
class Note:
    """Something the import noticed and left unchanged (validation will usually report it).

    ``kind``: ``unknown_column``, ``missing_columns``, ``mixed_dates``, ``ambiguous_decimal``,
    ``excel_percent``, ``ignored_file``, ``ignored_sheet``, ``workbook``, ``mojibake`` or
    ``copied_file`` (a comparison-population file copied unchanged).
    """

    table: str | None
    column: str | None
    kind: str
    message: str

    def text(self) -> str:
        where = [self.table] if self.table else []
        if self.column:
            where.append(f"kolonne {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class SourceTable:
    """Where one table came from, in what format, and how many data rows it has."""

    table: str
    source: str
    format: str
    rows: int


@dataclass
class ImportReport:
    """What an import read, and every change it made (:meth:`text` is the Norwegian report)."""

    source: Path
    dest: Path
    kind: str
    tables: list[SourceTable] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def changes_in(
        self, table: str, column: str | None = None, kind: str | None = None
    ) -> list[Change]:
        """The changes to ``table`` (and ``column``, of ``kind``, when given)."""
        return [
            c
            for c in self.changes
            if c.table == table
            and (column is None or c.column == column)
            and (kind is None or c.kind == kind)
        ]

    def text(self) -> str:
        """The report as Markdown (bokmål), as written to ``import-rapport.md``."""
        lines = [
            "# Importrapport",
            "",
            f"- Kilde: `{self.source}` ({self.kind})",
            f"- Resultat: `{self.dest}`, fem CSV-filer i UTF-8 med komma som skilletegn",
            f"- Neste steg: `coopstats validate {self.dest}`",
            "",
            "## Filer",
            "",
            "| Tabell | Kilde | Format | Rader |",
            "|---|---|---|---:|",
            *(f"| {t.table} | {t.source} | {t.format} | {t.rows} |" for t in self.tables),
            "",
            "## Endringer",
            "",
            *self._change_lines(),
            "## Merknader (ikke endret)",
            "",
            *([f"- {note.text()}" for note in self.notes] or ["Ingen merknader."]),
        ]
        return "\n".join(lines) + "\n"

    def _change_lines(self) -> list[str]:
        if not self.changes:
            return ["Ingen verdier er endret.", ""]
        lines: list[str] = []
        for source in self.tables:
            changes = self.changes_in(source.table)
            if changes:
                lines += [f"### {source.table}.csv (fra {source.source})", ""]
                lines += [f"- {change.text()}" for change in changes] + [""]
        return lines


class _Log:
    """Collects the changes and notes of one table."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.changes: list[Change] = []
        self.notes: list[Note] = []

    def change(self, column: str | None, kind: str, what: str, **details: Any) -> None:
        self.changes.append(Change(self.table, column, kind, what, **details))

    def note(self, column: str | None, kind: str, message: str) -> None:
        self.notes.append(Note(self.table, column, kind, message))

    def values_changed(
        self, column: str, kind: str, what: str, before: pd.Series, after: pd.Series
    ) -> None:
        """Log the cells where ``after`` differs from ``before`` (if any) as one change."""
        changed = before != after
        if changed.any():
            examples = _examples(before[changed], after[changed])
            self.change(column, kind, what, rows=int(changed.sum()), examples=examples)


def _examples(before: pd.Series, after: pd.Series) -> tuple[str, ...]:
    """The first few changes with different values: ``'a' → b (rad 7)``."""
    first: dict[str, str] = {}
    for row, old, new in zip(before.index, before, after, strict=True):
        if old not in first:
            first[old] = f"{_show(old)} → {_show(new)} (rad {row})"
            if len(first) == _MAX_EXAMPLES:
                break
    return tuple(first.values())


def _row_list(rows: Sequence[int]) -> tuple[str, ...]:
    listed = [f"rad {n}" for n in rows[:_MAX_ROWS_LISTED]]
    return tuple(listed + (["…"] if len(rows) > _MAX_ROWS_LISTED else []))


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Event:
    """A change made while reading an Excel cell (column by position; header not known yet)."""

    row: int
    position: int
    kind: str
    before: str
    after: str


@dataclass
class _Raw:
    """One table as read: text cells with their row numbers in the source."""

    table: str
    source: str
    format: str
    records: list[tuple[int, list[str]]]
    separator: str | None = None
    events: list[_Event] = field(default_factory=list)
    file_changes: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _decode(path: Path) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise DeliveryImportError(
            f"Kunne ikke lese {path.name}: filen ser ut som UTF-16-tekst eller en binærfil. "
            "Lagre den som CSV (UTF-8) eller som Excel-arbeidsbok (.xlsx)."
        )
    if data.startswith(codecs.BOM_UTF8):
        encodings = [("utf-8-sig", "UTF-8 med BOM")]
    else:
        encodings = [("utf-8", "UTF-8"), ("cp1252", "Windows-1252")]
    for codec, name in encodings:
        try:
            return data.decode(codec), name
        except UnicodeDecodeError as exc:
            error = exc
    raise DeliveryImportError(
        f"Kunne ikke lese {path.name}: teksten er verken UTF-8 eller Windows-1252 (ugyldig "
        f"byte ved posisjon {error.start}). Lagre filen som CSV (UTF-8)."
    )


def _detect_separator(text: str) -> str:
    """The separator that splits the first non-empty line into the most fields (``,`` on ties)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    fields = {sep: len(next(csv.reader([first], delimiter=sep), [])) for sep in _SEPARATORS}
    return max(_SEPARATORS, key=lambda sep: fields[sep])


def _csv_records(text: str, separator: str, name: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DeliveryImportError(f"{name}, rad {line}: ikke gyldig CSV ({exc}).") from exc
    return records


def _csv_file_changes(encoding: str, separator: str, text: str) -> list[tuple[str, str]]:
    changes = []
    if encoding == "Windows-1252":
        changes.append(("encoding", "tegnkoding Windows-1252 gjort om til UTF-8"))
    elif encoding == "UTF-8 med BOM":
        changes.append(("encoding", "byte-order mark (BOM) fjernet, skrevet som UTF-8"))
    if separator != ",":
        name = _SEPARATOR_NAMES[separator]
        changes.append(("separator", f"skilletegn {name} byttet til «,»"))
    if "\r\n" in text:
        changes.append(("line_endings", "linjeskift CRLF (Windows) skrevet som LF"))
    return changes


def _read_csv(path: Path, table: str) -> _Raw:
    text, encoding = _decode(path)
    separator = _detect_separator(text)
    raw = _Raw(
        table,
        path.name,
        f"CSV, skilletegn {_SEPARATOR_NAMES[separator]}, tegnkoding {encoding}",
        _csv_records(text, separator, path.name),
        separator=separator,
        file_changes=_csv_file_changes(encoding, separator, text),
    )
    if encoding == "Windows-1252" and _MOJIBAKE.search(text):
        raw.notes.append(
            Note(
                table,
                None,
                "mojibake",
                f"{path.name} ble lest som Windows-1252, men inneholder tegn som «Ã¸» som "
                "tyder på at deler av filen er UTF-8; sjekk æ, ø og å",
            )
        )
    return raw


def _plain_number(value: float) -> str:
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text.lower() else text


def _excel_cell(value: object, number_format: str) -> tuple[str, tuple[str, str] | None]:
    """A cell's text and, when reading changed its form, ``(event kind, value as shown)``."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("true" if value else "false"), ("excel_boolean", "SANN" if value else "USANN")
    if isinstance(value, datetime):
        if value == datetime.combine(value.date(), datetime.min.time()):
            return value.date().isoformat(), ("excel_date", f"{value:%d.%m.%Y}")
        return value.isoformat(sep=" "), ("excel_datetime", f"{value:%d.%m.%Y %H:%M:%S}")
    if isinstance(value, date):
        return value.isoformat(), ("excel_date", f"{value:%d.%m.%Y}")
    if isinstance(value, int | float) and "%" in number_format:
        text = str(value) if isinstance(value, int) else _plain_number(value)
        return text, ("excel_percent", text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), ("excel_integer", repr(value))
    if isinstance(value, float):
        return _plain_number(value), None
    return str(value), None


def _open_workbook(path: Path) -> Any:
    try:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise DeliveryImportError(
            f"Kunne ikke lese {path.name}: pakken openpyxl, som leser Excel-filer, mangler."
        ) from exc
    try:
        return load_workbook(path, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise DeliveryImportError(
            f"Kunne ikke lese {path.name} som Excel-arbeidsbok ({type(exc).__name__}: {exc}). "
            "Lagre den på nytt som .xlsx."
        ) from exc


def _read_sheet(sheet: Any, table: str, workbook: str) -> _Raw:
    source = f"{workbook}, ark «{sheet.title}»"
    raw = _Raw(table, source, "Excel-ark", [])
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells = []
        for position, cell in enumerate(row):
            text, event = _excel_cell(cell.value, getattr(cell, "number_format", "") or "")
            cells.append(text)
            if event is not None:
                raw.events.append(_Event(number, position, event[0], event[1], text))
        raw.records.append((number, cells))
    return raw


def _sheet_list(workbook: Any) -> str:
    return ", ".join(sheet.title for sheet in workbook.worksheets)


def _missing_sheet(table: str, name: str, workbook: Any, synonyms: Synonyms) -> str:
    return (
        f"Fant ikke tabellen {synonyms.label(table)} i {name}: arkene heter "
        f"{_sheet_list(workbook)}. Gi arket navnet {synonyms.file_names(table)}."
    )


def _read_table_workbook(path: Path, table: str, synonyms: Synonyms) -> _Raw:
    """A workbook holding one table: its only sheet, or the sheet named after the table."""
    workbook = _open_workbook(path)
    try:
        sheets = workbook.worksheets
        if len(sheets) > 1:
            sheets = [s for s in sheets if synonyms.table_of(s.title) == table]
        if len(sheets) != 1:
            raise DeliveryImportError(
                _missing_sheet(table, path.name, workbook, synonyms)
                + " Eller lagre tabellen alene i arbeidsboka."
            )
        return _read_sheet(sheets[0], table, path.name)
    finally:
        workbook.close()


def _sheets_by_table(path: Path, workbook: Any, synonyms: Synonyms) -> tuple[dict, list[Note]]:
    found: dict[str, Any] = {}
    notes: list[Note] = []
    for sheet in workbook.worksheets:
        table = synonyms.table_of(sheet.title)
        if table is None:
            message = f"arket «{sheet.title}» i {path.name} er ikke brukt"
            notes.append(
                Note(None, None, "ignored_sheet", message + _table_hint(sheet.title, synonyms))
            )
            continue
        if table in found:
            raise DeliveryImportError(
                f"To ark i {path.name} svarer til tabellen {synonyms.label(table)}: "
                f"{found[table].title} og {sheet.title}. Behold bare ett av dem."
            )
        found[table] = sheet
    missing = [t for t in FILES if t not in found]
    if missing:
        raise DeliveryImportError(
            "\n".join(_missing_sheet(t, path.name, workbook, synonyms) for t in missing)
        )
    return found, notes


def _read_workbook(path: Path, synonyms: Synonyms) -> tuple[list[_Raw], list[Note]]:
    """A workbook with one sheet per table."""
    workbook = _open_workbook(path)
    try:
        found, notes = _sheets_by_table(path, workbook, synonyms)
        return [_read_sheet(found[t], t, path.name) for t in TABLES if t in found], notes
    finally:
        workbook.close()


def _table_hint(name: str, synonyms: Synonyms) -> str:
    tables = synonyms.suggest_tables(Path(name).stem)
    if tables:
        return f" – mente du {' eller '.join(synonyms.label(t) for t in tables)}?"
    return " (navnet svarer ikke til noen tabell)"


def _files_by_table(src: Path, synonyms: Synonyms) -> tuple[dict[str, Path], list[Note]]:
    found: dict[str, Path] = {}
    notes: list[Note] = []
    files = sorted(p for p in src.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    for path in files:
        if path.stem in COMPARISON_STEMS and path.suffix.lower() in (".csv", ".parquet"):
            continue  # copied as they are (see import_delivery)
        data = path.suffix.lower() in _DATA_SUFFIXES
        table = synonyms.table_of(path.stem) if data else None
        if table is None:
            hint = _table_hint(path.name, synonyms) if data else ""
            notes.append(Note(None, None, "ignored_file", f"filen {path.name} er ikke brukt{hint}"))
            continue
        if table in found:
            raise DeliveryImportError(
                f"To filer i {src} svarer til tabellen {synonyms.label(table)}: "
                f"{found[table].name} og {path.name}. Behold bare én av dem."
            )
        found[table] = path
    missing = [t for t in FILES if t not in found]
    if missing:
        names = ", ".join(p.name for p in files) or "ingen (mappa er tom)"
        raise DeliveryImportError(
            "\n".join(
                f"Fant ikke tabellen {synonyms.label(t)} i {src}: filene heter {names}. Gi "
                f"filen navnet {synonyms.file_names(t, '.csv')} (eller .xlsx)."
                for t in missing
            )
        )
    return found, notes


def _old_excel(path: Path) -> DeliveryImportError:
    return DeliveryImportError(
        f"{path.name} er i det gamle Excel-formatet (.xls), som ikke kan leses. "
        "Lagre den som Excel-arbeidsbok (.xlsx) eller som CSV."
    )


def _read_file(path: Path, table: str, synonyms: Synonyms) -> _Raw:
    suffix = path.suffix.lower()
    if suffix in _OLD_EXCEL_SUFFIXES:
        raise _old_excel(path)
    if suffix in _EXCEL_SUFFIXES:
        return _read_table_workbook(path, table, synonyms)
    return _read_csv(path, table)


def _source_kind(paths: Iterable[Path]) -> str:
    suffixes = {p.suffix.lower() in _EXCEL_SUFFIXES for p in paths}
    if suffixes == {True}:
        return "mappe med én Excel-fil per tabell"
    if suffixes == {False}:
        return "mappe med CSV-filer"
    return "mappe med CSV- og Excel-filer"


def _lone_workbook(src: Path, synonyms: Synonyms) -> Path | None:
    """The one Excel file of a directory none of whose files is named after a table."""
    files = [p for p in src.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))]
    if any(synonyms.table_of(p.stem) for p in files if p.suffix.lower() in _DATA_SUFFIXES):
        return None
    excel = [p for p in files if p.suffix.lower() in _EXCEL_SUFFIXES]
    return excel[0] if len(excel) == 1 else None


def _read_source(src: Path, synonyms: Synonyms) -> tuple[list[_Raw], str, list[Note]]:
    """Every table of the delivery, what kind of source it was, and notes on unused parts."""
    if not src.exists():
        raise DeliveryImportError(f"Fant ikke leveransen {src}: stien finnes ikke.")
    workbook = _lone_workbook(src, synonyms) if src.is_dir() else None
    if workbook is not None:
        raws, notes = _read_workbook(workbook, synonyms)
        message = (
            "ingen fil i mappa er oppkalt etter en tabell, så den eneste Excel-filen, "
            f"{workbook.name}, er lest som en arbeidsbok med ett ark per tabell"
        )
        others = [
            Note(None, None, "ignored_file", f"filen {p.name} er ikke brukt")
            for p in sorted(src.iterdir())
            if p.is_file() and p != workbook and not p.name.startswith((".", "~$"))
        ]
        notes = [Note(None, None, "workbook", message), *notes, *others]
        return raws, "mappe med én Excel-arbeidsbok", notes
    if src.is_dir():
        found, notes = _files_by_table(src, synonyms)
        raws = [_read_file(found[t], t, synonyms) for t in TABLES if t in found]
        return raws, _source_kind(found.values()), notes
    if src.suffix.lower() in _EXCEL_SUFFIXES:
        raws, notes = _read_workbook(src, synonyms)
        return raws, "Excel-arbeidsbok med ett ark per tabell", notes
    if src.suffix.lower() in _OLD_EXCEL_SUFFIXES:
        raise _old_excel(src)
    raise DeliveryImportError(
        f"{src} er ikke en mappe eller en Excel-arbeidsbok. Forventet en mappe med de fem "
        "tabellene som CSV- eller Excel-filer, eller én arbeidsbok (.xlsx) med ett ark per tabell."
    )


# --------------------------------------------------------------------------- normalising


@dataclass
class _Table:
    """One table ready to be written: text cells indexed by their row number in the source."""

    name: str
    frame: pd.DataFrame
    header_row: int
    source: SourceTable
    changes: list[Change]
    notes: list[Note]


def _empty(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _split_header(raw: _Raw, log: _Log) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header (the first non-empty row), and the data rows without empty rows."""
    start = next((i for i, (_, cells) in enumerate(raw.records) if not _empty(cells)), None)
    if start is None:
        raise DeliveryImportError(
            f"{raw.source} er tom: forventet en overskriftsrad med kolonnenavn og rader med data."
        )
    body = raw.records[start + 1 :]
    end = len(body)
    while end and _empty(body[end - 1][1]):
        end -= 1
    inner = [n for n, cells in raw.records[:start] + body[:end] if _empty(cells)]
    if inner:
        rows = _row_list(inner)
        log.change(None, "empty_rows", "tomme rader fjernet", rows=len(inner), examples=rows)
    if end < len(body):
        what = "tomme rader på slutten fjernet"
        log.change(None, "empty_rows_trailing", what, rows=len(body) - end)
    kept = [(n, cells) for n, cells in body[:end] if not _empty(cells)]
    return raw.records[start][0], list(raw.records[start][1]), kept


def _fit_width(
    raw: _Raw, header: list[str], records: list[tuple[int, list[str]]], log: _Log
) -> list[tuple[int, list[str]]]:
    """Rows with as many fields as the header; empty fields after the last one are dropped."""
    width = len(header)
    fitted: list[tuple[int, list[str]]] = []
    trimmed: list[int] = []
    wrong: list[str] = []
    for number, cells in records:
        if len(cells) > width and _empty(cells[width:]):
            cells = cells[:width]
            trimmed.append(number)
        if len(cells) != width:
            wrong.append(f"rad {number}: {len(cells)} felt")
        fitted.append((number, cells))
    if wrong:
        hint = ""
        if raw.separator == ",":
            hint = " Står det et desimalkomma i en verdi uten anførselstegn rundt?"
        listed = "; ".join(wrong[:5]) + (" …" if len(wrong) > 5 else "")
        raise DeliveryImportError(
            f"{raw.source}: overskriftsraden har {width} felt, men {_rows(len(wrong))} har et "
            f"annet antall ({listed}).{hint}"
        )
    if trimmed:
        what = "tomme felt etter siste kolonne fjernet"
        log.change(None, "extra_fields", what, rows=len(trimmed), examples=_row_list(trimmed)[:3])
    return fitted


def _named_positions(
    raw: _Raw, header: list[str], records: list[tuple[int, list[str]]], log: _Log
) -> list[int]:
    """Positions of the named columns; unnamed columns must be empty and are dropped."""
    keep: list[int] = []
    dropped: list[str] = []
    for position, name in enumerate(header):
        if name.strip():
            keep.append(position)
        elif any(cells[position].strip() for _, cells in records):
            raise DeliveryImportError(
                f"{raw.source}: kolonne nr. {position + 1} har verdier, men ingen overskrift. "
                "Gi kolonnen et navn eller slett den."
            )
        else:
            dropped.append(f"kolonne nr. {position + 1}")
    if dropped:
        what = "tomme kolonner uten overskrift fjernet"
        log.change(None, "empty_columns", what, examples=tuple(dropped[:_MAX_ROWS_LISTED]))
    return keep


def _map_headers(raw: _Raw, headers: list[str], synonyms: Synonyms, log: _Log) -> list[str]:
    """Contract names for the headers; unknown headers are kept as they are (and noted)."""
    names: list[str] = []
    renamed: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        column = synonyms.column_of(raw.table, header)
        name = column or header
        if name in seen and column is None:
            raise DeliveryImportError(f"{raw.source}: kolonnen «{header}» finnes to ganger.")
        if name in seen:
            raise DeliveryImportError(
                f"{raw.source}: kolonnene «{seen[name]}» og «{header}» svarer begge til "
                f"{name}. Behold bare én av dem."
            )
        seen[name] = header
        names.append(name)
        if column is None:
            log.note(header, "unknown_column", _unknown_column(raw.table, header, synonyms))
        elif column != header:
            renamed.append(f"{header} → {column}")
    if renamed:
        what = "kolonnenavn gjort om til kontraktens navn"
        log.change(None, "header", what, examples=tuple(renamed))
    missing = [c for c in COLUMNS[raw.table] if c not in seen]
    if missing:
        message = f"kolonner som mangler: {', '.join(missing)} (valideringen melder dem)"
        log.note(None, "missing_columns", message)
    return names


def _unknown_column(table: str, header: str, synonyms: Synonyms) -> str:
    message = "ukjent kolonne, beholdt uendret (valideringen melder den)"
    hits = synonyms.suggest_columns(table, header)
    return message + (f" – mente du {' eller '.join(hits)}?" if hits else "")


_EVENT_TEXT = {
    "excel_date": "Excel-dato skrevet som ÅÅÅÅ-MM-DD",
    "excel_datetime": "Excel-dato med klokkeslett skrevet som ÅÅÅÅ-MM-DD TT:MM:SS",
    "excel_integer": "Excel-tall uten desimaler skrevet som heltall",
    "excel_boolean": "Excel-sannhetsverdi skrevet som true/false",
}


def _log_events(raw: _Raw, positions: dict[int, str], rows: pd.Index, log: _Log) -> None:
    """Turn the Excel events of kept cells into changes (and notes for percent cells)."""
    grouped: dict[tuple[str, str], list[_Event]] = {}
    kept_rows = set(rows)
    for event in raw.events:
        if event.row in kept_rows and event.position in positions:
            grouped.setdefault((positions[event.position], event.kind), []).append(event)
    for (column, kind), events in grouped.items():
        if kind == "excel_percent":
            log.note(column, kind, _percent_message(events))
            continue
        index = [e.row for e in events]
        examples = _examples(
            pd.Series([e.before for e in events], index=index),
            pd.Series([e.after for e in events], index=index),
        )
        log.change(column, kind, _EVENT_TEXT[kind], rows=len(events), examples=examples)


def _percent_message(events: list[_Event]) -> str:
    first = events[0]
    return (
        f"{_rows(len(events))} er formatert som prosent i Excel; verdien er brøken, ikke "
        f"prosenttallet (rad {first.row}: {first.after}, vist som prosent). Sjekk verdiene."
    )


def _strip_cells(frame: pd.DataFrame, log: _Log) -> None:
    for column in frame.columns:
        before = frame[column]
        after = before.str.strip()
        log.values_changed(column, "whitespace", "mellomrom rundt verdien fjernet", before, after)
        frame[column] = after


def _dmy_to_iso(text: str) -> str | None:
    match = _DMY_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_form(text: str) -> str:
    if _ISO_DATE.fullmatch(text):
        return "på formen ÅÅÅÅ-MM-DD"
    if _dmy_to_iso(text) is not None:
        return "på formen DD.MM.ÅÅÅÅ"
    if _DMY_DATE.fullmatch(text):
        return "med ugyldig dato på formen DD.MM.ÅÅÅÅ"
    return "i en annen form"


def _convert_dates(values: pd.Series, column: str, log: _Log) -> pd.Series:
    """ISO dates for a column whose every non-empty value is a valid ``D.M.YYYY`` date."""
    present = values[values != ""]
    iso = present.map(_dmy_to_iso)
    if present.empty or iso.isna().all():
        return values
    if iso.notna().all():
        after = values.copy()
        after.loc[present.index] = iso
        log.values_changed(
            column, "date_dmy", "dato DD.MM.ÅÅÅÅ gjort om til ÅÅÅÅ-MM-DD", values, after
        )
        return after
    forms = present.map(_date_form)
    counts = ", ".join(
        f"{len(group)} {form} (f.eks. {_show(group.iloc[0])}, rad {group.index[0]})"
        for form, group in present.groupby(forms, sort=False)
    )
    log.note(
        column,
        "mixed_dates",
        f"ikke gjort om til ÅÅÅÅ-MM-DD fordi kolonnen blander datoformer: {counts}; "
        "verdiene er beholdt uendret",
    )
    return values


def _convert_decimals(values: pd.Series, column: str, trusted: bool, log: _Log) -> pd.Series:
    """Decimal comma → point: all of them when ``trusted``, otherwise the unambiguous ones."""
    comma = values.map(lambda v: _DECIMAL_COMMA.fullmatch(v) is not None).astype(bool)
    ambiguous = values.map(lambda v: _THOUSANDS_LIKE.fullmatch(v) is not None).astype(bool)
    if trusted:
        ambiguous[:] = False
    convert = comma & ~ambiguous
    after = values.where(~convert, values.str.replace(",", ".", regex=False))
    what = "desimalkomma gjort om til desimalpunktum"
    log.values_changed(column, "decimal_comma", what, values, after)
    if ambiguous.any():
        first = values[ambiguous].iloc[0]
        log.note(
            column,
            "ambiguous_decimal",
            f"{_rows(int(ambiguous.sum()))} beholdt uendret fordi kommaet kan være tusenskille "
            f"eller desimalkomma (f.eks. {_show(first)}, rad {values[ambiguous].index[0]}); "
            "bruk punktum som desimaltegn og ingen tusenskille",
        )
    return after


def _convert_booleans(values: pd.Series, column: str, log: _Log) -> pd.Series:
    after = values.map(lambda v: BOOLEAN_FORMS.get(v.lower(), v) if v else v)
    log.values_changed(column, "boolean", "sannhetsverdi gjort om til true/false", values, after)
    return after


def _convert_kinds(frame: pd.DataFrame, raw: _Raw, log: _Log) -> None:
    for column, kind in COLUMNS[raw.table].items():
        if column not in frame:
            continue
        if kind == "date":
            frame[column] = _convert_dates(frame[column], column, log)
        elif kind in ("int", "float"):
            trusted = raw.separator == ";"
            frame[column] = _convert_decimals(frame[column], column, trusted, log)
        elif kind == "bool":
            frame[column] = _convert_booleans(frame[column], column, log)


def _ordered(columns: Iterable[str], table: str) -> list[str]:
    """The contract's columns in contract order, then the others in their own order."""
    present = list(columns)
    return [c for c in COLUMNS[table] if c in present] + [
        c for c in present if c not in COLUMNS[table]
    ]


def _normalise(raw: _Raw, synonyms: Synonyms) -> _Table:
    log = _Log(raw.table)
    for kind, what in raw.file_changes:
        log.change(None, kind, what)
    log.notes.extend(raw.notes)
    header_row, header, records = _split_header(raw, log)
    records = _fit_width(raw, header, records, log)
    keep = _named_positions(raw, header, records, log)
    names = _map_headers(raw, [header[i] for i in keep], synonyms, log)
    frame = pd.DataFrame(
        [[cells[i] for i in keep] for _, cells in records],
        columns=names,
        index=pd.Index([n for n, _ in records], dtype="int64"),
        dtype=object,
    )
    _log_events(raw, dict(zip(keep, names, strict=True)), frame.index, log)
    _strip_cells(frame, log)
    _convert_kinds(frame, raw, log)
    frame = frame[_ordered(frame.columns, raw.table)]
    source = SourceTable(raw.table, raw.source, raw.format, len(frame))
    return _Table(raw.table, frame, header_row, source, log.changes, log.notes)


# --------------------------------------------------------------------------- privacy


def _refuse_national_ids(tables: Sequence[_Table], dest: Path) -> None:
    """Raise :class:`NationalIdError` when any cell or header holds an 11-digit number."""
    hits: list[str] = []
    for table in tables:
        headers = pd.DataFrame([list(table.frame.columns)], index=[table.header_row])
        for frame in (headers, table.frame):
            for row, column, value in national_id_cells(frame):
                where = f"{table.source.source}, rad {row}"
                if frame is table.frame:
                    where += f", kolonne {mask_national_ids(column)}"
                hits.append(f"- {where}: {mask_national_ids(value)}")
    if hits:
        listed = hits[:_MAX_ROWS_LISTED] + (["- …"] if len(hits) > _MAX_ROWS_LISTED else [])
        raise NationalIdError(
            f"Leveransen er ikke importert, og ingenting er skrevet til {dest}: den inneholder "
            f"11-sifrede tall ({_cells(len(hits))}), som kan være fødselsnummer eller D-nummer. "
            "Bytt dem ut med prosjektets pseudonymer og importer på nytt.\n" + "\n".join(listed)
        )


# --------------------------------------------------------------------------- writing


def _check_dest(src: Path, dest: Path, overwrite: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise DeliveryImportError(
            f"{dest} er en fil. Forventet en mappe (ny eller tom) for den importerte leveransen."
        )
    source, target = src.resolve(), dest.resolve()
    if target == source or target in source.parents:
        raise DeliveryImportError(
            f"Målmappa {dest} kan ikke være leveransen selv eller en mappe som inneholder den."
        )
    if dest.is_dir() and any(dest.iterdir()) and not overwrite:
        raise DeliveryImportError(
            f"Målmappa {dest} finnes allerede og er ikke tom. Velg en ny mappe, eller importer "
            "med overskriving (--overwrite, i Python overwrite=True) for å erstatte hele "
            "innholdet."
        )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(frame.columns)
        writer.writerows(frame.itertuples(index=False, name=None))


def _replace_dir(new: Path, dest: Path) -> None:
    """Move the directory ``new`` to ``dest``, replacing what is there."""
    if not dest.exists():
        os.rename(new, dest)
        return
    old = dest.with_name(f".{dest.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(dest, old)
    try:
        os.rename(new, dest)
    except OSError:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _publish(dest: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a fresh directory next to ``dest``; rename it to ``dest`` if it works."""
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = dest.with_name(f".{dest.name}.import-{uuid.uuid4().hex[:8]}")
    work.mkdir()
    try:
        write(work)
        _replace_dir(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def import_delivery(
    src: str | Path,
    dest: str | Path,
    *,
    overwrite: bool = False,
    synonyms: Synonyms | None = None,
) -> ImportReport:
    """Import the delivery in ``src`` and write it as a contract delivery to ``dest``.

    ``src`` is a directory of CSV and/or Excel files (one per table, named after the table or a
    variant of its name) or one Excel workbook with a sheet per table. ``dest`` must not exist
    or be empty, unless ``overwrite`` is true: then its whole content is replaced. ``synonyms``
    defaults to :func:`load_synonyms`.

    Returns the report (also written to ``dest/import-rapport.md``). Raises
    :class:`DeliveryImportError` (:class:`NationalIdError` for identity numbers) with a
    Norwegian message; then nothing is written.
    """
    src, dest = Path(src), Path(dest)
    synonyms = synonyms or load_synonyms()
    _check_dest(src, dest, overwrite)
    raws, kind, notes = _read_source(src, synonyms)
    tables = [_normalise(raw, synonyms) for raw in raws]
    _refuse_national_ids(tables, dest)
    report = ImportReport(
        source=src,
        dest=dest,
        kind=kind,
        tables=[t.source for t in tables],
        changes=[c for t in tables for c in t.changes],
        notes=notes + [n for t in tables for n in t.notes],
    )

    # the comparison population is a register extract in contract form (often Parquet and
    # register-sized): copied unchanged, and validated with the rest
    extra = (
        sorted(p for p in src.iterdir() if p.stem in COMPARISON_STEMS and p.is_file()
               and p.suffix.lower() in (".csv", ".parquet"))
        if src.is_dir() else []
    )  # fmt: skip
    report.notes.extend(
        Note(None, None, "copied_file", f"filen {p.name} er kopiert uendret (sammenligningsgruppe)")
        for p in extra
    )

    def write(directory: Path) -> None:
        for table in tables:
            _write_csv(table.frame, directory / f"{table.name}.csv")
        for path in extra:
            shutil.copyfile(path, directory / path.name)
        (directory / REPORT_NAME).write_text(report.text(), encoding="utf-8")

    _publish(dest, write)
    return report


def main_import(src: str | Path, dest: str | Path, *, overwrite: bool = False) -> int:
    """``coopstats import SRC DEST``: import, print the report, validate the result.

    Exit code 0: imported and valid; 1: imported, but validation found problems (printed on
    standard error); 2: not imported (the reason is printed on standard error).
    """
    from coopstats.validate import format_problems, validate_directory

    try:
        report = import_delivery(src, dest, overwrite=overwrite)
    except DeliveryImportError as exc:
        print(f"coopstats import: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    problems = validate_directory(dest)
    if problems:
        print(format_problems(problems), file=sys.stderr)
        noun = "problem" if len(problems) == 1 else "problemer"
        print(f"{len(problems)} {noun} funnet i {dest}", file=sys.stderr)
        return 1
    print(f"OK: {dest} følger datakontrakten")
    return 0
