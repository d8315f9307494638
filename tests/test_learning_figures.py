"""What a reader sees in the learning chapter's figures, drawn from small hand-made inputs.

Each test builds a :class:`~coopstats.learning.LearningPage` by hand (no data folder), draws one
figure (in a function-scoped fixture, so that mutation testing sees every test reach the figure
function) and reads the matplotlib objects: texts, which boxes and markers exist, where they are,
which colour marks which category (checked against the palette constants), axis ranges, ticks
and legend entries. Sizes, fonts and paddings live in ``learning.FIGURE_STYLE``; their values
are not checked (they fix no rule a reader relies on), only that the figures take them from that
mapping (``_styled``) and the rules that depend on them: the figure grows with its rows, boxes
stay inside their cell.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from coopstats import learning, publication
from coopstats.disclosure import DisclosureConfig
from coopstats.modell import GRADE_STYLE
from coopstats.registry import load_registry
from coopstats.style import HATCHES, PALETTE, TEXT_COLOUR

STYLE = learning.FIGURE_STYLE
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
PROV = {"source": "seed-000", "lines": "1"}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _page(registry, **fields) -> learning.LearningPage:
    base = {
        "registry": registry,
        "datasets": SimpleNamespace(directory="/somewhere/demo"),
        "points": None,
        "frame": None,
        "segments": None,
        "indicators": None,
        "config": DisclosureConfig(min_count=5),
    }
    return learning.LearningPage(**{**base, **fields})


def _rgb(colour) -> tuple[float, float, float]:
    return tuple(round(v, 6) for v in to_rgb(colour))


def _bounds(patch) -> tuple[float, ...]:
    x, y = patch.get_xy()
    return tuple(round(v, 9) for v in (x, y, patch.get_width(), patch.get_height()))


def _size_is(fig: Figure, size: tuple[float, ...], n_cols: float, n_rows: float) -> None:
    """The figure grows by a fixed amount per column and per row (``size`` from the style),
    lays itself out so that no label is cut off, and renders on its own Agg canvas (as the
    reports rasterise figures: ``canvas.draw()`` and ``buffer_rgba()``)."""
    width, height = fig.get_size_inches()
    assert width == pytest.approx(size[0] + size[1] * n_cols)
    assert height == pytest.approx(size[2] + size[3] * n_rows)
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    assert pixels.shape[2] == 4
    assert pixels.shape[:2] == pytest.approx((height * fig.dpi, width * fig.dpi), abs=1)


def _bare(ax) -> None:
    """No grid lines and no frame around the cells."""
    assert not any(line.get_visible() for line in ax.get_xgridlines() + ax.get_ygridlines())
    assert not any(side.get_visible() for side in ax.spines.values())


ALIASES = {"ha": "horizontalalignment", "va": "verticalalignment", "lw": "linewidth"}


def _styled(artist, props: dict) -> None:
    """``artist`` has the properties of a FIGURE_STYLE entry."""
    have = artist.properties()
    for key, want in props.items():
        if key == "bbox":
            box = artist.get_bbox_patch()
            assert to_rgba(box.get_facecolor()) == to_rgba(want["facecolor"]), key
            assert box.get_edgecolor()[3] == 0, key  # edgecolor "none"
            continue
        got = artist.get_position()[0] if key == "x" else have[ALIASES.get(key, key)]
        if "color" in key:  # the colour; a box's opacity is a rule of its own
            assert to_rgb(got) == to_rgb(want), key
        elif key == "linestyle":
            assert got == {"none": "None"}.get(want, want), key
        else:
            assert got == want, key


def _legend_styled(fig: Figure, extra: dict) -> None:
    """The common legend style (no frame, below the axes) and the figure's own extras."""
    [legend] = fig.legends
    fig.canvas.draw()
    common = STYLE["legend"]
    assert legend.get_frame_on() is common["frameon"]
    assert {t.get_fontsize() for t in legend.get_texts()} == {common["fontsize"]}
    axes_bottom = min(ax.get_window_extent().y0 for ax in fig.axes)
    assert legend.get_window_extent().y1 <= axes_bottom
    if "ncol" in extra:  # that many entries side by side on a row
        ys = [round(t.get_window_extent().y0) for t in legend.get_texts()]
        assert len(set(ys[: extra["ncol"]])) == 1
        assert len(ys) <= extra["ncol"] or ys[extra["ncol"]] != ys[0]
    if "title_fontsize" in extra:
        assert legend.get_title().get_fontsize() == extra["title_fontsize"]
    if "alignment" in extra:
        assert legend._alignment == extra["alignment"]


