"""Time-to-event statistics on grouped time, the form in which they are published.

A person's time from intake to an event (or to censoring) is published only as the interval it
falls in. The intervals are whole quarters merged where needed (:func:`choose_cuts`): the *cut
points* ``c_1 < c_2 < … < c_m`` (months after intake) are chosen per delivery so that no
published count is between 1 and the threshold. Interval ``i`` holds the days from ``c_i``
(``c_0 = 0``) up to, not including, ``c_{i+1}`` months (a month = :data:`DAYS_PER_MONTH`
days). Each person is in exactly one category of a *grouped-time variable*:

* ``h<i>`` – the event happened in interval ``i``; for competing events ``h<i>:<cause>``;
* ``s<i>`` – censored in interval ``i`` (the delivery or the register extract ends before
  anything happened; a person taken in after the delivery's end is censored in interval 0,
  never counted as a failure);
* ``videre`` – nothing by the last cut point (the risk set there);
* ``ikke_aktuell`` – not at risk (for example «ut av ytelse» for someone on no benefit at
  intake).

The variables are cells of the build's one protected system (:mod:`coopstats.publication`);
the curves are computed from the published counts with statsmodels
(:class:`~statsmodels.duration.survfunc.SurvfuncRight`: Kaplan–Meier with Greenwood standard
errors; :class:`~statsmodels.duration.survfunc.CumIncidenceRight`: Aalen–Johansen cumulative
incidence), a person censored in an interval counting as at risk through it (censored at its
end: the life-table convention, which keeps every estimate a function of the published
counts). A curve stops before the first interval with a hidden or unpublished count, so a step
never rests on fewer persons than the threshold and every risk set shown is the group's N
minus published counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

__all__ = [
    "BEYOND",
    "DAYS_PER_MONTH",
    "NOT_AT_RISK",
    "STEP_MONTHS",
    "Curve",
    "choose_cuts",
    "competing_codes",
    "event_codes",
    "group_competing",
    "group_event",
    "incidence_curve",
    "is_small",
    "months_text",
    "prefix",
    "survival_curve",
]

#: The finest interval: a quarter.
STEP_MONTHS = 3
#: Days in an average month (days are converted to months with it).
DAYS_PER_MONTH = 365.25 / 12
BEYOND = "videre"
NOT_AT_RISK = "ikke_aktuell"
#: z for a 95 % interval.
Z95 = 1.959963984540054


def event_codes(cuts: Sequence[int]) -> list[str]:
    """Categories of a grouped event variable (events, censorings, beyond, not at risk)."""
    k = len(cuts)
    return [*(f"h{i}" for i in range(k)), *(f"s{i}" for i in range(k)), BEYOND, NOT_AT_RISK]


def competing_codes(cuts: Sequence[int], causes: Sequence[str]) -> list[str]:
    """Categories of a grouped competing-events variable."""
    k = len(cuts)
    return [*(f"h{i}:{c}" for i in range(k) for c in causes), *(f"s{i}" for i in range(k)), BEYOND]


def _interval(days: pd.Series, cuts: Sequence[int]) -> pd.Series:
    """Interval index of each time (``len(cuts)`` = beyond the last cut point)."""
    edges = np.asarray(cuts, dtype=float) * DAYS_PER_MONTH
    values = days.astype("float64").to_numpy(na_value=np.nan)
    index = np.searchsorted(edges, values, side="right")
    return pd.Series(index, index=days.index).where(days.notna())


def group_event(days: pd.Series, event: pd.Series, cuts: Sequence[int]) -> pd.Series:
    """Each person's category of the grouped event variable (see the module docstring).

    ``days`` are days from intake to the event or censoring (NA = not at risk), ``event`` is
    True for an event, False for censoring.
    """
    k = len(cuts)
    days = pd.Series(days).astype("Int64")
    event = pd.Series(event, index=days.index).astype("boolean")
    interval = _interval(days, cuts)
    out = pd.Series(NOT_AT_RISK, index=days.index, dtype="object")
    known = (days.notna() & event.notna()).to_numpy(dtype=bool)
    within = known & (interval < k).to_numpy(dtype=bool)
    hit = within & event.fillna(False).to_numpy(dtype=bool)
    cens = within & ~event.fillna(False).to_numpy(dtype=bool)
    out[hit] = "h" + interval[hit].astype(int).astype(str)
    out[cens] = "s" + interval[cens].astype(int).astype(str)
    out[known & ~within] = BEYOND
    return out


def group_competing(days: pd.Series, cause: pd.Series, cuts: Sequence[int]) -> pd.Series:
    """Each person's category of a grouped competing-events variable (``cause`` NA = censored)."""
    k = len(cuts)
    days = pd.Series(days).astype("Int64")
    cause = pd.Series(cause, index=days.index).astype("string")
    interval = _interval(days, cuts)
    out = pd.Series(BEYOND, index=days.index, dtype="object")
    within = (days.notna() & (interval < k)).to_numpy(dtype=bool)
    hit = within & cause.notna().to_numpy(dtype=bool)
    cens = within & cause.isna().to_numpy(dtype=bool)
    out[hit] = "h" + interval[hit].astype(int).astype(str) + ":" + cause[hit].astype(str)
    out[cens] = "s" + interval[cens].astype(int).astype(str)
    return out


