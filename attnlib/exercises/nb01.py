"""Notebook 01 (attention in three steps): the weighted sum, hard attention by sampling, and
Nadaraya–Watson kernel regression."""

from __future__ import annotations

import torch

from ._harness import _close, _Fail, _randn, _run

__all__ = ["check_weighted_sum", "check_sample_index", "check_nadaraya_watson"]


def check_weighted_sum(fn) -> bool:
    """``fn(weights (..., Nq, Nk), values (..., Nk, dv)) → (..., Nq, dv)``."""

    def transposed_hint(w, v):
        def name_the_bug(got, _want):
            if _close(got, w.transpose(-2, -1) @ v):
                return ("you used the weights transposed: row i of the weights is query i's weights over the "
                        "keys, so out_i mixes the values with row i, not with column i.")
            return ""

        return name_the_bug

    def cases():
        w = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])  # square, not symmetric
        v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
        case = "square weights [[0.5, 0.5, 0], [0, 0.25, 0.75], [1, 0, 0]] (Nq = Nk, not symmetric)"
        yield case, (w, v), w @ v, transposed_hint(w, v)
        w = torch.tensor([[0.5, 0.5, 0.0]])
        yield "weights [[0.5, 0.5, 0]]", (w, v), w @ v
        w = torch.softmax(_randn(4, 6, seed=2), dim=-1)
        v = _randn(6, 3, seed=3)
        yield "weights (4, 6), values (6, 3)", (w, v), w @ v
        w = torch.softmax(_randn(2, 4, 6, seed=4), dim=-1)
        v = _randn(2, 6, 3, seed=5)
        yield "batched weights (2, 4, 6), values (2, 6, 3)", (w, v), w @ v

    return _run("weighted_sum", fn, cases(), hint="out_i = Σ_j alpha[i, j] v_j, which is one matrix product "
                "(use @ or torch.matmul, which also handle leading batch dims).")


def check_sample_index(fn) -> bool:
    """``fn(alpha (Nq, Nk), u (Nq,)) → index (Nq,)`` (ints): hard attention by inverse-CDF sampling.

    Row ``i`` picks the first key ``j`` whose running total ``alpha[i, 0] + … + alpha[i, j]`` is
    strictly greater than ``u[i]``. With ``u`` uniform on [0, 1), key ``j`` is picked with probability
    ``alpha[i, j]``, and a key with weight 0 is never picked. The indices must have an integer dtype
    (a float ``2.0`` cannot index a tensor).
    """

    def reference(alpha, u):
        totals = alpha.double().cumsum(dim=-1)
        picked = (totals <= u.double().unsqueeze(-1)).sum(dim=-1)  # how many totals u has passed
        return picked.clamp_max(alpha.shape[-1] - 1)  # guards against a last total of 0.9999999

    inputs = [  # (description, alpha (Nq, Nk), u (Nq,))
        ("alpha rows [0.5, 0.25, 0.25], u [0.1, 0.6, 0.9]",
         torch.tensor([[0.5, 0.25, 0.25]]).repeat(3, 1), torch.tensor([0.1, 0.6, 0.9])),
        ("alpha rows [0, 0.7, 0, 0.3] (keys 0 and 2 must never be picked)",
         torch.tensor([[0.0, 0.7, 0.0, 0.3]]).repeat(4, 1), torch.tensor([0.05, 0.69, 0.71, 0.99])),
        ("one-hot rows (keys 2, 0, 3), u [0, 0.5, 0.999]", torch.eye(4)[[2, 0, 3]], torch.tensor([0.0, 0.5, 0.999])),
        ("random alpha (6, 8), u (6,)",
         torch.softmax(2 * _randn(6, 8, seed=11), dim=-1), torch.rand(6, generator=torch.Generator().manual_seed(12))),
    ]
    returned = []  # what fn gave back, case by case

    def fn_recorded(alpha, u):
        returned.append(fn(alpha, u))
        return returned[-1]

    def cases():
        for case, alpha, u in inputs:
            yield case, (alpha, u), reference(alpha, u)
            picked = returned[-1]  # _run has compared it with the reference: now check its dtype
            if picked.is_floating_point() or picked.is_complex() or picked.dtype == torch.bool:
                raise _Fail(f"{case}: indices must have an integer dtype (e.g. torch.long), got {picked.dtype}")

    hint = (
        "running totals are alpha.cumsum(dim=-1); the picked key is the first j whose total is strictly "
        "greater than u, which is the number of totals <= u (compare with u.unsqueeze(-1) so each row uses "
        "its own u). A key with weight 0 is never picked. Counting with .sum() gives integers (torch.long)."
    )
    return _run("sample_index", fn_recorded if callable(fn) else fn, cases(), hint=hint)


def check_nadaraya_watson(fn) -> bool:
    """``fn(x_query (Nq,), x_train (Nk,), y_train (Nk,), sigma) → predictions (Nq,)``.

    ``prediction_i = Σ_j alpha[i, j] y_train[j]`` with
    ``alpha[i, :] = softmax_j(-(x_query[i] - x_train[j])² / (2 sigma²))``: Gaussian-kernel regression.
    """

    def reference(x_query, x_train, y_train, sigma):
        d2 = (x_query.double()[:, None] - x_train.double()[None, :]) ** 2
        logits = -d2 / (2 * sigma**2)
        kernel = torch.exp(logits - logits.max(dim=1, keepdim=True).values)  # the largest term is exp(0) = 1
        return (kernel @ y_train.double() / kernel.sum(dim=1)).float()

    def cases():
        x_train, y_train = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 1.0, 4.0])
        x_query = torch.tensor([0.5, 1.0])
        args = (x_query, x_train, y_train, 0.5)
        yield "x_train [0, 1, 2], y_train [0, 1, 4], σ = 0.5, x_query [0.5, 1]", args, reference(*args)
        args = (torch.tensor([-1.0, 0.0, 4.0]), torch.tensor([3.0]), torch.tensor([2.0]), 1.0)
        yield "a single training point (x 3, y 2): every prediction must be 2", args, reference(*args)
        x_train = 5 * torch.rand(20, generator=torch.Generator().manual_seed(13))
        y_train = _randn(20, seed=14)
        args = (torch.linspace(0, 5, 7), x_train, y_train, 2.0)
        yield "random data, 20 training points, 7 queries, σ = 2", args, reference(*args)
        args = (torch.tensor([1.0, 11.0]), torch.tensor([0.0, 1.0, 2.0]), torch.tensor([5.0, 6.0, 7.0]), 0.05)
        case = "σ = 0.05 and query 11 far from all x_train (exp underflows to 0: do you divide 0 by 0?)"
        yield case, args, reference(*args)

    return _run("nadaraya_watson", fn, cases(), hint="one softmax per query over the training points "
                "(dim=-1), then a weighted sum of y_train. Don't exp-then-divide: a tiny σ gives 0 / 0.")
