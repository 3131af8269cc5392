"""The core checkers pass right answers and explain wrong ones, without tracebacks."""

import math

import pytest
import torch

from attnlib.exercises import check_scaled_dot_score, check_softmax, check_weighted_sum


def run(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


def test_scaled_dot_right_and_wrong(capsys):
    ok, out = run(check_scaled_dot_score, lambda q, k: q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), capsys)
    assert ok and out.startswith("✅ scaled_dot_score: correct on all 4")
    ok, out = run(check_scaled_dot_score, lambda q, k: q @ k.transpose(-2, -1), capsys)  # forgot √d
    assert not ok and "❌" in out and "expected" in out and "Hint" in out
    ok, out = run(check_scaled_dot_score, lambda q, k: k @ q.T, capsys)  # transposed
    assert not ok and "expected shape (1, 3), got (3, 1)" in out


def test_softmax_checker_catches_overflow(capsys):
    ok, out = run(check_softmax, lambda s: s.exp() / s.exp().sum(-1, keepdim=True), capsys)
    assert not ok and "large logits" in out and "NaN" in out
    ok, out = run(check_softmax, lambda s: (s - s.amax(-1, keepdim=True)).softmax(-1), capsys)
    assert ok


def test_checker_reports_exceptions_and_not_implemented(capsys):
    def stub(w, v):
        raise NotImplementedError

    ok, out = run(check_weighted_sum, stub, capsys)
    assert not ok and out.startswith("⏳ weighted_sum: not implemented yet")
    ok, out = run(check_weighted_sum, lambda w, v: v @ w, capsys)
    assert not ok and "your function raised RuntimeError" in out and "Traceback" not in out
    ok, out = run(check_weighted_sum, torch.ones(2), capsys)
    assert not ok and "pass your function itself" in out


def test_weighted_sum_checker_wants_batches(capsys):
    ok, out = run(check_weighted_sum, torch.mm, capsys)  # 2-D only
    assert not ok and "batched weights (2, 4, 6)" in out


@pytest.mark.parametrize("wrong", [lambda w, v: (w @ v).tolist(), lambda w, v: w @ v + 1])
def test_weighted_sum_wrong_answers(wrong, capsys):
    ok, out = run(check_weighted_sum, wrong, capsys)
    assert not ok and out.startswith("❌ weighted_sum")
