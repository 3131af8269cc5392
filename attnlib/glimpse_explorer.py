"""A live view of hard attention: step through a RAM's glimpses, or draw a new path from its policy.

A slider picks the step ``t``; the picture shows glimpses 1…t on the image (numbered boxes, the current one
thick) and, beside it, what the model actually received at step t: its ``scales`` patches, each
``size × size``. **Resample** draws a new path from the stochastic policy (the next seed). As in the
explorer, every move paints one frame with PIL into a single ``ipywidgets.Image``: no figure is rebuilt.
"""

from __future__ import annotations

import base64

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ._checks import check_int
from .glimpse_view import draw_glimpses
from .modules.hard import RecurrentAttention, glimpse
from .viz import Painter, encode

__all__ = ["GlimpseExplorer"]

_TITLE_PX = 12  # the panel titles' font size: the course's smallest reading size


def _titled(panel: np.ndarray, title: str) -> np.ndarray:
    """``panel`` ``(H, W, 3)`` uint8 under a dark strip with ``title`` in white → ``(H + strip, W, 3)``."""
    strip = Image.new("RGB", (panel.shape[1], 2 * _TITLE_PX), (32, 32, 32))
    ImageDraw.Draw(strip).text((4, _TITLE_PX), title, fill=(255, 255, 255),
                               font=ImageFont.load_default(size=_TITLE_PX), anchor="lm")
    return np.concatenate([np.asarray(strip), panel])


class GlimpseExplorer(widgets.VBox):
    """Step through the glimpses a :class:`~attnlib.RecurrentAttention` takes on one image.

    ``net``; ``image`` ``(C, H, W)`` float in [0, 1] (one picture of its task); ``label`` its true class (or
    None); ``seed``: the first path's noise seed (each **Resample** adds 1); ``size``: drawn height in pixels.
    Public state: ``.step`` (1-based), ``.seed``, ``.output`` (the :class:`~attnlib.RAMOutput` of the current
    path, batch of one) and ``.picture`` (the ``(size, width, 3)`` uint8 frame now shown).
    """

    def __init__(self, net: RecurrentAttention, image: torch.Tensor, *, label: int | None = None, seed: int = 0,
                 size: int = 252):
        super().__init__()
        if not isinstance(net, RecurrentAttention):
            raise TypeError(f"net must be a RecurrentAttention; got {type(net).__name__}")
        if not isinstance(image, torch.Tensor) or image.dim() != 3:
            raise ValueError(f"image must be one picture (C, H, W); got {getattr(image, 'shape', type(image))}")
        self.net, self.image, self.label = net, image, label
        self.seed = check_int(seed, "seed", minimum=0)
        self.painter = Painter(image.mean(0).numpy(), size=check_int(size, "size", minimum=32))
        steps = net.config["glimpses"]
        self.slider = widgets.IntSlider(value=steps, min=1, max=steps, description="step t")
        self.button = widgets.Button(description="resample", tooltip="draw a new path from the policy")
        self.image_widget = widgets.Image(format="bmp")
        self.readout = widgets.HTML()
        self.slider.observe(lambda change: self._redraw(), names="value")
        self.button.on_click(lambda _: self.resample())
        self.children = [widgets.HBox([self.slider, self.button]), self.image_widget, self.readout]
        self._run()

    @property
    def step(self) -> int:
        return self.slider.value

    def resample(self) -> None:
        """A new path from the policy: the next seed."""
        self.seed += 1
        self._run()

    def _run(self) -> None:
        with torch.no_grad():
            self.output = self.net(self.image[None], generator=torch.Generator().manual_seed(self.seed))
        self._redraw()

    def _patches(self, height: int) -> np.ndarray:
        """What the model received at the current step: its patches stacked, each ``height/scales`` high."""
        c = self.net.config
        location = self.output.locations[:, self.step - 1]
        seen = glimpse(self.image[None], location, c["size"], scales=c["scales"])[0].mean(1)  # (scales, g, g)
        side = height // c["scales"]
        tiles = [np.asarray(Image.fromarray((p.numpy() * 255).astype(np.uint8)).resize((side, side), 0))
                 for p in seen]
        column = np.full((height, side), 32, dtype=np.uint8)
        column[: side * len(tiles)] = np.concatenate(tiles)
        return np.repeat(column[:, :, None], 3, axis=-1)

    def describe(self) -> str:
        row, col = ((self.output.locations[0, self.step - 1] + 1) / 2 * torch.tensor(self.image.shape[1:])).tolist()
        answer = int(self.output.logits[0].argmax())
        truth = "" if self.label is None else f" (true {self.label})"
        return (f"step {self.step} of {self.slider.max} · glimpse centred at pixel ({row:.1f}, {col:.1f}) · "
                f"answer after all steps {answer}{truth} · seed {self.seed}")

    def _redraw(self) -> None:
        c = self.net.config
        boxes = draw_glimpses(self.painter.image, self.output.locations[0], c["size"], scales=c["scales"],
                              image_shape=self.image.shape[1:], current=self.step - 1)
        boxes = _titled(boxes, f"where: glimpses 1-{self.step}, step {self.step} thick")
        patches = _titled(self._patches(boxes.shape[0] - 2 * _TITLE_PX), "received: fine, coarse")
        gap = np.full((boxes.shape[0], 6, 3), 32, dtype=np.uint8)
        self.picture = np.concatenate([boxes, gap, patches], axis=1)
        self.image_widget.value = encode(self.picture, "BMP")
        self.readout.value = self.describe() + " · left: where it looked; right: what it received (fine → coarse)"

    def __repr__(self) -> str:
        return f"GlimpseExplorer: {self.describe()}"

    def _repr_mimebundle_(self, **kwargs):
        """The live view, plus a still PNG of the current frame and a deterministic text line."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(encode(self.picture, "PNG")).decode("ascii")
        return bundle
