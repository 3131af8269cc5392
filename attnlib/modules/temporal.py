"""Attention over time: weights over the steps of a sequence instead of the pixels of a map.

Both models here attend with the course's own pieces: :class:`~attnlib.AdditiveScore` (Bahdanau's
score ``wᵀ tanh(W_q q + W_k k)``), :func:`~attnlib.softmax` (with a mask, so padding gets weight
exactly 0) and :func:`~attnlib.weighted_sum`.

- :class:`BahdanauDecoder` and :class:`DateTranslator`: a GRU encoder–decoder with additive
  attention (Bahdanau, Cho, Bengio, 2015). At every output step the decoder's state asks which input
  characters to read; its weights form an **alignment** ``(B, T_out, T_in)``, row t = output step t.
- :class:`FramePooling` and :class:`ClipClassifier`: attention pooling over the frames of a clip.
  One learned query scores every frame, a softmax over time turns the scores into weights
  ``(B, T)``, and the clip is the weighted sum of its frames' features.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .._checks import check_float_tensor, check_int, shape_str
from ..attention import softmax, weighted_sum
from ..scores import AdditiveScore

__all__ = ["BahdanauDecoder", "DateTranslator", "FramePooling", "ClipClassifier"]


def _check_mask(mask, shape: tuple[int, ...], name: str = "mask") -> None:
    """``mask`` must be a bool tensor of exactly ``shape`` (True = a real step, False = padding)."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = f"dtype {mask.dtype}" if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"{name} must be a torch.bool tensor (True = a real step, False = padding); got {got}")
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {shape_str(shape)}, one flag per step; got {shape_str(mask.shape)}")


def _check_tokens(inputs, mask, n_symbols: int) -> torch.Tensor:
    """Right-padded token ids ``(B, T)`` and their mask ``(B, T)`` → the lengths ``(B,)``."""
    if not isinstance(inputs, torch.Tensor) or inputs.dtype != torch.long:
        got = f"dtype {inputs.dtype}" if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise TypeError(f"inputs must be a torch.long tensor of character ids (B, T_in); got {got}")
    if inputs.dim() != 2 or 0 in inputs.shape:
        raise ValueError(f"inputs must have shape (B, T_in) with B, T_in >= 1; got {shape_str(inputs.shape)}")
    if inputs.min() < 0 or inputs.max() >= n_symbols:
        got = f"{int(inputs.min())} to {int(inputs.max())}"
        raise ValueError(f"inputs must hold character ids in [0, {n_symbols - 1}]; got {got}")
    _check_mask(mask, inputs.shape)
    lengths = mask.sum(1)
    if (lengths == 0).any() or not torch.equal(mask, torch.arange(inputs.shape[1]) < lengths[:, None]):
        raise ValueError("mask must mark a non-empty prefix of each row (True … True False … False): right padding")
    return lengths


