"""The coverage manifest (coverage.csv): contract, Coverage queries, and '..' vs '-'.

Hand-made deliveries are copies of the demo with edited spells and manifest rows. The
participant tables are read with ``reproduce_published=True`` (no hiding) so that raw shares
and nil cells are visible; the indicators with the same setting show their computed values.
"""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from coopstats import participants as P
from coopstats.coverage import Coverage, Slice, coverage_warnings, format_span
from coopstats.data import COLUMNS, OPTIONAL_FILES, load_datasets, read_table
from coopstats.disclosure import DisclosureConfig
from coopstats.formatting import NIL, NOT_AVAILABLE
from coopstats.indicators import compute_indicators, indicator_table_frame, load_indicators
from coopstats.registry import load_registry
from coopstats.validate import main_validate, validate_directory

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
HEADER = list(COLUMNS["coverage"])
PUBLISHED = DisclosureConfig(reproduce_published=True)
ARBEID = "ind-andel-arbeid-2018-2023"
YTELSE_OKT = "ind-andel-ytelse-okt-2023"


# --------------------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def manifest_row(
    kind: str, code: str = "", unit: str = "", start: str = "2018-01-01", end: str = "",
    source: str = "arena",
) -> dict[str, str]:  # fmt: skip
    return {"kind": kind, "code": code, "unit_id": unit, "covered_from": start,
            "covered_to": end, "source": source, "note": ""}  # fmt: skip


def copy_demo(target: Path) -> Path:
    shutil.copytree(DEMO, target)
    return target


def units_of(directory: Path) -> dict[str, str]:
    return {r["person_id"]: r["unit_id"] for r in read_rows(directory / "participants.csv")}


def drop_spells(directory: Path, keep) -> int:
    """Keep the spells for which ``keep(row, unit)`` is true; return how many were dropped."""
    path = directory / "spells.csv"
    rows = read_rows(path)
    unit = units_of(directory)
    kept = [r for r in rows if keep(r, unit[r["person_id"]])]
    write_rows(path, list(COLUMNS["spells"]), kept)
    return len(rows) - len(kept)


def edit_manifest(directory: Path, keep=lambda r: True, add=()) -> None:
    path = directory / "coverage.csv"
    rows = [r for r in read_rows(path) if keep(r)] + list(add)
    write_rows(path, HEADER, rows)


def norm(text: str) -> str:
    return str(text).replace("\u00a0", " ").replace("\u202f", " ").strip()


def cells(report: P.ParticipantReport, number: str, column: str) -> dict[str, str]:
    """{row label without N: cell text} of one column."""
    frame = report.table(number).frame
    return {re.sub(r" \(N=.*\)$", "", r): norm(frame.loc[r, column]) for r in frame.index}


def report(directory: Path, scope: str = P.ALL_SCOPE) -> P.ParticipantReport:
    return P.load_report(scope, directory, reproduce_published=True)


def indicator(directory: Path, indicator_id: str, trial: str) -> tuple[str, str]:
    """(kind, shown value) of a person-level indicator for one trial, unhidden."""
    values = compute_indicators(load_indicators(), load_datasets(directory), load_registry())
    frame = indicator_table_frame(values, PUBLISHED)
    hit = (values["indicator_id"] == indicator_id) & (values["trial_id"] == trial)
    assert hit.sum() == 1
    return str(values.loc[hit, "kind"].iloc[0]), norm(frame.loc[hit, "Verdi"].iloc[0])


def where(problems) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


# --------------------------------------------------------------------------- contract


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "delivery")


def test_demo_manifest_is_valid_and_loaded():
    assert validate_directory(DEMO) == []
    data = load_datasets(DEMO)
    assert list(data.coverage.columns) == HEADER
    assert pd.api.types.is_datetime64_any_dtype(data.coverage["covered_to"])
    assert len(data.coverage) == len(read_rows(DEMO / "coverage.csv")) > 0
    assert OPTIONAL_FILES == ("coverage",)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("kind", "lonn"),  # not a spell kind
        ("kind", ""),  # required
        ("code", "Sosial hjelp"),  # not a lower-case token
        ("unit_id", "nav-atlantis"),  # not in the registry
        ("covered_from", "2018-02-30"),  # not a calendar date
        ("covered_from", ""),  # required
        ("covered_to", "31.12.2022"),  # not ISO
        ("covered_to", "2017-12-31"),  # before covered_from
        ("source", "Arena"),  # not a lower-case token
    ],
)
def test_manifest_errors_name_file_row_and_column(demo_copy, column, value):
    rows = read_rows(demo_copy / "coverage.csv")
    rows[2][column] = value  # CSV line 4
    write_rows(demo_copy / "coverage.csv", HEADER, rows)
    problems = validate_directory(demo_copy)
    assert where(problems) == {("coverage.csv", 4, column)}


