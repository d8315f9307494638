"""tools/mutation.py: its configuration (tests/mutation.yaml) and how it scores (no mutmut run)."""

from __future__ import annotations

import fnmatch
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_every_core_module_is_in_an_area(tool):
    areas, _ = tool.load_config()
    mutated = {f for a in areas for f in a.files}
    core = ["disclosure", "sdc", "audit", "indicators", "windows", "participants", "contract"]
    core += ["validate", "batch", "cache", "learning"]
    assert {f"src/coopstats/{m}.py" for m in core} <= mutated
    assert len(mutated) == sum(len(a.files) for a in areas)  # no file in two areas


def test_every_equivalent_names_a_mutated_module_with_a_reason(tool):
    areas, equivalent = tool.load_config()
    modules = {tool._module(f) for a in areas for f in a.files}
    for name, spec in equivalent.items():
        assert tool.module_of(name) in modules, name
        assert "__mutmut_" in name and spec["why"].strip() and spec["line"].strip()


def test_config_errors_name_the_group(tool, tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("groups:\n  x:\n    files: [src/nope.py]\n    tests: [tests/test_x.py]\n")
    with pytest.raises(SystemExit, match="group 'x' names src/nope.py"):
        tool.load_config(bad)
    bad.write_text("equivalent:\n  coopstats.a.x_f__mutmut_1: {line: x}\n")
    with pytest.raises(SystemExit, match=r"coopstats.a.x_f__mutmut_1 needs `line` and `why`"):
        tool.load_config(bad)


def test_module_of_functions_and_methods(tool):
    assert tool.module_of("coopstats.sdc.x_protect__mutmut_3") == "coopstats.sdc"
    assert tool.module_of("coopstats.validate.xǁProblemGroupǁwhat__mutmut_1") == (
        "coopstats.validate"
    )
    assert tool._module("src/coopstats/sdc.py") == "coopstats.sdc"


def _area(tool):
    area = tool.Area("a", ["src/coopstats/p.py", "src/coopstats/q.py"], ["tests/t.py"])
    area.results = {
        "coopstats.p.x_f__mutmut_1": "killed",
        "coopstats.p.x_f__mutmut_2": "timeout",
        "coopstats.p.x_f__mutmut_3": "survived",
        "coopstats.p.x_f__mutmut_4": "survived",  # equivalent below
        "coopstats.q.x_g__mutmut_1": "killed",
        "coopstats.q.x_g__mutmut_2": "no tests",
    }
    return area


def test_score_leaves_equivalents_out_and_counts_timeouts_as_killed(tool):
    area = _area(tool)
    equivalent = {"coopstats.p.x_f__mutmut_4": {"line": "x", "why": "y"}}
    assert area.counts(equivalent) == {
        "all": 6, "killed": 3, "survived": 1, "no tests": 1, "other": 0, "equivalent": 1,
        "not run": 0,
    }  # fmt: skip
    assert area.score(equivalent) == pytest.approx(60.0)  # 3 of 5
    assert area.score(equivalent, "coopstats.p") == pytest.approx(200 / 3)  # 2 of 3
    assert area.score(equivalent, "coopstats.q") == pytest.approx(50.0)  # 1 of 2


def test_report_has_a_row_per_module_and_every_mutant_not_killed(tool):
    area = _area(tool)
    area.diffs = {"coopstats.p.x_f__mutmut_3": "- a < b\n+ a <= b"}
    text = tool.report([area], {}, 90)
    assert "| a | 6 | 3 | 2 | 1 | 0 | 0 | 50.0 % |" in text
    assert "| – p | 4 | 2 | 2 | 0 | 0 | 0 | 50.0 % |" in text
    assert "| – q | 2 | 1 | 0 | 1 | 0 | 0 | 50.0 % |" in text
    assert "### coopstats.p.x_f__mutmut_3 (survived)" in text and "+ a <= b" in text
    assert "### coopstats.q.x_g__mutmut_2 (no tests)" in text
    assert "coopstats.p.x_f__mutmut_1 " not in text


def test_a_stale_equivalent_is_one_whose_line_changed(tool):
    area = _area(tool)
    area.diffs = {"coopstats.p.x_f__mutmut_4": "- x = 1\n+ x = 2"}
    fresh = {"coopstats.p.x_f__mutmut_4": {"line": "x = 2", "why": "w"}}
    moved = {"coopstats.p.x_f__mutmut_4": {"line": "x = 3", "why": "w"}}
    assert tool.stale_equivalents([area], fresh) == []
    assert tool.stale_equivalents([area], moved) == ["coopstats.p.x_f__mutmut_4"]


def test_mutants_not_run_are_left_out_of_the_score_and_shown_with_an_interval(tool):
    area = _area(tool)
    area.results["coopstats.q.x_g__mutmut_3"] = "not checked"
    equivalent = {"coopstats.q.x_g__mutmut_3": {"line": "never shown", "why": "w"}}
    assert area.counts({})["not run"] == 1 and area.counts({})["all"] == 6
    assert area.score({}) == pytest.approx(50.0)
    assert tool.stale_equivalents([area], equivalent) == []  # not run: nothing to compare
    text = tool.report([area], {}, 90)
    assert "| a | 6 | 3 | 2 | 1 | 0 | 0 | 50.0 % (19–81) | 1 |" in text
    assert "x_g__mutmut_3" not in text


def test_a_sample_takes_every_nth_mutant_by_its_last_digit(tool):
    names = [f"coopstats.p.x_f__mutmut_{i}" for i in range(1, 101)]
    for n in (1, 2, 5, 10):
        chosen = [m for m in names if tool.in_sample(m, n)]
        assert len(chosen) == 100 // n
        assert all(fnmatch.fnmatch(m, tool.sample_pattern(n)) == (m in chosen) for m in names)
    assert [m[-2:] for m in names if tool.in_sample(m, 10)][:3] == ["10", "20", "30"]


def test_wilson_interval_by_hand(tool):
    # 45 of 50: p = 0.9, z = 1.96; centre (0.9 + 0.038416) / 1.076832 = 0.871460,
    # half-width 1.96 * sqrt((0.09 + 0.019208) / 50) / 1.076832 = 0.085065
    low, high = tool.wilson(45, 50)
    assert low == pytest.approx(78.64, abs=0.01) and high == pytest.approx(95.65, abs=0.01)
    assert tool.wilson(0, 0) == (0.0, 100.0)
