"""Matched comparisons: participants against a comparison population.

The trial groups are small (14–26 participants per county), so a comparison with the
comparison population (:mod:`coopstats.comparison`) is done by *matching*: every participant
gets the most similar non-participants, and outcomes are compared between the participants and
their matched controls. The steps:

1. :func:`covariates` (and :func:`matching_frame`, which adds the exact-matching columns):
   background at the reference day (intake for participants, ``reference_date`` for comparison
   persons) and register history in the ``months_before`` months before it. Vectorised; a
   million persons with five million spells take seconds.
2. :func:`match`: exact strata first (unit, gender, age band), then a propensity score from a
   logistic regression (statsmodels ``Logit``) fitted on participants and pool together, then
   nearest-neighbour matching on the logit of the score within each stratum, with a caliper of
   ``caliper`` × the pooled standard deviation of the logit, with replacement by default, and
   deterministic (ties by person id).
3. :func:`balance`: standardised mean differences before and after matching.
4. :func:`difference`: the difference in a yes/no outcome between the matched participants and
   the weighted controls, with a 95 % confidence interval, and a Norwegian sentence that claims
   no more than the interval supports (:meth:`Difference.text`).

Definitions (see also ``docs/decisions.md``, "Matching"):

* ``alder`` = the year of the reference day minus ``birth_year`` (as the participant tables);
* ``mnd_arbeid`` / ``mnd_ytelse`` = the number of days in the window covered by at least one
  ``arbeid`` / ``ytelse`` spell (overlapping spells counted once), divided by
  :data:`DAYS_PER_MONTH` (30.4375, the mean month length); the window runs from the reference
  day minus ``months_before`` calendar months up to and including the day before the reference
  day (as the relative windows of :mod:`coopstats.windows`, ``-60 .. 0``);
* ``tiltak_for`` = 1 when a ``tiltak`` spell overlaps that window;
* standard deviations are sample standard deviations (``ddof=1``; 0 for a group of one).

User-facing texts (notes, :meth:`Difference.text`) are Norwegian.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "AGE_BANDS",
    "DAYS_PER_MONTH",
    "DEFAULT_COVARIATES",
    "DEFAULT_EXACT",
    "Difference",
    "MatchResult",
    "age_band",
    "balance",
    "covariates",
    "difference",
    "match",
    "matching_frame",
]

#: Mean length of a month in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375
#: The covariates of the propensity score model, in this order.
DEFAULT_COVARIATES: tuple[str, ...] = (
    "alder",
    "kvinne",
    "innvandrer",
    "utd_grunnskole",
    "utd_vgo",
    "utd_hoyere",
    "mnd_arbeid",
    "mnd_ytelse",
    "tiltak_for",
)
#: Columns matched exactly (a participant is only matched within its stratum).
DEFAULT_EXACT: tuple[str, ...] = ("unit_id", "gender", "age_band")
#: Fallback age bands ``(code, low, high)`` when ``participant_tables.yaml`` cannot be read;
#: the same as its ``age_band`` variable.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("15-29", 15, 29),
    ("30-44", 30, 44),
    ("45+", 45, None),
)
#: 97.5 % quantile of the standard normal distribution (two-sided 95 % interval).
Z_95 = 1.959963984540054
#: Ridge penalty of the fallback model (on standardised covariates, not on the intercept).
RIDGE_PENALTY = 1.0
_EDUCATION = {"utd_grunnskole": "grunnskole", "utd_vgo": "vgo", "utd_hoyere": "hoyere"}
_MINUS = "\u2212"


# --------------------------------------------------------------------------- covariates


@functools.cache
def _age_bands() -> tuple[tuple[str, int, int | None], ...]:
    """The bands of the ``age_band`` variable in ``participant_tables.yaml``."""
    try:
        from coopstats.participants import load_table_defs

        defs = load_table_defs()
    except Exception:  # pragma: no cover - the packaged file is tested elsewhere
        return AGE_BANDS
    for variable in defs.variables:
        if variable.id == "age_band":
            return tuple((b.code, b.low, b.high) for b in variable.bands)
    return AGE_BANDS  # pragma: no cover


def age_band(age: object) -> object:
    """The age band code (``15-29``, ``30-44``, ``45+``) of an age or of a Series of ages.

    The bands are read from the ``age_band`` variable of the participant tables
    (``definitions/participant_tables.yaml``), so participants and comparison persons are
    banded the same way as in the published tables. Ages outside every band (under 15) and
    missing ages give a missing value (``None`` for a scalar).
    """
    bands = _age_bands()
    if np.ndim(age) == 0:
        if age is None or pd.isna(age):
            return None
        for code, low, high in bands:
            if age >= low and (high is None or age <= high):
                return code
        return None
    ages = pd.Series(age) if not isinstance(age, pd.Series) else age
    values = pd.to_numeric(ages, errors="coerce").astype("Float64")
    out = pd.Series(pd.NA, index=ages.index, dtype="string")
    for code, low, high in bands:
        inside = values >= low
        if high is not None:
            inside &= values <= high
        out[inside.fillna(False).to_numpy(dtype=bool)] = code
    return out


def _reference_column(persons: pd.DataFrame, date_column: str | None) -> str:
    if date_column is not None:
        if date_column not in persons:
            raise KeyError(f"fant ikke datokolonnen {date_column!r} blant personene")
        return date_column
    for name in ("intake_date", "reference_date"):
        if name in persons:
            return name
    raise KeyError("personene mangler en referansedato (intake_date eller reference_date)")


def _days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970 (``int64``; NaT becomes the smallest int64)."""
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def _covered_days(position: np.ndarray, start: np.ndarray, end: np.ndarray, n: int) -> np.ndarray:
    """Per person (``0..n-1``): days covered by the union of the intervals ``[start, end]``.

    The intervals are sorted by person and start; each adds the days after the latest end of
    the person's earlier intervals, so overlaps are counted once.
    """
    if position.size == 0:
        return np.zeros(n)
    order = np.lexsort((start, position))
    position, start, end = position[order], start[order], end[order]
    latest = pd.Series(end).groupby(position).cummax().to_numpy()
    previous = np.empty_like(latest)
    previous[0] = _NAT
    previous[1:] = latest[:-1]
    first = np.ones(position.size, dtype=bool)
    first[1:] = position[1:] != position[:-1]
    previous[first] = _NAT
    from_day = np.where(previous == _NAT, start, np.maximum(start, previous + 1))
    days = np.clip(end - from_day + 1, 0, None)
    return np.bincount(position, weights=days, minlength=n)