def test_manifest_missing_column_is_named(demo_copy):
    rows = read_rows(demo_copy / "coverage.csv")
    header = [c for c in HEADER if c != "source"]
    write_rows(demo_copy / "coverage.csv", header, [{c: r[c] for c in header} for r in rows])
    assert ("coverage.csv", None, "source") in where(validate_directory(demo_copy))


def test_duplicate_slice_is_reported_on_the_later_row(demo_copy):
    edit_manifest(
        demo_copy,
        add=[
            # same kind/code/unit as the demo's sosialhjelp row, overlapping in 2022: line 13
            manifest_row("ytelse", "sosialhjelp", start="2022-06-01", end="2023-12-31"),
            # touching, not overlapping, the demo's kvalifiseringsstønad row: fine
            manifest_row("ytelse", "kvalifiseringsstonad", start="2023-01-01"),
            # another unit is another slice: fine
            manifest_row("arbeid", unit="nav-oslo"),
        ],
    )
    problems = validate_directory(demo_copy)
    assert where(problems) == {("coverage.csv", 13, "covered_from")}
    assert "overlapp" in problems[0].expected


def test_a_slice_touching_another_by_one_day_overlaps(demo_copy):
    """Covered periods include both days: a row of the same slice that starts on the day an
    earlier row ends, or ends on the day it starts, overlaps it; one day apart is fine."""
    edit_manifest(
        demo_copy,
        add=[
            # the demo's kvalifiseringsstønad row ends 2022-12-31; line 13 starts that day
            manifest_row("ytelse", "kvalifiseringsstonad", start="2022-12-31"),
            # the demo's sosialhjelp row ends 2022-12-31; line 14 starts the day after: fine
            manifest_row("ytelse", "sosialhjelp", start="2023-01-01"),
            # line 16 is one day, the last day of line 15
            manifest_row("arbeid", unit="nav-oslo", end="2019-06-30"),
            manifest_row("arbeid", unit="nav-oslo", start="2019-06-30", end="2019-06-30"),
            # one day, then the next day: fine
            manifest_row("arbeid", unit="nav-vestland", start="2019-06-30", end="2019-06-30"),
            manifest_row("arbeid", unit="nav-vestland", start="2019-07-01"),
            # line 20 ends on the day line 19 starts
            manifest_row("arbeid", unit="nav-ost-viken", start="2020-01-01"),
            manifest_row("arbeid", unit="nav-ost-viken", start="2019-01-01", end="2020-01-01"),
            # ends the day before the later-listed row starts: fine
            manifest_row("arbeid", unit="nav-innlandet", start="2020-01-01"),
            manifest_row("arbeid", unit="nav-innlandet", start="2019-01-01", end="2019-12-31"),
        ],
    )
    assert where(validate_directory(demo_copy)) == {
        ("coverage.csv", 13, "covered_from"),
        ("coverage.csv", 16, "covered_from"),
        ("coverage.csv", 20, "covered_from"),
    }


def test_manifest_is_optional_and_its_absence_is_a_warning(demo_copy, capsys):
    (demo_copy / "coverage.csv").unlink()
    assert validate_directory(demo_copy) == []
    assert load_datasets(demo_copy).coverage is None
    assert main_validate(demo_copy) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK:") and "coverage" not in captured.out
    warnings = [line for line in captured.err.splitlines() if line.startswith("advarsel:")]
    assert len(warnings) == 1 and "utledet" in warnings[0] and "coverage.csv" in warnings[0]


def test_demo_validates_without_warnings(capsys):
    assert coverage_warnings(DEMO) == []
    assert main_validate(DEMO) == 0
    captured = capsys.readouterr()
    rows = len(pd.read_csv(DEMO / "coverage.csv"))
    assert f"coverage {rows}" in captured.out and "advarsel" not in captured.err


def test_spells_outside_the_manifest_are_a_warning_not_an_error(demo_copy, capsys):
    edit_manifest(demo_copy, keep=lambda r: r["code"] != "dagpenger")
    assert validate_directory(demo_copy) == []
    warnings = coverage_warnings(demo_copy)
    assert warnings and all("ytelse/dagpenger" in w for w in warnings)
    assert {re.search(r"for (nav-[a-z-]+)", w).group(1) for w in warnings} <= {
        "nav-oslo", "nav-vestland", "nav-ost-viken"
    }  # fmt: skip
    assert main_validate(demo_copy) == 0
    assert "ytelse/dagpenger" in capsys.readouterr().err


