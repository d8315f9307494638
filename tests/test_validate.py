"""Tests for the data contract (coopstats.contract) and its validator (coopstats.validate)."""

from __future__ import annotations

import csv
import locale
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from coopstats.cli import main as cli_main
from coopstats.contract import build_contracts
from coopstats.data import COLUMNS, FILES
from coopstats.validate import (
    Problem,
    format_problem,
    format_problems,
    format_report,
    main_validate,
    read_raw,
    validate_directory,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NATIONAL_ID = "01019912345"


# --------------------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(directory: Path, file: str, line: int, column: str, value: str) -> str:
    """Set the cell on CSV line ``line`` (header = 1); return the old value."""
    rows = read_rows(directory / file)
    j = rows[0].index(column)
    old = rows[line - 1][j]
    rows[line - 1][j] = value
    write_rows(directory / file, rows)
    return old


def cell(directory: Path, file: str, line: int, column: str) -> str:
    rows = read_rows(directory / file)
    return rows[line - 1][rows[0].index(column)]


def line_of(directory: Path, file: str, column: str, value: str) -> int:
    """The CSV line of the first row whose ``column`` equals ``value``."""
    rows = read_rows(directory / file)
    j = rows[0].index(column)
    return next(i + 1 for i, row in enumerate(rows) if i and row[j] == value)


def drop_column(directory: Path, file: str, column: str) -> None:
    rows = read_rows(directory / file)
    j = rows[0].index(column)
    write_rows(directory / file, [row[:j] + row[j + 1 :] for row in rows])


def add_column(directory: Path, file: str, column: str, value: str) -> None:
    rows = read_rows(directory / file)
    write_rows(directory / file, [rows[0] + [column]] + [row + [value] for row in rows[1:]])


def where(problems: list[Problem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def find(problems: list[Problem], file: str, row: int | None, column: str | None) -> Problem:
    hits = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert hits, f"no problem at {file}, row {row}, column {column}:\n{format_problems(problems)}"
    return hits[0]


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    target = tmp_path / "delivery"
    shutil.copytree(DEMO, target)
    return target


@pytest.fixture
def broken(demo_copy: Path) -> tuple[Path, dict[str, tuple[str, int | None, str | None]]]:
    """The demo with many problems at once; returns the directory and where each one is."""
    d = demo_copy
    expected: dict[str, tuple[str, int | None, str | None]] = {}

    set_cell(d, "participants.csv", 4, "intake_date", "2023-02-30")
    expected["bad date"] = ("participants.csv", 4, "intake_date")
    set_cell(d, "participants.csv", 5, "gender", "X")
    expected["unknown gender"] = ("participants.csv", 5, "gender")
    set_cell(d, "participants.csv", 6, "birth_year", "19x0")
    expected["unparseable year"] = ("participants.csv", 6, "birth_year")
    first_id = cell(d, "participants.csv", 2, "person_id")
    set_cell(d, "participants.csv", 9, "person_id", first_id)
    expected["duplicate id"] = ("participants.csv", 9, "person_id")

    set_cell(d, "spells.csv", 3, "person_id", NATIONAL_ID)
    expected["11-digit id"] = ("spells.csv", 3, "person_id")
    set_cell(d, "spells.csv", 10, "person_id", "D999")
    expected["spell for unknown person"] = ("spells.csv", 10, "person_id")

    set_cell(d, "activity_log.csv", 3, "unit_id", "nav-atlantis")
    expected["unknown unit"] = ("activity_log.csv", 3, "unit_id")
    add_column(d, "activity_log.csv", "fnr", "")
    expected["extra column"] = ("activity_log.csv", None, "fnr")

    ranged = line_of(d, "reported_figures.csv", "qualifier", "range")
    set_cell(d, "reported_figures.csv", ranged, "value_high", "")
    expected["range without bounds"] = ("reported_figures.csv", ranged, "value_high")

    drop_column(d, "segments.csv", "polarity")
    expected["missing column"] = ("segments.csv", None, "polarity")
    set_cell(d, "segments.csv", 2, "trial_id", "moteplassen-innlandet")
    expected["trial of another unit"] = ("segments.csv", 2, "trial_id")
    return d, expected


# --------------------------------------------------------------------------- demo


def test_demo_data_is_valid():
    assert validate_directory(DEMO) == []


def test_demo_exit_code_and_summary(capsys):
    assert main_validate(str(DEMO)) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("OK:")
    rows = {f: sum(1 for _ in (DEMO / f"{f}.csv").open(encoding="utf-8")) - 1 for f in FILES}
    assert f"participants {rows['participants']}" in out and f"spells {rows['spells']}" in out


# --------------------------------------------------------------------------- many at once


def test_every_problem_is_reported_in_one_run(broken):
    directory, expected = broken
    problems = validate_directory(directory)
    found = where(problems)
    missing = {name: spot for name, spot in expected.items() if spot not in found}
    assert not missing, f"not reported: {missing}\n{format_problems(problems)}"
    # Files that were not touched report nothing.
    assert {p.file for p in problems} == {
        "participants.csv",
        "spells.csv",
        "activity_log.csv",
        "reported_figures.csv",
        "segments.csv",
    }


def test_problems_carry_raw_values_and_expectations(broken):
    directory, _ = broken
    problems = validate_directory(directory)
    bad_year = find(problems, "participants.csv", 6, "birth_year")
    assert bad_year.value == "19x0"
    assert "1940–2010" in bad_year.expected
    assert find(problems, "participants.csv", 4, "intake_date").value == "2023-02-30"
    assert find(problems, "participants.csv", 5, "gender").value == "X"
    duplicate = find(problems, "participants.csv", 9, "person_id")
    assert "rad 2" in duplicate.expected
    assert find(problems, "spells.csv", 10, "person_id").value == "D999"
    missing = find(problems, "segments.csv", None, "polarity")
    assert missing.value is None


def test_national_id_is_reported_but_never_echoed(broken):
    directory, _ = broken
    problems = validate_directory(directory)
    spotted = [p for p in problems if p.file == "spells.csv" and p.row == 3]
    assert any("11-sifrede" in p.expected for p in spotted)
    assert NATIONAL_ID not in format_problems(problems)


def test_problems_are_sorted_by_file_then_line(broken):
    directory, _ = broken
    problems = validate_directory(directory)
    files = [p.file for p in problems]
    order = ["participants.csv", "spells.csv", "activity_log.csv", "reported_figures.csv"]
    order.append("segments.csv")
    assert files == sorted(files, key=order.index)
    rows = [p.row or 0 for p in problems if p.file == "participants.csv"]
    assert rows == sorted(rows)


# --------------------------------------------------------------------------- single rules


def test_missing_file_is_reported(demo_copy):
    (demo_copy / "segments.csv").unlink()
    problems = validate_directory(demo_copy)
    assert where(problems) == {("segments.csv", None, None)}


def test_eleven_digits_anywhere_in_participants(demo_copy):
    set_cell(demo_copy, "participants.csv", 3, "country_background", f"Syria {NATIONAL_ID}")
    problems = validate_directory(demo_copy)
    assert where(problems) == {("participants.csv", 3, "country_background")}
    assert NATIONAL_ID not in problems[0].value


def test_ten_and_twelve_digits_are_not_national_ids(demo_copy):
    set_cell(demo_copy, "participants.csv", 3, "country_background", "Syria 0101991234")
    set_cell(demo_copy, "participants.csv", 4, "country_background", "Syria 010199123456")
    assert validate_directory(demo_copy) == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("exit_date", "2023-01-01"),  # before intake
        ("birth_year", "1939"),
        ("children_under_18", "16"),
        ("immigration_year", "1950"),  # before birth
        ("norwegian_oral", "B3"),
        ("relevant_work_experience", "ja"),
        ("education_completed_country", "sverige"),
    ],
)
def test_participant_rules(demo_copy, column, value):
    set_cell(demo_copy, "participants.csv", 2, column, value)
    assert where(validate_directory(demo_copy)) == {("participants.csv", 2, column)}


def test_education_started_above_completed_unless_other_country(demo_copy):
    line = 2
    set_cell(demo_copy, "participants.csv", line, "education_completed", "vgo")
    set_cell(demo_copy, "participants.csv", line, "education_completed_country", "norge")
    set_cell(demo_copy, "participants.csv", line, "education_started", "grunnskole")
    set_cell(demo_copy, "participants.csv", line, "education_started_country", "norge")
    problems = validate_directory(demo_copy)
    assert where(problems) == {("participants.csv", line, "education_started")}
    set_cell(demo_copy, "participants.csv", line, "education_started_country", "utland")
    assert validate_directory(demo_copy) == []


def test_started_education_needs_a_country(demo_copy):
    line = line_of(demo_copy, "participants.csv", "education_started", "ingen")
    set_cell(demo_copy, "participants.csv", line, "education_started", "hoyere")
    assert where(validate_directory(demo_copy)) == {
        ("participants.csv", line, "education_started_country")
    }


def test_trial_must_belong_to_the_unit(demo_copy):
    line = line_of(demo_copy, "participants.csv", "unit_id", "nav-oslo")
    set_cell(demo_copy, "participants.csv", line, "trial_id", "lengre-varighet-vestland")
    problems = validate_directory(demo_copy)
    assert where(problems) == {("participants.csv", line, "trial_id")}
    assert "nav-oslo" in problems[0].expected and "nav-vestland" in problems[0].expected


def test_spell_rules(demo_copy):
    set_cell(demo_copy, "spells.csv", 2, "kind", "ferie")
    line = line_of(demo_copy, "spells.csv", "kind", "status")
    set_cell(demo_copy, "spells.csv", line, "full_time", "true")
    done = next(i for i in range(2, 50) if cell(demo_copy, "spells.csv", i, "end_date"))
    start = cell(demo_copy, "spells.csv", done, "start_date")
    set_cell(demo_copy, "spells.csv", done, "end_date", "2000-01-01")
    assert start > "2000-01-01"
    assert where(validate_directory(demo_copy)) == {
        ("spells.csv", 2, "kind"),
        ("spells.csv", line, "full_time"),
        ("spells.csv", done, "end_date"),
    }


@pytest.mark.parametrize(
    ("qualifier", "count", "low", "high", "column"),
    [
        ("exact", "", "", "", "count"),
        ("approximate", "", "", "", "count"),
        ("range", "", "", "60", "count_low"),
        ("range", "", "4", "", "count_high"),
        ("range", "", "60", "4", "count_high"),
        ("range", "70", "4", "60", "count"),
        ("exact", "5", "4", "", "count_low"),
        ("not_reported", "5", "", "", "count"),
        ("guess", "5", "", "", "qualifier"),
        ("exact", "-1", "", "", "count"),
        ("exact", "1,5", "", "", "count"),
    ],
)
def test_qualifier_rules(demo_copy, qualifier, count, low, high, column):
    f = "activity_log.csv"
    for name, value in {"qualifier": qualifier, "count": count, "count_low": low}.items():
        set_cell(demo_copy, f, 2, name, value)
    set_cell(demo_copy, f, 2, "count_high", high)
    assert where(validate_directory(demo_copy)) == {(f, 2, column)}


@pytest.mark.parametrize(
    ("qualifier", "count", "low", "high"),
    [
        ("exact", "5", "", ""),
        ("range", "", "4", "60"),
        ("range", "30", "4", "60"),
        ("range", "", "4", "4"),
        ("not_reported", "", "", ""),
    ],
)
def test_qualifier_rules_accept(demo_copy, qualifier, count, low, high):
    f = "activity_log.csv"
    for name, value in {"qualifier": qualifier, "count": count, "count_low": low}.items():
        set_cell(demo_copy, f, 2, name, value)
    set_cell(demo_copy, f, 2, "count_high", high)
    assert validate_directory(demo_copy) == []


def test_source_lines_needed_for_seed_documents(demo_copy):
    set_cell(demo_copy, "segments.csv", 3, "source_lines", "")
    set_cell(demo_copy, "segments.csv", 4, "source_doc", "seed-009")
    set_cell(demo_copy, "segments.csv", 5, "phase", "XYZ")
    assert where(validate_directory(demo_copy)) == {
        ("segments.csv", 3, "source_lines"),
        ("segments.csv", 4, "source_doc"),
        ("segments.csv", 5, "phase"),
    }


def test_percent_figures_lie_between_0_and_100(demo_copy):
    line = line_of(demo_copy, "reported_figures.csv", "unit", "percent")
    set_cell(demo_copy, "reported_figures.csv", line, "value", "101")
    assert where(validate_directory(demo_copy)) == {("reported_figures.csv", line, "value")}


# --------------------------------------------------------------------------- reading


def test_line_numbers_count_physical_lines(demo_copy):
    rows = read_rows(demo_copy / "segments.csv")
    j = rows[0].index("paraphrase")
    rows[1][j] = "første linje\nandre linje"
    rows[3][rows[0].index("polarity")] = "neutral"
    write_rows(demo_copy / "segments.csv", rows)
    # Record 3 (the header is record 1) starts on line 5 because record 1 spans two lines.
    assert where(validate_directory(demo_copy)) == {("segments.csv", 5, "polarity")}


def test_wrong_number_of_fields_is_reported(demo_copy):
    path = demo_copy / "activity_log.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines), encoding="utf-8")
    problems = validate_directory(demo_copy)
    assert where(problems) == {("activity_log.csv", 3, None)}


def test_byte_order_mark_is_accepted(demo_copy):
    path = demo_copy / "participants.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_directory(demo_copy) == []


def test_read_raw_keeps_raw_text_and_line_index(demo_copy):
    frame, problems = read_raw(demo_copy / "participants.csv")
    assert problems == []
    assert frame.index[0] == 2 and len(frame) == 66
    assert frame.loc[2, "person_id"] == cell(demo_copy, "participants.csv", 2, "person_id")


# --------------------------------------------------------------------------- output and exit codes


def test_format_problem_line():
    problem = Problem("participants.csv", 5, "birth_year", "19x0", "heltall 1940–2010")
    assert format_problem(problem) == (
        "participants.csv, rad 5, kolonne birth_year: verdi '19x0' – forventet heltall 1940–2010"
    )
    assert format_problem(Problem("spells.csv", None, None, None, "filen")) == (
        "spells.csv: forventet filen"
    )
    assert "tom verdi" in format_problem(Problem("x.csv", 2, "a", "", "en verdi"))


def test_main_validate_reports_problems_on_stderr(broken, capsys):
    directory, expected = broken
    assert main_validate(str(directory)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "participants.csv, rad 6, kolonne birth_year: verdi '19x0'" in captured.err
    assert "problemer funnet" in captured.err.splitlines()[-1]


def test_main_validate_missing_directory(tmp_path, capsys):
    assert main_validate(str(tmp_path / "nowhere")) == 2
    assert "finnes ikke" in capsys.readouterr().err
    file = tmp_path / "file.csv"
    file.write_text("x\n", encoding="utf-8")
    assert main_validate(str(file)) == 2
    assert "er en fil, ikke en mappe" in capsys.readouterr().err


def test_cli_validate_in_process(broken, capsys):
    directory, _ = broken
    assert cli_main(["validate", str(directory)]) == 1
    err = capsys.readouterr().err
    # the spells of unknown persons are one line per column, with a count and examples
    # the spells of the person whose id row 9 lost, plus rows 3 (11 digits) and 10 (D999)
    lost = pd.read_csv(DEMO / "participants.csv", dtype=str)["person_id"].iloc[7]
    spells = pd.read_csv(DEMO / "spells.csv", dtype=str)
    orphans = int((spells["person_id"] == lost).sum()) + 2
    assert f"spells.csv, kolonne person_id: {orphans} verdier" in err
    assert "rad 10 'D999'" in err
    assert cli_main(["validate", str(DEMO)]) == 0


def test_cli_validate_subprocess(broken):
    directory, _ = broken
    result = subprocess.run(
        [sys.executable, "-m", "coopstats.cli", "validate", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "participants.csv, rad 4, kolonne intake_date: verdi '2023-02-30'" in result.stderr
    assert "segments.csv, kolonne polarity" in result.stderr


def test_unreadable_files_are_reported_once(demo_copy):
    (demo_copy / "segments.csv").write_text("", encoding="utf-8")
    (demo_copy / "activity_log.csv").write_bytes("record_id\nnavn æ\n".encode("latin-1"))
    problems = validate_directory(demo_copy)
    assert where(problems) == {("segments.csv", None, None), ("activity_log.csv", None, None)}
    assert "UTF-8" in find(problems, "activity_log.csv", None, None).expected


def test_validate_a_file_instead_of_a_directory_says_so(capsys):
    assert main_validate(Path(__file__)) == 2
    assert "er en fil, ikke en mappe" in capsys.readouterr().err


def test_min_count_below_one_is_rejected_by_the_cli(capsys):
    from coopstats import cli

    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["run", "--min-count", "0"])
    assert exc.value.code == 2
    assert "forventet 1 eller mer" in capsys.readouterr().err


# --------------------------------------------------------------------------- documented contract

README = DEMO.parent / "README.md"


def documented_contract() -> dict[str, dict[str, dict[str, str]]]:
    """``{file: {column: {"type", "required", "meaning"}}}`` from the column tables of the data
    contract (data/README.md): what the validator must enforce, written for the deliverers."""
    contract: dict[str, dict[str, dict[str, str]]] = {}
    current: dict[str, dict[str, str]] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## `(\w+)\.csv`", line)
        if heading:
            current = contract.setdefault(heading.group(1), {})
            continue
        if line.startswith("## "):
            current = None
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is not None and len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]):
            keys = ("type", "required", "meaning")
            current[cells[0].strip("`")] = dict(zip(keys, cells[1:], strict=True))
    return contract


DOCUMENTED = documented_contract()
REQUIRED = [
    (f, c) for f, cols in DOCUMENTED.items() for c, d in cols.items() if d["required"] == "yes"
]
OPTIONAL = [
    (f, c) for f, cols in DOCUMENTED.items() for c, d in cols.items() if d["required"] == "no"
]
#: (file, later column, earlier column): "on or after `earlier`" in the contract.
ORDERED = [
    (f, c, m.group(1))
    for f, cols in DOCUMENTED.items()
    for c, d in cols.items()
    if (m := re.search(r"on or after `(\w+)`", d["meaning"]))
]
DATE_COLUMNS = [(f, c) for f, cols in COLUMNS.items() for c, kind in cols.items() if kind == "date"]
NOT_ISO = ("20230815", "15.08.2023", "2023-8-15")


def _ids(params) -> list[str]:
    return ["/".join(map(str, p)) for p in params]


def contract_copy(target: Path) -> Path:
    """The demo's contract files only (the optional comparison population is left out)."""
    target.mkdir(parents=True)
    for name in COLUMNS:
        shutil.copyfile(DEMO / f"{name}.csv", target / f"{name}.csv")
    return target


def edit_cells(directory: Path, file: str, cells: dict[tuple[int, str], str]) -> None:
    """Set ``{(CSV line, column): value}`` in one write."""
    rows = read_rows(directory / file)
    for (line, column), value in cells.items():
        rows[line - 1][rows[0].index(column)] = value
    write_rows(directory / file, rows)


def test_the_documented_contract_is_the_enforced_contract():
    """data/README.md lists every column of every file, and a column is required (no empty
    cells) in the schemas exactly when the README says "yes"."""
    assert set(DOCUMENTED) == set(COLUMNS)
    contracts = build_contracts()
    for name, columns in DOCUMENTED.items():
        assert list(columns) == list(COLUMNS[name]), name
        for column, doc in columns.items():
            required = not contracts[name].schema.columns[column].nullable
            assert required == (doc["required"] == "yes"), (name, column, doc["required"])
    assert len(REQUIRED) > 40 and len(OPTIONAL) > 15 and len(ORDERED) == 4


@pytest.fixture(scope="module")
def blanked(tmp_path_factory) -> tuple[list[Problem], dict[tuple[str, str], int]]:
    """The demo with one cell blanked per documented required or optional column, each on its
    own line; validated once."""
    directory = contract_copy(tmp_path_factory.mktemp("blanked") / "delivery")
    spots: dict[tuple[str, str], int] = {}
    for name in COLUMNS:
        columns = [c for f, c in REQUIRED + OPTIONAL if f == name]
        cells = {(2 + i, column): "" for i, column in enumerate(columns)}
        edit_cells(directory, f"{name}.csv", cells)
        spots.update({(name, column): line for (line, column) in cells})
    return validate_directory(directory), spots


@pytest.mark.parametrize(("name", "column"), REQUIRED, ids=_ids(REQUIRED))
def test_a_blank_required_cell_is_reported(blanked, name, column):
    problems, spots = blanked
    line = spots[(name, column)]
    problem = find(problems, f"{name}.csv", line, column)
    assert problem.value == "" and "påkrevd" in problem.expected
    assert format_problem(problem).startswith(
        f"{name}.csv, rad {line}, kolonne {column}: tom verdi – forventet"
    )


@pytest.mark.parametrize(("name", "column"), OPTIONAL, ids=_ids(OPTIONAL))
def test_a_blank_optional_cell_is_accepted(blanked, name, column):
    problems, spots = blanked
    assert (f"{name}.csv", spots[(name, column)], column) not in where(problems)


@pytest.fixture(scope="module")
def misdated(tmp_path_factory) -> tuple[list[Problem], dict[tuple[str, str, str], int]]:
    """Every date column of every file with each non-ISO form on a line of its own."""
    directory = contract_copy(tmp_path_factory.mktemp("misdated") / "delivery")
    spots: dict[tuple[str, str, str], int] = {}
    for name in COLUMNS:
        cells = {}
        cases = [(c, bad) for f, c in DATE_COLUMNS if f == name for bad in NOT_ISO]
        for i, (column, bad) in enumerate(cases):
            cells[(2 + i, column)] = bad
            spots[(name, column, bad)] = 2 + i
        edit_cells(directory, f"{name}.csv", cells)
    return validate_directory(directory), spots


@pytest.mark.parametrize(
    ("name", "column", "bad"),
    [(f, c, bad) for f, c in DATE_COLUMNS for bad in NOT_ISO],
    ids=_ids([(f, c, bad) for f, c in DATE_COLUMNS for bad in NOT_ISO]),
)
def test_a_date_not_written_yyyy_mm_dd_is_rejected(misdated, name, column, bad):
    """Compact, Norwegian and unpadded dates are reported with the raw text, not read as
    missing (which would make an exit date, say, silently disappear)."""
    problems, spots = misdated
    line = spots[(name, column, bad)]
    problem = find(problems, f"{name}.csv", line, column)
    assert problem.value == bad
    assert format_problem(problem).startswith(
        f"{name}.csv, rad {line}, kolonne {column}: verdi '{bad}' – forventet dato på formen "
        "ÅÅÅÅ-MM-DD"
    )


@pytest.fixture(scope="module")
def ordered(tmp_path_factory) -> tuple[list[Problem], dict[tuple[str, str], tuple[int, int]]]:
    """For every "on or after" rule: one row ending on its start day, one the day before."""
    directory = contract_copy(tmp_path_factory.mktemp("ordered") / "delivery")
    spots: dict[tuple[str, str], tuple[int, int]] = {}
    for name, later, earlier in ORDERED:
        rows = read_rows(directory / f"{name}.csv")
        j = rows[0].index(earlier)
        same, before = [i + 1 for i, row in enumerate(rows) if i and row[j]][:2]
        start = date.fromisoformat(rows[same - 1][j])
        day_before = date.fromisoformat(rows[before - 1][j]) - timedelta(days=1)
        edit_cells(
            directory,
            f"{name}.csv",
            {(same, later): start.isoformat(), (before, later): day_before.isoformat()},
        )
        spots[(name, later)] = (same, before)
    return validate_directory(directory), spots


@pytest.mark.parametrize(("name", "later", "earlier"), ORDERED, ids=_ids(ORDERED))
def test_an_end_on_the_start_day_is_valid_and_the_day_before_is_not(ordered, name, later, earlier):
    problems, spots = ordered
    same, before = spots[(name, later)]
    file = f"{name}.csv"
    assert [p for p in problems if p.file == file and p.row == same] == []
    problem = find(problems, file, before, later)
    line = format_problem(problem)
    assert line.startswith(f"{file}, rad {before}, kolonne {later}: verdi '")
    assert f"på eller etter {earlier}" in line
    # the day before is the only problem the edits made
    assert where(problems) == {(f"{f}.csv", spots[(f, c)][1], c) for f, c, _ in ORDERED}


#: (file, {column: value} on one row, column the problem is reported on or None = valid).
#: Every intake date of the demo is in 2023.
BOUNDS = [
    ("participants", {"birth_year": "1940"}, None),
    ("participants", {"birth_year": "2010", "immigration_year": ""}, None),
    ("participants", {"birth_year": "1939"}, "birth_year"),
    ("participants", {"birth_year": "2011", "immigration_year": ""}, "birth_year"),
    ("participants", {"children_under_18": "0"}, None),
    ("participants", {"children_under_18": "15"}, None),
    ("participants", {"children_under_18": "-1"}, "children_under_18"),
    ("participants", {"children_under_18": "16"}, "children_under_18"),
    ("participants", {"birth_year": "1990", "immigration_year": "1990"}, None),
    ("participants", {"birth_year": "1990", "immigration_year": "1989"}, "immigration_year"),
    ("participants", {"birth_year": "1990", "immigration_year": "2023"}, None),
    ("participants", {"birth_year": "1990", "immigration_year": "2024"}, "immigration_year"),
    ("reported_figures", {"value": "0"}, None),
    ("reported_figures", {"value": "100"}, None),
    ("reported_figures", {"value": "100.5"}, "value"),
    ("reported_figures", {"value": "-0.5"}, "value"),
    ("activity_log", {"count": "4", "count_low": "4", "count_high": "60"}, None),
    ("activity_log", {"count": "60", "count_low": "4", "count_high": "60"}, None),
    ("activity_log", {"count": "3", "count_low": "4", "count_high": "60"}, "count"),
    ("activity_log", {"count": "61", "count_low": "4", "count_high": "60"}, "count"),
    ("activity_log", {"count": "", "count_low": "4", "count_high": "4"}, None),
    ("activity_log", {"count": "", "count_low": "5", "count_high": "4"}, "count_high"),
]


def _bound_rows(directory: Path, name: str) -> list[int]:
    """Lines the cases may edit: percent figures given exactly; activity counted exactly."""
    rows = read_rows(directory / f"{name}.csv")
    head = rows[0]
    if name == "reported_figures":
        keep = [
            r[head.index("unit")] == "percent" and r[head.index("qualifier")] == "exact"
            for r in rows
        ]
    elif name == "activity_log":
        keep = [r[head.index("qualifier")] == "exact" for r in rows]
    else:
        keep = [True] * len(rows)
    return [i + 1 for i, ok in enumerate(keep) if i and ok]


@pytest.fixture(scope="module")
def bounded(tmp_path_factory) -> tuple[list[Problem], list[int]]:
    """Each case of :data:`BOUNDS` on a line of its own, validated once."""
    directory = contract_copy(tmp_path_factory.mktemp("bounded") / "delivery")
    lines: list[int] = []
    free = {name: _bound_rows(directory, name) for name in {c[0] for c in BOUNDS}}
    for name, cells, _ in BOUNDS:
        line = free[name].pop(0)
        if name == "activity_log":
            cells = {"qualifier": "range", **cells}
        edit_cells(directory, f"{name}.csv", {(line, c): v for c, v in cells.items()})
        lines.append(line)
    return validate_directory(directory), lines


@pytest.mark.parametrize(
    "case",
    range(len(BOUNDS)),
    ids=[f"{f}:" + ",".join(f"{k}={v}" for k, v in c.items()) for f, c, _ in BOUNDS],
)
def test_limits_are_inclusive_and_one_step_outside_is_rejected(bounded, case):
    problems, lines = bounded
    name, _, column = BOUNDS[case]
    spots = {(p.column) for p in problems if (p.file, p.row) == (f"{name}.csv", lines[case])}
    assert spots == ({column} if column else set())


# --------------------------------------------------------------------------- every rule's message

#: A valid row of each file (the demo's first rows); the cases below change a few cells. The
#: id column gets a value of its own per line (``P2`` on line 2, ...).
BASE = {
    "participants": {
        "person_id": "", "unit_id": "nav-oslo", "trial_id": "lengre-varighet-oslo",
        "intake_date": "2023-08-21", "exit_date": "", "gender": "K", "birth_year": "1969",
        "children_under_18": "5", "country_background": "Pakistan", "immigration_year": "2001",
        "short_residence_judged": "", "norwegian_oral": "A2", "norwegian_written": "A2",
        "education_completed": "grunnskole", "education_completed_country": "utland",
        "education_started": "ingen", "education_started_country": "",
        "relevant_work_experience": "false",
    },
    "spells": {
        "spell_id": "", "person_id": "P2", "kind": "status", "code": "nedsatt_arbeidsevne",
        "start_date": "2018-12-01", "end_date": "2026-04-30", "full_time": "", "source": "arena",
    },
    "activity_log": {
        "record_id": "", "unit_id": "nav-innlandet", "trial_id": "moteplassen-innlandet",
        "period_start": "2024-01-01", "period_end": "2024-12-31", "activity": "invitasjon",
        "channel": "", "count": "850", "count_low": "", "count_high": "", "qualifier": "exact",
        "source_doc": "seed-000", "source_lines": "1005", "note": "",
    },
    "reported_figures": {
        "figure_id": "", "unit_id": "", "model_id": "lengre-varighet",
        "description": "Tatt inn i forsøket", "value": "66", "value_low": "", "value_high": "",
        "unit": "persons", "qualifier": "exact", "population": "", "as_of": "",
        "source_doc": "seed-003", "source_lines": "3536",
    },
    "segments": {
        "segment_id": "", "unit_id": "nav-more-og-romsdal", "model_id": "veiledningstelefonen",
        "trial_id": "vt-more-og-romsdal", "informant_role": "arbeidsgruppe", "phase": "GOV",
        "code": "fysiske-moter", "polarity": "driver", "evidence_type": "interview",
        "paraphrase": "Hyppige fysiske møter.", "source_doc": "seed-000",
        "source_lines": "1210-1214",
    },
    "coverage": {
        "kind": "status", "code": "", "unit_id": "", "covered_from": "2018-01-01",
        "covered_to": "", "source": "arena", "note": "",
    },
}  # fmt: skip
ID_COLUMN = {"participants": ("person_id", "P"), "spells": ("spell_id", "S")}
ID_COLUMN |= {"activity_log": ("record_id", "A"), "reported_figures": ("figure_id", "F")}
ID_COLUMN |= {"segments": ("segment_id", "G")}
PAID = "norge eller utland når education_completed ikke er ingen, ellers tom"
STARTED = "norge eller utland når education_started ikke er ingen, ellers tom"
HIGHER = "et høyere nivå enn education_completed, eller påbegynt i et annet land"
ISO_TEXT = "dato på formen ÅÅÅÅ-MM-DD"
REQUIRED_TEXT = "tom verdi – forventet en verdi (feltet er påkrevd)"
BOOL_HINT = "skriv true eller false, eller bruk `coopstats import`, som gjør om ja/nei"
TOKEN = "kode med små bokstaver, sifre, _ eller -"
ID_TEXT = "id med bokstaver, sifre, _ . eller -"
NUMBER = "tall ≥ 0 (punktum som desimaltegn)"
SOURCES_TEXT = "en av seed-000, seed-001, seed-002, seed-003, seed-004, public"
MODELS = "veiledningstelefonen, moteplassen, jobbspesialist-grupper, lengre-varighet, "
MODELS += "karriereveiledning-nordland"
OVERLAP = (
    "ingen overlapp med en tidligere rad med samme kind, code og unit_id (hvert utsnitt og hver "
    "periode bare én gang)"
)

#: (file, cells changed on one line, the problems on that line after "<file>, rad N, ").
#: The base row is line 2 of every file; ids are unique unless a case repeats one.
RULES: list[tuple[str, dict[str, str], list[str]]] = [
    ("participants", {}, []),
    (
        "participants",
        {"person_id": "P 1"},
        [f"kolonne person_id: verdi 'P 1' – forventet {ID_TEXT}"],
    ),
    (
        "participants",
        {"person_id": "P2"},
        ["kolonne person_id: verdi 'P2' – forventet unik verdi (brukt på rad 2)"],
    ),
    ("participants", {"person_id": "P.x_y-9"}, []),
    (
        "participants",
        {"unit_id": "nav-atlantis"},
        ["kolonne unit_id: verdi 'nav-atlantis' – forventet en kjent enhet i registeret (unit_id)"],
    ),
    (
        "participants",
        {"trial_id": "ukjent-forsok"},
        [
            "kolonne trial_id: verdi 'ukjent-forsok' – forventet et kjent forsøk i registeret "
            "(trial_id)"
        ],
    ),
    (
        "participants",
        {"trial_id": "lengre-varighet-vestland"},
        [
            "kolonne trial_id: verdi 'lengre-varighet-vestland' – forventet et forsøk i enheten "
            "nav-oslo (forsøket hører til nav-vestland)"
        ],
    ),
    ("participants", {"unit_id": "nav-vestland", "trial_id": "lengre-varighet-vestland"}, []),
    (
        "participants",
        {"intake_date": "2023-02-30"},
        [f"kolonne intake_date: verdi '2023-02-30' – forventet {ISO_TEXT}"],
    ),
    (
        "participants",
        {"intake_date": "2023-8-21"},
        [f"kolonne intake_date: verdi '2023-8-21' – forventet {ISO_TEXT}"],
    ),
    ("participants", {"intake_date": ""}, [f"kolonne intake_date: {REQUIRED_TEXT}"]),
    (
        "participants",
        {"exit_date": "2023-08-20"},
        ["kolonne exit_date: verdi '2023-08-20' – forventet exit_date på eller etter intake_date"],
    ),
    ("participants", {"exit_date": "2023-08-21"}, []),
    (
        "participants",
        {"exit_date": "2023-13-01"},
        [f"kolonne exit_date: verdi '2023-13-01' – forventet {ISO_TEXT}"],
    ),
    ("participants", {"gender": "M"}, []),
    ("participants", {"gender": "k"}, ["kolonne gender: verdi 'k' – forventet en av K, M"]),
    ("participants", {"gender": ""}, [f"kolonne gender: {REQUIRED_TEXT}"]),
    ("participants", {"birth_year": "1940"}, []),
    ("participants", {"birth_year": "2010", "immigration_year": ""}, []),
    (
        "participants",
        {"birth_year": "1939"},
        ["kolonne birth_year: verdi '1939' – forventet heltall 1940–2010"],
    ),
    (
        "participants",
        {"birth_year": "2011", "immigration_year": ""},
        ["kolonne birth_year: verdi '2011' – forventet heltall 1940–2010"],
    ),
    (
        "participants",
        {"birth_year": "1969.0"},
        ["kolonne birth_year: verdi '1969.0' – forventet heltall 1940–2010"],
    ),
    ("participants", {"children_under_18": "0"}, []),
    ("participants", {"children_under_18": ""}, []),
    ("participants", {"children_under_18": "15"}, []),
    (
        "participants",
        {"children_under_18": "-1"},
        ["kolonne children_under_18: verdi '-1' – forventet heltall 0–15"],
    ),
    (
        "participants",
        {"children_under_18": "16"},
        ["kolonne children_under_18: verdi '16' – forventet heltall 0–15"],
    ),
    ("participants", {"country_background": ""}, [f"kolonne country_background: {REQUIRED_TEXT}"]),
    (
        "participants",
        {"country_background": "Syria 01019912345"},
        [
            "kolonne country_background: verdi 'Syria <11 sifre>' – forventet ingen 11-sifrede "
            "tall (fødselsnummer/D-nummer skal ikke leveres)"
        ],
    ),
    ("participants", {"immigration_year": "1969"}, []),
    (
        "participants",
        {"immigration_year": "1968"},
        ["kolonne immigration_year: verdi '1968' – forventet immigration_year ≥ birth_year"],
    ),
    ("participants", {"immigration_year": "2023"}, []),
    (
        "participants",
        {"immigration_year": "2024"},
        [
            "kolonne immigration_year: verdi '2024' – forventet immigration_year ≤ året i "
            "intake_date"
        ],
    ),
    (
        "participants",
        {"immigration_year": "2031"},
        [
            "kolonne immigration_year: verdi '2031' – forventet heltall 1940–2030",
            "kolonne immigration_year: verdi '2031' – forventet immigration_year ≤ året i "
            "intake_date",
        ],
    ),
    ("participants", {"immigration_year": "2030", "intake_date": "2030-01-01"}, []),
    (
        "participants",
        {"immigration_year": "1939", "birth_year": "1940"},
        [
            "kolonne immigration_year: verdi '1939' – forventet heltall 1940–2030",
            "kolonne immigration_year: verdi '1939' – forventet immigration_year ≥ birth_year",
        ],
    ),
    (
        "participants",
        {"immigration_year": "x", "intake_date": "x"},
        [
            f"kolonne intake_date: verdi 'x' – forventet {ISO_TEXT}",
            "kolonne immigration_year: verdi 'x' – forventet heltall 1940–2030",
        ],
    ),
    ("participants", {"short_residence_judged": "true", "relevant_work_experience": "false"}, []),
    ("participants", {"short_residence_judged": "false", "relevant_work_experience": "true"}, []),
    (
        "participants",
        {"short_residence_judged": "ja"},
        [f"kolonne short_residence_judged: verdi 'ja' – forventet true eller false – {BOOL_HINT}"],
    ),
    (
        "participants",
        {"relevant_work_experience": "kanskje"},
        ["kolonne relevant_work_experience: verdi 'kanskje' – forventet true eller false"],
    ),
    (
        "participants",
        {"relevant_work_experience": "TRUE"},
        [
            "kolonne relevant_work_experience: verdi 'TRUE' – forventet true eller false – "
            f"{BOOL_HINT}"
        ],
    ),
    ("participants", {"norwegian_oral": "A0", "norwegian_written": "A1"}, []),
    ("participants", {"norwegian_oral": "B1", "norwegian_written": "B2"}, []),
    ("participants", {"norwegian_oral": "C1", "norwegian_written": "C2"}, []),
    ("participants", {"norwegian_oral": "", "norwegian_written": ""}, []),
    (
        "participants",
        {"norwegian_written": "B3"},
        ["kolonne norwegian_written: verdi 'B3' – forventet en av A0, A1, A2, B1, B2, C1, C2"],
    ),
    ("participants", {"education_completed": "ingen", "education_completed_country": ""}, []),
    ("participants", {"education_completed": "vgo", "education_completed_country": "norge"}, []),
    ("participants", {"education_completed": "hoyere"}, []),
    (
        "participants",
        {"education_completed": "phd"},
        [
            "kolonne education_completed: verdi 'phd' – forventet en av ingen, grunnskole, vgo, "
            "hoyere"
        ],
    ),
    (
        "participants",
        {"education_completed": "phd", "education_completed_country": ""},
        [
            "kolonne education_completed: verdi 'phd' – forventet en av ingen, grunnskole, vgo, "
            "hoyere"
        ],
    ),
    (
        "participants",
        {"education_completed": "ingen"},
        [f"kolonne education_completed_country: verdi 'utland' – forventet {PAID}"],
    ),
    (
        "participants",
        {"education_completed_country": ""},
        [f"kolonne education_completed_country: tom verdi – forventet {PAID}"],
    ),
    (
        "participants",
        {"education_completed_country": "sverige"},
        ["kolonne education_completed_country: verdi 'sverige' – forventet en av norge, utland"],
    ),
    (
        "participants",
        {"education_started": "vgo"},
        [f"kolonne education_started_country: tom verdi – forventet {STARTED}"],
    ),
    (
        "participants",
        {"education_started": "ingen", "education_started_country": "norge"},
        [f"kolonne education_started_country: verdi 'norge' – forventet {STARTED}"],
    ),
    ("participants", {"education_started": "vgo", "education_started_country": "utland"}, []),
    (
        "participants",
        {"education_started": "grunnskole", "education_started_country": "utland"},
        [f"kolonne education_started: verdi 'grunnskole' – forventet {HIGHER}"],
    ),
    (
        "participants",
        {
            "education_completed": "vgo",
            "education_started": "vgo",
            "education_started_country": "utland",
        },
        [f"kolonne education_started: verdi 'vgo' – forventet {HIGHER}"],
    ),
    (
        "participants",
        {
            "education_completed": "hoyere",
            "education_started": "vgo",
            "education_started_country": "utland",
        },
        [f"kolonne education_started: verdi 'vgo' – forventet {HIGHER}"],
    ),
    (
        "participants",
        {
            "education_completed": "vgo",
            "education_started": "hoyere",
            "education_started_country": "utland",
        },
        [],
    ),
    ("participants", {"education_started": "grunnskole", "education_started_country": "norge"}, []),
    (
        "participants",
        {"education_started": "", "education_started_country": ""},
        [f"kolonne education_started: {REQUIRED_TEXT}"],
    ),
    ("spells", {}, []),
    ("spells", {"spell_id": "S 1"}, [f"kolonne spell_id: verdi 'S 1' – forventet {ID_TEXT}"]),
    (
        "spells",
        {"spell_id": "S2"},
        ["kolonne spell_id: verdi 'S2' – forventet unik verdi (brukt på rad 2)"],
    ),
    (
        "spells",
        {"person_id": "P999"},
        ["kolonne person_id: verdi 'P999' – forventet en person_id som finnes i participants.csv"],
    ),
    (
        "spells",
        {"person_id": "P 2"},
        [
            f"kolonne person_id: verdi 'P 2' – forventet {ID_TEXT}",
            "kolonne person_id: verdi 'P 2' – forventet en person_id som finnes i participants.csv",
        ],
    ),
    ("spells", {"person_id": "P.x_y-9"}, []),
    ("spells", {"kind": "ytelse", "code": "dagpenger"}, []),
    ("spells", {"kind": "tiltak", "code": "a1"}, []),
    ("spells", {"kind": "arbeid", "code": "fast", "full_time": "true"}, []),
    ("spells", {"kind": "arbeid", "code": "fast", "full_time": "false"}, []),
    ("spells", {"kind": "utdanning", "code": "vgo"}, []),
    ("spells", {"kind": "fagbrev", "code": "a_b-c"}, []),
    (
        "spells",
        {"kind": "ferie"},
        [
            "kolonne kind: verdi 'ferie' – forventet en av status, ytelse, tiltak, arbeid, "
            "utdanning, fagbrev"
        ],
    ),
    ("spells", {"code": "Nedsatt"}, [f"kolonne code: verdi 'Nedsatt' – forventet {TOKEN}"]),
    ("spells", {"code": "a__b"}, [f"kolonne code: verdi 'a__b' – forventet {TOKEN}"]),
    ("spells", {"start_date": ""}, [f"kolonne start_date: {REQUIRED_TEXT}"]),
    ("spells", {"end_date": ""}, []),
    ("spells", {"end_date": "2018-12-01"}, []),
    (
        "spells",
        {"end_date": "2018-11-30"},
        ["kolonne end_date: verdi '2018-11-30' – forventet end_date på eller etter start_date"],
    ),
    (
        "spells",
        {"full_time": "true"},
        ["kolonne full_time: verdi 'true' – forventet tom unntatt når kind er arbeid"],
    ),
    (
        "spells",
        {"kind": "arbeid", "full_time": "nei"},
        [f"kolonne full_time: verdi 'nei' – forventet true eller false – {BOOL_HINT}"],
    ),
    ("spells", {"source": ""}, [f"kolonne source: {REQUIRED_TEXT}"]),
    ("activity_log", {}, []),
    ("activity_log", {"period_start": ""}, []),
    ("activity_log", {"period_end": ""}, [f"kolonne period_end: {REQUIRED_TEXT}"]),
    ("activity_log", {"period_end": "2024-01-01"}, []),
    (
        "activity_log",
        {"period_end": "2023-12-31"},
        [
            "kolonne period_end: verdi '2023-12-31' – forventet period_end på eller etter "
            "period_start"
        ],
    ),
    (
        "activity_log",
        {"activity": "Invitasjon"},
        [f"kolonne activity: verdi 'Invitasjon' – forventet {TOKEN}"],
    ),
    ("activity_log", {"channel": "e-post"}, []),
    (
        "activity_log",
        {"channel": "E-post"},
        [f"kolonne channel: verdi 'E-post' – forventet {TOKEN}"],
    ),
    ("activity_log", {"count": "0"}, []),
    ("activity_log", {"count": "1.5"}, []),
    ("activity_log", {"count": "-1"}, [f"kolonne count: verdi '-1' – forventet {NUMBER}"]),
    (
        "activity_log",
        {"count": "1,5"},
        [f"kolonne count: verdi '1,5' – forventet {NUMBER} – bruk punktum som desimaltegn"],
    ),
    ("activity_log", {"count": "1.5.1"}, [f"kolonne count: verdi '1.5.1' – forventet {NUMBER}"]),
    (
        "activity_log",
        {"qualifier": "guess"},
        [
            "kolonne qualifier: verdi 'guess' – forventet en av exact, approximate, range, "
            "not_reported"
        ],
    ),
    ("activity_log", {"qualifier": "approximate"}, []),
    (
        "activity_log",
        {"qualifier": "approximate", "count": ""},
        ["kolonne count: tom verdi – forventet et tall når qualifier er exact eller approximate"],
    ),
    (
        "activity_log",
        {"count": ""},
        ["kolonne count: tom verdi – forventet et tall når qualifier er exact eller approximate"],
    ),
    ("activity_log", {"qualifier": "range", "count": "", "count_low": "4", "count_high": "60"}, []),
    ("activity_log", {"qualifier": "range", "count": "", "count_low": "4", "count_high": "4"}, []),
    (
        "activity_log",
        {"qualifier": "range", "count": "4", "count_low": "4", "count_high": "60"},
        [],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "60", "count_low": "4", "count_high": "60"},
        [],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "", "count_low": "", "count_high": "60"},
        ["kolonne count_low: tom verdi – forventet et tall når qualifier er range"],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "", "count_low": "4", "count_high": ""},
        ["kolonne count_high: tom verdi – forventet et tall når qualifier er range"],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "", "count_low": "5", "count_high": "4"},
        ["kolonne count_high: verdi '4' – forventet count_high ≥ count_low"],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "3", "count_low": "4", "count_high": "60"},
        ["kolonne count: verdi '3' – forventet innenfor count_low–count_high"],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "61", "count_low": "4", "count_high": "60"},
        ["kolonne count: verdi '61' – forventet innenfor count_low–count_high"],
    ),
    (
        "activity_log",
        {"count_low": "4"},
        ["kolonne count_low: verdi '4' – forventet tom når qualifier ikke er range"],
    ),
    (
        "activity_log",
        {"count_high": "4"},
        ["kolonne count_high: verdi '4' – forventet tom når qualifier ikke er range"],
    ),
    ("activity_log", {"qualifier": "not_reported", "count": ""}, []),
    (
        "activity_log",
        {"qualifier": "not_reported"},
        ["kolonne count: verdi '850' – forventet tom når qualifier er not_reported"],
    ),
    (
        "activity_log",
        {"source_doc": "seed-009"},
        [f"kolonne source_doc: verdi 'seed-009' – forventet {SOURCES_TEXT}"],
    ),
    ("activity_log", {"source_doc": "seed-004"}, []),
    ("activity_log", {"source_doc": "public", "source_lines": ""}, []),
    (
        "activity_log",
        {"source_doc": "public"},
        ["kolonne source_lines: verdi '1005' – forventet tom når source_doc er public"],
    ),
    (
        "activity_log",
        {"source_lines": ""},
        [
            "kolonne source_lines: tom verdi – forventet linjehenvisning når source_doc er et "
            "seed-dokument"
        ],
    ),
    (
        "activity_log",
        {"source_doc": "", "source_lines": ""},
        [f"kolonne source_doc: {REQUIRED_TEXT}"],
    ),
    ("activity_log", {"source_lines": "10-12, 14"}, []),
    (
        "activity_log",
        {"source_lines": "10–12"},
        ["kolonne source_lines: verdi '10–12' – forventet linjer som «N», «N-M» eller «N-M, K»"],
    ),
    (
        "activity_log",
        {"trial_id": "lengre-varighet-oslo"},
        [
            "kolonne trial_id: verdi 'lengre-varighet-oslo' – forventet et forsøk i enheten "
            "nav-innlandet (forsøket hører til nav-oslo)"
        ],
    ),
    ("reported_figures", {}, []),
    ("reported_figures", {"unit_id": "nav-oslo", "value": "-2.5", "unit": "years"}, []),
    (
        "reported_figures",
        {"unit_id": "nav-x"},
        ["kolonne unit_id: verdi 'nav-x' – forventet en kjent enhet i registeret (unit_id)"],
    ),
    (
        "reported_figures",
        {"model_id": "ukjent"},
        [f"kolonne model_id: verdi 'ukjent' – forventet en kjent modell: {MODELS}"],
    ),
    ("reported_figures", {"description": ""}, [f"kolonne description: {REQUIRED_TEXT}"]),
    (
        "reported_figures",
        {"value": "1,5"},
        [
            "kolonne value: verdi '1,5' – forventet tall med punktum som desimaltegn – bruk "
            "punktum som desimaltegn"
        ],
    ),
    (
        "reported_figures",
        {"unit": "prosent"},
        ["kolonne unit: verdi 'prosent' – forventet en av persons, count, percent, years, months"],
    ),
    ("reported_figures", {"unit": "count"}, []),
    ("reported_figures", {"unit": "months"}, []),
    ("reported_figures", {"unit": "percent", "value": "0"}, []),
    ("reported_figures", {"unit": "percent", "value": "100"}, []),
    (
        "reported_figures",
        {"unit": "percent", "value": "100.5"},
        ["kolonne value: verdi '100.5' – forventet 0–100 når unit er percent"],
    ),
    (
        "reported_figures",
        {"unit": "percent", "value": "-0.5"},
        ["kolonne value: verdi '-0.5' – forventet 0–100 når unit er percent"],
    ),
    (
        "reported_figures",
        {
            "unit": "percent",
            "qualifier": "range",
            "value": "",
            "value_low": "0",
            "value_high": "100",
        },
        [],
    ),
    (
        "reported_figures",
        {
            "unit": "percent",
            "qualifier": "range",
            "value": "",
            "value_low": "-1",
            "value_high": "50",
        },
        ["kolonne value_low: verdi '-1' – forventet 0–100 når unit er percent"],
    ),
    (
        "reported_figures",
        {
            "unit": "percent",
            "qualifier": "range",
            "value": "",
            "value_low": "1",
            "value_high": "101",
        },
        ["kolonne value_high: verdi '101' – forventet 0–100 når unit er percent"],
    ),
    (
        "reported_figures",
        {"qualifier": "range", "value": "", "value_low": "200", "value_high": "101"},
        ["kolonne value_high: verdi '101' – forventet value_high ≥ value_low"],
    ),
    (
        "reported_figures",
        {"qualifier": "range", "value": "1", "value_low": "2", "value_high": "3"},
        ["kolonne value: verdi '1' – forventet innenfor value_low–value_high"],
    ),
    (
        "reported_figures",
        {"qualifier": "range", "value": "", "value_low": "", "value_high": "3"},
        ["kolonne value_low: tom verdi – forventet et tall når qualifier er range"],
    ),
    (
        "reported_figures",
        {"qualifier": "not_reported"},
        ["kolonne value: verdi '66' – forventet tom når qualifier er not_reported"],
    ),
    (
        "reported_figures",
        {"value_low": "1"},
        ["kolonne value_low: verdi '1' – forventet tom når qualifier ikke er range"],
    ),
    (
        "reported_figures",
        {"source_doc": "public"},
        ["kolonne source_lines: verdi '3536' – forventet tom når source_doc er public"],
    ),
    (
        "reported_figures",
        {"source_lines": ""},
        [
            "kolonne source_lines: tom verdi – forventet linjehenvisning når source_doc er et "
            "seed-dokument"
        ],
    ),
    ("segments", {}, []),
    ("segments", {"phase": "EMP", "polarity": "barrier", "evidence_type": "document"}, []),
    ("segments", {"phase": "INT", "evidence_type": "observation"}, []),
    ("segments", {"phase": "INC", "evidence_type": "survey"}, []),
    ("segments", {"phase": "TRN"}, []),
    ("segments", {"phase": "TRF"}, []),
    (
        "segments",
        {"phase": "gov"},
        ["kolonne phase: verdi 'gov' – forventet en av GOV, EMP, INT, INC, TRN, TRF"],
    ),
    (
        "segments",
        {"polarity": "neutral"},
        ["kolonne polarity: verdi 'neutral' – forventet en av driver, barrier"],
    ),
    (
        "segments",
        {"evidence_type": "chat"},
        [
            "kolonne evidence_type: verdi 'chat' – forventet en av interview, document, "
            "observation, survey"
        ],
    ),
    ("segments", {"informant_role": ""}, [f"kolonne informant_role: {REQUIRED_TEXT}"]),
    ("segments", {"paraphrase": ""}, [f"kolonne paraphrase: {REQUIRED_TEXT}"]),
    (
        "segments",
        {"model_id": "moteplassen"},
        [
            "kolonne trial_id: verdi 'vt-more-og-romsdal' – forventet et forsøk med modellen "
            "moteplassen (forsøket bruker veiledningstelefonen)"
        ],
    ),
    (
        "segments",
        {"model_id": "ukjent"},
        [f"kolonne model_id: verdi 'ukjent' – forventet en kjent modell: {MODELS}"],
    ),
    (
        "segments",
        {"trial_id": "moteplassen-innlandet"},
        [
            "kolonne trial_id: verdi 'moteplassen-innlandet' – forventet et forsøk i enheten "
            "nav-more-og-romsdal (forsøket hører til nav-innlandet)",
            "kolonne trial_id: verdi 'moteplassen-innlandet' – forventet et forsøk med modellen "
            "veiledningstelefonen (forsøket bruker moteplassen)",
        ],
    ),
    (
        "segments",
        {
            "unit_id": "nav-innlandet",
            "model_id": "moteplassen",
            "trial_id": "moteplassen-innlandet",
        },
        [],
    ),
    ("coverage", {}, []),
    (
        "coverage",
        {"kind": "ytelse", "code": "dagpenger", "unit_id": "nav-oslo", "covered_to": "2018-01-01"},
        [],
    ),
    (
        "coverage",
        {"kind": "ferie"},
        [
            "kolonne kind: verdi 'ferie' – forventet en av status, ytelse, tiltak, arbeid, "
            "utdanning, fagbrev"
        ],
    ),
    (
        "coverage",
        {"kind": "arbeid", "code": "Fast"},
        [f"kolonne code: verdi 'Fast' – forventet {TOKEN}"],
    ),
    (
        "coverage",
        {"kind": "tiltak", "unit_id": "nav-x"},
        ["kolonne unit_id: verdi 'nav-x' – forventet en kjent enhet i registeret (unit_id)"],
    ),
    (
        "coverage",
        {"kind": "utdanning", "covered_from": ""},
        [f"kolonne covered_from: {REQUIRED_TEXT}"],
    ),
    (
        "coverage",
        {"kind": "fagbrev", "covered_to": "2017-12-31"},
        [
            "kolonne covered_to: verdi '2017-12-31' – forventet covered_to på eller etter "
            "covered_from"
        ],
    ),
    (
        "coverage",
        {"kind": "fagbrev", "code": "x", "source": ""},
        [f"kolonne source: {REQUIRED_TEXT}"],
    ),
    (
        "coverage",
        {"kind": "arbeid", "code": "y", "covered_from": "01.01.2018"},
        [
            "kolonne covered_from: verdi '01.01.2018' – forventet dato på formen ÅÅÅÅ-MM-DD – "
            "kolonnen blander datoformer: skriv disse som ÅÅÅÅ-MM-DD (`coopstats import` gjør "
            "bare om kolonner der alle datoene har formen DD.MM.ÅÅÅÅ)"
        ],
    ),
    (
        "participants",
        {"education_started": "ingen", "education_started_country": "utland"},
        [f"kolonne education_started_country: verdi 'utland' – forventet {STARTED}"],
    ),
    (
        "participants",
        {"norwegian_oral": "a1"},
        ["kolonne norwegian_oral: verdi 'a1' – forventet en av A0, A1, A2, B1, B2, C1, C2"],
    ),
    (
        "participants",
        {"education_started": "vgo", "education_started_country": "Norge"},
        ["kolonne education_started_country: verdi 'Norge' – forventet en av norge, utland"],
    ),
    (
        "spells",
        {"end_date": "2019-02-29"},
        [f"kolonne end_date: verdi '2019-02-29' – forventet {ISO_TEXT}"],
    ),
    (
        "coverage",
        {"kind": "arbeid", "code": "z", "covered_to": "2019-02-29"},
        [f"kolonne covered_to: verdi '2019-02-29' – forventet {ISO_TEXT}"],
    ),
    (
        "activity_log",
        {"period_start": "2024-13-01"},
        [f"kolonne period_start: verdi '2024-13-01' – forventet {ISO_TEXT}"],
    ),
    (
        "activity_log",
        {"qualifier": "range", "count": "", "count_low": "-2", "count_high": "-1"},
        [
            f"kolonne count_low: verdi '-2' – forventet {NUMBER}",
            f"kolonne count_high: verdi '-1' – forventet {NUMBER}",
        ],
    ),
    (
        "reported_figures",
        {"qualifier": "range", "value": "", "value_low": "1,5", "value_high": "2.5.1"},
        [
            "kolonne value_low: verdi '1,5' – forventet tall med punktum som desimaltegn – bruk "
            "punktum som desimaltegn",
            "kolonne value_high: verdi '2.5.1' – forventet tall med punktum som desimaltegn",
        ],
    ),
    (
        "participants",
        {"children_under_18": "1,0"},
        [
            "kolonne children_under_18: verdi '1,0' – forventet heltall 0–15 – bruk punktum som "
            "desimaltegn"
        ],
    ),
    (
        "coverage",
        {"covered_from": "2020-01-01"},
        [f"kolonne covered_from: verdi '2020-01-01' – forventet {OVERLAP}"],
    ),
]


