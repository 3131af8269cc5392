"""A small Vision Transformer (Dosovitskiy et al., 2021) whose attention is attnlib's :func:`~attnlib.attention`.

images ``(B, C, H, W)`` → patches of ``patch_size × patch_size`` pixels → one token each, ``grid = (H / p, W / p)``
patches flattened row-major → ``[class token, register tokens…, patch tokens…]`` (``prefix = 1 + registers``
tokens in front of the grid, as in DINOv2 with registers) → ``depth`` pre-norm blocks → the class token's final
state → class scores ``(B, num_classes)``.

Each block's multi-head self-attention has ``q_proj``, ``k_proj``, ``v_proj`` and ``o_proj`` linear layers, a head
count ``num_heads`` and ``scaling = 1/√d`` (d = dim / heads), the names Hugging Face's ViT uses, so
:func:`~attnlib.capture_attention` reads this model and theirs the same way.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .._checks import check_float_tensor, check_hw, check_int, shape_str
from ..attention import attention
from ._tokens import tokens

__all__ = ["VisionTransformer", "SelfAttentionHeads", "Block", "DIGITS_VIT", "load_digits_vit"]


class SelfAttentionHeads(nn.Module):
    """Multi-head self-attention: x ``(B, N, dim)`` → ``(B, N, dim)``.

    q, k, v = ``q_proj(x)``, ``k_proj(x)``, ``v_proj(x)``, each split into ``num_heads`` heads ``(B, heads, N, d)``;
    per head ``attention(q, k, v)`` = softmax(q kᵀ / √d) v; the heads are concatenated and mixed by ``o_proj``.
    """

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        dim = check_int(dim, "dim", minimum=1)
        self.num_heads = check_int(num_heads, "num_heads", minimum=1)
        if dim % num_heads:
            raise ValueError(f"dim must be divisible by num_heads; got dim={dim}, num_heads={num_heads}")
        self.head_dim = dim // num_heads
        self.scaling = self.head_dim**-0.5
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(dim, dim) for _ in range(4))

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, N, heads·d)`` → ``(B, heads, N, d)``."""
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._split(self.q_proj(x)), self._split(self.k_proj(x)), self._split(self.v_proj(x))
        out, _ = attention(q, k, v)  # (B, heads, N, d); score "scaled_dot" = q kᵀ · scaling
        return self.o_proj(out.transpose(1, 2).flatten(2))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``; ``(B, N, dim)`` → same."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: int = 2):
        super().__init__()
        mlp_ratio = check_int(mlp_ratio, "mlp_ratio", minimum=1)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttentionHeads(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _patch_embedding(in_channels: int, dim: int, p: int, stem: int) -> nn.Module:
    """images ``(B, C, H, W)`` → ``(B, dim, H / p, W / p)``: one vector per ``p × p`` patch."""
    if stem == 0:
        return nn.Conv2d(in_channels, dim, kernel_size=p, stride=p)
    if p % 4:
        raise ValueError(f"a stem halves the resolution twice, so patch_size must be a multiple of 4; got {p}")

    def conv_bn_pool(a: int, b: int) -> list[nn.Module]:
        return [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*conv_bn_pool(in_channels, stem), *conv_bn_pool(stem, stem),
                         nn.Conv2d(stem, dim, kernel_size=p // 4, stride=p // 4))


class VisionTransformer(nn.Module):
    """A small ViT classifier: images ``(B, in_channels, H, W)`` → class scores ``(B, num_classes)``.

    image_size: ``H`` (square) or ``(H, W)``, each a multiple of ``patch_size``; ``grid = (H // p, W // p)``.
    registers: extra learned tokens after the class token (Darcet et al., 2024), with no position embedding.
    stem: 0 for the plain patch embedding (one ``p × p`` convolution with stride ``p``); ``c > 0`` for a small
    convolutional stem first (Xiao et al., 2021): twice [3×3 conv to ``c`` channels, batch norm, ReLU, 2×2 max
    pool], then a ``p/4 × p/4`` convolution with stride ``p/4``. Still one token per ``p × p`` patch, but each
    token sees its patch plus a 3-pixel border, and small data trains in seconds instead of minutes.
    Attributes ``grid`` and ``prefix = 1 + registers`` say where the patch tokens sit.
    """

    def __init__(
        self,
        *,
        image_size=48,
        patch_size: int = 8,
        in_channels: int = 1,
        num_classes: int = 10,
        dim: int = 64,
        depth: int = 4,
        num_heads: int = 4,
        mlp_ratio: int = 2,
        registers: int = 0,
        stem: int = 0,
    ):
        super().__init__()
        h, w = check_hw(image_size, "image_size")
        p = check_int(patch_size, "patch_size", minimum=1)
        if h % p or w % p:
            raise ValueError(f"image_size {h}×{w} must be a multiple of patch_size={p} in both directions")
        self.image_size, self.grid = (h, w), (h // p, w // p)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.registers = check_int(registers, "registers", minimum=0)
        self.prefix = 1 + self.registers
        depth = check_int(depth, "depth", minimum=1)
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        self.patch_embed = _patch_embedding(self.in_channels, dim, p, check_int(stem, "stem", minimum=0))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_tokens = nn.Parameter(torch.zeros(1, self.registers, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 1 + self.grid[0] * self.grid[1], dim))
        self.blocks = nn.ModuleList(Block(dim, num_heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """images ``(B, C, H, W)`` → tokens ``(B, prefix + gh·gw, dim)``: class, registers, then patches row-major."""
        want = f"(B, {self.in_channels}, {self.image_size[0]}, {self.image_size[1]})"
        check_float_tensor(images, "images", want, min_dim=4)
        if images.dim() != 4 or tuple(images.shape[1:]) != (self.in_channels, *self.image_size):
            raise ValueError(f"images must have shape {want}; got {shape_str(images.shape)}")
        patches = tokens(self.patch_embed(images))  # (B, gh·gw, dim), token n = row * gw + col
        b = patches.shape[0]
        x = torch.cat([self.cls_token.expand(b, -1, -1), patches], dim=1) + self.pos_embed
        return torch.cat([x[:, :1], self.register_tokens.expand(b, -1, -1), x[:, 1:]], dim=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.embed(images)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))

    def extra_repr(self) -> str:
        return f"image_size={self.image_size}, grid={self.grid}, prefix={self.prefix}"


#: The ViT that ``scripts/train_vit.py`` trains on cluttered digits (48 × 48, 6 × 6 patches of 8 × 8 pixels).
DIGITS_VIT = dict(image_size=48, patch_size=8, in_channels=1, num_classes=10, dim=64, depth=3, num_heads=4, stem=16)
_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "vit_digits.pt"


def load_digits_vit() -> VisionTransformer:
    """The small ViT trained on cluttered digits by ``scripts/train_vit.py`` (shipped weights), in eval mode."""
    model = VisionTransformer(**DIGITS_VIT)
    model.load_state_dict(torch.load(_WEIGHTS, weights_only=True))
    return model.eval()