def is_small(x: int, min_count: int) -> bool:
    """A count a reader may not see: between 1 and ``min_count - 1``."""
    return 0 < x < min_count


def prefix(counts: Mapping[str, int], n: int, k: int, causes: Sequence[str] | None,
           min_count: int) -> int:  # fmt: skip
    """How many leading intervals a group of ``n`` can publish: none of their event and
    censoring counts, nor the risk set left after them, nor the not-at-risk count is between
    1 and ``min_count - 1`` (later intervals stay unpublished; their sum is the risk set)."""
    not_at_risk = int(counts.get(NOT_AT_RISK, 0))
    rest = n - not_at_risk
    if is_small(not_at_risk, min_count) or is_small(rest, min_count):
        return 0
    for i in range(k):
        codes = [f"h{i}"] if causes is None else [f"h{i}:{c}" for c in causes]
        events = [int(counts.get(c, 0)) for c in codes]
        censored = int(counts.get(f"s{i}", 0))
        left = rest - sum(events) - censored
        if any(is_small(x, min_count) for x in [*events, censored, left]):
            return i
        rest = left
    return k


def choose_cuts(
    days: pd.Series,
    what: pd.Series,
    groups: Sequence[np.ndarray],
    follow_up: int,
    min_count: int,
    *,
    causes: Sequence[str] | None = None,
    step: int = STEP_MONTHS,
) -> list[int]:
    """Cut points (months) for a grouped-time variable: quarters, merged greedily from intake
    on until every group's counts in the interval (events per cause, censorings) and its risk
    set after it are 0 or at least ``min_count``, and something happens in it; stops where no
    merge up to ``follow_up`` does. ``what`` is the event flag (or the cause, with
    ``causes``); ``groups`` are boolean masks of the groups every cut must suit (each model's
    participants).
    """
    grid = list(range(step, follow_up + 1, step))
    if not groups:
        return []
    fine = (
        group_competing(days, what, grid) if causes is not None else group_event(days, what, grid)
    )
    counts = [pd.Series(fine[np.asarray(g, dtype=bool)]).value_counts() for g in groups]
    labels = [None] if causes is None else list(causes)

    def get(c: pd.Series, code: str) -> int:
        return int(c.get(code, 0))

    rest = []
    for c, g in zip(counts, groups, strict=True):
        na = get(c, NOT_AT_RISK)
        left = int(np.asarray(g, dtype=bool).sum()) - na
        if is_small(na, min_count) or is_small(left, min_count):
            return []
        rest.append(left)
    cuts: list[int] = []
    start = 0
    while start < len(grid) and any(rest):
        for end in range(start + 1, len(grid) + 1):
            ok, lefts = True, []
            for c, r in zip(counts, rest, strict=True):
                quarters = range(start, end)
                ev = [
                    sum(get(c, f"h{q}" if x is None else f"h{q}:{x}") for q in quarters)
                    for x in labels
                ]
                cen = sum(get(c, f"s{q}") for q in quarters)
                left = r - sum(ev) - cen
                if any(is_small(x, min_count) for x in [*ev, cen, left]):
                    ok = False
                    break
                lefts.append(left)
            # an interval where nothing happens in any group is merged with the next
            ok = ok and (lefts != rest or end == len(grid))
            if ok:
                cuts.append(grid[end - 1])
                rest, start = lefts, end
                break
        else:
            break
    return cuts


@dataclass(frozen=True)
class Curve:
    """A published curve: one row per cut point shown.

    ``frame`` columns: ``month`` (end of the interval), ``at_risk`` (at its start),
    ``events``, ``censored`` and, per curve line, ``<name>``, ``<name>_low``, ``<name>_high``
    (probabilities). ``shown_to`` is the number of intervals shown; ``cut`` is True when a
    hidden or unpublished count stopped the curve before its last cut point.
    """

    frame: pd.DataFrame
    lines: tuple[str, ...]
    shown: int
    cut: bool
    n: int


def _visible_prefix(hidden: Sequence[bool]) -> int:
    """Number of leading intervals without a hidden count."""
    for i, h in enumerate(hidden):
        if h:
            return i
    return len(hidden)


def _loglog_ci(surv: float, se: float) -> tuple[float, float]:
    """Pointwise 95 % interval of a survival probability on the log(−log) scale."""
    if not (0 < surv < 1) or not np.isfinite(se) or se <= 0:
        return surv, surv
    theta = Z95 * se / (surv * abs(np.log(surv)))
    return float(surv ** np.exp(theta)), float(surv ** np.exp(-theta))


