"""The comparison population: contract, fast validation and loading.

A delivery may hold a *comparison population* next to the participants: non-participants in the
target group, drawn from the same registers, for matched comparisons (:mod:`coopstats.matching`).
It is two optional files, each as CSV or Parquet:

* ``comparison.csv`` / ``comparison.parquet``: one row per person (:data:`PERSON_COLUMNS`);
* ``comparison_spells.csv`` / ``comparison_spells.parquet``: their register spells, with exactly
  the columns and rules of ``spells.csv`` (:data:`SPELL_COLUMNS`).

Both files or neither; one without the other, or the same file as both CSV and Parquet, is an
error. The contract is described in ``data/README.md`` (section "comparison.csv and
comparison_spells").

A comparison population can be large (a million persons, five million spells), so the
validation is set-based: every file is scanned by DuckDB (Parquet directly; CSV after a
vectorised NumPy pass that finds the records and their line numbers and a pyarrow parse), and
every rule is a SQL expression evaluated over all rows or all distinct values at once (see
:class:`_Checker`); no Python code runs per row (except a fallback to the exact reader of
:mod:`coopstats.validate` for a CSV file whose records pyarrow splits differently, such as one
with a stray quote). Problems are
:class:`coopstats.validate.Problem` objects with Norwegian texts; ``row`` is the line number in
the CSV file (header = 1, first data row = 2), and for Parquet the same numbering of the rows
(the first row of the file is 2, as if it were written to CSV with a header). At most
:data:`EXAMPLES_PER_RULE` problems are listed per file, column and rule; the rest is one summary
problem with the count.
"""

from __future__ import annotations

import codecs
import csv
import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from coopstats.contract import EDUCATION_LEVELS, GENDERS, SPELL_KINDS, mask_national_ids
from coopstats.data import COLUMNS, DataValidationError
from coopstats.registry import Registry, load_registry
from coopstats.validate import Problem, format_problems, read_raw

__all__ = [
    "EXAMPLES_PER_RULE",
    "FORMATS",
    "PERSONS",
    "PERSON_COLUMNS",
    "SPELLS",
    "SPELL_COLUMNS",
    "Comparison",
    "ComparisonValidationError",
    "comparison_files",
    "load_comparison",
    "validate_comparison",
]

#: File stem of the comparison persons and of their spells.
PERSONS = "comparison"
SPELLS = "comparison_spells"
#: Accepted formats (file suffixes), in the order they are looked for.
FORMATS: tuple[str, ...] = ("csv", "parquet")

#: Column → dtype kind (as :data:`coopstats.data.COLUMNS`) of the comparison persons.
PERSON_COLUMNS: dict[str, str] = {
    "person_id": "str",
    "unit_id": "str",
    "reference_date": "date",
    "gender": "str",
    "birth_year": "int",
    "country_background": "str",
    "education_completed": "str",
}
#: The comparison spells have exactly the columns of ``spells.csv``.
SPELL_COLUMNS: dict[str, str] = dict(COLUMNS["spells"])

#: How many problems are listed per file, column and rule before one summary problem.
EXAMPLES_PER_RULE = 20

#: Registry unit kind of a NAV unit (the comparison persons belong to NAV units).
NAV_UNIT_KIND = "nav_fylkesenhet"

_ROW = "_coopstats_row"
_ID_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_TOKEN_RE = r"[a-z0-9]+([_-][a-z0-9]+)*"
_ISO_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DMY_RE = r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"
_INT_RE = r"-?[0-9]+"
_NATIONAL_ID_SQL = r"(^|[^0-9])[0-9]{11}([^0-9]|$)"
_REQUIRED = "en verdi (feltet er påkrevd)"
_ISO_EXPECTED = "dato på formen ÅÅÅÅ-MM-DD"
_DMY_HINT = "skriv datoene på formen ÅÅÅÅ-MM-DD (for eksempel 2023-08-21)"
_NATIONAL_ID = "ingen 11-sifrede tall (fødselsnummer/D-nummer skal ikke leveres)"


# --------------------------------------------------------------------------- files


def _find(directory: Path) -> tuple[tuple[Path, Path] | None, list[Problem]]:
    """The comparison files of ``directory`` and the problems of the file set."""
    found: dict[str, list[Path]] = {
        stem: [
            directory / f"{stem}.{ext}"
            for ext in FORMATS
            if (directory / f"{stem}.{ext}").is_file()
        ]
        for stem in (PERSONS, SPELLS)
    }
    if not found[PERSONS] and not found[SPELLS]:
        return None, []
    problems: list[Problem] = []
    for stem, paths in found.items():
        if len(paths) > 1:
            problems.append(
                Problem(
                    paths[0].name,
                    None,
                    None,
                    None,
                    f"bare én av {stem}.csv og {stem}.parquet",
                    "begge finnes i leveransen – fjern den ene",
                )
            )
    for stem, other in ((PERSONS, SPELLS), (SPELLS, PERSONS)):
        if found[stem] and not found[other]:
            problems.append(
                Problem(
                    f"{other}.csv",
                    None,
                    None,
                    None,
                    f"filen {other}.csv eller {other}.parquet i {directory}",
                    f"{found[stem][0].name} er levert; sammenligningsgruppen leveres med både "
                    f"personfilen ({PERSONS}) og forløpene ({SPELLS}), eller uten noen av dem",
                )
            )
    if problems:
        return None, problems
    return (found[PERSONS][0], found[SPELLS][0]), []


