"""Linked-table disclosure control: one protected system per population, audited by an ILP.

A *population* (for example every participant in a delivery) is published through many tables,
pages, notes and value boxes. This module treats all of them as one system:

* A **cell** is identified by its *key*: the population's variables and codes it is about, for
  example ``(("unit", "nav-oslo"), ("gender", "K"))``. The empty key is the population total.
  Two figures with the same key are the same number, on whatever page they appear.
* A **table** is a tuple of variables. It publishes (or could publish) every cell over any subset
  of its variables, so it implies the additive relations ``cell(S) = sum_k cell(S + {x: k})``
  over every code ``k`` of a variable ``x`` (each variable lists *all* its codes, a code for
  "missing" included). Tables sharing variables share their margins: that is what links them.
* An **item** is one published figure: a *count* of a cell (also an N in a label, a heading or
  a note) or a *share* of a cell over a denominator (a signed sum of cells), rounded.

What a reader learns from an item (the attacker model of ``docs/disclosure.md``): a shown count
is exact; a shown share gives the rounding interval of numerator/denominator; ``-`` means zero;
``:`` means hidden and at least one (zeros are never hidden); a cell never shown is only bound by
the additive relations and non-negativity. :func:`audit` solves, with an integer program per
cell (:func:`scipy.optimize.milp`), the smallest and largest value every hidden or unpublished
cell can take given all of that, and reports

* a hidden cell whose interval is narrower than two (``max - min < 2``) or whose maximum is below
  the threshold (provably small), and
* a cell never shown that is provably small (``1 <= min`` and ``max < min_count``).

:func:`protect` hides every small cell (``1 <= value < min_count``), then adds the cheapest
further cells until :func:`audit` finds nothing, and finally shows again every extra cell that
is not needed (largest first), so that no single extra cell could be shown without a failure.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations, product
from pathlib import Path
from typing import Any, Literal

import highspy
import numpy as np
import pandas as pd

__all__ = [
    "MIME_TYPE",
    "Failure",
    "Fact",
    "Item",
    "Key",
    "System",
    "audit",
    "audit_facts",
    "facts_for",
    "make_key",
    "protect",
]

#: MIME type of the machine-readable disclosure metadata written beside every output.
MIME_TYPE = "application/vnd.coopstats.sdc+json"

Key = tuple[tuple[str, str], ...]
Shown = Literal["count", "share", "hidden", "nil", "undefined"]
_BIG = 10**7  # upper bound for unknown cells (no population is this large)
_OPTIMAL = highspy.HighsModelStatus.kOptimal


def make_key(mapping: Mapping[str, object] | Iterable[tuple[str, object]] = ()) -> Key:
    """A cell key from ``{variable: code}`` (or pairs), sorted by variable, codes as strings."""
    pairs = mapping.items() if isinstance(mapping, Mapping) else mapping
    out = tuple(sorted((str(v), str(c)) for v, c in pairs))
    if len({v for v, _ in out}) != len(out):
        raise ValueError(f"a cell key names a variable twice: {out}")
    return out


def key_text(key: Key) -> str:
    """Readable key: ``unit=nav-oslo, gender=K`` (``I alt`` for the population total)."""
    return ", ".join(f"{v}={c}" for v, c in key) or "I alt"


@dataclass(frozen=True)
class Item:
    """One published figure: a count of ``cell`` or a share ``cell / sum(coef * den cell)``."""

    cell: Key
    kind: Literal["count", "share"] = "count"
    den: tuple[tuple[int, Key], ...] = ()
    decimals: int = 0

    def cells(self) -> tuple[Key, ...]:
        return (self.cell, *(k for _, k in self.den))


@dataclass(frozen=True)
class Fact:
    """What a reader sees of one item: ``shown`` and, for counts and shares, the number.

    ``value`` is the count (``count``) or the percentage times ``10**decimals`` (``share``).
    """

    item: Item
    shown: Shown
    value: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cell": [list(p) for p in self.item.cell], "shown": self.shown}
        if self.item.kind == "share":
            out["den"] = [[c, [list(p) for p in k]] for c, k in self.item.den]
            out["decimals"] = self.item.decimals
        if self.value is not None:
            out["value"] = self.value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fact:
        cell = make_key(tuple(p) for p in data["cell"])
        if "den" in data:
            den = tuple((int(c), make_key(tuple(p) for p in k)) for c, k in data["den"])
            item = Item(cell, "share", den, int(data.get("decimals", 0)))
        else:
            item = Item(cell)
        value = data.get("value")
        return cls(item, data["shown"], None if value is None else int(value))


def _highs() -> highspy.Highs:
    """A silent HiGHS instance (the first one in a process prints a banner on file 1)."""
    global _BANNER_DONE
    if not _BANNER_DONE:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_DONE = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


_BANNER_DONE = False


def _share_code(num: int, den: int, decimals: int) -> int:
    """Percentage of ``num / den`` rounded half up, times ``10**decimals`` (an integer)."""
    q = Decimal(100 * num) / Decimal(den)
    return int(q.scaleb(decimals).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- the system


@dataclass
class System:
    """A population: its variables and codes, published tables, true counts and items.

    ``values`` holds the true count of every cell of every table (the protector's knowledge; it
    is never written anywhere). ``items`` are every figure the build publishes about the
    population, on any page.
    """

    population: str
    codes: dict[str, tuple[str, ...]]
    tables: list[tuple[str, ...]]
    values: dict[Key, int]
    items: list[Item] = field(default_factory=list)

    @classmethod
    def from_microdata(
        cls,
        population: str,
        frame: pd.DataFrame,
        codes: Mapping[str, Sequence[str]],
        tables: Iterable[Sequence[str]],
    ) -> System:
        """Count every cell of every table from person-level ``frame`` (one row per person).

        ``frame`` has one string column per variable; every value must be one of the
        variable's ``codes`` (a missing value needs its own code).
        """
        codes = {str(v): tuple(str(c) for c in cs) for v, cs in codes.items()}
        tabs: list[tuple[str, ...]] = []
        for t in tables:
            t = tuple(sorted(str(v) for v in t))
            unknown = [v for v in t if v not in codes]
            if unknown:
                raise ValueError(f"{population}: table {t} uses variables without codes {unknown}")
            if t not in tabs:
                tabs.append(t)
        for var in {v for t in tabs for v in t}:
            if var not in frame.columns:
                raise ValueError(f"{population}: no column for variable {var!r}")
            bad = set(frame[var].astype(str)) - set(codes[var])
            if bad:
                raise ValueError(f"{population}: {var} has values {sorted(bad)} outside its codes")
        values: dict[Key, int] = {}
        for t in tabs:
            for r in range(len(t) + 1):
                for sub in combinations(t, r):
                    if not sub:
                        values[()] = len(frame)
                        continue
                    counts = frame.groupby(list(sub), observed=True).size()
                    for combo in product(*(codes[v] for v in sub)):
                        k = make_key(zip(sub, combo, strict=True))
                        if k in values:
                            continue
                        idx = combo if len(sub) > 1 else combo[0]
                        values[k] = int(counts.get(idx, 0))
        return cls(population, codes, tabs, values)

    def value(self, key: Key) -> int:
        """True count of a cell of one of the tables (``KeyError`` if no table has it)."""
        return self.values[key]

    def add(self, items: Iterable[Item]) -> None:
        """Plan ``items`` for publication (every cell must belong to a table)."""
        for it in items:
            for k in it.cells():
                if k not in self.values:
                    raise KeyError(f"{self.population}: no table has the cell {key_text(k)}")
            if it not in self._item_set:
                self._item_set.add(it)
                self.items.append(it)

    def __post_init__(self) -> None:
        self._item_set: set[Item] = set(self.items)

    def published_cells(self) -> set[Key]:
        """Cells that appear in some item (as numerator or count)."""
        return {it.cell for it in self.items}


def facts_for(items: Iterable[Item], values: Mapping[Key, int], hidden: set[Key]) -> list[Fact]:
    """What a reader sees of ``items`` when ``hidden`` cells are hidden.

    A count shows ``:`` when its cell is hidden, ``-`` when it is zero. A share shows ``:`` when
    its numerator is hidden, ``-`` when the numerator is zero, ``.`` when the denominator is zero.
    Zeros are never hidden, so ``:`` always stands for at least one.
    """
    out = []
    for it in items:
        num = values[it.cell]
        if it.cell in hidden and num > 0:
            out.append(Fact(it, "hidden"))
        elif it.kind == "count":
            out.append(Fact(it, "nil") if num == 0 else Fact(it, "count", num))
        else:
            den = sum(c * values[k] for c, k in it.den)
            if den <= 0:
                out.append(Fact(it, "undefined"))
            elif num == 0:
                out.append(Fact(it, "nil"))
            else:
                out.append(Fact(it, "share", _share_code(num, den, it.decimals)))
    return out


# --------------------------------------------------------------------------- the audit


@dataclass(frozen=True)
class Failure:
    """A cell a reader can pin down or prove small: its feasible interval ``low..high``."""

    population: str
    cell: Key
    low: float
    high: float
    reason: str

    def describe(self) -> str:
        high = "∞" if math.isinf(self.high) else f"{self.high:g}"
        return (
            f"{self.population}: {key_text(self.cell)} ligger mellom {self.low:g} og {high} "
            f"({self.reason})"
        )


def _relations(
    codes: Mapping[str, Sequence[str]], cells: Iterable[Key]
) -> list[tuple[Key, list[Key]]]:
    """Additive relations ``parent = sum(children)`` of every table the cells belong to.

    A table is a maximal set of variables that some cell is about; every cell over a subset of
    its variables exists (published or not), and each is the sum of its children over every
    code of each further variable of the table.
    """
    var_sets = {tuple(v for v, _ in k) for k in cells}
    tables = [t for t in var_sets if not any(set(t) < set(o) for o in var_sets)]
    seen: set[tuple[Key, str]] = set()
    out = []
    for t in sorted(tables):
        for r in range(len(t)):
            for sub in combinations(t, r):
                rest = [x for x in t if x not in sub]
                for combo in product(*(codes[v] for v in sub)):
                    parent = tuple(zip(sub, combo, strict=True))
                    for x in rest:
                        if (parent, x) in seen:
                            continue
                        seen.add((parent, x))
                        out.append((parent, [make_key((*parent, (x, c))) for c in codes[x]]))
    return out


class _Program:
    """The attacker's integer program over all facts about one population."""

    def __init__(
        self,
        codes: Mapping[str, Sequence[str]],
        facts: Sequence[Fact],
        relations: list[tuple[Key, list[Key]]] | None = None,
    ) -> None:
        cells: set[Key] = set()
        for f in facts:
            cells.update(f.item.cells())
        if relations is None:
            relations = _relations(codes, cells)
        for parent, children in relations:
            cells.add(parent)
            cells.update(children)
        self.keys = sorted(cells)
        self.index = {k: i for i, k in enumerate(self.keys)}
        n = len(self.keys)
        lo = np.zeros(n)
        hi = np.full(n, float(_BIG))
        self.hidden: set[Key] = set()
        rows: list[dict[int, float]] = []
        lb: list[float] = []
        ub: list[float] = []
        for parent, children in relations:
            row: dict[int, float] = defaultdict(float)
            row[self.index[parent]] += 1.0
            for c in children:
                row[self.index[c]] -= 1.0
            rows.append(row)
            lb.append(0.0)
            ub.append(0.0)
        for f in facts:
            i = self.index[f.item.cell]
            if f.shown == "count":
                lo[i] = max(lo[i], f.value)
                hi[i] = min(hi[i], f.value)
            elif f.shown == "nil":
                hi[i] = 0.0
            elif f.shown == "hidden":
                lo[i] = max(lo[i], 1.0)
                self.hidden.add(f.item.cell)
            elif f.shown in ("share", "undefined"):
                row = defaultdict(float)
                for c, k in f.item.den:
                    row[self.index[k]] += c
                if f.shown == "undefined":
                    rows.append(row)
                    lb.append(-np.inf)
                    ub.append(0.0)
                    continue
                lo[i] = max(lo[i], 1.0)  # a zero numerator shows "-", not a share
                scale = 200 * 10**f.item.decimals
                p = int(f.value)
                # (2p - 1) * den <= scale * num <= (2p + 1) * den - 1  (round half up, integers)
                low_row: dict[int, float] = defaultdict(float)
                high_row: dict[int, float] = defaultdict(float)
                low_row[i] += scale
                high_row[i] += scale
                for j, c in row.items():
                    low_row[j] -= (2 * p - 1) * c
                    high_row[j] -= (2 * p + 1) * c
                rows += [low_row, high_row]
                lb += [0.0, -np.inf]
                ub += [np.inf, -1.0]
        # bounds that follow from non-negativity: a child is at most its parent, a parent at
        # most the sum of its children's bounds (fixes known zeros, cuts the components)
        changed = True
        while changed:
            changed = False
            for parent, children in relations:
                p = self.index[parent]
                idx = [self.index[c] for c in children]
                for c in idx:
                    if hi[c] > hi[p]:
                        hi[c] = hi[p]
                        changed = True
                total = sum(hi[c] for c in idx)
                if total < hi[p]:
                    hi[p] = total
                    changed = True
                rest_lo = sum(lo[c] for c in idx)
                if rest_lo > lo[p]:
                    lo[p] = rest_lo
                    changed = True
        if (lo > hi).any():
            raise RuntimeError("disclosure audit: the published facts contradict each other")
        self.lo, self.hi = lo, hi
        self.rows, self.lb, self.ub = rows, np.array(lb), np.array(ub)
        self._components()

    def _components(self) -> None:
        """Group the free variables that constraints link (fixed variables cut the links)."""
        n = len(self.keys)
        parent = list(range(n))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        free = self.lo < self.hi
        for row in self.rows:
            vs = [j for j, c in row.items() if c != 0 and free[j]]
            for a, b in zip(vs, vs[1:], strict=False):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[ra] = rb
        groups: dict[int, list[int]] = defaultdict(list)
        for j in range(n):
            if free[j]:
                groups[find(j)].append(j)
        self.component = {j: find(j) for j in range(n) if free[j]}
        self.members = groups
        self._row_of: dict[int, list[int]] = defaultdict(list)
        for r, row in enumerate(self.rows):
            comps = {self.component[j] for j, c in row.items() if c != 0 and free[j]}
            for comp in comps:
                self._row_of[comp].append(r)
        self._cache: dict[int, tuple] = {}

    def _model(self, comp: int) -> tuple[highspy.Highs, dict[int, int]]:
        """A HiGHS model of one component, built once and re-solved with other objectives."""
        if comp not in self._cache:
            cols = self.members[comp]
            pos = {j: p for p, j in enumerate(cols)}
            h = _highs()
            h.setOptionValue("log_to_console", False)
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("mip_abs_gap", 0.0)
            inf = highspy.kHighsInf
            n = len(cols)
            h.addVars(n, self.lo[cols], np.minimum(self.hi[cols], inf))
            for r in self._row_of[comp]:
                shift = 0.0
                idx, val = [], []
                for j, c in self.rows[r].items():
                    if c == 0:
                        continue
                    if j in pos:
                        idx.append(pos[j])
                        val.append(c)
                    else:  # a fixed variable
                        shift += c * self.lo[j]
                lo = self.lb[r] - shift if np.isfinite(self.lb[r]) else -inf
                hi = self.ub[r] - shift if np.isfinite(self.ub[r]) else inf
                h.addRow(lo, hi, len(idx), np.array(idx, dtype=np.int32), np.array(val))
            self._cache[comp] = (h, pos)
        return self._cache[comp]

    def extreme(self, key: Key, sense: Literal["min", "max"]) -> float:
        """Smallest or largest feasible integer value of ``key`` (``inf`` when unbounded)."""
        j = self.index[key]
        if not self.lo[j] < self.hi[j]:
            return float(self.lo[j])
        h, pos = self._model(self.component[j])
        n = h.getNumCol()
        cost = np.zeros(n)
        cost[pos[j]] = 1.0 if sense == "min" else -1.0
        cols = np.arange(n, dtype=np.int32)
        h.changeColsCost(n, cols, cost)
        # The LP relaxation first: when its optimal vertex is integral it is the integer optimum
        # (always so for plain count tables, whose relations are totally unimodular).
        h.run()
        status = h.getModelStatus()
        x = np.asarray(h.getSolution().col_value) if status == _OPTIMAL else None
        if x is not None and not np.allclose(x, np.round(x), atol=1e-7):
            h.changeColsIntegrality(n, cols, np.full(n, highspy.HighsVarType.kInteger))
            h.run()
            status = h.getModelStatus()
            x = np.asarray(h.getSolution().col_value) if status == _OPTIMAL else None
            h.changeColsIntegrality(n, cols, np.full(n, highspy.HighsVarType.kContinuous))
        if status == highspy.HighsModelStatus.kUnbounded:
            return math.inf
        if x is None:
            raise RuntimeError(
                "disclosure audit: the published facts have no solution "
                f"({h.modelStatusToString(status)})"
            )
        value = round(float(x[pos[j]]))
        return math.inf if value >= _BIG / 2 else float(value)


