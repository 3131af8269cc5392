"""Tests for the exercise checkers of notebook 01: check_sample_index, check_nadaraya_watson (and
check_weighted_sum, which notebook 01 uses). A right answer passes (✅); wrong answers print ❌ with a
message that points at the bug; an unfinished stub prints ⏳; no traceback escapes the checker."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_support import run, stub

from attnlib.exercises import check_nadaraya_watson, check_sample_index, check_weighted_sum

# --- right answers, written independently of attnlib ---


def sample_index_ok(alpha, u):
    """Walk along each row with plain Python floats until the running total passes u."""
    picked = []
    for row, u_i in zip(alpha.tolist(), u.tolist(), strict=True):
        total, j = 0.0, 0
        while j < len(row) - 1:
            total += row[j]
            if total > u_i:
                break
            j += 1
        picked.append(j)
    return torch.tensor(picked)


def nadaraya_watson_ok(x_query, x_train, y_train, sigma):
    """Gaussian-kernel weighted average with math.exp, one query at a time (log-sum-exp shift)."""
    out = []
    for xq in x_query.tolist():
        logits = [-((xq - xt) ** 2) / (2 * sigma**2) for xt in x_train.tolist()]
        top = max(logits)
        kernel = [math.exp(s - top) for s in logits]
        out.append(sum(w * y for w, y in zip(kernel, y_train.tolist(), strict=True)) / sum(kernel))
    return torch.tensor(out)


def weighted_sum_ok(weights, values):
    return torch.einsum("...qk,...kd->...qd", weights, values)


@pytest.mark.parametrize(
    "checker, fn, n_cases",
    [
        (check_sample_index, sample_index_ok, 4),
        (check_nadaraya_watson, nadaraya_watson_ok, 4),
        (check_weighted_sum, weighted_sum_ok, 4),
    ],
)
def test_right_answer_passes(capsys, checker, fn, n_cases):
    ok, out = run(capsys, checker, fn)
    assert ok is True
    assert out == f"✅ {checker.__name__.removeprefix('check_')}: correct on all {n_cases} test cases.\n"


@pytest.mark.parametrize("checker", [check_sample_index, check_nadaraya_watson, check_weighted_sum])
def test_stub_says_not_implemented(capsys, checker):
    ok, out = run(capsys, checker, stub)
    assert ok is False
    assert out.startswith("⏳") and "not implemented yet" in out


@pytest.mark.parametrize("checker", [check_sample_index, check_nadaraya_watson])
def test_passing_the_result_instead_of_the_function(capsys, checker):
    ok, out = run(capsys, checker, torch.zeros(3))
    assert ok is False
    assert out.startswith("❌") and "pass your function itself" in out


# --- check_weighted_sum: wrong answers ---


def test_weighted_sum_checker_wants_batches(capsys):
    ok, out = run(capsys, check_weighted_sum, torch.mm)  # 2-D only
    assert not ok and "batched weights (2, 4, 6)" in out


@pytest.mark.parametrize("wrong", [lambda w, v: (w @ v).tolist(), lambda w, v: w @ v + 1])
def test_weighted_sum_wrong_answers(capsys, wrong):
    ok, out = run(capsys, check_weighted_sum, wrong)
    assert not ok and out.startswith("❌ weighted_sum")


@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
@pytest.mark.parametrize(
    "transposed",
    [
        lambda w, v: w.T @ v,
        lambda w, v: w.transpose(-2, -1) @ v,
        lambda w, v: torch.einsum("...kq,...kd->...qd", w, v),  # sums over the query index
    ],
)
def test_weighted_sum_names_transposed_weights(capsys, transposed):
    """Square, non-symmetric weights: query 0's output mixes the values with row 0 of the weights,
    [0.5, 0.5, 0] → [0.5, 0.5]; column 0, [0.5, 0, 1], gives 0.5 · [1, 0] + 1 · [9, 9] = [9.5, 9]."""
    ok, out = run(capsys, check_weighted_sum, transposed)
    assert ok is False
    assert out.startswith("❌ weighted_sum: square weights [[0.5, 0.5, 0], [0, 0.25, 0.75], [1, 0, 0]]")
    assert "at index (0, 0) expected 0.5, got 9.5" in out
    assert "Hint: you used the weights transposed: row i of the weights is query i's weights" in out


# --- check_sample_index: wrong answers ---


def test_sample_index_hand_checked_cases():
    """The checker's first cases, worked out by hand: totals [0.5, 0.75, 1] and [0, 0.7, 0.7, 1]."""
    alpha = torch.tensor([[0.5, 0.25, 0.25]]).repeat(3, 1)
    assert sample_index_ok(alpha, torch.tensor([0.1, 0.6, 0.9])).tolist() == [0, 1, 2]
    alpha = torch.tensor([[0.0, 0.7, 0.0, 0.3]]).repeat(4, 1)
    assert sample_index_ok(alpha, torch.tensor([0.05, 0.69, 0.71, 0.99])).tolist() == [1, 1, 3, 3]
    assert sample_index_ok(torch.eye(4)[[2, 0, 3]], torch.tensor([0.0, 0.5, 0.999])).tolist() == [2, 0, 3]


def test_sample_index_strict_comparison(capsys):
    """Counting totals < u (instead of <= u) picks key 0 of a one-hot row at u = 0: a key of weight 0."""
    ok, out = run(capsys, check_sample_index, lambda alpha, u: (alpha.cumsum(-1) < u[:, None]).sum(-1))
    assert ok is False
    assert "❌ sample_index: one-hot rows (keys 2, 0, 3)" in out and "at index (0,) expected 2, got 0" in out
    assert "Hint: running totals are alpha.cumsum(dim=-1)" in out


