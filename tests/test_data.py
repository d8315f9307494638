"""Tests for reading a delivery into typed frames (coopstats.data)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from coopstats.data import COLUMNS, FILES, Datasets, DataValidationError, load_datasets, read_table
from coopstats.validate import Problem

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def demo() -> Datasets:
    return load_datasets(DEMO)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    target = tmp_path / "delivery"
    shutil.copytree(DEMO, target)
    set_cell(target / "participants.csv", 3, "birth_year", "19x0")
    set_cell(target / "spells.csv", 4, "start_date", "01.02.2020")
    return target


def test_demo_loads_every_file_with_every_column(demo):
    assert demo.directory == DEMO
    for name in FILES:
        frame = getattr(demo, name)
        assert list(frame.columns) == list(COLUMNS[name])
        assert len(frame) == len(raw_rows(DEMO / f"{name}.csv"))
    assert [p.name for p in demo.files()] == [f"{name}.csv" for name in FILES]


def test_demo_frames_are_typed(demo):
    p = demo.participants
    assert pd.api.types.is_datetime64_any_dtype(p["intake_date"])
    assert pd.api.types.is_datetime64_any_dtype(p["exit_date"])
    assert p["birth_year"].dtype == "Int64"
    assert p["relevant_work_experience"].dtype == "boolean"
    assert isinstance(p["gender"].dtype, pd.StringDtype)
    assert demo.activity_log["count"].dtype == "Float64"
    assert pd.api.types.is_datetime64_any_dtype(demo.spells["start_date"])


def test_demo_values_survive_typing(demo):
    rows = raw_rows(DEMO / "participants.csv")
    p = demo.participants
    assert p["birth_year"].tolist() == [int(r["birth_year"]) for r in rows]
    assert p["exit_date"].isna().sum() == sum(1 for r in rows if not r["exit_date"])
    assert p["short_residence_judged"].sum() == sum(
        r["short_residence_judged"] == "true" for r in rows
    )
    first = rows[0]
    assert p.loc[0, "intake_date"] == pd.Timestamp(first["intake_date"])
    # Empty text cells are missing values, not empty strings.
    assert p["norwegian_written"].isna().sum() == sum(1 for r in rows if not r["norwegian_written"])


def test_load_datasets_raises_with_every_problem(broken):
    with pytest.raises(DataValidationError) as info:
        load_datasets(broken)
    problems = info.value.problems
    assert all(isinstance(p, Problem) for p in problems)
    spots = {(p.file, p.row, p.column) for p in problems}
    assert ("participants.csv", 3, "birth_year") in spots
    assert ("spells.csv", 4, "start_date") in spots
    assert "participants.csv, rad 3, kolonne birth_year: verdi '19x0'" in str(info.value)


def test_load_without_validation_coerces_bad_values_to_missing(broken):
    data = load_datasets(broken, validate=False)
    assert pd.isna(data.participants.loc[1, "birth_year"])
    assert pd.isna(data.spells.loc[2, "start_date"])


def test_read_table_accepts_byte_order_mark(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (DEMO / "participants.csv").read_bytes())
    frame = read_table(path, "participants")
    assert frame["person_id"].notna().all()
    assert frame["person_id"].tolist() == [
        r["person_id"] for r in raw_rows(DEMO / "participants.csv")
    ]


def test_repeated_loads_reuse_validation_but_never_share_frames(tmp_path):
    import shutil

    from coopstats import data

    shutil.copytree(DEMO, tmp_path / "d")
    first = data.load_datasets(tmp_path / "d")
    first.participants.loc[:, "gender"] = "X"  # a notebook mutating its frames
    second = data.load_datasets(tmp_path / "d")
    assert set(second.participants["gender"].dropna()) <= {"K", "M"}
    # a changed file is read and validated again
    path = tmp_path / "d" / "participants.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",K,", ",Q,", 1), encoding="utf-8")
    with pytest.raises(data.DataValidationError, match="gender"):
        data.load_datasets(tmp_path / "d")


@pytest.mark.parametrize("written", ["20240315", "15.03.2024", "2024-3-15"])  # after intake
def test_a_date_not_written_yyyy_mm_dd_is_refused_not_loaded_as_missing(tmp_path, written):
    """An exit date in another form must stop the load: read as missing, the person would
    silently count as still in the trial."""
    target = tmp_path / "delivery"
    target.mkdir()
    for name in COLUMNS:  # the contract files (the optional comparison files are not needed)
        shutil.copyfile(DEMO / f"{name}.csv", target / f"{name}.csv")
    line = next(i for i, r in enumerate(raw_rows(target / "participants.csv"), 2) if r["exit_date"])
    set_cell(target / "participants.csv", line, "exit_date", written)
    with pytest.raises(DataValidationError) as info:
        load_datasets(target)
    spots = {(p.file, p.row, p.column, p.value) for p in info.value.problems}
    assert spots == {("participants.csv", line, "exit_date", written)}
    assert (
        f"participants.csv, rad {line}, kolonne exit_date: verdi '{written}' – forventet dato på "
        "formen ÅÅÅÅ-MM-DD"
    ) in str(info.value)


def test_iso_dates_are_read_as_dates(tmp_path):
    path = tmp_path / "participants.csv"
    shutil.copyfile(DEMO / "participants.csv", path)
    set_cell(path, 2, "exit_date", "2024-02-29")
    set_cell(path, 3, "exit_date", "2023-08-21")
    frame = read_table(path, "participants")
    assert frame.loc[0, "exit_date"] == pd.Timestamp(2024, 2, 29)
    assert frame.loc[1, "exit_date"] == pd.Timestamp(2023, 8, 21)