def _arrow_strings(values: pd.Series) -> pa.Array:
    """The values as one pyarrow ``large_string`` array (zero-copy for pandas' ``string``)."""
    array = pa.array(values.astype("string").array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _positions(ids: pd.Series, person_ids: pd.Series) -> np.ndarray:
    """The position in ``ids`` of each of ``person_ids`` (-1 when not there), by one hash
    lookup in pyarrow (much faster than a pandas index lookup of millions of strings).

    Raises :class:`ValueError` when ``ids`` has duplicates.
    """
    known = _arrow_strings(ids)
    first = pc.index_in(known, value_set=known).to_numpy(zero_copy_only=False)
    if len(known) and not np.array_equal(first, np.arange(len(known))):
        raise ValueError("person_id må være unik blant personene det beregnes kovariater for")
    found = pc.index_in(_arrow_strings(person_ids), value_set=known)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def covariates(
    persons: pd.DataFrame,
    spells: pd.DataFrame,
    *,
    date_column: str | None = None,
    months_before: int = 60,
) -> pd.DataFrame:
    """The matching covariates of each person, indexed by ``person_id`` (in ``persons`` order).

    ``persons`` has ``person_id``, ``gender``, ``birth_year``, ``country_background``,
    ``education_completed`` and a reference date, ``date_column`` (``intake_date`` for
    participants, ``reference_date`` for comparison persons; by default whichever is present).
    ``spells`` has the columns of ``spells.csv``; spells of other persons are ignored.

    Columns (floats; missing inputs give NaN): ``alder``, ``kvinne``, ``innvandrer``
    (``country_background`` other than Norge), ``utd_grunnskole``, ``utd_vgo``, ``utd_hoyere``
    (``ingen`` is the reference), ``mnd_arbeid``, ``mnd_ytelse`` (months covered by the kind in
    the window, see the module docstring) and ``tiltak_for`` (0/1).
    """
    column = _reference_column(persons, date_column)
    ids = persons["person_id"].astype("string").reset_index(drop=True)
    position = _positions(ids, spells["person_id"])
    index = pd.Index(ids, name="person_id")
    reference = pd.to_datetime(persons[column]).reset_index(drop=True)
    birth = pd.to_numeric(persons["birth_year"], errors="coerce").to_numpy(dtype=float)
    out = pd.DataFrame(index=index)
    out["alder"] = reference.dt.year.to_numpy(dtype=float) - birth

    def flag(values: pd.Series, test: np.ndarray) -> np.ndarray:
        return np.where(values.isna().to_numpy(), np.nan, test.astype(float))

    gender = persons["gender"].astype("string").str.strip().reset_index(drop=True)
    out["kvinne"] = flag(gender, (gender == "K").fillna(False).to_numpy(dtype=bool))
    country = persons["country_background"].astype("string").str.strip().reset_index(drop=True)
    foreign = (country.str.lower() != "norge").fillna(False).to_numpy(dtype=bool)
    out["innvandrer"] = flag(country, foreign)
    education = persons["education_completed"].astype("string").reset_index(drop=True)
    for name, level in _EDUCATION.items():
        out[name] = flag(education, (education == level).fillna(False).to_numpy(dtype=bool))

    n = len(out)
    ref_days = _days(reference)
    low = _days(reference - pd.DateOffset(months=months_before))
    high = ref_days - 1
    known = ref_days != _NAT
    start, end = _days(spells["start_date"]), _days(spells["end_date"])
    kind_codes, kind_names = pd.factorize(spells["kind"].astype("string"))
    for kind, name in (("arbeid", "mnd_arbeid"), ("ytelse", "mnd_ytelse"), ("tiltak", None)):
        code = list(kind_names).index(kind) if kind in set(kind_names) else -2
        rows = (position >= 0) & (kind_codes == code)
        pos = position[rows]
        lo, hi = low[pos], high[pos]
        s = np.where(start[rows] == _NAT, lo, np.maximum(start[rows], lo))
        e = np.where(end[rows] == _NAT, hi, np.minimum(end[rows], hi))
        inside = (e >= s) & known[pos]
        if name is None:
            hits = np.bincount(pos[inside], minlength=n)
            out["tiltak_for"] = np.where(known, (hits > 0).astype(float), np.nan)
        else:
            days = _covered_days(pos[inside], s[inside], e[inside], n)
            out[name] = np.where(known, days / DAYS_PER_MONTH, np.nan)
    return out[list(DEFAULT_COVARIATES)]


def matching_frame(
    persons: pd.DataFrame,
    spells: pd.DataFrame,
    *,
    date_column: str | None = None,
    months_before: int = 60,
) -> pd.DataFrame:
    """:func:`covariates` plus the exact-matching columns ``unit_id``, ``gender`` and
    ``age_band`` (from ``alder``, :func:`age_band`): the input of :func:`match`."""
    cov = covariates(persons, spells, date_column=date_column, months_before=months_before)
    out = pd.DataFrame(index=cov.index)
    out["unit_id"] = persons["unit_id"].astype("string").to_numpy()
    out["gender"] = persons["gender"].astype("string").str.strip().to_numpy()
    out["age_band"] = age_band(pd.Series(cov["alder"].to_numpy(), index=cov.index))
    return pd.concat([out, cov], axis=1)


# --------------------------------------------------------------------------- propensity score


def _ridge_logit(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Coefficients of a logistic regression with a ridge penalty on every column but the
    first (the intercept), by Newton's method. ``x`` should be standardised."""
    beta = np.zeros(x.shape[1])
    weights = np.full(x.shape[1], penalty)
    weights[0] = 0.0
    for _ in range(200):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (y - p) - weights * beta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(weights)
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def _usable_columns(x: pd.DataFrame, notes: list[str]) -> list[str]:
    """Drop constant columns and columns that are linear combinations of earlier ones."""
    kept: list[str] = []
    values = x.to_numpy(dtype=float)
    same = values.min(axis=0) == values.max(axis=0) if len(values) else np.ones(x.shape[1], bool)
    constant = [c for c, flat in zip(x.columns, same, strict=True) if flat]
    for name in constant:
        notes.append(
            f"Kovariaten {name} har samme verdi for alle og er tatt ut av modellen for "
            "tilbøyelighetsskåren."
        )
    candidates = [c for c in x.columns if c not in constant]
    if not candidates:
        return kept
    z = x[candidates].to_numpy(dtype=float)
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    z = np.column_stack([np.ones(len(z)), z])
    gram = z.T @ z / len(z)
    chosen = [0]
    for j, name in enumerate(candidates, start=1):
        trial = [*chosen, j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)], tol=1e-8) == len(trial):
            chosen.append(j)
            kept.append(name)
        else:
            notes.append(
                f"Kovariaten {name} er en lineær kombinasjon av de andre og er tatt ut av "
                "modellen for tilbøyelighetsskåren."
            )
    return kept


