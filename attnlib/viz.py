"""2-D maps → pictures.

The recipe's last steps: **normalise** the ``(h, w)`` map to [0, 1] (on the small map, so the colour bar
shows the map's own values), **upsample** it to the image's ``(H_img, W_img)``, **colour** it with a
colormap, and **blend** it over a grey copy of the image.

- :class:`Painter`: those steps as a frame pipeline. What depends only on the image (the resized grey
  copy, the colour table) is prepared once; each call paints one map. :meth:`Painter.frame` adds the
  query marker, :func:`encode` turns a frame into image-file bytes. The live explorer makes one call
  per move; :func:`overlay` is a one-shot painter.
- :func:`show_map` / :func:`show_maps`: one overlay / a grid of overlays on matplotlib axes, with the
  query marked and named in the title, a (labelled) colour bar, optionally a mass contour.
- :func:`show_gate`: a gate's weights (SE, CBAM's spatial gate, an input mask) over the image: no query,
  always on the fixed range 0–1, an optional box outlined.
- :func:`mark_query`: the query marker on any ``imshow``-ed image; :func:`save_figure`: export to PNG.

Images are ``(H, W, 3)`` or ``(H, W)`` arrays, uint8 0–255 or float 0–1.

**Drawing options** (the same keywords in :func:`overlay`, :class:`Painter`, :func:`show_map`,
:func:`show_maps` and :class:`~attnlib.AttentionExplorer`):

- ``cmap``: a matplotlib colormap name (default ``"inferno"``: dark = little weight, bright = much);
- ``opacity``: how much of the map covers the image, in [0, 1] (0 = image only, 1 = map only; default
  0.6, which keeps both visible). In the course's formulas α is the attention weights, so the blend is
  never called alpha;
- ``normalize``: which values become the colormap's bottom and top: ``"minmax"`` (the map's own min and
  max: fills the colormap even for noise), ``"none"`` (0 and 1, the absolute weight scale),
  ``"percentile"`` (1st to 99th) or a fixed range ``(lo, hi)`` (values outside are clipped): give
  several maps one ``(lo, hi)`` to compare them on one scale;
- ``upsample``: ``"bilinear"`` (smooth) or ``"nearest"`` (one block per feature-map cell: the honest
  resolution);
- ``grey``: draw over a grey copy of the image (the mean of its channels), so the map's colours are the
  only colours in the picture (default True).
"""

from __future__ import annotations

import functools
import io
import math
from numbers import Real
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from ._checks import cell_centre, check_grid, check_hw, check_image, check_image_shape, check_int, shape_str
from .data import resize_image
from .maps import mass_region

__all__ = ["Painter", "overlay", "encode", "show_map", "show_maps", "show_gate", "mark_query", "save_figure"]

