"""Tests for coopstats.registry: packaged data, cross-references and error messages."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
import yaml

from coopstats.registry import (
    LEVEL_KEYS,
    Registry,
    RegistryError,
    UnknownUnitError,
    load_registry,
)
from coopstats.yamlio import indicator_ids

FIXTURES = Path(__file__).parent / "fixtures"
SPEC_TRIALS = {
    "vt-more-og-romsdal": ("veiledningstelefonen", "nav-more-og-romsdal"),
    "vt-ost-viken": ("veiledningstelefonen", "nav-ost-viken"),
    "moteplassen-innlandet": ("moteplassen", "nav-innlandet"),
    "jobbspesialist-vestfold-og-telemark": ("jobbspesialist-grupper", "nav-vestfold-og-telemark"),
    "lengre-varighet-oslo": ("lengre-varighet", "nav-oslo"),
    "lengre-varighet-vestland": ("lengre-varighet", "nav-vestland"),
    "lengre-varighet-ost-viken": ("lengre-varighet", "nav-ost-viken"),
}


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """A writable copy of the packaged registry files."""
    src = resources.files("coopstats") / "registry_data"
    for name in ("units.yaml", "models.yaml", "trials.yaml"):
        (tmp_path / name).write_text(src.joinpath(name).read_text("utf-8"), encoding="utf-8")
    return tmp_path


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _norm(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- packaged data


def test_packaged_registry_loads_with_spec_ids(reg: Registry) -> None:
    assert set(SPEC_TRIALS) <= set(reg.trials)
    assert {
        "veiledningstelefonen",
        "moteplassen",
        "jobbspesialist-grupper",
        "lengre-varighet",
        "karriereveiledning-nordland",
    } <= set(reg.models)
    for trial_id, (model, unit) in SPEC_TRIALS.items():
        trial = reg.trials[trial_id]
        assert (trial.model, trial.unit) == (model, unit)


def test_every_trial_references_existing_model_unit_and_core_elements(reg: Registry) -> None:
    for trial in reg.trials.values():
        assert trial.model in reg.models
        assert trial.unit in reg.units
        core = {c.id for c in reg.models[trial.model].core_elements}
        assert {a.core_element for a in trial.adaptations} <= core


def test_directory_argument_reads_same_data(data_dir: Path, reg: Registry) -> None:
    other = load_registry(data_dir)
    assert set(other.trials) == set(reg.trials)
    assert other.units == reg.units


def test_mother_units_and_lengre_varighet_variants(reg: Registry) -> None:
    assert reg.models["veiledningstelefonen"].mother_unit == "nav-vestfold-og-telemark"
    assert reg.models["moteplassen"].mother_unit == "nav-trondelag"
    assert reg.models["jobbspesialist-grupper"].mother_unit == "nav-more-og-romsdal"
    assert reg.models["karriereveiledning-nordland"].mother_unit == "nav-nordland"
    lv = reg.models["lengre-varighet"]
    assert lv.mother_unit is None
    assert {v.id for v in lv.variants} == {"oslo", "vestland", "ost-viken"}


def test_statuses_and_precisions(reg: Registry) -> None:
    t = reg.trials
    assert t["moteplassen-innlandet"].status == "terminated_early"
    assert t["vt-ost-viken"].status == "ended_ordinary_operation"
    assert t["jobbspesialist-vestfold-og-telemark"].status == "running"
    lv = t["lengre-varighet-oslo"]
    assert lv.period_start == date(2023, 8, 1)
    assert lv.period_precision.start == "month"


def test_adaptation_grades_match_report(reg: Registry) -> None:
    mr = {a.core_element: a.grade for a in reg.trials["vt-more-og-romsdal"].adaptations}
    assert mr == {"vt-k1": "minor", "vt-k2": "minor", "vt-k3": "minor"}
    ov = {a.core_element: a.grade for a in reg.trials["vt-ost-viken"].adaptations}
    assert ov["vt-k1"] == "major"


def test_targets(reg: Registry) -> None:
    mp = reg.trials["moteplassen-innlandet"].targets
    contracts = [x for x in mp if x.indicator == "ind-opplaeringskontrakt"]
    assert len(contracts) == 1 and contracts[0].value == 10
    firms = [x for x in mp if x.qualifier == "range"]
    assert (firms[0].low, firms[0].high) == (6, 10)
    calls = reg.trials["vt-more-og-romsdal"].targets[0]
    assert (calls.indicator, calls.value, calls.qualifier) == ("ind-anrop", 90, "approximate")
    oslo = reg.trials["lengre-varighet-oslo"].targets[0]
    assert oslo.value is None and "Samarbeidsmodell Oslo" in oslo.description


def test_all_indicator_links_are_known(reg: Registry) -> None:
    linked = {
        i
        for m in reg.models.values()
        for lvl in m.result_chain.levels
        for e in lvl.elements
        for i in e.indicators
    }
    linked |= {x.indicator for t in reg.trials.values() for x in t.targets if x.indicator}
    assert linked and linked <= indicator_ids()


def test_every_fact_has_provenance(reg: Registry) -> None:
    for unit in reg.units.values():
        assert unit.provenance.source
    for model in reg.models.values():
        assert all(c.provenance.lines for c in model.core_elements)
        for level in model.result_chain.levels:
            assert all(e.provenance.source.startswith("seed-") for e in level.elements)
    for trial in reg.trials.values():
        for item in (*trial.adaptations, *trial.events, *trial.targets):
            assert item.provenance.source.startswith("seed-")


def test_chains_have_six_levels_and_reconstructed_ones_are_flagged(reg: Registry) -> None:
    for model in reg.models.values():
        chain = model.result_chain
        assert tuple(lvl.key for lvl in chain.levels) == LEVEL_KEYS
        assert chain.reconstructed == (model.id != "lengre-varighet")
        if chain.reconstructed:
            assert chain.note


# --------------------------------------------------------------------------- Tabell 3.1


def test_tabell_3_1_is_represented_completely(reg: Registry) -> None:
    fixture = yaml.safe_load((FIXTURES / "tabell_3_1.yaml").read_text(encoding="utf-8"))
    chain = reg.models["lengre-varighet"].result_chain
    counts = {key: len(items) for key, items in fixture["levels"].items()}
    assert counts == {
        "problemforstaelse": 1,
        "innsatsfaktorer": 6,
        "aktiviteter": 7,
        "resultater": 3,
        "brukereffekter": 3,
    }
    for key, expected in fixture["levels"].items():
        got = [_norm(e.text) for e in chain.level(key).elements]
        assert got == [_norm(t) for t in expected], key
    assert chain.level("samfunnseffekter").elements == ()
    assert chain.provenance is not None and chain.provenance.lines == fixture["lines"]


def test_tabell_3_1_preconditions_and_assumptions(reg: Registry) -> None:
    fixture = yaml.safe_load((FIXTURES / "tabell_3_1.yaml").read_text(encoding="utf-8"))
    chain = reg.models["lengre-varighet"].result_chain
    assert len(chain.preconditions) == 5
    for pre, start in zip(chain.preconditions, fixture["preconditions_start"], strict=True):
        assert _norm(pre.text).startswith(start)
    assert len(chain.assumptions) >= 3


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("name", "unit_id"),
    [
        ("Øst-Viken", "nav-ost-viken"),
        ("ØV", "nav-ost-viken"),
        ("øv", "nav-ost-viken"),
        ("Ost-Viken", "nav-ost-viken"),
        ("NAV Øst-Viken", "nav-ost-viken"),
        ("Nav  Øst-Viken", "nav-ost-viken"),
        ("nav-ost-viken", "nav-ost-viken"),
        ("M&R", "nav-more-og-romsdal"),
        ("Møre og Romsdal", "nav-more-og-romsdal"),
        ("VT", "nav-vestfold-og-telemark"),
        ("Vestfold og Telemark", "nav-vestfold-og-telemark"),
        ("Viken fylkeskommune", "fk-viken"),
        ("Akershus fylkeskommune", "fk-akershus"),
    ],
)
def test_resolve_unit_aliases(reg: Registry, name: str, unit_id: str) -> None:
    assert reg.resolve_unit(name).id == unit_id


def test_resolve_unknown_unit_suggests(reg: Registry) -> None:
    with pytest.raises(UnknownUnitError, match="Ukjent enhet 'Øst-Vikn'.*øst-viken"):
        reg.resolve_unit("Øst-Vikn")


def test_trials_for_unit_and_trial_units(reg: Registry) -> None:
    ov = [t.id for t in reg.trials_for_unit("ØV")]
    assert ov == ["lengre-varighet-ost-viken", "vt-ost-viken"]  # ordered by start date
    units = reg.trial_units()
    assert units == sorted(units)
    assert "nav-ost-viken" in units and "nav-trondelag" not in units
    assert reg.trials_for_unit("nav-trondelag") == []


def test_county_validity_by_date(reg: Registry) -> None:
    fk_2023 = {u.id for u in reg.units_valid_on(date(2023, 12, 31), kind="fylkeskommune")}
    fk_2024 = {u.id for u in reg.units_valid_on(date(2024, 1, 1), kind="fylkeskommune")}
    assert "fk-viken" in fk_2023 and "fk-viken" not in fk_2024
    assert {"fk-ostfold", "fk-akershus", "fk-buskerud"} <= fk_2024 - fk_2023
    assert {"fk-oslo", "fk-vestland"} <= fk_2023 & fk_2024
    assert len(fk_2023) == 11 and len(fk_2024) == 15
    numbers = {u.county_number for u in reg.units_valid_on(date(2024, 6, 1), "fylkeskommune")}
    assert {"03", "31", "32", "33", "39", "40", "55", "56"} <= numbers


def test_county_units_for_nav_unit_is_dated_and_not_one_to_one(reg: Registry) -> None:
    before = [u.id for u in reg.county_units_for("nav-ost-viken", on=date(2023, 6, 1))]
    after = [u.id for u in reg.county_units_for("nav-ost-viken", on=date(2024, 6, 1))]
    assert before == ["fk-viken"]
    assert after == ["fk-ostfold", "fk-akershus"]
    ever = {u.id for u in reg.county_units_for("ØV")}
    assert ever == {"fk-viken", "fk-ostfold", "fk-akershus"}
    assert len(reg.nav_units_for("fk-akershus", on=date(2024, 6, 1))) == 2
    vt = [u.id for u in reg.county_units_for("VT", on=date(2025, 1, 1))]
    assert vt == ["fk-vestfold", "fk-telemark"]


# --------------------------------------------------------------------------- broken files


def _assert_error(data_dir: Path, *fragments: str) -> str:
    with pytest.raises(RegistryError) as info:
        load_registry(data_dir)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def test_wrong_status_names_file_and_key(data_dir: Path) -> None:
    _edit(data_dir / "trials.yaml", lambda d: d["trials"][2].update(status="finished"))
    msg = _assert_error(data_dir, "trials.yaml: trials[2].status")
    assert "running" in msg and "'finished'" in msg


def test_unknown_model(data_dir: Path) -> None:
    _edit(data_dir / "trials.yaml", lambda d: d["trials"][0].update(model="telefonmodell"))
    _assert_error(data_dir, "trials.yaml: trials[0].model", "telefonmodell", "veiledningstelefonen")


def test_unknown_unit(data_dir: Path) -> None:
    _edit(data_dir / "trials.yaml", lambda d: d["trials"][1].update(unit="nav-atlantis"))
    _assert_error(data_dir, "trials.yaml: trials[1].unit", "nav-atlantis")


def test_missing_key(data_dir: Path) -> None:
    _edit(data_dir / "models.yaml", lambda d: d["models"][1].pop("target_group"))
    _assert_error(data_dir, "models.yaml: models[1].target_group", "missing")


def test_bad_date(data_dir: Path) -> None:
    _edit(data_dir / "trials.yaml", lambda d: d["trials"][3].update(period_start="2025-13-01"))
    _assert_error(data_dir, "trials.yaml: trials[3].period_start", "date")


def test_adaptation_of_foreign_core_element(data_dir: Path) -> None:
    def change(d):
        d["trials"][0]["adaptations"][0]["core_element"] = "mp-k1"

    _assert_error_after(data_dir, "trials.yaml", change, "trials[0].adaptations[0].core_element")


def _assert_error_after(data_dir: Path, name: str, change, key: str) -> None:
    _edit(data_dir / name, change)
    _assert_error(data_dir, f"{name}: {key}")


def test_chain_level_order_is_enforced(data_dir: Path) -> None:
    def change(d):
        levels = d["models"][0]["result_chain"]["levels"]
        levels[1], levels[2] = levels[2], levels[1]

    _assert_error_after(data_dir, "models.yaml", change, "models[0].result_chain.levels")


def test_duplicate_alias_across_units(data_dir: Path) -> None:
    _edit(data_dir / "units.yaml", lambda d: d["units"][1]["aliases"].append("ØV"))
    _assert_error(data_dir, "units.yaml: units[", "aliases", "ØV".casefold())


def test_unknown_mother_unit(data_dir: Path) -> None:
    _edit(data_dir / "models.yaml", lambda d: d["models"][0].update(mother_unit="nav-mars"))
    _assert_error(data_dir, "models.yaml: models[0].mother_unit", "nav-mars")


def test_mapping_outside_county_validity(data_dir: Path) -> None:
    def change(d):
        for m in d["nav_county_map"]:
            if m["county_unit"] == "fk-viken":
                m.pop("valid_to")
                break

    _assert_error_after(data_dir, "units.yaml", change, "nav_county_map[")


def test_unknown_indicator_in_target(data_dir: Path) -> None:
    def change(d):
        d["trials"][0]["targets"][0]["indicator"] = "ind-anropp"

    _edit(data_dir / "trials.yaml", change)
    _assert_error(
        data_dir,
        f"{data_dir / 'trials.yaml'}: trials[0].targets[0].indicator:",
        "indicators.yaml",
        "'ind-anropp'",
        "mente du «ind-anrop»",
    )


def test_unknown_indicator_in_chain_element(data_dir: Path) -> None:
    def change(d):
        d["models"][0]["result_chain"]["levels"][3]["elements"][0]["indicators"] = [
            "ind-intervjuer"
        ]

    _edit(data_dir / "models.yaml", change)
    _assert_error(
        data_dir,
        "models.yaml: models[0].result_chain.levels[3].elements[0].indicators[0]:",
        "mente du «ind-intervju»",
    )


def test_range_target_needs_bounds(data_dir: Path) -> None:
    def change(d):
        d["trials"][2]["targets"][1].pop("high")

    _assert_error_after(data_dir, "trials.yaml", change, "trials[2].targets[1]")


def test_invalid_yaml_and_missing_file(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "trials.yaml").write_text("trials: [\n  - id: x\n", encoding="utf-8")
    _assert_error(data_dir, "trials.yaml: invalid YAML")
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(data_dir / "units.yaml", empty / "units.yaml")
    _assert_error(empty, "models.yaml: file not found")


def test_models_are_frozen(reg: Registry) -> None:
    trial = reg.trials["vt-ost-viken"]
    with pytest.raises(ValueError):
        trial.status = "running"  # type: ignore[misc]


def test_packaged_registry_is_shared_and_read_only():
    from coopstats.registry import load_registry

    first, second = load_registry(), load_registry()
    assert first is second  # read once per process (warm kernels run many notebooks)
    with pytest.raises(TypeError):
        first.units["nav-oslo"] = None  # type: ignore[index]
    assert "nav-oslo" in second.units
