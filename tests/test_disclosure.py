"""Disclosure control: primary and secondary suppression, audited with a linear program."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from coopstats.disclosure import (
    DisclosureConfig,
    MaskRegistry,
    Protected,
    is_small,
    protect,
    protect_share,
)
from coopstats.formatting import HIDDEN, NIL, NOT_APPLICABLE

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame(rows: list[list[int]], index=None, columns=None) -> pd.DataFrame:
    n_rows, n_cols = len(rows), len(rows[0])
    return pd.DataFrame(
        rows,
        index=index or [f"r{i}" for i in range(n_rows)],
        columns=columns or [f"k{j}" for j in range(n_cols)],
    )


@st.composite
def count_tables(draw) -> tuple[pd.DataFrame, int]:
    """Random count tables 2–5 x 2–5 with values 0–30 (biased towards small values)."""
    n_rows = draw(st.integers(2, 5))
    n_cols = draw(st.integers(2, 5))
    cell = st.one_of(st.integers(0, 6), st.integers(0, 30))
    values = draw(st.lists(cell, min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    min_count = draw(st.sampled_from([5, 2, 3, 4, 6]))  # uniform; shrinks to the default
    return frame(np.array(values).reshape(n_rows, n_cols).tolist()), min_count


# --- independent audit -------------------------------------------------------------------------


def feasible_intervals(p: Protected) -> dict[tuple[int, int], tuple[float, float]]:
    """Min and max of every hidden cell given everything published.

    Variables: every cell of the table with margins. Visible cells are fixed at their value,
    hidden cells (interior or margin) are continuous and >= 0. Constraints: each row of the
    table with margins adds up to its total column entry, each column to its total row entry.
    """
    values = p.counts.to_numpy().astype(float)
    hidden = p.hidden.to_numpy()
    n_rows, n_cols = values.shape
    n = n_rows * n_cols

    def var(i: int, j: int) -> int:
        return i * n_cols + j

    rows = []
    for i in range(n_rows):  # row i: sum of interior columns - total column = 0
        a = np.zeros(n)
        for j in range(n_cols - 1):
            a[var(i, j)] = 1
        a[var(i, n_cols - 1)] = -1
        rows.append(a)
    for j in range(n_cols):
        a = np.zeros(n)
        for i in range(n_rows - 1):
            a[var(i, j)] = 1
        a[var(n_rows - 1, j)] = -1
        rows.append(a)
    a_eq = np.vstack(rows)
    b_eq = np.zeros(len(rows))
    bounds = [
        (0, None) if hidden[i, j] else (values[i, j], values[i, j])
        for i in range(n_rows)
        for j in range(n_cols)
    ]
    out = {}
    for i, j in zip(*np.nonzero(hidden), strict=True):
        ends = []
        for sign in (1, -1):
            c = np.zeros(n)
            c[var(i, j)] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 3:
                ends.append(sign * -np.inf)
                continue
            assert res.status == 0, res.message
            ends.append(res.x[var(i, j)])
        out[(int(i), int(j))] = (ends[0], ends[1])
    return out


def lines(p: Protected) -> list[np.ndarray]:
    hidden = p.hidden.to_numpy()
    return [hidden[i, :] for i in range(hidden.shape[0])] + [
        hidden[:, j] for j in range(hidden.shape[1])
    ]


# --- config and small helpers ------------------------------------------------------------------


def test_config_validation_and_stamp():
    assert DisclosureConfig().min_count == 5
    assert DisclosureConfig().stamp is None
    stamp = DisclosureConfig(reproduce_published=True).stamp
    assert stamp and "reproduce_published" in stamp and "uten skjerming" in stamp
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError):
            DisclosureConfig(min_count=bad)
    with pytest.raises(AttributeError):
        DisclosureConfig().min_count = 3  # frozen


def test_is_small():
    config = DisclosureConfig(min_count=5)
    assert [is_small(k, config) for k in range(7)] == [False] + [True] * 4 + [False] * 2
    assert not is_small(pd.NA, config)
    assert not is_small(3, DisclosureConfig(min_count=5, reproduce_published=True))
    assert not any(is_small(k, DisclosureConfig(min_count=1)) for k in range(10))


def test_protect_share():
    config = DisclosureConfig(min_count=5)
    assert protect_share(3, 40, config)  # small numerator
    assert protect_share(0, 4, config)  # small denominator
    assert protect_share(38, 40, config)  # small complement: 2 people are "not"
    assert not protect_share(10, 40, config)
    assert not protect_share(0, 40, config)
    assert not protect_share(40, 40, config)
    assert not protect_share(3, 40, DisclosureConfig(reproduce_published=True))


def test_mask_registry_stores_string_keys_and_copies():
    masks = MaskRegistry()
    assert masks.hidden("p") == set()
    masks.add("p", [("a", 1), (2, "I alt")])
    assert masks.hidden("p") == {("a", "1"), ("2", "I alt")}
    masks.hidden("p").clear()
    assert len(masks.hidden("p")) == 2
    assert masks.hidden("q") == set()
    assert masks.populations() == ["p"]


# --- hand-worked tables --------------------------------------------------------------------------


def test_hand_worked_small_margin():
    """Row a has total 3: its cells and its total are hidden; the partners go in row b.

         x   y   z | I alt            x   y   z | I alt
    a    2   1   0 |   3         a    :   :   - |   :
    b   10  12   8 |  30    ->   b    :   :   8 |   :
    I alt 12 13  8 |  33         I alt 12 13  8 |  33
    """
    p = protect(frame([[2, 1, 0], [10, 12, 8]], ["a", "b"], ["x", "y", "z"]), DisclosureConfig())
    assert p.counts.to_numpy().tolist() == [[2, 1, 0, 3], [10, 12, 8, 30], [12, 13, 8, 33]]
    assert p.display().to_numpy().tolist() == [
        [HIDDEN, HIDDEN, NIL, HIDDEN],
        [HIDDEN, HIDDEN, "8", HIDDEN],
        ["12", "13", "8", "33"],
    ]
    assert p.hidden_cells() == [
        ("a", "x"), ("a", "y"), ("a", "I alt"), ("b", "x"), ("b", "y"), ("b", "I alt")
    ]  # fmt: skip


def test_hand_worked_single_small_cell_takes_the_smallest_partners():
    """One small cell (1) needs a partner in its row and column, and they need partners too."""
    p = protect(frame([[1, 10, 30], [9, 10, 30], [40, 40, 40]]), DisclosureConfig())
    shown = p.display().to_numpy().tolist()
    assert shown == [
        [HIDDEN, HIDDEN, "30", "41"],
        [HIDDEN, HIDDEN, "30", "49"],
        ["40", "40", "40", "120"],
        ["50", "60", "100", "210"],
    ]


def test_hidden_sum_in_a_line_with_visible_total_reaches_min_count():
    """Two hidden cells 1 + 1 in a row with a visible total would show "both are small"."""
    p = protect(frame([[1, 1, 20, 20], [20, 20, 20, 20], [20, 20, 20, 20]]), DisclosureConfig())
    row = p.display().loc["r0"].tolist()
    assert row[:2] == [HIDDEN, HIDDEN]
    assert row.count(HIDDEN) == 3  # one 20 joins the two ones
    assert row[-1] == "42"


@PROPERTY
@given(count_tables())
def test_hidden_cells_add_up_to_min_count_where_the_total_is_shown(case):
    counts, min_count = case
    p = protect(counts, DisclosureConfig(min_count=min_count))
    hidden = p.hidden.to_numpy()
    values = p.counts.to_numpy()
    pairs = [(hidden[i], values[i]) for i in range(len(values))]
    pairs += [(hidden[:, j], values[:, j]) for j in range(values.shape[1])]
    for line_hidden, line_values in pairs:
        if line_hidden.any() and not line_hidden[-1]:
            assert line_values[:-1][line_hidden[:-1]].sum() >= min_count


def test_zero_is_shown_as_nil_and_not_hidden():
    p = protect(frame([[0, 7], [6, 9]]), DisclosureConfig())
    assert not p.hidden.to_numpy().any()
    assert p.display().loc["r0", "k0"] == NIL
    assert p.display().loc["r0", "k1"] == "7"


def test_min_count_one_hides_nothing():
    p = protect(frame([[1, 2], [3, 4]]), DisclosureConfig(min_count=1))
    assert not p.hidden.to_numpy().any()
    assert p.display().to_numpy().tolist() == [["1", "2", "3"], ["3", "4", "7"], ["4", "6", "10"]]


def test_margins_come_from_true_counts_and_labels_are_strings():
    counts = pd.DataFrame([[1, 2], [3, 40]], index=pd.Index([1, 2], name="Kjønn"), columns=[7, 8])
    p = protect(counts, DisclosureConfig(), total_label="Sum")
    assert list(p.counts.index) == ["1", "2", "Sum"]
    assert list(p.counts.columns) == ["7", "8", "Sum"]
    assert p.counts.index.name == "Kjønn"
    assert p.counts.loc["Sum"].tolist() == [4, 42, 46]
    assert p.counts["Sum"].tolist() == [3, 43, 46]


def test_without_margins():
    p = protect(frame([[1, 9], [9, 9]]), DisclosureConfig(), row_total=False, column_total=False)
    assert p.counts.shape == (2, 2)
    assert p.hidden_cells() == [("r0", "k0")]  # no additive relation is published
    only_rows = protect(frame([[1, 9], [9, 9]]), DisclosureConfig(), column_total=False)
    assert only_rows.counts.shape == (2, 3)
    assert only_rows.hidden_cells() == [("r0", "k0"), ("r0", "k1")]
    with pytest.raises(ValueError):
        only_rows.shares("column")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (frame([[1, -1], [2, 3]]), "counts must be non-negative integers"),
        (frame([[1.5, 1], [2, 3]]), "counts must be non-negative integers"),
        (
            pd.DataFrame({"a": [1, None], "b": [2, 3]}, dtype="Int64"),
            "counts must not contain missing values",
        ),
        (pd.DataFrame({"a": ["x", "y"]}), "counts must be numeric"),
        (pd.DataFrame(), "counts must have at least one row and one column"),
        (
            frame([[1, 2]], columns=["I alt", "b"]),
            "column label 'I alt' clashes with the total label",
        ),
        (frame([[1], [2]], index=["a", "I alt"]), "row label 'I alt' clashes with the total label"),
        (
            frame([[1, 2]], columns=["1", 1]),
            "column labels must be unique as strings: ['1', '1']",
        ),
        (frame([[1], [2]], index=[1, "1"]), "row labels must be unique as strings: ['1', '1']"),
    ],
)
def test_bad_input_is_rejected(bad, message):
    with pytest.raises(ValueError) as caught:
        protect(bad, DisclosureConfig())
    assert str(caught.value) == message


def test_counts_must_be_a_data_frame_and_come_back_as_integers():
    with pytest.raises(TypeError, match="^counts must be a pandas DataFrame$"):
        protect([[1, 2]], DisclosureConfig())  # type: ignore[arg-type]
    counts = protect(frame([[6, 7], [8, 9]]), DisclosureConfig()).counts
    assert (counts.dtypes == np.int64).all()
    assert counts.loc["I alt", "I alt"] == 30


def test_linear_program_stage_unpins_a_cell_the_line_rules_leave_determined():
    """Regression case (found by search): after the row/column rules alone, cell (4, 0) of
    this table could be computed exactly from the published cells."""
    counts = frame(
        [
            [3, 16, 6, 3, 27],
            [18, 3, 23, 21, 4],
            [4, 13, 2, 12, 0],
            [24, 11, 5, 6, 19],
            [4, 1, 6, 16, 8],
        ]
    )
    p = protect(counts, DisclosureConfig(min_count=3))
    for low, high in feasible_intervals(p).values():
        assert high - low >= 1 - 1e-6


def test_shares_hand_worked():
    p = protect(frame([[2, 1, 0], [10, 12, 8]], ["a", "b"], ["x", "y", "z"]), DisclosureConfig())
    by_column = p.shares("column").to_numpy().tolist()
    assert by_column == [
        [HIDDEN, HIDDEN, NIL, HIDDEN],
        [HIDDEN, HIDDEN, "100\xa0%", HIDDEN],
        ["100\xa0%"] * 4,
    ]
    # Row a's total (3) is hidden: its whole row of shares is hidden.
    by_row = p.shares("row")
    assert (by_row.loc["a"] == HIDDEN).all()
    assert by_row.loc["I alt"].tolist() == ["36\xa0%", "39\xa0%", "24\xa0%", "100\xa0%"]
    assert p.shares("total", decimals=1).loc["I alt", "x"] == "36,4\xa0%"
    with pytest.raises(ValueError):
        p.shares("diagonal")  # type: ignore[arg-type]


def test_share_of_zero_denominator_is_not_applicable():
    p = protect(frame([[0, 0], [6, 9]]), DisclosureConfig())
    assert p.shares("row").loc["r0"].tolist() == [NOT_APPLICABLE] * 3
    assert p.shares("column").loc["r0", "k0"] == NIL


def test_mask_registry_hand_worked():
    masks = MaskRegistry()
    first = frame([[2, 10], [10, 10]], ["Kvinne", "Mann"], ["16–29", "30+"])
    protect(first, DisclosureConfig(), population_id="oslo", masks=masks)
    assert ("Kvinne", "16–29") in masks.hidden("oslo")
    # Same population, a table where that cell is large: it stays hidden.
    second = frame([[20, 10], [10, 10]], ["Kvinne", "Mann"], ["16–29", "30+"])
    p = protect(second, DisclosureConfig(), population_id="oslo", masks=masks)
    assert p.hidden.loc["Kvinne", "16–29"]
    # Another population is not affected.
    q = protect(second, DisclosureConfig(), population_id="bergen", masks=masks)
    assert not q.hidden.to_numpy().any()


def test_reproduce_published_shows_everything_and_leaves_masks_alone():
    masks = MaskRegistry()
    masks.add("p", [("r0", "k1")])
    config = DisclosureConfig(reproduce_published=True)
    p = protect(frame([[1, 2], [0, 30]]), config, population_id="p", masks=masks)
    assert not p.hidden.to_numpy().any()
    assert p.display().to_numpy().tolist() == [
        ["1", "2", "3"],
        [NIL, "30", "30"],
        ["1", "32", "33"],
    ]
    assert HIDDEN not in set(p.shares("row").to_numpy().ravel())
    assert masks.hidden("p") == {("r0", "k1")}
    assert config.stamp is not None


# --- properties ----------------------------------------------------------------------------------


@PROPERTY
@given(count_tables())
def test_no_small_count_is_displayed(case):
    counts, min_count = case
    p = protect(counts, DisclosureConfig(min_count=min_count))
    shown = p.display().to_numpy()
    values = p.counts.to_numpy()
    for text, value in zip(shown.ravel(), values.ravel(), strict=True):
        if text == HIDDEN:
            continue
        number = 0 if text == NIL else int(text.replace("\xa0", ""))
        assert number == value  # display is the true count
        assert not 1 <= number < min_count


@PROPERTY
@given(count_tables())
def test_no_line_has_exactly_one_hidden_cell(case):
    counts, min_count = case
    p = protect(counts, DisclosureConfig(min_count=min_count))
    assert all(line.sum() != 1 for line in lines(p))


@settings(PROPERTY, max_examples=250)
@given(count_tables())
def test_linear_program_cannot_pin_any_hidden_cell(case):
    counts, min_count = case
    p = protect(counts, DisclosureConfig(min_count=min_count))
    values = p.counts.to_numpy()
    for (i, j), (low, high) in feasible_intervals(p).items():
        assert low - 1e-6 <= values[i, j] <= high + 1e-6  # the audit model is right
        assert high - low >= 1 - 1e-6, f"cell {(i, j)} pinned to [{low}, {high}]"


@PROPERTY
@given(count_tables(), st.sampled_from(["row", "column", "total"]))
def test_shares_hidden_exactly_where_counts_or_denominators_are(case, axis):
    counts, min_count = case
    config = DisclosureConfig(min_count=min_count)
    p = protect(counts, config)
    hidden = p.hidden.to_numpy()
    values = p.counts.to_numpy()
    share_hidden = p.shares(axis).to_numpy() == HIDDEN
    n_rows, n_cols = values.shape
    for i in range(n_rows):
        for j in range(n_cols):
            den = {"row": (i, n_cols - 1), "column": (n_rows - 1, j), "total": (-1, -1)}[axis]
            expected = hidden[i, j] or hidden[den] or is_small(values[den], config)
            assert share_hidden[i, j] == expected


@PROPERTY
@given(count_tables(), st.data())
def test_mask_registry_keeps_cells_hidden_in_a_second_table(case, data):
    counts, min_count = case
    config = DisclosureConfig(min_count=min_count)
    masks = MaskRegistry()
    first = protect(counts, config, population_id="pop", masks=masks)
    assert masks.hidden("pop") == set(first.hidden_cells())
    # A second table of the same population: same labels, larger values (nothing small).
    bigger = counts + data.draw(st.integers(min_count, 30))
    second = protect(bigger, config, population_id="pop", masks=masks)
    assert set(first.hidden_cells()) <= set(second.hidden_cells())
    assert not protect(bigger, config).hidden.to_numpy().any()  # without the mask: all visible
    # Re-protecting the first table with its own mask changes nothing (the mask is stable).
    own = MaskRegistry()
    own.add("pop", first.hidden_cells())
    again = protect(counts, config, population_id="pop", masks=own)
    assert again.hidden_cells() == first.hidden_cells()


@PROPERTY
@given(count_tables())
def test_reproduce_published_shows_everything(case):
    counts, min_count = case
    config = DisclosureConfig(min_count=min_count, reproduce_published=True)
    p = protect(counts, config)
    shown = p.display().to_numpy()
    assert HIDDEN not in set(shown.ravel())
    assert config.stamp is not None
    zeros = p.counts.to_numpy() == 0
    assert (shown[zeros] == NIL).all()
    assert not (shown[~zeros] == NIL).any()


@PROPERTY
@given(count_tables())
def test_zeros_are_nil_unless_hidden(case):
    counts, min_count = case
    p = protect(counts, DisclosureConfig(min_count=min_count))
    shown = p.display().to_numpy()
    zeros = p.counts.to_numpy() == 0
    hidden = p.hidden.to_numpy()
    assert (shown[zeros & ~hidden] == NIL).all()
    assert not (shown[~zeros] == NIL).any()


# --- no more hidden than needed ------------------------------------------------------------------
#
# Hand-worked families where the smallest protection is known. The line rules are greedy and
# hide more than needed in general (for example in tables of three or more rows); in these
# tables they must find the minimum.


@PROPERTY
@given(st.data())
def test_two_rows_with_one_small_cell_hide_exactly_one_rectangle(data):
    """Two rows with margins, one small cell, every other cell at least min_count: its row
    and its column each need one more hidden cell, and the partner in the other row closes the
    rectangle. Four interior cells, no margin (a margin is never cheaper than the cell beside
    it), and the row partner is the smallest other cell of the small cell's row."""
    min_count = data.draw(st.integers(2, 15))
    n_cols = data.draw(st.integers(2, 5))
    big = st.integers(min_count, min_count + 20)
    values = [[data.draw(big) for _ in range(n_cols)] for _ in range(2)]
    i, j = data.draw(st.integers(0, 1)), data.draw(st.integers(0, n_cols - 1))
    values[i][j] = data.draw(st.integers(1, min_count - 1))

    p = protect(frame(values), DisclosureConfig(min_count=min_count))

    hidden = p.hidden.to_numpy()
    assert not hidden[-1, :].any() and not hidden[:, -1].any(), "a margin was hidden"
    cols = sorted({int(c) for c in np.nonzero(hidden[:2, :n_cols])[1]})
    assert hidden[:2, :n_cols].sum() == 4 and j in cols and len(cols) == 2
    partner = next(c for c in cols if c != j)
    assert values[i][partner] == min(values[i][c] for c in range(n_cols) if c != j)


