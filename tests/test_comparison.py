"""Tests for the comparison population: contract, validation, loading and the demo population."""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopstats import comparison
from coopstats.comparison import (
    EXAMPLES_PER_RULE,
    PERSON_COLUMNS,
    SPELL_COLUMNS,
    Comparison,
    ComparisonValidationError,
    comparison_files,
    load_comparison,
    validate_comparison,
)
from coopstats.data import read_table
from coopstats.demo_comparison import PERSONS_PER_UNIT, build_comparison, write_comparison
from coopstats.validate import Problem, format_problems, format_report, read_raw

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NATIONAL_ID = "01019912345"
PERSON_HEADER = list(PERSON_COLUMNS)
SPELL_HEADER = list(SPELL_COLUMNS)
PERSONS = [
    ["K1", "nav-oslo", "2023-08-21", "K", "1990", "Syria", "vgo"],
    ["K2", "nav-vestland", "2023-09-01", "M", "1985", "Norge", "ingen"],
    ["K3", "nav-ost-viken", "2023-08-28", "K", "1970", "Somalia", "grunnskole"],
]
SPELLS = [
    ["S1", "K1", "arbeid", "arbeid", "2019-01-01", "2020-06-30", "true", "aa-registeret"],
    ["S2", "K1", "ytelse", "introduksjonsstonad", "2020-07-01", "", "", "arena"],
    ["S3", "K2", "status", "helt_ledig", "2022-01-01", "2022-03-31", "", "arena"],
    ["S4", "K3", "tiltak", "opplaering", "2021-01-01", "2021-06-30", "", "arena"],
]


# --------------------------------------------------------------------------- helpers


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def delivery(
    directory: Path,
    persons: list[list[str]] | None = None,
    spells: list[list[str]] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "comparison.csv", PERSON_HEADER, PERSONS if persons is None else persons)
    write_csv(
        directory / "comparison_spells.csv", SPELL_HEADER, SPELLS if spells is None else spells
    )
    return directory


def as_parquet(directory: Path, target: Path, *, typed: bool) -> Path:
    """The CSV delivery in ``directory`` as Parquet files in ``target`` (typed or as text)."""
    target.mkdir(parents=True, exist_ok=True)
    for stem, kinds in (("comparison", PERSON_COLUMNS), ("comparison_spells", SPELL_COLUMNS)):
        frame = pd.read_csv(directory / f"{stem}.csv", dtype=str, keep_default_na=False)
        table = pa.table({c: pa.array(frame[c].tolist(), pa.string()) for c in frame.columns})
        if typed:
            columns = {}
            for name in frame.columns:
                kind, cells = kinds.get(name, "str"), frame[name]
                if kind == "date":
                    values = [None if v == "" else date.fromisoformat(v) for v in cells]
                    columns[name] = pa.array(values, pa.date32())
                elif kind == "int":
                    columns[name] = pa.array([None if v == "" else int(v) for v in cells])
                elif kind == "bool":
                    columns[name] = pa.array([None if v == "" else v == "true" for v in cells])
                else:
                    columns[name] = pa.array([None if v == "" else v for v in cells], pa.string())
            table = pa.table(columns)
        pq.write_table(table, target / f"{stem}.parquet")
    return target


def only(problems: list[Problem], **fields: object) -> list[Problem]:
    return [p for p in problems if all(getattr(p, k) == v for k, v in fields.items())]


# --------------------------------------------------------------------------- files


def test_no_comparison_files_means_none_and_no_problems(tmp_path):
    assert comparison_files(tmp_path) is None
    assert validate_comparison(tmp_path) == []
    assert load_comparison(tmp_path) is None
    assert validate_comparison(DEMO / "does-not-exist") == []


def test_files_are_found_as_csv_or_parquet(tmp_path):
    d = delivery(tmp_path / "csv")
    assert comparison_files(d) == (d / "comparison.csv", d / "comparison_spells.csv")
    p = as_parquet(d, tmp_path / "pq", typed=True)
    assert comparison_files(p) == (p / "comparison.parquet", p / "comparison_spells.parquet")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "comparison.csv").write_bytes((d / "comparison.csv").read_bytes())
    (mixed / "comparison_spells.parquet").write_bytes(
        (p / "comparison_spells.parquet").read_bytes()
    )
    assert comparison_files(mixed) == (
        mixed / "comparison.csv",
        mixed / "comparison_spells.parquet",
    )
    assert validate_comparison(mixed) == []


