"""Score functions against direct formulas written here, element by element."""

import math

import pytest
import torch
from torch import nn

from attnlib import (
    AdditiveScore,
    GeneralScore,
    MLPScore,
    attention,
    cosine_score,
    distance_score,
    dot_score,
    scaled_dot_score,
)


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def loop_scores(q, k, pair):
    """The textbook definition: one score per (query, key) pair, by a double loop."""
    with torch.no_grad():
        return torch.tensor([[float(pair(qi, kj)) for kj in k] for qi in q])


def test_dot_score_hand_checked():
    q = torch.tensor([[1.0, 2.0]])
    k = torch.tensor([[3.0, 4.0], [-1.0, 0.5]])
    assert dot_score(q, k).tolist() == [[11.0, 0.0]]


def test_dot_and_scaled_dot_match_loops():
    q, k = rand(3, 7, seed=1), rand(5, 7, seed=2)
    torch.testing.assert_close(dot_score(q, k), loop_scores(q, k, lambda a, b: (a * b).sum()))
    torch.testing.assert_close(
        scaled_dot_score(q, k), loop_scores(q, k, lambda a, b: (a * b).sum() / math.sqrt(7))
    )


def test_cosine_matches_loop_and_is_bounded():
    q, k = rand(4, 6, seed=3), rand(9, 6, seed=4)
    want = loop_scores(q, k, lambda a, b: (a * b).sum() / (a.norm() * b.norm()))
    got = cosine_score(q, k)
    torch.testing.assert_close(got, want)
    assert got.abs().max() <= 1 + 1e-6
    assert cosine_score(q, q).diagonal().allclose(torch.ones(4))


def test_distance_score_matches_loop_and_is_the_gaussian_kernel():
    q, k = rand(4, 6, seed=20), rand(7, 6, seed=21)
    want = loop_scores(q, k, lambda a, b: -((a - b) ** 2).sum())
    torch.testing.assert_close(distance_score(q, k), want, atol=1e-4, rtol=1e-5)
    sigma = 0.7  # softmax(-‖q - k‖² / (2σ²)) = normalised exp(-‖q - k‖² / (2σ²))
    _, weights = attention(q, k, k, score="distance", temperature=2 * sigma**2)
    kernel = torch.exp(-((q[:, None, :] - k[None, :, :]) ** 2).sum(-1) / (2 * sigma**2))
    torch.testing.assert_close(weights, kernel / kernel.sum(-1, keepdim=True))


def test_cosine_of_zero_vector_is_zero_not_nan():
    q = torch.zeros(1, 3)
    k = rand(2, 3, seed=5)
    assert cosine_score(q, k).tolist() == [[0.0, 0.0]]


def test_batched_and_broadcast_heads():
    q, k = rand(2, 4, 3, 8, seed=6), rand(1, 4, 5, 8, seed=7)
    s = scaled_dot_score(q, k)
    assert s.shape == (2, 4, 3, 5)
    torch.testing.assert_close(s[1, 2], q[1, 2] @ k[0, 2].T / math.sqrt(8))


def test_general_score_is_bilinear_form():
    score = GeneralScore(3, 4)
    q, k = rand(2, 3, seed=8), rand(5, 4, seed=9)
    W = score.W.detach()
    want = loop_scores(q, k, lambda a, b: a @ W @ b)
    torch.testing.assert_close(score(q, k).detach(), want)


def test_general_score_with_identity_is_dot():
    score = GeneralScore(4, 4)
    with torch.no_grad():
        score.W.copy_(torch.eye(4))
    q, k = rand(3, 4, seed=10), rand(6, 4, seed=11)
    torch.testing.assert_close(score(q, k), dot_score(q, k))


def test_additive_equals_tanh_of_concatenation():
    torch.manual_seed(0)
    score = AdditiveScore(3, 5, hidden=7)
    q, k = rand(4, 3, seed=12), rand(6, 5, seed=13)
    W_cat = torch.cat([score.W_q.weight, score.W_k.weight], dim=1).detach()  # (hidden, d_q + d_k)
    w = score.w.weight.detach()[0]  # (hidden,)
    want = loop_scores(q, k, lambda a, b: w @ torch.tanh(W_cat @ torch.cat([a, b])))
    torch.testing.assert_close(score(q, k).detach(), want)


def test_mlp_score_equals_net_on_concatenation():
    torch.manual_seed(0)
    score = MLPScore(3, 5, hidden=7)
    q, k = rand(4, 3, seed=14), rand(6, 5, seed=15)
    want = loop_scores(q, k, lambda a, b: score.net(torch.cat([a, b])).squeeze())
    torch.testing.assert_close(score(q, k).detach(), want)
    assert isinstance(score.net[1], nn.ReLU)


@pytest.mark.parametrize("cls", [AdditiveScore, MLPScore])
def test_query_chunking_gives_the_same_scores(cls):
    torch.manual_seed(0)
    big = cls(4, 4, hidden=8)
    small = cls(4, 4, hidden=8, max_elements=50)  # forces chunks of 1 query
    small.load_state_dict(big.state_dict())
    q, k = rand(2, 9, 4, seed=16), rand(2, 6, 4, seed=17)
    torch.testing.assert_close(small(q, k), big(q, k))


def test_learnable_scores_get_gradients():
    q, k = rand(3, 4, seed=18), rand(5, 4, seed=19)
    for score in [GeneralScore(4, 4), AdditiveScore(4, 4, 6), MLPScore(4, 4, 6)]:
        score(q, k).sum().backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in score.parameters())


# ---- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [dot_score, scaled_dot_score, cosine_score, distance_score])
def test_functional_scores_reject_bad_input(fn):
    q, k = rand(3, 4, seed=0), rand(5, 4, seed=1)
    with pytest.raises(ValueError, match=r"same feature size d.*\(3, 4\).*\(5, 3\)"):
        fn(q, k[:, :3])
    with pytest.raises(ValueError, match=r"q must have shape \(\.\.\., Nq, d\).*got shape \(4,\)"):
        fn(q[0], k)
    with pytest.raises(TypeError, match=r"k must be a floating-point tensor.*torch.int64"):
        fn(q, k.long())
    with pytest.raises(TypeError, match=r"q must be a torch.Tensor.*got list"):
        fn([[1.0]], k)
    with pytest.raises(ValueError, match=r"leading \(batch/head\) dims.*\(2,\) vs \(3,\)"):
        fn(rand(2, 3, 4), rand(3, 5, 4))


@pytest.mark.parametrize("score", [GeneralScore(4, 3), AdditiveScore(4, 3, 5), MLPScore(4, 3, 5)])
def test_learnable_scores_name_the_wrong_size(score):
    with pytest.raises(ValueError, match=r"k must have shape \(\.\.\., Nk, 3\).*\(5, 4\)"):
        score(rand(2, 4), rand(5, 4))
    with pytest.raises(ValueError, match=r"q must have shape \(\.\.\., Nq, 4\).*\(2, 3\)"):
        score(rand(2, 3), rand(5, 3))


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: GeneralScore(0, 3), ValueError, r"d_q must be an int 1 <= d_q; got 0"),
        (lambda: AdditiveScore(4, 3, hidden=0), ValueError, r"hidden must be an int 1 <= hidden; got 0"),
        (lambda: MLPScore(4, 3.5, hidden=2), TypeError, r"d_k must be an int; got float 3.5"),
    ],
)
def test_learnable_scores_reject_bad_sizes(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()
