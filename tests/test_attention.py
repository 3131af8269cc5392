"""softmax, weighted_sum, attention and entropy against torch's own ops and hand-checked cases."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from attnlib import AdditiveScore, attention, entropy, softmax, weighted_sum


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---- softmax ---------------------------------------------------------------------------------

def test_softmax_hand_checked():
    w = softmax(torch.tensor([[0.0, math.log(3.0)]]))
    torch.testing.assert_close(w, torch.tensor([[0.25, 0.75]]))


def test_softmax_matches_torch_on_any_dim():
    s = rand(2, 3, 4, seed=1)
    for dim in (0, 1, -1):
        torch.testing.assert_close(softmax(s, dim=dim), torch.softmax(s, dim=dim))


def test_softmax_stable_at_extreme_logits():
    s = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1.0, -1e4 - 1.0]])
    w = softmax(s)
    assert torch.isfinite(w).all()
    torch.testing.assert_close(w[0], torch.tensor([1.0, 0.0, 0.0]))
    e = torch.tensor([1.0, math.e, 1 / math.e])
    torch.testing.assert_close(w[1], e / e.sum())


def test_temperature_divides_the_scores():
    s = rand(3, 5, seed=2)
    torch.testing.assert_close(softmax(s, temperature=0.5), torch.softmax(s / 0.5, dim=-1))
    flat = softmax(s, temperature=1e6)
    torch.testing.assert_close(flat, torch.full_like(flat, 0.2), atol=1e-5, rtol=0)


def test_mask_zeroes_keys_and_renormalises():
    s = torch.tensor([[1.0, 2.0, 3.0]])
    w = softmax(s, mask=torch.tensor([[True, False, True]]))
    e1, e3 = math.exp(1.0), math.exp(3.0)
    torch.testing.assert_close(w, torch.tensor([[e1 / (e1 + e3), 0.0, e3 / (e1 + e3)]]))
    assert w[0, 1].item() == 0.0


def test_fully_masked_row_gives_zeros_and_finite_gradients():
    s = rand(2, 4, seed=3).requires_grad_()
    mask = torch.tensor([[True, True, False, False], [False, False, False, False]])
    w = softmax(s, mask=mask)
    assert w[1].tolist() == [0.0, 0.0, 0.0, 0.0]
    torch.testing.assert_close(w[0].sum(), torch.tensor(1.0))
    (w * rand(2, 4, seed=4)).sum().backward()
    assert torch.isfinite(s.grad).all()
    assert s.grad[1].abs().sum() == 0


def test_mask_broadcasts_over_queries():
    s = rand(2, 3, 4, seed=5)
    key_mask = torch.tensor([True, False, True, True])  # one mask for every query
    w = softmax(s, mask=key_mask)
    assert (w[..., 1] == 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3))


def test_negative_infinity_means_weight_zero():
    w = softmax(torch.tensor([[0.0, float("-inf")]]))
    assert w.tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"scores": torch.tensor([[1.0, float("nan")]])}, ValueError, r"scores contains 1 NaN"),
        ({"scores": torch.tensor([[1.0, float("inf")]])}, ValueError, r"\+inf.*mask="),
        ({"scores": torch.tensor([[1, 2]])}, TypeError, r"scores must be a floating-point.*torch.int64"),
        ({"scores": [[1.0]]}, TypeError, r"scores must be a torch.Tensor"),
        ({"scores": torch.ones(2, 3), "temperature": 0}, ValueError, r"temperature must be a positive.*got 0.0"),
        ({"scores": torch.ones(2, 3), "temperature": -1.0}, ValueError, r"temperature.*got -1.0"),
        ({"scores": torch.ones(2, 3), "temperature": "hot"}, TypeError, r"temperature must be a positive number"),
        ({"scores": torch.ones(2, 3), "mask": torch.ones(2, 3)}, TypeError, r"mask must have dtype torch.bool"),
        ({"scores": torch.ones(2, 3), "mask": torch.ones(2, 4, dtype=torch.bool)}, ValueError,
         r"mask of shape \(2, 4\) does not broadcast to the scores' shape \(2, 3\)"),
        ({"scores": torch.ones(2, 3), "mask": torch.ones(5, 2, 3, dtype=torch.bool)}, ValueError,
         r"mask of shape \(5, 2, 3\)"),
    ],
)
def test_softmax_rejects_bad_input(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        softmax(**kwargs)


# ---- weighted sum ----------------------------------------------------------------------------

def test_weighted_sum_hand_checked():
    w = torch.tensor([[0.25, 0.75]])
    v = torch.tensor([[4.0, 0.0], [0.0, 8.0]])
    assert weighted_sum(w, v).tolist() == [[1.0, 6.0]]


def test_weighted_sum_matches_einsum_batched():
    w, v = torch.softmax(rand(2, 3, 5, seed=6), -1), rand(2, 5, 4, seed=7)
    torch.testing.assert_close(weighted_sum(w, v), torch.einsum("bqk,bkd->bqd", w, v))


def test_weighted_sum_rejects_mismatched_keys():
    with pytest.raises(ValueError, match=r"must agree on Nk: 5 != 4"):
        weighted_sum(torch.ones(3, 5), torch.ones(4, 2))
    with pytest.raises(ValueError, match=r"values must have shape \(\.\.\., Nk, dv\)"):
        weighted_sum(torch.ones(3, 5), torch.ones(5))


# ---- attention -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [((4, 8), (6, 8), (6, 3)), ((2, 3, 5, 16), (2, 3, 7, 16), (2, 3, 7, 4))])
def test_attention_equals_torch_sdpa(shape):
    (qs, ks, vs) = shape
    q, k, v = rand(*qs, seed=8), rand(*ks, seed=9), rand(*vs, seed=10)
    out, w = attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1]))


def test_attention_with_mask_equals_torch_sdpa():
    q, k, v = rand(2, 5, 8, seed=11), rand(2, 6, 8, seed=12), rand(2, 6, 3, seed=13)
    mask = rand(2, 5, 6, seed=14) > -0.5
    mask[..., 0] = True  # no fully masked rows: torch gives NaN there, attnlib gives zeros
    out, w = attention(q, k, v, mask=mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5, rtol=1e-5)
    assert (w[~mask] == 0).all()


def test_attention_temperature_and_named_scores():
    q, k, v = rand(3, 4, seed=15), rand(5, 4, seed=16), rand(5, 2, seed=17)
    out, w = attention(q, k, v, score="dot", temperature=2.0)
    want_w = torch.softmax(q @ k.T / 2.0, dim=-1)
    torch.testing.assert_close(w, want_w)
    torch.testing.assert_close(out, want_w @ v)
    _, w_cos = attention(q, k, v, score="cosine")
    torch.testing.assert_close(w_cos, torch.softmax(F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).T, dim=-1))


def test_attention_accepts_modules_and_callables():
    q, k, v = rand(3, 4, seed=18), rand(5, 4, seed=19), rand(5, 2, seed=20)
    score = AdditiveScore(4, 4, hidden=6)
    out, w = attention(q, k, v, score=score)
    torch.testing.assert_close(w, torch.softmax(score(q, k), dim=-1))
    out, w = attention(q, k, v, score=lambda a, b: -torch.cdist(a, b) ** 2)
    torch.testing.assert_close(w, torch.softmax(-torch.cdist(q, k) ** 2, dim=-1))


def test_attention_rejects_bad_input():
    q, k, v = rand(3, 4), rand(5, 4), rand(5, 2)
    with pytest.raises(ValueError, match=r"k and v must have the same number of keys Nk.*\(5, 4\).*\(4, 2\)"):
        attention(q, k, v[:4])
    with pytest.raises(ValueError, match=r"score must be one of \['cosine', 'distance', 'dot', 'scaled_dot'\].*'dott'"):
        attention(q, k, v, score="dott")
    with pytest.raises(TypeError, match=r"score must be a name or a callable.*int"):
        attention(q, k, v, score=3)
    with pytest.raises(ValueError, match=r"score 'bad' must return .*\(3, 5\) \(\.\.\., Nq, Nk\); got \(5, 3\)"):

        def bad(a, b):
            return b @ a.T

        attention(q, k, v, score=bad)
    with pytest.raises(TypeError, match=r"v must be a floating-point tensor"):
        attention(q, k, v.long())
    k_nan = k.clone()
    k_nan[2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"k contains 1 NaN value"):
        attention(q, k_nan, v)


# ---- entropy ---------------------------------------------------------------------------------

def test_entropy_one_hot_uniform_and_formula():
    w = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(entropy(w), torch.tensor([0.0, math.log(4.0), 0.0]))
    p = torch.softmax(rand(3, 7, seed=21), -1)
    torch.testing.assert_close(entropy(p), torch.distributions.Categorical(probs=p).entropy())


def test_entropy_rejects_negative_and_nan():
    with pytest.raises(ValueError, match="non-negative"):
        entropy(torch.tensor([[1.5, -0.5]]))
    with pytest.raises(ValueError, match="NaN"):
        entropy(torch.tensor([[float("nan"), 1.0]]))
    with pytest.raises(ValueError, match=r"must sum to 1 .*found one summing to 1.1"):
        entropy(torch.tensor([[0.5, 0.6], [0.5, 0.5]]))


# ---- properties ------------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 6), st.integers(1, 8), st.integers(1, 5))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, scale=st.sampled_from([1e-3, 1.0, 100.0, 1e4]), seed=st.integers(0, 10_000))
def test_rows_sum_to_one_and_no_nan_at_any_scale(shape, scale, seed):
    nq, nk, _ = shape
    w = softmax(rand(nq, nk, seed=seed) * scale)
    assert torch.isfinite(w).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(nq))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000), data=st.data())
def test_masked_weights_are_exactly_zero(shape, seed, data):
    nq, nk, _ = shape
    bits = data.draw(st.lists(st.booleans(), min_size=nq * nk, max_size=nq * nk))
    mask = torch.tensor(bits).reshape(nq, nk)
    w = softmax(rand(nq, nk, seed=seed) * 50, mask=mask)
    assert (w[~mask] == 0).all()
    sums = w.sum(-1)
    has_key = mask.any(-1)
    torch.testing.assert_close(sums[has_key], torch.ones(int(has_key.sum())))
    assert (sums[~has_key] == 0).all()


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_attention_output_is_invariant_to_key_order(shape, seed, perm_seed):
    nq, nk, d = shape
    q, k, v = rand(nq, d, seed=seed), rand(nk, d, seed=seed + 1), rand(nk, 3, seed=seed + 2)
    perm = torch.randperm(nk, generator=torch.Generator().manual_seed(perm_seed))
    out, w = attention(q, k, v)
    out_p, w_p = attention(q, k[perm], v[perm])
    torch.testing.assert_close(out_p, out, atol=1e-5, rtol=1e-5)  # same output
    torch.testing.assert_close(w_p, w[:, perm])  # weights move with their keys


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_attention_is_equivariant_to_query_order(shape, seed, perm_seed):
    nq, nk, d = shape
    q, k, v = rand(nq, d, seed=seed), rand(nk, d, seed=seed + 1), rand(nk, 3, seed=seed + 2)
    perm = torch.randperm(nq, generator=torch.Generator().manual_seed(perm_seed))
    out, _ = attention(q, k, v)
    out_p, _ = attention(q[perm], k, v)
    torch.testing.assert_close(out_p, out[perm])


def test_attention_rejects_scores_that_drop_the_head_dims():
    q, k, v = rand(2, 3, 4, 8, seed=30), rand(2, 3, 5, 8, seed=31), rand(2, 3, 5, 2, seed=32)
    with pytest.raises(ValueError, match=r"must return scores of shape \(2, 3, 4, 5\).*got \(4, 5\)"):
        attention(q, k, v, score=lambda a, b: a[0, 0] @ b[0, 0].T)


def test_infinite_and_empty_inputs_are_named():
    q, k, v = rand(3, 4, seed=33), rand(5, 4, seed=34), rand(5, 2, seed=35)
    q_inf = q.clone()
    q_inf[0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"q contains 1 infinite value"):
        attention(q_inf, k, v)
    with pytest.raises(ValueError, match=r"at least one key \(Nk >= 1\)"):
        attention(q, k[:0], v[:0])
    with pytest.raises(ValueError, match=r"at least one feature \(d >= 1\)"):
        attention(q[:, :0], k[:, :0], v)
    with pytest.raises(ValueError, match=r"no keys along dim=-1"):
        softmax(torch.ones(3, 0))
    with pytest.raises(TypeError, match=r"q and k must have the same dtype; got torch.float32 and torch.float64"):
        attention(q, k.double(), v)


def test_tiny_temperature_in_half_precision_stays_finite():
    w = softmax(torch.tensor([[70.0, 0.0]], dtype=torch.float16), temperature=1e-3)
    assert w.tolist() == [[1.0, 0.0]]


def test_softmax_dim_outside_the_scores_is_named():
    with pytest.raises(ValueError, match=r"dim must be an int -2 <= dim <= 1 \(an axis of the 2-D scores\); got 5"):
        softmax(torch.zeros(2, 3), dim=5)
    with pytest.raises(TypeError, match="dim must be an int"):
        softmax(torch.zeros(2, 3), dim=1.0)
    torch.testing.assert_close(softmax(torch.zeros(2, 4), dim=-2), torch.full((2, 4), 0.5))  # a valid axis still works