def test_one_file_without_the_other_is_an_error(tmp_path):
    d = delivery(tmp_path)
    (d / "comparison_spells.csv").unlink()
    problems = validate_comparison(d)
    assert len(problems) == 1
    assert problems[0].file == "comparison_spells.csv"
    assert problems[0].expected.startswith("filen comparison_spells.csv eller ")
    assert "comparison.csv er levert" in problems[0].hint
    with pytest.raises(ValueError, match="ikke levert som to filer"):
        comparison_files(d)
    with pytest.raises(ComparisonValidationError):
        load_comparison(d)
    (d / "comparison.csv").rename(d / "other.csv")
    write_csv(d / "comparison_spells.csv", SPELL_HEADER, SPELLS)
    [problem] = validate_comparison(d)
    assert problem.file == "comparison.csv"


def test_csv_and_parquet_of_the_same_file_is_an_error(tmp_path):
    d = delivery(tmp_path / "d")
    p = as_parquet(d, tmp_path / "p", typed=True)
    (d / "comparison.parquet").write_bytes((p / "comparison.parquet").read_bytes())
    [problem] = validate_comparison(d)
    assert problem.file == "comparison.csv"
    assert problem.expected == "bare én av comparison.csv og comparison.parquet"


# --------------------------------------------------------------------------- a valid delivery


def test_valid_delivery_loads_typed_like_the_contract_files(tmp_path):
    d = delivery(tmp_path)
    assert validate_comparison(d, participant_ids={"D001"}) == []
    loaded = load_comparison(d, participant_ids={"D001"})
    assert isinstance(loaded, Comparison)
    assert loaded.spells_path is None
    assert list(loaded.persons.columns) == PERSON_HEADER
    assert list(loaded.spells.columns) == SPELL_HEADER
    assert str(loaded.persons["reference_date"].dtype).startswith("datetime64")
    assert str(loaded.persons["birth_year"].dtype) == "Int64"
    assert loaded.persons["birth_year"].tolist() == [1990, 1985, 1970]
    # the spells are typed exactly as coopstats.data types spells.csv
    contract = read_table(DEMO / "spells.csv", "spells")
    assert loaded.spells.dtypes.to_dict() == contract.dtypes.to_dict()
    assert loaded.spells["end_date"].isna().tolist() == [False, True, False, False]
    assert loaded.spells["full_time"].tolist()[0] is True
    assert pd.isna(loaded.spells["full_time"].tolist()[1])
    assert loaded.spells["start_date"].iloc[0] == pd.Timestamp("2019-01-01")


@pytest.mark.parametrize("typed", [True, False])
def test_parquet_loads_the_same_frames_and_keeps_the_spells_path(tmp_path, typed):
    d = delivery(tmp_path / "csv")
    p = as_parquet(d, tmp_path / "pq", typed=typed)
    from_csv, from_parquet = load_comparison(d), load_comparison(p)
    pd.testing.assert_frame_equal(from_csv.persons, from_parquet.persons)
    pd.testing.assert_frame_equal(from_csv.spells, from_parquet.spells)
    assert from_parquet.spells_path == p / "comparison_spells.parquet"
    assert from_parquet.persons_path == p / "comparison.parquet"


def test_parquet_written_by_pandas_with_timestamps_is_valid(tmp_path):
    loaded = load_comparison(delivery(tmp_path / "csv"))
    target = tmp_path / "pandas"
    target.mkdir()
    loaded.persons.to_parquet(target / "comparison.parquet")
    loaded.spells.to_parquet(target / "comparison_spells.parquet")
    assert validate_comparison(target) == []
    pd.testing.assert_frame_equal(load_comparison(target).spells, loaded.spells)


# --------------------------------------------------------------------------- rules


