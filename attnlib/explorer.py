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
import functools
import io

import ipywidgets as widgets
import numpy as np
import torch
from ipyevents import Event
from PIL import Image, ImageDraw, ImageFont

from ._checks import cell_centre, check_cell, check_grid, check_prefix
from .attention import softmax
from .data import resize_image
from .maps import query_map
from .viz import _image_to_rgb, _Painter

__all__ = ["AttentionExplorer", "widget_check"]


def _encode(rgb: np.ndarray, fmt: str, **options) -> bytes:
    """An ``(H, W, 3)`` uint8 array → the bytes of an image file in PIL's format ``fmt``.

    ``"BMP"`` for live frames (no compression, fast), ``"PNG"`` or ``"JPEG"`` for pictures stored
    in a saved notebook; ``options`` go to PIL's ``save``, e.g. ``quality=85`` for JPEG.
    """
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _marker_xy(query, grid, image_shape) -> tuple[int, int]:
    """The image pixel ``(x, y)`` at the centre of cell ``query = (row, col)`` of ``grid``
    (:func:`attnlib.viz._query_to_image_xy`, rounded half up to whole pixels)."""
    x, y = cell_centre(query, grid, image_shape)
    return int(x + 0.5), int(y + 0.5)


@functools.cache
def _marker(radius: int) -> list[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]]:
    """The query marker, drawn once with PIL on a small canvas: a cyan cross in a black ring of outer
    radius ``radius`` pixels, as :func:`~attnlib.mark_query` draws it. Returns, per colour, the
    ``(dy, dx)`` offsets of its pixels from the centre, so each move only has to paste them."""
    side = 2 * radius + 1
    stroke = 1 + 2 * (radius // 6)  # an odd width keeps the cross symmetric about its centre pixel
    arm = radius - stroke // 2  # the cross reaches the middle of the ring
    ring, cross = Image.new("1", (side, side)), Image.new("1", (side, side))
    ImageDraw.Draw(ring).ellipse((0, 0, side - 1, side - 1), outline=1, width=stroke)
    draw = ImageDraw.Draw(cross)
    draw.line((radius - arm, radius, radius + arm, radius), fill=1, width=stroke)
    draw.line((radius, radius - arm, radius, radius + arm), fill=1, width=stroke)
    parts = []
    for canvas, colour in ((ring, (0, 0, 0)), (cross, (0, 255, 255))):
        dy, dx = np.nonzero(np.array(canvas))
        parts.append((dy - radius, dx - radius, colour))
    return parts


def _mark(rgb: np.ndarray, xy: tuple[int, int], radius: int) -> np.ndarray:
    """A copy of ``rgb`` ``(H, W, 3)`` uint8 with the query marker centred on pixel ``xy = (x, y)``."""
    out = rgb.copy()
    (height, width), (x, y) = rgb.shape[:2], xy
    for dy, dx, colour in _marker(radius):
        ys, xs = y + dy, x + dx
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)  # the marker may hang over the edge
        out[ys[inside], xs[inside]] = colour
    return out


