"""Tests for coopstats.indicators: definitions, engine (hand-checked) and display frame."""

from __future__ import annotations

import csv
import dataclasses
import math
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from coopstats.data import COLUMNS, FILES, Datasets, read_table
from coopstats.disclosure import DisclosureConfig
from coopstats.indicators import (
    TABLE_COLUMNS,
    VALUE_COLUMNS,
    IndicatorDef,
    IndicatorError,
    SpellSpec,
    compute_indicators,
    indicator_table_frame,
    load_indicators,
)
from coopstats.registry import LEVEL_KEYS, Registry, load_registry
from coopstats.yamlio import indicator_ids

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
OSLO = "lengre-varighet-oslo"
MR = "vt-more-og-romsdal"
INN = "moteplassen-innlandet"
VT = "jobbspesialist-vestfold-og-telemark"
Z = 1.959963984540054  # standard normal 97.5 % quantile


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval, written out independently of statsmodels."""
    p = k / n
    denom = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denom
    half = Z / denom * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def defs() -> dict[str, IndicatorDef]:
    return load_indicators()


def make_datasets(
    directory: Path,
    participants: list[dict] = (),
    spells: list[dict] = (),
    activity_log: list[dict] = (),
) -> Datasets:
    """Write tiny CSVs with the contract columns and read them back with data.read_table."""
    rows = {"participants": participants, "spells": spells, "activity_log": activity_log}
    frames = {}
    for name in FILES:
        path = directory / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS[name]))
            writer.writeheader()
            for row in rows.get(name, ()):
                writer.writerow(row)
        frames[name] = read_table(path, name)
    return Datasets(directory=directory, **frames)


def person(pid: str, gender: str = "K", exit_date: str = "", trial: str = OSLO) -> dict:
    return {
        "person_id": pid,
        "unit_id": "nav-oslo",
        "trial_id": trial,
        "intake_date": "2023-08-21",
        "exit_date": exit_date,
        "gender": gender,
        "birth_year": "1990",
    }


def spell(sid: str, pid: str, kind: str, code: str, start: str, end: str = "") -> dict:
    return {
        "spell_id": sid,
        "person_id": pid,
        "kind": kind,
        "code": code,
        "start_date": start,
        "end_date": end,
        "source": "arena",
    }


def activity(
    rid: str,
    trial: str,
    act: str,
    qualifier: str,
    count="",
    low="",
    high="",
    start="2024-01-01",
    end="2024-12-31",
) -> dict:
    return {
        "record_id": rid,
        "unit_id": "x",
        "trial_id": trial,
        "period_start": start,
        "period_end": end,
        "activity": act,
        "count": count,
        "count_low": low,
        "count_high": high,
        "qualifier": qualifier,
        "source_doc": "seed-000",
    }


def row(values: pd.DataFrame, trial: str, indicator: str) -> pd.Series:
    hit = values[(values["trial_id"] == trial) & (values["indicator_id"] == indicator)]
    assert len(hit) == 1, (trial, indicator)
    return hit.iloc[0]


@pytest.fixture()
def tiny(tmp_path: Path) -> Datasets:
    """Three Oslo participants (two women, one exited) plus a small activity log."""
    return make_datasets(
        tmp_path,
        participants=[
            person("P1", "K"),
            person("P2", "K", exit_date="2023-11-15"),
            person("P3", "M"),
        ],
        spells=[
            # Intake 2023-08-21: "the five years before intake" is 2018-08-21..2023-08-20.
            # P1: work ending on the first day of the window counts (overlap, inclusive).
            spell("S1", "P1", "arbeid", "arbeid", "2015-01-01", "2018-08-21"),
            # P2: work starting on the intake day (the trial's own) is not "before intake".
            spell("S2", "P2", "arbeid", "arbeid", "2023-08-21"),
            # P3: open-ended work from before the window counts.
            spell("S3", "P3", "arbeid", "arbeid", "2017-06-01"),
            # The month before intake (2023-07-21..2023-08-20): tiltakspenger ending the day
            # before intake counts, sosialhjelp does not (not one of the codes).
            spell("S4", "P1", "ytelse", "tiltakspenger", "2023-08-01", "2023-08-20"),
            spell("S5", "P2", "ytelse", "sosialhjelp", "2023-01-01", "2023-12-31"),
            # A spell of a person outside the trial must not count.
            spell("S6", "X9", "arbeid", "arbeid", "2019-01-01", "2019-12-31"),
        ],
        activity_log=[
            activity("a1", MR, "anrop", "exact", count="20"),
            activity("a2", MR, "anrop", "approximate", count="25"),
            activity("a3", MR, "henvendelse", "exact", count="600"),
            activity("a4", INN, "opplaeringskontrakt", "exact", count="2"),
            activity("a5", INN, "opplaeringskontrakt", "range", low="4", high="60"),
            activity("a6", INN, "oppmote", "range", low="10", high="20"),
            activity("a7", INN, "invitasjon", "exact", count="100"),
            activity("a8", INN, "match", "exact", count="3"),
        ],
    )


# --------------------------------------------------------------------------- definitions


def test_one_definition_per_indicator_id(defs: dict[str, IndicatorDef]) -> None:
    assert set(defs) == indicator_ids()
    assert all(d.chain_level in LEVEL_KEYS for d in defs.values())
    assert all(d.id == key for key, d in defs.items())


def test_definitions_agree_with_result_chains_and_targets(
    defs: dict[str, IndicatorDef], reg: Registry
) -> None:
    for model in reg.models.values():
        for level in model.result_chain.levels:
            for element in level.elements:
                for ind in element.indicators:
                    assert defs[ind].chain_level == level.key, (model.id, ind)
                    assert defs[ind].applies_to(model.id), (model.id, ind)
    for trial in reg.trials.values():
        for target in trial.targets:
            if target.indicator:
                assert defs[target.indicator].applies_to(trial.model), (trial.id, target)


def test_definitions_are_package_data() -> None:
    packaged = resources.files("coopstats") / "definitions" / "indicators.yaml"
    assert packaged.is_file()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8")
    assert '"definitions/*.yaml"' in pyproject


# --------------------------------------------------------------------------- engine, hand-checked


def test_person_counts(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo")
    assert list(values.columns) == list(VALUE_COLUMNS)
    assert set(values["trial_id"]) == {OSLO}
    assert len(values) == len(indicator_ids())
    for ind, expected in [
        ("ind-deltakere-inntatt", 3),
        ("ind-deltakere-aktive", 2),
        ("ind-frafall", 1),
    ]:
        r = row(values, OSLO, ind)
        assert (r["kind"], r["value"], r["numerator"]) == ("exact", expected, expected), ind
        assert r["measure"] == "count" and bool(r["person_data"]) is True


def test_status_is_judged_at_period_end(defs, tiny, reg) -> None:
    before_exit = (date(2023, 8, 1), date(2023, 10, 31))
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo", period=before_exit)
    assert row(values, OSLO, "ind-deltakere-aktive")["value"] == 3
    assert row(values, OSLO, "ind-frafall")["value"] == 0
    before_intake = (date(2023, 1, 1), date(2023, 8, 1))
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo", period=before_intake)
    assert row(values, OSLO, "ind-deltakere-inntatt")["value"] == 0


def test_share_with_wilson_interval(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo")
    r = row(values, OSLO, "ind-andel-kvinner")
    assert (r["kind"], r["numerator"], r["denominator"], r["measure"]) == ("exact", 2, 3, "share")
    assert r["value"] == pytest.approx(2 / 3)
    low, high = wilson(2, 3)
    assert r["ci_low"] == pytest.approx(low, abs=1e-12)
    assert r["ci_high"] == pytest.approx(high, abs=1e-12)
    assert 0 < r["ci_low"] < r["value"] < r["ci_high"] < 1


def test_spell_windows(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo")
    work = row(values, OSLO, "ind-andel-arbeid-2018-2023")
    assert (work["numerator"], work["denominator"]) == (2, 3)  # P1 and P3, not P2 or X9
    benefit = row(values, OSLO, "ind-andel-ytelse-okt-2023")
    assert (benefit["numerator"], benefit["denominator"]) == (1, 3)  # tiltakspenger only


def test_approximate_input_makes_sum_and_ratio_approximate(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-more-og-romsdal")
    calls = row(values, MR, "ind-anrop")
    assert (calls["kind"], calls["value"], calls["numerator"]) == ("approximate", 45, 45)
    assert bool(calls["person_data"]) is False
    enquiries = row(values, MR, "ind-henvendelser")
    assert (enquiries["kind"], enquiries["value"]) == ("exact", 600)
    # No anrop_forventet rows: the denominator falls back to the trial's target (ca. 90).
    share = row(values, MR, "ind-anrop-maloppnaelse")
    assert share["kind"] == "approximate"
    assert share["value"] == pytest.approx(45 / 90)
    assert (share["numerator"], share["denominator"]) == (45, 90)
    assert pd.isna(share["ci_low"])


def test_expected_calls_in_log_beat_the_target(defs, reg, tmp_path) -> None:
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("a1", MR, "anrop", "exact", count="30"),
            activity("a2", MR, "anrop_forventet", "exact", count="120"),
        ],
    )
    share = row(compute_indicators(defs, data, reg), MR, "ind-anrop-maloppnaelse")
    assert (share["kind"], share["value"]) == ("exact", 0.25)


def test_range_inputs_give_low_and_high(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, model="moteplassen")
    contracts = row(values, INN, "ind-opplaeringskontrakt")
    assert contracts["kind"] == "range"
    assert (contracts["low"], contracts["high"]) == (6, 62)
    assert pd.isna(contracts["value"]) and pd.isna(contracts["numerator"])
    turnout = row(values, INN, "ind-oppmoteandel")
    assert turnout["kind"] == "range"
    assert turnout["low"] == pytest.approx(0.10) and turnout["high"] == pytest.approx(0.20)


def test_not_reported_and_not_defined(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg)
    # Applicable model, but no rows for the trial.
    assert row(values, INN, "ind-intervju")["kind"] == "not_reported"
    assert row(values, VT, "ind-opplaeringskontrakt")["kind"] == "not_reported"
    assert row(values, "lengre-varighet-vestland", "ind-andel-kvinner")["kind"] == "not_reported"
    # No fagbrev spells in the delivery: not delivered, not zero.
    assert row(values, OSLO, "ind-fagbrev")["kind"] == "not_reported"
    # Not applicable to the model.
    assert row(values, OSLO, "ind-anrop")["kind"] == "not_defined"
    assert row(values, MR, "ind-andel-kvinner")["kind"] == "not_defined"
    assert row(values, INN, "ind-anrop")["kind"] == "not_defined"
    undefined = values[values["kind"].isin(["not_defined", "not_reported"])]
    assert undefined["value"].isna().all()


def test_fagbrev_counted_when_delivered(defs, reg, tmp_path) -> None:
    data = make_datasets(
        tmp_path,
        participants=[person("P1"), person("P2"), person("P3"), person("P4")],
        spells=[spell("F1", "P2", "fagbrev", "helsearbeider", "2027-06-15")],
    )
    r = row(compute_indicators(defs, data, reg, unit="nav-oslo"), OSLO, "ind-fagbrev")
    assert (r["kind"], r["numerator"], r["denominator"]) == ("exact", 1, 4)


def test_targets_attached(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg)
    contracts = row(values, INN, "ind-opplaeringskontrakt")
    assert (contracts["target_kind"], contracts["target_value"]) == ("exact", 10)
    assert contracts["target_text"].endswith("per arrangement")
    calls = row(values, MR, "ind-anrop")
    assert (calls["target_kind"], calls["target_value"]) == ("approximate", 90)
    assert calls["target_text"].startswith("ca. ")
    fagbrev = row(values, OSLO, "ind-fagbrev")
    assert fagbrev["target_kind"] == "not_reported"
    assert "Samarbeidsmodell Oslo" in fagbrev["target_text"]
    no_target = row(values, OSLO, "ind-andel-kvinner")
    assert pd.isna(no_target["target_kind"]) and pd.isna(no_target["target_text"])


# --------------------------------------------------------------------------- demo data


def _demo_csv(name: str) -> list[dict[str, str]]:
    with (DEMO / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo_values(defs, reg) -> pd.DataFrame:
    frames = {name: read_table(DEMO / f"{name}.csv", name) for name in FILES}
    return compute_indicators(defs, Datasets(directory=DEMO, **frames), reg)


@pytest.mark.parametrize(
    ("trial", "printed"),
    [(OSLO, 92), ("lengre-varighet-vestland", 79), ("lengre-varighet-ost-viken", 73)],
)
def test_demo_share_of_women(demo_values, trial: str, printed: int) -> None:
    people = [p for p in _demo_csv("participants") if p["trial_id"] == trial]
    women = sum(p["gender"] == "K" for p in people)
    r = row(demo_values, trial, "ind-andel-kvinner")
    assert (r["numerator"], r["denominator"]) == (women, len(people))
    assert r["value"] == pytest.approx(women / len(people))
    assert int(r["value"] * 100 + 0.5) == printed  # README: 92/79/73 %
    assert r["ci_low"] == pytest.approx(wilson(women, len(people))[0])


def test_demo_totals_match_the_readme(demo_values) -> None:
    admitted = demo_values[demo_values["indicator_id"] == "ind-deltakere-inntatt"]
    assert admitted["numerator"].sum() == 66
    # every exit date counts (the README: four by December 2023, the rest during follow-up)
    dropout = demo_values[demo_values["indicator_id"] == "ind-frafall"]
    exits = pd.read_csv(DEMO / "participants.csv")["exit_date"].dropna()
    assert (exits <= "2023-12-31").sum() == 4
    assert dropout["numerator"].sum() == len(exits) > 4
    calls = row(demo_values, MR, "ind-anrop-maloppnaelse")
    assert (calls["kind"], calls["value"]) == ("approximate", 0.5)
    cases = row(demo_values, "vt-ost-viken", "ind-saker")
    assert (cases["kind"], cases["value"]) == ("approximate", 170)
    turnout = row(demo_values, INN, "ind-oppmoteandel")
    assert turnout["value"] == pytest.approx((50 + 16) / (850 + 533))
    assert row(demo_values, VT, "ind-opplaeringskontrakt")["kind"] == "not_reported"


# --------------------------------------------------------------------------- broken definitions


@pytest.fixture()
def yaml_copy(tmp_path: Path) -> Path:
    path = tmp_path / "indicators.yaml"
    src = resources.files("coopstats") / "definitions" / "indicators.yaml"
    path.write_text(src.read_text("utf-8"), encoding="utf-8")
    return path


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _index(data: dict, ind: str) -> int:
    return next(i for i, d in enumerate(data["indicators"]) if d["id"] == ind)


def _set(ind: str, key: str, value):
    def change(data: dict) -> None:
        data["indicators"][_index(data, ind)][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (_set("ind-anrop", "chain_level", "effekter"), ["ind-anrop", ".chain_level", "expected"]),
        (
            _set("ind-anrop", "numerator", {"dataset": "activity_log", "activity": []}),
            ["(ind-anrop).numerator.activity", "at least 1"],
        ),
        (
            _set("ind-anrop", "numerator", {"dataset": "regnskap"}),
            ["(ind-anrop).numerator", "participants", "activity_log"],
        ),
        (
            _set(
                "ind-andel-kvinner",
                "numerator",
                {"dataset": "participants", "filter": {"kjønn": "K"}},
            ),
            ["(ind-andel-kvinner).numerator.filter", "kjønn"],
        ),
        (_set("ind-oppmoteandel", "denominator", None), ["(ind-oppmoteandel)", "denominator"]),
        (_set("ind-anrop", "unit", "personer"), ["(ind-anrop)", "unit", "antall"]),
        (_set("ind-anrop", "models", ["telefonkiosk"]), ["(ind-anrop).models", "telefonkiosk"]),
        (_set("ind-anrop", "colour", "red"), ["(ind-anrop).colour", "unexpected key"]),
        (
            _set("ind-anrop", "labl_nb", "Anrop"),
            ["(ind-anrop).labl_nb", "unexpected key", "mente du «label_nb»"],
        ),
        (
            _set("ind-andel-kvinner", "numerator", {"dataset": "participants", "filtr": {}}),
            ["(ind-andel-kvinner).numerator.filtr", "mente du «filter»"],
        ),
        (_set("ind-anrop", "id", "anrop"), ["indicators[", ".id", "'anrop'"]),
        (
            _set("ind-henvendelser", "id", "ind-telefoner"),
            ["indicators: mangler definisjon", "ind-henvendelser i models.yaml"],
        ),
        (
            lambda d: d["indicators"].pop(_index(d, "ind-anrop")),
            ["(ind-anrop-maloppnaelse).denominator.fallback_target", "(fikk 'ind-anrop')"],
        ),
        (
            _set(
                "ind-anrop-maloppnaelse",
                "denominator",
                {"dataset": "activity_log", "activity": ["anrop"], "fallback_target": "ind-anrp"},
            ),
            ["(ind-anrop-maloppnaelse).denominator.fallback_target", "mente du «ind-anrop»"],
        ),
        (
            lambda d: d["indicators"].append(dict(d["indicators"][0])),
            [".id", "duplicate"],
        ),
    ],
)
def test_broken_definitions_are_rejected(yaml_copy: Path, change, fragments) -> None:
    _edit(yaml_copy, change)
    with pytest.raises(IndicatorError) as info:
        load_indicators(yaml_copy)
    message = str(info.value)
    assert message.startswith(str(yaml_copy))
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_invalid_yaml_syntax_names_file_and_line(yaml_copy: Path) -> None:
    yaml_copy.write_text("indicators:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(IndicatorError, match=r"indicators\.yaml: invalid YAML at line \d+"):
        load_indicators(yaml_copy)


def test_packaged_file_loads_from_explicit_path(yaml_copy: Path) -> None:
    assert set(load_indicators(yaml_copy)) == indicator_ids()


# --------------------------------------------------------------------------- display frame


def _plan(data, config):
    from coopstats import publication

    return publication.plan_for(data, config)


def test_person_values_are_hidden_without_a_plan(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo")
    frame = indicator_table_frame(values, DisclosureConfig(min_count=1))
    by_id = frame.set_axis(values["indicator_id"].tolist())
    assert by_id.loc["ind-deltakere-inntatt", "Verdi"] == ":"


def test_table_frame_hides_small_person_counts(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo")
    frame = indicator_table_frame(values, DisclosureConfig(), _plan(tiny, DisclosureConfig()))
    assert list(frame.columns) == list(TABLE_COLUMNS)
    assert all(isinstance(cell, str) for cell in frame.to_numpy().ravel())
    by_id = frame.set_axis(values["indicator_id"].tolist())
    assert by_id.loc["ind-deltakere-inntatt", "Verdi"] == ":"
    assert by_id.loc["ind-frafall", "Verdi"] == ":"
    # A share of 2 of 3 persons is hidden, and so is its interval.
    assert by_id.loc["ind-andel-kvinner", ["Verdi", "95 % KI"]].tolist() == [":", ":"]
    assert by_id.loc["ind-anrop", "Verdi"] == "."
    assert by_id.loc["ind-fagbrev", "Verdi"] == ".."
    assert by_id.loc["ind-andel-kvinner", "Resultatkjede-nivå"] == "Problemforståelse"
    assert by_id.loc["ind-andel-kvinner", "Kilde"] == "Registerdata"
    assert "Samarbeidsmodell Oslo" in by_id.loc["ind-fagbrev", "Mål"]

    for config in (DisclosureConfig(min_count=1), DisclosureConfig(reproduce_published=True)):
        plan = _plan(tiny, config)
        shown = indicator_table_frame(values, config, plan).set_axis(
            values["indicator_id"].tolist()
        )
        assert shown.loc["ind-deltakere-inntatt", "Verdi"] == "3"
        assert shown.loc["ind-frafall", "Verdi"] == "1"
        assert shown.loc["ind-andel-kvinner", "Verdi"].startswith("67")
        assert shown.loc["ind-andel-kvinner", "95 % KI"].endswith("%")


def test_table_frame_shows_aggregates_as_reported(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg)
    values = values[values["trial_id"].isin([MR, INN])].reset_index(drop=True)
    frame = indicator_table_frame(values, DisclosureConfig())
    by_id = frame.set_axis((values["trial_id"] + "/" + values["indicator_id"]).tolist())
    assert by_id.loc[f"{MR}/ind-anrop", "Verdi"] == "ca. 45"
    assert by_id.loc[f"{MR}/ind-anrop", "Mål"].startswith("ca. 90")
    assert by_id.loc[f"{MR}/ind-anrop-maloppnaelse", "Verdi"].startswith("ca. 50")
    assert by_id.loc[f"{MR}/ind-henvendelser", "Verdi"] == "600"
    # Aggregate counts below min_count are shown: they are not person data.
    assert by_id.loc[f"{INN}/ind-match", "Verdi"] == "3"
    assert by_id.loc[f"{INN}/ind-opplaeringskontrakt", "Verdi"] == "6–62"
    assert by_id.loc[f"{INN}/ind-oppmoteandel", "Verdi"].startswith("10–20")
    assert by_id.loc[f"{INN}/ind-intervju", "Verdi"] == ".."
    assert by_id.loc[f"{MR}/ind-anrop", "Kilde"] == "Fylkets rapportering"


def test_table_frame_hides_the_complement_of_a_hidden_part(defs, reg, tmp_path) -> None:
    people = [person(f"P{i}") for i in range(1, 7)]
    people[0] = person("P1", exit_date="2023-12-01")
    data = make_datasets(tmp_path, participants=people)
    values = compute_indicators(defs, data, reg, unit="nav-oslo")
    frame = indicator_table_frame(values, DisclosureConfig(), _plan(data, DisclosureConfig()))
    by_id = frame.set_axis(values["indicator_id"].tolist())
    assert by_id.loc["ind-deltakere-inntatt", "Verdi"] == "6"
    assert by_id.loc["ind-frafall", "Verdi"] == ":"
    # 5 is not small by itself, but 6 − 5 would reveal the hidden 1.
    assert row(values, OSLO, "ind-deltakere-aktive")["value"] == 5
    assert by_id.loc["ind-deltakere-aktive", "Verdi"] == ":"


# --------------------------------------------------------------------------- boundaries and totals

NBSP = "\xa0"
STATUS = ("ind-deltakere-inntatt", "ind-deltakere-aktive", "ind-frafall")


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (date(2023, 8, 20), [0, 0, 0]),  # the day before intake: nobody admitted yet
        (date(2023, 8, 21), [3, 3, 0]),  # intake on the period's last day: admitted
        (date(2023, 11, 14), [3, 3, 0]),  # the day before P2's exit
        (date(2023, 11, 15), [3, 2, 1]),  # exit on the period's last day: exited, not active
    ],
)
def test_status_on_the_last_day_of_the_period(defs, tiny, reg, end, expected) -> None:
    period = (date(2023, 1, 1), end)
    values = compute_indicators(defs, tiny, reg, unit="nav-oslo", period=period)
    assert [row(values, OSLO, ind)["value"] for ind in STATUS] == expected


def test_activity_rows_on_both_ends_of_the_period_are_summed(defs, reg, tmp_path) -> None:
    """Rows inside the period, both ends included, are summed; a row reaching one day outside
    is not. Each row counts a different power of two, so the sum tells which rows were used."""
    rows = {
        "same-period": ("2024-01-01", "2024-06-30", 1),
        "ends-on-the-last-day": ("2024-04-01", "2024-06-30", 2),
        "one-day-on-the-last-day": ("2024-06-30", "2024-06-30", 4),
        "one-day-on-the-first-day": ("2024-01-01", "2024-01-01", 8),
        "open-start-ends-on-the-last-day": ("", "2024-06-30", 16),
        "starts-the-day-before": ("2023-12-31", "2024-03-31", 32),
        "ends-the-day-after": ("2024-04-01", "2024-07-01", 64),
        "one-day-after": ("2024-07-01", "2024-07-01", 128),
        "one-day-before": ("2023-12-31", "2023-12-31", 256),
    }
    log = [
        activity(name, INN, "invitasjon", "exact", count=str(n), start=s, end=e)
        for name, (s, e, n) in rows.items()
    ]
    data = make_datasets(tmp_path, activity_log=log)
    period = (date(2024, 1, 1), date(2024, 6, 30))
    values = compute_indicators(defs, data, reg, model="moteplassen", period=period)
    invited = row(values, INN, "ind-invitert")
    assert (invited["kind"], invited["value"]) == ("exact", 1 + 2 + 4 + 8 + 16)
    every = row(compute_indicators(defs, data, reg, model="moteplassen"), INN, "ind-invitert")
    assert every["value"] == 511


def test_a_spell_on_either_end_of_the_period_counts(defs, reg, tmp_path) -> None:
    """A spell measure without a window of its own uses the period, both days included."""
    helse = "helsearbeider"
    data = make_datasets(
        tmp_path,
        participants=[person(f"P{i}") for i in range(1, 7)],
        spells=[
            spell("F1", "P1", "fagbrev", helse, "2027-06-30"),  # starts on the last day
            spell("F2", "P2", "fagbrev", helse, "2027-07-01"),  # starts the day after
            spell("F3", "P3", "fagbrev", helse, "2026-12-01", "2027-01-01"),  # ends on day one
            spell("F4", "P4", "fagbrev", helse, "2026-12-01", "2026-12-31"),  # ends the day before
            spell("F5", "P5", "fagbrev", helse, "2027-01-01", "2027-01-01"),  # one day, day one
        ],
    )
    period = (date(2027, 1, 1), date(2027, 6, 30))
    values = compute_indicators(defs, data, reg, unit="nav-oslo", period=period)
    r = row(values, OSLO, "ind-fagbrev")
    assert (r["kind"], r["numerator"], r["denominator"]) == ("exact", 3, 6)  # P1, P3, P5


def test_a_one_day_spell_window_is_valid_and_a_reversed_one_is_not() -> None:
    day = date(2023, 10, 1)
    assert SpellSpec(dataset="spells", kind="ytelse", window=(day, day)).window == (day, day)
    with pytest.raises(ValidationError, match="from on or before to"):
        SpellSpec(dataset="spells", kind="ytelse", window=(day, day - timedelta(days=1)))


def test_a_total_with_unreported_rows_is_not_shown_as_exact(defs, reg, tmp_path) -> None:
    """A sum over rows of which some were not reported is a partial total: approximate (``ca.``),
    never an exact figure; with every row reported the total is exact; with none, ``..``."""
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("i1", INN, "invitasjon", "exact", count="100"),  # reported
            activity("i2", INN, "invitasjon", "not_reported"),  # not reported: partial total
            activity("m1", INN, "match", "exact", count="3"),  # every row reported
            activity("m2", INN, "match", "exact", count="4"),
            activity("o1", INN, "oppmote", "exact", count="30"),  # over the partial invitations
            activity("v1", INN, "intervju", "not_reported"),  # nothing reported
        ],
    )
    values = compute_indicators(defs, data, reg, model="moteplassen")
    values = values[values["trial_id"] == INN].reset_index(drop=True)
    got = {
        ind: (row(values, INN, ind)["kind"], row(values, INN, ind)["value"])
        for ind in ("ind-invitert", "ind-match", "ind-oppmoteandel")
    }
    assert got == {
        "ind-invitert": ("approximate", 100),
        "ind-match": ("exact", 7),
        "ind-oppmoteandel": ("approximate", 0.3),
    }
    assert row(values, INN, "ind-intervju")["kind"] == "not_reported"
    shown = indicator_table_frame(values, DisclosureConfig()).set_axis(values["indicator_id"])
    assert shown.loc["ind-invitert", "Verdi"] == "ca. 100"
    assert shown.loc["ind-match", "Verdi"] == "7"
    assert shown.loc["ind-oppmoteandel", "Verdi"] == f"ca. 30{NBSP}%"
    assert shown.loc["ind-intervju", "Verdi"] == ".."


@pytest.mark.parametrize(
    ("turnout", "invited", "low", "high", "shown"),
    [
        # range / range: the lowest share is low / high, the highest high / low
        (("range", "", "10", "20"), ("range", "", "100", "400"), 10 / 400, 20 / 100, "3–20"),
        (("range", "", "10", "20"), ("exact", "50", "", ""), 10 / 50, 20 / 50, "20–40"),
        (("exact", "30", "", ""), ("range", "", "100", "400"), 30 / 400, 30 / 100, "8–30"),
        (("approximate", "30", "", ""), ("range", "", "100", "400"), 30 / 400, 30 / 100, "8–30"),
    ],
    ids=["range-over-range", "range-over-exact", "exact-over-range", "approximate-over-range"],
)
def test_a_share_of_ranges_spans_the_widest_bounds(
    defs, reg, tmp_path, turnout, invited, low, high, shown
) -> None:
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("o1", INN, "oppmote", turnout[0], *turnout[1:]),
            activity("i1", INN, "invitasjon", invited[0], *invited[1:]),
        ],
    )
    values = compute_indicators(defs, data, reg, model="moteplassen")
    values = values[values["trial_id"] == INN].reset_index(drop=True)
    share = row(values, INN, "ind-oppmoteandel")
    assert share["kind"] == "range" and pd.isna(share["value"])
    assert share["low"] == pytest.approx(low) and share["high"] == pytest.approx(high)
    frame = indicator_table_frame(values, DisclosureConfig()).set_axis(values["indicator_id"])
    assert frame.loc["ind-oppmoteandel", "Verdi"] == f"{shown}{NBSP}%"
    assert frame.loc["ind-oppmoteandel", "95 % KI"] == ""


def test_a_denominator_that_may_be_zero_gives_no_share(defs, reg, tmp_path) -> None:
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("o1", INN, "oppmote", "exact", count="30"),
            activity("i1", INN, "invitasjon", "range", low="0", high="400"),
        ],
    )
    share = row(compute_indicators(defs, data, reg, model="moteplassen"), INN, "ind-oppmoteandel")
    assert share["kind"] == "not_reported"


# --------------------------------------------------------------------------- specs, targets, cells


def _custom(defs, base: str, new_id: str, **changes) -> dict[str, IndicatorDef]:
    """A validated copy of the definition ``base`` under ``new_id`` with ``changes``."""
    data = defs[base].model_dump()
    data.update(id=new_id, **changes)
    return {new_id: IndicatorDef.model_validate(data)}


def _with_targets(reg: Registry, trial_id: str, *changes: dict) -> Registry:
    """``reg`` with the trial's targets replaced by copies of its first target with ``changes``."""
    trial = reg.trials[trial_id]
    first = trial.targets[0]
    targets = tuple(first.model_copy(update=change) for change in changes)
    trials = {**reg.trials, trial_id: trial.model_copy(update={"targets": targets})}
    return Registry(dict(reg.units), dict(reg.models), trials, reg.county_map)


