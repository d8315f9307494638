"""Tests for coopstats.chains: figure structure, PNG output, alt text and table."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from coopstats.chains import chain_alt_text, chain_to_frame, draw_result_chain
from coopstats.registry import LEVEL_LABELS, Registry, load_registry


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize(
    "model_id",
    [
        "lengre-varighet",
        "veiledningstelefonen",
        "moteplassen",
        "jobbspesialist-grupper",
        "karriereveiledning-nordland",
    ],
)
def test_one_header_per_level(reg: Registry, model_id: str) -> None:
    chain = reg.models[model_id].result_chain
    fig = draw_result_chain(chain, title="Tittel")
    texts = _texts(fig)
    for label in LEVEL_LABELS.values():
        assert texts.count(label) == 1, label
    assert "Tittel" in texts
    headers = [t for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("level-")]
    assert [h.get_text() for h in headers] == [lvl.label for lvl in chain.levels]
    xs = [h.get_position()[0] for h in headers]
    assert xs == sorted(xs)  # left to right
    plt.close(fig)


def test_every_element_is_drawn_and_empty_level_marked(reg: Registry) -> None:
    chain = reg.models["lengre-varighet"].result_chain
    fig = draw_result_chain(chain)
    drawn = {" ".join(t.split()) for t in _texts(fig)}
    for level in chain.levels:
        for element in level.elements:
            assert " ".join(element.text.split()) in drawn
    assert "Ikke angitt" in drawn  # samfunnseffekter is empty in Tabell 3.1
    n_arrows = sum(1 for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None)
    assert n_arrows == len(chain.levels) - 1


def test_footer_toggles_notes(reg: Registry) -> None:
    chain = reg.models["lengre-varighet"].result_chain
    with_notes = _texts(draw_result_chain(chain))
    without = _texts(draw_result_chain(chain, show_notes=False))
    assert "Forutsetninger" in with_notes and "Forutsetninger" not in without
    assert any(t.startswith("5. NAV og fylkeskommunene") for t in with_notes)


def test_reconstructed_chain_has_note(reg: Registry) -> None:
    texts = _texts(draw_result_chain(reg.models["moteplassen"].result_chain))
    assert any("Rekonstruert resultatkjede" in t for t in texts)


def test_saves_png(reg: Registry, tmp_path: Path) -> None:
    model = reg.models["lengre-varighet"]
    fig = draw_result_chain(model.result_chain, title=model.name)
    out = tmp_path / "kjede.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = fig.get_size_inches()
    assert width > height > 2


def test_alt_text_in_norwegian(reg: Registry) -> None:
    chain = reg.models["lengre-varighet"].result_chain
    alt = chain_alt_text(chain, title="Lengre varighet")
    assert alt.startswith("Resultatkjede for Lengre varighet i 6 nivåer")
    assert "Innsatsfaktorer (6 elementer)" in alt
    assert "Aktiviteter (7 elementer)" in alt
    assert "Samfunnseffekter: ikke angitt." in alt
    assert "Forutsetninger: 5." in alt
    assert "rekonstruert" not in alt
    assert "rekonstruert" in chain_alt_text(reg.models["moteplassen"].result_chain)


def test_chain_to_frame(reg: Registry) -> None:
    chain = reg.models["lengre-varighet"].result_chain
    frame = chain_to_frame(chain)
    assert list(frame.columns) == ["level", "element"]
    assert len(frame) == 1 + 6 + 7 + 3 + 3
    counts = frame["level"].value_counts()
    assert counts["Aktiviteter"] == 7 and "Samfunnseffekter" not in counts
    assert frame.iloc[-1]["element"] == "Deltakerne får en fastere tilknytning til arbeidsmarkedet"
