"""Validation that explains itself: grouped problems, probable causes, hints, the HTML report."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from coopstats.cli import main as cli_main
from coopstats.validate import (
    PLAUSIBLE_LIMITS,
    Problem,
    format_report,
    group_problems,
    html_report,
    main_validate,
    validate_directory,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    target = tmp_path / "leveranse"
    shutil.copytree(DEMO, target)
    return target


def dmy_dates(directory: Path, file: str, column: str, rows: slice = slice(1, None)) -> int:
    """Rewrite ``column`` as DD.MM.YYYY in the given data rows; return how many changed."""
    path = directory / file
    data = read_rows(path)
    j = data[0].index(column)
    changed = 0
    for row in data[rows]:
        if row[j]:
            year, month, day = row[j].split("-")
            row[j] = f"{day}.{month}.{year}"
            changed += 1
    path.write_text(csv_text(data), encoding="utf-8")
    return changed


# --------------------------------------------------------------------------- grouping


def test_dmy_dates_are_one_line_with_count_examples_and_hint(delivery, capsys):
    changed = dmy_dates(delivery, "participants.csv", "intake_date")
    assert changed == 66
    problems = validate_directory(delivery)
    assert len(problems) == 66
    assert {p.kind for p in problems} == {"dmy_date"}

    groups = group_problems(problems)
    assert len(groups) == 1
    group = groups[0]
    assert (group.file, group.column, group.count) == ("participants.csv", "intake_date", 66)
    line = group.line()
    assert line.startswith(
        "participants.csv, kolonne intake_date: 66 verdier i formatet DD.MM.ÅÅÅÅ"
    )
    assert "rad 2 '21.08.2023'" in line
    assert len(re.findall(r"rad \d+ '", line)) == 3  # the first examples, not all 66
    assert "bruk `coopstats import`" in line

    assert main_validate(delivery) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err  # one group and the summary instead of 66 lines
    assert err[-1].startswith("66 problemer funnet") and "samlet i 1 linje" in err[-1]


def test_a_column_mixing_date_forms_gets_no_import_hint(delivery):
    dmy_dates(delivery, "activity_log.csv", "period_end", rows=slice(1, 4))
    [group] = group_problems(validate_directory(delivery))
    assert group.count == 3 and group.kind == "dmy_date"
    assert "blander datoformer" in group.hint
    assert "gjør bare om kolonner" in group.hint


def test_single_problems_keep_the_one_line_form(delivery):
    path = delivery / "participants.csv"
    data = read_rows(path)
    data[4][data[0].index("birth_year")] = "19x0"
    path.write_text(csv_text(data), encoding="utf-8")
    assert format_report(validate_directory(delivery)) == (
        "participants.csv, rad 5, kolonne birth_year: verdi '19x0' – forventet heltall 1940–2010"
    )


# --------------------------------------------------------------------------- whole-file causes


def test_semicolon_file_is_one_problem_naming_the_separator(delivery):
    path = delivery / "participants.csv"
    path.write_text(csv_text(read_rows(path), delimiter=";"), encoding="utf-8")
    problems = validate_directory(delivery)
    assert len(problems) == 1, format_report(problems)
    [problem] = problems
    assert (problem.file, problem.kind) == ("participants.csv", "separator")
    line = format_report(problems)
    assert "filen ser ut til å bruke semikolon som skilletegn" in line
    assert "bruk `coopstats import`" in line


def test_windows_1252_file_names_the_encoding_and_the_line(delivery):
    path = delivery / "activity_log.csv"
    data = read_rows(path)
    note = data[0].index("note")
    for row in data[1:]:  # the demo notes have æøå and dashes; keep the test to one line
        row[note] = ""
    data[6][note] = "Møte i Bodø"  # line 7 of the file
    path.write_bytes(csv_text(data).encode("cp1252"))
    problems = validate_directory(delivery)
    assert len(problems) == 1
    [problem] = problems
    assert (problem.file, problem.row, problem.kind) == ("activity_log.csv", None, "encoding")
    assert "Windows-1252" in problem.hint
    assert "linje 7" in problem.hint and "«ø»" in problem.hint
    assert "lagre som UTF-8 eller bruk `coopstats import`" in problem.hint


def test_wrong_headers_get_did_you_mean_and_explained_columns_are_not_missing(delivery):
    path = delivery / "participants.csv"
    data = read_rows(path)
    header = data[0]
    header[header.index("intake_date")] = "Inntaksdato"  # a Norwegian name (synonym)
    header[header.index("gender")] = "GENDER"  # upper case
    header[header.index("birth_year")] = "birth_yaer"  # a typo (close match)
    header[header.index("country_background")] = "xyz"  # nothing close
    path.write_text(csv_text(data), encoding="utf-8")
    problems = validate_directory(delivery)
    unknown = {p.column: p.hint for p in problems if p.kind == "unknown_column"}
    missing = {p.column for p in problems if p.kind == "missing_column"}
    assert set(unknown) == {"Inntaksdato", "GENDER", "birth_yaer", "xyz"}
    assert unknown["Inntaksdato"].startswith("mente du intake_date?")
    assert unknown["GENDER"].startswith("mente du gender?")
    assert unknown["birth_yaer"] == "mente du birth_year?"
    assert unknown["xyz"] is None
    # a certain match explains the missing column; a guess does not
    assert missing == {"birth_year", "country_background"}
    lines = format_report(problems).splitlines()
    assert lines[0].startswith("participants.csv, overskriftsraden: 4 ukjente kolonnenavn:")
    assert "Inntaksdato (mente du intake_date?)" in lines[0]
    assert "coopstats import" in lines[0]
    assert lines[1] == "participants.csv: 2 kolonner mangler: birth_year, country_background"


def test_upper_case_headers_of_a_whole_file_are_one_line(delivery):
    path = delivery / "spells.csv"
    data = read_rows(path)
    data[0] = [name.upper() for name in data[0]]
    path.write_text(csv_text(data), encoding="utf-8")
    lines = format_report(validate_directory(delivery)).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("spells.csv, overskriftsraden: 8 ukjente kolonnenavn:")
    assert "SPELL_ID (mente du spell_id?)" in lines[0] and "og 3 til" in lines[0]


def test_trailing_empty_rows_are_reported_with_their_lines(delivery, capsys):
    path = delivery / "participants.csv"
    width = len(read_rows(path)[0])
    path.write_text(path.read_text(encoding="utf-8") + ("," * (width - 1) + "\n") * 3, "utf-8")
    problems = validate_directory(delivery)
    assert [(p.file, p.row, p.kind) for p in problems] == [
        ("participants.csv", line, "empty_row") for line in (68, 69, 70)
    ]
    line = format_report(problems)
    assert line.startswith("participants.csv: 3 rader med bare tomme celler (rad 68–70)")
    assert "bruk `coopstats import`, som fjerner dem" in line
    assert main_validate(delivery) == 1
    assert "3 problemer funnet" in capsys.readouterr().err


# --------------------------------------------------------------------------- plausibility


@pytest.mark.parametrize(
    ("value", "ok"),
    [("12345678901234567890", False), ("10000001", False), ("10000000", True), ("850", True)],
)
def test_counts_have_an_upper_limit(delivery, value, ok):
    assert PLAUSIBLE_LIMITS[("activity_log", "count")] == 10_000_000
    path = delivery / "activity_log.csv"
    data = read_rows(path)
    assert data[1][data[0].index("qualifier")] == "exact"
    data[1][data[0].index("count")] = value
    path.write_text(csv_text(data), encoding="utf-8")
    problems = validate_directory(delivery)
    if ok:
        assert problems == []
    else:
        [problem] = problems
        assert (problem.file, problem.row, problem.column) == ("activity_log.csv", 2, "count")
        assert problem.kind == "implausible" and "10 000 000" in problem.expected


def test_reported_figures_have_an_upper_limit(delivery):
    path = delivery / "reported_figures.csv"
    data = read_rows(path)
    j = data[0].index("value")
    line = next(
        i for i, row in enumerate(data) if i and row[j] and row[data[0].index("unit")] != "percent"
    )
    data[line][j] = "99999999999999999999"
    path.write_text(csv_text(data), encoding="utf-8")
    problems = validate_directory(delivery)
    assert [(p.row, p.column, p.kind) for p in problems] == [(line + 1, "value", "implausible")]


# --------------------------------------------------------------------------- HTML and exit codes


def test_html_report_holds_the_groups(delivery, tmp_path, capsys):
    dmy_dates(delivery, "participants.csv", "intake_date")
    path = delivery / "spells.csv"
    path.write_text(csv_text(read_rows(path), delimiter=";"), encoding="utf-8")
    report = tmp_path / "rapporter" / "validering.html"
    assert cli_main(["validate", str(delivery), "--html", str(report)]) == 1
    assert str(report) in capsys.readouterr().err.splitlines()[-1]
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nb">' in page
    assert "<h2>participants.csv (66 rader)</h2>" in page
    assert "kolonne intake_date" in page and '<td class="antall">66</td>' in page
    assert "66 verdier i formatet DD.MM.ÅÅÅÅ" in page
    assert "rad 2 &#x27;21.08.2023&#x27;" in page
    assert "<code>coopstats import</code>" in page
    assert "semikolon som skilletegn" in page
    assert "<h2>segments.csv (56 rader)</h2>\n<p>Ingen problemer.</p>" in page
    # self-contained: no scripts, style sheets or images from elsewhere
    assert not re.search(r"<(script|link|img)\b", page)
    assert "http" not in page


def test_html_report_of_a_clean_delivery_and_of_a_missing_directory(tmp_path, capsys):
    report = tmp_path / "ok.html"
    assert main_validate(DEMO, html_path=report) == 0
    assert "følger datakontrakten" in report.read_text(encoding="utf-8")
    assert "rapport:" in capsys.readouterr().out
    missing = tmp_path / "nowhere.html"
    assert main_validate(tmp_path / "finnes-ikke", html_path=missing) == 2
    assert not missing.exists()


def test_html_escapes_values():
    problem = Problem("segments.csv", 3, "paraphrase", "<script>x</script>", "tekst")
    page = html_report("d", [problem])
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_examples_in_the_data_contract_are_what_validate_prints(delivery):
    """data/README.md shows real output: build the delivery it describes and compare."""
    dmy_dates(delivery, "participants.csv", "intake_date")
    path = delivery / "spells.csv"
    path.write_text(csv_text(read_rows(path), delimiter=";"), encoding="utf-8")
    path = delivery / "activity_log.csv"
    data = read_rows(path)
    note = data[0].index("note")
    for row in data[1:]:
        row[note] = ""
    data[6][note] = "Møte i Bodø"
    path.write_bytes(csv_text(data).encode("cp1252"))
    path = delivery / "segments.csv"
    data = read_rows(path)
    data[0][data[0].index("phase")] = "Fase"
    data[0][data[0].index("polarity")] = "Polaritet"
    path.write_text(csv_text(data), encoding="utf-8")
    path = delivery / "reported_figures.csv"
    width = len(read_rows(path)[0])
    path.write_text(path.read_text(encoding="utf-8") + ("," * (width - 1) + "\n") * 3, "utf-8")

    printed = format_report(validate_directory(delivery))
    readme = (DEMO.parent / "README.md").read_text(encoding="utf-8")
    assert f"```text\n{printed}\n```" in readme
