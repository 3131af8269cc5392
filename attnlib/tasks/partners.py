"""A task that needs long range: every object must report the colour of its partner.

Each seeded picture ``(3, 32, 32)`` holds two objects far apart on a dark, noisy background:
a filled **square** and a hollow **ring**, each in one of four :data:`COLOURS`. The label at
every pixel of the square is the ring's colour, and at every pixel of the ring the square's
colour. The two objects are always at least :data:`MIN_GAP` pixels apart, more than the
receptive field of :class:`PairNet`'s convolutions, so a pixel can only learn its label by
looking across the picture: with an attention layer.

- :func:`make_pairs`: the seeded data set (images, per-object masks, colours, labels).
- :class:`PairNet`: a small CNN, with or without an attention layer in the middle.
- :func:`mask_cover` and :func:`partner_mass`: how much of a query pixel's attention lands on
  its partner, against chance.
- :func:`load_pair_net`: the trained networks shipped in ``attnlib/weights``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_finite, check_hw, check_int, shape_str
from .._shipped import load_shipped
from ..modules import NonLocal2d, SelfAttention2d

__all__ = [
    "COLOURS",
    "SHAPES",
    "MIN_GAP",
    "PRETRAINED",
    "Pairs",
    "make_pairs",
    "PairNet",
    "mask_cover",
    "partner_mass",
    "load_pair_net",
]

#: The four object colours (RGB in [0, 1]); a label is an index into this tuple.
COLOURS = {
    "red": (0.95, 0.25, 0.2),
    "green": (0.2, 0.8, 0.25),
    "blue": (0.25, 0.45, 1.0),
    "yellow": (0.95, 0.85, 0.15),
}
#: Object 0 is a filled 6×6 square, object 1 an 8×8 ring two pixels thick.
SHAPES = ("square", "ring")
#: Fewest background pixels between the two objects, along x or along y.
MIN_GAP = 10


class Pairs(NamedTuple):
    """A batch of the partner task.

    images ``(n, 3, H, W)`` float32 in [0, 1]; masks ``(n, 2, H, W)`` bool (object 0 = square,
    object 1 = ring); colours ``(n, 2)`` long (index into :data:`COLOURS`); labels ``(n, H, W)``
    long: the partner's colour on each object pixel, -1 on the background (not scored).
    """

    images: torch.Tensor
    masks: torch.Tensor
    colours: torch.Tensor
    labels: torch.Tensor


def _shape_mask(kind: str) -> np.ndarray:
    if kind == "square":
        return np.ones((6, 6), dtype=bool)
    ring = np.ones((8, 8), dtype=bool)
    ring[2:6, 2:6] = False
    return ring


def _far_apart(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """Boxes ``(top, left, side)``: at least MIN_GAP background pixels between them along y or x."""
    gap_y = max(a[0] - (b[0] + b[2]), b[0] - (a[0] + a[2]))
    gap_x = max(a[1] - (b[1] + b[2]), b[1] - (a[1] + a[2]))
    return max(gap_y, gap_x) >= MIN_GAP


def make_pairs(n: int, *, size: int = 32, noise: float = 0.05, seed: int = 0) -> Pairs:
    """``n`` seeded pictures of the partner task, each ``(3, size, size)``; see :class:`Pairs`.

    Positions are drawn independently of colours, and the two colours of a picture always differ
    (uniformly among the other three): an object's own colour and place only say which colour
    its label is *not*; the rest has to come from the partner.
    """
    check_int(n, "n", minimum=1, what=" (the number of pictures)")
    check_int(size, "size", minimum=24, what=f" (two objects {MIN_GAP} px apart must fit)")
    if not isinstance(noise, int | float) or not 0 <= noise <= 0.5:
        raise ValueError(f"noise must be a number in [0, 0.5]; got {noise!r}")
    check_int(seed, "seed")
    rng = np.random.default_rng(seed)
    palette = np.array(list(COLOURS.values()), dtype=np.float32)
    images = 0.1 + noise * rng.standard_normal((n, 3, size, size)).astype(np.float32)
    masks = np.zeros((n, 2, size, size), dtype=bool)
    first = rng.integers(0, len(COLOURS), size=n)
    colours = np.stack([first, (first + rng.integers(1, len(COLOURS), size=n)) % len(COLOURS)], axis=1)
    shapes = [_shape_mask(kind) for kind in SHAPES]
    for i in range(n):
        while True:  # rejection sampling: redraw until the two objects are far apart
            boxes = [(*rng.integers(0, size - s.shape[0] + 1, size=2), s.shape[0]) for s in shapes]
            if _far_apart(*boxes):
                break
        for o, (top, left, side) in enumerate(boxes):
            masks[i, o, top : top + side, left : left + side] = shapes[o]
            images[i][:, masks[i, o]] = palette[colours[i, o]][:, None]
    labels = np.full((n, size, size), -1, dtype=np.int64)
    for o in range(2):
        partner = colours[:, 1 - o][:, None, None]
        labels = np.where(masks[:, o], partner, labels)
    return Pairs(
        torch.from_numpy(np.clip(images, 0.0, 1.0)),
        torch.from_numpy(masks),
        torch.from_numpy(colours),
        torch.from_numpy(labels),
    )


class PairNet(nn.Module):
    """A small CNN for the partner task, with an optional attention layer in the middle.

    ``features``: two 3×3 conv + ReLU + 2×2 max-pool stages, 3 → 8 → ``channels`` (a BatchNorm
    before the second ReLU keeps the features' scale steady, which lets attention learn fast); a 32×32
    picture becomes an 8×8 feature map (1/4 of the input) in which each cell sees a 10×10-pixel
    window: too small to hold both objects. ``attention``: ``None``, ``"self_attention"``
    (:class:`SelfAttention2d`) or ``"non_local"`` (:class:`NonLocal2d` with ``mode``,
    ``sub_sample``). ``head``: two 1×1 convs to one score per colour.

    forward: images ``(B, 3, H, W)`` → ``(logits (B, 4, H, W), weights (B, N, N') or None)``; the
    logits are computed on the feature grid and repeated (nearest) up to the image size.
    """

    def __init__(
        self,
        attention: str | None = "self_attention",
        *,
        channels: int = 32,
        mode: str = "embedded_gaussian",
        sub_sample: bool = False,
    ):
        super().__init__()
        if attention not in (None, "self_attention", "non_local"):
            raise ValueError(f"attention must be None, 'self_attention' or 'non_local'; got {attention!r}")
        self.config = {"attention": attention, "channels": channels, "mode": mode, "sub_sample": sub_sample}
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        if attention == "self_attention":
            self.attention = SelfAttention2d(channels)
        elif attention == "non_local":
            self.attention = NonLocal2d(channels, mode=mode, sub_sample=sub_sample)
        else:
            self.attention = None
        self.head = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=1), nn.ReLU(), nn.Conv2d(channels, len(COLOURS), kernel_size=1)
        )

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
            got = shape_str(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"images must have shape (B, 3, H, W); got {got}")
        x = self.features(images)  # (B, C, H/4, W/4)
        weights = None
        if self.attention is not None:
            x, weights = self.attention(x)
        logits = self.head(x)  # (B, 4, H/4, W/4)
        return F.interpolate(logits, size=images.shape[-2:], mode="nearest"), weights


def mask_cover(masks: torch.Tensor, grid) -> torch.Tensor:
    """Fraction of each grid cell covered by a mask: masks ``(..., H, W)`` bool → ``(..., h, w)`` in [0, 1].

    ``grid = (h, w)`` must divide the image size (each cell is an ``H/h × W/w`` block of pixels).
    """
    if not isinstance(masks, torch.Tensor) or masks.dim() < 2:
        raise ValueError(f"masks must be a tensor of shape (..., H, W); got {getattr(masks, 'shape', masks)!r}")
    h, w = check_hw(grid, "grid")
    H, W = masks.shape[-2:]
    if H % h or W % w:
        raise ValueError(f"grid {(h, w)} must divide the mask size {(H, W)}: each cell is an H/h × W/w block")
    blocks = masks.float().reshape(*masks.shape[:-2], h, H // h, w, W // w)
    return blocks.mean(dim=(-3, -1))


def partner_mass(weights: torch.Tensor, masks: torch.Tensor, grid, *, key_grid=None) -> tuple[float, float]:
    """Mean share of a query's attention that lands on its partner object, and the chance level.

    weights ``(n, N, N')`` (row = query cell on ``grid = (h, w)``, N = h·w; keys on ``key_grid``,
    default ``grid``); masks ``(n, 2, H, W)`` from :func:`make_pairs`.

    Queries: the cells at least half covered by an object. Partner: the key cells the other
    object touches. For each query we take ``Σ_j |weights[i, j]|`` over the partner's cells divided
    by ``Σ_j |weights[i, j]|`` (= 1 for softmax rows; the absolute value makes the signed dot-product
    weights and the 1/N modes comparable), and
    average over all queries. Chance is the partner's share of the key cells, averaged the same way:
    what a uniform map would score.
    """
    if not isinstance(weights, torch.Tensor) or not isinstance(masks, torch.Tensor):
        raise TypeError("weights and masks must be torch.Tensors of shapes (n, N, N') and (n, 2, H, W)")
    h, w = check_hw(grid, "grid")
    kh, kw = check_hw(key_grid, "key_grid") if key_grid is not None else (h, w)
    if weights.dim() != 3 or weights.shape[1] != h * w or weights.shape[2] != kh * kw:
        raise ValueError(
            f"weights must have shape (n, {h * w}, {kh * kw}) for grid {(h, w)} and key grid {(kh, kw)}; "
            f"got {shape_str(weights.shape)}"
        )
    if masks.dim() != 4 or masks.shape[:2] != (weights.shape[0], 2):
        raise ValueError(f"masks must have shape ({weights.shape[0]}, 2, H, W); got {shape_str(masks.shape)}")
    check_finite(weights, "weights")
    queries = mask_cover(masks, (h, w)).flatten(2) >= 0.5  # (n, 2, N)
    partner = (mask_cover(masks, (kh, kw)).flatten(2) > 0).flip(1).float()  # (n, 2, N'): object o's partner
    w_abs = weights.detach().abs()
    share = (w_abs @ partner.transpose(1, 2)) / w_abs.sum(-1, keepdim=True).clamp_min(1e-12)  # (n, N, 2)
    share = share.transpose(1, 2)[queries]  # one value per query cell
    chance = partner.mean(-1, keepdim=True).expand_as(queries)[queries]
    return float(share.mean()), float(chance.mean())


#: The trained networks in ``attnlib/weights`` (made by ``scripts/train_long_range.py``).
PRETRAINED = (
    "cnn",
    "self_attention",
    "non_local_gaussian",
    "non_local_embedded_gaussian",
    "non_local_dot_product",
    "non_local_concatenation",
    "non_local_embedded_gaussian_sub",
)


def load_pair_net(name: str = "self_attention") -> PairNet:
    """A trained :class:`PairNet` from ``attnlib/weights/pairs_<name>.pt`` in eval mode; ``name`` in :data:`PRETRAINED`.

    The file holds only tensors and plain values, loaded with ``torch.load(..., weights_only=True)``.
    ``net.history`` is the training run the script recorded (per step: ``"loss"``, ``"accuracy"``
    and, for self-attention, ``"tracked"`` = γ), so a notebook can plot it without retraining.
    """
    if name not in PRETRAINED:
        raise ValueError(f"name must be one of {PRETRAINED}; got {name!r}")
    return load_shipped(f"pairs_{name}.pt", PairNet)
