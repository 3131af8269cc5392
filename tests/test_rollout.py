"""rollout and cls_map against hand-computed examples (Abnar & Zuidema, 2020)."""

import pytest
import torch

from attnlib import cls_map, rollout


def layers(*matrices):
    """Each argument one layer's (heads, N, N) weights → (layers, B=1, heads, N, N)."""
    return torch.stack([torch.tensor(m, dtype=torch.float64) for m in matrices])[:, None]


def test_three_tokens_two_layers_by_hand():
    # layer 1: Â1 = ½(A1 + I) = [[.75, .25, 0], [0, 1, 0], [0, .25, .75]]
    a1 = [[[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5]]]
    # layer 2: Â2 = ½(A2 + I) = [[.5, 0, .5], [.25, .75, 0], [0, 0, 1]]
    a2 = [[[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]]
    # R = Â2 · Â1 (later layer on the left):
    #   row 0 = .5 · [.75, .25, 0] + .5 · [0, .25, .75]  = [.375, .25, .375]
    #   row 1 = .25 · [.75, .25, 0] + .75 · [0, 1, 0]    = [.1875, .8125, 0]
    #   row 2 = 1 · [0, .25, .75]                        = [0, .25, .75]
    want = torch.tensor([[0.375, 0.25, 0.375], [0.1875, 0.8125, 0.0], [0.0, 0.25, 0.75]], dtype=torch.float64)
    got = rollout(layers(a1, a2), prefix=1)
    assert got.shape == (1, 3, 3)
    torch.testing.assert_close(got[0], want)
    # the other order (Â1 · Â2) gives row 0 = [.4375, .1875, .375]: the order matters
    assert not torch.allclose(rollout(layers(a2, a1), prefix=1)[0], want)


def test_heads_are_averaged_by_default():
    eye = torch.eye(3, dtype=torch.float64).tolist()
    shift = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    got = rollout(layers([eye, shift]), prefix=1)[0]
    # mean of the heads = ½(I + P); ½(mean + I) = ¾ I + ¼ P
    want = 0.75 * torch.eye(3, dtype=torch.float64) + 0.25 * torch.tensor(shift, dtype=torch.float64)
    torch.testing.assert_close(got, want)


def test_rows_renormalised_with_keepdim():
    """max-fusion gives rows summing to 2, 1, 2: each row must be divided by its own sum (vit-explain #16).

    max(I, H2) = [[1, 1, 0], [0, 1, 0], [0, 1, 1]];  ½(M + I) = [[1, .5, 0], [0, 1, 0], [0, .5, 1]], row sums
    1.5, 1, 1.5 → [[2/3, 1/3, 0], [0, 1, 0], [0, 1/3, 2/3]]. Dividing by the sums without keepdim divides column j
    by row j's sum instead: [[2/3, 1/2, 0], …], rows no longer summing to 1.
    """
    eye = torch.eye(3, dtype=torch.float64).tolist()
    h2 = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    got = rollout(layers([eye, h2]), prefix=1, head_fusion="max")[0]
    want = torch.tensor([[2 / 3, 1 / 3, 0.0], [0.0, 1.0, 0.0], [0.0, 1 / 3, 2 / 3]], dtype=torch.float64)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got.sum(-1), torch.ones(3, dtype=torch.float64))


def test_min_fusion():
    eye = torch.eye(2, dtype=torch.float64).tolist()
    half = [[0.5, 0.5], [0.5, 0.5]]
    # min(I, ½) = ½ I; ½(½ I + I) = ¾ I → rows renormalised to I
    got = rollout(layers([eye, half]), prefix=1, head_fusion="min")[0]
    torch.testing.assert_close(got, torch.eye(2, dtype=torch.float64))