def comparison_files(directory: str | Path) -> tuple[Path, Path] | None:
    """The comparison files of a delivery: ``(persons, spells)``, or ``None`` when it has none.

    Each is the ``.csv`` or the ``.parquet`` file. Raises :class:`ValueError` (Norwegian
    message) when the delivery has only one of the two files, or a file as both CSV and
    Parquet; :func:`validate_comparison` reports the same as problems.
    """
    pair, problems = _find(Path(directory))
    if problems:
        raise ValueError(
            "Sammenligningsgruppen er ikke levert som to filer:\n" + format_problems(problems)
        )
    return pair


# --------------------------------------------------------------------------- reading CSV


def _no_header(name: str) -> list[Problem]:
    return [Problem(name, None, None, None, "en overskriftsrad med kolonnenavn", kind="no_header")]


def _encoding_problem(name: str, data: bytes, start: int) -> Problem:
    line = data.count(b"\n", 0, start) + 1
    return Problem(
        name,
        None,
        None,
        None,
        "UTF-8-kodet tekst",
        f"første tegn som ikke er UTF-8 står på linje {line} – lagre filen som UTF-8 "
        "(«CSV UTF-8 (kommadelt)»)",
        "encoding",
    )


def _separator_problem(name: str, header: str) -> Problem | None:
    names = {";": "semikolon", "\t": "tabulator", "|": "loddrett strek"}
    best = max(names, key=header.count)
    if header.count(best) <= header.count(","):
        return None
    return Problem(
        name,
        None,
        None,
        None,
        "komma som skilletegn",
        f"filen ser ut til å bruke {names[best]} som skilletegn – lagre den med komma",
        "separator",
    )


def _arrow_from_raw(path: Path) -> tuple[pa.Table | None, list[Problem]]:
    """The exact, record-by-record reader of :mod:`coopstats.validate` (a fallback for files
    whose records the vectorised pass cannot split, such as stray quotes)."""
    frame, problems = read_raw(path)
    if frame is None:
        return None, problems
    columns = {
        c: pa.array([None if pd.isna(v) else str(v) for v in frame[c]], pa.string())
        for c in frame.columns
    }
    columns[_ROW] = pa.array(frame.index.to_numpy(dtype=np.int64))
    return pa.table(columns), problems


