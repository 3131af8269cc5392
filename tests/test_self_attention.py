"""SelfAttention2d against the SAGAN formulas, computed here by hand from the raw parameters."""

import math

import pytest
import torch

from attnlib import SelfAttention2d


def _randomise(layer: SelfAttention2d, gamma: float = 0.7, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        layer.gamma.fill_(gamma)


def _reference(x, wq, bq, wk, bk, wv, bv, gamma, scale=1.0):
    """SAGAN written out per pixel: x (B, C, H, W), 1×1 conv weights as matrices (C_out, C)."""
    B, C, H, W = x.shape
    pixels = x.permute(0, 2, 3, 1).reshape(B, H * W, C)  # row-major: n = row * W + col
    q = pixels @ wq.T + bq
    k = pixels @ wk.T + bk
    v = pixels @ wv.T + bv
    energy = torch.einsum("bid,bjd->bij", q, k) * scale
    attention = torch.exp(energy - energy.amax(-1, keepdim=True))
    attention = attention / attention.sum(-1, keepdim=True)
    o = torch.einsum("bij,bjc->bic", attention, v)
    out = gamma * o.reshape(B, H, W, C).permute(0, 3, 1, 2) + x
    return out, attention


def _mats(layer):
    def m(conv):
        return conv.weight[:, :, 0, 0], conv.bias

    return (*m(layer.query_conv), *m(layer.key_conv), *m(layer.value_conv))


@pytest.mark.parametrize("shape", [(2, 16, 4, 4), (1, 8, 3, 5), (3, 32, 6, 2)])
def test_matches_formula(shape):
    torch.manual_seed(1)
    layer = SelfAttention2d(shape[1])
    _randomise(layer)
    x = torch.randn(shape)
    out, attention = layer(x)
    want_out, want_attention = _reference(x, *_mats(layer), layer.gamma)
    n = shape[2] * shape[3]
    assert attention.shape == (shape[0], n, n)
    torch.testing.assert_close(attention, want_attention, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(out, want_out, atol=1e-5, rtol=1e-4)


def test_parameter_names_and_shapes_match_sagan():
    layer = SelfAttention2d(64)
    shapes = {k: tuple(v.shape) for k, v in layer.state_dict().items()}
    assert shapes == {
        "query_conv.weight": (8, 64, 1, 1),
        "query_conv.bias": (8,),
        "key_conv.weight": (8, 64, 1, 1),
        "key_conv.bias": (8,),
        "value_conv.weight": (64, 64, 1, 1),
        "value_conv.bias": (64,),
        "gamma": (1,),
    }
    assert layer.gamma.item() == 0.0


def test_loads_a_sagan_checkpoint_unchanged():
    """A state dict with SAGAN's names (as its Self_Attn saves them) loads strictly and gives the formula's output."""
    g = torch.Generator().manual_seed(3)
    c = 16
    checkpoint = {
        "gamma": torch.tensor([0.4]),
        "query_conv.weight": torch.randn(c // 8, c, 1, 1, generator=g),
        "query_conv.bias": torch.randn(c // 8, generator=g),
        "key_conv.weight": torch.randn(c // 8, c, 1, 1, generator=g),
        "key_conv.bias": torch.randn(c // 8, generator=g),
        "value_conv.weight": torch.randn(c, c, 1, 1, generator=g),
        "value_conv.bias": torch.randn(c, generator=g),
    }
    layer = SelfAttention2d(c)
    layer.load_state_dict(checkpoint, strict=True)
    x = torch.randn(2, c, 5, 5, generator=g)
    out, attention = layer(x)
    mats = [checkpoint[f"{b}_conv.{p}"].flatten(1) if p == "weight" else checkpoint[f"{b}_conv.{p}"]
            for b in ("query", "key", "value") for p in ("weight", "bias")]
    want_out, want_attention = _reference(x, *mats, checkpoint["gamma"])
    torch.testing.assert_close(out, want_out, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(attention, want_attention, atol=1e-5, rtol=1e-4)


def test_gamma_zero_is_identity():
    layer = SelfAttention2d(16)
    _randomise(layer, gamma=0.0)
    x = torch.randn(2, 16, 4, 3)
    out, attention = layer(x)
    assert torch.equal(out, x)
    torch.testing.assert_close(attention.sum(-1), torch.ones(2, 12))


def test_row_is_the_query_pixel():
    """Make one key pixel special and check that the row of every query reads it in the right column."""
    layer = SelfAttention2d(8)
    with torch.no_grad():
        for p in layer.parameters():
            p.zero_()
        layer.query_conv.weight[0, 0] = 1.0  # q = channel 0
        layer.key_conv.weight[0, 1] = 1.0  # k = channel 1
    x = torch.zeros(1, 8, 3, 4)
    x[0, 0] = 1.0  # every query has q = 1
    x[0, 1, 2, 1] = 20.0  # key pixel (row 2, col 1) = token 2 * 4 + 1 = 9 scores 20, all others 0
    _, attention = layer(x)
    assert attention.argmax(-1).tolist() == [[9] * 12]
    # a query whose q is 0 sees every key alike: its row is uniform
    x[0, 0, 0, 0] = 0.0
    _, attention = layer(x)
    torch.testing.assert_close(attention[0, 0], torch.full((12,), 1 / 12))


def test_no_sqrt_d_scaling():
    layer = SelfAttention2d(64)
    _randomise(layer, seed=5)
    x = torch.randn(1, 64, 3, 3)
    _, attention = layer(x)
    _, unscaled = _reference(x, *_mats(layer), layer.gamma)
    _, scaled = _reference(x, *_mats(layer), layer.gamma, scale=1 / math.sqrt(8))
    torch.testing.assert_close(attention, unscaled, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(attention, scaled, atol=1e-3)


def test_gradients_reach_every_parameter_once_gamma_moves():
    layer = SelfAttention2d(8)
    _randomise(layer, gamma=0.5)
    out, _ = layer(torch.randn(2, 8, 3, 3))
    out.square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())


def test_errors():
    with pytest.raises(ValueError, match="in_dim must be at least 8"):
        SelfAttention2d(4)
    with pytest.raises(TypeError, match="in_dim"):
        SelfAttention2d(8.0)
    layer = SelfAttention2d(16)
    with pytest.raises(ValueError, match=r"\(B, 16, H, W\); got \(2, 8, 4, 4\)"):
        layer(torch.randn(2, 8, 4, 4))
    with pytest.raises(ValueError, match=r"got \(16, 4, 4\)"):
        layer(torch.randn(16, 4, 4))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        layer([[1.0]])


def test_float64_and_nan_inputs_are_named():
    layer = SelfAttention2d(16)
    with pytest.raises(TypeError, match=r"x has dtype torch.float64 but the layer's weights are torch.float32"):
        layer(torch.zeros(1, 16, 4, 4, dtype=torch.float64))
    x = torch.zeros(1, 16, 4, 4)
    x[0, 3, 1, 2] = float("nan")
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        layer(x)
    assert layer.double()(torch.zeros(1, 16, 4, 4, dtype=torch.float64))[0].dtype == torch.float64  # converted: fine
