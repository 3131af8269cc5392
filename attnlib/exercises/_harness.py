"""The harness every checker uses: run a learner's function on cases, compare, print one line.

A checker builds its cases as ``(description, args, expected[, case_hint])`` and hands them to
:func:`_run`, which prints ✅ (all cases right), ⏳ (the stub still raises ``NotImplementedError``) or ❌
(which case, the shape or a value it got and what it expected, and a hint). No traceback gets through.
"""

from __future__ import annotations

import math

import torch

from .._checks import shape_str


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
    """A case's own hint: a string, or a function ``(got, want) → str`` that names what went wrong.

    When the learner's function raised, ``got`` is the exception: a string hint is not used then (it
    describes a wrong result), and a function may name the mistake or return "".
    """
    if not callable(case_hint):
        return "" if isinstance(got, Exception) else case_hint
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
                got = e
            try:
                if isinstance(got, Exception):
                    raise _Fail(f"{case}: your function raised {type(got).__name__}: {got}")
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


# --- shared by the hints that name a known wrong answer ---

def _close(got, candidate: torch.Tensor) -> bool:
    """Does a learner's result match ``candidate`` (a known wrong answer)?"""
    got = got.detach() if isinstance(got, torch.Tensor) else None
    return got is not None and got.shape == candidate.shape and torch.allclose(got.to(candidate.dtype), candidate,
                                                                               atol=1e-5, rtol=1e-4)


def _column_major(h: int, w: int) -> torch.Tensor:
    """Token order of an ``h × w`` grid flattened column by column: entry n is the row-major token of
    the n-th pixel in column-major order → ``(h * w,)`` long."""
    return torch.arange(h * w).reshape(h, w).T.reshape(-1)
