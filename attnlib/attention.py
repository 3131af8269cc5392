"""Softmax, weighted sum and the whole attention step.

Shapes (COURSE conventions): scores and weights ``(..., Nq, Nk)``, row ``i`` is
query ``i``; values ``(..., Nk, dv)``; outputs ``(..., Nq, dv)``. Masks are boolean
and broadcast to the scores, ``True`` = this key may be attended.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._checks import (
    check_batch_dims,
    check_finite,
    check_float_tensor,
    check_int,
    check_mask,
    check_no_nan,
    check_positive,
    shape_str,
)
from .scores import cosine_score, distance_score, dot_score, scaled_dot_score

__all__ = ["softmax", "weighted_sum", "attention", "entropy", "SCORES"]

#: The score functions :func:`attention` knows by name.
SCORES: dict[str, Callable] = {
    "dot": dot_score,
    "scaled_dot": scaled_dot_score,
    "cosine": cosine_score,
    "distance": distance_score,
}


def score_function(score: str | Callable) -> Callable:
    """A score name in :data:`SCORES` (``"dot"``, ``"scaled_dot"``, ``"cosine"``, ``"distance"``) or a callable
    → the callable."""
    if isinstance(score, str):
        if score not in SCORES:
            raise ValueError(f"score must be one of {sorted(SCORES)} or a callable (q, k) -> scores; got {score!r}")
        return SCORES[score]
    if callable(score):
        return score
    raise TypeError(f"score must be a name or a callable (q, k) -> scores; got {type(score).__name__}")


def softmax(
    scores: torch.Tensor,
    dim: int = -1,
    *,
    temperature: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Numerically stable softmax ``alpha = exp(s / T) / Σ exp(s / T)`` along ``dim``.

    scores ``(..., Nq, Nk)`` → weights of the same shape, each slice along ``dim`` summing to 1.

    - Stable: we subtract the largest score before ``exp`` (which changes nothing
      mathematically), so logits of ±1e4 do not overflow.
    - ``temperature`` T > 0: T < 1 sharpens the weights, T > 1 flattens them.
    - ``mask`` (bool, broadcastable, True = keep): masked keys get weight exactly 0.
      A slice whose every key is masked gets all-zero weights (it attends to nothing),
      never NaN.
    - A NaN in ``scores`` raises ``ValueError`` (a NaN weight would silently spread into every
      output). ``-inf`` is allowed and means "weight 0"; ``+inf`` is rejected: use a mask instead.
    """
    check_float_tensor(scores, "scores", "(..., Nq, Nk)", min_dim=1)
    dim = check_int(dim, "dim", minimum=-scores.dim(), maximum=scores.dim() - 1,
                    what=f" (an axis of the {scores.dim()}-D scores)")
    temperature = check_positive(temperature, "temperature")
    check_no_nan(scores, "scores")
    if torch.isposinf(scores).any():
        raise ValueError("scores contain +inf; exclude keys with mask= (or -inf) rather than boosting with +inf")
    if scores.shape[dim] == 0:
        raise ValueError(f"scores {shape_str(scores.shape)} have no keys along dim={dim} to normalise over")
    if mask is not None:
        check_mask(mask, scores)
        scores = scores.masked_fill(~mask, float("-inf"))
    top = scores.amax(dim=dim, keepdim=True)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))  # a fully masked slice has top = -inf
    e = torch.exp((scores - top) / temperature)  # every exponent <= 0: no overflow, even for tiny T
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))


def weighted_sum(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``out_i = Σ_j alpha[i, j] v_j``: weights ``(..., Nq, Nk)`` × values ``(..., Nk, dv)`` → ``(..., Nq, dv)``."""
    check_float_tensor(weights, "weights", "(..., Nq, Nk)")
    check_float_tensor(values, "values", "(..., Nk, dv)")
    if weights.shape[-1] != values.shape[-2]:
        raise ValueError(
            f"weights {shape_str(weights.shape)} (..., Nq, Nk) and values {shape_str(values.shape)} "
            f"(..., Nk, dv) must agree on Nk: {weights.shape[-1]} != {values.shape[-2]}"
        )
    check_batch_dims(weights, "weights", values, "values")
    return weights @ values


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    score: str | Callable = "scaled_dot",
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The three steps: similarity → softmax → weighted sum.

    q ``(..., Nq, d)``, k ``(..., Nk, d)``, v ``(..., Nk, dv)`` →
    ``(output (..., Nq, dv), weights (..., Nq, Nk))``.

    ``score`` is a name in :data:`SCORES` (``"dot"``, ``"scaled_dot"``, ``"cosine"``, ``"distance"``) or any
    callable / ``nn.Module`` mapping ``(q, k)`` to scores ``(..., Nq, Nk)``. With the default
    ``"scaled_dot"`` the output equals ``torch.nn.functional.scaled_dot_product_attention``.
    """
    check_float_tensor(q, "q", "(..., Nq, d)")
    check_float_tensor(k, "k", "(..., Nk, d)")
    check_float_tensor(v, "v", "(..., Nk, dv)")
    for x, name in [(q, "q"), (k, "k"), (v, "v")]:
        check_finite(x, name)
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of keys Nk; got k {shape_str(k.shape)} (..., Nk, d) "
            f"and v {shape_str(v.shape)} (..., Nk, dv)"
        )
    score_fn = score_function(score)
    s = score_fn(q, k)
    check_batch_dims(q, "q", k, "k")
    expected = (*torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]), q.shape[-2], k.shape[-2])
    if not isinstance(s, torch.Tensor) or tuple(s.shape) != expected:
        got = shape_str(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
        name = score if isinstance(score, str) else getattr(score, "__name__", type(score).__name__)
        raise ValueError(f"score {name!r} must return scores of shape {shape_str(expected)} (..., Nq, Nk); got {got}")
    weights = softmax(s, temperature=temperature, mask=mask)
    return weighted_sum(weights, v), weights


def entropy(weights: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Entropy ``H = -Σ_j alpha_j log alpha_j`` (in nats) of each attention distribution along ``dim``.

    weights ``(..., Nq, Nk)`` → ``(..., Nq)``. 0 for a one-hot row (all attention on one key),
    ``log Nk`` for a uniform row; terms with ``alpha_j = 0`` count as 0. An all-zero
    (fully masked) row has entropy 0. Rows that are not distributions (sum ≠ 1) raise ``ValueError``.
    """
    check_float_tensor(weights, "weights", "(..., Nq, Nk)", min_dim=1)
    check_no_nan(weights, "weights")
    if (weights < 0).any():
        raise ValueError("weights must be non-negative (they are probabilities); got a negative entry")
    sums = weights.sum(dim=dim)
    ok = torch.isclose(sums, torch.ones_like(sums), atol=1e-3) | (sums == 0)
    if not ok.all():
        bad = sums[~ok].flatten()[0].item()
        raise ValueError(
            f"each distribution along dim={dim} must sum to 1 (or be all zero, a fully masked row); "
            f"found one summing to {bad:.4g}"
        )
    logs = torch.where(weights > 0, weights.log(), torch.zeros_like(weights))
    return -(weights * logs).sum(dim=dim) + 0.0  # + 0.0 turns -0.0 into 0.0