def test_person_rules_report_line_column_value_and_expected(tmp_path):
    persons = [
        PERSONS[0],
        ["K2", "fk-oslo", "21.08.2023", "X", "19x0", "", "master"],
        ["K1", "nav-oslo", "2023-02-30", "M", "1939", "Norge", "ingen"],
        ["D001", "nav-oslo", "2023-08-01", "K", "2011", "Norge", "ingen"],
        ["bad id!", "nav-ukjent", "2023-08-01", "K", "1980", "Norge", "vgo"],
    ]
    problems = validate_comparison(delivery(tmp_path, persons, []), participant_ids={"D001"})
    file = "comparison.csv"
    got = {(p.row, p.column, p.value, p.expected, p.kind) for p in problems}
    nav = "en NAV-enhet i registeret (unit_id, for eksempel nav-oslo)"
    iso = "dato på formen ÅÅÅÅ-MM-DD"
    assert got == {
        (3, "unit_id", "fk-oslo", nav, None),
        (3, "reference_date", "21.08.2023", iso, "dmy_date"),
        (3, "gender", "X", "en av K, M", None),
        (3, "birth_year", "19x0", "heltall 1940–2010", None),
        (3, "country_background", "", "en verdi (feltet er påkrevd)", None),
        (3, "education_completed", "master", "en av ingen, grunnskole, vgo, hoyere", None),
        (4, "person_id", "K1", "unik verdi (brukt på rad 2)", None),
        (4, "reference_date", "2023-02-30", iso, None),
        (4, "birth_year", "1939", "heltall 1940–2010", None),
        (
            5,
            "person_id",
            "D001",
            "en person_id som ikke er en deltaker (finnes i participants.csv)",
            None,
        ),
        (5, "birth_year", "2011", "heltall 1940–2010", None),
        (6, "person_id", "bad id!", "id med bokstaver, sifre, _ . eller - (høyst 64 tegn)", None),
        (6, "unit_id", "nav-ukjent", nav, None),
    }
    assert all(p.file == file for p in problems)
    dmy = only(problems, column="reference_date", kind="dmy_date")[0]
    assert "ÅÅÅÅ-MM-DD" in dmy.hint


def test_spell_rules(tmp_path):
    spells = [
        SPELLS[0],
        ["S1", "K9", "jobb", "Arbeid", "2020-01-01", "2019-12-31", "ja", "arena"],
        ["S3", "K2", "ytelse", "aap", "2020-01-01", "", "true", "Arena"],
        ["S4", "", "status", "", "", "", "", ""],
    ]
    problems = validate_comparison(delivery(tmp_path, spells=spells))
    got = {(p.row, p.column, p.value, p.expected) for p in problems}
    required = "en verdi (feltet er påkrevd)"
    code = "kode med små bokstaver, sifre, _ eller -"
    assert got == {
        (3, "spell_id", "S1", "unik verdi (brukt på rad 2)"),
        (3, "person_id", "K9", "en person_id som finnes i comparison.csv"),
        (3, "kind", "jobb", "en av status, ytelse, tiltak, arbeid, utdanning, fagbrev"),
        (3, "code", "Arbeid", code),
        (3, "end_date", "2019-12-31", "end_date på eller etter start_date"),
        (3, "full_time", "ja", "true eller false"),
        (3, "full_time", "ja", "tom unntatt når kind er arbeid"),
        (4, "full_time", "true", "tom unntatt når kind er arbeid"),
        (4, "source", "Arena", code),
        (5, "person_id", "", required),
        (5, "code", "", required),
        (5, "start_date", "", required),
        (5, "source", "", required),
    }
    assert {p.file for p in problems} == {"comparison_spells.csv"}


def test_header_problems(tmp_path):
    d = delivery(tmp_path)
    rows = [[*row[:4], row[5], row[6], row[4]] for row in PERSONS]
    header = [*PERSON_HEADER[:4], "country_background", "Education_Completed", "fodselsaar"]
    write_csv(d / "comparison.csv", header, rows)
    problems = validate_comparison(d)
    unknown = only(problems, kind="unknown_column")
    assert {(p.column, p.hint) for p in unknown} == {
        ("Education_Completed", "mente du education_completed? Gi kolonnen kontraktens navn"),
        ("fodselsaar", None),
    }
    missing = only(problems, kind="missing_column")
    assert {p.column for p in missing} == {"education_completed", "birth_year"}


def test_national_identity_numbers_are_rejected_and_never_shown(tmp_path):
    persons = [
        PERSONS[0],
        [NATIONAL_ID, "nav-oslo", "2023-08-21", "K", "1990", f"Syria {NATIONAL_ID}", "vgo"],
    ]
    spells = [[*SPELLS[0][:7], f"src{NATIONAL_ID}"]]
    d = delivery(tmp_path, persons, spells)
    write_csv(
        d / "comparison.csv",
        [*PERSON_HEADER, "merknad"],
        [[*row, NATIONAL_ID if i == 0 else ""] for i, row in enumerate(persons)],
    )
    problems = validate_comparison(d)
    national = only(problems, kind="national_id")
    assert {(p.file, p.row, p.column) for p in national} == {
        ("comparison.csv", 2, "merknad"),
        ("comparison.csv", 3, "person_id"),
        ("comparison.csv", 3, "country_background"),
        ("comparison_spells.csv", 2, "source"),
    }
    assert only(problems, row=3, column="country_background")[0].value == "Syria <11 sifre>"
    text = format_problems(problems) + format_report(problems)
    assert NATIONAL_ID not in text
    assert all(NATIONAL_ID not in str(v) for p in problems for v in vars(p).values())
    with pytest.raises(ValueError) as info:
        load_comparison(d)
    assert NATIONAL_ID not in str(info.value)