def test_participant_filters_on_lists_flags_and_missing_values(defs, reg, tmp_path) -> None:
    """A filter keeps the status condition, matches list and yes/no values, and never matches a
    missing value."""
    flag = "short_residence_judged"
    data = make_datasets(
        tmp_path,
        participants=[
            {**person("P1", "K"), flag: "true"},
            {**person("P2", "M"), flag: "false"},
            {**person("P3", ""), flag: ""},  # gender and flag missing
            {**person("P4", "K", exit_date="2023-11-15"), flag: "true"},
        ],
    )
    base = "ind-deltakere-inntatt"
    custom = {
        **_custom(
            defs,
            base,
            "ind-aktive-kvinner",
            numerator={"dataset": "participants", "status": "active", "filter": {"gender": "K"}},
        ),
        **_custom(
            defs,
            base,
            "ind-kvinner-eller-menn",
            numerator={"dataset": "participants", "filter": {"gender": ["K", "M"]}},
        ),
        **_custom(
            defs,
            base,
            "ind-kort-botid",
            numerator={"dataset": "participants", "filter": {flag: True}},
        ),
    }
    values = compute_indicators(custom, data, reg, unit="nav-oslo")
    got = {ind: row(values, OSLO, ind)["value"] for ind in custom}
    assert got == {"ind-aktive-kvinner": 1, "ind-kvinner-eller-menn": 3, "ind-kort-botid": 2}