@PROPERTY
@given(st.data())
def test_a_small_cell_with_row_totals_only_hides_one_partner_and_no_zero(data):
    """Only row totals: each row is one line. The small cell's row hides the smallest non-zero
    other cell with it (a zero would not help, a total is larger); other rows are untouched."""
    min_count = data.draw(st.integers(2, 15))
    n_rows, n_cols = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 5))
    cell = st.one_of(st.just(0), st.integers(min_count, min_count + 20))
    values = [[data.draw(cell) for _ in range(n_cols)] for _ in range(n_rows)]
    i, j = data.draw(st.integers(0, n_rows - 1)), data.draw(st.integers(0, n_cols - 1))
    k = data.draw(st.sampled_from([c for c in range(n_cols) if c != j]))
    values[i][k] = data.draw(st.integers(min_count, min_count + 20))  # at least one partner
    values[i][j] = data.draw(st.integers(1, min_count - 1))

    p = protect(frame(values), DisclosureConfig(min_count=min_count), column_total=False)

    hidden = p.hidden.to_numpy()
    assert hidden.sum() == 2 and hidden[i, j]
    (partner,) = [c for c in np.nonzero(hidden[i])[0] if c != j]
    others = [values[i][c] for c in range(n_cols) if c != j and values[i][c] > 0]
    assert partner < n_cols and values[i][partner] == min(others)
    assert p.display().iloc[i, -1] == str(sum(values[i]))  # the row total stays shown


