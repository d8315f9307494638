"""Disclosure control for counts and shares computed from person-level data.

The rules (see ``docs/disclosure.md``):

1. **Primary suppression.** An interior cell with ``1 <= count < min_count`` is hidden. Zero is
   not small (SSB shows it as ``-``).
2. **Margins from true counts.** Row and column totals are computed from the true counts, never
   from the visible cells. A margin cell that is itself small is hidden too.
3. **Secondary suppression.** The table with margins is an additive system: every row and every
   column (including the total row and the total column) says "interior cells add up to the
   margin". Until nothing changes, in every such line: no line has exactly one hidden cell, and
   when the line's margin is visible the hidden interior cells add up to at least ``min_count``
   (or everything in the line is hidden). The cell hidden next is the smallest non-zero visible
   cell of the line (ties: interior before margin, then table order).
4. **Audit.** A linear program (:func:`scipy.optimize.linprog`) bounds every hidden cell given
   everything published. A hidden cell whose value is pinned (interval narrower than one) gets
   a cheap rectangle of further hidden cells, and rule 3 runs again.
5. **One mask per population.** Hidden cells are remembered in a :class:`MaskRegistry` under a
   population id; a later table of the same population hides them too.
6. **Shares** use the same mask, and are also hidden when their denominator is small or hidden.

``DisclosureConfig(reproduce_published=True)`` turns all of this off, visibly: tables then carry
:attr:`DisclosureConfig.stamp`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from coopstats.formatting import HIDDEN, NIL, NOT_APPLICABLE, fmt_number, fmt_percent, is_missing

__all__ = [
    "DisclosureConfig",
    "MaskRegistry",
    "Protected",
    "is_small",
    "protect",
    "protect_share",
]

Cell = tuple[str, str]
ShareAxis = Literal["row", "column", "total"]
_Pos = tuple[int, int]

STAMP_TEXT = "Gjengir publiserte tall uten skjerming av små celler (reproduce_published)"


@dataclass(frozen=True)
class DisclosureConfig:
    """Settings of the disclosure layer.

    ``min_count``: smallest count that may be shown (``1`` hides nothing). ``reproduce_published``:
    show every cell, as the published reports did; tables then carry :attr:`stamp`.
    """

    min_count: int = 5
    reproduce_published: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int | np.integer):
            raise ValueError(f"min_count must be an integer >= 1, got {self.min_count!r}")
        if self.min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {self.min_count}")

    @property
    def stamp(self) -> str | None:
        """Norwegian stamp for outputs made with ``reproduce_published``, else ``None``."""
        return STAMP_TEXT if self.reproduce_published else None


def is_small(count: object, config: DisclosureConfig) -> bool:
    """True when ``1 <= count < min_count`` (never with ``reproduce_published``; 0 is not small)."""
    if config.reproduce_published or is_missing(count):
        return False
    return bool(1 <= count < config.min_count)  # type: ignore[operator]


def protect_share(numerator: object, denominator: object, config: DisclosureConfig) -> bool:
    """True when a share ``numerator / denominator`` must be hidden.

    Hidden when the numerator, the denominator or the complement ``denominator - numerator`` is
    small (the complement would reveal a small group just as well).
    """
    if is_small(numerator, config) or is_small(denominator, config):
        return True
    if is_missing(numerator) or is_missing(denominator):
        return False
    return is_small(denominator - numerator, config)  # type: ignore[operator]


class MaskRegistry:
    """Hidden cells per population id, so that all tables of one population share one mask."""

    def __init__(self) -> None:
        self._cells: dict[str, set[Cell]] = {}

    def hidden(self, population_id: str) -> set[Cell]:
        """A copy of the cells hidden so far for ``population_id`` (empty if unknown)."""
        return set(self._cells.get(population_id, set()))

    def add(self, population_id: str, cells: Iterable[tuple[object, object]]) -> None:
        """Remember ``cells`` (``(row_label, column_label)``, stored as strings) as hidden."""
        self._cells.setdefault(population_id, set()).update((str(r), str(c)) for r, c in cells)

    def populations(self) -> list[str]:
        """Population ids with a mask, sorted."""
        return sorted(self._cells)

    def __repr__(self) -> str:
        sizes = {k: len(v) for k, v in sorted(self._cells.items())}
        return f"MaskRegistry({sizes})"


@dataclass
class Protected:
    """A count table with margins (true counts) and the cells to hide.

    ``counts`` and ``hidden`` have the same string labels; margins are labelled ``total_label``.
    """

    counts: pd.DataFrame
    hidden: pd.DataFrame
    config: DisclosureConfig
    total_label: str = "I alt"
    row_total: bool = True
    column_total: bool = True

    def display(self) -> pd.DataFrame:
        """Display strings: Norwegian numbers, ``:`` for hidden cells, ``-`` for true zeros."""
        values = self.counts.to_numpy()
        hidden = self.hidden.to_numpy()
        out = np.empty(values.shape, dtype=object)
        for (i, j), value in np.ndenumerate(values):
            if hidden[i, j]:
                out[i, j] = HIDDEN
            elif value == 0:
                out[i, j] = NIL
            else:
                out[i, j] = fmt_number(int(value))
        return pd.DataFrame(out, index=self.counts.index, columns=self.counts.columns, dtype=object)

    def shares(self, axis: ShareAxis = "row", decimals: int = 0) -> pd.DataFrame:
        """Percentages of the line total (``row``/``column``) or of the grand total (``total``).

        A share is hidden (``:``) where the count is hidden, and in the whole line where the
        denominator is small or hidden. A true zero count gives ``-``, a zero denominator ``.``.
        The margin the shares refer to must be part of the table (``row`` needs the total
        column, ``column`` the total row, ``total`` both).
        """
        if axis not in ("row", "column", "total"):
            raise ValueError(f"axis must be 'row', 'column' or 'total', got {axis!r}")
        needs_row = axis in ("row", "total")
        needs_col = axis in ("column", "total")
        if (needs_row and not self.row_total) or (needs_col and not self.column_total):
            raise ValueError(f"shares(axis={axis!r}) needs the margin it divides by in the table")
        values = self.counts.to_numpy()
        hidden = self.hidden.to_numpy()
        n_rows, n_cols = values.shape
        out = np.empty(values.shape, dtype=object)
        for i in range(n_rows):
            for j in range(n_cols):
                if axis == "row":
                    den_pos = (i, n_cols - 1)
                elif axis == "column":
                    den_pos = (n_rows - 1, j)
                else:
                    den_pos = (n_rows - 1, n_cols - 1)
                den = int(values[den_pos])
                num = int(values[i, j])
                if hidden[i, j] or hidden[den_pos] or is_small(den, self.config):
                    out[i, j] = HIDDEN
                elif den == 0:
                    out[i, j] = NOT_APPLICABLE
                elif num == 0:
                    out[i, j] = NIL
                else:
                    out[i, j] = fmt_percent(Decimal(num) / Decimal(den), decimals)
        return pd.DataFrame(out, index=self.counts.index, columns=self.counts.columns, dtype=object)

    def hidden_cells(self) -> list[Cell]:
        """Hidden cells as ``(row_label, column_label)``, in table order."""
        rows, cols = np.nonzero(self.hidden.to_numpy())
        labels = zip(rows, cols, strict=True)
        return [(self.hidden.index[i], self.hidden.columns[j]) for i, j in labels]


@dataclass(frozen=True)
class _Line:
    """One additive relation of the table: ``sum(interior) == total``."""

    interior: tuple[_Pos, ...]
    total: _Pos

    @property
    def cells(self) -> tuple[_Pos, ...]:
        return (*self.interior, self.total)


def _lines(n_rows: int, n_cols: int, row_total: bool, column_total: bool) -> list[_Line]:
    """Additive lines of a table with ``n_rows`` x ``n_cols`` cells *including* margins."""
    lines: list[_Line] = []
    if row_total:  # every row (also the total row) sums to its entry in the total column
        last = n_cols - 1
        lines += [_Line(tuple((i, j) for j in range(last)), (i, last)) for i in range(n_rows)]
    if column_total:
        last = n_rows - 1
        lines += [_Line(tuple((i, j) for i in range(last)), (last, j)) for j in range(n_cols)]
    return lines


def _needs_more(line: _Line, values: np.ndarray, hidden: np.ndarray, min_count: int) -> bool:
    n_hidden = sum(bool(hidden[p]) for p in line.cells)
    if n_hidden == 0 or n_hidden == len(line.cells):
        return False
    if n_hidden == 1:
        return True
    if not hidden[line.total]:
        hidden_sum = sum(int(values[p]) for p in line.interior if hidden[p])
        return hidden_sum < min_count
    return False


def _choice_key(p: _Pos, values: np.ndarray, margins: np.ndarray) -> tuple:
    value = int(values[p])
    return (value == 0, value, bool(margins[p]), p)


def _secondary(
    values: np.ndarray, hidden: np.ndarray, margins: np.ndarray, lines: list[_Line], min_count: int
) -> None:
    """Apply the line rules (in place) until no line changes."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            while _needs_more(line, values, hidden, min_count):
                visible = [p for p in line.cells if not hidden[p]]
                hidden[min(visible, key=lambda p: _choice_key(p, values, margins))] = True
                changed = True


