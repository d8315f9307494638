"""Cross-county learning chapter: learning points, coding frame, drivers/barriers, fidelity.

Data
    ``definitions/learning_points.yaml`` (the learning points of seed 000 chapter 5 with the
    units and kinds of evidence behind each) and ``definitions/coding_frame.yaml`` (the coding
    frame of seed 001: phase → factor category → practices, and barriers). Both are validated
    with frozen pydantic models and cross-checked; problems raise :class:`LearningDataError`
    naming the file, the key path and what was expected.
Computation
    :func:`evidence_frame` / :func:`learning_point_matrix` (learning point × unit),
    :func:`classify_segments` / :func:`driver_barrier_counts` / :func:`driver_barrier_matrix`
    (phase × factor × unit, from ``segments.csv``), :func:`fidelity_results_frame` (graded
    adaptations per trial against its outcome indicators).
Display
    :func:`load_page` and the functions taking a :class:`LearningPage` return a
    :class:`~coopstats.tables.Table` or a matplotlib figure for ``notebooks/laering.ipynb``.

See ``docs/learning.md`` for the file formats and how to add a learning point or a code.
"""

from __future__ import annotations

import difflib
import functools
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from IPython.display import Markdown
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coopstats import disclosure, publication, sources, tables
from coopstats.data import Datasets, load_datasets
from coopstats.formatting import NIL, fmt_number
from coopstats.indicators import compute_indicators, indicator_table_frame, load_indicators
from coopstats.modell import GRADE_LABELS, GRADE_STYLE, STATUS_NB, fidelity_grades, trial_label
from coopstats.registry import Provenance, Registry, load_registry
from coopstats.style import HATCHES, PALETTE, TEXT_COLOUR, apply_house_style
from coopstats.yamlio import DefinitionError, definitions_dir, format_validation, read_mapping

__all__ = [
    "CODING_FRAME_FILE",
    "DIRECTIONS_NB",
    "EVIDENCE_KINDS",
    "LEARNING_POINTS_FILE",
    "OUTCOME_LEVELS",
    "CodeProblem",
    "CodingFrame",
    "FrameItem",
    "LearningDataError",
    "LearningPage",
    "LearningPoint",
    "LearningPoints",
    "UnknownCodeError",
    "check_segments",
    "classify_segments",
    "driver_barrier_counts",
    "driver_barrier_figure",
    "driver_barrier_matrix",
    "driver_barrier_table",
    "evidence_frame",
    "fidelity_results_figure",
    "fidelity_results_frame",
    "fidelity_results_table",
    "learning_point_figure",
    "learning_point_list",
    "local_codes_table",
    "learning_point_matrix",
    "learning_point_table",
    "load_coding_frame",
    "load_learning_points",
    "load_page",
]

LEARNING_POINTS_FILE = "learning_points.yaml"
CODING_FRAME_FILE = "coding_frame.yaml"
#: Kinds of evidence behind a learning point → Norwegian label.
EVIDENCE_KINDS: dict[str, str] = {
    "interview": "intervju",
    "document": "dokument",
    "activity_figures": "aktivitetstall",
    "observation": "observasjon",
    "experience_gathering": "erfaringssamling",
    "workshop": "workshop",
    "literature": "litteratur",
}
#: Short forms used inside the learning-point figure (explained in its legend).
EVIDENCE_ABBR: dict[str, str] = {
    "interview": "Int",
    "document": "Dok",
    "activity_figures": "Akt",
    "observation": "Obs",
    "experience_gathering": "Erf",
    "workshop": "Ws",
    "literature": "Lit",
}
DIRECTIONS_NB: dict[str, str] = {"positive": "positiv", "negative": "negativ", "mixed": "blandet"}
#: Marker per direction: shape carries the meaning, colour only repeats it.
DIRECTION_STYLE: dict[str, tuple[str, str]] = {
    "positive": ("^", PALETTE[2]),
    "negative": ("v", PALETTE[5]),
    "mixed": ("D", PALETTE[1]),
}
POLARITY_NB: dict[str, str] = {"driver": "Drivere", "barrier": "Barrierer"}
#: Chain levels whose indicators count as outcomes when fidelity is set against results.
OUTCOME_LEVELS: tuple[str, ...] = ("aktiviteter", "resultater", "brukereffekter")
OTHER_COLUMN = "Andre kilder"
#: Marker and colour of "other sources" in the learning-point figure (not a direction).
OTHER_STYLE: tuple[str, str] = ("s", "#BBBBBB")
#: Cosmetic settings of the figures in one place: sizes, fonts, line widths, paddings, greys,
#: wrap widths. No reader-facing rule depends on these numbers (what the figures show, where
#: and in which category colour is fixed in the figure functions).
FIGURE_STYLE: dict[str, Any] = {
    # figure size in inches: (width base, width per column, height base, height per row)
    "lp_size": (3.6, 1.15, 2.4, 0.42),
    "db_size": (4.8, 1.25, 2.0, 0.36),
    "fid_size": (12.0, 0.0, 1.8, 0.55),
    "layout": "constrained",
    "suptitle": {"x": 0.02, "ha": "left", "fontsize": 11},
    "db_suptitle": {"x": 0.02, "ha": "left", "fontsize": 10},
    "legend": {"loc": "outside lower left", "frameon": False, "fontsize": 8},
    "tick_labels": {"fontsize": 8},
    "small_tick_labels": {"fontsize": 7.5},
    "no_ticks": {"length": 0},
    # learning-point grid
    "stripe": {"facecolor": "#F2F2F2", "lw": 0},
    "marker": {"markeredgecolor": TEXT_COLOUR, "markersize": 8, "linestyle": "none"},
    "legend_marker": {"markeredgecolor": TEXT_COLOUR, "linestyle": "none"},
    "lp_marker_dx": -0.3,
    "lp_text_dx": -0.15,
    "lp_text": {"va": "center", "ha": "left", "fontsize": 7.5},
    "lp_legend": {"ncol": 4, "title_fontsize": 7.5, "alignment": "left"},
    "wrap_column": 14,
    "wrap_point": 40,
    "wrap_legend": 120,
    # count labels on boxes and bars
    "count_label": {
        "ha": "center",
        "va": "center",
        "fontsize": 8,
        "fontweight": "bold",
        "color": TEXT_COLOUR,
        "bbox": {"facecolor": "white", "edgecolor": "none", "pad": 0.8},
    },
    # driver/barrier grid: each column holds a driver box and a barrier box side by side
    "db_box_width": 0.44,
    "db_box_height": 0.8,
    "db_box_edge": {"edgecolor": TEXT_COLOUR, "linewidth": 0.4},
    "db_alpha": (0.3, 0.2),  # opacity = base + step × count, at most 1
    "db_phase_rule": {"color": "#999999", "lw": 0.6},
    "db_legend": {"ncol": 2},
    "db_legend_patch": {"edgecolor": TEXT_COLOUR},
    # fidelity bars
    "fid_bar_height": 0.6,
    "fid_edge": {"edgecolor": "#666666", "linewidth": 0.8},
    "fid_legend_patch": {"edgecolor": "#666666"},
    "fid_notes_text": {"ha": "left", "va": "center", "fontsize": 7.5},
    "fid_row": (1.0, 0.3),  # row height: at least 1, or 0.3 per line of result text
    "fid_panels": {"width_ratios": [1.0, 1.5]},
    "fid_notes_title": {"fontsize": 9, "fontweight": "bold"},
    "fid_legend": {"ncol": 4},
    "wrap_results": 70,
    "wrap_trial": 30,
}