def _ticks_styled(ax, axis: str, props: dict) -> None:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    assert labels
    for label in labels:
        _styled(label, props)


def _no_tick_marks(ax, axis: str = "both") -> None:
    for name in ("x", "y") if axis == "both" else (axis,):
        ticks = (ax.xaxis if name == "x" else ax.yaxis).get_major_ticks()
        assert {t.tick1line.get_markersize() for t in ticks} == {STYLE["no_ticks"]["length"]}


def _wrapped(text: str, width: int) -> str:
    """``text`` filled to ``width`` (no line longer, none broken before it had to be), as one
    line again."""
    lines = text.split("\n")
    assert all(len(line) <= width for line in lines), text
    for line, after in zip(lines, lines[1:], strict=False):
        assert len(line) + 1 + len(after.split(" ")[0]) > width, text
    return " ".join(lines)


def _legend(fig: Figure) -> list[tuple[str, object]]:
    [legend] = fig.legends
    return list(zip([t.get_text() for t in legend.get_texts()], legend.legend_handles, strict=True))


# --------------------------------------------------------------------------- learning points

#: Three learning points; the units are deliberately listed out of column order.
POINTS = {
    "version": 1,
    "provenance": PROV,
    "sections": [
        {"id": "styring", "number": "5.1", "title_nb": "Styring", "provenance": PROV},
    ],
    "learning_points": [
        {
            "id": "lp-forankring",
            "number": 1,
            "section": "styring",
            "title_nb": "Forankring",
            "text_nb": "Forankring hjelper.",
            "provenance": PROV,
            "evidence": [
                {
                    "unit": "nav-vest-viken",
                    "kinds": ["workshop"],
                    "direction": "mixed",
                    "note_nb": "x",
                    "provenance": PROV,
                },
                {
                    "unit": "nav-vestland",
                    "kinds": ["interview", "document"],
                    "direction": "positive",
                    "note_nb": "x",
                    "provenance": PROV,
                },
            ],
        },
        {
            "id": "lp-informasjon",
            "number": 2,
            "section": "styring",
            "title_nb": "Informasjon",
            "text_nb": "Informasjon hjelper.",
            "provenance": PROV,
            "evidence": [
                {
                    "unit": "nav-trondelag",
                    "kinds": ["observation"],
                    "direction": "negative",
                    "note_nb": "x",
                    "provenance": PROV,
                },
            ],
            "other_evidence": [
                {"kind": "literature", "description_nb": "a", "provenance": PROV},
                {"kind": "experience_gathering", "description_nb": "b", "provenance": PROV},
                {"kind": "literature", "description_nb": "c", "provenance": PROV},
            ],
        },
        {
            "id": "lp-arbeidsgruppe",
            "number": 3,
            "section": "styring",
            "title_nb": "Felles arbeidsgruppe med faste møter og tydelige roller",
            "text_nb": "Arbeidsgrupper hjelper.",
            "provenance": PROV,
            "evidence": [
                {
                    "unit": "nav-more-og-romsdal",
                    "kinds": ["activity_figures"],
                    "direction": "positive",
                    "note_nb": "x",
                    "provenance": PROV,
                },
            ],
        },
    ],
}
# Trial units first (NAV Vestland before NAV Møre og Romsdal, as in the registry), then the
# mother county without a trial (NAV Trøndelag), then other units (NAV Vest-Viken, although the
# registry lists it before NAV Trøndelag), then other sources.
LP_COLUMNS = [
    "NAV Vestland",
    "NAV Møre og Romsdal",
    "NAV Trøndelag",
    "NAV Vest-Viken",
    "Andre kilder",
]
LP_ROWS = [
    "1. Forankring",
    "2. Informasjon",
    "3. Felles arbeidsgruppe med faste møter og tydelige roller",
]
# (gid, column, row, marker, colour, text) worked by hand from POINTS
LP_MARKS = [
    ("lp-lp-forankring-nav-vest-viken", 3, 0, "D", PALETTE[1], "Ws"),
    ("lp-lp-forankring-nav-vestland", 0, 0, "^", PALETTE[2], "Int+Dok"),
    ("lp-lp-informasjon-nav-trondelag", 2, 1, "v", PALETTE[5], "Obs"),
    ("lp-lp-informasjon-other", 4, 1, "s", "#BBBBBB", "Lit+Erf"),
    ("lp-lp-arbeidsgruppe-nav-more-og-romsdal", 1, 2, "^", PALETTE[2], "Akt"),
]


