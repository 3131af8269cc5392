"""Gates: sigmoid weights in (0, 1) that scale a feature map, per channel, per pixel, or per input pixel.

Unlike softmax attention, a gate's weights do **not** sum to 1: each is its own yes/no dial, so they
are drawn on a fixed 0–1 colour range and never called a distribution.

- :class:`SqueezeExcite` (Hu et al., 2018): one weight per channel from the channel means.
- :class:`CBAM` (Woo et al., 2018): a channel gate, then a spatial gate (one weight per pixel).
- :class:`InputMask`: one weight per pixel of the *input image*, from a small conv net.

Every module takes ``(B, C, H, W)`` and returns ``(out, weights)``, ``out`` with the input's shape.
Parameter names follow the reference code (senet.pytorch's ``SELayer``; the CBAM authors'
``MODELS/cbam.py``), so their checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_feature_map, check_int

__all__ = ["SqueezeExcite", "CBAM", "ChannelGate", "SpatialGate", "InputMask"]


def _check_reduction(reduction, channels: int) -> int:
    """The hidden layer has ``channels // reduction`` units, so ``reduction`` may not exceed ``channels``."""
    return check_int(
        reduction, "reduction", minimum=1, maximum=channels,
        what=f" (the hidden layer has channels // reduction units; channels = {channels})",
    )


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation: one gate per channel, computed from the whole picture.

    squeeze: ``z = mean over (H, W) of x`` → ``(B, C)``;
    excite: ``s = sigmoid(W_2 · relu(W_1 · z))`` with ``W_1 (C//r, C)``, ``W_2 (C, C//r)``, no biases
    (``fc.0.weight``, ``fc.2.weight`` as senet.pytorch's ``SELayer``);
    scale: ``out[b, c] = s[b, c] · x[b, c]``.

    forward: x ``(B, C, H, W)`` → ``(out (B, C, H, W), weights s (B, C))``, each weight in (0, 1).
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.channels = check_int(channels, "channels", minimum=1, what=" (the feature map's C)")
        self.reduction = _check_reduction(reduction, self.channels)
        hidden = self.channels // self.reduction
        self.fc = nn.Sequential(
            nn.Linear(self.channels, hidden, bias=False),
            nn.ReLU(),
            nn.Linear(hidden, self.channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_feature_map(x, self.channels, dtype=self.fc[0].weight.dtype)
        z = x.mean(dim=(2, 3))  # squeeze: (B, C)
        s = self.fc(z)  # excite: (B, C), in (0, 1)
        return x * s[:, :, None, None], s

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}"


class ChannelGate(nn.Module):
    """CBAM's channel gate: ``sigmoid(mlp(avg-pooled x) + mlp(max-pooled x))`` → ``(B, C)``.

    One MLP (``mlp.1``: C → C//r with bias, ReLU, ``mlp.3``: C//r → C with bias) is shared by both
    pooled vectors; their outputs are **summed, then one sigmoid** is applied.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = channels // reduction
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = x.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        top = x.amax(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        return torch.sigmoid(self.mlp(avg) + self.mlp(top))  # (B, C)


class SpatialGate(nn.Module):
    """CBAM's spatial gate: ``sigmoid(bn(conv([max over C, mean over C])))`` → ``(B, H, W)``.

    The two pooled maps are stacked **max first**; ``spatial.conv`` is a k×k conv 2 → 1 without bias
    (padding k // 2, so the map keeps its size), ``spatial.bn`` a ``BatchNorm2d(1, eps=1e-5, momentum=0.01)``.
    """

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.spatial = nn.Sequential(OrderedDict(conv=conv, bn=nn.BatchNorm2d(1, eps=1e-5, momentum=0.01)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)  # (B, 2, H, W)
        return torch.sigmoid(self.spatial(pooled))[:, 0]  # (B, H, W)


_TIMM_KEYS = ("channel.fc1.", "channel.fc2.", "spatial.conv.conv.", "spatial.conv.bn.")


class CBAM(nn.Module):
    """Convolutional Block Attention Module: a channel gate, then a spatial gate, as the authors' code.

    1. channel weights ``c = ChannelGate(x)`` ``(B, C)``; ``x' = c · x`` (per channel);
    2. spatial weights ``s = SpatialGate(x')`` ``(B, H, W)``; ``out = s · x'`` (per pixel).

    forward: x ``(B, C, H, W)`` → ``(out (B, C, H, W), (channel_weights (B, C), spatial_weights (B, H, W)))``.
    Keys: ``ChannelGate.mlp.1.*``, ``ChannelGate.mlp.3.*``, ``SpatialGate.spatial.conv.weight``,
    ``SpatialGate.spatial.bn.*`` (Jongchan/attention-module, ``MODELS/cbam.py``).

    **timm's** ``CbamModule`` is a different layout of the same idea, and its checkpoints do not load
    here: its keys are ``channel.fc1/fc2`` and ``spatial.conv.conv/bn``; its MLP is two 1×1 convs
    **without biases** (weights ``(C//r, C, 1, 1)``), its hidden width is ``C/r`` rounded rather than
    floored, and its spatial gate stacks **[mean, max]** where the authors stack [max, mean]. Renaming
    the keys is not enough: the spatial conv's two input channels must be swapped as well, or every
    spatial map comes out wrong without any error. Loading such a state dict raises an error that
    says so.
    """

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7):
        super().__init__()
        self.channels = check_int(channels, "channels", minimum=1, what=" (the feature map's C)")
        self.reduction = _check_reduction(reduction, self.channels)
        self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (padding k // 2 keeps the map's size); got {kernel_size}")
        self.ChannelGate = ChannelGate(self.channels, self.reduction)
        self.SpatialGate = SpatialGate(self.kernel_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        check_feature_map(x, self.channels, dtype=self.SpatialGate.spatial.conv.weight.dtype)
        if min(x.shape[-2:]) < self.kernel_size:
            raise ValueError(
                f"x's map {x.shape[-2]}×{x.shape[-1]} is smaller than the spatial gate's "
                f"{self.kernel_size}×{self.kernel_size} kernel; use a smaller kernel_size or an earlier, larger map"
            )
        c = self.ChannelGate(x)  # (B, C)
        x = x * c[:, :, None, None]
        s = self.SpatialGate(x)  # (B, H, W)
        return x * s[:, None], (c, s)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):  # torch calls this for every module while loading; we only add a clearer message
        timm = sorted(k for k in state_dict if k.startswith(prefix) and k[len(prefix) :].startswith(_TIMM_KEYS))
        if timm:
            error_msgs.append(
                f"these look like timm's CbamModule weights ({', '.join(timm[:3])}, …), not the CBAM authors' "
                "(ChannelGate.mlp.1.weight, …, SpatialGate.spatial.conv.weight) that this class follows. "
                "timm's MLP has no biases and 1×1-conv weights (C//r, C, 1, 1), and its spatial gate stacks "
                "[mean, max] where this one stacks [max, mean]. To convert: rename the keys, reshape the fc "
                "weights to (C//r, C), set both MLP biases to zeros, and swap the spatial conv's two input "
                "channels (weight[:, [1, 0]])."
            )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}, kernel_size={self.kernel_size}"


class InputMask(nn.Module):
    """Attention on the input image: a small conv net draws a mask in (0, 1) that multiplies the picture.

    ``net``: three 5×5 convs (``in_channels`` → ``hidden`` → ``hidden`` → 1) with ReLUs between; the
    first has stride 2 and is followed by 2×2 max-pooling, so the logits lie on a grid 4× coarser than
    the image and each sees a 39×39-pixel window (enough to tell a 16×16 digit from a 6×6 fragment).
    They are upsampled (bilinear) to the image size, then ``mask = sigmoid(logits)``. The last conv's bias
    starts at ``start_logit`` (``sigmoid(-2) ≈ 0.12``), so the mask starts nearly closed and training
    opens it where the picture helps the task.

    forward: images ``(B, C, H, W)`` → ``(images · mask (B, C, H, W), mask (B, H, W))``.
    """

    def __init__(self, in_channels: int = 1, hidden: int = 8, *, start_logit: float = -2.0):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1, what=" (the image's C)")
        self.hidden = check_int(hidden, "hidden", minimum=1, what=" (channels of the mask net)")
        if isinstance(start_logit, bool) or not isinstance(start_logit, int | float):
            raise TypeError(f"start_logit must be a number; got {type(start_logit).__name__}")
        self.net = nn.Sequential(
            nn.Conv2d(self.in_channels, self.hidden, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(self.hidden, self.hidden, 5, padding=2),
            nn.ReLU(),
            nn.Conv2d(self.hidden, 1, 5, padding=2),
        )
        with torch.no_grad():
            self.net[-1].bias.fill_(float(start_logit))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_feature_map(images, self.in_channels, name="images", dtype=self.net[0].weight.dtype)
        height, width = images.shape[-2:]
        if height < 4 or width < 4:
            raise ValueError(f"images must be at least 4×4 (the mask net pools twice); got {height}×{width}")
        logits = self.net(images)  # (B, 1, H/4, W/4)
        logits = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
        mask = torch.sigmoid(logits)[:, 0]  # (B, H, W)
        return images * mask[:, None], mask

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, hidden={self.hidden}"
