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
- :func:`cls_map`: a prefix token's row (the class token's, by default) → ``(..., H, W)``.
- :func:`rollout`: attention rollout (Abnar & Zuidema, 2020), the layers' weights multiplied through.

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
    check_int,
    check_no_nan,
    check_positive,
    check_prefix,
    shape_str,
)
from .attention import score_function, softmax

__all__ = ["query_map", "key_map", "lazy_rows", "mass_region", "cls_map", "rollout", "HEAD_FUSIONS"]


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


def cls_map(weights: torch.Tensor, grid, *, prefix: int = 1, token: int = 0) -> torch.Tensor:
    """Where does the class token look? Row ``token`` (a prefix token; 0 = the class token) of the weights.

    weights ``(..., N_all, N_all)`` with ``N_all = prefix + H * W`` (per-layer, per-head weights
    ``(layers, B, heads, N, N)`` or a rollout ``(B, N, N)``), ``grid = (H, W)`` → ``(..., H, W)``: the row's
    patch columns, reshaped row-major. The same as ``weights[..., token, prefix:].reshape(..., H, W)``.
    """
    h, w = check_grid(grid)
    prefix = check_prefix(prefix)
    _check_weights(weights)
    _check_n(weights.shape, (h, w), prefix, "weights")
    if prefix == 0:
        raise ValueError("cls_map needs prefix >= 1: with prefix=0 there is no class token; use query_map")
    token = check_int(token, "token", minimum=0, maximum=prefix - 1, what=" (a prefix token: 0 is the class token)")
    row = weights[..., token, prefix:]
    check_no_nan(row, "the class token's row of weights")
    return row.reshape(*row.shape[:-1], h, w)


#: How :func:`rollout` merges the heads of one layer into one ``(N, N)`` matrix.
HEAD_FUSIONS = ("mean", "max", "min")


def _fuse_heads(weights: torch.Tensor, head_fusion: str) -> torch.Tensor:
    """``(layers, ..., heads, N, N)`` → ``(layers, ..., N, N)``."""
    if head_fusion == "mean":
        return weights.mean(dim=-3)
    if head_fusion == "max":
        return weights.amax(dim=-3)
    return weights.amin(dim=-3)


def _discard_lowest(a: torch.Tensor, prefix: int, ratio: float) -> torch.Tensor:
    """Set the ``⌊ratio · (N − prefix)⌋`` smallest patch weights of each row to 0; prefix columns are kept."""
    patches = a[..., prefix:]
    n_drop = int(ratio * patches.shape[-1])
    if n_drop == 0:
        return a
    lowest = patches.topk(n_drop, dim=-1, largest=False).indices
    return torch.cat([a[..., :prefix], patches.scatter(-1, lowest, 0.0)], dim=-1)


def rollout(
    weights: torch.Tensor, *, prefix: int = 1, head_fusion: str = "mean", discard_ratio: float = 0.0
) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema, 2020): how much each token draws on each input token, through all layers.

    weights ``(layers, B, heads, N, N)`` (as :func:`~attnlib.capture_attention` returns them; any dims between
    layers and heads are kept) → ``(B, N, N)``. Per layer ``l``:

    1. fuse the heads: ``A_l`` = their mean (or ``"max"``, ``"min"``: ``head_fusion``);
    2. optionally drop noise: in each row the ``discard_ratio`` share of lowest patch weights is set to 0
       (the ``prefix`` columns, class and register tokens, are never dropped);
    3. add the residual path: ``Â_l = ½ (A_l + I)``, and renormalise each row to sum to 1;

    then multiply from the first layer up, later layers on the left: ``R = Â_L ⋯ Â_2 Â_1``. Row 0 of ``R``
    is the class token's rollout: ``cls_map(R, grid, prefix=prefix)`` draws it.
    """
    if not isinstance(weights, torch.Tensor) and isinstance(getattr(weights, "weights", None), torch.Tensor):
        raise TypeError(f"weights must be a tensor (layers, B, heads, N, N); got {type(weights).__name__}: "
                        "pass its .weights, e.g. rollout(captured.weights, prefix=captured.prefix)")
    check_float_tensor(weights, "weights", "(layers, B, heads, N, N)", min_dim=4)
    if weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights must be square in its last two dims, (layers, B, heads, N, N) for "
                         f"self-attention; got shape {shape_str(weights.shape)}")
    prefix = check_prefix(prefix)
    if prefix >= weights.shape[-1]:
        raise ValueError(f"prefix={prefix} leaves no patch tokens among the N = {weights.shape[-1]} tokens")
    if head_fusion not in HEAD_FUSIONS:
        raise ValueError(f"head_fusion must be one of {HEAD_FUSIONS}; got {head_fusion!r}")
    if isinstance(discard_ratio, bool) or not isinstance(discard_ratio, Real):
        raise TypeError(f"discard_ratio must be a number in [0, 1); got {type(discard_ratio).__name__}")
    if not 0 <= discard_ratio < 1:
        raise ValueError(f"discard_ratio must be in [0, 1), the share of each row's patch weights to drop; "
                         f"got {discard_ratio}")
    fused = _fuse_heads(weights, head_fusion)  # (layers, B, N, N)
    if torch.isnan(fused.sum()):  # a NaN anywhere survives the fusion and the sum: one cheap pass
        check_no_nan(weights, "weights")
    smallest = float(weights.min())  # one reduction; a fused mean or max could hide a negative head
    if smallest < 0:
        raise ValueError(f"weights must be non-negative attention weights (softmax outputs); got a smallest "
                         f"entry of {smallest:.3g}")
    if discard_ratio > 0:
        fused = _discard_lowest(fused, prefix, discard_ratio)
    a_hat = 0.5 * fused
    a_hat.diagonal(dim1=-2, dim2=-1).add_(0.5)  # ½ (A + I): the residual path
    a_hat = a_hat / a_hat.sum(dim=-1, keepdim=True)  # keepdim: divide row i by row i's sum
    result = a_hat[0]
    for layer in a_hat[1:]:
        result = layer @ result  # later layers on the left
    return result
