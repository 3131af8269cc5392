"""2-D maps → pictures.

The recipe's last steps: **normalise** the ``(h, w)`` map to [0, 1] (on the small map, so the
colour bar shows the map's own values), **upsample** it to the image's ``(H_img, W_img)``,
**colour** it with a colormap, and **blend** it over the image.

- :func:`overlay`: all four steps → an ``(H_img, W_img, 3)`` uint8 RGB array.
- :func:`show_map` / :func:`show_maps`: one overlay / a grid of overlays on matplotlib axes, each
  with its query pixel marked and named in the title, a (labelled) colorbar, optionally a mass
  contour with the cells outside it dimmed, and the query on a finer grid than the map's keys.
- :func:`mark_query`: the query marker; :func:`save_figure`: export a figure to PNG.

Images are ``(H, W, 3)`` or ``(H, W)`` arrays, uint8 0–255 or float 0–1.
"""

from __future__ import annotations

import math
from numbers import Real
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from ._checks import cell_centre, check_grid, check_image, shape_str
from .maps import mass_region

__all__ = ["overlay", "show_map", "show_maps", "mark_query", "save_figure", "NORMALIZE", "UPSAMPLE"]

#: How :func:`overlay` maps values to [0, 1] before colouring.
NORMALIZE = ("minmax", "none", "percentile")
#: How :func:`overlay` enlarges the map to the image: PIL resampling filters. Enlarging with PIL's
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
    """A 2-D attention map (tensor or array) ``(h, w)`` → float32 numpy, rejecting NaN and ±inf."""
    attn_map = _as_array(attn_map, "attn_map")
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
    return attn_map


def _colormap(cmap: str):
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap must be a matplotlib colormap name, e.g. 'inferno'; got {cmap!r}")
    return matplotlib.colormaps[cmap]


def _choice(value, options, name: str):
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}; got {value!r}")
    return value


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


def _alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1] (0 = image only, 1 = map only); got {alpha!r}")
    return float(alpha)


# ----------------------------------------------------------------------------- the recipe, step by step


def _value_range(attn_map: np.ndarray, normalize) -> tuple[float, float]:
    """The values drawn as the colormap's bottom and top: (lo, hi).

    ``"minmax"``: the map's own min and max (always fills the whole colormap, even for noise);
    ``"none"``: 0 and 1, the absolute weight scale; ``"percentile"``: 1st and 99th percentiles
    (one outlier cannot squash the rest); a pair ``(lo, hi)``: that fixed range.
    """
    normalize = _normalize(normalize)
    if isinstance(normalize, tuple):
        return normalize
    if normalize == "none":
        return 0.0, 1.0
    if normalize == "minmax":
        return float(attn_map.min()), float(attn_map.max())
    lo, hi = np.percentile(attn_map, [1, 99])
    return float(lo), float(hi)


class _Painter:
    """``overlay`` split into what depends on the image (computed once) and what depends on the map.

    The live explorer keeps one painter and calls it on every move, so the image conversion and
    the colormap table are not recomputed.
    """

    def __init__(self, image, *, cmap="inferno", alpha=0.5, normalize="minmax", upsample="bilinear"):
        self.rgb = _image_to_rgb(image)  # (H_img, W_img, 3) in [0, 1]
        self.alpha = _alpha(alpha)
        self.normalize = _normalize(normalize)
        self.mode = UPSAMPLE[_choice(upsample, UPSAMPLE, "upsample")]
        colormap = _colormap(cmap)
        self.n_colors = colormap.N
        # the colormap as a table of N colours, pre-multiplied by alpha; the image pre-multiplied by 1 - alpha
        self.lut = (self.alpha * 255 * colormap(np.arange(colormap.N))[:, :3]).astype(np.float32)
        self.base = ((1 - self.alpha) * 255 * self.rgb).astype(np.float32)

    def __call__(self, attn_map) -> np.ndarray:
        m = _map_to_array(attn_map)
        lo, hi = _value_range(m, self.normalize)
        scaled = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)  # a flat map gets the bottom colour
        height, width = self.rgb.shape[:2]
        big = np.asarray(Image.fromarray(scaled.astype(np.float32)).resize((width, height), self.mode))
        # matplotlib's own lookup rule: value v → colour floor(v · N), clipped to [0, N - 1]
        index = (big * self.n_colors).clip(0, self.n_colors - 1).astype(np.intp)
        colour = np.take(self.lut, index, axis=0)  # (H_img, W_img, 3), like self.lut[index] but faster
        return (self.base + colour + 0.5).astype(np.uint8)  # + 0.5, then truncate: rounds