def audit_facts(
    population: str,
    codes: Mapping[str, Sequence[str]],
    facts: Sequence[Fact],
    min_count: int,
    *,
    check: Iterable[Key] | None = None,
    relations: list[tuple[Key, list[Key]]] | None = None,
) -> list[Failure]:
    """Every hidden cell that a reader can pin down or prove small, and every unpublished cell
    that is provably small, given ``facts`` (see the module docstring). ``check`` limits the
    cells examined; ``relations`` may pass the additive relations when they are known."""
    prog = _Program(codes, facts, relations)
    wanted = prog.keys if check is None else [k for k in check if k in prog.index]
    shown = {f.item.cell for f in facts if f.shown in ("count", "nil")}
    failures = []
    for k in wanted:
        if k in shown:
            continue
        f = _check_cell(prog, population, k, min_count)
        if f is not None:
            failures.append(f)
    return failures


def audit(system: System, hidden: set[Key], min_count: int) -> list[Failure]:
    """:func:`audit_facts` on what ``system`` publishes with ``hidden`` cells hidden."""
    facts = facts_for(system.items, system.values, hidden)
    return audit_facts(system.population, system.codes, facts, min_count)


# --------------------------------------------------------------------------- protection


def _item_cost(system: System, hidden: set[Key]) -> dict[Key, tuple[int, int]]:
    """Cost of hiding each candidate cell: the persons it holds, then the items it hides."""
    count: dict[Key, int] = defaultdict(int)
    for it in system.items:
        if it.cell not in hidden:
            count[it.cell] += 1
    return {k: (system.values[k], n) for k, n in count.items()}