def _prefix_arrays(
    counts: Mapping[str, int],
    n: int,
    cuts: Sequence[int],
    shown: int,
    causes: Sequence[str] | None,
) -> tuple[list[dict], list[float], list[int]]:
    """Rows and (time, status) arrays of the first ``shown`` intervals; everyone else is
    censored after the last of them, so the estimates rest on the shown counts and ``n``."""
    rows, times, status = [], [], []
    at_risk = n
    for i in range(shown):
        t = cuts[i]
        row: dict = {"month": t, "at_risk": at_risk}
        total = 0
        for j, c in enumerate(causes or (None,), start=1):
            d = int(counts.get(f"h{i}" if c is None else f"h{i}:{c}", 0))
            times += [t] * d
            status += [j] * d
            if c is not None:
                row[f"events_{c}"] = d
            total += d
        cens = int(counts.get(f"s{i}", 0))
        times += [t] * cens
        status += [0] * cens
        row["events"], row["censored"] = total, cens
        rows.append(row)
        at_risk -= total + cens
    times += [(cuts[shown - 1] if shown else 0) + 1] * at_risk
    status += [0] * at_risk
    return rows, times, status


def _at(steps: np.ndarray, t: float) -> int:
    """Index of the last step at or before ``t`` (−1 before the first)."""
    return int(np.searchsorted(steps, t, side="right") - 1)


def survival_curve(
    counts: Mapping[str, int], hidden: Mapping[str, bool], n: int, cuts: Sequence[int]
) -> Curve:
    """Kaplan–Meier share *with* the event (1 − S) at each cut point, from grouped counts.

    ``counts`` and ``hidden`` map the grouped variable's codes to the group's count and to
    whether it is hidden or unpublished; ``n`` is the group's size (persons not at risk are
    left out of the curve). Only intervals before the first hidden count are used.
    """
    k = len(cuts)
    hidden_iv = [bool(hidden.get(f"h{i}", False) or hidden.get(f"s{i}", False)) for i in range(k)]
    shown = _visible_prefix(hidden_iv)
    not_at_risk = int(counts.get(NOT_AT_RISK, 0))
    if hidden.get(NOT_AT_RISK, False):
        shown = 0  # the risk set would give the hidden count away
    at_risk = n - not_at_risk
    rows, times, status = _prefix_arrays(counts, at_risk, cuts, shown, None)
    frame = pd.DataFrame(rows, columns=["month", "at_risk", "events", "censored"])
    share, low, high = np.zeros(shown), np.zeros(shown), np.zeros(shown)
    if shown and sum(status):
        sf = SurvfuncRight(np.asarray(times, float), np.asarray(status, float))
        steps = np.asarray(sf.surv_times)
        for j, t in enumerate(frame["month"]):
            idx = _at(steps, t)
            if idx < 0:
                continue
            s, se = float(sf.surv_prob[idx]), float(sf.surv_prob_se[idx])
            lo, hi = _loglog_ci(s, se)
            share[j], low[j], high[j] = 1 - s, 1 - hi, 1 - lo
    frame["andel"], frame["andel_low"], frame["andel_high"] = share, low, high
    return Curve(frame, ("andel",), shown, shown < k and at_risk > 0, at_risk)


def incidence_curve(
    counts: Mapping[str, int],
    hidden: Mapping[str, bool],
    n: int,
    cuts: Sequence[int],
    causes: Sequence[str],
) -> Curve:
    """Cumulative incidence of each competing cause (Aalen–Johansen, statsmodels) at each cut
    point, from grouped counts; intervals from the first hidden count on are left out."""
    k = len(cuts)
    hidden_iv = [
        bool(hidden.get(f"s{i}", False) or any(hidden.get(f"h{i}:{c}", False) for c in causes))
        for i in range(k)
    ]
    shown = _visible_prefix(hidden_iv)
    rows, times, status = _prefix_arrays(counts, n, cuts, shown, causes)
    frame = pd.DataFrame(
        rows, columns=["month", "at_risk", *(f"events_{c}" for c in causes), "events", "censored"]
    )
    for c in causes:
        frame[c], frame[f"{c}_low"], frame[f"{c}_high"] = 0.0, 0.0, 0.0
    if shown and any(status):
        ci = CumIncidenceRight(np.asarray(times, float), np.asarray(status, float))
        steps = np.asarray(ci.times)
        for j, c in enumerate(causes):
            est = np.asarray(ci.cinc[j])
            se = np.asarray(ci.cinc_se[j]) if ci.cinc_se is not None else np.zeros_like(est)
            for r, t in enumerate(frame["month"]):
                idx = _at(steps, t)
                if idx < 0:
                    continue
                p, s = float(est[idx]), float(se[idx])
                lo, hi = _loglog_ci(1 - p, s)
                frame.loc[r, c] = p
                frame.loc[r, f"{c}_low"] = max(0.0, 1 - hi)
                frame.loc[r, f"{c}_high"] = min(1.0, 1 - lo)
    return Curve(frame, tuple(causes), shown, shown < k and n > 0, n)


def months_text(months: int) -> str:
    """«6 måneder», «1 år», «2 år» – a cut point for readers."""
    if months and months % 12 == 0:
        return f"{months // 12} år"
    return f"{months} måneder" if months != 1 else "1 måned"
