"""Live widgets for attention over time (notebook 09), in the explorer's fast style.

- :class:`AlignmentExplorer`: a slider over the output steps of the date translator and a text box
  to type your own date. Each slider move draws one frame of an :class:`~attnlib.viz_time.AlignmentPicture`
  (cached per string); each edit of the text runs the model once and prepares a new picture.
- :class:`ClipExplorer`: a slider over clips; each move draws one
  :func:`~attnlib.viz_time.filmstrip_picture` with the frame weights under the frames.

Frames travel to the browser as BMP bytes in one ``ipywidgets.Image`` (``attnlib.viz.encode``); no
matplotlib figure is rebuilt per move. For a saved notebook each widget also gives a still PNG and a
deterministic ``text/plain`` in ``_repr_mimebundle_``. ``import attnlib`` loads this module (and
ipywidgets) only when a notebook first asks for one of these names.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ._checks import check_int
from .modules import ClipClassifier, DateTranslator
from .tasks import EVENTS, translate_dates
from .viz import encode
from .viz_time import AlignmentPicture, filmstrip_picture

__all__ = ["AlignmentExplorer", "ClipExplorer"]

#: The longest string the text box accepts (a longer one would make a very wide picture).
MAX_CHARS = 40


def _one_thread(fn, *args):
    """Run the model on one thread: the same numbers every time, and no waiting on a busy machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn(*args)
    finally:
        torch.set_num_threads(old)


_CAPTION_PX = 12  # the still picture's caption: one size, wrapped to the picture's width


