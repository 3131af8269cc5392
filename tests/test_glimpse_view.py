"""Glimpse drawings, the live GlimpseExplorer, and the shipped RAM weights."""

import numpy as np
import pytest
import torch

from attnlib import (
    GLIMPSE_COLOURS,
    draw_glimpses,
    load_ram,
    load_soft_counterpart,
    make_cluttered_digits,
    show_glimpses,
)


def rgb(hex_colour):
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_draw_glimpses_outlines_the_boxes_glimpse_reads():
    frame = np.zeros((64, 64, 3), dtype=np.uint8)
    # centres (32, 32) and (16, 48), side 16: boxes rows 24..39 × cols 24..39 and rows 8..23 × cols 40..55
    locations = torch.tensor([[0.0, 0.0], [-0.5, 0.5]])
    out = draw_glimpses(frame, locations, 16, current=1)
    assert tuple(out[24, 24]) == tuple(out[39, 24]) == rgb(GLIMPSE_COLOURS[0])  # box 1's left corners
    assert tuple(out[8, 40]) == tuple(out[23, 40]) == tuple(out[10, 42]) == rgb(GLIMPSE_COLOURS[1])  # box 2, thick
    assert tuple(out[30, 26]) == (0, 0, 0) and tuple(out[23, 39]) == (0, 0, 0)  # inside box 1; just outside both
    assert out[:7].sum() == 0 and frame.sum() == 0  # nothing above the boxes; the input is not modified
    only_first = draw_glimpses(frame, locations, 16, current=0)
    assert only_first[8, 40].sum() == 0


def test_draw_glimpses_on_an_enlarged_copy_scales_the_boxes():
    big = draw_glimpses(np.zeros((64, 64, 3), dtype=np.uint8), torch.tensor([[0.0, 0.0]]), 8, image_shape=(32, 32))
    assert tuple(big[24, 28]) == rgb(GLIMPSE_COLOURS[0])  # the box's top edge: row 12 of 32 → 24 of 64


def test_show_glimpses_draws_one_rectangle_per_step_and_scale():
    import matplotlib

    matplotlib.use("Agg")
    ax = show_glimpses(torch.rand(28, 28), torch.tensor([[0.0, 0.0], [0.5, -0.5], [0.1, 0.2]]), 8, scales=2,
                       title="path")
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.texts] == ["1", "2", "3"]
    assert ax.title.get_fontsize() >= 12
    framed = show_glimpses(torch.rand(28, 28), torch.tensor([[0.0, 0.0]]), 8, target=(3, 4, 16, 12))
    digit_box = framed.patches[0]  # the target is drawn first, white and dotted
    assert digit_box.get_xy() == (3.5, 2.5) and (digit_box.get_width(), digit_box.get_height()) == (12, 16)
    with pytest.raises(ValueError, match=r"locations must be a tensor \(T, 2\)"):
        show_glimpses(torch.rand(28, 28), torch.zeros(3), 8)


@pytest.fixture(scope="module")
def net_and_test():
    return load_ram(), make_cluttered_digits(1000, seed=2, split="test", size=28, n_clutter=4)


def test_shipped_ram_reaches_its_bar_and_more_glimpses_help(net_and_test):
    net, test = net_and_test
    with torch.no_grad():
        accuracy = [float((net(test.images, glimpses=t, sample=False).logits.argmax(-1) == test.labels).float().mean())
                    for t in (1, 4)]
    assert accuracy[1] >= 0.55  # scripts/train_ram.py's BAR
    assert accuracy[1] > accuracy[0] + 0.05
    assert set(net.history) == {"loss", "reward"}


def test_shipped_soft_counterpart_reaches_its_bar(net_and_test):
    _, test = net_and_test
    soft = load_soft_counterpart()
    with torch.no_grad():
        logits, mask = soft(test.images)
    assert float((logits.argmax(-1) == test.labels).float().mean()) >= 0.90  # scripts/train_ram.py's SOFT_BAR
    assert soft.config["gate"] == "input" and mask.shape == (1000, 28, 28) and not soft.training


def test_glimpse_explorer_updates_one_image_in_place(net_and_test):
    from attnlib import GlimpseExplorer

    net, test = net_and_test
    w = GlimpseExplorer(net, test.images[0], label=int(test.labels[0]))
    image_widget, first = w.image_widget, w.picture.copy()
    assert w.step == 4 and repr(w).startswith("GlimpseExplorer: step 4 of 4")
    w.slider.value = 1
    assert w.image_widget is image_widget and not np.array_equal(w.picture, first)
    assert "step 1 of 4" in w.readout.value
    before = w.output.locations.clone()
    w.resample()
    assert w.seed == 1 and not torch.equal(before, w.output.locations)
    bundle = w._repr_mimebundle_()
    assert bundle["text/plain"] == repr(w) and "image/png" in bundle
    again = GlimpseExplorer(net, test.images[0], label=int(test.labels[0]), seed=1)
    again.slider.value = 1
    assert repr(again) == repr(w)  # same seed and step → same text
    with pytest.raises(TypeError, match="net must be a RecurrentAttention"):
        GlimpseExplorer(object(), test.images[0])
