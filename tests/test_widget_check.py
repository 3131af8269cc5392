"""Notebook 00's widget_check() (the slider test); its exercise checker is tested in test_exercises_nb00.py.

The widget's weights are compared with a softmax written out here with math.exp over a hand-built
score grid; its picture is decoded from the bytes the browser would receive."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest
from PIL import Image

from attnlib import widget_check

QUERY, PARTNER = (5, 4), (11, 12)
CYAN = [0, 255, 255]


def direct_weights(temperature: float) -> list[list[float]]:
    """The toy map by hand: score = max(-d²/8 to the query, -d²/8 - 1 to the partner), then exp(s/T) / Σ."""
    scores = [
        [
            max(
                -((r - QUERY[0]) ** 2 + (c - QUERY[1]) ** 2) / 8,
                -((r - PARTNER[0]) ** 2 + (c - PARTNER[1]) ** 2) / 8 - 1,
            )
            for c in range(16)
        ]
        for r in range(16)
    ]
    exps = [[math.exp(s / temperature) for s in row] for row in scores]
    total = sum(sum(row) for row in exps)
    return [[e / total for e in row] for row in exps]


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("temperature", [0.1, 1.0, 4.0])
def test_weights_and_readout_match_a_direct_softmax(temperature):
    check = widget_check(temperature)
    want = direct_weights(temperature)
    np.testing.assert_allclose(check.weights.double().numpy(), np.array(want), rtol=1e-5, atol=1e-7)
    top = max(max(row) for row in want)
    assert check.readout.value == f"T = {temperature:.1f}: query cell (5, 4), largest weight {top:.3f}"


def test_max_weight_at_low_and_high_temperature():
    low, high = widget_check(0.1), widget_check(4.0)
    want_low = max(max(row) for row in direct_weights(0.1))
    want_high = max(max(row) for row in direct_weights(4.0))
    assert low.weights.max().item() == pytest.approx(want_low, rel=1e-5)
    assert high.weights.max().item() == pytest.approx(want_high, rel=1e-5)
    # the numbers notebook 00 quotes: 0.397 at T = 0.1 (the query cell itself), below 0.01 at T = 4
    assert round(want_low, 3) == 0.397 and want_high < 0.01
    weights = direct_weights(0.1)
    (r, c) = QUERY
    cross = weights[r][c] + weights[r - 1][c] + weights[r + 1][c] + weights[r][c - 1] + weights[r][c + 1]
    assert round(100 * cross) == 85  # "it and its four neighbours hold 85 %"
    assert low.weights.argmax().item() == QUERY[0] * 16 + QUERY[1]  # row-major token of the query cell


def test_moving_the_slider_updates_picture_and_caption():
    check = widget_check(size=64)
    before_picture, before_bytes = check.picture.copy(), check.image_widget.value
    check.slider.value = 0.3
    assert "T = 0.3" in check.readout.value
    assert check.image_widget.value != before_bytes
    assert not np.array_equal(check.picture, before_picture)
    np.testing.assert_array_equal(decode(check.image_widget.value), check.picture)
    np.testing.assert_allclose(check.weights.double().numpy(), np.array(direct_weights(0.3)), rtol=1e-5, atol=1e-7)


def test_picture_marks_the_query_and_is_brightest_there():
    check = widget_check(0.1, size=64)  # 4 px per cell: the query cell (5, 4) is centred at pixel (x, y) = (18, 22)
    assert check.picture.shape == (64, 64, 3) and check.picture.dtype == np.uint8
    assert check.picture[22, 18].tolist() == CYAN
    big = widget_check(0.1).picture  # 256 px: 16 px per cell, the query cell centred at (x, y) = (72, 88)
    assert big[88, 67:78].tolist() == [CYAN] * 11 and big[83:94, 72].tolist() == [CYAN] * 11  # a cross ±5 px
    assert all(big[88 + dy, 72 + dx].tolist() == [0, 0, 0] for dx, dy in [(-3, -4), (4, -3), (3, 4), (-4, 3)])  # ring
    assert big[86, 70].tolist() not in ([0, 0, 0], CYAN)  # inside the ring: the query cell shows
    far_corner = check.picture[60, 0].astype(int).sum()  # cell (15, 0): almost no weight at T = 0.1
    next_to_query = check.picture[26, 22].astype(int).sum()  # cell (6, 5), diagonal to the query, off the cross
    assert next_to_query > far_corner + 50


def test_static_fallback_is_deterministic_text_and_the_current_png():
    check = widget_check()
    bundle = check._repr_mimebundle_()
    assert bundle["text/plain"] == "Widget check · T = 1.0: query cell (5, 4), largest weight 0.030"
    assert widget_check()._repr_mimebundle_()["text/plain"] == bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    np.testing.assert_array_equal(decode(base64.b64decode(bundle["image/png"])), check.picture)


@pytest.mark.parametrize(("bad", "error"), [(0.0, ValueError), (0.05, ValueError), (4.5, ValueError),
                                            (True, TypeError), ("1", TypeError)])
def test_rejects_temperature_outside_the_slider(bad, error):
    with pytest.raises(error, match="temperature"):
        widget_check(bad)


@pytest.mark.parametrize(("bad", "error"), [(8, ValueError), (64.0, TypeError), (True, TypeError)])
def test_rejects_bad_size(bad, error):
    with pytest.raises(error, match="size"):
        widget_check(size=bad)


def test_high_temperature_looks_dark_on_the_shared_colour_range():
    # one colour range for every frame: a spread-thin map (T = 4) must not look as bright as a sharp one (T = 0.1)
    brightest = []
    for t in (0.1, 4.0):
        picture = widget_check(t, size=256).picture.reshape(-1, 3)
        map_pixels = [p for p in picture.tolist() if p not in (CYAN, [0, 0, 0])]  # the marker's pixels left out
        brightest.append(max(sum(p) for p in map_pixels))
    assert brightest[1] < brightest[0] - 200, brightest
