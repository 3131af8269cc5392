"""Attention over time → pictures: alignments (output steps × input tokens) and filmstrips (one weight per frame).

Over space, one query's weights are reshaped to the feature map's grid, enlarged and laid over the
image. Over time there is no grid to reshape to and nothing to enlarge: a row of weights is 1-D and
its keys are characters or frames, so we **label** them. What stays the same: row = query (here an
output step, or the clip's one learned query), each row sums to 1, and a picture says which query it
shows.

- :func:`show_alignment`: an alignment ``(T_out, T_in)`` as a heat map with the characters as tick
  labels, row t = output step t; optionally one step outlined.
- :func:`show_filmstrip`: a clip's frames in a row with each frame's weight drawn under it.
- :class:`AlignmentPicture` and :func:`filmstrip_picture`: the same two pictures drawn with PIL as
  ``(H, W, 3)`` uint8 arrays, coloured by :class:`~attnlib.Painter`; the live widgets of
  :mod:`attnlib.explorer_time` show these, one call per move.
"""

from __future__ import annotations

import functools
from numbers import Real

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ._checks import check_float_tensor, check_int, shape_str
from .viz import Painter

__all__ = ["show_alignment", "show_filmstrip", "AlignmentPicture", "filmstrip_picture", "SPACE"]

#: How a space is shown as a tick label or in a picture: visible, one character wide.
SPACE = "␣"
_CYAN = (0, 255, 255)


def _visible(text: str) -> list[str]:
    return [SPACE if c == " " else c for c in text]


def _check_alignment(alignment, inputs, outputs) -> np.ndarray:
    """alignment ``(T_out, T_in)`` with ``T_in = len(inputs)`` and ``T_out = len(outputs)`` → float numpy."""
    if not isinstance(inputs, str) or not isinstance(outputs, str) or not inputs or not outputs:
        raise TypeError(f"inputs and outputs must be non-empty strings (the characters); got {inputs!r}, {outputs!r}")
    if isinstance(alignment, np.ndarray):
        alignment = torch.from_numpy(alignment)
    check_float_tensor(alignment, "alignment", "(T_out, T_in)")
    want = (len(outputs), len(inputs))
    if tuple(alignment.shape) != want:
        raise ValueError(
            f"alignment must have shape (T_out, T_in) = {want}, one row per output character and one column "
            f"per input character; got {shape_str(alignment.shape)}"
        )
    alignment = alignment.detach().float().numpy()
    if not np.isfinite(alignment).all():
        raise ValueError("alignment contains NaN/inf values; there is nothing honest to draw")
    return alignment


def _check_step(step, n: int, name: str = "step") -> int | None:
    return None if step is None else check_int(step, name, minimum=0, maximum=n - 1)


def _check_fontsize(fontsize) -> float:
    if isinstance(fontsize, bool) or not isinstance(fontsize, Real) or not 6 <= fontsize <= 40:
        raise ValueError(f"fontsize must be a number of points in [6, 40] (12 reads on a projector); got {fontsize!r}")
    return float(fontsize)


def show_alignment(alignment, inputs: str, outputs: str, *, step=None, ax=None, title=None, fontsize=12,
                   colorbar=True, colorbar_label="attention weight", cmap="inferno", softmax_rows=True):
    """Draw an alignment: row t = output character t, column j = input character j, on the fixed range 0–1.

    alignment ``(T_out, T_in)`` (tensor or array; each row sums to 1) with ``T_in = len(inputs)`` and
    ``T_out = len(outputs)``; ``step``: outline that row in cyan (the query being shown); ``title``
    (``fontsize`` points) goes above; spaces are shown as ␣. A row that does not sum to 1 is refused
    (ValueError naming the row sums); pass ``softmax_rows=False`` to draw values in [0, 1] that are not
    softmax weights (sigmoid gates, scores). Returns the axes.
    """
    import matplotlib.pyplot as plt

    a = _check_alignment(alignment, inputs, outputs)
    if not isinstance(softmax_rows, bool):
        raise TypeError(f"softmax_rows must be True or False; got {type(softmax_rows).__name__}")
    sums = a.sum(-1)
    if softmax_rows and not np.allclose(sums, 1.0, atol=1e-3):
        raise ValueError(
            f"alignment rows must each sum to 1 (softmax weights over the inputs); got row sums "
            f"{np.round(sums, 3).tolist()}. Pass softmax_rows=False if these values are not a softmax."
        )
    step = _check_step(step, len(outputs))
    fontsize = _check_fontsize(fontsize)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.32 * len(inputs) + 1.8, 0.32 * len(outputs) + 1.4), dpi=80)
    shown = ax.imshow(a, cmap=cmap, vmin=0.0, vmax=1.0, aspect="equal", interpolation="nearest")
    ax.set_xticks(range(len(inputs)), _visible(inputs), fontsize=fontsize - 2)
    ax.set_yticks(range(len(outputs)), _visible(outputs), fontsize=fontsize - 2)
    ax.tick_params(length=0)
    ax.set_xlabel("input character j (key)", fontsize=fontsize - 2)
    ax.set_ylabel("output step t (query)", fontsize=fontsize - 2)
    if step is not None:
        ax.add_patch(plt.Rectangle((-0.5, step - 0.5), len(inputs), 1, fill=False, edgecolor=_rgb(_CYAN), lw=2.5))
    if title is not None:
        ax.set_title(title, fontsize=fontsize)
    if colorbar:
        bar = ax.figure.colorbar(shown, ax=ax, fraction=0.03, pad=0.02)
        bar.ax.tick_params(labelsize=fontsize - 3)
        bar.set_label(colorbar_label, fontsize=fontsize - 3)
    return ax