@pytest.fixture
def lp_figure(registry) -> Figure:
    points = learning.LearningPoints.model_validate(POINTS)
    return learning.learning_point_figure(_page(registry, points=points))


def test_learning_point_figure_marks_each_unit_in_its_cell(lp_figure: Figure) -> None:
    """One marker per (point, unit) in the unit's column and the point's row, shaped and
    coloured by direction (other sources: grey square), with the kinds of evidence
    abbreviated to the right of the marker."""
    ax = lp_figure.axes[0]
    marks = {ln.get_gid(): ln for ln in ax.lines}
    assert sorted(marks) == sorted(m[0] for m in LP_MARKS)
    texts = {(t.get_text(), t.get_position()) for t in ax.texts}
    assert len(ax.texts) == len(LP_MARKS)
    for gid, col, row, marker, colour, text in LP_MARKS:
        line = marks[gid]
        assert line.get_marker() == marker, gid
        assert _rgb(line.get_color()) == _rgb(colour), gid
        assert list(line.get_xdata()) == [pytest.approx(col + STYLE["lp_marker_dx"])], gid
        assert list(line.get_ydata()) == [row], gid
        assert line.get_linestyle() == "None", gid  # a marker, no line
        assert (text, (col + STYLE["lp_text_dx"], row)) in texts, gid
    # the text starts right of the marker and both stay in the unit's cell
    assert -0.5 < STYLE["lp_marker_dx"] < STYLE["lp_text_dx"] < 0.5
    assert {t.get_ha() for t in ax.texts} == {"left"}
    assert {t.get_va() for t in ax.texts} == {"center"}


def test_learning_point_figure_axis_ranges_and_ticks(lp_figure: Figure) -> None:
    ax = lp_figure.axes[0]
    assert ax.get_xlim() == (-0.5, 4.5)
    assert ax.get_ylim() == (2.5, -0.5)  # first point at the top
    assert list(ax.get_xticks()) == [0, 1, 2, 3, 4]
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert [_wrapped(c, STYLE["wrap_column"]) for c in columns] == LP_COLUMNS
    assert "\n" in columns[1]  # long names are wrapped
    assert ax.xaxis.get_ticks_position() == "top"
    assert list(ax.get_yticks()) == [0, 1, 2]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert [_wrapped(r, STYLE["wrap_point"]) for r in rows] == LP_ROWS
    assert "\n" in rows[2]
    _bare(ax)
    _size_is(lp_figure, STYLE["lp_size"], 5, 3)
    assert lp_figure.get_suptitle() == "Læringspunkter × fylker: type belegg og retning"


def test_learning_point_figure_bands_alternate_rows(lp_figure: Figure) -> None:
    ax = lp_figure.axes[0]
    stripes = [p for p in ax.patches if p.get_gid() is None]
    # rows 1 and 3 (index 0 and 2), each across all five columns
    assert sorted(_bounds(p) for p in stripes) == [(-0.5, -0.5, 5, 1), (-0.5, 1.5, 5, 1)]


def test_learning_point_figure_legend_entries(lp_figure: Figure) -> None:
    entries = _legend(lp_figure)
    assert [(label, h.get_marker(), _rgb(h.get_color())) for label, h in entries] == [
        ("Positiv erfaring", "^", _rgb(PALETTE[2])),
        ("Negativ erfaring", "v", _rgb(PALETTE[5])),
        ("Blandet erfaring", "D", _rgb(PALETTE[1])),
        ("Andre kilder", "s", _rgb("#BBBBBB")),
    ]
    assert all(h.get_linestyle() == "None" for _, h in entries)
    title = lp_figure.legends[0].get_title().get_text()
    assert "\n" in title
    assert _wrapped(title, STYLE["wrap_legend"]) == (
        "Int = intervju, Dok = dokument, Akt = aktivitetstall, Obs = observasjon, "
        "Erf = erfaringssamling, Ws = workshop, Lit = litteratur"
    )


