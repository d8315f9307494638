"""Validate a data delivery (a directory of CSV files) against the data contract.

:func:`validate_directory` reads every file as raw text, runs the pandera schemas from
:mod:`coopstats.contract` lazily and returns *every* problem at once: missing files, missing or
extra columns, malformed lines, rows of empty cells, unparseable values (with their raw text),
implausibly large numbers, rule violations and cross-file references. Row numbers are line
numbers in the CSV file, with the header as line 1.

Problems that have a probable cause carry a ``kind`` and a ``hint`` (what to do): a file that
uses ``;`` as separator or is saved as Windows-1252, headers that are Norwegian or upper-case
variants of the contract's names (with a "did you mean"), ``DD.MM.YYYY`` dates, decimal commas,
``Ja``/``Nei`` booleans and rows of empty cells – most of which ``coopstats import`` fixes.

:func:`group_problems` groups the problems per file, column and kind, and
:func:`format_report` prints one line per group with the count and the first examples;
:func:`html_report` writes the same groups as a self-contained HTML page. Messages are in
Norwegian (bokmål), for the people who deliver the data.
"""

from __future__ import annotations

import codecs
import csv
import html
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd
from pandera.errors import SchemaErrors

from coopstats.contract import (
    FileContract,
    build_contracts,
    mask_national_ids,
    national_id_cells,
)
from coopstats.data import COLUMNS, FILES, OPTIONAL_FILES
from coopstats.registry import Registry

__all__ = [
    "EXAMPLES",
    "KINDS",
    "PLAUSIBLE_LIMITS",
    "Problem",
    "ProblemGroup",
    "format_problems",
    "format_report",
    "group_problems",
    "html_report",
    "main_validate",
    "read_raw",
    "validate_directory",
]

#: Text for problems that pandera reports with its own check names.
_BUILTIN = {
    "not_nullable": "en verdi (feltet er påkrevd)",
    "column_in_dataframe": "kolonnen (den mangler)",
    "column_in_schema": "ingen kolonner utenom kontrakten",
}

#: How many examples a grouped line shows.
EXAMPLES = 3

#: Largest plausible absolute value of the number columns (a larger figure is a typing or
#: export error, e.g. a 20-digit count). Documented in data/README.md.
PLAUSIBLE_LIMITS: dict[tuple[str, str], int] = {
    ("activity_log", "count"): 10_000_000,
    ("activity_log", "count_low"): 10_000_000,
    ("activity_log", "count_high"): 10_000_000,
    ("reported_figures", "value"): 10_000_000,
    ("reported_figures", "value_low"): 10_000_000,
    ("reported_figures", "value_high"): 10_000_000,
}

IMPORT = "`coopstats import`"
_ISO_EXPECTED = "dato på formen ÅÅÅÅ-MM-DD"
_DMY = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_YES_NO = frozenset({"ja", "nei", "j", "n", "yes", "no", "y", "sann", "usann", "sant", "usant"})
_YES_NO |= frozenset({"1", "0", "true", "false"})
_SEPARATORS = {";": "semikolon", "\t": "tabulator", "|": "loddrett strek"}
_FIELD_COUNT = re.compile(r"\s*\(fant \d+\)$")

#: Kinds of problem with a known cause (``Problem.kind``).
KINDS = (
    "encoding",
    "separator",
    "unreadable",
    "no_header",
    "duplicate_header",
    "unknown_column",
    "missing_column",
    "empty_row",
    "field_count",
    "dmy_date",
    "decimal_comma",
    "boolean_form",
    "implausible",
    "national_id",
)


