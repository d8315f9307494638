"""Tests for coopstats.outcomes: definitions, both engines (hand-checked) and their agreement.

Every expected number below is counted by hand (the comments show the count); none is
computed with the code under test. Day counts are "day - intake" in calendar days.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopstats.outcomes import (
    ENGINES,
    NO_ANCHOR,
    NOT_FOLLOWED,
    OutcomeDataError,
    OutcomeDefs,
    OutcomeError,
    compute_outcomes,
    load_outcome_defs,
)

END = date(2024, 12, 31)
engines = pytest.mark.parametrize("engine", ENGINES)


def persons(*rows: tuple) -> pd.DataFrame:
    """``(person_id, intake, exit)`` rows; dates as ISO text, ``None`` = missing."""
    frame = pd.DataFrame(rows, columns=["person_id", "intake_date", "exit_date"])
    for column in ("intake_date", "exit_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def spells(*rows: tuple) -> pd.DataFrame:
    """``(person_id, kind, code, start, end[, full_time])`` rows; ``end=None`` = ongoing."""
    full = [(*r, None) if len(r) == 5 else r for r in rows]
    frame = pd.DataFrame(
        full, columns=["person_id", "kind", "code", "start_date", "end_date", "full_time"]
    )
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["full_time"] = frame["full_time"].astype("boolean")
    return frame


def run(people, spell_rows, engine, *, end=END, censor=None, defs=None) -> pd.DataFrame:
    out = compute_outcomes(
        people, spell_rows, defs or load_outcome_defs(), end, censor=censor, engine=engine
    )
    return out.set_index("person_id")


def event(out: pd.DataFrame, pid: str, event_id: str) -> tuple:
    days = out.loc[pid, f"event.{event_id}.days"]
    flag = out.loc[pid, f"event.{event_id}.event"]
    return (None if pd.isna(days) else int(days), None if pd.isna(flag) else bool(flag))


def competing(out: pd.DataFrame, pid: str, outcome: str = "avslutning") -> tuple:
    cause = out.loc[pid, f"competing.{outcome}.cause"]
    return int(out.loc[pid, f"competing.{outcome}.days"]), None if pd.isna(cause) else cause


# --------------------------------------------------------------------------- definitions


def test_packaged_definitions() -> None:
    defs = load_outcome_defs()
    assert defs.follow_up_months == 36
    assert defs.horizons_months == (6, 12, 24, 36)
    assert list(defs.anchors) == ["inntak", "avslutning"]
    assert [s.id for s in defs.states] == ["arbeid", "utdanning", "tiltak", "nav"]
    assert defs.other_state.id == "annet"
    assert [(e.id, e.type) for e in defs.events] == [
        ("fagbrev", "first"),
        ("arbeid", "first"),
        ("heltid", "first"),
        ("ut-av-ytelse", "leave"),
    ]
    assert defs.event("heltid").full_time is True
    assert defs.event("ut-av-ytelse").codes == (
        "tiltakspenger",
        "dagpenger",
        "aap",
        "introduksjonsstonad",
    )
    assert [(c.id, c.event, c.exit) for c in defs.competing[0].causes] == [
        ("fagbrev", "fagbrev", None),
        ("avbrudd", None, True),
    ]
    assert NOT_FOLLOWED == "ikke_fulgt_opp" and NO_ANCHOR == "ikke_avsluttet"


def test_output_columns() -> None:
    assert load_outcome_defs().columns() == [
        "person_id",
        "event.fagbrev.days",
        "event.fagbrev.event",
        "event.arbeid.days",
        "event.arbeid.event",
        "event.heltid.days",
        "event.heltid.event",
        "event.ut-av-ytelse.days",
        "event.ut-av-ytelse.event",
        "competing.avslutning.days",
        "competing.avslutning.cause",
        "state.inntak.6",
        "state.inntak.12",
        "state.inntak.24",
        "state.inntak.36",
        "state.avslutning.6",
        "state.avslutning.12",
        "state.avslutning.24",
        "state.avslutning.36",
    ]


def _packaged_text() -> str:
    return (resources.files("coopstats") / "definitions" / "outcomes.yaml").read_text("utf-8")


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "outcomes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_unknown_key_names_file_and_key_path(tmp_path: Path) -> None:
    data = yaml.safe_load(_packaged_text())
    data["events"][2]["fulltime"] = True
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError) as err:
        load_outcome_defs(path)
    message = str(err.value)
    assert str(path) in message
    assert "events[2].fulltime" in message
    assert "unexpected key" in message and "full_time" in message  # the did-you-mean hint


def test_cause_naming_both_event_and_exit(tmp_path: Path) -> None:
    data = yaml.safe_load(_packaged_text())
    data["competing"][0]["causes"][1]["event"] = "fagbrev"
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError) as err:
        load_outcome_defs(path)
    message = str(err.value)
    assert message.startswith(f"{path}: competing[0].causes[1]: ")
    assert "nøyaktig én av «event: <hendelses-id>» og «exit: true»" in message


def test_cause_naming_no_source(tmp_path: Path) -> None:
    data = yaml.safe_load(_packaged_text())
    del data["competing"][0]["causes"][1]["exit"]
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError, match=r"competing\[0\]\.causes\[1\]: forventet nøyaktig én"):
        load_outcome_defs(path)


def test_unknown_event_id(tmp_path: Path) -> None:
    data = yaml.safe_load(_packaged_text())
    data["competing"][0]["causes"][0]["event"] = "fagbrv"
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError) as err:
        load_outcome_defs(path)
    message = str(err.value)
    assert message.startswith(f"{path}: competing[0].causes[0].event: ")
    assert "fagbrev, arbeid, heltid" in message and "'fagbrv'" in message


def test_cause_must_name_a_first_event(tmp_path: Path) -> None:
    data = yaml.safe_load(_packaged_text())
    data["competing"][0]["causes"][0]["event"] = "ut-av-ytelse"  # a leave event
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError, match=r"causes\[0\]\.event: forventet id-en til en hendelse"):
        load_outcome_defs(path)


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d["events"][0].update(kind="fagbrevet"), "events[0].kind"),
        (lambda d: d["events"][1].update(id="Arbeid"), "events[1].id"),
        (lambda d: d["events"][1].update(id="fagbrev"), "events: forventet unike"),
        (lambda d: d["states"][1]["kinds"].append("arbeid"), "states[1].kinds: forventet"),
        (lambda d: d.update(horizons_months=[6, 48]), "horizons_months[1]: forventet"),
        (lambda d: d.update(horizons_months=[0, 6]), "horizons_months[0]: forventet"),
        (lambda d: d["anchors"]["inntak"].update(column="start_date"), "anchors.inntak.column"),
        (lambda d: d["other_state"].update(id="arbeid"), "states: forventet unike"),
        (lambda d: d["events"][0].update(full_time=True), "events[0]: full_time"),
        (lambda d: d.pop("other_state"), "other_state: required key is missing"),
    ],
)
def test_other_validation_errors(tmp_path: Path, edit, where: str) -> None:
    data = yaml.safe_load(_packaged_text())
    edit(data)
    path = _write(tmp_path, data)
    with pytest.raises(OutcomeError) as err:
        load_outcome_defs(path)
    assert str(err.value).startswith(f"{path}: ")
    assert where in str(err.value)


def test_definitions_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = yaml.safe_load(_packaged_text())
    data["horizons_months"] = [12]
    _write(tmp_path, data)
    monkeypatch.setenv("COOPSTATS_DEFINITIONS_DIR", str(tmp_path))
    assert load_outcome_defs().horizons_months == (12,)
    monkeypatch.delenv("COOPSTATS_DEFINITIONS_DIR")
    assert load_outcome_defs().horizons_months == (6, 12, 24, 36)


def test_packaged_file_is_valid_yaml_with_the_agreed_content() -> None:
    data = yaml.safe_load(_packaged_text())
    assert set(data) == {
        "follow_up_months",
        "horizons_months",
        "anchors",
        "states",
        "other_state",
        "events",
        "competing",
    }
    assert OutcomeDefs.model_validate(data) == load_outcome_defs()


# --------------------------------------------------------------------------- first events


@engines
def test_first_event_boundaries(engine: str) -> None:
    people = persons(
        ("ongoing", "2024-03-01", None),
        ("same-day", "2024-03-01", None),
        ("ended-before", "2024-03-01", None),
        ("on-censor", "2024-03-01", None),
        ("after-censor", "2024-03-01", None),
        ("later", "2024-03-01", None),
        ("none", "2024-03-01", None),
        ("closed-ongoing", "2024-03-01", None),
    )
    rows = spells(
        ("ongoing", "arbeid", "arbeid", "2023-05-01", None),
        ("same-day", "arbeid", "arbeid", "2024-03-01", "2024-03-10"),
        ("ended-before", "arbeid", "arbeid", "2023-01-01", "2024-02-29"),
        ("on-censor", "arbeid", "arbeid", "2024-12-31", None),
        ("after-censor", "arbeid", "arbeid", "2025-01-01", None),
        ("later", "arbeid", "arbeid", "2024-05-01", "2024-06-30"),
        ("later", "arbeid", "arbeid", "2024-04-10", "2024-04-20"),
        ("closed-ongoing", "arbeid", "arbeid", "2024-02-01", "2024-03-01"),
    )
    out = run(people, rows, engine)
    assert event(out, "ongoing", "arbeid") == (0, True)
    assert event(out, "same-day", "arbeid") == (0, True)
    # 2024-03-01 .. 2024-12-31: Mar 31 + Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30
    # + Oct 31 + Nov 30 = 275 days to Dec 1, + 30 = 305 to Dec 31
    assert event(out, "ended-before", "arbeid") == (305, False)
    assert event(out, "on-censor", "arbeid") == (305, True)
    assert event(out, "after-censor", "arbeid") == (305, False)
    assert event(out, "later", "arbeid") == (40, True)  # Mar 1 -> Apr 1 = 31, +9 = Apr 10
    assert event(out, "none", "arbeid") == (305, False)
    assert event(out, "closed-ongoing", "arbeid") == (0, True)  # ends on the intake day
    # no fagbrev spells at all: censored at the end date
    assert event(out, "ongoing", "fagbrev") == (305, False)


@engines
def test_full_time_filter(engine: str) -> None:
    people = persons(("p", "2024-03-01", None))
    rows = spells(
        ("p", "arbeid", "arbeid", "2024-04-01", "2024-04-30", False),
        ("p", "arbeid", "arbeid", "2024-05-01", "2024-05-31", None),
        ("p", "arbeid", "arbeid", "2024-06-01", None, True),
    )
    out = run(people, rows, engine)
    assert event(out, "p", "arbeid") == (31, True)  # Apr 1 = Mar 1 + 31
    assert event(out, "p", "heltid") == (92, True)  # Jun 1 = Mar 1 + 31 + 30 + 31


@engines
def test_codes_filter_on_a_first_event(engine: str) -> None:
    data = yaml.safe_load(_packaged_text())
    data["events"].append(
        {"id": "dagpenger", "label": "Dagpenger", "type": "first", "kind": "ytelse",
         "codes": ["dagpenger"]}
    )  # fmt: skip
    defs = OutcomeDefs.model_validate(data)
    people = persons(("p", "2024-03-01", None))
    rows = spells(
        ("p", "ytelse", "sosialhjelp", "2024-04-01", "2024-04-30"),
        ("p", "ytelse", "dagpenger", "2024-05-01", "2024-05-31"),
    )
    out = run(people, rows, engine, defs=defs)
    assert event(out, "p", "dagpenger") == (61, True)  # May 1 = Mar 1 + 31 + 30


@engines
def test_intake_after_end_date_is_censored_at_day_zero(engine: str) -> None:
    people = persons(("late", "2025-02-01", "2025-03-01"))
    rows = spells(
        ("late", "arbeid", "arbeid", "2024-01-01", None, True),
        ("late", "ytelse", "aap", "2024-01-01", "2025-02-10"),
        ("late", "fagbrev", "fagbrev", "2025-02-01", "2025-02-01"),
    )
    out = run(people, rows, engine)
    for event_id in ("fagbrev", "arbeid", "heltid", "ut-av-ytelse"):
        assert event(out, "late", event_id) == (0, False)
    assert competing(out, "late") == (0, None)
    assert out.loc["late", "state.inntak.6"] == NOT_FOLLOWED
    assert out.loc["late", "state.avslutning.6"] == NOT_FOLLOWED


@engines
def test_censor_map_moves_one_event(engine: str) -> None:
    people = persons(("p", "2024-03-01", None))
    rows = spells(
        ("p", "fagbrev", "fagbrev", "2024-07-15", "2024-07-15"),
        ("p", "arbeid", "arbeid", "2024-07-15", None),
    )
    out = run(people, rows, engine, censor={"fagbrev": date(2024, 6, 30), "arbeid": None})
    # Mar 1 -> Jun 30: 31 + 30 + 31 = 92 to Jun 1, + 29 = 121
    assert event(out, "p", "fagbrev") == (121, False)
    # arbeid keeps the end date: Jul 15 = Mar 1 + 31 + 30 + 31 + 30 + 14 = 136
    assert event(out, "p", "arbeid") == (136, True)
    later = run(people, rows, engine, censor={"fagbrev": date(2025, 6, 30)})
    assert event(later, "p", "fagbrev") == (136, True)  # a later date does not extend E


# --------------------------------------------------------------------------- leave events


@engines
def test_leave_islands(engine: str) -> None:
    people = persons(
        ("adjacent", "2024-01-15", None),
        ("gap", "2024-01-15", None),
        ("not-at-risk", "2024-01-15", None),
        ("other-code", "2024-01-15", None),
        ("open", "2024-01-15", None),
        ("nested", "2024-01-15", None),
        ("ends-day-before-end", "2024-01-15", None),
        ("ends-on-end", "2024-01-15", None),
        ("starts-after", "2024-01-15", None),
        ("chain-with-other-code", "2024-01-15", None),
    )
    rows = spells(
        ("adjacent", "ytelse", "dagpenger", "2023-12-01", "2024-01-31"),
        ("adjacent", "ytelse", "aap", "2024-02-01", "2024-03-31"),
        ("gap", "ytelse", "dagpenger", "2023-12-01", "2024-01-31"),
        ("gap", "ytelse", "aap", "2024-02-02", "2024-03-31"),
        ("not-at-risk", "ytelse", "aap", "2023-01-01", "2024-01-14"),
        ("other-code", "ytelse", "sosialhjelp", "2023-01-01", "2024-06-30"),
        ("open", "ytelse", "tiltakspenger", "2023-06-01", None),
        ("nested", "ytelse", "dagpenger", "2023-12-01", "2024-06-30"),
        ("nested", "ytelse", "aap", "2024-01-01", "2024-02-01"),
        ("ends-day-before-end", "ytelse", "aap", "2024-01-01", "2024-12-30"),
        ("ends-on-end", "ytelse", "aap", "2024-01-01", "2024-12-31"),
        ("starts-after", "ytelse", "aap", "2024-01-16", "2024-03-31"),
        ("chain-with-other-code", "ytelse", "aap", "2024-01-01", "2024-01-31"),
        ("chain-with-other-code", "ytelse", "sosialhjelp", "2024-02-01", "2024-05-31"),
    )
    out = run(people, rows, engine)
    # island 2023-12-01 .. 2024-03-31, left on Apr 1: Jan 15 -> Feb 1 = 17, + 29 (Feb 2024)
    # = 46 to Mar 1, + 31 = 77
    assert event(out, "adjacent", "ut-av-ytelse") == (77, True)
    assert event(out, "gap", "ut-av-ytelse") == (17, True)  # left on Feb 1
    assert event(out, "not-at-risk", "ut-av-ytelse") == (None, None)
    assert event(out, "other-code", "ut-av-ytelse") == (None, None)
    # censored at the end date: Jan 15 -> Dec 31 = 366 - 15 = 351
    assert event(out, "open", "ut-av-ytelse") == (351, False)
    # left on Jul 1: 46 to Mar 1, + 31 + 30 + 31 + 30 = 168
    assert event(out, "nested", "ut-av-ytelse") == (168, True)
    assert event(out, "ends-day-before-end", "ut-av-ytelse") == (351, True)  # left Dec 31
    assert event(out, "ends-on-end", "ut-av-ytelse") == (351, False)  # Jan 1 is after E
    assert event(out, "starts-after", "ut-av-ytelse") == (None, None)
    assert event(out, "chain-with-other-code", "ut-av-ytelse") == (17, True)  # left Feb 1


@engines
def test_leave_with_censor_before_the_end(engine: str) -> None:
    people = persons(("p", "2024-01-15", None), ("q", "2024-07-01", None))
    rows = spells(
        ("p", "ytelse", "aap", "2024-01-01", "2024-05-31"),
        ("q", "ytelse", "aap", "2024-06-01", "2024-07-31"),
    )
    out = run(people, rows, engine, censor={"ut-av-ytelse": date(2024, 3, 31)})
    # p: leaves Jun 1, after the censor date Mar 31 -> censored at 46 + 30 = 76
    assert event(out, "p", "ut-av-ytelse") == (76, False)
    # q: intake after the censor date
    assert event(out, "q", "ut-av-ytelse") == (0, False)


# --------------------------------------------------------------------------- competing


@engines
def test_competing_outcome(engine: str) -> None:
    people = persons(
        ("tie", "2024-03-01", "2024-06-01"),
        ("exit-first", "2024-03-01", "2024-05-01"),
        ("exit-after-censor", "2024-03-01", "2025-03-01"),
        ("fagbrev-at-intake", "2024-03-01", None),
        ("nothing", "2024-03-01", None),
        ("exit-before-intake", "2024-03-01", "2024-02-01"),
    )
    rows = spells(
        ("tie", "fagbrev", "fagbrev", "2024-06-01", "2024-06-01"),
        ("exit-first", "fagbrev", "fagbrev", "2024-06-01", "2024-06-01"),
        ("fagbrev-at-intake", "fagbrev", "fagbrev", "2023-06-01", None),
    )
    out = run(people, rows, engine)
    assert competing(out, "tie") == (92, "fagbrev")  # Jun 1 = Mar 1 + 31 + 30 + 31
    assert competing(out, "exit-first") == (61, "avbrudd")  # May 1 = Mar 1 + 31 + 30
    assert competing(out, "exit-after-censor") == (305, None)  # censored at Dec 31
    assert competing(out, "fagbrev-at-intake") == (0, "fagbrev")
    assert competing(out, "nothing") == (305, None)
    assert competing(out, "exit-before-intake") == (305, None)


@engines
def test_competing_censor_follows_its_events(engine: str) -> None:
    people = persons(("p", "2024-03-01", "2024-08-01"), ("q", "2024-03-01", "2024-04-15"))
    out = run(people, spells(), engine, censor={"fagbrev": date(2024, 6, 30)})
    # censored at Jun 30 (the fagbrev coverage): the exit on Aug 1 comes after it
    assert competing(out, "p") == (121, None)
    assert competing(out, "q") == (45, "avbrudd")  # Apr 15 = Mar 1 + 31 + 14


# --------------------------------------------------------------------------- states


@engines
def test_states(engine: str) -> None:
    people = persons(
        ("clip", "2023-08-31", None),
        ("priority", "2024-01-10", None),
        ("tiltak", "2024-01-10", "2024-02-15"),
        ("nav", "2024-01-10", None),
        ("edges", "2024-01-10", None),
    )
    rows = spells(
        # 2023-08-31 + 6 months = 2024-02-29 (clipped); + 12 months = 2024-08-31
        ("clip", "arbeid", "arbeid", "2024-02-29", "2024-02-29"),
        ("clip", "utdanning", "vgo", "2024-03-01", "2024-03-02"),
        ("clip", "ytelse", "aap", "2024-08-30", "2024-08-30"),
        # 2024-01-10 + 6 months = 2024-07-10: work and a benefit on the same day
        ("priority", "ytelse", "aap", "2024-07-01", "2024-07-31"),
        ("priority", "arbeid", "arbeid", "2024-07-10", None),
        ("priority", "status", "helt_ledig", "2024-01-01", None),
        ("tiltak", "status", "helt_ledig", "2024-01-01", None),
        ("tiltak", "tiltak", "avklaring", "2024-07-01", "2024-12-31"),
        ("nav", "status", "nedsatt_arbeidsevne", "2024-01-01", None),
        ("nav", "fagbrev", "fagbrev", "2024-07-10", "2024-07-10"),  # no state of its own
        ("edges", "arbeid", "arbeid", "2024-01-01", "2024-07-09"),  # ends the day before
        ("edges", "utdanning", "vgo", "2024-07-11", None),  # starts the day after
        ("edges", "tiltak", "avklaring", "2024-05-01", "2024-07-10"),  # ends on the day
    )
    out = run(people, rows, engine)
    assert out.loc["clip", "state.inntak.6"] == "arbeid"
    assert out.loc["clip", "state.inntak.12"] == "annet"  # Aug 31: the aap spell is Aug 30
    assert out.loc["clip", "state.inntak.24"] == NOT_FOLLOWED  # 2025-08-31 > end date
    assert out.loc["clip", "state.avslutning.6"] == NO_ANCHOR
    assert out.loc["priority", "state.inntak.6"] == "arbeid"
    assert out.loc["priority", "state.inntak.12"] == NOT_FOLLOWED  # 2025-01-10
    assert out.loc["tiltak", "state.inntak.6"] == "tiltak"  # tiltak outranks status (nav)
    # exit 2024-02-15 + 6 months = 2024-08-15: tiltak; + 12 months = 2025-02-15: not followed
    assert out.loc["tiltak", "state.avslutning.6"] == "tiltak"
    assert out.loc["tiltak", "state.avslutning.12"] == NOT_FOLLOWED
    assert out.loc["nav", "state.inntak.6"] == "nav"
    assert out.loc["edges", "state.inntak.6"] == "tiltak"
    for pid in ("priority", "nav", "edges"):
        assert out.loc[pid, "state.avslutning.36"] == NO_ANCHOR


@engines
def test_horizon_on_the_end_date_is_followed(engine: str) -> None:
    people = persons(("p", "2024-06-30", "2024-06-30"))
    rows = spells(("p", "tiltak", "avklaring", "2024-12-30", "2024-12-30"))
    out = run(people, rows, engine, end=date(2024, 12, 30))
    assert out.loc["p", "state.inntak.6"] == "tiltak"  # 2024-12-30 = end date
    assert out.loc["p", "state.avslutning.6"] == "tiltak"
    out = run(people, rows, engine, end=date(2024, 12, 29))
    assert out.loc["p", "state.inntak.6"] == NOT_FOLLOWED


# --------------------------------------------------------------------------- frame shape


@engines
def test_result_frame_order_and_dtypes(engine: str) -> None:
    people = persons(
        ("c", "2024-03-01", None), ("a", "2024-03-01", None), ("b", "2024-03-01", None)
    )
    rows = spells(
        ("a", "arbeid", "arbeid", "2024-03-05", None), ("x", "arbeid", "arbeid", "2024-03-05", None)
    )
    out = compute_outcomes(people, rows, load_outcome_defs(), END, engine=engine)
    assert list(out.columns) == load_outcome_defs().columns()
    assert list(out["person_id"]) == ["c", "a", "b"]
    assert out.index.equals(pd.RangeIndex(3))
    assert list(out["event.arbeid.days"]) == [305, 4, 305]
    for column in out.columns[1:]:
        kind = column.rsplit(".", 1)[1]
        expected = {"days": "Int64", "event": "boolean"}.get(kind, "string")
        assert str(out[column].dtype) == expected, column


@engines
def test_integer_ids_and_mixed_ids(engine: str) -> None:
    people = persons((7, "2024-03-01", None), (8, "2024-03-01", None))
    rows = spells((8, "arbeid", "arbeid", "2024-03-02", None))
    out = run(people, rows, engine)
    assert event(out, 8, "arbeid") == (1, True)
    text_rows = rows.assign(person_id=["8"])
    assert event(run(people, text_rows, engine), 8, "arbeid") == (1, True)


@engines
def test_without_exit_column_and_without_spells(engine: str) -> None:
    people = persons(("p", "2024-03-01", None)).drop(columns="exit_date")
    out = run(people, spells(), engine)
    assert event(out, "p", "arbeid") == (305, False)
    assert event(out, "p", "ut-av-ytelse") == (None, None)
    assert out.loc["p", "state.inntak.6"] == "annet"
    assert out.loc["p", "state.avslutning.6"] == NO_ANCHOR


@engines
def test_no_persons(engine: str) -> None:
    out = compute_outcomes(
        persons(), spells(("p", "arbeid", "arbeid", "2024-03-02", None)), None, END, engine=engine
    )
    assert len(out) == 0 and list(out.columns) == load_outcome_defs().columns()


def test_engines_agree_on_the_hand_made_population() -> None:
    people = persons(
        ("a", "2024-01-15", "2024-06-01"), ("b", "2023-08-31", None), ("c", "2024-07-01", None)
    )
    rows = spells(
        ("a", "ytelse", "aap", "2023-12-01", "2024-01-31"),
        ("a", "ytelse", "dagpenger", "2024-02-01", "2024-03-31"),
        ("a", "arbeid", "arbeid", "2024-02-01", None, True),
        ("b", "fagbrev", "fagbrev", "2024-02-29", "2024-02-29"),
        ("c", "tiltak", "avklaring", "2024-01-01", "2024-12-31"),
    )
    frames = [compute_outcomes(people, rows, None, END, engine=e) for e in ENGINES]
    pd.testing.assert_frame_equal(frames[0], frames[1])


# --------------------------------------------------------------------------- inputs


@engines
def test_parquet_input_equals_frame_input(tmp_path: Path, engine: str) -> None:
    people = persons(("a", "2024-01-15", "2024-06-01"), ("b", "2024-03-01", None))
    rows = spells(
        ("a", "ytelse", "aap", "2023-12-01", "2024-01-31"),
        ("a", "ytelse", "dagpenger", "2024-02-01", "2024-03-31"),
        ("a", "arbeid", "arbeid", "2024-02-01", None, True),
        ("b", "arbeid", "arbeid", "2024-04-01", "2024-05-01", False),
        ("b", "fagbrev", "fagbrev", "2024-09-01", "2024-09-01"),
    )
    path = tmp_path / "spells.parquet"
    rows.to_parquet(path, index=False)
    from_frame = compute_outcomes(people, rows, None, END, engine=engine)
    from_file = compute_outcomes(people, path, None, END, engine=engine)
    pd.testing.assert_frame_equal(from_frame, from_file)
    assert str(from_file.loc[0, "event.ut-av-ytelse.days"]) == "77"


@engines
def test_missing_columns_are_named(engine: str, tmp_path: Path) -> None:
    people = persons(("p", "2024-03-01", None))
    with pytest.raises(OutcomeDataError, match="tabellen «persons» mangler kolonnen «intake_date»"):
        compute_outcomes(people.drop(columns="intake_date"), spells(), None, END, engine=engine)
    with pytest.raises(OutcomeDataError, match="tabellen «spells» mangler kolonnen «end_date»"):
        compute_outcomes(people, spells().drop(columns="end_date"), None, END, engine=engine)
    with pytest.raises(OutcomeDataError, match="«spells» mangler kolonnen «full_time»"):
        compute_outcomes(people, spells().drop(columns="full_time"), None, END, engine=engine)
    path = tmp_path / "spells.parquet"
    spells().drop(columns=["kind", "code"]).to_parquet(path)
    with pytest.raises(OutcomeDataError, match="mangler kolonnene «kind», «code»"):
        compute_outcomes(people, path, None, END, engine=engine)


def test_argument_errors() -> None:
    people = persons(("p", "2024-03-01", None))
    with pytest.raises(OutcomeDataError, match="end_date mangler"):
        compute_outcomes(people, spells(), None, None)  # type: ignore[arg-type]
    with pytest.raises(OutcomeDataError, match="end_date mangler"):
        compute_outcomes(people, spells(), None, pd.NaT)  # type: ignore[arg-type]
    with pytest.raises(OutcomeDataError, match="ukjent engine 'polars'"):
        compute_outcomes(people, spells(), None, END, engine="polars")
    with pytest.raises(OutcomeDataError, match=r"censor nevner ukjente hendelser \['fagbrv'\]"):
        compute_outcomes(people, spells(), None, END, censor={"fagbrv": END})
    with pytest.raises(OutcomeDataError, match="mangler intake_date for 1 person"):
        compute_outcomes(persons(("p", None, None)), spells(), None, END)
    with pytest.raises(OutcomeDataError, match="fant ikke Parquet-filen"):
        compute_outcomes(people, Path("/nonexistent/spells.parquet"), None, END)


# --------------------------------------------------------------------------- property test

BASE = date(2023, 11, 1)
KINDS_CODES = [
    ("arbeid", "arbeid"),
    ("ytelse", "aap"),
    ("ytelse", "dagpenger"),
    ("ytelse", "sosialhjelp"),
    ("status", "helt_ledig"),
    ("tiltak", "avklaring"),
    ("utdanning", "vgo"),
    ("fagbrev", "fagbrev"),
]
#: Small horizons so that states fall among the generated spells; month ends are common.
SMALL_DEFS = {
    "follow_up_months": 4,
    "horizons_months": [1, 2, 4],
    "anchors": {
        "inntak": {"column": "intake_date", "label": "etter inntak"},
        "avslutning": {"column": "exit_date", "label": "etter avslutning"},
    },
    "states": [
        {"id": "arbeid", "label": "I arbeid", "kinds": ["arbeid"]},
        {"id": "tiltak", "label": "På tiltak", "kinds": ["tiltak", "utdanning"]},
        {"id": "nav", "label": "Nav", "kinds": ["ytelse", "status"]},
    ],
    "other_state": {"id": "annet", "label": "Annet"},
    "events": [
        {"id": "fagbrev", "label": "Fagbrev", "type": "first", "kind": "fagbrev"},
        {"id": "heltid", "label": "Heltid", "type": "first", "kind": "arbeid", "full_time": True},
        {"id": "aap", "label": "AAP", "type": "first", "kind": "ytelse", "codes": ["aap"]},
        {"id": "ut", "label": "Ut", "type": "leave", "kind": "ytelse",
         "codes": ["aap", "dagpenger"]},
        {"id": "ut-status", "label": "Ut av status", "type": "leave", "kind": "status"},
    ],
    "competing": [
        {"id": "slutt", "label": "Slutt", "causes": [
            {"id": "fagbrev", "label": "Fagbrev", "event": "fagbrev"},
            {"id": "aap", "label": "AAP", "event": "aap"},
            {"id": "avbrudd", "label": "Avbrudd", "exit": True},
        ]},
    ],
}  # fmt: skip

day = st.integers(0, 240).map(lambda d: BASE + timedelta(days=d))


@st.composite
def populations(draw):
    n = draw(st.integers(0, 6))
    people, rows = [], []
    for i in range(n):
        intake = draw(day)
        leave = draw(st.one_of(st.none(), st.integers(0, 120)))
        people.append((f"p{i}", intake, None if leave is None else intake + timedelta(leave)))
        for _ in range(draw(st.integers(0, 6))):
            kind, code = draw(st.sampled_from(KINDS_CODES))
            start = draw(day)
            length = draw(st.one_of(st.none(), st.integers(0, 70)))
            end = None if length is None else start + timedelta(days=length)
            full = draw(st.sampled_from([None, True, False])) if kind == "arbeid" else None
            rows.append((f"p{i % max(n, 1)}", kind, code, start, end, full))
    if draw(st.booleans()) and n:
        rows.append(("stranger", "arbeid", "arbeid", BASE, None, True))  # no such person
    end_date = draw(day)
    censor = draw(
        st.dictionaries(st.sampled_from(["fagbrev", "heltid", "aap", "ut"]), day, max_size=3)
    )
    return persons(*people), spells(*rows), end_date, censor


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=populations(), small=st.booleans())
def test_engines_agree(data, small: bool) -> None:
    people, rows, end_date, censor = data
    defs = OutcomeDefs.model_validate(SMALL_DEFS) if small else load_outcome_defs()
    if not small:
        censor = {k: v for k, v in censor.items() if k in ("fagbrev", "heltid")}
    frames = [
        compute_outcomes(people, rows, defs, end_date, censor=censor, engine=e) for e in ENGINES
    ]
    pd.testing.assert_frame_equal(frames[0], frames[1])
