"""Fictitious demo dataset that reproduces the published participant tables of seed 003.

The demo data directory holds the five files of the data contract and its coverage manifest:

* ``participants.csv`` and ``spells.csv``: 66 FICTITIOUS participants (ids ``D001``–``D066``;
  no names, no identity numbers). They are *constructed*, not sampled and hoped for: every count
  behind the published cells of seed 003, Tabell 5.1–5.5 and 5.7–5.11, and behind the consistent
  in-text numbers of chapter 6, is written down in :data:`COUNTY_TARGETS` and assigned exactly.
  The seed only moves things that no published number depends on (who within a county gets which
  attribute, exact ages and years inside a band, spell dates inside safe windows).
* ``activity_log.csv``, ``reported_figures.csv`` and ``segments.csv``: real aggregate figures and
  paraphrased findings from seeds 000, 002 and 003, with provenance (line numbers in the seed
  text files).
* ``coverage.csv``: what the spells cover (:data:`COVERAGE`; sosialhjelp and
  kvalifiseringsstønad only through 2022).

Definitions used by the construction (the demo README repeats them in Norwegian)
--------------------------------------------------------------------------------
Age
    ``2023 - birth_year`` (age at the end of the intake year). Bands 15–29, 30–44 and 45+
    (caveat C1: the printed bands "15-30", "30-45", "45+" overlap; 30 goes to the middle band
    and 45 to the oldest).
Residence (botid)
    ``2023 - immigration_year``. Bands: "0-5 år" = 0–5 years ("fem år eller mindre", L3602;
    "innvandret de siste fem årene", L3769), "5-10 år" = 6–10, "10+ år" = 11–15 and
    "15+ år" = 16 or more (caveat C2). The one participant without ``immigration_year`` has
    ``short_residence_judged = true`` and is counted in 0–5 (L516–520).
Written Norwegian (C3)
    One participant has ``norwegian_written`` missing; written shares use N = 65. Counts are
    18/44/3 (A1/A2/B1), which gives 28/68/5 %. The printed B1 = 4 % cannot be reproduced
    with any count out of 65 or 66 that also meets 28 and 68; it is a documented exception.
Completed education (C4)
    Two participants (one in Oslo, one in Vestland) are registered with
    ``education_completed = "ingen"``, ``education_started = "hoyere"`` and
    ``education_started_country = "utland"``. The cleaning rule of L520–522 (fn 10) counts them as
    completed VGO, giving 35/17/2/12 = 53/26/3/18 %.
Started education (C5)
    Table 5.5 is reproduced with 13/12/4 of 66 (29 persons). The text's 45 % (30 persons) and
    53 % started in Norway cannot both hold with 29; 16 of 29 (55 %) started in Norway. County
    shares from L3737 hold: Vestland 9/14 = 64 %, Oslo 8/26 = 31 %. To reach 13 with
    started lower secondary while only 12 have no completed education, one Vestland participant
    completed lower secondary abroad and is registered with lower secondary started (not
    completed) in Norway, i.e. the same level in another country.
Sosialhjelp (C6)
    32 of 66 = 48 % (printed 49 %; no count out of 66 gives 49; 32/65 would). Documented
    exception. Sosialhjelp and kvalifiseringsstønad spells all end by 2022-12-31.
Introduction benefit 2018–2023 (C7)
    Follows Tabell 5.10: 37 of 66 = 56 %. The text's 44 % (L3948) is not reproduced.
Periods
    "2018–2023" = a spell overlapping 2018-01-01..2023-12-31. "At intake" (September 2023,
    fn 11 and 13) = a spell covering 2023-09-15. "October 2023" (Tabell 5.11) = a spell
    overlapping 2023-10-01..2023-10-31, for tiltakspenger, dagpenger, aap or
    introduksjonsstonad. Spells are placed so that nearby definitions give the same counts.
    The trial's own training measure is not a spell; pre-trial measures end before intake.
Exits
    Four participants have an ``exit_date`` in October–December 2023 (62 left, L3538–3540).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["COUNTY_TARGETS", "CountyTarget", "generate_demo", "main"]

FILES = ("participants", "spells", "activity_log", "reported_figures", "segments", "coverage")

YEAR = 2023  # reference year for age and residence
WINDOW_START = date(2018, 1, 1)
INTAKE_REF = date(2023, 9, 15)  # "September 2023" register extract (fn 11, fn 13)

# --------------------------------------------------------------------------------------------
# Target counts. Published = printed in seed 003 (table or line); "ours" = a split or a number
# the report does not give, chosen here so the published totals hold.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountyTarget:
    """Exact counts that the constructed participants of one county must have."""

    unit_id: str
    trial_id: str
    n: int
    intake_date: date
    women: int  # L3552-3560: 92/79/73 %
    age_bands: tuple[int, int, int]  # Tabell 5.1: 15-29 / 30-44 / 45+
    age_sum: int  # sum of ages -> mean age of Tabell 5.1 (40/38/35, total 37)
    residence_bands: tuple[int, int, int, int]  # Tabell 5.2 (total only): 0-5/6-10/11-15/16+
    residence_min: int  # Oslo: "minimum 3 år" (L3942)
    immigration_year_missing: int  # L516-520
    children: tuple[int, int, int]  # ours per county; totals L3562-3564: 0 / 1-2 / 3+
    # Education as registered (raw), before the cleaning rule; see module docstring.
    edu_none: int  # no completed education, started grunnskole (L3710-3712)
    edu_none_started_higher_abroad: int  # counted as VGO by the cleaning rule (fn 10)
    edu_grunnskole: int
    edu_grunnskole_norway: int  # fn 8
    edu_grunnskole_started_vgo: int
    edu_grunnskole_started_grunnskole_norway: int  # see C5 in the docstring
    edu_vgo: int  # all abroad (L3716)
    edu_vgo_started_higher: int
    edu_higher: int  # all abroad (fn 9); Oslo and Øst-Viken only
    started_in_norway: int  # ours; total 16
    oral: tuple[int, int, int]  # Tabell 5.3 (total only): A1/A2/B1
    oral_b1_education: tuple[int, int]  # B1 by completed education: (ingen, grunnskole), L3654
    # Written level as changes from oral level: (from, to) -> number of persons; to=None: missing
    written_changes: dict[tuple[str, str | None], int]
    employed: int  # Tabell 5.7
    employed_2023: int  # L3781: 39 % in the intake year (ours per county)
    fulltime_2023: int  # L3783: 42 % of those employed in 2023
    fulltime_earlier_only: int  # full-time among those employed only before 2023
    fulltime_earlier_extra: int  # part-time in 2023 but an earlier full-time job
    relevant_experience: int  # Tabell 5.8
    intro_at_start: int  # L3934-3938: Sept 2023, also October 2023 (L4012)
    intro_ever: int  # Tabell 5.10 (total 37)
    tp_october: int  # L4012: tiltakspenger October 2023 (total 26); disjoint from intro
    tp_ever: int  # Tabell 5.10 (total 36)
    dp_ever: int  # Tabell 5.10 (total 14)
    kvp_ever: int  # Tabell 5.10 (total 13), ends by 2022
    sosialhjelp_ever: int  # Tabell 5.10 (total 32, C6), ends by 2022
    aap_ever: int  # "bare et fåtall" (L3976)
    reduced_capacity_ever: int  # L3870: 56 %; Oslo "store flertallet", Øst-Viken "en av fire"
    reduced_capacity_intake: int  # L3872: 52 %
    jobseeker_ever: int  # L3789: 56 %
    jobseeker_intake: int  # L3791: 32 %
    fully_unemployed_ever: int  # L3787: 64 %
    partly_unemployed_ever: int  # L3789: 18 %
    # Tabell 5.9 is multi-response: each profile is the set of measure types of one person.
    measure_profiles: dict[tuple[str, ...], int]
    training_2023: int  # L3912: opplæringstiltak in 2023 before the start (24 %)
    work_practice_2023: int  # L3912: arbeidspraksis in 2023 before the start (15 %)
    exits: int  # L3538-3540: four left by December 2023
    extra: dict[str, int] = field(default_factory=dict)


COUNTY_TARGETS: dict[str, CountyTarget] = {
    "oslo": CountyTarget(
        unit_id="nav-oslo",
        trial_id="lengre-varighet-oslo",
        n=26,  # L3536
        intake_date=date(2023, 8, 21),
        women=24,  # 92 %
        age_bands=(1, 21, 4),  # 4/81/15 %
        age_sum=1030,  # mean 39.6 -> 40
        residence_bands=(4, 8, 7, 7),
        residence_min=3,
        immigration_year_missing=0,
        children=(4, 13, 9),
        edu_none=3,
        edu_none_started_higher_abroad=1,
        edu_grunnskole=17,
        edu_grunnskole_norway=5,
        edu_grunnskole_started_vgo=3,
        edu_grunnskole_started_grunnskole_norway=0,
        edu_vgo=4,
        edu_vgo_started_higher=1,
        edu_higher=1,
        started_in_norway=5,
        oral=(3, 19, 4),
        oral_b1_education=(2, 2),
        written_changes={("B1", "A2"): 2, ("A2", "A1"): 1},  # written 4/20/2
        employed=22,  # 85 %
        employed_2023=15,
        fulltime_2023=6,
        fulltime_earlier_only=5,
        fulltime_earlier_extra=2,
        relevant_experience=18,  # 69 %
        intro_at_start=0,  # "ingen av deltakerne i Oslo"
        intro_ever=8,
        tp_october=15,  # 5.11: 15/26 = 58 %
        tp_ever=19,
        dp_ever=7,
        kvp_ever=6,
        sosialhjelp_ever=12,
        aap_ever=2,
        reduced_capacity_ever=24,
        reduced_capacity_intake=23,
        jobseeker_ever=15,
        jobseeker_intake=8,
        fully_unemployed_ever=18,
        partly_unemployed_ever=6,
        measure_profiles={
            ("opplaering",): 12,
            ("arbeidspraksis",): 9,
            ("arbeidspraksis", "opplaering"): 1,
            ("oppfolging",): 2,
            ("lonnstilskudd",): 1,
            ("avklaring", "lonnstilskudd"): 1,
        },
        training_2023=6,
        work_practice_2023=4,
        exits=1,
    ),
    "vestland": CountyTarget(
        unit_id="nav-vestland",
        trial_id="lengre-varighet-vestland",
        n=14,  # L3538
        intake_date=date(2023, 9, 4),
        women=11,  # 79 %
        age_bands=(1, 11, 2),  # 7/79/14 %
        age_sum=526,  # mean 37.6 -> 38
        residence_bands=(10, 3, 1, 0),
        residence_min=1,
        immigration_year_missing=0,
        children=(3, 7, 4),
        edu_none=4,
        edu_none_started_higher_abroad=1,
        edu_grunnskole=7,
        edu_grunnskole_norway=1,
        edu_grunnskole_started_vgo=3,
        edu_grunnskole_started_grunnskole_norway=1,
        edu_vgo=2,
        edu_vgo_started_higher=0,
        edu_higher=0,
        started_in_norway=5,
        oral=(2, 9, 3),
        oral_b1_education=(1, 2),
        written_changes={("B1", "A2"): 2},  # written 2/11/1
        employed=6,  # 43 %
        employed_2023=4,
        fulltime_2023=2,
        fulltime_earlier_only=1,
        fulltime_earlier_extra=1,
        relevant_experience=7,  # 50 %
        intro_at_start=4,  # 29 %
        intro_ever=11,
        tp_october=3,  # 5.11: (4 + 3)/14 = 50 %
        tp_ever=5,
        dp_ever=2,
        kvp_ever=2,
        sosialhjelp_ever=7,
        aap_ever=0,
        reduced_capacity_ever=7,
        reduced_capacity_intake=6,
        jobseeker_ever=8,
        jobseeker_intake=4,
        fully_unemployed_ever=8,
        partly_unemployed_ever=2,
        measure_profiles={
            ("opplaering",): 6,
            ("arbeidspraksis",): 5,
            ("oppfolging",): 1,
            ("avklaring",): 2,
        },
        training_2023=3,
        work_practice_2023=2,
        exits=1,
    ),
    "ost-viken": CountyTarget(
        unit_id="nav-ost-viken",
        trial_id="lengre-varighet-ost-viken",
        n=26,  # L3536
        intake_date=date(2023, 8, 28),
        women=19,  # 73 %
        age_bands=(11, 11, 4),  # 42/42/15 %
        age_sum=900,  # mean 34.6 -> 35; total 2456/66 = 37.2 -> 37
        residence_bands=(14, 5, 4, 3),
        residence_min=1,
        immigration_year_missing=1,
        children=(8, 11, 7),
        edu_none=5,
        edu_none_started_higher_abroad=0,
        edu_grunnskole=11,
        edu_grunnskole_norway=2,
        edu_grunnskole_started_vgo=6,
        edu_grunnskole_started_grunnskole_norway=0,
        edu_vgo=9,
        edu_vgo_started_higher=1,
        edu_higher=1,
        started_in_norway=6,
        oral=(11, 14, 1),
        oral_b1_education=(1, 0),
        written_changes={("B1", "A2"): 1, ("A2", "A1"): 1, ("A2", None): 1},  # 12/13/0 + 1
        employed=11,  # 42 %
        employed_2023=7,
        fulltime_2023=3,
        fulltime_earlier_only=3,
        fulltime_earlier_extra=1,
        relevant_experience=15,  # 58 %
        intro_at_start=11,  # 42 %
        intro_ever=18,
        tp_october=8,  # 5.11: (11 + 8)/26 = 73 %
        tp_ever=12,
        dp_ever=5,
        kvp_ever=5,
        sosialhjelp_ever=13,
        aap_ever=0,
        reduced_capacity_ever=6,  # "en av fire"
        reduced_capacity_intake=5,
        jobseeker_ever=14,
        jobseeker_intake=9,
        fully_unemployed_ever=16,
        partly_unemployed_ever=4,
        measure_profiles={
            ("opplaering",): 12,
            ("arbeidspraksis",): 9,
            ("arbeidspraksis", "opplaering"): 1,
            ("oppfolging",): 2,
            ("lonnstilskudd",): 1,
            ("avklaring",): 1,
        },
        training_2023=7,
        work_practice_2023=4,
        exits=2,
    ),
}

# Country background (L3598-3602): 24 countries; Syria 8 and Etiopia 8 (12 %), Pakistan 7
# (11 %), "noen få ukrainere" (3). Ordered roughly from recent to long-established migration;
# participants sorted by residence receive countries in this order (with some shuffling).
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("Ukraina", 3),
    ("Eritrea", 5),
    ("Afghanistan", 4),
    ("Syria", 8),
    ("Sudan", 2),
    ("Kongo", 1),
    ("Burundi", 1),
    ("Myanmar", 1),
    ("Etiopia", 8),
    ("Somalia", 5),
    ("Irak", 3),
    ("Iran", 2),
    ("Colombia", 1),
    ("Kenya", 1),
    ("Russland", 1),
    ("Litauen", 1),
    ("Polen", 2),
    ("Thailand", 2),
    ("Filippinene", 2),
    ("Marokko", 2),
    ("Tyrkia", 1),
    ("Sri Lanka", 1),
    ("Vietnam", 2),
    ("Pakistan", 7),
)

AGE_BAND_LIMITS = ((19, 29), (30, 44), (45, 58))
RESIDENCE_BAND_LIMITS = ((1, 5), (6, 10), (11, 15), (16, 22))
MEAN_WORK_MONTHS = 25  # L3779, among those employed 2018-2023
MEAN_REDUCED_CAPACITY_MONTHS = 30  # L3876


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _fit_sum(
    values: list[int], lows: list[int], highs: list[int], target: int, rng: np.random.Generator
) -> list[int]:
    """Move integer values one step at a time, within bounds, until they sum to ``target``."""
    values = list(values)
    if not sum(lows) <= target <= sum(highs):
        raise ValueError(f"target sum {target} outside [{sum(lows)}, {sum(highs)}]")
    while (diff := target - sum(values)) != 0:
        step = 1 if diff > 0 else -1
        movable = [i for i, v in enumerate(values) if (v < highs[i] if step > 0 else v > lows[i])]
        values[movable[int(rng.integers(len(movable)))]] += step
    return values


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _months_later(start: date, months: int) -> date:
    """Last day of the month ``months - 1`` months after ``start``'s month."""
    nxt = _month_start(start.year, start.month + months)
    return nxt - timedelta(days=1)