def test_a_period_ending_before_intake_has_nobody_to_count(defs, tiny, reg) -> None:
    """Persons admitted after the period end are in no population: a share has no denominator,
    a count of persons with a spell is 0 even when their spells overlap the period."""
    before = (date(2023, 1, 1), date(2023, 8, 20))
    working = _custom(
        defs,
        "ind-deltakere-inntatt",
        "ind-i-arbeid",
        numerator={"dataset": "spells", "kind": "arbeid"},
    )
    values = compute_indicators({**defs, **working}, tiny, reg, unit="nav-oslo", period=before)
    share = row(values, OSLO, "ind-andel-kvinner")
    assert (share["kind"], share["denominator"]) == ("not_reported", 0)
    assert pd.isna(share["value"]) and pd.isna(share["numerator"])
    assert row(values, OSLO, "ind-i-arbeid")["value"] == 0  # P3's open spell overlaps
    after = (date(2023, 1, 1), date(2023, 12, 31))
    values = compute_indicators(working, tiny, reg, unit="nav-oslo", period=after)
    assert row(values, OSLO, "ind-i-arbeid")["value"] == 2  # P2 and P3; P1's ended in 2018


def test_unusable_activity_rows_are_skipped_and_make_the_total_partial(defs, reg, tmp_path) -> None:
    """A range row takes a missing bound from its count; a row with no usable figure (range
    without bounds or count, not reported, no qualifier) is skipped, wherever it comes, and
    makes the total approximate rather than exact."""
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("i1", INN, "invitasjon", "range", high="5"),  # no low, no count
            activity("i2", INN, "invitasjon", "range", count="9", high="12"),  # low = 9
            activity("i3", INN, "invitasjon", "range", count="3", low="1"),  # high = 3
            activity("i4", INN, "invitasjon", "exact", count="100"),
            activity("m1", INN, "match", "not_reported", count="7"),  # a count, not reported
            activity("m2", INN, "match", "", count="5"),  # no qualifier
            activity("m3", INN, "match", "range"),  # nothing at all
            activity("m4", INN, "match", "exact", count="3"),
            activity("o1", INN, "oppmote", "range"),  # the only unusable row
            activity("o2", INN, "oppmote", "exact", count="30"),
        ],
    )
    values = compute_indicators(defs, data, reg, model="moteplassen")
    invited = row(values, INN, "ind-invitert")
    assert (invited["kind"], invited["low"], invited["high"]) == ("range", 110, 115)
    got = {
        ind: tuple(row(values, INN, ind)[["kind", "value"]]) for ind in ("ind-match", "ind-oppmote")
    }
    assert got == {"ind-match": ("approximate", 3), "ind-oppmote": ("approximate", 30)}


