"""Small CNNs for cluttered digits, with a gate in one of three places (notebook 07).

- :class:`DigitNet`: the same small CNN with no gate, a channel gate (:class:`~attnlib.SqueezeExcite`),
  a channel-then-spatial gate (:class:`~attnlib.CBAM`) or a gate on the input image
  (:class:`~attnlib.InputMask`).
- :func:`box_mass`: how much of a gate's total weight lands inside the digit's box, against chance.
- :func:`load_digit_net`: the trained networks shipped in ``attnlib/weights``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_feature_map, check_float_tensor, check_int, shape_str
from .._shipped import load_shipped
from ..modules import CBAM, InputMask, SqueezeExcite
from .digits import box_mask

__all__ = ["GATES", "DIGIT_NETS", "DigitNet", "box_mass", "load_digit_net"]

#: Where a :class:`DigitNet` puts its gate: nowhere, on channels, on channels then space, on the input.
GATES = (None, "se", "cbam", "input")


class DigitNet(nn.Module):
    """A small CNN for cluttered digits ``(B, 1, 48, 48)`` → 10 class scores, with an optional gate.

    ``features``: a 5×5 conv with stride 2 (1 → 8), a 3×3 conv (8 → 16), 2×2 max-pooling and a
    3×3 conv (16 → ``channels``), each followed by ReLU (and the last two by BatchNorm first): a
    48×48 picture becomes a 12×12 feature map (one cell per 4×4 pixels) whose cells each see a
    19×19-pixel window, a whole digit. The first conv has no BatchNorm on purpose: one there would
    undo any uniform dimming of the picture, so an input mask's overall level would mean nothing.
    ``classifier``: the largest value of each channel over the map (global max pooling), then one
    linear layer to the 10 classes.

    ``gate`` (stored in ``self.gate``):

    - ``None``: no gate; weights ``None``;
    - ``"se"``: :class:`~attnlib.SqueezeExcite` on the 12×12 features; weights ``(B, C)``;
    - ``"cbam"``: :class:`~attnlib.CBAM` (7×7 spatial kernel) on the 12×12 features; weights
      ``((B, C), (B, 12, 12))``;
    - ``"input"``: :class:`~attnlib.InputMask` on the picture before ``features``; weights ``(B, 48, 48)``.

    forward: images ``(B, 1, H, W)`` → ``(logits (B, 10), weights)``. ``zero_channels``, a bool
    tensor ``(B, C)`` or ``(C,)``, sets those channels of the (gated) feature map to 0 before pooling:
    the intervention that tests whether the heavily weighted channels matter.
    """

    def __init__(self, gate: str | None = None, *, channels: int = 32, reduction: int = 4):
        super().__init__()
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}; got {gate!r}")
        channels = check_int(channels, "channels", minimum=1)
        self.config = {"gate": gate, "channels": channels, "reduction": reduction}
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
        if gate == "se":
            self.gate = SqueezeExcite(channels, reduction)
        elif gate == "cbam":
            self.gate = CBAM(channels, reduction, kernel_size=7)
        elif gate == "input":
            self.gate = InputMask(1, hidden=8)
        else:
            self.gate = None
        self.classifier = nn.Linear(channels, 10)

    def forward(self, images: torch.Tensor, *, zero_channels: torch.Tensor | None = None):
        check_feature_map(images, 1, name="images", dtype=self.features[0].weight.dtype)
        weights = None
        if self.config["gate"] == "input":
            images, weights = self.gate(images)  # mask (B, H, W) on the picture
        x = self.features(images)  # (B, C, H/4, W/4)
        if self.config["gate"] in ("se", "cbam"):
            x, weights = self.gate(x)
        if zero_channels is not None:
            x = x * ~self._check_zero_channels(zero_channels, x)
        return self.classifier(x.amax(dim=(2, 3))), weights

    def _check_zero_channels(self, zero_channels, x: torch.Tensor) -> torch.Tensor:
        """``zero_channels`` ``(B, C)`` or ``(C,)`` bool → ``(B, C, 1, 1)`` to broadcast over the map."""
        B, C = x.shape[:2]
        if not isinstance(zero_channels, torch.Tensor) or zero_channels.dtype != torch.bool:
            got = zero_channels.dtype if isinstance(zero_channels, torch.Tensor) else type(zero_channels).__name__
            raise TypeError(f"zero_channels must be a bool tensor of shape ({B}, {C}) or ({C},); got {got}")
        if zero_channels.shape not in ((B, C), (C,)):
            raise ValueError(
                f"zero_channels must have shape ({B}, {C}) or ({C},); got {shape_str(zero_channels.shape)}"
            )
        return zero_channels.expand(B, C)[:, :, None, None]


def box_mass(weights: torch.Tensor, boxes: torch.Tensor, size: int = 48) -> tuple[float, float]:
    """Mean share of a map's total weight inside the digit's box, and the chance level (the box's area share).

    weights ``(n, h, w)`` ≥ 0 on a grid that divides the ``size × size`` picture (each cell stands for
    a block of ``size/h × size/w`` pixels); boxes ``(n, 4)`` = ``(top, left, height, width)`` in pixels.
    Per picture: ``Σ weight over the box's pixels / Σ weight over all pixels``, averaged over pictures.
    A map with the same weight everywhere scores exactly the chance level. For a gate this is a
    share of its total weight, not a probability: the weights were never made to sum to 1.
    """
    check_float_tensor(weights, "weights", "(n, h, w)", min_dim=3)
    size = check_int(size, "size", minimum=1)
    n, h, w = weights.shape
    if weights.dim() != 3 or size % h or size % w:
        got = shape_str(weights.shape)
        raise ValueError(f"weights must have shape (n, h, w) with h and w dividing size {size}; got {got}")
    if not isinstance(boxes, torch.Tensor) or boxes.shape != (n, 4):
        got = shape_str(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
        raise ValueError(f"boxes must be a tensor of shape ({n}, 4) = (top, left, height, width); got {got}")
    if (weights < 0).any() or not torch.isfinite(weights).all():
        raise ValueError("weights must be finite and ≥ 0 (gate weights are in (0, 1))")
    pixels = F.interpolate(weights.detach()[:, None].double(), size=(size, size), mode="nearest")[:, 0]
    inside = box_mask(boxes, size)  # (n, size, size)
    share = (pixels * inside).sum((1, 2)) / pixels.sum((1, 2)).clamp_min(1e-12)
    return float(share.mean()), float(inside.double().mean())


#: The trained networks in ``attnlib/weights`` (made by ``scripts/train_digits.py``), name → gate.
DIGIT_NETS = {"cnn": None, "se": "se", "cbam": "cbam", "input": "input"}


def load_digit_net(name: str = "cbam") -> DigitNet:
    """A trained :class:`DigitNet` from ``attnlib/weights/digits_<name>.pt``, in eval mode.

    ``name`` is a key of :data:`DIGIT_NETS`: ``"cnn"`` (no gate), ``"se"``, ``"cbam"`` or ``"input"``.

    The file holds only tensors and plain values, loaded with ``torch.load(..., weights_only=True)``;
    ``net.history`` is the training run the script recorded (per step: ``"loss"``, ``"accuracy"``).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {tuple(DIGIT_NETS)}; got {type(name).__name__}")
    if name not in DIGIT_NETS:
        raise ValueError(f"name must be one of {tuple(DIGIT_NETS)}; got {name!r}")
    return load_shipped(f"digits_{name}.pt", _build_digit_net)


def _build_digit_net(gate, channels, reduction, **_) -> DigitNet:
    """A DigitNet from a saved config (which may record more than these three)."""
    return DigitNet(gate, channels=channels, reduction=reduction)
