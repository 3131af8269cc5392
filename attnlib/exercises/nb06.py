"""Notebook 06 (Non-local blocks): the dot-product and concatenation pairwise functions, normalised by
N', the number of key positions."""

from __future__ import annotations

import math

import torch

from ._harness import _close, _num, _randn, _run

__all__ = ["check_dot_product_pairwise", "check_concatenation_pairwise"]


def _factor(got, candidate: torch.Tensor) -> float | None:
    """The ``c > 0`` with ``got ≈ c · candidate`` (a known wrong answer, whatever its normaliser), or None."""
    if not isinstance(got, torch.Tensor) or got.shape != candidate.shape or not candidate.any():
        return None
    got = got.detach().to(candidate.dtype)
    c = ((got * candidate).sum() / (candidate * candidate).sum()).item()
    return c if math.isfinite(c) and c > 0 and _close(got, c * candidate) else None


def _normaliser_hint(got, want: torch.Tensor, n: int, n_keys: int, d: int) -> str:
    """If ``got`` is the right scores divided by the wrong number, name that number; else ""."""
    c = _factor(got, want)  # want = scores / N', so got = scores / (N' / c)
    if c is None:
        return ""
    divisor = n_keys / c
    named = [
        (1, f"the 1/N' normalisation is missing: divide by N' = {n_keys}, the number of key positions."),
        (n, "you divided by N, the number of queries; C(x) counts the key positions, N'."),
        (n * n_keys, f"you divided by N·N' = {n * n_keys}, every pair; C(x) counts only the key positions, N'."),
        (math.sqrt(d), f"you divided by √d, the scaled dot product's factor; here C(x) = N' = {n_keys}, the number "
                       "of key positions."),
    ]
    for value, text in named:
        if value != n_keys and math.isclose(divisor, value, rel_tol=1e-3):
            return text
    return f"you divided by {_num(round(divisor, 3))}; C(x) = N' = {n_keys}, the number of key positions."


def check_dot_product_pairwise(fn) -> bool:
    """``fn(theta (B, N, d), phi (B, N', d)) → (B, N, N')``: ``θ_i · φ_j / N'`` (N' = number of keys)."""

    def hint(n, n_keys, d):
        def name_the_bug(got, want):
            if _factor(got, want.transpose(1, 2)):
                return ("your rows are the keys: the result must be (B, N, N'), row i = query i against every "
                        "key j; put θ first in the product.")
            if _close(got, torch.softmax(want * n_keys, dim=-1)):
                return ("a softmax is the (embedded) Gaussian's normalisation; the dot-product mode keeps the raw "
                        "scores and divides them by N'.")
            return _normaliser_hint(got, want, n, n_keys, d)

        return name_the_bug

    def cases():
        for i, (b, n, n_keys, d) in enumerate([(1, 4, 4, 3), (2, 16, 4, 8), (1, 6, 9, 2)]):
            theta, phi = _randn(b, n, d, seed=110 + i), _randn(b, n_keys, d, seed=120 + i)
            want = torch.einsum("bid,bjd->bij", theta, phi) / n_keys
            yield f"theta {tuple(theta.shape)}, phi {tuple(phi.shape)}", (theta, phi), want, hint(n, n_keys, d)

    return _run("dot_product_pairwise", fn, cases(), hint="every query against every key in one product, then the "
                "normaliser C(x) of the dot-product mode.")


def check_concatenation_pairwise(fn) -> bool:
    """``fn(theta (B, N, d), phi (B, N', d), w_f (2d,)) → (B, N, N')``: ``ReLU(w_fᵀ [θ_i; φ_j]) / N'``."""

    def hint(theta, phi, w_f, raw):
        (b, n, d), n_keys = theta.shape, phi.shape[1]
        query_part, key_part = theta @ w_f[:d], phi @ w_f[d:]  # (B, N), (B, N')
        swapped = (theta @ w_f[d:])[:, :, None] + (phi @ w_f[:d])[:, None, :]  # the halves of w_f swapped
        relu_each = torch.relu(query_part)[:, :, None] + torch.relu(key_part)[:, None, :]
        rows_to_one = torch.relu(raw) / torch.relu(raw).sum(dim=-1, keepdim=True)  # NaN where a row is all 0

        def name_the_bug(got, want):
            if isinstance(got, torch.Tensor) and got.shape == (b, n) != want.shape:
                return ("your result is (B, N): the query part and the key part were added position by position. "
                        "Every pair (i, j) needs its own sum: give them axes that broadcast to (B, N, N').")
            if _factor(got, want.transpose(1, 2)):
                return ("your rows are the keys: the result must be (B, N, N'), row i = query i against every "
                        "key j; the first half of w_f goes with θ.")
            if _close(got, torch.softmax(raw, dim=-1)) or _close(got, torch.softmax(torch.relu(raw), dim=-1)):
                return ("a softmax is the (embedded) Gaussian's normalisation; concatenation keeps ReLU(score) and "
                        "divides it by N'.")
            if _factor(got, raw):
                return "the ReLU is missing: negative scores must become 0."
            if _factor(got, torch.relu(swapped)):
                return ("the halves of w_f are swapped: [θ_i; φ_j] puts θ_i first, so the first d weights of w_f go "
                        "with θ_i and the last d with φ_j.")
            if _factor(got, relu_each):
                return ("the ReLU comes after the sum, ReLU(w_θ·θ_i + w_φ·φ_j): a ReLU on each part is not the "
                        "same (the ReLU of a sum is not the sum of the ReLUs).")
            if isinstance(got, torch.Tensor) and _close(got.nan_to_num(0.0), rows_to_one.nan_to_num(0.0)):
                return ("you made each row sum to 1; here C(x) = N' is a count, the number of key positions, so "
                        "the rows need not sum to 1.")
            return _normaliser_hint(got, want, n, n_keys, d)

        return name_the_bug

    def cases():
        for i, (b, n, n_keys, d) in enumerate([(1, 3, 3, 2), (2, 8, 4, 4), (1, 5, 7, 3)]):
            # seeds with scores of both signs in every case: all-negative scores give all zeros, which any
            # normaliser and any orientation would match
            theta, phi = _randn(b, n, d, seed=131 + i), _randn(b, n_keys, d, seed=141 + i)
            w_f = _randn(2 * d, seed=151 + i)
            pairs = torch.cat([theta[:, :, None, :].expand(b, n, n_keys, d),
                               phi[:, None, :, :].expand(b, n, n_keys, d)], dim=-1)  # (B, N, N', 2d)
            raw = pairs @ w_f
            want = torch.relu(raw) / n_keys
            yield (f"theta {tuple(theta.shape)}, phi {tuple(phi.shape)}, w_f ({2 * d},)", (theta, phi, w_f), want,
                   hint(theta, phi, w_f, raw))

    return _run("concatenation_pairwise", fn, cases(), hint="w_fᵀ[θ_i; φ_j] splits into a part that depends only "
                "on i and a part that depends only on j; broadcasting can add them for every pair.")
