"""SE, CBAM and the input mask against their formulas, written out here from raw weights.

State dicts are built by hand with the reference code's key names (senet.pytorch's SELayer:
``fc.0/fc.2``; the CBAM authors' MODELS/cbam.py: ``ChannelGate.mlp.1/3``,
``SpatialGate.spatial.conv/bn``) and must load with ``strict=True``.
"""

import pytest
import torch
import torch.nn.functional as F

from attnlib import CBAM, InputMask, SqueezeExcite

EPS = 1e-5  # the reference BatchNorm's eps


def sigmoid(t):
    return 1 / (1 + torch.exp(-t))


def relu(t):
    return t.clamp_min(0)


def correlate(maps, weight):
    """Zero-padded k×k cross-correlation written out: maps (B, 2, H, W), weight (2, k, k) → (B, H, W)."""
    k = weight.shape[-1]
    H, W = maps.shape[-2:]
    padded = torch.zeros(maps.shape[0], maps.shape[1], H + k - 1, W + k - 1)
    padded[:, :, k // 2 : k // 2 + H, k // 2 : k // 2 + W] = maps
    out = torch.zeros(maps.shape[0], H, W)
    for ch in range(maps.shape[1]):
        for i in range(k):
            for j in range(k):
                out += weight[ch, i, j] * padded[:, ch, i : i + H, j : j + W]
    return out


def se_state(C, r, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"fc.0.weight": torch.randn(C // r, C, generator=g), "fc.2.weight": torch.randn(C, C // r, generator=g)}


def se_formula(x, sd):
    z = x.mean(dim=(2, 3))  # (B, C)
    s = sigmoid(relu(z @ sd["fc.0.weight"].T) @ sd["fc.2.weight"].T)
    return x * s[:, :, None, None], s


def cbam_state(C, r, k=7, seed=0):
    """The authors' keys with random values, BN statistics included (eval mode uses them)."""
    g = torch.Generator().manual_seed(seed)
    h = C // r
    return {
        "ChannelGate.mlp.1.weight": torch.randn(h, C, generator=g) * 0.5,
        "ChannelGate.mlp.1.bias": torch.randn(h, generator=g) * 0.5,
        "ChannelGate.mlp.3.weight": torch.randn(C, h, generator=g) * 0.5,
        "ChannelGate.mlp.3.bias": torch.randn(C, generator=g) * 0.5,
        "SpatialGate.spatial.conv.weight": torch.randn(1, 2, k, k, generator=g) * 0.3,
        "SpatialGate.spatial.bn.weight": torch.tensor([1.3]),
        "SpatialGate.spatial.bn.bias": torch.tensor([-0.2]),
        "SpatialGate.spatial.bn.running_mean": torch.tensor([0.4]),
        "SpatialGate.spatial.bn.running_var": torch.tensor([2.5]),
        "SpatialGate.spatial.bn.num_batches_tracked": torch.tensor(7),
    }


def cbam_formula(x, sd):
    """CBAM in eval mode: c = σ(MLP(avg) + MLP(max)); x' = c·x; s = σ(BN(conv([max_C x', mean_C x']))); out = s·x'."""

    def mlp(v):
        hidden = relu(v @ sd["ChannelGate.mlp.1.weight"].T + sd["ChannelGate.mlp.1.bias"])
        return hidden @ sd["ChannelGate.mlp.3.weight"].T + sd["ChannelGate.mlp.3.bias"]

    B, C = x.shape[:2]
    flat = x.reshape(B, C, -1)
    c = sigmoid(mlp(flat.mean(-1)) + mlp(flat.max(-1).values))  # summed, then one sigmoid
    x1 = x * c[:, :, None, None]
    pooled = torch.stack([x1.max(dim=1).values, x1.mean(dim=1)], dim=1)  # max first
    y = correlate(pooled, sd["SpatialGate.spatial.conv.weight"][0])
    bn = sd["SpatialGate.spatial.bn.weight"], sd["SpatialGate.spatial.bn.bias"]
    y = (y - sd["SpatialGate.spatial.bn.running_mean"]) / torch.sqrt(sd["SpatialGate.spatial.bn.running_var"] + EPS)
    s = sigmoid(y * bn[0] + bn[1])
    return x1 * s[:, None], c, s


@pytest.mark.parametrize(("shape", "r"), [((2, 16, 5, 7), 4), ((3, 32, 4, 4), 16), ((1, 3, 2, 9), 1)])
def test_squeeze_excite_matches_formula_with_reference_keys(shape, r):
    se = SqueezeExcite(shape[1], reduction=r)
    sd = se_state(shape[1], r)
    assert se.load_state_dict(sd, strict=True).missing_keys == []
    x = torch.randn(shape)
    out, s = se(x)
    want_out, want_s = se_formula(x, sd)
    assert s.shape == shape[:2]
    torch.testing.assert_close(s, want_s)
    torch.testing.assert_close(out, want_out)
    assert ((s > 0) & (s < 1)).all()


def test_squeeze_excite_keys_and_shapes_are_senet_pytorchs():
    shapes = {k: tuple(v.shape) for k, v in SqueezeExcite(64).state_dict().items()}
    assert shapes == {"fc.0.weight": (4, 64), "fc.2.weight": (64, 4)}  # reduction 16, no biases


@pytest.mark.parametrize(("shape", "r", "k"), [((2, 16, 7, 9), 4, 7), ((3, 8, 3, 3), 2, 3), ((1, 32, 12, 12), 16, 7)])
def test_cbam_matches_formula_with_reference_keys(shape, r, k):
    cbam = CBAM(shape[1], reduction=r, kernel_size=k).eval()
    sd = cbam_state(shape[1], r, k)
    result = cbam.load_state_dict(sd, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = torch.randn(shape)
    out, (c, s) = cbam(x)
    want_out, want_c, want_s = cbam_formula(x, sd)
    assert c.shape == shape[:2] and s.shape == (shape[0], *shape[2:])
    torch.testing.assert_close(c, want_c)
    torch.testing.assert_close(s, want_s)
    torch.testing.assert_close(out, want_out)


def test_cbam_bn_is_the_references():
    bn = CBAM(16, 4).SpatialGate.spatial.bn
    assert (bn.num_features, bn.eps, bn.momentum, bn.affine) == (1, 1e-5, 0.01, True)
    conv = CBAM(16, 4, kernel_size=5).SpatialGate.spatial.conv
    assert conv.bias is None and conv.padding == (2, 2) and conv.weight.shape == (1, 2, 5, 5)


def test_spatial_pooling_is_max_then_mean():
    """A conv that reads only its first input channel: the map must follow the max over C, not the mean."""
    cbam = CBAM(4, reduction=1, kernel_size=3).eval()
    sd = cbam_state(4, 1, 3)
    sd["ChannelGate.mlp.3.weight"].zero_()
    sd["ChannelGate.mlp.3.bias"].fill_(50.0)  # channel gate = σ(100) = 1: x' = x
    weight = torch.zeros(1, 2, 3, 3)
    weight[0, 0, 1, 1] = 1.0  # centre tap of input channel 0 only
    sd["SpatialGate.spatial.conv.weight"] = weight
    sd["SpatialGate.spatial.bn.weight"].fill_(1.0)
    sd["SpatialGate.spatial.bn.bias"].fill_(0.0)
    sd["SpatialGate.spatial.bn.running_mean"].fill_(0.0)
    sd["SpatialGate.spatial.bn.running_var"].fill_(1.0 - EPS)  # BN = identity
    cbam.load_state_dict(sd, strict=True)
    x = torch.zeros(1, 4, 3, 3)
    x[0, 0] = 2.0  # max over C = 2, mean over C = 0.5 everywhere
    _, (c, s) = cbam(x)
    torch.testing.assert_close(c, torch.ones(1, 4))
    torch.testing.assert_close(s, torch.full((1, 3, 3), float(sigmoid(torch.tensor(2.0)))))  # [mean, max]: σ(0.5)


def timm_state(C, r, k=7, seed=1):
    """A timm CbamModule state dict: 1×1-conv MLP without biases, spatial conv inside a ConvNormAct."""
    g = torch.Generator().manual_seed(seed)
    return {
        "channel.fc1.weight": torch.randn(C // r, C, 1, 1, generator=g) * 0.5,
        "channel.fc2.weight": torch.randn(C, C // r, 1, 1, generator=g) * 0.5,
        "spatial.conv.conv.weight": torch.randn(1, 2, k, k, generator=g) * 0.3,
        "spatial.conv.bn.weight": torch.tensor([0.9]),
        "spatial.conv.bn.bias": torch.tensor([0.1]),
        "spatial.conv.bn.running_mean": torch.tensor([-0.3]),
        "spatial.conv.bn.running_var": torch.tensor([1.7]),
        "spatial.conv.bn.num_batches_tracked": torch.tensor(3),
    }


def timm_formula(x, sd):
    """timm's CbamModule in eval mode: no MLP biases, spatial pooling stacked [mean, max]."""

    def mlp(v):
        return relu(v @ sd["channel.fc1.weight"][:, :, 0, 0].T) @ sd["channel.fc2.weight"][:, :, 0, 0].T

    B, C = x.shape[:2]
    flat = x.reshape(B, C, -1)
    x1 = x * sigmoid(mlp(flat.mean(-1)) + mlp(flat.max(-1).values))[:, :, None, None]
    pooled = torch.stack([x1.mean(dim=1), x1.max(dim=1).values], dim=1)  # mean first
    y = correlate(pooled, sd["spatial.conv.conv.weight"][0])
    y = (y - sd["spatial.conv.bn.running_mean"]) / torch.sqrt(sd["spatial.conv.bn.running_var"] + EPS)
    return x1 * sigmoid(y * sd["spatial.conv.bn.weight"] + sd["spatial.conv.bn.bias"])[:, None]


def test_a_timm_checkpoint_fails_with_a_message_that_says_how_to_convert():
    timm = timm_state(16, 4)
    for strict in (True, False):  # never a silent half-load
        with pytest.raises(RuntimeError, match=r"timm.s CbamModule .*\[mean, max\] where this one stacks"):
            CBAM(16, 4).load_state_dict(timm, strict=strict)
    parent = torch.nn.Sequential(torch.nn.Identity(), CBAM(16, 4))
    with pytest.raises(RuntimeError, match=r"timm's CbamModule weights \(1\.channel\.fc1\.weight"):
        parent.load_state_dict({f"1.{k}": v for k, v in timm.items()})
    # following the message gives timm's outputs
    converted = {
        "ChannelGate.mlp.1.weight": timm["channel.fc1.weight"][:, :, 0, 0],
        "ChannelGate.mlp.1.bias": torch.zeros(4),
        "ChannelGate.mlp.3.weight": timm["channel.fc2.weight"][:, :, 0, 0],
        "ChannelGate.mlp.3.bias": torch.zeros(16),
        "SpatialGate.spatial.conv.weight": timm["spatial.conv.conv.weight"][:, [1, 0]],
        **{f"SpatialGate.spatial.bn.{k.rsplit('.', 1)[1]}": v for k, v in timm.items() if ".bn." in k},
    }
    cbam = CBAM(16, 4).eval()
    cbam.load_state_dict(converted, strict=True)
    x = torch.randn(2, 16, 8, 8)
    torch.testing.assert_close(cbam(x)[0], timm_formula(x, timm))
    # renaming alone (no channel swap) loads but gives other maps: the silent failure the message warns about
    converted["SpatialGate.spatial.conv.weight"] = timm["spatial.conv.conv.weight"]
    cbam.load_state_dict(converted, strict=True)
    assert not torch.allclose(cbam(x)[0], timm_formula(x, timm), atol=1e-3)


def test_input_mask_multiplies_the_image_by_a_sigmoid_of_the_upsampled_net():
    torch.manual_seed(0)
    gate = InputMask(in_channels=1, hidden=4)
    images = torch.rand(3, 1, 20, 28)
    out, mask = gate(images)
    assert mask.shape == (3, 20, 28) and ((mask > 0) & (mask < 1)).all()
    logits = F.interpolate(gate.net(images), size=(20, 28), mode="bilinear", align_corners=False)[:, 0]
    torch.testing.assert_close(mask, sigmoid(logits))
    torch.testing.assert_close(out, images * mask[:, None])
    assert gate.net[-1].bias.item() == -2.0  # starts nearly closed: σ(-2) ≈ 0.12
    out.sum().backward()  # trained end to end: the mask net gets gradients
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in gate.parameters())


def test_gate_weights_do_not_sum_to_one():
    x = torch.randn(2, 16, 6, 6)
    _, s = SqueezeExcite(16, 4)(x)
    _, (c, sp) = CBAM(16, 4, kernel_size=3)(x)
    for w in (s, c, sp.flatten(1)):
        assert ((w > 0) & (w < 1)).all()
        assert not torch.allclose(w.sum(-1), torch.ones(2))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SqueezeExcite(0), ValueError, r"channels must be an int 1 <= channels .*got 0"),
        (lambda: SqueezeExcite(16.0), TypeError, r"channels must be an int .*got float"),
        (lambda: SqueezeExcite(8, reduction=16), ValueError, r"reduction must be an int 1 <= reduction <= 8 .*got 16"),
        (lambda: CBAM(8, reduction=9), ValueError, r"reduction must be an int 1 <= reduction <= 8"),
        (lambda: CBAM(8, reduction=2, kernel_size=4), ValueError, r"kernel_size must be odd .*got 4"),
        (lambda: CBAM(8, reduction=2, kernel_size="7"), TypeError, r"kernel_size must be an int"),
        (lambda: InputMask(in_channels=0), ValueError, r"in_channels must be an int 1 <="),
        (lambda: InputMask(start_logit="low"), TypeError, r"start_logit must be a number; got str"),
    ],
)
def test_bad_constructor_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"x must have shape \(B, 16, H, W\); got \(2, 8, 4, 4\)"):
        SqueezeExcite(16, 4)(torch.randn(2, 8, 4, 4))
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor .*got dtype torch.int64"):
        CBAM(16, 4)(torch.ones(1, 16, 8, 8, dtype=torch.long))
    with pytest.raises(ValueError, match=r"x's map 5×9 is smaller than the spatial gate's 7×7 kernel"):
        CBAM(16, 4)(torch.randn(1, 16, 5, 9))
    with pytest.raises(ValueError, match=r"images must have shape \(B, 1, H, W\); got \(2, 3, 8, 8\)"):
        InputMask()(torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"images must be at least 4×4 .*got 3×8"):
        InputMask()(torch.rand(2, 1, 3, 8))
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor"):
        SqueezeExcite(4, 2)([[1.0]])
    with pytest.raises(TypeError, match=r"x has dtype torch.float64 but the layer's weights are torch.float32"):
        CBAM(16, 4)(torch.randn(1, 16, 8, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"images has dtype torch.float64"):
        InputMask()(torch.rand(1, 1, 8, 8, dtype=torch.float64))
    nan = torch.randn(1, 16, 8, 8)
    nan[0, 3, 2, 2] = float("nan")
    with pytest.raises(ValueError, match=r"x contains 1 NaN"):
        SqueezeExcite(16, 4)(nan)
