"""Notebook 03 (softmax and normalisation): a stable log-softmax, a masked softmax, the entropy of a row."""

from __future__ import annotations

import math

import torch

from ._harness import _randn, _run

__all__ = ["check_log_softmax", "check_masked_softmax", "check_entropy"]


def _log_weights_hint(got, want) -> str:
    """Name the likely bug in a wrong log-softmax result ``got`` (``want`` has the right shape), or ""."""
    if got.shape != want.shape:
        return "keep the scores' shape: reduce with keepdim, so each row's max and sum broadcast back."
    got = got.detach().double()
    row_lost = ~torch.isfinite(got).any(dim=-1)  # (..., Nq): not one finite value left in the row
    if torch.isnan(got).any() or torch.isposinf(got).any() or row_lost.any():
        return "exp overflowed (or underflowed in a whole row): subtract the row max first."
    if torch.isneginf(got).any():
        return "a weight underflowed to 0 before its log: stay in log space (the log of a ratio is a difference)."
    if not torch.allclose(got.exp().sum(dim=-1), torch.ones((), dtype=got.dtype), atol=1e-4):
        return "the exps of each row must sum to 1: reduce over the last dim."
    return ""


def check_log_softmax(fn) -> bool:
    """``fn(scores (..., Nq, Nk)) → (..., Nq, Nk)``: ``log softmax`` over the last axis, finite even
    where the weight itself underflows to 0, and for logits whose ``exp`` overflows (100) or underflows (-500)."""

    def cases():
        s = torch.tensor([[1.0, 2.0, 3.0]])
        yield "scores [[1, 2, 3]]", (s,), torch.log_softmax(s, dim=-1), _log_weights_hint
        s = _randn(3, 5, seed=13)
        yield "random scores (3, 5)", (s,), torch.log_softmax(s, dim=-1), _log_weights_hint
        s = torch.tensor([[0.0, -200.0]])
        case = "scores [[0, -200]] (the weight e^-200 underflows to 0 in float32: is its log -inf?)"
        yield case, (s,), torch.log_softmax(s, dim=-1), _log_weights_hint
        s = torch.tensor([[100.0, 101.0, 99.0], [-500.0, -499.0, -501.0]])
        case = "logits [[100, 101, 99], [-500, -499, -501]] (does exp overflow, or underflow in a whole row?)"
        yield case, (s,), torch.log_softmax(s, dim=-1), _log_weights_hint
        s = _randn(2, 3, 4, seed=14)
        yield "batched scores (2, 3, 4)", (s,), torch.log_softmax(s, dim=-1), _log_weights_hint

    return _run("log_softmax", fn, cases(), hint="log alpha_j is s_j minus the log of its row's sum of e^s; "
                "compute that log with the row max taken out.")


def _weights_hint(got, want) -> str:
    """Name the likely bug in a wrong softmax result ``got`` (``want`` has the right shape), or ""."""
    if got.shape != want.shape:
        return "keep the scores' shape: reduce with keepdim, so each row's max and sum broadcast back."
    got = got.detach().double()
    if not torch.isfinite(got).all():
        return ("exp overflowed to inf (or underflowed to 0 in a whole row): subtract the row max first; "
                "the weights do not change.")
    if not torch.allclose(got.sum(dim=-1), torch.ones((), dtype=got.dtype), atol=1e-4):
        return "each row must sum to 1: reduce over the last dim."
    return ""


def _unmasked_hint(got, want) -> str:
    """The "nothing masked" case: with every key allowed, a row of NaN or of zeros means the mask was read
    the wrong way round (True taken as *blocked*); otherwise the plain softmax hints."""
    if got.shape == want.shape:
        rows = got.detach().double()
        if (torch.isnan(rows).all(dim=-1) | (rows == 0).all(dim=-1)).any():
            return ("with every key allowed you got NaN or zeros: is your mask inverted? True = may attend, "
                    "so fill where ~mask.")
    return _weights_hint(got, want)


