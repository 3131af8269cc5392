"""Hard attention: look at a few small patches (glimpses) instead of weighting every pixel.

- :func:`glimpse_boxes`: where the patches of a glimpse sit in the image, as ``(top, left, height, width)``.
- :func:`glimpse`: cut those patches out and pool each down to ``size × size``.

Coordinates. A location is ``(row, col)`` in [-1, 1]: −1 is the top (left) edge of the image, +1 the
bottom (right) edge, 0 the centre, as for query pixels elsewhere in the course. The reference PyTorch RAM
code (kevinzakka/recurrent-visual-attention, ``modules.py``) orders its locations ``(x, y)`` = ``(col, row)``
and scales both by the image height; here rows scale by ``H`` and columns by ``W``, so non-square images work.

Locations outside [-1, 1] are **refused** (``ValueError``), not clamped: a value such as ``(14, 20)`` is
almost always a pixel position passed where a normalised one was meant, and clamping would hide that.
A sampling policy whose samples can leave the square clamps them itself, as :class:`RecurrentAttention` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._checks import check_finite, check_float_tensor, check_hw, check_int, shape_str

__all__ = ["glimpse", "glimpse_boxes"]


def _check_locations(locations, batch: int | None = None) -> None:
    want = "(B, 2) as (row, col) in [-1, 1]" if batch is None else f"({batch}, 2) as (row, col) in [-1, 1]"
    check_float_tensor(locations, "locations", want)
    if locations.dim() != 2 or locations.shape[1] != 2 or (batch is not None and locations.shape[0] != batch):
        raise ValueError(f"locations must have shape {want}; got {shape_str(locations.shape)}")
    check_finite(locations, "locations")
    if locations.abs().max() > 1:
        worst = locations[locations.abs().argmax() // 2].tolist()
        raise ValueError(
            f"locations must lie in [-1, 1] (−1 = top/left edge, +1 = bottom/right edge); got "
            f"(row, col) = ({worst[0]:.3g}, {worst[1]:.3g}). Pixel positions must be normalised first: "
            "l = 2·pixel/H − 1; a policy's samples are clamped with locations.clamp(-1, 1)"
        )


def glimpse_boxes(locations: torch.Tensor, image_size, size: int, *, scales: int = 1) -> torch.Tensor:
    """Where each patch of each glimpse sits: ``(B, scales, 4)`` long boxes ``(top, left, height, width)``.

    locations ``(B, 2)`` = ``(row, col)`` in [-1, 1]; ``image_size`` = ``(H, W)`` (or one int for a square).
    Patch ``s`` is a square of side ``n = size · 2^s`` centred on the location's pixel position
    ``c = (l + 1) / 2 · (H, W)`` (pixel edges at integers, so ``c = 0`` is the top edge). Its first row and
    column are ``round(c − n / 2)``, rounding halves up; boxes may reach outside the image.
    """
    h, w = check_hw(image_size, "image_size")
    size = check_int(size, "size", minimum=1, what=" (the glimpse side in pixels)")
    scales = check_int(scales, "scales", minimum=1, what=" (patches per glimpse)")
    _check_locations(locations)
    centre = (locations.detach().double() + 1) / 2 * torch.tensor([h, w], dtype=torch.float64)  # (B, 2) pixels
    sides = size * 2 ** torch.arange(scales, dtype=torch.float64)  # (scales,)
    corner = torch.floor(centre[:, None, :] - sides[None, :, None] / 2 + 0.5).long()  # (B, scales, 2)
    extent = sides.long()[None, :, None].expand_as(corner)
    return torch.cat([corner, extent], dim=-1)


def glimpse(images: torch.Tensor, locations: torch.Tensor, size: int, *, scales: int = 1) -> torch.Tensor:
    """Cut a glimpse out of every image: images ``(B, C, H, W)``, locations ``(B, 2)`` → ``(B, scales, C, size, size)``.

    Patch ``s`` covers the box :func:`glimpse_boxes` gives (side ``size · 2^s``, centred on the location) and is
    average-pooled by ``2^s`` down to ``size × size``: the same number of values at every scale, coarser
    further out. Pixels outside the image read as 0. The output is differentiable in ``images`` but not in
    ``locations`` (an integer crop): that is why hard attention needs REINFORCE to learn where to look.
    """
    check_float_tensor(images, "images", "(B, C, H, W)", min_dim=4)
    if images.dim() != 4:
        raise ValueError(f"images must have shape (B, C, H, W); got {shape_str(images.shape)}")
    batch, _, h, w = images.shape
    _check_locations(locations, batch)
    boxes = glimpse_boxes(locations, (h, w), size, scales=scales)  # (B, scales, 4)
    patches = []
    for s in range(boxes.shape[1]):
        side = int(boxes[0, s, 2])
        padded = F.pad(images, (side, side, side, side))  # zeros outside; every box fits inside the padding
        rows = boxes[:, s, 0, None] + side + torch.arange(side)  # (B, side) rows of the padded image
        cols = boxes[:, s, 1, None] + side + torch.arange(side)
        batch_index = torch.arange(batch)[:, None, None]
        patch = padded[batch_index, :, rows[:, :, None], cols[:, None, :]]  # (B, side, side, C)
        patches.append(F.avg_pool2d(patch.permute(0, 3, 1, 2), 2**s))  # (B, C, size, size)
    return torch.stack(patches, dim=1)
