"""Self-checks for the notebooks' exercises.

Each ``check_…(fn)`` calls a learner's function on a few small cases, compares
the result with a reference computed here, and prints one line: a pass, or what
is wrong (which case, the shape or a value it got and what it expected). It
never lets a traceback through, and returns ``True``/``False`` so a notebook
can ``assert`` on it.
"""

from __future__ import annotations

import math

import torch

from ._checks import shape_str

__all__ = [
    "check_scaled_dot_score",
    "check_softmax",
    "check_weighted_sum",
    "check_cosine_score",
    "check_masked_softmax",
    "check_entropy",
    "check_sample_index",
    "check_nadaraya_watson",
    "check_query_map",
    "check_grid_query_map",
    "check_sagan_energy",
    "check_sagan_output",
    "check_dot_product_pairwise",
    "check_concatenation_pairwise",
    "check_normalise_rows",
    "check_log_softmax",
]


class _Fail(Exception):
    pass


def _fmt_shape(x) -> str:
    return shape_str(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def _compare(got, want: torch.Tensor, case: str, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Raise _Fail with a helpful message unless ``got`` matches ``want``."""
    if not isinstance(got, torch.Tensor):
        raise _Fail(f"{case}: expected a torch.Tensor, got {type(got).__name__}")
    if got.shape != want.shape:
        raise _Fail(f"{case}: expected shape {_fmt_shape(want)}, got {_fmt_shape(got)}")
    got = got.detach().to(want.dtype)
    if torch.isnan(got).any() and not torch.isnan(want).any():
        raise _Fail(f"{case}: your result contains NaN (overflow? a division by zero?)")
    if not torch.allclose(got, want, atol=atol, rtol=rtol, equal_nan=True):
        idx = tuple(int(i) for i in torch.nonzero(~torch.isclose(got, want, atol=atol, rtol=rtol))[0])
        raise _Fail(f"{case}: at index {idx} expected {_num(want[idx].item())}, got {_num(got[idx].item())}")


def _num(x: float) -> str:
    """A value for a message: whole numbers in full (12005, not 1.2e+04), others to 4 significant digits."""
    whole = isinstance(x, int) or (math.isfinite(x) and float(x).is_integer() and abs(x) < 2**53)
    return str(int(x)) if whole else f"{x:.4g}"


def _case_hint(case_hint, got, want) -> str:
    """A case's own hint: a string, or a function ``(got, want) → str`` that names what went wrong."""
    if not callable(case_hint):
        return case_hint
    try:
        return case_hint(got, want)
    except Exception:  # a hint must never crash the checker
        return ""


def _run(name: str, fn, cases, hint: str = "", *, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """``cases`` yields ``(description, args, expected)``, optionally with a 4th item, that case's own
    hint (see :func:`_case_hint`; "" falls back to ``hint``); print one pass/fail line. ``atol``/``rtol``:
    the comparison's tolerance (``0, 0`` where the answer is an exact copy of the input's values)."""
    if not callable(fn):
        print(f"❌ {name}: pass your function itself (not its result); got {type(fn).__name__}")
        return False
    n = 0
    try:
        for case, args, want, *case_hint in cases:
            try:
                got = fn(*args)
            except NotImplementedError:
                print(f"⏳ {name}: not implemented yet; replace the `raise NotImplementedError` with your code")
                return False
            except Exception as e:  # the learner's bug: report it, not a traceback
                raise _Fail(f"{case}: your function raised {type(e).__name__}: {e}") from None
            try:
                _compare(got, want, case, atol=atol, rtol=rtol)
            except _Fail:
                hint = (_case_hint(case_hint[0], got, want) if case_hint else "") or hint
                raise
            n += 1
    except _Fail as e:
        print(f"❌ {name}: {e}" + (f"\n   Hint: {hint}" if hint else ""))
        return False
    print(f"✅ {name}: correct on all {n} test cases.")
    return True


def _randn(*shape, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


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


def check_softmax(fn) -> bool:
    """``fn(scores) → weights``: a numerically stable softmax over the last axis."""

    def cases():
        s = torch.tensor([[1.0, 2.0, 3.0]])
        yield "scores [[1, 2, 3]]", (s,), torch.softmax(s, dim=-1), _weights_hint
        s = _randn(3, 5, seed=1)
        yield "random scores (3, 5)", (s,), torch.softmax(s, dim=-1), _weights_hint
        s = torch.tensor([[1000.0, 1001.0, 999.0], [-1e4, -1e4 + 1, -1e4 - 1]])
        yield "large logits ±1e4 (does exp overflow?)", (s,), torch.softmax(s, dim=-1), _weights_hint

    return _run("softmax", fn, cases(), hint="each weight is e^score divided by the sum of e^score over its row.")


def check_weighted_sum(fn) -> bool:
    """``fn(weights (..., Nq, Nk), values (..., Nk, dv)) → (..., Nq, dv)``."""

    def cases():
        w = torch.tensor([[0.5, 0.5, 0.0]])
        v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
        yield "weights [[0.5, 0.5, 0]]", (w, v), w @ v
        w = torch.softmax(_randn(4, 6, seed=2), dim=-1)
        v = _randn(6, 3, seed=3)
        yield "weights (4, 6), values (6, 3)", (w, v), w @ v
        w = torch.softmax(_randn(2, 4, 6, seed=4), dim=-1)
        v = _randn(2, 6, 3, seed=5)
        yield "batched weights (2, 4, 6), values (2, 6, 3)", (w, v), w @ v

    return _run("weighted_sum", fn, cases(), hint="out_i = Σ_j alpha[i, j] v_j, which is one matrix product "
                "(use @ or torch.matmul, which also handle leading batch dims).")


# --- notebooks 02 and 03: cosine score, masked softmax, entropy ---

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
        yield "nothing masked", (s, m), reference(s, m), _weights_hint
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


# --- notebook 01: hard attention by sampling, Nadaraya–Watson kernel regression ---

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


# --- notebook 04: from a row of weights to a map ---

_HEAD, _QUERY = 1_000_000, 1000  # the codes of _coded_weights: value = 1_000_000 head + 1000 query + key


def _coded_weights(*lead, n: int) -> torch.Tensor:
    """``(*lead, n, n)`` with entry ``[h, i, j] = 1_000_000 h + 1000 i + j`` (``h`` numbers the leading
    dims' entries, e.g. heads): every value says which head, query and key it was taken from."""
    i = torch.arange(n, dtype=torch.float64)
    coded = _QUERY * i[:, None] + i[None, :]
    heads = _HEAD * torch.arange(math.prod(lead), dtype=torch.float64).reshape(*lead, 1, 1)
    return coded + heads


def _decode(value: float, n: int) -> tuple[int, int, int] | None:
    """A value of ``_coded_weights(..., n=n)`` → ``(head, query, key)``; None if it is not one."""
    if not math.isfinite(value) or value < 0 or not float(value).is_integer():
        return None
    head, rest = divmod(int(value), _HEAD)
    query, key = divmod(rest, _QUERY)
    return (head, query, key) if query < n and key < n else None


def _coded_hint(n: int, heads: int = 1, prefix: int = 0):
    """A case hint for coded weights: read the first wrong entry back as the head, query and key it
    came from, and nudge towards the step that went wrong (never the whole recipe)."""

    def name(head, query, key):
        return f"query {query}'s key {key}" + (f" of head {head}" if heads > 1 else "")

    def hint(got, want):
        if got.shape != want.shape:
            return "the map has H rows and W columns, after the leading dims: (..., H, W)."
        got = got.detach().double()
        idx = tuple(int(i) for i in torch.nonzero(got != want)[0])
        found, expected = _decode(got[idx].item(), n), _decode(want[idx].item(), n)
        if found is None:
            return "each entry of the map is one weight of the matrix, copied unchanged."
        (gh, gi, gj), (wh, wi, wj) = found, expected
        said = f"at map index {idx} you returned {name(gh, gi, gj)}; expected "
        if gh != wh:
            return said + f"head {wh}'s. Keep the leading dims as they are."
        if gi != wi and gj == wi:
            return said + f"query {wi}'s key {wj}. That is a column (who looks at token {wi}); take the row."
        if gi != wi:
            return said + f"query {wi}'s key {wj}. Check which token index you take."
        if prefix and gj == wj - prefix:
            skipped = "key 0 is not a pixel" if prefix == 1 else f"keys 0–{prefix - 1} are not pixels"
            return said + f"key {wj}. The right row, but {skipped}."
        return said + f"key {wj}. The row is right: check how you lay it out on the grid."

    return hint


def _row_as_map(weights: torch.Tensor, query, grid, prefix: int = 0) -> torch.Tensor:
    """The reference, written out: row ``prefix + row * W + col``, keys after the prefix, as ``(..., H, W)``."""
    (h, w), (row, col) = grid, query
    keys = weights[..., prefix + row * w + col, prefix:]
    return keys.reshape(*weights.shape[:-2], h, w)


def check_query_map(fn) -> bool:
    """``fn(weights (..., N, N), query (row, col), grid (H, W)) → (..., H, W)`` on square grids."""

    def cases():
        w = _coded_weights(n=9)
        want = _row_as_map(w, (1, 2), (3, 3))
        yield "coded 3×3 grid, query (1, 2)", (w, (1, 2), (3, 3)), want, _coded_hint(9)
        w = torch.softmax(_randn(16, 16, seed=40), dim=-1)
        yield "random weights, 4×4 grid, query (3, 0)", (w, (3, 0), (4, 4)), _row_as_map(w, (3, 0), (4, 4))
        w = _coded_weights(2, n=16)
        want = _row_as_map(w, (0, 3), (4, 4))
        yield "coded, two heads (2, 16, 16), 4×4 grid, query (0, 3)", (w, (0, 3), (4, 4)), want, _coded_hint(16, 2)

    return _run("query_map", fn, cases(), hint="check which token index you take, and that the map keeps "
                "the leading dims: (..., H, W).", atol=0, rtol=0)  # a map copies weights: exact, so 12005 ≠ 12006


def check_grid_query_map(fn) -> bool:
    """``fn(weights, query, grid, prefix) → (..., H, W)`` on non-square grids with CLS/register tokens."""

    def cases():
        w = _coded_weights(n=6)
        want = _row_as_map(w, (1, 0), (2, 3))
        yield "coded 2×3 grid (2 rows, 3 columns), query (1, 0)", (w, (1, 0), (2, 3), 0), want, _coded_hint(6)
        w = _coded_weights(n=1 + 15)
        want = _row_as_map(w, (2, 4), (3, 5), 1)
        yield "coded 3×5 grid after 1 CLS token, query (2, 4)", (w, (2, 4), (3, 5), 1), want, _coded_hint(16, prefix=1)
        w = _coded_weights(3, n=5 + 8)
        want = _row_as_map(w, (3, 1), (4, 2), 5)
        case = "coded, 3 heads, 4×2 grid after CLS + 4 registers, query (3, 1)"
        yield case, (w, (3, 1), (4, 2), 5), want, _coded_hint(13, 3, prefix=5)

    return _run("query_map (any grid, prefix)", fn, cases(), hint="on a grid that is not square, check "
                "how many tokens one step down the grid skips, and how many rows the map has.", atol=0, rtol=0)


# --- notebooks 05 and 06: SAGAN self-attention, Non-local pairwise functions ---

def _pixels(t: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` → ``(B, H * W, C)``: one row per pixel, row-major."""
    return t.permute(0, 2, 3, 1).reshape(t.shape[0], t.shape[2] * t.shape[3], t.shape[1])


def _close(got, candidate: torch.Tensor) -> bool:
    """Does a learner's result match ``candidate`` (a known wrong answer)?"""
    got = got.detach() if isinstance(got, torch.Tensor) else None
    return got is not None and got.shape == candidate.shape and torch.allclose(got.to(candidate.dtype), candidate,
                                                                               atol=1e-5, rtol=1e-4)


def _column_major(h: int, w: int) -> torch.Tensor:
    """Token order of an ``h × w`` grid flattened column by column: entry n is the row-major token of
    the n-th pixel in column-major order → ``(h * w,)`` long."""
    return torch.arange(h * w).reshape(h, w).T.reshape(-1)


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


def check_dot_product_pairwise(fn) -> bool:
    """``fn(theta (B, N, d), phi (B, N', d)) → (B, N, N')``: ``θ_i · φ_j / N'`` (N' = number of keys)."""

    def hint(n, n_keys):
        def name_the_bug(got, want):
            if _close(got, want.transpose(1, 2)):
                return ("your rows are the keys: the result must be (B, N, N'), row i = query i against every "
                        "key j; put θ first in the product.")
            if _close(got, torch.softmax(want * n_keys, dim=-1)):
                return ("a softmax is the (embedded) Gaussian's normalisation; the dot-product mode keeps the raw "
                        "scores and divides them by N'.")
            if n != n_keys and _close(got, want * n_keys / n):
                return "you divided by N, the number of queries; C(x) counts the key positions, N'."
            if _close(got, want * n_keys):
                return "the 1/N normalisation is missing."
            return ""

        return name_the_bug

    def cases():
        for i, (b, n, n_keys, d) in enumerate([(1, 4, 4, 3), (2, 16, 4, 8), (1, 6, 9, 2)]):
            theta, phi = _randn(b, n, d, seed=110 + i), _randn(b, n_keys, d, seed=120 + i)
            want = torch.einsum("bid,bjd->bij", theta, phi) / n_keys
            yield f"theta {tuple(theta.shape)}, phi {tuple(phi.shape)}", (theta, phi), want, hint(n, n_keys)

    return _run("dot_product_pairwise", fn, cases(), hint="every query against every key in one product, then the "
                "normaliser C(x) of the dot-product mode.")


def check_concatenation_pairwise(fn) -> bool:
    """``fn(theta (B, N, d), phi (B, N', d), w_f (2d,)) → (B, N, N')``: ``ReLU(w_fᵀ [θ_i; φ_j]) / N'``."""

    def hint(raw, n, n_keys):
        def name_the_bug(got, want):
            if _close(got, want.transpose(1, 2)):
                return ("your rows are the keys: the result must be (B, N, N'), row i = query i against every "
                        "key j; the first half of w_f goes with θ.")
            if _close(got, torch.softmax(raw, dim=-1)) or _close(got, torch.softmax(torch.relu(raw), dim=-1)):
                return ("a softmax is the (embedded) Gaussian's normalisation; concatenation keeps ReLU(score) and "
                        "divides it by N'.")
            if _close(got, raw / n_keys):
                return "the ReLU is missing: negative scores must become 0."
            if n != n_keys and _close(got, want * n_keys / n):
                return "you divided by N, the number of queries; C(x) counts the key positions, N'."
            return ""

        return name_the_bug

    def cases():
        for i, (b, n, n_keys, d) in enumerate([(1, 3, 3, 2), (2, 8, 4, 4), (1, 5, 7, 3)]):
            theta, phi = _randn(b, n, d, seed=130 + i), _randn(b, n_keys, d, seed=140 + i)
            w_f = _randn(2 * d, seed=150 + i)
            pairs = torch.cat([theta[:, :, None, :].expand(b, n, n_keys, d),
                               phi[:, None, :, :].expand(b, n, n_keys, d)], dim=-1)  # (B, N, N', 2d)
            raw = pairs @ w_f
            want = torch.relu(raw) / n_keys
            yield (f"theta {tuple(theta.shape)}, phi {tuple(phi.shape)}, w_f ({2 * d},)", (theta, phi, w_f), want,
                   hint(raw, n, n_keys))

    return _run("concatenation_pairwise", fn, cases(), hint="w_fᵀ[θ_i; φ_j] splits into a part that depends only "
                "on i and a part that depends only on j; broadcasting can add them for every pair.")


# --- notebook 00: a first exercise ---

def check_normalise_rows(fn) -> bool:
    """``fn(x (..., N)) → (..., N)``: each row (last axis) of non-negative numbers divided by its own sum."""

    def reference(x):
        x = x.double()
        return (x / x.sum(dim=-1, keepdim=True)).float()

    def cases():
        x = torch.tensor([[1.0, 1.0, 2.0]])
        yield "x [[1, 1, 2]] (should give [[0.25, 0.25, 0.5]])", (x,), reference(x)
        x = torch.tensor([[1.0, 0.0, 3.0], [2.0, 2.0, 4.0], [0.0, 5.0, 0.0]])
        yield "x [[1, 0, 3], [2, 2, 4], [0, 5, 0]] (does each row get its own sum?)", (x,), reference(x)
        x = _randn(4, 6, seed=160).abs()
        yield "random x (4, 6), non-negative", (x,), reference(x)
        x = _randn(2, 3, 5, seed=161).abs()
        yield "batched x (2, 3, 5): rows along the last axis", (x,), reference(x)

    return _run("normalise_rows", fn, cases(), hint="each row needs its own sum: sum over the last axis only, "
                "and see what keepdim=True does to the shape of that sum.")


# --- notebook 03: a stable log-softmax ---

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