def check_masked_softmax(fn) -> bool:
    """``fn(scores (..., Nq, Nk), mask) → weights``: softmax over the last axis where only keys with
    ``mask == True`` count; masked keys weigh exactly 0 and a fully masked row is all zeros (not NaN)."""

    def reference(s, mask):
        w = torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)
        return torch.nan_to_num(w, nan=0.0)  # torch gives NaN for a fully masked row; we want zeros

    def hint_for(mask):
        def hint(got, want):
            if got.shape != want.shape:
                return ""
            got = got.detach().double()
            full = ~mask.expand(want.shape).any(dim=-1)  # (..., Nq): rows with no allowed key
            bad = ~torch.isfinite(got).all(dim=-1)  # (..., Nq): rows with NaN or inf
            if (bad & ~full).any():
                return "exp overflowed: subtract the row max (of the allowed scores) first."
            if (bad & full).any():
                return "a fully masked row has nothing to normalise: its weights must be 0, not 0 / 0."
            if (got[full] != 0).any():
                return "a fully masked row must be all zeros (a large finite stand-in for −∞ makes it uniform)."
            if (got.masked_select(~mask.expand(want.shape)) != 0).any():
                return "masked keys must weigh exactly 0: remove them before the exp (e^−∞ = 0)."
            if not torch.allclose(got.sum(dim=-1)[~full], torch.ones((), dtype=got.dtype), atol=1e-4):
                return "each row must sum to 1 over its allowed keys: mask before normalising, not after."
            return ""

        return hint

    def cases():
        s = torch.tensor([[1.0, 2.0, 3.0]])
        m = torch.tensor([[True, True, True]])
        yield "nothing masked", (s, m), reference(s, m), _unmasked_hint
        m = torch.tensor([[True, False, True]])
        yield "scores [[1, 2, 3]], key 1 masked (its weight must be exactly 0)", (s, m), reference(s, m), hint_for(m)
        s = _randn(4, 5, seed=9) * 3
        m = torch.tensor([True, True, False, True, False])
        yield "scores (4, 5), mask (5,) broadcast to every row", (s, m), reference(s, m), hint_for(m)
        s = torch.tensor([[1000.0, 1001.0, 5.0], [0.5, 0.2, 0.1]])
        m = torch.tensor([[True, True, False], [False, False, False]])
        case = "row 1 fully masked (should be all zeros, not NaN); row 0 has logits ~1000"
        yield case, (s, m), reference(s, m), hint_for(m)

    return _run("masked_softmax", fn, cases(), hint="softmax over the allowed keys only; masked keys and "
                "fully masked rows get weight 0.")


def check_entropy(fn) -> bool:
    """``fn(weights (..., Nq, Nk)) → (..., Nq)``: ``H = -Σ_j alpha_j log alpha_j`` (nats), 0·log 0 = 0."""

    def reference(w):
        return torch.special.entr(w).sum(dim=-1)

    def hint(got, want):
        if got.shape != want.shape:
            return "one entropy per row: sum over the last dim only."
        got, want = got.detach().double(), want.double()
        if torch.isnan(got).any():
            return "0 · log 0 is NaN in floating point: a zero weight must add 0 to the sum."
        if torch.allclose(got, -want, atol=1e-5):
            return "check the sign: an entropy is never negative."
        if torch.allclose(got, want / math.log(2), atol=1e-5) or torch.allclose(got, want / math.log(10), atol=1e-5):
            return "use the natural log (the answer is in nats)."
        return ""

    def cases():
        w = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
        yield "one-hot row [[0, 1, 0, 0]] (entropy 0; does 0·log 0 give NaN?)", (w,), reference(w), hint
        w = torch.full((2, 8), 1 / 8)
        yield "uniform rows (2, 8) (entropy log 8)", (w,), reference(w), hint
        w = torch.softmax(_randn(3, 6, seed=11), dim=-1)
        yield "random weights (3, 6)", (w,), reference(w), hint
        w = torch.softmax(_randn(2, 3, 4, 5, seed=12), dim=-1)
        yield "batched weights (2, 3, 4, 5) → (2, 3, 4)", (w,), reference(w), hint

    return _run("entropy", fn, cases(), hint="H is minus the sum, over each row, of alpha times its natural "
                "log; a zero weight adds nothing.")
