"""query_map, key_map, lazy_rows and mass_region against hand-built matrices and direct formulas."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib import key_map, lazy_rows, mass_region, pixel_features, query_map, scaled_dot_score


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def coded_matrix(n_all):
    """weights[i, j] = 1000 * i + j: every entry says which query row and key column it sits in."""
    i = torch.arange(n_all, dtype=torch.float64)
    return 1000 * i[:, None] + i[None, :]


# ---- query_map: orientation -------------------------------------------------------------------

def test_query_map_orientation_hand_checked():
    # 2×3 grid, tokens 0..5 row-major: token (1, 0) is index 3; its row holds 3000 + key index.
    w = coded_matrix(6)
    m = query_map(w, (1, 0), (2, 3))
    want = torch.tensor([[3000.0, 3001.0, 3002.0], [3003.0, 3004.0, 3005.0]], dtype=torch.float64)
    torch.testing.assert_close(m, want)


def test_query_map_one_hot_row_lights_the_right_cell():
    # query (0, 0) attends only to key (2, 1) of a 3×4 grid → the map is 1 at [2, 1], 0 elsewhere.
    w = torch.zeros(12, 12)
    w[0, 2 * 4 + 1] = 1.0
    m = query_map(w, (0, 0), (3, 4))
    want = np.zeros((3, 4), dtype=np.float32)
    want[2, 1] = 1.0
    np.testing.assert_array_equal(m.numpy(), want)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), prefix=st.integers(0, 3), data=st.data())
def test_query_map_non_square_grids_and_prefix(h, w, prefix, data):
    row = data.draw(st.integers(0, h - 1))
    col = data.draw(st.integers(0, w - 1))
    weights = coded_matrix(prefix + h * w)
    m = query_map(weights, (row, col), (h, w), prefix=prefix)
    assert m.shape == (h, w)
    q_index = prefix + row * w + col
    for r in range(h):
        for c in range(w):  # independent: walk the grid cell by cell
            assert m[r, c].item() == 1000 * q_index + prefix + r * w + c


def test_query_map_prefix_drops_cls_and_registers():
    # 1 CLS + 2 registers + a 2×2 grid; CLS/register keys hold huge values that must not appear.
    w = torch.zeros(7, 7)
    w[:, :3] = 99.0
    w[3 + 3, 3:] = torch.tensor([0.1, 0.2, 0.3, 0.4])  # query (1, 1) → row 3 + 3
    m = query_map(w, (1, 1), (2, 2), prefix=3)
    torch.testing.assert_close(m, torch.tensor([[0.1, 0.2], [0.3, 0.4]]))


def test_query_map_keeps_leading_head_dims():
    w = torch.softmax(rand(2, 3, 12, 12, seed=1), dim=-1)  # layers × heads × N × N
    m = query_map(w, (2, 1), (3, 4))
    assert m.shape == (2, 3, 3, 4)
    for layer in range(2):
        for head in range(3):
            torch.testing.assert_close(m[layer, head], w[layer, head, 2 * 4 + 1].view(3, 4))


def test_query_map_accepts_numpy_ints():
    w = coded_matrix(6)
    torch.testing.assert_close(query_map(w, (np.int64(1), np.int32(2)), (2, 3)), query_map(w, (1, 2), (2, 3)))


# ---- lazy maps --------------------------------------------------------------------------------

def test_lazy_rows_equal_full_maps():
    q, k = rand(2, 20, 8, seed=2), rand(2, 20, 8, seed=3)
    weights = torch.softmax(q @ k.transpose(-2, -1) / 8**0.5, dim=-1)  # independent: torch's softmax
    row_fn = lazy_rows(q, k)
    for query in [(0, 0), (3, 4), (1, 2)]:
        torch.testing.assert_close(query_map(row_fn, query, (4, 5)), query_map(weights, query, (4, 5)))


def test_lazy_rows_temperature_and_prefix():
    q, k = rand(7, 4, seed=4), rand(7, 4, seed=5)
    weights = torch.softmax(q @ k.T / 2.0 / 0.5, dim=-1)  # scaled dot (√4 = 2), temperature 0.5
    row_fn = lazy_rows(q, k, score=scaled_dot_score, temperature=0.5)
    torch.testing.assert_close(
        query_map(row_fn, (1, 0), (2, 3), prefix=1), query_map(weights, (1, 0), (2, 3), prefix=1)
    )


def test_lazy_map_at_65536_tokens_is_one_row():
    image = np.random.default_rng(0).random((256, 256, 3)).astype(np.float32)
    feats = pixel_features(image, (256, 256))  # (65536, 5): the full matrix would be 16 GiB
    m = query_map(lazy_rows(feats, feats), (100, 37), (256, 256))
    assert m.shape == (256, 256)
    want = torch.softmax(feats[100 * 256 + 37] @ feats.T / 5**0.5, dim=-1).view(256, 256)
    torch.testing.assert_close(m, want)


def test_lazy_rows_validates():
    q = rand(4, 3)
    with pytest.raises(ValueError, match="score"):
        lazy_rows(q, q, score="nope")
    with pytest.raises(ValueError, match="temperature"):
        lazy_rows(q, q, temperature=0.0)
    with pytest.raises(ValueError, match="index"):
        lazy_rows(q, q)(4)


# ---- key_map ------------------------------------------------------------------------------------

def test_key_map_is_the_column():
    w = coded_matrix(6)
    m = key_map(w, (0, 2), (2, 3))  # key index 2: entry [r, c] = 1000 * (r*3 + c) + 2
    want = torch.tensor([[2.0, 1002.0, 2002.0], [3002.0, 4002.0, 5002.0]], dtype=torch.float64)
    torch.testing.assert_close(m, want)


def test_key_map_is_not_normalised_and_keeps_heads():
    w = torch.softmax(rand(3, 1 + 6, 1 + 6, seed=6), dim=-1)
    m = key_map(w, (1, 1), (2, 3), prefix=1)
    assert m.shape == (3, 2, 3)
    torch.testing.assert_close(m, w[:, 1:, 1 + 4].reshape(3, 2, 3))
    assert not torch.allclose(m.sum(dim=(-2, -1)), torch.ones(3))  # a column need not sum to 1


def test_key_map_rejects_row_fn():
    with pytest.raises(TypeError, match="full weights"):
        key_map(lazy_rows(rand(4, 2), rand(4, 2)), (0, 0), (2, 2))


# ---- mass_region --------------------------------------------------------------------------------

def test_mass_region_hand_checked():
    m = torch.tensor([[0.5, 0.1], [0.3, 0.1]])
    assert mass_region(m, 0.5).tolist() == [[True, False], [False, False]]
    assert mass_region(m, 0.8).tolist() == [[True, False], [True, False]]
    assert mass_region(m, 0.81).sum() == 3
    assert mass_region(m, 1.0).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), mass=st.floats(0.05, 1.0))
def test_mass_region_is_the_smallest_set(seed, mass):
    m = torch.rand(3, 5, 4, generator=torch.Generator().manual_seed(seed))
    inside = mass_region(m, mass)
    assert inside.shape == m.shape
    for b in range(3):
        values = np.sort(m[b].flatten().numpy().astype(np.float64))[::-1]
        n_needed = int(np.searchsorted(np.cumsum(values), mass * values.sum() * (1 - 1e-6)) + 1)
        n_needed = min(n_needed, values.size)
        assert inside[b].sum().item() == n_needed
        # every cell inside is at least as large as every cell outside
        if (~inside[b]).any():
            assert m[b][inside[b]].min() >= m[b][~inside[b]].max()


def test_mass_region_zero_cells_and_empty_map():
    m = torch.tensor([[0.0, 0.6], [0.4, 0.0]])
    assert mass_region(m, 1.0).tolist() == [[False, True], [True, False]]
    assert not mass_region(torch.zeros(2, 2), 0.5).any()


# ---- bad inputs -----------------------------------------------------------------------------------

def test_query_outside_the_grid():
    w = torch.eye(6)
    for query in [(2, 0), (0, 3), (-1, 0)]:
        with pytest.raises(ValueError, match=r"outside the 2×3 grid"):
            query_map(w, query, (2, 3))
    with pytest.raises(TypeError, match="query must be a \\(row, col\\) pair of ints"):  # wrong type
        query_map(w, (1.5, 0), (2, 3))
    with pytest.raises(ValueError, match="key"):
        key_map(w, (0, 5), (2, 3))


def test_wrong_grid_or_prefix():
    w = torch.eye(6)
    with pytest.raises(ValueError, match=r"N_all = 6.*prefix \+ H\*W = 9"):
        query_map(w, (0, 0), (3, 3))
    with pytest.raises(ValueError, match=r"prefix \+ H\*W = 7"):
        query_map(w, (0, 0), (2, 3), prefix=1)
    with pytest.raises(ValueError, match="grid"):
        query_map(w, (0, 0), (6,))
    with pytest.raises(ValueError, match="prefix"):
        query_map(w, (0, 0), (2, 3), prefix=-1)
    with pytest.raises(ValueError, match="row_fn"):
        query_map(lambda i: torch.ones(5), (0, 0), (2, 3))


def test_non_square_weights():
    with pytest.raises(ValueError, match=r"square.*\(6, 7\)"):
        query_map(torch.ones(6, 7), (0, 0), (2, 3))
    with pytest.raises(ValueError, match="square"):
        key_map(torch.ones(6, 7), (0, 0), (2, 3))


def test_weights_type_errors():
    with pytest.raises(TypeError, match="weights"):
        query_map(np.eye(6), (0, 0), (2, 3))
    with pytest.raises(TypeError, match="floating-point"):
        query_map(torch.eye(6, dtype=torch.long), (0, 0), (2, 3))


def test_mass_region_bad_inputs():
    with pytest.raises(ValueError, match="mass"):
        mass_region(torch.ones(2, 2), 0.0)
    with pytest.raises(ValueError, match="mass"):
        mass_region(torch.ones(2, 2), 1.5)
    with pytest.raises(ValueError, match="non-negative"):
        mass_region(-torch.ones(2, 2), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        mass_region(torch.tensor([[float("nan"), 1.0]]), 0.5)


def test_wrong_grid_is_blamed_before_the_query():
    weights = torch.softmax(torch.randn(32 * 32, 32 * 32), dim=-1)
    with pytest.raises(ValueError, match=r"N_all = 1024 tokens, but grid 16×16"):
        query_map(weights, (20, 6), (16, 16))


# ---- query_map with key_grid: keys on a coarser grid (Non-local sub-sampling) -------------------


def rect_coded(n_q, n_k):
    """weights[i, j] = 1000 * i + j, shape (n_q, n_k): each entry names its query row and key column."""
    return 1000 * torch.arange(n_q, dtype=torch.float64)[:, None] + torch.arange(n_k, dtype=torch.float64)[None, :]


def test_query_map_key_grid_hand_checked():
    weights = rect_coded(8, 2)  # queries on 2×4, keys on 1×2
    # query (1, 2) is row 1 * 4 + 2 = 6; its two keys laid out as one row of two cells
    assert query_map(weights, (1, 2), (2, 4), key_grid=(1, 2)).tolist() == [[6000.0, 6001.0]]
    weights = rect_coded(1 + 16, 1 + 4)  # a CLS token, queries on 4×4, keys on 2×2
    got = query_map(weights, (3, 1), (4, 4), prefix=1, key_grid=(2, 2))
    row = 1 + 3 * 4 + 1  # = 14
    assert got.tolist() == [[1000 * row + 1, 1000 * row + 2], [1000 * row + 3, 1000 * row + 4]]


def test_query_map_key_grid_keeps_heads_and_accepts_row_fn():
    weights = torch.stack([rect_coded(6, 3), -rect_coded(6, 3)])  # (2 heads, 6 queries on 2×3, 3 keys on 3×1)
    got = query_map(weights, (1, 0), (2, 3), key_grid=(3, 1))
    assert got.shape == (2, 3, 1)
    assert got[0, :, 0].tolist() == [3000.0, 3001.0, 3002.0] and got[1, 2, 0] == -3002.0
    lazy = query_map(lambda index: weights[..., index, :], (1, 0), (2, 3), key_grid=(3, 1))
    assert torch.equal(lazy, got)


def test_query_map_key_grid_equal_to_grid_is_the_default():
    weights = coded_matrix(6)
    assert torch.equal(query_map(weights, (1, 2), (2, 3), key_grid=(2, 3)), query_map(weights, (1, 2), (2, 3)))


def test_query_map_key_grid_errors():
    weights = rect_coded(8, 2)
    with pytest.raises(ValueError, match=r"N_k_all = 2 keys.*key_grid 2×2.*needs prefix \+ H'\*W' = 4"):
        query_map(weights, (0, 0), (2, 4), key_grid=(2, 2))
    with pytest.raises(ValueError, match=r"N_q_all = 8 query rows.*grid 3×3.*= 9"):
        query_map(weights, (0, 0), (3, 3), key_grid=(1, 2))
    with pytest.raises(ValueError, match=r"key_grid must be a \(H, W\) pair.*got \(0, 2\)"):
        query_map(weights, (0, 0), (2, 4), key_grid=(0, 2))
    with pytest.raises(ValueError, match="row_fn's row.*key_grid 1×3"):
        query_map(lambda index: weights[index], (0, 0), (2, 4), key_grid=(1, 3))
    with pytest.raises(ValueError, match="pass key_grid"):  # rectangular weights without key_grid
        query_map(weights, (0, 0), (2, 4))


def test_nan_weights_and_infinite_maps_are_refused():
    weights = torch.softmax(torch.randn(4, 4), dim=-1)
    weights[1, 2] = float("nan")
    with pytest.raises(ValueError, match=r"query's row of weights contains 1 NaN"):
        query_map(weights, (0, 1), (2, 2))
    with pytest.raises(ValueError, match=r"key's column of weights contains 1 NaN"):
        key_map(weights, (1, 0), (2, 2))
    with pytest.raises(ValueError, match=r"attn_map contains 1 infinite"):
        mass_region(torch.tensor([[1.0, float("inf")]]), 0.5)


def test_lazy_rows_refuses_mismatched_feature_sizes_up_front():
    q, k = torch.zeros(4, 3), torch.zeros(5, 2)
    with pytest.raises(ValueError, match=r"same feature size d.*got 3 and 2"):
        lazy_rows(q, k)  # at once, not at the first row
    with pytest.raises(ValueError, match="do not broadcast"):
        lazy_rows(torch.zeros(2, 4, 3), torch.zeros(3, 5, 3))