def overlay(
    image, attn_map, *, cmap="inferno", alpha=0.5, normalize="minmax", upsample="bilinear"
) -> np.ndarray:
    """Lay an attention map over an image: normalise → upsample → colour → blend.

    image ``(H_img, W_img, 3)`` or ``(H_img, W_img)``, uint8 or float in [0, 1]; attn_map ``(h, w)``
    (any grid size) → ``(H_img, W_img, 3)`` uint8 RGB equal to
    ``(1 - alpha) · image + alpha · cmap(normalised map)``.

    ``normalize``: ``"minmax"`` (the map's own min and max: fills the colormap even for noise),
    ``"none"`` (values drawn as they are, 0 → bottom colour, 1 → top), ``"percentile"`` (1st to 99th),
    or a fixed range ``(lo, hi)`` (lo → bottom colour, hi → top, values outside clipped): give
    several maps the same ``(lo, hi)`` to compare them on one scale;
    ``upsample``: ``"bilinear"`` (smooth) or ``"nearest"`` (one block per feature-map cell, the
    honest resolution); ``cmap``: any matplotlib colormap name.
    """
    return _Painter(image, cmap=cmap, alpha=alpha, normalize=normalize, upsample=upsample)(attn_map)


# ----------------------------------------------------------------------------- matplotlib figures


def mark_query(ax, query, grid, image_shape):
    """Mark the query pixel on an ``imshow``-ed image: a cyan cross in a black ring at the centre of
    the query's feature-map cell, converted to image coordinates. Returns the marker artist."""
    x, y = cell_centre(query, grid, image_shape)
    ax.plot(x, y, marker="o", markersize=13, markerfacecolor="none", markeredgecolor="k", markeredgewidth=3)
    (marker,) = ax.plot(x, y, marker="+", markersize=13, color="cyan", markeredgewidth=2.2)
    return marker


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
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise ValueError(f"samples must be an int >= 2 (points per cell side); got {samples!r}")
    if not isinstance(image_shape, tuple | list) or len(image_shape) < 2:
        raise ValueError(f"image_shape must be (H_img, W_img[, 3]); got {image_shape!r}")
    (h, w), (height, width) = inside.shape, (int(image_shape[0]), int(image_shape[1]))
    fine = np.pad(np.kron(inside, np.ones((samples, samples))), 1)  # (h·s + 2, w·s + 2), False border
    # point centres in imshow coordinates (the image spans -0.5 … W_img - 0.5): the 0.5 level lies
    # half-way between an inside and an outside point, i.e. on the cell edge or on the image border
    xs = (np.arange(-1, w * samples + 1) + 0.5) * width / (w * samples) - 0.5
    ys = (np.arange(-1, h * samples + 1) + 0.5) * height / (h * samples) - 0.5
    contours = ax.contour(xs, ys, fine, levels=[0.5], colors=color, linewidths=linewidth)
    contours.set_clip_on(False)  # a border segment sits on the image edge: draw all of its width
    return contours


def _query_title(title, query) -> str:
    where = f"query ({int(query[0])}, {int(query[1])})"
    return where if title is None else f"{title} · {where}"


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


def _colorbar_label(colorbar_label, colorbar):
    if colorbar_label is None:
        return None
    if not isinstance(colorbar_label, str):
        raise TypeError(f"colorbar_label must be a string such as 'attention weight'; got {colorbar_label!r}")
    if not colorbar:
        raise ValueError("colorbar_label labels the colour bar, but colorbar=False draws none; drop one of them")
    return colorbar_label


def _dim_outside(dim_outside, mass) -> bool:
    if not isinstance(dim_outside, bool):
        raise TypeError(f"dim_outside must be True or False; got {dim_outside!r}")
    if dim_outside and mass is None:
        raise ValueError("dim_outside=True darkens the cells outside the mass region: pass mass=, e.g. mass=0.6")
    return dim_outside