def test_learning_point_figure_takes_its_look_from_the_style(lp_figure: Figure) -> None:
    ax = lp_figure.axes[0]
    for stripe in ax.patches:
        _styled(stripe, STYLE["stripe"])
    for line in ax.lines:
        _styled(line, STYLE["marker"])
    for text in ax.texts:
        _styled(text, STYLE["lp_text"])
    _ticks_styled(ax, "x", STYLE["tick_labels"])
    _ticks_styled(ax, "y", STYLE["tick_labels"])
    _no_tick_marks(ax)
    for _, handle in _legend(lp_figure):
        _styled(handle, STYLE["legend_marker"])
    _legend_styled(lp_figure, STYLE["lp_legend"])
    _styled(lp_figure._suptitle, STYLE["suptitle"])


# --------------------------------------------------------------------------- drivers/barriers

# (unit, phase, code, polarity, how many). In the packaged coding frame forankring is GOV.ORG.02
# (driver) and B-GOV.10 (barrier), both ORG; informasjon-forstelinje is INT.PRO.05 (PRO);
# kapasitet is B-INT.L1 (ORG); tilstedevaerelse is TRN.PRO.02 (PRO).
DB_SEGMENTS = [
    ("nav-oslo", "GOV", "forankring", "driver", 1),
    ("nav-oslo", "GOV", "forankring", "barrier", 2),
    ("nav-more-og-romsdal", "GOV", "forankring", "driver", 5),
    ("nav-more-og-romsdal", "INT", "informasjon-forstelinje", "driver", 1),
    ("nav-more-og-romsdal", "INT", "kapasitet", "barrier", 3),
    ("nav-oslo", "TRN", "tilstedevaerelse", "driver", 1),
]
# Rows with segments, in phase and factor order (CTX, REL, PRO, ORG); the other rows of the
# frame have no segments and are left out.
DB_ROWS = [
    "Tverretatlig styring og koordinering – organisatoriske",
    "Rekruttering og inntak av deltakere – prosessuelle",
    "Rekruttering og inntak av deltakere – organisatoriske",
    "Opplæring og oppfølging – prosessuelle",
]
# (gid, column, row, label) worked by hand; column 0 = NAV Oslo (first unit), 1 = NAV Møre og
# Romsdal
DB_BOXES = [
    ("db-GOV-ORG-nav-oslo-driver", 0, 0, "+1"),
    ("db-GOV-ORG-nav-oslo-barrier", 0, 0, "−2"),
    ("db-GOV-ORG-nav-more-og-romsdal-driver", 1, 0, "+5"),
    ("db-INT-PRO-nav-more-og-romsdal-driver", 1, 1, "+1"),
    ("db-INT-ORG-nav-more-og-romsdal-barrier", 1, 2, "−3"),
    ("db-TRN-PRO-nav-oslo-driver", 0, 3, "+1"),
]


@pytest.fixture
def db_figure(registry) -> Figure:
    frame = learning.load_coding_frame()
    rows = [
        {"segment_id": f"s{i}-{k}", "unit_id": u, "phase": ph, "code": c, "polarity": pol}
        for i, (u, ph, c, pol, n) in enumerate(DB_SEGMENTS)
        for k in range(n)
    ]
    segments = learning.classify_segments(pd.DataFrame(rows), frame)
    return learning.driver_barrier_figure(_page(registry, frame=frame, segments=segments))