# --- the rectangle that unpins a cell (rule 4), hand-worked ---------------------------------------


def _with_margins(rows: list[list[int]], row_total: bool = True, column_total: bool = True):
    values = np.array(rows, dtype=np.int64)
    if row_total:
        values = np.column_stack([values, values.sum(axis=1)])
    if column_total:
        values = np.vstack([values, values.sum(axis=0)])
    margins = np.zeros(values.shape, dtype=bool)
    if row_total:
        margins[:, -1] = True
    if column_total:
        margins[-1, :] = True
    return values, margins


def _hidden_set(hidden: np.ndarray) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in np.argwhere(hidden)}


def test_unpin_hides_the_cheapest_rectangle_without_zeros():
    """Cell (0, 0) is pinned. The rectangles through it (corners (k, m), k, m >= 1, margins
    included) would hide, with the values below:
        (1,1): 4, 0, 6 (a zero)   (1,2): 9, 7, 6 = 22   (2,1): 4, 8, 5 = 17
        (2,2): 9, 2, 5 = 16       (1,3), (2,3), (3, m): margins, 30 and more.
    A zero hides nothing (a reader knows the shown zeros), so (1,1) comes last; the cheapest
    of the others is (2,2): cells (0,2), (2,2) and (2,0)."""
    from coopstats.disclosure import _unpin

    values, margins = _with_margins([[3, 4, 9], [6, 0, 7], [5, 8, 2]])
    hidden = np.zeros(values.shape, dtype=bool)
    hidden[0, 0] = True
    assert _unpin((0, 0), values, hidden, margins, True) is True
    assert _hidden_set(hidden) == {(0, 0), (0, 2), (2, 2), (2, 0)}