def test_sample_index_argmax_is_not_sampling(capsys):
    ok, out = run(capsys, check_sample_index, lambda alpha, u: alpha.argmax(dim=-1))
    assert ok is False
    assert "❌ sample_index: alpha rows [0.5, 0.25, 0.25]" in out and "at index (1,) expected 1, got 0" in out


def test_sample_index_one_u_for_all_rows(capsys):
    """Comparing every row with u[0] (a broadcasting slip) is caught."""
    ok, out = run(capsys, check_sample_index, lambda alpha, u: (alpha.cumsum(-1) <= u[0]).sum(-1))
    assert ok is False
    assert "at index (1,) expected 1, got 0" in out


def test_sample_index_keepdim_shape(capsys):
    ok, out = run(capsys, check_sample_index, lambda alpha, u: sample_index_ok(alpha, u)[:, None])
    assert ok is False
    assert "expected shape (3,), got (3, 1)" in out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sample_index_rejects_float_indices(capsys, dtype):
    """Right values as floats (2.0 instead of 2) fail: a float tensor cannot index the values."""
    ok, out = run(capsys, check_sample_index, lambda alpha, u: sample_index_ok(alpha, u).to(dtype))
    assert ok is False
    assert out.startswith(
        "❌ sample_index: alpha rows [0.5, 0.25, 0.25], u [0.1, 0.6, 0.9]: indices must have an integer dtype"
    )
    assert f"got {dtype}" in out


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.uint8])
def test_sample_index_accepts_any_integer_dtype(capsys, dtype):
    ok, out = run(capsys, check_sample_index, lambda alpha, u: sample_index_ok(alpha, u).to(dtype))
    assert ok is True and out.startswith("✅")


def test_sample_index_learner_error_is_reported(capsys):
    ok, out = run(
        capsys, check_sample_index, lambda alpha, u: torch.searchsorted(alpha.cumsum(-1), u[:, None, None])
    )
    assert ok is False
    assert out.startswith(
        "❌ sample_index: alpha rows [0.5, 0.25, 0.25], u [0.1, 0.6, 0.9]: your function raised"
    )


# --- check_nadaraya_watson: wrong answers ---


def test_nadaraya_watson_hand_checked_value():
    """Query 0.5 against x_train [0, 1, 2], σ = 0.5: logits -0.5, -0.5, -4.5 → (1 + 4 e⁻⁴) / (2 + e⁻⁴)."""
    got = nadaraya_watson_ok(
        torch.tensor([0.5]), torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 1.0, 4.0]), 0.5
    )
    assert got.item() == pytest.approx((1 + 4 * math.exp(-4)) / (2 + math.exp(-4)), rel=1e-6)


def test_nadaraya_watson_without_normalising(capsys):
    def unnormalised(x_query, x_train, y_train, sigma):
        return torch.exp(-((x_query[:, None] - x_train[None, :]) ** 2) / (2 * sigma**2)) @ y_train

    ok, out = run(capsys, check_nadaraya_watson, unnormalised)
    assert ok is False
    assert "❌ nadaraya_watson: x_train [0, 1, 2], y_train [0, 1, 4], σ = 0.5" in out
    assert "expected 0.5318, got 0.651" in out
    assert "Hint: one softmax per query over the training points (dim=-1)" in out
    assert "x_train[None, :]" not in out  # the hint nudges; it does not print the solution


def test_nadaraya_watson_sigma_not_squared(capsys):
    def sigma_not_squared(x_query, x_train, y_train, sigma):
        return torch.softmax(-((x_query[:, None] - x_train[None, :]) ** 2) / (2 * sigma), dim=-1) @ y_train

    ok, out = run(capsys, check_nadaraya_watson, sigma_not_squared)
    assert ok is False
    assert "σ = 0.5, x_query [0.5, 1]: at index (0,) expected 0.5318, got 0.7218" in out


def test_nadaraya_watson_softmax_over_the_wrong_axis(capsys):
    def wrong_axis(x_query, x_train, y_train, sigma):
        return torch.softmax(-((x_query[:, None] - x_train[None, :]) ** 2) / (2 * sigma**2), dim=0) @ y_train

    ok, out = run(capsys, check_nadaraya_watson, wrong_axis)
    assert ok is False
    assert "❌ nadaraya_watson:" in out and "expected 0.5318, got 0.681" in out


def test_nadaraya_watson_underflow_gives_nan(capsys):
    """exp then divide is right for large σ but 0 / 0 for a far query with a tiny σ."""

    def naive(x_query, x_train, y_train, sigma):
        kernel = torch.exp(-((x_query[:, None] - x_train[None, :]) ** 2) / (2 * sigma**2))
        return kernel @ y_train / kernel.sum(dim=1)

    ok, out = run(capsys, check_nadaraya_watson, naive)
    assert ok is False
    assert "σ = 0.05 and query 11 far from all x_train" in out and "your result contains NaN" in out


def test_nadaraya_watson_learner_error_is_reported(capsys):
    def transposed(x_query, x_train, y_train, sigma):
        alpha = torch.softmax(-((x_query[:, None] - x_train[None, :]) ** 2) / (2 * sigma**2), dim=-1)
        return alpha.T @ y_train  # (Nk, Nq) @ (Nk,): a shape error

    ok, out = run(capsys, check_nadaraya_watson, transposed)
    assert ok is False
    assert out.startswith("❌ nadaraya_watson:") and "your function raised RuntimeError" in out
