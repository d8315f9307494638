"""Tests for the demo dataset (coopstats.demo).

The published-table checks recompute every cell of the seed 003 reference tables (copied to
``tests/fixtures/seed003``) with plain pandas from the generated CSV files, independently of the
generator's internals. Printed cells that cannot be reproduced are listed in
``DOCUMENTED_EXCEPTIONS`` with the reason (see data/demo/README.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from coopstats.demo import FILES, generate_demo, main

FIXTURES = Path(__file__).parent / "fixtures" / "seed003"
REPO = Path(__file__).resolve().parents[1]
SEEDS = {"seed-000": 2001, "seed-001": 1389, "seed-002": 532, "seed-003": 4358}

# (table file, row label, column) -> (printed, reproduced, reason)
DOCUMENTED_EXCEPTIONS = {
    ("t5_3.csv", "Total", "Norsk skriftlig B1 (%)"): (
        4,
        5,
        "C3: 3/65 = 4.6 % rounds to 5; no written split of 65 meets 28/68/4",
    ),
    ("t5_10.csv", "Total", "Sosialhjelp (%)"): (
        49,
        48,
        "C6: no count out of 66 gives 49 %; 32/66 = 48.5 %",
    ),
}
COUNTY = {"Oslo": "nav-oslo", "Vestland": "nav-vestland", "Øst-Viken": "nav-ost-viken"}

OCT = (pd.Timestamp("2023-10-01"), pd.Timestamp("2023-10-31"))
INTAKE_REF = pd.Timestamp("2023-09-15")
WINDOW = (pd.Timestamp("2018-01-01"), pd.Timestamp("2023-12-31"))


def pct(k: int, n: int) -> int:
    """Whole percent, rounded half up, with integer arithmetic."""
    return (200 * k + n) // (2 * n)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def data(demo_dir):
    p = pd.read_csv(demo_dir / "participants.csv", dtype={"person_id": str})
    s = pd.read_csv(demo_dir / "spells.csv", parse_dates=["start_date", "end_date"])
    return p, s


def persons_with(spells, kind, code, start, end) -> set[str]:
    """Persons with a spell of kind/code overlapping [start, end]."""
    m = (spells.kind == kind) & (spells.code == code) & (spells.start_date <= end)
    m &= spells.end_date.isna() | (spells.end_date >= start)
    return set(spells.loc[m, "person_id"])


def compute_cells(p: pd.DataFrame, s: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """Recompute every cell of the reference tables from participant and spell data."""
    cells: dict[tuple[str, str, str], int] = {}
    groups = {label: p[p.unit_id == unit] for label, unit in COUNTY.items()} | {"Total": p}
    age = 2023 - p.birth_year
    for label, g in groups.items():
        a = age[g.index]
        n = len(g)
        cells["t5_1.csv", label, "15-30 år (%)"] = pct(int((a <= 29).sum()), n)
        cells["t5_1.csv", label, "30-45 år (%)"] = pct(int(a.between(30, 44).sum()), n)
        cells["t5_1.csv", label, "45+ år (%)"] = pct(int((a >= 45).sum()), n)
        cells["t5_1.csv", label, "Gjennomsnitt (år)"] = int(a.mean() + 0.5)
        ids = set(g.person_id)
        worked = persons_with(s, "arbeid", "arbeid", *WINDOW)
        cells["t5_7.csv", label, "Andel (%)"] = pct(len(ids & worked), n)
        cells["t5_8.csv", label, "Andel (%)"] = pct(int(g.relevant_work_experience.sum()), n)
        october = set().union(
            *(
                persons_with(s, "ytelse", c, *OCT)
                for c in ("tiltakspenger", "dagpenger", "aap", "introduksjonsstonad")
            )
        )
        cells["t5_11.csv", label, "Andel (%)"] = pct(len(ids & october), n)
    n = len(p)
    residence = 2023 - p.immigration_year
    short = (residence <= 5) | (p.immigration_year.isna() & (p.short_residence_judged == True))  # noqa: E712
    for col, mask in (
        ("0-5 år (%)", short),
        ("5-10 år (%)", residence.between(6, 10)),
        ("10+ år (%)", residence.between(11, 15)),
        ("15+ år (%)", residence >= 16),
    ):
        cells["t5_2.csv", "Total", col] = pct(int(mask.sum()), n)
    written = p.norwegian_written.dropna()
    for level in ("A1", "A2", "B1"):
        cells["t5_3.csv", "Total", f"Norsk muntlig {level} (%)"] = pct(
            int((p.norwegian_oral == level).sum()), n
        )
        cells["t5_3.csv", "Total", f"Norsk skriftlig {level} (%)"] = pct(
            int((written == level).sum()), len(written)
        )
    # Cleaning rule (L520-522): started higher education abroad, nothing completed -> VGO.
    rule = (
        (p.education_completed == "ingen")
        & (p.education_started == "hoyere")
        & (p.education_started_country == "utland")
    )
    completed = p.education_completed.where(~rule, "vgo")
    for col, level in (
        ("Grunnskole (%)", "grunnskole"),
        ("VGO (%)", "vgo"),
        ("Høyere utdanning (%)", "hoyere"),
        ("Ikke fullført (%)", "ingen"),
    ):
        cells["t5_4.csv", "Total", col] = pct(int((completed == level).sum()), n)
    for col, level in (
        ("Grunnskole (%)", "grunnskole"),
        ("VGO (%)", "vgo"),
        ("Høyere utdanning (%)", "hoyere"),
    ):
        cells["t5_5.csv", "Total", col] = pct(int((p.education_started == level).sum()), n)
    for col, code in (
        ("Opplæringstiltak (%)", "opplaering"),
        ("Arbeidspraksis (%)", "arbeidspraksis"),
        ("Oppfølging (%)", "oppfolging"),
    ):
        cells["t5_9.csv", "Total", col] = pct(len(persons_with(s, "tiltak", code, *WINDOW)), n)
    for col, code in (
        ("Tiltakspenger (%)", "tiltakspenger"),
        ("Dagpenger (%)", "dagpenger"),
        ("Introduksjonsstønad (%)", "introduksjonsstonad"),
        ("Kvalifiseringsstønad (%)", "kvalifiseringsstonad"),
        ("Sosialhjelp (%)", "sosialhjelp"),
    ):
        cells["t5_10.csv", "Total", col] = pct(len(persons_with(s, "ytelse", code, *WINDOW)), n)
    return cells


def published_cells() -> dict[tuple[str, str, str], int]:
    cells = {}
    for path in sorted(FIXTURES.glob("t5_*.csv")):
        table = pd.read_csv(path)
        label_col = table.columns[0]
        for _, row in table.iterrows():
            for col in table.columns[2:]:
                cells[path.name, row[label_col], col] = int(row[col])
    return cells


def test_every_published_cell_is_reproduced(data):
    p, s = data
    computed = compute_cells(p, s)
    published = published_cells()
    assert len(published) == 53  # 10 tables; every printed cell is checked
    assert set(computed) == set(published)
    mismatches = {}
    for key, printed in published.items():
        if key in DOCUMENTED_EXCEPTIONS:
            exp_printed, exp_reproduced, _ = DOCUMENTED_EXCEPTIONS[key]
            assert printed == exp_printed
            assert computed[key] == exp_reproduced, key
        elif computed[key] != printed:
            mismatches[key] = (printed, computed[key])
    assert not mismatches


@pytest.mark.parametrize("seed", [1, 7, 99])
def test_other_seeds_reproduce_the_same_cells(tmp_path, seed):
    generate_demo(tmp_path, seed=seed)
    p = pd.read_csv(tmp_path / "participants.csv")
    s = pd.read_csv(tmp_path / "spells.csv", parse_dates=["start_date", "end_date"])
    computed = compute_cells(p, s)
    for key, printed in published_cells().items():
        expected = DOCUMENTED_EXCEPTIONS.get(key, (None, printed))[1]
        assert computed[key] == expected, (seed, key)


def test_intext_numbers(data):
    p, s = data
    n = len(p)
    by = {u: p[p.unit_id == u] for u in COUNTY.values()}
    # Gender per county and total (L3544-3560)
    women = {u: pct(int((g.gender == "K").sum()), len(g)) for u, g in by.items()}
    assert women == {"nav-oslo": 92, "nav-vestland": 79, "nav-ost-viken": 73}
    assert pct(int((p.gender == "K").sum()), n) == 82
    # Children (L3562-3564)
    assert pct(int((p.children_under_18 > 0).sum()), n) == 77
    assert pct(int((p.children_under_18 >= 3).sum()), n) == 30
    # Countries (L3598-3602)
    counts = p.country_background.value_counts()
    assert len(counts) == 24
    assert pct(int(counts["Syria"]), n) == 12 and pct(int(counts["Etiopia"]), n) == 12
    assert pct(int(counts["Pakistan"]), n) == 11
    assert list(counts.index[:3].sort_values()) == ["Etiopia", "Pakistan", "Syria"]
    assert 2 <= counts["Ukraina"] <= 4
    # Mean age Oslo 40 (L4038), Øst-Viken under 30 = 42 % (L3570)
    age = 2023 - p.birth_year
    assert round(age[by["nav-oslo"].index].mean()) == 40
    assert pct(int((age[by["nav-ost-viken"].index] < 30).sum()), 26) == 42
    # Exits: 62 left in December 2023 (L3538-3540)
    exits = pd.to_datetime(p.exit_date)
    assert int((exits <= "2023-12-31").sum()) == 4
    assert (exits.dropna() > pd.to_datetime(p.intake_date[exits.notna()])).all()
    # Residence: Oslo minimum 3 years (L3942); one missing year judged short (L516-520)
    assert (2023 - by["nav-oslo"].immigration_year).min() >= 3
    missing = p[p.immigration_year.isna()]
    assert len(missing) == 1 and bool(missing.short_residence_judged.iloc[0])
    assert int(p.norwegian_written.isna().sum()) == 1
    # Introduction benefit at start (September 2023) and in October (L3934-3938, L4012)
    intro_sep = persons_with(s, "ytelse", "introduksjonsstonad", INTAKE_REF, INTAKE_REF)
    shares = {u: pct(len(set(g.person_id) & intro_sep), len(g)) for u, g in by.items()}
    assert shares == {"nav-oslo": 0, "nav-vestland": 29, "nav-ost-viken": 42}
    assert pct(len(intro_sep), n) == 23
    assert pct(len(persons_with(s, "ytelse", "introduksjonsstonad", *OCT)), n) == 23
    assert pct(len(persons_with(s, "ytelse", "tiltakspenger", *OCT)), n) == 39
    # Register statuses (L3787-3791, L3870-3872)
    for code, ever, at_intake in (("nedsatt_arbeidsevne", 56, 52), ("arbeidssoker", 56, 32)):
        assert pct(len(persons_with(s, "status", code, *WINDOW)), n) == ever
        assert pct(len(persons_with(s, "status", code, INTAKE_REF, INTAKE_REF)), n) == at_intake
    assert pct(len(persons_with(s, "status", "helt_ledig", *WINDOW)), n) == 64
    assert pct(len(persons_with(s, "status", "delvis_ledig", *WINDOW)), n) == 18
    # Work (L3775-3783): 39 % in 2023, 42 % of them full-time, mean 25 months
    work = s[(s.kind == "arbeid") & (s.start_date <= WINDOW[1])]  # follow-up starts in 2024
    in_2023 = persons_with(s, "arbeid", "arbeid", pd.Timestamp("2023-01-01"), WINDOW[1])
    assert pct(len(in_2023), n) == 39
    w23 = work[(work.end_date >= "2023-01-01") & work.person_id.isin(in_2023)]
    assert pct(len(set(w23.loc[w23.full_time == True, "person_id"])), len(in_2023)) == 42  # noqa: E712
    months = ((work.end_date - work.start_date).dt.days + 1) / (365.25 / 12)
    assert round(months.groupby(work.person_id).sum().mean()) == 25
    # Measures in 2023 before the start (L3912) and "samtlige" had a measure (L3895)
    year = (pd.Timestamp("2023-01-01"), pd.Timestamp("2023-08-20"))
    assert pct(len(persons_with(s, "tiltak", "opplaering", *year)), n) == 24
    assert pct(len(persons_with(s, "tiltak", "arbeidspraksis", *year)), n) == 15
    assert s[s.kind == "tiltak"].person_id.nunique() == n
    # Pre-trial measures end before intake; social assistance and KVP end by 2022 (L4008-4010)
    t = s[s.kind == "tiltak"].merge(p[["person_id", "intake_date"]], on="person_id")
    assert (t.end_date < pd.to_datetime(t.intake_date)).all()
    late = s[s.code.isin(["sosialhjelp", "kvalifiseringsstonad"])]
    assert (late.end_date <= "2022-12-31").all()
    # Started education: Vestland 64 %, Oslo 31 % (L3737)
    started = p.education_started.isin(["grunnskole", "vgo", "hoyere"])
    assert pct(int(started[by["nav-vestland"].index].sum()), 14) == 64
    assert pct(int(started[by["nav-oslo"].index].sum()), 26) == 31
    # Education and language (L3654-3656, L3712, L3716, L3753-3755, fn 9)
    assert (p.loc[p.education_completed == "ingen", "education_started"] != "ingen").all()
    assert (
        p.loc[p.education_completed.isin(["vgo", "hoyere"]), "education_completed_country"]
        == "utland"
    ).all()
    high = p.education_completed.isin(["vgo", "hoyere"]) | (p.education_started == "hoyere") & (
        p.education_completed == "ingen"
    )
    assert p.loc[high, "norwegian_oral"].isin(["A1", "A2"]).all()
    assert p.loc[high, "norwegian_written"].dropna().isin(["A1", "A2"]).all()
    b1 = p[(p.norwegian_oral == "B1") | (p.norwegian_written == "B1")]
    assert (b1.education_completed == "ingen").sum() == (
        b1.education_completed == "grunnskole"
    ).sum()
    assert len(b1) == (b1.education_completed == "ingen").sum() * 2


def test_contract_shape(data, demo_dir):
    p, s = data
    assert p.person_id.str.fullmatch(r"D\d{3}").all() and p.person_id.is_unique
    assert not p.astype(str).apply(lambda c: c.str.contains(r"\b\d{11}\b")).any().any()
    assert p.groupby("unit_id").size().to_dict() == {
        "nav-oslo": 26,
        "nav-ost-viken": 26,
        "nav-vestland": 14,
    }
    assert set(p.trial_id) == {f"lengre-varighet-{v}" for v in ("oslo", "vestland", "ost-viken")}
    assert s.spell_id.is_unique and set(s.person_id) <= set(p.person_id)
    assert ((s.end_date >= s.start_date) | s.end_date.isna()).all()
    assert s.full_time.notna().sum() == (s.kind == "arbeid").sum()
    assert p.birth_year.between(1940, 2010).all()
    for name in ("activity_log", "reported_figures", "segments"):
        frame = pd.read_csv(demo_dir / f"{name}.csv")
        assert frame.iloc[:, 0].is_unique, name


@pytest.mark.parametrize("name", ["activity_log", "reported_figures", "segments"])
def test_provenance_lines_are_well_formed(demo_dir, name):
    frame = pd.read_csv(demo_dir / f"{name}.csv", dtype=str)
    doc_col = "source_doc"
    for _, row in frame.iterrows():
        lines = row["source_lines"]
        assert re.fullmatch(r"\d+(-\d+)?", lines), (name, row.iloc[0])
        parts = [int(x) for x in lines.split("-")]
        assert parts == sorted(parts) and parts[0] >= 1 and parts[-1] <= SEEDS[row[doc_col]]


def test_segments_vocabulary(demo_dir):
    seg = pd.read_csv(demo_dir / "segments.csv")
    assert 30 <= len(seg) <= 60
    assert set(seg.phase) <= {"GOV", "EMP", "INT", "INC", "TRN", "TRF"}
    assert set(seg.polarity) == {"driver", "barrier"}
    assert seg.code.str.fullmatch(r"[a-z][a-z0-9-]+").all()
    assert seg.paraphrase.str.len().gt(20).all()


def test_activity_log_key_figures(demo_dir):
    log = pd.read_csv(demo_dir / "activity_log.csv").set_index("record_id")
    assert log.loc["a-in-2024-inv", "count"] == 850
    assert log.loc["a-in-2025-opp", "count"] == 16
    assert log.loc["a-mr-anrop", "qualifier"] == "approximate"
    assert log.qualifier.isin(
        ["exact", "approximate", "range", "lower_bound", "not_reported"]
    ).all()
    rng = log[log.qualifier == "range"]
    assert (rng.count_low <= rng.count_high).all()


def test_output_is_byte_identical_on_rerun(tmp_path, demo_dir):
    generate_demo(tmp_path)
    for path in demo_dir.glob("*.csv"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_committed_demo_data_is_current(demo_dir):
    committed = REPO / "data" / "demo"
    for path in demo_dir.glob("*.csv"):
        assert (committed / path.name).read_bytes() == path.read_bytes(), path.name


def test_failure_leaves_no_partial_files(tmp_path, monkeypatch):
    import coopstats.demo as demo

    def boom(frame):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_csv_text", boom)
    with pytest.raises(RuntimeError):
        generate_demo(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_command_line_entry(tmp_path, capsys):
    assert main([str(tmp_path), "--seed", "3"]) == 0
    # five contract files, coverage.csv and the comparison population's two files
    assert sorted(p.stem for p in tmp_path.glob("*.csv")) == sorted(FILES)
    assert "participants.csv" in capsys.readouterr().out
