"""Tests for matched comparisons (coopstats.matching).

Every expected number is worked out by hand in the test (with the arithmetic written out),
never by calling the function under test.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopstats.data import read_table
from coopstats.demo_comparison import build_comparison
from coopstats.matching import (
    DAYS_PER_MONTH,
    DEFAULT_COVARIATES,
    MatchResult,
    age_band,
    balance,
    covariates,
    difference,
    match,
    matching_frame,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
Z = 1.959963984540054  # 97.5 % quantile of the standard normal distribution


def spell(pid: str, kind: str, start: str, end: str | None, code: str = "x") -> dict:
    return {
        "spell_id": f"S-{pid}-{kind}-{start}",
        "person_id": pid,
        "kind": kind,
        "code": code,
        "start_date": pd.Timestamp(start),
        "end_date": pd.NaT if end is None else pd.Timestamp(end),
        "full_time": pd.NA,
        "source": "arena",
    }


# --------------------------------------------------------------------------- covariates


def test_covariates_by_hand():
    persons = pd.DataFrame(
        {
            "person_id": ["P1", "P2", "P3"],
            "unit_id": ["nav-oslo"] * 3,
            "intake_date": pd.to_datetime(["2023-08-21", "2023-08-21", "2023-09-04"]),
            "gender": ["K", "M", "K"],
            "birth_year": [1990, 1970, 2000],
            "country_background": ["Syria", "Norge", "Polen"],
            "education_completed": ["vgo", "ingen", "hoyere"],
        }
    )
    spells = pd.DataFrame(
        [
            # P1's window: 2018-08-21 .. 2023-08-20
            spell("P1", "arbeid", "2018-01-01", "2018-12-31"),  # 2018-08-21..12-31
            spell("P1", "arbeid", "2018-12-01", "2019-01-30"),  # adds 2019-01-01..01-30
            spell("P1", "ytelse", "2023-08-01", None),  # open: 2023-08-01..08-20
            spell("P1", "ytelse", "2023-08-21", "2023-12-31"),  # from the intake day: not before
            spell("P1", "tiltak", "2010-01-01", "2018-08-20"),  # ends the day before the window
            spell("P3", "tiltak", "2023-09-03", "2023-09-03"),  # P3: the day before intake
            spell("P9", "arbeid", "2020-01-01", "2020-12-31"),  # not one of the persons
        ]
    )
    cov = covariates(persons, spells)
    assert list(cov.columns) == list(DEFAULT_COVARIATES)
    assert list(cov.index) == ["P1", "P2", "P3"]
    # alder = year of intake - birth year
    assert cov["alder"].tolist() == [2023 - 1990, 2023 - 1970, 2023 - 2000]
    assert cov["kvinne"].tolist() == [1, 0, 1]
    assert cov["innvandrer"].tolist() == [1, 0, 1]
    assert cov[["utd_grunnskole", "utd_vgo", "utd_hoyere"]].to_numpy().tolist() == [
        [0, 1, 0],
        [0, 0, 0],
        [0, 0, 1],
    ]
    # arbeid: Aug 21-31 (11) + Sep (30) + Oct (31) + Nov (30) + Dec (31) = 133 days in 2018,
    # the second spell overlaps December and adds Jan 1-30 2019 (30 days): 163 days
    assert cov.loc["P1", "mnd_arbeid"] == pytest.approx(163 / 30.4375)
    # ytelse: Aug 1-20 2023 = 20 days (the spell from the intake day is not before it)
    assert cov.loc["P1", "mnd_ytelse"] == pytest.approx(20 / 30.4375)
    assert cov["tiltak_for"].tolist() == [0, 0, 1]
    assert cov.loc["P2", ["mnd_arbeid", "mnd_ytelse"]].tolist() == [0, 0]


def test_covariates_of_comparison_persons_use_the_reference_date():
    persons = pd.DataFrame(
        {
            "person_id": ["K1"],
            "unit_id": ["nav-oslo"],
            "reference_date": pd.to_datetime(["2023-09-01"]),
            "gender": ["M"],
            "birth_year": [1980],
            "country_background": ["Norge"],
            "education_completed": ["grunnskole"],
        }
    )
    # window 2018-09-01 .. 2023-08-31; the spell covers 2018-09-01..2018-09-30 = 30 days
    spells = pd.DataFrame([spell("K1", "arbeid", "2018-08-01", "2018-09-30")])
    cov = covariates(persons, spells, months_before=60)
    assert cov.loc["K1", "mnd_arbeid"] == pytest.approx(30 / 30.4375)
    assert cov.loc["K1", "alder"] == 43
    assert cov.loc["K1", "utd_grunnskole"] == 1
    # a 12-month window starts 2022-09-01: nothing
    short = covariates(persons, spells, date_column="reference_date", months_before=12)
    assert short.loc["K1", "mnd_arbeid"] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(-400, 400), st.integers(0, 200), st.booleans()),
        max_size=12,
    )
)
def test_months_equal_a_day_by_day_count(raw):
    """The vectorised union of spells equals counting the covered days one by one."""
    intake = date(2023, 8, 21)
    low, high = date(2022, 8, 21), date(2023, 8, 20)  # 12 months before intake
    persons = pd.DataFrame(
        {
            "person_id": ["A", "B", "C"],
            "unit_id": "nav-oslo",
            "intake_date": pd.Timestamp(intake),
            "gender": "K",
            "birth_year": 1990,
            "country_background": "Syria",
            "education_completed": "vgo",
        }
    )
    rows, days = [], {p: set() for p in "ABC"}
    for who, offset, length, open_end in raw:
        pid = "ABC"[who]
        start = intake + timedelta(days=offset - 200)
        end = None if open_end else start + timedelta(days=length)
        rows.append(spell(pid, "arbeid", start.isoformat(), end and end.isoformat()))
        d = start
        while d <= (end or high) and d <= high:
            if d >= low:
                days[pid].add(d)
            d += timedelta(days=1)
    spells = pd.DataFrame(rows, columns=list(spell("A", "arbeid", "2020-01-01", None)))
    cov = covariates(persons, spells, months_before=12)
    for pid in "ABC":
        assert cov.loc[pid, "mnd_arbeid"] == pytest.approx(len(days[pid]) / DAYS_PER_MONTH)


def test_age_bands_are_those_of_the_participant_tables():
    assert [age_band(a) for a in (14, 15, 29, 30, 44, 45, 80)] == [
        None,
        "15-29",
        "15-29",
        "30-44",
        "30-44",
        "45+",
        "45+",
    ]
    assert age_band(None) is None
    bands = age_band(pd.Series([14, 29, 30, 45, np.nan], index=list("abcde")))
    assert bands.index.tolist() == list("abcde")
    assert bands.tolist()[1:4] == ["15-29", "30-44", "45+"]
    assert pd.isna(bands["a"]) and pd.isna(bands["e"])


# --------------------------------------------------------------------------- matching


def frame(rows: dict[str, dict]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index")


def test_propensity_score_with_one_binary_covariate():
    # With one binary covariate the logistic regression reproduces the share of treated
    # persons in each group: x = 1: T1, T2 and C1 -> 2/3; x = 0: T3 and C2..C6 -> 1/6.
    treated = frame({"T1": {"x": 1}, "T2": {"x": 1}, "T3": {"x": 0}})
    pool = frame({"C1": {"x": 1}, **{f"C{i}": {"x": 0} for i in range(2, 7)}})
    result = match(treated, pool, exact=(), covariates=("x",), caliper=None)
    for pid in ("T1", "T2", "C1"):
        assert result.ps[pid] == pytest.approx(2 / 3, abs=1e-6)
    for pid in ("T3", "C2", "C3", "C4", "C5", "C6"):
        assert result.ps[pid] == pytest.approx(1 / 6, abs=1e-6)
    # T1 and T2 both get C1 (distance 0, with replacement); T3 ties with C2..C6 at distance
    # 0 and gets the smallest id, C2
    assert result.pairs[["treated_id", "control_id"]].values.tolist() == [
        ["T1", "C1"],
        ["T2", "C1"],
        ["T3", "C2"],
    ]
    assert result.pairs["distance"].tolist() == pytest.approx([0, 0, 0], abs=1e-6)
    assert result.weights.to_dict() == {"C1": 2.0, "C2": 1.0}
    assert result.unmatched == ()


def test_an_exact_stratum_with_one_candidate():
    treated = frame({"T1": {"unit_id": "a", "x": 0.0}})
    pool = frame({"C1": {"unit_id": "a", "x": 0.0}, "C2": {"unit_id": "b", "x": 0.0}})
    # C2 has the same score as T1 but another unit; C1 is the only candidate
    ps = pd.Series({"T1": 0.5, "C1": 0.9, "C2": 0.5})
    result = match(treated, pool, exact=("unit_id",), covariates=("x",), caliper=None, ps=ps)
    assert result.pairs["control_id"].tolist() == ["C1"]
    assert result.pairs["distance"].iloc[0] == pytest.approx(math.log(0.9 / 0.1) - 0)


def caliper_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    treated = frame({"T1": {"x": 0.0}, "T2": {"x": 0.0}})
    pool = frame({"C1": {"x": 0.0}, "C2": {"x": 0.0}, "C3": {"x": 0.0}})
    # logits: T1 0, T2 ln 3; C1 0, C2 -ln 3, C3 ln 9
    ps = pd.Series({"T1": 0.5, "T2": 0.75, "C1": 0.5, "C2": 0.25, "C3": 0.9})
    return treated, pool, ps


def test_caliper_excludes_a_candidate_and_replacement_reuses_a_control():
    treated, pool, ps = caliper_data()
    ln3, ln9 = math.log(3), math.log(9)
    # pooled SD of the logit: var_t = ((0 - m)^2 + (ln3 - m)^2) / 1 with m = ln3 / 2
    var_t = 2 * (ln3 / 2) ** 2
    m_c = (0 - ln3 + ln9) / 3
    var_c = ((0 - m_c) ** 2 + (-ln3 - m_c) ** 2 + (ln9 - m_c) ** 2) / 2
    sd = math.sqrt((var_t + var_c) / 2)
    assert sd == pytest.approx(1.30761, abs=1e-5)
    # caliper 0.2 * 1.3076 = 0.2615: T1 takes C1 (distance 0); T2's nearest (C1 and C3, both
    # ln 3 = 1.0986 away) are outside it
    narrow = match(treated, pool, exact=(), covariates=("x",), caliper=0.2, ps=ps)
    assert narrow.caliper_width == pytest.approx(0.2 * sd)
    assert narrow.pairs[["treated_id", "control_id"]].values.tolist() == [["T1", "C1"]]
    assert narrow.unmatched == ("T2",)
    assert any("1 av 2 deltakere fikk ingen kontroll" in note for note in narrow.notes)
    # caliper 1.0 * 1.3076 >= 1.0986: T2 ties between C1 and C3, the smaller id wins, so C1
    # is used twice
    wide = match(treated, pool, exact=(), covariates=("x",), caliper=1.0, ps=ps)
    assert wide.pairs[["treated_id", "control_id"]].values.tolist() == [
        ["T1", "C1"],
        ["T2", "C1"],
    ]
    assert wide.pairs["distance"].tolist() == pytest.approx([0, ln3])
    assert wide.weights.to_dict() == {"C1": 2.0}


def test_without_replacement_every_control_is_used_once_and_the_seed_decides_the_order():
    treated, pool, ps = caliper_data()
    first = match(
        treated, pool, exact=(), covariates=("x",), caliper=None, replace=False, ps=ps, seed=1
    )
    again = match(
        treated, pool, exact=(), covariates=("x",), caliper=None, replace=False, ps=ps, seed=1
    )
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    assert first.pairs["control_id"].is_unique
    assert len(first.pairs) == 2
    # logits: T1 0, T2 ln 3; C1 0, C2 -ln 3, C3 2 ln 3. If T1 goes first it takes C1
    # (distance 0) and T2 gets C3 (ln 3; C2 is 2 ln 3 away). If T2 goes first it takes C1
    # (ln 3, tied with C3, smaller id) and T1 gets C2 (ln 3; C3 is 2 ln 3 away).
    outcomes = set()
    for seed in range(20):
        result = match(
            treated,
            pool,
            exact=(),
            covariates=("x",),
            caliper=None,
            replace=False,
            ps=ps,
            seed=seed,
        )
        outcomes.add(tuple(map(tuple, result.pairs[["treated_id", "control_id"]].values)))
    assert outcomes == {(("T1", "C1"), ("T2", "C3")), (("T1", "C2"), ("T2", "C1"))}


def test_ratio_two_gives_half_weights():
    treated, pool, ps = caliper_data()
    result = match(treated, pool, exact=(), covariates=("x",), caliper=None, ratio=2, ps=ps)
    # T1 (logit 0): C1 is 0 away, C2 ln 3, C3 2 ln 3 -> C1 and C2
    # T2 (logit ln 3): C1 and C3 are ln 3 away, C2 2 ln 3 -> C1 and C3
    assert result.pairs[["treated_id", "control_id"]].values.tolist() == [
        ["T1", "C1"],
        ["T1", "C2"],
        ["T2", "C1"],
        ["T2", "C3"],
    ]
    # weight = times used / ratio: C1 2/2, C2 1/2, C3 1/2 (they add up to 2 treated)
    assert result.weights.to_dict() == {"C1": 1.0, "C2": 0.5, "C3": 0.5}


def test_separation_constant_and_collinear_covariates_fall_back_with_notes():
    treated = frame({f"T{i}": {"sep": 1.0, "const": 1.0, "a": float(i), "b": 2.0 * i}
                     for i in range(3)})  # fmt: skip
    pool = frame({f"C{i}": {"sep": 0.0, "const": 1.0, "a": float(i % 4), "b": 2.0 * (i % 4)}
                  for i in range(8)})  # fmt: skip
    result = match(treated, pool, exact=(), covariates=("sep", "const", "a", "b"), caliper=None)
    text = " ".join(result.notes)
    assert "Kovariaten const har samme verdi for alle" in text
    assert "Kovariaten b er en lineær kombinasjon" in text
    assert "ridge-straff" in text
    assert "alle deltakerne har samme verdi på sep" in text
    assert result.used_covariates == ("sep", "a")
    assert np.isfinite(result.ps).all()
    assert result.ps[["T0", "T1", "T2"]].min() > result.ps[[f"C{i}" for i in range(8)]].max()
    assert len(result.pairs) == 3


def test_missing_values_and_overlapping_ids():
    treated = frame({"T1": {"x": 1.0}, "T2": {"x": np.nan}})
    pool = frame({"C1": {"x": 1.0}, "C2": {"x": 0.0}, "C3": {"x": np.nan}})
    result = match(treated, pool, exact=(), covariates=("x",), caliper=None)
    assert result.unmatched == ("T2",)
    assert result.pairs["control_id"].tolist() == ["C1"]
    assert "1 deltakere mangler opplysninger" in " ".join(result.notes)
    assert "1 personer i sammenligningsgruppen" in " ".join(result.notes)
    # with a given score, a person without a score is left out in the same way
    ps = pd.Series({"T1": 0.5, "T2": 0.5, "C1": 0.5, "C2": 0.4})
    given_ps = match(treated, pool, exact=(), covariates=("x",), caliper=None, ps=ps)
    assert given_ps.unmatched == ()
    assert "1 personer i sammenligningsgruppen" in " ".join(given_ps.notes)
    with pytest.raises(ValueError, match="både deltaker og i sammenligningsgruppen"):
        match(treated, frame({"T1": {"x": 1.0}}), exact=(), covariates=("x",))
    with pytest.raises(KeyError, match="mangler kolonnene"):
        match(treated, pool, exact=("unit_id",), covariates=("x",))


# --------------------------------------------------------------------------- balance


def test_standardised_mean_differences_by_hand():
    treated = frame({"T1": {"x": 1.0, "c": 1.0}, "T2": {"x": 2.0, "c": 1.0},
                     "T3": {"x": 3.0, "c": 1.0}})  # fmt: skip
    pool = frame({"C1": {"x": 0.0, "c": 1.0}, "C2": {"x": 1.0, "c": 1.0},
                  "C3": {"x": 2.0, "c": 1.0}, "C4": {"x": 5.0, "c": 1.0}})  # fmt: skip
    result = MatchResult(
        pairs=pd.DataFrame(
            {"treated_id": ["T1", "T2"], "control_id": ["C2", "C4"], "distance": [0.0, 0.0]}
        ),
        weights=pd.Series({"C2": 1.5, "C4": 0.5}, name="weight"),
        unmatched=("T3",),
        ps=pd.Series(dtype=float),
        covariates=("x", "c"),
    )
    table = balance(treated, pool, result)
    # before: treated mean 2, variance ((1-2)^2 + 0 + (3-2)^2) / 2 = 1;
    # pool mean 2, variance (4 + 1 + 0 + 9) / 3 = 14/3; pooled SD = sqrt((1 + 14/3) / 2)
    sd = math.sqrt((1 + 14 / 3) / 2)
    assert table.loc["x", "snitt_deltakere_for"] == 2
    assert table.loc["x", "snitt_sammenligning_for"] == 2
    assert table.loc["x", "smd_for"] == 0
    # after: matched treated T1, T2: mean 1.5; controls (1.5 * 1 + 0.5 * 5) / 2 = 2.0
    assert table.loc["x", "snitt_deltakere_etter"] == 1.5
    assert table.loc["x", "snitt_sammenligning_etter"] == 2.0
    assert table.loc["x", "smd_etter"] == pytest.approx((1.5 - 2.0) / sd)
    assert table.loc["x", "smd_etter"] == pytest.approx(-0.29704, abs=1e-5)
    # a covariate with SD 0 has SMD 0
    assert table.loc["c", "smd_for"] == 0 and table.loc["c", "smd_etter"] == 0


# --------------------------------------------------------------------------- difference


def test_difference_and_interval_by_hand():
    # treated 3 of 4 = 0.75; controls y = 1, 0, 0 with weights 2, 1, 1: p_c = 2/4 = 0.5
    result = difference([1, 1, 0, 1], pd.Series([1, 0, 0], index=["A", "B", "C"]),
                        pd.Series({"A": 2.0, "B": 1.0, "C": 1.0}))  # fmt: skip
    var_t = 0.75 * 0.25 / 4  # 0.046875
    var_c = (2**2 * 0.5**2 + 1 * 0.5**2 + 1 * 0.5**2) / 4**2  # 1.5 / 16 = 0.09375
    se = math.sqrt(var_t + var_c)  # sqrt(0.140625) = 0.375
    assert se == 0.375
    assert result.treated_share == 0.75
    assert result.control_share == 0.5
    assert result.difference == pytest.approx(25.0)
    assert result.ci_low == pytest.approx(25 - Z * 37.5)  # -48.50
    assert result.ci_high == pytest.approx(25 + Z * 37.5)  # 98.50
    assert (result.n_treated, result.n_control) == (4, 3)
    assert not result.supported
    assert result.text() == (
        "Forskjellen er usikker: intervallet spenner fra \u221248 til 98 prosentpoeng, "
        "og forsøksgruppen er liten (4 deltakere)."
    )


def test_a_supported_difference_in_a_large_group():
    # 24 of 30 treated (0.8); 6 of 30 controls (0.2), weights 1
    treated = [1] * 24 + [0] * 6
    controls = [1] * 6 + [0] * 24
    result = difference(treated, controls)
    var_t = 0.8 * 0.2 / 30
    var_c = (6 * 0.8**2 + 24 * 0.2**2) / 30**2  # 4.8 / 900
    se = math.sqrt(var_t + var_c)  # 0.10328
    assert result.difference == pytest.approx(60.0)
    assert result.ci_low == pytest.approx(100 * (0.6 - Z * se))  # 39.76
    assert result.ci_high == pytest.approx(100 * (0.6 + Z * se))  # 80.24
    assert result.supported
    assert result.text() == (
        "Andelen var 60 prosentpoeng høyere blant deltakerne enn i den matchede "
        "sammenligningsgruppen (95 %-intervall fra 40 til 80 prosentpoeng)."
    )


def test_a_supported_lower_share_in_a_small_group_says_the_group_is_small():
    # 2 of 20 treated (0.1); 16 of 20 controls (0.8)
    result = difference([1] * 2 + [0] * 18, [1] * 16 + [0] * 4)
    # var_t = 0.1 * 0.9 / 20 = 0.0045; var_c = (16 * 0.2^2 + 4 * 0.8^2) / 20^2 = 3.2 / 400
    se = math.sqrt(0.1 * 0.9 / 20 + (16 * 0.2**2 + 4 * 0.8**2) / 20**2)  # sqrt(0.0125)
    assert se == pytest.approx(0.111803, abs=1e-6)
    assert result.difference == pytest.approx(-70.0)
    assert result.ci_low == pytest.approx(100 * (-0.7 - Z * se))  # -91.91
    assert result.ci_high == pytest.approx(100 * (-0.7 + Z * se))  # -48.09
    assert result.supported
    assert result.text() == (
        "Andelen var 70 prosentpoeng lavere blant deltakerne enn i den matchede "
        "sammenligningsgruppen (95 %-intervall fra \u221292 til \u221248 prosentpoeng), men "
        "forsøksgruppen er liten (20 deltakere)."
    )


def test_no_variation_supports_nothing():
    same = difference([1, 1, 1], [1, 1])
    assert same.standard_error == 0 and not same.supported
    assert same.text() == (
        "Det er ingen forskjell: andelen er 100 % i begge gruppene, og forsøksgruppen er "
        "liten (3 deltakere)."
    )
    apart = difference([1, 1, 1], [0, 0])
    assert apart.difference == 100 and not apart.supported
    assert apart.text().startswith("Usikkerheten kan ikke beregnes: andelen er 100 % blant")
    with pytest.raises(ValueError, match="ja/nei"):
        difference([2, 1], [0, 1])


# --------------------------------------------------------------------------- the demo


def test_demo_participants_match_the_demo_comparison_population():
    participants = read_table(DEMO / "participants.csv", "participants")
    spells = read_table(DEMO / "spells.csv", "spells")
    persons, comparison_spells = build_comparison(participants, spells)
    persons["reference_date"] = pd.to_datetime(persons["reference_date"])
    for column in ("start_date", "end_date"):
        comparison_spells[column] = pd.to_datetime(comparison_spells[column])
    treated = matching_frame(participants, spells)
    pool = matching_frame(persons, comparison_spells)
    assert set(treated["age_band"].dropna()) <= {"15-29", "30-44", "45+"}
    first = match(treated, pool)
    second = match(treated, pool)
    pd.testing.assert_frame_equal(first.pairs, second.pairs)
    assert len(first.pairs) + len(first.unmatched) == len(treated)
    assert len(first.pairs) > len(treated) / 2
    # exact strata hold: same unit, gender and age band in every pair
    t = treated.loc[first.pairs["treated_id"], ["unit_id", "gender", "age_band"]]
    c = pool.loc[first.pairs["control_id"], ["unit_id", "gender", "age_band"]]
    assert (t.to_numpy() == c.to_numpy()).all()
    assert first.weights.sum() == pytest.approx(len(first.matched))
    table = balance(treated, pool, first)
    assert list(table.index) == list(DEFAULT_COVARIATES)
    assert table["smd_etter"].abs().mean() < table["smd_for"].abs().mean()