def _utf8_error(data: bytes, start: int, chunk: int = 1 << 24) -> int | None:
    """Byte offset of the first invalid UTF-8 sequence from ``start`` (``None`` if valid),
    checked in chunks so that a large file is never held as one Python string."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for offset in range(start, len(data), chunk):
        pending = len(decoder.getstate()[0])  # bytes of a character split by the last chunk
        try:
            decoder.decode(data[offset : offset + chunk], final=offset + chunk >= len(data))
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
    return None


def _read_csv(path: Path) -> tuple[pa.Table | None, list[Problem]]:
    """Read a CSV file as text columns plus the line number of each row (``_coopstats_row``).

    Records are found with NumPy: a newline outside quotes (even quote parity) ends a record, so
    line numbers are exact also when a quoted cell holds a line break. Blank lines are skipped;
    rows whose cells are all empty and rows with another number of fields than the header row
    are reported and left out; pyarrow parses the rest. The table is ``None`` when the file
    cannot be read (not UTF-8, another separator than ``,``, no header row).
    """
    name = path.name
    data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    bad = _utf8_error(data, bom)
    if bad is not None:
        return None, [_encoding_problem(name, data, bad)]
    buf = np.frombuffer(data, dtype=np.uint8)[bom:]
    if buf.size == 0:
        return None, _no_header(name)
    quoted = b'"' in data
    if quoted:  # even quote parity = outside quotes
        outside = np.cumsum(buf == ord('"'), dtype=np.uint8)
        np.bitwise_and(outside, 1, out=outside)
        outside = outside == 0
    newlines = np.flatnonzero(buf == ord("\n"))
    ends = newlines[outside[newlines]] if quoted else newlines
    starts = np.concatenate(([0], ends + 1))
    if starts[-1] >= buf.size:
        starts = starts[:-1]
    stops = np.append(ends, buf.size)[: starts.size]  # exclusive, without the newline
    lines = np.searchsorted(newlines, starts) + 1
    del newlines, ends
    carriage = np.zeros(starts.size, dtype=bool)
    some = stops > starts
    carriage[some] = buf[stops[some] - 1] == ord("\r")
    blank = stops - starts - carriage == 0
    commas = np.flatnonzero(buf == ord(","))
    if quoted:
        commas = commas[outside[commas]]
        del outside
    fields = np.searchsorted(commas, stops) - np.searchsorted(commas, starts) + 1
    del commas

    def filled(record: int) -> bool:
        """A character other than blanks, commas and quotes (not a row of empty cells)."""
        return bool(bytes(buf[starts[record] : stops[record]]).strip(b' \t\r,"'))

    head = next((i for i in np.flatnonzero(~blank) if filled(int(i))), None)
    if head is None:
        return None, _no_header(name)
    head = int(head)
    header_text = bytes(buf[starts[head] : stops[head]]).decode("utf-8").rstrip("\r")
    separator = _separator_problem(name, header_text)
    if separator is not None:
        return None, [separator]
    header = [cell.strip() for cell in next(csv.reader([header_text]))]
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    for i, column in enumerate(header):
        if column in positions:
            problems.append(
                Problem(
                    name,
                    int(lines[head]),
                    column,
                    None,
                    "hvert kolonnenavn én gang",
                    kind="duplicate_header",
                )
            )
        else:
            positions[column] = i
    body = np.arange(starts.size) > head
    wrong = body & ~blank & (fields != len(header))
    # records with another number of fields are not parsed: one without a character other
    # than blanks, commas and quotes counts as a row of empty cells, as in validate.read_raw
    hollow = np.zeros(starts.size, dtype=bool)
    if wrong.any():
        content = ~np.isin(buf, np.frombuffer(b' \t,\r\n"', dtype=np.uint8))
        content &= np.repeat(wrong, np.diff(np.append(starts, buf.size)))
        hit = np.unique(np.searchsorted(starts, np.flatnonzero(content), side="right") - 1)
        hollow[wrong] = True
        hollow[hit] = False
        del content
    empty_lines = [lines[hollow]]
    wrong &= ~hollow
    keep = body & ~blank & ~wrong
    kept_lines = lines[keep].astype(np.int64)
    generated = [f"c{i}" for i in range(len(header))]
    if kept_lines.size == 0:
        table = pa.table({c: pa.array([], pa.string()) for c in generated})
    else:
        if keep[head + 1 :].all():  # the usual case: no copy of the records
            text = pa.py_buffer(data).slice(bom + int(starts[head + 1]))
        else:
            text = pa.py_buffer(buf[np.repeat(keep, np.diff(np.append(starts, buf.size)))])
        try:
            table = pacsv.read_csv(
                pa.BufferReader(text),
                read_options=pacsv.ReadOptions(column_names=generated),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in generated},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            table = None
        if table is None or table.num_rows != kept_lines.size:
            return _arrow_from_raw(path)
    cells = [pc.utf8_trim_whitespace(table.column(i)) for i in range(len(header))]
    blanks = [pc.equal(column, "") for column in cells]
    empty = np.ones(kept_lines.size, dtype=bool)
    for column in blanks:
        empty &= column.to_numpy(zero_copy_only=False)
    empty_lines.append(kept_lines[empty])
    empty_rows = np.sort(np.concatenate(empty_lines))
    for line in empty_rows[:EXAMPLES_PER_RULE]:
        problems.append(
            Problem(
                name,
                int(line),
                None,
                None,
                "ingen rader med bare tomme celler",
                "slett radene (Excel skriver slike rader etter den siste utfylte raden)",
                "empty_row",
            )
        )
    problems += _more(name, None, "ingen rader med bare tomme celler", int(empty_rows.size))
    for line, found in zip(
        lines[wrong][:EXAMPLES_PER_RULE], fields[wrong][:EXAMPLES_PER_RULE], strict=True
    ):
        problems.append(
            Problem(
                name,
                int(line),
                None,
                None,
                f"{len(header)} felt som overskriftsraden (fant {found})",
                kind="field_count",
            )
        )
    problems += _more(name, None, f"{len(header)} felt som overskriftsraden", int(wrong.sum()))
    rows = pa.array(~empty) if empty.any() else None
    columns = {}
    for column, i in positions.items():  # cells are stripped; an empty cell is missing
        values = pc.if_else(blanks[i], pa.scalar(None, pa.string()), cells[i])
        columns[column] = values if rows is None else values.filter(rows)
    columns[_ROW] = pa.array(kept_lines[~empty])
    return pa.table(columns), problems


def _more(file: str, column: str | None, expected: str, count: int) -> list[Problem]:
    """One summary problem when ``count`` problems exceed the examples listed."""
    rest = count - EXAMPLES_PER_RULE
    if rest <= 0:
        return []
    shown = f"{rest:,}".replace(",", " ")
    noun = "rad" if rest == 1 else "rader"
    return [
        Problem(
            file,
            None,
            column,
            None,
            f"{expected} – {shown} {noun} til med samme feil (bare de første "
            f"{EXAMPLES_PER_RULE} er vist)",
        )
    ]


# --------------------------------------------------------------------------- SQL


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


_INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_CASTS = {"date": "DATE", "int": "BIGINT", "bool": "BOOLEAN", "str": "VARCHAR"}
#: Placeholders of rule conditions: the cell as text (``NULL`` when empty) and parsed.
TEXT, VALUE = "{text}", "{value}"


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A relation as a pyarrow table (DuckDB 1.x and 2.x)."""
    convert = getattr(relation, "to_arrow_table", None) or relation.arrow
    return convert()


