"""Images and toy data. Everything here works offline and is seeded.

- :func:`load_image`: a real photo bundled with scikit-image, resized.
- :func:`pixel_features`: image → one feature vector per pixel (colour + position).
- :func:`toy_qkv` and :func:`kernel_regression_data`: small seeded tensors for notebooks 01–03.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from PIL import Image

from ._checks import check_hw, check_image, check_int, shape_str

__all__ = ["SAMPLE_IMAGES", "load_image", "resize_image", "pixel_features", "toy_qkv", "kernel_regression_data"]

#: Photos bundled with scikit-image (no download needed).
SAMPLE_IMAGES = ("astronaut", "chelsea", "coffee", "rocket", "camera", "coins", "immunohistochemistry")


def resize_image(image: np.ndarray, size) -> np.ndarray:
    """Resize an ``(H, W, 3)`` or ``(H, W)`` image (uint8 or float in [0, 1]) to ``size`` with PIL.

    ``size`` is ``(h, w)`` or an int (square). Returns float32 in [0, 1], shape ``(h, w, 3)`` or ``(h, w)``.
    """
    h, w = check_hw(size, "size")
    image = check_image(image)
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[-1])]
    out = [
        np.asarray(Image.fromarray(np.ascontiguousarray(c)).resize((w, h), Image.Resampling.BILINEAR))
        for c in channels
    ]
    return np.clip(out[0] if image.ndim == 2 else np.stack(out, axis=-1), 0.0, 1.0)


def load_image(name: str = "astronaut", size=None) -> np.ndarray:
    """A scikit-image sample photo as float32 RGB in [0, 1], shape ``(H, W, 3)``.

    ``name`` is one of :data:`SAMPLE_IMAGES`; ``size`` an int (square) or ``(height, width)``
    to resize to (``None`` keeps the original size). Grey photos are repeated to three channels.
    """
    import skimage.data

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"name must be one of {SAMPLE_IMAGES}; got {name!r}")
    image = getattr(skimage.data, name)().astype(np.float32) / 255.0
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    return image if size is None else resize_image(image, size)


def pixel_features(image: np.ndarray, grid, *, position_weight: float = 1.0) -> torch.Tensor:
    """Image → one 5-d feature per cell of a ``grid = (H, W)``: ``[r, g, b, y, x]``.

    The image is resized to the grid; ``y`` and ``x`` run from 0 to 1 (times ``position_weight``,
    which sets how much "being close" matters next to "having the same colour").
    Returns ``(H * W, 5)`` float32, flattened row-major (token ``n = row * W + col``).
    """
    image = check_image(image)
    if image.ndim != 3:
        raise ValueError(f"image must have shape (H, W, 3); got {shape_str(image.shape)}")
    if isinstance(position_weight, bool) or not isinstance(position_weight, Real) or not (
        math.isfinite(position_weight) and position_weight >= 0
    ):
        raise ValueError(f"position_weight must be a finite number >= 0; got {position_weight!r}")
    h, w = check_hw(grid, "grid")
    if h > image.shape[0] or w > image.shape[1]:
        raise ValueError(
            f"grid {h}×{w} is finer than the image {image.shape[0]}×{image.shape[1]}: a cell would be smaller than "
            "a pixel; use a grid no larger than the image (or a larger image)"
        )
    small = resize_image(image, (h, w))
    ys, xs = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    pos = position_weight * np.stack([ys, xs], axis=-1)
    feats = np.concatenate([small, pos], axis=-1).reshape(h * w, 5)
    return torch.from_numpy(feats.astype(np.float32))


def toy_qkv(n_queries: int = 1, n_keys: int = 6, d: int = 4, dv: int = 2, *, seed: int = 0):
    """Seeded standard-normal toy tensors ``q (Nq, d)``, ``k (Nk, d)``, ``v (Nk, dv)``."""
    for value, name in [(n_queries, "n_queries"), (n_keys, "n_keys"), (d, "d"), (dv, "dv")]:
        check_int(value, name, minimum=1)
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d, generator=g)
    k = torch.randn(n_keys, d, generator=g)
    v = torch.randn(n_keys, dv, generator=g)
    return q, k, v


def kernel_regression_data(n_train: int = 50, n_test: int = 100, *, noise: float = 0.3, seed: int = 0):
    """A 1-d regression problem for Nadaraya–Watson kernel regression.

    ``y = f(x) + noise`` with ``f(x) = sin(2x) + 0.4 x`` on ``x ∈ [0, 5]``.
    Returns ``x_train (n_train,)`` sorted, ``y_train (n_train,)``, ``x_test (n_test,)`` evenly spaced,
    ``y_test (n_test,)`` = the noise-free ``f(x_test)``.
    """
    check_int(n_train, "n_train", minimum=1)
    check_int(n_test, "n_test", minimum=1)
    if isinstance(noise, bool) or not isinstance(noise, Real) or not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    g = torch.Generator().manual_seed(seed)
    x_train = torch.sort(torch.rand(n_train, generator=g) * 5).values

    def f(x):
        return torch.sin(2 * x) + 0.4 * x

    y_train = f(x_train) + noise * torch.randn(n_train, generator=g)
    x_test = torch.linspace(0, 5, n_test)
    return x_train, y_train, x_test, f(x_test)
