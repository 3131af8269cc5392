"""The cluttered-digits task, checked against scikit-learn's digits enlarged here by hand."""

import hashlib

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.datasets import load_digits

from attnlib import DIGIT_SIZE, digit_sources, fit, make_cluttered_digits, pixel_accuracy


@pytest.fixture(scope="module")
def sources():
    """load_digits enlarged by repeating each pixel 2×2, in [0, 1]: (1797, 16, 16), and the classes."""
    data = load_digits()
    big = np.kron(data.images / 16.0, np.ones((2, 2))).astype(np.float32)
    return big, data.target


def _tight(a: np.ndarray) -> np.ndarray:
    rows, cols = np.flatnonzero(a.any(1)), np.flatnonzero(a.any(0))
    return a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


@pytest.fixture(scope="module")
def crop_to_source(sources):
    """Tight ink crop (as bytes) → the source indices with that crop."""
    table = {}
    for i, digit in enumerate(sources[0]):
        crop = _tight(digit)
        table.setdefault((crop.shape, crop.tobytes()), []).append(i)
    return table


def _matched_sources(data, crop_to_source):
    """For digit-only pictures, the source digits whose ink is what each box holds."""
    found = []
    for image, (top, left, h, w) in zip(data.images[:, 0].numpy(), data.boxes.tolist(), strict=True):
        crop = image[top : top + h, left : left + w]
        found.append(crop_to_source[(crop.shape, crop.tobytes())])
    return found


def test_shapes_dtypes_and_range():
    data = make_cluttered_digits(50, seed=3)
    assert data.images.shape == (50, 1, 48, 48) and data.images.dtype == torch.float32
    assert data.labels.shape == (50,) and data.labels.dtype == torch.long
    assert data.boxes.shape == (50, 4) and data.boxes.dtype == torch.long
    assert data.images.min() >= 0 and data.images.max() <= 1
    assert set(data.labels.tolist()) <= set(range(10))
    top, left, h, w = data.boxes.T
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= 48).all() and (left + w <= 48).all()
    assert (h <= DIGIT_SIZE).all() and (w <= DIGIT_SIZE).all() and (h >= 1).all() and (w >= 1).all()
    small = make_cluttered_digits(3, size=32, n_clutter=2)
    assert small.images.shape == (3, 1, 32, 32)


def test_box_holds_exactly_the_pasted_source_digit(sources, crop_to_source):
    plain = make_cluttered_digits(200, n_clutter=0, seed=5)
    cluttered = make_cluttered_digits(200, seed=5)
    assert torch.equal(plain.boxes, cluttered.boxes) and torch.equal(plain.labels, cluttered.labels)
    matched = _matched_sources(plain, crop_to_source)
    big, classes = sources
    for i, (top, left, h, w) in enumerate(plain.boxes.tolist()):
        image = plain.images[i, 0].numpy()
        outside = image.copy()
        outside[top : top + h, left : left + w] = 0
        assert not outside.any()  # all the digit's ink is inside its box
        crop = image[top : top + h, left : left + w]
        assert crop[0].any() and crop[-1].any() and crop[:, 0].any() and crop[:, -1].any()  # and the box is tight
        assert {int(classes[j]) for j in matched[i]} == {int(plain.labels[i])}
        # clutter is added around the digit, never on it, and only adds ink (maximum)
        box = (i, 0, slice(top, top + h), slice(left, left + w))
        assert torch.equal(cluttered.images[box], plain.images[box])
    assert (cluttered.images >= plain.images).all()
    assert (cluttered.images > plain.images).flatten(1).any(1).all()  # every picture has clutter


def test_seeds_reproduce_byte_for_byte():
    a = make_cluttered_digits(64, seed=7)
    b = make_cluttered_digits(64, seed=7)
    for x, y in zip(a, b, strict=True):
        assert x.numpy().tobytes() == y.numpy().tobytes()
    assert not torch.equal(make_cluttered_digits(64, seed=8).images, a.images)
    # numpy's PCG64 and float32 k/16 values are the same on every platform: pin the bytes
    digest = hashlib.sha256(b"".join(t.numpy().tobytes() for t in a)).hexdigest()
    assert digest == PINNED_SHA256


PINNED_SHA256 = "f43cdafdc9418618e220fddf65cb041b5518200943be242d3626eb605da6c918"


