"""Tests for the exercise checkers of notebook 04: check_query_map (square grids) and check_grid_query_map
(any grid, prefix tokens). The checkers' weights are coded (1000 · query + key, + 1,000,000 · head), so
a wrong map is read back as the weights it took, and the hint names the slip."""

import pytest
import torch

from attnlib import query_map
from attnlib.exercises import check_grid_query_map, check_query_map


def _map_bugs():
    """Hand-written wrong versions of query_map(weights, query, grid, prefix), one classic bug each."""

    def index_h(w, q, g, p=0):  # row * H instead of row * W
        h, wd = g
        return w[..., p + q[0] * h + q[1], p:].reshape(*w.shape[:-2], h, wd)

    def transposed(w, q, g, p=0):  # reshape (W, H), then transpose: mirrors the map
        h, wd = g
        return w[..., p + q[0] * wd + q[1], p:].reshape(*w.shape[:-2], wd, h).transpose(-1, -2)

    def column(w, q, g, p=0):  # who looks at the pixel, not where it looks
        h, wd = g
        return w[..., p:, p + q[0] * wd + q[1]].reshape(*w.shape[:-2], h, wd)

    def square_only(w, q, g, p=0):  # both bugs a square grid hides: row * H and reshape (W, H)
        h, wd = g
        return w[..., p + q[0] * h + q[1], p:].reshape(*w.shape[:-2], wd, h)

    def keeps_prefix(w, q, g, p=0):  # the right row, but the first H*W keys (CLS included)
        h, wd = g
        return w[..., p + q[0] * wd + q[1], : h * wd].reshape(*w.shape[:-2], h, wd)

    def last_head_first(w, q, g, p=0):
        h, wd = g
        m = w[..., p + q[0] * wd + q[1], p:].reshape(*w.shape[:-2], h, wd)
        return m.flip(0) if m.dim() > 2 else m

    return index_h, transposed, column, square_only, keeps_prefix, last_head_first


def test_query_map_checkers_pass_and_fail(capsys):
    def stub(weights, query, grid, prefix=0):
        raise NotImplementedError

    index_h, transposed, column, square_only, keeps_prefix, last_head_first = _map_bugs()
    assert check_query_map(lambda w, q, g: query_map(w, q, g))
    assert check_grid_query_map(lambda w, q, g, p: query_map(w, q, g, prefix=p))
    assert check_query_map(square_only) and check_query_map(index_h)  # a square grid hides these two ...
    assert not check_grid_query_map(square_only) and not check_grid_query_map(index_h)  # ... 2×3 shows them
    for bug in (transposed, column, last_head_first):  # visible on any grid
        assert not check_query_map(bug) and not check_grid_query_map(bug)
    assert not check_grid_query_map(keeps_prefix)
    assert not check_query_map(stub)
    out = capsys.readouterr().out
    assert "⏳" in out and "expected shape (2, 3), got (3, 2)" in out


def test_query_map_checkers_decode_the_values(capsys):
    """Values 1000 · query + key (+ 1,000,000 · head) are printed whole and read back in the hint."""

    index_h, transposed, column, square_only, keeps_prefix, last_head_first = _map_bugs()

    def lines():
        return capsys.readouterr().out.splitlines()

    # 2×3 grid, query (1, 0): token 1·3 + 0 = 3; row * H reads token 1·2 + 0 = 2 instead
    check_grid_query_map(index_h)
    error, hint = lines()
    assert error.endswith("at index (0, 0) expected 3000, got 2000")
    assert hint == ("   Hint: at map index (0, 0) you returned query 2's key 0; expected query 3's key 0. "
                    "That is token row·H + col: one step down the grid skips W = 3 tokens (a whole grid row), "
                    "not H = 2.")
    # 3×3 grid, query (1, 2): token 5; the transposed map puts key 3 (row 1, col 0) at (0, 1), where key 1 belongs
    check_query_map(transposed)
    error, hint = lines()
    assert error.endswith("at index (0, 1) expected 5001, got 5003")
    assert "you returned query 5's key 3; expected key 1. The row is right, but you filled the map column by " \
        "column" in hint
    check_query_map(column)  # entry (0, 0) of token 5's column is query 0's weight on key 5
    assert "you returned query 0's key 5; expected query 5's key 0. That is a column" in lines()[1]
    check_grid_query_map(keeps_prefix)  # 3×5 grid after 1 CLS token, query (2, 4): token 1 + 14 = 15
    error, hint = lines()
    assert error.endswith("expected 15001, got 15000")
    assert "you returned query 15's key 0; expected key 1. The right row, but key 0 is not a pixel" in hint
    check_grid_query_map(last_head_first)  # 3 heads, 4×2 grid after 5 prefix tokens, query (3, 1): token 12
    error, hint = lines()
    assert error.endswith("expected 12005, got 2012005")  # whole numbers, not 1.2e+04 and 2.012e+06
    assert "you returned query 12's key 5 of head 2; expected head 0's" in hint


