"""The build audit (:mod:`coopstats.audit`, ``coopstats audit``, the audit step of ``build``).

The notebooks here are hand-made: one code cell per output, whose display_data carries HTML and
the disclosure record of :func:`coopstats.sdc.metadata` under :data:`coopstats.sdc.MIME_TYPE`,
as the executed pages of a build do.

The population has 2 units x 2 genders x 2 age groups; unit A has two women (a small cell).
Protected as the unit x gender table with margins, all four interior cells are hidden, so
that table alone is safe. A second page that splits A's men by age (5 + 5) publishes enough to
pin them (10), and with the shown margins every other hidden cell too.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from coopstats import audit, cli, sdc
from coopstats.sdc import Item, Key, make_key

POP = "deltakere"
CODES = {"unit": ["A", "B"], "gender": ["K", "M"], "age": ["ung", "eldre"]}
PEOPLE = [  # unit, gender, age, persons
    ("A", "K", "ung", 1),
    ("A", "K", "eldre", 1),
    ("A", "M", "ung", 5),
    ("A", "M", "eldre", 5),
    ("B", "K", "ung", 4),
    ("B", "K", "eldre", 4),
    ("B", "M", "ung", 5),
    ("B", "M", "eldre", 4),
]
A_K: Key = make_key({"unit": "A", "gender": "K"})
A_M: Key = make_key({"unit": "A", "gender": "M"})


def cell(**pairs: str) -> Item:
    return Item(make_key(pairs))


@pytest.fixture(scope="module")
def system() -> sdc.System:
    rows = [(u, g, a) for u, g, a, n in PEOPLE for _ in range(n)]
    frame = pd.DataFrame(rows, columns=["unit", "gender", "age"])
    return sdc.System.from_microdata(POP, frame, CODES, [("unit", "gender", "age")])


TABLE = [
    cell(),
    *(cell(unit=u) for u in "AB"),
    *(cell(gender=g) for g in "KM"),
    *(cell(unit=u, gender=g) for u in "AB" for g in "KM"),
]
UNIT_A = [cell(unit="A"), cell(unit="A", gender="K"), cell(unit="A", gender="M")]
SPLIT_A_M = [cell(unit="A", gender="M", age=a) for a in ("ung", "eldre")]


@pytest.fixture(scope="module")
def hidden(system: sdc.System) -> set[Key]:
    table = sdc.System(POP, system.codes, system.tables, system.values)
    table.add(TABLE)
    out = sdc.protect(table, 5)
    assert A_K in out and A_M in out  # the premise of the leak below
    return out


def write_page(directory: Path, name: str, *records: Any) -> Path:
    """An executed notebook ``name`` with one display_data output per record."""
    directory.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    for rec in records:
        out = nbformat.v4.new_output(
            "display_data", data={"text/html": "<table></table>", sdc.MIME_TYPE: rec}
        )
        nb.cells.append(nbformat.v4.new_code_cell("plan.show(...)", outputs=[out]))
    path = directory / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def record(
    system: sdc.System, hidden: set[Key], items: list[Item], page: str, min_count: int = 5
) -> dict[str, Any]:
    return sdc.metadata(system, hidden, items, page=page, min_count=min_count)


@pytest.fixture
def clean(tmp_path: Path, system: sdc.System, hidden: set[Key]) -> Path:
    build = tmp_path / "_build" / "notebooks"
    write_page(build, "tabell", record(system, hidden, TABLE, "tabell"))
    # a list of records in one output, as a page with two tables writes
    write_page(build, "enhet-a", [record(system, hidden, UNIT_A, "enhet-a")])
    return build


@pytest.fixture
def leaky(clean: Path, system: sdc.System) -> Path:
    # protected on its own, the age split of A's men is safe (5 and 5), but it pins A's men
    write_page(clean, "alder", record(system, set(), SPLIT_A_M, "alder"))
    return clean


def test_clean_build_passes(clean: Path) -> None:
    report = audit.audit_build(clean)
    assert report.ok, [f.describe() for f in report.findings]
    assert report.pages_read == 2
    assert report.pages_with_metadata == 2
    assert [p.name for p in report.populations] == [POP]
    assert report.facts == len(TABLE)  # the unit page repeats cells of the table
    assert report.hidden == 4
    assert report.populations[0].min_count == 5
    assert report.seconds > 0
    lines = report.summary_lines()
    assert "2 sider lest" in lines[0]
    assert lines[-1].endswith("ingen feil.")


def test_a_page_that_pins_a_hidden_cell_fails_naming_both_pages(leaky: Path) -> None:
    report = audit.audit_build(leaky)
    assert not report.ok
    by_cell = {f.cell: f for f in report.findings}
    men = by_cell[A_M]
    assert men.kind == "audit"
    assert (men.failure.low, men.failure.high) == (10, 10)
    assert men.own == ("enhet-a", "tabell")  # the pages that hide it
    assert "alder" in men.related  # the page that splits it
    assert {"tabell", "alder"} <= set(men.pages)
    assert "tabell" in men.describe() and "alder" in men.describe()
    # through the shown margin of unit A, the small cell is pinned too
    women = by_cell[A_K]
    assert (women.failure.low, women.failure.high) == (2, 2)
    assert "tabell" in women.own
    failures = [line for line in report.summary_lines() if line.startswith("FEIL")]
    assert len(failures) == len(report.findings)
    assert any("unit=A" in line and "alder" in line for line in failures)


def test_a_cell_hidden_on_one_page_and_shown_on_another_fails(
    clean: Path, system: sdc.System
) -> None:
    write_page(clean, "uskjermet", record(system, set(), [cell(unit="A", gender="K")], "uskjermet"))
    report = audit.audit_build(clean)
    shown = [f for f in report.findings if f.kind == "hidden-shown"]
    assert [f.cell for f in shown] == [A_K]
    assert "skjult på enhet-a, tabell" in shown[0].message
    assert "2 på uskjermet" in shown[0].message


def test_two_numbers_for_one_cell_fail(clean: Path, system: sdc.System) -> None:
    rec = record(system, set(), [cell(unit="A")], "gammel")
    rec["facts"][0]["value"] += 1
    write_page(clean, "gammel", rec)
    report = audit.audit_build(clean)
    assert [f.kind for f in report.findings] == ["numbers"]
    assert report.findings[0].cell == make_key({"unit": "A"})


def test_failed_and_temporary_notebooks_are_not_read(clean: Path, system: sdc.System) -> None:
    leak = record(system, set(), SPLIT_A_M, "alder")
    write_page(clean, "alder.failed", leak)
    write_page(clean, ".alder.123-0.tmp", leak)
    report = audit.audit_build(clean)
    assert report.ok
    assert report.pages_read == 2


def test_pages_without_metadata_are_read_but_a_build_without_any_is_an_error(
    tmp_path: Path, clean: Path
) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Aktiviteter")]
    nbformat.write(nb, clean / "aktivitet.ipynb")
    report = audit.audit_build(clean)
    assert (report.pages_read, report.pages_with_metadata) == (3, 2)

    empty = tmp_path / "uten"
    empty.mkdir()
    nbformat.write(nb, empty / "aktivitet.ipynb")
    with pytest.raises(audit.AuditError, match="ingen personvernmetadata funnet i .*coopstats run"):
        audit.audit_build(empty)


def test_min_count_from_records_the_largest_when_they_disagree(
    tmp_path: Path, system: sdc.System, hidden: set[Key]
) -> None:
    build = tmp_path / "nb"
    write_page(build, "tabell", record(system, hidden, TABLE, "tabell", min_count=5))
    write_page(build, "enhet-a", record(system, hidden, UNIT_A, "enhet-a", min_count=3))
    report = audit.audit_build(build)
    assert report.populations[0].min_count == 5
    assert any("ulike min_count (3, 5)" in n and "den største, 5" in n for n in report.notes)
    # --min-count wins, and says so
    report = audit.audit_build(build, min_count=8)
    assert report.populations[0].min_count == 8
    assert any("--min-count" in n for n in report.notes)


def test_the_threshold_matters(tmp_path: Path, system: sdc.System) -> None:
    # unit A's two women hidden alone on a page without A's total: 1..10 at min_count 5 is
    # fine, but at 12 every value it can take is below the threshold (provably small), and
    # the 10 women shown are a small count too
    build = tmp_path / "nb"
    items = [cell(gender="K"), cell(unit="A", gender="K")]
    write_page(build, "kvinner", record(system, {A_K}, items, "kvinner"))
    assert audit.audit_build(build).ok
    report = audit.audit_build(build, min_count=12)
    assert [(f.kind, f.cell) for f in report.findings] == [
        ("shown-small", make_key({"gender": "K"})),
        ("audit", A_K),
    ]
    assert report.findings[1].failure.reason == "bevislig liten"


def test_pages_with_two_code_lists_are_reported_not_audited(
    clean: Path, system: sdc.System
) -> None:
    rec = record(system, set(), SPLIT_A_M, "alder")
    rec["codes"]["gender"] = ["K", "M", "_mangler"]
    write_page(clean, "alder", rec)
    report = audit.audit_build(clean)
    assert [f.kind for f in report.findings] == ["codes"]
    assert "variabelen gender" in report.findings[0].message
    assert set(report.findings[0].pages) == {"alder", "enhet-a", "tabell"}
    assert not report.populations[0].audited


# --------------------------------------------------------------------------- the command line


def test_cli_audit_exit_codes(
    tmp_path: Path, clean: Path, system: sdc.System, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "--build", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "Personvernrevisjon" in out and "ingen feil" in out

    write_page(clean, "alder", record(system, set(), SPLIT_A_M, "alder"))
    assert cli.main(["audit", "--build", str(clean)]) == 1
    out = capsys.readouterr().out
    assert sum(line.startswith("FEIL") for line in out.splitlines()) >= 2
    assert "alder" in out
    # at a threshold of 1 nothing is protected, yet pinned hidden cells still fail
    assert cli.main(["audit", "--build", str(clean), "--min-count", "1"]) == 1

    assert cli.main(["audit", "--build", str(tmp_path / "finnes-ikke")]) == 2
    assert "fant ikke mappen" in capsys.readouterr().err
    (tmp_path / "tom").mkdir()
    assert cli.main(["audit", "--build", str(tmp_path / "tom")]) == 2
    assert "ingen kjørte notatbøker" in capsys.readouterr().err


def _project(tmp_path: Path) -> Path:
    """A project root without runs.yaml: the built-in matrix, output in _build/notebooks."""
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    (tmp_path / "notebooks" / "fylke.ipynb").write_text("{}", encoding="utf-8")
    return tmp_path


def test_cli_audit_finds_the_build_of_the_project(
    tmp_path: Path, clean: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root = _project(tmp_path)
    (root / "reports").mkdir()
    monkeypatch.chdir(root / "reports")
    assert cli.main(["audit"]) == 0
    assert str(root / "_build" / "notebooks") in capsys.readouterr().out


def test_cli_audit_without_a_build_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    assert cli.main(["audit"]) == 2
    assert "kjør coopstats run først" in capsys.readouterr().err


@pytest.mark.parametrize(("leak", "code"), [(False, 0), (True, 1)])
def test_build_audits_after_the_batch_and_renders_only_when_it_passes(
    tmp_path: Path,
    clean: Path,
    system: sdc.System,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    leak: bool,
    code: int,
) -> None:
    steps: list[str] = []

    def run(args: Any) -> int:
        steps.append("run")
        if leak:
            write_page(clean, "alder", record(system, set(), SPLIT_A_M, "alder"))
        return 0

    monkeypatch.setattr(cli, "_cmd_validate", lambda args: steps.append("validate") or 0)
    monkeypatch.setattr(cli, "_cmd_run", run)
    monkeypatch.setattr(cli, "_cmd_render", lambda args: steps.append("render") or 0)
    monkeypatch.chdir(_project(tmp_path))
    assert cli.main(["build", "--data", str(tmp_path)]) == code
    expected = ["validate", "run"] if leak else ["validate", "run", "render"]
    assert steps == expected
    if leak:
        assert "ingenting er rendret" in capsys.readouterr().err


# --------------------------------------------------------------------------- row-label N


def test_a_row_label_n_shown_while_its_margin_is_hidden_is_caught(
    tmp_path: Path, system: sdc.System
) -> None:
    """A table hides unit A's margin, but its row label «A (N = 12)» prints the same cell.
    The audit reports the cell as hidden and shown, and, knowing A, the integer program pins
    A's two women (12 - 10 men)."""
    a = make_key({"unit": "A"})
    hidden = {A_K, a, make_key({"gender": "K"}), ()}  # A's men, B and the M margin shown
    assert sdc.audit(_table_system(system), hidden, 5) == []  # the table alone is safe
    rec = record(system, hidden, TABLE, "tabell")
    rec["facts"] += record(system, set(), [cell(unit="A")], "tabell")["facts"]  # the label
    build = tmp_path / "nb"
    write_page(build, "tabell", rec)

    report = audit.audit_build(build)

    by_kind = {(f.kind, f.cell): f for f in report.findings}
    label = by_kind[("hidden-shown", a)]
    assert "skjult på tabell" in label.message and "12 på tabell" in label.message
    women = by_kind[("audit", A_K)].failure
    assert (women.low, women.high) == (2, 2)


