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
    # fine, but at 12 every value it can take is below the threshold (provably small)
    build = tmp_path / "nb"
    items = [cell(gender="K"), cell(unit="A", gender="K")]
    write_page(build, "kvinner", record(system, {A_K}, items, "kvinner"))
    assert audit.audit_build(build).ok
    report = audit.audit_build(build, min_count=12)
    assert [f.cell for f in report.findings] == [A_K]
    assert report.findings[0].failure.reason == "bevislig liten"


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
    there are t - 1."""
    for women, ok in ((t, True), (t - 1, False)):
        pop = _unit_gender({("A", "K"): 1, ("B", "K"): women - 1, ("A", "M"): 7, ("B", "M"): 9})
        items = [cell(gender="K"), cell(unit="A", gender="K")]
        build = tmp_path / f"{t}-{women}"
        write_page(build, "kvinner", record(pop, {A_K}, items, "kvinner", min_count=t))
        report = audit.audit_build(build)
        assert report.populations[0].min_count == t
        assert report.ok is ok, (women, [f.describe() for f in report.findings])
        if not ok:
            (finding,) = report.findings
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
