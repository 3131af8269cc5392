"""Notebook 08 (hard attention): the glimpse coordinate transform and the REINFORCE loss with a baseline."""

from __future__ import annotations

import torch

from ..modules.hard import glimpse_boxes
from ._harness import _close, _randn, _run

__all__ = ["check_glimpse_corner", "check_reinforce_loss"]


def check_glimpse_corner(fn) -> bool:
    """``fn(locations (B, 2), image_size (H, W), side) → (B, 2)``: the top-left pixel ``(row, col)`` of a
    ``side × side`` patch centred on each location; locations are ``(row, col)`` in [-1, 1]."""

    def hint(locations, h, w, side):
        centre = (locations.double() + 1) / 2 * torch.tensor([h, w], dtype=torch.float64)

        def corners_scaled_by(rows, cols):  # in float32 and float64: they can round an exact .5 differently
            return [torch.floor((locations.to(dt) + 1) / 2 * torch.tensor([rows, cols], dtype=dt) - side / 2 + 0.5)
                    for dt in (locations.dtype, torch.float64)]

        def name_the_bug(got, want):
            if _close(got, want.flip(-1)):
                return "row and col are swapped: locations are (row, col), not the reference code's (x, y)."
            if _close(got, torch.floor(centre + 0.5)):
                return "that is the centre; the patch's first pixel is half a side up and to the left of it."
            if h != w and any(_close(got, c) for c in corners_scaled_by(w, h)):
                return "H and W are swapped: rows scale with the height H, columns with the width W."
            if h != w and _close(got, torch.floor((locations.double() + 1) / 2 * h - side / 2 + 0.5)):
                return "rows scale with the height H, columns with the width W (this image is not square)."
            spread = (locations.double() + 1) / 2 * torch.tensor([h - 1, w - 1], dtype=torch.float64)
            if _close(got, torch.floor(spread - side / 2 + 0.5)):
                return "−1 and +1 are the image's outer edges, so scale (l + 1)/2 by H (and W), not H − 1."
            return ""

        return name_the_bug

    def cases():
        for (h, w), side, locs in [
            ((48, 48), 8, [[0.0, 0.0], [-1.0, 1.0], [0.3, -0.6]]),
            ((28, 28), 16, [[0.1, 0.2], [-0.9, 0.55]]),
            ((20, 30), 4, [[0.5, -0.4], [-0.3, 0.8]]),
        ]:
            locations = torch.tensor(locs)
            want = glimpse_boxes(locations, (h, w), side)[:, 0, :2].double()
            yield f"image {h}×{w}, side {side}", (locations, (h, w), side), want, hint(locations, h, w, side)

    return _run("glimpse_corner", fn, cases(), atol=0, rtol=0, hint="centre c = (l + 1)/2 · (H, W) in pixels; "
                "the first row and column are c − side/2, rounded to the nearest pixel (floor(x + 0.5)).")


class _BaselineNotDetached(Exception):
    pass


def check_reinforce_loss(fn) -> bool:
    """``fn(log_probs (B, T), reward (B,), baselines (B, T)) → ()``: ``−Σ_t log π_t · (R − b_t)``, summed over
    steps, averaged over the batch, with the baselines detached."""

    def guarded(log_probs, reward, baselines):
        baselines = baselines.clone().requires_grad_()
        loss = fn(log_probs, reward, baselines)
        if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.ndim == 0:
            grad = torch.autograd.grad(loss, baselines, allow_unused=True, retain_graph=True)[0]
            if grad is not None and grad.abs().sum() > 0:
                raise _BaselineNotDetached("the loss sends a gradient into the baselines")
        return loss

    def hint(log_probs, reward, baselines):
        advantage = reward[:, None] - baselines
        lp = log_probs.detach()

        def name_the_bug(got, want):
            if isinstance(got, _BaselineNotDetached):
                return ("use baselines.detach() inside the REINFORCE term: the baseline is trained by its own "
                        "squared error, not by the policy's loss.")
            if isinstance(got, torch.Tensor) and got.shape == reward.shape:
                return "return one number: the mean over the batch (a (B,) tensor cannot be back-propagated as a loss)"
            if _close(got, -want):
                return "the sign is flipped: minimising −log π · (R − b) raises the probability of good samples."
            if _close(got, -(lp * reward[:, None]).sum(1).mean()):
                return "the baseline is missing: subtract b_t from the reward before multiplying."
            if _close(got, -(lp * advantage).mean()):
                return "sum over the steps t, then average over the batch (you averaged over both)."
            return ""

        return name_the_bug

    def cases():
        for i, (b, t) in enumerate([(2, 1), (4, 3), (3, 6)]):
            log_probs = _randn(b, t, seed=80 + i).abs().neg().requires_grad_()
            reward = (_randn(b, seed=90 + i) > 0).float()
            baselines = torch.sigmoid(_randn(b, t, seed=100 + i))
            want = -(log_probs.detach() * (reward[:, None] - baselines)).sum(1).mean()
            yield f"B = {b}, T = {t}", (log_probs, reward, baselines), want, hint(log_probs, reward, baselines)

    return _run("reinforce_loss", guarded, cases(), hint="advantage = R[:, None] − b (detached); loss = "
                "−(log_probs · advantage) summed over t, averaged over the batch.")
