"""Argument checks shared by attnlib's public functions.

Every message names the argument, what it got and what it expects, so a learner
can fix the call without reading a traceback into torch's internals.
"""

from __future__ import annotations

import math
import operator
from numbers import Integral, Real

import numpy as np
import torch


def shape_str(shape) -> str:
    return str(tuple(int(s) for s in shape))


def check_float_tensor(x, name: str, want: str, min_dim: int = 2) -> None:
    """`x` must be a floating-point tensor with at least `min_dim` dims; `want` is the shape we document."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {want}; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (e.g. torch.float32) of shape {want}; got dtype {x.dtype}"
        )
    if x.dim() < min_dim:
        raise ValueError(f"{name} must have shape {want} (at least {min_dim} dims); got shape {shape_str(x.shape)}")


def check_batch_dims(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """The leading (batch/head) dims of two tensors must broadcast."""
    try:
        torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch/head) dims of {a_name} {shape_str(a.shape)} and {b_name} "
            f"{shape_str(b.shape)} do not broadcast: {shape_str(a.shape[:-2])} vs {shape_str(b.shape[:-2])}"
        ) from None


def check_no_nan(x: torch.Tensor, name: str) -> None:
    if torch.isnan(x).any():
        n = int(torch.isnan(x).sum())
        raise ValueError(f"{name} contains {n} NaN value(s); attention weights would be meaningless")


def check_finite(x: torch.Tensor, name: str) -> None:
    """No NaN and no ±inf: an input with them can only give a meaningless map."""
    check_no_nan(x, name)
    if torch.isinf(x).any():
        raise ValueError(f"{name} contains {int(torch.isinf(x).sum())} infinite value(s)")


def check_same_dtype(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{a_name} and {b_name} must have the same dtype; got {a.dtype} and {b.dtype}")


def check_positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__}")
    value = float(value)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive, finite number; got {value}")
    return value


def check_mask(mask, scores: torch.Tensor) -> None:
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor of dtype torch.bool; got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must have dtype torch.bool (True = key may be attended); got {mask.dtype}")
    try:
        shape = torch.broadcast_shapes(mask.shape, scores.shape)
    except RuntimeError:
        shape = None
    if shape != scores.shape:
        raise ValueError(
            f"mask of shape {shape_str(mask.shape)} does not broadcast to the scores' shape "
            f"{shape_str(scores.shape)} (..., Nq, Nk)"
        )


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None, what: str = "") -> int:
    """The one integer check: ``value`` must be an int (numpy ints too; not a bool) in ``[minimum, maximum]``.

    Wrong type → TypeError, wrong value → ValueError; ``what`` says what the number counts, e.g.
    ``" (a number of channels)"``. Returns it as a Python int.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int{what}; got {type(value).__name__} {value!r}")
    value = int(value)
    low = "" if minimum is None else f"{minimum} <= "
    high = "" if maximum is None else f" <= {maximum}"
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int {low}{name}{high}{what}; got {value}")
    return value


def check_hw(value, name: str) -> tuple[int, int]:
    """A size or grid: a positive int (square) or a ``(height, width)`` pair of positive ints → ``(h, w)``."""
    pair = (value, value) if not isinstance(value, tuple | list) else value
    try:
        if len(pair) != 2 or any(isinstance(v, bool) for v in pair):
            raise TypeError
        h, w = operator.index(pair[0]), operator.index(pair[1])  # ints, numpy ints, 0-d int tensors
    except TypeError:
        h = w = 0
    if h < 1 or w < 1:
        raise ValueError(f"{name} must be a (H, W) pair of positive ints, or one int for a square; got {value!r}")
    return h, w


def check_image(image, name: str = "image") -> np.ndarray:
    """An ``(H, W)`` or ``(H, W, 3)`` image, uint8 0–255 or float 0–1 → float32 array in [0, 1], same shape."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    image = np.asarray(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3)) or 0 in image.shape:
        raise ValueError(f"{name} must have shape (H, W) (grey) or (H, W, 3) (RGB); got {shape_str(image.shape)}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"{name} must be uint8 (0–255) or float (0–1); got dtype {image.dtype}")
    image = image.astype(np.float32)
    if not np.isfinite(image).all():
        raise ValueError(f"{name} contains {int((~np.isfinite(image)).sum())} NaN/inf value(s)")
    if image.min() < -1e-6 or image.max() > 1 + 1e-6:
        raise ValueError(
            f"a float {name} must hold values in [0, 1]; got values in [{image.min():.3g}, {image.max():.3g}] "
            "(divide a 0–255 image by 255, or pass it as uint8)"
        )
    return image.clip(0.0, 1.0)


def check_grid(grid, name: str = "grid") -> tuple[int, int]:
    """``grid`` = ``(H, W)`` (or an int for a square grid) with positive ints → ``(H, W)``."""
    return check_hw(grid, name)


def check_cell(cell, grid: tuple[int, int], name: str = "query") -> tuple[int, int]:
    """``cell`` must be ``(row, col)`` with ``0 <= row < H`` and ``0 <= col < W`` of ``grid = (H, W)``."""
    h, w = grid
    try:
        if isinstance(cell, str) or len(cell) != 2 or any(isinstance(c, bool) for c in cell):
            raise TypeError
        row, col = operator.index(cell[0]), operator.index(cell[1])  # ints, numpy ints, 0-d int tensors
    except TypeError:
        raise TypeError(f"{name} must be a (row, col) pair of ints in feature-map coordinates; got {cell!r}") from None
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(
            f"{name} (row, col) = ({row}, {col}) is outside the {h}×{w} grid; "
            f"want 0 <= row < {h} and 0 <= col < {w}"
        )
    return row, col


def check_prefix(prefix) -> int:
    """The number of leading non-spatial tokens (class, registers, distillation): an int >= 0."""
    return check_int(prefix, "prefix", minimum=0, what=" (the number of class/register tokens before the grid)")


def check_image_shape(image_shape, name: str = "image_shape") -> tuple[int, int]:
    """``(H_img, W_img)`` or ``(H_img, W_img, 3)`` → ``(H_img, W_img)``."""
    if not isinstance(image_shape, tuple | list) or len(image_shape) < 2:
        raise ValueError(f"{name} must be (H_img, W_img[, 3]); got {image_shape!r}")
    return check_hw(tuple(image_shape[:2]), name)


def cell_centre(query, grid, image_shape) -> tuple[float, float]:
    """The one query → pixel rule: the centre of feature-map cell ``query = (row, col)`` of ``grid = (h, w)``
    in an image of ``image_shape = (H_img, W_img[, 3])``, in matplotlib ``imshow`` coordinates (pixel
    centres at integers) → ``(x, y) = ((col + ½)·W_img/w − ½, (row + ½)·H_img/h − ½)``."""
    h, w = check_grid(grid)
    row, col = check_cell(query, (h, w), "query")
    height, width = check_image_shape(image_shape)
    return (col + 0.5) * width / w - 0.5, (row + 0.5) * height / h - 0.5


def check_feature_map(x, channels: int, name: str = "x", dtype: torch.dtype | None = None) -> None:
    """``x`` must be a finite float tensor ``(B, channels, H, W)``, of the layer's ``dtype`` if given."""
    want = f"(B, {channels}, H, W)"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {want}; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of shape {want}; got dtype {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the layer's weights are {dtype}: convert one of them "
            f"(x.to({dtype}) or layer.to({x.dtype}))"
        )
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"{name} must have shape {want}; got {shape_str(x.shape)}")
    check_finite(x, name)
