"""DigitNet, box_mass and the shipped cluttered-digit networks."""

from importlib import resources

import pytest
import torch

from attnlib import (
    CBAM,
    DIGIT_NETS,
    DigitNet,
    InputMask,
    SqueezeExcite,
    box_mass,
    load_digit_net,
    make_cluttered_digits,
)

BAR = 0.90  # scripts/train_digits.py asserts the same bar on the same held-out pictures


@pytest.fixture(scope="module")
def held_out():
    return make_cluttered_digits(1000, seed=2, split="test")  # the script's held-out set: unseen digits


@pytest.mark.parametrize(
    ("gate", "kind", "shape"),
    [(None, type(None), None), ("se", SqueezeExcite, (5, 32)), ("input", InputMask, (5, 48, 48))],
)
def test_outputs_and_weights(gate, kind, shape):
    net = DigitNet(gate).eval()
    logits, weights = net(torch.rand(5, 1, 48, 48))
    assert logits.shape == (5, 10) and isinstance(net.gate, kind)
    assert (weights is None) if shape is None else (weights.shape == shape)


def test_cbam_weights_are_channel_then_spatial():
    net = DigitNet("cbam").eval()
    _, (c, s) = net(torch.rand(2, 1, 48, 48))
    assert isinstance(net.gate, CBAM) and c.shape == (2, 32) and s.shape == (2, 12, 12)


def test_zero_channels_is_the_features_with_those_channels_set_to_zero():
    torch.manual_seed(0)
    net = DigitNet("se").eval()
    images = torch.rand(3, 1, 48, 48)
    drop = torch.zeros(3, 32, dtype=torch.bool)
    drop[0, [1, 5]] = True
    drop[2, 7] = True
    with torch.no_grad():
        gated, _ = net.gate(net.features(images))  # (3, 32, 12, 12)
        pooled = gated.amax(dim=(2, 3))
        pooled[drop] = 0.0  # a zeroed channel's largest value is 0
        want = pooled @ net.classifier.weight.T + net.classifier.bias
        got, _ = net(images, zero_channels=drop)
        torch.testing.assert_close(got, want)
        everything, _ = net(images, zero_channels=torch.ones(32, dtype=torch.bool))
        torch.testing.assert_close(everything, net.classifier.bias.expand(3, 10))


def test_box_mass_hand_checked():
    boxes = torch.tensor([[4, 4, 8, 4]])  # rows 4..11, cols 4..7 of a 16×16 picture: 32 pixels
    uniform = torch.full((1, 4, 4), 0.3)
    mass, chance = box_mass(uniform, boxes, size=16)
    assert chance == pytest.approx(32 / 256) and mass == pytest.approx(chance)
    one_cell = torch.zeros(1, 4, 4)
    one_cell[0, 1, 1] = 0.9  # the 4×4 block rows 4..7, cols 4..7: inside the box
    assert box_mass(one_cell, boxes, size=16)[0] == pytest.approx(1.0)
    two = one_cell.clone()
    two[0, 3, 3] = 0.45  # a block outside the box, half the weight
    assert box_mass(two, boxes, size=16)[0] == pytest.approx(0.9 / 1.35)
    pixels = torch.zeros(2, 16, 16)
    pixels[:, 4:12, 4:8] = 0.5
    assert box_mass(pixels, boxes.expand(2, 4), size=16) == pytest.approx((1.0, 32 / 256))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"gate must be one of \(None, 'se', 'cbam', 'input'\); got 'sagan'"):
        DigitNet("sagan")
    net = DigitNet("se")
    with pytest.raises(ValueError, match=r"images must have shape \(B, 1, H, W\); got \(2, 3, 48, 48\)"):
        net(torch.rand(2, 3, 48, 48))
    with pytest.raises(TypeError, match=r"zero_channels must be a bool tensor of shape \(2, 32\) .*got torch.int64"):
        net(torch.rand(2, 1, 48, 48), zero_channels=torch.zeros(2, 32, dtype=torch.long))
    with pytest.raises(ValueError, match=r"zero_channels must have shape \(2, 32\) or \(32,\); got \(16,\)"):
        net(torch.rand(2, 1, 48, 48), zero_channels=torch.zeros(16, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"h and w dividing size 48; got \(2, 5, 5\)"):
        box_mass(torch.rand(2, 5, 5), torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"boxes must be a tensor of shape \(2, 4\)"):
        box_mass(torch.rand(2, 12, 12), torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"finite and ≥ 0"):
        box_mass(-torch.rand(2, 12, 12), torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"name must be one of \('cnn', 'se', 'cbam', 'input'\); got 'resnet'"):
        load_digit_net("resnet")
    with pytest.raises(TypeError, match=r"name must be a str"):
        load_digit_net(0)


@pytest.mark.parametrize("name", DIGIT_NETS)
def test_shipped_weights_load_with_weights_only_and_reach_the_bar(name, held_out):
    path = resources.files("attnlib") / "weights" / f"digits_{name}.pt"
    with resources.as_file(path) as p:
        saved = torch.load(p, weights_only=True)  # tensors and plain values only
    assert set(saved) == {"config", "state_dict", "history"} and saved["config"]["gate"] == DIGIT_NETS[name]
    net = load_digit_net(name)
    assert not net.training and len(net.history["loss"]) == 4 * 125  # 4 epochs of 4000 / 32
    with torch.no_grad():
        pred = net(held_out.images)[0].argmax(1)
    assert float((pred == held_out.labels).float().mean()) >= BAR


def test_shipped_spatial_gates_weigh_the_digit_above_chance(held_out):
    with torch.no_grad():
        _, (_, spatial) = load_digit_net("cbam")(held_out.images)
        _, mask = load_digit_net("input")(held_out.images)
    mass, chance = box_mass(spatial, held_out.boxes)
    assert mass > 1.4 * chance
    mass, chance = box_mass(mask, held_out.boxes)
    assert mass > 2.5 * chance
