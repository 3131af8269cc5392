"""Vision attention modules, one per file: each takes a feature map ``(B, C, H, W)`` and returns ``(out, weights)``.

- :mod:`.sagan`: :class:`SelfAttention2d`, SAGAN's self-attention layer;
- :mod:`.non_local`: :class:`NonLocal2d`, the Non-local block and its four pairwise functions;
- :mod:`.gates`: sigmoid gates, :class:`SqueezeExcite` (channels), :class:`CBAM` (channels, then
  pixels) and :class:`InputMask` (pixels of the input image); their weights are ``(B, C)`` or ``(B, H, W)``;
- :mod:`.hard`: hard attention: :func:`glimpse` patches and the recurrent attention model (RAM);
- :mod:`.temporal`: attention over time: :class:`DateTranslator` (a GRU encoder with a
  :class:`BahdanauDecoder`, alignment ``(B, T_out, T_in)``) and :class:`ClipClassifier` (per-frame CNN +
  :class:`FramePooling`, frame weights ``(B, T)``). These take sequences, not feature maps;
- :mod:`.vit`: :class:`VisionTransformer`, a small ViT classifier (images → class scores; its weights come out
  with :func:`~attnlib.capture_attention`), and :func:`load_digits_vit`, notebook 10's trained one.
"""

from .gates import CBAM, ChannelGate, InputMask, SpatialGate, SqueezeExcite
from .hard import (
    RAMLoss,
    RAMOutput,
    RecurrentAttention,
    glimpse,
    glimpse_boxes,
    load_ram,
    load_soft_counterpart,
    ram_loss,
)
from .non_local import NONLOCAL_MODES, NonLocal2d
from .sagan import SelfAttention2d
from .temporal import BahdanauDecoder, ClipClassifier, DateTranslator, FramePooling
from .vit import VisionTransformer, load_digits_vit

__all__ = [
    "SelfAttention2d",
    "NonLocal2d",
    "NONLOCAL_MODES",
    "glimpse",
    "glimpse_boxes",
    "RecurrentAttention",
    "RAMOutput",
    "RAMLoss",
    "ram_loss",
    "load_ram",
    "load_soft_counterpart",
    "SqueezeExcite",
    "CBAM",
    "ChannelGate",
    "SpatialGate",
    "InputMask",
    "BahdanauDecoder",
    "DateTranslator",
    "FramePooling",
    "ClipClassifier",
    "VisionTransformer",
    "load_digits_vit",
]