def test_an_unknown_spell_person_with_an_identity_number_is_masked(tmp_path):
    spells = [SPELLS[0], ["S9", NATIONAL_ID, "status", "helt_ledig", "2020-01-01", "", "", "a"]]
    problems = validate_comparison(delivery(tmp_path, spells=spells))
    assert {(p.row, p.column, p.value, p.kind) for p in problems} == {
        (3, "person_id", "<11 sifre>", None),
        (3, "person_id", "<11 sifre>", "national_id"),
    }


def test_person_id_form_is_checked_on_spells_when_the_persons_file_is_unreadable(tmp_path):
    d = delivery(tmp_path, spells=[[*SPELLS[0][:1], "bad id", *SPELLS[0][2:]]])
    (d / "comparison.csv").write_bytes(b"person_id;unit_id\nK1;nav-oslo\n")
    problems = validate_comparison(d)
    assert [(p.file, p.kind) for p in problems if p.row is None] == [
        ("comparison.csv", "separator")
    ]
    [spell] = [p for p in problems if p.file == "comparison_spells.csv"]
    assert (spell.row, spell.column, spell.value) == (2, "person_id", "bad id")


# --------------------------------------------------------------------------- reading CSV


def test_line_numbers_with_bom_crlf_blank_lines_and_quoted_line_breaks(tmp_path):
    d = delivery(tmp_path)
    text = (
        "\ufeff" + ",".join(PERSON_HEADER) + "\r\n"
        'K1,nav-oslo,2023-08-21,K,1990,"Syria,\r\n nord",vgo\r\n'  # lines 2-3
        "\r\n"  # line 4: blank, skipped
        'K2,nav-oslo,2023-08-21,Q,1990,"Norge ""sør""",vgo\r\n'  # line 5
        ",,,,,,\r\n"  # line 6: only empty cells
        "K3,nav-oslo,2023-08-21,K,1990\r\n"  # line 7: too few fields
        "  K4 , nav-oslo ,2023-08-21,K,1990,Norge,vgo\r\n"  # line 8: cells are stripped
        "K5,nav-oslo,2023-08-21,K,1990,Norge,phd"  # line 9, no final line break
    )
    (d / "comparison.csv").write_text(text, encoding="utf-8", newline="")
    problems = validate_comparison(d, participant_ids=set())
    got = {(p.row, p.column, p.value, p.kind) for p in problems if p.file == "comparison.csv"}
    assert got == {
        (5, "gender", "Q", None),
        (6, None, None, "empty_row"),
        (7, None, None, "field_count"),
        (9, "education_completed", "phd", None),
    }
    assert only(problems, kind="field_count")[0].expected == "7 felt som overskriftsraden (fant 5)"
    loaded = load_comparison(d, validate=False)
    assert loaded.persons["person_id"].tolist() == ["K1", "K2", "K4", "K5"]
    assert loaded.persons["country_background"].tolist()[:2] == ["Syria,\r\n nord", 'Norge "sør"']


def test_file_level_csv_problems(tmp_path):
    d = delivery(tmp_path)
    text = ",".join(PERSON_HEADER) + "\nK1,nav-oslo,2023-08-21,K,1990,Møre,vgo\n"
    (d / "comparison.csv").write_bytes(text.encode("cp1252"))
    [problem] = [p for p in validate_comparison(d) if p.file == "comparison.csv"]
    assert problem.kind == "encoding"
    assert "linje 2" in problem.hint
    (d / "comparison.csv").write_text("", encoding="utf-8")
    [problem] = [p for p in validate_comparison(d) if p.file == "comparison.csv"]
    assert problem.kind == "no_header"