class BahdanauDecoder(nn.Module):
    """Writes one output symbol per step while attending over the encoder's annotations ``keys``.

    At step t, with the previous state ``s`` ``(B, hidden)`` and the previous symbol ``y``:

    1. scores ``e_tj = wᵀ tanh(W_q s + W_k h_j)`` over the input steps j (:class:`~attnlib.AdditiveScore`);
    2. ``alpha_t = softmax(e_t)`` with padded steps masked to exactly 0 (:func:`~attnlib.softmax`);
    3. context ``c_t = Σ_j alpha_tj h_j`` (:func:`~attnlib.weighted_sum`);
    4. new state ``s_t = GRU([embed(y); c_t], s)``, logits ``= W_out [s_t; c_t]``.

    ``n_out`` symbols (the embedding has one more, id ``n_out``, the start symbol); ``key_size`` =
    the annotations' size; ``hidden`` = the state's size; ``attn_hidden`` = the score's hidden size.
    """

    def __init__(self, n_out: int, key_size: int, hidden: int = 64, attn_hidden: int = 32, embed: int = 16):
        super().__init__()
        for value, name in [(n_out, "n_out"), (key_size, "key_size"), (hidden, "hidden"),
                            (attn_hidden, "attn_hidden"), (embed, "embed")]:
            check_int(value, name, minimum=1)
        self.n_out, self.start = n_out, n_out
        self.embed = nn.Embedding(n_out + 1, embed)
        self.score = AdditiveScore(hidden, key_size, attn_hidden)
        self.cell = nn.GRUCell(embed + key_size, hidden)
        self.out = nn.Linear(hidden + key_size, n_out)

    def attend(self, s: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Steps 1–3. s ``(B, hidden)``, keys ``(B, T_in, key_size)``, mask ``(B, T_in)`` bool →
        ``(context (B, key_size), alpha (B, T_in))``; masked steps get ``alpha`` exactly 0."""
        scores = self.score(s[:, None, :], keys)  # (B, 1, T_in): one query (the state), T_in keys
        alpha = softmax(scores, mask=mask[:, None, :])  # (B, 1, T_in), sums to 1 over the real steps
        context = weighted_sum(alpha, keys)  # (B, 1, key_size)
        return context[:, 0], alpha[:, 0]

    def step(self, y: torch.Tensor, s: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor):
        """One output step: previous symbols y ``(B,)`` long, state s ``(B, hidden)`` →
        ``(logits (B, n_out), new state (B, hidden), alpha (B, T_in))``."""
        context, alpha = self.attend(s, keys, mask)
        s = self.cell(torch.cat([self.embed(y), context], dim=-1), s)
        return self.out(torch.cat([s, context], dim=-1)), s, alpha

    def forward(self, s: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor, *, steps: int,
                targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``steps`` output steps from the initial state s ``(B, hidden)``. With ``targets`` ``(B, steps)``
        each step is fed the true previous symbol (teacher forcing), else its own best guess (greedy).

        → ``(logits (B, steps, n_out), alignment (B, steps, T_in))``, row t = output step t.
        """
        y = torch.full((s.shape[0],), self.start, dtype=torch.long)
        all_logits, alignment = [], []
        for t in range(steps):
            logits, s, alpha = self.step(y, s, keys, mask)
            all_logits.append(logits)
            alignment.append(alpha)
            y = targets[:, t] if targets is not None else logits.argmax(-1)
        return torch.stack(all_logits, dim=1), torch.stack(alignment, dim=1)


class DateTranslator(nn.Module):
    """A character-level encoder–decoder with Bahdanau attention: a written date → its ISO form.

    Encoder: embedding (``n_in`` symbols, id 0 = padding) → bidirectional GRU (``hidden`` per
    direction); its outputs are the annotations ``h_j`` ``(B, T_in, 2·hidden)``, one per input
    character, each reading the whole string from both sides. The decoder's first state is
    ``tanh(W_s h_backward)`` (the backward GRU's summary of the string). Decoder: :class:`BahdanauDecoder`
    over ``n_out`` symbols, ``out_len`` steps.

    forward: inputs ``(B, T_in)`` long, mask ``(B, T_in)`` bool (right padding), optional targets
    ``(B, out_len)`` long → ``(logits (B, out_len, n_out), alignment (B, out_len, T_in))``; row t of
    the alignment = output step t, padded input positions get weight exactly 0.
    """

    def __init__(self, n_in: int, n_out: int, out_len: int, *, embed: int = 16, hidden: int = 32,
                 dec_hidden: int = 64, attn_hidden: int = 32):
        super().__init__()
        for value, name in [(n_in, "n_in"), (n_out, "n_out"), (out_len, "out_len"), (embed, "embed"),
                            (hidden, "hidden"), (dec_hidden, "dec_hidden"), (attn_hidden, "attn_hidden")]:
            check_int(value, name, minimum=1)
        self.config = {"n_in": n_in, "n_out": n_out, "out_len": out_len, "embed": embed, "hidden": hidden,
                       "dec_hidden": dec_hidden, "attn_hidden": attn_hidden}
        self.embed = nn.Embedding(n_in, embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(hidden, dec_hidden)
        self.decoder = BahdanauDecoder(n_out, 2 * hidden, dec_hidden, attn_hidden, embed)

    def encode(self, inputs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """inputs ``(B, T_in)``, mask ``(B, T_in)`` → ``(keys (B, T_in, 2·hidden), s0 (B, dec_hidden))``.

        Packed, so a string's annotations do not depend on how much padding its batch has."""
        lengths = _check_tokens(inputs, mask, self.config["n_in"])
        packed = pack_padded_sequence(self.embed(inputs), lengths, batch_first=True, enforce_sorted=False)
        out, last = self.encoder(packed)  # last: (2, B, hidden), [forward, backward]
        keys, _ = pad_packed_sequence(out, batch_first=True, total_length=inputs.shape[1])
        return keys, torch.tanh(self.bridge(last[1]))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor | None = None):
        keys, s0 = self.encode(inputs, mask)
        steps = self.config["out_len"]
        if targets is not None:
            if not isinstance(targets, torch.Tensor) or targets.dtype != torch.long:
                raise TypeError(f"targets must be a torch.long tensor (B, {steps}); got {targets!r:.60}")
            if tuple(targets.shape) != (inputs.shape[0], steps):
                want = f"({inputs.shape[0]}, {steps})"
                raise ValueError(f"targets must have shape {want}; got {shape_str(targets.shape)}")
        return self.decoder(s0, keys, mask, steps=steps, targets=targets)


class FramePooling(nn.Module):
    """Attention pooling over time: which frames of a clip matter?

    One learned query ``q`` (``(1, d)``, the same for every clip) scores every frame's features
    ``h_t`` with :class:`~attnlib.AdditiveScore`, ``e_t = wᵀ tanh(W_q q + W_k h_t)``; a softmax
    over time gives the frame weights ``alpha_t`` (masked frames: exactly 0); the clip's feature is
    ``Σ_t alpha_t h_t``.

    forward: frames ``(B, T, d)``, optional mask ``(B, T)`` bool (True = a frame) →
    ``(pooled (B, d), weights (B, T))``; each row of the weights sums to 1.
    """

    def __init__(self, d: int, hidden: int = 16):
        super().__init__()
        self.d = check_int(d, "d", minimum=1)
        check_int(hidden, "hidden", minimum=1)
        self.query = nn.Parameter(0.1 * torch.randn(1, d))
        self.score = AdditiveScore(d, d, hidden)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        check_float_tensor(frames, "frames", f"(B, T, {self.d})", min_dim=3)
        if frames.dim() != 3 or frames.shape[-1] != self.d:
            raise ValueError(f"frames must have shape (B, T, {self.d}); got {shape_str(frames.shape)}")
        if mask is not None:
            _check_mask(mask, frames.shape[:2])
            mask = mask[:, None, :]  # (B, 1, T): broadcasts over the one query
        scores = self.score(self.query, frames)  # (B, 1, T): one query against every frame
        weights = softmax(scores, mask=mask)  # (B, 1, T), softmax over time
        return weighted_sum(weights, frames)[:, 0], weights[:, 0]


class ClipClassifier(nn.Module):
    """A per-frame CNN, attention pooling over the frames, and a linear classifier.

    ``frame_encoder``: two 3×3 conv + ReLU stages (3 → 16 → ``channels``, a 2×2 max-pool between)
    and a global max-pool: each frame becomes ``channels`` numbers, computed from that frame alone.
    ``pool``: :class:`FramePooling`; ``head``: ``channels`` → ``n_classes``.

    forward: clips ``(B, T, 3, H, W)``, optional mask ``(B, T)`` bool (False = leave that frame out)
    → ``(logits (B, n_classes), weights (B, T))``; row b of the weights = clip b's frame weights.
    """

    def __init__(self, n_classes: int, *, channels: int = 32, attn_hidden: int = 16):
        super().__init__()
        for value, name in [(n_classes, "n_classes"), (channels, "channels"), (attn_hidden, "attn_hidden")]:
            check_int(value, name, minimum=1)
        self.config = {"n_classes": n_classes, "channels": channels, "attn_hidden": attn_hidden}
        self.frame_encoder = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
        )
        self.pool = FramePooling(channels, attn_hidden)
        self.head = nn.Linear(channels, n_classes)

    def encode_frames(self, clips: torch.Tensor) -> torch.Tensor:
        """clips ``(B, T, 3, H, W)`` → per-frame features ``(B, T, channels)``."""
        check_float_tensor(clips, "clips", "(B, T, 3, H, W)", min_dim=5)
        if clips.dim() != 5 or clips.shape[2] != 3 or min(clips.shape[-2:]) < 2:
            raise ValueError(f"clips must have shape (B, T, 3, H, W) with H, W >= 2; got {shape_str(clips.shape)}")
        b, t = clips.shape[:2]
        return self.frame_encoder(clips.flatten(0, 1)).reshape(b, t, -1)

    def forward(self, clips: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        pooled, weights = self.pool(self.encode_frames(clips), mask)
        return self.head(pooled), weights