def _table_system(system: sdc.System) -> sdc.System:
    table = sdc.System(POP, system.codes, system.tables, system.values)
    table.add(TABLE)
    return table


# --------------------------------------------------------------------------- thresholds

THRESHOLDS = [3, 5, 10, 15]


def _unit_gender(counts: dict[tuple[str, str], int]) -> sdc.System:
    rows = [(u, g) for (u, g), n in counts.items() for _ in range(n)]
    frame = pd.DataFrame(rows, columns=["unit", "gender"])
    codes = {"unit": ["A", "B"], "gender": ["K", "M"]}
    return sdc.System.from_microdata(POP, frame, codes, [("unit", "gender")])


@pytest.mark.parametrize("t", THRESHOLDS)
def test_a_hidden_cell_is_provably_small_exactly_below_the_threshold(
    tmp_path: Path, t: int
) -> None:
    """A page shows all women and ':' for the one woman of unit A: she can be anything from
    1 to the number of women, so she is safe when there are t women and provably small when
    there are t - 1 (and then the t - 1 women shown are a small count themselves)."""
    for women, ok in ((t, True), (t - 1, False)):
        pop = _unit_gender({("A", "K"): 1, ("B", "K"): women - 1, ("A", "M"): 7, ("B", "M"): 9})
        items = [cell(gender="K"), cell(unit="A", gender="K")]
        build = tmp_path / f"{t}-{women}"
        write_page(build, "kvinner", record(pop, {A_K}, items, "kvinner", min_count=t))
        report = audit.audit_build(build)
        assert report.populations[0].min_count == t
        assert report.ok is ok, (women, [f.describe() for f in report.findings])
        if not ok:
            small, finding = report.findings
            assert (small.kind, small.cell) == ("shown-small", make_key({"gender": "K"}))
            assert finding.cell == A_K and finding.failure.reason == "bevislig liten"
            assert (finding.failure.low, finding.failure.high) == (1, t - 1)


