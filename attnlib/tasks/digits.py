"""Cluttered digits: real handwriting on a canvas strewn with pieces of other digits.

Each seeded picture ``(1, size, size)`` holds one handwritten digit and ``n_clutter`` fragments cut
from other digits, as in the cluttered translated MNIST of Mnih et al. (2014), scaled down to run in
seconds on a CPU. The label is the digit's class (0–9); ``boxes`` say where the digit is, so a map
can be scored by how much of its weight lands on the digit.

The digits are scikit-learn's 1,797 bundled 8×8 handwritten digits (``load_digits``: no download,
values 0–16), each enlarged to 16×16 by repeating every pixel 2×2.

**Train/test split by source digit.** A fixed partition (seed :data:`SPLIT_SEED`, independent of the
``seed`` you pass) puts a quarter of each class's source digits in ``"test"`` and the rest in
``"train"``. A picture of split ``s`` takes its digit *and* its clutter only from split ``s``, so no
test digit (not even a piece of one) is ever seen in training, whatever seeds you use.

- :func:`make_cluttered_digits`: the seeded pictures, labels and digit boxes.
- :func:`digit_sources`: which of the 1,797 source digits belong to a split.
- :func:`box_mask`: boxes → a boolean mask per picture, True inside the box.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch

from .._checks import check_int

__all__ = [
    "DIGIT_SIZE",
    "FRAGMENT_SIZE",
    "SPLIT_SEED",
    "TEST_SHARE",
    "Digits",
    "digit_sources",
    "make_cluttered_digits",
    "box_mask",
]

#: A digit's side on the canvas: the 8×8 source with each pixel repeated 2×2.
DIGIT_SIZE = 16
#: A clutter fragment's side (a 3×3 patch of source pixels, cut from an enlarged digit).
FRAGMENT_SIZE = 6
#: The seed of the fixed train/test partition of the source digits.
SPLIT_SEED = 2014
#: The share of each class's source digits held out for ``split="test"``.
TEST_SHARE = 0.25
#: A fragment is cut where the source digit's ink averages at least this much (0–1), so it is never blank.
_MIN_FRAGMENT_INK = 0.25
_SPLITS = ("train", "test")


class Digits(NamedTuple):
    """A batch of cluttered digits.

    images ``(n, 1, size, size)`` float32 in [0, 1] (0 = background); labels ``(n,)`` long, the
    digit's class 0–9; boxes ``(n, 4)`` long = ``(top, left, height, width)`` in pixels: the
    smallest box that holds all of the digit's ink.
    """

    images: torch.Tensor
    labels: torch.Tensor
    boxes: torch.Tensor


@lru_cache(maxsize=1)
def _source_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits enlarged: ``(1797, 16, 16)`` float32 in [0, 1] and their classes ``(1797,)``."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: read from disk, never downloaded

    data = load_digits()
    small = data.images.astype(np.float32) / 16.0  # (1797, 8, 8), values 0–16 → [0, 1]
    big = small.repeat(2, axis=1).repeat(2, axis=2)  # each pixel → a 2×2 block
    big.flags.writeable = False
    return big, data.target.astype(np.int64)


def _check_split(split) -> str:
    if not isinstance(split, str):
        raise TypeError(f"split must be 'train' or 'test'; got {type(split).__name__} {split!r}")
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    return split


@lru_cache(maxsize=2)
def _split_indices(split: str) -> np.ndarray:
    _, classes = _source_digits()
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for k in range(10):  # per class, so both splits hold every digit in the same proportions
        members = rng.permutation(np.flatnonzero(classes == k))
        n_test = round(TEST_SHARE * len(members))
        chosen.append(members[:n_test] if split == "test" else members[n_test:])
    indices = np.sort(np.concatenate(chosen))
    indices.flags.writeable = False
    return indices


def digit_sources(split: str = "train") -> torch.Tensor:
    """The indices (into scikit-learn's ``load_digits()``, sorted) of the source digits of ``split``: ``(m,)`` long.

    ``"train"`` holds 1,347 digits and ``"test"`` 450; the two never share a digit.
    """
    return torch.from_numpy(_split_indices(_check_split(split)).copy())


def _fragment_corners(digits: np.ndarray) -> list[np.ndarray]:
    """Per digit ``(m, 16, 16)``, the flat indices of the FRAGMENT_SIZE windows with enough ink to be clutter."""
    f = FRAGMENT_SIZE
    padded = np.pad(digits, ((0, 0), (1, 0), (1, 0))).cumsum(1).cumsum(2)  # summed-area table
    sums = padded[:, f:, f:] - padded[:, :-f, f:] - padded[:, f:, :-f] + padded[:, :-f, :-f]  # (m, 11, 11)
    return [np.flatnonzero(s >= _MIN_FRAGMENT_INK * f * f) for s in sums]


def _outside(top: int, left: int, size: int) -> np.ndarray:
    """Flat indices of the fragment corners on a ``size`` canvas whose fragment misses the digit's square."""
    f, d = FRAGMENT_SIZE, DIGIT_SIZE
    corners = np.arange(size - f + 1)
    rows_clear = (corners + f <= top) | (corners >= top + d)
    cols_clear = (corners + f <= left) | (corners >= left + d)
    return np.flatnonzero(rows_clear[:, None] | cols_clear[None, :])


def make_cluttered_digits(
    n: int, *, size: int = 48, n_clutter: int = 8, seed: int = 0, split: str = "train"
) -> Digits:
    """``n`` seeded pictures of one handwritten digit among ``n_clutter`` fragments of others; see :class:`Digits`.

    For each picture: a source digit of ``split`` drawn uniformly (with replacement), placed as a
    16×16 square at a uniform position; then ``n_clutter`` fragments (6×6 pieces with ink, each cut
    from another source digit of the same split, at a uniform position that does not touch the digit's
    square; fragments may overlap each other and are combined by their maximum). The digit's draws and
    the clutter's come from two separate seeded streams, so ``n_clutter=0`` gives the same digits at the
    same places as any other ``n_clutter``. Same arguments → the same bytes.
    """
    n = check_int(n, "n", minimum=1, what=" (the number of pictures)")
    n_clutter = check_int(n_clutter, "n_clutter", minimum=0, what=" (fragments per picture)")
    room = DIGIT_SIZE + (FRAGMENT_SIZE if n_clutter else 0)
    beside = " and a fragment beside it" if n_clutter else ""
    fits = f" (the canvas side: a {DIGIT_SIZE}-pixel digit{beside} must fit)"
    size = check_int(size, "size", minimum=room, what=fits)
    seed = check_int(seed, "seed", minimum=0)
    split = _check_split(split)
    digits, classes = _source_digits()
    pool = _split_indices(split)
    digit_rng, clutter_rng = np.random.default_rng([seed, 0]), np.random.default_rng([seed, 1])
    picks = digit_rng.integers(len(pool), size=n)  # positions in the pool
    corners = digit_rng.integers(size - DIGIT_SIZE + 1, size=(n, 2))
    windows = _fragment_corners(digits[pool]) if n_clutter else []
    span = DIGIT_SIZE - FRAGMENT_SIZE + 1  # fragment corners per row of a source digit
    f = FRAGMENT_SIZE
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    boxes = np.zeros((n, 4), dtype=np.int64)
    for i, (pick, (top, left)) in enumerate(zip(picks, corners, strict=True)):
        canvas = images[i, 0]
        free = _outside(top, left, size) if n_clutter else None
        for _ in range(n_clutter):
            other = clutter_rng.integers(len(pool) - 1)
            other += other >= pick  # any source digit of the split except this picture's own
            r, c = divmod(int(windows[other][clutter_rng.integers(len(windows[other]))]), span)
            y, x = divmod(int(free[clutter_rng.integers(len(free))]), size - f + 1)
            piece = digits[pool[other], r : r + f, c : c + f]
            np.maximum(canvas[y : y + f, x : x + f], piece, out=canvas[y : y + f, x : x + f])
        digit = digits[pool[pick]]
        canvas[top : top + DIGIT_SIZE, left : left + DIGIT_SIZE] = digit
        rows, cols = np.flatnonzero(digit.any(1)), np.flatnonzero(digit.any(0))
        boxes[i] = (top + rows[0], left + cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    labels = classes[pool[picks]]
    return Digits(torch.from_numpy(images), torch.from_numpy(labels), torch.from_numpy(boxes))


def box_mask(boxes: torch.Tensor, size: int = 48) -> torch.Tensor:
    """Boxes ``(n, 4)`` = ``(top, left, height, width)`` in pixels → ``(n, size, size)`` bool, True inside each box."""
    if not isinstance(boxes, torch.Tensor) or boxes.dim() != 2 or boxes.shape[1] != 4:
        got = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
        raise ValueError(f"boxes must be a tensor of shape (n, 4) = (top, left, height, width); got {got}")
    size = check_int(size, "size", minimum=1)
    pixels = torch.arange(size)
    top, left, height, width = boxes.T[:, :, None]  # each (n, 1)
    rows = (pixels >= top) & (pixels < top + height)  # (n, size)
    cols = (pixels >= left) & (pixels < left + width)  # (n, size)
    return rows[:, :, None] & cols[:, None, :]