@dataclass(frozen=True)
class Problem:
    """One breach of the contract.

    ``row`` is the line number in the CSV file (header = line 1, first data row = 2), or
    ``None`` for file- and column-level problems. ``value`` is the raw text of the cell.
    ``hint`` says what to do or the probable cause, ``kind`` names that cause (one of
    :data:`KINDS`, or ``None`` for a plain rule violation).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    hint: str | None = None
    kind: str | None = None


# --------------------------------------------------------------------------- reading


def _word_at(text: str, index: int) -> str:
    """The run of characters around ``index`` up to the nearest separator, quote or space."""
    stops = ',;\t"\n\r '
    start = index
    while start > 0 and text[start - 1] not in stops:
        start -= 1
    end = index
    while end < len(text) and text[end] not in stops:
        end += 1
    word = text[start:end]
    return mask_national_ids(word if len(word) <= 30 else word[:29] + "…")


def _encoding_problem(name: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    """The problem for a file that is not UTF-8, with the probable encoding and the line."""
    expected = "UTF-8-kodet tekst"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        hint = (
            "filen ser ut til å være UTF-16 («Unicode-tekst» fra Excel) – lagre den som "
            "«CSV UTF-8 (kommadelt)»"
        )
        return Problem(name, None, None, None, expected, hint, "encoding")
    line = data.count(b"\n", 0, exc.start) + 1
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        hint = (
            f"første ugyldige tegn står på linje {line}; filen er verken UTF-8 eller "
            "Windows-1252 – lagre den som «CSV UTF-8 (kommadelt)»"
        )
        return Problem(name, None, None, None, expected, hint, "encoding")
    # cp1252 is one byte per character, so byte offsets are character offsets
    char = text[exc.start]
    word = _word_at(text, exc.start)
    hint = (
        f"filen ser ut til å være lagret som Windows-1252 (første tegn som ikke er UTF-8 er "
        f"«{char}» i «{word}» på linje {line}) – lagre som UTF-8 eller bruk {IMPORT}"
    )
    return Problem(name, None, None, None, expected, hint, "encoding")


def _separator_problem(name: str, text: str) -> Problem | None:
    """A problem when the header line splits into more fields by another separator than ``,``."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        return None
    try:
        counts = {sep: len(next(csv.reader([first], delimiter=sep))) for sep in (",", *_SEPARATORS)}
    except csv.Error:  # a field over csv's size limit: read_raw reports the line as unreadable
        return None
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    if counts[best] <= max(counts[","], 1):
        return None
    what = _SEPARATORS[best]
    return Problem(
        name,
        None,
        None,
        None,
        "komma som skilletegn",
        f"filen ser ut til å bruke {what} som skilletegn – bruk {IMPORT}",
        "separator",
    )