def protect(
    system: System,
    min_count: int,
    *,
    max_rounds: int = 10_000,
    shared: Iterable[str] = (),
) -> set[Key]:
    """The cells to hide so that :func:`audit` finds nothing (see the module docstring).

    Small cells (``1 <= value < min_count``) that some item publishes are hidden first; then,
    for each failure, the cheapest further cells that mend it (one on a line through it, else
    a rectangle, else the one that widens it most: fewest persons, then fewest items lost);
    finally every extra cell is shown again, largest first, when the audit still passes
    without it.

    ``shared`` names variables that every table has (for example the unit): items about other
    variables are first protected family by family (the families meet only in cells over the
    shared variables), then the whole system is audited and mended together.
    """
    shared = set(shared)
    if shared:
        families: dict[frozenset[str], list[Item]] = defaultdict(list)
        common: list[Item] = []
        for it in system.items:
            own = frozenset(v for k in it.cells() for v, _ in k) - shared
            (families[own] if own else common).append(it)
        if len(families) > 1:
            start: set[Key] = set()
            for own in sorted(families, key=sorted):
                part = System(
                    system.population, system.codes, system.tables, system.values,
                    common + families[own],
                )  # fmt: skip
                start |= _protect(part, min_count, max_rounds, set())
            if _margins_known(system, shared, common, start):
                return start
            return _protect(system, min_count, max_rounds, start)
    return _protect(system, min_count, max_rounds, set())