@pytest.mark.parametrize("t", THRESHOLDS)
def test_a_hidden_cell_known_to_within_two_values_is_caught(tmp_path: Path, t: int) -> None:
    """Shown: unit A = t + 2, women = t + 2, men = 3; all four unit x gender cells hidden.
    Then B = (t + 2) + 3 - (t + 2) = 3, A's men are at most 3 - 1 = 2, so A's women are at
    least t and at most t + 1: never provably small at t, but pinned to two values."""
    pop = _unit_gender({("A", "K"): t, ("A", "M"): 2, ("B", "K"): 2, ("B", "M"): 1})
    interior = [cell(unit=u, gender=g) for u in "AB" for g in "KM"]
    items = [cell(unit="A"), cell(gender="K"), cell(gender="M"), *interior]
    hidden = {it.cell for it in interior}
    build = tmp_path / "nb"
    write_page(build, "tabell", record(pop, hidden, items, "tabell", min_count=t))
    report = audit.audit_build(build)
    women = {f.cell: f.failure for f in report.findings}[A_K]
    assert (women.low, women.high, women.reason) == (t, t + 1, "bestemt")


def _synthetic_population() -> sdc.System:
    """67 persons in three units, with gender and three age groups (a fixed random draw)."""
    import random

    rng = random.Random(2024)
    units, ages = ("nav-a", "nav-b", "nav-c"), ("15-29", "30-49", "50+")
    rows = [
        (u, rng.choice("KM"), rng.choice(ages))
        for u, n in zip(units, (14, 22, 31), strict=True)
        for _ in range(n)
    ]
    frame = pd.DataFrame(rows, columns=["unit", "gender", "age"])
    codes = {"unit": list(units), "gender": ["K", "M"], "age": list(ages)}
    return sdc.System.from_microdata(POP, frame, codes, [("unit", "gender"), ("unit", "age")])