def read_raw(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file as stripped text (empty cells → NA), indexed by line number.

    Lines with the wrong number of fields and rows whose cells are all empty are reported and
    left out of the frame. The frame is ``None`` when the file cannot be read at all (not
    UTF-8, another separator than ``,``, no header row).
    """
    name = path.name
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        exc = UnicodeDecodeError(
            exc.encoding, data, exc.start + offset, exc.end + offset, exc.reason
        )
        return None, [_encoding_problem(name, data, exc)]
    separator = _separator_problem(name, text)
    if separator is not None:
        return None, [separator]
    reader = csv.reader(text.splitlines(keepends=True))
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not record:
                continue  # a blank line: no row at all (every CSV reader skips it)
            if all(not cell.strip() for cell in record):
                if header is not None:
                    problems.append(
                        Problem(
                            name,
                            line,
                            None,
                            None,
                            "ingen rader med bare tomme celler",
                            f"slett radene, eller bruk {IMPORT}, som fjerner dem (Excel "
                            "skriver slike rader etter den siste utfylte raden)",
                            "empty_row",
                        )
                    )
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                header_line = line
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        None,
                        f"{len(header)} felt som overskriftsraden (fant {len(record)})",
                        kind="field_count",
                    )
                )
                continue
            rows.append([cell.strip() for cell in record])
            lines.append(line)
    except csv.Error as exc:
        problems.append(
            Problem(name, next_line, None, None, f"gyldig CSV ({exc})", kind="unreadable")
        )
    if header is None:
        problems.append(
            Problem(name, None, None, None, "en overskriftsrad med kolonnenavn", kind="no_header")
        )
        return None, problems
    keep: list[int] = []
    for i, column in enumerate(header):
        if column in header[:i]:
            problems.append(
                Problem(
                    name,
                    header_line,
                    column,
                    None,
                    "hvert kolonnenavn én gang",
                    kind="duplicate_header",
                )
            )
        else:
            keep.append(i)
    frame = pd.DataFrame(
        [[row[i] for i in keep] for row in rows],
        columns=[header[i] for i in keep],
        index=pd.Index(lines, dtype="int64"),
        dtype="string",
    )
    return frame.replace("", pd.NA), problems


# --------------------------------------------------------------------------- checks


def _schema_problems(contract: FileContract, frame: pd.DataFrame, file: str) -> list[Problem]:
    try:
        contract.schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    problems: list[Problem] = []
    seen_rows: set[tuple[int, int]] = set()
    for case in cases.to_dict("records"):
        check = str(case["check"])
        column = case["column"] if isinstance(case["column"], str) else None
        index = case["index"]
        row = int(index) if index is not None and not pd.isna(index) else None
        value = case["failure_case"]
        value = None if value is None or pd.isna(value) else str(value)
        if case["schema_context"] == "DataFrameSchema" and check not in _BUILTIN:
            number = case["check_number"]
            if number is None or pd.isna(number) or row is None:
                problems.append(Problem(file, row, column, value, check))
                continue
            if (int(number), row) in seen_rows:
                continue
            seen_rows.add((int(number), row))
            rule = contract.row_rules[int(number)]
            record = {k: (None if pd.isna(v) else v) for k, v in frame.loc[row].items()}
            raw = record.get(rule.column)
            problems.append(
                Problem(
                    file, row, rule.column, "" if raw is None else str(raw), rule.explain(record)
                )
            )
        elif check == "column_in_dataframe":
            problems.append(
                Problem(file, None, value, None, _BUILTIN[check], kind="missing_column")
            )
        elif check == "column_in_schema":
            problems.append(
                Problem(file, None, value, None, _BUILTIN[check], kind="unknown_column")
            )
        elif check == "not_nullable":
            problems.append(Problem(file, row, column, "", _BUILTIN[check]))
        elif check == "field_uniqueness" and column is not None and value is not None:
            first = frame.index[(frame[column] == value).fillna(False).to_numpy()][0]
            problems.append(Problem(file, row, column, value, f"unik verdi (brukt på rad {first})"))
        else:
            problems.append(_diagnose(Problem(file, row, column, value, check), frame))
    return problems


def _diagnose(problem: Problem, frame: pd.DataFrame) -> Problem:
    """Add a kind and hint to a cell problem whose value has a form ``coopstats import`` fixes.

    ``coopstats import`` turns ``DD.MM.YYYY`` into ISO dates only when every value of the
    column has that form, so a column that mixes forms gets another hint.
    """
    table = problem.file.removesuffix(".csv")
    kind = COLUMNS.get(table, {}).get(problem.column or "")
    value = problem.value
    if not value or kind is None:
        return problem
    if kind == "date" and problem.expected == _ISO_EXPECTED and _DMY.fullmatch(value):
        values = frame[problem.column].dropna() if problem.column in frame else pd.Series()
        if bool(values.map(lambda v: _DMY.fullmatch(v) is not None).all()):
            hint = f"bruk {IMPORT}, som gjør DD.MM.ÅÅÅÅ om til ÅÅÅÅ-MM-DD"
        else:
            hint = (
                "kolonnen blander datoformer: skriv disse som ÅÅÅÅ-MM-DD (" + IMPORT + " gjør "
                "bare om kolonner der alle datoene har formen DD.MM.ÅÅÅÅ)"
            )
        return replace(problem, kind="dmy_date", hint=hint)
    if kind in ("int", "float") and _DECIMAL_COMMA.fullmatch(value):
        return replace(problem, kind="decimal_comma", hint="bruk punktum som desimaltegn")
    if kind == "bool" and value.lower() in _YES_NO:
        return replace(
            problem,
            kind="boolean_form",
            hint=f"skriv true eller false, eller bruk {IMPORT}, som gjør om ja/nei",
        )
    return problem


def _header_problems(problems: list[Problem], file: str) -> list[Problem]:
    """Give unknown columns a "did you mean" and drop missing columns an unknown one explains.

    A header that is a contract column in another case, or a variant listed in
    ``definitions/header_synonyms.yaml`` (``Inntaksdato``), means that column for certain; a
    close match (difflib, against the contract's names and the variants) is a suggestion.
    """
    unknown = [p for p in problems if p.kind == "unknown_column" and p.column]
    if not unknown:
        return problems
    from coopstats.importer import SynonymError, load_synonyms

    table = file.removesuffix(".csv")
    if table not in COLUMNS:
        return problems
    try:
        synonyms = load_synonyms()
    except SynonymError:  # pragma: no cover - the packaged file is tested
        return problems
    missing = {p.column for p in problems if p.kind == "missing_column"}
    explained: set[str] = set()
    out: list[Problem] = []
    for problem in problems:
        if problem.kind != "unknown_column" or not problem.column:
            out.append(problem)
            continue
        header = problem.column
        meant = synonyms.column_of(table, header)
        if meant is not None and meant in missing:
            explained.add(meant)
            hint = (
                f"mente du {meant}? Gi kolonnen kontraktens navn, eller bruk {IMPORT}, som "
                "kjenner igjen norske navn og store bokstaver"
            )
        elif meant is not None:
            hint = f"betyr det samme som kolonnen {meant}, som finnes fra før – fjern den ene"
        else:
            # only columns that are missing: a suggestion of a column that is there misleads
            close = [c for c in synonyms.suggest_columns(table, header) if c in missing]
            hint = f"mente du {' eller '.join(close)}?" if close else None
        out.append(replace(problem, hint=hint))
    return [p for p in out if not (p.kind == "missing_column" and p.column in explained)]


def _national_id_problems(frame: pd.DataFrame, file: str) -> list[Problem]:
    return [
        Problem(
            file,
            int(index),
            column,
            mask_national_ids(value),
            "ingen 11-sifrede tall (fødselsnummer/D-nummer skal ikke leveres)",
            kind="national_id",
        )
        for index, column, value in national_id_cells(frame)
    ]


def _plausibility_problems(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Numbers beyond :data:`PLAUSIBLE_LIMITS` (only values that parse; others are reported by
    the schema)."""
    table = file.removesuffix(".csv")
    problems: list[Problem] = []
    for (name, column), limit in PLAUSIBLE_LIMITS.items():
        if name != table or column not in frame:
            continue
        shown = f"{limit:,}".replace(",", " ")
        for index, value in frame[column].dropna().items():
            if _NUMBER.fullmatch(value) and abs(float(value)) > limit:
                problems.append(
                    Problem(
                        file,
                        int(index),
                        column,
                        value,
                        f"et tall på høyst {shown} (større tall er neppe riktige)",
                        "sjekk om tallet er skrevet eller eksportert feil",
                        "implausible",
                    )
                )
    return problems


def _mask(problem: Problem) -> Problem:
    if problem.value is None:
        return problem
    masked = mask_national_ids(problem.value)
    if masked == problem.value:
        return problem
    return replace(problem, value=masked)


def _file_rank(file: str) -> int:
    name = file.removesuffix(".csv")
    return FILES.index(name) if name in FILES else len(FILES)


def _column_rank(file: str, column: str | None) -> int:
    order = list(COLUMNS.get(file.removesuffix(".csv"), {}))
    return order.index(column) if column in order else len(order)


def _sort_key(problem: Problem) -> tuple:
    column = problem.column
    if problem.kind == "unknown_column":  # by the contract column it probably means
        meant = _MEANT.search(problem.hint or "")
        column = meant.group(1).split(" eller ")[0] if meant else column
    return (
        _file_rank(problem.file),
        problem.file,
        problem.row or 0,
        _column_rank(problem.file, column),
        problem.column or "",
        problem.expected,
    )


def _validate(
    directory: Path, registry: Registry | None = None
) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    # optional files (the coverage manifest) are checked when present; other files are ignored
    for name in (*FILES, *OPTIONAL_FILES):
        file = f"{name}.csv"
        path = directory / file
        if name in OPTIONAL_FILES and not path.is_file():
            continue
        if not path.is_file():
            problems.append(Problem(file, None, None, None, f"filen {file} i {directory}"))
            continue
        frame, read_problems = read_raw(path)
        problems.extend(read_problems)
        if frame is not None:
            frames[name] = frame
    participants = frames.get("participants")
    person_ids = None
    if participants is not None and "person_id" in participants:
        person_ids = set(participants["person_id"].dropna())
    contracts = build_contracts(registry, person_ids)
    for name, frame in frames.items():
        file = f"{name}.csv"
        problems.extend(_header_problems(_schema_problems(contracts[name], frame, file), file))
        problems.extend(_national_id_problems(frame, file))
        problems.extend(_plausibility_problems(frame, file))
    # the optional comparison population (coopstats.comparison; imported here: it imports us)
    from coopstats.comparison import validate_comparison

    problems.extend(
        validate_comparison(directory, registry=registry, participant_ids=person_ids or frozenset())
    )
    return sorted({_mask(p) for p in problems}, key=_sort_key), frames


def validate_directory(directory: str | Path, *, registry: Registry | None = None) -> list[Problem]:
    """Every problem in the delivery in ``directory`` (an empty list when it is valid).

    ``registry`` defaults to :func:`coopstats.registry.load_registry`.
    """
    return _validate(Path(directory), registry)[0]


# --------------------------------------------------------------------------- one line each


def format_problem(problem: Problem) -> str:
    """One line: ``fil, rad N, kolonne K: verdi 'x' – forventet … – hint``."""
    where = [problem.file]
    if problem.row is not None:
        where.append(f"rad {problem.row}")
    if problem.column is not None:
        where.append(f"kolonne {problem.column}")
    if problem.value is None:
        what = f"forventet {problem.expected}"
    elif problem.value == "":
        what = f"tom verdi – forventet {problem.expected}"
    else:
        what = f"verdi '{problem.value}' – forventet {problem.expected}"
    hint = f" – {problem.hint}" if problem.hint else ""
    return f"{', '.join(where)}: {what}{hint}"


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem (see :func:`format_problem`)."""
    return "\n".join(format_problem(p) for p in problems)


# --------------------------------------------------------------------------- grouped


#: Per kind: how a group of several such problems is named (``66 verdier i formatet …``).
_GROUP_NOUNS = {
    "dmy_date": ("verdi i formatet DD.MM.ÅÅÅÅ", "verdier i formatet DD.MM.ÅÅÅÅ"),
    "decimal_comma": ("verdi med desimalkomma", "verdier med desimalkomma"),
    "boolean_form": ("verdi som ikke er true/false", "verdier som ikke er true/false"),
    "empty_row": ("rad med bare tomme celler", "rader med bare tomme celler"),
    "field_count": (
        "rad med et annet antall felt enn overskriftsraden",
        "rader med et annet antall felt enn overskriftsraden",
    ),
    "unknown_column": ("ukjent kolonnenavn", "ukjente kolonnenavn"),
    "missing_column": ("kolonne mangler", "kolonner mangler"),
    "implausible": ("usannsynlig stort tall", "usannsynlig store tall"),
    "national_id": ("celle med 11-sifret tall", "celler med 11-sifrede tall"),
    "duplicate_header": ("kolonnenavn står to ganger", "kolonnenavn står flere ganger"),
}
#: Kinds grouped per file rather than per column.
_PER_FILE = ("empty_row", "field_count", "unknown_column", "missing_column", "duplicate_header")
_MEANT = re.compile(r"mente du (.+?)\?")


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one file and column (or of the file's rows or headers) with one cause.

    ``column`` is ``None`` for groups about the file, its rows or its header row.
    """

    file: str
    column: str | None
    kind: str | None
    problems: tuple[Problem, ...]

    @property
    def count(self) -> int:
        """How many problems the group holds."""
        return len(self.problems)

    @property
    def expected(self) -> str:
        """What was expected (the shared text; a row-specific detail in brackets removed)."""
        texts = {p.expected for p in self.problems}
        first = self.problems[0].expected
        return first if len(texts) == 1 else _FIELD_COUNT.sub("", first)

    @property
    def hint(self) -> str | None:
        """What to do (the first problem's hint)."""
        return next((p.hint for p in self.problems if p.hint), None)

    def advice(self) -> str | None:
        """What to do about the whole group (for several unknown columns: the shared advice;
        their "did you mean" is in the examples)."""
        if self.kind == "unknown_column" and self.count > 1:
            return _common_hint(self.problems)
        return self.hint

    @property
    def rows(self) -> list[int]:
        """The line numbers involved, in order."""
        return sorted({p.row for p in self.problems if p.row is not None})

    def what(self) -> str:
        """``66 verdier i formatet DD.MM.ÅÅÅÅ`` (without file and column)."""
        nouns = _GROUP_NOUNS.get(self.kind or "")
        if nouns is None:
            values = [p.value for p in self.problems]
            if all(v == "" for v in values):
                nouns = ("tom verdi", "tomme verdier")
            elif all(v is None for v in values):
                nouns = ("rad", "rader") if self.rows else ("problem", "problemer")
            else:
                nouns = ("verdi", "verdier")
        return f"{self.count} {nouns[0] if self.count == 1 else nouns[1]}"

    def description(self) -> str:
        """What is wrong: ``66 verdier i formatet DD.MM.ÅÅÅÅ – forventet …``."""
        if self.kind in ("missing_column", "empty_row"):
            return self.what()
        return f"{self.what()} – forventet {self.expected}"

    def examples(self, n: int = EXAMPLES) -> list[str]:
        """The first ``n`` examples (distinct values first): ``rad 2 '21.08.2023'``."""
        if self.kind in ("unknown_column", "duplicate_header"):
            out = []
            for p in self.problems[:n]:
                meant = _MEANT.search(p.hint or "")
                out.append(f"{p.column} (mente du {meant.group(1)}?)" if meant else str(p.column))
            return out
        if self.kind == "missing_column":
            return [str(p.column) for p in self.problems]
        if self.kind in ("empty_row", "field_count") or all(
            p.value is None or p.value == "" for p in self.problems
        ):
            return []
        chosen: list[Problem] = []
        seen: set[str | None] = set()
        for p in self.problems:
            if p.value not in seen:
                chosen.append(p)
                seen.add(p.value)
            if len(chosen) == n:
                break
        for p in self.problems:
            if len(chosen) == n:
                break
            if p not in chosen:
                chosen.append(p)
        chosen.sort(key=lambda p: p.row or 0)
        out = []
        for p in chosen:
            shown = "tom" if p.value == "" else f"'{p.value}'"
            out.append(f"rad {p.row} {shown}" if p.row is not None else shown)
        return out

    def line(self) -> str:
        """One line: ``fil, kolonne K: N verdier … – forventet …; f.eks. … – hint``."""
        if self.count == 1:
            return format_problem(self.problems[0])
        where = self.file + (f", kolonne {self.column}" if self.column else "")
        if self.kind in ("unknown_column", "duplicate_header"):
            text = f"{self.file}, overskriftsraden: {self.what()}: {', '.join(self.examples(5))}"
            if self.count > 5:
                text += f" og {self.count - 5} til"
            hint = self.advice() if self.kind == "unknown_column" else None
            return text + (f" – {hint}" if hint else "")
        if self.kind == "missing_column":
            return f"{where}: {self.what()}: {', '.join(self.examples())}"
        text = f"{where}: {self.description()}"
        examples = self.examples()
        if examples:
            text += f"; f.eks. {', '.join(examples)}"
        elif self.rows:
            text += f" ({_row_ranges(self.rows, limit=10)})"
        return text + (f" – {self.hint}" if self.hint else "")

    def place(self) -> str:
        """Where the group is: ``kolonne K``, ``overskriftsraden``, ``rader`` or ``hele filen``."""
        if self.kind in ("unknown_column", "missing_column", "duplicate_header"):
            return "overskriftsraden"
        if self.column:
            return f"kolonne {self.column}"
        if self.kind in ("empty_row", "field_count") or self.rows:
            return "rader"
        return "hele filen"


def _common_hint(problems: Sequence[Problem]) -> str | None:
    """The advice shared by several unknown columns (their "did you mean" is in the examples)."""
    hints = [p.hint for p in problems if p.hint]
    if not hints:
        return None
    if any(IMPORT in h for h in hints):
        return f"gi kolonnene kontraktens navn, eller bruk {IMPORT}, som kjenner igjen norske navn"
    return None


def _row_ranges(rows: Sequence[int], limit: int = 20) -> str:
    """``rad 5, 68–70`` (at most ``limit`` numbers or ranges, then ``…``)."""
    ranges: list[str] = []
    start = prev = None
    for row in rows:
        if start is None:
            start = prev = row
        elif row == prev + 1:
            prev = row
        else:
            ranges.append(f"{start}–{prev}" if prev != start else str(start))
            start = prev = row
    if start is not None:
        ranges.append(f"{start}–{prev}" if prev != start else str(start))
    more = ", …" if len(ranges) > limit else ""
    return "rad " + ", ".join(ranges[:limit]) + more


def _group_key(problem: Problem) -> tuple:
    if problem.kind in _PER_FILE:
        return (problem.file, None, problem.kind, "")
    if problem.kind is not None:
        return (problem.file, problem.column, problem.kind, "")
    return (problem.file, problem.column, None, problem.expected)


def group_problems(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Group problems per file, column and cause, in the order of the contract.

    File-level problems come first, then the header row, then the columns in contract order,
    then row problems; each group keeps its problems in line order.
    """
    groups: dict[tuple, list[Problem]] = {}
    for problem in sorted(problems, key=_sort_key):
        groups.setdefault(_group_key(problem), []).append(problem)
    section = {
        "encoding": 0,
        "separator": 0,
        "unreadable": 0,
        "no_header": 0,
        "unknown_column": 1,
        "missing_column": 1,
        "duplicate_header": 1,
        "empty_row": 3,
        "field_count": 3,
        "national_id": 4,
    }
    out = [ProblemGroup(key[0], key[1], key[2], tuple(items)) for key, items in groups.items()]

    def order(group: ProblemGroup) -> tuple:
        first = group.problems[0]
        if group.kind in section:
            rank = section[group.kind]
        elif group.column is None and first.row is None:
            rank = 0
        else:
            rank = 2
        return (
            _file_rank(group.file),
            group.file,
            rank,
            _column_rank(group.file, group.column),
            first.row or 0,
            group.expected,
        )

    return sorted(out, key=order)


def format_report(problems: Iterable[Problem]) -> str:
    """One line per group of problems (see :meth:`ProblemGroup.line`)."""
    return "\n".join(group.line() for group in group_problems(problems))


# --------------------------------------------------------------------------- HTML


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.5; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.antall { text-align: right; white-space: nowrap; }
code { background: #f3f3f3; padding: 0 .2rem; }
.ok { border-left: 4px solid #009E73; padding: .25rem 1rem; background: #f3f3f3; }
.feil { border-left: 4px solid #D55E00; padding: .25rem 1rem; background: #f3f3f3; }
"""


def _html_text(text: str | None) -> str:
    """Escaped text with `code` spans."""
    if not text:
        return ""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def html_report(
    directory: str | Path,
    problems: Sequence[Problem],
    rows: dict[str, int] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """A self-contained Norwegian HTML page with the problems grouped per file and column.

    ``rows`` gives the number of data rows read per file (shown when known).
    """
    from coopstats import __version__

    now = now or datetime.now().astimezone()
    groups = group_problems(problems)
    by_file: dict[str, list[ProblemGroup]] = {}
    for group in groups:
        by_file.setdefault(group.file, []).append(group)
    files = [f"{name}.csv" for name in FILES] + [f for f in by_file if f[:-4] not in FILES]
    if problems:
        noun = "problem" if len(problems) == 1 else "problemer"
        summary = (
            f'<p class="feil">{len(problems)} {noun} funnet, samlet i {len(groups)} '
            f"{'gruppe' if len(groups) == 1 else 'grupper'} per fil og kolonne. Leveransen kan "
            "ikke brukes før de er rettet.</p>"
        )
    else:
        summary = '<p class="ok">Leveransen følger datakontrakten.</p>'
    sections = []
    for file in files:
        count = (rows or {}).get(file.removesuffix(".csv"))
        counted = f" ({count} rader)" if count is not None else ""
        heading = f"<h2>{html.escape(file)}{html.escape(counted)}</h2>"
        items = by_file.get(file)
        if not items:
            sections.append(f"{heading}\n<p>Ingen problemer.</p>")
            continue
        body = []
        for group in items:
            where = group.place()
            examples = group.examples(5)
            if not examples and group.rows:
                examples = [_row_ranges(group.rows, limit=10)]
            body.append(
                "<tr>"
                f"<td>{html.escape(where)}</td>"
                f'<td class="antall">{group.count}</td>'
                f"<td>{html.escape(group.description())}</td>"
                f"<td>{html.escape('; '.join(examples))}</td>"
                f"<td>{_html_text(group.advice())}</td>"
                "</tr>"
            )
        sections.append(
            f'{heading}\n<table>\n<thead><tr><th scope="col">Hvor</th>'
            '<th scope="col">Antall</th><th scope="col">Hva er galt</th>'
            '<th scope="col">Første eksempler</th><th scope="col">Råd</th></tr></thead>\n'
            "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"
        )
    stamp = f"{now:%d.%m.%Y kl. %H.%M}"
    return f"""<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Validering av {html.escape(Path(directory).name)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Validering av leveransen {html.escape(Path(directory).name)}</h1>
<p>Mappe: <code>{html.escape(str(directory))}</code>. Kontrollert {stamp} med coopstats
{html.escape(__version__)} mot datakontrakten (data/README.md). Radnumrene er linjer i
CSV-filen; overskriftsraden er linje 1.</p>
{summary}
{chr(10).join(sections)}
</body>
</html>
"""


# --------------------------------------------------------------------------- command line


def main_validate(directory: str | Path, *, html_path: str | Path | None = None) -> int:
    """``coopstats validate DIR [--html FILE]``: 0 valid, 1 problems found, 2 directory missing.

    Problems are printed grouped per file and column (:func:`format_report`) on standard
    error; ``html_path`` also writes them as an HTML page (:func:`html_report`). Coverage
    warnings (:func:`coopstats.coverage.coverage_warnings`: no ``coverage.csv``, so coverage is
    inferred; spells outside the stated coverage) go to standard error as ``advarsel:`` lines
    and do not change the exit code.
    """
    path = Path(directory)
    if not path.is_dir():
        what = "er en fil, ikke en mappe" if path.exists() else "finnes ikke"
        print(
            f"coopstats validate: {path} {what} (forventet mappa med leveransens CSV-filer)",
            file=sys.stderr,
        )
        return 2
    problems, frames = _validate(path)
    from coopstats.coverage import coverage_warnings

    # warnings (coverage inferred, spells outside the coverage) never fail the validation
    for warning in coverage_warnings(path):
        print(warning, file=sys.stderr)
    counts = {name: len(frame) for name, frame in frames.items()}
    report = ""
    if html_path is not None:
        target = Path(html_path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html_report(path, problems, counts), encoding="utf-8")
        except OSError as exc:
            print(
                f"coopstats validate: kunne ikke skrive HTML-rapporten {target}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        report = f"; rapport: {target}"
    if problems:
        groups = group_problems(problems)
        print("\n".join(group.line() for group in groups), file=sys.stderr)
        noun = "problem" if len(problems) == 1 else "problemer"
        grouped = ""
        if len(groups) < len(problems):
            lines = "linje" if len(groups) == 1 else "linjer"
            grouped = f" (samlet i {len(groups)} {lines} per fil og kolonne)"
        print(f"{len(problems)} {noun} funnet i {path}{grouped}{report}", file=sys.stderr)
        return 1
    present = [*FILES, *(name for name in OPTIONAL_FILES if name in counts)]
    summary = ", ".join(f"{name} {counts.get(name, 0)}" for name in present)
    print(f"OK: {path} følger datakontrakten (rader: {summary}){report}")
    return 0