#: How ``normalize`` may map values to [0, 1] before colouring (or give a fixed ``(lo, hi)``).
NORMALIZE = ("minmax", "none", "percentile")
#: How ``upsample`` may enlarge the map to the image: PIL resampling filters. Enlarging with PIL's
#: bilinear filter gives the same values as torch's ``F.interpolate(mode="bilinear")``; we use PIL
#: because it runs on one thread (fast in a busy kernel) and smooths properly when shrinking.
UPSAMPLE = {"bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST}


# ----------------------------------------------------------------------------- argument checks


def _as_array(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch.Tensor; got {type(x).__name__}")
    return x


def _image_to_rgb(image) -> np.ndarray:
    """An ``(H, W)`` or ``(H, W, 3)`` image, uint8 0–255 or float 0–1 → float32 ``(H, W, 3)`` in [0, 1]."""
    rgb = check_image(_as_array(image, "image"))
    return np.repeat(rgb[..., None], 3, axis=-1) if rgb.ndim == 2 else rgb


def _map_to_array(attn_map) -> np.ndarray:
    """A 2-D attention map (tensor or array) ``(h, w)`` → float32 numpy, rejecting NaN, ±inf, rows and matrices."""
    attn_map = _as_array(attn_map, "attn_map")
    take_a_row = "take one query's map first: attn_map = query_map(weights, query, grid)"
    if attn_map.ndim == 1:
        raise ValueError(
            f"attn_map must be one 2-D map (h, w); got a flat row {shape_str(attn_map.shape)}: {take_a_row}"
        )
    if attn_map.ndim != 2:
        raise ValueError(
            f"attn_map must be one 2-D map of shape (h, w); got {shape_str(attn_map.shape)} "
            "(pick a head first, e.g. maps[head])"
        )
    if attn_map.size == 0:
        raise ValueError(f"attn_map is empty: shape {shape_str(attn_map.shape)}")
    attn_map = attn_map.astype(np.float32)
    if not np.isfinite(attn_map).all():
        n = int((~np.isfinite(attn_map)).sum())
        raise ValueError(f"attn_map contains {n} NaN/inf value(s); there is nothing honest to draw")
    n, m = attn_map.shape
    if n == m > 1 and attn_map.min() >= 0 and np.allclose(attn_map.sum(axis=-1), 1.0, atol=1e-3):
        raise ValueError(
            f"attn_map {shape_str(attn_map.shape)} looks like a whole weight matrix (every row sums to 1), "
            f"not one query's map (which sums to 1 in total): {take_a_row}"
        )
    return attn_map


def _choice(value, options, name: str):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}; got {value!r}")
    return value


def _colormap(cmap):
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be a matplotlib colormap name, e.g. 'inferno'; got {cmap!r}")
    return matplotlib.colormaps[cmap]


def _normalize(normalize):
    """A name from NORMALIZE, or a fixed colour range ``(lo, hi)`` of two finite numbers, lo < hi."""
    if isinstance(normalize, str) and normalize in NORMALIZE:
        return normalize
    if isinstance(normalize, tuple | list) and len(normalize) == 2:
        lo, hi = normalize
        numbers = all(isinstance(v, Real) and not isinstance(v, bool) for v in (lo, hi))
        if numbers and math.isfinite(lo) and math.isfinite(hi) and lo < hi:
            return float(lo), float(hi)
    raise ValueError(
        f"normalize must be one of {NORMALIZE} or a colour range (lo, hi) of two finite numbers with "
        f"lo < hi, e.g. (0, 0.04) to share one scale between maps; got {normalize!r}"
    )


def _opacity(opacity) -> float:
    if isinstance(opacity, bool) or not isinstance(opacity, Real):
        raise TypeError(f"opacity must be a number in [0, 1] (0 = image only, 1 = map only); got {opacity!r}")
    if not 0 <= opacity <= 1:
        raise ValueError(f"opacity must be in [0, 1] (0 = image only, 1 = map only); got {opacity!r}")
    return float(opacity)


def _no_unknown_options(unknown: dict, where: str) -> None:
    """A helpful TypeError for a keyword this function does not take (``alpha`` above all)."""
    if not unknown:
        return
    name = next(iter(unknown))
    hint = (" The overlay's transparency is opacity= (in this course α is the attention weights)."
            if name == "alpha" else " Drawing options: cmap, opacity, normalize, upsample, grey.")
    raise TypeError(f"{where}() got an unexpected keyword argument {name!r}.{hint}")


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return value


def value_range(attn_map, normalize="minmax") -> tuple[float, float]:
    """The values drawn as the colormap's bottom and top, ``(lo, hi)``, for an ``(h, w)`` map.

    ``"minmax"``: the map's own min and max; ``"none"``: 0 and 1; ``"percentile"``: the 1st and 99th
    percentiles (one outlier cannot squash the rest); a pair ``(lo, hi)``: that fixed range.
    """
    normalize = _normalize(normalize)
    if isinstance(normalize, tuple):
        return normalize
    if normalize == "none":
        return 0.0, 1.0
    m = _map_to_array(attn_map)
    if normalize == "minmax":
        return float(m.min()), float(m.max())
    lo, hi = np.percentile(m, [1, 99])
    return float(lo), float(hi)


# ----------------------------------------------------------------------------- the query marker


@functools.cache
def _marker_stamp(radius: int) -> np.ndarray:
    """The query marker, drawn once per radius with PIL: a cyan cross in a black ring of outer radius
    ``radius`` pixels → an RGBA uint8 array ``(2·radius + 1, 2·radius + 1, 4)``, transparent around it.
    The one drawing of the marker: :meth:`Painter.frame` pastes it, :func:`mark_query` shows it on axes."""
    side = 2 * radius + 1
    stroke = 1 + 2 * (radius // 6)  # an odd width keeps the cross symmetric about its centre pixel
    arm = radius - stroke // 2  # the cross reaches the middle of the ring
    stamp = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(stamp)
    draw.ellipse((0, 0, side - 1, side - 1), outline=(0, 0, 0, 255), width=stroke)
    draw.line((radius - arm, radius, radius + arm, radius), fill=(0, 255, 255, 255), width=stroke)
    draw.line((radius, radius - arm, radius, radius + arm), fill=(0, 255, 255, 255), width=stroke)
    return np.asarray(stamp)


def marker_radius(image_height: int) -> int:
    """The marker's outer radius in pixels for an image ``image_height`` pixels high (7 px at 256)."""
    return max(4, round(image_height / 36))


def draw_marker(rgb: np.ndarray, query, grid, radius: int | None = None) -> np.ndarray:
    """A copy of ``rgb`` ``(H, W, 3)`` uint8 with the query marker on cell ``query = (row, col)`` of
    ``grid = (h, w)``, centred on the cell's centre (rounded to whole pixels); ``radius`` in pixels
    (default :func:`marker_radius` of the image's height)."""
    x, y = cell_centre(query, grid, rgb.shape)
    radius = marker_radius(rgb.shape[0]) if radius is None else check_int(radius, "radius", minimum=2)
    stamp = _marker_stamp(radius)
    radius = stamp.shape[0] // 2
    dy, dx = np.nonzero(stamp[..., 3])  # the marker's own pixels
    ys, xs = int(y + 0.5) + dy - radius, int(x + 0.5) + dx - radius
    inside = (ys >= 0) & (ys < rgb.shape[0]) & (xs >= 0) & (xs < rgb.shape[1])  # it may hang over the edge
    out = rgb.copy()
    out[ys[inside], xs[inside]] = stamp[dy[inside], dx[inside], :3]
    return out


def mark_query(ax, query, grid, image_shape):
    """Mark the query on an ``imshow``-ed image of ``image_shape = (H_img, W_img[, 3])``: the marker of
    :func:`draw_marker`, drawn sharp at any zoom, centred on cell ``query = (row, col)`` of
    ``grid = (h, w)``. Returns the marker's image artist."""
    x, y = cell_centre(query, grid, image_shape)
    height, _ = check_image_shape(image_shape)
    r = height * (1 / 36 + 1 / 512)  # the explorer's proportions (7.5 px at 256 px high), at any resolution
    limits = ax.get_xlim(), ax.get_ylim()
    marker = ax.imshow(_marker_stamp(24), extent=(x - r, x + r, y + r, y - r), interpolation="antialiased", zorder=5)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    return marker


# ----------------------------------------------------------------------------- the frame pipeline


def encode(rgb: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    """An ``(H, W, 3)`` uint8 array → the bytes of an image file in PIL's format ``fmt``.

    ``"BMP"`` for live frames (no compression: ~0.1 ms at 256×256, where PNG takes ~4 ms; they only
    travel from the kernel to your own browser), ``"PNG"`` or ``"JPEG"`` for pictures stored in a saved
    notebook; ``options`` go to PIL's ``save``, e.g. ``quality=85`` for JPEG.
    """
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **options)
    return buffer.getvalue()


class Painter:
    """Maps → frames over one image: the recipe's last steps with the image's part done once.

    image ``(H_img, W_img[, 3])`` uint8 or float; ``size``: draw ``size`` pixels high (the width keeps
    the aspect ratio), or None to keep the image's size; drawing options as in the module docstring.

    - ``painter.image``: the prepared image ``(H, W, 3)`` uint8 (resized; grey if ``grey``);
    - ``painter(attn_map)``: an ``(h, w)`` map → the overlay ``(H, W, 3)`` uint8,
      ``(1 - opacity) · image + opacity · cmap(normalised, upsampled map)``;
    - ``painter.frame(attn_map, query, grid)``: the overlay with the query marked;
    - ``painter.marked(query, grid)``: the image with the query marked.
    """

    def __init__(self, image, *, size=None, cmap="inferno", opacity=0.6, normalize="minmax", upsample="bilinear",
                 grey=True):
        rgb = _image_to_rgb(image)  # (H_img, W_img, 3) in [0, 1]
        if _flag(grey, "grey"):
            rgb = np.repeat(rgb.mean(axis=-1, keepdims=True), 3, axis=-1)
        if size is not None:
            height = check_int(size, "size", minimum=8, what=" (the drawn height in pixels)")
            width = max(1, round(height * rgb.shape[1] / rgb.shape[0]))
            rgb = np.rint(resize_image(rgb, (height, width)) * 255) / 255  # what the uint8 frame will show
        self.image = np.rint(rgb * 255).astype(np.uint8)
        self.opacity = _opacity(opacity)
        self.normalize = _normalize(normalize)
        self.upsample = _choice(upsample, UPSAMPLE, "upsample")
        self.cmap = cmap
        colormap = _colormap(cmap)
        self.n_colors = colormap.N
        # the colormap as a table of N colours pre-multiplied by opacity; the image by 1 - opacity
        self.lut = (self.opacity * 255 * colormap(np.arange(colormap.N))[:, :3]).astype(np.float32)
        self.base = ((1 - self.opacity) * 255 * rgb).astype(np.float32)

    def __call__(self, attn_map) -> np.ndarray:
        m = _map_to_array(attn_map)
        lo, hi = value_range(m, self.normalize)
        scaled = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)  # a flat map gets the bottom colour
        height, width = self.image.shape[:2]
        big = np.asarray(Image.fromarray(scaled.astype(np.float32)).resize((width, height), UPSAMPLE[self.upsample]))
        # matplotlib's own lookup rule: value v → colour floor(v · N), clipped to [0, N - 1]
        index = (big * self.n_colors).clip(0, self.n_colors - 1).astype(np.intp)
        colour = np.take(self.lut, index, axis=0)  # (H, W, 3), like self.lut[index] but faster
        return (self.base + colour + 0.5).astype(np.uint8)  # + 0.5, then truncate: rounds

    def frame(self, attn_map, query, grid) -> np.ndarray:
        """The overlay of ``attn_map`` ``(h, w)`` with cell ``query = (row, col)`` of ``grid`` marked."""
        return draw_marker(self(attn_map), query, grid)

    def marked(self, query, grid) -> np.ndarray:
        """The prepared image ``(H, W, 3)`` uint8 with cell ``query = (row, col)`` of ``grid`` marked."""
        return draw_marker(self.image, query, grid)

    def colour_bar(self, width: int, height: int = 12) -> np.ndarray:
        """The colormap as a horizontal strip ``(height, width, 3)`` uint8, bottom colour on the left."""
        check_hw((height, width), "(height, width)")
        index = (np.arange(width) * self.n_colors // width).clip(0, self.n_colors - 1)
        strip = (self.lut[index] / max(self.opacity, 1e-6) + 0.5).clip(0, 255).astype(np.uint8)
        return np.repeat(strip[None], height, axis=0)


def overlay(image, attn_map, *, cmap="inferno", opacity=0.6, normalize="minmax", upsample="bilinear",
            grey=True, **unknown) -> np.ndarray:
    """Lay an attention map over an image: normalise → upsample → colour → blend.

    image ``(H_img, W_img, 3)`` or ``(H_img, W_img)``, uint8 or float in [0, 1]; attn_map ``(h, w)``
    (any grid size) → ``(H_img, W_img, 3)`` uint8 RGB equal to
    ``(1 - opacity) · grey image + opacity · cmap(normalised map)``. Options: see the module docstring.
    """
    _no_unknown_options(unknown, "overlay")
    return Painter(image, cmap=cmap, opacity=opacity, normalize=normalize, upsample=upsample, grey=grey)(attn_map)


# ----------------------------------------------------------------------------- matplotlib figures


def _outline_cells(ax, inside, image_shape, *, samples: int = 8, color="white", linewidth=1.5):
    """Outline a set of feature-map cells along the cells' edges on an ``imshow``-ed image.

    inside ``(h, w)`` bool (True = in the set, e.g. from :func:`attnlib.mass_region`); image_shape
    ``(H_img, W_img[, 3])``. Each cell becomes ``samples × samples`` points and the mask gets a
    one-point False border, so the contour runs exactly along cell edges (corners cut by
    1/(2·samples) of a cell) and closes along the image border. Returns the ContourSet.
    """
    inside = _as_array(inside, "inside")
    if inside.ndim != 2 or inside.dtype != bool:
        raise ValueError(f"inside must be a bool array of shape (h, w); got {inside.dtype} {shape_str(inside.shape)}")
    check_int(samples, "samples", minimum=2, what=" (points per cell side)")
    (h, w), (height, width) = inside.shape, check_image_shape(image_shape)
    fine = np.pad(np.kron(inside, np.ones((samples, samples))), 1)  # (h·s + 2, w·s + 2), False border
    # point centres in imshow coordinates (the image spans -0.5 … W_img - 0.5): the 0.5 level lies
    # half-way between an inside and an outside point, i.e. on the cell edge or on the image border
    xs = (np.arange(-1, w * samples + 1) + 0.5) * width / (w * samples) - 0.5
    ys = (np.arange(-1, h * samples + 1) + 0.5) * height / (h * samples) - 0.5
    contours = ax.contour(xs, ys, fine, levels=[0.5], colors=color, linewidths=linewidth)
    contours.set_clip_on(False)  # a border segment sits on the image edge: draw all of its width
    return contours


#: How much ``show_map(..., dim_outside=True)`` darkens the cells outside the mass region:
#: a black layer of this opacity (0.7 keeps 30 % of their brightness).
_DIM = 0.7


def _cells_to_pixels(cells: np.ndarray, image_shape) -> np.ndarray:
    """A per-cell mask ``(h, w)`` → the same mask per image pixel ``(H_img, W_img)``: pixel ``(y, x)``
    belongs to cell ``(⌊(y + ½)·h / H_img⌋, ⌊(x + ½)·w / W_img⌋)``, the cell under its centre."""
    (h, w), (height, width) = cells.shape, image_shape[:2]
    rows = ((np.arange(height) + 0.5) * h / height).astype(np.intp)  # (H_img,): the cell row of each pixel row
    cols = ((np.arange(width) + 0.5) * w / width).astype(np.intp)  # (W_img,)
    return cells[np.ix_(rows, cols)]


def _picture(image, m: np.ndarray, query, grid, ax, *, mass, dim_outside, **style) -> np.ndarray:
    """Drawing: the overlay of map ``m`` ``(h, w)`` on ``ax``, cells outside the mass region dimmed if asked,
    the query marked and the mass region outlined → the drawn ``(H_img, W_img, 3)`` uint8 picture."""
    rgb = overlay(image, m, **style)
    inside = None if mass is None else mass_region(torch.from_numpy(m), mass).numpy()  # (h, w) bool
    if dim_outside:
        outside = _cells_to_pixels(~inside, rgb.shape)  # (H_img, W_img) bool
        rgb[outside] = ((1 - _DIM) * rgb[outside] + 0.5).astype(np.uint8)  # a black layer of opacity _DIM
    ax.imshow(rgb)
    if query is not None:  # None: a class token's map, which has no cell to mark
        mark_query(ax, query, grid, rgb.shape)
    if inside is not None and inside.any():
        _outline_cells(ax, inside, rgb.shape)
    ax.set_axis_off()
    return rgb


def _decorate(ax, m, query, *, title, mass, dim_outside, colorbar, colorbar_label, fontsize, cmap, normalize):
    """Decoration: the title (always naming the query), the mass note, and the colour bar."""
    where = "query: class token" if query is None else f"query ({int(query[0])}, {int(query[1])})"
    text = where if title is None else f"{title} · {where}"
    if mass is not None:
        text += f"\ncontour: {mass:.0%} of the attention" + (", rest dimmed" if dim_outside else "")
    ax.set_title(text, fontsize=fontsize)
    if colorbar:
        lo, hi = value_range(m, normalize)
        norm = matplotlib.colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1e-12)
        bar = ax.figure.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=_colormap(cmap)), ax=ax,
                                 fraction=0.046, pad=0.03)
        bar.ax.tick_params(labelsize=fontsize - 2)
        if colorbar_label is not None:
            bar.set_label(colorbar_label, fontsize=fontsize - 1)


