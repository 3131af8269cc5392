"""glimpse and glimpse_boxes against patches cut by hand at known places."""

import numpy as np
import pytest
import torch

from attnlib import glimpse, glimpse_boxes


def numbered(h, w, channels=1):
    """An image whose pixel (r, c) of channel k holds 1000·k + 100·r + c + 1, so 0 means 'outside'."""
    r, c = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    planes = [1000 * k + 100 * r + c + 1 for k in range(channels)]
    return np.stack(planes).astype(np.float32)


def cut(image, top, left, side):
    """The patch by hand: a (C, side, side) window starting at (top, left), zeros outside the image."""
    out = np.zeros((image.shape[0], side, side), dtype=np.float32)
    for i in range(side):
        for j in range(side):
            r, c = top + i, left + j
            if 0 <= r < image.shape[1] and 0 <= c < image.shape[2]:
                out[:, i, j] = image[:, r, c]
    return out


def pool(patch, k):
    c, n, _ = patch.shape
    return patch.reshape(c, n // k, k, n // k, k).mean(axis=(2, 4))


def run(image, location, size, scales=1):
    images = torch.from_numpy(image)[None]
    return glimpse(images, torch.tensor([location], dtype=torch.float32), size, scales=scales)[0].numpy()


def test_centre_of_a_square_image():
    image = numbered(48, 48)
    got = run(image, (0.0, 0.0), 8)
    assert got.shape == (1, 1, 8, 8)
    np.testing.assert_array_equal(got[0], image[:, 20:28, 20:28])  # centre pixel edge 24, 24 ± 4


def test_corners_are_half_outside():
    image = numbered(48, 48)
    top_left = run(image, (-1.0, -1.0), 8)[0, 0]
    assert (top_left[:4, :] == 0).all() and (top_left[:, :4] == 0).all()
    np.testing.assert_array_equal(top_left[4:, 4:], image[0, :4, :4])
    bottom_right = run(image, (1.0, 1.0), 8)[0, 0]
    np.testing.assert_array_equal(bottom_right[:4, :4], image[0, 44:, 44:])
    assert bottom_right[4:, :].sum() == 0 and bottom_right[:, 4:].sum() == 0
    top_right = run(image, (-1.0, 1.0), 8)[0, 0]
    np.testing.assert_array_equal(top_right[4:, :4], image[0, :4, 44:])


def test_partly_outside_and_off_grid():
    image = numbered(48, 48)
    # row: (−0.9 + 1)/2·48 = 2.4 → top = round(2.4 − 4) = −2; col: (0.3 + 1)/2·48 = 31.2 → left = round(27.2) = 27
    got = run(image, (-0.9, 0.3), 8)
    np.testing.assert_array_equal(got[0], cut(image, -2, 27, 8))
    assert (got[0, 0, :2] == 0).all() and (got[0, 0, 2:] > 0).all()


def test_several_scales_are_pooled_to_the_same_size():
    image = numbered(48, 48, channels=2)
    got = run(image, (0.25, -0.5), 4, scales=3)  # centre (30, 12)
    assert got.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(got[0], cut(image, 28, 10, 4))
    np.testing.assert_allclose(got[1], pool(cut(image, 26, 8, 8), 2))
    np.testing.assert_allclose(got[2], pool(cut(image, 22, 4, 16), 4))


def test_non_square_image_scales_rows_by_height_and_cols_by_width():
    image = numbered(20, 30)
    got = run(image, (0.5, -0.5), 4)  # centre row 0.75·20 = 15, col 0.25·30 = 7.5 → left round(5.5) = 6
    np.testing.assert_array_equal(got[0], cut(image, 13, 6, 4))
    boxes = glimpse_boxes(torch.tensor([[0.5, -0.5]]), (20, 30), 4, scales=2)
    assert boxes.tolist() == [[[13, 6, 4, 4], [11, 4, 8, 8]]]


def test_batch_rows_are_independent_and_images_get_gradients():
    image = torch.from_numpy(numbered(16, 16, channels=3))
    images = torch.stack([image, image * 2]).requires_grad_()
    locations = torch.tensor([[0.0, 0.0], [-1.0, 1.0]])
    got = glimpse(images, locations, 4, scales=2)
    torch.testing.assert_close(got[1], glimpse(images[1:].detach(), locations[1:], 4, scales=2)[0])
    got.sum().backward()
    assert images.grad[0, 0, 8, 8] == 1 + 1 / 4  # inside the 4×4 patch (weight 1) and the pooled 8×8 (1/4)


def test_boxes_match_what_glimpse_reads():
    image = numbered(32, 32)
    boxes = glimpse_boxes(torch.tensor([[0.1, -0.7]]), 32, 6, scales=2)
    top, left, height, width = boxes[0, 1].tolist()
    assert height == width == 12
    np.testing.assert_allclose(run(image, (0.1, -0.7), 6, scales=2)[1], pool(cut(image, top, left, 12), 2))


def test_locations_outside_the_square_are_refused():
    images = torch.zeros(1, 1, 28, 28)
    with pytest.raises(ValueError, match=r"in \[-1, 1\].*normalised"):
        glimpse(images, torch.tensor([[14.0, 20.0]]), 8)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        glimpse(images, torch.tensor([[0.0, 1.01]]), 8)
    glimpse(images, torch.tensor([[1.0, -1.0]]), 8)  # the edges themselves are fine


@pytest.mark.parametrize(
    ("images", "locations", "size", "scales", "error", "match"),
    [
        (np.zeros((1, 1, 8, 8)), torch.zeros(1, 2), 4, 1, TypeError, "images must be a torch.Tensor"),
        (torch.zeros(1, 8, 8), torch.zeros(1, 2), 4, 1, ValueError, r"images must have shape \(B, C, H, W\)"),
        (torch.zeros(1, 1, 8, 8, dtype=torch.long), torch.zeros(1, 2), 4, 1, TypeError, "floating-point"),
        (torch.zeros(2, 1, 8, 8), torch.zeros(1, 2), 4, 1, ValueError, r"locations must have shape \(2, 2\)"),
        (torch.zeros(1, 1, 8, 8), torch.zeros(1, 3), 4, 1, ValueError, "locations must have shape"),
        (torch.zeros(1, 1, 8, 8), torch.tensor([[float("nan"), 0]]), 4, 1, ValueError, "NaN"),
        (torch.zeros(1, 1, 8, 8), torch.zeros(1, 2), 0, 1, ValueError, "size must be an int 1 <= size"),
        (torch.zeros(1, 1, 8, 8), torch.zeros(1, 2), 4.0, 1, TypeError, "size must be an int"),
        (torch.zeros(1, 1, 8, 8), torch.zeros(1, 2), 4, 0, ValueError, "scales must be an int 1 <= scales"),
    ],
)
def test_bad_arguments_are_named(images, locations, size, scales, error, match):
    with pytest.raises(error, match=match):
        glimpse(images, locations, size, scales=scales)
