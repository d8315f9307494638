"""Value-box colours of styles/coopstats.scss: every background/text pair reads at >= 4.5:1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coopstats import dashboard, style
from coopstats.render import VALUEBOX_COLOURS

SCSS = Path(__file__).resolve().parents[1] / "styles" / "coopstats.scss"
_VARIABLE = re.compile(r"^\s*\$([\w-]+)\s*:\s*([^;]+?)\s*(?:!default\s*)?;", re.MULTILINE)
_PAIR = re.compile(r"^coopstats-valuebox-([\w]+)-(bg|fg)$")
#: WCAG 2.1 AA for normal text (success criterion 1.4.3).
MINIMUM = 4.5


def scss_variables(text: str) -> dict[str, str]:
    """``$name: value;`` declarations, with ``$other`` references resolved (comments removed)."""
    text = re.sub(r"//[^\n]*", "", text)
    raw = {name: value for name, value in _VARIABLE.findall(text)}

    def resolve(value: str, depth: int = 0) -> str:
        if value.startswith("$") and depth < 10:
            return resolve(raw[value[1:]], depth + 1)
        return value

    return {name: resolve(value) for name, value in raw.items()}


def valuebox_pairs(text: str) -> dict[str, tuple[str, str]]:
    """Alias -> (background, text colour) from ``$coopstats-valuebox-<alias>-bg/-fg``."""
    found: dict[str, dict[str, str]] = {}
    for name, value in scss_variables(text).items():
        match = _PAIR.match(name)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = value
    assert all(set(v) == {"bg", "fg"} for v in found.values()), found
    return {alias: (v["bg"], v["fg"]) for alias, v in found.items()}


@pytest.fixture(scope="module")
def pairs() -> dict[str, tuple[str, str]]:
    return valuebox_pairs(SCSS.read_text(encoding="utf-8"))


def test_contrast_ratio_matches_wcag_reference_values():
    assert style.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert style.contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert style.contrast_ratio("#fff", "#777777") == pytest.approx(4.48, abs=0.01)  # fails AA
    assert style.contrast_ratio("#0072B2", "#FFFFFF") == pytest.approx(5.19, abs=0.01)
    # symmetric: the order of text and background does not matter
    assert style.contrast_ratio("#E69F00", "#222222") == style.contrast_ratio("#222222", "#E69F00")
    with pytest.raises(ValueError):
        style.relative_luminance("blue")


def test_every_colour_the_dashboards_use_has_a_pair(pairs):
    used = {
        box["color"]
        for box in (
            dashboard.valuebox("1", icon="x", color=c)
            for c in ("primary", "info", "success", "warning")
        )
    }
    # the aliases dashboard.py uses, and every alias the fallback knows (render.py)
    assert used <= set(pairs)
    assert set(VALUEBOX_COLOURS) <= set(pairs)


@pytest.mark.parametrize("alias", ["primary", "info", "success", "warning", "danger", "secondary"])
def test_valuebox_text_contrast_is_at_least_4_5(pairs, alias):
    background, text = pairs[alias]
    ratio = style.contrast_ratio(text, background)
    assert ratio >= MINIMUM, f"{alias}: {text} on {background} is {ratio:.2f}:1"


def test_quarto_valuebox_variables_use_the_checked_pairs(pairs):
    """Quarto's $valuebox-bg-<alias> must be the background whose contrast was checked."""
    variables = scss_variables(SCSS.read_text(encoding="utf-8"))
    for alias, (background, _) in pairs.items():
        assert variables[f"valuebox-bg-{alias}"] == background, alias


def test_parser_catches_a_low_contrast_pair():
    text = """
    $sky: #56B4E9;
    $coopstats-valuebox-info-bg: $sky; // a comment: $not-a-variable
    $coopstats-valuebox-info-fg: #FFFFFF;
    """
    (background, foreground) = valuebox_pairs(text)["info"]
    assert (background, foreground) == ("#56B4E9", "#FFFFFF")
    assert style.contrast_ratio(foreground, background) < MINIMUM  # white on sky: 2.3:1


def test_stylesheet_sets_no_fixed_widths():
    """Readable from 390 px to 1280 px: widths are relative (max-/min- limits only)."""
    text = re.sub(r"//[^\n]*", "", SCSS.read_text(encoding="utf-8"))
    fixed = re.findall(r"(?<![-\w])width\s*:\s*[\d.]+(?:px|rem|em)", text)
    assert not fixed, fixed