def _pages(directory: Path, pop: sdc.System, hidden: set[Key], t: int) -> Path:
    """One page per unit (its cells and its share of women) and a page of the margins."""
    pages: dict[str, list[Item]] = {}
    for it in pop.items:
        pages.setdefault(dict(it.cell).get("unit", "alle"), []).append(it)
    for page, items in pages.items():
        write_page(directory, page, record(pop, hidden, items, page, min_count=t))
    return directory


@pytest.mark.parametrize("t", THRESHOLDS)
def test_protected_pages_pass_the_audit_at_every_threshold(tmp_path: Path, t: int) -> None:
    """A population protected at t and published on a page per unit plus a page of margins
    passes the audit at t (read from the pages), with every small published cell hidden; and
    showing any one of the further hidden cells again makes the audit at t fail."""
    pop = _synthetic_population()
    pop.add(Item(k) for k in pop.values)
    pop.add(
        Item(make_key({"unit": u, "gender": "K"}), "share", ((1, make_key({"unit": u})),))
        for u in pop.codes["unit"]
    )
    hidden = sdc.protect(pop, t, shared=("unit",))
    small = {k for k in pop.published_cells() if 1 <= pop.values[k] < t}
    assert small and small <= hidden and all(pop.values[k] > 0 for k in hidden)

    report = audit.audit_build(_pages(tmp_path / "nb", pop, hidden, t))
    assert report.ok, [f.describe() for f in report.findings]
    assert report.populations[0].min_count == t
    assert report.hidden == len(hidden)
    assert report.pages_read == 4

    extra = sorted(hidden - small)
    assert extra, "the secondary cells are what this test is about"
    for n, k in enumerate(extra):
        weaker = audit.audit_build(_pages(tmp_path / f"uten-{n}", pop, hidden - {k}, t))
        assert not weaker.ok, f"{k} shown again: the audit at {t} did not notice"
        assert all(f.kind == "audit" for f in weaker.findings)


# --------------------------------------------------------------------------- the report's text
#
# The findings, their texts and the summary are what the person running the build reads; the
# expected lines below are worked out by hand from the fixtures (see the module docstring).

FINISHED = r"Ferdig på \d+,\d s: "


def raw_page(
    directory: Path,
    name: str,
    facts: list[dict[str, Any]],
    codes: dict[str, list[str]] | None = None,
    population: str = POP,
    min_count: int | None = 5,
) -> Path:
    """A page with one hand-written disclosure record (``min_count=None``: none stated)."""
    rec: dict[str, Any] = {
        "population": population,
        "page": name,
        "codes": {"unit": ["A", "B"]} if codes is None else codes,
        "facts": facts,
    }
    if min_count is not None:
        rec["min_count"] = min_count
    return write_page(directory, name, rec)


def shown(value: int | None, shown_as: str = "count", **pairs: str) -> dict[str, Any]:
    """The JSON of one fact about the cell ``pairs``: a count, ``hidden`` or ``nil``."""
    out: dict[str, Any] = {"cell": [[v, c] for v, c in sorted(pairs.items())], "shown": shown_as}
    if value is not None:
        out["value"] = value
    return out