def test_an_activity_spec_with_channels_sums_only_those_channels(defs, reg, tmp_path) -> None:
    phone = _custom(
        defs,
        "ind-anrop",
        "ind-anrop-telefon",
        numerator={"dataset": "activity_log", "activity": ["anrop"], "channel": ["telefon"]},
    )
    data = make_datasets(
        tmp_path,
        activity_log=[
            {**activity("a1", MR, "anrop", "exact", count="20"), "channel": "telefon"},
            {**activity("a2", MR, "anrop", "exact", count="5"), "channel": "chat"},
            {**activity("a3", MR, "anrop", "exact", count="1")},
            {**activity("a4", MR, "anrop", "exact", count="300"), "channel": "telefon"},
        ],
    )
    r = row(compute_indicators(phone, data, reg), MR, "ind-anrop-telefon")
    assert (r["kind"], r["value"], r["numerator"]) == ("exact", 320, 320)


def test_ratios_of_activity_counts(defs, reg, tmp_path) -> None:
    """Both sums use the period; a denominator of 1 is fine; a missing one gives no ratio."""
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("o1", INN, "oppmote", "exact", count="10"),
            activity("i1", INN, "invitasjon", "exact", count="40"),
            activity(
                "i2", INN, "invitasjon", "exact", count="60", start="2025-01-01", end="2025-12-31"
            ),
            activity("o3", VT, "oppmote", "exact", count="1", start="2026-01-01", end="2026-01-31"),
            activity(
                "i3", VT, "invitasjon", "exact", count="1", start="2026-01-01", end="2026-01-31"
            ),
            activity("o4", VT, "oppmote", "exact", count="30"),
        ],
    )
    period = (date(2024, 1, 1), date(2024, 12, 31))
    custom = _custom(defs, "ind-oppmoteandel", "ind-oppmoteandel-alle", models=[])
    values = compute_indicators({**defs, **custom}, data, reg, period=period)
    share = row(values, INN, "ind-oppmoteandel")
    assert (share["kind"], share["value"]) == ("exact", 0.25)
    assert (share["numerator"], share["denominator"]) == (10, 40)
    # VT in 2024: attendance but no invitations at all
    assert row(values, VT, "ind-oppmoteandel-alle")["kind"] == "not_reported"
    january = (date(2026, 1, 1), date(2026, 1, 31))
    values = compute_indicators(custom, data, reg, period=january)
    assert tuple(row(values, VT, "ind-oppmoteandel-alle")[["kind", "value"]]) == ("exact", 1.0)


