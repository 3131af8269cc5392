"""Drawing hard attention: where each glimpse looked, step by step, at every scale.

- :func:`draw_glimpses`: numbered boxes painted into an RGB frame with PIL (the live widget's fast path);
- :func:`show_glimpses`: the same picture on a matplotlib axis, for figures.

Glimpse ``t`` gets colour ``GLIMPSE_COLOURS[t]`` (the Okabe–Ito palette, readable with colour blindness)
and its number; the finest patch is drawn solid, coarser patches thinner; a line joins the centres in order.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ._checks import check_image, check_int, shape_str
from .modules.hard import glimpse_boxes

__all__ = ["GLIMPSE_COLOURS", "draw_glimpses", "show_glimpses"]

#: One colour per step (Okabe & Ito 2008), cycled after eight.
GLIMPSE_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#FFFFFF")


def _boxes(locations, image_shape, size: int, scales: int) -> np.ndarray:
    """locations ``(T, 2)`` → boxes ``(T, scales, 4)`` ``(top, left, height, width)`` in image pixels."""
    if not isinstance(locations, torch.Tensor) or locations.dim() != 2 or locations.shape[1] != 2:
        got = shape_str(locations.shape) if isinstance(locations, torch.Tensor) else type(locations).__name__
        raise ValueError(f"locations must be a tensor (T, 2) of (row, col) in [-1, 1], one row per step; got {got}")
    return glimpse_boxes(locations.float(), image_shape[:2], size, scales=scales).numpy()


def draw_glimpses(rgb: np.ndarray, locations: torch.Tensor, size: int, *, scales: int = 1, image_shape=None,
                  current: int | None = None) -> np.ndarray:
    """Paint numbered glimpse boxes into a copy of ``rgb`` ``(H, W, 3)`` uint8 → ``(H, W, 3)`` uint8.

    locations ``(T, 2)``; ``size``/``scales`` as in :func:`~attnlib.glimpse`; ``image_shape`` = the
    ``(H_img, W_img)`` the locations refer to when ``rgb`` is an enlarged copy (default: ``rgb``'s own);
    ``current``: the step (0-based) drawn thick, earlier steps thin, later steps not at all (default: all).
    """
    image_shape = rgb.shape[:2] if image_shape is None else image_shape
    boxes = _boxes(locations, image_shape, size, scales)
    last = len(boxes) - 1 if current is None else check_int(current, "current", minimum=0, maximum=len(boxes) - 1)
    zoom = rgb.shape[0] / image_shape[0], rgb.shape[1] / image_shape[1]
    picture = Image.fromarray(rgb)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(10, rgb.shape[0] // 14))
    centres = []
    for t in range(last + 1):
        colour = GLIMPSE_COLOURS[t % len(GLIMPSE_COLOURS)]
        thick = 3 if t == last else 1
        for s, (top, left, height, width) in enumerate(boxes[t]):
            corners = [left * zoom[1], top * zoom[0], (left + width) * zoom[1] - 1, (top + height) * zoom[0] - 1]
            draw.rectangle(corners, outline=colour, width=max(1, thick - s))
        top, left, height, width = boxes[t, 0]
        centres.append(((left + width / 2) * zoom[1], (top + height / 2) * zoom[0]))
    if len(centres) > 1:
        draw.line(centres, fill="#FFFFFF", width=1)
    for t, (x, y) in enumerate(centres):
        draw.text((x, y), str(t + 1), fill=GLIMPSE_COLOURS[t % len(GLIMPSE_COLOURS)], font=font, anchor="mm",
                  stroke_width=2, stroke_fill="#000000")
    return np.asarray(picture)


def show_glimpses(image, locations: torch.Tensor, size: int, *, scales: int = 1, ax=None, title=None,
                  fontsize: int = 12, target=None):
    """Draw a glimpse path on a matplotlib axis: image ``(H, W)`` (grey, uint8 or float 0–1) or ``(H, W, 3)``,
    locations ``(T, 2)``. Box ``t`` at scale ``s`` is drawn with :data:`GLIMPSE_COLOURS` ``[t]``, solid for the
    finest patch and dashed for coarser ones; numbers mark the steps. ``target``: an object's box
    ``(top, left, height, width)`` (e.g. the digit's), outlined white and dotted. Returns the axis."""
    import matplotlib.pyplot as plt
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    picture = check_image(image)
    boxes = _boxes(locations, picture.shape, size, scales)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    grey = picture if picture.ndim == 2 else picture.mean(-1)
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    outline = [patheffects.withStroke(linewidth=3, foreground="black")]
    if target is not None:
        top, left, height, width = (int(v) for v in target)
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor="white",
                               linewidth=1.5, linestyle=":"))
    centres = []
    for t, per_scale in enumerate(boxes):
        colour = GLIMPSE_COLOURS[t % len(GLIMPSE_COLOURS)]
        for s, (top, left, height, width) in enumerate(per_scale):
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=colour,
                                   linewidth=2 if s == 0 else 1, linestyle="-" if s == 0 else "--"))
        top, left, height, width = per_scale[0]
        centres.append((left - 0.5 + width / 2, top - 0.5 + height / 2))
    xs, ys = zip(*centres, strict=True)
    ax.plot(xs, ys, color="white", linewidth=1)
    for t, (x, y) in enumerate(centres):
        ax.text(x, y, str(t + 1), color=GLIMPSE_COLOURS[t % len(GLIMPSE_COLOURS)], fontsize=fontsize,
                ha="center", va="center", fontweight="bold", path_effects=outline)
    ax.set_xlim(-0.5, grey.shape[1] - 0.5)
    ax.set_ylim(grey.shape[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=fontsize)
    return ax