@pytest.fixture(scope="module")
def every_rule(tmp_path_factory) -> tuple[list[Problem], list[int]]:
    """Each case of :data:`RULES` on a line of its own of a small delivery, validated once."""
    directory = tmp_path_factory.mktemp("rules")
    lines: list[int] = []
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in BASE}
    for name, cells, _ in RULES:
        line = len(rows[name]) + 2
        row = dict(BASE[name])
        if name in ID_COLUMN:
            column, prefix = ID_COLUMN[name]
            row[column] = f"{prefix}{line}"
        row.update(cells)
        rows[name].append(row)
        lines.append(line)
    for name, records in rows.items():
        header = list(BASE[name])
        write_rows(directory / f"{name}.csv", [header] + [[r[c] for c in header] for r in records])
    return validate_directory(directory), lines


@pytest.mark.parametrize(
    "case",
    range(len(RULES)),
    ids=[f"{f}:" + ",".join(f"{k}={v}" for k, v in c.items()) for f, c, _ in RULES],
)
def test_every_rule_reports_its_own_message(every_rule, case):
    problems, lines = every_rule
    name, _, expected = RULES[case]
    file, line = f"{name}.csv", lines[case]
    found = sorted(format_problem(p) for p in problems if (p.file, p.row) == (file, line))
    assert found == sorted(f"{file}, rad {line}, {text}" for text in expected)