def _pinned(values: np.ndarray, hidden: np.ndarray, lines: list[_Line]) -> list[_Pos]:
    """Hidden cells whose value follows (to within less than one) from the published cells."""
    unknown = [tuple(int(k) for k in p) for p in np.argwhere(hidden)]
    if not unknown:
        return []
    index = {p: k for k, p in enumerate(unknown)}
    a_eq: list[np.ndarray] = []
    b_eq: list[float] = []
    for line in lines:
        if not any(hidden[p] for p in line.cells):
            continue
        row = np.zeros(len(unknown))
        rhs = 0.0
        for p in line.interior:
            if hidden[p]:
                row[index[p]] += 1.0
            else:
                rhs -= float(values[p])
        if hidden[line.total]:
            row[index[line.total]] -= 1.0
        else:
            rhs += float(values[line.total])
        a_eq.append(row)
        b_eq.append(rhs)
    if not a_eq:
        return []
    a = np.vstack(a_eq)
    b = np.array(b_eq)
    pinned: list[_Pos] = []
    for p in unknown:
        true = float(values[p])
        for sign in (-1.0, 1.0):  # maximise first: often unbounded, which settles the cell
            c = np.zeros(len(unknown))
            c[index[p]] = sign
            res = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded
                break
            if res.status != 0:
                raise RuntimeError(f"disclosure audit failed: {res.message}")
            if abs(float(res.x[index[p]]) - true) >= 0.5:
                break
        else:
            pinned.append(p)
    return pinned


