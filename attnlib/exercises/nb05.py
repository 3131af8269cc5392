"""Notebook 05 (SAGAN self-attention): the energy ``q_i · k_j`` and the gated, residual output."""

from __future__ import annotations

import math

import torch

from ._harness import _close, _column_major, _randn, _run

__all__ = ["check_sagan_energy", "check_sagan_output"]


def _pixels(t: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` → ``(B, H * W, C)``: one row per pixel, row-major."""
    return t.permute(0, 2, 3, 1).reshape(t.shape[0], t.shape[2] * t.shape[3], t.shape[1])


def check_sagan_energy(fn) -> bool:
    """``fn(x (B, C, H, W), w_q (C', C), w_k (C', C)) → energy (B, N, N)``, ``energy[b, i, j] = q_i · k_j``."""

    def hint(want, d, h, w):
        column_major = _column_major(h, w)  # token order if the pixels are flattened column by column

        def name_the_bug(got, _want):
            if _close(got, want.transpose(1, 2)):
                return "your rows are the keys: row i must be query pixel i, i.e. q_i compared with every k_j."
            if _close(got, want / math.sqrt(d)):
                return "SAGAN does not divide by √d; leave the energy unscaled."
            if _close(got, torch.softmax(want, dim=-1)):
                return "you applied the softmax already: the energy is the raw q_i · k_j; the softmax is step 2."
            if _close(got, want[:, column_major][:, :, column_major]):
                return ("your pixels are numbered column by column: token n must be row * W + col, so flatten "
                        "(B, C, H, W) → (B, C, H·W) as it is stored (x.flatten(2)), without swapping H and W.")
            return ""

        return name_the_bug

    def cases():
        for i, (b, c, h, w) in enumerate([(1, 8, 2, 2), (2, 16, 2, 3), (1, 32, 4, 5)]):
            x = _randn(b, c, h, w, seed=50 + i)
            w_q, w_k = _randn(c // 8, c, seed=60 + i), _randn(c // 8, c, seed=70 + i)
            q, k = _pixels(x) @ w_q.T, _pixels(x) @ w_k.T  # (B, N, C')
            want = torch.einsum("bid,bjd->bij", q, k)
            yield f"x {tuple(x.shape)}, C' = {c // 8}", (x, w_q, w_k), want, hint(want, c // 8, h, w)

    return _run("sagan_energy", fn, cases(), hint="a 1×1 convolution is the same matrix applied at every pixel; "
                "flatten the pixels first (row-major), then compare every query with every key in one product.")


def check_sagan_output(fn) -> bool:
    """``fn(x (B, C, H, W), v (B, C, N), attention (B, N, N), gamma) → out (B, C, H, W)``: ``gamma · (v Aᵀ) + x``."""

    def hint(x, v, attention, gamma):
        def name_the_bug(got, want):
            o_wrong = torch.einsum("bji,bcj->bci", attention, v).reshape(x.shape)  # columns used as maps
            if _close(got, gamma * o_wrong + x):
                return ("you weighted with the columns of the attention; query i's weights are its row "
                        "attention[:, i, :], so the attention must be transposed before it meets v.")
            if _close(got, want - x):
                return "you left out the residual: SAGAN adds the input x back."
            if gamma != 1 and _close(got, (want - x) / gamma + x):
                return "γ is missing: the attention output o is multiplied by gamma before x is added back."
            o = torch.einsum("bij,bcj->bci", attention, v)  # (B, C, N), token n = row * W + col
            b, c, h, w = x.shape
            if _close(got, gamma * o.reshape(b, c, w, h).transpose(2, 3) + x):
                return ("o went back to (B, C, H, W) column by column: token n is pixel (n // W, n % W), so "
                        "o.reshape(x.shape) puts it in place; no transpose of H and W.")
            return ""

        return name_the_bug

    def cases():
        for i, (b, c, h, w, gamma) in enumerate([(1, 2, 2, 2, 1.0), (2, 3, 2, 3, 0.5), (1, 4, 3, 1, 0.0)]):
            x = _randn(b, c, h, w, seed=80 + i)
            v = _randn(b, c, h * w, seed=90 + i)
            attention = torch.softmax(3 * _randn(b, h * w, h * w, seed=100 + i), dim=-1)  # rows sum to 1
            o = torch.einsum("bij,bcj->bci", attention, v)  # o_i = Σ_j A[i, j] v_j
            want = gamma * o.reshape(b, c, h, w) + x
            yield f"x {tuple(x.shape)}, gamma = {gamma}", (x, v, attention, gamma), want, hint(x, v, attention, gamma)

    return _run("sagan_output", fn, cases(), hint="o_i = Σ_j attention[i, j] v_j: which axis of v is j, and which "
                "axis of the attention? Reshape o like x before the gate and the residual.")
