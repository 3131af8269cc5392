"""Tests for the exercise checker of notebook 00: check_normalise_rows (the first exercise).
A right answer passes (✅); wrong answers print ❌ naming the failing case; a stub prints ⏳."""

from __future__ import annotations

import pytest
import torch

from attnlib.exercises import check_normalise_rows


def run(capsys, fn):
    ok = check_normalise_rows(fn)
    out = capsys.readouterr().out
    assert out.endswith("\n") and "Traceback" not in out
    return ok, out


def normalise_by_loops(x):
    """A right answer without torch reductions: divide each row by a Python sum of its entries."""
    flat = x.reshape(-1, x.shape[-1]).tolist()
    rows = [[v / sum(row) for v in row] for row in flat]
    return torch.tensor(rows).reshape(x.shape)


def test_normalise_rows_accepts_a_right_answer(capsys):
    ok, out = run(capsys, normalise_by_loops)
    assert ok and out.startswith("✅ normalise_rows: correct on all 4 test cases")


def test_normalise_rows_stub_is_pending(capsys):
    def stub(x):
        raise NotImplementedError

    ok, out = run(capsys, stub)
    assert not ok and out.startswith("⏳ normalise_rows: not implemented yet")


@pytest.mark.parametrize(
    ("wrong", "case"),
    [
        (lambda x: x / x.sum(), "does each row get its own sum?"),  # one total for the whole tensor
        (lambda x: x / x.sum(dim=-1), "does each row get its own sum?"),  # no keepdim: divides columns on 3×3
        (lambda x: x / x.sum(dim=0, keepdim=True), "[[1, 1, 2]]"),  # columns instead of rows
        (lambda x: x / x.sum(dim=-1, keepdim=True).reshape(-1, 1), "batched"),  # fine until a batch dim appears
    ],
)
def test_normalise_rows_names_the_failing_case(capsys, wrong, case):
    ok, out = run(capsys, wrong)
    assert not ok and out.startswith("❌ normalise_rows:") and case in out and "Hint:" in out


def test_normalise_rows_reports_a_crash_without_a_traceback(capsys):
    ok, out = run(capsys, lambda x: x.reshape(7, -1))  # RuntimeError on 3 numbers
    assert not ok and out.startswith("❌ normalise_rows:") and "raised RuntimeError" in out
