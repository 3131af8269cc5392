"""The partner task, its network, the partner-mass score, the fit loop and the shipped weights."""

import numpy as np
import pytest
import torch

from attnlib import (
    COLOURS,
    MIN_GAP,
    PRETRAINED,
    PairNet,
    fit,
    load_pair_net,
    make_pairs,
    mask_cover,
    partner_mass,
    pixel_accuracy,
)


@pytest.fixture(scope="module")
def pairs():
    return make_pairs(200, seed=11)


def test_shapes_and_seed(pairs):
    assert pairs.images.shape == (200, 3, 32, 32) and pairs.images.dtype == torch.float32
    assert pairs.masks.shape == (200, 2, 32, 32) and pairs.masks.dtype == torch.bool
    assert pairs.colours.shape == (200, 2) and pairs.labels.shape == (200, 32, 32)
    assert 0 <= pairs.images.min() and pairs.images.max() <= 1
    again = make_pairs(200, seed=11)
    assert all(torch.equal(a, b) for a, b in zip(pairs, again, strict=True))
    assert not torch.equal(make_pairs(200, seed=12).masks, pairs.masks)


def test_objects_are_far_apart_and_disjoint(pairs):
    for masks in pairs.masks:
        assert masks[0].sum() == 36 and masks[1].sum() == 48  # 6×6 square, 8×8 ring with a 4×4 hole
        assert not (masks[0] & masks[1]).any()
        rows = [torch.nonzero(m.any(1)).flatten() for m in masks]
        cols = [torch.nonzero(m.any(0)).flatten() for m in masks]
        gap_rows = max(rows[0].min() - rows[1].max(), rows[1].min() - rows[0].max()) - 1
        gap_cols = max(cols[0].min() - cols[1].max(), cols[1].min() - cols[0].max()) - 1
        assert max(gap_rows, gap_cols) >= MIN_GAP


def test_labels_are_the_partners_colour(pairs):
    palette = torch.tensor(list(COLOURS.values()))
    for i in range(20):
        for o in range(2):
            m = pairs.masks[i, o]
            assert (pairs.labels[i][m] == pairs.colours[i, 1 - o]).all()
            want = palette[pairs.colours[i, o]][:, None].expand(3, int(m.sum()))
            torch.testing.assert_close(pairs.images[i][:, m], want)
        background = ~(pairs.masks[i, 0] | pairs.masks[i, 1])
        assert (pairs.labels[i][background] == -1).all()


def test_colours_differ_and_are_balanced():
    colours = make_pairs(2000, seed=0).colours
    assert (colours[:, 0] != colours[:, 1]).all()
    counts = torch.bincount(colours.flatten(), minlength=4).float() / colours.numel()
    assert (counts - 0.25).abs().max() < 0.03


def test_mask_cover_against_block_counts():
    masks = torch.zeros(1, 8, 8, dtype=torch.bool)
    masks[0, 1:4, 0:2] = True  # 6 pixels, all inside the top-left 4×4 block
    cover = mask_cover(masks, (2, 2))
    torch.testing.assert_close(cover, torch.tensor([[[6 / 16, 0.0], [0.0, 0.0]]]))
    masks = torch.zeros(8, 8, dtype=torch.bool)
    masks[3:5, 3:5] = True  # one pixel in each of the four 4×4 blocks
    torch.testing.assert_close(mask_cover(masks, (2, 2)), torch.full((2, 2), 1 / 16))
    with pytest.raises(ValueError, match="must divide"):
        mask_cover(masks, (3, 3))


def _uniform_and_oracle(pairs, n=10):
    masks = pairs.masks[:n]
    touch = mask_cover(masks, (8, 8)).flatten(2) > 0  # (n, 2, 64)
    uniform = torch.full((n, 64, 64), 1 / 64)
    oracle = torch.zeros(n, 64, 64)
    own = mask_cover(masks, (8, 8)).flatten(2)  # which object each query cell mostly belongs to
    for i in range(n):
        for q in range(64):
            partner = touch[i, 1] if own[i, 0, q] >= own[i, 1, q] else touch[i, 0]
            oracle[i, q] = partner.float() / partner.sum()
    return uniform, oracle, touch


def test_partner_mass_extremes(pairs):
    uniform, oracle, touch = _uniform_and_oracle(pairs)
    mass, chance = partner_mass(oracle, pairs.masks[:10], (8, 8))
    assert mass == pytest.approx(1.0)
    mass, chance = partner_mass(uniform, pairs.masks[:10], (8, 8))
    assert mass == pytest.approx(chance, abs=1e-6)
    assert 0.05 < chance < 0.25  # a partner touches 4–9 of the 64 cells
    # on a single picture, chance is the average (over query cells) of the partner's share of cells
    cover = mask_cover(pairs.masks[:1], (8, 8)).flatten(2)[0]
    n_queries = (cover >= 0.5).sum(-1).float()  # per object
    share = touch[0].float().mean(-1).flip(0)  # object o's partner's share
    want = float((n_queries * share).sum() / n_queries.sum())
    assert partner_mass(uniform[:1], pairs.masks[:1], (8, 8))[1] == pytest.approx(want)