def _pick(rng: np.random.Generator, candidates: Sequence[int], k: int, what: str) -> list[int]:
    """Choose ``k`` of ``candidates`` (positions) at random; fail loudly if impossible."""
    if k > len(candidates):
        raise ValueError(f"cannot choose {k} persons for {what}: only {len(candidates)} fit")
    order = rng.permutation(len(candidates))[:k]
    return sorted(candidates[i] for i in order)


def _blocks(spec: Sequence[tuple[object, int]]) -> list[object]:
    return [value for value, count in spec for _ in range(count)]


# --------------------------------------------------------------------------------------------
# Participants
# --------------------------------------------------------------------------------------------


def _county_people(t: CountyTarget, rng: np.random.Generator) -> list[dict]:
    """Build the participants of one county with all flags needed for spells."""
    n = t.n
    people: list[dict] = [{"unit_id": t.unit_id, "trial_id": t.trial_id} for _ in range(n)]

    # Education (as registered), in a fixed block order; persons are shuffled later.
    edu_rows: list[tuple] = []  # (completed, completed_country, started, started_country)
    edu_rows += [("ingen", None, "grunnskole", None)] * t.edu_none
    edu_rows += [("ingen", None, "hoyere", "utland")] * t.edu_none_started_higher_abroad
    gs = []
    gs += [("grunnskole", None, "vgo", None)] * t.edu_grunnskole_started_vgo
    gs += [("grunnskole", "utland", "grunnskole", "norge")] * (
        t.edu_grunnskole_started_grunnskole_norway
    )
    gs += [("grunnskole", None, "ingen", None)] * (t.edu_grunnskole - len(gs))
    edu_rows += gs
    edu_rows += [("vgo", "utland", "hoyere", "utland")] * t.edu_vgo_started_higher
    edu_rows += [("vgo", "utland", "ingen", None)] * (t.edu_vgo - t.edu_vgo_started_higher)
    edu_rows += [("hoyere", "utland", "ingen", None)] * t.edu_higher
    if len(edu_rows) != n:
        raise ValueError(f"{t.unit_id}: education blocks give {len(edu_rows)} persons, not {n}")
    perm = rng.permutation(n)
    for p, i in zip(people, perm, strict=True):
        comp, comp_c, start, start_c = edu_rows[i]
        p.update(
            education_completed=comp,
            education_completed_country=comp_c,
            education_started=start,
            education_started_country=start_c,
        )
    # Countries of completed lower secondary and of started-but-not-completed education.
    gs_free = [
        i
        for i, p in enumerate(people)
        if p["education_completed"] == "grunnskole" and p["education_completed_country"] is None
    ]
    for i in gs_free:
        people[i]["education_completed_country"] = "utland"
    for i in _pick(rng, gs_free, t.edu_grunnskole_norway, "grunnskole i Norge"):
        people[i]["education_completed_country"] = "norge"
    started_free = [
        i
        for i, p in enumerate(people)
        if p["education_started"] in ("grunnskole", "vgo")
        and p["education_started_country"] is None
    ]
    fixed_norway = sum(p["education_started_country"] == "norge" for p in people)
    for i in started_free:
        people[i]["education_started_country"] = "utland"
    for i in _pick(rng, started_free, t.started_in_norway - fixed_norway, "påbegynt i Norge"):
        people[i]["education_started_country"] = "norge"
    for p in people:
        if p["education_started"] == "ingen":
            p["education_started_country"] = None

    # Norwegian, oral: B1 only among no/lower-secondary education (L3654-3656); VGO and higher
    # education only at A1/A2 (L3753-3755).
    none_idx = [i for i, p in enumerate(people) if p["education_completed"] == "ingen"]
    none_idx = [i for i in none_idx if people[i]["education_started"] == "grunnskole"]
    gs_idx = [i for i, p in enumerate(people) if p["education_completed"] == "grunnskole"]
    b1 = _pick(rng, none_idx, t.oral_b1_education[0], "B1 uten utdanning")
    b1 += _pick(rng, gs_idx, t.oral_b1_education[1], "B1 med grunnskole")
    if len(b1) != t.oral[2]:
        raise ValueError(f"{t.unit_id}: oral B1 split does not add up to {t.oral[2]}")
    rest = [i for i in range(n) if i not in b1]
    a1 = _pick(rng, rest, t.oral[0], "muntlig A1")
    for i in range(n):
        people[i]["norwegian_oral"] = "B1" if i in b1 else "A1" if i in a1 else "A2"
        people[i]["norwegian_written"] = people[i]["norwegian_oral"]
    for (src, dst), k in t.written_changes.items():
        cands = [
            i
            for i, p in enumerate(people)
            if p["norwegian_written"] == src and p["norwegian_oral"] == src
        ]
        for i in _pick(rng, cands, k, f"skriftlig {src}->{dst}"):
            people[i]["norwegian_written"] = dst

    # Residence: years since immigration, band by band; the missing year is a short stay.
    res_years: list[int | None] = []
    for b, (count, (lo, hi)) in enumerate(
        zip(t.residence_bands, RESIDENCE_BAND_LIMITS, strict=True)
    ):
        lo = max(lo, t.residence_min) if b == 0 else lo
        k = count - (t.immigration_year_missing if b == 0 else 0)
        res_years += [None] * (count - k)
        res_years += [int(rng.integers(lo, hi + 1)) for _ in range(k)]
    perm = rng.permutation(n)
    for p, i in zip(people, perm, strict=True):
        p["residence"] = res_years[i]
        p["short_residence_judged"] = True if res_years[i] is None else None

    # Age bands follow residence (young participants have arrived recently), then exact ages
    # are fitted to the published mean.
    def res_key(i: int) -> float:
        r = people[i]["residence"]
        return (0 if r is None else r) + float(rng.uniform(0, 4))

    order = sorted(range(n), key=res_key)
    bands = _blocks(list(zip((0, 1, 2), t.age_bands, strict=True)))
    lows, highs, ages = [0] * n, [0] * n, [0] * n
    for pos, i in enumerate(order):
        lo, hi = AGE_BAND_LIMITS[bands[pos]]
        r = people[i]["residence"] or 0
        lo = max(lo, r + 14)  # arrived aged 14 or older
        if lo > hi:
            raise ValueError(f"{t.unit_id}: residence {r} too long for age band {bands[pos]}")
        lows[i], highs[i] = lo, hi
        ages[i] = int(rng.integers(lo, hi + 1))
    ages = _fit_sum(ages, lows, highs, t.age_sum, rng)
    for i, p in enumerate(people):
        p["birth_year"] = YEAR - ages[i]
        r = p["residence"]
        p["immigration_year"] = None if r is None else YEAR - r

    # Gender and children: independent of the rest.
    women = set(_pick(rng, range(n), t.women, "kvinner"))
    kids = _blocks([("none", t.children[0]), ("few", t.children[1]), ("many", t.children[2])])
    perm = rng.permutation(n)
    for i, p in enumerate(people):
        p["gender"] = "K" if i in women else "M"
        kind = kids[perm[i]]
        p["children_under_18"] = (
            0
            if kind == "none"
            else int(rng.integers(1, 3))
            if kind == "few"
            else int(rng.integers(3, 6))
        )

    # Introduction benefit: at start among the most recent arrivals; earlier receipt among
    # those with at most ten years of residence.
    short = [i for i in range(n) if (people[i]["residence"] or 0) <= 5]
    short.sort(key=lambda i: (people[i]["residence"] or 0, float(rng.uniform())))
    intro_start = sorted(short[: t.intro_at_start])
    recent = [i for i in range(n) if (people[i]["residence"] or 0) <= 10 and i not in intro_start]
    intro_earlier = _pick(rng, recent, t.intro_ever - t.intro_at_start, "introstønad tidligere")
    for i, p in enumerate(people):
        p["intro"] = "start" if i in intro_start else "earlier" if i in intro_earlier else None

    # Work history (Aa-registeret): more likely with longer residence.
    order = sorted(range(n), key=lambda i: -res_key(i))
    employed = sorted(order[: t.employed])
    emp_2023 = _pick(rng, employed, t.employed_2023, "i arbeid 2023")
    earlier_only = [i for i in employed if i not in emp_2023]
    ft_2023 = _pick(rng, emp_2023, t.fulltime_2023, "heltid 2023")
    ft_early = _pick(rng, earlier_only, t.fulltime_earlier_only, "heltid før 2023")
    pt_2023 = [i for i in emp_2023 if i not in ft_2023]
    ft_extra = _pick(rng, pt_2023, t.fulltime_earlier_extra, "heltid tidligere")
    for i, p in enumerate(people):
        p["work"] = (
            None
            if i not in employed
            else ("2023", i in ft_2023, i in ft_extra)
            if i in emp_2023
            else ("earlier", i in ft_early, False)
        )
    # Relevant experience (county judgement): employed first, then others.
    order = sorted(range(n), key=lambda i: (people[i]["work"] is None, float(rng.uniform())))
    relevant = set(order[: t.relevant_experience])
    for i, p in enumerate(people):
        p["relevant_work_experience"] = i in relevant

    # Benefits.
    not_intro_now = [i for i in range(n) if i not in intro_start]
    tp_oct = _pick(rng, not_intro_now, t.tp_october, "tiltakspenger oktober")
    tp_earlier = _pick(
        rng, [i for i in range(n) if i not in tp_oct], t.tp_ever - t.tp_october, "TP tidligere"
    )
    dp = _pick(rng, employed, t.dp_ever, "dagpenger")
    aap = _pick(rng, [i for i in range(n) if i not in tp_oct], t.aap_ever, "AAP")
    covered = set(intro_start + intro_earlier + tp_oct + tp_earlier + dp + aap)
    # Social assistance and KVP go first to those without any other benefit ("nesten samtlige").
    uncovered = [i for i in range(n) if i not in covered]
    first = _pick(rng, uncovered, min(len(uncovered), t.sosialhjelp_ever), "sosialhjelp")
    sos = first + _pick(
        rng, [i for i in range(n) if i not in first], t.sosialhjelp_ever - len(first), "sosialhjelp"
    )
    kvp = _pick(rng, [i for i in range(n) if i not in intro_start], t.kvp_ever, "KVP")
    for i, p in enumerate(people):
        p["benefits"] = {
            "tiltakspenger": "october" if i in tp_oct else "earlier" if i in tp_earlier else None,
            "dagpenger": i in dp,
            "aap": i in aap,
            "sosialhjelp": i in sos,
            "kvalifiseringsstonad": i in kvp,
        }

    # Register statuses.
    non_intro = [i for i in range(n) if i not in intro_start]
    rc_now = _pick(rng, non_intro, t.reduced_capacity_intake, "nedsatt arbeidsevne ved inntak")
    rc_before = _pick(
        rng,
        [i for i in range(n) if i not in rc_now],
        t.reduced_capacity_ever - t.reduced_capacity_intake,
        "nedsatt arbeidsevne tidligere",
    )
    js_now = _pick(rng, range(n), t.jobseeker_intake, "arbeidssøker ved inntak")
    js_before = _pick(
        rng,
        [i for i in range(n) if i not in js_now],
        t.jobseeker_ever - t.jobseeker_intake,
        "arbeidssøker tidligere",
    )
    full = _pick(rng, range(n), t.fully_unemployed_ever, "helt ledig")
    part = _pick(rng, range(n), t.partly_unemployed_ever, "delvis ledig")
    for i, p in enumerate(people):
        p["status"] = {
            "nedsatt_arbeidsevne": "intake"
            if i in rc_now
            else "earlier"
            if i in rc_before
            else None,
            "arbeidssoker": "intake" if i in js_now else "earlier" if i in js_before else None,
            "helt_ledig": "earlier" if i in full else None,
            "delvis_ledig": "earlier" if i in part else None,
        }

    # Measures 2018-2023 (multi-response) and which of them fall in 2023 before the start.
    profiles = _blocks(list(t.measure_profiles.items()))
    if len(profiles) != n:
        raise ValueError(f"{t.unit_id}: measure profiles cover {len(profiles)} persons, not {n}")
    perm = rng.permutation(n)
    for i, p in enumerate(people):
        p["measures"] = {code: "earlier" for code in profiles[perm[i]]}
    for code, k in (("opplaering", t.training_2023), ("arbeidspraksis", t.work_practice_2023)):
        cands = [i for i, p in enumerate(people) if code in p["measures"]]
        for i in _pick(rng, cands, k, f"{code} 2023"):
            people[i]["measures"][code] = "2023"

    # Dates.
    leavers = _pick(rng, range(n), t.exits, "frafall")
    for i, p in enumerate(people):
        p["intake_date"] = t.intake_date
        p["exit_date"] = (
            date(2023, 10, 16) + timedelta(days=int(rng.integers(0, 70))) if i in leavers else None
        )
    return people