@dataclass(frozen=True)
class _Column:
    """SQL for one column of a file, by its contract kind and its stored DuckDB type.

    Parquet files may store dates as DATE (or TIMESTAMP at midnight), integers as integer types
    (or whole floats) and booleans as BOOLEAN; text cells (CSV, or text columns in Parquet)
    must have the contract's written form. An empty text cell is a missing value.
    """

    name: str
    kind: str
    dtype: str

    @property
    def raw(self) -> str:
        return _q(self.name)

    @property
    def text(self) -> str:
        """The cell as text (``NULL`` when missing)."""
        if self.dtype == "VARCHAR":
            return f"NULLIF({self.raw}, '')"
        return f"CAST({self.raw} AS VARCHAR)"

    @property
    def cell(self) -> str:
        """The stored cell as text, without turning empty text into ``NULL`` (cheaper)."""
        return self.raw if self.dtype == "VARCHAR" else f"CAST({self.raw} AS VARCHAR)"

    @property
    def missing(self) -> str:
        return (
            f"({self.raw} IS NULL OR {self.raw} = '')"
            if self.dtype == "VARCHAR"
            else (f"{self.raw} IS NULL")
        )

    def value(self, *, strict: bool) -> str:
        """The parsed value (``NULL`` when missing or unparseable).

        ``strict`` checks the written form of text (``YYYY-MM-DD``, digits); otherwise text is
        only cast, which is enough where the strict form has been checked already.
        """
        raw, text, kind, dtype = self.raw, self.text, self.kind, self.dtype
        if kind == "date":
            if dtype == "DATE":
                return raw
            if dtype.startswith("TIMESTAMP") and "TIME ZONE" not in dtype:
                return (
                    f"CASE WHEN CAST({raw} AS TIME) = TIME '00:00:00' THEN CAST({raw} AS DATE) END"
                )
            if dtype == "VARCHAR":
                if not strict:
                    return f"TRY_CAST({raw} AS DATE)"
                iso = f"regexp_full_match({text}, '{_ISO_RE}')"
                return f"CASE WHEN {iso} THEN TRY_CAST({text} AS DATE) END"
            return "NULL::DATE"
        if kind == "int":
            if dtype in _INTEGER_TYPES:
                return f"TRY_CAST({raw} AS BIGINT)"
            if dtype in ("FLOAT", "DOUBLE") or dtype.startswith("DECIMAL"):
                return f"CASE WHEN {raw} = floor({raw}) THEN TRY_CAST({raw} AS BIGINT) END"
            if dtype == "VARCHAR":
                digits = f"regexp_full_match({text}, '{_INT_RE}')"
                return f"CASE WHEN {digits} THEN TRY_CAST({text} AS BIGINT) END"
            return "NULL::BIGINT"
        if kind == "bool":
            if dtype == "BOOLEAN":
                return raw
            return f"CASE {text} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END"
        return text

    def condition(self, template: str, *, strict: bool = True) -> str:
        """A rule condition with ``{text}`` and ``{value}`` filled in for this column."""
        return template.replace(TEXT, f"({self.text})").replace(
            VALUE, f"({self.value(strict=strict)})"
        )


@dataclass(frozen=True)
class _Rule:
    """A rule on one column: ``bad`` is a SQL condition over ``{text}`` (and ``{value}``),
    true for a cell that breaks it (NULL counts as fine). ``empty_value`` shows the value as
    empty (for required cells)."""

    column: str
    expected: str
    bad: str
    hint: str | None = None
    kind: str | None = None
    empty_value: bool = False


def _national_id(column: str) -> _Rule:
    return _Rule(
        column,
        _NATIONAL_ID,
        f"length({TEXT}) >= 11 AND regexp_matches({TEXT}, '{_NATIONAL_ID_SQL}')",
        kind="national_id",
    )


def _value_rules(column: str, kind: str, allowed: Sequence[str] | None) -> list[_Rule]:
    """The rules that depend on nothing but the cell: required, form, allowed values."""
    rules = []
    if column not in ("end_date", "full_time"):
        rules.append(_Rule(column, _REQUIRED, f"{TEXT} IS NULL", empty_value=True))
    if kind == "date":
        unparsed = f"{TEXT} IS NOT NULL AND {VALUE} IS NULL"
        dmy = f"regexp_full_match({TEXT}, '{_DMY_RE}')"
        rules.append(_Rule(column, _ISO_EXPECTED, f"{unparsed} AND {dmy}", _DMY_HINT, "dmy_date"))
        rules.append(_Rule(column, _ISO_EXPECTED, f"{unparsed} AND NOT {dmy}"))
    elif kind == "int":
        rules.append(
            _Rule(
                column,
                "heltall 1940–2010",
                f"({TEXT} IS NOT NULL AND {VALUE} IS NULL) OR {VALUE} NOT BETWEEN 1940 AND 2010",
            )
        )
    elif kind == "bool":
        rules.append(_Rule(column, "true eller false", f"{TEXT} IS NOT NULL AND {VALUE} IS NULL"))
    elif allowed is not None:
        expected = "en av " + ", ".join(allowed)
        if column == "unit_id":
            expected = "en NAV-enhet i registeret (unit_id, for eksempel nav-oslo)"
        rules.append(_Rule(column, expected, f"{TEXT} NOT IN {_in_list(allowed)}"))
    elif column in ("code", "source"):
        rules.append(
            _Rule(
                column,
                "kode med små bokstaver, sifre, _ eller -",
                f"NOT regexp_full_match({TEXT}, '{_TOKEN_RE}')",
            )
        )
    rules.append(_national_id(column))
    return rules