def test_targets_of_every_kind_are_shown_and_used_as_fallback(defs, reg, tmp_path) -> None:
    """Range targets give low/high, a range text and a ranged ratio when used as the fallback
    denominator; shares are written in percent; ``per`` is added only when given."""
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("a1", MR, "anrop", "exact", count="30"),
            activity("o1", INN, "oppmote", "exact", count="10"),
            activity("i1", INN, "invitasjon", "exact", count="40"),
        ],
    )
    calls = {"indicator": "ind-anrop", "qualifier": "range", "value": None, "per": None}
    targets = _with_targets(reg, MR, {**calls, "low": 60.0, "high": 1200.0})
    share = {"indicator": "ind-oppmoteandel", "low": None, "high": None, "per": None}
    exact = _with_targets(targets, INN, {**share, "qualifier": "exact", "value": 0.25})
    values = compute_indicators(defs, data, exact)
    r = row(values, MR, "ind-anrop")
    assert (r["target_kind"], r["target_low"], r["target_high"]) == ("range", 60, 1200)
    assert pd.isna(r["target_value"])
    assert r["target_text"] == f"60–1{NBSP}200"
    fallback = row(values, MR, "ind-anrop-maloppnaelse")
    assert fallback["kind"] == "range" and pd.isna(fallback["denominator"])
    assert (fallback["low"], fallback["high"]) == (pytest.approx(30 / 1200), pytest.approx(0.5))
    assert row(values, INN, "ind-oppmoteandel")["target_text"] == f"25{NBSP}%"
    ranged = _with_targets(
        targets, INN, {**share, "qualifier": "range", "value": None, "low": 0.2, "high": 0.4}
    )
    r = row(compute_indicators(defs, data, ranged), INN, "ind-oppmoteandel")
    assert (r["target_kind"], r["target_text"]) == ("range", f"20–40{NBSP}%")
    assert (r["target_low"], r["target_high"]) == (pytest.approx(0.2), pytest.approx(0.4))