def _margins_known(
    system: System, shared: set[str], common: Sequence[Item], hidden: set[Key]
) -> bool:
    """True when the common items alone pin every cell over the shared variables exactly.

    The families of :func:`protect` meet only in those cells. When a reader knows each of
    them exactly from the common items, the families' attacker programs share no unknown, so
    each family protected on its own (with the common items) is protected together with the
    others, and the whole-system pass can be skipped.
    """
    _, closure = _item_closure(system)
    cells = {k for k in closure if {v for v, _ in k} <= shared}
    for it in common:
        cells.update(it.cells())
    if not cells:
        return False
    relations = _relations(system.codes, cells)
    prog = _Program(system.codes, facts_for(common, system.values, hidden), relations)
    return all(prog.extreme(k, "max") == prog.extreme(k, "min") for k in cells)


def _item_closure(system: System) -> tuple[list[tuple[Key, list[Key]]], set[Key]]:
    """The additive relations of the cells the items use, and every cell on them."""
    cells: set[Key] = set()
    for it in system.items:
        cells.update(it.cells())
    relations = _relations(system.codes, cells)
    closure = set(cells)
    for parent, children in relations:
        closure.add(parent)
        closure.update(children)
    return relations, closure


def _protect(system: System, min_count: int, max_rounds: int, start: set[Key]) -> set[Key]:
    published = system.published_cells()
    relations, closure = _item_closure(system)
    values = system.values
    # cells that can fail: the true value is feasible, so an unpublished cell of 0 or of at
    # least min_count is never provably small, and only hidden cells can be pinned
    small_unpublished = [k for k in closure - published if 1 <= values.get(k, 0) < min_count]

    def failures(hidden: set[Key], first: bool = False) -> list[Failure]:
        facts = facts_for(system.items, values, hidden)
        # margins first: a pinned margin pins the cells below it, so it is mended first
        check = sorted(
            [k for k in hidden if values[k] > 0] + small_unpublished, key=lambda k: (len(k), k)
        )
        out: list[Failure] = []
        prog = _Program(system.codes, facts, relations)
        for k in check:
            f = _check_cell(prog, system.population, k, min_count)
            if f is not None:
                out.append(f)
                if first:
                    break
        return out

    primary = {k for k in published if 1 <= values[k] < min_count}
    hidden = primary | (start & published)
    for _ in range(max_rounds):
        found = failures(hidden, first=True)
        if not found:
            break
        f = found[0]
        cost = _item_cost(system, hidden)
        best = _mend(system, relations, hidden, cost, f, min_count)
        if best is None:
            raise RuntimeError(f"{system.population}: cannot protect {key_text(f.cell)}")
        hidden |= best
    else:
        raise RuntimeError(f"{system.population}: protection did not converge")
    # show again what is not needed, largest first (cells the families chose were checked)
    for k in sorted(hidden - primary - start, key=lambda k: (-values[k], k)):
        if not failures(hidden - {k}, first=True):
            hidden = hidden - {k}
    return hidden


