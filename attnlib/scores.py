"""Similarity scores: how well does each query match each key?

All functions take queries ``q`` of shape ``(..., Nq, d)`` and keys ``k`` of shape
``(..., Nk, d)`` and return scores of shape ``(..., Nq, Nk)``: row ``i`` holds
query ``i``'s score against every key. Leading dims (batch, heads) broadcast.

The learnable scores (:class:`GeneralScore`, :class:`AdditiveScore`,
:class:`MLPScore`) are ``nn.Module``s with the same ``forward(q, k)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_batch_dims, check_float_tensor, check_int, check_same_dtype, shape_str

__all__ = [
    "dot_score",
    "scaled_dot_score",
    "cosine_score",
    "distance_score",
    "GeneralScore",
    "AdditiveScore",
    "MLPScore",
]


def _check_qk(q, k, d_q: int | None = None, d_k: int | None = None) -> None:
    check_float_tensor(q, "q", "(..., Nq, d)")
    check_float_tensor(k, "k", "(..., Nk, d)")
    check_same_dtype(q, "q", k, "k")
    if q.shape[-1] == 0 or k.shape[-1] == 0 or k.shape[-2] == 0:
        raise ValueError(
            f"q and k need at least one feature (d >= 1) and k at least one key (Nk >= 1); "
            f"got q {shape_str(q.shape)} and k {shape_str(k.shape)}"
        )
    if d_q is None and q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same feature size d (last dim); got q {shape_str(q.shape)} "
            f"and k {shape_str(k.shape)}"
        )
    if d_q is not None and q.shape[-1] != d_q:
        raise ValueError(f"q must have shape (..., Nq, {d_q}) for this score; got {shape_str(q.shape)}")
    if d_k is not None and k.shape[-1] != d_k:
        raise ValueError(f"k must have shape (..., Nk, {d_k}) for this score; got {shape_str(k.shape)}")
    check_batch_dims(q, "q", k, "k")


def dot_score(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``s[i, j] = q_i · k_j``. q ``(..., Nq, d)``, k ``(..., Nk, d)`` → ``(..., Nq, Nk)``."""
    _check_qk(q, k)
    return q @ k.transpose(-2, -1)


