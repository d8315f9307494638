"""Matched comparison of a model's participants with the delivery's comparison population.

The delivery's comparison population (``comparison.csv`` and its spells,
:mod:`coopstats.comparison`) is matched to the model's participants with
:func:`coopstats.matching.match`: exactly on unit × gender × age band, then nearest neighbour on
the propensity score within a caliper. The model page shows

* the balance table (standardised mean differences before and after matching; no group
  means, so nothing about the participants beyond what other tables publish), and
* per horizon, the share in work and in education among participants and their matched
  comparison persons, the difference in percentage points with a 95 % interval and one
  sentence that claims no more than the interval supports.

Privacy: a row is shown only when every participant followed to the horizon has a matched
comparison person followed as far, so the participants' share is exactly the protected share
of the state table (:mod:`coopstats.resultater`), and only when that share is visible; the
comparison side needs at least the threshold of distinct comparison persons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from coopstats import matching, outcomes, tables
from coopstats.formatting import fmt_number, fmt_percent
from coopstats.resultater import (
    NOT_FOLLOWED,
    Group,
    OutcomeSet,
    _state_share,
    shown_intervals,
    state_variable,
)

__all__ = ["COVARIATE_LABELS", "MatchedComparison", "balance_table", "compare", "outcome_table"]

#: Reader labels of the matching covariates.
COVARIATE_LABELS = {
    "alder": "Alder",
    "kvinne": "Kvinne",
    "innvandrer": "Innvandrer",
    "utd_grunnskole": "Fullført grunnskole",
    "utd_vgo": "Fullført videregående",
    "utd_hoyere": "Fullført høyere utdanning",
    "mnd_arbeid": "Måneder i arbeid siste fem år",
    "mnd_ytelse": "Måneder med ytelse siste fem år",
    "tiltak_for": "Tiltak siste fem år",
}
#: The states compared at each horizon after intake.
COMPARED_STATES = ("arbeid", "utdanning")


@dataclass(frozen=True)
class MatchedComparison:
    """The matched comparison of one group (computed once per page): covariates of the
    participants and the pool, the match, the comparison persons' outcomes, remarks."""

    treated: pd.DataFrame
    pool: pd.DataFrame
    result: matching.MatchResult
    control_states: pd.DataFrame
    notes: list[str]


def compare(datasets: Any, oset: OutcomeSet, model: str, registry: Any) -> MatchedComparison | None:
    """Match the model's participants to the comparison population (``None`` without one)."""
    comp = getattr(datasets, "comparison", None)
    if comp is None:
        return None
    parts = datasets.participants
    model_of = {t.id: t.model for t in registry.trials.values()}
    mine = parts[parts["trial_id"].map(model_of) == model]
    if mine.empty:
        return None
    persons = comp.persons[comp.persons["unit_id"].isin(set(mine["unit_id"]))]
    if persons.empty:
        return None
    treated = matching.matching_frame(mine, datasets.spells, date_column="intake_date")
    pool_spells = comp.spells[comp.spells["person_id"].isin(set(persons["person_id"]))]
    pool = matching.matching_frame(persons, pool_spells, date_column="reference_date")
    result = matching.match(treated, pool)
    # the comparison persons' states at each horizon, from their reference date
    controls = persons[persons["person_id"].isin(set(result.pairs["control_id"]))]
    frame = pd.DataFrame(
        {
            "person_id": controls["person_id"].astype(str),
            "intake_date": controls["reference_date"],
            "exit_date": pd.NaT,
        }
    )
    states = outcomes.compute_outcomes(frame, pool_spells, oset.defs, oset.end_date)
    states.index = pd.Index(states["person_id"].astype(str))
    return MatchedComparison(treated, pool, result, states, list(result.notes))


def balance_table(
    cmp: MatchedComparison | None, groups: Sequence[Group], *, source: str, stamp: str | None = None
) -> tables.Table:
    """Standardised mean differences of the covariates before and after matching."""
    who = ", ".join(w for _, w in groups)
    if cmp is None:
        return _none(f"Balanse før og etter matching – {who}", source)
    bal = matching.balance(cmp.treated, cmp.pool, cmp.result)
    rows = []
    for cov, row in bal.iterrows():
        rows.append(
            (
                COVARIATE_LABELS.get(str(cov), str(cov)),
                _smd(row["smd_for"]),
                _smd(row["smd_etter"]),
            )
        )
    frame = pd.DataFrame(rows, columns=["Kjennetegn", "SMD før", "SMD etter"])
    frame = frame.set_index("Kjennetegn")
    n_controls = len(set(cmp.result.pairs["control_id"]))
    notes = [
        "SMD = standardisert forskjell i gjennomsnitt (deltakere minus sammenligningsgruppe), "
        "delt på standardavviket før matching. Under 0,1 regnes vanligvis som god balanse.",
        "Matchet eksakt på enhet, kjønn og aldersgruppe, deretter nærmeste nabo på "
        "tilbøyelighetsskår (logistisk regresjon) innenfor en grense på 0,2 standardavvik, "
        "med tilbakelegging.",
        f"Sammenligningspersoner brukt: {fmt_number(n_controls)} av "
        f"{fmt_number(len(cmp.pool))} i sammenligningsgrunnlaget.",
        *_safe_notes(cmp),
    ]
    return tables.Table(
        title=f"Balanse før og etter matching – {who}",
        frame=frame,
        population=f"Deltakere i {who} og sammenligningspersoner i de samme enhetene",
        source=source,
        notes=notes,
        stamp=stamp,
    )