def _rectangles(system: System, cell: Key) -> Iterator[tuple[Key, ...]]:
    """The other three corners of every rectangle through ``cell`` in a table's 2-D slices.

    A table's cell is a coordinate per variable, ``*`` for a margin; a rectangle changes two
    coordinates to other codes (or the margin). Hiding all four corners leaves a cycle that
    the additive relations cannot resolve.
    """
    here = dict(cell)
    for table in system.tables:
        if not set(here) <= set(table):
            continue
        coord = {v: here.get(v, "*") for v in table}
        for x, y in combinations(table, 2):
            for cx in (*system.codes[x], "*"):
                if cx == coord[x]:
                    continue
                for cy in (*system.codes[y], "*"):
                    if cy == coord[y]:
                        continue
                    corners = []
                    for change in ({x: cx}, {y: cy}, {x: cx, y: cy}):
                        c = {**coord, **change}
                        corners.append(make_key((v, k) for v, k in c.items() if k != "*"))
                    yield tuple(corners)


def _mend(
    system: System,
    relations: list[tuple[Key, list[Key]]],
    hidden: set[Key],
    cost: Mapping[Key, tuple[int, int]],
    failure: Failure,
    min_count: int,
) -> set[Key] | None:
    """The cheapest set of further cells that mends ``failure``: one cell on a line through
    it, else a rectangle through it, else the single cell that widens it most."""
    values = system.values

    def usable(k: Key) -> bool:
        return k in hidden or (k in cost and values.get(k, 0) > 0)

    def mends(extra: set[Key]) -> Failure | None:
        prog = _Program(system.codes, facts_for(system.items, values, hidden | extra), relations)
        return _check_cell(prog, system.population, failure.cell, min_count)

    def price(extra: Iterable[Key]) -> tuple[int, int, int]:
        new = [k for k in extra if k not in hidden]
        return (sum(cost[k][0] for k in new), len(new), sum(cost[k][1] for k in new))

    # 1. one cell on a line (relation) through the failing cell
    lines = {failure.cell}
    for parent, children in relations:
        if failure.cell == parent or failure.cell in children:
            lines.update((parent, *children))
    singles = sorted(
        (k for k in lines if k not in hidden and usable(k)), key=lambda k: (price([k]), k)
    )
    tried = 0
    for k in singles:
        if mends({k}) is None:
            return {k}
        tried += 1
    # 2. a rectangle through it
    rects = {
        frozenset(c for c in corners if c not in hidden)
        for corners in _rectangles(system, failure.cell)
        if all(usable(c) for c in corners) and any(c not in hidden for c in corners)
    }
    for extra in sorted(rects, key=lambda e: (price(e), sorted(e)))[:60]:
        if mends(set(extra)) is None:
            return set(extra)
    # 3. the cell that widens it most
    best, best_score = None, None
    for k in singles + sorted(k for k in cost if k not in hidden and values[k] > 0):
        left = mends({k})
        if left is None:
            return {k}
        score = (left.high - left.low, left.high, [-x for x in price([k])])
        if best_score is None or score > best_score:
            best, best_score = k, score
        tried += 1
        if tried > 200:
            break
    return None if best is None else {best}


