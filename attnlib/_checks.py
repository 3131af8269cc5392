"""Argument checks shared by attnlib's public functions.

Every message names the argument, what it got and what it expects, so a learner
can fix the call without reading a traceback into torch's internals.
"""

from __future__ import annotations

import math
from numbers import Real

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


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return value
