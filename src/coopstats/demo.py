"""Fictitious demo dataset that reproduces the published participant tables of seed 003.

The demo data directory holds the five files of the data contract and its coverage manifest:

* ``participants.csv`` and ``spells.csv``: 66 FICTITIOUS participants (ids ``D001``–``D066``;
  no names, no identity numbers). They are *constructed*, not sampled and hoped for: every count
  behind the published cells of seed 003, Tabell 5.1–5.5 and 5.7–5.11, and behind the consistent
  in-text numbers of chapter 6, is written down in :data:`COUNTY_TARGETS` (read from
  ``demo_data/county_targets.yaml``) and assigned exactly.
  The seed only moves things that no published number depends on (who within a county gets which
  attribute, exact ages and years inside a band, spell dates inside safe windows).
* ``activity_log.csv``, ``reported_figures.csv`` and ``segments.csv``: real aggregate figures and
  paraphrased findings from seeds 000, 002 and 003, with provenance (line numbers in the seed
  text files), kept as data in ``coopstats/demo_data/*.yaml``; this module holds only the
  construction.
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
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["COUNTY_TARGETS", "CountyTarget", "generate_demo", "main"]

FILES = (
    "participants",
    "spells",
    "activity_log",
    "reported_figures",
    "segments",
    "coverage",
    "comparison",
    "comparison_spells",
)

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


#: The data tables of the construction, read from ``coopstats/demo_data/*.yaml``.
DATA_DIR = "demo_data"


def _data(filename: str) -> dict:
    """A YAML file of ``coopstats/demo_data``."""
    text = (resources.files("coopstats") / DATA_DIR / filename).read_text("utf-8")
    return yaml.safe_load(text)


def _county_targets() -> dict[str, CountyTarget]:
    """``county_targets.yaml`` as :class:`CountyTarget` objects (lists become tuples)."""
    tuples = {f.name for f in fields(CountyTarget) if str(f.type).startswith("tuple")}
    out: dict[str, CountyTarget] = {}
    for key, raw in _data("county_targets.yaml")["counties"].items():
        values = {k: tuple(v) if k in tuples else v for k, v in raw.items()}
        values["written_changes"] = {
            (c["from"], c["to"]): c["n"] for c in raw.get("written_changes", [])
        }
        values["measure_profiles"] = {
            tuple(m["measures"]): m["n"] for m in raw.get("measure_profiles", [])
        }
        out[key] = CountyTarget(**values)
    return out


#: Exact counts per county (``demo_data/county_targets.yaml``).
COUNTY_TARGETS: dict[str, CountyTarget] = _county_targets()

#: Country background: (country, persons), in the order participants sorted by residence
#: receive them (``demo_data/countries.yaml``).
COUNTRIES: tuple[tuple[str, int], ...] = tuple(
    (str(name), int(n)) for name, n in _data("countries.yaml")["countries"]
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


#: Last day of the demo's follow-up (the register extracts' date; coverage.yaml repeats it).
FOLLOW_UP_END = date(2026, 6, 30)
#: First day a follow-up spell may touch: nothing published from delrapport 1 looks past 2023.
FOLLOW_UP_START = date(2024, 1, 1)


def _month_end(day: date, months: int) -> date:
    """Last day of the month ``months`` after ``day``'s month."""
    return _month_start(day.year, day.month + months + 1) - timedelta(days=1)