def test_query_map_checker_hints_nudge_without_the_recipe(capsys):
    def sums(w, q, g, p=0):  # not a copy of any weight
        return w[..., p:, p:].sum(dim=-2).reshape(*w.shape[:-2], *g)

    check_query_map(lambda w, q, g: sums(w, q, g))
    check_grid_query_map(sums)
    out = capsys.readouterr().out
    assert "one weight of the matrix, copied unchanged" in out
    assert "row * W" not in out and "reshape(" not in out  # the recipe stays in the hidden solution


# ---- exercise 2 ("find the bug"): each likely wrong answer gets its own hint --------------------
# Cases: 2×3 grid, query (1, 0) → token 3; 3×5 grid after 1 CLS token, query (2, 4) → token 1 + 14 = 15;
# 3 heads, 4×2 grid after 5 prefix tokens, query (3, 1) → token 5 + 7 = 12.


def buggy_query_map(weights, query, grid, prefix):  # the notebook's starting point: row * H and (W, H)
    H, W = grid
    row, col = query
    return weights[..., prefix + row * H + col, prefix:].reshape(*weights.shape[:-2], W, H)


def row_of(weights, query, grid, prefix):  # the right row, keys after the prefix: (..., H·W)
    return weights[..., prefix + query[0] * grid[1] + query[1], prefix:]