def _rgb(colour) -> tuple[float, float, float]:
    return tuple(c / 255 for c in colour)


def _check_clip(clip, weights, event) -> tuple[np.ndarray, np.ndarray, int | None]:
    """clip ``(T, 3, H, W)`` float in [0, 1], weights ``(T,)`` → numpy ``(T, H, W, 3)``, ``(T,)``, event."""
    check_float_tensor(clip, "clip", "(T, 3, H, W)", min_dim=4)
    if clip.dim() != 4 or clip.shape[1] != 3:
        raise ValueError(f"clip must have shape (T, 3, H, W); got {shape_str(clip.shape)}")
    check_float_tensor(weights, "weights", f"({clip.shape[0]},)", min_dim=1)
    if tuple(weights.shape) != (clip.shape[0],):
        raise ValueError(f"weights must have shape ({clip.shape[0]},), one per frame; got {shape_str(weights.shape)}")
    event = _check_step(event, clip.shape[0], "event")
    frames = clip.detach().permute(0, 2, 3, 1).clamp(0, 1).numpy()
    return frames, weights.detach().float().numpy(), event


def show_filmstrip(clip, weights, *, event=None, title=None, fontsize=12, scale=None):
    """A clip's frames in one row with each frame's attention weight as a bar (and number) under it.

    clip ``(T, 3, H, W)`` in [0, 1]; weights ``(T,)`` (summing to 1); ``event``: the frame that
    decides the label, outlined in cyan; the dashed line is the uniform weight 1/T. Returns the figure.
    """
    import matplotlib.pyplot as plt

    frames, w, event = _check_clip(clip, weights, event)
    fontsize = _check_fontsize(fontsize)
    t = len(frames)
    fig = plt.figure(figsize=(0.75 * t, 2.9) if scale is None else scale, dpi=80)
    grid = fig.add_gridspec(2, t, height_ratios=[1, 1.6], hspace=0.1, wspace=0.08)
    for i, frame in enumerate(frames):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(frame, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set(edgecolor=_rgb(_CYAN) if i == event else "0.6", linewidth=3 if i == event else 0.5)
    bars = fig.add_subplot(grid[1, :])
    colours = [_rgb(_CYAN) if i == event else "0.35" for i in range(t)]
    bars.bar(range(t), w, width=0.8, color=colours, edgecolor="k", linewidth=0.5)
    bars.axhline(1 / t, color="0.4", ls="--", lw=1)
    for i, value in enumerate(w):
        bars.text(i, value + 0.03, f"{value:.2f}", ha="center", va="bottom", fontsize=fontsize - 4)
    bars.set(xlim=(-0.5, t - 0.5), ylim=(0, 1.18))
    bars.set_xticks(range(t), [str(i) for i in range(t)], fontsize=fontsize - 3)
    bars.tick_params(axis="y", labelsize=fontsize - 3)
    bars.set_xlabel("frame t" + ("  (cyan: the event frame)" if event is not None else "")
                    + f"  · dashed: uniform 1/{t}", fontsize=fontsize - 2)
    bars.set_ylabel("frame weight", fontsize=fontsize - 2)
    if title is not None:
        fig.suptitle(title, fontsize=fontsize, y=0.99)
    return fig


# ----------------------------------------------------------------------------- PIL pictures for the widgets


@functools.cache
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@functools.cache
def _stamp(text: str, size: int) -> np.ndarray:
    """``text`` rendered once in the default font at ``size`` px → its coverage ``(h, w)`` float32 in [0, 1],
    cropped to the ink, so each move only blends cached stamps instead of asking FreeType again. A space
    is drawn as ␣ (a small open box, which the default font lacks)."""
    if text == " ":
        side = max(4, size // 2)
        mark = np.zeros((side // 2 + 1, side), dtype=np.float32)
        mark[-1], mark[:, 0], mark[:, -1] = 1, 1, 1  # ␣: a floor and two short walls
        return mark
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(canvas).text((-left, -top), text, fill=255, font=font)
    return np.asarray(canvas, dtype=np.float32) / 255


def _put(out: np.ndarray, text: str, centre: tuple[int, int], colour, size: int) -> None:
    """Blend ``text`` in ``colour`` into ``out`` ``(H, W, 3)`` uint8 (in place), centred on ``centre = (x, y)``."""
    cover = _stamp(text, size)
    h, w = cover.shape
    x0, y0 = centre[0] - w // 2, centre[1] - h // 2
    target = out[y0 : y0 + h, x0 : x0 + w]
    cover = cover[: target.shape[0], : target.shape[1], None]
    target[:] = (target * (1 - cover) + np.asarray(colour, dtype=np.float32) * cover + 0.5).astype(np.uint8)


def _ink(rgb) -> tuple[int, int, int]:
    """Black or white text, whichever reads better on a background of colour ``rgb``."""
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (0, 0, 0) if luminance > 128 else (255, 255, 255)


def _box(out: np.ndarray, left: int, top: int, right: int, bottom: int, colour, width: int = 2) -> None:
    """Outline the pixel box ``[left, right] × [top, bottom]`` of ``out`` in place (clipped to the picture)."""
    h, w = out.shape[:2]
    left, top, right, bottom = max(left, 0), max(top, 0), min(right, w - 1), min(bottom, h - 1)
    out[top : top + width, left : right + 1] = colour
    out[bottom - width + 1 : bottom + 1, left : right + 1] = colour
    out[top : bottom + 1, left : left + width] = colour
    out[top : bottom + 1, right - width + 1 : right + 1] = colour


class AlignmentPicture:
    """One alignment drawn with PIL, prepared once, then one frame per output step.

    alignment ``(T_out, T_in)`` with ``T_in = len(inputs)`` and ``T_out = len(outputs)``; each character
    is a ``cell``-pixel square. :meth:`frame` ``(step)`` → ``(H, W, 3)`` uint8: at the top the output
    string with character ``step`` boxed in cyan, under it the input characters coloured by that step's
    weights (its row of the alignment, with the weights written under them), then the whole
    alignment (row t = output step t; row ``step`` outlined in cyan), then the colour bar 0 → 1.
    Colours come from a :class:`~attnlib.Painter` (``cmap``, fixed range 0–1, nearest: one block per weight).
    """

    def __init__(self, alignment, inputs: str, outputs: str, *, cell: int = 24, cmap: str = "inferno"):
        self.alignment = _check_alignment(alignment, inputs, outputs)
        self.inputs, self.outputs = inputs, outputs
        self.cell = check_int(cell, "cell", minimum=12, maximum=64, what=" (pixels per character)")
        t_out, t_in = self.alignment.shape
        self.left, self.top = 2 * cell, 3 * cell + cell // 2  # room for the row labels; for the two strips
        self.width = self.left + t_in * cell + cell // 2
        self.height = self.top + (t_out + 2) * cell
        strip = np.zeros((cell, t_in * cell, 3), dtype=np.uint8)  # one output step's row of characters
        painter = Painter(strip, cmap=cmap, opacity=1.0, normalize=(0.0, 1.0), upsample="nearest")
        # each row is one query's map (1, T_in): painted on its own, then stacked → (T_out·cell, T_in·cell, 3)
        self.matrix = np.concatenate([painter(row[None]) for row in self.alignment])
        self.base = self._draw_base(painter.colour_bar(t_in * cell, cell // 2))
        self._strips: dict[int, np.ndarray] = {}  # step → its strip of input characters, drawn on first use

    def _draw_base(self, bar: np.ndarray) -> np.ndarray:
        """Everything that does not depend on the step: matrix, labels, output string, colour bar."""
        c, (t_out, t_in) = self.cell, self.alignment.shape
        base = np.full((self.height, self.width, 3), 32, dtype=np.uint8)
        base[self.top : self.top + t_out * c, self.left : self.left + t_in * c] = self.matrix
        bar_top = self.top + t_out * c + c // 2
        base[bar_top : bar_top + c // 2, self.left : self.left + t_in * c] = bar
        big, small, white = int(c * 0.6), int(c * 0.45), (255, 255, 255)
        for t, char in enumerate(self.outputs):  # the output string on top, and again as row labels
            _put(base, char, (self.left + t * c + c // 2, c // 2 + 2), white, big)
            _put(base, char, (self.left - c // 2, self.top + t * c + c // 2), white, big)
        _put(base, "out", (c // 2 + 2, c // 2 + 2), white, small)
        _put(base, "in", (c // 2 + 2, self._strip_top + c // 2), white, small)
        _put(base, "0", (self.left + c // 4, bar_top + c), white, small)
        _put(base, "1", (self.left + t_in * c - c // 4, bar_top + c), white, small)
        _put(base, "attention weight", (self.left + t_in * c // 2, bar_top + c), white, small)
        return base

    @property
    def _strip_top(self) -> int:
        return self.cell + self.cell // 4

    def _strip(self, step: int) -> np.ndarray:
        """The input characters coloured by row ``step``, the weights written under them → ``(2·cell, W, 3)``
        uint8, drawn once per step and kept: a move back to a step only copies it."""
        if step not in self._strips:
            c, top = self.cell, self._strip_top
            out = self.base[top : top + 2 * c].copy()
            out[:c, self.left : self.left + len(self.inputs) * c] = self.matrix[step * c : (step + 1) * c]  # its row
            big, small = int(c * 0.6), int(c * 0.42)
            for j, char in enumerate(self.inputs):
                x = self.left + j * c + c // 2
                _put(out, char, (x, c // 2), _ink(out[c // 2, x]), big)
                weight = self.alignment[step, j]
                label = f"{weight:.2f}".lstrip("0") if weight < 0.995 else "1"
                _put(out, label, (x, c + c // 3), (255, 255, 255), small)
            self._strips[step] = out
        return self._strips[step]

    def frame(self, step: int) -> np.ndarray:
        """The picture for output step ``step`` (0 ≤ step < T_out) → ``(H, W, 3)`` uint8."""
        c, (t_out, t_in) = self.cell, self.alignment.shape
        step = check_int(step, "step", minimum=0, maximum=t_out - 1)
        out, top = self.base.copy(), self._strip_top
        out[top : top + 2 * c] = self._strip(step)
        x = self.left + step * c
        _box(out, x, 1, x + c - 1, c + 2, _CYAN)  # the output character now written …
        _box(out, self.left - 2, self.top + step * c - 2, self.left + t_in * c + 1, self.top + (step + 1) * c + 1,
             _CYAN)  # … and its row of the alignment
        return out


def filmstrip_picture(clip, weights, *, event=None, scale: int = 3, bar_height: int = 48) -> np.ndarray:
    """A clip's frames in one row, each enlarged ``scale``× (nearest), with a bar under each frame whose
    height is the frame's weight (full height = 1), the weight written under it and the frame number t
    (grey) under that; ``event`` (the frame that decides the label) is outlined in cyan. clip
    ``(T, 3, H, W)``, weights ``(T,)`` → ``(H·scale + bar_height + 32, T·(W·scale + 4), 3)`` uint8."""
    frames, w, event = _check_clip(clip, weights, event)
    scale = check_int(scale, "scale", minimum=1, maximum=16)
    bar_height = check_int(bar_height, "bar_height", minimum=8)
    t, h, width = frames.shape[:3]
    fh, fw, gap = h * scale, width * scale, 4
    out = np.full((fh + bar_height + 32, t * (fw + gap), 3), 32, dtype=np.uint8)
    big = np.rint(frames * 255).astype(np.uint8).repeat(scale, axis=1).repeat(scale, axis=2)  # (T, fh, fw, 3)
    for i in range(t):
        x = i * (fw + gap) + gap // 2
        out[:fh, x : x + fw] = big[i]
        if i == event:
            _box(out, x - 2, 0, x + fw + 1, fh - 1, _CYAN)
        top = fh + 2 + round((1 - float(np.clip(w[i], 0, 1))) * (bar_height - 2))
        out[top : fh + bar_height, x + fw // 4 : x + fw - fw // 4] = _CYAN if i == event else (200, 200, 200)
        _put(out, f"{w[i]:.2f}", (x + fw // 2, fh + bar_height + 9), (255, 255, 255), 11)
        _put(out, str(i), (x + fw // 2, fh + bar_height + 24), (160, 160, 160), 11)  # the frame number t
    return out