def _check_decoration(title, colorbar, colorbar_label, mass, dim_outside, fontsize) -> None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None; got {type(title).__name__}")
    _flag(colorbar, "colorbar")
    if colorbar_label is not None:
        if not isinstance(colorbar_label, str):
            raise TypeError(f"colorbar_label must be a string such as 'attention weight'; got {colorbar_label!r}")
        if not colorbar:
            raise ValueError("colorbar_label labels the colour bar, but colorbar=False draws none; drop one of them")
    if _flag(dim_outside, "dim_outside") and mass is None:
        raise ValueError("dim_outside=True darkens the cells outside the mass region: pass mass=, e.g. mass=0.6")
    if isinstance(fontsize, bool) or not isinstance(fontsize, Real) or not 6 <= fontsize <= 40:
        raise ValueError(f"fontsize must be a number of points in [6, 40] (12 reads on a projector); got {fontsize!r}")


def show_map(image, attn_map, query, *, ax=None, title=None, grid=None, colorbar=True, colorbar_label=None,
             mass=None, dim_outside=False, fontsize=12, cmap="inferno", opacity=0.6, normalize="minmax",
             upsample="bilinear", grey=True, **unknown):
    """Draw one overlay on ``ax`` (a new figure if None) with the query pixel marked → the axes.

    image ``(H_img, W_img[, 3])``; attn_map ``(h, w)``, one query's map (from :func:`attnlib.query_map`);
    ``query = (row, col)`` on ``grid`` (None for a class token's map: nothing marked, the title says so), the grid
    the queries live on (default: the map's own ``(h, w)``;
    give it when the keys sit on a coarser grid, e.g. 2×2-pooled keys: a 4 × 4 map with ``grid=(8, 8)``
    is drawn on its 4 × 4 cells and the query marked at its own 8 × 8 cell).

    Decoration: the title always states the query (your ``title`` comes first), in ``fontsize`` points;
    ``colorbar`` shows which values the colours stand for, ``colorbar_label`` names them; ``mass``
    (e.g. 0.6) outlines, along cell edges, the smallest set of cells holding that share of the attention
    (:func:`attnlib.mass_region`) and ``dim_outside=True`` darkens the cells outside it. Drawing options
    (``cmap``, ``opacity``, ``normalize``, ``upsample``, ``grey``): see the module docstring; a shared
    ``normalize=(lo, hi)`` also fixes the colour bar's range.
    """
    import matplotlib.pyplot as plt

    _no_unknown_options(unknown, "show_map")
    m = _map_to_array(attn_map)
    grid = m.shape if grid is None else check_grid(grid)
    _check_decoration(title, colorbar, colorbar_label, mass, dim_outside, fontsize)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4), dpi=80)
    style = dict(cmap=cmap, opacity=opacity, normalize=normalize, upsample=upsample, grey=grey)
    _picture(image, m, query, grid, ax, mass=mass, dim_outside=dim_outside, **style)
    _decorate(ax, m, query, title=title, mass=mass, dim_outside=dim_outside, colorbar=colorbar,
              colorbar_label=colorbar_label, fontsize=fontsize, cmap=cmap, normalize=normalize)
    return ax