_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_PHASE_ID = r"^[A-Z]{3}$"

EvidenceKind = Literal[
    "interview",
    "document",
    "activity_figures",
    "observation",
    "experience_gathering",
    "workshop",
    "literature",
]


class LearningDataError(DefinitionError, ValueError):
    """A learning-chapter data file is missing, malformed or inconsistent."""


# --------------------------------------------------------------------------- schemas


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CountyEvidence(_Frozen):
    """The evidence one unit gives for a learning point."""

    unit: str
    kinds: tuple[EvidenceKind, ...] = Field(min_length=1)
    direction: Literal["positive", "negative", "mixed"]
    note_nb: str = Field(min_length=1)
    provenance: Provenance

    @field_validator("kinds")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("expected each kind of evidence once")
        return value


class OtherEvidence(_Frozen):
    """Support for a learning point that is not tied to one unit."""

    kind: EvidenceKind
    description_nb: str = Field(min_length=1)
    provenance: Provenance


class Section(_Frozen):
    """A subsection of the learning chapter (5.1, 5.2, …)."""

    id: str = Field(pattern=_SLUG)
    number: str = Field(min_length=1)
    title_nb: str = Field(min_length=1)
    models: tuple[str, ...] = ()
    provenance: Provenance


class LearningPoint(_Frozen):
    """One cross-county learning point with the evidence behind it."""

    id: str = Field(pattern=r"^lp-[a-z0-9]+(-[a-z0-9]+)*$")
    number: int = Field(ge=1)
    section: str
    title_nb: str = Field(min_length=1)
    text_nb: str = Field(min_length=1)
    provenance: Provenance
    evidence: tuple[CountyEvidence, ...] = Field(min_length=1)
    other_evidence: tuple[OtherEvidence, ...] = ()

    @property
    def label(self) -> str:
        """Row label: number and title."""
        return f"{self.number}. {self.title_nb}"


class LearningPoints(_Frozen):
    """The whole learning-points file."""

    version: Literal[1]
    provenance: Provenance
    sections: tuple[Section, ...] = Field(min_length=1)
    learning_points: tuple[LearningPoint, ...] = Field(min_length=1)


class Factor(_Frozen):
    """A factor category (Reeves et al.: contextual, relational, processual, organisational)."""

    id: str = Field(pattern=_PHASE_ID)
    label_nb: str = Field(min_length=1)
    description_nb: str = Field(min_length=1)
    provenance: Provenance


class FactorBasis(_Frozen):
    """Whether the report itself assigns the factor (explicit) or the evaluators did."""

    practices: Literal["explicit", "inferred"]
    barriers: Literal["explicit", "inferred"]


class FrameItem(_Frozen):
    """A practice (driver) or barrier of the coding frame."""

    id: str
    factor: str
    label_nb: str = Field(min_length=1)
    sub: str | None = None
    parent: str | None = None
    codes: tuple[str, ...] = ()
    origin: Literal["seed", "local"] = "seed"
    note_nb: str | None = None
    coding_note_nb: str | None = None
    provenance: Provenance

    @field_validator("codes")
    @classmethod
    def _slugs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.match(_SLUG, code):
                raise ValueError(
                    f"expected lower-case codes like 'felles-arbeidsgruppe' ({code!r})"
                )
        return value


class Phase(_Frozen):
    """A phase of the cooperation with its practices and barriers."""

    id: str = Field(pattern=_PHASE_ID)
    order: int = Field(ge=1)
    label_nb: str = Field(min_length=1)
    factor_basis: FactorBasis
    sub_phases: dict[str, str] = {}
    provenance: Provenance
    practices: tuple[FrameItem, ...] = ()
    barriers: tuple[FrameItem, ...] = ()

    def items(self, polarity: str) -> tuple[FrameItem, ...]:
        """Practices for ``"driver"``, barriers for ``"barrier"``."""
        return self.practices if polarity == "driver" else self.barriers


