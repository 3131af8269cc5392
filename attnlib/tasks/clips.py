"""Which frame of a clip matters? Short synthetic clips where one brief event decides the label (notebook 09).

Each seeded clip has :data:`FRAMES` frames ``(3, size, size)``: two small squares drift across a
dark, noisy background, bouncing off the edges, in every frame. In exactly **one** frame, the
*event frame*, a symbol flashes somewhere: a plus, a cross or a ring (:data:`EVENTS`), in one of
the squares' colours. The label is which symbol flashed. The other frames say nothing about it, so
a model that pools the frames with attention should put its weight on the event frame.

- :func:`make_clips`: the seeded data set (clips, labels, event frames).
- :func:`event_mass`: the mean weight on the event frame, against a uniform ``1 / T``.
- :func:`load_clip_classifier`: the trained :class:`~attnlib.modules.ClipClassifier` in ``attnlib/weights``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from .._checks import check_float_tensor, check_int, shape_str
from .._shipped import load_shipped
from ..modules.temporal import ClipClassifier

__all__ = ["EVENTS", "FRAMES", "Clips", "make_clips", "event_mass", "load_clip_classifier"]

#: The symbols that can flash; a label is an index into this tuple.
EVENTS = ("plus", "cross", "ring")
#: Frames per clip.
FRAMES = 16

_SYMBOLS = {
    "plus": ["..#..", "..#..", "#####", "..#..", "..#.."],
    "cross": ["#...#", ".#.#.", "..#..", ".#.#.", "#...#"],
    "ring": ["#####", "#...#", "#...#", "#...#", "#####"],
}
_PALETTE = np.array([(0.95, 0.3, 0.25), (0.3, 0.85, 0.3), (0.35, 0.55, 1.0), (0.95, 0.85, 0.2)], dtype=np.float32)
_SQUARE = 3  # side of the drifting squares, in pixels


def _symbol(name: str) -> np.ndarray:
    return np.array([[c == "#" for c in row] for row in _SYMBOLS[name]])  # (5, 5) bool


class Clips(NamedTuple):
    """A batch of the clip task.

    ``clips`` ``(n, T, 3, size, size)`` float32 in [0, 1]; ``labels`` ``(n,)`` long (index into
    :data:`EVENTS`); ``event_frames`` ``(n,)`` long: the frame in which the symbol flashes.
    """

    clips: torch.Tensor
    labels: torch.Tensor
    event_frames: torch.Tensor


def _paths(rng: np.random.Generator, n: int, top: int) -> np.ndarray:
    """Top-left corners ``(n, FRAMES, 2, 2)`` of two squares per clip (clip, frame, square, (row, col)),
    each moving ±1 or ±2 pixels per frame along each axis inside ``[0, top]`` and bouncing off the walls."""
    position = rng.integers(0, top + 1, size=(n, 2, 2))
    velocity = rng.choice([-2, -1, 1, 2], size=(n, 2, 2))
    path = np.empty((n, FRAMES, 2, 2), dtype=np.int64)
    for t in range(FRAMES):
        path[:, t] = position
        position = position + velocity
        out = (position < 0) | (position > top)
        velocity = np.where(out, -velocity, velocity)  # reflect at the wall …
        position = np.clip(position, 0, top)  # … and stay inside
    return path


def make_clips(n: int, *, size: int = 16, noise: float = 0.05, seed: int = 0) -> Clips:
    """``n`` seeded clips of :data:`FRAMES` frames, each frame ``(3, size, size)``; see :class:`Clips`.

    The event frame, the symbol, its place and colour, and the squares' starts, speeds (±1 or ±2
    pixels per frame along each axis) and colours are all drawn independently.
    """
    n = check_int(n, "n", minimum=1, what=" (number of clips)")
    size = check_int(size, "size", minimum=8, what=" (frame side in pixels)")
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 0.2:
        raise ValueError(f"noise must be a number in [0, 0.2] (the background's standard deviation); got {noise!r}")
    rng = np.random.default_rng(seed)
    clips = 0.1 + noise * rng.standard_normal((n, FRAMES, 3, size, size), dtype=np.float32)
    labels = rng.integers(0, len(EVENTS), size=n)
    event_frames = rng.integers(0, FRAMES, size=n)
    path = _paths(rng, n, size - _SQUARE)  # (n, T, 2, 2)
    colours = rng.permuted(np.tile(np.arange(len(_PALETTE)), (n, 1)), axis=1)[:, :2]  # (n, 2), never equal
    clip, frame = np.arange(n)[:, None, None, None], np.arange(FRAMES)[None, :, None, None]
    offsets = np.arange(_SQUARE)
    for s in range(2):  # paint square s in every frame of every clip at once
        rows = (path[:, :, s, 0, None] + offsets)[:, :, :, None]  # (n, T, 3, 1)
        cols = (path[:, :, s, 1, None] + offsets)[:, :, None, :]  # (n, T, 1, 3)
        clips[clip, frame, :, rows, cols] = _PALETTE[colours[:, s]][:, None, None, None, :]  # (n, T, 3, 3, RGB)
    corners = rng.integers(0, size - 5 + 1, size=(n, 2))  # where each clip's 5 × 5 symbol goes
    symbol_colours = _PALETTE[rng.integers(len(_PALETTE), size=n)]  # (n, 3)
    for i in range(n):
        (row, col), symbol = corners[i], _symbol(EVENTS[labels[i]])
        patch = clips[i, event_frames[i], :, row : row + 5, col : col + 5]  # a view: painting it paints the clip
        patch[:, symbol] = symbol_colours[i][:, None]
    return Clips(
        torch.from_numpy(np.clip(clips, 0.0, 1.0)),
        torch.from_numpy(labels),
        torch.from_numpy(event_frames),
    )


def event_mass(weights: torch.Tensor, event_frames: torch.Tensor) -> tuple[float, float]:
    """Mean weight on the event frame and what a uniform pooling would give.

    weights ``(n, T)`` (rows sum to 1), event_frames ``(n,)`` long → ``(mean of weights[i, event_i], 1 / T)``.
    """
    check_float_tensor(weights, "weights", "(n, T)")
    if not isinstance(event_frames, torch.Tensor) or event_frames.dtype != torch.long:
        raise TypeError(f"event_frames must be a torch.long tensor (n,); got {event_frames!r:.60}")
    if weights.dim() != 2 or tuple(event_frames.shape) != (weights.shape[0],):
        raise ValueError(
            f"weights must be (n, T) and event_frames (n,); got {shape_str(weights.shape)} and "
            f"{shape_str(event_frames.shape)}"
        )
    if event_frames.min() < 0 or event_frames.max() >= weights.shape[1]:
        raise ValueError(f"event_frames must lie in [0, {weights.shape[1] - 1}]; got {event_frames.tolist()!r:.60}")
    on_event = weights.detach()[torch.arange(len(weights)), event_frames]
    return float(on_event.mean()), 1.0 / weights.shape[1]


#: Where the shipped clip classifier lives (made by ``scripts/train_temporal.py``).
CLIP_WEIGHTS = "clips_classifier.pt"


def load_clip_classifier() -> ClipClassifier:
    """The trained :class:`~attnlib.modules.ClipClassifier` from ``attnlib/weights``, in eval mode.

    Saved as ``{"config", "state_dict", "history"}``, loaded with ``weights_only=True``;
    ``model.history`` is the training run the script recorded.
    """
    return load_shipped(CLIP_WEIGHTS, ClipClassifier)