class AttentionExplorer(widgets.VBox):
    """Row/col sliders, a layer/head selector and click-to-select over one image's attention.

    image ``(H_img, W_img[, 3])`` uint8 or float; ``weights`` ``(..., N_all, N_all)`` with at most
    two leading dims (``(heads, N, N)`` or ``(layers, heads, N, N)``) or a ``row_fn(index) → (..., N_all)``
    (see :func:`~attnlib.lazy_rows`); ``grid = (H, W)`` of the feature map; ``prefix`` leading
    non-spatial tokens; ``query = (row, col)`` to start at (default: the grid's centre). The image
    is drawn ``size`` pixels high: ``.picture`` is ``(size, width, 3)`` uint8. ``cmap``, ``alpha``,
    ``normalize`` (a name or a fixed colour range ``(lo, hi)``) and ``upsample`` are as in
    :func:`~attnlib.overlay`.

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
        normalize: str | tuple[float, float] = "minmax",
        upsample: str = "bilinear",
    ):
        super().__init__()
        self.grid = check_grid(grid)
        self.prefix = check_prefix(prefix)
        h, w = self.grid
        query = (h // 2, w // 2) if query is None else check_cell(query, self.grid, "query")
        if isinstance(size, bool) or not isinstance(size, int) or size < 8:
            raise ValueError(f"size must be an int >= 8 (the drawn height in pixels); got {size!r}")
        self.weights = weights
        leading = self._leading_dims(query)
        self._prepare_drawing(image, size, cmap=cmap, alpha=alpha, normalize=normalize, upsample=upsample)
        self._build_widgets(query, leading)
        self._wire_events()
        self._redraw()

    def _leading_dims(self, query) -> tuple[int, ...]:
        """The weights' dims before ``(N_all, N_all)``: ``()``, ``(heads,)`` or ``(layers, heads)``."""
        leading = tuple(query_map(self.weights, query, self.grid, prefix=self.prefix).shape[:-2])  # checks weights
        if len(leading) > 2:
            raise ValueError(
                f"weights may have at most two leading dims (layers, heads) before (N_all, N_all); "
                f"got leading dims {leading}"
            )
        return leading

    def _prepare_drawing(self, image, size: int, **style) -> None:
        """Done once: the image resized to ``(size, width, 3)`` uint8, its painter (``style`` = cmap, alpha,
        normalize, upsample as in :func:`~attnlib.overlay`) and the marker's radius."""
        rgb = _image_to_rgb(image)
        width = max(1, round(size * rgb.shape[1] / rgb.shape[0]))
        self.image_rgb = np.rint(resize_image(rgb, (size, width)) * 255).astype(np.uint8)
        self._paint = _Painter(self.image_rgb, **style)
        self._radius = max(4, round(size / 36))  # 7 px at 256, about mark_query's marker in a figure

    def _build_widgets(self, query: tuple[int, int], leading: tuple[int, ...]) -> None:
        """Sliders (row, col, then layer/head if the weights have them), the readout and both images."""
        h, w = self.grid
        self.row_slider = self._slider("row", h, query[0])
        self.col_slider = self._slider("col", w, query[1])
        names = ["layer", "head"][2 - len(leading) :]  # (heads,) → head; (layers, heads) → layer, head
        self.selectors = {name: self._slider(name, n, 0) for name, n in zip(names, leading, strict=True)}
        self.readout = widgets.HTML()
        self.readout.add_class("attn-explorer-readout")
        height, width = self.image_rgb.shape[:2]
        shape = {"width": f"{width}px", "height": f"{height}px"}
        self.image_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.image_widget.add_class("attn-explorer-image")
        self.overlay_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.overlay_widget.add_class("attn-explorer-overlay")
        self.children = [
            self.readout,
            widgets.HBox([self.image_widget, self.overlay_widget]),
            widgets.HBox([self.row_slider, self.col_slider]),
            widgets.HBox(list(self.selectors.values())),
        ]

    def _slider(self, name: str, n: int, value: int) -> widgets.IntSlider:
        """An int slider over ``0 … n - 1`` with the CSS class ``attn-explorer-<name>``."""
        slider = widgets.IntSlider(value=value, min=0, max=n - 1, description=name, continuous_update=True)
        slider.add_class(f"attn-explorer-{name}")
        return slider

    def _wire_events(self) -> None:
        """A click on the left image → :meth:`handle_click`; every slider move → one redraw."""
        self._click = Event(source=self.image_widget, watched_events=["click"])
        self._click.on_dom_event(self.handle_click)
        self._holding = False  # True while select() sets several sliders at once
        for slider in [self.row_slider, self.col_slider, *self.selectors.values()]:
            slider.observe(self._on_slider, names="value")

    # -------------------------------------------------------------------------- moving the query

    def select(self, row: int, col: int, *, layer: int | None = None, head: int | None = None) -> None:
        """Move the query to ``(row, col)`` (and optionally pick a layer/head); redraws once."""
        row, col = check_cell((row, col), self.grid, "query")
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

    def _marked(self, rgb: np.ndarray) -> np.ndarray:
        """A copy of ``rgb`` ``(H, W, 3)`` uint8 (the image or an overlay) with the current query marked."""
        return _mark(rgb, _marker_xy(self.query, self.grid, rgb.shape), self._radius)

    def _redraw(self) -> None:
        self.query = (self.row_slider.value, self.col_slider.value)
        self.picture = self._marked(self._paint(self.current_map()))
        self.image_widget.value = _encode(self._marked(self.image_rgb), "BMP")
        self.overlay_widget.value = _encode(self.picture, "BMP")
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
        still[:height, :width] = self._marked(self.image_rgb)
        still[:height, width + gap :] = self.picture
        caption = Image.fromarray(still[height:])
        draw = ImageDraw.Draw(caption)
        text, room = self._caption(), caption.width - 8  # 4 px margins
        # text width grows in proportion to font size: measure once at size 10, then scale to fit
        fit = int(10 * room / draw.textlength(text, font=ImageFont.load_default(size=10)))
        font = ImageFont.load_default(size=int(np.clip(fit, 6, strip - 4)))
        draw.text((4, strip // 2), text, fill=(255, 255, 255), font=font, anchor="lm")
        still[height:] = np.asarray(caption)
        return still

    def _repr_mimebundle_(self, **kwargs):
        """The live widget view, plus a still JPEG (:meth:`_still_picture`) and a deterministic text line
        for places without a kernel (a saved notebook, static HTML, nbval compares the text)."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        jpeg = _encode(self._still_picture(), "JPEG", quality=85)  # ~5× smaller than PNG for a photo
        bundle["image/jpeg"] = base64.b64encode(jpeg).decode("ascii")
        return bundle


# ----------------------------------------------------------------------------- notebook 00's widget check

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
        self._marker = _marker_xy(_TOY_QUERY, _TOY_GRID, grey.shape)  # (x, y) pixels
        self._radius = max(3, size // 50)  # small: the query cell itself must stay visible
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
        self.picture = _mark(self._paint(self.weights), self._marker, self._radius)
        self.image_widget.value = _encode(self.picture, "BMP")
        top = self.weights.max().item()
        self.readout.value = f"T = {t:.1f}: query cell {_TOY_QUERY}, largest weight {top:.3f}"

    def __repr__(self) -> str:
        return "Widget check · " + self.readout.value

    def _repr_mimebundle_(self, **kwargs):
        """As :meth:`AttentionExplorer._repr_mimebundle_`: the live view, a PNG and a deterministic text."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(_encode(self.picture, "PNG", compress_level=6)).decode("ascii")
        return bundle


def widget_check(temperature: float = 1.0, *, size: int = 256) -> widgets.VBox:
    """Notebook 00's test that sliders work: drag ``T`` and a toy attention map should change.

    One query cell (5, 4) of a 16 × 16 grid scores every cell by closeness; the slider sets the
    softmax temperature ``T`` in [0.1, 4] and the picture (``size`` × ``size`` pixels, query marked
    with a cyan cross in a black ring) and caption (the largest weight) follow. Returns the widget; its
    ``.slider``, ``.weights`` ``(16, 16)`` and ``.picture`` ``(size, size, 3)`` are public.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0.1 <= temperature <= 4:
        raise ValueError(f"temperature must be a number in [0.1, 4] (the slider's range); got {temperature!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < _TOY_GRID:
        raise ValueError(f"size must be an int >= {_TOY_GRID} (the drawn side in pixels); got {size!r}")
    return _WidgetCheck(float(temperature), size)