def _id_rules(col: _Column, *, form: bool) -> list[tuple[str, _Rule]]:
    """Rules of an id column, checked row by row (ids have as many values as rows): required
    and, with ``form``, the id form and no identity number. The conditions use the stored
    cell directly (no ``NULLIF``), which keeps the pass over millions of rows cheap."""
    cell = col.cell
    rules = [(col.missing, _Rule(col.name, _REQUIRED, "", empty_value=True))]
    if form:
        rules.append(
            (
                f"{cell} <> '' AND NOT regexp_full_match({cell}, '{_ID_RE}')",
                _Rule(col.name, "id med bokstaver, sifre, _ . eller - (høyst 64 tegn)", ""),
            )
        )
        rules.append(
            (
                f"length({cell}) >= 11 AND regexp_matches({cell}, '{_NATIONAL_ID_SQL}')",
                _national_id(col.name),
            )
        )
    return rules


@dataclass(frozen=True)
class _Source:
    """One comparison file, registered in the connection as ``relation``."""

    path: Path
    relation: str
    types: dict[str, str]
    kinds: dict[str, str]

    @property
    def file(self) -> str:
        return self.path.name

    def column(self, name: str) -> _Column:
        return _Column(name, self.kinds.get(name, "str"), self.types[name])


class _Checker:
    """Validates and loads the comparison files in one DuckDB connection.

    The work is arranged so that each file is scanned few times and every check is set-based:

    * columns other than ids have few distinct values (codes, dates, years), so their rules
      run once per *distinct value* (one ``GROUP BY``), and only when a value breaks a rule are
      its rows looked up (the first :data:`EXAMPLES_PER_RULE`, by row number);
    * id columns and the rules between columns run in one pass over the rows, keeping only the
      rows that break a rule;
    * uniqueness is checked on 64-bit hashes of the ids sorted in NumPy (exact duplicates are
      then confirmed in SQL), and the spells' persons by an anti-join.
    """

    def __init__(self, registry: Registry | None, participant_ids: Collection[str]) -> None:
        self.registry = registry or load_registry()
        self.participant_ids = sorted({str(p) for p in participant_ids})
        self.con = duckdb.connect(":memory:")
        self.problems: list[Problem] = []
        self.sources: dict[str, _Source | None] = {}
        self._tables = 0

    def _run(self, sql: str) -> list[tuple]:
        """Run one statement to the end (DuckDB 2 wants every result fetched)."""
        return self.con.execute(sql).fetchall()

    def _table(self, prefix: str) -> str:
        self._tables += 1
        return f"{prefix}_{self._tables}"

    # ---------------------------------------------------------------- files

    def open(self, path: Path, relation: str, kinds: dict[str, str]) -> _Source | None:
        """Register the file as a relation with its row numbers (``None`` if unreadable)."""
        if path.suffix == ".parquet":
            try:
                self._run(
                    f"CREATE VIEW {relation} AS SELECT * EXCLUDE (file_row_number), "
                    f"file_row_number + 2 AS {_q(_ROW)} "
                    f"FROM read_parquet({_lit(str(path))}, file_row_number = true)"
                )
                described = self._run(f"DESCRIBE {relation}")
            except duckdb.Error as exc:
                reason = (str(exc).strip().splitlines() or [""])[0][:160]
                self.problems.append(
                    Problem(
                        path.name,
                        None,
                        None,
                        None,
                        "en lesbar Parquet-fil",
                        f"filen kan ikke leses ({reason})",
                        "unreadable",
                    )
                )
                self.sources[relation] = None
                return None
        else:
            table, problems = _read_csv(path)
            self.problems += problems
            if table is None:
                self.sources[relation] = None
                return None
            self.con.register(relation, table)
            described = self._run(f"DESCRIBE {relation}")
        types = {str(row[0]): str(row[1]) for row in described if row[0] != _ROW}
        source = _Source(path, relation, types, kinds)
        self.sources[relation] = source
        return source

    def header(self, source: _Source) -> None:
        """Unknown columns (with a «mente du …?») and missing ones."""
        expected = list(source.kinds)
        missing = [c for c in expected if c not in source.types]
        lower = {c.lower(): c for c in missing}
        for column in source.types:
            if column in source.kinds:
                continue
            meant = lower.get(column.lower()) or next(
                iter(difflib.get_close_matches(column, missing, n=1, cutoff=0.75)), None
            )
            self.problems.append(
                Problem(
                    source.file,
                    None,
                    column,
                    None,
                    "ingen kolonner utenom kontrakten",
                    f"mente du {meant}? Gi kolonnen kontraktens navn" if meant else None,
                    "unknown_column",
                )
            )
        for column in missing:
            self.problems.append(
                Problem(
                    source.file, None, column, None, "kolonnen (den mangler)", kind="missing_column"
                )
            )

    # ---------------------------------------------------------------- reporting

    def _report(self, source: _Source, rule: _Rule, rows: list[tuple], count: int) -> None:
        """Problems for the first rows (``(row, text)``) and a summary of the rest."""
        for row, value in rows:
            text = "" if rule.empty_value or value is None else mask_national_ids(str(value))
            self.problems.append(
                Problem(
                    source.file, int(row), rule.column, text, rule.expected, rule.hint, rule.kind
                )
            )
        self.problems += _more(source.file, rule.column, rule.expected, count)

    # ---------------------------------------------------------------- rules per value

    def by_value(self, source: _Source, column: str, rules: list[_Rule]) -> None:
        """Rules on the distinct values of one column, then the rows of the bad values."""
        col = source.column(column)
        values = self._table("vals")
        self._run(
            f"CREATE TEMP TABLE {values} AS SELECT {col.raw}, count(*) AS __n "
            f"FROM {source.relation} GROUP BY ALL"
        )
        flags = ", ".join(
            f"coalesce({col.condition(rule.bad)}, FALSE) AS r{i}" for i, rule in enumerate(rules)
        )
        judged = self._table("judged")
        self._run(
            f"CREATE TEMP TABLE {judged} AS SELECT * FROM (SELECT {col.raw}, __n, {flags} "
            f"FROM {values}) WHERE {' OR '.join(f'r{i}' for i in range(len(rules)))}"
        )
        counts = self._run(
            "SELECT "
            + ", ".join(f"coalesce(sum(__n) FILTER (WHERE r{i}), 0)" for i in range(len(rules)))
            + f" FROM {judged}"
        )[0]
        for i, (rule, count) in enumerate(zip(rules, counts, strict=True)):
            if not count:
                continue
            rows = self._run(
                f"SELECT s.{_q(_ROW)}, {col.text} FROM {source.relation} AS s "
                f"SEMI JOIN (SELECT {col.raw} FROM {judged} WHERE r{i}) AS b "
                f"ON s.{col.raw} IS NOT DISTINCT FROM b.{col.raw} "
                f"ORDER BY s.{_q(_ROW)} LIMIT {EXAMPLES_PER_RULE}"
            )
            self._report(source, rule, rows, int(count))

    # ---------------------------------------------------------------- rules per row

    def by_row(self, source: _Source, rules: list[tuple[str, _Rule]]) -> None:
        """Rules evaluated on every row in one pass; ``(condition, rule)`` pairs, where the
        condition is SQL over the file's columns.

        The pass keeps only the rows that break some rule (usually none); which rule each
        breaks is worked out on those rows alone.
        """
        if not rules:
            return
        flagged = self._table("rows")
        self._run(
            f"CREATE TEMP TABLE {flagged} AS SELECT * FROM {source.relation} "
            f"WHERE {' OR '.join(f'({cond})' for cond, _ in rules)}"
        )
        flags = ", ".join(f"count(*) FILTER (WHERE {cond})" for cond, _ in rules)
        counts = self._run(f"SELECT {flags} FROM {flagged}")[0]
        for (cond, rule), count in zip(rules, counts, strict=True):
            if count:
                text = source.column(rule.column).text
                rows = self._run(
                    f"SELECT {_q(_ROW)}, {text} FROM {flagged} WHERE {cond} "
                    f"ORDER BY {_q(_ROW)} LIMIT {EXAMPLES_PER_RULE}"
                )
                self._report(source, rule, rows, int(count))

    # ---------------------------------------------------------------- rules per set

    def unique(self, source: _Source, column: str) -> None:
        """Every repetition of an id after its first row.

        The ids' 64-bit hashes are sorted in NumPy (far cheaper than grouping millions of
        strings); only ids whose hash repeats are compared exactly.
        """
        if column not in source.types:
            return
        col = source.column(column)
        hashes = self.con.sql(
            f"SELECT hash({col.text}) AS h FROM {source.relation} WHERE NOT ({col.missing})"
        ).fetchnumpy()["h"]
        hashes = np.sort(np.asarray(hashes, dtype=np.uint64))
        repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        if repeated.size == 0:
            return
        candidates = self._table("hashes")
        self.con.register(candidates, pa.table({"h": pa.array(repeated, pa.uint64())}))
        dups = self._table("dups")
        self._run(
            f"CREATE TEMP TABLE {dups} AS SELECT {_q(_ROW)} AS r, {col.text} AS v, "
            f"min({_q(_ROW)}) OVER (PARTITION BY {col.text}) AS first FROM {source.relation} "
            f"WHERE hash({col.text}) IN (SELECT h FROM {candidates})"
        )
        total = int(self._run(f"SELECT count(*) FROM {dups} WHERE r <> first")[0][0])
        rows = self._run(
            f"SELECT r, v, first FROM {dups} WHERE r <> first ORDER BY r LIMIT {EXAMPLES_PER_RULE}"
        )
        for row, value, first in rows:
            self.problems.append(
                Problem(
                    source.file,
                    int(row),
                    column,
                    mask_national_ids(str(value)),
                    f"unik verdi (brukt på rad {first})",
                )
            )
        self.problems += _more(source.file, column, "unik verdi", total)

    def joined(self, source: _Source, column: str, rule: _Rule, sql: str) -> None:
        """Rows of ``source`` picked by a (semi or anti) join: ``sql`` selects ``(row, text)``."""
        picked = self._table("joined")
        self._run(f"CREATE TEMP TABLE {picked} AS {sql}")
        count = int(self._run(f"SELECT count(*) FROM {picked}")[0][0])
        if not count:
            return
        rows = self._run(f"SELECT * FROM {picked} ORDER BY 1 LIMIT {EXAMPLES_PER_RULE}")
        self._report(source, rule, rows, count)
        # an unknown id may also be an identity number; never shown, reported as such
        national = self._run(
            f"SELECT * FROM {picked} WHERE regexp_matches(v, '{_NATIONAL_ID_SQL}') ORDER BY 1"
        )
        if national:
            self._report(source, _national_id(column), national[:EXAMPLES_PER_RULE], len(national))

    # ---------------------------------------------------------------- the whole check

    def check(self, source: _Source, ids: Sequence[str], row_ids: Sequence[str]) -> None:
        """Header, per-value rules of every other column, per-row rules of ``row_ids``."""
        self.header(source)
        allowed = {
            "unit_id": sorted(
                u.id for u in self.registry.units.values() if u.kind == NAV_UNIT_KIND
            ),
            "gender": GENDERS,
            "education_completed": EDUCATION_LEVELS,
            "kind": SPELL_KINDS,
        }
        for column in source.types:
            if column in ids:
                continue
            if column in source.kinds:
                rules = _value_rules(column, source.kinds[column], allowed.get(column))
            else:
                rules = [_national_id(column)]
            self.by_value(source, column, rules)
        row_rules: list[tuple[str, _Rule]] = []
        for column in ids:
            if column not in source.types:
                continue
            row_rules += _id_rules(source.column(column), form=column in row_ids)
        if source.relation == "spells":
            row_rules += self._spell_row_rules(source)
        self.by_row(source, row_rules)

    def _spell_row_rules(self, source: _Source) -> list[tuple[str, _Rule]]:
        rules: list[tuple[str, _Rule]] = []
        if "start_date" in source.types and "end_date" in source.types:
            start, end = source.column("start_date"), source.column("end_date")
            rules.append(
                (
                    f"{end.value(strict=False)} < {start.value(strict=False)}",
                    _Rule("end_date", "end_date på eller etter start_date", ""),
                )
            )
        if "full_time" in source.types and "kind" in source.types:
            full_time, kind = source.column("full_time"), source.column("kind")
            rules.append(
                (
                    f"NOT ({full_time.missing}) AND {kind.cell} IS DISTINCT FROM 'arbeid'",
                    _Rule("full_time", "tom unntatt når kind er arbeid", ""),
                )
            )
        return rules

    def validate(self, persons_path: Path, spells_path: Path) -> list[Problem]:
        persons = self.open(persons_path, "persons", PERSON_COLUMNS)
        spells = self.open(spells_path, "spells", SPELL_COLUMNS)
        known = None
        if persons is not None:
            self.check(persons, ("person_id",), ("person_id",))
            self.unique(persons, "person_id")
            if "person_id" in persons.types:
                pid = persons.column("person_id")
                if self.participant_ids:
                    self.con.register(
                        "participant_ids", pa.table({"id": pa.array(self.participant_ids)})
                    )
                    self.joined(
                        persons,
                        "person_id",
                        _Rule(
                            "person_id",
                            "en person_id som ikke er en deltaker (finnes i participants.csv)",
                            "",
                            "sammenligningsgruppen skal bare ha personer som ikke deltar i "
                            "forsøket",
                        ),
                        f"SELECT {_q(_ROW)} AS r, {pid.text} AS v FROM persons "
                        f"SEMI JOIN participant_ids ON {pid.text} = participant_ids.id",
                    )
                known = persons.file
        if spells is not None:
            row_ids = ("spell_id",) if known else ("spell_id", "person_id")
            self.check(spells, ("spell_id", "person_id"), row_ids)
            self.unique(spells, "spell_id")
            if known and "person_id" in spells.types:
                pid = spells.column("person_id")
                ppid = persons.column("person_id")
                if ppid.dtype == pid.dtype:
                    same = f"p.{ppid.raw} = s.{pid.raw}"
                else:
                    same = f"CAST(p.{ppid.raw} AS VARCHAR) = CAST(s.{pid.raw} AS VARCHAR)"
                self.joined(
                    spells,
                    "person_id",
                    _Rule("person_id", f"en person_id som finnes i {known}", ""),
                    f"SELECT {_q(_ROW)} AS r, {pid.text} AS v FROM spells AS s "
                    f"WHERE NOT ({pid.missing}) AND NOT EXISTS (SELECT 1 FROM persons AS p "
                    f"WHERE {same})",
                )
        return sorted(set(self.problems), key=_sort_key)

    # ---------------------------------------------------------------- loading

    def load(self, relation: str) -> pd.DataFrame:
        """The file as a typed frame (contract columns, in contract order and row order)."""
        source = self.sources[relation]
        if source is None:  # pragma: no cover - callers stop at unreadable files
            raise ValueError(f"Sammenligningsfilen for {relation} kan ikke leses.")
        picks = []
        for column, kind in source.kinds.items():
            if column not in source.types:
                picks.append(f"NULL::{_CASTS[kind]} AS {_q(column)}")
            else:
                value = source.column(column).value(strict=False)
                picks.append(f"CAST({value} AS {_CASTS[kind]}) AS {_q(column)}")
        table = _arrow(
            self.con.sql(f"SELECT {', '.join(picks)} FROM {relation} ORDER BY {_q(_ROW)}")
        )
        return _to_pandas(table, source.kinds)


