"""Validate a data delivery (a directory of CSV files) against the data contract.

:func:`validate_directory` reads every file as raw text, runs the pandera schemas from
:mod:`coopstats.contract` lazily and returns *every* problem at once: missing files, missing or
extra columns, malformed lines, unparseable values (with their raw text), rule violations and
cross-file references. Row numbers are line numbers in the CSV file, with the header as line 1.
Messages are in Norwegian (bokmål), for the people who deliver the data.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pandera.errors import SchemaErrors

from coopstats.contract import (
    FileContract,
    build_contracts,
    mask_national_ids,
    national_id_cells,
)
from coopstats.data import COLUMNS, FILES
from coopstats.registry import Registry

__all__ = ["Problem", "format_problems", "main_validate", "read_raw", "validate_directory"]

#: Text for problems that pandera reports with its own check names.
_BUILTIN = {
    "not_nullable": "en verdi (feltet er påkrevd)",
    "column_in_dataframe": "kolonnen (den mangler)",
    "column_in_schema": "ingen kolonner utenom kontrakten",
}


@dataclass(frozen=True)
class Problem:
    """One breach of the contract.

    ``row`` is the line number in the CSV file (header = line 1, first data row = 2), or
    ``None`` for file- and column-level problems. ``value`` is the raw text of the cell.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str


def read_raw(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file as stripped text (empty cells → NA), indexed by line number.

    Lines with the wrong number of fields are reported and left out of the frame. The frame is
    ``None`` when the file cannot be read at all (not UTF-8, no header row).
    """
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, None, None, None, f"UTF-8-kodet tekst ({exc.reason})")]
    reader = csv.reader(text.splitlines(keepends=True))
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not record or all(not cell.strip() for cell in record):
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
                    )
                )
                continue
            rows.append([cell.strip() for cell in record])
            lines.append(line)
    except csv.Error as exc:
        problems.append(Problem(name, next_line, None, None, f"gyldig CSV ({exc})"))
    if header is None:
        problems.append(Problem(name, None, None, None, "en overskriftsrad med kolonnenavn"))
        return None, problems
    keep: list[int] = []
    for i, column in enumerate(header):
        if column in header[:i]:
            problems.append(Problem(name, header_line, column, None, "hvert kolonnenavn én gang"))
        else:
            keep.append(i)
    frame = pd.DataFrame(
        [[row[i] for i in keep] for row in rows],
        columns=[header[i] for i in keep],
        index=pd.Index(lines, dtype="int64"),
        dtype="string",
    )
    return frame.replace("", pd.NA), problems


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
        elif check == "column_in_dataframe" or check == "column_in_schema":
            problems.append(Problem(file, None, value, None, _BUILTIN[check]))
        elif check == "not_nullable":
            problems.append(Problem(file, row, column, "", _BUILTIN[check]))
        elif check == "field_uniqueness" and column is not None and value is not None:
            first = frame.index[(frame[column] == value).fillna(False).to_numpy()][0]
            problems.append(Problem(file, row, column, value, f"unik verdi (brukt på rad {first})"))
        else:
            problems.append(Problem(file, row, column, value, check))
    return problems


def _national_id_problems(frame: pd.DataFrame, file: str) -> list[Problem]:
    return [
        Problem(
            file,
            int(index),
            column,
            mask_national_ids(value),
            "ingen 11-sifrede tall (fødselsnummer/D-nummer skal ikke leveres)",
        )
        for index, column, value in national_id_cells(frame)
    ]


def _mask(problem: Problem) -> Problem:
    if problem.value is None:
        return problem
    masked = mask_national_ids(problem.value)
    if masked == problem.value:
        return problem
    return Problem(problem.file, problem.row, problem.column, masked, problem.expected)


def _sort_key(problem: Problem) -> tuple:
    name = problem.file.removesuffix(".csv")
    order = list(COLUMNS.get(name, {}))
    file_rank = FILES.index(name) if name in FILES else len(FILES)
    column_rank = order.index(problem.column) if problem.column in order else len(order)
    return (
        file_rank,
        problem.file,
        problem.row or 0,
        column_rank,
        problem.column or "",
        problem.expected,
    )


def validate_directory(directory: str | Path, *, registry: Registry | None = None) -> list[Problem]:
    """Every problem in the delivery in ``directory`` (an empty list when it is valid).

    ``registry`` defaults to :func:`coopstats.registry.load_registry`.
    """
    directory = Path(directory)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name in FILES:
        file = f"{name}.csv"
        path = directory / file
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
        problems.extend(_schema_problems(contracts[name], frame, file))
        problems.extend(_national_id_problems(frame, file))
    return sorted({_mask(p) for p in problems}, key=_sort_key)


def format_problem(problem: Problem) -> str:
    """One line: ``fil, rad N, kolonne K: verdi 'x' – forventet …``."""
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
    return f"{', '.join(where)}: {what}"


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem (see :func:`format_problem`)."""
    return "\n".join(format_problem(p) for p in problems)


def main_validate(directory: str | Path) -> int:
    """``coopstats validate DIR``: 0 valid, 1 problems found, 2 directory missing."""
    path = Path(directory)
    if not path.is_dir():
        what = "er en fil, ikke en mappe" if path.exists() else "finnes ikke"
        print(
            f"coopstats validate: {path} {what} (forventet mappa med leveransens CSV-filer)",
            file=sys.stderr,
        )
        return 2
    problems = validate_directory(path)
    if problems:
        print(format_problems(problems), file=sys.stderr)
        noun = "problem" if len(problems) == 1 else "problemer"
        print(f"{len(problems)} {noun} funnet i {path}", file=sys.stderr)
        return 1
    counts = ", ".join(
        f"{name} {len(pd.read_csv(path / f'{name}.csv', dtype=str, encoding='utf-8-sig'))}"
        for name in FILES
    )
    print(f"OK: {path} følger datakontrakten (rader: {counts})")
    return 0
