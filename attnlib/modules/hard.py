"""Hard attention: look at a few small patches (glimpses) instead of weighting every pixel.

- :func:`glimpse_boxes`: where the patches of a glimpse sit in the image, as ``(top, left, height, width)``.
- :func:`glimpse`: cut those patches out and pool each down to ``size × size``;
- :class:`RecurrentAttention` (RAM) and :func:`ram_loss`: a recurrent model that learns where to look next,
  trained with REINFORCE.

Coordinates. A location is ``(row, col)`` in [-1, 1]: −1 is the top (left) edge of the image, +1 the
bottom (right) edge, 0 the centre, as for query pixels elsewhere in the course. The reference PyTorch RAM
code (kevinzakka/recurrent-visual-attention, ``modules.py``) orders its locations ``(x, y)`` = ``(col, row)``
and scales both by the image height; here rows scale by ``H`` and columns by ``W``, so non-square images work.

Locations outside [-1, 1] are **refused** (``ValueError``), not clamped: a value such as ``(14, 20)`` is
almost always a pixel position passed where a normalised one was meant, and clamping would hide that.
A sampling policy whose samples can leave the square clamps them itself, as :class:`RecurrentAttention` does.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

from .._checks import (
    check_feature_map,
    check_finite,
    check_float_tensor,
    check_hw,
    check_int,
    check_positive,
    shape_str,
)
from .._shipped import load_shipped

__all__ = [
    "glimpse",
    "glimpse_boxes",
    "RecurrentAttention",
    "RAMOutput",
    "RAMLoss",
    "ram_loss",
    "load_ram",
    "load_soft_counterpart",
]


def _check_locations(locations, batch: int | None = None) -> None:
    want = "(B, 2) as (row, col) in [-1, 1]" if batch is None else f"({batch}, 2) as (row, col) in [-1, 1]"
    check_float_tensor(locations, "locations", want)
    if locations.dim() != 2 or locations.shape[1] != 2 or (batch is not None and locations.shape[0] != batch):
        raise ValueError(f"locations must have shape {want}; got {shape_str(locations.shape)}")
    check_finite(locations, "locations")
    if locations.abs().max() > 1:
        worst = locations[locations.abs().argmax() // 2].tolist()
        raise ValueError(
            f"locations must lie in [-1, 1] (−1 = top/left edge, +1 = bottom/right edge); got "
            f"(row, col) = ({worst[0]:.8g}, {worst[1]:.8g}). Pixel positions must be normalised first: "
            "l = 2·pixel/(H, W) − 1; a policy's samples are clamped with locations.clamp(-1, 1)"
        )


def glimpse_boxes(locations: torch.Tensor, image_size, size: int, *, scales: int = 1) -> torch.Tensor:
    """Where each patch of each glimpse sits: ``(B, scales, 4)`` long boxes ``(top, left, height, width)``.

    locations ``(B, 2)`` = ``(row, col)`` in [-1, 1]; ``image_size`` = ``(H, W)`` (or one int for a square).
    Patch ``s`` is a square of side ``n = size · 2^s`` centred on the location's pixel position
    ``c = (l + 1) / 2 · (H, W)`` (pixel edges at integers, so ``c = 0`` is the top edge). Its first row and
    column are ``round(c − n / 2)``, rounding halves up; boxes may reach outside the image.
    """
    h, w = check_hw(image_size, "image_size")
    size = check_int(size, "size", minimum=1, what=" (the glimpse side in pixels)")
    scales = check_int(scales, "scales", minimum=1, what=" (patches per glimpse)")
    _check_locations(locations)
    centre = (locations.detach().double() + 1) / 2 * torch.tensor([h, w], dtype=torch.float64)  # (B, 2) pixels
    sides = size * 2 ** torch.arange(scales, dtype=torch.float64)  # (scales,)
    corner = torch.floor(centre[:, None, :] - sides[None, :, None] / 2 + 0.5).long()  # (B, scales, 2)
    extent = sides.long()[None, :, None].expand_as(corner)
    return torch.cat([corner, extent], dim=-1)


def glimpse(images: torch.Tensor, locations: torch.Tensor, size: int, *, scales: int = 1) -> torch.Tensor:
    """Cut a glimpse out of every image: images ``(B, C, H, W)``, locations ``(B, 2)`` → ``(B, scales, C, size, size)``.

    Patch ``s`` covers the box :func:`glimpse_boxes` gives (side ``size · 2^s``, centred on the location) and is
    average-pooled by ``2^s`` down to ``size × size``: the same number of values at every scale, coarser
    further out. Pixels outside the image read as 0. The output is differentiable in ``images`` but not in
    ``locations`` (an integer crop): that is why hard attention needs REINFORCE to learn where to look.
    """
    check_float_tensor(images, "images", "(B, C, H, W)", min_dim=4)
    if images.dim() != 4:
        raise ValueError(f"images must have shape (B, C, H, W); got {shape_str(images.shape)}")
    batch, _, h, w = images.shape
    _check_locations(locations, batch)
    boxes = glimpse_boxes(locations, (h, w), size, scales=scales)  # (B, scales, 4)
    patches = []
    for s in range(boxes.shape[1]):
        side = int(boxes[0, s, 2])
        padded = F.pad(images, (side, side, side, side))  # zeros outside; every box fits inside the padding
        rows = boxes[:, s, 0, None] + side + torch.arange(side)  # (B, side) rows of the padded image
        cols = boxes[:, s, 1, None] + side + torch.arange(side)
        batch_index = torch.arange(batch)[:, None, None]
        patch = padded[batch_index, :, rows[:, :, None], cols[:, None, :]]  # (B, side, side, C)
        patches.append(F.avg_pool2d(patch.permute(0, 3, 1, 2), 2**s))  # (B, C, size, size)
    return torch.stack(patches, dim=1)


class RAMOutput(NamedTuple):
    """What :class:`RecurrentAttention` returns for a batch of ``B`` images and ``T`` glimpses.

    logits ``(B, n_classes)``; locations ``(B, T, 2)`` ``(row, col)`` where glimpse t was taken (sampled, clamped
    to [-1, 1], detached); means ``(B, T, 2)`` the policy's means; log_probs ``(B, T)`` = log N(sample; mean, std)
    summed over row and col, of the sample *before* clamping; baselines ``(B, T)`` the predicted reward.
    """

    logits: torch.Tensor
    locations: torch.Tensor
    means: torch.Tensor
    log_probs: torch.Tensor
    baselines: torch.Tensor


class RAMLoss(NamedTuple):
    """The terms of :func:`ram_loss`: ``total = nll + baseline + reinforce_weight · reinforce``; reward ``(B,)``."""

    total: torch.Tensor
    nll: torch.Tensor
    baseline: torch.Tensor
    reinforce: torch.Tensor
    reward: torch.Tensor


class RecurrentAttention(nn.Module):
    """The recurrent attention model (RAM) of Mnih et al. 2014: classify an image from ``T`` glimpses.

    At step ``t`` (``h_0 = 0``):

    - location policy: ``mean_t = tanh(W_2 relu(W_1 h_t))``, ``l_t ~ N(mean_t, std²)`` per coordinate;
    - baseline: ``b_t = w_b · h_t``, a prediction of the reward;
    - glimpse network: ``g_t = relu(W_what relu(W_phi phi) + W_where relu(W_l l_t))`` with
      ``phi = glimpse(images, l_t, size, scales=scales)`` flattened;
    - core: ``h_{t+1} = relu(W_g g_t + W_h h_t)``;

    and after the last glimpse the classifier reads ``logits = W_c h_T``.

    From the paper: multi-scale glimpses (each patch twice the side of the previous, pooled to one size), the
    what/where glimpse network, a rectifier recurrent core, a Gaussian location policy with a fixed std, a
    reward of 1 for a correct final answer (0 otherwise), REINFORCE with a learned baseline, and a classifier
    trained by the supervised loss (the paper's hybrid loss). From the widely used PyTorch implementation
    (kevinzakka/recurrent-visual-attention), where the paper is silent: the tanh and hidden layer of the
    location network; samples clamped to [-1, 1], with the log-probability taken *before* clamping; locations
    detached, so no gradient flows through where the model looked; location mean and baseline read a
    *detached* ``h_t``, so the core learns from the classifier only; the same reward given to every step; and
    :func:`ram_loss`'s weighting. Ours: the first location is also drawn from the policy (at ``h_0 = 0``, so it
    is learned), where the reference code draws it uniformly, and every log-probability belongs to a location
    that is actually looked at; locations are ``(row, col)``, the reference's ``(x, y)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 10,
        *,
        size: int = 8,
        scales: int = 3,
        glimpses: int = 4,
        hidden: int = 128,
        std: float = 0.15,
    ):
        super().__init__()
        self.config = {
            "in_channels": check_int(in_channels, "in_channels", minimum=1),
            "n_classes": check_int(n_classes, "n_classes", minimum=2),
            "size": check_int(size, "size", minimum=1),
            "scales": check_int(scales, "scales", minimum=1),
            "glimpses": check_int(glimpses, "glimpses", minimum=1),
            "hidden": check_int(hidden, "hidden", minimum=2),
            "std": check_positive(std, "std"),
        }
        patch = scales * in_channels * size * size
        self.phi = nn.Linear(patch, hidden)  # what: the glimpse's pixels
        self.where = nn.Linear(2, hidden // 2)  # where: the location it was taken at
        self.what_out = nn.Linear(hidden, hidden)
        self.where_out = nn.Linear(hidden // 2, hidden)
        self.core_g = nn.Linear(hidden, hidden)
        self.core_h = nn.Linear(hidden, hidden)
        self.locate = nn.Sequential(nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Linear(hidden // 2, 2))
        self.baseline = nn.Linear(hidden, 1)
        self.classify = nn.Linear(hidden, n_classes)

    @property
    def std(self) -> float:
        return self.config["std"]

    def policy(self, h: torch.Tensor) -> torch.Tensor:
        """The location policy's mean for hidden states ``h`` ``(B, hidden)`` → ``(B, 2)`` in (-1, 1); h is detached."""
        return torch.tanh(self.locate(h.detach()))

    def step(self, images: torch.Tensor, location: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One glimpse at ``location`` ``(B, 2)`` and one core update: ``h`` ``(B, hidden)`` → next ``h``."""
        c = self.config
        phi = glimpse(images, location, c["size"], scales=c["scales"]).flatten(1)
        g = F.relu(self.what_out(F.relu(self.phi(phi))) + self.where_out(F.relu(self.where(location))))
        return F.relu(self.core_g(g) + self.core_h(h))

    def forward(
        self,
        images: torch.Tensor,
        *,
        glimpses: int | None = None,
        sample: bool = True,
        generator: torch.Generator | None = None,
    ) -> RAMOutput:
        """images ``(B, in_channels, H, W)`` → :class:`RAMOutput` after ``glimpses`` steps (default: the config's).

        ``sample=True`` draws each location from the policy (noise ``torch.randn((B, 2), generator=generator)``
        once per step); ``sample=False`` looks at the policy's mean instead (a deterministic path).
        """
        c = self.config
        check_feature_map(images, c["in_channels"], "images")
        steps = c["glimpses"] if glimpses is None else check_int(glimpses, "glimpses", minimum=1)
        if not isinstance(sample, bool):
            raise TypeError(f"sample must be True (draw locations) or False (use the means); got {sample!r}")
        h = images.new_zeros(images.shape[0], self.core_h.in_features)
        locations, means, log_probs, baselines = [], [], [], []
        for _ in range(steps):
            mean = self.policy(h)
            noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype) if sample else 0.0
            drawn = (mean + self.std * noise).detach()  # where to look is not differentiable
            log_probs.append(Normal(mean, self.std).log_prob(drawn).sum(-1))  # before clamping, as the reference
            baselines.append(self.baseline(h.detach()).squeeze(-1))
            location = drawn.clamp(-1.0, 1.0)
            h = self.step(images, location, h)
            locations.append(location)
            means.append(mean)
        stack = partial(torch.stack, dim=1)
        return RAMOutput(self.classify(h), stack(locations), stack(means), stack(log_probs), stack(baselines))


def ram_loss(output: RAMOutput, labels: torch.Tensor, *, reinforce_weight: float = 0.01) -> RAMLoss:
    """RAM's hybrid loss for a batch: ``nll + baseline + reinforce_weight · reinforce`` (see :class:`RAMLoss`).

    - ``nll``: cross-entropy of the final logits against ``labels`` ``(B,)`` (trains glimpse net, core, classifier);
    - reward ``R = 1`` for a correct final answer, else 0, given to every step;
    - ``baseline``: mean over batch and steps of ``(b_t − R)²`` (trains the baseline);
    - ``reinforce``: ``−Σ_t log π(l_t) · (R − b_t)``, summed over steps and averaged over the batch, with ``b_t``
      detached (trains the location policy; its gradient is the REINFORCE estimate).
    """
    if not isinstance(output, RAMOutput):
        raise TypeError(f"output must be the RAMOutput a RecurrentAttention returns; got {type(output).__name__}")
    batch = output.logits.shape[0]
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.long or labels.shape != (batch,):
        got = f"{labels.dtype} {shape_str(labels.shape)}" if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a torch.long tensor of shape ({batch},); got {got}")
    weight = check_positive(reinforce_weight, "reinforce_weight")
    nll = F.cross_entropy(output.logits, labels)
    reward = (output.logits.detach().argmax(-1) == labels).float()  # (B,)
    reward_per_step = reward[:, None].expand_as(output.baselines)
    baseline = F.mse_loss(output.baselines, reward_per_step)
    advantage = reward_per_step - output.baselines.detach()
    reinforce = -(output.log_probs * advantage).sum(1).mean()
    return RAMLoss(nll + baseline + weight * reinforce, nll, baseline, reinforce, reward)


def load_ram() -> RecurrentAttention:
    """The trained RAM in ``attnlib/weights/ram_digits.pt`` (made by ``scripts/train_ram.py``), in eval mode.

    Trained on :func:`~attnlib.make_cluttered_digits` pictures of side 28 with 4 fragments. The file holds
    only tensors and plain values, loaded with ``torch.load(..., weights_only=True)``; ``net.history`` is the
    training run (per step: ``"loss"`` and ``"reward"``, the batch's share of right answers).
    """
    return load_shipped("ram_digits.pt", RecurrentAttention)


def load_soft_counterpart():
    """Notebook 08's soft model: notebook 07's :class:`~attnlib.DigitNet` with an input mask (``gate="input"``),
    trained by ``scripts/train_ram.py`` on RAM's pictures (side 28, 4 fragments), from
    ``attnlib/weights/ram_soft_input.pt``, in eval mode, loaded with ``weights_only=True``."""
    from ..tasks.digit_nets import _build_digit_net  # the tasks package imports this module: import on use

    return load_shipped("ram_soft_input.pt", _build_digit_net)
