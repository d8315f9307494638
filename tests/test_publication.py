"""The publication plan: one protected system for every participant figure of a build."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from coopstats import indicators, participants, publication, sdc
from coopstats.data import load_datasets
from coopstats.disclosure import DisclosureConfig

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def demo():
    return load_datasets(DEMO)


def test_same_definition_is_the_same_cell_in_table_and_indicator(demo):
    """Tabell 5.7's measure and the indicator «i arbeid 2018–2023» are one variable, so a
    share hidden in one place cannot be shown in the other."""
    defs = participants.load_table_defs()
    measure = defs.table("5.7").all_measures()[0]
    indicator = indicators.load_indicators()["ind-andel-arbeid-2018-2023"]
    assert publication.measure_variable(measure, defs) == publication.indicator_variable(indicator)
    plan = publication.plan_for(demo, DisclosureConfig())
    num, den = publication.indicator_key(indicator, "lengre-varighet-oslo")
    row = {"model": "lengre-varighet", "unit": "nav-oslo"}
    table_cell = sdc.make_key({**row, publication.measure_variable(measure, defs): "ja"})
    unit_page_cell = sdc.make_key({"unit": "nav-oslo", "gender": "K"})
    table_gender = sdc.make_key({**row, "gender": "K"})
    # the same persons (one trial per unit in the demo): one cell of the plan, however a page
    # names it, so it cannot be hidden on one page and shown on another
    assert plan.fact(sdc.Item(num)).item == plan.fact(sdc.Item(table_cell)).item
    assert plan.value(sdc.Item(unit_page_cell)) == plan.value(sdc.Item(table_gender))
    assert plan.visible(unit_page_cell) == plan.visible(table_gender)


# 15 is left out: protecting the demo at 15 takes minutes (most of its cells are small).
@pytest.mark.parametrize("t", [3, 5, 10])
def test_every_planned_small_cell_is_hidden_and_the_plan_passes_its_audit(demo, t):
    plan = publication.plan_for(demo, DisclosureConfig(min_count=t))
    values = plan.system.values
    small = {k for k in plan.system.published_cells() if 1 <= values[k] < t}
    assert small and small <= plan.hidden
    assert plan.hidden <= plan.system.published_cells()
    assert all(values[k] > 0 for k in plan.hidden)  # zeros are never hidden
    assert sdc.audit(plan.system, plan.hidden, t) == []
    # what the pages print: ':' for every small cell, the true count for every other count
    for it in plan.system.items:
        if it.kind == "count" and values[it.cell] > 0:
            shown = ":" if it.cell in plan.hidden else str(values[it.cell])
            assert plan.text(it).replace("\xa0", "") == shown, sdc.key_text(it.cell)
    # no more than needed: the largest further hidden cells cannot be shown again
    extra = sorted(plan.hidden - small, key=lambda k: (-values[k], k))
    assert extra
    for k in extra[:2]:
        assert sdc.audit(plan.system, plan.hidden - {k}, t), f"{sdc.key_text(k)} need not be hidden"


def test_reproduce_published_hides_nothing(demo):
    plan = publication.plan_for(demo, DisclosureConfig(reproduce_published=True))
    assert plan.hidden == set()


def test_plan_follows_the_content_of_the_delivery(demo):
    first = publication.plan_for(demo, DisclosureConfig())
    assert publication.plan_for(demo, DisclosureConfig()) is first
    people = demo.participants.copy()
    people.loc[0, "gender"] = "M" if people.loc[0, "gender"] == "K" else "K"
    changed = publication.plan_for(
        dataclasses.replace(demo, participants=people), DisclosureConfig()
    )
    assert changed is not first
    unit = str(people.loc[0, "unit_id"])
    key = sdc.make_key({"unit": unit, "gender": "K"})
    assert changed.system.values[key] != first.system.values[key]


def test_unplanned_figure_is_refused(demo):
    plan = publication.plan_for(demo, DisclosureConfig())
    with pytest.raises(KeyError, match="not in the publication plan"):
        plan.fact(publication.count_item(unit="nav-oslo", gender="K", age_band="15-29"))


def test_protection_that_finds_no_mend_hides_every_published_figure(demo, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("no mend")

    monkeypatch.setattr(sdc, "protect", fail)
    plan = publication.build_plan(demo, DisclosureConfig())
    published = {k for k in plan.system.published_cells() if plan.system.values[k] > 0}
    assert plan.hidden == published
    assert sdc.audit(plan.system, plan.hidden, 5) == []


def test_a_model_without_participants_gets_a_page_of_not_applicable(demo):
    report = participants.load_report("alle", DEMO, model="moteplassen")
    frame = report.table("5.1").frame
    assert list(frame.index) == ["Total (N=0)"]
    assert set(frame.iloc[0]) == {"."}
