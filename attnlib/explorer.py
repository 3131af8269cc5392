"""The live explorer: pick a query pixel (sliders or a click) and see where it looks.

Each move runs the whole recipe once: query → :func:`~attnlib.query_map` → overlay → image bytes →
``ipywidgets.Image``. Nothing per move re-creates a matplotlib figure; what does not change between
moves (the resized image, the colormap table) is computed once, in the constructor, and the
frames are sent as uncompressed BMP images encoded by PIL (~0.1 ms at 256×256, where even PIL's
fastest PNG takes ~4 ms): they only travel from the kernel to your own browser.

Public state, updated synchronously by :meth:`AttentionExplorer.select` and by every slider move:
``.query`` (``(row, col)``), ``.layer`` / ``.head`` (``None`` when the weights have no such dim)
and ``.picture`` (the ``(H, W, 3)`` uint8 overlay now shown, query marked).
"""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import numpy as np
import torch
from ipyevents import Event
from PIL import Image, ImageDraw, ImageFont

from .attention import softmax
from .data import resize_image
from .maps import _cell, _grid, _prefix, query_map
from .viz import _image_to_rgb, _Painter

__all__ = ["AttentionExplorer"]


def _frame(rgb: np.ndarray) -> bytes:
    """An ``(H, W, 3)`` uint8 array → BMP bytes for a live ``ipywidgets.Image`` (fast: no compression)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="BMP")
    return buffer.getvalue()


def _png_small(rgb: np.ndarray) -> bytes:
    """PIL's well-compressed PNG, for the picture stored in a saved notebook."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _jpeg_small(rgb: np.ndarray) -> bytes:
    """JPEG (quality 85), for a photo-like still picture in a saved notebook: ~5× smaller than PNG."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _draw_cross(rgb: np.ndarray, x: int, y: int, arm: int) -> np.ndarray:
    """A copy of ``rgb`` with a cyan cross outlined in black, centred on pixel ``(x, y)``."""
    out = rgb.copy()
    for colour, half in (((0, 0, 0), 2), ((0, 255, 255), 0)):
        reach = arm + half
        out[max(y - half, 0) : y + half + 1, max(x - reach, 0) : x + reach + 1] = colour
        out[max(y - reach, 0) : y + reach + 1, max(x - half, 0) : x + half + 1] = colour
    return out


class AttentionExplorer(widgets.VBox):
    """Row/col sliders, a layer/head selector and click-to-select over one image's attention.

    image ``(H_img, W_img[, 3])`` uint8 or float; ``weights`` ``(..., N_all, N_all)`` with at most
    two leading dims (``(heads, N, N)`` or ``(layers, heads, N, N)``) or a ``row_fn(index) → (..., N_all)``
    (see :func:`~attnlib.lazy_rows`); ``grid = (H, W)`` of the feature map; ``prefix`` leading
    non-spatial tokens. The image is drawn ``size`` pixels high. ``cmap``, ``alpha``, ``normalize``,
    ``upsample`` are as in :func:`~attnlib.overlay`.

    Widgets carry CSS classes for browser tests: ``attn-explorer-image`` (click here),
    ``attn-explorer-overlay``, ``attn-explorer-row``, ``attn-explorer-col``, ``attn-explorer-layer``,
    ``attn-explorer-head``, ``attn-explorer-readout``.
    """

    def __init__(
        self,
        image,
        weights,
        grid,
        *,
        prefix: int = 0,
        query=None,
        size: int = 256,
        cmap: str = "inferno",
        alpha: float = 0.5,
        normalize: str = "minmax",
        upsample: str = "bilinear",
    ):
        super().__init__()
        self.grid = _grid(grid)
        self.prefix = _prefix(prefix)
        h, w = self.grid
        query = (h // 2, w // 2) if query is None else _cell(query, self.grid, "query")
        if isinstance(size, bool) or not isinstance(size, int) or size < 8:
            raise ValueError(f"size must be an int >= 8 (the drawn height in pixels); got {size!r}")
        self.weights = weights
        leading = query_map(weights, query, self.grid, prefix=self.prefix).shape[:-2]  # also checks weights
        if len(leading) > 2:
            raise ValueError(
                f"weights may have at most two leading dims (layers, heads) before (N_all, N_all); "
                f"got leading dims {tuple(leading)}"
            )

        # computed once: the image at drawing size, and the painter (image and colormap tables)
        rgb = _image_to_rgb(image)
        width = max(1, round(size * rgb.shape[1] / rgb.shape[0]))
        rgb = resize_image(rgb, (size, width))
        self.image_rgb = np.rint(rgb * 255).astype(np.uint8)
        self._paint = _Painter(self.image_rgb, cmap=cmap, alpha=alpha, normalize=normalize, upsample=upsample)
        self._arm = max(4, round(0.6 * size / h))

        self.row_slider = self._slider("row", h, query[0], "attn-explorer-row")
        self.col_slider = self._slider("col", w, query[1], "attn-explorer-col")
        names = ["head"] if len(leading) == 1 else ["layer", "head"] if len(leading) == 2 else []
        self.selectors = {
            name: self._slider(name, n, 0, f"attn-explorer-{name}") for name, n in zip(names, leading, strict=True)
        }
        self.readout = widgets.HTML()
        self.readout.add_class("attn-explorer-readout")
        shape = {"width": f"{width}px", "height": f"{size}px"}
        self.image_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.image_widget.add_class("attn-explorer-image")
        self.overlay_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.overlay_widget.add_class("attn-explorer-overlay")
        self._click = Event(source=self.image_widget, watched_events=["click"])
        self._click.on_dom_event(self.handle_click)

        self._holding = False
        for slider in [self.row_slider, self.col_slider, *self.selectors.values()]:
            slider.observe(self._on_slider, names="value")
        self.children = [
            self.readout,
            widgets.HBox([self.image_widget, self.overlay_widget]),
            widgets.HBox([self.row_slider, self.col_slider]),
            widgets.HBox(list(self.selectors.values())),
        ]
        self._redraw()

    def _slider(self, name: str, n: int, value: int, css: str) -> widgets.IntSlider:
        slider = widgets.IntSlider(value=value, min=0, max=n - 1, description=name, continuous_update=True)
        slider.add_class(css)
        return slider

    # -------------------------------------------------------------------------- moving the query

    def select(self, row: int, col: int, *, layer: int | None = None, head: int | None = None) -> None:
        """Move the query to ``(row, col)`` (and optionally pick a layer/head); redraws once."""
        row, col = _cell((row, col), self.grid, "query")
        picks = {"layer": layer, "head": head}
        for name, value in picks.items():
            if value is None:
                continue
            if name not in self.selectors:
                raise ValueError(f"{name} given, but these weights have no {name} dim")
            slider = self.selectors[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= slider.max:
                raise ValueError(f"{name} must be an int in [0, {slider.max}]; got {value!r}")
        self._holding = True  # set every slider, then draw once
        try:
            self.row_slider.value, self.col_slider.value = row, col
            for name, value in picks.items():
                if value is not None:
                    self.selectors[name].value = value
        finally:
            self._holding = False
        self._redraw()

    def handle_click(self, event: dict) -> None:
        """An ipyevents click on the image → the feature-map cell under the mouse → :meth:`select`.

        Uses ``relativeX/relativeY`` (pixels from the image's top-left corner as displayed) and
        the displayed size ``boundingRectWidth/Height``: cell = floor(relative / displayed · grid).
        """
        h, w = self.grid
        shown_w = event.get("boundingRectWidth") or self.image_rgb.shape[1]
        shown_h = event.get("boundingRectHeight") or self.image_rgb.shape[0]
        col = int(np.clip(np.floor(event["relativeX"] / shown_w * w), 0, w - 1))
        row = int(np.clip(np.floor(event["relativeY"] / shown_h * h), 0, h - 1))
        self.select(row, col)

    def _on_slider(self, change) -> None:
        if not self._holding:
            self._redraw()

    # -------------------------------------------------------------------------- drawing

    @property
    def layer(self) -> int | None:
        return self.selectors["layer"].value if "layer" in self.selectors else None

    @property
    def head(self) -> int | None:
        return self.selectors["head"].value if "head" in self.selectors else None

    def current_map(self) -> torch.Tensor:
        """The map now shown, ``(H, W)``: the query's row for the selected layer/head."""
        maps = query_map(self.weights, self.query, self.grid, prefix=self.prefix)
        picks = [s.value for s in self.selectors.values()]
        return maps[tuple(picks)] if picks else maps

    def describe(self) -> str:
        """``query (row, col)`` plus the layer/head, as the readout and the text fallback say it."""
        text = f"query ({self.query[0]}, {self.query[1]})"
        return text + "".join(f", {name} {slider.value}" for name, slider in self.selectors.items())

    def _marker_xy(self) -> tuple[int, int]:
        (h, w), (height, width) = self.grid, self.image_rgb.shape[:2]
        return int((self.query[1] + 0.5) * width / w), int((self.query[0] + 0.5) * height / h)

    def _redraw(self) -> None:
        self.query = (self.row_slider.value, self.col_slider.value)
        x, y = self._marker_xy()
        self.picture = _draw_cross(self._paint(self.current_map()), x, y, self._arm)
        self.image_widget.value = _frame(_draw_cross(self.image_rgb, x, y, self._arm))
        self.overlay_widget.value = _frame(self.picture)
        self.readout.value = f"<b>{self.describe()}</b> · click the left image or move the sliders"

    # -------------------------------------------------------------------------- static fallback

    def __repr__(self) -> str:
        h, w = self.grid
        return f"AttentionExplorer: {self.describe()} on a {h}×{w} grid"

    def _caption(self) -> str:
        """The line under the still picture: what it shows, and that it is not live."""
        return f"still picture · {self.describe()} · run the cell for live sliders"

    def _still_picture(self) -> np.ndarray:
        """What a reader without a kernel sees: the photo with the query marked and the overlay side by
        side, ``gap`` pixels apart, over a strip with :meth:`_caption` → ``(H + strip, 2 W + gap, 3)`` uint8."""
        height, width = self.image_rgb.shape[:2]
        gap, strip = 4, max(16, height // 12)
        still = np.full((height + strip, 2 * width + gap, 3), 32, dtype=np.uint8)  # dark grey background
        still[:height, :width] = _draw_cross(self.image_rgb, *self._marker_xy(), self._arm)
        still[:height, width + gap :] = self.picture
        caption = Image.fromarray(still[height:])
        draw = ImageDraw.Draw(caption)
        font_size = strip - 4
        font = ImageFont.load_default(size=font_size)
        while font_size > 6 and draw.textlength(self._caption(), font=font) > caption.width - 8:
            font_size -= 1  # shrink the text until it fits the strip
            font = ImageFont.load_default(size=font_size)
        draw.text((4, strip // 2), self._caption(), fill=(255, 255, 255), font=font, anchor="lm")
        still[height:] = np.asarray(caption)
        return still

    def _repr_mimebundle_(self, **kwargs):
        """The live widget view, plus a still JPEG (:meth:`_still_picture`) and a deterministic text line
        for places without a kernel (a saved notebook, static HTML, nbval compares the text)."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/jpeg"] = base64.b64encode(_jpeg_small(self._still_picture())).decode("ascii")
        return bundle


# ----------------------------------------------------------------------------- notebook 00's widget check

__all__ += ["widget_check"]

_TOY_GRID = 16  # the toy map is 16 × 16 cells
_TOY_QUERY, _TOY_PARTNER = (5, 4), (11, 12)  # (row, col): the query cell, and a second spot it likes


def _toy_scores() -> torch.Tensor:
    """The query cell's scores ``(16, 16)``: ``-d²/8`` for the squared distance d² to the query,
    or ``-d²/8 - 1`` to the partner spot, whichever is larger."""
    rows, cols = torch.meshgrid(torch.arange(_TOY_GRID), torch.arange(_TOY_GRID), indexing="ij")

    def closeness(cell, offset):
        return -((rows - cell[0]) ** 2 + (cols - cell[1]) ** 2) / 8.0 - offset

    return torch.maximum(closeness(_TOY_QUERY, 0.0), closeness(_TOY_PARTNER, 1.0)).float()


class _WidgetCheck(widgets.VBox):
    """A temperature slider → ``softmax(scores / T)`` → the toy map drawn on grey, query marked.

    State after every move: ``.weights`` ``(16, 16)`` (sums to 1), ``.picture`` ``(size, size, 3)``
    uint8 (what the image shows) and ``.readout.value`` (the caption, also the text fallback).
    """

    def __init__(self, temperature: float, size: int):
        super().__init__()
        self.scores = _toy_scores()
        grey = np.full((size, size, 3), 90, dtype=np.uint8)
        self._paint = _Painter(grey, alpha=0.9, upsample="nearest")
        row, col = _TOY_QUERY
        self._marker = int((col + 0.5) * size / _TOY_GRID), int((row + 0.5) * size / _TOY_GRID)  # (x, y) pixels
        self._arm = max(3, size // 80)  # small: the query cell itself must stay visible
        self.slider = widgets.FloatSlider(value=temperature, min=0.1, max=4.0, step=0.1, description="T")
        self.image_widget = widgets.Image(format="bmp", layout=widgets.Layout(width=f"{size}px", height=f"{size}px"))
        self.readout = widgets.Label()
        for part, css in ((self.slider, "slider"), (self.image_widget, "image"), (self.readout, "readout")):
            part.add_class(f"attn-widget-check-{css}")  # handles for browser tests
        self.slider.observe(self._redraw, names="value")
        self.children = [self.slider, self.image_widget, self.readout]
        self._redraw()

    def _redraw(self, change=None) -> None:
        t = self.slider.value
        self.weights = softmax(self.scores.reshape(1, -1), temperature=t).reshape(_TOY_GRID, _TOY_GRID)
        self.picture = _draw_cross(self._paint(self.weights), *self._marker, self._arm)
        self.image_widget.value = _frame(self.picture)
        top = self.weights.max().item()
        self.readout.value = f"T = {t:.1f}: query cell {_TOY_QUERY}, largest weight {top:.3f}"

    def __repr__(self) -> str:
        return "Widget check · " + self.readout.value

    def _repr_mimebundle_(self, **kwargs):
        """As :meth:`AttentionExplorer._repr_mimebundle_`: the live view, a PNG and a deterministic text."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(_png_small(self.picture)).decode("ascii")
        return bundle


def widget_check(temperature: float = 1.0, *, size: int = 256) -> widgets.VBox:
    """Notebook 00's test that sliders work: drag ``T`` and a toy attention map should change.

    One query cell (5, 4) of a 16 × 16 grid scores every cell by closeness; the slider sets the
    softmax temperature ``T`` in [0.1, 4] and the picture (``size`` × ``size`` pixels, query marked
    with a cyan cross) and caption (the largest weight) follow. Returns the widget; its
    ``.slider``, ``.weights`` ``(16, 16)`` and ``.picture`` ``(size, size, 3)`` are public.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0.1 <= temperature <= 4:
        raise ValueError(f"temperature must be a number in [0.1, 4] (the slider's range); got {temperature!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < _TOY_GRID:
        raise ValueError(f"size must be an int >= {_TOY_GRID} (the drawn side in pixels); got {size!r}")
    return _WidgetCheck(float(temperature), size)