def test_every_rule_case_is_the_only_source_of_problems(every_rule):
    problems, lines = every_rule
    cases = {(f"{name}.csv", line) for (name, _, _), line in zip(RULES, lines, strict=True)}
    assert {(p.file, p.row) for p in problems} <= cases
    assert len(BASE["participants"]) == len(COLUMNS["participants"])
    assert all(list(BASE[name]) == list(COLUMNS[name]) for name in BASE)


# --------------------------------------------------------------------------- small deliveries


def write_delivery(
    directory: Path, rows: dict[str, list[dict[str, str]]] | None = None, files=FILES
) -> Path:
    """A delivery of ``files`` with the :data:`BASE` row (one row, or one per dict of changed
    cells in ``rows``); ids are numbered by line as in :func:`every_rule`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in files:
        header = list(BASE[name])
        records = []
        for line, cells in enumerate((rows or {}).get(name, [{}]), start=2):
            row = dict(BASE[name])
            if name in ID_COLUMN:
                column, prefix = ID_COLUMN[name]
                row[column] = f"{prefix}{line}"
            row.update(cells)
            records.append([row.get(c, "") for c in header])
        write_rows(directory / f"{name}.csv", [header, *records])
    return directory


def test_small_delivery_is_valid(tmp_path):
    assert validate_directory(write_delivery(tmp_path / "d")) == []


def test_ok_line_counts_the_rows_of_every_file(tmp_path, capsys):
    d = write_delivery(tmp_path / "d", {"participants": [{}, {}, {}], "segments": [{}, {}]})
    assert main_validate(d) == 0
    out, err = capsys.readouterr()
    assert out == (
        f"OK: {d} følger datakontrakten (rader: participants 3, spells 1, activity_log 1, "
        "reported_figures 1, segments 2)\n"
    )
    assert err.startswith("advarsel: coverage.csv mangler;")  # coverage is inferred
    write_delivery(d, {"coverage": [{}, {"kind": "ytelse"}]}, files=["coverage"])
    report = tmp_path / "r.html"
    assert main_validate(d, html_path=report) == 0
    out, err = capsys.readouterr()
    assert out == (
        f"OK: {d} følger datakontrakten (rader: participants 3, spells 1, activity_log 1, "
        f"reported_figures 1, segments 2, coverage 2); rapport: {report}\n"
    )
    assert err == ""
    assert "<h2>segments.csv (2 rader)</h2>\n<p>Ingen problemer.</p>" in report.read_text("utf-8")


def test_problem_summary_counts_problems_and_lines(tmp_path, capsys):
    d = write_delivery(tmp_path / "d", {"participants": [{"gender": "X"}]})
    assert main_validate(d) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-2:] == [
        "participants.csv, rad 2, kolonne gender: verdi 'X' – forventet en av K, M",
        f"1 problem funnet i {d}",
    ]
    write_delivery(d, {"participants": [{"gender": "X"}, {"gender": "Y"}]})
    assert main_validate(d) == 1
    assert capsys.readouterr().err.splitlines()[-2:] == [
        "participants.csv, kolonne gender: 2 verdier – forventet en av K, M; f.eks. rad 2 'X', "
        "rad 3 'Y'",
        f"2 problemer funnet i {d} (samlet i 1 linje per fil og kolonne)",
    ]
    rows = [{"gender": "X"}, {"gender": "Y"}, {"birth_year": "1900"}]
    write_delivery(d, {"participants": rows})
    report = tmp_path / "ut" / "rapport.html"
    assert main_validate(d, html_path=report) == 1
    assert capsys.readouterr().err.splitlines()[-3:] == [
        "participants.csv, kolonne gender: 2 verdier – forventet en av K, M; f.eks. rad 2 'X', "
        "rad 3 'Y'",
        "participants.csv, rad 4, kolonne birth_year: verdi '1900' – forventet heltall 1940–2010",
        f"3 problemer funnet i {d} (samlet i 2 linjer per fil og kolonne); rapport: {report}",
    ]
    assert "<h2>participants.csv (3 rader)</h2>" in report.read_text("utf-8")


def test_an_html_report_that_cannot_be_written_is_exit_code_2(tmp_path, capsys):
    d = write_delivery(tmp_path / "d")
    target = tmp_path / "mappe"
    target.mkdir()
    assert main_validate(d, html_path=target) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"coopstats validate: kunne ikke skrive HTML-rapporten {target}: Is a directory"
    )


def test_missing_directory_message(tmp_path, capsys):
    assert main_validate(tmp_path / "borte") == 2
    assert capsys.readouterr().err == (
        f"coopstats validate: {tmp_path / 'borte'} finnes ikke (forventet mappa med leveransens "
        "CSV-filer)\n"
    )
    (tmp_path / "fil").write_text("x", encoding="utf-8")
    assert main_validate(tmp_path / "fil") == 2
    assert capsys.readouterr().err == (
        f"coopstats validate: {tmp_path / 'fil'} er en fil, ikke en mappe (forventet mappa med "
        "leveransens CSV-filer)\n"
    )


def test_a_missing_file_is_named_with_the_directory(tmp_path):
    d = write_delivery(tmp_path / "d", files=["participants", "spells", "activity_log"])
    assert format_problems(validate_directory(d)) == (
        f"reported_figures.csv: forventet filen reported_figures.csv i {d}\n"
        f"segments.csv: forventet filen segments.csv i {d}"
    )


def test_without_participants_spells_are_not_checked_against_them(tmp_path):
    d = write_delivery(tmp_path / "d", {"spells": [{"person_id": "P999"}]})
    assert where(validate_directory(d)) == {("spells.csv", 2, "person_id")}
    (d / "participants.csv").unlink()
    assert where(validate_directory(d)) == {("participants.csv", None, None)}
    write_delivery(d, files=["participants"])
    drop_column(d, "participants.csv", "person_id")
    assert where(validate_directory(d)) == {("participants.csv", None, "person_id")}


def test_the_coverage_manifest_is_checked_when_present(tmp_path):
    d = write_delivery(tmp_path / "d")
    write_delivery(d, {"coverage": [{"kind": "ferie"}]}, files=["coverage"])
    assert where(validate_directory(d)) == {("coverage.csv", 2, "kind")}


@pytest.mark.parametrize(
    ("value", "ok"), [("-10000000", True), ("-10000001", False), ("10000000.5", False)]
)
def test_figures_have_an_upper_limit_on_both_sides(tmp_path, value, ok):
    d = write_delivery(tmp_path / "d", {"reported_figures": [{"value": value}]})
    expected = (
        f"reported_figures.csv, rad 2, kolonne value: verdi '{value}' – forventet et tall på "
        "høyst 10 000 000 (større tall er neppe riktige) – sjekk om tallet er skrevet eller "
        "eksportert feil"
    )
    assert format_problems(validate_directory(d)) == ("" if ok else expected)


def test_a_column_named_twice_by_synonym_and_close_guesses(tmp_path):
    d = write_delivery(tmp_path / "d")
    add_column(d, "activity_log.csv", "Antall", "3")
    rows = read_rows(d / "activity_log.csv")
    rows[0][rows[0].index("count_low")] = "count_lw"
    rows[0][rows[0].index("count_high")] = "count_hig"
    write_rows(d / "activity_log.csv", rows)
    assert format_report(validate_directory(d)).splitlines() == [
        "activity_log.csv, overskriftsraden: 3 ukjente kolonnenavn: count_lw (mente du count_low "
        "eller count_high?), count_hig (mente du count_high eller count_low?), Antall",
        "activity_log.csv: 2 kolonner mangler: count_low, count_high",
    ]
    hints = {p.column: p.hint for p in validate_directory(d) if p.kind == "unknown_column"}
    assert hints["Antall"] == (
        "betyr det samme som kolonnen count, som finnes fra før – fjern den ene"
    )


def test_dates_written_dd_mm_yyyy_in_a_whole_column_and_decimal_commas_are_grouped(tmp_path):
    d = write_delivery(
        tmp_path / "d",
        {
            "participants": [{"intake_date": "21.08.2023"}, {"intake_date": "1.9.2023"}],
            "activity_log": [{"count": "1,5"}, {"count": "2,25"}, {"count": "-3,5"}],
        },
    )
    assert format_report(validate_directory(d)).splitlines() == [
        "participants.csv, kolonne intake_date: 2 verdier i formatet DD.MM.ÅÅÅÅ – forventet dato "
        "på formen ÅÅÅÅ-MM-DD; f.eks. rad 2 '21.08.2023', rad 3 '1.9.2023' – bruk `coopstats "
        "import`, som gjør DD.MM.ÅÅÅÅ om til ÅÅÅÅ-MM-DD",
        "activity_log.csv, kolonne count: 3 verdier med desimalkomma – forventet tall ≥ 0 "
        "(punktum som desimaltegn); f.eks. rad 2 '1,5', rad 3 '2,25', rad 4 '-3,5' – bruk "
        "punktum som desimaltegn",
    ]


def test_the_html_report_is_utf8_whatever_the_locale(tmp_path, capsys):
    """Deliverers run the check on Windows too: the page is UTF-8 (as its <meta> says) even
    where the locale's encoding is not, and missing folders on the way are made."""
    d = write_delivery(tmp_path / "d", {"participants": [{"gender": "Ø"}]})
    target = tmp_path / "ny" / "mappe" / "rapport.html"
    old = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale
        assert main_validate(d, html_path=target) == 1
    finally:
        locale.setlocale(locale.LC_CTYPE, old)
    page = target.read_bytes().decode("utf-8")
    assert "<td>rad 2 &#x27;Ø&#x27;</td>" in page and "Første eksempler" in page
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"1 problem funnet i {d}; rapport: {target}"
    )


def test_missing_columns_are_reported_once_without_rule_problems(tmp_path):
    """The row rules read a missing column as empty: only the missing column is reported."""
    d = write_delivery(tmp_path / "d", {"coverage": [{}, {"kind": "ytelse"}]}, files=COLUMNS)
    dropped = {
        "participants": ["exit_date", "immigration_year", "education_started_country"],
        "spells": ["end_date", "full_time"],
        "activity_log": ["period_start", "count_low", "count_high"],
        "reported_figures": ["value_high", "unit"],
        "segments": ["unit_id", "model_id"],
        "coverage": ["code", "unit_id", "covered_to"],
    }
    for name, columns in dropped.items():
        for column in columns:
            drop_column(d, f"{name}.csv", column)
    assert format_problems(validate_directory(d)).splitlines() == [
        f"{name}.csv, kolonne {column}: forventet kolonnen (den mangler)"
        for name, columns in dropped.items()
        for column in columns
    ]