def share(shown_as: str, **pairs: str) -> dict[str, Any]:
    """A share of the cell ``pairs`` over the population total, hidden or nil."""
    return {**shown(None, shown_as, **pairs), "den": [[1, []]], "decimals": 0}


def test_the_report_of_a_leak_names_every_pinned_cell_and_its_pages(
    leaky: Path, system: sdc.System, hidden: set[Key]
) -> None:
    """Shown: total 29, A 12, B 17, K 10, M 19 and A's men by age 5 + 5. So A's men are 10,
    A's women 12 - 10 = 2 (small), B's men 19 - 10 = 9 and B's women 10 - 2 = 8. A page of
    the young (15, on no line through those cells) is read but never named."""
    write_page(leaky, "ung", record(system, hidden, [cell(age="ung")], "ung"))
    report = audit.audit_build(leaky)

    b_k, b_m = make_key({"unit": "B", "gender": "K"}), make_key({"unit": "B", "gender": "M"})
    assert [(f.kind, f.cell, f.own, f.related) for f in report.findings] == [
        ("audit", A_K, ("enhet-a", "tabell"), ("enhet-a", "tabell")),
        ("audit", b_k, ("tabell",), ("enhet-a", "tabell")),
        ("audit", A_M, ("enhet-a", "tabell"), ("alder", "enhet-a", "tabell")),
        ("audit", b_m, ("tabell",), ("enhet-a", "tabell")),
    ]
    assert [f.population for f in report.findings] == [POP] * 4
    assert report.findings[2].pages == ("enhet-a", "tabell", "alder")
    assert [(f.failure.low, f.failure.high, f.failure.reason) for f in report.findings] == [
        (2, 2, "bevislig liten"),
        (8, 8, "bestemt"),
        (10, 10, "bestemt"),
        (9, 9, "bestemt"),
    ]
    lines = report.summary_lines()
    assert lines[:-1] == [
        f"Personvernrevisjon av {leaky}: 4 sider lest, 4 med personvernmetadata",
        "  deltakere: 4 sider, 12 tall, 4 skjulte celler, min_count 5: 4 feil",
        "FEIL deltakere: gender=K, unit=A ligger mellom 2 og 2 (bevislig liten); "
        "cellen står på: enhet-a, tabell",
        "FEIL deltakere: gender=K, unit=B ligger mellom 8 og 8 (bestemt); "
        "cellen står på: tabell; celler på samme linjer står på: enhet-a",
        "FEIL deltakere: gender=M, unit=A ligger mellom 10 og 10 (bestemt); "
        "cellen står på: enhet-a, tabell; celler på samme linjer står på: alder",
        "FEIL deltakere: gender=M, unit=B ligger mellom 9 og 9 (bestemt); "
        "cellen står på: tabell; celler på samme linjer står på: enhet-a",
    ]
    assert re.fullmatch(FINISHED + r"4 feil\.", lines[-1])


def test_the_report_of_a_clean_build_of_one_page(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "enheter", [shown(20), shown(12, unit="A"), shown(8, unit="B")])
    before = time.perf_counter()
    report = audit.audit_build(build)
    took = time.perf_counter() - before
    assert 0 < report.seconds <= took
    lines = report.summary_lines()
    assert lines[:-1] == [
        f"Personvernrevisjon av {build}: 1 side lest, 1 med personvernmetadata",
        "  deltakere: 1 side, 3 tall, 0 skjulte celler, min_count 5: ingen feil",
    ]
    assert re.fullmatch(FINISHED + r"ingen feil\.", lines[-1])
    assert report.notes == []


def test_the_summary_of_the_seconds_uses_a_decimal_comma(tmp_path: Path) -> None:
    report = audit.AuditReport(tmp_path, 0, 0, [], [], seconds=12.34)
    assert report.summary_lines()[-1] == "Ferdig på 12,3 s: ingen feil."