def test_unpin_adds_only_the_visible_corners_and_skips_rectangles_already_hidden():
    """(0,0), (0,1), (1,0) and (1,1) are hidden already: that rectangle adds nothing and is no
    answer. Through (1, m) only (0, m) is new; (0,2) = 5 is cheaper than any other choice (the
    rectangles through row 2 need two or three cells, 2 + 3 + ... >= 8)."""
    from coopstats.disclosure import _unpin

    values, margins = _with_margins([[6, 7, 5], [8, 9, 6], [3, 9, 9]])
    hidden = np.zeros(values.shape, dtype=bool)
    for p in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]:
        hidden[p] = True
    assert _unpin((0, 0), values, hidden, margins, True) is True
    assert _hidden_set(hidden) == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (0, 2)}


def test_unpin_without_both_margins_hides_the_cheapest_visible_cell():
    """With row totals only there are no rectangles to use: the cheapest visible cell is
    hidden, a non-zero one first (smallest value, an interior cell before a margin)."""
    from coopstats.disclosure import _unpin

    values, margins = _with_margins([[2, 0, 0], [4, 2, 7]], column_total=False)
    # row 0 sums to 2: the margin (0, 3) = 2 ties with the interior cell (1, 1) = 2
    hidden = np.zeros(values.shape, dtype=bool)
    hidden[0, 0] = True
    assert _unpin((0, 0), values, hidden, margins, False) is True
    assert _hidden_set(hidden) == {(0, 0), (1, 1)}


