"""A new indicator is data: one entry in indicators.yaml, with a window relative to intake."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pandas as pd
import yaml

from coopstats import fylke
from coopstats.indicators import load_indicators

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

NEW = {
    "id": "ind-andel-arbeid-12m-etter",
    "label_nb": "Andel i arbeid de første tolv månedene etter inntak",
    "label_en": "Share in work within twelve months of intake",
    "chain_level": "brukereffekter",
    "kind": "share",
    "source": "participants",
    "numerator": {
        "dataset": "spells",
        "kind": "arbeid",
        "window": {"anchor": "intake_date", "from_months": 0, "to_months": 12},
    },
    "denominator": {"dataset": "participants", "status": "all"},
    "population": "Alle deltakere som er tatt inn i forsøket",
    "period": "Arbeidsforhold i de første tolv månedene etter inntaksdatoen",
    "unit": "andel",
    "breakdowns": ["unit_id"],
    "disclosure": "person",
    "models": ["lengre-varighet"],
    "provenance": {"source": "public"},
}


def test_an_indicator_added_only_in_the_definitions_shows_on_the_unit_page(tmp_path, monkeypatch):
    text = (files("coopstats") / "definitions" / "indicators.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    raw["indicators"].append(NEW)
    (tmp_path / "indicators.yaml").write_text(
        yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    monkeypatch.setenv("COOPSTATS_DEFINITIONS_DIR", str(tmp_path))
    assert NEW["id"] in load_indicators()
    page = fylke.load_page("nav-oslo", DEMO, min_count=1)
    frame = fylke.indicator_table(page).frame.set_index("Indikator")
    value = frame.loc[NEW["label_nb"], "Verdi"]
    # an independent count: Oslo's participants with work in [intake, intake + 12 months)
    people = pd.read_csv(DEMO / "participants.csv", parse_dates=["intake_date"])
    people = people[people["trial_id"] == "lengre-varighet-oslo"]
    spells = pd.read_csv(DEMO / "spells.csv", parse_dates=["start_date", "end_date"])
    work = spells[spells["kind"] == "arbeid"].merge(people[["person_id", "intake_date"]])
    last = work["intake_date"] + pd.DateOffset(months=12) - pd.Timedelta(days=1)
    inside = (work["start_date"].isna() | (work["start_date"] <= last)) & (
        work["end_date"].isna() | (work["end_date"] >= work["intake_date"])
    )
    hits = work.loc[inside, "person_id"].nunique()
    share = int(100 * hits / len(people) + 0.5)  # whole percent, half up
    assert value == ("-" if hits == 0 else f"{share}\xa0%")
    # the same page without the new definition does not know it
    monkeypatch.delenv("COOPSTATS_DEFINITIONS_DIR")
    page = fylke.load_page("nav-oslo", DEMO, min_count=1)
    assert NEW["label_nb"] not in set(fylke.indicator_table(page).frame["Indikator"])
