"""Attention weights → 2-D maps.

The weights of self-attention over an ``H × W`` feature map are an ``(N, N)`` matrix with
``N = H * W`` tokens, flattened row-major (token ``n = row * W + col``). **Row ``n`` is where
query ``n`` looks**; reshaping it to ``(H, W)`` gives a picture-shaped map.

- :func:`query_map`: one query's row → ``(..., H, W)`` (where does this pixel look?); with
  ``key_grid`` also for keys on a coarser grid than the queries (``(..., N, N')`` weights).
- :func:`key_map`: one key's column → ``(..., H, W)`` (who looks at this pixel?).
- :func:`lazy_rows`: a ``row_fn(index)`` that computes one row from ``q`` and ``k`` on demand, so a
  map over 65,536 tokens never needs the 16 GiB ``N × N`` matrix.
- :func:`mass_region`: the smallest set of cells holding a given share of the attention.

``prefix`` counts leading tokens that are not pixels (a CLS token, register tokens): they are
skipped in the query index and dropped from the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import torch

from ._checks import (
    check_batch_dims,
    check_cell,
    check_finite,
    check_float_tensor,
    check_grid,
    check_no_nan,
    check_positive,
    check_prefix,
    shape_str,
)
from .attention import score_function, softmax

__all__ = ["query_map", "key_map", "lazy_rows", "mass_region"]


def _check_n(shape, grid: tuple[int, int], prefix: int, what: str) -> None:
    """The last dim of ``shape`` must be ``prefix + H * W``."""
    h, w = grid
    n_all = shape[-1]
    if n_all != prefix + h * w:
        raise ValueError(
            f"{what} {shape_str(shape)} has N_all = {n_all} tokens, but grid {h}×{w} with prefix={prefix} needs "
            f"prefix + H*W = {prefix + h * w}; check grid (H, W) and prefix"
        )


def _check_weights(weights) -> None:
    check_float_tensor(weights, "weights", "(..., N_all, N_all)")
    if weights.shape[-1] != weights.shape[-2]:
        raise ValueError(
            f"weights must be square in its last two dims, (..., N_all, N_all) for self-attention; "
            f"got shape {shape_str(weights.shape)} (keys on a coarser grid? pass key_grid=(H', W'))"
        )


def _check_rect_weights(weights, grid: tuple[int, int], key_grid: tuple[int, int], prefix: int) -> None:
    """weights ``(..., prefix + H*W, prefix + H'*W')``: query rows on ``grid``, key columns on ``key_grid``."""
    check_float_tensor(weights, "weights", "(..., N_q_all, N_k_all)")
    h, w = grid
    if weights.shape[-2] != prefix + h * w:
        raise ValueError(
            f"weights {shape_str(weights.shape)} has N_q_all = {weights.shape[-2]} query rows, but grid {h}×{w} "
            f"with prefix={prefix} needs prefix + H*W = {prefix + h * w}; check grid (H, W) and prefix"
        )
    _check_keys(weights.shape, key_grid, prefix, "weights")


def _check_keys(shape, key_grid: tuple[int, int], prefix: int, what: str) -> None:
    """The last dim of ``shape`` (the keys) must be ``prefix + H' * W'``."""
    kh, kw = key_grid
    if shape[-1] != prefix + kh * kw:
        raise ValueError(
            f"{what} {shape_str(shape)} has N_k_all = {shape[-1]} keys, but key_grid {kh}×{kw} with "
            f"prefix={prefix} needs prefix + H'*W' = {prefix + kh * kw}; check key_grid (H', W')"
        )


def query_map(weights, query, grid, *, prefix: int = 0, key_grid=None) -> torch.Tensor:
    """Where does the query pixel look? One row of the weights, reshaped to the feature map.

    weights ``(..., N_all, N_all)`` with ``N_all = prefix + H * W`` (leading dims such as heads
    are kept), or a callable ``row_fn(index) → (..., N_all)`` that computes one row on demand
    (see :func:`lazy_rows`). ``query = (row, col)`` in feature-map coordinates, ``grid = (H, W)``.
    Returns ``(..., H, W)``: the row ``prefix + row * W + col``, its first ``prefix`` keys
    dropped, reshaped row-major.

    ``key_grid = (H', W')`` when the keys live on another grid than the queries (e.g. a
    Non-local block's 2×2-pooled keys): weights ``(..., prefix + H*W, prefix + H'*W')``, the query
    still indexed on ``grid``, and the result is ``(..., H', W')``. Default: ``key_grid = grid``.
    """
    h, w = check_grid(grid)
    prefix = check_prefix(prefix)
    kh, kw = (h, w) if key_grid is None else check_grid(key_grid, "key_grid")
    if isinstance(weights, torch.Tensor):  # check the grid against the weights before the query against the grid
        if key_grid is None:
            _check_weights(weights)
            _check_n(weights.shape, (h, w), prefix, "weights")
        else:
            _check_rect_weights(weights, (h, w), (kh, kw), prefix)
    row, col = check_cell(query, (h, w), "query")
    index = prefix + row * w + col
    if isinstance(weights, torch.Tensor):
        rows = weights[..., index, :]
    elif callable(weights):
        rows = weights(index)
        if not isinstance(rows, torch.Tensor) or rows.dim() < 1:
            got = shape_str(rows.shape) if isinstance(rows, torch.Tensor) else type(rows).__name__
            raise ValueError(f"row_fn(index) must return a tensor of shape (..., N_all); got {got}")
        if key_grid is None:
            _check_n(rows.shape, (h, w), prefix, "row_fn's row")
        else:
            _check_keys(rows.shape, (kh, kw), prefix, "row_fn's row")
    else:
        raise TypeError(
            "weights must be a torch.Tensor (..., N_all, N_all) or a callable "
            f"row_fn(index) -> (..., N_all); got {type(weights).__name__}"
        )
    check_no_nan(rows, "the query's row of weights")
    return rows[..., prefix:].reshape(*rows.shape[:-1], kh, kw)


def key_map(weights: torch.Tensor, key, grid, *, prefix: int = 0) -> torch.Tensor:
    """Who looks at the key pixel? One column of the weights, reshaped to the feature map.

    weights ``(..., N_all, N_all)``, ``key = (row, col)``, ``grid = (H, W)`` → ``(..., H, W)``:
    entry ``[r, c]`` is how much query ``(r, c)`` attends to the key. Columns are **not**
    normalised: they need not sum to 1 (a popular key can collect far more than 1 in total).
    """
    if not isinstance(weights, torch.Tensor) and callable(weights):
        raise TypeError("key_map needs the full weights (..., N_all, N_all): a column needs every row")
    h, w = check_grid(grid)
    row, col = check_cell(key, (h, w), "key")
    prefix = check_prefix(prefix)
    _check_weights(weights)
    _check_n(weights.shape, (h, w), prefix, "weights")
    column = weights[..., prefix:, prefix + row * w + col]
    check_no_nan(column, "the key's column of weights")
    return column.reshape(*column.shape[:-1], h, w)


def lazy_rows(
    q: torch.Tensor,
    k: torch.Tensor,
    *,
    score: str | Callable = "scaled_dot",
    temperature: float = 1.0,
) -> Callable[[int], torch.Tensor]:
    """A ``row_fn(index) → (..., Nk)`` computing query ``index``'s attention weights on demand.

    q ``(..., Nq, d)``, k ``(..., Nk, d)``; ``score`` is a name (``"dot"``, ``"scaled_dot"``,
    ``"cosine"``) or a callable ``(q, k) → (..., Nq, Nk)``. Each call scores one query against all keys and applies
    ``attnlib.softmax``: memory ``O(Nk)`` per call instead of ``O(Nq · Nk)`` for the whole matrix.
    Pass the result to :func:`query_map` or the explorer in place of the weights.
    """
    check_float_tensor(q, "q", "(..., Nq, d)")
    check_float_tensor(k, "k", "(..., Nk, d)")
    check_batch_dims(q, "q", k, "k")
    if isinstance(score, str) and q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q {shape_str(q.shape)} and k {shape_str(k.shape)} must have the same feature size d in their last "
            f"dim to be compared with score={score!r}; got {q.shape[-1]} and {k.shape[-1]}"
        )
    temperature = check_positive(temperature, "temperature")
    score_fn = score_function(score)
    n_q = q.shape[-2]

    def row_fn(index: int) -> torch.Tensor:
        if not 0 <= index < n_q:
            raise ValueError(f"index must be in [0, {n_q}) (one of the {n_q} queries); got {index}")
        with torch.no_grad():
            s = score_fn(q[..., index : index + 1, :], k)  # (..., 1, Nk)
            return softmax(s, temperature=temperature)[..., 0, :]

    return row_fn


def mass_region(attn_map: torch.Tensor, mass: float) -> torch.Tensor:
    """The smallest set of cells holding at least ``mass`` of the map's total (DINO-style threshold).

    attn_map ``(..., H, W)`` non-negative, ``mass`` in (0, 1] → bool ``(..., H, W)``, True inside.
    Cells are taken from the largest down until their sum reaches ``mass × total``. Cells equal
    to 0 are never included; an all-zero map gives an empty region.
    """
    check_float_tensor(attn_map, "attn_map", "(..., H, W)")
    check_finite(attn_map, "attn_map")
    if isinstance(mass, bool) or not isinstance(mass, Real) or not 0 < mass <= 1:
        raise ValueError(f"mass must be a number in (0, 1], the share of attention to enclose; got {mass!r}")
    if (attn_map < 0).any():
        raise ValueError("attn_map must be non-negative to talk about attention mass; got a negative entry")
    flat = attn_map.detach().reshape(*attn_map.shape[:-2], -1).double()
    values, order = flat.sort(dim=-1, descending=True)
    cum = values.cumsum(dim=-1)
    tolerance = 8 * torch.finfo(attn_map.dtype).eps  # the map's own rounding: 0.1 + 0.3 + … is not exact in float32
    target = float(mass) * cum[..., -1:] * (1 - tolerance)
    n_keep = (cum < target).sum(dim=-1, keepdim=True) + 1  # cells short of the target, + the one reaching it
    n_keep = torch.minimum(n_keep, (values > 0).sum(dim=-1, keepdim=True))
    rank = order.argsort(dim=-1)  # rank[c] = position of cell c in the sorted order
    return (rank < n_keep).reshape(attn_map.shape)