def test_empty_manifest_means_inferred(demo_copy):
    write_rows(demo_copy / "coverage.csv", HEADER, [])
    data = load_datasets(demo_copy)
    assert data.coverage is not None and data.coverage.empty
    assert Coverage.from_datasets(data).inferred
    assert "ingen datarader" in coverage_warnings(demo_copy)[0]


def test_changed_manifest_is_read_again(demo_copy):
    first = load_datasets(demo_copy)
    edit_manifest(demo_copy, keep=lambda r: r["kind"] != "arbeid")
    second = load_datasets(demo_copy)
    assert len(second.coverage) == len(first.coverage) - 1


# --------------------------------------------------------------------------- Coverage queries

D = date.fromisoformat


def cov(*slices: Slice) -> Coverage:
    return Coverage(tuple(slices))


def test_covers_whole_window_with_inclusive_bounds():
    c = cov(Slice("ytelse", "sosialhjelp", None, D("2018-01-01"), D("2022-12-31")))
    assert c.covers("ytelse", "sosialhjelp", "nav-oslo", D("2018-01-01"), D("2022-12-31"))
    assert c.covers("ytelse", "sosialhjelp", "nav-oslo", D("2022-12-31"), D("2022-12-31"))
    assert not c.covers("ytelse", "sosialhjelp", "nav-oslo", D("2017-12-31"), D("2022-12-31"))
    assert not c.covers("ytelse", "sosialhjelp", "nav-oslo", D("2018-01-01"), D("2023-01-01"))
    assert not c.covers("ytelse", "dagpenger", "nav-oslo")  # another code
    assert not c.covers("arbeid", "sosialhjelp", "nav-oslo")  # another kind
    # without dates: any covered period will do; one date: that day must be covered
    assert c.covers("ytelse", "sosialhjelp")
    assert c.covers("ytelse", "sosialhjelp", end=D("2022-12-31"))
    assert not c.covers("ytelse", "sosialhjelp", start=D("2023-01-01"))


def test_open_end_and_empty_code_and_unit():
    c = cov(
        Slice("arbeid", None, None, D("2018-01-01"), None),
        Slice("tiltak", "opplaering", "nav-oslo", D("2018-01-01"), None),
    )
    assert c.covers("arbeid", None, None, D("2018-01-01"), D("2099-12-31"))
    assert c.covers("arbeid", "deltid", "nav-vestland")  # empty code/unit: every code/unit
    assert c.covers("tiltak", "opplaering", "nav-oslo", D("2020-01-01"), D("2023-12-31"))
    assert not c.covers("tiltak", "opplaering", "nav-vestland")  # another unit
    assert not c.covers("tiltak", None, "nav-oslo")  # every tiltak code: not stated
    assert not c.covers("tiltak", "opplaering", None)  # every unit: not stated


def test_rows_add_up_when_they_touch_not_across_a_gap():
    touching = cov(
        Slice("ytelse", "aap", None, D("2018-01-01"), D("2020-12-31")),
        Slice("ytelse", "aap", "nav-oslo", D("2021-01-01"), None),
    )
    assert touching.covers("ytelse", "aap", "nav-oslo", D("2018-01-01"), D("2023-12-31"))
    assert not touching.covers("ytelse", "aap", "nav-vestland", D("2018-01-01"), D("2023-12-31"))
    gap = cov(
        Slice("ytelse", "aap", None, D("2018-01-01"), D("2020-12-31")),
        Slice("ytelse", "aap", None, D("2021-01-02"), None),
    )
    assert not gap.covers("ytelse", "aap", "nav-oslo", D("2018-01-01"), D("2023-12-31"))
    assert gap.spans("ytelse", "aap") == (
        (D("2018-01-01"), D("2020-12-31")),
        (D("2021-01-02"), None),
    )