# --------------------------------------------------------------------------------------------
# Spells
# --------------------------------------------------------------------------------------------


def _spell(pid: str, kind: str, code: str, start: date, end: date | None, **kw) -> dict:
    if end is not None and end < start:
        raise ValueError(f"spell for {pid} {code}: end {end} before start {start}")
    return {
        "person_id": pid,
        "kind": kind,
        "code": code,
        "start_date": start,
        "end_date": end,
        "full_time": kw.get("full_time"),
        "source": kw.get("source", "arena"),
    }


def _earlier_spell(
    rng: np.random.Generator, months: tuple[int, int], last_end: date
) -> tuple[date, date]:
    """A spell of whole months inside 2018-01-01..``last_end``."""
    length = int(rng.integers(months[0], months[1] + 1))
    latest_start_index = (last_end.year - 2018) * 12 + last_end.month - length  # 0-based
    s = int(rng.integers(0, max(latest_start_index, 0) + 1))
    start = _month_start(2018, 1 + s)
    return start, _months_later(start, length)


def _person_spells(p: dict, rng: np.random.Generator) -> list[dict]:
    pid = p["person_id"]
    out: list[dict] = []
    before_intake = date(2023, 6, 30)  # last day of pre-trial spells that touch 2023
    end_2022 = date(2022, 12, 31)
    imm = p["immigration_year"]
    arrival = date(max(imm or 2021, 2018), 1, 1)

    # Measures (tiltak) before the trial.
    for code, when in sorted(p["measures"].items()):
        if when == "2023":
            start = date(2023, int(rng.integers(1, 5)), 1)
            end = before_intake
        else:
            start, end = _earlier_spell(rng, (4, 14), end_2022)
        out.append(_spell(pid, "tiltak", code, start, end))

    # Introduction benefit.
    if p["intro"] == "start":
        start = date(max(imm or 2022, 2019), int(rng.integers(1, 13)), 1)
        start = min(start, date(2023, 3, 1))
        out.append(_spell(pid, "ytelse", "introduksjonsstonad", start, None))
    elif p["intro"] == "earlier":
        first = max(arrival, WINDOW_START)
        start = _month_start(first.year, int(rng.integers(1, 7)))
        end = min(_months_later(start, int(rng.integers(12, 37))), before_intake)
        out.append(_spell(pid, "ytelse", "introduksjonsstonad", start, end))

    b = p["benefits"]
    if b["tiltakspenger"] == "october":
        end = p["exit_date"]
        out.append(_spell(pid, "ytelse", "tiltakspenger", p["intake_date"], end))
    elif b["tiltakspenger"] == "earlier":
        out.append(_spell(pid, "ytelse", "tiltakspenger", *_earlier_spell(rng, (3, 12), end_2022)))
    for code, months, last in (
        ("dagpenger", (3, 10), end_2022),
        ("aap", (6, 18), date(2021, 12, 31)),
        ("sosialhjelp", (2, 12), end_2022),
        ("kvalifiseringsstonad", (6, 12), end_2022),
    ):
        if b[code]:
            src = "annet" if code == "sosialhjelp" else "arena"
            out.append(_spell(pid, "ytelse", code, *_earlier_spell(rng, months, last), source=src))
    return out


