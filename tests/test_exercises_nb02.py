"""Tests for the exercise checkers of notebook 02: check_scaled_dot_score, check_cosine_score.
A right answer passes (✅); wrong answers print ❌ with a message that points at the bug;
an unfinished stub prints ⏳; no traceback escapes the checker."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_support import assert_no_code, hint_of, run, stub

from attnlib.exercises import check_cosine_score, check_scaled_dot_score

# --- scaled dot score ---


def test_scaled_dot_right_and_wrong(capsys):
    ok, out = run(capsys, check_scaled_dot_score, lambda q, k: q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]))
    assert ok and out.startswith("✅ scaled_dot_score: correct on all 4")
    ok, out = run(capsys, check_scaled_dot_score, lambda q, k: q @ k.transpose(-2, -1))  # forgot √d
    assert not ok and "❌" in out and "expected" in out and "Hint" in out
    ok, out = run(capsys, check_scaled_dot_score, lambda q, k: k @ q.T)  # transposed
    assert not ok and "expected shape (1, 3), got (3, 1)" in out


# --- cosine: right answers, written independently of attnlib ---


def cosine_ok(q, k):
    q_hat = torch.nn.functional.normalize(q, dim=-1)
    k_hat = torch.nn.functional.normalize(k, dim=-1)
    return q_hat @ k_hat.transpose(-2, -1)


def test_cosine_right_answer_passes(capsys):
    ok, out = run(capsys, check_cosine_score, cosine_ok)
    assert ok is True
    assert out.startswith("✅") and "correct on all 5 test cases" in out


def test_cosine_stub_says_not_implemented(capsys):
    ok, out = run(capsys, check_cosine_score, stub)
    assert ok is False
    assert out.startswith("⏳") and "not implemented yet" in out


def test_cosine_passing_a_result_instead_of_a_function(capsys):
    ok, out = run(capsys, check_cosine_score, torch.zeros(3))
    assert ok is False
    assert out.startswith("❌") and "pass your function itself" in out


def test_cosine_a_crashing_function_is_reported_not_raised(capsys):
    def crashes(*args):
        return args[0] @ torch.ones(1000)

    ok, out = run(capsys, check_cosine_score, crashes)
    assert ok is False
    assert out.startswith("❌") and "your function raised RuntimeError" in out and "Traceback" not in out


# --- cosine: typical mistakes ---


def test_cosine_plain_dot_fails_on_lengths(capsys):
    ok, out = run(capsys, check_cosine_score, lambda q, k: q @ k.transpose(-2, -1))
    assert ok is False
    assert "❌ cosine_score" in out and "lengths must not matter" in out
    assert hint_of(out) == "divide each row of q and of k by its length before comparing them."


@pytest.mark.parametrize("dim", [0, -2])
def test_cosine_normalising_over_the_wrong_dim(capsys, dim):
    def wrong_dim(q, k):  # divides each column by its length: finite, but not a cosine
        q_hat = q / q.norm(dim=dim, keepdim=True).clamp_min(1e-8)
        k_hat = k / k.norm(dim=dim, keepdim=True).clamp_min(1e-8)
        return q_hat @ k_hat.transpose(-2, -1)

    ok, out = run(capsys, check_cosine_score, wrong_dim)
    assert ok is False
    # cos(q_0 = [3, 4], k_0 = [1, 1]) = 7 / (5 √2) = 0.9899; columns normalised give 0.7472 (hand-checked)
    assert "each row divided by its own length" in out and "expected 0.9899, got 0.7472" in out
    assert "NaN" not in out and hint_of(out) == "one length per row: the norm over the last dim, not over the rows."
    assert_no_code(hint_of(out))


def test_cosine_unguarded_norm_gives_nan_on_zero_vector(capsys):
    def no_eps(q, k):
        q_hat = q / q.norm(dim=-1, keepdim=True)
        k_hat = k / k.norm(dim=-1, keepdim=True)
        return q_hat @ k_hat.transpose(-2, -1)

    ok, out = run(capsys, check_cosine_score, no_eps)
    assert ok is False
    assert "zero query row" in out and "NaN" in out and "keep 0 / 0 from happening" in hint_of(out)


@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
def test_cosine_with_dot_T_fails_on_batches(capsys):
    def plain_T(q, k):
        q_hat = torch.nn.functional.normalize(q, dim=-1)
        k_hat = torch.nn.functional.normalize(k, dim=-1)
        return q_hat @ k_hat.T  # .T reverses every dim, not just the last two

    ok, out = run(capsys, check_cosine_score, plain_T)
    assert ok is False
    assert "batched q (2, 5, 6), k (2, 7, 6)" in out and "Traceback" not in out