def test_delivered_covered_part_and_shortfalls():
    c = cov(
        Slice("ytelse", "sosialhjelp", None, D("2018-01-01"), D("2022-12-31")),
        Slice("ytelse", "dagpenger", None, D("2018-01-01"), None),
    )
    window = (D("2018-01-01"), D("2023-12-31"))
    codes = ("sosialhjelp", "dagpenger")
    assert not c.delivered("ytelse", codes, "nav-oslo", *window)
    assert c.delivered("ytelse", codes, "nav-oslo", *window, whole_window=False)
    assert c.delivered("ytelse", ("dagpenger",), "nav-oslo", *window)
    assert not c.delivered("ytelse", (), "nav-oslo", *window, whole_window=False)  # kind: no
    october = (D("2023-10-01"), D("2023-10-31"))
    assert not c.delivered("ytelse", ("sosialhjelp",), "nav-oslo", *october, whole_window=False)
    assert c.covered_part("ytelse", "sosialhjelp", "nav-oslo", *window) == (
        (D("2018-01-01"), D("2022-12-31")),
    )
    assert c.shortfalls("ytelse", codes, "nav-oslo", *window) == {
        "sosialhjelp": ((D("2018-01-01"), D("2022-12-31")),)
    }
    assert format_span((D("2018-01-01"), D("2022-12-31"))) == "01.01.2018–31.12.2022"
    assert format_span((D("2018-01-01"), None)) == "fra 01.01.2018"


def test_from_frame_reads_the_typed_manifest():
    c = Coverage.from_frame(read_table(DEMO / "coverage.csv", "coverage"))
    assert not c.inferred
    sos = next(s for s in c.slices if s.code == "sosialhjelp")
    assert (sos.kind, sos.unit, sos.start, sos.end) == (
        "ytelse", None, D("2018-01-01"), D("2022-12-31")
    )  # fmt: skip
    assert c.covers("arbeid", None, "nav-oslo", D("2018-01-01"), D("2023-12-31"))
    assert c.covers("fagbrev", None, "nav-oslo", D("2024-01-01"), D("2026-06-30"))
    assert not c.covers("fagbrev", None, "nav-oslo", D("2026-01-01"), D("2026-12-31"))


def test_inferred_coverage_is_every_kind_present():
    spells = pd.DataFrame({"kind": ["arbeid", "tiltak", pd.NA], "code": ["a", "b", "c"]})
    c = Coverage.infer(spells)
    assert c.inferred
    assert c.covers("tiltak", "anything", "nav-oslo", D("1900-01-01"), D("2099-12-31"))
    assert c.covers("tiltak", None, None)
    assert not c.covers("ytelse", "dagpenger", "nav-oslo")


# --------------------------------------------------------------------------- '..' vs '-'


@pytest.fixture(scope="module")
def no_dagpenger(tmp_path_factory) -> dict[str, Path]:
    """No dagpenger spells anywhere; manifest without (``..``) and with (``-``) dagpenger."""
    out = {}
    for name, covered in (("missing", False), ("covered", True)):
        d = copy_demo(tmp_path_factory.mktemp(name) / "delivery")
        assert drop_spells(d, lambda r, u: r["code"] != "dagpenger") > 0
        if not covered:
            edit_manifest(d, keep=lambda r: r["code"] != "dagpenger")
        out[name] = d
    return out


def test_code_not_delivered_is_not_available(no_dagpenger):
    d = no_dagpenger["missing"]
    published = report(d)
    assert cells(published, "5.10", "Dagpenger") == {"Total": NOT_AVAILABLE}
    assert cells(published, "5.10", "Tiltakspenger") == {"Total": "55 %"}
    [note] = [n for n in published.table("5.10").notes if "ikke tilgjengelig" in n]
    # no unit delivered dagpenger, so the note names none
    assert note.endswith("«ytelse» (dagpenger) i 2018–2023.")
    # the October measure needs every one of its codes, dagpenger among them
    assert set(cells(published, "5.11", "Andel").values()) == {NOT_AVAILABLE}
    assert indicator(d, YTELSE_OKT, "lengre-varighet-oslo") == ("not_reported", NOT_AVAILABLE)


def test_code_covered_without_spells_is_nil(no_dagpenger):
    d = no_dagpenger["covered"]
    published = report(d)
    assert cells(published, "5.10", "Dagpenger") == {"Total": NIL}
    assert NOT_AVAILABLE not in cells(published, "5.11", "Andel").values()
    kind, shown = indicator(d, YTELSE_OKT, "lengre-varighet-oslo")
    assert kind == "exact" and shown.endswith("%")


@pytest.fixture(scope="module")
def arbeid_by_unit(tmp_path_factory) -> Path:
    """Arbeid covered for Oslo (has spells) and Vestland (none left), not for Øst-Viken."""
    d = copy_demo(tmp_path_factory.mktemp("arbeid") / "delivery")
    assert drop_spells(d, lambda r, u: not (r["kind"] == "arbeid" and u == "nav-vestland")) > 0
    edit_manifest(
        d,
        keep=lambda r: r["kind"] != "arbeid",
        add=[
            manifest_row("arbeid", unit="nav-oslo", source="aa-registeret"),
            manifest_row("arbeid", unit="nav-vestland", source="aa-registeret"),
        ],
    )
    return d


