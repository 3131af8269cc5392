"""Vision attention modules: layers that take a feature map ``(B, C, H, W)`` and return ``(out, weights)``."""

from .self_attention import NONLOCAL_MODES, NonLocal2d, SelfAttention2d

__all__ = ["SelfAttention2d", "NonLocal2d", "NONLOCAL_MODES"]