def test_value_columns_have_nullable_types_and_the_trials_model(defs, tiny, reg) -> None:
    values = compute_indicators(defs, tiny, reg)
    for column in ("value", "low", "high", "ci_low", "ci_high", "target_value", "target_low"):
        assert str(values[column].dtype) == "Float64", column
    assert str(values["target_high"].dtype) == "Float64"
    assert str(values["numerator"].dtype) == str(values["denominator"].dtype) == "Int64"
    assert values["person_data"].dtype == bool
    assert row(values, OSLO, "ind-fagbrev")["model_id"] == reg.trials[OSLO].model
    assert row(values, INN, "ind-match")["model_id"] == reg.trials[INN].model


def test_table_frame_cells_for_zero_and_missing_values(defs, reg, tmp_path) -> None:
    """An exact zero count is nil (``-``), an approximate one ``ca. 0``, a zero share ``0 %``;
    aggregates and missing values have no interval; no target gives an empty Mål."""
    data = make_datasets(
        tmp_path,
        activity_log=[
            activity("o1", INN, "oppmote", "exact", count="0"),
            activity("i1", INN, "invitasjon", "exact", count="50"),
            activity("m1", INN, "match", "approximate", count="0"),
            activity("k1", INN, "opplaeringskontrakt", "range", low="4", high="6"),
        ],
    )
    values = compute_indicators(defs, data, reg, model="moteplassen")
    values = values[values["trial_id"] == INN].iloc[::-1]  # the frame keeps this index
    frame = indicator_table_frame(values, DisclosureConfig())
    assert frame.index.equals(values.index)
    assert all(dtype == "object" for dtype in frame.dtypes)
    assert frame.attrs["sdc_items"] == []
    by_id = frame.set_axis(values["indicator_id"].tolist())
    assert by_id.loc["ind-oppmote", "Verdi"] == "-"
    assert by_id.loc["ind-match", "Verdi"] == "ca. 0"
    assert by_id.loc["ind-oppmoteandel", "Verdi"] == f"0{NBSP}%"
    assert by_id.loc["ind-opplaeringskontrakt", "Verdi"] == "4–6"
    assert by_id.loc["ind-intervju", "Verdi"] == ".."
    assert by_id.loc["ind-anrop", "Verdi"] == "."
    assert set(by_id["95 % KI"]) == {""}
    assert by_id.loc["ind-match", "Mål"] == ""
    empty = indicator_table_frame(values.iloc[:0], DisclosureConfig())
    assert list(empty.columns) == list(TABLE_COLUMNS) and empty.empty