def _propensity(x: pd.DataFrame, y: np.ndarray, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Propensity scores (and the covariates used) from a logistic regression.

    statsmodels ``Logit`` first; on (quasi-)complete separation, no convergence or a singular
    information matrix, a ridge-penalised logistic regression (:data:`RIDGE_PENALTY` on the
    standardised covariates) instead, with a note.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    used = _usable_columns(x, notes)
    z = x[used].to_numpy(dtype=float)
    if used:
        z = (z - z.mean(axis=0)) / z.std(axis=0)
    design = np.column_stack([np.ones(len(x)), z])
    trouble = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # start from the share of treated persons: fewer Newton steps when it is small
            start = np.zeros(design.shape[1])
            start[0] = math.log(y.mean() / (1 - y.mean()))
            fit = sm.Logit(y, design).fit(start_params=start, disp=0, method="newton", maxiter=100)
            params = np.asarray(fit.params, dtype=float)
            if not fit.mle_retvals.get("converged", True) or not np.isfinite(params).all():
                trouble = "modellen konvergerte ikke"
        except np.linalg.LinAlgError:
            trouble = "informasjonsmatrisen er singulær"
        except Exception as exc:  # PerfectSeparationError in older statsmodels
            trouble = f"estimeringen feilet ({type(exc).__name__})"
    kinds = {type(w.message) for w in caught}
    if PerfectSeparationWarning in kinds:
        trouble = "kovariatene skiller deltakerne helt eller nesten helt fra sammenligningsgruppen"
    elif trouble is None and ConvergenceWarning in kinds:
        trouble = "modellen konvergerte ikke"
    if trouble is not None:
        treated = x[used][y == 1]
        same = [c for c in used if treated[c].nunique() == 1 and x[c].isin((0, 1)).all()]
        if same:
            trouble += f"; alle deltakerne har samme verdi på {', '.join(same)}"
    if trouble is not None:
        params = _ridge_logit(design, y, RIDGE_PENALTY)
        notes.append(
            f"Vanlig logistisk regresjon for tilbøyelighetsskåren kunne ikke brukes ({trouble}); "
            f"skåren er estimert med ridge-straff (λ = {RIDGE_PENALTY:g} på standardiserte "
            "kovariater) i stedet."
        )
    linear = design @ params
    return 1.0 / (1.0 + np.exp(-linear)), used


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, eq=False)
class MatchResult:
    """The outcome of :func:`match`.

    ``pairs``: one row per treated–control pair (``treated_id``, ``control_id``,
    ``distance`` = absolute difference in the logit of the propensity score), sorted by
    treated id, distance and control id. ``weights``: per control id, the sum over its pairs of
    1 / (the number of controls of that treated person) – with ``ratio`` controls each, the
    number of times the control is used divided by ``ratio``; the weights add up to the number
    of matched treated persons. ``unmatched``: treated ids without any control. ``ps``: the
    propensity score of every treated and pool person. ``notes``: Norwegian remarks (columns
    dropped from the model, fallback model, caliper, unmatched persons).
    """

    pairs: pd.DataFrame
    weights: pd.Series
    unmatched: tuple[str, ...]
    ps: pd.Series
    notes: list[str] = field(default_factory=list)
    covariates: tuple[str, ...] = ()
    used_covariates: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    caliper_width: float | None = None
    ratio: int = 1
    replace: bool = True

    @property
    def matched(self) -> list[str]:
        """Treated ids with at least one control, sorted."""
        return sorted(self.pairs["treated_id"].unique())