def _check_cell(prog: _Program, population: str, k: Key, min_count: int) -> Failure | None:
    """The failure of one hidden or unpublished cell, if any (see :func:`audit_facts`)."""
    high = prog.extreme(k, "max")
    if k in prog.hidden:
        if high < min_count:
            return Failure(population, k, prog.extreme(k, "min"), high, "bevislig liten")
        low = prog.extreme(k, "min")
        if high - low < 2:
            return Failure(population, k, low, high, "bestemt")
    elif high < min_count:
        low = prog.extreme(k, "min")
        if low >= 1:
            return Failure(population, k, low, high, "upublisert, bevislig liten")
    return None


# --------------------------------------------------------------------------- metadata


def metadata(
    system: System, hidden: set[Key], items: Iterable[Item], *, page: str, min_count: int
) -> dict[str, Any]:
    """Machine-readable record of what ``items`` show (never a hidden value) for the audit."""
    facts = facts_for(list(items), system.values, hidden)
    used = {v for f in facts for k in f.item.cells() for v, _ in k}
    return {
        "population": system.population,
        "page": page,
        "min_count": min_count,
        "codes": {v: list(system.codes[v]) for v in sorted(used)},
        "facts": [f.to_json() for f in facts],
    }


def with_metadata(bundle: dict, disclosure: object) -> dict:
    """A display bundle with the disclosure metadata beside it (when there is any)."""
    if disclosure is not None:
        bundle[MIME_TYPE] = disclosure
    return bundle


def read_metadata(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge metadata records per population: codes, facts (deduplicated) and pages per cell."""
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        pop = out.setdefault(
            rec["population"], {"codes": {}, "facts": {}, "pages": defaultdict(set)}
        )
        for var, cs in rec["codes"].items():
            old = pop["codes"].setdefault(var, list(cs))
            if list(old) != list(cs):
                raise ValueError(f"{rec['population']}: {var} has two code lists")
        for fj in rec["facts"]:
            fact = Fact.from_json(fj)
            pop["facts"][json.dumps(fj, sort_keys=True)] = fact
            pop["pages"][fact.item.cell].add(rec.get("page", "?"))
    return out


def iter_notebook_metadata(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every disclosure record in the outputs of executed notebooks ``paths``."""
    for path in paths:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {}).get(MIME_TYPE)
                if data is None:
                    continue
                records = data if isinstance(data, list) else [data]
                for rec in records:
                    yield {**rec, "page": rec.get("page") or Path(path).stem}