def test_unpin_reports_failure_when_everything_is_hidden():
    from coopstats.disclosure import _unpin

    values, margins = _with_margins([[2, 3], [4, 5]], column_total=False)
    hidden = np.ones(values.shape, dtype=bool)
    assert _unpin((0, 0), values, hidden, margins, False) is False
    assert hidden.all()


def test_protect_share_with_a_missing_part():
    config = DisclosureConfig(min_count=5)
    assert protect_share(None, 3, config)  # the small denominator alone hides it
    assert protect_share(pd.NA, 3, config)
    assert not protect_share(None, 10, config)  # nothing to compute a complement from
    assert not protect_share(4 + 6, None, config)


def test_mask_registry_repr_counts_cells_per_population():
    masks = MaskRegistry()
    assert repr(masks) == "MaskRegistry({})"
    masks.add("b", [("x", "y"), ("x", "z")])
    masks.add("a", [("x", "y")])
    assert repr(masks) == "MaskRegistry({'a': 1, 'b': 2})"


def test_shares_need_the_margin_they_divide_by():
    counts = frame([[6, 7], [8, 9]])
    only_rows = protect(counts, DisclosureConfig(), column_total=False)  # a total column only
    only_columns = protect(counts, DisclosureConfig(), row_total=False)  # a total row only
    assert only_rows.shares().loc["r0"].tolist() == ["46\xa0%", "54\xa0%", "100\xa0%"]  # 6/13
    assert only_columns.shares("column").loc["r0"].tolist() == ["43\xa0%", "44\xa0%"]  # 6/14
    message = r"shares\(axis='{}'\) needs the margin it divides by in the table"
    for table, axis in [(only_rows, "column"), (only_rows, "total"), (only_columns, "row")]:
        with pytest.raises(ValueError, match=message.format(axis)):
            table.shares(axis)
    with pytest.raises(ValueError, match="axis must be 'row', 'column' or 'total', got 'x'"):
        only_rows.shares("x")  # type: ignore[arg-type]