def test_driver_barrier_figure_boxes(db_figure: Figure) -> None:
    """A box per non-zero count: drivers green with one hatch in the left half of the unit's
    column, barriers red with another in the right half, each labelled +n / −n in its middle."""
    ax = db_figure.axes[0]
    boxes = {p.get_gid(): p for p in ax.patches}
    assert sorted(boxes) == sorted(b[0] for b in DB_BOXES)
    labels = {(t.get_text(), tuple(round(v, 9) for v in t.get_position())) for t in ax.texts}
    assert len(ax.texts) == len(DB_BOXES)
    for gid, col, row, label in DB_BOXES:
        box = boxes[gid]
        driver = gid.endswith("-driver")
        assert _rgb(box.get_facecolor()[:3]) == _rgb(PALETTE[2] if driver else PALETTE[5]), gid
        assert box.get_hatch() == (HATCHES[1] if driver else HATCHES[3]), gid
        x, y, w, h = _bounds(box)
        half = (col - 0.5, col) if driver else (col, col + 0.5)
        assert half[0] < x and x + w < half[1], gid  # inside its half of the column
        assert x + w / 2 == pytest.approx(sum(half) / 2), gid  # centred in it
        assert row - 0.5 < y and y + h < row + 0.5, gid  # inside its row
        assert y + h / 2 == pytest.approx(row), gid
        centre = (round(sum(half) / 2, 9), row)
        assert (label, centre) in labels, gid
    assert {t.get_ha() for t in ax.texts} == {"center"}
    assert {t.get_va() for t in ax.texts} == {"center"}
    assert {t.get_color() for t in ax.texts} == {TEXT_COLOUR}


def test_driver_barrier_box_opacity_grows_with_count(db_figure: Figure) -> None:
    by_count = {
        "+1": "db-GOV-ORG-nav-oslo-driver",
        "−2": "db-GOV-ORG-nav-oslo-barrier",
        "−3": "db-INT-ORG-nav-more-og-romsdal-barrier",
        "+5": "db-GOV-ORG-nav-more-og-romsdal-driver",
    }
    boxes = {p.get_gid(): p.get_alpha() for p in db_figure.axes[0].patches}
    one, two, three, five = (boxes[by_count[k]] for k in ("+1", "−2", "−3", "+5"))
    assert 0 < one < two < three <= 1
    assert five == 1.0  # never more than opaque


def test_driver_barrier_figure_rows_ticks_and_phase_rules(db_figure: Figure) -> None:
    ax = db_figure.axes[0]
    assert ax.get_xlim() == (-0.5, 1.5)
    assert ax.get_ylim() == (3.5, -0.5)
    assert list(ax.get_xticks()) == [0, 1]
    units = [t.get_text() for t in ax.get_xticklabels()]
    assert [_wrapped(u, STYLE["wrap_column"]) for u in units] == ["NAV Oslo", "NAV Møre og Romsdal"]
    assert ax.xaxis.get_ticks_position() == "top"
    assert list(ax.get_yticks()) == [0, 1, 2, 3]
    assert [t.get_text() for t in ax.get_yticklabels()] == DB_ROWS
    # a rule between phases (after row 0 and after row 2), none inside a phase
    rules = sorted(line.get_ydata()[0] for line in ax.lines)
    assert rules == [0.5, 2.5]
    _bare(ax)
    _size_is(db_figure, STYLE["db_size"], 2, 4)
    assert db_figure.get_suptitle() == (
        "Drivere og barrierer etter fase og faktor (antall kodede utsagn; "
        "kombinasjoner uten utsagn er utelatt)"
    )


def test_driver_barrier_figure_legend_entries(db_figure: Figure) -> None:
    entries = _legend(db_figure)
    assert [(label, _rgb(h.get_facecolor()[:3]), h.get_hatch()) for label, h in entries] == [
        ("+n drivere", _rgb(PALETTE[2]), HATCHES[1]),
        ("−n barrierer", _rgb(PALETTE[5]), HATCHES[3]),
    ]


def test_driver_barrier_figure_takes_its_look_from_the_style(db_figure: Figure) -> None:
    ax = db_figure.axes[0]
    for box in ax.patches:
        _styled(box, STYLE["db_box_edge"])
    for text in ax.texts:
        _styled(text, STYLE["count_label"])
    for rule in ax.lines:
        _styled(rule, STYLE["db_phase_rule"])
    _ticks_styled(ax, "x", STYLE["tick_labels"])
    _ticks_styled(ax, "y", STYLE["small_tick_labels"])
    _no_tick_marks(ax)
    for _, handle in _legend(db_figure):
        _styled(handle, STYLE["db_legend_patch"])
    _legend_styled(db_figure, STYLE["db_legend"])
    _styled(db_figure._suptitle, STYLE["db_suptitle"])


# --------------------------------------------------------------------------- fidelity vs results