def test_table_frame_from_the_plan(defs, tiny, reg) -> None:
    """With a plan, a share shows its Wilson interval, a count none, and a person-level
    indicator not defined for the model is ``.``."""
    values = compute_indicators(defs, tiny, reg)
    values = values[values["trial_id"].isin([OSLO, MR])].reset_index(drop=True)
    config = DisclosureConfig(min_count=1)
    frame = indicator_table_frame(values, config, _plan(tiny, config))
    by_id = frame.set_axis((values["trial_id"] + "/" + values["indicator_id"]).tolist())
    low, high = wilson(2, 3)  # 20.8 % and 93.9 %
    assert by_id.loc[f"{OSLO}/ind-andel-kvinner", "95 % KI"] == f"21–94{NBSP}%"
    assert 0.2 < low < 0.21 and 0.935 < high < 0.94
    assert by_id.loc[f"{OSLO}/ind-deltakere-inntatt", ["Verdi", "95 % KI"]].tolist() == ["3", ""]
    assert by_id.loc[f"{MR}/ind-andel-kvinner", ["Verdi", "95 % KI"]].tolist() == [".", ""]
    assert frame.attrs["sdc_items"]


def _with_manifest(data: Datasets, *rows: tuple[str, str, str, str, str]) -> Datasets:
    """``data`` with a coverage manifest of (kind, code, unit, from, to) rows."""
    path = data.directory / "coverage.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS["coverage"]))
        writer.writeheader()
        for kind, code, unit, start, end in rows:
            writer.writerow(
                {
                    "kind": kind,
                    "code": code,
                    "unit_id": unit,
                    "covered_from": start,
                    "covered_to": end,
                    "source": "arena",
                }
            )
    return dataclasses.replace(data, coverage=read_table(path, "coverage"))