def _to_pandas(table: pa.Table, kinds: dict[str, str]) -> pd.DataFrame:
    """Typed like :func:`coopstats.data.read_table`: ``string``, ``datetime64[us]``,
    ``Int64``, ``boolean``."""
    out: dict[str, pd.Series] = {}
    for column, kind in kinds.items():
        array = table.column(column)
        if kind == "date":
            out[column] = pd.Series(array.cast(pa.timestamp("us")).to_pandas()).astype(
                "datetime64[us]"
            )
        elif kind == "int":
            out[column] = array.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        elif kind == "bool":
            out[column] = array.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        else:
            out[column] = array.cast(pa.string()).to_pandas(
                types_mapper={pa.string(): pd.StringDtype()}.get
            )
    frame = pd.DataFrame(out)
    for column, kind in kinds.items():
        dtype = {"date": "datetime64[us]", "int": "Int64", "bool": "boolean"}.get(kind, "string")
        frame[column] = frame[column].astype(dtype)
    return frame


_FILE_ORDER = {PERSONS: 0, SPELLS: 1}


def _sort_key(problem: Problem) -> tuple:
    stem = problem.file.rsplit(".", 1)[0]
    columns = list(PERSON_COLUMNS) if stem == PERSONS else list(SPELL_COLUMNS)
    column = problem.column or ""
    return (
        _FILE_ORDER.get(stem, 2),
        problem.file,
        problem.row is not None,
        problem.row or 0,
        columns.index(column) if column in columns else len(columns),
        column,
        problem.expected,
    )


