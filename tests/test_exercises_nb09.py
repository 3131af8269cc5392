"""Tests for the exercise checkers of notebook 09: check_bahdanau_step and check_padded_alignment.
A right answer passes (✅); wrong answers print ❌ with a hint that names the bug; an unfinished stub
prints ⏳; no traceback escapes the checker."""

from __future__ import annotations

import pytest
import torch

from attnlib import AdditiveScore, softmax
from attnlib.exercises import check_bahdanau_step, check_padded_alignment


def run(capsys, checker, fn):
    ok = checker(fn)
    return ok, capsys.readouterr().out


def stub(*args):
    raise NotImplementedError


def hint_of(out):
    return out.split("Hint: ", 1)[1].strip() if "Hint: " in out else ""


# --- right answers, written independently of the checkers ---


def step_loops(s, keys, W_q, W_k, w):
    """One key at a time: e_j = w · tanh(W_q s + W_k h_j), then exp / sum with the max taken out."""
    rows = []
    for b in range(len(s)):
        e = torch.stack([w @ torch.tanh(W_q @ s[b] + W_k @ h) for h in keys[b]])
        z = torch.exp(e - e.max())
        rows.append(z / z.sum())
    return torch.stack(rows)


def step_with_attnlib(s, keys, W_q, W_k, w):
    """The pieces of the course: an AdditiveScore holding these matrices, then attnlib's softmax."""
    score = AdditiveScore(W_q.shape[1], W_k.shape[1], W_q.shape[0])
    with torch.no_grad():
        score.W_q.weight.copy_(W_q)
        score.W_k.weight.copy_(W_k)
        score.w.weight.copy_(w[None])
        return softmax(score(s[:, None, :], keys))[:, 0]


def padded_ok(scores, lengths):
    real = torch.arange(scores.shape[-1])[None, :] < lengths[:, None]  # (B, T_in)
    e = torch.exp(scores - scores.amax(-1, keepdim=True)) * real[:, None, :]
    return e / e.sum(-1, keepdim=True)


@pytest.mark.parametrize("fn", [step_loops, step_with_attnlib])
def test_bahdanau_step_accepts_right_answers(capsys, fn):
    ok, out = run(capsys, check_bahdanau_step, fn)
    assert ok and "✅" in out


def test_padded_alignment_accepts_a_right_answer(capsys):
    ok, out = run(capsys, check_padded_alignment, padded_ok)
    assert ok and "✅" in out


def test_stubs_say_not_implemented(capsys):
    for checker in (check_bahdanau_step, check_padded_alignment):
        ok, out = run(capsys, checker, stub)
        assert not ok and "not implemented yet" in out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda s, k, W_q, W_k, w: torch.tanh((s @ W_q.T)[:, None] + k @ W_k.T) @ w, "softmax over the input"),
        (lambda s, k, W_q, W_k, w: torch.softmax(torch.tanh((s @ W_q.T)[:, None] + k @ W_k.T) @ w, dim=0),
         "runs over the batch"),
        (lambda s, k, W_q, W_k, w: torch.softmax(((s @ W_q.T)[:, None] + k @ W_k.T) @ w, dim=-1), "tanh is missing"),
        (lambda s, k, W_q, W_k, w: torch.softmax(torch.tanh((s @ W_k.T)[:, None] + k @ W_q.T) @ w, dim=-1),
         "swapped"),
        (lambda s, k, W_q, W_k, w: torch.softmax((k @ s[:, :, None])[..., 0], dim=-1), "dot-product"),
        (lambda s, k, W_q, W_k, w: torch.softmax(torch.tanh(s @ W_q.T + k @ W_k.T) @ w, dim=-1), "length-1 axis"),
        (lambda s, k, W_q, W_k, w: torch.softmax(torch.tanh((W_q @ s)[:, None] + k @ W_k.T) @ w, dim=-1),
         "s @ W_q.T, (B, n_h)"),
    ],
)
def test_bahdanau_step_names_the_bug(capsys, wrong, words):
    ok, out = run(capsys, check_bahdanau_step, wrong)
    assert not ok and "❌" in out
    assert words in hint_of(out), out


def test_bahdanau_step_catches_an_unstable_softmax(capsys):
    def naive(s, k, W_q, W_k, w):
        e = torch.exp(torch.tanh((s @ W_q.T)[:, None] + k @ W_k.T) @ w)
        return e / e.sum(-1, keepdim=True)

    ok, out = run(capsys, check_bahdanau_step, naive)
    assert not ok and "overflow" in out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda s, n: torch.softmax(s, dim=-1), "nothing is masked"),
        (lambda s, n: padded_ok(s, n + 1), "j < length"),
        (lambda s, n: torch.softmax(s, -1) * (torch.arange(s.shape[-1]) < n[:, None])[:, None, :], "sum to 1"),
        (lambda s, n: _inverted(s, n), "sits on the padding"),
        (lambda s, n: torch.softmax(torch.where(torch.arange(s.shape[-1]) < n[:, None, None], s, 0.0), -1),
         "−inf, not 0"),
        (lambda s, n: torch.softmax(s.masked_fill(~(torch.arange(s.shape[-1]) < n[:, None]), -torch.inf), -1),
         "(B, 1, T_in)"),
    ],
)
def test_padded_alignment_names_the_bug(capsys, wrong, words):
    ok, out = run(capsys, check_padded_alignment, wrong)
    assert not ok and "❌" in out
    assert words in hint_of(out), out


def _inverted(scores, lengths):
    """The mask the wrong way round: True = padding."""
    padding = torch.arange(scores.shape[-1])[None, :] >= lengths[:, None]
    return torch.nan_to_num(torch.softmax(scores.masked_fill(~padding[:, None, :], float("-inf")), dim=-1))


def test_hints_are_words_not_code(capsys):
    ok, out = run(capsys, check_padded_alignment, lambda s, n: torch.softmax(s, dim=-1))
    hint = hint_of(out)
    assert hint and not any(token in hint for token in ("torch.", "dim=", "masked_fill", "@"))
