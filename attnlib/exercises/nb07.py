"""Notebook 07 (where the weights go): SE's excitation and CBAM's spatial pooling in the right order."""

from __future__ import annotations

import torch

from ._harness import _close, _randn, _run

__all__ = ["check_excitation", "check_spatial_pool"]


def check_excitation(fn) -> bool:
    """``fn(x (B, C, H, W), w1 (C//r, C), w2 (C, C//r)) → s (B, C)``, ``s = sigmoid(w2 · relu(w1 · mean_HW x))``."""

    def hint(x, w1, w2):
        def z_of(pool):
            return pool(x.flatten(2))  # (B, C)

        def excite(z, act=torch.sigmoid, relu=torch.relu):
            return act(relu(z @ w1.T) @ w2.T)

        def name_the_bug(got, want):
            if isinstance(got, Exception):
                if "cannot be multiplied" in str(got):
                    return ("w1 is (C//r, C), stored as nn.Linear stores weights (out, in): a (B, C) row of "
                            "means meets its transpose, and so does the hidden (B, C//r) meet w2's.")
                return ""
            if isinstance(got, torch.Tensor) and got.shape == x.shape:
                return "return the weights s (B, C), not the scaled feature map x · s."
            if isinstance(got, torch.Tensor) and got.shape == (*want.shape, 1, 1):
                return "s must be (B, C): one weight per channel, without the trailing 1 × 1 dimensions."
            if _close(got, excite(z_of(lambda t: t.amax(-1)))):
                return "SE squeezes with the mean over the H × W positions, not the maximum (CBAM adds the max)."
            if _close(got, excite(z_of(lambda t: t.sum(-1)))):
                return "the squeeze is the mean over the H × W positions, not their sum."
            if _close(got, excite(z_of(lambda t: t.mean(-1)), act=lambda t: torch.softmax(t, -1))):
                return ("a gate is a sigmoid, one (0, 1) dial per channel; a softmax makes the channels compete "
                        "and sum to 1.")
            if _close(got, excite(z_of(lambda t: t.mean(-1)), relu=lambda t: t)):
                return "the ReLU between the two layers is missing."
            return ""

        return name_the_bug

    def cases():
        for i, (b, c, r, h, w) in enumerate([(1, 4, 2, 2, 2), (2, 8, 4, 3, 5), (3, 16, 16, 4, 1)]):
            x = _randn(b, c, h, w, seed=300 + i)
            w1, w2 = _randn(c // r, c, seed=310 + i), _randn(c, c // r, seed=320 + i)
            z = x.mean(dim=(2, 3))  # squeeze: (B, C)
            want = torch.sigmoid(torch.relu(z @ w1.T) @ w2.T)  # excite: (B, C)
            yield f"x {tuple(x.shape)}, C // r = {c // r}", (x, w1, w2), want, hint(x, w1, w2)

    return _run("excitation", fn, cases(), hint="squeeze each channel to one number (its mean over H × W), then the "
                "two bias-free layers with a ReLU between them, then a sigmoid: (B, C) → (B, C//r) → (B, C).")


def check_spatial_pool(fn) -> bool:
    """``fn(x (B, C, H, W)) → (B, 2, H, W)``: ``[max over C, mean over C]``, max first, as the CBAM authors' code."""

    def hint(x):
        top, mean = x.amax(1, keepdim=True), x.mean(1, keepdim=True)

        def name_the_bug(got, want):
            if isinstance(got, tuple | list) or (isinstance(got, Exception) and "return_types" in str(got)):
                return "max over a dim returns (values, indices) in PyTorch: keep the values only."
            if _close(got, torch.cat([mean, top], 1)):
                return ("[mean, max] is timm's order; the CBAM authors' code, whose trained conv you feed, stacks "
                        "[max, mean]. With the wrong order the conv reads each map as the other, silently.")
            if not isinstance(got, torch.Tensor):
                return ""
            b, _, h, w = x.shape
            if got.shape == (2, b, h, w) or got.shape == (2, b, 1, h, w):
                return "stack the two maps along dim 1, the channel axis; dim 0 is the batch."
            if got.shape in ((b, h, w), (b, 1, h, w)):
                return "stack both pooled maps along the channel axis: the result has 2 channels."
            if got.dim() == 3 and got.shape[0] == b:
                return ("the pooled maps lost their channel axis: keep it when pooling (keepdim) before joining "
                        "them, or stack them as a new axis 1.")
            if got.shape[-2:] != (h, w):
                return "pool over the channels (dim 1), one value per pixel, not over the H × W positions."
            return ""

        return name_the_bug

    def cases():
        for i, (b, c, h, w) in enumerate([(1, 3, 2, 2), (2, 5, 3, 4), (1, 8, 1, 6)]):
            x = _randn(b, c, h, w, seed=330 + i)
            want = torch.stack([x.max(dim=1).values, x.mean(dim=1)], dim=1)  # (B, 2, H, W): max first
            yield f"x {tuple(x.shape)}", (x,), want, hint(x)

    return _run("spatial_pool", fn, cases(), hint="at every pixel, the largest and the average value over the "
                "channels, stacked as two channels: max first.")