def _safe_notes(cmp: MatchedComparison) -> list[str]:
    """The matching's remarks without participant counts or attributes (a note such as «6
    av 66 fikk ingen kontroll» would publish an unprotected count)."""
    out = []
    if cmp.result.unmatched:
        out.append(
            "Noen deltakere fikk ingen sammenligningsperson innenfor grensen; tidspunkt der "
            "det gjelder noen som er fulgt opp, vises ikke i sammenligningen."
        )
    if any("ridge" in n for n in cmp.notes):
        out.append(
            "Tilbøyelighetsskåren er estimert med ridge-straff (λ = 1 på standardiserte "
            "kjennetegn), fordi vanlig logistisk regresjon ikke konvergerte."
        )
    return out


def _smd(x: float) -> str:
    return f"{x:.2f}".replace(".", ",").replace("-", "−")


def _none(title: str, source: str) -> tables.Table:
    return tables.Table(
        title=title,
        frame=pd.DataFrame(
            {"Merknad": ["Datagrunnlaget har ingen sammenligningsgruppe for disse deltakerne."]}
        ),
        source=source,
    )


def outcome_table(
    plan: Any,
    oset: OutcomeSet,
    cmp: MatchedComparison | None,
    groups: Sequence[Group],
    *,
    stamp: str | None = None,
) -> tables.Table:
    """Participants against matched comparison persons: share in work and in education at
    each horizon after intake, the difference and its 95 % interval."""
    who = ", ".join(w for _, w in groups)
    source = f"Registerdata; {plan.source}"
    title = f"Deltakere og matchet sammenligningsgruppe – {who}"
    if cmp is None or not groups:
        return _none(title, source)
    base = groups[0][0]
    anchor = next(iter(oset.defs.anchors))
    labels = {s.id: s.label for s in oset.defs.states}
    pairs = cmp.result.pairs
    rows, items, skipped = [], [], []
    small = False
    for h in oset.defs.horizons_months:
        var = state_variable(anchor, h)
        column = f"state.{anchor}.{h}"
        treated_states = oset.frame.loc[oset.frame.index.isin(cmp.treated.index), column]
        followed = treated_states[treated_states != NOT_FOLLOWED]
        if followed.empty or not shown_intervals(oset, var, base):
            continue
        sub = pairs[pairs["treated_id"].isin(followed.index)]
        ctrl_state = cmp.control_states[column].reindex(sub["control_id"].astype(str))
        sub = sub[(ctrl_state != NOT_FOLLOWED).to_numpy()]
        if set(followed.index) - set(sub["treated_id"]):
            skipped.append(h)
            continue
        per_treated = sub.groupby("treated_id")["control_id"].transform("count")
        weights = (1 / per_treated).groupby(sub["control_id"]).sum()
        for state in COMPARED_STATES:
            share = _state_share(base, var, state)
            fact = plan.fact(share)
            if fact.shown not in ("share", "nil"):
                continue
            items.append(share)
            d = matching.difference(
                (followed == state).astype(int),
                (cmp.control_states[column].reindex(weights.index.astype(str)) == state).astype(
                    int
                ),
                weights,
            )
            if d.n_control < plan.config.min_count:
                continue
            small |= d.n_treated < 30
            rows.append(
                (
                    f"{labels[state]} {h} måneder etter inntak",
                    plan.text(share),
                    fmt_percent(d.control_share, 0),
                    _pp(d.difference),
                    f"{_pp(d.ci_low)} til {_pp(d.ci_high)}",
                    d.text(),
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=["Utfall", "Deltakere", "Sammenligning", "Forskjell (pp)", "95 % KI", "Tolkning"],
    ).set_index("Utfall")
    notes = [
        "Deltakere = andelen av deltakerne som er fulgt opp til tidspunktet (samme tall som i "
        "tilstandstabellen). Sammenligning = vektet andel blant deres matchede "
        "sammenligningspersoner. Forskjell i prosentpoeng (pp) med 95 % konfidensintervall.",
        "En forskjell er ikke en effekt: matchingen tar bare hensyn til kjennetegnene i "
        "balansetabellen.",
    ]
    if small:
        notes.append(
            "Forsøksgruppen er liten, og intervallene er brede: tallene sier lite om hva "
            "forsøket har ført til."
        )
    if skipped:
        notes.append(
            "Tidspunkt der ikke alle deltakere har en sammenligningsperson som er fulgt like "
            "lenge, vises ikke."
        )
    return tables.Table(
        title=title,
        frame=frame,
        population=f"Deltakere i {who} som er fulgt opp til tidspunktet",
        source=source,
        notes=notes,
        stamp=stamp,
        disclosure=plan.metadata(items) if items else None,
    )


def _pp(x: float) -> str:
    """Percentage points, whole, with a sign: «+12», «−3», «0»."""
    text = f"{x:+.0f}" if round(x) else "0"
    return text.replace("-", "−")
