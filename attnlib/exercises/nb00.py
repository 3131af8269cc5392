"""Notebook 00 (start here): the first exercise, ``normalise_rows``.

Notebook 00's slider test, ``widget_check``, is a widget rather than a checker: it lives in
``widget_check.py`` next to this file, so that importing the checkers never loads ipywidgets.
"""

from __future__ import annotations

import torch

from ._harness import _randn, _run

__all__ = ["check_normalise_rows"]


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