BENEFITS = ("tiltakspenger", "dagpenger", "aap", "introduksjonsstonad")


@pytest.mark.parametrize(
    ("aap_from", "unit", "expected"),
    [
        ("2023-01-01", "nav-oslo", ("exact", 1)),
        # the month before intake (2023-07-21..2023-08-20) is covered only in part for aap
        ("2023-07-22", "nav-oslo", ("not_reported", None)),
        ("2023-01-01", "nav-bergen", ("not_reported", None)),  # another unit's coverage
    ],
    ids=["covered", "aap-from-the-day-after", "other-unit"],
)
def test_a_spell_share_needs_every_code_covered_over_the_persons_windows(
    defs, tiny, reg, aap_from, unit, expected
) -> None:
    rows = [("ytelse", c, "nav-oslo", "2023-01-01", "2023-12-31") for c in BENEFITS if c != "aap"]
    data = _with_manifest(tiny, *rows, ("ytelse", "aap", unit, aap_from, "2023-12-31"))
    r = row(compute_indicators(defs, data, reg, unit="nav-oslo"), OSLO, "ind-andel-ytelse-okt-2023")
    numerator = None if pd.isna(r["numerator"]) else r["numerator"]
    assert (r["kind"], numerator) == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ((date(2027, 1, 1), date(2027, 6, 30)), ("exact", 1)),
        ((date(2027, 1, 1), date(2027, 7, 1)), ("not_reported", None)),  # one day uncovered
        ((date(2026, 12, 31), date(2027, 6, 30)), ("not_reported", None)),
    ],
)
def test_a_spell_share_without_a_window_needs_the_period_covered(
    defs, reg, tmp_path, period, expected
) -> None:
    data = make_datasets(
        tmp_path,
        participants=[person("P1"), person("P2")],
        spells=[spell("F1", "P2", "fagbrev", "helsearbeider", "2027-06-15")],
    )
    data = _with_manifest(data, ("fagbrev", "", "nav-oslo", "2027-01-01", "2027-06-30"))
    values = compute_indicators(defs, data, reg, unit="nav-oslo", period=period)
    r = row(values, OSLO, "ind-fagbrev")
    numerator = None if pd.isna(r["numerator"]) else r["numerator"]
    assert (r["kind"], numerator) == expected


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d.update(indicators=[]), ["indicators:", "at least 1"]),
        (lambda d: d.update(colour="red"), ["colour", "unexpected key"]),
        (lambda d: d["indicators"].append("ind-x"), ["indicators[", "dictionary"]),
        (
            _set(
                "ind-anrop-maloppnaelse",
                "denominator",
                {"dataset": "activity_log", "activity": []},
            ),
            ["(ind-anrop-maloppnaelse).denominator.activity:", "at least 1"],
        ),
        (_set("ind-anrop", "models", ["veiledningstelefon"]), ["mente du «veiledningstelefonen»"]),
        (
            lambda d: [
                d["indicators"].pop(_index(d, ind)) for ind in ("ind-invitert", "ind-match")
            ],
            [
                "ind-invitert i models.yaml (moteplassen, ",
                "); ind-match i models.yaml",
            ],
        ),
    ],
    ids=[
        "no-indicators",
        "unknown-top-key",
        "entry-not-a-mapping",
        "denominator-key",
        "model-typo",
        "two-missing",
    ],
)
def test_more_broken_definitions_are_rejected(yaml_copy: Path, change, fragments) -> None:
    _edit(yaml_copy, change)
    with pytest.raises(IndicatorError) as info:
        load_indicators(yaml_copy)
    message = str(info.value)
    assert message.startswith(str(yaml_copy))
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_the_models_message_lists_the_known_models(yaml_copy: Path, reg) -> None:
    _edit(yaml_copy, _set("ind-anrop", "models", ["telefonkiosk"]))
    with pytest.raises(IndicatorError) as info:
        load_indicators(yaml_copy)
    assert f"expected known model ids ({', '.join(sorted(reg.models))})" in str(info.value)


def test_given_model_ids_replace_the_registry(yaml_copy: Path, reg) -> None:
    """With ``model_ids`` the definitions are checked against those ids only, not the registry."""
    for path in (None, yaml_copy):
        with pytest.raises(IndicatorError, match=r"expected known model ids \(moteplassen\)"):
            load_indicators(path, model_ids={"moteplassen"})
    _edit(yaml_copy, _set("ind-henvendelser", "id", "ind-telefoner"))  # named by the registry
    assert "ind-telefoner" in load_indicators(yaml_copy, model_ids=set(reg.models))


def test_a_filter_key_named_like_a_dataset_is_kept_in_the_error_path(yaml_copy: Path) -> None:
    bad = {"dataset": "participants", "filter": {"spells": {"a": 1}}}
    _edit(yaml_copy, _set("ind-andel-kvinner", "numerator", bad))
    with pytest.raises(IndicatorError, match=r"\(ind-andel-kvinner\)\.numerator\.filter\.spells"):
        load_indicators(yaml_copy)


def test_an_undefined_indicator_named_by_a_target_says_which_trial(
    yaml_copy: Path, reg, monkeypatch
) -> None:
    target = {"indicator": "ind-ukjent"}
    monkeypatch.setattr(
        "coopstats.indicators.load_registry", lambda: _with_targets(reg, MR, target)
    )
    with pytest.raises(IndicatorError) as info:
        load_indicators(yaml_copy)
    assert f"ind-ukjent i trials.yaml ({MR}, targets)" in str(info.value)


def test_the_id_is_added_once_to_the_error_path(yaml_copy: Path) -> None:
    """Only the entry's own position is named by its id, not a key that happens to look alike."""

    def change(data: dict) -> None:
        i = _index(data, "ind-anrop")
        data["indicators"][i][f"indicators[{i}]"] = 1

    _edit(yaml_copy, change)
    with pytest.raises(IndicatorError) as info:
        load_indicators(yaml_copy)
    message = str(info.value)
    assert message.count("(ind-anrop)") == 1, message
