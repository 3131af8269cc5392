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

import ipywidgets as widgets
import numpy as np
import torch
from ipyevents import Event
from PIL import Image, ImageDraw, ImageFont

from ._checks import check_cell, check_grid, check_int, check_prefix
from .maps import query_map
from .viz import Painter, encode, value_range

__all__ = ["AttentionExplorer"]


class AttentionExplorer(widgets.VBox):
    """Row/col sliders, a layer/head selector and click-to-select over one image's attention.

    image ``(H_img, W_img[, 3])`` uint8 or float; ``weights`` ``(..., N_all, N_all)`` with at most
    two leading dims (``(heads, N, N)`` or ``(layers, heads, N, N)``) or a ``row_fn(index) → (..., N_all)``
    (see :func:`~attnlib.lazy_rows`); ``grid = (H, W)`` of the feature map; ``prefix`` leading
    non-spatial tokens; ``query = (row, col)`` to start at (default: the grid's centre). The image
    is drawn ``size`` pixels high: ``.picture`` is ``(size, width, 3)`` uint8. Drawing options
    ``cmap``, ``opacity``, ``normalize`` (a name or a fixed colour range ``(lo, hi)``), ``upsample``
    and ``grey`` are as in :mod:`attnlib.viz`. The readout names the query, the peak weight and the
    values the colour bar's ends stand for.

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
        opacity: float = 0.6,
        normalize: str | tuple[float, float] = "minmax",
        upsample: str = "bilinear",
        grey: bool = True,
    ):
        super().__init__()
        self.grid = check_grid(grid)
        self.prefix = check_prefix(prefix)
        h, w = self.grid
        query = (h // 2, w // 2) if query is None else check_cell(query, self.grid, "query")
        self.weights = weights
        leading = self._leading_dims(query)
        self.painter = Painter(image, size=size, cmap=cmap, opacity=opacity, normalize=normalize,
                               upsample=upsample, grey=grey)
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

    def _build_widgets(self, query: tuple[int, int], leading: tuple[int, ...]) -> None:
        """Sliders (row, col, then layer/head if the weights have them), the readout and both images."""
        h, w = self.grid
        self.row_slider = self._slider("row", h, query[0])
        self.col_slider = self._slider("col", w, query[1])
        names = ["layer", "head"][2 - len(leading) :]  # (heads,) → head; (layers, heads) → layer, head
        self.selectors = {name: self._slider(name, n, 0) for name, n in zip(names, leading, strict=True)}
        self.readout = widgets.HTML()
        self.readout.add_class("attn-explorer-readout")
        height, width = self.painter.image.shape[:2]
        shape = {"width": f"{width}px", "height": f"{height}px"}
        self.image_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.image_widget.add_class("attn-explorer-image")
        self.overlay_widget = widgets.Image(format="bmp", layout=widgets.Layout(**shape))
        self.overlay_widget.add_class("attn-explorer-overlay")
        bar = encode(self.painter.colour_bar(width), "PNG")  # drawn once: the colormap, low → high
        self.colour_bar = widgets.Image(value=bar, format="png", layout=widgets.Layout(width=f"{width}px"))
        self.children = [
            self.readout,
            widgets.HBox([self.image_widget, widgets.VBox([self.overlay_widget, self.colour_bar])]),
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
            check_int(value, name, minimum=0, maximum=self.selectors[name].max)
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
        shown_w = event.get("boundingRectWidth") or self.painter.image.shape[1]
        shown_h = event.get("boundingRectHeight") or self.painter.image.shape[0]
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

    def colour_range(self) -> tuple[float, float]:
        """The values drawn as the colour bar's left (dark) and right (bright) ends for the map now shown."""
        return value_range(self.current_map(), self.painter.normalize)

    def _readout(self, attn_map: torch.Tensor) -> str:
        """What the colours mean: the peak weight and its cell, and the colour bar's two ends."""
        peak = int(attn_map.flatten().argmax())
        h, w = attn_map.shape
        lo, hi = value_range(attn_map, self.painter.normalize)
        return (f"<b>{self.describe()}</b> · peak {attn_map.max().item():.4f} at ({peak // w}, {peak % w}) · "
                f"colour bar {lo:.4f} → {hi:.4f} · click the left image or move the sliders")

    def _redraw(self) -> None:
        self.query = (self.row_slider.value, self.col_slider.value)
        attn_map = self.current_map()
        self.picture = self.painter.frame(attn_map, self.query, self.grid)
        self.image_widget.value = encode(self.painter.marked(self.query, self.grid), "BMP")
        self.overlay_widget.value = encode(self.picture, "BMP")
        self.readout.value = self._readout(attn_map)

    # -------------------------------------------------------------------------- static fallback

    def __repr__(self) -> str:
        h, w = self.grid
        return f"AttentionExplorer: {self.describe()} on a {h}×{w} grid"

    def _caption(self, short: bool = False) -> str:
        """The line under the still picture: what it shows, what the colours mean, and that it is not live
        (``short``: without the colour range, for narrow pictures)."""
        attn_map = self.current_map()
        lo, hi = value_range(attn_map, self.painter.normalize)
        colours = "" if short else f" · colours {lo:.4f} to {hi:.4f}"
        peak = f"peak {attn_map.max().item():.4f}"
        return f"still picture · {self.describe()} · {peak}{colours} · run the cell for sliders"

    def _still_picture(self) -> np.ndarray:
        """What a reader without a kernel sees: the photo with the query marked and the overlay side by
        side, ``gap`` pixels apart, over a strip with :meth:`_caption` → ``(H + strip, 2 W + gap, 3)`` uint8."""
        height, width = self.painter.image.shape[:2]
        gap, strip = 4, max(16, height // 12)
        still = np.full((height + strip, 2 * width + gap, 3), 32, dtype=np.uint8)  # dark grey background
        still[:height, :width] = self.painter.marked(self.query, self.grid)
        still[:height, width + gap :] = self.picture
        caption = Image.fromarray(still[height:])
        draw = ImageDraw.Draw(caption)
        room = caption.width - 8  # 4 px margins
        for text in (self._caption(), self._caption(short=True)):
            # text width grows in proportion to font size: measure once at size 10, then scale to fit
            fit = int(10 * room / draw.textlength(text, font=ImageFont.load_default(size=10)))
            if fit >= 7:
                break
        font = ImageFont.load_default(size=int(np.clip(fit, 6, strip - 4)))
        draw.text((4, strip // 2), text, fill=(255, 255, 255), font=font, anchor="lm")
        still[height:] = np.asarray(caption)
        return still

    def _repr_mimebundle_(self, **kwargs):
        """The live widget view, plus a still JPEG (:meth:`_still_picture`) and a deterministic text line
        for places without a kernel (a saved notebook, static HTML, nbval compares the text)."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        jpeg = encode(self._still_picture(), "JPEG", quality=85)  # ~5× smaller than PNG for a photo
        bundle["image/jpeg"] = base64.b64encode(jpeg).decode("ascii")
        return bundle