# --------------------------------------------------------------------------- API


def validate_comparison(
    directory: str | Path,
    *,
    registry: Registry | None = None,
    participant_ids: Collection[str] = frozenset(),
) -> list[Problem]:
    """Every problem of the comparison population in ``directory`` (empty: valid or absent).

    ``participant_ids`` are the delivery's participants (``participants.csv``); a comparison
    person may not be one of them. ``registry`` defaults to
    :func:`coopstats.registry.load_registry`. A delivery without comparison files has no
    problems here; one with only one of the two files, or a file as both CSV and Parquet, has a
    file-level problem.
    """
    pair, problems = _find(Path(directory))
    if problems or pair is None:
        return problems
    return _Checker(registry, participant_ids).validate(*pair)


class ComparisonValidationError(DataValidationError):
    """The comparison population breaks the contract; ``problems`` holds every problem."""

    def __init__(self, directory: Path, problems: list[Problem], shown: int = 10) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problemer"
        lines = format_problems(problems[:shown])
        more = f"\n… og {len(problems) - shown} til" if len(problems) > shown else ""
        ValueError.__init__(
            self,
            f"Sammenligningsgruppen i {directory} følger ikke datakontrakten "
            f"({len(problems)} {noun}; se `coopstats validate`):\n{lines}{more}",
        )


