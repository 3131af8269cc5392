"""Images and toy data: shapes, ranges, determinism, row-major feature order, errors."""

import numpy as np
import pytest
import torch

from attnlib import SAMPLE_IMAGES, kernel_regression_data, load_image, pixel_features, resize_image, toy_qkv


@pytest.mark.parametrize("name", SAMPLE_IMAGES)
def test_every_sample_image_loads_offline_as_float_rgb(name):
    image = load_image(name, size=(24, 32))
    assert image.shape == (24, 32, 3)
    assert image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_load_image_original_size_and_bad_names():
    assert load_image("chelsea").shape == (300, 451, 3)
    with pytest.raises(ValueError, match=r"name must be one of .*'astronaut'.*got 'lena'"):
        load_image("lena")
    with pytest.raises(ValueError, match=r"size must be a \(H, W\) pair of positive ints, or one int.*\(0, 4\)"):
        load_image("coffee", size=(0, 4))


def test_resize_keeps_a_constant_image_constant():
    out = resize_image(np.full((10, 20, 3), 0.25, dtype=np.float32), (5, 7))
    assert out.shape == (5, 7, 3)
    np.testing.assert_allclose(out, 0.25, atol=1e-6)
    with pytest.raises(ValueError, match=r"image must have shape \(H, W\) \(grey\) or \(H, W, 3\) \(RGB\); got \(4,\)"):
        resize_image(np.zeros(4), 3)


def test_pixel_features_are_row_major_colour_then_position():
    image = np.zeros((2, 3, 3), dtype=np.float32)
    image[1, 2] = [1.0, 0.5, 0.0]  # bottom-right pixel
    feats = pixel_features(image, (2, 3), position_weight=2.0)
    assert feats.shape == (6, 5) and feats.dtype == torch.float32
    n = 1 * 3 + 2  # token n = row * W + col
    torch.testing.assert_close(feats[n], torch.tensor([1.0, 0.5, 0.0, 2.0, 2.0]))
    torch.testing.assert_close(feats[1, 3:], torch.tensor([0.0, 1.0]))  # row 0, col 1: y = 0, x = 0.5·2


def test_pixel_features_accept_uint8_and_reject_grey():
    image = np.full((4, 4, 3), 255, dtype=np.uint8)
    assert torch.allclose(pixel_features(image, 2)[:, :3], torch.ones(4, 3))
    with pytest.raises(ValueError, match=r"image must have shape \(H, W, 3\); got \(4, 4\)"):
        pixel_features(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="grid must be"):
        pixel_features(image, (2, -1))


def test_toy_data_is_seeded():
    a, b = toy_qkv(2, 5, 4, 3, seed=1), toy_qkv(2, 5, 4, 3, seed=1)
    assert [t.shape for t in a] == [(2, 4), (5, 4), (5, 3)]
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(toy_qkv(seed=2)[0], toy_qkv(seed=3)[0])


def test_kernel_regression_data():
    x_train, y_train, x_test, y_test = kernel_regression_data(40, 30, seed=0)
    assert x_train.shape == y_train.shape == (40,) and x_test.shape == y_test.shape == (30,)
    assert torch.all(x_train[1:] >= x_train[:-1])
    torch.testing.assert_close(y_test, torch.sin(2 * x_test) + 0.4 * x_test)


def test_images_in_the_wrong_range_are_refused_not_whitened():
    uint8 = np.full((4, 4, 3), 128, dtype=np.uint8)
    np.testing.assert_allclose(resize_image(uint8, 2), 128 / 255, atol=1e-6)  # uint8 is read as 0–255
    with pytest.raises(ValueError, match=r"float image must hold values in \[0, 1\]; got values in \[0, 255\]"):
        resize_image(np.linspace(0, 255, 48, dtype=np.float32).reshape(4, 4, 3), 2)
    with pytest.raises(ValueError, match=r"image contains 48 NaN/inf value"):
        pixel_features(np.full((4, 4, 3), np.nan, dtype=np.float32), 2)
    with pytest.raises(ValueError, match=r"position_weight must be a finite number >= 0; got 'far'"):
        pixel_features(uint8, 2, position_weight="far")


def test_toy_data_sizes_are_checked():
    with pytest.raises(ValueError, match=r"d must be an int 1 <= d; got -1"):
        toy_qkv(d=-1)
    with pytest.raises(ValueError, match=r"n_train must be an int 1 <= n_train; got 0"):
        kernel_regression_data(0)


def test_pixel_features_refuses_a_grid_finer_than_the_image():
    image = load_image("astronaut", 16)
    with pytest.raises(ValueError, match=r"grid 32×32 is finer than the image 16×16"):
        pixel_features(image, 32)
    assert pixel_features(image, 16).shape == (256, 5)  # one cell per pixel is fine
