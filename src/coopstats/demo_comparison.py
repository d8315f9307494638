"""Synthetic comparison population for the demo delivery (FICTITIOUS data).

:func:`build_comparison` draws about :data:`PERSONS_PER_UNIT` comparison persons for every NAV
unit that has participants, with ids ``K000001``, ``K000002``, … and spells ``KS0000001``, …
(no names, no identity numbers; nothing is sampled from real persons). The background is drawn
from the participants' own distributions, made broader: gender and education are mixed with an
even distribution, ages are spread around the participants' ages and partly drawn from the
whole working age, and a share of the persons have another country background than any
participant, Norge included. Reference dates are spread over the participants' intake months.

Spells run between :data:`FIRST_DAY` and :data:`LAST_DAY`: work (Aa-registeret, some
full-time, some still ongoing), benefits (introduksjonsstønad, tiltakspenger, AAP, dagpenger,
sosialhjelp – the last only through 2022, as the demo's coverage manifest says), statuses,
labour-market measures, education and a few trade certificates. Every draw comes from one
:func:`numpy.random.default_rng` and is vectorised; equal seeds give byte-identical CSV files
(:func:`write_comparison`).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from coopstats.comparison import PERSON_COLUMNS, PERSONS, SPELL_COLUMNS, SPELLS

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "PERSONS_PER_UNIT",
    "build_comparison",
    "write_comparison",
]

#: Comparison persons per unit with participants.
PERSONS_PER_UNIT = 400
#: First and last day of the comparison spells.
FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2026, 6, 30)
#: Benefits of the comparison persons are known only this far (the demo's coverage manifest).
SOSIALHJELP_LAST_DAY = date(2022, 12, 31)
#: Country backgrounds beyond the participants' (the comparison population is broader).
OTHER_COUNTRIES = (
    "Norge",
    "Polen",
    "Litauen",
    "Somalia",
    "Eritrea",
    "Afghanistan",
    "Irak",
    "Syria",
    "Iran",
    "Ukraina",
    "Filippinene",
    "Bosnia-Hercegovina",
)
_EDUCATION = ("ingen", "grunnskole", "vgo", "hoyere")
#: Day number of a missing date (an ongoing spell).
_NONE = np.iinfo(np.int64).min

#: Per spell kind: codes (with their probabilities), source, expected spells per person,
#: length in months (low, high) and the share still ongoing at the end of the data.
_SPELLS: dict[str, dict] = {
    "arbeid": {
        "codes": {"arbeid": 1.0},
        "source": "aa-registeret",
        "rate": 1.3,
        "months": (2, 36),
        "open": 0.12,
    },
    "ytelse": {
        "codes": {
            "introduksjonsstonad": 0.25,
            "tiltakspenger": 0.25,
            "aap": 0.12,
            "dagpenger": 0.18,
            "sosialhjelp": 0.20,
        },
        "source": "arena",
        "rate": 1.4,
        "months": (2, 24),
        "open": 0.06,
    },
    "status": {
        "codes": {
            "helt_ledig": 0.35,
            "arbeidssoker": 0.3,
            "nedsatt_arbeidsevne": 0.2,
            "delvis_ledig": 0.15,
        },
        "source": "arena",
        "rate": 1.0,
        "months": (2, 30),
        "open": 0.08,
    },
    "tiltak": {
        "codes": {
            "opplaering": 0.35,
            "arbeidspraksis": 0.3,
            "oppfolging": 0.15,
            "avklaring": 0.1,
            "lonnstilskudd": 0.1,
        },
        "source": "arena",
        "rate": 2.5,  # the target group: NAV users, most with measures behind them
        "months": (2, 12),
        "open": 0.02,
    },
    "utdanning": {
        "codes": {"fagopplaering": 0.6, "videregaende": 0.4},
        "source": "vigo",
        "rate": 0.15,
        "months": (6, 30),
        "open": 0.1,
    },
    "fagbrev": {
        "codes": {"fagbrev": 1.0},
        "source": "vigo",
        "rate": 0.04,
        "months": (1, 1),
        "open": 0.0,
    },
}


def _dates(days: np.ndarray) -> list[date | None]:
    """Days since 1970 (:data:`_NONE` = none) as :class:`datetime.date` objects."""
    values = days.astype("datetime64[D]").astype(object)
    return [None if d == _NONE else v for d, v in zip(days, values, strict=True)]


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _shares(values: pd.Series, categories: list[str]) -> np.ndarray:
    counts = values.astype(str).value_counts()
    shares = np.array([counts.get(c, 0) for c in categories], dtype=float)
    return shares / shares.sum() if shares.sum() else np.full(len(categories), 1 / len(categories))


def _persons(participants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    units = list(dict.fromkeys(participants["unit_id"].astype(str)))
    intake = pd.to_datetime(participants["intake_date"])
    months = sorted({(d.year, d.month) for d in intake})
    first_days = np.array([_day(date(y, m, 1)) for y, m in months])
    lengths = np.array(
        [(pd.Timestamp(year=y, month=m, day=1) + pd.offsets.MonthEnd(0)).day for y, m in months]
    )
    ages = (intake.dt.year - participants["birth_year"].astype(int)).to_numpy()
    countries = sorted(set(participants["country_background"].astype(str)))
    frames = []
    for unit in units:
        mine = participants[participants["unit_id"].astype(str) == unit]
        n = PERSONS_PER_UNIT
        month = rng.integers(0, len(months), n)
        reference = first_days[month] + (rng.random(n) * lengths[month]).astype(np.int64)
        women = float((mine["gender"].astype(str) == "K").mean())
        gender = np.where(rng.random(n) < 0.6 * women + 0.4 * 0.5, "K", "M")
        unit_ages = pd.to_datetime(mine["intake_date"]).dt.year - mine["birth_year"].astype(int)
        spread = rng.choice(unit_ages.to_numpy(), n) + rng.normal(0, 6, n)
        broad = rng.uniform(18, 63, n)
        age = np.where(rng.random(n) < 0.7, spread, broad).round().astype(int)
        age = np.clip(age, max(16, ages.min() - 6), 66)
        year = reference.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        birth = np.clip(year - age, 1940, 2010)
        own = _shares(mine["country_background"], countries)
        from_own = rng.random(n) < 0.75
        country = np.where(
            from_own,
            np.array(countries)[rng.choice(len(countries), n, p=own)],
            np.array(OTHER_COUNTRIES)[rng.integers(0, len(OTHER_COUNTRIES), n)],
        )
        education = _shares(mine["education_completed"], list(_EDUCATION))
        education = 0.7 * education + 0.3 / len(_EDUCATION)
        level = np.array(_EDUCATION)[rng.choice(len(_EDUCATION), n, p=education)]
        frames.append(
            pd.DataFrame(
                {
                    "unit_id": unit,
                    "reference_date": reference,
                    "gender": gender,
                    "birth_year": birth,
                    "country_background": country,
                    "education_completed": level,
                }
            )
        )
    persons = pd.concat(frames, ignore_index=True)
    persons.insert(0, "person_id", [f"K{k:06d}" for k in range(1, len(persons) + 1)])
    return persons


def _spells(persons: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    first, last = _day(FIRST_DAY), _day(LAST_DAY)
    n = len(persons)
    immigrant = (persons["country_background"] != "Norge").to_numpy()
    parts = []
    for kind, spec in _SPELLS.items():
        count = rng.poisson(spec["rate"], n)
        owner = np.repeat(np.arange(n), count)
        m = owner.size
        codes = list(spec["codes"])
        code = np.array(codes)[rng.choice(len(codes), m, p=list(spec["codes"].values()))]
        if kind == "ytelse":  # only immigrants get introduksjonsstønad
            native = ~immigrant[owner] & (code == "introduksjonsstonad")
            code[native] = "dagpenger"
        low, high = spec["months"]
        length = (rng.integers(low, high + 1, m) * 30.4375).astype(np.int64)
        start = rng.integers(first, last - 30, m)
        if kind == "fagbrev":
            length = np.zeros(m, dtype=np.int64)
        end = np.minimum(start + length, last)
        ongoing = rng.random(m) < spec["open"]
        end = np.where(ongoing, _NONE, end)
        if kind == "ytelse":  # sosialhjelp is only delivered through 2022 (coverage.csv)
            social = code == "sosialhjelp"
            limit = _day(SOSIALHJELP_LAST_DAY)
            start[social] = np.minimum(start[social], limit - 60)
            end[social] = np.where(end[social] == _NONE, limit, np.minimum(end[social], limit))
        full_time = np.full(m, None, dtype=object)
        if kind == "arbeid":
            full_time[:] = rng.random(m) < 0.45
        source = np.full(m, spec["source"], dtype=object)
        if kind == "ytelse":
            source[code == "sosialhjelp"] = "annet"
        parts.append(
            pd.DataFrame(
                {
                    "owner": owner,
                    "kind": kind,
                    "code": code,
                    "start": start,
                    "end": end,
                    "full_time": full_time,
                    "source": source,
                }
            )
        )
    spells = pd.concat(parts, ignore_index=True)
    spells["person_id"] = persons["person_id"].to_numpy()[spells["owner"].to_numpy()]
    spells = spells.sort_values(
        ["person_id", "start", "kind", "code", "end"], kind="stable"
    ).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "spell_id": [f"KS{k:07d}" for k in range(1, len(spells) + 1)],
            "person_id": spells["person_id"],
            "kind": spells["kind"],
            "code": spells["code"],
            "start_date": _dates(spells["start"].to_numpy()),
            "end_date": _dates(spells["end"].to_numpy()),
            "full_time": spells["full_time"],
            "source": spells["source"],
        }
    )
    return out[list(SPELL_COLUMNS)]


def build_comparison(
    participants: pd.DataFrame, spells: pd.DataFrame, seed: int = 2023
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fictitious comparison population for the participants' units (in memory).

    Parameters
    ----------
    participants
        The demo participants (``participants.csv`` columns); their units, intake months,
        gender, ages, countries and education shape the population.
    spells
        The participants' spells (not copied; accepted so that the signature matches the
        delivery and later versions can mirror their register history).
    seed
        Seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    persons, spells
        Frames with the columns of ``comparison.csv`` and ``comparison_spells.csv``, in
        contract order; dates as :class:`datetime.date`, ``birth_year`` as ``Int64``,
        ``full_time`` ``True``/``False`` for work and ``None`` otherwise.
    """
    del spells  # the population is drawn from the participants' background only
    rng = np.random.default_rng(seed)
    persons = _persons(participants, rng)
    comparison_spells = _spells(persons, rng)
    persons["reference_date"] = _dates(persons["reference_date"].to_numpy())
    persons["birth_year"] = persons["birth_year"].astype("Int64")
    return persons[list(PERSON_COLUMNS)], comparison_spells


def write_comparison(out_dir: str | Path, persons: pd.DataFrame, spells: pd.DataFrame) -> dict:
    """Write ``comparison.csv`` and ``comparison_spells.csv`` into ``out_dir``.

    The CSV text is made as :mod:`coopstats.demo` makes it (ISO dates, ``true``/``false``,
    empty cells for missing values, ``\\n`` line ends, UTF-8), so equal frames give
    byte-identical files. Each file is written to a temporary file first and then moved in
    place. Returns the file stem → written path.
    """
    from coopstats.demo import _csv_text

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for stem, frame in ((PERSONS, persons), (SPELLS, spells)):
        target = out_dir / f"{stem}.csv"
        handle, tmp = tempfile.mkstemp(prefix=f".{stem}-", suffix=".csv", dir=out_dir)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(_csv_text(frame))
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written[stem] = target
    return written