def test_each_population_is_summed_up_on_its_own(
    clean: Path, system: sdc.System, hidden: set[Key]
) -> None:
    """«ansatte»: the total 20 with A and B hidden on a1, A = 12 shown on a2 (so B = 8 is
    pinned); «deltakere»: pages of two code lists for gender (not audited); «veiledere»: one
    page, nothing hidden."""
    raw_page(
        clean,
        "a1",
        [shown(20), shown(None, "hidden", unit="A"), shown(None, "hidden", unit="B")],
        population="ansatte",
    )
    raw_page(clean, "a2", [shown(12, unit="A")], population="ansatte")
    rec = record(system, set(), SPLIT_A_M, "alder")
    rec["codes"]["gender"] = ["K", "M", "_mangler"]
    write_page(clean, "alder", rec)
    raw_page(
        clean, "v1", [shown(20), shown(12, unit="A"), shown(8, unit="B")], population="veiledere"
    )

    report = audit.audit_build(clean)

    assert [(p.name, p.audited) for p in report.populations] == [
        ("ansatte", True),
        ("deltakere", False),
        ("veiledere", True),
    ]
    assert [(f.population, f.kind, f.cell) for f in report.findings] == [
        ("ansatte", "hidden-shown", make_key({"unit": "A"})),
        ("ansatte", "audit", make_key({"unit": "B"})),
        ("deltakere", "codes", ()),
    ]
    lines = report.summary_lines()
    assert lines[:-1] == [
        f"Personvernrevisjon av {clean}: 6 sider lest, 6 med personvernmetadata",
        "  ansatte: 2 sider, 4 tall, 2 skjulte celler, min_count 5: 2 feil",
        "  deltakere: 3 sider, 11 tall, 0 skjulte celler, min_count 5: ikke revidert",
        "  veiledere: 1 side, 3 tall, 0 skjulte celler, min_count 5: ingen feil",
        "FEIL ansatte: unit=A: skjult på én side, men vist på en annen (skjult på a1; 12 på a2); "
        "cellen står på: a1, a2",
        "FEIL ansatte: unit=B ligger mellom 8 og 8 (bestemt); cellen står på: a1; "
        "celler på samme linjer står på: a2",
        "FEIL deltakere: variabelen gender har ulike koder på ulike sider "
        "(['K', 'M', '_mangler'] på alder; ['K', 'M'] på enhet-a, tabell); "
        "sidene er ikke fra samme kjøring; sider: alder, enhet-a, tabell",
    ]
    assert re.fullmatch(FINISHED + r"3 feil\.", lines[-1])
    assert report.facts == 4 + 11 + 3
    assert report.hidden == 2