EXERCISE_2_MISTAKES = {
    "both bugs left in": (
        buggy_query_map,
        "2×3 grid (2 rows, 3 columns), query (1, 0): expected shape (2, 3), got (3, 2)",
        "your map has W = 3 rows of H = 2; a map has H rows (grid[0]) of W columns: (..., H, W). And you took "
        "query 2's row, token row·H + col: one step down the grid skips W = 3 tokens (a whole grid row), not H = 2.",
    ),
    "only the reshape fixed (row * H)": (
        lambda w, q, g, p: w[..., p + q[0] * g[0] + q[1], p:].reshape(*w.shape[:-2], *g),
        "query (1, 0): at index (0, 0) expected 3000, got 2000",
        "at map index (0, 0) you returned query 2's key 0; expected query 3's key 0. That is token row·H + col: "
        "one step down the grid skips W = 3 tokens (a whole grid row), not H = 2.",
    ),
    "only the index fixed (a (W, H) map)": (
        lambda w, q, g, p: row_of(w, q, g, p).reshape(*w.shape[:-2], g[1], g[0]),
        "query (1, 0): expected shape (2, 3), got (3, 2)",
        "your map has W = 3 rows of H = 2; a map has H rows (grid[0]) of W columns: (..., H, W).",
    ),
    "the right map, transposed": (
        lambda w, q, g, p: row_of(w, q, g, p).reshape(*w.shape[:-2], *g).transpose(-2, -1),
        "query (1, 0): expected shape (2, 3), got (3, 2)",
        "your map is the right one transposed: W = 3 rows of H = 2. A map has H rows (grid[0]) of W columns: "
        "(..., H, W).",
    ),
    "column-major reshape": (  # 2×3: keys [0..5] as (3, 2), transposed → [[0, 2, 4], [1, 3, 5]]
        lambda w, q, g, p: row_of(w, q, g, p).reshape(*w.shape[:-2], g[1], g[0]).transpose(-2, -1),
        "query (1, 0): at index (0, 1) expected 3001, got 3002",
        "at map index (0, 1) you returned query 3's key 2; expected key 1. The row is right, but you filled the "
        "map column by column (a (W, H) layout, then a transpose): key k of the row is pixel (k // W, k % W).",
    ),
    "pixels numbered down the columns": (  # col * H + row = 0 * 2 + 1 = token 1
        lambda w, q, g, p: w[..., p + q[1] * g[0] + q[0], p:].reshape(*w.shape[:-2], *g),
        "query (1, 0): at index (0, 0) expected 3000, got 1000",
        "at map index (0, 0) you returned query 1's key 0; expected query 3's key 0. That is token col·H + row, "
        "the pixels counted down the columns; tokens go along the grid rows, W = 3 per row.",
    ),
    "prefix forgotten in the query's token": (  # 2 · 5 + 4 = 14 instead of 15
        lambda w, q, g, p: w[..., q[0] * g[1] + q[1], p:].reshape(*w.shape[:-2], *g),
        "after 1 CLS token, query (2, 4): at index (0, 0) expected 15001, got 14001",
        "at map index (0, 0) you returned query 14's key 1; expected query 15's key 1. That is token row·W + col, "
        "counted as if there were no prefix: the pixel tokens start after the 1 prefix token, at token 1.",
    ),
    "prefix keys not dropped": (  # 16 keys do not fit a 3×5 grid
        lambda w, q, g, p: w[..., p + q[0] * g[1] + q[1], :].reshape(*w.shape[:-2], *g),
        "after 1 CLS token, query (2, 4): your function raised RuntimeError: shape '[3, 5]' is invalid for input "
        "of size 16",
        "the row has all 16 keys, and the first is a prefix token, not a pixel: only the last H·W = 15 go on the "
        "grid.",
    ),
    "the first H·W keys (prefix kept, last pixel lost)": (
        lambda w, q, g, p: w[..., p + q[0] * g[1] + q[1], : g[0] * g[1]].reshape(*w.shape[:-2], *g),
        "after 1 CLS token, query (2, 4): at index (0, 0) expected 15001, got 15000",
        "at map index (0, 0) you returned query 15's key 0; expected key 1. The right row, but key 0 is not a pixel.",
    ),
    "a column instead of a row": (  # entry (0, 0) of token 3's column: query 0's weight on key 3
        lambda w, q, g, p: w[..., p:, p + q[0] * g[1] + q[1]].reshape(*w.shape[:-2], *g),
        "query (1, 0): at index (0, 0) expected 3000, got 3",
        "at map index (0, 0) you returned query 0's key 3; expected query 3's key 0. That is a column (who looks "
        "at token 3); take the row.",
    ),
    "heads indexed as if there were none": (
        lambda w, q, g, p: w[p + q[0] * g[1] + q[1], p:].reshape(*g),
        "3 heads, 4×2 grid after CLS + 4 registers, query (3, 1): your function raised IndexError: index 12 is out "
        "of bounds for dimension 0 with size 3",
        "the weights have 3 heads in front: keep the leading dims, and return (..., H, W).",
    ),
    "heads dropped in the reshape": (
        lambda w, q, g, p: row_of(w, q, g, p).reshape(*g),
        "3 heads, 4×2 grid after CLS + 4 registers, query (3, 1): your function raised RuntimeError: shape '[4, 2]' "
        "is invalid for input of size 24",
        "the weights have 3 heads in front: keep the leading dims, and return (..., H, W).",
    ),
}


@pytest.mark.parametrize("mistake", EXERCISE_2_MISTAKES)
def test_grid_query_map_names_the_mistake(capsys, mistake):
    wrong, error, hint = EXERCISE_2_MISTAKES[mistake]
    assert check_grid_query_map(wrong) is False
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("❌ query_map (any grid, prefix): coded")
    assert lines[0].endswith(error)
    assert lines[1] == "   Hint: " + hint


def test_grid_query_map_passes_the_fixed_function(capsys):
    """The notebook's solution: one step down skips W tokens, and H rows of W."""

    def fixed_query_map(weights, query, grid, prefix):
        H, W = grid
        row, col = query
        return weights[..., prefix + row * W + col, prefix:].reshape(*weights.shape[:-2], H, W)

    assert check_grid_query_map(fixed_query_map) is True
    assert capsys.readouterr().out == "✅ query_map (any grid, prefix): correct on all 3 test cases.\n"


def test_coded_weights_hand_checked():
    """The coding the hints rely on, on a 2×3 grid: token 3's row holds 3000 … 3005 (query 3, keys 0–5)."""
    weights = torch.tensor([[1000.0 * i + j for j in range(6)] for i in range(6)])
    assert buggy_query_map(weights, (1, 0), (2, 3), 0).tolist() == [[2000, 2001], [2002, 2003], [2004, 2005]]
