"""Notebook 00's widget check: drag a temperature slider and a toy attention map should change.

If the picture follows the slider, ipywidgets work in this Jupyter, and so will every live explorer
in the course. The toy is the whole recipe in miniature: scores → ``softmax(scores / T)`` → a 16 × 16
map → the course's painter (:class:`attnlib.Painter`) → an ``ipywidgets.Image``.
"""

from __future__ import annotations

import base64

import ipywidgets as widgets
import numpy as np
import torch

from .._checks import check_int
from ..attention import softmax
from ..viz import Painter, draw_marker, encode

__all__ = ["widget_check"]

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

    Every frame shares one colour range, 0 to the largest weight the slider can reach (at T = 0.1), so a
    map spread thin at high T looks dark, as it should (min–max colours would make it look bright).

    State after every move: ``.weights`` ``(16, 16)`` (sums to 1), ``.picture`` ``(size, size, 3)``
    uint8 (what the image shows) and ``.readout.value`` (the caption, also the text fallback).
    """

    def __init__(self, temperature: float, size: int):
        super().__init__()
        self.scores = _toy_scores()
        grey = np.full((size, size, 3), 90, dtype=np.uint8)
        top = softmax(self.scores.reshape(1, -1), temperature=0.1).max().item()  # the sharpest the slider allows
        self.painter = Painter(grey, opacity=0.9, upsample="nearest", normalize=(0.0, top))
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
        self.picture = draw_marker(self.painter(self.weights), _TOY_QUERY, _TOY_GRID, self._radius)
        self.image_widget.value = encode(self.picture, "BMP")
        top = self.weights.max().item()
        self.readout.value = f"T = {t:.1f}: query cell {_TOY_QUERY}, largest weight {top:.3f}"

    def __repr__(self) -> str:
        return "Widget check · " + self.readout.value

    def _repr_mimebundle_(self, **kwargs):
        """As :meth:`AttentionExplorer._repr_mimebundle_`: the live view, a PNG and a deterministic text."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(encode(self.picture, "PNG", compress_level=6)).decode("ascii")
        return bundle


def widget_check(temperature: float = 1.0, *, size: int = 256) -> widgets.VBox:
    """Notebook 00's test that sliders work: drag ``T`` and a toy attention map should change.

    One query cell (5, 4) of a 16 × 16 grid scores every cell by closeness; the slider sets the
    softmax temperature ``T`` in [0.1, 4] and the picture (``size`` × ``size`` pixels, query marked
    with a cyan cross in a black ring) and caption (the largest weight) follow. Returns the widget; its
    ``.slider``, ``.weights`` ``(16, 16)`` and ``.picture`` ``(size, size, 3)`` are public.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise TypeError(f"temperature must be a number in [0.1, 4] (the slider's range); got {temperature!r}")
    if not 0.1 <= temperature <= 4:
        raise ValueError(f"temperature must be in [0.1, 4] (the slider's range); got {temperature!r}")
    size = check_int(size, "size", minimum=_TOY_GRID, what=" (the drawn side in pixels)")
    return _WidgetCheck(float(temperature), size)
