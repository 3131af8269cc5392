"""show_gate: a gate's weights over a grey image on the fixed range 0–1, checked with matplotlib's own colormap."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from attnlib import show_gate


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_pixels_are_the_grey_image_blended_with_the_weights_on_0_to_1():
    rng = np.random.default_rng(0)
    image = rng.random((4, 6, 3)).astype(np.float32)
    weights = np.array([[0.2, 0.9, 0.5], [0.0, 1.0, 0.3]], dtype=np.float32)  # 2 × 3 cells of 2 × 2 pixels
    ax = show_gate(image, weights)
    got = np.asarray(ax.images[0].get_array())
    grey = image.mean(-1, keepdims=True)
    cells = np.kron(weights, np.ones((2, 2)))  # nearest: one block per cell, values unchanged (range 0–1)
    colour = matplotlib.colormaps["inferno"](cells)[..., :3]
    want = np.clip(np.rint((0.4 * grey + 0.6 * colour) * 255), 0, 255)
    np.testing.assert_allclose(got, want, atol=1)
    assert ax.get_title() == "gate weights, range 0–1"


def test_a_half_open_gate_looks_half_open_not_stretched():
    image = np.zeros((8, 8))
    weights = np.full((4, 4), 0.25)
    weights[0, 0] = 0.5
    low = np.asarray(show_gate(image, weights).images[0].get_array())
    high = np.asarray(show_gate(image, 2 * weights).images[0].get_array())
    assert not np.array_equal(low, high)  # min–max would draw both the same
    bar = plt.gcf().axes[-1]
    assert bar.get_ylim() == pytest.approx((0.0, 1.0)) and bar.get_ylabel() == "gate weight"


def test_box_is_outlined_in_image_pixels_white_on_a_black_edge():
    ax = show_gate(np.zeros((48, 48)), np.full((12, 12), 0.5), box=(10, 20, 16, 12), title="digit", colorbar=False)
    edge, line = [p for p in ax.patches if isinstance(p, Rectangle)]  # drawn in this order: white on top
    for rect in (edge, line):
        assert rect.get_xy() == (19.5, 9.5) and (rect.get_width(), rect.get_height()) == (12, 16)
        assert not rect.get_fill()
    assert edge.get_edgecolor() == (0.0, 0.0, 0.0, 1.0) and line.get_edgecolor() == (1.0, 1.0, 1.0, 1.0)
    assert edge.get_linewidth() > line.get_linewidth()  # the black shows as a thin rim either side of the white
    assert ax.get_title() == "digit" and len(plt.gcf().axes) == 1


def test_bad_arguments_are_named():
    image, weights = np.zeros((8, 8)), np.full((4, 4), 0.5)
    with pytest.raises(ValueError, match=r"weights must be gate values in \[0, 1\]; got values in \[1.5, 1.5\]"):
        show_gate(image, weights * 3)
    with pytest.raises(ValueError, match=r"box .* = \(0, 0, 9, 2\) must lie inside the 8×8 image"):
        show_gate(image, weights, box=(0, 0, 9, 2))
    with pytest.raises(TypeError, match=r"box must be \(top, left, height, width\)"):
        show_gate(image, weights, box=3)
    with pytest.raises(TypeError, match=r"show_gate\(\) takes no normalize: .* fixed range 0–1"):
        show_gate(image, weights, normalize="minmax")
    with pytest.raises(TypeError, match=r"opacity="):
        show_gate(image, weights, alpha=0.5)