cells = st.text(alphabet=st.sampled_from(list('ab1 ,"\n;x')), max_size=6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=3), max_size=8), blank=st.booleans())
def test_csv_records_match_the_exact_reader(tmp_path, rows, blank):
    """The vectorised record split gives the line numbers and cells of the row-by-row
    reader in coopstats.validate (quotes, line breaks in cells, blank and empty rows)."""
    path = tmp_path / "comparison.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n" if blank else "\n")
        writer.writerow(["a", "b", "c"])
        for row in rows:
            writer.writerow(row)
            if blank:
                handle.write("\r\n")
    table, problems = comparison._read_csv(path)
    frame, expected = read_raw(path)
    assert (table is None) == (frame is None)
    if table is None:
        return
    assert table[comparison._ROW].to_pylist() == frame.index.tolist()
    for column in ("a", "b", "c"):
        want = [None if pd.isna(v) else v for v in frame[column]]
        assert table[column].to_pylist() == want
    assert {(p.row, p.kind) for p in problems} == {(p.row, p.kind) for p in expected}


# --------------------------------------------------------------------------- Parquet


@pytest.mark.parametrize("typed", [True, False])
def test_parquet_gives_the_same_problems_as_csv(tmp_path, typed):
    persons = [PERSONS[0], ["K2", "fk-oslo", "2023-08-21", "X", "1930", "Norge", "vgo"]]
    spells = [SPELLS[0], ["S2", "K7", "ytelse", "aap", "2020-01-01", "2019-01-01", "", "arena"]]
    d = delivery(tmp_path / "csv", persons, spells)
    p = as_parquet(d, tmp_path / "pq", typed=typed)

    def key(problems: list[Problem]) -> set:
        return {
            (p.file.rsplit(".")[0], p.row, p.column, p.value, p.expected.replace("parquet", "csv"))
            for p in problems
        }

    from_csv, from_parquet = validate_comparison(d), validate_comparison(p)
    assert len(from_csv) == 5
    assert key(from_csv) == key(from_parquet)
    assert {p.file for p in from_parquet} == {"comparison.parquet", "comparison_spells.parquet"}


def test_parquet_row_numbers_are_row_plus_one(tmp_path):
    n = 30
    table = pa.table(
        {
            "person_id": [f"K{i}" for i in range(n)],
            "unit_id": ["nav-oslo"] * n,
            "reference_date": pa.array([date(2023, 8, 21)] * n, pa.date32()),
            "gender": ["K" if i % 10 else "X" for i in range(n)],
            "birth_year": pa.array([1990] * n, pa.int64()),
            "country_background": ["Norge"] * n,
            "education_completed": ["vgo"] * n,
        }
    )
    tmp_path.mkdir(exist_ok=True)
    pq.write_table(table, tmp_path / "comparison.parquet", row_group_size=7)
    pq.write_table(
        pa.table({c: pa.array([], pa.string()) for c in SPELL_HEADER}),
        tmp_path / "comparison_spells.parquet",
    )
    problems = validate_comparison(tmp_path)
    # rows 0, 10 and 20 of the file (first row = 0) are lines 2, 12 and 22
    assert [(p.row, p.value) for p in problems] == [(2, "X"), (12, "X"), (22, "X")]


def test_problems_are_capped_per_rule_with_a_summary(tmp_path):
    n = EXAMPLES_PER_RULE + 25
    persons = [[f"K{i}", "nav-oslo", "2023-08-21", "K", "1900", "Norge", "vgo"] for i in range(n)]
    problems = validate_comparison(delivery(tmp_path, persons, []))
    examples = [p for p in problems if p.row is not None]
    assert [p.row for p in examples] == list(range(2, 2 + EXAMPLES_PER_RULE))
    [summary] = [p for p in problems if p.row is None]
    assert summary.column == "birth_year"
    assert summary.expected == (
        "heltall 1940–2010 – 25 rader til med samme feil (bare de første 20 er vist)"
    )
    assert "25 rader til med samme feil" in format_report(problems)


def test_unreadable_parquet(tmp_path):
    d = delivery(tmp_path / "csv")
    p = as_parquet(d, tmp_path / "pq", typed=True)
    (p / "comparison.parquet").write_bytes(b"not a parquet file")
    problems = validate_comparison(p)
    assert [(x.file, x.kind) for x in problems] == [("comparison.parquet", "unreadable")]


# --------------------------------------------------------------------------- load errors


def test_load_raises_a_norwegian_error_listing_the_first_problems(tmp_path):
    persons = [[f"K{i}", "nav-oslo", "2023-08-21", "X", "1990", "Norge", "vgo"] for i in range(15)]
    d = delivery(tmp_path, persons, [])
    with pytest.raises(ComparisonValidationError) as info:
        load_comparison(d)
    error = info.value
    assert isinstance(error, ValueError)
    assert len(error.problems) == 15
    message = str(error)
    assert message.startswith(f"Sammenligningsgruppen i {d} følger ikke datakontrakten")
    assert "15 problemer" in message
    assert "comparison.csv, rad 2, kolonne gender: verdi 'X' – forventet en av K, M" in message
    assert message.endswith("… og 5 til")
    loaded = load_comparison(d, validate=False)
    assert loaded.persons["gender"].tolist() == ["X"] * 15