def test_partner_mass_normalises_the_one_over_n_modes(pairs):
    _, oracle, _ = _uniform_and_oracle(pairs)
    assert partner_mass(oracle * 0.01, pairs.masks[:10], (8, 8))[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"\(n, 64, 16\) .* got \(10, 64, 64\)"):
        partner_mass(oracle, pairs.masks[:10], (8, 8), key_grid=(4, 4))


def test_cnn_cannot_see_the_partner():
    """Without attention, a cell's output has zero gradient w.r.t. pixels more than its 10×10 window away."""
    net = PairNet(None).eval()
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    logits, weights = net(image)
    assert weights is None and logits.shape == (1, 4, 32, 32)
    logits[0, :, 12, 12].sum().backward()  # a pixel in feature cell (3, 3), which sees pixels 9..18
    seen = image.grad[0].abs().sum(0) > 0
    rows, cols = torch.nonzero(seen.any(1)).flatten(), torch.nonzero(seen.any(0)).flatten()
    assert rows.min() >= 9 and rows.max() <= 18 and cols.min() >= 9 and cols.max() <= 18
    assert MIN_GAP >= 9  # so two objects never share a window


def test_attention_sees_everything():
    net = PairNet("self_attention").eval()
    with torch.no_grad():
        net.attention.gamma.fill_(1.0)
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    logits, weights = net(image)
    assert weights.shape == (1, 64, 64)
    logits[0, :, 12, 12].sum().backward()
    assert (image.grad[0].abs().sum(0) > 0).all()


def test_fit_is_deterministic_and_accuracy_matches_a_count():
    data = make_pairs(40, seed=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = PairNet("self_attention")
        history = fit(net, data.images, data.labels, epochs=1, batch_size=20, progress=False,
                      track=lambda m: m.attention.gamma.item())
        runs.append((net, history))
    assert len(runs[0][1]["loss"]) == 2 and len(runs[0][1]["tracked"]) == 2
    assert runs[0][1] == runs[1][1]
    for a, b in zip(runs[0][0].state_dict().values(), runs[1][0].state_dict().values(), strict=True):
        assert torch.equal(a, b)
    net = runs[0][0]
    with torch.no_grad():
        pred = net(data.images)[0].argmax(1).numpy()
    labels = data.labels.numpy()
    want = np.mean(pred[labels >= 0] == labels[labels >= 0])
    assert pixel_accuracy(net, data.images, data.labels, batch_size=7) == pytest.approx(want)


def test_fit_rejects_bad_arguments():
    data = make_pairs(4, seed=0)
    with pytest.raises(ValueError, match="labels must have shape"):
        fit(PairNet(None), data.images, data.labels[:, :16], progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(PairNet(None), data.images, data.labels, epochs=0, progress=False)
    with pytest.raises(ValueError, match="attention must be"):
        PairNet("sagan")
    with pytest.raises(ValueError, match="n must be"):
        make_pairs(0)


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_weights_load(name):
    net = load_pair_net(name)
    assert not net.training
    data = make_pairs(100, seed=2)  # the held-out seed
    accuracy = pixel_accuracy(net, data.images, data.labels)
    if name == "cnn":
        assert accuracy < 0.5
    elif name in ("self_attention", "non_local_embedded_gaussian"):
        assert accuracy >= 0.95


def test_shipped_self_attention_finds_the_partner():
    net = load_pair_net("self_attention")
    data = make_pairs(100, seed=2)
    with torch.no_grad():
        _, weights = net(data.images)
    mass, chance = partner_mass(weights, data.masks, (8, 8))
    assert mass >= 0.5 and chance < 0.2
    with pytest.raises(ValueError, match="name must be one of"):
        load_pair_net("resnet")


def test_bad_arguments_to_the_task_helpers_are_named():
    from attnlib import NonLocal2d, fit, make_pairs, partner_mass

    with pytest.raises(TypeError, match=r"seed must be an int; got str"):
        make_pairs(2, seed="a")
    with pytest.raises(TypeError, match=r"sub_sample must be True or False; got 'no'"):
        NonLocal2d(16, sub_sample="no")
    pairs = make_pairs(2, seed=0)
    with pytest.raises(TypeError, match=r"labels must be torch.long"):
        fit(torch.nn.Conv2d(3, 4, 1), pairs.images, pairs.labels.float(), progress=False)
    with pytest.raises(TypeError, match=r"images and labels must be torch.Tensors"):
        fit(torch.nn.Conv2d(3, 4, 1), pairs.images.numpy(), pairs.labels, progress=False)
    weights = torch.full((2, 16, 16), 1 / 16)
    weights[0, 3, 5] = float("nan")
    with pytest.raises(ValueError, match=r"weights contains 1 NaN"):
        partner_mass(weights, pairs.masks, (4, 4))
