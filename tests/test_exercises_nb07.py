"""Tests for the exercise checkers of notebook 07: check_excitation and check_spatial_pool."""

import torch
from exercise_support import assert_no_code, hint_of, run, stub

from attnlib.exercises import check_excitation, check_spatial_pool


def excitation(x, w1, w2, pool=lambda t: t.mean(dim=(2, 3)), act=torch.sigmoid):
    z = pool(x)  # (B, C)
    return act(torch.clamp(z @ w1.T, min=0) @ w2.T)


def spatial_pool(x):
    return torch.cat([x.max(dim=1, keepdim=True).values, x.mean(dim=1, keepdim=True)], dim=1)


def test_right_answers_pass_and_the_stub_waits(capsys):
    assert run(capsys, check_excitation, excitation)[0]
    assert run(capsys, check_spatial_pool, spatial_pool)[0]
    ok, out = run(capsys, check_excitation, stub)
    assert not ok and "not implemented yet" in out
    ok, out = run(capsys, check_spatial_pool, stub)
    assert not ok and "not implemented yet" in out


def test_excitation_names_the_likely_mistakes(capsys):
    mistakes = {
        "not the maximum": lambda x, w1, w2: excitation(x, w1, w2, pool=lambda t: t.amax(dim=(2, 3))),
        "not their sum": lambda x, w1, w2: excitation(x, w1, w2, pool=lambda t: t.sum(dim=(2, 3))),
        "a gate is a sigmoid": lambda x, w1, w2: excitation(x, w1, w2, act=lambda t: torch.softmax(t, dim=-1)),
        "ReLU between": lambda x, w1, w2: torch.sigmoid((x.mean(dim=(2, 3)) @ w1.T) @ w2.T),
        "its transpose": lambda x, w1, w2: torch.sigmoid(torch.relu(x.mean(dim=(2, 3)) @ w1) @ w2),
        "not the scaled feature map": lambda x, w1, w2: x * excitation(x, w1, w2)[:, :, None, None],
        "trailing 1 × 1": lambda x, w1, w2: excitation(x, w1, w2)[:, :, None, None],
    }
    for words, fn in mistakes.items():
        ok, out = run(capsys, check_excitation, fn)
        assert not ok and "❌" in out and words in hint_of(out), (words, out)
        assert_no_code(hint_of(out))


def test_spatial_pool_names_the_likely_mistakes(capsys):
    mistakes = {
        "timm's order": lambda x: spatial_pool(x).flip(1),
        "over the channels (dim 1)": lambda x: torch.stack([x.amax(dim=(2, 3)), x.mean(dim=(2, 3))], dim=1)[..., None],
        "2 channels": lambda x: x.amax(dim=1),
        "(values, indices)": lambda x: x.max(dim=1),
        "keep the values only": lambda x: torch.stack([x.max(dim=1), x.mean(dim=1)], dim=1),
        "dim 0 is the batch": lambda x: torch.stack([x.amax(dim=1), x.mean(dim=1)], dim=0),
        "lost their channel axis": lambda x: torch.cat([x.amax(dim=1), x.mean(dim=1)], dim=1),
    }
    for words, fn in mistakes.items():
        ok, out = run(capsys, check_spatial_pool, fn)
        assert not ok and words in hint_of(out), (words, out)
        assert_no_code(hint_of(out))