def test_a_population_of_one_hidden_cell_says_so_in_the_singular(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p", [shown(None, "hidden", unit="A")])
    raw_page(build, "q", [shown(None, "hidden", unit="A")])
    report = audit.audit_build(build)
    assert report.ok
    assert report.summary_lines()[1] == (
        "  deltakere: 2 sider, 1 tall, 1 skjult celle, min_count 5: ingen feil"
    )


def test_pages_of_two_deliveries_are_reported_with_their_code_lists(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    codes = {"unit": ["1", "2"], "gender": ["K", "M"]}
    raw_page(build, "gammel", [shown(20, unit="1"), shown(9, gender="K")], codes=codes)
    raw_page(build, "ny", [shown(20, unit="1")], codes={"unit": ["1", "2", "3"]})
    raw_page(build, "nyere", [shown(20, unit="1")], codes={"unit": ["1", "2", "3"]})
    report = audit.audit_build(build)
    (finding,) = report.findings
    assert (finding.population, finding.kind, finding.cell) == (POP, "codes", ())
    assert finding.own == ("gammel", "ny", "nyere")
    assert finding.describe() == (
        "deltakere: variabelen unit har ulike koder på ulike sider "
        "(['1', '2'] på gammel; ['1', '2', '3'] på ny, nyere); "
        "sidene er ikke fra samme kjøring; sider: gammel, ny, nyere"
    )
    assert report.populations == [
        audit.PopulationSummary(POP, 3, 2, 0, 5, audited=False)  # 20 for unit 1 counted once
    ]
    assert report.populations[0].audited is False


def test_a_variable_without_codes_is_reported(tmp_path: Path) -> None:
    """A page about gender and age whose record lists only the codes of unit."""
    build = tmp_path / "nb"
    raw_page(build, "y", [shown(12, unit="A")])
    raw_page(build, "x", [shown(7, unit="A", gender="K", age="ung")])
    report = audit.audit_build(build)
    (finding,) = report.findings
    assert (finding.population, finding.kind, finding.cell, finding.own) == (
        POP,
        "codes",
        (),
        ("x", "y"),
    )
    assert finding.describe() == (
        "deltakere: personvernmetadata mangler kodene til age, gender; sider: x, y"
    )


def test_published_numbers_that_contradict_each_other_cannot_be_audited(
    clean: Path, system: sdc.System, hidden: set[Key]
) -> None:
    """B is 17; a table that says 18 makes A + B = 30 while the total is 29."""
    rec = record(system, hidden, TABLE, "tabell")
    b = [f for f in rec["facts"] if f["cell"] == [["unit", "B"]]]
    assert [f["value"] for f in b] == [17]
    b[0]["value"] = 18
    write_page(clean, "tabell", rec)
    report = audit.audit_build(clean)
    (finding,) = report.findings
    assert (finding.population, finding.kind, finding.cell, finding.own) == (
        POP,
        "infeasible",
        (),
        ("enhet-a", "tabell"),
    )
    assert finding.describe() == (
        "deltakere: de publiserte tallene kan ikke revideres (disclosure audit: the published "
        "facts contradict each other); sider: enhet-a, tabell"
    )


def test_a_cell_that_no_page_shows_but_the_others_pin_is_reported(tmp_path: Path) -> None:
    """Total 20 and A 10 shown on one page, B 8 on another: C, on no page, is 2."""
    build = tmp_path / "nb"
    codes = {"unit": ["A", "B", "C"]}
    raw_page(build, "u1", [shown(20), shown(10, unit="A")], codes=codes)
    raw_page(build, "u2", [shown(8, unit="B")], codes=codes)
    report = audit.audit_build(build)
    (finding,) = report.findings
    assert (finding.kind, finding.cell, finding.own, finding.related) == (
        "audit",
        make_key({"unit": "C"}),
        (),
        ("u1", "u2"),
    )
    assert finding.describe() == (
        "deltakere: unit=C ligger mellom 2 og 2 (upublisert, bevislig liten); "
        "cellen er ikke publisert; celler på samme linjer står på: u1, u2"
    )


# --------------------------------------------------------------------------- between pages


def test_a_cell_hidden_on_one_page_and_zero_on_another(tmp_path: Path) -> None:
    """':' promises at least one, '-' says zero: the pages disagree (and no table fits)."""
    build = tmp_path / "nb"
    raw_page(build, "n1", [shown(None, "nil", unit="A")])
    raw_page(build, "n2", [shown(None, "hidden", unit="A"), shown(9, unit="B")])
    report = audit.audit_build(build)
    assert [(f.kind, f.cell, f.own) for f in report.findings] == [
        ("hidden-shown", make_key({"unit": "A"}), ("n1", "n2")),
        ("infeasible", (), ("n1", "n2")),
    ]
    assert report.findings[0].describe() == (
        "deltakere: unit=A: skjult på én side, men vist på en annen (skjult på n2; 0 på n1); "
        "cellen står på: n1, n2"
    )


def test_a_cell_zero_on_one_page_and_a_number_on_another(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "n1", [shown(None, "nil", unit="A"), shown(9, unit="B")])
    raw_page(build, "n2", [shown(7, unit="A")])
    raw_page(build, "n3", [shown(7, unit="A")])
    report = audit.audit_build(build)
    assert [(f.kind, f.cell, f.own) for f in report.findings] == [
        ("numbers", make_key({"unit": "A"}), ("n1", "n2", "n3")),
    ]
    assert report.findings[0].message == "deltakere: unit=A: ulike tall (0 på n1; 7 på n2, n3)"


def test_two_numbers_and_a_hidden_one_for_one_cell(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p1", [shown(7, unit="B"), shown(None, "hidden", unit="A")])
    raw_page(build, "p2", [shown(9, unit="B")])
    raw_page(build, "p3", [shown(None, "hidden", unit="B")])
    report = audit.audit_build(build)
    assert [(f.kind, f.cell, f.own) for f in report.findings] == [
        ("numbers", make_key({"unit": "B"}), ("p1", "p2", "p3")),
    ]
    assert report.findings[0].message == (
        "deltakere: unit=B: ulike tall (skjult på p3; 7 på p1; 9 på p2)"
    )


def test_two_numbers_for_one_cell_are_named_with_their_pages(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p1", [shown(7, unit="B")])
    raw_page(build, "p2", [shown(9, unit="B")])
    (finding,) = audit.audit_build(build).findings
    assert finding.describe() == (
        "deltakere: unit=B: ulike tall (7 på p1; 9 på p2); cellen står på: p1, p2"
    )


def test_a_share_hidden_on_one_page_hides_its_cell(tmp_path: Path) -> None:
    """A share ':' hides its numerator as a count ':' does, and '-' says it is zero: a page
    that prints the count is as inconsistent with it as with a hidden count."""
    build = tmp_path / "nb"
    raw_page(build, "andeler", [shown(20), share("hidden", unit="A"), share("nil", unit="B")])
    raw_page(build, "antall", [shown(12, unit="A"), shown(8, unit="B")])
    report = audit.audit_build(build)
    assert [(f.kind, f.cell, f.own) for f in report.findings] == [
        ("hidden-shown", make_key({"unit": "A"}), ("andeler", "antall")),
        ("numbers", make_key({"unit": "B"}), ("andeler", "antall")),
    ]
    assert [f.message for f in report.findings] == [
        "deltakere: unit=A: skjult på én side, men vist på en annen (skjult på andeler; "
        "12 på antall)",
        "deltakere: unit=B: ulike tall (0 på andeler; 8 på antall)",
    ]


# --------------------------------------------------------------------------- small counts shown


@pytest.mark.parametrize("t", [3, 5, 10])
def test_a_small_count_shown_is_reported_on_its_own(tmp_path: Path, t: int) -> None:
    """A count of 1..t-1 printed in the clear fails the audit at t even when it pins nothing;
    t itself, zero ('-' or a count of 0) and hidden cells do not."""
    build = tmp_path / "nb"
    big = {"unit": ["A", "B", "C", "D", "E"]}
    raw_page(
        build,
        "p1",
        [shown(t - 1, unit="A"), shown(t, unit="B"), shown(0, unit="C")],
        codes=big,
        min_count=t,
    )
    raw_page(
        build, "p2", [shown(1, unit="D"), shown(None, "nil", unit="E")], codes=big, min_count=t
    )
    raw_page(build, "p3", [shown(t - 1, unit="A")], codes=big, min_count=t)
    report = audit.audit_build(build)
    assert not report.ok
    assert [(f.population, f.kind, f.cell, f.own) for f in report.findings] == [
        (POP, "shown-small", make_key({"unit": "A"}), ("p1", "p3")),
        (POP, "shown-small", make_key({"unit": "D"}), ("p2",)),
    ]
    assert [f.describe() for f in report.findings] == [
        f"deltakere: unit=A: {t - 1} er vist, men er færre enn {t}; cellen står på: p1, p3",
        f"deltakere: unit=D: 1 er vist, men er færre enn {t}; cellen står på: p2",
    ]
    # at a threshold of 1 nothing is small
    assert audit.audit_build(build, min_count=1).ok


def test_a_small_count_shown_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p", [shown(2, unit="A"), shown(9, unit="B")])
    assert cli.main(["audit", "--build", str(build)]) == 1
    assert "FEIL deltakere: unit=A: 2 er vist, men er færre enn 5" in capsys.readouterr().out


# --------------------------------------------------------------------------- thresholds


def test_pages_that_state_no_threshold_are_audited_at_the_default(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p", [shown(4, unit="A"), shown(9, unit="B")], min_count=None)
    report = audit.audit_build(build)
    assert report.populations[0].min_count == 5
    assert report.notes == ["deltakere: sidene oppgir ingen min_count; revisjonen bruker 5"]
    assert "Merk: deltakere: sidene oppgir ingen min_count; revisjonen bruker 5" in (
        report.summary_lines()
    )
    assert [f.kind for f in report.findings] == ["shown-small"]  # 4 < 5
    # --min-count needs no note when the pages state nothing
    report = audit.audit_build(build, min_count=3)
    assert (report.populations[0].min_count, report.notes, report.ok) == (3, [], True)


def test_the_threshold_the_pages_state_needs_no_note(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p", [shown(4, unit="A")], min_count=3)
    raw_page(build, "q", [shown(9, unit="B")], min_count=3)
    for requested in (None, 3):
        report = audit.audit_build(build, min_count=requested)
        assert (report.populations[0].min_count, report.notes, report.ok) == (3, [], True)


def test_pages_that_disagree_about_the_threshold_are_noted(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    raw_page(build, "p", [shown(9, unit="A")], min_count=5)
    raw_page(build, "q", [shown(9, unit="B")], min_count=3)
    raw_page(build, "r", [shown(9, unit="B")], min_count=3)
    report = audit.audit_build(build)
    assert report.notes == [
        "deltakere: sidene oppgir ulike min_count (3, 5); revisjonen bruker den største, 5"
    ]
    report = audit.audit_build(build, min_count=8)
    assert report.notes == [
        "deltakere: sidene oppgir min_count 3, 5; revisjonen bruker 8 (--min-count)"
    ]
    assert report.populations[0].min_count == 8


# --------------------------------------------------------------------------- unreadable pages


def test_a_notebook_that_is_not_json_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "nb"
    raw_page(build, "god", [shown(9, unit="A")])
    bad = build / "halv.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    pattern = rf"{re.escape(str(bad))} er ikke en lesbar notatbok \(.+\); kjør coopstats run først"
    with pytest.raises(audit.AuditError) as caught:
        audit.audit_build(build)
    assert re.fullmatch(pattern, str(caught.value))
    assert cli.main(["audit", "--build", str(build)]) == 2
    assert re.fullmatch(f"coopstats audit: {pattern}\n", capsys.readouterr().err)


def test_a_notebook_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    build = tmp_path / "nb"
    bad = build / "latin1.ipynb"
    build.mkdir()
    bad.write_bytes('{"cells": [], "x": "Bodø"}'.encode("latin-1"))
    pattern = rf"{re.escape(str(bad))} er ikke en lesbar notatbok \(.+\); kjør coopstats run først"
    with pytest.raises(audit.AuditError) as caught:
        audit.audit_build(build)
    assert re.fullmatch(pattern, str(caught.value))


@pytest.mark.parametrize(
    ("left_out", "named"),
    [(("codes",), "codes"), (("population", "facts"), "population, facts")],
)
def test_a_record_without_its_parts_is_an_error(
    tmp_path: Path, left_out: tuple[str, ...], named: str
) -> None:
    build = tmp_path / "nb"
    rec = {"population": POP, "min_count": 5, "codes": {"unit": ["A"]}, "facts": []}
    path = write_page(build, "p", {k: v for k, v in rec.items() if k not in left_out})
    with pytest.raises(audit.AuditError) as caught:
        audit.audit_build(build)
    assert str(caught.value) == (
        f"{path}: personvernmetadata uten {named}; kjør coopstats run først"
    )


def test_the_build_of_a_project_is_found_from_a_folder_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prosjekt" / "reports").mkdir(parents=True)
    (tmp_path / "annet").mkdir()
    root = _project(tmp_path / "prosjekt")
    elsewhere = _project(tmp_path / "annet")
    monkeypatch.chdir(elsewhere)
    found = audit.default_build_dir(root / "reports")
    assert found.resolve() == (root / "_build" / "notebooks").resolve()
