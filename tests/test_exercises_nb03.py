"""Tests for the exercise checkers of notebook 03: check_log_softmax, check_masked_softmax, check_entropy.
A right answer passes (✅); wrong answers print ❌ with a message that points at the bug;
an unfinished stub prints ⏳; no traceback escapes the checker."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_support import assert_no_code, hint_of, run, stub

from attnlib.exercises import check_entropy, check_log_softmax, check_masked_softmax

# --- right answers, written independently of attnlib ---


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
    "checker, fn, n_cases", [(check_masked_softmax, masked_softmax_ok, 4), (check_entropy, entropy_ok, 4)]
)
def test_right_answer_passes(capsys, checker, fn, n_cases):
    ok, out = run(capsys, checker, fn)
    assert ok is True
    assert out.startswith("✅") and f"correct on all {n_cases} test cases" in out


@pytest.mark.parametrize("checker", [check_masked_softmax, check_entropy])
def test_stub_says_not_implemented(capsys, checker):
    ok, out = run(capsys, checker, stub)
    assert ok is False
    assert out.startswith("⏳") and "not implemented yet" in out


@pytest.mark.parametrize("checker", [check_masked_softmax, check_entropy])
def test_passing_a_result_instead_of_a_function(capsys, checker):
    ok, out = run(capsys, checker, torch.zeros(3))
    assert ok is False
    assert out.startswith("❌") and "pass your function itself" in out


@pytest.mark.parametrize("checker", [check_masked_softmax, check_entropy])
def test_a_crashing_function_is_reported_not_raised(capsys, checker):
    def crashes(*args):
        return args[0] @ torch.ones(1000)

    ok, out = run(capsys, checker, crashes)
    assert ok is False
    assert out.startswith("❌") and "your function raised RuntimeError" in out and "Traceback" not in out


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
    assert "expected shape (1,), got (4,)" in out


def test_entropy_hint_names_the_sign(capsys):
    ok, out = run(capsys, check_entropy, lambda w: -entropy_ok(w))
    assert ok is False and hint_of(out) == "check the sign: an entropy is never negative."


@pytest.mark.parametrize("base", [2, 10])
def test_entropy_hint_names_the_log_base(capsys, base):
    ok, out = run(capsys, check_entropy, lambda w: entropy_ok(w) / math.log(base))
    # uniform over 8 keys: log2 8 = 3 instead of ln 8 = 2.079
    assert ok is False and "uniform rows" in out and "use the natural log" in hint_of(out)
    assert_no_code(hint_of(out))


def test_entropy_hints_for_nan_and_wrong_axis(capsys):
    _, out = run(capsys, check_entropy, lambda w: -(w * w.log()).sum(dim=-1))
    assert "0 · log 0 is NaN" in hint_of(out)
    _, out = run(capsys, check_entropy, lambda w: torch.special.entr(w).sum(dim=-2))
    assert hint_of(out) == "one entropy per row: sum over the last dim only."


# --- masked softmax: each failure gets its own hint ---


def test_masked_softmax_hints_match_the_failure(capsys):
    _, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1))
    assert "fully masked row has nothing to normalise" in hint_of(out)
    _, out = run(capsys, check_masked_softmax, lambda s, m: torch.exp(s) * m / (torch.exp(s) * m).sum(-1, keepdim=True))
    assert "logits ~1000" in out
    assert hint_of(out) == "exp overflowed: subtract the row max (of the allowed scores) first."
    _, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s, dim=-1) * m)
    assert "mask before normalising, not after" in hint_of(out)
    _, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s, dim=-1))
    assert "masked keys must weigh exactly 0" in hint_of(out)
    _, out = run(capsys, check_masked_softmax, lambda s, m: torch.softmax(s.masked_fill(~m, -1e9), dim=-1))
    assert "fully masked row" in out and "must be all zeros" in hint_of(out)
    _, out = run(capsys, check_masked_softmax,
                 lambda s, m: torch.softmax(s.masked_fill(~m, float("-inf")), dim=0).nan_to_num(0.0))
    assert "nothing masked" in out and hint_of(out) == "each row must sum to 1: reduce over the last dim."


@pytest.mark.parametrize("zero_guard", [False, True])
def test_masked_softmax_inverted_mask_gets_its_own_hint(capsys, zero_guard):
    def inverted(s, m):  # fills where the mask is True: reads True as "blocked"
        s = s.masked_fill(m, float("-inf"))
        w = torch.softmax(s, dim=-1)  # every key blocked in the "nothing masked" case: a row of NaN
        return w.nan_to_num(0.0) if zero_guard else w  # a learner who guarded fully masked rows: zeros

    ok, out = run(capsys, check_masked_softmax, inverted)
    assert ok is False and "nothing masked" in out
    assert hint_of(out) == ("with every key allowed you got NaN or zeros: is your mask inverted? "
                            "True = may attend, so fill where ~mask.")
    assert_no_code(hint_of(out))


# --- log-softmax (notebook 03, exercise 1) ---


def log_softmax_ok(s):  # log of a ratio = difference; the row max taken out of the log-sum-exp
    top = s.amax(dim=-1, keepdim=True)
    return s - top - torch.log(torch.exp(s - top).sum(dim=-1, keepdim=True))


def test_log_softmax_right_answers_pass(capsys):
    library = (lambda s: torch.log_softmax(s, dim=-1), lambda s: s - torch.logsumexp(s, -1, keepdim=True))
    for fn in (log_softmax_ok, *library):
        ok, out = run(capsys, check_log_softmax, fn)
        assert ok is True and out.startswith("✅") and "correct on all 5 test cases" in out


def test_log_softmax_stub_and_non_function(capsys):
    ok, out = run(capsys, check_log_softmax, stub)
    assert ok is False and out.startswith("⏳")
    ok, out = run(capsys, check_log_softmax, torch.zeros(3))
    assert ok is False and "pass your function itself" in out


def test_log_softmax_log_of_softmax_underflows(capsys):
    ok, out = run(capsys, check_log_softmax, lambda s: torch.log(torch.softmax(s, dim=-1)))
    # log_softmax([0, -200]) = [-log(1 + e^-200), -200 - log(1 + e^-200)] = [0, -200] in float32
    assert ok is False and "scores [[0, -200]]" in out and "expected -200, got -inf" in out
    assert "underflowed to 0 before its log" in hint_of(out)
    assert_no_code(hint_of(out))


def test_log_softmax_naive_overflows(capsys):
    def naive(s):  # exp without the shift: e^1000 = inf in float32
        return s - torch.log(torch.exp(s).sum(dim=-1, keepdim=True))

    ok, out = run(capsys, check_log_softmax, naive)
    assert ok is False and "logits [[100, 101, 99]" in out
    assert hint_of(out) == "exp overflowed (or underflowed in a whole row): subtract the row max first."


def test_log_softmax_wrong_axis(capsys):
    ok, out = run(capsys, check_log_softmax, lambda s: log_softmax_ok(s.transpose(-2, -1)).transpose(-2, -1))
    # scores [[1, 2, 3]] normalised down a column of one: every entry 0, expected 1 - log(e + e² + e³) = -2.408
    assert ok is False and "expected -2.408, got 0" in out
    assert hint_of(out) == "the exps of each row must sum to 1: reduce over the last dim."