@dataclass(frozen=True)
class Comparison:
    """A validated comparison population.

    ``persons`` has :data:`PERSON_COLUMNS` (``reference_date`` datetime64, ``birth_year``
    Int64, text as ``string``); ``spells`` has the columns of ``spells.csv``, typed as
    :func:`coopstats.data.read_table` types them. ``spells_path`` (``persons_path``) is the
    Parquet file when the spells (persons) came as Parquet, so that a DuckDB query can scan it
    directly, else ``None``.
    """

    persons: pd.DataFrame
    spells: pd.DataFrame
    spells_path: Path | None = None
    persons_path: Path | None = None


def load_comparison(
    directory: str | Path,
    *,
    registry: Registry | None = None,
    participant_ids: Collection[str] = frozenset(),
    validate: bool = True,
) -> Comparison | None:
    """Read (and by default validate) the comparison population of a delivery.

    Returns ``None`` when the delivery has no comparison files. Raises
    :class:`ComparisonValidationError` (a :class:`ValueError`) with a Norwegian message listing
    the first problems when the files break the contract (or, with ``validate=False``, when a
    file cannot be read at all, or only one of the two files is there).
    """
    directory = Path(directory)
    pair, problems = _find(directory)
    if problems:
        raise ComparisonValidationError(directory, problems)
    if pair is None:
        return None
    checker = _Checker(registry, participant_ids)
    if validate:
        problems = checker.validate(*pair)
        if problems:
            raise ComparisonValidationError(directory, problems)
    else:
        for path, relation, kinds in zip(
            pair, ("persons", "spells"), (PERSON_COLUMNS, SPELL_COLUMNS), strict=True
        ):
            if checker.open(path, relation, kinds) is None:
                raise ComparisonValidationError(directory, checker.problems)
    persons = checker.load("persons")
    spells = checker.load("spells")
    parquet = [path if path.suffix == ".parquet" else None for path in pair]
    return Comparison(
        persons=persons, spells=spells, spells_path=parquet[1], persons_path=parquet[0]
    )