def _unpin(
    p: _Pos, values: np.ndarray, hidden: np.ndarray, margins: np.ndarray, full: bool
) -> bool:
    """Hide more cells so that ``p`` lies on a rectangle of hidden cells. False if impossible."""
    n_rows, n_cols = values.shape
    i, j = p
    best: tuple | None = None
    best_cells: list[_Pos] = []
    if full:
        for k in range(n_rows):
            for m in range(n_cols):
                if k == i or m == j:
                    continue
                new = [q for q in ((i, m), (k, m), (k, j)) if not hidden[q]]
                if not new:
                    continue
                key = (
                    sum(int(values[q]) == 0 for q in new),
                    sum(int(values[q]) for q in new),
                    len(new),
                    (k, m),
                )
                if best is None or key < best:
                    best, best_cells = key, new
    if not best_cells:  # no rectangle: hide the cheapest visible cell of the table
        visible = [tuple(int(x) for x in q) for q in np.argwhere(~hidden)]
        if not visible:
            return False
        best_cells = [min(visible, key=lambda q: _choice_key(q, values, margins))]
    for q in best_cells:
        hidden[q] = True
    return True


def _as_counts(counts: pd.DataFrame) -> np.ndarray:
    if not isinstance(counts, pd.DataFrame):
        raise TypeError("counts must be a pandas DataFrame")
    if counts.shape[0] == 0 or counts.shape[1] == 0:
        raise ValueError("counts must have at least one row and one column")
    try:
        raw = counts.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError("counts must be numeric") from exc
    if np.isnan(raw).any():
        raise ValueError("counts must not contain missing values")
    if (raw < 0).any() or (raw != np.round(raw)).any():
        raise ValueError("counts must be non-negative integers")
    return raw.astype(np.int64)