def test_shares_hide_a_line_whose_denominator_is_small_even_if_it_is_shown():
    """A Protected made by hand that shows a small total: its shares are still hidden."""
    counts = pd.DataFrame([[1, 2, 3], [6, 9, 15], [7, 11, 18]], dtype=np.int64)
    counts.index = counts.columns = pd.Index(["a", "b", "I alt"], dtype=object)
    nothing = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    shown = Protected(counts, nothing, DisclosureConfig())
    assert shown.shares("row").loc["a"].tolist() == [HIDDEN] * 3
    assert shown.shares("row").loc["b"].tolist() == ["40\xa0%", "60\xa0%", "100\xa0%"]


def test_cells_hidden_by_an_earlier_table_are_not_left_pinned():
    """Regression case (found by search): with three cells already hidden for the population,
    one rectangle is not enough; the line rules and the linear program must run again after
    it, or cell (r3, k3) = 1 can be computed exactly from what is shown."""
    counts = frame([[8, 7, 5, 4, 5], [7, 3, 12, 3, 5], [20, 0, 20, 0, 0], [1, 12, 2, 1, 5]])
    masks = MaskRegistry()
    masks.add("p", [("r1", "k4"), ("r3", "k3"), ("r2", "k0")])
    p = protect(counts, DisclosureConfig(min_count=3), masks=masks, population_id="p")
    assert {("r1", "k4"), ("r3", "k3"), ("r2", "k0")} <= set(p.hidden_cells())
    for low, high in feasible_intervals(p).values():
        assert high - low >= 1 - 1e-6


def test_protect_keeps_the_names_of_rows_and_columns():
    counts = frame([[6, 7], [8, 9]])
    counts.index.name, counts.columns.name = "fylke", "kjønn"
    p = protect(counts, DisclosureConfig())
    for table in (p.counts, p.hidden, p.display(), p.shares()):
        assert (table.index.name, table.columns.name) == ("fylke", "kjønn")