def test_discard_keeps_the_prefix_column():
    # 4 tokens, prefix 1, discard half of the 3 patch weights → the lowest one per row (row 0: 0.15, not the
    # class column's 0.05). Row 0: [.05, .5, .3, 0] + I → ½ → [.525, .25, .15, 0], sum .925 → [21, 10, 6, 0] / 37
    a = [[[0.05, 0.5, 0.3, 0.15], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]]]
    got = rollout(layers(a), prefix=1, discard_ratio=0.5)[0]
    torch.testing.assert_close(got[0], torch.tensor([21, 10, 6, 0], dtype=torch.float64) / 37)
    # row 1: drops 0.2 → [.1, 0, .3, .4] + I → ½ → [.05, .5, .15, .2], sum .9
    torch.testing.assert_close(got[1], torch.tensor([0.05, 0.5, 0.15, 0.2], dtype=torch.float64) / 0.9)
    assert (got[:, 0] > 0).all()  # the class column is never dropped


def test_discard_with_registers_keeps_every_prefix_column():
    # 1 class + 4 registers + a 2×2 grid; the registers hold the smallest weights, yet survive the discard
    torch.manual_seed(0)
    a = torch.rand(1, 1, 1, 9, 9, dtype=torch.float64) + 1.0
    a[..., 1:5] = 0.01
    a = a / a.sum(-1, keepdim=True)
    got = rollout(a, prefix=5, discard_ratio=0.5)[0]  # drops 2 of the 4 patch weights in each row
    assert (got[:, :5] > 0).all()
    for i in range(5):  # rows of prefix tokens: no identity term lands on a patch column
        assert int((got[i, 5:] == 0).sum()) == 2


def test_rollout_rows_sum_to_one_and_batch_kept():
    torch.manual_seed(0)
    w = torch.softmax(torch.randn(12, 3, 6, 197, 197), dim=-1)
    got = rollout(w, prefix=1, discard_ratio=0.9)
    assert got.shape == (3, 197, 197)
    torch.testing.assert_close(got.sum(-1), torch.ones(3, 197))


def test_cls_map_walks_the_grid():
    # weights[i, j] = 1000 i + j; 1 class + 2 registers, a 2 × 3 grid: the class row's patch keys are 3 … 8
    n = 3 + 6
    i = torch.arange(n, dtype=torch.float64)
    w = 1000 * i[:, None] + i[None, :]
    m = cls_map(w, (2, 3), prefix=3)
    for r in range(2):
        for c in range(3):
            assert m[r, c] == 3 + r * 3 + c
    assert cls_map(w, (2, 3), prefix=3, token=2)[1, 2] == 2000 + 8  # a register's row


def test_errors_are_named():
    w = torch.softmax(torch.randn(2, 1, 2, 5, 5), dim=-1)
    with pytest.raises(ValueError, match="head_fusion must be one of"):
        rollout(w, head_fusion="sum")
    with pytest.raises(ValueError, match="discard_ratio must be in"):
        rollout(w, discard_ratio=1.0)
    with pytest.raises(TypeError, match="discard_ratio must be a number"):
        rollout(w, discard_ratio="0.5")
    with pytest.raises(ValueError, match="at least 4 dims"):
        rollout(w[0, 0])
    with pytest.raises(ValueError, match="leaves no patch tokens"):
        rollout(w, prefix=5)
    with pytest.raises(ValueError, match="needs prefix >= 1"):
        cls_map(w, (1, 5), prefix=0)
    with pytest.raises(ValueError, match="token must be"):
        cls_map(w, (2, 2), prefix=1, token=1)


def test_rollout_refuses_what_is_not_attention():
    w = torch.softmax(torch.randn(2, 1, 2, 5, 5), dim=-1)
    with pytest.raises(ValueError, match="square") as error:
        rollout(w[..., :4])
    assert "key_grid" not in str(error.value)  # rollout has no key_grid argument
    negative = w.clone()
    negative[0, 0, 1, 2, 3] = -0.5
    for fusion in ("mean", "max", "min"):
        with pytest.raises(ValueError, match="non-negative"):
            rollout(negative, head_fusion=fusion)

    class Captured:  # what capture_attention returns: the tensor is its .weights
        weights = w

    with pytest.raises(TypeError, match=r"\.weights"):
        rollout(Captured())


def test_nan_weights_are_named():
    w = torch.softmax(torch.randn(2, 1, 2, 5, 5), dim=-1)
    w[1, 0, 1, 3, 2] = float("nan")
    for fusion in ("mean", "max", "min"):
        with pytest.raises(ValueError, match="weights contains 1 NaN"):
            rollout(w, head_fusion=fusion)
