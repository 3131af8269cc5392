"""Vision attention modules, one per file.

- :mod:`.sagan`: :class:`SelfAttention2d`, SAGAN's self-attention layer;
- :mod:`.non_local`: :class:`NonLocal2d`, the Non-local block and its four pairwise functions;
- :mod:`.vit`: :class:`VisionTransformer`, a small ViT classifier (its weights: :func:`~attnlib.capture_attention`).

The first two take a feature map ``(B, C, H, W)`` and return ``(out, weights)``.
"""

from .non_local import NONLOCAL_MODES, NonLocal2d
from .sagan import SelfAttention2d
from .vit import VisionTransformer

__all__ = ["SelfAttention2d", "NonLocal2d", "NONLOCAL_MODES", "VisionTransformer"]