def _check_box(box, image_shape) -> tuple[int, int, int, int]:
    """``box = (top, left, height, width)`` in image pixels, inside an image of ``image_shape``."""
    try:
        top, left, height, width = (int(v) for v in box)
    except (TypeError, ValueError):
        raise TypeError(f"box must be (top, left, height, width), four ints in image pixels; got {box!r}") from None
    rows, cols = image_shape[:2]
    if height < 1 or width < 1 or top < 0 or left < 0 or top + height > rows or left + width > cols:
        raise ValueError(f"box (top, left, height, width) = {(top, left, height, width)} must lie inside the "
                         f"{rows}×{cols} image")
    return top, left, height, width


def show_gate(image, weights, *, ax=None, title=None, box=None, colorbar=True, colorbar_label=None,
              fontsize=12, cmap="inferno", opacity=0.6, upsample="nearest", grey=True, **unknown):
    """Draw a gate's weights over the image, always on the fixed colour range 0–1 → the axes.

    image ``(H_img, W_img[, 3])``; weights ``(h, w)``, each in [0, 1]: a spatial gate or an input mask for
    one picture. A gate has **no query** (one map per picture, not one per query pixel), and its weights
    do not sum to 1: each is its own dial from 0 (closed) to 1 (open), so the colours span exactly 0 to 1
    (min–max would make a gate that is open everywhere look as selective as one that is not).
    ``box = (top, left, height, width)`` in image pixels outlines a region (e.g. the digit) in white
    with a thin black edge (readable on dark and bright cells alike).
    The colour bar is labelled ``colorbar_label`` (default "gate weight"). Drawing options as
    :func:`show_map` except ``normalize`` (default ``upsample="nearest"``: the gate's own cells).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if "normalize" in unknown:
        raise TypeError("show_gate() takes no normalize: a gate is always drawn on the fixed range 0–1")
    _no_unknown_options(unknown, "show_gate")
    m = _map_to_array(weights)
    if m.min() < 0 or m.max() > 1:
        raise ValueError(f"weights must be gate values in [0, 1]; got values in [{m.min():.3g}, {m.max():.3g}] "
                         "(attention weights for one query go to show_map)")
    _check_decoration(title, colorbar, colorbar_label, None, False, fontsize)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4), dpi=80)
    rgb = overlay(image, m, cmap=cmap, opacity=opacity, normalize=(0.0, 1.0), upsample=upsample, grey=grey)
    ax.imshow(rgb)
    ax.set_axis_off()
    if box is not None:
        top, left, height, width = _check_box(box, rgb.shape)
        for colour, lw in (("black", 3.0), ("white", 1.5)):  # white on a black edge: readable on any colour
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False, edgecolor=colour, linewidth=lw))
    ax.set_title("gate weights, range 0–1" if title is None else title, fontsize=fontsize)
    if colorbar:
        norm = matplotlib.colors.Normalize(vmin=0.0, vmax=1.0)
        bar = ax.figure.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=_colormap(cmap)), ax=ax,
                                 fraction=0.046, pad=0.03)
        bar.ax.tick_params(labelsize=fontsize - 2)
        bar.set_label("gate weight" if colorbar_label is None else colorbar_label, fontsize=fontsize - 1)
    return ax


def _is_cell(x) -> bool:
    return isinstance(x, tuple | list) and len(x) == 2 and all(np.ndim(c) == 0 for c in x)


def show_maps(image, maps, queries, *, titles=None, ncols=None, figsize=None, **kw):
    """A grid of overlays, e.g. one per head or one per query → the matplotlib Figure.

    ``maps``: a sequence of ``(h, w)`` maps or an ``(n, h, w)`` tensor/array; ``queries``: one
    ``(row, col)`` for all maps or a sequence of ``n`` of them (None: class-token maps); ``titles``: ``n``
    strings or None (each title gets its query pixel appended); ``ncols`` defaults to ``min(n, 4)``; ``figsize``
    ``(width, height)`` in inches (default 3.4 × 3.4 per panel); other keyword
    arguments (``normalize``, ``colorbar_label``, ``grid``, ``mass``, ``fontsize``, …) go to
    :func:`show_map`, the same for every map.
    """
    import matplotlib.pyplot as plt

    if isinstance(maps, torch.Tensor | np.ndarray):
        if maps.ndim != 3:
            raise ValueError(f"maps must be (n, h, w) or a list of (h, w) maps; got {shape_str(maps.shape)}")
        maps = list(maps)
    maps = list(maps)
    n = len(maps)
    if n == 0:
        raise ValueError("maps is empty; pass at least one (h, w) map")
    if queries is None or _is_cell(queries):
        queries = [queries] * n
    queries = list(queries)
    if len(queries) != n or not all(q is None or _is_cell(q) for q in queries):
        raise ValueError(f"queries must be one (row, col) or {n} of them (one per map); got {queries!r}")
    if titles is not None and (isinstance(titles, str) or len(titles) != n):
        raise ValueError(f"titles must be None or a sequence of {n} strings (one per map); got {titles!r}")
    ncols = min(n, 4) if ncols is None else check_int(ncols, "ncols", minimum=1)
    nrows = -(-n // ncols)
    figsize = (3.4 * ncols, 3.4 * nrows) if figsize is None else figsize
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, dpi=80, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_map(image, maps[i], queries[i], ax=ax, title=None if titles is None else titles[i], **kw)
        else:
            ax.set_axis_off()
    fig.tight_layout()
    return fig


def save_figure(fig, path, dpi: int = 100) -> Path:
    """Export a matplotlib figure to a PNG file at ``path`` (its folder must exist) → the Path."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. from show_maps); got {type(fig).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must end in .png (save_figure exports PNG); got {str(path)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"the folder of path does not exist: {str(path.parent)!r}")
    dpi = check_int(dpi, "dpi", minimum=1)
    fig.savefig(path, dpi=dpi, format="png", bbox_inches="tight")
    return path
