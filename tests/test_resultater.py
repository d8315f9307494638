"""«Resultater over tid»: hand-made deliveries give hand-computed curves, and the demo's
outcome figures pass the disclosure audit at several thresholds."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from coopstats import publication, resultater, sdc, survival
from coopstats.data import COLUMNS, FILES, Datasets, load_datasets, read_table
from coopstats.disclosure import DisclosureConfig
from coopstats.registry import load_registry

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
MODEL = {"model": "lengre-varighet"}


def make_datasets(directory: Path, participants=(), spells=()) -> Datasets:
    """Tiny contract CSVs, read back with the contract's types."""
    rows = {"participants": participants, "spells": spells}
    frames = {}
    for name in FILES:
        path = directory / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS[name]))
            writer.writeheader()
            writer.writerows(rows.get(name, ()))
        frames[name] = read_table(path, name)
    return Datasets(directory=directory, **frames)


def person(pid: str) -> dict:
    return {"person_id": pid, "unit_id": "nav-oslo", "trial_id": "lengre-varighet-oslo",
            "intake_date": "2023-08-21", "gender": "K", "birth_year": "1990"}  # fmt: skip


def spell(sid: str, pid: str, kind: str, code: str, start: str, end: str = "") -> dict:
    return {"spell_id": sid, "person_id": pid, "kind": kind, "code": code,
            "start_date": start, "end_date": end, "source": "arena"}  # fmt: skip


@pytest.fixture(scope="module")
def demo():
    return load_datasets(DEMO)


@pytest.fixture(scope="module")
def plan5(demo):
    return publication.plan_for(demo, DisclosureConfig(min_count=5))


@pytest.mark.parametrize("t", [3, 5, 10])
def test_demo_outcome_figures_pass_the_audit(demo, t):
    plan = publication.build_plan(demo, DisclosureConfig(min_count=t))
    assert sdc.audit(plan.system, plan.hidden, t) == []
    # every shown count of a results variable is 0 or at least t
    outcome_vars = ("forlop:", "konkurrerende:", "tilstand:")
    for item in plan.system.items:
        if not any(v.startswith(outcome_vars) for v, _ in item.cell):
            continue
        fact = plan.fact(item)
        if fact.shown == "count":
            assert not 0 < fact.value < t, sdc.key_text(item.cell)


def test_demo_model_curves_are_shown_and_use_only_published_counts(plan5):
    plan = plan5
    table = resultater.event_table(plan, plan.outcomes, [(MODEL, "modellen")])
    assert len(table.frame) > 3
    facts = table.disclosure["facts"]
    assert facts and all(f["shown"] in ("count", "nil") for f in facts)


def _delivery(tmp_path):
    people = [person(f"P{i}") for i in range(1, 11)]
    spells = [
        spell("F1", "P1", "fagbrev", "fagbrev", "2024-01-15"),  # 4.8 months after intake
        spell("F2", "P2", "fagbrev", "fagbrev", "2024-01-20"),
        spell("F3", "P3", "fagbrev", "fagbrev", "2024-06-01"),  # 9.4 months
        spell("W1", "P4", "arbeid", "arbeid", "2019-01-01", "2025-08-20"),  # delivery end
    ]
    return make_datasets(tmp_path, participants=people, spells=spells)


def test_hand_made_delivery_gives_the_hand_computed_curve(tmp_path):
    data = _delivery(tmp_path)
    plan = publication.build_plan(data, DisclosureConfig(min_count=1))
    oset = plan.outcomes
    assert oset.end_date.isoformat() == "2025-08-20"
    # quarters without events are merged: events in [3, 6) and [9, 12) months, then the
    # seven others censored at the delivery's end (day 730, in [21, 24))
    assert oset.cuts["fagbrev"] == [6, 12, 24]
    curve, _ = resultater.event_curves(plan, oset, MODEL)["fagbrev"]
    f = curve.frame
    assert list(f["at_risk"]) == [10, 8, 7]
    # S(6) = 1 - 2/10 = 0.8, S(12) = 0.8 * (1 - 1/8) = 0.7, no event after
    assert f["andel"].tolist() == pytest.approx([0.2, 0.3, 0.3])
    assert list(f["censored"]) == [0, 0, 7]


def test_hand_made_delivery_hides_what_is_too_small(tmp_path):
    data = _delivery(tmp_path)
    plan = publication.build_plan(data, DisclosureConfig(min_count=5))
    oset = plan.outcomes
    # 3 certificates in 10 persons: any interval with them holds fewer than 5
    assert oset.cuts["fagbrev"] == []
    curve, used = resultater.event_curves(plan, oset, MODEL)["fagbrev"]
    assert curve.frame.empty and used == []
    table = resultater.event_table(plan, oset, [(MODEL, "modellen")])
    assert table.frame.loc[("Fagbrev", "–")].tolist() == [":"] * 5


def test_states_follow_the_priority_and_the_delivery_end(tmp_path):
    data = _delivery(tmp_path)
    oset = resultater.outcome_set(data)
    states = oset.frame
    # P4 works through the whole follow-up; the others have nothing registered
    assert states.loc["P4", "state.inntak.12"] == "arbeid"
    assert states.loc["P5", "state.inntak.12"] == "annet"
    # 2023-08-21 + 24 months = 2025-08-21, after the delivery's end
    assert states.loc["P5", "state.inntak.24"] == "ikke_fulgt_opp"
    assert states.loc["P5", "state.avslutning.6"] == "ikke_avsluttet"


def test_unit_page_of_a_unit_without_participants_says_so(plan5):
    registry = load_registry()
    plan = plan5
    assert resultater.unit_groups(plan, "nav-innlandet", registry) == []
    table = resultater.no_data_table("Tid fra inntak", "NAV Innlandet", "kilde")
    assert "Ingen deltakerdata" in table.frame.iloc[0, 0]


def test_grouped_codes_cover_every_person(plan5):
    plan = plan5
    n = plan.value(publication.count_item(model="lengre-varighet"))
    for event_id, cuts in plan.outcomes.cuts.items():
        var = next(
            v
            for v in plan.system.codes
            if v.startswith(("forlop:", "konkurrerende:")) and v.split(":")[1] == event_id
        )
        total = sum(
            plan.system.values.get(sdc.make_key({"model": "lengre-varighet", var: code}), 0)
            for code in plan.system.codes[var]
        )
        assert total == n, (event_id, cuts)
    assert survival.BEYOND in plan.system.codes[var]