class _LivePicture(widgets.VBox):
    """What both widgets share: a readout, one picture (``.picture``, ``(H, W, 3)`` uint8, sent as BMP) and a
    still PNG plus ``repr`` text for places without a kernel."""

    def _build(self, controls: list, css: str) -> None:
        self.readout = widgets.HTML()
        self.image_widget = widgets.Image(format="bmp")
        for part, name in ((self.readout, "readout"), (self.image_widget, "image")):
            part.add_class(f"attn-{css}-{name}")
        self.children = [self.readout, self.image_widget, widgets.HBox(controls)]

    def _show(self, picture: np.ndarray, readout: str) -> None:
        self.picture = picture
        self.image_widget.value = encode(picture, "BMP")
        width, height = f"{picture.shape[1]}px", f"{picture.shape[0]}px"
        if (self.image_widget.layout.width, self.image_widget.layout.height) != (width, height):  # a new string
            self.image_widget.layout.width, self.image_widget.layout.height = width, height
        self.readout.value = readout

    def still_picture(self) -> np.ndarray:
        """What a reader without a kernel sees: ``.picture`` over a strip saying what it shows and that it is
        not live → ``(H + strip, W, 3)`` uint8."""
        width = self.picture.shape[1]
        # PIL's default font has no "→": write "->"; wrap at 12 px rather than shrink the text below reading size
        text = f"still picture · {self.describe()} · run the cell for the live widget".replace("→", "->")
        font = ImageFont.load_default(size=_CAPTION_PX)
        measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        lines = [""]
        for word in text.split(" "):
            wider = f"{lines[-1]} {word}".strip()
            if lines[-1] and measure.textlength(wider, font=font) > width - 8:
                lines.append(word)
            else:
                lines[-1] = wider
        line_px = _CAPTION_PX + 4
        strip = Image.new("RGB", (width, line_px * len(lines) + 4), (32, 32, 32))
        draw = ImageDraw.Draw(strip)
        for n, line in enumerate(lines):
            draw.text((4, 2 + line_px * n + line_px // 2), line, fill=(255, 255, 255), font=font, anchor="lm")
        return np.concatenate([self.picture, np.asarray(strip)])

    def _repr_mimebundle_(self, **kwargs):
        """The live widget view, a still PNG (:meth:`still_picture`) and a deterministic text line."""
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = repr(self)
        bundle["image/png"] = base64.b64encode(encode(self.still_picture(), "PNG", compress_level=6)).decode("ascii")
        return bundle


class AlignmentExplorer(_LivePicture):
    """Where does each output character of the date translator look? A slider and a text box.

    ``model``: a :class:`~attnlib.DateTranslator` (e.g. ``load_date_translator()``); ``text``: the
    written date to start with; ``step``: the output step to start at; ``cell``: pixels per character.

    Public state, updated synchronously by :meth:`select`, :meth:`set_text` and every widget move:
    ``.text`` (the string shown), ``.iso`` (the model's output), ``.alignment`` ``(10, len(text))``
    (row t = output step t), ``.step`` and ``.picture`` ``(H, W, 3)`` uint8. A string the model cannot
    read (a character outside :data:`~attnlib.INPUT_VOCAB`, empty, longer than 40) leaves the picture
    as it was and says why in the readout (``.error``). CSS classes: ``attn-alignment-readout``,
    ``attn-alignment-image``, ``attn-alignment-text``, ``attn-alignment-step``.
    """

    def __init__(self, model: DateTranslator, text: str = "29 nov 2026", *, step: int = 0, cell: int = 24):
        super().__init__()
        if not isinstance(model, DateTranslator):
            raise TypeError(f"model must be a DateTranslator (e.g. load_date_translator()); got {type(model).__name__}")
        if not isinstance(text, str):
            raise TypeError(f"text must be a string such as '29 nov 2026'; got {type(text).__name__}")
        self.model, self.cell = model, check_int(cell, "cell", minimum=12, maximum=64)
        steps = model.config["out_len"]
        self.step_slider = widgets.IntSlider(value=check_int(step, "step", minimum=0, maximum=steps - 1), min=0,
                                             max=steps - 1, description="output step", continuous_update=True)
        self.text_box = widgets.Text(value=text, description="date", continuous_update=True)
        self.step_slider.add_class("attn-alignment-step")
        self.text_box.add_class("attn-alignment-text")
        self._build([self.text_box, self.step_slider], "alignment")
        self.error = None
        if not self._translate(text):
            raise ValueError(f"text: {self.error}")
        self._redraw()
        self.step_slider.observe(lambda change: self._redraw(), names="value")
        self.text_box.observe(self._on_text, names="value")

    # -------------------------------------------------------------------------- moving

    def select(self, step: int) -> None:
        """Show output step ``step``; redraws once."""
        self.step_slider.value = check_int(step, "step", minimum=0, maximum=self.step_slider.max)
        self._redraw()  # a no-op move (same value) fires no event, so draw here as well

    def set_text(self, text: str) -> None:
        """Translate ``text`` and show it, as typing it into the box does. Raises ``ValueError`` if the model
        cannot read it (the box only reports that in the readout)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string; got {type(text).__name__}")
        if not self._translate(text):
            raise ValueError(f"text: {self.error}")
        self.text_box.value = text  # fires _on_text, which finds nothing new to do
        self._redraw()

    def _on_text(self, change) -> None:
        if change["new"] != self.text or self.error:
            self._translate(change["new"])
            self._redraw()

    def _translate(self, text: str) -> bool:
        """Run the model on ``text`` and prepare its picture → True; or keep the old one, set ``.error`` → False."""
        if not text or len(text) > MAX_CHARS:
            self.error = f"type a date of 1 to {MAX_CHARS} characters (got {len(text)})"
            return False
        try:
            iso, alignments = _one_thread(translate_dates, self.model, [text])
        except ValueError as e:
            self.error = str(e)
            return False
        self.error = None
        self.text, self.iso, self.alignment = text, iso[0], alignments[0]
        self._picture = AlignmentPicture(self.alignment, text, self.iso, cell=self.cell)
        return True

    # -------------------------------------------------------------------------- drawing

    @property
    def step(self) -> int:
        return self.step_slider.value

    def describe(self) -> str:
        """One line: the string, the output, the step shown and the input character it weighs most."""
        j = int(self.alignment[self.step].argmax())
        return (f"{self.text!r} → {self.iso!r}, output step {self.step} ({self.iso[self.step]!r}) looks most at "
                f"input {j} ({self.text[j]!r})")

    def _redraw(self) -> None:
        weights = self.alignment[self.step]
        top = ", ".join(f"{self.text[j]!r} {weights[j]:.2f}" for j in weights.argsort(descending=True)[:3].tolist())
        readout = f"<b>{html.escape(self.describe())}</b> · largest weights: {html.escape(top)}"
        if self.error:
            readout += f"<br><span style='color:#d33'>cannot read the text box: {html.escape(self.error)}</span>"
        self._show(self._picture.frame(self.step), readout)

    def __repr__(self) -> str:
        return "AlignmentExplorer: " + self.describe()


class ClipExplorer(_LivePicture):
    """Which frames does the clip classifier weigh? A slider over clips, one filmstrip per move.

    ``model``: a :class:`~attnlib.ClipClassifier` (e.g. ``load_clip_classifier()``); ``clips``
    ``(n, T, 3, H, W)``; ``labels`` ``(n,)`` and ``event_frames`` ``(n,)`` (optional, from
    :func:`~attnlib.make_clips`) add the truth to the readout and outline the event frame. The model
    runs once, in the constructor. State: ``.index``, ``.weights`` ``(n, T)``, ``.predictions`` ``(n,)``,
    ``.picture``. CSS classes: ``attn-clips-readout``, ``attn-clips-image``, ``attn-clips-index``.
    """

    def __init__(self, model: ClipClassifier, clips: torch.Tensor, labels=None, event_frames=None, *,
                 index: int = 0, scale: int = 3):
        super().__init__()
        if not isinstance(model, ClipClassifier):
            raise TypeError(f"model must be a ClipClassifier (e.g. load_clip_classifier()); got {type(model).__name__}")
        with torch.no_grad():
            logits, self.weights = _one_thread(model, clips)  # checks clips: (n, T, 3, H, W)
        n = len(clips)
        for value, name in ((labels, "labels"), (event_frames, "event_frames")):
            if value is not None and (not isinstance(value, torch.Tensor) or tuple(value.shape) != (n,)):
                raise ValueError(f"{name} must be None or a tensor of shape ({n},); got {value!r:.60}")
        self.clips, self.labels, self.event_frames = clips, labels, event_frames
        self.probabilities = torch.softmax(logits, -1)
        self.predictions = self.probabilities.argmax(-1)
        self.scale = check_int(scale, "scale", minimum=1, maximum=16)
        self.index_slider = widgets.IntSlider(value=check_int(index, "index", minimum=0, maximum=n - 1), min=0,
                                              max=n - 1, description="clip", continuous_update=True)
        self.index_slider.add_class("attn-clips-index")
        self._build([self.index_slider], "clips")
        self._redraw()
        self.index_slider.observe(lambda change: self._redraw(), names="value")

    def select(self, index: int) -> None:
        """Show clip ``index``; redraws once."""
        self.index_slider.value = check_int(index, "index", minimum=0, maximum=self.index_slider.max)
        self._redraw()

    @property
    def index(self) -> int:
        return self.index_slider.value

    def describe(self) -> str:
        i = self.index
        w = self.weights[i]
        text = f"clip {i}: predicted {EVENTS[self.predictions[i]]} ({self.probabilities[i].max():.2f})"
        if self.labels is not None:
            text += f", true {EVENTS[self.labels[i]]}"
        if self.event_frames is not None:
            e = int(self.event_frames[i])
            text += f"; event frame {e} holds {w[e]:.2f} of the weight"
        return text + f"; most weighted frame {int(w.argmax())}"

    def _redraw(self) -> None:
        i = self.index
        event = None if self.event_frames is None else int(self.event_frames[i])
        picture = filmstrip_picture(self.clips[i], self.weights[i], event=event, scale=self.scale)
        self._show(picture, f"<b>{html.escape(self.describe())}</b> · bars: frame weights (cyan: the event frame)")

    def __repr__(self) -> str:
        return "ClipExplorer: " + self.describe()
