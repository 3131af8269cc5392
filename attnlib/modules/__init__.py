"""Vision attention modules, one per file.

- :mod:`.sagan`: :class:`SelfAttention2d`, SAGAN's self-attention layer;
- :mod:`.non_local`: :class:`NonLocal2d`, the Non-local block and its four pairwise functions;
- :mod:`.gates`: sigmoid gates, :class:`SqueezeExcite` (channels), :class:`CBAM` (channels, then
  pixels) and :class:`InputMask` (pixels of the input image); their weights are ``(B, C)`` or ``(B, H, W)``.
- :mod:`.vit`: :class:`VisionTransformer`, a small ViT classifier (its weights: :func:`~attnlib.capture_attention`).
"""

from .gates import CBAM, ChannelGate, InputMask, SpatialGate, SqueezeExcite
from .non_local import NONLOCAL_MODES, NonLocal2d
from .sagan import SelfAttention2d
from .vit import VisionTransformer, load_digits_vit

__all__ = [
    "SelfAttention2d",
    "NonLocal2d",
    "NONLOCAL_MODES",
    "SqueezeExcite",
    "CBAM",
    "ChannelGate",
    "SpatialGate",
    "InputMask",
    "VisionTransformer",
    "load_digits_vit",
]
