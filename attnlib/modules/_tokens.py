"""Feature map ↔ tokens, the layout every module shares."""

from __future__ import annotations

import torch


def tokens(x: torch.Tensor) -> torch.Tensor:
    """Feature map ``(B, C, H, W)`` → one row per pixel ``(B, H * W, C)``, row-major (token ``n = row * W + col``)."""
    return x.flatten(2).transpose(1, 2)
