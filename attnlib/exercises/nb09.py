"""Notebook 09 (attention over time): one Bahdanau attention step, and an alignment whose padding weighs 0."""

from __future__ import annotations

import torch

from ._harness import _close, _randn, _run

__all__ = ["check_bahdanau_step", "check_padded_alignment"]


def _additive(s, keys, W_q, W_k, w, squash=torch.tanh) -> torch.Tensor:
    """e[b, j] = wᵀ squash(W_q s_b + W_k h_bj): s (B, hidden), keys (B, T, d_k) → (B, T)."""
    return squash((s @ W_q.T)[:, None, :] + keys @ W_k.T) @ w


def check_bahdanau_step(fn) -> bool:
    """``fn(s (B, hidden), keys (B, T_in, d_k), W_q (n_h, hidden), W_k (n_h, d_k), w (n_h,)) → alpha (B, T_in)``:
    ``alpha[b] = softmax_j(wᵀ tanh(W_q s_b + W_k h_bj))``, each row summing to 1."""

    def hint(s, keys, W_q, W_k, w):
        scores = _additive(s, keys, W_q, W_k, w)

        def name_the_bug(got, want):
            if isinstance(got, RuntimeError) and "cannot be multiplied" in str(got):
                return ("s holds B rows, one state per string, so W_q s for every row is s @ W_q.T, (B, n_h); "
                        "the same goes for the annotations: W_k h_j for every j is keys @ W_k.T, (B, T_in, n_h).")
            if isinstance(got, RuntimeError) and "size of tensor" in str(got):
                return ("W_q s has one row per string, (B, n_h); W_k h_j has one per string and position, "
                        "(B, T_in, n_h). Give W_q s a length-1 axis in the middle, so it is added at every position.")
            if _close(got, scores):
                return "these are the scores e; the weights are their softmax over the input positions j."
            if _close(got, torch.softmax(scores, dim=0)):
                return "your softmax runs over the batch; each string's weights must sum to 1 over its own inputs j."
            if _close(got, torch.softmax(_additive(s, keys, W_q, W_k, w, squash=lambda x: x), dim=-1)):
                return "the tanh is missing: the score squashes W_q s + W_k h_j before w reads it."
            swapped = W_q.shape[1] == W_k.shape[1]  # only then do the swapped matrices fit
            if swapped and _close(got, torch.softmax(_additive(s, keys, W_k, W_q, w), dim=-1)):
                return "W_q and W_k are swapped: W_q maps the decoder state s, W_k maps each annotation h_j."
            if s.shape[1] == keys.shape[2] and _close(got, torch.softmax((keys @ s[:, :, None])[..., 0], dim=-1)):
                return "that is the dot-product score; Bahdanau's is additive: w · tanh(W_q s + W_k h_j)."
            return ""

        return name_the_bug

    def cases():
        shapes = [(1, 3, 2, 2, 3), (2, 5, 4, 6, 3), (3, 7, 5, 5, 8)]  # B, T_in, hidden, d_k, n_h
        for i, (b, t, hidden, d_k, n_h) in enumerate(shapes):
            s, keys = _randn(b, hidden, seed=120 + i), _randn(b, t, d_k, seed=130 + i)
            W_q, W_k, w = _randn(n_h, hidden, seed=140 + i), _randn(n_h, d_k, seed=150 + i), _randn(n_h, seed=160 + i)
            want = torch.softmax(_additive(s, keys, W_q, W_k, w), dim=-1)
            case = f"B = {b}, T_in = {t}, hidden = {hidden}, d_k = {d_k}, n_h = {n_h}"
            yield case, (s, keys, W_q, W_k, w), want, hint(s, keys, W_q, W_k, w)
        s, keys = _randn(2, 4, seed=170), _randn(2, 6, 4, seed=171)
        W_q, W_k, w = _randn(5, 4, seed=172), _randn(5, 4, seed=173), 40 * _randn(5, seed=174)
        want = torch.softmax(_additive(s, keys, W_q, W_k, w), dim=-1)
        case = "a large w (scores up to about ±150: does your softmax overflow?)"
        yield case, (s, keys, W_q, W_k, w), want, hint(s, keys, W_q, W_k, w)

    return _run("bahdanau_step", fn, cases(), hint="score every annotation h_j against the one decoder state s, "
                "e_j = w · tanh(W_q s + W_k h_j), then take a softmax over the input positions j.")


def check_padded_alignment(fn) -> bool:
    """``fn(scores (B, T_out, T_in), lengths (B,)) → alpha (B, T_out, T_in)``: a softmax over the input positions
    ``j < lengths[b]`` only; padded positions ``j >= lengths[b]`` weigh exactly 0 in every output step."""

    def reference(scores, lengths):
        real = torch.arange(scores.shape[-1]) < lengths[:, None]  # (B, T_in): True = a real character
        return torch.softmax(scores.masked_fill(~real[:, None, :], float("-inf")), dim=-1)

    def hint(scores, lengths):
        def name_the_bug(got, want):
            if isinstance(got, RuntimeError) and "size of tensor" in str(got):
                return ("a mask of one flag per string and input position, (B, T_in), needs a length-1 axis for "
                        "the output steps, (B, 1, T_in), to cover the scores (B, T_out, T_in).")
            real = torch.arange(scores.shape[-1]) < lengths[:, None]
            if _close(got, torch.softmax(scores, dim=-1)):
                return "nothing is masked: the padded input positions still take weight."
            if _close(got, reference(scores, lengths + 1)):
                return "one padded position too many is kept: position j is real when j < length, not j <= length."
            if _close(got, torch.softmax(scores, dim=-1) * real[:, None, :]):
                return ("you zeroed the padding after the softmax, so the rows no longer sum to 1: mask before "
                        "normalising, or normalise again.")
            if _close(got, torch.softmax(scores.masked_fill(~real[:, None, :], 0.0), dim=-1)):
                return ("padded scores must become −inf, not 0: exp(0) = 1 still takes weight, so the padding "
                        "keeps a share of every row.")
            if isinstance(got, torch.Tensor) and got.shape == want.shape:
                on_padding = got.detach()[~real[:, None, :].expand_as(got)]
                if on_padding.numel() and on_padding.abs().sum() > 0.5 * on_padding.numel() / got.shape[-1]:
                    return "the weight sits on the padding: True in the mask must mean a real character."
            return ""

        return name_the_bug

    def cases():
        for i, (b, t_out, t_in, lengths) in enumerate([(2, 3, 4, [4, 2]), (3, 10, 6, [6, 1, 3]), (1, 2, 5, [5])]):
            scores = 3 * _randn(b, t_out, t_in, seed=180 + i)
            lengths = torch.tensor(lengths)
            scores = torch.where(torch.arange(t_in) < lengths[:, None, None], scores, scores + 20)  # loud padding
            case = f"scores (B, T_out, T_in) = {tuple(scores.shape)}, lengths {lengths.tolist()}"
            yield case, (scores, lengths), reference(scores, lengths), hint(scores, lengths)

    return _run("padded_alignment", fn, cases(), hint="build a mask that is True for the real input positions of "
                "each string, spread it over every output step, and give the other positions weight 0 before "
                "the softmax normalises each row.")
