"""Tests for the exercise checkers of notebooks 02 and 03: check_cosine_score, check_masked_softmax,
check_entropy. A right answer passes (✅); wrong answers print ❌ with a message that points at the bug;
an unfinished stub prints ⏳; no traceback escapes the checker."""

from __future__ import annotations

import math

import pytest
import torch

from attnlib.exercises import check_cosine_score, check_entropy, check_masked_softmax


def run(capsys, checker, fn):
    ok = checker(fn)
    out = capsys.readouterr().out
    assert out.count("\n") >= 1
    return ok, out


def stub(*args):
    raise NotImplementedError


# --- right answers, written independently of attnlib ---


def cosine_ok(q, k):
    q_hat = torch.nn.functional.normalize(q, dim=-1)
    k_hat = torch.nn.functional.normalize(k, dim=-1)
    return q_hat @ k_hat.transpose(-2, -1)


def masked_softmax_ok(scores, mask):
    s = scores.masked_fill(~mask, float("-inf"))
    top = s.amax(dim=-1, keepdim=True).clamp_min(-1e30)  # a fully masked row has max -inf
    e = torch.exp(s - top)
    total = e.sum(dim=-1, keepdim=True)
    return e / torch.where(total > 0, total, 1.0)


def entropy_ok(w):
    logs = torch.where(w > 0, w, 1.0).log()
    return -(w * logs).sum(dim=-1)


@pytest.mark.parametrize(
    "checker, fn",
    [(check_cosine_score, cosine_ok), (check_masked_softmax, masked_softmax_ok), (check_entropy, entropy_ok)],
)
def test_right_answer_passes(capsys, checker, fn):
    ok, out = run(capsys, checker, fn)
    assert ok is True
    assert out.startswith("✅") and "correct on all 4 test cases" in out


@pytest.mark.parametrize("checker", [check_cosine_score, check_masked_softmax, check_entropy])
def test_stub_says_not_implemented(capsys, checker):
    ok, out = run(capsys, checker, stub)
    assert ok is False
    assert out.startswith("⏳") and "not implemented yet" in out


@pytest.mark.parametrize("checker", [check_cosine_score, check_masked_softmax, check_entropy])
def test_passing_a_result_instead_of_a_function(capsys, checker):
    ok, out = run(capsys, checker, torch.zeros(3))
    assert ok is False
    assert out.startswith("❌") and "pass your function itself" in out


@pytest.mark.parametrize("checker", [check_cosine_score, check_masked_softmax, check_entropy])
def test_a_crashing_function_is_reported_not_raised(capsys, checker):
    def crashes(*args):
        return args[0] @ torch.ones(1000)

    ok, out = run(capsys, checker, crashes)
    assert ok is False
    assert out.startswith("❌") and "your function raised RuntimeError" in out and "Traceback" not in out


# --- cosine: typical mistakes ---


def test_cosine_plain_dot_fails_on_lengths(capsys):
    ok, out = run(capsys, check_cosine_score, lambda q, k: q @ k.transpose(-2, -1))
    assert ok is False
    assert "❌ cosine_score" in out and "lengths must not matter" in out and "Hint:" in out


def test_cosine_unguarded_norm_gives_nan_on_zero_vector(capsys):
    def no_eps(q, k):
        q_hat = q / q.norm(dim=-1, keepdim=True)
        k_hat = k / k.norm(dim=-1, keepdim=True)
        return q_hat @ k_hat.transpose(-2, -1)

    ok, out = run(capsys, check_cosine_score, no_eps)
    assert ok is False
    assert "zero query row" in out and "NaN" in out


@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
def test_cosine_with_dot_T_fails_on_batches(capsys):
    def plain_T(q, k):
        q_hat = torch.nn.functional.normalize(q, dim=-1)
        k_hat = torch.nn.functional.normalize(k, dim=-1)
        return q_hat @ k_hat.T  # .T reverses every dim, not just the last two

    ok, out = run(capsys, check_cosine_score, plain_T)
    assert ok is False
    assert "batched q (2, 5, 6), k (2, 7, 6)" in out and "Traceback" not in out


# --- masked softmax: typical mistakes ---


def test_masked_softmax_ignoring_the_mask(capsys):
    ok, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s, dim=-1))
    assert ok is False
    assert "key 1 masked" in out and "at index (0, 0) expected 0.1192, got 0.09003" in out


def test_masked_softmax_with_torch_softmax_gives_nan_on_fully_masked_row(capsys):
    def torch_style(s, m):
        return torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1)

    ok, out = run(capsys, check_masked_softmax, torch_style)
    assert ok is False
    assert "fully masked" in out and "NaN" in out


def test_masked_softmax_multiplying_by_the_mask_after_softmax(capsys):
    ok, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s, dim=-1) * m)
    assert ok is False
    assert "key 1 masked" in out  # rows no longer sum to 1


def test_masked_softmax_naive_exp_overflows(capsys):
    def naive(s, m):
        e = torch.exp(s) * m
        total = e.sum(dim=-1, keepdim=True)
        return e / torch.where(total > 0, total, 1.0)

    ok, out = run(capsys, check_masked_softmax, naive)
    assert ok is False
    assert "logits ~1000" in out and "NaN" in out


# --- entropy: typical mistakes ---


def test_entropy_without_zero_guard_gives_nan(capsys):
    ok, out = run(capsys, check_entropy, lambda w: -(w * w.log()).sum(dim=-1))
    assert ok is False
    assert "one-hot" in out and "NaN" in out


def test_entropy_with_wrong_sign(capsys):
    ok, out = run(capsys, check_entropy, lambda w: -entropy_ok(w))
    assert ok is False
    assert "uniform rows" in out and f"expected {math.log(8):.4g}" in out


def test_entropy_summed_over_the_wrong_axis(capsys):
    ok, out = run(capsys, check_entropy, lambda w: torch.special.entr(w).sum(dim=-2))
    assert ok is False
    assert "expected shape (1), got (4)" in out
