"""Notebook 02 (similarity functions): the scaled dot score and the cosine score."""

from __future__ import annotations

import math

import torch

from ._harness import _randn, _run

__all__ = ["check_scaled_dot_score", "check_cosine_score"]


def check_scaled_dot_score(fn) -> bool:
    """``fn(q (..., Nq, d), k (..., Nk, d)) → (..., Nq, Nk)`` should be ``q kᵀ / √d``."""

    def cases():
        for i, (nq, nk, d) in enumerate([(1, 3, 4), (2, 5, 16), (4, 4, 64)]):
            q, k = _randn(nq, d, seed=i), _randn(nk, d, seed=10 + i)
            yield f"q {tuple(q.shape)}, k {tuple(k.shape)}", (q, k), q @ k.T / math.sqrt(d)
        q, k = _randn(2, 3, 5, 8, seed=7), _randn(2, 3, 6, 8, seed=8)
        yield "batched q (2, 3, 5, 8), k (2, 3, 6, 8)", (q, k), q @ k.transpose(-2, -1) / math.sqrt(8)

    return _run("scaled_dot_score", fn, cases(), hint="one matrix product, divided by the square root of the "
                "feature size; a transpose that only swaps the last two dims also works for batches.")


def check_cosine_score(fn) -> bool:
    """``fn(q (..., Nq, d), k (..., Nk, d)) → (..., Nq, Nk)`` should be ``q̂ k̂ᵀ`` with unit-length rows.

    A zero vector (norm 0) must score 0 against everything, not NaN.
    """

    def reference(q, k):
        q_norm = torch.linalg.vector_norm(q, dim=-1, keepdim=True)
        k_norm = torch.linalg.vector_norm(k, dim=-1, keepdim=True)
        dots = q @ k.transpose(-2, -1)
        norms = q_norm @ k_norm.transpose(-2, -1)
        return torch.where(norms > 0, dots / torch.where(norms > 0, norms, 1.0), 0.0)

    def cases():
        q, k = torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0], [0.0, 3.0]])
        yield ("q [[1, 0]], k [[2, 0], [0, 3]] (lengths must not matter)", (q, k), reference(q, k),
               "divide each row of q and of k by its length before comparing them.")
        q, k = torch.tensor([[3.0, 4.0], [1.0, 0.0]]), torch.tensor([[1.0, 1.0], [0.0, 2.0], [-3.0, 0.0]])
        case = "q [[3, 4], [1, 0]], k [[1, 1], [0, 2], [-3, 0]] (each row divided by its own length?)"
        yield case, (q, k), reference(q, k), "one length per row: the norm over the last dim, not over the rows."
        q, k = 5 * _randn(3, 8, seed=4), 0.1 * _randn(4, 8, seed=5)
        yield "random q (3, 8) × 5, k (4, 8) × 0.1", (q, k), reference(q, k)
        q, k = _randn(2, 5, 6, seed=6), _randn(2, 7, 6, seed=7)
        yield "batched q (2, 5, 6), k (2, 7, 6)", (q, k), reference(q, k)
        q, k = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]), _randn(3, 3, seed=8)
        yield ("a zero query row [0, 0, 0] (should score 0, not NaN)", (q, k), reference(q, k),
               "a zero row has length 0: keep 0 / 0 from happening, so the row stays zero.")

    return _run("cosine_score", fn, cases(), hint="make every row of q and of k unit length (norm over the "
                "last dim); then it is the dot product of Exercise 1, without the √d.")