def _labels(labels: pd.Index, total_label: str, what: str) -> list[str]:
    out = [str(x) for x in labels]
    if len(set(out)) != len(out):
        raise ValueError(f"{what} labels must be unique as strings: {out}")
    if total_label in out:
        raise ValueError(f"{what} label {total_label!r} clashes with the total label")
    return out


def protect(
    counts: pd.DataFrame,
    config: DisclosureConfig,
    *,
    population_id: str | None = None,
    masks: MaskRegistry | None = None,
    row_total: bool = True,
    column_total: bool = True,
    total_label: str = "I alt",
) -> Protected:
    """Add margins to ``counts`` and decide which cells to hide.

    ``counts`` holds non-negative integers, rows x columns, without margins. ``row_total`` adds
    a total column (each row's sum), ``column_total`` a total row (each column's sum); with both,
    the corner holds the grand total. Labels become strings. See the module docstring for the
    rules. When ``masks`` and ``population_id`` are given, cells already hidden for the
    population are hidden here too, and this table's hidden cells are added to the registry.
    """
    interior = _as_counts(counts)
    row_labels = _labels(counts.index, total_label, "row")
    col_labels = _labels(counts.columns, total_label, "column")
    values = interior
    if row_total:
        values = np.column_stack([values, values.sum(axis=1)])
        col_labels.append(total_label)
    if column_total:
        values = np.vstack([values, values.sum(axis=0)])
        row_labels.append(total_label)
    n_rows, n_cols = values.shape
    margins = np.zeros(values.shape, dtype=bool)
    if row_total:
        margins[:, -1] = True
    if column_total:
        margins[-1, :] = True

    hidden = np.zeros(values.shape, dtype=bool)
    if not config.reproduce_published:
        small = (values >= 1) & (values < config.min_count)
        hidden |= small
        if masks is not None and population_id is not None:
            known = masks.hidden(population_id)
            for i, r in enumerate(row_labels):
                for j, c in enumerate(col_labels):
                    if (r, c) in known:
                        hidden[i, j] = True
        lines = _lines(n_rows, n_cols, row_total, column_total)
        full = row_total and column_total
        while True:
            _secondary(values, hidden, margins, lines, config.min_count)
            pinned = _pinned(values, hidden, lines)
            if not pinned or not _unpin(pinned[0], values, hidden, margins, full):
                break

    index = pd.Index(row_labels, name=counts.index.name, dtype=object)
    columns = pd.Index(col_labels, name=counts.columns.name, dtype=object)
    result = Protected(
        counts=pd.DataFrame(values, index=index, columns=columns),
        hidden=pd.DataFrame(hidden, index=index, columns=columns),
        config=config,
        total_label=total_label,
        row_total=row_total,
        column_total=column_total,
    )
    if masks is not None and population_id is not None and not config.reproduce_published:
        masks.add(population_id, result.hidden_cells())
    return result
