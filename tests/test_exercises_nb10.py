"""Tests for notebook 10's checkers: check_rollout and check_cls_patch_map. Right answers (written here with
loops, independently of attnlib) pass; each usual wrong answer fails with a hint that names it."""

from __future__ import annotations

import torch
from exercise_support import hint_of, run, stub

from attnlib.exercises import check_cls_patch_map, check_rollout


def rollout_ok(weights):
    """Entry by entry: mean over heads, ½(A + I), row sums, then R ← Â_l R for l = 1, 2, …"""
    layers, heads, n, _ = weights.shape
    result = torch.eye(n, dtype=weights.dtype)
    for layer in range(layers):
        a_hat = torch.zeros(n, n, dtype=weights.dtype)
        for i in range(n):
            for j in range(n):
                a_hat[i, j] = 0.5 * (sum(weights[layer, h, i, j] for h in range(heads)) / heads + (i == j))
            a_hat[i] = a_hat[i] / a_hat[i].sum()
        result = a_hat @ result
    return result


def rollout_later_right(weights):
    a = 0.5 * (weights.mean(1) + torch.eye(weights.shape[-1], dtype=weights.dtype))
    a = a / a.sum(-1, keepdim=True)
    return a[0] @ a[1] if len(a) == 2 else a[0] @ a[1] @ a[2]


def rollout_no_keepdim(weights):
    a = 0.5 * (weights.mean(1) + torch.eye(weights.shape[-1], dtype=weights.dtype))
    a = a / a.sum(-1)[:, None, :]  # the vit-explain #16 slip: row sums broadcast along the rows
    result = a[0]
    for layer in a[1:]:
        result = layer @ result
    return result


def rollout_no_identity(weights):
    a = weights.mean(1)
    a = a / a.sum(-1, keepdim=True)
    result = a[0]
    for layer in a[1:]:
        result = layer @ result
    return result


def cls_ok(weights, grid, prefix):
    gh, gw = grid
    out = torch.empty(gh, gw, dtype=weights.dtype)
    for r in range(gh):
        for c in range(gw):
            out[r, c] = weights[0, prefix + r * gw + c]
    return out


def test_right_answers_pass(capsys):
    assert run(capsys, check_rollout, rollout_ok) == (True, "✅ rollout: correct on all 4 test cases.\n")
    assert run(capsys, check_cls_patch_map, cls_ok) == (True, "✅ cls_patch_map: correct on all 3 test cases.\n")


def test_stubs_wait(capsys):
    for checker in (check_rollout, check_cls_patch_map):
        ok, out = run(capsys, checker, stub)
        assert not ok and out.startswith("⏳")


def test_rollout_hints_name_the_bug(capsys):
    for fn, words in [(rollout_later_right, "later layers go on the left"),
                      (rollout_no_keepdim, "its own sum"),
                      (rollout_no_identity, "residual")]:
        ok, out = run(capsys, check_rollout, fn)
        assert not ok and words in hint_of(out), out


def test_rollout_broadcast_error_names_keepdim(capsys):
    def rollout_broadcast(weights):  # a / a.sum(-1) on (layers, N, N): a RuntimeError when layers != N
        a_hat = 0.5 * (weights.mean(1) + torch.eye(weights.shape[-1], dtype=weights.dtype))
        a_hat = a_hat / a_hat.sum(-1)
        result = a_hat[0]
        for layer_hat in a_hat[1:]:
            result = layer_hat @ result
        return result

    ok, out = run(capsys, check_rollout, rollout_broadcast)
    assert not ok and "RuntimeError" in out and "keepdim=True" in hint_of(out), out


def test_cls_patch_map_hints_name_the_bug(capsys):
    cases = [
        (lambda w, g, p: w[0, p:].reshape(g[1], g[0]), "dino #180"),
        (lambda w, g, p: w[0, p:].reshape(g).T, "transposed"),
        (lambda w, g, p: w[p:, 0].reshape(g), "column"),
        (lambda w, g, p: w[0, 1:].reshape(g), "class/register tokens"),
        (lambda w, g, p: w[p, p:].reshape(g), "token 0"),
    ]
    for fn, words in cases:
        ok, out = run(capsys, check_cls_patch_map, fn)
        assert not ok and words in hint_of(out), out