def show_map(
    image,
    attn_map,
    query,
    *,
    ax=None,
    title=None,
    cmap="inferno",
    alpha=0.5,
    normalize="minmax",
    colorbar=True,
    mass=None,
    upsample="bilinear",
    colorbar_label=None,
    grid=None,
    dim_outside=False,
):
    """Draw one overlay on ``ax`` (a new figure if None) with the query pixel marked.

    image ``(H_img, W_img[, 3])``; attn_map ``(h, w)``; ``query = (row, col)`` on ``grid``, the
    ``(H, W)`` grid the queries live on (default: the map's own ``(h, w)``). Give ``grid`` when the
    keys sit on another grid than the queries, e.g. 2×2-pooled keys: an ``(h, w) = (4, 4)`` map with
    ``grid=(8, 8)`` is drawn on its 4 × 4 cells and the query marked at its own 8 × 8 cell.
    The title always states the query pixel (your ``title`` comes first). ``colorbar`` shows which
    values the colours stand for, ``colorbar_label`` names them (e.g. ``"attention weight"``);
    ``mass`` (e.g. 0.6) outlines, along cell edges, the smallest set of cells holding that share of
    the attention (:func:`attnlib.mass_region`), and ``dim_outside=True`` also darkens the cells
    outside it; ``normalize`` and ``upsample`` as in :func:`overlay` (a shared ``(lo, hi)`` also
    fixes the colour bar's range). Returns the axes.
    """
    import matplotlib.pyplot as plt


    m = _map_to_array(attn_map)
    grid = m.shape if grid is None else check_grid(grid)
    colorbar_label = _colorbar_label(colorbar_label, colorbar)
    dim_outside = _dim_outside(dim_outside, mass)
    rgb = overlay(image, m, cmap=cmap, alpha=alpha, normalize=normalize, upsample=upsample)
    inside = None if mass is None else mass_region(torch.from_numpy(m), mass).numpy()  # (h, w) bool
    if dim_outside:
        outside = _cells_to_pixels(~inside, rgb.shape)  # (H_img, W_img) bool
        rgb[outside] = ((1 - _DIM) * rgb[outside] + 0.5).astype(np.uint8)  # a black layer of opacity _DIM
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4), dpi=80)
    ax.imshow(rgb)
    mark_query(ax, query, grid, rgb.shape)
    text = _query_title(title, query)
    if mass is not None:
        if inside.any():
            _outline_cells(ax, inside, rgb.shape)
        text += f"\ncontour: {mass:.0%} of the attention" + (", rest dimmed" if dim_outside else "")
    ax.set_title(text, fontsize=9)
    ax.set_axis_off()
    if colorbar:
        lo, hi = _value_range(m, normalize)
        norm = matplotlib.colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1e-12)
        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=_colormap(cmap))
        ax.figure.colorbar(sm, ax=ax, fraction=0.046, pad=0.03, label=colorbar_label)
    return ax


def _is_cell(x) -> bool:
    return isinstance(x, tuple | list) and len(x) == 2 and all(np.ndim(c) == 0 for c in x)


def show_maps(image, maps, queries, *, titles=None, ncols=None, **kw):
    """A grid of overlays, e.g. one per head or one per query → the matplotlib Figure.

    ``maps``: a sequence of ``(h, w)`` maps or an ``(n, h, w)`` tensor/array; ``queries``: one
    ``(row, col)`` for all maps or a sequence of ``n`` of them; ``titles``: ``n`` strings or None
    (each title gets its query pixel appended); ``ncols`` defaults to ``min(n, 4)``; other keyword
    arguments (``normalize``, ``colorbar_label``, ``grid``, ``mass``, ...) go to :func:`show_map`,
    the same for every map.
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
    if _is_cell(queries):
        queries = [queries] * n
    queries = list(queries)
    if len(queries) != n or not all(_is_cell(q) for q in queries):
        raise ValueError(f"queries must be one (row, col) or {n} of them (one per map); got {queries!r}")
    if titles is not None and (isinstance(titles, str) or len(titles) != n):
        raise ValueError(f"titles must be None or a sequence of {n} strings (one per map); got {titles!r}")
    if ncols is None:
        ncols = min(n, 4)
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int; got {ncols!r}")
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 3.2 * nrows), dpi=80, squeeze=False)
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
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi < 1:
        raise ValueError(f"dpi must be a positive int; got {dpi!r}")
    fig.savefig(path, dpi=dpi, format="png", bbox_inches="tight")
    return path