LONG_RESULTS = "; ".join(
    f"Indikator nummer {i} med et langt navn: {10 * i} (mål: 99)" for i in range(6)
)
FIDELITY_ROWS = [
    # trial_id, Modell, Fylke, Kjerneelementer, Ingen, Mindre, Større, Ikke vurdert, Resultater
    ("t-a", "Opplæringstiltak med lengre varighet", "NAV Oslo", 6, 2, 1, 0, 3, "Deltakere: 26"),
    ("t-b", "Modell B", "NAV Vestland", 4, 0, 1, 3, 0, LONG_RESULTS),
    ("t-c", "Modell C", "NAV Innlandet", 0, 0, 0, 0, 0, "Ingen resultatindikatorer definert"),
]


def _fidelity_frame(rows) -> pd.DataFrame:
    columns = ["trial_id", "model_id", "Modell", "Fylke", "Status", "Kjerneelementer", "Ingen"]
    columns += ["Mindre", "Større", "Ikke vurdert", "Resultater"]
    return pd.DataFrame([(r[0], "m", r[1], r[2], "Pågår", *r[3:]) for r in rows], columns=columns)


def _fidelity_figure(monkeypatch, registry, rows) -> Figure:
    """The figure of a hand-made fidelity frame (the frame itself is tested in test_learning)."""
    monkeypatch.setattr(learning, "fidelity_results_frame", lambda *a: _fidelity_frame(rows))
    monkeypatch.setattr(publication, "plan_for", lambda *a: None)
    return learning.fidelity_results_figure(_page(registry))


def test_fidelity_figure_bars(monkeypatch, registry) -> None:
    """Per trial a bar of core elements, stacked left to right: no, minor, major adaptation,
    not assessed; each segment in its grade's colour and hatch, its count in the middle; no
    segment for a grade with no elements."""
    fig = _fidelity_figure(monkeypatch, registry, FIDELITY_ROWS)
    ax = fig.axes[0]
    ys = list(ax.get_yticks())
    bars = {p.get_gid(): p for p in ax.patches}
    expected = {  # gid: (grade, left, width, row)
        "fid-t-a-none": ("none", 0, 2, 0),
        "fid-t-a-minor": ("minor", 2, 1, 0),
        "fid-t-a-unassessed": (None, 3, 3, 0),
        "fid-t-b-minor": ("minor", 0, 1, 1),
        "fid-t-b-major": ("major", 1, 3, 1),
    }
    assert sorted(bars) == sorted(expected)
    for gid, (grade, left, width, row) in expected.items():
        bar = bars[gid]
        x, y, w, h = _bounds(bar)
        assert (x, w) == (left, width), gid
        assert y + h / 2 == pytest.approx(ys[row]), gid  # centred on its trial's tick
        assert 0 < h < 1, gid
        assert _rgb(bar.get_facecolor()[:3]) == _rgb(GRADE_STYLE[grade][0]), gid
        assert bar.get_hatch() == GRADE_STYLE[grade][1], gid
    labels = sorted((t.get_text(), t.get_position()) for t in ax.texts)
    assert labels == sorted(
        [("2", (1, ys[0])), ("1", (2.5, ys[0])), ("3", (4.5, ys[0]))]
        + [("1", (0.5, ys[1])), ("3", (2.5, ys[1]))]
    )
    assert {(t.get_ha(), t.get_va()) for t in ax.texts} == {("center", "center")}
    assert ax.get_xlim() == (0, 6)  # the largest number of core elements
    assert ax.get_xlabel() == "Antall kjerneelementer"