# --------------------------------------------------------------------------- the demo population


@pytest.fixture(scope="module")
def demo_population() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    participants = read_table(DEMO / "participants.csv", "participants")
    spells = read_table(DEMO / "spells.csv", "spells")
    persons, comparison_spells = build_comparison(participants, spells)
    return participants, persons, comparison_spells


def test_demo_population_follows_the_contract(tmp_path, demo_population):
    participants, persons, spells = demo_population
    write_comparison(tmp_path, persons, spells)
    assert validate_comparison(tmp_path, participant_ids=set(participants["person_id"])) == []
    units = participants["unit_id"].unique()
    assert persons["unit_id"].value_counts().to_dict() == {u: PERSONS_PER_UNIT for u in units}
    assert persons["person_id"].iloc[0] == "K000001"
    assert persons["person_id"].str.fullmatch(r"K\d{6}").all()
    assert spells["spell_id"].str.fullmatch(r"KS\d{7}").all()
    assert list(persons.columns) == PERSON_HEADER and list(spells.columns) == SPELL_HEADER


def test_demo_population_shape(demo_population):
    participants, persons, spells = demo_population
    reference = pd.to_datetime(persons["reference_date"])
    assert reference.min() >= pd.Timestamp("2023-08-01")
    assert reference.max() <= pd.Timestamp("2023-09-30")
    assert set(reference.dt.month) == {8, 9}
    starts = pd.to_datetime(spells["start_date"])
    ends = pd.to_datetime(spells["end_date"])
    assert starts.min() >= pd.Timestamp("2015-01-01")
    assert ends.max() <= pd.Timestamp("2026-06-30")
    assert ends.isna().any()  # some spells are still ongoing
    social = spells["code"] == "sosialhjelp"
    assert (ends[social] <= pd.Timestamp("2022-12-31")).all()
    codes = set(spells["code"])
    assert {"introduksjonsstonad", "tiltakspenger", "aap", "dagpenger", "sosialhjelp"} <= codes
    assert set(spells["kind"]) == {"arbeid", "ytelse", "status", "tiltak", "utdanning", "fagbrev"}
    assert 0 < (spells["kind"] == "fagbrev").sum() < len(persons) * 0.1
    # broader than the participants: other countries (Norge too), and every education level
    assert set(persons["country_background"]) > set(participants["country_background"])
    assert "Norge" in set(persons["country_background"])
    assert set(persons["education_completed"]) == {"ingen", "grunnskole", "vgo", "hoyere"}
    ages = 2023 - persons["birth_year"]
    part_ages = 2023 - participants["birth_year"]
    assert ages.min() < part_ages.min() and ages.max() > part_ages.max()
    assert (persons["gender"] == "M").mean() > (participants["gender"] == "M").mean()


def test_demo_population_is_byte_identical_for_a_seed(tmp_path, demo_population):
    participants = demo_population[0]
    spells = read_table(DEMO / "spells.csv", "spells")

    def digest(directory: Path, seed: int) -> list[str]:
        write_comparison(directory, *build_comparison(participants, spells, seed))
        return [
            hashlib.sha256((directory / f"{stem}.csv").read_bytes()).hexdigest()
            for stem in ("comparison", "comparison_spells")
        ]

    first = digest(tmp_path / "a", 2023)
    assert digest(tmp_path / "b", 2023) == first
    assert digest(tmp_path / "c", 7) != first
    assert not list((tmp_path / "a").glob(".*"))  # no temporary files left behind
    text = (tmp_path / "a" / "comparison_spells.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(SPELL_HEADER)
    assert ",true," in text and ",false," in text and "\r" not in text


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("aø€😀,\n")), max_size=30),
    where=st.integers(0, 40),
    byte=st.sampled_from([0xFF, 0xC3, 0x80, 0xE2]),
    chunk=st.sampled_from([1, 2, 3, 5, 64]),
)
def test_utf8_check_in_chunks_finds_the_first_bad_byte(text, where, byte, chunk):
    data = text.encode()
    if data:
        i = where % len(data)
        data = data[:i] + bytes([byte]) + data[i + 1 :]
    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    assert comparison._utf8_error(data, 0, chunk) == expected
