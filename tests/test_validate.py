"""Tests for the data contract (coopstats.contract) and its validator (coopstats.validate)."""

from __future__ import annotations

import csv
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