def test_fidelity_figure_rows_make_room_for_long_results(monkeypatch, registry) -> None:
    """Each trial's row is at least one unit high and grows with the lines of its results; the
    results stand beside the bars in a second panel sharing the rows."""
    fig = _fidelity_figure(monkeypatch, registry, FIDELITY_ROWS)
    ax, notes = fig.axes
    texts = notes.texts
    assert [_wrapped(t.get_text(), STYLE["wrap_results"]) for t in texts] == [
        r[-1] for r in FIDELITY_ROWS
    ]
    lines = [t.get_text().count("\n") + 1 for t in texts]
    assert lines[0] == 1 and lines[1] > 3  # the long results wrap onto several lines
    min_row, per_line = STYLE["fid_row"]
    heights = [max(min_row, per_line * n) for n in lines]
    assert heights[1] > min_row
    tops = [sum(heights[:i]) for i in range(3)]
    ys = [top + h / 2 for top, h in zip(tops, heights, strict=True)]
    assert list(ax.get_yticks()) == pytest.approx(ys)
    assert [t.get_position() for t in texts] == [pytest.approx((0, y)) for y in ys]
    assert {t.get_ha() for t in texts} == {"left"}
    assert ax.get_ylim() == pytest.approx((sum(heights), 0))
    assert notes.get_ylim() == ax.get_ylim()
    assert notes.get_xlim() == (0, 1)
    assert not notes.axison
    assert notes.get_title(loc="left") == "Resultatindikatorer"
    trials = [_wrapped(t.get_text(), STYLE["wrap_trial"]) for t in ax.get_yticklabels()]
    assert trials == [
        "Opplæringstiltak med lengre varighet: NAV Oslo",
        "Modell B: NAV Vestland",
        "Modell C: NAV Innlandet",
    ]
    _size_is(fig, STYLE["fid_size"], 0, sum(heights))
    # trial names without tick marks; the count axis keeps its ticks
    assert ax.yaxis.get_major_ticks()[0].tick1line.get_markersize() == 0
    assert ax.xaxis.get_major_ticks()[0].tick1line.get_markersize() > 0


def test_fidelity_figure_legend_and_title(monkeypatch, registry) -> None:
    fig = _fidelity_figure(monkeypatch, registry, FIDELITY_ROWS)
    entries = _legend(fig)
    assert [(label, _rgb(h.get_facecolor()[:3]), h.get_hatch()) for label, h in entries] == [
        ("Ingen tilpasning", _rgb(GRADE_STYLE["none"][0]), GRADE_STYLE["none"][1]),
        ("Mindre tilpasning", _rgb(GRADE_STYLE["minor"][0]), GRADE_STYLE["minor"][1]),
        ("Større tilpasning", _rgb(GRADE_STYLE["major"][0]), GRADE_STYLE["major"][1]),
        ("Ikke vurdert", _rgb(GRADE_STYLE[None][0]), GRADE_STYLE[None][1]),
    ]
    assert fig.get_suptitle() == "Trofasthet mot kjerneelementene og resultater per forsøk"


def test_fidelity_figure_without_core_elements_keeps_an_axis(monkeypatch, registry) -> None:
    fig = _fidelity_figure(monkeypatch, registry, FIDELITY_ROWS[2:])
    ax = fig.axes[0]
    assert len(ax.patches) == 0 and len(ax.texts) == 0
    assert ax.get_xlim() == (0, 1)


def test_fidelity_figure_takes_its_look_from_the_style(monkeypatch, registry) -> None:
    fig = _fidelity_figure(monkeypatch, registry, FIDELITY_ROWS)
    ax, notes = fig.axes
    assert ax.get_gridspec().get_width_ratios() == STYLE["fid_panels"]["width_ratios"]
    for bar in ax.patches:
        _styled(bar, STYLE["fid_edge"])
    for text in ax.texts:
        _styled(text, STYLE["count_label"])
    for text in notes.texts:
        _styled(text, STYLE["fid_notes_text"])
    _ticks_styled(ax, "y", STYLE["tick_labels"])
    _no_tick_marks(ax, "y")
    _styled(notes.title if notes.title.get_text() else notes._left_title, STYLE["fid_notes_title"])
    for _, handle in _legend(fig):
        _styled(handle, STYLE["fid_legend_patch"])
    _legend_styled(fig, STYLE["fid_legend"])
    _styled(fig._suptitle, STYLE["suptitle"])


def test_fidelity_figure_of_the_demo_shows_the_published_values() -> None:
    """The results beside the bars are the protected values of the publication plan (Oslo's
    26 participants taken in), not values hidden for want of a plan."""
    page = learning.load_page(DEMO)
    fig = learning.fidelity_results_figure(page)
    notes = " ".join(t.get_text().replace("\n", " ") for t in fig.axes[1].texts)
    assert "Deltakere tatt inn: 26;" in notes
    assert "Deltakere som har avsluttet (frafall): 7;" in notes  # Øst-Viken