def _status_spells(p: dict, rng: np.random.Generator, rc_months: int | None) -> list[dict]:
    pid = p["person_id"]
    out: list[dict] = []
    for code, when in p["status"].items():
        if when is None:
            continue
        if code == "nedsatt_arbeidsevne":
            assert rc_months is not None
            if when == "intake":  # ongoing; rc_months counted up to 2023-09-30
                start = _month_start(2023, 10 - rc_months)
                out.append(_spell(pid, "status", code, start, None))
            else:
                start = _month_start(2018, 1 + int(rng.integers(0, 60 - rc_months)))
                end = min(_months_later(start, rc_months), date(2023, 6, 30))
                out.append(_spell(pid, "status", code, start, end))
        elif when == "intake":
            start = _month_start(2023, int(rng.integers(1, 8)) - int(rng.integers(0, 24)))
            out.append(_spell(pid, "status", code, start, None))
        else:
            out.append(_spell(pid, "status", code, *_earlier_spell(rng, (2, 9), date(2023, 6, 30))))
    return out


def _work_spells(p: dict, months: int, rng: np.random.Generator) -> list[dict]:
    """Employment spells (Aa-registeret) totalling ``months`` whole months in 2018-2023."""
    pid = p["person_id"]
    kind, full_time, extra_full_time = p["work"]
    out: list[dict] = []
    if kind == "2023":
        end = date(2023, int(rng.integers(3, 8)), 1)
        end = _months_later(end, 1)
        if extra_full_time:
            recent = max(2, months // 2)
            early = months - recent
            start = _month_start(end.year, end.month - recent + 1)
            out.append(
                _spell(pid, "arbeid", "arbeid", start, end, full_time=False, source="aa-registeret")
            )
            e_end = _month_start(start.year, start.month - 2) - timedelta(days=1)
            e_end = min(e_end, date(2022, 12, 31))  # the earlier full-time job ends before 2023
            e_start = _month_start(e_end.year, e_end.month - early + 1)
            out.append(
                _spell(
                    pid, "arbeid", "arbeid", e_start, e_end, full_time=True, source="aa-registeret"
                )
            )
        else:
            start = _month_start(end.year, end.month - months + 1)
            out.append(
                _spell(
                    pid, "arbeid", "arbeid", start, end, full_time=full_time, source="aa-registeret"
                )
            )
    else:
        latest_end_index = int(rng.integers(48, 60))  # end between 2022-01 and 2022-12
        end = _months_later(_month_start(2018, 1 + latest_end_index), 1)
        start = _month_start(end.year, end.month - months + 1)
        out.append(
            _spell(pid, "arbeid", "arbeid", start, end, full_time=full_time, source="aa-registeret")
        )
    for s in out:
        if s["start_date"] < WINDOW_START:
            raise ValueError(f"{pid}: work spell starts before 2018")
    return out


# --------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------

PARTICIPANT_COLUMNS = [
    "person_id",
    "unit_id",
    "trial_id",
    "intake_date",
    "exit_date",
    "gender",
    "birth_year",
    "children_under_18",
    "country_background",
    "immigration_year",
    "short_residence_judged",
    "norwegian_oral",
    "norwegian_written",
    "education_completed",
    "education_completed_country",
    "education_started",
    "education_started_country",
    "relevant_work_experience",
]
SPELL_COLUMNS = [
    "spell_id",
    "person_id",
    "kind",
    "code",
    "start_date",
    "end_date",
    "full_time",
    "source",
]


def build_participants_and_spells(seed: int = 2023) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Construct the participant and spell tables (in memory).

    Parameters
    ----------
    seed
        Seed for :func:`numpy.random.default_rng`. Any seed gives the same published counts.

    Returns
    -------
    participants, spells
        Frames with the contract columns, in contract order.
    """
    rng = np.random.default_rng(seed)
    people: list[dict] = []
    for target in COUNTY_TARGETS.values():
        people += _county_people(target, rng)
    for k, p in enumerate(people, start=1):
        p["person_id"] = f"D{k:03d}"

    # Countries: by residence (missing = most recent), shuffled inside windows.
    order = sorted(
        range(len(people)),
        key=lambda i: (
            (people[i]["residence"] if people[i]["residence"] is not None else -1)
            + float(rng.uniform(0, 5)) * (people[i]["residence"] is not None)
        ),
    )
    countries = _blocks(COUNTRIES)
    if len(countries) != len(people):
        raise ValueError(f"country list covers {len(countries)} persons, not {len(people)}")
    for pos, i in enumerate(order):
        people[i]["country_background"] = countries[pos]
        if countries[pos] == "Ukraina" and people[i]["immigration_year"] is not None:
            people[i]["immigration_year"] = 2022  # fled in 2022; still within 0-5 years
            if people[i]["residence"] > 5:
                raise ValueError("Ukrainian participant outside the short-residence band")

    # Whole months of work per employed person, fitted to the published mean (L3779).
    emp = [i for i, p in enumerate(people) if p["work"] is not None]
    lows = [4 if people[i]["work"][2] is False else 6 for i in emp]
    highs = [60 if people[i]["work"][0] == "2023" else 48 for i in emp]
    months = [int(rng.integers(lo, hi + 1)) for lo, hi in zip(lows, highs, strict=True)]
    months = _fit_sum(months, lows, highs, MEAN_WORK_MONTHS * len(emp), rng)
    work_months = dict(zip(emp, months, strict=True))

    # Months with reduced work capacity up to September 2023, fitted to the mean (L3876).
    rc = [i for i, p in enumerate(people) if p["status"]["nedsatt_arbeidsevne"]]
    lows = [6 for _ in rc]
    highs = [60 if people[i]["status"]["nedsatt_arbeidsevne"] == "intake" else 40 for i in rc]
    months = [int(rng.integers(lo, hi + 1)) for lo, hi in zip(lows, highs, strict=True)]
    months = _fit_sum(months, lows, highs, MEAN_REDUCED_CAPACITY_MONTHS * len(rc), rng)
    rc_months = dict(zip(rc, months, strict=True))

    spells: list[dict] = []
    for i, p in enumerate(people):
        spells += _person_spells(p, rng)
        spells += _status_spells(p, rng, rc_months.get(i))
        if p["work"] is not None:
            spells += _work_spells(p, work_months[i], rng)
    spells.sort(key=lambda s: (s["person_id"], s["start_date"], s["kind"], s["code"]))
    for k, s in enumerate(spells, start=1):
        s["spell_id"] = f"DS{k:04d}"

    participants = pd.DataFrame(people)[PARTICIPANT_COLUMNS]
    for col in ("birth_year", "children_under_18", "immigration_year"):
        participants[col] = participants[col].astype("Int64")
    return participants, pd.DataFrame(spells)[SPELL_COLUMNS]


def _cell(value: object) -> str:
    """One CSV cell: ISO dates, lower-case booleans, whole numbers without decimals."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _csv_text(frame: pd.DataFrame) -> str:
    """Contract CSV text; empty cells for missing values."""
    out = pd.DataFrame({col: [_cell(v) for v in frame[col].tolist()] for col in frame.columns})
    return out.to_csv(index=False, lineterminator="\n")


COVERAGE_COLUMNS = ["kind", "code", "unit_id", "covered_from", "covered_to", "source", "note"]
_ARENA = "Arena; uttrekket går til leveransedatoen"
#: The coverage manifest: what the register extracts behind ``spells.csv`` cover (every unit;
#: an empty ``covered_to`` = up to the delivery date). Sosialhjelp and kvalifiseringsstønad
#: exist only through 2022 (delrapport 1; participant_tables.yaml, Tabell 5.10 and 5.11), and
#: their spells end by 2022-12-31. The demo has no ``utdanning`` or ``fagbrev`` spells, so
#: those kinds are not delivered.
COVERAGE: list[dict] = [
    {"kind": "status", "code": None, "covered_from": "2018-01-01", "source": "arena",
     "note": _ARENA},
    {"kind": "ytelse", "code": "tiltakspenger", "covered_from": "2018-01-01", "source": "arena",
     "note": _ARENA},
    {"kind": "ytelse", "code": "dagpenger", "covered_from": "2018-01-01", "source": "arena",
     "note": _ARENA},
    {"kind": "ytelse", "code": "aap", "covered_from": "2018-01-01", "source": "arena",
     "note": _ARENA},
    {"kind": "ytelse", "code": "introduksjonsstonad", "covered_from": "2018-01-01",
     "source": "arena", "note": _ARENA},
    {"kind": "ytelse", "code": "kvalifiseringsstonad", "covered_from": "2018-01-01",
     "covered_to": "2022-12-31", "source": "arena",
     "note": "Data finnes bare til og med 2022 (delrapport 1)"},
    {"kind": "ytelse", "code": "sosialhjelp", "covered_from": "2018-01-01",
     "covered_to": "2022-12-31", "source": "annet",
     "note": "Fra kommunene; data finnes bare til og med 2022 (delrapport 1)"},
    {"kind": "tiltak", "code": None, "covered_from": "2018-01-01", "source": "arena",
     "note": _ARENA},
    {"kind": "arbeid", "code": None, "covered_from": "2018-01-01", "source": "aa-registeret",
     "note": "Arbeidsforhold i Norge; uttrekket går til leveransedatoen"},
]  # fmt: skip


def build_tables(seed: int = 2023) -> dict[str, pd.DataFrame]:
    """All contract tables of the demo directory (with the coverage manifest), by file stem."""
    participants, spells = build_participants_and_spells(seed)
    return {
        "participants": participants,
        "spells": spells,
        "activity_log": pd.DataFrame(ACTIVITY_LOG),
        "reported_figures": pd.DataFrame(REPORTED_FIGURES),
        "segments": pd.DataFrame(
            [dict(zip(SEGMENT_COLUMNS, row, strict=True)) for row in SEGMENTS]
        ),
        "coverage": pd.DataFrame(COVERAGE, columns=COVERAGE_COLUMNS),
    }


def generate_demo(out_dir: Path, seed: int = 2023) -> dict[str, Path]:
    """Write the demo CSV files (five contract files and ``coverage.csv``) into ``out_dir``.

    Files are first written to a temporary directory next to ``out_dir`` and then moved in,
    so a failure leaves no half-written file behind. Output is byte-identical for equal seeds.

    Parameters
    ----------
    out_dir
        Target directory; created if missing. Existing files with the same names are replaced.
    seed
        Seed for the parts of the construction that no published number depends on.

    Returns
    -------
    dict
        File stem (``"participants"`` …) to the written path.
    """
    out_dir = Path(out_dir)
    tables = build_tables(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out_dir))
    try:
        for stem in FILES:
            (tmp / f"{stem}.csv").write_text(_csv_text(tables[stem]), encoding="utf-8")
        written = {}
        for stem in FILES:
            target = out_dir / f"{stem}.csv"
            os.replace(tmp / f"{stem}.csv", target)
            written[stem] = target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: ``python -m coopstats.demo OUT_DIR [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m coopstats.demo", description="Skriv demodatasettet (fiktive data)."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)
    for path in generate_demo(args.out_dir, args.seed).values():
        print(path)
    return 0


# --------------------------------------------------------------------------------------------
# Published aggregate records (real figures, with provenance)
# --------------------------------------------------------------------------------------------

_S0 = "seed-000"


def _act(
    rid: str,
    unit: str,
    trial: str,
    start: str | None,
    end: str,
    activity: str,
    count: float | None,
    qualifier: str,
    lines: str,
    channel: str | None = None,
    low: float | None = None,
    high: float | None = None,
    note: str | None = None,
) -> dict:
    return {
        "record_id": rid,
        "unit_id": unit,
        "trial_id": trial,
        "period_start": start,
        "period_end": end,
        "activity": activity,
        "channel": channel,
        "count": count,
        "count_low": low,
        "count_high": high,
        "qualifier": qualifier,
        "source_doc": _S0,
        "source_lines": lines,
        "note": note,
    }


_IN, _MP = "nav-innlandet", "moteplassen-innlandet"
_MR, _VTMR = "nav-more-og-romsdal", "vt-more-og-romsdal"
_OV, _VTOV = "nav-ost-viken", "vt-ost-viken"
_VT, _JS = "nav-vestfold-og-telemark", "jobbspesialist-vestfold-og-telemark"

# fmt: off
ACTIVITY_LOG: list[dict] = [
    # Innlandet, Møteplassen 2024 (L1005, L1046-1047, L1391-1393)
    _act("a-in-2024-inv", _IN, _MP, "2024-01-01", "2024-12-31", "invitasjon", 850, "exact",
         "1005", note="Brede invitasjoner til alle Nav-brukere 19–30 år i regionen"),
    _act("a-in-2024-arr", _IN, _MP, "2024-09-01", "2024-12-31", "arrangement", 1, "exact", "1035"),
    _act("a-in-2024-bed", _IN, _MP, "2024-09-01", "2024-12-31", "bedrift_deltatt", 4, "exact",
         "1046"),
    _act("a-in-2024-opp", _IN, _MP, "2024-09-01", "2024-12-31", "oppmote", 50, "exact",
         "1046-1047"),
    _act("a-in-2024-int", _IN, _MP, "2024-09-01", "2024-12-31", "intervju", 12, "exact", "1392",
         note="Antall brukere som gjennomførte intervju med bedrift"),
    _act("a-in-2024-ap", _IN, _MP, "2024-09-01", "2024-12-31", "arbeidspraksis", 3, "exact",
         "1392-1393", note="Fikk tilbud om arbeidspraksis i bedrift"),
    _act("a-in-2024-fra", _IN, _MP, "2024-09-01", "2024-12-31", "frafall", 2, "exact", "1393",
         note="Falt senere ut av løpet"),
    # Innlandet, Møteplassen 2025 (L1005, L1046-1047, L1394-1396)
    _act("a-in-2025-inv", _IN, _MP, "2025-01-01", "2025-12-31", "invitasjon", 533, "exact",
         "1005", note="L1394 omtaler det samme som «over 500 inviterte»"),
    _act("a-in-2025-pam", _IN, _MP, "2025-01-01", "2025-12-31", "pamelding", 30, "exact", "1394"),
    _act("a-in-2025-arr", _IN, _MP, "2025-09-01", "2025-12-31", "arrangement", 1, "exact", "1035"),
    _act("a-in-2025-bed", _IN, _MP, "2025-09-01", "2025-12-31", "bedrift_deltatt", 5, "exact",
         "1046"),
    _act("a-in-2025-opp", _IN, _MP, "2025-09-01", "2025-12-31", "oppmote", 16, "exact",
         "1047"),
    _act("a-in-2025-int", _IN, _MP, "2025-09-01", "2025-12-31", "intervju", 18, "exact",
         "1394-1395", note="Intervjuer, ikke personer; litt færre enn booket"),
    _act("a-in-2025-mat", _IN, _MP, "2025-09-01", "2025-12-31", "match", 3, "exact",
         "1395-1396"),
    _act("a-in-2025-avs", _IN, _MP, "2025-09-01", "2025-12-31", "avslag", 2, "exact", "1396",
         note="Deltakere som takket nei til tilbudet"),
    _act("a-in-2025-bef", _IN, _MP, "2025-01-01", "2025-12-31", "interessemelding_bedrift", 50,
         "exact", "995-996", note="Bedrifter som fikk forespørsel om interessemelding"),
    # Status January 2026 (L1385-1386)
    _act("a-in-2026-ok", _IN, _MP, None, "2026-01-31", "opplaeringskontrakt", 1, "exact",
         "1385-1386", note="Klar til å signere opplæringskontrakt (status januar 2026)"),
    _act("a-in-2026-at", _IN, _MP, None, "2026-01-31", "arbeidstrening", 1, "exact", "1386",
         note="I arbeidstrening med mål om fagbrevløp på sikt"),
    # Møre og Romsdal, Veiledningstelefonen (L744-746, L1186-1192)
    _act("a-mr-anrop", _MR, _VTMR, "2024-10-01", "2025-06-08", "anrop", 45, "approximate",
         "1186-1187", channel="telefonlinje",
         note="«omtrent halvparten» av om lag 90 forventede; linjen var operativ fra slutten av "
         "oktober 2024 (L752)"),
    _act("a-mr-forv", _MR, _VTMR, "2024-10-01", "2025-06-08", "anrop_forventet", 90,
         "approximate", "1186", channel="telefonlinje"),
    _act("a-mr-henv", _MR, _VTMR, "2024-01-01", "2025-12-31", "henvendelse", 600, "approximate",
         "1190-1192", channel="koordinator",
         note="Henvendelser fra Nav-veiledere til opplæringskoordinatorene i prosjektperioden"),
    _act("a-mr-ag", _MR, _VTMR, "2024-01-01", "2025-12-31", "arbeidsgruppemote", 11, "exact",
         "744-745"),
    _act("a-mr-sg", _MR, _VTMR, "2024-01-01", "2025-12-31", "styringsgruppemote", 6, "exact",
         "745-746"),
    _act("a-mr-fag", _MR, _VTMR, "2024-01-01", "2025-12-31", "fagsamling", 4, "exact", "744",
         note="Én regional fagsamling per ressurssenter"),
    # Øst-Viken, utdanningsteam (L1270-1271)
    _act("a-ov-team", _OV, _VTOV, "2025-04-01", "2025-12-31", "sak", 100, "approximate",
         "1270", channel="utdanningsteam", note="Sluttdato er rapporttidspunktet (ikke oppgitt)"),
    _act("a-ov-serv", _OV, _VTOV, "2025-04-01", "2025-12-31", "sak", 50, "approximate",
         "1270-1271", channel="servicetorg",
         note="Skrevet «servicesenteret» i rapporten; mulig overlapp mellom kanalene er "
         "ikke oppgitt"),
    _act("a-ov-koord", _OV, _VTOV, "2025-04-01", "2025-12-31", "sak", 20, "approximate",
         "1271", channel="koordinator", note="Direkte til prosjektkoordinatorene"),
    _act("a-ov-besok", _OV, _VTOV, "2024-01-01", "2025-12-31", "kontorbesok_runde", 2, "exact",
         "895", note="To fysiske besøk på alle Nav-kontor i Østfold"),
    # Vestfold og Telemark, Jobbspesialist for grupper (L1078-1079)
    _act("a-vt-klasser", _VT, _JS, "2025-09-01", "2025-12-31", "samarbeidsklasse", 4, "exact",
         "1078-1079", note="Tømrer, betong, helsearbeider og drone; samme skole"),
    _act("a-vt-kand", _VT, _JS, "2025-09-01", "2025-12-31", "kandidatplass", None, "range",
         "1078-1079", low=4, high=60,
         note="Inntil 15 kandidater per klasse (4 × 15); nedre grense: minst én per klasse"),
]

# fmt: on


def _fig(
    fid: str,
    unit: str | None,
    model: str | None,
    desc: str,
    value: float | None,
    unit_kind: str,
    qualifier: str,
    population: str | None,
    as_of: str | None,
    doc: str,
    lines: str,
    low: float | None = None,
    high: float | None = None,
) -> dict:
    return {
        "figure_id": fid,
        "unit_id": unit,
        "model_id": model,
        "description": desc,
        "value": value,
        "value_low": low,
        "value_high": high,
        "unit": unit_kind,
        "qualifier": qualifier,
        "population": population,
        "as_of": as_of,
        "source_doc": doc,
        "source_lines": lines,
    }


S003_FIGURES: tuple[tuple, ...] = (
    # (figure_id, unit_id, description, value, unit, qualifier, population, as_of, lines)
    # Copied from the chapter 6 rows of the seed 003 in-text numbers (tables README).
    (
        "s003-3536-tatt-inn-i-forsoket",
        None,
        "Tatt inn i forsøket",
        66,
        "persons",
        "exact",
        "all admitted participants",
        "intake 2023",
        "3536",
    ),
    (
        "s003-3536-tatt-inn-oslo",
        "nav-oslo",
        "Tatt inn (Oslo)",
        26,
        "persons",
        "exact",
        "admitted participants",
        "intake 2023",
        "3536",
    ),
    (
        "s003-3536-tatt-inn-ost-viken",
        "nav-ost-viken",
        "Tatt inn (Øst-Viken)",
        26,
        "persons",
        "exact",
        "admitted participants",
        "intake 2023",
        "3536",
    ),
    (
        "s003-3538-tatt-inn-vestland",
        "nav-vestland",
        "Tatt inn (Vestland)",
        14,
        "persons",
        "exact",
        "admitted participants",
        "intake 2023",
        "3538",
    ),
    (
        "s003-3538-deltakere-per-desember-2023",
        None,
        "Deltakere per desember 2023",
        62,
        "persons",
        "exact",
        "participants",
        "December 2023",
        "3538",
    ),
    (
        "s003-3540-frafall",
        None,
        "Frafall",
        4,
        "persons",
        "exact",
        "admitted participants",
        "intake to December 2023",
        "3540",
    ),
    ("s003-3544-kvinner", None, "Kvinner", 82, "percent", "exact", "N=66", None, "3544"),
    (
        "s003-3552-kvinner-oslo",
        "nav-oslo",
        "Kvinner (Oslo)",
        92,
        "percent",
        "exact",
        "Oslo N=26",
        None,
        "3552",
    ),
    (
        "s003-3552-kvinner-vestland",
        "nav-vestland",
        "Kvinner (Vestland)",
        79,
        "percent",
        "exact",
        "Vestland N=14",
        None,
        "3552",
    ),
    (
        "s003-3560-kvinner-ost-viken",
        "nav-ost-viken",
        "Kvinner (Øst-Viken)",
        73,
        "percent",
        "exact",
        "Øst-Viken N=26",
        None,
        "3560",
    ),
    (
        "s003-3562-barn-under-18-ar",
        None,
        "Barn under 18 år",
        77,
        "percent",
        "exact",
        "N=66",
        None,
        "3562",
    ),
    (
        "s003-3564-tre-eller-flere-barn",
        None,
        "Tre eller flere barn",
        30,
        "percent",
        "exact",
        "N=66",
        None,
        "3564",
    ),
    (
        "s003-3566-gjennomsnittsalder",
        None,
        "Gjennomsnittsalder",
        37,
        "years",
        "exact",
        "N=66",
        None,
        "3566",
    ),
    (
        "s003-3570-yngre-enn-30-ar-ost-viken",
        "nav-ost-viken",
        "Yngre enn 30 år (Øst-Viken)",
        42,
        "percent",
        "exact",
        "Øst-Viken N=26",
        None,
        "3570",
    ),
    ("s003-3598-antall-land", None, "Antall land", 24, "count", "exact", "N=66", None, "3598"),
    (
        "s003-3600-landbakgrunn-syria",
        None,
        "Landbakgrunn Syria",
        12,
        "percent",
        "exact",
        "N=66",
        None,
        "3600",
    ),
    (
        "s003-3600-landbakgrunn-etiopia",
        None,
        "Landbakgrunn Etiopia",
        12,
        "percent",
        "exact",
        "N=66",
        None,
        "3600",
    ),
    (
        "s003-3600-landbakgrunn-pakistan",
        None,
        "Landbakgrunn Pakistan",
        11,
        "percent",
        "exact",
        "N=66",
        None,
        "3600",
    ),
    (
        "s003-3604-botid-fem-ar-eller-mindre",
        None,
        "Botid fem år eller mindre",
        42,
        "percent",
        "exact",
        "N=66",
        None,
        "3604",
    ),
    (
        "s003-3656-b1-deltakere-uten-fullfort-utdanning",
        None,
        "B1-deltakere uten fullført utdanning",
        50,
        "percent",
        "exact",
        "participants at B1 (oral and/or written)",
        None,
        "3656",
    ),
    (
        "s003-3704-fullfort-minst-grunnskole",
        None,
        "Fullført minst grunnskole",
        82,
        "percent",
        "exact",
        "N=66",
        None,
        "3704",
    ),
    (
        "s003-3710-uten-fullfort-grunnskole",
        None,
        "Uten fullført grunnskole",
        18,
        "percent",
        "exact",
        "N=66",
        None,
        "3710",
    ),
    ("s003-3716-fullfort-vgo", None, "Fullført VGO", 26, "percent", "exact", "N=66", None, "3716"),
    (
        "s003-3742-fullfort-grunnskole-i-norge",
        None,
        "Fullført grunnskole i Norge",
        13,
        "percent",
        "exact",
        "not stated",
        None,
        "3742",
    ),
    (
        "s003-3733-pabegynt-utdanning",
        None,
        "Påbegynt utdanning",
        45,
        "percent",
        "exact",
        "N=66",
        None,
        "3733",
    ),
    (
        "s003-3733-pabegynt-utdanning-i-norge-blant-de-med",
        None,
        "Påbegynt utdanning i Norge, blant de med påbegynt",
        53,
        "percent",
        "exact",
        "participants with started education",
        None,
        "3733",
    ),
    (
        "s003-3737-pabegynt-utdanning-vestland",
        "nav-vestland",
        "Påbegynt utdanning (Vestland)",
        64,
        "percent",
        "exact",
        "Vestland N=14",
        None,
        "3737",
    ),
    (
        "s003-3737-pabegynt-utdanning-oslo",
        "nav-oslo",
        "Påbegynt utdanning (Oslo)",
        31,
        "percent",
        "exact",
        "Oslo N=26",
        None,
        "3737",
    ),
    (
        "s003-3769-innvandret-siste-fem-ar",
        None,
        "Innvandret siste fem år",
        42,
        "percent",
        "exact",
        "N=66",
        None,
        "3769",
    ),
    (
        "s003-3775-vaert-i-arbeid-i-norge-siste-fem-ar",
        None,
        "Vært i arbeid i Norge siste fem år",
        59,
        "percent",
        "exact",
        "N=66",
        "2018-2023 (Aa-registeret)",
        "3775",
    ),
    (
        "s003-3779-gjennomsnittlig-tid-i-arbeid",
        None,
        "Gjennomsnittlig tid i arbeid",
        25,
        "months",
        "exact",
        "those employed 2018-2023",
        "2018-2023",
        "3779",
    ),
    (
        "s003-3779-heltidsarbeid-blant-de-i-arbeid",
        None,
        "Heltidsarbeid blant de i arbeid",
        61,
        "percent",
        "exact",
        "those employed in last five years",
        "2018-2023",
        "3779",
    ),
    (
        "s003-3781-i-arbeid-aret-de-ble-tatt-inn",
        None,
        "I arbeid året de ble tatt inn",
        39,
        "percent",
        "exact",
        "N=66",
        "2023",
        "3781",
    ),
    (
        "s003-3783-heltid-blant-de-i-arbeid-i-inntaksaret",
        None,
        "Heltid blant de i arbeid i inntaksåret",
        42,
        "percent",
        "exact",
        "those employed in 2023",
        "2023",
        "3783",
    ),
    (
        "s003-3787-registrert-helt-ledig",
        None,
        "Registrert helt ledig",
        64,
        "percent",
        "exact",
        "N=66",
        "last five years",
        "3787",
    ),
    (
        "s003-3789-registrert-delvis-ledig",
        None,
        "Registrert delvis ledig",
        18,
        "percent",
        "exact",
        "N=66",
        "last five years",
        "3789",
    ),
    (
        "s003-3789-registrert-arbeidssoker",
        None,
        "Registrert arbeidssøker",
        56,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3789",
    ),
    (
        "s003-3791-arbeidssoker-ved-inntak",
        None,
        "Arbeidssøker ved inntak",
        32,
        "percent",
        "exact",
        "N=66",
        "autumn 2023 (September 2023 per fn 11)",
        "3791",
    ),
    (
        "s003-3826-relevant-arbeidserfaring",
        None,
        "Relevant arbeidserfaring",
        61,
        "percent",
        "exact",
        "N=66",
        None,
        "3826",
    ),
    (
        "s003-3870-nedsatt-arbeidsevne-siste-fem-ar",
        None,
        "Nedsatt arbeidsevne siste fem år",
        56,
        "percent",
        "exact",
        "N=66",
        "last five years (NAV register data)",
        "3870",
    ),
    (
        "s003-3872-nedsatt-arbeidsevne-ved-inntak",
        None,
        "Nedsatt arbeidsevne ved inntak",
        52,
        "percent",
        "exact",
        "N=66",
        "autumn 2023 (September 2023 per fn 13)",
        "3872",
    ),
    (
        "s003-3876-gjennomsnittlig-tid-med-nedsatt-arbeidse",
        None,
        "Gjennomsnittlig tid med nedsatt arbeidsevne",
        30,
        "months",
        "exact",
        "those registered with it in last five years",
        "last five years",
        "3876",
    ),
    (
        "s003-3882-nedsatt-arbeidsevne-siste-fem-ar-ost-viken",
        "nav-ost-viken",
        "Nedsatt arbeidsevne siste fem år (Øst-Viken)",
        25,
        "percent",
        "approximate",
        "Øst-Viken N=26",
        "last five years",
        "3882",
    ),
    (
        "s003-3895-mottatt-tiltak",
        None,
        "Mottatt tiltak",
        100,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3895",
    ),
    (
        "s003-3897-gjennomsnittlig-tid-pa-tiltak",
        None,
        "Gjennomsnittlig tid på tiltak",
        1,
        "years",
        "exact",
        "N=66",
        "2018-2023",
        "3897",
    ),
    (
        "s003-3899-opplaeringstiltak",
        None,
        "Opplæringstiltak",
        48,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3899",
    ),
    (
        "s003-3899-arbeidspraksis",
        None,
        "Arbeidspraksis",
        38,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3899",
    ),
    (
        "s003-3901-oppfolgingstiltak",
        None,
        "Oppfølgingstiltak",
        8,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3901",
    ),
    (
        "s003-3912-opplaeringstiltak-i-2023",
        None,
        "Opplæringstiltak i 2023",
        24,
        "percent",
        "exact",
        "N=66",
        "2023 until trial start",
        "3912",
    ),
    (
        "s003-3912-arbeidspraksis-i-2023",
        None,
        "Arbeidspraksis i 2023",
        15,
        "percent",
        "exact",
        "N=66",
        "2023 until trial start",
        "3912",
    ),
    (
        "s003-3934-introduksjonsstonad-ved-oppstart",
        None,
        "Introduksjonsstønad ved oppstart",
        23,
        "percent",
        "exact",
        "N=66",
        "September 2023",
        "3934",
    ),
    (
        "s003-3936-introduksjonsstonad-ved-oppstart-ost-viken",
        "nav-ost-viken",
        "Introduksjonsstønad ved oppstart (Øst-Viken)",
        42,
        "percent",
        "exact",
        "Øst-Viken N=26",
        "September 2023",
        "3936",
    ),
    (
        "s003-3938-introduksjonsstonad-ved-oppstart-vestland",
        "nav-vestland",
        "Introduksjonsstønad ved oppstart (Vestland)",
        29,
        "percent",
        "exact",
        "Vestland N=14",
        "September 2023",
        "3938",
    ),
    (
        "s003-3938-introduksjonsstonad-ved-oppstart-oslo",
        "nav-oslo",
        "Introduksjonsstønad ved oppstart (Oslo)",
        0,
        "percent",
        "exact",
        "Oslo N=26",
        "September 2023",
        "3938",
    ),
    (
        "s003-3942-minimum-botid-oslo",
        "nav-oslo",
        "Minimum botid (Oslo)",
        3,
        "years",
        "exact",
        "Oslo participants",
        None,
        "3942",
    ),
    (
        "s003-3948-mottatt-introduksjonsstonad-2018-2023",
        None,
        "Mottatt introduksjonsstønad 2018-2023",
        44,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3948",
    ),
    (
        "s003-3962-gjennomsnittlig-tid-med-ytelser",
        None,
        "Gjennomsnittlig tid med ytelser",
        9,
        "months",
        "exact",
        "those who received benefits",
        "2018-2023",
        "3962",
    ),
    (
        "s003-3970-introduksjonsstonad",
        None,
        "Introduksjonsstønad",
        56,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3970",
    ),
    (
        "s003-3970-tiltakspenger",
        None,
        "Tiltakspenger",
        55,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3970",
    ),
    (
        "s003-3970-sosialhjelp",
        None,
        "Sosialhjelp",
        49,
        "percent",
        "exact",
        "N=66",
        "2018-2023 (sosialhjelp data only to 2022 per L4010)",
        "3970",
    ),
    (
        "s003-3974-kvalifiseringsstonad",
        None,
        "Kvalifiseringsstønad",
        20,
        "percent",
        "exact",
        "N=66",
        "2018-2023",
        "3974",
    ),
    ("s003-3976-dagpenger", None, "Dagpenger", 21, "percent", "exact", "N=66", "2018-2023", "3976"),
    (
        "s003-4012-tiltakspenger-per-oktober-2023",
        None,
        "Tiltakspenger per oktober 2023",
        39,
        "percent",
        "exact",
        "N=66",
        "October 2023",
        "4012",
    ),
    (
        "s003-4012-introduksjonsstonad-per-oktober-2023",
        None,
        "Introduksjonsstønad per oktober 2023",
        23,
        "percent",
        "exact",
        "N=66",
        "October 2023",
        "4012",
    ),
    (
        "s003-4014-tiltakspenger-dagpenger-aap-eller-introd",
        None,
        "Tiltakspenger, dagpenger, AAP eller introduksjonsstønad per oktober 2023",
        62,
        "percent",
        "exact",
        "N=66",
        "October 2023",
        "4014",
    ),
    (
        "s003-4038-gjennomsnittsalder-oslo",
        "nav-oslo",
        "Gjennomsnittsalder (Oslo)",
        40,
        "years",
        "exact",
        "Oslo N=26",
        None,
        "4038",
    ),
)

REPORTED_FIGURES: list[dict] = [
    _fig(f, u, "lengre-varighet", d, v, k, q, p, a, "seed-003", ln)
    for f, u, d, v, k, q, p, a, ln in S003_FIGURES
] + [
    # Seed 000: staffing and targets (not activities)
    _fig(
        "s000-mr-fk-stilling",
        _MR,
        "veiledningstelefonen",
        "Fylkeskommunal stilling finansiert for å bemanne telefonlinjen",
        40,
        "percent",
        "exact",
        None,
        "2024–2025",
        _S0,
        "740-741",
    ),
    _fig(
        "s000-ov-koordinatorer",
        _OV,
        "veiledningstelefonen",
        "Prosjektkoordinatorer i 100 % stilling (én i Nav, én i fylkeskommunen)",
        2,
        "persons",
        "exact",
        None,
        "2024–2025",
        _S0,
        "843-844",
    ),
    _fig(
        "s000-in-jobbkoordinator",
        _IN,
        "moteplassen",
        "Jobbkoordinator i Nav, stillingsandel",
        100,
        "percent",
        "exact",
        None,
        None,
        _S0,
        "950-951",
    ),
    _fig(
        "s000-in-fk-koordinator",
        _IN,
        "moteplassen",
        "Koordinator i fylkeskommunen, stillingsandel",
        40,
        "percent",
        "exact",
        None,
        None,
        _S0,
        "951",
    ),
    _fig(
        "s000-in-mal-bedrifter",
        _IN,
        "moteplassen",
        "Mål for antall bedrifter per møteplass",
        None,
        "count",
        "range",
        None,
        None,
        _S0,
        "998-1000",
        low=6,
        high=10,
    ),
    _fig(
        "s000-in-mal-kontrakter",
        _IN,
        "moteplassen",
        "Mål for signerte opplæringskontrakter per møteplass",
        10,
        "count",
        "exact",
        None,
        None,
        _S0,
        "1387-1388",
    ),
    _fig(
        "s000-in-7sterke",
        _IN,
        "moteplassen",
        "Bedrifter i klyngen 7sterke",
        100,
        "count",
        "approximate",
        None,
        None,
        _S0,
        "989",
    ),
    _fig(
        "s000-vt-jobbspesialister",
        _VT,
        "jobbspesialist-grupper",
        "Jobbspesialister i 100 % stilling",
        2,
        "persons",
        "exact",
        None,
        None,
        _S0,
        "1070-1071",
    ),
    # Seed 002: background statistics for Nordland
    _fig(
        "s002-uten-vgo",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Arbeidssøkere registrert i NAV i Nordland uten fullført videregående opplæring",
        43,
        "percent",
        "exact",
        "arbeidssøkere i Nordland",
        "2022-12-01 (Datavarehus A301)",
        "seed-002",
        "23-24",
    ),
    _fig(
        "s002-helt-ledige",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Helt ledige arbeidssøkere i Nordland",
        1493,
        "persons",
        "exact",
        None,
        "utgangen av november 2022",
        "seed-002",
        "29-30",
    ),
    _fig(
        "s002-ledighet",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Helt ledige i prosent av arbeidsstyrken",
        1.2,
        "percent",
        "exact",
        "arbeidsstyrken",
        "utgangen av november 2022",
        "seed-002",
        "30",
    ),
    _fig(
        "s002-oppfolging-alle",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Brukere i alle aldre i arbeidsrettet oppfølging",
        12357,
        "persons",
        "exact",
        None,
        None,
        "seed-002",
        "74-75",
    ),
    _fig(
        "s002-oppfolging-unge",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Unge under 30 år i arbeidsrettet oppfølging",
        3219,
        "persons",
        "exact",
        None,
        None,
        "seed-002",
        "74-75",
    ),
    _fig(
        "s002-unge-andel",
        "nav-nordland",
        "karriereveiledning-nordland",
        "Unge under 30 år i prosent av alle arbeidssøkere i Nordland",
        31,
        "percent",
        "exact",
        "arbeidssøkere i Nordland",
        None,
        "seed-002",
        "75-76",
    ),
]


SEGMENT_COLUMNS = [
    "segment_id",
    "unit_id",
    "model_id",
    "trial_id",
    "informant_role",
    "phase",
    "code",
    "polarity",
    "evidence_type",
    "paraphrase",
    "source_doc",
    "source_lines",
]

_LV = "lengre-varighet"
_LVO, _LVV, _LVOV = "lengre-varighet-oslo", "lengre-varighet-vestland", "lengre-varighet-ost-viken"
_VTM, _MPM, _JSM = "veiledningstelefonen", "moteplassen", "jobbspesialist-grupper"
_D, _B = "driver", "barrier"

# (segment_id, unit_id, model_id, trial_id, informant_role, phase, code, polarity,
#  evidence_type, paraphrase (own words), source_doc, source_lines)
# fmt: off
SEGMENTS: list[tuple] = [
    # Møre og Romsdal (seed 000, ch. 4.1)
    ("g-mr-01", _MR, _VTM, _VTMR, "arbeidsgruppe", "GOV", "fysiske-moter", _D, "interview",
     "Hyppige fysiske møter i arbeidsgruppa og fysiske infomøter på kontorene bygde relasjoner "
     "som gjorde det lettere å ta kontakt senere.", _S0, "1210-1214"),
    ("g-mr-02", _MR, _VTM, _VTMR, "arbeidsgruppe", "GOV", "felles-eierskap", _D, "interview",
     "Nav og fylkeskommunen utviklet infomøtene sammen og opplevde utprøvingen som et "
     "praksisnært prosjekt de eide i fellesskap.", _S0, "1216-1217"),
    ("g-mr-03", _MR, _VTM, _VTMR, "arbeidsgruppe", "INT", "gjenbruk-materiell", _D, "interview",
     "Det var nyttig å bygge på erfaringene og informasjonsmateriellet fra Vestfold og "
     "Telemark.", _S0, "1218-1220"),
    ("g-mr-04", _MR, _VTM, _VTMR, "arbeidsgruppe", "TRN", "fagsamlinger", _D, "interview",
     "Regionale fagsamlinger ga veilederne kjennskap til ressurssentrene og var arenaer for "
     "læring og relasjonsbygging.", _S0, "1221-1223"),
    ("g-mr-05", _MR, _VTM, _VTMR, "arbeidsgruppe", "INT", "trekantsamtaler", _D, "interview",
     "Når veileder og bruker ringer sammen og har forberedt seg, blir svarene mer treffsikre "
     "og misforståelser unngås.", _S0, "1225-1228"),
    ("g-mr-06", _MR, _VTM, _VTMR, "arbeidsgruppe", "GOV", "forankring", _D, "interview",
     "Styringsgruppe med fylkesledelsen i begge etater, ressurser på begge sider og et felles "
     "ønske om å videreføre ga god forankring.", _S0, "1230-1234"),
    ("g-mr-07", _MR, _VTM, _VTMR, "arbeidsgruppe", "INT", "kapasitet", _B, "interview",
     "Stort arbeidspress gjorde det vanskelig å få veiledernes tid til infomøter; det løste seg "
     "ved å koble seg på eksisterende møter.", _S0, "1238-1243"),
    ("g-mr-08", _MR, _VTM, _VTMR, "arbeidsgruppe", "GOV", "tidligere-samarbeid", _D,
     "interview",
     "Opplæringskoordinatorenes etablerte relasjon til Nav-kontorene gjorde det mulig å få "
     "møtetid på alle kontorer.", _S0, "1243-1245"),
    ("g-mr-09", _MR, _VTM, _VTMR, "arbeidsgruppe", "INT", "informasjon-forstelinje", _B,
     "interview",
     "Kontorene tok ulikt imot informasjon; noen steder måtte veilederne hentes inn til "
     "møtet.", _S0, "1249-1251"),
    # Øst-Viken (seed 000, ch. 4.2)
    ("g-ov-01", _OV, _VTM, _VTOV, "prosjektkoordinator", "GOV", "felles-arbeidsgruppe", _D,
     "interview",
     "Et tverrfaglig utdanningsteam med kompetanse fra begge etater gir brukerne presise og "
     "realistiske svar; regnes som det viktigste grepet.", _S0, "1287-1294"),
    ("g-ov-02", _OV, _VTM, _VTOV, "prosjektkoordinator", "TRN", "kompetanseoverforing", _D,
     "interview",
     "To deltakere fra Nav i hvert teammøte styrket kompetanseoverføringen mellom "
     "organisasjonene.", _S0, "1296-1298"),
    ("g-ov-03", _OV, _VTM, _VTOV, "prosjektkoordinator", "INT", "rolleavklaring", _D,
     "interview",
     "Prosjektkoordinatorene koordinerte teamet, tok direkte henvendelser og fungerte som en "
     "spisset førstelinje.", _S0, "1302-1306"),
    ("g-ov-04", _OV, _VTM, _VTOV, "flere informanter", "GOV", "fysiske-moter", _D,
     "interview",
     "Ukentlige fysiske teammøter og statusmøter med ledere til stede gjorde etatene mer "
     "samkjørte og ga korte beslutningsveier.", _S0, "1310-1316"),
    ("g-ov-05", _OV, _VTM, _VTOV, "prosjektkoordinator", "INT", "informasjon-forstelinje", _D,
     "interview",
     "Fysiske besøk på Nav-kontorene gjorde tilbudet kjent og senket terskelen for å ta "
     "kontakt med konkrete saker.", _S0, "1320-1323"),
    ("g-ov-06", _OV, _VTM, _VTOV, "prosjektdeltakere", "GOV", "tillit-fleksibilitet", _D,
     "interview",
     "Tillit og handlingsrom fra Arbeids- og velferdsdirektoratet gjorde det mulig å tilpasse "
     "modellen til lokale forhold.", _S0, "1327-1337"),
    ("g-ov-07", _OV, _VTM, _VTOV, "prosjektgruppe", "GOV", "forankring", _B, "interview",
     "Prosjektet var ikke tilstrekkelig forankret i fylkeskommunen før søknaden, og "
     "telefonlinjen ble vurdert som lite gjennomførbar etter at planleggingen var i gang.",
     _S0, "1343-1348"),
    ("g-ov-08", _OV, _VTM, _VTOV, "flere informanter", "GOV", "kort-tidsramme", _B,
     "interview",
     "Tolv måneder var for kort: ansettelser, planlegging og justeringer tok mye av tiden, "
     "og henvendelsene tok seg opp først mot slutten.", _S0, "1351-1358"),
    ("g-ov-09", _OV, _VTM, _VTOV, "prosjektkoordinator", "INT", "informasjon-forstelinje", _B,
     "interview",
     "Det tok lang tid å gjøre tjenesten kjent blant travle veiledere som får mye informasjon; "
     "gjentatte besøk var nødvendig.", _S0, "1362-1371"),
    ("g-ov-10", _OV, _VTM, _VTOV, "flere informanter", "INT", "kartlegging-henvendelser", _B,
     "interview",
     "Med servicetorget som førstelinje kan ingen kontrollere om saker og henvendelser blir "
     "besvart.", _S0, "1271-1273"),
    # Innlandet (seed 000, ch. 4.3)
    ("g-in-01", _IN, _MPM, _MP, "arbeidsgruppe", "GOV", "felles-arbeidsgruppe", _D,
     "interview",
     "En regional arbeidsgruppe som møttes ukentlig det første året ga felles eierskap, felles "
     "målforståelse og struktur i planleggingen.", _S0, "1407-1415"),
    ("g-in-02", _IN, _MPM, _MP, "veileder", "INT", "informasjon-forstelinje", _D, "interview",
     "Tidlig og tydelig informasjon til ungdomsteamene på alle kontorer, lagt til eksisterende "
     "møter, gjorde det lett for veilederne å ta opp tilbudet med brukerne.", _S0, "1419-1433"),
    ("g-in-03", _IN, _MPM, _MP, "veileder", "EMP", "arrangement-dimensjonering", _D,
     "interview",
     "Et arrangement av passe størrelse med godt forberedte bedriftspresentasjoner gjorde det "
     "lokale arbeidsmarkedet synlig for brukerne.", _S0, "1437-1444"),
    ("g-in-04", _IN, _MPM, _MP, "evaluator", "GOV", "forankring", _B, "interview",
     "Forsøket var drevet av Nav og hadde lavere prioritet i fylkeskommunen, som sto i "
     "omstillinger; koordinatoren i fylkeskommunen kom sent og ble byttet flere ganger.",
     _S0, "1467-1472"),
    ("g-in-05", _IN, _MPM, _MP, "nav", "GOV", "styringslinjer", _B, "interview",
     "Fagopplæring og karrieresenter ligger under ulike styringslinjer i fylkeskommunen, noe "
     "som ga tidkrevende beslutninger.", _S0, "1474-1480"),
    ("g-in-06", _IN, _MPM, _MP, "nav", "GOV", "rolleavklaring", _B, "interview",
     "Det var uklart i starten hvem koordinatoren i fylkeskommunen skulle kontakte i Nav om "
     "hvilke saker.", _S0, "1482-1484"),
    ("g-in-07", _IN, _MPM, _MP, "nav", "EMP", "rekruttering", _B, "interview",
     "Det lyktes ikke å rekruttere nok bedrifter; noen trakk seg, og mange er skeptiske til at "
     "Nav skal styre hvem som får fagbrev.", _S0, "1492-1505"),
    ("g-in-08", _IN, _MPM, _MP, "evaluator", "EMP", "bedriftsnettverk", _B, "interview",
     "Fagopplæringas nettverk av lærebedrifter kunne vært brukt mer i rekrutteringen av "
     "bedrifter.", _S0, "1507-1510"),
    ("g-in-09", _IN, _MPM, _MP, "veileder", "INT", "frivillighet", _B, "interview",
     "Etter lavt oppmøte spør flere om frivillig deltakelse er riktig, og om tydeligere "
     "forventninger ville gitt flere deltakere.", _S0, "1521-1532"),
    ("g-in-10", _IN, _MPM, _MP, "veileder", "INT", "kapasitet", _B, "interview",
     "Veiledere manglet kapasitet eller oversikt over porteføljen til å finne og følge opp "
     "aktuelle brukere.", _S0, "1536-1539"),
    ("g-in-11", _IN, _MPM, _MP, "veileder", "EMP", "forventningsavklaring", _B, "interview",
     "Matchingen ble vanskelig: bedrifter trakk seg, og forventningene til intervjuene var "
     "ikke godt nok avklart med bedrifter, veiledere og brukere.", _S0, "1543-1570"),
    ("g-in-12", _IN, _MPM, _MP, "nav", "TRF", "opptaksordning", _B, "interview",
     "Det var lenge uklart om kandidatene skulle tas inn ved ordinært eller fortløpende "
     "opptak, og tilbudsstrukturen ble lagt om.", _S0, "1574-1578"),
    # Vestfold og Telemark (seed 000, ch. 4.4)
    ("g-vt-01", _VT, _JSM, _JS, "jobbspesialist", "TRN", "tilstedevaerelse", _D, "interview",
     "Ukentlig tilstedeværelse på skolen og felles bedriftsbesøk med faglærer gjør "
     "samhandlingen enklere.", _S0, "1609-1612"),
    ("g-vt-02", _VT, _JSM, _JS, "jobbspesialist", "TRN", "personavhengighet", _D, "interview",
     "To jobbspesialister ved samme skole kan være reserve for hverandre, så kandidatene har "
     "flere å spørre.", _S0, "1612-1616"),
    ("g-vt-03", _VT, _JSM, _JS, "arbeidsgruppe", "GOV", "tidligere-samarbeid", _D, "interview",
     "Skolen har lenge hatt samarbeidsklasser og et godt samarbeid mellom Nav og "
     "fylkeskommunen.", _S0, "1618-1620"),
    ("g-vt-04", _VT, _JSM, _JS, "arbeidsgruppe", "GOV", "erfaringsutveksling", _D, "interview",
     "Tett kontakt med arbeidsgruppa i Møre og Romsdal har vært nyttig for begge.", _S0,
     "1627-1628"),
    ("g-vt-05", _VT, _JSM, _JS, "prosjektmedarbeider", "TRN", "prioritering", _B, "interview",
     "Jobbspesialistene må få prioritere kandidatene framfor kontoroppgaver, med støtte fra "
     "metodeveileder og kontorleder.", _S0, "1633-1639"),
    ("g-vt-06", _VT, _JSM, _JS, "prosjektgruppe", "GOV", "avgrensning", _B, "interview",
     "Prosjektet må avgrenses mot ordinære kandidater og mot ordinært samarbeid når "
     "fylkesleddet og fylkeskommunen er samlokalisert.", _S0, "1643-1653"),
    ("g-vt-07", _VT, _JSM, _JS, "faglærer", "TRN", "rolleavklaring", _B, "interview",
     "Ansvar og roller mellom jobbspesialist, faglærer og veileder må avklares; en praksisplass "
     "ble ordnet uten at faglærer visste om det.", _S0, "1657-1668"),
    ("g-vt-08", _VT, _JSM, _JS, "jobbspesialist", "TRN", "modulstruktur", _B, "interview",
     "Modulstrukturert opplæring gir individuelle løp og mange ulike spørsmål, særlig i "
     "helsefagklassen.", _S0, "1672-1675"),
    # Lengre varighet (seed 003, ch. 5)
    ("g-lv-01", "nav-vestland", _LV, _LVV, "kommune", "INT", "sprakkrav", _B, "interview",
     "Kravet om å nå B1 i løpet av første år ble av kommunens introduksjonssenter vurdert som "
     "for høyt.", "seed-003", "3048-3055"),
    ("g-lv-02", _OV, _LV, _LVOV, "flere informanter", "GOV", "gjensidig-kunnskap", _B,
     "interview",
     "Begrenset kjennskap til hverandres regelverk og planleggingssykluser var mest tydelig der "
     "samarbeidet var nytt.", "seed-003", "3097-3101"),
    ("g-lv-03", _OV, _LV, _LVOV, "flere informanter", "INT", "lokal-implementering", _B,
     "interview",
     "Det var krevende å få lokale veiledere til å rekruttere deltakere, til tross for mye "
     "informasjonsarbeid.", "seed-003", "3209-3213"),
    ("g-lv-04", _OV, _LV, _LVOV, "skole", "TRN", "ressurskrevende", _B, "interview",
     "Skolene brukte mer tid enn planlagt på samhandling, kartlegging og rapportering, samtidig "
     "som Viken ble oppløst.", "seed-003", "3354-3358"),
    ("g-lv-05", _OV, _LV, _LVOV, "evaluator", "INC", "livsopphold", _B, "document",
     "Sikring av livsopphold under opplæringen ble mye diskutert i planleggingen.", "seed-003",
     "4002-4004"),
    ("g-lv-06", "nav-oslo", _LV, _LVO, "flere informanter", "GOV", "tidligere-samarbeid", _D,
     "interview",
     "Erfaring fra eksisterende samarbeidsmodeller ga avklarte roller, tillit og en enklere "
     "oppstart.", "seed-003", "3430-3434"),
    ("g-lv-07", "nav-vestland", _LV, _LVV, "flere informanter", "GOV", "tidligere-samarbeid",
     _D, "interview",
     "Erfaring fra eksisterende samarbeidsmodeller ga avklarte roller, tillit og en enklere "
     "oppstart.", "seed-003", "3430-3434"),
    ("g-lv-08", _OV, _LV, _LVOV, "flere informanter", "GOV", "tidligere-samarbeid", _B,
     "interview",
     "Mindre erfaring å bygge på; samarbeidet preges av tettere skott og arbeidsdeling snarere "
     "enn samskaping.", "seed-003", "3458-3464"),
] + [
    (f"g-lv-{k}-{u.split('-', 1)[1]}", u, _LV, t, "flere informanter", ph, code, pol, "interview",
     text, "seed-003", lines)
    for k, ph, code, pol, text, lines in (
        ("09", "GOV", "nasjonal-koordinering", _D,
         "Det felles oppdraget til direktoratene og det nasjonale nettverket senket terskelen "
         "for samarbeid.", "3361-3387"),
        ("10", "INC", "regelverk", _B,
         "Regelverkene «jobber mot hverandre»; tiltakspenger kan ikke kombineres med "
         "lærlinglønn (eksempelet gjelder ett av fylkene).", "3140-3160"),
        ("11", "GOV", "personavhengighet", _B,
         "Prosjektfinansiering gir usikker videreføring og avhengighet av enkeltpersoner.",
         "3310-3334"),
    )
    for u, t in (("nav-oslo", _LVO), ("nav-vestland", _LVV), (_OV, _LVOV))
]
# fmt: on


if __name__ == "__main__":
    sys.exit(main())