def scaled_dot_score(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``s[i, j] = q_i · k_j / √d``. q ``(..., Nq, d)``, k ``(..., Nk, d)`` → ``(..., Nq, Nk)``.

    If the entries of q and k have variance 1, q·k has variance d; dividing by √d
    brings it back to 1 so the softmax does not saturate as d grows.
    """
    _check_qk(q, k)
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])


def cosine_score(q: torch.Tensor, k: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``s[i, j] = q_i · k_j / (‖q_i‖ ‖k_j‖)``, in [-1, 1]. Shapes as :func:`dot_score`.

    A zero vector (norm < ``eps``) scores 0 against everything.
    """
    _check_qk(q, k)
    q_hat = q / q.norm(dim=-1, keepdim=True).clamp_min(eps)
    k_hat = k / k.norm(dim=-1, keepdim=True).clamp_min(eps)
    return q_hat @ k_hat.transpose(-2, -1)


def distance_score(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``s[i, j] = -‖q_i - k_j‖²``: the closer the key, the higher. Shapes as :func:`dot_score`.

    Under a softmax with temperature ``T`` this is the Gaussian kernel ``exp(-‖q - k‖² / T)`` of
    Nadaraya–Watson regression (notebook 01), with ``T = 2σ²``.
    """
    _check_qk(q, k)
    return -torch.cdist(q, k) ** 2


class GeneralScore(nn.Module):
    """Bilinear ("general") score ``s[i, j] = q_iᵀ W k_j`` with a learned ``W`` of shape ``(d_q, d_k)``.

    q ``(..., Nq, d_q)``, k ``(..., Nk, d_k)`` → ``(..., Nq, Nk)``. With ``W = I`` it is the dot score.
    """

    def __init__(self, d_q: int, d_k: int):
        super().__init__()
        check_int(d_q, "d_q", minimum=1)
        check_int(d_k, "d_k", minimum=1)
        self.W = nn.Parameter(torch.empty(d_q, d_k))
        nn.init.xavier_uniform_(self.W)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        _check_qk(q, k, *self.W.shape)
        return q @ self.W @ k.transpose(-2, -1)


def _pairwise_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a ``(..., Nq, h)``, b ``(..., Nk, h)`` → ``a_i + b_j`` of shape ``(..., Nq, Nk, h)``."""
    return a.unsqueeze(-2) + b.unsqueeze(-3)


def _in_query_chunks(fn, a: torch.Tensor, b: torch.Tensor, max_elements: int) -> torch.Tensor:
    """``fn(a_chunk, b)`` over chunks of the queries ``a (..., Nq, h)``, so each ``(..., chunk, Nk, h)``
    block of hidden values stays under ``max_elements``; the score rows are concatenated again."""
    per_query = a.shape[-1] * b.shape[-2] * math.prod(torch.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    chunk = max(1, max_elements // max(1, per_query))
    return torch.cat([fn(a_chunk, b) for a_chunk in a.split(chunk, dim=-2)], dim=-2)


class AdditiveScore(nn.Module):
    """Additive ("concatenation", Bahdanau) score ``s[i, j] = wᵀ tanh(W_q q_i + W_k k_j)``.

    It is the same as ``wᵀ tanh(W_cat [q_i; k_j])`` with ``W_cat = [W_q  W_k]``: a linear map of
    the concatenated pair splits into one part per input. q ``(..., Nq, d_q)``,
    k ``(..., Nk, d_k)`` → ``(..., Nq, Nk)``. Parameters: ``W_q`` ``(hidden, d_q)``, ``W_k``
    ``(hidden, d_k)``, ``w`` ``(1, hidden)`` (called ``w``, not ``v``, so it is not confused with the values).

    Memory: the hidden activations have shape ``(..., Nq, Nk, hidden)``, e.g. 4096 × 4096 × 16
    floats = 1 GiB for a 64×64-token map. We therefore process the queries in chunks of at
    most ``max_elements`` hidden values (64 MiB by default); training through all pairs still
    keeps every chunk for the backward pass.
    """

    def __init__(self, d_q: int, d_k: int, hidden: int, max_elements: int = 2**24):
        super().__init__()
        for value, name in [(d_q, "d_q"), (d_k, "d_k"), (hidden, "hidden"), (max_elements, "max_elements")]:
            check_int(value, name, minimum=1)
        self.W_q = nn.Linear(d_q, hidden, bias=False)
        self.W_k = nn.Linear(d_k, hidden, bias=False)
        self.w = nn.Linear(hidden, 1, bias=False)
        self.max_elements = max_elements

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        _check_qk(q, k, self.W_q.in_features, self.W_k.in_features)
        q_h, k_h = self.W_q(q), self.W_k(k)

        def score(q_chunk, k_all):
            return self.w(torch.tanh(_pairwise_sum(q_chunk, k_all))).squeeze(-1)

        return _in_query_chunks(score, q_h, k_h, self.max_elements)


class MLPScore(nn.Module):
    """Perceptron score: an MLP on the concatenated pair, ``s[i, j] = w₂ᵀ ReLU(W₁ [q_i; k_j] + b₁) + b₂``.

    ``self.net`` is ``Sequential(Linear(d_q + d_k, hidden), ReLU(), Linear(hidden, 1))``. We never
    build the ``(Nq, Nk, d_q + d_k)`` concatenation: ``W₁ [q; k] = W₁[:, :d_q] q + W₁[:, d_q:] k``.
    q ``(..., Nq, d_q)``, k ``(..., Nk, d_k)`` → ``(..., Nq, Nk)``. Same memory note as
    :class:`AdditiveScore` (hidden activations ``(..., Nq, Nk, hidden)``, processed in chunks).
    """

    def __init__(self, d_q: int, d_k: int, hidden: int, max_elements: int = 2**24):
        super().__init__()
        for value, name in [(d_q, "d_q"), (d_k, "d_k"), (hidden, "hidden"), (max_elements, "max_elements")]:
            check_int(value, name, minimum=1)
        self.d_q, self.d_k = d_q, d_k
        self.net = nn.Sequential(nn.Linear(d_q + d_k, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.max_elements = max_elements

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        _check_qk(q, k, self.d_q, self.d_k)
        first, act, last = self.net
        q_h = q @ first.weight[:, : self.d_q].T + first.bias
        k_h = k @ first.weight[:, self.d_q :].T

        def score(q_chunk, k_all):
            return last(act(_pairwise_sum(q_chunk, k_all))).squeeze(-1)

        return _in_query_chunks(score, q_h, k_h, self.max_elements)
