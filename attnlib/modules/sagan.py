"""SAGAN's self-attention layer over the pixels of a feature map (Zhang et al., 2019).

Takes a feature map ``x`` of shape ``(B, C, H, W)`` and returns ``(out, weights)``: ``out`` has the
shape of ``x``; ``weights`` is ``(B, N, N)`` with ``N = H * W`` pixels flattened row-major (token
``n = row * W + col``). **Row i is query pixel i's map**, so ``weights[b, i].reshape(H, W)`` is a picture.
Parameter names are those of the article's ``Self_Attn`` code, so its checkpoints load unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_feature_map, check_int
from ._tokens import tokens

__all__ = ["SelfAttention2d"]


class SelfAttention2d(nn.Module):
    """SAGAN's self-attention layer over the pixels of a feature map.

    Three 1×1 convolutions make the three branches:
    ``query_conv`` and ``key_conv``: C → C // 8 channels, ``value_conv``: C → C channels.
    ``gamma`` (shape ``[1]``) starts at 0, so a new layer returns its input unchanged.

    forward: x ``(B, C, H, W)`` → ``(out (B, C, H, W), attention (B, N, N))``, ``N = H * W``:

    1. energy ``s[i, j] = q_i · k_j`` (no division by √d: SAGAN does not scale);
    2. ``attention = softmax(s)`` over the keys j, so each row sums to 1;
    3. ``o_i = Σ_j attention[i, j] v_j`` and ``out = gamma * o + x``.
    """

    def __init__(self, in_dim: int):
        super().__init__()
        in_dim = check_int(in_dim, "in_dim", minimum=1)
        if in_dim < 8:
            raise ValueError(
                f"in_dim must be at least 8 (query and key have in_dim // 8 channels, which would be 0); got {in_dim}"
            )
        self.in_dim = in_dim
        self.query_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_dim, in_dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_feature_map(x, self.in_dim, dtype=self.query_conv.weight.dtype)
        q = tokens(self.query_conv(x))  # (B, N, C//8)
        k = tokens(self.key_conv(x))  # (B, N, C//8)
        v = tokens(self.value_conv(x))  # (B, N, C)
        energy = q @ k.transpose(1, 2)  # (B, N, N): row i = query pixel i
        attention = torch.softmax(energy, dim=-1)
        o = attention @ v  # (B, N, C)
        o = o.transpose(1, 2).reshape(x.shape)  # back to (B, C, H, W)
        return self.gamma * o + x, attention

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}"