def _decimal(x: float) -> str:
    """``0,2``: a number with a decimal comma (as many decimals as it has)."""
    return f"{x:g}".replace(".", ",")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return np.log(p / (1 - p))


def _pooled_sd(a: np.ndarray, b: np.ndarray) -> float:
    """``((var_a + var_b) / 2) ** 0.5`` with sample variances (``ddof=1``; 0 below two
    values); NaN values are left out."""

    def var(values: np.ndarray) -> float:
        values = values[~np.isnan(values)]
        return float(np.var(values, ddof=1)) if values.size > 1 else 0.0

    return math.sqrt((var(a) + var(b)) / 2)


def _complete(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    return frame[list(columns)].notna().all(axis=1) if columns else pd.Series(True, frame.index)


def match(
    treated: pd.DataFrame,
    pool: pd.DataFrame,
    *,
    exact: Sequence[str] = DEFAULT_EXACT,
    covariates: Sequence[str] = DEFAULT_COVARIATES,
    caliper: float | None = 0.2,
    ratio: int = 1,
    replace: bool = True,
    seed: int = 2023,
    ps: pd.Series | None = None,
) -> MatchResult:
    """Match every treated person (participant) to ``ratio`` persons of ``pool``.

    ``treated`` and ``pool`` are indexed by person id and hold the ``exact`` and
    ``covariates`` columns (:func:`matching_frame`). Steps:

    1. persons with a missing exact or covariate value are left out (treated ones are
       unmatched; a note says how many);
    2. the propensity score: a logistic regression of "is treated" on ``covariates`` (fitted
       on treated and pool together; constant and collinear covariates are dropped, and on
       separation a ridge-penalised model is used, see :func:`_propensity`), unless ``ps``
       (person id → score) is given;
    3. within each exact stratum (equal values of every ``exact`` column), each treated person
       gets the ``ratio`` nearest pool persons on the logit of the score whose distance is at
       most ``caliper`` × the pooled standard deviation of the logit
       (``((var_treated + var_pool) / 2) ** 0.5``, Austin 2011; ``caliper=None``: no caliper);
       ties in distance go to the smallest person id. With ``replace`` (the default) a control
       can serve several treated persons; without, treated persons are served in a random order
       drawn from ``seed`` and each control is used once (with replacement the order does not
       matter and ``seed`` is not used).
    """
    if ratio < 1:
        raise ValueError("ratio må være minst 1")
    exact, covariates = tuple(exact), tuple(covariates)
    for name, frame in (("deltakerne", treated), ("sammenligningsgruppen", pool)):
        missing = [c for c in (*exact, *covariates) if c not in frame]
        if missing:
            raise KeyError(f"{name} mangler kolonnene {', '.join(missing)}")
    t_ids = pd.Index(treated.index.astype(str), name="person_id")
    p_ids = pd.Index(pool.index.astype(str), name="person_id")
    if t_ids.has_duplicates or p_ids.has_duplicates:
        raise ValueError("person-id-ene må være unike både blant deltakerne og i sammenligningen")
    both = t_ids.intersection(p_ids)
    if len(both):
        raise ValueError(
            f"{len(both)} personer er både deltaker og i sammenligningsgruppen "
            f"(for eksempel {both[0]})"
        )
    treated = treated.set_axis(t_ids)
    pool = pool.set_axis(p_ids)
    notes: list[str] = []
    needed = (*exact, *covariates) if ps is None else exact
    t_ok, p_ok = _complete(treated, needed), _complete(pool, needed)
    if ps is not None:
        ps = pd.Series(ps).astype(float)
        ps.index = ps.index.astype(str)
        t_ok &= t_ids.isin(ps.dropna().index)
        p_ok &= p_ids.isin(ps.dropna().index)
    if (~t_ok).any():
        notes.append(
            f"{int((~t_ok).sum())} deltakere mangler opplysninger som trengs i matchingen og er "
            "ikke matchet."
        )
    if (~p_ok).any():
        notes.append(
            f"{int((~p_ok).sum())} personer i sammenligningsgruppen mangler opplysninger som "
            "trengs i matchingen og er holdt utenfor."
        )
    t_use, p_use = treated[t_ok.to_numpy()], pool[p_ok.to_numpy()]
    used: list[str] = list(covariates)
    if ps is None:
        x = pd.concat([t_use[list(covariates)], p_use[list(covariates)]]).astype(float)
        y = np.r_[np.ones(len(t_use)), np.zeros(len(p_use))]
        if len(t_use) and len(p_use):
            scores, used = _propensity(x, y, notes)
        else:
            scores = np.full(len(x), np.nan)
        score = pd.Series(scores, index=x.index, name="ps")
    else:
        score = ps.reindex(t_use.index.append(p_use.index)).rename("ps")
    logit = _logit(score.to_numpy(dtype=float))  # treated first, then the pool
    t_logit, p_logit = logit[: len(t_use)], logit[len(t_use) :]
    width = None
    if caliper is not None:
        width = caliper * _pooled_sd(t_logit, p_logit)
        notes.append(
            f"Kaliper: {_decimal(caliper)} standardavvik av logit(tilbøyelighetsskåren), det "
            f"vil si en avstand på høyst {f'{width:.4f}'.replace('.', ',')}."
        )
    pairs = _nearest(t_use, p_use, t_logit, p_logit, exact, width, ratio, replace, seed)
    matched = set(pairs["treated_id"])
    unmatched = tuple(sorted(i for i in t_ids if i not in matched))
    without = sum(1 for i in t_use.index if i not in matched)  # had the data, found nobody
    if without:
        where = " innenfor kaliperen" if width is not None else ""
        notes.append(
            f"{without} av {len(t_ids)} deltakere fikk ingen kontroll (ingen i "
            f"sammenligningsgruppen i samme gruppe{where})."
        )
    per_treated = pairs.groupby("treated_id")["control_id"].transform("size")
    weights = (
        (1.0 / per_treated).groupby(pairs["control_id"]).sum().rename("weight").sort_index()
        if len(pairs)
        else pd.Series(dtype=float, name="weight")
    )
    weights.index.name = "control_id"
    return MatchResult(
        pairs=pairs,
        weights=weights,
        unmatched=unmatched,
        ps=score,
        notes=notes,
        covariates=covariates,
        used_covariates=tuple(used),
        exact=exact,
        caliper_width=width,
        ratio=ratio,
        replace=replace,
    )


def _nearest(
    treated: pd.DataFrame,
    pool: pd.DataFrame,
    t_logit: np.ndarray,
    p_logit: np.ndarray,
    exact: Sequence[str],
    width: float | None,
    ratio: int,
    replace: bool,
    seed: int,
) -> pd.DataFrame:
    """Nearest neighbours on the logit within each exact stratum (see :func:`match`)."""
    limit = np.inf if width is None else width * (1 + 1e-9) + 1e-12
    codes = np.zeros(len(treated) + len(pool), dtype=np.int64)
    for column in exact:  # one integer code per combination of the exact columns
        values = pd.concat([treated[column], pool[column]], ignore_index=True).astype("string")
        column_codes, uniques = pd.factorize(values)
        codes = codes * (len(uniques) + 1) + column_codes
    t_keys, p_keys = codes[: len(treated)], codes[len(treated) :]
    strata = {key: np.flatnonzero(p_keys == key) for key in np.unique(t_keys)}
    t_names = treated.index.astype(str).to_numpy(dtype=object)
    p_names = pool.index.astype(str).to_numpy(dtype=object)
    order = np.argsort(t_names.astype(str), kind="stable")
    if not replace:
        order = np.random.default_rng(seed).permutation(len(treated))
    used = np.zeros(len(pool), dtype=bool)
    rows: list[tuple[str, str, float]] = []
    for i in order:
        candidates = strata[t_keys[i]]
        if not replace:
            candidates = candidates[~used[candidates]]
        distance = np.abs(p_logit[candidates] - t_logit[i])
        inside = distance <= limit
        candidates, distance = candidates[inside], distance[inside]
        if candidates.size > ratio:  # the ratio nearest, and everyone tied with the last
            cut = np.partition(distance, ratio - 1)[ratio - 1]
            near = distance <= cut
            candidates, distance = candidates[near], distance[near]
        names = p_names[candidates].astype(str)
        for j in np.lexsort((names, distance))[:ratio]:
            rows.append((str(t_names[i]), str(names[j]), float(distance[j])))
            used[candidates[j]] = True
    pairs = pd.DataFrame(rows, columns=["treated_id", "control_id", "distance"])
    return pairs.sort_values(["treated_id", "distance", "control_id"], kind="stable").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- balance


def balance(treated_cov: pd.DataFrame, pool_cov: pd.DataFrame, result: MatchResult) -> pd.DataFrame:
    """Standardised mean differences of the covariates before and after matching.

    One row per covariate (``result.covariates``, or every numeric column both frames share):
    the means before (all treated, all pool) and after (matched treated; matched controls
    weighted by ``result.weights``), and ``smd_for`` / ``smd_etter`` = (treated mean − control
    mean) / the pooled standard deviation *before* matching,
    ``((var_treated + var_pool) / 2) ** 0.5`` (sample variances), the same denominator before
    and after so the two are comparable; 0 when that standard deviation is 0.
    """
    names = list(result.covariates) or [
        c
        for c in treated_cov.columns
        if c in pool_cov and pd.api.types.is_numeric_dtype(treated_cov[c])
    ]
    treated_cov = treated_cov.set_axis(treated_cov.index.astype(str))
    pool_cov = pool_cov.set_axis(pool_cov.index.astype(str))
    matched = treated_cov.loc[result.matched]
    controls = pool_cov.loc[result.weights.index.astype(str)]
    w = result.weights.to_numpy(dtype=float)
    rows = []
    for name in names:
        t_all = treated_cov[name].to_numpy(dtype=float)
        p_all = pool_cov[name].to_numpy(dtype=float)
        sd = _pooled_sd(t_all, p_all)
        t_before, p_before = np.nanmean(t_all), np.nanmean(p_all)
        t_after = float(np.nanmean(matched[name].to_numpy(dtype=float))) if len(matched) else np.nan
        values = controls[name].to_numpy(dtype=float)
        ok = ~np.isnan(values)
        p_after = float(np.sum(w[ok] * values[ok]) / np.sum(w[ok])) if ok.any() else np.nan

        def smd(a: float, b: float, sd: float = sd) -> float:
            if np.isnan(a) or np.isnan(b):
                return np.nan
            return 0.0 if sd == 0 else (a - b) / sd

        rows.append(
            {
                "kovariat": name,
                "snitt_deltakere_for": t_before,
                "snitt_sammenligning_for": p_before,
                "smd_for": smd(t_before, p_before),
                "snitt_deltakere_etter": t_after,
                "snitt_sammenligning_etter": p_after,
                "smd_etter": smd(t_after, p_after),
            }
        )
    return pd.DataFrame(rows).set_index("kovariat")


# --------------------------------------------------------------------------- outcome


def _pp(value: float, decimals: int) -> str:
    """Percentage points, Norwegian number format, with a real minus sign."""
    from coopstats.formatting import fmt_number

    return fmt_number(value, decimals).replace("-", _MINUS)


@dataclass(frozen=True)
class Difference:
    """The difference in a yes/no outcome between matched participants and their controls.

    Shares are in 0..1; ``difference``, ``ci_low`` and ``ci_high`` are in percentage points
    (treated − control). ``supported`` is true when the 95 % interval excludes 0.
    """

    treated_share: float
    control_share: float
    difference: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int
    standard_error: float

    @property
    def supported(self) -> bool:
        """The 95 % confidence interval excludes 0 (a difference the data support).

        A degenerate interval (standard error 0: everyone in each group has the same value)
        supports nothing, since the normal approximation says nothing there.
        """
        return self.standard_error > 0 and (self.ci_low > 0 or self.ci_high < 0)

    def text(self) -> str:
        """One Norwegian sentence that claims no more than the interval supports.

        It speaks of a *difference* (never an effect), gives the interval in percentage points
        and says that the trial group is small when fewer than 30 participants are compared.
        """
        if math.isnan(self.difference):
            return "Forskjellen kan ikke beregnes: det mangler deltakere eller kontroller."
        small = self.n_treated < 30
        group = f"forsøksgruppen er liten ({self.n_treated} deltakere)"
        if self.standard_error == 0:
            tail = f", og {group}" if small else ""
            share = _pp(100 * self.treated_share, 0)
            if self.difference == 0:
                return f"Det er ingen forskjell: andelen er {share} % i begge gruppene{tail}."
            other = _pp(100 * self.control_share, 0)
            return (
                f"Usikkerheten kan ikke beregnes: andelen er {share} % blant deltakerne og "
                f"{other} % blant kontrollene, uten variasjon innad i gruppene{tail}."
            )
        decimals = 0
        if self.supported and min(abs(self.ci_low), abs(self.ci_high)) < 0.5:
            decimals = 1  # so that an interval that excludes 0 does not print as "0"
        low, high = _pp(self.ci_low, decimals), _pp(self.ci_high, decimals)
        if not self.supported:
            tail = f", og {group}" if small else ""
            return (
                f"Forskjellen er usikker: intervallet spenner fra {low} til {high} "
                f"prosentpoeng{tail}."
            )
        direction = "høyere" if self.difference > 0 else "lavere"
        size = _pp(abs(self.difference), decimals)
        tail = f", men {group}" if small else ""
        return (
            f"Andelen var {size} prosentpoeng {direction} blant deltakerne enn i den matchede "
            f"sammenligningsgruppen (95 %-intervall fra {low} til {high} prosentpoeng){tail}."
        )


def _binary(values: np.ndarray, what: str) -> None:
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"{what} må være ja/nei-verdier (0/1 eller True/False)")