def test_train_and_test_digits_are_disjoint(crop_to_source):
    train = make_cluttered_digits(3000, n_clutter=0, seed=1)
    test = make_cluttered_digits(1000, n_clutter=0, seed=1, split="test")
    seen = {j for js in _matched_sources(train, crop_to_source) for j in js}
    held_out = {j for js in _matched_sources(test, crop_to_source) for j in js}
    assert not seen & held_out
    assert len(seen) > 1200 and len(held_out) > 400  # most of each split is drawn
    assert held_out <= set(digit_sources("test").tolist())
    assert seen <= set(digit_sources("train").tolist())


def test_split_partition(sources):
    _, classes = sources
    train, test = digit_sources("train").numpy(), digit_sources("test").numpy()
    assert len(train) + len(test) == 1797 and not set(train) & set(test)
    per_class = np.bincount(classes[test], minlength=10) / np.bincount(classes, minlength=10)
    assert np.allclose(per_class, 0.25, atol=0.01)  # a quarter of every class is held out
    assert torch.equal(digit_sources(), digit_sources("train"))


def test_clutter_comes_from_the_same_split(sources):
    """With one fragment per picture, its ink must be a piece of some digit of that split."""
    big, _ = sources
    test_digits = big[digit_sources("test").numpy()]
    data = make_cluttered_digits(20, n_clutter=1, seed=4, split="test")
    for image, (top, left, h, w) in zip(data.images[:, 0].numpy(), data.boxes.tolist(), strict=True):
        piece = image.copy()
        piece[top : top + h, left : left + w] = 0
        piece = _tight(piece)
        assert piece.shape[0] <= 6 and piece.shape[1] <= 6
        windows = sliding_window_view(test_digits, piece.shape, axis=(1, 2))  # (m, ·, ·, h, w)
        assert (windows == piece).all(axis=(-2, -1)).any()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, r"n must be an int 1 <= n .*got 0"),
        ({"n": 2.0}, TypeError, r"n must be an int .*got float"),
        ({"n": 2, "size": 20}, ValueError, r"size must be an int 22 <= size .*got 20"),
        ({"n": 2, "n_clutter": -1}, ValueError, r"n_clutter must be an int 0 <= n_clutter"),
        ({"n": 2, "seed": -3}, ValueError, r"seed must be an int 0 <= seed"),
        ({"n": 2, "seed": "a"}, TypeError, r"seed must be an int; got str"),
        ({"n": 2, "split": "val"}, ValueError, r"split must be 'train' or 'test'; got 'val'"),
        ({"n": 2, "split": 1}, TypeError, r"split must be 'train' or 'test'; got int 1"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_cluttered_digits(**kwargs)


def test_a_digit_alone_fits_a_16_pixel_canvas():
    data = make_cluttered_digits(4, size=16, n_clutter=0)
    assert data.images.shape == (4, 1, 16, 16)
    with pytest.raises(TypeError, match="split must be"):
        digit_sources(None)


def test_fit_trains_a_classifier_on_one_label_per_picture():
    data = make_cluttered_digits(60, n_clutter=0, seed=2)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48 * 48, 10))
        model = _Pair(net)
        history = fit(model, data.images, data.labels, epochs=2, batch_size=16, progress=False)
        runs.append((model, history))
    assert runs[0][1] == runs[1][1] and len(runs[0][1]["loss"]) == 8
    with torch.no_grad():
        pred = runs[0][0](data.images)[0].argmax(1)
    want = float((pred == data.labels).float().mean())
    assert pixel_accuracy(runs[0][0], data.images, data.labels, batch_size=7) == pytest.approx(want)
    with pytest.raises(ValueError, match=r"labels must have shape \(60, 48, 48\) .* or \(60,\)"):
        fit(model, data.images, data.labels[:30], progress=False)


class _Pair(torch.nn.Module):
    """fit's model contract: forward returns (logits, anything)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, images):
        return self.net(images), None


def test_box_mask_marks_exactly_the_box():
    from attnlib import box_mask

    boxes = torch.tensor([[1, 2, 3, 4], [0, 0, 6, 6]])
    masks = box_mask(boxes, size=6)
    want = np.zeros((2, 6, 6), dtype=bool)
    want[0, 1:4, 2:6] = True
    want[1] = True
    np.testing.assert_array_equal(masks.numpy(), want)
    data = make_cluttered_digits(20, n_clutter=0, seed=9)
    ink = data.images[:, 0] > 0
    assert (ink & ~box_mask(data.boxes)).sum() == 0  # all the ink is in the box
    with pytest.raises(ValueError, match=r"boxes must be a tensor of shape \(n, 4\)"):
        box_mask(torch.zeros(3))
