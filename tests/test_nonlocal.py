"""NonLocal2d against the formulas of Wang et al. (2018), computed here from the raw parameters."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from attnlib import NonLocal2d, SelfAttention2d

MODES = ("gaussian", "embedded_gaussian", "dot_product", "concatenation")
CONFIGS = list(itertools.product(MODES, (True, False), (True, False)))


def _randomise(block: NonLocal2d, seed: int = 0) -> None:
    """Random parameters and BN statistics, so the (zero-initialised) W_z does something."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        for name, buf in block.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.randn(buf.shape, generator=g) * 0.1)
            elif name.endswith("running_var"):
                buf.copy_(torch.rand(buf.shape, generator=g) + 0.5)
    block.eval()


def _conv(x_tokens, conv):
    """A 1×1 conv applied to tokens (B, N, C_in) → (B, N, C_out)."""
    return x_tokens @ conv.weight[:, :, 0, 0].T + conv.bias


def _tokens(x):
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, x.shape[1])


def _reference(block: NonLocal2d, x):
    """z_i = W_z y_i + x_i with y_i = (1/C(x)) Σ_j f(x_i, x_j) g(x_j), written out per pixel."""
    B, C, H, W = x.shape
    pooled = F.max_pool2d(x, 2) if block.sub_sample else x  # the plain Gaussian's keys are x itself
    xs = _tokens(x)

    def keys(conv):
        if block.sub_sample:
            out = F.max_pool2d(F.conv2d(x, conv.weight, conv.bias), 2)
            return _tokens(out)
        return _conv(xs, conv)

    unwrap = (lambda m: m[0]) if block.sub_sample else (lambda m: m)
    g = keys(unwrap(block.g))
    if block.mode == "gaussian":
        theta, phi = xs, _tokens(pooled)
    else:
        theta, phi = _conv(xs, block.theta), keys(unwrap(block.phi))
    n_keys = phi.shape[1]
    if block.mode in ("gaussian", "embedded_gaussian"):
        f = torch.exp(torch.einsum("bic,bjc->bij", theta, phi).double())
        weights = (f / f.sum(-1, keepdim=True)).float()
    elif block.mode == "dot_product":
        weights = torch.einsum("bic,bjc->bij", theta, phi) / n_keys
    else:
        w_f = block.concat_project[0].weight[0, :, 0, 0]
        w_theta, w_phi = w_f[: block.inter_channels], w_f[block.inter_channels :]
        weights = torch.relu((theta @ w_theta)[:, :, None] + (phi @ w_phi)[:, None, :]) / n_keys
    y = weights @ g  # (B, N, inter)
    if block.bn_layer:
        conv, bn = block.W[0], block.W[1]
        wy = _conv(y, conv)
        wy = (wy - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    else:
        wy = _conv(y, block.W)
    z = wy.reshape(B, H, W, C).permute(0, 3, 1, 2) + x
    return z, weights


@pytest.mark.parametrize("mode,sub_sample,bn_layer", CONFIGS)
def test_matches_formula(mode, sub_sample, bn_layer):
    block = NonLocal2d(8, mode=mode, sub_sample=sub_sample, bn_layer=bn_layer)
    _randomise(block)
    x = torch.randn(2, 8, 4, 6, generator=torch.Generator().manual_seed(1))
    z, weights = block(x)
    want_z, want_weights = _reference(block, x)
    n_keys = 2 * 3 if sub_sample else 24
    assert weights.shape == (2, 24, n_keys)
    torch.testing.assert_close(weights, want_weights, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(z, want_z, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode,sub_sample,bn_layer", CONFIGS)
def test_new_block_is_identity(mode, sub_sample, bn_layer):
    block = NonLocal2d(6, mode=mode, sub_sample=sub_sample, bn_layer=bn_layer)
    x = torch.randn(3, 6, 4, 4)
    for train in (True, False):
        block.train(train)
        z, _ = block(x)
        assert torch.equal(z, x)


@pytest.mark.parametrize("mode", ["gaussian", "embedded_gaussian"])
@pytest.mark.parametrize("sub_sample", [True, False])
def test_softmax_rows_sum_to_one(mode, sub_sample):
    block = NonLocal2d(8, mode=mode, sub_sample=sub_sample)
    _randomise(block, seed=2)
    _, weights = block(torch.randn(2, 8, 6, 6))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 36))
    assert (weights >= 0).all()


def test_one_over_n_modes_do_not_normalise_rows():
    block = NonLocal2d(8, mode="dot_product", sub_sample=False)
    _randomise(block, seed=4)
    _, weights = block(torch.randn(1, 8, 3, 3))
    assert not torch.allclose(weights.sum(-1), torch.ones(1, 9))
    assert (weights < 0).any()  # a dot product can be negative; concatenation's ReLU cannot
    block = NonLocal2d(8, mode="concatenation", sub_sample=False)
    _randomise(block, seed=4)
    _, weights = block(torch.randn(1, 8, 3, 3))
    assert (weights >= 0).all()


def test_embedded_gaussian_block_is_a_sagan_layer_with_copied_weights():
    """θ → query_conv, φ → key_conv, W_z∘g → value_conv (and γ = 1): the same weights and output."""
    c = 16
    sagan = SelfAttention2d(c)
    block = NonLocal2d(c, inter_channels=c // 8, mode="embedded_gaussian", sub_sample=False, bn_layer=False)
    _randomise(block, seed=6)
    with torch.no_grad():
        sagan.query_conv.load_state_dict(block.theta.state_dict())
        sagan.key_conv.load_state_dict(block.phi.state_dict())
        w_z, b_z = block.W.weight[:, :, 0, 0], block.W.bias
        w_g, b_g = block.g.weight[:, :, 0, 0], block.g.bias
        sagan.value_conv.weight.copy_((w_z @ w_g)[:, :, None, None])
        sagan.value_conv.bias.copy_(w_z @ b_g + b_z)  # rows of the weights sum to 1, so biases fold in
        sagan.gamma.fill_(1.0)
    x = torch.randn(2, c, 5, 4)
    z, weights = block(x)
    out, attention = sagan(x)
    torch.testing.assert_close(weights, attention)
    torch.testing.assert_close(z, out, atol=1e-5, rtol=1e-4)
    assert torch.linalg.matrix_rank(w_z @ w_g) <= c // 8  # the value map of such a layer is low-rank


def test_block_with_batchnorm_in_eval_mode_folds_into_sagan_but_not_in_training():
    """Eval-mode BN is x ↦ s·(x - mean) + β per channel, a fixed affine map: it folds into the value conv."""
    c = 16
    block = NonLocal2d(c, inter_channels=c // 8, mode="embedded_gaussian", sub_sample=False, bn_layer=True)
    _randomise(block, seed=7)  # also puts the block in eval mode
    conv, bn = block.W[0], block.W[1]
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    sagan = SelfAttention2d(c)
    with torch.no_grad():
        sagan.query_conv.load_state_dict(block.theta.state_dict())
        sagan.key_conv.load_state_dict(block.phi.state_dict())
        w_zg = s[:, None] * (conv.weight[:, :, 0, 0] @ block.g.weight[:, :, 0, 0])
        b_zg = s * (conv.weight[:, :, 0, 0] @ block.g.bias + conv.bias - bn.running_mean) + bn.bias
        sagan.value_conv.weight.copy_(w_zg[:, :, None, None])
        sagan.value_conv.bias.copy_(b_zg)
        sagan.gamma.fill_(1.0)
    x = torch.randn(4, c, 4, 4, generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        torch.testing.assert_close(block(x)[0], sagan(x)[0], atol=1e-5, rtol=1e-4)
        block.train()  # batch statistics: a different map for every batch
        assert not torch.allclose(block(x)[0], sagan(x)[0], atol=1e-3)


def test_sagan_layer_is_a_block_with_g_value_conv_and_w_z_gamma_identity():
    """The other way: g = value_conv (C → C), W_z = γI; θ, φ are query_conv, key_conv zero-padded to C channels."""
    c = 16
    sagan = SelfAttention2d(c)
    g = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for p in sagan.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
    block = NonLocal2d(c, inter_channels=c, mode="embedded_gaussian", sub_sample=False, bn_layer=False)
    with torch.no_grad():
        for mine, theirs in ((block.theta, sagan.query_conv), (block.phi, sagan.key_conv)):
            mine.weight.zero_()
            mine.bias.zero_()
            mine.weight[: c // 8].copy_(theirs.weight)  # zero channels add nothing to θ_iᵀφ_j
            mine.bias[: c // 8].copy_(theirs.bias)
        block.g.load_state_dict(sagan.value_conv.state_dict())
        block.W.weight.copy_(sagan.gamma * torch.eye(c)[:, :, None, None])
        block.W.bias.zero_()
    x = torch.randn(2, c, 3, 5, generator=g)
    z, weights = block(x)
    out, attention = sagan(x)
    torch.testing.assert_close(weights, attention)
    torch.testing.assert_close(z, out, atol=1e-5, rtol=1e-4)


def test_sub_sampling_an_odd_map_drops_the_last_row_and_column_of_keys():
    block = NonLocal2d(8, mode="embedded_gaussian", sub_sample=True)
    _randomise(block, seed=10)
    x = torch.randn(1, 8, 5, 7, generator=torch.Generator().manual_seed(11))
    changed = x.clone()
    changed[:, :, -1, :] += 5.0  # the last row and column: outside every 2×2 pooling window
    changed[:, :, :, -1] += 5.0
    _, weights = block(x)
    _, weights_changed = block(changed)
    assert weights.shape == (1, 35, 2 * 3)
    inner = torch.tensor([r * 7 + c for r in range(4) for c in range(6)])  # queries not in the last row/col
    torch.testing.assert_close(weights[:, inner], weights_changed[:, inner])  # same keys for them
    assert not torch.allclose(weights[:, -1], weights_changed[:, -1])  # the changed pixels still ask as queries


def _expected_keys(mode, sub_sample, bn_layer):
    keys = {"g.0.weight", "g.0.bias"} if sub_sample else {"g.weight", "g.bias"}
    if mode != "gaussian":
        keys |= {"theta.weight", "theta.bias"}
        keys |= {"phi.0.weight", "phi.0.bias"} if sub_sample else {"phi.weight", "phi.bias"}
    if mode == "concatenation":
        keys.add("concat_project.0.weight")
    if bn_layer:
        keys |= {"W.0.weight", "W.0.bias", "W.1.weight", "W.1.bias", "W.1.running_mean", "W.1.running_var",
                 "W.1.num_batches_tracked"}
    else:
        keys |= {"W.weight", "W.bias"}
    return keys


@pytest.mark.parametrize("mode,sub_sample,bn_layer", CONFIGS)
def test_state_dict_layout(mode, sub_sample, bn_layer):
    block = NonLocal2d(16, mode=mode, sub_sample=sub_sample, bn_layer=bn_layer)
    state = block.state_dict()
    assert set(state) == _expected_keys(mode, sub_sample, bn_layer)
    assert block.inter_channels == 8
    assert state["W.0.weight" if bn_layer else "W.weight"].shape == (16, 8, 1, 1)
    if mode == "concatenation":
        assert state["concat_project.0.weight"].shape == (1, 16, 1, 1)


def test_errors():
    with pytest.raises(ValueError, match="'gaussian', 'embedded_gaussian', 'dot_product', 'concatenation'"):
        NonLocal2d(8, mode="cosine")
    with pytest.raises(ValueError, match="in_channels"):
        NonLocal2d(0)
    with pytest.raises(TypeError, match="inter_channels"):
        NonLocal2d(8, inter_channels=2.5)
    with pytest.raises(ValueError, match=r"\(B, 8, H, W\); got \(1, 4, 2, 2\)"):
        NonLocal2d(8)(torch.randn(1, 4, 2, 2))
    for size in ((1, 6), (6, 1)):
        with pytest.raises(ValueError, match=r"x must be at least 2×2 .* sub_sample=True.*got \(1, 8, \d, \d\)"):
            NonLocal2d(8, sub_sample=True)(torch.randn(1, 8, *size))
        _, weights = NonLocal2d(8, sub_sample=False)(torch.randn(1, 8, *size))  # without pooling: fine
        assert weights.shape == (1, 6, 6)


@pytest.mark.parametrize("bn_layer", [True, False])
def test_float64_and_nan_inputs_are_named(bn_layer):
    block = NonLocal2d(8, bn_layer=bn_layer)
    with pytest.raises(TypeError, match=r"x has dtype torch.float64 but the layer's weights are torch.float32"):
        block(torch.zeros(1, 8, 4, 4, dtype=torch.float64))
    x = torch.zeros(1, 8, 4, 4)
    x[0, 0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="x contains 1 infinite"):
        block(x)