def test_unit_without_spells_is_nil_and_uncovered_unit_not_available(arbeid_by_unit):
    published = report(arbeid_by_unit)
    assert cells(published, "5.7", "Andel") == {
        "Oslo": "85 %",
        "Vestland": NIL,
        "Øst-Viken": NOT_AVAILABLE,
        "Total": NOT_AVAILABLE,  # the total needs every unit
    }
    [note] = [n for n in published.table("5.7").notes if "ikke tilgjengelig" in n]
    assert note.endswith("i 2018–2023 (Øst-Viken).")  # Vestland is covered
    # unit pages show the same cell as the all-units page
    assert cells(report(arbeid_by_unit, "nav-ost-viken"), "5.7", "Andel") == {
        "Øst-Viken": NOT_AVAILABLE
    }
    assert cells(report(arbeid_by_unit, "nav-vestland"), "5.7", "Andel") == {"Vestland": NIL}


def test_indicator_zero_for_covered_unit_not_reported_for_uncovered(arbeid_by_unit):
    assert indicator(arbeid_by_unit, ARBEID, "lengre-varighet-vestland") == ("exact", "0 %")
    assert indicator(arbeid_by_unit, ARBEID, "lengre-varighet-ost-viken") == (
        "not_reported",
        NOT_AVAILABLE,
    )
    kind, shown = indicator(arbeid_by_unit, ARBEID, "lengre-varighet-oslo")
    assert kind == "exact" and shown != "0 %"


def test_indicator_needs_the_whole_window(demo_copy):
    edit_manifest(
        demo_copy,
        keep=lambda r: r["kind"] != "arbeid",
        add=[manifest_row("arbeid", start="2019-01-01", source="aa-registeret")],
    )
    assert indicator(demo_copy, ARBEID, "lengre-varighet-oslo")[0] == "not_reported"


def test_partly_covered_window_is_shown_with_a_note():
    published = report(DEMO)
    assert cells(published, "5.10", "Sosialhjelp") == {"Total": "48 %"}
    notes = [n for n in published.table("5.10").notes if "kan være for lav" in n]
    assert len(notes) == 2
    assert any(n.startswith("Sosialhjelp:") and "01.01.2018–31.12.2022" in n for n in notes)
    assert not any("kan være for lav" in n for n in published.table("5.7").notes)


# --------------------------------------------------------------------------- no manifest


@pytest.fixture(scope="module")
def without_manifest(tmp_path_factory) -> Path:
    """The demo without coverage.csv, without dagpenger and fagbrev spells, without Vestland's
    arbeid."""
    d = copy_demo(tmp_path_factory.mktemp("inferred") / "delivery")
    (d / "coverage.csv").unlink()
    drop_spells(
        d,
        lambda r, u: (
            r["code"] != "dagpenger"
            and r["kind"] != "fagbrev"
            and not (r["kind"] == "arbeid" and u == "nav-vestland")
        ),
    )
    return d


def test_without_manifest_behaviour_is_as_before(without_manifest):
    d = without_manifest
    assert Coverage.from_datasets(load_datasets(d)).inferred
    published = report(d)
    # a code absent from the whole delivery is nil, a unit without spells 0 (kind delivered)
    assert cells(published, "5.10", "Dagpenger") == {"Total": NIL}
    assert cells(published, "5.7", "Andel")["Vestland"] == NIL
    assert NOT_AVAILABLE not in cells(published, "5.7", "Andel").values()
    assert indicator(d, ARBEID, "lengre-varighet-vestland") == ("exact", "0 %")
    # nothing is partly covered, so no lower-bound note on sosialhjelp
    assert not any("kan være for lav" in n for n in published.table("5.10").notes)
    # a kind absent from the whole delivery is not available
    assert indicator(d, "ind-fagbrev", "lengre-varighet-oslo")[0] == "not_reported"


def test_without_manifest_a_missing_kind_is_not_available(tmp_path):
    d = copy_demo(tmp_path / "delivery")
    (d / "coverage.csv").unlink()
    drop_spells(d, lambda r, u: r["kind"] != "tiltak")
    published = report(d)
    frame = published.table("5.9").frame
    assert set(frame.iloc[0]) == {NOT_AVAILABLE}