def difference(
    treated_values: Iterable[object],
    control_values: Iterable[object],
    control_weights: Iterable[float] | None = None,
) -> Difference:
    """The difference in a yes/no outcome: matched participants against weighted controls.

    ``treated_values`` holds one 0/1 value per matched participant; ``control_values`` one per
    control with its weight in ``control_weights`` (:attr:`MatchResult.weights`; Series are
    aligned on their index, ``None`` gives every control weight 1). Missing values are left
    out. With p_t the treated share (n_t persons) and p_c = Σ w·y / Σ w the weighted control
    share, the difference is p_t − p_c with the normal-approximation variance
    p_t(1 − p_t)/n_t + Σ w²(y − p_c)² / (Σ w)², and a 95 % interval ± 1.96 standard errors.
    """
    t = pd.to_numeric(pd.Series(list(treated_values), dtype=object), errors="coerce")
    t = t.dropna().to_numpy(dtype=float)
    if isinstance(control_values, pd.Series):
        c = control_values
        if control_weights is None:
            w = pd.Series(1.0, index=c.index)
        elif isinstance(control_weights, pd.Series):
            w = control_weights.reindex(c.index)
            if w.isna().any():
                raise ValueError("mangler vekt for noen av kontrollene")
        else:
            w = pd.Series(list(control_weights), index=c.index, dtype=float)
        values = pd.to_numeric(c.astype(object), errors="coerce").to_numpy(dtype=float)
        weights = w.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(
            pd.Series(list(control_values), dtype=object), errors="coerce"
        ).to_numpy(dtype=float)
        weights = (
            np.ones(len(values))
            if control_weights is None
            else np.asarray(list(control_weights), dtype=float)
        )
        if len(weights) != len(values):
            raise ValueError("control_values og control_weights må ha like mange verdier")
    keep = ~np.isnan(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    _binary(t, "deltakernes verdier")
    _binary(values, "kontrollenes verdier")
    n_t = len(t)
    n_c = len(values)
    if isinstance(control_values, pd.Series):  # distinct controls
        n_c = int(control_values.index[keep].nunique())
    if n_t == 0 or n_c == 0:
        nan = float("nan")
        return Difference(nan, nan, nan, nan, nan, n_t, n_c, nan)
    p_t = float(t.mean())
    total = float(weights.sum())
    p_c = float(np.sum(weights * values) / total)
    var_t = p_t * (1 - p_t) / n_t
    var_c = float(np.sum(weights**2 * (values - p_c) ** 2) / total**2)
    se = math.sqrt(var_t + var_c)
    diff = p_t - p_c
    return Difference(
        treated_share=p_t,
        control_share=p_c,
        difference=100 * diff,
        ci_low=100 * (diff - Z_95 * se),
        ci_high=100 * (diff + Z_95 * se),
        n_treated=n_t,
        n_control=n_c,
        standard_error=100 * se,
    )