def _follow_up(p: dict, spells: list[dict], rng: np.random.Generator) -> list[dict]:
    """Follow-up after intake to :data:`FOLLOW_UP_END` (issue 13), fictitious.

    The training itself is an ``utdanning`` spell (``fagopplaering``) from intake to the end of
    training (20–34 months) or to the exit date; 15 % of those still in training at the end of
    2023 drop out 7–22 months after intake, and 30 % of the others have a part-time job for a
    while during training. Tiltakspenger from intake and spells that were
    ongoing at intake end when training ends (never before 2024). Completers get a trade
    certificate (``fagbrev``) with probability 0.6, then work with probability 0.75 (0.4
    without, 0.3 after an exit); some without work get dagpenger or AAP. Every new spell starts
    on or after 2024-01-01 except the training spell, whose kind no published table uses, so
    the reproduced delrapport-1 tables do not move. Open ends run past the delivery date.
    """
    pid, intake = p["person_id"], p["intake_date"]
    out: list[dict] = []
    if p["exit_date"] is None and rng.random() < 0.15:  # drop-outs after 2023
        p["exit_date"] = _month_start(intake.year, intake.month + int(rng.integers(7, 23)))
        p["exit_date"] += timedelta(days=int(rng.integers(0, 28)))
    exit_ = p["exit_date"]
    end = exit_ if exit_ is not None else _month_end(intake, int(rng.integers(20, 35)))
    done = end <= FOLLOW_UP_END
    out.append(
        _spell(pid, "utdanning", "fagopplaering", intake, end if done else None, source="vigo")
    )
    if exit_ is None and rng.random() < 0.3:  # a part-time job during training
        start = _month_start(intake.year, intake.month + int(rng.integers(4, 15)))
        start = max(start, FOLLOW_UP_START)
        stop = min(_month_end(start, int(rng.integers(2, 12))), end)
        if start < stop:
            out.append(
                _spell(pid, "arbeid", "arbeid", start, stop, full_time=False,
                       source="aa-registeret")
            )  # fmt: skip
    # spells ongoing at intake end with training (or a little after), never before 2024
    for s in spells:
        if s["person_id"] == pid and s["end_date"] is None:
            close = (
                max(end, FOLLOW_UP_START)
                if s["code"] == "tiltakspenger"
                else max(
                    _month_end(max(end, FOLLOW_UP_START), int(rng.integers(0, 7))), FOLLOW_UP_START
                )
            )
            s["end_date"] = close if close <= FOLLOW_UP_END else None
    if not done:
        return out
    after = end + timedelta(days=1)
    certificate = exit_ is None and rng.random() < 0.6
    if certificate:
        day = after + timedelta(days=int(rng.integers(0, 61)))
        if day <= FOLLOW_UP_END:
            out.append(_spell(pid, "fagbrev", "fagbrev", day, None, source="vigo"))
    p_work = 0.3 if exit_ is not None else (0.75 if certificate else 0.4)
    lag = int(rng.integers(2, 19)) if exit_ is not None else int(rng.integers(0, 7))
    start = max(_month_start(after.year, after.month + lag), FOLLOW_UP_START)
    if rng.random() < p_work and start <= FOLLOW_UP_END:
        full = bool(rng.random() < (0.65 if certificate else 0.45))
        stop = None if rng.random() < 0.7 else _month_end(start, int(rng.integers(3, 18)))
        stop = stop if stop is not None and stop <= FOLLOW_UP_END else None
        out.append(
            _spell(pid, "arbeid", "arbeid", start, stop, full_time=full, source="aa-registeret")
        )
    elif rng.random() < 0.6 and after <= FOLLOW_UP_END:
        code = "dagpenger" if rng.random() < 0.65 else "aap"
        first = max(after, FOLLOW_UP_START)
        stop = _month_end(first, int(rng.integers(3, 10)))
        out.append(_spell(pid, "ytelse", code, first, stop if stop <= FOLLOW_UP_END else None))
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
    # follow-up after intake (own generator: the construction above is untouched)
    follow = np.random.default_rng([seed, 13])
    for p in people:
        spells += _follow_up(p, spells, follow)
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
#: The coverage manifest (``demo_data/coverage.yaml``): what the register extracts behind
#: ``spells.csv`` cover; sosialhjelp and kvalifiseringsstønad only through 2022.
COVERAGE: list[dict] = _data("coverage.yaml")["records"]


def build_tables(seed: int = 2023) -> dict[str, pd.DataFrame]:
    """All contract tables of the demo directory (with the coverage manifest), by file stem."""
    from coopstats.demo_comparison import build_comparison

    participants, spells = build_participants_and_spells(seed)
    comparison, comparison_spells = build_comparison(participants, spells, seed)
    return {
        "comparison": comparison,
        "comparison_spells": comparison_spells,
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
# Published aggregate records (real figures, with provenance), from demo_data/*.yaml
# --------------------------------------------------------------------------------------------

ACTIVITY_COLUMNS = [
    "record_id",
    "unit_id",
    "trial_id",
    "period_start",
    "period_end",
    "activity",
    "channel",
    "count",
    "count_low",
    "count_high",
    "qualifier",
    "source_doc",
    "source_lines",
    "note",
]
FIGURE_COLUMNS = [
    "figure_id",
    "unit_id",
    "model_id",
    "description",
    "value",
    "value_low",
    "value_high",
    "unit",
    "qualifier",
    "population",
    "as_of",
    "source_doc",
    "source_lines",
]


def _rows(records: list[dict], columns: list[str], **defaults: object) -> list[dict]:
    """Records with every column, in order (a column missing from a record: its default)."""
    return [{c: record.get(c, defaults.get(c)) for c in columns} for record in records]


def _activity_log() -> list[dict]:
    raw = _data("activity_log.yaml")
    return _rows(raw["records"], ACTIVITY_COLUMNS, source_doc=raw["source_doc"])


def _reported_figures() -> list[dict]:
    raw = _data("reported_figures.yaml")
    s003 = raw["seed_003"]
    shared = {"model_id": s003["model_id"], "source_doc": s003["source_doc"]}
    return _rows(s003["figures"], FIGURE_COLUMNS, **shared) + _rows(raw["figures"], FIGURE_COLUMNS)


ACTIVITY_LOG: list[dict] = _activity_log()
REPORTED_FIGURES: list[dict] = _reported_figures()

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


def _segments() -> list[tuple]:
    """``segments.yaml`` as rows of :data:`SEGMENT_COLUMNS`; the findings shared by the three
    lengre-varighet trials become one segment per trial."""
    raw = _data("segments.yaml")
    rows = [tuple(record[c] for c in SEGMENT_COLUMNS) for record in raw["segments"]]
    shared = raw["lengre_varighet_all_trials"]
    for item in shared["segments"]:
        for unit, trial in shared["trials"]:
            segment_id = f"g-lv-{item['k']}-{unit.split('-', 1)[1]}"
            rows.append(
                (segment_id, unit, "lengre-varighet", trial, "flere informanter", item["phase"],
                 item["code"], item["polarity"], "interview", item["paraphrase"], "seed-003",
                 item["source_lines"])
            )  # fmt: skip
    return rows


#: Coded segments (``demo_data/segments.yaml``), one tuple per row of :data:`SEGMENT_COLUMNS`.
SEGMENTS: list[tuple] = _segments()


if __name__ == "__main__":
    sys.exit(main())