class CodingFrame(_Frozen):
    """The coding frame: factors and phases (validated and cross-checked on load)."""

    version: Literal[1]
    title_nb: str = Field(min_length=1)
    provenance: Provenance
    factors: tuple[Factor, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)

    def phase(self, phase_id: str) -> Phase:
        """The phase with ``phase_id``; KeyError if unknown."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        raise KeyError(phase_id)

    def factor_label(self, factor_id: str) -> str:
        """Norwegian label of a factor category."""
        return next(f.label_nb for f in self.factors if f.id == factor_id)

    def iter_items(self) -> Iterator[tuple[Phase, str, FrameItem]]:
        """Every (phase, polarity, item) in file order."""
        for phase in sorted(self.phases, key=lambda p: p.order):
            for polarity in ("driver", "barrier"):
                for item in phase.items(polarity):
                    yield phase, polarity, item

    def lookup(self, phase_id: str, polarity: str, code: str) -> FrameItem | None:
        """The item a segment (phase, polarity, code) is coded to, or None."""
        try:
            phase = self.phase(phase_id)
        except KeyError:
            return None
        if polarity not in POLARITY_NB:
            return None
        return next((i for i in phase.items(polarity) if code in i.codes), None)


# --------------------------------------------------------------------------- loading


def _read(path: str | Path | None, filename: str) -> tuple[str, Any]:
    """(name for messages, parsed YAML mapping) of a package definition file or a given path."""
    name = filename if path is None else Path(path).name
    return read_mapping(
        path, filename, package_dir="definitions", error=LearningDataError, name=name
    )


def _parse(schema: type[BaseModel], name: str, data: Any) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise LearningDataError(format_validation(name, exc, schema=schema)) from exc


def _fail(name: str, key: str, expected: str, got: object) -> LearningDataError:
    return LearningDataError(f"{name}: {key}: expected {expected} (got {got!r})")


def load_learning_points(
    path: str | Path | None = None, registry: Registry | None = None
) -> LearningPoints:
    """Load and validate the learning points (package file by default).

    Cross-checks: unique ids, numbers 1…n in file order, known sections, one entry per unit
    and point, and (with ``registry``, default the packaged one) known unit and model ids.

    Raises
    ------
    LearningDataError
        With the file, key path and what was expected.
    """
    name, data = _read(path, LEARNING_POINTS_FILE)
    parsed: LearningPoints = _parse(LearningPoints, name, data)
    registry = registry or load_registry()
    sections = {s.id for s in parsed.sections}
    for i, section in enumerate(parsed.sections):
        for j, model in enumerate(section.models):
            if model not in registry.models:
                raise _fail(name, f"sections[{i}].models[{j}]", "a model id", model)
    seen: set[str] = set()
    for i, point in enumerate(parsed.learning_points):
        key = f"learning_points[{i}]"
        if point.id in seen:
            raise _fail(name, f"{key}.id", "a unique id", point.id)
        seen.add(point.id)
        if point.number != i + 1:
            raise _fail(
                name, f"{key}.number", f"{i + 1} (numbers run 1…n in file order)", point.number
            )
        if point.section not in sections:
            raise _fail(name, f"{key}.section", f"one of {sorted(sections)}", point.section)
        units: set[str] = set()
        for j, ev in enumerate(point.evidence):
            if ev.unit not in registry.units:
                raise _fail(name, f"{key}.evidence[{j}].unit", "a unit id of the registry", ev.unit)
            if ev.unit in units:
                raise _fail(name, f"{key}.evidence[{j}].unit", "each unit once per point", ev.unit)
            units.add(ev.unit)
    return parsed


def _check_item(
    name: str, key: str, phase: Phase, polarity: str, item: FrameItem, factors: set[str]
) -> None:
    if item.factor not in factors:
        raise _fail(name, f"{key}.factor", f"one of {', '.join(sorted(factors))}", item.factor)
    local = item.origin == "local"
    tail = r"L\d+" if local else r"\d{2}[a-z]?"
    if polarity == "driver":
        pattern = rf"^{phase.id}\.{item.factor}\.{tail}$"
        shape = f"{phase.id}.{item.factor}.{'L1' if local else 'NN'}"
    else:
        pattern = rf"^B-{phase.id}\.{tail}$"
        shape = f"B-{phase.id}.{'L1' if local else 'NN'}"
    if not re.match(pattern, item.id):
        raise _fail(name, f"{key}.id", f"an id like {shape!r} (phase, factor, origin)", item.id)
    if local and not item.note_nb:
        raise _fail(name, f"{key}.note_nb", "a note saying why a local code is needed", None)
    if item.sub is not None and item.sub not in phase.sub_phases:
        raise _fail(name, f"{key}.sub", f"one of {sorted(phase.sub_phases)}", item.sub)


def load_coding_frame(path: str | Path | None = None) -> CodingFrame:
    """Load and validate the coding frame (package file by default, read once per process)."""
    if path is None and definitions_dir() is None:
        return _packaged_coding_frame()
    return _load_coding_frame(path)


@functools.cache
def _packaged_coding_frame() -> CodingFrame:
    return _load_coding_frame(None)


def _load_coding_frame(path: str | Path | None) -> CodingFrame:
    """Load and validate a coding frame file.

    Cross-checks: unique factor, phase and item ids; item ids shaped by phase, factor and
    origin; known factors, sub-phases and parents; local items carry a note; each code used by
    at most one practice and one barrier per phase.

    Raises
    ------
    LearningDataError
        With the file, key path and what was expected.
    """
    name, data = _read(path, CODING_FRAME_FILE)
    frame: CodingFrame = _parse(CodingFrame, name, data)
    factors = [f.id for f in frame.factors]
    if len(set(factors)) != len(factors):
        raise _fail(name, "factors", "unique factor ids", factors)
    phase_ids = [p.id for p in frame.phases]
    if len(set(phase_ids)) != len(phase_ids):
        raise _fail(name, "phases", "unique phase ids", phase_ids)
    orders = [p.order for p in frame.phases]
    if len(set(orders)) != len(orders):
        raise _fail(name, "phases", "unique phase orders", orders)
    seen: set[str] = set()
    for i, phase in enumerate(frame.phases):
        for polarity, list_key in (("driver", "practices"), ("barrier", "barriers")):
            items = phase.items(polarity)
            ids = {item.id for item in items}
            codes: dict[str, str] = {}
            for j, item in enumerate(items):
                key = f"phases[{i}].{list_key}[{j}]"
                if item.id in seen:
                    raise _fail(name, f"{key}.id", "an id used once in the frame", item.id)
                seen.add(item.id)
                _check_item(name, key, phase, polarity, item, set(factors))
                if item.parent is not None and (item.parent not in ids or item.parent == item.id):
                    raise _fail(name, f"{key}.parent", f"another id in {list_key}", item.parent)
                for k, code in enumerate(item.codes):
                    if code in codes:
                        raise _fail(
                            name,
                            f"{key}.codes[{k}]",
                            f"a code used by one {polarity} of phase {phase.id} "
                            f"(also used by {codes[code]})",
                            code,
                        )
                    codes[code] = item.id
    return frame


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class CodeProblem:
    """A coded segment whose phase, polarity or code is not in the coding frame."""

    segment_id: str
    phase: str
    code: str
    polarity: str
    message: str

    def __str__(self) -> str:
        return f"segments.csv: segment {self.segment_id}: {self.message}"


class UnknownCodeError(LearningDataError):
    """Coded segments use phases or codes the coding frame does not know."""

    def __init__(self, problems: list[CodeProblem]) -> None:
        self.problems = problems
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(
            f"{len(problems)} coded segment(s) do not match {CODING_FRAME_FILE}:\n  {lines}\n"
            "Add the code to an item's `codes` (or a new local item) in the coding frame, "
            "or correct the segment."
        )


def check_segments(segments: pd.DataFrame, frame: CodingFrame) -> list[CodeProblem]:
    """Every segment whose (phase, polarity, code) does not resolve in ``frame``.

    Each message says what was expected and, when it helps, where the code does exist.
    """
    phases = [p.id for p in sorted(frame.phases, key=lambda p: p.order)]
    where: dict[str, list[str]] = {}
    for phase, polarity, item in frame.iter_items():
        for code in item.codes:
            where.setdefault(code, []).append(f"{phase.id}/{polarity} ({item.id})")
    problems = []
    for _, row in segments.iterrows():
        sid, phase, code, pol = (str(row[c]) for c in ("segment_id", "phase", "code", "polarity"))
        if phase not in phases:
            msg = (
                f"phase {phase!r} is not in the coding frame (expected one of {', '.join(phases)})"
            )
        elif pol not in POLARITY_NB:
            msg = f"polarity {pol!r}: expected 'driver' or 'barrier'"
        elif frame.lookup(phase, pol, code) is None:
            msg = f"code {code!r} is not a {pol} code of phase {phase}"
            if code in where:
                msg += f"; it is coded under {', '.join(where[code])}"
            else:
                close = difflib.get_close_matches(code, list(where), n=2, cutoff=0.75)
                if close:
                    msg += f"; did you mean {', '.join(repr(c) for c in close)}?"
        else:
            continue
        problems.append(CodeProblem(sid, phase, code, pol, msg))
    return problems


def classify_segments(segments: pd.DataFrame, frame: CodingFrame) -> pd.DataFrame:
    """Segments with their frame item: phase order and label, factor, item id, label, origin.

    Raises
    ------
    UnknownCodeError
        Listing every segment that does not resolve (see :func:`check_segments`).
    """
    problems = check_segments(segments, frame)
    if problems:
        raise UnknownCodeError(problems)
    out = segments.copy()
    items = [
        frame.lookup(str(p), str(pol), str(c))
        for p, pol, c in zip(out["phase"], out["polarity"], out["code"], strict=True)
    ]
    out["phase_order"] = [frame.phase(str(p)).order for p in out["phase"]]
    out["phase_label"] = [frame.phase(str(p)).label_nb for p in out["phase"]]
    out["factor"] = [i.factor for i in items if i is not None]
    out["factor_label"] = [frame.factor_label(f) for f in out["factor"]]
    out["item_id"] = [i.id for i in items if i is not None]
    out["item_label"] = [i.label_nb for i in items if i is not None]
    out["origin"] = [i.origin for i in items if i is not None]
    return out


def _frame_rows(frame: CodingFrame) -> list[tuple[str, str]]:
    """(phase, factor) pairs that have at least one item, in phase and factor order."""
    factor_order = [f.id for f in frame.factors]
    rows = []
    for phase in sorted(frame.phases, key=lambda p: p.order):
        used = {i.factor for i in (*phase.practices, *phase.barriers)}
        rows += [(phase.id, f) for f in factor_order if f in used]
    return rows


def driver_barrier_counts(classified: pd.DataFrame, frame: CodingFrame) -> pd.DataFrame:
    """Coded segments per (phase, factor) × (unit, polarity), zeros included.

    Rows: every phase × factor pair the frame has items for (MultiIndex ``phase``,
    ``factor``). Columns: MultiIndex (``unit_id``, ``polarity``) for the units in
    ``classified``, in order of first appearance.
    """
    units = list(dict.fromkeys(classified["unit_id"]))
    rows = pd.MultiIndex.from_tuples(_frame_rows(frame), names=["phase", "factor"])
    cols = pd.MultiIndex.from_product([units, list(POLARITY_NB)], names=["unit_id", "polarity"])
    counts = (
        classified.groupby(["phase", "factor", "unit_id", "polarity"])
        .size()
        .unstack(["unit_id", "polarity"])
    )
    return counts.reindex(index=rows, columns=cols).fillna(0).astype(int)


def _cell(drivers: int, barriers: int) -> str:
    if drivers == 0 and barriers == 0:
        return NIL
    return f"{fmt_number(drivers)} / {fmt_number(barriers)}"


def driver_barrier_matrix(
    counts: pd.DataFrame, frame: CodingFrame, registry: Registry
) -> pd.DataFrame:
    """Display frame (all str): Fase, Faktor, one column per unit and ``Alle``; "d / b" cells."""
    units = list(dict.fromkeys(counts.columns.get_level_values("unit_id")))
    records = []
    for phase_id, factor in counts.index:
        row = {
            "Fase": frame.phase(phase_id).label_nb,
            "Faktor": frame.factor_label(factor),
        }
        total_d = total_b = 0
        for unit in units:
            d = int(counts.loc[(phase_id, factor), (unit, "driver")])
            b = int(counts.loc[(phase_id, factor), (unit, "barrier")])
            total_d, total_b = total_d + d, total_b + b
            row[registry.units[unit].name] = _cell(d, b)
        row["Alle"] = _cell(total_d, total_b)
        records.append(row)
    return pd.DataFrame(records, dtype=object)


# --------------------------------------------------------------------------- learning points


def _unit_columns(units: list[str], registry: Registry) -> list[str]:
    """Trial units first, then mother counties without a trial, then other units."""
    order = {u: i for i, u in enumerate(registry.units)}
    trial_units = set(registry.trial_units())
    mothers = {m.mother_unit for m in registry.models.values() if m.mother_unit}

    def key(unit: str) -> tuple[int, int]:
        role = 0 if unit in trial_units else 1 if unit in mothers else 2
        return role, order[unit]

    return sorted(units, key=key)


def evidence_frame(points: LearningPoints, registry: Registry) -> pd.DataFrame:
    """Long frame: one row per (learning point, unit) with kinds and direction.

    Rows from ``other_evidence`` have ``unit_id`` ``None`` and the column label
    :data:`OTHER_COLUMN`.
    """
    rows = []
    for point in points.learning_points:
        for ev in point.evidence:
            rows.append(
                {
                    "lp_id": point.id,
                    "number": point.number,
                    "label": point.label,
                    "section": point.section,
                    "unit_id": ev.unit,
                    "column": registry.units[ev.unit].name,
                    "kinds": ev.kinds,
                    "direction": ev.direction,
                }
            )
        if point.other_evidence:
            rows.append(
                {
                    "lp_id": point.id,
                    "number": point.number,
                    "label": point.label,
                    "section": point.section,
                    "unit_id": None,
                    "column": OTHER_COLUMN,
                    "kinds": tuple(dict.fromkeys(o.kind for o in point.other_evidence)),
                    "direction": None,
                }
            )
    return pd.DataFrame(rows)


def learning_point_matrix(points: LearningPoints, registry: Registry) -> pd.DataFrame:
    """Learning point (rows) × unit (columns) display frame, all str.

    A cell lists the kinds of evidence and, in brackets, the direction; an empty cell means
    the unit is not named for that point. The last column holds other sources.
    """
    long = evidence_frame(points, registry)
    units = _unit_columns([u for u in long["unit_id"].dropna().unique()], registry)
    columns = [registry.units[u].name for u in units]
    if long["unit_id"].isna().any():
        columns.append(OTHER_COLUMN)
    index = pd.Index([p.label for p in points.learning_points], name="Læringspunkt")
    matrix = pd.DataFrame("", index=index, columns=columns, dtype=object)
    for _, row in long.iterrows():
        kinds = ", ".join(EVIDENCE_KINDS[k] for k in row["kinds"])
        has_direction = isinstance(row["direction"], str)
        direction = f" ({DIRECTIONS_NB[row['direction']]})" if has_direction else ""
        matrix.loc[row["label"], row["column"]] = kinds[0].upper() + kinds[1:] + direction
    return matrix


# --------------------------------------------------------------------------- fidelity vs results


def fidelity_results_frame(
    registry: Registry,
    values: pd.DataFrame,
    config: disclosure.DisclosureConfig,
    plan: Any = None,
) -> pd.DataFrame:
    """One row per trial: adaptation counts by grade and its outcome indicators as text.

    Outcome indicators are those at :data:`OUTCOME_LEVELS` that are defined for the trial's
    model; values pass :func:`~coopstats.indicators.indicator_table_frame` (disclosure).
    Columns: trial_id, model_id, Modell, Fylke, Status, Kjerneelementer, Ingen, Mindre,
    Større, Ikke vurdert, Resultater. The plan items of the values shown are in
    ``frame.attrs["sdc_items"]`` (the table's disclosure metadata).
    """
    outcomes = values[
        (values["kind"] != "not_defined") & values["chain_level"].isin(OUTCOME_LEVELS)
    ]
    # only the values shown here: their plan items are the table's disclosure metadata
    shown = indicator_table_frame(outcomes, config, plan)
    rows = []
    model_order = {m: i for i, m in enumerate(registry.models)}
    trials = sorted(
        registry.trials.values(),
        key=lambda t: (model_order[t.model], t.period_start or date.min, t.id),
    )
    for trial in trials:
        model = registry.models[trial.model]
        grades = fidelity_grades(model, [trial], registry).iloc[:, 0]
        sel = outcomes[outcomes["trial_id"] == trial.id]
        level = {k: i for i, k in enumerate(OUTCOME_LEVELS)}
        sel = sel.sort_values("chain_level", key=lambda c: c.map(level), kind="stable")
        results = []
        for pos in sel.index:
            cell = shown.loc[pos]
            target = f" (mål: {cell['Mål']})" if cell["Mål"] else ""
            results.append(f"{cell['Indikator']}: {cell['Verdi']}{target}")
        rows.append(
            {
                "trial_id": trial.id,
                "model_id": model.id,
                "Modell": model.name,
                "Fylke": trial_label(registry, trial),
                "Status": STATUS_NB[trial.status],
                "Kjerneelementer": len(grades),
                "Ingen": int((grades == "none").sum()),
                "Mindre": int((grades == "minor").sum()),
                "Større": int((grades == "major").sum()),
                "Ikke vurdert": int(grades.isna().sum()),
                "Resultater": "; ".join(results) or "Ingen resultatindikatorer definert",
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["sdc_items"] = shown.attrs["sdc_items"]
    return out


# --------------------------------------------------------------------------- page


@dataclass
class LearningPage:
    """Everything the learning chapter needs, loaded once."""

    registry: Registry
    datasets: Datasets
    points: LearningPoints
    frame: CodingFrame
    segments: pd.DataFrame
    indicators: pd.DataFrame
    config: disclosure.DisclosureConfig


def load_page(
    data_dir: str | Path,
    *,
    min_count: int = 5,
    reproduce_published: bool = False,
    learning_points: str | Path | None = None,
    coding_frame: str | Path | None = None,
) -> LearningPage:
    """Load and validate everything; unknown segment codes raise :class:`UnknownCodeError`."""
    apply_house_style()
    registry = load_registry()
    datasets = load_datasets(Path(data_dir))
    points = load_learning_points(learning_points, registry)
    frame = load_coding_frame(coding_frame)
    segments = classify_segments(datasets.segments, frame)
    values = compute_indicators(load_indicators(), datasets, registry)
    config = disclosure.DisclosureConfig(
        min_count=min_count, reproduce_published=reproduce_published
    )
    return LearningPage(registry, datasets, points, frame, segments, values, config)


def _source_note(provenance: Provenance) -> str:
    return sources.cite_provenance(provenance)


def _figure(size: tuple[float, float, float, float], n_cols: float, n_rows: float) -> Figure:
    """A figure with an Agg canvas, ``size`` = (width base, per column, height base, per row)."""
    width = size[0] + size[1] * n_cols
    height = size[2] + size[3] * n_rows
    fig = Figure(figsize=(width, height), layout=FIGURE_STYLE["layout"])
    FigureCanvasAgg(fig)
    return fig


def _bare_grid(ax: Any) -> None:
    """No tick marks, grid lines or frame: the cells carry the content."""
    ax.tick_params(**FIGURE_STYLE["no_ticks"])
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)


def learning_point_table(page: LearningPage) -> tables.Table:
    """Learning point × county matrix with the kind of evidence in each cell."""
    matrix = learning_point_matrix(page.points, page.registry)
    kinds = ", ".join(EVIDENCE_KINDS.values())
    return tables.Table(
        title="Læringspunkter og fylkene de bygger på",
        frame=matrix,
        population=f"Læringspunktene i statusrapporten, N = {len(page.points.learning_points)}",
        source=_source_note(page.points.provenance),
        notes=[
            f"Cellene viser hva slags belegg fylket gir for læringspunktet ({kinds}).",
            "I parentes: positiv = fylket gjorde grepet, og det virket; negativ = fylket manglet "
            "grepet eller møtte problemet; blandet = begge deler. Tom celle = fylket er ikke "
            "nevnt for læringspunktet.",
            f"{OTHER_COLUMN} = litteratur og andre prosjekter enn forsøkene.",
        ],
    )


def learning_point_figure(page: LearningPage) -> Figure:
    """Grid of learning points × units: marker shape = direction, text = kinds of evidence."""
    apply_house_style()
    long = evidence_frame(page.points, page.registry)
    units = _unit_columns([u for u in long["unit_id"].dropna().unique()], page.registry)
    columns = [page.registry.units[u].name for u in units]
    if long["unit_id"].isna().any():
        columns.append(OTHER_COLUMN)
    labels = [p.label for p in page.points.learning_points]
    n_rows, n_cols = len(labels), len(columns)
    style = FIGURE_STYLE
    fig = _figure(style["lp_size"], n_cols, n_rows)
    ax = fig.add_subplot()
    col_pos = {c: i for i, c in enumerate(columns)}
    row_pos = {lab: i for i, lab in enumerate(labels)}
    for r in range(n_rows):
        if r % 2 == 0:
            ax.add_patch(Rectangle((-0.5, r - 0.5), n_cols, 1, **style["stripe"]))
    for _, row in long.iterrows():
        x, y = col_pos[row["column"]], row_pos[row["label"]]
        marker, colour = DIRECTION_STYLE.get(row["direction"], OTHER_STYLE)
        unit_key = row["unit_id"] if isinstance(row["unit_id"], str) else "other"
        ax.plot(
            [x + style["lp_marker_dx"]],
            [y],
            marker=marker,
            color=colour,
            gid=f"lp-{row['lp_id']}-{unit_key}",
            **style["marker"],
        )
        text = "+".join(EVIDENCE_ABBR[k] for k in row["kinds"])
        ax.text(x + style["lp_text_dx"], y, text, **style["lp_text"])
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels(
        [textwrap.fill(c, style["wrap_column"]) for c in columns], **style["tick_labels"]
    )
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels(
        [textwrap.fill(lab, style["wrap_point"]) for lab in labels], **style["tick_labels"]
    )
    _bare_grid(ax)
    handles = [
        Line2D(
            [],
            [],
            marker=m,
            color=c,
            label=f"{DIRECTIONS_NB[d].capitalize()} erfaring",
            **style["legend_marker"],
        )
        for d, (m, c) in DIRECTION_STYLE.items()
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker=OTHER_STYLE[0],
            color=OTHER_STYLE[1],
            label=OTHER_COLUMN,
            **style["legend_marker"],
        )
    )
    abbr = ", ".join(f"{EVIDENCE_ABBR[k]} = {v}" for k, v in EVIDENCE_KINDS.items())
    fig.legend(
        handles=handles,
        title=textwrap.fill(abbr, style["wrap_legend"]),
        **style["legend"],
        **style["lp_legend"],
    )
    fig.suptitle("Læringspunkter × fylker: type belegg og retning", **style["suptitle"])
    return fig


def learning_point_list(page: LearningPage) -> Markdown:
    """The learning points as a numbered Markdown list grouped by section (text from the data).

    The section names are bold lead-ins, not headings: an embedded output never brings its own
    heading level or the source report's section numbers into a report's outline (the report's
    own headings, numbered by Quarto, are the outline).
    """
    parts = []
    for section in page.points.sections:
        parts.append(f"**{section.title_nb}**")
        for point in page.points.learning_points:
            if point.section == section.id:
                parts.append(
                    f"{point.number}. **{point.title_nb}.** {' '.join(point.text_nb.split())}"
                )
    return Markdown("\n\n".join(parts))


def local_codes_table(page: LearningPage) -> tables.Table:
    """Local codes added to the seed 001 frame, with why and how many segments use them."""
    used = page.segments.groupby("item_id").size()
    rows = []
    for phase, polarity, item in page.frame.iter_items():
        if item.origin != "local":
            continue
        rows.append(
            {
                "Kode": item.id,
                "Fase": phase.label_nb,
                "Type": "Driver" if polarity == "driver" else "Barriere",
                "Betegnelse": item.label_nb,
                "Begrunnelse": " ".join((item.note_nb or "").split()),
                "Utsagn": fmt_number(int(used[item.id])) if item.id in used else NIL,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["Kode", "Fase", "Type", "Betegnelse", "Begrunnelse", "Utsagn"], dtype=object
    ).set_index("Kode")
    return tables.Table(
        title="Lokale koder i kodeverket",
        frame=frame,
        population=f"Lokale koder, N = {fmt_number(len(frame))}",
        source="Prosjektets kodeverk: koder lagt til kodeverket fra rapport 17/2022",
        notes=["Utsagn = antall kodede utsagn i datagrunnlaget med koden; - = ingen."],
    )


def driver_barrier_table(page: LearningPage) -> tables.Table:
    """Phase × factor × county matrix of coded drivers and barriers."""
    counts = driver_barrier_counts(page.segments, page.frame)
    matrix = driver_barrier_matrix(counts, page.frame, page.registry)
    n_local = int((page.segments["origin"] == "local").sum())
    return tables.Table(
        title="Drivere og barrierer etter fase, faktor og fylke",
        frame=matrix,
        population=f"Kodede utsagn, N = {fmt_number(len(page.segments))}",
        source="Kodede utsagn fra statusrapporten og delrapport 1 i datagrunnlag "
        f"{Path(page.datasets.directory).name}, kodet etter "
        f"kodeverket i {sources.cite('seed-001')}, kapittel 3–7",
        notes=[
            "Tall = antall kodede utsagn: drivere / barrierer. - = ingen utsagn.",
            "Tallene er utsagn, ikke personer eller fylker, og er ikke et mål på styrke.",
            f"{fmt_number(n_local)} utsagn er kodet med lokale koder som ikke finnes i "
            "rapport 17/2022 (se tabellen over lokale koder).",
            "Faktor for fase 2–6 og for barrierer er tildelt av evaluatorene (rapport 17/2022 "
            "bruker faktortypene eksplisitt bare for styring og koordinering).",
        ],
    )


def driver_barrier_figure(page: LearningPage) -> Figure:
    """Grid phase × factor rows by county columns; each cell has a driver and a barrier box."""
    apply_house_style()
    counts = driver_barrier_counts(page.segments, page.frame)
    counts = counts[counts.sum(axis=1) > 0]
    units = list(dict.fromkeys(counts.columns.get_level_values("unit_id")))
    rows = list(counts.index)
    labels = [
        f"{page.frame.phase(p).label_nb} – {page.frame.factor_label(f).split()[0].lower()}"
        for p, f in rows
    ]
    n_rows, n_cols = len(rows), len(units)
    style = FIGURE_STYLE
    fig = _figure(style["db_size"], n_cols, n_rows)
    ax = fig.add_subplot()
    box_w, box_h = style["db_box_width"], style["db_box_height"]
    alpha_base, alpha_step = style["db_alpha"]
    styles = {
        "driver": (PALETTE[2], HATCHES[1], "+"),
        "barrier": (PALETTE[5], HATCHES[3], "−"),
    }
    for r, key in enumerate(rows):
        for c, unit in enumerate(units):
            for k, polarity in enumerate(("driver", "barrier")):
                n = int(counts.loc[key, (unit, polarity)])
                colour, hatch, sign = styles[polarity]
                # driver box centred in the left half of the column, barrier in the right
                centre = c + (k - 0.5) / 2
                if n:
                    ax.add_patch(
                        Rectangle(
                            (centre - box_w / 2, r - box_h / 2),
                            box_w,
                            box_h,
                            facecolor=colour,
                            alpha=min(1.0, alpha_base + alpha_step * n),
                            hatch=hatch,
                            gid=f"db-{key[0]}-{key[1]}-{unit}-{polarity}",
                            **style["db_box_edge"],
                        )
                    )
                    ax.text(centre, r, f"{sign}{n}", **style["count_label"])
    for r in range(1, n_rows):
        if rows[r][0] != rows[r - 1][0]:
            ax.axhline(r - 0.5, **style["db_phase_rule"])
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels(
        [textwrap.fill(page.registry.units[u].name, style["wrap_column"]) for u in units],
        **style["tick_labels"],
    )
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels(labels, **style["small_tick_labels"])
    _bare_grid(ax)
    handles = [
        Patch(
            facecolor=styles[polarity][0],
            hatch=styles[polarity][1],
            label=label,
            **style["db_legend_patch"],
        )
        for polarity, label in (("driver", "+n drivere"), ("barrier", "−n barrierer"))
    ]
    fig.legend(handles=handles, **style["legend"], **style["db_legend"])
    fig.suptitle(
        "Drivere og barrierer etter fase og faktor (antall kodede utsagn; "
        "kombinasjoner uten utsagn er utelatt)",
        **style["db_suptitle"],
    )
    return fig


def fidelity_results_table(page: LearningPage) -> tables.Table:
    """Per trial: graded adaptations of the core elements beside its outcome indicators."""
    plan = publication.plan_for(page.datasets, page.config)
    frame = fidelity_results_frame(page.registry, page.indicators, page.config, plan)
    shown = frame.drop(columns=["trial_id", "model_id"]).astype(str)
    shown = shown.set_index("Modell")
    return tables.Table(
        title="Trofasthet mot kjerneelementene og resultater per forsøk",
        frame=shown,
        population=f"Alle forsøk i registeret, N = {fmt_number(len(frame))}",
        source="Evaluatorenes gradering av tilpasningene og indikatorer beregnet fra "
        f"datagrunnlag {Path(page.datasets.directory).name}",
        notes=[
            "Ingen/Mindre/Større = antall kjerneelementer med ingen, mindre eller større "
            "tilpasning; Ikke vurdert = elementer statusrapporten ikke omtaler.",
            "Resultater = indikatorer på nivåene aktiviteter, resultater og brukereffekter. "
            "ca. = omtrentlig; .. = ikke rapportert; : = skjult av personvernhensyn "
            f"(færre enn {page.config.min_count} personer).",
            "Sammenstillingen viser samvariasjon i et fåtall forsøk, ikke årsakssammenhenger.",
        ],
        stamp=page.config.stamp,
        disclosure=plan.metadata(frame.attrs["sdc_items"]),
    )


def fidelity_results_figure(page: LearningPage) -> Figure:
    """Stacked bars of graded core elements per trial, with the outcomes written beside them."""
    apply_house_style()
    plan = publication.plan_for(page.datasets, page.config)
    frame = fidelity_results_frame(page.registry, page.indicators, page.config, plan)
    grades = [("none", "Ingen"), ("minor", "Mindre"), ("major", "Større"), (None, "Ikke vurdert")]
    style = FIGURE_STYLE
    wrapped = [textwrap.fill(r, style["wrap_results"]) for r in frame["Resultater"]]
    min_row, per_line = style["fid_row"]
    ys, y = [], 0.0
    for text in wrapped:
        step = max(min_row, per_line * len(text.splitlines()))
        ys.append(y + step / 2)
        y += step
    fig = _figure(style["fid_size"], 0, y)
    ax, notes = fig.subplots(1, 2, sharey=True, **style["fid_panels"])
    bar_h = style["fid_bar_height"]
    width = max(int(frame["Kjerneelementer"].max()), 1)
    for yc, (_, row) in zip(ys, frame.iterrows(), strict=True):
        left = 0
        for grade, column in grades:
            n = int(row[column])
            if not n:
                continue
            fill, hatch, _ = GRADE_STYLE[grade]
            ax.add_patch(
                Rectangle(
                    (left, yc - bar_h / 2),
                    n,
                    bar_h,
                    facecolor=fill,
                    hatch=hatch,
                    gid=f"fid-{row['trial_id']}-{grade or 'unassessed'}",
                    **style["fid_edge"],
                )
            )
            ax.text(left + n / 2, yc, str(n), **style["count_label"])
            left += n
    for yc, text in zip(ys, wrapped, strict=True):
        notes.text(0.0, yc, text, **style["fid_notes_text"])
    ax.set_xlim(0, width)
    ax.set_ylim(y, 0)
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [
            textwrap.fill(f"{m}: {f}", style["wrap_trial"])
            for m, f in zip(frame["Modell"], frame["Fylke"], strict=True)
        ],
        **style["tick_labels"],
    )
    ax.set_xlabel("Antall kjerneelementer")
    ax.tick_params(axis="y", **style["no_ticks"])
    notes.set_axis_off()
    notes.set_title("Resultatindikatorer", loc="left", **style["fid_notes_title"])
    handles = [
        Patch(
            facecolor=GRADE_STYLE[g][0],
            hatch=GRADE_STYLE[g][1],
            label=GRADE_LABELS[g],
            **style["fid_legend_patch"],
        )
        for g, _ in grades
    ]
    fig.legend(handles=handles, **style["legend"], **style["fid_legend"])
    fig.suptitle("Trofasthet mot kjerneelementene og resultater per forsøk", **style["suptitle"])
    return fig
