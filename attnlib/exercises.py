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

__all__ = ["check_scaled_dot_score", "check_softmax", "check_weighted_sum"]


class _Fail(Exception):
    pass


def _fmt_shape(x) -> str:
    return "(" + ", ".join(str(s) for s in x.shape) + ")" if isinstance(x, torch.Tensor) else type(x).__name__


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
        raise _Fail(f"{case}: at index {idx} expected {want[idx].item():.4g}, got {got[idx].item():.4g}")


def _run(name: str, fn, cases, hint: str = "") -> bool:
    """``cases`` yields ``(description, args, expected)``; print one pass/fail line."""
    if not callable(fn):
        print(f"❌ {name}: pass your function itself (not its result); got {type(fn).__name__}")
        return False
    n = 0
    try:
        for case, args, want in cases:
            try:
                got = fn(*args)
            except NotImplementedError:
                print(f"⏳ {name}: not implemented yet; replace the `raise NotImplementedError` with your code")
                return False
            except Exception as e:  # the learner's bug: report it, not a traceback
                raise _Fail(f"{case}: your function raised {type(e).__name__}: {e}") from None
            _compare(got, want, case)
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

    return _run("scaled_dot_score", fn, cases(), hint="scores = q @ kᵀ / √d, with d = q.shape[-1]; "
                "use k.transpose(-2, -1) so batched inputs work.")


def check_softmax(fn) -> bool:
    """``fn(scores) → weights``: a numerically stable softmax over the last axis."""

    def cases():
        s = torch.tensor([[1.0, 2.0, 3.0]])
        yield "scores [[1, 2, 3]]", (s,), torch.softmax(s, dim=-1)
        s = _randn(3, 5, seed=1)
        yield "random scores (3, 5)", (s,), torch.softmax(s, dim=-1)
        s = torch.tensor([[1000.0, 1001.0, 999.0], [-1e4, -1e4 + 1, -1e4 - 1]])
        yield "large logits ±1e4 (does exp overflow?)", (s,), torch.softmax(s, dim=-1)

    return _run("softmax", fn, cases(), hint="subtract the row maximum before exp: "
                "softmax(s) = exp(s - max(s)) / Σ exp(s - max(s)); keepdim=True keeps shapes aligned.")


def check_weighted_sum(fn) -> bool:
    """``fn(weights (..., Nq, Nk), values (..., Nk, dv)) → (..., Nq, dv)``."""

    def cases():
        w = torch.tensor([[0.5, 0.5, 0.0]])
        v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]])
        yield "weights [[0.5, 0.5, 0]]", (w, v), w @ v
        w = torch.softmax(_randn(4, 6, seed=2), dim=-1)
        v = _randn(6, 3, seed=3)
        yield "weights (4, 6), values (6, 3)", (w, v), w @ v

    return _run("weighted_sum", fn, cases(), hint="out_i = Σ_j alpha[i, j] v_j, which is one matrix product.")
